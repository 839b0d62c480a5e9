/*
 * test_ike_msg.c - unit tests of the ISAKMP message codec
 * (engine/ike_msg.h): the name tables; the messages of a real
 * strongSwan exchange (tests/unit/data/ike_reference.h) parsed with the
 * contents tshark decodes from them, and rebuilt byte for byte; build
 * and parse round trips of every payload kind; the encrypted-body path
 * with its padding; builder misuse; and a table of hostile inputs, each
 * of which must fail with a clean one-line error and the right notify
 * type.  Links only the codec.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/ike_msg.h"
#include "tests/unit/data/ike_reference.h"

/* Large: static, one at a time (cmocka runs the tests in turn). */
static struct ike_msg M;
static struct ike_msg M2;
static uint8_t B[IKE_MSG_MAX + 8192];
static uint8_t B2[IKE_MSG_MAX];

/* ---- helpers -------------------------------------------------------- */

/* Hex digits to bytes; spaces and dots ignored (for readable tables). */
static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1, v = 0;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '.' || *s == '|')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else
			fail_msg("bad hex digit '%c'", *s);
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(n < cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	assert_int_equal(hi, -1);
	return n;
}

static void
assert_span_hex(struct ike_span s, const char *hex)
{
	uint8_t want[512];
	size_t n = unhex(hex, want, sizeof(want));

	assert_int_equal(s.len, n);
	assert_memory_equal(s.p, want, n);
}

static void
parse_ok(struct ike_msg *m, const uint8_t *p, size_t len)
{
	char err[IKE_ERR_MAX];

	if (ike_msg_parse(p, len, m, err, sizeof(err)) != 0)
		fail_msg("parse failed: %s", err);
}

static void
parse_body_ok(struct ike_msg *m, uint8_t first, const uint8_t *p, size_t len)
{
	char err[IKE_ERR_MAX];

	if (ike_msg_parse_body(first, p, len, m, err, sizeof(err)) != 0)
		fail_msg("body parse failed: %s", err);
}

static void
build_ok(int rc, const struct ike_msg_builder *b)
{
	if (rc != 0)
		fail_msg("builder: %s", b->err);
}

/* Expected attribute (type, value), in order. */
struct want_attr {
	uint16_t type;
	uint32_t value;
};

static void
assert_attrs(const struct ike_xform *x, const struct want_attr *w, size_t n)
{
	struct ike_attr_iter it;
	struct ike_attr a;
	size_t i = 0;
	int rc;

	assert_int_equal(x->nattrs, n);
	ike_attr_iter_init(&it, x);
	while ((rc = ike_attr_next(&it, &a)) == 1) {
		assert_true(i < n);
		assert_int_equal(a.type, w[i].type);
		assert_true(a.has_value);
		assert_int_equal(a.value, w[i].value);
		i++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(i, n);
}

/* Re-encodes every payload of m through the builder (after a header
 * when with_hdr) and returns the length. */
static size_t
rebuild(const struct ike_msg *m, bool with_hdr, uint8_t *out, size_t cap)
{
	struct ike_msg_builder b;
	size_t len = 0;
	unsigned i;

	ike_msg_build_init(&b, out, cap);
	if (with_hdr)
		build_ok(ike_msg_build_header(&b, &m->hdr), &b);
	for (i = 0; i < m->npl; i++)
		build_ok(ike_msg_build_copy(&b, m, &m->pl[i]), &b);
	build_ok(ike_msg_build_finish(&b, &len), &b);
	return len;
}

static const uint8_t ref_icookie[8] = {0x96, 0x30, 0xc9, 0x43,
                                       0x3b, 0x75, 0xd7, 0xa4};
static const uint8_t ref_rcookie[8] = {0x6e, 0xae, 0x6b, 0xdb,
                                       0x9f, 0x4e, 0xce, 0xea};

/* ---- name tables ---------------------------------------------------- */

#define X_VALUE(id, value, name) value,

static void
test_names(void **state)
{
	static const unsigned pls[] = {IKE_PAYLOADS(X_VALUE)};
	static const unsigned ns[] = {IKE_NOTIFIES(X_VALUE)};
	size_t i;

	(void)state;
	assert_string_equal(ike_exch_name(IKE_EXCH_MAIN), "Main Mode");
	assert_string_equal(ike_exch_name(IKE_EXCH_QUICK), "Quick Mode");
	assert_string_equal(ike_exch_name(34), "unknown");
	assert_string_equal(ike_pl_name(IKE_PL_NATD), "NAT-D");
	assert_string_equal(ike_pl_name(IKE_PL_NATOA), "NAT-OA");
	assert_string_equal(ike_pl_name(130), "NAT-D (draft)");
	assert_string_equal(ike_pl_name(131), "NAT-OA (draft)");
	assert_string_equal(ike_pl_name(99), "unknown");
	assert_string_equal(ike_notify_name(24578), "INITIAL-CONTACT");
	assert_string_equal(ike_notify_name(IKE_N_NO_PROPOSAL_CHOSEN),
	                    "NO-PROPOSAL-CHOSEN");
	assert_string_equal(ike_notify_name(36136), "R-U-THERE");
	assert_string_equal(ike_doi_name(IKE_DOI_IPSEC), "IPSEC");
	assert_string_equal(ike_proto_name(IKE_PROTO_ESP), "ESP");
	assert_string_equal(ike_xform_name(IKE_PROTO_ISAKMP, 1), "KEY_IKE");
	assert_string_equal(ike_xform_name(IKE_PROTO_ESP, 20),
	                    "ESP_AES-GCM_16");
	assert_string_equal(ike_xform_name(IKE_PROTO_ESP, 12), "ESP_AES-CBC");
	assert_string_equal(ike_xform_name(IKE_PROTO_AH, 5), "AH_SHA2-256");
	assert_string_equal(ike_xform_name(IKE_PROTO_IPCOMP, 2),
	                    "IPCOMP_DEFLATE");
	assert_string_equal(ike_xform_name(9, 1), "unknown");
	assert_string_equal(ike_oakley_attr_name(IKE_OA_KEY_LENGTH),
	                    "Key-Length");
	assert_string_equal(ike_oakley_value_name(IKE_OA_AUTH, 1),
	                    "pre-shared key");
	assert_string_equal(ike_oakley_value_name(IKE_OA_AUTH, 3),
	                    "RSA signatures");
	assert_string_equal(ike_oakley_value_name(IKE_OA_ENC, 7), "AES-CBC");
	assert_string_equal(ike_oakley_value_name(IKE_OA_HASH, 4), "SHA2-256");
	assert_string_equal(ike_oakley_value_name(IKE_OA_GROUP_DESC, 14),
	                    "MODP-2048");
	assert_null(ike_oakley_value_name(IKE_OA_LIFE_DURATION, 15840));
	assert_null(ike_oakley_value_name(IKE_OA_ENC, 99));
	assert_string_equal(ike_ipsec_attr_name(IKE_IA_ENCAP_MODE),
	                    "Encapsulation-Mode");
	assert_string_equal(ike_ipsec_value_name(IKE_IA_ENCAP_MODE, 3),
	                    "UDP-Encapsulated-Tunnel");
	assert_string_equal(ike_ipsec_value_name(IKE_IA_ENCAP_MODE, 4),
	                    "UDP-Encapsulated-Transport");
	assert_string_equal(ike_ipsec_value_name(IKE_IA_ENCAP_MODE, 61443),
	                    "UDP-Encapsulated-Tunnel (draft)");
	assert_string_equal(ike_ipsec_value_name(IKE_IA_ENCAP_MODE, 61444),
	                    "UDP-Encapsulated-Transport (draft)");
	assert_string_equal(ike_ipsec_value_name(IKE_IA_AUTH_ALG, 5),
	                    "HMAC-SHA2-256");
	assert_null(ike_ipsec_value_name(IKE_IA_KEY_LENGTH, 128));
	assert_string_equal(ike_group_name(31), "Curve25519");
	assert_string_equal(ike_id_type_name(IKE_ID_IPV4_ADDR_SUBNET),
	                    "ID_IPV4_ADDR_SUBNET");
	assert_string_equal(ike_id_type_name(IKE_ID_KEY_ID), "ID_KEY_ID");
	assert_string_equal(ike_cert_enc_name(IKE_CERT_X509_SIG),
	                    "X.509 signature");
	/* Every listed value has its own name. */
	for (i = 0; i < sizeof(pls) / sizeof(pls[0]); i++)
		assert_string_not_equal(ike_pl_name(pls[i]), "unknown");
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		assert_string_not_equal(ike_notify_name(ns[i]), "unknown");
}

/* ---- the reference exchange ------------------------------------------ */

static const struct want_attr mm_attrs[] = {
    {IKE_OA_ENC, IKE_ENC_AES_CBC},
    {IKE_OA_KEY_LENGTH, 128},
    {IKE_OA_HASH, IKE_HASHALG_SHA2_256},
    {IKE_OA_GROUP_DESC, IKE_GROUP_MODP_2048},
    {IKE_OA_AUTH, IKE_AUTH_PSK},
    {IKE_OA_LIFE_TYPE, IKE_LIFE_SECONDS},
    {IKE_OA_LIFE_DURATION, 15840},
};

/* Main Mode 1 and 2: one SA of one ISAKMP proposal, then vendor IDs. */
static void
check_mm_sa(const struct ike_msg *m)
{
	const struct ike_pl *sa = &m->pl[0];
	const struct ike_prop *pr;
	const struct ike_xform *xf;

	assert_int_equal(sa->type, IKE_PL_SA);
	assert_int_equal(sa->raw.len, 56);
	assert_int_equal(sa->u.sa.doi, IKE_DOI_IPSEC);
	assert_int_equal(sa->u.sa.situation, IKE_SIT_IDENTITY_ONLY);
	assert_int_equal(sa->u.sa.nprops, 1);
	pr = ike_sa_prop(m, &sa->u.sa, 0);
	assert_non_null(pr);
	assert_null(ike_sa_prop(m, &sa->u.sa, 1));
	assert_int_equal(pr->num, 1);
	assert_int_equal(pr->proto, IKE_PROTO_ISAKMP);
	assert_int_equal(pr->spi_size, 0);
	assert_int_equal(pr->nxforms, 1);
	xf = ike_prop_xform(m, pr, 0);
	assert_non_null(xf);
	assert_null(ike_prop_xform(m, pr, 1));
	assert_int_equal(xf->num, 1);
	assert_int_equal(xf->id, IKE_XF_KEY_IKE);
	assert_attrs(xf, mm_attrs, sizeof(mm_attrs) / sizeof(mm_attrs[0]));
}

static const char *const ref_vids[] = {
    "09002689dfd6b712",                         /* XAUTH */
    "afcad71368a1f1c96b8696fc77570100",         /* RFC 3706 DPD */
    "4048b7d56ebce88525e7de7f00d6c2d380000000", /* fragmentation */
    "4a131c81070358455c5728f20e95452f",         /* RFC 3947 NAT-T */
    "90cb80913ebb696e086381b5ec427b1f",         /* NAT-T draft 02 */
};

static void
test_ref_mm1_mm2(void **state)
{
	unsigned i;

	(void)state;
	parse_ok(&M, ref_mm1, sizeof(ref_mm1));
	assert_memory_equal(M.hdr.icookie, ref_icookie, 8);
	assert_memory_equal(M.hdr.rcookie, "\0\0\0\0\0\0\0\0", 8);
	assert_int_equal(M.hdr.np, IKE_PL_SA);
	assert_int_equal(M.hdr.version, IKE_VERSION);
	assert_int_equal(M.hdr.exch, IKE_EXCH_MAIN);
	assert_int_equal(M.hdr.flags, 0);
	assert_int_equal(M.hdr.msgid, 0);
	assert_int_equal(M.hdr.length, 180);
	assert_false(M.encrypted);
	assert_true(M.decoded);
	assert_int_equal(M.npl, 6);
	assert_int_equal(M.trailing, 0);
	assert_int_equal(M.chain.len, 180 - IKE_HDR_LEN);
	check_mm_sa(&M);
	assert_int_equal(ike_msg_count(&M, IKE_PL_VID), 5);
	for (i = 0; i < 5; i++)
		assert_span_hex(ike_msg_find(&M, IKE_PL_VID, i)->body,
		                ref_vids[i]);
	assert_null(ike_msg_find(&M, IKE_PL_VID, 5));
	assert_int_equal(ike_msg_count(&M, IKE_PL_NATD), 0);

	parse_ok(&M, ref_mm2, sizeof(ref_mm2));
	assert_memory_equal(M.hdr.rcookie, ref_rcookie, 8);
	assert_int_equal(M.npl, 5);
	check_mm_sa(&M);
	assert_int_equal(ike_msg_count(&M, IKE_PL_VID), 4);
	for (i = 0; i < 4; i++)
		assert_span_hex(ike_msg_find(&M, IKE_PL_VID, i)->body,
		                ref_vids[i]);
}

static void
test_ref_mm3_mm4(void **state)
{
	const uint8_t *msgs[2] = {ref_mm3, ref_mm4};
	size_t lens[2] = {sizeof(ref_mm3), sizeof(ref_mm4)};
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		parse_ok(&M, msgs[i], lens[i]);
		assert_int_equal(M.hdr.exch, IKE_EXCH_MAIN);
		assert_int_equal(M.hdr.np, IKE_PL_KE);
		assert_int_equal(M.npl, 4);
		assert_int_equal(M.pl[0].type, IKE_PL_KE);
		assert_int_equal(M.pl[0].body.len, 256); /* MODP-2048 */
		assert_int_equal(M.pl[1].type, IKE_PL_NONCE);
		assert_int_equal(M.pl[1].body.len, 32);
		assert_int_equal(ike_msg_count(&M, IKE_PL_NATD), 2);
		assert_int_equal(ike_msg_find(&M, IKE_PL_NATD, 0)->body.len,
		                 32);
		assert_int_equal(ike_msg_find(&M, IKE_PL_NATD, 1)->body.len,
		                 32);
	}
	/* The nonces as tshark decodes them, and the KE's first bytes. */
	parse_ok(&M, ref_mm3, sizeof(ref_mm3));
	assert_memory_equal(M.pl[0].body.p, "\x5f\xc4\x84\xdd\x7e\x8b\x5b", 7);
	assert_span_hex(M.pl[1].body, "ea1054cc3fade5012766273d5c8922a9"
	                              "f7e24c0541b16ef29dbf52d12d4e5a3f");
	parse_ok(&M, ref_mm4, sizeof(ref_mm4));
	assert_span_hex(M.pl[1].body, "0917df4980460d8af87c89052c1b51e4"
	                              "5c861226f6653b867412c3047713dd14");
}

/* Header of an encrypted message: only the header is parsed. */
static void
check_encrypted(const uint8_t *p, size_t len, uint8_t exch, uint32_t msgid,
                uint8_t np)
{
	parse_ok(&M, p, len);
	assert_true(M.encrypted);
	assert_false(M.decoded);
	assert_int_equal(M.npl, 0);
	assert_int_equal(M.hdr.exch, exch);
	assert_int_equal(M.hdr.msgid, msgid);
	assert_int_equal(M.hdr.np, np);
	assert_int_equal(M.hdr.flags, IKE_FLAG_ENC);
	assert_memory_equal(M.hdr.icookie, ref_icookie, 8);
	assert_memory_equal(M.hdr.rcookie, ref_rcookie, 8);
	assert_ptr_equal(M.body.p, p + IKE_HDR_LEN);
	assert_int_equal(M.body.len, len - IKE_HDR_LEN);
	assert_int_equal(M.body.len % 16, 0); /* AES-CBC */
}

static void
test_ref_mm5_mm6(void **state)
{
	const struct ike_pl *pl;
	uint8_t spi[16];

	(void)state;
	check_encrypted(ref_mm5, sizeof(ref_mm5), IKE_EXCH_MAIN, 0, IKE_PL_ID);
	parse_body_ok(&M, M.hdr.np, ref_mm5_body, sizeof(ref_mm5_body));
	assert_true(M.encrypted); /* the header stays */
	assert_int_equal(M.hdr.length, sizeof(ref_mm5));
	assert_int_equal(M.npl, 3);
	assert_int_equal(M.chain.len, 76);
	assert_int_equal(M.trailing, 4); /* strongSwan's zero padding */
	pl = &M.pl[0];
	assert_int_equal(pl->type, IKE_PL_ID);
	assert_int_equal(pl->u.id.type, IKE_ID_IPV4_ADDR);
	assert_int_equal(pl->u.id.proto, 0);
	assert_int_equal(pl->u.id.port, 0);
	assert_span_hex(pl->u.id.data, "0a4d0001"); /* 10.77.0.1 */
	assert_span_hex(pl->body, "01000000 0a4d0001");
	pl = &M.pl[1];
	assert_int_equal(pl->type, IKE_PL_HASH);
	assert_span_hex(pl->body, "56159d5d8d2122381de36a4fcec4f045"
	                          "38bbe34e79d7db135104d547e16ae937");
	pl = &M.pl[2];
	assert_int_equal(pl->type, IKE_PL_N);
	assert_int_equal(pl->u.n.doi, IKE_DOI_IPSEC);
	assert_int_equal(pl->u.n.proto, IKE_PROTO_ISAKMP);
	assert_int_equal(pl->u.n.spi_size, 16);
	assert_int_equal(pl->u.n.type, IKE_N_INITIAL_CONTACT);
	memcpy(spi, ref_icookie, 8);
	memcpy(spi + 8, ref_rcookie, 8);
	assert_int_equal(pl->u.n.spi.len, 16);
	assert_memory_equal(pl->u.n.spi.p, spi, 16);
	assert_int_equal(pl->u.n.data.len, 0);

	check_encrypted(ref_mm6, sizeof(ref_mm6), IKE_EXCH_MAIN, 0, IKE_PL_ID);
	parse_body_ok(&M, M.hdr.np, ref_mm6_body, sizeof(ref_mm6_body));
	assert_int_equal(M.npl, 2);
	assert_span_hex(M.pl[0].u.id.data, "0a4d0002"); /* 10.77.0.2 */
	assert_int_equal(M.pl[1].type, IKE_PL_HASH);
	assert_int_equal(M.pl[1].body.len, 32);
	/* 48 bytes of payloads, aligned, and still a block of padding. */
	assert_int_equal(M.chain.len, 48);
	assert_int_equal(M.trailing, 16);
}

static const struct want_attr qm_attrs[] = {
    {IKE_IA_KEY_LENGTH, 128},
    {IKE_IA_ENCAP_MODE, IKE_ENCAP_UDP_TUNNEL},
    {IKE_IA_LIFE_TYPE, IKE_LIFE_SECONDS},
    {IKE_IA_LIFE_DURATION, 3960},
};

static void
check_qm12(const uint8_t *p, size_t len, const uint8_t *body, size_t blen,
           const char *spi, const char *nonce)
{
	const struct ike_prop *pr;
	const struct ike_xform *xf;
	const struct ike_pl *sa;

	check_encrypted(p, len, IKE_EXCH_QUICK, 0xd0c98d30, IKE_PL_HASH);
	parse_body_ok(&M, M.hdr.np, body, blen);
	assert_int_equal(M.npl, 5);
	assert_int_equal(M.chain.len, 152);
	assert_int_equal(M.trailing, 8);
	assert_int_equal(M.pl[0].type, IKE_PL_HASH);
	assert_int_equal(M.pl[0].body.len, 32);
	sa = &M.pl[1];
	assert_int_equal(sa->type, IKE_PL_SA);
	assert_int_equal(sa->u.sa.nprops, 1);
	pr = ike_sa_prop(&M, &sa->u.sa, 0);
	assert_int_equal(pr->proto, IKE_PROTO_ESP);
	assert_int_equal(pr->spi_size, 4);
	assert_span_hex(pr->spi, spi);
	assert_int_equal(pr->nxforms, 1);
	xf = ike_prop_xform(&M, pr, 0);
	assert_int_equal(xf->id, IKE_ESP_AES_GCM_16);
	assert_attrs(xf, qm_attrs, sizeof(qm_attrs) / sizeof(qm_attrs[0]));
	assert_int_equal(M.pl[2].type, IKE_PL_NONCE);
	assert_span_hex(M.pl[2].body, nonce);
	assert_int_equal(M.pl[3].u.id.type, IKE_ID_IPV4_ADDR_SUBNET);
	assert_span_hex(M.pl[3].u.id.data, "0a4e0100 ffffff00");
	assert_int_equal(M.pl[4].u.id.type, IKE_ID_IPV4_ADDR_SUBNET);
	assert_span_hex(M.pl[4].u.id.data, "0a4e0200 ffffff00");
	/* HASH(1)/HASH(2) cover everything after the HASH payload up to
	 * the end of the last payload (RFC 2409 section 5.5). */
	assert_ptr_equal(M.pl[1].raw.p, M.pl[0].raw.p + M.pl[0].raw.len);
	assert_int_equal(M.chain.p + M.chain.len - M.pl[1].raw.p, 152 - 36);
}

static void
test_ref_quick_mode(void **state)
{
	(void)state;
	check_qm12(ref_qm1, sizeof(ref_qm1), ref_qm1_body, sizeof(ref_qm1_body),
	           "ef5fee82",
	           "825e2768924050a2362f5d1edeb3bbb1"
	           "114d31c23c7b395dae6f336359b21a0f");
	check_qm12(ref_qm2, sizeof(ref_qm2), ref_qm2_body, sizeof(ref_qm2_body),
	           "aa50ec5f",
	           "4718d7c3668fc00aaf60462acd98787a"
	           "96af1dd2631823efd90c1de0d18ed4d7");
	check_encrypted(ref_qm3, sizeof(ref_qm3), IKE_EXCH_QUICK, 0xd0c98d30,
	                IKE_PL_HASH);
	parse_body_ok(&M, M.hdr.np, ref_qm3_body, sizeof(ref_qm3_body));
	assert_int_equal(M.npl, 1);
	assert_int_equal(M.pl[0].type, IKE_PL_HASH);
	assert_int_equal(M.trailing, 12);
}

/* What the parser reads, the builder writes again, byte for byte. */
static void
test_ref_rebuild(void **state)
{
	static const struct {
		const uint8_t *p;
		size_t len;
	} dgrams[] =
	    {
	        {ref_mm1, sizeof(ref_mm1)},
	        {ref_mm2, sizeof(ref_mm2)},
	        {ref_mm3, sizeof(ref_mm3)},
	        {ref_mm4, sizeof(ref_mm4)},
	    },
	  bodies[] = {
	      {ref_mm5_body, sizeof(ref_mm5_body)},
	      {ref_mm6_body, sizeof(ref_mm6_body)},
	      {ref_qm1_body, sizeof(ref_qm1_body)},
	      {ref_qm2_body, sizeof(ref_qm2_body)},
	      {ref_qm3_body, sizeof(ref_qm3_body)},
	  };
	static const uint8_t first[] = {IKE_PL_ID, IKE_PL_ID, IKE_PL_HASH,
	                                IKE_PL_HASH, IKE_PL_HASH};
	struct ike_msg_builder b;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(dgrams) / sizeof(dgrams[0]); i++) {
		parse_ok(&M, dgrams[i].p, dgrams[i].len);
		len = rebuild(&M, true, B, sizeof(B));
		assert_int_equal(len, dgrams[i].len);
		assert_memory_equal(B, dgrams[i].p, len);
	}
	/* Bodies, padded to AES's block as strongSwan pads them: the
	 * builder's padding is strongSwan's. */
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		parse_body_ok(&M, first[i], bodies[i].p, bodies[i].len);
		ike_msg_build_init(&b, B, sizeof(B));
		for (unsigned j = 0; j < M.npl; j++)
			build_ok(ike_msg_build_copy(&b, &M, &M.pl[j]), &b);
		build_ok(ike_msg_build_pad(&b, 16), &b);
		build_ok(ike_msg_build_finish(&b, &len), &b);
		assert_int_equal(b.first_np, first[i]);
		assert_int_equal(len, bodies[i].len);
		assert_memory_equal(B, bodies[i].p, len);
	}
}

/* Main Mode message 1 written by hand with the builder's API. */
static void
test_build_mm1_by_hand(void **state)
{
	struct ike_msg_builder b;
	struct ike_hdr h;
	uint8_t vid[32];
	size_t i, n, len;

	(void)state;
	memset(&h, 0, sizeof(h));
	memcpy(h.icookie, ref_icookie, 8);
	h.exch = IKE_EXCH_MAIN;
	ike_msg_build_init(&b, B, sizeof(B));
	build_ok(ike_msg_build_header(&b, &h), &b);
	build_ok(
	    ike_msg_build_sa_begin(&b, IKE_DOI_IPSEC, IKE_SIT_IDENTITY_ONLY),
	    &b);
	build_ok(ike_msg_build_prop_begin(&b, 1, IKE_PROTO_ISAKMP, NULL, 0),
	         &b);
	build_ok(ike_msg_build_xform_begin(&b, 1, IKE_XF_KEY_IKE), &b);
	for (i = 0; i < sizeof(mm_attrs) / sizeof(mm_attrs[0]); i++)
		build_ok(
		    ike_msg_build_attr(&b, mm_attrs[i].type, mm_attrs[i].value),
		    &b);
	build_ok(ike_msg_build_sa_end(&b), &b);
	for (i = 0; i < 5; i++) {
		n = unhex(ref_vids[i], vid, sizeof(vid));
		build_ok(ike_msg_build_vid(&b, vid, n), &b);
	}
	build_ok(ike_msg_build_finish(&b, &len), &b);
	assert_int_equal(len, sizeof(ref_mm1));
	assert_memory_equal(B, ref_mm1, len);
}

/* ---- round trips of every payload kind ------------------------------ */

static const uint8_t der_dn[] = {
    /* SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, UTF8String "red" } } } */
    0x30, 0x0e, 0x31, 0x0c, 0x30, 0x0a, 0x06, 0x03,
    0x55, 0x04, 0x03, 0x0c, 0x03, 0x72, 0x65, 0x64,
};

static void
pattern(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void
test_roundtrip_main_mode_kinds(void **state)
{
	struct ike_msg_builder b;
	struct ike_hdr h;
	struct ike_notify n;
	struct ike_delete d;
	struct ike_attr a;
	const struct ike_prop *pr;
	const struct ike_xform *xf;
	uint8_t ke[128], nonce[16], cert[100], sig[256], hash[32], natd[20];
	uint8_t prime[64], cookies[16], spis[12],
	    life8[8] = {0, 0, 0, 0, 0, 1, 0x51, 0x80};
	uint8_t v4[4] = {192, 0, 2, 1}, v6[16] = {0x20, 0x01, 0x0d, 0xb8};
	struct ike_id idf = {
	    IKE_ID_FQDN, 17, 500, {(const uint8_t *)"red.example", 11}};
	size_t len;

	(void)state;
	pattern(ke, sizeof(ke), 1);
	pattern(nonce, sizeof(nonce), 2);
	pattern(cert, sizeof(cert), 3);
	pattern(sig, sizeof(sig), 4);
	pattern(hash, sizeof(hash), 5);
	pattern(natd, sizeof(natd), 6);
	pattern(prime, sizeof(prime), 7);
	pattern(cookies, sizeof(cookies), 8);
	pattern(spis, sizeof(spis), 9);

	memset(&h, 0, sizeof(h));
	memcpy(h.icookie, cookies, 8);
	memcpy(h.rcookie, cookies + 8, 8);
	h.exch = IKE_EXCH_AGGRESSIVE;
	h.flags = IKE_FLAG_COMMIT;
	h.msgid = 0x01020304;
	ike_msg_build_init(&b, B, sizeof(B));
	build_ok(ike_msg_build_header(&b, &h), &b);
	/* SA: one proposal, two transforms, TV and TLV attributes. */
	build_ok(
	    ike_msg_build_sa_begin(&b, IKE_DOI_IPSEC, IKE_SIT_IDENTITY_ONLY),
	    &b);
	build_ok(ike_msg_build_prop_begin(&b, 1, IKE_PROTO_ISAKMP, cookies, 8),
	         &b);
	build_ok(ike_msg_build_xform_begin(&b, 1, IKE_XF_KEY_IKE), &b);
	build_ok(ike_msg_build_attr(&b, IKE_OA_ENC, IKE_ENC_AES_CBC), &b);
	build_ok(ike_msg_build_attr(&b, IKE_OA_KEY_LENGTH, 256), &b);
	build_ok(ike_msg_build_attr(&b, IKE_OA_AUTH, IKE_AUTH_RSA_SIG), &b);
	build_ok(ike_msg_build_attr(&b, IKE_OA_LIFE_TYPE, IKE_LIFE_SECONDS),
	         &b);
	build_ok(ike_msg_build_attr(&b, IKE_OA_LIFE_DURATION, 86400), &b);
	build_ok(ike_msg_build_xform_begin(&b, 2, IKE_XF_KEY_IKE), &b);
	build_ok(ike_msg_build_attr(&b, IKE_OA_ENC, IKE_ENC_3DES_CBC), &b);
	build_ok(ike_msg_build_attr_tlv(&b, IKE_OA_GROUP_PRIME, prime,
	                                sizeof(prime)),
	         &b);
	build_ok(ike_msg_build_attr_tlv(&b, IKE_OA_LIFE_DURATION, life8, 8),
	         &b);
	build_ok(ike_msg_build_sa_end(&b), &b);
	build_ok(ike_msg_build_ke(&b, ke, sizeof(ke)), &b);
	build_ok(ike_msg_build_nonce(&b, nonce, sizeof(nonce)), &b);
	build_ok(ike_msg_build_id(&b, &idf), &b);
	build_ok(ike_msg_build_cert(&b, IKE_CERT_X509_SIG, cert, sizeof(cert)),
	         &b);
	build_ok(ike_msg_build_cr(&b, IKE_CERT_X509_SIG, NULL, 0), &b);
	build_ok(
	    ike_msg_build_cr(&b, IKE_CERT_X509_SIG, der_dn, sizeof(der_dn)),
	    &b);
	build_ok(ike_msg_build_sig(&b, sig, sizeof(sig)), &b);
	build_ok(ike_msg_build_hash(&b, hash, sizeof(hash)), &b);
	memset(&n, 0, sizeof(n));
	n.doi = IKE_DOI_IPSEC;
	n.proto = IKE_PROTO_ISAKMP;
	n.spi_size = 16;
	n.type = IKE_N_INITIAL_CONTACT;
	n.spi.p = cookies;
	n.spi.len = 16;
	build_ok(ike_msg_build_notify(&b, &n), &b);
	memset(&n, 0, sizeof(n));
	n.doi = IKE_DOI_ISAKMP;
	n.type = IKE_N_R_U_THERE;
	n.data.p = (const uint8_t *)"\0\0\0\7";
	n.data.len = 4;
	build_ok(ike_msg_build_notify(&b, &n), &b);
	memset(&d, 0, sizeof(d));
	d.doi = IKE_DOI_IPSEC;
	d.proto = IKE_PROTO_ESP;
	d.spi_size = 4;
	d.nspis = 3;
	d.spis.p = spis;
	d.spis.len = 12;
	build_ok(ike_msg_build_delete(&b, &d), &b);
	d.proto = IKE_PROTO_ISAKMP;
	d.spi_size = 16;
	d.nspis = 1;
	d.spis.p = cookies;
	d.spis.len = 16;
	build_ok(ike_msg_build_delete(&b, &d), &b);
	build_ok(ike_msg_build_vid(&b, (const uint8_t *)"ipsecsh", 7), &b);
	build_ok(ike_msg_build_natd(&b, natd, sizeof(natd)), &b);
	build_ok(ike_msg_build_natd(&b, natd, sizeof(natd)), &b);
	build_ok(ike_msg_build_natoa(&b, IKE_ID_IPV4_ADDR, v4, 4), &b);
	build_ok(ike_msg_build_natoa(&b, IKE_ID_IPV6_ADDR, v6, 16), &b);
	/* Private use, not critical: kept as bytes. */
	build_ok(ike_msg_build_raw(&b, 200, (const uint8_t *)"xyz", 3), &b);
	/* Recognised but unsupported: the draft NAT-D, a fragment. */
	build_ok(ike_msg_build_raw(&b, IKE_PL_NATD_DRAFT, natd, 20), &b);
	build_ok(ike_msg_build_raw(&b, IKE_PL_FRAG, natd, 8), &b);
	build_ok(ike_msg_build_critical(&b), &b);
	build_ok(ike_msg_build_finish(&b, &len), &b);

	parse_ok(&M, B, len);
	assert_int_equal(M.hdr.exch, IKE_EXCH_AGGRESSIVE);
	assert_int_equal(M.hdr.flags, IKE_FLAG_COMMIT);
	assert_int_equal(M.hdr.msgid, 0x01020304);
	assert_int_equal(M.hdr.length, len);
	assert_int_equal(M.npl, 21);
	/* SA */
	assert_int_equal(M.pl[0].type, IKE_PL_SA);
	pr = ike_sa_prop(&M, &M.pl[0].u.sa, 0);
	assert_int_equal(pr->spi_size, 8);
	assert_memory_equal(pr->spi.p, cookies, 8);
	assert_int_equal(pr->nxforms, 2);
	xf = ike_prop_xform(&M, pr, 0);
	assert_int_equal(xf->nattrs, 5);
	assert_true(ike_xform_attr(xf, IKE_OA_LIFE_DURATION, &a));
	assert_false(a.tv); /* 86400 does not fit 16 bits */
	assert_int_equal(a.data.len, 4);
	assert_true(a.has_value);
	assert_int_equal(a.value, 86400);
	assert_true(ike_xform_attr(xf, IKE_OA_KEY_LENGTH, &a));
	assert_true(a.tv);
	assert_int_equal(a.value, 256);
	assert_false(ike_xform_attr(xf, IKE_OA_HASH, &a));
	xf = ike_prop_xform(&M, pr, 1);
	assert_int_equal(xf->num, 2);
	assert_true(ike_xform_attr(xf, IKE_OA_GROUP_PRIME, &a));
	assert_false(a.has_value); /* 64 significant bytes */
	assert_int_equal(a.data.len, 64);
	assert_memory_equal(a.data.p, prime, 64);
	assert_true(ike_xform_attr(xf, IKE_OA_LIFE_DURATION, &a));
	assert_true(a.has_value); /* 8 bytes, leading zeros */
	assert_int_equal(a.value, 86400);
	/* the rest */
	assert_int_equal(M.pl[1].type, IKE_PL_KE);
	assert_memory_equal(M.pl[1].body.p, ke, sizeof(ke));
	assert_int_equal(M.pl[2].body.len, sizeof(nonce));
	assert_int_equal(M.pl[3].u.id.type, IKE_ID_FQDN);
	assert_int_equal(M.pl[3].u.id.proto, 17);
	assert_int_equal(M.pl[3].u.id.port, 500);
	assert_int_equal(M.pl[3].u.id.data.len, 11);
	assert_memory_equal(M.pl[3].u.id.data.p, "red.example", 11);
	assert_int_equal(M.pl[4].u.cert.enc, IKE_CERT_X509_SIG);
	assert_memory_equal(M.pl[4].u.cert.data.p, cert, sizeof(cert));
	assert_int_equal(M.pl[5].type, IKE_PL_CR);
	assert_int_equal(M.pl[5].u.cert.data.len, 0);
	assert_int_equal(M.pl[6].u.cert.data.len, sizeof(der_dn));
	assert_int_equal(M.pl[7].type, IKE_PL_SIG);
	assert_int_equal(M.pl[7].body.len, sizeof(sig));
	assert_int_equal(M.pl[8].type, IKE_PL_HASH);
	assert_int_equal(M.pl[9].u.n.type, IKE_N_INITIAL_CONTACT);
	assert_memory_equal(M.pl[9].u.n.spi.p, cookies, 16);
	assert_int_equal(M.pl[10].u.n.type, IKE_N_R_U_THERE);
	assert_int_equal(M.pl[10].u.n.proto, 0);
	assert_int_equal(M.pl[10].u.n.spi.len, 0);
	assert_int_equal(M.pl[10].u.n.data.len, 4);
	assert_int_equal(M.pl[11].u.d.proto, IKE_PROTO_ESP);
	assert_int_equal(M.pl[11].u.d.nspis, 3);
	assert_memory_equal(M.pl[11].u.d.spis.p, spis, 12);
	assert_int_equal(M.pl[12].u.d.spi_size, 16);
	assert_int_equal(M.pl[13].type, IKE_PL_VID);
	assert_int_equal(ike_msg_count(&M, IKE_PL_NATD), 2);
	assert_int_equal(M.pl[16].u.natoa.type, IKE_ID_IPV4_ADDR);
	assert_memory_equal(M.pl[16].u.natoa.addr.p, v4, 4);
	assert_int_equal(M.pl[17].u.natoa.addr.len, 16);
	assert_int_equal(M.pl[18].type, 200);
	assert_false(M.pl[18].critical);
	assert_int_equal(M.pl[18].body.len, 3);
	assert_int_equal(M.pl[19].type, IKE_PL_NATD_DRAFT);
	assert_int_equal(M.pl[20].type, IKE_PL_FRAG);
	assert_true(M.pl[20].critical);

	/* And the same bytes come out again. */
	assert_int_equal(rebuild(&M, true, B2, sizeof(B2)), len);
	assert_memory_equal(B2, B, len);
}

static void
test_roundtrip_quick_mode_kinds(void **state)
{
	static const struct {
		uint8_t type;
		size_t len;
	} ids[] = {
	    {IKE_ID_IPV4_ADDR, 4},
	    {IKE_ID_IPV4_ADDR_SUBNET, 8},
	    {IKE_ID_IPV4_ADDR_RANGE, 8},
	    {IKE_ID_IPV6_ADDR, 16},
	    {IKE_ID_IPV6_ADDR_SUBNET, 32},
	    {IKE_ID_IPV6_ADDR_RANGE, 32},
	    {IKE_ID_USER_FQDN, 15},
	    {IKE_ID_DER_ASN1_GN, 5},
	    {IKE_ID_KEY_ID, 1},
	};
	struct ike_msg_builder b;
	struct ike_hdr h;
	struct ike_id id;
	const struct ike_prop *pr;
	uint8_t data[32], spi_ah[4] = {1, 2, 3, 4}, spi_esp[4] = {5, 6, 7, 8};
	uint8_t cpi[2] = {0x12, 0x34}, nonce[256], hash[20];
	size_t i, len, off, hlen;

	(void)state;
	pattern(data, sizeof(data), 11);
	pattern(nonce, sizeof(nonce), 12);
	memset(&h, 0, sizeof(h));
	h.icookie[0] = 1;
	h.exch = IKE_EXCH_QUICK;
	h.msgid = 0xd0c98d30;
	ike_msg_build_init(&b, B, sizeof(B));
	build_ok(ike_msg_build_header(&b, &h), &b);
	/* HASH(1) is reserved now and filled once the rest is written. */
	build_ok(ike_msg_build_hash(&b, NULL, sizeof(hash)), &b);
	build_ok(ike_msg_build_last(&b, &off, &hlen), &b);
	assert_int_equal(off, IKE_HDR_LEN + 4);
	assert_int_equal(hlen, sizeof(hash));
	/* Proposal 1 is a bundle: AH and ESP with the same number. */
	build_ok(
	    ike_msg_build_sa_begin(&b, IKE_DOI_IPSEC, IKE_SIT_IDENTITY_ONLY),
	    &b);
	build_ok(ike_msg_build_prop_begin(&b, 1, IKE_PROTO_AH, spi_ah, 4), &b);
	build_ok(ike_msg_build_xform_begin(&b, 1, IKE_AH_SHA2_256), &b);
	build_ok(
	    ike_msg_build_attr(&b, IKE_IA_AUTH_ALG, IKE_IAUTH_HMAC_SHA2_256),
	    &b);
	build_ok(ike_msg_build_attr(&b, IKE_IA_ENCAP_MODE, IKE_ENCAP_TUNNEL),
	         &b);
	build_ok(ike_msg_build_prop_begin(&b, 1, IKE_PROTO_ESP, spi_esp, 4),
	         &b);
	build_ok(ike_msg_build_xform_begin(&b, 1, IKE_ESP_AES_CBC), &b);
	build_ok(ike_msg_build_attr(&b, IKE_IA_KEY_LENGTH, 128), &b);
	build_ok(ike_msg_build_attr(&b, IKE_IA_ENCAP_MODE,
	                            IKE_ENCAP_UDP_TUNNEL_DRAFT),
	         &b);
	build_ok(ike_msg_build_attr(&b, IKE_IA_LIFE_TYPE, IKE_LIFE_SECONDS),
	         &b);
	build_ok(ike_msg_build_attr(&b, IKE_IA_LIFE_DURATION, 3600), &b);
	build_ok(ike_msg_build_attr(&b, IKE_IA_LIFE_TYPE, IKE_LIFE_KILOBYTES),
	         &b);
	build_ok(ike_msg_build_attr(&b, IKE_IA_LIFE_DURATION, 4608000), &b);
	build_ok(ike_msg_build_xform_begin(&b, 2, IKE_ESP_3DES), &b);
	build_ok(ike_msg_build_attr(&b, IKE_IA_AUTH_ALG, IKE_IAUTH_HMAC_SHA1),
	         &b);
	/* Proposal 2: ESP GCM alone; proposal 3: IPCOMP with a CPI. */
	build_ok(ike_msg_build_prop_begin(&b, 2, IKE_PROTO_ESP, spi_esp, 4),
	         &b);
	build_ok(ike_msg_build_xform_begin(&b, 1, IKE_ESP_AES_GCM_16), &b);
	build_ok(ike_msg_build_attr(&b, IKE_IA_KEY_LENGTH, 256), &b);
	build_ok(ike_msg_build_prop_begin(&b, 3, IKE_PROTO_IPCOMP, cpi, 2), &b);
	build_ok(ike_msg_build_xform_begin(&b, 1, IKE_IPCOMP_DEFLATE), &b);
	build_ok(ike_msg_build_sa_end(&b), &b);
	build_ok(ike_msg_build_nonce(&b, nonce, 256), &b);
	build_ok(ike_msg_build_ke(&b, nonce, 97), &b);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		memset(&id, 0, sizeof(id));
		id.type = ids[i].type;
		id.proto = 6;
		id.port = (uint16_t)(1000 + i);
		id.data.p = data;
		id.data.len = ids[i].len;
		build_ok(ike_msg_build_id(&b, &id), &b);
	}
	memset(&id, 0, sizeof(id));
	id.type = IKE_ID_DER_ASN1_DN;
	id.data.p = der_dn;
	id.data.len = sizeof(der_dn);
	build_ok(ike_msg_build_id(&b, &id), &b);
	pattern(B + off, hlen, 99); /* "the HASH" */
	build_ok(ike_msg_build_finish(&b, &len), &b);

	parse_ok(&M, B, len);
	assert_int_equal(M.hdr.exch, IKE_EXCH_QUICK);
	assert_int_equal(M.npl, 4 + sizeof(ids) / sizeof(ids[0]) + 1);
	assert_int_equal(M.pl[0].type, IKE_PL_HASH);
	assert_memory_equal(M.pl[0].body.p, B + off, hlen);
	assert_int_equal(M.pl[1].u.sa.nprops, 4);
	assert_int_equal(M.nprops, 4);
	assert_int_equal(M.nxforms, 5);
	pr = ike_sa_prop(&M, &M.pl[1].u.sa, 0);
	assert_int_equal(pr->num, 1);
	assert_int_equal(pr->proto, IKE_PROTO_AH);
	assert_memory_equal(pr->spi.p, spi_ah, 4);
	pr = ike_sa_prop(&M, &M.pl[1].u.sa, 1);
	assert_int_equal(pr->num, 1);
	assert_int_equal(pr->proto, IKE_PROTO_ESP);
	assert_int_equal(pr->nxforms, 2);
	{
		static const struct want_attr w[] = {
		    {IKE_IA_KEY_LENGTH, 128},
		    {IKE_IA_ENCAP_MODE, IKE_ENCAP_UDP_TUNNEL_DRAFT},
		    {IKE_IA_LIFE_TYPE, IKE_LIFE_SECONDS},
		    {IKE_IA_LIFE_DURATION, 3600},
		    {IKE_IA_LIFE_TYPE, IKE_LIFE_KILOBYTES},
		    {IKE_IA_LIFE_DURATION, 4608000},
		};

		assert_attrs(ike_prop_xform(&M, pr, 0), w, 6);
	}
	assert_int_equal(ike_prop_xform(&M, pr, 1)->id, IKE_ESP_3DES);
	pr = ike_sa_prop(&M, &M.pl[1].u.sa, 3);
	assert_int_equal(pr->proto, IKE_PROTO_IPCOMP);
	assert_int_equal(pr->spi_size, 2);
	assert_int_equal(ike_prop_xform(&M, pr, 0)->nattrs, 0);
	assert_int_equal(M.pl[2].body.len, 256);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const struct ike_id *got = &M.pl[4 + i].u.id;

		assert_int_equal(got->type, ids[i].type);
		assert_int_equal(got->proto, 6);
		assert_int_equal(got->port, 1000 + i);
		assert_int_equal(got->data.len, ids[i].len);
		assert_memory_equal(got->data.p, data, ids[i].len);
	}
	assert_int_equal(M.pl[M.npl - 1].u.id.type, IKE_ID_DER_ASN1_DN);

	/* And the same bytes come out again. */
	assert_int_equal(rebuild(&M, true, B2, sizeof(B2)), len);
	assert_memory_equal(B2, B, len);
}

/* ---- encrypted messages --------------------------------------------- */

static void
test_encrypted_flow(void **state)
{
	struct ike_msg_builder b;
	struct ike_hdr h;
	struct ike_notify n;
	uint8_t hash[32];
	size_t len, i;

	(void)state;
	assert_int_equal(ike_msg_pad_len(0, 16), 16);
	assert_int_equal(ike_msg_pad_len(1, 16), 15);
	assert_int_equal(ike_msg_pad_len(15, 16), 1);
	assert_int_equal(ike_msg_pad_len(48, 16), 16);
	assert_int_equal(ike_msg_pad_len(76, 16), 4);
	assert_int_equal(ike_msg_pad_len(10, 8), 6);
	assert_int_equal(ike_msg_pad_len(10, 0), 0);

	pattern(hash, sizeof(hash), 3);
	memset(&h, 0, sizeof(h));
	h.icookie[7] = 9;
	h.exch = IKE_EXCH_INFO;
	h.flags = IKE_FLAG_ENC;
	h.msgid = 77;
	memset(&n, 0, sizeof(n));
	n.doi = IKE_DOI_IPSEC;
	n.proto = IKE_PROTO_ESP;
	n.spi_size = 4;
	n.spi.p = (const uint8_t *)"\1\2\3\4";
	n.spi.len = 4;
	n.type = IKE_N_INVALID_SPI;
	ike_msg_build_init(&b, B, sizeof(B));
	build_ok(ike_msg_build_header(&b, &h), &b);
	build_ok(ike_msg_build_hash(&b, hash, sizeof(hash)), &b);
	build_ok(ike_msg_build_notify(&b, &n), &b);
	build_ok(ike_msg_build_pad(&b, 16), &b);
	/* Nothing may follow the padding. */
	assert_int_equal(ike_msg_build_vid(&b, hash, 4), -1);
	assert_non_null(strstr(b.err, "padding"));
	assert_int_equal(ike_msg_build_finish(&b, &len), -1);

	ike_msg_build_init(&b, B, sizeof(B));
	build_ok(ike_msg_build_header(&b, &h), &b);
	build_ok(ike_msg_build_hash(&b, hash, sizeof(hash)), &b);
	build_ok(ike_msg_build_notify(&b, &n), &b);
	build_ok(ike_msg_build_pad(&b, 16), &b);
	build_ok(ike_msg_build_finish(&b, &len), &b);
	/* 36 + 16 = 52 bytes of payloads, 12 of padding. */
	assert_int_equal(len, IKE_HDR_LEN + 64);
	for (i = IKE_HDR_LEN + 52; i < len; i++)
		assert_int_equal(B[i], 0);
	/* (here the caller would encrypt B[28..len) in place) */
	parse_ok(&M, B, len);
	assert_true(M.encrypted);
	assert_false(M.decoded);
	assert_int_equal(M.body.len, 64);
	parse_body_ok(&M, M.hdr.np, M.body.p, M.body.len);
	assert_true(M.decoded);
	assert_int_equal(M.npl, 2);
	assert_int_equal(M.trailing, 12);
	assert_int_equal(M.pl[1].u.n.type, IKE_N_INVALID_SPI);
	assert_int_equal(M.hdr.msgid, 77);

	/* A bare body (no header) for the same path. */
	ike_msg_build_init(&b, B2, sizeof(B2));
	build_ok(ike_msg_build_notify(&b, &n), &b);
	build_ok(ike_msg_build_pad(&b, 8), &b);
	build_ok(ike_msg_build_finish(&b, &len), &b);
	assert_int_equal(b.first_np, IKE_PL_N);
	assert_int_equal(len, 16 + 8);
	memset(&M2, 0, sizeof(M2));
	parse_body_ok(&M2, b.first_np, B2, len);
	assert_int_equal(M2.npl, 1);
	assert_int_equal(M2.trailing, 8);

	/* Padding is never read: bytes that look like payloads stay
	 * padding, and a cleartext message may not have any. */
	memset(B2 + 16, 0xff, 8);
	parse_body_ok(&M2, IKE_PL_N, B2, len);
	assert_int_equal(M2.trailing, 8);
}

/* ---- builder misuse ------------------------------------------------- */

static void
expect_build_fail(int rc, const struct ike_msg_builder *b, const char *want)
{
	assert_int_equal(rc, -1);
	assert_true(b->failed);
	if (strstr(b->err, want) == NULL)
		fail_msg("builder error \"%s\" lacks \"%s\"", b->err, want);
}

static void
test_builder_refuses(void **state)
{
	struct ike_msg_builder b;
	struct ike_hdr h;
	struct ike_id id;
	struct ike_delete d;
	uint8_t small[40], x[300];
	size_t len, i, j;

	(void)state;
	memset(x, 0x41, sizeof(x));
	memset(&h, 0, sizeof(h));
	h.icookie[0] = 1;
	h.exch = IKE_EXCH_MAIN;

	/* Out of room, and sticky afterwards. */
	ike_msg_build_init(&b, small, sizeof(small));
	build_ok(ike_msg_build_header(&b, &h), &b);
	expect_build_fail(ike_msg_build_ke(&b, x, 10), &b, "no room");
	assert_int_equal(ike_msg_build_vid(&b, x, 1), -1);
	assert_int_equal(ike_msg_build_finish(&b, &len), -1);
	assert_non_null(strstr(b.err, "no room"));

	/* What the parser would refuse, the builder refuses. */
	ike_msg_build_init(&b, B, sizeof(B));
	expect_build_fail(ike_msg_build_nonce(&b, x, 4), &b, "nonce of 4");
	ike_msg_build_init(&b, B, sizeof(B));
	expect_build_fail(ike_msg_build_nonce(&b, x, 257), &b, "nonce of 257");
	memset(&id, 0, sizeof(id));
	id.type = IKE_ID_IPV4_ADDR;
	id.data.p = x;
	id.data.len = 5;
	ike_msg_build_init(&b, B, sizeof(B));
	expect_build_fail(ike_msg_build_id(&b, &id), &b,
	                  "ID_IPV4_ADDR with 5 bytes");
	memset(&d, 0, sizeof(d));
	d.doi = IKE_DOI_IPSEC;
	d.proto = IKE_PROTO_ESP;
	d.spi_size = 4;
	d.nspis = 2;
	d.spis.p = x;
	d.spis.len = 4;
	ike_msg_build_init(&b, B, sizeof(B));
	expect_build_fail(ike_msg_build_delete(&b, &d), &b, "2 SPIs");
	ike_msg_build_init(&b, B, sizeof(B));
	expect_build_fail(ike_msg_build_raw(&b, 33, x, 4), &b, "IKEv2");
	ike_msg_build_init(&b, B, sizeof(B));
	expect_build_fail(ike_msg_build_raw(&b, IKE_PL_P, x, 8), &b,
	                  "inside an SA");
	ike_msg_build_init(&b, B, sizeof(B));
	build_ok(ike_msg_build_raw(&b, 200, x, 4), &b);
	expect_build_fail(ike_msg_build_critical(&b), &b, "critical");
	ike_msg_build_init(&b, B, sizeof(B));
	expect_build_fail(ike_msg_build_ke(&b, x, 0), &b, "empty");

	/* SA structure. */
	ike_msg_build_init(&b, B, sizeof(B));
	build_ok(ike_msg_build_sa_begin(&b, IKE_DOI_IPSEC, 1), &b);
	expect_build_fail(ike_msg_build_sa_end(&b), &b, "no proposals");
	ike_msg_build_init(&b, B, sizeof(B));
	build_ok(ike_msg_build_sa_begin(&b, IKE_DOI_IPSEC, 1), &b);
	build_ok(ike_msg_build_prop_begin(&b, 1, IKE_PROTO_ESP, x, 4), &b);
	expect_build_fail(ike_msg_build_sa_end(&b), &b, "no transforms");
	ike_msg_build_init(&b, B, sizeof(B));
	build_ok(ike_msg_build_sa_begin(&b, IKE_DOI_IPSEC, 1), &b);
	expect_build_fail(ike_msg_build_attr_tv(&b, 1, 1), &b,
	                  "no transform is open");
	ike_msg_build_init(&b, B, sizeof(B));
	build_ok(ike_msg_build_sa_begin(&b, IKE_DOI_IPSEC, 1), &b);
	build_ok(ike_msg_build_prop_begin(&b, 1, IKE_PROTO_ESP, x, 3), &b);
	build_ok(ike_msg_build_xform_begin(&b, 1, IKE_ESP_AES_CBC), &b);
	expect_build_fail(ike_msg_build_sa_end(&b), &b, "SPI size 3");
	ike_msg_build_init(&b, B, sizeof(B));
	build_ok(ike_msg_build_sa_begin(&b, IKE_DOI_IPSEC, 1), &b);
	expect_build_fail(ike_msg_build_vid(&b, x, 4), &b, "still open");
	ike_msg_build_init(&b, B, sizeof(B));
	expect_build_fail(ike_msg_build_prop_begin(&b, 1, 1, NULL, 0), &b,
	                  "no SA payload");

	/* Header rules. */
	ike_msg_build_init(&b, B, sizeof(B));
	build_ok(ike_msg_build_vid(&b, x, 4), &b);
	expect_build_fail(ike_msg_build_header(&b, &h), &b, "first");
	h.exch = 0;
	ike_msg_build_init(&b, B, sizeof(B));
	expect_build_fail(ike_msg_build_header(&b, &h), &b, "exchange type 0");
	h.exch = IKE_EXCH_MAIN;
	h.flags = 0x80;
	ike_msg_build_init(&b, B, sizeof(B));
	expect_build_fail(ike_msg_build_header(&b, &h), &b, "flag bits");
	h.flags = 0;
	h.icookie[0] = 0;
	ike_msg_build_init(&b, B, sizeof(B));
	expect_build_fail(ike_msg_build_header(&b, &h), &b, "cookie is zero");
	h.icookie[0] = 1;
	ike_msg_build_init(&b, B, sizeof(B));
	build_ok(ike_msg_build_header(&b, &h), &b);
	expect_build_fail(ike_msg_build_finish(&b, &len), &b,
	                  "at least one payload");
	ike_msg_build_init(&b, NULL, 100);
	expect_build_fail(ike_msg_build_vid(&b, x, 1), &b, "no room");

	/* The parser's per-message caps hold for what is built. */
	ike_msg_build_init(&b, B, sizeof(B));
	for (i = 0; i < IKE_MSG_PAYLOADS_MAX; i++)
		build_ok(ike_msg_build_vid(&b, x, 1), &b);
	expect_build_fail(ike_msg_build_vid(&b, x, 1), &b,
	                  "more than 64 payloads");
	ike_msg_build_init(&b, B, sizeof(B));
	for (i = 0; i < 2; i++) {
		build_ok(ike_msg_build_sa_begin(&b, IKE_DOI_IPSEC, 1), &b);
		for (j = 0; j < 40; j++) {
			build_ok(ike_msg_build_prop_begin(&b, (uint8_t)j,
			                                  IKE_PROTO_ESP, x, 4),
			         &b);
			build_ok(ike_msg_build_xform_begin(&b, 1, 12), &b);
		}
		if (i == 0)
			build_ok(ike_msg_build_sa_end(&b), &b);
	}
	expect_build_fail(ike_msg_build_sa_end(&b), &b,
	                  "more than 64 proposals");
}

/* ---- hostile inputs ------------------------------------------------- */

enum {
	T_EXCH0 = 1,    /* exchange type 0 */
	T_ICOOKIE0 = 2, /* zero initiator cookie */
};

struct hostile {
	const char *name;
	uint8_t np;                              /* the header's next payload */
	const char *body;                        /* payload bytes in hex */
	void (*gen)(uint8_t *body, size_t *len); /* or made by this */
	uint8_t version;                         /* 0: 0x10 */
	uint8_t flags;
	unsigned tweak;
	long len_adjust;  /* added to the header's length field */
	long len_set;     /* > 0: the header's length field */
	long dgram;       /* > 0: cut the datagram to this */
	const char *want; /* in the error message */
	uint16_t notify;
};

static void
gen_chain_65(uint8_t *p, size_t *len)
{
	size_t i;

	/* 65 vendor IDs of one byte each. */
	for (i = 0; i < 65; i++) {
		p[i * 5] = i < 64 ? IKE_PL_VID : 0;
		p[i * 5 + 1] = 0;
		p[i * 5 + 2] = 0;
		p[i * 5 + 3] = 5;
		p[i * 5 + 4] = 0xaa;
	}
	*len = 65 * 5;
}

static void
gen_nonce_300(uint8_t *p, size_t *len)
{
	p[0] = 0;
	p[1] = 0;
	p[2] = (304 >> 8) & 0xff;
	p[3] = 304 & 0xff;
	memset(p + 4, 0x5a, 300);
	*len = 304;
}

static void
gen_huge(uint8_t *p, size_t *len)
{
	size_t n = 70000 - IKE_HDR_LEN, i, at = 0;

	/* VIDs of 4000 bytes until 70000 bytes: a message too big. */
	for (i = 0; at < n; i++) {
		size_t pl = n - at < 4000 ? n - at : 4000;

		p[at] = n - at > 4000 ? IKE_PL_VID : 0;
		p[at + 1] = 0;
		p[at + 2] = (uint8_t)(pl >> 8);
		p[at + 3] = (uint8_t)pl;
		memset(p + at + 4, 0x11, pl - 4);
		at += pl;
	}
	*len = n;
}

static const struct hostile hostile[] = {
    {.name = "datagram shorter than the header",
     .np = IKE_PL_VID,
     .body = "",
     .dgram = 27,
     .want = "shorter than the 28-byte",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "empty datagram",
     .np = IKE_PL_VID,
     .body = "",
     .dgram = -1,
     .want = "datagram of 0 bytes",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "header length below 28",
     .np = IKE_PL_VID,
     .body = "00000008 01020304",
     .len_set = 20,
     .want = "less than the header itself",
     .notify = IKE_N_UNEQUAL_PAYLOAD_LENGTHS},
    {.name = "header length shorter than the datagram",
     .np = IKE_PL_VID,
     .body = "00000008 01020304",
     .len_adjust = -4,
     .want = "header length 32 but the datagram has 36",
     .notify = IKE_N_UNEQUAL_PAYLOAD_LENGTHS},
    {.name = "header length longer than the datagram",
     .np = IKE_PL_VID,
     .body = "00000008 01020304",
     .len_adjust = 10,
     .want = "header length 46 but the datagram has 36",
     .notify = IKE_N_UNEQUAL_PAYLOAD_LENGTHS},
    {.name = "message over 64 KiB",
     .np = IKE_PL_VID,
     .gen = gen_huge,
     .want = "exceeds the 65535-byte limit",
     .notify = IKE_N_UNEQUAL_PAYLOAD_LENGTHS},
    {.name = "IKEv2 (version 2.0)",
     .np = IKE_PL_VID,
     .body = "00000008 01020304",
     .version = 0x20,
     .want = "version 2.0 is not ISAKMP 1.0 (an IKEv2 message)",
     .notify = IKE_N_INVALID_MAJOR_VERSION},
    {.name = "version 1.1",
     .np = IKE_PL_VID,
     .body = "00000008 01020304",
     .version = 0x11,
     .want = "version 1.1",
     .notify = IKE_N_INVALID_MINOR_VERSION},
    {.name = "unknown flag bits",
     .np = IKE_PL_VID,
     .body = "00000008 01020304",
     .flags = 0x09,
     .want = "unknown flag bits 0x08",
     .notify = IKE_N_INVALID_FLAGS},
    {.name = "exchange type 0",
     .np = IKE_PL_VID,
     .body = "00000008 01020304",
     .tweak = T_EXCH0,
     .want = "exchange type 0",
     .notify = IKE_N_INVALID_EXCHANGE_TYPE},
    {.name = "zero initiator cookie",
     .np = IKE_PL_VID,
     .body = "00000008 01020304",
     .tweak = T_ICOOKIE0,
     .want = "initiator cookie is zero",
     .notify = IKE_N_INVALID_COOKIE},
    {.name = "no payloads",
     .np = IKE_PL_NONE,
     .body = "",
     .want = "no payloads",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "encrypted with an empty body",
     .np = IKE_PL_HASH,
     .body = "",
     .flags = IKE_FLAG_ENC,
     .want = "empty body",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "zero-length payload",
     .np = IKE_PL_VID,
     .body = "00000000 01020304",
     .want = "payload 1 (VID): length 0 is less than the 4-byte",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "payload length 3",
     .np = IKE_PL_KE,
     .body = "00000003 01",
     .want = "length 3 is less than",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "payload longer than the rest",
     .np = IKE_PL_VID,
     .body = "0000000c 01020304",
     .want = "length 12 runs past the end of the message (8 bytes "
             "left)",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "next payload past the end",
     .np = IKE_PL_VID,
     .body = "0d000008 01020304",
     .want = "payload 2 (VID): header truncated (0 bytes left",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "next-payload chain past the cap",
     .np = IKE_PL_VID,
     .gen = gen_chain_65,
     .want = "more than 64 payloads",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "trailing bytes in a cleartext message",
     .np = IKE_PL_VID,
     .body = "00000008 01020304 00000000",
     .want = "4 bytes after the last payload",
     .notify = IKE_N_UNEQUAL_PAYLOAD_LENGTHS},
    {.name = "reserved bits in a generic header",
     .np = IKE_PL_VID,
     .body = "00010008 01020304",
     .want = "reserved bits 0x01 set",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "unknown payload type with the critical bit",
     .np = 200,
     .body = "00800008 01020304",
     .want = "payload 1 (type 200): unknown private payload type 200 "
             "marked critical",
     .notify = IKE_N_INVALID_PAYLOAD_TYPE},
    {.name = "IKEv2 payload type (SA, 33) in IKEv1",
     .np = 33,
     .body = "00000008 01020304",
     .want = "type 33 is not an IKEv1 payload (it is IKEv2's",
     .notify = IKE_N_INVALID_PAYLOAD_TYPE},
    {.name = "reserved payload type 22",
     .np = 22,
     .body = "00000008 01020304",
     .want = "type 22 is not an IKEv1",
     .notify = IKE_N_INVALID_PAYLOAD_TYPE},
    {.name = "proposal outside an SA",
     .np = IKE_PL_P,
     .body = "00000008 01010000",
     .want = "only allowed inside an SA",
     .notify = IKE_N_INVALID_PAYLOAD_TYPE},
    {.name = "SA too short",
     .np = IKE_PL_SA,
     .body = "00000008 00000001",
     .want = "4 bytes, too short for DOI and situation",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "SA with DOI 2",
     .np = IKE_PL_SA,
     .body = "00000014 00000002 00000001 | 00000008 01010001",
     .want = "DOI 2 is not IPSEC",
     .notify = IKE_N_DOI_NOT_SUPPORTED},
    {.name = "SA with a secrecy situation",
     .np = IKE_PL_SA,
     .body = "00000014 00000001 00000003 | 00000008 01010001",
     .want = "situation 0x00000003",
     .notify = IKE_N_SITUATION_NOT_SUPPORTED},
    {.name = "SA without proposals",
     .np = IKE_PL_SA,
     .body = "0000000c 00000001 00000001",
     .want = "no proposals",
     .notify = IKE_N_BAD_PROPOSAL_SYNTAX},
    {.name = "SA with zero transforms",
     .np = IKE_PL_SA,
     .body = "00000014 00000001 00000001 | 00000008 01010000",
     .want = "payload 1 (SA): proposal 1 (ISAKMP) has no transforms",
     .notify = IKE_N_BAD_PROPOSAL_SYNTAX},
    {.name = "transform count larger than the transforms",
     .np = IKE_PL_SA,
     .body = "0000001c 00000001 00000001 | 00000010 01010002 | "
             "00000008 01010000",
     .want = "transform 1 of 2 has next payload 0",
     .notify = IKE_N_BAD_PROPOSAL_SYNTAX},
    {.name = "transform count smaller than the transforms",
     .np = IKE_PL_SA,
     .body = "00000024 00000001 00000001 | 00000018 01010001 | "
             "03000008 01010000 | 00000008 02010000",
     .want = "transform 1 is the last of 1 but its next payload is 3",
     .notify = IKE_N_BAD_PROPOSAL_SYNTAX},
    {.name = "transform attribute TLV length past the end",
     .np = IKE_PL_SA,
     .body = "00000020 00000001 00000001 | 00000014 01010001 | "
             "0000000c 01010000 | 0006 0010",
     .want = "proposal 1, transform 1, attribute 1: type 6: value of "
             "16 bytes runs past the transform (0 bytes left)",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "transform attribute cut in half",
     .np = IKE_PL_SA,
     .body = "0000001e 00000001 00000001 | 00000012 01010001 | "
             "0000000a 01010000 | 8001",
     .want = "attribute 1: truncated: 2 bytes left",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "attribute type 0",
     .np = IKE_PL_SA,
     .body = "00000020 00000001 00000001 | 00000014 01010001 | "
             "0000000c 01010000 | 8000 0001",
     .want = "type 0 is reserved",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "empty TLV attribute",
     .np = IKE_PL_SA,
     .body = "00000020 00000001 00000001 | 00000014 01010001 | "
             "0000000c 01010000 | 000c 0000",
     .want = "type 12 has an empty value",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "transform length past the proposal",
     .np = IKE_PL_SA,
     .body = "0000001c 00000001 00000001 | 00000010 01010001 | "
             "00000040 01010000",
     .want = "transform 1: length 64 runs past the proposal",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "transform reserved bytes",
     .np = IKE_PL_SA,
     .body = "0000001c 00000001 00000001 | 00000010 01010001 | "
             "00000008 01010100",
     .want = "reserved bytes are not zero",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "proposal length past the SA",
     .np = IKE_PL_SA,
     .body = "00000014 00000001 00000001 | 00000030 01010001",
     .want = "proposal 1: length 48 runs past the SA payload",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "proposal SPI size 3",
     .np = IKE_PL_SA,
     .body = "00000014 00000001 00000001 | 00000008 01030301",
     .want = "proposal 1: SPI size 3 is not valid for ESP",
     .notify = IKE_N_INVALID_SPI},
    {.name = "proposal protocol 0",
     .np = IKE_PL_SA,
     .body = "00000014 00000001 00000001 | 00000008 01000001",
     .want = "protocol 0 is not ISAKMP",
     .notify = IKE_N_INVALID_PROTOCOL_ID},
    {.name = "proposal next payload 5",
     .np = IKE_PL_SA,
     .body = "0000001c 00000001 00000001 | 05000010 01010001 | "
             "00000008 01010000",
     .want = "proposal 1 has next payload 5, not 2",
     .notify = IKE_N_BAD_PROPOSAL_SYNTAX},
    {.name = "proposal announces a missing one",
     .np = IKE_PL_SA,
     .body = "0000001c 00000001 00000001 | 02000010 01010001 | "
             "00000008 01010000",
     .want = "announces another that is missing",
     .notify = IKE_N_BAD_PROPOSAL_SYNTAX},
    {.name = "proposal numbers decrease",
     .np = IKE_PL_SA,
     .body = "0000002c 00000001 00000001 | 02000010 02010001 | "
             "00000008 01010000 | 00000010 01010001 | 00000008 01010000",
     .want = "number 1 after 2",
     .notify = IKE_N_BAD_PROPOSAL_SYNTAX},
    {.name = "KE empty",
     .np = IKE_PL_KE,
     .body = "00000004",
     .want = "payload 1 (KE): empty",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "ID too short",
     .np = IKE_PL_ID,
     .body = "00000006 0100",
     .want = "too short for type, protocol and port",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "ID_IPV4_ADDR with 5 bytes",
     .np = IKE_PL_ID,
     .body = "0000000d 01000000 0a000001ff",
     .want = "ID_IPV4_ADDR with 5 bytes of data, not 4",
     .notify = IKE_N_INVALID_ID_INFORMATION},
    {.name = "ID_IPV6_ADDR_SUBNET with 16 bytes",
     .np = IKE_PL_ID,
     .body = "00000018 06000000 20010db8000000000000000000000000",
     .want = "ID_IPV6_ADDR_SUBNET with 16 bytes of data, not 32",
     .notify = IKE_N_INVALID_ID_INFORMATION},
    {.name = "ID_FQDN with a NUL",
     .np = IKE_PL_ID,
     .body = "00000010 02000000 61620063 64656667",
     .want = "ID_FQDN holds a NUL at byte 2",
     .notify = IKE_N_INVALID_ID_INFORMATION},
    {.name = "empty ID_USER_FQDN",
     .np = IKE_PL_ID,
     .body = "00000008 03000000",
     .want = "empty ID_USER_FQDN",
     .notify = IKE_N_INVALID_ID_INFORMATION},
    {.name = "ID_DER_ASN1_DN with a bad length",
     .np = IKE_PL_ID,
     .body = "0000000c 09000000 30053103",
     .want = "DER length 5 does not match the 2 bytes",
     .notify = IKE_N_INVALID_ID_INFORMATION},
    {.name = "ID_DER_ASN1_DN not a SEQUENCE",
     .np = IKE_PL_ID,
     .body = "0000000c 09000000 31023000",
     .want = "does not start with a DER SEQUENCE",
     .notify = IKE_N_INVALID_ID_INFORMATION},
    {.name = "ID_DER_ASN1_DN with an indefinite length",
     .np = IKE_PL_ID,
     .body = "0000000c 09000000 30800000",
     .want = "DER length form 0x80",
     .notify = IKE_N_INVALID_ID_INFORMATION},
    {.name = "unknown ID type",
     .np = IKE_PL_ID,
     .body = "0000000c 0c000000 01020304",
     .want = "unknown ID type 12",
     .notify = IKE_N_INVALID_ID_INFORMATION},
    {.name = "CERT with an unknown encoding",
     .np = IKE_PL_CERT,
     .body = "00000006 63aa",
     .want = "unknown certificate encoding 99",
     .notify = IKE_N_INVALID_CERT_ENCODING},
    {.name = "empty CERT",
     .np = IKE_PL_CERT,
     .body = "00000005 04",
     .want = "empty certificate",
     .notify = IKE_N_INVALID_CERTIFICATE},
    {.name = "CR without encoding",
     .np = IKE_PL_CR,
     .body = "00000004",
     .want = "no encoding byte",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "NONCE of 4 bytes",
     .np = IKE_PL_NONCE,
     .body = "00000008 01020304",
     .want = "nonce of 4 bytes; RFC 2409 wants 8 to 256",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "NONCE of 300 bytes",
     .np = IKE_PL_NONCE,
     .gen = gen_nonce_300,
     .want = "nonce of 300 bytes",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "N too short",
     .np = IKE_PL_N,
     .body = "00000008 00000001",
     .want = "too short for DOI, protocol, SPI size and type",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "N with SPI size 3",
     .np = IKE_PL_N,
     .body = "0000000f 00000001 0303 0018 aabbcc",
     .want = "SPI size 3 is not valid for protocol 3 (ESP)",
     .notify = IKE_N_INVALID_SPI},
    {.name = "N with protocol 255",
     .np = IKE_PL_N,
     .body = "0000000c 00000001 ff00 000e",
     .want = "protocol 255",
     .notify = IKE_N_INVALID_PROTOCOL_ID},
    {.name = "N with DOI 7",
     .np = IKE_PL_N,
     .body = "0000000c 00000007 0100 000e",
     .want = "DOI 7",
     .notify = IKE_N_DOI_NOT_SUPPORTED},
    {.name = "N of type 0",
     .np = IKE_PL_N,
     .body = "0000000c 00000001 0100 0000",
     .want = "notify type 0 is reserved",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "N SPI past the end",
     .np = IKE_PL_N,
     .body = "0000000e 00000001 0110 6002 9630",
     .want = "SPI of 16 bytes runs past the payload (2 bytes left)",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "D with SPI size 3",
     .np = IKE_PL_D,
     .body = "0000000f 00000001 0303 0001 aabbcc",
     .want = "SPI size 3 is not valid for ESP",
     .notify = IKE_N_INVALID_SPI},
    {.name = "D of an ISAKMP SA with SPI size 8",
     .np = IKE_PL_D,
     .body = "00000014 00000001 0108 0001 0102030405060708",
     .want = "SPI size 8 is not valid for ISAKMP",
     .notify = IKE_N_INVALID_SPI},
    {.name = "D count mismatch",
     .np = IKE_PL_D,
     .body = "00000014 00000001 0304 0003 11111111 22222222",
     .want = "3 SPIs of 4 bytes need 12 bytes, the payload has 8",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "D with no SPIs",
     .np = IKE_PL_D,
     .body = "0000000c 00000001 0304 0000",
     .want = "no SPIs to delete",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "D with protocol 0",
     .np = IKE_PL_D,
     .body = "0000000c 00000001 0000 0001",
     .want = "protocol 0",
     .notify = IKE_N_INVALID_PROTOCOL_ID},
    {.name = "NAT-D empty",
     .np = IKE_PL_NATD,
     .body = "00000004",
     .want = "empty",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "NAT-OA of an FQDN",
     .np = IKE_PL_NATOA,
     .body = "0000000c 02000000 01020304",
     .want = "ID type 2; NAT-OA carries",
     .notify = IKE_N_INVALID_ID_INFORMATION},
    {.name = "NAT-OA IPv4 with 16 bytes",
     .np = IKE_PL_NATOA,
     .body = "00000018 01000000 00000000000000000000000000000000",
     .want = "ID_IPV4_ADDR with 16 bytes, not 4",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "NAT-OA reserved bytes",
     .np = IKE_PL_NATOA,
     .body = "0000000c 01000100 01020304",
     .want = "reserved bytes",
     .notify = IKE_N_PAYLOAD_MALFORMED},
    {.name = "bad payload after good ones",
     .np = IKE_PL_VID,
     .body = "0d000008 01020304 0a000008 01020304 00000008 01020304",
     .want = "payload 3 (NONCE): nonce of 4 bytes",
     .notify = IKE_N_PAYLOAD_MALFORMED},
};

/* The datagram of a table entry, in B. */
static size_t
hostile_dgram(const struct hostile *t)
{
	size_t blen = 0, len;
	uint32_t hl;

	if (t->gen != NULL)
		t->gen(B + IKE_HDR_LEN, &blen);
	else
		blen = unhex(t->body, B + IKE_HDR_LEN, sizeof(B) - IKE_HDR_LEN);
	memset(B, 0, IKE_HDR_LEN);
	memcpy(B, ref_icookie, 8);
	if (t->tweak & T_ICOOKIE0)
		memset(B, 0, 8);
	B[16] = t->np;
	B[17] = t->version != 0 ? t->version : IKE_VERSION;
	B[18] = (t->tweak & T_EXCH0) ? 0 : IKE_EXCH_MAIN;
	B[19] = t->flags;
	len = IKE_HDR_LEN + blen;
	hl = t->len_set > 0 ? (uint32_t)t->len_set
	                    : (uint32_t)((long)len + t->len_adjust);
	B[24] = (uint8_t)(hl >> 24);
	B[25] = (uint8_t)(hl >> 16);
	B[26] = (uint8_t)(hl >> 8);
	B[27] = (uint8_t)hl;
	if (t->dgram > 0)
		len = (size_t)t->dgram;
	else if (t->dgram < 0)
		len = 0;
	return len;
}

static void
test_hostile_table(void **state)
{
	char err[IKE_ERR_MAX], tiny[8];
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		const struct hostile *t = &hostile[i];
		int rc;

		len = hostile_dgram(t);
		memset(&M, 0x5a, sizeof(M)); /* nothing stale may survive */
		rc = ike_msg_parse(B, len, &M, err, sizeof(err));
		if (rc != -1)
			fail_msg("%s: accepted", t->name);
		if (strstr(err, t->want) == NULL)
			fail_msg("%s: error \"%s\" lacks \"%s\"", t->name, err,
			         t->want);
		if (M.err_notify != t->notify)
			fail_msg("%s: notify %u (%s), want %u (%s)", t->name,
			         M.err_notify, ike_notify_name(M.err_notify),
			         t->notify, ike_notify_name(t->notify));
		assert_false(M.decoded);
		assert_int_equal(M.npl, 0);
		assert_int_equal(M.nprops, 0);
		assert_int_equal(M.nxforms, 0);
		assert_null(strchr(err, '\n'));
		/* Errors are safe without a buffer, and cut to a small one. */
		assert_int_equal(ike_msg_parse(B, len, &M, NULL, 0), -1);
		assert_int_equal(M.err_notify, t->notify);
		assert_int_equal(ike_msg_parse(B, len, &M, tiny, sizeof(tiny)),
		                 -1);
		assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
		/* The cleartext payloads of the table fail in a body too
		 * (where they are a body at all). */
		if (len > IKE_HDR_LEN && t->version == 0 && t->flags == 0 &&
		    t->tweak == 0 && t->len_adjust == 0 && t->len_set == 0 &&
		    t->dgram == 0 && len <= IKE_MSG_MAX &&
		    t->notify != IKE_N_UNEQUAL_PAYLOAD_LENGTHS)
			assert_int_equal(
			    ike_msg_parse_body(t->np, B + IKE_HDR_LEN,
			                       len - IKE_HDR_LEN, &M, err,
			                       sizeof(err)),
			    -1);
	}
}

/* A decrypted body: padding is fine, a chain that runs into it is not. */
static void
test_body_hostile(void **state)
{
	char err[IKE_ERR_MAX];
	uint8_t body[64];
	size_t n;

	(void)state;
	n = unhex("00000008 01020304 00000000 00000000", body, sizeof(body));
	parse_body_ok(&M, IKE_PL_VID, body, n);
	assert_int_equal(M.trailing, 8);
	/* The VID says a HASH follows; the padding's zero length is not
	 * a payload. */
	n = unhex("08000008 01020304 00000000 00000000", body, sizeof(body));
	assert_int_equal(
	    ike_msg_parse_body(IKE_PL_VID, body, n, &M, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "payload 2 (HASH): length 0"));
	assert_int_equal(
	    ike_msg_parse_body(IKE_PL_NONE, body, n, &M, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no payloads"));
	assert_int_equal(
	    ike_msg_parse_body(IKE_PL_VID, NULL, 0, &M, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "header truncated"));
	assert_int_equal(ike_msg_parse(NULL, 0, &M, err, sizeof(err)), -1);
}

/* Things that must be accepted. */
static void
test_accepted_oddities(void **state)
{
	uint8_t body[64];
	size_t n;

	(void)state;
	/* Private payload type, not critical: kept, not read. */
	n = unhex("0d000008 01020304 00000008 05060708", body, sizeof(body));
	parse_body_ok(&M, 200, body, n);
	assert_int_equal(M.pl[0].type, 200);
	assert_int_equal(M.pl[1].type, IKE_PL_VID);
	/* A known payload with the critical bit. */
	n = unhex("00800008 01020304", body, sizeof(body));
	parse_body_ok(&M, IKE_PL_VID, body, n);
	assert_true(M.pl[0].critical);
	/* Old NAT-T drafts' numbers and Mode Config: recognised, raw. */
	n = unhex("84000008 01020304 00000008 05060708", body, sizeof(body));
	parse_body_ok(&M, IKE_PL_NATOA_DRAFT, body, n);
	assert_int_equal(M.pl[0].type, IKE_PL_NATOA_DRAFT);
	assert_int_equal(M.pl[1].type, IKE_PL_FRAG);
	n = unhex("00000008 01020304", body, sizeof(body));
	parse_body_ok(&M, IKE_PL_ATTR, body, n);
	/* A nonce of exactly 8 bytes (256: the Quick Mode round trip);
	 * a CR for any CA; a notify about ESP without an SPI; a delete of
	 * two IPCOMP CPIs. */
	n = unhex("0700000c 0102030405060708 | 0b000005 04 |"
	          "0c00000c 00000001 03000018 | 00000010 00000001 04020002"
	          " 12345678",
	          body, sizeof(body));
	parse_body_ok(&M, IKE_PL_NONCE, body, n);
	assert_int_equal(M.npl, 4);
	assert_int_equal(M.pl[0].body.len, IKE_NONCE_MIN);
	assert_int_equal(M.pl[1].u.cert.data.len, 0);
	assert_int_equal(M.pl[2].u.n.spi_size, 0);
	assert_int_equal(M.pl[2].u.n.type, IKE_N_AUTHENTICATION_FAILED);
	assert_int_equal(M.pl[3].u.d.nspis, 2);
	assert_int_equal(M.pl[3].u.d.spi_size, 2);
	/* Exchange types the codec does not know are the negotiator's
	 * business (it answers UNSUPPORTED-EXCHANGE-TYPE). */
	memcpy(B, ref_mm1, sizeof(ref_mm1));
	B[18] = 250;
	parse_ok(&M, B, sizeof(ref_mm1));
	assert_int_equal(M.hdr.exch, 250);
}

/* Every prefix and many single-byte changes of the reference messages
 * parse or fail cleanly (ASan/UBSan watch); a short fuzz in the unit
 * suite. */
static void
test_reference_mutations(void **state)
{
	static const struct {
		const uint8_t *p;
		size_t len;
		bool body;
		uint8_t first;
	} msgs[] = {
	    {ref_mm1, sizeof(ref_mm1), false, 0},
	    {ref_mm3, sizeof(ref_mm3), false, 0},
	    {ref_mm5, sizeof(ref_mm5), false, 0},
	    {ref_mm5_body, sizeof(ref_mm5_body), true, IKE_PL_ID},
	    {ref_qm1_body, sizeof(ref_qm1_body), true, IKE_PL_HASH},
	};
	static const uint8_t vals[] = {0x00, 0x01, 0x02, 0x7f, 0x80, 0xff};
	char err[IKE_ERR_MAX];
	size_t i, n, k, v;
	unsigned ok = 0, bad = 0;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		for (n = 0; n < msgs[i].len; n++) {
			/* A prefix, with the header's length made to fit. */
			memcpy(B, msgs[i].p, n);
			if (!msgs[i].body && n >= IKE_HDR_LEN) {
				B[24] = 0;
				B[25] = 0;
				B[26] = (uint8_t)(n >> 8);
				B[27] = (uint8_t)n;
			}
			rc = msgs[i].body
			         ? ike_msg_parse_body(msgs[i].first, B, n, &M,
			                              err, sizeof(err))
			         : ike_msg_parse(B, n, &M, err, sizeof(err));
			rc == 0 ? ok++ : bad++;
		}
		for (k = 0; k < msgs[i].len; k++) {
			for (v = 0; v < sizeof(vals); v++) {
				memcpy(B, msgs[i].p, msgs[i].len);
				B[k] = vals[v];
				rc = msgs[i].body
				         ? ike_msg_parse_body(msgs[i].first, B,
				                              msgs[i].len, &M,
				                              err, sizeof(err))
				         : ike_msg_parse(B, msgs[i].len, &M,
				                         err, sizeof(err));
				if (rc == 0 && M.decoded) {
					/* What parses rebuilds identically. */
					size_t l = rebuild(&M, !msgs[i].body,
					                   B2, sizeof(B2));

					assert_int_equal(
					    l,
					    M.chain.len + (msgs[i].body
					                       ? 0
					                       : IKE_HDR_LEN));
					assert_memory_equal(
					    B2,
					    msgs[i].body ? M.chain.p : M.raw.p,
					    l);
				}
				rc == 0 ? ok++ : bad++;
			}
		}
	}
	assert_true(ok > 0);
	assert_true(bad > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_ref_mm1_mm2),
	    cmocka_unit_test(test_ref_mm3_mm4),
	    cmocka_unit_test(test_ref_mm5_mm6),
	    cmocka_unit_test(test_ref_quick_mode),
	    cmocka_unit_test(test_ref_rebuild),
	    cmocka_unit_test(test_build_mm1_by_hand),
	    cmocka_unit_test(test_roundtrip_main_mode_kinds),
	    cmocka_unit_test(test_roundtrip_quick_mode_kinds),
	    cmocka_unit_test(test_encrypted_flow),
	    cmocka_unit_test(test_builder_refuses),
	    cmocka_unit_test(test_hostile_table),
	    cmocka_unit_test(test_body_hostile),
	    cmocka_unit_test(test_accepted_oddities),
	    cmocka_unit_test(test_reference_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
