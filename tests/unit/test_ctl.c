/*
 * test_ctl.c - unit tests of the control protocol (engine/ctl.h) and of
 * the service's lifecycle (engine/service.h): frame round trips, a
 * table of hostile frames, a real server and client in one process (the
 * server's loop in a thread), misbehaving clients, and services that
 * refuse a second instance, replace stale files, persist their config,
 * daemonise and stop.  No root needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/ctl.h"
#include "engine/log.h"
#include "engine/loop.h"
#include "engine/service.h"

/* ---- helpers -------------------------------------------------------- */

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
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ipsecsh-test-ctl-XXXXXX");
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

static void
sock_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static void
quiet_sink(void *arg, int prio, enum log_cat cat, const char *line)
{
	(void)arg;
	(void)prio;
	(void)cat;
	(void)line;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void
fill_sun(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);

	assert_true(n < sizeof(sa->sun_path));
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n);
}

/* A frame as bytes: header, id, type, payload. */
static size_t
mkframe(uint8_t *buf, uint32_t len, uint32_t id, uint8_t type,
        const void *payload, size_t plen)
{
	buf[0] = (uint8_t)(len >> 24);
	buf[1] = (uint8_t)(len >> 16);
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	buf[4] = (uint8_t)(id >> 24);
	buf[5] = (uint8_t)(id >> 16);
	buf[6] = (uint8_t)(id >> 8);
	buf[7] = (uint8_t)id;
	buf[8] = type;
	if (plen > 0)
		memcpy(buf + 9, payload, plen);
	return 9 + plen;
}

/* ---- protocol: round trips ----------------------------------------- */

static void
assert_request_equal(const struct ctl_request *a, const struct ctl_request *b)
{
	size_t i;

	assert_int_equal(a->format, b->format);
	assert_string_equal(a->context, b->context);
	assert_int_equal(a->nwords, b->nwords);
	for (i = 0; i < a->nwords; i++) {
		assert_int_equal(a->words[i].kind, b->words[i].kind);
		if (a->words[i].tag == NULL)
			assert_null(b->words[i].tag);
		else
			assert_string_equal(a->words[i].tag, b->words[i].tag);
		assert_string_equal(a->words[i].value, b->words[i].value);
	}
}

static void
test_request_roundtrip(void **state)
{
	struct ctl_request req, back;
	struct ctl_buf b = {0}, again = {0};
	struct ctl_frame f;
	char err[CTL_ERR_MAX], *big;

	(void)state;
	big = malloc(CTL_STRING_MAX + 1);
	assert_non_null(big);
	memset(big, 'x', CTL_STRING_MAX);
	big[CTL_STRING_MAX] = '\0';

	assert_int_equal(
	    ctl_request_init(&req, CTL_FORMAT_JSON, "ipsec dynamic"), 0);
	assert_int_equal(ctl_request_add_word(&req, CTL_WORD_BARE, NULL, "add",
	                                      err, sizeof(err)),
	                 0);
	assert_int_equal(ctl_request_add_word(&req, CTL_WORD_QUOTED, NULL, "",
	                                      err, sizeof(err)),
	                 0);
	assert_int_equal(ctl_request_add_word(&req, CTL_WORD_TAGGED, "psk",
	                                      "s3cret key", err, sizeof(err)),
	                 0);
	assert_int_equal(ctl_request_add_word(&req, CTL_WORD_TAGGED, "desc", "",
	                                      err, sizeof(err)),
	                 0);
	assert_int_equal(ctl_request_add_word(&req, CTL_WORD_QUOTED, NULL, big,
	                                      err, sizeof(err)),
	                 0);
	assert_int_equal(ctl_request_add_word(&req, CTL_WORD_BARE, NULL,
	                                      "caf\xc3\xa9", err, sizeof(err)),
	                 0);

	assert_int_equal(
	    ctl_request_encode(&b, 0xdeadbeef, &req, err, sizeof(err)), 0);
	/* Byte by byte it is incomplete, never an error. */
	for (size_t n = 0; n < 64; n++)
		assert_int_equal(
		    ctl_frame_parse(b.data, n, &f, err, sizeof(err)), 0);
	assert_int_equal(
	    ctl_frame_parse(b.data, b.len - 1, &f, err, sizeof(err)), 0);
	assert_int_equal(ctl_frame_parse(b.data, b.len, &f, err, sizeof(err)),
	                 1);
	assert_int_equal(f.id, 0xdeadbeef);
	assert_int_equal(f.type, CTL_REQUEST);
	assert_int_equal(f.size, b.len);
	assert_int_equal(
	    ctl_request_decode(f.payload, f.plen, &back, err, sizeof(err)), 0);
	assert_request_equal(&req, &back);

	/* Canonical: encoding what was decoded gives the same bytes. */
	assert_int_equal(
	    ctl_request_encode(&again, 0xdeadbeef, &back, err, sizeof(err)), 0);
	assert_int_equal(again.len, b.len);
	assert_memory_equal(again.data, b.data, b.len);

	ctl_request_free(&back);
	assert_null(back.context);
	assert_int_equal(back.nwords, 0);
	ctl_request_free(&req);
	ctl_request_free(NULL);
	ctl_buf_free(&b);
	ctl_buf_free(&again);
	free(big);
}

static void
test_empty_request_and_two_frames(void **state)
{
	struct ctl_request req, back;
	struct ctl_buf b = {0};
	struct ctl_frame f;
	enum ctl_done d;
	char err[CTL_ERR_MAX];

	(void)state;
	assert_int_equal(ctl_request_init(&req, CTL_FORMAT_DEFAULT, NULL), 0);
	assert_string_equal(req.context, "");
	assert_int_equal(ctl_request_encode(&b, 1, &req, err, sizeof(err)), 0);
	assert_int_equal(
	    ctl_done_encode(&b, 1, CTL_DONE_REFUSED, err, sizeof(err)), 0);
	/* Two frames back to back: the first, then the second. */
	assert_int_equal(ctl_frame_parse(b.data, b.len, &f, err, sizeof(err)),
	                 1);
	assert_int_equal(
	    ctl_request_decode(f.payload, f.plen, &back, err, sizeof(err)), 0);
	assert_request_equal(&req, &back);
	assert_int_equal(ctl_frame_parse(b.data + f.size, b.len - f.size, &f,
	                                 err, sizeof(err)),
	                 1);
	assert_int_equal(f.type, CTL_DONE);
	assert_int_equal(
	    ctl_done_decode(f.payload, f.plen, &d, err, sizeof(err)), 0);
	assert_int_equal(d, CTL_DONE_REFUSED);
	ctl_request_free(&back);
	ctl_request_free(&req);
	ctl_buf_free(&b);
}

static void
test_status_roundtrip(void **state)
{
	struct ctl_status st = {0}, back;
	struct ctl_buf b = {0}, again = {0};
	struct ctl_frame f;
	char err[CTL_ERR_MAX];
	int i;

	(void)state;
	assert_int_equal(ctl_status_add(&st, "pid", "PID", "%d", 42), 0);
	assert_int_equal(ctl_status_add(&st, "empty", "", "%s", ""), 0);
	assert_int_equal(ctl_status_encode(&b, 7, &st, err, sizeof(err)), 0);
	assert_int_equal(ctl_frame_parse(b.data, b.len, &f, err, sizeof(err)),
	                 1);
	assert_int_equal(f.type, CTL_STATUS);
	assert_int_equal(
	    ctl_status_decode(f.payload, f.plen, &back, err, sizeof(err)), 0);
	assert_int_equal(back.n, 2);
	assert_string_equal(ctl_status_get(&back, "pid"), "42");
	assert_string_equal(ctl_status_get(&back, "empty"), "");
	assert_null(ctl_status_get(&back, "nope"));
	assert_int_equal(ctl_status_encode(&again, 7, &back, err, sizeof(err)),
	                 0);
	assert_memory_equal(again.data, b.data, b.len);
	ctl_status_free(&back);

	/* No more than CTL_STATUS_MAX items; no empty key. */
	for (i = 2; i < CTL_STATUS_MAX; i++)
		assert_int_equal(ctl_status_add(&st, "k", "K", "%d", i), 0);
	assert_int_equal(ctl_status_add(&st, "k", "K", "x"), -1);
	assert_int_equal(ctl_status_add(&st, "", "K", "x"), -1);
	ctl_status_free(&st);
	ctl_buf_free(&b);
	ctl_buf_free(&again);
}

static void
test_encode_limits(void **state)
{
	struct ctl_request req;
	struct ctl_buf b = {0};
	char err[CTL_ERR_MAX], *big;
	int i;

	(void)state;
	big = malloc(CTL_STRING_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', CTL_STRING_MAX + 1);
	big[CTL_STRING_MAX + 1] = '\0';
	assert_int_equal(ctl_request_init(&req, CTL_FORMAT_LIST, "ipsec"), 0);
	/* A string one byte too long for its u16. */
	assert_int_equal(ctl_request_add_word(&req, CTL_WORD_BARE, NULL, big,
	                                      err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "longer than"));
	/* Tags: only on tagged words, never empty. */
	assert_int_equal(ctl_request_add_word(&req, CTL_WORD_TAGGED, "", "v",
	                                      err, sizeof(err)),
	                 -1);
	assert_int_equal(ctl_request_add_word(&req, CTL_WORD_TAGGED, NULL, "v",
	                                      err, sizeof(err)),
	                 -1);
	assert_int_equal(ctl_request_add_word(&req, CTL_WORD_BARE, "t", "v",
	                                      err, sizeof(err)),
	                 -1);
	assert_int_equal(ctl_request_add_word(&req, CTL_WORD_BARE, NULL, "",
	                                      err, sizeof(err)),
	                 -1);
	assert_int_equal(ctl_request_add_word(&req, (enum ctl_word_kind)3, NULL,
	                                      "v", err, sizeof(err)),
	                 -1);
	/* 128 words of 64 KiB: more than a frame can carry. */
	big[CTL_STRING_MAX] = '\0';
	for (i = 0; i < CTL_WORDS_MAX; i++)
		assert_int_equal(ctl_request_add_word(&req, CTL_WORD_QUOTED,
		                                      NULL, big, err,
		                                      sizeof(err)),
		                 0);
	assert_int_equal(ctl_request_add_word(&req, CTL_WORD_BARE, NULL, "x",
	                                      err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "more than 128 words"));
	assert_int_equal(
	    ctl_frame_encode(&b, 1, CTL_OUTPUT, "hi", 2, err, sizeof(err)), 0);
	assert_int_equal(ctl_request_encode(&b, 2, &req, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "exceeds the limit"));
	/* The failed frame left nothing behind. */
	assert_int_equal(b.len, 11);
	assert_int_equal(ctl_frame_encode(&b, 1, CTL_OUTPUT, big,
	                                  CTL_PAYLOAD_MAX + 1, err,
	                                  sizeof(err)),
	                 -1);
	assert_int_equal(b.len, 11);
	assert_int_equal(
	    ctl_done_encode(&b, 1, (enum ctl_done)3, err, sizeof(err)), -1);
	ctl_request_free(&req);
	ctl_buf_free(&b);
	free(big);
}

/* ---- protocol: hostile frames -------------------------------------- */

struct hostile_frame {
	const char *name;
	uint8_t bytes[32];
	size_t len;
	int rc; /* ctl_frame_parse */
	const char *msg;
};

static const struct hostile_frame hostile_frames[] = {
    {"zero length", {0, 0, 0, 0}, 4, -1, "below the minimum"},
    {"length 4 (no type)",
     {0, 0, 0, 4, 0, 0, 0, 1},
     8,
     -1,
     "below the minimum"},
    {"length 1 MiB + 1", {0, 0x10, 0, 1}, 4, -1, "exceeds the limit"},
    {"length 2 MiB",
     {0, 0x20, 0, 0, 0, 0, 0, 1, 1},
     9,
     -1,
     "exceeds the limit"},
    {"length 4 GiB - 1", {0xff, 0xff, 0xff, 0xff}, 4, -1, "exceeds the limit"},
    {"length beyond the buffer", {0, 0, 0, 100, 0, 0, 0, 1, 1, 0}, 10, 0, NULL},
    {"exactly 1 MiB, incomplete", {0, 0x10, 0, 0, 0, 0, 0, 1, 2}, 9, 0, NULL},
    {"header only", {0, 0, 0}, 3, 0, NULL},
    {"type 0", {0, 0, 0, 5, 0, 0, 0, 1, 0}, 9, -1, "unknown frame type"},
    {"type 7", {0, 0, 0, 5, 0, 0, 0, 1, 7}, 9, -1, "unknown frame type"},
    {"type 255", {0, 0, 0, 5, 0, 0, 0, 1, 255}, 9, -1, "unknown frame type"},
    {"empty output", {0, 0, 0, 5, 0, 0, 0, 1, 2}, 9, 1, NULL},
};

static void
test_hostile_frames(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hostile_frames) / sizeof(hostile_frames[0]);
	     i++) {
		const struct hostile_frame *h = &hostile_frames[i];
		struct ctl_frame f;
		char err[CTL_ERR_MAX] = "";
		int rc =
		    ctl_frame_parse(h->bytes, h->len, &f, err, sizeof(err));

		if (rc != h->rc)
			fail_msg("%s: rc %d, expected %d (%s)", h->name, rc,
			         h->rc, err);
		if (h->msg != NULL && strstr(err, h->msg) == NULL)
			fail_msg("%s: message \"%s\" lacks \"%s\"", h->name,
			         err, h->msg);
	}
}

struct hostile_payload {
	const char *name;
	uint8_t type;
	uint8_t bytes[40];
	size_t len;
	const char *msg;
};

static const struct hostile_payload hostile_payloads[] = {
    {"request: empty", CTL_REQUEST, {0}, 0, "output format missing"},
    {"request: format 4",
     CTL_REQUEST,
     {4, 0, 0, 0, 0},
     5,
     "unknown output format"},
    {"request: context length truncated", CTL_REQUEST, {0, 0}, 2, "truncated"},
    {"request: context runs past the end",
     CTL_REQUEST,
     {0, 0, 10, 'a'},
     4,
     "runs past the end"},
    {"request: NUL in the context",
     CTL_REQUEST,
     {0, 0, 3, 'a', 0, 'b', 0, 0},
     8,
     "NUL"},
    {"request: word count missing", CTL_REQUEST, {0, 0, 0}, 3, "word count"},
    {"request: 129 words",
     CTL_REQUEST,
     {0, 0, 0, 0, 129},
     5,
     "more than the limit"},
    {"request: 65535 words",
     CTL_REQUEST,
     {0, 0, 0, 0xff, 0xff},
     5,
     "more than the limit"},
    {"request: more words than bytes",
     CTL_REQUEST,
     {0, 0, 0, 0, 3, 0, 0, 1, 'a'},
     9,
     "cannot fit"},
    {"request: kind 3",
     CTL_REQUEST,
     {0, 0, 0, 0, 1, 3, 0, 1, 'a'},
     9,
     "unknown kind"},
    {"request: kind 255",
     CTL_REQUEST,
     {0, 0, 0, 0, 1, 255, 0, 1, 'a'},
     9,
     "unknown kind"},
    {"request: word truncated",
     CTL_REQUEST,
     {0, 0, 0, 0, 1, 0, 0, 5, 'a', 'b', 'c'},
     11,
     "runs past the end"},
    {"request: NUL in a word",
     CTL_REQUEST,
     {0, 0, 0, 0, 1, 0, 0, 3, 'a', 0, 'c'},
     11,
     "NUL"},
    {"request: NUL in a tag",
     CTL_REQUEST,
     {0, 0, 0, 0, 1, 2, 0, 2, 0, 'x', 0, 1, 'v'},
     13,
     "NUL"},
    {"request: empty tag",
     CTL_REQUEST,
     {0, 0, 0, 0, 1, 2, 0, 0, 0, 1, 'v'},
     11,
     "empty tag"},
    {"request: tagged word without value",
     CTL_REQUEST,
     {0, 0, 0, 0, 1, 2, 0, 1, 't'},
     9,
     "truncated"},
    {"request: empty bare word",
     CTL_REQUEST,
     {0, 0, 0, 0, 1, 0, 0, 0},
     8,
     "empty bare word"},
    {"request: trailing garbage",
     CTL_REQUEST,
     {0, 0, 0, 0, 1, 0, 0, 1, 'a', 'z'},
     10,
     "trailing garbage"},
    {"request: garbage after no words",
     CTL_REQUEST,
     {0, 0, 0, 0, 0, 0},
     6,
     "trailing garbage"},
    {"done: empty", CTL_DONE, {0}, 0, "expected 1"},
    {"done: two bytes", CTL_DONE, {0, 0}, 2, "expected 1"},
    {"done: status 3", CTL_DONE, {3}, 1, "unknown done status"},
    {"status: empty", CTL_STATUS, {0}, 0, "truncated"},
    {"status: 65 items", CTL_STATUS, {0, 65}, 2, "more than 64"},
    {"status: more items than bytes",
     CTL_STATUS,
     {0, 2, 0, 1, 'k'},
     5,
     "cannot fit"},
    {"status: empty key", CTL_STATUS, {0, 1, 0, 0, 0, 0, 0, 0}, 8, "empty key"},
    {"status: trailing garbage",
     CTL_STATUS,
     {0, 1, 0, 1, 'k', 0, 0, 0, 0, 9},
     10,
     "trailing garbage"},
    {"status: value truncated",
     CTL_STATUS,
     {0, 1, 0, 1, 'k', 0, 0, 0, 9, 'v'},
     10,
     "runs past the end"},
};

static void
test_hostile_payloads(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hostile_payloads) / sizeof(hostile_payloads[0]);
	     i++) {
		const struct hostile_payload *h = &hostile_payloads[i];
		char err[CTL_ERR_MAX] = "";
		struct ctl_request req;
		struct ctl_status st;
		enum ctl_done d;
		int rc = 0;

		switch (h->type) {
		case CTL_REQUEST:
			rc = ctl_request_decode(h->bytes, h->len, &req, err,
			                        sizeof(err));
			/* On failure nothing is left to free. */
			assert_null(req.context);
			assert_null(req.words);
			break;
		case CTL_STATUS:
			rc = ctl_status_decode(h->bytes, h->len, &st, err,
			                       sizeof(err));
			assert_null(st.items);
			break;
		case CTL_DONE:
			rc = ctl_done_decode(h->bytes, h->len, &d, err,
			                     sizeof(err));
			break;
		}
		if (rc != -1)
			fail_msg("%s: decoded", h->name);
		if (strstr(err, h->msg) == NULL)
			fail_msg("%s: message \"%s\" lacks \"%s\"", h->name,
			         err, h->msg);
	}
}

/* ---- a server in a thread ------------------------------------------ */

struct harness {
	struct loop *loop;
	struct ctl_server *srv;
	pthread_t th;
	char path[128];
};

static void *
loop_thread(void *arg)
{
	struct harness *h = arg;

	loop_run(h->loop);
	return NULL;
}

static int
echo_exec(void *arg, const struct ctl_request *req, const struct ctl_peer *peer,
          FILE *out, FILE *err)
{
	size_t i;

	(void)arg;
	fprintf(out, "context=%s format=%d\n", req->context, (int)req->format);
	for (i = 0; i < req->nwords; i++)
		fprintf(out, "%d:%s=%s\n", (int)req->words[i].kind,
		        req->words[i].tag != NULL ? req->words[i].tag : "",
		        req->words[i].value);
	fprintf(out, "uid=%u pid=%d may_change=%d\n", (unsigned)peer->uid,
	        (int)peer->pid, peer->may_change);
	fprintf(err, "warning: %zu words\n", req->nwords);
	if (req->nwords > 0 && strcmp(req->words[0].value, "big") == 0) {
		for (i = 0; i < 300000; i++)
			fputc('a' + (int)(i % 26), out);
	}
	if (req->nwords > 0 && strcmp(req->words[0].value, "fail") == 0)
		return 1;
	if (req->nwords > 0 && strcmp(req->words[0].value, "refuse") == 0)
		return 2;
	if (req->nwords > 0 && strcmp(req->words[0].value, "weird") == 0)
		return 77;
	return 0;
}

static void
add_status(void *arg, struct ctl_status *st)
{
	(void)arg;
	ctl_status_add(st, "test", "Test Item", "%s", "yes");
}

static void
harness_start(struct harness *h, const char *name, size_t max_clients,
              int idle_ms)
{
	struct ctl_server_opts o;
	char err[CTL_ERR_MAX];

	memset(h, 0, sizeof(*h));
	sock_path(h->path, sizeof(h->path), name);
	h->loop = loop_new(err, sizeof(err));
	assert_non_null(h->loop);
	memset(&o, 0, sizeof(o));
	o.path = h->path;
	o.exec = echo_exec;
	o.status = add_status;
	o.max_clients = max_clients;
	o.idle_timeout_ms = idle_ms;
	h->srv = ctl_server_new(h->loop, &o, err, sizeof(err));
	if (h->srv == NULL)
		fail_msg("ctl_server_new: %s", err);
	assert_int_equal(pthread_create(&h->th, NULL, loop_thread, h), 0);
}

static void
harness_stop(struct harness *h)
{
	struct stat st;

	loop_stop(h->loop);
	assert_int_equal(pthread_join(h->th, NULL), 0);
	ctl_server_free(h->srv);
	loop_free(h->loop);
	/* The socket file goes with the server. */
	assert_int_equal(stat(h->path, &st), -1);
}

/* Runs a request given as words ("tag=value" tagged, "'x" quoted). */
static int
call(const char *path, int *status, char **out, char **err, const char *w, ...)
{
	struct ctl_request req;
	char ebuf[CTL_ERR_MAX], msg[CTL_ERR_MAX];
	size_t olen, elen;
	FILE *o, *e;
	va_list ap;
	int rc;

	assert_int_equal(
	    ctl_request_init(&req, CTL_FORMAT_TABLE, "ipsec dynamic"), 0);
	va_start(ap, w);
	for (; w != NULL; w = va_arg(ap, const char *)) {
		const char *eq = strchr(w, '=');

		if (w[0] == '\'') {
			rc = ctl_request_add_word(&req, CTL_WORD_QUOTED, NULL,
			                          w + 1, msg, sizeof(msg));
		} else if (eq != NULL) {
			char tag[64];

			snprintf(tag, sizeof(tag), "%.*s", (int)(eq - w), w);
			rc = ctl_request_add_word(&req, CTL_WORD_TAGGED, tag,
			                          eq + 1, msg, sizeof(msg));
		} else {
			rc = ctl_request_add_word(&req, CTL_WORD_BARE, NULL, w,
			                          msg, sizeof(msg));
		}
		assert_int_equal(rc, 0);
	}
	va_end(ap);
	o = open_memstream(out, &olen);
	e = open_memstream(err, &elen);
	assert_non_null(o);
	assert_non_null(e);
	rc = ctl_call(path, &req, o, e, status, ebuf, sizeof(ebuf));
	fclose(o);
	fclose(e);
	ctl_request_free(&req);
	return rc;
}

static void
test_server_client(void **state)
{
	struct harness h;
	struct stat st;
	char *out = NULL, *err = NULL, expect[256];
	int status = -1;

	(void)state;
	harness_start(&h, "sub/dir/ctl.sock", 0, 0);
	/* The directory was made; the socket is 0660. */
	assert_int_equal(stat(h.path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);

	assert_int_equal(call(h.path, &status, &out, &err, "show", "config",
	                      "name=Red Team", "'", "desc=", NULL),
	                 CTL_CALL_OK);
	assert_int_equal(status, CTL_DONE_OK);
	snprintf(expect, sizeof(expect),
	         "context=ipsec dynamic format=2\n"
	         "0:=show\n0:=config\n2:name=Red Team\n1:=\n2:desc=\n"
	         "uid=%u pid=%d may_change=%d\n",
	         (unsigned)getuid(), (int)getpid(), getuid() == 0);
	assert_string_equal(out, expect);
	assert_string_equal(err, "warning: 5 words\n");
	free(out);
	free(err);

	assert_int_equal(call(h.path, &status, &out, &err, "fail", NULL),
	                 CTL_CALL_OK);
	assert_int_equal(status, CTL_DONE_FAILED);
	free(out);
	free(err);
	assert_int_equal(call(h.path, &status, &out, &err, "refuse", NULL),
	                 CTL_CALL_OK);
	assert_int_equal(status, CTL_DONE_REFUSED);
	free(out);
	free(err);
	/* An executor's odd status counts as failed. */
	assert_int_equal(call(h.path, &status, &out, &err, "weird", NULL),
	                 CTL_CALL_OK);
	assert_int_equal(status, CTL_DONE_FAILED);
	free(out);
	free(err);

	/* Output larger than one frame arrives whole and in order. */
	assert_int_equal(call(h.path, &status, &out, &err, "big", NULL),
	                 CTL_CALL_OK);
	assert_int_equal(status, CTL_DONE_OK);
	{
		const char *p = strstr(out, "may_change=");
		size_t i;

		assert_non_null(p);
		p = strchr(p, '\n') + 1;
		assert_int_equal(strlen(p), 300000);
		for (i = 0; i < 300000; i++)
			if (p[i] != 'a' + (int)(i % 26))
				fail_msg("big output differs at %zu", i);
	}
	free(out);
	free(err);
	harness_stop(&h);
}

static void
test_status_query(void **state)
{
	struct harness h;
	struct ctl_status st;
	char err[CTL_ERR_MAX], pid[16], *text = NULL;
	size_t len;
	FILE *f;

	(void)state;
	harness_start(&h, "status.sock", 0, 0);
	assert_int_equal(ctl_status_query(h.path, &st, 5000, err, sizeof(err)),
	                 CTL_CALL_OK);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	assert_string_equal(ctl_status_get(&st, "pid"), pid);
	assert_string_equal(ctl_status_get(&st, "version"), IPSECSH_VERSION);
	assert_string_equal(ctl_status_get(&st, "test"), "yes");
	ctl_status_free(&st);
	f = open_memstream(&text, &len);
	assert_int_equal(ctl_status(h.path, f, err, sizeof(err)), CTL_CALL_OK);
	fclose(f);
	assert_non_null(strstr(text, "Test Item : yes\n"));
	assert_non_null(strstr(text, "PID       : "));
	free(text);
	harness_stop(&h);
}

/* Connects a plain blocking socket, with a receive timeout. */
static int
raw_connect(const char *path)
{
	struct sockaddr_un sa;
	struct timeval tv = {5, 0};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	fill_sun(&sa, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Reads until the server closes; returns the bytes (malloc'd). */
static uint8_t *
read_to_eof(int fd, size_t *len)
{
	uint8_t *buf = malloc(1 << 16);
	size_t n = 0;

	assert_non_null(buf);
	for (;;) {
		ssize_t r = recv(fd, buf + n, (1 << 16) - n, 0);

		if (r == 0 || (r < 0 && errno == ECONNRESET))
			break;
		if (r < 0)
			fail_msg("recv: %s (the server did not close)",
			         strerror(errno));
		n += (size_t)r;
		assert_true(n < (1 << 16));
	}
	*len = n;
	return buf;
}

/* The first frame of buf must be ERROR with id and text in it. */
static size_t
expect_error(const uint8_t *buf, size_t len, uint32_t id, const char *text)
{
	struct ctl_frame f;
	char err[CTL_ERR_MAX], *msg;

	assert_int_equal(ctl_frame_parse(buf, len, &f, err, sizeof(err)), 1);
	assert_int_equal(f.type, CTL_ERROR);
	assert_int_equal(f.id, id);
	msg = strndup((const char *)f.payload, f.plen);
	if (strstr(msg, text) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", msg, text);
	free(msg);
	return f.size;
}

static void
test_oversized_frame_dropped(void **state)
{
	struct harness h;
	uint8_t hdr[16], *got;
	size_t len;
	char *out = NULL, *err = NULL;
	int fd, status, other;

	(void)state;
	harness_start(&h, "big.sock", 0, 0);
	/* A well-behaved client connected before, still served after. */
	other = raw_connect(h.path);
	fd = raw_connect(h.path);
	mkframe(hdr, 2u << 20, 1, CTL_REQUEST, "abcdefg", 7);
	assert_int_equal(send(fd, hdr, 16, MSG_NOSIGNAL), 16);
	got = read_to_eof(fd, &len);
	expect_error(got, len, 0, "exceeds the limit");
	free(got);
	close(fd);

	assert_int_equal(call(h.path, &status, &out, &err, "show", NULL),
	                 CTL_CALL_OK);
	assert_int_equal(status, CTL_DONE_OK);
	free(out);
	free(err);
	/* The one connected before is answered too. */
	{
		struct ctl_request req;
		struct ctl_buf b = {0};
		struct ctl_frame f;
		uint8_t buf[4096];
		size_t n = 0;
		char e[CTL_ERR_MAX];
		bool done = false;

		assert_int_equal(ctl_request_init(&req, 0, ""), 0);
		assert_int_equal(ctl_request_add_word(&req, CTL_WORD_BARE, NULL,
		                                      "x", e, sizeof(e)),
		                 0);
		assert_int_equal(ctl_request_encode(&b, 9, &req, e, sizeof(e)),
		                 0);
		assert_int_equal(send(other, b.data, b.len, MSG_NOSIGNAL),
		                 (ssize_t)b.len);
		while (!done) {
			ssize_t r = recv(other, buf + n, sizeof(buf) - n, 0);
			size_t off = 0;

			assert_true(r > 0);
			n += (size_t)r;
			while (ctl_frame_parse(buf + off, n - off, &f, e,
			                       sizeof(e)) == 1) {
				assert_int_equal(f.id, 9);
				if (f.type == CTL_DONE)
					done = true;
				off += f.size;
			}
		}
		ctl_request_free(&req);
		ctl_buf_free(&b);
		close(other);
	}
	harness_stop(&h);
}

static void
test_bad_clients(void **state)
{
	struct harness h;
	uint8_t frame[64], *got;
	size_t len, n, off;
	struct ctl_frame f;
	char err[CTL_ERR_MAX], *out = NULL, *errt = NULL;
	enum ctl_done d;
	int fd, status;
	static const uint8_t bad_req[] = {0, 0, 0, 0, 1, 9, 0, 1, 'a'};

	(void)state;
	harness_start(&h, "bad.sock", 0, 0);

	/* A well-framed request that does not decode: ERROR, DONE 2,
	 * then the connection is closed. */
	fd = raw_connect(h.path);
	n = mkframe(frame, 5 + sizeof(bad_req), 33, CTL_REQUEST, bad_req,
	            sizeof(bad_req));
	assert_int_equal(send(fd, frame, n, MSG_NOSIGNAL), (ssize_t)n);
	got = read_to_eof(fd, &len);
	off = expect_error(got, len, 33, "unknown kind");
	assert_int_equal(
	    ctl_frame_parse(got + off, len - off, &f, err, sizeof(err)), 1);
	assert_int_equal(f.type, CTL_DONE);
	assert_int_equal(
	    ctl_done_decode(f.payload, f.plen, &d, err, sizeof(err)), 0);
	assert_int_equal(d, CTL_DONE_REFUSED);
	free(got);
	close(fd);

	/* A frame type clients do not send. */
	fd = raw_connect(h.path);
	n = mkframe(frame, 5, 1, CTL_OUTPUT, NULL, 0);
	assert_int_equal(send(fd, frame, n, MSG_NOSIGNAL), (ssize_t)n);
	got = read_to_eof(fd, &len);
	expect_error(got, len, 0, "does not send output frames");
	free(got);
	close(fd);

	/* Half a frame, then the client stops sending. */
	fd = raw_connect(h.path);
	n = mkframe(frame, 20, 1, CTL_REQUEST, "abc", 3);
	assert_int_equal(send(fd, frame, n, MSG_NOSIGNAL), (ssize_t)n);
	shutdown(fd, SHUT_WR);
	got = read_to_eof(fd, &len);
	expect_error(got, len, 0, "truncated frame");
	free(got);
	close(fd);

	/* A status request with a payload. */
	fd = raw_connect(h.path);
	n = mkframe(frame, 6, 1, CTL_STATUS_REQUEST, "x", 1);
	assert_int_equal(send(fd, frame, n, MSG_NOSIGNAL), (ssize_t)n);
	got = read_to_eof(fd, &len);
	expect_error(got, len, 0, "no payload");
	free(got);
	close(fd);

	/* A client that connects and goes at once. */
	fd = raw_connect(h.path);
	close(fd);

	/* Pipelined: a request and a status request in one write, then
	 * the client half-closes; both are answered, in order. */
	{
		struct ctl_request req;
		struct ctl_buf b = {0};
		struct ctl_status st;
		bool saw_done = false, saw_status = false;

		assert_int_equal(ctl_request_init(&req, 0, "x"), 0);
		assert_int_equal(
		    ctl_request_encode(&b, 5, &req, err, sizeof(err)), 0);
		assert_int_equal(ctl_frame_encode(&b, 6, CTL_STATUS_REQUEST,
		                                  NULL, 0, err, sizeof(err)),
		                 0);
		fd = raw_connect(h.path);
		assert_int_equal(send(fd, b.data, b.len, MSG_NOSIGNAL),
		                 (ssize_t)b.len);
		shutdown(fd, SHUT_WR);
		got = read_to_eof(fd, &len);
		for (off = 0; ctl_frame_parse(got + off, len - off, &f, err,
		                              sizeof(err)) == 1;
		     off += f.size) {
			if (f.type == CTL_DONE) {
				assert_int_equal(f.id, 5);
				assert_false(saw_status);
				saw_done = true;
			}
			if (f.type == CTL_STATUS) {
				assert_int_equal(f.id, 6);
				assert_int_equal(
				    ctl_status_decode(f.payload, f.plen, &st,
				                      err, sizeof(err)),
				    0);
				ctl_status_free(&st);
				saw_status = true;
			}
		}
		assert_int_equal(off, len);
		assert_true(saw_done && saw_status);
		free(got);
		close(fd);
		ctl_request_free(&req);
		ctl_buf_free(&b);
	}

	/* Pipelined without a half-close: the second frame is answered
	 * too, although no more bytes arrive after it. */
	{
		struct ctl_request req;
		struct ctl_buf b = {0};
		uint8_t buf[4096];
		size_t have = 0;
		int answers = 0;

		assert_int_equal(ctl_request_init(&req, 0, "x"), 0);
		assert_int_equal(
		    ctl_request_encode(&b, 7, &req, err, sizeof(err)), 0);
		assert_int_equal(ctl_frame_encode(&b, 8, CTL_STATUS_REQUEST,
		                                  NULL, 0, err, sizeof(err)),
		                 0);
		fd = raw_connect(h.path);
		assert_int_equal(send(fd, b.data, b.len, MSG_NOSIGNAL),
		                 (ssize_t)b.len);
		while (answers < 2) {
			ssize_t r = recv(fd, buf + have, sizeof(buf) - have, 0);

			if (r <= 0)
				fail_msg("no answer to the pipelined frame");
			have += (size_t)r;
			while (ctl_frame_parse(buf, have, &f, err,
			                       sizeof(err)) == 1) {
				if (f.type == CTL_DONE || f.type == CTL_STATUS)
					answers++;
				memmove(buf, buf + f.size, have - f.size);
				have -= f.size;
			}
		}
		close(fd);
		ctl_request_free(&req);
		ctl_buf_free(&b);
	}

	/* And the server still serves. */
	assert_int_equal(call(h.path, &status, &out, &errt, "show", NULL),
	                 CTL_CALL_OK);
	assert_int_equal(status, CTL_DONE_OK);
	free(out);
	free(errt);
	harness_stop(&h);
}

static void
test_client_limits(void **state)
{
	struct harness h;
	uint8_t *got;
	size_t len;
	int a, b, c;

	(void)state;
	/* Two clients at most; silent ones go after a second.  The
	 * server accepts in connection order, so c is the third. */
	harness_start(&h, "limits.sock", 2, 1000);
	a = raw_connect(h.path);
	b = raw_connect(h.path);
	c = raw_connect(h.path);
	got = read_to_eof(c, &len);
	expect_error(got, len, 0, "too many control connections");
	free(got);
	close(c);
	/* The idle ones are dropped: EOF without a word. */
	got = read_to_eof(a, &len);
	assert_int_equal(len, 0);
	free(got);
	got = read_to_eof(b, &len);
	assert_int_equal(len, 0);
	free(got);
	close(a);
	close(b);
	harness_stop(&h);
}

static void
test_no_service(void **state)
{
	struct ctl_request req;
	struct sockaddr_un sa;
	struct ctl_status st;
	char path[128], err[CTL_ERR_MAX];
	int status, fd;

	(void)state;
	assert_int_equal(ctl_request_init(&req, 0, ""), 0);
	sock_path(path, sizeof(path), "nobody.sock");
	assert_int_equal(
	    ctl_call(path, &req, stdout, stderr, &status, err, sizeof(err)),
	    CTL_CALL_NOSERVICE);
	assert_non_null(strstr(err, "nothing listens on"));
	assert_int_equal(ctl_status_query(path, &st, 1000, err, sizeof(err)),
	                 CTL_CALL_NOSERVICE);

	/* A socket file that nobody listens on any more. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	fill_sun(&sa, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(
	    ctl_call(path, &req, stdout, stderr, &status, err, sizeof(err)),
	    CTL_CALL_NOSERVICE);
	unlink(path);

	/* A path too long for a UNIX socket. */
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(
	    ctl_call(path, &req, stdout, stderr, &status, err, sizeof(err)),
	    CTL_CALL_ERROR);
	assert_non_null(strstr(err, "too long"));
	ctl_request_free(&req);
}

static void
test_client_timeout(void **state)
{
	struct ctl_request req;
	struct sockaddr_un sa;
	char path[128], err[CTL_ERR_MAX];
	int status, fd;
	struct timespec t0, t1;
	long ms;

	(void)state;
	/* A "service" that accepts connections (the backlog) and never
	 * answers. */
	sock_path(path, sizeof(path), "hung.sock");
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	fill_sun(&sa, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(ctl_request_init(&req, 0, ""), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(ctl_call_timeout(path, &req, stdout, stderr, &status,
	                                  300, err, sizeof(err)),
	                 CTL_CALL_ERROR);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 250 && ms < 5000);
	assert_non_null(strstr(err, "did not answer"));
	ctl_request_free(&req);
	close(fd);
	unlink(path);
}

static void
test_server_socket_file(void **state)
{
	struct harness h;
	struct ctl_server_opts o;
	struct sockaddr_un sa;
	struct loop *l;
	char path[128], err[CTL_ERR_MAX];
	int fd;
	FILE *f;

	(void)state;
	l = loop_new(err, sizeof(err));
	assert_non_null(l);
	memset(&o, 0, sizeof(o));
	o.exec = echo_exec;

	/* A live server: a second one on its path is refused. */
	harness_start(&h, "live.sock", 0, 0);
	o.path = h.path;
	assert_null(ctl_server_new(l, &o, err, sizeof(err)));
	assert_non_null(strstr(err, "another service is listening"));
	harness_stop(&h);

	/* A stale socket file is replaced. */
	sock_path(path, sizeof(path), "stale.sock");
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	fill_sun(&sa, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	o.path = path;
	{
		struct ctl_server *s = ctl_server_new(l, &o, err, sizeof(err));

		if (s == NULL)
			fail_msg("stale socket not replaced: %s", err);
		ctl_server_free(s);
	}

	/* Something else than a socket is left alone. */
	sock_path(path, sizeof(path), "file.sock");
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_null(ctl_server_new(l, &o, err, sizeof(err)));
	assert_non_null(strstr(err, "not a socket"));
	assert_int_equal(access(path, F_OK), 0);

	/* An admin group that does not exist. */
	sock_path(path, sizeof(path), "group.sock");
	o.admin_group = "no-such-group-ipsecsh";
	assert_null(ctl_server_new(l, &o, err, sizeof(err)));
	assert_non_null(strstr(err, "admin group \"no-such-group-ipsecsh\""));
	assert_int_equal(access(path, F_OK), -1);

	/* A path too long. */
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	o.admin_group = NULL;
	o.path = path;
	assert_null(ctl_server_new(l, &o, err, sizeof(err)));
	loop_free(l);
}

static void
test_peer_may_change(void **state)
{
	struct ctl_peer p;
	gid_t groups[64];
	int sv[2], n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(&p, 0, sizeof(p));
	p.pid = getpid();
	p.uid = 0;
	p.gid = 4242;
	assert_true(ctl_peer_may_change(sv[0], &p, (gid_t)-1));
	p.uid = 4242;
	/* No admin group: only root. */
	assert_false(ctl_peer_may_change(sv[0], &p, (gid_t)-1));
	/* The primary group. */
	assert_true(ctl_peer_may_change(sv[0], &p, 4242));
	/* A group the peer (this process) is not in. */
	assert_false(ctl_peer_may_change(sv[0], &p, 4243));
	/* A supplementary group of the peer (this process), if any. */
	n = getgroups(64, groups);
	if (n > 0 && groups[0] != 4242)
		assert_true(ctl_peer_may_change(sv[0], &p, groups[0]));
	close(sv[0]);
	close(sv[1]);
}

/* ---- the service ---------------------------------------------------- */

struct svc_harness {
	struct service_opts o;
	pthread_t th;
	struct service *svc; /* set by on_start (atomic) */
	int rc;
	char err[CTL_ERR_MAX];
	char path[128];
	int stops;
};

static int
svc_on_start(struct service *svc, void *arg, char *err, size_t errlen)
{
	struct svc_harness *h = arg;

	(void)err;
	(void)errlen;
	__atomic_store_n(&h->svc, svc, __ATOMIC_RELEASE);
	return 0;
}

static void
svc_on_stop(struct service *svc, void *arg)
{
	struct svc_harness *h = arg;

	(void)svc;
	h->stops++;
}

/* "set config NAME VALUE" through the service, else echo. */
static int
svc_exec(void *arg, const struct ctl_request *req, const struct ctl_peer *peer,
         FILE *out, FILE *err)
{
	struct svc_harness *h = arg;
	struct service *svc = __atomic_load_n(&h->svc, __ATOMIC_ACQUIRE);
	char msg[512];

	if (req->nwords == 4 && strcmp(req->words[0].value, "set") == 0) {
		if (service_config_set(svc, req->words[2].value,
		                       req->words[3].value, msg,
		                       sizeof(msg)) < 0) {
			fprintf(err, "ERR: %s\n", msg);
			return 1;
		}
		fprintf(out, "Ok.\n");
		return 0;
	}
	return echo_exec(NULL, req, peer, out, err);
}

static void *
svc_thread(void *arg)
{
	struct svc_harness *h = arg;

	h->rc = service_run(&h->o, h->err, sizeof(h->err));
	return NULL;
}

static void
svc_init(struct svc_harness *h, const char *name)
{
	memset(h, 0, sizeof(*h));
	sock_path(h->path, sizeof(h->path), name);
	h->o.socket_path = h->path;
	h->o.foreground = true;
	h->o.exec = svc_exec;
	h->o.exec_arg = h;
	h->o.on_start = svc_on_start;
	h->o.on_stop = svc_on_stop;
	h->o.hook_arg = h;
}

static void
svc_start_thread(struct svc_harness *h)
{
	int i;

	h->svc = NULL;
	assert_int_equal(pthread_create(&h->th, NULL, svc_thread, h), 0);
	for (i = 0;
	     i < 500 && __atomic_load_n(&h->svc, __ATOMIC_ACQUIRE) == NULL; i++)
		sleep_ms(10);
	assert_non_null(h->svc);
}

static void
svc_stop_thread(struct svc_harness *h)
{
	service_request_stop(h->svc);
	assert_int_equal(pthread_join(h->th, NULL), 0);
	if (h->rc != 0)
		fail_msg("service_run: %s", h->err);
}

static bool
wait_status(const char *path, bool up)
{
	struct ctl_status st;
	char err[CTL_ERR_MAX];
	int i;

	for (i = 0; i < 500; i++) {
		int rc = ctl_status_query(path, &st, 1000, err, sizeof(err));

		ctl_status_free(&st);
		if ((rc == CTL_CALL_OK) == up)
			return true;
		sleep_ms(10);
	}
	return false;
}

static void
test_service_second_instance_in_process(void **state)
{
	struct svc_harness h, h2;
	char pidfile[160], expect[64], *out = NULL, *err = NULL;
	int status;

	(void)state;
	svc_init(&h, "svc1/ipsecsh.sock");
	svc_start_thread(&h);
	/* A second service on the same socket, from this very process. */
	svc_init(&h2, "svc1/ipsecsh.sock");
	assert_int_equal(service_run(&h2.o, h2.err, sizeof(h2.err)), -1);
	snprintf(expect, sizeof(expect), "already running (pid %d",
	         (int)getpid());
	if (strstr(h2.err, expect) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", h2.err, expect);
	/* ... which left the first one's files alone. */
	snprintf(pidfile, sizeof(pidfile), "%s.pid", h.path);
	assert_int_equal(access(pidfile, F_OK), 0);
	assert_int_equal(call(h.path, &status, &out, &err, "show", NULL),
	                 CTL_CALL_OK);
	assert_int_equal(status, CTL_DONE_OK);
	free(out);
	free(err);
	svc_stop_thread(&h);
	assert_int_equal(h.stops, 1);
	assert_int_equal(access(pidfile, F_OK), -1);
	assert_int_equal(access(h.path, F_OK), -1);
}

static void
test_service_config_persists(void **state)
{
	struct svc_harness h;
	struct ctl_status st;
	char conf[160], err[CTL_ERR_MAX], *out = NULL, *errt = NULL;
	struct stat sb;
	int status;

	(void)state;
	svc_init(&h, "svc2/ipsecsh.sock");
	svc_start_thread(&h);
	assert_int_equal(call(h.path, &status, &out, &errt, "set", "config",
	                      "ipsecdiag", "5", NULL),
	                 CTL_CALL_OK);
	assert_int_equal(status, CTL_DONE_OK);
	free(out);
	free(errt);
	assert_int_equal(call(h.path, &status, &out, &errt, "set", "config",
	                      "ipsecloginterval", "59", NULL),
	                 CTL_CALL_OK);
	assert_int_equal(status, CTL_DONE_FAILED);
	assert_non_null(strstr(errt, "expected an integer from 60 to 86400"));
	free(out);
	free(errt);
	assert_int_equal(call(h.path, &status, &out, &errt, "set", "config",
	                      "bootexemptions", "udp:0:53:OUTBOUND", NULL),
	                 CTL_CALL_OK);
	assert_int_equal(status, CTL_DONE_OK);
	free(out);
	free(errt);
	assert_int_equal(service_config(h.svc)->num[CONFIG_IPSECDIAGNOSTICS],
	                 5);
	svc_stop_thread(&h);

	snprintf(conf, sizeof(conf), "%s.conf", h.path);
	assert_int_equal(stat(conf, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);

	/* A new service on the same socket starts with those values. */
	svc_start_thread(&h);
	assert_int_equal(ctl_status_query(h.path, &st, 5000, err, sizeof(err)),
	                 CTL_CALL_OK);
	assert_string_equal(ctl_status_get(&st, "config.ipsecdiagnostics"),
	                    "5");
	assert_string_equal(ctl_status_get(&st, "config.ipsecloginterval"),
	                    "3600");
	assert_string_equal(ctl_status_get(&st, "config.bootexemptions"),
	                    "UDP:0:53:outbound");
	assert_non_null(ctl_status_get(&st, "uptime"));
	assert_string_equal(ctl_status_get(&st, "socket"), h.path);
	ctl_status_free(&st);
	svc_stop_thread(&h);

	/* A damaged file: the service starts with the defaults. */
	{
		FILE *f = fopen(conf, "w");

		assert_non_null(f);
		fputs("ipsecdiagnostics=99\n", f);
		fclose(f);
	}
	svc_start_thread(&h);
	assert_int_equal(ctl_status_query(h.path, &st, 5000, err, sizeof(err)),
	                 CTL_CALL_OK);
	assert_string_equal(ctl_status_get(&st, "config.ipsecdiagnostics"),
	                    "0");
	ctl_status_free(&st);
	svc_stop_thread(&h);
}

static void
test_service_forked_and_stop(void **state)
{
	struct svc_harness h, h2;
	char pidfile[160], expect[64], err[CTL_ERR_MAX], *text = NULL;
	size_t len;
	pid_t child;
	int wst;
	FILE *f;

	(void)state;
	svc_init(&h, "svc3/ipsecsh.sock");
	/* Stale leftovers of a service that died: a socket nobody
	 * listens on and an unlocked pid file naming some process. */
	{
		struct sockaddr_un sa;
		int fd;

		assert_int_equal(
		    mkdir(strcat(strcpy(pidfile, tmpdir), "/svc3"), 0755), 0);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		fill_sun(&sa, h.path);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)),
		                 0);
		close(fd);
		snprintf(pidfile, sizeof(pidfile), "%s.pid", h.path);
		f = fopen(pidfile, "w");
		assert_non_null(f);
		fprintf(f, "%d\n", (int)getppid());
		fclose(f);
	}
	h.o.on_start = NULL; /* the child has its own copy anyway */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int rc = service_run(&h.o, h.err, sizeof(h.err));

		_exit(rc == 0 ? 0 : 1);
	}
	assert_true(wait_status(h.path, true));

	/* Refused while the first runs. */
	svc_init(&h2, "svc3/ipsecsh.sock");
	assert_int_equal(service_run(&h2.o, h2.err, sizeof(h2.err)), -1);
	snprintf(expect, sizeof(expect), "already running (pid %d,",
	         (int)child);
	if (strstr(h2.err, expect) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", h2.err, expect);

	f = open_memstream(&text, &len);
	assert_int_equal(service_status(h.path, f), 0);
	fclose(f);
	assert_non_null(strstr(text, "The ipsecsh service is running."));
	snprintf(expect, sizeof(expect), ": %d\n", (int)child);
	assert_non_null(strstr(text, expect));
	assert_non_null(strstr(text, "IPSec Diagnostics"));
	free(text);

	assert_int_equal(service_stop(h.path, 5000, err, sizeof(err)), 0);
	assert_int_equal(waitpid(child, &wst, 0), child);
	assert_true(WIFEXITED(wst));
	assert_int_equal(WEXITSTATUS(wst), 0);
	assert_int_equal(access(h.path, F_OK), -1);
	assert_int_equal(access(pidfile, F_OK), -1);

	f = open_memstream(&text, &len);
	assert_int_equal(service_status(h.path, f), 1);
	fclose(f);
	assert_non_null(strstr(text, "is not running"));
	free(text);
	assert_int_equal(service_stop(h.path, 1000, err, sizeof(err)), 1);
}

static void
test_service_live_socket_without_pidfile(void **state)
{
	struct harness h;
	struct svc_harness s;
	char pidfile[160];

	(void)state;
	/* Something serves the socket but holds no pid file. */
	harness_start(&h, "svc4.sock", 0, 0);
	svc_init(&s, "svc4.sock");
	assert_int_equal(service_run(&s.o, s.err, sizeof(s.err)), -1);
	assert_non_null(strstr(s.err, "another service is listening"));
	snprintf(pidfile, sizeof(pidfile), "%s.pid", s.path);
	assert_int_equal(access(pidfile, F_OK), -1);
	harness_stop(&h);
}

static void
test_service_daemon(void **state)
{
	struct svc_harness h;
	struct ctl_status st;
	char err[CTL_ERR_MAX], *out = NULL, *errt = NULL;
	const char *pid;
	int status;

	(void)state;
	svc_init(&h, "svc5/ipsecsh.sock");
	h.o.on_start = NULL;
	h.o.on_stop = NULL;
	h.o.foreground = false;
	if (service_start(&h.o, err, sizeof(err)) < 0)
		fail_msg("service_start: %s", err);
	/* It returned once the socket listens: no waiting needed. */
	assert_int_equal(ctl_status_query(h.path, &st, 5000, err, sizeof(err)),
	                 CTL_CALL_OK);
	pid = ctl_status_get(&st, "pid");
	assert_non_null(pid);
	/* The daemon is not this process nor its child. */
	assert_int_not_equal(atoi(pid), getpid());
	ctl_status_free(&st);
	assert_int_equal(call(h.path, &status, &out, &errt, "show", NULL),
	                 CTL_CALL_OK);
	assert_int_equal(status, CTL_DONE_OK);
	free(out);
	free(errt);

	/* A second start reports the daemon's refusal. */
	assert_int_equal(service_start(&h.o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already running"));

	assert_int_equal(service_stop(h.path, 5000, err, sizeof(err)), 0);
	assert_true(wait_status(h.path, false));

	/* A start that fails reports why. */
	h.o.admin_group = "no-such-group-ipsecsh";
	assert_int_equal(service_start(&h.o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "admin group"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_roundtrip),
	    cmocka_unit_test(test_empty_request_and_two_frames),
	    cmocka_unit_test(test_status_roundtrip),
	    cmocka_unit_test(test_encode_limits),
	    cmocka_unit_test(test_hostile_frames),
	    cmocka_unit_test(test_hostile_payloads),
	    cmocka_unit_test(test_server_client),
	    cmocka_unit_test(test_status_query),
	    cmocka_unit_test(test_oversized_frame_dropped),
	    cmocka_unit_test(test_bad_clients),
	    cmocka_unit_test(test_client_limits),
	    cmocka_unit_test(test_no_service),
	    cmocka_unit_test(test_client_timeout),
	    cmocka_unit_test(test_server_socket_file),
	    cmocka_unit_test(test_peer_may_change),
	    cmocka_unit_test(test_service_second_instance_in_process),
	    cmocka_unit_test(test_service_config_persists),
	    cmocka_unit_test(test_service_forked_and_stop),
	    cmocka_unit_test(test_service_live_socket_without_pidfile),
	    cmocka_unit_test(test_service_daemon),
	};

	/* Service messages would clutter the test output. */
	log_set_sink(quiet_sink, NULL);
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
