/*
 * complete.c - Tab completion, driven by the same tables and resolver
 * as dispatch (see complete.h).
 */
#include "complete.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bind.h"
#include "lex.h"
#include "match.h"
#include "resolve.h"
#include "shell.h"

struct gather {
	struct completions *c;
	const char *word;    /* what the user typed of the last word */
	const char *prefix;  /* words already chosen (RES_INCOMPLETE) */
};

/*
 * Adds cand if word is a prefix of key, what cand reads as once lexed:
 * a name with blanks is offered quoted ("Red Team") but matched as the
 * user types it (R).
 */
static void
add_as(struct completions *c, const char *word, const char *key,
       const char *cand)
{
	char *copy;

	if (strncasecmp(key, word, strlen(word)) != 0)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i], cand) == 0)
			return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 32;
		char **grown = realloc(c->v, cap * sizeof(*grown));
		if (grown == NULL)
			return;
		c->v = grown;
		c->cap = cap;
	}
	copy = strdup(cand);
	if (copy != NULL)
		c->v[c->n++] = copy;
}

static void
add(struct completions *c, const char *word, const char *cand)
{
	add_as(c, word, cand, cand);
}

void
completions_free(struct completions *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* The word of cmd's name that follows g->prefix. */
static void
next_word(const struct command *cmd, void *arg)
{
	struct gather *g = arg;
	const char *p = cmd->name;
	char w[64];
	size_t n;

	if (g->prefix[0] != '\0') {
		p += strlen(g->prefix);
		while (*p == ' ')
			p++;
	}
	n = strcspn(p, " ");
	if (n == 0 || n >= sizeof(w))
		return;
	memcpy(w, p, n);
	w[n] = '\0';
	add(g->c, g->word, w);
}

static void
context_words(const struct context *ctx, const char *prefix,
	      struct gather *g)
{
	g->prefix = prefix;
	resolve_each_command(ctx, prefix, next_word, g);
	if (prefix[0] != '\0')
		return;
	for (const struct context *const *c = ctx->children; c && *c; c++)
		add(g->c, g->word, (*c)->name);
	for (const struct context *const *c = ctx->shortcuts; c && *c; c++)
		add(g->c, g->word, (*c)->name);
}

/* Names of objects of a kind, as completions "tag=name" or "name". */
static void
object_names(struct shell *sh, enum obj_kind kind, const char *policy,
	     const char *tagpart, struct gather *g)
{
	struct store *st = shell_store_quiet(sh);
	char cand[STORE_NAME_MAX + 80], key[STORE_NAME_MAX + 80];
	const char *names[4096];
	size_t n = 0;
	void *list = NULL;
	size_t count = 0, size = 0;

	if (st == NULL)
		return;
	switch (kind) {
	case OBJ_POLICY: {
		struct store_policy *p = NULL;
		if (store_policy_list(st, &p, &count) == 0)
			for (size_t i = 0; i < count && n < 4096; i++)
				names[n++] = p[i].name;
		list = p;
		size = sizeof(*p);
		break;
	}
	case OBJ_FILTERLIST: {
		struct store_filterlist *f = NULL;
		if (store_filterlist_list(st, &f, &count) == 0)
			for (size_t i = 0; i < count && n < 4096; i++)
				names[n++] = f[i].name;
		list = f;
		size = sizeof(*f);
		break;
	}
	case OBJ_FILTERACTION: {
		struct store_filteraction *f = NULL;
		if (store_filteraction_list(st, &f, &count) == 0)
			for (size_t i = 0; i < count && n < 4096; i++)
				names[n++] = f[i].name;
		list = f;
		size = sizeof(*f);
		break;
	}
	case OBJ_RULE: {
		struct store_rule *r = NULL;
		int rc = policy != NULL
				 ? store_rule_list(st, policy, &r, &count)
				 : store_rule_list_using(st, NULL, NULL, &r,
							 &count);
		if (rc == 0)
			for (size_t i = 0; i < count && n < 4096; i++)
				if (!r[i].is_default)
					names[n++] = r[i].name;
		list = r;
		size = sizeof(*r);
		break;
	}
	default:
		return;
	}
	for (size_t i = 0; i < n; i++) {
		bool blank = strpbrk(names[i], " \t") != NULL;
		snprintf(cand, sizeof(cand), "%s%s%s%s", tagpart,
			 blank ? "\"" : "", names[i], blank ? "\"" : "");
		snprintf(key, sizeof(key), "%s%s", tagpart, names[i]);
		add_as(g->c, g->word, key, cand);
	}
	store_list_free(list, count, size);
}

/* Values of one parameter, each written "tagpart" + value. */
static void
param_values(struct shell *sh, const struct param *p, const char *policy,
	     const char *tagpart, struct gather *g)
{
	static const char *const yesno[] = {"yes", "no", NULL};
	static const char *const protocols[] = {"ANY", "ICMP", "TCP", "UDP",
						"RAW", NULL};
	static const char *const addrs[] = {"me", "any", "DNS", "WINS",
					    "DHCP", "GATEWAY", NULL};
	const char *const *vals = NULL;
	char cand[256];

	switch (p->type) {
	case PT_BOOL:
		vals = yesno;
		break;
	case PT_ENUM:
		vals = p->choices;
		break;
	case PT_PROTOCOL:
		vals = protocols;
		break;
	case PT_ADDR:
		vals = addrs;
		break;
	case PT_NAME:
		object_names(sh, p->obj, policy, tagpart, g);
		return;
	default:
		return;
	}
	for (size_t i = 0; vals[i] != NULL; i++) {
		snprintf(cand, sizeof(cand), "%s%s", tagpart, vals[i]);
		add(g->c, g->word, cand);
	}
}

static void
complete_args(struct shell *sh, const struct command *cmd,
	      const struct tokens *tk, size_t first, struct gather *g)
{
	size_t n = cmd_nparams(cmd);
	const char *policy = NULL;
	const char *eq = strchr(g->word, '=');
	bool given[64] = {false};
	size_t npos = 0;

	/* What is already on the line: tags given, positionals used. */
	for (size_t i = first; i < tk->n; i++) {
		const struct token *t = &tk->t[i];
		for (size_t k = 0; k < n && k < 64; k++) {
			if (t->tag != NULL &&
			    match_prefix(t->tag, cmd->params[k].tag))
				given[k] = true;
			if (t->tag == NULL && cmd->params[k].type ==
						      PT_KEYWORD &&
			    match_exact(t->value, cmd->params[k].tag))
				given[k] = true;
		}
		if (t->tag != NULL && match_prefix(t->tag, "policy"))
			policy = t->value;
		if (t->tag == NULL)
			npos++;
	}
	if (eq != NULL) {
		/* "tag=val": complete the value of that tag. */
		char tag[64], tagpart[80];
		size_t tl = (size_t)(eq - g->word);
		const char *tags[64];
		int k;
		if (tl == 0 || tl >= sizeof(tag))
			return;
		memcpy(tag, g->word, tl);
		tag[tl] = '\0';
		for (size_t i = 0; i < n && i < 64; i++)
			tags[i] = cmd->params[i].tag;
		k = match_word(tag, tags, n < 64 ? n : 64);
		if (k < 0)
			return;
		snprintf(tagpart, sizeof(tagpart), "%s=", tag);
		param_values(sh, &cmd->params[k], policy, tagpart, g);
		return;
	}
	for (size_t k = 0; k < n && k < 64; k++) {
		const struct param *p = &cmd->params[k];
		char cand[80];
		if (given[k] && !(p->flags & P_MULTI))
			continue;
		if (p->type == PT_KEYWORD) {
			add(g->c, g->word, p->tag);
		} else if (p->type != PT_WORDS) {
			snprintf(cand, sizeof(cand), "%s=", p->tag);
			add(g->c, g->word, cand);
		}
	}
	/* The next positional value, when it names an object. */
	for (size_t k = 0, pos = 0; k < n && k < 64; k++) {
		const struct param *p = &cmd->params[k];
		if (!(p->flags & P_POS) || given[k])
			continue;
		if (pos++ == npos) {
			if (p->type == PT_NAME)
				param_values(sh, p, policy, "", g);
			break;
		}
	}
}

static int
by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
complete_line(struct shell *sh, const char *line, size_t point,
	      const char *word, struct completions *out)
{
	struct gather g = {.c = out, .word = word, .prefix = ""};
	size_t wlen = strlen(word);
	size_t before_len = point >= wlen ? point - wlen : 0;
	char *before = strndup(line, before_len);
	struct tokens tk;
	struct resolved r;
	char err[128];
	int lx;

	memset(out, 0, sizeof(*out));
	if (before == NULL)
		return;
	lx = lex_line(before, &tk, err, sizeof(err));
	if (lx < 0)
		goto out;
	if (lx == 1) {
		context_words(sh->cur, "", &g);
		goto out;
	}
	resolve(sh->cur, &tk, &r);
	switch (r.kind) {
	case RES_CONTEXT:
		context_words(r.ctx, "", &g);
		break;
	case RES_INCOMPLETE:
		if (r.next == tk.n)
			context_words(r.ctx, r.prefix, &g);
		break;
	case RES_COMMAND:
		complete_args(sh, r.cmd, &tk, r.next, &g);
		break;
	default:
		break;
	}
	lex_free(&tk);
out:
	free(before);
	qsort(out->v, out->n, sizeof(*out->v), by_text);
}
