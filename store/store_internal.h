/*
 * store_internal.h - private to store/: schema migrations, and the hooks
 * the unit tests use to reach behind the public API.  Nothing outside
 * store/ and tests/unit/test_store.c includes this header.
 */
#ifndef IPSECSH_STORE_INTERNAL_H
#define IPSECSH_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

/*
 * Brings the schema of db forward to version target (1 ..
 * STORE_SCHEMA_VERSION), one migration per transaction, re-reading
 * PRAGMA user_version inside each transaction so that two processes
 * opening a new store at once do not both migrate it.  Returns 0, or a
 * negative enum store_err with a message in err: STORE_ENEWER when the
 * database is newer than this program, STORE_EBUSY, STORE_EIO.  Used by
 * store_open with STORE_SCHEMA_VERSION, and by the tests to build a store
 * of an older version.
 */
int store_migrate_to(sqlite3 *db, int target, char *err, size_t errlen);

/* PRAGMA user_version of db into *out; returns an SQLite result code. */
int schema_user_version(sqlite3 *db, int *out);

/* store_open, also returning its enum store_err in *code (0 on success). */
struct store *store_open_ex(const char *path, int *code, char *errbuf,
			    size_t errlen);

/* The connection of a store, for tests that inspect pragmas or rows. */
sqlite3 *store_sqlite(struct store *st);

/* Tests: every "modified" stamp becomes t; 0 restores the real clock. */
void store_test_set_time(int64_t t);

#endif
