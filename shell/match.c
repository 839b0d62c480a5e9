/*
 * match.c - unique-prefix matching (netsh MatchToken semantics, with an
 * exact match preferred so "filter" never collides with "filterlist").
 */
#include "match.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

bool
match_prefix(const char *word, const char *cand)
{
	size_t n = strlen(word);

	return n > 0 && strncasecmp(word, cand, n) == 0;
}

bool
match_exact(const char *word, const char *cand)
{
	return strcasecmp(word, cand) == 0;
}

int
match_word(const char *word, const char *const *cands, size_t n)
{
	int found = MATCH_NONE;

	for (size_t i = 0; i < n; i++)
		if (match_exact(word, cands[i]))
			return (int)i;
	for (size_t i = 0; i < n; i++) {
		if (!match_prefix(word, cands[i]))
			continue;
		if (found != MATCH_NONE)
			return MATCH_AMBIGUOUS;
		found = (int)i;
	}
	return found;
}

void
match_list(const char *word, const char *const *cands, size_t n, char *buf,
	   size_t len)
{
	size_t total = 0, seen = 0, used = 0;

	for (size_t i = 0; i < n; i++)
		if (match_prefix(word, cands[i]))
			total++;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		const char *sep;
		int w;

		if (!match_prefix(word, cands[i]))
			continue;
		seen++;
		sep = seen == 1 ? "" : seen == total ? " or " : ", ";
		w = snprintf(buf + used, len - used, "%s%s", sep, cands[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}
