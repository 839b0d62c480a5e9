/*
 * test_dp_classify.c - the runtime's filter classifier (datapath/
 * classify.c): first match in the given order, filters of any family,
 * ports only where the protocol has them, prefixes with host bits set,
 * bad input refused, and a property test: over 10,000 random filters
 * the classifier agrees with a linear scan of dp_selector_match() for
 * random flows (many of them aimed inside the filters' prefixes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "datapath/runtime.h"

/* ---- helpers -------------------------------------------------------- */

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

/* A filter: src/dst as "a.b.c.d/n" or "any". */
static struct dp_filter
flt(const char *src, const char *dst, uint8_t proto, uint16_t sport,
    uint16_t dport, enum dp_action out, uint32_t id)
{
	struct dp_filter f;
	char buf[64], *slash;

	memset(&f, 0, sizeof(f));
	if (strcmp(src, "any") != 0) {
		snprintf(buf, sizeof(buf), "%s", src);
		slash = strchr(buf, '/');
		*slash = '\0';
		f.sel.src = ip(buf);
		f.sel.src_plen = (uint8_t)atoi(slash + 1);
	}
	if (strcmp(dst, "any") != 0) {
		snprintf(buf, sizeof(buf), "%s", dst);
		slash = strchr(buf, '/');
		*slash = '\0';
		f.sel.dst = ip(buf);
		f.sel.dst_plen = (uint8_t)atoi(slash + 1);
	}
	f.sel.proto = proto;
	f.sel.sport = sport;
	f.sel.dport = dport;
	f.outbound = out;
	f.inbound = out;
	f.id = id;
	return f;
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

static uint32_t
id_of(const struct dp_classifier *c, const struct dp_flow *f)
{
	const struct dp_filter *r = dp_classify(c, f);

	return r == NULL ? 0 : r->id;
}

/* ---- fixed cases ------------------------------------------------------ */

static void
test_empty_permits(void **state)
{
	struct dp_classifier *c;
	struct dp_flow f = flow("10.0.0.1", "10.0.0.2", 6, 1, 2);

	(void)state;
	assert_int_equal(dp_classifier_build(NULL, 0, &c), DP_OK);
	assert_null(dp_classify(c, &f));
	assert_int_equal(dp_classifier_count(c), 0);
	dp_classifier_free(c);
	/* No classifier at all: no policy. */
	assert_null(dp_classify(NULL, &f));
	dp_classifier_free(NULL);
}

static void
test_first_match_wins(void **state)
{
	struct dp_filter fs[] = {
	    flt("10.1.0.0/16", "10.2.0.5/32", 6, 0, 80, DP_ACT_BLOCK, 1),
	    flt("10.1.0.0/16", "10.2.0.0/16", 0, 0, 0, DP_ACT_NEGOTIATE, 2),
	    /* Same shape as 2, and an equal key after masking: 2 wins. */
	    flt("10.1.9.9/16", "10.2.7.7/16", 0, 0, 0, DP_ACT_PERMIT, 3),
	    flt("any", "any", 0, 0, 0, DP_ACT_PERMIT, 4),
	    /* More specific than 1 but later: never wins over 1. */
	    flt("10.1.0.1/32", "10.2.0.5/32", 6, 0, 80, DP_ACT_PERMIT, 5),
	};
	struct dp_classifier *c;
	struct dp_flow f;

	(void)state;
	assert_int_equal(dp_classifier_build(fs, 5, &c), DP_OK);
	assert_int_equal(dp_classifier_count(c), 5);
	f = flow("10.1.0.1", "10.2.0.5", 6, 1234, 80);
	assert_int_equal(id_of(c, &f), 1);
	assert_int_equal(dp_classify(c, &f)->outbound, DP_ACT_BLOCK);
	f = flow("10.1.0.1", "10.2.0.5", 6, 1234, 443);
	assert_int_equal(id_of(c, &f), 2);
	f = flow("10.1.0.1", "10.2.0.5", 17, 1234, 80);
	assert_int_equal(id_of(c, &f), 2);
	f = flow("10.3.0.1", "10.2.0.5", 6, 1234, 80);
	assert_int_equal(id_of(c, &f), 4);
	f = flow("fd00::1", "fd00::2", 6, 1, 80);
	assert_int_equal(id_of(c, &f), 4);
	dp_classifier_free(c);
}

static void
test_any_family(void **state)
{
	struct dp_filter fs[] = {
	    /* IPv4 with a /0: any IPv4 address, but not IPv6. */
	    flt("0.0.0.0/0", "0.0.0.0/0", 1, 0, 0, DP_ACT_BLOCK, 1),
	    /* IPv6 host to any (either family on the other side). */
	    flt("fd00::1/128", "any", 0, 0, 0, DP_ACT_NEGOTIATE, 2),
	    /* any to an IPv6 prefix. */
	    flt("any", "fd00:2::/32", 0, 0, 0, DP_ACT_NEGOTIATE, 3),
	    /* Mixed families: matches nothing, accepted. */
	    flt("10.0.0.0/8", "fd00::/8", 0, 0, 0, DP_ACT_BLOCK, 4),
	};
	struct dp_classifier *c;
	struct dp_flow f;

	(void)state;
	assert_int_equal(dp_classifier_build(fs, 4, &c), DP_OK);
	f = flow("192.0.2.1", "198.51.100.1", 1, 0, 0);
	assert_int_equal(id_of(c, &f), 1);
	f = flow("fd00::1", "fd00::9", 1, 0, 0);
	assert_int_equal(id_of(c, &f), 2);
	f = flow("fd00::7", "fd00:2:1::1", 58, 0, 0);
	assert_int_equal(id_of(c, &f), 3);
	f = flow("fd00::7", "fd00:3::1", 58, 0, 0);
	assert_int_equal(id_of(c, &f), 0);
	f = flow("10.0.0.1", "10.0.0.2", 6, 0, 0);
	assert_int_equal(id_of(c, &f), 0);
	dp_classifier_free(c);
}

static void
test_ports_only_with_ports(void **state)
{
	struct dp_filter fs[] = {
	    flt("any", "any", 6, 0, 22, DP_ACT_BLOCK, 1),
	    flt("any", "any", 17, 53, 0, DP_ACT_PERMIT, 2),
	    /* A port with any protocol: only protocols with ports. */
	    flt("any", "any", 0, 0, 443, DP_ACT_BLOCK, 3),
	};
	struct dp_classifier *c;
	struct dp_flow f;

	(void)state;
	assert_int_equal(dp_classifier_build(fs, 3, &c), DP_OK);
	f = flow("10.0.0.1", "10.0.0.2", 6, 5555, 22);
	assert_int_equal(id_of(c, &f), 1);
	f = flow("10.0.0.1", "10.0.0.2", 17, 5555, 22);
	assert_int_equal(id_of(c, &f), 0);
	f = flow("10.0.0.1", "10.0.0.2", 17, 53, 5555);
	assert_int_equal(id_of(c, &f), 2);
	f = flow("10.0.0.1", "10.0.0.2", 6, 53, 5555);
	assert_int_equal(id_of(c, &f), 0);
	f = flow("10.0.0.1", "10.0.0.2", 132, 1, 443);
	assert_int_equal(id_of(c, &f), 3);
	/* ICMP has no ports (the parser leaves them 0). */
	f = flow("10.0.0.1", "10.0.0.2", 1, 0, 0);
	assert_int_equal(id_of(c, &f), 0);
	dp_classifier_free(c);
}

static void
test_prefix_edges(void **state)
{
	struct dp_filter fs[] = {
	    /* Host bits set past the prefix are ignored, as in
	     * dp_selector_match(). */
	    flt("10.9.9.9/8", "any", 0, 0, 0, DP_ACT_BLOCK, 1),
	    flt("any", "192.168.1.129/25", 0, 0, 0, DP_ACT_BLOCK, 2),
	    /* A prefix past the family's length is clamped. */
	    flt("any", "172.16.0.1/40", 0, 0, 0, DP_ACT_BLOCK, 3),
	    flt("any", "2001:db8::1/127", 0, 0, 0, DP_ACT_BLOCK, 4),
	};
	struct dp_classifier *c;
	struct dp_flow f;

	(void)state;
	assert_int_equal(dp_classifier_build(fs, 4, &c), DP_OK);
	f = flow("10.1.2.3", "1.1.1.1", 6, 0, 0);
	assert_int_equal(id_of(c, &f), 1);
	f = flow("11.1.2.3", "192.168.1.200", 6, 0, 0);
	assert_int_equal(id_of(c, &f), 2);
	f = flow("11.1.2.3", "192.168.1.100", 6, 0, 0);
	assert_int_equal(id_of(c, &f), 0);
	f = flow("11.1.2.3", "172.16.0.1", 6, 0, 0);
	assert_int_equal(id_of(c, &f), 3);
	f = flow("11.1.2.3", "172.16.0.2", 6, 0, 0);
	assert_int_equal(id_of(c, &f), 0);
	f = flow("2001:db8::9", "2001:db8::", 6, 0, 0);
	assert_int_equal(id_of(c, &f), 4);
	f = flow("2001:db8::9", "2001:db8::2", 6, 0, 0);
	assert_int_equal(id_of(c, &f), 0);
	dp_classifier_free(c);
}

static void
test_bad_input(void **state)
{
	struct dp_filter f = flt("any", "any", 0, 0, 0, DP_ACT_PERMIT, 1);
	struct dp_classifier *c = (void *)1;

	(void)state;
	f.sel.src.family = 99;
	assert_int_equal(dp_classifier_build(&f, 1, &c), DP_ERR_INVAL);
	assert_null(c);
	f = flt("any", "any", 0, 0, 0, DP_ACT_PERMIT, 1);
	f.outbound = (enum dp_action)7;
	assert_int_equal(dp_classifier_build(&f, 1, &c), DP_ERR_INVAL);
	f = flt("any", "any", 0, 0, 0, DP_ACT_NEGOTIATE, 1);
	f.tunnel = true; /* without a tunnel end point */
	assert_int_equal(dp_classifier_build(&f, 1, &c), DP_ERR_INVAL);
	f.tunnel_dst = ip("10.0.0.1");
	assert_int_equal(dp_classifier_build(&f, 1, &c), DP_OK);
	dp_classifier_free(c);
	assert_int_equal(dp_classifier_build(NULL, 3, &c), DP_ERR_INVAL);
	assert_string_equal(dp_action_name(DP_ACT_NEGOTIATE), "negotiate");
	assert_string_equal(dp_action_name((enum dp_action)9), "?");
}

/* ---- property test against the linear scan --------------------------- */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void
rnd_addr(struct dp_addr *a, int fam)
{
	unsigned i;

	memset(a, 0, sizeof(*a));
	a->family = fam;
	/* Few distinct high bytes, so prefixes overlap and flows hit. */
	if (fam == AF_INET) {
		static const uint8_t first[] = {10, 100, 172, 192, 198};

		a->bytes[0] = first[rnd() % sizeof(first)];
		a->bytes[1] = (uint8_t)(rnd() % 4);
		a->bytes[2] = (uint8_t)(rnd() % 8);
		a->bytes[3] = (uint8_t)rnd();
	} else {
		a->bytes[0] = rnd() % 2 ? 0xfd : 0x20;
		a->bytes[1] = (uint8_t)(rnd() % 3);
		for (i = 2; i < 16; i++)
			a->bytes[i] = (uint8_t)(i < 14 ? rnd() % 4 : rnd());
	}
}

static uint8_t
rnd_plen(int fam)
{
	static const uint8_t p4[] = {16, 24, 24, 28, 32, 32, 32};
	static const uint8_t p6[] = {48, 64, 120, 128, 128};

	if (rnd() % 32 == 0)
		return (uint8_t)(rnd() % (fam == AF_INET ? 33 : 129));
	return fam == AF_INET ? p4[rnd() % sizeof(p4)] : p6[rnd() % sizeof(p6)];
}

static void
rnd_filter(struct dp_filter *f, uint32_t id)
{
	static const uint8_t protos[] = {0, 0, 6, 17, 1, 58, 132};
	int fam = rnd() % 3 == 0 ? AF_INET6 : AF_INET;

	memset(f, 0, sizeof(*f));
	if (rnd() % 25 != 0) {
		rnd_addr(&f->sel.src, fam);
		f->sel.src_plen = rnd_plen(fam);
	}
	if (rnd() % 25 != 0) {
		rnd_addr(&f->sel.dst, fam);
		f->sel.dst_plen = rnd_plen(fam);
	}
	f->sel.proto = protos[rnd() % sizeof(protos)];
	if (rnd() % 3 == 0)
		f->sel.sport = (uint16_t)(1 + rnd() % 4);
	if (rnd() % 2 == 0)
		f->sel.dport = (uint16_t)(1 + rnd() % 6);
	/* A few catch-alls, but not so many that every flow hits one. */
	if ((f->sel.src.family == 0 || f->sel.src_plen < 16) &&
	    (f->sel.dst.family == 0 || f->sel.dst_plen < 16) &&
	    rnd() % 8 != 0) {
		f->sel.proto = 6;
		f->sel.dport = (uint16_t)(1 + rnd() % 6);
	}
	f->outbound = (enum dp_action)(rnd() % 3);
	f->inbound = (enum dp_action)(rnd() % 3);
	f->id = id;
}

/* A flow, half of the time aimed inside a random filter. */
static void
rnd_flow(const struct dp_filter *fs, size_t n, struct dp_flow *fl)
{
	static const uint8_t protos[] = {6, 17, 1, 58, 132, 50};
	int fam = rnd() % 3 == 0 ? AF_INET6 : AF_INET;
	unsigned i;

	memset(fl, 0, sizeof(*fl));
	if (rnd() % 2 == 0) {
		const struct dp_filter *f = &fs[rnd() % n];

		if (f->sel.src.family != 0)
			fam = f->sel.src.family;
		else if (f->sel.dst.family != 0)
			fam = f->sel.dst.family;
		rnd_addr(&fl->src, fam);
		rnd_addr(&fl->dst, fam);
		/* Copy the filter's network bits. */
		if (f->sel.src.family == fam)
			for (i = 0; i < f->sel.src_plen / 8u; i++)
				fl->src.bytes[i] = f->sel.src.bytes[i];
		if (f->sel.dst.family == fam)
			for (i = 0; i < f->sel.dst_plen / 8u; i++)
				fl->dst.bytes[i] = f->sel.dst.bytes[i];
		fl->proto = f->sel.proto != 0 ? f->sel.proto
		                              : protos[rnd() % sizeof(protos)];
	} else {
		rnd_addr(&fl->src, fam);
		rnd_addr(&fl->dst, fam);
		fl->proto = protos[rnd() % sizeof(protos)];
	}
	/* Ports only where the parser would set them. */
	if (fl->proto == 6 || fl->proto == 17 || fl->proto == 132) {
		fl->sport = (uint16_t)(rnd() % 5);
		fl->dport = (uint16_t)(rnd() % 7);
	}
}

static const struct dp_filter *
linear(const struct dp_filter *fs, size_t n, const struct dp_flow *f)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (dp_selector_match(&fs[i].sel, f))
			return &fs[i];
	return NULL;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define NFILTERS 10000
#define NFLOWS 30000

static void
test_property_vs_linear(void **state)
{
	struct dp_filter *fs = calloc(NFILTERS, sizeof(*fs));
	struct dp_flow *flows = calloc(NFLOWS, sizeof(*flows));
	struct dp_classifier *c;
	size_t i, hits = 0, agree = 0, distinct = 0;
	uint8_t *won = calloc(NFILTERS + 1, 1);
	double t0, t_lin, t_cls;
	volatile uintptr_t sink = 0;

	(void)state;
	assert_non_null(fs);
	assert_non_null(flows);
	for (i = 0; i < NFILTERS; i++)
		rnd_filter(&fs[i], (uint32_t)i + 1);
	for (i = 0; i < NFLOWS; i++)
		rnd_flow(fs, NFILTERS, &flows[i]);
	assert_int_equal(dp_classifier_build(fs, NFILTERS, &c), DP_OK);
	for (i = 0; i < NFLOWS; i++) {
		const struct dp_filter *want = linear(fs, NFILTERS, &flows[i]);
		const struct dp_filter *got = dp_classify(c, &flows[i]);

		if (want == NULL) {
			assert_null(got);
		} else {
			assert_non_null(got);
			if (got->id != want->id)
				fail_msg("flow %zu: classifier says filter "
				         "%u, linear scan %u",
				         i, got->id, want->id);
			assert_memory_equal(got, want, sizeof(*got));
			hits++;
			if (!won[got->id]) {
				won[got->id] = 1;
				distinct++;
			}
		}
		agree++;
	}
	/* The test means something only if flows hit filters, and not
	 * always the first one. */
	assert_true(hits > NFLOWS / 4);
	assert_true(hits < NFLOWS);
	assert_true(distinct > NFILTERS / 10);

	/* Informational: the cost does not follow n. */
	t0 = now_s();
	for (i = 0; i < NFLOWS / 10; i++)
		sink += (uintptr_t)linear(fs, NFILTERS, &flows[i]);
	t_lin = (now_s() - t0) / (NFLOWS / 10);
	t0 = now_s();
	for (i = 0; i < NFLOWS; i++)
		sink += (uintptr_t)dp_classify(c, &flows[i]);
	t_cls = (now_s() - t0) / NFLOWS;
	print_message("%zu flows agree, %zu matched %zu distinct filters; "
	              "%zu shapes; linear %.0f ns, classifier %.0f ns per "
	              "lookup\n",
	              agree, hits, distinct, dp_classifier_shapes(c),
	              t_lin * 1e9, t_cls * 1e9);
	(void)sink;
	dp_classifier_free(c);
	free(won);
	free(fs);
	free(flows);
}

/* The cost is bounded by the shapes, not the filters: 10,000 host
 * filters of one shape make one table. */
static void
test_shapes_not_filters(void **state)
{
	struct dp_filter *fs = calloc(NFILTERS, sizeof(*fs));
	struct dp_classifier *c;
	struct dp_flow f;
	size_t i;

	(void)state;
	assert_non_null(fs);
	for (i = 0; i < NFILTERS; i++) {
		char a[32];

		snprintf(a, sizeof(a), "10.%zu.%zu.1/32", i / 256, i % 256);
		fs[i] = flt("10.255.0.1/32", a, 0, 0, 0, DP_ACT_NEGOTIATE,
		            (uint32_t)i + 1);
	}
	assert_int_equal(dp_classifier_build(fs, NFILTERS, &c), DP_OK);
	assert_int_equal(dp_classifier_shapes(c), 1);
	f = flow("10.255.0.1", "10.39.15.1", 6, 1, 2);
	assert_int_equal(id_of(c, &f), 39 * 256 + 15 + 1);
	f = flow("10.255.0.1", "10.39.15.2", 6, 1, 2);
	assert_int_equal(id_of(c, &f), 0);
	dp_classifier_free(c);
	free(fs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_permits),
	    cmocka_unit_test(test_first_match_wins),
	    cmocka_unit_test(test_any_family),
	    cmocka_unit_test(test_ports_only_with_ports),
	    cmocka_unit_test(test_prefix_edges),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_property_vs_linear),
	    cmocka_unit_test(test_shapes_not_filters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
