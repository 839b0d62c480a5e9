/*
 * engine.h - the service: policy agent, live policy, IKE negotiator,
 * statistics, configuration properties and the control socket
 * (DESIGN.md, Layers).  engine/ uses datapath/ and reads store/; it
 * never includes shell/.
 *
 * This header is the module's map; each part has its own header:
 *
 *   ctl.h      the control protocol (frames over a UNIX stream socket),
 *              its client (ctl_call, ctl_status_query: used by the shell)
 *              and its server (ctl_server_*: runs in the service's loop
 *              and hands each request to the program's executor, with
 *              the peer's credentials)
 *   loop.h     the single-threaded epoll event loop: fds, timers on an
 *              injectable monotonic clock, wakeups from other threads,
 *              SIGTERM / SIGINT / SIGHUP through a signalfd
 *   log.h      syslog or stderr, filtered by ipsecdiagnostics and
 *              ikelogging, periodic summary every ipsecloginterval;
 *              secrets never reach it
 *   config.h   the `set config` properties, their ranges, defaults,
 *              canonical text and their file
 *   service.h  service_run / service_start / service_stop /
 *              service_status; every state path derives from the
 *              socket path, so several services run side by side
 *
 * Who owns what: the program (shell/main.c) owns the executor and the
 * command tables; the service owns its loop, control server, config and
 * pid file for the time service_run runs, and hands them to the
 * program's hooks and executor through struct service (service.h).
 * Everything runs in the loop's thread unless a header says otherwise.
 *
 * Errors: 0 / -1 with a one-line message in the caller's buffer; the
 * client's calls return enum ctl_call_result to tell "no service" apart.
 */
#ifndef IPSECSH_ENGINE_H
#define IPSECSH_ENGINE_H

#include "config.h"
#include "ctl.h"
#include "log.h"
#include "loop.h"
#include "service.h"

#endif
