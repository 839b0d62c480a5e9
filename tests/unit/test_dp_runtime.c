/*
 * test_dp_runtime.c - the parts of the datapath runtime that run without
 * root: the outbound SA index and inbound SPI table (satab.c) and the
 * bounded queue of packets awaiting an SA (acquire.c).  The TUN device,
 * sockets and routing are exercised end to end by tests/netns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "datapath/datapath.h"
#include "datapath/rt_int.h"
#include "datapath/sa.h"

static const uint8_t gcm_key[20] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                    11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
static const uint8_t sha_key[32] = {7};

static struct dp_addr
ip(const char *s)
{
	struct dp_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.bytes) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.bytes) == 1)
		a.family = AF_INET6;
	else
		fail_msg("bad address %s", s);
	return a;
}

static struct dp_flow
flow(const char *src, const char *dst, uint8_t proto, uint16_t sport,
     uint16_t dport)
{
	struct dp_flow f;

	memset(&f, 0, sizeof(f));
	f.src = ip(src);
	f.dst = ip(dst);
	f.proto = proto;
	f.sport = sport;
	f.dport = dport;
	return f;
}

/* An SA from src to dst (host selectors), transport unless tdst. */
static struct dp_sa *
mk_sa(uint32_t spi, enum dp_dir dir, const char *src, const char *dst,
      const char *tsrc, const char *tdst, uint8_t proto)
{
	struct dp_sa_params p;
	struct dp_sa *sa = NULL;

	dp_sa_params_init(&p);
	p.spi = spi;
	p.dir = dir;
	p.enc = DP_ENC_AES128_GCM;
	p.enc_key = gcm_key;
	p.enc_key_len = sizeof(gcm_key);
	p.sel.src = ip(src);
	p.sel.dst = ip(dst);
	p.sel.src_plen = p.sel.dst_plen =
	    p.sel.src.family == AF_INET ? 32 : 128;
	p.sel.proto = proto;
	p.nslots = 2;
	if (tdst != NULL) {
		p.mode = DP_MODE_TUNNEL;
		p.tun_src = ip(tsrc);
		p.tun_dst = ip(tdst);
	}
	assert_int_equal(dp_sa_new(&p, &sa), DP_OK);
	return sa;
}

static struct dp_sa *
mk_ah(uint32_t spi, enum dp_dir dir, const char *src, const char *dst)
{
	struct dp_sa_params p;
	struct dp_sa *sa = NULL;

	dp_sa_params_init(&p);
	p.spi = spi;
	p.dir = dir;
	p.proto = DP_PROTO_AH;
	p.ah_auth = DP_AUTH_HMAC_SHA256_128;
	p.ah_auth_key = sha_key;
	p.ah_auth_key_len = sizeof(sha_key);
	p.sel.src = ip(src);
	p.sel.dst = ip(dst);
	p.sel.src_plen = p.sel.dst_plen = 32;
	assert_int_equal(dp_sa_new(&p, &sa), DP_OK);
	return sa;
}

/* ---- SA tables ------------------------------------------------------- */

static void
test_satab_transport(void **state)
{
	struct dp_sa *old =
	    mk_sa(0x100, DP_DIR_OUT, "10.0.0.1", "10.0.0.2", NULL, NULL, 0);
	struct dp_sa *tcp =
	    mk_sa(0x101, DP_DIR_OUT, "10.0.0.1", "10.0.0.2", NULL, NULL, 6);
	struct dp_sa *other =
	    mk_sa(0x102, DP_DIR_OUT, "10.0.0.1", "10.0.0.3", NULL, NULL, 0);
	struct dp_sa *sas[] = {old, tcp, other};
	struct dp_addr peer = ip("10.0.0.2");
	struct dp_flow f;
	struct satab *t;
	unsigned i;

	(void)state;
	t = satab_build(sas, 3);
	assert_non_null(t);
	/* The newest SA whose selectors match. */
	f = flow("10.0.0.1", "10.0.0.2", 6, 1, 2);
	assert_ptr_equal(satab_out(t, false, &peer, &f), tcp);
	f = flow("10.0.0.1", "10.0.0.2", 17, 1, 2);
	assert_ptr_equal(satab_out(t, false, &peer, &f), old);
	/* Selectors are checked: another source is not covered. */
	f = flow("10.0.0.9", "10.0.0.2", 17, 1, 2);
	assert_null(satab_out(t, false, &peer, &f));
	/* Transport SAs are not tunnel SAs. */
	f = flow("10.0.0.1", "10.0.0.2", 6, 1, 2);
	assert_null(satab_out(t, true, &peer, &f));
	assert_true(satab_has_peer(t, false, &peer));
	peer = ip("10.0.0.4");
	assert_false(satab_has_peer(t, false, &peer));
	/* A hard-expired SA is passed over. */
	peer = ip("10.0.0.2");
	sa_test_set_next_seq(tcp, (uint64_t)UINT32_MAX + 1);
	assert_true(dp_sa_hard_expired(tcp));
	assert_ptr_equal(satab_out(t, false, &peer, &f), old);
	/* The table holds its own references. */
	for (i = 0; i < 3; i++)
		dp_sa_put(sas[i]);
	assert_ptr_equal(satab_out(t, false, &peer, &f), old);
	satab_free(t);
	satab_free(NULL);
	assert_null(satab_out(NULL, false, &peer, &f));
}

static void
test_satab_tunnel_and_inbound(void **state)
{
	struct dp_sa *t1 = mk_sa(0x200, DP_DIR_OUT, "10.78.1.1", "10.78.2.1",
	                         "10.77.0.1", "10.77.0.2", 0);
	struct dp_sa *t6 = mk_sa(0x201, DP_DIR_OUT, "fd78:1::1", "fd78:2::1",
	                         "fd77::1", "fd77::2", 0);
	struct dp_sa *in = mk_sa(0x300, DP_DIR_IN, "10.78.2.1", "10.78.1.1",
	                         "10.77.0.2", "10.77.0.1", 0);
	struct dp_sa *ah = mk_ah(0x400, DP_DIR_IN, "10.0.0.2", "10.0.0.1");
	struct dp_sa *sas[] = {t1, t6, in, ah};
	struct dp_addr gw = ip("10.77.0.2"), gw6 = ip("fd77::2");
	struct dp_flow f;
	struct satab *t;
	unsigned i;

	(void)state;
	t = satab_build(sas, 4);
	assert_non_null(t);
	f = flow("10.78.1.1", "10.78.2.1", 1, 0, 0);
	assert_ptr_equal(satab_out(t, true, &gw, &f), t1);
	/* By the tunnel end point, never by the inner destination. */
	assert_null(satab_out(t, false, &f.dst, &f));
	f = flow("fd78:1::1", "fd78:2::1", 58, 0, 0);
	assert_ptr_equal(satab_out(t, true, &gw6, &f), t6);
	assert_true(satab_has_peer(t, true, &gw6));
	assert_ptr_equal(satab_in(t, 0x300, DP_PROTO_ESP), in);
	assert_null(satab_in(t, 0x300, DP_PROTO_AH));
	assert_ptr_equal(satab_in(t, 0x400, DP_PROTO_AH), ah);
	assert_null(satab_in(t, 0x200, DP_PROTO_ESP)); /* outbound */
	for (i = 0; i < 4; i++)
		dp_sa_put(sas[i]);
	satab_free(t);
}

static void
test_satab_wildcard(void **state)
{
	struct dp_sa_params p;
	struct dp_sa *net = NULL, *host;
	struct dp_addr peer = ip("10.5.0.9");
	struct dp_flow f = flow("10.0.0.1", "10.5.0.9", 6, 1, 2);
	struct satab *t;

	(void)state;
	dp_sa_params_init(&p);
	p.spi = 0x500;
	p.enc = DP_ENC_AES128_GCM;
	p.enc_key = gcm_key;
	p.enc_key_len = sizeof(gcm_key);
	p.sel.dst = ip("10.5.0.0");
	p.sel.dst_plen = 24;
	assert_int_equal(dp_sa_new(&p, &net), DP_OK);
	host = mk_sa(0x501, DP_DIR_OUT, "10.0.0.1", "10.5.0.7", NULL, NULL, 0);
	{
		struct dp_sa *sas[] = {net, host};

		t = satab_build(sas, 2);
	}
	assert_non_null(t);
	/* No exact SA for .9: the prefix SA serves it. */
	assert_ptr_equal(satab_out(t, false, &peer, &f), net);
	assert_true(satab_has_peer(t, false, &peer));
	/* An exact one is preferred. */
	peer = ip("10.5.0.7");
	f = flow("10.0.0.1", "10.5.0.7", 6, 1, 2);
	assert_ptr_equal(satab_out(t, false, &peer, &f), host);
	peer = ip("10.6.0.1");
	assert_false(satab_has_peer(t, false, &peer));
	dp_sa_put(net);
	dp_sa_put(host);
	satab_free(t);
}

/* ---- acquire queue --------------------------------------------------- */

static struct acq_limits
limits(unsigned per_peer, unsigned total, unsigned peers)
{
	struct acq_limits l;

	l.per_peer = per_peer;
	l.total = total;
	l.max_peers = peers;
	l.pkt_size = 128;
	l.timeout_ms = 1000;
	return l;
}

static bool
ready_all(void *arg, bool tunnel, const struct dp_addr *peer)
{
	const struct dp_addr *want = arg;

	(void)tunnel;
	return want == NULL || (peer->family == want->family &&
	                        memcmp(peer->bytes, want->bytes, 16) == 0);
}

/* The first byte of each queued "packet" is its number. */
static int
take_ids(struct acq_table *t, const struct dp_addr *peer, struct dp_pool *pool,
         uint8_t *ids, size_t max)
{
	struct dp_pkt *list, *next;
	size_t n, i = 0;

	n = acq_take_ready(t, ready_all, (void *)(uintptr_t)peer, pool, max,
	                   &list);
	for (; list != NULL; list = next) {
		next = list->next;
		ids[i++] = dp_pkt_data(list)[0];
		dp_pkt_release(list);
	}
	assert_int_equal(i, n);
	return (int)n;
}

static void
test_acq_per_peer_bound(void **state)
{
	struct acq_limits l = limits(3, 16, 4);
	struct acq_table *t = acq_new(&l);
	struct dp_pool *pool = dp_pool_new(16, 1024);
	struct dp_addr a = ip("10.0.0.2");
	struct acq_counters c;
	uint8_t pkt[64] = {0}, ids[16];
	int i;

	(void)state;
	assert_non_null(t);
	for (i = 1; i <= 5; i++) {
		pkt[0] = (uint8_t)i;
		/* One acquire for the peer, then queued behind it. */
		assert_int_equal(
		    acq_enqueue(t, false, &a, pkt, sizeof(pkt), 100),
		    i == 1 ? 1 : 0);
	}
	acq_counters(t, &c);
	assert_int_equal(c.acquires, 1);
	assert_int_equal(c.queued, 5);
	assert_int_equal(c.queue_drops, 2);
	assert_int_equal(c.queue_len, 3);
	/* The oldest were dropped: 3, 4, 5 remain, in order. */
	assert_int_equal(take_ids(t, &a, pool, ids, 16), 3);
	assert_int_equal(ids[0], 3);
	assert_int_equal(ids[1], 4);
	assert_int_equal(ids[2], 5);
	assert_int_equal(acq_len(t), 0);
	/* Satisfied: the next packet raises a new acquire. */
	assert_int_equal(acq_enqueue(t, false, &a, pkt, sizeof(pkt), 200), 1);
	assert_int_equal(dp_pool_available(pool), 16);
	acq_free(t);
	dp_pool_free(pool);
}

static void
test_acq_total_bound(void **state)
{
	struct acq_limits l = limits(4, 5, 8);
	struct acq_table *t = acq_new(&l);
	struct dp_pool *pool = dp_pool_new(16, 1024);
	struct dp_addr a = ip("10.0.0.2"), b = ip("fd00::2");
	struct acq_counters c;
	uint8_t pkt[64] = {0}, ids[16];
	int i;

	(void)state;
	for (i = 1; i <= 4; i++) {
		pkt[0] = (uint8_t)i;
		acq_enqueue(t, false, &a, pkt, sizeof(pkt), 0);
	}
	for (i = 11; i <= 13; i++) {
		pkt[0] = (uint8_t)i;
		assert_int_equal(acq_enqueue(t, true, &b, pkt, sizeof(pkt), 0),
		                 i == 11 ? 1 : 0);
	}
	/* 7 offered, room for 5: the two oldest of all (1, 2) went. */
	acq_counters(t, &c);
	assert_int_equal(c.queue_len, 5);
	assert_int_equal(c.queue_drops, 2);
	assert_int_equal(c.acquires, 2);
	assert_int_equal(take_ids(t, &b, pool, ids, 16), 3);
	assert_int_equal(ids[0], 11);
	assert_int_equal(ids[2], 13);
	assert_int_equal(take_ids(t, &a, pool, ids, 16), 2);
	assert_int_equal(ids[0], 3);
	assert_int_equal(ids[1], 4);
	acq_free(t);
	dp_pool_free(pool);
}

static void
test_acq_take_partial(void **state)
{
	struct acq_limits l = limits(8, 8, 2);
	struct acq_table *t = acq_new(&l);
	struct dp_pool *pool = dp_pool_new(16, 1024);
	struct dp_addr a = ip("10.0.0.2");
	uint8_t pkt[64] = {0}, ids[16];
	int i;

	(void)state;
	for (i = 1; i <= 5; i++) {
		pkt[0] = (uint8_t)i;
		acq_enqueue(t, false, &a, pkt, sizeof(pkt), 0);
	}
	/* At most 2 at a time; the rest stays, and the acquire too. */
	assert_int_equal(take_ids(t, &a, pool, ids, 2), 2);
	assert_int_equal(ids[0], 1);
	assert_int_equal(acq_len(t), 3);
	assert_int_equal(acq_enqueue(t, false, &a, pkt, sizeof(pkt), 0), 0);
	assert_int_equal(take_ids(t, &a, pool, ids, 16), 4);
	assert_int_equal(ids[0], 3);
	/* Nobody ready: nothing moves. */
	acq_enqueue(t, false, &a, pkt, sizeof(pkt), 0);
	{
		struct dp_addr other = ip("10.9.9.9");

		assert_int_equal(take_ids(t, &other, pool, ids, 16), 0);
	}
	assert_int_equal(acq_len(t), 1);
	acq_free(t);
	dp_pool_free(pool);
}

static void
test_acq_timeout_and_failure(void **state)
{
	struct acq_limits l = limits(4, 8, 2);
	struct acq_table *t = acq_new(&l);
	struct dp_addr a = ip("10.0.0.2"), b = ip("10.0.0.3"),
	               d = ip("10.0.0.4");
	struct acq_counters c;
	uint8_t pkt[200] = {0};

	(void)state;
	assert_int_equal(acq_enqueue(t, false, &a, pkt, 64, 0), 1);
	assert_int_equal(acq_enqueue(t, false, &a, pkt, 64, 999), 0);
	/* Its acquire timed out: a packet then raises a new one. */
	assert_int_equal(acq_enqueue(t, false, &a, pkt, 64, 1000), 1);
	acq_counters(t, &c);
	assert_int_equal(c.acquire_timeouts, 1);
	assert_int_equal(c.queue_drops, 2);
	assert_int_equal(c.queue_len, 1);
	/* Expiry by the clock alone. */
	acq_expire(t, 1500);
	assert_int_equal(acq_len(t), 1);
	acq_expire(t, 2000);
	assert_int_equal(acq_len(t), 0);
	/* Too big for the queue. */
	assert_int_equal(acq_enqueue(t, false, &a, pkt, 200, 2000), -1);
	/* Two peers at most: a third waits for a slot. */
	assert_int_equal(acq_enqueue(t, false, &a, pkt, 64, 2000), 1);
	assert_int_equal(acq_enqueue(t, false, &b, pkt, 64, 2000), 1);
	assert_int_equal(acq_enqueue(t, false, &d, pkt, 64, 2000), -1);
	/* The negotiation with a failed: its slot frees. */
	acq_drop_peer(t, false, &a);
	assert_int_equal(acq_enqueue(t, false, &d, pkt, 64, 2000), 1);
	/* Tunnel and transport acquires for one address are distinct. */
	assert_int_equal(acq_enqueue(t, true, &b, pkt, 64, 2000), -1);
	acq_counters(t, &c);
	assert_int_equal(c.acquires, 5);
	acq_free(t);
	acq_free(NULL);
}

static void
test_acq_bad_limits(void **state)
{
	struct acq_limits l = limits(0, 8, 2);

	(void)state;
	assert_null(acq_new(&l));
	l = limits(1, 0, 2);
	assert_null(acq_new(&l));
	l = limits(1, 1, 0);
	assert_null(acq_new(&l));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_satab_transport),
	    cmocka_unit_test(test_satab_tunnel_and_inbound),
	    cmocka_unit_test(test_satab_wildcard),
	    cmocka_unit_test(test_acq_per_peer_bound),
	    cmocka_unit_test(test_acq_total_bound),
	    cmocka_unit_test(test_acq_take_partial),
	    cmocka_unit_test(test_acq_timeout_and_failure),
	    cmocka_unit_test(test_acq_bad_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
