/*
 * ike_msg.c - the ISAKMP message codec (ike_msg.h describes the formats
 * and the rules it enforces).
 *
 * The parser is a bounded cursor (struct cur): every read checks what is
 * left first, lengths are compared as "n > left" so nothing overflows,
 * fixed headers are copied out with memcpy and decoded from the copy,
 * and no packet byte is ever cast to a struct.  One decoder per payload
 * kind checks the payload completely; the builder runs the same decoder
 * over each payload it writes, so the two sides cannot drift apart.
 */
#include "ike_msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define NOWHERE ((size_t)-1)

static const uint8_t empty[1];

/* ---- names --------------------------------------------------------- */

struct ike_name {
	unsigned value;
	const char *name;
};

#define IKE_X_NAME(id, value, name) {value, name},
static const struct ike_name exch_names[] = {IKE_EXCHANGES(IKE_X_NAME)};
static const struct ike_name pl_names[] = {IKE_PAYLOADS(IKE_X_NAME)};
static const struct ike_name notify_names[] = {IKE_NOTIFIES(IKE_X_NAME)};
static const struct ike_name doi_names[] = {IKE_DOIS(IKE_X_NAME)};
static const struct ike_name proto_names[] = {IKE_PROTOS(IKE_X_NAME)};
static const struct ike_name xf_isakmp_names[] = {
    IKE_XF_ISAKMP_IDS(IKE_X_NAME)};
static const struct ike_name xf_ah_names[] = {IKE_XF_AH_IDS(IKE_X_NAME)};
static const struct ike_name xf_esp_names[] = {IKE_XF_ESP_IDS(IKE_X_NAME)};
static const struct ike_name xf_ipcomp_names[] = {
    IKE_XF_IPCOMP_IDS(IKE_X_NAME)};
static const struct ike_name oakley_attr_names[] = {
    IKE_OAKLEY_ATTRS(IKE_X_NAME)};
static const struct ike_name oakley_enc_names[] = {IKE_OAKLEY_ENCS(IKE_X_NAME)};
static const struct ike_name oakley_hash_names[] = {
    IKE_OAKLEY_HASHES(IKE_X_NAME)};
static const struct ike_name oakley_auth_names[] = {
    IKE_OAKLEY_AUTHS(IKE_X_NAME)};
static const struct ike_name group_names[] = {IKE_GROUPS(IKE_X_NAME)};
static const struct ike_name group_type_names[] = {IKE_GROUP_TYPES(IKE_X_NAME)};
static const struct ike_name life_names[] = {IKE_LIFE_TYPES(IKE_X_NAME)};
static const struct ike_name ipsec_attr_names[] = {IKE_IPSEC_ATTRS(IKE_X_NAME)};
static const struct ike_name encap_names[] = {IKE_ENCAPS(IKE_X_NAME)};
static const struct ike_name ipsec_auth_names[] = {IKE_IPSEC_AUTHS(IKE_X_NAME)};
static const struct ike_name id_type_names[] = {IKE_ID_TYPES(IKE_X_NAME)};
static const struct ike_name cert_enc_names[] = {IKE_CERT_ENCS(IKE_X_NAME)};

/* NULL when v is not in the table. */
static const char *
lookup(const struct ike_name *t, size_t n, unsigned v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].value == v)
			return t[i].name;
	return NULL;
}

static const char *
named(const struct ike_name *t, size_t n, unsigned v)
{
	const char *s = lookup(t, n, v);

	return s != NULL ? s : "unknown";
}

const char *
ike_exch_name(unsigned v)
{
	return named(exch_names, NELEM(exch_names), v);
}

const char *
ike_pl_name(unsigned v)
{
	return named(pl_names, NELEM(pl_names), v);
}

const char *
ike_notify_name(unsigned v)
{
	return named(notify_names, NELEM(notify_names), v);
}

const char *
ike_doi_name(unsigned v)
{
	return named(doi_names, NELEM(doi_names), v);
}

const char *
ike_proto_name(unsigned v)
{
	return named(proto_names, NELEM(proto_names), v);
}

const char *
ike_xform_name(unsigned proto, unsigned id)
{
	switch (proto) {
	case IKE_PROTO_ISAKMP:
		return named(xf_isakmp_names, NELEM(xf_isakmp_names), id);
	case IKE_PROTO_AH:
		return named(xf_ah_names, NELEM(xf_ah_names), id);
	case IKE_PROTO_ESP:
		return named(xf_esp_names, NELEM(xf_esp_names), id);
	case IKE_PROTO_IPCOMP:
		return named(xf_ipcomp_names, NELEM(xf_ipcomp_names), id);
	default:
		return "unknown";
	}
}

const char *
ike_oakley_attr_name(unsigned type)
{
	return named(oakley_attr_names, NELEM(oakley_attr_names), type);
}

const char *
ike_oakley_value_name(unsigned type, unsigned value)
{
	switch (type) {
	case IKE_OA_ENC:
		return lookup(oakley_enc_names, NELEM(oakley_enc_names), value);
	case IKE_OA_HASH:
		return lookup(oakley_hash_names, NELEM(oakley_hash_names),
		              value);
	case IKE_OA_AUTH:
		return lookup(oakley_auth_names, NELEM(oakley_auth_names),
		              value);
	case IKE_OA_GROUP_DESC:
		return lookup(group_names, NELEM(group_names), value);
	case IKE_OA_GROUP_TYPE:
		return lookup(group_type_names, NELEM(group_type_names), value);
	case IKE_OA_LIFE_TYPE:
		return lookup(life_names, NELEM(life_names), value);
	default:
		return NULL;
	}
}

const char *
ike_ipsec_attr_name(unsigned type)
{
	return named(ipsec_attr_names, NELEM(ipsec_attr_names), type);
}

const char *
ike_ipsec_value_name(unsigned type, unsigned value)
{
	switch (type) {
	case IKE_IA_LIFE_TYPE:
		return lookup(life_names, NELEM(life_names), value);
	case IKE_IA_GROUP_DESC:
		return lookup(group_names, NELEM(group_names), value);
	case IKE_IA_ENCAP_MODE:
		return lookup(encap_names, NELEM(encap_names), value);
	case IKE_IA_AUTH_ALG:
		return lookup(ipsec_auth_names, NELEM(ipsec_auth_names), value);
	default:
		return NULL;
	}
}

const char *
ike_group_name(unsigned v)
{
	return named(group_names, NELEM(group_names), v);
}

const char *
ike_id_type_name(unsigned v)
{
	return named(id_type_names, NELEM(id_type_names), v);
}

const char *
ike_cert_enc_name(unsigned v)
{
	return named(cert_enc_names, NELEM(cert_enc_names), v);
}

/* ---- byte order ---------------------------------------------------- */

static uint16_t
ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
ld32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
st16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
st32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- the cursor ---------------------------------------------------- */

/* Invariant: off <= len, so len - off never wraps. */
struct cur {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static void
cur_init(struct cur *c, struct ike_span s)
{
	c->p = s.p != NULL ? s.p : empty;
	c->len = s.p != NULL ? s.len : 0;
	c->off = 0;
}

static size_t
cur_left(const struct cur *c)
{
	return c->len - c->off;
}

static int
cur_copy(struct cur *c, void *dst, size_t n)
{
	if (n > cur_left(c))
		return -1;
	memcpy(dst, c->p + c->off, n);
	c->off += n;
	return 0;
}

/* The next n bytes as a span (into the same buffer). */
static int
cur_take(struct cur *c, size_t n, struct ike_span *out)
{
	if (n > cur_left(c))
		return -1;
	out->p = c->p + c->off;
	out->len = n;
	c->off += n;
	return 0;
}

static struct ike_span
cur_rest(struct cur *c)
{
	struct ike_span s = {c->p + c->off, cur_left(c)};

	c->off = c->len;
	return s;
}

/* ---- parse context and errors -------------------------------------- */

struct pctx {
	struct ike_msg *m; /* NULL: checking a payload for the builder */
	char *err;
	size_t errlen;
	uint16_t notify;
	int plidx; /* payload being decoded (for messages), -1: none */
	uint8_t pltype;
	unsigned nprops; /* pool use when m is NULL */
	unsigned nxforms;
};

static void
pctx_init(struct pctx *x, struct ike_msg *m, char *err, size_t errlen)
{
	memset(x, 0, sizeof(*x));
	x->m = m;
	x->err = errlen > 0 ? err : NULL;
	x->errlen = err != NULL ? errlen : 0;
	x->plidx = -1;
	if (x->err != NULL)
		x->err[0] = '\0';
}

static int fail(struct pctx *x, uint16_t notify, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the fault: a notify type and one line that says where. */
static int
fail(struct pctx *x, uint16_t notify, const char *fmt, ...)
{
	va_list ap;
	size_t n = 0;
	int k;

	x->notify = notify;
	if (x->err == NULL)
		return -1;
	if (x->plidx >= 0) {
		const char *name = ike_pl_name(x->pltype);

		if (strcmp(name, "unknown") == 0)
			k = snprintf(x->err, x->errlen,
			             "payload %d (type %u): ", x->plidx + 1,
			             x->pltype);
		else
			k = snprintf(x->err, x->errlen,
			             "payload %d (%s): ", x->plidx + 1, name);
		if (k > 0)
			n = (size_t)k < x->errlen ? (size_t)k : x->errlen - 1;
	}
	va_start(ap, fmt);
	vsnprintf(x->err + n, x->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- SPI sizes ----------------------------------------------------- */

enum spi_where { IN_PROPOSAL, IN_NOTIFY, IN_DELETE };

/*
 * RFC 2408 sections 3.5, 3.14, 3.15 and RFC 2407 section 4.4.1: an
 * ISAKMP SA's SPI is the cookie pair (16; a proposal may carry 0 or one
 * cookie too, and its bytes are ignored), AH and ESP SPIs are 4 bytes,
 * an IPCOMP CPI is 2 (or 4, padded).  A notify may concern a protocol
 * without naming an SPI.  Anything else (3, say) is refused.
 */
static bool
spi_size_ok(uint8_t proto, uint8_t size, enum spi_where where)
{
	bool none = where == IN_NOTIFY && size == 0;

	switch (proto) {
	case 0:
		return none;
	case IKE_PROTO_ISAKMP:
		if (where == IN_DELETE)
			return size == 16;
		return size == 0 || size == 8 || size == 16;
	case IKE_PROTO_AH:
	case IKE_PROTO_ESP:
		return none || size == 4;
	case IKE_PROTO_IPCOMP:
		return none || size == 2 || size == 4;
	default:
		return false;
	}
}

/* ---- SA attributes ------------------------------------------------- */

/*
 * One attribute at the cursor (RFC 2408 section 3.3).  why (optional)
 * says what is wrong.  Shared by the parser and ike_attr_next().
 */
static int
attr_decode(struct cur *c, struct ike_attr *a, char *why, size_t whylen)
{
	uint8_t h[4];
	uint16_t t, v;
	size_t i;

	memset(a, 0, sizeof(*a));
	if (cur_copy(c, h, sizeof(h)) < 0) {
		if (why != NULL)
			snprintf(why, whylen,
			         "truncated: %zu bytes left, an attribute "
			         "needs 4",
			         cur_left(c));
		return -1;
	}
	t = ld16(h);
	v = ld16(h + 2);
	a->type = t & (uint16_t)~IKE_ATTR_AF_TV;
	a->tv = (t & IKE_ATTR_AF_TV) != 0;
	if (a->type == 0) {
		if (why != NULL)
			snprintf(why, whylen, "type 0 is reserved");
		return -1;
	}
	if (a->tv) {
		a->value = v;
		a->has_value = true;
		a->data.p = c->p + c->off - 2;
		a->data.len = 2;
		return 0;
	}
	if (v == 0) {
		if (why != NULL)
			snprintf(why, whylen, "type %u has an empty value",
			         a->type);
		return -1;
	}
	if (cur_take(c, v, &a->data) < 0) {
		if (why != NULL)
			snprintf(why, whylen,
			         "type %u: value of %u bytes runs past the "
			         "transform (%zu bytes left)",
			         a->type, v, cur_left(c));
		return -1;
	}
	/* A number sent long (life durations as 8 bytes, say) still has a
	 * value if its significant bytes fit 32 bits. */
	for (i = 0; i < a->data.len && a->data.p[i] == 0; i++)
		;
	if (a->data.len - i <= 4) {
		a->has_value = true;
		for (; i < a->data.len; i++)
			a->value = a->value << 8 | a->data.p[i];
	}
	return 0;
}

void
ike_attr_iter_init(struct ike_attr_iter *it, const struct ike_xform *x)
{
	it->rest = x->attrs;
}

int
ike_attr_next(struct ike_attr_iter *it, struct ike_attr *a)
{
	struct cur c;

	if (it->rest.len == 0)
		return 0;
	cur_init(&c, it->rest);
	if (attr_decode(&c, a, NULL, 0) < 0) {
		it->rest.len = 0;
		return -1;
	}
	it->rest.p += c.off;
	it->rest.len -= c.off;
	return 1;
}

bool
ike_xform_attr(const struct ike_xform *x, uint16_t type, struct ike_attr *a)
{
	struct ike_attr_iter it;

	ike_attr_iter_init(&it, x);
	while (ike_attr_next(&it, a) == 1)
		if (a->type == type)
			return true;
	return false;
}

/* ---- SA payload ---------------------------------------------------- */

static int
decode_xform(struct pctx *x, struct cur *pc, unsigned pi, unsigned ti,
             uint8_t *next)
{
	struct ike_xform tmp, *xf;
	struct ike_attr a;
	struct cur ac;
	uint8_t h[8];
	uint16_t tlen;
	unsigned used = x->m != NULL ? x->m->nxforms : x->nxforms;
	char why[96];

	if (used >= IKE_MSG_XFORMS_MAX)
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "more than %d transforms in the message",
		            IKE_MSG_XFORMS_MAX);
	xf = x->m != NULL ? &x->m->xforms[used] : &tmp;
	memset(xf, 0, sizeof(*xf));
	if (cur_copy(pc, h, sizeof(h)) < 0)
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "proposal %u, transform %u: header truncated "
		            "(%zu bytes left, 8 needed)",
		            pi, ti, cur_left(pc));
	tlen = ld16(h + 2);
	if (tlen < sizeof(h))
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "proposal %u, transform %u: length %u is less "
		            "than its 8-byte header",
		            pi, ti, tlen);
	if (tlen - sizeof(h) > cur_left(pc))
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "proposal %u, transform %u: length %u runs past "
		            "the proposal (%zu bytes left)",
		            pi, ti, tlen, cur_left(pc) + sizeof(h));
	if (h[1] != 0 || h[6] != 0 || h[7] != 0)
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "proposal %u, transform %u: reserved bytes are "
		            "not zero",
		            pi, ti);
	*next = h[0];
	xf->num = h[4];
	xf->id = h[5];
	(void)cur_take(pc, tlen - sizeof(h), &xf->attrs);
	cur_init(&ac, xf->attrs);
	while (cur_left(&ac) > 0) {
		if (xf->nattrs >= IKE_XFORM_ATTRS_MAX)
			return fail(x, IKE_N_PAYLOAD_MALFORMED,
			            "proposal %u, transform %u: more than %d "
			            "attributes",
			            pi, ti, IKE_XFORM_ATTRS_MAX);
		if (attr_decode(&ac, &a, why, sizeof(why)) < 0)
			return fail(x, IKE_N_PAYLOAD_MALFORMED,
			            "proposal %u, transform %u, attribute %u: "
			            "%s",
			            pi, ti, xf->nattrs + 1u, why);
		xf->nattrs++;
	}
	if (x->m != NULL)
		x->m->nxforms++;
	else
		x->nxforms++;
	return 0;
}

static int
decode_prop(struct pctx *x, struct cur *c, unsigned pi, unsigned *last_num,
            uint8_t *next)
{
	struct ike_prop tmp, *pr;
	struct ike_span span;
	struct cur pc;
	uint8_t h[8], tnext = 0;
	uint16_t plen;
	unsigned i, used = x->m != NULL ? x->m->nprops : x->nprops;

	if (used >= IKE_MSG_PROPS_MAX)
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "more than %d proposals in the message",
		            IKE_MSG_PROPS_MAX);
	pr = x->m != NULL ? &x->m->props[used] : &tmp;
	memset(pr, 0, sizeof(*pr));
	if (cur_copy(c, h, sizeof(h)) < 0)
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "proposal %u: header truncated (%zu bytes left, "
		            "8 needed)",
		            pi, cur_left(c));
	plen = ld16(h + 2);
	if (plen < sizeof(h))
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "proposal %u: length %u is less than its 8-byte "
		            "header",
		            pi, plen);
	if (plen - sizeof(h) > cur_left(c))
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "proposal %u: length %u runs past the SA payload "
		            "(%zu bytes left)",
		            pi, plen, cur_left(c) + sizeof(h));
	if (h[1] != 0)
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "proposal %u: reserved byte is 0x%02x, not zero",
		            pi, h[1]);
	*next = h[0];
	pr->num = h[4];
	pr->proto = h[5];
	pr->spi_size = h[6];
	pr->nxforms = h[7];
	(void)cur_take(c, plen - sizeof(h), &span);
	cur_init(&pc, span);

	/* RFC 2408 section 4.2: proposals of one SA are numbered in
	 * increasing order; equal numbers are one bundle (AH and ESP). */
	if (pi > 1 && pr->num < *last_num)
		return fail(x, IKE_N_BAD_PROPOSAL_SYNTAX,
		            "proposal %u: number %u after %u (numbers must "
		            "not decrease)",
		            pi, pr->num, *last_num);
	*last_num = pr->num;
	if (pr->proto < IKE_PROTO_ISAKMP || pr->proto > IKE_PROTO_IPCOMP)
		return fail(x, IKE_N_INVALID_PROTOCOL_ID,
		            "proposal %u: protocol %u is not ISAKMP, AH, ESP "
		            "or IPCOMP",
		            pi, pr->proto);
	if (!spi_size_ok(pr->proto, pr->spi_size, IN_PROPOSAL))
		return fail(x, IKE_N_INVALID_SPI,
		            "proposal %u: SPI size %u is not valid for %s", pi,
		            pr->spi_size, ike_proto_name(pr->proto));
	if (cur_take(&pc, pr->spi_size, &pr->spi) < 0)
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "proposal %u: SPI of %u bytes runs past the "
		            "proposal (%zu bytes left)",
		            pi, pr->spi_size, cur_left(&pc));
	if (pr->nxforms == 0)
		return fail(x, IKE_N_BAD_PROPOSAL_SYNTAX,
		            "proposal %u (%s) has no transforms", pi,
		            ike_proto_name(pr->proto));
	pr->first_xform = (uint16_t)(x->m != NULL ? x->m->nxforms : x->nxforms);
	for (i = 1; i <= pr->nxforms; i++) {
		if (decode_xform(x, &pc, pi, i, &tnext) < 0)
			return -1;
		if (i == pr->nxforms && tnext != IKE_PL_NONE)
			return fail(x, IKE_N_BAD_PROPOSAL_SYNTAX,
			            "proposal %u: transform %u is the last "
			            "of %u but its next payload is %u",
			            pi, i, pr->nxforms, tnext);
		if (i < pr->nxforms && tnext != IKE_PL_T)
			return fail(x, IKE_N_BAD_PROPOSAL_SYNTAX,
			            "proposal %u: transform %u of %u has "
			            "next payload %u, not 3 (transform)",
			            pi, i, pr->nxforms, tnext);
	}
	if (cur_left(&pc) != 0)
		return fail(x, IKE_N_BAD_PROPOSAL_SYNTAX,
		            "proposal %u: %zu bytes after its %u "
		            "transforms",
		            pi, cur_left(&pc), pr->nxforms);
	if (x->m != NULL)
		x->m->nprops++;
	else
		x->nprops++;
	return 0;
}

static int
decode_sa(struct pctx *x, struct ike_pl *pl)
{
	struct ike_sa *sa = &pl->u.sa;
	struct cur c;
	uint8_t h[8], next = IKE_PL_NONE;
	unsigned last_num = 0;

	cur_init(&c, pl->body);
	if (cur_copy(&c, h, sizeof(h)) < 0)
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "%zu bytes, too short for DOI and situation",
		            pl->body.len);
	sa->doi = ld32(h);
	sa->situation = ld32(h + 4);
	if (sa->doi != IKE_DOI_IPSEC)
		return fail(x, IKE_N_DOI_NOT_SUPPORTED,
		            "DOI %u is not IPSEC (1)", sa->doi);
	/* Secrecy and integrity situations add labelled-domain fields
	 * (RFC 2407 section 4.6.1) that we neither parse nor need. */
	if (sa->situation != IKE_SIT_IDENTITY_ONLY)
		return fail(x, IKE_N_SITUATION_NOT_SUPPORTED,
		            "situation 0x%08x is not SIT_IDENTITY_ONLY",
		            sa->situation);
	sa->first_prop = (uint16_t)(x->m != NULL ? x->m->nprops : x->nprops);
	if (cur_left(&c) == 0)
		return fail(x, IKE_N_BAD_PROPOSAL_SYNTAX, "no proposals");
	for (;;) {
		if (decode_prop(x, &c, sa->nprops + 1u, &last_num, &next) < 0)
			return -1;
		sa->nprops++;
		if (next == IKE_PL_NONE)
			break;
		if (next != IKE_PL_P)
			return fail(x, IKE_N_BAD_PROPOSAL_SYNTAX,
			            "proposal %u has next payload %u, not 2 "
			            "(proposal) or 0",
			            sa->nprops, next);
		if (cur_left(&c) == 0)
			return fail(x, IKE_N_BAD_PROPOSAL_SYNTAX,
			            "proposal %u announces another that is "
			            "missing",
			            sa->nprops);
	}
	if (cur_left(&c) != 0)
		return fail(x, IKE_N_BAD_PROPOSAL_SYNTAX,
		            "%zu bytes after the last proposal", cur_left(&c));
	return 0;
}

/* ---- ID, CERT/CR, N, D, NAT-OA ------------------------------------- */

/*
 * The outer DER SEQUENCE of an ID_DER_ASN1_DN must fill the data: a
 * first gate against the bad-length DNs of CVE-2013-6075 (the X.509 code
 * still parses the inside with care).
 */
static int
der_sequence_check(struct ike_span d, char *why, size_t whylen)
{
	size_t n, hdr = 2, k, i;

	if (d.len < 2) {
		snprintf(why, whylen, "%zu bytes, shorter than a DER header",
		         d.len);
		return -1;
	}
	if (d.p[0] != 0x30) {
		snprintf(why, whylen,
		         "does not start with a DER SEQUENCE (tag 0x%02x)",
		         d.p[0]);
		return -1;
	}
	n = d.p[1];
	if (n >= 0x80) {
		k = n & 0x7f;
		if (k == 0 || k > 4) {
			snprintf(why, whylen,
			         "DER length form 0x%02zx is not allowed", n);
			return -1;
		}
		if (k > d.len - 2) {
			snprintf(why, whylen, "DER length truncated");
			return -1;
		}
		if (d.p[2] == 0) {
			snprintf(why, whylen, "DER length not minimal");
			return -1;
		}
		for (n = 0, i = 0; i < k; i++)
			n = n << 8 | d.p[2 + i];
		if (n < 0x80) {
			snprintf(why, whylen, "DER length not minimal");
			return -1;
		}
		hdr += k;
	}
	if (n != d.len - hdr) {
		snprintf(why, whylen,
		         "DER length %zu does not match the %zu bytes that "
		         "follow its header",
		         n, d.len - hdr);
		return -1;
	}
	return 0;
}

static int
decode_id(struct pctx *x, struct ike_pl *pl)
{
	struct ike_id *id = &pl->u.id;
	struct cur c;
	uint8_t h[4];
	size_t want = 0;
	const uint8_t *nul;
	char why[96];

	cur_init(&c, pl->body);
	if (cur_copy(&c, h, sizeof(h)) < 0)
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "%zu bytes, too short for type, protocol and "
		            "port",
		            pl->body.len);
	id->type = h[0];
	id->proto = h[1];
	id->port = ld16(h + 2);
	id->data = cur_rest(&c);
	switch (id->type) {
	case IKE_ID_IPV4_ADDR:
		want = 4;
		break;
	case IKE_ID_IPV6_ADDR:
		want = 16;
		break;
	case IKE_ID_IPV4_ADDR_SUBNET:
	case IKE_ID_IPV4_ADDR_RANGE:
		want = 8;
		break;
	case IKE_ID_IPV6_ADDR_SUBNET:
	case IKE_ID_IPV6_ADDR_RANGE:
		want = 32;
		break;
	case IKE_ID_FQDN:
	case IKE_ID_USER_FQDN:
		if (id->data.len == 0)
			return fail(x, IKE_N_INVALID_ID_INFORMATION, "empty %s",
			            ike_id_type_name(id->type));
		nul = memchr(id->data.p, '\0', id->data.len);
		if (nul != NULL)
			return fail(x, IKE_N_INVALID_ID_INFORMATION,
			            "%s holds a NUL at byte %zu",
			            ike_id_type_name(id->type),
			            (size_t)(nul - id->data.p));
		return 0;
	case IKE_ID_DER_ASN1_DN:
		if (der_sequence_check(id->data, why, sizeof(why)) < 0)
			return fail(x, IKE_N_INVALID_ID_INFORMATION,
			            "ID_DER_ASN1_DN %s", why);
		return 0;
	case IKE_ID_DER_ASN1_GN:
	case IKE_ID_KEY_ID:
		if (id->data.len == 0)
			return fail(x, IKE_N_INVALID_ID_INFORMATION, "empty %s",
			            ike_id_type_name(id->type));
		return 0;
	default:
		return fail(x, IKE_N_INVALID_ID_INFORMATION,
		            "unknown ID type %u", id->type);
	}
	if (id->data.len != want)
		return fail(x, IKE_N_INVALID_ID_INFORMATION,
		            "%s with %zu bytes of data, not %zu",
		            ike_id_type_name(id->type), id->data.len, want);
	return 0;
}

static int
decode_cert(struct pctx *x, struct ike_pl *pl)
{
	struct ike_cert *ct = &pl->u.cert;
	struct cur c;
	bool is_cert = pl->type == IKE_PL_CERT;

	cur_init(&c, pl->body);
	if (cur_copy(&c, &ct->enc, 1) < 0)
		return fail(x, IKE_N_PAYLOAD_MALFORMED, "no encoding byte");
	ct->data = cur_rest(&c);
	if (lookup(cert_enc_names, NELEM(cert_enc_names), ct->enc) == NULL)
		return fail(x,
		            is_cert ? IKE_N_INVALID_CERT_ENCODING
		                    : IKE_N_CERT_TYPE_UNSUPPORTED,
		            "unknown certificate encoding %u", ct->enc);
	if (is_cert && ct->data.len == 0)
		return fail(x, IKE_N_INVALID_CERTIFICATE, "empty certificate");
	return 0;
}

static int
decode_notify(struct pctx *x, struct ike_pl *pl)
{
	struct ike_notify *n = &pl->u.n;
	struct cur c;
	uint8_t h[8];

	cur_init(&c, pl->body);
	if (cur_copy(&c, h, sizeof(h)) < 0)
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "%zu bytes, too short for DOI, protocol, SPI size "
		            "and type",
		            pl->body.len);
	n->doi = ld32(h);
	n->proto = h[4];
	n->spi_size = h[5];
	n->type = ld16(h + 6);
	if (n->doi != IKE_DOI_ISAKMP && n->doi != IKE_DOI_IPSEC)
		return fail(x, IKE_N_DOI_NOT_SUPPORTED, "DOI %u", n->doi);
	/* Protocol 255 and friends (CVE-2023-38710 class) stop here. */
	if (n->proto > IKE_PROTO_IPCOMP)
		return fail(x, IKE_N_INVALID_PROTOCOL_ID, "protocol %u",
		            n->proto);
	if (!spi_size_ok(n->proto, n->spi_size, IN_NOTIFY))
		return fail(x, IKE_N_INVALID_SPI,
		            "SPI size %u is not valid for protocol %u (%s)",
		            n->spi_size, n->proto, ike_proto_name(n->proto));
	if (n->type == 0)
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "notify type 0 is reserved");
	if (cur_take(&c, n->spi_size, &n->spi) < 0)
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "SPI of %u bytes runs past the payload (%zu bytes "
		            "left)",
		            n->spi_size, cur_left(&c));
	n->data = cur_rest(&c);
	return 0;
}

static int
decode_delete(struct pctx *x, struct ike_pl *pl)
{
	struct ike_delete *d = &pl->u.d;
	struct cur c;
	uint8_t h[8];
	size_t need;

	cur_init(&c, pl->body);
	if (cur_copy(&c, h, sizeof(h)) < 0)
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "%zu bytes, too short for DOI, protocol, SPI size "
		            "and count",
		            pl->body.len);
	d->doi = ld32(h);
	d->proto = h[4];
	d->spi_size = h[5];
	d->nspis = ld16(h + 6);
	if (d->doi != IKE_DOI_ISAKMP && d->doi != IKE_DOI_IPSEC)
		return fail(x, IKE_N_DOI_NOT_SUPPORTED, "DOI %u", d->doi);
	if (d->proto < IKE_PROTO_ISAKMP || d->proto > IKE_PROTO_IPCOMP)
		return fail(x, IKE_N_INVALID_PROTOCOL_ID, "protocol %u",
		            d->proto);
	if (!spi_size_ok(d->proto, d->spi_size, IN_DELETE))
		return fail(x, IKE_N_INVALID_SPI,
		            "SPI size %u is not valid for %s", d->spi_size,
		            ike_proto_name(d->proto));
	if (d->nspis == 0)
		return fail(x, IKE_N_PAYLOAD_MALFORMED, "no SPIs to delete");
	/* At most 65535 * 16: no overflow in size_t. */
	need = (size_t)d->nspis * d->spi_size;
	if (need != cur_left(&c))
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "%u SPIs of %u bytes need %zu bytes, the payload "
		            "has %zu",
		            d->nspis, d->spi_size, need, cur_left(&c));
	d->spis = cur_rest(&c);
	return 0;
}

static int
decode_natoa(struct pctx *x, struct ike_pl *pl)
{
	struct ike_natoa *oa = &pl->u.natoa;
	struct cur c;
	uint8_t h[4];
	size_t want;

	cur_init(&c, pl->body);
	if (cur_copy(&c, h, sizeof(h)) < 0)
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "%zu bytes, too short for an ID type",
		            pl->body.len);
	oa->type = h[0];
	if (h[1] != 0 || h[2] != 0 || h[3] != 0)
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "reserved bytes are not zero");
	if (oa->type == IKE_ID_IPV4_ADDR)
		want = 4;
	else if (oa->type == IKE_ID_IPV6_ADDR)
		want = 16;
	else
		return fail(x, IKE_N_INVALID_ID_INFORMATION,
		            "ID type %u; NAT-OA carries ID_IPV4_ADDR or "
		            "ID_IPV6_ADDR",
		            oa->type);
	oa->addr = cur_rest(&c);
	if (oa->addr.len != want)
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "%s with %zu bytes, not %zu",
		            ike_id_type_name(oa->type), oa->addr.len, want);
	return 0;
}

/* ---- one payload, the chain, the header ---------------------------- */

/* Checks pl->body as a payload of type pl->type and fills its view. */
static int
decode_payload(struct pctx *x, struct ike_pl *pl)
{
	switch (pl->type) {
	case IKE_PL_SA:
		return decode_sa(x, pl);
	case IKE_PL_P:
	case IKE_PL_T:
		return fail(x, IKE_N_INVALID_PAYLOAD_TYPE,
		            "only allowed inside an SA payload");
	case IKE_PL_KE:
	case IKE_PL_HASH:
	case IKE_PL_SIG:
	case IKE_PL_VID:
	case IKE_PL_NATD:
		if (pl->body.len == 0)
			return fail(x, IKE_N_PAYLOAD_MALFORMED, "empty");
		return 0;
	case IKE_PL_NONCE:
		/* RFC 2409 section 5. */
		if (pl->body.len < IKE_NONCE_MIN ||
		    pl->body.len > IKE_NONCE_MAX)
			return fail(x, IKE_N_PAYLOAD_MALFORMED,
			            "nonce of %zu bytes; RFC 2409 wants %d "
			            "to %d",
			            pl->body.len, IKE_NONCE_MIN, IKE_NONCE_MAX);
		return 0;
	case IKE_PL_ID:
		return decode_id(x, pl);
	case IKE_PL_CERT:
	case IKE_PL_CR:
		return decode_cert(x, pl);
	case IKE_PL_N:
		return decode_notify(x, pl);
	case IKE_PL_D:
		return decode_delete(x, pl);
	case IKE_PL_NATOA:
		return decode_natoa(x, pl);
	case IKE_PL_ATTR:
	case IKE_PL_SAK:
	case IKE_PL_SAT:
	case IKE_PL_KD:
	case IKE_PL_SEQ:
	case IKE_PL_POP:
	case IKE_PL_NATD_DRAFT:
	case IKE_PL_NATOA_DRAFT:
	case IKE_PL_FRAG:
		return 0; /* recognised, unsupported: the negotiator decides */
	default:
		break;
	}
	/* RFC 2408 section 5.2: 14-127 are reserved, so an unknown type
	 * there is INVALID-PAYLOAD-TYPE; 33 and up there are IKEv2's
	 * (CVE-2015-3991: never read them with IKEv2 formats). */
	if (pl->type < 128)
		return fail(x, IKE_N_INVALID_PAYLOAD_TYPE,
		            "type %u is not an IKEv1 payload%s", pl->type,
		            pl->type >= 33 && pl->type <= 54
		                ? " (it is IKEv2's numbering)"
		                : "");
	if (pl->critical)
		return fail(x, IKE_N_INVALID_PAYLOAD_TYPE,
		            "unknown private payload type %u marked critical",
		            pl->type);
	return 0; /* unknown private use, not critical: kept, not read */
}

static void
reset_payloads(struct ike_msg *m)
{
	m->decoded = false;
	m->chain.p = NULL;
	m->chain.len = 0;
	m->trailing = 0;
	m->err_notify = 0;
	m->npl = 0;
	m->nprops = 0;
	m->nxforms = 0;
}

/* The payload chain from first over (p, len); padded: a decrypted body,
 * which may end with padding. */
static int
parse_chain(struct pctx *x, uint8_t first, struct ike_span s, bool padded)
{
	struct ike_msg *m = x->m;
	struct cur c;
	uint8_t np = first, gh[IKE_GEN_HDR_LEN];
	uint16_t plen;
	size_t start;
	struct ike_pl *pl;

	cur_init(&c, s);
	if (np == IKE_PL_NONE)
		return fail(x, IKE_N_PAYLOAD_MALFORMED, "no payloads");
	while (np != IKE_PL_NONE) {
		/* The cap stops chains that would fill the table; each
		 * payload takes at least 4 bytes, so nothing can loop. */
		if (m->npl >= IKE_MSG_PAYLOADS_MAX) {
			x->plidx = -1;
			return fail(x, IKE_N_PAYLOAD_MALFORMED,
			            "more than %d payloads",
			            IKE_MSG_PAYLOADS_MAX);
		}
		x->plidx = m->npl;
		x->pltype = np;
		pl = &m->pl[m->npl];
		memset(pl, 0, sizeof(*pl));
		start = c.off;
		if (cur_copy(&c, gh, sizeof(gh)) < 0)
			return fail(x, IKE_N_PAYLOAD_MALFORMED,
			            "header truncated (%zu bytes left, 4 "
			            "needed)",
			            cur_left(&c));
		plen = ld16(gh + 2);
		if (plen < IKE_GEN_HDR_LEN)
			return fail(x, IKE_N_PAYLOAD_MALFORMED,
			            "length %u is less than the 4-byte "
			            "generic header",
			            plen);
		if ((size_t)plen - IKE_GEN_HDR_LEN > cur_left(&c))
			return fail(x, IKE_N_PAYLOAD_MALFORMED,
			            "length %u runs past the end of the "
			            "message (%zu bytes left)",
			            plen, cur_left(&c) + IKE_GEN_HDR_LEN);
		if ((gh[1] & ~IKE_PL_CRITICAL) != 0)
			return fail(x, IKE_N_PAYLOAD_MALFORMED,
			            "reserved bits 0x%02x set",
			            gh[1] & ~IKE_PL_CRITICAL);
		pl->type = np;
		pl->critical = (gh[1] & IKE_PL_CRITICAL) != 0;
		(void)cur_take(&c, (size_t)plen - IKE_GEN_HDR_LEN, &pl->body);
		pl->raw.p = c.p + start;
		pl->raw.len = plen;
		if (decode_payload(x, pl) < 0)
			return -1;
		m->npl++;
		np = gh[0];
	}
	x->plidx = -1;
	m->chain.p = c.p;
	m->chain.len = c.off;
	m->trailing = cur_left(&c);
	if (!padded && m->trailing != 0)
		return fail(x, IKE_N_UNEQUAL_PAYLOAD_LENGTHS,
		            "%zu bytes after the last payload", m->trailing);
	return 0;
}

/* The header rules that the builder shares. */
static int
check_header(struct pctx *x, const struct ike_hdr *h)
{
	static const uint8_t zero[IKE_COOKIE_LEN];
	unsigned major = h->version >> 4, minor = h->version & 0x0f;

	if (major != 1)
		return fail(x, IKE_N_INVALID_MAJOR_VERSION,
		            "version %u.%u is not ISAKMP 1.0%s", major, minor,
		            major == 2 ? " (an IKEv2 message)" : "");
	if (minor != 0)
		return fail(x, IKE_N_INVALID_MINOR_VERSION,
		            "version %u.%u is not ISAKMP 1.0", major, minor);
	if ((h->flags & ~IKE_FLAGS_KNOWN) != 0)
		return fail(x, IKE_N_INVALID_FLAGS, "unknown flag bits 0x%02x",
		            h->flags & ~IKE_FLAGS_KNOWN);
	if (h->exch == IKE_EXCH_NONE)
		return fail(x, IKE_N_INVALID_EXCHANGE_TYPE,
		            "exchange type 0 (NONE)");
	if (memcmp(h->icookie, zero, sizeof(zero)) == 0)
		return fail(x, IKE_N_INVALID_COOKIE,
		            "the initiator cookie is zero");
	return 0;
}

static int
parse_header(struct pctx *x, const uint8_t *p, size_t len, struct ike_hdr *h)
{
	uint8_t raw[IKE_HDR_LEN];

	if (len < IKE_HDR_LEN)
		return fail(x, IKE_N_PAYLOAD_MALFORMED,
		            "datagram of %zu bytes is shorter than the "
		            "%d-byte ISAKMP header",
		            len, IKE_HDR_LEN);
	memcpy(raw, p, sizeof(raw));
	memcpy(h->icookie, raw, IKE_COOKIE_LEN);
	memcpy(h->rcookie, raw + 8, IKE_COOKIE_LEN);
	h->np = raw[16];
	h->version = raw[17];
	h->exch = raw[18];
	h->flags = raw[19];
	h->msgid = ld32(raw + 20);
	h->length = ld32(raw + 24);
	/* The version first: an IKEv2 message is refused as one, whatever
	 * else it holds. */
	if (h->version >> 4 != 1 || (h->version & 0x0f) != 0)
		return check_header(x, h);
	if (h->length < IKE_HDR_LEN)
		return fail(x, IKE_N_UNEQUAL_PAYLOAD_LENGTHS,
		            "header length %u is less than the header itself",
		            h->length);
	if (h->length > IKE_MSG_MAX)
		return fail(x, IKE_N_UNEQUAL_PAYLOAD_LENGTHS,
		            "header length %u exceeds the %u-byte limit",
		            h->length, IKE_MSG_MAX);
	if (h->length != len)
		return fail(x, IKE_N_UNEQUAL_PAYLOAD_LENGTHS,
		            "header length %u but the datagram has %zu bytes",
		            h->length, len);
	return check_header(x, h);
}

int
ike_msg_parse(const uint8_t *p, size_t len, struct ike_msg *out, char *err,
              size_t errlen)
{
	struct pctx x;

	pctx_init(&x, out, err, errlen);
	memset(&out->hdr, 0, sizeof(out->hdr));
	memset(&out->raw, 0, sizeof(out->raw));
	memset(&out->body, 0, sizeof(out->body));
	out->encrypted = false;
	reset_payloads(out);
	if (p == NULL) {
		p = empty;
		len = 0;
	}
	if (parse_header(&x, p, len, &out->hdr) < 0)
		goto fail;
	out->raw.p = p;
	out->raw.len = len;
	out->body.p = p + IKE_HDR_LEN;
	out->body.len = len - IKE_HDR_LEN;
	out->encrypted = (out->hdr.flags & IKE_FLAG_ENC) != 0;
	if (out->encrypted) {
		if (out->hdr.np == IKE_PL_NONE) {
			fail(&x, IKE_N_PAYLOAD_MALFORMED, "no payloads");
			goto fail;
		}
		if (out->body.len == 0) {
			fail(&x, IKE_N_PAYLOAD_MALFORMED,
			     "encrypted message with an empty body");
			goto fail;
		}
		return 0; /* the body waits for ike_msg_parse_body() */
	}
	if (parse_chain(&x, out->hdr.np, out->body, false) < 0)
		goto fail;
	out->decoded = true;
	return 0;
fail:
	reset_payloads(out);
	out->err_notify = x.notify;
	return -1;
}

int
ike_msg_parse_body(uint8_t first_payload, const uint8_t *body, size_t len,
                   struct ike_msg *out, char *err, size_t errlen)
{
	struct pctx x;
	struct ike_span s = {body, len};

	pctx_init(&x, out, err, errlen);
	reset_payloads(out);
	if (body == NULL) {
		s.p = empty;
		s.len = 0;
	}
	if (s.len > IKE_MSG_MAX) {
		fail(&x, IKE_N_PAYLOAD_MALFORMED,
		     "body of %zu bytes exceeds the %u-byte limit", s.len,
		     IKE_MSG_MAX);
		goto fail;
	}
	if (parse_chain(&x, first_payload, s, true) < 0)
		goto fail;
	out->decoded = true;
	return 0;
fail:
	reset_payloads(out);
	out->err_notify = x.notify;
	return -1;
}

const struct ike_pl *
ike_msg_find(const struct ike_msg *m, uint8_t type, unsigned nth)
{
	unsigned i;

	for (i = 0; i < m->npl; i++)
		if (m->pl[i].type == type && nth-- == 0)
			return &m->pl[i];
	return NULL;
}

unsigned
ike_msg_count(const struct ike_msg *m, uint8_t type)
{
	unsigned i, n = 0;

	for (i = 0; i < m->npl; i++)
		if (m->pl[i].type == type)
			n++;
	return n;
}

const struct ike_prop *
ike_sa_prop(const struct ike_msg *m, const struct ike_sa *sa, unsigned i)
{
	if (i >= sa->nprops || (size_t)sa->first_prop + i >= m->nprops)
		return NULL;
	return &m->props[sa->first_prop + i];
}

const struct ike_xform *
ike_prop_xform(const struct ike_msg *m, const struct ike_prop *prop, unsigned i)
{
	if (i >= prop->nxforms || (size_t)prop->first_xform + i >= m->nxforms)
		return NULL;
	return &m->xforms[prop->first_xform + i];
}

/* ---- builder ------------------------------------------------------- */

static int bfail(struct ike_msg_builder *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sticky: the first error is kept, every later call fails. */
static int
bfail(struct ike_msg_builder *b, const char *fmt, ...)
{
	va_list ap;

	if (!b->failed) {
		va_start(ap, fmt);
		vsnprintf(b->err, sizeof(b->err), fmt, ap);
		va_end(ap);
	}
	b->failed = true;
	return -1;
}

void
ike_msg_build_init(struct ike_msg_builder *b, uint8_t *buf, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->cap = buf != NULL ? cap : 0;
	b->np_at = NOWHERE;
	b->last_at = NOWHERE;
	b->sa_at = NOWHERE;
	b->prop_at = NOWHERE;
	b->xform_at = NOWHERE;
	b->last_prop_at = NOWHERE;
	b->last_xform_at = NOWHERE;
}

/* Invariant: len <= cap and len <= IKE_MSG_MAX. */
static int
put(struct ike_msg_builder *b, const void *data, size_t n)
{
	if (b->failed)
		return -1;
	if (n > b->cap - b->len || n > IKE_MSG_MAX - b->len)
		return bfail(b,
		             "no room for %zu more bytes (%zu used of %zu, "
		             "limit %u)",
		             n, b->len, b->cap, IKE_MSG_MAX);
	if (n > 0) {
		if (data != NULL)
			memcpy(b->buf + b->len, data, n);
		else
			memset(b->buf + b->len, 0, n);
	}
	b->len += n;
	return 0;
}

static int
put8(struct ike_msg_builder *b, uint8_t v)
{
	return put(b, &v, 1);
}

static int
put16(struct ike_msg_builder *b, uint16_t v)
{
	uint8_t w[2];

	st16(w, v);
	return put(b, w, sizeof(w));
}

static int
put32(struct ike_msg_builder *b, uint32_t v)
{
	uint8_t w[4];

	st32(w, v);
	return put(b, w, sizeof(w));
}

int
ike_msg_build_header(struct ike_msg_builder *b, const struct ike_hdr *h)
{
	struct ike_hdr v = *h;
	struct pctx x;
	char why[IKE_ERR_MAX];

	if (b->failed)
		return -1;
	if (b->len != 0 || b->has_hdr)
		return bfail(b, "the header must come first");
	v.version = IKE_VERSION;
	pctx_init(&x, NULL, why, sizeof(why));
	if (check_header(&x, &v) < 0)
		return bfail(b, "header: %s", why);
	if (put(b, v.icookie, IKE_COOKIE_LEN) < 0 ||
	    put(b, v.rcookie, IKE_COOKIE_LEN) < 0 || put8(b, IKE_PL_NONE) < 0 ||
	    put8(b, IKE_VERSION) < 0 || put8(b, v.exch) < 0 ||
	    put8(b, v.flags) < 0 || put32(b, v.msgid) < 0 || put32(b, 0) < 0)
		return -1;
	b->has_hdr = true;
	b->np_at = 16;
	return 0;
}

/* May a new payload start here? */
static int
usable(struct ike_msg_builder *b)
{
	if (b->failed)
		return -1;
	if (b->sa_at != NOWHERE)
		return bfail(b, "the SA payload is still open");
	if (b->padded)
		return bfail(b, "no payload may follow the padding");
	return 0;
}

static int
pl_begin(struct ike_msg_builder *b, size_t *at)
{
	*at = b->len;
	return put(b, NULL, IKE_GEN_HDR_LEN);
}

/* Fixes the length, checks the payload with the parser's decoder and
 * links it into the chain. */
static int
pl_end(struct ike_msg_builder *b, uint8_t type, size_t at)
{
	size_t total = b->len - at;
	struct ike_pl pl;
	struct pctx x;
	char why[IKE_ERR_MAX];

	if (b->failed)
		return -1;
	if (b->npl >= IKE_MSG_PAYLOADS_MAX)
		return bfail(b, "more than %d payloads", IKE_MSG_PAYLOADS_MAX);
	if (total > 0xffff)
		return bfail(b, "%s payload of %zu bytes exceeds 65535",
		             ike_pl_name(type), total);
	st16(b->buf + at + 2, (uint16_t)total);
	memset(&pl, 0, sizeof(pl));
	pl.type = type;
	pl.raw.p = b->buf + at;
	pl.raw.len = total;
	pl.body.p = b->buf + at + IKE_GEN_HDR_LEN;
	pl.body.len = total - IKE_GEN_HDR_LEN;
	pctx_init(&x, NULL, why, sizeof(why));
	x.nprops = b->nprops; /* the caps are per message */
	x.nxforms = b->nxforms;
	if (decode_payload(&x, &pl) < 0) {
		if (strcmp(ike_pl_name(type), "unknown") == 0)
			return bfail(b, "payload type %u: %s", type, why);
		return bfail(b, "%s payload: %s", ike_pl_name(type), why);
	}
	if (b->np_at == NOWHERE)
		b->first_np = type;
	else
		b->buf[b->np_at] = type;
	b->np_at = at;
	b->last_at = at;
	b->last_type = type;
	b->npl++;
	b->nprops = x.nprops;
	b->nxforms = x.nxforms;
	return 0;
}

int
ike_msg_build_sa_begin(struct ike_msg_builder *b, uint32_t doi,
                       uint32_t situation)
{
	size_t at;

	if (usable(b) < 0 || pl_begin(b, &at) < 0 || put32(b, doi) < 0 ||
	    put32(b, situation) < 0)
		return -1;
	b->sa_at = at;
	b->prop_at = NOWHERE;
	b->xform_at = NOWHERE;
	b->last_prop_at = NOWHERE;
	b->last_xform_at = NOWHERE;
	return 0;
}

static int
close_xform(struct ike_msg_builder *b)
{
	size_t n;

	if (b->xform_at == NOWHERE)
		return 0;
	n = b->len - b->xform_at;
	if (n > 0xffff)
		return bfail(b, "transform of %zu bytes exceeds 65535", n);
	st16(b->buf + b->xform_at + 2, (uint16_t)n);
	b->last_xform_at = b->xform_at;
	b->xform_at = NOWHERE;
	return 0;
}

static int
close_prop(struct ike_msg_builder *b)
{
	size_t n;

	if (close_xform(b) < 0)
		return -1;
	if (b->prop_at == NOWHERE)
		return 0;
	n = b->len - b->prop_at;
	if (n > 0xffff)
		return bfail(b, "proposal of %zu bytes exceeds 65535", n);
	st16(b->buf + b->prop_at + 2, (uint16_t)n);
	b->last_prop_at = b->prop_at;
	b->prop_at = NOWHERE;
	b->last_xform_at = NOWHERE;
	return 0;
}

int
ike_msg_build_prop_begin(struct ike_msg_builder *b, uint8_t num, uint8_t proto,
                         const uint8_t *spi, uint8_t spi_size)
{
	size_t at;

	if (b->failed)
		return -1;
	if (b->sa_at == NOWHERE)
		return bfail(b, "proposal: no SA payload is open");
	if (close_prop(b) < 0)
		return -1;
	if (b->last_prop_at != NOWHERE)
		b->buf[b->last_prop_at] = IKE_PL_P;
	at = b->len;
	if (put8(b, IKE_PL_NONE) < 0 || put8(b, 0) < 0 || put16(b, 0) < 0 ||
	    put8(b, num) < 0 || put8(b, proto) < 0 || put8(b, spi_size) < 0 ||
	    put8(b, 0) < 0 || put(b, spi, spi_size) < 0)
		return -1;
	b->prop_at = at;
	return 0;
}

int
ike_msg_build_xform_begin(struct ike_msg_builder *b, uint8_t num, uint8_t id)
{
	size_t at;
	uint8_t *count;

	if (b->failed)
		return -1;
	if (b->prop_at == NOWHERE)
		return bfail(b, "transform: no proposal is open");
	if (close_xform(b) < 0)
		return -1;
	count = b->buf + b->prop_at + 7;
	if (*count == 0xff)
		return bfail(b, "more than 255 transforms in a proposal");
	if (b->last_xform_at != NOWHERE)
		b->buf[b->last_xform_at] = IKE_PL_T;
	at = b->len;
	if (put8(b, IKE_PL_NONE) < 0 || put8(b, 0) < 0 || put16(b, 0) < 0 ||
	    put8(b, num) < 0 || put8(b, id) < 0 || put16(b, 0) < 0)
		return -1;
	(*count)++;
	b->xform_at = at;
	return 0;
}

static int
attr_usable(struct ike_msg_builder *b, uint16_t type)
{
	if (b->failed)
		return -1;
	if (b->xform_at == NOWHERE)
		return bfail(b, "attribute: no transform is open");
	if (type == 0 || type > 0x7fff)
		return bfail(b, "attribute type %u is not 1-32767", type);
	return 0;
}

int
ike_msg_build_attr_tv(struct ike_msg_builder *b, uint16_t type, uint16_t value)
{
	if (attr_usable(b, type) < 0 ||
	    put16(b, (uint16_t)(type | IKE_ATTR_AF_TV)) < 0)
		return -1;
	return put16(b, value);
}

int
ike_msg_build_attr_tlv(struct ike_msg_builder *b, uint16_t type,
                       const uint8_t *data, uint16_t len)
{
	if (attr_usable(b, type) < 0)
		return -1;
	if (len == 0)
		return bfail(b, "attribute %u: empty value", type);
	if (put16(b, type) < 0 || put16(b, len) < 0)
		return -1;
	return put(b, data, len);
}

int
ike_msg_build_attr(struct ike_msg_builder *b, uint16_t type, uint32_t value)
{
	uint8_t w[4];

	if (value <= 0xffff)
		return ike_msg_build_attr_tv(b, type, (uint16_t)value);
	st32(w, value);
	return ike_msg_build_attr_tlv(b, type, w, sizeof(w));
}

int
ike_msg_build_sa_end(struct ike_msg_builder *b)
{
	size_t at;

	if (b->failed)
		return -1;
	if (b->sa_at == NOWHERE)
		return bfail(b, "SA end: no SA payload is open");
	if (close_prop(b) < 0)
		return -1;
	at = b->sa_at;
	b->sa_at = NOWHERE;
	b->last_prop_at = NOWHERE;
	return pl_end(b, IKE_PL_SA, at);
}

int
ike_msg_build_raw(struct ike_msg_builder *b, uint8_t type, const uint8_t *body,
                  size_t len)
{
	size_t at;

	if (type == IKE_PL_NONE)
		return bfail(b, "payload type 0 (NONE)");
	if (usable(b) < 0 || pl_begin(b, &at) < 0 || put(b, body, len) < 0)
		return -1;
	return pl_end(b, type, at);
}

int
ike_msg_build_ke(struct ike_msg_builder *b, const uint8_t *data, size_t len)
{
	return ike_msg_build_raw(b, IKE_PL_KE, data, len);
}

int
ike_msg_build_nonce(struct ike_msg_builder *b, const uint8_t *data, size_t len)
{
	return ike_msg_build_raw(b, IKE_PL_NONCE, data, len);
}

int
ike_msg_build_hash(struct ike_msg_builder *b, const uint8_t *data, size_t len)
{
	return ike_msg_build_raw(b, IKE_PL_HASH, data, len);
}

int
ike_msg_build_sig(struct ike_msg_builder *b, const uint8_t *data, size_t len)
{
	return ike_msg_build_raw(b, IKE_PL_SIG, data, len);
}

int
ike_msg_build_vid(struct ike_msg_builder *b, const uint8_t *data, size_t len)
{
	return ike_msg_build_raw(b, IKE_PL_VID, data, len);
}

int
ike_msg_build_natd(struct ike_msg_builder *b, const uint8_t *data, size_t len)
{
	return ike_msg_build_raw(b, IKE_PL_NATD, data, len);
}

int
ike_msg_build_id(struct ike_msg_builder *b, const struct ike_id *id)
{
	size_t at;

	if (usable(b) < 0 || pl_begin(b, &at) < 0 || put8(b, id->type) < 0 ||
	    put8(b, id->proto) < 0 || put16(b, id->port) < 0 ||
	    put(b, id->data.p, id->data.len) < 0)
		return -1;
	return pl_end(b, IKE_PL_ID, at);
}

static int
build_cert(struct ike_msg_builder *b, uint8_t type, uint8_t enc,
           const uint8_t *data, size_t len)
{
	size_t at;

	if (usable(b) < 0 || pl_begin(b, &at) < 0 || put8(b, enc) < 0 ||
	    put(b, data, len) < 0)
		return -1;
	return pl_end(b, type, at);
}

int
ike_msg_build_cert(struct ike_msg_builder *b, uint8_t enc, const uint8_t *data,
                   size_t len)
{
	return build_cert(b, IKE_PL_CERT, enc, data, len);
}

int
ike_msg_build_cr(struct ike_msg_builder *b, uint8_t enc, const uint8_t *ca,
                 size_t len)
{
	return build_cert(b, IKE_PL_CR, enc, ca, len);
}

int
ike_msg_build_notify(struct ike_msg_builder *b, const struct ike_notify *n)
{
	size_t at;

	if (b->failed)
		return -1;
	if (n->spi.len != n->spi_size)
		return bfail(b, "N payload: SPI size %u but %zu SPI bytes",
		             n->spi_size, n->spi.len);
	if (usable(b) < 0 || pl_begin(b, &at) < 0 || put32(b, n->doi) < 0 ||
	    put8(b, n->proto) < 0 || put8(b, n->spi_size) < 0 ||
	    put16(b, n->type) < 0 || put(b, n->spi.p, n->spi.len) < 0 ||
	    put(b, n->data.p, n->data.len) < 0)
		return -1;
	return pl_end(b, IKE_PL_N, at);
}

int
ike_msg_build_delete(struct ike_msg_builder *b, const struct ike_delete *d)
{
	size_t at;

	if (b->failed)
		return -1;
	if (d->spis.len != (size_t)d->nspis * d->spi_size)
		return bfail(b,
		             "D payload: %u SPIs of %u bytes but %zu SPI "
		             "bytes",
		             d->nspis, d->spi_size, d->spis.len);
	if (usable(b) < 0 || pl_begin(b, &at) < 0 || put32(b, d->doi) < 0 ||
	    put8(b, d->proto) < 0 || put8(b, d->spi_size) < 0 ||
	    put16(b, d->nspis) < 0 || put(b, d->spis.p, d->spis.len) < 0)
		return -1;
	return pl_end(b, IKE_PL_D, at);
}

int
ike_msg_build_natoa(struct ike_msg_builder *b, uint8_t id_type,
                    const uint8_t *addr, size_t len)
{
	size_t at;

	if (usable(b) < 0 || pl_begin(b, &at) < 0 || put8(b, id_type) < 0 ||
	    put(b, NULL, 3) < 0 || put(b, addr, len) < 0)
		return -1;
	return pl_end(b, IKE_PL_NATOA, at);
}

static int
copy_sa(struct ike_msg_builder *b, const struct ike_msg *m,
        const struct ike_sa *sa)
{
	const struct ike_prop *pr;
	const struct ike_xform *xf;
	struct ike_attr_iter it;
	struct ike_attr a;
	unsigned i, j;
	int rc;

	if (ike_msg_build_sa_begin(b, sa->doi, sa->situation) < 0)
		return -1;
	for (i = 0; i < sa->nprops; i++) {
		pr = ike_sa_prop(m, sa, i);
		if (pr == NULL)
			return bfail(b, "copy: SA proposal %u missing", i + 1);
		if (ike_msg_build_prop_begin(b, pr->num, pr->proto, pr->spi.p,
		                             pr->spi_size) < 0)
			return -1;
		for (j = 0; j < pr->nxforms; j++) {
			xf = ike_prop_xform(m, pr, j);
			if (xf == NULL)
				return bfail(b, "copy: transform %u missing",
				             j + 1);
			if (ike_msg_build_xform_begin(b, xf->num, xf->id) < 0)
				return -1;
			ike_attr_iter_init(&it, xf);
			while ((rc = ike_attr_next(&it, &a)) == 1) {
				if (a.tv)
					rc = ike_msg_build_attr_tv(
					    b, a.type, (uint16_t)a.value);
				else
					rc = ike_msg_build_attr_tlv(
					    b, a.type, a.data.p,
					    (uint16_t)a.data.len);
				if (rc < 0)
					return -1;
			}
			if (rc < 0)
				return bfail(b, "copy: malformed attribute");
		}
	}
	return ike_msg_build_sa_end(b);
}

int
ike_msg_build_copy(struct ike_msg_builder *b, const struct ike_msg *m,
                   const struct ike_pl *pl)
{
	int rc;

	switch (pl->type) {
	case IKE_PL_SA:
		rc = copy_sa(b, m, &pl->u.sa);
		break;
	case IKE_PL_ID:
		rc = ike_msg_build_id(b, &pl->u.id);
		break;
	case IKE_PL_CERT:
		rc = ike_msg_build_cert(b, pl->u.cert.enc, pl->u.cert.data.p,
		                        pl->u.cert.data.len);
		break;
	case IKE_PL_CR:
		rc = ike_msg_build_cr(b, pl->u.cert.enc, pl->u.cert.data.p,
		                      pl->u.cert.data.len);
		break;
	case IKE_PL_N:
		rc = ike_msg_build_notify(b, &pl->u.n);
		break;
	case IKE_PL_D:
		rc = ike_msg_build_delete(b, &pl->u.d);
		break;
	case IKE_PL_NATOA:
		rc =
		    ike_msg_build_natoa(b, pl->u.natoa.type, pl->u.natoa.addr.p,
		                        pl->u.natoa.addr.len);
		break;
	default:
		rc = ike_msg_build_raw(b, pl->type, pl->body.p, pl->body.len);
		break;
	}
	if (rc == 0 && pl->critical)
		rc = ike_msg_build_critical(b);
	return rc;
}

int
ike_msg_build_critical(struct ike_msg_builder *b)
{
	struct ike_pl pl;
	struct pctx x;
	char why[IKE_ERR_MAX];

	if (b->failed)
		return -1;
	if (b->last_at == NOWHERE || b->padded)
		return bfail(b, "critical: no payload to mark");
	/* Checked again as critical: an unknown private payload may not
	 * be (the parser refuses it). */
	memset(&pl, 0, sizeof(pl));
	pl.type = b->last_type;
	pl.critical = true;
	pl.raw.p = b->buf + b->last_at;
	pl.raw.len = ld16(b->buf + b->last_at + 2);
	pl.body.p = pl.raw.p + IKE_GEN_HDR_LEN;
	pl.body.len = pl.raw.len - IKE_GEN_HDR_LEN;
	pctx_init(&x, NULL, why, sizeof(why));
	if (decode_payload(&x, &pl) < 0)
		return bfail(b, "critical: %s", why);
	b->buf[b->last_at + 1] |= IKE_PL_CRITICAL;
	return 0;
}

int
ike_msg_build_last(const struct ike_msg_builder *b, size_t *off, size_t *len)
{
	if (b->failed || b->last_at == NOWHERE)
		return -1;
	*off = b->last_at + IKE_GEN_HDR_LEN;
	*len = (size_t)ld16(b->buf + b->last_at + 2) - IKE_GEN_HDR_LEN;
	return 0;
}

size_t
ike_msg_pad_len(size_t len, size_t block)
{
	if (block == 0)
		return 0;
	return block - len % block;
}

int
ike_msg_build_pad(struct ike_msg_builder *b, size_t block)
{
	size_t body;

	if (b->failed)
		return -1;
	if (b->sa_at != NOWHERE)
		return bfail(b, "pad: the SA payload is still open");
	if (b->padded)
		return bfail(b, "pad: already padded");
	if (block < 1 || block > 255)
		return bfail(b, "pad: block size %zu is not 1-255", block);
	if (b->last_at == NOWHERE)
		return bfail(b, "pad: no payloads to pad");
	body = b->len - (b->has_hdr ? IKE_HDR_LEN : 0);
	if (put(b, NULL, ike_msg_pad_len(body, block)) < 0)
		return -1;
	b->padded = true;
	return 0;
}

int
ike_msg_build_finish(struct ike_msg_builder *b, size_t *len)
{
	if (b->failed)
		return -1;
	if (b->sa_at != NOWHERE)
		return bfail(b, "finish: the SA payload is still open");
	if (b->last_at == NOWHERE)
		return bfail(b, "finish: a message needs at least one payload");
	if (b->has_hdr)
		st32(b->buf + 24, (uint32_t)b->len);
	*len = b->len;
	return 0;
}
