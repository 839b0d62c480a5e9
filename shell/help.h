/*
 * help.h - help generated from the command tables: context listings,
 * command groups ("add ?") and usage blocks ("add policy ?"), and the
 * value placeholder of each parameter type (also used by the reference
 * generator and Tab completion).
 */
#ifndef IPSECSH_HELP_H
#define IPSECSH_HELP_H

#include <stdio.h>

#include "cmd.h"

/* "<string>", "(yes | no)", "(list | table)", ... */
void help_value_hint(const struct param *p, char *buf, size_t len);
/* The whole usage block of a command. */
void help_usage(FILE *f, const struct command *cmd);
/* "The following commands are available:" for a context. */
void help_context(FILE *f, const struct context *ctx);
/* The commands of ctx whose name starts with the words of prefix. */
void help_group(FILE *f, const struct context *ctx, const char *prefix);

#endif
