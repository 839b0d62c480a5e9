/*
 * sa.h - private view of a security association: algorithm tables, the
 * per-worker OpenSSL contexts keyed once at creation, sequence numbers,
 * replay window and lifetimes.  ESP and AH read it; only sa.c writes the
 * configuration.
 *
 * IVs (RFC 4303 §3.3.2: unique for GCM, unpredictable for CBC):
 *   - GCM: the 8-byte explicit IV is the 64-bit sequence counter XOR a
 *     per-SA random mask (RAND_bytes at creation).  Unique for the SA's
 *     life because sequence numbers never repeat (they never wrap), and
 *     still unique if a manual key were used in both directions.  No RNG
 *     call per packet.
 *   - CBC: the IV is AES-128-ECB(k_iv, seq64 || 0) with k_iv random per
 *     SA (truncated to 8 bytes for 3DES): unpredictable to anyone without
 *     k_iv, unique, and one AES block per packet instead of a DRBG call
 *     (which would take a lock-free but much longer path in OpenSSL).
 */
#ifndef IPSECSH_DP_SA_H
#define IPSECSH_DP_SA_H

#include <stdatomic.h>

#include <openssl/evp.h>

#include "datapath.h"
#include "replay.h"

#define SA_IV_MAX 16
#define SA_ICV_MAX 32
#define SA_SALT_LEN 4

struct enc_alg {
	const char *ossl; /* EVP cipher name, NULL for NULL */
	size_t keylen;    /* without salt */
	size_t saltlen;   /* GCM: 4 */
	size_t ivlen;     /* explicit IV on the wire */
	size_t block;     /* cipher block, 1 for stream/AEAD/NULL */
	size_t icvlen;    /* AEAD tag */
	bool aead;
};

struct auth_alg {
	const char *digest; /* EVP digest name, NULL for none */
	size_t keylen;
	size_t icvlen; /* truncated ICV */
};

const struct enc_alg *enc_alg_get(enum dp_enc e);
const struct auth_alg *auth_alg_get(enum dp_auth a);

/* One worker's contexts, on their own cache lines. */
struct sa_slot {
	EVP_CIPHER_CTX *cipher; /* ESP cipher, keyed for the SA's dir */
	EVP_MAC_CTX *mac;       /* ESP HMAC */
	EVP_MAC_CTX *ah_mac;    /* AH HMAC */
	EVP_CIPHER_CTX *ivgen;  /* CBC outbound: AES-128-ECB(k_iv) */
} __attribute__((aligned(64)));

struct dp_sa {
	/* Configuration: written once by sa_new, then read-only. */
	uint32_t spi, ah_spi;
	enum dp_dir dir;
	enum dp_mode mode;
	enum dp_encap encap;
	uint16_t encap_sport, encap_dport;
	enum dp_proto proto;
	enum dp_enc enc;
	enum dp_auth esp_auth, ah_auth;
	const struct enc_alg *ealg;
	const struct auth_alg *aalg;  /* ESP integrity (NULL: none) */
	const struct auth_alg *ahalg; /* AH integrity (NULL: no AH) */
	uint8_t salt[SA_SALT_LEN];    /* GCM salt (secret, wiped) */
	uint64_t iv_mask;             /* GCM IV mask (wiped) */
	struct dp_selector sel;
	struct dp_addr tun_src, tun_dst;
	struct dp_lifetime soft, hard;
	bool no_replay;
	bool rekey; /* counts a Rekey when inserted */
	unsigned nslots;
	struct sa_slot *slots;

	/* Shared by workers (see datapath.h). */
	_Atomic uint64_t out_seq __attribute__((aligned(64)));
	_Atomic uint64_t bytes;
	_Atomic uint64_t packets;
	atomic_bool soft_hit;
	atomic_bool hard_hit;
	atomic_uint refs;
	struct replay replay __attribute__((aligned(64)));

	/* SA database chain, under the database lock. */
	struct dp_sa *hnext;
};

/*
 * Takes the next outbound sequence number; 0 when the 32-bit space is
 * used up (the SA is then hard-expired for good).
 */
uint32_t sa_next_seq(struct dp_sa *sa);

/* Lifetime accounting of one packet of len bytes: -1 if a hard limit is
 * crossed (the packet must be refused). */
int sa_account(struct dp_sa *sa, size_t len);

/* Single HMAC over up to three pieces; icv gets the truncated value. */
int sa_hmac(EVP_MAC_CTX *mac, const struct auth_alg *alg, const uint8_t *a,
            size_t alen, const uint8_t *b, size_t blen, uint8_t *icv);
/* A keyed HMAC context (any key length: for known-answer tests too). */
EVP_MAC_CTX *sa_hmac_new(const struct auth_alg *alg, const uint8_t *key,
                         size_t keylen);

/* CBC IV for seq (iv gets ealg->ivlen bytes). */
int sa_cbc_iv(struct dp_sa *sa, struct sa_slot *slot, uint64_t seq,
              uint8_t *iv);

/* Test hooks: set the next outbound sequence number (the next packet
 * gets seq), clear the replay window. */
void sa_test_set_next_seq(struct dp_sa *sa, uint64_t seq);
void sa_test_reset_replay(struct dp_sa *sa);

#endif
