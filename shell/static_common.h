/*
 * static_common.h - helpers the static handlers share: finding objects
 * by name or GUID, building authentication lists, names of enums.
 */
#ifndef IPSECSH_STATIC_COMMON_H
#define IPSECSH_STATIC_COMMON_H

#include "cmd.h"
#include "output.h"
#include "shell.h"
#include "store.h"

const char *static_action_name(enum store_action a);	  /* "negotiate" */
const char *static_conntype_name(enum store_conntype c); /* "all" */

/* Copies src into a fixed field, refusing (with a message) if too long. */
int static_copy(struct shell *sh, const struct args *a, char *dst,
		size_t len, const char *src, const char *tag);

/* The policy/filter list/filter action named by name= or guid=. */
int static_find_policy(struct shell *sh, const struct args *a,
		       struct store_policy *out);
int static_find_filterlist(struct shell *sh, const struct args *a,
			   struct store_filterlist *out);
int static_find_filteraction(struct shell *sh, const struct args *a,
			     struct store_filteraction *out);

/*
 * Fills auth[] from psk= and rootca= in the order they were given.
 * Returns 1 if any was given (the list replaced, *nauth set), 0 if none
 * (auth untouched), -1 after an error (kerberos=yes, too many).
 */
int static_collect_auth(struct shell *sh, const struct args *a,
			struct store_auth *auth, size_t *nauth);

/* A rule that negotiates needs an authentication method. */
int static_check_rule_auth(struct shell *sh, const struct args *a,
			   const struct store_rule *r);

/*
 * Checks a filter's two ends together (a server type needs me opposite,
 * both ends of one IP version) and canonicalises srcmask= and dstmask=
 * against them.  With defaults, an omitted mask gets its default;
 * otherwise it is left as it is.
 */
int static_endpoints(struct shell *sh, const struct args *a,
		     const char *srcaddr, const char *dstaddr, bool defaults,
		     char *srcmask, char *dstmask, size_t masklen);

/* tunnel= text to the stored form: "" for none, else canonical IP/DNS. */
int static_tunnel(struct shell *sh, const struct args *a, const char *text,
		  char *out, size_t len);

/*
 * The rules named rule in every policy of the location (show filterlist
 * rule=, show filteraction rule=).  Prints an error if there is none.
 */
int static_rules_named(struct shell *sh, const char *rule,
		       struct store_rule **out, size_t *n);

/* format=, wide= and level= of a show command, as an output model. */
struct out *static_out_new(const struct args *a);
bool static_verbose(const struct args *a);

/* Renders o to the shell's output and frees it (o may be NULL: out of
 * memory).  Returns the command's status. */
enum cmd_status static_render(struct shell *sh, const struct args *a,
			      struct out *o);

#endif
