/*
 * reference.c - writes docs/commands.md, the command reference, from the
 * command tables, so the reference can never disagree with the shell.
 * A test compares the checked-in file with a fresh run.
 */
#include <stdio.h>

#include "cmd.h"
#include "help.h"

static void
section(const char *title, const struct command *cmds)
{
	printf("\n## %s\n", title);
	for (const struct command *c = cmds; c != NULL && c->name != NULL;
	     c++) {
		if (c->flags & CMD_HIDDEN)
			continue;
		printf("\n### %s\n\n%s\n\n```", c->name, c->help);
		help_usage(stdout, c);
		printf("```\n");
	}
}

int
main(void)
{
	printf("# ipsecsh command reference\n\n"
	       "Generated from the command tables by `ipsecsh-reference`; "
	       "do not edit by hand.\n"
	       "In the shell, `COMMAND ?` prints the same usage block.\n");
	section("Commands of every context", global_commands);
	section("ipsec static", static_commands);
	section("ipsec dynamic", dynamic_commands);
	section("service", service_commands);
	return ferror(stdout) ? 1 : 0;
}
