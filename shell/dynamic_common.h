/*
 * dynamic_common.h - what the dynamic handlers share: error reporting,
 * committing the SPD to the datapath, rule keys from arguments, and the
 * show models of live objects.
 */
#ifndef IPSECSH_DYNAMIC_COMMON_H
#define IPSECSH_DYNAMIC_COMMON_H

#include "cmd.h"
#include "live.h"
#include "output.h"

struct shell;

/* Prints "ERR: <err>" and returns CMD_ERROR. */
enum cmd_status dynamic_error(struct shell *sh, const char *err);
/* Compiles the SPD into the datapath; CMD_ERROR with the reason. */
enum cmd_status dynamic_commit(struct shell *sh);
/* True if a setting (not a tag that names the object) was given. */
bool dynamic_any_change(const struct args *a);
/* "main mode policy "X" does not exist." for name=. */
enum cmd_status dynamic_no_policy(struct shell *sh, const struct args *a,
				  bool mm);
/* delete mmpolicy / qmpolicy: name= or all, all or nothing. */
enum cmd_status dynamic_delete_policies(struct shell *sh,
					const struct args *a, bool mm);

/* The rule key of srcaddr= ... tunneldstaddress= (add rule defaults). */
int dynamic_rule_key(struct shell *sh, const struct args *a,
		     struct spd_rule_key *key);

const char *dynamic_action_name(enum spd_action a); /* "NEGOTIATE" */

void dynamic_model_mmpolicy(struct out *o, const struct spd_mmpolicy *p);
void dynamic_model_qmpolicy(struct out *o, const struct spd_qmpolicy *p);
void dynamic_model_rule(struct out *o, const struct spd_rule *r);
void dynamic_model_sa(struct out *o, const struct live_sa *s);

#endif
