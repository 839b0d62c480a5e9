/*
 * satab.c - the runtime's immutable SA tables (rt_int.h): outbound SAs
 * by peer, inbound SAs by SPI.  Built by the control thread on every SA
 * change (O(number of SAs)), read by the workers without locks.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rt_int.h"
#include "sa.h"

struct peer_key {
	uint8_t tunnel;
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
};

struct out_ent {
	struct peer_key key;
	uint32_t hash;
	uint32_t start, count; /* in t->outs, newest first */
};

struct in_ent {
	uint32_t spi;
	uint32_t proto; /* DP_PROTO_ESP or DP_PROTO_AH */
	struct dp_sa *sa;
};

struct satab {
	struct dp_sa **all; /* one reference each */
	size_t nall;
	struct dp_sa **outs;  /* grouped by key, newest first in a group */
	struct out_ent *otab; /* hash of groups; count 0 = free */
	uint32_t omask;
	struct dp_sa **wild; /* transport SAs to a prefix, newest first */
	size_t nwild;
	struct in_ent *itab; /* sa NULL = free */
	uint32_t imask;
};

static bool
key_of_addr(bool tunnel, const struct dp_addr *a, struct peer_key *k)
{
	memset(k, 0, sizeof(*k));
	k->tunnel = tunnel;
	if (a->family == AF_INET) {
		k->family = 4;
		memcpy(k->addr, a->bytes, 4);
	} else if (a->family == AF_INET6) {
		k->family = 6;
		memcpy(k->addr, a->bytes, 16);
	} else {
		return false;
	}
	return true;
}

static uint32_t
key_hash(const struct peer_key *k)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const uint8_t *p = (const uint8_t *)k;
	size_t i;

	for (i = 0; i < sizeof(*k); i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return (uint32_t)(h ^ h >> 32);
}

bool
sa_peer_key(const struct dp_sa *sa, bool *tunnel, struct dp_addr *peer)
{
	if (sa->mode == DP_MODE_TUNNEL) {
		*tunnel = true;
		*peer = sa->tun_dst;
		return true;
	}
	*tunnel = false;
	if (sa->sel.dst.family == 0 ||
	    sa->sel.dst_plen < (sa->sel.dst.family == AF_INET ? 32 : 128))
		return false;
	memset(peer, 0, sizeof(*peer));
	peer->family = sa->sel.dst.family;
	memcpy(peer->bytes, sa->sel.dst.bytes,
	       peer->family == AF_INET ? 4 : 16);
	return true;
}

static bool
sa_key(const struct dp_sa *sa, struct peer_key *k)
{
	struct dp_addr peer;
	bool tunnel;

	return sa_peer_key(sa, &tunnel, &peer) && key_of_addr(tunnel, &peer, k);
}

static uint32_t
pow2_at_least(size_t n)
{
	uint32_t s = 8;

	while (s < 2 * n)
		s <<= 1;
	return s;
}

struct sortable {
	struct peer_key key;
	size_t order; /* position in all[]: higher = newer */
	struct dp_sa *sa;
};

static int
cmp_sortable(const void *a, const void *b)
{
	const struct sortable *x = a, *y = b;
	int c = memcmp(&x->key, &y->key, sizeof(x->key));

	if (c != 0)
		return c;
	return x->order > y->order ? -1 : x->order < y->order; /* newest
	                                                          first */
}

static const struct out_ent *
out_find(const struct satab *t, const struct peer_key *k)
{
	uint32_t h = key_hash(k), i;

	for (i = h & t->omask;; i = (i + 1) & t->omask) {
		const struct out_ent *e = &t->otab[i];

		if (e->count == 0)
			return NULL;
		if (e->hash == h && memcmp(&e->key, k, sizeof(*k)) == 0)
			return e;
	}
}

static uint32_t
in_hash(uint32_t spi, uint32_t proto)
{
	uint32_t h = (spi ^ proto << 30) * 0x9e3779b1u;

	return h ^ h >> 16;
}

static void
in_insert(struct satab *t, uint32_t spi, uint32_t proto, struct dp_sa *sa)
{
	uint32_t i;

	for (i = in_hash(spi, proto) & t->imask;; i = (i + 1) & t->imask) {
		struct in_ent *e = &t->itab[i];

		if (e->sa == NULL) {
			e->spi = spi;
			e->proto = proto;
			e->sa = sa;
			return;
		}
		if (e->spi == spi && e->proto == proto) {
			e->sa = sa; /* the newer one */
			return;
		}
	}
}

void
satab_free(struct satab *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nall; i++)
		dp_sa_put(t->all[i]);
	free(t->all);
	free(t->outs);
	free(t->otab);
	free(t->wild);
	free(t->itab);
	free(t);
}

struct satab *
satab_build(struct dp_sa *const *sas, size_t n)
{
	struct sortable *sv = NULL;
	struct satab *t;
	size_t i, nout = 0, nin = 0, nkeyed = 0, j;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (sas[i]->dir == DP_DIR_OUT)
			nout++;
		else
			nin++;
	}
	t->all = calloc(n + 1, sizeof(*t->all));
	t->outs = calloc(nout + 1, sizeof(*t->outs));
	t->wild = calloc(nout + 1, sizeof(*t->wild));
	sv = calloc(nout + 1, sizeof(*sv));
	t->omask = pow2_at_least(nout) - 1;
	t->otab = calloc((size_t)t->omask + 1, sizeof(*t->otab));
	t->imask = pow2_at_least(nin) - 1;
	t->itab = calloc((size_t)t->imask + 1, sizeof(*t->itab));
	if (t->all == NULL || t->outs == NULL || t->wild == NULL ||
	    sv == NULL || t->otab == NULL || t->itab == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		dp_sa_get(sas[i]);
		t->all[t->nall++] = sas[i];
	}
	for (i = 0; i < n; i++) {
		struct dp_sa *sa = sas[i];

		if (sa->dir == DP_DIR_IN) {
			if (sa->proto == DP_PROTO_ESP)
				in_insert(t, sa->spi, DP_PROTO_ESP, sa);
			else
				in_insert(t, sa->ah_spi, DP_PROTO_AH, sa);
			continue;
		}
		if (sa_key(sa, &sv[nkeyed].key)) {
			sv[nkeyed].order = i;
			sv[nkeyed].sa = sa;
			nkeyed++;
		}
	}
	/* Wildcards newest first. */
	for (i = n; i-- > 0;) {
		struct peer_key k;

		if (sas[i]->dir == DP_DIR_OUT && !sa_key(sas[i], &k))
			t->wild[t->nwild++] = sas[i];
	}
	qsort(sv, nkeyed, sizeof(*sv), cmp_sortable);
	for (i = 0; i < nkeyed; i = j) {
		uint32_t h = key_hash(&sv[i].key), s;

		for (j = i; j < nkeyed && memcmp(&sv[j].key, &sv[i].key,
		                                 sizeof(sv[i].key)) == 0;
		     j++)
			t->outs[j] = sv[j].sa;
		for (s = h & t->omask; t->otab[s].count != 0;
		     s = (s + 1) & t->omask)
			;
		t->otab[s].key = sv[i].key;
		t->otab[s].hash = h;
		t->otab[s].start = (uint32_t)i;
		t->otab[s].count = (uint32_t)(j - i);
	}
	free(sv);
	return t;
fail:
	free(sv);
	satab_free(t);
	return NULL;
}

struct dp_sa *
satab_out(const struct satab *t, bool tunnel, const struct dp_addr *peer,
          const struct dp_flow *f)
{
	const struct out_ent *e;
	struct peer_key k;
	size_t i;

	if (t == NULL || !key_of_addr(tunnel, peer, &k))
		return NULL;
	e = out_find(t, &k);
	if (e != NULL) {
		for (i = e->start; i < e->start + e->count; i++) {
			struct dp_sa *sa = t->outs[i];

			if (!dp_sa_hard_expired(sa) &&
			    dp_selector_match(&sa->sel, f))
				return sa;
		}
	}
	if (tunnel)
		return NULL;
	for (i = 0; i < t->nwild; i++) {
		struct dp_sa *sa = t->wild[i];

		if (sa->mode == DP_MODE_TRANSPORT && !dp_sa_hard_expired(sa) &&
		    dp_selector_match(&sa->sel, f))
			return sa;
	}
	return NULL;
}

bool
satab_has_peer(const struct satab *t, bool tunnel, const struct dp_addr *peer)
{
	struct dp_selector any;
	struct dp_flow f;
	struct peer_key k;
	size_t i;

	if (t == NULL || !key_of_addr(tunnel, peer, &k))
		return false;
	if (out_find(t, &k) != NULL)
		return true;
	if (tunnel)
		return false;
	/* A transport SA to a prefix serves the peer if the prefix holds
	 * it: compare destinations only. */
	memset(&f, 0, sizeof(f));
	f.dst = *peer;
	f.src.family = peer->family;
	for (i = 0; i < t->nwild; i++) {
		memset(&any, 0, sizeof(any));
		any.dst = t->wild[i]->sel.dst;
		any.dst_plen = t->wild[i]->sel.dst_plen;
		if (t->wild[i]->mode == DP_MODE_TRANSPORT &&
		    dp_selector_match(&any, &f))
			return true;
	}
	return false;
}

struct dp_sa *
satab_in(const struct satab *t, uint32_t spi, enum dp_proto proto)
{
	uint32_t i;

	if (t == NULL)
		return NULL;
	for (i = in_hash(spi, proto) & t->imask;; i = (i + 1) & t->imask) {
		const struct in_ent *e = &t->itab[i];

		if (e->sa == NULL)
			return NULL;
		if (e->spi == spi && e->proto == (uint32_t)proto)
			return e->sa;
	}
}
