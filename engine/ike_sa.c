/*
 * ike_sa.c - the negotiator's instance (ike.h): the peer and SA tables,
 * dispatch of datagrams to the exchanges, acquires, timers, and the
 * message helpers the exchange modules share (ike_int.h).
 *
 * Statistics (live.h LIVE_IKE_STATS), each moved exactly where its event
 * happens.  Gauges go up and down; the others only grow.
 *
 *   counter                   kind   moves in / when
 *   ------------------------- ------ ------------------------------------
 *   Active Acquire            gauge  ike_qm.c: an initiator exchange
 *                                    exists (acquire or rekey), until it
 *                                    installs or fails
 *   Active Receive            gauge  a responder negotiation is in
 *                                    progress: main mode SA from message 1
 *                                    to established (here), quick mode
 *                                    from message 1 to install (ike_qm.c)
 *   Acquire Failures          total  ike_acquire refused (no policy), or
 *                                    an initiator exchange failed (its
 *                                    main mode failed, timed out, was
 *                                    refused, or was abandoned for a
 *                                    soft association after the soft
 *                                    wait) - ike_qm_fail
 *   Receive Failures          total  a responder negotiation failed: main
 *                                    mode (ike_sa_fail, half-open expiry)
 *                                    or quick mode (ike_qm_fail)
 *   Send Failures             total  env->send returned -1 (ike_send)
 *   Acquire Heap Size         gauge  initiator exchanges queued behind a
 *                                    main mode that is not established
 *   Receive Heap Size         gauge  half-open responder main mode SAs
 *                                    (message 1 seen, not established)
 *   Authentication Failures   total  HASH_I/HASH_R or SIG wrong, message
 *                                    5/6 undecryptable (wrong key), peer
 *                                    identity refused - ike_mm.c
 *   Negotiation Failures      total  no proposal chosen (either phase,
 *                                    either side), a bad KE value,
 *                                    selectors or PFS refused; once per
 *                                    negotiation (a retransmitted
 *                                    message 1 we refused is answered
 *                                    again, not counted again)
 *   Invalid Cookies Received  total  a message for no known cookie pair
 *   Total Acquire             total  every ike_acquire call but an echo
 *                                    of our two-step install as responder
 *                                    (an answer to the initiator's first
 *                                    packets that waited for our outbound
 *                                    SA: ike_acquire_echo, ike_int.h)
 *   Total Get SPI             total  every inbound SPI allocated
 *   Key Additions             total  a new pair installed (env->install)
 *   Key Updates               total  a rekey pair installed (initiator:
 *                                    the rekey of a pair; responder: a
 *                                    new pair for the flow of a live
 *                                    one)
 *   Get SPI Failures          total  no free SPI found
 *   Key Addition Failures     total  env->install refused a new pair
 *   Key Update Failures       total  env->install refused a rekey pair
 *   ISADB List Size           gauge  main mode SA objects (any state)
 *   Connection List Size      gauge  peers we hold any state for
 *   IKE Main Mode             gauge  established main mode SAs
 *   IKE Quick Mode            gauge  installed pairs (not soft ones)
 *   Soft Associations         gauge  soft associations in force: soft=yes
 *                                    and a peer that sent nothing back for
 *                                    the soft wait (or the whole
 *                                    retransmission schedule) - ike_qm.c
 *   Invalid Packets Received  total  undecodable datagrams, messages that
 *                                    break their exchange's script, fail
 *                                    decryption or a phase 2 HASH, come
 *                                    out of order (Quick Mode or
 *                                    Informational before main mode
 *                                    completes) or reuse a message id
 */
#include "ike_int.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#include <arpa/inet.h>

/* ---- configuration and life ------------------------------------------ */

void
ike_conf_init(struct ike_conf *c)
{
	memset(c, 0, sizeof(*c));
}

static void
conf_defaults(struct ike_conf *c)
{
	if (c->port == 0)
		c->port = IKE_PORT;
	if (c->natt_port == 0)
		c->natt_port = IKE_NATT_PORT;
	if (c->retransmit_ms == 0)
		c->retransmit_ms = 2000;
	if (c->retransmit_tries == 0)
		c->retransmit_tries = 5;
	if (c->retransmit_tries > 16)
		c->retransmit_tries = 16;
	if (c->halfopen_ms == 0)
		c->halfopen_ms = 60000;
	if (c->halfopen_peer_max == 0)
		c->halfopen_peer_max = 32;
	if (c->halfopen_max == 0)
		c->halfopen_max = 4096;
	if (c->keepalive_ms == 0)
		c->keepalive_ms = 20000;
	if (c->qm_idle_s == 0)
		c->qm_idle_s = 300;
	if (c->idle_check_ms == 0)
		c->idle_check_ms = 10000;
	if (c->rekey_margin_pct == 0)
		c->rekey_margin_pct = 10;
	if (c->rekey_margin_pct > 50)
		c->rekey_margin_pct = 50;
	if (c->rekey_jitter_pct == 0)
		c->rekey_jitter_pct = 5;
	if (c->rekey_jitter_pct > 20)
		c->rekey_jitter_pct = 20;
	if (c->soft_wait_ms == 0)
		c->soft_wait_ms = 3000;
}

#define HASH_INIT 64

struct ike *
ike_new(const struct ike_env *env, const struct ike_conf *conf)
{
	struct ike *ike = calloc(1, sizeof(*ike));

	if (ike == NULL)
		return NULL;
	ike->env = env;
	if (conf != NULL)
		ike->conf = *conf;
	conf_defaults(&ike->conf);
	ike->st = env->stats != NULL ? env->stats : &ike->own;
	ike->sas_tail = &ike->sas;
	ike->children_tail = &ike->children;
	ike->next_child_id = 1;
	ike->sa_hsize = HASH_INIT;
	ike->peer_hsize = HASH_INIT;
	ike->ident_hsize = HASH_INIT;
	ike->sa_hash = calloc(ike->sa_hsize, sizeof(*ike->sa_hash));
	ike->peer_hash = calloc(ike->peer_hsize, sizeof(*ike->peer_hash));
	ike->ident_hash = calloc(ike->ident_hsize, sizeof(*ike->ident_hash));
	if (ike->sa_hash == NULL || ike->peer_hash == NULL ||
	    ike->ident_hash == NULL) {
		free(ike->sa_hash);
		free(ike->peer_hash);
		free(ike->ident_hash);
		free(ike);
		return NULL;
	}
	return ike;
}

static void sa_free(struct ike *ike, struct ike_isa *sa);

void
ike_free(struct ike *ike)
{
	if (ike == NULL)
		return;
	ike->now = ike->env->now_ms(ike->env->arg);
	for (struct ike_child *c = ike->children; c != NULL; c = c->next)
		if (!c->dead)
			ike_child_delete(ike, c, false);
	for (struct ike_isa *sa = ike->sas; sa != NULL; sa = sa->next)
		ike_sa_kill(sa);
	while (ike->sas != NULL) {
		struct ike_isa *sa = ike->sas;
		ike->sas = sa->next;
		sa_free(ike, sa);
	}
	while (ike->children != NULL) {
		struct ike_child *c = ike->children;
		ike->children = c->next;
		ike_child_free(ike, c);
	}
	free(ike->sa_hash);
	free(ike->peer_hash);
	free(ike->ident_hash);
	free(ike->heap);
	free(ike->spis);
	free(ike->spi_refs);
	OPENSSL_cleanse(ike->rxbuf, sizeof(ike->rxbuf));
	OPENSSL_cleanse(ike->txbuf, sizeof(ike->txbuf));
	free(ike);
}

/* ---- logging, randomness, time ---------------------------------------- */

void
ike_log(struct ike *ike, int prio, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (ike->env->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ike->env->log(ike->env->arg, prio, "%s", line);
}

void
ike_addr_str(const struct dp_addr *a, char *buf, size_t len)
{
	if (a->family == AF_INET || a->family == AF_INET6) {
		if (inet_ntop(a->family, a->bytes, buf, (socklen_t)len) != NULL)
			return;
	}
	snprintf(buf, len, "?");
}

void
ike_sa_log(struct ike *ike, const struct ike_isa *sa, int prio,
           const char *fmt, ...)
{
	char line[512], peer[INET6_ADDRSTRLEN];
	va_list ap;

	if (ike->env->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (sa == NULL) {
		ike->env->log(ike->env->arg, prio, "IKE: %s", line);
		return;
	}
	ike_addr_str(&sa->remote.addr, peer, sizeof(peer));
	ike->env->log(ike->env->arg, prio,
	              "IKE %02x%02x%02x%02x%02x%02x%02x%02x:"
	              "%02x%02x%02x%02x%02x%02x%02x%02x %s: %s",
	              sa->icookie[0], sa->icookie[1], sa->icookie[2],
	              sa->icookie[3], sa->icookie[4], sa->icookie[5],
	              sa->icookie[6], sa->icookie[7], sa->rcookie[0],
	              sa->rcookie[1], sa->rcookie[2], sa->rcookie[3],
	              sa->rcookie[4], sa->rcookie[5], sa->rcookie[6],
	              sa->rcookie[7], peer, line);
}

void
ike_random(struct ike *ike, void *buf, size_t len)
{
	ike->env->random(ike->env->arg, buf, len);
}

uint32_t
ike_random32(struct ike *ike)
{
	uint8_t b[4];

	ike_random(ike, b, sizeof(b));
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

/* ---- the timer heap: a binary min-heap of nodes by due time --------- */

static void
heap_set(struct ike *ike, size_t i, struct ike_tnode *tn)
{
	ike->heap[i] = tn;
	tn->at = i;
}

static void
heap_up(struct ike *ike, size_t i)
{
	struct ike_tnode *tn = ike->heap[i];

	while (i > 0 && ike->heap[(i - 1) / 2]->due > tn->due) {
		heap_set(ike, i, ike->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(ike, i, tn);
}

static void
heap_down(struct ike *ike, size_t i)
{
	struct ike_tnode *tn = ike->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, m = i;
		uint64_t due = tn->due;
		if (l < ike->nheap && ike->heap[l]->due < due) {
			m = l;
			due = ike->heap[l]->due;
		}
		if (l + 1 < ike->nheap && ike->heap[l + 1]->due < due)
			m = l + 1;
		if (m == i)
			break;
		heap_set(ike, i, ike->heap[m]);
		i = m;
	}
	heap_set(ike, i, tn);
}

/* Takes tn out of the heap (if in): no deadline left. */
static void
heap_remove(struct ike *ike, struct ike_tnode *tn)
{
	size_t i = tn->at;
	struct ike_tnode *last;

	if (tn->due == UINT64_MAX)
		return;
	tn->due = UINT64_MAX;
	tn->at = SIZE_MAX;
	last = ike->heap[--ike->nheap];
	if (last == tn)
		return;
	heap_set(ike, i, last);
	heap_down(ike, i);
	heap_up(ike, last->at);
}

void
ike_due(struct ike *ike, struct ike_tnode *tn, uint64_t when)
{
	if (when == 0 || when >= tn->due)
		return;
	if (tn->due == UINT64_MAX) {
		/* Room was reserved when the node was made. */
		tn->at = ike->nheap++;
		ike->heap[tn->at] = tn;
	}
	tn->due = when;
	heap_up(ike, tn->at);
}

int
ike_tnode_init(struct ike *ike, struct ike_tnode *tn, struct ike_isa *sa,
               struct ike_child *child)
{
	if (ike->ntnodes == ike->capheap) {
		size_t cap = ike->capheap != 0 ? 2 * ike->capheap : 64;
		struct ike_tnode **h = realloc(ike->heap, cap * sizeof(*h));
		if (h == NULL)
			return -1;
		ike->heap = h;
		ike->capheap = cap;
	}
	ike->ntnodes++;
	memset(tn, 0, sizeof(*tn));
	tn->due = UINT64_MAX;
	tn->at = SIZE_MAX;
	tn->sa = sa;
	tn->child = child;
	return 0;
}

void
ike_tnode_release(struct ike *ike, struct ike_tnode *tn)
{
	heap_remove(ike, tn);
	ike->ntnodes--;
}

uint64_t
ike_jitter(struct ike *ike, uint64_t span_ms, unsigned pct)
{
	uint64_t range = span_ms * pct / 100;

	if (range == 0)
		return 0;
	return ike_random32(ike) % (range + 1);
}

uint64_t
ike_next_timer_ms(const struct ike *ike)
{
	return ike->nheap > 0 ? ike->heap[0]->due : UINT64_MAX;
}

bool
ike_addr_eq(const struct dp_addr *a, const struct dp_addr *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && memcmp(a->bytes, b->bytes, n) == 0;
}

/* ---- peers -------------------------------------------------------------- */

static size_t
addr_hash(const struct dp_addr *a, size_t size)
{
	uint32_t h = 2166136261u;
	size_t n = a->family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < n; i++)
		h = (h ^ a->bytes[i]) * 16777619u;
	return h & (size - 1);
}

struct ike_peer *
ike_peer_find(struct ike *ike, const struct dp_addr *addr)
{
	struct ike_peer *p = ike->peer_hash[addr_hash(addr, ike->peer_hsize)];

	while (p != NULL && !ike_addr_eq(&p->addr, addr))
		p = p->hnext;
	return p;
}

static void
peer_rehash(struct ike *ike)
{
	size_t size = ike->peer_hsize * 2;
	struct ike_peer **h = calloc(size, sizeof(*h));

	if (h == NULL)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < ike->peer_hsize; i++) {
		while (ike->peer_hash[i] != NULL) {
			struct ike_peer *p = ike->peer_hash[i];
			size_t at = addr_hash(&p->addr, size);
			ike->peer_hash[i] = p->hnext;
			p->hnext = h[at];
			h[at] = p;
		}
	}
	free(ike->peer_hash);
	ike->peer_hash = h;
	ike->peer_hsize = size;
}

struct ike_peer *
ike_peer_get(struct ike *ike, const struct dp_addr *addr)
{
	struct ike_peer *p = ike_peer_find(ike, addr);
	size_t at;

	if (p != NULL) {
		p->refs++;
		return p;
	}
	if (ike->npeers >= ike->peer_hsize)
		peer_rehash(ike);
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->addr = *addr;
	p->refs = 1;
	TAILQ_INIT(&p->sas);
	TAILQ_INIT(&p->children);
	at = addr_hash(addr, ike->peer_hsize);
	p->hnext = ike->peer_hash[at];
	ike->peer_hash[at] = p;
	ike->npeers++;
	IKE_STAT_INC(ike, connection_list_size);
	return p;
}

void
ike_peer_put(struct ike *ike, struct ike_peer *p)
{
	struct ike_peer **pp;

	if (p == NULL || --p->refs > 0)
		return;
	pp = &ike->peer_hash[addr_hash(&p->addr, ike->peer_hsize)];
	while (*pp != p)
		pp = &(*pp)->hnext;
	*pp = p->hnext;
	ike->npeers--;
	IKE_STAT_DEC(ike, connection_list_size);
	free(p);
}

/* ---- identities --------------------------------------------------------- */

static size_t
idh_hash(const uint8_t *idh, size_t size)
{
	uint64_t v;

	memcpy(&v, idh, sizeof(v)); /* a SHA-1 digest: already mixed */
	return (size_t)v & (size - 1);
}

static void
ident_rehash(struct ike *ike)
{
	size_t size = ike->ident_hsize * 2;
	struct ike_ident **h = calloc(size, sizeof(*h));

	if (h == NULL)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < ike->ident_hsize; i++) {
		while (ike->ident_hash[i] != NULL) {
			struct ike_ident *id = ike->ident_hash[i];
			size_t at = idh_hash(id->idh, size);
			ike->ident_hash[i] = id->hnext;
			id->hnext = h[at];
			h[at] = id;
		}
	}
	free(ike->ident_hash);
	ike->ident_hash = h;
	ike->ident_hsize = size;
}

struct ike_ident *
ike_ident_get(struct ike *ike, const uint8_t *idh)
{
	struct ike_ident *id;
	size_t at = idh_hash(idh, ike->ident_hsize);

	for (id = ike->ident_hash[at]; id != NULL; id = id->hnext)
		if (memcmp(id->idh, idh, IKE_RXH_LEN) == 0)
			return id;
	if (ike->nidents >= ike->ident_hsize) {
		ident_rehash(ike);
		at = idh_hash(idh, ike->ident_hsize);
	}
	id = calloc(1, sizeof(*id));
	if (id == NULL)
		return NULL;
	memcpy(id->idh, idh, IKE_RXH_LEN);
	TAILQ_INIT(&id->sas);
	TAILQ_INIT(&id->children);
	id->hnext = ike->ident_hash[at];
	ike->ident_hash[at] = id;
	ike->nidents++;
	return id;
}

void
ike_ident_put(struct ike *ike, struct ike_ident *id)
{
	struct ike_ident **pp;

	if (id == NULL || !TAILQ_EMPTY(&id->sas) || !TAILQ_EMPTY(&id->children))
		return;
	pp = &ike->ident_hash[idh_hash(id->idh, ike->ident_hsize)];
	while (*pp != id)
		pp = &(*pp)->hnext;
	*pp = id->hnext;
	ike->nidents--;
	free(id);
}

/* ---- inbound SPIs in use ------------------------------------------------- */

static size_t
spi_slot(uint32_t spi, size_t size)
{
	return (size_t)(spi * 2654435769u) & (size - 1);
}

static size_t
spi_find(const struct ike *ike, uint32_t spi)
{
	size_t mask = ike->spi_size - 1;

	if (ike->spi_size == 0 || spi == 0)
		return SIZE_MAX;
	for (size_t i = spi_slot(spi, ike->spi_size);; i = (i + 1) & mask) {
		if (ike->spis[i] == spi)
			return i;
		if (ike->spis[i] == 0)
			return SIZE_MAX;
	}
}

static int
spi_grow(struct ike *ike)
{
	size_t size = ike->spi_size != 0 ? 2 * ike->spi_size : 64;
	uint32_t *k = calloc(size, sizeof(*k)), *r = calloc(size, sizeof(*r));

	if (k == NULL || r == NULL) {
		free(k);
		free(r);
		return -1;
	}
	for (size_t i = 0; i < ike->spi_size; i++) {
		size_t j;
		if (ike->spis[i] == 0)
			continue;
		for (j = spi_slot(ike->spis[i], size); k[j] != 0;
		     j = (j + 1) & (size - 1))
			;
		k[j] = ike->spis[i];
		r[j] = ike->spi_refs[i];
	}
	free(ike->spis);
	free(ike->spi_refs);
	ike->spis = k;
	ike->spi_refs = r;
	ike->spi_size = size;
	return 0;
}

bool
ike_spi_in_use(const struct ike *ike, uint32_t spi)
{
	return spi_find(ike, spi) != SIZE_MAX;
}

int
ike_spi_ref(struct ike *ike, uint32_t spi)
{
	size_t i = spi_find(ike, spi);

	if (spi == 0)
		return 0;
	if (i != SIZE_MAX) {
		ike->spi_refs[i]++;
		return 0;
	}
	/* At most half full: probes stay short. */
	if (2 * (ike->nspis + 1) > ike->spi_size && spi_grow(ike) < 0)
		return -1;
	for (i = spi_slot(spi, ike->spi_size); ike->spis[i] != 0;
	     i = (i + 1) & (ike->spi_size - 1))
		;
	ike->spis[i] = spi;
	ike->spi_refs[i] = 1;
	ike->nspis++;
	return 0;
}

void
ike_spi_unref(struct ike *ike, uint32_t spi)
{
	size_t mask = ike->spi_size - 1, i = spi_find(ike, spi), j;

	if (i == SIZE_MAX || --ike->spi_refs[i] > 0)
		return;
	/* Linear probing without tombstones: the entries after the hole
	 * that hash at or before it move back into it. */
	for (j = (i + 1) & mask; ike->spis[j] != 0; j = (j + 1) & mask) {
		size_t k = spi_slot(ike->spis[j], ike->spi_size);
		if ((j > i && (k <= i || k > j)) ||
		    (j < i && k <= i && k > j)) {
			ike->spis[i] = ike->spis[j];
			ike->spi_refs[i] = ike->spi_refs[j];
			i = j;
		}
	}
	ike->spis[i] = 0;
	ike->spi_refs[i] = 0;
	ike->nspis--;
}

/* ---- main mode SAs ------------------------------------------------------- */

static size_t
cookie_hash(const uint8_t *icookie, size_t size)
{
	uint64_t v;

	memcpy(&v, icookie, sizeof(v));
	v ^= v >> 29;
	v *= 0xbf58476d1ce4e5b9ull;
	v ^= v >> 32;
	return (size_t)v & (size - 1);
}

static void
sa_rehash(struct ike *ike)
{
	size_t size = ike->sa_hsize * 2;
	struct ike_isa **h = calloc(size, sizeof(*h));

	if (h == NULL)
		return;
	for (size_t i = 0; i < ike->sa_hsize; i++) {
		while (ike->sa_hash[i] != NULL) {
			struct ike_isa *sa = ike->sa_hash[i];
			size_t at = cookie_hash(sa->icookie, size);
			ike->sa_hash[i] = sa->hnext;
			sa->hnext = h[at];
			h[at] = sa;
		}
	}
	free(ike->sa_hash);
	ike->sa_hash = h;
	ike->sa_hsize = size;
}

static const uint8_t zero_cookie[IKE_COOKIE_LEN];

/* An SA by cookie pair; rcookie zero finds an initiator SA still
 * waiting for message 2. */
struct ike_isa *
ike_sa_find(struct ike *ike, const uint8_t *icookie, const uint8_t *rcookie)
{
	struct ike_isa *sa = ike->sa_hash[cookie_hash(icookie, ike->sa_hsize)];

	for (; sa != NULL; sa = sa->hnext)
		if (memcmp(sa->icookie, icookie, IKE_COOKIE_LEN) == 0 &&
		    memcmp(sa->rcookie, rcookie, IKE_COOKIE_LEN) == 0 &&
		    !sa->dead)
			return sa;
	return NULL;
}

/* A responder SA made from a message 1 with this initiator cookie from
 * this peer (for retransmitted messages 1). */
static struct ike_isa *
sa_find_responder(struct ike *ike, const uint8_t *icookie,
                  const struct dp_addr *from)
{
	struct ike_isa *sa = ike->sa_hash[cookie_hash(icookie, ike->sa_hsize)];

	for (; sa != NULL; sa = sa->hnext)
		if (sa->role == IKE_ROLE_R && !sa->dead &&
		    memcmp(sa->icookie, icookie, IKE_COOKIE_LEN) == 0 &&
		    ike_addr_eq(&sa->remote.addr, from))
			return sa;
	return NULL;
}

static bool
icookie_taken(struct ike *ike, const uint8_t *c)
{
	struct ike_isa *sa = ike->sa_hash[cookie_hash(c, ike->sa_hsize)];

	for (; sa != NULL; sa = sa->hnext)
		if (memcmp(sa->icookie, c, IKE_COOKIE_LEN) == 0)
			return true;
	return false;
}

struct ike_isa *
ike_sa_new(struct ike *ike, enum ike_role role,
           const struct ike_endpoint *local, const struct ike_endpoint *remote,
           const uint8_t *peer_icookie)
{
	struct ike_isa *sa = calloc(1, sizeof(*sa));
	size_t at;

	if (sa == NULL)
		return NULL;
	if (ike_tnode_init(ike, &sa->tn, sa, NULL) < 0) {
		free(sa);
		return NULL;
	}
	sa->peer = ike_peer_get(ike, &remote->addr);
	if (sa->peer == NULL) {
		ike_tnode_release(ike, &sa->tn);
		free(sa);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&sa->peer->sas, sa, peer_link);
	sa->ike = ike;
	sa->role = role;
	sa->local = *local;
	sa->remote = *remote;
	sa->created_ms = ike->now;
	sa->expire_ms = ike->now + ike->conf.halfopen_ms;
	ike_due(ike, &sa->tn, sa->expire_ms);
	/* Cookies: random, never zero, unique among ours (RFC 2408 2.5.3
	 * asks for a hash of addresses and a secret; a random value does the
	 * same job here, since nothing is kept for unanswered messages 1
	 * that matters beyond the half-open bound). */
	uint8_t *mine = role == IKE_ROLE_I ? sa->icookie : sa->rcookie;
	do {
		ike_random(ike, mine, IKE_COOKIE_LEN);
	} while (memcmp(mine, zero_cookie, IKE_COOKIE_LEN) == 0 ||
	         (role == IKE_ROLE_I && icookie_taken(ike, mine)));
	if (ike->nsas >= ike->sa_hsize)
		sa_rehash(ike);
	*ike->sas_tail = sa;
	ike->sas_tail = &sa->next;
	ike->nsas++;
	if (role == IKE_ROLE_R)
		memcpy(sa->icookie, peer_icookie, IKE_COOKIE_LEN);
	at = cookie_hash(sa->icookie, ike->sa_hsize);
	sa->hnext = ike->sa_hash[at];
	ike->sa_hash[at] = sa;
	sa->halfopen = true;
	ike->halfopen++;
	if (role == IKE_ROLE_R) {
		sa->peer->halfopen++;
		IKE_STAT_INC(ike, receive_heap_size);
		IKE_STAT_INC(ike, active_receive);
	}
	IKE_STAT_INC(ike, isadb_list_size);
	return sa;
}

static void
sa_halfopen_end(struct ike_isa *sa)
{
	struct ike *ike = sa->ike;

	if (!sa->halfopen)
		return;
	sa->halfopen = false;
	ike->halfopen--;
	if (sa->role == IKE_ROLE_R) {
		sa->peer->halfopen--;
		IKE_STAT_DEC(ike, receive_heap_size);
		IKE_STAT_DEC(ike, active_receive);
	}
}

static void
free_conf(struct ike_isa *sa)
{
	if (sa->conf == NULL)
		return;
	OPENSSL_cleanse(sa->conf, sizeof(*sa->conf));
	free(sa->conf);
	sa->conf = NULL;
}

/* What only the key exchange needs: gone once main mode ends. */
static void
free_exchange(struct ike_isa *sa)
{
	free_conf(sa);
	ike_dh_free(sa->dh);
	sa->dh = NULL;
	free(sa->sai_b);
	sa->sai_b = NULL;
	free(sa->gxi);
	free(sa->gxr);
	sa->gxi = sa->gxr = NULL;
	OPENSSL_cleanse(sa->ni, sizeof(sa->ni));
	OPENSSL_cleanse(sa->nr, sizeof(sa->nr));
	OPENSSL_cleanse(sa->auth.psk, sizeof(sa->auth.psk));
	sa->auth.psk_len = 0;
}

void
ike_sa_established(struct ike_isa *sa)
{
	struct ike *ike = sa->ike;
	uint64_t life = (uint64_t)sa->lifetime_s * 1000;
	uint64_t soon;

	sa->step = IKE_MM_DONE;
	sa_halfopen_end(sa);
	IKE_STAT_INC(ike, ike_main_mode);
	sa->established_ms = ike->now;
	sa->expire_ms = ike->now + life;
	/* Rekey before the end, less a random jitter; a responder waits
	 * longer, so that the side that started it normally rekeys it and
	 * both rarely start at once. */
	soon = life * ike->conf.rekey_margin_pct / 100;
	if (sa->role == IKE_ROLE_R)
		soon /= 2;
	else
		soon += ike_jitter(ike, life, ike->conf.rekey_jitter_pct);
	sa->soft_ms = soon < life ? ike->now + life - soon : 0;
	ike_due(ike, &sa->tn, sa->expire_ms);
	ike_due(ike, &sa->tn, sa->soft_ms);
	if (sa->floated && (sa->nat_local || sa->natt_force)) {
		sa->keepalive_ms = ike->now + ike->conf.keepalive_ms;
		ike_due(ike, &sa->tn, sa->keepalive_ms);
	}
	free_exchange(sa);
	/* Older SAs with this peer give way to this one. */
	struct ike_isa *o;
	TAILQ_FOREACH(o, &sa->peer->sas, peer_link)
		if (o != sa && !o->dead && o->step == IKE_MM_DONE)
			o->replaced = true;
	/* Indexed by the peer's identity, for INITIAL-CONTACT (out of
	 * memory: ike_initial_contact looks through everything). */
	sa->ident = ike_ident_get(ike, sa->peer_idh);
	if (sa->ident != NULL)
		TAILQ_INSERT_TAIL(&sa->ident->sas, sa, ident_link);
	else
		ike->ident_partial = true;
	ike_qm_start_queued(sa);
}

void
ike_sa_kill(struct ike_isa *sa)
{
	struct ike *ike = sa->ike;

	if (sa->dead)
		return;
	sa->dead = true;
	ike->reap = true;
	for (struct ike_qm *qm = sa->qms; qm != NULL; qm = qm->next)
		if (!qm->dead && !qm->done)
			ike_qm_fail(qm, IKE_FAIL_OTHER, false);
	if (sa->halfopen)
		sa_halfopen_end(sa);
	else if (sa->step == IKE_MM_DONE)
		IKE_STAT_DEC(ike, ike_main_mode);
	ike_tx_clear(&sa->tx);
	sa->soft_ms = 0;
	sa->keepalive_ms = 0;
}

static void
sa_free(struct ike *ike, struct ike_isa *sa)
{
	struct ike_isa **pp;

	while (sa->qms != NULL) {
		struct ike_qm *qm = sa->qms;
		sa->qms = qm->next;
		ike_qm_free(ike, qm);
	}
	pp = &ike->sa_hash[cookie_hash(sa->icookie, ike->sa_hsize)];
	while (*pp != NULL && *pp != sa)
		pp = &(*pp)->hnext;
	if (*pp == sa)
		*pp = sa->hnext;
	TAILQ_REMOVE(&sa->peer->sas, sa, peer_link);
	if (sa->ident != NULL) {
		TAILQ_REMOVE(&sa->ident->sas, sa, ident_link);
		ike_ident_put(ike, sa->ident);
	}
	ike_tnode_release(ike, &sa->tn);
	free_exchange(sa);
	ike_keys_clear(&sa->keys);
	ike_encr_key_clear(&sa->ek);
	OPENSSL_cleanse(sa->iv, sizeof(sa->iv));
	OPENSSL_cleanse(sa->p1_last, sizeof(sa->p1_last));
	ike_tx_clear(&sa->tx);
	free(sa->local_id);
	free(sa->peer_id);
	free(sa->msgids);
	ike_peer_put(ike, sa->peer);
	ike->nsas--;
	IKE_STAT_DEC(ike, isadb_list_size);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

void
ike_reap(struct ike *ike)
{
	struct ike_isa **sp;
	struct ike_child **cp;

	if (!ike->reap)
		return;
	ike->reap = false;
	for (sp = &ike->sas; *sp != NULL;) {
		struct ike_isa *sa = *sp;
		if (sa->dead) {
			*sp = sa->next;
			sa_free(ike, sa);
			continue;
		}
		for (struct ike_qm **qp = &sa->qms; *qp != NULL;) {
			struct ike_qm *qm = *qp;
			if (qm->dead) {
				*qp = qm->next;
				ike_qm_free(ike, qm);
			} else {
				qp = &qm->next;
			}
		}
		sp = &sa->next;
	}
	ike->sas_tail = sp;
	for (cp = &ike->children; *cp != NULL;) {
		struct ike_child *c = *cp;
		if (c->dead) {
			*cp = c->next;
			ike_child_free(ike, c);
		} else {
			cp = &c->next;
		}
	}
	ike->children_tail = cp;
}

void
ike_sa_fail(struct ike_isa *sa, const struct ike_rx *rx)
{
	struct ike *ike = sa->ike;

	if (rx != NULL && rx->notify != 0)
		ike_info_notify(sa, rx->notify, IKE_PROTO_ISAKMP, NULL, 0, NULL,
		                0, rx->notify_clear);
	if (rx != NULL && rx->fail == IKE_FAIL_NEG)
		IKE_STAT_INC(ike, negotiation_failures);
	else if (rx != NULL && rx->fail == IKE_FAIL_AUTH)
		IKE_STAT_INC(ike, authentication_failures);
	if (sa->role == IKE_ROLE_R && sa->step != IKE_MM_DONE)
		IKE_STAT_INC(ike, receive_failures);
	ike_sa_kill(sa);
}

struct ike_isa *
ike_sa_usable(struct ike *ike, const struct dp_addr *peer)
{
	struct ike_peer *p = ike_peer_find(ike, peer);
	struct ike_isa *best = NULL, *sa;

	if (p == NULL)
		return NULL;
	TAILQ_FOREACH(sa, &p->sas, peer_link) {
		if (sa->dead || sa->expired || sa->step != IKE_MM_DONE)
			continue;
		if (sa->qmpermm != 0 && sa->nqm >= sa->qmpermm)
			continue;
		best = sa; /* the newest wins */
	}
	return best;
}

/* When the soft wait of an initiator SA ends (soft=yes). */
static uint64_t
sa_soft_due(const struct ike_isa *sa)
{
	return sa->created_ms + sa->ike->conf.soft_wait_ms;
}

/* An SA with the peer still in main mode, ours first. */
static struct ike_isa *
sa_in_progress(struct ike *ike, const struct dp_addr *peer)
{
	struct ike_peer *p = ike_peer_find(ike, peer);
	struct ike_isa *r = NULL, *sa;

	if (p == NULL)
		return NULL;
	TAILQ_FOREACH(sa, &p->sas, peer_link) {
		if (sa->dead || sa->step == IKE_MM_DONE)
			continue;
		if (sa->role == IKE_ROLE_I)
			return sa;
		/* A responder SA past message 1 will complete: wait for it
		 * rather than start a second main mode (both sides
		 * initiating at once). */
		if (sa->step >= 1 && r == NULL)
			r = sa;
	}
	return r;
}

/* ---- message ids --------------------------------------------------------- */

bool
ike_msgid_used(const struct ike_isa *sa, uint32_t msgid)
{
	for (size_t i = 0; i < sa->nmsgids; i++)
		if (sa->msgids[i] == msgid)
			return true;
	for (const struct ike_qm *qm = sa->qms; qm != NULL; qm = qm->next)
		if (qm->started && qm->msgid == msgid)
			return true;
	return false;
}

/* Kept in a ring of IKE_MSGIDS_MAX: an id older than that is forgotten
 * (RFC 2408 asks for uniqueness within the SA; a replay that old also
 * fails its HASH unless the whole exchange is replayed, which the
 * ring's size makes improbable within a main mode lifetime). */
void
ike_msgid_add(struct ike_isa *sa, uint32_t msgid)
{
	if (sa->msgids == NULL) {
		sa->msgids = calloc(IKE_MSGIDS_MAX, sizeof(*sa->msgids));
		if (sa->msgids == NULL)
			return;
	}
	sa->msgids[sa->msgid_at] = msgid;
	sa->msgid_at = (sa->msgid_at + 1) % IKE_MSGIDS_MAX;
	if (sa->nmsgids < IKE_MSGIDS_MAX)
		sa->nmsgids++;
}

uint32_t
ike_msgid_new(struct ike_isa *sa)
{
	uint32_t id;

	do {
		id = ike_random32(sa->ike);
	} while (id == 0 || ike_msgid_used(sa, id));
	return id;
}

/* ---- sending ----------------------------------------------------------------- */

int
ike_send(struct ike *ike, const uint8_t *buf, size_t len,
         const struct ike_endpoint *from, const struct ike_endpoint *to)
{
	if (ike->env->send(ike->env->arg, buf, len, from, to) < 0) {
		IKE_STAT_INC(ike, send_failures);
		return -1;
	}
	return 0;
}

void
ike_tx_clear(struct ike_tx *tx)
{
	free(tx->buf);
	memset(tx, 0, sizeof(*tx));
}

int
ike_tx_set(struct ike_isa *sa, struct ike_tx *tx, const uint8_t *buf,
           size_t len, const struct ike_endpoint *from,
           const struct ike_endpoint *to, bool retransmit)
{
	struct ike *ike = sa->ike;
	uint8_t *copy = malloc(len);

	ike_tx_clear(tx);
	if (copy == NULL)
		return -1;
	memcpy(copy, buf, len);
	tx->buf = copy;
	tx->len = len;
	tx->from = *from;
	tx->to = *to;
	if (retransmit) {
		tx->due = ike->now + ike->conf.retransmit_ms;
		ike_due(ike, &sa->tn, tx->due);
	}
	ike_send(ike, buf, len, from, to);
	return 0;
}

/* Retransmits if due: 0 nothing to do or sent, -1 exhausted. */
int
ike_tx_timer(struct ike_isa *sa, struct ike_tx *tx)
{
	struct ike *ike = sa->ike;

	if (tx->due == 0)
		return 0;
	if (ike->now < tx->due) {
		ike_due(ike, &sa->tn, tx->due);
		return 0;
	}
	if (tx->tries >= ike->conf.retransmit_tries) {
		tx->due = 0;
		return -1;
	}
	tx->tries++;
	/* Exponential backoff: 2, 4, 8 ... seconds by default. */
	tx->due = ike->now + ((uint64_t)ike->conf.retransmit_ms << tx->tries);
	ike_due(ike, &sa->tn, tx->due);
	ike_send(ike, tx->buf, tx->len, &tx->from, &tx->to);
	return 0;
}

void
ike_rx_digest(const struct ike_rx *rx, uint8_t out[IKE_RXH_LEN])
{
	struct ike_chunk c = {rx->raw, rx->len};

	if (ike_digest(IKE_HASH_SHA1, &c, 1, out, NULL, 0) < 0)
		memset(out, 0, IKE_RXH_LEN);
}

uint64_t
ike_linger_ms(const struct ike *ike)
{
	return (uint64_t)ike->conf.retransmit_ms
	       << (ike->conf.retransmit_tries + 1);
}

bool
ike_rx_duplicate(struct ike *ike, uint8_t *rxh, bool *rxh_valid,
                 struct ike_tx *tx, const struct ike_rx *rx)
{
	uint8_t h[IKE_RXH_LEN];

	if (!*rxh_valid)
		return false;
	ike_rx_digest(rx, h);
	if (CRYPTO_memcmp(h, rxh, IKE_RXH_LEN) != 0)
		return false;
	/* A retransmitted request: our answer was lost.  Bounded, so that
	 * a flood of copies cannot turn us into an amplifier. */
	if (tx->buf != NULL && tx->dup_resends < IKE_DUP_RESENDS_MAX) {
		tx->dup_resends++;
		ike_send(ike, tx->buf, tx->len, &tx->from, &tx->to);
	}
	return true;
}

void
ike_rx_remember(struct ike *ike, uint8_t *rxh, bool *rxh_valid,
                const struct ike_rx *rx)
{
	(void)ike;
	ike_rx_digest(rx, rxh);
	*rxh_valid = true;
}

/* ---- scripts -------------------------------------------------------------- */

int
ike_script_check(const struct ike_script *s, const struct ike_msg *m,
                 uint16_t *notify, char *why, size_t whylen)
{
	unsigned count[IKE_SCRIPT_RULES] = {0};
	size_t r;

	for (unsigned i = 0; i < m->npl; i++) {
		uint8_t t = m->pl[i].type;
		for (r = 0; r < IKE_SCRIPT_RULES && s->rules[r].type != 0; r++)
			if (s->rules[r].type == t)
				break;
		if (r == IKE_SCRIPT_RULES || s->rules[r].type == 0) {
			*notify = IKE_N_INVALID_PAYLOAD_TYPE;
			snprintf(why, whylen, "%s: payload %s (%u) not allowed",
			         s->name, ike_pl_name(t), t);
			return -1;
		}
		if (count[r] < 255)
			count[r]++;
	}
	for (r = 0; r < IKE_SCRIPT_RULES && s->rules[r].type != 0; r++) {
		const struct ike_pl_rule *rule = &s->rules[r];
		if (count[r] < rule->min ||
		    (rule->max != IKE_ANY && count[r] > rule->max)) {
			*notify = IKE_N_PAYLOAD_MALFORMED;
			snprintf(why, whylen, "%s: %u %s payload(s), expected "
			                      "%u..%u",
			         s->name, count[r], ike_pl_name(rule->type),
			         rule->min, rule->max);
			return -1;
		}
	}
	if ((s->first != 0 && (m->npl < 1 || m->pl[0].type != s->first)) ||
	    (s->second != 0 && (m->npl < 2 || m->pl[1].type != s->second))) {
		*notify = IKE_N_PAYLOAD_MALFORMED;
		snprintf(why, whylen, "%s: must begin with %s%s%s", s->name,
		         ike_pl_name(s->first), s->second != 0 ? ", " : "",
		         s->second != 0 ? ike_pl_name(s->second) : "");
		return -1;
	}
	return 0;
}

/* ---- building and sealing messages ------------------------------------ */

int
ike_build_begin(struct ike_isa *sa, struct ike_msg_builder *b, uint8_t exch,
                uint32_t msgid, bool encrypted)
{
	struct ike_hdr h;

	memset(&h, 0, sizeof(h));
	memcpy(h.icookie, sa->icookie, IKE_COOKIE_LEN);
	memcpy(h.rcookie, sa->rcookie, IKE_COOKIE_LEN);
	h.exch = exch;
	h.flags = encrypted ? IKE_FLAG_ENC : 0;
	h.msgid = msgid;
	ike_msg_build_init(b, sa->ike->txbuf, sizeof(sa->ike->txbuf));
	return ike_msg_build_header(b, &h);
}

int
ike_build_seal(struct ike_isa *sa, struct ike_msg_builder *b,
               const uint8_t *iv, uint8_t *next_iv, size_t *len)
{
	bool enc = b->len >= IKE_HDR_LEN && (b->buf[19] & IKE_FLAG_ENC) != 0;
	char err[IKE_ERR_MAX];

	if (enc && ike_msg_build_pad(b, sa->blk) < 0)
		goto fail;
	if (ike_msg_build_finish(b, len) < 0)
		goto fail;
	if (enc && ike_encrypt(&sa->ek, iv, b->buf + IKE_HDR_LEN,
	                       *len - IKE_HDR_LEN, b->buf + IKE_HDR_LEN,
	                       next_iv, err, sizeof(err)) < 0) {
		ike_sa_log(sa->ike, sa, LOG_ERR, "cannot encrypt: %s", err);
		return -1;
	}
	return 0;
fail:
	ike_sa_log(sa->ike, sa, LOG_ERR, "cannot build a message: %s", b->err);
	return -1;
}

int
ike_build_hash12(struct ike_isa *sa, struct ike_msg_builder *b, size_t hash_off,
                 uint32_t msgid, const uint8_t *ni, size_t nilen)
{
	size_t hlen = sa->keys.len;
	const uint8_t *rest = b->buf + hash_off + hlen;
	size_t restlen = b->len - hash_off - hlen;
	uint8_t h[IKE_HASH_MAX_LEN];
	int rc;

	if (b->failed)
		return -1;
	if (ni == NULL)
		rc = ike_qm_hash1(&sa->keys, msgid, rest, restlen, h, NULL, 0);
	else
		rc = ike_qm_hash2(&sa->keys, msgid, ni, nilen, rest, restlen,
		                  h, NULL, 0);
	if (rc < 0)
		return -1;
	memcpy(b->buf + hash_off, h, hlen);
	return 0;
}

int
ike_rx_decrypt(struct ike_isa *sa, struct ike_rx *rx, const uint8_t *iv)
{
	struct ike *ike = sa->ike;
	struct ike_msg *m = rx->m;
	size_t len = m->body.len;
	char err[IKE_ERR_MAX];

	if (!sa->keyed || !m->encrypted || len == 0 || len % sa->blk != 0 ||
	    len > sizeof(ike->rxbuf)) {
		ike_sa_log(ike, sa, LOG_INFO,
		           "%s message of %zu bytes cannot be decrypted",
		           ike_exch_name(m->hdr.exch), len);
		return -1;
	}
	if (ike_decrypt(&sa->ek, iv, m->body.p, len, ike->rxbuf,
	                rx->last_block, err, sizeof(err)) < 0) {
		ike_sa_log(ike, sa, LOG_INFO, "decryption failed: %s", err);
		return -1;
	}
	if (ike_msg_parse_body(m->hdr.np, ike->rxbuf, len, m, err,
	                       sizeof(err)) < 0) {
		ike_sa_log(ike, sa, LOG_INFO,
		           "%s message does not decode (wrong key?): %s",
		           ike_exch_name(m->hdr.exch), err);
		return -1;
	}
	return 0;
}

void
ike_rx_after_hash(const struct ike_rx *rx, const uint8_t **p, size_t *len)
{
	const struct ike_msg *m = rx->m;
	const uint8_t *end = m->chain.p + m->chain.len;
	const uint8_t *start = m->pl[0].raw.p + m->pl[0].raw.len;

	*p = start;
	*len = (size_t)(end - start);
}

/* ---- input -------------------------------------------------------------------- */

static bool
cookie_zero(const uint8_t *c)
{
	return memcmp(c, zero_cookie, IKE_COOKIE_LEN) == 0;
}

/* Anything from the peer naming one of our initiator cookies before its
 * message 2 came (message 2 itself, a notify in clear such as
 * NO-PROPOSAL-CHOSEN, even a malformed answer) shows a peer that speaks
 * IKE: it is not silent, and soft=yes does not apply to it. */
static void
mark_heard(struct ike *ike, const struct ike_msg *m,
           const struct ike_endpoint *from)
{
	struct ike_isa *sa;

	if (m->hdr.exch == IKE_EXCH_MAIN && cookie_zero(m->hdr.rcookie))
		return; /* a message 1: someone else's main mode */
	sa = ike_sa_find(ike, m->hdr.icookie, zero_cookie);
	if (sa != NULL && sa->role == IKE_ROLE_I && sa->step == 0 &&
	    ike_addr_eq(&from->addr, &sa->remote.addr))
		sa->heard = true;
}

/* One INVALID-COOKIE notify a second at most: it answers unauthenticated
 * input, so it must not become an amplifier. */
static void
invalid_cookie(struct ike *ike, struct ike_rx *rx)
{
	const struct ike_hdr *h = &rx->m->hdr;
	char peer[INET6_ADDRSTRLEN];

	IKE_STAT_INC(ike, invalid_cookies);
	ike_addr_str(&rx->from.addr, peer, sizeof(peer));
	ike_log(ike, LOG_INFO,
	        "IKE: %s message from %s for an unknown cookie pair",
	        ike_exch_name(h->exch), peer);
	if (h->exch == IKE_EXCH_INFO || cookie_zero(h->rcookie))
		return;
	if (ike->invalid_cookie_notify_ms != 0 &&
	    ike->now < ike->invalid_cookie_notify_ms + 1000)
		return;
	ike->invalid_cookie_notify_ms = ike->now;
	ike_info_notify_raw(ike, h, IKE_N_INVALID_COOKIE, &rx->to, &rx->from);
}

void
ike_input(struct ike *ike, const uint8_t *msg, size_t len,
          const struct ike_endpoint *from, const struct ike_endpoint *to)
{
	struct ike_msg *m = &ike->rxm;
	struct ike_rx rx;
	struct ike_isa *sa;
	char err[IKE_ERR_MAX], peer[INET6_ADDRSTRLEN];

	ike->now = ike->env->now_ms(ike->env->arg);
	memset(&rx, 0, sizeof(rx));
	rx.m = m;
	rx.raw = msg;
	rx.len = len;
	rx.from = *from;
	rx.to = *to;
	ike_addr_str(&from->addr, peer, sizeof(peer));
	if (ike_msg_parse(msg, len, m, err, sizeof(err)) < 0) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_log(ike, LOG_INFO, "IKE: dropped a datagram from %s: %s",
		        peer, err);
		goto out;
	}
	mark_heard(ike, m, from);
	if (m->hdr.exch == IKE_EXCH_MAIN && cookie_zero(m->hdr.rcookie)) {
		sa = sa_find_responder(ike, m->hdr.icookie, &from->addr);
		if (sa != NULL)
			ike_mm_input(sa, &rx);
		else
			ike_mm_respond(ike, &rx);
		goto out;
	}
	sa = ike_sa_find(ike, m->hdr.icookie, m->hdr.rcookie);
	if (sa == NULL && m->hdr.exch == IKE_EXCH_MAIN) {
		/* Message 2: our SA learns the responder's cookie. */
		sa = ike_sa_find(ike, m->hdr.icookie, zero_cookie);
		if (sa != NULL && (sa->role != IKE_ROLE_I || sa->step != 0))
			sa = NULL;
	}
	if (sa == NULL) {
		if (m->hdr.exch == IKE_EXCH_INFO && !m->encrypted)
			ike_info_input_nosa(ike, &rx);
		else
			invalid_cookie(ike, &rx);
		goto out;
	}
	if (!ike_addr_eq(&from->addr, &sa->remote.addr)) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_sa_log(ike, sa, LOG_INFO,
		           "%s message from another address (%s): dropped",
		           ike_exch_name(m->hdr.exch), peer);
		goto out;
	}
	switch (m->hdr.exch) {
	case IKE_EXCH_MAIN:
		ike_mm_input(sa, &rx);
		break;
	case IKE_EXCH_QUICK:
		ike_qm_input(sa, &rx);
		break;
	case IKE_EXCH_INFO:
		ike_info_input(sa, &rx);
		break;
	default:
		IKE_STAT_INC(ike, invalid_packets);
		ike_sa_log(ike, sa, LOG_INFO,
		           "unsupported exchange %s (%u): dropped",
		           ike_exch_name(m->hdr.exch), m->hdr.exch);
		break;
	}
out:
	ike_reap(ike);
}

/* ---- acquires ------------------------------------------------------------------ */

int
ike_acquire(struct ike *ike, const struct ike_acquire *a0)
{
	struct ike_acquire a = *a0;
	struct ike_qm_query q;
	struct ike_qm_conf qc;
	struct ike_mm_conf *mc = NULL;
	struct ike_isa *sa;
	char peer[INET6_ADDRSTRLEN];
	int rc = -1;

	ike->now = ike->env->now_ms(ike->env->arg);
	if (ike_acquire_echo(ike, &a)) {
		/* Not a request to negotiate: the packet leaves on the pair
		 * we are completing as responder. */
		ike_addr_str(&a.peer.addr, peer, sizeof(peer));
		ike_log(ike, LOG_DEBUG,
		        "IKE: acquire for %s: answered by the pair in "
		        "progress",
		        peer);
		return 0;
	}
	IKE_STAT_INC(ike, total_acquire);
	if (a.local.port == 0)
		a.local.port = ike->conf.port;
	if (a.peer.port == 0)
		a.peer.port = ike->conf.port;
	ike_addr_str(&a.peer.addr, peer, sizeof(peer));
	memset(&q, 0, sizeof(q));
	q.initiator = true;
	q.acquire = &a;
	q.local = a.local;
	q.peer = a.peer;
	memset(&qc, 0, sizeof(qc));
	if (ike->env->qm_policy == NULL ||
	    ike->env->qm_policy(ike->env->arg, &q, &qc) < 0 ||
	    qc.noffers == 0 || qc.noffers > IKE_QM_OFFERS_MAX) {
		ike_log(ike, LOG_NOTICE,
		        "IKE: acquire for %s: no quick mode policy", peer);
		goto out;
	}
	if (ike_qm_find_acquire(ike, &a, &qc) != NULL) {
		rc = 0; /* joined the negotiation in progress */
		goto out;
	}
	sa = ike_sa_usable(ike, &a.peer.addr);
	if (sa == NULL)
		sa = sa_in_progress(ike, &a.peer.addr);
	if (sa == NULL) {
		if (ike->halfopen >= ike->conf.halfopen_max) {
			ike_log(ike, LOG_WARNING,
			        "IKE: acquire for %s: %u half-open SAs, no "
			        "more",
			        peer, ike->halfopen);
			goto out;
		}
		mc = calloc(1, sizeof(*mc));
		if (mc == NULL)
			goto out;
		if (ike->env->mm_policy == NULL ||
		    ike->env->mm_policy(ike->env->arg, &a.local, &a.peer, mc) <
		        0) {
			ike_log(ike, LOG_NOTICE,
			        "IKE: acquire for %s: no main mode policy",
			        peer);
			goto out;
		}
		sa = ike_mm_initiate(ike, &a.local, &a.peer, mc);
		mc = NULL; /* taken, even on failure */
		if (sa == NULL)
			goto out;
	}
	if (ike_qm_new_initiator(sa, &qc, &a, 0) == NULL)
		goto out;
	/* soft=yes: the soft wait runs from the start of the main mode
	 * (a peer silent that long already needs no more). */
	if (qc.soft && sa->role == IKE_ROLE_I && sa->step == 0 && !sa->heard)
		ike_due(ike, &sa->tn, sa_soft_due(sa));
	rc = 0;
out:
	if (mc != NULL) {
		OPENSSL_cleanse(mc, sizeof(*mc));
		free(mc);
	}
	OPENSSL_cleanse(&qc, sizeof(qc));
	if (rc < 0)
		IKE_STAT_INC(ike, acquire_failures);
	ike_reap(ike);
	return rc;
}

/* ---- timers ------------------------------------------------------------------- */

/* Main mode lifetime nearly over: a new main mode, if anything still
 * uses this peer and nothing newer exists. */
static void
sa_rekey(struct ike_isa *sa)
{
	struct ike *ike = sa->ike;
	struct ike_mm_conf *mc;
	struct ike_isa *o;
	struct ike_child *c;
	bool used = false;

	if (sa->replaced)
		return;
	TAILQ_FOREACH(o, &sa->peer->sas, peer_link)
		if (o != sa && !o->dead && o->created_ms >= sa->created_ms)
			return; /* a newer one exists or is on its way */
	TAILQ_FOREACH(c, &sa->peer->children, peer_link)
		if (!c->dead && !c->info.soft)
			used = true;
	if (!used)
		return;
	mc = calloc(1, sizeof(*mc));
	if (mc == NULL)
		return;
	if (ike->env->mm_policy == NULL ||
	    ike->env->mm_policy(ike->env->arg, &sa->local, &sa->remote, mc) <
	        0) {
		OPENSSL_cleanse(mc, sizeof(*mc));
		free(mc);
		return;
	}
	ike_sa_log(ike, sa, LOG_INFO, "main mode lifetime nearly over: "
	                              "rekeying");
	/* A fresh main mode on the IKE port; it floats again by itself. */
	struct ike_endpoint local = sa->local, remote = sa->remote;
	if (sa->floated) {
		local.port = ike->conf.port;
		remote.port = ike->conf.port;
	}
	ike_mm_initiate(ike, &local, &remote, mc);
}

/* Main mode ended without an answer (retransmissions spent, the
 * half-open time or the soft wait over).  An initiator that never heard
 * from the peer at all may leave a soft association behind (soft=yes,
 * ike_qm_fail). */
static void
sa_give_up(struct ike_isa *sa)
{
	bool silent = sa->role == IKE_ROLE_I && sa->step == 0 && !sa->heard;

	for (struct ike_qm *qm = sa->qms; qm != NULL; qm = qm->next)
		if (!qm->dead && !qm->done)
			ike_qm_fail(qm, IKE_FAIL_OTHER, silent);
	ike_sa_fail(sa, NULL);
}

/* An exchange that may end in a soft association (soft=yes, started
 * by an acquire), still waiting. */
static bool
qm_may_go_soft(const struct ike_qm *qm)
{
	return qm->role == IKE_ROLE_I && !qm->dead && !qm->done &&
	       qm->have_acq && qm->conf.soft;
}

/*
 * soft=yes ("allow unsecured communication with non-IPsec-aware
 * computers"): a peer that has sent nothing back for this main mode
 * within the soft wait is taken for one without IPsec, as Windows does
 * after about 3 s.  The exchanges that allow it get their soft
 * association at once, instead of after the whole retransmission
 * schedule (about a minute, longer than most connection attempts wait);
 * when no other exchange waits for the main mode, it is abandoned too.
 * Counted as the give-up it replaces (Acquire Failures, ike_qm_fail).
 * Returns true when the SA is gone.
 */
static bool
sa_soft_wait(struct ike_isa *sa)
{
	struct ike *ike = sa->ike;
	unsigned nsoft = 0, nother = 0;

	if (sa->role != IKE_ROLE_I || sa->step != 0 || sa->heard)
		return false;
	for (struct ike_qm *qm = sa->qms; qm != NULL; qm = qm->next) {
		if (qm_may_go_soft(qm))
			nsoft++;
		else if (!qm->dead && !qm->done)
			nother++;
	}
	if (nsoft == 0)
		return false;
	if (ike->now < sa_soft_due(sa)) {
		ike_due(ike, &sa->tn, sa_soft_due(sa));
		return false;
	}
	ike_sa_log(ike, sa, LOG_NOTICE,
	           "%s: no answer in %u ms: peer taken for one without IPsec "
	           "(soft=yes)%s",
	           ike_mm_state_name(sa), ike->conf.soft_wait_ms,
	           nother == 0 ? "" : "; main mode goes on for the rest");
	if (nother == 0) {
		sa_give_up(sa);
		return true;
	}
	for (struct ike_qm *qm = sa->qms; qm != NULL; qm = qm->next)
		if (qm_may_go_soft(qm))
			ike_qm_fail(qm, IKE_FAIL_OTHER, true);
	return false;
}

static void
sa_timer(struct ike_isa *sa)
{
	struct ike *ike = sa->ike;
	struct ike_rx rx;

	memset(&rx, 0, sizeof(rx));
	if (sa_soft_wait(sa))
		return;
	if (ike_tx_timer(sa, &sa->tx) < 0) {
		ike_sa_log(ike, sa, LOG_NOTICE,
		           "%s: no answer after %u retransmissions",
		           ike_mm_state_name(sa), ike->conf.retransmit_tries);
		sa_give_up(sa);
		return;
	}
	if (sa->step != IKE_MM_DONE) {
		/* An initiator still retransmitting is bounded by its
		 * retransmission limit (the peer gets all its tries, with
		 * their backoff); the half-open bound is for responders and
		 * for initiators with nothing in flight. */
		bool retrying = sa->role == IKE_ROLE_I && sa->tx.due != 0;
		if (!retrying && ike->now >= sa->expire_ms) {
			ike_sa_log(ike, sa, LOG_NOTICE,
			           "%s: half-open SA expired",
			           ike_mm_state_name(sa));
			sa_give_up(sa);
			return;
		}
		if (!retrying)
			ike_due(ike, &sa->tn, sa->expire_ms);
	} else {
		if (ike->now >= sa->expire_ms) {
			ike_sa_log(ike, sa, LOG_INFO,
			           "main mode lifetime over: deleted");
			sa->expired = true;
			ike_info_delete_isakmp(sa);
			ike_sa_kill(sa);
			return;
		}
		ike_due(ike, &sa->tn, sa->expire_ms);
		if (sa->soft_ms != 0 && ike->now >= sa->soft_ms) {
			sa->soft_ms = 0;
			sa_rekey(sa);
		}
		ike_due(ike, &sa->tn, sa->soft_ms);
		ike_natt_timer(sa);
	}
	for (struct ike_qm *qm = sa->qms; qm != NULL; qm = qm->next)
		if (!qm->dead)
			ike_qm_timer(qm);
}

/*
 * Runs the objects whose earliest deadline has come, and only those:
 * each registers its next deadlines again as it runs.  What is due is
 * taken out of the heap first (a deadline it sets for now again waits
 * for the next call), then the SAs run before the pairs, as a walk of
 * both lists would: a pair's rekey must see its main mode SA expired
 * in the same round.  Nothing is freed before ike_reap.
 */
void
ike_timer(struct ike *ike)
{
	struct ike_tnode *sas = NULL, **sas_tail = &sas;
	struct ike_tnode *pairs = NULL, **pairs_tail = &pairs;

	ike->now = ike->env->now_ms(ike->env->arg);
	while (ike->nheap > 0 && ike->heap[0]->due <= ike->now) {
		struct ike_tnode *tn = ike->heap[0];
		heap_remove(ike, tn);
		tn->run_next = NULL;
		if (tn->sa != NULL) {
			*sas_tail = tn;
			sas_tail = &tn->run_next;
		} else {
			*pairs_tail = tn;
			pairs_tail = &tn->run_next;
		}
	}
	for (struct ike_tnode *tn = sas; tn != NULL; tn = tn->run_next) {
		/* Registered again meanwhile: runs now, registers anew. */
		heap_remove(ike, tn);
		if (!tn->sa->dead)
			sa_timer(tn->sa);
	}
	for (struct ike_tnode *tn = pairs; tn != NULL; tn = tn->run_next) {
		heap_remove(ike, tn);
		if (!tn->child->dead)
			ike_child_timer(ike, tn->child);
	}
	ike_reap(ike);
}

/* ---- administration and show ------------------------------------------------------ */

void
ike_delete_all(struct ike *ike)
{
	ike->now = ike->env->now_ms(ike->env->arg);
	for (struct ike_child *c = ike->children; c != NULL; c = c->next)
		if (!c->dead)
			ike_child_delete(ike, c, true);
	for (struct ike_isa *sa = ike->sas; sa != NULL; sa = sa->next) {
		if (sa->dead)
			continue;
		if (sa->step == IKE_MM_DONE)
			ike_info_delete_isakmp(sa);
		ike_sa_kill(sa);
	}
	ike_reap(ike);
}

void
ike_foreach_mmsa(const struct ike *ike,
                 void (*fn)(void *arg, const struct ike_mmsa_info *),
                 void *arg)
{
	for (const struct ike_isa *sa = ike->sas; sa != NULL; sa = sa->next) {
		struct ike_mmsa_info i;

		if (sa->dead)
			continue;
		memset(&i, 0, sizeof(i));
		memcpy(i.icookie, sa->icookie, IKE_COOKIE_LEN);
		memcpy(i.rcookie, sa->rcookie, IKE_COOKIE_LEN);
		i.local = sa->local;
		i.peer = sa->remote;
		i.initiator = sa->role == IKE_ROLE_I;
		i.established = sa->step == IKE_MM_DONE;
		i.state = ike_mm_state_name(sa);
		i.auth = sa->auth_method;
		i.offer = sa->offer;
		i.lifetime_s = sa->lifetime_s;
		i.age_ms = ike->now - sa->created_ms;
		i.natt = sa->natt != IKE_NATT_NONE;
		i.nat_local = sa->nat_local;
		i.nat_peer = sa->nat_peer;
		i.floated = sa->floated;
		i.nqm = sa->nqm;
		i.policy_id = sa->policy_id;
		i.peer_id = sa->peer_id;
		fn(arg, &i);
	}
}

void
ike_foreach_child(const struct ike *ike,
                  void (*fn)(void *arg, const struct ike_child_info *),
                  void *arg)
{
	for (const struct ike_child *c = ike->children; c != NULL; c = c->next)
		if (!c->dead)
			fn(arg, &c->info);
}
