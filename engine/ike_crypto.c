/*
 * ike_crypto.c - IKEv1 key derivation, message encryption and
 * Diffie-Hellman on OpenSSL 3 (RFC 2409, 3526, 5903, 7748; see
 * ike_crypto.h for the contracts).
 *
 * Every OpenSSL object is fetched and freed per call: nothing global,
 * so the functions are safe from any thread.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include "ike_crypto.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Most seed pieces ike_expand() takes (KEYMAT uses five). */
#define EXPAND_MAX_PARTS 8

void
ike_fmt_err(char *err, size_t errlen, const char *reason, const char *fmt,
        va_list ap)
{
	int n;

	if (err == NULL || errlen == 0)
		return;
	n = vsnprintf(err, errlen, fmt, ap);
	if (reason != NULL && n >= 0 && (size_t)n < errlen)
		snprintf(err + n, errlen - (size_t)n, " (%s)", reason);
}

/* -1 with the message; OpenSSL's error queue is emptied so that stale
 * entries never end up in a later message. */
int
ike_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ike_fmt_err(err, errlen, NULL, fmt, ap);
	va_end(ap);
	ERR_clear_error();
	return -1;
}

/* The same after a failed OpenSSL call, with OpenSSL's reason. */
int
ike_ossl_fail(char *err, size_t errlen, const char *fmt, ...)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;
	va_list ap;

	va_start(ap, fmt);
	ike_fmt_err(err, errlen, reason, fmt, ap);
	va_end(ap);
	ERR_clear_error();
	return -1;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- algorithm tables ----------------------------------------------- */

struct hash_info {
	int id;
	const char *name;
	const char *ossl;
	size_t len;
};

static const struct hash_info hashes[] = {
#define X(id, val, name, ossl, len) {val, name, ossl, len},
    IKE_HASH_LIST(X)
#undef X
};

struct encr_info {
	int id;
	const char *name;
	size_t block;
};

static const struct encr_info encrs[] = {
#define X(id, val, name, block) {val, name, block},
    IKE_ENCR_LIST(X)
#undef X
};

enum dh_kind { DH_MODP, DH_ECP, DH_X25519 };

struct dh_info {
	int id;
	const char *name;
	enum dh_kind kind;
	size_t publen;
	size_t seclen;
	const char *ossl;
};

static const struct dh_info dhs[] = {
#define X(id, val, name, kind, publen, seclen, ossl)                           \
	{val, name, DH_##kind, publen, seclen, ossl},
    IKE_DH_LIST(X)
#undef X
};

/*
 * The two RFC 2409 primes OpenSSL has no name for (§6.1 First Oakley
 * Group, §6.2 Second Oakley Group), generator 2:
 *   2^768 - 2^704 - 1 + 2^64 * { [2^638 pi] + 149686 }
 *   2^1024 - 2^960 - 1 + 2^64 * { [2^894 pi] + 129093 }
 */
static const char modp768_p[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
    "E485B576625E7EC6F44C42E9A63A3620FFFFFFFFFFFFFFFF";
static const char modp1024_p[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"
    "FFFFFFFFFFFFFFFF";

static const char *
modp_prime_hex(int group)
{
	switch (group) {
	case IKE_DH_MODP768:
		return modp768_p;
	case IKE_DH_MODP1024:
		return modp1024_p;
	default:
		return NULL;
	}
}

static const struct hash_info *
hash_find(int hash)
{
	size_t i;

	for (i = 0; i < NELEM(hashes); i++)
		if (hashes[i].id == hash)
			return &hashes[i];
	return NULL;
}

static const struct encr_info *
encr_find(int encr)
{
	size_t i;

	for (i = 0; i < NELEM(encrs); i++)
		if (encrs[i].id == encr)
			return &encrs[i];
	return NULL;
}

static const struct dh_info *
dh_find(int group)
{
	size_t i;

	for (i = 0; i < NELEM(dhs); i++)
		if (dhs[i].id == group)
			return &dhs[i];
	return NULL;
}

const char *
ike_hash_name(int hash)
{
	const struct hash_info *h = hash_find(hash);

	return h != NULL ? h->name : "?";
}

const char *
ike_encr_name(int encr)
{
	const struct encr_info *e = encr_find(encr);

	return e != NULL ? e->name : "?";
}

const char *
ike_dh_group_name(int group)
{
	const struct dh_info *d = dh_find(group);

	return d != NULL ? d->name : "?";
}

size_t
ike_hash_len(int hash)
{
	const struct hash_info *h = hash_find(hash);

	return h != NULL ? h->len : 0;
}

/* ---- hash and PRF --------------------------------------------------- */

int
ike_digest(enum ike_hash hash, const struct ike_chunk *parts, size_t nparts,
           uint8_t *out, char *err, size_t errlen)
{
	const struct hash_info *hi = hash_find((int)hash);
	EVP_MD *md = NULL;
	EVP_MD_CTX *ctx = NULL;
	unsigned int outl = 0;
	size_t i;
	int rc = -1;

	if (hi == NULL)
		return ike_fail(err, errlen, "unsupported hash algorithm %d",
		            (int)hash);
	md = EVP_MD_fetch(NULL, hi->ossl, NULL);
	ctx = EVP_MD_CTX_new();
	if (md == NULL || ctx == NULL || !EVP_DigestInit_ex2(ctx, md, NULL)) {
		ike_ossl_fail(err, errlen, "%s: cannot set up the digest",
		          hi->name);
		goto out;
	}
	for (i = 0; i < nparts; i++) {
		if (parts[i].len > 0 &&
		    !EVP_DigestUpdate(ctx, parts[i].ptr, parts[i].len)) {
			ike_ossl_fail(err, errlen, "%s: digest failed", hi->name);
			goto out;
		}
	}
	if (!EVP_DigestFinal_ex(ctx, out, &outl) || outl != hi->len) {
		ike_ossl_fail(err, errlen, "%s: digest failed", hi->name);
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return rc;
}

int
ike_prf(enum ike_hash hash, const uint8_t *key, size_t keylen,
        const struct ike_chunk *parts, size_t nparts, uint8_t *out, char *err,
        size_t errlen)
{
	static const uint8_t nokey[1];
	const struct hash_info *hi = hash_find((int)hash);
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	char mdname[16];
	size_t outl = 0, i;
	int rc = -1;

	if (hi == NULL)
		return ike_fail(err, errlen, "unsupported hash algorithm %d",
		            (int)hash);
	/* OSSL_PARAM wants a writable string; the table is const. */
	snprintf(mdname, sizeof(mdname), "%s", hi->ossl);
	params[0] =
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, mdname, 0);
	params[1] = OSSL_PARAM_construct_end();
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	/* A NULL key would mean "keep the previous key" to EVP_MAC_init. */
	if (ctx == NULL ||
	    !EVP_MAC_init(ctx, keylen > 0 ? key : nokey, keylen, params)) {
		ike_ossl_fail(err, errlen, "HMAC-%s: cannot set up the PRF",
		          hi->name);
		goto out;
	}
	for (i = 0; i < nparts; i++) {
		if (parts[i].len > 0 &&
		    !EVP_MAC_update(ctx, parts[i].ptr, parts[i].len)) {
			ike_ossl_fail(err, errlen, "HMAC-%s failed", hi->name);
			goto out;
		}
	}
	if (!EVP_MAC_final(ctx, out, &outl, hi->len) || outl != hi->len) {
		ike_ossl_fail(err, errlen, "HMAC-%s failed", hi->name);
		OPENSSL_cleanse(out, hi->len);
		goto out;
	}
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

/* ---- phase 1 keys ---------------------------------------------------- */

void
ike_keys_clear(struct ike_keys *k)
{
	if (k != NULL)
		OPENSSL_cleanse(k, sizeof(*k));
}

/* Starts *k for hash; -1 (and *k wiped) if the hash is unsupported. */
static int
keys_start(struct ike_keys *k, enum ike_hash hash, char *err, size_t errlen)
{
	size_t len = ike_hash_len((int)hash);

	ike_keys_clear(k);
	if (len == 0)
		return ike_fail(err, errlen, "unsupported hash algorithm %d",
		            (int)hash);
	k->hash = hash;
	k->len = len;
	return 0;
}

/* A struct ike_keys filled by the caller must be consistent. */
static int
keys_check(const struct ike_keys *k, char *err, size_t errlen)
{
	size_t len = ike_hash_len((int)k->hash);

	if (len == 0 || k->len != len)
		return ike_fail(err, errlen,
		            "phase 1 keys for hash %d have length %zu",
		            (int)k->hash, k->len);
	return 0;
}

int
ike_skeyid_psk(struct ike_keys *k, enum ike_hash hash, const uint8_t *psk,
               size_t psklen, const uint8_t *ni_b, size_t nilen,
               const uint8_t *nr_b, size_t nrlen, char *err, size_t errlen)
{
	const struct ike_chunk parts[] = {{ni_b, nilen}, {nr_b, nrlen}};

	if (keys_start(k, hash, err, errlen) < 0)
		return -1;
	if (ike_prf(hash, psk, psklen, parts, NELEM(parts), k->skeyid, err,
	            errlen) < 0) {
		ike_keys_clear(k);
		return -1;
	}
	return 0;
}

int
ike_skeyid_sig(struct ike_keys *k, enum ike_hash hash, const uint8_t *ni_b,
               size_t nilen, const uint8_t *nr_b, size_t nrlen,
               const uint8_t *gxy, size_t gxylen, char *err, size_t errlen)
{
	const struct ike_chunk part = {gxy, gxylen};
	uint8_t *key = NULL;
	size_t keylen = nilen + nrlen;
	int rc = -1;

	if (keys_start(k, hash, err, errlen) < 0)
		return -1;
	/* The PRF key is Ni_b | Nr_b; +1 keeps malloc(0) out of the way. */
	if (keylen < nilen || keylen + 1 == 0) {
		ike_keys_clear(k);
		return ike_fail(err, errlen, "nonces too long");
	}
	key = malloc(keylen + 1);
	if (key == NULL) {
		ike_keys_clear(k);
		return ike_fail(err, errlen, "out of memory");
	}
	if (nilen > 0)
		memcpy(key, ni_b, nilen);
	if (nrlen > 0)
		memcpy(key + nilen, nr_b, nrlen);
	if (ike_prf(hash, key, keylen, &part, 1, k->skeyid, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(key, keylen);
	free(key);
	if (rc < 0)
		ike_keys_clear(k);
	return rc;
}

int
ike_skeyid_derive(struct ike_keys *k, const uint8_t *gxy, size_t gxylen,
                  const uint8_t cky_i[IKE_COOKIE_LEN],
                  const uint8_t cky_r[IKE_COOKIE_LEN], char *err, size_t errlen)
{
	static const uint8_t n0 = 0, n1 = 1, n2 = 2;
	struct ike_chunk parts[5];

	if (keys_check(k, err, errlen) < 0)
		goto fail;
	if (gxylen == 0) {
		ike_fail(err, errlen, "empty g^xy");
		goto fail;
	}
	/* SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0) */
	parts[0] = (struct ike_chunk){gxy, gxylen};
	parts[1] = (struct ike_chunk){cky_i, IKE_COOKIE_LEN};
	parts[2] = (struct ike_chunk){cky_r, IKE_COOKIE_LEN};
	parts[3] = (struct ike_chunk){&n0, 1};
	if (ike_prf(k->hash, k->skeyid, k->len, parts, 4, k->skeyid_d, err,
	            errlen) < 0)
		goto fail;
	/* SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1) */
	parts[0] = (struct ike_chunk){k->skeyid_d, k->len};
	parts[1] = (struct ike_chunk){gxy, gxylen};
	parts[2] = (struct ike_chunk){cky_i, IKE_COOKIE_LEN};
	parts[3] = (struct ike_chunk){cky_r, IKE_COOKIE_LEN};
	parts[4] = (struct ike_chunk){&n1, 1};
	if (ike_prf(k->hash, k->skeyid, k->len, parts, 5, k->skeyid_a, err,
	            errlen) < 0)
		goto fail;
	/* SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2) */
	parts[0] = (struct ike_chunk){k->skeyid_a, k->len};
	parts[4] = (struct ike_chunk){&n2, 1};
	if (ike_prf(k->hash, k->skeyid, k->len, parts, 5, k->skeyid_e, err,
	            errlen) < 0)
		goto fail;
	return 0;
fail:
	ike_keys_clear(k);
	return -1;
}

int
ike_appendix_b(enum ike_hash hash, const uint8_t *skeyid_e, size_t elen,
               uint8_t *key, size_t keylen, char *err, size_t errlen)
{
	static const uint8_t zero = 0;
	uint8_t k[IKE_HASH_MAX_LEN];
	struct ike_chunk prev = {&zero, 1};
	size_t hlen = ike_hash_len((int)hash), off = 0, n;

	if (hlen == 0)
		return ike_fail(err, errlen, "unsupported hash algorithm %d",
		            (int)hash);
	if (keylen == 0 || elen == 0)
		return ike_fail(err, errlen, "empty key or SKEYID_e");
	if (elen >= keylen) {
		memcpy(key, skeyid_e, keylen);
		return 0;
	}
	/* K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1) */
	while (off < keylen) {
		if (ike_prf(hash, skeyid_e, elen, &prev, 1, k, err, errlen) <
		    0) {
			OPENSSL_cleanse(key, keylen);
			OPENSSL_cleanse(k, sizeof(k));
			return -1;
		}
		n = keylen - off < hlen ? keylen - off : hlen;
		memcpy(key + off, k, n);
		off += n;
		prev = (struct ike_chunk){k, hlen};
	}
	OPENSSL_cleanse(k, sizeof(k));
	return 0;
}

int
ike_expand(enum ike_hash hash, const uint8_t *key, size_t keylen,
           const struct ike_chunk *seed, size_t nseed, uint8_t *out,
           size_t outlen, char *err, size_t errlen)
{
	struct ike_chunk parts[EXPAND_MAX_PARTS + 1];
	uint8_t k[IKE_HASH_MAX_LEN];
	size_t hlen = ike_hash_len((int)hash), off = 0, n, first = 1;
	int rc = -1;

	if (hlen == 0)
		return ike_fail(err, errlen, "unsupported hash algorithm %d",
		            (int)hash);
	if (nseed > EXPAND_MAX_PARTS)
		return ike_fail(err, errlen, "too many seed pieces (%zu)", nseed);
	/* parts[0] is Kn-1, left out of K1. */
	if (nseed > 0)
		memcpy(parts + 1, seed, nseed * sizeof(*seed));
	while (off < outlen) {
		if (ike_prf(hash, key, keylen, parts + first, nseed + 1 - first,
		            k, err, errlen) < 0)
			goto out;
		n = outlen - off < hlen ? outlen - off : hlen;
		memcpy(out + off, k, n);
		off += n;
		parts[0] = (struct ike_chunk){k, hlen};
		first = 0;
	}
	rc = 0;
out:
	OPENSSL_cleanse(k, sizeof(k));
	if (rc < 0)
		OPENSSL_cleanse(out, outlen);
	return rc;
}

/* ---- IVs ------------------------------------------------------------- */

static int
iv_from_hash(enum ike_hash hash, const struct ike_chunk *parts, size_t nparts,
             uint8_t *iv, size_t blocklen, char *err, size_t errlen)
{
	uint8_t h[IKE_HASH_MAX_LEN];
	size_t hlen = ike_hash_len((int)hash);

	if (hlen == 0)
		return ike_fail(err, errlen, "unsupported hash algorithm %d",
		            (int)hash);
	if (blocklen == 0 || blocklen > hlen)
		return ike_fail(err, errlen, "%s cannot make a %zu-byte IV",
		            ike_hash_name((int)hash), blocklen);
	if (ike_digest(hash, parts, nparts, h, err, errlen) < 0)
		return -1;
	memcpy(iv, h, blocklen);
	return 0;
}

int
ike_iv_phase1(enum ike_hash hash, const uint8_t *gxi, size_t gxilen,
              const uint8_t *gxr, size_t gxrlen, uint8_t *iv, size_t blocklen,
              char *err, size_t errlen)
{
	const struct ike_chunk parts[] = {{gxi, gxilen}, {gxr, gxrlen}};

	return iv_from_hash(hash, parts, NELEM(parts), iv, blocklen, err,
	                    errlen);
}

int
ike_iv_phase2(enum ike_hash hash, const uint8_t *last_block, size_t blocklen,
              uint32_t msgid, uint8_t *iv, char *err, size_t errlen)
{
	uint8_t mid[4];
	const struct ike_chunk parts[] = {{last_block, blocklen},
	                                  {mid, sizeof(mid)}};

	wr32(mid, msgid);
	return iv_from_hash(hash, parts, NELEM(parts), iv, blocklen, err,
	                    errlen);
}

/* ---- HASH_I / HASH_R ------------------------------------------------- */

int
ike_hash_i(const struct ike_keys *k, const struct ike_auth_input *in,
           const uint8_t *idii_b, size_t idlen, uint8_t *out, char *err,
           size_t errlen)
{
	const struct ike_chunk parts[] = {
	    {in->gxi, in->gxilen},       {in->gxr, in->gxrlen},
	    {in->cky_i, IKE_COOKIE_LEN}, {in->cky_r, IKE_COOKIE_LEN},
	    {in->sai_b, in->sailen},     {idii_b, idlen},
	};

	if (keys_check(k, err, errlen) < 0)
		return -1;
	return ike_prf(k->hash, k->skeyid, k->len, parts, NELEM(parts), out,
	               err, errlen);
}

int
ike_hash_r(const struct ike_keys *k, const struct ike_auth_input *in,
           const uint8_t *idir_b, size_t idlen, uint8_t *out, char *err,
           size_t errlen)
{
	const struct ike_chunk parts[] = {
	    {in->gxr, in->gxrlen},       {in->gxi, in->gxilen},
	    {in->cky_r, IKE_COOKIE_LEN}, {in->cky_i, IKE_COOKIE_LEN},
	    {in->sai_b, in->sailen},     {idir_b, idlen},
	};

	if (keys_check(k, err, errlen) < 0)
		return -1;
	return ike_prf(k->hash, k->skeyid, k->len, parts, NELEM(parts), out,
	               err, errlen);
}

/* ---- Quick Mode ------------------------------------------------------ */

int
ike_qm_hash1(const struct ike_keys *k, uint32_t msgid, const uint8_t *rest,
             size_t restlen, uint8_t *out, char *err, size_t errlen)
{
	uint8_t mid[4];
	const struct ike_chunk parts[] = {{mid, sizeof(mid)}, {rest, restlen}};

	if (keys_check(k, err, errlen) < 0)
		return -1;
	wr32(mid, msgid);
	return ike_prf(k->hash, k->skeyid_a, k->len, parts, NELEM(parts), out,
	               err, errlen);
}

int
ike_qm_hash2(const struct ike_keys *k, uint32_t msgid, const uint8_t *ni_b,
             size_t nilen, const uint8_t *rest, size_t restlen, uint8_t *out,
             char *err, size_t errlen)
{
	uint8_t mid[4];
	const struct ike_chunk parts[] = {
	    {mid, sizeof(mid)}, {ni_b, nilen}, {rest, restlen}};

	if (keys_check(k, err, errlen) < 0)
		return -1;
	wr32(mid, msgid);
	return ike_prf(k->hash, k->skeyid_a, k->len, parts, NELEM(parts), out,
	               err, errlen);
}

int
ike_qm_hash3(const struct ike_keys *k, uint32_t msgid, const uint8_t *ni_b,
             size_t nilen, const uint8_t *nr_b, size_t nrlen, uint8_t *out,
             char *err, size_t errlen)
{
	static const uint8_t zero = 0;
	uint8_t mid[4];
	const struct ike_chunk parts[] = {
	    {&zero, 1}, {mid, sizeof(mid)}, {ni_b, nilen}, {nr_b, nrlen}};

	if (keys_check(k, err, errlen) < 0)
		return -1;
	wr32(mid, msgid);
	return ike_prf(k->hash, k->skeyid_a, k->len, parts, NELEM(parts), out,
	               err, errlen);
}

int
ike_qm_keymat(const struct ike_keys *k, const uint8_t *gqmxy, size_t gqmlen,
              uint8_t protocol, uint32_t spi, const uint8_t *ni_b, size_t nilen,
              const uint8_t *nr_b, size_t nrlen, uint8_t *out, size_t outlen,
              char *err, size_t errlen)
{
	uint8_t spib[4];
	struct ike_chunk seed[5];
	size_t n = 0;

	if (keys_check(k, err, errlen) < 0)
		return -1;
	if (outlen == 0)
		return ike_fail(err, errlen, "no KEYMAT asked for");
	wr32(spib, spi);
	if (gqmxy != NULL)
		seed[n++] = (struct ike_chunk){gqmxy, gqmlen};
	seed[n++] = (struct ike_chunk){&protocol, 1};
	seed[n++] = (struct ike_chunk){spib, sizeof(spib)};
	seed[n++] = (struct ike_chunk){ni_b, nilen};
	seed[n++] = (struct ike_chunk){nr_b, nrlen};
	return ike_expand(k->hash, k->skeyid_d, k->len, seed, n, out, outlen,
	                  err, errlen);
}

/* ---- CBC ------------------------------------------------------------- */

size_t
ike_encr_block_len(int encr)
{
	const struct encr_info *e = encr_find(encr);

	return e != NULL ? e->block : 0;
}

size_t
ike_encr_key_len(int encr, unsigned keybits)
{
	switch (encr) {
	case IKE_ENCR_3DES_CBC:
		return keybits == 0 || keybits == 192 ? 24 : 0;
	case IKE_ENCR_AES_CBC:
		/* What an absent Key Length means is the proposal's call. */
		return keybits == 128 || keybits == 192 || keybits == 256
		           ? keybits / 8
		           : 0;
	default:
		return 0;
	}
}

/* OpenSSL's name for the cipher with this key length, or NULL. */
static const char *
cipher_name(int encr, size_t keylen)
{
	if (encr == IKE_ENCR_3DES_CBC && keylen == 24)
		return "DES-EDE3-CBC";
	if (encr != IKE_ENCR_AES_CBC)
		return NULL;
	switch (keylen) {
	case 16:
		return "AES-128-CBC";
	case 24:
		return "AES-192-CBC";
	case 32:
		return "AES-256-CBC";
	default:
		return NULL;
	}
}

void
ike_encr_key_clear(struct ike_encr_key *ek)
{
	if (ek != NULL)
		OPENSSL_cleanse(ek, sizeof(*ek));
}

int
ike_encr_key_set(struct ike_encr_key *ek, enum ike_encr alg, const uint8_t *key,
                 size_t keylen, char *err, size_t errlen)
{
	ike_encr_key_clear(ek);
	if (cipher_name((int)alg, keylen) == NULL)
		return ike_fail(err, errlen, "%s does not take a %zu-byte key",
		            ike_encr_name((int)alg), keylen);
	ek->alg = alg;
	ek->keylen = keylen;
	memcpy(ek->key, key, keylen);
	return 0;
}

/*
 * XXX 3DES keys are not checked for weak or degenerate (K1 = K2 or
 * K2 = K3) keys; from a PRF the chance is negligible.
 */
int
ike_encr_key_derive(struct ike_encr_key *ek, enum ike_encr alg,
                    unsigned keybits, const struct ike_keys *k, char *err,
                    size_t errlen)
{
	size_t keylen = ike_encr_key_len((int)alg, keybits);

	ike_encr_key_clear(ek);
	if (keylen == 0)
		return ike_fail(err, errlen, "%s does not take a %u-bit key",
		            ike_encr_name((int)alg), keybits);
	if (keys_check(k, err, errlen) < 0)
		return -1;
	if (ike_appendix_b(k->hash, k->skeyid_e, k->len, ek->key, keylen, err,
	                   errlen) < 0) {
		ike_encr_key_clear(ek);
		return -1;
	}
	ek->alg = alg;
	ek->keylen = keylen;
	return 0;
}

static int
cbc(const struct ike_encr_key *ek, int enc, const uint8_t *iv,
    const uint8_t *in, size_t len, uint8_t *out, uint8_t *next_iv, char *err,
    size_t errlen)
{
	const char *name = cipher_name((int)ek->alg, ek->keylen);
	size_t block = ike_encr_block_len((int)ek->alg);
	EVP_CIPHER *c = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	uint8_t last[IKE_BLOCK_MAX_LEN];
	int outl = 0, finl = 0, rc = -1;

	if (name == NULL || block == 0)
		return ike_fail(err, errlen, "no cipher %s with a %zu-byte key",
		            ike_encr_name((int)ek->alg), ek->keylen);
	if (len == 0 || len % block != 0 || len > INT_MAX)
		return ike_fail(err, errlen,
		            "%s: %zu bytes is not a whole number of %zu-byte "
		            "blocks",
		            name, len, block);
	/* Decrypting in place overwrites the block the next IV is. */
	if (!enc)
		memcpy(last, in + len - block, block);
	c = EVP_CIPHER_fetch(NULL, name, NULL);
	ctx = EVP_CIPHER_CTX_new();
	if (c == NULL || ctx == NULL ||
	    !EVP_CipherInit_ex2(ctx, c, ek->key, iv, enc, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
	    !EVP_CipherUpdate(ctx, out, &outl, in, (int)len) ||
	    (size_t)outl != len ||
	    !EVP_CipherFinal_ex(ctx, out + outl, &finl) || finl != 0) {
		ike_ossl_fail(err, errlen, "%s %s failed", name,
		          enc ? "encryption" : "decryption");
		if (!enc)
			OPENSSL_cleanse(out, len);
		goto out;
	}
	if (enc)
		memcpy(last, out + len - block, block);
	memcpy(next_iv, last, block);
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	return rc;
}

int
ike_encrypt(const struct ike_encr_key *ek, const uint8_t *iv, const uint8_t *in,
            size_t len, uint8_t *out, uint8_t *next_iv, char *err,
            size_t errlen)
{
	return cbc(ek, 1, iv, in, len, out, next_iv, err, errlen);
}

int
ike_decrypt(const struct ike_encr_key *ek, const uint8_t *iv, const uint8_t *in,
            size_t len, uint8_t *out, uint8_t *next_iv, char *err,
            size_t errlen)
{
	return cbc(ek, 0, iv, in, len, out, next_iv, err, errlen);
}

/* ---- Diffie-Hellman -------------------------------------------------- */

struct ike_dh {
	const struct dh_info *info;
	EVP_PKEY *key;
	BIGNUM *p; /* MODP: the prime, for checking peer values */
	uint8_t pub[IKE_DH_MAX_LEN];
};

bool
ike_dh_group_supported(int group)
{
	return dh_find(group) != NULL;
}

size_t
ike_dh_public_len(int group)
{
	const struct dh_info *d = dh_find(group);

	return d != NULL ? d->publen : 0;
}

size_t
ike_dh_secret_len(int group)
{
	const struct dh_info *d = dh_find(group);

	return d != NULL ? d->seclen : 0;
}

int
ike_dh_group_of(const struct ike_dh *dh)
{
	return dh->info->id;
}

const uint8_t *
ike_dh_public(const struct ike_dh *dh, size_t *len)
{
	*len = dh->info->publen;
	return dh->pub;
}

void
ike_dh_free(struct ike_dh *dh)
{
	if (dh == NULL)
		return;
	EVP_PKEY_free(dh->key); /* OpenSSL clears the private value */
	BN_free(dh->p);
	OPENSSL_cleanse(dh, sizeof(*dh));
	free(dh);
}

/*
 * Pushes a MODP group's domain parameters: OpenSSL's name, or p and
 * g = 2 for the RFC 2409 groups, which *pp and *gp then hold for the
 * caller to free once the parameters are built.
 */
static int
modp_push_domain(OSSL_PARAM_BLD *bld, const struct dh_info *info, BIGNUM **pp,
                 BIGNUM **gp)
{
	const char *hex = modp_prime_hex(info->id);

	if (info->ossl != NULL)
		return OSSL_PARAM_BLD_push_utf8_string(
		    bld, OSSL_PKEY_PARAM_GROUP_NAME, info->ossl, 0);
	*pp = NULL;
	*gp = BN_new();
	if (hex == NULL || *gp == NULL || !BN_set_word(*gp, 2) ||
	    BN_hex2bn(pp, hex) == 0)
		return 0;
	return OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, *pp) &&
	       OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, *gp);
}

/*
 * A key (or, with pub and priv NULL, the domain parameters) of a group
 * from its parts.  MODP pub and priv are numbers; ECP pub is the 0x04
 * point encoding and priv a number.
 */
static EVP_PKEY *
key_fromdata(const struct dh_info *info, int selection, const BIGNUM *bnpub,
             const uint8_t *octpub, size_t octlen, const BIGNUM *priv)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	BIGNUM *p = NULL, *g = NULL;
	int ok;

	if (bld == NULL)
		return NULL;
	if (info->kind == DH_MODP)
		ok =
		    modp_push_domain(bld, info, &p, &g) &&
		    (bnpub == NULL || OSSL_PARAM_BLD_push_BN(
		                          bld, OSSL_PKEY_PARAM_PUB_KEY, bnpub));
	else
		ok = OSSL_PARAM_BLD_push_utf8_string(
		         bld, OSSL_PKEY_PARAM_GROUP_NAME, info->ossl, 0) &&
		     (octpub == NULL ||
		      OSSL_PARAM_BLD_push_octet_string(
		          bld, OSSL_PKEY_PARAM_PUB_KEY, octpub, octlen));
	if (ok && priv != NULL)
		ok =
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv);
	if (ok)
		params = OSSL_PARAM_BLD_to_param(bld);
	if (params != NULL)
		ctx = EVP_PKEY_CTX_new_from_name(
		    NULL, info->kind == DH_MODP ? "DH" : "EC", NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &key, selection, params) <= 0)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	/* A private value is a secure BIGNUM (BN_secure_new), which puts
	 * its copy in params in secure memory, cleared when freed. */
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(p);
	BN_free(g);
	return key;
}

/* Fills dh->pub (and dh->p) from dh->key. */
static int
dh_export(struct ike_dh *dh, char *err, size_t errlen)
{
	const struct dh_info *info = dh->info;
	BIGNUM *x = NULL, *y = NULL;
	size_t len = 0, half = info->publen / 2;
	int rc = -1;

	switch (info->kind) {
	case DH_MODP:
		if (!EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_FFC_P,
		                           &dh->p) ||
		    (size_t)BN_num_bytes(dh->p) != info->publen ||
		    !EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_PUB_KEY,
		                           &x) ||
		    BN_bn2binpad(x, dh->pub, (int)info->publen) < 0)
			goto fail;
		break;
	case DH_ECP:
		if (!EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_EC_PUB_X,
		                           &x) ||
		    !EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_EC_PUB_Y,
		                           &y) ||
		    BN_bn2binpad(x, dh->pub, (int)half) < 0 ||
		    BN_bn2binpad(y, dh->pub + half, (int)half) < 0)
			goto fail;
		break;
	case DH_X25519:
		len = sizeof(dh->pub);
		if (!EVP_PKEY_get_raw_public_key(dh->key, dh->pub, &len) ||
		    len != info->publen)
			goto fail;
		break;
	}
	rc = 0;
	goto out;
fail:
	ike_ossl_fail(err, errlen, "%s: cannot read our public value", info->name);
out:
	BN_free(x);
	BN_free(y);
	return rc;
}

static struct ike_dh *
dh_alloc(int group, char *err, size_t errlen)
{
	const struct dh_info *info = dh_find(group);
	struct ike_dh *dh;

	if (info == NULL) {
		ike_fail(err, errlen, "unsupported Diffie-Hellman group %d", group);
		return NULL;
	}
	dh = calloc(1, sizeof(*dh));
	if (dh == NULL) {
		ike_fail(err, errlen, "out of memory");
		return NULL;
	}
	dh->info = info;
	return dh;
}

struct ike_dh *
ike_dh_new(int group, char *err, size_t errlen)
{
	struct ike_dh *dh = dh_alloc(group, err, errlen);
	EVP_PKEY *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM p[2];
	char name[16];

	if (dh == NULL)
		return NULL;
	switch (dh->info->kind) {
	case DH_MODP:
		/* From the domain parameters, so that named groups keep
		 * OpenSSL's short exponents (RFC 3526 §8). */
		params = key_fromdata(dh->info, EVP_PKEY_KEY_PARAMETERS, NULL,
		                      NULL, 0, NULL);
		if (params != NULL)
			ctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
		if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0)
			goto fail;
		break;
	case DH_ECP:
		snprintf(name, sizeof(name), "%s", dh->info->ossl);
		p[0] = OSSL_PARAM_construct_utf8_string(
		    OSSL_PKEY_PARAM_GROUP_NAME, name, 0);
		p[1] = OSSL_PARAM_construct_end();
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 ||
		    !EVP_PKEY_CTX_set_params(ctx, p))
			goto fail;
		break;
	case DH_X25519:
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
		if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0)
			goto fail;
		break;
	}
	if (EVP_PKEY_generate(ctx, &dh->key) <= 0)
		goto fail;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(params);
	if (dh_export(dh, err, errlen) < 0) {
		ike_dh_free(dh);
		return NULL;
	}
	return dh;
fail:
	ike_ossl_fail(err, errlen, "%s: key generation failed", dh->info->name);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(params);
	ike_dh_free(dh);
	return NULL;
}

/* MODP key pair from x: pub = g^x mod p, with 1 < x < p - 1. */
static EVP_PKEY *
modp_from_private(const struct dh_info *info, const uint8_t *priv,
                  size_t privlen, char *err, size_t errlen)
{
	EVP_PKEY *params = NULL, *key = NULL;
	BIGNUM *p = NULL, *g = NULL, *x = NULL, *y = NULL, *pm1 = NULL;
	BN_CTX *bnctx = NULL;

	if (privlen == 0 || privlen > info->publen) {
		ike_fail(err, errlen, "%s private value is %zu bytes", info->name,
		     privlen);
		return NULL;
	}
	params =
	    key_fromdata(info, EVP_PKEY_KEY_PARAMETERS, NULL, NULL, 0, NULL);
	x = BN_secure_new();
	y = BN_new();
	pm1 = BN_new();
	bnctx = BN_CTX_secure_new();
	if (params == NULL || x == NULL || y == NULL || pm1 == NULL ||
	    bnctx == NULL ||
	    !EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_P, &p) ||
	    !EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_G, &g) ||
	    BN_bin2bn(priv, (int)privlen, x) == NULL ||
	    !BN_sub(pm1, p, BN_value_one())) {
		ike_ossl_fail(err, errlen, "%s: cannot read the group", info->name);
		goto out;
	}
	if (BN_cmp(x, BN_value_one()) <= 0 || BN_cmp(x, pm1) >= 0) {
		ike_fail(err, errlen, "%s private value is not in 2..p-2",
		     info->name);
		goto out;
	}
	BN_set_flags(x, BN_FLG_CONSTTIME);
	if (!BN_mod_exp(y, g, x, p, bnctx)) {
		ike_ossl_fail(err, errlen, "%s: g^x failed", info->name);
		goto out;
	}
	key = key_fromdata(info, EVP_PKEY_KEYPAIR, y, NULL, 0, x);
	if (key == NULL)
		ike_ossl_fail(err, errlen, "%s: cannot make the key", info->name);
out:
	EVP_PKEY_free(params);
	BN_clear_free(x);
	BN_free(y);
	BN_free(p);
	BN_free(g);
	BN_free(pm1);
	BN_CTX_free(bnctx);
	return key;
}

/* ECP key pair from d: pub = d * G, with 0 < d < n. */
static EVP_PKEY *
ecp_from_private(const struct dh_info *info, const uint8_t *priv,
                 size_t privlen, char *err, size_t errlen)
{
	EC_GROUP *grp = NULL;
	EC_POINT *q = NULL;
	BIGNUM *d = NULL;
	BN_CTX *bnctx = NULL;
	EVP_PKEY *key = NULL;
	uint8_t oct[1 + IKE_DH_MAX_LEN];
	size_t octlen;

	if (privlen != info->seclen) {
		ike_fail(err, errlen, "%s private value is %zu bytes, not %zu",
		     info->name, privlen, info->seclen);
		return NULL;
	}
	grp = EC_GROUP_new_by_curve_name(EC_curve_nist2nid(info->ossl));
	q = grp != NULL ? EC_POINT_new(grp) : NULL;
	d = BN_secure_new();
	bnctx = BN_CTX_secure_new();
	if (q == NULL || d == NULL || bnctx == NULL ||
	    BN_bin2bn(priv, (int)privlen, d) == NULL) {
		ike_ossl_fail(err, errlen, "%s: cannot set up the curve",
		          info->name);
		goto out;
	}
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(grp)) >= 0) {
		ike_fail(err, errlen, "%s private value is not in 1..n-1",
		     info->name);
		goto out;
	}
	BN_set_flags(d, BN_FLG_CONSTTIME);
	octlen = 1 + info->publen;
	if (!EC_POINT_mul(grp, q, d, NULL, NULL, bnctx) ||
	    EC_POINT_point2oct(grp, q, POINT_CONVERSION_UNCOMPRESSED, oct,
	                       octlen, bnctx) != octlen) {
		ike_ossl_fail(err, errlen, "%s: d * G failed", info->name);
		goto out;
	}
	key = key_fromdata(info, EVP_PKEY_KEYPAIR, NULL, oct, octlen, d);
	if (key == NULL)
		ike_ossl_fail(err, errlen, "%s: cannot make the key", info->name);
out:
	EC_POINT_free(q);
	EC_GROUP_free(grp);
	BN_clear_free(d);
	BN_CTX_free(bnctx);
	return key;
}

struct ike_dh *
ike_dh_new_private(int group, const uint8_t *priv, size_t privlen, char *err,
                   size_t errlen)
{
	struct ike_dh *dh = dh_alloc(group, err, errlen);

	if (dh == NULL)
		return NULL;
	switch (dh->info->kind) {
	case DH_MODP:
		dh->key =
		    modp_from_private(dh->info, priv, privlen, err, errlen);
		break;
	case DH_ECP:
		dh->key =
		    ecp_from_private(dh->info, priv, privlen, err, errlen);
		break;
	case DH_X25519:
		if (privlen != 32) {
			ike_fail(err, errlen,
			     "%s private value is %zu bytes, "
			     "not 32",
			     dh->info->name, privlen);
			break;
		}
		dh->key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL,
		                                       priv, privlen);
		if (dh->key == NULL)
			ike_ossl_fail(err, errlen, "%s: cannot make the key",
			          dh->info->name);
		break;
	}
	if (dh->key == NULL || dh_export(dh, err, errlen) < 0) {
		ike_dh_free(dh);
		return NULL;
	}
	return dh;
}

/* The peer's KE value as a key, after the checks of ike_dh_compute. */
static EVP_PKEY *
peer_key(const struct ike_dh *dh, const uint8_t *peer, size_t peerlen,
         char *err, size_t errlen)
{
	const struct dh_info *info = dh->info;
	uint8_t oct[1 + IKE_DH_MAX_LEN];
	BIGNUM *y = NULL, *pm1 = NULL;
	EVP_PKEY_CTX *check = NULL;
	EVP_PKEY *key = NULL;

	if (peerlen != info->publen) {
		ike_fail(err, errlen, "%s KE value is %zu bytes, expected %zu",
		     info->name, peerlen, info->publen);
		return NULL;
	}
	switch (info->kind) {
	case DH_MODP:
		/*
		 * 2..p-2 keeps out 0, 1 and p-1 (RFC 2409 §6 groups and
		 * RFC 3526's are safe primes, so the only small subgroup
		 * is {1, p-1}); it spares OpenSSL's full check, an
		 * exponentiation by (p-1)/2 that costs more than the
		 * agreement itself.
		 */
		y = BN_bin2bn(peer, (int)peerlen, NULL);
		pm1 = BN_new();
		if (y == NULL || pm1 == NULL ||
		    !BN_sub(pm1, dh->p, BN_value_one())) {
			ike_ossl_fail(err, errlen, "%s: out of memory", info->name);
			break;
		}
		if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, pm1) >= 0) {
			ike_fail(err, errlen, "%s KE value is not in 2..p-2",
			     info->name);
			break;
		}
		key = key_fromdata(info, EVP_PKEY_PUBLIC_KEY, y, NULL, 0, NULL);
		if (key == NULL)
			ike_ossl_fail(err, errlen, "%s: cannot use the KE value",
			          info->name);
		break;
	case DH_ECP:
		/* RFC 5903 §7: X | Y, no point-format octet.  The import
		 * refuses coordinates >= p and points off the curve; the
		 * quick check refuses the point at infinity too.  The
		 * curves have cofactor 1, so that is all there is. */
		oct[0] = POINT_CONVERSION_UNCOMPRESSED;
		memcpy(oct + 1, peer, peerlen);
		key = key_fromdata(info, EVP_PKEY_PUBLIC_KEY, NULL, oct,
		                   1 + peerlen, NULL);
		if (key != NULL)
			check = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
		if (key == NULL || check == NULL ||
		    EVP_PKEY_public_check_quick(check) <= 0) {
			ike_ossl_fail(err, errlen,
			          "%s KE value is not a point on the curve",
			          info->name);
			EVP_PKEY_free(key);
			key = NULL;
		}
		break;
	case DH_X25519:
		key = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer,
		                                  peerlen);
		if (key == NULL)
			ike_ossl_fail(err, errlen, "%s: cannot use the KE value",
			          info->name);
		break;
	}
	EVP_PKEY_CTX_free(check);
	BN_free(y);
	BN_free(pm1);
	return key;
}

int
ike_dh_compute(const struct ike_dh *dh, const uint8_t *peer, size_t peerlen,
               uint8_t *secret, size_t secretlen, char *err, size_t errlen)
{
	static const uint8_t zeros[IKE_DH_MAX_LEN];
	const struct dh_info *info = dh->info;
	uint8_t buf[IKE_DH_MAX_LEN];
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = sizeof(buf);
	int rc = -1;

	if (secretlen != info->seclen) {
		ike_fail(err, errlen, "%s secret is %zu bytes, the buffer %zu",
		     info->name, info->seclen, secretlen);
		goto out;
	}
	pkey = peer_key(dh, peer, peerlen, err, errlen);
	if (pkey == NULL)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->key, NULL);
	if (ctx == NULL || EVP_PKEY_derive_init(ctx) <= 0 ||
	    /* g^xy keeps its leading zeros: the prime's length. */
	    (info->kind == DH_MODP && EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0) ||
	    /* Validated above, more cheaply than OpenSSL would. */
	    EVP_PKEY_derive_set_peer_ex(ctx, pkey, 0) <= 0) {
		ike_ossl_fail(err, errlen, "%s: cannot set up the agreement",
		          info->name);
		goto out;
	}
	if (EVP_PKEY_derive(ctx, buf, &len) <= 0) {
		/* OpenSSL refuses an all-zero X25519 result itself. */
		if (info->kind == DH_X25519)
			ike_ossl_fail(err, errlen,
			          "%s KE value gives the all-zero secret",
			          info->name);
		else
			ike_ossl_fail(err, errlen, "%s: key agreement failed",
			          info->name);
		goto out;
	}
	if (len != info->seclen) {
		ike_fail(err, errlen, "%s: secret is %zu bytes, expected %zu",
		     info->name, len, info->seclen);
		goto out;
	}
	/* RFC 7748 §6.1, RFC 8031 §2: a low-order peer value. */
	if (info->kind == DH_X25519 && CRYPTO_memcmp(buf, zeros, len) == 0) {
		ike_fail(err, errlen, "%s KE value gives the all-zero secret",
		     info->name);
		goto out;
	}
	memcpy(secret, buf, len);
	rc = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	if (rc < 0 && secret != NULL)
		OPENSSL_cleanse(secret, secretlen);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return rc;
}
