/*
 * log.h - the service's log: syslog (facility LOG_DAEMON, ident
 * "ipsecsh") when daemonised, standard error in the foreground.
 *
 * Every message has a category, and the config properties decide which
 * categories are written (spec: netsh-reference.md §3.10):
 *
 *   LOG_CAT_SERVICE   always: start, stop, fatal errors, configuration
 *                     problems (ipsecdiagnostics 0 still logs these)
 *   LOG_CAT_GENERAL   ipsecdiagnostics bit 1: bad SPI, processing
 *                     failures, malformed packets
 *   LOG_CAT_INBOUND   ipsecdiagnostics bit 2: inbound per-packet drops
 *   LOG_CAT_OUTBOUND  ipsecdiagnostics bit 4: outbound per-packet drops
 *   LOG_CAT_IKE       ikelogging 1: IKE negotiation trace
 *
 * Per-packet categories are rate limited (LOG_PACKET_BURST lines per
 * second each); what is suppressed is counted and reported by the
 * periodic summary, which runs every ipsecloginterval seconds and calls
 * the program's summary callback to write its counters.
 *
 * Secrets are never logged.  By design no key material reaches this
 * API: callers pass SPIs, addresses, algorithm names and counters, never
 * keys, pre-shared keys, nonces or DH values, nor the words of a
 * control request (they may carry a pre-shared key).
 *
 * Thread safety: the log_* calls may be made from any thread (the
 * datapath workers log per-packet drops); log_open/log_close and the
 * summary belong to the main thread.
 */
#ifndef IPSECSH_LOG_H
#define IPSECSH_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h> /* priorities: LOG_ERR, LOG_WARNING, LOG_NOTICE, ... */

struct loop;

enum log_cat {
	LOG_CAT_SERVICE = 0,
	LOG_CAT_GENERAL,
	LOG_CAT_INBOUND,
	LOG_CAT_OUTBOUND,
	LOG_CAT_IKE,
};
#define LOG_CAT_COUNT 5

/* ipsecdiagnostics bits. */
#define LOG_DIAG_GENERAL 1u
#define LOG_DIAG_INBOUND 2u
#define LOG_DIAG_OUTBOUND 4u

#define LOG_PACKET_BURST 50 /* per-packet lines per second, per category */
#define LOG_LINE_MAX 1024   /* longer messages are cut */

/* Where lines go: syslog or standard error (the default, until opened). */
void log_open(bool use_syslog);
void log_close(void);
/* Replaces the destination (tests); NULL restores log_open's choice. */
typedef void (*log_sink_fn)(void *arg, int prio, enum log_cat cat,
                            const char *line);
void log_set_sink(log_sink_fn fn, void *arg);

/* The filter: ipsecdiagnostics (0-7) and ikelogging (0-1). */
void log_set_levels(unsigned diagnostics, unsigned ikelogging);
/* Would a message of this category be written now?  Check it before
 * building an expensive message. */
bool log_enabled(enum log_cat cat);

/* prio is a syslog priority (LOG_ERR ... LOG_DEBUG). */
void log_msg(enum log_cat cat, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Service messages: always written. */
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Per-packet lines suppressed by the rate limit since the last call,
 * for each category; resets the counts. */
void log_take_suppressed(uint64_t out[LOG_CAT_COUNT]);

/*
 * The periodic summary: every interval seconds, a line for each
 * category that lost lines to the rate limit, then fn (which writes the
 * counters with log_msg).  fn may be NULL.
 */
struct log_summary;
typedef void (*log_summary_fn)(void *arg);
struct log_summary *log_summary_new(struct loop *l, unsigned interval_s,
                                    log_summary_fn fn, void *arg);
/* A new interval (ipsecloginterval changed), counted from now. */
void log_summary_set_interval(struct log_summary *s, unsigned interval_s);
/* Runs the summary now (tests, shutdown). */
void log_summary_run(struct log_summary *s);
void log_summary_free(struct log_summary *s);

#endif
