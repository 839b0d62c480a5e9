/*
 * lex.c - the command line lexer.  See lex.h for the grammar.
 */
#include "lex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Reads one word starting at *pp into dst (which has room: every word is
 * at most as long as the line).  Stops at an unquoted blank, or, when
 * stop_at_eq, at the first unquoted '='.  Returns -1 on an unterminated
 * quote.
 */
static int
read_word(const char **pp, char *dst, bool stop_at_eq, bool *quoted,
	  bool *hit_eq)
{
	const char *p = *pp;
	bool inq = false;

	*hit_eq = false;
	while (*p != '\0') {
		if (*p == '"') {
			inq = !inq;
			*quoted = true;
			p++;
			continue;
		}
		if (!inq && is_blank(*p))
			break;
		if (!inq && stop_at_eq && *p == '=') {
			*hit_eq = true;
			break;
		}
		*dst++ = *p++;
	}
	*dst = '\0';
	*pp = p;
	return inq ? -1 : 0;
}

static const char *
skip_blanks(const char *p)
{
	while (is_blank(*p))
		p++;
	return p;
}

int
lex_line(const char *line, struct tokens *out, char *err, size_t errlen)
{
	size_t len = strlen(line);
	const char *p = skip_blanks(line);
	char *w;

	memset(out, 0, sizeof(*out));
	if (len >= LEX_LINE_MAX) {
		snprintf(err, errlen, "The line is longer than %d characters.",
			 LEX_LINE_MAX - 1);
		return -1;
	}
	if (*p == '\0' || *p == '#')
		return 1;
	/* Each word and tag is shorter than the line; two NULs per word. */
	out->buflen = 2 * len + 2 * LEX_TOKENS_MAX + 2;
	out->buf = malloc(out->buflen);
	if (out->buf == NULL) {
		snprintf(err, errlen, "Out of memory.");
		return -1;
	}
	w = out->buf;
	while (*p != '\0') {
		struct token *t;
		bool quoted = false, hit_eq = false;
		char *word = w;

		if (out->n == LEX_TOKENS_MAX) {
			snprintf(err, errlen,
				 "The line has more than %d words.",
				 LEX_TOKENS_MAX);
			goto fail;
		}
		t = &out->t[out->n];
		if (read_word(&p, word, true, &quoted, &hit_eq) < 0)
			goto unterminated;
		w += strlen(word) + 1;
		if (!hit_eq && !quoted) {
			/* "name = value": the '=' may follow after blanks. */
			const char *q = skip_blanks(p);
			if (*q == '=' && word[0] != '\0') {
				p = q;
				hit_eq = true;
			}
		}
		if (hit_eq) {
			if (word[0] == '\0') {
				snprintf(err, errlen,
					 "A value follows \"=\" without a tag "
					 "before it.");
				goto fail;
			}
			p++; /* the '=' */
			p = skip_blanks(p);
			t->tag = word;
			t->value = w;
			quoted = false;
			if (read_word(&p, w, false, &quoted, &hit_eq) < 0)
				goto unterminated;
			w += strlen(w) + 1;
		} else {
			t->tag = NULL;
			t->value = word;
		}
		t->quoted = quoted;
		out->n++;
		p = skip_blanks(p);
	}
	return 0;
unterminated:
	snprintf(err, errlen, "A quote (\") is not closed.");
fail:
	lex_free(out);
	return -1;
}

void
lex_free(struct tokens *t)
{
	if (t->buf != NULL)
		explicit_bzero(t->buf, t->buflen);
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

int
lex_quote(const char *word, char *buf, size_t len)
{
	size_t used = strlen(buf);
	/* Every character the lexer splits or stops at: its blanks (\r and
	 * \n too), '=', and '#' (a comment when it leads the line). */
	bool need = word[0] == '\0' || strpbrk(word, " \t\r\n=#") != NULL;
	int n;

	/* A value containing '"' cannot be quoted back; keep it bare
	 * (only possible for words without blanks). */
	if (strchr(word, '"') != NULL)
		need = false;
	n = snprintf(buf + used, len - used, need ? "\"%s\"" : "%s", word);
	return (n < 0 || (size_t)n >= len - used) ? -1 : 0;
}

int
lex_join(const struct tokens *tk, size_t from, char *buf, size_t len)
{
	if (len == 0)
		return -1;
	buf[0] = '\0';
	for (size_t i = from; i < tk->n; i++) {
		if (i > from) {
			if (strlen(buf) + 2 > len)
				return -1;
			strcat(buf, " ");
		}
		/* A tag may hold quoted blanks or '=' ("a b"=c): quoted
		 * back, or it would come back as other words. */
		if (tk->t[i].tag != NULL) {
			if (lex_quote(tk->t[i].tag, buf, len) < 0 ||
			    strlen(buf) + 2 > len)
				return -1;
			strcat(buf, "=");
		}
		if (lex_quote(tk->t[i].value, buf, len) < 0)
			return -1;
	}
	return 0;
}
