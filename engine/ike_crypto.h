/*
 * ike_crypto.h - the cryptography of IKEv1 (RFC 2409) on OpenSSL 3: the
 * PRF and hash, SKEYID and its derivatives, the encryption key and IVs,
 * HASH_I / HASH_R, the Quick Mode hashes and KEYMAT, CBC encryption of
 * message bodies, and Diffie-Hellman for the groups of spec/ipsecsh.md.
 *
 * Pure functions over caller-owned buffers: no global state, no clock,
 * no logging.  Randomness is only used by ike_dh_new() (OpenSSL's RNG);
 * ike_dh_new_private() takes the private value from the caller, for
 * known-answer tests and the deterministic harness.
 *
 * Numbers are the IANA / RFC 2409 Appendix A wire values; netsh's group
 * 3 is mapped to 14 by store/vocab.c before it gets here.
 *
 * Secrets: struct ike_keys and struct ike_encr_key hold key material;
 * wipe them with ike_keys_clear() / ike_encr_key_clear() when done.  All
 * temporaries are wiped with OPENSSL_cleanse, and every output buffer
 * that would hold a secret is wiped when a function fails.
 *
 * Errors: 0 / -1 with one line in err (NULL is fine) that says what was
 * wrong; hostile input (a peer's KE value, a message body) never crashes.
 */
#ifndef IPSECSH_IKE_CRYPTO_H
#define IPSECSH_IKE_CRYPTO_H

#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_COOKIE_LEN 8        /* CKY-I, CKY-R (RFC 2408 §3.1) */
#define IKE_HASH_MAX_LEN 64     /* SHA2-512 */
#define IKE_BLOCK_MAX_LEN 16    /* AES */
#define IKE_ENCR_KEY_MAX_LEN 32 /* AES-256 */
#define IKE_DH_MAX_LEN 512      /* MODP 4096: KE value and g^xy */

/*
 * Hash algorithms (RFC 2409 Appendix A "Hash Algorithm", RFC 4868 for
 * SHA2): value, name, OpenSSL digest name, output length.  No PRF
 * attribute is negotiated, so the PRF is the HMAC version of the
 * negotiated hash (RFC 2409 §4).
 */
#define IKE_HASH_LIST(X)                                                       \
	X(MD5, 1, "MD5", "MD5", 16)                                            \
	X(SHA1, 2, "SHA1", "SHA1", 20)                                         \
	X(SHA2_256, 4, "SHA2-256", "SHA2-256", 32)                             \
	X(SHA2_384, 5, "SHA2-384", "SHA2-384", 48)                             \
	X(SHA2_512, 6, "SHA2-512", "SHA2-512", 64)

enum ike_hash {
#define X(id, val, name, ossl, len) IKE_HASH_##id = val,
	IKE_HASH_LIST(X)
#undef X
};

/*
 * Encryption algorithms (RFC 2409 Appendix A "Encryption Algorithm",
 * RFC 3602 for AES): value, name, block length.  AES takes a Key Length
 * attribute of 128, 192 or 256 bits; 3DES is always 192 bits.
 */
#define IKE_ENCR_LIST(X)                                                       \
	X(3DES_CBC, 5, "3DES-CBC", 8)                                          \
	X(AES_CBC, 7, "AES-CBC", 16)

enum ike_encr {
#define X(id, val, name, block) IKE_ENCR_##id = val,
	IKE_ENCR_LIST(X)
#undef X
};

/*
 * Diffie-Hellman groups: IANA value, name, kind, KE value length (the
 * public value as the KE payload carries it), shared secret length, and
 * OpenSSL's name for the group.  MODP values are big-endian, zero-padded
 * to the prime's length (RFC 2409 §6, RFC 3526); ECP values are X | Y
 * without the 0x04 prefix and the secret is the x coordinate only (RFC
 * 5903 §7); Curve25519 is the 32-byte u coordinate (RFC 7748 §5, RFC
 * 8031 §2).  OpenSSL knows the RFC 3526 primes as "modp_*" ("ffdhe*"
 * are the different RFC 7919 groups) but not the two of RFC 2409, which
 * ike_crypto.c carries as data (NULL here).
 */
#define IKE_DH_LIST(X)                                                         \
	X(MODP768, 1, "MODP-768", MODP, 96, 96, NULL)                          \
	X(MODP1024, 2, "MODP-1024", MODP, 128, 128, NULL)                      \
	X(MODP1536, 5, "MODP-1536", MODP, 192, 192, "modp_1536")               \
	X(MODP2048, 14, "MODP-2048", MODP, 256, 256, "modp_2048")              \
	X(MODP3072, 15, "MODP-3072", MODP, 384, 384, "modp_3072")              \
	X(MODP4096, 16, "MODP-4096", MODP, 512, 512, "modp_4096")              \
	X(ECP256, 19, "ECP-256", ECP, 64, 32, "P-256")                         \
	X(ECP384, 20, "ECP-384", ECP, 96, 48, "P-384")                         \
	X(ECP521, 21, "ECP-521", ECP, 132, 66, "P-521")                        \
	X(CURVE25519, 31, "Curve25519", X25519, 32, 32, "X25519")

enum ike_dh_group {
#define X(id, val, name, kind, publen, seclen, ossl) IKE_DH_##id = val,
	IKE_DH_LIST(X)
#undef X
};

/* A piece of a PRF or hash input; the pieces are concatenated. */
struct ike_chunk {
	const uint8_t *ptr;
	size_t len;
};

/* Names for logs and show; "?" for values not in the lists. */
const char *ike_hash_name(int hash);
const char *ike_encr_name(int encr);
const char *ike_dh_group_name(int group);

/* Output length of the hash (and of its HMAC), or 0 if unsupported. */
size_t ike_hash_len(int hash);

/* ---- hash and PRF -------------------------------------------------- */

/* out (ike_hash_len bytes) = hash(parts[0] | parts[1] | ...). */
int ike_digest(enum ike_hash hash, const struct ike_chunk *parts, size_t nparts,
               uint8_t *out, char *err, size_t errlen);

/* out (ike_hash_len bytes) = HMAC-hash(key, parts[0] | parts[1] | ...).
 * An empty key is allowed. */
int ike_prf(enum ike_hash hash, const uint8_t *key, size_t keylen,
            const struct ike_chunk *parts, size_t nparts, uint8_t *out,
            char *err, size_t errlen);

/* ---- phase 1 keys (RFC 2409 §5) ------------------------------------ */

/* SKEYID and its derivatives; len is the PRF's output length. */
struct ike_keys {
	enum ike_hash hash;
	size_t len;
	uint8_t skeyid[IKE_HASH_MAX_LEN];
	uint8_t skeyid_d[IKE_HASH_MAX_LEN];
	uint8_t skeyid_a[IKE_HASH_MAX_LEN];
	uint8_t skeyid_e[IKE_HASH_MAX_LEN];
};

/* Pre-shared keys: SKEYID = prf(pre-shared-key, Ni_b | Nr_b). */
int ike_skeyid_psk(struct ike_keys *k, enum ike_hash hash, const uint8_t *psk,
                   size_t psklen, const uint8_t *ni_b, size_t nilen,
                   const uint8_t *nr_b, size_t nrlen, char *err, size_t errlen);

/* Signatures: SKEYID = prf(Ni_b | Nr_b, g^xy). */
int ike_skeyid_sig(struct ike_keys *k, enum ike_hash hash, const uint8_t *ni_b,
                   size_t nilen, const uint8_t *nr_b, size_t nrlen,
                   const uint8_t *gxy, size_t gxylen, char *err, size_t errlen);

/*
 * From k->skeyid (set by one of the two above):
 *   SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
 *   SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
 *   SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
 * On failure the whole of *k is wiped.
 */
int ike_skeyid_derive(struct ike_keys *k, const uint8_t *gxy, size_t gxylen,
                      const uint8_t cky_i[IKE_COOKIE_LEN],
                      const uint8_t cky_r[IKE_COOKIE_LEN], char *err,
                      size_t errlen);

/* Wipes the key material; NULL is fine. */
void ike_keys_clear(struct ike_keys *k);

/*
 * RFC 2409 Appendix B: key (keylen bytes) from SKEYID_e.  When SKEYID_e
 * is at least keylen bytes long its first keylen bytes are the key;
 * otherwise the key is the first keylen bytes of K1 | K2 | ..., with
 * K1 = prf(SKEYID_e, 0) (one zero octet) and Kn = prf(SKEYID_e, Kn-1).
 */
int ike_appendix_b(enum ike_hash hash, const uint8_t *skeyid_e, size_t elen,
                   uint8_t *key, size_t keylen, char *err, size_t errlen);

/*
 * The IKEv1 key expansion of RFC 2409 §5.5: out (outlen bytes) is the
 * start of K1 | K2 | ..., with K1 = prf(key, seed) and
 * Kn = prf(key, Kn-1 | seed), seed being the concatenated parts.
 */
int ike_expand(enum ike_hash hash, const uint8_t *key, size_t keylen,
               const struct ike_chunk *seed, size_t nseed, uint8_t *out,
               size_t outlen, char *err, size_t errlen);

/* ---- IVs (RFC 2409 §5, Appendix B; §5.5 for phase 2) --------------- */

/* Phase 1: iv (blocklen bytes) = hash(g^xi | g^xr), truncated. */
int ike_iv_phase1(enum ike_hash hash, const uint8_t *gxi, size_t gxilen,
                  const uint8_t *gxr, size_t gxrlen, uint8_t *iv,
                  size_t blocklen, char *err, size_t errlen);

/*
 * Quick Mode and Informational: iv (blocklen bytes) =
 * hash(last CBC block of phase 1 | M-ID), truncated.  last_block is the
 * last ciphertext block of the final Main Mode message (not of any later
 * exchange); msgid is the M-ID as a number (host order, big-endian on
 * the wire).
 */
int ike_iv_phase2(enum ike_hash hash, const uint8_t *last_block,
                  size_t blocklen, uint32_t msgid, uint8_t *iv, char *err,
                  size_t errlen);

/* ---- phase 1 authentication hashes (RFC 2409 §5) ------------------- */

/* What HASH_I and HASH_R cover besides the ID payload body. */
struct ike_auth_input {
	const uint8_t *gxi; /* initiator's KE value */
	size_t gxilen;
	const uint8_t *gxr; /* responder's KE value */
	size_t gxrlen;
	const uint8_t *cky_i; /* IKE_COOKIE_LEN bytes */
	const uint8_t *cky_r;
	const uint8_t *sai_b; /* initiator's SA payload body (no header) */
	size_t sailen;
};

/* HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b);
 * out is k->len bytes. */
int ike_hash_i(const struct ike_keys *k, const struct ike_auth_input *in,
               const uint8_t *idii_b, size_t idlen, uint8_t *out, char *err,
               size_t errlen);

/* HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b). */
int ike_hash_r(const struct ike_keys *k, const struct ike_auth_input *in,
               const uint8_t *idir_b, size_t idlen, uint8_t *out, char *err,
               size_t errlen);

/* ---- Quick Mode and Informational (RFC 2409 §5.5, §5.7) ------------ */

/*
 * HASH(1) = prf(SKEYID_a, M-ID | rest), rest being the message body
 * after the HASH payload: SA | Ni [| KE] [| IDci | IDcr] in Quick Mode,
 * and N or D in an Informational exchange, whose HASH(1) is the same
 * formula (RFC 2409 §5.7).  out is k->len bytes.
 */
int ike_qm_hash1(const struct ike_keys *k, uint32_t msgid, const uint8_t *rest,
                 size_t restlen, uint8_t *out, char *err, size_t errlen);

/* HASH(2) = prf(SKEYID_a, M-ID | Ni_b | rest). */
int ike_qm_hash2(const struct ike_keys *k, uint32_t msgid, const uint8_t *ni_b,
                 size_t nilen, const uint8_t *rest, size_t restlen,
                 uint8_t *out, char *err, size_t errlen);

/* HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b). */
int ike_qm_hash3(const struct ike_keys *k, uint32_t msgid, const uint8_t *ni_b,
                 size_t nilen, const uint8_t *nr_b, size_t nrlen, uint8_t *out,
                 char *err, size_t errlen);

/*
 * KEYMAT = K1 | K2 | ..., K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI |
 * Ni_b | Nr_b), Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] ...).
 * gqmxy is NULL without PFS.  protocol is the IPsec DOI protocol (2 AH,
 * 3 ESP); spi is the SPI of the SA being keyed - the one its receiver
 * chose - as a number.  out (outlen bytes) is split by the caller in
 * this order: the encryption key, then the integrity key; for AES-GCM
 * (RFC 4106 §8.1) the key, then the 4-byte salt.
 */
int ike_qm_keymat(const struct ike_keys *k, const uint8_t *gqmxy, size_t gqmlen,
                  uint8_t protocol, uint32_t spi, const uint8_t *ni_b,
                  size_t nilen, const uint8_t *nr_b, size_t nrlen, uint8_t *out,
                  size_t outlen, char *err, size_t errlen);

/* ---- CBC encryption of message bodies (RFC 2409 §5.3, Appendix B) -- */

struct ike_encr_key {
	enum ike_encr alg;
	size_t keylen;
	uint8_t key[IKE_ENCR_KEY_MAX_LEN];
};

/* Block length of the algorithm, or 0 if unsupported. */
size_t ike_encr_block_len(int encr);
/* Key length in bytes for the Key Length attribute (bits; 0 when the
 * attribute is absent), or 0 if the combination is invalid. */
size_t ike_encr_key_len(int encr, unsigned keybits);

/* The phase 1 key: ike_appendix_b() from k->skeyid_e. */
int ike_encr_key_derive(struct ike_encr_key *ek, enum ike_encr alg,
                        unsigned keybits, const struct ike_keys *k, char *err,
                        size_t errlen);
/* A key given directly (tests). */
int ike_encr_key_set(struct ike_encr_key *ek, enum ike_encr alg,
                     const uint8_t *key, size_t keylen, char *err,
                     size_t errlen);
void ike_encr_key_clear(struct ike_encr_key *ek);

/*
 * CBC without padding: len must be a non-zero multiple of the block
 * length (the message layer pads).  iv is the IV for this message;
 * next_iv (block length) receives the last ciphertext block, which is
 * the IV of the next message in the same exchange.  Keeping iv and
 * next_iv apart lets a receiver commit the new IV only once the
 * message has been authenticated; they may be the same buffer, and so
 * may in and out.
 */
int ike_encrypt(const struct ike_encr_key *ek, const uint8_t *iv,
                const uint8_t *in, size_t len, uint8_t *out, uint8_t *next_iv,
                char *err, size_t errlen);
int ike_decrypt(const struct ike_encr_key *ek, const uint8_t *iv,
                const uint8_t *in, size_t len, uint8_t *out, uint8_t *next_iv,
                char *err, size_t errlen);

/* ---- Diffie-Hellman ------------------------------------------------ */

struct ike_dh;

/* True if group is one of IKE_DH_LIST. */
bool ike_dh_group_supported(int group);
/* KE value and shared secret lengths, or 0 if unsupported. */
size_t ike_dh_public_len(int group);
size_t ike_dh_secret_len(int group);

/* A fresh key pair from OpenSSL's RNG; NULL with err set on failure. */
struct ike_dh *ike_dh_new(int group, char *err, size_t errlen);

/*
 * A key pair from a given private value: big-endian exponent (MODP,
 * 1 < x < p-1, at most the prime's length), big-endian scalar of exactly
 * the secret length (ECP, 0 < d < n), or the 32 raw bytes of RFC 7748
 * (Curve25519, clamped by the curve).  For known-answer tests and the
 * deterministic harness.
 */
struct ike_dh *ike_dh_new_private(int group, const uint8_t *priv,
                                  size_t privlen, char *err, size_t errlen);

/* Frees and wipes; NULL is fine. */
void ike_dh_free(struct ike_dh *dh);

/* The group dh belongs to. */
int ike_dh_group_of(const struct ike_dh *dh);

/* Our KE value, ike_dh_public_len() bytes, owned by dh. */
const uint8_t *ike_dh_public(const struct ike_dh *dh, size_t *len);

/*
 * secret (exactly ike_dh_secret_len() bytes) = the shared secret with
 * the peer's KE value, after validating it: MODP values must be exactly
 * the prime's length and in 2..p-2; ECP values exactly 2 * coordinate
 * length and a point on the curve; Curve25519 exactly 32 bytes and not
 * giving the all-zero secret (RFC 8031 §2).  secret is wiped on failure.
 */
int ike_dh_compute(const struct ike_dh *dh, const uint8_t *peer, size_t peerlen,
                   uint8_t *secret, size_t secretlen, char *err, size_t errlen);

/* Error messages of the IKE crypto and certificate code: -1 with the
 * message in err (NULL: none), OpenSSL's error queue emptied so that
 * stale entries never reach a later message; ike_ossl_fail adds the
 * reason of the OpenSSL call that just failed. */
void ike_fmt_err(char *err, size_t errlen, const char *reason,
                 const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
int ike_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ike_ossl_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
