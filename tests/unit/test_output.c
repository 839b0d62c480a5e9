/*
 * test_output.c - the show model (shell/output.c): exact documents in
 * each format, escaping, wide=no truncation and the failure paths.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>

#include <cmocka.h>

#include "output.h"

/* The document o renders to; the caller frees it. */
static char *
render(const struct out *o)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);

	assert_non_null(f);
	assert_int_equal(out_render(o, f), 0);
	assert_int_equal(fclose(f), 0);
	assert_non_null(p);
	return p;
}

/* Renders o, compares with want and frees o. */
static void
check(struct out *o, const char *want)
{
	char *got = render(o);

	assert_string_equal(got, want);
	free(got);
	out_free(o);
}

static char *
repeat(const char *s, size_t n)
{
	size_t len = strlen(s);
	char *p = malloc(len * n + 1);

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		memcpy(p + i * len, s, len);
	p[len * n] = '\0';
	return p;
}

/* Top-level fields and two policies: the top-level block first, then
 * the section; each object aligns its own labels. */
static void
build_policies(struct out *o)
{
	out_str(o, "store", "Store", "Local Store");
	out_int(o, "count", "Count", 2);
	out_section(o, "policies", "Policies");
	out_object(o);
	out_str(o, "name", "Policy Name", "Red");
	out_str(o, "description", "Description", "");
	out_bool(o, "assigned", "Assigned", true);
	out_int(o, "pollinginterval", "Polling Interval (min)", 180);
	out_object_end(o);
	out_object(o);
	out_str(o, "name", "Policy Name", "Blue");
	out_bool(o, "assigned", "Assigned", false);
	out_int(o, "offset", "Offset", -5);
	out_object_end(o);
	out_section_end(o);
}

static void
test_list_objects(void **state)
{
	struct out *o = out_new(OUT_LIST, true);

	(void)state;
	assert_non_null(o);
	assert_int_equal(out_format_of(o), OUT_LIST);
	build_policies(o);
	check(o, "Store : Local Store\n"
	         "Count : 2\n"
	         "\n"
	         "Policies\n"
	         "--------\n"
	         "\n"
	         "Policy Name            : Red\n"
	         "Description            :\n"
	         "Assigned               : YES\n"
	         "Polling Interval (min) : 180\n"
	         "\n"
	         "Policy Name : Blue\n"
	         "Assigned    : NO\n"
	         "Offset      : -5\n");
}

/* Builds policies > rules > filters, an empty nested section, and a
 * policy whose first field is empty. */
static void
build_nested(struct out *o)
{
	out_section(o, "policies", "Policies");
	out_object(o);
	out_str(o, "name", "Policy Name", "Red");
	out_int(o, "rules", "No. of Rules", 2);
	out_section(o, "rule_list", "Rules");
	out_object(o);
	out_str(o, "name", "Rule Name", "r1");
	out_bool(o, "activated", "Activated", true);
	out_section(o, "filters", "Filters");
	out_object(o);
	out_str(o, "src", "Source", "10.0.0.1");
	out_object_end(o);
	out_section_end(o);
	out_object_end(o);
	out_object(o);
	out_str(o, "name", "Rule Name", "r2");
	out_bool(o, "activated", "Activated", false);
	out_section(o, "filters", "Filters");
	out_section_end(o);
	out_object_end(o);
	out_section_end(o);
	out_section(o, "actions", "Filter Actions");
	out_section_end(o);
	out_object_end(o);
	out_object(o);
	out_str(o, "name", "Policy Name", "Blue");
	out_int(o, "rules", "No. of Rules", 0);
	out_object_end(o);
	out_object(o);
	out_str(o, "name", "Policy Name", "");
	out_int(o, "rules", "No. of Rules", 1);
	out_section(o, "rule_list", "Rules");
	out_object(o);
	out_str(o, "name", "Rule Name", "r9");
	out_object_end(o);
	out_section_end(o);
	out_object_end(o);
	out_section_end(o);
}

static void
test_list_nested(void **state)
{
	struct out *o = out_new(OUT_LIST, true);

	(void)state;
	build_nested(o);
	check(o, "Policies\n"
	         "--------\n"
	         "\n"
	         "Policy Name  : Red\n"
	         "No. of Rules : 2\n"
	         "\n"
	         "    Rules\n"
	         "    -----\n"
	         "\n"
	         "    Rule Name : r1\n"
	         "    Activated : YES\n"
	         "\n"
	         "        Filters\n"
	         "        -------\n"
	         "\n"
	         "        Source : 10.0.0.1\n"
	         "\n"
	         "    Rule Name : r2\n"
	         "    Activated : NO\n"
	         "\n"
	         "        Filters\n"
	         "        -------\n"
	         "\n"
	         "        None.\n"
	         "\n"
	         "    Filter Actions\n"
	         "    --------------\n"
	         "\n"
	         "    None.\n"
	         "\n"
	         "Policy Name  : Blue\n"
	         "No. of Rules : 0\n"
	         "\n"
	         "Policy Name  :\n"
	         "No. of Rules : 1\n"
	         "\n"
	         "    Rules\n"
	         "    -----\n"
	         "\n"
	         "    Rule Name : r9\n");
}

static void
test_list_empty(void **state)
{
	struct out *o = out_new(OUT_LIST, true);

	(void)state;
	out_section(o, "policies", "Policies");
	out_section_end(o);
	out_section(o, "filterlists", "Filter Lists");
	out_section_end(o);
	check(o, "Policies\n"
	         "--------\n"
	         "\n"
	         "None.\n"
	         "\n"
	         "Filter Lists\n"
	         "------------\n"
	         "\n"
	         "None.\n");

	/* Nothing at all: nothing is printed. */
	o = out_new(OUT_LIST, true);
	check(o, "");
	o = out_new(OUT_TABLE, true);
	check(o, "");
}

/* "show store": top-level fields only, added after no section. */
static void
test_list_fields_only(void **state)
{
	struct out *o = out_new(OUT_LIST, false);

	(void)state;
	out_str(o, "store", "Store", "Local Store");
	out_str(o, "location", "Location", "local");
	check(o, "Store    : Local Store\n"
	         "Location : local\n");
}

/* Trailing blanks go; controls, C1 controls and bytes that are not
 * UTF-8 show as '?'; well-formed UTF-8 passes and counts one column a
 * character. */
static void
test_list_sanitize(void **state)
{
	struct out *o = out_new(OUT_LIST, true);

	(void)state;
	out_section(o, "s", "Sé");
	out_object(o);
	out_str(o, "a", "Ab", "value   ");
	out_str(o, "b", "Été",
	        "a\tb\x1b[31mc\nd\x7f"
	        "e\xc2\x9b"
	        "f\xff"
	        "g\xe2\x82"
	        "h");
	out_str(o, "c", "C", "   ");
	out_object_end(o);
	out_section_end(o);
	check(o, "Sé\n"
	         "--\n"
	         "\n"
	         "Ab  : value\n"
	         "Été : a?b?[31mc?d?e?f?g??h\n"
	         "C   :\n");
}

static void
build_filters(struct out *o)
{
	out_str(o, "store", "Store", "Local Store");
	out_section(o, "filters", "Filters");
	out_object(o);
	out_str(o, "name", "Name", "f1");
	out_str(o, "protocol", "Protocol", "TCP");
	out_int(o, "port", "Port", 443);
	out_bool(o, "mirrored", "Mirrored", true);
	out_object_end(o);
	out_object(o);
	out_str(o, "name", "Name", "longer-name");
	out_bool(o, "mirrored", "Mirrored", false);
	out_str(o, "note", "Note", "x");
	out_object_end(o);
	out_object(o);
	out_str(o, "name", "Name", "f3");
	out_str(o, "protocol", "Protocol", "ANY");
	out_int(o, "port", "Port", 0);
	out_object_end(o);
	out_section_end(o);
}

static void
test_table(void **state)
{
	struct out *o = out_new(OUT_TABLE, true);

	(void)state;
	assert_int_equal(out_format_of(o), OUT_TABLE);
	build_filters(o);
	check(o, "Store : Local Store\n"
	         "\n"
	         "Filters\n"
	         "-------\n"
	         "\n"
	         "Name         Protocol  Port  Mirrored  Note\n"
	         "-------------------------------------------\n"
	         "f1           TCP       443   YES\n"
	         "longer-name                  NO        x\n"
	         "f3           ANY       0\n");
}

static void
test_table_nested(void **state)
{
	struct out *o = out_new(OUT_TABLE, true);

	(void)state;
	build_nested(o);
	check(o, "Policies\n"
	         "--------\n"
	         "\n"
	         "Policy Name  No. of Rules\n"
	         "-------------------------\n"
	         "Red          2\n"
	         "Blue         0\n"
	         "             1\n"
	         "\n"
	         "Rules of Red\n"
	         "------------\n"
	         "\n"
	         "Rule Name  Activated\n"
	         "--------------------\n"
	         "r1         YES\n"
	         "r2         NO\n"
	         "\n"
	         "Filters of r1\n"
	         "-------------\n"
	         "\n"
	         "Source\n"
	         "--------\n"
	         "10.0.0.1\n"
	         "\n"
	         "Filters of r2\n"
	         "-------------\n"
	         "\n"
	         "None.\n"
	         "\n"
	         "Filter Actions of Red\n"
	         "---------------------\n"
	         "\n"
	         "None.\n"
	         "\n"
	         "Rules\n"
	         "-----\n"
	         "\n"
	         "Rule Name\n"
	         "---------\n"
	         "r9\n");
}

static void
test_table_empty(void **state)
{
	struct out *o = out_new(OUT_TABLE, true);

	(void)state;
	out_section(o, "policies", "Policies");
	out_section_end(o);
	check(o, "Policies\n"
	         "--------\n"
	         "\n"
	         "None.\n");
}

/* An object without fields: no row, no fields block; its nested
 * section is titled without "of". */
static struct out *
build_fieldless(enum out_format fmt)
{
	struct out *o = out_new(fmt, true);

	out_section(o, "s", "S");
	out_object(o);
	out_str(o, "a", "A", "1");
	out_object_end(o);
	out_object(o);
	out_section(o, "n", "N");
	out_section_end(o);
	out_object_end(o);
	out_section_end(o);
	return o;
}

static void
test_fieldless_object(void **state)
{
	(void)state;
	check(build_fieldless(OUT_TABLE), "S\n"
	                                  "-\n"
	                                  "\n"
	                                  "A\n"
	                                  "-\n"
	                                  "1\n"
	                                  "\n"
	                                  "N\n"
	                                  "-\n"
	                                  "\n"
	                                  "None.\n");
	check(build_fieldless(OUT_LIST), "S\n"
	                                 "-\n"
	                                 "\n"
	                                 "A : 1\n"
	                                 "\n"
	                                 "    N\n"
	                                 "    -\n"
	                                 "\n"
	                                 "    None.\n");
}

static void
test_json(void **state)
{
	/* wide=no does not apply to JSON. */
	struct out *o = out_new(OUT_JSON, false);
	char *long_value = repeat("x", 100);
	char *want;

	(void)state;
	assert_int_equal(out_format_of(o), OUT_JSON);
	out_str(o, "store", "Store", "Local Store");
	out_int(o, "min", "Min", LLONG_MIN);
	out_int(o, "max", "Max", LLONG_MAX);
	out_bool(o, "yes", "Yes", true);
	out_str(o, "long", "Long", long_value);
	out_section(o, "policies", "Policies");
	out_object(o);
	out_str(o, "name", "Policy Name", "Red");
	out_bool(o, "assigned", "Assigned", false);
	out_int(o, "rules", "No. of Rules", 2);
	out_section(o, "rule_list", "Rules");
	out_object(o);
	out_str(o, "name", "Rule Name", "r1");
	out_str(o, "description", "Description", "");
	out_object_end(o);
	out_object(o);
	out_object_end(o);
	out_section_end(o);
	out_section(o, "empty", "Empty");
	out_section_end(o);
	out_object_end(o);
	out_section_end(o);
	out_section(o, "none", "None");
	out_section_end(o);
	assert_true(asprintf(&want,
	                     "{\n"
	                     "  \"schema\": 1,\n"
	                     "  \"store\": \"Local Store\",\n"
	                     "  \"min\": -9223372036854775808,\n"
	                     "  \"max\": 9223372036854775807,\n"
	                     "  \"yes\": true,\n"
	                     "  \"long\": \"%s\",\n"
	                     "  \"policies\": [\n"
	                     "    {\n"
	                     "      \"name\": \"Red\",\n"
	                     "      \"assigned\": false,\n"
	                     "      \"rules\": 2,\n"
	                     "      \"rule_list\": [\n"
	                     "        {\n"
	                     "          \"name\": \"r1\",\n"
	                     "          \"description\": \"\"\n"
	                     "        },\n"
	                     "        {}\n"
	                     "      ],\n"
	                     "      \"empty\": []\n"
	                     "    }\n"
	                     "  ],\n"
	                     "  \"none\": []\n"
	                     "}\n",
	                     long_value) > 0);
	check(o, want);
	free(want);
	free(long_value);

	o = out_new(OUT_JSON, true);
	check(o, "{\n  \"schema\": 1\n}\n");
}

/* Values and keys with every kind of character that needs care. */
static struct out *
build_hostile_json(void)
{
	struct out *o = out_new(OUT_JSON, true);

	assert_non_null(o);
	out_str(o, "q", "Q", "a\"b\\c/d");
	out_str(o, "ws", "Ws", "n\nt\tr\rb\bf\f");
	out_str(o, "ctl", "Ctl",
	        "\x01\x1f\x7f"
	        "\xc2\x80\xc2\x9f");
	out_str(o, "utf8", "Utf8", "é€😀\xc2\xa0");
	out_str(o, "bad", "Bad",
	        "\xff|\xe2\x82|\xc0\xaf|\xed\xa0\x80|"
	        "\xf4\x90\x80\x80|\x80|\xf0\x9f\x98|end");
	out_str(o, "k\"ey\n", "Key", "v");
	return o;
}

static void
test_json_escaping(void **state)
{
	(void)state;
	check(build_hostile_json(),
	      "{\n"
	      "  \"schema\": 1,\n"
	      "  \"q\": \"a\\\"b\\\\c/d\",\n"
	      "  \"ws\": \"n\\nt\\tr\\rb\\bf\\f\",\n"
	      "  \"ctl\": \"\\u0001\\u001f\\u007f\\u0080\\u009f\",\n"
	      "  \"utf8\": \"é€😀\xc2\xa0\",\n"
	      "  \"bad\": \"\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd|"
	      "\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd\\ufffd|"
	      "\\ufffd|\\ufffd\\ufffd\\ufffd|end\",\n"
	      "  \"k\\\"ey\\n\": \"v\"\n"
	      "}\n");
}

/* A real JSON parser agrees, when python3 is there. */
static void
test_json_python(void **state)
{
	static const char script[] =
	    "import json,sys\n"
	    "d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
	    "assert list(d)[0] == 'schema' and d['schema'] == 1\n"
	    "assert d['q'] == 'a\"b\\\\c/d'\n"
	    "assert d['ws'] == 'n\\nt\\tr\\rb\\bf\\f'\n"
	    "assert d['ctl'] == '\\x01\\x1f\\x7f\\x80\\x9f'\n"
	    "assert d['utf8'] == '\\xe9\\u20ac\\U0001f600\\xa0'\n"
	    "assert d['bad'].startswith('\\ufffd|') and "
	    "d['bad'].endswith('|end')\n"
	    "assert d['k\"ey\\n'] == 'v'\n";
	char json_path[] = "/tmp/test_output_XXXXXX";
	char py_path[] = "/tmp/test_output_XXXXXX";
	char cmd[256];
	struct out *o;
	FILE *f;
	int fd, rc;

	(void)state;
	if (system("command -v python3 >/dev/null 2>&1") != 0)
		skip();
	fd = mkstemp(json_path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	o = build_hostile_json();
	assert_int_equal(out_render(o, f), 0);
	assert_int_equal(fclose(f), 0);
	out_free(o);
	fd = mkstemp(py_path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(script, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "python3 %s %s", py_path, json_path);
	rc = system(cmd);
	unlink(json_path);
	unlink(py_path);
	assert_int_equal(rc, 0);
}

/* Booleans and integers in the formats for people. */
static void
test_bool_int_people(void **state)
{
	struct out *o;

	(void)state;
	o = out_new(OUT_LIST, true);
	out_bool(o, "t", "T", true);
	out_bool(o, "f", "F", false);
	out_int(o, "min", "Min", LLONG_MIN);
	out_int(o, "zero", "Zero", 0);
	check(o, "T    : YES\n"
	         "F    : NO\n"
	         "Min  : -9223372036854775808\n"
	         "Zero : 0\n");
	o = out_new(OUT_TABLE, true);
	out_section(o, "s", "S");
	out_object(o);
	out_bool(o, "t", "T", true);
	out_int(o, "n", "N", -12345);
	out_object_end(o);
	out_object(o);
	out_bool(o, "t", "T", false);
	out_int(o, "n", "N", 7);
	out_object_end(o);
	out_section_end(o);
	check(o, "S\n"
	         "-\n"
	         "\n"
	         "T    N\n"
	         "-----------\n"
	         "YES  -12345\n"
	         "NO   7\n");
}

static void
test_wide_no(void **state)
{
	char *x72 = repeat("x", 72), *x73 = repeat("x", 73);
	char *x76 = repeat("x", 76), *x77 = repeat("x", 77);
	char *x100 = repeat("x", 100), *d80 = repeat("-", 80);
	char *d76 = repeat("-", 76), *title = repeat("T", 90);
	char *sp73 = repeat(" ", 73);
	char *e76 = repeat("é", 76), *utf2, *utf4, *want;
	struct out *o;

	(void)state;
	assert_true(asprintf(&utf2, "%séééééé", x72) > 0);
	assert_true(asprintf(&utf4, "%s😀😀😀😀", x73) > 0);

	o = out_new(OUT_LIST, false);
	out_str(o, "a", "A", x76);  /* 80 columns: kept */
	out_str(o, "b", "B", x77);  /* 81 columns: cut */
	out_str(o, "c", "C", x100); /* cut */
	out_str(o, "d", "D", utf2); /* "é" is the 77th column */
	out_str(o, "e", "E", utf4); /* the 78th column is 4 bytes */
	out_str(o, "f", "F", "é");
	out_str(o, "g", "G", e76); /* 80 columns in 156 bytes: kept */
	out_section(o, "long", title);
	out_object(o);
	out_section(o, "sub", title);
	out_section_end(o);
	out_object_end(o);
	out_section_end(o);
	assert_true(asprintf(&want,
	                     "A : %s\n"
	                     "B : %.73s...\n"
	                     "C : %.73s...\n"
	                     "D : %sé...\n"
	                     "E : %s...\n"
	                     "F : é\n"
	                     "G : %s\n"
	                     "\n"
	                     "%.77s...\n"
	                     "%s\n"
	                     "\n"
	                     "    %.73s...\n"
	                     "    %s\n"
	                     "\n"
	                     "    None.\n",
	                     x76, x77, x100, x72, x73, e76, title, d80, title,
	                     d76) > 0);
	check(o, want);
	free(want);

	/* wide=yes: nothing is cut. */
	o = out_new(OUT_LIST, true);
	out_str(o, "c", "C", x100);
	assert_true(asprintf(&want, "C : %s\n", x100) > 0);
	check(o, want);
	free(want);

	/* Table: the header is cut, the rule stops at 80 columns. */
	o = out_new(OUT_TABLE, false);
	out_section(o, "s", "S");
	out_object(o);
	out_str(o, "a", "A", x72);
	out_str(o, "b", "Bbbbbbbbbb", "0123456789");
	out_object_end(o);
	out_section_end(o);
	assert_true(asprintf(&want,
	                     "S\n"
	                     "-\n"
	                     "\n"
	                     "A%sBbb...\n"
	                     "%s\n"
	                     "%s  012...\n",
	                     sp73, d80, x72) > 0);
	check(o, want);
	free(want);

	free(utf2);
	free(utf4);
	free(x72);
	free(x73);
	free(x76);
	free(x77);
	free(x100);
	free(d80);
	free(d76);
	free(title);
	free(sp73);
	free(e76);
}

static void
test_strf(void **state)
{
	struct out *o = out_new(OUT_LIST, true);
	char *zeros = repeat("0", 4999), *want;

	(void)state;
	out_strf(o, "a", "A", "%s-%d-%05.1f", "a", 42, 3.14159);
	out_strf(o, "b", "B", "%0*d", 5000, 7);
	out_strf(o, "c", "C", "%s", "");
	assert_true(asprintf(&want, "A : a-42-003.1\nB : %s7\nC :\n", zeros) >
	            0);
	check(o, want);
	free(want);
	free(zeros);
}

/* A field that cannot be built fails the whole model: render returns
 * -1 and writes nothing; later calls are ignored. */
static void
test_failed_model(void **state)
{
	struct out *o = out_new(OUT_LIST, true);
	char *p = NULL;
	size_t n = 0;
	FILE *f;

	(void)state;
	out_section(o, "s", "S");
	out_object(o);
	out_str(o, "a", "A", "kept");
	/* L"\x100" has no conversion in the C locale: vsnprintf fails. */
	out_strf(o, "b", "B", "%ls", L"\x100");
	out_str(o, "c", "C", "ignored");
	out_object_end(o);
	out_section_end(o);
	f = open_memstream(&p, &n);
	assert_non_null(f);
	assert_int_equal(out_render(o, f), -1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(n, 0);
	free(p);
	out_free(o);
}

/* out_new() returning NULL may be passed on: nothing happens. */
static void
test_null_model(void **state)
{
	(void)state;
	out_section(NULL, "s", "S");
	out_object(NULL);
	out_str(NULL, "a", "A", "v");
	out_strf(NULL, "a", "A", "%d", 1);
	out_int(NULL, "a", "A", 1);
	out_bool(NULL, "a", "A", true);
	out_object_end(NULL);
	out_section_end(NULL);
	assert_int_equal(out_render(NULL, stdout), -1);
	out_free(NULL);
}

static void
test_write_error(void **state)
{
	struct out *o;
	FILE *f;

	(void)state;
	f = fopen("/dev/full", "w");
	if (f == NULL)
		skip();
	o = out_new(OUT_JSON, true);
	out_str(o, "a", "A", "v");
	assert_int_equal(out_render(o, f), -1);
	fclose(f);
	out_free(o);
}

/* Misuse: each builds a model wrongly. */
static void
mis_object_at_top(struct out *o)
{
	out_object(o);
}

static void
mis_field_in_section(struct out *o)
{
	out_section(o, "s", "S");
	out_str(o, "a", "A", "v");
}

static void
mis_section_in_section(struct out *o)
{
	out_section(o, "s", "S");
	out_section(o, "t", "T");
}

static void
mis_section_end_at_top(struct out *o)
{
	out_section_end(o);
}

static void
mis_section_end_in_object(struct out *o)
{
	out_section(o, "s", "S");
	out_object(o);
	out_section_end(o);
}

static void
mis_object_end_at_top(struct out *o)
{
	out_object_end(o);
}

static void
mis_object_end_in_section(struct out *o)
{
	out_section(o, "s", "S");
	out_object(o);
	out_section(o, "t", "T");
	out_object_end(o);
}

static void
mis_duplicate_key(struct out *o)
{
	out_section(o, "s", "S");
	out_object(o);
	out_str(o, "a", "A", "v");
	out_int(o, "a", "A again", 1);
}

static void
mis_duplicate_section_key(struct out *o)
{
	out_str(o, "a", "A", "v");
	out_section(o, "a", "A");
}

static void
mis_schema_key(struct out *o)
{
	out_int(o, "schema", "Schema", 2);
}

static void
mis_null_value(struct out *o)
{
	out_str(o, "a", "A", NULL);
}

static void
mis_render_open(struct out *o)
{
	out_section(o, "s", "S");
	out_object(o);
}

/*
 * Each misuse, in a child: it aborts where assertions are on (NDEBUG
 * unset), and otherwise the model fails and out_render() returns -1.
 */
static void
test_misuse(void **state)
{
	static void (*const cases[])(struct out *) = {
	    mis_object_at_top,
	    mis_field_in_section,
	    mis_section_in_section,
	    mis_section_end_at_top,
	    mis_section_end_in_object,
	    mis_object_end_at_top,
	    mis_object_end_in_section,
	    mis_duplicate_key,
	    mis_duplicate_section_key,
	    mis_schema_key,
	    mis_null_value,
	    mis_render_open,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status;
		pid_t pid;

		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			int null = open("/dev/null", O_WRONLY);
			FILE *f;
			struct out *o;
			if (null < 0 || dup2(null, STDERR_FILENO) < 0)
				_exit(2);
			f = fopen("/dev/null", "w");
			o = out_new(OUT_JSON, true);
			if (f == NULL || o == NULL)
				_exit(2);
			cases[i](o);
			_exit(out_render(o, f) == -1 ? 0 : 1);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFSIGNALED(status)) {
			assert_int_equal(WTERMSIG(status), SIGABRT);
		} else {
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_list_objects),
	    cmocka_unit_test(test_list_nested),
	    cmocka_unit_test(test_list_empty),
	    cmocka_unit_test(test_list_fields_only),
	    cmocka_unit_test(test_list_sanitize),
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_table_nested),
	    cmocka_unit_test(test_table_empty),
	    cmocka_unit_test(test_fieldless_object),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_json_escaping),
	    cmocka_unit_test(test_json_python),
	    cmocka_unit_test(test_bool_int_people),
	    cmocka_unit_test(test_wide_no),
	    cmocka_unit_test(test_strf),
	    cmocka_unit_test(test_failed_model),
	    cmocka_unit_test(test_null_model),
	    cmocka_unit_test(test_write_error),
	    cmocka_unit_test(test_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
