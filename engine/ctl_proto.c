/*
 * ctl_proto.c - the control protocol's frames: encoding into a growable
 * buffer and decoding with a bounds-checked cursor (ctl.h describes the
 * format).  Every length read from the wire is checked against what is
 * left before it is used; nothing is cast from the bytes.
 */
#include "ctl.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_internal.h"

#define CTL_X_TYPE_NAME(id, value, name) [value] = name,
static const char *const type_names[] = {CTL_TYPES(CTL_X_TYPE_NAME)};

const char *
ctl_type_name(unsigned type)
{
	if (type < sizeof(type_names) / sizeof(type_names[0]) &&
	    type_names[type] != NULL)
		return type_names[type];
	return "unknown";
}

int
ctl_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- strings and objects ------------------------------------------ */

static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static char *
dup_bytes(const void *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

int
ctl_request_init(struct ctl_request *req, enum ctl_format format,
                 const char *context)
{
	memset(req, 0, sizeof(*req));
	req->format = format;
	req->context = dup_bytes(context != NULL ? context : "",
	                         context != NULL ? strlen(context) : 0);
	return req->context != NULL ? 0 : -1;
}

void
ctl_request_free(struct ctl_request *req)
{
	size_t i;

	if (req == NULL)
		return;
	for (i = 0; i < req->nwords; i++) {
		wipe_free(req->words[i].tag);
		wipe_free(req->words[i].value);
	}
	if (req->words != NULL)
		explicit_bzero(req->words, req->nwords * sizeof(*req->words));
	free(req->words);
	wipe_free(req->context);
	memset(req, 0, sizeof(*req));
}

/* The rules a word must follow, on both sides of the wire. */
static int
word_check(size_t i, unsigned kind, const char *tag, size_t taglen,
           size_t valuelen, char *err, size_t errlen)
{
	if (kind > CTL_WORD_KIND_LAST)
		return ctl_fail(err, errlen, "word %zu: unknown kind %u", i + 1,
		                kind);
	if (kind == CTL_WORD_TAGGED && (tag == NULL || taglen == 0))
		return ctl_fail(err, errlen, "word %zu: empty tag", i + 1);
	if (kind != CTL_WORD_TAGGED && tag != NULL)
		return ctl_fail(err, errlen, "word %zu: a tag on a bare word",
		                i + 1);
	if (kind == CTL_WORD_BARE && valuelen == 0)
		return ctl_fail(err, errlen, "word %zu: empty bare word",
		                i + 1);
	if (taglen > CTL_STRING_MAX || valuelen > CTL_STRING_MAX)
		return ctl_fail(err, errlen, "word %zu: longer than %u bytes",
		                i + 1, CTL_STRING_MAX);
	return 0;
}

int
ctl_request_add_word(struct ctl_request *req, enum ctl_word_kind kind,
                     const char *tag, const char *value, char *err,
                     size_t errlen)
{
	struct ctl_word *w, *nw;
	size_t taglen = tag != NULL ? strlen(tag) : 0;

	if (value == NULL)
		return ctl_fail(err, errlen, "word %zu: no value",
		                req->nwords + 1);
	if (req->nwords >= CTL_WORDS_MAX)
		return ctl_fail(err, errlen, "more than %d words",
		                CTL_WORDS_MAX);
	if (word_check(req->nwords, kind, tag, taglen, strlen(value), err,
	               errlen) < 0)
		return -1;
	nw = realloc(req->words, (req->nwords + 1) * sizeof(*nw));
	if (nw == NULL)
		return ctl_fail(err, errlen, "out of memory");
	req->words = nw;
	w = &req->words[req->nwords];
	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->value = dup_bytes(value, strlen(value));
	if (tag != NULL)
		w->tag = dup_bytes(tag, taglen);
	if (w->value == NULL || (tag != NULL && w->tag == NULL)) {
		wipe_free(w->value);
		wipe_free(w->tag);
		return ctl_fail(err, errlen, "out of memory");
	}
	req->nwords++;
	return 0;
}

int
ctl_status_add(struct ctl_status *st, const char *key, const char *label,
               const char *fmt, ...)
{
	struct ctl_status_item *ni, *it;
	va_list ap;
	char *value = NULL;
	int n;

	if (st->n >= CTL_STATUS_MAX || key == NULL || key[0] == '\0' ||
	    label == NULL)
		return -1;
	va_start(ap, fmt);
	n = vasprintf(&value, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if (strlen(key) > CTL_STRING_MAX || strlen(label) > CTL_STRING_MAX ||
	    (size_t)n > CTL_STRING_MAX) {
		free(value);
		return -1;
	}
	ni = realloc(st->items, (st->n + 1) * sizeof(*ni));
	if (ni == NULL) {
		free(value);
		return -1;
	}
	st->items = ni;
	it = &st->items[st->n];
	it->key = strdup(key);
	it->label = strdup(label);
	it->value = value;
	if (it->key == NULL || it->label == NULL) {
		free(it->key);
		free(it->label);
		free(it->value);
		return -1;
	}
	st->n++;
	return 0;
}

const char *
ctl_status_get(const struct ctl_status *st, const char *key)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (strcmp(st->items[i].key, key) == 0)
			return st->items[i].value;
	return NULL;
}

void
ctl_status_free(struct ctl_status *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n; i++) {
		free(st->items[i].key);
		free(st->items[i].label);
		free(st->items[i].value);
	}
	free(st->items);
	memset(st, 0, sizeof(*st));
}

/* ---- encoding ------------------------------------------------------ */

void
ctl_buf_free(struct ctl_buf *b)
{
	if (b == NULL)
		return;
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int
ctl_buf_reserve(struct ctl_buf *b, size_t n)
{
	size_t cap;
	uint8_t *nd;

	if (n > SIZE_MAX - b->len)
		return -1;
	if (b->len + n <= b->cap)
		return 0;
	cap = b->cap > 0 ? b->cap : 256;
	while (cap < b->len + n) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	/* Not realloc: the old bytes may be secret and must be wiped. */
	nd = malloc(cap);
	if (nd == NULL)
		return -1;
	if (b->len > 0)
		memcpy(nd, b->data, b->len);
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	free(b->data);
	b->data = nd;
	b->cap = cap;
	return 0;
}

void
ctl_buf_consume(struct ctl_buf *b, size_t n)
{
	if (n >= b->len) {
		if (b->data != NULL)
			explicit_bzero(b->data, b->len);
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	explicit_bzero(b->data + b->len - n, n);
	b->len -= n;
}

static int
put(struct ctl_buf *b, const void *p, size_t n)
{
	if (ctl_buf_reserve(b, n) < 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

static int
put_u8(struct ctl_buf *b, unsigned v)
{
	uint8_t x = (uint8_t)v;

	return put(b, &x, 1);
}

static int
put_u16(struct ctl_buf *b, size_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	return put(b, x, 2);
}

static void
store_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
load_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int
put_string(struct ctl_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (n > CTL_STRING_MAX)
		return -1;
	if (put_u16(b, n) < 0)
		return -1;
	return put(b, s, n);
}

/* Starts a frame at the end of b: the header with a length to patch. */
static int
frame_begin(struct ctl_buf *b, uint32_t id, enum ctl_type type, size_t *start)
{
	uint8_t hdr[9];

	*start = b->len;
	store_u32(hdr, 0);
	store_u32(hdr + 4, id);
	hdr[8] = (uint8_t)type;
	return put(b, hdr, sizeof(hdr));
}

/* Patches the length, or undoes the frame if it is too long. */
static int
frame_end(struct ctl_buf *b, size_t start, char *err, size_t errlen)
{
	size_t flen = b->len - start - CTL_HDR_LEN;

	if (flen > CTL_FRAME_MAX) {
		explicit_bzero(b->data + start, b->len - start);
		b->len = start;
		return ctl_fail(err, errlen,
		                "frame of %zu bytes exceeds the limit of %u",
		                flen, CTL_FRAME_MAX);
	}
	store_u32(b->data + start, (uint32_t)flen);
	return 0;
}

static int
frame_undo(struct ctl_buf *b, size_t start, char *err, size_t errlen)
{
	if (b->len > start) {
		explicit_bzero(b->data + start, b->len - start);
		b->len = start;
	}
	return ctl_fail(err, errlen, "out of memory");
}

int
ctl_frame_encode(struct ctl_buf *b, uint32_t id, enum ctl_type type,
                 const void *payload, size_t plen, char *err, size_t errlen)
{
	size_t start;

	if (plen > CTL_PAYLOAD_MAX)
		return ctl_fail(err, errlen,
		                "payload of %zu bytes exceeds the limit of %u",
		                plen, CTL_PAYLOAD_MAX);
	if (frame_begin(b, id, type, &start) < 0 || put(b, payload, plen) < 0)
		return frame_undo(b, start, err, errlen);
	return frame_end(b, start, err, errlen);
}

int
ctl_done_encode(struct ctl_buf *b, uint32_t id, enum ctl_done status, char *err,
                size_t errlen)
{
	uint8_t s = (uint8_t)status;

	if (status > CTL_DONE_REFUSED)
		return ctl_fail(err, errlen, "bad status %d", (int)status);
	return ctl_frame_encode(b, id, CTL_DONE, &s, 1, err, errlen);
}

static int
request_check(const struct ctl_request *req, char *err, size_t errlen)
{
	size_t i;

	if ((unsigned)req->format > CTL_FORMAT_LAST)
		return ctl_fail(err, errlen, "unknown output format %u",
		                (unsigned)req->format);
	if (req->context == NULL || strlen(req->context) > CTL_STRING_MAX)
		return ctl_fail(err, errlen, "bad context");
	if (req->nwords > CTL_WORDS_MAX)
		return ctl_fail(err, errlen, "more than %d words",
		                CTL_WORDS_MAX);
	for (i = 0; i < req->nwords; i++) {
		const struct ctl_word *w = &req->words[i];

		if (w->value == NULL)
			return ctl_fail(err, errlen, "word %zu: no value",
			                i + 1);
		if (word_check(i, w->kind, w->tag,
		               w->tag != NULL ? strlen(w->tag) : 0,
		               strlen(w->value), err, errlen) < 0)
			return -1;
	}
	return 0;
}

int
ctl_request_encode(struct ctl_buf *b, uint32_t id,
                   const struct ctl_request *req, char *err, size_t errlen)
{
	size_t start, i;

	if (request_check(req, err, errlen) < 0)
		return -1;
	if (frame_begin(b, id, CTL_REQUEST, &start) < 0 ||
	    put_u8(b, req->format) < 0 || put_string(b, req->context) < 0 ||
	    put_u16(b, req->nwords) < 0)
		return frame_undo(b, start, err, errlen);
	for (i = 0; i < req->nwords; i++) {
		const struct ctl_word *w = &req->words[i];

		if (put_u8(b, w->kind) < 0 ||
		    (w->kind == CTL_WORD_TAGGED && put_string(b, w->tag) < 0) ||
		    put_string(b, w->value) < 0)
			return frame_undo(b, start, err, errlen);
	}
	return frame_end(b, start, err, errlen);
}

int
ctl_status_encode(struct ctl_buf *b, uint32_t id, const struct ctl_status *st,
                  char *err, size_t errlen)
{
	size_t start, i;

	if (st->n > CTL_STATUS_MAX)
		return ctl_fail(err, errlen, "more than %d status items",
		                CTL_STATUS_MAX);
	for (i = 0; i < st->n; i++) {
		const struct ctl_status_item *it = &st->items[i];

		if (it->key == NULL || it->key[0] == '\0' ||
		    it->label == NULL || it->value == NULL ||
		    strlen(it->key) > CTL_STRING_MAX ||
		    strlen(it->label) > CTL_STRING_MAX ||
		    strlen(it->value) > CTL_STRING_MAX)
			return ctl_fail(err, errlen, "status item %zu: bad",
			                i + 1);
	}
	if (frame_begin(b, id, CTL_STATUS, &start) < 0 || put_u16(b, st->n) < 0)
		return frame_undo(b, start, err, errlen);
	for (i = 0; i < st->n; i++)
		if (put_string(b, st->items[i].key) < 0 ||
		    put_string(b, st->items[i].label) < 0 ||
		    put_string(b, st->items[i].value) < 0)
			return frame_undo(b, start, err, errlen);
	return frame_end(b, start, err, errlen);
}

/* ---- decoding ------------------------------------------------------ */

/* A read cursor: off never exceeds len. */
struct cur {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static size_t
cur_left(const struct cur *c)
{
	return c->len - c->off;
}

static int
cur_u8(struct cur *c, uint8_t *v, const char *what, char *err, size_t errlen)
{
	if (cur_left(c) < 1)
		return ctl_fail(err, errlen, "%s missing at offset %zu", what,
		                c->off);
	*v = c->p[c->off++];
	return 0;
}

static int
cur_u16(struct cur *c, uint16_t *v, const char *what, char *err, size_t errlen)
{
	if (cur_left(c) < 2)
		return ctl_fail(err, errlen, "%s truncated at offset %zu", what,
		                c->off);
	*v = (uint16_t)(c->p[c->off] << 8 | c->p[c->off + 1]);
	c->off += 2;
	return 0;
}

/* A string: u16 length, bytes, no NUL.  *out is a new C string. */
static int
cur_string(struct cur *c, char **out, const char *what, char *err,
           size_t errlen)
{
	uint16_t n = 0;

	*out = NULL;
	if (cur_u16(c, &n, what, err, errlen) < 0)
		return -1;
	if (n > cur_left(c))
		return ctl_fail(err, errlen,
		                "%s of %u bytes at offset %zu runs past the "
		                "end (%zu left)",
		                what, n, c->off, cur_left(c));
	if (n > 0 && memchr(c->p + c->off, '\0', n) != NULL)
		return ctl_fail(err, errlen, "%s at offset %zu holds a NUL",
		                what, c->off);
	*out = dup_bytes(c->p + c->off, n);
	if (*out == NULL)
		return ctl_fail(err, errlen, "out of memory");
	c->off += n;
	return 0;
}

static int
cur_end(const struct cur *c, const char *what, char *err, size_t errlen)
{
	if (cur_left(c) != 0)
		return ctl_fail(err, errlen,
		                "%zu bytes of trailing garbage "
		                "after the %s",
		                cur_left(c), what);
	return 0;
}

int
ctl_frame_parse(const uint8_t *p, size_t len, struct ctl_frame *f, char *err,
                size_t errlen)
{
	uint32_t flen;

	if (len < CTL_HDR_LEN)
		return 0;
	flen = load_u32(p);
	/* Decided on the length field alone, before waiting for (or
	 * allocating) the rest: a peer cannot make us hold more. */
	if (flen < CTL_FRAME_MIN)
		return ctl_fail(err, errlen,
		                "frame length %u is below the minimum of %u",
		                flen, CTL_FRAME_MIN);
	if (flen > CTL_FRAME_MAX)
		return ctl_fail(err, errlen,
		                "frame length %u exceeds the limit of %u", flen,
		                CTL_FRAME_MAX);
	if (len - CTL_HDR_LEN < flen)
		return 0;
	memset(f, 0, sizeof(*f));
	f->id = load_u32(p + CTL_HDR_LEN);
	f->type = p[CTL_HDR_LEN + 4];
	if (f->type < CTL_REQUEST || f->type > CTL_STATUS)
		return ctl_fail(err, errlen, "unknown frame type %u", f->type);
	f->payload = p + CTL_HDR_LEN + CTL_FRAME_MIN;
	f->plen = flen - CTL_FRAME_MIN;
	f->size = CTL_HDR_LEN + (size_t)flen;
	return 1;
}

int
ctl_request_decode(const uint8_t *p, size_t len, struct ctl_request *req,
                   char *err, size_t errlen)
{
	struct cur c = {p, len, 0};
	uint8_t format = 0;
	uint16_t n = 0, i;
	char what[32];

	memset(req, 0, sizeof(*req));
	if (cur_u8(&c, &format, "output format", err, errlen) < 0)
		goto fail;
	if (format > CTL_FORMAT_LAST) {
		ctl_fail(err, errlen, "unknown output format %u", format);
		goto fail;
	}
	req->format = format;
	if (cur_string(&c, &req->context, "context", err, errlen) < 0 ||
	    cur_u16(&c, &n, "word count", err, errlen) < 0)
		goto fail;
	if (n > CTL_WORDS_MAX) {
		ctl_fail(err, errlen, "%u words, more than the limit of %d", n,
		         CTL_WORDS_MAX);
		goto fail;
	}
	/* Every word takes at least 3 bytes: refuse a count the payload
	 * cannot hold before allocating for it. */
	if ((size_t)n * 3 > cur_left(&c)) {
		ctl_fail(err, errlen, "%u words cannot fit in %zu bytes", n,
		         cur_left(&c));
		goto fail;
	}
	req->words = calloc(n > 0 ? n : 1, sizeof(*req->words));
	if (req->words == NULL) {
		ctl_fail(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		struct ctl_word *w = &req->words[i];
		uint8_t kind = 0;

		snprintf(what, sizeof(what), "word %u", i + 1);
		if (cur_u8(&c, &kind, what, err, errlen) < 0)
			goto fail;
		if (kind > CTL_WORD_KIND_LAST) {
			ctl_fail(err, errlen, "word %u: unknown kind %u", i + 1,
			         kind);
			goto fail;
		}
		w->kind = kind;
		req->nwords = (size_t)i + 1; /* owns what is read now */
		if (kind == CTL_WORD_TAGGED) {
			snprintf(what, sizeof(what), "tag of word %u", i + 1);
			if (cur_string(&c, &w->tag, what, err, errlen) < 0)
				goto fail;
		}
		snprintf(what, sizeof(what), "value of word %u", i + 1);
		if (cur_string(&c, &w->value, what, err, errlen) < 0)
			goto fail;
		if (word_check(i, kind, w->tag,
		               w->tag != NULL ? strlen(w->tag) : 0,
		               strlen(w->value), err, errlen) < 0)
			goto fail;
	}
	if (cur_end(&c, "request", err, errlen) < 0)
		goto fail;
	return 0;
fail:
	ctl_request_free(req);
	return -1;
}

int
ctl_status_decode(const uint8_t *p, size_t len, struct ctl_status *st,
                  char *err, size_t errlen)
{
	struct cur c = {p, len, 0};
	uint16_t n = 0, i;

	memset(st, 0, sizeof(*st));
	if (cur_u16(&c, &n, "item count", err, errlen) < 0)
		goto fail;
	if (n > CTL_STATUS_MAX) {
		ctl_fail(err, errlen, "%u status items, more than %d", n,
		         CTL_STATUS_MAX);
		goto fail;
	}
	if ((size_t)n * 6 > cur_left(&c)) {
		ctl_fail(err, errlen, "%u items cannot fit in %zu bytes", n,
		         cur_left(&c));
		goto fail;
	}
	st->items = calloc(n > 0 ? n : 1, sizeof(*st->items));
	if (st->items == NULL) {
		ctl_fail(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		struct ctl_status_item *it = &st->items[i];

		st->n = (size_t)i + 1;
		if (cur_string(&c, &it->key, "status key", err, errlen) < 0 ||
		    cur_string(&c, &it->label, "status label", err, errlen) <
		        0 ||
		    cur_string(&c, &it->value, "status value", err, errlen) < 0)
			goto fail;
		if (it->key[0] == '\0') {
			ctl_fail(err, errlen, "status item %u: empty key",
			         i + 1);
			goto fail;
		}
	}
	if (cur_end(&c, "status", err, errlen) < 0)
		goto fail;
	return 0;
fail:
	ctl_status_free(st);
	return -1;
}

int
ctl_done_decode(const uint8_t *p, size_t len, enum ctl_done *status, char *err,
                size_t errlen)
{
	if (len != 1)
		return ctl_fail(err, errlen,
		                "done payload of %zu bytes, expected 1", len);
	if (p[0] > CTL_DONE_REFUSED)
		return ctl_fail(err, errlen, "unknown done status %u", p[0]);
	*status = (enum ctl_done)p[0];
	return 0;
}
