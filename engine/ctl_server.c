/*
 * ctl_server.c - the service's end of the control socket, in the event
 * loop: non-blocking accept, frames read as they arrive, requests run
 * through the program's executor with the output captured in memory
 * streams, answers written as the client takes them.
 *
 * A client that sends a frame that can never be valid (length 0 to 4 or
 * above 1 MiB, unknown type, a request that does not decode) gets an
 * ERROR frame where possible and is disconnected; the loop never blocks
 * on it and other clients go on.  While an answer is being written the
 * client's further frames wait (one answer buffered per client), and a
 * client silent for idle_timeout_ms is dropped, so the memory a client
 * can pin is bounded: its unread frame (<= 1 MiB) and one answer.
 */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_internal.h"
#include "log.h"
#include "loop.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

#define READ_CHUNK 65536
#define OUT_CHUNK 65536 /* bytes per OUTPUT / ERROR frame */
#define ACCEPTS_PER_ROUND 16
#define CLOSE_GRACE_MS 5000 /* to deliver a last error frame */
#define NO_GID ((gid_t)-1)

struct client {
	struct ctl_server *srv;
	struct client *prev, *next;
	int fd;
	struct ctl_peer peer;
	struct ctl_buf in, out;
	struct loop_timer *timer; /* idle, or close grace */
	bool closing;             /* answer what is queued, then close */
	bool eof;                 /* the client sent all it will send */
};

struct ctl_server {
	struct loop *loop;
	int fd;
	char *path;
	dev_t dev;
	ino_t ino;
	gid_t admin_gid;
	struct ctl_server_opts o;
	struct client *clients;
	size_t nclients;
};

/* ---- peers ---------------------------------------------------------- */

static bool
in_groups(const gid_t *g, size_t n, gid_t gid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (g[i] == gid)
			return true;
	return false;
}

/* "Groups:" of /proc/<pid>/status: 1 member, 0 not, -1 unknown. */
static int
proc_groups_have(pid_t pid, gid_t gid)
{
	char path[64], line[4096];
	FILE *f;
	int rc = -1;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p, *end;

		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		rc = 0;
		for (p = line + 7;;) {
			unsigned long v;

			while (*p == ' ' || *p == '\t')
				p++;
			if (*p < '0' || *p > '9')
				break;
			errno = 0;
			v = strtoul(p, &end, 10);
			if (errno != 0 || end == p)
				break;
			if ((gid_t)v == gid && v == (unsigned long)(gid_t)v)
				rc = 1;
			p = end;
		}
		break;
	}
	fclose(f);
	return rc;
}

/* The user's groups from the group database: 1, 0, -1 unknown. */
static int
user_groups_have(uid_t uid, gid_t base, gid_t gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	gid_t groups[256];
	int n = 256;

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return -1;
	if (getgrouplist(pw.pw_name, base, groups, &n) < 0)
		return -1;
	return in_groups(groups, (size_t)n, gid) ? 1 : 0;
}

bool
ctl_peer_may_change(int fd, const struct ctl_peer *peer, gid_t admin_gid)
{
	gid_t small[256], *g = small;
	socklen_t len = sizeof(small);
	bool member = false;
	int rc;

	if (peer->uid == 0)
		return true;
	if (admin_gid == NO_GID)
		return false;
	if (peer->gid == admin_gid)
		return true;
	/* The groups the peer had when it connected (Linux 4.13). */
	rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len);
	if (rc < 0 && errno == ERANGE && len > sizeof(small)) {
		g = malloc(len);
		if (g != NULL)
			rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len);
	}
	if (rc == 0 && g != NULL) {
		member = in_groups(g, len / sizeof(gid_t), admin_gid);
		if (g != small)
			free(g);
		return member;
	}
	if (g != small)
		free(g);
	rc = proc_groups_have(peer->pid, admin_gid);
	if (rc < 0)
		rc = user_groups_have(peer->uid, peer->gid, admin_gid);
	return rc == 1;
}

static int
resolve_group(const char *name, gid_t *gid, char *err, size_t errlen)
{
	struct group gr, *res = NULL;
	char buf[16384], *end;
	unsigned long v;
	int rc;

	*gid = NO_GID;
	if (name == NULL || name[0] == '\0')
		return 0;
	rc = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
	if (rc == 0 && res != NULL) {
		*gid = gr.gr_gid;
		return 0;
	}
	errno = 0;
	v = strtoul(name, &end, 10);
	if (*end == '\0' && errno == 0 && name[0] >= '0' && name[0] <= '9' &&
	    v == (unsigned long)(gid_t)v && (gid_t)v != NO_GID) {
		*gid = (gid_t)v;
		return 0;
	}
	return ctl_fail(err, errlen, "admin group \"%s\" does not exist", name);
}

/* ---- clients -------------------------------------------------------- */

static void
client_free(struct client *c)
{
	struct ctl_server *s = c->srv;

	loop_fd_del(s->loop, c->fd);
	close(c->fd);
	loop_timer_free(c->timer);
	ctl_buf_free(&c->in);
	ctl_buf_free(&c->out);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->nclients--;
	free(c);
}

static void
client_timeout(struct loop *l, struct loop_timer *t, void *arg)
{
	(void)l;
	(void)t;
	client_free(arg);
}

static void
client_touch(struct client *c)
{
	if (!c->closing)
		loop_timer_arm(c->timer, (uint64_t)c->srv->o.idle_timeout_ms);
}

/* Stop reading; close once what is queued is written (or after a
 * grace period, for a client that does not read). */
static void
client_close_after_write(struct client *c)
{
	c->closing = true;
	loop_timer_arm(c->timer, CLOSE_GRACE_MS);
}

static int
queue_frame(struct client *c, uint32_t id, enum ctl_type type, const void *p,
            size_t n)
{
	char err[CTL_ERR_MAX];

	if (ctl_frame_encode(&c->out, id, type, p, n, err, sizeof(err)) < 0) {
		log_err("control socket: %s", err);
		return -1;
	}
	return 0;
}

static void
queue_text(struct client *c, uint32_t id, enum ctl_type type, const char *text)
{
	queue_frame(c, id, type, text, strlen(text));
}

/* A protocol error: tell the client (id 0) and drop it. */
static void
client_protocol_error(struct client *c, const char *why)
{
	char msg[CTL_ERR_MAX + 64];

	snprintf(msg, sizeof(msg), "ERR: bad control frame: %s\n", why);
	queue_text(c, 0, CTL_ERROR, msg);
	client_close_after_write(c);
}

static void
queue_chunks(struct client *c, uint32_t id, enum ctl_type type, const char *p,
             size_t n)
{
	while (n > 0) {
		size_t k = n > OUT_CHUNK ? OUT_CHUNK : n;

		if (queue_frame(c, id, type, p, k) < 0)
			return;
		p += k;
		n -= k;
	}
}

static void
wipe_free_buf(char *p, size_t n)
{
	if (p != NULL)
		explicit_bzero(p, n);
	free(p);
}

static void
run_request(struct client *c, uint32_t id, const struct ctl_frame *f)
{
	struct ctl_server *s = c->srv;
	struct ctl_request req;
	char err[CTL_ERR_MAX], msg[CTL_ERR_MAX + 32];
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	FILE *out = NULL, *errf = NULL;
	int rc = CTL_DONE_FAILED;

	if (ctl_request_decode(f->payload, f->plen, &req, err, sizeof(err)) <
	    0) {
		snprintf(msg, sizeof(msg), "ERR: bad request: %s\n", err);
		queue_text(c, id, CTL_ERROR, msg);
		ctl_done_encode(&c->out, id, CTL_DONE_REFUSED, NULL, 0);
		client_close_after_write(c);
		return;
	}
	out = open_memstream(&obuf, &olen);
	errf = open_memstream(&ebuf, &elen);
	if (out == NULL || errf == NULL) {
		queue_text(c, id, CTL_ERROR,
		           "ERR: the service is out of "
		           "memory.\n");
		goto done;
	}
	if (s->o.exec == NULL) {
		fputs("ERR: this service runs no commands.\n", errf);
		rc = CTL_DONE_REFUSED;
	} else {
		rc = s->o.exec(s->o.exec_arg, &req, &c->peer, out, errf);
		if (rc < CTL_DONE_OK || rc > CTL_DONE_REFUSED)
			rc = CTL_DONE_FAILED;
	}
done:
	/* fclose finishes the memory streams' buffers. */
	if (out != NULL)
		fclose(out);
	if (errf != NULL)
		fclose(errf);
	if (obuf != NULL)
		queue_chunks(c, id, CTL_OUTPUT, obuf, olen);
	if (ebuf != NULL)
		queue_chunks(c, id, CTL_ERROR, ebuf, elen);
	ctl_done_encode(&c->out, id, (enum ctl_done)rc, NULL, 0);
	/* The output of a command may quote what it was given. */
	wipe_free_buf(obuf, olen);
	wipe_free_buf(ebuf, elen);
	ctl_request_free(&req);
}

static void
run_status(struct client *c, uint32_t id)
{
	struct ctl_server *s = c->srv;
	struct ctl_status st = {0};
	char err[CTL_ERR_MAX];

	ctl_status_add(&st, "pid", "PID", "%d", (int)getpid());
	ctl_status_add(&st, "version", "Version", "%s", IPSECSH_VERSION);
	if (s->o.status != NULL)
		s->o.status(s->o.status_arg, &st);
	if (ctl_status_encode(&c->out, id, &st, err, sizeof(err)) < 0) {
		log_err("control socket: status: %s", err);
		client_protocol_error(c, "the service cannot describe itself");
	}
	ctl_status_free(&st);
}

/* Writes what is queued; -1 if the client is gone (and freed). */
static int
client_flush(struct client *c)
{
	while (c->out.len > 0) {
		ssize_t n = send(c->fd, c->out.data, c->out.len,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			ctl_buf_consume(&c->out, (size_t)n);
			client_touch(c);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		client_free(c); /* EPIPE, ECONNRESET: it left */
		return -1;
	}
	if (c->out.len == 0 && c->closing) {
		client_free(c);
		return -1;
	}
	/* Read only when nothing waits to be written: one answer at a
	 * time per client. */
	loop_fd_mod(c->srv->loop, c->fd,
	            c->out.len > 0 ? EPOLLOUT : (c->eof ? 0 : EPOLLIN));
	return 0;
}

/* Handles one buffered frame if there is a whole one and nothing is
 * queued; returns true if it did. */
static bool
client_one_frame(struct client *c)
{
	struct ctl_frame f;
	char err[CTL_ERR_MAX];
	int rc;

	if (c->closing || c->out.len > 0)
		return false;
	rc = ctl_frame_parse(c->in.data, c->in.len, &f, err, sizeof(err));
	if (rc < 0) {
		client_protocol_error(c, err);
		return false;
	}
	if (rc == 0) {
		/* The client is done sending: half a frame is an error,
		 * nothing at all is the end. */
		if (c->eof && c->in.len > 0)
			client_protocol_error(c, "truncated frame");
		else if (c->eof)
			c->closing = true;
		return false;
	}
	switch (f.type) {
	case CTL_REQUEST:
		run_request(c, f.id, &f);
		break;
	case CTL_STATUS_REQUEST:
		if (f.plen != 0)
			client_protocol_error(c, "a status request carries "
			                         "no payload");
		else
			run_status(c, f.id);
		break;
	default:
		snprintf(err, sizeof(err), "a client does not send %s frames",
		         ctl_type_name(f.type));
		client_protocol_error(c, err);
		break;
	}
	ctl_buf_consume(&c->in, f.size);
	return true;
}

/* Runs the whole frames that are buffered, one answer at a time, for
 * as long as each answer is written at once; the rest waits for
 * EPOLLOUT.  c may be freed on return. */
static void
client_process(struct client *c)
{
	for (;;) {
		bool handled = client_one_frame(c);

		if (client_flush(c) < 0)
			return;
		if (!handled || c->out.len > 0)
			return;
	}
}

static void
client_event(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct client *c = arg;
	ssize_t n;

	(void)l;
	/* An error, or a peer gone both ways with nothing left to read:
	 * nobody to answer. */
	if ((events & EPOLLERR) ||
	    ((events & EPOLLHUP) && !(events & (EPOLLIN | EPOLLOUT)))) {
		client_free(c);
		return;
	}
	if (events & EPOLLOUT) {
		if (client_flush(c) < 0)
			return;
		if (c->out.len == 0)
			client_process(c);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP)) || c->closing || c->eof ||
	    c->out.len > 0)
		return;
	/* A frame is at most CTL_HDR_LEN + CTL_FRAME_MAX bytes and we stop
	 * reading while one is complete, so this stays bounded. */
	if (ctl_buf_reserve(&c->in, READ_CHUNK) < 0) {
		client_free(c);
		return;
	}
	n = recv(fd, c->in.data + c->in.len, READ_CHUNK, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		client_free(c);
		return;
	}
	if (n == 0)
		c->eof = true;
	else
		c->in.len += (size_t)n;
	client_touch(c);
	client_process(c);
}

static void
reject(int fd, const char *why)
{
	struct ctl_buf b = {0};

	/* Best effort: the client learns why before the close. */
	if (ctl_frame_encode(&b, 0, CTL_ERROR, why, strlen(why), NULL, 0) ==
	    0) {
		if (send(fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		}
	}
	ctl_buf_free(&b);
	close(fd);
}

static void
server_accept(struct loop *l, int lfd, uint32_t events, void *arg)
{
	struct ctl_server *s = arg;
	int i;

	(void)events;
	for (i = 0; i < ACCEPTS_PER_ROUND; i++) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		struct client *c;
		int fd;

		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("control socket: accept: %s",
				         strerror(errno));
			return;
		}
		if (s->nclients >= s->o.max_clients) {
			reject(fd, "ERR: the service has too many control "
			           "connections; try again.\n");
			continue;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			reject(fd, "ERR: the service cannot tell who you "
			           "are.\n");
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			reject(fd, "ERR: the service is out of memory.\n");
			continue;
		}
		c->srv = s;
		c->fd = fd;
		c->peer.pid = cred.pid;
		c->peer.uid = cred.uid;
		c->peer.gid = cred.gid;
		c->peer.may_change =
		    ctl_peer_may_change(fd, &c->peer, s->admin_gid);
		c->timer = loop_timer_new(l, client_timeout, c);
		if (c->timer == NULL ||
		    loop_fd_add(l, fd, EPOLLIN, client_event, c) < 0) {
			loop_timer_free(c->timer);
			free(c);
			reject(fd, "ERR: the service is out of memory.\n");
			continue;
		}
		c->next = s->clients;
		if (s->clients != NULL)
			s->clients->prev = c;
		s->clients = c;
		s->nclients++;
		client_touch(c);
	}
}

/* ---- the listening socket ------------------------------------------- */

/* mkdir -p of the directory that holds path, new parts mode 0755. */
static int
make_parent(const char *path, char *err, size_t errlen)
{
	char *dir = strdup(path), *p;
	int rc = 0;

	if (dir == NULL)
		return ctl_fail(err, errlen, "out of memory");
	p = strrchr(dir, '/');
	if (p == NULL || p == dir) {
		free(dir);
		return 0;
	}
	*p = '\0';
	for (p = dir + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			rc = ctl_fail(err, errlen, "cannot create %s: %s", dir,
			              strerror(errno));
			break;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	free(dir);
	return rc;
}

/* An existing file at path: refuse a live service or a non-socket,
 * remove a stale socket. */
static int
clear_stale(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0
		                       : ctl_fail(err, errlen, "%s: %s", path,
		                                  strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return ctl_fail(err, errlen,
		                "%s exists and is not a socket; not touching "
		                "it",
		                path);
	fd = ctl_connect(path, 0);
	if (fd >= 0) {
		close(fd);
		return ctl_fail(err, errlen,
		                "another service is listening on %s", path);
	}
	if (errno == EAGAIN || errno == ETIMEDOUT)
		return ctl_fail(err, errlen,
		                "another service is listening on %s (busy)",
		                path);
	if (errno != ECONNREFUSED)
		return ctl_fail(err, errlen, "cannot check %s: %s", path,
		                strerror(errno));
	if (unlink(path) < 0 && errno != ENOENT)
		return ctl_fail(err, errlen, "cannot remove stale %s: %s", path,
		                strerror(errno));
	log_notice("removed the stale socket %s", path);
	return 0;
}

struct ctl_server *
ctl_server_new(struct loop *l, const struct ctl_server_opts *o, char *err,
               size_t errlen)
{
	struct ctl_server *s = NULL;
	struct sockaddr_un sa;
	struct stat st;
	mode_t old_umask;
	size_t n;
	int rc;

	n = o->path != NULL ? strlen(o->path) : 0;
	if (n == 0 || n >= sizeof(sa.sun_path)) {
		ctl_fail(err, errlen,
		         "socket path \"%s\" is empty or longer than %zu "
		         "bytes",
		         o->path != NULL ? o->path : "",
		         sizeof(sa.sun_path) - 1);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		ctl_fail(err, errlen, "out of memory");
		return NULL;
	}
	s->loop = l;
	s->fd = -1;
	s->o = *o;
	if (s->o.mode == 0)
		s->o.mode = 0660;
	if (s->o.max_clients == 0)
		s->o.max_clients = CTL_CLIENTS_MAX;
	if (s->o.idle_timeout_ms <= 0)
		s->o.idle_timeout_ms = CTL_IDLE_TIMEOUT_MS;
	s->path = strdup(o->path);
	if (s->path == NULL) {
		ctl_fail(err, errlen, "out of memory");
		goto fail;
	}
	s->o.path = s->path;
	s->o.admin_group = NULL; /* resolved now; not kept */
	if (resolve_group(o->admin_group, &s->admin_gid, err, errlen) < 0 ||
	    make_parent(s->path, err, errlen) < 0 ||
	    clear_stale(s->path, err, errlen) < 0)
		goto fail;
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		ctl_fail(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, s->path, n);
	/* The socket file is born owner-only; group access comes after
	 * its group is set. */
	old_umask = umask(0177);
	rc = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_umask);
	if (rc < 0) {
		ctl_fail(err, errlen, "cannot bind %s: %s", s->path,
		         strerror(errno));
		goto fail;
	}
	if (stat(s->path, &st) < 0) {
		ctl_fail(err, errlen, "%s: %s", s->path, strerror(errno));
		goto fail_unlink;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (s->admin_gid != NO_GID &&
	    chown(s->path, (uid_t)-1, s->admin_gid) < 0) {
		ctl_fail(err, errlen, "cannot give %s to group %u: %s", s->path,
		         (unsigned)s->admin_gid, strerror(errno));
		goto fail_unlink;
	}
	if (chmod(s->path, s->o.mode) < 0) {
		ctl_fail(err, errlen, "cannot chmod %s: %s", s->path,
		         strerror(errno));
		goto fail_unlink;
	}
	if (listen(s->fd, 64) < 0) {
		ctl_fail(err, errlen, "listen: %s", strerror(errno));
		goto fail_unlink;
	}
	if (loop_fd_add(l, s->fd, EPOLLIN, server_accept, s) < 0) {
		ctl_fail(err, errlen, "epoll: %s", strerror(errno));
		goto fail_unlink;
	}
	return s;
fail_unlink:
	unlink(s->path);
fail:
	if (s->fd >= 0)
		close(s->fd);
	free(s->path);
	free(s);
	return NULL;
}

void
ctl_server_free(struct ctl_server *s)
{
	struct stat st;

	if (s == NULL)
		return;
	while (s->clients != NULL)
		client_free(s->clients);
	loop_fd_del(s->loop, s->fd);
	close(s->fd);
	/* Only our own socket file: never one a later service made. */
	if (stat(s->path, &st) == 0 && st.st_dev == s->dev &&
	    st.st_ino == s->ino)
		unlink(s->path);
	free(s->path);
	free(s);
}

size_t
ctl_server_clients(const struct ctl_server *s)
{
	return s->nclients;
}
