/*
 * static.h - the "ipsec static" context: its command handlers (one file
 * per object kind), the show models they share, and the dump/export
 * writer.  The table itself is static_table.c.
 */
#ifndef IPSECSH_STATIC_H
#define IPSECSH_STATIC_H

#include <stdio.h>

#include "cmd.h"
#include "output.h"
#include "store.h"

struct shell;

/* Writes a script that recreates both locations of the store. */
enum cmd_status static_dump(struct shell *sh, FILE *f);
/* The commands that recreate the current location (no pushd/popd). */
int static_dump_location(struct store *st, FILE *f);

/* Handlers, by object kind. */
enum cmd_status static_add_policy(struct shell *sh, const struct args *a);
enum cmd_status static_set_policy(struct shell *sh, const struct args *a);
enum cmd_status static_delete_policy(struct shell *sh, const struct args *a);
enum cmd_status static_show_policy(struct shell *sh, const struct args *a);

enum cmd_status static_add_filterlist(struct shell *sh, const struct args *a);
enum cmd_status static_set_filterlist(struct shell *sh, const struct args *a);
enum cmd_status static_delete_filterlist(struct shell *sh,
					 const struct args *a);
enum cmd_status static_show_filterlist(struct shell *sh, const struct args *a);

enum cmd_status static_add_filter(struct shell *sh, const struct args *a);
enum cmd_status static_delete_filter(struct shell *sh, const struct args *a);

enum cmd_status static_add_filteraction(struct shell *sh,
					const struct args *a);
enum cmd_status static_set_filteraction(struct shell *sh,
					const struct args *a);
enum cmd_status static_delete_filteraction(struct shell *sh,
					   const struct args *a);
enum cmd_status static_show_filteraction(struct shell *sh,
					 const struct args *a);

enum cmd_status static_add_rule(struct shell *sh, const struct args *a);
enum cmd_status static_set_rule(struct shell *sh, const struct args *a);
enum cmd_status static_set_defaultrule(struct shell *sh, const struct args *a);
enum cmd_status static_delete_rule(struct shell *sh, const struct args *a);
enum cmd_status static_show_rule(struct shell *sh, const struct args *a);

enum cmd_status static_delete_all(struct shell *sh, const struct args *a);
enum cmd_status static_show_all(struct shell *sh, const struct args *a);
enum cmd_status static_set_store(struct shell *sh, const struct args *a);
enum cmd_status static_show_store(struct shell *sh, const struct args *a);
enum cmd_status static_show_gpoassignedpolicy(struct shell *sh,
					      const struct args *a);
enum cmd_status static_set_batch(struct shell *sh, const struct args *a);
enum cmd_status static_exportpolicy(struct shell *sh, const struct args *a);
enum cmd_status static_importpolicy(struct shell *sh, const struct args *a);

/* Show models, shared by the show commands (verbose nests them).
 * model_policy depth: 0 the policy, 1 with its rules, 2 with the rules'
 * filter lists and filter actions too. */
void model_policy(struct out *o, struct store *st,
		  const struct store_policy *p, int depth);
void model_filterlist(struct out *o, struct store *st,
		      const struct store_filterlist *fl, bool verbose,
		      bool resolvedns);
void model_filter(struct out *o, const struct store_filter *f,
		  bool resolvedns);
void model_filteraction(struct out *o, const struct store_filteraction *fa);
void model_rule(struct out *o, struct store *st, const struct store_rule *r,
		bool verbose);


#endif
