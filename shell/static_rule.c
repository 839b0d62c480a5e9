/*
 * static_rule.c - rules of a policy: add, set, delete, show, and the
 * default response rule (set defaultrule).
 */
#include <stdlib.h>
#include <string.h>

#include "static.h"
#include "static_common.h"

/* Fields add rule and set rule share. */
static int
apply_rule(struct shell *sh, const struct args *a, struct store_rule *r)
{
	const struct arg *v;

	if ((v = arg_get(a, "description"))->text != NULL &&
	    static_copy(sh, a, r->description, sizeof(r->description),
			v->text, "description") < 0)
		return -1;
	if ((v = arg_get(a, "filterlist"))->text != NULL &&
	    static_copy(sh, a, r->filterlist, sizeof(r->filterlist), v->text,
			"filterlist") < 0)
		return -1;
	if ((v = arg_get(a, "filteraction"))->text != NULL &&
	    static_copy(sh, a, r->filteraction, sizeof(r->filteraction),
			v->text, "filteraction") < 0)
		return -1;
	if ((v = arg_get(a, "tunnel"))->text != NULL &&
	    static_tunnel(sh, a, v->text, r->tunnel, sizeof(r->tunnel)) < 0)
		return -1;
	if ((v = arg_get(a, "conntype"))->text != NULL)
		r->conntype = (enum store_conntype)v->num;
	if ((v = arg_get(a, "activate"))->text != NULL)
		r->activate = v->num != 0;
	if (static_collect_auth(sh, a, r->auth, &r->nauth) < 0)
		return -1;
	return 0;
}

enum cmd_status
static_add_rule(struct shell *sh, const struct args *a)
{
	struct store_rule *r = calloc(1, sizeof(*r));
	enum cmd_status st = CMD_ERROR;

	if (r == NULL) {
		shell_err(sh, "%s: out of memory.", a->cmd->name);
		return CMD_ERROR;
	}
	if (static_copy(sh, a, r->name, sizeof(r->name), arg_text(a, "name"),
			"name") < 0 ||
	    static_copy(sh, a, r->policy, sizeof(r->policy),
			arg_text(a, "policy"), "policy") < 0 ||
	    apply_rule(sh, a, r) < 0)
		goto out;
	/* Name the missing object before the authentication check. */
	if (store_filterlist_get(sh->store, r->filterlist,
				 &(struct store_filterlist){0}) < 0) {
		shell_store_error(sh);
		goto out;
	}
	if (static_check_rule_auth(sh, a, r) < 0)
		goto out;
	if (store_rule_add(sh->store, r) < 0) {
		shell_store_error(sh);
		goto out;
	}
	st = CMD_OK;
out:
	store_rule_wipe(r);
	free(r);
	return st;
}

/* The rule name= or id= names in policy=. */
static int
find_rule(struct shell *sh, const struct args *a, struct store_rule *r)
{
	int rc;

	if (arg_given(a, "name"))
		rc = store_rule_get(sh->store, arg_text(a, "policy"),
				    arg_text(a, "name"), r);
	else
		rc = store_rule_get_by_id(sh->store, arg_text(a, "policy"),
					  (int)arg_num(a, "id"), r);
	if (rc < 0)
		shell_store_error(sh);
	return rc;
}

enum cmd_status
static_set_rule(struct shell *sh, const struct args *a)
{
	struct store_rule *r = calloc(1, sizeof(*r));
	enum cmd_status st = CMD_ERROR;
	bool change = false;

	if (r == NULL) {
		shell_err(sh, "%s: out of memory.", a->cmd->name);
		return CMD_ERROR;
	}
	for (size_t i = 0; i < a->n; i++) {
		const char *tag = a->cmd->params[i].tag;
		if (a->v[i].given && strcmp(tag, "name") &&
		    strcmp(tag, "id") && strcmp(tag, "policy"))
			change = true;
	}
	if (!change) {
		shell_err(sh, "%s: give at least one setting to change.",
			  a->cmd->name);
		goto out;
	}
	if (find_rule(sh, a, r) < 0)
		goto out;
	if (r->is_default) {
		shell_err(sh, "%s: use set defaultrule for the default "
			      "response rule.", a->cmd->name);
		goto out;
	}
	if (arg_given(a, "newname") &&
	    static_copy(sh, a, r->name, sizeof(r->name),
			arg_text(a, "newname"), "newname") < 0)
		goto out;
	if (apply_rule(sh, a, r) < 0 || static_check_rule_auth(sh, a, r) < 0)
		goto out;
	if (store_rule_update(sh->store, r) < 0) {
		shell_store_error(sh);
		goto out;
	}
	st = CMD_OK;
out:
	store_rule_wipe(r);
	free(r);
	return st;
}

enum cmd_status
static_set_defaultrule(struct shell *sh, const struct args *a)
{
	struct store_rule *r = calloc(1, sizeof(*r));
	enum cmd_status st = CMD_ERROR;
	const struct arg *v;
	bool change = false;

	if (r == NULL) {
		shell_err(sh, "%s: out of memory.", a->cmd->name);
		return CMD_ERROR;
	}
	for (size_t i = 1; i < a->n; i++)
		change = change || a->v[i].given;
	if (!change) {
		shell_err(sh, "%s: give at least one setting to change.",
			  a->cmd->name);
		goto out;
	}
	if (store_rule_get_default(sh->store, arg_text(a, "policy"), r) < 0) {
		shell_store_error(sh);
		goto out;
	}
	if ((v = arg_get(a, "qmpfs"))->given)
		r->qmpfs = v->num != 0;
	if ((v = arg_get(a, "activate"))->given)
		r->activate = v->num != 0;
	if ((v = arg_get(a, "qmsecmethods"))->given &&
	    static_copy(sh, a, r->qmsecmethods, sizeof(r->qmsecmethods),
			v->text, "qmsecmethods") < 0)
		goto out;
	if (static_collect_auth(sh, a, r->auth, &r->nauth) < 0)
		goto out;
	if (store_rule_update(sh->store, r) < 0) {
		shell_store_error(sh);
		goto out;
	}
	st = CMD_OK;
out:
	store_rule_wipe(r);
	free(r);
	return st;
}

enum cmd_status
static_delete_rule(struct shell *sh, const struct args *a)
{
	struct store_rule *list = NULL;
	size_t n = 0;
	enum cmd_status st = CMD_OK;

	if (!arg_given(a, "all")) {
		struct store_rule *r = calloc(1, sizeof(*r));
		if (r == NULL || find_rule(sh, a, r) < 0) {
			free(r);
			return CMD_ERROR;
		}
		if (store_rule_delete(sh->store, r->policy, r->id) < 0)
			st = shell_store_error(sh);
		store_rule_wipe(r);
		free(r);
		return st;
	}
	if (store_rule_list(sh->store, arg_text(a, "policy"), &list, &n) < 0)
		return shell_store_error(sh);
	for (size_t i = 0; i < n && st == CMD_OK; i++)
		if (!list[i].is_default &&
		    store_rule_delete(sh->store, list[i].policy, list[i].id) < 0)
			st = shell_store_error(sh);
	store_list_free(list, n, sizeof(*list));
	return st;
}

enum cmd_status
static_show_rule(struct shell *sh, const struct args *a)
{
	struct store_rule *list = NULL;
	size_t n = 0;
	const struct arg *type = arg_get(a, "type");
	struct out *o;
	enum cmd_status st;

	if (arg_given(a, "all")) {
		if (store_rule_list(sh->store, arg_text(a, "policy"), &list,
				    &n) < 0)
			return shell_store_error(sh);
	} else {
		int rc;
		list = calloc(1, sizeof(*list));
		if (list == NULL) {
			shell_err(sh, "%s: out of memory.", a->cmd->name);
			return CMD_ERROR;
		}
		if (arg_given(a, "default"))
			rc = store_rule_get_default(sh->store,
						    arg_text(a, "policy"), list);
		else if (arg_given(a, "id") && arg_num(a, "id") == 0)
			rc = store_rule_get_default(sh->store,
						    arg_text(a, "policy"), list);
		else
			rc = find_rule(sh, a, list) < 0 ? 1 : 0;
		if (rc != 0) {
			if (rc < 0)
				shell_store_error(sh);
			free(list);
			return CMD_ERROR;
		}
		n = 1;
	}
	o = static_out_new(a);
	if (o != NULL) {
		out_section(o, "rules", "Rules");
		for (size_t i = 0; i < n; i++) {
			bool tunnel = list[i].tunnel[0] != '\0';
			/* type=tunnel (0) or transport (1) narrows. */
			if (type->given && tunnel != (type->num == 0))
				continue;
			model_rule(o, sh->store, &list[i], static_verbose(a));
		}
		out_section_end(o);
	}
	st = static_render(sh, a, o);
	store_list_free(list, n, sizeof(*list));
	return st;
}
