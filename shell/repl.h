/*
 * repl.h - the interactive read-eval loop (GNU Readline).
 */
#ifndef IPSECSH_REPL_H
#define IPSECSH_REPL_H

struct shell;

/* Reads and runs lines until exit or end of input. */
void repl_run(struct shell *sh);

#endif
