/*
 * ike_int.h - private to the negotiator (ike_sa.c, ike_mm.c, ike_qm.c,
 * ike_info.c, ike_natt.c): the data model and the helpers the modules
 * share.  Nothing here is API; see ike.h.
 *
 * Objects and who owns them (all owned by struct ike):
 *
 *   struct ike_peer   one per peer address: half-open count, references
 *                     from SAs and children (Connection List Size), and
 *                     the lists of both, so that what concerns one peer
 *                     never walks all of them.
 *   struct ike_ident  one per authenticated peer identity: its
 *                     established SAs and their pairs (INITIAL-CONTACT).
 *   struct ike_isa     one ISAKMP (main mode) SA, from message 1 to its
 *                     death; in ike->sas (oldest first) and a hash on
 *                     the initiator cookie.  Owns its quick mode
 *                     exchanges (sa->qms) and all its key material.
 *   struct ike_qm     one Quick Mode exchange; initiator exchanges wait
 *                     in sa->qms for their main mode (queued acquires)
 *                     and linger after completion to answer duplicates.
 *   struct ike_child  one installed pair (or soft association); lives
 *                     on after the main mode SA that made it (RFC 2409
 *                     lets a phase 2 SA outlive its phase 1 SA).
 *
 * Deletion is deferred: a step marks objects dead and ike_reap() frees
 * them when the API call ends, so that no payload handler frees what a
 * caller further up still holds (duplicate and cascaded deletes,
 * CVE-2023-38712).  Dead objects stay on their lists until then; every
 * walk skips them.
 *
 * Time: each SA (its quick modes included) and each pair has a node in
 * a binary heap of deadlines (struct ike_tnode); ike_timer runs only the
 * objects that are due, and each of them registers its next deadlines
 * again (ike_due).  Inbound SPIs in use are a hash set (ike_spi_*).
 *
 * States are indexes into per-role step tables (STYLE.md practice 8):
 * mm_steps[role][sa->step] in ike_mm.c, qm_steps[role][qm->step] in
 * ike_qm.c, each with the script of payloads the next message must carry
 * (struct ike_script) and the function that handles it.
 */
#ifndef IPSECSH_IKE_INT_H
#define IPSECSH_IKE_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "ike.h"
#include "ike_crypto.h"
#include "ike_msg.h"

enum ike_role { IKE_ROLE_I = 0, IKE_ROLE_R = 1 };

/* What a step function returns. */
enum ike_step_rc {
	IKE_STEP_FAIL = -1, /* the exchange failed: rx->notify, rx->fail */
	IKE_STEP_OK = 0,    /* advance to the next step */
	IKE_STEP_DROP = 1,  /* drop the message; state unchanged */
};

/* What a failure counts besides Acquire/Receive Failures. */
enum ike_fail {
	IKE_FAIL_OTHER,
	IKE_FAIL_NEG,  /* Negotiation Failures */
	IKE_FAIL_AUTH, /* Authentication Failures */
};

/* NAT-T flavour agreed by vendor IDs. */
enum ike_natt { IKE_NATT_NONE, IKE_NATT_DRAFT, IKE_NATT_RFC };

/* ---- exchange scripts ----------------------------------------------- */

/* How often a payload type may appear in a message. */
struct ike_pl_rule {
	uint8_t type;
	uint8_t min;
	uint8_t max; /* IKE_ANY: no limit */
};
#define IKE_ANY 0xff
#define IKE_SCRIPT_RULES 12

/*
 * The payloads one message of an exchange must carry: a type not listed
 * is INVALID-PAYLOAD-TYPE, a count outside [min, max] is
 * PAYLOAD-MALFORMED; first/second name the types that must open the
 * message (Quick Mode: HASH then SA, RFC 2409 section 5.5).
 */
struct ike_script {
	const char *name; /* "MM3", "QM1", for logs */
	uint8_t exch;
	bool encrypted;
	uint8_t first, second; /* 0: any */
	struct ike_pl_rule rules[IKE_SCRIPT_RULES]; /* ends at type 0 */
};

/* Checks m (decoded) against s; on failure *notify and why are set. */
int ike_script_check(const struct ike_script *s, const struct ike_msg *m,
                     uint16_t *notify, char *why, size_t whylen);

/* ---- the message in hand -------------------------------------------- */

struct ike_rx {
	struct ike_msg *m; /* decoded (decrypted) */
	const uint8_t *raw; /* the datagram */
	size_t len;
	struct ike_endpoint from, to;
	uint8_t last_block[IKE_BLOCK_MAX_LEN]; /* encrypted: last block */
	uint16_t notify;    /* on IKE_STEP_FAIL: what to tell the peer */
	enum ike_fail fail; /* on IKE_STEP_FAIL: what it counts */
	bool notify_clear;  /* send the notify unprotected */
	bool initial_contact; /* an authenticated INITIAL-CONTACT */
};

/* ---- a message we sent, kept for retransmission ---------------------- */

struct ike_tx {
	uint8_t *buf;
	size_t len;
	struct ike_endpoint from, to;
	unsigned tries;       /* retransmissions so far */
	uint64_t due;         /* next retransmission; 0: none */
	unsigned dup_resends; /* resent for duplicates of the request */
};

#define IKE_RXH_LEN 20 /* SHA-1 of the last message received */
/* Answers resent for duplicates of one request, at most (a flood of
 * copies must not make us an amplifier). */
#define IKE_DUP_RESENDS_MAX 10

/* ---- objects --------------------------------------------------------- */

struct ike_isa;
struct ike_child;
struct ike_qm;
TAILQ_HEAD(ike_isa_list, ike_isa);
TAILQ_HEAD(ike_child_list, ike_child);

/*
 * A place in the timer heap (ike_sa.c).  due is the earliest deadline
 * registered since the owner last ran (UINT64_MAX: none, not in the
 * heap); deadlines that move later leave it early, which costs one
 * harmless run.
 */
struct ike_tnode {
	uint64_t due;
	size_t at;                  /* index in ike->heap while in it */
	struct ike_isa *sa;         /* the owner: an SA or a pair */
	struct ike_child *child;
	struct ike_tnode *run_next; /* ike_timer's batch */
};

struct ike_peer {
	struct ike_peer *hnext;
	struct dp_addr addr;
	unsigned refs;
	unsigned halfopen; /* half-open responder SAs */
	struct ike_isa_list sas;        /* oldest first, dead ones too */
	struct ike_child_list children; /* linked pairs, oldest first */
};

/* An authenticated identity (hash of its ID payload) and what was made
 * under it; freed when both lists are empty. */
struct ike_ident {
	struct ike_ident *hnext;
	uint8_t idh[IKE_RXH_LEN];
	struct ike_isa_list sas;        /* established SAs */
	struct ike_child_list children; /* their linked pairs */
};

struct ike_isa {
	struct ike *ike;
	struct ike_isa *next;  /* ike->sas, oldest first */
	struct ike_isa *hnext; /* hash chain on icookie */
	struct ike_peer *peer;
	TAILQ_ENTRY(ike_isa) peer_link;  /* peer->sas */
	struct ike_ident *ident;         /* from establishment; or NULL */
	TAILQ_ENTRY(ike_isa) ident_link; /* ident->sas */
	struct ike_tnode tn;
	enum ike_role role;
	unsigned step; /* mm_steps[role] index; IKE_MM_DONE: established */
	bool dead;
	bool halfopen; /* counted in Receive Heap Size */
	bool expired;  /* hard lifetime over: being deleted */
	bool heard;    /* initiator: the peer sent something for this SA
	                  (message 2, a notify): it speaks IKE, so it is
	                  not silent for soft=yes */
	uint8_t icookie[IKE_COOKIE_LEN], rcookie[IKE_COOKIE_LEN];
	struct ike_endpoint local, remote;

	/* Policy until main mode ends (wiped, freed), then what stays. */
	struct ike_mm_conf *conf;
	struct ike_mm_offer offer; /* chosen */
	uint8_t auth_method;       /* chosen */
	struct ike_auth auth;      /* chosen: PSK or certificate handle */
	uint32_t lifetime_s;
	unsigned qmpermm;
	uint32_t soft_s;
	uint32_t policy_id;
	bool natt_force;

	/* Key exchange. */
	uint8_t *sai_b; /* the initiator's SA payload body */
	size_t sai_len;
	struct ike_dh *dh;
	uint8_t *gxi, *gxr; /* KE values */
	size_t glen;
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	size_t nilen, nrlen;
	bool keyed; /* keys, ek and iv are set */
	struct ike_keys keys;
	struct ike_encr_key ek;
	size_t blk;
	uint8_t iv[IKE_BLOCK_MAX_LEN];      /* next phase 1 message */
	uint8_t p1_last[IKE_BLOCK_MAX_LEN]; /* phase 2 IVs start here */
	struct ike_identity *local_id, *peer_id;
	uint8_t peer_idh[IKE_RXH_LEN]; /* hash of the peer's identity */
	bool send_ic;                  /* INITIAL-CONTACT in message 5 */

	/* NAT traversal. */
	uint8_t natt; /* enum ike_natt */
	bool nat_local, nat_peer, floated;
	uint64_t keepalive_ms;

	/* Retransmission and duplicates (main mode). */
	struct ike_tx tx;
	uint8_t rxh[IKE_RXH_LEN];
	bool rxh_valid;

	/* Time. */
	uint64_t created_ms, established_ms;
	uint64_t expire_ms; /* half-open end, then hard lifetime */
	uint64_t soft_ms;   /* rekey; 0: none or done */
	bool replaced;      /* a newer SA with the peer took over */

	/* Phase 2 under this SA. */
	unsigned nqm;         /* quick modes completed (qmpermm) */
	uint32_t *msgids;     /* message ids seen or used, a ring */
	size_t nmsgids, msgid_at;
	struct ike_qm *qms;
};

#define IKE_MM_DONE 3 /* steps of each role's main mode table */
#define IKE_MSGIDS_MAX 256

struct ike_qm {
	struct ike_qm *next; /* sa->qms */
	struct ike_isa *sa;
	enum ike_role role;
	unsigned step; /* qm_steps[role] index */
	bool started;  /* initiator: message 1 sent */
	bool done;     /* installed (or failed): lingers for duplicates */
	bool dead;
	bool queued;   /* counted in Acquire Heap Size */
	bool active;   /* counted in Active Acquire / Active Receive */
	uint32_t msgid;
	uint8_t iv[IKE_BLOCK_MAX_LEN];
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	size_t nilen, nrlen;
	struct ike_dh *dh;     /* PFS */
	uint8_t *peer_ke;
	size_t peer_ke_len;
	uint16_t pfs_group;
	struct ike_qm_conf conf;
	struct ike_acquire acq; /* initiator */
	bool have_acq;
	uint64_t rekey_of; /* the child this replaces; 0: none */

	/* Negotiated. */
	struct ike_qm_offer chosen;
	uint16_t encap_mode; /* IKE_ENCAP_* as on the wire */
	uint32_t esp_spi_in, esp_spi_out, ah_spi_in, ah_spi_out;
	bool ids;  /* ID payloads carried */
	struct ike_ts ts_local, ts_remote;
	uint8_t *gqm; /* PFS: g(qm)^xy */
	size_t gqmlen;

	/* Responder from message 2 to message 3: the pair with only its
	 * inbound SA installed (not in ike->children, not counted). */
	struct ike_child *half;

	struct ike_tx tx;
	uint8_t rxh[IKE_RXH_LEN];
	bool rxh_valid;
	uint64_t expire_ms; /* gives up (responder: waiting for message 3) */
	uint64_t linger_ms; /* done: freed then */
};

struct ike_child {
	struct ike_child *next; /* ike->children, oldest first */
	struct ike_peer *peer;
	bool linked; /* in ike->children and its peer's and ident's lists */
	TAILQ_ENTRY(ike_child) peer_link;
	struct ike_ident *ident;
	TAILQ_ENTRY(ike_child) ident_link;
	struct ike_tnode tn;
	struct ike_child_info info;
	uint8_t peer_idh[IKE_RXH_LEN];
	struct ike_qm_conf conf; /* for rekeys: offers, PFS, selectors */
	uint64_t soft_ms;  /* rekey due; 0: none */
	uint64_t hard_ms;  /* expiry (soft association: its end) */
	uint64_t check_ms; /* next usage poll */
	uint64_t out_ms;   /* its outbound SA went in (ike_acquire_echo) */
	uint64_t soft_bytes;
	uint32_t idle_s;
	bool spis_held;  /* spi_in, ah_spi_in referenced (ike_spi_ref) */
	bool rekeying;   /* a replacement is being negotiated */
	bool superseded; /* a newer pair with the same selectors exists */
	bool dead;
};

/*
 * A message 1 we refused (no policy, no acceptable proposal).  Its
 * retransmissions get the same notify again (bounded) instead of a new
 * SA and a new Negotiation Failure each: one refused negotiation counts
 * once.  A ring, so that a flood of messages 1 costs no memory; an
 * entry lasts as long as a peer retransmits (linger).
 */
#define IKE_REFUSED_MAX 64
struct ike_refused {
	uint8_t h[IKE_RXH_LEN]; /* digest of the message 1 */
	struct dp_addr from;
	uint8_t icookie[IKE_COOKIE_LEN], rcookie[IKE_COOKIE_LEN];
	struct ike_endpoint local, remote;
	uint16_t notify; /* 0: none was sent */
	uint64_t until;  /* 0: free */
	unsigned resends;
};

struct ike {
	const struct ike_env *env;
	struct ike_conf conf; /* defaults applied */
	struct live_ike_stats own;
	struct live_ike_stats *st;
	uint64_t now;

	struct ike_isa *sas, **sas_tail;
	struct ike_isa **sa_hash;
	size_t sa_hsize, nsas;
	struct ike_peer **peer_hash;
	size_t peer_hsize, npeers;
	struct ike_ident **ident_hash;
	size_t ident_hsize, nidents;
	bool ident_partial; /* an SA could not be indexed (out of memory) */
	struct ike_child *children, **children_tail;
	uint64_t next_child_id;
	unsigned halfopen;
	/* The timer heap: room for one node per SA and pair, reserved when
	 * they are made, so that ike_due never allocates. */
	struct ike_tnode **heap;
	size_t nheap, capheap, ntnodes;
	/* Inbound SPIs in use (exchanges and pairs): open addressing,
	 * 0 = empty; refs per SPI. */
	uint32_t *spis, *spi_refs;
	size_t spi_size, nspis;
	uint64_t invalid_cookie_notify_ms;
	bool reap;
	struct ike_refused refused[IKE_REFUSED_MAX];
	size_t refused_at;

	/* Scratch, one message at a time. */
	struct ike_msg rxm;
	uint8_t rxbuf[IKE_MSG_MAX];
	uint8_t txbuf[IKE_MSG_MAX];
};

/* ---- ike_sa.c: instance, tables, timers, messages ------------------- */

#define IKE_STAT_INC(ike, f) ((ike)->st->f++)
#define IKE_STAT_DEC(ike, f)                                                   \
	do {                                                                   \
		if ((ike)->st->f > 0)                                          \
			(ike)->st->f--;                                        \
	} while (0)

void ike_log(struct ike *ike, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* With the SA's cookies and peer; sa may be NULL. */
void ike_sa_log(struct ike *ike, const struct ike_isa *sa, int prio,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void ike_addr_str(const struct dp_addr *a, char *buf, size_t len);

void ike_random(struct ike *ike, void *buf, size_t len);
uint32_t ike_random32(struct ike *ike);
/* A deadline of tn's owner (0: none): lowers its place in the heap. */
void ike_due(struct ike *ike, struct ike_tnode *tn, uint64_t when);
/* A node for a new SA or pair (room in the heap reserved): 0, or -1 out
 * of memory.  Release takes it out of the heap. */
int ike_tnode_init(struct ike *ike, struct ike_tnode *tn, struct ike_isa *sa,
                   struct ike_child *child);
void ike_tnode_release(struct ike *ike, struct ike_tnode *tn);
/* t + pct% of span at random (jitter), in ms. */
uint64_t ike_jitter(struct ike *ike, uint64_t span_ms, unsigned pct);

bool ike_addr_eq(const struct dp_addr *a, const struct dp_addr *b);

struct ike_peer *ike_peer_get(struct ike *ike, const struct dp_addr *addr);
struct ike_peer *ike_peer_find(struct ike *ike, const struct dp_addr *addr);
void ike_peer_put(struct ike *ike, struct ike_peer *p);

/* The identity with this hash, made if new; NULL out of memory.  Put
 * frees it once it lists nothing. */
struct ike_ident *ike_ident_get(struct ike *ike, const uint8_t *idh);
void ike_ident_put(struct ike *ike, struct ike_ident *id);

/* Inbound SPIs in use: a reference per exchange or pair that holds
 * one.  ref: 0, or -1 out of memory. */
int ike_spi_ref(struct ike *ike, uint32_t spi);
void ike_spi_unref(struct ike *ike, uint32_t spi);
bool ike_spi_in_use(const struct ike *ike, uint32_t spi);

/* A new SA; a responder's carries the peer's cookie (peer_icookie). */
struct ike_isa *ike_sa_new(struct ike *ike, enum ike_role role,
                          const struct ike_endpoint *local,
                          const struct ike_endpoint *remote,
                          const uint8_t *peer_icookie);
struct ike_isa *ike_sa_find(struct ike *ike, const uint8_t *icookie,
                           const uint8_t *rcookie);
/* Marks the SA dead (freed by ike_reap); its queued and lingering
 * exchanges go with it. */
void ike_sa_kill(struct ike_isa *sa);
/* The newest established, usable SA with a peer, or NULL. */
struct ike_isa *ike_sa_usable(struct ike *ike, const struct dp_addr *peer);
void ike_sa_established(struct ike_isa *sa);
void ike_reap(struct ike *ike);
/* Main mode (or a quick mode of it) failed: notify, counters, kill. */
void ike_sa_fail(struct ike_isa *sa, const struct ike_rx *rx);
bool ike_msgid_used(const struct ike_isa *sa, uint32_t msgid);
void ike_msgid_add(struct ike_isa *sa, uint32_t msgid);
uint32_t ike_msgid_new(struct ike_isa *sa);

/* Sends and keeps bytes (ike->txbuf, len) as tx's message (tx: sa's
 * or one of its quick modes'); with retransmit, arms sa's timer.  Counts
 * Send Failures. */
int ike_tx_set(struct ike_isa *sa, struct ike_tx *tx, const uint8_t *buf,
               size_t len, const struct ike_endpoint *from,
               const struct ike_endpoint *to, bool retransmit);
void ike_tx_clear(struct ike_tx *tx);
/* Retransmits tx (sa's or one of its quick modes') if due (backoff); 0,
 * or -1 when the tries are spent. */
int ike_tx_timer(struct ike_isa *sa, struct ike_tx *tx);
int ike_send(struct ike *ike, const uint8_t *buf, size_t len,
             const struct ike_endpoint *from, const struct ike_endpoint *to);
/* The message is a duplicate of the last one received (rxh): resend
 * our answer (bounded) and return true. */
bool ike_rx_duplicate(struct ike *ike, uint8_t *rxh, bool *rxh_valid,
                      struct ike_tx *tx, const struct ike_rx *rx);
void ike_rx_remember(struct ike *ike, uint8_t *rxh, bool *rxh_valid,
                     const struct ike_rx *rx);
/* SHA-1 of the datagram (duplicate detection). */
void ike_rx_digest(const struct ike_rx *rx, uint8_t out[IKE_RXH_LEN]);
/* How long a finished exchange keeps answering duplicates: as long as a
 * peer with our retransmission settings would retransmit. */
uint64_t ike_linger_ms(const struct ike *ike);

/* Header of a message of sa (cookies) into b over ike->txbuf. */
int ike_build_begin(struct ike_isa *sa, struct ike_msg_builder *b,
                    uint8_t exch, uint32_t msgid, bool encrypted);
/* Pads, finishes and (if encrypted) encrypts in place with iv; next_iv
 * gets the last ciphertext block.  *len = the datagram's length. */
int ike_build_seal(struct ike_isa *sa, struct ike_msg_builder *b,
                   const uint8_t *iv, uint8_t *next_iv, size_t *len);
/* Phase 2 HASH(1)/HASH(2) written into the HASH payload at hash_off
 * over b's payloads after it. */
int ike_build_hash12(struct ike_isa *sa, struct ike_msg_builder *b,
                     size_t hash_off, uint32_t msgid, const uint8_t *ni,
                     size_t nilen);
/* Decrypts rx's body with iv into ike->rxbuf and decodes it. */
int ike_rx_decrypt(struct ike_isa *sa, struct ike_rx *rx, const uint8_t *iv);
/* The bytes of the decoded body after the first (HASH) payload, up to
 * the end of the last payload (what HASH(1) and HASH(2) cover). */
void ike_rx_after_hash(const struct ike_rx *rx, const uint8_t **p,
                       size_t *len);

/* ---- ike_mm.c: main mode --------------------------------------------- */

struct ike_isa *ike_mm_initiate(struct ike *ike,
                               const struct ike_endpoint *local,
                               const struct ike_endpoint *remote,
                               struct ike_mm_conf *conf);
/* A message 1 with no SA yet: a new responder SA, or NULL. */
void ike_mm_respond(struct ike *ike, struct ike_rx *rx);
void ike_mm_input(struct ike_isa *sa, struct ike_rx *rx);
const char *ike_mm_state_name(const struct ike_isa *sa);
/* A DH key pair for group from env->random; NULL on failure. */
struct ike_dh *ike_dh_make(struct ike *ike, int group);

/* ---- ike_qm.c: quick mode and children -------------------------------- */

/* A new initiator exchange on sa (queued until sa is established). */
struct ike_qm *ike_qm_new_initiator(struct ike_isa *sa,
                                    const struct ike_qm_conf *conf,
                                    const struct ike_acquire *acq,
                                    uint64_t rekey_of);
/* sa is established: start its queued exchanges. */
void ike_qm_start_queued(struct ike_isa *sa);
void ike_qm_input(struct ike_isa *sa, struct ike_rx *rx);
/* An exchange failed (failure counters, soft association); marks it
 * dead. */
void ike_qm_fail(struct ike_qm *qm, enum ike_fail why, bool peer_silent);
void ike_qm_free(struct ike *ike, struct ike_qm *qm);
void ike_qm_timer(struct ike_qm *qm);
void ike_child_timer(struct ike *ike, struct ike_child *c);
/* Uninstalls and marks dead; with send_delete, tells the peer. */
void ike_child_delete(struct ike *ike, struct ike_child *c,
                      bool send_delete);
void ike_child_free(struct ike *ike, struct ike_child *c);
/* A live pair of a peer by id (0: none). */
struct ike_child *ike_child_by_id(struct ike_peer *p, uint64_t id);
/* Does a pending initiator exchange cover this acquire already? */
struct ike_qm *ike_qm_find_acquire(struct ike *ike,
                                   const struct ike_acquire *a,
                                   const struct ike_qm_conf *conf);
/*
 * Is the acquire an echo of a responder's two-step install (ike.h,
 * env->install): an answer to the initiator's first packets, queued by
 * the datapath while our pair for its flow had only its inbound SA -
 * between messages 2 and 3, or just after message 3 while the outbound
 * SA was still on its way to the datapath's workers (IKE_ACQUIRE_ECHO_MS,
 * far longer than an acquire takes to reach us and far shorter than
 * anything that takes a new SA away).  The packet leaves on that SA:
 * nothing to negotiate.
 */
#define IKE_ACQUIRE_ECHO_MS 2000
bool ike_acquire_echo(struct ike *ike, const struct ike_acquire *a);
void ike_ts_from_addr(struct ike_ts *ts, const struct dp_addr *a);
bool ike_ts_eq(const struct ike_ts *a, const struct ike_ts *b);

/* ---- ike_info.c: informational ---------------------------------------- */

void ike_info_input(struct ike_isa *sa, struct ike_rx *rx);
/* Unprotected informational with no SA (INVALID-COOKIE ...). */
void ike_info_input_nosa(struct ike *ike, struct ike_rx *rx);
/* A notify: protected when sa has keys and is established (or
 * protect), else in clear. */
void ike_info_notify(struct ike_isa *sa, uint16_t type, uint8_t proto,
                     const uint8_t *spi, size_t spilen, const uint8_t *data,
                     size_t datalen, bool clear);
/* A notify in clear to an endpoint with no SA (cookies from m). */
void ike_info_notify_raw(struct ike *ike, const struct ike_hdr *h,
                         uint16_t type, const struct ike_endpoint *from,
                         const struct ike_endpoint *to);
/* Delete payload for SPIs (ESP/AH, 4 bytes each) or for sa itself
 * (proto ISAKMP). */
void ike_info_delete(struct ike_isa *sa, uint8_t proto, const uint32_t *spis,
                     size_t nspis);
void ike_info_delete_isakmp(struct ike_isa *sa);
/* INITIAL-CONTACT from an authenticated peer: forget what we had with
 * it before this SA started. */
void ike_initial_contact(struct ike_isa *sa);

/* ---- ike_natt.c: NAT traversal ------------------------------------------ */

extern const uint8_t ike_vid_rfc3947[16];
extern const uint8_t ike_vid_draft02n[16];
extern const uint8_t ike_vid_draft02[16];
/* Reads the peer's vendor IDs: the best NAT-T flavour both speak. */
uint8_t ike_natt_from_vids(const struct ike_msg *m);
int ike_natt_add_vids(struct ike_msg_builder *b, uint8_t peer_natt,
                      bool initiator);
/* NAT-D payloads for a message of sa to rx/tx endpoints. */
int ike_natt_add_natd(struct ike_isa *sa, struct ike_msg_builder *b,
                      const struct ike_endpoint *local,
                      const struct ike_endpoint *remote);
/* Reads the peer's NAT-D payloads: sets nat_local / nat_peer. */
int ike_natt_check_natd(struct ike_isa *sa, const struct ike_msg *m,
                        const struct ike_endpoint *local,
                        const struct ike_endpoint *remote);
/* After message 4: move to the NAT-T port if a NAT is in the way. */
void ike_natt_float(struct ike_isa *sa);
bool ike_natt_encap(const struct ike_isa *sa);
/* Quick Mode encapsulation value for a mode. */
uint16_t ike_natt_encap_mode(const struct ike_isa *sa, bool tunnel);
/* Decodes an encapsulation mode: tunnel? udp? -1 if unknown. */
int ike_encap_decode(uint16_t mode, bool *tunnel, bool *udp);
void ike_natt_timer(struct ike_isa *sa);
uint8_t ike_natd_type(const struct ike_isa *sa);

#endif
