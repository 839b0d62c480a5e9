/*
 * ctl_client.c - the shell's end of the control socket: connect, send
 * one request, copy the answer out as it arrives.  Every wait is a
 * poll() with a timeout, so a hung service cannot hang the shell.
 */
#include "ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_internal.h"

#define READ_CHUNK 65536

static int
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	return nanosleep(&ts, NULL);
}

int
ctl_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un sa;
	size_t n = strlen(path);
	int fd, waited = 0;

	if (n == 0 || n >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		/* A UNIX socket whose backlog is full says EAGAIN to a
		 * non-blocking connect: try again for a while. */
		if (errno != EAGAIN || waited >= timeout_ms)
			break;
		sleep_ms(10);
		waited += 10;
	}
	if (errno == EAGAIN)
		errno = ETIMEDOUT;
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return -1;
}

static uint32_t
next_id(void)
{
	static uint32_t counter;
	uint32_t id;

	do
		id = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
	while (id == 0);
	return id;
}

/* One connection to the service. */
struct sess {
	const char *path;
	int fd;
	int timeout_ms;
	struct ctl_buf in;
};

static int
sess_open(struct sess *s, const char *path, int timeout_ms, char *err,
          size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->path = path;
	s->timeout_ms = timeout_ms;
	s->fd = ctl_connect(path, timeout_ms);
	if (s->fd >= 0)
		return CTL_CALL_OK;
	switch (errno) {
	case ENOENT:
	case ECONNREFUSED:
		ctl_fail(err, errlen, "nothing listens on %s", path);
		return CTL_CALL_NOSERVICE;
	case EACCES:
	case EPERM:
		ctl_fail(err, errlen,
		         "permission denied on %s (the service admits root "
		         "and the members of its admin group)",
		         path);
		return CTL_CALL_ERROR;
	case ENAMETOOLONG:
		ctl_fail(err, errlen, "socket path \"%s\" is empty or too long",
		         path);
		return CTL_CALL_ERROR;
	case ETIMEDOUT:
		ctl_fail(err, errlen,
		         "the service on %s does not accept connections", path);
		return CTL_CALL_ERROR;
	default:
		ctl_fail(err, errlen, "cannot connect to %s: %s", path,
		         strerror(errno));
		return CTL_CALL_ERROR;
	}
}

static void
sess_close(struct sess *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	ctl_buf_free(&s->in);
}

/* Waits until fd is ready for events; -1 with a message on timeout. */
static int
sess_wait(struct sess *s, short events, char *err, size_t errlen)
{
	struct pollfd pfd = {s->fd, events, 0};
	int rc;

	do
		rc = poll(&pfd, 1, s->timeout_ms);
	while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return ctl_fail(err, errlen, "poll: %s", strerror(errno));
	if (rc == 0)
		return ctl_fail(err, errlen,
		                "the service on %s did not answer within %d "
		                "seconds",
		                s->path, s->timeout_ms / 1000);
	return 0;
}

static int
sess_send(struct sess *s, const struct ctl_buf *b, char *err, size_t errlen)
{
	size_t off = 0;

	while (off < b->len) {
		ssize_t n =
		    send(s->fd, b->data + off, b->len - off, MSG_NOSIGNAL);

		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return ctl_fail(err, errlen,
			                "cannot send to the service: %s",
			                strerror(errno));
		if (sess_wait(s, POLLOUT, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/*
 * The next frame from the service, into f (pointing into s->in); the
 * caller drops it with ctl_buf_consume(&s->in, f->size).
 */
static int
sess_recv(struct sess *s, struct ctl_frame *f, char *err, size_t errlen)
{
	char perr[CTL_ERR_MAX];

	for (;;) {
		ssize_t n;
		int rc = ctl_frame_parse(s->in.data, s->in.len, f, perr,
		                         sizeof(perr));

		if (rc > 0)
			return 0;
		if (rc < 0)
			return ctl_fail(err, errlen,
			                "bad answer from the service: %s",
			                perr);
		if (ctl_buf_reserve(&s->in, READ_CHUNK) < 0)
			return ctl_fail(err, errlen, "out of memory");
		n = recv(s->fd, s->in.data + s->in.len, READ_CHUNK, 0);
		if (n > 0) {
			s->in.len += (size_t)n;
			continue;
		}
		if (n == 0)
			return ctl_fail(err, errlen,
			                "the service closed the connection "
			                "before answering");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return ctl_fail(err, errlen,
			                "cannot read from the service: %s",
			                strerror(errno));
		if (sess_wait(s, POLLIN, err, errlen) < 0)
			return -1;
	}
}

/* An ERROR frame with id 0: the service refused the connection. */
static int
conn_error(const struct ctl_frame *f, char *err, size_t errlen)
{
	int n = f->plen > 200 ? 200 : (int)f->plen;

	while (n > 0 && f->payload[n - 1] == '\n')
		n--;
	return ctl_fail(err, errlen, "the service refused: %.*s", n,
	                (const char *)f->payload);
}

int
ctl_call_timeout(const char *socket_path, const struct ctl_request *req,
                 FILE *out, FILE *err, int *status, int timeout_ms,
                 char *errbuf, size_t errlen)
{
	struct ctl_buf b = {0};
	struct sess s;
	struct ctl_frame f;
	char perr[CTL_ERR_MAX];
	uint32_t id = next_id();
	enum ctl_done done;
	int rc;

	*status = CTL_DONE_FAILED;
	if (ctl_request_encode(&b, id, req, perr, sizeof(perr)) < 0) {
		ctl_fail(errbuf, errlen, "cannot send the request: %s", perr);
		ctl_buf_free(&b);
		return CTL_CALL_ERROR;
	}
	rc = sess_open(&s, socket_path, timeout_ms, errbuf, errlen);
	if (rc != CTL_CALL_OK) {
		ctl_buf_free(&b);
		return rc;
	}
	rc = CTL_CALL_ERROR;
	if (sess_send(&s, &b, errbuf, errlen) < 0)
		goto out;
	for (;;) {
		if (sess_recv(&s, &f, errbuf, errlen) < 0)
			goto out;
		if (f.id == 0 && f.type == CTL_ERROR) {
			conn_error(&f, errbuf, errlen);
			goto out;
		}
		if (f.id != id) {
			ctl_fail(errbuf, errlen,
			         "bad answer from the service: id %u, "
			         "expected %u",
			         f.id, id);
			goto out;
		}
		switch (f.type) {
		case CTL_OUTPUT:
			if (f.plen > 0)
				fwrite(f.payload, 1, f.plen, out);
			break;
		case CTL_ERROR:
			if (f.plen > 0)
				fwrite(f.payload, 1, f.plen, err);
			break;
		case CTL_DONE:
			if (ctl_done_decode(f.payload, f.plen, &done, perr,
			                    sizeof(perr)) < 0) {
				ctl_fail(errbuf, errlen,
				         "bad answer from the service: %s",
				         perr);
				goto out;
			}
			*status = (int)done;
			rc = CTL_CALL_OK;
			goto out;
		default:
			ctl_fail(errbuf, errlen,
			         "bad answer from the service: a %s frame",
			         ctl_type_name(f.type));
			goto out;
		}
		ctl_buf_consume(&s.in, f.size);
	}
out:
	fflush(out);
	fflush(err);
	sess_close(&s);
	ctl_buf_free(&b);
	return rc;
}

int
ctl_call(const char *socket_path, const struct ctl_request *req, FILE *out,
         FILE *err, int *status, char *errbuf, size_t errlen)
{
	return ctl_call_timeout(socket_path, req, out, err, status,
	                        CTL_CALL_TIMEOUT_MS, errbuf, errlen);
}

int
ctl_status_query(const char *socket_path, struct ctl_status *st, int timeout_ms,
                 char *errbuf, size_t errlen)
{
	struct ctl_buf b = {0};
	struct sess s;
	struct ctl_frame f;
	char perr[CTL_ERR_MAX];
	uint32_t id = next_id();
	int rc;

	memset(st, 0, sizeof(*st));
	if (ctl_frame_encode(&b, id, CTL_STATUS_REQUEST, NULL, 0, errbuf,
	                     errlen) < 0)
		return CTL_CALL_ERROR;
	rc = sess_open(&s, socket_path, timeout_ms, errbuf, errlen);
	if (rc != CTL_CALL_OK) {
		ctl_buf_free(&b);
		return rc;
	}
	rc = CTL_CALL_ERROR;
	if (sess_send(&s, &b, errbuf, errlen) < 0 ||
	    sess_recv(&s, &f, errbuf, errlen) < 0)
		goto out;
	if (f.id == 0 && f.type == CTL_ERROR) {
		conn_error(&f, errbuf, errlen);
		goto out;
	}
	if (f.id != id || f.type != CTL_STATUS) {
		ctl_fail(errbuf, errlen,
		         "bad answer from the service: a %s frame with id %u",
		         ctl_type_name(f.type), f.id);
		goto out;
	}
	if (ctl_status_decode(f.payload, f.plen, st, perr, sizeof(perr)) < 0) {
		ctl_fail(errbuf, errlen, "bad answer from the service: %s",
		         perr);
		goto out;
	}
	rc = CTL_CALL_OK;
out:
	sess_close(&s);
	ctl_buf_free(&b);
	return rc;
}

void
ctl_status_print(const struct ctl_status *st, FILE *out)
{
	size_t i, w = 0;

	for (i = 0; i < st->n; i++)
		if (strlen(st->items[i].label) > w)
			w = strlen(st->items[i].label);
	for (i = 0; i < st->n; i++)
		fprintf(out, "%-*s : %s\n", (int)w, st->items[i].label,
		        st->items[i].value);
}

int
ctl_status(const char *socket_path, FILE *out, char *errbuf, size_t errlen)
{
	struct ctl_status st;
	int rc;

	rc = ctl_status_query(socket_path, &st, CTL_CALL_TIMEOUT_MS, errbuf,
	                      errlen);
	if (rc != CTL_CALL_OK)
		return rc;
	ctl_status_print(&st, out);
	ctl_status_free(&st);
	return CTL_CALL_OK;
}
