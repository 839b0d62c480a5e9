/*
 * output.c - the show model of output.h and its three renderers.
 *
 * The model is a tree: the root object holds fields and sections, a
 * section holds objects, an object holds fields and nested sections.
 * Every string is copied in.  An allocation failure (or, with NDEBUG,
 * a misuse) marks the model failed; later calls are ignored and
 * out_render() returns -1, so a handler never has to check each call.
 *
 * A renderer writes the whole document into memory first and hands it
 * to stdio in one piece: a failure while rendering prints nothing
 * rather than half a document.  The layout rules are stated in
 * output.h; the comments here only say how they are met.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

/* wide=no: lines longer than LINE_MAX_COLS are cut to LINE_CUT_COLS
 * columns followed by "...". */
#define LINE_MAX_COLS 80
#define LINE_CUT_COLS 77
/* Nested sections in format=list are indented by this much per level. */
#define LIST_INDENT 4
#define JSON_SCHEMA 1

enum field_kind {
	FIELD_STR,
	FIELD_INT,
	FIELD_BOOL,
};

struct field {
	char *key;
	char *label;
	enum field_kind kind;
	char *str;
	long long num;
	bool yes;
};

struct section;

struct object {
	struct section *parent; /* NULL for the root */
	struct field *fields;
	size_t nfields, capfields;
	struct section **sections;
	size_t nsections, capsections;
};

struct section {
	struct object *parent;
	char *key;
	char *title;
	struct object **objects;
	size_t nobjects, capobjects;
};

struct out {
	enum out_format fmt;
	bool wide;
	bool failed;
	/* The innermost open container: cur_sec when in_section, else
	 * cur_obj (the root when no object is open). */
	bool in_section;
	struct object *cur_obj;
	struct section *cur_sec;
	struct object root;
};

/*
 * Model
 */

/* Room for one more element in *arr; returns the (moved) array, or NULL
 * with *arr untouched. */
static void *
grow(void *arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return arr;
	ncap = *cap != 0 ? *cap * 2 : 4;
	if (ncap < *cap || ncap > SIZE_MAX / size)
		return NULL;
	p = realloc(arr, ncap * size);
	if (p == NULL)
		return NULL;
	*cap = ncap;
	return p;
}

static void section_free(struct section *s);

static void
object_clear(struct object *obj)
{
	for (size_t i = 0; i < obj->nfields; i++) {
		free(obj->fields[i].key);
		free(obj->fields[i].label);
		free(obj->fields[i].str);
	}
	free(obj->fields);
	for (size_t i = 0; i < obj->nsections; i++)
		section_free(obj->sections[i]);
	free(obj->sections);
}

static void
section_free(struct section *s)
{
	for (size_t i = 0; i < s->nobjects; i++) {
		object_clear(s->objects[i]);
		free(s->objects[i]);
	}
	free(s->objects);
	free(s->key);
	free(s->title);
	free(s);
}

/* A key names one member of its JSON object: duplicates are a bug. */
static bool
key_used(const struct object *obj, const char *key)
{
	for (size_t i = 0; i < obj->nfields; i++)
		if (strcmp(obj->fields[i].key, key) == 0)
			return true;
	for (size_t i = 0; i < obj->nsections; i++)
		if (strcmp(obj->sections[i]->key, key) == 0)
			return true;
	return false;
}

static bool
usable(const struct out *o)
{
	return o != NULL && !o->failed;
}

/*
 * Misuse of the calls is a bug: it aborts with a message naming it, or,
 * where assertions are compiled out (NDEBUG), fails the model so that
 * out_render() returns -1 instead of the model being corrupted (o is
 * NULL where there is nothing to mark).  Returns whether the call must
 * stop.
 */
static bool
misused(struct out *o, bool bad, const char *what)
{
	if (!bad)
		return false;
#ifndef NDEBUG
	fprintf(stderr, "output model misused: %s\n", what);
	abort();
#endif
	(void)what;
	if (o != NULL)
		o->failed = true;
	return true;
}

/* The checks every key of a field or section passes. */
static bool
key_misused(struct out *o, const char *key, const char *label)
{
	if (misused(o, key == NULL || label == NULL, "NULL key or label") ||
	    misused(o, o->in_section,
	            "a field or section directly in a section"))
		return true;
	return misused(o, key_used(o->cur_obj, key), "a duplicate key") ||
	       misused(o, o->cur_obj == &o->root && strcmp(key, "schema") == 0,
	               "the key \"schema\" at the top level");
}

struct out *
out_new(enum out_format fmt, bool wide)
{
	struct out *o;

	assert(fmt == OUT_LIST || fmt == OUT_TABLE || fmt == OUT_JSON);
	if (fmt != OUT_LIST && fmt != OUT_TABLE && fmt != OUT_JSON)
		return NULL;
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return NULL;
	o->fmt = fmt;
	o->wide = wide;
	o->cur_obj = &o->root;
	return o;
}

void
out_free(struct out *o)
{
	if (o == NULL)
		return;
	object_clear(&o->root);
	free(o);
}

enum out_format
out_format_of(const struct out *o)
{
	assert(o != NULL);
	return o->fmt;
}

void
out_section(struct out *o, const char *key, const char *title)
{
	struct object *obj;
	struct section *s = NULL, **arr;

	if (!usable(o) || key_misused(o, key, title))
		return;
	obj = o->cur_obj;

	arr = grow(obj->sections, &obj->capsections, obj->nsections,
	           sizeof(*obj->sections));
	if (arr == NULL)
		goto fail;
	obj->sections = arr;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto fail;
	s->parent = obj;
	s->key = strdup(key);
	s->title = strdup(title);
	if (s->key == NULL || s->title == NULL)
		goto fail;
	obj->sections[obj->nsections++] = s;
	o->cur_sec = s;
	o->in_section = true;
	return;
fail:
	if (s != NULL)
		section_free(s);
	o->failed = true;
}

void
out_section_end(struct out *o)
{
	if (!usable(o) ||
	    misused(o, !o->in_section, "out_section_end without out_section"))
		return;
	o->in_section = false;
	o->cur_sec = o->cur_obj->parent;
}

void
out_object(struct out *o)
{
	struct section *s;
	struct object *obj = NULL, **arr;

	if (!usable(o) ||
	    misused(o, !o->in_section, "out_object outside a section"))
		return;
	s = o->cur_sec;
	arr =
	    grow(s->objects, &s->capobjects, s->nobjects, sizeof(*s->objects));
	if (arr == NULL)
		goto fail;
	s->objects = arr;
	obj = calloc(1, sizeof(*obj));
	if (obj == NULL)
		goto fail;
	obj->parent = s;
	s->objects[s->nobjects++] = obj;
	o->cur_obj = obj;
	o->in_section = false;
	return;
fail:
	o->failed = true;
}

void
out_object_end(struct out *o)
{
	if (!usable(o) || misused(o, o->in_section || o->cur_obj == &o->root,
	                          "out_object_end without out_object"))
		return;
	o->cur_sec = o->cur_obj->parent;
	o->cur_obj = o->cur_sec->parent;
	o->in_section = true;
}

/* Appends a field; str (FIELD_STR) is owned by the model from here on,
 * and NULL means that copying it failed. */
static void
field_add(struct out *o, const char *key, const char *label,
          enum field_kind kind, char *str, long long num, bool yes)
{
	struct object *obj;
	struct field *arr, *f;
	char *k = NULL, *l = NULL;

	if (!usable(o) || key_misused(o, key, label)) {
		free(str);
		return;
	}
	obj = o->cur_obj;

	if (kind == FIELD_STR && str == NULL)
		goto fail;
	k = strdup(key);
	l = strdup(label);
	if (k == NULL || l == NULL)
		goto fail;
	arr = grow(obj->fields, &obj->capfields, obj->nfields,
	           sizeof(*obj->fields));
	if (arr == NULL)
		goto fail;
	obj->fields = arr;
	f = &obj->fields[obj->nfields++];
	f->key = k;
	f->label = l;
	f->kind = kind;
	f->str = str;
	f->num = num;
	f->yes = yes;
	return;
fail:
	free(k);
	free(l);
	free(str);
	o->failed = true;
}

void
out_str(struct out *o, const char *key, const char *label, const char *value)
{
	if (!usable(o) || misused(o, value == NULL, "out_str of NULL"))
		return;
	field_add(o, key, label, FIELD_STR, strdup(value), 0, false);
}

void
out_strf(struct out *o, const char *key, const char *label, const char *fmt,
         ...)
{
	va_list ap, ap2;
	char *str = NULL;
	int n;

	if (!usable(o) || misused(o, fmt == NULL, "out_strf of NULL"))
		return;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n >= 0) {
		str = malloc((size_t)n + 1);
		if (str != NULL &&
		    vsnprintf(str, (size_t)n + 1, fmt, ap2) != n) {
			free(str);
			str = NULL;
		}
	}
	va_end(ap2);
	va_end(ap);
	/* A format error (n < 0, e.g. an unconvertible %ls) fails the model
	 * like a failed allocation: the field cannot be shown truthfully. */
	field_add(o, key, label, FIELD_STR, str, 0, false);
}

void
out_int(struct out *o, const char *key, const char *label, long long value)
{
	field_add(o, key, label, FIELD_INT, NULL, value, false);
}

void
out_bool(struct out *o, const char *key, const char *label, bool value)
{
	field_add(o, key, label, FIELD_BOOL, NULL, 0, value);
}

/*
 * Text
 */

struct buf {
	char *p; /* NUL-terminated once anything was added */
	size_t len, cap;
	bool failed;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->failed || n == 0)
		return;
	if (n >= SIZE_MAX - b->len) {
		b->failed = true;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap != 0 ? b->cap : 256;
		char *p;
		while (ncap < b->len + n + 1) {
			if (ncap > SIZE_MAX / 2) {
				ncap = b->len + n + 1;
				break;
			}
			ncap *= 2;
		}
		p = realloc(b->p, ncap);
		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void
buf_rep(struct buf *b, char c, size_t n)
{
	char chunk[64];

	memset(chunk, c, sizeof(chunk));
	while (n > 0) {
		size_t k = n < sizeof(chunk) ? n : sizeof(chunk);
		buf_add(b, chunk, k);
		n -= k;
	}
}

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF) and its code point in
 * *cp; 0 if s does not start one.  s is NUL-terminated and *s != 0; a
 * NUL is never a continuation byte, so nothing is read past the end.
 */
static size_t
utf8_seq(const unsigned char *s, uint32_t *cp)
{
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	uint32_t c = s[0];
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* C0 controls, DEL and C1 controls: they move the cursor or start
 * terminal escape sequences. */
static bool
is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/*
 * Text for people (list and table): each control character and each
 * byte that does not start well-formed UTF-8 becomes '?', so a value
 * can neither break the layout nor reach the terminal as an escape.
 * One column is one code point.
 */
static void
text_add(struct buf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s != '\0') {
		uint32_t cp;
		size_t n = utf8_seq(s, &cp);
		if (n == 0 || is_control(cp)) {
			buf_add(b, "?", 1);
			s += n != 0 ? n : 1;
		} else {
			buf_add(b, (const char *)s, n);
			s += n;
		}
	}
}

static size_t
text_width(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t w = 0;

	while (*s != '\0') {
		uint32_t cp;
		size_t n = utf8_seq(s, &cp);
		s += n != 0 ? n : 1;
		w++;
	}
	return w;
}

/* The text of a field's value in list and table; tmp holds numbers. */
static const char *
field_text(const struct field *f, char *tmp, size_t len)
{
	switch (f->kind) {
	case FIELD_STR:
		return f->str;
	case FIELD_INT:
		snprintf(tmp, len, "%lld", f->num);
		return tmp;
	case FIELD_BOOL:
		return f->yes ? "YES" : "NO";
	}
	return "";
}

/*
 * Rendering for people.  The document is a sequence of blocks (a run
 * of field lines, a heading, a table, "None.") with one blank line
 * between two blocks.  Lines are built in r->line and finished by
 * emit_line().
 */

struct render {
	bool wide;
	struct buf doc;
	struct buf line;
};

static void
block_start(struct render *r)
{
	if (r->doc.len > 0)
		buf_add(&r->doc, "\n", 1);
}

static void
emit_line(struct render *r)
{
	struct buf *l = &r->line;
	size_t len = l->len;
	bool cut = false;

	if (l->failed)
		r->doc.failed = true;
	while (len > 0 && l->p[len - 1] == ' ')
		len--;
	if (!r->wide) {
		size_t cols = 0, at = 0;
		/* Lines hold well-formed UTF-8 only (text_add), so cutting
		 * before a lead byte never splits a character. */
		for (size_t i = 0; i < len; i++) {
			if (((unsigned char)l->p[i] & 0xc0) == 0x80)
				continue;
			if (cols == LINE_CUT_COLS)
				at = i;
			cols++;
		}
		if (cols > LINE_MAX_COLS) {
			len = at;
			cut = true;
		}
	}
	buf_add(&r->doc, l->p, len);
	if (cut)
		buf_adds(&r->doc, "...");
	buf_add(&r->doc, "\n", 1);
	l->len = 0;
}

/* Width of a dashed rule under text of width w at column indent: as
 * wide as the text, but with wide=no no wider than the screen. */
static size_t
rule_width(const struct render *r, size_t indent, size_t w)
{
	if (!r->wide && indent + w > LINE_MAX_COLS)
		return indent < LINE_MAX_COLS ? LINE_MAX_COLS - indent : 0;
	return w;
}

static void
heading(struct render *r, const char *title, size_t indent)
{
	block_start(r);
	buf_rep(&r->line, ' ', indent);
	text_add(&r->line, title);
	emit_line(r);
	buf_rep(&r->line, ' ', indent);
	buf_rep(&r->line, '-', rule_width(r, indent, text_width(title)));
	emit_line(r);
}

static void
none_line(struct render *r, size_t indent)
{
	block_start(r);
	buf_rep(&r->line, ' ', indent);
	buf_adds(&r->line, "None.");
	emit_line(r);
}

/* "Label<pad>: value", labels padded to the longest label plus one. */
static void
list_fields(struct render *r, const struct object *obj, size_t indent)
{
	size_t w = 0;
	char tmp[32];

	if (obj->nfields == 0)
		return;
	for (size_t i = 0; i < obj->nfields; i++) {
		size_t lw = text_width(obj->fields[i].label);
		if (lw > w)
			w = lw;
	}
	block_start(r);
	for (size_t i = 0; i < obj->nfields; i++) {
		const struct field *f = &obj->fields[i];
		buf_rep(&r->line, ' ', indent);
		text_add(&r->line, f->label);
		buf_rep(&r->line, ' ', w + 1 - text_width(f->label));
		buf_adds(&r->line, ": ");
		text_add(&r->line, field_text(f, tmp, sizeof(tmp)));
		emit_line(r);
	}
}

static void list_section(struct render *r, const struct section *s,
                         size_t indent);

static void
list_object(struct render *r, const struct object *obj, size_t indent)
{
	list_fields(r, obj, indent);
	for (size_t i = 0; i < obj->nsections; i++)
		list_section(r, obj->sections[i], indent + LIST_INDENT);
}

static void
list_section(struct render *r, const struct section *s, size_t indent)
{
	heading(r, s->title, indent);
	if (s->nobjects == 0)
		none_line(r, indent);
	for (size_t i = 0; i < s->nobjects; i++)
		list_object(r, s->objects[i], indent);
}

static void
render_list(struct render *r, const struct out *o)
{
	list_fields(r, &o->root, 0);
	for (size_t i = 0; i < o->root.nsections; i++)
		list_section(r, o->root.sections[i], 0);
}

struct column {
	const char *key;
	const char *label;
	size_t width;
};

static const struct field *
field_find(const struct object *obj, const char *key)
{
	for (size_t i = 0; i < obj->nfields; i++)
		if (strcmp(obj->fields[i].key, key) == 0)
			return &obj->fields[i];
	return NULL;
}

/* Columns: the fields of all objects by key, in first-seen order, each
 * as wide as its widest cell or header.  NULL only when out of memory
 * (with no objects or no fields, a valid empty array is returned). */
static struct column *
table_columns(const struct section *s, size_t *ncols)
{
	struct column *cols = NULL, *arr;
	size_t n = 0, cap = 0;
	char tmp[32];

	for (size_t i = 0; i < s->nobjects; i++) {
		const struct object *obj = s->objects[i];
		for (size_t j = 0; j < obj->nfields; j++) {
			const struct field *f = &obj->fields[j];
			size_t c = 0, w;
			while (c < n && strcmp(cols[c].key, f->key) != 0)
				c++;
			if (c == n) {
				arr = grow(cols, &cap, n, sizeof(*cols));
				if (arr == NULL) {
					free(cols);
					return NULL;
				}
				cols = arr;
				cols[n].key = f->key;
				cols[n].label = f->label;
				cols[n].width = text_width(f->label);
				n++;
			}
			w = text_width(field_text(f, tmp, sizeof(tmp)));
			if (w > cols[c].width)
				cols[c].width = w;
		}
	}
	*ncols = n;
	return cols != NULL ? cols : calloc(1, sizeof(*cols));
}

static void
table_cell(struct render *r, size_t c, const struct column *col,
           const char *text)
{
	if (c > 0)
		buf_add(&r->line, "  ", 2);
	text_add(&r->line, text);
	buf_rep(&r->line, ' ', col->width - text_width(text));
}

static void
table_section(struct render *r, const struct section *s, const char *title)
{
	struct column *cols;
	size_t ncols = 0, total = 0;
	char tmp[32];

	heading(r, title, 0);
	if (s->nobjects == 0) {
		none_line(r, 0);
		return;
	}
	cols = table_columns(s, &ncols);
	if (cols == NULL) {
		r->doc.failed = true;
		return;
	}
	if (ncols > 0) {
		block_start(r);
		for (size_t c = 0; c < ncols; c++) {
			table_cell(r, c, &cols[c], cols[c].label);
			total += (c > 0 ? 2 : 0) + cols[c].width;
		}
		emit_line(r);
		buf_rep(&r->line, '-', rule_width(r, 0, total));
		emit_line(r);
		for (size_t i = 0; i < s->nobjects; i++) {
			/* No row for an object without fields, as list
			 * prints no fields block for it. */
			if (s->objects[i]->nfields == 0)
				continue;
			for (size_t c = 0; c < ncols; c++) {
				const struct field *f =
				    field_find(s->objects[i], cols[c].key);
				table_cell(r, c, &cols[c],
				           f != NULL
				               ? field_text(f, tmp, sizeof(tmp))
				               : "");
			}
			emit_line(r);
		}
	}
	free(cols);

	/* Nested sections: each its own table, after this one, titled
	 * "<title> of <first field of the parent>"; depth first. */
	for (size_t i = 0; i < s->nobjects; i++) {
		const struct object *obj = s->objects[i];
		for (size_t j = 0; j < obj->nsections; j++) {
			const struct section *sub = obj->sections[j];
			const char *first =
			    obj->nfields > 0
			        ? field_text(&obj->fields[0], tmp, sizeof(tmp))
			        : "";
			struct buf t = {0};
			buf_adds(&t, sub->title);
			if (first[0] != '\0') {
				buf_adds(&t, " of ");
				buf_adds(&t, first);
			}
			if (t.failed || t.p == NULL) {
				r->doc.failed = true;
				free(t.p);
				return;
			}
			table_section(r, sub, t.p);
			free(t.p);
		}
	}
}

static void
render_table(struct render *r, const struct out *o)
{
	list_fields(r, &o->root, 0);
	for (size_t i = 0; i < o->root.nsections; i++)
		table_section(r, o->root.sections[i],
		              o->root.sections[i]->title);
}

/*
 * JSON (RFC 8259), pretty-printed like Python's json.dumps(indent=2).
 */

/* A JSON string.  Well-formed UTF-8 passes through; each byte that does
 * not start well-formed UTF-8 becomes \ufffd, so the document is always
 * valid UTF-8.  Controls (C0, and DEL and C1 although JSON allows them
 * raw, since the document may reach a terminal) are escaped. */
static void
json_string(struct buf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	buf_add(b, "\"", 1);
	while (*s != '\0') {
		uint32_t cp;
		size_t n = utf8_seq(s, &cp);
		char esc[8];
		if (n == 0) {
			buf_adds(b, "\\ufffd");
			s++;
			continue;
		}
		switch (cp) {
		case '"':
			buf_adds(b, "\\\"");
			break;
		case '\\':
			buf_adds(b, "\\\\");
			break;
		case '\b':
			buf_adds(b, "\\b");
			break;
		case '\f':
			buf_adds(b, "\\f");
			break;
		case '\n':
			buf_adds(b, "\\n");
			break;
		case '\r':
			buf_adds(b, "\\r");
			break;
		case '\t':
			buf_adds(b, "\\t");
			break;
		default:
			if (is_control(cp)) {
				snprintf(esc, sizeof(esc), "\\u%04x",
				         (unsigned)cp);
				buf_adds(b, esc);
			} else {
				buf_add(b, (const char *)s, n);
			}
			break;
		}
		s += n;
	}
	buf_add(b, "\"", 1);
}

static void
json_member(struct buf *b, size_t *n, size_t level, const char *key)
{
	buf_adds(b, *n > 0 ? ",\n" : "\n");
	buf_rep(b, ' ', 2 * level);
	json_string(b, key);
	buf_add(b, ": ", 2);
	(*n)++;
}

static void
json_int(struct buf *b, long long v)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%lld", v);
	buf_adds(b, tmp);
}

static void json_object(struct buf *b, const struct object *obj, size_t level,
                        bool root);

static void
json_array(struct buf *b, const struct section *s, size_t level)
{
	if (s->nobjects == 0) {
		buf_adds(b, "[]");
		return;
	}
	buf_add(b, "[", 1);
	for (size_t i = 0; i < s->nobjects; i++) {
		buf_adds(b, i > 0 ? ",\n" : "\n");
		buf_rep(b, ' ', 2 * (level + 1));
		json_object(b, s->objects[i], level + 1, false);
	}
	buf_add(b, "\n", 1);
	buf_rep(b, ' ', 2 * level);
	buf_add(b, "]", 1);
}

static void
json_object(struct buf *b, const struct object *obj, size_t level, bool root)
{
	size_t n = 0;

	buf_add(b, "{", 1);
	if (root) {
		json_member(b, &n, level + 1, "schema");
		json_int(b, JSON_SCHEMA);
	}
	for (size_t i = 0; i < obj->nfields; i++) {
		const struct field *f = &obj->fields[i];
		json_member(b, &n, level + 1, f->key);
		switch (f->kind) {
		case FIELD_STR:
			json_string(b, f->str);
			break;
		case FIELD_INT:
			json_int(b, f->num);
			break;
		case FIELD_BOOL:
			buf_adds(b, f->yes ? "true" : "false");
			break;
		}
	}
	for (size_t i = 0; i < obj->nsections; i++) {
		json_member(b, &n, level + 1, obj->sections[i]->key);
		json_array(b, obj->sections[i], level + 1);
	}
	if (n > 0) {
		buf_add(b, "\n", 1);
		buf_rep(b, ' ', 2 * level);
	}
	buf_add(b, "}", 1);
}

int
out_render(const struct out *o, FILE *f)
{
	struct render r = {0};
	int rc = -1;

	if (!usable(o))
		return -1;
	if (misused(NULL, o->in_section || o->cur_obj != &o->root,
	            "out_render with a section or object open"))
		return -1;
	r.wide = o->wide;
	switch (o->fmt) {
	case OUT_LIST:
		render_list(&r, o);
		break;
	case OUT_TABLE:
		render_table(&r, o);
		break;
	case OUT_JSON:
		json_object(&r.doc, &o->root, 0, true);
		buf_add(&r.doc, "\n", 1);
		break;
	}
	if (r.doc.failed || r.line.failed)
		goto out;
	if (r.doc.len > 0 && fwrite(r.doc.p, 1, r.doc.len, f) != r.doc.len)
		goto out;
	if (fflush(f) != 0)
		goto out;
	rc = 0;
out:
	free(r.doc.p);
	free(r.line.p);
	return rc;
}
