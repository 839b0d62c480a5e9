/*
 * pkt.c - packet buffers (a fixed pool per worker, no allocation per
 * packet), IPv4/IPv6 parsing to a flow with bounds checks, selectors,
 * checksums and IP header builders.
 */
#include <stdlib.h>
#include <sys/socket.h>

#include "pkt.h"

/* ---- pool ----------------------------------------------------------- */

struct dp_pool {
	uint8_t *mem; /* count * size bytes, 64-byte aligned */
	struct dp_pkt *pkts;
	struct dp_pkt *free;
	unsigned count;
	unsigned avail;
	uint32_t size;
};

struct dp_pool *
dp_pool_new(unsigned count, uint32_t size)
{
	struct dp_pool *pool = NULL;
	size_t total;
	unsigned i;

	if (count == 0 || size < DP_PKT_HEADROOM + DP_PKT_TAILROOM + 64)
		return NULL;
	size = (size + 63u) & ~63u;
	if ((size_t)count > SIZE_MAX / size)
		return NULL;
	total = (size_t)count * size;
	pool = calloc(1, sizeof(*pool));
	if (pool == NULL)
		goto fail;
	pool->mem = aligned_alloc(64, total);
	pool->pkts = calloc(count, sizeof(*pool->pkts));
	if (pool->mem == NULL || pool->pkts == NULL)
		goto fail;
	pool->count = count;
	pool->size = size;
	for (i = count; i-- > 0;) {
		struct dp_pkt *pkt = &pool->pkts[i];

		pkt->buf = pool->mem + (size_t)i * size;
		pkt->size = size;
		pkt->pool = pool;
		pkt->next = pool->free;
		pool->free = pkt;
	}
	pool->avail = count;
	return pool;
fail:
	dp_pool_free(pool);
	return NULL;
}

void
dp_pool_free(struct dp_pool *pool)
{
	if (pool == NULL)
		return;
	free(pool->mem);
	free(pool->pkts);
	free(pool);
}

struct dp_pkt *
dp_pool_get(struct dp_pool *pool)
{
	struct dp_pkt *pkt = pool->free;

	if (pkt == NULL)
		return NULL;
	pool->free = pkt->next;
	pool->avail--;
	pkt->next = NULL;
	dp_pkt_reset(pkt);
	return pkt;
}

unsigned
dp_pool_available(const struct dp_pool *pool)
{
	return pool->avail;
}

void
dp_pkt_release(struct dp_pkt *pkt)
{
	struct dp_pool *pool;

	if (pkt == NULL || pkt->pool == NULL)
		return;
	pool = pkt->pool;
	pkt->next = pool->free;
	pool->free = pkt;
	pool->avail++;
}

void
dp_pkt_reset(struct dp_pkt *pkt)
{
	pkt->off = DP_PKT_HEADROOM;
	pkt->len = 0;
}

int
dp_pkt_set(struct dp_pkt *pkt, const void *data, size_t len)
{
	if (pkt->size < DP_PKT_HEADROOM + DP_PKT_TAILROOM ||
	    len > pkt->size - DP_PKT_HEADROOM - DP_PKT_TAILROOM)
		return -1;
	pkt->off = DP_PKT_HEADROOM;
	pkt->len = (uint32_t)len;
	if (len > 0)
		memcpy(pkt->buf + pkt->off, data, len);
	return 0;
}

/* ---- parsing -------------------------------------------------------- */

static bool
has_ports(uint8_t proto)
{
	return proto == IPPROTO_NUM_TCP || proto == IPPROTO_NUM_UDP ||
	       proto == IPPROTO_NUM_SCTP || proto == 136 /* UDP-Lite */;
}

static enum dp_result
parse_ip4(const uint8_t *p, size_t len, struct dp_flow *f)
{
	struct cur c;
	uint8_t vihl, proto;
	uint16_t tot, frag;
	size_t ihl;

	/*
	 *  0      3 4     7 8            15 16                           31
	 * |Version|  IHL  |      TOS       |         Total Length          |
	 * |         Identification         |Flags|    Fragment Offset      |
	 * |      TTL      |    Protocol    |        Header Checksum        |
	 * |                       Source Address                           |
	 * |                     Destination Address                        |
	 */
	cur_init(&c, p, len);
	if (cur_u8(&c, &vihl) < 0 || cur_skip(&c, 1) < 0 ||
	    cur_u16(&c, &tot) < 0 || cur_skip(&c, 2) < 0 ||
	    cur_u16(&c, &frag) < 0 || cur_skip(&c, 1) < 0 ||
	    cur_u8(&c, &proto) < 0 || cur_skip(&c, 2) < 0 ||
	    cur_copy(&c, f->src.bytes, 4) < 0 ||
	    cur_copy(&c, f->dst.bytes, 4) < 0)
		return DP_ERR_MALFORMED;
	ihl = (size_t)(vihl & 0x0f) * 4;
	if ((vihl >> 4) != 4 || ihl < IP4_HLEN || tot < ihl || tot > len)
		return DP_ERR_MALFORMED;
	f->src.family = f->dst.family = AF_INET;
	f->proto = proto;
	f->iphlen = f->l3len = (uint16_t)ihl;
	f->len = tot;
	f->frag = (frag & 0x3fff) != 0;
	/* Ports only in the first fragment, and only if they are there. */
	if ((frag & 0x1fff) == 0 && has_ports(proto) && tot - ihl >= 4) {
		f->sport = rd16(p + ihl);
		f->dport = rd16(p + ihl + 2);
	}
	return DP_OK;
}

#define IP6_EXT_MAX 8

static enum dp_result
parse_ip6(const uint8_t *p, size_t len, struct dp_flow *f)
{
	struct cur c;
	uint32_t vtf;
	uint16_t plen;
	uint8_t nh;
	bool first = true;
	int i;

	/*
	 * |Version| Traffic Class |           Flow Label                  |
	 * |         Payload Length        |  Next Header  |   Hop Limit   |
	 * |                 Source Address (16) | Destination Address (16) |
	 */
	cur_init(&c, p, len);
	if (cur_u32(&c, &vtf) < 0 || cur_u16(&c, &plen) < 0 ||
	    cur_u8(&c, &nh) < 0 || cur_skip(&c, 1) < 0 ||
	    cur_copy(&c, f->src.bytes, 16) < 0 ||
	    cur_copy(&c, f->dst.bytes, 16) < 0)
		return DP_ERR_MALFORMED;
	/* Jumbograms (payload length 0 + hop-by-hop) are not supported. */
	if ((vtf >> 28) != 6 || (size_t)plen > len - IP6_HLEN)
		return DP_ERR_MALFORMED;
	f->src.family = f->dst.family = AF_INET6;
	f->iphlen = IP6_HLEN;
	f->len = (uint32_t)IP6_HLEN + plen;
	/* Walk extension headers within the datagram only. */
	cur_init(&c, p, f->len);
	c.off = IP6_HLEN;
	for (i = 0;; i++) {
		uint8_t next, hlen;
		uint16_t fo;

		if (nh != 0 && nh != 43 && nh != 44 && nh != 60)
			break;
		if (i == IP6_EXT_MAX)
			return DP_ERR_MALFORMED;
		if (nh == 44) {
			/* Fragment header: fixed 8 bytes. */
			if (cur_u8(&c, &next) < 0 || cur_skip(&c, 1) < 0 ||
			    cur_u16(&c, &fo) < 0 || cur_skip(&c, 4) < 0)
				return DP_ERR_MALFORMED;
			f->frag = true;
			if ((fo & 0xfff8) != 0)
				first = false;
		} else {
			if (cur_u8(&c, &next) < 0 || cur_u8(&c, &hlen) < 0 ||
			    cur_skip(&c, (size_t)hlen * 8 + 6) < 0)
				return DP_ERR_MALFORMED;
		}
		nh = next;
	}
	f->proto = nh;
	f->l3len = (uint16_t)c.off;
	if (first && has_ports(nh) && cur_left(&c) >= 4) {
		f->sport = rd16(p + c.off);
		f->dport = rd16(p + c.off + 2);
	}
	return DP_OK;
}

enum dp_result
dp_flow_parse(const uint8_t *p, size_t len, struct dp_flow *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 1)
		return DP_ERR_MALFORMED;
	switch (p[0] >> 4) {
	case 4:
		return parse_ip4(p, len, out);
	case 6:
		return parse_ip6(p, len, out);
	default:
		return DP_ERR_MALFORMED;
	}
}

static bool
prefix_match(const struct dp_addr *net, unsigned plen, const struct dp_addr *a)
{
	unsigned max = net->family == AF_INET ? 32 : 128;
	unsigned bytes, bits;

	if (net->family == 0)
		return true;
	if (a->family != net->family)
		return false;
	if (plen > max)
		plen = max;
	bytes = plen / 8;
	bits = plen % 8;
	if (memcmp(net->bytes, a->bytes, bytes) != 0)
		return false;
	if (bits != 0) {
		uint8_t mask = (uint8_t)(0xff00u >> bits);

		if ((net->bytes[bytes] ^ a->bytes[bytes]) & mask)
			return false;
	}
	return true;
}

bool
dp_selector_match(const struct dp_selector *sel, const struct dp_flow *f)
{
	if (!prefix_match(&sel->src, sel->src_plen, &f->src) ||
	    !prefix_match(&sel->dst, sel->dst_plen, &f->dst))
		return false;
	if (sel->proto != 0 && sel->proto != f->proto)
		return false;
	if (sel->sport != 0 && sel->sport != f->sport)
		return false;
	if (sel->dport != 0 && sel->dport != f->dport)
		return false;
	return true;
}

/* ---- checksums and headers ------------------------------------------ */

uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t s = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

void
ip4_set_csum(uint8_t *h, size_t hlen)
{
	h[10] = h[11] = 0;
	wr16(h + 10, (uint16_t)~csum_fold(csum_add(0, h, hlen)));
}

void
ip4_build(uint8_t *h, uint8_t tos, uint16_t total_len, uint16_t id,
          uint16_t frag, uint8_t ttl, uint8_t proto, const uint8_t *src,
          const uint8_t *dst)
{
	h[0] = 0x45;
	h[1] = tos;
	wr16(h + 2, total_len);
	wr16(h + 4, id);
	wr16(h + 6, frag);
	h[8] = ttl;
	h[9] = proto;
	memcpy(h + 12, src, 4);
	memcpy(h + 16, dst, 4);
	ip4_set_csum(h, IP4_HLEN);
}

void
ip6_build(uint8_t *h, uint32_t tc_flow, uint16_t payload_len, uint8_t nh,
          uint8_t hlim, const uint8_t *src, const uint8_t *dst)
{
	wr32(h, 6u << 28 | (tc_flow & 0x0fffffffu));
	wr16(h + 4, payload_len);
	h[6] = nh;
	h[7] = hlim;
	memcpy(h + 8, src, 16);
	memcpy(h + 24, dst, 16);
}

void
l4_csum_fix(uint8_t *p, size_t len, const struct dp_flow *f)
{
	uint8_t pseudo[40];
	size_t l4len, coff, plen;
	uint32_t sum;
	uint16_t cs;

	if (f->frag || f->len > len || f->l3len > f->len)
		return;
	l4len = f->len - f->l3len;
	if (f->proto == IPPROTO_NUM_TCP)
		coff = 16;
	else if (f->proto == IPPROTO_NUM_UDP)
		coff = 6;
	else
		return;
	if (l4len < coff + 2)
		return;
	if (f->src.family == AF_INET) {
		if (f->proto == IPPROTO_NUM_UDP &&
		    rd16(p + f->l3len + coff) == 0)
			return; /* IPv4 UDP without checksum */
		memcpy(pseudo, f->src.bytes, 4);
		memcpy(pseudo + 4, f->dst.bytes, 4);
		pseudo[8] = 0;
		pseudo[9] = f->proto;
		wr16(pseudo + 10, (uint16_t)l4len);
		plen = 12;
	} else {
		memcpy(pseudo, f->src.bytes, 16);
		memcpy(pseudo + 16, f->dst.bytes, 16);
		wr32(pseudo + 32, (uint32_t)l4len);
		pseudo[36] = pseudo[37] = pseudo[38] = 0;
		pseudo[39] = f->proto;
		plen = 40;
	}
	p[f->l3len + coff] = p[f->l3len + coff + 1] = 0;
	sum = csum_add(0, pseudo, plen);
	sum = csum_add(sum, p + f->l3len, l4len);
	cs = (uint16_t)~csum_fold(sum);
	if (cs == 0 && f->proto == IPPROTO_NUM_UDP)
		cs = 0xffff;
	wr16(p + f->l3len + coff, cs);
}

enum dp_udp_kind
dp_udp_classify(const uint8_t *p, size_t len)
{
	if (len == 1 && p[0] == 0xff)
		return DP_UDP_KEEPALIVE;
	if (len < 4)
		return DP_UDP_INVALID;
	if (rd32(p) == 0)
		return len > 4 ? DP_UDP_IKE : DP_UDP_INVALID;
	/* An ESP packet has at least SPI and sequence number. */
	return len >= 8 ? DP_UDP_ESP : DP_UDP_INVALID;
}
