/*
 * store.h - the SQLite store of static IPsec policy.
 *
 * The store holds filter lists (with their filters), filter actions and
 * policies (with their rules and one default response rule each), in two
 * locations: local and persistent.  A handle targets one location at a
 * time (store_set_location); every object call works in that location.
 *
 * The store checks relations, not syntax: names unique per location and
 * object kind (case-insensitively), referenced objects exist, objects in
 * use are not deleted, at most one assigned policy per location.  Values
 * such as addresses and security methods arrive already canonical (see
 * vocab.h); the store keeps them as given.
 *
 * Atomicity: every write call is atomic on its own (a savepoint).  A
 * caller that makes several calls for one user command wraps them in
 * store_cmd_begin / store_cmd_end, so the command as a whole commits or
 * changes nothing.  store_batch_begin / store_batch_end hold many commands
 * in one transaction (netsh "set batch").
 *
 * Errors: calls return 0 on success or a negative enum store_err; the
 * handle keeps a one-line message naming the object, e.g.
 *   policy "Foo" does not exist.
 * which store_errmsg returns until the next call.
 *
 * Ownership: struct arguments are caller-owned; lists returned by
 * store_*_list are freed with store_list_free, which wipes secrets.
 */
#ifndef IPSECSH_STORE_H
#define IPSECSH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_NAME_MAX 256	/* names, incl. NUL */
#define STORE_DESC_MAX 1024	/* descriptions */
#define STORE_ADDR_MAX 256	/* address text: literal, range, DNS name */
#define STORE_MASK_MAX 64	/* mask text: dotted v4 mask or prefix */
#define STORE_METHODS_MAX 1024	/* canonical mm/qm security methods list */
#define STORE_AUTH_VALUE_MAX 1024 /* PSK or root CA text */
#define STORE_AUTH_MAX 16	/* authentication methods per rule */
#define STORE_GUID_LEN 39	/* "{8-4-4-4-12}" + NUL */

/* Schema version this code writes; older stores are migrated forward. */
#define STORE_SCHEMA_VERSION 2

enum store_err {
	STORE_OK = 0,
	STORE_ENOENT = -1,  /* object does not exist */
	STORE_EEXIST = -2,  /* name already used */
	STORE_EINUSE = -3,  /* referenced by another object */
	STORE_EINVAL = -4,  /* invalid request (e.g. delete default rule) */
	STORE_EIO = -5,	    /* SQLite or file system error */
	STORE_EBUSY = -6,   /* database locked beyond the busy timeout */
	STORE_EPERM = -7,   /* file mode or ownership refused */
	STORE_ENEWER = -8,  /* schema newer than this program knows */
};

enum store_location {
	STORE_LOC_LOCAL = 0,
	STORE_LOC_PERSISTENT = 1,
};

enum store_conntype {
	STORE_CONN_ALL = 0,
	STORE_CONN_LAN = 1,
	STORE_CONN_DIALUP = 2,
};

enum store_action {
	STORE_ACTION_PERMIT = 0,
	STORE_ACTION_BLOCK = 1,
	STORE_ACTION_NEGOTIATE = 2,
};

enum store_auth_kind {
	STORE_AUTH_PSK = 0,
	STORE_AUTH_ROOTCA = 1,
};

struct store;

struct store_policy {
	char name[STORE_NAME_MAX];
	char guid[STORE_GUID_LEN]; /* set by the store on add */
	char description[STORE_DESC_MAX];
	bool mmpfs;
	int qmpermm;		/* 0 = unlimited */
	int mmlifetime;		/* minutes */
	bool activatedefaultrule;
	int pollinginterval;	/* minutes */
	bool assigned;
	char mmsecmethods[STORE_METHODS_MAX];
	int64_t modified;	/* unix seconds, set by the store */
	int nrules;		/* rules incl. the default rule, read only */
};

struct store_filterlist {
	char name[STORE_NAME_MAX];
	char guid[STORE_GUID_LEN];
	char description[STORE_DESC_MAX];
	int64_t modified;
	int nfilters;		/* read only */
};

struct store_filter {
	char filterlist[STORE_NAME_MAX];
	char srcaddr[STORE_ADDR_MAX];
	char dstaddr[STORE_ADDR_MAX];
	char description[STORE_DESC_MAX];
	int protocol;		/* 0 = ANY, else IP protocol number */
	bool mirrored;
	char srcmask[STORE_MASK_MAX];
	char dstmask[STORE_MASK_MAX];
	int srcport;		/* 0 = any */
	int dstport;
};

struct store_filteraction {
	char name[STORE_NAME_MAX];
	char guid[STORE_GUID_LEN];
	char description[STORE_DESC_MAX];
	bool qmpfs;
	bool inpass;
	bool soft;
	enum store_action action;
	char qmsecmethods[STORE_METHODS_MAX];
	int64_t modified;
};

struct store_auth {
	enum store_auth_kind kind;
	char value[STORE_AUTH_VALUE_MAX]; /* PSK (secret) or CA */
	bool certmap;			  /* rootca only */
	bool excludecaname;		  /* rootca only */
};

/*
 * A rule of a policy.  The default response rule has is_default set,
 * id 0, no filter list or filter action, and its own qmpfs and
 * qmsecmethods (its action is always negotiate).  Other rules have ids
 * 1, 2, ... in order of creation within their policy.
 *
 * The default response rule's name is "" in the store: callers display it
 * as "Default Response Rule" and reach it with store_rule_get_default or
 * id 0, never by name.  store_policy_add creates it with activate =
 * activatedefaultrule, qmpfs = false, qmsecmethods = VOCAB_QMSEC_DEFAULT
 * and no authentication methods.  Its activate and the policy's
 * activatedefaultrule are one setting: updating either updates the other.
 * For other rules qmpfs and qmsecmethods are not kept (read back as
 * false and "").
 */
struct store_rule {
	char policy[STORE_NAME_MAX];
	char name[STORE_NAME_MAX];
	int id;
	char guid[STORE_GUID_LEN];
	char description[STORE_DESC_MAX];
	char filterlist[STORE_NAME_MAX];
	char filteraction[STORE_NAME_MAX];
	char tunnel[STORE_ADDR_MAX];	/* "" = transport mode */
	enum store_conntype conntype;
	bool activate;
	bool is_default;
	bool qmpfs;			/* default rule only */
	char qmsecmethods[STORE_METHODS_MAX]; /* default rule only */
	size_t nauth;
	struct store_auth auth[STORE_AUTH_MAX]; /* in preference order */
	int64_t modified;
};

/*
 * Default store path for this user (DESIGN.md): /var/lib/ipsecsh/policy.db
 * for root, else $XDG_DATA_HOME/ipsecsh/policy.db (if absolute) or
 * ~/.local/share/ipsecsh/policy.db.  NULL if there is no home.  Caller
 * frees.  store_open creates the missing directories of this path (and
 * of no other) with mode 0700.
 */
char *store_default_path(void);

/*
 * Opens (creating with mode 0600 if absent) the store at path, migrating
 * its schema forward.  Refuses a file readable or writable by group or
 * others, or owned by another user than us or root (STORE_EPERM), and a
 * schema newer than STORE_SCHEMA_VERSION (STORE_ENEWER).  On failure
 * returns NULL and, if errbuf is given, a message.
 */
struct store *store_open(const char *path, char *errbuf, size_t errlen);
/* Closes; a batch not ended is rolled back.  NULL is accepted. */
void store_close(struct store *st);
const char *store_path(const struct store *st);
const char *store_errmsg(const struct store *st);
/* PRAGMA user_version, or a negative enum store_err. */
int store_schema_version(struct store *st);
/*
 * Increases on every committed change of objects; cheap to poll.  Other
 * connections see committed changes only; this handle also sees its own
 * pending batch.  Negative enum store_err on error.
 */
int64_t store_change_counter(struct store *st);

void store_set_location(struct store *st, enum store_location loc);
enum store_location store_get_location(const struct store *st);
const char *store_location_name(enum store_location loc);

/*
 * One user command: commit all of it, or on failure roll all of it back.
 * Commands nest (a savepoint each).  store_cmd_end(st, false) returns 0
 * and keeps the message of the call that failed.
 */
int store_cmd_begin(struct store *st);
int store_cmd_end(struct store *st, bool ok);

/*
 * netsh batch mode: one transaction around many commands (it holds the
 * write lock until it ends).  Beginning while on, or ending while off,
 * does nothing; neither may happen inside a command (STORE_EINVAL).  A
 * failed command inside the batch rolls back only itself.
 */
int store_batch_begin(struct store *st);
int store_batch_end(struct store *st, bool commit);
bool store_in_batch(const struct store *st);

/* Policies.  Adding a policy also creates its default response rule. */
int store_policy_add(struct store *st, const struct store_policy *p);
int store_policy_get(struct store *st, const char *name,
		     struct store_policy *out);
int store_policy_get_by_guid(struct store *st, const char *guid,
			     struct store_policy *out);
/* Replaces every field of the policy named old_name (rename allowed). */
int store_policy_update(struct store *st, const char *old_name,
			const struct store_policy *p);
/* assign=true unassigns any other policy of the location. */
int store_policy_assign(struct store *st, const char *name, bool assign);
int store_policy_delete(struct store *st, const char *name);
int store_policy_list(struct store *st, struct store_policy **out,
		      size_t *n);
/* The assigned policy of the location, or STORE_ENOENT. */
int store_policy_assigned(struct store *st, struct store_policy *out);

/* Filter lists. */
int store_filterlist_add(struct store *st, const struct store_filterlist *f);
int store_filterlist_get(struct store *st, const char *name,
			 struct store_filterlist *out);
int store_filterlist_get_by_guid(struct store *st, const char *guid,
				 struct store_filterlist *out);
int store_filterlist_update(struct store *st, const char *old_name,
			    const struct store_filterlist *f);
int store_filterlist_delete(struct store *st, const char *name);
int store_filterlist_list(struct store *st, struct store_filterlist **out,
			  size_t *n);

/*
 * Filters, kept in order of addition within their list.  Adding to a list
 * that does not exist creates the list.  Deleting removes every filter
 * whose fields equal the given ones; match_* flags say which optional
 * fields take part in the comparison (srcaddr and dstaddr always do,
 * description never; m NULL: no optional field).  *ndeleted may be NULL.
 * No match is STORE_ENOENT.
 */
int store_filter_add(struct store *st, const struct store_filter *f);
struct store_filter_match {
	bool protocol, mirrored, srcmask, dstmask, srcport, dstport;
};
int store_filter_delete(struct store *st, const struct store_filter *f,
			const struct store_filter_match *m, int *ndeleted);
int store_filter_list(struct store *st, const char *filterlist,
		      struct store_filter **out, size_t *n);

/* Filter actions. */
int store_filteraction_add(struct store *st,
			   const struct store_filteraction *a);
int store_filteraction_get(struct store *st, const char *name,
			   struct store_filteraction *out);
int store_filteraction_get_by_guid(struct store *st, const char *guid,
				   struct store_filteraction *out);
int store_filteraction_update(struct store *st, const char *old_name,
			      const struct store_filteraction *a);
int store_filteraction_delete(struct store *st, const char *name);
int store_filteraction_list(struct store *st,
			    struct store_filteraction **out, size_t *n);

/*
 * Rules.  add assigns the next id of the policy and writes it back to
 * r->id (and the new GUID and modified to r->guid, r->modified); a rule
 * needs an existing filter list and filter action.  get by name, by id,
 * or the default rule (store_rule_get_default).  update replaces every
 * field of the rule (id and policy fixed; rename via r->name); for the
 * default rule (id 0) only description, activate, qmpfs, qmsecmethods and
 * auth are taken.  delete refuses the default rule.
 */
int store_rule_add(struct store *st, struct store_rule *r);
int store_rule_get(struct store *st, const char *policy, const char *name,
		   struct store_rule *out);
int store_rule_get_by_id(struct store *st, const char *policy, int id,
			 struct store_rule *out);
int store_rule_get_default(struct store *st, const char *policy,
			   struct store_rule *out);
int store_rule_update(struct store *st, const struct store_rule *r);
int store_rule_delete(struct store *st, const char *policy, int id);
/* Every rule of the policy, default rule first, then by id. */
int store_rule_list(struct store *st, const char *policy,
		    struct store_rule **out, size_t *n);
/*
 * Rules of the location that use the filter list or the filter action
 * (either may be NULL; both NULL gives every rule of the location,
 * default rules included), by policy name then id.
 */
int store_rule_list_using(struct store *st, const char *filterlist,
			  const char *filteraction, struct store_rule **out,
			  size_t *n);

/* Removes every object of the current location. */
int store_delete_all(struct store *st);

/*
 * Frees a list returned by a store_*_list call; wipes secrets.  An empty
 * list is returned as NULL with n = 0; NULL is accepted here.
 */
void store_list_free(void *list, size_t n, size_t elem_size);
/* Wipes a rule's secrets (PSKs) in place. */
void store_rule_wipe(struct store_rule *r);

#endif
