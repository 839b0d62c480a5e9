/*
 * static_model.c - the show models of static objects.  Each object is
 * described once here; show policy, show rule, show filterlist, show
 * filteraction and show all render these models (verbose output nests
 * them).  Secrets never enter a model: a pre-shared key is "********".
 */
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "static.h"
#include "static_common.h"
#include "vocab.h"

struct out *
static_out_new(const struct args *a)
{
	const struct arg *fmt = arg_find(a, "format");
	const struct arg *wide = arg_find(a, "wide");

	return out_new(fmt != NULL ? (enum out_format)fmt->num : OUT_LIST,
		       wide != NULL ? wide->num != 0 : true);
}

bool
static_verbose(const struct args *a)
{
	const struct arg *level = arg_find(a, "level");

	return level != NULL && level->num == 1;
}

/*
 * Tables keep to the columns people scan (name, state, settings); the
 * identifying details (GUID, store, time) are in list and JSON output.
 */
static bool
details(const struct out *o)
{
	return out_format_of(o) != OUT_TABLE;
}

static void
field_time(struct out *o, int64_t t)
{
	char buf[64];
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, sizeof(buf), "%lld", (long long)t);
	out_str(o, "last_modified", "Last Modified", buf);
}

static void
field_text(struct out *o, const char *key, const char *label,
	   const char *value)
{
	/* netsh prints NONE for an empty value; JSON keeps "". */
	if (value[0] == '\0' && out_format_of(o) != OUT_JSON)
		out_str(o, key, label, "NONE");
	else
		out_str(o, key, label, value);
}

static void
upper(char *dst, size_t len, const char *src)
{
	size_t i = 0;

	for (; src[i] != '\0' && i + 1 < len; i++)
		dst[i] = (src[i] >= 'a' && src[i] <= 'z') ? src[i] - 32 : src[i];
	dst[i] = '\0';
}

void
model_filteraction(struct out *o, const struct store_filteraction *fa)
{
	char action[16];

	upper(action, sizeof(action), static_action_name(fa->action));
	out_object(o);
	out_str(o, "name", "FilterAction Name", fa->name);
	if (details(o)) {
		field_text(o, "description", "Description", fa->description);
		out_str(o, "guid", "GUID", fa->guid);
		field_time(o, fa->modified);
	}
	out_str(o, "action", "Action", action);
	out_bool(o, "qmpfs", "QMPFS", fa->qmpfs);
	out_bool(o, "inpass", "Inbound Passthru", fa->inpass);
	out_bool(o, "soft", "AllowUnsecured", fa->soft);
	out_str(o, "qmsecmethods", "Security Methods", fa->qmsecmethods);
	out_object_end(o);
}

/* getnameinfo of a literal address, "" if it has no name. */
static void
reverse_name(const char *text, char *buf, size_t len)
{
	struct addr_spec as;
	char err[VOCAB_ERR_MAX];
	struct sockaddr_storage ss;
	socklen_t sl;

	buf[0] = '\0';
	if (vocab_addr_parse(text, &as, err, sizeof(err)) < 0 ||
	    as.kind != ADDR_IP)
		return;
	memset(&ss, 0, sizeof(ss));
	if (as.lo.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, as.lo.bytes, 4);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, as.lo.bytes, 16);
		sl = sizeof(*sin6);
	}
	if (getnameinfo((struct sockaddr *)&ss, sl, buf, (socklen_t)len, NULL,
			0, NI_NAMEREQD) != 0)
		buf[0] = '\0';
}

static void
field_port(struct out *o, const char *key, const char *label, int port)
{
	if (port == 0 && out_format_of(o) != OUT_JSON)
		out_str(o, key, label, "ANY");
	else
		out_int(o, key, label, port);
}

void
model_filter(struct out *o, const struct store_filter *f, bool resolvedns)
{
	char proto[16], name[256];

	vocab_protocol_format(f->protocol, proto, sizeof(proto));
	out_object(o);
	field_text(o, "description", "Description", f->description);
	out_bool(o, "mirrored", "Mirrored", f->mirrored);
	out_str(o, "srcaddr", "Source IP Address", f->srcaddr);
	field_text(o, "srcmask", "Source Mask", f->srcmask);
	if (resolvedns) {
		reverse_name(f->srcaddr, name, sizeof(name));
		field_text(o, "srcdns", "Source DNS Name", name);
	}
	out_str(o, "dstaddr", "Destination IP Address", f->dstaddr);
	field_text(o, "dstmask", "Destination Mask", f->dstmask);
	if (resolvedns) {
		reverse_name(f->dstaddr, name, sizeof(name));
		field_text(o, "dstdns", "Destination DNS Name", name);
	}
	out_str(o, "protocol", "Protocol", proto);
	field_port(o, "srcport", "Source Port", f->srcport);
	field_port(o, "dstport", "Destination Port", f->dstport);
	out_object_end(o);
}

void
model_filterlist(struct out *o, struct store *st,
		 const struct store_filterlist *fl, bool verbose,
		 bool resolvedns)
{
	out_object(o);
	out_str(o, "name", "FilterList Name", fl->name);
	field_text(o, "description", "Description", fl->description);
	if (details(o)) {
		out_str(o, "guid", "GUID", fl->guid);
		field_time(o, fl->modified);
	}
	out_int(o, "filters", "No. of Filters", fl->nfilters);
	if (verbose) {
		struct store_filter *f = NULL;
		size_t n = 0;
		out_section(o, "filter_list", "Filters");
		if (store_filter_list(st, fl->name, &f, &n) == 0)
			for (size_t i = 0; i < n; i++)
				model_filter(o, &f[i], resolvedns);
		out_section_end(o);
		store_list_free(f, n, sizeof(*f));
	}
	out_object_end(o);
}

/* "Preshared Key (********); Root CA (ca.pem certmap:no ...)". */
static void
auth_text(const struct store_rule *r, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->nauth && used < len; i++) {
		const struct store_auth *au = &r->auth[i];
		int w;
		if (au->kind == STORE_AUTH_PSK)
			w = snprintf(buf + used, len - used,
				     "%sPreshared Key (********)",
				     i ? "; " : "");
		else
			w = snprintf(buf + used, len - used,
				     "%sRoot CA (%s certmap:%s "
				     "excludecaname:%s)",
				     i ? "; " : "", au->value,
				     au->certmap ? "yes" : "no",
				     au->excludecaname ? "yes" : "no");
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

void
model_rule(struct out *o, struct store *st, const struct store_rule *r,
	   bool verbose)
{
	char auth[4096], conn[16];

	auth_text(r, auth, sizeof(auth));
	upper(conn, sizeof(conn), static_conntype_name(r->conntype));
	out_object(o);
	out_str(o, "name", "Rule Name",
		r->is_default ? "Default Response Rule" : r->name);
	out_int(o, "id", "Rule ID", r->id);
	if (details(o)) {
		field_text(o, "description", "Description", r->description);
		out_str(o, "guid", "GUID", r->guid);
		field_time(o, r->modified);
	}
	out_bool(o, "activated", "Activated", r->activate);
	out_bool(o, "tunnel_rule", "Tunnel Rule", r->tunnel[0] != '\0');
	field_text(o, "tunnel", "Tunnel End Point", r->tunnel);
	out_str(o, "conntype", "Connection Type", conn);
	if (r->is_default) {
		out_str(o, "action", "Filter Action", "NEGOTIATE");
		out_bool(o, "qmpfs", "QMPFS", r->qmpfs);
		out_str(o, "qmsecmethods", "Security Methods",
			r->qmsecmethods);
	} else {
		out_str(o, "filterlist", "FilterList Name", r->filterlist);
		out_str(o, "filteraction", "FilterAction Name",
			r->filteraction);
	}
	field_text(o, "authentication", "Authentication Methods", auth);
	if (verbose && !r->is_default) {
		struct store_filterlist fl;
		struct store_filteraction fa;
		if (store_filterlist_get(st, r->filterlist, &fl) == 0) {
			out_section(o, "filterlist_detail", "Filter List");
			model_filterlist(o, st, &fl, true, false);
			out_section_end(o);
		}
		if (store_filteraction_get(st, r->filteraction, &fa) == 0) {
			out_section(o, "filteraction_detail",
				    "Filter Action");
			model_filteraction(o, &fa);
			out_section_end(o);
		}
	}
	out_object_end(o);
}

void
model_policy(struct out *o, struct store *st, const struct store_policy *p,
	     int depth)
{
	out_object(o);
	out_str(o, "name", "Policy Name", p->name);
	if (details(o)) {
		field_text(o, "description", "Description", p->description);
		out_str(o, "guid", "GUID", p->guid);
		out_str(o, "store", "Store",
			store_get_location(st) == STORE_LOC_PERSISTENT
				? "Persistent Store"
				: "Local Store");
		field_time(o, p->modified);
	}
	out_bool(o, "assigned", "Assigned", p->assigned);
	out_bool(o, "mmpfs", "Master PFS", p->mmpfs);
	out_int(o, "pollinginterval", "Polling (min)", p->pollinginterval);
	out_int(o, "mmlifetime", "MM Lifetime (min)", p->mmlifetime);
	out_int(o, "qmpermm", "QM per MM", p->qmpermm);
	out_bool(o, "activatedefaultrule", "Default Response Rule",
		 p->activatedefaultrule);
	out_int(o, "rules", "No. of Rules", p->nrules);
	out_str(o, "mmsecmethods", "MM Security Methods", p->mmsecmethods);
	if (depth > 0) {
		struct store_rule *r = NULL;
		size_t n = 0;
		out_section(o, "rule_list", "Rules");
		if (store_rule_list(st, p->name, &r, &n) == 0)
			for (size_t i = 0; i < n; i++)
				model_rule(o, st, &r[i], depth > 1);
		out_section_end(o);
		store_list_free(r, n, sizeof(*r));
	}
	out_object_end(o);
}
