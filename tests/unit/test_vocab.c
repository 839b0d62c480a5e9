/*
 * test_vocab.c - unit tests of store/vocab.c: every parser with tables of
 * valid and invalid input (exact messages for the errors users see),
 * boundary values, round trips parse -> format -> parse, hostile input
 * (long, control bytes, non-ASCII), tiny buffers, and a deterministic
 * mutation fuzz that checks every accepted value is canonical-stable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vocab.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define CHECK_STR(got, want, ctx)                                           \
	do {                                                                \
		if (strcmp((got), (want)) != 0)                             \
			fail_msg("case [%s]:\n  got  [%s]\n  want [%s]", (ctx), \
				 (got), (want));                            \
	} while (0)

#define CHECK_INT(got, want, ctx)                                           \
	do {                                                                \
		long g_ = (long)(got), w_ = (long)(want);                   \
		if (g_ != w_)                                               \
			fail_msg("case [%s]: got %ld want %ld (%s)", (ctx), g_, \
				 w_, #got);                                 \
	} while (0)

/* An error or warning is one or more printable ASCII lines. */
static void
check_printable(const char *msg, size_t cap, const char *ctx)
{
	size_t n = strnlen(msg, cap), i;

	if (n == cap)
		fail_msg("case [%s]: message not terminated", ctx);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)msg[i];

		if ((c < 0x20 && c != '\n') || c >= 0x7f)
			fail_msg("case [%s]: byte 0x%02x in message", ctx, c);
	}
}

static char *
repeat(const char *unit, size_t times)
{
	size_t ul = strlen(unit), i;
	char *s = malloc(ul * times + 1);

	assert_non_null(s);
	for (i = 0; i < times; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * times] = '\0';
	return s;
}

/* ---- IP literals -------------------------------------------------- */

static const struct {
	const char *text;
	int rc;
	const char *canon;
} ip_cases[] = {
	{ "0.0.0.0", 0, "0.0.0.0" },
	{ "255.255.255.255", 0, "255.255.255.255" },
	{ "10.1.2.3", 0, "10.1.2.3" },
	{ "192.168.100.200", 0, "192.168.100.200" },
	{ "::", 0, "::" },
	{ "::1", 0, "::1" },
	{ "FE80::1", 0, "fe80::1" },
	{ "fe80:0:0:0:0:0:0:1", 0, "fe80::1" },
	{ "2001:DB8::0:1", 0, "2001:db8::1" },
	{ "0:0:0:0:0:0:0:0", 0, "::" },
	{ "2001:db8:0:0:1:0:0:1", 0, "2001:db8::1:0:0:1" },
	{ "2001:0db8:0000:0000:0000:ff00:0042:8329", 0,
	  "2001:db8::ff00:42:8329" },
	{ "1:0:0:2:0:0:0:3", 0, "1:0:0:2::3" },
	{ "2001:db8:0:1:1:1:1:1", 0, "2001:db8:0:1:1:1:1:1" },
	{ "1:2:3:4:5:6:7:8", 0, "1:2:3:4:5:6:7:8" },
	{ "::ffff:10.0.0.1", 0, "::ffff:10.0.0.1" },
	{ "::FFFF:0a00:0001", 0, "::ffff:10.0.0.1" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 0,
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
	{ "", -1, NULL },
	{ "256.0.0.0", -1, NULL },
	{ "10.0.0.256", -1, NULL },
	{ "01.2.3.4", -1, NULL },
	{ "1.2.3.04", -1, NULL },
	{ "010.0.0.1", -1, NULL },
	{ "00.0.0.0", -1, NULL },
	{ "1.2.3", -1, NULL },
	{ "1.2.3.4.5", -1, NULL },
	{ "+1.2.3.4", -1, NULL },
	{ "1.2.3.+4", -1, NULL },
	{ "-1.2.3.4", -1, NULL },
	{ " 1.2.3.4", -1, NULL },
	{ "1.2.3.4 ", -1, NULL },
	{ "1.2.3.4\n", -1, NULL },
	{ "1..2.3", -1, NULL },
	{ "1.2.3.", -1, NULL },
	{ ".1.2.3", -1, NULL },
	{ "1111.2.3.4", -1, NULL },
	{ "0x1.2.3.4", -1, NULL },
	{ "1.2.3.4/24", -1, NULL },
	{ "fe80::1%eth0", -1, NULL },
	{ ":::", -1, NULL },
	{ "1:2:3:4:5:6:7:8:9", -1, NULL },
	{ "12345::", -1, NULL },
	{ "g::1", -1, NULL },
	{ "::ffff:01.2.3.4", -1, NULL },
	{ "::ffff:1.2.3.256", -1, NULL },
	{ "1::2::3", -1, NULL },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2550", -1, NULL },
};

static void
test_ip(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(ip_cases); i++) {
		struct ip_addr ip, ip2;
		char buf[64];
		int rc = vocab_ip_parse(ip_cases[i].text, &ip);

		CHECK_INT(rc, ip_cases[i].rc, ip_cases[i].text);
		if (rc < 0)
			continue;
		vocab_ip_format(&ip, buf, sizeof(buf));
		CHECK_STR(buf, ip_cases[i].canon, ip_cases[i].text);
		CHECK_INT(vocab_ip_parse(buf, &ip2), 0, buf);
		CHECK_INT(ip2.family, ip.family, buf);
		assert_memory_equal(ip2.bytes, ip.bytes, 16);
	}
	assert_int_equal(vocab_ip_parse(NULL, NULL), -1);
}

static void
test_ip_format_edges(void **state)
{
	struct ip_addr ip;
	char buf[64];

	(void)state;
	assert_int_equal(vocab_ip_parse("255.255.255.255", &ip), 0);
	assert_int_equal(ip.family, AF_INET);
	/* Too small: empty, never a cut address. */
	vocab_ip_format(&ip, buf, 15);
	assert_string_equal(buf, "");
	vocab_ip_format(&ip, buf, 16);
	assert_string_equal(buf, "255.255.255.255");
	buf[0] = 'X';
	vocab_ip_format(&ip, buf, 0);
	assert_int_equal(buf[0], 'X');
	ip.family = 12345;
	vocab_ip_format(&ip, buf, sizeof(buf));
	assert_string_equal(buf, "");
	vocab_ip_format(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

/* ---- addresses ---------------------------------------------------- */

static const struct {
	const char *text;
	enum addr_kind kind;
	const char *canon;
} addr_ok[] = {
	{ "10.1.2.3", ADDR_IP, "10.1.2.3" },
	{ "0.0.0.0", ADDR_IP, "0.0.0.0" },
	{ "FE80::0:1", ADDR_IP, "fe80::1" },
	{ "::", ADDR_IP, "::" },
	{ "10.0.0.1-10.0.0.9", ADDR_RANGE, "10.0.0.1-10.0.0.9" },
	{ "10.0.0.5-10.0.0.5", ADDR_RANGE, "10.0.0.5-10.0.0.5" },
	{ "0.0.0.0-255.255.255.255", ADDR_RANGE, "0.0.0.0-255.255.255.255" },
	{ "9.255.255.255-10.0.0.0", ADDR_RANGE, "9.255.255.255-10.0.0.0" },
	{ "::1-::2", ADDR_RANGE, "::1-::2" },
	{ "FE80::1-fe80:0::FFFF", ADDR_RANGE, "fe80::1-fe80::ffff" },
	{ "::ffff:10.0.0.1-::ffff:10.0.0.2", ADDR_RANGE,
	  "::ffff:10.0.0.1-::ffff:10.0.0.2" },
	{ "me", ADDR_ME, "me" },
	{ "ME", ADDR_ME, "me" },
	{ "any", ADDR_ANY, "any" },
	{ "Any", ADDR_ANY, "any" },
	{ "dns", ADDR_SRV_DNS, "DNS" },
	{ "DNS", ADDR_SRV_DNS, "DNS" },
	{ "wins", ADDR_SRV_WINS, "WINS" },
	{ "Dhcp", ADDR_SRV_DHCP, "DHCP" },
	{ "gateway", ADDR_SRV_GATEWAY, "GATEWAY" },
	{ "GATEWAY", ADDR_SRV_GATEWAY, "GATEWAY" },
	/* Keywords are whole words: these are host names. */
	{ "d", ADDR_DNS, "d" },
	{ "mee", ADDR_DNS, "mee" },
	{ "gate", ADDR_DNS, "gate" },
	{ "anyhost", ADDR_DNS, "anyhost" },
	{ "Host.Example.", ADDR_DNS, "host.example" },
	{ "host.example.com", ADDR_DNS, "host.example.com" },
	{ "my-host", ADDR_DNS, "my-host" },
	{ "a", ADDR_DNS, "a" },
	{ "a.", ADDR_DNS, "a" },
	{ "3com", ADDR_DNS, "3com" },
	{ "10-20", ADDR_DNS, "10-20" },
	{ "10-0-0-1.example.com", ADDR_DNS, "10-0-0-1.example.com" },
	{ "1e100.net", ADDR_DNS, "1e100.net" },
	{ "xn--bcher-kva.example", ADDR_DNS, "xn--bcher-kva.example" },
	{ "a--b.example", ADDR_DNS, "a--b.example" },
	{ "dns.example.com", ADDR_DNS, "dns.example.com" },
};

static const struct {
	const char *text;
	const char *err;
} addr_bad[] = {
	{ "", "\"\" is not a valid address." },
	{ "10.0.0.256", "\"10.0.0.256\" is not a valid IP address." },
	{ "256.0.0.0", "\"256.0.0.0\" is not a valid IP address." },
	{ "1.2.3", "\"1.2.3\" is not a valid IP address." },
	{ "1.2.3.4.5", "\"1.2.3.4.5\" is not a valid IP address." },
	{ "1.2.3.4.", "\"1.2.3.4.\" is not a valid IP address." },
	{ "1..2.3", "\"1..2.3\" is not a valid IP address." },
	{ "12345", "\"12345\" is not a valid IP address." },
	{ ".", "\".\" is not a valid IP address." },
	{ "010.0.0.1", "\"010.0.0.1\" is not a valid IP address (leading "
		       "zeros are not allowed)." },
	{ "10.0.0.01", "\"10.0.0.01\" is not a valid IP address (leading "
		       "zeros are not allowed)." },
	{ "+1.2.3.4", "\"+1.2.3.4\" is not a valid IP address or DNS name "
		      "(invalid character \"+\")." },
	{ "0x7f000001", "\"0x7f000001\" is not a valid IP address." },
	{ "0X0A", "\"0X0A\" is not a valid IP address." },
	{ "fe80::1%eth0", "\"fe80::1%eth0\" is not a valid IPv6 address." },
	{ "fe80:::1", "\"fe80:::1\" is not a valid IPv6 address." },
	{ "1:2:3:4:5:6:7:8:9",
	  "\"1:2:3:4:5:6:7:8:9\" is not a valid IPv6 address." },
	{ "12345::", "\"12345::\" is not a valid IPv6 address." },
	{ "g::1", "\"g::1\" is not a valid IPv6 address." },
	{ "host:80", "\"host:80\" is not a valid IPv6 address." },
	/* ranges */
	{ "10.0.0.1-", "\"10.0.0.1-\" is not a valid address range (use two "
		       "IP addresses joined by \"-\")." },
	{ "-10.0.0.1", "\"-10.0.0.1\" is not a valid address range (use two "
		       "IP addresses joined by \"-\")." },
	{ "10.0.0.1-10.0.0.2-10.0.0.3",
	  "\"10.0.0.1-10.0.0.2-10.0.0.3\" is not a valid address range (use "
	  "two IP addresses joined by \"-\")." },
	{ "::1-", "\"::1-\" is not a valid address range (use two IP "
		  "addresses joined by \"-\")." },
	{ "10.0.0.9-10.0.0.1", "\"10.0.0.9-10.0.0.1\" is not a valid address "
			       "range: the first address is greater than the "
			       "last." },
	{ "10.0.1.0-10.0.0.255", "\"10.0.1.0-10.0.0.255\" is not a valid "
				 "address range: the first address is greater "
				 "than the last." },
	{ "::2-::1", "\"::2-::1\" is not a valid address range: the first "
		     "address is greater than the last." },
	{ "10.0.0.1-::1", "\"10.0.0.1-::1\" is not a valid address range: "
			  "both ends must be IPv4 or both IPv6." },
	{ "::1-10.0.0.1", "\"::1-10.0.0.1\" is not a valid address range: "
			  "both ends must be IPv4 or both IPv6." },
	{ "10.0.0.1-10.0.0.300", "\"10.0.0.300\" in range "
				 "\"10.0.0.1-10.0.0.300\" is not a valid IP "
				 "address." },
	{ "10.0.0-10.0.0.3", "\"10.0.0\" in range \"10.0.0-10.0.0.3\" is not "
			     "a valid IP address." },
	{ "1.2.3.4-host", "\"host\" in range \"1.2.3.4-host\" is not a valid "
			  "IP address." },
	{ "fe80::1-fe80::zz", "\"fe80::zz\" in range \"fe80::1-fe80::zz\" is "
			      "not a valid IP address." },
	{ "01.0.0.1-1.0.0.2", "\"01.0.0.1\" in range \"01.0.0.1-1.0.0.2\" is "
			      "not a valid IP address." },
	/* DNS names */
	{ "a..b", "\"a..b\" is not a valid IP address or DNS name (empty "
		  "label)." },
	{ ".a", "\".a\" is not a valid IP address or DNS name (empty label)." },
	{ "a..", "\"a..\" is not a valid IP address or DNS name (empty "
		 "label)." },
	{ "-", "\"-\" is not a valid IP address or DNS name (a label begins "
	       "or ends with \"-\")." },
	{ "-a.example", "\"-a.example\" is not a valid IP address or DNS name "
			"(a label begins or ends with \"-\")." },
	{ "a-.example", "\"a-.example\" is not a valid IP address or DNS name "
			"(a label begins or ends with \"-\")." },
	{ "a.-b.example", "\"a.-b.example\" is not a valid IP address or DNS "
			  "name (a label begins or ends with \"-\")." },
	{ "my-host-", "\"my-host-\" is not a valid IP address or DNS name (a "
		      "label begins or ends with \"-\")." },
	{ "a_b", "\"a_b\" is not a valid IP address or DNS name (invalid "
		 "character \"_\")." },
	{ "a b", "\"a b\" is not a valid IP address or DNS name (invalid "
		 "character \" \")." },
	{ "a\tb", "\"a\\x09b\" is not a valid IP address or DNS name (invalid "
		  "character \"\\x09\")." },
	{ "a\x1b[2Jb", "\"a\\x1b[2Jb\" is not a valid IP address or DNS name "
		       "(invalid character \"\\x1b\")." },
	{ "b\xc3\xbc"
	  "cher.example",
	  "\"b\\xc3\\xbccher.example\" is not a valid IP address or DNS name "
	  "(invalid character \"\\xc3\")." },
	{ "host.123", "\"host.123\" is not a valid IP address or DNS name (the "
		      "last label must begin with a letter)." },
	{ "10.0.0.1x", "\"10.0.0.1x\" is not a valid IP address or DNS name "
		       "(the last label must begin with a letter)." },
	{ "me.", "\"me.\" is not a valid DNS name: \"me\" is a keyword; give "
		 "the host's full domain name." },
	{ "DNS.", "\"DNS.\" is not a valid DNS name: \"DNS\" is a keyword; "
		  "give the host's full domain name." },
	{ "gateway.", "\"gateway.\" is not a valid DNS name: \"GATEWAY\" is a "
		      "keyword; give the host's full domain name." },
	{ "me ", "\"me \" is not a valid IP address or DNS name (invalid "
		 "character \" \")." },
	{ " any", "\" any\" is not a valid IP address or DNS name (invalid "
		  "character \" \")." },
};

static void
check_addr_roundtrip(const struct addr_spec *a, const char *ctx)
{
	struct addr_spec b;
	char buf[300], buf2[300], err[VOCAB_ERR_MAX];

	vocab_addr_format(a, buf, sizeof(buf));
	if (vocab_addr_parse(buf, &b, err, sizeof(err)) != 0)
		fail_msg("case [%s]: canonical [%s] rejected: %s", ctx, buf,
			 err);
	CHECK_INT(b.kind, a->kind, ctx);
	if (a->kind == ADDR_IP || a->kind == ADDR_RANGE) {
		CHECK_INT(b.lo.family, a->lo.family, ctx);
		assert_memory_equal(b.lo.bytes, a->lo.bytes, 16);
		CHECK_INT(b.hi.family, a->hi.family, ctx);
		assert_memory_equal(b.hi.bytes, a->hi.bytes, 16);
	}
	if (a->kind == ADDR_DNS)
		CHECK_STR(b.dns, a->dns, ctx);
	vocab_addr_format(&b, buf2, sizeof(buf2));
	CHECK_STR(buf2, buf, ctx);
}

static void
test_addr_ok(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(addr_ok); i++) {
		struct addr_spec a;
		char buf[300], err[VOCAB_ERR_MAX];
		const char *t = addr_ok[i].text;

		memset(err, 'X', sizeof(err));
		if (vocab_addr_parse(t, &a, err, sizeof(err)) != 0)
			fail_msg("case [%s]: rejected: %s", t, err);
		CHECK_STR(err, "", t);
		CHECK_INT(a.kind, addr_ok[i].kind, t);
		vocab_addr_format(&a, buf, sizeof(buf));
		CHECK_STR(buf, addr_ok[i].canon, t);
		if (a.kind == ADDR_DNS)
			CHECK_STR(a.dns, addr_ok[i].canon, t);
		if (a.kind == ADDR_IP) {
			/* A literal is also a one-address "range". */
			CHECK_INT(a.hi.family, a.lo.family, t);
			assert_memory_equal(a.hi.bytes, a.lo.bytes, 16);
		}
		CHECK_INT(vocab_addr_is_server(&a),
			  a.kind >= ADDR_SRV_DNS && a.kind <= ADDR_SRV_GATEWAY,
			  t);
		check_addr_roundtrip(&a, t);
	}
}

static void
test_addr_bad(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(addr_bad); i++) {
		struct addr_spec a, before;
		char err[VOCAB_ERR_MAX];
		const char *t = addr_bad[i].text;

		memset(&a, 0x5a, sizeof(a));
		before = a;
		CHECK_INT(vocab_addr_parse(t, &a, err, sizeof(err)), -1, t);
		CHECK_STR(err, addr_bad[i].err, t);
		check_printable(err, sizeof(err), t);
		/* Nothing is written on failure. */
		assert_memory_equal(&a, &before, sizeof(a));
	}
}

static void
test_addr_dns_lengths(void **state)
{
	struct addr_spec a;
	char err[VOCAB_ERR_MAX], name[400];
	char *l63 = repeat("a", 63), *l64 = repeat("b", 64);

	(void)state;
	/* label of 63 ok, 64 too long */
	snprintf(name, sizeof(name), "%s.example", l63);
	assert_int_equal(vocab_addr_parse(name, &a, err, sizeof(err)), 0);
	snprintf(name, sizeof(name), "%s.example", l64);
	assert_int_equal(vocab_addr_parse(name, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "(a label is longer than 63 characters)"));
	/* 253 characters ok, also with the trailing dot; 254 too long */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", l63, l63, l63, l63);
	assert_int_equal(strlen(name), 253);
	assert_int_equal(vocab_addr_parse(name, &a, err, sizeof(err)), 0);
	assert_int_equal(a.kind, ADDR_DNS);
	assert_string_equal(a.dns, name);
	check_addr_roundtrip(&a, name);
	strcat(name, ".");
	assert_int_equal(vocab_addr_parse(name, &a, err, sizeof(err)), 0);
	assert_int_equal(strlen(a.dns), 253);
	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", l63, l63, l63, l63);
	assert_int_equal(strlen(name), 254);
	assert_int_equal(vocab_addr_parse(name, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "(longer than 253 characters)."));
	/* The quoted name is cut, so the message still fits. */
	assert_non_null(strstr(err, "...\" is not a valid"));
	check_printable(err, sizeof(err), name);
	free(l63);
	free(l64);
}

static void
test_addr_format_edges(void **state)
{
	struct addr_spec a;
	char buf[64];

	(void)state;
	assert_int_equal(vocab_addr_parse("10.0.0.1-10.0.0.9", &a, NULL, 0), 0);
	vocab_addr_format(&a, buf, 17);
	assert_string_equal(buf, "");
	vocab_addr_format(&a, buf, 18);
	assert_string_equal(buf, "10.0.0.1-10.0.0.9");
	a.kind = (enum addr_kind)99;
	vocab_addr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "");
	vocab_addr_format(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
	memset(&a, 0, sizeof(a));
	a.kind = ADDR_DNS;
	memset(a.dns, 'a', sizeof(a.dns)); /* not terminated */
	vocab_addr_format(&a, buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_false(vocab_addr_is_server(NULL));
	/* NULL text and NULL out are tolerated. */
	assert_int_equal(vocab_addr_parse(NULL, &a, buf, sizeof(buf)), -1);
	assert_int_equal(vocab_addr_parse("me", NULL, NULL, 0), 0);
}

/* ---- masks -------------------------------------------------------- */

static const struct {
	const char *addr;
	const char *mask; /* NULL: default */
	const char *tag;
	int rc;
	const char *out; /* canonical, or the error */
} mask_cases[] = {
	{ "10.0.0.1", NULL, "srcmask", 0, "255.255.255.255" },
	{ "any", NULL, "srcmask", 0, "0.0.0.0" },
	{ "me", NULL, "srcmask", 0, "255.255.255.255" },
	{ "DNS", NULL, "srcmask", 0, "255.255.255.255" },
	{ "GATEWAY", NULL, "srcmask", 0, "255.255.255.255" },
	{ "host.example", NULL, "srcmask", 0, "255.255.255.255" },
	{ "10.0.0.0", "24", "srcmask", 0, "255.255.255.0" },
	{ "10.0.0.0", "/24", "srcmask", 0, "255.255.255.0" },
	{ "10.0.0.0", "255.255.255.0", "srcmask", 0, "255.255.255.0" },
	{ "10.0.0.0", "255.0.0.0", "srcmask", 0, "255.0.0.0" },
	{ "10.0.0.0", "0", "srcmask", 0, "0.0.0.0" },
	{ "10.0.0.0", "/0", "srcmask", 0, "0.0.0.0" },
	{ "10.0.0.0", "0.0.0.0", "srcmask", 0, "0.0.0.0" },
	{ "10.0.0.0", "1", "srcmask", 0, "128.0.0.0" },
	{ "10.0.0.0", "31", "srcmask", 0, "255.255.255.254" },
	{ "10.0.0.0", "32", "srcmask", 0, "255.255.255.255" },
	{ "10.0.0.0", "/32", "srcmask", 0, "255.255.255.255" },
	{ "10.0.0.0", "255.255.255.255", "srcmask", 0, "255.255.255.255" },
	{ "10.0.0.1", "255.255.0.0", "dstmask", 0, "255.255.0.0" },
	{ "any", "24", "dstmask", 0, "255.255.255.0" },
	{ "me", "/16", "dstmask", 0, "255.255.0.0" },
	{ "10.0.0.0", "33", "srcmask",
	  -1, "srcmask \"33\" is not valid: use a dotted mask or a prefix "
	      "length 0-32." },
	{ "10.0.0.0", "/33", "srcmask",
	  -1, "srcmask \"/33\" is not valid: use a dotted mask or a prefix "
	      "length 0-32." },
	{ "10.0.0.0", "024", "srcmask",
	  -1, "srcmask \"024\" is not valid: use a dotted mask or a prefix "
	      "length 0-32." },
	{ "10.0.0.0", "-1", "srcmask",
	  -1, "srcmask \"-1\" is not valid: use a dotted mask or a prefix "
	      "length 0-32." },
	{ "10.0.0.0", "/", "srcmask",
	  -1, "srcmask \"/\" is not valid: use a dotted mask or a prefix "
	      "length 0-32." },
	{ "10.0.0.0", "//24", "srcmask",
	  -1, "srcmask \"//24\" is not valid: use a dotted mask or a prefix "
	      "length 0-32." },
	{ "10.0.0.0", "", "srcmask",
	  -1, "srcmask \"\" is not valid: use a dotted mask or a prefix "
	      "length 0-32." },
	{ "10.0.0.0", "abc", "srcmask",
	  -1, "srcmask \"abc\" is not valid: use a dotted mask or a prefix "
	      "length 0-32." },
	{ "10.0.0.0", "255.255.255.256", "srcmask",
	  -1, "srcmask \"255.255.255.256\" is not valid: use a dotted mask or "
	      "a prefix length 0-32." },
	{ "10.0.0.0", "255.255.0", "srcmask",
	  -1, "srcmask \"255.255.0\" is not valid: use a dotted mask or a "
	      "prefix length 0-32." },
	{ "10.0.0.0", "255.0.255.0", "srcmask",
	  -1, "srcmask \"255.0.255.0\" is not valid: a mask must be "
	      "contiguous (e.g. 255.255.0.0)." },
	{ "10.0.0.0", "0.255.255.255", "dstmask",
	  -1, "dstmask \"0.255.255.255\" is not valid: a mask must be "
	      "contiguous (e.g. 255.255.0.0)." },
	{ "10.0.0.0", "255.255.255.253", "srcmask",
	  -1, "srcmask \"255.255.255.253\" is not valid: a mask must be "
	      "contiguous (e.g. 255.255.0.0)." },
	{ "fe80::1", NULL, "srcmask", 0, "/128" },
	{ "fe80::", "64", "srcmask", 0, "/64" },
	{ "fe80::", "/64", "srcmask", 0, "/64" },
	{ "fe80::", "0", "srcmask", 0, "/0" },
	{ "fe80::", "/128", "srcmask", 0, "/128" },
	{ "fe80::", "129", "srcmask",
	  -1, "srcmask \"129\" is not valid: use a prefix length 0-128." },
	{ "fe80::", "/064", "srcmask",
	  -1, "srcmask \"/064\" is not valid: use a prefix length 0-128." },
	{ "fe80::", "ffff::", "srcmask",
	  -1, "srcmask \"ffff::\" is not valid: use a prefix length 0-128." },
	{ "fe80::1", "255.255.255.0", "dstmask",
	  -1, "dstmask \"255.255.255.0\" is a dotted IPv4 mask; the IPv6 "
	      "address \"fe80::1\" takes a prefix length 0-128." },
	{ "10.0.0.1-10.0.0.9", NULL, "srcmask", 0, "" },
	{ "10.0.0.1-10.0.0.9", "", "srcmask", 0, "" },
	{ "::1-::9", NULL, "srcmask", 0, "" },
	{ "10.0.0.1-10.0.0.9", "24", "dstmask",
	  -1, "dstmask cannot be used with the address range "
	      "\"10.0.0.1-10.0.0.9\"." },
	{ "10.0.0.1-10.0.0.9", "255.255.255.255", "srcmask",
	  -1, "srcmask cannot be used with the address range "
	      "\"10.0.0.1-10.0.0.9\"." },
	{ "::1-::9", "/64", "srcmask",
	  -1, "srcmask cannot be used with the address range \"::1-::9\"." },
	{ "10.0.0.0", "99", NULL,
	  -1, "mask \"99\" is not valid: use a dotted mask or a prefix length "
	      "0-32." },
};

static void
test_mask_canon(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(mask_cases); i++) {
		struct addr_spec a;
		char out[64], out2[64], err[VOCAB_ERR_MAX], ctx[128];
		int rc;

		snprintf(ctx, sizeof(ctx), "%s %s=%s", mask_cases[i].addr,
			 mask_cases[i].tag ? mask_cases[i].tag : "(null)",
			 mask_cases[i].mask ? mask_cases[i].mask : "(null)");
		assert_int_equal(vocab_addr_parse(mask_cases[i].addr, &a, err,
						  sizeof(err)),
				 0);
		strcpy(out, "unchanged");
		rc = vocab_mask_canon(&a, mask_cases[i].mask, mask_cases[i].tag,
				      out, sizeof(out), err, sizeof(err));
		CHECK_INT(rc, mask_cases[i].rc, ctx);
		if (rc < 0) {
			CHECK_STR(err, mask_cases[i].out, ctx);
			CHECK_STR(out, "unchanged", ctx);
			continue;
		}
		CHECK_STR(err, "", ctx);
		CHECK_STR(out, mask_cases[i].out, ctx);
		/* The canonical mask reads back as itself. */
		CHECK_INT(vocab_mask_canon(&a, out, "m", out2, sizeof(out2),
					   err, sizeof(err)),
			  0, ctx);
		CHECK_STR(out2, out, ctx);
	}
}

static void
test_mask_canon_edges(void **state)
{
	struct addr_spec a;
	char out[64], err[VOCAB_ERR_MAX];

	(void)state;
	assert_int_equal(vocab_addr_parse("10.0.0.1", &a, NULL, 0), 0);
	/* The canonical text must fit; it is an error if it would not. */
	assert_int_equal(vocab_mask_canon(&a, NULL, "srcmask", out, 15, err,
					  sizeof(err)),
			 -1);
	assert_string_equal(err, "srcmask: the canonical mask does not fit.");
	assert_int_equal(vocab_mask_canon(&a, NULL, "srcmask", out, 16, err,
					  sizeof(err)),
			 0);
	assert_string_equal(out, "255.255.255.255");
	assert_int_equal(vocab_mask_canon(&a, NULL, "srcmask", NULL, 0, err,
					  sizeof(err)),
			 -1);
	assert_int_equal(vocab_mask_canon(NULL, "24", "srcmask", out,
					  sizeof(out), err, sizeof(err)),
			 -1);
	assert_string_equal(err, "srcmask needs an address.");
	a.lo.family = 0;
	assert_int_equal(vocab_mask_canon(&a, "24", "srcmask", out,
					  sizeof(out), err, sizeof(err)),
			 -1);
	/* Long hostile mask: quoted, cut and escaped. */
	{
		char *longm = repeat("\x1b", 5000);

		assert_int_equal(vocab_addr_parse("10.0.0.1", &a, NULL, 0), 0);
		assert_int_equal(vocab_mask_canon(&a, longm, "srcmask", out,
						  sizeof(out), err,
						  sizeof(err)),
				 -1);
		check_printable(err, sizeof(err), "long mask");
		assert_non_null(strstr(err, "\\x1b\\x1b"));
		free(longm);
	}
}

static void
test_mask_prefix(void **state)
{
	static const struct {
		const char *canon;
		int prefix;
	} cases[] = {
		{ "", -1 },
		{ "255.255.255.255", 32 },
		{ "255.255.255.254", 31 },
		{ "255.255.255.0", 24 },
		{ "255.255.0.0", 16 },
		{ "128.0.0.0", 1 },
		{ "0.0.0.0", 0 },
		{ "/0", 0 },
		{ "/64", 64 },
		{ "/128", 128 },
		{ "/129", -1 },
		{ "/", -1 },
		{ "/064", -1 },
		{ "255.0.255.0", -1 },
		{ "255.255.255.256", -1 },
		{ "24", -1 },
		{ "garbage", -1 },
	};
	struct addr_spec v4, v6;
	char out[64], err[VOCAB_ERR_MAX], p[16];
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < NELEM(cases); i++)
		CHECK_INT(vocab_mask_prefix(cases[i].canon), cases[i].prefix,
			  cases[i].canon);
	assert_int_equal(vocab_mask_prefix(NULL), -1);
	/* Every prefix: canon then prefix gives it back. */
	assert_int_equal(vocab_addr_parse("any", &v4, NULL, 0), 0);
	assert_int_equal(vocab_addr_parse("2001:db8::", &v6, NULL, 0), 0);
	for (n = 0; n <= 128; n++) {
		snprintf(p, sizeof(p), "%d", n);
		if (n <= 32) {
			assert_int_equal(vocab_mask_canon(&v4, p, "m", out,
							  sizeof(out), err,
							  sizeof(err)),
					 0);
			assert_int_equal(vocab_mask_prefix(out), n);
		}
		assert_int_equal(vocab_mask_canon(&v6, p, "m", out, sizeof(out),
						  err, sizeof(err)),
				 0);
		assert_int_equal(vocab_mask_prefix(out), n);
	}
}

/* ---- ports and protocols ------------------------------------------ */

static void
test_port(void **state)
{
	static const struct {
		const char *text;
		int rc, port;
	} cases[] = {
		{ "0", 0, 0 },	     { "1", 0, 1 },	  { "80", 0, 80 },
		{ "65535", 0, 65535 }, { "65536", -1, 0 }, { "99999", -1, 0 },
		{ "-1", -1, 0 },     { "+80", -1, 0 },	  { "080", -1, 0 },
		{ "00", -1, 0 },     { "", -1, 0 },	  { " 80", -1, 0 },
		{ "80 ", -1, 0 },    { "8o", -1, 0 },	  { "0x50", -1, 0 },
		{ "http", -1, 0 },   { "1e3", -1, 0 },	  { "80\n", -1, 0 },
		{ "99999999999999999999999999", -1, 0 },
	};
	char err[VOCAB_ERR_MAX];
	size_t i;
	int port;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		port = -7;
		CHECK_INT(vocab_port_parse(cases[i].text, &port, err,
					   sizeof(err)),
			  cases[i].rc, cases[i].text);
		if (cases[i].rc == 0) {
			CHECK_INT(port, cases[i].port, cases[i].text);
			CHECK_STR(err, "", cases[i].text);
		} else {
			CHECK_INT(port, -7, cases[i].text);
			check_printable(err, sizeof(err), cases[i].text);
		}
	}
	vocab_port_parse("65536", &port, err, sizeof(err));
	assert_string_equal(err, "\"65536\" is not a valid port (use 0-65535).");
	vocab_port_parse("80\n", &port, err, sizeof(err));
	assert_string_equal(err,
			    "\"80\\x0a\" is not a valid port (use 0-65535).");
	assert_int_equal(vocab_port_parse(NULL, &port, err, sizeof(err)), -1);
}

static void
test_protocol(void **state)
{
	static const struct {
		const char *text;
		int rc, proto;
		const char *canon;
	} cases[] = {
		{ "ANY", 0, 0, "ANY" },	      { "any", 0, 0, "ANY" },
		{ "a", 0, 0, "ANY" },	      { "An", 0, 0, "ANY" },
		{ "ICMP", 0, 1, "ICMP" },     { "i", 0, 1, "ICMP" },
		{ "iCm", 0, 1, "ICMP" },      { "TCP", 0, 6, "TCP" },
		{ "t", 0, 6, "TCP" },	      { "tc", 0, 6, "TCP" },
		{ "udp", 0, 17, "UDP" },      { "u", 0, 17, "UDP" },
		{ "RAW", 0, 255, "RAW" },     { "r", 0, 255, "RAW" },
		{ "0", 0, 0, "ANY" },	      { "1", 0, 1, "ICMP" },
		{ "6", 0, 6, "TCP" },	      { "17", 0, 17, "UDP" },
		{ "47", 0, 47, "47" },	      { "50", 0, 50, "50" },
		{ "254", 0, 254, "254" },     { "255", 0, 255, "RAW" },
		{ "", -1, 0, NULL },	      { "256", -1, 0, NULL },
		{ "-1", -1, 0, NULL },	      { "06", -1, 0, NULL },
		{ "tcpx", -1, 0, NULL },      { "x", -1, 0, NULL },
		{ "TCP ", -1, 0, NULL },      { " TCP", -1, 0, NULL },
		{ "1.5", -1, 0, NULL },	      { "ESP", -1, 0, NULL },
		{ "99999999999", -1, 0, NULL },
	};
	char err[VOCAB_ERR_MAX], buf[16];
	size_t i;
	int proto, p2;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		proto = -7;
		CHECK_INT(vocab_protocol_parse(cases[i].text, &proto, err,
					       sizeof(err)),
			  cases[i].rc, cases[i].text);
		if (cases[i].rc < 0) {
			CHECK_INT(proto, -7, cases[i].text);
			check_printable(err, sizeof(err), cases[i].text);
			continue;
		}
		CHECK_INT(proto, cases[i].proto, cases[i].text);
		vocab_protocol_format(proto, buf, sizeof(buf));
		CHECK_STR(buf, cases[i].canon, cases[i].text);
	}
	vocab_protocol_parse("tcpx", &proto, err, sizeof(err));
	assert_string_equal(err, "\"tcpx\" is not a valid protocol (use ANY, "
				 "ICMP, TCP, UDP, RAW or 0-255).");
	vocab_protocol_parse("", &proto, err, sizeof(err));
	assert_string_equal(err, "\"\" is not a valid protocol (use ANY, "
				 "ICMP, TCP, UDP, RAW or 0-255).");
	/* Every protocol number round-trips through its canonical text. */
	for (proto = 0; proto <= 255; proto++) {
		vocab_protocol_format(proto, buf, sizeof(buf));
		assert_int_equal(vocab_protocol_parse(buf, &p2, err,
						      sizeof(err)),
				 0);
		assert_int_equal(p2, proto);
	}
}

static void
test_protocol_format_edges(void **state)
{
	char buf[16];

	(void)state;
	vocab_protocol_format(VOCAB_PROTO_ICMP, buf, 4);
	assert_string_equal(buf, "");
	vocab_protocol_format(VOCAB_PROTO_ICMP, buf, 5);
	assert_string_equal(buf, "ICMP");
	assert_int_equal(vocab_protocol_parse(NULL, NULL, NULL, 0), -1);
	vocab_protocol_format(-5, buf, sizeof(buf));
	assert_string_equal(buf, "-5");
	assert_int_equal(vocab_protocol_parse("-5", NULL, NULL, 0), -1);
}

static void
test_ports_check(void **state)
{
	static const struct {
		int proto, src, dst, rc;
		const char *err;
	} cases[] = {
		{ VOCAB_PROTO_TCP, 80, 0, 0, "" },
		{ VOCAB_PROTO_TCP, 0, 443, 0, "" },
		{ VOCAB_PROTO_UDP, 500, 500, 0, "" },
		{ VOCAB_PROTO_UDP, 65535, 65535, 0, "" },
		{ VOCAB_PROTO_ANY, 0, 0, 0, "" },
		{ VOCAB_PROTO_ICMP, 0, 0, 0, "" },
		{ 47, 0, 0, 0, "" },
		{ VOCAB_PROTO_ANY, 80, 0, -1,
		  "srcport=80 needs protocol=TCP or protocol=UDP." },
		{ VOCAB_PROTO_ICMP, 0, 443, -1,
		  "dstport=443 needs protocol=TCP or protocol=UDP." },
		{ VOCAB_PROTO_RAW, 0, 65535, -1,
		  "dstport=65535 needs protocol=TCP or protocol=UDP." },
		{ 47, 1, 2, -1,
		  "srcport=1 needs protocol=TCP or protocol=UDP." },
		{ VOCAB_PROTO_TCP, 65536, 0, -1, "ports must be 0-65535." },
		{ VOCAB_PROTO_TCP, 0, -1, -1, "ports must be 0-65535." },
	};
	char err[VOCAB_ERR_MAX], ctx[64];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		snprintf(ctx, sizeof(ctx), "%d %d %d", cases[i].proto,
			 cases[i].src, cases[i].dst);
		CHECK_INT(vocab_ports_check(cases[i].proto, cases[i].src,
					    cases[i].dst, err, sizeof(err)),
			  cases[i].rc, ctx);
		CHECK_STR(err, cases[i].err, ctx);
	}
}

/* ---- main mode security methods ----------------------------------- */

static bool
mm_equal(const struct mm_methods *a, const struct mm_methods *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->offer[i].enc != b->offer[i].enc ||
		    a->offer[i].hash != b->offer[i].hash ||
		    a->offer[i].group != b->offer[i].group ||
		    a->offer[i].iana_group != b->offer[i].iana_group)
			return false;
	return true;
}

static void
check_mm_roundtrip(const struct mm_methods *m, const char *ctx)
{
	struct mm_methods m2;
	char buf[1024], buf2[1024], err[VOCAB_ERR_MAX];

	vocab_mmsec_format(m, buf, sizeof(buf));
	if (vocab_mmsec_parse(buf, &m2, err, sizeof(err), NULL, 0) != 0)
		fail_msg("case [%s]: canonical [%s] rejected: %s", ctx, buf,
			 err);
	if (!mm_equal(m, &m2))
		fail_msg("case [%s]: [%s] reads back differently", ctx, buf);
	vocab_mmsec_format(&m2, buf2, sizeof(buf2));
	CHECK_STR(buf2, buf, ctx);
}

static const struct {
	const char *text;
	const char *canon;
	const char *warn;
} mm_ok[] = {
	{ VOCAB_MMSEC_DEFAULT, VOCAB_MMSEC_DEFAULT, "" },
	{ "aes128-sha1-14", "AES128-SHA1-14", "" },
	{ "Aes192-Sha384-15", "AES192-SHA384-15", "" },
	{ "  AES256-SHA512-31   3des-sha256-16  ",
	  "AES256-SHA512-31 3DES-SHA256-16", "" },
	{ "AES128-SHA256-14\tAES256-SHA384-20\t \tAES256-SHA512-21",
	  "AES128-SHA256-14 AES256-SHA384-20 AES256-SHA512-21", "" },
	{ "AES128-SHA256-19", "AES128-SHA256-19", "" },
	{ "3DES-SHA1-3", "3DES-SHA1-3", "" },
	{ "3DES-SHA1-3 AES128-SHA1-3", "3DES-SHA1-3 AES128-SHA1-3", "" },
	/* different hash or enc: not duplicates */
	{ "AES128-SHA1-14 AES128-SHA256-14 AES256-SHA1-14",
	  "AES128-SHA1-14 AES128-SHA256-14 AES256-SHA1-14", "" },
	{ "DES-SHA1-2", "DES-SHA1-2",
	  "warning: \"DES-SHA1-2\": DES is insecure and accepted only for old "
	  "peers.\n"
	  "warning: \"DES-SHA1-2\": DH group 2 is insecure and accepted only "
	  "for old peers." },
	{ "3DES-MD5-14", "3DES-MD5-14",
	  "warning: \"3DES-MD5-14\": MD5 is insecure and accepted only for "
	  "old peers." },
	{ "aes128-sha1-1", "AES128-SHA1-1",
	  "warning: \"aes128-sha1-1\": DH group 1 is insecure and accepted "
	  "only for old peers." },
	/* one line per weakness, quoting the first offer that has it */
	{ "AES128-SHA1-14 3DES-SHA1-2 3DES-SHA1-1 DES-SHA1-14",
	  "AES128-SHA1-14 3DES-SHA1-2 3DES-SHA1-1 DES-SHA1-14",
	  "warning: \"3DES-SHA1-2\": DH group 2 is insecure and accepted only "
	  "for old peers.\n"
	  "warning: \"3DES-SHA1-1\": DH group 1 is insecure and accepted only "
	  "for old peers.\n"
	  "warning: \"DES-SHA1-14\": DES is insecure and accepted only for "
	  "old peers." },
	{ "DES-MD5-1 DES-MD5-2", "DES-MD5-1 DES-MD5-2",
	  "warning: \"DES-MD5-1\": DES is insecure and accepted only for old "
	  "peers.\n"
	  "warning: \"DES-MD5-1\": MD5 is insecure and accepted only for old "
	  "peers.\n"
	  "warning: \"DES-MD5-1\": DH group 1 is insecure and accepted only "
	  "for old peers.\n"
	  "warning: \"DES-MD5-2\": DH group 2 is insecure and accepted only "
	  "for old peers." },
};

static const struct {
	const char *text;
	const char *err;
} mm_bad[] = {
	{ "", "no main mode security methods given." },
	{ "   \t ", "no main mode security methods given." },
	{ "AES128-SHA256", "\"AES128-SHA256\" is not a valid main mode offer "
			   "(use ENC-HASH-GROUP, e.g. AES128-SHA256-14)." },
	{ "AES128-SHA256-14-1", "\"AES128-SHA256-14-1\" is not a valid main "
				"mode offer (use ENC-HASH-GROUP, e.g. "
				"AES128-SHA256-14)." },
	{ "AES128--14", "\"AES128--14\" is not a valid main mode offer (use "
			"ENC-HASH-GROUP, e.g. AES128-SHA256-14)." },
	{ "-SHA1-14", "\"-SHA1-14\" is not a valid main mode offer (use "
		      "ENC-HASH-GROUP, e.g. AES128-SHA256-14)." },
	{ "AES128-SHA1-", "\"AES128-SHA1-\" is not a valid main mode offer "
			  "(use ENC-HASH-GROUP, e.g. AES128-SHA256-14)." },
	{ "AES128SHA114", "\"AES128SHA114\" is not a valid main mode offer "
			  "(use ENC-HASH-GROUP, e.g. AES128-SHA256-14)." },
	{ "AES128-SHA256-14,AES256-SHA256-14",
	  "\"AES128-SHA256-14,AES256-SHA256-14\" is not a valid main mode "
	  "offer (use ENC-HASH-GROUP, e.g. AES128-SHA256-14)." },
	{ "AES512-SHA256-14", "\"AES512-SHA256-14\": unknown encryption "
			      "algorithm \"AES512\" (use AES128, AES192, "
			      "AES256 or 3DES)." },
	{ "None-SHA1-14", "\"None-SHA1-14\": unknown encryption algorithm "
			  "\"None\" (use AES128, AES192, AES256 or 3DES)." },
	{ "AES128-SHA3-14", "\"AES128-SHA3-14\": unknown hash algorithm "
			    "\"SHA3\" (use SHA256, SHA384, SHA512 or SHA1)." },
	{ "AES128-SHA256-7", "\"AES128-SHA256-7\": unknown Diffie-Hellman "
			     "group \"7\" (use 1, 2, 3, 14, 15, 16, 19, 20, "
			     "21 or 31)." },
	{ "AES128-SHA256-0", "\"AES128-SHA256-0\": unknown Diffie-Hellman "
			     "group \"0\" (use 1, 2, 3, 14, 15, 16, 19, 20, "
			     "21 or 31)." },
	{ "AES128-SHA256-014", "\"AES128-SHA256-014\": unknown Diffie-Hellman "
			       "group \"014\" (use 1, 2, 3, 14, 15, 16, 19, "
			       "20, 21 or 31)." },
	{ "AES128-SHA256-5", "\"AES128-SHA256-5\": unknown Diffie-Hellman "
			     "group \"5\" (use 1, 2, 3, 14, 15, 16, 19, 20, "
			     "21 or 31)." },
	{ "AES128-SHA256-99999999999999999999",
	  "\"AES128-SHA256-99999999999999999999\": unknown Diffie-Hellman "
	  "group \"99999999999999999999\" (use 1, 2, 3, 14, 15, 16, 19, 20, "
	  "21 or 31)." },
	{ "AES128-SHA256-DH14", "\"AES128-SHA256-DH14\": unknown "
				"Diffie-Hellman group \"DH14\" (use 1, 2, 3, "
				"14, 15, 16, 19, 20, 21 or 31)." },
	{ "AES128-SHA256-14\nAES256-SHA1-14",
	  "\"AES128-SHA256-14\\x0aAES256-SHA1-14\" is not a valid main mode "
	  "offer (use ENC-HASH-GROUP, e.g. AES128-SHA256-14)." },
	{ "AES128-SHA256-14 AES128-SHA256-14",
	  "\"AES128-SHA256-14\" is offered twice." },
	{ "AES128-SHA256-14 3DES-SHA1-2 aes128-sha256-14",
	  "\"aes128-sha256-14\" is offered twice." },
	{ "AES128-SHA256-14 AES128-SHA256-3",
	  "\"AES128-SHA256-3\" repeats \"AES128-SHA256-14\": DH group 3 is "
	  "group 14." },
	{ "AES128-SHA256-3 AES128-SHA256-14",
	  "\"AES128-SHA256-14\" repeats \"AES128-SHA256-3\": DH group 3 is "
	  "group 14." },
	/* an error after a weak offer: no warning survives */
	{ "DES-MD5-1 AES128-SHA256-7", "\"AES128-SHA256-7\": unknown "
				       "Diffie-Hellman group \"7\" (use 1, 2, "
				       "3, 14, 15, 16, 19, 20, 21 or 31)." },
};

static void
test_mmsec_ok(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(mm_ok); i++) {
		struct mm_methods m;
		char buf[1024], err[VOCAB_ERR_MAX], warn[1024];
		const char *t = mm_ok[i].text;

		if (vocab_mmsec_parse(t, &m, err, sizeof(err), warn,
				      sizeof(warn)) != 0)
			fail_msg("case [%s]: rejected: %s", t, err);
		vocab_mmsec_format(&m, buf, sizeof(buf));
		CHECK_STR(buf, mm_ok[i].canon, t);
		CHECK_STR(warn, mm_ok[i].warn, t);
		check_printable(warn, sizeof(warn), t);
		check_mm_roundtrip(&m, t);
	}
}

static void
test_mmsec_default(void **state)
{
	struct mm_methods m;
	char buf[1024], err[VOCAB_ERR_MAX], warn[VOCAB_ERR_MAX];

	(void)state;
	assert_int_equal(vocab_mmsec_parse(VOCAB_MMSEC_DEFAULT, &m, err,
					   sizeof(err), warn, sizeof(warn)),
			 0);
	assert_string_equal(warn, "");
	assert_int_equal(m.n, 5);
	assert_int_equal(m.offer[0].enc, MM_ENC_AES128);
	assert_int_equal(m.offer[0].hash, MM_HASH_SHA256);
	assert_int_equal(m.offer[0].group, 14);
	assert_int_equal(m.offer[2].group, 19);
	assert_int_equal(m.offer[2].iana_group, 19);
	assert_int_equal(m.offer[4].enc, MM_ENC_3DES);
	assert_int_equal(m.offer[4].hash, MM_HASH_SHA1);
	/* netsh group 3 is MODP 2048: IANA 14 on the wire, 3 in text */
	assert_int_equal(m.offer[4].group, 3);
	assert_int_equal(m.offer[4].iana_group, 14);
	vocab_mmsec_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, VOCAB_MMSEC_DEFAULT);
}

static void
test_mmsec_bad(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(mm_bad); i++) {
		struct mm_methods m, before;
		char err[VOCAB_ERR_MAX], warn[VOCAB_ERR_MAX];
		const char *t = mm_bad[i].text;

		memset(&m, 0x5a, sizeof(m));
		before = m;
		strcpy(warn, "stale");
		CHECK_INT(vocab_mmsec_parse(t, &m, err, sizeof(err), warn,
					    sizeof(warn)),
			  -1, t);
		CHECK_STR(err, mm_bad[i].err, t);
		CHECK_STR(warn, "", t);
		check_printable(err, sizeof(err), t);
		assert_memory_equal(&m, &before, sizeof(m));
	}
}

static void
test_mmsec_groups_and_limits(void **state)
{
	static const int groups[] = { 1, 2, 3, 14, 15, 16, 19, 20, 21, 31 };
	static const char *const encs[] = { "DES", "3DES", "AES128", "AES192",
					    "AES256" };
	static const char *const hashes[] = { "MD5", "SHA1", "SHA256",
					      "SHA384", "SHA512" };
	struct mm_methods m;
	char text[2048], err[VOCAB_ERR_MAX], warn[VOCAB_ERR_MAX], buf[1024];
	size_t i, e, h, g, len;

	(void)state;
	/* every single offer, with its IANA group */
	for (e = 0; e < NELEM(encs); e++)
		for (h = 0; h < NELEM(hashes); h++)
			for (g = 0; g < NELEM(groups); g++) {
				snprintf(text, sizeof(text), "%s-%s-%d",
					 encs[e], hashes[h], groups[g]);
				CHECK_INT(vocab_mmsec_parse(text, &m, err,
							    sizeof(err), warn,
							    sizeof(warn)),
					  0, text);
				CHECK_INT(m.n, 1, text);
				CHECK_INT(m.offer[0].enc, e, text);
				CHECK_INT(m.offer[0].hash, h, text);
				CHECK_INT(m.offer[0].group, groups[g], text);
				CHECK_INT(m.offer[0].iana_group,
					  groups[g] == 3 ? 14 : groups[g],
					  text);
				CHECK_INT(warn[0] != '\0',
					  e == 0 || h == 0 || groups[g] < 3,
					  text);
				vocab_mmsec_format(&m, buf, sizeof(buf));
				CHECK_STR(buf, text, text);
			}
	/* VOCAB_OFFERS_MAX offers are fine, one more is not */
	len = 0;
	text[0] = '\0';
	for (i = 0; i < VOCAB_OFFERS_MAX; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%s%s-SHA%s-%d", i ? " " : "",
					i < 14 ? "AES256" : "AES128",
					i % 2 ? "256" : "512",
					groups[3 + i / 2 % 7]);
	assert_int_equal(vocab_mmsec_parse(text, &m, err, sizeof(err), NULL, 0),
			 0);
	assert_int_equal(m.n, VOCAB_OFFERS_MAX);
	check_mm_roundtrip(&m, text);
	strcat(text, " AES128-SHA1-14");
	assert_int_equal(vocab_mmsec_parse(text, &m, err, sizeof(err), NULL, 0),
			 -1);
	assert_string_equal(err, "more than 16 main mode offers; at most 16 "
				 "are allowed.");
}

static void
test_mmsec_warn_buffers(void **state)
{
	const char *t = "DES-MD5-1 DES-MD5-2";
	struct mm_methods m;
	char warn[VOCAB_ERR_MAX], small[80];
	size_t lines = 0, i;

	(void)state;
	/* VOCAB_ERR_MAX holds whole lines only: the fourth is left out. */
	assert_int_equal(vocab_mmsec_parse(t, &m, NULL, 0, warn, sizeof(warn)),
			 0);
	for (i = 0; warn[i]; i++)
		lines += warn[i] == '\n';
	assert_int_equal(lines, 2);
	assert_true(warn[strlen(warn) - 1] == '.');
	assert_non_null(strstr(warn, "DH group 1"));
	assert_null(strstr(warn, "DH group 2"));
	assert_int_equal(vocab_mmsec_parse(t, &m, NULL, 0, small,
					   sizeof(small)),
			 0);
	assert_string_equal(small, "warning: \"DES-MD5-1\": DES is insecure "
				   "and accepted only for old peers.");
	assert_int_equal(vocab_mmsec_parse(t, &m, NULL, 0, small, 10), 0);
	assert_string_equal(small, "");
	assert_int_equal(vocab_mmsec_parse(t, NULL, NULL, 0, NULL, 0), 0);
}

static void
test_mmsec_format_edges(void **state)
{
	struct mm_methods m;
	char buf[1024];

	(void)state;
	assert_int_equal(vocab_mmsec_parse(VOCAB_MMSEC_DEFAULT, &m, NULL, 0,
					   NULL, 0),
			 0);
	/* one byte short: nothing rather than a shorter list */
	vocab_mmsec_format(&m, buf, strlen(VOCAB_MMSEC_DEFAULT));
	assert_string_equal(buf, "");
	vocab_mmsec_format(&m, buf, strlen(VOCAB_MMSEC_DEFAULT) + 1);
	assert_string_equal(buf, VOCAB_MMSEC_DEFAULT);
	m.n = VOCAB_OFFERS_MAX + 1;
	vocab_mmsec_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, "");
	m.n = 1;
	m.offer[0].enc = (enum mm_enc)42;
	vocab_mmsec_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, "?-SHA256-14");
	assert_int_equal(vocab_mmsec_parse(buf, NULL, NULL, 0, NULL, 0), -1);
	assert_int_equal(vocab_mmsec_parse(NULL, &m, NULL, 0, NULL, 0), -1);
	vocab_mmsec_format(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
	m.n = 0;
	vocab_mmsec_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

/* ---- quick mode security methods ---------------------------------- */

static bool
qm_offer_equal(const struct qm_offer *a, const struct qm_offer *b)
{
	return a->ah == b->ah && a->ah_hash == b->ah_hash && a->esp == b->esp &&
	       a->esp_conf == b->esp_conf && a->esp_integ == b->esp_integ &&
	       a->kbytes == b->kbytes && a->seconds == b->seconds;
}

static bool
qm_equal(const struct qm_methods *a, const struct qm_methods *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (!qm_offer_equal(&a->offer[i], &b->offer[i]))
			return false;
	return true;
}

static void
check_qm_roundtrip(const struct qm_methods *m, const char *ctx)
{
	struct qm_methods m2;
	char buf[2048], buf2[2048], err[VOCAB_ERR_MAX];

	vocab_qmsec_format(m, buf, sizeof(buf));
	if (vocab_qmsec_parse(buf, &m2, err, sizeof(err), NULL, 0) != 0)
		fail_msg("case [%s]: canonical [%s] rejected: %s", ctx, buf,
			 err);
	if (!qm_equal(m, &m2))
		fail_msg("case [%s]: [%s] reads back differently", ctx, buf);
	vocab_qmsec_format(&m2, buf2, sizeof(buf2));
	CHECK_STR(buf2, buf, ctx);
}

static const struct {
	const char *text;
	const char *canon;
	const char *warn;
} qm_ok[] = {
	{ VOCAB_QMSEC_DEFAULT, VOCAB_QMSEC_DEFAULT, "" },
	{ "esp[aes128,sha1]", "ESP[AES128,SHA1]:100000k/3600s", "" },
	{ "ESP[AES128GCM]", "ESP[AES128GCM]:100000k/3600s", "" },
	{ "ESP[aes256gcm,none]", "ESP[AES256GCM]:100000k/3600s", "" },
	{ "ESP[AES256GCM,NONE]:50000k", "ESP[AES256GCM]:50000k/3600s", "" },
	{ "AH[SHA1]", "AH[SHA1]:100000k/3600s", "" },
	{ "ah[sha256]", "AH[SHA256]:100000k/3600s", "" },
	{ "ah[sha256]+esp[3des,sha1]:50000k/600s",
	  "AH[SHA256]+ESP[3DES,SHA1]:50000k/600s", "" },
	{ "AH[SHA1]+ESP[AES128GCM]", "AH[SHA1]+ESP[AES128GCM]:100000k/3600s",
	  "" },
	{ "AH[SHA1]+ESP[None,SHA256]",
	  "AH[SHA1]+ESP[None,SHA256]:100000k/3600s", "" },
	{ "ESP[None,SHA256]", "ESP[None,SHA256]:100000k/3600s", "" },
	{ "ESP[AES128,None]", "ESP[AES128,None]:100000k/3600s", "" },
	{ "ESP[AES192,SHA384] ESP[AES256,SHA512]",
	  "ESP[AES192,SHA384]:100000k/3600s ESP[AES256,SHA512]:100000k/3600s",
	  "" },
	{ "ESP[AES128,SHA1]:3600s", "ESP[AES128,SHA1]:100000k/3600s", "" },
	{ "ESP[AES128,SHA1]:50000k", "ESP[AES128,SHA1]:50000k/3600s", "" },
	{ "ESP[AES128,SHA1]:20480k/300s", "ESP[AES128,SHA1]:20480k/300s", "" },
	{ "ESP[AES128,SHA1]:2147483647k/172800s",
	  "ESP[AES128,SHA1]:2147483647k/172800s", "" },
	{ "ESP[AES128,SHA1]:172800s", "ESP[AES128,SHA1]:100000k/172800s", "" },
	{ "ESP[AES128,SHA1]:300s", "ESP[AES128,SHA1]:100000k/300s", "" },
	{ "ESP[AES128,SHA1]:100000K/3600S", "ESP[AES128,SHA1]:100000k/3600s",
	  "" },
	{ "\t ESP[AES128GCM]   AH[SHA256]  ",
	  "ESP[AES128GCM]:100000k/3600s AH[SHA256]:100000k/3600s", "" },
	/* the netsh examples of the reference */
	{ "AH[MD5]:204800k/300s ESP[DES,SHA1]:30000k/480s",
	  "AH[MD5]:204800k/300s ESP[DES,SHA1]:30000k/480s",
	  "warning: \"AH[MD5]:204800k/300s\": MD5 is insecure and accepted "
	  "only for old peers.\n"
	  "warning: \"ESP[DES,SHA1]:30000k/480s\": DES is insecure and "
	  "accepted only for old peers." },
	{ "ESP[3DES,MD5]:100000k/2000s", "ESP[3DES,MD5]:100000k/2000s",
	  "warning: \"ESP[3DES,MD5]:100000k/2000s\": MD5 is insecure and "
	  "accepted only for old peers." },
	{ "AH[MD5]:100000k/1000s AH[SHA1]:100000k/1000s",
	  "AH[MD5]:100000k/1000s AH[SHA1]:100000k/1000s",
	  "warning: \"AH[MD5]:100000k/1000s\": MD5 is insecure and accepted "
	  "only for old peers." },
	{ "ESP[DES,MD5] ESP[DES,SHA1]", "ESP[DES,MD5]:100000k/3600s "
					"ESP[DES,SHA1]:100000k/3600s",
	  "warning: \"ESP[DES,MD5]\": DES is insecure and accepted only for "
	  "old peers.\n"
	  "warning: \"ESP[DES,MD5]\": MD5 is insecure and accepted only for "
	  "old peers." },
	/* same algorithms in different protocols: not duplicates */
	{ "AH[SHA1] ESP[None,SHA1] AH[SHA1]+ESP[None,SHA1]",
	  "AH[SHA1]:100000k/3600s ESP[None,SHA1]:100000k/3600s "
	  "AH[SHA1]+ESP[None,SHA1]:100000k/3600s",
	  "" },
};

static const struct {
	const char *text;
	const char *err;
} qm_bad[] = {
	{ "", "no quick mode security methods given." },
	{ "  ", "no quick mode security methods given." },
	{ "ESP[AES128GCM,SHA1]", "\"ESP[AES128GCM,SHA1]\": AES128GCM includes "
				 "integrity; write ESP[AES128GCM]." },
	{ "esp[aes256gcm,sha256]", "\"esp[aes256gcm,sha256]\": AES256GCM "
				   "includes integrity; write "
				   "ESP[AES256GCM]." },
	{ "ESP[None,None]", "\"ESP[None,None]\": ESP[None,None] protects "
			    "nothing; give an encryption or an integrity "
			    "algorithm." },
	{ "AH[SHA1]+ESP[none,none]", "\"AH[SHA1]+ESP[none,none]\": "
				     "ESP[None,None] protects nothing; give "
				     "an encryption or an integrity "
				     "algorithm." },
	{ "ESP[AES128]", "\"ESP[AES128]\": ESP takes CONF,INTEG (e.g. "
			 "ESP[AES128,SHA256]); only AES128GCM and AES256GCM "
			 "stand alone." },
	{ "ESP[None]", "\"ESP[None]\": ESP takes CONF,INTEG (e.g. "
		       "ESP[AES128,SHA256]); only AES128GCM and AES256GCM "
		       "stand alone." },
	{ "AH[SHA384]", "\"AH[SHA384]\": AH takes SHA1, SHA256 or MD5, not "
			"\"SHA384\"." },
	{ "AH[SHA512]", "\"AH[SHA512]\": AH takes SHA1, SHA256 or MD5, not "
			"\"SHA512\"." },
	{ "AH[None]", "\"AH[None]\": AH takes SHA1, SHA256 or MD5, not "
		      "\"None\"." },
	{ "AH[]", "\"AH[]\": AH takes SHA1, SHA256 or MD5, not \"\"." },
	{ "ESP[AES512,SHA1]", "\"ESP[AES512,SHA1]\": unknown ESP encryption "
			      "\"AES512\" (use AES128, AES192, AES256, "
			      "AES128GCM, AES256GCM, 3DES or None)." },
	{ "ESP[,SHA1]", "\"ESP[,SHA1]\": unknown ESP encryption \"\" (use "
			"AES128, AES192, AES256, AES128GCM, AES256GCM, 3DES "
			"or None)." },
	{ "ESP[AES128,SHA3]", "\"ESP[AES128,SHA3]\": unknown ESP integrity "
			      "\"SHA3\" (use SHA1, SHA256, SHA384, SHA512 or "
			      "None)." },
	{ "ESP[AES128,]", "\"ESP[AES128,]\": unknown ESP integrity \"\" (use "
			  "SHA1, SHA256, SHA384, SHA512 or None)." },
	{ "ESP[AES128,SHA1,MD5]", "\"ESP[AES128,SHA1,MD5]\" is not a valid "
				  "quick mode offer (use ESP[CONF,INTEG], "
				  "AH[HASH] or AH[HASH]+ESP[CONF,INTEG])." },
	{ "ESP[AES128,SHA1", "\"ESP[AES128,SHA1\" is not a valid quick mode "
			     "offer (use ESP[CONF,INTEG], AH[HASH] or "
			     "AH[HASH]+ESP[CONF,INTEG])." },
	{ "ESP(AES128,SHA1)", "\"ESP(AES128,SHA1)\" is not a valid quick mode "
			      "offer (use ESP[CONF,INTEG], AH[HASH] or "
			      "AH[HASH]+ESP[CONF,INTEG])." },
	{ "ESP[AES128,SHA1]x", "\"ESP[AES128,SHA1]x\" is not a valid quick "
			       "mode offer (use ESP[CONF,INTEG], AH[HASH] or "
			       "AH[HASH]+ESP[CONF,INTEG])." },
	{ "ESP[AES128,SHA1]+AH[SHA1]", "\"ESP[AES128,SHA1]+AH[SHA1]\" is not "
				       "a valid quick mode offer (use "
				       "ESP[CONF,INTEG], AH[HASH] or "
				       "AH[HASH]+ESP[CONF,INTEG])." },
	{ "AH[SHA1]+", "\"AH[SHA1]+\" is not a valid quick mode offer (use "
		       "ESP[CONF,INTEG], AH[HASH] or "
		       "AH[HASH]+ESP[CONF,INTEG])." },
	{ "AH[SHA1]+AH[SHA256]", "\"AH[SHA1]+AH[SHA256]\" is not a valid quick "
				 "mode offer (use ESP[CONF,INTEG], AH[HASH] "
				 "or AH[HASH]+ESP[CONF,INTEG])." },
	{ "AH[SHA1]ESP[AES128,SHA1]", "\"AH[SHA1]ESP[AES128,SHA1]\" is not a "
				      "valid quick mode offer (use "
				      "ESP[CONF,INTEG], AH[HASH] or "
				      "AH[HASH]+ESP[CONF,INTEG])." },
	{ "ESP:3DES-SHA1", "\"ESP:3DES-SHA1\" is not a valid quick mode offer "
			   "(use ESP[CONF,INTEG], AH[HASH] or "
			   "AH[HASH]+ESP[CONF,INTEG])." },
	{ ":3600s", "\":3600s\" is not a valid quick mode offer (use "
		    "ESP[CONF,INTEG], AH[HASH] or AH[HASH]+ESP[CONF,INTEG])." },
	{ "ESP[AES128,SHA1]:299s", "\"ESP[AES128,SHA1]:299s\": lifetime 299s "
				   "is out of range (use 300-172800 "
				   "seconds)." },
	{ "ESP[AES128,SHA1]:172801s", "\"ESP[AES128,SHA1]:172801s\": lifetime "
				      "172801s is out of range (use "
				      "300-172800 seconds)." },
	{ "ESP[AES128,SHA1]:0s", "\"ESP[AES128,SHA1]:0s\": lifetime 0s is out "
				 "of range (use 300-172800 seconds)." },
	{ "ESP[AES128,SHA1]:100000k/299s", "\"ESP[AES128,SHA1]:100000k/299s\": "
					   "lifetime 299s is out of range "
					   "(use 300-172800 seconds)." },
	{ "ESP[AES128,SHA1]:99999999999999999999999s",
	  "\"ESP[AES128,SHA1]:99999999999999999999999s\": lifetime "
	  "99999999999999999999999s is out of range (use 300-172800 "
	  "seconds)." },
	{ "ESP[AES128,SHA1]:20479k", "\"ESP[AES128,SHA1]:20479k\": lifetime "
				     "20479k is out of range (use "
				     "20480-2147483647 kilobytes)." },
	{ "ESP[AES128,SHA1]:2147483648k/3600s",
	  "\"ESP[AES128,SHA1]:2147483648k/3600s\": lifetime 2147483648k is out "
	  "of range (use 20480-2147483647 kilobytes)." },
	{ "ESP[AES128,SHA1]:4294967296k", "\"ESP[AES128,SHA1]:4294967296k\": "
					  "lifetime 4294967296k is out of "
					  "range (use 20480-2147483647 "
					  "kilobytes)." },
	{ "ESP[AES128,SHA1]:", "\"ESP[AES128,SHA1]:\": bad lifetime \"\" (use "
			       ":Nk/Ns, :Nk or :Ns)." },
	{ "ESP[AES128,SHA1]:3600", "\"ESP[AES128,SHA1]:3600\": bad lifetime "
				   "\"3600\" (use :Nk/Ns, :Nk or :Ns)." },
	{ "ESP[AES128,SHA1]:3600s/100000k",
	  "\"ESP[AES128,SHA1]:3600s/100000k\": bad lifetime "
	  "\"3600s/100000k\" (use :Nk/Ns, :Nk or :Ns)." },
	{ "ESP[AES128,SHA1]:100000k/", "\"ESP[AES128,SHA1]:100000k/\": bad "
				       "lifetime \"100000k/\" (use :Nk/Ns, "
				       ":Nk or :Ns)." },
	{ "ESP[AES128,SHA1]:100000k/200000k",
	  "\"ESP[AES128,SHA1]:100000k/200000k\": bad lifetime "
	  "\"100000k/200000k\" (use :Nk/Ns, :Nk or :Ns)." },
	{ "ESP[AES128,SHA1]:100000k/3600s/", "\"ESP[AES128,SHA1]:100000k/"
					     "3600s/\": bad lifetime "
					     "\"100000k/3600s/\" (use :Nk/Ns, "
					     ":Nk or :Ns)." },
	{ "ESP[AES128,SHA1]:k/s", "\"ESP[AES128,SHA1]:k/s\": bad lifetime "
				  "\"k/s\" (use :Nk/Ns, :Nk or :Ns)." },
	{ "ESP[AES128,SHA1]:03600s", "\"ESP[AES128,SHA1]:03600s\": bad "
				     "lifetime \"03600s\" (use :Nk/Ns, :Nk or "
				     ":Ns)." },
	{ "ESP[AES128,SHA1]:100000k:3600s", "\"ESP[AES128,SHA1]:100000k:"
					    "3600s\": bad lifetime "
					    "\"100000k:3600s\" (use :Nk/Ns, "
					    ":Nk or :Ns)." },
	{ "ESP[AES128,SHA1]:-3600s", "\"ESP[AES128,SHA1]:-3600s\": bad "
				     "lifetime \"-3600s\" (use :Nk/Ns, :Nk or "
				     ":Ns)." },
	{ "ESP[AES128,SHA1]:3600m", "\"ESP[AES128,SHA1]:3600m\": bad lifetime "
				    "\"3600m\" (use :Nk/Ns, :Nk or :Ns)." },
	{ "ESP[AES128,SHA1] esp[aes128,sha1]:50000k",
	  "\"esp[aes128,sha1]:50000k\" repeats the algorithms of "
	  "\"ESP[AES128,SHA1]\"." },
	{ "ESP[AES128GCM] ESP[AES128GCM,None]", "\"ESP[AES128GCM,None]\" "
						"repeats the algorithms of "
						"\"ESP[AES128GCM]\"." },
	{ "AH[SHA1]+ESP[AES128,SHA1] AH[SHA1]+ESP[AES128,SHA1]:600s",
	  "\"AH[SHA1]+ESP[AES128,SHA1]:600s\" repeats the algorithms of "
	  "\"AH[SHA1]+ESP[AES128,SHA1]\"." },
	{ "ESP[DES,MD5] ESP[AES128,SHA1]:1s", "\"ESP[AES128,SHA1]:1s\": "
					      "lifetime 1s is out of range "
					      "(use 300-172800 seconds)." },
	{ "ESP[AES128,SHA1];ESP[AES256,SHA1]",
	  "\"ESP[AES128,SHA1];ESP[AES256,SHA1]\" is not a valid quick mode "
	  "offer (use ESP[CONF,INTEG], AH[HASH] or "
	  "AH[HASH]+ESP[CONF,INTEG])." },
};

static void
test_qmsec_ok(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(qm_ok); i++) {
		struct qm_methods m;
		char buf[2048], err[VOCAB_ERR_MAX], warn[1024];
		const char *t = qm_ok[i].text;

		if (vocab_qmsec_parse(t, &m, err, sizeof(err), warn,
				      sizeof(warn)) != 0)
			fail_msg("case [%s]: rejected: %s", t, err);
		vocab_qmsec_format(&m, buf, sizeof(buf));
		CHECK_STR(buf, qm_ok[i].canon, t);
		CHECK_STR(warn, qm_ok[i].warn, t);
		check_qm_roundtrip(&m, t);
	}
}

static void
test_qmsec_default(void **state)
{
	struct qm_methods m;
	char buf[2048], err[VOCAB_ERR_MAX];
	size_t i;

	(void)state;
	assert_int_equal(vocab_qmsec_parse(VOCAB_QMSEC_DEFAULT, &m, err,
					   sizeof(err), NULL, 0),
			 0);
	assert_int_equal(m.n, 4);
	assert_false(m.offer[0].ah);
	assert_true(m.offer[0].esp);
	assert_int_equal(m.offer[0].esp_conf, QM_CONF_AES128GCM);
	assert_int_equal(m.offer[0].esp_integ, QM_INTEG_NONE);
	assert_int_equal(m.offer[1].esp_conf, QM_CONF_AES256);
	assert_int_equal(m.offer[1].esp_integ, QM_INTEG_SHA256);
	assert_int_equal(m.offer[3].esp_conf, QM_CONF_3DES);
	for (i = 0; i < m.n; i++) {
		assert_int_equal(m.offer[i].kbytes, VOCAB_QM_KBYTES_DEFAULT);
		assert_int_equal(m.offer[i].seconds, VOCAB_QM_SECONDS_DEFAULT);
	}
	vocab_qmsec_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, VOCAB_QMSEC_DEFAULT);
	/* the short form without lifetimes means the same */
	assert_int_equal(vocab_qmsec_parse("ESP[AES128GCM] ESP[AES256,SHA256] "
					   "ESP[AES128,SHA1] ESP[3DES,SHA1]",
					   &m, err, sizeof(err), NULL, 0),
			 0);
	vocab_qmsec_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, VOCAB_QMSEC_DEFAULT);
}

static void
test_qmsec_bad(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(qm_bad); i++) {
		struct qm_methods m, before;
		char err[VOCAB_ERR_MAX], warn[VOCAB_ERR_MAX];
		const char *t = qm_bad[i].text;

		memset(&m, 0x5a, sizeof(m));
		before = m;
		strcpy(warn, "stale");
		CHECK_INT(vocab_qmsec_parse(t, &m, err, sizeof(err), warn,
					    sizeof(warn)),
			  -1, t);
		CHECK_STR(err, qm_bad[i].err, t);
		CHECK_STR(warn, "", t);
		check_printable(err, sizeof(err), t);
		assert_memory_equal(&m, &before, sizeof(m));
	}
}

static void
test_qmsec_limits(void **state)
{
	static const char *const confs[] = { "AES128", "AES192", "AES256",
					     "3DES" };
	static const char *const integs[] = { "SHA1", "SHA256", "SHA384",
					      "SHA512" };
	struct qm_methods m;
	char text[2048], err[VOCAB_ERR_MAX], buf[2048];
	size_t i, len = 0;

	(void)state;
	text[0] = '\0';
	for (i = 0; i < VOCAB_OFFERS_MAX; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%sAH[SHA256]+ESP[%s,%s]:"
					"2147483647k/172800s",
					i ? " " : "", confs[i % 4],
					integs[i / 4]);
	assert_int_equal(vocab_qmsec_parse(text, &m, err, sizeof(err), NULL, 0),
			 0);
	assert_int_equal(m.n, VOCAB_OFFERS_MAX);
	check_qm_roundtrip(&m, text);
	/* the longest canonical list fits the store's column */
	vocab_qmsec_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, text);
	assert_true(strlen(buf) < 1024);
	strcat(text, " ESP[AES128GCM]");
	assert_int_equal(vocab_qmsec_parse(text, &m, err, sizeof(err), NULL, 0),
			 -1);
	assert_string_equal(err, "more than 16 quick mode offers; at most 16 "
				 "are allowed.");
}

static void
test_qmoffer(void **state)
{
	struct qm_offer o, before;
	char err[VOCAB_ERR_MAX], warn[VOCAB_ERR_MAX], buf[128];

	(void)state;
	assert_int_equal(vocab_qmoffer_parse("esp[aes256,sha256]:50000k/600s",
					     &o, err, sizeof(err), warn,
					     sizeof(warn)),
			 0);
	assert_string_equal(warn, "");
	assert_true(o.esp);
	assert_false(o.ah);
	assert_int_equal(o.esp_conf, QM_CONF_AES256);
	assert_int_equal(o.esp_integ, QM_INTEG_SHA256);
	assert_int_equal(o.kbytes, 50000);
	assert_int_equal(o.seconds, 600);
	vocab_qmoffer_format(&o, buf, sizeof(buf));
	assert_string_equal(buf, "ESP[AES256,SHA256]:50000k/600s");

	assert_int_equal(vocab_qmoffer_parse("  ESP[AES128GCM]\t", &o, err,
					     sizeof(err), warn, sizeof(warn)),
			 0);
	vocab_qmoffer_format(&o, buf, sizeof(buf));
	assert_string_equal(buf, "ESP[AES128GCM]:100000k/3600s");

	assert_int_equal(vocab_qmoffer_parse("AH[MD5]+ESP[DES,MD5]", &o, err,
					     sizeof(err), warn, sizeof(warn)),
			 0);
	assert_string_equal(warn, "warning: \"AH[MD5]+ESP[DES,MD5]\": DES is "
				  "insecure and accepted only for old "
				  "peers.\n"
				  "warning: \"AH[MD5]+ESP[DES,MD5]\": MD5 is "
				  "insecure and accepted only for old peers.");
	vocab_qmoffer_format(&o, buf, sizeof(buf));
	assert_string_equal(buf, "AH[MD5]+ESP[DES,MD5]:100000k/3600s");

	memset(&o, 0x5a, sizeof(o));
	before = o;
	assert_int_equal(vocab_qmoffer_parse("", &o, err, sizeof(err), warn,
					     sizeof(warn)),
			 -1);
	assert_string_equal(err, "no quick mode offer given.");
	assert_int_equal(vocab_qmoffer_parse(" \t ", &o, err, sizeof(err),
					     NULL, 0),
			 -1);
	assert_string_equal(err, "no quick mode offer given.");
	assert_int_equal(vocab_qmoffer_parse("ESP[AES128GCM] AH[SHA1]", &o,
					     err, sizeof(err), warn,
					     sizeof(warn)),
			 -1);
	assert_string_equal(err, "\"ESP[AES128GCM] AH[SHA1]\": give exactly "
				 "one quick mode offer.");
	assert_int_equal(vocab_qmoffer_parse("ESP[AES128GCM] ESP[AES128GCM]",
					     &o, err, sizeof(err), NULL, 0),
			 -1);
	assert_int_equal(vocab_qmoffer_parse("ESP[None,None]", &o, err,
					     sizeof(err), NULL, 0),
			 -1);
	assert_string_equal(err, "\"ESP[None,None]\": ESP[None,None] protects "
				 "nothing; give an encryption or an integrity "
				 "algorithm.");
	assert_int_equal(vocab_qmoffer_parse("ESP[AES128,SHA1]:20479k", &o,
					     err, sizeof(err), NULL, 0),
			 -1);
	assert_memory_equal(&o, &before, sizeof(o));
	assert_int_equal(vocab_qmoffer_parse(NULL, &o, err, sizeof(err), NULL,
					     0),
			 -1);
}

/* Every offer the structs can express: valid ones round-trip, invalid
 * ones format to text that no parser accepts.  Returns 1 if valid. */
static int
qm_check_struct(bool ah, int h, bool esp, int c, int in, uint32_t kb,
		uint32_t sec)
{
	struct qm_offer o, o2;
	char buf[128], err[VOCAB_ERR_MAX];
	bool gcm = c == QM_CONF_AES128GCM || c == QM_CONF_AES256GCM;
	bool ok;

	memset(&o, 0, sizeof(o));
	o.ah = ah;
	o.ah_hash = (enum qm_integ)h;
	o.esp = esp;
	o.esp_conf = (enum qm_conf)c;
	o.esp_integ = (enum qm_integ)in;
	o.kbytes = kb;
	o.seconds = sec;
	ok = (ah || esp) &&
	     (!ah || h == QM_INTEG_MD5 || h == QM_INTEG_SHA1 ||
	      h == QM_INTEG_SHA256) &&
	     (!esp || (!(gcm && in != QM_INTEG_NONE) &&
		       !(c == QM_CONF_NONE && in == QM_INTEG_NONE)));
	vocab_qmoffer_format(&o, buf, sizeof(buf));
	if (!ok) {
		if (vocab_qmoffer_parse(buf, &o2, err, sizeof(err), NULL, 0) ==
		    0)
			fail_msg("invalid offer [%s] accepted", buf);
		return 0;
	}
	if (vocab_qmoffer_parse(buf, &o2, err, sizeof(err), NULL, 0) != 0)
		fail_msg("canonical [%s] rejected: %s", buf, err);
	if (!qm_offer_equal(&o, &o2))
		fail_msg("[%s] reads back differently", buf);
	return 1;
}

static void
test_qm_roundtrip_all(void **state)
{
	static const uint32_t kb[] = { VOCAB_QM_KBYTES_MIN, 100000,
				       VOCAB_QM_KBYTES_MAX };
	static const uint32_t sec[] = { VOCAB_QM_SECONDS_MIN, 3600,
					VOCAB_QM_SECONDS_MAX };
	int ah, esp, h, c, in, l, valid = 0;

	(void)state;
	for (ah = 0; ah <= 1; ah++)
		for (h = QM_INTEG_NONE; h <= QM_INTEG_SHA512; h++)
			for (esp = 0; esp <= 1; esp++)
				for (c = QM_CONF_NONE; c <= QM_CONF_AES256GCM;
				     c++)
					for (in = QM_INTEG_NONE;
					     in <= QM_INTEG_SHA512; in++) {
						/* canonical structs only:
						 * absent parts are zero */
						if ((!ah && h) ||
						    (!esp && (c || in)))
							continue;
						for (l = 0; l < 3; l++)
							valid += qm_check_struct(
								ah, h, esp, c,
								in, kb[l],
								sec[l]);
					}
	/* AH alone: 3; ESP alone: 6 CONF x 6 INTEG - 1 + 2 GCM = 37;
	 * AH+ESP: 3 x 37; each with 3 lifetimes. */
	assert_int_equal(valid, (3 + 37 + 3 * 37) * 3);
}

static void
test_qmsec_format_edges(void **state)
{
	struct qm_methods m;
	struct qm_offer o;
	char buf[2048];

	(void)state;
	assert_int_equal(vocab_qmsec_parse(VOCAB_QMSEC_DEFAULT, &m, NULL, 0,
					   NULL, 0),
			 0);
	vocab_qmsec_format(&m, buf, strlen(VOCAB_QMSEC_DEFAULT));
	assert_string_equal(buf, "");
	vocab_qmsec_format(&m, buf, strlen(VOCAB_QMSEC_DEFAULT) + 1);
	assert_string_equal(buf, VOCAB_QMSEC_DEFAULT);
	m.n = VOCAB_OFFERS_MAX + 1;
	vocab_qmsec_format(&m, buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_int_equal(vocab_qmsec_parse(NULL, &m, NULL, 0, NULL, 0), -1);
	vocab_qmsec_format(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
	memset(&o, 0, sizeof(o));
	vocab_qmoffer_format(&o, buf, sizeof(buf));
	assert_string_equal(buf, "?");
	o.esp = true;
	o.esp_conf = (enum qm_conf)77;
	o.esp_integ = QM_INTEG_SHA1;
	o.kbytes = 100000;
	o.seconds = 3600;
	vocab_qmoffer_format(&o, buf, sizeof(buf));
	assert_string_equal(buf, "ESP[?,SHA1]:100000k/3600s");
	vocab_qmoffer_format(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
	o.esp_conf = QM_CONF_AES128;
	vocab_qmoffer_format(&o, buf, 10);
	assert_string_equal(buf, "");
}

/* ---- PFS groups --------------------------------------------------- */

static void
test_pfsgroup(void **state)
{
	static const struct {
		const char *text;
		int rc, group;
		const char *canon;
	} cases[] = {
		{ "GRP1", 0, 1, "GRP1" },      { "grp2", 0, 2, "GRP2" },
		{ "GRP3", 0, 14, "GRP14" },    { "Grp14", 0, 14, "GRP14" },
		{ "GRP15", 0, 15, "GRP15" },   { "GRP16", 0, 16, "GRP16" },
		{ "GRP19", 0, 19, "GRP19" },   { "GRP20", 0, 20, "GRP20" },
		{ "GRP21", 0, 21, "GRP21" },   { "GRP31", 0, 31, "GRP31" },
		{ "GRPMM", 0, -1, "GRPMM" },   { "grpmm", 0, -1, "GRPMM" },
		{ "GRPM", 0, -1, "GRPMM" },    { "NOPFS", 0, 0, "NOPFS" },
		{ "nopfs", 0, 0, "NOPFS" },    { "N", 0, 0, "NOPFS" },
		{ "no", 0, 0, "NOPFS" },       { "GRP", -1, 0, NULL },
		{ "G", -1, 0, NULL },	       { "", -1, 0, NULL },
		{ "GRP4", -1, 0, NULL },       { "GRP03", -1, 0, NULL },
		{ "GRP1 ", -1, 0, NULL },      { "14", -1, 0, NULL },
		{ "NOPFSX", -1, 0, NULL },     { "PFS", -1, 0, NULL },
	};
	char err[VOCAB_ERR_MAX], buf[16];
	size_t i;
	int g, g2;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		g = -7;
		CHECK_INT(vocab_pfsgroup_parse(cases[i].text, &g, err,
					       sizeof(err)),
			  cases[i].rc, cases[i].text);
		if (cases[i].rc < 0) {
			CHECK_INT(g, -7, cases[i].text);
			check_printable(err, sizeof(err), cases[i].text);
			continue;
		}
		CHECK_INT(g, cases[i].group, cases[i].text);
		vocab_pfsgroup_format(g, buf, sizeof(buf));
		CHECK_STR(buf, cases[i].canon, cases[i].text);
		CHECK_INT(vocab_pfsgroup_parse(buf, &g2, err, sizeof(err)), 0,
			  buf);
		CHECK_INT(g2, g, buf);
	}
	vocab_pfsgroup_parse("GRP", &g, err, sizeof(err));
	assert_string_equal(err, "\"GRP\" is ambiguous: GRP1, GRP2, GRP3, "
				 "GRP14, GRP15, GRP16, GRP19, GRP20, GRP21, "
				 "GRP31, GRPMM.");
	vocab_pfsgroup_parse("grp2", &g, err, sizeof(err));
	assert_int_equal(g, 2);
	vocab_pfsgroup_parse("GRP4", &g, err, sizeof(err));
	assert_string_equal(err, "\"GRP4\" is not a valid PFS group (use GRP1, "
				 "GRP2, GRP3, GRP14, GRP15, GRP16, GRP19, "
				 "GRP20, GRP21, GRP31, GRPMM or NOPFS).");
	vocab_pfsgroup_format(3, buf, sizeof(buf));
	assert_string_equal(buf, "?");
	vocab_pfsgroup_format(7, buf, sizeof(buf));
	assert_string_equal(buf, "?");
	vocab_pfsgroup_format(-1, buf, 5);
	assert_string_equal(buf, "");
	assert_int_equal(vocab_pfsgroup_parse(NULL, &g, err, sizeof(err)), -1);
}

/* ---- root CA ------------------------------------------------------ */

static void
test_rootca_ok(void **state)
{
	static const struct {
		const char *text;
		const char *ca;
		bool certmap, exclude;
		const char *canon;
	} cases[] = {
		{ "MyCA", "MyCA", false, false,
		  "MyCA certmap:no excludecaname:no" },
		{ "MyCA certmap:yes excludecaname:yes", "MyCA", true, true,
		  "MyCA certmap:yes excludecaname:yes" },
		{ "MyCA excludecaname:y certmap:N", "MyCA", false, true,
		  "MyCA certmap:no excludecaname:yes" },
		{ "MyCA Certmap:YES", "MyCA", true, false,
		  "MyCA certmap:yes excludecaname:no" },
		{ "MyCA EXCLUDECANAME:Ye", "MyCA", false, true,
		  "MyCA certmap:no excludecaname:yes" },
		{ "CN=Example Root CA, O=Example, C=US certmap:no",
		  "CN=Example Root CA, O=Example, C=US", false, false,
		  "CN=Example Root CA, O=Example, C=US certmap:no "
		  "excludecaname:no" },
		{ "  /etc/ipsecsh/certs/ca.pem   certmap:yes  ",
		  "/etc/ipsecsh/certs/ca.pem", true, false,
		  "/etc/ipsecsh/certs/ca.pem certmap:yes excludecaname:no" },
		{ "CN=My  CA\tcertmap:y\t", "CN=My  CA", true, false,
		  "CN=My  CA certmap:yes excludecaname:no" },
		{ "CN=\\'Quoted\\' CA", "CN=\"Quoted\" CA", false, false,
		  "CN=\\'Quoted\\' CA certmap:no excludecaname:no" },
		{ "\\'", "\"", false, false,
		  "\\' certmap:no excludecaname:no" },
		{ "C:\\ca", "C:\\ca", false, false,
		  "C:\\ca certmap:no excludecaname:no" },
		{ "CA\\\\'x", "CA\\\"x", false, false,
		  "CA\\\\'x certmap:no excludecaname:no" },
		{ "host:8443 CA", "host:8443 CA", false, false,
		  "host:8443 CA certmap:no excludecaname:no" },
		{ "CA C=US:x", "CA C=US:x", false, false,
		  "CA C=US:x certmap:no excludecaname:no" },
		{ "CA a1:yes", "CA a1:yes", false, false,
		  "CA a1:yes certmap:no excludecaname:no" },
		{ "foo:yes CA", "foo:yes CA", false, false,
		  "foo:yes CA certmap:no excludecaname:no" },
		{ "CN=B\xc3\xbc"
		  "cher CA",
		  "CN=B\xc3\xbc"
		  "cher CA",
		  false, false,
		  "CN=B\xc3\xbc"
		  "cher CA certmap:no excludecaname:no" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		struct rootca_spec r, r2;
		char err[VOCAB_ERR_MAX], buf[4096];
		const char *t = cases[i].text;

		if (vocab_rootca_parse(t, &r, err, sizeof(err)) != 0)
			fail_msg("case [%s]: rejected: %s", t, err);
		CHECK_STR(r.ca, cases[i].ca, t);
		CHECK_INT(r.certmap, cases[i].certmap, t);
		CHECK_INT(r.excludecaname, cases[i].exclude, t);
		vocab_rootca_format(&r, buf, sizeof(buf));
		CHECK_STR(buf, cases[i].canon, t);
		CHECK_INT(vocab_rootca_parse(buf, &r2, err, sizeof(err)), 0,
			  buf);
		CHECK_STR(r2.ca, r.ca, t);
		CHECK_INT(r2.certmap, r.certmap, t);
		CHECK_INT(r2.excludecaname, r.excludecaname, t);
	}
}

static void
test_rootca_bad(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{ "", "rootca needs a CA (a PEM file path or a certificate "
		      "subject) before its options." },
		{ "   ", "rootca needs a CA (a PEM file path or a certificate "
			 "subject) before its options." },
		{ "certmap:yes", "rootca needs a CA (a PEM file path or a "
				 "certificate subject) before its options." },
		{ " certmap:yes excludecaname:no ",
		  "rootca needs a CA (a PEM file path or a certificate "
		  "subject) before its options." },
		{ "MyCA certmap:maybe",
		  "\"certmap:maybe\": use certmap:yes or certmap:no." },
		{ "MyCA certmap:",
		  "\"certmap:\": use certmap:yes or certmap:no." },
		{ "MyCA excludecaname:1",
		  "\"excludecaname:1\": use excludecaname:yes or "
		  "excludecaname:no." },
		{ "MyCA certmap:yes certmap:no",
		  "\"certmap:yes\": certmap is given twice." },
		{ "MyCA foo:yes", "unknown rootca option \"foo:yes\" (use "
				  "certmap:yes|no and excludecaname:yes|no)." },
		{ "MyCA certmapp:y", "unknown rootca option \"certmapp:y\" (use "
				     "certmap:yes|no and "
				     "excludecaname:yes|no)." },
		{ "MyCA cert:no certmap:yes",
		  "unknown rootca option \"cert:no\" (use certmap:yes|no and "
		  "excludecaname:yes|no)." },
		{ "certmap:yes MyCA", "\"certmap:yes\": rootca options must "
				      "follow the CA." },
		{ "My ExcludeCAName:no CA certmap:no",
		  "\"ExcludeCAName:no\": rootca options must follow the CA." },
		{ "My\tCA", "\"My\\x09CA\": the CA contains a control "
			    "character." },
		{ "My\nCA certmap:no", "\"My\\x0aCA\": the CA contains a control "
				       "character." },
		{ "CA\x1b[31m", "\"CA\\x1b[31m\": the CA contains a control "
				"character." },
		{ "CA \xc2\x9b", "\"CA \\xc2\\x9b\": the CA contains a control "
				 "character." },
		{ "\xff CA", "\"\\xff CA\": the CA is not valid UTF-8." },
		{ "CA \xc0\xaf", "\"CA \\xc0\\xaf\": the CA is not valid "
				 "UTF-8." },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		struct rootca_spec r;
		char err[VOCAB_ERR_MAX];

		memset(&r, 0x5a, sizeof(r));
		r.ca[sizeof(r.ca) - 1] = '\0';
		CHECK_INT(vocab_rootca_parse(cases[i].text, &r, err,
					     sizeof(err)),
			  -1, cases[i].text);
		CHECK_STR(err, cases[i].err, cases[i].text);
		check_printable(err, sizeof(err), cases[i].text);
		CHECK_INT((unsigned char)r.ca[0], 0x5a, cases[i].text);
	}
}

static void
test_rootca_lengths(void **state)
{
	struct rootca_spec r, r2;
	char err[VOCAB_ERR_MAX], *buf;
	char *ca1023 = repeat("a", 1023), *ca1024 = repeat("a", 1024);
	char *q1023 = repeat("\\'", 1023), *q1024 = repeat("\\'", 1024);
	size_t need;

	(void)state;
	assert_int_equal(vocab_rootca_parse(ca1023, &r, err, sizeof(err)), 0);
	assert_int_equal(strlen(r.ca), 1023);
	assert_int_equal(vocab_rootca_parse(ca1024, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "the CA of rootca is longer than 1023 bytes.");
	/* 1023 quotes fit as 1023 bytes; their canonical text is longer */
	assert_int_equal(vocab_rootca_parse(q1023, &r, err, sizeof(err)), 0);
	assert_int_equal(strlen(r.ca), 1023);
	assert_int_equal(r.ca[0], '"');
	assert_int_equal(vocab_rootca_parse(q1024, &r, err, sizeof(err)), -1);
	need = 2 * 1023 + strlen(" certmap:no excludecaname:no") + 1;
	buf = malloc(need);
	assert_non_null(buf);
	vocab_rootca_format(&r, buf, need - 1);
	assert_string_equal(buf, "");
	vocab_rootca_format(&r, buf, need);
	assert_int_equal(strlen(buf), need - 1);
	assert_int_equal(vocab_rootca_parse(buf, &r2, err, sizeof(err)), 0);
	assert_string_equal(r2.ca, r.ca);
	/* unterminated CA: nothing */
	memset(r.ca, 'a', sizeof(r.ca));
	vocab_rootca_format(&r, buf, need);
	assert_string_equal(buf, "");
	vocab_rootca_format(NULL, buf, need);
	assert_string_equal(buf, "");
	assert_int_equal(vocab_rootca_parse(NULL, &r, err, sizeof(err)), -1);
	free(buf);
	free(ca1023);
	free(ca1024);
	free(q1023);
	free(q1024);
}

/* ---- names and GUIDs ---------------------------------------------- */

static void
test_name_check(void **state)
{
	static const struct {
		const char *text;
		const char *err; /* NULL: valid */
	} cases[] = {
		{ "Policy1", NULL },
		{ "My Policy", NULL },
		{ " leading and trailing ", NULL },
		{ "x", NULL },
		{ "B\xc3\xbc"
		  "cher",
		  NULL },
		{ "\xe2\x82\xac", NULL },
		{ "\xf0\x9f\x98\x80", NULL },
		{ "", "The policy name must not be empty." },
		{ "   ", "The policy name must not be blank." },
		{ "a\nb", "The policy name \"a\\x0ab\" contains a control "
			  "character." },
		{ "\t", "The policy name \"\\x09\" contains a control "
			"character." },
		{ "a\x7f", "The policy name \"a\\x7f\" contains a control "
			   "character." },
		{ "\xc2\x85", "The policy name \"\\xc2\\x85\" contains a "
			      "control character." },
		{ "\xff", "The policy name \"\\xff\" is not valid UTF-8." },
		{ "\xc0\xaf", "The policy name \"\\xc0\\xaf\" is not valid "
			      "UTF-8." },
		{ "\xe0\x80\xaf", "The policy name \"\\xe0\\x80\\xaf\" is not "
				  "valid UTF-8." },
		{ "\xed\xa0\x80", "The policy name \"\\xed\\xa0\\x80\" is not "
				  "valid UTF-8." },
		{ "\xf4\x90\x80\x80", "The policy name \"\\xf4\\x90\\x80\\x80\" "
				      "is not valid UTF-8." },
		{ "\xe2\x82", "The policy name \"\\xe2\\x82\" is not valid "
			      "UTF-8." },
		{ "\x80", "The policy name \"\\x80\" is not valid UTF-8." },
	};
	char err[VOCAB_ERR_MAX];
	char *n255 = repeat("n", 255), *n256 = repeat("n", 256);
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		int rc = vocab_name_check(cases[i].text, "policy name", err,
					  sizeof(err));

		CHECK_INT(rc, cases[i].err ? -1 : 0, cases[i].text);
		CHECK_STR(err, cases[i].err ? cases[i].err : "", cases[i].text);
		check_printable(err, sizeof(err), cases[i].text);
	}
	assert_int_equal(vocab_name_check(n255, "policy name", err,
					  sizeof(err)),
			 0);
	assert_int_equal(vocab_name_check(n256, "policy name", err,
					  sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "is too long (at most 255 bytes)."));
	assert_int_equal(vocab_name_check(NULL, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "The name must not be empty.");
	free(n255);
	free(n256);
}

static void
test_guid(void **state)
{
	static const struct {
		const char *text;
		const char *canon; /* NULL: invalid */
	} cases[] = {
		{ "{11E6E97E-0031-49f5-AC7D-5F2FE99BABAF}",
		  "{11E6E97E-0031-49F5-AC7D-5F2FE99BABAF}" },
		{ "11e6e97e-0031-49f5-ac7d-5f2fe99babaf",
		  "{11E6E97E-0031-49F5-AC7D-5F2FE99BABAF}" },
		{ "{00000000-0000-0000-0000-000000000000}",
		  "{00000000-0000-0000-0000-000000000000}" },
		{ "{11E6E97E-0031-49f5-AC7D-5F2FE99BABAF", NULL },
		{ "11E6E97E-0031-49f5-AC7D-5F2FE99BABAF}", NULL },
		{ "{{11E6E97E-0031-49f5-AC7D-5F2FE99BABAF}}", NULL },
		{ "{11E6E97E00031-49f5-AC7D-5F2FE99BABAF}", NULL },
		{ "{11E6E97G-0031-49f5-AC7D-5F2FE99BABAF}", NULL },
		{ "{11E6E97E-0031-49f5-AC7D-5F2FE99BABA}", NULL },
		{ "{11E6E97E-0031-49f5-AC7D-5F2FE99BABAF0}", NULL },
		{ "{11E6E97-E0031-49f5-AC7D-5F2FE99BABAF}", NULL },
		{ "(11E6E97E-0031-49f5-AC7D-5F2FE99BABAF)", NULL },
		{ " 11E6E97E-0031-49f5-AC7D-5F2FE99BABA", NULL },
		{ "11E6E97E003149f5AC7D5F2FE99BABAF", NULL },
		{ "", NULL },
	};
	char out[39], out2[39], err[VOCAB_ERR_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		strcpy(out, "unchanged");
		if (cases[i].canon == NULL) {
			CHECK_INT(vocab_guid_parse(cases[i].text, out, err,
						   sizeof(err)),
				  -1, cases[i].text);
			CHECK_STR(out, "unchanged", cases[i].text);
			check_printable(err, sizeof(err), cases[i].text);
			continue;
		}
		CHECK_INT(vocab_guid_parse(cases[i].text, out, err,
					   sizeof(err)),
			  0, cases[i].text);
		CHECK_STR(out, cases[i].canon, cases[i].text);
		CHECK_INT(vocab_guid_parse(out, out2, err, sizeof(err)), 0, out);
		CHECK_STR(out2, out, out);
	}
	vocab_guid_parse("xyz", out, err, sizeof(err));
	assert_string_equal(err, "\"xyz\" is not a valid GUID (use "
				 "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}).");
	assert_int_equal(vocab_guid_parse(NULL, out, err, sizeof(err)), -1);
}

/* ---- hostile input ------------------------------------------------ */

typedef int (*text_parser)(const char *text, char *err, size_t errlen);

static int
p_addr(const char *t, char *e, size_t l)
{
	struct addr_spec a;

	return vocab_addr_parse(t, &a, e, l);
}

static int
p_mask(const char *t, char *e, size_t l)
{
	struct addr_spec a;
	char out[64];

	vocab_addr_parse("10.0.0.1", &a, NULL, 0);
	return vocab_mask_canon(&a, t, "srcmask", out, sizeof(out), e, l);
}

static int
p_port(const char *t, char *e, size_t l)
{
	int v;

	return vocab_port_parse(t, &v, e, l);
}

static int
p_proto(const char *t, char *e, size_t l)
{
	int v;

	return vocab_protocol_parse(t, &v, e, l);
}

static int
p_mm(const char *t, char *e, size_t l)
{
	struct mm_methods m;
	char w[VOCAB_ERR_MAX];

	return vocab_mmsec_parse(t, &m, e, l, w, sizeof(w));
}

static int
p_qm(const char *t, char *e, size_t l)
{
	struct qm_methods m;
	char w[VOCAB_ERR_MAX];

	return vocab_qmsec_parse(t, &m, e, l, w, sizeof(w));
}

static int
p_qmoffer(const char *t, char *e, size_t l)
{
	struct qm_offer o;
	char w[VOCAB_ERR_MAX];

	return vocab_qmoffer_parse(t, &o, e, l, w, sizeof(w));
}

static int
p_pfs(const char *t, char *e, size_t l)
{
	int v;

	return vocab_pfsgroup_parse(t, &v, e, l);
}

static int
p_rootca(const char *t, char *e, size_t l)
{
	struct rootca_spec r;

	return vocab_rootca_parse(t, &r, e, l);
}

static int
p_name(const char *t, char *e, size_t l)
{
	return vocab_name_check(t, "policy name", e, l);
}

static int
p_guid(const char *t, char *e, size_t l)
{
	char out[39];

	return vocab_guid_parse(t, out, e, l);
}

static const struct {
	const char *name;
	text_parser fn;
} parsers[] = {
	{ "addr", p_addr },	  { "mask", p_mask },	  { "port", p_port },
	{ "protocol", p_proto },  { "mmsec", p_mm },	  { "qmsec", p_qm },
	{ "qmoffer", p_qmoffer }, { "pfsgroup", p_pfs },  { "rootca", p_rootca },
	{ "name", p_name },	  { "guid", p_guid },
};

static void
test_hostile_long(void **state)
{
	static const char *const units[] = {
		"a", "1", ".", "-", ":", "\x1b", "\xff", "\xc3\xa9", " ",
		"ESP[AES128,SHA1] ", "AES128-SHA1-14 ", "\\'", "certmap:yes ",
		"1.2.3.4-", "[", "%n%s",
	};
	size_t u, p;

	(void)state;
	for (u = 0; u < NELEM(units); u++) {
		char *s = repeat(units[u], 100000 / strlen(units[u]));

		for (p = 0; p < NELEM(parsers); p++) {
			char err[VOCAB_ERR_MAX], ctx[64];

			snprintf(ctx, sizeof(ctx), "%s x [%s]", parsers[p].name,
				 units[u]);
			CHECK_INT(parsers[p].fn(s, err, sizeof(err)), -1, ctx);
			check_printable(err, sizeof(err), ctx);
			if (strlen(err) == 0)
				fail_msg("case [%s]: no message", ctx);
			/* Error buffers of any size are safe. */
			err[0] = 'X';
			parsers[p].fn(s, err, 0);
			CHECK_INT(err[0], 'X', ctx);
			parsers[p].fn(s, err, 1);
			CHECK_INT(err[0], '\0', ctx);
			parsers[p].fn(s, err, 7);
			CHECK_INT(strlen(err), 6, ctx);
			parsers[p].fn(s, NULL, 0);
		}
		free(s);
	}
}

/*
 * Deterministic mutation fuzz: seeds are valid inputs, mutated by
 * inserting, deleting and replacing bytes.  Every parser must either
 * reject with a printable message or accept, and what it accepts must be
 * canonical-stable (its canonical text reads back to the same value).
 */
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
fuzz_one(const char *t)
{
	char err[VOCAB_ERR_MAX], warn[VOCAB_ERR_MAX], buf[4096];
	struct addr_spec a;
	struct mm_methods mm;
	struct qm_methods qm;
	struct qm_offer qo;
	struct rootca_spec r, r2;
	char out[64], out2[64], g[39];
	int v, v2;

	if (vocab_addr_parse(t, &a, err, sizeof(err)) == 0) {
		check_addr_roundtrip(&a, t);
		if (vocab_mask_canon(&a, t, "m", out, sizeof(out), err,
				     sizeof(err)) == 0) {
			assert_int_equal(vocab_mask_canon(&a, out, "m", out2,
							  sizeof(out2), err,
							  sizeof(err)),
					 0);
			assert_string_equal(out, out2);
		}
	}
	check_printable(err, sizeof(err), t);
	if (vocab_port_parse(t, &v, err, sizeof(err)) == 0)
		assert_true(v >= 0 && v <= 65535);
	check_printable(err, sizeof(err), t);
	if (vocab_protocol_parse(t, &v, err, sizeof(err)) == 0) {
		vocab_protocol_format(v, buf, sizeof(buf));
		assert_int_equal(vocab_protocol_parse(buf, &v2, NULL, 0), 0);
		assert_int_equal(v, v2);
	}
	check_printable(err, sizeof(err), t);
	if (vocab_mmsec_parse(t, &mm, err, sizeof(err), warn, sizeof(warn)) ==
	    0)
		check_mm_roundtrip(&mm, t);
	check_printable(err, sizeof(err), t);
	check_printable(warn, sizeof(warn), t);
	if (vocab_qmsec_parse(t, &qm, err, sizeof(err), warn, sizeof(warn)) ==
	    0)
		check_qm_roundtrip(&qm, t);
	check_printable(err, sizeof(err), t);
	check_printable(warn, sizeof(warn), t);
	if (vocab_qmoffer_parse(t, &qo, err, sizeof(err), NULL, 0) == 0) {
		struct qm_offer qo2;

		vocab_qmoffer_format(&qo, buf, sizeof(buf));
		assert_int_equal(vocab_qmoffer_parse(buf, &qo2, NULL, 0, NULL,
						     0),
				 0);
		assert_true(qm_offer_equal(&qo, &qo2));
	}
	check_printable(err, sizeof(err), t);
	if (vocab_pfsgroup_parse(t, &v, err, sizeof(err)) == 0) {
		vocab_pfsgroup_format(v, buf, sizeof(buf));
		assert_int_equal(vocab_pfsgroup_parse(buf, &v2, NULL, 0), 0);
		assert_int_equal(v, v2);
	}
	check_printable(err, sizeof(err), t);
	if (vocab_rootca_parse(t, &r, err, sizeof(err)) == 0) {
		vocab_rootca_format(&r, buf, sizeof(buf));
		if (vocab_rootca_parse(buf, &r2, err, sizeof(err)) != 0)
			fail_msg("rootca [%s] -> [%s] rejected: %s", t, buf,
				 err);
		assert_string_equal(r.ca, r2.ca);
		assert_int_equal(r.certmap, r2.certmap);
		assert_int_equal(r.excludecaname, r2.excludecaname);
	}
	check_printable(err, sizeof(err), t);
	vocab_name_check(t, "name", err, sizeof(err));
	check_printable(err, sizeof(err), t);
	if (vocab_guid_parse(t, g, err, sizeof(err)) == 0)
		assert_int_equal(strlen(g), 38);
	check_printable(err, sizeof(err), t);
}

static void
test_fuzz_mutations(void **state)
{
	static const char *const seeds[] = {
		"10.0.0.1", "fe80::1", "10.0.0.1-10.0.0.9", "::1-::2",
		"host.example.", "me", "GATEWAY", "24", "/64",
		"255.255.255.0", "65535", "tcp", "255",
		VOCAB_MMSEC_DEFAULT, "DES-MD5-1 3DES-SHA1-3",
		VOCAB_QMSEC_DEFAULT, "AH[SHA1]+ESP[None,SHA256]:20480k/300s",
		"ESP[AES128GCM]:3600s", "GRP3", "GRPMM", "NOPFS",
		"CN=\\'A\\' CA certmap:yes excludecaname:n", "name",
		"{11E6E97E-0031-49f5-AC7D-5F2FE99BABAF}",
	};
	static const char alphabet[] = "0123456789abcdefxyzAEGHMNPSW.:-/[],+ "
				       "\t\\'\"ks\x01\x1b\x7f\x80\xc3\xa9\xff";
	uint32_t seed = 0x1badcafe;
	char t[256];
	size_t iter, s, k, len, steps;

	(void)state;
	for (iter = 0; iter < 30000; iter++) {
		s = rnd(&seed) % NELEM(seeds);
		snprintf(t, sizeof(t), "%s", seeds[s]);
		len = strlen(t);
		steps = 1 + rnd(&seed) % 4;
		for (k = 0; k < steps; k++) {
			size_t pos = len ? rnd(&seed) % (len + 1) : 0;
			char c = alphabet[rnd(&seed) % (sizeof(alphabet) - 1)];

			switch (rnd(&seed) % 3) {
			case 0: /* insert */
				if (len + 1 < sizeof(t)) {
					memmove(t + pos + 1, t + pos,
						len - pos + 1);
					t[pos] = c;
					len++;
				}
				break;
			case 1: /* delete */
				if (pos < len) {
					memmove(t + pos, t + pos + 1, len - pos);
					len--;
				}
				break;
			default: /* replace */
				if (pos < len)
					t[pos] = c;
				break;
			}
		}
		fuzz_one(t);
	}
	for (s = 0; s < NELEM(seeds); s++)
		fuzz_one(seeds[s]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip),
		cmocka_unit_test(test_ip_format_edges),
		cmocka_unit_test(test_addr_ok),
		cmocka_unit_test(test_addr_bad),
		cmocka_unit_test(test_addr_dns_lengths),
		cmocka_unit_test(test_addr_format_edges),
		cmocka_unit_test(test_mask_canon),
		cmocka_unit_test(test_mask_canon_edges),
		cmocka_unit_test(test_mask_prefix),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_protocol),
		cmocka_unit_test(test_protocol_format_edges),
		cmocka_unit_test(test_ports_check),
		cmocka_unit_test(test_mmsec_ok),
		cmocka_unit_test(test_mmsec_default),
		cmocka_unit_test(test_mmsec_bad),
		cmocka_unit_test(test_mmsec_groups_and_limits),
		cmocka_unit_test(test_mmsec_warn_buffers),
		cmocka_unit_test(test_mmsec_format_edges),
		cmocka_unit_test(test_qmsec_ok),
		cmocka_unit_test(test_qmsec_default),
		cmocka_unit_test(test_qmsec_bad),
		cmocka_unit_test(test_qmsec_limits),
		cmocka_unit_test(test_qmoffer),
		cmocka_unit_test(test_qm_roundtrip_all),
		cmocka_unit_test(test_qmsec_format_edges),
		cmocka_unit_test(test_pfsgroup),
		cmocka_unit_test(test_rootca_ok),
		cmocka_unit_test(test_rootca_bad),
		cmocka_unit_test(test_rootca_lengths),
		cmocka_unit_test(test_name_check),
		cmocka_unit_test(test_guid),
		cmocka_unit_test(test_hostile_long),
		cmocka_unit_test(test_fuzz_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
