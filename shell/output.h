/*
 * output.h - one model for everything a show command prints, rendered
 * as a list (netsh "format=list", the default), an aligned table
 * ("format=table") or JSON ("format=json").
 *
 * A show handler builds the model with calls in document order:
 *
 *	o = out_new(OUT_LIST, true);
 *	out_section(o, "policies", "Policies");
 *	out_object(o);
 *	out_str(o, "name", "Policy Name", "Red-Blue");
 *	out_bool(o, "assigned", "Assigned", true);
 *	  out_section(o, "rules", "Rules");	// nested, verbose output
 *	  ...
 *	  out_section_end(o);
 *	out_object_end(o);
 *	out_section_end(o);
 *	out_render(o, stdout);
 *	out_free(o);
 *
 * The model is a tree: the root holds fields and sections, a section
 * holds objects, an object holds fields and nested sections (to any
 * depth).  Fields may also stand at the top level (outside any object),
 * e.g. the lines of "show store".  key is the JSON member name
 * (snake_case), unique within its object ("schema" is taken at the top
 * level); label is what people read.  The model copies every string it
 * is given.  In every format an object's fields come before its
 * sections, each in the order they were added.
 *
 * Misuse (a field or an object where it cannot stand, an unmatched
 * _end, a duplicate key, a NULL string, rendering with a section or
 * object open) is a bug: it aborts with a message, or with NDEBUG it
 * fails the model.  When an allocation fails, or out_strf's format
 * cannot be converted, the model fails too.  A failed model ignores
 * later calls, and out_render() writes nothing and returns -1.  Every
 * call but out_format_of accepts o == NULL (out_new failed) and does
 * nothing; out_render(NULL, f) returns -1.
 *
 * Text for people (list and table)
 *   The document is a sequence of blocks with one blank line between
 *   two blocks (none before the first or after the last; an empty model
 *   prints nothing).  A block is one of:
 *     fields  - one "Label<pad>: value" line per field, the labels
 *		 padded with blanks to the longest label of that object
 *		 plus one: "Policy Name            : Red";
 *     heading - a section's title, and under it a line of '-' as wide;
 *     None.   - the line "None.": what an empty section holds;
 *     table   - a header row, a rule, one row per object.
 *   Integers print in decimal, booleans as YES / NO.  In labels, titles
 *   and values, each control character (C0, DEL, C1) and each byte that
 *   does not start well-formed UTF-8 prints as '?'.  A column is one
 *   code point.  Every line loses its trailing blanks, so an empty
 *   value leaves "Label :".
 *
 *   list  - the fields block of the top-level fields, then per section:
 *	     its heading, then "None." or, per object, the object's fields
 *	     block followed by its nested sections, rendered the same way
 *	     and indented 4 more columns (heading, "None." and fields).
 *   table - the fields block of the top-level fields (as in list), then
 *	     per section: its heading, then "None." or a table block with
 *	     one column per field key of the section's objects, in
 *	     first-seen order, headed by its label; cells left-aligned and
 *	     blank where an object lacks the field; each column as wide as
 *	     its widest cell or header, two blanks between columns; the
 *	     rule is '-' across the whole table width.  An object without
 *	     fields has no row (and in list no fields block); with no
 *	     fields at all there is no table block.  Then, per object in
 *	     order, each of its nested sections as a section of its own
 *	     (heading, table, its own nested sections: depth first, not
 *	     indented), titled "<title> of <first field of the object>",
 *	     or just "<title>" when that field is empty or missing.
 *   wide=no - a line longer than 80 columns is cut to its first 77
 *	     columns followed by "..." (never inside a character);
 *	     underlines and rules stop at column 80.
 *
 * JSON (RFC 8259)
 *   One document, {"schema": 1, <top-level fields>, "<section key>":
 *   [{<fields>, "<nested key>": [...]}, ...]}, laid out as Python's
 *   json.dumps(doc, indent=2) does: one member or element per line,
 *   2 blanks of indent per level, "key": value, empty arrays and
 *   objects as [] and {}, and a newline after the closing brace.
 *   Integers are numbers, booleans true / false.  In strings, '"' and
 *   '\' are escaped, \b \f \n \r \t stand for those controls, the
 *   other C0 controls, DEL and C1 controls are \u00xx (lowercase hex),
 *   each byte that does not start well-formed UTF-8 is \ufffd, and
 *   other UTF-8 passes unchanged.  wide has no effect.
 */
#ifndef IPSECSH_OUTPUT_H
#define IPSECSH_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

enum out_format {
	OUT_LIST = 0,
	OUT_TABLE = 1,
	OUT_JSON = 2,
};

struct out;

struct out *out_new(enum out_format fmt, bool wide);
void out_free(struct out *o);
enum out_format out_format_of(const struct out *o);

void out_section(struct out *o, const char *key, const char *title);
void out_section_end(struct out *o);
void out_object(struct out *o);
void out_object_end(struct out *o);

void out_str(struct out *o, const char *key, const char *label,
	     const char *value);
void out_strf(struct out *o, const char *key, const char *label,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void out_int(struct out *o, const char *key, const char *label,
	     long long value);
/* Prints YES / NO in list and table, true / false in JSON. */
void out_bool(struct out *o, const char *key, const char *label,
	      bool value);

/* Writes the document to f and flushes f; returns 0, or -1 if the model
 * failed (nothing written) or writing failed. */
int out_render(const struct out *o, FILE *f);

#endif
