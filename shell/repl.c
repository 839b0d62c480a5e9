/*
 * repl.c - the interactive shell: GNU Readline line editing, a history
 * file, and Tab completion of command words, context names, tags,
 * enumerated values and object names from the store.
 */
#include "repl.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "complete.h"
#include "shell.h"

/* Completion needs the session; readline's callbacks take no argument. */
static struct shell *repl_shell;

static char *
generate(const char *text, int state)
{
	static struct completions c;
	static size_t next;

	if (state == 0) {
		completions_free(&c);
		complete_line(repl_shell, rl_line_buffer, (size_t)rl_point,
			      text, &c);
		next = 0;
	}
	if (next < c.n) {
		/* "tag=" goes on without a blank after it. */
		if (c.n == 1 && c.v[0][strlen(c.v[0]) - 1] == '=')
			rl_completion_suppress_append = 1;
		return strdup(c.v[next++]);
	}
	completions_free(&c);
	return NULL;
}

static char **
attempt(const char *text, int start, int end)
{
	(void)start;
	(void)end;
	rl_attempted_completion_over = 1; /* never complete file names */
	return rl_completion_matches(text, generate);
}

static char *
history_path(void)
{
	const char *home = getenv("HOME");
	char *path;

	if (home == NULL || home[0] == '\0')
		return NULL;
	if (asprintf(&path, "%s/.ipsecsh_history", home) < 0)
		return NULL;
	return path;
}

/* Lines that carry secrets stay out of the history file. */
static bool
has_secret(const char *line)
{
	static const char *const tags[] = {"psk", "enckey", "authkey", NULL};

	for (size_t i = 0; tags[i] != NULL; i++) {
		const char *p = line;
		size_t n = strlen(tags[i]);
		while ((p = strcasestr(p, tags[i])) != NULL) {
			const char *q = p + n;
			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == '=')
				return true;
			p += n;
		}
	}
	return false;
}

void
repl_run(struct shell *sh)
{
	char *hist = history_path();
	char prompt[256];
	char *line;

	repl_shell = sh;
	rl_readline_name = "ipsecsh";
	rl_attempted_completion_function = attempt;
	rl_completer_quote_characters = "\"";
	rl_basic_word_break_characters = " \t";
	stifle_history(1000);
	if (hist != NULL)
		read_history(hist);
	for (;;) {
		shell_prompt(sh, prompt, sizeof(prompt));
		line = readline(prompt);
		if (line == NULL) {
			fputc('\n', stdout);
			break;
		}
		if (line[0] != '\0' && !has_secret(line))
			add_history(line);
		if (shell_run_line(sh, line) == CMD_EXIT) {
			explicit_bzero(line, strlen(line));
			free(line);
			break;
		}
		explicit_bzero(line, strlen(line));
		free(line);
	}
	if (hist != NULL) {
		/* The history may name hosts and policies: owner only. */
		mode_t old = umask(077);
		write_history(hist);
		umask(old);
		chmod(hist, 0600);
		free(hist);
	}
	repl_shell = NULL;
}
