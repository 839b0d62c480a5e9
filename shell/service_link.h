/*
 * service_link.h - the shell's side of the running service: where its
 * control socket is and whether it answers.  Dynamic commands need the
 * service; without it they fail with a clear message, as netsh does.
 */
#ifndef IPSECSH_SERVICE_LINK_H
#define IPSECSH_SERVICE_LINK_H

#include <stdbool.h>

#include "cmd.h"

struct shell;

#include "lex.h"
#include "service.h"

#define SERVICE_SOCKET_DEFAULT SERVICE_SOCKET_PATH_DEFAULT

/* --socket, else IPSECSH_SOCKET, else the default. */
const char *service_link_socket_path(const struct shell *sh);
/* True when something accepts connections on the socket. */
bool service_link_running(const struct shell *sh);
/* On entering the dynamic context: a note if the service is down. */
void service_link_note_context(struct shell *sh);
/*
 * A line found no command in ctx.  In the dynamic context, where the
 * commands live in the service, a service that is down is the reason:
 * prints it and returns true; otherwise returns false, printing nothing.
 */
bool service_link_unknown_command(struct shell *sh,
				  const struct context *ctx);

/*
 * Runs a service command (CMD_SERVICE) in the running service: sends the
 * command's words and the argument words tk->t[first..], copies what it
 * prints.  Errors it reports become shell errors (with the script
 * position in scripts).
 */
enum cmd_status service_link_forward(struct shell *sh,
				     const struct command *cmd,
				     const struct context *ctx,
				     const struct tokens *tk, size_t first);

/*
 * After a static change has committed: asks a running service to apply
 * the assigned policy again (it does so only if the store changed).  A
 * service that is not running is no error; one that cannot apply the
 * policy prints a warning.
 */
void service_link_notify(struct shell *sh);

#endif
