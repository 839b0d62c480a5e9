/*
 * schema.c - the store's schema and its forward migrations.
 *
 * PRAGMA user_version is the schema version; migrations[i] brings a
 * database from version i to version i + 1 and sets user_version itself,
 * inside the same transaction, so a migration is applied completely or
 * not at all.  History is append-only: never edit a migration that has
 * shipped, add the next one and raise STORE_SCHEMA_VERSION in store.h.
 * A migration that must rebuild a table (SQLite's 12-step ALTER) needs
 * foreign_keys off around its transaction; none does so far.
 *
 *   1  object tables: filterlist, filter, filteraction, policy, rule, auth
 *   2  change counter: meta('changes') and triggers on every object table
 */
#include <stdio.h>

#include <sqlite3.h>

#include "store.h"
#include "store_internal.h"

/*
 * Version 1: the objects.  Top-level objects carry their location and are
 * unique per (location, name) case-insensitively (NOCASE: ASCII folding).
 * Rules and filters hang off their policy / filter list and go with it.
 * A rule refers to its filter list and filter action by row id (so renames
 * keep references) and RESTRICT keeps a referenced one from being deleted;
 * the store checks this first to give a message naming the rule.
 * rule.rule_no is the user-visible rule id: 0 for the default response
 * rule, then 1, 2, ... from policy.next_rule_id, never reused.
 * CHECK constraints are a second line behind the shell's validation.
 */
static const char schema_v1[] =
	"CREATE TABLE filterlist (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	location INTEGER NOT NULL\n"
	"		CONSTRAINT location CHECK (location IN (0, 1)),\n"
	"	name TEXT NOT NULL COLLATE NOCASE,\n"
	"	guid TEXT NOT NULL COLLATE NOCASE,\n"
	"	description TEXT NOT NULL DEFAULT '',\n"
	"	modified INTEGER NOT NULL,\n"
	"	UNIQUE (location, name),\n"
	"	UNIQUE (location, guid)\n"
	");\n"
	"CREATE TABLE filter (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	filterlist_id INTEGER NOT NULL\n"
	"		REFERENCES filterlist (id) ON DELETE CASCADE,\n"
	"	position INTEGER NOT NULL,\n"
	"	srcaddr TEXT NOT NULL,\n"
	"	dstaddr TEXT NOT NULL,\n"
	"	description TEXT NOT NULL DEFAULT '',\n"
	"	protocol INTEGER NOT NULL\n"
	"		CONSTRAINT protocol\n"
	"		CHECK (protocol BETWEEN 0 AND 255),\n"
	"	mirrored INTEGER NOT NULL,\n"
	"	srcmask TEXT NOT NULL,\n"
	"	dstmask TEXT NOT NULL,\n"
	"	srcport INTEGER NOT NULL\n"
	"		CONSTRAINT srcport\n"
	"		CHECK (srcport BETWEEN 0 AND 65535),\n"
	"	dstport INTEGER NOT NULL\n"
	"		CONSTRAINT dstport\n"
	"		CHECK (dstport BETWEEN 0 AND 65535),\n"
	"	UNIQUE (filterlist_id, position)\n"
	");\n"
	"CREATE TABLE filteraction (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	location INTEGER NOT NULL\n"
	"		CONSTRAINT location CHECK (location IN (0, 1)),\n"
	"	name TEXT NOT NULL COLLATE NOCASE,\n"
	"	guid TEXT NOT NULL COLLATE NOCASE,\n"
	"	description TEXT NOT NULL DEFAULT '',\n"
	"	qmpfs INTEGER NOT NULL,\n"
	"	inpass INTEGER NOT NULL,\n"
	"	soft INTEGER NOT NULL,\n"
	"	action INTEGER NOT NULL\n"
	"		CONSTRAINT action CHECK (action IN (0, 1, 2)),\n"
	"	qmsecmethods TEXT NOT NULL DEFAULT '',\n"
	"	modified INTEGER NOT NULL,\n"
	"	UNIQUE (location, name),\n"
	"	UNIQUE (location, guid)\n"
	");\n"
	"CREATE TABLE policy (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	location INTEGER NOT NULL\n"
	"		CONSTRAINT location CHECK (location IN (0, 1)),\n"
	"	name TEXT NOT NULL COLLATE NOCASE,\n"
	"	guid TEXT NOT NULL COLLATE NOCASE,\n"
	"	description TEXT NOT NULL DEFAULT '',\n"
	"	mmpfs INTEGER NOT NULL,\n"
	"	qmpermm INTEGER NOT NULL,\n"
	"	mmlifetime INTEGER NOT NULL,\n"
	"	activatedefaultrule INTEGER NOT NULL,\n"
	"	pollinginterval INTEGER NOT NULL,\n"
	"	assigned INTEGER NOT NULL DEFAULT 0,\n"
	"	mmsecmethods TEXT NOT NULL DEFAULT '',\n"
	"	modified INTEGER NOT NULL,\n"
	"	next_rule_id INTEGER NOT NULL DEFAULT 1,\n"
	"	UNIQUE (location, name),\n"
	"	UNIQUE (location, guid)\n"
	");\n"
	/* At most one assigned policy per location, whatever the code does. */
	"CREATE UNIQUE INDEX policy_assigned ON policy (location)\n"
	"	WHERE assigned <> 0;\n"
	"CREATE TABLE rule (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	policy_id INTEGER NOT NULL\n"
	"		REFERENCES policy (id) ON DELETE CASCADE,\n"
	"	rule_no INTEGER NOT NULL,\n"
	"	name TEXT NOT NULL COLLATE NOCASE,\n"
	"	guid TEXT NOT NULL COLLATE NOCASE,\n"
	"	description TEXT NOT NULL DEFAULT '',\n"
	"	filterlist_id INTEGER\n"
	"		REFERENCES filterlist (id) ON DELETE RESTRICT,\n"
	"	filteraction_id INTEGER\n"
	"		REFERENCES filteraction (id) ON DELETE RESTRICT,\n"
	"	tunnel TEXT NOT NULL DEFAULT '',\n"
	"	conntype INTEGER NOT NULL\n"
	"		CONSTRAINT conntype CHECK (conntype IN (0, 1, 2)),\n"
	"	activate INTEGER NOT NULL,\n"
	"	is_default INTEGER NOT NULL,\n"
	"	qmpfs INTEGER NOT NULL DEFAULT 0,\n"
	"	qmsecmethods TEXT NOT NULL DEFAULT '',\n"
	"	modified INTEGER NOT NULL,\n"
	"	UNIQUE (policy_id, rule_no),\n"
	"	UNIQUE (policy_id, name),\n"
	"	CONSTRAINT default_rule\n"
	"		CHECK ((is_default <> 0) = (rule_no = 0)),\n"
	"	CONSTRAINT rule_refs CHECK (is_default <> 0 OR\n"
	"		(filterlist_id IS NOT NULL AND\n"
	"		 filteraction_id IS NOT NULL))\n"
	");\n"
	/* Parent deletes check RESTRICT through these instead of a scan. */
	"CREATE INDEX rule_filterlist ON rule (filterlist_id);\n"
	"CREATE INDEX rule_filteraction ON rule (filteraction_id);\n"
	"CREATE TABLE auth (\n"
	"	rule_id INTEGER NOT NULL\n"
	"		REFERENCES rule (id) ON DELETE CASCADE,\n"
	"	position INTEGER NOT NULL,\n"
	"	kind INTEGER NOT NULL\n"
	"		CONSTRAINT auth_kind CHECK (kind IN (0, 1)),\n"
	"	value TEXT NOT NULL,\n"
	"	certmap INTEGER NOT NULL DEFAULT 0,\n"
	"	excludecaname INTEGER NOT NULL DEFAULT 0,\n"
	"	PRIMARY KEY (rule_id, position)\n"
	");\n"
	"PRAGMA user_version = 1;\n";

/*
 * Version 2: the change counter.  Every row written to an object table
 * bumps meta('changes') in the same transaction, so the counter moves
 * exactly when object changes commit, and rolls back with them.  The
 * service polls it (one indexed read) to notice edits by other processes.
 */
#define COUNT_EVENT(table, event)                                          \
	"CREATE TRIGGER " table "_" event "_count AFTER " event " ON " table \
	" BEGIN UPDATE meta SET value = value + 1"                          \
	" WHERE key = 'changes'; END;\n"
#define COUNT_TABLE(table)                                                 \
	COUNT_EVENT(table, "insert")                                       \
	COUNT_EVENT(table, "update") COUNT_EVENT(table, "delete")

static const char schema_v2[] =
	"CREATE TABLE meta (\n"
	"	key TEXT PRIMARY KEY,\n"
	"	value INTEGER NOT NULL\n"
	");\n"
	"INSERT INTO meta (key, value) VALUES ('changes', 0);\n"
	COUNT_TABLE("filterlist")
	COUNT_TABLE("filter")
	COUNT_TABLE("filteraction")
	COUNT_TABLE("policy")
	COUNT_TABLE("rule")
	COUNT_TABLE("auth")
	"PRAGMA user_version = 2;\n";

/* migrations[i] takes version i to version i + 1. */
static const char *const migrations[] = {
	schema_v1,
	schema_v2,
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
		       STORE_SCHEMA_VERSION,
	       "one migration per schema version");

int
schema_user_version(sqlite3 *db, int *out)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
	if (rc != SQLITE_OK)
		goto out;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int(s, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_ERROR;
	}
out:
	sqlite3_finalize(s);
	return rc;
}

static int
sql_to_store_err(int sqlrc)
{
	switch (sqlrc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return STORE_EBUSY;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return STORE_EPERM;
	default:
		return STORE_EIO;
	}
}

/*
 * One transaction: reads the version and, if it is below target, applies
 * the next migration.  *done is set when the version has reached target.
 */
static int
migrate_step(sqlite3 *db, int target, bool *done, char *err, size_t errlen)
{
	bool in_txn = false;
	int version = -1;
	int sqlrc;
	int rc = 0;

	*done = false;
	sqlrc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (sqlrc != SQLITE_OK)
		goto out;
	in_txn = true;
	sqlrc = schema_user_version(db, &version);
	if (sqlrc != SQLITE_OK)
		goto out;
	if (version > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen,
			 "the store has schema version %d, newer than the %d "
			 "this program knows; use a newer ipsecsh.",
			 version, STORE_SCHEMA_VERSION);
		rc = STORE_ENEWER;
		goto out;
	}
	if (version < 0) {
		snprintf(err, errlen,
			 "the store has an invalid schema version %d.",
			 version);
		rc = STORE_EIO;
		goto out;
	}
	if (version >= target)
		*done = true;
	else
		sqlrc = sqlite3_exec(db, migrations[version], NULL, NULL,
				     NULL);
	if (sqlrc != SQLITE_OK)
		goto out;
	/* Commits the migration, or ends the read-only transaction. */
	sqlrc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (sqlrc == SQLITE_OK)
		in_txn = false;
out:
	if (rc == 0 && sqlrc != SQLITE_OK) {
		snprintf(err, errlen,
			 "cannot migrate the store schema from version %d: %s",
			 version, sqlite3_errmsg(db));
		rc = sql_to_store_err(sqlrc);
	}
	if (in_txn && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int
store_migrate_to(sqlite3 *db, int target, char *err, size_t errlen)
{
	char dummy[1];
	bool done = false;
	int rc = 0;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (target < 1 || target > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "no schema version %d.", target);
		return STORE_EINVAL;
	}
	while (rc == 0 && !done)
		rc = migrate_step(db, target, &done, err, errlen);
	return rc;
}
