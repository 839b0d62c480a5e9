/*
 * loop.h - the service's event loop: one thread, epoll, never blocks
 * except in epoll_wait.
 *
 * It watches file descriptors (callback per fd), runs one-shot timers
 * on a monotonic clock (a min-heap; the clock can be replaced for
 * tests), lets other threads wake it (loop_wakeup: the datapath signals
 * acquires through one), and turns SIGTERM / SIGINT / SIGHUP into events
 * with a signalfd (TERM and INT stop the loop cleanly).
 *
 * Ownership: the caller owns its fds (the loop never closes them; call
 * loop_fd_del before closing one), its timers and its wakeups; free
 * timers and wakeups before the loop.
 * Callbacks may add, change and remove fds and timers, free the timer
 * that is firing, and stop the loop.  Only loop_stop() and
 * loop_wakeup_signal() may be called from other threads (and from
 * signal handlers); everything else belongs to the loop's thread.
 *
 * Errors: 0 / -1 with errno, or a message where an err buffer is taken.
 */
#ifndef IPSECSH_LOOP_H
#define IPSECSH_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

struct loop;
struct loop_timer;
struct loop_wakeup;

/* Monotonic time in milliseconds. */
typedef uint64_t (*loop_clock_fn)(void *arg);
/* events: EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR as epoll reports them. */
typedef void (*loop_fd_fn)(struct loop *l, int fd, uint32_t events, void *arg);
typedef void (*loop_timer_fn)(struct loop *l, struct loop_timer *t, void *arg);
typedef void (*loop_wakeup_fn)(struct loop *l, void *arg);
typedef void (*loop_signal_fn)(struct loop *l, int signo, void *arg);

struct loop *loop_new(char *err, size_t errlen);
/* Closes what the loop opened and restores the signal mask that
 * loop_signals changed.  NULL is fine. */
void loop_free(struct loop *l);

/* Replaces the clock (tests).  NULL restores CLOCK_MONOTONIC. */
void loop_set_clock(struct loop *l, loop_clock_fn fn, void *arg);
uint64_t loop_now(const struct loop *l);

/* Watches fd for events (EPOLLIN, EPOLLOUT; level-triggered). */
int loop_fd_add(struct loop *l, int fd, uint32_t events, loop_fd_fn fn,
                void *arg);
int loop_fd_mod(struct loop *l, int fd, uint32_t events);
/* Stops watching fd; events already fetched for it are dropped. */
int loop_fd_del(struct loop *l, int fd);

/* A timer, disarmed.  NULL when out of memory. */
struct loop_timer *loop_timer_new(struct loop *l, loop_timer_fn fn, void *arg);
/* Fires once, delay_ms from now; arming an armed timer moves it.
 * Timers due at the same time fire in the order they were armed. */
void loop_timer_arm(struct loop_timer *t, uint64_t delay_ms);
void loop_timer_disarm(struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);
/* Disarms and frees.  NULL is fine. */
void loop_timer_free(struct loop_timer *t);

/* Something other threads use to run fn in the loop's thread.  Signals
 * that arrive before fn runs are coalesced into one call. */
struct loop_wakeup *loop_wakeup_new(struct loop *l, loop_wakeup_fn fn,
                                    void *arg);
/* Any thread, async-signal-safe, never blocks. */
void loop_wakeup_signal(struct loop_wakeup *w);
void loop_wakeup_free(struct loop_wakeup *w);

/*
 * Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (threads it
 * creates later inherit that) and delivers them through a signalfd:
 * each calls fn (may be NULL) in the loop; TERM and INT then stop the
 * loop.  Call from the thread that runs the loop, before creating
 * threads.
 */
int loop_signals(struct loop *l, loop_signal_fn fn, void *arg, char *err,
                 size_t errlen);

/*
 * One round: waits for fds up to max_wait_ms (-1: until an fd or the
 * next timer; 0: not at all), runs their callbacks, then the timers
 * that are due.  With a replaced clock that does not move, pass 0.
 * Returns 0, or -1 if epoll_wait failed.
 */
int loop_run_once(struct loop *l, int max_wait_ms);
/* Rounds until loop_stop(); returns 0 (stopped) or -1 (epoll failed). */
int loop_run(struct loop *l);
/* Makes loop_run return after the current round.  A stop requested
 * before loop_run makes it return at once.  Any thread. */
void loop_stop(struct loop *l);

#endif
