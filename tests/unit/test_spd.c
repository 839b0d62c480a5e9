/*
 * test_spd.c - the live policy database: policies, rules, relations,
 * generic filters and their compilation to specific filters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "spd.h"

/* A fixed resolver: me = 10.0.0.1 and fd00::1, DNS server 10.9.9.9,
 * host.example = 192.0.2.7 and 192.0.2.8. */
static int
fake_local(void *arg, struct ip_addr *out, size_t max)
{
	(void)arg;
	assert_true(max >= 2);
	vocab_ip_parse("10.0.0.1", &out[0]);
	vocab_ip_parse("fd00::1", &out[1]);
	return 2;
}

static int
fake_server(void *arg, enum addr_kind kind, struct ip_addr *out, size_t max,
	    char *err, size_t errlen)
{
	(void)arg;
	(void)max;
	if (kind != ADDR_SRV_DNS) {
		snprintf(err, errlen, "no such server here.");
		return -1;
	}
	vocab_ip_parse("10.9.9.9", &out[0]);
	return 1;
}

static int
fake_dns(void *arg, const char *name, struct ip_addr *out, size_t max,
	 char *err, size_t errlen)
{
	(void)arg;
	(void)max;
	if (strcmp(name, "host.example") != 0) {
		snprintf(err, errlen, "\"%s\" does not resolve.", name);
		return -1;
	}
	vocab_ip_parse("192.0.2.7", &out[0]);
	vocab_ip_parse("192.0.2.8", &out[1]);
	return 2;
}

static const struct spd_resolver fake = {fake_local, fake_server, fake_dns,
					 NULL};

static struct spd_mmpolicy
mm(const char *name)
{
	struct spd_mmpolicy p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	p.mmlifetime = 480;
	return p;
}

static struct spd_qmpolicy
qm(const char *name)
{
	struct spd_qmpolicy p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	return p;
}

static struct spd_rule
rule(const char *src, const char *dst, enum spd_action in,
     enum spd_action out, bool mirrored)
{
	struct spd_rule r;

	memset(&r, 0, sizeof(r));
	snprintf(r.key.srcaddr, sizeof(r.key.srcaddr), "%s", src);
	snprintf(r.key.dstaddr, sizeof(r.key.dstaddr), "%s", dst);
	snprintf(r.key.srcmask, sizeof(r.key.srcmask), "255.255.255.255");
	snprintf(r.key.dstmask, sizeof(r.key.dstmask), "255.255.255.255");
	r.key.mirrored = mirrored;
	snprintf(r.mmpolicy, sizeof(r.mmpolicy), "MM");
	r.inbound = in;
	r.outbound = out;
	if (in == SPD_NEGOTIATE || out == SPD_NEGOTIATE) {
		snprintf(r.qmpolicy, sizeof(r.qmpolicy), "QM");
		r.nauth = 1;
		snprintf(r.auth[0].value, sizeof(r.auth[0].value), "k");
	}
	return r;
}

static void
test_policies(void **state)
{
	struct spd *spd = spd_new();
	struct spd_mmpolicy a = mm("Beta"), b = mm("alpha");
	char err[SPD_ERR_MAX];
	uint64_t g;

	(void)state;
	assert_int_equal(spd_mmpolicy_add(spd, &a, err, sizeof(err)), 0);
	assert_int_equal(spd_mmpolicy_add(spd, &b, err, sizeof(err)), 0);
	/* Names are unique without case; listed in name order. */
	b = mm("BETA");
	assert_int_equal(spd_mmpolicy_add(spd, &b, err, sizeof(err)), -1);
	assert_string_equal(err, "main mode policy \"BETA\" already exists.");
	assert_string_equal(spd_mmpolicy_at(spd, 0)->name, "alpha");
	assert_string_equal(spd_mmpolicy_at(spd, 1)->name, "Beta");
	assert_null(spd_mmpolicy_at(spd, 2));
	assert_non_null(spd_mmpolicy_get(spd, "ALPHA"));

	g = spd_generation(spd);
	b.mmlifetime = 60;
	assert_int_equal(spd_mmpolicy_set(spd, &b, err, sizeof(err)), 0);
	assert_int_equal(spd_mmpolicy_get(spd, "beta")->mmlifetime, 60);
	assert_true(spd_generation(spd) > g);

	assert_int_equal(spd_mmpolicy_delete(spd, "nope", err, sizeof(err)),
			 -1);
	assert_string_equal(err, "main mode policy \"nope\" does not exist.");
	assert_int_equal(spd_mmpolicy_delete(spd, "Alpha", err, sizeof(err)),
			 0);
	assert_null(spd_mmpolicy_get(spd, "alpha"));
	spd_free(spd);
}

static void
test_rules_and_relations(void **state)
{
	struct spd *spd = spd_new();
	struct spd_mmpolicy m = mm("MM");
	struct spd_qmpolicy q = qm("QM");
	struct spd_rule r = rule("me", "10.0.0.2", SPD_NEGOTIATE,
				 SPD_NEGOTIATE, true);
	struct spd_rule r2;
	char err[SPD_ERR_MAX];

	(void)state;
	assert_int_equal(spd_rule_add(spd, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "main mode policy \"MM\" does not exist.");
	assert_int_equal(spd_mmpolicy_add(spd, &m, err, sizeof(err)), 0);
	assert_int_equal(spd_rule_add(spd, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "quick mode policy \"QM\" does not exist.");
	assert_int_equal(spd_qmpolicy_add(spd, &q, err, sizeof(err)), 0);
	assert_int_equal(spd_rule_add(spd, &r, err, sizeof(err)), 0);
	assert_int_equal(r.id, 1);

	/* Same key again. */
	assert_int_equal(spd_rule_add(spd, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already exists"));

	/* Negotiating needs a quick mode policy and authentication. */
	r2 = rule("me", "10.0.0.3", SPD_PERMIT, SPD_NEGOTIATE, true);
	r2.qmpolicy[0] = '\0';
	assert_int_equal(spd_rule_add(spd, &r2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "quick mode policy (qmpolicy=)"));
	r2 = rule("me", "10.0.0.3", SPD_PERMIT, SPD_NEGOTIATE, true);
	r2.nauth = 0;
	assert_int_equal(spd_rule_add(spd, &r2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "psk= or rootca="));
	/* Permit and block need neither. */
	r2 = rule("any", "any", SPD_BLOCK, SPD_BLOCK, true);
	assert_int_equal(spd_rule_add(spd, &r2, err, sizeof(err)), 0);
	assert_int_equal(r2.id, 2);

	/* Policies in use stay. */
	assert_int_equal(spd_mmpolicy_delete(spd, "MM", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is used by rule 1"));
	assert_int_equal(spd_qmpolicy_delete(spd, "qm", err, sizeof(err)), -1);

	/* set changes what the rule does, found by its key. */
	r.outbound = SPD_BLOCK;
	assert_int_equal(spd_rule_set(spd, &r, err, sizeof(err)), 0);
	assert_int_equal(spd_rule_find(spd, &r.key)->outbound, SPD_BLOCK);
	r.key.protocol = 6;
	assert_int_equal(spd_rule_set(spd, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "no rule has these filter values.");
	r.key.protocol = 0;

	assert_int_equal(spd_rule_delete(spd, &r.key, err, sizeof(err)), 0);
	assert_null(spd_rule_find(spd, &r.key));
	assert_string_equal(spd_rule_at(spd, 0)->key.srcaddr, "any");

	spd_delete_all(spd);
	assert_null(spd_rule_at(spd, 0));
	assert_null(spd_mmpolicy_at(spd, 0));
	spd_free(spd);
}

static struct spd *
filled(void)
{
	struct spd *spd = spd_new();
	struct spd_mmpolicy m = mm("MM");
	struct spd_qmpolicy q = qm("QM");
	char err[SPD_ERR_MAX];

	assert_int_equal(spd_mmpolicy_add(spd, &m, err, sizeof(err)), 0);
	assert_int_equal(spd_qmpolicy_add(spd, &q, err, sizeof(err)), 0);
	return spd;
}

static void
test_generic_filters_mirror(void **state)
{
	struct spd *spd = filled();
	struct spd_rule r = rule("10.0.0.1", "10.0.0.2", SPD_PERMIT,
				 SPD_NEGOTIATE, true);
	struct spd_qmfilter f[4];
	char err[SPD_ERR_MAX];

	(void)state;
	r.key.protocol = 6;
	r.key.srcport = 0;
	r.key.dstport = 80;
	assert_int_equal(spd_rule_add(spd, &r, err, sizeof(err)), 0);
	r = rule("any", "10.1.0.0", SPD_BLOCK, SPD_BLOCK, false);
	assert_int_equal(spd_rule_add(spd, &r, err, sizeof(err)), 0);
	assert_int_equal(spd_qmfilters(spd, f, 4), 3);
	assert_string_equal(f[0].name, "QMFilter-1");
	assert_string_equal(f[0].srcaddr, "10.0.0.1");
	assert_int_equal(f[0].dstport, 80);
	/* The mirror swaps addresses and ports. */
	assert_string_equal(f[1].name, "QMFilter-1-mirror");
	assert_string_equal(f[1].srcaddr, "10.0.0.2");
	assert_string_equal(f[1].dstaddr, "10.0.0.1");
	assert_int_equal(f[1].srcport, 80);
	assert_int_equal(f[1].dstport, 0);
	assert_string_equal(f[2].name, "QMFilter-2");
	spd_free(spd);
}

static void
test_compile_expands_and_orders(void **state)
{
	struct spd *spd = filled();
	struct spd_rule r;
	struct spd_specific out[32];
	char err[SPD_ERR_MAX], a[64];
	long n;

	(void)state;
	/* General first, specific later: compile must reorder. */
	r = rule("any", "any", SPD_BLOCK, SPD_BLOCK, false);
	assert_int_equal(spd_rule_add(spd, &r, err, sizeof(err)), 0);
	r = rule("me", "DNS", SPD_PERMIT, SPD_PERMIT, false);
	r.key.protocol = 17;
	r.key.dstport = 53;
	assert_int_equal(spd_rule_add(spd, &r, err, sizeof(err)), 0);
	r = rule("me", "host.example", SPD_NEGOTIATE, SPD_NEGOTIATE, false);
	assert_int_equal(spd_rule_add(spd, &r, err, sizeof(err)), 0);

	n = spd_compile(spd, &fake, out, 32, err, sizeof(err));
	assert_int_equal(n, 1 + 1 + 2);
	/* me (10.0.0.1; fd00::1 has no IPv4 peer) to the DNS server. */
	assert_int_equal(out[0].protocol, 17);
	vocab_ip_format(&out[0].dst, a, sizeof(a));
	assert_string_equal(a, "10.9.9.9");
	assert_int_equal(out[0].dst_plen, 32);
	assert_int_equal(out[0].outbound, SPD_PERMIT);
	/* Then both addresses of host.example. */
	vocab_ip_format(&out[1].dst, a, sizeof(a));
	assert_string_equal(a, "192.0.2.7");
	vocab_ip_format(&out[2].dst, a, sizeof(a));
	assert_string_equal(a, "192.0.2.8");
	assert_int_equal(out[2].inbound, SPD_NEGOTIATE);
	/* any/any last. */
	assert_int_equal(out[3].src_plen + out[3].dst_plen, 0);
	assert_int_equal(out[3].outbound, SPD_BLOCK);

	/* A name that does not resolve fails the whole compile. */
	r = rule("me", "nowhere.example", SPD_BLOCK, SPD_BLOCK, false);
	assert_int_equal(spd_rule_add(spd, &r, err, sizeof(err)), 0);
	assert_int_equal(spd_compile(spd, &fake, out, 32, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "\"nowhere.example\" does not resolve.");
	spd_free(spd);
}

static void
test_compile_ranges_exact(void **state)
{
	struct spd *spd = filled();
	struct spd_rule r = rule("10.0.0.1-10.0.0.6", "me", SPD_BLOCK,
				 SPD_BLOCK, false);
	struct spd_specific out[16];
	char err[SPD_ERR_MAX], a[64];
	long n;

	(void)state;
	r.key.srcmask[0] = '\0';
	assert_int_equal(spd_rule_add(spd, &r, err, sizeof(err)), 0);
	n = spd_compile(spd, &fake, out, 16, err, sizeof(err));
	/* 10.0.0.1/32, .2/31, .4/31, .6/32, each to me (10.0.0.1). */
	assert_int_equal(n, 4);
	{
		int seen = 0;
		for (int i = 0; i < 4; i++) {
			vocab_ip_format(&out[i].src, a, sizeof(a));
			if ((!strcmp(a, "10.0.0.1") && out[i].src_plen == 32) ||
			    (!strcmp(a, "10.0.0.2") && out[i].src_plen == 31) ||
			    (!strcmp(a, "10.0.0.4") && out[i].src_plen == 31) ||
			    (!strcmp(a, "10.0.0.6") && out[i].src_plen == 32))
				seen++;
		}
		assert_int_equal(seen, 4);
	}
	/* More specific (the /32s) come before the /31s. */
	assert_int_equal(out[0].src_plen, 32);
	assert_int_equal(out[1].src_plen, 32);
	assert_int_equal(out[2].src_plen, 31);
	spd_free(spd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_rules_and_relations),
		cmocka_unit_test(test_generic_filters_mirror),
		cmocka_unit_test(test_compile_expands_and_orders),
		cmocka_unit_test(test_compile_ranges_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
