/*
 * shell.c - the session: runs lines and scripts, reports errors with
 * their script position, opens the store on first use.
 */
#include "shell.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bind.h"
#include "help.h"
#include "lex.h"
#include "resolve.h"
#include "service_link.h"

void
shell_init(struct shell *sh)
{
	memset(sh, 0, sizeof(*sh));
	sh->cur = &ctx_root;
	sh->out = stdout;
	sh->err = stderr;
	sh->location = STORE_LOC_LOCAL;
}

int
shell_finish(struct shell *sh)
{
	int rc = 0;

	/* netsh flushes a pending batch when the session ends. */
	if (sh->store != NULL && store_in_batch(sh->store)) {
		if (store_batch_end(sh->store, true) < 0) {
			shell_err(sh, "ERR: the batch could not be written: %s",
				  store_errmsg(sh->store));
			rc = -1;
		} else {
			service_link_notify(sh);
		}
	}
	store_close(sh->store);
	for (size_t i = 0; i < sh->naliases; i++) {
		free(sh->aliases[i].name);
		free(sh->aliases[i].words);
	}
	free(sh->aliases);
	free(sh->store_path);
	free(sh->socket_path);
	memset(sh, 0, sizeof(*sh));
	return rc;
}

void
shell_verr(struct shell *sh, const char *fmt, va_list ap)
{
	/* Keep errors in order with the output before them. */
	fflush(sh->out);
	if (sh->src_name != NULL)
		fprintf(sh->err, "%s:%ld: ", sh->src_name, sh->src_line);
	vfprintf(sh->err, fmt, ap);
	fputc('\n', sh->err);
	sh->error_reported = true;
}

void
shell_err(struct shell *sh, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	shell_verr(sh, fmt, ap);
	va_end(ap);
}

void
shell_warn(struct shell *sh, const char *fmt, ...)
{
	va_list ap;

	fflush(sh->out);
	if (sh->src_name != NULL)
		fprintf(sh->err, "%s:%ld: ", sh->src_name, sh->src_line);
	va_start(ap, fmt);
	vfprintf(sh->err, fmt, ap);
	va_end(ap);
	fputc('\n', sh->err);
}

static struct store *
open_store(struct shell *sh, bool quiet)
{
	char err[512] = "";
	char *path = NULL;
	const char *env = getenv("IPSECSH_STORE");

	if (sh->store != NULL)
		return sh->store;
	if (sh->store_path != NULL)
		path = strdup(sh->store_path);
	else if (env != NULL && env[0] != '\0')
		path = strdup(env);
	else
		path = store_default_path();
	if (path == NULL) {
		if (!quiet)
			shell_err(sh, "ERR: no store path (set --store or "
				      "IPSECSH_STORE).");
		return NULL;
	}
	sh->store = store_open(path, err, sizeof(err));
	if (sh->store == NULL && !quiet)
		shell_err(sh, "ERR: cannot open the store %s: %s", path, err);
	else
		store_set_location(sh->store, sh->location);
	free(path);
	return sh->store;
}

struct store *
shell_store(struct shell *sh)
{
	return open_store(sh, false);
}

struct store *
shell_store_quiet(struct shell *sh)
{
	return open_store(sh, true);
}

enum cmd_status
shell_store_error(struct shell *sh)
{
	shell_err(sh, "ERR: %s", store_errmsg(sh->store));
	return CMD_ERROR;
}

void
shell_prompt(const struct shell *sh, char *buf, size_t len)
{
	if (sh->cur->path[0] == '\0')
		snprintf(buf, len, "ipsecsh> ");
	else
		snprintf(buf, len, "ipsecsh %s> ", sh->cur->path);
}

const struct context *
shell_find_context(struct shell *sh, char **words, size_t n)
{
	struct tokens tk;
	struct resolved r;

	memset(&tk, 0, sizeof(tk));
	if (n == 0 || n > LEX_TOKENS_MAX)
		return NULL;
	tk.n = n;
	for (size_t i = 0; i < n; i++)
		tk.t[i].value = words[i];
	if (n == 1 && strcmp(words[0], "..") == 0)
		return sh->cur->parent != NULL ? sh->cur->parent : sh->cur;
	resolve(sh->cur, &tk, &r);
	if (r.kind == RES_CONTEXT)
		return r.ctx;
	if (r.kind == RES_AMBIGUOUS)
		shell_err(sh, "%s", r.msg);
	else
		shell_err(sh, "\"%s\" is not a context.", words[0]);
	return NULL;
}

const struct alias *
shell_alias_find(const struct shell *sh, const char *name)
{
	for (size_t i = 0; i < sh->naliases; i++)
		if (strcasecmp(sh->aliases[i].name, name) == 0)
			return &sh->aliases[i];
	return NULL;
}

int
shell_alias_set(struct shell *sh, const char *name, const char *words)
{
	struct alias *grown;
	char *n = NULL, *w = NULL;

	for (size_t i = 0; i < sh->naliases; i++)
		if (strcasecmp(sh->aliases[i].name, name) == 0) {
			w = strdup(words);
			if (w == NULL)
				return -1;
			free(sh->aliases[i].words);
			sh->aliases[i].words = w;
			return 0;
		}
	n = strdup(name);
	w = strdup(words);
	grown = realloc(sh->aliases, (sh->naliases + 1) * sizeof(*grown));
	if (n == NULL || w == NULL || grown == NULL) {
		free(n);
		free(w);
		if (grown != NULL)
			sh->aliases = grown;
		return -1;
	}
	sh->aliases = grown;
	sh->aliases[sh->naliases].name = n;
	sh->aliases[sh->naliases].words = w;
	sh->naliases++;
	return 0;
}

int
shell_alias_remove(struct shell *sh, const char *name)
{
	for (size_t i = 0; i < sh->naliases; i++)
		if (strcasecmp(sh->aliases[i].name, name) == 0) {
			free(sh->aliases[i].name);
			free(sh->aliases[i].words);
			sh->aliases[i] = sh->aliases[--sh->naliases];
			return 0;
		}
	return -1;
}

static bool
is_help_word(const struct token *t)
{
	return t->tag == NULL && !t->quoted &&
	       (strcmp(t->value, "?") == 0 || strcmp(t->value, "/?") == 0);
}

enum cmd_status
shell_run_command(struct shell *sh, const struct resolved *r,
		  const struct tokens *tk)
{
	struct binding b;
	enum cmd_status st = CMD_ERROR;
	struct store *store = NULL;

	for (size_t i = r->next; i < tk->n; i++)
		if (is_help_word(&tk->t[i])) {
			help_usage(sh->out, r->cmd);
			return CMD_OK;
		}
	if (bind_args(sh, r->cmd, r->ctx, tk, r->next, &b) < 0)
		goto out;
	/* Checked here, run in the service: the live state is there. */
	if ((r->cmd->flags & CMD_SERVICE) && sh->live == NULL) {
		st = service_link_forward(sh, r->cmd, r->ctx, tk, r->next);
		goto out;
	}
	if (r->cmd->flags & (CMD_STORE | CMD_WRITES)) {
		store = shell_store(sh);
		if (store == NULL)
			goto out;
	}
	if (r->cmd->flags & CMD_WRITES) {
		if (store_cmd_begin(store) < 0) {
			st = shell_store_error(sh);
			goto out;
		}
		st = r->cmd->fn(sh, &b.a);
		if (store_cmd_end(store, st == CMD_OK) < 0 && st == CMD_OK)
			st = shell_store_error(sh);
		/* Committed (not held in a batch): the service may apply it. */
		if (st == CMD_OK && !store_in_batch(store))
			service_link_notify(sh);
	} else {
		st = r->cmd->fn(sh, &b.a);
	}
out:
	binding_free(&b);
	return st;
}

static void
not_found(struct shell *sh, const char *line)
{
	size_t len = strlen(line);

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
			   line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	shell_err(sh, "The following command was not found: %.*s.",
		  (int)len, line);
}

/* Replaces a leading alias name by its words (one level, no loops). */
static int
expand_alias(struct shell *sh, struct tokens *tk, char **expanded)
{
	const struct alias *al;
	char rest[LEX_LINE_MAX];
	size_t need;
	char err[256];

	*expanded = NULL;
	if (tk->n == 0 || tk->t[0].tag != NULL || tk->t[0].quoted)
		return 0;
	al = shell_alias_find(sh, tk->t[0].value);
	if (al == NULL)
		return 0;
	if (lex_join(tk, 1, rest, sizeof(rest)) < 0) {
		shell_err(sh, "The line is too long.");
		return -1;
	}
	need = strlen(al->words) + strlen(rest) + 2;
	*expanded = malloc(need);
	if (*expanded == NULL)
		return -1;
	snprintf(*expanded, need, "%s %s", al->words, rest);
	lex_free(tk);
	if (lex_line(*expanded, tk, err, sizeof(err)) < 0) {
		shell_err(sh, "%s", err);
		return -1;
	}
	return 0;
}

enum cmd_status
shell_run_line(struct shell *sh, const char *line)
{
	struct tokens tk;
	struct resolved r;
	char err[256];
	char *expanded = NULL;
	enum cmd_status st = CMD_ERROR;
	int lx;

	sh->error_reported = false;
	lx = lex_line(line, &tk, err, sizeof(err));
	if (lx < 0) {
		shell_err(sh, "%s", err);
		return CMD_ERROR;
	}
	if (lx == 1)
		return CMD_OK;
	if (expand_alias(sh, &tk, &expanded) < 0)
		goto out;
	resolve(sh->cur, &tk, &r);
	switch (r.kind) {
	case RES_AMBIGUOUS:
		shell_err(sh, "%s", r.msg);
		break;
	case RES_CONTEXT:
		sh->cur = r.ctx;
		service_link_note_context(sh);
		st = CMD_OK;
		break;
	case RES_INCOMPLETE:
		if (r.next < tk.n && !is_help_word(&tk.t[r.next])) {
			if (!service_link_unknown_command(sh, r.ctx))
				not_found(sh, expanded ? expanded : line);
			break;
		}
		help_group(sh->out, r.ctx, r.prefix);
		if (r.next < tk.n)
			st = CMD_OK;
		else
			shell_err(sh, "\"%s\" needs more words: see the "
				      "list above.", r.prefix);
		break;
	case RES_COMMAND:
		st = shell_run_command(sh, &r, &tk);
		break;
	case RES_NONE:
		if (!service_link_unknown_command(sh, sh->cur))
			not_found(sh, expanded ? expanded : line);
		break;
	}
out:
	lex_free(&tk);
	if (expanded != NULL) {
		explicit_bzero(expanded, strlen(expanded));
		free(expanded);
	}
	/* A failure always leaves a message. */
	if (st == CMD_ERROR && !sh->error_reported)
		shell_err(sh, "The command failed.");
	return st;
}

enum cmd_status
shell_run_file(struct shell *sh, FILE *f, const char *name)
{
	const char *saved_name = sh->src_name;
	long saved_line = sh->src_line;
	enum cmd_status result = CMD_OK;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	sh->src_name = name;
	sh->src_line = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		enum cmd_status st;

		sh->src_line++;
		if ((size_t)len != strlen(line)) {
			shell_err(sh, "The line contains a NUL byte.");
			st = CMD_ERROR;
		} else {
			st = shell_run_line(sh, line);
		}
		if (st == CMD_EXIT) {
			result = CMD_EXIT;
			break;
		}
		if (st == CMD_ERROR) {
			sh->failures++;
			result = CMD_ERROR;
			if (sh->stop_on_error)
				break;
		}
	}
	if (line != NULL)
		explicit_bzero(line, cap);
	free(line);
	sh->src_name = saved_name;
	sh->src_line = saved_line;
	return result;
}
