/*
 * fuzz_import.c - libFuzzer target for "ipsec static importpolicy": the
 * policy import file is bytes from outside (another host's export, a
 * file a user edited).
 *
 * Input: byte 0 = flags (bit 0 set: write the rest as it is; clear: put
 * the real header line "# ipsecsh policy export 1" before it), then the
 * file's body.  The file is imported through shell_run_line into a store
 * in a temporary directory made once per process (on /dev/shm when it
 * exists: SQLite's fsyncs cost nothing there).
 *
 * Checks, besides "never crash, leak or trip UBSan":
 *   - a failed import changes nothing: the change counter does not move
 *     and the dump is still that of the empty store taken at start;
 *   - a successful import round-trips: exportpolicy of the result,
 *     imported into the emptied store, succeeds and dumps the same;
 *   - "ipsec static delete all" then leaves the empty store again, so
 *     every input starts from the same state.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shell.h"
#include "static.h"
#include "store.h"

#define HEADER "# ipsecsh policy export 1\n"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct shell sh;
static char dir[64];
static char in_path[128], out_path[128];
static char import_in[256], import_out[256], export_out[256];
static char *baseline;
static size_t baseline_len;

static void
cleanup(void)
{
	char db[160];

	shell_finish(&sh);
	unlink(in_path);
	unlink(out_path);
	snprintf(db, sizeof(db), "%s/policy.db", dir);
	unlink(db);
	snprintf(db, sizeof(db), "%s/policy.db-wal", dir);
	unlink(db);
	snprintf(db, sizeof(db), "%s/policy.db-shm", dir);
	unlink(db);
	snprintf(db, sizeof(db), "%s/policy.db-journal", dir);
	unlink(db);
	rmdir(dir);
	free(baseline);
}

/* The dump of both locations, in a malloc'd string. */
static char *
dump(size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (f == NULL)
		abort();
	if (static_dump(&sh, f) != CMD_OK) {
		fprintf(stderr, "fuzz_import: the store cannot be dumped\n");
		abort();
	}
	fclose(f);
	return buf;
}

static void
expect_baseline(const char *why)
{
	size_t len;
	char *now = dump(&len);

	if (len != baseline_len || memcmp(now, baseline, len) != 0) {
		fprintf(stderr, "fuzz_import: %s\n--- expected\n%s--- got\n%s",
			why, baseline, now);
		abort();
	}
	free(now);
}

static int64_t
counter(void)
{
	int64_t c = store_change_counter(sh.store);

	if (c < 0) {
		fprintf(stderr, "fuzz_import: no change counter: %s\n",
			store_errmsg(sh.store));
		abort();
	}
	return c;
}

static void
must(const char *line)
{
	if (shell_run_line(&sh, line) != CMD_OK) {
		fprintf(stderr, "fuzz_import: \"%s\" failed\n", line);
		abort();
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = "/dev/shm";
	struct stat sb;
	char db[160];

	(void)argc;
	(void)argv;
	if (stat(base, &sb) < 0 || !S_ISDIR(sb.st_mode) ||
	    access(base, W_OK) < 0) {
		base = getenv("TMPDIR");
		if (base == NULL || base[0] == '\0')
			base = "/tmp";
	}
	snprintf(dir, sizeof(dir), "%s/fuzz_import.XXXXXX", base);
	if (strlen(dir) > 40 || mkdtemp(dir) == NULL) {
		perror("fuzz_import: mkdtemp");
		abort();
	}
	snprintf(in_path, sizeof(in_path), "%s/in.ipsec", dir);
	snprintf(out_path, sizeof(out_path), "%s/out.ipsec", dir);
	snprintf(import_in, sizeof(import_in),
		 "ipsec static importpolicy file=%s", in_path);
	snprintf(import_out, sizeof(import_out),
		 "ipsec static importpolicy file=%s", out_path);
	snprintf(export_out, sizeof(export_out),
		 "ipsec static exportpolicy file=%s", out_path);
	snprintf(db, sizeof(db), "%s/policy.db", dir);

	shell_init(&sh);
	sh.store_path = strdup(db);
	sh.out = fopen("/dev/null", "w");
	sh.err = sh.out;
	if (sh.store_path == NULL || sh.out == NULL)
		abort();
	/* A socket that is never there: nothing here talks to a service. */
	setenv("IPSECSH_SOCKET", "/nonexistent/ipsecsh.sock", 1);
	if (shell_store(&sh) == NULL)
		abort();
	atexit(cleanup);
	baseline = dump(&baseline_len);
	return 0;
}

static void
write_input(const uint8_t *data, size_t size, bool header)
{
	int fd = open(in_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 ||
	    (header && write(fd, HEADER, strlen(HEADER)) !=
			       (ssize_t)strlen(HEADER)) ||
	    (size > 0 && write(fd, data, size) != (ssize_t)size) ||
	    close(fd) < 0) {
		perror("fuzz_import: writing the input");
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum cmd_status st;
	int64_t before;
	size_t len;
	char *first, *second;

	if (size < 1)
		return 0;
	write_input(data + 1, size - 1, (data[0] & 1) == 0);
	before = counter();
	st = shell_run_line(&sh, import_in);
	if (st != CMD_OK) {
		if (counter() != before) {
			fprintf(stderr, "fuzz_import: a failed import moved "
					"the change counter\n");
			abort();
		}
		expect_baseline("a failed import changed the store");
		return 0;
	}
	/* What was imported exports to a file that imports the same. */
	first = dump(&len);
	must(export_out);
	must("ipsec static delete all");
	if (shell_run_line(&sh, import_out) != CMD_OK) {
		fprintf(stderr, "fuzz_import: the export of an imported "
				"store does not import; it came from:\n%s",
			first);
		abort();
	}
	second = dump(&len);
	if (strcmp(first, second) != 0) {
		fprintf(stderr, "fuzz_import: export and import changed the "
				"store\n--- imported\n%s--- after export and "
				"import\n%s", first, second);
		abort();
	}
	free(first);
	free(second);
	must("ipsec static delete all");
	expect_baseline("delete all did not empty the store");
	return 0;
}
