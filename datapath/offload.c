/*
 * offload.c - TUN offloads (IFF_VNET_HDR, as wireguard-go uses them):
 * every read and write of the TUN device carries a struct
 * virtio_net_hdr, which lets the kernel
 *   - hand us TCP "super-packets" of up to 64 KB (TSO: gso_type TCPV4 /
 *     TCPV6, gso_size = MSS) that we cut into MSS-sized segments here,
 *     each with its own IP and TCP header and a full checksum, before
 *     ESP sees them (one read instead of ~45);
 *   - hand us packets whose transport checksum is left to us (NEEDS_CSUM:
 *     the field holds the pseudo-header sum; we finish it);
 *   - take from us, on the way in, consecutive decrypted segments of a
 *     TCP flow coalesced into one super-packet (GRO), so one write and
 *     one pass through the kernel's TCP receive path carry many
 *     segments.
 * The ESP integrity check authenticates every segment that is coalesced;
 * the kernel is told the coalesced packet's checksum is partial (it
 * does not verify segments that ESP already authenticated), exactly as
 * with a NIC that verified them.
 */
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pkt.h"
#include "rt_core.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_CWR 0x80

_Static_assert(sizeof(struct virtio_net_hdr) == VNET_HLEN, "vnet header");

/* ---- checksums --------------------------------------------------------- */

/*
 * acc + the one's-complement sum of (p, len) as big-endian 16-bit words,
 * like csum_add() but 8 bytes at a time: the one's-complement sum of
 * native 64-bit words, folded, equals the big-endian one up to a byte
 * swap (RFC 1071 §2(B)).  p must start the 16-bit word grid.
 */
static uint32_t
csum_fast(uint32_t acc, const uint8_t *p, size_t len)
{
	uint64_t s = 0, w, t;
	uint16_t v;

	while (len >= 8) {
		memcpy(&w, p, 8);
		s += w;
		if (s < w)
			s++; /* end-around carry */
		p += 8;
		len -= 8;
	}
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	v = (uint16_t)s;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap16(v);
#endif
	/* The tail starts on the grid too (a multiple of 8 in). */
	t = (uint64_t)acc + csum_add(0, p, len) + v;
	t = (t & 0xffffffffu) + (t >> 32);
	t = (t & 0xffffffffu) + (t >> 32);
	return (uint32_t)t;
}

/* The pseudo-header sum of an IPv4/IPv6 packet's transport part. */
static uint32_t
pseudo_sum(const uint8_t *ip, int family, uint8_t proto, uint32_t l4len)
{
	uint8_t ph[40];

	if (family == AF_INET) {
		memcpy(ph, ip + 12, 8);
		ph[8] = 0;
		ph[9] = proto;
		wr16(ph + 10, (uint16_t)l4len);
		return csum_add(0, ph, 12);
	}
	memcpy(ph, ip + 8, 32);
	wr32(ph + 32, l4len);
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = proto;
	return csum_add(0, ph, 40);
}

void
off_csum_finish(uint8_t *p, size_t len, size_t start, size_t field)
{
	uint16_t cs;

	if (start > len || field + 2 > len || field < start)
		return;
	/* The field holds the pseudo-header sum: summed along. */
	cs = (uint16_t)~csum_fold(csum_fast(0, p + start, len - start));
	/* UDP (its checksum sits 6 bytes in) sends 0 as 0xffff: 0 means
	 * "no checksum" (RFC 768). */
	if (cs == 0 && field - start == 6)
		cs = 0xffff;
	wr16(p + field, cs);
}

/* The full TCP checksum of the segment (p, len) with header at l3len. */
static void
tcp_csum(uint8_t *p, size_t len, size_t l3len, int family)
{
	uint32_t l4len = (uint32_t)(len - l3len), s;

	p[l3len + 16] = p[l3len + 17] = 0;
	s = pseudo_sum(p, family, IPPROTO_NUM_TCP, l4len);
	s = csum_fast(s, p + l3len, l4len);
	wr16(p + l3len + 16, (uint16_t)~csum_fold(s));
}

/* ---- segmentation (TSO from the kernel) -----------------------------------
 */

/* IP and TCP header lengths of a TCP packet we can cut; 0 if not. */
static size_t
tcp_headers(const uint8_t *p, size_t len, int *family, size_t *l3len)
{
	size_t thl;

	if (len < 1)
		return 0;
	if ((p[0] >> 4) == 4) {
		*family = AF_INET;
		*l3len = (size_t)(p[0] & 0x0f) * 4;
		if (*l3len < IP4_HLEN || len < *l3len + 20 ||
		    p[9] != IPPROTO_NUM_TCP)
			return 0;
	} else if ((p[0] >> 4) == 6) {
		*family = AF_INET6;
		*l3len = IP6_HLEN;
		/* No extension headers: the kernel's TSO never adds any to
		 * TCP it sends, and cutting past them is not worth it. */
		if (len < IP6_HLEN + 20 || p[6] != IPPROTO_NUM_TCP)
			return 0;
	} else {
		return 0;
	}
	thl = (size_t)(p[*l3len + 12] >> 4) * 4;
	if (thl < 20 || len < *l3len + thl)
		return 0;
	return *l3len + thl;
}

int
off_segment(struct rt_worker *w, const struct virtio_net_hdr *vh,
            const uint8_t *p, size_t len,
            void (*emit)(void *arg, struct dp_pkt *pkt), void *arg)
{
	size_t l3len, hlen, mss = vh->gso_size, off, plen;
	uint32_t seq0;
	uint16_t id0 = 0;
	uint8_t flags;
	int family, n = 0;

	hlen = tcp_headers(p, len, &family, &l3len);
	if (hlen == 0 || mss == 0 || len <= hlen)
		return -1;
	if ((vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_TCPV4
	        ? family != AF_INET
	        : family != AF_INET6)
		return -1;
	plen = len - hlen;
	seq0 = rd32(p + l3len + 4);
	flags = p[l3len + 13];
	if (family == AF_INET)
		id0 = rd16(p + 4);
	for (off = 0; off < plen; off += mss) {
		size_t seg = plen - off < mss ? plen - off : mss;
		struct dp_pkt *pkt = dp_pool_get(w->pool);
		uint8_t *q, f = flags;

		if (pkt == NULL ||
		    hlen + seg > pkt->size - pkt->off - DP_PKT_TAILROOM) {
			dp_pkt_release(pkt);
			return -1;
		}
		q = dp_pkt_data(pkt);
		memcpy(q, p, hlen);
		memcpy(q + hlen, p + hlen + off, seg);
		pkt->len = (uint32_t)(hlen + seg);
		if (family == AF_INET) {
			wr16(q + 2, (uint16_t)pkt->len);
			wr16(q + 4, (uint16_t)(id0 + n));
			ip4_set_csum(q, l3len);
		} else {
			wr16(q + 4, (uint16_t)(pkt->len - IP6_HLEN));
		}
		wr32(q + l3len + 4, seq0 + (uint32_t)off);
		/* FIN and PSH on the last segment only, CWR on the first
		 * only (RFC 3168 §6.1.2 for TSO). */
		if (off + seg < plen)
			f &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		if (off > 0)
			f &= (uint8_t)~TCP_CWR;
		q[l3len + 13] = f;
		tcp_csum(q, pkt->len, l3len, family);
		n++;
		emit(arg, pkt);
	}
	return n;
}

/* ---- coalescing (GRO into the kernel) ----------------------------------- */

/* The flow key and shape of a TCP segment we may coalesce. */
struct seg {
	int family;
	size_t l3len, thl, plen;
	const uint8_t *ip, *th;
	uint8_t flags;
	uint32_t seq;
};

static bool
seg_parse(const uint8_t *p, size_t len, struct seg *s)
{
	size_t hlen = tcp_headers(p, len, &s->family, &s->l3len);

	if (hlen == 0)
		return false;
	if (s->family == AF_INET) {
		/* No options, no fragments, exact length. */
		if (s->l3len != IP4_HLEN || (rd16(p + 6) & 0x3fff) != 0 ||
		    rd16(p + 2) != len)
			return false;
	} else if ((size_t)rd16(p + 4) + IP6_HLEN != len) {
		return false;
	}
	s->ip = p;
	s->th = p + s->l3len;
	s->thl = hlen - s->l3len;
	s->plen = len - hlen;
	s->flags = s->th[13];
	s->seq = rd32(s->th + 4);
	/* Plain data segments only: ACK, with PSH allowed (it ends the
	 * coalesced packet). */
	return s->plen > 0 && (s->flags & ~TCP_PSH) == TCP_ACK;
}

/* Same flow and everything Linux's GRO requires to be equal: addresses,
 * ports, IP fields that are not lengths/ids/checksums, ack, and the
 * TCP options byte for byte. */
static bool
same_stream(const struct gro *g, const struct seg *s)
{
	const uint8_t *gip = g->buf + VNET_HLEN, *gth = gip + g->l3len;

	if (g->family != s->family || g->thl != s->thl)
		return false;
	if (s->family == AF_INET) {
		if (gip[1] != s->ip[1] || gip[8] != s->ip[8] ||
		    (gip[6] & 0x40) != (s->ip[6] & 0x40) ||
		    memcmp(gip + 12, s->ip + 12, 8) != 0)
			return false;
	} else if (memcmp(gip, s->ip, 4) != 0 || gip[7] != s->ip[7] ||
	           memcmp(gip + 8, s->ip + 8, 32) != 0) {
		return false;
	}
	return memcmp(gth, s->th, 4) == 0 &&         /* ports */
	       memcmp(gth + 8, s->th + 8, 4) == 0 && /* ack */
	       memcmp(gth + 20, s->th + 20, s->thl - 20) == 0;
}

/* Writes one coalesced packet (or a lone one) to the TUN queue. */
static void
gro_write(struct rt_worker *w, struct gro *g)
{
	struct virtio_net_hdr vh;
	uint8_t *ip = g->buf + VNET_HLEN, *th = ip + g->l3len;
	size_t len = g->len;

	memset(&vh, 0, sizeof(vh));
	if (g->nseg > 1) {
		uint32_t l4len = (uint32_t)(len - g->l3len);

		if (g->family == AF_INET) {
			wr16(ip + 2, (uint16_t)len);
			ip4_set_csum(ip, IP4_HLEN);
			vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		} else {
			wr16(ip + 4, (uint16_t)(len - IP6_HLEN));
			vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
		}
		/* The kernel finishes (or trusts) the checksum: the field
		 * holds the pseudo-header sum, not inverted. */
		wr16(th + 16, csum_fold(pseudo_sum(ip, g->family,
		                                   IPPROTO_NUM_TCP, l4len)));
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.hdr_len = (uint16_t)(g->l3len + g->thl);
		vh.gso_size = (uint16_t)g->mss;
		vh.csum_start = (uint16_t)g->l3len;
		vh.csum_offset = 16;
		RT_CTR_ADD(w, gro_merged, g->nseg);
	}
	memcpy(g->buf, &vh, sizeof(vh));
	if (write(w->tun, g->buf, VNET_HLEN + len) < 0)
		RT_CTR_INC(w, tx_errors);
	else
		RT_CTR_ADD(w, tun_tx, g->nseg);
	g->used = false;
}

void
off_gro_flush(struct rt_worker *w)
{
	unsigned i;

	for (i = 0; i < GRO_MAX; i++)
		if (w->gro[i].used)
			gro_write(w, &w->gro[i]);
}

/* Flushes the open packet of the flow of s, if any (ordering). */
static void
gro_flush_flow(struct rt_worker *w, const struct seg *s)
{
	unsigned i;

	for (i = 0; i < GRO_MAX; i++) {
		struct gro *g = &w->gro[i];

		if (g->used && g->family == s->family &&
		    memcmp(g->buf + VNET_HLEN + g->l3len, s->th, 4) == 0)
			gro_write(w, g);
	}
}

bool
off_gro_add(struct rt_worker *w, struct dp_pkt *pkt)
{
	const uint8_t *p = dp_pkt_data(pkt);
	struct seg s;
	struct gro *g = NULL;
	unsigned i;

	if (!seg_parse(p, pkt->len, &s)) {
		int fam;
		size_t l3;

		/* Other TCP (SYN, FIN, options...): what is pending for its
		 * flow goes first, to keep the order. */
		if (tcp_headers(p, pkt->len, &fam, &l3) != 0) {
			s.family = fam;
			s.th = p + l3;
			gro_flush_flow(w, &s);
		}
		return false;
	}
	for (i = 0; i < GRO_MAX; i++) {
		struct gro *c = &w->gro[i];

		if (c->used && same_stream(c, &s)) {
			g = c;
			break;
		}
	}
	if (g != NULL) {
		if (!g->closed && s.seq == g->next_seq && s.plen <= g->mss &&
		    g->len + s.plen <= GRO_MAXLEN && g->nseg < 64) {
			memcpy(g->buf + VNET_HLEN + g->len, p + s.l3len + s.thl,
			       s.plen);
			g->len += s.plen;
			g->next_seq += (uint32_t)s.plen;
			g->nseg++;
			/* A short or pushed segment ends it. */
			if (s.plen < g->mss || (s.flags & TCP_PSH)) {
				g->closed = true;
				g->buf[VNET_HLEN + g->l3len + 13] |= s.flags;
			}
			dp_pkt_release(pkt);
			return true;
		}
		gro_write(w, g);
	} else {
		gro_flush_flow(w, &s);
	}
	/* A new packet: a free entry, or the next one in turn. */
	for (i = 0; i < GRO_MAX && w->gro[i].used; i++)
		;
	if (i == GRO_MAX) {
		i = w->gro_next++ % GRO_MAX;
		gro_write(w, &w->gro[i]);
	}
	g = &w->gro[i];
	memcpy(g->buf + VNET_HLEN, p, pkt->len);
	g->used = true;
	g->closed = (s.flags & TCP_PSH) != 0;
	g->family = s.family;
	g->l3len = s.l3len;
	g->thl = s.thl;
	g->len = pkt->len;
	g->mss = s.plen;
	g->nseg = 1;
	g->next_seq = s.seq + (uint32_t)s.plen;
	dp_pkt_release(pkt);
	return true;
}
