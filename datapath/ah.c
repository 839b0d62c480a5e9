/*
 * ah.c - AH (RFC 4302) with HMAC integrity, IPv4 and IPv6, transport and
 * tunnel mode, alone or outside ESP (AH+ESP bundle).
 *
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Header   |  Payload Len  |          RESERVED             |
 * |                 Security Parameters Index (SPI)               |
 * |                    Sequence Number Field                      |
 * ~                Integrity Check Value-ICV (variable)           ~
 *
 * Payload Len = AH length in 32-bit words minus 2; the ICV field is
 * padded so AH is a multiple of 32 bits (IPv4) or 64 bits (IPv6).  We
 * send zero padding; the padding as received is covered by the ICV
 * (RFC 4302 §3.3.3.2.1), the ICV itself is zeroed for the computation.
 *
 * The ICV covers the whole IP packet with the mutable fields zeroed
 * (RFC 4302 §3.3.3.1): IPv4 TOS, flags + fragment offset, TTL, checksum;
 * IPv6 traffic class, flow label, hop limit; and the ICV itself.
 * IPv4 options and IPv6 extension headers are not supported (XXX: their
 * mutability rules, Appendix A): encap refuses them, decap counts them as
 * malformed.
 */
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "esp.h"
#include "pkt.h"

#define AH_FIXED 12

static size_t
ah_len(const struct dp_sa *sa, int family)
{
	size_t align = family == AF_INET ? 4 : 8;

	/* The whole header is a multiple of 32 (IPv4) or 64 bits (IPv6). */
	return (AH_FIXED + sa->ahalg->icvlen + align - 1) / align * align;
}

/* Mutable fields, saved so they can be zeroed for the ICV and put back. */
struct mutable
{
	uint8_t b[4];
};

static void
mutable_zero(uint8_t *h, int family, struct mutable *m)
{
	if (family == AF_INET) {
		m->b[0] = h[1]; /* TOS */
		m->b[1] = h[6]; /* flags, fragment offset */
		m->b[2] = h[7];
		m->b[3] = h[8]; /* TTL */
		h[1] = h[6] = h[7] = h[8] = 0;
		h[10] = h[11] = 0; /* checksum: recomputed after */
	} else {
		memcpy(m->b, h, 4); /* version, class, flow label */
		h[0] = 0x60;
		h[1] = h[2] = h[3] = 0;
	}
}

static void
mutable_restore(uint8_t *h, int family, const struct mutable *m, uint8_t hlim)
{
	if (family == AF_INET) {
		h[1] = m->b[0];
		h[6] = m->b[1];
		h[7] = m->b[2];
		h[8] = m->b[3];
		ip4_set_csum(h, IP4_HLEN);
	} else {
		memcpy(h, m->b, 4);
		h[7] = hlim;
	}
}

/* The ICV of the packet (h, len) whose AH starts at a: fields zeroed,
 * HMAC, fields restored.  The ICV field must be zero on entry. */
static int
ah_icv(struct dp_sa *sa, struct sa_slot *slot, uint8_t *h, size_t len,
       int family, uint8_t *icv)
{
	struct mutable m;
	uint8_t hlim = family == AF_INET6 ? h[7] : 0;
	int rc;

	mutable_zero(h, family, &m);
	if (family == AF_INET6)
		h[7] = 0;
	rc = sa_hmac(slot->ah_mac, sa->ahalg, h, len, NULL, 0, icv);
	mutable_restore(h, family, &m, hlim);
	return rc;
}

enum dp_result
dp_ah_encap(struct dp_worker *w, struct dp_sa *sa, struct dp_pkt *pkt)
{
	struct sa_slot *slot;
	struct dp_flow f;
	uint8_t ih[IP6_HLEN], *a, *h, icv[SA_ICV_MAX];
	size_t hl, ahl, ihl;
	int family;
	uint32_t seq;
	uint8_t nh;
	enum dp_result rc;

	if (sa->dir != DP_DIR_OUT || sa->proto == DP_PROTO_ESP ||
	    w->slot >= sa->nslots)
		return DP_ERR_INVAL;
	slot = &sa->slots[w->slot];
	if (dp_flow_parse(dp_pkt_data(pkt), pkt->len, &f) != DP_OK) {
		STAT_INC(&w->stats, malformed);
		return DP_ERR_MALFORMED;
	}
	pkt->len = f.len;
	ihl = f.src.family == AF_INET ? IP4_HLEN : IP6_HLEN;
	if (f.l3len != ihl || (sa->mode == DP_MODE_TRANSPORT && f.frag))
		return DP_ERR_INVAL;
	if (dp_sa_hard_expired(sa) || (seq = sa_next_seq(sa)) == 0 ||
	    sa_account(sa, f.len) < 0) {
		STAT_INC(&w->stats, expired);
		return DP_ERR_EXPIRED;
	}
	memcpy(ih, dp_pkt_data(pkt), ihl);
	if (sa->mode == DP_MODE_TRANSPORT) {
		family = f.src.family;
		nh = f.proto;
		pkt_pull(pkt, (uint32_t)ihl);
	} else {
		family = sa->tun_src.family;
		nh = f.src.family == AF_INET ? IPPROTO_NUM_IPV4
		                             : IPPROTO_NUM_IPV6;
	}
	if (sa->proto == DP_PROTO_AH_ESP) {
		rc = esp_seal(sa, slot, pkt, nh, seq, NULL);
		if (rc != DP_OK)
			return rc;
		nh = IPPROTO_NUM_ESP;
	}
	hl = family == AF_INET ? IP4_HLEN : IP6_HLEN;
	ahl = ah_len(sa, family);
	if (pkt->off < hl + ahl)
		return DP_ERR_NOSPACE;
	if (pkt->len + ahl + (family == AF_INET ? hl : 0) > IP_MAXLEN)
		return DP_ERR_INVAL;
	a = pkt_push(pkt, (uint32_t)ahl);
	a[0] = nh;
	a[1] = (uint8_t)(ahl / 4 - 2);
	a[2] = a[3] = 0;
	wr32(a + 4, sa->ah_spi);
	wr32(a + 8, seq);
	memset(a + AH_FIXED, 0, ahl - AH_FIXED);
	h = pkt_push(pkt, (uint32_t)hl);

	if (sa->mode == DP_MODE_TRANSPORT) {
		memcpy(h, ih, hl);
		if (family == AF_INET) {
			wr16(h + 2, (uint16_t)pkt->len);
			/* The ICV covers the ID: the kernel must not pick
			 * one after us (raw(7) fills in a zero ID). */
			if (rd16(h + 4) == 0)
				wr16(h + 4, (uint16_t)(seq | 1));
			h[9] = IPPROTO_NUM_AH;
		} else {
			wr16(h + 4, (uint16_t)(pkt->len - hl));
			h[6] = IPPROTO_NUM_AH;
		}
	} else {
		/* RFC 4301 §5.1.2.1: copy DSCP/ECN and DF from the inner
		 * header. */
		uint8_t tos =
		    f.src.family == AF_INET ? ih[1] : (uint8_t)(rd16(ih) >> 4);
		uint16_t df = f.src.family == AF_INET
		                  ? (uint16_t)(rd16(ih + 6) & 0x4000)
		                  : 0;

		if (family == AF_INET)
			ip4_build(h, tos, (uint16_t)pkt->len,
			          (uint16_t)(seq | 1), df, 64, IPPROTO_NUM_AH,
			          sa->tun_src.bytes, sa->tun_dst.bytes);
		else
			ip6_build(h, (uint32_t)tos << 20,
			          (uint16_t)(pkt->len - hl), IPPROTO_NUM_AH, 64,
			          sa->tun_src.bytes, sa->tun_dst.bytes);
	}
	if (family == AF_INET)
		ip4_set_csum(h, IP4_HLEN);
	if (ah_icv(sa, slot, h, pkt->len, family, icv) < 0)
		return DP_ERR_CRYPTO;
	memcpy(a + AH_FIXED, icv, sa->ahalg->icvlen);
	esp_count(w, sa, f.len, true);
	return DP_OK;
}

/* The outer header of an AH packet: family, header length, addresses.
 * pkt->len is trimmed to the datagram.  -1: malformed or not AH. */
static int
ah_outer(struct dp_pkt *pkt, int *family, size_t *hl, struct dp_addr *src,
         struct dp_addr *dst)
{
	const uint8_t *p = dp_pkt_data(pkt);
	size_t len = pkt->len;
	struct cur c;
	uint8_t v, proto;
	uint16_t tot, frag;

	cur_init(&c, p, len);
	if (cur_u8(&c, &v) < 0)
		return -1;
	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	if (v >> 4 == 4) {
		if (v != 0x45 || cur_skip(&c, 1) < 0 || cur_u16(&c, &tot) < 0 ||
		    cur_skip(&c, 2) < 0 || cur_u16(&c, &frag) < 0 ||
		    cur_skip(&c, 1) < 0 || cur_u8(&c, &proto) < 0 ||
		    cur_skip(&c, 2) < 0 || cur_copy(&c, src->bytes, 4) < 0 ||
		    cur_copy(&c, dst->bytes, 4) < 0)
			return -1;
		/* Options unsupported (v != 0x45); fragments must have been
		 * reassembled by the kernel. */
		if (tot < IP4_HLEN || tot > len || (frag & 0x3fff) != 0 ||
		    proto != IPPROTO_NUM_AH)
			return -1;
		*family = AF_INET;
		*hl = IP4_HLEN;
		pkt->len = tot;
	} else if (v >> 4 == 6) {
		if (cur_skip(&c, 3) < 0 || cur_u16(&c, &tot) < 0 ||
		    cur_u8(&c, &proto) < 0 || cur_skip(&c, 1) < 0 ||
		    cur_copy(&c, src->bytes, 16) < 0 ||
		    cur_copy(&c, dst->bytes, 16) < 0)
			return -1;
		if ((size_t)tot > len - IP6_HLEN || proto != IPPROTO_NUM_AH)
			return -1;
		*family = AF_INET6;
		*hl = IP6_HLEN;
		pkt->len = (uint32_t)(IP6_HLEN + tot);
	} else {
		return -1;
	}
	src->family = dst->family = *family;
	/* The fixed part of AH must follow. */
	if (pkt->len - *hl < AH_FIXED)
		return -1;
	return 0;
}

enum dp_result
dp_ah_decap(struct dp_worker *w, struct dp_sa *sa, struct dp_pkt *pkt)
{
	struct dp_addr src, dst;
	struct sa_slot *slot;
	uint8_t *h, *a, got[SA_ICV_MAX], want[SA_ICV_MAX];
	size_t hl, ahl, icvlen;
	uint32_t spi, seq;
	int family;
	uint8_t nh;
	enum dp_result rc;

	if (sa->dir != DP_DIR_IN || sa->proto == DP_PROTO_ESP ||
	    w->slot >= sa->nslots)
		return DP_ERR_INVAL;
	slot = &sa->slots[w->slot];
	if (ah_outer(pkt, &family, &hl, &src, &dst) < 0) {
		STAT_INC(&w->stats, malformed);
		return DP_ERR_MALFORMED;
	}
	h = dp_pkt_data(pkt);
	a = h + hl;
	ahl = ((size_t)a[1] + 2) * 4;
	if (ahl > pkt->len - hl) {
		STAT_INC(&w->stats, malformed);
		return DP_ERR_MALFORMED;
	}
	nh = a[0];
	spi = rd32(a + 4);
	seq = rd32(a + 8);
	if (spi != sa->ah_spi) {
		STAT_INC(&w->stats, bad_spi);
		return DP_ERR_BAD_SPI;
	}
	if (dp_sa_hard_expired(sa)) {
		STAT_INC(&w->stats, expired);
		return DP_ERR_EXPIRED;
	}
	if (!sa->no_replay && replay_check(&sa->replay, seq) < 0) {
		STAT_INC(&w->stats, replay);
		return DP_ERR_REPLAY;
	}
	/* An ICV field of the wrong size cannot verify. */
	icvlen = sa->ahalg->icvlen;
	if (ahl != ah_len(sa, family)) {
		STAT_INC(&w->stats, not_authenticated);
		return DP_ERR_AUTH;
	}
	/* Zero the ICV only: its padding counts as sent (§3.3.3.2.1). */
	memcpy(got, a + AH_FIXED, icvlen);
	memset(a + AH_FIXED, 0, icvlen);
	if (ah_icv(sa, slot, h, pkt->len, family, want) < 0)
		return DP_ERR_CRYPTO;
	if (CRYPTO_memcmp(got, want, icvlen) != 0) {
		STAT_INC(&w->stats, not_authenticated);
		return DP_ERR_AUTH;
	}
	if (!sa->no_replay && replay_update(&sa->replay, seq) < 0) {
		STAT_INC(&w->stats, replay);
		return DP_ERR_REPLAY;
	}
	pkt_pull(pkt, (uint32_t)(hl + ahl));
	if (sa->proto == DP_PROTO_AH_ESP) {
		/* The ESP inside is authentic already (AH covers it); its own
		 * sequence number moves with AH's and is not checked again. */
		if (nh != IPPROTO_NUM_ESP) {
			STAT_INC(&w->stats, not_decrypted);
			return DP_ERR_DECRYPT;
		}
		if (pkt->len < ESP_HLEN) {
			STAT_INC(&w->stats, malformed);
			return DP_ERR_MALFORMED;
		}
		if (rd32(dp_pkt_data(pkt)) != sa->spi) {
			STAT_INC(&w->stats, bad_spi);
			return DP_ERR_BAD_SPI;
		}
		rc = esp_open(sa, slot, pkt, &nh);
		if (rc == DP_ERR_AUTH)
			STAT_INC(&w->stats, not_authenticated);
		else if (rc == DP_ERR_DECRYPT)
			STAT_INC(&w->stats, not_decrypted);
		if (rc != DP_OK)
			return rc;
	}
	rc = esp_deliver(w, sa, pkt, nh, &src, &dst);
	if (rc != DP_OK)
		return rc;
	if (sa_account(sa, pkt->len) < 0) {
		STAT_INC(&w->stats, expired);
		return DP_ERR_EXPIRED;
	}
	esp_count(w, sa, pkt->len, false);
	return DP_OK;
}

enum dp_result
dp_ah_input(struct dp_worker *w, struct dp_sadb *db, struct dp_pkt *pkt)
{
	struct dp_addr src, dst;
	struct dp_sa *sa;
	enum dp_result rc;
	size_t hl;
	int family;

	if (ah_outer(pkt, &family, &hl, &src, &dst) < 0) {
		STAT_INC(&w->stats, malformed);
		return DP_ERR_MALFORMED;
	}
	sa = dp_sadb_lookup(db, rd32(dp_pkt_data(pkt) + hl + 4), DP_PROTO_AH,
	                    DP_DIR_IN, &w->stats);
	if (sa == NULL)
		return DP_ERR_BAD_SPI;
	rc = dp_ah_decap(w, sa, pkt);
	dp_sa_put(sa);
	return rc;
}
