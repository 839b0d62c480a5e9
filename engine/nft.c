/*
 * nft.c - inbound enforcement in nftables (see nft.h): the script text
 * made from the compiled filters or the boot mode (pure functions), the
 * libnftables calls that load it as one transaction, and the reader of
 * the counters' JSON.
 *
 * libnftables is the maintained interface to the kernel's packet
 * filter, the only place that sees every inbound packet; see nft.h for
 * why we do not write nf_tables netlink ourselves.
 */
#include "nft.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <nftables/libnftables.h>

#include "log.h"

#define NFT_X_NAME(id, label) #id,
static const char *const ctr_names[] = {NFT_ENFORCE_COUNTERS(NFT_X_NAME)};
#undef NFT_X_NAME
#define NFT_X_LABEL(id, label) label,
static const char *const ctr_labels[] = {NFT_ENFORCE_COUNTERS(NFT_X_LABEL)};
#undef NFT_X_LABEL

/* IANA protocol numbers the rules name. */
#define P_ICMP 1
#define P_TCP 6
#define P_UDP 17
#define P_ESP 50
#define P_AH 51
#define P_RSVP 46
#define P_SCTP 132
#define KERBEROS_PORT 88

/* ICMPv6 that IPv6 cannot work without, answered by the kernel on the
 * physical interface and never tunneled (RFC 4861 neighbour and router
 * discovery, RFC 3810 MLD): the equivalent of ARP, which IPv4 carries
 * outside IP.  Dropping it would cut every IPv6 peer off, ESP too. */
#define ICMPV6_LINK "{ 130, 131, 132, 133, 134, 135, 136, 137, 143 }"

const char *
nft_enforce_ctr_name(enum nft_enforce_ctr c)
{
	return (unsigned)c < NFT_ENFORCE_NCTR ? ctr_names[c] : "?";
}

const char *
nft_enforce_ctr_label(enum nft_enforce_ctr c)
{
	return (unsigned)c < NFT_ENFORCE_NCTR ? ctr_labels[c] : "?";
}

#define NFT_X_OFF(id, label) offsetof(struct nft_enforce_counters, id),
static const size_t ctr_offs[] = {NFT_ENFORCE_COUNTERS(NFT_X_OFF)};
#undef NFT_X_OFF

uint64_t
nft_enforce_ctr_get(const struct nft_enforce_counters *c,
		    enum nft_enforce_ctr i)
{
	uint64_t v = 0;

	if ((unsigned)i < NFT_ENFORCE_NCTR)
		memcpy(&v, (const char *)c + ctr_offs[i], sizeof(v));
	return v;
}

static void
ctr_set(struct nft_enforce_counters *c, size_t i, uint64_t v)
{
	memcpy((char *)c + ctr_offs[i], &v, sizeof(v));
}

void
nft_enforce_options_init(struct nft_enforce_options *o)
{
	memset(o, 0, sizeof(*o));
	o->priority = NFT_ENFORCE_PRIORITY;
	o->ike_port = 500;
	o->natt_port = 4500;
	o->ipsecexempt = 3;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Interface names go into the script between double quotes: only
 * characters that need no escaping there are taken. */
static bool
ifname_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= IFNAMSIZ)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return false;
	}
	return true;
}

/* nft identifiers: a letter or '_', then letters, digits and '_'. */
static bool
table_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= NFT_ENFORCE_TABLE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     c == '_';
		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

int
nft_enforce_table_name(const char *tun, char *buf, size_t len)
{
	size_t p = strlen(NFT_ENFORCE_TABLE_PREFIX);

	if (tun == NULL || !ifname_ok(tun) || len < p + strlen(tun) + 1)
		return -1;
	memcpy(buf, NFT_ENFORCE_TABLE_PREFIX, p);
	for (size_t i = 0; tun[i] != '\0'; i++)
		buf[p++] = tun[i] == '.' || tun[i] == '-' ? '_' : tun[i];
	buf[p] = '\0';
	return 0;
}

/* ---- script text ---------------------------------------------------- */

/* A growing text buffer (open_memstream). */
struct text {
	FILE *f;
	char *buf;
	size_t len;
};

static bool
text_open(struct text *t)
{
	t->buf = NULL;
	t->len = 0;
	t->f = open_memstream(&t->buf, &t->len);
	return t->f != NULL;
}

/* The text (the caller frees), or NULL when writing failed. */
static char *
text_close(struct text *t)
{
	bool bad = ferror(t->f) != 0;

	if (fclose(t->f) != 0)
		bad = true;
	if (bad) {
		free(t->buf);
		return NULL;
	}
	return t->buf;
}

/* "10.0.0.0/24", "10.0.0.1" (full length), host bits cleared. */
static void
put_prefix(FILE *o, const struct ip_addr *a, unsigned plen)
{
	unsigned max = a->family == AF_INET ? 32 : 128;
	uint8_t b[16];
	char s[INET6_ADDRSTRLEN];

	if (plen > max)
		plen = max;
	memcpy(b, a->bytes, sizeof(b));
	for (unsigned i = plen; i < max; i++)
		b[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	if (inet_ntop(a->family, b, s, sizeof(s)) == NULL)
		snprintf(s, sizeof(s), "?");
	if (plen == max)
		fprintf(o, "%s", s);
	else
		fprintf(o, "%s/%u", s, plen);
}

/* The family a filter's addresses allow: AF_INET, AF_INET6, 0 (both),
 * or -1 when source and destination disagree (it matches nothing). */
static int
filter_family(const struct spd_specific *f)
{
	if (f->src.family != 0 && f->dst.family != 0 &&
	    f->src.family != f->dst.family)
		return -1;
	return f->src.family != 0 ? f->src.family : f->dst.family;
}

/* One address match, "ip saddr 10.0.0.0/24 "; nothing for any address
 * (family 0, or prefix length 0).  True when written. */
static bool
put_addr(FILE *o, const char *dir, const struct ip_addr *a, unsigned plen)
{
	if (a->family != AF_INET && a->family != AF_INET6)
		return false;
	if (plen == 0)
		return false;
	fprintf(o, "%s %s ", a->family == AF_INET ? "ip" : "ip6", dir);
	put_prefix(o, a, plen);
	fputc(' ', o);
	return true;
}

/*
 * Protocol and ports, as the driver's classifier matches them: protocol
 * 0 = any, port 0 = any.  Ports exist only with TCP and UDP (the store
 * refuses others); should other protocols come with ports, they are
 * matched as the driver does, on the transport header of TCP, UDP and
 * SCTP.
 */
static void
put_l4(FILE *o, uint8_t proto, uint16_t sport, uint16_t dport)
{
	bool ports = sport != 0 || dport != 0;

	if ((proto == P_TCP || proto == P_UDP) && ports) {
		const char *p = proto == P_TCP ? "tcp" : "udp";
		if (sport != 0)
			fprintf(o, "%s sport %u ", p, sport);
		if (dport != 0)
			fprintf(o, "%s dport %u ", p, dport);
		return;
	}
	if (proto != 0)
		fprintf(o, "meta l4proto %u ", proto);
	else if (ports)
		fprintf(o, "meta l4proto { %d, %d, %d } ", P_TCP, P_UDP,
			P_SCTP);
	if (sport != 0)
		fprintf(o, "th sport %u ", sport);
	if (dport != 0)
		fprintf(o, "th dport %u ", dport);
}

/* The match of a filter (family, addresses, protocol, ports). */
static void
put_match(FILE *o, const struct spd_specific *f, int fam)
{
	bool s = put_addr(o, "saddr", &f->src, f->src_plen);
	bool d = put_addr(o, "daddr", &f->dst, f->dst_plen);

	/* A family-wide prefix (0.0.0.0/0) still limits the family. */
	if (!s && !d && fam != 0)
		fprintf(o, "meta nfproto %s ", fam == AF_INET ? "ipv4" : "ipv6");
	put_l4(o, f->protocol, f->srcport, f->dstport);
}

static void
put_comment(FILE *o, const struct spd_specific *f)
{
	if (f->rule != NULL)
		fprintf(o, " comment \"QMFilter-%u%s\"", f->rule->id,
			f->mirror ? "-mirror" : "");
	fputc('\n', o);
}

enum verdict { V_ACCEPT, V_CLEARTEXT, V_BLOCKED };

/* What a clear-text inbound packet matching f gets.  Anything but
 * permit and negotiate is a block: a bad action fails closed. */
static enum verdict
verdict_of(const struct spd_specific *f, unsigned fl)
{
	switch (f->inbound) {
	case SPD_PERMIT:
		return V_ACCEPT;
	case SPD_NEGOTIATE:
		return (fl & NFT_ENFORCE_INPASS) ? V_ACCEPT : V_CLEARTEXT;
	case SPD_BLOCK:
	default:
		return V_BLOCKED;
	}
}

static bool
filter_used(const struct spd_specific *f, bool tunnel_only)
{
	return (!tunnel_only || f->tunnel) && filter_family(f) >= 0;
}

/* How many leading filters need rules: up to the last dropping one. */
static size_t
filters_needed(const struct spd_specific *f, const unsigned *flags, size_t n,
	       bool tunnel_only)
{
	size_t last = 0;

	for (size_t i = 0; i < n; i++)
		if (filter_used(&f[i], tunnel_only) &&
		    verdict_of(&f[i], flags ? flags[i] : 0) != V_ACCEPT)
			last = i + 1;
	return last;
}

/* One rule per filter (two or three with soft), first match wins. */
static void
put_filters(FILE *o, const struct spd_specific *f, const unsigned *flags,
	    size_t n, bool tunnel_only)
{
	for (size_t i = 0; i < n; i++) {
		unsigned fl = flags ? flags[i] : 0;
		int fam = filter_family(&f[i]);
		enum verdict v = verdict_of(&f[i], fl);

		if (!filter_used(&f[i], tunnel_only))
			continue;
		/* Soft: clear text is fine from a peer with a soft
		 * association.  XXX: tunnel mode keys it by the gateway,
		 * which the clear packets of its subnet do not carry, so
		 * soft tunnel filters drop like the others. */
		if (v == V_CLEARTEXT && (fl & NFT_ENFORCE_SOFT) &&
		    !f[i].tunnel) {
			if (fam != AF_INET6) {
				fputs("\t\t", o);
				put_match(o, &f[i], fam);
				fputs("ip saddr @soft4 accept", o);
				put_comment(o, &f[i]);
			}
			if (fam != AF_INET) {
				fputs("\t\t", o);
				put_match(o, &f[i], fam);
				fputs("ip6 saddr @soft6 accept", o);
				put_comment(o, &f[i]);
			}
		}
		fputs("\t\t", o);
		put_match(o, &f[i], fam);
		fputs(v == V_ACCEPT	 ? "accept"
		      : v == V_BLOCKED ? "counter name \"blocked\" drop"
				       : "counter name \"cleartext\" drop",
		      o);
		put_comment(o, &f[i]);
	}
}

/* "{ 500, 4500 }", or one port when both are the same. */
static void
put_ports(FILE *o, const struct nft_enforce_options *opt)
{
	if (opt->ike_port == opt->natt_port)
		fprintf(o, "%u", opt->ike_port);
	else
		fprintf(o, "{ %u, %u }", opt->ike_port, opt->natt_port);
}

static void
put_elements(FILE *o, const struct ip_addr *soft, size_t n, int family)
{
	bool first = true;

	for (size_t i = 0; i < n; i++) {
		if (soft[i].family != family)
			continue;
		fputs(first ? "\t\telements = { " : ", ", o);
		put_prefix(o, &soft[i], family == AF_INET ? 32 : 128);
		first = false;
	}
	if (!first)
		fputs(" }\n", o);
}

/* The transaction's header and the table's objects, up to the chains. */
static void
put_head(FILE *o, const struct nft_script *s, const struct ip_addr *soft,
	 size_t nsoft)
{
	fprintf(o, "table inet %s\n", s->table);
	fprintf(o, "%s table inet %s\n", s->fresh ? "delete" : "flush",
		s->table);
	fprintf(o, "table inet %s {\n", s->table);
	for (size_t i = 0; i < NFT_ENFORCE_NCTR; i++)
		fprintf(o, "\tcounter %s {\n\t}\n", ctr_names[i]);
	fputs("\tset soft4 {\n\t\ttype ipv4_addr\n", o);
	put_elements(o, soft, nsoft, AF_INET);
	fputs("\t}\n\tset soft6 {\n\t\ttype ipv6_addr\n", o);
	put_elements(o, soft, nsoft, AF_INET6);
	fputs("\t}\n", o);
}

static void
chain_open(FILE *o, const struct nft_script *s, const char *hook)
{
	fprintf(o,
		"\tchain %s {\n"
		"\t\ttype filter hook %s priority %d; policy accept;\n",
		hook, hook, s->o->priority);
}

static void
chain_close(FILE *o)
{
	fputs("\t}\n", o);
}

/* What every non-permitting input chain lets through first. */
static void
put_input_base(FILE *o, const struct nft_script *s)
{
	fputs("\t\tiif \"lo\" accept\n", o);
	fprintf(o, "\t\tiifname \"%s\" accept\n", s->tun);
	fprintf(o, "\t\tmeta l4proto { %d, %d } accept\n", P_ESP, P_AH);
	fputs("\t\tudp dport ", o);
	put_ports(o, s->o);
	fputs(" accept\n", o);
	fputs("\t\ticmpv6 type " ICMPV6_LINK " accept\n", o);
}

/* netsh's ipsecexempt (reference §3.10). */
static void
put_exempt(FILE *o, int level)
{
	if (level == 0 || level == 1)
		fputs("\t\tfib daddr type { broadcast, multicast } accept\n",
		      o);
	if (level == 0 || level == 2) {
		fprintf(o, "\t\tmeta l4proto %d accept\n", P_RSVP);
		fprintf(o, "\t\tmeta l4proto { %d, %d } th sport %d accept\n",
			P_TCP, P_UDP, KERBEROS_PORT);
		fprintf(o, "\t\tmeta l4proto { %d, %d } th dport %d accept\n",
			P_TCP, P_UDP, KERBEROS_PORT);
	}
}

static char *
script_policy(const struct nft_script *s, const struct ip_addr *soft,
	      size_t nsoft, const struct spd_specific *f,
	      const unsigned *flags, size_t n)
{
	struct text t;
	size_t nin = filters_needed(f, flags, n, false);
	size_t nfwd = filters_needed(f, flags, n, true);

	if (!text_open(&t))
		return NULL;
	put_head(t.f, s, soft, nsoft);
	chain_open(t.f, s, "input");
	if (nin > 0) {
		put_input_base(t.f, s);
		put_exempt(t.f, s->o->ipsecexempt);
		put_filters(t.f, f, flags, nin, false);
	}
	chain_close(t.f);
	chain_open(t.f, s, "forward");
	if (nfwd > 0) {
		fprintf(t.f, "\t\tiifname \"%s\" accept\n", s->tun);
		fprintf(t.f, "\t\toifname \"%s\" accept\n", s->tun);
		put_filters(t.f, f, flags, nfwd, true);
	}
	chain_close(t.f);
	chain_open(t.f, s, "output");
	chain_close(t.f);
	fputs("}\n", t.f);
	return text_close(&t);
}

char *
nft_script_policy(const struct nft_script *s, const struct spd_specific *f,
		  const unsigned *flags, size_t n)
{
	return script_policy(s, NULL, 0, f, flags, n);
}

/* An exemption's match; reply: the packets coming back (ports swapped). */
static void
put_exemption(FILE *o, const struct config_exemption *x, bool reply)
{
	if (reply)
		put_l4(o, x->protocol, x->dstport, x->srcport);
	else
		put_l4(o, x->protocol, x->srcport, x->dstport);
}

static char *
script_boot(const struct nft_script *s, const struct ip_addr *soft,
	    size_t nsoft, enum config_bootmode mode,
	    const struct config_exemption *ex, size_t n)
{
	struct text t;
	bool stateful = mode == CONFIG_BOOT_STATEFUL;
	bool block = mode == CONFIG_BOOT_BLOCK;

	if (!text_open(&t))
		return NULL;
	put_head(t.f, s, soft, nsoft);
	chain_open(t.f, s, "input");
	if (stateful || block) {
		put_input_base(t.f, s);
		/* DHCP answers (RFC 2131 server 67 -> client 68, RFC 8415
		 * 547 -> 546), so the host gets its address. */
		fputs("\t\tudp sport 67 udp dport 68 accept\n", t.f);
		fputs("\t\tudp sport 547 udp dport 546 accept\n", t.f);
		if (stateful)
			fputs("\t\tct state established,related accept\n",
			      t.f);
		for (size_t i = 0; i < n; i++) {
			if (ex[i].inbound) {
				fputs("\t\t", t.f);
				put_exemption(t.f, &ex[i], false);
				fputs("accept\n", t.f);
			} else if (block) {
				fputs("\t\tct state established,related ",
				      t.f);
				put_exemption(t.f, &ex[i], true);
				fputs("accept\n", t.f);
			}
		}
		fputs("\t\tcounter name \"boot\" drop\n", t.f);
	}
	chain_close(t.f);
	chain_open(t.f, s, "forward");
	chain_close(t.f);
	chain_open(t.f, s, "output");
	if (block) {
		fputs("\t\toif \"lo\" accept\n", t.f);
		fprintf(t.f, "\t\tmeta l4proto { %d, %d } accept\n", P_ESP,
			P_AH);
		fputs("\t\tudp sport ", t.f);
		put_ports(t.f, s->o);
		fputs(" accept\n", t.f);
		fputs("\t\tudp dport ", t.f);
		put_ports(t.f, s->o);
		fputs(" accept\n", t.f);
		fputs("\t\ticmpv6 type " ICMPV6_LINK " accept\n", t.f);
		fputs("\t\tudp sport 68 udp dport 67 accept\n", t.f);
		fputs("\t\tudp sport 546 udp dport 547 accept\n", t.f);
		for (size_t i = 0; i < n; i++) {
			if (!ex[i].inbound) {
				fputs("\t\t", t.f);
				put_exemption(t.f, &ex[i], false);
				fputs("accept\n", t.f);
			} else {
				fputs("\t\tct state established,related ",
				      t.f);
				put_exemption(t.f, &ex[i], true);
				fputs("accept\n", t.f);
			}
		}
		fputs("\t\tcounter name \"boot\" drop\n", t.f);
	}
	chain_close(t.f);
	fputs("}\n", t.f);
	return text_close(&t);
}

char *
nft_script_boot(const struct nft_script *s, enum config_bootmode mode,
		const struct config_exemption *ex, size_t n)
{
	return script_boot(s, NULL, 0, mode, ex, n);
}

/* ---- the counters' JSON --------------------------------------------- */

/*
 * A minimal reader of the JSON libnftables writes: a cursor over (p,
 * len), every step bounds-checked, nesting limited.  Only what the
 * counters need is kept; everything else is validated and skipped.
 */
#define J_DEPTH 32

struct jcur {
	const char *p, *end;
};

static void
j_ws(struct jcur *c)
{
	while (c->p < c->end &&
	       (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool
j_lit(struct jcur *c, char ch)
{
	j_ws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

static int
j_hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * A string.  buf (may be NULL: skip) receives it decoded, non-ASCII
 * escapes as '?'.  0 = read, 1 = read but too long for buf (buf is
 * then ""), -1 = not a string.
 */
static int
j_string(struct jcur *c, char *buf, size_t len)
{
	size_t k = 0;
	bool cut = false;

	if (!j_lit(c, '"'))
		return -1;
	while (c->p < c->end) {
		char ch = *c->p++;
		if (ch == '"') {
			if (buf != NULL)
				buf[cut ? 0 : k] = '\0';
			return cut ? 1 : 0;
		}
		if ((unsigned char)ch < 0x20)
			return -1;
		if (ch == '\\') {
			if (c->p >= c->end)
				return -1;
			ch = *c->p++;
			switch (ch) {
			case '"':
			case '\\':
			case '/':
				break;
			case 'b':
				ch = '\b';
				break;
			case 'f':
				ch = '\f';
				break;
			case 'n':
				ch = '\n';
				break;
			case 'r':
				ch = '\r';
				break;
			case 't':
				ch = '\t';
				break;
			case 'u': {
				unsigned v = 0;
				if (c->end - c->p < 4)
					return -1;
				for (int i = 0; i < 4; i++) {
					int h = j_hex(c->p[i]);
					if (h < 0)
						return -1;
					v = v << 4 | (unsigned)h;
				}
				c->p += 4;
				ch = v < 0x80 ? (char)v : '?';
				break;
			}
			default:
				return -1;
			}
		}
		if (buf != NULL && !cut) {
			if (k + 1 >= len)
				cut = true;
			else
				buf[k++] = ch;
		}
	}
	return -1;
}

/* A JSON number, validated; *v its value when it is a plain unsigned
 * integer that fits (*is_uint says so). */
static int
j_number(struct jcur *c, uint64_t *v, bool *is_uint)
{
	const char *start;
	uint64_t x = 0;
	bool ok = true;

	j_ws(c);
	start = c->p;
	if (c->p < c->end && *c->p == '-') {
		ok = false;
		c->p++;
	}
	if (c->p >= c->end || *c->p < '0' || *c->p > '9')
		return -1;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned d = (unsigned)(*c->p - '0');
		if (x > (UINT64_MAX - d) / 10)
			ok = false;
		else
			x = x * 10 + d;
		c->p++;
	}
	if (c->p < c->end && *c->p == '.') {
		ok = false;
		c->p++;
		if (c->p >= c->end || *c->p < '0' || *c->p > '9')
			return -1;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		ok = false;
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (c->p >= c->end || *c->p < '0' || *c->p > '9')
			return -1;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	}
	if (c->p == start)
		return -1;
	if (v != NULL)
		*v = ok ? x : 0;
	if (is_uint != NULL)
		*is_uint = ok;
	return 0;
}

static bool
j_word(struct jcur *c, const char *w)
{
	size_t n = strlen(w);

	j_ws(c);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
		return false;
	c->p += n;
	return true;
}

static int
j_skip(struct jcur *c, int depth)
{
	if (depth > J_DEPTH)
		return -1;
	j_ws(c);
	if (c->p >= c->end)
		return -1;
	switch (*c->p) {
	case '"':
		return j_string(c, NULL, 0) < 0 ? -1 : 0;
	case '{':
		c->p++;
		if (j_lit(c, '}'))
			return 0;
		do {
			if (j_string(c, NULL, 0) < 0 || !j_lit(c, ':') ||
			    j_skip(c, depth + 1) < 0)
				return -1;
		} while (j_lit(c, ','));
		return j_lit(c, '}') ? 0 : -1;
	case '[':
		c->p++;
		if (j_lit(c, ']'))
			return 0;
		do {
			if (j_skip(c, depth + 1) < 0)
				return -1;
		} while (j_lit(c, ','));
		return j_lit(c, ']') ? 0 : -1;
	case 't':
		return j_word(c, "true") ? 0 : -1;
	case 'f':
		return j_word(c, "false") ? 0 : -1;
	case 'n':
		return j_word(c, "null") ? 0 : -1;
	default:
		return j_number(c, NULL, NULL);
	}
}

/* {"family": "inet", "name": "cleartext", "table": T, "packets": N...} */
static int
j_counter(struct jcur *c, const char *table, struct nft_enforce_counters *out)
{
	char key[32], name[32] = "", tbl[NFT_ENFORCE_TABLE_MAX] = "";
	char fam[16] = "";
	uint64_t packets = 0;
	bool have = false;

	if (!j_lit(c, '{'))
		return -1;
	if (!j_lit(c, '}')) {
		do {
			int k = j_string(c, key, sizeof(key));
			int r;
			if (k < 0 || !j_lit(c, ':'))
				return -1;
			if (k == 0 && strcmp(key, "name") == 0)
				r = j_string(c, name, sizeof(name));
			else if (k == 0 && strcmp(key, "table") == 0)
				r = j_string(c, tbl, sizeof(tbl));
			else if (k == 0 && strcmp(key, "family") == 0)
				r = j_string(c, fam, sizeof(fam));
			else if (k == 0 && strcmp(key, "packets") == 0)
				r = j_number(c, &packets, &have);
			else
				r = j_skip(c, 2);
			if (r < 0)
				return -1;
		} while (j_lit(c, ','));
		if (!j_lit(c, '}'))
			return -1;
	}
	if (!have || strcmp(fam, "inet") != 0 || strcmp(tbl, table) != 0)
		return 0;
	for (size_t i = 0; i < NFT_ENFORCE_NCTR; i++)
		if (strcmp(name, ctr_names[i]) == 0)
			ctr_set(out, i, packets);
	return 0;
}

/* [{"metainfo": {...}}, {"counter": {...}}, ...] */
static int
j_objects(struct jcur *c, const char *table, struct nft_enforce_counters *out)
{
	if (!j_lit(c, '['))
		return -1;
	if (j_lit(c, ']'))
		return 0;
	do {
		if (!j_lit(c, '{'))
			return -1;
		if (j_lit(c, '}'))
			continue;
		do {
			char key[32];
			int k = j_string(c, key, sizeof(key));
			int r;
			if (k < 0 || !j_lit(c, ':'))
				return -1;
			if (k == 0 && strcmp(key, "counter") == 0)
				r = j_counter(c, table, out);
			else
				r = j_skip(c, 2);
			if (r < 0)
				return -1;
		} while (j_lit(c, ','));
		if (!j_lit(c, '}'))
			return -1;
	} while (j_lit(c, ','));
	return j_lit(c, ']') ? 0 : -1;
}

int
nft_counters_parse(const char *json, size_t len, const char *table,
		   struct nft_enforce_counters *out)
{
	struct jcur c = {json, json + len};
	struct nft_enforce_counters got;
	bool seen = false;

	memset(&got, 0, sizeof(got));
	if (!j_lit(&c, '{'))
		return -1;
	if (!j_lit(&c, '}')) {
		do {
			char key[32];
			int k = j_string(&c, key, sizeof(key));
			int r;
			if (k < 0 || !j_lit(&c, ':'))
				return -1;
			if (k == 0 && strcmp(key, "nftables") == 0 && !seen) {
				r = j_objects(&c, table, &got);
				seen = true;
			} else {
				r = j_skip(&c, 1);
			}
			if (r < 0)
				return -1;
		} while (j_lit(&c, ','));
		if (!j_lit(&c, '}'))
			return -1;
	}
	j_ws(&c);
	if (!seen || c.p != c.end)
		return -1;
	*out = got;
	return 0;
}

/* ---- the table in the kernel ---------------------------------------- */

struct nft_enforce {
	struct nft_ctx *ctx;
	struct nft_enforce_options o;
	char table[NFT_ENFORCE_TABLE_MAX];
	char tun[IFNAMSIZ];
	bool loaded; /* our table is in the kernel */
	/* What tables replaced from scratch had counted (a fresh load
	 * after a failed one starts the counters again). */
	struct nft_enforce_counters base;
	struct ip_addr *soft; /* peers with a soft association */
	size_t nsoft, capsoft;
};

struct nft_enforce *
nft_enforce_new(const char *tun, const struct nft_enforce_options *o,
		char *err, size_t errlen)
{
	struct nft_enforce *e = NULL;

	if (tun == NULL || !ifname_ok(tun)) {
		fail(err, errlen,
		     "\"%s\" is not a usable interface name for the "
		     "packet filter.",
		     tun ? tun : "");
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		fail(err, errlen, "out of memory.");
		return NULL;
	}
	if (o != NULL)
		e->o = *o;
	else
		nft_enforce_options_init(&e->o);
	snprintf(e->tun, sizeof(e->tun), "%s", tun);
	if (e->o.table != NULL) {
		if (!table_ok(e->o.table)) {
			fail(err, errlen,
			     "\"%s\" is not a usable nftables table name.",
			     e->o.table);
			goto fail;
		}
		snprintf(e->table, sizeof(e->table), "%s", e->o.table);
	} else if (nft_enforce_table_name(tun, e->table, sizeof(e->table)) <
		   0) {
		fail(err, errlen, "no table name for \"%s\".", tun);
		goto fail;
	}
	e->o.table = NULL; /* the caller's string is not kept */
	if (e->o.ike_port == 0 || e->o.natt_port == 0 ||
	    e->o.ipsecexempt < 0 || e->o.ipsecexempt > 3) {
		fail(err, errlen,
		     "packet filter options: ports must not be 0 and "
		     "ipsecexempt is 0 to 3.");
		goto fail;
	}
	e->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (e->ctx == NULL) {
		fail(err, errlen, "libnftables: no context.");
		goto fail;
	}
	if (nft_ctx_buffer_output(e->ctx) != 0 ||
	    nft_ctx_buffer_error(e->ctx) != 0) {
		fail(err, errlen, "libnftables: cannot buffer its output.");
		goto fail;
	}
	return e;
fail:
	if (e->ctx != NULL)
		nft_ctx_free(e->ctx);
	free(e);
	return NULL;
}

const char *
nft_enforce_table(const struct nft_enforce *e)
{
	return e->table;
}

/* Runs one command buffer (one transaction).  On failure err gets the
 * first line of libnftables' message. */
static int
run(struct nft_enforce *e, const char *cmd, char *err, size_t errlen)
{
	const char *msg;
	size_t n;

	/* Reading the buffers empties them: start clean. */
	(void)nft_ctx_get_output_buffer(e->ctx);
	(void)nft_ctx_get_error_buffer(e->ctx);
	if (nft_run_cmd_from_buffer(e->ctx, cmd) == 0)
		return 0;
	msg = nft_ctx_get_error_buffer(e->ctx);
	if (msg == NULL)
		msg = "";
	while (*msg == '\n')
		msg++;
	n = strcspn(msg, "\n");
	if (n == 0)
		return fail(err, errlen,
			    "nftables: the command failed (CAP_NET_ADMIN?).");
	return fail(err, errlen, "nftables: %.*s", (int)(n > 200 ? 200 : n),
		    msg);
}

/* The kernel's counters of our table, without the base. */
static int
read_counters(struct nft_enforce *e, struct nft_enforce_counters *out,
	      char *err, size_t errlen)
{
	char cmd[128 + NFT_ENFORCE_TABLE_MAX];
	unsigned flags = nft_ctx_output_get_flags(e->ctx);
	const char *json;
	int rc;

	snprintf(cmd, sizeof(cmd), "list counters table inet %s", e->table);
	nft_ctx_output_set_flags(e->ctx, flags | NFT_CTX_OUTPUT_JSON);
	rc = run(e, cmd, err, errlen);
	json = nft_ctx_get_output_buffer(e->ctx);
	nft_ctx_output_set_flags(e->ctx, flags);
	if (rc < 0)
		return -1;
	if (json == NULL ||
	    nft_counters_parse(json, strlen(json), e->table, out) < 0)
		return fail(err, errlen,
			    "nftables: the counters' JSON is not understood.");
	return 0;
}

static void
add_counters(struct nft_enforce_counters *sum,
	     const struct nft_enforce_counters *c)
{
	for (size_t i = 0; i < NFT_ENFORCE_NCTR; i++) {
		enum nft_enforce_ctr k = (enum nft_enforce_ctr)i;
		ctr_set(sum, i,
			nft_enforce_ctr_get(sum, k) + nft_enforce_ctr_get(c, k));
	}
}

/* What one load installs: a policy or a boot mode. */
struct load {
	bool boot;
	const struct spd_specific *f;
	const unsigned *flags;
	size_t n;
	enum config_bootmode mode;
	const struct config_exemption *ex;
	size_t nex;
};

static char *
build(const struct nft_enforce *e, const struct load *l, bool fresh)
{
	struct nft_script s = {e->table, e->tun, &e->o, fresh};

	if (l->boot)
		return script_boot(&s, e->soft, e->nsoft, l->mode, l->ex,
				   l->nex);
	return script_policy(&s, e->soft, e->nsoft, l->f, l->flags, l->n);
}

/*
 * Once loaded, the table is replaced keeping its counters and sets
 * (flush); the first load, and a retry when that fails (the table was
 * changed behind our back, say), start from scratch (delete).  Either is
 * one transaction: on failure the rules in force stay.
 */
static int
load(struct nft_enforce *e, const struct load *l, char *err, size_t errlen)
{
	struct nft_enforce_counters before;
	char first[256] = "";
	char *text = NULL;
	bool keep = false;
	int rc = -1;

	if (e->loaded) {
		text = build(e, l, false);
		if (text == NULL)
			return fail(err, errlen, "out of memory.");
		if (run(e, text, first, sizeof(first)) == 0) {
			rc = 0;
			goto out;
		}
		free(text);
		log_warn("packet filter: table %s not replaced in place (%s); "
			 "building it again",
			 e->table, first);
		memset(&before, 0, sizeof(before));
		keep = read_counters(e, &before, err, errlen) == 0;
	}
	text = build(e, l, true);
	if (text == NULL) {
		fail(err, errlen, "out of memory.");
		goto out;
	}
	if (run(e, text, err, errlen) < 0)
		goto out;
	if (keep)
		add_counters(&e->base, &before);
	e->loaded = true;
	rc = 0;
out:
	free(text);
	return rc;
}

int
nft_enforce_apply(struct nft_enforce *e, const struct spd_specific *f,
		  const unsigned *flags, size_t n, char *err, size_t errlen)
{
	struct load l = {.f = f, .flags = flags, .n = n};

	return load(e, &l, err, errlen);
}

int
nft_enforce_boot(struct nft_enforce *e, enum config_bootmode mode,
		 const struct config_exemption *ex, size_t n, char *err,
		 size_t errlen)
{
	struct load l = {.boot = true, .mode = mode, .ex = ex, .nex = n};

	if (mode != CONFIG_BOOT_STATEFUL && mode != CONFIG_BOOT_BLOCK &&
	    mode != CONFIG_BOOT_PERMIT)
		return fail(err, errlen, "boot mode %d is not known.",
			    (int)mode);
	return load(e, &l, err, errlen);
}

int
nft_enforce_counters(struct nft_enforce *e, struct nft_enforce_counters *out,
		     char *err, size_t errlen)
{
	struct nft_enforce_counters now;

	memset(&now, 0, sizeof(now));
	if (e->loaded && read_counters(e, &now, err, errlen) < 0)
		return -1;
	*out = e->base;
	add_counters(out, &now);
	return 0;
}

static bool
same_ip(const struct ip_addr *a, const struct ip_addr *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && memcmp(a->bytes, b->bytes, n) == 0;
}

/* The peer's index in e->soft, or SIZE_MAX. */
static size_t
soft_find(const struct nft_enforce *e, const struct ip_addr *peer)
{
	for (size_t i = 0; i < e->nsoft; i++)
		if (same_ip(&e->soft[i], peer))
			return i;
	return SIZE_MAX;
}

/* "add element inet T soft4 { 10.0.0.2 }" */
static int
soft_cmd(struct nft_enforce *e, const char *verb, const struct ip_addr *peer,
	 char *err, size_t errlen)
{
	struct text t;
	char *cmd;
	int rc;

	if (!text_open(&t))
		return fail(err, errlen, "out of memory.");
	fprintf(t.f, "%s element inet %s %s { ", verb, e->table,
		peer->family == AF_INET ? "soft4" : "soft6");
	put_prefix(t.f, peer, peer->family == AF_INET ? 32 : 128);
	fputs(" }\n", t.f);
	cmd = text_close(&t);
	if (cmd == NULL)
		return fail(err, errlen, "out of memory.");
	rc = run(e, cmd, err, errlen);
	free(cmd);
	return rc;
}

int
nft_enforce_soft_add(struct nft_enforce *e, const struct ip_addr *peer,
		     char *err, size_t errlen)
{
	if (peer->family != AF_INET && peer->family != AF_INET6)
		return fail(err, errlen, "a soft peer needs an IP address.");
	if (soft_find(e, peer) != SIZE_MAX)
		return 0;
	if (e->nsoft == e->capsoft) {
		size_t cap = e->capsoft ? 2 * e->capsoft : 8;
		struct ip_addr *v = realloc(e->soft, cap * sizeof(*v));
		if (v == NULL)
			return fail(err, errlen, "out of memory.");
		e->soft = v;
		e->capsoft = cap;
	}
	/* Before the first load the element goes in with the table. */
	if (e->loaded && soft_cmd(e, "add", peer, err, errlen) < 0)
		return -1;
	e->soft[e->nsoft++] = *peer;
	return 0;
}

int
nft_enforce_soft_del(struct nft_enforce *e, const struct ip_addr *peer,
		     char *err, size_t errlen)
{
	size_t i = soft_find(e, peer);
	int rc = 0;

	if (i == SIZE_MAX)
		return 0;
	if (e->loaded)
		rc = soft_cmd(e, "delete", peer, err, errlen);
	/* Gone from our list either way: the next load leaves it out. */
	e->soft[i] = e->soft[--e->nsoft];
	return rc;
}

void
nft_enforce_free(struct nft_enforce *e)
{
	char cmd[64 + NFT_ENFORCE_TABLE_MAX];
	char err[256];

	if (e == NULL)
		return;
	if (e->loaded) {
		snprintf(cmd, sizeof(cmd), "delete table inet %s", e->table);
		if (run(e, cmd, err, sizeof(err)) < 0)
			log_warn("packet filter: table %s not removed: %s",
				 e->table, err);
	}
	nft_ctx_free(e->ctx);
	free(e->soft);
	free(e);
}
