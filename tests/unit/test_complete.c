/*
 * test_complete.c - Tab completion: command words, contexts, tags,
 * enumerated values and object names from the store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "complete.h"
#include "shell.h"

struct fixture {
	struct shell sh;
	char dir[64];
	char path[128];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/ipsecsh-complete-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/policy.db", f->dir);
	shell_init(&f->sh);
	f->sh.store_path = strdup(f->path);
	f->sh.out = fopen("/dev/null", "w");
	assert_int_equal(shell_run_line(&f->sh, "ipsec static add policy Red"),
			 CMD_OK);
	assert_int_equal(shell_run_line(&f->sh, "ipsec static add policy "
						"\"Blue Team\""),
			 CMD_OK);
	assert_int_equal(shell_run_line(&f->sh, "ipsec static add filterlist "
						"Web"),
			 CMD_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[256];

	fclose(f->sh.out);
	f->sh.out = stdout;
	shell_finish(&f->sh);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Completes the last word of line; returns the candidates joined. */
static const char *
complete(struct fixture *f, const char *line, char *buf, size_t len)
{
	struct completions c;
	const char *word = strrchr(line, ' ');

	word = word ? word + 1 : line;
	complete_line(&f->sh, line, strlen(line), word, &c);
	buf[0] = '\0';
	for (size_t i = 0; i < c.n; i++) {
		strncat(buf, c.v[i], len - strlen(buf) - 1);
		strncat(buf, "|", len - strlen(buf) - 1);
	}
	completions_free(&c);
	return buf;
}

static void
test_command_words(void **state)
{
	struct fixture *f = *state;
	char buf[2048];

	assert_string_equal(complete(f, "ipsec st", buf, sizeof(buf)),
			    "static|");
	assert_string_equal(complete(f, "ipsec static add f", buf,
				     sizeof(buf)),
			    "filter|filteraction|filterlist|");
	assert_string_equal(complete(f, "ipsec static show g", buf,
				     sizeof(buf)),
			    "gpoassignedpolicy|");
	assert_non_null(strstr(complete(f, "", buf, sizeof(buf)), "ipsec|"));
	assert_non_null(strstr(buf, "static|"));
	assert_non_null(strstr(buf, "exit|"));
	/* Inside a context. */
	f->sh.cur = &ctx_static;
	assert_string_equal(complete(f, "del", buf, sizeof(buf)), "delete|");
	assert_string_equal(complete(f, "delete filterl", buf, sizeof(buf)),
			    "filterlist|");
	f->sh.cur = &ctx_root;
}

static void
test_tags_and_values(void **state)
{
	struct fixture *f = *state;
	char buf[2048];

	assert_string_equal(complete(f, "ipsec static add policy x m", buf,
				     sizeof(buf)),
			    "mmlifetime=|mmpfs=|mmsecmethods=|");
	assert_string_equal(complete(f, "ipsec static add filteraction x "
					"action=n",
				     buf, sizeof(buf)),
			    "action=negotiate|");
	assert_string_equal(complete(f, "ipsec static add policy x mmpfs=", buf,
				     sizeof(buf)),
			    "mmpfs=no|mmpfs=yes|");
	/* Tags already given are not offered again. */
	assert_null(strstr(complete(f, "ipsec static add policy x mmpfs=no mm",
				    buf, sizeof(buf)),
			   "mmpfs="));
}

static void
test_object_names(void **state)
{
	struct fixture *f = *state;
	char buf[2048];

	assert_string_equal(complete(f, "ipsec static set policy name=R", buf,
				     sizeof(buf)),
			    "name=Red|");
	assert_string_equal(complete(f, "ipsec static show policy ", buf,
				     sizeof(buf)),
			    "\"Blue Team\"|Red|all|format=|level=|name=|wide=|");
	/* A name with a blank completes from its first letters, quoted. */
	assert_string_equal(complete(f, "ipsec static show policy B", buf,
				     sizeof(buf)),
			    "\"Blue Team\"|");
	assert_string_equal(complete(f, "ipsec static add filter filterlist=",
				     buf, sizeof(buf)),
			    "filterlist=Web|");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_command_words, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tags_and_values, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_object_names, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
