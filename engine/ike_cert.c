/*
 * ike_cert.c - certificates, trust and RSA signatures for IKEv1
 * signature authentication on OpenSSL 3 (see ike_cert.h for the files,
 * the rootca forms and the contracts).
 *
 * Chain building is OpenSSL's (X509_verify_cert against a store holding
 * only the rule's root CAs); CRL checking is done here, after the chain
 * is built, so that strongcrlcheck 1 and 2 mean exactly what the header
 * says whatever OpenSSL's CRL selection does in a given version.  The
 * RSA padding of IKEv1 signatures is checked here over the raw RSA
 * output, by comparing the whole block with the one expected, so no
 * parser of the block exists to get wrong.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "ike_cert.h"
#include "ike_crypto.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define KEY_FILE_MAX (64 * 1024) /* a PEM RSA-8192 key is about 6 KiB */
#define CR_HINT_MAX 4            /* CA subjects listed in an error */
#define AVA_OID_MAX 64
#define AVA_VAL_MAX 512
#define DN_AVAS_MAX 32
#define TRUST_CA_MAX 32 /* distinct root CAs per rule */
#define PKCS1_MIN_PAD 8 /* RFC 8017 section 9.2: at least 8 FF bytes */

/* ---- errors --------------------------------------------------------- */

/* ---- status names --------------------------------------------------- */

struct status_info {
	unsigned value;
	const char *text;
	uint16_t notify;
};

static const struct status_info statuses[] = {
#define X(id, value, text, notify) {value, text, notify},
    IKE_CERT_STATUSES(X)
#undef X
};

const char *
ike_cert_status_name(unsigned st)
{
	size_t i;

	for (i = 0; i < NELEM(statuses); i++)
		if (statuses[i].value == st)
			return statuses[i].text;
	return "unknown";
}

uint16_t
ike_cert_status_notify(unsigned st)
{
	size_t i;

	for (i = 0; i < NELEM(statuses); i++)
		if (statuses[i].value == st)
			return statuses[i].notify;
	return IKE_N_AUTHENTICATION_FAILED;
}

/* ---- small helpers -------------------------------------------------- */

static unsigned
min_bits_of(unsigned min_bits)
{
	if (min_bits == 0)
		return IKE_RSA_MIN_BITS_DEFAULT;
	return min_bits < IKE_RSA_FLOOR_BITS ? IKE_RSA_FLOOR_BITS : min_bits;
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

static int
join_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* A name in RFC 2253 form, truncated with "..." to fit.  Names come
 * from peers and go to logs: control characters and bytes above 0x7e
 * are escaped as \XX (which the rootca parser reads back). */
static void
name_str(const X509_NAME *nm, char *buf, size_t len)
{
	BIO *b;
	int n;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (nm == NULL || (b = BIO_new(BIO_s_mem())) == NULL)
		return;
	if (X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_read(b, buf, (int)(len - 1));
		if (n < 0)
			n = 0;
		buf[n] = '\0';
		if (BIO_pending(b) > 0 && len > 4)
			memcpy(buf + len - 4, "...", 4);
	}
	BIO_free(b);
	ERR_clear_error();
}

static void
cert_name(const X509 *x, char *buf, size_t len)
{
	name_str(X509_get_subject_name(x), buf, len);
}

/* An ASN1_TIME as "2026-01-02 03:04:05Z" (or "?"). */
static void
time_str(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
	ERR_clear_error();
}

/* Peer-supplied text for a message: printable ASCII, the rest as \xNN,
 * cut at about 64 characters. */
static void
safe_str(const uint8_t *p, size_t n, char *buf, size_t len)
{
	size_t i, o = 0;

	if (len == 0)
		return;
	for (i = 0; i < n && o + 5 < len && o < 64; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			buf[o++] = (char)p[i];
		else
			o +=
			    (size_t)snprintf(buf + o, len - o, "\\x%02x", p[i]);
	}
	if (i < n && o + 4 < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool
ascii_caseeq(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
	return true;
}

/* ---- RSA key policy and IKEv1 signatures ----------------------------- */

int
ike_rsa_check_key(EVP_PKEY *key, unsigned min_bits, char *err, size_t errlen)
{
	BIGNUM *n = NULL, *e = NULL;
	unsigned min = min_bits_of(min_bits);
	char *dec = NULL;
	int rc = -1, bits;

	if (key == NULL)
		return ike_fail(err, errlen, "no key");
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		const char *type = EVP_PKEY_get0_type_name(key);

		return ike_fail(err, errlen,
		            "the key is %s, not RSA (RSA signatures need an "
		            "RSA key)",
		            type != NULL ? type : "of an unknown type");
	}
	if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e)) {
		ike_ossl_fail(err, errlen, "cannot read the RSA key's parameters");
		goto out;
	}
	bits = BN_num_bits(n);
	if (bits < 0 || (unsigned)bits < min) {
		ike_fail(err, errlen,
		     "RSA modulus of %d bits is shorter than the minimum of "
		     "%u bits",
		     bits, min);
		goto out;
	}
	if (bits > IKE_RSA_MAX_BITS) {
		ike_fail(err, errlen,
		     "RSA modulus of %d bits is longer than the maximum of %d "
		     "bits",
		     bits, IKE_RSA_MAX_BITS);
		goto out;
	}
	if (!BN_is_odd(n)) {
		ike_fail(err, errlen, "RSA modulus is even");
		goto out;
	}
	/* CVE-2017-11185 class: e = 0 or 1 makes every "signature" (or
	 * the message itself) verify; an even e is no RSA key at all. */
	if (BN_is_zero(e) || BN_is_one(e) || !BN_is_odd(e) ||
	    BN_cmp(e, n) >= 0) {
		if (BN_num_bits(e) <= 64)
			dec = BN_bn2dec(e);
		ike_fail(err, errlen,
		     "RSA public exponent %s is not allowed (it must be odd, "
		     "at least 3 and less than the modulus)",
		     dec != NULL ? dec : "(large)");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_free(dec);
	BN_free(n);
	BN_free(e);
	return rc;
}

/* Checks shared by sign and verify; *k = the modulus length. */
static int
sig_prepare(EVP_PKEY *key, unsigned min_bits, size_t hashlen, size_t *k,
            char *err, size_t errlen)
{
	int size;

	if (ike_rsa_check_key(key, min_bits, err, errlen) < 0)
		return -1;
	size = EVP_PKEY_get_size(key);
	if (size <= 0)
		return ike_ossl_fail(err, errlen, "cannot get the RSA key's size");
	*k = (size_t)size;
	if (hashlen == 0 || hashlen > IKE_HASH_MAX_LEN)
		return ike_fail(err, errlen,
		            "hash of %zu bytes (expected 1 to %d bytes)",
		            hashlen, IKE_HASH_MAX_LEN);
	if (hashlen + 3 + PKCS1_MIN_PAD > *k)
		return ike_fail(err, errlen,
		            "hash of %zu bytes does not fit a %zu-byte RSA "
		            "block",
		            hashlen, *k);
	return 0;
}

int
ike_rsa_sign(EVP_PKEY *key, unsigned min_bits, const uint8_t *hash,
             size_t hashlen, uint8_t *sig, size_t sigmax, size_t *siglen,
             char *err, size_t errlen)
{
	EVP_PKEY_CTX *ctx = NULL;
	size_t k, outlen;
	int rc = -1;

	*siglen = 0;
	if (sig_prepare(key, min_bits, hashlen, &k, err, errlen) < 0)
		return -1;
	if (sigmax < k)
		return ike_fail(err, errlen,
		            "signature buffer of %zu bytes is shorter than the "
		            "%zu-byte modulus",
		            sigmax, k);
	/* No digest set: OpenSSL then pads the input itself with PKCS#1
	 * type 1 and no DigestInfo (RSA_private_encrypt). */
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (ctx == NULL || EVP_PKEY_sign_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) <= 0) {
		ike_ossl_fail(err, errlen, "cannot set up RSA signing");
		goto out;
	}
	outlen = sigmax;
	if (EVP_PKEY_sign(ctx, sig, &outlen, hash, hashlen) <= 0) {
		ike_ossl_fail(err, errlen, "RSA signing failed");
		goto out;
	}
	if (outlen != k) {
		ike_fail(err, errlen, "RSA signature of %zu bytes, expected %zu",
		     outlen, k);
		goto out;
	}
	*siglen = k;
	rc = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* After a failed compare: why the recovered block m (k bytes) is not
 * 00 01 FF.. 00 || hash.  Everything here is public. */
static void
explain_block(const uint8_t *m, size_t k, size_t hashlen, char *err,
              size_t errlen)
{
	size_t i, hashpos = k - hashlen;

	if (m[0] != 0x00 || m[1] != 0x01) {
		ike_fail(err, errlen,
		     "RSA signature: recovered block starts %02x %02x, not "
		     "00 01 (not PKCS#1 v1.5 signature padding, or the wrong "
		     "key)",
		     m[0], m[1]);
		return;
	}
	for (i = 2; i < k && m[i] == 0xff; i++)
		;
	if (i == k || m[i] != 0x00) {
		ike_fail(err, errlen,
		     "RSA signature: padding byte %zu is %02x, not ff or 00", i,
		     i < k ? m[i] : 0);
		return;
	}
	if (i + 1 != hashpos) {
		ike_fail(err, errlen,
		     "RSA signature: %zu bytes follow the padding where the "
		     "%zu-byte hash was expected (DigestInfo or trailing "
		     "data)",
		     k - i - 1, hashlen);
		return;
	}
	ike_fail(err, errlen, "RSA signature does not match the hash");
}

int
ike_rsa_verify(EVP_PKEY *key, unsigned min_bits, const uint8_t *hash,
               size_t hashlen, const uint8_t *sig, size_t siglen, char *err,
               size_t errlen)
{
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *n = NULL, *s = NULL;
	uint8_t *m = NULL, *em = NULL;
	size_t k, mlen;
	int rc = -1;

	if (sig_prepare(key, min_bits, hashlen, &k, err, errlen) < 0)
		return -1;
	if (sig == NULL || siglen != k)
		return ike_fail(err, errlen,
		            "RSA signature of %zu bytes; the key needs exactly "
		            "%zu",
		            sig == NULL ? 0 : siglen, k);
	if (!EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    (s = BN_bin2bn(sig, (int)siglen, NULL)) == NULL) {
		ike_ossl_fail(err, errlen, "cannot read the RSA signature");
		goto out;
	}
	/* CVE-2017-11185 class: values whose power is trivially known. */
	if (BN_is_zero(s) || BN_is_one(s)) {
		ike_fail(err, errlen, "RSA signature is %s",
		     BN_is_zero(s) ? "zero" : "one");
		goto out;
	}
	if (BN_cmp(s, n) >= 0) {
		ike_fail(err, errlen, "RSA signature is not less than the modulus");
		goto out;
	}
	if (!BN_sub_word(n, 1)) {
		ike_ossl_fail(err, errlen, "cannot check the RSA signature");
		goto out;
	}
	if (BN_cmp(s, n) == 0) {
		ike_fail(err, errlen, "RSA signature is the modulus minus one");
		goto out;
	}

	m = OPENSSL_malloc(k);
	em = OPENSSL_malloc(k);
	if (m == NULL || em == NULL) {
		ike_fail(err, errlen, "out of memory");
		goto out;
	}
	/* The raw RSA public operation: s^e mod n, k bytes. */
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (ctx == NULL || EVP_PKEY_verify_recover_init(ctx) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) <= 0) {
		ike_ossl_fail(err, errlen, "cannot set up RSA verification");
		goto out;
	}
	mlen = k;
	if (EVP_PKEY_verify_recover(ctx, m, &mlen, sig, siglen) <= 0) {
		ike_ossl_fail(err, errlen, "RSA public operation failed");
		goto out;
	}
	if (mlen != k) {
		ike_fail(err, errlen,
		     "RSA public operation gave %zu bytes, not %zu", mlen, k);
		goto out;
	}
	/* The only block accepted: EMSA-PKCS1-v1_5 with the hash in place
	 * of the DigestInfo (RFC 2409 section 5.1). */
	em[0] = 0x00;
	em[1] = 0x01;
	memset(em + 2, 0xff, k - 3 - hashlen);
	em[k - hashlen - 1] = 0x00;
	memcpy(em + k - hashlen, hash, hashlen);
	if (CRYPTO_memcmp(em, m, k) != 0) {
		explain_block(m, k, hashlen, err, errlen);
		goto out;
	}
	rc = 0;
out:
	if (m != NULL)
		OPENSSL_clear_free(m, k);
	if (em != NULL)
		OPENSSL_clear_free(em, k);
	EVP_PKEY_CTX_free(ctx);
	BN_free(n);
	BN_free(s);
	return rc;
}

/* ---- reading files -------------------------------------------------- */

/* Appends every PEM certificate of path to out; *count = how many. */
static int
read_pem_certs(const char *path, STACK_OF(X509) * out, size_t *count, char *err,
               size_t errlen)
{
	BIO *b;
	X509 *x;
	unsigned long e;
	int rc = -1;

	*count = 0;
	errno = 0;
	b = BIO_new_file(path, "r");
	if (b == NULL)
		return ike_fail(err, errlen, "%s: cannot open: %s", path,
		            errno != 0 ? strerror(errno) : "unknown error");
	for (;;) {
		ERR_clear_error();
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		if (x == NULL) {
			e = ERR_peek_last_error();
			if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
			    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
				break; /* end of the file */
			ike_ossl_fail(err, errlen,
			          "%s: certificate %zu is malformed", path,
			          *count + 1);
			goto out;
		}
		if (!sk_X509_push(out, x)) {
			X509_free(x);
			ike_fail(err, errlen, "out of memory");
			goto out;
		}
		(*count)++;
	}
	if (*count == 0) {
		ike_fail(err, errlen, "%s: no PEM certificate in the file", path);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(b);
	return rc;
}

/* Appends the CRLs of path: PEM (any number), or one DER CRL when
 * der_ok and the file is not PEM. */
static int
read_crls(const char *path, bool der_ok, STACK_OF(X509_CRL) * out, char *err,
          size_t errlen)
{
	BIO *b;
	X509_CRL *c;
	unsigned long e;
	size_t count = 0;
	char head[11] = "";
	int rc = -1, n;

	errno = 0;
	b = BIO_new_file(path, "rb");
	if (b == NULL)
		return ike_fail(err, errlen, "%s: cannot open: %s", path,
		            errno != 0 ? strerror(errno) : "unknown error");
	n = BIO_read(b, head, 10);
	head[n > 0 ? n : 0] = '\0';
	if (BIO_reset(b) < 0) {
		ike_ossl_fail(err, errlen, "%s: cannot read", path);
		goto out;
	}
	if (der_ok && strcmp(head, "-----BEGIN") != 0) {
		c = d2i_X509_CRL_bio(b, NULL);
		if (c == NULL) {
			ike_ossl_fail(err, errlen, "%s: not a PEM or DER CRL",
			          path);
			goto out;
		}
		if (!sk_X509_CRL_push(out, c)) {
			X509_CRL_free(c);
			ike_fail(err, errlen, "out of memory");
			goto out;
		}
		rc = 0;
		goto out;
	}
	for (;;) {
		ERR_clear_error();
		c = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
		if (c == NULL) {
			e = ERR_peek_last_error();
			if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
			    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
				break;
			ike_ossl_fail(err, errlen, "%s: CRL %zu is malformed", path,
			          count + 1);
			goto out;
		}
		if (!sk_X509_CRL_push(out, c)) {
			X509_CRL_free(c);
			ike_fail(err, errlen, "out of memory");
			goto out;
		}
		count++;
	}
	if (count == 0) {
		ike_fail(err, errlen, "%s: no PEM CRL in the file", path);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(b);
	return rc;
}

/* The entries of a directory, sorted by name; *n of them (callers skip
 * dot files and non-regular files).  A missing directory gives none. */
static int
list_dir(const char *dir, struct dirent ***names, int *n, bool *missing,
         char *err, size_t errlen)
{
	*names = NULL;
	*n = scandir(dir, names, NULL, alphasort);
	*missing = false;
	if (*n < 0) {
		*n = 0;
		*names = NULL;
		if (errno == ENOENT) {
			*missing = true;
			return 0;
		}
		return ike_fail(err, errlen, "%s: cannot read the directory: %s",
		            dir, strerror(errno));
	}
	return 0;
}

static void
free_list(struct dirent **names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* ---- the certificate directory --------------------------------------- */

struct ike_certdb {
	STACK_OF(X509) * cas;
	STACK_OF(X509_CRL) * crls;
	unsigned min_bits;
	char dir[PATH_MAX];
};

void
ike_cert_conf_default(struct ike_cert_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
}

static const char *
conf_dir(const struct ike_cert_conf *conf)
{
	return conf != NULL && conf->certdir != NULL ? conf->certdir
	                                             : IKE_CERT_DIR_DEFAULT;
}

static int
conf_local_cert(const struct ike_cert_conf *conf, char *buf, size_t len)
{
	if (conf != NULL && conf->local_cert != NULL) {
		if (strlen(conf->local_cert) >= len)
			return -1;
		strcpy(buf, conf->local_cert);
		return 0;
	}
	return join_path(buf, len, conf_dir(conf), IKE_CERT_LOCAL_NAME);
}

static const char *
conf_local_key(const struct ike_cert_conf *conf)
{
	return conf != NULL && conf->local_key != NULL ? conf->local_key
	                                               : IKE_CERT_KEY_DEFAULT;
}

/* CA certificates of one *.pem file; non-CA certificates dropped. */
static int
load_ca_file(struct ike_certdb *db, const char *path, char *err, size_t errlen)
{
	STACK_OF(X509) *tmp = sk_X509_new_null();
	X509 *x;
	size_t count;
	int rc = -1;

	if (tmp == NULL)
		return ike_fail(err, errlen, "out of memory");
	if (read_pem_certs(path, tmp, &count, err, errlen) < 0)
		goto out;
	while ((x = sk_X509_shift(tmp)) != NULL) {
		if (X509_check_ca(x) == 0) {
			X509_free(x);
			continue;
		}
		if (!sk_X509_push(db->cas, x)) {
			X509_free(x);
			ike_fail(err, errlen, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	sk_X509_pop_free(tmp, X509_free);
	ERR_clear_error();
	return rc;
}

static int
load_crl_dir(struct ike_certdb *db, const char *dir, char *err, size_t errlen)
{
	struct dirent **names;
	struct stat st;
	char path[PATH_MAX];
	bool missing;
	int n, i, rc = -1;

	if (list_dir(dir, &names, &n, &missing, err, errlen) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (name[0] == '.' ||
		    !(has_suffix(name, ".pem") || has_suffix(name, ".crl")))
			continue;
		if (join_path(path, sizeof(path), dir, name) < 0) {
			ike_fail(err, errlen, "%s/%s: path too long", dir, name);
			goto out;
		}
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (read_crls(path, true, db->crls, err, errlen) < 0)
			goto out;
	}
	rc = 0;
out:
	free_list(names, n);
	return rc;
}

struct ike_certdb *
ike_certdb_load(const struct ike_cert_conf *conf, char *err, size_t errlen)
{
	struct ike_certdb *db = NULL;
	struct dirent **names = NULL;
	struct stat st, local_st;
	char path[PATH_MAX], local[PATH_MAX];
	const char *dir = conf_dir(conf);
	bool missing, have_local = false;
	int n = 0, i;

	db = calloc(1, sizeof(*db));
	if (db == NULL) {
		ike_fail(err, errlen, "out of memory");
		return NULL;
	}
	db->min_bits = conf != NULL ? conf->min_rsa_bits : 0;
	db->cas = sk_X509_new_null();
	db->crls = sk_X509_CRL_new_null();
	if (db->cas == NULL || db->crls == NULL) {
		ike_fail(err, errlen, "out of memory");
		goto fail;
	}
	if (strlen(dir) >= sizeof(db->dir)) {
		ike_fail(err, errlen, "certificate directory path too long");
		goto fail;
	}
	strcpy(db->dir, dir);
	/* The local certificate may live in the directory: it (and the
	 * intermediates after it) are sent, not trusted. */
	if (conf_local_cert(conf, local, sizeof(local)) == 0 &&
	    stat(local, &local_st) == 0)
		have_local = true;

	if (list_dir(dir, &names, &n, &missing, err, errlen) < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (name[0] == '.' || !has_suffix(name, ".pem"))
			continue;
		if (join_path(path, sizeof(path), dir, name) < 0) {
			ike_fail(err, errlen, "%s/%s: path too long", dir, name);
			goto fail;
		}
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (has_suffix(name, ".crl.pem")) {
			if (read_crls(path, false, db->crls, err, errlen) < 0)
				goto fail;
			continue;
		}
		if (have_local && st.st_dev == local_st.st_dev &&
		    st.st_ino == local_st.st_ino)
			continue;
		if (load_ca_file(db, path, err, errlen) < 0)
			goto fail;
	}
	if (!missing) {
		if (join_path(path, sizeof(path), dir, "crls") < 0) {
			ike_fail(err, errlen, "%s/crls: path too long", dir);
			goto fail;
		}
		if (load_crl_dir(db, path, err, errlen) < 0)
			goto fail;
	}
	free_list(names, n);
	return db;
fail:
	free_list(names, n);
	ike_certdb_free(db);
	return NULL;
}

void
ike_certdb_free(struct ike_certdb *db)
{
	if (db == NULL)
		return;
	sk_X509_pop_free(db->cas, X509_free);
	sk_X509_CRL_pop_free(db->crls, X509_CRL_free);
	free(db);
}

size_t
ike_certdb_ca_count(const struct ike_certdb *db)
{
	return db != NULL ? (size_t)sk_X509_num(db->cas) : 0;
}

size_t
ike_certdb_crl_count(const struct ike_certdb *db)
{
	return db != NULL ? (size_t)sk_X509_CRL_num(db->crls) : 0;
}

const char *
ike_certdb_dir(const struct ike_certdb *db)
{
	return db != NULL ? db->dir : "";
}

/* ---- our certificate and key ----------------------------------------- */

struct ike_cred {
	EVP_PKEY *key;
	X509 *cert;
	unsigned min_bits;
	size_t ncerts;
	struct ike_span der[IKE_CERT_CHAIN_MAX];
	struct ike_span subject;
	char name[IKE_CERT_NAME_MAX];
};

/* Refuses encrypted keys: the file mode is what protects the key. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(bool *)u = true;
	return -1;
}

/*
 * Opens the key file and checks it on the descriptor (no window between
 * the check and the read): a regular file, no group/other bits, owned by
 * root or the effective user.  Reads it into a buffer that is wiped.
 */
static EVP_PKEY *
load_key(const char *path, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	BIO *b = NULL;
	uint8_t *buf = NULL;
	struct stat st;
	size_t len = 0, size = 0;
	ssize_t r;
	bool encrypted = false;
	uid_t me = geteuid();
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ike_fail(err, errlen, "private key %s: cannot open: %s", path,
		     strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		ike_fail(err, errlen, "private key %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ike_fail(err, errlen, "private key %s: not a regular file", path);
		goto out;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		ike_fail(err, errlen,
		     "private key %s: mode %04o gives access to group or "
		     "others; refused (chmod 600 %s)",
		     path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if (st.st_uid != 0 && st.st_uid != me) {
		ike_fail(err, errlen,
		     "private key %s: owned by uid %u; refused (it must "
		     "belong to root or to the service's user, uid %u)",
		     path, (unsigned)st.st_uid, (unsigned)me);
		goto out;
	}
	if (st.st_size <= 0 || st.st_size > KEY_FILE_MAX) {
		ike_fail(err, errlen,
		     "private key %s: size %lld is not that of a key file",
		     path, (long long)st.st_size);
		goto out;
	}
	size = (size_t)st.st_size;
	buf = OPENSSL_malloc(size);
	if (buf == NULL) {
		ike_fail(err, errlen, "out of memory");
		goto out;
	}
	while (len < size) {
		r = read(fd, buf + len, size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ike_fail(err, errlen, "private key %s: read failed: %s",
			     path, r < 0 ? strerror(errno) : "short file");
			goto out;
		}
		len += (size_t)r;
	}
	b = BIO_new_mem_buf(buf, (int)len);
	if (b == NULL) {
		ike_fail(err, errlen, "out of memory");
		goto out;
	}
	ERR_clear_error();
	key = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, &encrypted);
	if (key == NULL) {
		if (encrypted)
			ike_fail(err, errlen,
			     "private key %s: encrypted keys are not "
			     "supported (store it unencrypted, mode 0600)",
			     path);
		else
			ike_fail(err, errlen,
			     "private key %s: not a PEM private key", path);
	}
out:
	BIO_free(b);
	if (buf != NULL)
		OPENSSL_clear_free(buf, size);
	close(fd);
	ERR_clear_error();
	return key;
}

static int
span_dup_der(struct ike_span *s, X509 *x)
{
	unsigned char *p = NULL;
	int n = i2d_X509(x, &p);

	if (n <= 0)
		return -1;
	s->p = p;
	s->len = (size_t)n;
	return 0;
}

struct ike_cred *
ike_cred_load(const struct ike_cert_conf *conf, char *err, size_t errlen)
{
	struct ike_cred *c;
	STACK_OF(X509) *chain = NULL;
	const unsigned char *der;
	unsigned char *subj;
	char path[PATH_MAX], why[IKE_CERT_ERR_MAX];
	const char *keypath = conf_local_key(conf);
	size_t count, i, derlen;
	X509 *x;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		ike_fail(err, errlen, "out of memory");
		return NULL;
	}
	c->min_bits = conf != NULL ? conf->min_rsa_bits : 0;
	if (conf_local_cert(conf, path, sizeof(path)) < 0) {
		ike_fail(err, errlen, "local certificate path too long");
		goto fail;
	}
	chain = sk_X509_new_null();
	if (chain == NULL) {
		ike_fail(err, errlen, "out of memory");
		goto fail;
	}
	if (read_pem_certs(path, chain, &count, err, errlen) < 0)
		goto fail;
	if (count > IKE_CERT_CHAIN_MAX) {
		ike_fail(err, errlen,
		     "%s: %zu certificates; at most %d (ours and its "
		     "intermediates)",
		     path, count, IKE_CERT_CHAIN_MAX);
		goto fail;
	}
	for (i = 0; i < count; i++) {
		if (span_dup_der(&c->der[i], sk_X509_value(chain, (int)i)) <
		    0) {
			ike_ossl_fail(err, errlen, "%s: cannot encode certificate",
			          path);
			goto fail;
		}
		c->ncerts++;
	}
	c->cert = sk_X509_shift(chain);
	cert_name(c->cert, c->name, sizeof(c->name));
	if (!X509_NAME_get0_der(X509_get_subject_name(c->cert), &der,
	                        &derlen) ||
	    (subj = OPENSSL_memdup(der, derlen)) == NULL) {
		ike_ossl_fail(err, errlen, "%s: cannot encode the subject", path);
		goto fail;
	}
	c->subject.p = subj;
	c->subject.len = derlen;

	c->key = load_key(keypath, err, errlen);
	if (c->key == NULL)
		goto fail;
	if (ike_rsa_check_key(c->key, c->min_bits, why, sizeof(why)) < 0) {
		ike_fail(err, errlen, "private key %s: %s", keypath, why);
		goto fail;
	}
	if (X509_check_private_key(c->cert, c->key) != 1) {
		ike_fail(err, errlen,
		     "private key %s does not belong to the certificate of "
		     "%s (\"%s\")",
		     keypath, path, c->name);
		goto fail;
	}
	sk_X509_pop_free(chain, X509_free);
	return c;
fail:
	while (chain != NULL && (x = sk_X509_pop(chain)) != NULL)
		X509_free(x);
	sk_X509_free(chain);
	ike_cred_free(c);
	return NULL;
}

void
ike_cred_free(struct ike_cred *c)
{
	size_t i;

	if (c == NULL)
		return;
	EVP_PKEY_free(c->key);
	X509_free(c->cert);
	for (i = 0; i < c->ncerts; i++)
		OPENSSL_free((void *)(uintptr_t)c->der[i].p);
	OPENSSL_free((void *)(uintptr_t)c->subject.p);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

size_t
ike_cred_cert_count(const struct ike_cred *c)
{
	return c != NULL ? c->ncerts : 0;
}

struct ike_span
ike_cred_cert(const struct ike_cred *c, size_t i)
{
	struct ike_span none = {NULL, 0};

	return c != NULL && i < c->ncerts ? c->der[i] : none;
}

struct ike_span
ike_cred_subject(const struct ike_cred *c)
{
	struct ike_span none = {NULL, 0};

	return c != NULL ? c->subject : none;
}

const char *
ike_cred_name(const struct ike_cred *c)
{
	return c != NULL ? c->name : "";
}

size_t
ike_cred_sig_len(const struct ike_cred *c)
{
	int n = c != NULL ? EVP_PKEY_get_size(c->key) : 0;

	return n > 0 ? (size_t)n : 0;
}

int
ike_cred_sign(const struct ike_cred *c, const uint8_t *hash, size_t hashlen,
              uint8_t *sig, size_t sigmax, size_t *siglen, char *err,
              size_t errlen)
{
	if (c == NULL) {
		*siglen = 0;
		return ike_fail(err, errlen, "no local certificate and key");
	}
	return ike_rsa_sign(c->key, c->min_bits, hash, hashlen, sig, sigmax,
	                    siglen, err, errlen);
}

/* ---- subject names as rootca values -------------------------------- */

struct ava {
	char oid[AVA_OID_MAX]; /* dotted */
	char val[AVA_VAL_MAX]; /* canonical: see canon() */
};

struct dn {
	size_t n;
	struct ava a[DN_AVAS_MAX];
};

/* Canonical value: blanks trimmed, runs of blanks as one space, ASCII
 * letters in lower case.  -1 if it does not fit. */
static int
canon(const char *in, size_t len, char *out, size_t max)
{
	size_t i, o = 0;
	bool blank = false;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
			blank = o > 0;
			continue;
		}
		if (blank) {
			if (o + 1 >= max)
				return -1;
			out[o++] = ' ';
			blank = false;
		}
		if (o + 1 >= max)
			return -1;
		out[o++] = (char)ascii_lower(ch);
	}
	out[o] = '\0';
	return 0;
}

static int
obj_oid(const ASN1_OBJECT *obj, char *oid, size_t len)
{
	int n = OBJ_obj2txt(oid, (int)len, obj, 1);

	return n <= 0 || (size_t)n >= len ? -1 : 0;
}

/* A user's attribute type as a dotted OID. */
static int
type_oid(const char *type, char *oid, size_t len)
{
	static const struct {
		const char *alias;
		int nid;
	} aliases[] = {
	    {"E", NID_pkcs9_emailAddress},
	    {"EMAIL", NID_pkcs9_emailAddress},
	    {"EMAILADDRESS", NID_pkcs9_emailAddress},
	    {"S", NID_stateOrProvinceName},
	    {"SERIALNUMBER", NID_serialNumber},
	    {"STREET", NID_streetAddress},
	};
	char up[64];
	ASN1_OBJECT *obj = NULL;
	size_t i, n = strlen(type);
	int nid = NID_undef, rc;

	for (i = 0; i < NELEM(aliases); i++)
		if (strcasecmp(type, aliases[i].alias) == 0)
			nid = aliases[i].nid;
	if (nid == NID_undef)
		nid = OBJ_txt2nid(type);
	if (nid == NID_undef && n < sizeof(up)) {
		for (i = 0; i <= n; i++)
			up[i] = (char)(type[i] >= 'a' && type[i] <= 'z'
			                   ? type[i] - ('a' - 'A')
			                   : type[i]);
		nid = OBJ_sn2nid(up);
	}
	if (nid != NID_undef)
		obj = OBJ_nid2obj(nid);
	else
		obj = OBJ_txt2obj(type, 1); /* dotted only */
	rc = obj != NULL ? obj_oid(obj, oid, len) : -1;
	ASN1_OBJECT_free(obj);
	ERR_clear_error();
	return rc;
}

static bool
is_type_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_';
}

/* True if p (after a separator) starts with blanks, TYPE, blanks, '='. */
static bool
type_follows(const char *p)
{
	const char *q;

	while (*p == ' ' || *p == '\t')
		p++;
	for (q = p; is_type_char(*q); q++)
		;
	if (q == p)
		return false;
	while (*q == ' ' || *q == '\t')
		q++;
	return *q == '=';
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Parses a subject in one of the forms of ike_cert.h into dn. */
static int
dn_parse(const char *s, struct dn *dn, char *err, size_t errlen)
{
	const bool slash = s[0] == '/';
	const char *p = slash ? s + 1 : s;
	char type[64], raw[AVA_VAL_MAX];
	size_t t, v;

	dn->n = 0;
	for (;;) {
		struct ava *a;

		while (*p == ' ' || *p == '\t')
			p++;
		for (t = 0; is_type_char(*p); p++) {
			if (t + 1 >= sizeof(type))
				return ike_fail(err, errlen,
				            "attribute type too long");
			type[t++] = *p;
		}
		type[t] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (t == 0 || *p != '=')
			return ike_fail(err, errlen,
			            "expected TYPE=value at \"%.40s\"", p);
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		v = 0;
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\0')
					return ike_fail(err, errlen,
					            "unterminated quote");
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (v + 1 >= sizeof(raw))
					return ike_fail(err, errlen,
					            "value too long");
				raw[v++] = *p;
			}
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
		} else {
			for (; *p != '\0'; p++) {
				char ch = *p;
				int hi, lo;

				if ((ch == '+' || ch == (slash ? '/' : ',') ||
				     (!slash && ch == ';')) &&
				    type_follows(p + 1))
					break;
				if (ch == '\\' && p[1] != '\0') {
					hi = hexval(p[1]);
					lo = hi >= 0 ? hexval(p[2]) : -1;
					if (lo >= 0) {
						ch = (char)(hi << 4 | lo);
						p += 2;
					} else {
						ch = *++p;
					}
				}
				if (v + 1 >= sizeof(raw))
					return ike_fail(err, errlen,
					            "value too long");
				raw[v++] = ch;
			}
		}
		if (*p != '\0' && *p != '+' && *p != (slash ? '/' : ',') &&
		    (slash || *p != ';'))
			return ike_fail(err, errlen,
			            "unexpected text after a quoted value at "
			            "\"%.40s\"",
			            p);
		if (dn->n == DN_AVAS_MAX)
			return ike_fail(err, errlen, "more than %d attributes",
			            DN_AVAS_MAX);
		a = &dn->a[dn->n];
		if (type_oid(type, a->oid, sizeof(a->oid)) < 0)
			return ike_fail(err, errlen,
			            "unknown attribute type \"%s\"", type);
		if (canon(raw, v, a->val, sizeof(a->val)) < 0)
			return ike_fail(err, errlen, "value too long");
		dn->n++;
		if (*p == '\0')
			break;
		p++;
	}
	return 0;
}

/* A certificate name as a dn; -1 if some value cannot be represented
 * (then it matches nothing). */
static int
dn_of_name(const X509_NAME *nm, struct dn *dn)
{
	int i, cnt = X509_NAME_entry_count(nm), rc = -1;
	unsigned char *u = NULL;
	int ulen;

	dn->n = 0;
	if (cnt < 0 || cnt > DN_AVAS_MAX)
		return -1;
	for (i = 0; i < cnt; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
		struct ava *a = &dn->a[dn->n];

		if (obj_oid(X509_NAME_ENTRY_get_object(e), a->oid,
		            sizeof(a->oid)) < 0)
			goto out;
		ulen = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e));
		if (ulen < 0)
			goto out;
		if (canon((const char *)u, (size_t)ulen, a->val,
		          sizeof(a->val)) < 0)
			goto out;
		OPENSSL_free(u);
		u = NULL;
		dn->n++;
	}
	rc = 0;
out:
	OPENSSL_free(u);
	ERR_clear_error();
	return rc;
}

static bool
ava_eq(const struct ava *a, const struct ava *b)
{
	return strcmp(a->oid, b->oid) == 0 && strcmp(a->val, b->val) == 0;
}

/* Same attributes in the same order, or in reverse order (RFC 2253
 * strings list the most significant RDN last). */
static bool
dn_match(const struct dn *want, const struct dn *have)
{
	size_t i;
	bool fwd = true, rev = true;

	if (want->n != have->n || want->n == 0)
		return false;
	for (i = 0; i < want->n; i++) {
		fwd = fwd && ava_eq(&want->a[i], &have->a[i]);
		rev = rev && ava_eq(&want->a[i], &have->a[want->n - 1 - i]);
	}
	return fwd || rev;
}

/* ---- a rule's trust ------------------------------------------------- */

struct ike_trust {
	X509_STORE *store;
	STACK_OF(X509) * cas;
	STACK_OF(X509_CRL) * crls;
	unsigned min_bits;
	size_t ncr;
	struct ike_span *cr; /* DER subjects (owned), or empty */
};

/* Adds x to t->cas unless it is there; *idx = its index. */
static int
trust_add_ca(struct ike_trust *t, X509 *x, int *idx)
{
	int i;

	for (i = 0; i < sk_X509_num(t->cas); i++)
		if (X509_cmp(sk_X509_value(t->cas, i), x) == 0) {
			*idx = i;
			return 0;
		}
	if (sk_X509_num(t->cas) >= TRUST_CA_MAX)
		return -2;
	if (!X509_up_ref(x))
		return -1;
	if (!sk_X509_push(t->cas, x)) {
		X509_free(x);
		return -1;
	}
	*idx = sk_X509_num(t->cas) - 1;
	return 0;
}

static int
add_ca(struct ike_trust *t, X509 *x, int *idx, const char *ca, char *err,
       size_t errlen)
{
	switch (trust_add_ca(t, x, idx)) {
	case 0:
		return 0;
	case -2:
		return ike_fail(err, errlen,
		            "rootca \"%s\": more than %d root CAs in the rule",
		            ca, TRUST_CA_MAX);
	default:
		return ike_fail(err, errlen, "out of memory");
	}
}

/* The CA subjects of db, for an error: "A", "B", ... (and N more). */
static void
ca_hint(const struct ike_certdb *db, char *buf, size_t len)
{
	int i, n = sk_X509_num(db->cas);
	size_t o = 0;
	char name[IKE_CERT_NAME_MAX];

	buf[0] = '\0';
	if (n == 0) {
		snprintf(buf, len, "the directory %.200s has no CA certificate",
		         db->dir);
		return;
	}
	o = (size_t)snprintf(buf, len, "CAs in %.200s:", db->dir);
	for (i = 0; i < n && i < CR_HINT_MAX && o < len; i++) {
		cert_name(sk_X509_value(db->cas, i), name, sizeof(name));
		o += (size_t)snprintf(buf + o, len - o, "%s \"%s\"",
		                      i > 0 ? "," : "", name);
	}
	if (n > CR_HINT_MAX && o < len)
		snprintf(buf + o, len - o, " and %d more", n - CR_HINT_MAX);
}

/* Resolves one rootca value; marks the CAs it adds in want_cr[] unless
 * the entry excludes the CA name. */
static int
trust_resolve(struct ike_trust *t, const struct ike_certdb *db,
              const struct ike_rootca *rc, bool *want_cr, char *err,
              size_t errlen)
{
	STACK_OF(X509) *file = NULL;
	struct dn *want = NULL, *have = NULL;
	struct stat st;
	char path[PATH_MAX], why[IKE_CERT_ERR_MAX], hint[IKE_CERT_ERR_MAX];
	const char *ca = rc->ca;
	size_t count, found = 0;
	int i, idx, ret = -1;
	bool is_path;

	if (ca == NULL || ca[0] == '\0')
		return ike_fail(err, errlen, "rootca: empty CA");
	/* A path: no '=' at all, or a leading '/' naming a file that
	 * exists (otherwise "/C=US/..." is the slash form of a name). */
	is_path =
	    strchr(ca, '=') == NULL || (ca[0] == '/' && stat(ca, &st) == 0);
	if (is_path) {
		if (ca[0] == '/') {
			if (strlen(ca) >= sizeof(path))
				return ike_fail(err, errlen,
				            "rootca \"%s\": path too long", ca);
			strcpy(path, ca);
		} else if (join_path(path, sizeof(path), db->dir, ca) < 0) {
			return ike_fail(err, errlen, "rootca \"%s\": path too long",
			            ca);
		}
		file = sk_X509_new_null();
		if (file == NULL)
			return ike_fail(err, errlen, "out of memory");
		if (read_pem_certs(path, file, &count, why, sizeof(why)) < 0) {
			ike_fail(err, errlen, "rootca \"%s\": %s", ca, why);
			goto out;
		}
		for (i = 0; i < sk_X509_num(file); i++) {
			X509 *x = sk_X509_value(file, i);

			if (X509_check_ca(x) == 0) {
				cert_name(x, why, sizeof(why));
				ike_fail(err, errlen,
				     "rootca \"%s\": \"%s\" is not a CA "
				     "certificate",
				     ca, why);
				goto out;
			}
			if (add_ca(t, x, &idx, ca, err, errlen) < 0)
				goto out;
			want_cr[idx] = want_cr[idx] || !rc->excludecaname;
		}
		ret = 0;
		goto out;
	}

	want = calloc(1, sizeof(*want));
	have = calloc(1, sizeof(*have));
	if (want == NULL || have == NULL) {
		ike_fail(err, errlen, "out of memory");
		goto out;
	}
	if (dn_parse(ca, want, why, sizeof(why)) < 0) {
		ike_fail(err, errlen,
		     "rootca \"%s\": not a subject name or a file: %s", ca,
		     why);
		goto out;
	}
	for (i = 0; i < sk_X509_num(db->cas); i++) {
		X509 *x = sk_X509_value(db->cas, i);

		if (dn_of_name(X509_get_subject_name(x), have) < 0 ||
		    !dn_match(want, have))
			continue;
		if (add_ca(t, x, &idx, ca, err, errlen) < 0)
			goto out;
		want_cr[idx] = want_cr[idx] || !rc->excludecaname;
		found++;
	}
	if (found == 0) {
		ca_hint(db, hint, sizeof(hint));
		ike_fail(err, errlen,
		     "rootca \"%s\": no CA certificate with that subject (%s)",
		     ca, hint);
		goto out;
	}
	ret = 0;
out:
	sk_X509_pop_free(file, X509_free);
	free(want);
	free(have);
	ERR_clear_error();
	return ret;
}

struct ike_trust *
ike_trust_new(const struct ike_certdb *db, const struct ike_rootca *cas,
              size_t n, char *err, size_t errlen)
{
	struct ike_trust *t;
	bool want_cr[TRUST_CA_MAX], any_excluded = false;
	const unsigned char *der;
	size_t i, derlen;
	int k;

	if (db == NULL || n == 0) {
		ike_fail(err, errlen, "%s",
		     db == NULL ? "no certificate directory loaded"
		                : "no rootca entry");
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		ike_fail(err, errlen, "out of memory");
		return NULL;
	}
	t->min_bits = db->min_bits;
	t->cas = sk_X509_new_null();
	t->crls = sk_X509_CRL_new_null();
	t->store = X509_STORE_new();
	if (t->cas == NULL || t->crls == NULL || t->store == NULL) {
		ike_fail(err, errlen, "out of memory");
		goto fail;
	}
	memset(want_cr, 0, sizeof(want_cr));
	for (i = 0; i < n; i++) {
		if (trust_resolve(t, db, &cas[i], want_cr, err, errlen) < 0)
			goto fail;
		if (cas[i].excludecaname)
			any_excluded = true;
	}
	for (k = 0; k < sk_X509_num(t->cas); k++)
		if (!X509_STORE_add_cert(t->store, sk_X509_value(t->cas, k))) {
			ike_ossl_fail(err, errlen, "cannot build the trust store");
			goto fail;
		}
	for (k = 0; k < sk_X509_CRL_num(db->crls); k++) {
		X509_CRL *c = sk_X509_CRL_value(db->crls, k);

		if (!X509_CRL_up_ref(c)) {
			ike_fail(err, errlen, "out of memory");
			goto fail;
		}
		if (!sk_X509_CRL_push(t->crls, c)) {
			X509_CRL_free(c);
			ike_fail(err, errlen, "out of memory");
			goto fail;
		}
	}
	t->cr = calloc((size_t)sk_X509_num(t->cas) + 1, sizeof(*t->cr));
	if (t->cr == NULL) {
		ike_fail(err, errlen, "out of memory");
		goto fail;
	}
	for (k = 0; k < sk_X509_num(t->cas); k++) {
		const X509_NAME *nm;
		unsigned char *copy;
		size_t j;
		bool dup = false;

		if (!want_cr[k])
			continue;
		nm = X509_get_subject_name(sk_X509_value(t->cas, k));
		if (!X509_NAME_get0_der(nm, &der, &derlen)) {
			ike_ossl_fail(err, errlen, "cannot encode a CA name");
			goto fail;
		}
		/* Two certificates of one CA (renewed): one request. */
		for (j = 0; j < t->ncr; j++)
			dup = dup || (t->cr[j].len == derlen &&
			              memcmp(t->cr[j].p, der, derlen) == 0);
		if (dup)
			continue;
		copy = OPENSSL_memdup(der, derlen);
		if (copy == NULL) {
			ike_fail(err, errlen, "out of memory");
			goto fail;
		}
		t->cr[t->ncr].p = copy;
		t->cr[t->ncr].len = derlen;
		t->ncr++;
	}
	if (any_excluded)
		t->ncr++; /* the calloc'ed entry: no CA name */
	ERR_clear_error();
	return t;
fail:
	ike_trust_free(t);
	return NULL;
}

void
ike_trust_free(struct ike_trust *t)
{
	size_t i;

	if (t == NULL)
		return;
	X509_STORE_free(t->store);
	sk_X509_pop_free(t->cas, X509_free);
	sk_X509_CRL_pop_free(t->crls, X509_CRL_free);
	if (t->cr != NULL)
		for (i = 0; i < t->ncr; i++)
			OPENSSL_free((void *)(uintptr_t)t->cr[i].p);
	free(t->cr);
	free(t);
}

size_t
ike_trust_ca_count(const struct ike_trust *t)
{
	return t != NULL ? (size_t)sk_X509_num(t->cas) : 0;
}

void
ike_trust_ca_name(const struct ike_trust *t, size_t i, char *buf, size_t len)
{
	if (len == 0)
		return;
	buf[0] = '\0';
	if (t != NULL && i < (size_t)sk_X509_num(t->cas))
		cert_name(sk_X509_value(t->cas, (int)i), buf, len);
}

size_t
ike_trust_cr_count(const struct ike_trust *t)
{
	return t != NULL ? t->ncr : 0;
}

struct ike_span
ike_trust_cr(const struct ike_trust *t, size_t i)
{
	struct ike_span none = {NULL, 0};

	return t != NULL && i < t->ncr ? t->cr[i] : none;
}

/* "A", "B" (and N more): the rule's root CAs, for errors. */
static void
trust_hint(const struct ike_trust *t, char *buf, size_t len)
{
	int i, n = sk_X509_num(t->cas);
	size_t o = 0;
	char name[IKE_CERT_NAME_MAX];

	buf[0] = '\0';
	for (i = 0; i < n && i < CR_HINT_MAX && o < len; i++) {
		cert_name(sk_X509_value(t->cas, i), name, sizeof(name));
		o += (size_t)snprintf(buf + o, len - o, "%s\"%s\"",
		                      i > 0 ? ", " : "", name);
	}
	if (n > CR_HINT_MAX && o < len)
		snprintf(buf + o, len - o, " and %d more", n - CR_HINT_MAX);
}

/* ---- the peer ------------------------------------------------------- */

struct ike_peer {
	X509 *cert;
	EVP_PKEY *pub;
	unsigned min_bits;
	char name[IKE_CERT_NAME_MAX];
};

void
ike_peer_free(struct ike_peer *p)
{
	if (p == NULL)
		return;
	X509_free(p->cert);
	EVP_PKEY_free(p->pub);
	free(p);
}

const char *
ike_peer_name(const struct ike_peer *p)
{
	return p != NULL ? p->name : "";
}

enum ike_cert_status
ike_peer_verify_sig(const struct ike_peer *p, const uint8_t *hash,
                    size_t hashlen, const uint8_t *sig, size_t siglen,
                    char *err, size_t errlen)
{
	if (p == NULL) {
		ike_fail(err, errlen, "no verified peer certificate");
		return IKE_CS_INTERNAL;
	}
	if (ike_rsa_verify(p->pub, p->min_bits, hash, hashlen, sig, siglen, err,
	                   errlen) < 0)
		return IKE_CS_BAD_SIGNATURE;
	return IKE_CS_OK;
}

static enum ike_cert_status st_fail(enum ike_cert_status st, char *err,
                                    size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum ike_cert_status
st_fail(enum ike_cert_status st, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ike_fmt_err(err, errlen, NULL, fmt, ap);
	va_end(ap);
	ERR_clear_error();
	return st;
}

/* The certificate of one CERT payload: exactly one DER certificate. */
static enum ike_cert_status
parse_cert(const struct ike_cert *c, size_t i, X509 **out, char *err,
           size_t errlen)
{
	const unsigned char *p = c->data.p;
	X509 *x;

	*out = NULL;
	if (c->enc != IKE_CERT_X509_SIG)
		return st_fail(IKE_CS_ENCODING, err, errlen,
		               "CERT payload %zu: encoding %u (%s) is not "
		               "supported; only %u (%s)",
		               i + 1, c->enc, ike_cert_enc_name(c->enc),
		               IKE_CERT_X509_SIG,
		               ike_cert_enc_name(IKE_CERT_X509_SIG));
	if (c->data.p == NULL || c->data.len == 0 || c->data.len > LONG_MAX)
		return st_fail(IKE_CS_MALFORMED, err, errlen,
		               "CERT payload %zu: empty", i + 1);
	x = d2i_X509(NULL, &p, (long)c->data.len);
	if (x == NULL)
		return st_fail(IKE_CS_MALFORMED, err, errlen,
		               "CERT payload %zu: not a DER X.509 certificate",
		               i + 1);
	if ((size_t)(p - c->data.p) != c->data.len) {
		X509_free(x);
		return st_fail(IKE_CS_MALFORMED, err, errlen,
		               "CERT payload %zu: %zu bytes after the "
		               "certificate",
		               i + 1, c->data.len - (size_t)(p - c->data.p));
	}
	*out = x;
	return IKE_CS_OK;
}

/* Why X509_verify_cert() failed, naming the peer's certificate and,
 * when it is another one, the certificate where the chain broke. */
static enum ike_cert_status
chain_error(const struct ike_trust *t, X509_STORE_CTX *ctx, const char *ee,
            char *err, size_t errlen)
{
	int e = X509_STORE_CTX_get_error(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
	char name[IKE_CERT_NAME_MAX], at[IKE_CERT_NAME_MAX + 48];
	char nb[32], na[32], hint[IKE_CERT_ERR_MAX];
	const char *what = X509_verify_cert_error_string(e);

	at[0] = '\0';
	if (depth > 0) {
		if (cur != NULL)
			cert_name(cur, name, sizeof(name));
		else
			snprintf(name, sizeof(name), "?");
		snprintf(at, sizeof(at), " at \"%s\" (chain depth %d)", name,
		         depth);
	}
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
	case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
		time_str(cur != NULL ? X509_get0_notBefore(cur) : NULL, nb,
		         sizeof(nb));
		time_str(cur != NULL ? X509_get0_notAfter(cur) : NULL, na,
		         sizeof(na));
		return st_fail(IKE_CS_EXPIRED, err, errlen,
		               "certificate \"%s\"%s: %s (valid from %s until "
		               "%s)",
		               ee, at, what, nb, na);
	case X509_V_ERR_OUT_OF_MEM:
		return st_fail(IKE_CS_INTERNAL, err, errlen, "%s", what);
	default:
		trust_hint(t, hint, sizeof(hint));
		return st_fail(IKE_CS_UNTRUSTED, err, errlen,
		               "certificate \"%s\"%s: %s; the rule trusts %s",
		               ee, at, what, hint);
	}
}

/* A CRL with a critical extension we do not understand must not be used
 * (RFC 5280 section 5.2); a partitioned or delta CRL is not complete. */
static bool
crl_complete(X509_CRL *c, bool *usable)
{
	const STACK_OF(X509_EXTENSION) *exts = X509_CRL_get0_extensions(c);
	bool complete = true;
	int i;

	*usable = true;
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));

		switch (nid) {
		case NID_crl_number:
		case NID_authority_key_identifier:
		case NID_issuer_alt_name:
			break;
		case NID_issuing_distribution_point:
		case NID_delta_crl:
			complete = false;
			break;
		default:
			if (X509_EXTENSION_get_critical(ext))
				*usable = false;
			break;
		}
	}
	return complete && *usable;
}

/* strongcrlcheck over the verified chain (see ike_cert.h). */
static enum ike_cert_status
check_crls(const struct ike_trust *t, STACK_OF(X509) * chain, time_t now,
           int mode, char *err, size_t errlen)
{
	int i, j, n = sk_X509_num(chain);
	char name[IKE_CERT_NAME_MAX], iname[IKE_CERT_NAME_MAX], when[32];

	if (mode == IKE_CRL_CHECK_NONE)
		return IKE_CS_OK;
	/* The last certificate is the anchor: trusted by configuration. */
	for (i = 0; i + 1 < n; i++) {
		X509 *x = sk_X509_value(chain, i);
		X509 *issuer = sk_X509_value(chain, i + 1);
		EVP_PKEY *ikey = X509_get0_pubkey(issuer);
		const X509_NAME *iss = X509_get_issuer_name(x);
		bool current = false, seen = false, expired = false;
		bool badsig = false, usable;

		for (j = 0; j < sk_X509_CRL_num(t->crls); j++) {
			X509_CRL *c = sk_X509_CRL_value(t->crls, j);
			const ASN1_TIME *last = X509_CRL_get0_lastUpdate(c);
			const ASN1_TIME *next = X509_CRL_get0_nextUpdate(c);
			X509_REVOKED *rev = NULL;
			bool complete;

			if (X509_NAME_cmp(X509_CRL_get_issuer(c), iss) != 0)
				continue;
			/* Only CRLs really signed by this issuer count. */
			if (ikey == NULL || X509_CRL_verify(c, ikey) != 1) {
				ERR_clear_error();
				badsig = true;
				continue;
			}
			complete = crl_complete(c, &usable);
			if (!usable)
				continue;
			seen = true;
			if (X509_CRL_get0_by_cert(c, &rev, x) == 1) {
				cert_name(x, name, sizeof(name));
				cert_name(issuer, iname, sizeof(iname));
				time_str(X509_REVOKED_get0_revocationDate(rev),
				         when, sizeof(when));
				return st_fail(IKE_CS_REVOKED, err, errlen,
				               "certificate \"%s\" was revoked "
				               "on %s (CRL of \"%s\")",
				               name, when, iname);
			}
			if (last != NULL && X509_cmp_time(last, &now) < 0 &&
			    next != NULL && X509_cmp_time(next, &now) > 0) {
				current = current || complete;
			} else {
				expired = true;
			}
		}
		if (mode == IKE_CRL_CHECK_STRICT && !current) {
			cert_name(x, name, sizeof(name));
			cert_name(issuer, iname, sizeof(iname));
			return st_fail(
			    IKE_CS_NO_CRL, err, errlen,
			    "no current CRL of \"%s\" to check \"%s\" "
			    "(strongcrlcheck 2: %s)",
			    iname, name,
			    seen     ? (expired ? "the CRL has expired or is "
			                          "not yet valid"
			                        : "the CRL is partial or a "
			                          "delta CRL")
			    : badsig ? "a CRL in its name is not signed by it"
			             : "none in the certificate directory");
		}
	}
	ERR_clear_error();
	return IKE_CS_OK;
}

/* rfc822Name: local part exact, domain ASCII-case-insensitive. */
static bool
email_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	const uint8_t *at = memchr(a, '@', n);
	size_t local = at != NULL ? (size_t)(at - a) : n;

	return memcmp(a, b, local) == 0 &&
	       ascii_caseeq(a + local, b + local, n - local);
}

/* The subjectAltName entries of x, for a mismatch message. */
static void
san_list(X509 *x, char *buf, size_t len)
{
	GENERAL_NAMES *gens =
	    X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	char one[80], addr[INET6_ADDRSTRLEN];
	size_t o = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens) && i < 6;
	     i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *s;

		one[0] = '\0';
		switch (g->type) {
		case GEN_DNS:
		case GEN_EMAIL:
			s = g->type == GEN_DNS ? g->d.dNSName : g->d.rfc822Name;
			safe_str(ASN1_STRING_get0_data(s),
			         (size_t)ASN1_STRING_length(s), addr,
			         sizeof(addr));
			snprintf(one, sizeof(one), "%s:%s",
			         g->type == GEN_DNS ? "DNS" : "email", addr);
			break;
		case GEN_IPADD:
			s = g->d.iPAddress;
			if (ASN1_STRING_length(s) == 4 ||
			    ASN1_STRING_length(s) == 16)
				inet_ntop(ASN1_STRING_length(s) == 4 ? AF_INET
				                                     : AF_INET6,
				          ASN1_STRING_get0_data(s), addr,
				          sizeof(addr));
			else
				snprintf(addr, sizeof(addr), "?");
			snprintf(one, sizeof(one), "IP:%s", addr);
			break;
		default:
			continue;
		}
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
			                      o > 0 ? ", " : "", one);
	}
	if (o == 0)
		snprintf(buf, len, "none");
	GENERAL_NAMES_free(gens);
	ERR_clear_error();
}

/* The peer's ID payload against its certificate (see ike_cert.h). */
static enum ike_cert_status
check_id(X509 *x, const struct ike_id *id, char *err, size_t errlen)
{
	GENERAL_NAMES *gens = NULL;
	const unsigned char *der, *p;
	size_t derlen;
	char idtxt[IKE_CERT_NAME_MAX], subj[IKE_CERT_NAME_MAX];
	char sans[IKE_CERT_ERR_MAX / 2];
	enum ike_cert_status st = IKE_CS_ID_MISMATCH;
	X509_NAME *idn;
	int want = -1, i;

	cert_name(x, subj, sizeof(subj));
	switch (id->type) {
	case IKE_ID_DER_ASN1_DN:
		if (!X509_NAME_get0_der(X509_get_subject_name(x), &der,
		                        &derlen))
			return st_fail(IKE_CS_INTERNAL, err, errlen,
			               "cannot encode a subject");
		if (id->data.p != NULL && id->data.len == derlen &&
		    memcmp(id->data.p, der, derlen) == 0)
			return IKE_CS_OK;
		/* For the message only; hostile lengths end up here
		 * (CVE-2013-6075 class) and are just called malformed. */
		idtxt[0] = '\0';
		p = id->data.p;
		idn = id->data.p != NULL && id->data.len <= LONG_MAX
		          ? d2i_X509_NAME(NULL, &p, (long)id->data.len)
		          : NULL;
		if (idn != NULL && (size_t)(p - id->data.p) == id->data.len)
			name_str(idn, idtxt, sizeof(idtxt));
		X509_NAME_free(idn);
		ERR_clear_error();
		if (idtxt[0] == '\0')
			return st_fail(IKE_CS_ID_MISMATCH, err, errlen,
			               "ID_DER_ASN1_DN of %zu bytes is not a "
			               "DER name; the certificate is \"%s\"",
			               id->data.len, subj);
		return st_fail(IKE_CS_ID_MISMATCH, err, errlen,
		               "ID_DER_ASN1_DN \"%s\" is not the subject "
		               "\"%s\" of the certificate",
		               idtxt, subj);
	case IKE_ID_FQDN:
		want = GEN_DNS;
		break;
	case IKE_ID_USER_FQDN:
		want = GEN_EMAIL;
		break;
	case IKE_ID_IPV4_ADDR:
	case IKE_ID_IPV6_ADDR:
		want = GEN_IPADD;
		break;
	default:
		return st_fail(IKE_CS_ID_MISMATCH, err, errlen,
		               "ID type %s cannot name a certificate (use "
		               "ID_DER_ASN1_DN, ID_FQDN, ID_USER_FQDN, "
		               "ID_IPV4_ADDR or ID_IPV6_ADDR)",
		               ike_id_type_name(id->type));
	}
	if (id->data.p == NULL || id->data.len == 0 ||
	    (id->type == IKE_ID_IPV4_ADDR && id->data.len != 4) ||
	    (id->type == IKE_ID_IPV6_ADDR && id->data.len != 16))
		return st_fail(IKE_CS_ID_MISMATCH, err, errlen,
		               "%s of %zu bytes is malformed",
		               ike_id_type_name(id->type), id->data.len);
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *s;
		const uint8_t *d;
		size_t n;

		if (g->type != want)
			continue;
		s = want == GEN_DNS     ? g->d.dNSName
		    : want == GEN_EMAIL ? g->d.rfc822Name
		                        : g->d.iPAddress;
		d = ASN1_STRING_get0_data(s);
		n = (size_t)ASN1_STRING_length(s);
		if (n != id->data.len)
			continue;
		if ((want == GEN_DNS && ascii_caseeq(d, id->data.p, n)) ||
		    (want == GEN_EMAIL && email_eq(d, id->data.p, n)) ||
		    (want == GEN_IPADD && memcmp(d, id->data.p, n) == 0)) {
			st = IKE_CS_OK;
			break;
		}
	}
	GENERAL_NAMES_free(gens);
	ERR_clear_error();
	if (st == IKE_CS_OK)
		return st;
	if (want == GEN_IPADD)
		inet_ntop(id->type == IKE_ID_IPV4_ADDR ? AF_INET : AF_INET6,
		          id->data.p, idtxt, sizeof(idtxt));
	else
		safe_str(id->data.p, id->data.len, idtxt, sizeof(idtxt));
	san_list(x, sans, sizeof(sans));
	return st_fail(IKE_CS_ID_MISMATCH, err, errlen,
	               "%s \"%s\" is not in the subjectAltName of \"%s\" "
	               "(%s)",
	               ike_id_type_name(id->type), idtxt, subj, sans);
}

enum ike_cert_status
ike_trust_verify(const struct ike_trust *t, const struct ike_cert *certs,
                 size_t ncerts, const struct ike_id *id, time_t now,
                 int crlcheck, struct ike_peer **peer, char *err, size_t errlen)
{
	STACK_OF(X509) *untrusted = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_VERIFY_PARAM *param;
	X509 *ee = NULL, *x;
	struct ike_peer *p = NULL;
	enum ike_cert_status st = IKE_CS_INTERNAL;
	char why[IKE_CERT_ERR_MAX], name[IKE_CERT_NAME_MAX];
	uint32_t ku;
	size_t i;

	if (peer == NULL)
		return st_fail(IKE_CS_INTERNAL, err, errlen, "no peer pointer");
	*peer = NULL;
	if (t == NULL || id == NULL)
		return st_fail(IKE_CS_INTERNAL, err, errlen,
		               "no trust or no peer ID to verify against");
	if (crlcheck < IKE_CRL_CHECK_NONE || crlcheck > IKE_CRL_CHECK_STRICT)
		return st_fail(IKE_CS_INTERNAL, err, errlen,
		               "strongcrlcheck %d is not 0, 1 or 2", crlcheck);
	if (ncerts == 0 || certs == NULL)
		return st_fail(IKE_CS_NO_CERT, err, errlen,
		               "the peer sent no certificate");
	if (ncerts > IKE_CERT_CHAIN_MAX)
		return st_fail(IKE_CS_MALFORMED, err, errlen,
		               "the peer sent %zu certificates; at most %d",
		               ncerts, IKE_CERT_CHAIN_MAX);

	st = parse_cert(&certs[0], 0, &ee, err, errlen);
	if (st != IKE_CS_OK)
		goto out;
	untrusted = sk_X509_new_null();
	if (untrusted == NULL) {
		st = st_fail(IKE_CS_INTERNAL, err, errlen, "out of memory");
		goto out;
	}
	for (i = 1; i < ncerts; i++) {
		st = parse_cert(&certs[i], i, &x, err, errlen);
		if (st != IKE_CS_OK)
			goto out;
		if (!sk_X509_push(untrusted, x)) {
			X509_free(x);
			st = st_fail(IKE_CS_INTERNAL, err, errlen,
			             "out of memory");
			goto out;
		}
	}

	cert_name(ee, name, sizeof(name));
	if (ike_rsa_check_key(X509_get0_pubkey(ee), t->min_bits, why,
	                      sizeof(why)) < 0) {
		st = st_fail(IKE_CS_BAD_KEY, err, errlen,
		             "certificate \"%s\": %s", name, why);
		goto out;
	}
	ku = X509_get_key_usage(ee);
	if (ku != UINT32_MAX &&
	    (ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
		st = st_fail(IKE_CS_BAD_KEY, err, errlen,
		             "certificate \"%s\": its key usage does not "
		             "allow signatures",
		             name);
		goto out;
	}

	ctx = X509_STORE_CTX_new();
	if (ctx == NULL || !X509_STORE_CTX_init(ctx, t->store, ee, untrusted)) {
		st = st_fail(IKE_CS_INTERNAL, err, errlen,
		             "cannot set up chain verification");
		goto out;
	}
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, now);
	X509_VERIFY_PARAM_set_depth(param, IKE_CERT_CHAIN_MAX);
	/* Any root CA of the rule is an anchor, self-signed or not; the
	 * store holds nothing else. */
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
	if (X509_verify_cert(ctx) != 1) {
		st = chain_error(t, ctx, name, err, errlen);
		goto out;
	}
	st = check_crls(t, X509_STORE_CTX_get0_chain(ctx), now, crlcheck, err,
	                errlen);
	if (st != IKE_CS_OK)
		goto out;
	st = check_id(ee, id, err, errlen);
	if (st != IKE_CS_OK)
		goto out;

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		st = st_fail(IKE_CS_INTERNAL, err, errlen, "out of memory");
		goto out;
	}
	p->cert = ee;
	ee = NULL;
	p->pub = X509_get_pubkey(p->cert);
	p->min_bits = t->min_bits;
	memcpy(p->name, name, sizeof(p->name));
	if (p->pub == NULL) {
		ike_peer_free(p);
		p = NULL;
		st = st_fail(IKE_CS_INTERNAL, err, errlen,
		             "cannot get the certificate's key");
		goto out;
	}
	*peer = p;
	st = IKE_CS_OK;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(ee);
	ERR_clear_error();
	return st;
}
