/*
 * test_lex.c - the lexer, prefix matching and command resolution.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cmd.h"
#include "lex.h"
#include "match.h"
#include "resolve.h"

static void
lex_ok(const char *line, struct tokens *tk)
{
	char err[256];

	assert_int_equal(lex_line(line, tk, err, sizeof(err)), 0);
}

static void
test_words_and_tags(void **state)
{
	struct tokens tk;

	(void)state;
	lex_ok("  add policy name=Red  mmpfs=yes\t", &tk);
	assert_int_equal(tk.n, 4);
	assert_null(tk.t[0].tag);
	assert_string_equal(tk.t[0].value, "add");
	assert_string_equal(tk.t[1].value, "policy");
	assert_string_equal(tk.t[2].tag, "name");
	assert_string_equal(tk.t[2].value, "Red");
	assert_string_equal(tk.t[3].tag, "mmpfs");
	assert_string_equal(tk.t[3].value, "yes");
	lex_free(&tk);
}

static void
test_quotes(void **state)
{
	struct tokens tk;

	(void)state;
	lex_ok("add policy name=\"Red Blue\" \"a=b c\" de\"f g\"h", &tk);
	assert_int_equal(tk.n, 5);
	assert_string_equal(tk.t[2].tag, "name");
	assert_string_equal(tk.t[2].value, "Red Blue");
	assert_true(tk.t[2].quoted);
	/* A quoted '=' does not make a tag. */
	assert_null(tk.t[3].tag);
	assert_string_equal(tk.t[3].value, "a=b c");
	assert_string_equal(tk.t[4].value, "def gh");
	lex_free(&tk);

	lex_ok("x qmsec=\"AH[MD5]:204800k/300s ESP[DES,SHA1]\"", &tk);
	assert_string_equal(tk.t[1].value, "AH[MD5]:204800k/300s ESP[DES,SHA1]");
	lex_free(&tk);

	lex_ok("x rootca=\"CN=Root, O=X certmap:yes\"", &tk);
	assert_string_equal(tk.t[1].tag, "rootca");
	assert_string_equal(tk.t[1].value, "CN=Root, O=X certmap:yes");
	lex_free(&tk);
}

static void
test_blanks_around_equals(void **state)
{
	struct tokens tk;

	(void)state;
	lex_ok("add filteraction name = \"Blocker\" action= block mir =no",
	       &tk);
	assert_int_equal(tk.n, 5);
	assert_string_equal(tk.t[2].tag, "name");
	assert_string_equal(tk.t[2].value, "Blocker");
	assert_string_equal(tk.t[3].tag, "action");
	assert_string_equal(tk.t[3].value, "block");
	assert_string_equal(tk.t[4].tag, "mir");
	assert_string_equal(tk.t[4].value, "no");
	lex_free(&tk);

	lex_ok("set x desc=", &tk);
	assert_string_equal(tk.t[2].tag, "desc");
	assert_string_equal(tk.t[2].value, "");
	lex_free(&tk);
}

static void
test_comments_and_blank(void **state)
{
	struct tokens tk;
	char err[64];

	(void)state;
	assert_int_equal(lex_line("", &tk, err, sizeof(err)), 1);
	assert_int_equal(lex_line("   \t\r\n", &tk, err, sizeof(err)), 1);
	assert_int_equal(lex_line("# add policy x", &tk, err, sizeof(err)), 1);
	assert_int_equal(lex_line("   # indented", &tk, err, sizeof(err)), 1);
	/* '#' inside a line is an ordinary character. */
	lex_ok("add policy name=a#b", &tk);
	assert_string_equal(tk.t[2].value, "a#b");
	lex_free(&tk);
}

static void
test_lex_errors(void **state)
{
	struct tokens tk;
	char err[128];
	char big[LEX_LINE_MAX + 10];

	(void)state;
	assert_int_equal(lex_line("add \"open", &tk, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not closed"));
	assert_int_equal(lex_line("x name=\"open", &tk, err, sizeof(err)), -1);
	assert_int_equal(lex_line("=value", &tk, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "without a tag"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(lex_line(big, &tk, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than"));
	{
		char many[LEX_TOKENS_MAX * 2 + 8];
		size_t k = 0;
		for (int i = 0; i < LEX_TOKENS_MAX + 1; i++) {
			many[k++] = 'w';
			many[k++] = ' ';
		}
		many[k] = '\0';
		assert_int_equal(lex_line(many, &tk, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "more than"));
	}
}

static void
test_quote_and_join_round_trip(void **state)
{
	struct tokens tk, back;
	char line[512];

	(void)state;
	lex_ok("add rule name=\"Red Blue\" psk=\"a b=c\" x \"\" tag=", &tk);
	assert_int_equal(lex_join(&tk, 0, line, sizeof(line)), 0);
	lex_ok(line, &back);
	assert_int_equal(back.n, tk.n);
	for (size_t i = 0; i < tk.n; i++) {
		if (tk.t[i].tag == NULL)
			assert_null(back.t[i].tag);
		else
			assert_string_equal(back.t[i].tag, tk.t[i].tag);
		assert_string_equal(back.t[i].value, tk.t[i].value);
	}
	lex_free(&tk);
	lex_free(&back);
}

/* Words the lexer can read must come back from lex_join unchanged, even
 * with a quoted tag or a carriage return in a value. */
static void
test_join_quotes_what_splits(void **state)
{
	struct tokens tk, back;
	char line[512];

	(void)state;
	lex_ok("x \"a b\"=c \"d\re\" f=\"g\rh\"", &tk);
	assert_string_equal(tk.t[1].tag, "a b");
	assert_string_equal(tk.t[2].value, "d\re");
	assert_int_equal(lex_join(&tk, 0, line, sizeof(line)), 0);
	lex_ok(line, &back);
	assert_int_equal(back.n, 4);
	assert_string_equal(back.t[1].tag, "a b");
	assert_string_equal(back.t[1].value, "c");
	assert_string_equal(back.t[2].value, "d\re");
	assert_string_equal(back.t[3].value, "g\rh");
	lex_free(&tk);
	lex_free(&back);
}

static void
test_match_word(void **state)
{
	const char *const c[] = {"filter", "filteraction", "filterlist",
				 "policy"};

	(void)state;
	/* Exact beats prefix. */
	assert_int_equal(match_word("filter", c, 4), 0);
	assert_int_equal(match_word("FILTER", c, 4), 0);
	assert_int_equal(match_word("filterl", c, 4), 2);
	assert_int_equal(match_word("filt", c, 4), MATCH_AMBIGUOUS);
	assert_int_equal(match_word("p", c, 4), 3);
	assert_int_equal(match_word("x", c, 4), MATCH_NONE);
	assert_int_equal(match_word("", c, 4), MATCH_NONE);
	assert_int_equal(match_word("policyx", c, 4), MATCH_NONE);
}

static void
test_match_list(void **state)
{
	const char *const c[] = {"mmpfs", "mmlifetime", "mmsecmethods",
				 "name"};
	char buf[128];

	(void)state;
	match_list("mm", c, 4, buf, sizeof(buf));
	assert_string_equal(buf, "mmpfs, mmlifetime or mmsecmethods");
	match_list("n", c, 4, buf, sizeof(buf));
	assert_string_equal(buf, "name");
}

static void
resolve_line(const struct context *cur, const char *line, struct resolved *r)
{
	struct tokens tk;

	lex_ok(line, &tk);
	resolve(cur, &tk, r);
	lex_free(&tk);
}

static void
test_resolve_commands(void **state)
{
	struct resolved r;

	(void)state;
	resolve_line(&ctx_static, "sh po all", &r);
	assert_int_equal(r.kind, RES_COMMAND);
	assert_string_equal(r.cmd->name, "show policy");
	assert_int_equal(r.next, 2);

	resolve_line(&ctx_static, "add filter filterlist=x", &r);
	assert_int_equal(r.kind, RES_COMMAND);
	assert_string_equal(r.cmd->name, "add filter");

	resolve_line(&ctx_static, "ADD FILTERL x", &r);
	assert_string_equal(r.cmd->name, "add filterlist");

	resolve_line(&ctx_static, "add filt x", &r);
	assert_int_equal(r.kind, RES_AMBIGUOUS);
	assert_non_null(strstr(r.msg, "filter, filteraction or filterlist"));

	/* "show al" could be show all or the global show alias. */
	resolve_line(&ctx_static, "show al", &r);
	assert_int_equal(r.kind, RES_AMBIGUOUS);
	resolve_line(&ctx_static, "show all", &r);
	assert_string_equal(r.cmd->name, "show all");
	resolve_line(&ctx_static, "show alias", &r);
	assert_string_equal(r.cmd->name, "show alias");

	resolve_line(&ctx_static, "show", &r);
	assert_int_equal(r.kind, RES_INCOMPLETE);
	assert_string_equal(r.prefix, "show");

	resolve_line(&ctx_static, "frobnicate", &r);
	assert_int_equal(r.kind, RES_NONE);
}

static void
test_resolve_contexts(void **state)
{
	struct resolved r;

	(void)state;
	resolve_line(&ctx_root, "ipsec", &r);
	assert_int_equal(r.kind, RES_CONTEXT);
	assert_ptr_equal(r.ctx, &ctx_ipsec);

	resolve_line(&ctx_root, "ipsec static", &r);
	assert_int_equal(r.kind, RES_CONTEXT);
	assert_ptr_equal(r.ctx, &ctx_static);

	/* Shortcut from root. */
	resolve_line(&ctx_root, "stat", &r);
	assert_ptr_equal(r.ctx, &ctx_static);
	resolve_line(&ctx_root, "dyn", &r);
	assert_ptr_equal(r.ctx, &ctx_dynamic);

	/* A full path runs a command without moving. */
	resolve_line(&ctx_root, "ipsec static show all", &r);
	assert_int_equal(r.kind, RES_COMMAND);
	assert_string_equal(r.cmd->name, "show all");
	assert_ptr_equal(r.ctx, &ctx_static);

	/* ... also from another context. */
	resolve_line(&ctx_dynamic, "ipsec static add policy x", &r);
	assert_int_equal(r.kind, RES_COMMAND);
	assert_string_equal(r.cmd->name, "add policy");
	assert_int_equal(r.next, 4);

	/* "s" in ipsec: static or show (alias). */
	resolve_line(&ctx_ipsec, "s", &r);
	assert_int_equal(r.kind, RES_AMBIGUOUS);

	/* Globals everywhere. */
	resolve_line(&ctx_static, "..", &r);
	assert_int_equal(r.kind, RES_COMMAND);
	assert_string_equal(r.cmd->name, "..");
	resolve_line(&ctx_static, "?", &r);
	assert_string_equal(r.cmd->name, "?");
	resolve_line(&ctx_root, "static ?", &r);
	assert_int_equal(r.kind, RES_COMMAND);
	assert_ptr_equal(r.ctx, &ctx_static);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words_and_tags),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_blanks_around_equals),
		cmocka_unit_test(test_comments_and_blank),
		cmocka_unit_test(test_lex_errors),
		cmocka_unit_test(test_quote_and_join_round_trip),
		cmocka_unit_test(test_join_quotes_what_splits),
		cmocka_unit_test(test_match_word),
		cmocka_unit_test(test_match_list),
		cmocka_unit_test(test_resolve_commands),
		cmocka_unit_test(test_resolve_contexts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
