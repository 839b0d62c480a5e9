/*
 * acquire.c - packets waiting for an outbound SA (rt_int.h).
 *
 * Any worker may queue a packet (TUN queues are picked by flow hash, so
 * one peer's packets come from several workers), one worker releases
 * them, the control thread may drop a peer: a mutex guards the table.
 * This is the slow path (no SA yet), so a lock and a copy are fine; the
 * copy lets the worker's own pool buffer go back at once and keeps the
 * single-thread pools single-thread.
 *
 * Storage is allocated once: `total` slots of pkt_size bytes, each slot
 * on two doubly linked FIFOs, its peer's and the global one, so that the
 * oldest packet of a peer or of all can be dropped in O(1).  Peers live
 * in a small array searched linearly (max_peers is small and bounded).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rt_int.h"

#define NIL UINT32_MAX

struct slot {
	uint32_t len;
	uint32_t peer;         /* index in peers, NIL when free */
	uint32_t gprev, gnext; /* global FIFO (or free list via gnext) */
	uint32_t pprev, pnext; /* the peer's FIFO */
};

struct peer {
	bool used;
	bool tunnel;
	struct dp_addr addr;
	uint64_t since_ms; /* when its acquire was raised */
	uint32_t head, tail, count;
};

struct soft_peer {
	bool tunnel;
	struct dp_addr addr;
	uint64_t until_ms; /* 0: free */
};

struct acq_table {
	pthread_mutex_t lock;
	struct acq_limits lim;
	struct soft_peer *soft; /* max_peers of them */
	uint8_t *mem; /* total * pkt_size */
	struct slot *slots;
	struct peer *peers;
	uint32_t ghead, gtail; /* oldest, newest */
	uint32_t free;
	unsigned used;
	struct acq_counters ctr;
};

static bool
addr_eq(const struct dp_addr *a, const struct dp_addr *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16) == 0;
}

struct acq_table *
acq_new(const struct acq_limits *lim)
{
	struct acq_table *t;
	uint32_t i;

	if (lim->total == 0 || lim->per_peer == 0 || lim->max_peers == 0 ||
	    lim->pkt_size == 0 || lim->total > (1u << 20) ||
	    lim->max_peers > (1u << 16))
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->lim = *lim;
	t->mem = malloc((size_t)lim->total * lim->pkt_size);
	t->slots = calloc(lim->total, sizeof(*t->slots));
	t->peers = calloc(lim->max_peers, sizeof(*t->peers));
	t->soft = calloc(lim->max_peers, sizeof(*t->soft));
	if (t->mem == NULL || t->slots == NULL || t->peers == NULL ||
	    t->soft == NULL ||
	    pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t->mem);
		free(t->slots);
		free(t->peers);
		free(t->soft);
		free(t);
		return NULL;
	}
	for (i = 0; i < lim->total; i++) {
		t->slots[i].peer = NIL;
		t->slots[i].gnext = i + 1 < lim->total ? i + 1 : NIL;
	}
	t->free = 0;
	t->ghead = t->gtail = NIL;
	return t;
}

void
acq_free(struct acq_table *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t->mem);
	free(t->slots);
	free(t->peers);
	free(t->soft);
	free(t);
}

/* Unlinks slot s from both FIFOs and frees it. */
static void
slot_drop(struct acq_table *t, uint32_t s)
{
	struct slot *sl = &t->slots[s];
	struct peer *p = &t->peers[sl->peer];

	if (sl->gprev != NIL)
		t->slots[sl->gprev].gnext = sl->gnext;
	else
		t->ghead = sl->gnext;
	if (sl->gnext != NIL)
		t->slots[sl->gnext].gprev = sl->gprev;
	else
		t->gtail = sl->gprev;
	if (sl->pprev != NIL)
		t->slots[sl->pprev].pnext = sl->pnext;
	else
		p->head = sl->pnext;
	if (sl->pnext != NIL)
		t->slots[sl->pnext].pprev = sl->pprev;
	else
		p->tail = sl->pprev;
	p->count--;
	sl->peer = NIL;
	sl->gnext = t->free;
	t->free = s;
	t->used--;
}

static void
peer_drop(struct acq_table *t, uint32_t pi)
{
	struct peer *p = &t->peers[pi];

	while (p->head != NIL) {
		slot_drop(t, p->head);
		t->ctr.queue_drops++;
	}
	p->used = false;
}

static uint32_t
peer_find(struct acq_table *t, bool tunnel, const struct dp_addr *addr)
{
	uint32_t i;

	for (i = 0; i < t->lim.max_peers; i++)
		if (t->peers[i].used && t->peers[i].tunnel == tunnel &&
		    addr_eq(&t->peers[i].addr, addr))
			return i;
	return NIL;
}

static void
expire_locked(struct acq_table *t, uint64_t now_ms)
{
	uint32_t i;

	for (i = 0; i < t->lim.max_peers; i++)
		if (t->peers[i].used &&
		    now_ms - t->peers[i].since_ms >= t->lim.timeout_ms) {
			peer_drop(t, i);
			t->ctr.acquire_timeouts++;
		}
}

int
acq_enqueue(struct acq_table *t, bool tunnel, const struct dp_addr *peer,
            const uint8_t *p, size_t len, uint64_t now_ms)
{
	uint32_t pi, s, i;
	struct slot *sl;
	struct peer *pe;
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	if (len > t->lim.pkt_size) {
		t->ctr.queue_drops++;
		rc = -1;
		goto out;
	}
	pi = peer_find(t, tunnel, peer);
	if (pi != NIL && now_ms - t->peers[pi].since_ms >= t->lim.timeout_ms) {
		/* Its acquire timed out: start over with a new one. */
		peer_drop(t, pi);
		t->ctr.acquire_timeouts++;
		pi = NIL;
	}
	if (pi == NIL) {
		for (i = 0; i < t->lim.max_peers && t->peers[i].used; i++)
			;
		if (i == t->lim.max_peers) {
			expire_locked(t, now_ms);
			for (i = 0; i < t->lim.max_peers && t->peers[i].used;
			     i++)
				;
		}
		if (i == t->lim.max_peers) {
			t->ctr.queue_drops++;
			rc = -1;
			goto out;
		}
		pi = i;
		pe = &t->peers[pi];
		memset(pe, 0, sizeof(*pe));
		pe->used = true;
		pe->tunnel = tunnel;
		pe->addr = *peer;
		pe->since_ms = now_ms;
		pe->head = pe->tail = NIL;
		t->ctr.acquires++;
		rc = 1;
	}
	pe = &t->peers[pi];
	/* Bounded: the oldest goes first (its sender has waited longest
	 * and is the likeliest to have given up). */
	if (pe->count >= t->lim.per_peer) {
		slot_drop(t, pe->head);
		t->ctr.queue_drops++;
	} else if (t->free == NIL) {
		/* A peer emptied this way keeps its pending acquire. */
		slot_drop(t, t->ghead);
		t->ctr.queue_drops++;
	}
	s = t->free;
	sl = &t->slots[s];
	t->free = sl->gnext;
	t->used++;
	sl->len = (uint32_t)len;
	sl->peer = pi;
	memcpy(t->mem + (size_t)s * t->lim.pkt_size, p, len);
	sl->gprev = t->gtail;
	sl->gnext = NIL;
	if (t->gtail != NIL)
		t->slots[t->gtail].gnext = s;
	else
		t->ghead = s;
	t->gtail = s;
	sl->pprev = pe->tail;
	sl->pnext = NIL;
	if (pe->tail != NIL)
		t->slots[pe->tail].pnext = s;
	else
		pe->head = s;
	pe->tail = s;
	pe->count++;
	t->ctr.queued++;
out:
	pthread_mutex_unlock(&t->lock);
	return rc;
}

size_t
acq_take_ready(struct acq_table *t,
               bool (*ready)(void *arg, bool tunnel,
                             const struct dp_addr *peer),
               void *arg, struct dp_pool *pool, size_t max, struct dp_pkt **out)
{
	struct dp_pkt *head = NULL, **tail = &head;
	size_t n = 0;
	uint32_t i;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->lim.max_peers && n < max; i++) {
		struct peer *pe = &t->peers[i];

		if (!pe->used || !ready(arg, pe->tunnel, &pe->addr))
			continue;
		while (pe->head != NIL && n < max) {
			uint32_t s = pe->head;
			struct dp_pkt *pkt = dp_pool_get(pool);

			if (pkt == NULL ||
			    dp_pkt_set(pkt,
			               t->mem + (size_t)s * t->lim.pkt_size,
			               t->slots[s].len) < 0) {
				dp_pkt_release(pkt);
				max = n; /* no room: the rest stays queued */
				break;
			}
			slot_drop(t, s);
			*tail = pkt;
			tail = &pkt->next;
			n++;
		}
		/* Satisfied: the next miss raises a new acquire. */
		if (pe->head == NIL)
			pe->used = false;
	}
	pthread_mutex_unlock(&t->lock);
	*tail = NULL;
	*out = head;
	return n;
}

void
acq_expire(struct acq_table *t, uint64_t now_ms)
{
	pthread_mutex_lock(&t->lock);
	expire_locked(t, now_ms);
	pthread_mutex_unlock(&t->lock);
}

void
acq_drop_peer(struct acq_table *t, bool tunnel, const struct dp_addr *peer)
{
	uint32_t pi;

	pthread_mutex_lock(&t->lock);
	pi = peer_find(t, tunnel, peer);
	if (pi != NIL)
		peer_drop(t, pi);
	pthread_mutex_unlock(&t->lock);
}

int
acq_set_soft(struct acq_table *t, bool tunnel, const struct dp_addr *peer,
             uint64_t until_ms)
{
	uint32_t i, spare = NIL;
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->lim.max_peers; i++) {
		struct soft_peer *sp = &t->soft[i];
		if (sp->until_ms != 0 && sp->tunnel == tunnel &&
		    addr_eq(&sp->addr, peer))
			break;
		if (sp->until_ms == 0 && spare == NIL)
			spare = i;
	}
	if (i == t->lim.max_peers)
		i = spare;
	if (i != NIL)
		t->soft[i] = (struct soft_peer){tunnel, *peer, until_ms};
	else if (until_ms != 0)
		rc = -1;
	pthread_mutex_unlock(&t->lock);
	return rc;
}

bool
acq_soft(struct acq_table *t, bool tunnel, const struct dp_addr *peer,
         uint64_t now_ms)
{
	bool soft = false;

	pthread_mutex_lock(&t->lock);
	for (uint32_t i = 0; i < t->lim.max_peers; i++) {
		struct soft_peer *sp = &t->soft[i];
		if (sp->until_ms == 0 || sp->tunnel != tunnel ||
		    !addr_eq(&sp->addr, peer))
			continue;
		if (now_ms < sp->until_ms)
			soft = true;
		else
			sp->until_ms = 0; /* over: negotiate again */
		break;
	}
	pthread_mutex_unlock(&t->lock);
	return soft;
}

unsigned
acq_len(struct acq_table *t)
{
	unsigned n;

	pthread_mutex_lock(&t->lock);
	n = t->used;
	pthread_mutex_unlock(&t->lock);
	return n;
}

void
acq_counters(struct acq_table *t, struct acq_counters *c)
{
	pthread_mutex_lock(&t->lock);
	*c = t->ctr;
	c->queue_len = t->used;
	pthread_mutex_unlock(&t->lock);
}
