/*
 * dynamic_policy.c - main mode and quick mode policies of the SPD: add,
 * set, delete, show.
 */
#include <string.h>
#include <strings.h>

#include "dynamic.h"
#include "dynamic_common.h"
#include "live.h"
#include "shell.h"
#include "static_common.h"

/* ---- main mode ------------------------------------------------------ */

static void
apply_mm(const struct args *a, struct spd_mmpolicy *p)
{
	const struct arg *v;
	char err[VOCAB_ERR_MAX];

	if ((v = arg_get(a, "qmpermm"))->text != NULL)
		p->qmpermm = (int)v->num;
	if ((v = arg_get(a, "mmlifetime"))->text != NULL)
		p->mmlifetime = (int)v->num;
	if ((v = arg_get(a, "softsaexpirationtime"))->text != NULL)
		p->softsaexpirationtime = (int)v->num;
	if ((v = arg_get(a, "mmsecmethods"))->text != NULL) {
		snprintf(p->mmsecmethods, sizeof(p->mmsecmethods), "%s",
			 v->text);
		/* Canonical text from the binder: this parse cannot fail. */
		vocab_mmsec_parse(v->text, &p->methods, err, sizeof(err), NULL,
				  0);
	}
}

enum cmd_status
dynamic_add_mmpolicy(struct shell *sh, const struct args *a)
{
	struct spd_mmpolicy p;
	char err[SPD_ERR_MAX];

	memset(&p, 0, sizeof(p));
	if (static_copy(sh, a, p.name, sizeof(p.name), arg_text(a, "name"),
			"name") < 0)
		return CMD_ERROR;
	apply_mm(a, &p);
	if (spd_mmpolicy_add(live_spd(sh->live), &p, err, sizeof(err)) < 0)
		return dynamic_error(sh, err);
	return CMD_OK;
}

enum cmd_status
dynamic_set_mmpolicy(struct shell *sh, const struct args *a)
{
	struct spd *spd = live_spd(sh->live);
	bool all = arg_given(a, "all");
	char err[SPD_ERR_MAX];

	if (!dynamic_any_change(a)) {
		shell_err(sh, "%s: give at least one setting to change.",
			  a->cmd->name);
		return CMD_ERROR;
	}
	for (size_t i = 0;; i++) {
		const struct spd_mmpolicy *cur =
			all ? spd_mmpolicy_at(spd, i)
			    : spd_mmpolicy_get(spd, arg_text(a, "name"));
		struct spd_mmpolicy p;
		if (cur == NULL && all)
			break;
		if (cur == NULL)
			return dynamic_no_policy(sh, a, true);
		p = *cur;
		apply_mm(a, &p);
		if (spd_mmpolicy_set(spd, &p, err, sizeof(err)) < 0)
			return dynamic_error(sh, err);
		if (!all)
			break;
	}
	return dynamic_commit(sh);
}

enum cmd_status
dynamic_delete_mmpolicy(struct shell *sh, const struct args *a)
{
	return dynamic_delete_policies(sh, a, true);
}

enum cmd_status
dynamic_show_mmpolicy(struct shell *sh, const struct args *a)
{
	struct spd *spd = live_spd(sh->live);
	struct out *o = static_out_new(a);

	if (!arg_given(a, "all") &&
	    spd_mmpolicy_get(spd, arg_text(a, "name")) == NULL) {
		out_free(o);
		return dynamic_no_policy(sh, a, true);
	}
	out_section(o, "mmpolicies", "Main Mode Policies");
	for (size_t i = 0; spd_mmpolicy_at(spd, i) != NULL; i++) {
		const struct spd_mmpolicy *p = spd_mmpolicy_at(spd, i);
		if (arg_given(a, "all") ||
		    strcasecmp(p->name, arg_text(a, "name")) == 0)
			dynamic_model_mmpolicy(o, p);
	}
	out_section_end(o);
	return static_render(sh, a, o);
}

/* ---- quick mode ----------------------------------------------------- */

static void
apply_qm(const struct args *a, struct spd_qmpolicy *p)
{
	const struct arg *v;
	char err[VOCAB_ERR_MAX];

	if ((v = arg_get(a, "soft"))->text != NULL)
		p->soft = v->num != 0;
	if ((v = arg_get(a, "pfsgroup"))->text != NULL)
		p->pfsgroup = (int)v->num;
	if ((v = arg_get(a, "qmsecmethods"))->text != NULL) {
		snprintf(p->qmsecmethods, sizeof(p->qmsecmethods), "%s",
			 v->text);
		vocab_qmsec_parse(v->text, &p->methods, err, sizeof(err), NULL,
				  0);
	}
}

enum cmd_status
dynamic_add_qmpolicy(struct shell *sh, const struct args *a)
{
	struct spd_qmpolicy p;
	char err[SPD_ERR_MAX];

	memset(&p, 0, sizeof(p));
	if (static_copy(sh, a, p.name, sizeof(p.name), arg_text(a, "name"),
			"name") < 0)
		return CMD_ERROR;
	apply_qm(a, &p);
	if (spd_qmpolicy_add(live_spd(sh->live), &p, err, sizeof(err)) < 0)
		return dynamic_error(sh, err);
	return CMD_OK;
}

enum cmd_status
dynamic_set_qmpolicy(struct shell *sh, const struct args *a)
{
	struct spd *spd = live_spd(sh->live);
	bool all = arg_given(a, "all");
	char err[SPD_ERR_MAX];

	if (!dynamic_any_change(a)) {
		shell_err(sh, "%s: give at least one setting to change.",
			  a->cmd->name);
		return CMD_ERROR;
	}
	for (size_t i = 0;; i++) {
		const struct spd_qmpolicy *cur =
			all ? spd_qmpolicy_at(spd, i)
			    : spd_qmpolicy_get(spd, arg_text(a, "name"));
		struct spd_qmpolicy p;
		if (cur == NULL && all)
			break;
		if (cur == NULL)
			return dynamic_no_policy(sh, a, false);
		p = *cur;
		apply_qm(a, &p);
		if (spd_qmpolicy_set(spd, &p, err, sizeof(err)) < 0)
			return dynamic_error(sh, err);
		if (!all)
			break;
	}
	return dynamic_commit(sh);
}

enum cmd_status
dynamic_delete_qmpolicy(struct shell *sh, const struct args *a)
{
	return dynamic_delete_policies(sh, a, false);
}

enum cmd_status
dynamic_show_qmpolicy(struct shell *sh, const struct args *a)
{
	struct spd *spd = live_spd(sh->live);
	struct out *o = static_out_new(a);

	if (!arg_given(a, "all") &&
	    spd_qmpolicy_get(spd, arg_text(a, "name")) == NULL) {
		out_free(o);
		return dynamic_no_policy(sh, a, false);
	}
	out_section(o, "qmpolicies", "Quick Mode Policies");
	for (size_t i = 0; spd_qmpolicy_at(spd, i) != NULL; i++) {
		const struct spd_qmpolicy *p = spd_qmpolicy_at(spd, i);
		if (arg_given(a, "all") ||
		    strcasecmp(p->name, arg_text(a, "name")) == 0)
			dynamic_model_qmpolicy(o, p);
	}
	out_section_end(o);
	return static_render(sh, a, o);
}
