/*
 * static_dump.c - writes the store as a script of static commands:
 * "dump" (both locations, wrapped in pushd/popd) and "exportpolicy"
 * (the current location, with a format header).
 *
 * Deterministic by design, so two stores built by the same commands dump
 * byte for byte the same: objects in a stable order (names without case,
 * filters and rules in the order they were added), every optional tag
 * spelled out, no GUIDs, times or ids.  Filter lists and filter actions
 * come first because rules refer to them; assignment comes last.
 */
#include <string.h>

#include "lex.h"
#include "static.h"
#include "static_common.h"
#include "vocab.h"

/* Appends " tag=value", quoting the value as the lexer needs. */
static void
put(FILE *f, const char *tag, const char *value)
{
	char q[8192] = "";

	if (lex_quote(value, q, sizeof(q)) < 0)
		q[0] = '\0';
	fprintf(f, " %s=%s", tag, q);
}

static void
put_bool(FILE *f, const char *tag, bool v)
{
	fprintf(f, " %s=%s", tag, v ? "yes" : "no");
}

static void
put_int(FILE *f, const char *tag, long v)
{
	fprintf(f, " %s=%ld", tag, v);
}

static void
put_auth(FILE *f, const struct store_rule *r)
{
	for (size_t i = 0; i < r->nauth; i++) {
		const struct store_auth *au = &r->auth[i];
		if (au->kind == STORE_AUTH_PSK) {
			put(f, "psk", au->value);
		} else {
			char ca[STORE_AUTH_VALUE_MAX + 64];
			snprintf(ca, sizeof(ca),
				 "%s certmap:%s excludecaname:%s", au->value,
				 au->certmap ? "yes" : "no",
				 au->excludecaname ? "yes" : "no");
			put(f, "rootca", ca);
		}
	}
}

static int
dump_filterlists(struct store *st, FILE *f)
{
	struct store_filterlist *fl = NULL;
	size_t n = 0;
	int rc = store_filterlist_list(st, &fl, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct store_filter *flt = NULL;
		size_t nf = 0;
		char proto[16];

		fprintf(f, "add filterlist");
		put(f, "name", fl[i].name);
		put(f, "description", fl[i].description);
		fprintf(f, "\n");
		rc = store_filter_list(st, fl[i].name, &flt, &nf);
		for (size_t k = 0; rc == 0 && k < nf; k++) {
			fprintf(f, "add filter");
			put(f, "filterlist", flt[k].filterlist);
			put(f, "srcaddr", flt[k].srcaddr);
			put(f, "dstaddr", flt[k].dstaddr);
			put(f, "description", flt[k].description);
			vocab_protocol_format(flt[k].protocol, proto,
					      sizeof(proto));
			put(f, "protocol", proto);
			put_bool(f, "mirrored", flt[k].mirrored);
			if (flt[k].srcmask[0] != '\0')
				put(f, "srcmask", flt[k].srcmask);
			if (flt[k].dstmask[0] != '\0')
				put(f, "dstmask", flt[k].dstmask);
			put_int(f, "srcport", flt[k].srcport);
			put_int(f, "dstport", flt[k].dstport);
			fprintf(f, "\n");
		}
		store_list_free(flt, nf, sizeof(*flt));
	}
	store_list_free(fl, n, sizeof(*fl));
	return rc;
}

static int
dump_filteractions(struct store *st, FILE *f)
{
	struct store_filteraction *fa = NULL;
	size_t n = 0;
	int rc = store_filteraction_list(st, &fa, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		fprintf(f, "add filteraction");
		put(f, "name", fa[i].name);
		put(f, "description", fa[i].description);
		put_bool(f, "qmpfs", fa[i].qmpfs);
		put_bool(f, "inpass", fa[i].inpass);
		put_bool(f, "soft", fa[i].soft);
		put(f, "action", static_action_name(fa[i].action));
		put(f, "qmsecmethods", fa[i].qmsecmethods);
		fprintf(f, "\n");
	}
	store_list_free(fa, n, sizeof(*fa));
	return rc;
}

static int
dump_rules(struct store *st, FILE *f, const char *policy)
{
	struct store_rule *r = NULL;
	size_t n = 0;
	int rc = store_rule_list(st, policy, &r, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (r[i].is_default) {
			fprintf(f, "set defaultrule");
			put(f, "policy", policy);
			put_bool(f, "qmpfs", r[i].qmpfs);
			put_bool(f, "activate", r[i].activate);
			put(f, "qmsecmethods", r[i].qmsecmethods);
		} else {
			fprintf(f, "add rule");
			put(f, "name", r[i].name);
			put(f, "policy", policy);
			put(f, "filterlist", r[i].filterlist);
			put(f, "filteraction", r[i].filteraction);
			put(f, "tunnel",
			    r[i].tunnel[0] ? r[i].tunnel : "none");
			put(f, "conntype", static_conntype_name(r[i].conntype));
			put_bool(f, "activate", r[i].activate);
			put(f, "description", r[i].description);
		}
		put_auth(f, &r[i]);
		fprintf(f, "\n");
	}
	store_list_free(r, n, sizeof(*r));
	return rc;
}

static int
dump_policies(struct store *st, FILE *f)
{
	struct store_policy *p = NULL;
	size_t n = 0;
	int rc = store_policy_list(st, &p, &n);
	const char *assigned = NULL;

	for (size_t i = 0; rc == 0 && i < n; i++) {
		fprintf(f, "add policy");
		put(f, "name", p[i].name);
		put(f, "description", p[i].description);
		put_bool(f, "mmpfs", p[i].mmpfs);
		put_int(f, "qmpermm", p[i].qmpermm);
		put_int(f, "mmlifetime", p[i].mmlifetime);
		put_bool(f, "activatedefaultrule", p[i].activatedefaultrule);
		put_int(f, "pollinginterval", p[i].pollinginterval);
		put_bool(f, "assign", false);
		put(f, "mmsecmethods", p[i].mmsecmethods);
		fprintf(f, "\n");
		rc = dump_rules(st, f, p[i].name);
		if (p[i].assigned)
			assigned = p[i].name;
	}
	/* Assign last: assignment is what the service acts on. */
	if (rc == 0 && assigned != NULL) {
		fprintf(f, "set policy");
		put(f, "name", assigned);
		put_bool(f, "assign", true);
		fprintf(f, "\n");
	}
	store_list_free(p, n, sizeof(*p));
	return rc;
}

int
static_dump_location(struct store *st, FILE *f)
{
	if (dump_filterlists(st, f) < 0 || dump_filteractions(st, f) < 0 ||
	    dump_policies(st, f) < 0)
		return -1;
	return 0;
}

static bool
location_empty(struct store *st)
{
	struct store_filterlist *fl = NULL;
	struct store_filteraction *fa = NULL;
	struct store_policy *p = NULL;
	size_t nfl = 0, nfa = 0, np = 0;
	bool empty;

	store_filterlist_list(st, &fl, &nfl);
	store_filteraction_list(st, &fa, &nfa);
	store_policy_list(st, &p, &np);
	empty = nfl == 0 && nfa == 0 && np == 0;
	store_list_free(fl, nfl, sizeof(*fl));
	store_list_free(fa, nfa, sizeof(*fa));
	store_list_free(p, np, sizeof(*p));
	return empty;
}

enum cmd_status
static_dump(struct shell *sh, FILE *f)
{
	struct store *st = sh->store;
	enum store_location was = store_get_location(st);
	int rc;

	fprintf(f, "# ipsecsh static configuration\n"
		   "# It holds pre-shared keys: keep it where only root can "
		   "read it.\n"
		   "pushd ipsec static\n"
		   "set store location=local\n");
	store_set_location(st, STORE_LOC_LOCAL);
	rc = static_dump_location(st, f);
	store_set_location(st, STORE_LOC_PERSISTENT);
	if (rc == 0 && !location_empty(st)) {
		fprintf(f, "set store location=persistent\n");
		rc = static_dump_location(st, f);
		fprintf(f, "set store location=local\n");
	}
	store_set_location(st, was);
	fprintf(f, "popd\n");
	if (rc < 0) {
		shell_store_error(sh);
		return CMD_ERROR;
	}
	return CMD_OK;
}
