/*
 * test_loop.c - unit tests of the event loop (engine/loop.h) and of the
 * log (engine/log.h): timers in order on an injected clock, re-arming
 * and freeing from callbacks, fds removed in the middle of a round,
 * wakeups from another thread, signals through the signalfd; the log's
 * filter by ipsecdiagnostics / ikelogging, its rate limit and its
 * periodic summary on the loop's clock.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/log.h"
#include "engine/loop.h"

/* ---- an injected clock ---------------------------------------------- */

static uint64_t fake_now;

static uint64_t
fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

static struct loop *
fake_loop(void)
{
	char err[128];
	struct loop *l = loop_new(err, sizeof(err));

	if (l == NULL)
		fail_msg("loop_new: %s", err);
	fake_now = 1000;
	loop_set_clock(l, fake_clock, NULL);
	return l;
}

/* What fired, in order. */
static char fired[256];

static void
record(struct loop *l, struct loop_timer *t, void *arg)
{
	(void)l;
	(void)t;
	strncat(fired, arg, sizeof(fired) - strlen(fired) - 1);
}

static void
test_timers_in_order(void **state)
{
	struct loop *l = fake_loop();
	struct loop_timer *a, *b1, *b2, *c, *d;

	(void)state;
	fired[0] = '\0';
	a = loop_timer_new(l, record, "a");
	b1 = loop_timer_new(l, record, "b1");
	b2 = loop_timer_new(l, record, "b2");
	c = loop_timer_new(l, record, "c");
	d = loop_timer_new(l, record, "d");
	loop_timer_arm(a, 30);
	loop_timer_arm(b1, 10);
	loop_timer_arm(c, 20);
	loop_timer_arm(b2, 10); /* same deadline as b1, armed later */
	loop_timer_arm(d, 40);
	assert_true(loop_timer_armed(a));

	fake_now += 5;
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_string_equal(fired, "");
	fake_now += 20; /* 25: b1, b2, c */
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_string_equal(fired, "b1b2c");
	assert_false(loop_timer_armed(b1));
	assert_true(loop_timer_armed(a));

	/* Disarmed: never fires.  Re-armed: moves. */
	loop_timer_disarm(d);
	loop_timer_arm(a, 100); /* 125 */
	fake_now = 1100;
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_string_equal(fired, "b1b2c");
	fake_now = 1125;
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_string_equal(fired, "b1b2ca");
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_string_equal(fired, "b1b2ca");

	loop_timer_free(a);
	loop_timer_free(b1);
	loop_timer_free(b2);
	loop_timer_free(c);
	loop_timer_free(d);
	loop_timer_free(NULL);
	loop_free(l);
}

/* Many timers with scattered deadlines: the heap gives them back in
 * deadline order, ties in arm order. */
static uint64_t last_deadline;
static unsigned last_seq, nfired;

struct heap_timer {
	struct loop_timer *t;
	uint64_t deadline;
	unsigned seq;
};

static void
heap_fire(struct loop *l, struct loop_timer *t, void *arg)
{
	struct heap_timer *h = arg;

	(void)l;
	(void)t;
	assert_true(h->deadline >= last_deadline);
	if (h->deadline == last_deadline)
		assert_true(h->seq > last_seq);
	last_deadline = h->deadline;
	last_seq = h->seq;
	nfired++;
}

static void
test_timer_heap(void **state)
{
	struct loop *l = fake_loop();
	struct heap_timer ht[500];
	unsigned i, seed = 12345, seq = 0;

	(void)state;
	for (i = 0; i < 500; i++) {
		uint64_t delay;

		seed = seed * 1103515245u + 12345u;
		delay = (seed >> 16) % 97;
		ht[i].t = loop_timer_new(l, heap_fire, &ht[i]);
		ht[i].deadline = fake_now + delay;
		ht[i].seq = ++seq;
		loop_timer_arm(ht[i].t, delay);
	}
	/* Disarm and re-arm some, as a service does. */
	for (i = 0; i < 500; i += 7) {
		loop_timer_disarm(ht[i].t);
		if (i % 2 == 0) {
			ht[i].seq = ++seq;
			loop_timer_arm(ht[i].t, ht[i].deadline - fake_now);
		}
	}
	last_deadline = 0;
	last_seq = 0;
	nfired = 0;
	fake_now += 100;
	assert_int_equal(loop_run_once(l, 0), 0);
	{
		unsigned expect = 500;

		for (i = 0; i < 500; i += 7)
			if (i % 2 != 0)
				expect--;
		assert_int_equal(nfired, expect);
	}
	for (i = 0; i < 500; i++)
		loop_timer_free(ht[i].t);
	loop_free(l);
}

static int rearms;

static void
rearm_zero(struct loop *l, struct loop_timer *t, void *arg)
{
	(void)l;
	(void)arg;
	rearms++;
	loop_timer_arm(t, 0);
}

static void
free_self(struct loop *l, struct loop_timer *t, void *arg)
{
	(void)l;
	*(int *)arg = 1;
	loop_timer_free(t);
}

static void
test_timer_callbacks(void **state)
{
	struct loop *l = fake_loop();
	struct loop_timer *r, *f;
	int freed = 0;

	(void)state;
	/* Re-arming with delay 0 waits for the next round. */
	rearms = 0;
	r = loop_timer_new(l, rearm_zero, NULL);
	loop_timer_arm(r, 0);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(rearms, 1);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(rearms, 2);
	loop_timer_free(r);

	/* A timer may free itself while firing (ASan checks the rest). */
	f = loop_timer_new(l, free_self, &freed);
	loop_timer_arm(f, 1);
	fake_now += 1;
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(freed, 1);
	loop_free(l);
}

static void
test_real_clock_wait(void **state)
{
	char err[128];
	struct loop *l = loop_new(err, sizeof(err));
	struct loop_timer *t;
	uint64_t t0;

	(void)state;
	assert_non_null(l);
	fired[0] = '\0';
	t = loop_timer_new(l, record, "x");
	t0 = loop_now(l);
	loop_timer_arm(t, 50);
	/* Waits for the timer, not forever. */
	while (fired[0] == '\0')
		assert_int_equal(loop_run_once(l, -1), 0);
	assert_true(loop_now(l) - t0 >= 50);
	loop_timer_free(t);
	loop_free(l);
}

/* ---- fds ------------------------------------------------------------ */

struct fdtest {
	struct loop *l;
	int p1[2], p2[2];
	int calls1, calls2;
};

static void
on_p1(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct fdtest *t = arg;
	char c;

	assert_true(events & EPOLLIN);
	assert_int_equal(read(fd, &c, 1), 1);
	t->calls1++;
	/* Remove the other fd, whose event may be in this round too. */
	loop_fd_del(l, t->p2[0]);
}

static void
on_p2(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct fdtest *t = arg;
	char c;

	(void)events;
	assert_int_equal(read(fd, &c, 1), 1);
	t->calls2++;
	loop_fd_del(l, t->p1[0]);
}

static void
test_fds(void **state)
{
	struct fdtest t;
	char err[128];

	(void)state;
	memset(&t, 0, sizeof(t));
	t.l = loop_new(err, sizeof(err));
	assert_non_null(t.l);
	assert_int_equal(pipe(t.p1), 0);
	assert_int_equal(pipe(t.p2), 0);
	assert_int_equal(loop_fd_add(t.l, t.p1[0], EPOLLIN, on_p1, &t), 0);
	assert_int_equal(loop_fd_add(t.l, t.p2[0], EPOLLIN, on_p2, &t), 0);
	assert_int_equal(loop_fd_add(t.l, t.p2[0], EPOLLIN, on_p2, &t), -1);
	assert_int_equal(errno, EEXIST);

	/* Nothing readable: nothing called, no wait. */
	assert_int_equal(loop_run_once(t.l, 0), 0);
	assert_int_equal(t.calls1 + t.calls2, 0);

	/* Both readable: whichever runs first removes the other, whose
	 * fetched event is then dropped. */
	assert_int_equal(write(t.p1[1], "x", 1), 1);
	assert_int_equal(write(t.p2[1], "y", 1), 1);
	assert_int_equal(loop_run_once(t.l, 1000), 0);
	assert_int_equal(t.calls1 + t.calls2, 1);
	assert_int_equal(loop_fd_del(t.l, 12345), -1);

	/* EPOLLOUT via loop_fd_mod. */
	if (t.calls1 == 1) {
		assert_int_equal(loop_fd_mod(t.l, t.p1[0], EPOLLIN), 0);
		assert_int_equal(loop_fd_mod(t.l, t.p2[0], EPOLLIN), -1);
	}
	close(t.p1[0]);
	close(t.p1[1]);
	close(t.p2[0]);
	close(t.p2[1]);
	loop_free(t.l);
}

/* ---- wakeups, stop, signals ----------------------------------------- */

struct waker {
	struct loop_wakeup *w;
	int n;
};

static void
on_wakeup(struct loop *l, void *arg)
{
	struct waker *w = arg;

	w->n++;
	loop_stop(l);
}

static void *
wake_thread(void *arg)
{
	struct waker *w = arg;
	struct timespec ts = {0, 20 * 1000000L};

	nanosleep(&ts, NULL);
	loop_wakeup_signal(w->w);
	loop_wakeup_signal(w->w);
	return NULL;
}

static void
test_wakeup(void **state)
{
	char err[128];
	struct loop *l = loop_new(err, sizeof(err));
	struct waker w = {0};
	pthread_t th;

	(void)state;
	assert_non_null(l);
	w.w = loop_wakeup_new(l, on_wakeup, &w);
	assert_non_null(w.w);
	assert_int_equal(pthread_create(&th, NULL, wake_thread, &w), 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	/* Two signals before the loop ran: one call. */
	assert_int_equal(w.n, 1);
	loop_wakeup_free(w.w);

	/* A stop asked before loop_run makes it return at once. */
	loop_stop(l);
	assert_int_equal(loop_run(l), 0);
	loop_free(l);
}

static int signals_seen[3];

static void
on_sig(struct loop *l, int signo, void *arg)
{
	(void)l;
	(void)arg;
	if (signo == SIGHUP)
		signals_seen[0]++;
	if (signo == SIGTERM)
		signals_seen[1]++;
	if (signo == SIGINT)
		signals_seen[2]++;
}

static void
hup_then_term(struct loop *l, struct loop_timer *t, void *arg)
{
	(void)l;
	(void)t;
	(void)arg;
	kill(getpid(), SIGHUP);
	kill(getpid(), SIGTERM);
}

static void
test_signals(void **state)
{
	char err[128];
	struct loop *l = loop_new(err, sizeof(err));
	struct loop_timer *t;
	sigset_t cur;

	(void)state;
	assert_non_null(l);
	memset(signals_seen, 0, sizeof(signals_seen));
	assert_int_equal(loop_signals(l, on_sig, NULL, err, sizeof(err)), 0);
	assert_int_equal(loop_signals(l, on_sig, NULL, err, sizeof(err)), -1);
	t = loop_timer_new(l, hup_then_term, NULL);
	loop_timer_arm(t, 0);
	/* SIGHUP is reported; SIGTERM stops the loop cleanly. */
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(signals_seen[0], 1);
	assert_int_equal(signals_seen[1], 1);
	loop_timer_free(t);
	loop_free(l);
	/* The signal mask is back as it was. */
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	assert_false(sigismember(&cur, SIGTERM));
	assert_false(sigismember(&cur, SIGHUP));
}

/* ---- the log -------------------------------------------------------- */

static char logged[8192];
static int nlines;

static void
capture(void *arg, int prio, enum log_cat cat, const char *line)
{
	char buf[1200];

	(void)arg;
	snprintf(buf, sizeof(buf), "%d/%d %s\n", prio, (int)cat, line);
	strncat(logged, buf, sizeof(logged) - strlen(logged) - 1);
	nlines++;
}

static void
log_reset(void)
{
	logged[0] = '\0';
	nlines = 0;
}

static void
test_log_filter(void **state)
{
	(void)state;
	log_set_sink(capture, NULL);

	/* ipsecdiagnostics 0, ikelogging 0: service messages only. */
	log_set_levels(0, 0);
	log_reset();
	log_notice("service started");
	log_err("fatal: %s", "x");
	log_msg(LOG_CAT_GENERAL, LOG_WARNING, "bad SPI 0x%x", 0x1234);
	log_msg(LOG_CAT_INBOUND, LOG_INFO, "inbound drop");
	log_msg(LOG_CAT_OUTBOUND, LOG_INFO, "outbound drop");
	log_msg(LOG_CAT_IKE, LOG_DEBUG, "MM SA established");
	assert_string_equal(logged, "5/0 service started\n3/0 fatal: x\n");
	assert_true(log_enabled(LOG_CAT_SERVICE));
	assert_false(log_enabled(LOG_CAT_GENERAL));

	/* Each bit its category. */
	log_set_levels(1, 0);
	log_reset();
	log_msg(LOG_CAT_GENERAL, LOG_WARNING, "bad SPI");
	log_msg(LOG_CAT_INBOUND, LOG_INFO, "inbound drop");
	assert_string_equal(logged, "4/1 bad SPI\n");
	log_set_levels(2, 0);
	log_reset();
	log_msg(LOG_CAT_GENERAL, LOG_WARNING, "bad SPI");
	log_msg(LOG_CAT_INBOUND, LOG_INFO, "inbound drop");
	log_msg(LOG_CAT_OUTBOUND, LOG_INFO, "outbound drop");
	assert_string_equal(logged, "6/2 inbound drop\n");
	log_set_levels(4, 1);
	log_reset();
	log_msg(LOG_CAT_INBOUND, LOG_INFO, "inbound drop");
	log_msg(LOG_CAT_OUTBOUND, LOG_INFO, "outbound drop");
	log_msg(LOG_CAT_IKE, LOG_DEBUG, "MM SA established");
	assert_string_equal(logged,
	                    "6/3 outbound drop\n7/4 MM SA established\n");

	/* A line break in a message cannot forge a second line. */
	log_reset();
	log_notice("name \"%s\"", "a\nipsecsh: error: forged");
	assert_string_equal(logged, "5/0 name \"a?ipsecsh: error: forged\"\n");
	log_set_levels(0, 0);
	log_set_sink(NULL, NULL);
}

static int summaries;

static void
on_summary(void *arg)
{
	(void)arg;
	summaries++;
	log_msg(LOG_CAT_SERVICE, LOG_INFO, "counters: ...");
}

static void
test_log_rate_and_summary(void **state)
{
	struct loop *l = fake_loop();
	struct log_summary *s;
	int i;

	(void)state;
	log_set_sink(capture, NULL);
	log_set_levels(7, 0);
	{
		uint64_t drop[LOG_CAT_COUNT];

		log_take_suppressed(drop);
	}
	log_reset();
	/* A flood of per-packet lines: at most a burst a second goes out
	 * (two if the second turns meanwhile), the rest is counted. */
	for (i = 0; i < 1000; i++)
		log_msg(LOG_CAT_INBOUND, LOG_INFO, "drop %d", i);
	assert_true(nlines > 0 && nlines <= 2 * LOG_PACKET_BURST);

	summaries = 0;
	s = log_summary_new(l, 60, on_summary, NULL);
	assert_non_null(s);
	log_reset();
	fake_now += 59 * 1000;
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(summaries, 0);
	fake_now += 1000;
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(summaries, 1);
	assert_non_null(strstr(logged, "inbound packet drop messages "
	                               "suppressed"));
	assert_non_null(strstr(logged, "counters: ..."));
	/* Every interval again; a new interval counts from now. */
	fake_now += 60 * 1000;
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(summaries, 2);
	log_summary_set_interval(s, 3600);
	fake_now += 3599 * 1000;
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(summaries, 2);
	fake_now += 1000;
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(summaries, 3);
	log_summary_free(s);
	loop_free(l);
	log_set_levels(0, 0);
	log_set_sink(NULL, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timers_in_order),
	    cmocka_unit_test(test_timer_heap),
	    cmocka_unit_test(test_timer_callbacks),
	    cmocka_unit_test(test_real_clock_wait),
	    cmocka_unit_test(test_fds),
	    cmocka_unit_test(test_wakeup),
	    cmocka_unit_test(test_signals),
	    cmocka_unit_test(test_log_filter),
	    cmocka_unit_test(test_log_rate_and_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
