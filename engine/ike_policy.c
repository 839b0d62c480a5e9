/*
 * ike_policy.c - what the negotiator keeps when the policy changes
 * (ike_policy_changed, ike.h).
 *
 * A pair survives when the policy would still accept it as a responder
 * accepts a proposal: the same selectors and mode find a rule, and its
 * transforms are among that rule's offers.  Lifetimes are not compared:
 * a pair runs to the end it was negotiated with.  A main mode SA
 * survives while some rule still covers its peer with its suite and
 * authentication method.  What does not survive is deleted with a
 * delete notification, so the peer drops it too; the next packet of its
 * flow negotiates under the new policy.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "ike_int.h"

/* Transforms equal; lifetimes aside. */
static bool
same_transforms(const struct ike_qm_offer *a, const struct ike_qm_offer *b)
{
	return a->ah == b->ah && a->esp == b->esp &&
	       (!a->ah || a->ah_auth == b->ah_auth) &&
	       (!a->esp || (a->esp_enc == b->esp_enc &&
			    a->esp_keybits == b->esp_keybits &&
			    a->esp_auth == b->esp_auth));
}

static bool
child_allowed(struct ike *ike, const struct ike_child *c)
{
	const struct ike_env *env = ike->env;
	struct ike_qm_conf conf;
	struct ike_qm_query q;
	bool ok = false;

	memset(&q, 0, sizeof(q));
	q.local_ts = &c->info.local_ts;
	q.remote_ts = &c->info.remote_ts;
	q.tunnel = c->info.mode == DP_MODE_TUNNEL;
	q.local = c->info.local;
	q.peer = c->info.peer;
	memset(&conf, 0, sizeof(conf));
	if (env->qm_policy(env->arg, &q, &conf) == 0) {
		for (size_t i = 0; i < conf.noffers && !ok; i++)
			ok = same_transforms(&conf.offers[i], &c->info.offer);
		/* A soft association lasts only while soft=yes holds. */
		if (c->info.soft)
			ok = conf.soft;
	}
	return ok;
}

static bool
isa_allowed(struct ike *ike, const struct ike_isa *sa)
{
	const struct ike_env *env = ike->env;
	struct ike_mm_conf *conf = calloc(1, sizeof(*conf));
	bool suite = false, auth = false;

	if (conf == NULL)
		return true; /* keep what works rather than guess */
	if (env->mm_policy(env->arg, &sa->local, &sa->remote, conf) == 0) {
		for (size_t i = 0; i < conf->noffers; i++) {
			const struct ike_mm_offer *o = &conf->offers[i];
			suite |= o->enc == sa->offer.enc &&
				 o->keybits == sa->offer.keybits &&
				 o->hash == sa->offer.hash &&
				 o->group == sa->offer.group;
		}
		for (size_t i = 0; i < conf->nauths; i++)
			auth |= conf->auths[i].method == sa->auth_method;
	}
	OPENSSL_cleanse(conf, sizeof(*conf)); /* PSKs */
	free(conf);
	return suite && auth;
}

size_t
ike_policy_changed(struct ike *ike)
{
	size_t n = 0;

	ike->now = ike->env->now_ms(ike->env->arg);
	for (struct ike_child *c = ike->children; c != NULL; c = c->next)
		if (!c->dead && !child_allowed(ike, c)) {
			ike_child_delete(ike, c, true);
			n++;
		}
	for (struct ike_isa *sa = ike->sas; sa != NULL; sa = sa->next)
		if (!sa->dead && sa->step == IKE_MM_DONE &&
		    !isa_allowed(ike, sa)) {
			ike_info_delete_isakmp(sa);
			ike_sa_kill(sa);
			n++;
		}
	ike_reap(ike);
	return n;
}
