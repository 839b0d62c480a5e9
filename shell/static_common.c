/*
 * static_common.c - helpers shared by the static handlers.
 */
#include "static_common.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vocab.h"

const char *
static_action_name(enum store_action a)
{
	switch (a) {
	case STORE_ACTION_PERMIT:
		return "permit";
	case STORE_ACTION_BLOCK:
		return "block";
	case STORE_ACTION_NEGOTIATE:
		return "negotiate";
	}
	return "?";
}

const char *
static_conntype_name(enum store_conntype c)
{
	switch (c) {
	case STORE_CONN_ALL:
		return "all";
	case STORE_CONN_LAN:
		return "lan";
	case STORE_CONN_DIALUP:
		return "dialup";
	}
	return "?";
}

int
static_copy(struct shell *sh, const struct args *a, char *dst, size_t len,
	    const char *src, const char *tag)
{
	if (strlen(src) >= len) {
		shell_err(sh, "%s: the value of %s is longer than %zu "
			      "characters.", a->cmd->name, tag, len - 1);
		return -1;
	}
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

static int
report(struct shell *sh, int rc)
{
	if (rc < 0)
		shell_store_error(sh);
	return rc;
}

int
static_find_policy(struct shell *sh, const struct args *a,
		   struct store_policy *out)
{
	const struct arg *guid = arg_find(a, "guid");

	if (guid != NULL && guid->given)
		return report(sh, store_policy_get_by_guid(sh->store,
							   guid->text, out));
	return report(sh, store_policy_get(sh->store, arg_text(a, "name"),
					   out));
}

int
static_find_filterlist(struct shell *sh, const struct args *a,
		       struct store_filterlist *out)
{
	const struct arg *guid = arg_find(a, "guid");

	if (guid != NULL && guid->given)
		return report(sh, store_filterlist_get_by_guid(
					  sh->store, guid->text, out));
	return report(sh, store_filterlist_get(sh->store,
					       arg_text(a, "name"), out));
}

int
static_find_filteraction(struct shell *sh, const struct args *a,
			 struct store_filteraction *out)
{
	const struct arg *guid = arg_find(a, "guid");

	if (guid != NULL && guid->given)
		return report(sh, store_filteraction_get_by_guid(
					  sh->store, guid->text, out));
	return report(sh, store_filteraction_get(sh->store,
						 arg_text(a, "name"), out));
}

static int
add_auth(struct shell *sh, const struct args *a, struct store_auth *auth,
	 size_t *nauth, enum store_auth_kind kind, const char *text)
{
	struct store_auth *au;

	if (*nauth == STORE_AUTH_MAX) {
		shell_err(sh, "%s: at most %d authentication methods.",
			  a->cmd->name, STORE_AUTH_MAX);
		return -1;
	}
	au = &auth[*nauth];
	memset(au, 0, sizeof(*au));
	au->kind = kind;
	if (kind == STORE_AUTH_ROOTCA) {
		struct rootca_spec rc;
		char err[VOCAB_ERR_MAX];
		/* text is canonical already; parse for the flags. */
		if (vocab_rootca_parse(text, &rc, err, sizeof(err)) < 0) {
			shell_err(sh, "%s: %s", a->cmd->name, err);
			return -1;
		}
		if (static_copy(sh, a, au->value, sizeof(au->value), rc.ca,
				"rootca") < 0)
			return -1;
		au->certmap = rc.certmap;
		au->excludecaname = rc.excludecaname;
	} else if (static_copy(sh, a, au->value, sizeof(au->value), text,
			       "psk") < 0) {
		return -1;
	}
	(*nauth)++;
	return 0;
}

int
static_collect_auth(struct shell *sh, const struct args *a,
		    struct store_auth *auth, size_t *nauth)
{
	const struct arg *kerb = arg_get(a, "kerberos");
	const struct arg *psk = arg_get(a, "psk");
	const struct arg *ca = arg_get(a, "rootca");
	size_t next_ca = 0;
	bool psk_done = !psk->given;

	if (kerb->given && kerb->num) {
		shell_err(sh, "%s: Kerberos authentication is not available; "
			      "use psk= or rootca=.", a->cmd->name);
		return -1;
	}
	if (!psk->given && ca->count == 0)
		return 0;
	for (size_t i = 0; i < *nauth; i++)
		explicit_bzero(auth[i].value, sizeof(auth[i].value));
	*nauth = 0;
	/* Merge psk and the rootca values by their place on the line. */
	while (!psk_done || next_ca < ca->count) {
		if (!psk_done &&
		    (next_ca == ca->count || psk->order < ca->orders[next_ca])) {
			if (add_auth(sh, a, auth, nauth, STORE_AUTH_PSK,
				     psk->text) < 0)
				return -1;
			psk_done = true;
		} else {
			if (add_auth(sh, a, auth, nauth, STORE_AUTH_ROOTCA,
				     ca->texts[next_ca]) < 0)
				return -1;
			next_ca++;
		}
	}
	return 1;
}

int
static_check_rule_auth(struct shell *sh, const struct args *a,
		       const struct store_rule *r)
{
	struct store_filteraction fa;

	if (r->is_default || r->nauth > 0)
		return 0;
	if (store_filteraction_get(sh->store, r->filteraction, &fa) < 0) {
		shell_store_error(sh);
		return -1;
	}
	if (fa.action != STORE_ACTION_NEGOTIATE)
		return 0;
	shell_err(sh, "%s: rule \"%s\" negotiates (filter action \"%s\") and "
		      "needs an authentication method: psk= or rootca=.",
		  a->cmd->name, r->name, fa.name);
	return -1;
}

int
static_endpoints(struct shell *sh, const struct args *a, const char *srcaddr,
		 const char *dstaddr, bool defaults, char *srcmask,
		 char *dstmask, size_t masklen)
{
	struct addr_spec src, dst;
	char err[VOCAB_ERR_MAX];
	const struct arg *v;
	const char *name = a->cmd->name;

	/* Canonical already; parse again for the kinds and families. */
	if (vocab_addr_parse(srcaddr, &src, err, sizeof(err)) < 0 ||
	    vocab_addr_parse(dstaddr, &dst, err, sizeof(err)) < 0)
		goto bad;
	if (vocab_addr_is_server(&src) && vocab_addr_is_server(&dst)) {
		shell_err(sh, "%s: srcaddr and dstaddr cannot both be server "
			      "types.", name);
		return -1;
	}
	if ((vocab_addr_is_server(&src) && dst.kind != ADDR_ME) ||
	    (vocab_addr_is_server(&dst) && src.kind != ADDR_ME)) {
		shell_err(sh, "%s: a server type (%s) on one side needs me on "
			      "the other.", name,
			  vocab_addr_is_server(&src) ? srcaddr : dstaddr);
		return -1;
	}
	if ((src.kind == ADDR_IP || src.kind == ADDR_RANGE) &&
	    (dst.kind == ADDR_IP || dst.kind == ADDR_RANGE) &&
	    src.lo.family != dst.lo.family) {
		shell_err(sh, "%s: srcaddr %s and dstaddr %s are of different "
			      "IP versions.", name, srcaddr, dstaddr);
		return -1;
	}
	v = arg_get(a, "srcmask");
	if ((defaults || v->given) &&
	    vocab_mask_canon(&src, v->text, "srcmask", srcmask, masklen, err,
			     sizeof(err)) < 0)
		goto bad;
	v = arg_get(a, "dstmask");
	if ((defaults || v->given) &&
	    vocab_mask_canon(&dst, v->text, "dstmask", dstmask, masklen, err,
			     sizeof(err)) < 0)
		goto bad;
	return 0;
bad:
	shell_err(sh, "%s: %s", name, err);
	return -1;
}

int
static_tunnel(struct shell *sh, const struct args *a, const char *text,
	      char *out, size_t len)
{
	struct addr_spec as;
	char err[VOCAB_ERR_MAX];

	if (text[0] == '\0' || strcasecmp(text, "none") == 0) {
		out[0] = '\0';
		return 0;
	}
	if (vocab_addr_parse(text, &as, err, sizeof(err)) < 0) {
		shell_err(sh, "%s: tunnel: %s", a->cmd->name, err);
		return -1;
	}
	if (as.kind != ADDR_IP && as.kind != ADDR_DNS) {
		shell_err(sh, "%s: tunnel=\"%s\" must be one IP address or a "
			      "DNS name (or none).", a->cmd->name, text);
		return -1;
	}
	vocab_addr_format(&as, out, len);
	return 0;
}

enum cmd_status
static_render(struct shell *sh, const struct args *a, struct out *o)
{
	enum cmd_status st = CMD_OK;

	if (o == NULL) {
		shell_err(sh, "%s: out of memory.", a->cmd->name);
		return CMD_ERROR;
	}
	if (out_render(o, sh->out) < 0) {
		shell_err(sh, "%s: the output could not be written.",
			  a->cmd->name);
		st = CMD_ERROR;
	}
	out_free(o);
	return st;
}

int
static_rules_named(struct shell *sh, const char *rule, struct store_rule **out,
		   size_t *n)
{
	struct store_rule *all = NULL;
	size_t nall = 0;

	*out = NULL;
	*n = 0;
	if (store_rule_list_using(sh->store, NULL, NULL, &all, &nall) < 0) {
		shell_store_error(sh);
		return -1;
	}
	/* Keep the matching rules at the front of the same array. */
	for (size_t i = 0; i < nall; i++)
		if (!all[i].is_default && strcasecmp(all[i].name, rule) == 0) {
			if (i != *n)
				memcpy(&all[*n], &all[i], sizeof(all[i]));
			(*n)++;
		}
	if (*n == 0) {
		store_list_free(all, nall, sizeof(*all));
		shell_err(sh, "ERR: rule \"%s\" does not exist.", rule);
		return -1;
	}
	/* The tail beyond *n holds copies; wipe it before handing out. */
	for (size_t i = *n; i < nall; i++)
		store_rule_wipe(&all[i]);
	*out = all;
	return 0;
}
