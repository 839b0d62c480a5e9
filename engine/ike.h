/*
 * ike.h - the IKEv1 negotiator: Main Mode, Quick Mode, Informational and
 * NAT traversal (RFC 2407, 2408, 2409, 3947, 3948, 3706) as a pure,
 * deterministic state machine.
 *
 * What it is for: turning acquires (a packet needs an SA) and datagrams
 * from peers into installed pairs of IPsec SAs, and keeping them alive
 * (retransmissions, rekeys, lifetimes, deletes, keepalives).
 *
 * What it never does: open sockets, read clocks, draw random numbers
 * itself, look policies up or touch the datapath.  Everything outside
 * comes through struct ike_env, so the same code runs in the service and
 * in a one-process two-peer test harness (tests/unit/test_ike_harness.c).
 * The only other randomness is OpenSSL's inside ike_crypto (none: the DH
 * private values are drawn through env->random too).
 *
 * Threads: one struct ike belongs to one thread (the service's loop).
 * Callbacks run inside ike_input / ike_acquire / ike_timer / ike_free and
 * must not call back into the same struct ike (send queues, it does not
 * deliver synchronously).
 *
 * Ownership: ike_new copies *conf and keeps env (which must outlive the
 * struct).  Configuration handed out by the env's policy callbacks is
 * copied; pre-shared keys in it are wiped by the negotiator once copied
 * into its own state, and that state is wiped (OPENSSL_cleanse) when an
 * SA is freed or fails.  Keys handed to env->install live only for the
 * call.  No key material is ever passed to env->log.
 *
 * Statistics: env->stats (struct live_ike_stats, live.h) is moved exactly
 * where each event happens; the table in ike_sa.c says where.
 */
#ifndef IPSECSH_IKE_H
#define IPSECSH_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datapath.h"
#include "live.h"

struct ike;

/* ---- vocabulary ---------------------------------------------------- */

/* An IKE endpoint: address and UDP port (host order). */
struct ike_endpoint {
	struct dp_addr addr;
	uint16_t port;
};

/* A phase 1 identity: ID payload type (enum ike_id_type) and data. */
#define IKE_IDENT_MAX 512
struct ike_identity {
	uint8_t type; /* 0: none (local: our address; peer: any) */
	uint16_t len;
	uint8_t data[IKE_IDENT_MAX];
};

/*
 * A traffic selector, as a Quick Mode ID payload carries it (RFC 2407
 * section 4.6.2): one address, a subnet or a range, with an IP protocol
 * and a port (0 = any).
 */
enum ike_ts_kind { IKE_TS_ADDR, IKE_TS_SUBNET, IKE_TS_RANGE };
struct ike_ts {
	enum ike_ts_kind kind;
	struct dp_addr addr; /* the address, subnet base or range start */
	struct dp_addr end;  /* range end */
	uint8_t plen;        /* subnet prefix length */
	uint8_t proto;
	uint16_t port;
};

/* ---- main mode policy (env->mm_policy) ----------------------------- */

/* One main mode offer: Oakley values (ike_msg.h). */
struct ike_mm_offer {
	uint8_t enc;      /* IKE_ENC_AES_CBC or IKE_ENC_3DES_CBC */
	uint16_t keybits; /* AES: 128, 192 or 256; 3DES: 0 */
	uint8_t hash;     /* IKE_HASHALG_MD5, _SHA1, _SHA2_256/384/512 */
	uint16_t group;   /* IANA group, one ike_dh_group_supported() */
};

/* One authentication method, in preference order. */
#define IKE_PSK_MAX 256
struct ike_auth {
	uint8_t method; /* IKE_AUTH_PSK or IKE_AUTH_RSA_SIG */
	size_t psk_len; /* PSK: the key, wiped by the negotiator */
	uint8_t psk[IKE_PSK_MAX];
	const void *cert; /* RSA_SIG: the env's handle for the sig hooks */
};

#define IKE_MM_OFFERS_MAX 16
#define IKE_AUTHS_MAX 4
struct ike_mm_conf {
	size_t noffers;
	struct ike_mm_offer offers[IKE_MM_OFFERS_MAX];
	size_t nauths;
	struct ike_auth auths[IKE_AUTHS_MAX];
	uint32_t lifetime_s;  /* 0: 480 minutes */
	unsigned qmpermm;     /* quick modes per main mode; 0: unlimited */
	uint32_t soft_s;      /* softsaexpirationtime; 0: IKE_SOFT_S */
	struct ike_identity local_id; /* type 0: our IP address */
	struct ike_identity peer_id;  /* type 0: any identity */
	bool natt_force; /* float to the NAT-T port even without a NAT (our
	                    NAT-D hash is made false, as strongSwan does) */
	uint32_t policy_id; /* the caller's, shown in ike_mmsa_info */
};

/* ---- quick mode policy (env->qm_policy) ---------------------------- */

/* One quick mode offer: IPsec DOI values (ike_msg.h). */
struct ike_qm_offer {
	bool ah;
	uint8_t ah_auth; /* IKE_IAUTH_HMAC_MD5, _SHA1, _SHA2_256/384/512 */
	bool esp;
	uint8_t esp_enc;      /* IKE_ESP_AES_CBC, _AES_GCM_16, _3DES, _NULL */
	uint16_t esp_keybits; /* AES: 128, 192 or 256 (GCM 128 or 256) */
	uint8_t esp_auth;     /* IKE_IAUTH_*; 0 with GCM */
	uint32_t seconds;     /* 0: not proposed */
	uint32_t kbytes;      /* 0: not proposed */
};

#define IKE_QM_OFFERS_MAX 16
struct ike_qm_conf {
	size_t noffers;
	struct ike_qm_offer offers[IKE_QM_OFFERS_MAX];
	int pfs_group;  /* 0: none; -1: the main mode group; else IANA */
	bool tunnel;    /* tunnel mode (outer addresses: the IKE peers) */
	/* Initiator: the selectors to propose.  Responder: those accepted,
	 * equal to or inside the proposed ones (narrowing). */
	struct ike_ts local_ts, remote_ts;
	bool soft;      /* soft=yes: clear text for a peer that never answers */
	uint32_t idle_s; /* delete after this long unused; 0: conf's */
	uint32_t rule_id; /* the caller's, carried into ike_child_info */
};

/* What the negotiator asks env->qm_policy. */
struct ike_qm_query {
	bool initiator;
	const struct ike_acquire *acquire; /* initiator: what to negotiate */
	/* Responder: the proposed selectors, seen from us (local = the
	 * initiator's IDcr), or NULL when the proposal carried no IDs (the
	 * IKE peers' addresses, RFC 2409 section 5.5). */
	const struct ike_ts *local_ts, *remote_ts;
	bool tunnel; /* responder: the proposed mode */
	struct ike_endpoint local, peer;
	const struct ike_identity *peer_id; /* authenticated in main mode */
	uint16_t mm_group;
};

/* An acquire: the datapath needs an SA for this packet's flow. */
struct ike_acquire {
	uint32_t rule_id;   /* the caller's filter or rule */
	struct ike_endpoint local, peer; /* port 0: conf's port */
	struct dp_addr src, dst;         /* the packet */
	uint8_t proto;
	uint16_t sport, dport;
	bool tunnel;
};

/* ---- what the negotiator installs and shows ------------------------ */

/*
 * A negotiated pair of SAs (no keys).  SPIs are ours (in) and the
 * peer's (out); for AH+ESP bundles ah_spi_* are the AH ones.  A soft
 * association (soft = true) has no SPIs: it lets the flow of
 * remote_ts/local_ts pass in clear text until it is uninstalled.
 */
struct ike_child_info {
	uint64_t id; /* unique in this struct ike */
	uint32_t rule_id;
	bool soft;
	uint32_t spi_in, spi_out;
	uint32_t ah_spi_in, ah_spi_out;
	enum dp_proto proto;
	enum dp_mode mode;
	enum dp_encap encap;
	struct ike_endpoint local, peer;
	struct ike_ts local_ts, remote_ts;
	struct ike_qm_offer offer; /* as negotiated, lifetimes included */
	uint16_t pfs_group;        /* 0: no PFS */
	bool initiator;            /* we proposed it */
	bool rekey;                /* it replaces an older pair */
	uint64_t installed_ms;
	uint8_t icookie[8], rcookie[8]; /* the main mode SA that made it */
};

/* One main mode SA, for `show mmsas`. */
struct ike_mmsa_info {
	uint8_t icookie[8], rcookie[8];
	struct ike_endpoint local, peer;
	bool initiator;
	bool established;
	const char *state; /* "MM_I1" ... "established", "expired" */
	uint8_t auth;      /* IKE_AUTH_PSK or IKE_AUTH_RSA_SIG; 0 early */
	struct ike_mm_offer offer; /* 0s until chosen */
	uint32_t lifetime_s;
	uint64_t age_ms;
	bool natt;          /* NAT-T negotiated (RFC 3947 or draft-02) */
	bool nat_local;     /* we are behind a NAT (or forced) */
	bool nat_peer;      /* the peer is behind a NAT */
	bool floated;       /* IKE moved to the NAT-T port */
	unsigned nqm;       /* quick modes done under it */
	uint32_t policy_id;
	const struct ike_identity *peer_id; /* valid during the callback */
};

/* ---- the environment ----------------------------------------------- */

/* Signature authentication: the peer's CERT payloads and identity. */
#define IKE_PEER_CERTS_MAX 8
struct ike_peer_auth {
	const struct ike_identity *id;
	size_t ncerts;
	struct {
		uint8_t enc; /* enum ike_cert_enc */
		const uint8_t *data;
		size_t len;
	} certs[IKE_PEER_CERTS_MAX];
};

struct ike_env {
	/* Monotonic milliseconds. */
	uint64_t (*now_ms)(void *arg);
	/* len random bytes (cookies, nonces, SPIs, DH private values,
	 * jitter, message ids). */
	void (*random)(void *arg, void *buf, size_t len);
	/* One IKE datagram; for the NAT-T port the env adds the non-ESP
	 * marker.  0 or -1 (Send Failures). */
	int (*send)(void *arg, const uint8_t *msg, size_t len,
	            const struct ike_endpoint *from,
	            const struct ike_endpoint *to);
	/* A NAT keepalive (the single byte 0xFF, RFC 3948 section 2.3,
	 * no marker).  NULL: none sent. */
	void (*send_keepalive)(void *arg, const struct ike_endpoint *from,
	                       const struct ike_endpoint *to);
	/* The main mode policy for a peer (responder: on message 1;
	 * initiator: on an acquire).  0, or -1: no policy (no SA). */
	int (*mm_policy)(void *arg, const struct ike_endpoint *local,
	                 const struct ike_endpoint *peer,
	                 struct ike_mm_conf *out);
	/* The quick mode policy: offers, PFS, mode and selectors.  0, or -1:
	 * refused (initiator: no SA; responder: INVALID-ID-INFORMATION). */
	int (*qm_policy)(void *arg, const struct ike_qm_query *q,
	                 struct ike_qm_conf *out);
	/*
	 * Installs what a quick mode negotiated, keys included (valid for
	 * the call only: the negotiator wipes them after).  0 or -1 (Key
	 * Addition / Update Failures); on -1 the call added nothing.  The
	 * directions of one pair may come at different times:
	 *
	 *   (c, in, out)    a whole pair at once: ours (we initiated; the
	 *                   responder has its keys already).
	 *   (c, in, NULL)   the responder's inbound SA, as it sends Quick
	 *                   Mode message 2, so that the initiator's first
	 *                   packets (sent once it has message 2, racing
	 *                   message 3) find it.
	 *   (c, NULL, out)  then the outbound SA of the same pair (same c,
	 *                   c->id), when message 3 shows the initiator has
	 *                   the keys: the responder sends no ESP before.
	 *                   Only after (c, in, NULL); the pair counts as
	 *                   installed (Key Additions, IKE Quick Mode,
	 *                   ike_foreach_child) from here.  If message 3
	 *                   never comes, or this call fails, uninstall(c)
	 *                   removes the inbound SA when the exchange ends.
	 *   (c, NULL, NULL) a soft association (c->soft): clear text for
	 *                   the flow until uninstall.
	 *
	 * Between the two calls (and until the outbound SA reaches the
	 * datapath) an answer to the initiator's first packets finds no
	 * outbound SA and the env may pass its acquire: ike_acquire takes
	 * it as answered by the pair in progress (not counted, nothing
	 * negotiated); the packet waits for the outbound SA.
	 */
	int (*install)(void *arg, const struct ike_child_info *c,
	               const struct dp_sa_params *in,
	               const struct dp_sa_params *out);
	/* Removes whatever install added for c->id, one direction or both
	 * (delete payload, expiry, idle, INITIAL-CONTACT, a quick mode that
	 * ended between messages 2 and 3, ike_free).  Called once per pair
	 * that install accepted, never for one it refused outright. */
	void (*uninstall)(void *arg, const struct ike_child_info *c);
	/* Bytes carried by an installed pair (both directions) and when it
	 * last carried a packet (now_ms clock; 0: never).  0 or -1.  NULL:
	 * no kilobyte rekeys, no idle deletion. */
	int (*usage)(void *arg, const struct ike_child_info *c,
	             uint64_t *bytes, uint64_t *last_use_ms);

	/* RSA signatures (authentication method 3): the seam to the
	 * certificate code (engine/ike_cert.*).  handle is ike_auth.cert.
	 *   cert:   our certificate for the CERT payload: *enc (e.g.
	 *           IKE_CERT_X509_SIG) and DER bytes owned by the env; 0,
	 *           or -1 to send none.
	 *   cas:    up to max DER names of the CAs we trust, for CR
	 *           payloads; returns how many (0: one empty CR, any CA).
	 *   sign:   SIG payload bytes for hash (IKEv1: PKCS #1 v1.5 over
	 *           the bare hash, no DigestInfo); *siglen in: room, out:
	 *           length.  0 or -1.
	 *   verify: 0 if sig over hash is valid under a certificate of
	 *           peer->certs (or one the env knows) that chains to the
	 *           policy's CAs and whose identity is peer->id; else -1.
	 * NULL sign or verify: method 3 is never chosen. */
	int (*sig_cert)(void *arg, const void *handle, uint8_t *enc,
	                const uint8_t **der, size_t *len);
	size_t (*sig_cas)(void *arg, const void *handle,
	                  const uint8_t **names, size_t *lens, size_t max);
	int (*sig_sign)(void *arg, const void *handle, const uint8_t *hash,
	                size_t hlen, uint8_t *sig, size_t *siglen);
	int (*sig_verify)(void *arg, const void *handle,
	                  const struct ike_peer_auth *peer, const uint8_t *hash,
	                  size_t hlen, const uint8_t *sig, size_t siglen);

	/* Counters (live.h); NULL: kept privately. */
	struct live_ike_stats *stats;
	/* One line, no newline; priorities of syslog.h.  Never given keys,
	 * nonces, DH values or pre-shared keys.  NULL: silent. */
	void (*log)(void *arg, int prio, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
	void *arg;
};

/* ---- configuration ------------------------------------------------- */

#define IKE_PORT 500
#define IKE_NATT_PORT 4500
#define IKE_MM_LIFETIME_S (480u * 60u) /* netsh's default */
#define IKE_SOFT_S 300u                 /* soft association default */

struct ike_conf {
	uint16_t port;       /* 0: IKE_PORT */
	uint16_t natt_port;  /* 0: IKE_NATT_PORT */
	uint32_t retransmit_ms;      /* first retransmission; 0: 2000 */
	unsigned retransmit_tries;   /* retransmissions; 0: 5 */
	uint32_t halfopen_ms;        /* a half-open SA lives; 0: 60000 */
	unsigned halfopen_peer_max;  /* half-open responder SAs per peer
	                                address; 0: 32 */
	unsigned halfopen_max;       /* all half-open SAs; 0: 4096 */
	uint32_t keepalive_ms;       /* NAT keepalives; 0: 20000 */
	uint32_t qm_idle_s;          /* default idle time; 0: 300 */
	uint32_t idle_check_ms;      /* usage polls; 0: 10000 */
	unsigned rekey_margin_pct;   /* rekey this much before the end;
	                                0: 10 */
	unsigned rekey_jitter_pct;   /* plus up to this much at random;
	                                0: 5 */
	uint32_t soft_wait_ms;       /* soft=yes: a peer that has sent
	                                nothing back for a main mode this
	                                long gets a soft association at
	                                once (as Windows, after ~3 s);
	                                0: 3000 */
};

/* Zeroes c: every 0 means "the default". */
void ike_conf_init(struct ike_conf *c);

/* ---- the negotiator ------------------------------------------------ */

/* NULL when out of memory.  env must outlive the struct. */
struct ike *ike_new(const struct ike_env *env, const struct ike_conf *conf);
/* Uninstalls every pair (no deletes sent: see ike_delete_all), wipes
 * and frees everything.  NULL is fine. */
void ike_free(struct ike *ike);

/*
 * One datagram from a peer: on the IKE port, or on the NAT-T port with
 * the non-ESP marker removed.  to is the local endpoint it came in on.
 * Never fails: what is wrong is counted, logged and dropped (or
 * answered with a notify).
 */
void ike_input(struct ike *ike, const uint8_t *msg, size_t len,
               const struct ike_endpoint *from,
               const struct ike_endpoint *to);

/*
 * Starts a negotiation for a flow, or joins one in progress for the
 * same rule and selectors.  An acquire for the flow of a pair we are
 * completing as responder (env->install) is answered by that pair: 0,
 * not counted.  0, or -1 when no policy allows it (counted in Acquire
 * Failures).
 */
int ike_acquire(struct ike *ike, const struct ike_acquire *a);

/* Runs what is due (retransmissions, lifetimes, rekeys, idle checks,
 * keepalives, half-open expiry) at env->now_ms. */
void ike_timer(struct ike *ike);
/* When ike_timer wants to run next (now_ms clock); UINT64_MAX: never.
 * Calling it early is harmless. */
uint64_t ike_next_timer_ms(const struct ike *ike);

/* Sends deletes for every pair and main mode SA, then uninstalls and
 * forgets them all (service stop, `delete all`). */
void ike_delete_all(struct ike *ike);

/* The policy changed (a commit of the live SPD): pairs and main mode
 * SAs the new policy would not accept are deleted, with delete
 * notifications (ike_policy.c).  Returns how many. */
size_t ike_policy_changed(struct ike *ike);

/* `show mmsas` and `show qmsas`: every main mode SA and every pair the
 * negotiator installed (soft associations included), oldest first.
 * fn must not call into ike. */
void ike_foreach_mmsa(const struct ike *ike,
                      void (*fn)(void *arg, const struct ike_mmsa_info *),
                      void *arg);
void ike_foreach_child(const struct ike *ike,
                       void (*fn)(void *arg, const struct ike_child_info *),
                       void *arg);

/* The selector of a traffic selector (covering prefix for a range that
 * is not one); for callers building filters and for the tests. */
void ike_ts_prefix(const struct ike_ts *ts, struct dp_addr *addr,
                   uint8_t *plen);

#endif
