/*
 * vocab.c - the value vocabulary of IPsec policy (see vocab.h).
 *
 * Every parser reads the caller's text without changing it and treats it
 * as hostile: any length, any byte.  Results are written only on success;
 * every write into a caller's buffer is bounded.  Messages quote the bad
 * token through quote(), which escapes control and non-ASCII bytes as
 * \xNN and cuts long tokens, so a message always fits VOCAB_ERR_MAX and
 * can never carry a terminal escape sequence to the user's screen.
 *
 * Formatters (void) write "" when the canonical text does not fit the
 * buffer: a truncated value must never look like a valid shorter one
 * (a cut security-methods list would silently drop offers).  Unknown enum
 * values format as "?", which no parser accepts.
 *
 * Numbers (ports, protocols, prefix lengths, groups, lifetimes) are plain
 * decimal: digits only, no sign, no blanks, and no leading zero except
 * "0" itself.  Leading zeros are refused everywhere for the reason given
 * for IPv4 octets: in other tools "010" means 8.
 *
 * Choices made where spec/ipsecsh.md is silent are marked "Decision:".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* inet_aton */
#endif

#include "vocab.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* ---- small helpers ------------------------------------------------ */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define QUOTE_MAX 60	      /* visible characters of a quoted token */
#define QBUF (QUOTE_MAX + 8) /* ... plus "...", NUL and one escape */

static bool
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_xdigit(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* ASCII only: the C locale functions would depend on setlocale(). */
static int
to_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int
to_upper(int c)
{
	return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c;
}

/* s[0..n) equals word, ignoring ASCII case. */
static bool
ieq(const char *s, size_t n, const char *word)
{
	size_t i;

	if (strlen(word) != n)
		return false;
	for (i = 0; i < n; i++)
		if (to_lower((unsigned char)s[i]) !=
		    to_lower((unsigned char)word[i]))
			return false;
	return true;
}

/* s[0..n) is a non-empty prefix of word, ignoring ASCII case. */
static bool
iprefix(const char *s, size_t n, const char *word)
{
	size_t i;

	if (n == 0 || n > strlen(word))
		return false;
	for (i = 0; i < n; i++)
		if (to_lower((unsigned char)s[i]) !=
		    to_lower((unsigned char)word[i]))
			return false;
	return true;
}

/* s[0..n) begins with word, ignoring ASCII case. */
static bool
istarts(const char *s, size_t n, const char *word)
{
	size_t wl = strlen(word);

	return n >= wl && ieq(s, wl, word);
}

/*
 * Writes s[0..n) into buf for a message: bytes below 0x20, 0x7f and
 * above are written as \xNN; more than QUOTE_MAX characters are cut and
 * "..." appended.  Returns buf.
 */
static const char *
quote(char buf[QBUF], const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t w = (c < 0x20 || c >= 0x7f) ? 4 : 1;

		if (o + w > QUOTE_MAX) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (w == 4) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
	return buf;
}

static const char *
quotez(char buf[QBUF], const char *s)
{
	return quote(buf, s, strlen(s));
}

__attribute__((format(printf, 3, 4))) static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void
clearbuf(char *buf, size_t len)
{
	if (buf != NULL && len > 0)
		buf[0] = '\0';
}

/* Bounded appender over a caller's buffer; any overflow empties it. */
struct sb {
	char *buf;
	size_t len, used;
	bool over;
};

static void
sb_init(struct sb *b, char *buf, size_t len)
{
	b->buf = buf;
	b->len = len;
	b->used = 0;
	b->over = (buf == NULL || len == 0);
	if (!b->over)
		buf[0] = '\0';
}

__attribute__((format(printf, 2, 3))) static void
sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (b->over)
		return;
	va_start(ap, fmt);
	r = vsnprintf(b->buf + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= b->len - b->used) {
		b->over = true;
		return;
	}
	b->used += (size_t)r;
}

/* Returns true if everything fitted; otherwise the buffer holds "". */
static bool
sb_finish(struct sb *b)
{
	if (b->over && b->buf != NULL && b->len > 0)
		b->buf[0] = '\0';
	return !b->over;
}

/*
 * Plain decimal s[0..n): digits only, no leading zero unless the number
 * is 0.  Returns 0, -1 if it is not such a number, -2 if it is one but
 * greater than max.
 */
static int
parse_dec(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++)
		if (!is_digit((unsigned char)s[i]))
			return -1;
	for (i = 0; i < n; i++) {
		/* max is at most UINT32_MAX here, so v * 10 cannot wrap. */
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > max)
			return -2;
	}
	*out = v;
	return 0;
}

/* Valid UTF-8 without overlong forms, surrogates or code points past
 * U+10FFFF, and free of C0, DEL and C1 control characters. */
static int
check_text(const char *s, size_t n, bool *is_ctl)
{
	size_t i = 0;

	*is_ctl = false;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t len, k;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f) {
				*is_ctl = true;
				return -1;
			}
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return -1;
		}
		if (n - i < len)
			return -1;
		for (k = 1; k < len; k++) {
			unsigned char cc = (unsigned char)s[i + k];

			if ((cc & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (cc & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		if (cp >= 0x80 && cp <= 0x9f) {
			*is_ctl = true;
			return -1;
		}
		i += len;
	}
	return 0;
}

/* Next blank-separated word of s[*pos..n); false at the end. */
static bool
next_word(const char *s, size_t n, size_t *pos, const char **w, size_t *wl)
{
	size_t i = *pos, start;

	while (i < n && is_blank((unsigned char)s[i]))
		i++;
	if (i == n) {
		*pos = i;
		return false;
	}
	start = i;
	while (i < n && !is_blank((unsigned char)s[i]))
		i++;
	*w = s + start;
	*wl = i - start;
	*pos = i;
	return true;
}

/* ---- IP literals -------------------------------------------------- */

/*
 * Strict dotted quad: four decimal octets 0-255 of one to three digits.
 * Decision: "01" is refused (inet_aton would read "010" as octal 8, and
 * an address that means different things in different tools has no
 * place in a security policy); "0" is fine.  lead0 reports that cause.
 */
static int
ip4_parse(const char *s, size_t n, uint8_t out[4], bool *lead0)
{
	size_t i = 0;
	int part;

	*lead0 = false;
	for (part = 0; part < 4; part++) {
		size_t start;
		unsigned v = 0;

		if (part > 0) {
			if (i >= n || s[i] != '.')
				return -1;
			i++;
		}
		start = i;
		while (i < n && is_digit((unsigned char)s[i]) && i - start < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || (i < n && is_digit((unsigned char)s[i])))
			return -1;
		if (i - start > 1 && s[start] == '0') {
			*lead0 = true;
			return -1;
		}
		if (v > 255)
			return -1;
		out[part] = (uint8_t)v;
	}
	return i == n ? 0 : -1;
}

static int
ip6_parse(const char *s, size_t n, uint8_t out[16])
{
	char buf[INET6_ADDRSTRLEN];
	size_t i;

	/* Longest form: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255".
	 * Zone indexes ("%eth0") are not addresses of a filter. */
	if (n == 0 || n >= sizeof(buf))
		return -1;
	for (i = 0; i < n; i++)
		if (!is_xdigit((unsigned char)s[i]) && s[i] != ':' &&
		    s[i] != '.')
			return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, out) == 1 ? 0 : -1;
}

/* An IPv4 or IPv6 literal; a ':' makes it IPv6. */
static int
ip_parse_slice(const char *s, size_t n, struct ip_addr *out, bool *lead0)
{
	struct ip_addr ip;

	memset(&ip, 0, sizeof(ip));
	*lead0 = false;
	if (memchr(s, ':', n) != NULL) {
		if (ip6_parse(s, n, ip.bytes) < 0)
			return -1;
		ip.family = AF_INET6;
	} else {
		if (ip4_parse(s, n, ip.bytes, lead0) < 0)
			return -1;
		ip.family = AF_INET;
	}
	*out = ip;
	return 0;
}

int
vocab_ip_parse(const char *text, struct ip_addr *out)
{
	struct ip_addr ip;
	bool lead0;

	if (text == NULL || out == NULL)
		return -1;
	if (ip_parse_slice(text, strlen(text), &ip, &lead0) < 0)
		return -1;
	*out = ip;
	return 0;
}

void
vocab_ip_format(const struct ip_addr *ip, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];
	struct sb b;

	sb_init(&b, buf, len);
	if (ip == NULL || (ip->family != AF_INET && ip->family != AF_INET6) ||
	    inet_ntop(ip->family, ip->bytes, tmp, sizeof(tmp)) == NULL) {
		sb_finish(&b);
		return;
	}
	sb_printf(&b, "%s", tmp);
	sb_finish(&b);
}

static int
ip_cmp(const struct ip_addr *a, const struct ip_addr *b)
{
	return memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

/* ---- addresses ---------------------------------------------------- */

static const struct {
	const char *word;  /* canonical spelling */
	enum addr_kind kind;
} addr_keywords[] = {
	{ "me", ADDR_ME },
	{ "any", ADDR_ANY },
	{ "DNS", ADDR_SRV_DNS },
	{ "WINS", ADDR_SRV_WINS },
	{ "DHCP", ADDR_SRV_DHCP },
	{ "GATEWAY", ADDR_SRV_GATEWAY },
};

#define NKEYWORDS NELEM(addr_keywords)

/* Keywords are whole words: "d" is a host name, not DNS. */
static int
addr_keyword(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < NKEYWORDS; i++)
		if (ieq(s, n, addr_keywords[i].word))
			return (int)i;
	return -1;
}

/* Digits and dots with at least one dot: somebody meant an IPv4 address. */
static bool
ip4_like(const char *s, size_t n)
{
	size_t i;
	bool dot = false;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '.')
			dot = true;
		else if (!is_digit((unsigned char)s[i]))
			return false;
	}
	return dot;
}

/*
 * Decision: a '-' makes the text a range when it also contains ':' (no
 * DNS name does) or when a side of its first '-' looks like an IPv4
 * literal.  Otherwise it is a DNS name such as "10-0-0-1.example.com" or
 * "my-host".  "10.0.0.1-host" is then a bad range, not a strange name.
 */
static bool
range_like(const char *s, size_t n)
{
	const char *dash = memchr(s, '-', n);
	size_t l;

	if (dash == NULL)
		return false;
	if (memchr(s, ':', n) != NULL)
		return true;
	l = (size_t)(dash - s);
	return ip4_like(s, l) || ip4_like(dash + 1, n - l - 1);
}

static int
range_parse(const char *s, size_t n, struct addr_spec *a, char *err,
	    size_t errlen)
{
	const char *dash = memchr(s, '-', n);
	size_t l = (size_t)(dash - s), r = n - l - 1;
	char q[QBUF], q2[QBUF];
	bool lead0;

	if (l == 0 || r == 0 || memchr(dash + 1, '-', r) != NULL) {
		seterr(err, errlen,
		       "\"%s\" is not a valid address range (use two IP "
		       "addresses joined by \"-\").",
		       quote(q, s, n));
		return -1;
	}
	if (ip_parse_slice(s, l, &a->lo, &lead0) < 0) {
		seterr(err, errlen,
		       "\"%s\" in range \"%s\" is not a valid IP address.",
		       quote(q, s, l), quote(q2, s, n));
		return -1;
	}
	if (ip_parse_slice(dash + 1, r, &a->hi, &lead0) < 0) {
		seterr(err, errlen,
		       "\"%s\" in range \"%s\" is not a valid IP address.",
		       quote(q, dash + 1, r), quote(q2, s, n));
		return -1;
	}
	if (a->lo.family != a->hi.family) {
		seterr(err, errlen,
		       "\"%s\" is not a valid address range: both ends must "
		       "be IPv4 or both IPv6.",
		       quote(q, s, n));
		return -1;
	}
	if (ip_cmp(&a->lo, &a->hi) > 0) {
		seterr(err, errlen,
		       "\"%s\" is not a valid address range: the first "
		       "address is greater than the last.",
		       quote(q, s, n));
		return -1;
	}
	/* Decision: "a-a" stays a one-address range; turning it into a
	 * literal would make a mask legal that the user could not give. */
	a->kind = ADDR_RANGE;
	return 0;
}

static int
dns_error(const char *s, size_t n, const char *why, char *err, size_t errlen)
{
	char q[QBUF];

	seterr(err, errlen,
	       "\"%s\" is not a valid IP address or DNS name (%s).",
	       quote(q, s, n), why);
	return -1;
}

/*
 * Host names per RFC 1123: letters, digits and '-', labels of 1-63
 * characters that neither begin nor end with '-', at most 253 characters
 * without the trailing dot, which is dropped.  Lowercased.
 *
 * Decisions:
 *  - In a name of two or more labels the last must begin with a letter
 *    (every top-level domain does; RFC 3696 §2 forbids all-numeric
 *    ones).  This catches typing slips such as "10.0.0.1x".
 *  - A name that inet_aton() accepts ("0x7f000001") is refused: the
 *    resolver would read it as an address, in hex or octal.
 *  - A name equal to a keyword ("dns.", "me.") is refused rather than
 *    stored as "dns", which would read back as the keyword.
 */
static int
dns_parse(const char *s, size_t n, struct addr_spec *a, char *err,
	  size_t errlen)
{
	size_t len = n, i, label = 0, labels = 1, last = 0;
	char q[QBUF], why[QBUF + 32];
	struct in_addr ia;

	if (len > 1 && s[len - 1] == '.')
		len--;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return dns_error(s, n, "empty label", err,
						 errlen);
			if (s[i - 1] == '-')
				break;
			label = 0;
			labels++;
			last = i + 1;
			continue;
		}
		if (!is_alpha(c) && !is_digit(c) && c != '-') {
			snprintf(why, sizeof(why), "invalid character \"%s\"",
				 quote(q, s + i, 1));
			return dns_error(s, n, why, err, errlen);
		}
		if (c == '-' && label == 0)
			break;
		if (++label > 63)
			return dns_error(s, n,
					 "a label is longer than 63 characters",
					 err, errlen);
	}
	if (i < len || (len > 0 && s[len - 1] == '-'))
		return dns_error(s, n, "a label begins or ends with \"-\"", err,
				 errlen);
	if (label == 0 || len == 0)
		return dns_error(s, n, "empty label", err, errlen);
	if (len > 253)
		return dns_error(s, n, "longer than 253 characters", err,
				 errlen);
	if (labels > 1 && !is_alpha((unsigned char)s[last]))
		return dns_error(s, n, "the last label must begin with a letter",
				 err, errlen);
	memcpy(a->dns, s, len);
	a->dns[len] = '\0';
	if (inet_aton(a->dns, &ia) != 0) {
		seterr(err, errlen, "\"%s\" is not a valid IP address.",
		       quote(q, s, n));
		return -1;
	}
	if (addr_keyword(a->dns, len) >= 0) {
		seterr(err, errlen,
		       "\"%s\" is not a valid DNS name: \"%s\" is a keyword; "
		       "give the host's full domain name.",
		       quote(q, s, n), addr_keywords[addr_keyword(a->dns, len)]
					       .word);
		return -1;
	}
	for (i = 0; i < len; i++)
		a->dns[i] = (char)to_lower((unsigned char)a->dns[i]);
	a->kind = ADDR_DNS;
	return 0;
}

int
vocab_addr_parse(const char *text, struct addr_spec *out, char *err,
		 size_t errlen)
{
	struct addr_spec a;
	size_t n;
	int k;
	char q[QBUF];
	bool lead0;

	clearbuf(err, errlen);
	if (text == NULL)
		text = "";
	n = strlen(text);
	memset(&a, 0, sizeof(a));

	if (n == 0) {
		seterr(err, errlen, "\"\" is not a valid address.");
		return -1;
	} else if ((k = addr_keyword(text, n)) >= 0) {
		a.kind = addr_keywords[k].kind;
	} else if (range_like(text, n)) {
		if (range_parse(text, n, &a, err, errlen) < 0)
			return -1;
	} else if (memchr(text, ':', n) != NULL) {
		if (ip_parse_slice(text, n, &a.lo, &lead0) < 0) {
			seterr(err, errlen,
			       "\"%s\" is not a valid IPv6 address.",
			       quote(q, text, n));
			return -1;
		}
		a.kind = ADDR_IP;
		a.hi = a.lo;
	} else if (n == strspn(text, "0123456789.")) {
		/* Only digits and dots: an IPv4 address or nothing
		 * ("1.2.3" is a bad address, not a host name). */
		if (ip_parse_slice(text, n, &a.lo, &lead0) < 0) {
			seterr(err, errlen,
			       "\"%s\" is not a valid IP address%s.",
			       quote(q, text, n),
			       lead0 ? " (leading zeros are not allowed)" : "");
			return -1;
		}
		a.kind = ADDR_IP;
		a.hi = a.lo;
	} else {
		if (dns_parse(text, n, &a, err, errlen) < 0)
			return -1;
	}
	if (out != NULL)
		*out = a;
	return 0;
}

void
vocab_addr_format(const struct addr_spec *a, char *buf, size_t len)
{
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN];
	struct sb b;
	size_t i;

	sb_init(&b, buf, len);
	if (a == NULL) {
		sb_finish(&b);
		return;
	}
	switch (a->kind) {
	case ADDR_IP:
		vocab_ip_format(&a->lo, lo, sizeof(lo));
		if (lo[0] != '\0')
			sb_printf(&b, "%s", lo);
		break;
	case ADDR_RANGE:
		vocab_ip_format(&a->lo, lo, sizeof(lo));
		vocab_ip_format(&a->hi, hi, sizeof(hi));
		if (lo[0] != '\0' && hi[0] != '\0')
			sb_printf(&b, "%s-%s", lo, hi);
		break;
	case ADDR_DNS:
		if (memchr(a->dns, '\0', sizeof(a->dns)) != NULL)
			sb_printf(&b, "%s", a->dns);
		break;
	default:
		for (i = 0; i < NKEYWORDS; i++)
			if (addr_keywords[i].kind == a->kind)
				sb_printf(&b, "%s", addr_keywords[i].word);
		break;
	}
	sb_finish(&b);
}

bool
vocab_addr_is_server(const struct addr_spec *a)
{
	if (a == NULL)
		return false;
	return a->kind == ADDR_SRV_DNS || a->kind == ADDR_SRV_WINS ||
	       a->kind == ADDR_SRV_DHCP || a->kind == ADDR_SRV_GATEWAY;
}

/* ---- masks -------------------------------------------------------- */

/* Prefix length of a contiguous dotted mask, -1 if not contiguous. */
static int
mask4_prefix(const uint8_t m[4])
{
	uint32_t v = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 |
		     (uint32_t)m[2] << 8 | m[3];
	uint32_t inv = ~v;
	int bits = 0;

	/* Contiguous: the inverted mask is 2^k - 1. */
	if ((inv & (inv + 1)) != 0)
		return -1;
	while (v != 0) {
		bits++;
		v <<= 1;
	}
	return bits;
}

static void
mask4_dotted(int prefix, char out[16])
{
	uint32_t v = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);

	snprintf(out, 16, "%u.%u.%u.%u", v >> 24, (v >> 16) & 255,
		 (v >> 8) & 255, v & 255);
}

/* "N" or "/N", 0 <= N <= max. */
static int
prefix_parse(const char *s, int max)
{
	uint64_t v;

	if (s[0] == '/')
		s++;
	if (parse_dec(s, strlen(s), (uint64_t)max, &v) < 0)
		return -1;
	return (int)v;
}

/*
 * Decision: a mask whose address has bits outside it (10.0.0.1 with
 * 255.0.0.0) is accepted as netsh does; the mask selects the network.
 * "" is a mask only for a range (the canonical "no mask"), so that the
 * canonical text of every address reads back unchanged.
 */
int
vocab_mask_canon(const struct addr_spec *addr, const char *mask_text,
		 const char *tag, char *out, size_t outlen, char *err,
		 size_t errlen)
{
	char canon[16], q[QBUF], q2[QBUF], abuf[VOCAB_ERR_MAX];
	uint8_t m[4];
	bool lead0, given = (mask_text != NULL);
	int p;
	struct sb b;

	clearbuf(err, errlen);
	if (tag == NULL)
		tag = "mask";
	if (addr == NULL) {
		seterr(err, errlen, "%s needs an address.", tag);
		return -1;
	}
	if (addr->kind == ADDR_RANGE) {
		if (given && mask_text[0] != '\0') {
			vocab_addr_format(addr, abuf, sizeof(abuf));
			seterr(err, errlen,
			       "%s cannot be used with the address range "
			       "\"%s\".",
			       tag, quotez(q, abuf));
			return -1;
		}
		canon[0] = '\0';
	} else if (addr->kind == ADDR_IP && addr->lo.family == AF_INET6) {
		if (!given) {
			p = 128;
		} else if (strchr(mask_text, '.') != NULL) {
			vocab_addr_format(addr, abuf, sizeof(abuf));
			seterr(err, errlen,
			       "%s \"%s\" is a dotted IPv4 mask; the IPv6 "
			       "address \"%s\" takes a prefix length 0-128.",
			       tag, quotez(q, mask_text), quotez(q2, abuf));
			return -1;
		} else if ((p = prefix_parse(mask_text, 128)) < 0) {
			seterr(err, errlen,
			       "%s \"%s\" is not valid: use a prefix length "
			       "0-128.",
			       tag, quotez(q, mask_text));
			return -1;
		}
		snprintf(canon, sizeof(canon), "/%d", p);
	} else if (addr->kind == ADDR_IP && addr->lo.family != AF_INET) {
		seterr(err, errlen, "%s needs a valid address.", tag);
		return -1;
	} else {
		if (!given) {
			p = addr->kind == ADDR_ANY ? 0 : 32;
		} else if (strchr(mask_text, '.') != NULL) {
			if (ip4_parse(mask_text, strlen(mask_text), m, &lead0) <
			    0) {
				seterr(err, errlen,
				       "%s \"%s\" is not valid: use a dotted "
				       "mask or a prefix length 0-32.",
				       tag, quotez(q, mask_text));
				return -1;
			}
			if ((p = mask4_prefix(m)) < 0) {
				seterr(err, errlen,
				       "%s \"%s\" is not valid: a mask must be "
				       "contiguous (e.g. 255.255.0.0).",
				       tag, quotez(q, mask_text));
				return -1;
			}
		} else if ((p = prefix_parse(mask_text, 32)) < 0) {
			seterr(err, errlen,
			       "%s \"%s\" is not valid: use a dotted mask or a "
			       "prefix length 0-32.",
			       tag, quotez(q, mask_text));
			return -1;
		}
		mask4_dotted(p, canon);
	}
	sb_init(&b, out, outlen);
	sb_printf(&b, "%s", canon);
	if (!sb_finish(&b)) {
		seterr(err, errlen, "%s: the canonical mask does not fit.",
		       tag);
		return -1;
	}
	return 0;
}

int
vocab_mask_prefix(const char *canon)
{
	uint8_t m[4];
	bool lead0;

	if (canon == NULL || canon[0] == '\0')
		return -1;
	if (canon[0] == '/')
		return prefix_parse(canon, 128);
	if (ip4_parse(canon, strlen(canon), m, &lead0) < 0)
		return -1;
	return mask4_prefix(m);
}

/* ---- ports and protocols ------------------------------------------ */

int
vocab_port_parse(const char *text, int *out, char *err, size_t errlen)
{
	uint64_t v;
	char q[QBUF];

	clearbuf(err, errlen);
	if (text == NULL)
		text = "";
	if (parse_dec(text, strlen(text), 65535, &v) < 0) {
		seterr(err, errlen, "\"%s\" is not a valid port (use 0-65535).",
		       quotez(q, text));
		return -1;
	}
	if (out != NULL)
		*out = (int)v;
	return 0;
}

static const struct {
	const char *name;
	int proto;
} protocols[] = {
	{ "ANY", VOCAB_PROTO_ANY },   { "ICMP", VOCAB_PROTO_ICMP },
	{ "TCP", VOCAB_PROTO_TCP },   { "UDP", VOCAB_PROTO_UDP },
	{ "RAW", VOCAB_PROTO_RAW },
};

#define NPROTOCOLS NELEM(protocols)

int
vocab_protocol_parse(const char *text, int *out, char *err, size_t errlen)
{
	size_t n, i, hit = NPROTOCOLS, hits = 0;
	uint64_t v;
	char q[QBUF];

	clearbuf(err, errlen);
	if (text == NULL)
		text = "";
	n = strlen(text);
	/* The five names begin with five different letters, so every
	 * prefix is unique; the count keeps that true if one is added. */
	for (i = 0; i < NPROTOCOLS; i++) {
		if (ieq(text, n, protocols[i].name)) {
			hit = i;
			hits = 1;
			break;
		}
		if (iprefix(text, n, protocols[i].name)) {
			hit = i;
			hits++;
		}
	}
	if (hits == 1) {
		v = (uint64_t)protocols[hit].proto;
	} else if (hits > 1 || parse_dec(text, n, 255, &v) < 0) {
		seterr(err, errlen,
		       "\"%s\" is not a valid protocol (use ANY, ICMP, TCP, "
		       "UDP, RAW or 0-255).",
		       quote(q, text, n));
		return -1;
	}
	if (out != NULL)
		*out = (int)v;
	return 0;
}

void
vocab_protocol_format(int proto, char *buf, size_t len)
{
	struct sb b;
	size_t i;

	sb_init(&b, buf, len);
	for (i = 0; i < NPROTOCOLS; i++)
		if (protocols[i].proto == proto)
			break;
	if (i < NPROTOCOLS)
		sb_printf(&b, "%s", protocols[i].name);
	else
		sb_printf(&b, "%d", proto);
	sb_finish(&b);
}

int
vocab_ports_check(int proto, int srcport, int dstport, char *err,
		  size_t errlen)
{
	clearbuf(err, errlen);
	if (srcport < 0 || srcport > 65535 || dstport < 0 || dstport > 65535) {
		seterr(err, errlen, "ports must be 0-65535.");
		return -1;
	}
	if (proto == VOCAB_PROTO_TCP || proto == VOCAB_PROTO_UDP)
		return 0;
	if (srcport != 0) {
		seterr(err, errlen,
		       "srcport=%d needs protocol=TCP or protocol=UDP.",
		       srcport);
		return -1;
	}
	if (dstport != 0) {
		seterr(err, errlen,
		       "dstport=%d needs protocol=TCP or protocol=UDP.",
		       dstport);
		return -1;
	}
	return 0;
}

/* ---- warnings ----------------------------------------------------- */

/*
 * Decision: one warning line per weakness (DES, MD5, DH group 1, DH
 * group 2), quoting the first offer that has it, lines joined by '\n'.
 * This keeps the text short whatever the list, and a line that would not
 * fit the buffer is left out whole rather than cut.
 */
enum weak { WEAK_DES = 1, WEAK_MD5 = 2, WEAK_G1 = 4, WEAK_G2 = 8 };

struct warns {
	char *buf;
	size_t len;
	unsigned seen;
};

static void
warns_init(struct warns *w, char *buf, size_t len)
{
	w->buf = buf;
	w->len = len;
	w->seen = 0;
	clearbuf(buf, len);
}

static void
warns_add(struct warns *w, unsigned weak, const char *tok, size_t n)
{
	static const struct {
		unsigned weak;
		const char *what;
	} names[] = {
		{ WEAK_DES, "DES" },
		{ WEAK_MD5, "MD5" },
		{ WEAK_G1, "DH group 1" },
		{ WEAK_G2, "DH group 2" },
	};
	char line[VOCAB_ERR_MAX], q[QBUF];
	size_t i, used, ll;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(weak & names[i].weak) || (w->seen & names[i].weak))
			continue;
		w->seen |= names[i].weak;
		if (w->buf == NULL || w->len == 0)
			continue;
		snprintf(line, sizeof(line),
			 "warning: \"%s\": %s is insecure and accepted only "
			 "for old peers.",
			 quote(q, tok, n), names[i].what);
		used = strlen(w->buf);
		ll = strlen(line);
		if (used + (used > 0) + ll + 1 > w->len)
			continue;
		if (used > 0)
			w->buf[used++] = '\n';
		memcpy(w->buf + used, line, ll + 1);
	}
}

/* ---- main mode security methods ----------------------------------- */

static const char *const mm_enc_names[] = {
	[MM_ENC_DES] = "DES",	    [MM_ENC_3DES] = "3DES",
	[MM_ENC_AES128] = "AES128", [MM_ENC_AES192] = "AES192",
	[MM_ENC_AES256] = "AES256",
};

static const char *const mm_hash_names[] = {
	[MM_HASH_MD5] = "MD5",	     [MM_HASH_SHA1] = "SHA1",
	[MM_HASH_SHA256] = "SHA256", [MM_HASH_SHA384] = "SHA384",
	[MM_HASH_SHA512] = "SHA512",
};

/* netsh group numbers 1-3 (3 is MODP 2048, IANA 14), then IANA ones. */
static const int mm_groups[] = { 1, 2, 3, 14, 15, 16, 19, 20, 21, 31 };

static int
mm_iana(int group)
{
	return group == 3 ? 14 : group;
}

/* Index of the exact (case-insensitive) name in names[], or -1. */
static int
name_lookup(const char *s, size_t n, const char *const *names, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (names[i] != NULL && ieq(s, n, names[i]))
			return (int)i;
	return -1;
}

static const char *
enum_name(const char *const *names, size_t count, int v)
{
	if (v < 0 || (size_t)v >= count || names[v] == NULL)
		return "?";
	return names[v];
}

static int
mm_offer_parse(const char *s, size_t n, struct mm_offer *o, unsigned *weak,
	       char *err, size_t errlen)
{
	const char *d1, *d2, *g;
	size_t el, hl, gl, i = NELEM(mm_groups);
	int enc, hash;
	uint64_t group = 0;
	char q[QBUF], q2[QBUF];

	d1 = memchr(s, '-', n);
	d2 = d1 ? memchr(d1 + 1, '-', n - (size_t)(d1 + 1 - s)) : NULL;
	if (d1 == NULL || d2 == NULL ||
	    memchr(d2 + 1, '-', n - (size_t)(d2 + 1 - s)) != NULL ||
	    d1 == s || d2 == d1 + 1 || d2 + 1 == s + n) {
		seterr(err, errlen,
		       "\"%s\" is not a valid main mode offer (use "
		       "ENC-HASH-GROUP, e.g. AES128-SHA256-14).",
		       quote(q, s, n));
		return -1;
	}
	el = (size_t)(d1 - s);
	hl = (size_t)(d2 - d1 - 1);
	g = d2 + 1;
	gl = n - (size_t)(g - s);
	enc = name_lookup(s, el, mm_enc_names, NELEM(mm_enc_names));
	if (enc < 0) {
		seterr(err, errlen,
		       "\"%s\": unknown encryption algorithm \"%s\" (use "
		       "AES128, AES192, AES256 or 3DES).",
		       quote(q, s, n), quote(q2, s, el));
		return -1;
	}
	hash = name_lookup(d1 + 1, hl, mm_hash_names, NELEM(mm_hash_names));
	if (hash < 0) {
		seterr(err, errlen,
		       "\"%s\": unknown hash algorithm \"%s\" (use SHA256, "
		       "SHA384, SHA512 or SHA1).",
		       quote(q, s, n), quote(q2, d1 + 1, hl));
		return -1;
	}
	if (parse_dec(g, gl, 1000, &group) == 0)
		for (i = 0; i < NELEM(mm_groups); i++)
			if ((uint64_t)mm_groups[i] == group)
				break;
	if (group == 0 || i == NELEM(mm_groups)) {
		seterr(err, errlen,
		       "\"%s\": unknown Diffie-Hellman group \"%s\" (use 1, "
		       "2, 3, 14, 15, 16, 19, 20, 21 or 31).",
		       quote(q, s, n), quote(q2, g, gl));
		return -1;
	}
	o->enc = (enum mm_enc)enc;
	o->hash = (enum mm_hash)hash;
	o->group = (int)group;
	o->iana_group = mm_iana(o->group);
	*weak = (enc == MM_ENC_DES ? WEAK_DES : 0) |
		(hash == MM_HASH_MD5 ? WEAK_MD5 : 0) |
		(group == 1 ? WEAK_G1 : 0) | (group == 2 ? WEAK_G2 : 0);
	return 0;
}

static void
mm_offer_format(const struct mm_offer *o, struct sb *b)
{
	sb_printf(b, "%s-%s-%d",
		  enum_name(mm_enc_names, NELEM(mm_enc_names), (int)o->enc),
		  enum_name(mm_hash_names, NELEM(mm_hash_names), (int)o->hash),
		  o->group);
}

int
vocab_mmsec_parse(const char *text, struct mm_methods *out, char *err,
		  size_t errlen, char *warn, size_t warnlen)
{
	struct mm_methods m;
	struct warns w;
	size_t n, pos = 0, wl, i;
	const char *word;
	const char *tok[VOCAB_OFFERS_MAX] = { NULL };
	size_t tokl[VOCAB_OFFERS_MAX] = { 0 };
	unsigned weak;
	char q[QBUF], q2[QBUF];

	clearbuf(err, errlen);
	warns_init(&w, warn, warnlen);
	if (text == NULL)
		text = "";
	n = strlen(text);
	memset(&m, 0, sizeof(m));
	while (next_word(text, n, &pos, &word, &wl)) {
		struct mm_offer *o = &m.offer[m.n];

		if (m.n == VOCAB_OFFERS_MAX) {
			seterr(err, errlen,
			       "more than %d main mode offers; at most %d are "
			       "allowed.",
			       VOCAB_OFFERS_MAX, VOCAB_OFFERS_MAX);
			goto fail;
		}
		if (mm_offer_parse(word, wl, o, &weak, err, errlen) < 0)
			goto fail;
		for (i = 0; i < m.n; i++) {
			const struct mm_offer *p = &m.offer[i];

			if (p->enc != o->enc || p->hash != o->hash ||
			    p->iana_group != o->iana_group)
				continue;
			if (p->group == o->group)
				seterr(err, errlen,
				       "\"%s\" is offered twice.",
				       quote(q, word, wl));
			else
				seterr(err, errlen,
				       "\"%s\" repeats \"%s\": DH group 3 is "
				       "group 14.",
				       quote(q, word, wl),
				       quote(q2, tok[i], tokl[i]));
			goto fail;
		}
		warns_add(&w, weak, word, wl);
		tok[m.n] = word;
		tokl[m.n] = wl;
		m.n++;
	}
	if (m.n == 0) {
		seterr(err, errlen, "no main mode security methods given.");
		goto fail;
	}
	if (out != NULL)
		*out = m;
	return 0;
fail:
	clearbuf(warn, warnlen);
	return -1;
}

void
vocab_mmsec_format(const struct mm_methods *m, char *buf, size_t len)
{
	struct sb b;
	size_t i;

	sb_init(&b, buf, len);
	if (m == NULL || m->n > VOCAB_OFFERS_MAX) {
		b.over = true;
		sb_finish(&b);
		return;
	}
	for (i = 0; i < m->n; i++) {
		if (i > 0)
			sb_printf(&b, " ");
		mm_offer_format(&m->offer[i], &b);
	}
	sb_finish(&b);
}

/* ---- quick mode security methods ---------------------------------- */

static const char *const qm_conf_names[] = {
	[QM_CONF_NONE] = "None",	   [QM_CONF_DES] = "DES",
	[QM_CONF_3DES] = "3DES",	   [QM_CONF_AES128] = "AES128",
	[QM_CONF_AES192] = "AES192",	   [QM_CONF_AES256] = "AES256",
	[QM_CONF_AES128GCM] = "AES128GCM", [QM_CONF_AES256GCM] = "AES256GCM",
};

static const char *const qm_integ_names[] = {
	[QM_INTEG_NONE] = "None",     [QM_INTEG_MD5] = "MD5",
	[QM_INTEG_SHA1] = "SHA1",     [QM_INTEG_SHA256] = "SHA256",
	[QM_INTEG_SHA384] = "SHA384", [QM_INTEG_SHA512] = "SHA512",
};

/* AH authenticates with these only. */
static const char *const qm_ah_names[] = {
	[QM_INTEG_MD5] = "MD5",
	[QM_INTEG_SHA1] = "SHA1",
	[QM_INTEG_SHA256] = "SHA256",
};

static bool
qm_gcm(enum qm_conf c)
{
	return c == QM_CONF_AES128GCM || c == QM_CONF_AES256GCM;
}

static int
qm_syntax(const char *s, size_t n, char *err, size_t errlen)
{
	char q[QBUF];

	seterr(err, errlen,
	       "\"%s\" is not a valid quick mode offer (use ESP[CONF,INTEG], "
	       "AH[HASH] or AH[HASH]+ESP[CONF,INTEG]).",
	       quote(q, s, n));
	return -1;
}

/* "Nk/Ns", "Nk" or "Ns" in s[0..n); tok is the whole offer. */
static int
qm_lifetime_parse(const char *tok, size_t tokl, const char *s, size_t n,
		  struct qm_offer *o, char *err, size_t errlen)
{
	const char *p = s, *end = s + n, *num;
	size_t nl;
	uint64_t v;
	int rc;
	bool want_k = true;
	char q[QBUF], q2[QBUF];

	while (p < end) {
		num = p;
		while (p < end && is_digit((unsigned char)*p))
			p++;
		nl = (size_t)(p - num);
		if (nl == 0 || p == end)
			goto syntax;
		if (want_k && to_lower((unsigned char)*p) == 'k') {
			rc = parse_dec(num, nl, VOCAB_QM_KBYTES_MAX, &v);
			if (rc == -1)
				goto syntax;
			if (rc == -2 || v < VOCAB_QM_KBYTES_MIN) {
				seterr(err, errlen,
				       "\"%s\": lifetime %sk is out of range "
				       "(use %d-%d kilobytes).",
				       quote(q, tok, tokl), quote(q2, num, nl),
				       VOCAB_QM_KBYTES_MIN,
				       VOCAB_QM_KBYTES_MAX);
				return -1;
			}
			o->kbytes = (uint32_t)v;
			want_k = false;
			p++;
			if (p == end)
				return 0;
			if (*p != '/' || ++p == end)
				goto syntax;
			continue;
		}
		if (to_lower((unsigned char)*p) != 's' || p + 1 != end)
			goto syntax;
		rc = parse_dec(num, nl, VOCAB_QM_SECONDS_MAX, &v);
		if (rc == -1)
			goto syntax;
		if (rc == -2 || v < VOCAB_QM_SECONDS_MIN) {
			seterr(err, errlen,
			       "\"%s\": lifetime %ss is out of range (use "
			       "%d-%d seconds).",
			       quote(q, tok, tokl), quote(q2, num, nl),
			       VOCAB_QM_SECONDS_MIN, VOCAB_QM_SECONDS_MAX);
			return -1;
		}
		o->seconds = (uint32_t)v;
		return 0;
	}
syntax:
	seterr(err, errlen,
	       "\"%s\": bad lifetime \"%s\" (use :Nk/Ns, :Nk or :Ns).",
	       quote(q, tok, tokl), quote(q2, s, n));
	return -1;
}

static int
qm_esp_parse(const char *tok, size_t tokl, const char *s, size_t n,
	     struct qm_offer *o, char *err, size_t errlen)
{
	const char *comma = memchr(s, ',', n);
	size_t cl = comma ? (size_t)(comma - s) : n, il = 0;
	const char *integ = comma ? comma + 1 : NULL;
	int c, i = QM_INTEG_NONE;
	char q[QBUF], q2[QBUF];

	if (integ != NULL) {
		il = n - cl - 1;
		if (memchr(integ, ',', il) != NULL)
			return qm_syntax(tok, tokl, err, errlen);
	}
	c = name_lookup(s, cl, qm_conf_names, NELEM(qm_conf_names));
	if (c < 0) {
		seterr(err, errlen,
		       "\"%s\": unknown ESP encryption \"%s\" (use AES128, "
		       "AES192, AES256, AES128GCM, AES256GCM, 3DES or None).",
		       quote(q, tok, tokl), quote(q2, s, cl));
		return -1;
	}
	if (integ == NULL) {
		if (!qm_gcm((enum qm_conf)c)) {
			seterr(err, errlen,
			       "\"%s\": ESP takes CONF,INTEG (e.g. "
			       "ESP[AES128,SHA256]); only AES128GCM and "
			       "AES256GCM stand alone.",
			       quote(q, tok, tokl));
			return -1;
		}
	} else {
		i = name_lookup(integ, il, qm_integ_names,
				NELEM(qm_integ_names));
		if (i < 0) {
			seterr(err, errlen,
			       "\"%s\": unknown ESP integrity \"%s\" (use "
			       "SHA1, SHA256, SHA384, SHA512 or None).",
			       quote(q, tok, tokl), quote(q2, integ, il));
			return -1;
		}
		if (qm_gcm((enum qm_conf)c) && i != QM_INTEG_NONE) {
			seterr(err, errlen,
			       "\"%s\": %s includes integrity; write "
			       "ESP[%s].",
			       quote(q, tok, tokl), qm_conf_names[c],
			       qm_conf_names[c]);
			return -1;
		}
		if (c == QM_CONF_NONE && i == QM_INTEG_NONE) {
			seterr(err, errlen,
			       "\"%s\": ESP[None,None] protects nothing; give "
			       "an encryption or an integrity algorithm.",
			       quote(q, tok, tokl));
			return -1;
		}
	}
	o->esp = true;
	o->esp_conf = (enum qm_conf)c;
	o->esp_integ = (enum qm_integ)i;
	return 0;
}

static int
qm_offer_parse_tok(const char *s, size_t n, struct qm_offer *out,
		   unsigned *weak, char *err, size_t errlen)
{
	struct qm_offer o;
	const char *colon = memchr(s, ':', n);
	const char *p = s, *pe = colon ? colon : s + n, *rb;
	int h;
	char q[QBUF], q2[QBUF];

	memset(&o, 0, sizeof(o));
	o.kbytes = VOCAB_QM_KBYTES_DEFAULT;
	o.seconds = VOCAB_QM_SECONDS_DEFAULT;
	if (istarts(p, (size_t)(pe - p), "AH[")) {
		p += 3;
		rb = memchr(p, ']', (size_t)(pe - p));
		if (rb == NULL)
			return qm_syntax(s, n, err, errlen);
		h = name_lookup(p, (size_t)(rb - p), qm_ah_names,
				NELEM(qm_ah_names));
		if (h < 0) {
			seterr(err, errlen,
			       "\"%s\": AH takes SHA1, SHA256 or MD5, not "
			       "\"%s\".",
			       quote(q, s, n), quote(q2, p, (size_t)(rb - p)));
			return -1;
		}
		o.ah = true;
		o.ah_hash = (enum qm_integ)h;
		p = rb + 1;
		if (p < pe) {
			if (*p != '+' ||
			    !istarts(p + 1, (size_t)(pe - p - 1), "ESP["))
				return qm_syntax(s, n, err, errlen);
			p++;
		}
	}
	if (p < pe) {
		if (!istarts(p, (size_t)(pe - p), "ESP["))
			return qm_syntax(s, n, err, errlen);
		p += 4;
		rb = memchr(p, ']', (size_t)(pe - p));
		if (rb == NULL || rb + 1 != pe)
			return qm_syntax(s, n, err, errlen);
		if (qm_esp_parse(s, n, p, (size_t)(rb - p), &o, err, errlen) <
		    0)
			return -1;
	}
	if (!o.ah && !o.esp)
		return qm_syntax(s, n, err, errlen);
	if (colon != NULL &&
	    qm_lifetime_parse(s, n, colon + 1, n - (size_t)(colon + 1 - s), &o,
			      err, errlen) < 0)
		return -1;
	*weak = ((o.esp && o.esp_conf == QM_CONF_DES) ? WEAK_DES : 0) |
		((o.ah && o.ah_hash == QM_INTEG_MD5) ||
				 (o.esp && o.esp_integ == QM_INTEG_MD5)
			 ? WEAK_MD5
			 : 0);
	*out = o;
	return 0;
}

/*
 * Decision: two offers with the same protocols and algorithms are
 * duplicates even if their lifetimes differ.  Lifetimes are not what a
 * peer chooses between; the second offer would be a copy of the first
 * with a different rekey time, which is almost certainly a slip.
 */
static bool
qm_same(const struct qm_offer *a, const struct qm_offer *b)
{
	return a->ah == b->ah && (!a->ah || a->ah_hash == b->ah_hash) &&
	       a->esp == b->esp &&
	       (!a->esp ||
		(a->esp_conf == b->esp_conf && a->esp_integ == b->esp_integ));
}

int
vocab_qmsec_parse(const char *text, struct qm_methods *out, char *err,
		  size_t errlen, char *warn, size_t warnlen)
{
	struct qm_methods m;
	struct warns w;
	size_t n, pos = 0, wl, i;
	const char *word;
	const char *tok[VOCAB_OFFERS_MAX] = { NULL };
	size_t tokl[VOCAB_OFFERS_MAX] = { 0 };
	unsigned weak;
	char q[QBUF], q2[QBUF];

	clearbuf(err, errlen);
	warns_init(&w, warn, warnlen);
	if (text == NULL)
		text = "";
	n = strlen(text);
	memset(&m, 0, sizeof(m));
	while (next_word(text, n, &pos, &word, &wl)) {
		struct qm_offer *o = &m.offer[m.n];

		if (m.n == VOCAB_OFFERS_MAX) {
			seterr(err, errlen,
			       "more than %d quick mode offers; at most %d "
			       "are allowed.",
			       VOCAB_OFFERS_MAX, VOCAB_OFFERS_MAX);
			goto fail;
		}
		if (qm_offer_parse_tok(word, wl, o, &weak, err, errlen) < 0)
			goto fail;
		for (i = 0; i < m.n; i++) {
			if (!qm_same(&m.offer[i], o))
				continue;
			seterr(err, errlen,
			       "\"%s\" repeats the algorithms of \"%s\".",
			       quote(q, word, wl),
			       quote(q2, tok[i], tokl[i]));
			goto fail;
		}
		warns_add(&w, weak, word, wl);
		tok[m.n] = word;
		tokl[m.n] = wl;
		m.n++;
	}
	if (m.n == 0) {
		seterr(err, errlen, "no quick mode security methods given.");
		goto fail;
	}
	if (out != NULL)
		*out = m;
	return 0;
fail:
	clearbuf(warn, warnlen);
	return -1;
}

int
vocab_qmoffer_parse(const char *text, struct qm_offer *out, char *err,
		    size_t errlen, char *warn, size_t warnlen)
{
	struct qm_offer o;
	struct warns w;
	size_t n, pos = 0, wl, wl2;
	const char *word, *word2;
	unsigned weak;
	char q[QBUF];

	clearbuf(err, errlen);
	warns_init(&w, warn, warnlen);
	if (text == NULL)
		text = "";
	n = strlen(text);
	if (!next_word(text, n, &pos, &word, &wl)) {
		seterr(err, errlen, "no quick mode offer given.");
		return -1;
	}
	if (next_word(text, n, &pos, &word2, &wl2)) {
		seterr(err, errlen,
		       "\"%s\": give exactly one quick mode offer.",
		       quote(q, text, n));
		return -1;
	}
	if (qm_offer_parse_tok(word, wl, &o, &weak, err, errlen) < 0)
		return -1;
	warns_add(&w, weak, word, wl);
	if (out != NULL)
		*out = o;
	return 0;
}

static void
qm_offer_format(const struct qm_offer *o, struct sb *b)
{
	if (!o->ah && !o->esp) {
		sb_printf(b, "?");
		return;
	}
	if (o->ah)
		sb_printf(b, "AH[%s]%s",
			  enum_name(qm_ah_names, NELEM(qm_ah_names),
				    (int)o->ah_hash),
			  o->esp ? "+" : "");
	if (o->esp && qm_gcm(o->esp_conf) && o->esp_integ == QM_INTEG_NONE)
		sb_printf(b, "ESP[%s]", qm_conf_names[o->esp_conf]);
	else if (o->esp)
		sb_printf(b, "ESP[%s,%s]",
			  enum_name(qm_conf_names, NELEM(qm_conf_names),
				    (int)o->esp_conf),
			  enum_name(qm_integ_names, NELEM(qm_integ_names),
				    (int)o->esp_integ));
	sb_printf(b, ":%uk/%us", (unsigned)o->kbytes, (unsigned)o->seconds);
}

void
vocab_qmsec_format(const struct qm_methods *m, char *buf, size_t len)
{
	struct sb b;
	size_t i;

	sb_init(&b, buf, len);
	if (m == NULL || m->n > VOCAB_OFFERS_MAX) {
		b.over = true;
		sb_finish(&b);
		return;
	}
	for (i = 0; i < m->n; i++) {
		if (i > 0)
			sb_printf(&b, " ");
		qm_offer_format(&m->offer[i], &b);
	}
	sb_finish(&b);
}

void
vocab_qmoffer_format(const struct qm_offer *o, char *buf, size_t len)
{
	struct sb b;

	sb_init(&b, buf, len);
	if (o != NULL)
		qm_offer_format(o, &b);
	else
		b.over = true;
	sb_finish(&b);
}

/* ---- PFS groups --------------------------------------------------- */

static const struct {
	const char *name;
	int group; /* IANA; 0 NOPFS, -1 GRPMM */
} pfsgroups[] = {
	{ "GRP1", 1 },	  { "GRP2", 2 },   { "GRP3", 14 },  { "GRP14", 14 },
	{ "GRP15", 15 },  { "GRP16", 16 }, { "GRP19", 19 }, { "GRP20", 20 },
	{ "GRP21", 21 },  { "GRP31", 31 }, { "GRPMM", -1 }, { "NOPFS", 0 },
};

/*
 * Enumerated value: case-insensitive, any unambiguous prefix, and an
 * exact name wins over the longer names it begins ("GRP2" is not
 * ambiguous with GRP20 and GRP21).
 */
int
vocab_pfsgroup_parse(const char *text, int *out, char *err, size_t errlen)
{
	size_t n, i, hit = 0, hits = 0;
	char q[QBUF], list[VOCAB_ERR_MAX];
	struct sb b;

	clearbuf(err, errlen);
	if (text == NULL)
		text = "";
	n = strlen(text);
	for (i = 0; i < NELEM(pfsgroups); i++) {
		if (ieq(text, n, pfsgroups[i].name)) {
			hit = i;
			hits = 1;
			break;
		}
		if (iprefix(text, n, pfsgroups[i].name)) {
			hit = i;
			hits++;
		}
	}
	if (hits == 1) {
		if (out != NULL)
			*out = pfsgroups[hit].group;
		return 0;
	}
	if (hits > 1) {
		sb_init(&b, list, sizeof(list));
		for (i = 0; i < NELEM(pfsgroups); i++)
			if (iprefix(text, n, pfsgroups[i].name))
				sb_printf(&b, "%s%s", b.used ? ", " : "",
					  pfsgroups[i].name);
		sb_finish(&b);
		seterr(err, errlen, "\"%s\" is ambiguous: %s.",
		       quote(q, text, n), list);
		return -1;
	}
	seterr(err, errlen,
	       "\"%s\" is not a valid PFS group (use GRP1, GRP2, GRP3, GRP14, "
	       "GRP15, GRP16, GRP19, GRP20, GRP21, GRP31, GRPMM or NOPFS).",
	       quote(q, text, n));
	return -1;
}

/*
 * Decision: IANA group 14 is written GRP14, so "GRP3" reads back as
 * "GRP14" (the same MODP 2048 group); the int carries no spelling.
 */
void
vocab_pfsgroup_format(int group, char *buf, size_t len)
{
	struct sb b;
	size_t i;

	sb_init(&b, buf, len);
	for (i = 0; i < NELEM(pfsgroups); i++)
		if (pfsgroups[i].group == group &&
		    (group != 14 || strcmp(pfsgroups[i].name, "GRP14") == 0))
			break;
	sb_printf(&b, "%s", i < NELEM(pfsgroups) ? pfsgroups[i].name : "?");
	sb_finish(&b);
}

/* ---- root CA ------------------------------------------------------ */

static const char *const rootca_opts[] = { "certmap", "excludecaname" };

/* yes/no and their prefixes: y, ye, yes, n, no. */
static int
yesno(const char *s, size_t n)
{
	if (iprefix(s, n, "yes"))
		return 1;
	if (iprefix(s, n, "no"))
		return 0;
	return -1;
}

/*
 * The options are peeled off the end, one word at a time.
 * Decisions:
 *  - A trailing word shaped like an option, letters ':' yes/no
 *    ("certmapp:yes"), whose key is not known is an error, not part of
 *    the CA: a misspelt option must not silently become part of the CA
 *    name while the option keeps its default.  Words with ':' of other
 *    shapes ("host:8443", "C=US:x") are part of the CA.
 *  - An option word before the CA's last word ("certmap:yes MyCA") is an
 *    error: options must follow the CA.
 *  - The same option twice is an error.
 *  - The CA is the rest with outer blanks removed and inner blanks kept
 *    as typed; it must be valid UTF-8 without control characters.
 */
int
vocab_rootca_parse(const char *text, struct rootca_spec *out, char *err,
		   size_t errlen)
{
	struct rootca_spec r;
	size_t b = 0, e, i, k, o, pos, wl;
	int val[2] = { -1, -1 };
	const char *w;
	char q[QBUF];
	bool ctl;

	clearbuf(err, errlen);
	if (text == NULL)
		text = "";
	memset(&r, 0, sizeof(r));
	e = strlen(text);
	while (b < e && is_blank((unsigned char)text[b]))
		b++;
	while (e > b) {
		const char *colon;
		size_t ws, kl;

		while (e > b && is_blank((unsigned char)text[e - 1]))
			e--;
		ws = e;
		while (ws > b && !is_blank((unsigned char)text[ws - 1]))
			ws--;
		w = text + ws;
		wl = e - ws;
		colon = memchr(w, ':', wl);
		if (wl == 0 || colon == NULL)
			break;
		kl = (size_t)(colon - w);
		for (k = 0; k < NELEM(rootca_opts); k++)
			if (ieq(w, kl, rootca_opts[k]))
				break;
		if (k == NELEM(rootca_opts)) {
			for (i = 0; i < kl && is_alpha((unsigned char)w[i]);
			     i++)
				;
			if (kl > 0 && i == kl &&
			    yesno(colon + 1, wl - kl - 1) >= 0) {
				seterr(err, errlen,
				       "unknown rootca option \"%s\" (use "
				       "certmap:yes|no and "
				       "excludecaname:yes|no).",
				       quote(q, w, wl));
				return -1;
			}
			break;
		}
		if (val[k] >= 0) {
			seterr(err, errlen,
			       "\"%s\": %s is given twice.", quote(q, w, wl),
			       rootca_opts[k]);
			return -1;
		}
		if ((val[k] = yesno(colon + 1, wl - kl - 1)) < 0) {
			seterr(err, errlen,
			       "\"%s\": use %s:yes or %s:no.", quote(q, w, wl),
			       rootca_opts[k], rootca_opts[k]);
			return -1;
		}
		e = ws;
	}
	if (e == b) {
		seterr(err, errlen,
		       "rootca needs a CA (a PEM file path or a certificate "
		       "subject) before its options.");
		return -1;
	}
	pos = b;
	while (next_word(text, e, &pos, &w, &wl)) {
		for (k = 0; k < NELEM(rootca_opts); k++) {
			size_t kl = strlen(rootca_opts[k]);

			if (wl > kl && istarts(w, wl, rootca_opts[k]) &&
			    w[kl] == ':') {
				seterr(err, errlen,
				       "\"%s\": rootca options must follow "
				       "the CA.",
				       quote(q, w, wl));
				return -1;
			}
		}
	}
	if (check_text(text + b, e - b, &ctl) < 0) {
		seterr(err, errlen, "\"%s\": the CA %s.",
		       quote(q, text + b, e - b),
		       ctl ? "contains a control character"
			   : "is not valid UTF-8");
		return -1;
	}
	/* \' stands for a double quote (netsh: quotes cannot nest). */
	for (i = b, o = 0; i < e; o++) {
		if (o == sizeof(r.ca) - 1) {
			seterr(err, errlen,
			       "the CA of rootca is longer than %zu bytes.",
			       sizeof(r.ca) - 1);
			return -1;
		}
		if (text[i] == '\\' && i + 1 < e && text[i + 1] == '\'') {
			r.ca[o] = '"';
			i += 2;
		} else {
			r.ca[o] = text[i++];
		}
	}
	r.ca[o] = '\0';
	r.certmap = val[0] == 1;
	r.excludecaname = val[1] == 1;
	if (out != NULL)
		*out = r;
	return 0;
}

void
vocab_rootca_format(const struct rootca_spec *r, char *buf, size_t len)
{
	struct sb b;
	size_t i;

	sb_init(&b, buf, len);
	if (r == NULL || memchr(r->ca, '\0', sizeof(r->ca)) == NULL) {
		b.over = true;
		sb_finish(&b);
		return;
	}
	for (i = 0; r->ca[i] != '\0'; i++) {
		if (r->ca[i] == '"')
			sb_printf(&b, "\\'");
		else
			sb_printf(&b, "%c", r->ca[i]);
	}
	sb_printf(&b, " certmap:%s excludecaname:%s",
		  r->certmap ? "yes" : "no", r->excludecaname ? "yes" : "no");
	sb_finish(&b);
}

/* ---- names and GUIDs ---------------------------------------------- */

/*
 * Decision: besides the contract (1-255 bytes, no control characters,
 * not all blanks) a name must be valid UTF-8, and C1 controls count as
 * control characters: names are shown on terminals and exported as JSON.
 */
int
vocab_name_check(const char *text, const char *what, char *err,
		 size_t errlen)
{
	size_t n, i;
	char q[QBUF];
	bool ctl;

	clearbuf(err, errlen);
	if (what == NULL)
		what = "name";
	if (text == NULL)
		text = "";
	n = strlen(text);
	if (n == 0) {
		seterr(err, errlen, "The %s must not be empty.", what);
		return -1;
	}
	if (n > 255) {
		seterr(err, errlen,
		       "The %s \"%s\" is too long (at most 255 bytes).", what,
		       quote(q, text, n));
		return -1;
	}
	if (check_text(text, n, &ctl) < 0) {
		seterr(err, errlen, "The %s \"%s\" %s.", what,
		       quote(q, text, n),
		       ctl ? "contains a control character"
			   : "is not valid UTF-8");
		return -1;
	}
	for (i = 0; i < n && text[i] == ' '; i++)
		;
	if (i == n) {
		seterr(err, errlen, "The %s must not be blank.", what);
		return -1;
	}
	return 0;
}

int
vocab_guid_parse(const char *text, char out[39], char *err, size_t errlen)
{
	static const size_t groups[] = { 8, 4, 4, 4, 12 };
	const char *s;
	size_t n, i, g, o = 1;
	char buf[39], q[QBUF];

	clearbuf(err, errlen);
	if (text == NULL)
		text = "";
	s = text;
	n = strlen(text);
	if (n == 38 && s[0] == '{' && s[37] == '}') {
		s++;
		n -= 2;
	}
	if (n != 36)
		goto bad;
	buf[0] = '{';
	for (g = 0, i = 0; g < NELEM(groups); g++) {
		size_t k;

		if (g > 0) {
			if (s[i] != '-')
				goto bad;
			buf[o++] = s[i++];
		}
		for (k = 0; k < groups[g]; k++, i++) {
			if (!is_xdigit((unsigned char)s[i]))
				goto bad;
			buf[o++] = (char)to_upper((unsigned char)s[i]);
		}
	}
	buf[o++] = '}';
	buf[o] = '\0';
	if (out != NULL)
		memcpy(out, buf, sizeof(buf));
	return 0;
bad:
	seterr(err, errlen,
	       "\"%s\" is not a valid GUID (use "
	       "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}).",
	       quote(q, text, strlen(text)));
	return -1;
}
