/*
 * spd.c - the live security policy database (see spd.h).
 */
#include "spd.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/*
 * A set of named policies kept sorted by name (case-insensitive), as an
 * array of pointers: both policy kinds start with their name.
 */
struct named_set {
	void **v;
	size_t n;
	size_t size;	  /* of one policy */
	const char *what; /* "main mode policy" */
	bool mm;	  /* which rule field refers to it */
};

struct spd {
	struct named_set mm, qm;
	struct spd_rule **rules; /* pointers stay put: filters point here */
	size_t nrules;
	unsigned next_id;
	uint64_t generation;
};

/* The sets reach name and origin of either policy kind alike. */
_Static_assert(offsetof(struct spd_mmpolicy, origin) ==
		       offsetof(struct spd_qmpolicy, origin),
	       "policy kinds must place origin alike");

struct spd *
spd_new(void)
{
	struct spd *spd = calloc(1, sizeof(*spd));

	if (spd == NULL)
		return NULL;
	spd->next_id = 1;
	spd->mm = (struct named_set){.size = sizeof(struct spd_mmpolicy),
				     .what = "main mode policy", .mm = true};
	spd->qm = (struct named_set){.size = sizeof(struct spd_qmpolicy),
				     .what = "quick mode policy"};
	return spd;
}

static void
rule_free(struct spd_rule *r)
{
	if (r == NULL)
		return;
	explicit_bzero(r, sizeof(*r));
	free(r);
}

static void
set_clear(struct named_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

void
spd_delete_all(struct spd *spd)
{
	for (size_t i = 0; i < spd->nrules; i++)
		rule_free(spd->rules[i]);
	free(spd->rules);
	spd->rules = NULL;
	spd->nrules = 0;
	set_clear(&spd->mm);
	set_clear(&spd->qm);
	spd->generation++;
}

void
spd_delete_agent(struct spd *spd)
{
	size_t kept = 0;

	for (size_t i = 0; i < spd->nrules; i++) {
		if (spd->rules[i]->origin[0] != '\0')
			rule_free(spd->rules[i]);
		else
			spd->rules[kept++] = spd->rules[i];
	}
	spd->nrules = kept;
	for (struct named_set *set = &spd->mm;; set = &spd->qm) {
		kept = 0;
		for (size_t i = 0; i < set->n; i++) {
			const char *origin = (const char *)set->v[i] +
					     offsetof(struct spd_mmpolicy,
						      origin);
			if (origin[0] != '\0')
				free(set->v[i]);
			else
				set->v[kept++] = set->v[i];
		}
		set->n = kept;
		if (set == &spd->qm)
			break;
	}
	spd->generation++;
}

void
spd_free(struct spd *spd)
{
	if (spd == NULL)
		return;
	spd_delete_all(spd);
	free(spd);
}

uint64_t
spd_generation(const struct spd *spd)
{
	return spd->generation;
}

/* ---- policies ------------------------------------------------------- */

/* Index of name in the set, or where it would go. */
static size_t
set_slot(const struct named_set *set, const char *name, bool *found)
{
	size_t lo = 0, hi = set->n;

	*found = false;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcasecmp(name, (const char *)set->v[mid]);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static void *
set_get(const struct named_set *set, const char *name)
{
	bool found;
	size_t at = set_slot(set, name, &found);

	return found ? set->v[at] : NULL;
}

static int
set_add(struct spd *spd, struct named_set *set, const void *p, char *err,
	size_t errlen)
{
	const char *name = p;
	bool found;
	size_t at = set_slot(set, name, &found);
	void **grown, *copy;

	if (found) {
		snprintf(err, errlen, "%s \"%s\" already exists.", set->what,
			 name);
		return -1;
	}
	copy = malloc(set->size);
	grown = realloc(set->v, (set->n + 1) * sizeof(*grown));
	if (grown != NULL)
		set->v = grown;
	if (copy == NULL || grown == NULL) {
		free(copy);
		snprintf(err, errlen, "out of memory.");
		return -1;
	}
	memcpy(copy, p, set->size);
	memmove(&set->v[at + 1], &set->v[at], (set->n - at) * sizeof(*set->v));
	set->v[at] = copy;
	set->n++;
	spd->generation++;
	return 0;
}

static int
set_replace(struct spd *spd, struct named_set *set, const void *p,
	    char *err, size_t errlen)
{
	void *cur = set_get(set, p);

	if (cur == NULL) {
		snprintf(err, errlen, "%s \"%s\" does not exist.", set->what,
			 (const char *)p);
		return -1;
	}
	memcpy(cur, p, set->size);
	spd->generation++;
	return 0;
}

const struct spd_rule *
spd_policy_user(const struct spd *spd, const char *name, bool mm)
{
	for (size_t i = 0; i < spd->nrules; i++) {
		const struct spd_rule *r = spd->rules[i];
		if (strcasecmp(mm ? r->mmpolicy : r->qmpolicy, name) == 0)
			return r;
	}
	return NULL;
}

static int
set_delete(struct spd *spd, struct named_set *set, const char *name,
	   char *err, size_t errlen)
{
	bool found;
	size_t at = set_slot(set, name, &found);
	const struct spd_rule *user;

	if (!found) {
		snprintf(err, errlen, "%s \"%s\" does not exist.", set->what,
			 name);
		return -1;
	}
	user = spd_policy_user(spd, name, set->mm);
	if (user != NULL) {
		snprintf(err, errlen, "%s \"%s\" is used by rule %u (%s to %s) "
				      "and cannot be deleted.",
			 set->what, (const char *)set->v[at], user->id,
			 user->key.srcaddr, user->key.dstaddr);
		return -1;
	}
	free(set->v[at]);
	memmove(&set->v[at], &set->v[at + 1],
		(set->n - at - 1) * sizeof(*set->v));
	set->n--;
	spd->generation++;
	return 0;
}

int
spd_mmpolicy_add(struct spd *spd, const struct spd_mmpolicy *p, char *err,
		 size_t errlen)
{
	return set_add(spd, &spd->mm, p, err, errlen);
}

int
spd_mmpolicy_set(struct spd *spd, const struct spd_mmpolicy *p, char *err,
		 size_t errlen)
{
	return set_replace(spd, &spd->mm, p, err, errlen);
}

int
spd_mmpolicy_delete(struct spd *spd, const char *name, char *err,
		    size_t errlen)
{
	return set_delete(spd, &spd->mm, name, err, errlen);
}

const struct spd_mmpolicy *
spd_mmpolicy_get(const struct spd *spd, const char *name)
{
	return set_get(&spd->mm, name);
}

const struct spd_mmpolicy *
spd_mmpolicy_at(const struct spd *spd, size_t i)
{
	return i < spd->mm.n ? spd->mm.v[i] : NULL;
}

int
spd_qmpolicy_add(struct spd *spd, const struct spd_qmpolicy *p, char *err,
		 size_t errlen)
{
	return set_add(spd, &spd->qm, p, err, errlen);
}

int
spd_qmpolicy_set(struct spd *spd, const struct spd_qmpolicy *p, char *err,
		 size_t errlen)
{
	return set_replace(spd, &spd->qm, p, err, errlen);
}

int
spd_qmpolicy_delete(struct spd *spd, const char *name, char *err,
		    size_t errlen)
{
	return set_delete(spd, &spd->qm, name, err, errlen);
}

const struct spd_qmpolicy *
spd_qmpolicy_get(const struct spd *spd, const char *name)
{
	return set_get(&spd->qm, name);
}

const struct spd_qmpolicy *
spd_qmpolicy_at(const struct spd *spd, size_t i)
{
	return i < spd->qm.n ? spd->qm.v[i] : NULL;
}

/* ---- rules ------------------------------------------------------------ */

static bool
key_equal(const struct spd_rule_key *a, const struct spd_rule_key *b)
{
	return strcasecmp(a->srcaddr, b->srcaddr) == 0 &&
	       strcasecmp(a->dstaddr, b->dstaddr) == 0 &&
	       strcmp(a->srcmask, b->srcmask) == 0 &&
	       strcmp(a->dstmask, b->dstmask) == 0 &&
	       a->protocol == b->protocol && a->srcport == b->srcport &&
	       a->dstport == b->dstport && a->mirrored == b->mirrored &&
	       a->conntype == b->conntype &&
	       strcasecmp(a->tunnel, b->tunnel) == 0;
}

static ssize_t
rule_index(const struct spd *spd, const struct spd_rule_key *key)
{
	for (size_t i = 0; i < spd->nrules; i++)
		if (key_equal(&spd->rules[i]->key, key))
			return (ssize_t)i;
	return -1;
}

/* What a rule does must name existing policies. */
static int
check_rule(const struct spd *spd, const struct spd_rule *r, char *err,
	   size_t errlen)
{
	bool negotiates = r->inbound == SPD_NEGOTIATE ||
			  r->outbound == SPD_NEGOTIATE;

	if (spd_mmpolicy_get(spd, r->mmpolicy) == NULL) {
		snprintf(err, errlen, "main mode policy \"%s\" does not exist.",
			 r->mmpolicy);
		return -1;
	}
	if (r->qmpolicy[0] != '\0' &&
	    spd_qmpolicy_get(spd, r->qmpolicy) == NULL) {
		snprintf(err, errlen,
			 "quick mode policy \"%s\" does not exist.",
			 r->qmpolicy);
		return -1;
	}
	if (negotiates && r->qmpolicy[0] == '\0') {
		snprintf(err, errlen, "a rule that negotiates needs a quick "
				      "mode policy (qmpolicy=).");
		return -1;
	}
	if (negotiates && r->nauth == 0) {
		snprintf(err, errlen, "a rule that negotiates needs an "
				      "authentication method: psk= or "
				      "rootca=.");
		return -1;
	}
	return 0;
}

int
spd_rule_add(struct spd *spd, struct spd_rule *r, char *err, size_t errlen)
{
	struct spd_rule *copy, **grown;

	if (rule_index(spd, &r->key) >= 0) {
		snprintf(err, errlen, "a rule with these filter values "
				      "already exists.");
		return -1;
	}
	if (check_rule(spd, r, err, errlen) < 0)
		return -1;
	copy = malloc(sizeof(*copy));
	grown = realloc(spd->rules, (spd->nrules + 1) * sizeof(*grown));
	if (grown != NULL)
		spd->rules = grown;
	if (copy == NULL || grown == NULL) {
		free(copy);
		snprintf(err, errlen, "out of memory.");
		return -1;
	}
	r->id = spd->next_id++;
	*copy = *r;
	spd->rules[spd->nrules++] = copy;
	spd->generation++;
	return 0;
}

int
spd_rule_set(struct spd *spd, const struct spd_rule *r, char *err,
	     size_t errlen)
{
	ssize_t i = rule_index(spd, &r->key);
	struct spd_rule *cur;

	if (i < 0) {
		snprintf(err, errlen, "no rule has these filter values.");
		return -1;
	}
	if (check_rule(spd, r, err, errlen) < 0)
		return -1;
	cur = spd->rules[i];
	memcpy(cur->mmpolicy, r->mmpolicy, sizeof(cur->mmpolicy));
	memcpy(cur->qmpolicy, r->qmpolicy, sizeof(cur->qmpolicy));
	cur->inbound = r->inbound;
	cur->outbound = r->outbound;
	explicit_bzero(cur->auth, sizeof(cur->auth));
	memcpy(cur->auth, r->auth, sizeof(cur->auth));
	cur->nauth = r->nauth;
	spd->generation++;
	return 0;
}

int
spd_rule_delete(struct spd *spd, const struct spd_rule_key *key, char *err,
		size_t errlen)
{
	ssize_t i = rule_index(spd, key);

	if (i < 0) {
		snprintf(err, errlen, "no rule has these filter values.");
		return -1;
	}
	rule_free(spd->rules[i]);
	memmove(&spd->rules[i], &spd->rules[i + 1],
		(spd->nrules - (size_t)i - 1) * sizeof(*spd->rules));
	spd->nrules--;
	spd->generation++;
	return 0;
}

const struct spd_rule *
spd_rule_find(const struct spd *spd, const struct spd_rule_key *key)
{
	ssize_t i = rule_index(spd, key);

	return i < 0 ? NULL : spd->rules[i];
}

const struct spd_rule *
spd_rule_at(const struct spd *spd, size_t i)
{
	return i < spd->nrules ? spd->rules[i] : NULL;
}

/* ---- filters ---------------------------------------------------------- */

size_t
spd_qmfilters(const struct spd *spd, struct spd_qmfilter *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < spd->nrules; i++) {
		const struct spd_rule *r = spd->rules[i];
		for (int dir = 0; dir < (r->key.mirrored ? 2 : 1); dir++) {
			struct spd_qmfilter *f;
			bool in = dir == 1; /* the mirror swaps the sides */
			if (n == max)
				return n;
			f = &out[n++];
			memset(f, 0, sizeof(*f));
			f->rule = r;
			f->mirror = in;
			snprintf(f->srcaddr, sizeof(f->srcaddr), "%s",
				 in ? r->key.dstaddr : r->key.srcaddr);
			snprintf(f->dstaddr, sizeof(f->dstaddr), "%s",
				 in ? r->key.srcaddr : r->key.dstaddr);
			snprintf(f->srcmask, sizeof(f->srcmask), "%s",
				 in ? r->key.dstmask : r->key.srcmask);
			snprintf(f->dstmask, sizeof(f->dstmask), "%s",
				 in ? r->key.srcmask : r->key.dstmask);
			f->srcport = in ? r->key.dstport : r->key.srcport;
			f->dstport = in ? r->key.srcport : r->key.dstport;
			snprintf(f->name, sizeof(f->name), "QMFilter-%u%s",
				 r->id, in ? "-mirror" : "");
		}
	}
	return n;
}

#define EXPAND_MAX 256

typedef unsigned __int128 u128;

static u128
addr_num(const struct ip_addr *a)
{
	int bytes = a->family == AF_INET ? 4 : 16;
	u128 v = 0;

	for (int i = 0; i < bytes; i++)
		v = (v << 8) | a->bytes[i];
	return v;
}

static void
num_addr(u128 v, int family, struct ip_addr *a)
{
	int bytes = family == AF_INET ? 4 : 16;

	memset(a, 0, sizeof(*a));
	a->family = family;
	for (int i = bytes - 1; i >= 0; i--) {
		a->bytes[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

/*
 * The smallest set of prefixes that covers lo..hi exactly (at most two
 * per bit of address).
 */
static int
range_prefixes(const struct ip_addr *lo, const struct ip_addr *hi,
	       struct ip_addr *addrs, uint8_t *plens, size_t max, char *err,
	       size_t errlen)
{
	int bits = lo->family == AF_INET ? 32 : 128;
	u128 cur = addr_num(lo), end = addr_num(hi);
	size_t n = 0;

	for (;;) {
		int size = 0; /* log2 of the block at cur */
		/* size stays below 128: a shift by 128 is undefined (the
		 * whole IPv6 space then takes two /1 prefixes). */
		while (size < bits && size + 1 < 128) {
			u128 block = (u128)1 << (size + 1);
			if ((cur & (block - 1)) != 0 || cur + (block - 1) > end ||
			    cur + (block - 1) < cur)
				break;
			size++;
		}
		if (n == max) {
			snprintf(err, errlen, "the range needs more than %zu "
					      "prefixes.", max);
			return -1;
		}
		num_addr(cur, lo->family, &addrs[n]);
		plens[n++] = (uint8_t)(bits - size);
		if (size == bits || cur + (((u128)1 << size) - 1) >= end)
			break;
		cur += (u128)1 << size;
	}
	return (int)n;
}

/* The addresses text stands for, as (address, prefix) pairs. */
static int
expand(const struct spd_resolver *res, const char *text, const char *mask,
       struct ip_addr *addrs, uint8_t *plens, size_t max, char *err,
       size_t errlen)
{
	struct addr_spec as;
	struct ip_addr tmp[EXPAND_MAX];
	int n, plen = vocab_mask_prefix(mask);

	if (vocab_addr_parse(text, &as, err, errlen) < 0)
		return -1;
	switch (as.kind) {
	case ADDR_ANY:
		memset(&addrs[0], 0, sizeof(addrs[0]));
		plens[0] = 0;
		return 1;
	case ADDR_IP:
		addrs[0] = as.lo;
		plens[0] = (uint8_t)(plen < 0 ? (as.lo.family == AF_INET ? 32
									 : 128)
					      : plen);
		return 1;
	case ADDR_RANGE:
		return range_prefixes(&as.lo, &as.hi, addrs, plens, max, err,
				      errlen);
	case ADDR_ME:
		n = res->local_addrs(res->arg, tmp, EXPAND_MAX);
		break;
	case ADDR_DNS:
		n = res->dns(res->arg, as.dns, tmp, EXPAND_MAX, err, errlen);
		break;
	default:
		n = res->server_addrs(res->arg, as.kind, tmp, EXPAND_MAX, err,
				      errlen);
		break;
	}
	if (n < 0)
		return -1;
	for (int i = 0; i < n && (size_t)i < max; i++) {
		addrs[i] = tmp[i];
		plens[i] = tmp[i].family == AF_INET ? 32 : 128;
		if (as.kind == ADDR_DNS && plen >= 0 &&
		    tmp[i].family == AF_INET)
			plens[i] = (uint8_t)plen;
	}
	return n < (int)max ? n : (int)max;
}

/* Sort key: more specific filters first. */
static int
specificity(const struct spd_specific *s)
{
	return (s->src_plen + s->dst_plen) * 8 + (s->protocol ? 4 : 0) +
	       (s->srcport ? 1 : 0) + (s->dstport ? 1 : 0);
}

static int
by_specificity(const void *a, const void *b)
{
	const struct spd_specific *x = a, *y = b;
	int d = specificity(y) - specificity(x);

	if (d != 0)
		return d;
	/* Stable among equals: rule order, the filter before its mirror. */
	if (x->rule->id != y->rule->id)
		return x->rule->id < y->rule->id ? -1 : 1;
	return (int)x->mirror - (int)y->mirror;
}

long
spd_compile(const struct spd *spd, const struct spd_resolver *res,
	    struct spd_specific *out, size_t max, char *err, size_t errlen)
{
	struct spd_qmfilter *gen;
	size_t ngen, n = 0;
	long rc = -1;

	gen = calloc(2 * spd->nrules + 1, sizeof(*gen));
	if (gen == NULL) {
		snprintf(err, errlen, "out of memory.");
		return -1;
	}
	ngen = spd_qmfilters(spd, gen, 2 * spd->nrules);
	for (size_t i = 0; i < ngen; i++) {
		const struct spd_qmfilter *f = &gen[i];
		const struct spd_rule *r = f->rule;
		struct ip_addr src[EXPAND_MAX], dst[EXPAND_MAX], tun;
		uint8_t sp[EXPAND_MAX], dp[EXPAND_MAX];
		int ns, nd;

		ns = expand(res, f->srcaddr, f->srcmask, src, sp, EXPAND_MAX,
			    err, errlen);
		nd = ns < 0 ? -1
			    : expand(res, f->dstaddr, f->dstmask, dst, dp,
				     EXPAND_MAX, err, errlen);
		if (ns < 0 || nd < 0)
			goto out;
		memset(&tun, 0, sizeof(tun));
		if (r->key.tunnel[0] != '\0') {
			uint8_t tp;
			if (expand(res, r->key.tunnel, "", &tun, &tp, 1, err,
				   errlen) < 1)
				goto out;
		}
		for (int s = 0; s < ns; s++)
			for (int d = 0; d < nd; d++) {
				struct spd_specific *o;
				/* One family per filter; "any" fits both. */
				if (src[s].family && dst[d].family &&
				    src[s].family != dst[d].family)
					continue;
				if (n == max) {
					snprintf(err, errlen,
						 "more than %zu specific "
						 "filters.", max);
					goto out;
				}
				o = &out[n++];
				memset(o, 0, sizeof(*o));
				o->rule = r;
				o->mirror = f->mirror;
				o->src = src[s];
				o->src_plen = sp[s];
				o->dst = dst[d];
				o->dst_plen = dp[d];
				o->protocol = (uint8_t)r->key.protocol;
				o->srcport = (uint16_t)f->srcport;
				o->dstport = (uint16_t)f->dstport;
				o->inbound = r->inbound;
				o->outbound = r->outbound;
				o->tunnel = r->key.tunnel[0] != '\0';
				o->tunnel_dst = tun;
			}
	}
	qsort(out, n, sizeof(*out), by_specificity);
	rc = (long)n;
out:
	free(gen);
	return rc;
}
