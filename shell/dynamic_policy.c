/*
 * dynamic_policy.c - main mode and quick mode policies of the SPD: add,
 * set, delete, show.  The two kinds differ only in their settings, so
 * each is described once (struct kind) and one set of handlers serves
 * both.
 */
#include <string.h>
#include <strings.h>

#include "dynamic.h"
#include "dynamic_common.h"
#include "live.h"
#include "shell.h"
#include "static_common.h"

/* Policies of either kind start with their name. */
union policy {
	char name[STORE_NAME_MAX];
	struct spd_mmpolicy mm;
	struct spd_qmpolicy qm;
};

struct kind {
	bool mm;
	const char *key, *title;
	/* The given settings of a into p. */
	void (*apply)(const struct args *a, union policy *p);
	const union policy *(*at)(const struct spd *spd, size_t i);
	const union policy *(*get)(const struct spd *spd, const char *name);
	int (*add)(struct spd *spd, const union policy *p, char *err,
		   size_t errlen);
	int (*set)(struct spd *spd, const union policy *p, char *err,
		   size_t errlen);
	void (*model)(struct out *o, const union policy *p);
};

/* ---- main mode ------------------------------------------------------ */

static void
apply_mm(const struct args *a, union policy *u)
{
	struct spd_mmpolicy *p = &u->mm;
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

static const union policy *
mm_at(const struct spd *spd, size_t i)
{
	return (const union policy *)spd_mmpolicy_at(spd, i);
}

static const union policy *
mm_get(const struct spd *spd, const char *name)
{
	return (const union policy *)spd_mmpolicy_get(spd, name);
}

static int
mm_add(struct spd *spd, const union policy *p, char *err, size_t errlen)
{
	return spd_mmpolicy_add(spd, &p->mm, err, errlen);
}

static int
mm_set(struct spd *spd, const union policy *p, char *err, size_t errlen)
{
	return spd_mmpolicy_set(spd, &p->mm, err, errlen);
}

static void
mm_model(struct out *o, const union policy *p)
{
	dynamic_model_mmpolicy(o, &p->mm);
}

static const struct kind main_mode = {
	.mm = true, .key = "mmpolicies", .title = "Main Mode Policies",
	.apply = apply_mm, .at = mm_at, .get = mm_get, .add = mm_add,
	.set = mm_set, .model = mm_model,
};

/* ---- quick mode ----------------------------------------------------- */

static void
apply_qm(const struct args *a, union policy *u)
{
	struct spd_qmpolicy *p = &u->qm;
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

static const union policy *
qm_at(const struct spd *spd, size_t i)
{
	return (const union policy *)spd_qmpolicy_at(spd, i);
}

static const union policy *
qm_get(const struct spd *spd, const char *name)
{
	return (const union policy *)spd_qmpolicy_get(spd, name);
}

static int
qm_add(struct spd *spd, const union policy *p, char *err, size_t errlen)
{
	return spd_qmpolicy_add(spd, &p->qm, err, errlen);
}

static int
qm_set(struct spd *spd, const union policy *p, char *err, size_t errlen)
{
	return spd_qmpolicy_set(spd, &p->qm, err, errlen);
}

static void
qm_model(struct out *o, const union policy *p)
{
	dynamic_model_qmpolicy(o, &p->qm);
}

static const struct kind quick_mode = {
	.mm = false, .key = "qmpolicies", .title = "Quick Mode Policies",
	.apply = apply_qm, .at = qm_at, .get = qm_get, .add = qm_add,
	.set = qm_set, .model = qm_model,
};

/* ---- the handlers, for either kind ---------------------------------- */

static enum cmd_status
add_policy(struct shell *sh, const struct args *a, const struct kind *k)
{
	union policy p;
	char err[SPD_ERR_MAX];

	memset(&p, 0, sizeof(p));
	if (static_copy(sh, a, p.name, sizeof(p.name), arg_text(a, "name"),
			"name") < 0)
		return CMD_ERROR;
	k->apply(a, &p);
	if (k->add(live_spd(sh->live), &p, err, sizeof(err)) < 0)
		return dynamic_error(sh, err);
	return CMD_OK;
}

static enum cmd_status
set_policy(struct shell *sh, const struct args *a, const struct kind *k)
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
		const union policy *cur =
			all ? k->at(spd, i) : k->get(spd, arg_text(a, "name"));
		union policy p;
		if (cur == NULL && all)
			break;
		if (cur == NULL)
			return dynamic_no_policy(sh, a, k->mm);
		memcpy(&p, cur, k->mm ? sizeof(p.mm) : sizeof(p.qm));
		k->apply(a, &p);
		if (k->set(spd, &p, err, sizeof(err)) < 0)
			return dynamic_error(sh, err);
		if (!all)
			break;
	}
	return dynamic_commit(sh);
}

static enum cmd_status
show_policy(struct shell *sh, const struct args *a, const struct kind *k)
{
	struct spd *spd = live_spd(sh->live);
	bool all = arg_given(a, "all");
	const union policy *p;
	struct out *o;

	if (!all && k->get(spd, arg_text(a, "name")) == NULL)
		return dynamic_no_policy(sh, a, k->mm);
	o = static_out_new(a);
	out_section(o, k->key, k->title);
	for (size_t i = 0; (p = k->at(spd, i)) != NULL; i++)
		if (all || strcasecmp(p->name, arg_text(a, "name")) == 0)
			k->model(o, p);
	out_section_end(o);
	return static_render(sh, a, o);
}

enum cmd_status
dynamic_add_mmpolicy(struct shell *sh, const struct args *a)
{
	return add_policy(sh, a, &main_mode);
}

enum cmd_status
dynamic_set_mmpolicy(struct shell *sh, const struct args *a)
{
	return set_policy(sh, a, &main_mode);
}

enum cmd_status
dynamic_delete_mmpolicy(struct shell *sh, const struct args *a)
{
	return dynamic_delete_policies(sh, a, true);
}

enum cmd_status
dynamic_show_mmpolicy(struct shell *sh, const struct args *a)
{
	return show_policy(sh, a, &main_mode);
}

enum cmd_status
dynamic_add_qmpolicy(struct shell *sh, const struct args *a)
{
	return add_policy(sh, a, &quick_mode);
}

enum cmd_status
dynamic_set_qmpolicy(struct shell *sh, const struct args *a)
{
	return set_policy(sh, a, &quick_mode);
}

enum cmd_status
dynamic_delete_qmpolicy(struct shell *sh, const struct args *a)
{
	return dynamic_delete_policies(sh, a, false);
}

enum cmd_status
dynamic_show_qmpolicy(struct shell *sh, const struct args *a)
{
	return show_policy(sh, a, &quick_mode);
}
