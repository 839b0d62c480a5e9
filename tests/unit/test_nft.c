/*
 * test_nft.c - inbound enforcement in nftables: the script text made
 * from compiled filters and boot modes (exact text, a table of cases),
 * the reader of the counters' JSON (good and hostile input), and, when
 * the test may make a private network namespace (root), every script
 * loaded into a real kernel through nft_enforce_*.
 */
#include <arpa/inet.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "nft.h"

/* ---- building filters ------------------------------------------------ */

static struct spd_rule rule7 = {.id = 7};

/* "10.0.0.1/32", "fd00::/64", "any" */
static void
prefix(const char *text, struct ip_addr *a, uint8_t *plen)
{
	char buf[64];
	char *slash;

	memset(a, 0, sizeof(*a));
	*plen = 0;
	if (strcmp(text, "any") == 0)
		return;
	snprintf(buf, sizeof(buf), "%s", text);
	slash = strchr(buf, '/');
	assert_non_null(slash);
	*slash = '\0';
	*plen = (uint8_t)atoi(slash + 1);
	a->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(a->family, buf, a->bytes), 1);
}

static struct spd_specific
flt(const char *src, const char *dst, int proto, int sport, int dport,
    enum spd_action in)
{
	struct spd_specific f;

	memset(&f, 0, sizeof(f));
	prefix(src, &f.src, &f.src_plen);
	prefix(dst, &f.dst, &f.dst_plen);
	f.protocol = (uint8_t)proto;
	f.srcport = (uint16_t)sport;
	f.dstport = (uint16_t)dport;
	f.inbound = in;
	f.outbound = in;
	return f;
}

static struct spd_specific
tun_flt(const char *src, const char *dst, enum spd_action in)
{
	struct spd_specific f = flt(src, dst, 0, 0, 0, in);

	f.tunnel = true;
	f.tunnel_dst.family = AF_INET;
	inet_pton(AF_INET, "10.77.0.2", f.tunnel_dst.bytes);
	return f;
}

/* ---- expected text --------------------------------------------------- */

#define HEAD_KEEP                                                       \
	"table inet ipsecsh_ipsec0\n"                                   \
	"flush table inet ipsecsh_ipsec0\n"
#define HEAD_FRESH                                                      \
	"table inet ipsecsh_ipsec0\n"                                   \
	"delete table inet ipsecsh_ipsec0\n"
#define OBJECTS                                                         \
	"table inet ipsecsh_ipsec0 {\n"                                 \
	"\tcounter cleartext {\n\t}\n"                                  \
	"\tcounter blocked {\n\t}\n"                                    \
	"\tcounter boot {\n\t}\n"                                       \
	"\tset soft4 {\n\t\ttype ipv4_addr\n\t}\n"                      \
	"\tset soft6 {\n\t\ttype ipv6_addr\n\t}\n"
#define CHAIN(hook, prio)                                               \
	"\tchain " hook " {\n\t\ttype filter hook " hook                \
	" priority " prio "; policy accept;\n"

/* What every input chain with rules starts with. */
#define IN_BASE                                                         \
	"\t\tiif \"lo\" accept\n"                                       \
	"\t\tiifname \"ipsec0\" accept\n"                               \
	"\t\tmeta l4proto { 50, 51 } accept\n"                          \
	"\t\tudp dport { 500, 4500 } accept\n"                          \
	"\t\ticmpv6 type { 130, 131, 132, 133, 134, 135, 136, 137, "    \
	"143 } accept\n"

static char *
expect(const char *head, const char *in, const char *fwd, const char *out)
{
	char *s = NULL;

	assert_true(asprintf(&s,
			     "%s" OBJECTS CHAIN("input", "-10") "%s\t}\n" CHAIN(
				 "forward", "-10") "%s\t}\n" CHAIN("output",
								   "-10") "%s"
								   "\t}\n}\n",
			     head, in, fwd, out) > 0);
	return s;
}

static void
opts(struct nft_enforce_options *o)
{
	nft_enforce_options_init(o);
}

static char *
policy_text(const struct spd_specific *f, const unsigned *flags, size_t n,
	    bool fresh, const struct nft_enforce_options *o)
{
	struct nft_script s = {"ipsecsh_ipsec0", "ipsec0", o, fresh};

	return nft_script_policy(&s, f, flags, n);
}

static void
check_text(const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		print_message("--- got\n%s--- want\n%s---\n", got, want);
		fail();
	}
}

/* ---- policy cases ---------------------------------------------------- */

#define PEER "10.77.0.2/32"
#define ME "10.77.0.1/32"
#define MATCH "ip saddr 10.77.0.2 ip daddr 10.77.0.1 "
#define DROP_CLEAR "counter name \"cleartext\" drop\n"
#define DROP_BLOCK "counter name \"blocked\" drop\n"

struct pcase {
	const char *name;
	struct spd_specific f[4];
	unsigned flags[4];
	size_t n;
	const char *in;	 /* the input chain after IN_BASE ("" = empty) */
	const char *fwd; /* the forward chain */
};

static const struct pcase *pcases_get(size_t *n);

static void
test_policy_cases(void **state)
{
	size_t n;
	const struct pcase *c = pcases_get(&n);
	struct nft_enforce_options o;

	(void)state;
	opts(&o);
	for (size_t i = 0; i < n; i++) {
		char *in = NULL, *want, *got;
		print_message("case %s\n", c[i].name);
		if (c[i].in[0] != '\0')
			assert_true(asprintf(&in, IN_BASE "%s", c[i].in) > 0);
		want = expect(HEAD_KEEP, in ? in : "", c[i].fwd, "");
		got = policy_text(c[i].f, c[i].flags, c[i].n, false, &o);
		assert_non_null(got);
		check_text(got, want);
		free(got);
		free(want);
		free(in);
	}
}

static struct pcase pcases[32];

static const struct pcase *
pcases_get(size_t *n)
{
	size_t k = 0;

	/* No filters: no rules at all (no policy = clear text). */
	pcases[k++] = (struct pcase){.name = "empty", .n = 0, .in = "",
				     .fwd = ""};
	pcases[k++] = (struct pcase){
	    .name = "block",
	    .f = {flt(PEER, ME, 0, 0, 0, SPD_BLOCK)},
	    .n = 1,
	    .in = "\t\t" MATCH DROP_BLOCK,
	    .fwd = ""};
	pcases[k++] = (struct pcase){
	    .name = "negotiate",
	    .f = {flt(PEER, ME, 0, 0, 0, SPD_NEGOTIATE)},
	    .n = 1,
	    .in = "\t\t" MATCH DROP_CLEAR,
	    .fwd = ""};
	/* inpass alone drops nothing: no rule is needed at all. */
	pcases[k++] = (struct pcase){
	    .name = "negotiate inpass alone",
	    .f = {flt(PEER, ME, 0, 0, 0, SPD_NEGOTIATE)},
	    .flags = {NFT_ENFORCE_INPASS},
	    .n = 1,
	    .in = "",
	    .fwd = ""};
	/* ... but it must shadow a broader dropping filter after it. */
	pcases[k++] = (struct pcase){
	    .name = "negotiate inpass before negotiate",
	    .f = {flt(PEER, ME, 0, 0, 0, SPD_NEGOTIATE),
		  flt("10.77.0.0/24", "any", 0, 0, 0, SPD_NEGOTIATE)},
	    .flags = {NFT_ENFORCE_INPASS, 0},
	    .n = 2,
	    .in = "\t\t" MATCH "accept\n"
		  "\t\tip saddr 10.77.0.0/24 " DROP_CLEAR,
	    .fwd = ""};
	/* Order preserved: permit of a port first, then the block. */
	pcases[k++] = (struct pcase){
	    .name = "permit before block",
	    .f = {flt(PEER, ME, 6, 0, 22, SPD_PERMIT),
		  flt(PEER, ME, 0, 0, 0, SPD_BLOCK)},
	    .n = 2,
	    .in = "\t\t" MATCH "tcp dport 22 accept\n"
		  "\t\t" MATCH DROP_BLOCK,
	    .fwd = ""};
	/* Accepting filters after the last drop are left out. */
	pcases[k++] = (struct pcase){
	    .name = "trailing permits",
	    .f = {flt(PEER, ME, 17, 53, 0, SPD_BLOCK),
		  flt(PEER, ME, 0, 0, 0, SPD_PERMIT),
		  flt("any", "any", 0, 0, 0, SPD_PERMIT)},
	    .n = 3,
	    .in = "\t\t" MATCH "udp sport 53 " DROP_BLOCK,
	    .fwd = ""};
	pcases[k++] = (struct pcase){
	    .name = "ports",
	    .f = {flt(PEER, ME, 6, 1024, 80, SPD_BLOCK),
		  flt(PEER, ME, 17, 0, 500, SPD_BLOCK),
		  flt(PEER, ME, 1, 0, 0, SPD_NEGOTIATE),
		  flt(PEER, ME, 6, 0, 0, SPD_BLOCK)},
	    .n = 4,
	    .in = "\t\t" MATCH "tcp sport 1024 tcp dport 80 " DROP_BLOCK
		  "\t\t" MATCH "udp dport 500 " DROP_BLOCK
		  "\t\t" MATCH "meta l4proto 1 " DROP_CLEAR
		  "\t\t" MATCH "meta l4proto 6 " DROP_BLOCK,
	    .fwd = ""};
	/* Ports without TCP/UDP (the store refuses them): as the driver,
	 * on the transport header of TCP, UDP and SCTP. */
	pcases[k++] = (struct pcase){
	    .name = "ports without tcp or udp",
	    .f = {flt(PEER, ME, 0, 0, 9, SPD_BLOCK),
		  flt(PEER, ME, 132, 7, 0, SPD_BLOCK)},
	    .n = 2,
	    .in = "\t\t" MATCH "meta l4proto { 6, 17, 132 } th dport 9 "
		  DROP_BLOCK
		  "\t\t" MATCH "meta l4proto 132 th sport 7 " DROP_BLOCK,
	    .fwd = ""};
	pcases[k++] = (struct pcase){
	    .name = "any",
	    .f = {flt("any", ME, 0, 0, 0, SPD_NEGOTIATE),
		  flt(PEER, "any", 0, 0, 0, SPD_BLOCK),
		  flt("any", "any", 0, 0, 0, SPD_NEGOTIATE)},
	    .n = 3,
	    .in = "\t\tip daddr 10.77.0.1 " DROP_CLEAR
		  "\t\tip saddr 10.77.0.2 " DROP_BLOCK "\t\t" DROP_CLEAR,
	    .fwd = ""};
	/* A family-wide prefix keeps its family; host bits are cleared. */
	pcases[k++] = (struct pcase){
	    .name = "prefixes",
	    .f = {flt("0.0.0.0/0", "any", 0, 0, 0, SPD_BLOCK),
		  flt("::/0", "::/0", 0, 0, 0, SPD_BLOCK),
		  flt("10.77.0.9/24", "10.78.1.200/25", 0, 0, 0,
		      SPD_NEGOTIATE)},
	    .n = 3,
	    .in = "\t\tmeta nfproto ipv4 " DROP_BLOCK
		  "\t\tmeta nfproto ipv6 " DROP_BLOCK
		  "\t\tip saddr 10.77.0.0/24 ip daddr 10.78.1.128/25 "
		  DROP_CLEAR,
	    .fwd = ""};
	pcases[k++] = (struct pcase){
	    .name = "ipv6",
	    .f = {flt("fd77::2/128", "fd77::1/128", 58, 0, 0, SPD_PERMIT),
		  flt("fd78:2::5/64", "fd77::1/128", 6, 0, 443,
		      SPD_NEGOTIATE)},
	    .n = 2,
	    .in = "\t\tip6 saddr fd77::2 ip6 daddr fd77::1 meta l4proto 58 "
		  "accept\n"
		  "\t\tip6 saddr fd78:2::/64 ip6 daddr fd77::1 tcp dport 443 "
		  DROP_CLEAR,
	    .fwd = ""};
	/* Source and destination of different families match nothing. */
	pcases[k++] = (struct pcase){
	    .name = "mixed families",
	    .f = {flt("fd77::2/128", ME, 0, 0, 0, SPD_BLOCK),
		  flt(PEER, ME, 0, 0, 0, SPD_BLOCK)},
	    .n = 2,
	    .in = "\t\t" MATCH DROP_BLOCK,
	    .fwd = ""};
	/* Soft: peers of the soft set first, per family. */
	pcases[k++] = (struct pcase){
	    .name = "soft",
	    .f = {flt(PEER, ME, 0, 0, 0, SPD_NEGOTIATE),
		  flt("any", "any", 0, 0, 0, SPD_NEGOTIATE)},
	    .flags = {NFT_ENFORCE_SOFT, NFT_ENFORCE_SOFT},
	    .n = 2,
	    .in = "\t\t" MATCH "ip saddr @soft4 accept\n"
		  "\t\t" MATCH DROP_CLEAR "\t\tip saddr @soft4 accept\n"
		  "\t\tip6 saddr @soft6 accept\n"
		  "\t\t" DROP_CLEAR,
	    .fwd = ""};
	/* inpass wins over soft; soft means nothing for block. */
	pcases[k++] = (struct pcase){
	    .name = "soft with inpass, soft block",
	    .f = {flt(PEER, ME, 6, 0, 1, SPD_NEGOTIATE),
		  flt(PEER, ME, 0, 0, 0, SPD_BLOCK)},
	    .flags = {NFT_ENFORCE_SOFT | NFT_ENFORCE_INPASS,
		      NFT_ENFORCE_SOFT},
	    .n = 2,
	    .in = "\t\t" MATCH "tcp dport 1 accept\n"
		  "\t\t" MATCH DROP_BLOCK,
	    .fwd = ""};
	/* Tunnel: both directions in input (the gateway's own address may
	 * be inside), the tunnel filters in forward after the TUN device's
	 * own traffic; transport filters never in forward. */
	pcases[k++] = (struct pcase){
	    .name = "tunnel",
	    .f = {tun_flt("10.78.1.0/24", "10.78.2.0/24", SPD_NEGOTIATE),
		  tun_flt("10.78.2.0/24", "10.78.1.0/24", SPD_NEGOTIATE),
		  flt(PEER, ME, 0, 0, 0, SPD_BLOCK)},
	    .n = 3,
	    .in = "\t\tip saddr 10.78.1.0/24 ip daddr 10.78.2.0/24 "
		  DROP_CLEAR
		  "\t\tip saddr 10.78.2.0/24 ip daddr 10.78.1.0/24 "
		  DROP_CLEAR "\t\t" MATCH DROP_BLOCK,
	    .fwd = "\t\tiifname \"ipsec0\" accept\n"
		   "\t\toifname \"ipsec0\" accept\n"
		   "\t\tip saddr 10.78.1.0/24 ip daddr 10.78.2.0/24 "
		   DROP_CLEAR
		   "\t\tip saddr 10.78.2.0/24 ip daddr 10.78.1.0/24 "
		   DROP_CLEAR};
	/* Tunnel with inpass and soft: inpass accepts; soft cannot key
	 * by the gateway, so it drops. */
	pcases[k++] = (struct pcase){
	    .name = "tunnel inpass and soft",
	    .f = {tun_flt("10.78.2.0/25", "10.78.1.0/24", SPD_NEGOTIATE),
		  tun_flt("10.78.2.0/24", "10.78.1.0/24", SPD_NEGOTIATE)},
	    .flags = {NFT_ENFORCE_INPASS, NFT_ENFORCE_SOFT},
	    .n = 2,
	    .in = "\t\tip saddr 10.78.2.0/25 ip daddr 10.78.1.0/24 accept\n"
		  "\t\tip saddr 10.78.2.0/24 ip daddr 10.78.1.0/24 "
		  DROP_CLEAR,
	    .fwd = "\t\tiifname \"ipsec0\" accept\n"
		   "\t\toifname \"ipsec0\" accept\n"
		   "\t\tip saddr 10.78.2.0/25 ip daddr 10.78.1.0/24 accept\n"
		   "\t\tip saddr 10.78.2.0/24 ip daddr 10.78.1.0/24 "
		   DROP_CLEAR};
	/* An action out of range fails closed. */
	pcases[k] = (struct pcase){
	    .name = "bad action",
	    .f = {flt(PEER, ME, 0, 0, 0, SPD_PERMIT)},
	    .n = 1,
	    .in = "\t\t" MATCH DROP_BLOCK,
	    .fwd = ""};
	pcases[k++].f[0].inbound = (enum spd_action)9;
	assert_true(k <= sizeof(pcases) / sizeof(pcases[0]));
	*n = k;
	return pcases;
}

/* The rule's filter name goes into a comment. */
static void
test_comment(void **state)
{
	struct nft_enforce_options o;
	struct spd_specific f[2] = {flt(PEER, ME, 0, 0, 0, SPD_NEGOTIATE),
				    flt(ME, PEER, 0, 0, 0, SPD_NEGOTIATE)};
	char *got, *want;

	(void)state;
	opts(&o);
	f[0].rule = &rule7;
	f[0].mirror = true;
	f[1].rule = &rule7;
	got = policy_text(f, NULL, 2, false, &o);
	want = expect(HEAD_KEEP,
		      IN_BASE "\t\t" MATCH
			      "counter name \"cleartext\" drop comment "
			      "\"QMFilter-7-mirror\"\n"
			      "\t\tip saddr 10.77.0.1 ip daddr 10.77.0.2 "
			      "counter name \"cleartext\" drop comment "
			      "\"QMFilter-7\"\n",
		      "", "");
	check_text(got, want);
	free(got);
	free(want);
}

/* The first load deletes what was there; options reach the text. */
static void
test_fresh_and_options(void **state)
{
	struct nft_enforce_options o;
	struct spd_specific f = flt(PEER, ME, 0, 0, 0, SPD_BLOCK);
	struct nft_script s = {"t1", "tun.x-1", &o, true};
	char *got;
	const char *want =
	    "table inet t1\n"
	    "delete table inet t1\n"
	    "table inet t1 {\n"
	    "\tcounter cleartext {\n\t}\n"
	    "\tcounter blocked {\n\t}\n"
	    "\tcounter boot {\n\t}\n"
	    "\tset soft4 {\n\t\ttype ipv4_addr\n\t}\n"
	    "\tset soft6 {\n\t\ttype ipv6_addr\n\t}\n"
	    "\tchain input {\n"
	    "\t\ttype filter hook input priority 5; policy accept;\n"
	    "\t\tiif \"lo\" accept\n"
	    "\t\tiifname \"tun.x-1\" accept\n"
	    "\t\tmeta l4proto { 50, 51 } accept\n"
	    "\t\tudp dport 4600 accept\n"
	    "\t\ticmpv6 type { 130, 131, 132, 133, 134, 135, 136, 137, 143 } "
	    "accept\n"
	    "\t\tfib daddr type { broadcast, multicast } accept\n"
	    "\t\tmeta l4proto 46 accept\n"
	    "\t\tmeta l4proto { 6, 17 } th sport 88 accept\n"
	    "\t\tmeta l4proto { 6, 17 } th dport 88 accept\n"
	    "\t\t" MATCH DROP_BLOCK "\t}\n"
	    "\tchain forward {\n"
	    "\t\ttype filter hook forward priority 5; policy accept;\n"
	    "\t}\n"
	    "\tchain output {\n"
	    "\t\ttype filter hook output priority 5; policy accept;\n"
	    "\t}\n"
	    "}\n";

	(void)state;
	opts(&o);
	o.priority = 5;
	o.ike_port = 4600;
	o.natt_port = 4600;
	o.ipsecexempt = 0;
	got = nft_script_policy(&s, &f, NULL, 1);
	check_text(got, want);
	free(got);

	/* 1: multicast and broadcast only; 2: RSVP and Kerberos only. */
	o.ipsecexempt = 1;
	got = nft_script_policy(&s, &f, NULL, 1);
	assert_non_null(strstr(got, "fib daddr"));
	assert_null(strstr(got, "l4proto 46"));
	free(got);
	o.ipsecexempt = 2;
	got = nft_script_policy(&s, &f, NULL, 1);
	assert_null(strstr(got, "fib daddr"));
	assert_non_null(strstr(got, "l4proto 46"));
	assert_non_null(strstr(got, "th sport 88"));
	free(got);
}

static void
test_table_name(void **state)
{
	char buf[NFT_ENFORCE_TABLE_MAX];
	char err[256];
	struct nft_enforce *e;

	(void)state;
	assert_int_equal(nft_enforce_table_name("ipsec0", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "ipsecsh_ipsec0");
	assert_int_equal(nft_enforce_table_name("a.b-c_d", buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "ipsecsh_a_b_c_d");
	/* Names that would need quoting, or too long, are refused. */
	assert_int_equal(nft_enforce_table_name("a\"b", buf, sizeof(buf)), -1);
	assert_int_equal(nft_enforce_table_name("a b", buf, sizeof(buf)), -1);
	assert_int_equal(nft_enforce_table_name("", buf, sizeof(buf)), -1);
	assert_int_equal(
	    nft_enforce_table_name("0123456789abcdef", buf, sizeof(buf)), -1);
	assert_int_equal(nft_enforce_table_name("ipsec0", buf, 10), -1);
	/* nft_enforce_new checks the same, and the options. */
	assert_null(nft_enforce_new("bad\"name", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "bad\"name"));
	{
		struct nft_enforce_options o;
		nft_enforce_options_init(&o);
		o.table = "1bad";
		assert_null(nft_enforce_new("ipsec0", &o, err, sizeof(err)));
		assert_non_null(strstr(err, "1bad"));
		nft_enforce_options_init(&o);
		o.ipsecexempt = 4;
		assert_null(nft_enforce_new("ipsec0", &o, err, sizeof(err)));
		o.table = "ok_name";
		o.ipsecexempt = 3;
		e = nft_enforce_new("ipsec0", &o, err, sizeof(err));
		assert_non_null(e);
		assert_string_equal(nft_enforce_table(e), "ok_name");
		nft_enforce_free(e);
	}
	e = nft_enforce_new("ipsec0", NULL, err, sizeof(err));
	assert_non_null(e);
	assert_string_equal(nft_enforce_table(e), "ipsecsh_ipsec0");
	nft_enforce_free(e); /* never loaded: the kernel is not asked */
	nft_enforce_free(NULL);
}

/* ---- boot modes ------------------------------------------------------ */

#define IN_BOOT                                                         \
	IN_BASE "\t\tudp sport 67 udp dport 68 accept\n"                \
		"\t\tudp sport 547 udp dport 546 accept\n"
#define OUT_BOOT                                                        \
	"\t\toif \"lo\" accept\n"                                       \
	"\t\tmeta l4proto { 50, 51 } accept\n"                          \
	"\t\tudp sport { 500, 4500 } accept\n"                          \
	"\t\tudp dport { 500, 4500 } accept\n"                          \
	"\t\ticmpv6 type { 130, 131, 132, 133, 134, 135, 136, 137, "    \
	"143 } accept\n"                                                \
	"\t\tudp sport 68 udp dport 67 accept\n"                        \
	"\t\tudp sport 546 udp dport 547 accept\n"
#define BOOT_DROP "\t\tcounter name \"boot\" drop\n"

static const struct config_exemption exempts[] = {
    {.protocol = 6, .dstport = 3389, .inbound = true},
    {.protocol = 17, .dstport = 53, .inbound = false},
    {.protocol = 47, .inbound = true},
    {.protocol = 17, .srcport = 123, .dstport = 123, .inbound = false},
};

static char *
boot_text(enum config_bootmode mode, const struct config_exemption *ex,
	  size_t n)
{
	struct nft_enforce_options o;
	struct nft_script s = {"ipsecsh_ipsec0", "ipsec0", &o, false};

	opts(&o);
	return nft_script_boot(&s, mode, ex, n);
}

static void
test_boot(void **state)
{
	char *got, *want;

	(void)state;
	/* permit: nothing filtered. */
	got = boot_text(CONFIG_BOOT_PERMIT, exempts, 4);
	want = expect(HEAD_KEEP, "", "", "");
	check_text(got, want);
	free(got);
	free(want);

	/* block: both directions, exemptions and their replies. */
	got = boot_text(CONFIG_BOOT_BLOCK, exempts, 4);
	want = expect(
	    HEAD_KEEP,
	    IN_BOOT "\t\ttcp dport 3389 accept\n"
		    "\t\tct state established,related udp sport 53 accept\n"
		    "\t\tmeta l4proto 47 accept\n"
		    "\t\tct state established,related udp sport 123 udp dport "
		    "123 accept\n" BOOT_DROP,
	    "",
	    OUT_BOOT "\t\tct state established,related tcp sport 3389 "
		     "accept\n"
		     "\t\tudp dport 53 accept\n"
		     "\t\tct state established,related meta l4proto 47 "
		     "accept\n"
		     "\t\tudp sport 123 udp dport 123 accept\n" BOOT_DROP);
	check_text(got, want);
	free(got);
	free(want);

	/* stateful: what comes back on our connections; output free. */
	got = boot_text(CONFIG_BOOT_STATEFUL, exempts, 4);
	want = expect(HEAD_KEEP,
		      IN_BOOT "\t\tct state established,related accept\n"
			      "\t\ttcp dport 3389 accept\n"
			      "\t\tmeta l4proto 47 accept\n" BOOT_DROP,
		      "", "");
	check_text(got, want);
	free(got);
	free(want);

	/* block without exemptions; an "any" exemption. */
	got = boot_text(CONFIG_BOOT_BLOCK, NULL, 0);
	want = expect(HEAD_KEEP, IN_BOOT BOOT_DROP, "", OUT_BOOT BOOT_DROP);
	check_text(got, want);
	free(got);
	free(want);
	{
		struct config_exemption all = {.inbound = true};
		got = boot_text(CONFIG_BOOT_STATEFUL, &all, 1);
		assert_non_null(strstr(got, "\t\taccept\n" BOOT_DROP));
		free(got);
	}
}

/* ---- the counters' JSON ---------------------------------------------- */

static const char json_real[] =
    "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", "
    "\"release_name\": \"Lester Gooch #5\", \"json_schema_version\": 1}}, "
    "{\"counter\": {\"family\": \"inet\", \"name\": \"cleartext\", "
    "\"table\": \"ipsecsh_ipsec0\", \"handle\": 2, \"packets\": 12, "
    "\"bytes\": 1008}}, "
    "{\"counter\": {\"family\": \"inet\", \"name\": \"blocked\", "
    "\"table\": \"ipsecsh_ipsec0\", \"handle\": 3, \"packets\": "
    "18446744073709551615, \"bytes\": 0}}, "
    "{\"counter\": {\"family\": \"inet\", \"name\": \"boot\", "
    "\"table\": \"ipsecsh_ipsec0\", \"handle\": 4, \"packets\": 3, "
    "\"bytes\": 0}}, "
    /* another table's, another family's: ignored */
    "{\"counter\": {\"family\": \"inet\", \"name\": \"boot\", "
    "\"table\": \"other\", \"handle\": 4, \"packets\": 99, \"bytes\": 0}}, "
    "{\"counter\": {\"family\": \"ip\", \"name\": \"boot\", "
    "\"table\": \"ipsecsh_ipsec0\", \"packets\": 98}}]}\n";

static void
test_json(void **state)
{
	struct nft_enforce_counters c;

	(void)state;
	memset(&c, 0xaa, sizeof(c));
	assert_int_equal(nft_counters_parse(json_real, strlen(json_real),
					    "ipsecsh_ipsec0", &c),
			 0);
	assert_int_equal(c.cleartext, 12);
	assert_int_equal(c.blocked, UINT64_MAX);
	assert_int_equal(c.boot, 3);
	assert_int_equal(
	    nft_enforce_ctr_get(&c, NFT_ENFORCE_CTR_cleartext), 12);
	assert_string_equal(nft_enforce_ctr_name(NFT_ENFORCE_CTR_boot), "boot");
	assert_string_equal(nft_enforce_ctr_label(NFT_ENFORCE_CTR_cleartext),
			    "Inbound Clear Text Dropped");
	assert_string_equal(nft_enforce_ctr_label(NFT_ENFORCE_NCTR), "?");

	/* No counters (a fresh table lists none of another table). */
	assert_int_equal(nft_counters_parse("{\"nftables\": []}", 16, "t",
					    &c),
			 0);
	assert_int_equal(c.cleartext + c.blocked + c.boot, 0);
}

struct jcase {
	const char *json;
	int rc;
	uint64_t cleartext;
};

static const struct jcase jcases[] = {
    /* Escapes, unknown keys, every kind of value skipped. */
    {"{\"nftables\":[{\"counter\":{\"x\":[1,-2.5e+3,true,false,null,{}],"
     "\"na\\u006de\":\"clear\\u0074ext\",\"table\":\"t\",\"family\":"
     "\"inet\",\"packets\":7}}],\"more\":{\"a\":[]}}",
     0, 7},
    /* A counter without packets, or with a non-integer, counts 0. */
    {"{\"nftables\":[{\"counter\":{\"name\":\"cleartext\",\"table\":\"t\","
     "\"family\":\"inet\"}}]}",
     0, 0},
    {"{\"nftables\":[{\"counter\":{\"name\":\"cleartext\",\"table\":\"t\","
     "\"family\":\"inet\",\"packets\":1.5}}]}",
     0, 0},
    {"{\"nftables\":[{\"counter\":{\"name\":\"cleartext\",\"table\":\"t\","
     "\"family\":\"inet\",\"packets\":18446744073709551616}}]}",
     0, 0},
    /* Too long a name matches nothing. */
    {"{\"nftables\":[{\"counter\":{\"name\":\"cleartextcleartextcleartext"
     "cleartextcleartext\",\"table\":\"t\",\"family\":\"inet\","
     "\"packets\":5}}]}",
     0, 0},
    /* Hostile or broken. */
    {"", -1, 0},
    {"[]", -1, 0},
    {"{}", -1, 0},
    {"{\"nftables\": {}}", -1, 0},
    {"{\"nftables\": [}", -1, 0},
    {"{\"nftables\": []} x", -1, 0},
    {"{\"nftables\": [1]}", -1, 0},
    {"{\"nftables\": [{\"counter\": 5}]}", -1, 0},
    {"{\"nftables\": [{\"counter\": {\"name\": 5}}]}", -1, 0},
    {"{\"nftables\": [{\"counter\": {\"packets\": -}}]}", -1, 0},
    {"{\"nftables\": [{\"counter\": {\"packets\": 1e}}]}", -1, 0},
    {"{\"nftables\": [{\"x\": \"\\q\"}]}", -1, 0},
    {"{\"nftables\": [{\"x\": \"\\u12\"}]}", -1, 0},
    {"{\"nftables\": [{\"x\": \"a\nb\"}]}", -1, 0},
    {"{\"nftables\": [{\"x\": \"open", -1, 0},
    {"{\"nftables\": [{\"x\": tru}]}", -1, 0},
    {"{\"nftables\": [{\"x\" 1}]}", -1, 0},
    {"{\"nftables\": [{\"x\": 1,}]}", -1, 0},
    {"{\"nftables\": [{\"x\": "
     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
     "}]}",
     -1, 0},
};

static void
test_json_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(jcases) / sizeof(jcases[0]); i++) {
		struct nft_enforce_counters c;
		size_t len = strlen(jcases[i].json);
		char *copy = malloc(len ? len : 1);

		/* An exact-size copy: reading past the end shows in ASan. */
		memcpy(copy, jcases[i].json, len);
		memset(&c, 0, sizeof(c));
		print_message("json case %zu\n", i);
		assert_int_equal(nft_counters_parse(copy, len, "t", &c),
				 jcases[i].rc);
		if (jcases[i].rc == 0)
			assert_int_equal(c.cleartext, jcases[i].cleartext);
		/* Every prefix of the input fails or parses, never more. */
		for (size_t k = 0; k < len; k++)
			(void)nft_counters_parse(copy, k, "t", &c);
		free(copy);
	}
}

/* ---- in a real kernel (root) ------------------------------------------ */

/*
 * Every script above goes through libnftables into the kernel, in a
 * private network namespace so nothing of the host is touched; skipped
 * when the namespace cannot be made (not root).
 */
static void
test_kernel(void **state)
{
	char err[512];
	struct nft_enforce *e;
	struct nft_enforce_counters c;
	size_t n;
	const struct pcase *pc;
	struct ip_addr peer4, peer6;
	struct nft_enforce_options o;

	(void)state;
	if (unshare(CLONE_NEWNET) != 0) {
		print_message("not root: kernel check skipped\n");
		skip();
	}
	e = nft_enforce_new("ipsec0", NULL, err, sizeof(err));
	assert_non_null(e);
	/* Counters before any load: 0, without asking the kernel. */
	assert_int_equal(nft_enforce_counters(e, &c, err, sizeof(err)), 0);
	assert_int_equal(c.cleartext + c.blocked + c.boot, 0);
	/* A soft peer before the first load goes in with the table. */
	memset(&peer4, 0, sizeof(peer4));
	peer4.family = AF_INET;
	inet_pton(AF_INET, "10.77.0.2", peer4.bytes);
	memset(&peer6, 0, sizeof(peer6));
	peer6.family = AF_INET6;
	inet_pton(AF_INET6, "fd77::2", peer6.bytes);
	assert_int_equal(nft_enforce_soft_add(e, &peer4, err, sizeof(err)), 0);
	for (int m = 0; m < 3; m++) {
		if (nft_enforce_boot(e, (enum config_bootmode)m, exempts, 4,
				     err, sizeof(err)) != 0)
			fail_msg("boot %d: %s", m, err);
	}
	pc = pcases_get(&n);
	for (size_t i = 0; i < n; i++) {
		print_message("load %s\n", pc[i].name);
		if (nft_enforce_apply(e, pc[i].f, pc[i].flags, pc[i].n, err,
				      sizeof(err)) != 0)
			fail_msg("%s: %s", pc[i].name, err);
	}
	assert_int_equal(nft_enforce_soft_add(e, &peer6, err, sizeof(err)), 0);
	assert_int_equal(nft_enforce_soft_add(e, &peer6, err, sizeof(err)), 0);
	assert_int_equal(nft_enforce_soft_del(e, &peer4, err, sizeof(err)), 0);
	assert_int_equal(nft_enforce_soft_del(e, &peer4, err, sizeof(err)), 0);
	assert_int_equal(nft_enforce_counters(e, &c, err, sizeof(err)), 0);
	assert_int_equal(c.cleartext + c.blocked + c.boot, 0);
	nft_enforce_free(e);

	/* Other options load too (ipsecexempt 0 needs the fib match). */
	nft_enforce_options_init(&o);
	o.ipsecexempt = 0;
	o.priority = -300;
	o.ike_port = o.natt_port = 4600;
	e = nft_enforce_new("tun.x-1", &o, err, sizeof(err));
	assert_non_null(e);
	pc = pcases_get(&n);
	if (nft_enforce_apply(e, pc[1].f, NULL, pc[1].n, err, sizeof(err)) !=
	    0)
		fail_msg("options: %s", err);
	/* The same name twice (a second service): the second load takes
	 * over the table from scratch. */
	{
		struct nft_enforce *e2 =
		    nft_enforce_new("tun.x-1", &o, err, sizeof(err));
		assert_non_null(e2);
		assert_int_equal(nft_enforce_apply(e2, NULL, NULL, 0, err,
						   sizeof(err)),
				 0);
		nft_enforce_free(e2);
	}
	/* e's table is gone: counters cannot be read ... */
	assert_int_equal(nft_enforce_counters(e, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nftables: "));
	/* ... but the next load builds it again. */
	assert_int_equal(nft_enforce_apply(e, NULL, NULL, 0, err, sizeof(err)),
			 0);
	assert_int_equal(nft_enforce_counters(e, &c, err, sizeof(err)), 0);
	nft_enforce_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy_cases),
	    cmocka_unit_test(test_comment),
	    cmocka_unit_test(test_fresh_and_options),
	    cmocka_unit_test(test_table_name),
	    cmocka_unit_test(test_boot),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_json_table),
	    cmocka_unit_test(test_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
