/*
 * complete.h - what Tab offers for the word under the cursor: command
 * words and context names, tags ("name="), enumerated values
 * ("action=negotiate") and object names read from the store.  Kept apart
 * from Readline so it can be tested.
 */
#ifndef IPSECSH_COMPLETE_H
#define IPSECSH_COMPLETE_H

#include <stddef.h>

struct shell;

struct completions {
	size_t n, cap;
	char **v;
};

/*
 * Candidates for word, the text being completed, which ends at point in
 * line (everything before it is complete words).  Sorted, unique.
 */
void complete_line(struct shell *sh, const char *line, size_t point,
		   const char *word, struct completions *out);
void completions_free(struct completions *c);

#endif
