/*
 * loop.c - epoll event loop with a timer heap, wakeups and signalfd.
 *
 * Each fd's epoll data carries the fd and a generation number, so that
 * events fetched for an fd that a callback removed (and maybe reused
 * for a new fd) in the same round are recognised and dropped.
 */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define EVENTS_PER_ROUND 64
#define NO_SLOT SIZE_MAX

struct fd_entry {
	loop_fd_fn fn;
	void *arg;
	uint32_t gen;
	bool used;
};

struct loop_timer {
	struct loop *loop;
	loop_timer_fn fn;
	void *arg;
	uint64_t deadline;
	uint64_t seq; /* arm order: ties fire first armed first */
	size_t slot;  /* index in the heap, NO_SLOT when disarmed */
};

struct loop_wakeup {
	struct loop *loop;
	loop_wakeup_fn fn;
	void *arg;
	int fd;
};

struct loop {
	int epfd;
	struct fd_entry *fds;
	size_t nfds;
	uint32_t gen;

	struct loop_timer **heap;
	size_t nheap, capheap;
	uint64_t seq;

	loop_clock_fn clock;
	void *clock_arg;

	int stop_fd;  /* eventfd: loop_stop from any thread */
	int stopping; /* atomic */

	int sig_fd;
	loop_signal_fn sig_fn;
	void *sig_arg;
	sigset_t old_mask;
	bool mask_changed;
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static uint64_t
monotonic_ms(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
stop_readable(struct loop *l, int fd, uint32_t events, void *arg)
{
	uint64_t v;

	(void)l;
	(void)events;
	(void)arg;
	/* The flag says it all; just drain the counter. */
	if (read(fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: already drained. */
	}
}

struct loop *
loop_new(char *err, size_t errlen)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		fail(err, errlen, "out of memory");
		return NULL;
	}
	l->epfd = -1;
	l->stop_fd = -1;
	l->sig_fd = -1;
	l->clock = monotonic_ms;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		fail(err, errlen, "epoll_create1: %s", strerror(errno));
		goto fail;
	}
	l->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->stop_fd < 0) {
		fail(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if (loop_fd_add(l, l->stop_fd, EPOLLIN, stop_readable, NULL) < 0) {
		fail(err, errlen, "epoll_ctl: %s", strerror(errno));
		goto fail;
	}
	return l;
fail:
	loop_free(l);
	return NULL;
}

void
loop_free(struct loop *l)
{
	size_t i;

	if (l == NULL)
		return;
	/* Timers the caller forgot: disarm them so they do not point
	 * into a freed heap. */
	for (i = 0; i < l->nheap; i++)
		l->heap[i]->slot = NO_SLOT;
	if (l->sig_fd >= 0)
		close(l->sig_fd);
	if (l->mask_changed)
		pthread_sigmask(SIG_SETMASK, &l->old_mask, NULL);
	if (l->stop_fd >= 0)
		close(l->stop_fd);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l->fds);
	free(l->heap);
	free(l);
}

void
loop_set_clock(struct loop *l, loop_clock_fn fn, void *arg)
{
	l->clock = fn != NULL ? fn : monotonic_ms;
	l->clock_arg = fn != NULL ? arg : NULL;
}

uint64_t
loop_now(const struct loop *l)
{
	return l->clock(l->clock_arg);
}

/* ---- fds ------------------------------------------------------------ */

int
loop_fd_add(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *arg)
{
	struct epoll_event ev;
	struct fd_entry *e;

	if (fd < 0 || fn == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)fd >= l->nfds) {
		size_t n = l->nfds > 0 ? l->nfds : 64;
		struct fd_entry *nf;

		while (n <= (size_t)fd)
			n *= 2;
		nf = realloc(l->fds, n * sizeof(*nf));
		if (nf == NULL)
			return -1;
		memset(nf + l->nfds, 0, (n - l->nfds) * sizeof(*nf));
		l->fds = nf;
		l->nfds = n;
	}
	e = &l->fds[fd];
	if (e->used) {
		errno = EEXIST;
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = (uint64_t)(l->gen + 1) << 32 | (uint32_t)fd;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	e->used = true;
	e->gen = ++l->gen;
	e->fn = fn;
	e->arg = arg;
	return 0;
}

int
loop_fd_mod(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev;

	if (fd < 0 || (size_t)fd >= l->nfds || !l->fds[fd].used) {
		errno = ENOENT;
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = (uint64_t)l->fds[fd].gen << 32 | (uint32_t)fd;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
}

int
loop_fd_del(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nfds || !l->fds[fd].used) {
		errno = ENOENT;
		return -1;
	}
	memset(&l->fds[fd], 0, sizeof(l->fds[fd]));
	return epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* ---- timers --------------------------------------------------------- */

static bool
before(const struct loop_timer *a, const struct loop_timer *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->seq < b->seq;
}

static void
heap_set(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->slot = i;
}

static void
heap_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!before(t, l->heap[parent]))
			break;
		heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	heap_set(l, i, t);
}

static void
heap_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && before(l->heap[c + 1], l->heap[c]))
			c++;
		if (!before(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

static void
heap_remove(struct loop *l, struct loop_timer *t)
{
	size_t i = t->slot;
	struct loop_timer *last;

	t->slot = NO_SLOT;
	last = l->heap[--l->nheap];
	if (i == l->nheap)
		return;
	heap_set(l, i, last);
	heap_down(l, i);
	heap_up(l, last->slot);
}

struct loop_timer *
loop_timer_new(struct loop *l, loop_timer_fn fn, void *arg)
{
	struct loop_timer *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->loop = l;
	t->fn = fn;
	t->arg = arg;
	t->slot = NO_SLOT;
	return t;
}

void
loop_timer_arm(struct loop_timer *t, uint64_t delay_ms)
{
	struct loop *l = t->loop;
	uint64_t now = loop_now(l);

	if (t->slot != NO_SLOT)
		heap_remove(l, t);
	if (l->nheap == l->capheap) {
		size_t n = l->capheap > 0 ? l->capheap * 2 : 16;
		struct loop_timer **nh = realloc(l->heap, n * sizeof(*nh));

		/* XXX out of memory: the timer stays disarmed. */
		if (nh == NULL)
			return;
		l->heap = nh;
		l->capheap = n;
	}
	t->deadline = delay_ms > UINT64_MAX - now ? UINT64_MAX : now + delay_ms;
	t->seq = ++l->seq;
	heap_set(l, l->nheap++, t);
	heap_up(l, t->slot);
}

void
loop_timer_disarm(struct loop_timer *t)
{
	if (t != NULL && t->slot != NO_SLOT)
		heap_remove(t->loop, t);
}

bool
loop_timer_armed(const struct loop_timer *t)
{
	return t->slot != NO_SLOT;
}

void
loop_timer_free(struct loop_timer *t)
{
	if (t == NULL)
		return;
	loop_timer_disarm(t);
	free(t);
}

/* Fires the due timers armed before this round began: a timer that
 * re-arms itself with delay 0 waits for the next round. */
static void
run_timers(struct loop *l)
{
	uint64_t now = loop_now(l);
	uint64_t seq_limit = l->seq;

	while (l->nheap > 0) {
		struct loop_timer *t = l->heap[0];

		if (t->deadline > now || t->seq > seq_limit)
			break;
		heap_remove(l, t);
		t->fn(l, t, t->arg);
		if (__atomic_load_n(&l->stopping, __ATOMIC_ACQUIRE))
			break;
	}
}

/* Milliseconds until the first timer, capped by max_wait (-1: none). */
static int
wait_ms(struct loop *l, int max_wait)
{
	uint64_t now, d;

	if (l->nheap == 0 || max_wait == 0)
		return max_wait;
	now = loop_now(l);
	d = l->heap[0]->deadline > now ? l->heap[0]->deadline - now : 0;
	if (d > INT32_MAX)
		d = INT32_MAX;
	if (max_wait < 0 || (uint64_t)max_wait > d)
		return (int)d;
	return max_wait;
}

/* ---- wakeups -------------------------------------------------------- */

static void
wakeup_readable(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct loop_wakeup *w = arg;
	uint64_t v;

	(void)events;
	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return;
	w->fn(l, w->arg);
}

struct loop_wakeup *
loop_wakeup_new(struct loop *l, loop_wakeup_fn fn, void *arg)
{
	struct loop_wakeup *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->loop = l;
	w->fn = fn;
	w->arg = arg;
	w->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->fd < 0) {
		free(w);
		return NULL;
	}
	if (loop_fd_add(l, w->fd, EPOLLIN, wakeup_readable, w) < 0) {
		close(w->fd);
		free(w);
		return NULL;
	}
	return w;
}

void
loop_wakeup_signal(struct loop_wakeup *w)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is full: a wakeup is pending anyway. */
	if (write(w->fd, &one, sizeof(one)) < 0) {
	}
}

void
loop_wakeup_free(struct loop_wakeup *w)
{
	if (w == NULL)
		return;
	loop_fd_del(w->loop, w->fd);
	close(w->fd);
	free(w);
}

/* ---- signals -------------------------------------------------------- */

static void
signal_readable(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)arg;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		int signo = (int)si.ssi_signo;

		if (l->sig_fn != NULL)
			l->sig_fn(l, signo, l->sig_arg);
		if (signo == SIGTERM || signo == SIGINT)
			loop_stop(l);
	}
}

int
loop_signals(struct loop *l, loop_signal_fn fn, void *arg, char *err,
             size_t errlen)
{
	sigset_t set;
	int rc;

	if (l->sig_fd >= 0)
		return fail(err, errlen, "signals are already handled");
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	rc = pthread_sigmask(SIG_BLOCK, &set, &l->old_mask);
	if (rc != 0)
		return fail(err, errlen, "pthread_sigmask: %s", strerror(rc));
	l->mask_changed = true;
	l->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sig_fd < 0)
		return fail(err, errlen, "signalfd: %s", strerror(errno));
	if (loop_fd_add(l, l->sig_fd, EPOLLIN, signal_readable, NULL) < 0)
		return fail(err, errlen, "epoll_ctl: %s", strerror(errno));
	l->sig_fn = fn;
	l->sig_arg = arg;
	return 0;
}

/* ---- running -------------------------------------------------------- */

int
loop_run_once(struct loop *l, int max_wait_ms)
{
	struct epoll_event ev[EVENTS_PER_ROUND];
	int n, i;

	n = epoll_wait(l->epfd, ev, EVENTS_PER_ROUND, wait_ms(l, max_wait_ms));
	if (n < 0) {
		if (errno != EINTR)
			return -1;
		n = 0;
	}
	for (i = 0; i < n; i++) {
		int fd = (int)(uint32_t)ev[i].data.u64;
		uint32_t gen = (uint32_t)(ev[i].data.u64 >> 32);
		struct fd_entry *e;

		if ((size_t)fd >= l->nfds)
			continue;
		e = &l->fds[fd];
		/* Removed by an earlier callback of this round, or removed
		 * and replaced by another fd with the same number. */
		if (!e->used || e->gen != gen)
			continue;
		e->fn(l, fd, ev[i].events, e->arg);
	}
	run_timers(l);
	return 0;
}

int
loop_run(struct loop *l)
{
	int rc = 0;

	while (!__atomic_load_n(&l->stopping, __ATOMIC_ACQUIRE)) {
		rc = loop_run_once(l, -1);
		if (rc < 0)
			break;
	}
	__atomic_store_n(&l->stopping, 0, __ATOMIC_RELEASE);
	return rc;
}

void
loop_stop(struct loop *l)
{
	uint64_t one = 1;

	__atomic_store_n(&l->stopping, 1, __ATOMIC_RELEASE);
	if (write(l->stop_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: a wakeup is pending anyway. */
	}
}
