/*
 * lex.h - splits one command line into words (spec/ipsecsh.md, "Lexing
 * and matching").
 *
 * A line is words separated by blanks.  "..." quotes text that contains
 * blanks or '=' (quotes are removed; they may appear anywhere in a word).
 * A word with an unquoted '=' is tag=value; blanks around that '=' are
 * allowed ("name = Red").  A line whose first non-blank character is '#'
 * is a comment.  The lexer knows nothing of commands.
 */
#ifndef IPSECSH_LEX_H
#define IPSECSH_LEX_H

#include <stdbool.h>
#include <stddef.h>

#define LEX_TOKENS_MAX 128
#define LEX_LINE_MAX 65536

struct token {
	char *tag;    /* NULL for a bare word */
	char *value;  /* never NULL; "" for "tag=" */
	bool quoted;  /* some part of the value was quoted */
};

struct tokens {
	size_t n;
	struct token t[LEX_TOKENS_MAX];
	char *buf; /* owns every string above */
	size_t buflen;
};

/*
 * Returns 0 and fills out (free with lex_free), 1 for a blank or comment
 * line (out empty), or -1 with a message in err (unterminated quote,
 * too many words, line too long, missing tag before '=').
 */
int lex_line(const char *line, struct tokens *out, char *err, size_t errlen);
/* Frees and wipes the words (they may hold a pre-shared key). */
void lex_free(struct tokens *t);

/* Appends word to buf as the lexer would read it back: quoted when it
 * holds blanks, quotes, '=' or '#', or is empty.  Returns 0 or -1 if it
 * does not fit. */
int lex_quote(const char *word, char *buf, size_t len);

/* Writes tokens from..n-1 back as one line (tag=value, quoted as
 * needed).  Returns 0, or -1 if it does not fit. */
int lex_join(const struct tokens *tk, size_t from, char *buf, size_t len);

#endif
