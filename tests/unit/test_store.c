/*
 * test_store.c - unit tests of store/store.c and store/schema.c against
 * real SQLite files in temporary directories: file mode and refusal,
 * connection settings, every object's add/get/update/delete/list, names
 * unique case-insensitively, relations (in use, cascade, default rule,
 * assignment, locations), filters by content, atomicity of calls,
 * commands and batches (including a process that dies mid-batch), the
 * change counter, migration from schema 1, refusal of a newer schema, and
 * wiping of secrets.  Needs no root; as root it also checks ownership.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "store_internal.h"
#include "vocab.h"

#define T0 1700000000
#define NOBODY 65534

struct fx {
	char dir[64];
	char path[128];
	struct store *st;
};

/* ---- helpers ---------------------------------------------------------- */

static int
rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void
rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
make_dir(struct fx *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/policy.db", f->dir);
}

static struct store *
open_ok(const char *path)
{
	char err[512] = "";
	struct store *st;

	st = store_open(path, err, sizeof(err));
	if (st == NULL)
		fail_msg("store_open %s: %s", path, err);
	return st;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	make_dir(f);
	store_test_set_time(T0);
	f->st = open_ok(f->path);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	store_test_set_time(0);
	rm_tree(f->dir);
	free(f);
	return 0;
}

static struct store_policy
mk_policy(const char *name)
{
	struct store_policy p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.description, sizeof(p.description), "policy %s", name);
	p.qmpermm = 0;
	p.mmlifetime = 480;
	p.activatedefaultrule = true;
	p.pollinginterval = 180;
	snprintf(p.mmsecmethods, sizeof(p.mmsecmethods), "%s",
		 VOCAB_MMSEC_DEFAULT);
	return p;
}

static struct store_filterlist
mk_fl(const char *name)
{
	struct store_filterlist l;

	memset(&l, 0, sizeof(l));
	snprintf(l.name, sizeof(l.name), "%s", name);
	snprintf(l.description, sizeof(l.description), "list %s", name);
	return l;
}

static struct store_filteraction
mk_fa(const char *name, enum store_action action)
{
	struct store_filteraction a;

	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "%s", name);
	a.action = action;
	a.inpass = true;
	snprintf(a.qmsecmethods, sizeof(a.qmsecmethods), "%s",
		 "ESP[AES128GCM]:100000k/3600s");
	return a;
}

static struct store_filter
mk_filter(const char *list, const char *src, const char *dst, int proto)
{
	struct store_filter x;

	memset(&x, 0, sizeof(x));
	snprintf(x.filterlist, sizeof(x.filterlist), "%s", list);
	snprintf(x.srcaddr, sizeof(x.srcaddr), "%s", src);
	snprintf(x.dstaddr, sizeof(x.dstaddr), "%s", dst);
	snprintf(x.srcmask, sizeof(x.srcmask), "255.255.255.255");
	snprintf(x.dstmask, sizeof(x.dstmask), "0.0.0.0");
	x.protocol = proto;
	x.mirrored = true;
	return x;
}

/* The rule struct is big (auth values): tests keep it static. */
static void
mk_rule(struct store_rule *r, const char *policy, const char *name,
	const char *fl, const char *fa)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->policy, sizeof(r->policy), "%s", policy);
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->filterlist, sizeof(r->filterlist), "%s", fl);
	snprintf(r->filteraction, sizeof(r->filteraction), "%s", fa);
	r->activate = true;
	r->conntype = STORE_CONN_LAN;
	r->nauth = 1;
	r->auth[0].kind = STORE_AUTH_PSK;
	snprintf(r->auth[0].value, sizeof(r->auth[0].value), "psk-%s", name);
}

static void
add_policy(struct store *st, const char *name)
{
	struct store_policy p = mk_policy(name);

	assert_int_equal(store_policy_add(st, &p), 0);
}

static void
add_fl(struct store *st, const char *name)
{
	struct store_filterlist l = mk_fl(name);

	assert_int_equal(store_filterlist_add(st, &l), 0);
}

static void
add_fa(struct store *st, const char *name)
{
	struct store_filteraction a = mk_fa(name, STORE_ACTION_NEGOTIATE);

	assert_int_equal(store_filteraction_add(st, &a), 0);
}

static int
add_rule(struct store *st, const char *policy, const char *name,
	 const char *fl, const char *fa)
{
	static struct store_rule r;
	int rc;

	mk_rule(&r, policy, name, fl, fa);
	rc = store_rule_add(st, &r);
	assert_int_equal(rc, 0);
	rc = r.id;
	store_rule_wipe(&r);
	return rc;
}

/* A policy "P" with rule "R1" using filter list "Web" and action "Sec". */
static void
add_basic(struct store *st)
{
	add_fl(st, "Web");
	add_fa(st, "Sec");
	add_policy(st, "P");
	assert_int_equal(add_rule(st, "P", "R1", "Web", "Sec"), 1);
}

static void
check_guid(const char *g)
{
	assert_int_equal(strlen(g), STORE_GUID_LEN - 1);
	assert_int_equal(g[0], '{');
	assert_int_equal(g[37], '}');
	for (int i = 1; i < 37; i++) {
		if (i == 9 || i == 14 || i == 19 || i == 24)
			assert_int_equal(g[i], '-');
		else if (!((g[i] >= '0' && g[i] <= '9') ||
			   (g[i] >= 'A' && g[i] <= 'F')))
			fail_msg("bad GUID character in %s", g);
	}
}

static void
dump_rules(struct store *st, FILE *out, const char *policy)
{
	struct store_rule *r = NULL;
	size_t n = 0;

	assert_int_equal(store_rule_list(st, policy, &r, &n), 0);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "  rule %d [%s] %s %s fl=%s fa=%s t=%s c=%d a=%d "
			"d=%d pfs=%d qm=%s m=%lld\n",
			r[i].id, r[i].name, r[i].guid, r[i].description,
			r[i].filterlist, r[i].filteraction, r[i].tunnel,
			(int)r[i].conntype, r[i].activate, r[i].is_default,
			r[i].qmpfs, r[i].qmsecmethods,
			(long long)r[i].modified);
		for (size_t j = 0; j < r[i].nauth; j++)
			fprintf(out, "    auth %d %s %d %d\n",
				(int)r[i].auth[j].kind, r[i].auth[j].value,
				r[i].auth[j].certmap,
				r[i].auth[j].excludecaname);
	}
	store_list_free(r, n, sizeof(*r));
}

static void
dump_location(struct store *st, FILE *out)
{
	struct store_policy *p = NULL;
	struct store_filterlist *l = NULL;
	struct store_filteraction *a = NULL;
	struct store_filter *x = NULL;
	size_t np = 0, nl = 0, na = 0, nx = 0;

	assert_int_equal(store_policy_list(st, &p, &np), 0);
	for (size_t i = 0; i < np; i++) {
		fprintf(out, "policy [%s] %s %s %d %d %d %d %d %d %s %lld %d\n",
			p[i].name, p[i].guid, p[i].description, p[i].mmpfs,
			p[i].qmpermm, p[i].mmlifetime,
			p[i].activatedefaultrule, p[i].pollinginterval,
			p[i].assigned, p[i].mmsecmethods,
			(long long)p[i].modified, p[i].nrules);
		dump_rules(st, out, p[i].name);
	}
	assert_int_equal(store_filterlist_list(st, &l, &nl), 0);
	for (size_t i = 0; i < nl; i++) {
		fprintf(out, "filterlist [%s] %s %s %lld %d\n", l[i].name,
			l[i].guid, l[i].description, (long long)l[i].modified,
			l[i].nfilters);
		assert_int_equal(store_filter_list(st, l[i].name, &x, &nx), 0);
		for (size_t j = 0; j < nx; j++)
			fprintf(out, "  filter %s %s %s %d %d %s %s %d %d\n",
				x[j].srcaddr, x[j].dstaddr, x[j].description,
				x[j].protocol, x[j].mirrored, x[j].srcmask,
				x[j].dstmask, x[j].srcport, x[j].dstport);
		store_list_free(x, nx, sizeof(*x));
	}
	assert_int_equal(store_filteraction_list(st, &a, &na), 0);
	for (size_t i = 0; i < na; i++)
		fprintf(out, "filteraction [%s] %s %s %d %d %d %d %s %lld\n",
			a[i].name, a[i].guid, a[i].description, a[i].qmpfs,
			a[i].inpass, a[i].soft, (int)a[i].action,
			a[i].qmsecmethods, (long long)a[i].modified);
	store_list_free(p, np, sizeof(*p));
	store_list_free(l, nl, sizeof(*l));
	store_list_free(a, na, sizeof(*a));
}

/* Everything of both locations, as text; caller frees. */
static char *
snapshot(struct store *st)
{
	enum store_location saved = store_get_location(st);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	store_set_location(st, STORE_LOC_LOCAL);
	fprintf(out, "[local]\n");
	dump_location(st, out);
	store_set_location(st, STORE_LOC_PERSISTENT);
	fprintf(out, "[persistent]\n");
	dump_location(st, out);
	store_set_location(st, saved);
	fclose(out);
	return buf;
}

static void
populate(struct store *st)
{
	struct store_filter x = mk_filter("Web", "10.0.0.1", "any", 6);

	add_basic(st);
	x.dstport = 80;
	assert_int_equal(store_filter_add(st, &x), 0);
	add_policy(st, "Q");
	assert_int_equal(add_rule(st, "Q", "R1", "Web", "Sec"), 1);
	store_set_location(st, STORE_LOC_PERSISTENT);
	add_basic(st);
	store_set_location(st, STORE_LOC_LOCAL);
}

static bool
fl_exists(struct store *st, const char *name)
{
	struct store_filterlist l;

	return store_filterlist_get(st, name, &l) == 0;
}

static mode_t
file_mode(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return sb.st_mode & 07777;
}

static void
pragma_text(sqlite3 *db, const char *sql, char *out, size_t len)
{
	sqlite3_stmt *s = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(out, len, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
}

/* ---- file and connection ---------------------------------------------- */

static void
test_file_created_0600(void **state)
{
	struct fx *f = *state;
	char path[160];
	mode_t old = umask(0);
	struct store *st;

	/* Even with umask 0 the file is private. */
	snprintf(path, sizeof(path), "%s/other.db", f->dir);
	st = open_ok(path);
	umask(old);
	assert_int_equal(file_mode(path), 0600);
	add_fl(st, "X");
	/* SQLite gives the WAL the mode of the database. */
	snprintf(path, sizeof(path), "%s/other.db-wal", f->dir);
	assert_int_equal(file_mode(path), 0600);
	assert_string_equal(store_path(st) + strlen(f->dir), "/other.db");
	store_close(st);
	assert_int_equal(file_mode(f->path), 0600);
}

static void
test_refuses_shared_file(void **state)
{
	struct fx *f = *state;
	static const mode_t bad[] = { 0640, 0604, 0620, 0602, 0660, 0644 };
	char path[160];
	char err[512];
	int code = 0;

	snprintf(path, sizeof(path), "%s/shared.db", f->dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = open(path, O_CREAT | O_RDWR, 0600);

		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(chmod(path, bad[i]), 0);
		err[0] = '\0';
		assert_null(store_open_ex(path, &code, err, sizeof(err)));
		assert_int_equal(code, STORE_EPERM);
		assert_non_null(strstr(err, "accessible by group or others"));
		assert_null(store_open(path, NULL, 0));
	}
	/* A directory is not a store. */
	assert_null(store_open_ex(f->dir, &code, err, sizeof(err)));
	assert_true(code == STORE_EPERM || code == STORE_EIO);
	/* Root refuses a file that another user owns (and could rewrite). */
	if (geteuid() == 0) {
		assert_int_equal(chmod(path, 0600), 0);
		assert_int_equal(chown(path, NOBODY, NOBODY), 0);
		assert_null(store_open_ex(path, &code, err, sizeof(err)));
		assert_int_equal(code, STORE_EPERM);
		assert_non_null(strstr(err, "owned by uid 65534"));
	}
	assert_null(store_open_ex("", &code, err, sizeof(err)));
	assert_int_equal(code, STORE_EINVAL);
}

static void
test_connection_settings(void **state)
{
	struct fx *f = *state;
	sqlite3 *db = store_sqlite(f->st);
	char v[64];

	pragma_text(db, "PRAGMA journal_mode", v, sizeof(v));
	assert_string_equal(v, "wal");
	pragma_text(db, "PRAGMA foreign_keys", v, sizeof(v));
	assert_string_equal(v, "1");
	pragma_text(db, "PRAGMA busy_timeout", v, sizeof(v));
	assert_string_equal(v, "5000");
	assert_int_equal(store_schema_version(f->st), STORE_SCHEMA_VERSION);
	assert_int_equal(STORE_SCHEMA_VERSION, 2);
	/* WAL is a property of the file: a second connection sees it. */
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY,
					 NULL),
			 SQLITE_OK);
	pragma_text(db, "PRAGMA journal_mode", v, sizeof(v));
	assert_string_equal(v, "wal");
	sqlite3_close(db);
	assert_string_equal(store_location_name(STORE_LOC_LOCAL), "local");
	assert_string_equal(store_location_name(STORE_LOC_PERSISTENT),
			    "persistent");
}

/* Runs as a non-root user: XDG and HOME rules, directory created 0700. */
static int
user_default_path(const char *dir)
{
	char want[160];
	char sub[160];
	struct store *st;
	struct stat sb;
	char *p;

	snprintf(sub, sizeof(sub), "%s/xdg", dir);
	setenv("XDG_DATA_HOME", sub, 1);
	p = store_default_path();
	snprintf(want, sizeof(want), "%s/xdg/ipsecsh/policy.db", dir);
	if (p == NULL || strcmp(p, want) != 0)
		return 1;
	st = store_open(p, NULL, 0);
	free(p);
	if (st == NULL)
		return 2;
	store_close(st);
	snprintf(sub, sizeof(sub), "%s/xdg/ipsecsh", dir);
	if (stat(sub, &sb) < 0 || (sb.st_mode & 0777) != 0700)
		return 3;
	if (stat(want, &sb) < 0 || (sb.st_mode & 0777) != 0600)
		return 4;
	/* A relative XDG_DATA_HOME is ignored (XDG base directory spec). */
	setenv("XDG_DATA_HOME", "relative/dir", 1);
	setenv("HOME", "/home/someone", 1);
	p = store_default_path();
	if (p == NULL ||
	    strcmp(p, "/home/someone/.local/share/ipsecsh/policy.db") != 0)
		return 5;
	free(p);
	unsetenv("XDG_DATA_HOME");
	p = store_default_path();
	if (p == NULL ||
	    strcmp(p, "/home/someone/.local/share/ipsecsh/policy.db") != 0)
		return 6;
	free(p);
	/* Only the default path gets its directory made. */
	snprintf(sub, sizeof(sub), "%s/nodir/policy.db", dir);
	st = store_open(sub, NULL, 0);
	if (st != NULL)
		return 7;
	return 0;
}

static void
test_default_path(void **state)
{
	struct fx *f = *state;
	int status = 0;
	pid_t pid;
	char *p;

	if (geteuid() == 0) {
		p = store_default_path();
		assert_string_equal(p, "/var/lib/ipsecsh/policy.db");
		free(p);
	}
	/* The user rules, in a child (as nobody when we are root). */
	if (geteuid() == 0)
		assert_int_equal(chown(f->dir, NOBODY, NOBODY), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 &&
		    (setgid(NOBODY) < 0 || setuid(NOBODY) < 0))
			_exit(99);
		_exit(user_default_path(f->dir));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- objects ---------------------------------------------------------- */

static void
test_policy_crud(void **state)
{
	struct fx *f = *state;
	struct store_policy p = mk_policy("Office"), got, *list = NULL;
	char guid[STORE_GUID_LEN];
	size_t n = 0;

	p.mmpfs = true;
	p.qmpermm = 3;
	assert_int_equal(store_policy_add(f->st, &p), 0);
	assert_int_equal(store_policy_get(f->st, "OFFICE", &got), 0);
	assert_string_equal(got.name, "Office");
	assert_string_equal(got.description, "policy Office");
	assert_true(got.mmpfs);
	assert_int_equal(got.qmpermm, 3);
	assert_int_equal(got.mmlifetime, 480);
	assert_int_equal(got.pollinginterval, 180);
	assert_true(got.activatedefaultrule);
	assert_false(got.assigned);
	assert_string_equal(got.mmsecmethods, VOCAB_MMSEC_DEFAULT);
	assert_int_equal(got.modified, T0);
	assert_int_equal(got.nrules, 1);
	check_guid(got.guid);
	memcpy(guid, got.guid, sizeof(guid));

	/* By GUID, in any case. */
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_policy_get_by_guid(f->st, guid, &got), 0);
	assert_string_equal(got.name, "Office");
	for (char *c = guid; *c; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
	assert_int_equal(store_policy_get_by_guid(f->st, guid, &got), 0);

	/* Update replaces every field; GUID stays, modified moves. */
	store_test_set_time(T0 + 60);
	p = mk_policy("Branch");
	p.mmlifetime = 600;
	snprintf(p.description, sizeof(p.description), "renamed");
	assert_int_equal(store_policy_update(f->st, "office", &p), 0);
	assert_int_equal(store_policy_get(f->st, "Office", &got), STORE_ENOENT);
	assert_string_equal(store_errmsg(f->st),
			    "policy \"Office\" does not exist.");
	assert_int_equal(store_policy_get(f->st, "Branch", &got), 0);
	assert_int_equal(got.mmlifetime, 600);
	assert_false(got.mmpfs);
	assert_string_equal(got.description, "renamed");
	assert_int_equal(got.modified, T0 + 60);
	assert_int_equal(strcasecmp(got.guid, guid), 0);

	/* List order: by name case-insensitively. */
	add_policy(f->st, "alpha");
	add_policy(f->st, "Charlie");
	assert_int_equal(store_policy_list(f->st, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].name, "alpha");
	assert_string_equal(list[1].name, "Branch");
	assert_string_equal(list[2].name, "Charlie");
	assert_int_equal(list[1].nrules, 1);
	store_list_free(list, n, sizeof(*list));

	assert_int_equal(store_policy_delete(f->st, "BRANCH"), 0);
	assert_int_equal(store_policy_get(f->st, "Branch", &got), STORE_ENOENT);
	assert_int_equal(store_policy_delete(f->st, "Branch"), STORE_ENOENT);
	assert_string_equal(store_errmsg(f->st),
			    "policy \"Branch\" does not exist.");
	assert_int_equal(store_policy_update(f->st, "Nope", &p), STORE_ENOENT);
	assert_string_equal(store_errmsg(f->st),
			    "policy \"Nope\" does not exist.");
	assert_int_equal(store_policy_get_by_guid(f->st, guid, &got),
			 STORE_ENOENT);
	assert_non_null(strstr(store_errmsg(f->st), "does not exist."));
	p = mk_policy("");
	assert_int_equal(store_policy_add(f->st, &p), STORE_EINVAL);
}

static void
test_filterlist_crud(void **state)
{
	struct fx *f = *state;
	struct store_filterlist l = mk_fl("Web"), got, *list = NULL;
	size_t n = 0;

	assert_int_equal(store_filterlist_add(f->st, &l), 0);
	assert_int_equal(store_filterlist_get(f->st, "web", &got), 0);
	assert_string_equal(got.name, "Web");
	assert_string_equal(got.description, "list Web");
	assert_int_equal(got.nfilters, 0);
	assert_int_equal(got.modified, T0);
	check_guid(got.guid);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_filterlist_get_by_guid(f->st, got.guid, &l), 0);
	assert_string_equal(l.name, "Web");

	store_test_set_time(T0 + 5);
	l = mk_fl("HTTP");
	assert_int_equal(store_filterlist_update(f->st, "WEB", &l), 0);
	assert_int_equal(store_filterlist_get(f->st, "http", &l), 0);
	assert_string_equal(l.guid, got.guid);
	assert_string_equal(l.description, "list HTTP");
	assert_int_equal(l.modified, T0 + 5);

	add_fl(f->st, "dns");
	add_fl(f->st, "Any");
	assert_int_equal(store_filterlist_list(f->st, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].name, "Any");
	assert_string_equal(list[1].name, "dns");
	assert_string_equal(list[2].name, "HTTP");
	store_list_free(list, n, sizeof(*list));

	assert_int_equal(store_filterlist_delete(f->st, "http"), 0);
	assert_int_equal(store_filterlist_get(f->st, "HTTP", &l), STORE_ENOENT);
	assert_string_equal(store_errmsg(f->st),
			    "filter list \"HTTP\" does not exist.");
	assert_int_equal(store_filterlist_delete(f->st, "Web"), STORE_ENOENT);
	assert_string_equal(store_errmsg(f->st),
			    "filter list \"Web\" does not exist.");
}

static void
test_filteraction_crud(void **state)
{
	struct fx *f = *state;
	struct store_filteraction a = mk_fa("Block", STORE_ACTION_BLOCK), got;
	struct store_filteraction *list = NULL;
	size_t n = 0;

	a.soft = true;
	assert_int_equal(store_filteraction_add(f->st, &a), 0);
	assert_int_equal(store_filteraction_get(f->st, "BLOCK", &got), 0);
	assert_string_equal(got.name, "Block");
	assert_int_equal(got.action, STORE_ACTION_BLOCK);
	assert_true(got.soft);
	assert_true(got.inpass);
	assert_false(got.qmpfs);
	assert_string_equal(got.qmsecmethods, "ESP[AES128GCM]:100000k/3600s");
	assert_int_equal(got.modified, T0);
	check_guid(got.guid);
	memset(&a, 0, sizeof(a));
	assert_int_equal(store_filteraction_get_by_guid(f->st, got.guid, &a),
			 0);
	assert_string_equal(a.name, "Block");

	store_test_set_time(T0 + 9);
	a = mk_fa("Secure", STORE_ACTION_NEGOTIATE);
	a.qmpfs = true;
	a.inpass = false;
	assert_int_equal(store_filteraction_update(f->st, "block", &a), 0);
	assert_int_equal(store_filteraction_get(f->st, "secure", &a), 0);
	assert_int_equal(a.action, STORE_ACTION_NEGOTIATE);
	assert_true(a.qmpfs);
	assert_false(a.inpass);
	assert_false(a.soft);
	assert_string_equal(a.guid, got.guid);
	assert_int_equal(a.modified, T0 + 9);

	add_fa(f->st, "permit");
	assert_int_equal(store_filteraction_list(f->st, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "permit");
	assert_string_equal(list[1].name, "Secure");
	store_list_free(list, n, sizeof(*list));

	assert_int_equal(store_filteraction_delete(f->st, "SECURE"), 0);
	assert_int_equal(store_filteraction_get(f->st, "Secure", &a),
			 STORE_ENOENT);
	assert_string_equal(store_errmsg(f->st),
			    "filter action \"Secure\" does not exist.");
}

static void
test_rule_crud(void **state)
{
	struct fx *f = *state;
	static struct store_rule r, got;
	struct store_rule *list = NULL;
	char guid[STORE_GUID_LEN];
	size_t n = 0;

	add_basic(f->st);
	add_fl(f->st, "Mail");
	add_fa(f->st, "Permit");
	mk_rule(&r, "p", "Mail rule", "mail", "permit");
	snprintf(r.tunnel, sizeof(r.tunnel), "192.0.2.1");
	snprintf(r.description, sizeof(r.description), "to the gateway");
	r.nauth = 3;
	r.auth[1].kind = STORE_AUTH_ROOTCA;
	snprintf(r.auth[1].value, sizeof(r.auth[1].value), "/etc/ca.pem");
	r.auth[1].excludecaname = true;
	r.auth[2].kind = STORE_AUTH_ROOTCA;
	snprintf(r.auth[2].value, sizeof(r.auth[2].value), "CN=Other CA");
	r.auth[2].certmap = true;
	assert_int_equal(store_rule_add(f->st, &r), 0);
	assert_int_equal(r.id, 2);
	check_guid(r.guid);
	assert_int_equal(r.modified, T0);
	memcpy(guid, r.guid, sizeof(guid));

	assert_int_equal(store_rule_get(f->st, "P", "MAIL RULE", &got), 0);
	assert_string_equal(got.policy, "P");
	assert_string_equal(got.name, "Mail rule");
	assert_int_equal(got.id, 2);
	assert_string_equal(got.guid, r.guid);
	assert_string_equal(got.description, "to the gateway");
	assert_string_equal(got.filterlist, "Mail");
	assert_string_equal(got.filteraction, "Permit");
	assert_string_equal(got.tunnel, "192.0.2.1");
	assert_int_equal(got.conntype, STORE_CONN_LAN);
	assert_true(got.activate);
	assert_false(got.is_default);
	assert_int_equal(got.nauth, 3);
	assert_int_equal(got.auth[0].kind, STORE_AUTH_PSK);
	assert_string_equal(got.auth[0].value, "psk-Mail rule");
	assert_int_equal(got.auth[1].kind, STORE_AUTH_ROOTCA);
	assert_string_equal(got.auth[1].value, "/etc/ca.pem");
	assert_false(got.auth[1].certmap);
	assert_true(got.auth[1].excludecaname);
	assert_string_equal(got.auth[2].value, "CN=Other CA");
	assert_true(got.auth[2].certmap);
	assert_false(got.auth[2].excludecaname);
	store_rule_wipe(&got);

	assert_int_equal(store_rule_get_by_id(f->st, "P", 2, &got), 0);
	assert_string_equal(got.name, "Mail rule");
	store_rule_wipe(&got);

	/* Update: rename, new references, auth replaced; id and GUID stay. */
	store_test_set_time(T0 + 30);
	mk_rule(&r, "P", "Web rule", "Web", "Sec");
	r.id = 2;
	r.activate = false;
	r.conntype = STORE_CONN_DIALUP;
	snprintf(r.auth[0].value, sizeof(r.auth[0].value), "new secret");
	assert_int_equal(store_rule_update(f->st, &r), 0);
	assert_int_equal(store_rule_get(f->st, "P", "Mail rule", &got),
			 STORE_ENOENT);
	assert_string_equal(store_errmsg(f->st),
			    "rule \"Mail rule\" does not exist in policy "
			    "\"P\".");
	assert_int_equal(store_rule_get(f->st, "P", "web rule", &got), 0);
	assert_int_equal(got.id, 2);
	assert_string_equal(got.guid, guid);
	assert_string_equal(got.filterlist, "Web");
	assert_string_equal(got.filteraction, "Sec");
	assert_string_equal(got.tunnel, "");
	assert_false(got.activate);
	assert_int_equal(got.conntype, STORE_CONN_DIALUP);
	assert_int_equal(got.nauth, 1);
	assert_string_equal(got.auth[0].value, "new secret");
	assert_int_equal(got.modified, T0 + 30);
	store_rule_wipe(&got);

	/* Missing references. */
	mk_rule(&r, "P", "R9", "Nope", "Sec");
	assert_int_equal(store_rule_add(f->st, &r), STORE_ENOENT);
	assert_string_equal(store_errmsg(f->st),
			    "filter list \"Nope\" does not exist.");
	mk_rule(&r, "P", "R9", "Web", "Block");
	assert_int_equal(store_rule_add(f->st, &r), STORE_ENOENT);
	assert_string_equal(store_errmsg(f->st),
			    "filter action \"Block\" does not exist.");
	mk_rule(&r, "Foo", "R9", "Web", "Sec");
	assert_int_equal(store_rule_add(f->st, &r), STORE_ENOENT);
	assert_string_equal(store_errmsg(f->st),
			    "policy \"Foo\" does not exist.");
	mk_rule(&r, "P", "R9", "", "Sec");
	assert_int_equal(store_rule_add(f->st, &r), STORE_EINVAL);
	mk_rule(&r, "P", "R9", "Web", "Sec");
	r.id = 7;
	assert_int_equal(store_rule_update(f->st, &r), STORE_ENOENT);
	assert_string_equal(store_errmsg(f->st),
			    "rule 7 does not exist in policy \"P\".");
	assert_int_equal(store_rule_get_by_id(f->st, "P", 7, &got),
			 STORE_ENOENT);
	assert_string_equal(store_errmsg(f->st),
			    "rule 7 does not exist in policy \"P\".");
	assert_int_equal(store_rule_delete(f->st, "P", 7), STORE_ENOENT);
	assert_string_equal(store_errmsg(f->st),
			    "rule 7 does not exist in policy \"P\".");
	assert_int_equal(store_rule_list(f->st, "Foo", &list, &n),
			 STORE_ENOENT);
	assert_string_equal(store_errmsg(f->st),
			    "policy \"Foo\" does not exist.");

	/* List: default first, then by id. */
	assert_int_equal(store_rule_list(f->st, "P", &list, &n), 0);
	assert_int_equal(n, 3);
	assert_true(list[0].is_default);
	assert_int_equal(list[0].id, 0);
	assert_int_equal(list[1].id, 1);
	assert_int_equal(list[2].id, 2);
	store_list_free(list, n, sizeof(*list));

	assert_int_equal(store_rule_delete(f->st, "P", 2), 0);
	assert_int_equal(store_rule_get_by_id(f->st, "P", 2, &got),
			 STORE_ENOENT);
	store_rule_wipe(&r);
}

/* ---- names ------------------------------------------------------------ */

static void
test_names_unique_nocase(void **state)
{
	struct fx *f = *state;
	struct store_policy p = mk_policy("FOO");
	struct store_filterlist l = mk_fl("WEB");
	struct store_filteraction a = mk_fa("sEC", STORE_ACTION_PERMIT);
	static struct store_rule r;

	add_basic(f->st);
	add_policy(f->st, "Foo");
	assert_int_equal(store_policy_add(f->st, &p), STORE_EEXIST);
	assert_string_equal(store_errmsg(f->st),
			    "policy \"FOO\" already exists.");
	assert_int_equal(store_filterlist_add(f->st, &l), STORE_EEXIST);
	assert_string_equal(store_errmsg(f->st),
			    "filter list \"WEB\" already exists.");
	assert_int_equal(store_filteraction_add(f->st, &a), STORE_EEXIST);
	assert_string_equal(store_errmsg(f->st),
			    "filter action \"sEC\" already exists.");

	/* Renames: onto another name refused, a change of case allowed. */
	p = mk_policy("p");
	assert_int_equal(store_policy_update(f->st, "Foo", &p), STORE_EEXIST);
	assert_string_equal(store_errmsg(f->st),
			    "policy \"p\" already exists.");
	p = mk_policy("fOO");
	assert_int_equal(store_policy_update(f->st, "Foo", &p), 0);
	assert_int_equal(store_policy_get(f->st, "foo", &p), 0);
	assert_string_equal(p.name, "fOO");
	add_fl(f->st, "Mail");
	l = mk_fl("web");
	assert_int_equal(store_filterlist_update(f->st, "Mail", &l),
			 STORE_EEXIST);
	add_fa(f->st, "Other");
	a = mk_fa("SEC", STORE_ACTION_PERMIT);
	assert_int_equal(store_filteraction_update(f->st, "Other", &a),
			 STORE_EEXIST);
	assert_string_equal(store_errmsg(f->st),
			    "filter action \"SEC\" already exists.");

	/* Rules: unique within their policy only. */
	mk_rule(&r, "P", "r1", "Web", "Sec");
	assert_int_equal(store_rule_add(f->st, &r), STORE_EEXIST);
	assert_string_equal(store_errmsg(f->st),
			    "rule \"r1\" already exists in policy \"P\".");
	mk_rule(&r, "foo", "r1", "Web", "Sec");
	assert_int_equal(store_rule_add(f->st, &r), 0);
	assert_int_equal(add_rule(f->st, "P", "R2", "Web", "Sec"), 2);
	mk_rule(&r, "P", "R1", "Web", "Sec");
	r.id = 2;
	assert_int_equal(store_rule_update(f->st, &r), STORE_EEXIST);
	assert_string_equal(store_errmsg(f->st),
			    "rule \"R1\" already exists in policy \"P\".");
	mk_rule(&r, "P", "r2", "Web", "Sec");
	r.id = 2;
	assert_int_equal(store_rule_update(f->st, &r), 0);
	store_rule_wipe(&r);
}

/* ---- relations -------------------------------------------------------- */

static void
test_in_use_not_deletable(void **state)
{
	struct fx *f = *state;
	struct store_rule *list = NULL;
	size_t n = 0;

	add_basic(f->st);
	add_policy(f->st, "A");
	assert_int_equal(add_rule(f->st, "A", "First", "Web", "Sec"), 1);
	/* The message names the first user by policy name. */
	assert_int_equal(store_filterlist_delete(f->st, "web"), STORE_EINUSE);
	assert_string_equal(store_errmsg(f->st),
			    "filter list \"web\" is used by rule \"First\" of "
			    "policy \"A\" and cannot be deleted.");
	assert_int_equal(store_filteraction_delete(f->st, "Sec"),
			 STORE_EINUSE);
	assert_string_equal(store_errmsg(f->st),
			    "filter action \"Sec\" is used by rule \"First\" "
			    "of policy \"A\" and cannot be deleted.");
	assert_true(fl_exists(f->st, "Web"));

	/* Users of a list or an action, in either argument. */
	assert_int_equal(store_rule_list_using(f->st, "WEB", NULL, &list, &n),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].policy, "A");
	assert_string_equal(list[0].name, "First");
	assert_string_equal(list[1].policy, "P");
	assert_string_equal(list[1].name, "R1");
	store_list_free(list, n, sizeof(*list));
	assert_int_equal(store_rule_list_using(f->st, NULL, "sec", &list, &n),
			 0);
	assert_int_equal(n, 2);
	store_list_free(list, n, sizeof(*list));
	/* Both NULL: every rule of the location, default rules too. */
	assert_int_equal(store_rule_list_using(f->st, NULL, NULL, &list, &n),
			 0);
	{
		struct store_policy *pl = NULL;
		size_t np = 0, total = 0, defaults = 0;
		assert_int_equal(store_policy_list(f->st, &pl, &np), 0);
		for (size_t i = 0; i < np; i++) {
			struct store_rule *r = NULL;
			size_t m = 0;
			assert_int_equal(store_rule_list(f->st, pl[i].name, &r,
							 &m),
					 0);
			total += m;
			store_list_free(r, m, sizeof(*r));
		}
		for (size_t i = 0; i < n; i++)
			defaults += list[i].is_default;
		assert_int_equal(n, total);
		assert_int_equal(defaults, np);
		store_list_free(pl, np, sizeof(*pl));
	}
	store_list_free(list, n, sizeof(*list));
	assert_int_equal(store_rule_list_using(f->st, "Nope", NULL, &list, &n),
			 0);
	assert_int_equal(n, 0);

	/* Renames keep the references. */
	{
		struct store_filterlist l = mk_fl("HTTP");
		struct store_rule *r = NULL;
		size_t m = 0;

		assert_int_equal(store_filterlist_update(f->st, "Web", &l), 0);
		assert_int_equal(store_rule_list(f->st, "P", &r, &m), 0);
		assert_int_equal(m, 2);
		assert_string_equal(r[1].filterlist, "HTTP");
		store_list_free(r, m, sizeof(*r));
	}

	assert_int_equal(store_rule_delete(f->st, "A", 1), 0);
	assert_int_equal(store_rule_delete(f->st, "P", 1), 0);
	assert_int_equal(store_filterlist_delete(f->st, "HTTP"), 0);
	assert_int_equal(store_filteraction_delete(f->st, "Sec"), 0);
}

static int64_t
count_rows(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s,
					    NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void
test_delete_policy_removes_rules(void **state)
{
	struct fx *f = *state;
	struct store_rule *list = NULL;
	size_t n = 0;

	add_basic(f->st);
	assert_int_equal(add_rule(f->st, "P", "R2", "Web", "Sec"), 2);
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM rule"), 3);
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM auth"), 2);
	assert_int_equal(store_policy_delete(f->st, "p"), 0);
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM rule"), 0);
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM auth"), 0);
	assert_int_equal(store_rule_list_using(f->st, "Web", "Sec", &list, &n),
			 0);
	assert_int_equal(n, 0);
	/* A new policy of the same name starts afresh. */
	add_policy(f->st, "P");
	assert_int_equal(store_rule_list(f->st, "P", &list, &n), 0);
	assert_int_equal(n, 1);
	assert_true(list[0].is_default);
	store_list_free(list, n, sizeof(*list));
	assert_int_equal(add_rule(f->st, "P", "R1", "Web", "Sec"), 1);
	assert_int_equal(store_policy_delete(f->st, "P"), 0);
	assert_int_equal(store_filterlist_delete(f->st, "Web"), 0);
}

static void
test_default_rule(void **state)
{
	struct fx *f = *state;
	struct store_policy p = mk_policy("P");
	static struct store_rule d, r;

	p.activatedefaultrule = false;
	assert_int_equal(store_policy_add(f->st, &p), 0);
	assert_int_equal(store_rule_get_default(f->st, "p", &d), 0);
	assert_true(d.is_default);
	assert_int_equal(d.id, 0);
	assert_string_equal(d.name, "");
	assert_string_equal(d.filterlist, "");
	assert_string_equal(d.filteraction, "");
	assert_string_equal(d.qmsecmethods, VOCAB_QMSEC_DEFAULT);
	assert_false(d.qmpfs);
	assert_false(d.activate);
	assert_int_equal(d.nauth, 0);
	check_guid(d.guid);
	assert_int_equal(store_rule_get_by_id(f->st, "P", 0, &r), 0);
	assert_string_equal(r.guid, d.guid);
	/* Not reachable by name: the shell addresses it as the default. */
	assert_int_equal(store_rule_get(f->st, "P", "", &r), STORE_ENOENT);

	assert_int_equal(store_rule_delete(f->st, "P", 0), STORE_EINVAL);
	assert_string_equal(store_errmsg(f->st),
			    "the default response rule of policy \"P\" cannot "
			    "be deleted.");
	assert_int_equal(store_rule_get_default(f->st, "P", &d), 0);

	/* policy.activatedefaultrule drives the rule ... */
	p.activatedefaultrule = true;
	assert_int_equal(store_policy_update(f->st, "P", &p), 0);
	assert_int_equal(store_rule_get_default(f->st, "P", &d), 0);
	assert_true(d.activate);

	/* ... and the rule drives the policy; its fixed shape stays. */
	store_test_set_time(T0 + 1);
	d.activate = false;
	d.qmpfs = true;
	snprintf(d.qmsecmethods, sizeof(d.qmsecmethods),
		 "ESP[AES256,SHA256]:100000k/3600s");
	snprintf(d.name, sizeof(d.name), "sneaky");
	snprintf(d.filterlist, sizeof(d.filterlist), "x");
	d.nauth = 1;
	d.auth[0].kind = STORE_AUTH_PSK;
	snprintf(d.auth[0].value, sizeof(d.auth[0].value), "default psk");
	assert_int_equal(store_rule_update(f->st, &d), 0);
	assert_int_equal(store_policy_get(f->st, "P", &p), 0);
	assert_false(p.activatedefaultrule);
	assert_int_equal(p.modified, T0 + 1);
	memset(&r, 0, sizeof(r));
	assert_int_equal(store_rule_get_default(f->st, "P", &r), 0);
	assert_false(r.activate);
	assert_true(r.qmpfs);
	assert_string_equal(r.qmsecmethods,
			    "ESP[AES256,SHA256]:100000k/3600s");
	assert_string_equal(r.name, "");
	assert_string_equal(r.filterlist, "");
	assert_int_equal(r.nauth, 1);
	assert_string_equal(r.auth[0].value, "default psk");
	store_rule_wipe(&r);
	store_rule_wipe(&d);
	assert_int_equal(store_rule_get_default(f->st, "Nope", &r),
			 STORE_ENOENT);
	assert_string_equal(store_errmsg(f->st),
			    "policy \"Nope\" does not exist.");
}

static void
test_rule_ids_not_reused(void **state)
{
	struct fx *f = *state;
	static struct store_rule r;
	struct store_rule *list = NULL;
	size_t n = 0;

	add_basic(f->st);
	assert_int_equal(add_rule(f->st, "P", "R2", "Web", "Sec"), 2);
	assert_int_equal(add_rule(f->st, "P", "R3", "Web", "Sec"), 3);
	assert_int_equal(store_rule_delete(f->st, "P", 3), 0);
	assert_int_equal(add_rule(f->st, "P", "R4", "Web", "Sec"), 4);
	assert_int_equal(store_rule_delete(f->st, "P", 2), 0);
	assert_int_equal(add_rule(f->st, "P", "R3", "Web", "Sec"), 5);
	assert_int_equal(store_rule_list(f->st, "P", &list, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(list[0].id, 0);
	assert_int_equal(list[1].id, 1);
	assert_int_equal(list[2].id, 4);
	assert_int_equal(list[3].id, 5);
	assert_string_equal(list[3].name, "R3");
	store_list_free(list, n, sizeof(*list));
	/* Per policy: another policy counts from 1. */
	add_policy(f->st, "Q");
	assert_int_equal(add_rule(f->st, "Q", "R1", "Web", "Sec"), 1);
	/* A failed add consumes no id. */
	mk_rule(&r, "Q", "R1", "Web", "Sec");
	assert_int_equal(store_rule_add(f->st, &r), STORE_EEXIST);
	assert_int_equal(add_rule(f->st, "Q", "R2", "Web", "Sec"), 2);
	store_rule_wipe(&r);
}

static void
test_assign(void **state)
{
	struct fx *f = *state;
	struct store_policy p = mk_policy("P1"), got;

	p.assigned = true;
	assert_int_equal(store_policy_assigned(f->st, &got), STORE_ENOENT);
	assert_int_equal(store_policy_add(f->st, &p), 0);
	assert_int_equal(store_policy_assigned(f->st, &got), 0);
	assert_string_equal(got.name, "P1");
	p = mk_policy("P2");
	p.assigned = true;
	assert_int_equal(store_policy_add(f->st, &p), 0);
	assert_int_equal(store_policy_get(f->st, "P1", &got), 0);
	assert_false(got.assigned);
	assert_int_equal(store_policy_assigned(f->st, &got), 0);
	assert_string_equal(got.name, "P2");

	assert_int_equal(store_policy_assign(f->st, "p1", true), 0);
	assert_int_equal(store_policy_get(f->st, "P2", &got), 0);
	assert_false(got.assigned);
	assert_int_equal(store_policy_assigned(f->st, &got), 0);
	assert_string_equal(got.name, "P1");
	assert_int_equal(store_policy_assign(f->st, "P1", true), 0);

	/* update with assigned=true does the same. */
	p = mk_policy("P2");
	p.assigned = true;
	assert_int_equal(store_policy_update(f->st, "P2", &p), 0);
	assert_int_equal(store_policy_get(f->st, "P1", &got), 0);
	assert_false(got.assigned);
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM policy"
					   " WHERE assigned <> 0"),
			 1);

	assert_int_equal(store_policy_assign(f->st, "P2", false), 0);
	assert_int_equal(store_policy_assigned(f->st, &got), STORE_ENOENT);
	assert_int_equal(store_policy_assign(f->st, "P3", true), STORE_ENOENT);
	assert_string_equal(store_errmsg(f->st),
			    "policy \"P3\" does not exist.");

	/* Deleting the assigned policy just removes it. */
	assert_int_equal(store_policy_assign(f->st, "P2", true), 0);
	assert_int_equal(store_policy_delete(f->st, "P2"), 0);
	assert_int_equal(store_policy_assigned(f->st, &got), STORE_ENOENT);
	assert_int_equal(store_policy_get(f->st, "P1", &got), 0);
	assert_false(got.assigned);

	/* One per location. */
	assert_int_equal(store_policy_assign(f->st, "P1", true), 0);
	store_set_location(f->st, STORE_LOC_PERSISTENT);
	p = mk_policy("P1");
	p.assigned = true;
	assert_int_equal(store_policy_add(f->st, &p), 0);
	store_set_location(f->st, STORE_LOC_LOCAL);
	assert_int_equal(store_policy_assigned(f->st, &got), 0);
	assert_string_equal(got.name, "P1");
}

static void
test_locations_isolated(void **state)
{
	struct fx *f = *state;
	struct store_policy *list = NULL;
	struct store_filterlist l;
	size_t n = 0;

	assert_int_equal(store_get_location(f->st), STORE_LOC_LOCAL);
	add_basic(f->st);
	store_set_location(f->st, STORE_LOC_PERSISTENT);
	assert_int_equal(store_get_location(f->st), STORE_LOC_PERSISTENT);
	assert_int_equal(store_filterlist_get(f->st, "Web", &l), STORE_ENOENT);
	assert_int_equal(store_policy_list(f->st, &list, &n), 0);
	assert_int_equal(n, 0);
	/* A persistent rule cannot use a local list. */
	add_policy(f->st, "P");
	{
		static struct store_rule r;

		mk_rule(&r, "P", "R1", "Web", "Sec");
		assert_int_equal(store_rule_add(f->st, &r), STORE_ENOENT);
		store_rule_wipe(&r);
	}
	add_fl(f->st, "Web");
	add_fa(f->st, "Sec");
	assert_int_equal(add_rule(f->st, "P", "R1", "Web", "Sec"), 1);
	add_fl(f->st, "OnlyHere");

	/* delete all empties this location only. */
	assert_int_equal(store_delete_all(f->st), 0);
	assert_int_equal(store_policy_list(f->st, &list, &n), 0);
	assert_int_equal(n, 0);
	assert_false(fl_exists(f->st, "Web"));
	assert_false(fl_exists(f->st, "OnlyHere"));
	store_set_location(f->st, STORE_LOC_LOCAL);
	assert_true(fl_exists(f->st, "Web"));
	assert_int_equal(store_policy_list(f->st, &list, &n), 0);
	assert_int_equal(n, 1);
	store_list_free(list, n, sizeof(*list));
	assert_int_equal(store_delete_all(f->st), 0);
	assert_int_equal(count_rows(f->st, "SELECT (SELECT count(*) FROM "
					   "policy) + (SELECT count(*) FROM "
					   "rule) + (SELECT count(*) FROM "
					   "filterlist) + (SELECT count(*) "
					   "FROM filteraction)"),
			 0);
}

/* ---- filters ---------------------------------------------------------- */

static void
test_filters(void **state)
{
	struct fx *f = *state;
	struct store_filter a = mk_filter("Web", "10.0.0.1", "any", 6);
	struct store_filter b = mk_filter("web", "10.0.0.1", "any", 17);
	struct store_filter c = mk_filter("WEB", "10.0.0.2", "any", 6);
	struct store_filter_match m;
	struct store_filter *list = NULL;
	struct store_filterlist l;
	size_t n = 0;
	int del = -1;

	/* The first filter creates the list (netsh remark). */
	a.dstport = 80;
	snprintf(a.description, sizeof(a.description), "http");
	b.dstport = 53;
	assert_false(fl_exists(f->st, "Web"));
	assert_int_equal(store_filter_add(f->st, &a), 0);
	assert_int_equal(store_filterlist_get(f->st, "web", &l), 0);
	assert_string_equal(l.name, "Web");
	assert_string_equal(l.description, "");
	check_guid(l.guid);
	assert_int_equal(store_filter_add(f->st, &b), 0);
	assert_int_equal(store_filter_add(f->st, &c), 0);
	assert_int_equal(store_filter_add(f->st, &a), 0); /* duplicates kept */
	assert_int_equal(store_filterlist_get(f->st, "Web", &l), 0);
	assert_int_equal(l.nfilters, 4);

	assert_int_equal(store_filter_list(f->st, "WEB", &list, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(list[0].filterlist, "Web");
	assert_string_equal(list[0].srcaddr, "10.0.0.1");
	assert_string_equal(list[0].description, "http");
	assert_int_equal(list[0].dstport, 80);
	assert_true(list[0].mirrored);
	assert_string_equal(list[0].dstmask, "0.0.0.0");
	assert_int_equal(list[1].protocol, 17);
	assert_string_equal(list[2].srcaddr, "10.0.0.2");
	assert_int_equal(list[3].dstport, 80);
	store_list_free(list, n, sizeof(*list));

	/* Narrowed by protocol: only the UDP one. */
	memset(&m, 0, sizeof(m));
	m.protocol = true;
	b.dstport = 9999; /* not compared: no dstport flag */
	assert_int_equal(store_filter_delete(f->st, &b, &m, &del), 0);
	assert_int_equal(del, 1);
	/* A set flag whose value differs matches nothing. */
	m.dstport = true;
	a.dstport = 443;
	assert_int_equal(store_filter_delete(f->st, &a, &m, &del),
			 STORE_ENOENT);
	assert_int_equal(del, 0);
	assert_string_equal(store_errmsg(f->st),
			    "no filter in filter list \"Web\" matches.");
	/* Required fields only: every match (description not compared). */
	snprintf(a.description, sizeof(a.description), "other");
	assert_int_equal(store_filter_delete(f->st, &a, NULL, &del), 0);
	assert_int_equal(del, 2);
	assert_int_equal(store_filter_list(f->st, "Web", &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].srcaddr, "10.0.0.2");
	store_list_free(list, n, sizeof(*list));
	/* Masks take part when asked. */
	memset(&m, 0, sizeof(m));
	m.srcmask = true;
	snprintf(c.srcmask, sizeof(c.srcmask), "255.255.255.0");
	assert_int_equal(store_filter_delete(f->st, &c, &m, NULL),
			 STORE_ENOENT);
	snprintf(c.srcmask, sizeof(c.srcmask), "255.255.255.255");
	m.mirrored = true;
	m.srcport = true;
	assert_int_equal(store_filter_delete(f->st, &c, &m, NULL), 0);
	/* The list stays, empty. */
	assert_int_equal(store_filterlist_get(f->st, "Web", &l), 0);
	assert_int_equal(l.nfilters, 0);
	assert_int_equal(store_filter_list(f->st, "Web", &list, &n), 0);
	assert_int_equal(n, 0);
	assert_null(list);

	snprintf(c.filterlist, sizeof(c.filterlist), "Nope");
	assert_int_equal(store_filter_delete(f->st, &c, NULL, &del),
			 STORE_ENOENT);
	assert_string_equal(store_errmsg(f->st),
			    "filter list \"Nope\" does not exist.");
	assert_int_equal(store_filter_list(f->st, "Nope", &list, &n),
			 STORE_ENOENT);
	/* Deleting the list deletes its filters. */
	assert_int_equal(store_filter_add(f->st, &c), 0);
	assert_int_equal(store_filterlist_delete(f->st, "Nope"), 0);
	assert_int_equal(count_rows(f->st, "SELECT count(*) FROM filter"), 0);
}

/* ---- atomicity -------------------------------------------------------- */

static void
test_failed_call_changes_nothing(void **state)
{
	struct fx *f = *state;
	struct store_filter x = mk_filter("New", "10.0.0.1", "any", 300);
	struct store_policy p = mk_policy("q");
	static struct store_rule r;
	char *before, *after;
	int64_t c0;

	populate(f->st);
	before = snapshot(f->st);
	c0 = store_change_counter(f->st);

	/* The list is created, then the filter fails its CHECK. */
	assert_int_equal(store_filter_add(f->st, &x), STORE_EINVAL);
	assert_false(fl_exists(f->st, "New"));
	/* The rule row and the id are written, then an auth row fails. */
	mk_rule(&r, "P", "R2", "Web", "Sec");
	r.nauth = 2;
	r.auth[1].kind = (enum store_auth_kind)7;
	assert_int_equal(store_rule_add(f->st, &r), STORE_EINVAL);
	assert_int_equal(r.id, 0);
	/* The rule update is written, then an auth row fails. */
	mk_rule(&r, "P", "Renamed", "Web", "Sec");
	r.id = 1;
	r.auth[0].kind = (enum store_auth_kind)9;
	assert_int_equal(store_rule_update(f->st, &r), STORE_EINVAL);
	assert_int_equal(store_policy_update(f->st, "P", &p), STORE_EEXIST);
	assert_int_equal(store_filterlist_delete(f->st, "Web"), STORE_EINUSE);

	after = snapshot(f->st);
	assert_string_equal(before, after);
	assert_int_equal(store_change_counter(f->st), c0);
	/* The id the failed add took was given back. */
	assert_int_equal(add_rule(f->st, "P", "R2", "Web", "Sec"), 2);
	free(before);
	free(after);
	store_rule_wipe(&r);
}

static void
test_cmd_rollback(void **state)
{
	struct fx *f = *state;
	struct store_filterlist l = mk_fl("A");
	char *before, *after;
	int64_t c0;

	populate(f->st);
	before = snapshot(f->st);
	c0 = store_change_counter(f->st);

	/* A failing command undoes its earlier successful calls. */
	assert_int_equal(store_cmd_begin(f->st), 0);
	add_fl(f->st, "A");
	add_fa(f->st, "B");
	assert_int_equal(store_policy_delete(f->st, "Q"), 0);
	assert_int_equal(store_filterlist_add(f->st, &l), STORE_EEXIST);
	assert_int_equal(store_cmd_end(f->st, false), 0);
	/* The failure's message survives the rollback. */
	assert_string_equal(store_errmsg(f->st),
			    "filter list \"A\" already exists.");
	after = snapshot(f->st);
	assert_string_equal(before, after);
	free(after);
	assert_int_equal(store_change_counter(f->st), c0);

	/* A good command keeps everything, even after a failed call. */
	assert_int_equal(store_cmd_begin(f->st), 0);
	add_fl(f->st, "A");
	assert_int_equal(store_filterlist_add(f->st, &l), STORE_EEXIST);
	add_fa(f->st, "B");
	assert_int_equal(store_cmd_end(f->st, true), 0);
	assert_true(fl_exists(f->st, "A"));
	assert_true(store_change_counter(f->st) > c0);

	/* Nested commands. */
	assert_int_equal(store_cmd_begin(f->st), 0);
	add_fl(f->st, "Outer");
	assert_int_equal(store_cmd_begin(f->st), 0);
	add_fl(f->st, "Inner");
	assert_int_equal(store_cmd_end(f->st, false), 0);
	assert_int_equal(store_cmd_end(f->st, true), 0);
	assert_true(fl_exists(f->st, "Outer"));
	assert_false(fl_exists(f->st, "Inner"));

	assert_int_equal(store_cmd_end(f->st, true), STORE_EINVAL);
	free(before);
}

static void
test_batch(void **state)
{
	struct fx *f = *state;
	struct store_filterlist l = mk_fl("X");
	struct store *other = open_ok(f->path);
	int64_t c0 = store_change_counter(f->st);

	assert_false(store_in_batch(f->st));
	assert_int_equal(store_batch_begin(f->st), 0);
	assert_true(store_in_batch(f->st));
	assert_int_equal(store_batch_begin(f->st), 0); /* already on */
	/* Commands inside the batch: a failed one keeps earlier ones. */
	assert_int_equal(store_cmd_begin(f->st), 0);
	add_fl(f->st, "X");
	assert_int_equal(store_cmd_end(f->st, true), 0);
	assert_int_equal(store_cmd_begin(f->st), 0);
	add_fa(f->st, "Half");
	assert_int_equal(store_filterlist_add(f->st, &l), STORE_EEXIST);
	assert_int_equal(store_cmd_end(f->st, false), 0);
	assert_int_equal(store_cmd_begin(f->st), 0);
	add_fl(f->st, "Y");
	assert_int_equal(store_cmd_end(f->st, true), 0);
	assert_true(fl_exists(f->st, "X"));
	assert_true(fl_exists(f->st, "Y"));
	/* Nothing is visible to others, nor counted for them, yet. */
	assert_false(fl_exists(other, "X"));
	assert_int_equal(store_change_counter(other), c0);
	/* A batch cannot start or end inside a command. */
	assert_int_equal(store_cmd_begin(f->st), 0);
	assert_int_equal(store_batch_end(f->st, true), STORE_EINVAL);
	assert_int_equal(store_cmd_end(f->st, true), 0);
	assert_int_equal(store_batch_end(f->st, true), 0);
	assert_false(store_in_batch(f->st));
	assert_true(fl_exists(other, "X"));
	assert_true(fl_exists(other, "Y"));
	assert_false(fl_exists(other, "Half"));
	assert_true(store_change_counter(other) > c0);
	assert_int_equal(store_batch_end(f->st, true), 0); /* already off */

	/* Rollback of a batch. */
	c0 = store_change_counter(f->st);
	assert_int_equal(store_batch_begin(f->st), 0);
	add_fl(f->st, "Z");
	assert_int_equal(store_filterlist_delete(f->st, "X"), 0);
	assert_int_equal(store_batch_end(f->st, false), 0);
	assert_false(fl_exists(f->st, "Z"));
	assert_true(fl_exists(f->st, "X"));
	assert_int_equal(store_change_counter(f->st), c0);

	assert_int_equal(store_cmd_begin(f->st), 0);
	assert_int_equal(store_batch_begin(f->st), STORE_EINVAL);
	assert_int_equal(store_cmd_end(f->st, true), 0);
	store_close(other);
}

static void
test_batch_lost_on_exit(void **state)
{
	struct fx *f = *state;
	int status = 0;
	pid_t pid;

	/* No connection crosses the fork. */
	store_close(f->st);
	f->st = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *st = store_open(f->path, NULL, 0);
		struct store_filterlist l = mk_fl("Ghost");

		if (st == NULL || store_batch_begin(st) < 0 ||
		    store_filterlist_add(st, &l) < 0)
			_exit(1);
		_exit(0); /* dies with the batch open */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	f->st = open_ok(f->path);
	assert_false(fl_exists(f->st, "Ghost"));
	add_fl(f->st, "Ghost"); /* and the store is not left locked */
	/* Closing with a batch open also writes nothing. */
	assert_int_equal(store_batch_begin(f->st), 0);
	add_fl(f->st, "Closed");
	store_close(f->st);
	f->st = open_ok(f->path);
	assert_false(fl_exists(f->st, "Closed"));
	assert_true(fl_exists(f->st, "Ghost"));
}

static void
test_change_counter(void **state)
{
	struct fx *f = *state;
	struct store_policy *pl = NULL;
	struct store_policy p;
	int64_t c0, c1;
	size_t n = 0;

	c0 = store_change_counter(f->st);
	assert_true(c0 >= 0);
	/* Reads leave it alone. */
	assert_int_equal(store_policy_get(f->st, "P", &p), STORE_ENOENT);
	assert_int_equal(store_policy_list(f->st, &pl, &n), 0);
	assert_int_equal(store_change_counter(f->st), c0);
	/* Every kind of change moves it. */
	add_fl(f->st, "Web");
	c1 = store_change_counter(f->st);
	assert_true(c1 > c0);
	add_fa(f->st, "Sec");
	assert_true(store_change_counter(f->st) > c1);
	c1 = store_change_counter(f->st);
	add_policy(f->st, "P");
	assert_true(store_change_counter(f->st) > c1);
	c1 = store_change_counter(f->st);
	assert_int_equal(add_rule(f->st, "P", "R1", "Web", "Sec"), 1);
	assert_true(store_change_counter(f->st) > c1);
	c1 = store_change_counter(f->st);
	{
		struct store_filter x = mk_filter("Web", "me", "any", 0);

		assert_int_equal(store_filter_add(f->st, &x), 0);
		assert_true(store_change_counter(f->st) > c1);
		c1 = store_change_counter(f->st);
	}
	assert_int_equal(store_policy_assign(f->st, "P", true), 0);
	assert_true(store_change_counter(f->st) > c1);
	c1 = store_change_counter(f->st);
	/* A no-op assignment, a failure, and reads: unchanged. */
	assert_int_equal(store_policy_assign(f->st, "P", true), 0);
	assert_int_equal(store_filterlist_delete(f->st, "Web"), STORE_EINUSE);
	assert_int_equal(store_policy_get(f->st, "P", &p), 0);
	assert_int_equal(store_change_counter(f->st), c1);
	assert_int_equal(store_policy_delete(f->st, "P"), 0);
	assert_true(store_change_counter(f->st) > c1);
}

/* ---- schema ----------------------------------------------------------- */

static sqlite3 *
raw_db(const char *path)
{
	sqlite3 *db = NULL;
	int fd = open(path, O_CREAT | O_RDWR, 0600);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE,
					 NULL),
			 SQLITE_OK);
	return db;
}

static void
test_migration_from_v1(void **state)
{
	struct fx *f = *state;
	char path[160];
	char err[512] = "";
	struct store_filterlist l;
	struct store_filter x = mk_filter("Old", "me", "any", 0);
	struct store *st;
	sqlite3 *db;
	int v = -1;

	snprintf(path, sizeof(path), "%s/v1.db", f->dir);
	db = raw_db(path);
	assert_int_equal(store_migrate_to(db, 1, err, sizeof(err)), 0);
	assert_int_equal(schema_user_version(db, &v), SQLITE_OK);
	assert_int_equal(v, 1);
	/* Version 1 has no change counter yet. */
	assert_int_not_equal(sqlite3_exec(db, "SELECT value FROM meta", NULL,
					  NULL, NULL),
			     SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "INSERT INTO filterlist (location, name,"
				      " guid, description, modified) VALUES"
				      " (0, 'Old', '{00000000-0000-4000-8000-"
				      "000000000001}', 'from v1', 42);"
				      "INSERT INTO filter (filterlist_id,"
				      " position, srcaddr, dstaddr, protocol,"
				      " mirrored, srcmask, dstmask, srcport,"
				      " dstport) VALUES (1, 1, '10.1.1.1',"
				      " 'any', 6, 1, '255.255.255.255',"
				      " '0.0.0.0', 0, 22);",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(store_migrate_to(db, 3, err, sizeof(err)),
			 STORE_EINVAL);
	sqlite3_close(db);

	st = open_ok(path);
	assert_int_equal(store_schema_version(st), 2);
	assert_int_equal(store_filterlist_get(st, "old", &l), 0);
	assert_string_equal(l.name, "Old");
	assert_string_equal(l.description, "from v1");
	assert_string_equal(l.guid, "{00000000-0000-4000-8000-000000000001}");
	assert_int_equal(l.modified, 42);
	assert_int_equal(l.nfilters, 1);
	assert_int_equal(store_change_counter(st), 0);
	assert_int_equal(store_filter_add(st, &x), 0);
	assert_true(store_change_counter(st) > 0);
	store_close(st);
	/* Opening a current store again migrates nothing. */
	st = open_ok(path);
	assert_int_equal(store_schema_version(st), 2);
	assert_true(store_change_counter(st) > 0);
	assert_int_equal(store_filterlist_get(st, "Old", &l), 0);
	assert_int_equal(l.nfilters, 2);
	store_close(st);
}

static void
test_newer_refused(void **state)
{
	struct fx *f = *state;
	char path[160];
	char err[512] = "";
	char mode[32];
	sqlite3 *db;
	int code = 0;

	snprintf(path, sizeof(path), "%s/new.db", f->dir);
	db = raw_db(path);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE future (x);"
					  "PRAGMA user_version = 3;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_null(store_open_ex(path, &code, err, sizeof(err)));
	assert_int_equal(code, STORE_ENEWER);
	assert_string_equal(err, "the store has schema version 3, newer than "
				 "the 2 this program knows; use a newer "
				 "ipsecsh.");
	/* Refused before anything was written: not even switched to WAL. */
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
					 NULL),
			 SQLITE_OK);
	pragma_text(db, "PRAGMA journal_mode", mode, sizeof(mode));
	assert_string_equal(mode, "delete");
	sqlite3_close(db);
	/* store_migrate_to refuses it too. */
	db = raw_db(path);
	assert_int_equal(store_migrate_to(db, 2, err, sizeof(err)),
			 STORE_ENEWER);
	sqlite3_close(db);
}

/* ---- secrets ---------------------------------------------------------- */

static void
test_secrets_wiped(void **state)
{
	struct fx *f = *state;
	static struct store_rule r;
	static const struct store_auth zero;
	struct store_rule *list = NULL;
	size_t n = 0;

	add_basic(f->st);
	assert_int_equal(store_rule_get(f->st, "P", "R1", &r), 0);
	assert_int_equal(r.nauth, 1);
	assert_string_equal(r.auth[0].value, "psk-R1");
	store_rule_wipe(&r);
	assert_int_equal(r.nauth, 0);
	for (size_t i = 0; i < STORE_AUTH_MAX; i++)
		assert_memory_equal(&r.auth[i], &zero, sizeof(zero));
	/* The rest of the rule is left readable. */
	assert_string_equal(r.name, "R1");
	store_rule_wipe(NULL);

	/* Lists carry the PSK until freed (freeing wipes, see store.c). */
	assert_int_equal(store_rule_list(f->st, "P", &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[1].auth[0].value, "psk-R1");
	store_list_free(list, n, sizeof(*list));
	store_list_free(NULL, 0, sizeof(*list));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_file_created_0600),
		T(test_refuses_shared_file),
		T(test_connection_settings),
		T(test_default_path),
		T(test_policy_crud),
		T(test_filterlist_crud),
		T(test_filteraction_crud),
		T(test_rule_crud),
		T(test_names_unique_nocase),
		T(test_in_use_not_deletable),
		T(test_delete_policy_removes_rules),
		T(test_default_rule),
		T(test_rule_ids_not_reused),
		T(test_assign),
		T(test_locations_isolated),
		T(test_filters),
		T(test_failed_call_changes_nothing),
		T(test_cmd_rollback),
		T(test_batch),
		T(test_batch_lost_on_exit),
		T(test_change_counter),
		T(test_migration_from_v1),
		T(test_newer_refused),
		T(test_secrets_wiped),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
