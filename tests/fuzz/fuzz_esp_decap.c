/*
 * fuzz_esp_decap.c - libFuzzer target for the inbound datapath: arbitrary
 * bytes go to dp_esp_input() or dp_ah_input() against a fixed set of
 * inbound SAs (AES-GCM, AES-CBC with HMAC, AES-CBC without integrity so
 * that garbage reaches the trailer and inner-packet checks, AH, AH+ESP).
 *
 * Input: byte 0 = flags (bit 0: outer IPv6, bit 1: AH path), then the ESP
 * packet (SPI .. ICV) or, for AH, the whole outer IP packet.
 * The replay windows are reset before each input so runs are
 * deterministic.  Must never crash, leak or read out of bounds; a packet
 * that is accepted must be a well-formed IP datagram of its length.
 *
 * Built with -DESP_CORPUS_MAIN instead, the same file writes the seed
 * corpus (tests/fuzz/corpus/esp/) with the matching outbound SAs and
 * fixed IVs:
 *   cc -DESP_CORPUS_MAIN -Idatapath tests/fuzz/fuzz_esp_decap.c \
 *      datapath/{pkt,replay,sa,esp,ah,stats}.c -lcrypto -o /tmp/gen &&
 *   /tmp/gen tests/fuzz/corpus/esp
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "datapath.h"
#include "esp.h"
#include "sa.h"

struct fsa {
	const char *name;
	uint32_t spi;
	enum dp_proto proto;
	enum dp_enc enc;
	enum dp_auth auth, ah;
	enum dp_mode mode;
	enum dp_encap encap;
	bool selector; /* only 10.0.0.0/8 <-> 10.0.0.0/8 */
};

static const struct fsa fsas[] = {
    {"gcm128-tr", 0x1001, DP_PROTO_ESP, DP_ENC_AES128_GCM, DP_AUTH_NONE,
     DP_AUTH_NONE, DP_MODE_TRANSPORT, DP_ENCAP_NONE, false},
    {"gcm256-tun", 0x1002, DP_PROTO_ESP, DP_ENC_AES256_GCM, DP_AUTH_NONE,
     DP_AUTH_NONE, DP_MODE_TUNNEL, DP_ENCAP_NONE, true},
    {"cbc-sha256-tr-udp", 0x1003, DP_PROTO_ESP, DP_ENC_AES128_CBC,
     DP_AUTH_HMAC_SHA256_128, DP_AUTH_NONE, DP_MODE_TRANSPORT, DP_ENCAP_UDP,
     false},
    {"cbc-sha1-tun", 0x1004, DP_PROTO_ESP, DP_ENC_AES128_CBC,
     DP_AUTH_HMAC_SHA1_96, DP_AUTH_NONE, DP_MODE_TUNNEL, DP_ENCAP_NONE, false},
    {"cbc-noauth-tun", 0x1005, DP_PROTO_ESP, DP_ENC_AES256_CBC, DP_AUTH_NONE,
     DP_AUTH_NONE, DP_MODE_TUNNEL, DP_ENCAP_NONE, true},
    {"cbc-noauth-tr", 0x1006, DP_PROTO_ESP, DP_ENC_AES128_CBC, DP_AUTH_NONE,
     DP_AUTH_NONE, DP_MODE_TRANSPORT, DP_ENCAP_UDP, false},
    {"3des-sha1-tr", 0x1007, DP_PROTO_ESP, DP_ENC_3DES_CBC,
     DP_AUTH_HMAC_SHA1_96, DP_AUTH_NONE, DP_MODE_TRANSPORT, DP_ENCAP_NONE,
     false},
    {"ah-sha256-tr", 0x2001, DP_PROTO_AH, DP_ENC_NULL, DP_AUTH_NONE,
     DP_AUTH_HMAC_SHA256_128, DP_MODE_TRANSPORT, DP_ENCAP_NONE, false},
    {"ah-sha1-tun", 0x2002, DP_PROTO_AH, DP_ENC_NULL, DP_AUTH_NONE,
     DP_AUTH_HMAC_SHA1_96, DP_MODE_TUNNEL, DP_ENCAP_NONE, false},
    {"ah-esp-tr", 0x2003, DP_PROTO_AH_ESP, DP_ENC_AES128_GCM, DP_AUTH_NONE,
     DP_AUTH_HMAC_SHA1_96, DP_MODE_TRANSPORT, DP_ENCAP_NONE, false},
};

#define NFSA (sizeof(fsas) / sizeof(fsas[0]))

static struct dp_addr a4[2], a6[2];

static void
addrs_init(void)
{
	memset(a4, 0, sizeof(a4));
	memset(a6, 0, sizeof(a6));
	a4[0].family = a4[1].family = AF_INET;
	a4[0].bytes[0] = a4[1].bytes[0] = 10;
	a4[0].bytes[3] = 1;
	a4[1].bytes[3] = 2;
	a6[0].family = a6[1].family = AF_INET6;
	a6[0].bytes[0] = a6[1].bytes[0] = 0xfd;
	a6[0].bytes[15] = 1;
	a6[1].bytes[15] = 2;
}

static struct dp_sa *
fsa_new(const struct fsa *f, enum dp_dir dir, int tfamily)
{
	struct dp_sa_params p;
	struct dp_sa *sa = NULL;
	uint8_t ek[64], ak[64], hk[64];
	size_t i;

	for (i = 0; i < 64; i++) {
		ek[i] = (uint8_t)(f->spi + i);
		ak[i] = (uint8_t)(f->spi * 3 + i);
		hk[i] = (uint8_t)(f->spi * 5 + i);
	}
	dp_sa_params_init(&p);
	p.spi = f->proto == DP_PROTO_AH_ESP ? f->spi + 0x100 : f->spi;
	p.ah_spi = f->spi;
	p.dir = dir;
	p.mode = f->mode;
	p.encap = f->encap;
	p.proto = f->proto;
	if (f->proto != DP_PROTO_AH) {
		p.enc = f->enc;
		p.enc_key = ek;
		p.enc_key_len = dp_enc_key_len(f->enc);
		p.esp_auth = f->auth;
		p.esp_auth_key = ak;
		p.esp_auth_key_len = dp_auth_key_len(f->auth);
	}
	if (f->proto != DP_PROTO_ESP) {
		p.ah_auth = f->ah;
		p.ah_auth_key = hk;
		p.ah_auth_key_len = dp_auth_key_len(f->ah);
	}
	if (f->mode == DP_MODE_TUNNEL) {
		p.tun_src = tfamily == AF_INET ? a4[0] : a6[0];
		p.tun_dst = tfamily == AF_INET ? a4[1] : a6[1];
	}
	if (f->selector) {
		p.sel.src = a4[0];
		p.sel.src_plen = 8;
		p.sel.dst = a4[0];
		p.sel.dst_plen = 8;
	}
	if (dp_sa_new(&p, &sa) != DP_OK)
		abort();
	return sa;
}

#ifndef ESP_CORPUS_MAIN

static struct dp_sadb *db;
static struct dp_sa *in[NFSA];
static struct dp_pool *pool;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	addrs_init();
	db = dp_sadb_new(64);
	pool = dp_pool_new(2, DP_PKT_DEFAULT_SIZE);
	if (db == NULL || pool == NULL)
		abort();
	for (i = 0; i < NFSA; i++) {
		in[i] = fsa_new(&fsas[i], DP_DIR_IN, AF_INET);
		if (dp_sadb_insert(db, in[i]) != DP_OK)
			abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_worker w = {0};
	struct dp_pkt *pkt;
	enum dp_result rc;
	uint8_t flags;
	size_t i;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	for (i = 0; i < NFSA; i++)
		sa_test_reset_replay(in[i]);
	pkt = dp_pool_get(pool);
	if (dp_pkt_set(pkt, data, size) < 0) {
		dp_pkt_release(pkt);
		return 0;
	}
	if (flags & 2) {
		rc = dp_ah_input(&w, db, pkt);
	} else {
		const struct dp_addr *a = flags & 1 ? a6 : a4;

		rc = dp_esp_input(&w, db, pkt, &a[0], &a[1]);
	}
	if (rc == DP_OK) {
		struct dp_flow f;

		/* What we deliver is one well-formed datagram. */
		if (dp_flow_parse(dp_pkt_data(pkt), pkt->len, &f) != DP_OK ||
		    f.len != pkt->len || pkt->off + pkt->len > pkt->size)
			__builtin_trap();
	} else {
		uint64_t sum = 0;
		int k;

		/* A refused packet moved exactly one counter, or none for
		 * programmer errors (DP_ERR_INVAL, NOSPACE, CRYPTO). */
		for (k = 0; k < DP_STAT_COUNT; k++)
			sum += dp_stats_get(&w.stats, (enum dp_stat_index)k);
		if (sum > 1)
			__builtin_trap();
	}
	dp_pkt_release(pkt);
	return 0;
}

#else /* ESP_CORPUS_MAIN: write the seed corpus */

static void
inner_packet(uint8_t *b, size_t *len, int family, size_t paylen)
{
	size_t hl = family == AF_INET ? 20 : 40, i;

	memset(b, 0, hl + 8);
	for (i = 0; i < paylen; i++)
		b[hl + 8 + i] = (uint8_t)('a' + i % 26);
	b[hl] = 0x30; /* UDP 12345 -> 53, checksum 0 (v4) */
	b[hl + 1] = 0x39;
	b[hl + 3] = 53;
	b[hl + 4] = (uint8_t)((8 + paylen) >> 8);
	b[hl + 5] = (uint8_t)(8 + paylen);
	if (family == AF_INET) {
		b[0] = 0x45;
		b[2] = (uint8_t)((hl + 8 + paylen) >> 8);
		b[3] = (uint8_t)(hl + 8 + paylen);
		b[8] = 64;
		b[9] = 17;
		memcpy(b + 12, a4[0].bytes, 4);
		memcpy(b + 16, a4[1].bytes, 4);
	} else {
		b[0] = 0x60;
		b[4] = (uint8_t)((8 + paylen) >> 8);
		b[5] = (uint8_t)(8 + paylen);
		b[6] = 17;
		b[7] = 64;
		memcpy(b + 8, a6[0].bytes, 16);
		memcpy(b + 24, a6[1].bytes, 16);
		b[hl + 6] = 0x12; /* any non-zero checksum */
	}
	*len = hl + 8 + paylen;
}

int
main(int argc, char **argv)
{
	static const uint8_t iv[16] = {0x10, 0x32, 0x54, 0x76, 0x98, 0xba,
	                               0xdc, 0xfe, 0x01, 0x23, 0x45, 0x67,
	                               0x89, 0xab, 0xcd, 0xef};
	static const size_t sizes[] = {0, 37, 512};
	struct dp_pool *pool = NULL;
	size_t i, z;
	int fam, n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	addrs_init();
	pool = dp_pool_new(1, DP_PKT_DEFAULT_SIZE);
	for (i = 0; i < NFSA; i++) {
		for (fam = 0; fam < 2; fam++) {
			int family = fam ? AF_INET6 : AF_INET;
			struct dp_sa *out =
			    fsa_new(&fsas[i], DP_DIR_OUT, family);

			/* Fixed GCM IVs inside bundles too. */
			out->iv_mask = 0;
			for (z = 0; z < 3; z++) {
				struct dp_worker w = {0};
				struct dp_pkt *pkt = dp_pool_get(pool);
				uint8_t b[1024], flags;
				size_t len;
				enum dp_result rc;
				char path[512];
				FILE *fp;

				inner_packet(b, &len, family, sizes[z]);
				dp_pkt_set(pkt, b, len);
				if (fsas[i].proto == DP_PROTO_ESP)
					rc = esp_encap_iv(&w, out, pkt, iv);
				else
					rc = dp_ah_encap(&w, out, pkt);
				if (rc != DP_OK) {
					fprintf(stderr, "%s: %s\n",
					        fsas[i].name,
					        dp_result_str(rc));
					return 1;
				}
				/* Transport: outer family = inner family;
				 * tunnel outer v6 only for AH (ESP outer
				 * addresses matter in transport mode). */
				flags = (uint8_t)((fam ? 1 : 0) |
				                  (fsas[i].proto == DP_PROTO_ESP
				                       ? 0
				                       : 2));
				snprintf(path, sizeof(path), "%s/%s-v%d-%zu",
				         argv[1], fsas[i].name, fam ? 6 : 4,
				         sizes[z]);
				fp = fopen(path, "wb");
				if (fp == NULL ||
				    fwrite(&flags, 1, 1, fp) != 1 ||
				    fwrite(dp_pkt_data(pkt), 1, pkt->len, fp) !=
				        pkt->len ||
				    fclose(fp) != 0) {
					perror(path);
					return 1;
				}
				n++;
				dp_pkt_release(pkt);
			}
			dp_sa_put(out);
		}
	}
	/* A few non-packets: empty ESP, keepalive byte, non-ESP marker. */
	{
		static const uint8_t odd[][9] = {
		    {0},
		    {0, 0xff},
		    {0, 0, 0, 0, 0, 1, 2, 3, 4},
		};
		static const size_t oddlen[] = {1, 2, 9};

		for (i = 0; i < 3; i++) {
			char path[512];
			FILE *fp;

			snprintf(path, sizeof(path), "%s/odd-%zu", argv[1], i);
			fp = fopen(path, "wb");
			if (fp == NULL ||
			    fwrite(odd[i], 1, oddlen[i], fp) != oddlen[i] ||
			    fclose(fp) != 0) {
				perror(path);
				return 1;
			}
			n++;
		}
	}
	dp_pool_free(pool);
	printf("%d files\n", n);
	return 0;
}

#endif
