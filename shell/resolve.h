/*
 * resolve.h - finds what a line's leading words name: a command, a
 * context to move to, or a command group still missing words.  Words
 * are matched by unique prefix, one position at a time (a walk down the
 * tree of command words), across the context's own commands, the global
 * commands and the reachable contexts.  A path of context names may come
 * first ("ipsec static show all"); a line not found from the current
 * context is tried once more from the root (full paths work anywhere).
 */
#ifndef IPSECSH_RESOLVE_H
#define IPSECSH_RESOLVE_H

#include "cmd.h"
#include "lex.h"

enum resolve_kind {
	RES_NONE,	 /* nothing of that name */
	RES_AMBIGUOUS,	 /* a word matches several; msg lists them */
	RES_COMMAND,	 /* cmd found in ctx; arguments start at next */
	RES_CONTEXT,	 /* the words name ctx and nothing follows */
	RES_INCOMPLETE,	 /* words are the start of several commands */
};

struct resolved {
	enum resolve_kind kind;
	const struct command *cmd;
	const struct context *ctx;
	size_t next;	    /* index of the first token not consumed */
	char prefix[256];   /* RES_INCOMPLETE: the words consumed */
	char msg[512];	    /* RES_AMBIGUOUS: the message */
};

void resolve(const struct context *cur, const struct tokens *tk,
	     struct resolved *r);

/* Calls fn for each command of ctx (own, then global) whose name starts
 * with the words of prefix (all when prefix is ""). */
void resolve_each_command(const struct context *ctx, const char *prefix,
			  void (*fn)(const struct command *, void *),
			  void *arg);

#endif
