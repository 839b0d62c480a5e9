/*
 * pkt.h - private helpers of the datapath for wire bytes: big-endian
 * loads and stores, a bounds-checked read cursor, in-place head/tail
 * adjustments of a struct dp_pkt, the Internet checksum and the IP
 * header builders used by ESP and AH.
 */
#ifndef IPSECSH_DP_PKT_H
#define IPSECSH_DP_PKT_H

#include <string.h>

#include "datapath.h"

#define IPPROTO_NUM_IPV4 4
#define IPPROTO_NUM_TCP 6
#define IPPROTO_NUM_UDP 17
#define IPPROTO_NUM_IPV6 41
#define IPPROTO_NUM_ESP 50
#define IPPROTO_NUM_AH 51
#define IPPROTO_NUM_NONE 59 /* RFC 4303 §2.6 dummy packet */
#define IPPROTO_NUM_SCTP 132

#define IP4_HLEN 20
#define IP6_HLEN 40
#define IP_MAXLEN 65535u

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)(v >> 32));
	wr32(p + 4, (uint32_t)v);
}

/*
 * Read cursor over (p, len).  Invariant: off <= len, so len - off never
 * underflows; every read checks the remaining length first.
 */
struct cur {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static inline void
cur_init(struct cur *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = len;
	c->off = 0;
}

static inline size_t
cur_left(const struct cur *c)
{
	return c->len - c->off;
}

static inline int
cur_skip(struct cur *c, size_t n)
{
	if (n > cur_left(c))
		return -1;
	c->off += n;
	return 0;
}

static inline int
cur_copy(struct cur *c, void *dst, size_t n)
{
	if (n > cur_left(c))
		return -1;
	memcpy(dst, c->p + c->off, n);
	c->off += n;
	return 0;
}

static inline int
cur_u8(struct cur *c, uint8_t *v)
{
	if (cur_left(c) < 1)
		return -1;
	*v = c->p[c->off++];
	return 0;
}

static inline int
cur_u16(struct cur *c, uint16_t *v)
{
	if (cur_left(c) < 2)
		return -1;
	*v = rd16(c->p + c->off);
	c->off += 2;
	return 0;
}

static inline int
cur_u32(struct cur *c, uint32_t *v)
{
	if (cur_left(c) < 4)
		return -1;
	*v = rd32(c->p + c->off);
	c->off += 4;
	return 0;
}

/* ---- in-place adjustments (NULL when the room is missing) ------------ */

static inline uint32_t
pkt_tailroom(const struct dp_pkt *pkt)
{
	return pkt->size - pkt->off - pkt->len;
}

/* Prepends n bytes; returns the new data start. */
static inline uint8_t *
pkt_push(struct dp_pkt *pkt, uint32_t n)
{
	if (n > pkt->off)
		return NULL;
	pkt->off -= n;
	pkt->len += n;
	return pkt->buf + pkt->off;
}

/* Removes n bytes from the front; returns the new data start. */
static inline uint8_t *
pkt_pull(struct dp_pkt *pkt, uint32_t n)
{
	if (n > pkt->len)
		return NULL;
	pkt->off += n;
	pkt->len -= n;
	return pkt->buf + pkt->off;
}

/* Appends n bytes; returns where they go. */
static inline uint8_t *
pkt_put(struct dp_pkt *pkt, uint32_t n)
{
	uint8_t *tail;

	if (n > pkt_tailroom(pkt))
		return NULL;
	tail = pkt->buf + pkt->off + pkt->len;
	pkt->len += n;
	return tail;
}

/* ---- checksums and headers ------------------------------------------ */

/* One's-complement sum of (p, len), folded, not inverted; add to sum. */
uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t csum_fold(uint32_t sum);

/* Writes a 20-byte IPv4 header with checksum. */
void ip4_build(uint8_t *h, uint8_t tos, uint16_t total_len, uint16_t id,
               uint16_t frag, uint8_t ttl, uint8_t proto, const uint8_t *src,
               const uint8_t *dst);
/* Recomputes the checksum of the IPv4 header h of hlen bytes. */
void ip4_set_csum(uint8_t *h, size_t hlen);
/* Writes a 40-byte IPv6 header. */
void ip6_build(uint8_t *h, uint32_t tc_flow, uint16_t payload_len, uint8_t nh,
               uint8_t hlim, const uint8_t *src, const uint8_t *dst);

/*
 * Recomputes the TCP or UDP checksum of the IP packet (p, len) whose flow
 * was parsed into f (RFC 3948 §3.1.2: transport mode through a NAT).
 * Other protocols, fragments and IPv4 UDP with checksum 0 are left alone.
 */
void l4_csum_fix(uint8_t *p, size_t len, const struct dp_flow *f);

/* Single-writer counter bump, safe against concurrent relaxed readers. */
static inline void
stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n,
	                 __ATOMIC_RELAXED);
}

#define STAT_INC(st, field) stat_add(&(st)->field, 1)

#endif
