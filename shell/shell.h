/*
 * shell.h - one shell session: where it is in the context tree, its
 * aliases and context stack, the store it edits, and where its output
 * and error lines go.  The session runs lines the same way in every
 * mode (interactive, script, one-shot): shell_run_line.
 */
#ifndef IPSECSH_SHELL_H
#define IPSECSH_SHELL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "cmd.h"
#include "store.h"

#define SHELL_STACK_MAX 32
#define SHELL_EXEC_DEPTH_MAX 8

struct live;
struct service;
struct agent;

struct alias {
	char *name;
	char *words;
};

struct shell {
	const struct context *cur;
	const struct context *stack[SHELL_STACK_MAX];
	size_t depth;

	struct alias *aliases;
	size_t naliases;

	char *store_path;	/* NULL: store_default_path() */
	struct store *store;	/* opened on first use */
	enum store_location location;
	char *socket_path;	/* control socket of the service */
	/* Inside the service: its live state, which dynamic commands act
	 * on.  NULL in the shell, which forwards them to the service. */
	struct live *live;
	struct service *service;
	struct agent *agent;

	FILE *out;
	FILE *err;

	/* Where the current line came from, for "FILE:LINE: message". */
	const char *src_name;
	long src_line;
	int exec_depth;

	bool interactive;
	bool stop_on_error;
	bool exiting;		/* exit, quit or bye was run */
	unsigned long failures;	/* script lines that failed, all files */
	bool error_reported;	/* the current line printed an error */
};

void shell_init(struct shell *sh);
/* Commits a pending batch, closes the store, frees everything. */
int shell_finish(struct shell *sh);

/* Runs one line; returns CMD_OK, CMD_ERROR or CMD_EXIT. */
enum cmd_status shell_run_line(struct shell *sh, const char *line);
struct resolved;
struct tokens;
/* Runs the command r found in tk: usage on "?", binding, then the
 * handler (in a store transaction, or forwarded to the service). */
enum cmd_status shell_run_command(struct shell *sh, const struct resolved *r,
				  const struct tokens *tk);

/*
 * Runs every line of f (named name in messages).  Each failing line
 * prints "name:LINE: message"; the run goes on unless stop_on_error.
 * Returns CMD_ERROR if any line failed, CMD_EXIT if a line exited.
 */
enum cmd_status shell_run_file(struct shell *sh, FILE *f, const char *name);

/* The store, opened on first use; NULL after printing an error. */
struct store *shell_store(struct shell *sh);
/* The same, printing nothing (Tab completion). */
struct store *shell_store_quiet(struct shell *sh);
/* The store's last error as "ERR: ..." on the error stream. */
enum cmd_status shell_store_error(struct shell *sh);

/*
 * Error line, prefixed "FILE:LINE: " when the line came from a script.
 * shell_err adds the newline.
 */
void shell_err(struct shell *sh, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void shell_verr(struct shell *sh, const char *fmt, va_list ap);
/* Warning line: printed, does not fail the command. */
void shell_warn(struct shell *sh, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The prompt of the current context: "ipsecsh ipsec static> ". */
void shell_prompt(const struct shell *sh, char *buf, size_t len);

/*
 * Resolves context path words (e.g. "ipsec static", "..") from the
 * current context; NULL after printing an error.
 */
const struct context *shell_find_context(struct shell *sh, char **words,
					 size_t n);

/* Aliases. */
const struct alias *shell_alias_find(const struct shell *sh,
				     const char *name);
int shell_alias_set(struct shell *sh, const char *name, const char *words);
int shell_alias_remove(struct shell *sh, const char *name);

#endif
