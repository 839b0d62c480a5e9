/*
 * service.h - the life of the ipsecsh service: run in the foreground
 * (systemd, `ipsecsh service run`), start as a daemon, stop, status.
 *
 * Every path of a service derives from its control socket path, so two
 * services with different sockets run side by side on one machine (in
 * two network namespaces, say):
 *
 *   <socket>        the control socket (mode 0660, group = admin group)
 *   <socket>.pid    the pid file; the running service holds a write
 *                   lock (fcntl) on it for its whole life, which is how
 *                   a second instance is refused and how `stop` knows
 *                   the pid is really the service's
 *   <socket>.conf   the `set config` properties (config.h), mode 0600
 *
 * service_run() runs one service in the calling process until SIGTERM,
 * SIGINT or service_request_stop(): it takes the pid file, loads the
 * config, opens the event loop and the control socket, calls on_start,
 * serves requests through the program's executor (ctl_exec_fn, see
 * ctl.h), then calls on_stop and removes the socket and the pid file.
 * The process model (DESIGN.md): one main thread runs the loop; the
 * program's hooks may start datapath threads, which reach the loop only
 * through loop_wakeup_signal().
 *
 * Errors: -1 with one line in err; the message is also logged.
 */
#ifndef IPSECSH_SERVICE_H
#define IPSECSH_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "config.h"
#include "ctl.h"

#define SERVICE_SOCKET_PATH_DEFAULT "/run/ipsecsh/ipsecsh.sock"
#define SERVICE_PID_SUFFIX ".pid"
#define SERVICE_CONF_SUFFIX ".conf"
#define SERVICE_STOP_TIMEOUT_MS 10000
#define SERVICE_START_TIMEOUT_MS 60000

struct loop;
struct service;

struct service_opts {
	const char *socket_path; /* NULL: SERVICE_SOCKET_PATH_DEFAULT */
	const char *admin_group; /* may change state besides root; NULL:
	                            root only */
	mode_t socket_mode;      /* 0: 0660 */
	bool foreground;         /* log to stderr; else syslog (service_start
	                            always uses syslog) */
	ctl_exec_fn exec;        /* runs the commands of requests */
	void *exec_arg;

	/* Hooks, all optional, all called in the loop's thread with
	 * hook_arg.  on_start: the loop exists and the socket listens, no
	 * request has been served yet; start the datapath here.  A
	 * failure ends the start with that message (service_start reports
	 * it to its caller). */
	int (*on_start)(struct service *svc, void *arg, char *err,
	                size_t errlen);
	/* The loop has stopped; the socket still exists. */
	void (*on_stop)(struct service *svc, void *arg);
	/* Every ipsecloginterval seconds: log the counters (log.h). */
	void (*on_summary)(struct service *svc, void *arg);
	/* More items for STATUS (after the service's own). */
	void (*on_status)(struct service *svc, void *arg,
	                  struct ctl_status *st);
	void *hook_arg;
};

/*
 * Runs the service in this process until it is stopped.  Returns 0
 * after a clean stop, -1 if it could not start (another instance:
 * "already running (pid N, socket PATH)"; a socket, pid file or hook
 * failure).
 */
int service_run(const struct service_opts *o, char *err, size_t errlen);

/*
 * Starts the service as a daemon (fork, setsid, fork, chdir /, standard
 * streams to /dev/null, syslog) and returns in the caller once the
 * daemon's socket listens and on_start succeeded (0), or with the
 * daemon's error message (-1).  The daemon process ends with exit();
 * it never returns into the caller's code.  Call it before creating
 * threads.
 */
int service_start(const struct service_opts *o, char *err, size_t errlen);

/*
 * Stops the service of socket_path: SIGTERM to the process that holds
 * the pid file's lock (or, without one, that answers STATUS on the
 * socket), then waits up to timeout_ms (0: SERVICE_STOP_TIMEOUT_MS) for
 * it to release the lock.  Returns 0 stopped, 1 it was not running,
 * -1 error (err: not allowed, did not stop in time, ...).
 */
int service_stop(const char *socket_path, int timeout_ms, char *err,
                 size_t errlen);

/*
 * Prints whether the service of socket_path runs and, if it does, its
 * pid, uptime, socket and configuration (asked with STATUS).  Returns 0
 * running, 1 not running, -1 it does not answer properly (printed).
 */
int service_status(const char *socket_path, FILE *out);

/* <socket_path><suffix> into buf; -1 if it does not fit. */
int service_path(const char *socket_path, const char *suffix, char *buf,
                 size_t len);

/* ---- for the hooks and the executor, while the service runs -------- */

struct loop *service_loop(struct service *svc);
const char *service_socket_path(const struct service *svc);
const struct config *service_config(const struct service *svc);
/*
 * `set config`: checks and sets the property (config_set), saves the
 * config file, and applies what applies at once (log levels, summary
 * interval).  On failure nothing changes and err says why.
 */
int service_config_set(struct service *svc, const char *name, const char *value,
                       char *err, size_t errlen);
/* When the service started (wall clock). */
time_t service_started(const struct service *svc);
/* Ends service_run after the current round of the loop. */
void service_request_stop(struct service *svc);

#endif
