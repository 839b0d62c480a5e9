/*
 * test_bind.c - binding words to parameters: tags by prefix, positional
 * values in order, keywords, alternatives, repeats, required parameters,
 * defaults, and conversion of every argument type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bind.h"
#include "lex.h"
#include "shell.h"

static const char *const colours[] = {"red", "green", "grey", NULL};

static enum cmd_status
nop(struct shell *sh, const struct args *a)
{
	(void)sh;
	(void)a;
	return CMD_OK;
}

static const struct param params[] = {
	{.tag = "name", .type = PT_NAME, .flags = P_REQ | P_POS, .alt = 1},
	{.tag = "guid", .type = PT_GUID, .flags = P_REQ, .alt = 1},
	{.tag = "all", .type = PT_KEYWORD, .flags = P_REQ, .alt = 1},
	{.tag = "count", .type = PT_INT, .flags = P_POS, .min = 5,
	 .max = 2880, .def = "480"},
	{.tag = "colour", .type = PT_ENUM, .flags = P_POS,
	 .choices = colours},
	{.tag = "flag", .type = PT_BOOL, .flags = P_POS, .def = "no"},
	{.tag = "addr", .type = PT_ADDR},
	{.tag = "port", .type = PT_PORT},
	{.tag = "proto", .type = PT_PROTOCOL},
	{.tag = "mmsec", .type = PT_MMSEC},
	{.tag = "qmsec", .type = PT_QMSEC},
	{.tag = "ca", .type = PT_ROOTCA, .flags = P_MULTI},
	{.tag = "key", .type = PT_SECRET},
	{0},
};

static const struct command cmd = {.name = "test cmd", .help = "t",
				   .fn = nop, .params = params};

struct fixture {
	struct shell sh;
	char *errbuf;
	size_t errlen;
	struct binding b;
	struct tokens tk;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	shell_init(&f->sh);
	f->sh.err = open_memstream(&f->errbuf, &f->errlen);
	f->sh.out = f->sh.err;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	binding_free(&f->b);
	lex_free(&f->tk);
	fclose(f->sh.err);
	f->sh.err = stderr;
	f->sh.out = stdout;
	shell_finish(&f->sh);
	free(f->errbuf);
	free(f);
	return 0;
}

/* Binds line to cmd; returns bind_args' result.  Messages in f->errbuf. */
static int
bind(struct fixture *f, const char *line)
{
	char err[128];

	binding_free(&f->b);
	lex_free(&f->tk);
	assert_int_equal(lex_line(line, &f->tk, err, sizeof(err)), 0);
	fflush(f->sh.err);
	rewind(f->sh.err);
	memset(f->errbuf, 0, f->errlen);
	return bind_args(&f->sh, &cmd, &ctx_static, &f->tk, 0, &f->b);
}

static const char *
errs(struct fixture *f)
{
	fflush(f->sh.err);
	return f->errbuf;
}

static void
test_tags_and_positional(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(bind(f, "Red 600 gr"), -1); /* green or grey */
	assert_non_null(strstr(errs(f), "ambiguous"));
	assert_non_null(strstr(errs(f), "green or grey"));

	assert_int_equal(bind(f, "Red 600 gre"), -1);
	assert_int_equal(bind(f, "Red 600 red y"), 0);
	assert_string_equal(arg_text(&f->b.a, "name"), "Red");
	assert_int_equal(arg_num(&f->b.a, "count"), 600);
	assert_int_equal(arg_num(&f->b.a, "colour"), 0);
	assert_int_equal(arg_num(&f->b.a, "flag"), 1);
	assert_string_equal(arg_text(&f->b.a, "flag"), "yes");

	/* Tags by unique prefix, any order, mixed with positionals. */
	assert_int_equal(bind(f, "COL=GREEN n=Blue 700"), 0);
	assert_string_equal(arg_text(&f->b.a, "name"), "Blue");
	assert_int_equal(arg_num(&f->b.a, "count"), 700);
	assert_string_equal(arg_text(&f->b.a, "colour"), "green");
}

static void
test_defaults_and_required(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(bind(f, "name=x"), 0);
	assert_true(!arg_given(&f->b.a, "count"));
	assert_string_equal(arg_text(&f->b.a, "count"), "480");
	assert_int_equal(arg_num(&f->b.a, "count"), 480);
	assert_null(arg_text(&f->b.a, "colour"));

	assert_int_equal(bind(f, "count=10"), -1);
	assert_non_null(strstr(errs(f), "essential parameters"));
	assert_non_null(strstr(errs(f), "name or guid or all"));
}

static void
test_alternatives_and_keywords(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(bind(f, "all"), 0);
	assert_true(arg_given(&f->b.a, "all"));
	assert_true(!arg_given(&f->b.a, "name"));

	assert_int_equal(bind(f, "name=x all"), -1);
	assert_non_null(strstr(errs(f), "give only one of name, guid or all"));

	assert_int_equal(bind(f, "guid={11E6E97E-0031-49f5-AC7D-5F2FE99BABAF}"),
			 0);
	assert_string_equal(arg_text(&f->b.a, "guid"),
			    "{11E6E97E-0031-49F5-AC7D-5F2FE99BABAF}");
	/* With guid given, a positional value goes to the next slot. */
	assert_int_equal(bind(f, "guid={11E6E97E-0031-49f5-AC7D-5F2FE99BABAF} "
				 "100"),
			 0);
	assert_int_equal(arg_num(&f->b.a, "count"), 100);
	/* "all" quoted is a value, not the keyword. */
	assert_int_equal(bind(f, "\"all\""), 0);
	assert_string_equal(arg_text(&f->b.a, "name"), "all");
}

static void
test_errors_quote_the_token(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(bind(f, "x colour=blue"), -1);
	assert_non_null(strstr(errs(f), "\"blue\" is not valid for colour: "
					"use red, green or grey."));
	assert_int_equal(bind(f, "x count=4"), -1);
	assert_non_null(strstr(errs(f), "count=4 is out of range: use "
					"5-2880."));
	assert_int_equal(bind(f, "x count=12abc"), -1);
	assert_non_null(strstr(errs(f), "\"12abc\" is not a valid integer"));
	assert_int_equal(bind(f, "x flag=maybe"), -1);
	assert_non_null(strstr(errs(f), "use yes or no"));
	assert_int_equal(bind(f, "x shape=round"), -1);
	assert_non_null(strstr(errs(f), "\"shape\" is not a valid tag"));
	assert_int_equal(bind(f, "x c=1"), -1); /* count, colour, ca */
	assert_non_null(strstr(errs(f), "ambiguous"));
	assert_int_equal(bind(f, "x count=6 count=7"), -1);
	assert_non_null(strstr(errs(f), "more than once"));
	assert_int_equal(bind(f, "x 6 red no extra"), -1);
	assert_non_null(strstr(errs(f), "unexpected value \"extra\""));
	assert_int_equal(bind(f, "x addr=300.1.1.1"), -1);
	assert_non_null(strstr(errs(f), "300.1.1.1"));
	assert_int_equal(bind(f, "x port=65536"), -1);
	assert_int_equal(bind(f, "x proto=xyz"), -1);
	assert_int_equal(bind(f, "x key="), -1);
	assert_non_null(strstr(errs(f), "key needs a value"));
}

static void
test_types_canonical(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(bind(f, "x addr=10.0.0.1-10.0.0.9 port=80 proto=t "
				 "mmsec=\"aes128-sha256-14 3des-sha1-3\" "
				 "qmsec=esp[aes128gcm]"),
			 0);
	assert_string_equal(arg_text(&f->b.a, "addr"), "10.0.0.1-10.0.0.9");
	assert_int_equal(arg_num(&f->b.a, "port"), 80);
	assert_int_equal(arg_num(&f->b.a, "proto"), 6);
	assert_string_equal(arg_text(&f->b.a, "proto"), "TCP");
	assert_string_equal(arg_text(&f->b.a, "mmsec"),
			    "AES128-SHA256-14 3DES-SHA1-3");
	assert_string_equal(arg_text(&f->b.a, "qmsec"),
			    "ESP[AES128GCM]:100000k/3600s");
}

static void
test_repeated_tag_keeps_order(void **state)
{
	struct fixture *f = *state;
	const struct arg *ca, *key;

	assert_int_equal(bind(f, "x ca=\"a.pem\" key=s ca=\"CN=B certmap:y\""),
			 0);
	ca = arg_get(&f->b.a, "ca");
	key = arg_get(&f->b.a, "key");
	assert_int_equal(ca->count, 2);
	assert_string_equal(ca->texts[0],
			    "a.pem certmap:no excludecaname:no");
	assert_string_equal(ca->texts[1],
			    "CN=B certmap:yes excludecaname:no");
	assert_true(ca->orders[0] < key->order);
	assert_true(key->order < ca->orders[1]);
}

/* A line break could never be dumped back as one command line. */
static void
test_line_break_refused(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(bind(f, "x key=\"a\rb\""), -1);
	assert_non_null(strstr(errs(f), "line break"));
}

static void
test_warnings_do_not_fail(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(bind(f, "x mmsec=DES-MD5-1"), 0);
	assert_non_null(strstr(errs(f), "DES"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tags_and_positional,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults_and_required,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_alternatives_and_keywords,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_quote_the_token,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_types_canonical, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_repeated_tag_keeps_order,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_break_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_warnings_do_not_fail,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
