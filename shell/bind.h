/*
 * bind.h - binds the words after a command to the command's parameters:
 * tags by unique prefix, positional values in table order, keywords,
 * repeated tags, alternatives, required parameters and defaults; then
 * converts each value by its type (vocab.h) to canonical text.
 */
#ifndef IPSECSH_BIND_H
#define IPSECSH_BIND_H

#include "cmd.h"
#include "lex.h"

struct shell;

struct binding {
	struct args a;
	char **owned;	/* strings the binding allocated */
	size_t nowned, capowned;
};

/*
 * Binds tk->t[first..] to cmd.  On error prints one line through
 * shell_err (naming the command and quoting the bad word) and returns
 * -1; warnings go through shell_warn.  Free with binding_free either way.
 */
int bind_args(struct shell *sh, const struct command *cmd,
	      const struct context *ctx, const struct tokens *tk,
	      size_t first, struct binding *b);
void binding_free(struct binding *b);

/* Number of parameters of a command (entries before the NULL tag). */
size_t cmd_nparams(const struct command *cmd);

#endif
