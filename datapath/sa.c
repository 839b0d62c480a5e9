/*
 * sa.c - security associations: validation of the algorithm combination,
 * OpenSSL contexts keyed once per worker slot, sequence numbers,
 * lifetimes, and the SA database (a hash by SPI under a rwlock).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "pkt.h"
#include "sa.h"

/* ---- algorithms ---------------------------------------------------- */

/* RFC 2410 (NULL), 2451 (3DES), 3602 (AES-CBC), 4106 (AES-GCM). */
static const struct enc_alg enc_algs[] = {
    [DP_ENC_NULL] = {NULL, 0, 0, 0, 1, 0, false},
    [DP_ENC_3DES_CBC] = {"DES-EDE3-CBC", 24, 0, 8, 8, 0, false},
    [DP_ENC_AES128_CBC] = {"AES-128-CBC", 16, 0, 16, 16, 0, false},
    [DP_ENC_AES192_CBC] = {"AES-192-CBC", 24, 0, 16, 16, 0, false},
    [DP_ENC_AES256_CBC] = {"AES-256-CBC", 32, 0, 16, 16, 0, false},
    [DP_ENC_AES128_GCM] = {"AES-128-GCM", 16, 4, 8, 1, 16, true},
    [DP_ENC_AES256_GCM] = {"AES-256-GCM", 32, 4, 8, 1, 16, true},
};

/* RFC 2403 (MD5-96), 2404 (SHA1-96), 4868 (SHA-2, key = output size). */
static const struct auth_alg auth_algs[] = {
    [DP_AUTH_NONE] = {NULL, 0, 0},
    [DP_AUTH_HMAC_MD5_96] = {"MD5", 16, 12},
    [DP_AUTH_HMAC_SHA1_96] = {"SHA1", 20, 12},
    [DP_AUTH_HMAC_SHA256_128] = {"SHA256", 32, 16},
    [DP_AUTH_HMAC_SHA384_192] = {"SHA384", 48, 24},
    [DP_AUTH_HMAC_SHA512_256] = {"SHA512", 64, 32},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const struct enc_alg *
enc_alg_get(enum dp_enc e)
{
	if ((unsigned)e >= NELEM(enc_algs))
		return NULL;
	return &enc_algs[e];
}

const struct auth_alg *
auth_alg_get(enum dp_auth a)
{
	if ((unsigned)a >= NELEM(auth_algs))
		return NULL;
	return &auth_algs[a];
}

size_t
dp_enc_key_len(enum dp_enc e)
{
	const struct enc_alg *alg = enc_alg_get(e);

	return alg == NULL ? 0 : alg->keylen + alg->saltlen;
}

size_t
dp_auth_key_len(enum dp_auth a)
{
	const struct auth_alg *alg = auth_alg_get(a);

	return alg == NULL ? 0 : alg->keylen;
}

/* ---- crypto helpers ------------------------------------------------- */

EVP_MAC_CTX *
sa_hmac_new(const struct auth_alg *alg, const uint8_t *key, size_t keylen)
{
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];

	if (alg == NULL || alg->digest == NULL)
		return NULL;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		goto fail;
	ctx = EVP_MAC_CTX_new(mac);
	if (ctx == NULL)
		goto fail;
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_MAC_PARAM_DIGEST, (char *)(uintptr_t)alg->digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key, keylen, params))
		goto fail;
	EVP_MAC_free(mac);
	return ctx;
fail:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return NULL;
}

int
sa_hmac(EVP_MAC_CTX *mac, const struct auth_alg *alg, const uint8_t *a,
        size_t alen, const uint8_t *b, size_t blen, uint8_t *icv)
{
	uint8_t full[EVP_MAX_MD_SIZE];
	size_t outl = 0;

	/* Re-init with the key set at creation (no new key schedule). */
	if (!EVP_MAC_init(mac, NULL, 0, NULL))
		return -1;
	if (alen > 0 && !EVP_MAC_update(mac, a, alen))
		return -1;
	if (blen > 0 && !EVP_MAC_update(mac, b, blen))
		return -1;
	if (!EVP_MAC_final(mac, full, &outl, sizeof(full)) ||
	    outl < alg->icvlen)
		return -1;
	memcpy(icv, full, alg->icvlen);
	return 0;
}

int
sa_cbc_iv(struct dp_sa *sa, struct sa_slot *slot, uint64_t seq, uint8_t *iv)
{
	uint8_t in[16] = {0}, out[16];
	int outl = 0;

	wr64(in, seq);
	if (!EVP_EncryptUpdate(slot->ivgen, out, &outl, in, sizeof(in)) ||
	    outl != 16)
		return -1;
	memcpy(iv, out, sa->ealg->ivlen);
	return 0;
}

static EVP_CIPHER_CTX *
cipher_new(const char *name, const uint8_t *key, int enc, bool nopad)
{
	EVP_CIPHER *cipher = NULL;
	EVP_CIPHER_CTX *ctx = NULL;

	cipher = EVP_CIPHER_fetch(NULL, name, NULL);
	ctx = EVP_CIPHER_CTX_new();
	if (cipher == NULL || ctx == NULL ||
	    !EVP_CipherInit_ex2(ctx, cipher, key, NULL, enc, NULL))
		goto fail;
	if (nopad && !EVP_CIPHER_CTX_set_padding(ctx, 0))
		goto fail;
	EVP_CIPHER_free(cipher);
	return ctx;
fail:
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(cipher);
	return NULL;
}

static void
slot_free(struct sa_slot *s)
{
	EVP_CIPHER_CTX_free(s->cipher);
	EVP_MAC_CTX_free(s->mac);
	EVP_MAC_CTX_free(s->ah_mac);
	EVP_CIPHER_CTX_free(s->ivgen);
	memset(s, 0, sizeof(*s));
}

/* ---- validation ----------------------------------------------------- */

static bool
addr_ok(const struct dp_addr *a)
{
	return a->family == AF_INET || a->family == AF_INET6;
}

static bool
sel_ok(const struct dp_selector *s)
{
	if (s->src.family != 0 && !addr_ok(&s->src))
		return false;
	if (s->dst.family != 0 && !addr_ok(&s->dst))
		return false;
	if (s->src_plen > (s->src.family == AF_INET ? 32 : 128) ||
	    s->dst_plen > (s->dst.family == AF_INET ? 32 : 128))
		return false;
	return true;
}

static bool
params_ok(const struct dp_sa_params *p)
{
	const struct enc_alg *e = enc_alg_get(p->enc);
	const struct auth_alg *a = auth_alg_get(p->esp_auth);
	const struct auth_alg *ah = auth_alg_get(p->ah_auth);
	bool has_esp, has_ah;

	if ((unsigned)p->dir > DP_DIR_OUT ||
	    (unsigned)p->mode > DP_MODE_TUNNEL ||
	    (unsigned)p->encap > DP_ENCAP_UDP ||
	    (unsigned)p->proto > DP_PROTO_AH_ESP || e == NULL || a == NULL ||
	    ah == NULL)
		return false;
	if (p->nslots < 1 || p->nslots > 1024 ||
	    p->replay_window > DP_REPLAY_WINDOW_MAX || !sel_ok(&p->sel))
		return false;
	/* SPI 0 is reserved (RFC 4303 §2.1). */
	if (p->spi == 0)
		return false;
	has_esp = p->proto != DP_PROTO_AH;
	has_ah = p->proto != DP_PROTO_ESP;
	if (has_esp) {
		/* Some protection, and never AEAD plus integrity. */
		if (p->enc == DP_ENC_NULL && p->esp_auth == DP_AUTH_NONE)
			return false;
		if (e->aead && p->esp_auth != DP_AUTH_NONE)
			return false;
		if (p->enc_key_len != e->keylen + e->saltlen ||
		    (e->keylen > 0 && p->enc_key == NULL))
			return false;
		if (p->esp_auth_key_len != a->keylen ||
		    (a->keylen > 0 && p->esp_auth_key == NULL))
			return false;
	} else if (p->enc != DP_ENC_NULL || p->esp_auth != DP_AUTH_NONE) {
		return false;
	}
	if (has_ah) {
		if (p->ah_auth == DP_AUTH_NONE ||
		    p->ah_auth_key_len != ah->keylen || p->ah_auth_key == NULL)
			return false;
		/* AH does not cross NATs: no UDP encapsulation. */
		if (p->encap != DP_ENCAP_NONE)
			return false;
		if (p->proto == DP_PROTO_AH_ESP && p->ah_spi == 0)
			return false;
	} else if (p->ah_auth != DP_AUTH_NONE) {
		return false;
	}
	if (p->mode == DP_MODE_TUNNEL &&
	    (!addr_ok(&p->tun_src) || p->tun_dst.family != p->tun_src.family))
		return false;
	return true;
}

/* ---- SA life -------------------------------------------------------- */

void
dp_sa_params_init(struct dp_sa_params *p)
{
	memset(p, 0, sizeof(*p));
	p->dir = DP_DIR_OUT;
	p->mode = DP_MODE_TRANSPORT;
	p->encap = DP_ENCAP_NONE;
	p->encap_sport = 4500;
	p->encap_dport = 4500;
	p->proto = DP_PROTO_ESP;
	p->nslots = 1;
}

static void
sa_destroy(struct dp_sa *sa)
{
	unsigned i;

	if (sa == NULL)
		return;
	if (sa->slots != NULL) {
		for (i = 0; i < sa->nslots; i++)
			slot_free(&sa->slots[i]);
		free(sa->slots);
	}
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

enum dp_result
dp_sa_new(const struct dp_sa_params *p, struct dp_sa **out)
{
	enum dp_result rc = DP_ERR_CRYPTO;
	struct dp_sa *sa = NULL;
	uint8_t kiv[16];
	bool need_ivgen;
	unsigned i;
	int enc;

	*out = NULL;
	if (!params_ok(p))
		return DP_ERR_INVAL;
	sa = aligned_alloc(64, (sizeof(*sa) + 63) & ~(size_t)63);
	if (sa == NULL)
		return DP_ERR_NOMEM;
	memset(sa, 0, sizeof(*sa));
	sa->dir = p->dir;
	sa->mode = p->mode;
	sa->encap = p->encap;
	sa->encap_sport = p->encap_sport;
	sa->encap_dport = p->encap_dport;
	sa->proto = p->proto;
	sa->enc = p->enc;
	sa->esp_auth = p->esp_auth;
	sa->ah_auth = p->ah_auth;
	if (p->proto == DP_PROTO_AH) {
		sa->ah_spi = p->spi;
	} else {
		sa->spi = p->spi;
		sa->ah_spi = p->proto == DP_PROTO_AH_ESP ? p->ah_spi : 0;
		sa->ealg = enc_alg_get(p->enc);
		sa->aalg = p->esp_auth == DP_AUTH_NONE
		               ? NULL
		               : auth_alg_get(p->esp_auth);
	}
	if (p->proto != DP_PROTO_ESP)
		sa->ahalg = auth_alg_get(p->ah_auth);
	sa->sel = p->sel;
	sa->tun_src = p->tun_src;
	sa->tun_dst = p->tun_dst;
	sa->soft = p->soft;
	sa->hard = p->hard;
	sa->no_replay = p->no_replay;
	sa->nslots = p->nslots;
	atomic_init(&sa->out_seq, 0);
	atomic_init(&sa->bytes, 0);
	atomic_init(&sa->packets, 0);
	atomic_init(&sa->soft_hit, false);
	atomic_init(&sa->hard_hit, false);
	atomic_init(&sa->refs, 1);
	replay_init(&sa->replay, p->replay_window);

	sa->slots = aligned_alloc(64, sizeof(*sa->slots) * p->nslots);
	if (sa->slots == NULL) {
		rc = DP_ERR_NOMEM;
		goto fail;
	}
	memset(sa->slots, 0, sizeof(*sa->slots) * p->nslots);

	enc = p->dir == DP_DIR_OUT;
	need_ivgen = sa->ealg != NULL && sa->ealg->ossl != NULL &&
	             !sa->ealg->aead && enc;
	if (sa->ealg != NULL && sa->ealg->saltlen > 0)
		memcpy(sa->salt, p->enc_key + sa->ealg->keylen, SA_SALT_LEN);
	if (sa->ealg != NULL && sa->ealg->aead &&
	    RAND_bytes((uint8_t *)&sa->iv_mask, sizeof(sa->iv_mask)) != 1)
		goto fail;
	if (need_ivgen && RAND_bytes(kiv, sizeof(kiv)) != 1)
		goto fail;
	for (i = 0; i < p->nslots; i++) {
		struct sa_slot *s = &sa->slots[i];

		if (sa->ealg != NULL && sa->ealg->ossl != NULL) {
			s->cipher = cipher_new(sa->ealg->ossl, p->enc_key, enc,
			                       !sa->ealg->aead);
			if (s->cipher == NULL)
				goto fail;
		}
		if (sa->aalg != NULL) {
			s->mac = sa_hmac_new(sa->aalg, p->esp_auth_key,
			                     p->esp_auth_key_len);
			if (s->mac == NULL)
				goto fail;
		}
		if (sa->ahalg != NULL) {
			s->ah_mac = sa_hmac_new(sa->ahalg, p->ah_auth_key,
			                        p->ah_auth_key_len);
			if (s->ah_mac == NULL)
				goto fail;
		}
		if (need_ivgen) {
			s->ivgen = cipher_new("AES-128-ECB", kiv, 1, true);
			if (s->ivgen == NULL)
				goto fail;
		}
	}
	OPENSSL_cleanse(kiv, sizeof(kiv));
	if (p->rekey)
		sa->rekey = true;
	*out = sa;
	return DP_OK;
fail:
	OPENSSL_cleanse(kiv, sizeof(kiv));
	sa_destroy(sa);
	return rc;
}

void
dp_sa_get(struct dp_sa *sa)
{
	atomic_fetch_add_explicit(&sa->refs, 1, memory_order_relaxed);
}

void
dp_sa_put(struct dp_sa *sa)
{
	if (sa == NULL)
		return;
	if (atomic_fetch_sub_explicit(&sa->refs, 1, memory_order_acq_rel) == 1)
		sa_destroy(sa);
}

uint32_t
sa_next_seq(struct dp_sa *sa)
{
	uint64_t seq =
	    atomic_fetch_add_explicit(&sa->out_seq, 1, memory_order_relaxed) +
	    1;

	if (seq > UINT32_MAX) {
		/* Never wrap (RFC 4303 §3.3.3): the SA is done. */
		atomic_store_explicit(&sa->hard_hit, true,
		                      memory_order_relaxed);
		return 0;
	}
	if (seq >= DP_SEQ_SOFT_LIMIT)
		atomic_store_explicit(&sa->soft_hit, true,
		                      memory_order_relaxed);
	return (uint32_t)seq;
}

int
sa_account(struct dp_sa *sa, size_t len)
{
	uint64_t b =
	    atomic_fetch_add_explicit(&sa->bytes, len, memory_order_relaxed) +
	    len;
	uint64_t n =
	    atomic_fetch_add_explicit(&sa->packets, 1, memory_order_relaxed) +
	    1;

	if ((sa->hard.bytes != 0 && b > sa->hard.bytes) ||
	    (sa->hard.packets != 0 && n > sa->hard.packets)) {
		atomic_store_explicit(&sa->hard_hit, true,
		                      memory_order_relaxed);
		return -1;
	}
	if ((sa->soft.bytes != 0 && b >= sa->soft.bytes) ||
	    (sa->soft.packets != 0 && n >= sa->soft.packets))
		atomic_store_explicit(&sa->soft_hit, true,
		                      memory_order_relaxed);
	return 0;
}

bool
dp_sa_hard_expired(const struct dp_sa *sa)
{
	return atomic_load_explicit(&sa->hard_hit, memory_order_relaxed) ||
	       atomic_load_explicit(&sa->out_seq, memory_order_relaxed) >=
	           UINT32_MAX;
}

bool
dp_sa_soft_expired(const struct dp_sa *sa)
{
	return atomic_load_explicit(&sa->soft_hit, memory_order_relaxed) ||
	       atomic_load_explicit(&sa->out_seq, memory_order_relaxed) >=
	           DP_SEQ_SOFT_LIMIT ||
	       dp_sa_hard_expired(sa);
}

void
dp_sa_info(const struct dp_sa *sa, struct dp_sa_info *out)
{
	memset(out, 0, sizeof(*out));
	out->spi = sa->proto == DP_PROTO_AH ? sa->ah_spi : sa->spi;
	out->ah_spi = sa->proto == DP_PROTO_AH_ESP ? sa->ah_spi : 0;
	out->dir = sa->dir;
	out->mode = sa->mode;
	out->encap = sa->encap;
	out->proto = sa->proto;
	out->enc = sa->enc;
	out->esp_auth = sa->esp_auth;
	out->ah_auth = sa->ah_auth;
	out->bytes = atomic_load_explicit(&sa->bytes, memory_order_relaxed);
	out->packets = atomic_load_explicit(&sa->packets, memory_order_relaxed);
	if (sa->dir == DP_DIR_OUT) {
		out->seq =
		    atomic_load_explicit(&sa->out_seq, memory_order_relaxed);
		if (out->seq > UINT32_MAX)
			out->seq = UINT32_MAX;
	} else {
		/* replay_top() takes the window lock, which is not const. */
		out->seq = replay_top((struct replay *)(uintptr_t)&sa->replay);
	}
	out->soft_expired = dp_sa_soft_expired(sa);
	out->hard_expired = dp_sa_hard_expired(sa);
}

void
sa_test_set_next_seq(struct dp_sa *sa, uint64_t seq)
{
	atomic_store(&sa->out_seq, seq - 1);
}

void
sa_test_reset_replay(struct dp_sa *sa)
{
	replay_init(&sa->replay, sa->replay.window);
}

/* ---- SA database ---------------------------------------------------- */

struct dp_sadb {
	pthread_rwlock_t lock;
	struct dp_sa **buckets;
	unsigned mask;
	unsigned count;
	struct dp_stats stats; /* written under the write lock */
};

static void
sa_key(const struct dp_sa *sa, uint32_t *spi, enum dp_proto *proto)
{
	if (sa->proto == DP_PROTO_ESP) {
		*spi = sa->spi;
		*proto = DP_PROTO_ESP;
	} else {
		*spi = sa->ah_spi;
		*proto = DP_PROTO_AH;
	}
}

static unsigned
bucket_of(const struct dp_sadb *db, uint32_t spi, enum dp_proto proto,
          enum dp_dir dir)
{
	/* Fibonacci hashing; our SPIs are random, peers' need not be. */
	uint32_t h =
	    (spi ^ (uint32_t)proto << 30 ^ (uint32_t)dir << 31) * 0x9e3779b1u;

	return (h >> 16 ^ h) & db->mask;
}

struct dp_sadb *
dp_sadb_new(unsigned nbuckets)
{
	struct dp_sadb *db;
	unsigned n = 16;

	while (n < nbuckets && n < (1u << 24))
		n <<= 1;
	db = calloc(1, sizeof(*db));
	if (db == NULL)
		return NULL;
	db->buckets = calloc(n, sizeof(*db->buckets));
	if (db->buckets == NULL || pthread_rwlock_init(&db->lock, NULL) != 0) {
		free(db->buckets);
		free(db);
		return NULL;
	}
	db->mask = n - 1;
	return db;
}

void
dp_sadb_free(struct dp_sadb *db)
{
	unsigned i;

	if (db == NULL)
		return;
	for (i = 0; i <= db->mask; i++) {
		struct dp_sa *sa = db->buckets[i], *next;

		for (; sa != NULL; sa = next) {
			next = sa->hnext;
			sa->hnext = NULL;
			dp_sa_put(sa);
		}
	}
	pthread_rwlock_destroy(&db->lock);
	free(db->buckets);
	free(db);
}

static struct dp_sa **
find_locked(struct dp_sadb *db, uint32_t spi, enum dp_proto proto,
            enum dp_dir dir)
{
	struct dp_sa **pp = &db->buckets[bucket_of(db, spi, proto, dir)];

	for (; *pp != NULL; pp = &(*pp)->hnext) {
		uint32_t s;
		enum dp_proto pr;

		sa_key(*pp, &s, &pr);
		if (s == spi && pr == proto && (*pp)->dir == dir)
			return pp;
	}
	return pp;
}

enum dp_result
dp_sadb_insert(struct dp_sadb *db, struct dp_sa *sa)
{
	struct dp_sa **pp;
	uint32_t spi;
	enum dp_proto proto;
	enum dp_result rc = DP_OK;

	sa_key(sa, &spi, &proto);
	pthread_rwlock_wrlock(&db->lock);
	pp = find_locked(db, spi, proto, sa->dir);
	if (*pp != NULL) {
		rc = DP_ERR_EXISTS;
		goto out;
	}
	dp_sa_get(sa);
	sa->hnext = NULL;
	*pp = sa;
	db->count++;
	STAT_INC(&db->stats, active_sa);
	STAT_INC(&db->stats, key_additions);
	if (sa->rekey)
		STAT_INC(&db->stats, rekeys);
	if (sa->mode == DP_MODE_TUNNEL)
		STAT_INC(&db->stats, active_tunnels);
out:
	pthread_rwlock_unlock(&db->lock);
	return rc;
}

enum dp_result
dp_sadb_remove(struct dp_sadb *db, uint32_t spi, enum dp_proto proto,
               enum dp_dir dir)
{
	struct dp_sa **pp, *sa;

	if (proto == DP_PROTO_AH_ESP)
		proto = DP_PROTO_AH;
	pthread_rwlock_wrlock(&db->lock);
	pp = find_locked(db, spi, proto, dir);
	sa = *pp;
	if (sa == NULL) {
		pthread_rwlock_unlock(&db->lock);
		return DP_ERR_NOT_FOUND;
	}
	*pp = sa->hnext;
	sa->hnext = NULL;
	db->count--;
	stat_add(&db->stats.active_sa, (uint64_t)-1);
	STAT_INC(&db->stats, key_deletions);
	if (sa->mode == DP_MODE_TUNNEL)
		stat_add(&db->stats.active_tunnels, (uint64_t)-1);
	pthread_rwlock_unlock(&db->lock);
	/* Workers still holding it finish their packet, then it goes. */
	dp_sa_put(sa);
	return DP_OK;
}

struct dp_sa *
dp_sadb_lookup(struct dp_sadb *db, uint32_t spi, enum dp_proto proto,
               enum dp_dir dir, struct dp_stats *st)
{
	struct dp_sa *sa;

	pthread_rwlock_rdlock(&db->lock);
	sa = *find_locked(db, spi, proto, dir);
	if (sa != NULL)
		dp_sa_get(sa);
	pthread_rwlock_unlock(&db->lock);
	if (sa == NULL && st != NULL)
		STAT_INC(st, bad_spi);
	return sa;
}

unsigned
dp_sadb_count(struct dp_sadb *db)
{
	unsigned n;

	pthread_rwlock_rdlock(&db->lock);
	n = db->count;
	pthread_rwlock_unlock(&db->lock);
	return n;
}

void
dp_sadb_foreach(struct dp_sadb *db,
                void (*fn)(const struct dp_sa *sa, void *arg), void *arg)
{
	unsigned i;

	pthread_rwlock_rdlock(&db->lock);
	for (i = 0; i <= db->mask; i++) {
		const struct dp_sa *sa;

		for (sa = db->buckets[i]; sa != NULL; sa = sa->hnext)
			fn(sa, arg);
	}
	pthread_rwlock_unlock(&db->lock);
}

void
dp_sadb_stats(struct dp_sadb *db, struct dp_stats *sum)
{
	dp_stats_accumulate(sum, &db->stats);
}
