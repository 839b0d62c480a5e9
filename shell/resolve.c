/*
 * resolve.c - command and context lookup (see resolve.h).
 */
#include "resolve.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "match.h"

#define ENTRIES_MAX 128
#define WORDS_MAX 4

/* A candidate: a command (several words) or a context (one word). */
struct entry {
	const struct command *cmd;
	const struct context *ctx;
	char words[WORDS_MAX][32];
	size_t nwords;
};

static void
split_name(const char *name, struct entry *e)
{
	const char *p = name;

	e->nwords = 0;
	while (*p != '\0' && e->nwords < WORDS_MAX) {
		size_t n = strcspn(p, " ");
		if (n >= sizeof(e->words[0]))
			n = sizeof(e->words[0]) - 1;
		memcpy(e->words[e->nwords], p, n);
		e->words[e->nwords][n] = '\0';
		e->nwords++;
		p += strcspn(p, " ");
		while (*p == ' ')
			p++;
	}
}

static size_t
collect(const struct context *ctx, struct entry *e, size_t max)
{
	size_t n = 0;
	const struct command *tables[2] = {ctx->commands, global_commands};
	const struct context *const *ctxs[2] = {ctx->children, ctx->shortcuts};

	for (size_t t = 0; t < 2; t++)
		for (const struct command *c = tables[t];
		     c != NULL && c->name != NULL && n < max; c++) {
			memset(&e[n], 0, sizeof(e[n]));
			e[n].cmd = c;
			split_name(c->name, &e[n]);
			n++;
		}
	for (size_t t = 0; t < 2; t++)
		for (const struct context *const *c = ctxs[t];
		     c != NULL && *c != NULL && n < max; c++) {
			memset(&e[n], 0, sizeof(e[n]));
			e[n].ctx = *c;
			split_name((*c)->name, &e[n]);
			n++;
		}
	return n;
}

/* Walks the words of tk from `from` through the entries of ctx. */
static void
walk(const struct context *ctx, const struct tokens *tk, size_t from,
     struct resolved *r)
{
	struct entry e[ENTRIES_MAX];
	bool alive[ENTRIES_MAX];
	size_t n = collect(ctx, e, ENTRIES_MAX);
	size_t depth = 0;

	for (size_t i = 0; i < n; i++)
		alive[i] = true;
	r->kind = RES_NONE;
	r->prefix[0] = '\0';
	for (;;) {
		const char *cand[ENTRIES_MAX];
		size_t ncand = 0;
		const struct token *t;
		int pick;

		if (from + depth >= tk->n)
			break;
		t = &tk->t[from + depth];
		if (t->tag != NULL || t->quoted)
			break;
		/* Distinct words at this depth among the live entries. */
		for (size_t i = 0; i < n; i++) {
			bool dup = false;
			if (!alive[i] || e[i].nwords <= depth)
				continue;
			for (size_t k = 0; k < ncand; k++)
				if (strcasecmp(cand[k], e[i].words[depth]) == 0)
					dup = true;
			if (!dup)
				cand[ncand++] = e[i].words[depth];
		}
		pick = match_word(t->value, cand, ncand);
		if (pick == MATCH_AMBIGUOUS) {
			char list[400];
			match_list(t->value, cand, ncand, list, sizeof(list));
			r->kind = RES_AMBIGUOUS;
			snprintf(r->msg, sizeof(r->msg),
				 "\"%s\" is ambiguous: it could be %s.",
				 t->value, list);
			return;
		}
		if (pick < 0)
			break;
		for (size_t i = 0; i < n; i++)
			if (alive[i] && (e[i].nwords <= depth ||
					 strcasecmp(e[i].words[depth],
						    cand[pick]) != 0))
				alive[i] = false;
		if (depth > 0)
			strncat(r->prefix, " ",
				sizeof(r->prefix) - strlen(r->prefix) - 1);
		strncat(r->prefix, cand[pick],
			sizeof(r->prefix) - strlen(r->prefix) - 1);
		depth++;
	}
	if (depth == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!alive[i] || e[i].nwords != depth)
			continue;
		r->next = from + depth;
		if (e[i].ctx != NULL) {
			/* A context name: descend, or move there. */
			if (r->next < tk->n) {
				walk(e[i].ctx, tk, r->next, r);
				return;
			}
			r->kind = RES_CONTEXT;
			r->ctx = e[i].ctx;
			return;
		}
		r->kind = RES_COMMAND;
		r->cmd = e[i].cmd;
		r->ctx = ctx;
		return;
	}
	r->kind = RES_INCOMPLETE;
	r->ctx = ctx;
	r->next = from + depth;
}

void
resolve(const struct context *cur, const struct tokens *tk,
	struct resolved *r)
{
	memset(r, 0, sizeof(*r));
	walk(cur, tk, 0, r);
	if (r->kind == RES_NONE && cur != &ctx_root) {
		struct resolved from_root;
		memset(&from_root, 0, sizeof(from_root));
		walk(&ctx_root, tk, 0, &from_root);
		if (from_root.kind != RES_NONE)
			*r = from_root;
	}
}

void
resolve_each_command(const struct context *ctx, const char *prefix,
		     void (*fn)(const struct command *, void *), void *arg)
{
	const struct command *tables[2] = {ctx->commands, global_commands};
	size_t plen = strlen(prefix);

	for (size_t t = 0; t < 2; t++)
		for (const struct command *c = tables[t];
		     c != NULL && c->name != NULL; c++) {
			if (plen > 0 && (strncasecmp(c->name, prefix, plen) != 0 ||
					 (c->name[plen] != ' ' &&
					  c->name[plen] != '\0')))
				continue;
			if (c->flags & CMD_HIDDEN)
				continue;
			fn(c, arg);
		}
}
