/*
 * dynamic_rule.c - rules of the SPD (add, set, delete, show) and the
 * main and quick mode filters they yield (show mmfilter, show qmfilter).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dynamic.h"
#include "dynamic_common.h"
#include "shell.h"
#include "static_common.h"

/* mmpolicy=, qmpolicy=, the actions and the authentication into r. */
static int
apply_does(struct shell *sh, const struct args *a, struct spd_rule *r)
{
	const struct arg *v;

	if ((v = arg_get(a, "mmpolicy"))->given &&
	    static_copy(sh, a, r->mmpolicy, sizeof(r->mmpolicy), v->text,
			"mmpolicy") < 0)
		return -1;
	if ((v = arg_get(a, "qmpolicy"))->given &&
	    static_copy(sh, a, r->qmpolicy, sizeof(r->qmpolicy), v->text,
			"qmpolicy") < 0)
		return -1;
	if ((v = arg_get(a, "actioninbound"))->text != NULL)
		r->inbound = (enum spd_action)v->num;
	if ((v = arg_get(a, "actionoutbound"))->text != NULL)
		r->outbound = (enum spd_action)v->num;
	return static_collect_auth(sh, a, r->auth, &r->nauth) < 0 ? -1 : 0;
}

enum cmd_status
dynamic_add_rule(struct shell *sh, const struct args *a)
{
	struct spd *spd = live_spd(sh->live);
	struct spd_rule *r = calloc(1, sizeof(*r));
	char err[SPD_ERR_MAX];
	enum cmd_status st = CMD_ERROR;

	if (r == NULL)
		return dynamic_error(sh, "out of memory.");
	if (dynamic_rule_key(sh, a, &r->key) < 0 || apply_does(sh, a, r) < 0)
		goto out;
	if (spd_rule_add(spd, r, err, sizeof(err)) < 0) {
		dynamic_error(sh, err);
		goto out;
	}
	st = dynamic_commit(sh);
	/* A rule the datapath cannot take (a name that does not resolve)
	 * does not stay. */
	if (st != CMD_OK)
		spd_rule_delete(spd, &r->key, err, sizeof(err));
out:
	explicit_bzero(r, sizeof(*r));
	free(r);
	return st;
}

enum cmd_status
dynamic_set_rule(struct shell *sh, const struct args *a)
{
	struct spd *spd = live_spd(sh->live);
	struct spd_rule *r = calloc(1, sizeof(*r));
	const struct spd_rule *cur;
	char err[SPD_ERR_MAX];
	enum cmd_status st = CMD_ERROR;

	if (r == NULL)
		return dynamic_error(sh, "out of memory.");
	if (!dynamic_any_change(a)) {
		shell_err(sh, "%s: give at least one setting to change.",
			  a->cmd->name);
		goto out;
	}
	if (dynamic_rule_key(sh, a, &r->key) < 0)
		goto out;
	cur = spd_rule_find(spd, &r->key);
	if (cur == NULL) {
		dynamic_error(sh, "no rule has these filter values.");
		goto out;
	}
	*r = *cur;
	if (apply_does(sh, a, r) < 0)
		goto out;
	if (spd_rule_set(spd, r, err, sizeof(err)) < 0) {
		dynamic_error(sh, err);
		goto out;
	}
	st = dynamic_commit(sh);
out:
	explicit_bzero(r, sizeof(*r));
	free(r);
	return st;
}

enum cmd_status
dynamic_delete_rule(struct shell *sh, const struct args *a)
{
	struct spd_rule_key key;
	char err[SPD_ERR_MAX];

	if (dynamic_rule_key(sh, a, &key) < 0)
		return CMD_ERROR;
	if (spd_rule_delete(live_spd(sh->live), &key, err, sizeof(err)) < 0)
		return dynamic_error(sh, err);
	return dynamic_commit(sh);
}

/* Narrowing by srcaddr= etc. of show rule / show qmfilter. */
static bool
narrow_ok(const struct args *a, const char *src, const char *dst,
	  const char *srcmask, const char *dstmask, int proto, int sport,
	  int dport, enum spd_action in, enum spd_action out)
{
	const struct arg *v;

	if ((v = arg_find(a, "srcaddr")) && v->given &&
	    strcasecmp(v->text, src) != 0)
		return false;
	if ((v = arg_find(a, "dstaddr")) && v->given &&
	    strcasecmp(v->text, dst) != 0)
		return false;
	if ((v = arg_find(a, "srcmask")) && v->given &&
	    vocab_mask_prefix(srcmask) != atoi(v->text) &&
	    strcmp(v->text, srcmask) != 0)
		return false;
	if ((v = arg_find(a, "dstmask")) && v->given &&
	    vocab_mask_prefix(dstmask) != atoi(v->text) &&
	    strcmp(v->text, dstmask) != 0)
		return false;
	if ((v = arg_find(a, "protocol")) && v->given && v->num != proto)
		return false;
	if ((v = arg_find(a, "srcport")) && v->given && v->num != sport)
		return false;
	if ((v = arg_find(a, "dstport")) && v->given && v->num != dport)
		return false;
	if ((v = arg_find(a, "actioninbound")) && v->given &&
	    v->num != (long)in)
		return false;
	if ((v = arg_find(a, "actionoutbound")) && v->given &&
	    v->num != (long)out)
		return false;
	return true;
}

enum cmd_status
dynamic_show_rule(struct shell *sh, const struct args *a)
{
	struct spd *spd = live_spd(sh->live);
	const struct arg *type = arg_get(a, "type");
	struct out *o = static_out_new(a);
	const struct spd_rule *r;

	out_section(o, "rules", "Rules");
	for (size_t i = 0; (r = spd_rule_at(spd, i)) != NULL; i++) {
		bool tunnel = r->key.tunnel[0] != '\0';
		if (type->given && tunnel != (type->num == 0))
			continue;
		if (!narrow_ok(a, r->key.srcaddr, r->key.dstaddr,
			       r->key.srcmask, r->key.dstmask, r->key.protocol,
			       r->key.srcport, r->key.dstport, r->inbound,
			       r->outbound))
			continue;
		dynamic_model_rule(o, r);
	}
	out_section_end(o);
	return static_render(sh, a, o);
}

static void
model_generic_qm(struct out *o, const struct spd_qmfilter *f)
{
	const struct spd_rule *r = f->rule;
	char proto[16];

	vocab_protocol_format(r->key.protocol, proto, sizeof(proto));
	out_object(o);
	out_str(o, "name", "Name", f->name);
	out_str(o, "srcaddr", "Source Address", f->srcaddr);
	out_str(o, "srcmask", "Source Mask", f->srcmask);
	out_str(o, "dstaddr", "Destination Address", f->dstaddr);
	out_str(o, "dstmask", "Destination Mask", f->dstmask);
	out_str(o, "protocol", "Protocol", proto);
	out_int(o, "srcport", "Source Port", f->srcport);
	out_int(o, "dstport", "Destination Port", f->dstport);
	out_str(o, "tunnel", "Tunnel Destination",
		r->key.tunnel[0] ? r->key.tunnel : "NONE");
	out_str(o, "actioninbound", "Inbound Action",
		dynamic_action_name(r->inbound));
	out_str(o, "actionoutbound", "Outbound Action",
		dynamic_action_name(r->outbound));
	out_str(o, "qmpolicy", "Quick Mode Policy",
		r->qmpolicy[0] ? r->qmpolicy : "NONE");
	out_object_end(o);
}

static void
prefix_text(const struct ip_addr *ip, unsigned plen, char *buf, size_t len)
{
	char a[64];

	if (ip->family == 0) {
		snprintf(buf, len, "any");
		return;
	}
	vocab_ip_format(ip, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, plen);
}

static void
model_specific_qm(struct out *o, const struct spd_specific *s)
{
	char src[80], dst[80], proto[16], name[64], tun[64];

	prefix_text(&s->src, s->src_plen, src, sizeof(src));
	prefix_text(&s->dst, s->dst_plen, dst, sizeof(dst));
	vocab_protocol_format(s->protocol, proto, sizeof(proto));
	snprintf(name, sizeof(name), "QMFilter-%u%s", s->rule->id,
		 s->mirror ? "-mirror" : "");
	if (s->tunnel)
		vocab_ip_format(&s->tunnel_dst, tun, sizeof(tun));
	else
		snprintf(tun, sizeof(tun), "NONE");
	out_object(o);
	out_str(o, "name", "Name", name);
	out_str(o, "src", "Source", src);
	out_str(o, "dst", "Destination", dst);
	out_str(o, "protocol", "Protocol", proto);
	out_int(o, "srcport", "Source Port", s->srcport);
	out_int(o, "dstport", "Destination Port", s->dstport);
	out_str(o, "tunnel", "Tunnel Destination", tun);
	out_str(o, "actioninbound", "Inbound Action",
		dynamic_action_name(s->inbound));
	out_str(o, "actionoutbound", "Outbound Action",
		dynamic_action_name(s->outbound));
	out_object_end(o);
}

static bool
name_ok(const struct args *a, const char *name)
{
	const struct arg *v = arg_get(a, "name");

	return !v->given || strcasecmp(v->text, name) == 0;
}

enum cmd_status
dynamic_show_qmfilter(struct shell *sh, const struct args *a)
{
	struct spd *spd = live_spd(sh->live);
	struct out *o = static_out_new(a);
	bool specific = arg_num(a, "type") == 1;
	size_t nrules = 0;
	struct spd_qmfilter *f;
	size_t n;

	while (spd_rule_at(spd, nrules) != NULL)
		nrules++;
	if (specific) {
		const struct spd_specific *s = live_filters(sh->live, &n);
		out_section(o, "qmfilters", "Specific Quick Mode Filters");
		for (size_t i = 0; i < n; i++) {
			char name[64];
			snprintf(name, sizeof(name), "QMFilter-%u%s",
				 s[i].rule->id, s[i].mirror ? "-mirror" : "");
			if (name_ok(a, name))
				model_specific_qm(o, &s[i]);
		}
		out_section_end(o);
		return static_render(sh, a, o);
	}
	f = calloc(2 * nrules + 1, sizeof(*f));
	if (f == NULL) {
		out_free(o);
		return dynamic_error(sh, "out of memory.");
	}
	n = spd_qmfilters(spd, f, 2 * nrules);
	out_section(o, "qmfilters", "Generic Quick Mode Filters");
	for (size_t i = 0; i < n; i++) {
		const struct spd_rule *r = f[i].rule;
		if (!name_ok(a, f[i].name) ||
		    !narrow_ok(a, f[i].srcaddr, f[i].dstaddr, f[i].srcmask,
			       f[i].dstmask, r->key.protocol, f[i].srcport,
			       f[i].dstport, r->inbound, r->outbound))
			continue;
		model_generic_qm(o, &f[i]);
	}
	out_section_end(o);
	free(f);
	return static_render(sh, a, o);
}

/*
 * Main mode filters: one per rule (IKE protects the pair of hosts, so a
 * main mode filter is always mirrored); tunnel rules name the gateway.
 */
enum cmd_status
dynamic_show_mmfilter(struct shell *sh, const struct args *a)
{
	struct spd *spd = live_spd(sh->live);
	struct out *o = static_out_new(a);
	const struct spd_rule *r;

	out_section(o, "mmfilters", "Main Mode Filters");
	for (size_t i = 0; (r = spd_rule_at(spd, i)) != NULL; i++) {
		char name[64];
		const char *dst = r->key.tunnel[0] ? r->key.tunnel
						   : r->key.dstaddr;
		snprintf(name, sizeof(name), "MMFilter-%u", r->id);
		if (!name_ok(a, name) ||
		    !narrow_ok(a, r->key.srcaddr, dst, r->key.srcmask,
			       r->key.dstmask, 0, 0, 0, r->inbound,
			       r->outbound))
			continue;
		out_object(o);
		out_str(o, "name", "Name", name);
		out_str(o, "srcaddr", "Source Address",
			r->key.tunnel[0] ? "me" : r->key.srcaddr);
		out_str(o, "dstaddr", "Destination Address", dst);
		out_str(o, "mmpolicy", "Main Mode Policy", r->mmpolicy);
		out_int(o, "authmethods", "Authentication Methods",
			(long long)r->nauth);
		out_str(o, "conntype", "Connection Type",
			r->key.conntype == STORE_CONN_LAN      ? "LAN"
			: r->key.conntype == STORE_CONN_DIALUP ? "DIALUP"
								: "ALL");
		out_object_end(o);
	}
	out_section_end(o);
	return static_render(sh, a, o);
}
