/*
 * ctl_internal.h - helpers shared by the protocol, the client and the
 * server; not part of the engine's API.
 */
#ifndef IPSECSH_CTL_INTERNAL_H
#define IPSECSH_CTL_INTERNAL_H

#include <stddef.h>

#include "ctl.h"

/* Writes the message to err (when not NULL) and returns -1. */
int ctl_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Room for n more bytes; -1 on overflow or no memory. */
int ctl_buf_reserve(struct ctl_buf *b, size_t n);
/* Drops the first n bytes (wiping what moves out). */
void ctl_buf_consume(struct ctl_buf *b, size_t n);

/*
 * A non-blocking, close-on-exec AF_UNIX stream socket connected to
 * path.  Returns the fd, or -1 with errno set (ENAMETOOLONG for a path
 * too long for sun_path; EINPROGRESS is not returned: a UNIX connect
 * either completes or fails at once, or waits up to timeout_ms for a
 * full backlog, then fails with ETIMEDOUT).
 */
int ctl_connect(const char *path, int timeout_ms);

#endif
