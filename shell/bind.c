/*
 * bind.c - argument binding and conversion (see bind.h).
 */
#include "bind.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "shell.h"
#include "vocab.h"

#define TEXT_MAX 1023 /* longest free-text value (STORE_DESC_MAX - 1) */

size_t
cmd_nparams(const struct command *cmd)
{
	size_t n = 0;

	if (cmd->params != NULL)
		while (cmd->params[n].tag != NULL)
			n++;
	return n;
}

static char *
own(struct binding *b, const char *s)
{
	char *copy;

	if (b->nowned == b->capowned) {
		size_t cap = b->capowned ? 2 * b->capowned : 16;
		char **grown = realloc(b->owned, cap * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		b->owned = grown;
		b->capowned = cap;
	}
	copy = strdup(s);
	if (copy != NULL)
		b->owned[b->nowned++] = copy;
	return copy;
}

void
binding_free(struct binding *b)
{
	/* Values may be pre-shared keys: wipe before freeing. */
	for (size_t i = 0; i < b->nowned; i++) {
		explicit_bzero(b->owned[i], strlen(b->owned[i]));
		free(b->owned[i]);
	}
	free(b->owned);
	for (size_t i = 0; i < b->a.n; i++) {
		free(b->a.v[i].texts);
		free(b->a.v[i].orders);
	}
	free(b->a.v);
	memset(b, 0, sizeof(*b));
}

static bool
parse_long(const char *text, long *out)
{
	char *end;
	long v;

	if (text[0] == '\0' || text[0] == '+' || text[0] == ' ')
		return false;
	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

static void
join_choices(const char *const *choices, char *buf, size_t len)
{
	size_t n = 0, used = 0;

	while (choices[n] != NULL)
		n++;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
		int w = snprintf(buf + used, len - used, "%s%s", sep,
				 choices[i]);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
}

/*
 * Converts text by the parameter's type into a->text (canonical) and
 * a->num.  On error writes a message (without the command name) to err.
 */
static int
convert(struct shell *sh, const struct command *cmd, const struct param *p,
	const char *text, struct binding *b, const char **out_text,
	long *out_num, char *err, size_t errlen)
{
	char canon[4096];
	char warn[1024] = "";
	const char *value = text;
	long num = 0;
	int idx;

	canon[0] = '\0';
	switch (p->type) {
	case PT_STRING:
	case PT_SECRET:
	case PT_FILE:
	case PT_WORDS:
		if (strlen(text) > TEXT_MAX) {
			snprintf(err, errlen,
				 "the value of %s is longer than %d "
				 "characters.", p->tag, TEXT_MAX);
			return -1;
		}
		/* One command is one line: dump and exportpolicy write the
		 * value back on one, and a script or import file cannot
		 * hold it otherwise (a quoted line break only arrives
		 * through one-shot arguments). */
		if (strpbrk(text, "\r\n") != NULL) {
			snprintf(err, errlen,
				 "the value of %s contains a line break.",
				 p->tag);
			return -1;
		}
		if ((p->type == PT_SECRET || p->type == PT_FILE) &&
		    text[0] == '\0') {
			snprintf(err, errlen, "%s needs a value.", p->tag);
			return -1;
		}
		break;
	case PT_NAME:
		if (vocab_name_check(text, p->tag, err, errlen) < 0)
			return -1;
		break;
	case PT_INT:
		if (!parse_long(text, &num)) {
			snprintf(err, errlen,
				 "\"%s\" is not a valid integer for %s.", text,
				 p->tag);
			return -1;
		}
		if (num < p->min || num > p->max) {
			snprintf(err, errlen,
				 "%s=%ld is out of range: use %ld-%ld.",
				 p->tag, num, p->min, p->max);
			return -1;
		}
		snprintf(canon, sizeof(canon), "%ld", num);
		value = canon;
		break;
	case PT_BOOL: {
		static const char *const yn[] = {"no", "yes"};
		idx = match_word(text, yn, 2);
		if (idx < 0) {
			snprintf(err, errlen,
				 "\"%s\" is not valid for %s: use yes or no.",
				 text, p->tag);
			return -1;
		}
		num = idx;
		value = yn[idx];
		break;
	}
	case PT_ENUM: {
		size_t n = 0;
		char list[512];

		while (p->choices[n] != NULL)
			n++;
		idx = match_word(text, p->choices, n);
		if (idx == MATCH_AMBIGUOUS) {
			match_list(text, p->choices, n, list, sizeof(list));
			snprintf(err, errlen,
				 "\"%s\" is ambiguous for %s: it could be "
				 "%s.", text, p->tag, list);
			return -1;
		}
		if (idx < 0) {
			join_choices(p->choices, list, sizeof(list));
			snprintf(err, errlen,
				 "\"%s\" is not valid for %s: use %s.", text,
				 p->tag, list);
			return -1;
		}
		num = idx;
		value = p->choices[idx];
		break;
	}
	case PT_ADDR: {
		struct addr_spec as;
		if (vocab_addr_parse(text, &as, err, errlen) < 0)
			return -1;
		vocab_addr_format(&as, canon, sizeof(canon));
		num = as.kind;
		value = canon;
		break;
	}
	case PT_MASK:
		/* Checked against its address by the handler. */
		if (text[0] == '\0') {
			snprintf(err, errlen, "%s needs a value.", p->tag);
			return -1;
		}
		break;
	case PT_PORT: {
		int port;
		if (vocab_port_parse(text, &port, err, errlen) < 0)
			return -1;
		num = port;
		snprintf(canon, sizeof(canon), "%d", port);
		value = canon;
		break;
	}
	case PT_PROTOCOL: {
		int proto;
		if (vocab_protocol_parse(text, &proto, err, errlen) < 0)
			return -1;
		num = proto;
		vocab_protocol_format(proto, canon, sizeof(canon));
		value = canon;
		break;
	}
	case PT_MMSEC: {
		struct mm_methods m;
		if (vocab_mmsec_parse(text, &m, err, errlen, warn,
				      sizeof(warn)) < 0)
			return -1;
		vocab_mmsec_format(&m, canon, sizeof(canon));
		value = canon;
		break;
	}
	case PT_QMSEC: {
		struct qm_methods m;
		if (vocab_qmsec_parse(text, &m, err, errlen, warn,
				      sizeof(warn)) < 0)
			return -1;
		vocab_qmsec_format(&m, canon, sizeof(canon));
		value = canon;
		break;
	}
	case PT_QMOFFER: {
		struct qm_offer o;
		if (vocab_qmoffer_parse(text, &o, err, errlen, warn,
					sizeof(warn)) < 0)
			return -1;
		vocab_qmoffer_format(&o, canon, sizeof(canon));
		value = canon;
		break;
	}
	case PT_PFSGROUP: {
		int g;
		if (vocab_pfsgroup_parse(text, &g, err, errlen) < 0)
			return -1;
		num = g;
		vocab_pfsgroup_format(g, canon, sizeof(canon));
		value = canon;
		break;
	}
	case PT_ROOTCA: {
		struct rootca_spec r;
		if (vocab_rootca_parse(text, &r, err, errlen) < 0)
			return -1;
		vocab_rootca_format(&r, canon, sizeof(canon));
		value = canon;
		break;
	}
	case PT_GUID: {
		char g[39];
		if (vocab_guid_parse(text, g, err, errlen) < 0)
			return -1;
		snprintf(canon, sizeof(canon), "%s", g);
		value = canon;
		break;
	}
	case PT_KEYWORD:
		num = 1;
		value = p->tag;
		break;
	}
	/* One warning per line, each naming the command. */
	for (const char *w = warn; *w != '\0';) {
		size_t l = strcspn(w, "\n");
		shell_warn(sh, "%s: %.*s", cmd->name, (int)l, w);
		w += l;
		if (*w == '\n')
			w++;
	}
	*out_text = own(b, value);
	*out_num = num;
	if (*out_text == NULL) {
		snprintf(err, errlen, "out of memory.");
		return -1;
	}
	return 0;
}

static bool
alt_taken(const struct command *cmd, const struct binding *b, int alt)
{
	size_t n = cmd_nparams(cmd);

	if (alt == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (cmd->params[i].alt == alt && b->a.v[i].given)
			return true;
	return false;
}

/* "name, guid or all": the members of an alternative group. */
static const char *
alt_names(const struct command *cmd, int alt, char *buf, size_t len)
{
	size_t n = cmd_nparams(cmd), total = 0, seen = 0, used = 0;

	for (size_t i = 0; i < n; i++)
		if (cmd->params[i].alt == alt)
			total++;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (cmd->params[i].alt != alt)
			continue;
		seen++;
		int w = snprintf(buf + used, len - used, "%s%s",
				 seen == 1 ? "" : seen == total ? " or " : ", ",
				 cmd->params[i].tag);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	return buf;
}

static int
add_value(struct shell *sh, const struct command *cmd, size_t i,
	  const char *text, size_t order, struct binding *b)
{
	const struct param *p = &cmd->params[i];
	struct arg *a = &b->a.v[i];
	char err[512];
	const char *canon;
	long num;

	if (!a->given && alt_taken(cmd, b, p->alt)) {
		char names[256];
		shell_err(sh, "%s: give only one of %s.", cmd->name,
			  alt_names(cmd, p->alt, names, sizeof(names)));
		return -1;
	}
	if (a->given && !(p->flags & P_MULTI)) {
		shell_err(sh, "%s: %s was given more than once.", cmd->name,
			  p->tag);
		return -1;
	}
	if (convert(sh, cmd, p, text, b, &canon, &num, err, sizeof(err)) <
	    0) {
		shell_err(sh, "%s: %s", cmd->name, err);
		return -1;
	}
	if (p->flags & P_MULTI) {
		const char **grown =
			realloc(a->texts, (a->count + 1) * sizeof(*grown));
		size_t *ogrown;
		if (grown != NULL)
			a->texts = grown;
		ogrown = realloc(a->orders, (a->count + 1) * sizeof(*ogrown));
		if (ogrown != NULL)
			a->orders = ogrown;
		if (grown == NULL || ogrown == NULL) {
			shell_err(sh, "%s: out of memory.", cmd->name);
			return -1;
		}
		a->texts[a->count] = canon;
		a->orders[a->count] = order;
		a->count++;
	}
	if (!a->given) {
		a->text = canon;
		a->num = num;
		a->order = order;
	}
	a->given = true;
	return 0;
}

/* The tags of cmd, for matching. */
static size_t
tag_list(const struct command *cmd, const char **tags, size_t max)
{
	size_t n = cmd_nparams(cmd);

	assert(n <= max);
	(void)max; /* used only by the assert */
	for (size_t i = 0; i < n; i++)
		tags[i] = cmd->params[i].tag;
	return n;
}

static int
bind_positional(struct shell *sh, const struct command *cmd,
		const struct tokens *tk, size_t *pi, struct binding *b)
{
	const struct token *t = &tk->t[*pi];
	size_t n = cmd_nparams(cmd);

	/* A bare word equal to a keyword parameter ("all") sets it. */
	for (size_t i = 0; i < n; i++) {
		const struct param *p = &cmd->params[i];
		if (p->type == PT_KEYWORD && !t->quoted &&
		    match_exact(t->value, p->tag))
			return add_value(sh, cmd, i, t->value, *pi, b);
	}
	for (size_t i = 0; i < n; i++) {
		const struct param *p = &cmd->params[i];
		if (!(p->flags & P_POS) || b->a.v[i].given ||
		    alt_taken(cmd, b, p->alt))
			continue;
		if (p->type == PT_WORDS) {
			char line[LEX_LINE_MAX];
			if (lex_join(tk, *pi, line, sizeof(line)) < 0) {
				shell_err(sh, "%s: the line is too long.",
					  cmd->name);
				return -1;
			}
			size_t at = *pi;
			*pi = tk->n - 1;
			return add_value(sh, cmd, i, line, at, b);
		}
		return add_value(sh, cmd, i, t->value, *pi, b);
	}
	shell_err(sh, "%s: unexpected value \"%s\". Type \"%s ?\" for help.",
		  cmd->name, t->value, cmd->name);
	return -1;
}

static int
bind_tagged(struct shell *sh, const struct command *cmd,
	    const struct token *t, size_t order, struct binding *b)
{
	const char *tags[64];
	size_t n = tag_list(cmd, tags, 64);
	int i = match_word(t->tag, tags, n);
	char list[512];

	if (i == MATCH_AMBIGUOUS) {
		match_list(t->tag, tags, n, list, sizeof(list));
		shell_err(sh, "%s: the tag \"%s\" is ambiguous: it could be %s.",
			  cmd->name, t->tag, list);
		return -1;
	}
	if (i < 0 || cmd->params[i].type == PT_KEYWORD) {
		size_t used = 0;
		list[0] = '\0';
		for (size_t k = 0; k < n && used < sizeof(list); k++) {
			if (cmd->params[k].type == PT_KEYWORD)
				continue;
			int w = snprintf(list + used, sizeof(list) - used,
					 "%s%s", used ? ", " : "", tags[k]);
			if (w < 0)
				break;
			used += (size_t)w;
		}
		if (n == 0)
			shell_err(sh, "%s: takes no parameters, but \"%s\" "
				      "was given.", cmd->name, t->tag);
		else
			shell_err(sh, "%s: \"%s\" is not a valid tag. Valid "
				      "tags: %s.", cmd->name, t->tag, list);
		return -1;
	}
	return add_value(sh, cmd, (size_t)i, t->value, order, b);
}

static int
check_required(struct shell *sh, const struct command *cmd,
	       struct binding *b)
{
	size_t n = cmd_nparams(cmd);
	char missing[512] = "";

	for (size_t i = 0; i < n; i++) {
		const struct param *p = &cmd->params[i];
		bool ok;
		if (!(p->flags & P_REQ))
			continue;
		ok = p->alt ? alt_taken(cmd, b, p->alt) : b->a.v[i].given;
		if (ok)
			continue;
		/* Name the group once, by its members. */
		if (p->alt != 0) {
			bool first = true;
			for (size_t k = 0; k < i; k++)
				if (cmd->params[k].alt == p->alt &&
				    (cmd->params[k].flags & P_REQ))
					first = false;
			if (!first)
				continue;
		}
		size_t used = strlen(missing);
		snprintf(missing + used, sizeof(missing) - used, "%s%s",
			 used ? ", " : "", p->tag);
		if (p->alt != 0)
			for (size_t k = i + 1; k < n; k++)
				if (cmd->params[k].alt == p->alt) {
					used = strlen(missing);
					snprintf(missing + used,
						 sizeof(missing) - used,
						 " or %s", cmd->params[k].tag);
				}
	}
	if (missing[0] == '\0')
		return 0;
	shell_err(sh, "%s: One or more essential parameters were not "
		      "entered. Verify the required parameters, and reenter "
		      "them. (missing: %s)", cmd->name, missing);
	return -1;
}

static int
apply_defaults(struct shell *sh, const struct command *cmd,
	       struct binding *b)
{
	size_t n = cmd_nparams(cmd);

	for (size_t i = 0; i < n; i++) {
		const struct param *p = &cmd->params[i];
		struct arg *a = &b->a.v[i];
		char err[512];
		if (a->given || p->def == NULL || alt_taken(cmd, b, p->alt))
			continue;
		/* Defaults are table data: a failure here is a bug. */
		a->order = SIZE_MAX;
		if (convert(sh, cmd, p, p->def, b, &a->text, &a->num, err,
			    sizeof(err)) < 0) {
			shell_err(sh, "%s: bad default for %s: %s", cmd->name,
				  p->tag, err);
			return -1;
		}
	}
	return 0;
}

int
bind_args(struct shell *sh, const struct command *cmd,
	  const struct context *ctx, const struct tokens *tk, size_t first,
	  struct binding *b)
{
	size_t n = cmd_nparams(cmd);

	memset(b, 0, sizeof(*b));
	b->a.cmd = cmd;
	b->a.ctx = ctx;
	b->a.n = n;
	b->a.v = calloc(n ? n : 1, sizeof(*b->a.v));
	if (b->a.v == NULL) {
		shell_err(sh, "%s: out of memory.", cmd->name);
		return -1;
	}
	for (size_t i = first; i < tk->n; i++) {
		const struct token *t = &tk->t[i];
		int rc = t->tag != NULL ? bind_tagged(sh, cmd, t, i, b)
					: bind_positional(sh, cmd, tk, &i, b);
		if (rc < 0)
			return -1;
	}
	if (check_required(sh, cmd, b) < 0)
		return -1;
	return apply_defaults(sh, cmd, b);
}

const struct arg *
arg_find(const struct args *a, const char *tag)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->cmd->params[i].tag, tag) == 0)
			return &a->v[i];
	return NULL;
}

const struct arg *
arg_get(const struct args *a, const char *tag)
{
	const struct arg *v = arg_find(a, tag);

	assert(v != NULL && "arg_get: the command has no such tag");
	return v;
}

bool
arg_given(const struct args *a, const char *tag)
{
	return arg_get(a, tag)->given;
}

const char *
arg_text(const struct args *a, const char *tag)
{
	return arg_get(a, tag)->text;
}

long
arg_num(const struct args *a, const char *tag)
{
	return arg_get(a, tag)->num;
}
