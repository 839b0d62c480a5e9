/*
 * cmd.h - commands are data.
 *
 * Each context is a static table of commands; each command declares its
 * parameters (tag, type, flags, default, range, help).  The same tables
 * drive dispatch, argument binding and checking, "COMMAND ?" usage
 * blocks, context help listings, Tab completion and the generated
 * command reference (docs/commands.md).
 */
#ifndef IPSECSH_CMD_H
#define IPSECSH_CMD_H

#include <stdbool.h>
#include <stddef.h>

struct shell;

enum param_type {
	PT_STRING,	/* free text: descriptions */
	PT_NAME,	/* object name (vocab_name_check); see obj */
	PT_SECRET,	/* pre-shared key: free text, never echoed */
	PT_INT,		/* integer in [min, max] */
	PT_BOOL,	/* yes | no */
	PT_ENUM,	/* one of choices[] */
	PT_ADDR,	/* vocab_addr_parse */
	PT_MASK,	/* mask or prefix; canonicalised against its address */
	PT_PORT,	/* 0-65535 */
	PT_PROTOCOL,	/* ANY ICMP TCP UDP RAW 0-255 */
	PT_MMSEC,	/* main mode security methods list */
	PT_QMSEC,	/* quick mode security methods list */
	PT_QMOFFER,	/* exactly one quick mode offer */
	PT_PFSGROUP,	/* GRP1 ... NOPFS */
	PT_ROOTCA,	/* "<CA> certmap:.. excludecaname:.." */
	PT_GUID,	/* {8-4-4-4-12} */
	PT_FILE,	/* a file path */
	PT_KEYWORD,	/* bare word, e.g. "all": given or not */
	PT_WORDS,	/* the rest of the line, verbatim (alias) */
};

/* Object kinds, for Tab completion of names from the store. */
enum obj_kind {
	OBJ_NONE = 0,
	OBJ_POLICY,
	OBJ_FILTERLIST,
	OBJ_FILTERACTION,
	OBJ_RULE,
	OBJ_CONTEXT,	/* a context path (pushd) */
};

enum param_flag {
	P_REQ = 1 << 0,	  /* required (in an alt group: one of the group) */
	P_POS = 1 << 1,	  /* may be given without its tag, in table order */
	P_MULTI = 1 << 2, /* may be given more than once (rootca) */
};

struct param {
	const char *tag;
	enum param_type type;
	unsigned flags;
	/* Parameters with the same nonzero alt exclude each other:
	 * "[name=]<string> | [guid=]<guid> | [all]". */
	int alt;
	const char *const *choices; /* PT_ENUM, NULL-terminated */
	long min, max;		    /* PT_INT */
	const char *def;	    /* default as text, NULL for none */
	enum obj_kind obj;	    /* PT_NAME: what it names */
	const char *help;	    /* one line for the Tag/Value table */
};

enum cmd_status {
	CMD_OK = 0,
	CMD_ERROR = 1,
	CMD_EXIT = 2, /* leave the shell (exit, quit, bye) */
};

/* One bound parameter, as the handler sees it. */
struct arg {
	bool given;	   /* present on the command line */
	const char *text;  /* canonical text of the value or default; NULL */
	long num;	   /* PT_INT, PT_PORT, PT_PROTOCOL, PT_PFSGROUP;
			      PT_BOOL 0/1; PT_ENUM index; PT_KEYWORD 0/1 */
	size_t count;	   /* P_MULTI: values given */
	const char **texts; /* P_MULTI: canonical values, in order */
	/* Word index of the value on the line (P_MULTI: of each value), so
	 * handlers can honour the order of different tags (auth methods). */
	size_t order;
	size_t *orders;
};

struct command;

struct args {
	const struct command *cmd;
	const struct context *ctx; /* where the command was found */
	size_t n;
	struct arg *v; /* one per parameter of cmd, same order */
};

typedef enum cmd_status (*cmd_fn)(struct shell *sh, const struct args *a);

enum cmd_flag {
	CMD_WRITES = 1 << 0,  /* changes the store: one atomic command */
	CMD_STORE = 1 << 1,   /* needs the store open */
	CMD_SERVICE = 1 << 2, /* runs in the service (dynamic context) */
	CMD_HIDDEN = 1 << 3,  /* works, not listed */
	CMD_CHANGES = 1 << 4, /* changes live state: root or the admin group */
};

struct command {
	const char *name;	/* words separated by one blank: "add policy" */
	const char *help;	/* one-line purpose */
	cmd_fn fn;
	const struct param *params; /* terminated by an entry with tag NULL */
	const char *remarks;	/* "\n"-separated remarks, or NULL */
	const char *example;	/* "\n"-separated examples, or NULL */
	unsigned flags;
};

struct context {
	const char *name;	 /* "static" */
	const char *path;	 /* "ipsec static" ("" for root) */
	const char *help;	 /* line in the parent's listing */
	const struct context *parent;
	const struct command *commands; /* terminated by name NULL */
	const struct context *const *children; /* NULL-terminated or NULL */
	/* Contexts reachable by name from here although not children
	 * ("static" and "dynamic" from root); NULL-terminated or NULL. */
	const struct context *const *shortcuts;
};

/* The context tree. */
extern const struct context ctx_root;
extern const struct context ctx_ipsec;
extern const struct context ctx_static;
extern const struct context ctx_dynamic;
extern const struct context ctx_service;
/* Commands valid in every context (.., ?, help, exit, pushd, ...). */
extern const struct command global_commands[];
/* Tables, for the reference generator and the coverage test. */
extern const struct command static_commands[];
extern const struct command dynamic_commands[];
extern const struct command service_commands[];

/* Lookup helpers for handlers: the arg of a tag (asserts it exists). */
const struct arg *arg_get(const struct args *a, const char *tag);
/* The arg of a tag, or NULL if the command has no such parameter. */
const struct arg *arg_find(const struct args *a, const char *tag);
bool arg_given(const struct args *a, const char *tag);
const char *arg_text(const struct args *a, const char *tag);
long arg_num(const struct args *a, const char *tag);

#endif
