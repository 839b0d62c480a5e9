/*
 * fuzz_ctl_frame.c - libFuzzer target for the control-socket frame
 * parser (engine/ctl.h): arbitrary bytes, as a client or a service could
 * send them, are cut into frames with ctl_frame_parse() and each frame's
 * payload is decoded by its type.  Must never crash, leak or read out of
 * bounds.  Whatever decodes must encode again to exactly the bytes it
 * came from (the encoding is canonical), and decode again to the same
 * value: decode(encode(x)) == x.
 *
 * Built with -DCTL_CORPUS_MAIN instead, the same file writes the seed
 * corpus (tests/fuzz/corpus/ctl/):
 *   cc -D_GNU_SOURCE -DCTL_CORPUS_MAIN -Iengine \
 *      tests/fuzz/fuzz_ctl_frame.c engine/ctl_proto.c -o /tmp/gen &&
 *   /tmp/gen tests/fuzz/corpus/ctl
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#ifndef CTL_CORPUS_MAIN

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_ctl_frame: %s\n", what);
		abort();
	}
}

static void
same_request(const struct ctl_request *a, const struct ctl_request *b)
{
	size_t i;

	check(a->format == b->format, "format differs");
	check(strcmp(a->context, b->context) == 0, "context differs");
	check(a->nwords == b->nwords, "word count differs");
	for (i = 0; i < a->nwords; i++) {
		check(a->words[i].kind == b->words[i].kind, "kind differs");
		check((a->words[i].tag == NULL) == (b->words[i].tag == NULL),
		      "tag presence differs");
		check(a->words[i].tag == NULL ||
		          strcmp(a->words[i].tag, b->words[i].tag) == 0,
		      "tag differs");
		check(strcmp(a->words[i].value, b->words[i].value) == 0,
		      "value differs");
	}
}

static void
same_status(const struct ctl_status *a, const struct ctl_status *b)
{
	size_t i;

	check(a->n == b->n, "item count differs");
	for (i = 0; i < a->n; i++) {
		check(strcmp(a->items[i].key, b->items[i].key) == 0,
		      "key differs");
		check(strcmp(a->items[i].label, b->items[i].label) == 0,
		      "label differs");
		check(strcmp(a->items[i].value, b->items[i].value) == 0,
		      "status value differs");
	}
}

static void
one_frame(const uint8_t *bytes, const struct ctl_frame *f)
{
	struct ctl_buf b = {0};
	struct ctl_frame g;
	char err[CTL_ERR_MAX];

	switch (f->type) {
	case CTL_REQUEST: {
		struct ctl_request req, back;

		if (ctl_request_decode(f->payload, f->plen, &req, err,
		                       sizeof(err)) < 0)
			break;
		check(ctl_request_encode(&b, f->id, &req, err, sizeof(err)) ==
		          0,
		      "a decoded request does not encode");
		check(b.len == f->size && memcmp(b.data, bytes, b.len) == 0,
		      "request encoding is not canonical");
		check(ctl_frame_parse(b.data, b.len, &g, err, sizeof(err)) == 1,
		      "encoded request does not parse");
		check(ctl_request_decode(g.payload, g.plen, &back, err,
		                         sizeof(err)) == 0,
		      "encoded request does not decode");
		same_request(&req, &back);
		ctl_request_free(&back);
		ctl_request_free(&req);
		break;
	}
	case CTL_STATUS: {
		struct ctl_status st, back;

		if (ctl_status_decode(f->payload, f->plen, &st, err,
		                      sizeof(err)) < 0)
			break;
		check(ctl_status_encode(&b, f->id, &st, err, sizeof(err)) == 0,
		      "a decoded status does not encode");
		check(b.len == f->size && memcmp(b.data, bytes, b.len) == 0,
		      "status encoding is not canonical");
		check(ctl_frame_parse(b.data, b.len, &g, err, sizeof(err)) ==
		              1 &&
		          ctl_status_decode(g.payload, g.plen, &back, err,
		                            sizeof(err)) == 0,
		      "encoded status does not decode");
		same_status(&st, &back);
		ctl_status_free(&back);
		ctl_status_free(&st);
		break;
	}
	case CTL_DONE: {
		enum ctl_done d;

		if (ctl_done_decode(f->payload, f->plen, &d, err, sizeof(err)) <
		    0)
			break;
		check(ctl_done_encode(&b, f->id, d, err, sizeof(err)) == 0 &&
		          b.len == f->size && memcmp(b.data, bytes, b.len) == 0,
		      "done encoding is not canonical");
		break;
	}
	default: /* OUTPUT, ERROR, STATUS_REQUEST: bytes as they are */
		check(ctl_frame_encode(&b, f->id, (enum ctl_type)f->type,
		                       f->payload, f->plen, err,
		                       sizeof(err)) == 0 &&
		          b.len == f->size && memcmp(b.data, bytes, b.len) == 0,
		      "raw frame encoding differs");
		break;
	}
	ctl_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	/* Frames back to back, as a stream delivers them. */
	while (off < size) {
		struct ctl_frame f;
		char err[CTL_ERR_MAX];
		int rc = ctl_frame_parse(data + off, size - off, &f, err,
		                         sizeof(err));

		if (rc <= 0)
			break;
		check(f.size >= CTL_HDR_LEN + CTL_FRAME_MIN &&
		          f.size <= size - off,
		      "frame size out of bounds");
		one_frame(data + off, &f);
		off += f.size;
	}
	return 0;
}

#else

static void
put(const char *dir, const char *name, const struct ctl_buf *b)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(b->data, 1, b->len, f) != b->len) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

int
main(int argc, char **argv)
{
	struct ctl_request req;
	struct ctl_status st = {0};
	struct ctl_buf b = {0};
	char err[CTL_ERR_MAX];

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	ctl_request_init(&req, CTL_FORMAT_JSON, "ipsec dynamic");
	ctl_request_add_word(&req, CTL_WORD_BARE, NULL, "show", err,
	                     sizeof(err));
	ctl_request_add_word(&req, CTL_WORD_BARE, NULL, "config", err,
	                     sizeof(err));
	ctl_request_encode(&b, 1, &req, err, sizeof(err));
	put(argv[1], "request-show", &b);
	ctl_request_free(&req);
	b.len = 0;

	ctl_request_init(&req, CTL_FORMAT_DEFAULT, "ipsec dynamic");
	ctl_request_add_word(&req, CTL_WORD_BARE, NULL, "add", err,
	                     sizeof(err));
	ctl_request_add_word(&req, CTL_WORD_BARE, NULL, "sa", err, sizeof(err));
	ctl_request_add_word(&req, CTL_WORD_TAGGED, "spi", "0x1000", err,
	                     sizeof(err));
	ctl_request_add_word(&req, CTL_WORD_TAGGED, "secmethod",
	                     "ESP[AES128GCM]", err, sizeof(err));
	ctl_request_add_word(&req, CTL_WORD_QUOTED, NULL, "Red Team", err,
	                     sizeof(err));
	ctl_request_add_word(&req, CTL_WORD_TAGGED, "desc", "", err,
	                     sizeof(err));
	ctl_request_encode(&b, 2, &req, err, sizeof(err));
	/* A status request and a done after it: a stream of three. */
	ctl_frame_encode(&b, 3, CTL_STATUS_REQUEST, NULL, 0, err, sizeof(err));
	ctl_done_encode(&b, 2, CTL_DONE_FAILED, err, sizeof(err));
	put(argv[1], "request-add-sa-stream", &b);
	ctl_request_free(&req);
	b.len = 0;

	ctl_frame_encode(&b, 2, CTL_OUTPUT, "Ok.\n", 4, err, sizeof(err));
	ctl_frame_encode(&b, 2, CTL_ERROR, "ERR: no.\n", 9, err, sizeof(err));
	ctl_done_encode(&b, 2, CTL_DONE_OK, err, sizeof(err));
	put(argv[1], "answer", &b);
	b.len = 0;

	ctl_status_add(&st, "pid", "PID", "%d", 1234);
	ctl_status_add(&st, "config.bootmode", "Boot Mode", "%s", "stateful");
	ctl_status_encode(&b, 3, &st, err, sizeof(err));
	put(argv[1], "status", &b);
	ctl_status_free(&st);
	ctl_buf_free(&b);
	return 0;
}

#endif
