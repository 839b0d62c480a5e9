/*
 * test_config.c - unit tests of the `set config` properties
 * (engine/config.h): defaults, names and labels, ranges at and past
 * their edges, canonical forms, the bootexemptions grammar, and the
 * config file: round trip, mode, atomic replacement, damaged files.
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/config.h"

static char tmpdir[64];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ipsecsh-test-config-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int
teardown_dir(void **state)
{
	(void)state;
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static const char *
get(const struct config *c, enum config_prop p)
{
	static char buf[CONFIG_VALUE_MAX];

	config_get(c, p, buf, sizeof(buf));
	return buf;
}

static void
test_defaults_and_labels(void **state)
{
	static const struct {
		enum config_prop p;
		const char *name, *label, *def;
	} want[] = {
	    {CONFIG_IPSECDIAGNOSTICS, "ipsecdiagnostics", "IPSec Diagnostics",
	     "0"},
	    {CONFIG_IKELOGGING, "ikelogging", "IKE Logging", "0"},
	    {CONFIG_STRONGCRLCHECK, "strongcrlcheck", "Strong CRL Check", "1"},
	    {CONFIG_IPSECLOGINTERVAL, "ipsecloginterval", "IPSec Log Interval",
	     "3600"},
	    {CONFIG_IPSECEXEMPT, "ipsecexempt", "IPSec Exempt", "3"},
	    {CONFIG_BOOTMODE, "bootmode", "Boot Mode", "stateful"},
	    {CONFIG_BOOTEXEMPTIONS, "bootexemptions", "Boot Exemptions",
	     "none"},
	};
	struct config c;
	struct config_item items[CONFIG_NPROPS];
	size_t i;

	(void)state;
	assert_int_equal(CONFIG_NPROPS, 7);
	config_defaults(&c);
	config_list(&c, items);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(items[i].prop, want[i].p);
		assert_string_equal(items[i].name, want[i].name);
		assert_string_equal(items[i].label, want[i].label);
		assert_string_equal(items[i].value, want[i].def);
		assert_string_equal(config_name(want[i].p), want[i].name);
		assert_string_equal(config_label(want[i].p), want[i].label);
	}
	assert_int_equal(config_int(&c, CONFIG_BOOTMODE), CONFIG_BOOT_STATEFUL);
	assert_int_equal(c.nexempt, 0);
	assert_string_equal(config_range(CONFIG_IPSECDIAGNOSTICS), "0-7");
	assert_string_equal(config_range(CONFIG_IPSECLOGINTERVAL), "60-86400");
	assert_string_equal(config_range(CONFIG_BOOTMODE),
	                    "stateful, block or permit");
}

static void
test_lookup(void **state)
{
	static const struct {
		const char *name;
		int p; /* -1: error */
		const char *msg;
	} cases[] = {
	    {"ipsecdiagnostics", CONFIG_IPSECDIAGNOSTICS, NULL},
	    {"IPSecDiagnostics", CONFIG_IPSECDIAGNOSTICS, NULL},
	    {"ipsecd", CONFIG_IPSECDIAGNOSTICS, NULL},
	    {"ike", CONFIG_IKELOGGING, NULL},
	    {"s", CONFIG_STRONGCRLCHECK, NULL},
	    {"ipsecl", CONFIG_IPSECLOGINTERVAL, NULL},
	    {"ipsecE", CONFIG_IPSECEXEMPT, NULL},
	    {"bootm", CONFIG_BOOTMODE, NULL},
	    {"BOOTEXEMPTIONS", CONFIG_BOOTEXEMPTIONS, NULL},
	    {"ipsec", -1,
	     "property \"ipsec\" is ambiguous: ipsecdiagnostics, "
	     "ipsecloginterval, ipsecexempt"},
	    {"boot", -1, "ambiguous: bootmode, bootexemptions"},
	    {"i", -1, "ambiguous"},
	    {"foo", -1, "\"foo\" is not a configuration property; one of: "},
	    {"ipsecdiagnosticsx", -1, "is not a configuration property"},
	    {"", -1, "no property given"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum config_prop p;
		char err[256] = "";
		int rc = config_lookup(cases[i].name, &p, err, sizeof(err));

		if (cases[i].p >= 0) {
			if (rc != 0)
				fail_msg("%s: %s", cases[i].name, err);
			assert_int_equal(p, cases[i].p);
		} else {
			assert_int_equal(rc, -1);
			if (strstr(err, cases[i].msg) == NULL)
				fail_msg("%s: \"%s\" lacks \"%s\"",
				         cases[i].name, err, cases[i].msg);
		}
	}
}

struct set_case {
	const char *name, *value;
	const char *want; /* canonical text, or NULL: refused */
	const char *msg;  /* part of the error */
};

static const struct set_case set_cases[] = {
    /* Integers at and past their edges. */
    {"ipsecdiagnostics", "0", "0", NULL},
    {"ipsecdiagnostics", "7", "7", NULL},
    {"ipsecdiagnostics", "007", "7", NULL},
    {"ipsecdiagnostics", "8", NULL,
     "invalid value \"8\" for ipsecdiagnostics: expected an "
     "integer from 0 to 7"},
    {"ipsecdiagnostics", "-1", NULL, "\"-1\""},
    {"ipsecdiagnostics", "+1", NULL, "from 0 to 7"},
    {"ipsecdiagnostics", "0x1", NULL, "from 0 to 7"},
    {"ipsecdiagnostics", " 1", NULL, "from 0 to 7"},
    {"ipsecdiagnostics", "1 ", NULL, "from 0 to 7"},
    {"ipsecdiagnostics", "", NULL, "invalid value \"\""},
    {"ipsecdiagnostics", "99999999999999999999", NULL, "from 0 to 7"},
    {"ikelogging", "1", "1", NULL},
    {"ikelogging", "2", NULL, "from 0 to 1"},
    {"strongcrlcheck", "2", "2", NULL},
    {"strongcrlcheck", "3", NULL, "from 0 to 2"},
    {"ipsecloginterval", "60", "60", NULL},
    {"ipsecloginterval", "86400", "86400", NULL},
    {"ipsecloginterval", "59", NULL, "from 60 to 86400"},
    {"ipsecloginterval", "86401", NULL, "from 60 to 86400"},
    {"ipsecexempt", "0", "0", NULL},
    {"ipsecexempt", "4", NULL, "from 0 to 3"},
    /* bootmode: any case, unique prefixes. */
    {"bootmode", "Block", "block", NULL},
    {"bootmode", "PERMIT", "permit", NULL},
    {"bootmode", "s", "stateful", NULL},
    {"bootmode", "stateless", NULL,
     "invalid value \"stateless\" for bootmode: expected stateful, block "
     "or permit"},
    {"bootmode", "", NULL, "expected stateful, block or permit"},
    /* bootexemptions: canonical forms. */
    {"bootexemptions", "NONE", "none", NULL},
    {"bootexemptions", "  none  ", "none", NULL},
    {"bootexemptions", "tcp:0:3389:INBOUND  udp:0:53:outbound",
     "TCP:0:3389:inbound UDP:0:53:outbound", NULL},
    {"bootexemptions", "6:80:0:inbound\t17:0:0:outbound",
     "TCP:80:0:inbound UDP:0:0:outbound", NULL},
    {"bootexemptions", "icmp:0:0:inbound 1:0:0:outbound",
     "ICMP:0:0:inbound ICMP:0:0:outbound", NULL},
    {"bootexemptions", "50:0:0:outbound 0:0:0:inbound",
     "50:0:0:outbound 0:0:0:inbound", NULL},
    {"bootexemptions", "TCP:65535:00080:inbound", "TCP:65535:80:inbound", NULL},
    /* bootexemptions: the grammar's errors, each quoting the entry. */
    {"bootexemptions", "", NULL, "empty (use \"none\""},
    {"bootexemptions", "   ", NULL, "empty"},
    {"bootexemptions", "TCP:0:80", NULL,
     "entry \"TCP:0:80\" is not Protocol:SrcPort:DstPort:Direction"},
    {"bootexemptions", "TCP:0:80:inbound:x", NULL, "is not Protocol:"},
    {"bootexemptions", "TCP0:80:inbound", NULL, "is not Protocol:"},
    {"bootexemptions", "FOO:0:80:inbound", NULL,
     "protocol \"FOO\" is not TCP, UDP, ICMP or a number from 0 to 255"},
    {"bootexemptions", "256:0:0:inbound", NULL, "protocol \"256\""},
    {"bootexemptions", ":0:0:inbound", NULL, "protocol \"\""},
    {"bootexemptions", "TCP:-1:0:inbound", NULL,
     "source port \"-1\" is not a number from 0 to 65535"},
    {"bootexemptions", "TCP::80:inbound", NULL, "source port \"\""},
    {"bootexemptions", "TCP:0:65536:inbound", NULL,
     "destination port \"65536\""},
    {"bootexemptions", "TCP:0:80:sideways", NULL,
     "direction \"sideways\" is not inbound or outbound"},
    {"bootexemptions", "TCP:0:80:in", NULL, "direction \"in\""},
    {"bootexemptions", "ICMP:0:8:inbound", NULL,
     "ports apply to TCP and UDP only"},
    {"bootexemptions", "none TCP:0:80:inbound", NULL,
     "\"none\" cannot be combined"},
    {"bootexemptions", "TCP:0:80:inbound tcp:0:80:INBOUND", NULL,
     "entry \"tcp:0:80:INBOUND\" is given twice"},
    {"bootexemptions", "TCP:0:80:inbound,UDP:0:53:outbound", NULL,
     "is not Protocol:SrcPort:DstPort:Direction"},
};

static void
test_set_values(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(set_cases) / sizeof(set_cases[0]); i++) {
		const struct set_case *sc = &set_cases[i];
		struct config c, before;
		char err[1024] = "";
		enum config_prop p;
		int rc;

		config_defaults(&c);
		/* Something else than the default, to see it kept. */
		assert_int_equal(config_set(&c, "bootexemptions",
		                            "UDP:0:500:inbound", err,
		                            sizeof(err)),
		                 0);
		assert_int_equal(
		    config_set(&c, "ipsecloginterval", "120", err, sizeof(err)),
		    0);
		before = c;
		rc = config_set(&c, sc->name, sc->value, err, sizeof(err));
		assert_int_equal(config_lookup(sc->name, &p, NULL, 0), 0);
		if (sc->want != NULL) {
			if (rc != 0)
				fail_msg("%s=\"%s\": %s", sc->name, sc->value,
				         err);
			if (strcmp(get(&c, p), sc->want) != 0)
				fail_msg("%s=\"%s\": \"%s\", expected \"%s\"",
				         sc->name, sc->value, get(&c, p),
				         sc->want);
			/* The canonical text sets the same value. */
			{
				struct config again = c;
				char canon[CONFIG_VALUE_MAX];

				snprintf(canon, sizeof(canon), "%s",
				         get(&c, p));
				assert_int_equal(config_set_prop(&again, p,
				                                 canon, err,
				                                 sizeof(err)),
				                 0);
				assert_memory_equal(&again, &c, sizeof(c));
			}
		} else {
			if (rc != -1)
				fail_msg("%s=\"%s\" accepted", sc->name,
				         sc->value);
			if (strstr(err, sc->msg) == NULL)
				fail_msg("%s=\"%s\": \"%s\" lacks \"%s\"",
				         sc->name, sc->value, err, sc->msg);
			/* A refused value changes nothing. */
			assert_memory_equal(&before, &c, sizeof(c));
		}
	}
}

static void
test_exemptions_limits(void **state)
{
	struct config c;
	char text[CONFIG_VALUE_MAX * 2], err[CONFIG_VALUE_MAX * 3];
	size_t off = 0;
	int i;

	(void)state;
	config_defaults(&c);
	/* The longest canonical list fits a value buffer. */
	for (i = 0; i < CONFIG_EXEMPTIONS_MAX; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		                        "%s255:0:0:outbound", i ? " " : "");
	assert_true(off < CONFIG_VALUE_MAX);
	for (off = 0, i = 0; i < CONFIG_EXEMPTIONS_MAX; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		                        "%sTCP:%d:65535:outbound", i ? " " : "",
		                        65535 - i);
	assert_true(off < CONFIG_VALUE_MAX);
	assert_int_equal(
	    config_set(&c, "bootexemptions", text, err, sizeof(err)), 0);
	assert_int_equal(c.nexempt, CONFIG_EXEMPTIONS_MAX);
	assert_string_equal(get(&c, CONFIG_BOOTEXEMPTIONS), text);
	assert_int_equal(c.exempt[0].protocol, 6);
	assert_int_equal(c.exempt[0].srcport, 65535);
	assert_int_equal(c.exempt[0].dstport, 65535);
	assert_false(c.exempt[0].inbound);
	/* One more is refused. */
	snprintf(text + off, sizeof(text) - off, " UDP:1:1:inbound");
	assert_int_equal(
	    config_set(&c, "bootexemptions", text, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 64 entries"));
}

static void
path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static void
write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void
test_persistence(void **state)
{
	struct config c, back;
	char path[128], err[512];
	struct stat st;
	DIR *d;
	struct dirent *de;
	int n = 0;

	(void)state;
	path_in(path, sizeof(path), "ipsecsh.sock.conf");
	/* No file: the defaults, and 1. */
	assert_int_equal(config_load(&back, path, err, sizeof(err)), 1);
	config_defaults(&c);
	assert_memory_equal(&back, &c, sizeof(c));

	assert_int_equal(
	    config_set(&c, "ipsecdiagnostics", "7", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "ikelogging", "1", err, sizeof(err)),
	                 0);
	assert_int_equal(config_set(&c, "strong", "0", err, sizeof(err)), 0);
	assert_int_equal(
	    config_set(&c, "ipsecloginterval", "86400", err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "ipsecexempt", "1", err, sizeof(err)),
	                 0);
	assert_int_equal(config_set(&c, "bootmode", "permit", err, sizeof(err)),
	                 0);
	assert_int_equal(config_set(&c, "bootexemptions",
	                            "TCP:0:3389:inbound UDP:0:53:outbound", err,
	                            sizeof(err)),
	                 0);
	assert_int_equal(config_save(&c, path, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(config_load(&back, path, err, sizeof(err)), 0);
	assert_memory_equal(&back, &c, sizeof(c));

	/* Saving again replaces the file; no temporary file is left. */
	assert_int_equal(
	    config_set(&c, "ipsecdiagnostics", "3", err, sizeof(err)), 0);
	assert_int_equal(config_save(&c, path, err, sizeof(err)), 0);
	assert_int_equal(config_load(&back, path, err, sizeof(err)), 0);
	assert_int_equal(back.num[CONFIG_IPSECDIAGNOSTICS], 3);
	d = opendir(tmpdir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	assert_int_equal(n, 1);

	/* A file with some properties: the others are defaults. */
	write_file(path, "# note\n\nbootmode=block\n", 23);
	assert_int_equal(config_load(&back, path, err, sizeof(err)), 0);
	assert_string_equal(get(&back, CONFIG_BOOTMODE), "block");
	assert_string_equal(get(&back, CONFIG_IPSECEXEMPT), "3");

	/* A directory that does not exist: a clear error. */
	path_in(path, sizeof(path), "nodir/x.conf");
	assert_int_equal(config_save(&c, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot create"));
}

static void
test_damaged_files(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		size_t len;
		const char *msg;
	} cases[] = {
	    {"garbage", "\x01\x02 hello", 8, ":1: not name=value"},
	    {"unknown", "ipsecdiagnostics=1\nfoo=1\n", 25,
	     ":2: unknown property \"foo\""},
	    {"prefix", "ipsecd=1\n", 9, ":1: unknown property"},
	    {"bad value", "ikelogging=5\n", 13,
	     ":1: invalid value \"5\" for ikelogging"},
	    {"twice", "bootmode=block\nbootmode=permit\n", 31,
	     ":2: bootmode given twice"},
	    {"NUL byte", "bootmode=block\0\n", 16, "holds a NUL byte"},
	    {"blank in value", "ipsecexempt= 1\n", 15, ":1: invalid value"},
	    {"CRLF", "ipsecexempt=1\r\n", 15, ":1: invalid value"},
	    {"bad exemptions", "bootexemptions=TCP:0:99999:inbound\n", 35,
	     "destination port \"99999\""},
	};
	struct config c, def;
	char path[128], err[1024];
	size_t i;

	(void)state;
	config_defaults(&def);
	path_in(path, sizeof(path), "damaged.conf");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_file(path, cases[i].text, cases[i].len);
		err[0] = '\0';
		memset(&c, 0x55, sizeof(c));
		if (config_load(&c, path, err, sizeof(err)) != -1)
			fail_msg("%s: loaded", cases[i].name);
		if (strstr(err, cases[i].msg) == NULL ||
		    strncmp(err, path, strlen(path)) != 0)
			fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].name, err,
			         cases[i].msg);
		/* All defaults, never half a file. */
		assert_memory_equal(&c, &def, sizeof(c));
	}

	/* Too large. */
	{
		char *big = malloc(70000);

		assert_non_null(big);
		memset(big, '#', 70000);
		write_file(path, big, 70000);
		free(big);
		assert_int_equal(config_load(&c, path, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "larger than"));
	}
	/* Not a regular file. */
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(config_load(&c, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	assert_memory_equal(&c, &def, sizeof(c));
	rmdir(path);
	/* A symbolic link is not followed. */
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(config_load(&c, path, err, sizeof(err)), -1);
	assert_memory_equal(&c, &def, sizeof(c));
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_and_labels),
	    cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_set_values),
	    cmocka_unit_test(test_exemptions_limits),
	    cmocka_unit_test(test_persistence),
	    cmocka_unit_test(test_damaged_files),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
