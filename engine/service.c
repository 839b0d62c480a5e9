/*
 * service.c - the service's life: pid file and single instance, config
 * file, event loop, control socket, hooks; daemonising; stop and status
 * from another process.
 *
 * Single instance: the running service holds an open-file-description
 * write lock (F_OFD_SETLK) on <socket>.pid.  The kernel drops it when
 * the service dies, however it dies, so a stale pid file never blocks a
 * start, and while the lock is held the pid in the file is the holder's
 * (only the holder writes it).  OFD locks, not classic POSIX locks, so
 * that a second service_run in the same process is refused too and
 * closing some other descriptor of the file never drops the lock.
 */
#include "service.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

struct service {
	struct service_opts o;
	char sock[PATH_MAX];
	char pidpath[PATH_MAX];
	char confpath[PATH_MAX];
	char admin_group[256];
	int pidfd;
	struct loop *loop;
	struct ctl_server *srv;
	struct log_summary *summary;
	struct config cfg;
	time_t started;
	uint64_t started_ms;
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

int
service_path(const char *socket_path, const char *suffix, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s",
	                 socket_path != NULL ? socket_path
	                                     : SERVICE_SOCKET_PATH_DEFAULT,
	                 suffix);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ---- the pid file --------------------------------------------------- */

/* Is the pid file's lock held?  1 yes, 0 no (or no file), -1 error. */
static int
pidfile_locked(const char *pidpath)
{
	struct flock fl;
	int fd, rc;

	fd = open(pidpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	rc = fcntl(fd, F_OFD_GETLK, &fl);
	close(fd);
	if (rc < 0)
		return -1;
	return fl.l_type != F_UNLCK ? 1 : 0;
}

/* The pid written in the pid file; 0 if none (yet). */
static pid_t
pidfile_read(const char *pidpath)
{
	char buf[32];
	ssize_t n;
	long v;
	char *end;
	int fd;

	fd = open(pidpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') ||
	    v <= 0 || v > INT_MAX)
		return 0;
	return (pid_t)v;
}

/* The pid of the service holding the lock: the file is written just
 * after the lock is taken, so allow it a moment. */
static pid_t
pidfile_holder(const char *pidpath)
{
	int i;

	for (i = 0; i < 50; i++) {
		pid_t pid;

		if (pidfile_locked(pidpath) != 1)
			return 0;
		pid = pidfile_read(pidpath);
		if (pid > 0)
			return pid;
		sleep_ms(10);
	}
	return 0;
}

static int
pidfile_acquire(struct service *svc, char *err, size_t errlen)
{
	struct flock fl;
	struct stat a, b;
	char line[32];
	int fd = -1, tries;

	for (tries = 0; tries < 10; tries++) {
		fd = open(svc->pidpath,
		          O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0)
			return fail(err, errlen, "cannot open %s: %s",
			            svc->pidpath, strerror(errno));
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
			int e = errno;
			pid_t pid;

			close(fd);
			if (e != EAGAIN && e != EACCES)
				return fail(err, errlen, "cannot lock %s: %s",
				            svc->pidpath, strerror(e));
			pid = pidfile_holder(svc->pidpath);
			return fail(err, errlen,
			            "already running (pid %d, socket %s)",
			            (int)pid, svc->sock);
		}
		/* The file we locked must still be the one at the path: a
		 * service that was stopping may have just removed it. */
		if (fstat(fd, &a) == 0 && stat(svc->pidpath, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		return fail(err, errlen, "%s keeps changing", svc->pidpath);
	snprintf(line, sizeof(line), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 ||
	    pwrite(fd, line, strlen(line), 0) != (ssize_t)strlen(line)) {
		fail(err, errlen, "cannot write %s: %s", svc->pidpath,
		     strerror(errno));
		close(fd);
		return -1;
	}
	svc->pidfd = fd;
	return 0;
}

static void
pidfile_release(struct service *svc)
{
	struct stat a, b;

	if (svc->pidfd < 0)
		return;
	/* Remove the file while the lock is still held: nobody else can
	 * have replaced it yet. */
	if (fstat(svc->pidfd, &a) == 0 && stat(svc->pidpath, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		unlink(svc->pidpath);
	close(svc->pidfd);
	svc->pidfd = -1;
}

/* mkdir -p of the socket's directory (0755 for what is new). */
static int
make_dirs(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX], *p;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return fail(err, errlen, "path too long: %s", path);
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return fail(err, errlen, "cannot create %s: %s", dir,
			            strerror(errno));
		*p = c;
		if (c == '\0')
			return 0;
	}
}

/* ---- running -------------------------------------------------------- */

static void
apply_config(struct service *svc)
{
	log_set_levels((unsigned)config_int(&svc->cfg, CONFIG_IPSECDIAGNOSTICS),
	               (unsigned)config_int(&svc->cfg, CONFIG_IKELOGGING));
	if (svc->summary != NULL)
		log_summary_set_interval(
		    svc->summary,
		    (unsigned)config_int(&svc->cfg, CONFIG_IPSECLOGINTERVAL));
}

static void
on_signal(struct loop *l, int signo, void *arg)
{
	(void)l;
	(void)arg;
	if (signo == SIGHUP)
		log_notice("SIGHUP received: nothing to reload (the "
		           "configuration changes with \"set config\")");
	else
		log_notice("%s received: stopping",
		           signo == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void
on_summary(void *arg)
{
	struct service *svc = arg;

	if (svc->o.on_summary != NULL)
		svc->o.on_summary(svc, svc->o.hook_arg);
}

static void
format_uptime(uint64_t s, char *buf, size_t len)
{
	unsigned long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60,
	                   sec = s % 60;

	if (d > 0)
		snprintf(buf, len, "%llud %02llu:%02llu:%02llu", d, h, m, sec);
	else
		snprintf(buf, len, "%02llu:%02llu:%02llu", h, m, sec);
}

static void
on_status(void *arg, struct ctl_status *st)
{
	struct service *svc = arg;
	struct config_item items[CONFIG_NPROPS];
	char buf[64], key[64];
	struct tm tm;
	uint64_t up = (loop_now(svc->loop) - svc->started_ms) / 1000u;
	int i;

	ctl_status_add(st, "socket", "Socket", "%s", svc->sock);
	if (localtime_r(&svc->started, &tm) != NULL &&
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z", &tm) > 0)
		ctl_status_add(st, "started", "Started", "%s", buf);
	format_uptime(up, buf, sizeof(buf));
	ctl_status_add(st, "uptime", "Uptime", "%s", buf);
	ctl_status_add(st, "uptime_seconds", "Uptime (seconds)", "%llu",
	               (unsigned long long)up);
	ctl_status_add(st, "admin_group", "Admin Group", "%s",
	               svc->admin_group[0] != '\0' ? svc->admin_group
	                                           : "none (root only)");
	config_list(&svc->cfg, items);
	for (i = 0; i < CONFIG_NPROPS; i++) {
		snprintf(key, sizeof(key), "config.%s", items[i].name);
		ctl_status_add(st, key, items[i].label, "%s", items[i].value);
	}
	if (svc->o.on_status != NULL)
		svc->o.on_status(svc, svc->o.hook_arg, st);
}

/* Tells the parent of a daemon how the start went, once. */
static void
notify(int *fd, const char *err)
{
	char msg[CTL_ERR_MAX + 2];
	size_t n;

	if (*fd < 0)
		return;
	n = (size_t)snprintf(msg, sizeof(msg), "%c%s", err == NULL ? '0' : '1',
	                     err != NULL ? err : "");
	if (n >= sizeof(msg))
		n = sizeof(msg) - 1;
	if (write(*fd, msg, n) < 0) {
		/* The parent is gone; nothing to tell. */
	}
	close(*fd);
	*fd = -1;
}

static int
run(const struct service_opts *o, int *notify_fd, char *err, size_t errlen)
{
	struct service *svc;
	struct ctl_server_opts so;
	char why[512];
	int rc = -1, lrc;
	bool started = false;

	svc = calloc(1, sizeof(*svc));
	if (svc == NULL)
		return fail(err, errlen, "out of memory");
	svc->o = *o;
	svc->pidfd = -1;
	if (o->admin_group != NULL)
		snprintf(svc->admin_group, sizeof(svc->admin_group), "%s",
		         o->admin_group);
	if (service_path(o->socket_path, "", svc->sock, sizeof(svc->sock)) <
	        0 ||
	    service_path(svc->sock, SERVICE_PID_SUFFIX, svc->pidpath,
	                 sizeof(svc->pidpath)) < 0 ||
	    service_path(svc->sock, SERVICE_CONF_SUFFIX, svc->confpath,
	                 sizeof(svc->confpath)) < 0) {
		fail(err, errlen, "socket path too long");
		goto out;
	}
	/* Writes to clients that left must not kill the service. */
	signal(SIGPIPE, SIG_IGN);
	if (make_dirs(svc->sock, err, errlen) < 0 ||
	    pidfile_acquire(svc, err, errlen) < 0)
		goto out;

	lrc = config_load(&svc->cfg, svc->confpath, why, sizeof(why));
	if (lrc < 0)
		log_err("configuration damaged, using the defaults: %s", why);
	svc->loop = loop_new(err, errlen);
	if (svc->loop == NULL ||
	    loop_signals(svc->loop, on_signal, svc, err, errlen) < 0)
		goto out;
	svc->started = time(NULL);
	svc->started_ms = loop_now(svc->loop);
	svc->summary = log_summary_new(
	    svc->loop, (unsigned)config_int(&svc->cfg, CONFIG_IPSECLOGINTERVAL),
	    on_summary, svc);
	if (svc->summary == NULL) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	apply_config(svc);

	memset(&so, 0, sizeof(so));
	so.path = svc->sock;
	so.admin_group = o->admin_group;
	so.mode = o->socket_mode;
	so.exec = o->exec;
	so.exec_arg = o->exec_arg;
	so.status = on_status;
	so.status_arg = svc;
	svc->srv = ctl_server_new(svc->loop, &so, err, errlen);
	if (svc->srv == NULL)
		goto out;
	if (o->on_start != NULL &&
	    o->on_start(svc, o->hook_arg, err, errlen) < 0)
		goto out;
	started = true;
	log_notice("service started (pid %d, socket %s, version %s)",
	           (int)getpid(), svc->sock, IPSECSH_VERSION);
	notify(notify_fd, NULL);
	if (loop_run(svc->loop) < 0) {
		fail(err, errlen, "event loop failed: %s", strerror(errno));
		log_err("%s", err);
	} else {
		rc = 0;
	}
	if (svc->o.on_stop != NULL)
		svc->o.on_stop(svc, svc->o.hook_arg);
out:
	if (rc < 0 && !started)
		log_err("service not started: %s", err);
	log_summary_free(svc->summary);
	ctl_server_free(svc->srv);
	loop_free(svc->loop);
	pidfile_release(svc);
	if (started)
		log_notice("service stopped (pid %d)", (int)getpid());
	free(svc);
	return rc;
}

int
service_run(const struct service_opts *o, char *err, size_t errlen)
{
	int no_notify = -1;

	log_open(!o->foreground);
	return run(o, &no_notify, err, errlen);
}

/* ---- daemon --------------------------------------------------------- */

static void
devnull_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

int
service_start(const struct service_opts *o, char *err, size_t errlen)
{
	struct service_opts d = *o;
	char abs[PATH_MAX], cwd[PATH_MAX], msg[CTL_ERR_MAX + 2];
	const char *sock = o->socket_path != NULL ? o->socket_path
	                                          : SERVICE_SOCKET_PATH_DEFAULT;
	struct pollfd pfd;
	size_t got = 0;
	pid_t pid;
	int p[2], status;

	/* The daemon runs in /: a relative socket path must be made
	 * absolute first. */
	if (sock[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL ||
		    snprintf(abs, sizeof(abs), "%s/%s", cwd, sock) >=
		        (int)sizeof(abs))
			return fail(err, errlen, "socket path too long");
		sock = abs;
	}
	d.socket_path = sock;
	d.foreground = false;
	if (pipe2(p, O_CLOEXEC) < 0)
		return fail(err, errlen, "pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return fail(err, errlen, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		/* First child: a session of its own, then the daemon is
		 * its child, which is no session leader and so never gets
		 * a controlling terminal. */
		int wfd = p[1];
		char e[CTL_ERR_MAX];

		close(p[0]);
		if (setsid() < 0) {
			snprintf(e, sizeof(e), "setsid: %s", strerror(errno));
			notify(&wfd, e);
			_exit(1);
		}
		pid = fork();
		if (pid < 0) {
			snprintf(e, sizeof(e), "fork: %s", strerror(errno));
			notify(&wfd, e);
			_exit(1);
		}
		if (pid > 0)
			_exit(0);
		if (chdir("/") < 0) {
			/* / always exists */
		}
		umask(022);
		devnull_stdio();
		log_open(true);
		e[0] = '\0';
		if (run(&d, &wfd, e, sizeof(e)) < 0) {
			notify(&wfd, e);
			log_close();
			exit(1);
		}
		log_close();
		exit(0);
	}
	close(p[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* The daemon writes one message and closes: read to the end. */
	pfd.fd = p[0];
	pfd.events = POLLIN;
	for (;;) {
		ssize_t n;
		int prc = poll(&pfd, 1, SERVICE_START_TIMEOUT_MS);

		if (prc < 0 && errno == EINTR)
			continue;
		if (prc <= 0) {
			close(p[0]);
			return fail(err, errlen,
			            "the service did not report its start "
			            "within %d seconds",
			            SERVICE_START_TIMEOUT_MS / 1000);
		}
		n = read(p[0], msg + got, sizeof(msg) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(msg) - 1)
			break;
	}
	close(p[0]);
	msg[got] = '\0';
	if (got == 0)
		return fail(err, errlen, "the service exited while starting");
	if (msg[0] != '0')
		return fail(err, errlen, "%s", msg + 1);
	return 0;
}

/* ---- stop and status ------------------------------------------------ */

int
service_stop(const char *socket_path, int timeout_ms, char *err, size_t errlen)
{
	char pidpath[PATH_MAX], why[CTL_ERR_MAX];
	const char *sock =
	    socket_path != NULL ? socket_path : SERVICE_SOCKET_PATH_DEFAULT;
	struct ctl_status st;
	pid_t pid;
	int waited = 0;

	if (timeout_ms <= 0)
		timeout_ms = SERVICE_STOP_TIMEOUT_MS;
	if (service_path(sock, SERVICE_PID_SUFFIX, pidpath, sizeof(pidpath)) <
	    0)
		return fail(err, errlen, "socket path too long");
	/* The lock holder is the service (see the top of this file). */
	pid = pidfile_holder(pidpath);
	if (pid == 0) {
		/* No locked pid file: a service that lost it (removed by
		 * hand) may still answer on the socket with its pid. */
		if (ctl_status_query(sock, &st, 5000, why, sizeof(why)) !=
		    CTL_CALL_OK)
			return 1;
		{
			const char *v = ctl_status_get(&st, "pid");
			long n = v != NULL ? strtol(v, NULL, 10) : 0;

			pid = n > 0 && n <= INT_MAX ? (pid_t)n : 0;
		}
		ctl_status_free(&st);
		if (pid == 0)
			return fail(err, errlen,
			            "the service on %s does not say its pid",
			            sock);
	}
	if (kill(pid, SIGTERM) < 0) {
		if (errno == ESRCH)
			return 1;
		return fail(err, errlen, "cannot stop the service (pid %d): %s",
		            (int)pid, strerror(errno));
	}
	/* Gone when its lock is released (even as a zombie, it holds no
	 * locks) and its socket no longer answers. */
	while (waited < timeout_ms) {
		if (pidfile_locked(pidpath) != 1) {
			if (kill(pid, 0) < 0 ||
			    ctl_status_query(sock, &st, 100, why,
			                     sizeof(why)) != CTL_CALL_OK)
				return 0;
			ctl_status_free(&st);
		}
		sleep_ms(20);
		waited += 20;
	}
	return fail(err, errlen,
	            "the service (pid %d) did not stop within "
	            "%d seconds",
	            (int)pid, timeout_ms / 1000);
}

int
service_status(const char *socket_path, FILE *out)
{
	const char *sock =
	    socket_path != NULL ? socket_path : SERVICE_SOCKET_PATH_DEFAULT;
	char pidpath[PATH_MAX], why[CTL_ERR_MAX];
	struct ctl_status st;
	pid_t pid;
	int rc;

	rc = ctl_status_query(sock, &st, 5000, why, sizeof(why));
	if (rc == CTL_CALL_OK) {
		fprintf(out, "The ipsecsh service is running.\n");
		ctl_status_print(&st, out);
		ctl_status_free(&st);
		return 0;
	}
	if (rc == CTL_CALL_NOSERVICE) {
		pid = 0;
		if (service_path(sock, SERVICE_PID_SUFFIX, pidpath,
		                 sizeof(pidpath)) == 0)
			pid = pidfile_holder(pidpath);
		if (pid > 0) {
			fprintf(out,
			        "The ipsecsh service (pid %d) is running but "
			        "does not listen on %s.\n",
			        (int)pid, sock);
			return -1;
		}
		fprintf(out,
		        "The ipsecsh service is not running (nothing "
		        "listens on %s).\n",
		        sock);
		return 1;
	}
	fprintf(out, "The ipsecsh service does not answer properly: %s.\n",
	        why);
	return -1;
}

/* ---- accessors ------------------------------------------------------ */

struct loop *
service_loop(struct service *svc)
{
	return svc->loop;
}

const char *
service_socket_path(const struct service *svc)
{
	return svc->sock;
}

const struct config *
service_config(const struct service *svc)
{
	return &svc->cfg;
}

int
service_config_set(struct service *svc, const char *name, const char *value,
                   char *err, size_t errlen)
{
	struct config next = svc->cfg;
	enum config_prop p;
	char text[CONFIG_VALUE_MAX], why[512];

	if (config_lookup(name, &p, err, errlen) < 0 ||
	    config_set_prop(&next, p, value, err, errlen) < 0)
		return -1;
	if (config_save(&next, svc->confpath, why, sizeof(why)) < 0) {
		log_err("set config %s: %s", config_name(p), why);
		return fail(err, errlen,
		            "the configuration was not changed: %s", why);
	}
	svc->cfg = next;
	apply_config(svc);
	config_get(&svc->cfg, p, text, sizeof(text));
	log_notice("config: %s set to %s", config_name(p), text);
	return 0;
}

time_t
service_started(const struct service *svc)
{
	return svc->started;
}

void
service_request_stop(struct service *svc)
{
	loop_stop(svc->loop);
}
