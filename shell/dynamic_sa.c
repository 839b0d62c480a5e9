/*
 * dynamic_sa.c - security associations: manual keying (add sa, delete
 * sa, the role "ip xfrm state" plays on Linux) and show qmsas / mmsas.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "dynamic.h"
#include "ike.h"
#include "ike_msg.h"
#include "dynamic_common.h"
#include "shell.h"
#include "static_common.h"
#include "vocab.h"

#define KEY_MAX 64

/* "0x1000" or "4096"; 0 and the reserved 1-255 are refused. */
static int
parse_spi(struct shell *sh, const struct args *a, uint32_t *out)
{
	const char *text = arg_text(a, "spi");
	char *end;
	unsigned long long v;

	errno = 0;
	if (text[0] == '\0' || text[0] == '-' || text[0] == '+')
		goto bad;
	v = strtoull(text, &end, strncasecmp(text, "0x", 2) == 0 ? 16 : 10);
	if (errno != 0 || *end != '\0' || v > 0xffffffffULL)
		goto bad;
	if (v < 256) {
		shell_err(sh, "%s: SPI %s is reserved (RFC 4303: 1-255 are "
			      "reserved, 0 is invalid); use 256 or more.",
			  a->cmd->name, text);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
bad:
	shell_err(sh, "%s: \"%s\" is not a valid SPI: use 0x hex or decimal, "
		      "up to 0xffffffff.", a->cmd->name, text);
	return -1;
}

/* "0x" then an even number of hex digits, exactly want bytes. */
static int
parse_key(struct shell *sh, const struct args *a, const char *tag,
	  size_t want, uint8_t *out)
{
	const char *text = arg_text(a, tag);
	size_t digits;

	if (text == NULL) {
		shell_err(sh, "%s: this security method needs %s= (%zu bytes "
			      "as 0x hex).", a->cmd->name, tag, want);
		return -1;
	}
	if (want == 0) {
		shell_err(sh, "%s: this security method takes no %s=.",
			  a->cmd->name, tag);
		return -1;
	}
	digits = strlen(text);
	if (digits < 2 || strncasecmp(text, "0x", 2) != 0 ||
	    strspn(text + 2, "0123456789abcdefABCDEF") != digits - 2) {
		shell_err(sh, "%s: %s must be 0x followed by hex digits.",
			  a->cmd->name, tag);
		return -1;
	}
	if (digits - 2 != 2 * want) {
		/* The length is no secret; the key is not printed. */
		shell_err(sh, "%s: %s has %zu hex digits; this security method "
			      "needs %zu (%zu bytes).",
			  a->cmd->name, tag, digits - 2, 2 * want, want);
		return -1;
	}
	for (size_t i = 0; i < want; i++) {
		char byte[3] = {text[2 + 2 * i], text[3 + 2 * i], '\0'};
		out[i] = (uint8_t)strtoul(byte, NULL, 16);
	}
	return 0;
}

static enum dp_enc
enc_of(enum qm_conf c)
{
	switch (c) {
	case QM_CONF_3DES:
		return DP_ENC_3DES_CBC;
	case QM_CONF_AES128:
		return DP_ENC_AES128_CBC;
	case QM_CONF_AES192:
		return DP_ENC_AES192_CBC;
	case QM_CONF_AES256:
		return DP_ENC_AES256_CBC;
	case QM_CONF_AES128GCM:
		return DP_ENC_AES128_GCM;
	case QM_CONF_AES256GCM:
		return DP_ENC_AES256_GCM;
	default:
		return DP_ENC_NULL;
	}
}

static enum dp_auth
auth_of(enum qm_integ i)
{
	switch (i) {
	case QM_INTEG_MD5:
		return DP_AUTH_HMAC_MD5_96;
	case QM_INTEG_SHA1:
		return DP_AUTH_HMAC_SHA1_96;
	case QM_INTEG_SHA256:
		return DP_AUTH_HMAC_SHA256_128;
	case QM_INTEG_SHA384:
		return DP_AUTH_HMAC_SHA384_192;
	case QM_INTEG_SHA512:
		return DP_AUTH_HMAC_SHA512_256;
	default:
		return DP_AUTH_NONE;
	}
}

/* A single IP address argument, with an optional mask for selectors. */
static int
one_ip(struct shell *sh, const struct args *a, const char *tag,
       struct ip_addr *ip)
{
	const char *text = arg_text(a, tag);

	if (vocab_ip_parse(text, ip) < 0) {
		shell_err(sh, "%s: %s=%s must be one IP address.", a->cmd->name,
			  tag, text);
		return -1;
	}
	return 0;
}

static void
to_dp(const struct ip_addr *ip, struct dp_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = ip->family;
	memcpy(out->bytes, ip->bytes, sizeof(out->bytes));
}

enum cmd_status
dynamic_add_sa(struct shell *sh, const struct args *a)
{
	struct dp_sa_params p;
	struct live_sa desc;
	struct qm_offer offer;
	struct ip_addr src, dst, tsrc, tdst;
	uint8_t enckey[KEY_MAX], authkey[KEY_MAX];
	char err[SPD_ERR_MAX];
	bool tunnel = arg_num(a, "mode") == 1;
	enum cmd_status st = CMD_ERROR;
	enum dp_auth auth;

	memset(&desc, 0, sizeof(desc));
	dp_sa_params_init(&p);
	if (parse_spi(sh, a, &desc.spi) < 0 ||
	    one_ip(sh, a, "srcaddr", &src) < 0 ||
	    one_ip(sh, a, "dstaddr", &dst) < 0)
		goto out;
	if (src.family != dst.family) {
		shell_err(sh, "%s: srcaddr and dstaddr are of different IP "
			      "versions.", a->cmd->name);
		goto out;
	}
	if (tunnel) {
		if (!arg_given(a, "tunnelsrc") || !arg_given(a, "tunneldst")) {
			shell_err(sh, "%s: mode=tunnel needs tunnelsrc= and "
				      "tunneldst=.", a->cmd->name);
			goto out;
		}
		if (one_ip(sh, a, "tunnelsrc", &tsrc) < 0 ||
		    one_ip(sh, a, "tunneldst", &tdst) < 0)
			goto out;
		if (tsrc.family != tdst.family) {
			shell_err(sh, "%s: tunnelsrc and tunneldst are of "
				      "different IP versions.", a->cmd->name);
			goto out;
		}
	} else if (arg_given(a, "tunnelsrc") || arg_given(a, "tunneldst")) {
		shell_err(sh, "%s: tunnelsrc= and tunneldst= need mode=tunnel.",
			  a->cmd->name);
		goto out;
	}
	/* Canonical from the binder; parsing it again cannot fail. */
	vocab_qmoffer_parse(arg_text(a, "secmethod"), &offer, err, sizeof(err),
			    NULL, 0);
	if (offer.ah && offer.esp) {
		shell_err(sh, "%s: manual keying takes one protocol: give "
			      "ESP[...] or AH[...].", a->cmd->name);
		goto out;
	}
	p.spi = desc.spi;
	p.dir = arg_num(a, "direction") == 0 ? DP_DIR_IN : DP_DIR_OUT;
	p.mode = tunnel ? DP_MODE_TUNNEL : DP_MODE_TRANSPORT;
	p.encap = arg_num(a, "encap") == 1 ? DP_ENCAP_UDP : DP_ENCAP_NONE;
	p.encap_sport = p.encap_dport = 4500;
	p.proto = offer.ah ? DP_PROTO_AH : DP_PROTO_ESP;
	p.enc = offer.ah ? DP_ENC_NULL : enc_of(offer.esp_conf);
	auth = auth_of(offer.ah ? offer.ah_hash : offer.esp_integ);
	if (offer.ah) {
		if (arg_given(a, "enckey")) {
			shell_err(sh, "%s: AH takes no enckey=.", a->cmd->name);
			goto out;
		}
		p.ah_auth = auth;
	} else {
		p.esp_auth = auth;
		if ((p.enc != DP_ENC_NULL || arg_given(a, "enckey")) &&
		    parse_key(sh, a, "enckey", dp_enc_key_len(p.enc), enckey) <
			    0)
			goto out;
		p.enc_key = enckey;
		p.enc_key_len = dp_enc_key_len(p.enc);
	}
	if (auth != DP_AUTH_NONE || arg_given(a, "authkey")) {
		if (parse_key(sh, a, "authkey", dp_auth_key_len(auth),
			      authkey) < 0)
			goto out;
		if (offer.ah) {
			p.ah_auth_key = authkey;
			p.ah_auth_key_len = dp_auth_key_len(auth);
		} else {
			p.esp_auth_key = authkey;
			p.esp_auth_key_len = dp_auth_key_len(auth);
		}
	}
	/* The traffic the SA carries, seen in its direction. */
	to_dp(&src, &p.sel.src);
	to_dp(&dst, &p.sel.dst);
	p.sel.src_plen = p.sel.dst_plen = src.family == AF_INET ? 32 : 128;
	if (tunnel) {
		to_dp(&tsrc, &p.tun_src);
		to_dp(&tdst, &p.tun_dst);
	}
	desc.dir = p.dir;
	desc.mode = p.mode;
	desc.encap = p.encap;
	desc.manual = true;
	vocab_ip_format(&src, desc.srcaddr, sizeof(desc.srcaddr));
	vocab_ip_format(&dst, desc.dstaddr, sizeof(desc.dstaddr));
	if (tunnel) {
		vocab_ip_format(&tsrc, desc.tunnelsrc, sizeof(desc.tunnelsrc));
		vocab_ip_format(&tdst, desc.tunneldst, sizeof(desc.tunneldst));
	}
	vocab_qmoffer_format(&offer, desc.secmethod, sizeof(desc.secmethod));
	/* Manual SAs have no negotiator to rekey them: no lifetimes. */
	if (live_sa_add(sh->live, &p, &desc, err, sizeof(err)) < 0) {
		dynamic_error(sh, err);
		goto out;
	}
	st = CMD_OK;
out:
	explicit_bzero(enckey, sizeof(enckey));
	explicit_bzero(authkey, sizeof(authkey));
	explicit_bzero(&p, sizeof(p));
	return st;
}

enum cmd_status
dynamic_delete_sa(struct shell *sh, const struct args *a)
{
	uint32_t spi;
	char err[SPD_ERR_MAX];

	if (parse_spi(sh, a, &spi) < 0)
		return CMD_ERROR;
	if (live_sa_delete(sh->live, spi,
			   arg_num(a, "direction") == 0 ? DP_DIR_IN
							: DP_DIR_OUT,
			   err, sizeof(err)) < 0)
		return dynamic_error(sh, err);
	return CMD_OK;
}

enum cmd_status
dynamic_show_qmsas(struct shell *sh, const struct args *a)
{
	struct out *o = static_out_new(a);
	const struct arg *src = arg_get(a, "srcaddr");
	const struct arg *dst = arg_get(a, "dstaddr");
	const struct arg *proto = arg_get(a, "protocol");
	const struct live_sa *s;

	out_section(o, "qmsas", "Quick Mode SAs");
	for (size_t i = 0; (s = live_sa_at(sh->live, i)) != NULL; i++) {
		/* SAs carry every protocol between their addresses. */
		if ((src->given && strcasecmp(src->text, s->srcaddr) != 0) ||
		    (dst->given && strcasecmp(dst->text, s->dstaddr) != 0) ||
		    (proto->given && proto->num != VOCAB_PROTO_ANY))
			continue;
		dynamic_model_sa(o, s);
	}
	out_section_end(o);
	return static_render(sh, a, o);
}

struct mmsa_show {
	struct out *o;
	const struct args *a;
};

static void
endpoint_text(const struct ike_endpoint *e, char *buf, size_t len)
{
	struct ip_addr ip;
	char a[64];

	memset(&ip, 0, sizeof(ip));
	ip.family = e->addr.family;
	memcpy(ip.bytes, e->addr.bytes, sizeof(ip.bytes));
	vocab_ip_format(&ip, a, sizeof(a));
	snprintf(buf, len, "%s, port %u", a, e->port);
}

static void
model_mmsa(void *arg, const struct ike_mmsa_info *m)
{
	struct mmsa_show *sh = arg;
	struct out *o = sh->o;
	const struct arg *src = arg_get(sh->a, "srcaddr");
	const struct arg *dst = arg_get(sh->a, "dstaddr");
	char cookies[40], local[80], peer[80], sec[96], la[64], pa[64];
	struct ip_addr ip;

	memset(&ip, 0, sizeof(ip));
	ip.family = m->local.addr.family;
	memcpy(ip.bytes, m->local.addr.bytes, sizeof(ip.bytes));
	vocab_ip_format(&ip, la, sizeof(la));
	ip.family = m->peer.addr.family;
	memcpy(ip.bytes, m->peer.addr.bytes, sizeof(ip.bytes));
	vocab_ip_format(&ip, pa, sizeof(pa));
	if ((src->given && strcasecmp(src->text, la) != 0) ||
	    (dst->given && strcasecmp(dst->text, pa) != 0))
		return;
	for (int i = 0; i < 8; i++)
		snprintf(cookies + 2 * i, 3, "%02x", m->icookie[i]);
	cookies[16] = ':';
	for (int i = 0; i < 8; i++)
		snprintf(cookies + 17 + 2 * i, 3, "%02x", m->rcookie[i]);
	endpoint_text(&m->local, local, sizeof(local));
	endpoint_text(&m->peer, peer, sizeof(peer));
	if (m->offer.enc == IKE_ENC_AES_CBC)
		snprintf(sec, sizeof(sec), "AES%u/%s/%u/%u", m->offer.keybits,
			 ike_oakley_value_name(IKE_OA_HASH, m->offer.hash), m->offer.group,
			 m->lifetime_s);
	else if (m->offer.enc == IKE_ENC_3DES_CBC)
		snprintf(sec, sizeof(sec), "3DES/%s/%u/%u",
			 ike_oakley_value_name(IKE_OA_HASH, m->offer.hash), m->offer.group,
			 m->lifetime_s);
	else
		snprintf(sec, sizeof(sec), "NONE");
	out_object(o);
	out_str(o, "cookies", "Cookie Pair", cookies);
	out_str(o, "secmethods", "Sec Methods", sec);
	out_str(o, "auth", "Auth Mode",
		m->auth == IKE_AUTH_PSK	      ? "Preshared Key"
		: m->auth == IKE_AUTH_RSA_SIG ? "Certificate"
					      : "NONE");
	out_str(o, "source", "Source", local);
	out_str(o, "destination", "Destination", peer);
	out_str(o, "state", "State", m->state);
	out_bool(o, "initiator", "Initiator", m->initiator);
	out_bool(o, "natt", "NAT Traversal", m->floated);
	out_int(o, "age", "Age (s)", (long long)(m->age_ms / 1000));
	out_int(o, "quickmodes", "Quick Modes", m->nqm);
	out_object_end(o);
}

enum cmd_status
dynamic_show_mmsas(struct shell *sh, const struct args *a)
{
	struct out *o = static_out_new(a);
	struct ike *ike = live_negotiator(sh->live);
	struct mmsa_show ms = {.o = o, .a = a};

	out_section(o, "mmsas", "Main Mode SAs");
	if (ike != NULL)
		ike_foreach_mmsa(ike, model_mmsa, &ms);
	out_section_end(o);
	return static_render(sh, a, o);
}
