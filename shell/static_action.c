/*
 * static_action.c - add, set, delete and show filteraction.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "static.h"
#include "static_common.h"

static int
apply_settings(struct shell *sh, const struct args *a,
	       struct store_filteraction *fa)
{
	const struct arg *v;

	if ((v = arg_get(a, "description"))->text != NULL &&
	    static_copy(sh, a, fa->description, sizeof(fa->description),
			v->text, "description") < 0)
		return -1;
	if ((v = arg_get(a, "qmpfs"))->text != NULL)
		fa->qmpfs = v->num != 0;
	if ((v = arg_get(a, "inpass"))->text != NULL)
		fa->inpass = v->num != 0;
	if ((v = arg_get(a, "soft"))->text != NULL)
		fa->soft = v->num != 0;
	if ((v = arg_get(a, "action"))->text != NULL)
		fa->action = (enum store_action)v->num;
	if ((v = arg_get(a, "qmsecmethods"))->text != NULL &&
	    static_copy(sh, a, fa->qmsecmethods, sizeof(fa->qmsecmethods),
			v->text, "qmsecmethods") < 0)
		return -1;
	return 0;
}

enum cmd_status
static_add_filteraction(struct shell *sh, const struct args *a)
{
	struct store_filteraction fa;

	memset(&fa, 0, sizeof(fa));
	if (static_copy(sh, a, fa.name, sizeof(fa.name), arg_text(a, "name"),
			"name") < 0 ||
	    apply_settings(sh, a, &fa) < 0)
		return CMD_ERROR;
	if (store_filteraction_add(sh->store, &fa) < 0)
		return shell_store_error(sh);
	return CMD_OK;
}

/* Turning an action into negotiate needs every rule using it to have an
 * authentication method. */
static int
check_users(struct shell *sh, const struct args *a, const char *name)
{
	struct store_rule *rules = NULL;
	size_t n = 0;
	int rc = 0;

	if (store_rule_list_using(sh->store, NULL, name, &rules, &n) < 0) {
		shell_store_error(sh);
		return -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		if (rules[i].nauth == 0) {
			shell_err(sh, "%s: rule \"%s\" of policy \"%s\" uses "
				      "this filter action and has no "
				      "authentication method; a negotiating "
				      "rule needs psk= or rootca=.",
				  a->cmd->name, rules[i].name, rules[i].policy);
			rc = -1;
		}
	store_list_free(rules, n, sizeof(*rules));
	return rc;
}

enum cmd_status
static_set_filteraction(struct shell *sh, const struct args *a)
{
	struct store_filteraction fa;
	char old[STORE_NAME_MAX];
	bool change = false;

	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].given && strcmp(a->cmd->params[i].tag, "name") &&
		    strcmp(a->cmd->params[i].tag, "guid"))
			change = true;
	if (!change) {
		shell_err(sh, "%s: give at least one setting to change.",
			  a->cmd->name);
		return CMD_ERROR;
	}
	if (static_find_filteraction(sh, a, &fa) < 0)
		return CMD_ERROR;
	memcpy(old, fa.name, sizeof(old));
	if (arg_given(a, "newname") &&
	    static_copy(sh, a, fa.name, sizeof(fa.name),
			arg_text(a, "newname"), "newname") < 0)
		return CMD_ERROR;
	if (apply_settings(sh, a, &fa) < 0)
		return CMD_ERROR;
	if (fa.action == STORE_ACTION_NEGOTIATE && check_users(sh, a, old) < 0)
		return CMD_ERROR;
	if (store_filteraction_update(sh->store, old, &fa) < 0)
		return shell_store_error(sh);
	return CMD_OK;
}

enum cmd_status
static_delete_filteraction(struct shell *sh, const struct args *a)
{
	struct store_filteraction *list = NULL;
	size_t n = 0;
	enum cmd_status st = CMD_OK;

	if (!arg_given(a, "all")) {
		if (store_filteraction_delete(sh->store,
					      arg_text(a, "name")) < 0)
			return shell_store_error(sh);
		return CMD_OK;
	}
	if (store_filteraction_list(sh->store, &list, &n) < 0)
		return shell_store_error(sh);
	for (size_t i = 0; i < n && st == CMD_OK; i++)
		if (store_filteraction_delete(sh->store, list[i].name) < 0)
			st = shell_store_error(sh);
	store_list_free(list, n, sizeof(*list));
	return st;
}

/* The filteractions the rules named rule use, each once. */
static int
actions_of_rule(struct shell *sh, const char *rule, struct store_filteraction **out,
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
			if (strcasecmp((*out)[k].name, rules[i].filteraction) == 0)
				dup = true;
		if (!dup && store_filteraction_get(sh->store, rules[i].filteraction,
					 &(*out)[*nout]) == 0)
			(*nout)++;
	}
	store_list_free(rules, nr, sizeof(*rules));
	if (*out == NULL)
		shell_err(sh, "out of memory.");
	return *out == NULL ? -1 : 0;
}

enum cmd_status
static_show_filteraction(struct shell *sh, const struct args *a)
{
	struct store_filteraction *list = NULL;
	size_t n = 0;
	struct out *o;
	enum cmd_status st;

	if (arg_given(a, "all")) {
		if (store_filteraction_list(sh->store, &list, &n) < 0)
			return shell_store_error(sh);
	} else if (arg_given(a, "rule")) {
		if (actions_of_rule(sh, arg_text(a, "rule"), &list, &n) < 0) {
			free(list);
			return CMD_ERROR;
		}
	} else {
		list = calloc(1, sizeof(*list));
		if (list == NULL ||
		    store_filteraction_get(sh->store, arg_text(a, "name"),
					   list) < 0) {
			free(list);
			return shell_store_error(sh);
		}
		n = 1;
	}
	o = static_out_new(a);
	if (o != NULL) {
		out_section(o, "filteractions", "Filter Actions");
		for (size_t i = 0; i < n; i++)
			model_filteraction(o, &list[i]);
		out_section_end(o);
	}
	st = static_render(sh, a, o);
	store_list_free(list, n, sizeof(*list));
	return st;
}
