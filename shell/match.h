/*
 * match.h - case-insensitive unique-prefix matching of words (commands,
 * context names, tags, enumerated values).  An exact match wins over
 * prefix matches; otherwise the word must be a prefix of exactly one
 * candidate.
 */
#ifndef IPSECSH_MATCH_H
#define IPSECSH_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#define MATCH_NONE (-1)
#define MATCH_AMBIGUOUS (-2)

bool match_prefix(const char *word, const char *cand);
bool match_exact(const char *word, const char *cand);

/* Index of the candidate word picks, MATCH_NONE or MATCH_AMBIGUOUS. */
int match_word(const char *word, const char *const *cands, size_t n);

/* Writes "a, b or c" of the candidates word is a prefix of. */
void match_list(const char *word, const char *const *cands, size_t n,
		char *buf, size_t len);

#endif
