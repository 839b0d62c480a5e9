/*
 * bench_esp.c - micro-benchmark of the datapath's crypto core: one core
 * encapsulates and decapsulates 1400-byte inner packets (IPv4, tunnel
 * mode) in place, per algorithm, and prints Gbit/s of inner bytes through
 * encap+decap.  The baseline, measured in the same run, is OpenSSL's raw
 * EVP AES-128-GCM seal + open of the same 1400 bytes with reused
 * contexts: the ratio says what the ESP machinery costs on top of the
 * cipher.  Medians of several timed runs.  Never a pass/fail test.
 *
 * usage: bench_esp [runs (default 7)] [seconds per run (default 0.3)]
 *                  [packet size (default 1400)]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <openssl/evp.h>

#include "datapath.h"

#define MAX_RUNS 31

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* An IPv4/UDP packet of size bytes. */
static void
build_packet(uint8_t *b, size_t size)
{
	size_t i;

	memset(b, 0, size);
	b[0] = 0x45;
	b[2] = (uint8_t)(size >> 8);
	b[3] = (uint8_t)size;
	b[8] = 64;
	b[9] = 17;
	b[12] = 10;
	b[15] = 1;
	b[16] = 10;
	b[19] = 2;
	for (i = 28; i < size; i++)
		b[i] = (uint8_t)i;
}

/* ---- baseline: raw EVP AES-128-GCM seal + open ------------------------ */

struct gcm_base {
	EVP_CIPHER_CTX *enc, *dec;
	uint8_t buf[9000];
	uint8_t aad[8];
	size_t len;
};

static int
gcm_base_one(struct gcm_base *g, uint64_t n)
{
	uint8_t iv[12] = {1, 2, 3, 4}, tag[16];
	int l = 0;

	memcpy(iv + 4, &n, 8);
	if (!EVP_EncryptInit_ex2(g->enc, NULL, NULL, iv, NULL) ||
	    !EVP_EncryptUpdate(g->enc, NULL, &l, g->aad, 8) ||
	    !EVP_EncryptUpdate(g->enc, g->buf, &l, g->buf, (int)g->len) ||
	    !EVP_EncryptFinal_ex(g->enc, g->buf, &l) ||
	    !EVP_CIPHER_CTX_ctrl(g->enc, EVP_CTRL_AEAD_GET_TAG, 16, tag))
		return -1;
	if (!EVP_DecryptInit_ex2(g->dec, NULL, NULL, iv, NULL) ||
	    !EVP_DecryptUpdate(g->dec, NULL, &l, g->aad, 8) ||
	    !EVP_DecryptUpdate(g->dec, g->buf, &l, g->buf, (int)g->len) ||
	    !EVP_CIPHER_CTX_ctrl(g->dec, EVP_CTRL_AEAD_SET_TAG, 16, tag) ||
	    EVP_DecryptFinal_ex(g->dec, g->buf, &l) <= 0)
		return -1;
	return 0;
}

static double
run_baseline(size_t size, double secs)
{
	static struct gcm_base g;
	uint8_t key[16] = {7};
	uint64_t n = 0;
	double t0, t;
	int i;

	g.enc = EVP_CIPHER_CTX_new();
	g.dec = EVP_CIPHER_CTX_new();
	g.len = size;
	if (!EVP_EncryptInit_ex2(g.enc, EVP_aes_128_gcm(), key, NULL, NULL) ||
	    !EVP_DecryptInit_ex2(g.dec, EVP_aes_128_gcm(), key, NULL, NULL))
		return 0;
	t0 = now();
	do {
		for (i = 0; i < 1000; i++)
			if (gcm_base_one(&g, n++) < 0)
				return 0;
		t = now() - t0;
	} while (t < secs);
	EVP_CIPHER_CTX_free(g.enc);
	EVP_CIPHER_CTX_free(g.dec);
	return (double)n * (double)size * 8 / t / 1e9;
}

/* ---- ours ------------------------------------------------------------- */

struct alg {
	const char *name;
	enum dp_proto proto;
	enum dp_enc enc;
	enum dp_auth auth, ah;
};

static const struct alg algs[] = {
    {"ESP AES128GCM", DP_PROTO_ESP, DP_ENC_AES128_GCM, DP_AUTH_NONE, 0},
    {"ESP AES256GCM", DP_PROTO_ESP, DP_ENC_AES256_GCM, DP_AUTH_NONE, 0},
    {"ESP AES128-SHA1", DP_PROTO_ESP, DP_ENC_AES128_CBC, DP_AUTH_HMAC_SHA1_96,
     0},
    {"ESP AES128-SHA256", DP_PROTO_ESP, DP_ENC_AES128_CBC,
     DP_AUTH_HMAC_SHA256_128, 0},
    {"ESP AES256-SHA256", DP_PROTO_ESP, DP_ENC_AES256_CBC,
     DP_AUTH_HMAC_SHA256_128, 0},
    {"ESP 3DES-SHA1", DP_PROTO_ESP, DP_ENC_3DES_CBC, DP_AUTH_HMAC_SHA1_96, 0},
    {"AH SHA256", DP_PROTO_AH, DP_ENC_NULL, DP_AUTH_NONE,
     DP_AUTH_HMAC_SHA256_128},
};

#define NALGS (sizeof(algs) / sizeof(algs[0]))

static struct dp_sa *
make(const struct alg *a, enum dp_dir dir)
{
	static const uint8_t key[64] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	struct dp_sa_params p;
	struct dp_sa *sa = NULL;

	dp_sa_params_init(&p);
	p.spi = 0x1000;
	p.dir = dir;
	p.mode = DP_MODE_TUNNEL;
	p.proto = a->proto;
	p.tun_src.family = p.tun_dst.family = AF_INET;
	p.tun_src.bytes[0] = 192;
	p.tun_dst.bytes[0] = 193;
	if (a->proto == DP_PROTO_ESP) {
		p.enc = a->enc;
		p.enc_key = key;
		p.enc_key_len = dp_enc_key_len(a->enc);
		p.esp_auth = a->auth;
		p.esp_auth_key = key;
		p.esp_auth_key_len = dp_auth_key_len(a->auth);
	} else {
		p.ah_auth = a->ah;
		p.ah_auth_key = key;
		p.ah_auth_key_len = dp_auth_key_len(a->ah);
	}
	if (dp_sa_new(&p, &sa) != DP_OK)
		return NULL;
	return sa;
}

static double
run_ours(const struct alg *a, struct dp_pkt *pkt, const uint8_t *inner,
         size_t size, double secs)
{
	struct dp_worker w = {0};
	struct dp_sa *out = make(a, DP_DIR_OUT), *in = make(a, DP_DIR_IN);
	struct dp_addr src = {.family = AF_INET}, dst = src;
	uint64_t n = 0;
	double t0, t = 0;
	int i;

	if (out == NULL || in == NULL || dp_pkt_set(pkt, inner, size) < 0)
		return 0;
	t0 = now();
	do {
		/* Tunnel mode decap leaves the inner packet where encap
		 * found it: no copy between iterations. */
		for (i = 0; i < 1000; i++, n++) {
			enum dp_result rc;

			if (a->proto == DP_PROTO_ESP) {
				rc = dp_esp_encap(&w, out, pkt);
				if (rc == DP_OK)
					rc = dp_esp_decap(&w, in, pkt, &src,
					                  &dst);
			} else {
				rc = dp_ah_encap(&w, out, pkt);
				if (rc == DP_OK)
					rc = dp_ah_decap(&w, in, pkt);
			}
			if (rc != DP_OK) {
				fprintf(stderr, "%s: %s\n", a->name,
				        dp_result_str(rc));
				return 0;
			}
		}
		t = now() - t0;
	} while (t < secs);
	if (pkt->len != size || memcmp(dp_pkt_data(pkt), inner, size) != 0) {
		fprintf(stderr, "%s: round trip changed the packet\n", a->name);
		return 0;
	}
	dp_sa_put(out);
	dp_sa_put(in);
	return (double)n * (double)size * 8 / t / 1e9;
}

int
main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 7;
	double secs = argc > 2 ? atof(argv[2]) : 0.3;
	size_t size = argc > 3 ? (size_t)atol(argv[3]) : 1400;
	struct dp_pool *pool = dp_pool_new(1, 16384);
	struct dp_pkt *pkt;
	uint8_t inner[9000];
	double base[MAX_RUNS], b;
	static double v[NALGS][MAX_RUNS], ratio[NALGS][MAX_RUNS];
	size_t k;
	int r;

	if (runs < 1 || runs > MAX_RUNS || secs <= 0 || size < 28 ||
	    size > 8000 || pool == NULL) {
		fprintf(stderr,
		        "usage: bench_esp [runs 1-%d] [seconds] "
		        "[size 28-8000]\n",
		        MAX_RUNS);
		return 2;
	}
	pkt = dp_pool_get(pool);
	build_packet(inner, size);
	printf("encap+decap on one core, %zu-byte inner IPv4 packets, "
	       "tunnel mode; median of %d rounds of %.2f s runs\n",
	       size, runs, secs);
	/* Rounds interleave the baseline with every algorithm, so each
	 * ratio compares runs taken close together on a shared machine; the
	 * ratio printed is the median of the per-round ratios. */
	for (r = 0; r < runs; r++) {
		base[r] = run_baseline(size, secs);
		for (k = 0; k < NALGS; k++)
			v[k][r] = run_ours(&algs[k], pkt, inner, size, secs);
	}
	for (k = 0; k < NALGS; k++)
		for (r = 0; r < runs; r++)
			ratio[k][r] = base[r] > 0 ? v[k][r] / base[r] : 0;
	b = median(base, runs);
	printf("%-22s %8.2f Gbit/s  (baseline: raw EVP seal+open)\n",
	       "EVP AES-128-GCM", b);
	for (k = 0; k < NALGS; k++) {
		double m = median(v[k], runs);

		printf("%-22s %8.2f Gbit/s  %6.2f x baseline  %8.0f kpps\n",
		       algs[k].name, m, median(ratio[k], runs),
		       m * 1e9 / 8 / (double)size / 1e3);
	}
	dp_pkt_release(pkt);
	dp_pool_free(pool);
	return 0;
}
