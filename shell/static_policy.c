/*
 * static_policy.c - add, set, delete and show policy.
 */
#include <string.h>

#include "static.h"
#include "static_common.h"

/* Copies the given main mode settings of a into p. */
static int
apply_settings(struct shell *sh, const struct args *a, struct store_policy *p)
{
	const struct arg *v;

	if ((v = arg_get(a, "description"))->text != NULL &&
	    static_copy(sh, a, p->description, sizeof(p->description),
			v->text, "description") < 0)
		return -1;
	if ((v = arg_get(a, "mmpfs"))->text != NULL)
		p->mmpfs = v->num != 0;
	if ((v = arg_get(a, "qmpermm"))->text != NULL)
		p->qmpermm = (int)v->num;
	if ((v = arg_get(a, "mmlifetime"))->text != NULL)
		p->mmlifetime = (int)v->num;
	if ((v = arg_get(a, "activatedefaultrule"))->text != NULL)
		p->activatedefaultrule = v->num != 0;
	if ((v = arg_get(a, "pollinginterval"))->text != NULL)
		p->pollinginterval = (int)v->num;
	if ((v = arg_get(a, "mmsecmethods"))->text != NULL &&
	    static_copy(sh, a, p->mmsecmethods, sizeof(p->mmsecmethods),
			v->text, "mmsecmethods") < 0)
		return -1;
	/* Master key PFS means one quick mode per main mode (netsh). */
	if (p->mmpfs)
		p->qmpermm = 1;
	return 0;
}

enum cmd_status
static_add_policy(struct shell *sh, const struct args *a)
{
	struct store_policy p;

	memset(&p, 0, sizeof(p));
	if (static_copy(sh, a, p.name, sizeof(p.name), arg_text(a, "name"),
			"name") < 0 ||
	    apply_settings(sh, a, &p) < 0)
		return CMD_ERROR;
	if (store_policy_add(sh->store, &p) < 0)
		return shell_store_error(sh);
	if (arg_num(a, "assign") &&
	    store_policy_assign(sh->store, p.name, true) < 0)
		return shell_store_error(sh);
	return CMD_OK;
}

/* True if any parameter other than the ones naming the object is given. */
static bool
any_change(const struct args *a)
{
	for (size_t i = 0; i < a->n; i++) {
		const char *tag = a->cmd->params[i].tag;
		if (a->v[i].given && strcmp(tag, "name") != 0 &&
		    strcmp(tag, "guid") != 0 && strcmp(tag, "id") != 0 &&
		    strcmp(tag, "policy") != 0)
			return true;
	}
	return false;
}

enum cmd_status
static_set_policy(struct shell *sh, const struct args *a)
{
	struct store_policy p;
	char old[STORE_NAME_MAX];

	if (!any_change(a)) {
		shell_err(sh, "%s: give at least one setting to change.",
			  a->cmd->name);
		return CMD_ERROR;
	}
	if (arg_given(a, "gponame")) {
		shell_err(sh, "%s: gponame applies to a domain store, and no "
			      "domain store is configured.", a->cmd->name);
		return CMD_ERROR;
	}
	if (static_find_policy(sh, a, &p) < 0)
		return CMD_ERROR;
	memcpy(old, p.name, sizeof(old));
	if (arg_given(a, "newname") &&
	    static_copy(sh, a, p.name, sizeof(p.name), arg_text(a, "newname"),
			"newname") < 0)
		return CMD_ERROR;
	if (apply_settings(sh, a, &p) < 0)
		return CMD_ERROR;
	if (store_policy_update(sh->store, old, &p) < 0)
		return shell_store_error(sh);
	if (arg_given(a, "assign") &&
	    store_policy_assign(sh->store, p.name, arg_num(a, "assign")) < 0)
		return shell_store_error(sh);
	return CMD_OK;
}

enum cmd_status
static_delete_policy(struct shell *sh, const struct args *a)
{
	struct store_policy *list = NULL;
	size_t n = 0;
	enum cmd_status st = CMD_OK;

	if (!arg_given(a, "all")) {
		if (store_policy_delete(sh->store, arg_text(a, "name")) < 0)
			return shell_store_error(sh);
		return CMD_OK;
	}
	if (store_policy_list(sh->store, &list, &n) < 0)
		return shell_store_error(sh);
	for (size_t i = 0; i < n && st == CMD_OK; i++)
		if (store_policy_delete(sh->store, list[i].name) < 0)
			st = shell_store_error(sh);
	store_list_free(list, n, sizeof(*list));
	return st;
}

enum cmd_status
static_show_policy(struct shell *sh, const struct args *a)
{
	struct store_policy *list = NULL, one;
	size_t n = 0;
	struct out *o;
	enum cmd_status st;

	if (arg_given(a, "all")) {
		if (store_policy_list(sh->store, &list, &n) < 0)
			return shell_store_error(sh);
	} else {
		if (store_policy_get(sh->store, arg_text(a, "name"), &one) < 0)
			return shell_store_error(sh);
		list = &one;
		n = 1;
	}
	o = static_out_new(a);
	if (o != NULL) {
		out_section(o, "policies", "Policies");
		for (size_t i = 0; i < n; i++)
			model_policy(o, sh->store, &list[i],
				     static_verbose(a) ? 2 : 0);
		out_section_end(o);
	}
	st = static_render(sh, a, o);
	if (list != &one)
		store_list_free(list, n, sizeof(*list));
	return st;
}
