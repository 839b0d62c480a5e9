/*
 * dynamic_common.c - helpers and show models of the dynamic handlers.
 */
#include "dynamic_common.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "shell.h"
#include "static_common.h"
#include "vocab.h"

enum cmd_status
dynamic_error(struct shell *sh, const char *err)
{
	shell_err(sh, "ERR: %s", err);
	return CMD_ERROR;
}

enum cmd_status
dynamic_commit(struct shell *sh)
{
	char err[SPD_ERR_MAX];

	if (live_commit(sh->live, err, sizeof(err)) < 0)
		return dynamic_error(sh, err);
	return CMD_OK;
}

/* Tags that name an object or identify a rule rather than change it. */
static bool
identifying(const char *tag)
{
	static const char *const ids[] = {
		"name", "all", "srcaddr", "dstaddr", "protocol", "srcport",
		"dstport", "mirrored", "conntype", "srcmask", "dstmask",
		"tunneldstaddress", NULL};

	for (size_t i = 0; ids[i] != NULL; i++)
		if (strcmp(tag, ids[i]) == 0)
			return true;
	return false;
}

bool
dynamic_any_change(const struct args *a)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].given && !identifying(a->cmd->params[i].tag))
			return true;
	return false;
}

enum cmd_status
dynamic_no_policy(struct shell *sh, const struct args *a, bool mm)
{
	shell_err(sh, "ERR: %s mode policy \"%s\" does not exist.",
		  mm ? "main" : "quick", arg_text(a, "name"));
	return CMD_ERROR;
}

static const char *
policy_name_at(struct spd *spd, size_t i, bool mm)
{
	if (mm)
		return spd_mmpolicy_at(spd, i) ? spd_mmpolicy_at(spd, i)->name
					       : NULL;
	return spd_qmpolicy_at(spd, i) ? spd_qmpolicy_at(spd, i)->name : NULL;
}

enum cmd_status
dynamic_delete_policies(struct shell *sh, const struct args *a, bool mm)
{
	struct spd *spd = live_spd(sh->live);
	char err[SPD_ERR_MAX];
	const char *name;

	if (!arg_given(a, "all")) {
		int rc = mm ? spd_mmpolicy_delete(spd, arg_text(a, "name"),
						  err, sizeof(err))
			    : spd_qmpolicy_delete(spd, arg_text(a, "name"),
						  err, sizeof(err));
		return rc < 0 ? dynamic_error(sh, err) : CMD_OK;
	}
	/* All or nothing: refuse if any of them is in use. */
	for (size_t i = 0; (name = policy_name_at(spd, i, mm)) != NULL; i++) {
		const struct spd_rule *r = spd_policy_user(spd, name, mm);
		if (r != NULL) {
			snprintf(err, sizeof(err),
				 "%s mode policy \"%s\" is used by rule %u "
				 "and cannot be deleted; nothing was deleted.",
				 mm ? "main" : "quick", name, r->id);
			return dynamic_error(sh, err);
		}
	}
	while ((name = policy_name_at(spd, 0, mm)) != NULL) {
		char copy[STORE_NAME_MAX];
		snprintf(copy, sizeof(copy), "%s", name);
		if ((mm ? spd_mmpolicy_delete(spd, copy, err, sizeof(err))
			: spd_qmpolicy_delete(spd, copy, err, sizeof(err))) <
		    0)
			return dynamic_error(sh, err);
	}
	return CMD_OK;
}

int
dynamic_rule_key(struct shell *sh, const struct args *a,
		 struct spd_rule_key *key)
{
	const struct arg *v;
	char err[VOCAB_ERR_MAX];

	memset(key, 0, sizeof(*key));
	if (static_copy(sh, a, key->srcaddr, sizeof(key->srcaddr),
			arg_text(a, "srcaddr"), "srcaddr") < 0 ||
	    static_copy(sh, a, key->dstaddr, sizeof(key->dstaddr),
			arg_text(a, "dstaddr"), "dstaddr") < 0 ||
	    static_endpoints(sh, a, key->srcaddr, key->dstaddr, true,
			     key->srcmask, key->dstmask,
			     sizeof(key->srcmask)) < 0)
		return -1;
	key->protocol = (int)arg_num(a, "protocol");
	key->srcport = (int)arg_num(a, "srcport");
	key->dstport = (int)arg_num(a, "dstport");
	key->mirrored = arg_num(a, "mirrored") != 0;
	key->conntype = (enum store_conntype)arg_num(a, "conntype");
	if (vocab_ports_check(key->protocol, key->srcport, key->dstport, err,
			      sizeof(err)) < 0) {
		shell_err(sh, "%s: %s", a->cmd->name, err);
		return -1;
	}
	v = arg_get(a, "tunneldstaddress");
	if (v->text != NULL &&
	    static_tunnel(sh, a, v->text, key->tunnel, sizeof(key->tunnel)) < 0)
		return -1;
	return 0;
}

const char *
dynamic_action_name(enum spd_action a)
{
	switch (a) {
	case SPD_PERMIT:
		return "PERMIT";
	case SPD_BLOCK:
		return "BLOCK";
	case SPD_NEGOTIATE:
		return "NEGOTIATE";
	}
	return "?";
}

static bool
table(const struct out *o)
{
	return out_format_of(o) == OUT_TABLE;
}

void
dynamic_model_mmpolicy(struct out *o, const struct spd_mmpolicy *p)
{
	out_object(o);
	out_str(o, "name", "Policy Name", p->name);
	out_int(o, "mmlifetime", "MM Lifetime (min)", p->mmlifetime);
	out_int(o, "qmpermm", "QM per MM", p->qmpermm);
	if (p->softsaexpirationtime > 0)
		out_int(o, "softsaexpirationtime", "Soft SA Expiration (s)",
			p->softsaexpirationtime);
	else
		out_str(o, "softsaexpirationtime", "Soft SA Expiration (s)",
			table(o) ? "-" : "NONE");
	out_str(o, "mmsecmethods", "MM Security Methods", p->mmsecmethods);
	out_object_end(o);
}

void
dynamic_model_qmpolicy(struct out *o, const struct spd_qmpolicy *p)
{
	char pfs[32];

	vocab_pfsgroup_format(p->pfsgroup, pfs, sizeof(pfs));
	out_object(o);
	out_str(o, "name", "Policy Name", p->name);
	out_bool(o, "soft", "Soft", p->soft);
	out_str(o, "pfsgroup", "PFS Group", pfs);
	out_str(o, "qmsecmethods", "QM Security Methods", p->qmsecmethods);
	out_object_end(o);
}

/* "Preshared Key (********); Root CA (...)": never the key. */
static void
auth_text(const struct spd_rule *r, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->nauth && used < len; i++) {
		int w = r->auth[i].kind == STORE_AUTH_PSK
				? snprintf(buf + used, len - used,
					   "%sPreshared Key (********)",
					   i ? "; " : "")
				: snprintf(buf + used, len - used,
					   "%sRoot CA (%s)", i ? "; " : "",
					   r->auth[i].value);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

void
dynamic_model_rule(struct out *o, const struct spd_rule *r)
{
	char proto[16], auth[2048];

	vocab_protocol_format(r->key.protocol, proto, sizeof(proto));
	auth_text(r, auth, sizeof(auth));
	out_object(o);
	out_int(o, "id", "Rule ID", r->id);
	out_str(o, "srcaddr", "Source Address", r->key.srcaddr);
	if (!table(o))
		out_str(o, "srcmask", "Source Mask", r->key.srcmask);
	out_str(o, "dstaddr", "Destination Address", r->key.dstaddr);
	if (!table(o))
		out_str(o, "dstmask", "Destination Mask", r->key.dstmask);
	out_str(o, "protocol", "Protocol", proto);
	out_int(o, "srcport", "Source Port", r->key.srcport);
	out_int(o, "dstport", "Destination Port", r->key.dstport);
	out_bool(o, "mirrored", "Mirrored", r->key.mirrored);
	out_str(o, "tunnel", "Tunnel End Point",
		r->key.tunnel[0] ? r->key.tunnel : "NONE");
	if (!table(o))
		out_str(o, "conntype", "Connection Type",
			r->key.conntype == STORE_CONN_LAN      ? "LAN"
			: r->key.conntype == STORE_CONN_DIALUP ? "DIALUP"
								: "ALL");
	out_str(o, "mmpolicy", "Main Mode Policy", r->mmpolicy);
	out_str(o, "qmpolicy", "Quick Mode Policy",
		r->qmpolicy[0] ? r->qmpolicy : "NONE");
	out_str(o, "actioninbound", "Inbound Action",
		dynamic_action_name(r->inbound));
	out_str(o, "actionoutbound", "Outbound Action",
		dynamic_action_name(r->outbound));
	if (!table(o))
		out_str(o, "authentication", "Authentication Methods",
			auth[0] ? auth : "NONE");
	out_str(o, "origin", "Source", r->origin[0] ? r->origin : "dynamic");
	out_object_end(o);
}

void
dynamic_model_sa(struct out *o, const struct live_sa *s)
{
	struct dp_sa_info info;
	char spi[16], when[32];
	struct tm tm;

	dp_sa_info(s->sa, &info);
	snprintf(spi, sizeof(spi), "0x%08x", s->spi);
	if (localtime_r(&s->added, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(when, sizeof(when), "?");
	out_object(o);
	out_str(o, "spi", "SPI", spi);
	out_str(o, "direction", "Direction", s->dir == DP_DIR_IN ? "IN" : "OUT");
	out_str(o, "srcaddr", "Source", s->srcaddr);
	out_str(o, "dstaddr", "Destination", s->dstaddr);
	out_str(o, "mode", "Mode",
		s->mode == DP_MODE_TUNNEL ? "TUNNEL" : "TRANSPORT");
	if (s->mode == DP_MODE_TUNNEL || !table(o)) {
		out_str(o, "tunnelsrc", "Tunnel Source",
			s->tunnelsrc[0] ? s->tunnelsrc : "NONE");
		out_str(o, "tunneldst", "Tunnel Destination",
			s->tunneldst[0] ? s->tunneldst : "NONE");
	}
	out_str(o, "secmethod", "Security Method", s->secmethod);
	out_str(o, "encap", "Encapsulation",
		s->encap == DP_ENCAP_UDP ? "UDP 4500" : "NONE");
	out_str(o, "keying", "Keying", s->manual ? "MANUAL" : "IKE");
	out_int(o, "packets", "Packets", (long long)info.packets);
	out_int(o, "bytes", "Bytes", (long long)info.bytes);
	out_int(o, "sequence", "Sequence Number", (long long)info.seq);
	if (!table(o))
		out_str(o, "added", "Added", when);
	out_bool(o, "expired", "Expired", info.hard_expired);
	out_object_end(o);
}
