/*
 * test_ike_cert.c - engine/ike_cert.c: IKEv1 RSA signatures (RFC 2409
 * section 5.1) and the certificates around them.
 *
 * The PKI is generated at test time with OpenSSL in a temporary
 * directory (no private key is kept in the tree): a root CA, an
 * intermediate, two peers (subjectAltName IP, DNS, email), an expired
 * certificate, a revoked one, one from another CA, one with a 1024-bit
 * key, and CRLs, laid out as ike_cert.h describes (*.pem, *.crl.pem,
 * crls/, local.pem, private/local.key).  Times are injected: the PKI's
 * "now" is T0.
 *
 * Signatures are checked against OpenSSL's own PKCS#1 padding (the
 * `openssl pkeyutl -sign -pkeyopt rsa_padding_mode:pkcs1` that strongSwan
 * matches) - live when the CLI is installed, and as a pinned vector made
 * once with:
 *   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out k.pem
 *   printf 'ipsecsh pkeyutl interop vector' |
 *       openssl dgst -sha256 -binary > h.bin
 *   openssl pkeyutl -sign -inkey k.pem -pkeyopt rsa_padding_mode:pkcs1 \
 *       -in h.bin -out s.bin
 *   openssl pkey -in k.pem -pubout        (k.pem then deleted)
 * Forged signatures (trailing garbage, DigestInfo, bad padding) are made
 * with the raw RSA private operation (RSA_NO_PADDING), as an attacker
 * with a key of their own would (CVE-2018-16151/16152 class), and the
 * CVE-2017-11185 values (s = 0, 1, n-1, n; e = 0, 1) are fed directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "engine/ike_cert.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define T0 ((time_t)1750000000) /* 2025-06-15: the PKI's "now" */
#define HOUR ((time_t)3600)
#define DAY (24 * HOUR)
#define YEAR (365 * DAY)
#define NOW (T0 + HOUR)
#define LATER (T0 + 30 * DAY) /* CRLs expired, certificates valid */

struct blob {
	unsigned char *p;
	size_t len;
};

/* The generated PKI. */
static struct {
	char dir[PATH_MAX];
	char certs[PATH_MAX];    /* full: CAs, CRLs, local.pem */
	char nocrl[PATH_MAX];    /* CAs only */
	char intercrl[PATH_MAX]; /* the intermediate's CRL, not the root's */
	char badcrl[PATH_MAX];   /* a forged CRL for the intermediate */
	char key[PATH_MAX];      /* private/local.key of peer1 */
	char local[PATH_MAX];    /* certs/local.pem: peer1 + intermediate */
	char rootpem[PATH_MAX];
	char peerpem[PATH_MAX]; /* a non-CA certificate */
	EVP_PKEY *k_root, *k_inter, *k_other, *k_peer1, *k_peer2, *k_weak;
	X509 *root, *inter, *other, *comma, *peer1, *peer2, *expired, *revoked,
	    *stranger, *weak, *ku_enc, *sub, *cafe;
	struct blob d_inter, d_other, d_peer1, d_peer2, d_expired, d_revoked,
	    d_stranger, d_weak, d_ku_enc, d_sub;
} P;

/* ---- building the PKI ----------------------------------------------- */

static void
add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, v3, nid, value);

	assert_non_null(e);
	assert_true(X509_add_ext(x, e, -1));
	X509_EXTENSION_free(e);
}

static X509_NAME *
mkname(const char *o, const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	assert_non_null(n);
	assert_true(X509_NAME_add_entry_by_txt(
	    n, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0));
	assert_true(X509_NAME_add_entry_by_txt(
	    n, "O", MBSTRING_ASC, (const unsigned char *)o, -1, -1, 0));
	assert_true(X509_NAME_add_entry_by_txt(
	    n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0));
	return n;
}

/* C=US, O=Ipsecsh Lab, CN=Caf\xc3\xa9 CA: a UTF8String CN. */
static X509_NAME *
mkname_utf8(void)
{
	X509_NAME *n = mkname("Ipsecsh Lab", "x");

	X509_NAME_ENTRY_free(X509_NAME_delete_entry(n, 2));
	assert_true(X509_NAME_add_entry_by_txt(
	    n, "CN", MBSTRING_UTF8, (const unsigned char *)"Caf\xc3\xa9 CA", -1,
	    -1, 0));
	return n;
}

/* A v3 certificate; issuer NULL: self-signed.  subj is consumed. */
static X509 *
mkcert(X509_NAME *subj, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, bool ca,
       long serial, time_t nb, time_t na, const char *san, const char *ku)
{
	X509 *x = X509_new();
	X509V3_CTX v3;

	assert_non_null(x);
	assert_true(X509_set_version(x, 2));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), serial));
	assert_true(X509_set_subject_name(x, subj));
	assert_true(X509_set_issuer_name(
	    x, issuer != NULL ? X509_get_subject_name(issuer) : subj));
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), nb));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), na));
	assert_true(X509_set_pubkey(x, key));
	X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	add_ext(x, &v3, NID_basic_constraints,
	        ca ? "critical,CA:TRUE" : "CA:FALSE");
	add_ext(x, &v3, NID_key_usage,
	        ku != NULL ? ku
	        : ca       ? "critical,keyCertSign,cRLSign"
	                   : "critical,digitalSignature");
	if (san != NULL)
		add_ext(x, &v3, NID_subject_alt_name, san);
	assert_true(X509_sign(x, ikey, EVP_sha256()) > 0);
	X509_NAME_free(subj);
	return x;
}

static X509_CRL *
mkcrl(X509 *issuer, EVP_PKEY *ikey, time_t last, time_t next, X509 *revoked)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t;

	assert_non_null(c);
	assert_true(X509_CRL_set_version(c, 1));
	assert_true(X509_CRL_set_issuer_name(c, X509_get_subject_name(issuer)));
	t = ASN1_TIME_set(NULL, last);
	assert_true(X509_CRL_set1_lastUpdate(c, t));
	ASN1_TIME_free(t);
	t = ASN1_TIME_set(NULL, next);
	assert_true(X509_CRL_set1_nextUpdate(c, t));
	ASN1_TIME_free(t);
	if (revoked != NULL) {
		X509_REVOKED *r = X509_REVOKED_new();

		assert_non_null(r);
		assert_true(X509_REVOKED_set_serialNumber(
		    r, X509_get_serialNumber(revoked)));
		t = ASN1_TIME_set(NULL, T0 - 2 * HOUR);
		assert_true(X509_REVOKED_set_revocationDate(r, t));
		ASN1_TIME_free(t);
		assert_true(X509_CRL_add0_revoked(c, r));
	}
	assert_true(X509_CRL_sort(c));
	assert_true(X509_CRL_sign(c, ikey, EVP_sha256()) > 0);
	return c;
}

static struct blob
der_of(X509 *x)
{
	struct blob b = {NULL, 0};
	int n = i2d_X509(x, &b.p);

	assert_true(n > 0);
	b.len = (size_t)n;
	return b;
}

static void
path_join(char *out, const char *a, const char *b)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", a, b);

	assert_true(n > 0 && n < PATH_MAX);
}

static void
mkdir_or_die(const char *path)
{
	assert_int_equal(mkdir(path, 0755), 0);
}

/* Writes up to three certificates into one PEM file. */
static void
write_certs(const char *dir, const char *name, X509 *a, X509 *b, X509 *c)
{
	char path[PATH_MAX];
	BIO *bio;

	path_join(path, dir, name);
	bio = BIO_new_file(path, "w");
	assert_non_null(bio);
	assert_true(PEM_write_bio_X509(bio, a));
	if (b != NULL)
		assert_true(PEM_write_bio_X509(bio, b));
	if (c != NULL)
		assert_true(PEM_write_bio_X509(bio, c));
	BIO_free(bio);
}

static void
write_crl(const char *dir, const char *name, X509_CRL *c, bool der)
{
	char path[PATH_MAX];
	BIO *bio;

	path_join(path, dir, name);
	bio = BIO_new_file(path, "wb");
	assert_non_null(bio);
	if (der)
		assert_true(i2d_X509_CRL_bio(bio, c));
	else
		assert_true(PEM_write_bio_X509_CRL(bio, c));
	BIO_free(bio);
}

/* Writes key to path (unencrypted, or with a passphrase) in mode. */
static void
write_key(const char *path, EVP_PKEY *key, mode_t mode, bool encrypted)
{
	BIO *bio;

	unlink(path);
	bio = BIO_new_file(path, "w");
	assert_non_null(bio);
	if (encrypted)
		assert_true(PEM_write_bio_PrivateKey(
		    bio, key, EVP_aes_128_cbc(), (unsigned char *)"secret", 6,
		    NULL, NULL));
	else
		assert_true(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0,
		                                     NULL, NULL));
	BIO_free(bio);
	assert_int_equal(chmod(path, mode), 0);
}

static void
write_text(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	path_join(path, dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
group_setup(void **state)
{
	char tmpl[] = "/tmp/test_ike_cert.XXXXXX", sub[PATH_MAX];
	X509_CRL *crl;
	const char *san1 = "IP:192.0.2.1,IP:2001:db8::1,DNS:peer1.example,"
	                   "email:admin@peer1.example";

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(P.dir, sizeof(P.dir), "%s", tmpl);

	P.k_root = EVP_RSA_gen(2048);
	P.k_inter = EVP_RSA_gen(2048);
	P.k_other = EVP_RSA_gen(2048);
	P.k_peer1 = EVP_RSA_gen(2048);
	P.k_peer2 = EVP_RSA_gen(2048);
	P.k_weak = EVP_RSA_gen(1024);
	assert_non_null(P.k_root);
	assert_non_null(P.k_inter);
	assert_non_null(P.k_other);
	assert_non_null(P.k_peer1);
	assert_non_null(P.k_peer2);
	assert_non_null(P.k_weak);

	P.root =
	    mkcert(mkname("Ipsecsh Lab", "Lab Root CA"), P.k_root, NULL,
	           P.k_root, true, 1, T0 - DAY, T0 + 20 * YEAR, NULL, NULL);
	P.inter = mkcert(mkname("Ipsecsh Lab", "Lab Intermediate CA"),
	                 P.k_inter, P.root, P.k_root, true, 2, T0 - DAY,
	                 T0 + 10 * YEAR, NULL, NULL);
	P.other =
	    mkcert(mkname("Elsewhere", "Other Root CA"), P.k_other, NULL,
	           P.k_other, true, 1, T0 - DAY, T0 + 20 * YEAR, NULL, NULL);
	P.comma =
	    mkcert(mkname("Example, Inc.", "Comma CA"), P.k_other, NULL,
	           P.k_other, true, 7, T0 - DAY, T0 + 20 * YEAR, NULL, NULL);
	P.peer1 = mkcert(mkname("Ipsecsh Lab", "peer1.example"), P.k_peer1,
	                 P.inter, P.k_inter, false, 0x101, T0 - DAY,
	                 T0 + 2 * YEAR, san1, NULL);
	P.peer2 = mkcert(mkname("Ipsecsh Lab", "peer2.example"), P.k_peer2,
	                 P.root, P.k_root, false, 0x102, T0 - DAY,
	                 T0 + 2 * YEAR, "IP:192.0.2.2,DNS:peer2.example", NULL);
	P.expired = mkcert(mkname("Ipsecsh Lab", "expired.example"), P.k_peer2,
	                   P.inter, P.k_inter, false, 0x103, T0 - 2 * YEAR,
	                   T0 - YEAR, "DNS:expired.example", NULL);
	P.revoked = mkcert(mkname("Ipsecsh Lab", "revoked.example"), P.k_peer2,
	                   P.inter, P.k_inter, false, 0x666, T0 - DAY,
	                   T0 + 2 * YEAR, "DNS:revoked.example", NULL);
	P.stranger = mkcert(mkname("Elsewhere", "stranger.example"), P.k_peer2,
	                    P.other, P.k_other, false, 0x104, T0 - DAY,
	                    T0 + 2 * YEAR, "DNS:stranger.example", NULL);
	P.weak = mkcert(mkname("Ipsecsh Lab", "weak.example"), P.k_weak, P.root,
	                P.k_root, false, 0x105, T0 - DAY, T0 + 2 * YEAR,
	                "DNS:weak.example", NULL);
	P.ku_enc =
	    mkcert(mkname("Ipsecsh Lab", "enc-only.example"), P.k_peer2, P.root,
	           P.k_root, false, 0x106, T0 - DAY, T0 + 2 * YEAR,
	           "DNS:enc-only.example", "critical,keyEncipherment");
	P.cafe = mkcert(mkname_utf8(), P.k_other, NULL, P.k_other, true, 8,
	                T0 - DAY, T0 + 20 * YEAR, NULL, NULL);
	/* Issued by peer2, which is no CA. */
	P.sub = mkcert(mkname("Ipsecsh Lab", "sub.example"), P.k_peer1, P.peer2,
	               P.k_peer2, false, 0x107, T0 - DAY, T0 + YEAR,
	               "DNS:sub.example", NULL);
	P.d_inter = der_of(P.inter);
	P.d_other = der_of(P.other);
	P.d_peer1 = der_of(P.peer1);
	P.d_peer2 = der_of(P.peer2);
	P.d_expired = der_of(P.expired);
	P.d_revoked = der_of(P.revoked);
	P.d_stranger = der_of(P.stranger);
	P.d_weak = der_of(P.weak);
	P.d_ku_enc = der_of(P.ku_enc);
	P.d_sub = der_of(P.sub);

	/* certs/: the full directory. */
	path_join(P.certs, P.dir, "certs");
	mkdir_or_die(P.certs);
	write_certs(P.certs, "root.pem", P.root, NULL, NULL);
	write_certs(P.certs, "other.pem", P.other, P.comma, P.cafe);
	write_certs(P.certs, "inter.pem", P.inter, NULL, NULL);
	write_certs(P.certs, "local.pem", P.peer1, P.inter, NULL);
	write_certs(P.certs, "peer2.pem", P.peer2, NULL, NULL); /* not a CA */
	write_text(P.certs, "README", "not a certificate\n");
	write_text(P.certs, ".hidden.pem", "not a certificate either\n");
	crl = mkcrl(P.inter, P.k_inter, T0 - DAY, T0 + 7 * DAY, P.revoked);
	write_crl(P.certs, "inter.crl.pem", crl, false);
	X509_CRL_free(crl);
	path_join(sub, P.certs, "crls");
	mkdir_or_die(sub);
	crl = mkcrl(P.root, P.k_root, T0 - DAY, T0 + 7 * DAY, NULL);
	write_crl(sub, "root.crl", crl, true); /* DER */
	X509_CRL_free(crl);
	path_join(P.local, P.certs, "local.pem");
	path_join(P.rootpem, P.certs, "root.pem");
	path_join(P.peerpem, P.certs, "peer2.pem");

	/* nocrl/: CAs only. */
	path_join(P.nocrl, P.dir, "nocrl");
	mkdir_or_die(P.nocrl);
	write_certs(P.nocrl, "root.pem", P.root, NULL, NULL);
	write_certs(P.nocrl, "other.pem", P.other, NULL, NULL);

	/* intercrl/: the intermediate's CRL but not the root's. */
	path_join(P.intercrl, P.dir, "intercrl");
	mkdir_or_die(P.intercrl);
	write_certs(P.intercrl, "root.pem", P.root, NULL, NULL);
	crl = mkcrl(P.inter, P.k_inter, T0 - DAY, T0 + 7 * DAY, P.revoked);
	write_crl(P.intercrl, "inter.crl.pem", crl, false);
	X509_CRL_free(crl);

	/* badcrl/: a CRL in the intermediate's name, signed by another key,
	 * "revoking" peer1; the root's CRL is fine. */
	path_join(P.badcrl, P.dir, "badcrl");
	mkdir_or_die(P.badcrl);
	write_certs(P.badcrl, "root.pem", P.root, NULL, NULL);
	crl = mkcrl(P.inter, P.k_other, T0 - DAY, T0 + 7 * DAY, P.peer1);
	write_crl(P.badcrl, "inter.crl.pem", crl, false);
	X509_CRL_free(crl);
	path_join(sub, P.badcrl, "crls");
	mkdir_or_die(sub);
	crl = mkcrl(P.root, P.k_root, T0 - DAY, T0 + 7 * DAY, NULL);
	write_crl(sub, "root.crl.pem", crl, false);
	X509_CRL_free(crl);

	path_join(sub, P.dir, "private");
	assert_int_equal(mkdir(sub, 0700), 0);
	path_join(P.key, sub, "local.key");
	write_key(P.key, P.k_peer1, 0600, false);
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
group_teardown(void **state)
{
	struct blob *bl[] = {
	    &P.d_inter,   &P.d_other,    &P.d_peer1, &P.d_peer2,  &P.d_expired,
	    &P.d_revoked, &P.d_stranger, &P.d_weak,  &P.d_ku_enc, &P.d_sub};
	X509 *xs[] = {P.root,   P.inter,   P.other,   P.comma,    P.peer1,
	              P.peer2,  P.expired, P.revoked, P.stranger, P.weak,
	              P.ku_enc, P.sub,     P.cafe};
	EVP_PKEY *ks[] = {P.k_root,  P.k_inter, P.k_other,
	                  P.k_peer1, P.k_peer2, P.k_weak};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(bl); i++)
		OPENSSL_free(bl[i]->p);
	for (i = 0; i < NELEM(xs); i++)
		X509_free(xs[i]);
	for (i = 0; i < NELEM(ks); i++)
		EVP_PKEY_free(ks[i]);
	if (P.dir[0] != '\0')
		nftw(P.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- helpers -------------------------------------------------------- */

static char err[IKE_CERT_ERR_MAX];

static void
expect_err(const char *needle)
{
	if (strstr(err, needle) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, needle);
}

static struct ike_certdb *
db_of(const char *dir)
{
	struct ike_cert_conf conf;
	struct ike_certdb *db;

	ike_cert_conf_default(&conf);
	conf.certdir = dir;
	conf.local_cert = P.local;
	db = ike_certdb_load(&conf, err, sizeof(err));
	if (db == NULL)
		fail_msg("ike_certdb_load(%s): %s", dir, err);
	return db;
}

/* A trust from one rootca value (excludecaname:no). */
static struct ike_trust *
trust_of(const struct ike_certdb *db, const char *ca)
{
	struct ike_rootca rc = {ca, false};
	struct ike_trust *t = ike_trust_new(db, &rc, 1, err, sizeof(err));

	if (t == NULL)
		fail_msg("ike_trust_new(%s): %s", ca, err);
	return t;
}

static struct ike_cert
cert_pl(const struct blob *b)
{
	struct ike_cert c = {IKE_CERT_X509_SIG, {b->p, b->len}};

	return c;
}

static struct ike_id
id_dn(X509 *x)
{
	struct ike_id id = {IKE_ID_DER_ASN1_DN, 0, 0, {NULL, 0}};
	const unsigned char *der;
	size_t len;

	assert_true(X509_NAME_get0_der(X509_get_subject_name(x), &der, &len));
	id.data.p = der;
	id.data.len = len;
	return id;
}

static struct ike_id
id_text(uint8_t type, const char *s)
{
	struct ike_id id = {type, 0, 0, {(const uint8_t *)s, strlen(s)}};

	return id;
}

/* Verifies a one- or two-certificate chain with an ID; frees the peer. */
static enum ike_cert_status
verify2(const struct ike_trust *t, const struct blob *ee, const struct blob *ca,
        const struct ike_id *id, time_t now, int crlcheck)
{
	struct ike_cert c[2];
	struct ike_peer *peer = (struct ike_peer *)&peer;
	enum ike_cert_status st;

	c[0] = cert_pl(ee);
	if (ca != NULL)
		c[1] = cert_pl(ca);
	err[0] = '\0';
	st = ike_trust_verify(t, c, ca != NULL ? 2 : 1, id, now, crlcheck,
	                      &peer, err, sizeof(err));
	if (st == IKE_CS_OK) {
		assert_non_null(peer);
	} else {
		assert_null(peer);
		assert_true(err[0] != '\0');
	}
	ike_peer_free(peer);
	return st;
}

static void
fill(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* The raw RSA private operation over a full block (RSA_NO_PADDING):
 * how an attacker forges padding with a key of their own. */
static size_t
raw_sign(EVP_PKEY *key, const uint8_t *block, size_t k, uint8_t *sig)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	size_t len = k;

	assert_non_null(ctx);
	assert_true(EVP_PKEY_sign_init(ctx) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0);
	assert_true(EVP_PKEY_sign(ctx, sig, &len, block, k) > 0);
	EVP_PKEY_CTX_free(ctx);
	assert_int_equal(len, k);
	return len;
}

/* 00 01 FF.. 00 || tail, tail of tlen bytes, into a k-byte block. */
static void
pkcs1_block(uint8_t *block, size_t k, const uint8_t *tail, size_t tlen)
{
	block[0] = 0x00;
	block[1] = 0x01;
	memset(block + 2, 0xff, k - 3 - tlen);
	block[k - tlen - 1] = 0x00;
	memcpy(block + k - tlen, tail, tlen);
}

static EVP_PKEY *
rsa_pub(const BIGNUM *n, const BIGNUM *e)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *key = NULL;

	assert_non_null(bld);
	assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n));
	assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e));
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_non_null(params);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	assert_non_null(ctx);
	assert_true(EVP_PKEY_fromdata_init(ctx) > 0);
	assert_true(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) >
	            0);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return key;
}

static BIGNUM *
modulus(EVP_PKEY *key)
{
	BIGNUM *n = NULL;

	assert_true(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n));
	return n;
}

/* ---- signatures ------------------------------------------------------ */

static void
test_sign_verify_roundtrip(void **state)
{
	static const size_t lens[] = {16, 20, 32, 48, 64};
	uint8_t hash[64], sig[IKE_RSA_SIG_MAX], sig2[IKE_RSA_SIG_MAX];
	size_t i, siglen, siglen2;

	(void)state;
	for (i = 0; i < NELEM(lens); i++) {
		fill(hash, lens[i], (uint8_t)i);
		assert_int_equal(ike_rsa_sign(P.k_peer1, 0, hash, lens[i], sig,
		                              sizeof(sig), &siglen, err,
		                              sizeof(err)),
		                 0);
		assert_int_equal(siglen, 256);
		assert_int_equal(ike_rsa_verify(P.k_peer1, 0, hash, lens[i],
		                                sig, siglen, err, sizeof(err)),
		                 0);
		/* PKCS#1 v1.5 is deterministic. */
		assert_int_equal(ike_rsa_sign(P.k_peer1, 0, hash, lens[i], sig2,
		                              sizeof(sig2), &siglen2, err,
		                              sizeof(err)),
		                 0);
		assert_memory_equal(sig, sig2, siglen);
	}
	/* A buffer shorter than the modulus is refused, not overrun. */
	assert_int_equal(ike_rsa_sign(P.k_peer1, 0, hash, 32, sig, 255, &siglen,
	                              err, sizeof(err)),
	                 -1);
	assert_int_equal(siglen, 0);
	/* Hash lengths outside 1..64. */
	assert_int_equal(ike_rsa_sign(P.k_peer1, 0, hash, 0, sig, sizeof(sig),
	                              &siglen, err, sizeof(err)),
	                 -1);
	assert_int_equal(ike_rsa_sign(P.k_peer1, 0, hash, 65, sig, sizeof(sig),
	                              &siglen, err, sizeof(err)),
	                 -1);
}

static void
test_verify_rejects_modified(void **state)
{
	uint8_t hash[32], sig[IKE_RSA_SIG_MAX];
	size_t siglen;

	(void)state;
	fill(hash, sizeof(hash), 1);
	assert_int_equal(ike_rsa_sign(P.k_peer1, 0, hash, sizeof(hash), sig,
	                              sizeof(sig), &siglen, err, sizeof(err)),
	                 0);
	hash[31] ^= 1;
	assert_int_equal(ike_rsa_verify(P.k_peer1, 0, hash, sizeof(hash), sig,
	                                siglen, err, sizeof(err)),
	                 -1);
	expect_err("does not match the hash");
	hash[31] ^= 1;
	/* A truncated hash (the negotiated hash is longer). */
	assert_int_equal(ike_rsa_verify(P.k_peer1, 0, hash, 20, sig, siglen,
	                                err, sizeof(err)),
	                 -1);
	/* A longer expected hash than was signed. */
	assert_int_equal(ike_rsa_verify(P.k_peer1, 0, hash, 31, sig, siglen,
	                                err, sizeof(err)),
	                 -1);
	/* Another key. */
	assert_int_equal(ike_rsa_verify(P.k_peer2, 0, hash, sizeof(hash), sig,
	                                siglen, err, sizeof(err)),
	                 -1);
	/* A flipped signature bit. */
	sig[100] ^= 0x10;
	assert_int_equal(ike_rsa_verify(P.k_peer1, 0, hash, sizeof(hash), sig,
	                                siglen, err, sizeof(err)),
	                 -1);
	sig[100] ^= 0x10;
	assert_int_equal(ike_rsa_verify(P.k_peer1, 0, hash, sizeof(hash), sig,
	                                siglen, err, sizeof(err)),
	                 0);
}

/* Forged blocks, each signed with the raw private operation: only the
 * exact 00 01 FF..FF 00 || hash may verify. */
static void
test_verify_rejects_forged_padding(void **state)
{
	enum { K = 256, H = 32 };
	uint8_t hash[H], block[K], sig[K], tail[K];
	size_t i;
	struct {
		const char *what;
		size_t garbage; /* bytes after the hash */
		int mutate;     /* 0 none; 1 type 2; 2 FE in the padding; 3
		                   zero padding; 4 leading 01; 5 seven FFs */
		const char *needle;
	} cases[] = {
	    {"trailing garbage 1", 1, 0, "follow the padding"},
	    {"trailing garbage 16", 16, 0, "follow the padding"},
	    {"trailing garbage 200", 200, 0, "follow the padding"},
	    {"block type 2", 0, 1, "not 00 01"},
	    {"fe in the padding", 0, 2, "padding byte"},
	    {"zero padding", 0, 3, "padding byte"},
	    {"leading 01", 0, 4, "not 00 01"},
	    {"only 7 ff then garbage", K - 3 - 7 - H, 0, "follow the padding"},
	};

	(void)state;
	fill(hash, H, 9);
	/* The forging helper itself makes valid signatures. */
	pkcs1_block(block, K, hash, H);
	raw_sign(P.k_peer1, block, K, sig);
	assert_int_equal(
	    ike_rsa_verify(P.k_peer1, 0, hash, H, sig, K, err, sizeof(err)), 0);

	for (i = 0; i < NELEM(cases); i++) {
		memcpy(tail, hash, H);
		fill(tail + H, cases[i].garbage, 0x5a);
		pkcs1_block(block, K, tail, H + cases[i].garbage);
		switch (cases[i].mutate) {
		case 1:
			block[1] = 0x02;
			break;
		case 2:
			block[40] = 0xfe;
			break;
		case 3:
			memset(block + 2, 0x00, K - 3 - H);
			block[2] = 0x11;
			break;
		case 4:
			block[0] = 0x01;
			break;
		default:
			break;
		}
		raw_sign(P.k_peer1, block, K, sig);
		err[0] = '\0';
		if (ike_rsa_verify(P.k_peer1, 0, hash, H, sig, K, err,
		                   sizeof(err)) == 0)
			fail_msg("%s: accepted", cases[i].what);
		if (strstr(err, cases[i].needle) == NULL)
			fail_msg("%s: error \"%s\"", cases[i].what, err);
	}
}

/* A standard PKCS#1 v1.5 signature (with DigestInfo) of the same hash
 * is not an IKEv1 signature. */
static void
test_verify_rejects_digestinfo(void **state)
{
	static const uint8_t sha256_prefix[] = {
	    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	    0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
	uint8_t hash[32], sig[256], di[sizeof(sha256_prefix) + 32], block[256];
	EVP_PKEY_CTX *ctx;
	size_t siglen = sizeof(sig);

	(void)state;
	fill(hash, sizeof(hash), 3);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, P.k_peer1, NULL);
	assert_non_null(ctx);
	assert_true(EVP_PKEY_sign_init(ctx) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0);
	assert_true(EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0);
	assert_true(EVP_PKEY_sign(ctx, sig, &siglen, hash, sizeof(hash)) > 0);
	EVP_PKEY_CTX_free(ctx);
	assert_int_equal(siglen, 256);
	assert_int_equal(ike_rsa_verify(P.k_peer1, 0, hash, sizeof(hash), sig,
	                                siglen, err, sizeof(err)),
	                 -1);
	expect_err("DigestInfo");

	/* The same by hand, and a DigestInfo with garbage in its
	 * parameters (CVE-2018-16151 shape). */
	memcpy(di, sha256_prefix, sizeof(sha256_prefix));
	memcpy(di + sizeof(sha256_prefix), hash, sizeof(hash));
	pkcs1_block(block, sizeof(block), di, sizeof(di));
	raw_sign(P.k_peer1, block, sizeof(block), sig);
	assert_int_equal(ike_rsa_verify(P.k_peer1, 0, hash, sizeof(hash), sig,
	                                sizeof(sig), err, sizeof(err)),
	                 -1);
	di[15] = 0xaa; /* NULL parameters replaced */
	di[16] = 0xbb;
	pkcs1_block(block, sizeof(block), di, sizeof(di));
	raw_sign(P.k_peer1, block, sizeof(block), sig);
	assert_int_equal(ike_rsa_verify(P.k_peer1, 0, hash, sizeof(hash), sig,
	                                sizeof(sig), err, sizeof(err)),
	                 -1);
}

/* CVE-2017-11185 class values and wrong lengths. */
static void
test_verify_rejects_bad_values(void **state)
{
	uint8_t hash[32], sig[260];
	BIGNUM *n = modulus(P.k_peer1), *v = BN_new();

	(void)state;
	assert_non_null(v);
	fill(hash, sizeof(hash), 4);

	assert_true(BN_bn2binpad(n, sig, 256) == 256); /* s == n */
	assert_int_equal(
	    ike_rsa_verify(P.k_peer1, 0, hash, 32, sig, 256, err, sizeof(err)),
	    -1);
	expect_err("not less than the modulus");

	assert_true(BN_copy(v, n) != NULL && BN_add_word(v, 1));
	assert_true(BN_bn2binpad(v, sig, 256) == 256); /* s == n + 1 */
	assert_int_equal(
	    ike_rsa_verify(P.k_peer1, 0, hash, 32, sig, 256, err, sizeof(err)),
	    -1);
	expect_err("not less than the modulus");

	assert_true(BN_copy(v, n) != NULL && BN_sub_word(v, 1));
	assert_true(BN_bn2binpad(v, sig, 256) == 256); /* s == n - 1 */
	assert_int_equal(
	    ike_rsa_verify(P.k_peer1, 0, hash, 32, sig, 256, err, sizeof(err)),
	    -1);
	expect_err("minus one");

	memset(sig, 0, sizeof(sig)); /* s == 0 */
	assert_int_equal(
	    ike_rsa_verify(P.k_peer1, 0, hash, 32, sig, 256, err, sizeof(err)),
	    -1);
	expect_err("zero");
	sig[255] = 1; /* s == 1 */
	assert_int_equal(
	    ike_rsa_verify(P.k_peer1, 0, hash, 32, sig, 256, err, sizeof(err)),
	    -1);
	expect_err("one");

	/* Length must be the modulus length: a valid signature with a
	 * byte stripped or a leading zero added is refused. */
	{
		uint8_t good[256], longer[257];
		size_t len;

		assert_int_equal(ike_rsa_sign(P.k_peer1, 0, hash, 32, good,
		                              sizeof(good), &len, err,
		                              sizeof(err)),
		                 0);
		longer[0] = 0;
		memcpy(longer + 1, good, 256);
		assert_int_equal(ike_rsa_verify(P.k_peer1, 0, hash, 32, longer,
		                                257, err, sizeof(err)),
		                 -1);
		expect_err("exactly 256");
		assert_int_equal(ike_rsa_verify(P.k_peer1, 0, hash, 32, good,
		                                255, err, sizeof(err)),
		                 -1);
		assert_int_equal(ike_rsa_verify(P.k_peer1, 0, hash, 32, NULL, 0,
		                                err, sizeof(err)),
		                 -1);
		assert_int_equal(ike_rsa_verify(P.k_peer1, 0, hash, 0, good,
		                                256, err, sizeof(err)),
		                 -1);
		assert_int_equal(ike_rsa_verify(P.k_peer1, 0, hash, 32, good,
		                                256, err, sizeof(err)),
		                 0);
	}
	BN_free(v);
	BN_free(n);
}

/* Key policy: too short, exponent 0/1/even, not RSA. */
static void
test_key_policy(void **state)
{
	uint8_t hash[32], sig[256], block[256];
	size_t siglen;
	BIGNUM *n = modulus(P.k_peer1), *e = BN_new();
	EVP_PKEY *bad, *ec;

	(void)state;
	assert_non_null(e);
	fill(hash, sizeof(hash), 5);

	/* 1024 bits: refused by default, accepted when configured. */
	assert_int_equal(ike_rsa_sign(P.k_weak, 0, hash, 32, sig, sizeof(sig),
	                              &siglen, err, sizeof(err)),
	                 -1);
	expect_err("1024 bits is shorter than the minimum of 2048");
	assert_int_equal(ike_rsa_sign(P.k_weak, 1024, hash, 32, sig,
	                              sizeof(sig), &siglen, err, sizeof(err)),
	                 0);
	assert_int_equal(siglen, 128);
	assert_int_equal(ike_rsa_verify(P.k_weak, 0, hash, 32, sig, siglen, err,
	                                sizeof(err)),
	                 -1);
	expect_err("shorter than the minimum");
	assert_int_equal(ike_rsa_verify(P.k_weak, 1024, hash, 32, sig, siglen,
	                                err, sizeof(err)),
	                 0);
	/* The floor: a configured 512 means 1024. */
	assert_int_equal(ike_rsa_check_key(P.k_weak, 512, err, sizeof(err)), 0);
	assert_int_equal(ike_rsa_check_key(P.k_peer1, 3072, err, sizeof(err)),
	                 -1);

	/* e = 1: every block is its own signature.  Offer the exact
	 * expected block as the "signature". */
	pkcs1_block(block, sizeof(block), hash, 32);
	assert_true(BN_set_word(e, 1));
	bad = rsa_pub(n, e);
	assert_int_equal(
	    ike_rsa_verify(bad, 0, hash, 32, block, 256, err, sizeof(err)), -1);
	expect_err("exponent 1 is not allowed");
	EVP_PKEY_free(bad);

	assert_true(BN_set_word(e, 0));
	bad = rsa_pub(n, e);
	assert_int_equal(ike_rsa_check_key(bad, 0, err, sizeof(err)), -1);
	expect_err("exponent 0");
	EVP_PKEY_free(bad);

	assert_true(BN_set_word(e, 65536));
	bad = rsa_pub(n, e);
	assert_int_equal(ike_rsa_check_key(bad, 0, err, sizeof(err)), -1);
	EVP_PKEY_free(bad);

	assert_true(BN_set_word(e, 3));
	bad = rsa_pub(n, e);
	assert_int_equal(ike_rsa_check_key(bad, 0, err, sizeof(err)), 0);
	EVP_PKEY_free(bad);

	/* A "modulus" of 64 bits (the modulus-1 class). */
	assert_true(BN_set_word(n, 0xc5a3f1e2d4b60979u));
	assert_true(BN_set_word(e, 65537));
	bad = rsa_pub(n, e);
	assert_int_equal(
	    ike_rsa_verify(bad, 0, hash, 32, block, 8, err, sizeof(err)), -1);
	expect_err("64 bits");
	EVP_PKEY_free(bad);

	ec = EVP_EC_gen("P-256");
	assert_non_null(ec);
	assert_int_equal(ike_rsa_check_key(ec, 0, err, sizeof(err)), -1);
	expect_err("not RSA");
	EVP_PKEY_free(ec);
	assert_int_equal(ike_rsa_check_key(NULL, 0, err, sizeof(err)), -1);

	BN_free(e);
	BN_free(n);
}

/* ---- interop with OpenSSL's (and so strongSwan's) padding ----------- */

static const char pinned_pub[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArnNs0G+GMKkxawllVC4n\n"
    "dYS/qZy8eCrLOKHALJ7n1OB/jCUgVDpOnTb1ViKwTBAYnBTg6xEFkCcQEo9taX7V\n"
    "3B4pc7QvB54j0S6dhgCztNhb6wZRwehobtCWZ2lJ1ZDb5MvbfA2g692uhrwdzAte\n"
    "Otsz66pxvjo33FyPygVw/gWZ+eMXP/weiisK6RKXCMud8J9O122qkiBKDddkKPdu\n"
    "7DsP0nC/OH4PnhMtA6JS6ctcb5t1Gj4Aytc4FkABHSL9LHqoWS8LXffeVnLnwwE6\n"
    "021a6i5DE6qreP+YO93fj1zIm43YjyZIN3Z5AuQY6PiQDPj5pljz8Ilhz+eOm0AF\n"
    "XwIDAQAB\n"
    "-----END PUBLIC KEY-----\n";
/* sha256("ipsecsh pkeyutl interop vector") */
static const char pinned_hash[] =
    "174941bd7b08cb7fce8969b1b11b29a1b179e436f77cb53b0176b0369506c36b";
static const char pinned_sig[] =
    "8af31826fd0ea142e4370f2078261736e219e7f868def73e1b173188a3388b49"
    "5f3974c371a6ef28474b27b0245296347b57ab0db77d7ce91e43072a4e7a0f55"
    "8e7a871f93699a796191cbf215a065e28fe4aadf4efb2fc03da7b28918d84b13"
    "e06353be9ed0ca9da6f7a43258157ae0368cecab298e285a18628ec4fd296d93"
    "2cb87f52dae023aa7b97f0ed29c3dc7f90b27b73c87983824da94a2eba8f8eac"
    "554a74f994df3fca4b3dec39bdefbc5a3b9ec0983a6f0eb9d63055e8bb1bc1a1"
    "93a8d6446d59887258ccb5250344023ef98cb60fe64a08962d3cd6923c2d8883"
    "58d84e1322c2f007b2f46c7a866365d9d63a2b124e1c208f17cbbf50f7dd6a67";

static size_t
unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;

	for (; hex[0] != '\0' && hex[1] != '\0'; hex += 2) {
		unsigned v;

		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		assert_true(n < max);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static void
test_interop_pinned(void **state)
{
	uint8_t hash[32], sig[256];
	BIO *b = BIO_new_mem_buf(pinned_pub, -1);
	EVP_PKEY *pub;

	(void)state;
	assert_non_null(b);
	pub = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	BIO_free(b);
	assert_non_null(pub);
	assert_int_equal(unhex(pinned_hash, hash, sizeof(hash)), 32);
	assert_int_equal(unhex(pinned_sig, sig, sizeof(sig)), 256);
	assert_int_equal(
	    ike_rsa_verify(pub, 0, hash, 32, sig, 256, err, sizeof(err)), 0);
	hash[0] ^= 0x80;
	assert_int_equal(
	    ike_rsa_verify(pub, 0, hash, 32, sig, 256, err, sizeof(err)), -1);
	EVP_PKEY_free(pub);
}

/* `openssl pkeyutl -sign -pkeyopt rsa_padding_mode:pkcs1` over a raw
 * 32-byte hash: verifies with our code, and equals our signature byte
 * for byte.  Skipped (with a note) without the CLI. */
static void
test_interop_openssl_cli(void **state)
{
	char keyp[PATH_MAX], hashp[PATH_MAX], sigp[PATH_MAX], cmd[4 * PATH_MAX];
	uint8_t hash[32], sig[300], ours[256];
	size_t n, ourlen;
	FILE *f;

	(void)state;
	if (system("openssl version >/dev/null 2>&1") != 0) {
		print_message("openssl CLI not found: live interop check "
		              "skipped (the pinned vector still ran)\n");
		return;
	}
	path_join(keyp, P.dir, "cli.key");
	path_join(hashp, P.dir, "cli.hash");
	path_join(sigp, P.dir, "cli.sig");
	write_key(keyp, P.k_peer1, 0600, false);
	fill(hash, sizeof(hash), 0x42);
	f = fopen(hashp, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(hash, 1, sizeof(hash), f), sizeof(hash));
	fclose(f);
	snprintf(cmd, sizeof(cmd),
	         "openssl pkeyutl -sign -inkey '%s' -pkeyopt "
	         "rsa_padding_mode:pkcs1 -in '%s' -out '%s'",
	         keyp, hashp, sigp);
	assert_int_equal(system(cmd), 0);
	f = fopen(sigp, "rb");
	assert_non_null(f);
	n = fread(sig, 1, sizeof(sig), f);
	fclose(f);
	assert_int_equal(n, 256);
	assert_int_equal(
	    ike_rsa_verify(P.k_peer1, 0, hash, 32, sig, n, err, sizeof(err)),
	    0);
	assert_int_equal(ike_rsa_sign(P.k_peer1, 0, hash, 32, ours,
	                              sizeof(ours), &ourlen, err, sizeof(err)),
	                 0);
	assert_memory_equal(ours, sig, 256);
	unlink(keyp);
	unlink(hashp);
	unlink(sigp);
}

/* ---- the directory, rootca and CR ------------------------------------ */

static void
test_certdb_load(void **state)
{
	struct ike_certdb *db;
	struct ike_cert_conf conf;
	char path[PATH_MAX];

	(void)state;
	/* root, other, comma, cafe, inter; local.pem and the non-CA
	 * peer2.pem are not trusted; README and dot files are skipped. */
	db = db_of(P.certs);
	assert_int_equal(ike_certdb_ca_count(db), 5);
	assert_int_equal(ike_certdb_crl_count(db), 2); /* *.crl.pem, crls/ */
	assert_string_equal(ike_certdb_dir(db), P.certs);
	ike_certdb_free(db);

	db = db_of(P.nocrl);
	assert_int_equal(ike_certdb_ca_count(db), 2);
	assert_int_equal(ike_certdb_crl_count(db), 0);
	ike_certdb_free(db);

	/* A missing directory is empty, not an error. */
	path_join(path, P.dir, "nonexistent");
	db = db_of(path);
	assert_int_equal(ike_certdb_ca_count(db), 0);
	ike_certdb_free(db);

	/* A broken file fails the load, naming it. */
	path_join(path, P.dir, "broken");
	mkdir_or_die(path);
	write_text(path, "bad.pem",
	           "-----BEGIN CERTIFICATE-----\nAAAA\n"
	           "-----END CERTIFICATE-----\n");
	ike_cert_conf_default(&conf);
	conf.certdir = path;
	assert_null(ike_certdb_load(&conf, err, sizeof(err)));
	expect_err("bad.pem");
	ike_certdb_free(NULL);
}

static void
test_rootca_forms(void **state)
{
	struct ike_certdb *db = db_of(P.certs);
	struct ike_trust *t;
	char name[IKE_CERT_NAME_MAX];
	size_t i;
	static const char *const root_forms[] = {
	    "CN=Lab Root CA,O=Ipsecsh Lab,C=US",
	    "C = US, O = Ipsecsh Lab, CN = Lab Root CA",
	    "/C=US/O=Ipsecsh Lab/CN=Lab Root CA",
	    "cn=lab  root ca, o=IPSECSH LAB; c=us",
	    "CN=\"Lab Root CA\",O=Ipsecsh Lab,C=US",
	    "CN=Lab\\20Root CA,O=Ipsecsh\\ Lab,C=US",
	    ("commonName=Lab Root CA, organizationName=Ipsecsh Lab, "
	     "countryName=US"),
	    "2.5.4.3=Lab Root CA,2.5.4.10=Ipsecsh Lab,2.5.4.6=US",
	    "root.pem", /* in the certificate directory */
	};
	static const char *const comma_forms[] = {
	    "CN=Comma CA,O=Example\\, Inc.,C=US",
	    "C = US, O = \"Example, Inc.\", CN = Comma CA",
	    "CN=Comma CA,O=Example, Inc.,C=US",
	    "CN=Comma CA,O=Example\\2C Inc.,C=US",
	};
	static const char *const bad_forms[] = {
	    "CN=Nobody,O=Ipsecsh Lab,C=US",   /* no such CA */
	    "CN=Lab Root CA",                 /* the whole name is needed */
	    "CN=Lab Root CA,O=Ipsecsh Lab",   /* likewise */
	    "XYZZY=1,CN=Lab Root CA",         /* unknown type */
	    "CN=\"Lab Root CA,O=Ipsecsh Lab", /* unterminated quote */
	    "/nonexistent/ca.pem",            /* no such file */
	    "missing.pem",                    /* not in the directory */
	    "=x",
	};
	struct ike_id id = id_dn(P.peer1);

	(void)state;
	/* By path. */
	t = trust_of(db, P.rootpem);
	assert_int_equal(ike_trust_ca_count(t), 1);
	ike_trust_ca_name(t, 0, name, sizeof(name));
	assert_string_equal(name, "CN=Lab Root CA,O=Ipsecsh Lab,C=US");
	assert_int_equal(verify2(t, &P.d_peer1, &P.d_inter, &id, NOW, 0),
	                 IKE_CS_OK);
	ike_trust_free(t);

	for (i = 0; i < NELEM(root_forms); i++) {
		t = trust_of(db, root_forms[i]);
		assert_int_equal(ike_trust_ca_count(t), 1);
		ike_trust_ca_name(t, 0, name, sizeof(name));
		if (strcmp(name, "CN=Lab Root CA,O=Ipsecsh Lab,C=US") != 0)
			fail_msg("%s resolved to %s", root_forms[i], name);
		assert_int_equal(
		    verify2(t, &P.d_peer1, &P.d_inter, &id, NOW, 0), IKE_CS_OK);
		ike_trust_free(t);
	}
	for (i = 0; i < NELEM(comma_forms); i++) {
		t = trust_of(db, comma_forms[i]);
		ike_trust_ca_name(t, 0, name, sizeof(name));
		if (strcmp(name, "CN=Comma CA,O=Example\\, Inc.,C=US") != 0)
			fail_msg("%s resolved to %s", comma_forms[i], name);
		ike_trust_free(t);
	}
	/* Non-ASCII: shown escaped (names reach logs), typed either way. */
	{
		static const char *const cafe_forms[] = {
		    "CN=Caf\xc3\xa9 CA,O=Ipsecsh Lab,C=US",
		    "CN=Caf\\C3\\A9 CA,O=Ipsecsh Lab,C=US",
		    "CN=CAF\xc3\xa9 ca,O=Ipsecsh Lab,C=US",
		};

		for (i = 0; i < NELEM(cafe_forms); i++) {
			t = trust_of(db, cafe_forms[i]);
			ike_trust_ca_name(t, 0, name, sizeof(name));
			assert_string_equal(
			    name, "CN=Caf\\C3\\A9 CA,O=Ipsecsh Lab,C=US");
			ike_trust_free(t);
		}
	}
	for (i = 0; i < NELEM(bad_forms); i++) {
		struct ike_rootca rc = {bad_forms[i], false};

		err[0] = '\0';
		t = ike_trust_new(db, &rc, 1, err, sizeof(err));
		if (t != NULL)
			fail_msg("rootca \"%s\" accepted", bad_forms[i]);
		assert_true(err[0] != '\0');
	}
	/* The error lists the directory's CAs to copy from. */
	{
		struct ike_rootca rc = {"CN=Nobody,C=US", false};

		assert_null(ike_trust_new(db, &rc, 1, err, sizeof(err)));
		expect_err("\"CN=Lab Intermediate CA,O=Ipsecsh Lab,C=US\"");
		expect_err("and 1 more");
	}
	/* A path to a certificate that is not a CA. */
	{
		struct ike_rootca rc = {P.peerpem, false};

		assert_null(ike_trust_new(db, &rc, 1, err, sizeof(err)));
		expect_err("not a CA certificate");
	}
	/* Several entries; duplicates collapse. */
	{
		struct ike_rootca rcs[] = {
		    {"CN=Lab Root CA,O=Ipsecsh Lab,C=US", false},
		    {"CN=Other Root CA,O=Elsewhere,C=US", false},
		    {P.rootpem, false},
		};
		struct ike_id sid = id_dn(P.stranger);

		t = ike_trust_new(db, rcs, NELEM(rcs), err, sizeof(err));
		assert_non_null(t);
		assert_int_equal(ike_trust_ca_count(t), 2);
		assert_int_equal(
		    verify2(t, &P.d_peer1, &P.d_inter, &id, NOW, 0), IKE_CS_OK);
		assert_int_equal(verify2(t, &P.d_stranger, NULL, &sid, NOW, 0),
		                 IKE_CS_OK);
		ike_trust_free(t);
	}
	assert_null(ike_trust_new(db, NULL, 0, err, sizeof(err)));
	assert_null(ike_trust_new(NULL, NULL, 1, err, sizeof(err)));
	ike_certdb_free(db);
}

static void
test_cr_data(void **state)
{
	struct ike_certdb *db = db_of(P.certs);
	struct ike_trust *t;
	struct ike_span cr;
	const unsigned char *der;
	size_t derlen;
	struct ike_rootca root_no = {P.rootpem, false};
	struct ike_rootca root_yes = {P.rootpem, true};
	struct ike_rootca mixed[] = {
	    {P.rootpem, false},
	    {"CN=Other Root CA,O=Elsewhere,C=US", true},
	};
	struct ike_rootca dup[] = {{P.rootpem, true}, {P.rootpem, false}};

	(void)state;
	assert_true(
	    X509_NAME_get0_der(X509_get_subject_name(P.root), &der, &derlen));

	t = ike_trust_new(db, &root_no, 1, err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(ike_trust_cr_count(t), 1);
	cr = ike_trust_cr(t, 0);
	assert_int_equal(cr.len, derlen);
	assert_memory_equal(cr.p, der, derlen);
	cr = ike_trust_cr(t, 1); /* out of range: empty */
	assert_int_equal(cr.len, 0);
	ike_trust_free(t);

	/* excludecaname:yes: one CR without a CA name. */
	t = ike_trust_new(db, &root_yes, 1, err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(ike_trust_cr_count(t), 1);
	assert_int_equal(ike_trust_cr(t, 0).len, 0);
	ike_trust_free(t);

	t = ike_trust_new(db, mixed, NELEM(mixed), err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(ike_trust_ca_count(t), 2);
	assert_int_equal(ike_trust_cr_count(t), 2);
	assert_int_equal(ike_trust_cr(t, 0).len, derlen);
	assert_memory_equal(ike_trust_cr(t, 0).p, der, derlen);
	assert_int_equal(ike_trust_cr(t, 1).len, 0);
	ike_trust_free(t);

	/* The same CA named twice, once excluded: its name is still
	 * requested (once). */
	t = ike_trust_new(db, dup, NELEM(dup), err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(ike_trust_ca_count(t), 1);
	assert_int_equal(ike_trust_cr_count(t), 2);
	assert_int_equal(ike_trust_cr(t, 0).len, derlen);
	assert_int_equal(ike_trust_cr(t, 1).len, 0);
	ike_trust_free(t);
	ike_certdb_free(db);
}

/* ---- chains ----------------------------------------------------------- */

static void
test_chain(void **state)
{
	struct ike_certdb *db = db_of(P.certs);
	struct ike_trust *t = trust_of(db, P.rootpem);
	struct ike_trust *to =
	    trust_of(db, "CN=Other Root CA,O=Elsewhere,C=US");
	struct ike_id id1 = id_dn(P.peer1), id2 = id_dn(P.peer2);
	struct ike_id ids = id_dn(P.stranger);
	struct ike_cert c[IKE_CERT_CHAIN_MAX + 1];
	struct ike_peer *peer = NULL;
	uint8_t hash[32], sig[256];
	size_t siglen, i;

	(void)state;
	/* The intermediate comes from the payloads. */
	assert_int_equal(verify2(t, &P.d_peer1, &P.d_inter, &id1, NOW, 0),
	                 IKE_CS_OK);
	/* Without it there is no chain. */
	assert_int_equal(verify2(t, &P.d_peer1, NULL, &id1, NOW, 0),
	                 IKE_CS_UNTRUSTED);
	expect_err("Lab Root CA");
	/* Issued by the root directly. */
	assert_int_equal(verify2(t, &P.d_peer2, NULL, &id2, NOW, 0), IKE_CS_OK);
	/* Another CA, even with its root in the payloads. */
	assert_int_equal(verify2(t, &P.d_stranger, NULL, &ids, NOW, 0),
	                 IKE_CS_UNTRUSTED);
	assert_int_equal(verify2(t, &P.d_stranger, &P.d_other, &ids, NOW, 0),
	                 IKE_CS_UNTRUSTED);
	expect_err("stranger.example");
	assert_int_equal(ike_cert_status_notify(IKE_CS_UNTRUSTED),
	                 IKE_N_INVALID_CERT_AUTHORITY);
	/* An end-entity certificate posing as an intermediate. */
	{
		struct ike_id idsub = id_dn(P.sub);

		assert_int_equal(
		    verify2(t, &P.d_sub, &P.d_peer2, &idsub, NOW, 0),
		    IKE_CS_UNTRUSTED);
		expect_err("invalid CA certificate");
	}
	/* ... which is fine for a rule that trusts it, and the lab's
	 * certificates are not. */
	assert_int_equal(verify2(to, &P.d_stranger, NULL, &ids, NOW, 0),
	                 IKE_CS_OK);
	assert_int_equal(verify2(to, &P.d_peer1, &P.d_inter, &id1, NOW, 0),
	                 IKE_CS_UNTRUSTED);

	/* Validity at the injected time. */
	{
		struct ike_id ide = id_dn(P.expired);

		assert_int_equal(
		    verify2(t, &P.d_expired, &P.d_inter, &ide, NOW, 0),
		    IKE_CS_EXPIRED);
		expect_err("expired");
		expect_err("until 2024-06-15"); /* T0 - YEAR */
		/* Inside its validity the CAs are not valid yet: the time
		 * is checked along the whole chain. */
		assert_int_equal(verify2(t, &P.d_expired, &P.d_inter, &ide,
		                         T0 - YEAR - DAY, 0),
		                 IKE_CS_EXPIRED);
		expect_err("CA,O=Ipsecsh Lab,C=US\" (chain depth");
		expect_err("not yet valid");
		assert_int_equal(
		    verify2(t, &P.d_peer1, &P.d_inter, &id1, T0 + YEAR, 0),
		    IKE_CS_OK);
		assert_int_equal(
		    verify2(t, &P.d_peer1, &P.d_inter, &id1, T0 + 3 * YEAR, 0),
		    IKE_CS_EXPIRED);
		assert_int_equal(
		    verify2(t, &P.d_peer1, &P.d_inter, &id1, T0 - 2 * DAY, 0),
		    IKE_CS_EXPIRED);
		expect_err("not yet valid");
	}

	/* The peer's key from the verified certificate checks SIG. */
	fill(hash, sizeof(hash), 6);
	c[0] = cert_pl(&P.d_peer1);
	c[1] = cert_pl(&P.d_inter);
	assert_int_equal(
	    ike_trust_verify(t, c, 2, &id1, NOW, 2, &peer, err, sizeof(err)),
	    IKE_CS_OK);
	assert_string_equal(ike_peer_name(peer),
	                    "CN=peer1.example,O=Ipsecsh Lab,C=US");
	assert_int_equal(ike_rsa_sign(P.k_peer1, 0, hash, 32, sig, sizeof(sig),
	                              &siglen, err, sizeof(err)),
	                 0);
	assert_int_equal(
	    ike_peer_verify_sig(peer, hash, 32, sig, siglen, err, sizeof(err)),
	    IKE_CS_OK);
	assert_int_equal(ike_rsa_sign(P.k_peer2, 0, hash, 32, sig, sizeof(sig),
	                              &siglen, err, sizeof(err)),
	                 0);
	assert_int_equal(
	    ike_peer_verify_sig(peer, hash, 32, sig, siglen, err, sizeof(err)),
	    IKE_CS_BAD_SIGNATURE);
	ike_peer_free(peer);
	assert_int_equal(
	    ike_peer_verify_sig(NULL, hash, 32, sig, siglen, err, sizeof(err)),
	    IKE_CS_INTERNAL);

	/* CERT payloads: encodings, DER, counts. */
	c[0] = cert_pl(&P.d_peer1);
	c[0].enc = IKE_CERT_PKCS7;
	peer = (struct ike_peer *)&peer;
	assert_int_equal(
	    ike_trust_verify(t, c, 2, &id1, NOW, 0, &peer, err, sizeof(err)),
	    IKE_CS_ENCODING);
	assert_null(peer);
	assert_int_equal(ike_cert_status_notify(IKE_CS_ENCODING),
	                 IKE_N_CERT_TYPE_UNSUPPORTED);
	c[0] = cert_pl(&P.d_peer1);
	c[1].enc = IKE_CERT_CRL;
	assert_int_equal(
	    ike_trust_verify(t, c, 2, &id1, NOW, 0, &peer, err, sizeof(err)),
	    IKE_CS_ENCODING);
	c[1] = cert_pl(&P.d_inter);
	c[0].data.len--; /* truncated */
	assert_int_equal(
	    ike_trust_verify(t, c, 2, &id1, NOW, 0, &peer, err, sizeof(err)),
	    IKE_CS_MALFORMED);
	{
		uint8_t longer[4096];

		assert_true(P.d_peer1.len + 1 <= sizeof(longer));
		memcpy(longer, P.d_peer1.p, P.d_peer1.len);
		longer[P.d_peer1.len] = 0;
		c[0].data.p = longer;
		c[0].data.len = P.d_peer1.len + 1; /* trailing byte */
		assert_int_equal(ike_trust_verify(t, c, 2, &id1, NOW, 0, &peer,
		                                  err, sizeof(err)),
		                 IKE_CS_MALFORMED);
		expect_err("after the certificate");
		fill(longer, 300, 0x30);
		c[0].data.len = 300; /* garbage */
		assert_int_equal(ike_trust_verify(t, c, 2, &id1, NOW, 0, &peer,
		                                  err, sizeof(err)),
		                 IKE_CS_MALFORMED);
		c[0].data.len = 0;
		assert_int_equal(ike_trust_verify(t, c, 2, &id1, NOW, 0, &peer,
		                                  err, sizeof(err)),
		                 IKE_CS_MALFORMED);
	}
	assert_int_equal(
	    ike_trust_verify(t, c, 0, &id1, NOW, 0, &peer, err, sizeof(err)),
	    IKE_CS_NO_CERT);
	for (i = 0; i < NELEM(c); i++)
		c[i] = cert_pl(&P.d_inter);
	c[0] = cert_pl(&P.d_peer1);
	assert_int_equal(ike_trust_verify(t, c, NELEM(c), &id1, NOW, 0, &peer,
	                                  err, sizeof(err)),
	                 IKE_CS_MALFORMED);
	/* Duplicated intermediates are harmless. */
	assert_int_equal(ike_trust_verify(t, c, IKE_CERT_CHAIN_MAX, &id1, NOW,
	                                  0, &peer, err, sizeof(err)),
	                 IKE_CS_OK);
	ike_peer_free(peer);
	peer = NULL;
	/* Reversed order: the intermediate is no signing certificate. */
	c[0] = cert_pl(&P.d_inter);
	c[1] = cert_pl(&P.d_peer1);
	assert_int_not_equal(
	    ike_trust_verify(t, c, 2, &id1, NOW, 0, &peer, err, sizeof(err)),
	    IKE_CS_OK);
	assert_null(peer);
	assert_int_equal(
	    ike_trust_verify(t, c, 2, &id1, NOW, 3, &peer, err, sizeof(err)),
	    IKE_CS_INTERNAL);

	/* Keys: 1024 bits, and a key usage without signatures. */
	{
		struct ike_id idw = id_dn(P.weak), idk = id_dn(P.ku_enc);

		assert_int_equal(verify2(t, &P.d_weak, NULL, &idw, NOW, 0),
		                 IKE_CS_BAD_KEY);
		expect_err("shorter than the minimum of 2048");
		assert_int_equal(verify2(t, &P.d_ku_enc, NULL, &idk, NOW, 0),
		                 IKE_CS_BAD_KEY);
		expect_err("key usage");
	}
	ike_trust_free(t);
	ike_trust_free(to);
	ike_certdb_free(db);
}

/* ---- identities ------------------------------------------------------- */

static void
test_id_dn(void **state)
{
	struct ike_certdb *db = db_of(P.certs);
	struct ike_trust *t = trust_of(db, P.rootpem);
	struct ike_id id1 = id_dn(P.peer1), id2 = id_dn(P.peer2), bad;
	uint8_t buf[512];
	size_t n = id1.data.len, i;

	(void)state;
	assert_int_equal(verify2(t, &P.d_peer1, &P.d_inter, &id1, NOW, 0),
	                 IKE_CS_OK);
	assert_int_equal(verify2(t, &P.d_peer1, &P.d_inter, &id2, NOW, 0),
	                 IKE_CS_ID_MISMATCH);
	expect_err("CN=peer2.example");
	expect_err("CN=peer1.example");
	assert_int_equal(ike_cert_status_notify(IKE_CS_ID_MISMATCH),
	                 IKE_N_INVALID_ID_INFORMATION);

	/* Hostile DNs (CVE-2013-6075 class): refused, never read past. */
	assert_true(n + 8 <= sizeof(buf));
	for (i = 0; i < 8; i++) {
		bad = id1;
		memcpy(buf, id1.data.p, n);
		bad.data.p = buf;
		switch (i) {
		case 0: /* truncated by one */
			bad.data.len = n - 1;
			break;
		case 1: /* trailing byte */
			buf[n] = 0;
			bad.data.len = n + 1;
			break;
		case 2: /* outer length claims more */
			buf[1] = (uint8_t)(buf[1] + 5);
			break;
		case 3: /* long-form length of 0xffff */
			buf[0] = 0x30;
			buf[1] = 0x82;
			buf[2] = 0xff;
			buf[3] = 0xff;
			break;
		case 4: /* inner SET length wrong */
			buf[3] = (uint8_t)(buf[3] + 1);
			break;
		case 5: /* empty */
			bad.data.len = 0;
			break;
		case 6: /* an empty SEQUENCE */
			buf[0] = 0x30;
			buf[1] = 0x00;
			bad.data.len = 2;
			break;
		default: /* a SET, not a SEQUENCE */
			buf[0] = 0x31;
			break;
		}
		assert_int_equal(
		    verify2(t, &P.d_peer1, &P.d_inter, &bad, NOW, 0),
		    IKE_CS_ID_MISMATCH);
	}
	bad = id1;
	bad.data.p = NULL;
	assert_int_equal(verify2(t, &P.d_peer1, &P.d_inter, &bad, NOW, 0),
	                 IKE_CS_ID_MISMATCH);
	/* No ID at all is a caller error. */
	assert_int_equal(verify2(t, &P.d_peer1, &P.d_inter, NULL, NOW, 0),
	                 IKE_CS_INTERNAL);
	ike_trust_free(t);
	ike_certdb_free(db);
}

static void
test_id_san(void **state)
{
	struct ike_certdb *db = db_of(P.certs);
	struct ike_trust *t = trust_of(db, P.rootpem);
	struct ike_id id;
	uint8_t v4[4], v6[16];
	size_t i;
	static const struct {
		uint8_t type;
		const char *text;
		enum ike_cert_status want;
	} cases[] = {
	    {IKE_ID_FQDN, "peer1.example", IKE_CS_OK},
	    {IKE_ID_FQDN, "PEER1.Example", IKE_CS_OK},
	    {IKE_ID_FQDN, "peer1.example.evil", IKE_CS_ID_MISMATCH},
	    {IKE_ID_FQDN, "peer1.exampl", IKE_CS_ID_MISMATCH},
	    {IKE_ID_FQDN, "peer2.example", IKE_CS_ID_MISMATCH},
	    {IKE_ID_FQDN, "admin@peer1.example", IKE_CS_ID_MISMATCH},
	    {IKE_ID_USER_FQDN, "admin@peer1.example", IKE_CS_OK},
	    {IKE_ID_USER_FQDN, "admin@PEER1.EXAMPLE", IKE_CS_OK},
	    {IKE_ID_USER_FQDN, "Admin@peer1.example", IKE_CS_ID_MISMATCH},
	    {IKE_ID_USER_FQDN, "peer1.example", IKE_CS_ID_MISMATCH},
	    {IKE_ID_KEY_ID, "peer1.example", IKE_CS_ID_MISMATCH},
	    {IKE_ID_DER_ASN1_GN, "peer1.example", IKE_CS_ID_MISMATCH},
	    {IKE_ID_IPV4_ADDR_SUBNET, "\xc0\x00\x02\x01\xff\xff\xff\xff",
	     IKE_CS_ID_MISMATCH},
	    {IKE_ID_IPV4_ADDR, "\xc0\x00\x02", IKE_CS_ID_MISMATCH},
	};

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		id = id_text(cases[i].type, cases[i].text);
		if (verify2(t, &P.d_peer1, &P.d_inter, &id, NOW, 0) !=
		    cases[i].want)
			fail_msg("%s \"%s\": %s", ike_id_type_name(id.type),
			         cases[i].text, err);
	}
	id = id_text(IKE_ID_FQDN, "nobody.example");
	assert_int_equal(verify2(t, &P.d_peer1, &P.d_inter, &id, NOW, 0),
	                 IKE_CS_ID_MISMATCH);
	expect_err("DNS:peer1.example"); /* what the certificate has */

	id.type = IKE_ID_IPV4_ADDR;
	id.data.p = v4;
	id.data.len = 4;
	assert_int_equal(inet_pton(AF_INET, "192.0.2.1", v4), 1);
	assert_int_equal(verify2(t, &P.d_peer1, &P.d_inter, &id, NOW, 0),
	                 IKE_CS_OK);
	assert_int_equal(inet_pton(AF_INET, "192.0.2.2", v4), 1);
	assert_int_equal(verify2(t, &P.d_peer1, &P.d_inter, &id, NOW, 0),
	                 IKE_CS_ID_MISMATCH);
	expect_err("192.0.2.2");
	assert_int_equal(verify2(t, &P.d_peer2, NULL, &id, NOW, 0), IKE_CS_OK);

	id.type = IKE_ID_IPV6_ADDR;
	id.data.p = v6;
	id.data.len = 16;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", v6), 1);
	assert_int_equal(verify2(t, &P.d_peer1, &P.d_inter, &id, NOW, 0),
	                 IKE_CS_OK);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::2", v6), 1);
	assert_int_equal(verify2(t, &P.d_peer1, &P.d_inter, &id, NOW, 0),
	                 IKE_CS_ID_MISMATCH);
	/* An IPv4 address given as an IPv6 ID does not match. */
	assert_int_equal(inet_pton(AF_INET6, "::ffff:192.0.2.1", v6), 1);
	assert_int_equal(verify2(t, &P.d_peer1, &P.d_inter, &id, NOW, 0),
	                 IKE_CS_ID_MISMATCH);
	ike_trust_free(t);
	ike_certdb_free(db);
}

/* ---- CRLs (strongcrlcheck) -------------------------------------------- */

static void
test_crl(void **state)
{
	struct ike_certdb *full = db_of(P.certs), *none = db_of(P.nocrl);
	struct ike_certdb *interonly = db_of(P.intercrl);
	struct ike_certdb *forged = db_of(P.badcrl);
	struct ike_trust *tf = trust_of(full, P.rootpem);
	struct ike_trust *tn = trust_of(none, P.rootpem);
	struct ike_trust *ti = trust_of(interonly, P.rootpem);
	struct ike_trust *tb = trust_of(forged, P.rootpem);
	struct ike_id id1 = id_dn(P.peer1), idr = id_dn(P.revoked);
	struct ike_id id2 = id_dn(P.peer2);
	const struct blob *ca = &P.d_inter;

	(void)state;
	/* All CRLs present and current. */
	assert_int_equal(verify2(tf, &P.d_revoked, ca, &idr, NOW, 0),
	                 IKE_CS_OK);
	assert_int_equal(verify2(tf, &P.d_revoked, ca, &idr, NOW, 1),
	                 IKE_CS_REVOKED);
	expect_err("revoked.example");
	expect_err("Lab Intermediate CA");
	assert_int_equal(verify2(tf, &P.d_revoked, ca, &idr, NOW, 2),
	                 IKE_CS_REVOKED);
	assert_int_equal(verify2(tf, &P.d_peer1, ca, &id1, NOW, 0), IKE_CS_OK);
	assert_int_equal(verify2(tf, &P.d_peer1, ca, &id1, NOW, 1), IKE_CS_OK);
	assert_int_equal(verify2(tf, &P.d_peer1, ca, &id1, NOW, 2), IKE_CS_OK);
	assert_int_equal(verify2(tf, &P.d_peer2, NULL, &id2, NOW, 2),
	                 IKE_CS_OK);

	/* The CRLs have expired: 1 still honours the revocation, 2 wants
	 * a current CRL. */
	assert_int_equal(verify2(tf, &P.d_peer1, ca, &id1, LATER, 1),
	                 IKE_CS_OK);
	assert_int_equal(verify2(tf, &P.d_revoked, ca, &idr, LATER, 1),
	                 IKE_CS_REVOKED);
	assert_int_equal(verify2(tf, &P.d_peer1, ca, &id1, LATER, 2),
	                 IKE_CS_NO_CRL);
	expect_err("expired");

	/* No CRL at all. */
	assert_int_equal(verify2(tn, &P.d_peer1, ca, &id1, NOW, 1), IKE_CS_OK);
	assert_int_equal(verify2(tn, &P.d_revoked, ca, &idr, NOW, 1),
	                 IKE_CS_OK);
	assert_int_equal(verify2(tn, &P.d_peer1, ca, &id1, NOW, 2),
	                 IKE_CS_NO_CRL);
	expect_err("none in the certificate directory");
	assert_int_equal(ike_cert_status_notify(IKE_CS_NO_CRL),
	                 IKE_N_INVALID_CERTIFICATE);

	/* The intermediate's CRL but not the root's: the intermediate
	 * itself cannot be checked. */
	assert_int_equal(verify2(ti, &P.d_peer1, ca, &id1, NOW, 1), IKE_CS_OK);
	assert_int_equal(verify2(ti, &P.d_peer1, ca, &id1, NOW, 2),
	                 IKE_CS_NO_CRL);
	expect_err("no current CRL of \"CN=Lab Root CA");
	assert_int_equal(verify2(ti, &P.d_revoked, ca, &idr, NOW, 2),
	                 IKE_CS_REVOKED);

	/* A CRL not signed by the issuer says nothing. */
	assert_int_equal(verify2(tb, &P.d_peer1, ca, &id1, NOW, 1), IKE_CS_OK);
	assert_int_equal(verify2(tb, &P.d_peer1, ca, &id1, NOW, 2),
	                 IKE_CS_NO_CRL);
	expect_err("not signed by it");

	ike_trust_free(tf);
	ike_trust_free(tn);
	ike_trust_free(ti);
	ike_trust_free(tb);
	ike_certdb_free(full);
	ike_certdb_free(none);
	ike_certdb_free(interonly);
	ike_certdb_free(forged);
}

/* ---- our certificate and key ------------------------------------------ */

static struct ike_cred *
cred_with(const char *key)
{
	struct ike_cert_conf conf;

	ike_cert_conf_default(&conf);
	conf.certdir = P.certs;
	conf.local_key = key;
	err[0] = '\0';
	return ike_cred_load(&conf, err, sizeof(err));
}

static void
test_cred(void **state)
{
	struct ike_cred *c;
	struct ike_span s;
	const unsigned char *der;
	size_t derlen, siglen;
	uint8_t hash[48], sig[IKE_RSA_SIG_MAX];

	(void)state;
	c = cred_with(P.key); /* local.pem found through certdir */
	if (c == NULL)
		fail_msg("ike_cred_load: %s", err);
	assert_int_equal(ike_cred_cert_count(c), 2);
	s = ike_cred_cert(c, 0);
	assert_int_equal(s.len, P.d_peer1.len);
	assert_memory_equal(s.p, P.d_peer1.p, s.len);
	s = ike_cred_cert(c, 1);
	assert_int_equal(s.len, P.d_inter.len);
	assert_memory_equal(s.p, P.d_inter.p, s.len);
	assert_int_equal(ike_cred_cert(c, 2).len, 0);
	assert_true(
	    X509_NAME_get0_der(X509_get_subject_name(P.peer1), &der, &derlen));
	s = ike_cred_subject(c);
	assert_int_equal(s.len, derlen);
	assert_memory_equal(s.p, der, derlen);
	assert_string_equal(ike_cred_name(c),
	                    "CN=peer1.example,O=Ipsecsh Lab,C=US");
	assert_int_equal(ike_cred_sig_len(c), 256);
	fill(hash, sizeof(hash), 8);
	assert_int_equal(ike_cred_sign(c, hash, sizeof(hash), sig, sizeof(sig),
	                               &siglen, err, sizeof(err)),
	                 0);
	assert_int_equal(siglen, 256);
	assert_int_equal(ike_rsa_verify(X509_get0_pubkey(P.peer1), 0, hash,
	                                sizeof(hash), sig, siglen, err,
	                                sizeof(err)),
	                 0);
	ike_cred_free(c);
	ike_cred_free(NULL);
}

static void
test_key_file_checks(void **state)
{
	char path[PATH_MAX];
	struct ike_cred *c;

	(void)state;
	path_join(path, P.dir, "private/test.key");

	write_key(path, P.k_peer1, 0644, false);
	assert_null(cred_with(path));
	expect_err("mode 0644");
	expect_err("chmod 600");
	expect_err(path);
	assert_int_equal(chmod(path, 0640), 0);
	assert_null(cred_with(path));
	expect_err("mode 0640");
	assert_int_equal(chmod(path, 0604), 0);
	assert_null(cred_with(path));
	assert_int_equal(chmod(path, 0400), 0);
	c = cred_with(path);
	assert_non_null(c);
	ike_cred_free(c);
	assert_int_equal(chmod(path, 0600), 0);
	c = cred_with(path);
	assert_non_null(c);
	ike_cred_free(c);

	/* Owned by someone else (only root can arrange that). */
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_null(cred_with(path));
		expect_err("owned by uid 65534");
		assert_int_equal(chown(path, 0, 0), 0);
	}

	/* Not the certificate's key. */
	write_key(path, P.k_peer2, 0600, false);
	assert_null(cred_with(path));
	expect_err("does not belong");
	/* Encrypted. */
	write_key(path, P.k_peer1, 0600, true);
	assert_null(cred_with(path));
	expect_err("encrypted");
	/* Not a key. */
	unlink(path);
	write_text(P.dir, "private/test.key", "hello\n");
	assert_int_equal(chmod(path, 0600), 0);
	assert_null(cred_with(path));
	expect_err("not a PEM private key");
	/* Missing; a directory. */
	unlink(path);
	assert_null(cred_with(path));
	expect_err("cannot open");
	path_join(path, P.dir, "private");
	assert_null(cred_with(path));
	/* A 1024-bit key with its certificate is refused by policy. */
	{
		struct ike_cert_conf conf;
		char cert[PATH_MAX], key[PATH_MAX];

		write_certs(P.dir, "weak.pem", P.weak, NULL, NULL);
		path_join(cert, P.dir, "weak.pem");
		path_join(key, P.dir, "private/weak.key");
		write_key(key, P.k_weak, 0600, false);
		ike_cert_conf_default(&conf);
		conf.certdir = P.certs;
		conf.local_cert = cert;
		conf.local_key = key;
		assert_null(ike_cred_load(&conf, err, sizeof(err)));
		expect_err("shorter than the minimum of 2048");
		conf.min_rsa_bits = 1024;
		c = ike_cred_load(&conf, err, sizeof(err));
		assert_non_null(c);
		assert_int_equal(ike_cred_sig_len(c), 128);
		ike_cred_free(c);
	}
}

static void
test_status_names(void **state)
{
	(void)state;
	assert_string_equal(ike_cert_status_name(IKE_CS_OK), "ok");
	assert_string_equal(ike_cert_status_name(IKE_CS_REVOKED),
	                    "certificate revoked");
	assert_string_equal(ike_cert_status_name(999), "unknown");
	assert_int_equal(ike_cert_status_notify(IKE_CS_OK), 0);
	assert_int_equal(ike_cert_status_notify(IKE_CS_BAD_SIGNATURE),
	                 IKE_N_AUTHENTICATION_FAILED);
	assert_int_equal(ike_cert_status_notify(IKE_CS_NO_CERT),
	                 IKE_N_CERTIFICATE_UNAVAILABLE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sign_verify_roundtrip),
	    cmocka_unit_test(test_verify_rejects_modified),
	    cmocka_unit_test(test_verify_rejects_forged_padding),
	    cmocka_unit_test(test_verify_rejects_digestinfo),
	    cmocka_unit_test(test_verify_rejects_bad_values),
	    cmocka_unit_test(test_key_policy),
	    cmocka_unit_test(test_interop_pinned),
	    cmocka_unit_test(test_interop_openssl_cli),
	    cmocka_unit_test(test_certdb_load),
	    cmocka_unit_test(test_rootca_forms),
	    cmocka_unit_test(test_cr_data),
	    cmocka_unit_test(test_chain),
	    cmocka_unit_test(test_id_dn),
	    cmocka_unit_test(test_id_san),
	    cmocka_unit_test(test_crl),
	    cmocka_unit_test(test_cred),
	    cmocka_unit_test(test_key_file_checks),
	    cmocka_unit_test(test_status_names),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
