/*
 * store.c - the SQLite store of static IPsec policy (see store.h).
 *
 * Every statement is a compile-time string with bound parameters.  Every
 * write call runs inside its own unit of work (tx_open / tx_close): a
 * transaction when none is open, else a savepoint, so a failing call
 * rolls back to where it began and leaves the caller's command or batch
 * intact.  Text is bound SQLITE_STATIC: the caller's struct outlives the
 * step, and secrets are not copied into SQLite's heap.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "store_internal.h"
#include "vocab.h"

#define STORE_ERR_MAX 1024
#define STORE_BUSY_MS 5000
#define STORE_CMD_DEPTH_MAX 32

struct store {
	sqlite3 *db;
	char *path;
	enum store_location loc;
	bool in_batch;
	int cmd_depth;
	uint32_t cmd_outer; /* bit i: command level i began the transaction */
	char err[STORE_ERR_MAX];
};

/* The top-level objects: one table each, unique names per location. */
enum kind {
	K_POLICY,
	K_FILTERLIST,
	K_FILTERACTION,
};

static const char *const kind_what[] = {
	[K_POLICY] = "policy",
	[K_FILTERLIST] = "filter list",
	[K_FILTERACTION] = "filter action",
};

/* Names compare with the column's NOCASE collation. */
static const char *const sql_find_name[] = {
	[K_POLICY] = "SELECT id FROM policy"
		     " WHERE location = ?1 AND name = ?2 AND id <> ?3",
	[K_FILTERLIST] = "SELECT id FROM filterlist"
			 " WHERE location = ?1 AND name = ?2 AND id <> ?3",
	[K_FILTERACTION] = "SELECT id FROM filteraction"
			   " WHERE location = ?1 AND name = ?2 AND id <> ?3",
};

/* The first rule (by policy name, then id) using a list or an action. */
static const char *const sql_used_by[] = {
	[K_FILTERLIST] = "SELECT r.name, p.name FROM rule r"
			 " JOIN policy p ON p.id = r.policy_id"
			 " WHERE r.filterlist_id = ?1"
			 " ORDER BY p.name COLLATE NOCASE, r.rule_no LIMIT 1",
	[K_FILTERACTION] = "SELECT r.name, p.name FROM rule r"
			   " JOIN policy p ON p.id = r.policy_id"
			   " WHERE r.filteraction_id = ?1"
			   " ORDER BY p.name COLLATE NOCASE, r.rule_no LIMIT 1",
};

/* ---- clock, messages ------------------------------------------------ */

static int64_t test_time;

void
store_test_set_time(int64_t t)
{
	test_time = t;
}

static int64_t
now(void)
{
	return test_time != 0 ? test_time : (int64_t)time(NULL);
}

static int set_err(struct store *st, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets the handle's message; returns code. */
static int
set_err(struct store *st, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return code;
}

static void
clear_err(struct store *st)
{
	st->err[0] = '\0';
}

/* Maps an SQLite failure (extended code) to a store error and message. */
static int
db_fail(struct store *st, int sqlrc)
{
	const char *msg = sqlite3_errmsg(st->db);

	switch (sqlrc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return set_err(st, STORE_EBUSY,
			       "the store is locked by another process (%s).",
			       msg);
	case SQLITE_CONSTRAINT:
		if (sqlrc == SQLITE_CONSTRAINT_FOREIGNKEY)
			return set_err(st, STORE_EINUSE,
				       "the object is in use (%s).", msg);
		if (sqlrc == SQLITE_CONSTRAINT_UNIQUE ||
		    sqlrc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return set_err(st, STORE_EEXIST,
				       "the object already exists (%s).", msg);
		return set_err(st, STORE_EINVAL, "invalid value (%s).", msg);
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return set_err(st, STORE_EPERM, "the store refused the change "
			       "(%s).", msg);
	default:
		return set_err(st, STORE_EIO, "store error: %s.", msg);
	}
}

static int
no_memory(struct store *st)
{
	return set_err(st, STORE_EIO, "out of memory.");
}

/* ---- statements ------------------------------------------------------- */

static int
prep(struct store *st, sqlite3_stmt **s, const char *sql)
{
	int sqlrc;

	sqlrc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);
	if (sqlrc != SQLITE_OK) {
		*s = NULL;
		return db_fail(st, sqlrc);
	}
	return 0;
}

/*
 * Binders return an SQLite code; callers OR them together and test the
 * result once (any failure leaves a non-zero bit).  Text is bound up to
 * its buffer size, so an unterminated field cannot overrun.
 */
static int
bind_str(sqlite3_stmt *s, int i, const char *v, size_t max)
{
	return sqlite3_bind_text(s, i, v, (int)strnlen(v, max),
				 SQLITE_STATIC);
}

static int
bind_int(sqlite3_stmt *s, int i, int64_t v)
{
	return sqlite3_bind_int64(s, i, v);
}

static int
bind_bool(sqlite3_stmt *s, int i, bool v)
{
	return sqlite3_bind_int(s, i, v ? 1 : 0);
}

static int
bind_fail(struct store *st)
{
	return set_err(st, STORE_EIO, "cannot bind a value: %s.",
		       sqlite3_errmsg(st->db));
}

/* Steps a query: 1 when a row is ready, 0 at the end, < 0 on error. */
static int
step_row(struct store *st, sqlite3_stmt *s)
{
	int sqlrc;

	sqlrc = sqlite3_step(s);
	if (sqlrc == SQLITE_ROW)
		return 1;
	if (sqlrc == SQLITE_DONE)
		return 0;
	return db_fail(st, sqlrc);
}

/* Steps a statement that returns no rows. */
static int
step_done(struct store *st, sqlite3_stmt *s)
{
	int rc;

	rc = step_row(st, s);
	return rc < 0 ? rc : 0;
}

/*
 * Runs sql with ?1..?n bound to v[0..n-1].  With out, reads column 0 of
 * the first row and returns 1, or 0 when there is no row; without out,
 * runs the statement and returns 0.  < 0 on error.
 */
static int
run_ints(struct store *st, const char *sql, const int64_t *v, int n,
	 int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int b = SQLITE_OK;
	int rc;

	rc = prep(st, &s, sql);
	if (rc < 0)
		goto out;
	for (int i = 0; i < n; i++)
		b |= bind_int(s, i + 1, v[i]);
	if (b != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = step_row(st, s);
	if (rc == 1 && out != NULL)
		*out = sqlite3_column_int64(s, 0);
	else if (rc == 1)
		rc = 0;
out:
	sqlite3_finalize(s);
	return rc;
}

static void
col_text(sqlite3_stmt *s, int i, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t len = 0;

	if (t != NULL)
		len = (size_t)sqlite3_column_bytes(s, i);
	if (len >= size)
		len = size - 1;
	if (len > 0)
		memcpy(dst, t, len);
	dst[len] = '\0';
}

static bool
col_bool(sqlite3_stmt *s, int i)
{
	return sqlite3_column_int(s, i) != 0;
}

/* A name given to look something up: anything longer never matches. */
static bool
name_usable(const char *name)
{
	return name != NULL && strnlen(name, STORE_NAME_MAX) < STORE_NAME_MAX;
}

static int
check_name(struct store *st, const char *what, const char *name)
{
	if (name == NULL || name[0] == '\0')
		return set_err(st, STORE_EINVAL, "a %s needs a name.", what);
	if (strnlen(name, STORE_NAME_MAX) >= STORE_NAME_MAX)
		return set_err(st, STORE_EINVAL,
			       "the name of a %s is longer than %d bytes.",
			       what, STORE_NAME_MAX - 1);
	return 0;
}

/* A random (version 4) GUID, upper case with braces. */
static int
new_guid(struct store *st, char out[STORE_GUID_LEN])
{
	uint8_t b[16];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(b)) {
		n = getrandom(b + got, sizeof(b) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return set_err(st, STORE_EIO,
				       "cannot get random bytes: %s.",
				       strerror(errno));
		got += (size_t)n;
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, STORE_GUID_LEN,
		 "{%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
		 "%02X%02X%02X%02X%02X%02X}",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/*
 * Row id of the named object of the current location, other than row
 * except: 1 found, 0 not found, < 0 error.
 */
static int
find_obj(struct store *st, enum kind k, const char *name, int64_t except,
	 int64_t *id)
{
	sqlite3_stmt *s = NULL;
	int b;
	int rc = 0;

	if (!name_usable(name))
		goto out;
	rc = prep(st, &s, sql_find_name[k]);
	if (rc < 0)
		goto out;
	b = bind_int(s, 1, st->loc) | bind_str(s, 2, name, STORE_NAME_MAX) |
	    bind_int(s, 3, except);
	if (b != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = step_row(st, s);
	if (rc == 1)
		*id = sqlite3_column_int64(s, 0);
out:
	sqlite3_finalize(s);
	return rc;
}

/* Row id of an object that must exist; STORE_ENOENT names it otherwise. */
static int
need_obj(struct store *st, enum kind k, const char *name, int64_t *id)
{
	int rc;

	rc = find_obj(st, k, name, 0, id);
	if (rc == 0)
		return set_err(st, STORE_ENOENT, "%s \"%s\" does not exist.",
			       kind_what[k], name != NULL ? name : "");
	return rc < 0 ? rc : 0;
}

/* STORE_EEXIST unless name is free in the location (row except aside). */
static int
name_free(struct store *st, enum kind k, const char *name, int64_t except)
{
	int64_t id = 0;
	int rc;

	rc = find_obj(st, k, name, except, &id);
	if (rc > 0)
		return set_err(st, STORE_EEXIST, "%s \"%s\" already exists.",
			       kind_what[k], name);
	return rc;
}

/* STORE_EINUSE, naming a rule, when a rule refers to the object. */
static int
not_in_use(struct store *st, enum kind k, int64_t id, const char *name)
{
	sqlite3_stmt *s = NULL;
	char rule[STORE_NAME_MAX];
	char policy[STORE_NAME_MAX];
	int rc;

	rc = prep(st, &s, sql_used_by[k]);
	if (rc < 0)
		goto out;
	if (bind_int(s, 1, id) != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = step_row(st, s);
	if (rc == 1) {
		col_text(s, 0, rule, sizeof(rule));
		col_text(s, 1, policy, sizeof(policy));
		rc = set_err(st, STORE_EINUSE,
			     "%s \"%s\" is used by rule \"%s\" of policy "
			     "\"%s\" and cannot be deleted.",
			     kind_what[k], name, rule, policy);
	}
out:
	sqlite3_finalize(s);
	return rc;
}

/* ---- transactions ----------------------------------------------------- */

struct tx_sql {
	const char *savepoint;
	const char *release;
	const char *rollback;
};

static const struct tx_sql tx_call = {
	"SAVEPOINT store_call",
	"RELEASE store_call",
	"ROLLBACK TO store_call; RELEASE store_call",
};

static const struct tx_sql tx_cmd = {
	"SAVEPOINT store_cmd",
	"RELEASE store_cmd",
	"ROLLBACK TO store_cmd; RELEASE store_cmd",
};

/*
 * An error such as SQLITE_FULL makes SQLite roll back the whole
 * transaction by itself.  Inside a batch that loses the batch: say so
 * once and leave batch mode rather than let later commands commit one by
 * one while the user believes they are batched.
 */
static int
batch_lost(struct store *st)
{
	if (!st->in_batch || !sqlite3_get_autocommit(st->db))
		return 0;
	st->in_batch = false;
	return set_err(st, STORE_EIO,
		       "the batch was rolled back after an error and nothing "
		       "of it was written; batch mode is off.");
}

/* Begins a unit of work: a transaction if none is open, else a savepoint. */
static int
tx_open(struct store *st, const struct tx_sql *t, bool *outer)
{
	int sqlrc;
	int rc;

	rc = batch_lost(st);
	if (rc < 0)
		return rc;
	/* IMMEDIATE: take the write lock now, under the busy timeout, rather
	 * than fail to upgrade a read snapshot later. */
	*outer = sqlite3_get_autocommit(st->db) != 0;
	sqlrc = sqlite3_exec(st->db, *outer ? "BEGIN IMMEDIATE" : t->savepoint,
			     NULL, NULL, NULL);
	if (sqlrc != SQLITE_OK)
		return db_fail(st, sqlrc);
	return 0;
}

/* Undoes a unit of work; keeps the handle's message. */
static void
tx_rollback(struct store *st, const struct tx_sql *t, bool outer)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, outer ? "ROLLBACK" : t->rollback, NULL,
			     NULL, NULL);
}

/* Ends a unit of work: keeps it if rc is 0, else undoes it.  Returns rc,
 * or the error of a failed commit. */
static int
tx_close(struct store *st, const struct tx_sql *t, bool outer, int rc)
{
	int sqlrc;

	if (rc >= 0) {
		sqlrc = sqlite3_exec(st->db, outer ? "COMMIT" : t->release,
				     NULL, NULL, NULL);
		if (sqlrc == SQLITE_OK)
			return 0;
		rc = db_fail(st, sqlrc);
	}
	tx_rollback(st, t, outer);
	return rc;
}

/* A consistent snapshot for reads made of several statements. */
static int
read_begin(struct store *st, bool *outer)
{
	int sqlrc;

	*outer = sqlite3_get_autocommit(st->db) != 0;
	if (!*outer)
		return 0;
	sqlrc = sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL);
	if (sqlrc != SQLITE_OK)
		return db_fail(st, sqlrc);
	return 0;
}

static void
read_end(struct store *st, bool outer)
{
	if (outer && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
}

int
store_cmd_begin(struct store *st)
{
	bool outer = false;
	uint32_t bit;
	int rc;

	if (st->cmd_depth >= STORE_CMD_DEPTH_MAX)
		return set_err(st, STORE_EINVAL, "commands nest too deeply.");
	rc = tx_open(st, &tx_cmd, &outer);
	if (rc < 0)
		return rc;
	bit = UINT32_C(1) << st->cmd_depth;
	st->cmd_outer = outer ? st->cmd_outer | bit : st->cmd_outer & ~bit;
	st->cmd_depth++;
	return 0;
}

int
store_cmd_end(struct store *st, bool ok)
{
	bool outer;
	int rc;

	if (st->cmd_depth == 0)
		return set_err(st, STORE_EINVAL, "no command is in progress.");
	st->cmd_depth--;
	outer = (st->cmd_outer >> st->cmd_depth) & 1;
	if (!outer && sqlite3_get_autocommit(st->db)) {
		rc = batch_lost(st);
		if (rc == 0)
			rc = set_err(st, STORE_EIO,
				     "the command was rolled back after an "
				     "error.");
		return ok ? rc : 0;
	}
	if (!ok) {
		tx_rollback(st, &tx_cmd, outer);
		return 0;
	}
	return tx_close(st, &tx_cmd, outer, 0);
}

int
store_batch_begin(struct store *st)
{
	int sqlrc;

	if (st->in_batch)
		return 0;
	if (st->cmd_depth > 0 || !sqlite3_get_autocommit(st->db))
		return set_err(st, STORE_EINVAL,
			       "batch mode cannot begin inside a command.");
	sqlrc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (sqlrc != SQLITE_OK)
		return db_fail(st, sqlrc);
	st->in_batch = true;
	return 0;
}

int
store_batch_end(struct store *st, bool commit)
{
	int rc;

	if (!st->in_batch)
		return 0;
	if (st->cmd_depth > 0)
		return set_err(st, STORE_EINVAL,
			       "batch mode cannot end inside a command.");
	rc = batch_lost(st);
	if (rc < 0)
		return rc;
	st->in_batch = false;
	/* outer = true: the batch's own BEGIN, ended by COMMIT/ROLLBACK. */
	if (!commit) {
		tx_rollback(st, &tx_cmd, true);
		return 0;
	}
	return tx_close(st, &tx_cmd, true, 0);
}

bool
store_in_batch(const struct store *st)
{
	return st->in_batch;
}

/* ---- open, close ------------------------------------------------------ */

char *
store_default_path(void)
{
	const char *base;
	struct passwd *pw;
	char *path = NULL;

	if (geteuid() == 0)
		return strdup("/var/lib/ipsecsh/policy.db");
	/* XDG: a relative XDG_DATA_HOME is invalid and must be ignored. */
	base = getenv("XDG_DATA_HOME");
	if (base != NULL && base[0] == '/') {
		if (asprintf(&path, "%s/ipsecsh/policy.db", base) < 0)
			path = NULL;
		return path;
	}
	base = getenv("HOME");
	if (base == NULL || base[0] != '/') {
		pw = getpwuid(geteuid());
		base = pw != NULL ? pw->pw_dir : NULL;
	}
	if (base == NULL || base[0] == '\0')
		return NULL;
	if (asprintf(&path, "%s/.local/share/ipsecsh/policy.db", base) < 0)
		path = NULL;
	return path;
}

/* Creates the missing directories above path's last component, 0700. */
static int
make_parent_dirs(const char *path)
{
	char *dir = NULL;
	char *p;
	char c;
	int saved = 0;
	int rc = -1;

	dir = strdup(path);
	if (dir == NULL)
		goto out;
	p = strrchr(dir, '/');
	if (p == NULL || p == dir) {
		rc = 0;
		goto out;
	}
	*p = '\0';
	for (p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			saved = errno;
			goto out;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	rc = 0;
out:
	free(dir);
	if (saved != 0)
		errno = saved;
	return rc;
}

/*
 * The file must be ours alone: created 0600 here if absent, refused if
 * any group or other bit is set (the PSKs are in it) or if someone other
 * than us or root owns it.  Our descriptor is closed before SQLite opens
 * the file: closing any descriptor of a file drops the process's POSIX
 * locks on it, SQLite's included.
 */
static int
check_file(const char *path, char *msg, size_t msglen)
{
	struct stat sb;
	int fd = -1;
	int rc = 0;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		rc = errno == EACCES || errno == EPERM ? STORE_EPERM
						       : STORE_EIO;
		snprintf(msg, msglen, "cannot open %s: %s.", path,
			 strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = STORE_EPERM;
		snprintf(msg, msglen, "%s is not a regular file.", path);
	} else if ((sb.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		rc = STORE_EPERM;
		snprintf(msg, msglen,
			 "%s is accessible by group or others (mode %04o); "
			 "it holds secrets: chmod 600 it.",
			 path, (unsigned)(sb.st_mode & 07777));
	} else if (sb.st_uid != geteuid() && sb.st_uid != 0) {
		rc = STORE_EPERM;
		snprintf(msg, msglen, "%s is owned by uid %u, not by uid %u.",
			 path, (unsigned)sb.st_uid, (unsigned)geteuid());
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Connection settings: busy timeout, foreign keys, WAL, secure delete. */
static int
configure(sqlite3 *db, char *msg, size_t msglen)
{
	sqlite3_stmt *s = NULL;
	const char *mode;
	int fk = 0;
	int sqlrc;
	int rc = STORE_EIO;

	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, STORE_BUSY_MS);
	/* Overwrite deleted content, so a deleted PSK does not linger. */
	sqlrc = sqlite3_exec(db, "PRAGMA foreign_keys = ON;"
				 " PRAGMA secure_delete = ON;",
			     NULL, NULL, NULL);
	if (sqlrc != SQLITE_OK)
		goto out;
	sqlrc = sqlite3_prepare_v2(db, "PRAGMA foreign_keys", -1, &s, NULL);
	if (sqlrc != SQLITE_OK)
		goto out;
	if (sqlite3_step(s) == SQLITE_ROW)
		fk = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if (fk != 1) {
		snprintf(msg, msglen, "this SQLite has no foreign keys.");
		goto out;
	}
	sqlrc = sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &s,
				   NULL);
	if (sqlrc != SQLITE_OK)
		goto out;
	sqlrc = sqlite3_step(s);
	if (sqlrc != SQLITE_ROW)
		goto out;
	sqlrc = SQLITE_OK;
	mode = (const char *)sqlite3_column_text(s, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		snprintf(msg, msglen, "cannot use the WAL journal (mode %s).",
			 mode != NULL ? mode : "unknown");
		goto out;
	}
	rc = 0;
out:
	if (sqlrc != SQLITE_OK) {
		snprintf(msg, msglen, "cannot configure the store: %s.",
			 sqlite3_errmsg(db));
		if ((sqlrc & 0xff) == SQLITE_BUSY)
			rc = STORE_EBUSY;
	}
	sqlite3_finalize(s);
	return rc;
}

struct store *
store_open_ex(const char *path, int *code, char *errbuf, size_t errlen)
{
	struct store *st = NULL;
	char msg[STORE_ERR_MAX] = "";
	char *defpath = NULL;
	int version = 0;
	int sqlrc;
	int rc = STORE_EIO;

	if (path == NULL || path[0] == '\0') {
		rc = STORE_EINVAL;
		snprintf(msg, sizeof(msg), "no store path.");
		goto out;
	}
	/* Only the default location is ours to create; a --store path's
	 * directory is the user's business. */
	defpath = store_default_path();
	if (defpath != NULL && strcmp(defpath, path) == 0 &&
	    make_parent_dirs(path) < 0) {
		snprintf(msg, sizeof(msg), "cannot create the directory of %s: "
			 "%s.", path, strerror(errno));
		goto out;
	}
	rc = check_file(path, msg, sizeof(msg));
	if (rc < 0)
		goto out;
	rc = STORE_EIO;
	st = calloc(1, sizeof(*st));
	if (st == NULL || (st->path = strdup(path)) == NULL) {
		snprintf(msg, sizeof(msg), "out of memory.");
		goto out;
	}
	st->loc = STORE_LOC_LOCAL;
	sqlrc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE, NULL);
	if (sqlrc != SQLITE_OK) {
		snprintf(msg, sizeof(msg), "cannot open %s: %s.", path,
			 st->db != NULL ? sqlite3_errmsg(st->db)
					: sqlite3_errstr(sqlrc));
		goto out;
	}
	/* Refuse a newer store before writing to it (even the WAL switch). */
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	sqlrc = schema_user_version(st->db, &version);
	if (sqlrc != SQLITE_OK) {
		snprintf(msg, sizeof(msg), "cannot read %s: %s.", path,
			 sqlite3_errmsg(st->db));
		if ((sqlrc & 0xff) == SQLITE_BUSY)
			rc = STORE_EBUSY;
		goto out;
	}
	if (version > STORE_SCHEMA_VERSION) {
		rc = STORE_ENEWER;
		snprintf(msg, sizeof(msg),
			 "the store has schema version %d, newer than the %d "
			 "this program knows; use a newer ipsecsh.",
			 version, STORE_SCHEMA_VERSION);
		goto out;
	}
	rc = configure(st->db, msg, sizeof(msg));
	if (rc < 0)
		goto out;
	rc = store_migrate_to(st->db, STORE_SCHEMA_VERSION, msg, sizeof(msg));
out:
	free(defpath);
	if (rc < 0) {
		store_close(st);
		st = NULL;
		if (errbuf != NULL && errlen > 0)
			snprintf(errbuf, errlen, "%s", msg);
	}
	if (code != NULL)
		*code = rc;
	return st;
}

struct store *
store_open(const char *path, char *errbuf, size_t errlen)
{
	return store_open_ex(path, NULL, errbuf, errlen);
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	/* Closing rolls back a batch that was not ended. */
	sqlite3_close_v2(st->db);
	free(st->path);
	explicit_bzero(st, sizeof(*st));
	free(st);
}

const char *
store_path(const struct store *st)
{
	return st->path;
}

const char *
store_errmsg(const struct store *st)
{
	return st != NULL ? st->err : "no store.";
}

sqlite3 *
store_sqlite(struct store *st)
{
	return st->db;
}

int
store_schema_version(struct store *st)
{
	int version = 0;
	int sqlrc;

	sqlrc = schema_user_version(st->db, &version);
	if (sqlrc != SQLITE_OK)
		return db_fail(st, sqlrc);
	return version;
}

int64_t
store_change_counter(struct store *st)
{
	int64_t v = 0;
	int rc;

	rc = run_ints(st, "SELECT value FROM meta WHERE key = 'changes'",
		      NULL, 0, &v);
	if (rc == 0)
		rc = set_err(st, STORE_EIO, "the store has no change counter.");
	return rc < 0 ? rc : v;
}

void
store_set_location(struct store *st, enum store_location loc)
{
	st->loc = loc;
}

enum store_location
store_get_location(const struct store *st)
{
	return st->loc;
}

const char *
store_location_name(enum store_location loc)
{
	switch (loc) {
	case STORE_LOC_LOCAL:
		return "local";
	case STORE_LOC_PERSISTENT:
		return "persistent";
	}
	return "unknown";
}

/* ---- lists ------------------------------------------------------------ */

typedef int row_fn(struct store *st, sqlite3_stmt *s, void *out);

/*
 * Makes room for one more element.  Grows by copy, never realloc: the old
 * block may hold secrets and is wiped before it is freed.
 */
static int
grow(struct store *st, unsigned char **arr, size_t *cap, size_t n,
     size_t elem)
{
	unsigned char *p;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap != 0 ? *cap * 2 : 4;
	if (ncap < *cap || ncap > SIZE_MAX / elem)
		return no_memory(st);
	p = calloc(ncap, elem);
	if (p == NULL)
		return no_memory(st);
	if (*arr != NULL) {
		memcpy(p, *arr, n * elem);
		explicit_bzero(*arr, *cap * elem);
		free(*arr);
	}
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Reads every row of the bound statement s through fn into a new array. */
static int
list_rows(struct store *st, sqlite3_stmt *s, row_fn *fn, size_t elem,
	  void **out, size_t *n)
{
	unsigned char *arr = NULL;
	size_t cap = 0;
	size_t cnt = 0;
	int rc;

	for (;;) {
		rc = step_row(st, s);
		if (rc <= 0)
			break;
		rc = grow(st, &arr, &cap, cnt, elem);
		if (rc < 0)
			break;
		rc = fn(st, s, arr + cnt * elem);
		if (rc < 0)
			break;
		cnt++;
	}
	if (rc < 0) {
		store_list_free(arr, cap, elem);
		return rc;
	}
	*out = arr;
	*n = cnt;
	return 0;
}

void
store_list_free(void *list, size_t n, size_t elem_size)
{
	if (list == NULL)
		return;
	if (elem_size != 0 && n <= SIZE_MAX / elem_size)
		explicit_bzero(list, n * elem_size);
	free(list);
}

void
store_rule_wipe(struct store_rule *r)
{
	if (r == NULL)
		return;
	explicit_bzero(r->auth, sizeof(r->auth));
	r->nauth = 0;
}

/* ---- policies --------------------------------------------------------- */

#define POLICY_SELECT                                                      \
	"SELECT p.name, p.guid, p.description, p.mmpfs, p.qmpermm,"        \
	" p.mmlifetime, p.activatedefaultrule, p.pollinginterval,"         \
	" p.assigned, p.mmsecmethods, p.modified,"                          \
	" (SELECT count(*) FROM rule r WHERE r.policy_id = p.id)"           \
	" FROM policy p"

static int
policy_row(struct store *st, sqlite3_stmt *s, void *out)
{
	struct store_policy *p = out;

	(void)st;
	memset(p, 0, sizeof(*p));
	col_text(s, 0, p->name, sizeof(p->name));
	col_text(s, 1, p->guid, sizeof(p->guid));
	col_text(s, 2, p->description, sizeof(p->description));
	p->mmpfs = col_bool(s, 3);
	p->qmpermm = sqlite3_column_int(s, 4);
	p->mmlifetime = sqlite3_column_int(s, 5);
	p->activatedefaultrule = col_bool(s, 6);
	p->pollinginterval = sqlite3_column_int(s, 7);
	p->assigned = col_bool(s, 8);
	col_text(s, 9, p->mmsecmethods, sizeof(p->mmsecmethods));
	p->modified = sqlite3_column_int64(s, 10);
	p->nrules = sqlite3_column_int(s, 11);
	return 0;
}

/*
 * Reads one object: sql takes ?1 = location and ?2 = key.  Returns 0, or
 * STORE_ENOENT with "<what> "<key>" does not exist." (what may end in
 * "with GUID").
 */
static int
get_one(struct store *st, const char *sql, const char *what, const char *key,
	row_fn *fn, void *out)
{
	sqlite3_stmt *s = NULL;
	int b;
	int rc = 0;

	clear_err(st);
	if (name_usable(key)) {
		rc = prep(st, &s, sql);
		if (rc < 0)
			goto out;
		b = bind_int(s, 1, st->loc) |
		    bind_str(s, 2, key, STORE_NAME_MAX);
		if (b != SQLITE_OK) {
			rc = bind_fail(st);
			goto out;
		}
		rc = step_row(st, s);
	}
	if (rc == 1)
		rc = fn(st, s, out);
	else if (rc == 0)
		rc = set_err(st, STORE_ENOENT, "%s \"%s\" does not exist.",
			     what, key != NULL ? key : "");
out:
	sqlite3_finalize(s);
	return rc;
}

/* Reads every object of the location: sql takes ?1 = location. */
static int
list_all(struct store *st, const char *sql, row_fn *fn, size_t elem,
	 void **out, size_t *n)
{
	sqlite3_stmt *s = NULL;
	int rc;

	clear_err(st);
	*out = NULL;
	*n = 0;
	rc = prep(st, &s, sql);
	if (rc < 0)
		goto out;
	if (bind_int(s, 1, st->loc) != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = list_rows(st, s, fn, elem, out, n);
out:
	sqlite3_finalize(s);
	return rc;
}

/* Binds ?2 name, ?4 description, ?5..?11 the settings, ?12 modified. */
static int
bind_policy(sqlite3_stmt *s, const struct store_policy *p, int64_t t)
{
	return bind_str(s, 2, p->name, sizeof(p->name)) |
	       bind_str(s, 4, p->description, sizeof(p->description)) |
	       bind_bool(s, 5, p->mmpfs) | bind_int(s, 6, p->qmpermm) |
	       bind_int(s, 7, p->mmlifetime) |
	       bind_bool(s, 8, p->activatedefaultrule) |
	       bind_int(s, 9, p->pollinginterval) |
	       bind_bool(s, 10, p->assigned) |
	       bind_str(s, 11, p->mmsecmethods, sizeof(p->mmsecmethods)) |
	       bind_int(s, 12, t);
}

/* Unassigns every policy of the location but row keep. */
static int
unassign_others(struct store *st, int64_t keep)
{
	const int64_t v[] = { st->loc, keep };

	return run_ints(st,
			"UPDATE policy SET assigned = 0"
			" WHERE location = ?1 AND assigned <> 0 AND id <> ?2",
			v, 2, NULL);
}

int
store_policy_add(struct store *st, const struct store_policy *p)
{
	sqlite3_stmt *s = NULL;
	char guid[STORE_GUID_LEN];
	char rguid[STORE_GUID_LEN];
	int64_t t = now();
	int64_t id;
	bool outer = false;
	int b;
	int rc;

	clear_err(st);
	rc = check_name(st, "policy", p->name);
	if (rc < 0)
		return rc;
	rc = tx_open(st, &tx_call, &outer);
	if (rc < 0)
		return rc;
	rc = name_free(st, K_POLICY, p->name, 0);
	if (rc < 0)
		goto out;
	if (p->assigned) {
		rc = unassign_others(st, 0);
		if (rc < 0)
			goto out;
	}
	rc = new_guid(st, guid);
	if (rc < 0)
		goto out;
	rc = prep(st, &s,
		  "INSERT INTO policy (location, name, guid, description,"
		  " mmpfs, qmpermm, mmlifetime, activatedefaultrule,"
		  " pollinginterval, assigned, mmsecmethods, modified)"
		  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
		  " ?12)");
	if (rc < 0)
		goto out;
	b = bind_int(s, 1, st->loc) | bind_str(s, 3, guid, sizeof(guid)) |
	    bind_policy(s, p, t);
	if (b != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = step_done(st, s);
	if (rc < 0)
		goto out;
	id = sqlite3_last_insert_rowid(st->db);
	sqlite3_finalize(s);
	s = NULL;

	/* The default response rule: id 0, name "", always negotiates. */
	rc = new_guid(st, rguid);
	if (rc < 0)
		goto out;
	rc = prep(st, &s,
		  "INSERT INTO rule (policy_id, rule_no, name, guid,"
		  " is_default, conntype, activate, qmpfs, qmsecmethods,"
		  " modified) VALUES (?1, 0, '', ?2, 1, 0, ?3, 0, ?4, ?5)");
	if (rc < 0)
		goto out;
	b = bind_int(s, 1, id) | bind_str(s, 2, rguid, sizeof(rguid)) |
	    bind_bool(s, 3, p->activatedefaultrule) |
	    bind_str(s, 4, VOCAB_QMSEC_DEFAULT, sizeof(VOCAB_QMSEC_DEFAULT)) |
	    bind_int(s, 5, t);
	if (b != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = step_done(st, s);
out:
	sqlite3_finalize(s);
	return tx_close(st, &tx_call, outer, rc);
}

int
store_policy_get(struct store *st, const char *name, struct store_policy *out)
{
	return get_one(st,
		       POLICY_SELECT " WHERE p.location = ?1 AND p.name = ?2",
		       "policy", name, policy_row, out);
}

int
store_policy_get_by_guid(struct store *st, const char *guid,
			 struct store_policy *out)
{
	return get_one(st,
		       POLICY_SELECT " WHERE p.location = ?1 AND p.guid = ?2",
		       "policy with GUID", guid, policy_row, out);
}

int
store_policy_update(struct store *st, const char *old_name,
		    const struct store_policy *p)
{
	sqlite3_stmt *s = NULL;
	int64_t t = now();
	int64_t id = 0;
	bool outer = false;
	int b;
	int rc;

	clear_err(st);
	rc = check_name(st, "policy", p->name);
	if (rc < 0)
		return rc;
	rc = tx_open(st, &tx_call, &outer);
	if (rc < 0)
		return rc;
	rc = need_obj(st, K_POLICY, old_name, &id);
	if (rc < 0)
		goto out;
	rc = name_free(st, K_POLICY, p->name, id);
	if (rc < 0)
		goto out;
	if (p->assigned) {
		rc = unassign_others(st, id);
		if (rc < 0)
			goto out;
	}
	rc = prep(st, &s,
		  "UPDATE policy SET name = ?2, description = ?4, mmpfs = ?5,"
		  " qmpermm = ?6, mmlifetime = ?7, activatedefaultrule = ?8,"
		  " pollinginterval = ?9, assigned = ?10, mmsecmethods = ?11,"
		  " modified = ?12 WHERE id = ?13");
	if (rc < 0)
		goto out;
	b = bind_policy(s, p, t) | bind_int(s, 13, id);
	if (b != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = step_done(st, s);
	if (rc < 0)
		goto out;
	/* The default rule's activate is the policy's activatedefaultrule. */
	rc = run_ints(st,
		      "UPDATE rule SET activate = ?2, modified = ?3"
		      " WHERE policy_id = ?1 AND is_default <> 0"
		      " AND activate <> ?2",
		      (const int64_t[]){ id, p->activatedefaultrule, t }, 3,
		      NULL);
out:
	sqlite3_finalize(s);
	return tx_close(st, &tx_call, outer, rc);
}

int
store_policy_assign(struct store *st, const char *name, bool assign)
{
	int64_t id = 0;
	bool outer = false;
	int rc;

	clear_err(st);
	rc = tx_open(st, &tx_call, &outer);
	if (rc < 0)
		return rc;
	rc = need_obj(st, K_POLICY, name, &id);
	if (rc < 0)
		goto out;
	if (assign) {
		rc = unassign_others(st, id);
		if (rc < 0)
			goto out;
	}
	rc = run_ints(st,
		      "UPDATE policy SET assigned = ?2"
		      " WHERE id = ?1 AND assigned <> ?2",
		      (const int64_t[]){ id, assign }, 2, NULL);
out:
	return tx_close(st, &tx_call, outer, rc);
}

int
store_policy_delete(struct store *st, const char *name)
{
	int64_t id = 0;
	bool outer = false;
	int rc;

	clear_err(st);
	rc = tx_open(st, &tx_call, &outer);
	if (rc < 0)
		return rc;
	rc = need_obj(st, K_POLICY, name, &id);
	if (rc < 0)
		goto out;
	/* Its rules (default rule included) and their auth cascade. */
	rc = run_ints(st, "DELETE FROM policy WHERE id = ?1", &id, 1, NULL);
out:
	return tx_close(st, &tx_call, outer, rc);
}

int
store_policy_list(struct store *st, struct store_policy **out, size_t *n)
{
	return list_all(st,
			POLICY_SELECT " WHERE p.location = ?1"
				      " ORDER BY p.name COLLATE NOCASE,"
				      " p.name COLLATE BINARY",
			policy_row, sizeof(**out), (void **)out, n);
}

int
store_policy_assigned(struct store *st, struct store_policy *out)
{
	sqlite3_stmt *s = NULL;
	int rc;

	clear_err(st);
	rc = prep(st, &s, POLICY_SELECT
		  " WHERE p.location = ?1 AND p.assigned <> 0");
	if (rc < 0)
		goto out;
	if (bind_int(s, 1, st->loc) != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = step_row(st, s);
	if (rc == 1)
		rc = policy_row(st, s, out);
	else if (rc == 0)
		rc = set_err(st, STORE_ENOENT,
			     "no policy is assigned in the %s store.",
			     store_location_name(st->loc));
out:
	sqlite3_finalize(s);
	return rc;
}

/* ---- filter lists and filters ----------------------------------------- */

#define FILTERLIST_SELECT                                                  \
	"SELECT f.name, f.guid, f.description, f.modified,"                \
	" (SELECT count(*) FROM filter x WHERE x.filterlist_id = f.id)"     \
	" FROM filterlist f"

static int
filterlist_row(struct store *st, sqlite3_stmt *s, void *out)
{
	struct store_filterlist *f = out;

	(void)st;
	memset(f, 0, sizeof(*f));
	col_text(s, 0, f->name, sizeof(f->name));
	col_text(s, 1, f->guid, sizeof(f->guid));
	col_text(s, 2, f->description, sizeof(f->description));
	f->modified = sqlite3_column_int64(s, 3);
	f->nfilters = sqlite3_column_int(s, 4);
	return 0;
}

/* Inserts a filter list; its row id in *id. */
static int
filterlist_insert(struct store *st, const char *name, const char *desc,
		  int64_t t, int64_t *id)
{
	sqlite3_stmt *s = NULL;
	char guid[STORE_GUID_LEN];
	int b;
	int rc;

	rc = new_guid(st, guid);
	if (rc < 0)
		goto out;
	rc = prep(st, &s,
		  "INSERT INTO filterlist (location, name, guid, description,"
		  " modified) VALUES (?1, ?2, ?3, ?4, ?5)");
	if (rc < 0)
		goto out;
	b = bind_int(s, 1, st->loc) | bind_str(s, 2, name, STORE_NAME_MAX) |
	    bind_str(s, 3, guid, sizeof(guid)) |
	    bind_str(s, 4, desc, STORE_DESC_MAX) | bind_int(s, 5, t);
	if (b != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = step_done(st, s);
	if (rc == 0)
		*id = sqlite3_last_insert_rowid(st->db);
out:
	sqlite3_finalize(s);
	return rc;
}

int
store_filterlist_add(struct store *st, const struct store_filterlist *f)
{
	int64_t id = 0;
	bool outer = false;
	int rc;

	clear_err(st);
	rc = check_name(st, "filter list", f->name);
	if (rc < 0)
		return rc;
	rc = tx_open(st, &tx_call, &outer);
	if (rc < 0)
		return rc;
	rc = name_free(st, K_FILTERLIST, f->name, 0);
	if (rc < 0)
		goto out;
	rc = filterlist_insert(st, f->name, f->description, now(), &id);
out:
	return tx_close(st, &tx_call, outer, rc);
}

int
store_filterlist_get(struct store *st, const char *name,
		     struct store_filterlist *out)
{
	return get_one(st,
		       FILTERLIST_SELECT " WHERE f.location = ?1"
					 " AND f.name = ?2",
		       "filter list", name, filterlist_row, out);
}

int
store_filterlist_get_by_guid(struct store *st, const char *guid,
			     struct store_filterlist *out)
{
	return get_one(st,
		       FILTERLIST_SELECT " WHERE f.location = ?1"
					 " AND f.guid = ?2",
		       "filter list with GUID", guid, filterlist_row, out);
}

int
store_filterlist_update(struct store *st, const char *old_name,
			const struct store_filterlist *f)
{
	sqlite3_stmt *s = NULL;
	int64_t id = 0;
	bool outer = false;
	int b;
	int rc;

	clear_err(st);
	rc = check_name(st, "filter list", f->name);
	if (rc < 0)
		return rc;
	rc = tx_open(st, &tx_call, &outer);
	if (rc < 0)
		return rc;
	rc = need_obj(st, K_FILTERLIST, old_name, &id);
	if (rc < 0)
		goto out;
	rc = name_free(st, K_FILTERLIST, f->name, id);
	if (rc < 0)
		goto out;
	rc = prep(st, &s,
		  "UPDATE filterlist SET name = ?2, description = ?3,"
		  " modified = ?4 WHERE id = ?1");
	if (rc < 0)
		goto out;
	b = bind_int(s, 1, id) | bind_str(s, 2, f->name, sizeof(f->name)) |
	    bind_str(s, 3, f->description, sizeof(f->description)) |
	    bind_int(s, 4, now());
	if (b != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = step_done(st, s);
out:
	sqlite3_finalize(s);
	return tx_close(st, &tx_call, outer, rc);
}

int
store_filterlist_delete(struct store *st, const char *name)
{
	int64_t id = 0;
	bool outer = false;
	int rc;

	clear_err(st);
	rc = tx_open(st, &tx_call, &outer);
	if (rc < 0)
		return rc;
	rc = need_obj(st, K_FILTERLIST, name, &id);
	if (rc < 0)
		goto out;
	rc = not_in_use(st, K_FILTERLIST, id, name);
	if (rc < 0)
		goto out;
	/* Its filters cascade. */
	rc = run_ints(st, "DELETE FROM filterlist WHERE id = ?1", &id, 1,
		      NULL);
out:
	return tx_close(st, &tx_call, outer, rc);
}

int
store_filterlist_list(struct store *st, struct store_filterlist **out,
		      size_t *n)
{
	return list_all(st,
			FILTERLIST_SELECT " WHERE f.location = ?1"
					  " ORDER BY f.name COLLATE NOCASE,"
					  " f.name COLLATE BINARY",
			filterlist_row, sizeof(**out), (void **)out, n);
}

/* Binds ?2 srcaddr .. ?10 dstport. */
static int
bind_filter(sqlite3_stmt *s, const struct store_filter *f)
{
	return bind_str(s, 2, f->srcaddr, sizeof(f->srcaddr)) |
	       bind_str(s, 3, f->dstaddr, sizeof(f->dstaddr)) |
	       bind_str(s, 4, f->description, sizeof(f->description)) |
	       bind_int(s, 5, f->protocol) | bind_bool(s, 6, f->mirrored) |
	       bind_str(s, 7, f->srcmask, sizeof(f->srcmask)) |
	       bind_str(s, 8, f->dstmask, sizeof(f->dstmask)) |
	       bind_int(s, 9, f->srcport) | bind_int(s, 10, f->dstport);
}

int
store_filter_add(struct store *st, const struct store_filter *f)
{
	sqlite3_stmt *s = NULL;
	int64_t t = now();
	int64_t id = 0;
	bool outer = false;
	int b;
	int rc;

	clear_err(st);
	rc = check_name(st, "filter list", f->filterlist);
	if (rc < 0)
		return rc;
	rc = tx_open(st, &tx_call, &outer);
	if (rc < 0)
		return rc;
	rc = find_obj(st, K_FILTERLIST, f->filterlist, 0, &id);
	/* netsh: adding a filter to a missing list creates the list. */
	if (rc == 0)
		rc = filterlist_insert(st, f->filterlist, "", t, &id);
	else if (rc > 0)
		rc = run_ints(st,
			      "UPDATE filterlist SET modified = ?2"
			      " WHERE id = ?1",
			      (const int64_t[]){ id, t }, 2, NULL);
	if (rc < 0)
		goto out;
	/* Position: after the last filter of the list (insertion order). */
	rc = prep(st, &s,
		  "INSERT INTO filter (filterlist_id, position, srcaddr,"
		  " dstaddr, description, protocol, mirrored, srcmask, dstmask,"
		  " srcport, dstport) VALUES (?1,"
		  " (SELECT coalesce(max(position), 0) + 1 FROM filter"
		  "  WHERE filterlist_id = ?1),"
		  " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	if (rc < 0)
		goto out;
	b = bind_int(s, 1, id) | bind_filter(s, f);
	if (b != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = step_done(st, s);
out:
	sqlite3_finalize(s);
	return tx_close(st, &tx_call, outer, rc);
}

int
store_filter_delete(struct store *st, const struct store_filter *f,
		    const struct store_filter_match *m, int *ndeleted)
{
	static const struct store_filter_match none;
	sqlite3_stmt *s = NULL;
	int64_t id = 0;
	bool outer = false;
	int count = 0;
	int b;
	int rc;

	clear_err(st);
	if (m == NULL)
		m = &none;
	rc = tx_open(st, &tx_call, &outer);
	if (rc < 0)
		return rc;
	rc = need_obj(st, K_FILTERLIST, f->filterlist, &id);
	if (rc < 0)
		goto out;
	/* Filters have no name: they are chosen by content.  Addresses always
	 * take part; each optional field only when its match flag says so. */
	rc = prep(st, &s,
		  "DELETE FROM filter WHERE filterlist_id = ?1"
		  " AND srcaddr = ?2 AND dstaddr = ?3"
		  " AND (?11 = 0 OR protocol = ?5)"
		  " AND (?12 = 0 OR mirrored = ?6)"
		  " AND (?13 = 0 OR srcmask = ?7)"
		  " AND (?14 = 0 OR dstmask = ?8)"
		  " AND (?15 = 0 OR srcport = ?9)"
		  " AND (?16 = 0 OR dstport = ?10)");
	if (rc < 0)
		goto out;
	b = bind_int(s, 1, id) | bind_filter(s, f) |
	    bind_bool(s, 11, m->protocol) | bind_bool(s, 12, m->mirrored) |
	    bind_bool(s, 13, m->srcmask) | bind_bool(s, 14, m->dstmask) |
	    bind_bool(s, 15, m->srcport) | bind_bool(s, 16, m->dstport);
	if (b != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = step_done(st, s);
	if (rc < 0)
		goto out;
	/* Rows deleted by this statement only, not by its triggers. */
	count = sqlite3_changes(st->db);
	if (count == 0) {
		rc = set_err(st, STORE_ENOENT,
			     "no filter in filter list \"%s\" matches.",
			     f->filterlist);
		goto out;
	}
	rc = run_ints(st, "UPDATE filterlist SET modified = ?2 WHERE id = ?1",
		      (const int64_t[]){ id, now() }, 2, NULL);
out:
	sqlite3_finalize(s);
	rc = tx_close(st, &tx_call, outer, rc);
	if (ndeleted != NULL)
		*ndeleted = rc == 0 ? count : 0;
	return rc;
}

static int
filter_row(struct store *st, sqlite3_stmt *s, void *out)
{
	struct store_filter *f = out;

	(void)st;
	memset(f, 0, sizeof(*f));
	col_text(s, 0, f->filterlist, sizeof(f->filterlist));
	col_text(s, 1, f->srcaddr, sizeof(f->srcaddr));
	col_text(s, 2, f->dstaddr, sizeof(f->dstaddr));
	col_text(s, 3, f->description, sizeof(f->description));
	f->protocol = sqlite3_column_int(s, 4);
	f->mirrored = col_bool(s, 5);
	col_text(s, 6, f->srcmask, sizeof(f->srcmask));
	col_text(s, 7, f->dstmask, sizeof(f->dstmask));
	f->srcport = sqlite3_column_int(s, 8);
	f->dstport = sqlite3_column_int(s, 9);
	return 0;
}

int
store_filter_list(struct store *st, const char *filterlist,
		  struct store_filter **out, size_t *n)
{
	sqlite3_stmt *s = NULL;
	int64_t id = 0;
	bool outer = false;
	int rc;

	clear_err(st);
	*out = NULL;
	*n = 0;
	rc = read_begin(st, &outer);
	if (rc < 0)
		return rc;
	rc = need_obj(st, K_FILTERLIST, filterlist, &id);
	if (rc < 0)
		goto out;
	rc = prep(st, &s,
		  "SELECT l.name, x.srcaddr, x.dstaddr, x.description,"
		  " x.protocol, x.mirrored, x.srcmask, x.dstmask, x.srcport,"
		  " x.dstport FROM filter x"
		  " JOIN filterlist l ON l.id = x.filterlist_id"
		  " WHERE x.filterlist_id = ?1 ORDER BY x.position");
	if (rc < 0)
		goto out;
	if (bind_int(s, 1, id) != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = list_rows(st, s, filter_row, sizeof(**out), (void **)out, n);
out:
	sqlite3_finalize(s);
	read_end(st, outer);
	return rc;
}

/* ---- filter actions --------------------------------------------------- */

#define FILTERACTION_SELECT                                                \
	"SELECT a.name, a.guid, a.description, a.qmpfs, a.inpass, a.soft,"  \
	" a.action, a.qmsecmethods, a.modified FROM filteraction a"

static int
filteraction_row(struct store *st, sqlite3_stmt *s, void *out)
{
	struct store_filteraction *a = out;

	(void)st;
	memset(a, 0, sizeof(*a));
	col_text(s, 0, a->name, sizeof(a->name));
	col_text(s, 1, a->guid, sizeof(a->guid));
	col_text(s, 2, a->description, sizeof(a->description));
	a->qmpfs = col_bool(s, 3);
	a->inpass = col_bool(s, 4);
	a->soft = col_bool(s, 5);
	a->action = (enum store_action)sqlite3_column_int(s, 6);
	col_text(s, 7, a->qmsecmethods, sizeof(a->qmsecmethods));
	a->modified = sqlite3_column_int64(s, 8);
	return 0;
}

/* Binds ?2 name, ?4 description, ?5..?9 the settings, ?10 modified. */
static int
bind_filteraction(sqlite3_stmt *s, const struct store_filteraction *a,
		  int64_t t)
{
	return bind_str(s, 2, a->name, sizeof(a->name)) |
	       bind_str(s, 4, a->description, sizeof(a->description)) |
	       bind_bool(s, 5, a->qmpfs) | bind_bool(s, 6, a->inpass) |
	       bind_bool(s, 7, a->soft) | bind_int(s, 8, (int64_t)a->action) |
	       bind_str(s, 9, a->qmsecmethods, sizeof(a->qmsecmethods)) |
	       bind_int(s, 10, t);
}

int
store_filteraction_add(struct store *st, const struct store_filteraction *a)
{
	sqlite3_stmt *s = NULL;
	char guid[STORE_GUID_LEN];
	bool outer = false;
	int b;
	int rc;

	clear_err(st);
	rc = check_name(st, "filter action", a->name);
	if (rc < 0)
		return rc;
	rc = tx_open(st, &tx_call, &outer);
	if (rc < 0)
		return rc;
	rc = name_free(st, K_FILTERACTION, a->name, 0);
	if (rc < 0)
		goto out;
	rc = new_guid(st, guid);
	if (rc < 0)
		goto out;
	rc = prep(st, &s,
		  "INSERT INTO filteraction (location, name, guid, description,"
		  " qmpfs, inpass, soft, action, qmsecmethods, modified)"
		  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	if (rc < 0)
		goto out;
	b = bind_int(s, 1, st->loc) | bind_str(s, 3, guid, sizeof(guid)) |
	    bind_filteraction(s, a, now());
	if (b != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = step_done(st, s);
out:
	sqlite3_finalize(s);
	return tx_close(st, &tx_call, outer, rc);
}

int
store_filteraction_get(struct store *st, const char *name,
		       struct store_filteraction *out)
{
	return get_one(st,
		       FILTERACTION_SELECT " WHERE a.location = ?1"
					   " AND a.name = ?2",
		       "filter action", name, filteraction_row, out);
}

int
store_filteraction_get_by_guid(struct store *st, const char *guid,
			       struct store_filteraction *out)
{
	return get_one(st,
		       FILTERACTION_SELECT " WHERE a.location = ?1"
					   " AND a.guid = ?2",
		       "filter action with GUID", guid, filteraction_row, out);
}

int
store_filteraction_update(struct store *st, const char *old_name,
			  const struct store_filteraction *a)
{
	sqlite3_stmt *s = NULL;
	int64_t id = 0;
	bool outer = false;
	int b;
	int rc;

	clear_err(st);
	rc = check_name(st, "filter action", a->name);
	if (rc < 0)
		return rc;
	rc = tx_open(st, &tx_call, &outer);
	if (rc < 0)
		return rc;
	rc = need_obj(st, K_FILTERACTION, old_name, &id);
	if (rc < 0)
		goto out;
	rc = name_free(st, K_FILTERACTION, a->name, id);
	if (rc < 0)
		goto out;
	rc = prep(st, &s,
		  "UPDATE filteraction SET name = ?2, description = ?4,"
		  " qmpfs = ?5, inpass = ?6, soft = ?7, action = ?8,"
		  " qmsecmethods = ?9, modified = ?10 WHERE id = ?11");
	if (rc < 0)
		goto out;
	b = bind_filteraction(s, a, now()) | bind_int(s, 11, id);
	if (b != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = step_done(st, s);
out:
	sqlite3_finalize(s);
	return tx_close(st, &tx_call, outer, rc);
}

int
store_filteraction_delete(struct store *st, const char *name)
{
	int64_t id = 0;
	bool outer = false;
	int rc;

	clear_err(st);
	rc = tx_open(st, &tx_call, &outer);
	if (rc < 0)
		return rc;
	rc = need_obj(st, K_FILTERACTION, name, &id);
	if (rc < 0)
		goto out;
	rc = not_in_use(st, K_FILTERACTION, id, name);
	if (rc < 0)
		goto out;
	rc = run_ints(st, "DELETE FROM filteraction WHERE id = ?1", &id, 1,
		      NULL);
out:
	return tx_close(st, &tx_call, outer, rc);
}

int
store_filteraction_list(struct store *st, struct store_filteraction **out,
			size_t *n)
{
	return list_all(st,
			FILTERACTION_SELECT " WHERE a.location = ?1"
					    " ORDER BY a.name COLLATE NOCASE,"
					    " a.name COLLATE BINARY",
			filteraction_row, sizeof(**out), (void **)out, n);
}

/* ---- rules ------------------------------------------------------------ */

#define RULE_SELECT                                                        \
	"SELECT p.name, r.name, r.rule_no, r.guid, r.description,"         \
	" coalesce(fl.name, ''), coalesce(fa.name, ''), r.tunnel,"          \
	" r.conntype, r.activate, r.is_default, r.qmpfs, r.qmsecmethods,"   \
	" r.modified, r.id"                                                 \
	" FROM rule r JOIN policy p ON p.id = r.policy_id"                  \
	" LEFT JOIN filterlist fl ON fl.id = r.filterlist_id"               \
	" LEFT JOIN filteraction fa ON fa.id = r.filteraction_id"

static int
rule_auth_load(struct store *st, int64_t rowid, struct store_rule *r)
{
	sqlite3_stmt *s = NULL;
	struct store_auth *a;
	int rc;

	rc = prep(st, &s,
		  "SELECT kind, value, certmap, excludecaname FROM auth"
		  " WHERE rule_id = ?1 ORDER BY position");
	if (rc < 0)
		goto out;
	if (bind_int(s, 1, rowid) != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	while (r->nauth < STORE_AUTH_MAX && (rc = step_row(st, s)) == 1) {
		a = &r->auth[r->nauth++];
		a->kind = (enum store_auth_kind)sqlite3_column_int(s, 0);
		col_text(s, 1, a->value, sizeof(a->value));
		a->certmap = col_bool(s, 2);
		a->excludecaname = col_bool(s, 3);
	}
	rc = rc < 0 ? rc : 0;
out:
	sqlite3_finalize(s);
	return rc;
}

static int
rule_row(struct store *st, sqlite3_stmt *s, void *out)
{
	struct store_rule *r = out;

	memset(r, 0, sizeof(*r));
	col_text(s, 0, r->policy, sizeof(r->policy));
	col_text(s, 1, r->name, sizeof(r->name));
	r->id = sqlite3_column_int(s, 2);
	col_text(s, 3, r->guid, sizeof(r->guid));
	col_text(s, 4, r->description, sizeof(r->description));
	col_text(s, 5, r->filterlist, sizeof(r->filterlist));
	col_text(s, 6, r->filteraction, sizeof(r->filteraction));
	col_text(s, 7, r->tunnel, sizeof(r->tunnel));
	r->conntype = (enum store_conntype)sqlite3_column_int(s, 8);
	r->activate = col_bool(s, 9);
	r->is_default = col_bool(s, 10);
	r->qmpfs = col_bool(s, 11);
	col_text(s, 12, r->qmsecmethods, sizeof(r->qmsecmethods));
	r->modified = sqlite3_column_int64(s, 13);
	return rule_auth_load(st, sqlite3_column_int64(s, 14), r);
}

/*
 * Reads one rule of the policy named policy: sql takes ?1 = policy row id
 * and ?2 = key (text if key is given, else the integer no).  Returns 0,
 * 1 when the rule does not exist (the caller words the message), or < 0.
 */
static int
rule_get_where(struct store *st, const char *policy, const char *sql,
	       const char *key, int64_t no, struct store_rule *out)
{
	sqlite3_stmt *s = NULL;
	int64_t pid = 0;
	bool outer = false;
	int b;
	int rc;

	clear_err(st);
	rc = read_begin(st, &outer);
	if (rc < 0)
		return rc;
	rc = need_obj(st, K_POLICY, policy, &pid);
	if (rc < 0)
		goto out;
	if (key != NULL && !name_usable(key)) {
		rc = 1; /* not found */
		goto out;
	}
	rc = prep(st, &s, sql);
	if (rc < 0)
		goto out;
	b = bind_int(s, 1, pid);
	if (key != NULL)
		b |= bind_str(s, 2, key, STORE_NAME_MAX);
	else
		b |= bind_int(s, 2, no);
	if (b != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = step_row(st, s);
	if (rc == 1)
		rc = rule_row(st, s, out);
	else if (rc == 0)
		rc = 1; /* not found */
out:
	sqlite3_finalize(s);
	read_end(st, outer);
	if (rc < 0)
		explicit_bzero(out, sizeof(*out));
	return rc;
}

int
store_rule_get(struct store *st, const char *policy, const char *name,
	       struct store_rule *out)
{
	int rc;

	rc = rule_get_where(st, policy,
			    RULE_SELECT " WHERE r.policy_id = ?1"
					" AND r.name = ?2 AND r.is_default = 0",
			    name != NULL ? name : "", 0, out);
	if (rc > 0)
		rc = set_err(st, STORE_ENOENT,
			     "rule \"%s\" does not exist in policy \"%s\".",
			     name != NULL ? name : "", policy);
	return rc;
}

int
store_rule_get_by_id(struct store *st, const char *policy, int id,
		     struct store_rule *out)
{
	int rc;

	rc = rule_get_where(st, policy,
			    RULE_SELECT " WHERE r.policy_id = ?1"
					" AND r.rule_no = ?2",
			    NULL, id, out);
	if (rc > 0)
		rc = set_err(st, STORE_ENOENT,
			     "rule %d does not exist in policy \"%s\".", id,
			     policy);
	return rc;
}

int
store_rule_get_default(struct store *st, const char *policy,
		       struct store_rule *out)
{
	int rc;

	rc = rule_get_where(st, policy,
			    RULE_SELECT " WHERE r.policy_id = ?1"
					" AND r.rule_no = ?2"
					" AND r.is_default <> 0",
			    NULL, 0, out);
	if (rc > 0)
		rc = set_err(st, STORE_EIO,
			     "policy \"%s\" has no default response rule.",
			     policy);
	return rc;
}

/* Row id of rule number no of policy pid: 1 found, 0 not found. */
static int
find_rule(struct store *st, int64_t pid, int no, int64_t *rowid)
{
	return run_ints(st,
			"SELECT id FROM rule"
			" WHERE policy_id = ?1 AND rule_no = ?2",
			(const int64_t[]){ pid, no }, 2, rowid);
}

/* STORE_EEXIST when another rule of the policy has the name. */
static int
rule_name_free(struct store *st, int64_t pid, const char *policy,
	       const char *name, int64_t except)
{
	sqlite3_stmt *s = NULL;
	int b;
	int rc;

	rc = prep(st, &s,
		  "SELECT 1 FROM rule"
		  " WHERE policy_id = ?1 AND name = ?2 AND id <> ?3");
	if (rc < 0)
		goto out;
	b = bind_int(s, 1, pid) | bind_str(s, 2, name, STORE_NAME_MAX) |
	    bind_int(s, 3, except);
	if (b != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = step_row(st, s);
	if (rc == 1)
		rc = set_err(st, STORE_EEXIST,
			     "rule \"%s\" already exists in policy \"%s\".",
			     name, policy);
out:
	sqlite3_finalize(s);
	return rc;
}

/* Checks what a rule refers to; their row ids into *flid and *faid. */
static int
rule_refs(struct store *st, const struct store_rule *r, int64_t *flid,
	  int64_t *faid)
{
	int rc;

	if (r->filterlist[0] == '\0' || r->filteraction[0] == '\0')
		return set_err(st, STORE_EINVAL,
			       "rule \"%s\" needs a filter list and a filter "
			       "action.",
			       r->name);
	rc = need_obj(st, K_FILTERLIST, r->filterlist, flid);
	if (rc == 0)
		rc = need_obj(st, K_FILTERACTION, r->filteraction, faid);
	return rc;
}

/*
 * Binds the rule's editable columns: ?3 name, ?5 description, ?6 filter
 * list, ?7 filter action, ?8 tunnel, ?9 conntype, ?10 activate, ?12
 * qmpfs, ?13 qmsecmethods, ?14 modified.  The default rule keeps its
 * fixed shape (no name, no references, transport, all connections); other
 * rules carry no quick mode settings of their own.
 */
static int
bind_rule(sqlite3_stmt *s, const struct store_rule *r, bool is_default,
	  int64_t flid, int64_t faid, int64_t t)
{
	int b;

	b = bind_str(s, 5, r->description, sizeof(r->description)) |
	    bind_bool(s, 10, r->activate) | bind_int(s, 14, t);
	if (is_default)
		return b | bind_str(s, 3, "", 1) | sqlite3_bind_null(s, 6) |
		       sqlite3_bind_null(s, 7) | bind_str(s, 8, "", 1) |
		       bind_int(s, 9, STORE_CONN_ALL) |
		       bind_bool(s, 12, r->qmpfs) |
		       bind_str(s, 13, r->qmsecmethods,
				sizeof(r->qmsecmethods));
	return b | bind_str(s, 3, r->name, sizeof(r->name)) |
	       bind_int(s, 6, flid) | bind_int(s, 7, faid) |
	       bind_str(s, 8, r->tunnel, sizeof(r->tunnel)) |
	       bind_int(s, 9, (int64_t)r->conntype) | bind_bool(s, 12, false) |
	       bind_str(s, 13, "", 1);
}

/* Replaces the rule's authentication methods, in order. */
static int
rule_auth_write(struct store *st, int64_t rowid, const struct store_rule *r)
{
	sqlite3_stmt *s = NULL;
	const struct store_auth *a;
	bool ca;
	int b;
	int rc;

	rc = run_ints(st, "DELETE FROM auth WHERE rule_id = ?1", &rowid, 1,
		      NULL);
	if (rc < 0 || r->nauth == 0)
		goto out;
	rc = prep(st, &s,
		  "INSERT INTO auth (rule_id, position, kind, value, certmap,"
		  " excludecaname) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < r->nauth; i++) {
		a = &r->auth[i];
		ca = a->kind == STORE_AUTH_ROOTCA;
		sqlite3_reset(s);
		b = bind_int(s, 1, rowid) | bind_int(s, 2, (int64_t)i + 1) |
		    bind_int(s, 3, (int64_t)a->kind) |
		    bind_str(s, 4, a->value, sizeof(a->value)) |
		    bind_bool(s, 5, ca && a->certmap) |
		    bind_bool(s, 6, ca && a->excludecaname);
		if (b != SQLITE_OK) {
			rc = bind_fail(st);
			goto out;
		}
		rc = step_done(st, s);
		if (rc < 0)
			goto out;
	}
out:
	/* The PSK was bound SQLITE_STATIC: drop the reference. */
	if (s != NULL)
		sqlite3_clear_bindings(s);
	sqlite3_finalize(s);
	return rc;
}

static int
check_nauth(struct store *st, const struct store_rule *r)
{
	if (r->nauth > STORE_AUTH_MAX)
		return set_err(st, STORE_EINVAL,
			       "a rule takes at most %d authentication "
			       "methods.",
			       STORE_AUTH_MAX);
	return 0;
}

int
store_rule_add(struct store *st, struct store_rule *r)
{
	sqlite3_stmt *s = NULL;
	char guid[STORE_GUID_LEN];
	int64_t t = now();
	int64_t pid = 0, flid = 0, faid = 0, no = 0, rowid;
	bool outer = false;
	int b;
	int rc;

	clear_err(st);
	rc = check_name(st, "rule", r->name);
	if (rc == 0)
		rc = check_nauth(st, r);
	if (rc == 0 && r->is_default)
		rc = set_err(st, STORE_EINVAL, "the default response rule "
			     "comes with its policy and cannot be added.");
	if (rc < 0)
		return rc;
	rc = tx_open(st, &tx_call, &outer);
	if (rc < 0)
		return rc;
	rc = need_obj(st, K_POLICY, r->policy, &pid);
	if (rc < 0)
		goto out;
	rc = rule_name_free(st, pid, r->policy, r->name, 0);
	if (rc < 0)
		goto out;
	rc = rule_refs(st, r, &flid, &faid);
	if (rc < 0)
		goto out;
	/* Ids are never reused while the policy exists. */
	rc = run_ints(st, "SELECT next_rule_id FROM policy WHERE id = ?1",
		      &pid, 1, &no);
	if (rc == 0)
		rc = set_err(st, STORE_EIO, "policy \"%s\" vanished.",
			     r->policy);
	if (rc < 0)
		goto out;
	if (no < 1 || no >= INT32_MAX) {
		rc = set_err(st, STORE_EIO,
			     "policy \"%s\" has no rule ids left.", r->policy);
		goto out;
	}
	rc = run_ints(st,
		      "UPDATE policy SET next_rule_id = next_rule_id + 1"
		      " WHERE id = ?1",
		      &pid, 1, NULL);
	if (rc < 0)
		goto out;
	rc = new_guid(st, guid);
	if (rc < 0)
		goto out;
	rc = prep(st, &s,
		  "INSERT INTO rule (policy_id, rule_no, name, guid,"
		  " description, filterlist_id, filteraction_id, tunnel,"
		  " conntype, activate, is_default, qmpfs, qmsecmethods,"
		  " modified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		  " 0, ?12, ?13, ?14)");
	if (rc < 0)
		goto out;
	b = bind_int(s, 1, pid) | bind_int(s, 2, no) |
	    bind_str(s, 4, guid, sizeof(guid)) |
	    bind_rule(s, r, false, flid, faid, t);
	if (b != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = step_done(st, s);
	if (rc < 0)
		goto out;
	rowid = sqlite3_last_insert_rowid(st->db);
	rc = rule_auth_write(st, rowid, r);
out:
	sqlite3_finalize(s);
	rc = tx_close(st, &tx_call, outer, rc);
	if (rc == 0) {
		r->id = (int)no;
		memcpy(r->guid, guid, sizeof(r->guid));
		r->modified = t;
	}
	return rc;
}

int
store_rule_update(struct store *st, const struct store_rule *r)
{
	sqlite3_stmt *s = NULL;
	int64_t t = now();
	int64_t pid = 0, flid = 0, faid = 0, rowid = 0;
	bool is_default = r->id == 0;
	bool outer = false;
	int b;
	int rc;

	clear_err(st);
	rc = is_default ? 0 : check_name(st, "rule", r->name);
	if (rc == 0)
		rc = check_nauth(st, r);
	if (rc < 0)
		return rc;
	rc = tx_open(st, &tx_call, &outer);
	if (rc < 0)
		return rc;
	rc = need_obj(st, K_POLICY, r->policy, &pid);
	if (rc < 0)
		goto out;
	rc = find_rule(st, pid, r->id, &rowid);
	if (rc == 0)
		rc = set_err(st, STORE_ENOENT,
			     "rule %d does not exist in policy \"%s\".", r->id,
			     r->policy);
	if (rc < 0)
		goto out;
	if (!is_default) {
		rc = rule_name_free(st, pid, r->policy, r->name, rowid);
		if (rc == 0)
			rc = rule_refs(st, r, &flid, &faid);
		if (rc < 0)
			goto out;
	}
	rc = prep(st, &s,
		  "UPDATE rule SET name = ?3, description = ?5,"
		  " filterlist_id = ?6, filteraction_id = ?7, tunnel = ?8,"
		  " conntype = ?9, activate = ?10, qmpfs = ?12,"
		  " qmsecmethods = ?13, modified = ?14 WHERE id = ?15");
	if (rc < 0)
		goto out;
	b = bind_rule(s, r, is_default, flid, faid, t) | bind_int(s, 15, rowid);
	if (b != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = step_done(st, s);
	if (rc < 0)
		goto out;
	rc = rule_auth_write(st, rowid, r);
	if (rc < 0 || !is_default)
		goto out;
	/* The policy's activatedefaultrule is the default rule's activate. */
	rc = run_ints(st,
		      "UPDATE policy SET activatedefaultrule = ?2,"
		      " modified = ?3"
		      " WHERE id = ?1 AND activatedefaultrule <> ?2",
		      (const int64_t[]){ pid, r->activate, t }, 3, NULL);
out:
	sqlite3_finalize(s);
	return tx_close(st, &tx_call, outer, rc);
}

int
store_rule_delete(struct store *st, const char *policy, int id)
{
	int64_t pid = 0, rowid = 0;
	bool outer = false;
	int rc;

	clear_err(st);
	rc = tx_open(st, &tx_call, &outer);
	if (rc < 0)
		return rc;
	rc = need_obj(st, K_POLICY, policy, &pid);
	if (rc < 0)
		goto out;
	if (id == 0) {
		rc = set_err(st, STORE_EINVAL,
			     "the default response rule of policy \"%s\" "
			     "cannot be deleted.",
			     policy);
		goto out;
	}
	rc = find_rule(st, pid, id, &rowid);
	if (rc == 0)
		rc = set_err(st, STORE_ENOENT,
			     "rule %d does not exist in policy \"%s\".", id,
			     policy);
	if (rc < 0)
		goto out;
	rc = run_ints(st, "DELETE FROM rule WHERE id = ?1", &rowid, 1, NULL);
out:
	return tx_close(st, &tx_call, outer, rc);
}

int
store_rule_list(struct store *st, const char *policy, struct store_rule **out,
		size_t *n)
{
	sqlite3_stmt *s = NULL;
	int64_t pid = 0;
	bool outer = false;
	int rc;

	clear_err(st);
	*out = NULL;
	*n = 0;
	rc = read_begin(st, &outer);
	if (rc < 0)
		return rc;
	rc = need_obj(st, K_POLICY, policy, &pid);
	if (rc < 0)
		goto out;
	/* The default rule is number 0, so it comes first. */
	rc = prep(st, &s, RULE_SELECT " WHERE r.policy_id = ?1"
				      " ORDER BY r.rule_no");
	if (rc < 0)
		goto out;
	if (bind_int(s, 1, pid) != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = list_rows(st, s, rule_row, sizeof(**out), (void **)out, n);
out:
	sqlite3_finalize(s);
	read_end(st, outer);
	return rc;
}

int
store_rule_list_using(struct store *st, const char *filterlist,
		      const char *filteraction, struct store_rule **out,
		      size_t *n)
{
	sqlite3_stmt *s = NULL;
	bool outer = false;
	int b;
	int rc;

	clear_err(st);
	*out = NULL;
	*n = 0;
	rc = read_begin(st, &outer);
	if (rc < 0)
		return rc;
	rc = prep(st, &s,
		  RULE_SELECT " WHERE p.location = ?1"
			      " AND ((?2 IS NULL AND ?3 IS NULL)"
			      " OR (?2 IS NOT NULL AND fl.name = ?2)"
			      " OR (?3 IS NOT NULL AND fa.name = ?3))"
			      " ORDER BY p.name COLLATE NOCASE, p.name,"
			      " r.rule_no");
	if (rc < 0)
		goto out;
	b = bind_int(s, 1, st->loc);
	if (filterlist != NULL)
		b |= bind_str(s, 2, filterlist, STORE_NAME_MAX);
	if (filteraction != NULL)
		b |= bind_str(s, 3, filteraction, STORE_NAME_MAX);
	if (b != SQLITE_OK) {
		rc = bind_fail(st);
		goto out;
	}
	rc = list_rows(st, s, rule_row, sizeof(**out), (void **)out, n);
out:
	sqlite3_finalize(s);
	read_end(st, outer);
	return rc;
}

/* ---- everything ------------------------------------------------------- */

int
store_delete_all(struct store *st)
{
	int64_t loc = st->loc;
	bool outer = false;
	int rc;

	clear_err(st);
	rc = tx_open(st, &tx_call, &outer);
	if (rc < 0)
		return rc;
	/* Policies first: their rules are what keeps lists and actions. */
	rc = run_ints(st, "DELETE FROM policy WHERE location = ?1", &loc, 1,
		      NULL);
	if (rc == 0)
		rc = run_ints(st,
			      "DELETE FROM filteraction WHERE location = ?1",
			      &loc, 1, NULL);
	if (rc == 0)
		rc = run_ints(st, "DELETE FROM filterlist WHERE location = ?1",
			      &loc, 1, NULL);
	return tx_close(st, &tx_call, outer, rc);
}
