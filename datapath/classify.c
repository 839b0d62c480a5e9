/*
 * classify.c - the quick mode filter classifier: first match in the
 * given order, at a cost that does not grow with the number of filters.
 *
 * Three levels of hash tables, each level a "tuple space" with
 * priorities (as in Open vSwitch's classifier, but nested so that the
 * number of distinct prefix lengths does not multiply):
 *   1. destination (family, prefix length) groups: the flow's masked
 *      destination is looked up per group, giving a bucket of the
 *      filters with exactly that destination prefix;
 *   2. in a bucket, the source (family, prefix length) shapes present:
 *      the masked source gives a leaf of the filters with exactly that
 *      source and destination prefix;
 *   3. in a leaf, the protocol/port shapes present (which of protocol,
 *      source port and destination port are set, 8 at most): the masked
 *      (protocol, ports) give the first filter of the leaf with them.
 * The priority of a filter is its index (lower wins).  Each group,
 * bucket shape and leaf shape remembers the lowest index below it and
 * the lists are kept in that order, so the search stops as soon as
 * nothing further can beat the best match so far.  A lookup costs one
 * probe per destination prefix length in use, plus the source prefix
 * lengths and port shapes present in the few buckets and leaves the
 * flow's addresses actually hit: bounded by the address lengths, never
 * by the number of filters.
 *
 * Equivalence with the linear scan of dp_selector_match(): the masked
 * keys compare exactly what prefix_match() compares (plen bits of each
 * address when the family is set, plen clamped to the family's length;
 * nothing when the family is 0), and protocol and ports exactly when
 * the filter sets them.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "runtime.h"

#define DP_X_NAME2(id, name) name,
static const char *const action_names[] = {DP_ACTIONS(DP_X_NAME2)};

const char *
dp_action_name(enum dp_action a)
{
	if ((unsigned)a >= sizeof(action_names) / sizeof(action_names[0]))
		return "?";
	return action_names[a];
}

#define NONE UINT32_MAX

/* An address shape: family code (0 any, 1 IPv4, 2 IPv6) and length. */
#define ASHAPE(fc, plen) ((uint16_t)((fc)*129u + (plen)))
#define ASHAPE_FC(s) ((s) / 129u)
#define ASHAPE_PLEN(s) ((s) % 129u)
#define ASHAPES (3u * 129u)

/* Port shapes: bit 0 protocol, bit 1 source port, bit 2 dest port. */
#define PS_PROTO 1u
#define PS_SPORT 2u
#define PS_DPORT 4u

enum { K_BUCKET = 1, K_LEAF = 2, K_PORTS = 3 };

/* One key type for the three levels (kind tells them apart). */
struct cls_key {
	uint32_t parent; /* level 2: bucket; level 3: leaf */
	uint16_t shape;  /* address shape, or port shape */
	uint8_t kind;
	uint8_t proto;
	uint16_t sport, dport;
	uint32_t pad;
	uint8_t addr[16];
};
_Static_assert(sizeof(struct cls_key) == 32, "cls_key is four words");

struct cls_ent {
	struct cls_key key;
	uint32_t val; /* bucket / leaf number, or filter index; NONE free */
	uint32_t hash;
};

/* (shape, lowest filter index below it), kept in order of min. */
struct cls_sub {
	uint16_t shape;
	uint32_t min;
};

/* A bucket's source shapes or a leaf's port shapes: a slice of subs. */
struct cls_node {
	uint32_t min;
	uint32_t first, count; /* in the level's sub array */
};

struct dp_classifier {
	struct dp_filter *filters;
	size_t n;
	/* Level 1: destination groups present, per flow family. */
	struct cls_sub *g4, *g6;
	size_t ng4, ng6, ngroups;
	/* Buckets and leaves, with their sub-shape lists. */
	struct cls_node *buckets, *leaves;
	size_t nbuckets, nleaves;
	struct cls_sub *bsubs, *lsubs; /* bucket->source shapes, leaf->ports */
	/* One hash table for every level. */
	struct cls_ent *tab;
	uint32_t mask;
};

/* Byte masks of every prefix length. */
static uint8_t plen_mask[129][16];
static pthread_once_t plen_once = PTHREAD_ONCE_INIT;

static void
plen_init(void)
{
	unsigned p, i;

	for (p = 0; p <= 128; p++)
		for (i = 0; i < 16; i++) {
			if (p >= (i + 1) * 8)
				plen_mask[p][i] = 0xff;
			else if (p > i * 8)
				plen_mask[p][i] =
				    (uint8_t)(0xff00u >> (p - i * 8));
		}
}

static bool
fam_ok(int fam)
{
	return fam == 0 || fam == AF_INET || fam == AF_INET6;
}

static unsigned
fam_code(int fam)
{
	return fam == AF_INET ? 1 : fam == AF_INET6 ? 2 : 0;
}

/* The address shape of one side of a selector, as prefix_match()
 * reads it. */
static uint16_t
ashape(const struct dp_addr *a, uint8_t plen)
{
	unsigned max = a->family == AF_INET ? 32 : 128;

	if (a->family == 0)
		return ASHAPE(0, 0);
	return ASHAPE(fam_code(a->family), plen > max ? max : plen);
}

static inline void
mask_addr(uint8_t *out, const uint8_t *a, unsigned plen)
{
	uint64_t w[2], m[2];

	memcpy(w, a, 16);
	memcpy(m, plen_mask[plen], 16);
	w[0] &= m[0];
	w[1] &= m[1];
	memcpy(out, w, 16);
}

static inline uint32_t
key_hash(const struct cls_key *k)
{
	uint64_t w[4], h = 0x9e3779b97f4a7c15ull;
	unsigned i;

	memcpy(w, k, sizeof(w));
	for (i = 0; i < 4; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)h;
}

static inline void
key_addr(struct cls_key *k, uint8_t kind, uint32_t parent, uint16_t shape,
         const uint8_t *addr)
{
	memset(k, 0, sizeof(*k));
	k->kind = kind;
	k->parent = parent;
	k->shape = shape;
	mask_addr(k->addr, addr, ASHAPE_PLEN(shape));
}

static inline void
key_ports(struct cls_key *k, uint32_t leaf, unsigned ps, uint8_t proto,
          uint16_t sport, uint16_t dport)
{
	memset(k, 0, sizeof(*k));
	k->kind = K_PORTS;
	k->parent = leaf;
	k->shape = (uint16_t)ps;
	if (ps & PS_PROTO)
		k->proto = proto;
	if (ps & PS_SPORT)
		k->sport = sport;
	if (ps & PS_DPORT)
		k->dport = dport;
}

static inline uint32_t
tab_find(const struct dp_classifier *c, const struct cls_key *k)
{
	uint32_t h = key_hash(k), i;

	for (i = h & c->mask;; i = (i + 1) & c->mask) {
		const struct cls_ent *e = &c->tab[i];

		if (e->val == NONE)
			return NONE;
		if (e->hash == h && memcmp(&e->key, k, sizeof(*k)) == 0)
			return e->val;
	}
}

/* Inserts k -> val unless k is there; returns the value in force. */
static uint32_t
tab_add(struct dp_classifier *c, const struct cls_key *k, uint32_t val)
{
	uint32_t h = key_hash(k), i;

	for (i = h & c->mask;; i = (i + 1) & c->mask) {
		struct cls_ent *e = &c->tab[i];

		if (e->val == NONE) {
			e->key = *k;
			e->val = val;
			e->hash = h;
			return val;
		}
		if (e->hash == h && memcmp(&e->key, k, sizeof(*k)) == 0)
			return e->val;
	}
}

void
dp_classifier_free(struct dp_classifier *c)
{
	if (c == NULL)
		return;
	free(c->filters);
	free(c->g4);
	free(c->g6);
	free(c->buckets);
	free(c->leaves);
	free(c->bsubs);
	free(c->lsubs);
	free(c->tab);
	free(c);
}

static bool
filter_ok(const struct dp_filter *f)
{
	return fam_ok(f->sel.src.family) && fam_ok(f->sel.dst.family) &&
	       (unsigned)f->inbound <= DP_ACT_NEGOTIATE &&
	       (unsigned)f->outbound <= DP_ACT_NEGOTIATE &&
	       (!f->tunnel || f->tunnel_dst.family == AF_INET ||
	        f->tunnel_dst.family == AF_INET6);
}

/* A filter whose two families are set and differ matches nothing. */
static bool
filter_void(const struct dp_filter *f)
{
	return f->sel.src.family != 0 && f->sel.dst.family != 0 &&
	       f->sel.src.family != f->sel.dst.family;
}

static unsigned
port_shape(const struct dp_selector *s)
{
	return (s->proto != 0 ? PS_PROTO : 0) | (s->sport != 0 ? PS_SPORT : 0) |
	       (s->dport != 0 ? PS_DPORT : 0);
}

/*
 * Adds shape to a node's sub list if new.  Filters arrive in order, so
 * a shape's min is its first filter and appending keeps min order.  The
 * lists are built per node in scratch arrays of linked entries, then
 * flattened.
 */
struct scratch {
	uint16_t shape;
	uint32_t min;
	uint32_t next; /* next sub of the same node */
};

struct scratch_list {
	uint32_t head, tail;
};

static void
sub_add(struct scratch *subs, size_t *nsubs, struct scratch_list *l,
        uint16_t shape, uint32_t idx)
{
	uint32_t i;

	for (i = l->head; i != NONE; i = subs[i].next)
		if (subs[i].shape == shape)
			return;
	i = (uint32_t)(*nsubs)++;
	subs[i].shape = shape;
	subs[i].min = idx;
	subs[i].next = NONE;
	if (l->tail != NONE)
		subs[l->tail].next = i;
	else
		l->head = i;
	l->tail = i;
}

static void
flatten(const struct scratch *subs, const struct scratch_list *lists,
        size_t nlists, struct cls_node *nodes, struct cls_sub *out)
{
	uint32_t pos = 0, i;
	size_t j;

	for (j = 0; j < nlists; j++) {
		nodes[j].first = pos;
		nodes[j].count = 0;
		for (i = lists[j].head; i != NONE; i = subs[i].next) {
			out[pos].shape = subs[i].shape;
			out[pos].min = subs[i].min;
			pos++;
			nodes[j].count++;
		}
	}
}

enum dp_result
dp_classifier_build(const struct dp_filter *filters, size_t n,
                    struct dp_classifier **out)
{
	struct scratch *bs = NULL, *ls = NULL;
	struct scratch_list *bl = NULL, *ll = NULL;
	uint32_t gmin[ASHAPES];
	struct dp_classifier *c = NULL;
	size_t nbs = 0, nls = 0, i, size;
	unsigned g;

	*out = NULL;
	if (n >= NONE / 4 || (n > 0 && filters == NULL))
		return DP_ERR_INVAL;
	for (i = 0; i < n; i++)
		if (!filter_ok(&filters[i]))
			return DP_ERR_INVAL;
	pthread_once(&plen_once, plen_init);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto fail;
	c->n = n;
	for (size = 16; size < 6 * n + 16; size <<= 1)
		;
	c->mask = (uint32_t)size - 1;
	c->tab = malloc(size * sizeof(*c->tab));
	c->filters = malloc((n + 1) * sizeof(*c->filters));
	c->buckets = calloc(n + 1, sizeof(*c->buckets));
	c->leaves = calloc(n + 1, sizeof(*c->leaves));
	bs = calloc(n + 1, sizeof(*bs));
	ls = calloc(n + 1, sizeof(*ls));
	bl = calloc(n + 1, sizeof(*bl));
	ll = calloc(n + 1, sizeof(*ll));
	c->g4 = calloc(ASHAPES, sizeof(*c->g4));
	c->g6 = calloc(ASHAPES, sizeof(*c->g6));
	if (c->tab == NULL || c->filters == NULL || c->buckets == NULL ||
	    c->leaves == NULL || bs == NULL || ls == NULL || bl == NULL ||
	    ll == NULL || c->g4 == NULL || c->g6 == NULL)
		goto fail;
	if (n > 0)
		memcpy(c->filters, filters, n * sizeof(*c->filters));
	for (i = 0; i < size; i++)
		c->tab[i].val = NONE;
	for (g = 0; g < ASHAPES; g++)
		gmin[g] = NONE;

	for (i = 0; i < n; i++) {
		const struct dp_selector *s = &filters[i].sel;
		uint16_t dsh, ssh;
		unsigned ps;
		uint32_t b, l;
		struct cls_key k;

		if (filter_void(&filters[i]))
			continue;
		dsh = ashape(&s->dst, s->dst_plen);
		ssh = ashape(&s->src, s->src_plen);
		ps = port_shape(s);
		if (gmin[dsh] == NONE)
			gmin[dsh] = (uint32_t)i;
		/* Level 1: the bucket of this destination prefix. */
		key_addr(&k, K_BUCKET, 0, dsh, s->dst.bytes);
		b = tab_add(c, &k, (uint32_t)c->nbuckets);
		if (b == c->nbuckets) {
			c->buckets[b].min = (uint32_t)i;
			bl[b].head = bl[b].tail = NONE;
			c->nbuckets++;
		}
		sub_add(bs, &nbs, &bl[b], ssh, (uint32_t)i);
		/* Level 2: the leaf of this source prefix. */
		key_addr(&k, K_LEAF, b, ssh, s->src.bytes);
		l = tab_add(c, &k, (uint32_t)c->nleaves);
		if (l == c->nleaves) {
			c->leaves[l].min = (uint32_t)i;
			ll[l].head = ll[l].tail = NONE;
			c->nleaves++;
		}
		sub_add(ls, &nls, &ll[l], (uint16_t)ps, (uint32_t)i);
		/* Level 3: the first filter with these protocol/ports. */
		key_ports(&k, l, ps, s->proto, s->sport, s->dport);
		tab_add(c, &k, (uint32_t)i);
	}
	c->bsubs = calloc(nbs + 1, sizeof(*c->bsubs));
	c->lsubs = calloc(nls + 1, sizeof(*c->lsubs));
	if (c->bsubs == NULL || c->lsubs == NULL)
		goto fail;
	flatten(bs, bl, c->nbuckets, c->buckets, c->bsubs);
	flatten(ls, ll, c->nleaves, c->leaves, c->lsubs);
	/* Destination groups by their first filter, per family. */
	for (;;) {
		uint32_t best = NONE;
		unsigned bg = 0;

		for (g = 0; g < ASHAPES; g++)
			if (gmin[g] < best) {
				best = gmin[g];
				bg = g;
			}
		if (best == NONE)
			break;
		gmin[bg] = NONE;
		c->ngroups++;
		if (ASHAPE_FC(bg) != 2)
			c->g4[c->ng4++] = (struct cls_sub){(uint16_t)bg, best};
		if (ASHAPE_FC(bg) != 1)
			c->g6[c->ng6++] = (struct cls_sub){(uint16_t)bg, best};
	}
	free(bs);
	free(ls);
	free(bl);
	free(ll);
	*out = c;
	return DP_OK;
fail:
	free(bs);
	free(ls);
	free(bl);
	free(ll);
	dp_classifier_free(c);
	return DP_ERR_NOMEM;
}

size_t
dp_classifier_count(const struct dp_classifier *c)
{
	return c == NULL ? 0 : c->n;
}

size_t
dp_classifier_shapes(const struct dp_classifier *c)
{
	return c == NULL ? 0 : c->ngroups;
}

/* The first filter of leaf l that f matches, if before best. */
static uint32_t
leaf_lookup(const struct dp_classifier *c, uint32_t l, const struct dp_flow *f,
            uint32_t best)
{
	const struct cls_node *leaf = &c->leaves[l];
	uint32_t i;

	for (i = leaf->first; i < leaf->first + leaf->count; i++) {
		const struct cls_sub *s = &c->lsubs[i];
		struct cls_key k;
		uint32_t idx;

		if (s->min >= best)
			break;
		key_ports(&k, l, s->shape, f->proto, f->sport, f->dport);
		idx = tab_find(c, &k);
		if (idx < best)
			best = idx;
	}
	return best;
}

const struct dp_filter *
dp_classify(const struct dp_classifier *c, const struct dp_flow *f)
{
	const struct cls_sub *groups;
	unsigned fc;
	uint32_t best = NONE;
	size_t n, gi;

	if (c == NULL || f->src.family != f->dst.family)
		return NULL;
	fc = fam_code(f->src.family);
	if (fc == 1) {
		groups = c->g4;
		n = c->ng4;
	} else if (fc == 2) {
		groups = c->g6;
		n = c->ng6;
	} else {
		return NULL;
	}
	for (gi = 0; gi < n; gi++) {
		const struct cls_node *bucket;
		struct cls_key k;
		uint32_t b, i;

		/* In order of first filter: nothing further can win. */
		if (groups[gi].min >= best)
			break;
		key_addr(&k, K_BUCKET, 0, groups[gi].shape, f->dst.bytes);
		b = tab_find(c, &k);
		if (b == NONE || c->buckets[b].min >= best)
			continue;
		bucket = &c->buckets[b];
		for (i = bucket->first; i < bucket->first + bucket->count;
		     i++) {
			const struct cls_sub *s = &c->bsubs[i];
			unsigned sfc = ASHAPE_FC(s->shape);
			uint32_t l;

			if (s->min >= best)
				break;
			if (sfc != 0 && sfc != fc)
				continue;
			key_addr(&k, K_LEAF, b, s->shape, f->src.bytes);
			l = tab_find(c, &k);
			if (l != NONE && c->leaves[l].min < best)
				best = leaf_lookup(c, l, f, best);
		}
	}
	return best == NONE ? NULL : &c->filters[best];
}
