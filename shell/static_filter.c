/*
 * static_filter.c - filter lists (add, set, delete, show) and the
 * filters in them (add, delete).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "static.h"
#include "static_common.h"
#include "vocab.h"

enum cmd_status
static_add_filterlist(struct shell *sh, const struct args *a)
{
	struct store_filterlist fl;

	memset(&fl, 0, sizeof(fl));
	if (static_copy(sh, a, fl.name, sizeof(fl.name), arg_text(a, "name"),
			"name") < 0)
		return CMD_ERROR;
	if (arg_given(a, "description") &&
	    static_copy(sh, a, fl.description, sizeof(fl.description),
			arg_text(a, "description"), "description") < 0)
		return CMD_ERROR;
	if (store_filterlist_add(sh->store, &fl) < 0)
		return shell_store_error(sh);
	return CMD_OK;
}

enum cmd_status
static_set_filterlist(struct shell *sh, const struct args *a)
{
	struct store_filterlist fl;
	char old[STORE_NAME_MAX];

	if (!arg_given(a, "newname") && !arg_given(a, "description")) {
		shell_err(sh, "%s: give newname= or description= to change.",
			  a->cmd->name);
		return CMD_ERROR;
	}
	if (static_find_filterlist(sh, a, &fl) < 0)
		return CMD_ERROR;
	memcpy(old, fl.name, sizeof(old));
	if (arg_given(a, "newname") &&
	    static_copy(sh, a, fl.name, sizeof(fl.name),
			arg_text(a, "newname"), "newname") < 0)
		return CMD_ERROR;
	if (arg_given(a, "description") &&
	    static_copy(sh, a, fl.description, sizeof(fl.description),
			arg_text(a, "description"), "description") < 0)
		return CMD_ERROR;
	if (store_filterlist_update(sh->store, old, &fl) < 0)
		return shell_store_error(sh);
	return CMD_OK;
}

enum cmd_status
static_delete_filterlist(struct shell *sh, const struct args *a)
{
	struct store_filterlist *list = NULL;
	size_t n = 0;
	enum cmd_status st = CMD_OK;

	if (!arg_given(a, "all")) {
		if (store_filterlist_delete(sh->store, arg_text(a, "name")) < 0)
			return shell_store_error(sh);
		return CMD_OK;
	}
	if (store_filterlist_list(sh->store, &list, &n) < 0)
		return shell_store_error(sh);
	for (size_t i = 0; i < n && st == CMD_OK; i++)
		if (store_filterlist_delete(sh->store, list[i].name) < 0)
			st = shell_store_error(sh);
	store_list_free(list, n, sizeof(*list));
	return st;
}

/* The filterlists the rules named rule use, each once. */
static int
lists_of_rule(struct shell *sh, const char *rule, struct store_filterlist **out,
	size_t *nout)
{
	struct store_rule *rules = NULL;
	size_t nr = 0;

	*out = NULL;
	*nout = 0;
	if (static_rules_named(sh, rule, &rules, &nr) < 0)
		return -1;
	*out = calloc(nr, sizeof(**out));
	for (size_t i = 0; *out != NULL && i < nr; i++) {
		bool dup = false;
		for (size_t k = 0; k < *nout; k++)
			if (strcasecmp((*out)[k].name, rules[i].filterlist) == 0)
				dup = true;
		if (!dup && store_filterlist_get(sh->store, rules[i].filterlist,
					 &(*out)[*nout]) == 0)
			(*nout)++;
	}
	store_list_free(rules, nr, sizeof(*rules));
	if (*out == NULL)
		shell_err(sh, "out of memory.");
	return *out == NULL ? -1 : 0;
}

enum cmd_status
static_show_filterlist(struct shell *sh, const struct args *a)
{
	struct store_filterlist *list = NULL;
	size_t n = 0;
	struct out *o;
	enum cmd_status st;

	if (arg_given(a, "all")) {
		if (store_filterlist_list(sh->store, &list, &n) < 0)
			return shell_store_error(sh);
	} else if (arg_given(a, "rule")) {
		if (lists_of_rule(sh, arg_text(a, "rule"), &list, &n) < 0) {
			free(list);
			return CMD_ERROR;
		}
	} else {
		list = calloc(1, sizeof(*list));
		if (list == NULL ||
		    store_filterlist_get(sh->store, arg_text(a, "name"),
					 list) < 0) {
			free(list);
			return shell_store_error(sh);
		}
		n = 1;
	}
	o = static_out_new(a);
	if (o != NULL) {
		out_section(o, "filterlists", "Filter Lists");
		for (size_t i = 0; i < n; i++)
			model_filterlist(o, sh->store, &list[i],
					 static_verbose(a),
					 arg_num(a, "resolvedns") != 0);
		out_section_end(o);
	}
	st = static_render(sh, a, o);
	store_list_free(list, n, sizeof(*list));
	return st;
}

/*
 * Fills the address, mask, protocol and port fields of f from the
 * arguments, checking them together (static_endpoints, and ports against
 * the protocol).  With m (delete filter), only given fields are set and
 * m says which.
 */
static int
filter_fields(struct shell *sh, const struct args *a, struct store_filter *f,
	      struct store_filter_match *m)
{
	char err[VOCAB_ERR_MAX];
	const struct arg *v;

	if (static_copy(sh, a, f->filterlist, sizeof(f->filterlist),
			arg_text(a, "filterlist"), "filterlist") < 0 ||
	    static_copy(sh, a, f->srcaddr, sizeof(f->srcaddr),
			arg_text(a, "srcaddr"), "srcaddr") < 0 ||
	    static_copy(sh, a, f->dstaddr, sizeof(f->dstaddr),
			arg_text(a, "dstaddr"), "dstaddr") < 0)
		return -1;
	if (static_endpoints(sh, a, f->srcaddr, f->dstaddr, m == NULL,
			     f->srcmask, f->dstmask, sizeof(f->srcmask)) < 0)
		return -1;
	if ((v = arg_get(a, "protocol"))->text != NULL)
		f->protocol = (int)v->num;
	if ((v = arg_get(a, "mirrored"))->text != NULL)
		f->mirrored = v->num != 0;
	if ((v = arg_get(a, "srcport"))->text != NULL)
		f->srcport = (int)v->num;
	if ((v = arg_get(a, "dstport"))->text != NULL)
		f->dstport = (int)v->num;
	if (m != NULL) {
		m->protocol = arg_given(a, "protocol");
		m->mirrored = arg_given(a, "mirrored");
		m->srcmask = arg_given(a, "srcmask");
		m->dstmask = arg_given(a, "dstmask");
		m->srcport = arg_given(a, "srcport");
		m->dstport = arg_given(a, "dstport");
	} else if (vocab_ports_check(f->protocol, f->srcport, f->dstport, err,
				     sizeof(err)) < 0) {
		shell_err(sh, "%s: %s", a->cmd->name, err);
		return -1;
	}
	return 0;
}

static bool
same_filter(const struct store_filter *x, const struct store_filter *y)
{
	return strcasecmp(x->srcaddr, y->srcaddr) == 0 &&
	       strcasecmp(x->dstaddr, y->dstaddr) == 0 &&
	       strcmp(x->srcmask, y->srcmask) == 0 &&
	       strcmp(x->dstmask, y->dstmask) == 0 &&
	       x->protocol == y->protocol && x->mirrored == y->mirrored &&
	       x->srcport == y->srcport && x->dstport == y->dstport;
}

enum cmd_status
static_add_filter(struct shell *sh, const struct args *a)
{
	struct store_filter f, *have = NULL;
	size_t n = 0;
	enum cmd_status st = CMD_OK;

	memset(&f, 0, sizeof(f));
	if (filter_fields(sh, a, &f, NULL) < 0)
		return CMD_ERROR;
	if (arg_given(a, "description") &&
	    static_copy(sh, a, f.description, sizeof(f.description),
			arg_text(a, "description"), "description") < 0)
		return CMD_ERROR;
	/* The same filter twice in one list only confuses. */
	if (store_filter_list(sh->store, f.filterlist, &have, &n) == 0)
		for (size_t i = 0; i < n && st == CMD_OK; i++)
			if (same_filter(&have[i], &f)) {
				shell_err(sh, "ERR: filter list \"%s\" already "
					      "has this filter.",
					  have[i].filterlist);
				st = CMD_ERROR;
			}
	store_list_free(have, n, sizeof(*have));
	if (st == CMD_OK && store_filter_add(sh->store, &f) < 0)
		st = shell_store_error(sh);
	return st;
}

enum cmd_status
static_delete_filter(struct shell *sh, const struct args *a)
{
	struct store_filter f;
	struct store_filter_match m;
	int deleted = 0;

	memset(&f, 0, sizeof(f));
	memset(&m, 0, sizeof(m));
	if (filter_fields(sh, a, &f, &m) < 0)
		return CMD_ERROR;
	if (store_filter_delete(sh->store, &f, &m, &deleted) < 0)
		return shell_store_error(sh);
	return CMD_OK;
}
