/*
 * global.c - the commands every context has (netsh "Commands for All
 * Contexts"): moving between contexts, help, leaving, scripts, dump and
 * aliases.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "help.h"
#include "lex.h"
#include "service_link.h"
#include "shell.h"
#include "static.h"

static enum cmd_status
cmd_up(struct shell *sh, const struct args *a)
{
	(void)a;
	if (sh->cur->parent != NULL)
		sh->cur = sh->cur->parent;
	return CMD_OK;
}

static enum cmd_status
cmd_help(struct shell *sh, const struct args *a)
{
	help_context(sh->out, a->ctx);
	return CMD_OK;
}

static enum cmd_status
cmd_exit(struct shell *sh, const struct args *a)
{
	(void)a;
	sh->exiting = true;
	return CMD_EXIT;
}

/* Splits a context path ("ipsec static") into words and finds it. */
static const struct context *
context_of_words(struct shell *sh, const char *text)
{
	struct tokens tk;
	char err[256];
	char *words[LEX_TOKENS_MAX];
	const struct context *c = NULL;

	if (lex_line(text, &tk, err, sizeof(err)) != 0) {
		shell_err(sh, "\"%s\" is not a context.", text);
		return NULL;
	}
	for (size_t i = 0; i < tk.n; i++)
		words[i] = tk.t[i].value;
	c = shell_find_context(sh, words, tk.n);
	lex_free(&tk);
	return c;
}

static enum cmd_status
cmd_pushd(struct shell *sh, const struct args *a)
{
	const struct context *to = sh->cur;

	if (sh->depth == SHELL_STACK_MAX) {
		shell_err(sh, "pushd: the context stack is full (%d entries).",
			  SHELL_STACK_MAX);
		return CMD_ERROR;
	}
	if (arg_given(a, "context")) {
		to = context_of_words(sh, arg_text(a, "context"));
		if (to == NULL)
			return CMD_ERROR;
	}
	sh->stack[sh->depth++] = sh->cur;
	sh->cur = to;
	if (to != sh->stack[sh->depth - 1])
		service_link_note_context(sh);
	return CMD_OK;
}

static enum cmd_status
cmd_popd(struct shell *sh, const struct args *a)
{
	(void)a;
	if (sh->depth == 0) {
		shell_err(sh, "popd: the context stack is empty.");
		return CMD_ERROR;
	}
	sh->cur = sh->stack[--sh->depth];
	return CMD_OK;
}

static enum cmd_status
cmd_exec(struct shell *sh, const struct args *a)
{
	const char *path = arg_text(a, "file");
	enum cmd_status st;
	FILE *f;

	if (sh->exec_depth >= SHELL_EXEC_DEPTH_MAX) {
		shell_err(sh, "exec: scripts are nested more than %d deep.",
			  SHELL_EXEC_DEPTH_MAX);
		return CMD_ERROR;
	}
	f = fopen(path, "re");
	if (f == NULL) {
		shell_err(sh, "exec: the file %s could not be opened: %s.",
			  path, strerror(errno));
		return CMD_ERROR;
	}
	sh->exec_depth++;
	st = shell_run_file(sh, f, path);
	sh->exec_depth--;
	fclose(f);
	return st;
}

static enum cmd_status
cmd_dump(struct shell *sh, const struct args *a)
{
	if (a->ctx == &ctx_dynamic) {
		if (!service_link_unknown_command(sh, a->ctx))
			shell_err(sh, "dump: the dynamic context keeps no "
				      "configuration to dump.");
		return CMD_ERROR;
	}
	return static_dump(sh, sh->out);
}

static bool
alias_name_ok(struct shell *sh, const char *name)
{
	for (const char *p = name; *p != '\0'; p++)
		if (*p == ' ' || *p == '\t' || *p == '=' || *p == '"' ||
		    (unsigned char)*p < 0x20) {
			shell_err(sh, "alias: \"%s\" is not a valid alias name "
				      "(one word, no '=' or quotes).", name);
			return false;
		}
	return name[0] != '\0';
}

static void
print_alias(struct shell *sh, const struct alias *al)
{
	fprintf(sh->out, "%s %s\n", al->name, al->words);
}

static enum cmd_status
cmd_alias(struct shell *sh, const struct args *a)
{
	const char *name = arg_text(a, "name");
	const struct alias *al;

	if (!arg_given(a, "name")) {
		for (size_t i = 0; i < sh->naliases; i++)
			print_alias(sh, &sh->aliases[i]);
		return CMD_OK;
	}
	if (!alias_name_ok(sh, name))
		return CMD_ERROR;
	if (!arg_given(a, "words")) {
		al = shell_alias_find(sh, name);
		if (al == NULL) {
			shell_err(sh, "The following alias was not found: %s.",
				  name);
			return CMD_ERROR;
		}
		print_alias(sh, al);
		return CMD_OK;
	}
	if (shell_alias_set(sh, name, arg_text(a, "words")) < 0) {
		shell_err(sh, "alias: out of memory.");
		return CMD_ERROR;
	}
	return CMD_OK;
}

static enum cmd_status
cmd_unalias(struct shell *sh, const struct args *a)
{
	const char *name = arg_text(a, "name");

	if (shell_alias_remove(sh, name) < 0) {
		shell_err(sh, "The following alias was not found: %s.", name);
		return CMD_ERROR;
	}
	return CMD_OK;
}

static enum cmd_status
cmd_show_alias(struct shell *sh, const struct args *a)
{
	(void)a;
	if (sh->naliases == 0)
		fprintf(sh->out, "No aliases are defined.\n");
	for (size_t i = 0; i < sh->naliases; i++)
		print_alias(sh, &sh->aliases[i]);
	return CMD_OK;
}

static const struct param pushd_params[] = {
	{.tag = "context", .type = PT_WORDS, .flags = P_POS,
	 .obj = OBJ_CONTEXT,
	 .help = "Context to change to after pushing the current one, e.g. "
		 "\"ipsec static\"."},
	{0},
};

static const struct param exec_params[] = {
	{.tag = "file", .type = PT_FILE, .flags = P_REQ | P_POS,
	 .help = "Script file to run, one command per line."},
	{0},
};

static const struct param alias_params[] = {
	{.tag = "name", .type = PT_STRING, .flags = P_POS,
	 .help = "Name of the alias (one word)."},
	{.tag = "words", .type = PT_WORDS, .flags = P_POS,
	 .help = "The words the alias stands for."},
	{0},
};

static const struct param unalias_params[] = {
	{.tag = "name", .type = PT_STRING, .flags = P_REQ | P_POS,
	 .help = "Name of the alias to delete."},
	{0},
};

const struct command global_commands[] = {
	{.name = "..", .help = "Goes up one context level.", .fn = cmd_up},
	{.name = "?", .help = "Displays a list of commands.", .fn = cmd_help},
	{.name = "/?", .help = "Displays a list of commands.", .fn = cmd_help,
	 .flags = CMD_HIDDEN},
	{.name = "help", .help = "Displays a list of commands.",
	 .fn = cmd_help},
	{.name = "exit", .help = "Exits the program.", .fn = cmd_exit},
	{.name = "quit", .help = "Exits the program.", .fn = cmd_exit},
	{.name = "bye", .help = "Exits the program.", .fn = cmd_exit},
	{.name = "pushd", .help = "Pushes current context on stack.",
	 .fn = cmd_pushd, .params = pushd_params,
	 .remarks = "With a context, also changes to that context.",
	 .example = "pushd ipsec static"},
	{.name = "popd", .help = "Pops a context from the stack.",
	 .fn = cmd_popd},
	{.name = "exec", .help = "Runs a script file.", .fn = cmd_exec,
	 .params = exec_params,
	 .remarks = "Each line runs as if typed; a failing line prints "
		    "FILE:LINE: message and the script goes on.",
	 .example = "exec red.netsh"},
	{.name = "dump", .help = "Displays a configuration script.",
	 .fn = cmd_dump, .flags = CMD_STORE,
	 .remarks = "The script recreates the static configuration of the "
		    "current store; it contains pre-shared keys, so keep it "
		    "in a file only root can read.",
	 .example = "dump > policy.netsh"},
	{.name = "alias", .help = "Adds an alias.", .fn = cmd_alias,
	 .params = alias_params,
	 .remarks = "Without a name, lists the aliases; with a name only, "
		    "shows that alias.\nAn alias is replaced by its words "
		    "when it is the first word of a line.",
	 .example = "alias ss ipsec static show all"},
	{.name = "unalias", .help = "Deletes an alias.", .fn = cmd_unalias,
	 .params = unalias_params, .example = "unalias ss"},
	{.name = "show alias", .help = "Lists all defined aliases.",
	 .fn = cmd_show_alias},
	{0},
};
