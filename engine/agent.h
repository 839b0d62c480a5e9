/*
 * agent.h - the policy agent: what an administrator assigns in `ipsec
 * static` is what the service enforces.
 *
 * The agent reads the assigned policy of the persistent location, then
 * of the local location, from the store, and compiles each into live SPD
 * entries (origin = the static policy and rule):
 *   policy                -> main mode policy "static/<policy>"
 *   filter action         -> quick mode policy "static/<policy>/<action>"
 *   active rule x filter  -> SPD rule (filter values, the rule's tunnel end
 *                            point, connection type and authentication; the
 *                            action's permit / block / negotiate)
 * A new load replaces the agent's previous entries atomically: if any
 * entry cannot be added or compiled, the previous ones come back and the
 * error is kept for `service status`.  Dynamic entries are untouched.
 *
 * The agent runs in the service's main thread.
 */
#ifndef IPSECSH_AGENT_H
#define IPSECSH_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "live.h"

struct agent;

/* store_path NULL: the store's default path. */
struct agent *agent_new(struct live *live, const char *store_path);
void agent_free(struct agent *a);

/*
 * Loads the assigned policies if the store changed since the last load
 * (always when force).  Returns 1 if it applied a new policy, 0 if
 * nothing changed, -1 with err set (the previous policy stays).
 */
int agent_sync(struct agent *a, bool force, char *err, size_t errlen);

/* Minutes between polls of the store: the assigned policies'
 * pollinginterval (the smallest), 180 when none is assigned. */
unsigned agent_poll_minutes(const struct agent *a);

/* "Red (local), Boot (persistent)", or "none". */
const char *agent_applied(const struct agent *a);
/* The last load's error, "" when it succeeded. */
const char *agent_error(const struct agent *a);

#endif
