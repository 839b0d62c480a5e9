/*
 * log.c - the service's log: filter by category, rate-limit per-packet
 * lines, write to syslog or standard error, and the periodic summary.
 */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "loop.h"

static int log_syslog;       /* atomic: 1 = syslog */
static int log_journal;      /* stderr is the journal: "<N>" prefixes */
static unsigned log_diag;    /* atomic: ipsecdiagnostics */
static unsigned log_ike;     /* atomic: ikelogging */
static log_sink_fn log_sink; /* tests */
static void *log_sink_arg;

/* Rate limit of the per-packet categories. */
struct limit {
	time_t second;
	unsigned lines;
	uint64_t suppressed;
};
static pthread_mutex_t limit_lock = PTHREAD_MUTEX_INITIALIZER;
static struct limit limits[LOG_CAT_COUNT];

/* True when stderr is the stream systemd gave us (JOURNAL_STREAM holds
 * its device and inode): then "<N>" prefixes carry the priority. */
static bool
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(2, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void
log_open(bool use_syslog)
{
	if (use_syslog)
		openlog("ipsecsh", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_journal = !use_syslog && stderr_is_journal();
	__atomic_store_n(&log_syslog, use_syslog ? 1 : 0, __ATOMIC_RELEASE);
}

void
log_close(void)
{
	if (__atomic_exchange_n(&log_syslog, 0, __ATOMIC_ACQ_REL))
		closelog();
}

void
log_set_sink(log_sink_fn fn, void *arg)
{
	log_sink = fn;
	log_sink_arg = arg;
}

void
log_set_levels(unsigned diagnostics, unsigned ikelogging)
{
	__atomic_store_n(&log_diag, diagnostics & 7u, __ATOMIC_RELAXED);
	__atomic_store_n(&log_ike, ikelogging ? 1u : 0u, __ATOMIC_RELAXED);
}

bool
log_enabled(enum log_cat cat)
{
	unsigned diag = __atomic_load_n(&log_diag, __ATOMIC_RELAXED);

	switch (cat) {
	case LOG_CAT_SERVICE:
		return true;
	case LOG_CAT_GENERAL:
		return (diag & LOG_DIAG_GENERAL) != 0;
	case LOG_CAT_INBOUND:
		return (diag & LOG_DIAG_INBOUND) != 0;
	case LOG_CAT_OUTBOUND:
		return (diag & LOG_DIAG_OUTBOUND) != 0;
	case LOG_CAT_IKE:
		return __atomic_load_n(&log_ike, __ATOMIC_RELAXED) != 0;
	}
	return false;
}

/* May this per-packet line go out now? */
static bool
limit_pass(enum log_cat cat)
{
	struct timespec ts;
	struct limit *lim = &limits[cat];
	bool pass;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	pthread_mutex_lock(&limit_lock);
	if (lim->second != ts.tv_sec) {
		lim->second = ts.tv_sec;
		lim->lines = 0;
	}
	pass = lim->lines < LOG_PACKET_BURST;
	if (pass)
		lim->lines++;
	else
		lim->suppressed++;
	pthread_mutex_unlock(&limit_lock);
	return pass;
}

void
log_take_suppressed(uint64_t out[LOG_CAT_COUNT])
{
	int i;

	pthread_mutex_lock(&limit_lock);
	for (i = 0; i < LOG_CAT_COUNT; i++) {
		out[i] = limits[i].suppressed;
		limits[i].suppressed = 0;
	}
	pthread_mutex_unlock(&limit_lock);
}

static const char *
prio_name(int prio)
{
	switch (prio) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	case LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

static void
emit(enum log_cat cat, int prio, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	unsigned char *c;

	vsnprintf(line, sizeof(line), fmt, ap);
	/* One message is one line: a name with a line break in it (they
	 * come from users) must not forge a second log line. */
	for (c = (unsigned char *)line; *c != '\0'; c++)
		if (*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (log_sink != NULL) {
		log_sink(log_sink_arg, prio, cat, line);
		return;
	}
	if (__atomic_load_n(&log_syslog, __ATOMIC_ACQUIRE)) {
		syslog(prio, "%s", line);
		return;
	}
	/* One call, so that lines of different threads do not mix. */
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", prio & 7, line);
	else
		fprintf(stderr, "ipsecsh: %s: %s\n", prio_name(prio), line);
}

static void emitf(enum log_cat cat, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
emitf(enum log_cat cat, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(cat, prio, fmt, ap);
	va_end(ap);
}

void
log_msg(enum log_cat cat, int prio, const char *fmt, ...)
{
	va_list ap;

	if ((unsigned)cat >= LOG_CAT_COUNT || !log_enabled(cat))
		return;
	if ((cat == LOG_CAT_INBOUND || cat == LOG_CAT_OUTBOUND) &&
	    !limit_pass(cat))
		return;
	va_start(ap, fmt);
	emit(cat, prio, fmt, ap);
	va_end(ap);
}

void
log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_CAT_SERVICE, LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_CAT_SERVICE, LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_CAT_SERVICE, LOG_NOTICE, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(LOG_CAT_SERVICE, LOG_INFO, fmt, ap);
	va_end(ap);
}

/* ---- the periodic summary ------------------------------------------- */

struct log_summary {
	struct loop_timer *timer;
	unsigned interval_s;
	log_summary_fn fn;
	void *arg;
};

static void
summary_fire(struct loop *l, struct loop_timer *t, void *arg)
{
	struct log_summary *s = arg;

	(void)l;
	log_summary_run(s);
	loop_timer_arm(t, (uint64_t)s->interval_s * 1000u);
}

struct log_summary *
log_summary_new(struct loop *l, unsigned interval_s, log_summary_fn fn,
                void *arg)
{
	struct log_summary *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->fn = fn;
	s->arg = arg;
	s->timer = loop_timer_new(l, summary_fire, s);
	if (s->timer == NULL) {
		free(s);
		return NULL;
	}
	log_summary_set_interval(s, interval_s);
	return s;
}

void
log_summary_set_interval(struct log_summary *s, unsigned interval_s)
{
	s->interval_s = interval_s > 0 ? interval_s : 1;
	loop_timer_arm(s->timer, (uint64_t)s->interval_s * 1000u);
}

void
log_summary_run(struct log_summary *s)
{
	static const char *const what[LOG_CAT_COUNT] = {
	    [LOG_CAT_INBOUND] = "inbound",
	    [LOG_CAT_OUTBOUND] = "outbound",
	};
	uint64_t sup[LOG_CAT_COUNT];
	int i;

	log_take_suppressed(sup);
	for (i = 0; i < LOG_CAT_COUNT; i++)
		if (sup[i] > 0 && what[i] != NULL &&
		    log_enabled((enum log_cat)i))
			emitf((enum log_cat)i, LOG_NOTICE,
			      "%llu %s packet drop messages suppressed "
			      "(more than %d a second)",
			      (unsigned long long)sup[i], what[i],
			      LOG_PACKET_BURST);
	if (s->fn != NULL)
		s->fn(s->arg);
}

void
log_summary_free(struct log_summary *s)
{
	if (s == NULL)
		return;
	loop_timer_free(s->timer);
	free(s);
}
