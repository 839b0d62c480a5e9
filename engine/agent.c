/*
 * agent.c - the policy agent (see agent.h).
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"

/* The entries one load makes, before they go into the SPD. */
struct entries {
	struct spd_mmpolicy *mm;
	size_t nmm;
	struct spd_qmpolicy *qm;
	size_t nqm;
	struct spd_rule *rules;
	size_t nrules;
};

struct agent {
	struct live *live;
	char *store_path;
	int64_t loaded_counter; /* -1: never loaded */
	unsigned poll_minutes;
	char applied[2 * STORE_NAME_MAX + 64];
	char error[512];
};

static void
entries_free(struct entries *e)
{
	free(e->mm);
	free(e->qm);
	if (e->rules != NULL)
		explicit_bzero(e->rules, e->nrules * sizeof(*e->rules));
	free(e->rules);
	memset(e, 0, sizeof(*e));
}

static void *
grow(void *v, size_t n, size_t size)
{
	return realloc(v, (n + 1) * size);
}

struct agent *
agent_new(struct live *live, const char *store_path)
{
	struct agent *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->live = live;
	a->store_path = store_path ? strdup(store_path) : store_default_path();
	a->loaded_counter = -1;
	a->poll_minutes = 180;
	snprintf(a->applied, sizeof(a->applied), "none");
	if (a->store_path == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

void
agent_free(struct agent *a)
{
	if (a == NULL)
		return;
	free(a->store_path);
	free(a);
}

unsigned
agent_poll_minutes(const struct agent *a)
{
	return a->poll_minutes;
}

const char *
agent_applied(const struct agent *a)
{
	return a->applied;
}

const char *
agent_error(const struct agent *a)
{
	return a->error;
}

/*
 * "static/<policy>" or "static/<policy>/<action>": the live names of
 * what the agent makes.  -1 if the names are too long together.
 */
static int
live_name(char *dst, size_t len, const char *policy, const char *action,
	  char *err, size_t errlen)
{
	int n = action ? snprintf(dst, len, "static/%s/%s", policy, action)
		       : snprintf(dst, len, "static/%s", policy);

	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "policy \"%.64s\": its name%s too long "
				      "for the live policy.",
			 policy, action ? " and its filter action's are" : " is");
		return -1;
	}
	return 0;
}

/* The quick mode policy of a filter action, made once per policy. */
static int
qm_of(struct entries *e, const char *policy,
      const struct store_filteraction *fa, char *name, size_t namelen,
      char *err, size_t errlen)
{
	struct spd_qmpolicy *q;
	char verr[VOCAB_ERR_MAX];

	if (live_name(name, namelen, policy, fa->name, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < e->nqm; i++)
		if (strcmp(e->qm[i].name, name) == 0)
			return 0;
	q = grow(e->qm, e->nqm, sizeof(*e->qm));
	if (q == NULL) {
		snprintf(err, errlen, "out of memory.");
		return -1;
	}
	e->qm = q;
	q = &e->qm[e->nqm];
	memset(q, 0, sizeof(*q));
	snprintf(q->name, sizeof(q->name), "%s", name);
	snprintf(q->origin, sizeof(q->origin), "%s", policy);
	q->soft = fa->soft;
	q->inpass = fa->inpass;
	/* qmpfs follows the main mode group (netsh). */
	q->pfsgroup = fa->qmpfs ? -1 : 0;
	snprintf(q->qmsecmethods, sizeof(q->qmsecmethods), "%s",
		 fa->qmsecmethods);
	if (vocab_qmsec_parse(fa->qmsecmethods, &q->methods, verr,
			      sizeof(verr), NULL, 0) < 0) {
		snprintf(err, errlen, "filter action \"%s\": %s", fa->name,
			 verr);
		return -1;
	}
	e->nqm++;
	return 0;
}

static bool
key_taken(const struct entries *e, const struct spd_rule_key *k)
{
	for (size_t i = 0; i < e->nrules; i++) {
		const struct spd_rule_key *o = &e->rules[i].key;
		if (strcmp(o->srcaddr, k->srcaddr) == 0 &&
		    strcmp(o->dstaddr, k->dstaddr) == 0 &&
		    strcmp(o->srcmask, k->srcmask) == 0 &&
		    strcmp(o->dstmask, k->dstmask) == 0 &&
		    o->protocol == k->protocol && o->srcport == k->srcport &&
		    o->dstport == k->dstport && o->mirrored == k->mirrored &&
		    o->conntype == k->conntype &&
		    strcmp(o->tunnel, k->tunnel) == 0)
			return true;
	}
	return false;
}

/* One active rule: an SPD rule per filter of its list. */
static int
add_rule(struct entries *e, struct store *st, const struct store_policy *p,
	 const struct store_rule *r, char *err, size_t errlen)
{
	struct store_filteraction fa;
	struct store_filter *f = NULL;
	size_t nf = 0;
	char qm[STORE_NAME_MAX];
	int rc = -1;

	if (store_filteraction_get(st, r->filteraction, &fa) < 0 ||
	    store_filter_list(st, r->filterlist, &f, &nf) < 0) {
		snprintf(err, errlen, "rule \"%s\": %s", r->name,
			 store_errmsg(st));
		return -1;
	}
	qm[0] = '\0';
	if (fa.action == STORE_ACTION_NEGOTIATE &&
	    qm_of(e, p->name, &fa, qm, sizeof(qm), err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < nf; i++) {
		struct spd_rule *x;
		struct spd_rule_key k;

		memset(&k, 0, sizeof(k));
		snprintf(k.srcaddr, sizeof(k.srcaddr), "%s", f[i].srcaddr);
		snprintf(k.dstaddr, sizeof(k.dstaddr), "%s", f[i].dstaddr);
		snprintf(k.srcmask, sizeof(k.srcmask), "%s", f[i].srcmask);
		snprintf(k.dstmask, sizeof(k.dstmask), "%s", f[i].dstmask);
		k.protocol = f[i].protocol;
		k.srcport = f[i].srcport;
		k.dstport = f[i].dstport;
		k.mirrored = f[i].mirrored;
		k.conntype = r->conntype;
		snprintf(k.tunnel, sizeof(k.tunnel), "%s", r->tunnel);
		/* The same filter through two rules: the first one wins. */
		if (key_taken(e, &k)) {
			log_warn("policy agent: rule \"%s\" of policy \"%s\" "
				 "repeats a filter of an earlier rule; the "
				 "earlier one applies",
				 r->name, p->name);
			continue;
		}
		x = grow(e->rules, e->nrules, sizeof(*e->rules));
		if (x == NULL) {
			snprintf(err, errlen, "out of memory.");
			goto out;
		}
		e->rules = x;
		x = &e->rules[e->nrules++];
		memset(x, 0, sizeof(*x));
		x->key = k;
		if (live_name(x->mmpolicy, sizeof(x->mmpolicy), p->name, NULL,
			      err, errlen) < 0)
			goto out;
		snprintf(x->qmpolicy, sizeof(x->qmpolicy), "%s", qm);
		x->inbound = x->outbound = (enum spd_action)fa.action;
		x->nauth = r->nauth;
		memcpy(x->auth, r->auth, sizeof(x->auth));
		snprintf(x->origin, sizeof(x->origin), "%s/%s", p->name,
			 r->name);
	}
	rc = 0;
out:
	store_list_free(f, nf, sizeof(*f));
	return rc;
}

/* The entries of the assigned policy of the store's current location. */
static int
load_location(struct entries *e, struct store *st, bool *any,
	      unsigned *poll, char *names, size_t nameslen, char *err,
	      size_t errlen)
{
	struct store_policy p;
	struct store_rule *r = NULL;
	size_t nr = 0;
	struct spd_mmpolicy *m;
	char verr[VOCAB_ERR_MAX];
	int rc = -1;

	if (store_policy_assigned(st, &p) < 0)
		return 0; /* nothing assigned here */
	*any = true;
	if ((unsigned)p.pollinginterval < *poll)
		*poll = (unsigned)p.pollinginterval;
	snprintf(names + strlen(names), nameslen - strlen(names), "%s%s (%s)",
		 names[0] ? ", " : "", p.name,
		 store_location_name(store_get_location(st)));
	m = grow(e->mm, e->nmm, sizeof(*e->mm));
	if (m == NULL) {
		snprintf(err, errlen, "out of memory.");
		return -1;
	}
	e->mm = m;
	m = &e->mm[e->nmm];
	memset(m, 0, sizeof(*m));
	if (live_name(m->name, sizeof(m->name), p.name, NULL, err, errlen) <
	    0)
		return -1;
	snprintf(m->origin, sizeof(m->origin), "%s", p.name);
	m->mmlifetime = p.mmlifetime;
	m->qmpermm = p.mmpfs ? 1 : p.qmpermm;
	snprintf(m->mmsecmethods, sizeof(m->mmsecmethods), "%s",
		 p.mmsecmethods);
	if (vocab_mmsec_parse(p.mmsecmethods, &m->methods, verr, sizeof(verr),
			      NULL, 0) < 0) {
		snprintf(err, errlen, "policy \"%s\": %s", p.name, verr);
		return -1;
	}
	e->nmm++;
	if (store_rule_list(st, p.name, &r, &nr) < 0) {
		snprintf(err, errlen, "%s", store_errmsg(st));
		return -1;
	}
	/* The default response rule answers requests for which no rule
	 * exists; the responder here accepts only what the rules allow, so
	 * it adds nothing (netsh ignores it too since Vista). */
	for (size_t i = 0; i < nr; i++)
		if (!r[i].is_default && r[i].activate &&
		    add_rule(e, st, &p, &r[i], err, errlen) < 0)
			goto out;
	rc = 0;
out:
	store_list_free(r, nr, sizeof(*r));
	return rc;
}

/* Copies the agent's entries now in the SPD, to restore them. */
static int
save_current(struct spd *spd, struct entries *e)
{
	const struct spd_mmpolicy *m;
	const struct spd_qmpolicy *q;
	const struct spd_rule *r;

	memset(e, 0, sizeof(*e));
	for (size_t i = 0; (m = spd_mmpolicy_at(spd, i)) != NULL; i++)
		if (m->origin[0] != '\0') {
			void *g = grow(e->mm, e->nmm, sizeof(*e->mm));
			if (g == NULL)
				return -1;
			e->mm = g;
			e->mm[e->nmm++] = *m;
		}
	for (size_t i = 0; (q = spd_qmpolicy_at(spd, i)) != NULL; i++)
		if (q->origin[0] != '\0') {
			void *g = grow(e->qm, e->nqm, sizeof(*e->qm));
			if (g == NULL)
				return -1;
			e->qm = g;
			e->qm[e->nqm++] = *q;
		}
	for (size_t i = 0; (r = spd_rule_at(spd, i)) != NULL; i++)
		if (r->origin[0] != '\0') {
			void *g = grow(e->rules, e->nrules, sizeof(*e->rules));
			if (g == NULL)
				return -1;
			e->rules = g;
			e->rules[e->nrules++] = *r;
		}
	return 0;
}

/* Puts entries into the SPD (after spd_delete_agent). */
static int
apply(struct spd *spd, struct entries *e, char *err, size_t errlen)
{
	for (size_t i = 0; i < e->nmm; i++)
		if (spd_mmpolicy_add(spd, &e->mm[i], err, errlen) < 0)
			return -1;
	for (size_t i = 0; i < e->nqm; i++)
		if (spd_qmpolicy_add(spd, &e->qm[i], err, errlen) < 0)
			return -1;
	for (size_t i = 0; i < e->nrules; i++)
		if (spd_rule_add(spd, &e->rules[i], err, errlen) < 0) {
			char msg[1024];
			snprintf(msg, sizeof(msg), "rule %s: %s",
				 e->rules[i].origin, err);
			snprintf(err, errlen, "%s", msg);
			return -1;
		}
	return 0;
}

int
agent_sync(struct agent *a, bool force, char *err, size_t errlen)
{
	struct spd *spd = live_spd(a->live);
	struct entries fresh, old;
	struct store *st;
	char serr[512], names[sizeof(a->applied)] = "";
	unsigned poll = 43200;
	bool any = false;
	int64_t counter;
	int rc = -1;

	memset(&fresh, 0, sizeof(fresh));
	memset(&old, 0, sizeof(old));
	st = store_open(a->store_path, serr, sizeof(serr));
	if (st == NULL) {
		snprintf(err, errlen, "the store %s cannot be read: %s",
			 a->store_path, serr);
		goto out;
	}
	counter = store_change_counter(st);
	if (!force && counter == a->loaded_counter) {
		store_close(st);
		return 0;
	}
	store_set_location(st, STORE_LOC_PERSISTENT);
	if (load_location(&fresh, st, &any, &poll, names, sizeof(names), err,
			  errlen) < 0)
		goto out;
	store_set_location(st, STORE_LOC_LOCAL);
	if (load_location(&fresh, st, &any, &poll, names, sizeof(names), err,
			  errlen) < 0)
		goto out;
	if (save_current(spd, &old) < 0) {
		snprintf(err, errlen, "out of memory.");
		goto out;
	}
	/* Replace, compile; on any failure put the old entries back. */
	spd_delete_agent(spd);
	if (apply(spd, &fresh, err, errlen) < 0 ||
	    live_commit(a->live, err, errlen) < 0) {
		char ignore[256];
		spd_delete_agent(spd);
		apply(spd, &old, ignore, sizeof(ignore));
		live_commit(a->live, ignore, sizeof(ignore));
		goto out;
	}
	a->loaded_counter = counter;
	a->poll_minutes = any ? poll : 180;
	snprintf(a->applied, sizeof(a->applied), "%s",
		 any ? names : "none");
	rc = 1;
out:
	if (rc < 0)
		snprintf(a->error, sizeof(a->error), "%s", err);
	else
		a->error[0] = '\0';
	store_close(st);
	entries_free(&fresh);
	entries_free(&old);
	return rc;
}
