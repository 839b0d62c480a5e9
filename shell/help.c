/*
 * help.c - listings and usage blocks, all read from the command tables.
 * Layout follows netsh (reference §1.2 and §1.4).
 */
#include "help.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bind.h"
#include "resolve.h"

static const char *const addr_hint =
	"(ipv4 | ipv6 | ipv4-ipv4 | ipv6-ipv6 | dns | server)";

void
help_value_hint(const struct param *p, char *buf, size_t len)
{
	size_t used = 0;

	switch (p->type) {
	case PT_STRING:
	case PT_NAME:
	case PT_FILE:
		snprintf(buf, len, "<string>");
		return;
	case PT_SECRET:
		snprintf(buf, len, "<preshared key>");
		return;
	case PT_INT:
		snprintf(buf, len, "<integer>");
		return;
	case PT_BOOL:
		snprintf(buf, len, "(yes | no)");
		return;
	case PT_ENUM:
		buf[0] = '\0';
		for (size_t i = 0; p->choices[i] != NULL && used < len; i++) {
			int w = snprintf(buf + used, len - used, "%s%s",
					 i == 0 ? "(" : " | ", p->choices[i]);
			if (w < 0)
				return;
			used += (size_t)w;
		}
		if (used + 1 < len)
			strcat(buf, ")");
		return;
	case PT_ADDR:
		snprintf(buf, len, "%s", addr_hint);
		return;
	case PT_MASK:
		snprintf(buf, len, "(mask | prefix)");
		return;
	case PT_PORT:
		snprintf(buf, len, "<port>");
		return;
	case PT_PROTOCOL:
		snprintf(buf, len, "(ANY | ICMP | TCP | UDP | RAW | <integer>)");
		return;
	case PT_MMSEC:
		snprintf(buf, len, "(sec#1 sec#2 ... sec#n)");
		return;
	case PT_QMSEC:
		snprintf(buf, len, "(neg#1 neg#2 ... neg#n)");
		return;
	case PT_QMOFFER:
		snprintf(buf, len, "<neg>");
		return;
	case PT_PFSGROUP:
		snprintf(buf, len, "(GRP1 | GRP2 | GRP3 | GRP14 | GRP15 | "
				   "GRP16 | GRP19 | GRP20 | GRP21 | GRP31 | "
				   "GRPMM | NOPFS)");
		return;
	case PT_ROOTCA:
		snprintf(buf, len, "\"<certificate> certmap:(yes | no) "
				   "excludecaname:(yes | no)\"");
		return;
	case PT_GUID:
		snprintf(buf, len, "<guid>");
		return;
	case PT_KEYWORD:
		snprintf(buf, len, "%s", p->tag);
		return;
	case PT_WORDS:
		snprintf(buf, len, "<words>");
		return;
	}
	snprintf(buf, len, "<value>");
}

/* One item of the syntax: "[ name = ] <string>" and its brackets. */
static void
syntax_item(const struct param *p, char *buf, size_t len)
{
	char hint[256];

	help_value_hint(p, hint, sizeof(hint));
	if (p->type == PT_KEYWORD)
		snprintf(buf, len, "%s", hint);
	else if (p->flags & P_POS)
		snprintf(buf, len, "[ %s = ] %s", p->tag, hint);
	else
		snprintf(buf, len, "%s = %s", p->tag, hint);
}

/*
 * Prints text from column col, breaking at blanks before column 79 and
 * starting continuation lines at column indent.
 */
static void
wrap(FILE *f, const char *text, size_t col, size_t indent)
{
	const size_t width = 79;
	const char *p = text;

	while (*p != '\0') {
		size_t room = col < width ? width - col : 1;
		size_t len = strlen(p), cut = len;

		if (len > room) {
			cut = room;
			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0) /* one long word: break after it */
				cut = strcspn(p, " ");
		}
		fprintf(f, "%.*s\n", (int)cut, p);
		p += cut;
		while (*p == ' ')
			p++;
		if (*p != '\0')
			fprintf(f, "%*s", (int)indent, "");
		col = indent;
	}
}

void
help_usage(FILE *f, const struct command *cmd)
{
	size_t n = cmd_nparams(cmd);
	size_t indent = strlen(cmd->name) + 1;
	size_t tagw = 14;

	fprintf(f, "\nUsage:\n  %s", cmd->name);
	for (size_t i = 0; i < n;) {
		const struct param *p = &cmd->params[i];
		char item[512], line[1024] = "";
		bool required = p->flags & P_REQ;
		size_t j = i;

		/* An alternative group prints as one line "a | b | c". */
		do {
			syntax_item(&cmd->params[j], item, sizeof(item));
			if (j > i)
				strncat(line, " | ",
					sizeof(line) - strlen(line) - 1);
			strncat(line, item, sizeof(line) - strlen(line) - 1);
			j++;
		} while (p->alt != 0 && j < n && cmd->params[j].alt == p->alt);
		if (i > 0)
			fprintf(f, "\n  %*s", (int)indent, "");
		else
			fprintf(f, " ");
		fprintf(f, required ? "%s" : "[ %s ]", line);
		if (p->flags & P_MULTI)
			fprintf(f, " ...");
		i = j;
	}
	fprintf(f, "\n\n  ");
	wrap(f, cmd->help, 2, 2);
	if (n > 0) {
		for (size_t i = 0; i < n; i++)
			if (strlen(cmd->params[i].tag) + 2 > tagw)
				tagw = strlen(cmd->params[i].tag) + 2;
		fprintf(f, "\nParameters:\n\n  %-*sValue\n", (int)tagw, "Tag");
		for (size_t i = 0; i < n; i++) {
			const struct param *p = &cmd->params[i];
			char text[2048];
			int used = snprintf(text, sizeof(text), "-%s", p->help);
			if (used > 0 && (p->flags & P_REQ))
				used += snprintf(text + used,
						 sizeof(text) - (size_t)used,
						 " Required.");
			if (used > 0 && p->def != NULL && p->type != PT_KEYWORD)
				used += snprintf(text + used,
						 sizeof(text) - (size_t)used,
						 " Default: %s.", p->def);
			if (used > 0 && p->type == PT_INT)
				snprintf(text + used, sizeof(text) - (size_t)used,
					 " Range: %ld-%ld.", p->min, p->max);
			fprintf(f, "  %-*s", (int)tagw, p->tag);
			wrap(f, text, 2 + tagw, 3 + tagw);
		}
	}
	if (cmd->remarks != NULL) {
		const char *r = cmd->remarks;
		int k = 1;
		fprintf(f, "\nRemarks:\n");
		while (*r != '\0') {
			size_t l = strcspn(r, "\n");
			char item[2048];
			snprintf(item, sizeof(item), "%.*s", (int)l, r);
			fprintf(f, "  %d. ", k++);
			wrap(f, item, 5, 5);
			r += l;
			if (*r == '\n')
				r++;
		}
	}
	if (cmd->example != NULL) {
		const char *e = cmd->example;
		fprintf(f, "\nExamples:\n\n");
		while (*e != '\0') {
			size_t l = strcspn(e, "\n");
			fprintf(f, "  %.*s\n", (int)l, e);
			e += l;
			if (*e == '\n')
				e++;
		}
	}
	fprintf(f, "\n");
}

struct listing {
	const struct command *cmds[256];
	size_t n;
};

static void
collect_cmd(const struct command *c, void *arg)
{
	struct listing *l = arg;

	if (l->n < sizeof(l->cmds) / sizeof(l->cmds[0]))
		l->cmds[l->n++] = c;
}

static int
by_name(const void *a, const void *b)
{
	const struct command *const *x = a, *const *y = b;

	return strcasecmp((*x)->name, (*y)->name);
}

static void
print_listing(FILE *f, struct listing *l)
{
	size_t w = 14;

	qsort(l->cmds, l->n, sizeof(l->cmds[0]), by_name);
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->cmds[i]->name) + 1 > w)
			w = strlen(l->cmds[i]->name) + 1;
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, "%-*s- %s\n", (int)w, l->cmds[i]->name,
			l->cmds[i]->help);
}

void
help_context(FILE *f, const struct context *ctx)
{
	struct listing l = {.n = 0};

	resolve_each_command(ctx, "", collect_cmd, &l);
	fprintf(f, "\nThe following commands are available:\n\n"
		   "Commands in this context:\n");
	print_listing(f, &l);
	if (ctx->children != NULL && ctx->children[0] != NULL) {
		fprintf(f, "\nThe following sub-contexts are available:\n");
		for (const struct context *const *c = ctx->children; *c; c++)
			fprintf(f, " %s", (*c)->name);
		fprintf(f, "\n");
	}
	fprintf(f, "\nTo view help for a command, type the command, followed "
		   "by a space, and then\n type ?.\n\n");
}

void
help_group(FILE *f, const struct context *ctx, const char *prefix)
{
	struct listing l = {.n = 0};

	resolve_each_command(ctx, prefix, collect_cmd, &l);
	fprintf(f, "\nThe following commands are available:\n\n"
		   "Commands in this context:\n");
	print_listing(f, &l);
	fprintf(f, "\n");
}
