/*
 * ctl.h - the control protocol between the shell and the service, and
 * its two ends: a client (ctl_call, ctl_status_query) and a server that
 * runs in the service's event loop (ctl_server_*).
 *
 * Transport: a UNIX stream socket (default /run/ipsecsh/ipsecsh.sock).
 * Every message in either direction is one frame:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |          length (big endian): bytes after this field          |
 *  +---------------------------------------------------------------+
 *  |                    request id (big endian)                    |
 *  +---------------+-----------------------------------------------+
 *  |     type      |  payload (length - 5 bytes) ...               |
 *  +---------------+-----------------------------------------------+
 *
 * length is at least 5 and at most CTL_FRAME_MAX (1 MiB); anything else
 * is a protocol error and the connection is dropped.  Payloads by type:
 *
 *   REQUEST         client -> service: a command to run
 *                   u8 format hint (enum ctl_format)
 *                   string context path ("ipsec dynamic", "" = root)
 *                   u16 word count (0 .. CTL_WORDS_MAX)
 *                   per word: u8 kind (enum ctl_word_kind),
 *                             string tag (CTL_WORD_TAGGED only),
 *                             string value
 *   OUTPUT          service -> client: bytes for standard output
 *   ERROR           service -> client: bytes for standard error
 *   DONE            service -> client: u8 status (enum ctl_done); ends
 *                   the answer to a request
 *   STATUS_REQUEST  client -> service: empty; "describe yourself"
 *   STATUS          service -> client: u16 count (0 .. CTL_STATUS_MAX),
 *                   per item: string key, string label, string value
 *
 * A string is a u16 length (big endian) and that many bytes, never a
 * NUL among them.  Every payload is consumed exactly: trailing bytes are
 * an error.  The encoding is canonical, so for anything that decodes,
 * encoding it again gives the same bytes (the fuzz target checks this).
 *
 * The answers to a request carry its id: OUTPUT and ERROR frames in any
 * number, then one DONE.  A STATUS_REQUEST is answered by one STATUS.
 * Errors of the connection itself (a bad frame) are an ERROR frame with
 * id 0, after which the service closes the connection.
 *
 * Ownership: a struct ctl_request and a struct ctl_status own their
 * strings.  ctl_request_free wipes them before freeing, because words
 * may carry pre-shared keys and key material (add sa enckey=...).
 * struct ctl_buf owns its bytes and wipes them when freed.
 *
 * Errors: functions return 0 or -1 with a one-line message in the
 * caller's buffer (err, errlen), unless said otherwise.
 */
#ifndef IPSECSH_CTL_H
#define IPSECSH_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct loop;

/* ---- wire format --------------------------------------------------- */

#define CTL_HDR_LEN 4            /* the length field */
#define CTL_FRAME_MIN 5          /* id + type */
#define CTL_FRAME_MAX (1u << 20) /* largest length field: 1 MiB */
#define CTL_PAYLOAD_MAX (CTL_FRAME_MAX - CTL_FRAME_MIN)
#define CTL_WORDS_MAX 128    /* as the shell's lexer (LEX_TOKENS_MAX) */
#define CTL_STRING_MAX 65535 /* what a u16 length can say */
#define CTL_STATUS_MAX 64    /* items in a STATUS frame */
#define CTL_ERR_MAX 256      /* a good size for error buffers */

/* Frame types: X(id, value, name) generates the enum and the names. */
#define CTL_TYPES(X)                                                           \
	X(CTL_REQUEST, 1, "request")                                           \
	X(CTL_OUTPUT, 2, "output")                                             \
	X(CTL_ERROR, 3, "error")                                               \
	X(CTL_DONE, 4, "done")                                                 \
	X(CTL_STATUS_REQUEST, 5, "status request")                             \
	X(CTL_STATUS, 6, "status")

#define CTL_X_TYPE_ENUM(id, value, name) id = value,
enum ctl_type { CTL_TYPES(CTL_X_TYPE_ENUM) };
/* "request", ...; "unknown" for a value outside the list. */
const char *ctl_type_name(unsigned type);

/* The status of a DONE frame, and what ctl_exec_fn returns. */
enum ctl_done {
	CTL_DONE_OK = 0,
	CTL_DONE_FAILED = 1,  /* the command ran and failed */
	CTL_DONE_REFUSED = 2, /* not run: not allowed, or a bad request */
};

/* The output format hint of a request (the command's own format= tag,
 * when given, wins). */
enum ctl_format {
	CTL_FORMAT_DEFAULT = 0, /* what the command does by default */
	CTL_FORMAT_LIST = 1,
	CTL_FORMAT_TABLE = 2,
	CTL_FORMAT_JSON = 3,
};
#define CTL_FORMAT_LAST CTL_FORMAT_JSON

/* A word of the command line, as the shell's lexer returned it. */
enum ctl_word_kind {
	CTL_WORD_BARE = 0,   /* show */
	CTL_WORD_QUOTED = 1, /* "Red Team" (a bare word, quoted) */
	CTL_WORD_TAGGED = 2, /* name=Red: tag and value */
};
#define CTL_WORD_KIND_LAST CTL_WORD_TAGGED

struct ctl_word {
	enum ctl_word_kind kind;
	char *tag;   /* CTL_WORD_TAGGED: non-empty; otherwise NULL */
	char *value; /* never NULL; may be "" unless kind is BARE */
};

struct ctl_request {
	enum ctl_format format;
	char *context; /* never NULL after init; "" = root */
	size_t nwords;
	struct ctl_word *words; /* nwords entries */
};

/* Zero-fills and sets the context to "" (format DEFAULT). */
int ctl_request_init(struct ctl_request *req, enum ctl_format format,
                     const char *context);
/* Appends a copy of a word; checks it as decode would (kind, tag,
 * lengths, no NUL is implied by C strings, word count). */
int ctl_request_add_word(struct ctl_request *req, enum ctl_word_kind kind,
                         const char *tag, const char *value, char *err,
                         size_t errlen);
/* Wipes and frees every string; the struct is zeroed.  NULL is fine. */
void ctl_request_free(struct ctl_request *req);

/* One item of a service's self-description. */
struct ctl_status_item {
	char *key;   /* stable, for programs: "pid", "uptime", ... */
	char *label; /* for people: "PID", "Uptime", ... */
	char *value;
};

struct ctl_status {
	size_t n;
	struct ctl_status_item *items;
};

/* Appends an item (copies of the strings).  Fails past CTL_STATUS_MAX. */
int ctl_status_add(struct ctl_status *st, const char *key, const char *label,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The value of key, or NULL. */
const char *ctl_status_get(const struct ctl_status *st, const char *key);
void ctl_status_free(struct ctl_status *st);

/* A growable byte buffer for encoding; wiped when freed. */
struct ctl_buf {
	uint8_t *data;
	size_t len, cap;
};
void ctl_buf_free(struct ctl_buf *b);

/* Appends one frame.  payload may be NULL when plen is 0; plen at most
 * CTL_PAYLOAD_MAX. */
int ctl_frame_encode(struct ctl_buf *b, uint32_t id, enum ctl_type type,
                     const void *payload, size_t plen, char *err,
                     size_t errlen);
/* Appends a REQUEST frame for req; fails if req is not valid or the
 * frame would exceed CTL_FRAME_MAX. */
int ctl_request_encode(struct ctl_buf *b, uint32_t id,
                       const struct ctl_request *req, char *err, size_t errlen);
/* Appends a STATUS frame. */
int ctl_status_encode(struct ctl_buf *b, uint32_t id,
                      const struct ctl_status *st, char *err, size_t errlen);
/* Appends a DONE frame. */
int ctl_done_encode(struct ctl_buf *b, uint32_t id, enum ctl_done status,
                    char *err, size_t errlen);

/* A frame found in a buffer; payload points into that buffer. */
struct ctl_frame {
	uint32_t id;
	uint8_t type;
	const uint8_t *payload;
	size_t plen;
	size_t size; /* bytes of the whole frame, length field included */
};

/*
 * Looks for one frame at the start of (p, len), which may hold only the
 * beginning of it (bytes as they arrive).  Returns 1 and fills f when a
 * whole frame is there, 0 when more bytes are needed, -1 when the bytes
 * can never be a frame (length 0 to 4 or above CTL_FRAME_MAX: decided
 * as soon as the length field is in; a type outside enum ctl_type).
 */
int ctl_frame_parse(const uint8_t *p, size_t len, struct ctl_frame *f,
                    char *err, size_t errlen);

/* Payload decoders.  On failure the output is left empty (freed). */
int ctl_request_decode(const uint8_t *p, size_t len, struct ctl_request *req,
                       char *err, size_t errlen);
int ctl_status_decode(const uint8_t *p, size_t len, struct ctl_status *st,
                      char *err, size_t errlen);
int ctl_done_decode(const uint8_t *p, size_t len, enum ctl_done *status,
                    char *err, size_t errlen);

/* ---- client -------------------------------------------------------- */

/* What ctl_call and ctl_status_query return. */
enum ctl_call_result {
	CTL_CALL_OK = 0,
	CTL_CALL_ERROR = -1,     /* errbuf says what went wrong */
	CTL_CALL_NOSERVICE = -2, /* nothing listens on the socket (no such
	                            file, or connection refused) */
};

/* How long the client waits for the service to make progress. */
#define CTL_CALL_TIMEOUT_MS 30000

/*
 * Sends req to the service on socket_path and copies its answer as it
 * arrives: OUTPUT frames to out, ERROR frames to err.  Returns
 * CTL_CALL_OK with *status (enum ctl_done) once DONE arrives;
 * CTL_CALL_NOSERVICE when nothing listens (the caller prints that the
 * service is not running); CTL_CALL_ERROR with a message otherwise
 * (permission denied on the socket, a timeout: CTL_CALL_TIMEOUT_MS
 * without a byte from the service, a protocol error, the service hung
 * up before DONE).  Output already copied stays copied.  SIGPIPE is not
 * raised.
 */
int ctl_call(const char *socket_path, const struct ctl_request *req, FILE *out,
             FILE *err, int *status, char *errbuf, size_t errlen);
/* The same with a timeout of its own, in milliseconds. */
int ctl_call_timeout(const char *socket_path, const struct ctl_request *req,
                     FILE *out, FILE *err, int *status, int timeout_ms,
                     char *errbuf, size_t errlen);

/* Asks for STATUS; st is filled on CTL_CALL_OK (free with
 * ctl_status_free). */
int ctl_status_query(const char *socket_path, struct ctl_status *st,
                     int timeout_ms, char *errbuf, size_t errlen);
/* ctl_status_query, printed as aligned "Label : value" lines to out. */
int ctl_status(const char *socket_path, FILE *out, char *errbuf, size_t errlen);
/* Prints st as aligned "Label : value" lines. */
void ctl_status_print(const struct ctl_status *st, FILE *out);

/* ---- server -------------------------------------------------------- */

/* Who is on the other end of a connection (SO_PEERCRED at accept). */
struct ctl_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	/* uid 0, or the peer's group or one of its supplementary groups
	 * is the configured admin group. */
	bool may_change;
};

/*
 * Runs one request in the service's loop thread.  Writes the command's
 * output to out and its errors to err (both memory streams that the
 * server sends back as OUTPUT and ERROR frames) and returns an enum
 * ctl_done: 0 ok, 1 failed, 2 refused (e.g. the command changes state
 * and !peer->may_change).  Anything else counts as 1.  It must not
 * block for long: the loop waits for it.
 */
typedef int (*ctl_exec_fn)(void *arg, const struct ctl_request *req,
                           const struct ctl_peer *peer, FILE *out, FILE *err);
/* Adds items to the answer to STATUS_REQUEST (after "pid", "version"). */
typedef void (*ctl_status_fn)(void *arg, struct ctl_status *st);

#define CTL_CLIENTS_MAX 64        /* connections served at once */
#define CTL_IDLE_TIMEOUT_MS 60000 /* a silent client is dropped */

struct ctl_server_opts {
	const char *path;        /* socket path */
	const char *admin_group; /* group name or number; NULL or "": none */
	mode_t mode;             /* socket file mode; 0 = 0660 */
	ctl_exec_fn exec;
	void *exec_arg;
	ctl_status_fn status; /* may be NULL */
	void *status_arg;
	size_t max_clients;  /* 0 = CTL_CLIENTS_MAX */
	int idle_timeout_ms; /* 0 = CTL_IDLE_TIMEOUT_MS */
};

struct ctl_server;

/*
 * Listens on o->path in loop l: creates the parent directory (0755) if
 * missing, replaces a stale socket file (nothing accepts on it), and
 * refuses when a service answers there, or when the path is something
 * else than a socket.  The socket gets mode o->mode and, with an admin
 * group, that group.  Fails if the admin group does not exist.
 */
struct ctl_server *ctl_server_new(struct loop *l,
                                  const struct ctl_server_opts *o, char *err,
                                  size_t errlen);
/* Closes every connection and the socket, and removes the socket file.
 * NULL is fine. */
void ctl_server_free(struct ctl_server *s);
/* Connections open now (tests). */
size_t ctl_server_clients(const struct ctl_server *s);

/*
 * The peer's may_change, given its credentials: uid 0, gid == admin, or
 * admin among its supplementary groups (SO_PEERGROUPS, else
 * /proc/<pid>/status "Groups:", else getgrouplist of its user).
 * admin_gid (gid_t)-1 means no admin group.  Exposed for tests.
 */
bool ctl_peer_may_change(int fd, const struct ctl_peer *peer, gid_t admin_gid);

#endif
