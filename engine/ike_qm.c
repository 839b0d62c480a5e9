/*
 * ike_qm.c - IKEv1 Quick Mode (RFC 2409 section 5.5, with the IPsec DOI
 * of RFC 2407 and the UDP-encapsulated modes of RFC 3947), and the pairs
 * of SAs it installs: lifetimes, rekeys, idle deletion, soft
 * associations.
 *
 *   Initiator                                    Responder
 *   1  HDR*, HASH(1), SA, Ni [, KE] [, IDci, IDcr]  -->
 *                                 <--  2  HDR*, HASH(2), SA, Nr [, KE]
 *                                                  [, IDci, IDcr]
 *   3  HDR*, HASH(3)                               -->
 *
 * The exchange is a table (STYLE.md practice 8): qm_steps[role][step]
 * gives the script of the message each state waits for and its step
 * function.  The initiator installs its pair on message 2 (after sending
 * 3).  The responder installs its inbound SA as it sends message 2 and
 * its outbound SA on message 3 (no commit bit needed: it retransmits
 * message 2 until message 3 comes, and the initiator answers a duplicate
 * message 2 with message 3 again); see "Installation" below.
 *
 * Selection: the responder takes the first proposal (a bundle of
 * proposals with one number: ESP, AH, or AH+ESP) in the initiator's
 * order that matches one of its offers, and in each of the bundle's
 * proposals the first transform that does.
 *
 * Rekeys: a pair is renegotiated before its soft lifetime (seconds, or
 * kilobytes polled through env->usage), by the side that proposed it
 * first (the responder waits half as long again, so that crossing
 * rekeys are rare).  The new pair is installed before the old one is
 * deleted; a responder that sees a new pair for the same selectors marks
 * the older ones superseded and never rekeys them, so crossing rekeys
 * converge instead of multiplying.
 */
#include "ike_int.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#define NONCE_LEN 32
#define QM_LIFE_DEFAULT_S 28800u /* RFC 2407 section 4.5 */

/* ---- scripts ----------------------------------------------------------- */

static const struct ike_script qm1 = {"QM1",
                                      IKE_EXCH_QUICK,
                                      true,
                                      IKE_PL_HASH,
                                      IKE_PL_SA,
                                      {{IKE_PL_HASH, 1, 1},
                                       {IKE_PL_SA, 1, 1},
                                       {IKE_PL_NONCE, 1, 1},
                                       {IKE_PL_KE, 0, 1},
                                       {IKE_PL_ID, 0, 2},
                                       {IKE_PL_NATOA, 0, 2},
                                       {IKE_PL_NATOA_DRAFT, 0, 2},
                                       {IKE_PL_N, 0, IKE_ANY}}};
static const struct ike_script qm2 = {"QM2",
                                      IKE_EXCH_QUICK,
                                      true,
                                      IKE_PL_HASH,
                                      IKE_PL_SA,
                                      {{IKE_PL_HASH, 1, 1},
                                       {IKE_PL_SA, 1, 1},
                                       {IKE_PL_NONCE, 1, 1},
                                       {IKE_PL_KE, 0, 1},
                                       {IKE_PL_ID, 0, 2},
                                       {IKE_PL_NATOA, 0, 2},
                                       {IKE_PL_NATOA_DRAFT, 0, 2},
                                       {IKE_PL_N, 0, IKE_ANY}}};
static const struct ike_script qm3 = {
    "QM3", IKE_EXCH_QUICK, true, IKE_PL_HASH, 0, {{IKE_PL_HASH, 1, 1}}};

static int r_qm1(struct ike_qm *qm, struct ike_rx *rx);
static void qm_half_remove(struct ike *ike, struct ike_qm *qm);
static int r_qm3(struct ike_qm *qm, struct ike_rx *rx);
static int i_qm2(struct ike_qm *qm, struct ike_rx *rx);

struct qm_step {
	const char *state;
	const struct ike_script *in;
	int (*fn)(struct ike_qm *qm, struct ike_rx *rx);
};

#define QM_STEPS 2
static const struct qm_step qm_steps[2][QM_STEPS] = {
    [IKE_ROLE_I] =
        {
            {"QM_I1 (sent 1, awaiting 2)", &qm2, i_qm2},
            {"QM_I3 (sent 3, done)", NULL, NULL},
        },
    [IKE_ROLE_R] =
        {
            {"QM_R0 (awaiting 1)", &qm1, r_qm1},
            {"QM_R2 (sent 2, awaiting 3)", &qm3, r_qm3},
        },
};

/* ---- algorithms -------------------------------------------------------- */

static bool
esp_dp(uint8_t id, uint16_t keybits, enum dp_enc *e)
{
	switch (id) {
	case IKE_ESP_3DES:
		*e = DP_ENC_3DES_CBC;
		return keybits == 0;
	case IKE_ESP_NULL:
		*e = DP_ENC_NULL;
		return keybits == 0;
	case IKE_ESP_AES_CBC:
		*e = keybits == 128   ? DP_ENC_AES128_CBC
		     : keybits == 192 ? DP_ENC_AES192_CBC
		                      : DP_ENC_AES256_CBC;
		return keybits == 128 || keybits == 192 || keybits == 256;
	case IKE_ESP_AES_GCM_16:
		*e = keybits == 128 ? DP_ENC_AES128_GCM : DP_ENC_AES256_GCM;
		return keybits == 128 || keybits == 256;
	default:
		return false;
	}
}

static bool
auth_dp(uint8_t iauth, enum dp_auth *a)
{
	switch (iauth) {
	case 0:
		*a = DP_AUTH_NONE;
		return true;
	case IKE_IAUTH_HMAC_MD5:
		*a = DP_AUTH_HMAC_MD5_96;
		return true;
	case IKE_IAUTH_HMAC_SHA1:
		*a = DP_AUTH_HMAC_SHA1_96;
		return true;
	case IKE_IAUTH_HMAC_SHA2_256:
		*a = DP_AUTH_HMAC_SHA256_128;
		return true;
	case IKE_IAUTH_HMAC_SHA2_384:
		*a = DP_AUTH_HMAC_SHA384_192;
		return true;
	case IKE_IAUTH_HMAC_SHA2_512:
		*a = DP_AUTH_HMAC_SHA512_256;
		return true;
	default:
		return false;
	}
}

/* The AH transform id that goes with an authentication algorithm. */
static uint8_t
ah_xform_id(uint8_t iauth)
{
	switch (iauth) {
	case IKE_IAUTH_HMAC_MD5:
		return IKE_AH_MD5;
	case IKE_IAUTH_HMAC_SHA1:
		return IKE_AH_SHA;
	case IKE_IAUTH_HMAC_SHA2_256:
		return IKE_AH_SHA2_256;
	case IKE_IAUTH_HMAC_SHA2_384:
		return IKE_AH_SHA2_384;
	case IKE_IAUTH_HMAC_SHA2_512:
		return IKE_AH_SHA2_512;
	default:
		return 0;
	}
}

/* Can the datapath carry this offer, in this encapsulation? */
static bool
offer_ok(const struct ike_qm_offer *o, bool udp)
{
	enum dp_enc e;
	enum dp_auth a;
	bool gcm = o->esp && o->esp_enc == IKE_ESP_AES_GCM_16;

	if (!o->ah && !o->esp)
		return false;
	if (o->ah && (udp || ah_xform_id(o->ah_auth) == 0))
		return false; /* AH does not cross NATs (RFC 3948) */
	if (o->esp) {
		if (!esp_dp(o->esp_enc, o->esp_keybits, &e) ||
		    !auth_dp(o->esp_auth, &a))
			return false;
		if (gcm != (o->esp_auth == 0))
			return false; /* AEAD xor integrity */
		if (e == DP_ENC_NULL && a == DP_AUTH_NONE)
			return false;
	}
	return true;
}

/* ---- traffic selectors -------------------------------------------------- */

static size_t
alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

void
ike_ts_from_addr(struct ike_ts *ts, const struct dp_addr *a)
{
	memset(ts, 0, sizeof(*ts));
	ts->kind = IKE_TS_ADDR;
	ts->addr = *a;
}

/* The inclusive range of a selector, 16 bytes big-endian each. */
static void
ts_range(const struct ike_ts *ts, uint8_t lo[16], uint8_t hi[16])
{
	size_t n = alen(ts->addr.family);

	memset(lo, 0, 16);
	memset(hi, 0, 16);
	memcpy(lo, ts->addr.bytes, n);
	memcpy(hi, ts->addr.bytes, n);
	if (ts->kind == IKE_TS_RANGE) {
		memcpy(hi, ts->end.bytes, n);
	} else if (ts->kind == IKE_TS_SUBNET) {
		for (size_t i = 0; i < n; i++) {
			unsigned bits = ts->plen > i * 8 ? ts->plen - i * 8 : 0;
			uint8_t mask = bits >= 8 ? 0xff
			                         : (uint8_t)(0xff << (8 - bits));
			lo[i] &= mask;
			hi[i] |= (uint8_t)~mask;
		}
	}
}

bool
ike_ts_eq(const struct ike_ts *a, const struct ike_ts *b)
{
	uint8_t alo[16], ahi[16], blo[16], bhi[16];

	if (a->addr.family != b->addr.family || a->proto != b->proto ||
	    a->port != b->port)
		return false;
	ts_range(a, alo, ahi);
	ts_range(b, blo, bhi);
	return memcmp(alo, blo, 16) == 0 && memcmp(ahi, bhi, 16) == 0;
}

/* Is a inside b? */
static bool
ts_within(const struct ike_ts *a, const struct ike_ts *b)
{
	uint8_t alo[16], ahi[16], blo[16], bhi[16];

	if (a->addr.family != b->addr.family)
		return false;
	if (b->proto != 0 && a->proto != b->proto)
		return false;
	if (b->port != 0 && a->port != b->port)
		return false;
	ts_range(a, alo, ahi);
	ts_range(b, blo, bhi);
	return memcmp(alo, blo, 16) >= 0 && memcmp(ahi, bhi, 16) <= 0 &&
	       memcmp(alo, ahi, 16) <= 0;
}

void
ike_ts_prefix(const struct ike_ts *ts, struct dp_addr *addr, uint8_t *plen)
{
	uint8_t lo[16], hi[16];
	size_t n = alen(ts->addr.family);
	unsigned bits = 0;

	ts_range(ts, lo, hi);
	/* XXX: a range that is not a prefix becomes its covering prefix:
	 * struct dp_selector has no ranges. */
	while (bits < n * 8) {
		uint8_t m = (uint8_t)(0x80 >> (bits % 8));
		if ((lo[bits / 8] & m) != (hi[bits / 8] & m))
			break;
		bits++;
	}
	/* The covering prefix must also span lo..hi completely. */
	memset(addr, 0, sizeof(*addr));
	addr->family = ts->addr.family;
	memcpy(addr->bytes, lo, n);
	for (unsigned i = bits; i < n * 8; i++)
		addr->bytes[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	*plen = (uint8_t)bits;
}

/* ID payload (address types only) to a selector; -1: not one. */
static int
ts_from_id(const struct ike_id *id, struct ike_ts *ts)
{
	const uint8_t *d = id->data.p;
	size_t n;

	memset(ts, 0, sizeof(*ts));
	ts->proto = id->proto;
	ts->port = id->port;
	switch (id->type) {
	case IKE_ID_IPV4_ADDR:
	case IKE_ID_IPV4_ADDR_SUBNET:
	case IKE_ID_IPV4_ADDR_RANGE:
		ts->addr.family = AF_INET;
		n = 4;
		break;
	case IKE_ID_IPV6_ADDR:
	case IKE_ID_IPV6_ADDR_SUBNET:
	case IKE_ID_IPV6_ADDR_RANGE:
		ts->addr.family = AF_INET6;
		n = 16;
		break;
	default:
		return -1; /* FQDN, DN ... are no traffic selectors */
	}
	memcpy(ts->addr.bytes, d, n);
	switch (id->type) {
	case IKE_ID_IPV4_ADDR:
	case IKE_ID_IPV6_ADDR:
		ts->kind = IKE_TS_ADDR;
		return 0;
	case IKE_ID_IPV4_ADDR_RANGE:
	case IKE_ID_IPV6_ADDR_RANGE:
		ts->kind = IKE_TS_RANGE;
		ts->end.family = ts->addr.family;
		memcpy(ts->end.bytes, d + n, n);
		return memcmp(ts->addr.bytes, ts->end.bytes, n) <= 0 ? 0 : -1;
	default: {
		/* A subnet: the mask must be contiguous. */
		unsigned plen = 0;
		bool ended = false;
		ts->kind = IKE_TS_SUBNET;
		for (size_t i = 0; i < n * 8; i++) {
			bool bit = (d[n + i / 8] & (0x80 >> (i % 8))) != 0;
			if (bit && ended)
				return -1;
			if (bit)
				plen++;
			else
				ended = true;
		}
		ts->plen = (uint8_t)plen;
		return 0;
	}
	}
}

/* A selector to an ID payload; buf holds its data (32 bytes). */
static void
id_from_ts(const struct ike_ts *ts, uint8_t *buf, struct ike_id *id)
{
	bool v4 = ts->addr.family == AF_INET;
	size_t n = alen(ts->addr.family);

	memset(id, 0, sizeof(*id));
	id->proto = ts->proto;
	id->port = ts->port;
	memcpy(buf, ts->addr.bytes, n);
	id->data.p = buf;
	switch (ts->kind) {
	case IKE_TS_ADDR:
		id->type = v4 ? IKE_ID_IPV4_ADDR : IKE_ID_IPV6_ADDR;
		id->data.len = n;
		break;
	case IKE_TS_RANGE:
		id->type = v4 ? IKE_ID_IPV4_ADDR_RANGE : IKE_ID_IPV6_ADDR_RANGE;
		memcpy(buf + n, ts->end.bytes, n);
		id->data.len = 2 * n;
		break;
	case IKE_TS_SUBNET:
		id->type =
		    v4 ? IKE_ID_IPV4_ADDR_SUBNET : IKE_ID_IPV6_ADDR_SUBNET;
		memset(buf + n, 0, n);
		for (unsigned i = 0; i < ts->plen && i < n * 8; i++)
			buf[n + i / 8] |= (uint8_t)(0x80 >> (i % 8));
		for (size_t i = 0; i < n; i++)
			buf[i] &= buf[n + i];
		id->data.len = 2 * n;
		break;
	}
}

static bool
ts_valid(const struct ike_ts *ts)
{
	return (ts->addr.family == AF_INET || ts->addr.family == AF_INET6) &&
	       (ts->kind != IKE_TS_SUBNET ||
	        ts->plen <= alen(ts->addr.family) * 8) &&
	       (ts->kind != IKE_TS_RANGE ||
	        ts->end.family == ts->addr.family);
}

/* ---- phase 2 transforms -------------------------------------------------- */

struct qm_xf {
	uint8_t id;
	uint16_t keybits;
	uint8_t auth;
	uint16_t encap; /* 0: absent */
	uint16_t group;
	uint32_t life_s, life_kb;
	bool bad;
};

static void
qm_xf_decode(const struct ike_xform *x, struct qm_xf *xf)
{
	struct ike_attr_iter it;
	struct ike_attr a;
	unsigned life_type = 0;
	int rc;

	memset(xf, 0, sizeof(*xf));
	xf->id = x->id;
	ike_attr_iter_init(&it, x);
	while ((rc = ike_attr_next(&it, &a)) > 0) {
		uint32_t v = a.has_value ? a.value : UINT32_MAX;
		if (!a.has_value && a.type != IKE_IA_LIFE_DURATION) {
			xf->bad = true;
			continue;
		}
		switch (a.type) {
		case IKE_IA_LIFE_TYPE:
			life_type = v;
			if (v != IKE_LIFE_SECONDS && v != IKE_LIFE_KILOBYTES)
				xf->bad = true;
			break;
		case IKE_IA_LIFE_DURATION:
			if (life_type == IKE_LIFE_SECONDS)
				xf->life_s = v;
			else if (life_type == IKE_LIFE_KILOBYTES)
				xf->life_kb = v;
			else
				xf->bad = true;
			break;
		case IKE_IA_GROUP_DESC:
			xf->group = (uint16_t)v;
			xf->bad |= v > 0xffff || !ike_dh_group_supported((int)v);
			break;
		case IKE_IA_ENCAP_MODE:
			xf->encap = (uint16_t)v;
			xf->bad |= v > 0xffff;
			break;
		case IKE_IA_AUTH_ALG:
			xf->auth = (uint8_t)v;
			xf->bad |= v > 255;
			break;
		case IKE_IA_KEY_LENGTH:
			xf->keybits = (uint16_t)v;
			xf->bad |= v > 0xffff;
			break;
		default:
			xf->bad = true; /* ESN, key rounds, ...: not ours */
			break;
		}
	}
	if (rc < 0)
		xf->bad = true;
}

/* Does a transform of protocol proto fit offer o, mode, PFS group? */
static bool
qm_xf_fits(uint8_t proto, const struct qm_xf *xf, const struct ike_qm_offer *o,
           bool tunnel, bool floated, int pfs)
{
	bool t, udp;

	if (xf->bad)
		return false;
	if (ike_encap_decode(xf->encap != 0 ? xf->encap : IKE_ENCAP_TRANSPORT,
	                     &t, &udp) < 0 ||
	    t != tunnel || (udp && !floated))
		return false;
	if (pfs > 0 ? xf->group != pfs : (pfs == 0 && xf->group != 0))
		return false;
	if (proto == IKE_PROTO_ESP) {
		uint16_t kb = xf->keybits;
		if (!o->esp || xf->id != o->esp_enc || xf->auth != o->esp_auth)
			return false;
		if (o->esp_enc == IKE_ESP_AES_CBC ||
		    o->esp_enc == IKE_ESP_AES_GCM_16) {
			if (kb == 0 && o->esp_enc == IKE_ESP_AES_CBC)
				kb = 128; /* RFC 3602: 128 by default */
			return kb == o->esp_keybits;
		}
		return kb == 0;
	}
	if (proto == IKE_PROTO_AH)
		return o->ah && !udp && xf->id == ah_xform_id(o->ah_auth) &&
		       xf->auth == o->ah_auth;
	return false;
}

static uint32_t
min_nonzero(uint32_t a, uint32_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

static int
add_qm_xform(struct ike_msg_builder *b, uint8_t proto,
             const struct ike_qm_offer *o, uint16_t encap, uint16_t group)
{
	if (proto == IKE_PROTO_AH)
		ike_msg_build_xform_begin(b, 1, ah_xform_id(o->ah_auth));
	else
		ike_msg_build_xform_begin(b, 1, o->esp_enc);
	if (o->seconds != 0) {
		ike_msg_build_attr_tv(b, IKE_IA_LIFE_TYPE, IKE_LIFE_SECONDS);
		ike_msg_build_attr(b, IKE_IA_LIFE_DURATION, o->seconds);
	}
	if (o->kbytes != 0) {
		ike_msg_build_attr_tv(b, IKE_IA_LIFE_TYPE, IKE_LIFE_KILOBYTES);
		ike_msg_build_attr(b, IKE_IA_LIFE_DURATION, o->kbytes);
	}
	if (group != 0)
		ike_msg_build_attr_tv(b, IKE_IA_GROUP_DESC, group);
	ike_msg_build_attr_tv(b, IKE_IA_ENCAP_MODE, encap);
	if (proto == IKE_PROTO_AH)
		ike_msg_build_attr_tv(b, IKE_IA_AUTH_ALG, o->ah_auth);
	else if (o->esp_auth != 0)
		ike_msg_build_attr_tv(b, IKE_IA_AUTH_ALG, o->esp_auth);
	if (proto == IKE_PROTO_ESP && (o->esp_enc == IKE_ESP_AES_CBC ||
	                               o->esp_enc == IKE_ESP_AES_GCM_16))
		ike_msg_build_attr_tv(b, IKE_IA_KEY_LENGTH, o->esp_keybits);
	return b->failed ? -1 : 0;
}

static int
echo_qm_xform(struct ike_msg_builder *b, const struct ike_prop *p,
              uint32_t spi, const struct ike_xform *x)
{
	uint8_t s[4] = {(uint8_t)(spi >> 24), (uint8_t)(spi >> 16),
	                (uint8_t)(spi >> 8), (uint8_t)spi};
	struct ike_attr_iter it;
	struct ike_attr a;

	ike_msg_build_prop_begin(b, p->num, p->proto, s, sizeof(s));
	ike_msg_build_xform_begin(b, x->num, x->id);
	ike_attr_iter_init(&it, x);
	while (ike_attr_next(&it, &a) > 0) {
		if (a.tv)
			ike_msg_build_attr_tv(b, a.type, (uint16_t)a.value);
		else
			ike_msg_build_attr_tlv(b, a.type, a.data.p,
			                       (uint16_t)a.data.len);
	}
	return b->failed ? -1 : 0;
}

static uint32_t
spi_of(const struct ike_prop *p)
{
	const uint8_t *s = p->spi.p;

	return (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 |
	       (uint32_t)s[2] << 8 | s[3];
}

/* ---- SPIs ------------------------------------------------------------------ */

/* Inbound SPIs: random, above the reserved 1-255 (RFC 4303 section
 * 2.1), not in use here (held by an exchange or a pair until it is
 * freed: ike_spi_ref). */
static int
spi_alloc(struct ike *ike, uint32_t *out)
{
	for (int tries = 0; tries < 16; tries++) {
		uint32_t spi = ike_random32(ike);
		if (spi < 256 || ike_spi_in_use(ike, spi))
			continue;
		if (ike_spi_ref(ike, spi) < 0)
			break;
		IKE_STAT_INC(ike, total_get_spi);
		*out = spi;
		return 0;
	}
	IKE_STAT_INC(ike, get_spi_failures);
	ike_log(ike, LOG_ERR, "IKE: no free SPI");
	return -1;
}

/* ---- exchange objects ---------------------------------------------------- */

static void
qm_gauges_off(struct ike *ike, struct ike_qm *qm)
{
	if (qm->queued) {
		qm->queued = false;
		IKE_STAT_DEC(ike, acquire_heap_size);
	}
	if (qm->active) {
		qm->active = false;
		if (qm->role == IKE_ROLE_I)
			IKE_STAT_DEC(ike, active_acquire);
		else
			IKE_STAT_DEC(ike, active_receive);
	}
}

void
ike_qm_free(struct ike *ike, struct ike_qm *qm)
{
	qm_half_remove(ike, qm);
	qm_gauges_off(ike, qm);
	ike_spi_unref(ike, qm->esp_spi_in);
	ike_spi_unref(ike, qm->ah_spi_in);
	ike_dh_free(qm->dh);
	free(qm->peer_ke);
	if (qm->gqm != NULL) {
		OPENSSL_cleanse(qm->gqm, qm->gqmlen);
		free(qm->gqm);
	}
	ike_tx_clear(&qm->tx);
	OPENSSL_cleanse(qm, sizeof(*qm));
	free(qm);
}

static void
qm_link(struct ike_isa *sa, struct ike_qm *qm)
{
	struct ike_qm **pp = &sa->qms;

	while (*pp != NULL)
		pp = &(*pp)->next;
	*pp = qm;
	qm->sa = sa;
}

/* Done (installed or failed): keep answering duplicates for a while. */
static void
qm_finish(struct ike_qm *qm)
{
	struct ike *ike = qm->sa->ike;

	qm->done = true;
	qm->tx.due = 0;
	qm->linger_ms = ike->now + ike_linger_ms(ike);
	ike_due(ike, &qm->sa->tn, qm->linger_ms);
	qm_gauges_off(ike, qm);
	ike_dh_free(qm->dh);
	qm->dh = NULL;
	if (qm->gqm != NULL) {
		OPENSSL_cleanse(qm->gqm, qm->gqmlen);
		free(qm->gqm);
		qm->gqm = NULL;
	}
}

/* A new pair (or soft association) joins ike->children and its peer's
 * pairs, oldest first, and its identity's (ident: the main mode SA's,
 * NULL for none). */
static void
child_link(struct ike *ike, struct ike_child *c, struct ike_ident *ident)
{
	*ike->children_tail = c;
	ike->children_tail = &c->next;
	TAILQ_INSERT_TAIL(&c->peer->children, c, peer_link);
	c->ident = ident;
	if (ident != NULL)
		TAILQ_INSERT_TAIL(&ident->children, c, ident_link);
	c->linked = true;
}

/* A pair object for sa's peer, with its place in the timer heap; NULL
 * out of memory.  ike_child_free undoes it (and child_link). */
static struct ike_child *
child_alloc(struct ike_isa *sa)
{
	struct ike *ike = sa->ike;
	struct ike_child *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	if (ike_tnode_init(ike, &c->tn, NULL, c) < 0) {
		free(c);
		return NULL;
	}
	c->peer = ike_peer_get(ike, &sa->remote.addr);
	if (c->peer == NULL) {
		ike_tnode_release(ike, &c->tn);
		free(c);
		return NULL;
	}
	return c;
}

/* A soft association: the peer never answered and the policy says
 * soft=yes, so the flow may go in clear text for a while. */
static void
soft_association(struct ike_qm *qm)
{
	struct ike_isa *sa = qm->sa;
	struct ike *ike = sa->ike;
	struct ike_child *c = child_alloc(sa);

	if (c == NULL)
		return;
	c->info.id = ike->next_child_id++;
	c->info.rule_id = qm->conf.rule_id;
	c->info.soft = true;
	c->info.local = sa->local;
	c->info.peer = sa->remote;
	c->info.local_ts = qm->conf.local_ts;
	c->info.remote_ts = qm->conf.remote_ts;
	c->info.mode = qm->conf.tunnel ? DP_MODE_TUNNEL : DP_MODE_TRANSPORT;
	c->info.initiator = true;
	c->info.installed_ms = ike->now;
	c->conf = qm->conf;
	c->hard_ms = ike->now + (uint64_t)sa->soft_s * 1000;
	if (ike->env->install == NULL ||
	    ike->env->install(ike->env->arg, &c->info, NULL, NULL) < 0) {
		ike_child_free(ike, c);
		return;
	}
	child_link(ike, c, NULL);
	IKE_STAT_INC(ike, soft_associations);
	ike_due(ike, &c->tn, c->hard_ms);
	ike_sa_log(ike, sa, LOG_NOTICE,
	           "peer silent: soft association (clear text) for %u s",
	           sa->soft_s);
}

void
ike_qm_fail(struct ike_qm *qm, enum ike_fail why, bool peer_silent)
{
	struct ike_isa *sa = qm->sa;
	struct ike *ike = sa->ike;
	struct ike_child *old;

	if (qm->done || qm->dead)
		return;
	if (why == IKE_FAIL_NEG)
		IKE_STAT_INC(ike, negotiation_failures);
	else if (why == IKE_FAIL_AUTH)
		IKE_STAT_INC(ike, authentication_failures);
	if (qm->role == IKE_ROLE_I) {
		IKE_STAT_INC(ike, acquire_failures);
		if (peer_silent && qm->conf.soft && qm->have_acq)
			soft_association(qm);
		old = ike_child_by_id(sa->peer, qm->rekey_of);
		if (old != NULL)
			old->rekeying = false; /* lives on to its end */
	} else {
		IKE_STAT_INC(ike, receive_failures);
		qm_half_remove(ike, qm);
	}
	qm_gauges_off(ike, qm);
	qm->done = true;
	qm->dead = true;
	ike->reap = true;
}

/* A step failed: tell the peer (protected), count, end. */
static void
qm_step_fail(struct ike_qm *qm, const struct ike_rx *rx)
{
	uint8_t spi[4];
	uint32_t s = qm->role == IKE_ROLE_I ? qm->esp_spi_in : 0;

	if (rx->notify != 0) {
		/* The initiator's SPI, if known, lets it match the notify
		 * to its exchange. */
		if (qm->role == IKE_ROLE_R) {
			const struct ike_pl *sp = ike_msg_find(rx->m, IKE_PL_SA, 0);
			const struct ike_prop *p =
			    sp != NULL ? ike_sa_prop(rx->m, &sp->u.sa, 0) : NULL;
			if (p != NULL && p->spi_size == 4)
				s = spi_of(p);
		}
		spi[0] = (uint8_t)(s >> 24);
		spi[1] = (uint8_t)(s >> 16);
		spi[2] = (uint8_t)(s >> 8);
		spi[3] = (uint8_t)s;
		ike_info_notify(qm->sa, rx->notify, IKE_PROTO_ESP,
		                s != 0 ? spi : NULL, s != 0 ? 4 : 0, NULL, 0,
		                false);
	}
	ike_qm_fail(qm, rx->fail, false);
}

/* ---- initiator ----------------------------------------------------------- */

static int
resolve_pfs(const struct ike_isa *sa, int pfs)
{
	if (pfs < 0)
		return sa->offer.group;
	return ike_dh_group_supported(pfs) ? pfs : 0;
}

static int
add_ids(struct ike_msg_builder *b, const struct ike_ts *ci,
        const struct ike_ts *cr)
{
	uint8_t bi[32], br[32];
	struct ike_id idi, idr;

	id_from_ts(ci, bi, &idi);
	id_from_ts(cr, br, &idr);
	ike_msg_build_id(b, &idi);
	return ike_msg_build_id(b, &idr);
}

/* NAT-OA (RFC 3947 section 5.2): our and the peer's real addresses, for
 * the checksums of UDP-encapsulated transport mode. */
static void
add_natoa(struct ike_qm *qm, struct ike_msg_builder *b)
{
	struct ike_isa *sa = qm->sa;
	uint8_t type = sa->natt == IKE_NATT_DRAFT ? IKE_PL_NATOA_DRAFT
	                                           : IKE_PL_NATOA;
	const struct dp_addr *a[2] = {&sa->local.addr, &sa->remote.addr};
	bool udp, tunnel;

	if (ike_encap_decode(qm->encap_mode, &tunnel, &udp) < 0 || tunnel ||
	    !udp)
		return;
	if (qm->role == IKE_ROLE_R) {
		a[0] = &sa->remote.addr;
		a[1] = &sa->local.addr;
	}
	for (int i = 0; i < 2; i++) {
		uint8_t body[20];
		size_t n = alen(a[i]->family);
		memset(body, 0, sizeof(body));
		body[0] = n == 4 ? IKE_ID_IPV4_ADDR : IKE_ID_IPV6_ADDR;
		memcpy(body + 4, a[i]->bytes, n);
		if (type == IKE_PL_NATOA)
			ike_msg_build_natoa(b, body[0], a[i]->bytes, n);
		else
			ike_msg_build_raw(b, type, body, 4 + n);
	}
}

static int
qm_send1(struct ike_qm *qm)
{
	struct ike_isa *sa = qm->sa;
	struct ike *ike = sa->ike;
	struct ike_msg_builder b;
	bool need_esp = false, need_ah = false, udp = ike_natt_encap(sa);
	size_t hoff, hlen, len;
	uint8_t num = 0;

	qm->msgid = ike_msgid_new(sa);
	ike_msgid_add(sa, qm->msgid);
	qm->started = true;
	qm->pfs_group = (uint16_t)resolve_pfs(sa, qm->conf.pfs_group);
	qm->encap_mode = ike_natt_encap_mode(sa, qm->conf.tunnel);
	for (size_t i = 0; i < qm->conf.noffers; i++) {
		const struct ike_qm_offer *o = &qm->conf.offers[i];
		if (!offer_ok(o, udp))
			continue;
		need_esp |= o->esp;
		need_ah |= o->ah;
	}
	if (!need_esp && !need_ah) {
		ike_sa_log(ike, sa, LOG_ERR,
		           "the quick mode policy has no usable offer%s",
		           udp ? " with UDP encapsulation" : "");
		return -1;
	}
	if ((need_esp && spi_alloc(ike, &qm->esp_spi_in) < 0) ||
	    (need_ah && spi_alloc(ike, &qm->ah_spi_in) < 0))
		return -1;
	if (qm->pfs_group != 0) {
		qm->dh = ike_dh_make(ike, qm->pfs_group);
		if (qm->dh == NULL)
			return -1;
	}
	ike_random(ike, qm->ni, NONCE_LEN);
	qm->nilen = NONCE_LEN;
	if (ike_iv_phase2((enum ike_hash)sa->offer.hash, sa->p1_last, sa->blk,
	                  qm->msgid, qm->iv, NULL, 0) < 0)
		return -1;

	ike_build_begin(sa, &b, IKE_EXCH_QUICK, qm->msgid, true);
	ike_msg_build_hash(&b, NULL, sa->keys.len);
	ike_msg_build_last(&b, &hoff, &hlen);
	ike_msg_build_sa_begin(&b, IKE_DOI_IPSEC, IKE_SIT_IDENTITY_ONLY);
	for (size_t i = 0; i < qm->conf.noffers; i++) {
		const struct ike_qm_offer *o = &qm->conf.offers[i];
		uint8_t s[4];
		if (!offer_ok(o, udp))
			continue;
		num++;
		/* AH+ESP: two proposals with one number, AH first (RFC
		 * 2408 section 4.2 example). */
		if (o->ah) {
			uint32_t v = qm->ah_spi_in;
			s[0] = (uint8_t)(v >> 24), s[1] = (uint8_t)(v >> 16);
			s[2] = (uint8_t)(v >> 8), s[3] = (uint8_t)v;
			ike_msg_build_prop_begin(&b, num, IKE_PROTO_AH, s, 4);
			add_qm_xform(&b, IKE_PROTO_AH, o, qm->encap_mode,
			             qm->pfs_group);
		}
		if (o->esp) {
			uint32_t v = qm->esp_spi_in;
			s[0] = (uint8_t)(v >> 24), s[1] = (uint8_t)(v >> 16);
			s[2] = (uint8_t)(v >> 8), s[3] = (uint8_t)v;
			ike_msg_build_prop_begin(&b, num, IKE_PROTO_ESP, s, 4);
			add_qm_xform(&b, IKE_PROTO_ESP, o, qm->encap_mode,
			             qm->pfs_group);
		}
	}
	ike_msg_build_sa_end(&b);
	ike_msg_build_nonce(&b, qm->ni, qm->nilen);
	if (qm->dh != NULL) {
		const uint8_t *pub = ike_dh_public(qm->dh, &len);
		ike_msg_build_ke(&b, pub, len);
	}
	/* Always send the selectors (strongSwan does, and expects them). */
	qm->ids = true;
	qm->ts_local = qm->conf.local_ts;
	qm->ts_remote = qm->conf.remote_ts;
	add_ids(&b, &qm->ts_local, &qm->ts_remote);
	add_natoa(qm, &b);
	if (ike_build_hash12(sa, &b, hoff, qm->msgid, NULL, 0) < 0 ||
	    ike_build_seal(sa, &b, qm->iv, qm->iv, &len) < 0)
		return -1;
	ike_tx_set(sa, &qm->tx, b.buf, len, &sa->local, &sa->remote, true);
	sa->nqm++;
	ike_sa_log(ike, sa, LOG_INFO, "quick mode %08x started (%u "
	                              "proposals%s)",
	           qm->msgid, num, qm->pfs_group != 0 ? ", PFS" : "");
	return 0;
}

static void
qm_start(struct ike_qm *qm)
{
	if (qm_send1(qm) < 0)
		ike_qm_fail(qm, IKE_FAIL_OTHER, false);
}

struct ike_qm *
ike_qm_new_initiator(struct ike_isa *sa, const struct ike_qm_conf *conf,
                     const struct ike_acquire *acq, uint64_t rekey_of)
{
	struct ike *ike = sa->ike;
	struct ike_qm *qm = calloc(1, sizeof(*qm));

	if (qm == NULL)
		return NULL;
	qm->role = IKE_ROLE_I;
	qm->conf = *conf;
	if (qm->conf.noffers > IKE_QM_OFFERS_MAX)
		qm->conf.noffers = IKE_QM_OFFERS_MAX;
	if (acq != NULL) {
		qm->acq = *acq;
		qm->have_acq = true;
	}
	qm->rekey_of = rekey_of;
	qm_link(sa, qm);
	qm->active = true;
	IKE_STAT_INC(ike, active_acquire);
	if (!ts_valid(&qm->conf.local_ts) || !ts_valid(&qm->conf.remote_ts) ||
	    qm->conf.local_ts.addr.family != qm->conf.remote_ts.addr.family) {
		ike_sa_log(ike, sa, LOG_ERR, "quick mode policy: bad "
		                             "selectors");
		ike_qm_fail(qm, IKE_FAIL_OTHER, false);
		return qm;
	}
	if (sa->step == IKE_MM_DONE) {
		qm_start(qm);
	} else {
		qm->queued = true;
		IKE_STAT_INC(ike, acquire_heap_size);
	}
	return qm;
}

void
ike_qm_start_queued(struct ike_isa *sa)
{
	struct ike *ike = sa->ike;

	for (struct ike_qm *qm = sa->qms; qm != NULL; qm = qm->next) {
		if (!qm->queued || qm->dead)
			continue;
		qm->queued = false;
		IKE_STAT_DEC(ike, acquire_heap_size);
		qm_start(qm);
	}
}

/* Does the selector hold this host, protocol and port? */
static bool
ts_has(const struct ike_ts *ts, const struct dp_addr *a, uint8_t proto,
       uint16_t port)
{
	struct ike_ts h;

	ike_ts_from_addr(&h, a);
	h.proto = proto;
	h.port = port;
	return ts_within(&h, ts);
}

/* Do our selectors of a pair hold the acquire's packet? */
static bool
ts_carry(const struct ike_ts *local, const struct ike_ts *remote,
         const struct ike_acquire *a)
{
	return ts_has(local, &a->src, a->proto, a->sport) &&
	       ts_has(remote, &a->dst, a->proto, a->dport);
}

struct ike_qm *
ike_qm_find_acquire(struct ike *ike, const struct ike_acquire *a,
                    const struct ike_qm_conf *conf)
{
	struct ike_peer *p = ike_peer_find(ike, &a->peer.addr);
	struct ike_isa *sa;

	if (p == NULL)
		return NULL;
	TAILQ_FOREACH(sa, &p->sas, peer_link) {
		if (sa->dead)
			continue;
		for (struct ike_qm *qm = sa->qms; qm != NULL; qm = qm->next)
			if (qm->role == IKE_ROLE_I && !qm->done && !qm->dead &&
			    qm->conf.rule_id == conf->rule_id &&
			    ike_ts_eq(&qm->conf.local_ts, &conf->local_ts) &&
			    ike_ts_eq(&qm->conf.remote_ts, &conf->remote_ts))
				return qm;
	}
	return NULL;
}

bool
ike_acquire_echo(struct ike *ike, const struct ike_acquire *a)
{
	struct ike_peer *p = ike_peer_find(ike, &a->peer.addr);
	struct ike_isa *sa;
	struct ike_child *c;

	if (p == NULL)
		return false;
	TAILQ_FOREACH(sa, &p->sas, peer_link) {
		if (sa->dead)
			continue;
		for (struct ike_qm *qm = sa->qms; qm != NULL; qm = qm->next)
			if (qm->half != NULL && !qm->dead &&
			    ts_carry(&qm->ts_local, &qm->ts_remote, a))
				return true;
	}
	TAILQ_FOREACH(c, &p->children, peer_link)
		if (!c->dead && !c->info.soft && !c->info.initiator &&
		    ike->now < c->out_ms + IKE_ACQUIRE_ECHO_MS &&
		    ts_carry(&c->info.local_ts, &c->info.remote_ts, a))
			return true;
	return false;
}

/* ---- keys and installation ----------------------------------------------- */

static int
keymat(struct ike_qm *qm, uint8_t proto, uint32_t spi, uint8_t *out,
       size_t len)
{
	/* qm->ni is always the initiator's nonce, qm->nr the responder's. */
	if (len == 0)
		return 0;
	return ike_qm_keymat(&qm->sa->keys, qm->gqm, qm->gqmlen, proto, spi,
	                     qm->ni, qm->nilen, qm->nr, qm->nrlen, out, len,
	                     NULL, 0);
}

static void
sel_of(const struct ike_ts *src, const struct ike_ts *dst,
       struct dp_selector *sel)
{
	memset(sel, 0, sizeof(*sel));
	ike_ts_prefix(src, &sel->src, &sel->src_plen);
	ike_ts_prefix(dst, &sel->dst, &sel->dst_plen);
	sel->proto = src->proto != 0 ? src->proto : dst->proto;
	sel->sport = src->port;
	sel->dport = dst->port;
}

/* Does o (a pair of c's peer) carry the same flow as c (a pair c
 * would replace)? */
static bool
same_flow(const struct ike_child *o, const struct ike_child *c)
{
	return o != c && !o->dead && !o->info.soft &&
	       o->info.rule_id == c->info.rule_id &&
	       ike_ts_eq(&o->info.local_ts, &c->info.local_ts) &&
	       ike_ts_eq(&o->info.remote_ts, &c->info.remote_ts);
}

/* Marks older pairs with the same selectors as superseded by c. */
static void
supersede(const struct ike_child *c)
{
	struct ike_child *o;

	TAILQ_FOREACH(o, &c->peer->children, peer_link)
		if (same_flow(o, c))
			o->superseded = true;
}

/* The newest live pair c would replace, or NULL. */
static struct ike_child *
replaced_by(const struct ike_child *c)
{
	struct ike_child *o, *r = NULL;

	TAILQ_FOREACH(o, &c->peer->children, peer_link)
		if (same_flow(o, c))
			r = o;
	return r;
}

static void
child_timers(struct ike *ike, struct ike_child *c, bool initiator)
{
	uint64_t life = (uint64_t)c->info.offer.seconds * 1000;
	uint64_t soon = life * ike->conf.rekey_margin_pct / 100;
	uint64_t kb = (uint64_t)c->info.offer.kbytes * 1024;

	/* The side that proposed the pair rekeys it; the other waits half
	 * as long again before it steps in. */
	if (!initiator)
		soon /= 2;
	else
		soon += ike_jitter(ike, life, ike->conf.rekey_jitter_pct);
	c->hard_ms = ike->now + life;
	c->soft_ms = soon < life ? ike->now + life - soon : 0;
	c->soft_bytes = initiator ? kb * (100 - ike->conf.rekey_margin_pct) / 100
	                          : kb * (200 - ike->conf.rekey_margin_pct) / 200;
	c->idle_s = c->conf.idle_s != 0 ? c->conf.idle_s : ike->conf.qm_idle_s;
	c->check_ms = ike->now + ike->conf.idle_check_ms;
	ike_due(ike, &c->tn, c->hard_ms);
	ike_due(ike, &c->tn, c->soft_ms);
	if (ike->env->usage != NULL)
		ike_due(ike, &c->tn, c->check_ms);
}

/*
 * Installation, in one or two steps (env->install, ike.h):
 *
 *   initiator  message 2 received, message 3 sent: the whole pair at
 *              once (the responder has its keys since message 2);
 *   responder  message 2 about to go: its inbound SA only, so that the
 *              initiator's first packets, released as soon as it has
 *              message 2, find it (they would race message 3 and be
 *              dropped for a bad SPI); message 3 received: its outbound
 *              SA, and the pair counts as installed.  It sends no ESP
 *              before message 3 shows that the initiator has the keys
 *              (no commit bit needed).  Until then the pair lives in
 *              qm->half, outside ike->children; if message 3 never
 *              comes, the inbound SA goes when the exchange ends
 *              (qm_half_remove from ike_qm_fail or ike_qm_free).
 */

/* The pair a completed exchange makes (not linked, nothing installed). */
static struct ike_child *
qm_child_new(struct ike_qm *qm)
{
	struct ike_isa *sa = qm->sa;
	struct ike *ike = sa->ike;
	const struct ike_qm_offer *o = &qm->chosen;
	struct ike_child *c = child_alloc(sa);
	bool tunnel = false, udp = false;

	if (c == NULL)
		return NULL;
	ike_encap_decode(qm->encap_mode, &tunnel, &udp);
	c->info.id = ike->next_child_id++;
	c->info.rule_id = qm->conf.rule_id;
	c->info.spi_in = o->esp ? qm->esp_spi_in : qm->ah_spi_in;
	c->info.spi_out = o->esp ? qm->esp_spi_out : qm->ah_spi_out;
	c->info.ah_spi_in = o->esp && o->ah ? qm->ah_spi_in : 0;
	c->info.ah_spi_out = o->esp && o->ah ? qm->ah_spi_out : 0;
	c->info.proto = o->esp && o->ah ? DP_PROTO_AH_ESP
	                : o->esp        ? DP_PROTO_ESP
	                                : DP_PROTO_AH;
	c->info.mode = tunnel ? DP_MODE_TUNNEL : DP_MODE_TRANSPORT;
	c->info.encap = udp ? DP_ENCAP_UDP : DP_ENCAP_NONE;
	c->info.local = sa->local;
	c->info.peer = sa->remote;
	c->info.local_ts = qm->ts_local;
	c->info.remote_ts = qm->ts_remote;
	c->info.offer = *o;
	if (c->info.offer.seconds == 0)
		c->info.offer.seconds = QM_LIFE_DEFAULT_S;
	c->info.pfs_group = qm->pfs_group;
	c->info.initiator = qm->role == IKE_ROLE_I;
	c->info.installed_ms = ike->now;
	memcpy(c->info.icookie, sa->icookie, IKE_COOKIE_LEN);
	memcpy(c->info.rcookie, sa->rcookie, IKE_COOKIE_LEN);
	memcpy(c->peer_idh, sa->peer_idh, IKE_RXH_LEN);
	c->conf = qm->conf;
	c->conf.local_ts = qm->ts_local;
	c->conf.remote_ts = qm->ts_remote;
	c->conf.pfs_group = qm->conf.pfs_group;
	/* A responder is told nothing of rekeys: a new pair for the flow
	 * of a live one is its rekey (Key Updates, and the datapath may
	 * switch over rather than add). */
	c->info.rekey = ike_child_by_id(sa->peer, qm->rekey_of) != NULL ||
	                (qm->role == IKE_ROLE_R && replaced_by(c) != NULL);
	/* The pair holds its inbound SPIs from here on (the exchange holds
	 * them already: a second reference needs no memory). */
	ike_spi_ref(ike, c->info.spi_in);
	ike_spi_ref(ike, c->info.ah_spi_in);
	c->spis_held = true;
	return c;
}

/* The SA of direction d (0 in, 1 out) of c: parameters into p, its keys
 * into km (ESP, AH), which p points to.  0 or -1. */
static int
qm_params(struct ike_qm *qm, const struct ike_child *c, int d,
          struct dp_sa_params *p, uint8_t km[2][128])
{
	struct ike_isa *sa = qm->sa;
	struct ike *ike = sa->ike;
	const struct ike_qm_offer *o = &qm->chosen;
	enum dp_enc enc = DP_ENC_NULL;
	enum dp_auth eauth = DP_AUTH_NONE, aauth = DP_AUTH_NONE;
	size_t elen = 0, ealen = 0, alen_ = 0;

	if (o->esp && (!esp_dp(o->esp_enc, o->esp_keybits, &enc) ||
	               !auth_dp(o->esp_auth, &eauth)))
		return -1;
	if (o->ah && !auth_dp(o->ah_auth, &aauth))
		return -1;
	if (o->esp) {
		elen = dp_enc_key_len(enc);
		ealen = dp_auth_key_len(eauth);
		if (elen + ealen > 128 ||
		    keymat(qm, IKE_PROTO_ESP,
		           d == 0 ? qm->esp_spi_in : qm->esp_spi_out, km[0],
		           elen + ealen) < 0)
			return -1;
	}
	if (o->ah) {
		alen_ = dp_auth_key_len(aauth);
		if (alen_ > 128 ||
		    keymat(qm, IKE_PROTO_AH,
		           d == 0 ? qm->ah_spi_in : qm->ah_spi_out, km[1],
		           alen_) < 0)
			return -1;
	}
	dp_sa_params_init(p);
	p->dir = d == 0 ? DP_DIR_IN : DP_DIR_OUT;
	p->mode = c->info.mode;
	p->encap = c->info.encap;
	p->encap_sport = d == 0 ? sa->remote.port : sa->local.port;
	p->encap_dport = d == 0 ? sa->local.port : sa->remote.port;
	p->proto = c->info.proto;
	p->spi = d == 0 ? c->info.spi_in : c->info.spi_out;
	p->ah_spi = d == 0 ? c->info.ah_spi_in : c->info.ah_spi_out;
	if (o->esp) {
		p->enc = enc;
		p->esp_auth = eauth;
		p->enc_key = km[0];
		p->enc_key_len = elen;
		p->esp_auth_key = ealen > 0 ? km[0] + elen : NULL;
		p->esp_auth_key_len = ealen;
	}
	if (o->ah) {
		p->ah_auth = aauth;
		p->ah_auth_key = km[1];
		p->ah_auth_key_len = alen_;
	}
	if (d == 0)
		sel_of(&qm->ts_remote, &qm->ts_local, &p->sel);
	else
		sel_of(&qm->ts_local, &qm->ts_remote, &p->sel);
	p->tun_src = d == 0 ? sa->remote.addr : sa->local.addr;
	p->tun_dst = d == 0 ? sa->local.addr : sa->remote.addr;
	p->hard.bytes = (uint64_t)c->info.offer.kbytes * 1024;
	p->soft.bytes =
	    p->hard.bytes * (100 - ike->conf.rekey_margin_pct) / 100;
	p->rekey = c->info.rekey;
	return 0;
}

/* env->install for the directions asked (both: a whole pair); failures
 * counted (Key Addition or Update Failures).  0 or -1. */
static int
qm_env_install(struct ike_qm *qm, const struct ike_child *c, bool in, bool out)
{
	struct ike_isa *sa = qm->sa;
	struct ike *ike = sa->ike;
	struct dp_sa_params pin, pout;
	uint8_t km[2][2][128]; /* in, out; ESP, AH */
	int rc = -1;

	memset(km, 0, sizeof(km));
	memset(&pin, 0, sizeof(pin));
	memset(&pout, 0, sizeof(pout));
	if ((in && qm_params(qm, c, 0, &pin, km[0]) < 0) ||
	    (out && qm_params(qm, c, 1, &pout, km[1]) < 0))
		goto out;
	if (ike->env->install == NULL ||
	    ike->env->install(ike->env->arg, &c->info, in ? &pin : NULL,
	                      out ? &pout : NULL) < 0)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(km, sizeof(km));
	OPENSSL_cleanse(&pin, sizeof(pin));
	OPENSSL_cleanse(&pout, sizeof(pout));
	if (rc < 0) {
		if (c->info.rekey)
			IKE_STAT_INC(ike, key_update_failures);
		else
			IKE_STAT_INC(ike, key_addition_failures);
		ike_sa_log(ike, sa, LOG_ERR,
		           "the %s SA%s %08x/%08x could not be installed",
		           in && out ? "pair" : in ? "inbound" : "outbound",
		           in && out ? "s" : " of", c->info.spi_in,
		           c->info.spi_out);
	}
	return rc;
}

/* The pair is in, both directions: it counts, lives and may replace. */
static void
qm_child_commit(struct ike_qm *qm, struct ike_child *c)
{
	struct ike_isa *sa = qm->sa;
	struct ike *ike = sa->ike;
	struct ike_child *old = ike_child_by_id(sa->peer, qm->rekey_of);

	if (c->info.rekey)
		IKE_STAT_INC(ike, key_updates);
	else
		IKE_STAT_INC(ike, key_additions);
	IKE_STAT_INC(ike, ike_quick_mode);
	c->out_ms = ike->now;
	child_link(ike, c, sa->ident);
	child_timers(ike, c, c->info.initiator);
	ike_sa_log(ike, sa, LOG_NOTICE,
	           "quick mode %08x: SAs in %08x out %08x installed (%s%s%s)",
	           qm->msgid, c->info.spi_in, c->info.spi_out,
	           dp_mode_name(c->info.mode),
	           c->info.encap == DP_ENCAP_UDP ? ", UDP" : "",
	           c->info.rekey ? ", rekey" : "");
	if (qm->role == IKE_ROLE_R)
		supersede(c);
	/* Without loss: the old pair goes only now that the new one is in
	 * (the peer switched when it installed its own). */
	if (old != NULL && qm->role == IKE_ROLE_I) {
		old->superseded = true;
		ike_child_delete(ike, old, true);
	}
}

/* Initiator, message 2 done: the whole pair. */
static int
qm_install(struct ike_qm *qm)
{
	struct ike *ike = qm->sa->ike;
	struct ike_child *c = qm_child_new(qm);

	if (c == NULL)
		return -1;
	if (qm_env_install(qm, c, true, true) < 0) {
		ike_child_free(ike, c);
		return -1;
	}
	qm_child_commit(qm, c);
	return 0;
}

/* Responder, message 2 about to go: the inbound SA, kept in qm->half. */
static int
qm_install_in(struct ike_qm *qm)
{
	struct ike *ike = qm->sa->ike;
	struct ike_child *c = qm_child_new(qm);

	if (c == NULL)
		return -1;
	if (qm_env_install(qm, c, true, false) < 0) {
		ike_child_free(ike, c);
		return -1;
	}
	qm->half = c;
	ike_sa_log(ike, qm->sa, LOG_INFO,
	           "quick mode %08x: inbound SA %08x installed, outbound "
	           "waits for message 3",
	           qm->msgid, c->info.spi_in);
	return 0;
}

/* Responder, message 3 received: the outbound SA completes the pair. */
static int
qm_install_out(struct ike_qm *qm)
{
	struct ike_child *c = qm->half;

	if (c == NULL)
		return -1;
	if (qm_env_install(qm, c, false, true) < 0)
		return -1; /* ike_qm_fail removes the inbound SA */
	qm->half = NULL;
	qm_child_commit(qm, c);
	return 0;
}

/* An exchange that ends with its pair half in (no message 3): the
 * inbound SA goes. */
static void
qm_half_remove(struct ike *ike, struct ike_qm *qm)
{
	struct ike_child *c = qm->half;

	if (c == NULL)
		return;
	qm->half = NULL;
	ike_log(ike, LOG_INFO,
	        "IKE: quick mode %08x ended before message 3: inbound SA "
	        "%08x removed",
	        qm->msgid, c->info.spi_in);
	if (ike->env->uninstall != NULL)
		ike->env->uninstall(ike->env->arg, &c->info);
	ike_child_free(ike, c);
}

/* ---- message handling ----------------------------------------------------- */

/* HASH(1) or HASH(2) of rx, which the script has put first. */
static bool
hash12_ok(struct ike_isa *sa, const struct ike_rx *rx, uint32_t msgid,
          const uint8_t *ni, size_t nilen)
{
	const struct ike_pl *hp = &rx->m->pl[0];
	uint8_t h[IKE_HASH_MAX_LEN];
	const uint8_t *rest;
	size_t restlen;
	int rc;

	if (hp->body.len != sa->keys.len)
		return false;
	ike_rx_after_hash(rx, &rest, &restlen);
	if (ni == NULL)
		rc = ike_qm_hash1(&sa->keys, msgid, rest, restlen, h, NULL, 0);
	else
		rc = ike_qm_hash2(&sa->keys, msgid, ni, nilen, rest, restlen,
		                  h, NULL, 0);
	return rc == 0 && CRYPTO_memcmp(h, hp->body.p, sa->keys.len) == 0;
}

/* The IDs of a Quick Mode message: none, or IDci and IDcr both of
 * address types and of one family.  -1: INVALID-ID-INFORMATION. */
static int
take_ids(const struct ike_msg *m, struct ike_ts *ci, struct ike_ts *cr,
         bool *have)
{
	const struct ike_pl *a = ike_msg_find(m, IKE_PL_ID, 0);
	const struct ike_pl *b = ike_msg_find(m, IKE_PL_ID, 1);

	*have = false;
	if (a == NULL)
		return 0;
	if (b == NULL || ts_from_id(&a->u.id, ci) < 0 ||
	    ts_from_id(&b->u.id, cr) < 0 ||
	    ci->addr.family != cr->addr.family)
		return -1;
	*have = true;
	return 0;
}

static int
take_nonce_ke(struct ike_qm *qm, const struct ike_msg *m, uint8_t *n,
              size_t *nlen, struct ike_rx *rx)
{
	const struct ike_pl *np = ike_msg_find(m, IKE_PL_NONCE, 0);
	const struct ike_pl *kp = ike_msg_find(m, IKE_PL_KE, 0);

	memcpy(n, np->body.p, np->body.len);
	*nlen = np->body.len;
	if ((kp != NULL) != (qm->pfs_group != 0)) {
		ike_sa_log(qm->sa->ike, qm->sa, LOG_NOTICE,
		           "quick mode: KE %s without PFS agreed",
		           kp != NULL ? "present" : "missing");
		rx->notify = IKE_N_INVALID_KEY_INFORMATION;
		rx->fail = IKE_FAIL_NEG;
		return -1;
	}
	if (kp == NULL)
		return 0;
	qm->peer_ke = malloc(kp->body.len);
	if (qm->peer_ke == NULL)
		return -1;
	memcpy(qm->peer_ke, kp->body.p, kp->body.len);
	qm->peer_ke_len = kp->body.len;
	return 0;
}

static int
pfs_secret(struct ike_qm *qm, struct ike_rx *rx)
{
	size_t len;

	if (qm->pfs_group == 0)
		return 0;
	len = ike_dh_secret_len(qm->pfs_group);
	qm->gqm = malloc(len);
	if (qm->gqm == NULL)
		return -1;
	qm->gqmlen = len;
	if (ike_dh_compute(qm->dh, qm->peer_ke, qm->peer_ke_len, qm->gqm, len,
	                   NULL, 0) < 0) {
		rx->notify = IKE_N_INVALID_KEY_INFORMATION;
		rx->fail = IKE_FAIL_NEG;
		return -1;
	}
	return 0;
}

/* A bundle: the proposals sharing one number, from index *at. */
struct bundle {
	const struct ike_prop *p[2];
	unsigned n;
};

static unsigned
next_bundle(const struct ike_msg *m, const struct ike_sa *s, unsigned at,
            struct bundle *bu)
{
	const struct ike_prop *first = ike_sa_prop(m, s, at);
	unsigned i = at;

	bu->n = 0;
	while (i < s->nprops) {
		const struct ike_prop *p = ike_sa_prop(m, s, i);
		if (p->num != first->num)
			break;
		if (bu->n < 2)
			bu->p[bu->n] = p;
		bu->n++;
		i++;
	}
	return i;
}

/* Matches a bundle to an offer: the transform chosen per proposal. */
static bool
bundle_fits(struct ike_qm *qm, const struct ike_msg *m, const struct bundle *bu,
            const struct ike_qm_offer *o, int pfs,
            const struct ike_xform *chosen[2], struct qm_xf xfs[2])
{
	bool floated = ike_natt_encap(qm->sa);
	bool has_ah = false, has_esp = false;

	if (bu->n == 0 || bu->n > 2)
		return false;
	for (unsigned i = 0; i < bu->n; i++) {
		const struct ike_prop *p = bu->p[i];
		chosen[i] = NULL;
		if (p->spi_size != 4 || spi_of(p) < 256)
			return false;
		if (p->proto == IKE_PROTO_ESP && !has_esp)
			has_esp = true;
		else if (p->proto == IKE_PROTO_AH && !has_ah)
			has_ah = true;
		else
			return false;
		for (unsigned j = 0; j < p->nxforms && chosen[i] == NULL; j++) {
			const struct ike_xform *x = ike_prop_xform(m, p, j);
			qm_xf_decode(x, &xfs[i]);
			if (qm_xf_fits(p->proto, &xfs[i], o, qm->conf.tunnel,
			               floated, pfs))
				chosen[i] = x;
		}
		if (chosen[i] == NULL)
			return false;
	}
	if (has_ah != o->ah || has_esp != o->esp)
		return false;
	/* One mode and one group across the bundle. */
	if (bu->n == 2 && (xfs[0].encap != xfs[1].encap ||
	                   xfs[0].group != xfs[1].group))
		return false;
	return true;
}

static void
take_chosen(struct ike_qm *qm, const struct bundle *bu,
            const struct ike_qm_offer *o, const struct qm_xf xfs[2])
{
	qm->chosen = *o;
	qm->chosen.seconds = 0;
	qm->chosen.kbytes = 0;
	for (unsigned i = 0; i < bu->n; i++) {
		const struct ike_prop *p = bu->p[i];
		if (p->proto == IKE_PROTO_ESP)
			qm->esp_spi_out = spi_of(p);
		else
			qm->ah_spi_out = spi_of(p);
		/* Both sides keep the shorter lifetime. */
		qm->chosen.seconds = min_nonzero(
		    qm->chosen.seconds, min_nonzero(xfs[i].life_s, o->seconds));
		qm->chosen.kbytes = min_nonzero(
		    qm->chosen.kbytes, min_nonzero(xfs[i].life_kb, o->kbytes));
	}
	qm->encap_mode = xfs[0].encap != 0 ? xfs[0].encap : IKE_ENCAP_TRANSPORT;
	qm->pfs_group = xfs[0].group;
}

/*
 * RESPONDER-LIFETIME (RFC 2407 section 4.6.3.1): the responder echoes
 * the chosen transform unchanged (RFC 2408 section 4.2), so when its
 * policy keeps a shorter lifetime than the one proposed (or one where
 * none was proposed) it says so in a notify whose data is the attribute
 * list of its actual lifetimes and whose SPI is its inbound SPI.  The
 * initiator takes a shorter value, never a longer one, so both sides
 * keep the same lifetime and rekey at the same time.
 */
#define LIFE_ATTRS_MAX 16 /* two type/duration pairs, TV or TLV */

static size_t
put_life(uint8_t *p, uint16_t type, uint32_t value)
{
	size_t n = 0;

	p[n++] = (uint8_t)((IKE_ATTR_AF_TV | IKE_IA_LIFE_TYPE) >> 8);
	p[n++] = (uint8_t)(IKE_ATTR_AF_TV | IKE_IA_LIFE_TYPE);
	p[n++] = (uint8_t)(type >> 8);
	p[n++] = (uint8_t)type;
	if (value <= 0xffff) {
		uint16_t t = IKE_ATTR_AF_TV | IKE_IA_LIFE_DURATION;
		p[n++] = (uint8_t)(t >> 8);
		p[n++] = (uint8_t)t;
		p[n++] = (uint8_t)(value >> 8);
		p[n++] = (uint8_t)value;
		return n;
	}
	p[n++] = (uint8_t)(IKE_IA_LIFE_DURATION >> 8);
	p[n++] = (uint8_t)IKE_IA_LIFE_DURATION;
	p[n++] = 0;
	p[n++] = 4;
	p[n++] = (uint8_t)(value >> 24);
	p[n++] = (uint8_t)(value >> 16);
	p[n++] = (uint8_t)(value >> 8);
	p[n++] = (uint8_t)value;
	return n;
}

/* Responder: one notify per protocol of the bundle when our lifetimes
 * are not what the initiator will read from the echoed transforms. */
static void
add_responder_lifetime(struct ike_qm *qm, struct ike_msg_builder *b,
                       const struct bundle *bu, const struct qm_xf xfs[2])
{
	uint8_t data[2 * LIFE_ATTRS_MAX];

	for (unsigned i = 0; i < bu->n; i++) {
		bool esp = bu->p[i]->proto == IKE_PROTO_ESP;
		uint32_t v = esp ? qm->esp_spi_in : qm->ah_spi_in;
		uint8_t spi[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
		                  (uint8_t)(v >> 8), (uint8_t)v};
		struct ike_notify n;
		size_t len = 0;

		if (qm->chosen.seconds != xfs[i].life_s)
			len += put_life(data + len, IKE_LIFE_SECONDS,
			                qm->chosen.seconds);
		if (qm->chosen.kbytes != xfs[i].life_kb)
			len += put_life(data + len, IKE_LIFE_KILOBYTES,
			                qm->chosen.kbytes);
		if (len == 0)
			continue;
		memset(&n, 0, sizeof(n));
		n.doi = IKE_DOI_IPSEC;
		n.proto = bu->p[i]->proto;
		n.spi_size = sizeof(spi);
		n.spi.p = spi;
		n.spi.len = sizeof(spi);
		n.type = IKE_N_RESPONDER_LIFETIME;
		n.data.p = data;
		n.data.len = len;
		ike_msg_build_notify(b, &n);
	}
}

/* Initiator: the responder's RESPONDER-LIFETIME notifies for the SPIs
 * it chose; only shorter lifetimes are taken. */
static void
take_responder_lifetime(struct ike_qm *qm, const struct ike_msg *m)
{
	struct ike_isa *sa = qm->sa;

	for (unsigned i = 0; i < m->npl; i++) {
		const struct ike_notify *n = &m->pl[i].u.n;
		struct ike_xform x;
		struct ike_attr_iter it;
		struct ike_attr a;
		unsigned type = 0;
		uint32_t spi;

		if (m->pl[i].type != IKE_PL_N ||
		    n->type != IKE_N_RESPONDER_LIFETIME || n->spi_size != 4 ||
		    n->spi.len != 4)
			continue;
		spi = (uint32_t)n->spi.p[0] << 24 |
		      (uint32_t)n->spi.p[1] << 16 |
		      (uint32_t)n->spi.p[2] << 8 | n->spi.p[3];
		if (!((n->proto == IKE_PROTO_ESP && qm->chosen.esp &&
		       spi == qm->esp_spi_out) ||
		      (n->proto == IKE_PROTO_AH && qm->chosen.ah &&
		       spi == qm->ah_spi_out)))
			continue;
		memset(&x, 0, sizeof(x));
		x.attrs = n->data;
		ike_attr_iter_init(&it, &x);
		while (ike_attr_next(&it, &a) > 0) {
			uint32_t cur;
			if (a.type == IKE_IA_LIFE_TYPE && a.has_value) {
				type = a.value;
				continue;
			}
			if (a.type != IKE_IA_LIFE_DURATION || !a.has_value ||
			    a.value == 0)
				continue;
			if (type == IKE_LIFE_SECONDS) {
				cur = qm->chosen.seconds;
				if (cur == 0)
					cur = QM_LIFE_DEFAULT_S;
				if (a.value < cur)
					qm->chosen.seconds = a.value;
			} else if (type == IKE_LIFE_KILOBYTES) {
				cur = qm->chosen.kbytes;
				if (cur == 0 || a.value < cur)
					qm->chosen.kbytes = a.value;
			}
		}
		ike_sa_log(sa->ike, sa, LOG_INFO,
		           "quick mode %08x: responder lifetime %u s, %u KB",
		           qm->msgid, qm->chosen.seconds, qm->chosen.kbytes);
	}
}

static int
r_qm1(struct ike_qm *qm, struct ike_rx *rx)
{
	struct ike_isa *sa = qm->sa;
	struct ike *ike = sa->ike;
	const struct ike_msg *m = rx->m;
	const struct ike_pl *sp = ike_msg_find(m, IKE_PL_SA, 0);
	struct ike_ts ci, cr, pl, pr;
	struct ike_qm_query q;
	struct ike_msg_builder b;
	const struct ike_xform *chosen[2] = {NULL, NULL};
	struct qm_xf xfs[2], cxfs[2];
	struct bundle bu, cbu;
	bool have_ids, found = false, t, u;
	size_t hoff, hlen, len;
	int pfs;

	rx->fail = IKE_FAIL_NEG;
	if (take_ids(m, &ci, &cr, &have_ids) < 0) {
		ike_sa_log(ike, sa, LOG_NOTICE,
		           "quick mode %08x: IDs are not a pair of address "
		           "selectors of one family",
		           qm->msgid);
		rx->notify = IKE_N_INVALID_ID_INFORMATION;
		return IKE_STEP_FAIL;
	}
	if (have_ids) {
		pr = ci; /* the initiator's side is our remote */
		pl = cr;
	} else {
		ike_ts_from_addr(&pr, &sa->remote.addr);
		ike_ts_from_addr(&pl, &sa->local.addr);
	}
	memset(&q, 0, sizeof(q));
	q.initiator = false;
	q.local_ts = have_ids ? &pl : NULL;
	q.remote_ts = have_ids ? &pr : NULL;
	{
		/* The mode the first transform asks for, as a hint. */
		const struct ike_prop *p0 = ike_sa_prop(m, &sp->u.sa, 0);
		struct qm_xf x0;
		qm_xf_decode(ike_prop_xform(m, p0, 0), &x0);
		q.tunnel = ike_encap_decode(x0.encap != 0 ? x0.encap
		                                          : IKE_ENCAP_TRANSPORT,
		                            &t, &u) == 0 &&
		           t;
	}
	q.local = sa->local;
	q.peer = sa->remote;
	q.peer_id = sa->peer_id;
	q.mm_group = sa->offer.group;
	if (ike->env->qm_policy == NULL ||
	    ike->env->qm_policy(ike->env->arg, &q, &qm->conf) < 0 ||
	    qm->conf.noffers == 0 || qm->conf.noffers > IKE_QM_OFFERS_MAX) {
		ike_sa_log(ike, sa, LOG_NOTICE,
		           "quick mode %08x: no policy for these selectors",
		           qm->msgid);
		rx->notify = IKE_N_INVALID_ID_INFORMATION;
		return IKE_STEP_FAIL;
	}
	/* The policy may narrow, never widen. */
	if (!ts_valid(&qm->conf.local_ts) || !ts_valid(&qm->conf.remote_ts) ||
	    !ts_within(&qm->conf.local_ts, &pl) ||
	    !ts_within(&qm->conf.remote_ts, &pr)) {
		qm->conf.local_ts = pl;
		qm->conf.remote_ts = pr;
	}
	qm->ts_local = qm->conf.local_ts;
	qm->ts_remote = qm->conf.remote_ts;
	qm->ids = have_ids;
	pfs = qm->conf.pfs_group < 0 ? sa->offer.group : qm->conf.pfs_group;
	/* With PFS refused by policy (0), a proposal with a group is still
	 * taken: more secrecy than asked for costs us nothing. */
	for (unsigned at = 0; at < sp->u.sa.nprops && !found;) {
		at = next_bundle(m, &sp->u.sa, at, &bu);
		for (size_t k = 0; k < qm->conf.noffers && !found; k++) {
			const struct ike_qm_offer *o = &qm->conf.offers[k];
			if (!offer_ok(o, ike_natt_encap(sa)))
				continue;
			if (bundle_fits(qm, m, &bu, o, pfs == 0 ? -2 : pfs,
			                chosen, xfs)) {
				found = true;
				cbu = bu;
				cxfs[0] = xfs[0];
				cxfs[1] = xfs[1];
				take_chosen(qm, &bu, o, xfs);
			}
		}
	}
	if (!found) {
		ike_sa_log(ike, sa, LOG_NOTICE,
		           "quick mode %08x: no acceptable proposal",
		           qm->msgid);
		rx->notify = IKE_N_NO_PROPOSAL_CHOSEN;
		return IKE_STEP_FAIL;
	}
	if (qm->pfs_group != 0 && !ike_dh_group_supported(qm->pfs_group)) {
		rx->notify = IKE_N_NO_PROPOSAL_CHOSEN;
		return IKE_STEP_FAIL;
	}
	if (take_nonce_ke(qm, m, qm->ni, &qm->nilen, rx) < 0)
		return IKE_STEP_FAIL;
	rx->fail = IKE_FAIL_OTHER;
	if ((qm->chosen.esp && spi_alloc(ike, &qm->esp_spi_in) < 0) ||
	    (qm->chosen.ah && spi_alloc(ike, &qm->ah_spi_in) < 0))
		return IKE_STEP_FAIL;
	if (qm->pfs_group != 0) {
		qm->dh = ike_dh_make(ike, qm->pfs_group);
		if (qm->dh == NULL || pfs_secret(qm, rx) < 0)
			return IKE_STEP_FAIL;
	}
	ike_random(ike, qm->nr, NONCE_LEN);
	qm->nrlen = NONCE_LEN;

	ike_build_begin(sa, &b, IKE_EXCH_QUICK, qm->msgid, true);
	ike_msg_build_hash(&b, NULL, sa->keys.len);
	ike_msg_build_last(&b, &hoff, &hlen);
	ike_msg_build_sa_begin(&b, IKE_DOI_IPSEC, IKE_SIT_IDENTITY_ONLY);
	for (unsigned i = 0; i < cbu.n; i++)
		echo_qm_xform(&b, cbu.p[i],
		              cbu.p[i]->proto == IKE_PROTO_ESP ? qm->esp_spi_in
		                                               : qm->ah_spi_in,
		              chosen[i]);
	ike_msg_build_sa_end(&b);
	ike_msg_build_nonce(&b, qm->nr, qm->nrlen);
	if (qm->dh != NULL) {
		const uint8_t *pub = ike_dh_public(qm->dh, &len);
		ike_msg_build_ke(&b, pub, len);
	}
	if (have_ids)
		add_ids(&b, &qm->ts_remote, &qm->ts_local);
	add_natoa(qm, &b);
	add_responder_lifetime(qm, &b, &cbu, cxfs);
	if (ike_build_hash12(sa, &b, hoff, qm->msgid, qm->ni, qm->nilen) < 0 ||
	    ike_build_seal(sa, &b, qm->iv, qm->iv, &len) < 0)
		return IKE_STEP_FAIL;
	/* Our inbound SA goes live before message 2 leaves: the initiator
	 * sends ESP as soon as it has it, ahead of (or racing) message 3. */
	if (qm_install_in(qm) < 0)
		return IKE_STEP_FAIL;
	/* Retransmitted until message 3 arrives (no commit bit). */
	ike_tx_set(sa, &qm->tx, b.buf, len, &sa->local, &sa->remote, true);
	return IKE_STEP_OK;
}

static int
i_qm2(struct ike_qm *qm, struct ike_rx *rx)
{
	struct ike_isa *sa = qm->sa;
	struct ike *ike = sa->ike;
	const struct ike_msg *m = rx->m;
	const struct ike_pl *sp = ike_msg_find(m, IKE_PL_SA, 0);
	const struct ike_xform *chosen[2];
	struct qm_xf xfs[2];
	struct ike_msg_builder b;
	struct bundle bu;
	struct ike_ts ci, cr;
	bool have_ids, found = false;
	uint8_t h[IKE_HASH_MAX_LEN];
	size_t len;
	uint8_t num = 0;

	if (!hash12_ok(sa, rx, qm->msgid, qm->ni, qm->nilen)) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_sa_log(ike, sa, LOG_NOTICE,
		           "quick mode %08x: HASH(2) is wrong: dropped",
		           qm->msgid);
		return IKE_STEP_DROP;
	}
	rx->fail = IKE_FAIL_NEG;
	/* One bundle, matching the offer we numbered the same. */
	if (next_bundle(m, &sp->u.sa, 0, &bu) != sp->u.sa.nprops) {
		rx->notify = IKE_N_BAD_PROPOSAL_SYNTAX;
		return IKE_STEP_FAIL;
	}
	for (size_t k = 0; k < qm->conf.noffers && !found; k++) {
		const struct ike_qm_offer *o = &qm->conf.offers[k];
		if (!offer_ok(o, ike_natt_encap(sa)))
			continue;
		if (++num != bu.p[0]->num)
			continue;
		for (unsigned i = 0; i < bu.n && i < 2; i++)
			if (bu.p[i]->nxforms != 1)
				goto bad;
		if (bundle_fits(qm, m, &bu, o,
		                qm->pfs_group == 0 ? 0 : qm->pfs_group, chosen,
		                xfs) &&
		    (xfs[0].life_s == 0 || o->seconds == 0 ||
		     xfs[0].life_s <= o->seconds) &&
		    (xfs[0].life_kb == 0 || o->kbytes == 0 ||
		     xfs[0].life_kb <= o->kbytes)) {
			found = true;
			take_chosen(qm, &bu, o, xfs);
		}
	}
	if (!found) {
	bad:
		ike_sa_log(ike, sa, LOG_NOTICE,
		           "quick mode %08x: the responder chose what we did "
		           "not offer",
		           qm->msgid);
		rx->notify = IKE_N_NO_PROPOSAL_CHOSEN;
		return IKE_STEP_FAIL;
	}
	take_responder_lifetime(qm, m);
	if (take_nonce_ke(qm, m, qm->nr, &qm->nrlen, rx) < 0 ||
	    pfs_secret(qm, rx) < 0)
		return IKE_STEP_FAIL;
	if (take_ids(m, &ci, &cr, &have_ids) < 0 ||
	    (have_ids && (!ts_within(&ci, &qm->ts_local) ||
	                  !ts_within(&cr, &qm->ts_remote)))) {
		ike_sa_log(ike, sa, LOG_NOTICE,
		           "quick mode %08x: the responder's IDs are not "
		           "ours",
		           qm->msgid);
		rx->notify = IKE_N_INVALID_ID_INFORMATION;
		return IKE_STEP_FAIL;
	}
	if (have_ids) {
		qm->ts_local = ci; /* narrowed by the responder */
		qm->ts_remote = cr;
	}
	rx->fail = IKE_FAIL_OTHER;
	/* Message 3: HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b). */
	ike_build_begin(sa, &b, IKE_EXCH_QUICK, qm->msgid, true);
	if (ike_qm_hash3(&sa->keys, qm->msgid, qm->ni, qm->nilen, qm->nr,
	                 qm->nrlen, h, NULL, 0) < 0)
		return IKE_STEP_FAIL;
	ike_msg_build_hash(&b, h, sa->keys.len);
	OPENSSL_cleanse(h, sizeof(h));
	if (ike_build_seal(sa, &b, rx->last_block, qm->iv, &len) < 0)
		return IKE_STEP_FAIL;
	ike_tx_set(sa, &qm->tx, b.buf, len, &sa->local, &sa->remote, false);
	if (qm_install(qm) < 0)
		ike_qm_fail(qm, IKE_FAIL_OTHER, false);
	else
		qm_finish(qm);
	return IKE_STEP_OK;
}

static int
r_qm3(struct ike_qm *qm, struct ike_rx *rx)
{
	struct ike_isa *sa = qm->sa;
	struct ike *ike = sa->ike;
	const struct ike_pl *hp = &rx->m->pl[0];
	uint8_t h[IKE_HASH_MAX_LEN];

	if (ike_qm_hash3(&sa->keys, qm->msgid, qm->ni, qm->nilen, qm->nr,
	                 qm->nrlen, h, NULL, 0) < 0 ||
	    hp->body.len != sa->keys.len ||
	    CRYPTO_memcmp(h, hp->body.p, sa->keys.len) != 0) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_sa_log(ike, sa, LOG_NOTICE,
		           "quick mode %08x: HASH(3) is wrong: dropped",
		           qm->msgid);
		return IKE_STEP_DROP;
	}
	/* Message 3 ends it: message 2 needs no more retransmission, and a
	 * duplicate message 3 gets no answer. */
	ike_tx_clear(&qm->tx);
	if (qm_install_out(qm) < 0)
		ike_qm_fail(qm, IKE_FAIL_OTHER, false);
	else
		qm_finish(qm);
	return IKE_STEP_OK;
}

static struct ike_qm *
qm_find(struct ike_isa *sa, uint32_t msgid)
{
	for (struct ike_qm *qm = sa->qms; qm != NULL; qm = qm->next)
		if (qm->started && qm->msgid == msgid && !qm->dead)
			return qm;
	return NULL;
}

/* A new exchange from the peer: its message 1. */
static void
qm_respond(struct ike_isa *sa, struct ike_rx *rx)
{
	struct ike *ike = sa->ike;
	struct ike_msg *m = rx->m;
	uint32_t msgid = m->hdr.msgid;
	uint8_t iv[IKE_BLOCK_MAX_LEN];
	struct ike_qm *qm;
	uint16_t notify;
	char why[IKE_ERR_MAX];
	int rc;

	if (ike_msgid_used(sa, msgid)) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_sa_log(ike, sa, LOG_INFO,
		           "quick mode %08x: message id used before: dropped",
		           msgid);
		return;
	}
	if (ike_iv_phase2((enum ike_hash)sa->offer.hash, sa->p1_last, sa->blk,
	                  msgid, iv, NULL, 0) < 0 ||
	    ike_rx_decrypt(sa, rx, iv) < 0) {
		IKE_STAT_INC(ike, invalid_packets);
		return;
	}
	if (ike_script_check(&qm1, m, &notify, why, sizeof(why)) < 0) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_sa_log(ike, sa, LOG_INFO, "quick mode %08x: %s: dropped",
		           msgid, why);
		return;
	}
	if (!hash12_ok(sa, rx, msgid, NULL, 0)) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_sa_log(ike, sa, LOG_NOTICE,
		           "quick mode %08x: HASH(1) is wrong: dropped", msgid);
		return;
	}
	/* Authentic: from here on the exchange has state. */
	qm = calloc(1, sizeof(*qm));
	if (qm == NULL)
		return;
	qm->role = IKE_ROLE_R;
	qm->msgid = msgid;
	qm->started = true;
	memcpy(qm->iv, rx->last_block, sa->blk);
	qm_link(sa, qm);
	ike_msgid_add(sa, msgid);
	qm->active = true;
	IKE_STAT_INC(ike, active_receive);
	sa->nqm++;
	rc = r_qm1(qm, rx);
	if (rc == IKE_STEP_FAIL) {
		qm_step_fail(qm, rx);
		return;
	}
	ike_rx_remember(ike, qm->rxh, &qm->rxh_valid, rx);
	qm->step = 1;
}

void
ike_qm_input(struct ike_isa *sa, struct ike_rx *rx)
{
	struct ike *ike = sa->ike;
	struct ike_msg *m = rx->m;
	const struct qm_step *step;
	struct ike_qm *qm;
	uint16_t notify;
	char why[IKE_ERR_MAX];
	int rc;

	/* Nothing of phase 2 before phase 1 is complete and authenticated
	 * (the CVE-2019-12312 class). */
	if (sa->step != IKE_MM_DONE || sa->expired) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_sa_log(ike, sa, LOG_NOTICE,
		           "quick mode before main mode completes: dropped");
		return;
	}
	if (!m->encrypted || m->hdr.msgid == 0) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_sa_log(ike, sa, LOG_INFO,
		           "quick mode in clear or without message id: "
		           "dropped");
		return;
	}
	qm = qm_find(sa, m->hdr.msgid);
	if (qm == NULL) {
		qm_respond(sa, rx);
		return;
	}
	if (ike_rx_duplicate(ike, qm->rxh, &qm->rxh_valid, &qm->tx, rx))
		return;
	if (qm->done || qm->step >= QM_STEPS ||
	    qm_steps[qm->role][qm->step].in == NULL) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_sa_log(ike, sa, LOG_INFO,
		           "quick mode %08x: message after the end: dropped",
		           qm->msgid);
		return;
	}
	step = &qm_steps[qm->role][qm->step];
	if (ike_rx_decrypt(sa, rx, qm->iv) < 0) {
		IKE_STAT_INC(ike, invalid_packets);
		return;
	}
	if (ike_script_check(step->in, m, &notify, why, sizeof(why)) < 0) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_sa_log(ike, sa, LOG_INFO, "quick mode %08x: %s: dropped",
		           qm->msgid, why);
		return;
	}
	rc = step->fn(qm, rx);
	if (rc == IKE_STEP_FAIL) {
		qm_step_fail(qm, rx);
		return;
	}
	if (rc == IKE_STEP_DROP)
		return;
	ike_rx_remember(ike, qm->rxh, &qm->rxh_valid, rx);
	qm->step++;
}

void
ike_qm_timer(struct ike_qm *qm)
{
	struct ike_isa *sa = qm->sa;
	struct ike *ike = sa->ike;

	if (qm->done) {
		if (ike->now >= qm->linger_ms) {
			qm->dead = true;
			ike->reap = true;
		} else {
			ike_due(ike, &sa->tn, qm->linger_ms);
		}
		return;
	}
	if (!qm->started)
		return;
	if (ike_tx_timer(sa, &qm->tx) < 0) {
		ike_sa_log(ike, sa, LOG_NOTICE,
		           "quick mode %08x: no answer after %u "
		           "retransmissions",
		           qm->msgid, ike->conf.retransmit_tries);
		ike_qm_fail(qm, IKE_FAIL_OTHER, false);
	}
}

/* ---- children ------------------------------------------------------------- */

struct ike_child *
ike_child_by_id(struct ike_peer *p, uint64_t id)
{
	struct ike_child *c;

	if (id == 0)
		return NULL;
	TAILQ_FOREACH(c, &p->children, peer_link)
		if (c->info.id == id && !c->dead)
			return c;
	return NULL;
}

void
ike_child_free(struct ike *ike, struct ike_child *c)
{
	if (c->linked) {
		TAILQ_REMOVE(&c->peer->children, c, peer_link);
		if (c->ident != NULL) {
			TAILQ_REMOVE(&c->ident->children, c, ident_link);
			ike_ident_put(ike, c->ident);
		}
	}
	if (c->spis_held) {
		ike_spi_unref(ike, c->info.spi_in);
		ike_spi_unref(ike, c->info.ah_spi_in);
	}
	ike_tnode_release(ike, &c->tn);
	ike_peer_put(ike, c->peer);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

void
ike_child_delete(struct ike *ike, struct ike_child *c, bool send_delete)
{
	if (c->dead)
		return;
	c->dead = true;
	ike->reap = true;
	if (send_delete && !c->info.soft) {
		struct ike_isa *sa = NULL, *s;
		TAILQ_FOREACH(s, &c->peer->sas, peer_link)
			if (!s->dead && s->step == IKE_MM_DONE)
				sa = s; /* the newest */
		if (sa != NULL) {
			uint32_t spi = c->info.spi_in;
			ike_info_delete(sa,
			                c->info.proto == DP_PROTO_AH
			                    ? IKE_PROTO_AH
			                    : IKE_PROTO_ESP,
			                &spi, 1);
			if (c->info.proto == DP_PROTO_AH_ESP) {
				spi = c->info.ah_spi_in;
				ike_info_delete(sa, IKE_PROTO_AH, &spi, 1);
			}
		}
	}
	if (ike->env->uninstall != NULL)
		ike->env->uninstall(ike->env->arg, &c->info);
	if (c->info.soft)
		IKE_STAT_DEC(ike, soft_associations);
	else
		IKE_STAT_DEC(ike, ike_quick_mode);
}

/* Renegotiates a pair before its end. */
static void
child_rekey(struct ike *ike, struct ike_child *c)
{
	struct ike_isa *sa;

	if (c->rekeying || c->superseded)
		return;
	sa = ike_sa_usable(ike, &c->info.peer.addr);
	if (sa == NULL) {
		/* A new main mode first (the old one expired, or its
		 * qmpermm is spent). */
		struct ike_mm_conf *mc = calloc(1, sizeof(*mc));
		struct ike_endpoint local = c->info.local, peer = c->info.peer;
		struct ike_isa *s;
		TAILQ_FOREACH(s, &c->peer->sas, peer_link)
			if (!s->dead && s->step != IKE_MM_DONE &&
			    s->role == IKE_ROLE_I)
				sa = s;
		if (sa == NULL) {
			if (mc == NULL)
				return;
			local.port = ike->conf.port;
			peer.port = ike->conf.port;
			if (ike->env->mm_policy == NULL ||
			    ike->env->mm_policy(ike->env->arg, &local, &peer,
			                        mc) < 0) {
				OPENSSL_cleanse(mc, sizeof(*mc));
				free(mc);
				return;
			}
			sa = ike_mm_initiate(ike, &local, &peer, mc);
			mc = NULL;
		}
		free(mc);
		if (sa == NULL)
			return;
	}
	c->rekeying = true;
	ike_sa_log(ike, sa, LOG_INFO, "rekeying SA pair %08x/%08x",
	           c->info.spi_in, c->info.spi_out);
	ike_qm_new_initiator(sa, &c->conf, NULL, c->info.id);
}

void
ike_child_timer(struct ike *ike, struct ike_child *c)
{
	if (ike->now >= c->hard_ms) {
		if (c->info.soft) {
			ike_log(ike, LOG_INFO, "IKE: soft association ended");
			ike_child_delete(ike, c, false);
		} else {
			ike_log(ike, LOG_INFO,
			        "IKE: SA pair %08x/%08x expired",
			        c->info.spi_in, c->info.spi_out);
			ike_child_delete(ike, c, true);
		}
		return;
	}
	ike_due(ike, &c->tn, c->hard_ms);
	if (c->info.soft)
		return;
	if (c->soft_ms != 0 && ike->now >= c->soft_ms) {
		c->soft_ms = 0;
		child_rekey(ike, c);
	}
	ike_due(ike, &c->tn, c->soft_ms);
	if (ike->env->usage != NULL && ike->now >= c->check_ms) {
		uint64_t bytes = 0, last = 0;
		c->check_ms = ike->now + ike->conf.idle_check_ms;
		if (ike->env->usage(ike->env->arg, &c->info, &bytes, &last) ==
		    0) {
			uint64_t since = last != 0 ? last : c->info.installed_ms;
			if (c->soft_bytes != 0 && bytes >= c->soft_bytes)
				child_rekey(ike, c);
			if (!c->rekeying &&
			    ike->now >= since + (uint64_t)c->idle_s * 1000) {
				ike_log(ike, LOG_INFO,
				        "IKE: SA pair %08x/%08x idle: "
				        "deleted",
				        c->info.spi_in, c->info.spi_out);
				ike_child_delete(ike, c, true);
				return;
			}
		}
	}
	if (ike->env->usage != NULL)
		ike_due(ike, &c->tn, c->check_ms);
}
