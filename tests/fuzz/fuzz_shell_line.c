/*
 * fuzz_shell_line.c - libFuzzer target for the shell's command line: the
 * bytes a user types, a script holds or a one-shot caller passes.
 *
 * Input: one command line (bytes up to the first NUL).  It is lexed
 * (lex_line), resolved from each context (root, ipsec static, ipsec
 * dynamic) and, where it names a command, bound to the command's
 * parameters (bind_args), which converts every value through its parser
 * in store/vocab.c.  Masks, which the filter handlers check against their
 * address, are canonicalised here the same way.  No handler runs: the
 * store is never opened.
 *
 * Besides "never crash, leak or trip UBSan", it checks what the rest of
 * the shell relies on:
 *   - lex_join writes words the lexer reads back as the same words (alias
 *     expansion, alias definitions and one-shot argv depend on it);
 *   - resolve returns a command or context with next within the line;
 *   - each canonical value the binder produces is a fixed point of its
 *     parser: parsing it again gives the same text (the store keeps the
 *     canonical text and dump/export write it back as input).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "cmd.h"
#include "lex.h"
#include "resolve.h"
#include "shell.h"
#include "vocab.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct shell sh;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	shell_init(&sh);
	/* Error and warning lines are what the binder is expected to
	 * produce; they are not checked here. */
	sh.out = fopen("/dev/null", "w");
	sh.err = sh.out;
	if (sh.out == NULL)
		abort();
	return 0;
}

static void
fail(const char *what, const char *a, const char *b)
{
	fprintf(stderr,
		"fuzz_shell_line: %s\n  first:  \"%s\"\n  second: \"%s\"\n",
		what, a, b != NULL ? b : "(null)");
	abort();
}

/* The words of tk, joined and lexed again, are the same words. */
static void
check_join(const struct tokens *tk)
{
	static char line[LEX_LINE_MAX];
	struct tokens again;
	char err[256];
	int lx;

	if (lex_join(tk, 0, line, sizeof(line)) < 0)
		return; /* too long once quoted: refused, not mangled */
	lx = lex_line(line, &again, err, sizeof(err));
	if (lx != 0)
		fail("joined words do not lex back", tk->t[0].value, line);
	if (again.n != tk->n)
		fail("joined words lex back as another number of words",
		     tk->t[0].value, line);
	for (size_t i = 0; i < tk->n; i++) {
		const struct token *x = &tk->t[i], *y = &again.t[i];

		if ((x->tag == NULL) != (y->tag == NULL) ||
		    (x->tag != NULL && strcmp(x->tag, y->tag) != 0))
			fail("a tag changed through lex_join",
			     x->tag != NULL ? x->tag : "(bare)",
			     y->tag != NULL ? y->tag : "(bare)");
		if (strcmp(x->value, y->value) != 0)
			fail("a value changed through lex_join", x->value,
			     y->value);
	}
	lex_free(&again);
}

/* Parses canonical text of a value of type p again; it must not change. */
static void
check_canonical(const struct param *p, const char *text)
{
	char err[VOCAB_ERR_MAX], warn[1024], again[4096];
	int v;

	again[0] = '\0';
	switch (p->type) {
	case PT_ADDR: {
		struct addr_spec as;
		if (vocab_addr_parse(text, &as, err, sizeof(err)) < 0)
			fail("canonical address refused", text, err);
		vocab_addr_format(&as, again, sizeof(again));
		break;
	}
	case PT_PORT:
		if (vocab_port_parse(text, &v, err, sizeof(err)) < 0)
			fail("canonical port refused", text, err);
		snprintf(again, sizeof(again), "%d", v);
		break;
	case PT_PROTOCOL:
		if (vocab_protocol_parse(text, &v, err, sizeof(err)) < 0)
			fail("canonical protocol refused", text, err);
		vocab_protocol_format(v, again, sizeof(again));
		break;
	case PT_MMSEC: {
		struct mm_methods m;
		if (vocab_mmsec_parse(text, &m, err, sizeof(err), warn,
				      sizeof(warn)) < 0)
			fail("canonical mmsecmethods refused", text, err);
		vocab_mmsec_format(&m, again, sizeof(again));
		break;
	}
	case PT_QMSEC: {
		struct qm_methods m;
		if (vocab_qmsec_parse(text, &m, err, sizeof(err), warn,
				      sizeof(warn)) < 0)
			fail("canonical qmsecmethods refused", text, err);
		vocab_qmsec_format(&m, again, sizeof(again));
		break;
	}
	case PT_QMOFFER: {
		struct qm_offer o;
		if (vocab_qmoffer_parse(text, &o, err, sizeof(err), warn,
					sizeof(warn)) < 0)
			fail("canonical quick mode offer refused", text, err);
		vocab_qmoffer_format(&o, again, sizeof(again));
		break;
	}
	case PT_PFSGROUP:
		if (vocab_pfsgroup_parse(text, &v, err, sizeof(err)) < 0)
			fail("canonical pfsgroup refused", text, err);
		vocab_pfsgroup_format(v, again, sizeof(again));
		break;
	case PT_ROOTCA: {
		struct rootca_spec r;
		if (vocab_rootca_parse(text, &r, err, sizeof(err)) < 0)
			fail("canonical rootca refused", text, err);
		vocab_rootca_format(&r, again, sizeof(again));
		break;
	}
	case PT_GUID: {
		char g[39];
		if (vocab_guid_parse(text, g, err, sizeof(err)) < 0)
			fail("canonical GUID refused", text, err);
		snprintf(again, sizeof(again), "%s", g);
		break;
	}
	case PT_NAME:
		if (vocab_name_check(text, p->tag, err, sizeof(err)) < 0)
			fail("accepted name refused", text, err);
		return;
	default:
		return;
	}
	if (strcmp(text, again) != 0)
		fail("canonical text is not a fixed point of its parser", text,
		     again);
}

/*
 * Masks are checked by the filter handlers against their address
 * (srcaddr with srcmask, dstaddr with dstmask); the result must be a
 * fixed point too.
 */
static void
check_mask(const struct args *a, const char *addr_tag, const char *mask_tag)
{
	const struct arg *addr = arg_find(a, addr_tag);
	const struct arg *mask = arg_find(a, mask_tag);
	struct addr_spec as;
	char err[VOCAB_ERR_MAX], canon[STORE_MASK_MAX], again[STORE_MASK_MAX];

	if (addr == NULL || mask == NULL || addr->text == NULL)
		return;
	if (vocab_addr_parse(addr->text, &as, err, sizeof(err)) < 0)
		fail("canonical address refused", addr->text, err);
	if (vocab_mask_canon(&as, mask->text, mask_tag, canon, sizeof(canon),
			     err, sizeof(err)) < 0)
		return;
	if (vocab_mask_canon(&as, canon, mask_tag, again, sizeof(again), err,
			     sizeof(err)) < 0)
		fail("canonical mask refused", canon, err);
	if (strcmp(canon, again) != 0)
		fail("canonical mask is not a fixed point", canon, again);
	if (canon[0] != '\0' && vocab_mask_prefix(canon) < 0)
		fail("canonical mask has no prefix length", canon, NULL);
}

static void
check_binding(const struct command *cmd, const struct binding *b)
{
	size_t n = cmd_nparams(cmd);

	if (b->a.n != n || b->a.cmd != cmd)
		fail("binding does not match its command", cmd->name, NULL);
	for (size_t i = 0; i < n; i++) {
		const struct param *p = &cmd->params[i];
		const struct arg *v = &b->a.v[i];

		if (v->given && v->text == NULL)
			fail("given parameter without text", p->tag, NULL);
		if (v->text != NULL)
			check_canonical(p, v->text);
		for (size_t k = 0; k < v->count; k++)
			check_canonical(p, v->texts[k]);
		if (p->type == PT_INT && v->text != NULL &&
		    (v->num < p->min || v->num > p->max))
			fail("integer out of its range", p->tag, v->text);
	}
	check_mask(&b->a, "srcaddr", "srcmask");
	check_mask(&b->a, "dstaddr", "dstmask");
}

static void
run(const struct context *ctx, const struct tokens *tk)
{
	struct resolved r;
	struct binding b;

	sh.cur = ctx;
	resolve(ctx, tk, &r);
	if (r.next > tk->n)
		fail("resolve consumed more words than the line has",
		     tk->t[0].value, NULL);
	switch (r.kind) {
	case RES_COMMAND:
		if (r.cmd == NULL || r.ctx == NULL)
			fail("command without table", tk->t[0].value, NULL);
		if (bind_args(&sh, r.cmd, r.ctx, tk, r.next, &b) == 0)
			check_binding(r.cmd, &b);
		binding_free(&b);
		break;
	case RES_CONTEXT:
	case RES_INCOMPLETE:
		if (r.ctx == NULL)
			fail("resolved without a context", tk->t[0].value,
			     NULL);
		break;
	case RES_NONE:
	case RES_AMBIGUOUS:
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct context *const ctxs[] = {&ctx_root, &ctx_static,
						     &ctx_dynamic};
	struct tokens tk;
	char err[256];
	char *line;

	/* A line never holds a NUL: the shell's readers refuse it. */
	line = malloc(size + 1);
	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (lex_line(line, &tk, err, sizeof(err)) == 0) {
		if (tk.n == 0)
			fail("a command line without words", line, NULL);
		check_join(&tk);
		for (size_t i = 0; i < sizeof(ctxs) / sizeof(ctxs[0]); i++)
			run(ctxs[i], &tk);
		lex_free(&tk);
	}
	free(line);
	return 0;
}
