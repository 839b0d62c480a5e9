/*
 * fuzz_ike_msg.c - libFuzzer target for the ISAKMP message codec
 * (engine/ike_msg.h).  Each input is tried twice:
 *   - as a datagram (ike_msg_parse); when its E flag is set, its body is
 *     then parsed as if it were the decrypted plaintext;
 *   - as a decrypted body: the first byte is the first payload's type,
 *     the rest the body (ike_msg_parse_body), padding allowed.
 * Must never crash, leak or read out of bounds.  Whatever parses must
 * re-encode through the builder (ike_msg_build_copy) to exactly the
 * bytes it came from (padding aside), and parse again to the same views.
 *
 * Built with -DIKE_CORPUS_MAIN instead, the same file writes the seed
 * corpus (tests/fuzz/corpus/ike/): the reference exchange's messages and
 * bodies, and builder-made messages with every payload kind:
 *   cc -D_GNU_SOURCE -DIKE_CORPUS_MAIN -Iengine \
 *      tests/fuzz/fuzz_ike_msg.c engine/ike_msg.c -o /tmp/gen &&
 *   /tmp/gen tests/fuzz/corpus/ike
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike_msg.h"

#ifndef IKE_CORPUS_MAIN

static struct ike_msg m, again;
static uint8_t out[IKE_MSG_MAX];

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_ike_msg: %s\n", what);
		abort();
	}
}

static int
same_span(struct ike_span a, struct ike_span b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

/* The views of a and b (parsed from equal bytes) are equal. */
static void
same_views(const struct ike_msg *a, const struct ike_msg *b)
{
	unsigned i;

	check(a->npl == b->npl, "payload count differs");
	check(a->nprops == b->nprops && a->nxforms == b->nxforms,
	      "proposal or transform count differs");
	for (i = 0; i < a->npl; i++) {
		const struct ike_pl *x = &a->pl[i], *y = &b->pl[i];

		check(x->type == y->type && x->critical == y->critical,
		      "payload type differs");
		check(same_span(x->raw, y->raw), "payload bytes differ");
		switch (x->type) {
		case IKE_PL_SA:
			check(x->u.sa.nprops == y->u.sa.nprops &&
			          x->u.sa.doi == y->u.sa.doi,
			      "SA differs");
			break;
		case IKE_PL_ID:
			check(x->u.id.type == y->u.id.type &&
			          x->u.id.port == y->u.id.port &&
			          same_span(x->u.id.data, y->u.id.data),
			      "ID differs");
			break;
		case IKE_PL_N:
			check(x->u.n.type == y->u.n.type &&
			          same_span(x->u.n.spi, y->u.n.spi) &&
			          same_span(x->u.n.data, y->u.n.data),
			      "N differs");
			break;
		case IKE_PL_D:
			check(x->u.d.nspis == y->u.d.nspis &&
			          same_span(x->u.d.spis, y->u.d.spis),
			      "D differs");
			break;
		default:
			break;
		}
	}
	for (i = 0; i < a->nxforms; i++)
		check(a->xforms[i].nattrs == b->xforms[i].nattrs &&
		          same_span(a->xforms[i].attrs, b->xforms[i].attrs),
		      "transform differs");
}

/* Every view lies inside the bytes parsed, and attributes iterate. */
static void
views_inside(const struct ike_msg *a, struct ike_span s)
{
	unsigned i;

	for (i = 0; i < a->npl; i++) {
		const struct ike_pl *pl = &a->pl[i];

		check(pl->raw.p >= s.p &&
		          pl->raw.len <= (size_t)(s.p + s.len - pl->raw.p),
		      "payload outside the buffer");
		check(pl->body.p == pl->raw.p + IKE_GEN_HDR_LEN &&
		          pl->body.len + IKE_GEN_HDR_LEN == pl->raw.len,
		      "body is not the payload after its header");
	}
	for (i = 0; i < a->nxforms; i++) {
		struct ike_attr_iter it;
		struct ike_attr at;
		unsigned n = 0;
		int rc;

		ike_attr_iter_init(&it, &a->xforms[i]);
		while ((rc = ike_attr_next(&it, &at)) == 1)
			n++;
		check(rc == 0 && n == a->xforms[i].nattrs,
		      "attributes do not iterate as parsed");
	}
}

/* Re-encodes a parsed message (with its header when hdr is set). */
static size_t
reencode(const struct ike_msg *a, int hdr, uint8_t *first)
{
	struct ike_msg_builder b;
	size_t len = 0;
	unsigned i;

	ike_msg_build_init(&b, out, sizeof(out));
	if (hdr)
		check(ike_msg_build_header(&b, &a->hdr) == 0,
		      "a parsed header does not build");
	for (i = 0; i < a->npl; i++)
		if (ike_msg_build_copy(&b, a, &a->pl[i]) != 0) {
			fprintf(stderr, "payload %u: %s\n", i + 1, b.err);
			check(0, "a parsed payload does not build");
		}
	check(ike_msg_build_finish(&b, &len) == 0, "finish failed");
	*first = b.first_np;
	return len;
}

static void
datagram(const uint8_t *data, size_t size)
{
	char err[IKE_ERR_MAX];
	uint8_t first;
	size_t len;

	if (ike_msg_parse(data, size, &m, err, sizeof(err)) != 0) {
		check(!m.decoded && m.npl == 0 && err[0] != '\0' &&
		          m.err_notify != 0,
		      "a failure left state or no message");
		return;
	}
	check(m.hdr.length == size && size >= IKE_HDR_LEN, "bad length");
	if (m.encrypted) {
		check(!m.decoded && m.npl == 0 && m.body.len > 0 &&
		          m.body.len == size - IKE_HDR_LEN,
		      "encrypted message decoded");
		/* Pretend the ciphertext is the plaintext. */
		if (ike_msg_parse_body(m.hdr.np, m.body.p, m.body.len, &m, err,
		                       sizeof(err)) == 0) {
			check(m.chain.len + m.trailing == m.body.len,
			      "chain and padding do not add up");
			views_inside(&m, m.body);
		}
		return;
	}
	check(m.decoded && m.trailing == 0 && m.chain.len == size - IKE_HDR_LEN,
	      "cleartext chain does not fill the message");
	views_inside(&m, m.raw);
	len = reencode(&m, 1, &first);
	check(len == size && memcmp(out, data, size) == 0,
	      "re-encoded datagram differs");
	check(ike_msg_parse(out, len, &again, err, sizeof(err)) == 0,
	      "re-encoded datagram does not parse");
	same_views(&m, &again);
}

static void
body(const uint8_t *data, size_t size)
{
	char err[IKE_ERR_MAX];
	uint8_t first;
	size_t len;

	if (size < 1)
		return;
	memset(&m, 0, sizeof(m));
	if (ike_msg_parse_body(data[0], data + 1, size - 1, &m, err,
	                       sizeof(err)) != 0) {
		check(!m.decoded && m.npl == 0 && err[0] != '\0',
		      "a body failure left state or no message");
		return;
	}
	check(m.chain.len + m.trailing == size - 1, "body does not add up");
	views_inside(&m, m.chain);
	len = reencode(&m, 0, &first);
	check(first == data[0], "first payload type differs");
	check(len == m.chain.len && memcmp(out, data + 1, len) == 0,
	      "re-encoded body differs");
	memset(&again, 0, sizeof(again));
	check(ike_msg_parse_body(first, out, len, &again, err, sizeof(err)) ==
	          0,
	      "re-encoded body does not parse");
	same_views(&m, &again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	datagram(data, size);
	body(data, size);
	return 0;
}

#else

#include "../unit/data/ike_reference.h"

static void
put(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, len, f) != len) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

/* A body seed: the first payload's type, then the body. */
static void
put_body(const char *dir, const char *name, uint8_t first, const uint8_t *p,
         size_t len)
{
	static uint8_t buf[IKE_MSG_MAX + 1];

	buf[0] = first;
	memcpy(buf + 1, p, len);
	put(dir, name, buf, len + 1);
}

static void
ok(int rc, const struct ike_msg_builder *b)
{
	if (rc != 0) {
		fprintf(stderr, "builder: %s\n", b->err);
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	static uint8_t buf[4096];
	struct ike_msg_builder b;
	struct ike_hdr h;
	struct ike_id id;
	struct ike_notify n;
	struct ike_delete d;
	uint8_t bytes[64];
	size_t len, i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	put(argv[1], "ref-mm1", ref_mm1, sizeof(ref_mm1));
	put(argv[1], "ref-mm2", ref_mm2, sizeof(ref_mm2));
	put(argv[1], "ref-mm3", ref_mm3, sizeof(ref_mm3));
	put(argv[1], "ref-mm4", ref_mm4, sizeof(ref_mm4));
	put(argv[1], "ref-mm5", ref_mm5, sizeof(ref_mm5));
	put(argv[1], "ref-mm6", ref_mm6, sizeof(ref_mm6));
	put(argv[1], "ref-qm1", ref_qm1, sizeof(ref_qm1));
	put(argv[1], "ref-qm2", ref_qm2, sizeof(ref_qm2));
	put(argv[1], "ref-qm3", ref_qm3, sizeof(ref_qm3));
	put_body(argv[1], "ref-mm5-body", IKE_PL_ID, ref_mm5_body,
	         sizeof(ref_mm5_body));
	put_body(argv[1], "ref-mm6-body", IKE_PL_ID, ref_mm6_body,
	         sizeof(ref_mm6_body));
	put_body(argv[1], "ref-qm1-body", IKE_PL_HASH, ref_qm1_body,
	         sizeof(ref_qm1_body));
	put_body(argv[1], "ref-qm2-body", IKE_PL_HASH, ref_qm2_body,
	         sizeof(ref_qm2_body));
	put_body(argv[1], "ref-qm3-body", IKE_PL_HASH, ref_qm3_body,
	         sizeof(ref_qm3_body));

	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)(i * 13 + 1);
	memset(&h, 0, sizeof(h));
	h.icookie[0] = 0x42;
	h.exch = IKE_EXCH_QUICK;
	h.msgid = 0x11223344;

	/* Quick Mode shaped: a bundle, IPCOMP, every ID form, NAT-OA. */
	ike_msg_build_init(&b, buf, sizeof(buf));
	ok(ike_msg_build_header(&b, &h), &b);
	ok(ike_msg_build_hash(&b, bytes, 20), &b);
	ok(ike_msg_build_sa_begin(&b, IKE_DOI_IPSEC, IKE_SIT_IDENTITY_ONLY),
	   &b);
	ok(ike_msg_build_prop_begin(&b, 1, IKE_PROTO_AH, bytes, 4), &b);
	ok(ike_msg_build_xform_begin(&b, 1, IKE_AH_SHA2_256), &b);
	ok(ike_msg_build_attr(&b, IKE_IA_AUTH_ALG, IKE_IAUTH_HMAC_SHA2_256),
	   &b);
	ok(ike_msg_build_prop_begin(&b, 1, IKE_PROTO_ESP, bytes, 4), &b);
	ok(ike_msg_build_xform_begin(&b, 1, IKE_ESP_AES_CBC), &b);
	ok(ike_msg_build_attr(&b, IKE_IA_KEY_LENGTH, 256), &b);
	ok(ike_msg_build_attr(&b, IKE_IA_LIFE_TYPE, IKE_LIFE_KILOBYTES), &b);
	ok(ike_msg_build_attr(&b, IKE_IA_LIFE_DURATION, 4608000), &b);
	ok(ike_msg_build_xform_begin(&b, 2, IKE_ESP_AES_GCM_16), &b);
	ok(ike_msg_build_attr(&b, IKE_IA_ENCAP_MODE,
	                      IKE_ENCAP_UDP_TRANSPORT_DRAFT),
	   &b);
	ok(ike_msg_build_prop_begin(&b, 2, IKE_PROTO_IPCOMP, bytes, 2), &b);
	ok(ike_msg_build_xform_begin(&b, 1, IKE_IPCOMP_DEFLATE), &b);
	ok(ike_msg_build_sa_end(&b), &b);
	ok(ike_msg_build_nonce(&b, bytes, 16), &b);
	ok(ike_msg_build_ke(&b, bytes, 64), &b);
	for (i = IKE_ID_IPV4_ADDR; i <= IKE_ID_KEY_ID; i++) {
		static const size_t sizes[] = {0,  4, 9,  15, 8, 16,
		                               32, 8, 32, 4,  5, 6};
		static const uint8_t dn[] = {0x30, 0x02, 0x31, 0x00};

		memset(&id, 0, sizeof(id));
		id.type = (uint8_t)i;
		id.proto = 17;
		id.port = 500;
		id.data.p = i == IKE_ID_DER_ASN1_DN ? dn : bytes;
		id.data.len = sizes[i];
		ok(ike_msg_build_id(&b, &id), &b);
	}
	ok(ike_msg_build_natoa(&b, IKE_ID_IPV4_ADDR, bytes, 4), &b);
	ok(ike_msg_build_natoa(&b, IKE_ID_IPV6_ADDR, bytes, 16), &b);
	ok(ike_msg_build_finish(&b, &len), &b);
	put(argv[1], "built-quick-mode", buf, len);

	/* Informational shaped: N and D of every protocol. */
	h.exch = IKE_EXCH_INFO;
	ike_msg_build_init(&b, buf, sizeof(buf));
	ok(ike_msg_build_header(&b, &h), &b);
	memset(&n, 0, sizeof(n));
	n.doi = IKE_DOI_IPSEC;
	n.proto = IKE_PROTO_ISAKMP;
	n.spi_size = 16;
	n.spi.p = bytes;
	n.spi.len = 16;
	n.type = IKE_N_R_U_THERE;
	n.data.p = bytes;
	n.data.len = 4;
	ok(ike_msg_build_notify(&b, &n), &b);
	n.proto = IKE_PROTO_ESP;
	n.spi_size = 4;
	n.spi.len = 4;
	n.type = IKE_N_RESPONDER_LIFETIME;
	ok(ike_msg_build_notify(&b, &n), &b);
	memset(&d, 0, sizeof(d));
	d.doi = IKE_DOI_IPSEC;
	d.proto = IKE_PROTO_ESP;
	d.spi_size = 4;
	d.nspis = 2;
	d.spis.p = bytes;
	d.spis.len = 8;
	ok(ike_msg_build_delete(&b, &d), &b);
	d.proto = IKE_PROTO_ISAKMP;
	d.spi_size = 16;
	d.nspis = 1;
	d.spis.len = 16;
	ok(ike_msg_build_delete(&b, &d), &b);
	ok(ike_msg_build_finish(&b, &len), &b);
	put(argv[1], "built-informational", buf, len);

	/* Main Mode shaped, signatures: ID, CERT, CR, SIG, VID, NAT-D, a
	 * private payload and a critical known one. */
	h.exch = IKE_EXCH_MAIN;
	h.msgid = 0;
	ike_msg_build_init(&b, buf, sizeof(buf));
	ok(ike_msg_build_header(&b, &h), &b);
	memset(&id, 0, sizeof(id));
	id.type = IKE_ID_FQDN;
	id.data.p = (const uint8_t *)"red.example";
	id.data.len = 11;
	ok(ike_msg_build_id(&b, &id), &b);
	ok(ike_msg_build_cert(&b, IKE_CERT_X509_SIG, bytes, 40), &b);
	ok(ike_msg_build_cr(&b, IKE_CERT_X509_SIG, NULL, 0), &b);
	ok(ike_msg_build_sig(&b, bytes, 64), &b);
	ok(ike_msg_build_vid(&b, bytes, 16), &b);
	ok(ike_msg_build_critical(&b), &b);
	ok(ike_msg_build_natd(&b, bytes, 32), &b);
	ok(ike_msg_build_raw(&b, 200, bytes, 3), &b);
	ok(ike_msg_build_raw(&b, IKE_PL_NATD_DRAFT, bytes, 20), &b);
	ok(ike_msg_build_finish(&b, &len), &b);
	put(argv[1], "built-main-mode-sig", buf, len);

	/* An encrypted-shaped message whose body is a padded body. */
	h.flags = IKE_FLAG_ENC;
	ike_msg_build_init(&b, buf, sizeof(buf));
	ok(ike_msg_build_header(&b, &h), &b);
	ok(ike_msg_build_hash(&b, bytes, 32), &b);
	ok(ike_msg_build_natoa(&b, IKE_ID_IPV4_ADDR, bytes, 4), &b);
	ok(ike_msg_build_pad(&b, 16), &b);
	ok(ike_msg_build_finish(&b, &len), &b);
	put(argv[1], "built-encrypted", buf, len);
	return 0;
}

#endif
