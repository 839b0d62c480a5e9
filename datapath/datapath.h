/*
 * datapath.h - the packet and crypto core of the IPsec driver.
 *
 * What it is for: turning inner IP packets into ESP (RFC 4303) or AH
 * (RFC 4302) packets and back, against security associations (SAs) that
 * the engine installs, with anti-replay, lifetimes and the IP Security
 * statistics of `show stats`.  It knows nothing else of the project: no
 * TUN device, no sockets, no policy; those sit on top of it.
 *
 * Who owns what:
 *   - struct dp_pool owns its packet buffers; a pool belongs to ONE thread
 *     (a datapath worker) and is not locked.  dp_pool_get() lends a
 *     struct dp_pkt, dp_pkt_release() gives it back.
 *   - struct dp_sa is reference counted.  dp_sa_new() returns one reference
 *     to the caller; dp_sadb_insert() takes its own; dp_sadb_lookup()
 *     returns a new reference that the caller drops with dp_sa_put().  Key
 *     material passed in dp_sa_params is copied into OpenSSL contexts at
 *     creation (keyed once) and is never kept elsewhere; the caller keeps
 *     and wipes its own copy.
 *   - struct dp_worker is owned by one worker thread: its slot index picks
 *     the SA's per-worker crypto contexts, its stats are written only by
 *     that thread (readers use dp_stats_snapshot()).
 *
 * Threads: an SA may be used by several workers at once, each with its
 * own slot (dp_sa_params.nslots).  Shared mutable state of an SA is: the
 * outbound sequence number (atomic fetch-add), the replay window (a small
 * per-SA spinlock), the lifetime counters (relaxed atomics) and the
 * reference count (atomic).  The SA database is read-mostly under a
 * rwlock; only the engine thread writes it.
 *
 * Packets are processed in place: a struct dp_pkt has head- and tailroom
 * so ESP/AH headers, IV, trailer and ICV are written around the data with
 * no copy of the payload and no allocation per packet.
 */
#ifndef IPSECSH_DATAPATH_H
#define IPSECSH_DATAPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- results ------------------------------------------------------ */

/* Every public function that can fail returns one of these (0 = ok). */
#define DP_RESULTS(X)                                                          \
	X(DP_OK, "ok")                                                         \
	X(DP_ERR_INVAL, "invalid argument")                                    \
	X(DP_ERR_NOMEM, "out of memory")                                       \
	X(DP_ERR_CRYPTO, "crypto library failure")                             \
	X(DP_ERR_NOSPACE, "not enough head- or tailroom in the buffer")        \
	X(DP_ERR_MALFORMED, "malformed packet")                                \
	X(DP_ERR_BAD_SPI, "no SA for this SPI")                                \
	X(DP_ERR_REPLAY, "replayed or too old sequence number")                \
	X(DP_ERR_AUTH, "integrity check failed")                               \
	X(DP_ERR_DECRYPT, "payload could not be decrypted")                    \
	X(DP_ERR_DUMMY, "dummy packet (next header 59), discarded")            \
	X(DP_ERR_SELECTOR, "inner packet outside the SA's selectors")          \
	X(DP_ERR_EXPIRED, "SA expired")                                        \
	X(DP_ERR_EXISTS, "an SA with this SPI already exists")                 \
	X(DP_ERR_NOT_FOUND, "no such SA")

#define DP_X_ENUM(id, text) id,
enum dp_result { DP_RESULTS(DP_X_ENUM) };
const char *dp_result_str(enum dp_result r);

/* ---- statistics ---------------------------------------------------- */

/*
 * The IP Security statistics of netsh (reference §5.3), in netsh's order
 * and spelling, then the datapath's own drop counters (netsh = 0) that
 * `show stats` may print after them.  One list generates the struct
 * fields, the labels and the index.
 *
 * Byte counters count the inner IP packet (the datagram handed to encap,
 * or delivered by decap), once per packet, only for packets that were
 * sent or delivered.  Confidential = ESP with a cipher other than NULL;
 * Authenticated = ESP with integrity (or AEAD) or AH; Transport / Tunnels
 * by the SA's mode.
 *
 * Where each moves:
 *   active_sa, active_tunnels      SA database insert/remove (gauges)
 *   key_additions, key_deletions   SA database insert / remove
 *   rekeys                         insert of an SA flagged as a rekey
 *   bad_spi                        SA lookup miss (dp_sadb_lookup)
 *   not_decrypted                  authentic (or unauthenticated-cipher)
 *                                  payload that does not decrypt to a
 *                                  valid trailer / inner packet
 *   not_authenticated              ICV mismatch, or packet too short to
 *                                  hold IV and ICV
 *   replay                         seq 0, duplicate, older than window
 *   malformed                      too short for an ESP/AH/IP header
 *   dummy                          next header 59 (RFC 4303 §2.6)
 *   selector                       inner packet outside SA selectors
 *   expired                        packet refused by an expired SA
 *   pending_key_ops, offloaded_*   moved by the engine / always 0 here
 */
#define DP_STATS(X)                                                            \
	X(active_sa, "Active Associations", 1)                                 \
	X(offloaded_sa, "Offloaded Security Associations", 1)                  \
	X(pending_key_ops, "Pending Key Operations", 1)                        \
	X(key_additions, "Key Additions", 1)                                   \
	X(key_deletions, "Key Deletions", 1)                                   \
	X(rekeys, "Rekeys", 1)                                                 \
	X(active_tunnels, "Active Tunnels", 1)                                 \
	X(bad_spi, "Bad SPI Packets", 1)                                       \
	X(not_decrypted, "Packets Not Decrypted", 1)                           \
	X(not_authenticated, "Packets Not Authenticated", 1)                   \
	X(replay, "Packets With Replay Detection", 1)                          \
	X(conf_bytes_sent, "Confidential Bytes Sent", 1)                       \
	X(conf_bytes_recv, "Confidential Bytes Received", 1)                   \
	X(auth_bytes_sent, "Authenticated Bytes Sent", 1)                      \
	X(auth_bytes_recv, "Authenticated Bytes Received", 1)                  \
	X(transport_bytes_sent, "Transport Bytes Sent", 1)                     \
	X(transport_bytes_recv, "Transport Bytes Received", 1)                 \
	X(tunnel_bytes_sent, "Bytes Sent In Tunnels", 1)                       \
	X(tunnel_bytes_recv, "Bytes Received In Tunnels", 1)                   \
	X(offloaded_bytes_sent, "Offloaded Bytes Sent", 1)                     \
	X(offloaded_bytes_recv, "Offloaded Bytes Received", 1)                 \
	X(malformed, "Malformed Packets", 0)                                   \
	X(dummy, "Dummy Packets Discarded", 0)                                 \
	X(selector, "Packets Outside SA Selectors", 0)                         \
	X(expired, "Packets Refused By Expired SAs", 0)

#define DP_X_FIELD(id, label, netsh) uint64_t id;
struct dp_stats {
	DP_STATS(DP_X_FIELD)
};

#define DP_X_INDEX(id, label, netsh) DP_STAT_##id,
enum dp_stat_index { DP_STATS(DP_X_INDEX) DP_STAT_COUNT };

struct dp_stat_desc {
	const char *label; /* netsh spelling, e.g. "Bad SPI Packets" */
	size_t offset;     /* offsetof(struct dp_stats, field) */
	bool netsh;        /* part of netsh's list */
};
extern const struct dp_stat_desc dp_stat_descs[DP_STAT_COUNT];

/* Counter i of s (relaxed atomic load: safe while the owner writes). */
uint64_t dp_stats_get(const struct dp_stats *s, enum dp_stat_index i);
/* sum += each counter of s (relaxed loads of s). */
void dp_stats_accumulate(struct dp_stats *sum, const struct dp_stats *s);

/* ---- addresses, flows, selectors ----------------------------------- */

struct dp_addr {
	int family;        /* AF_INET, AF_INET6, or 0 = any (selectors) */
	uint8_t bytes[16]; /* network order; IPv4 in the first 4 */
};

/* The 5-tuple and layout of one IP packet. */
struct dp_flow {
	struct dp_addr src, dst;
	uint8_t proto;         /* upper-layer protocol (after IPv6 ext hdrs) */
	uint16_t sport, dport; /* TCP/UDP/SCTP, first fragment; else 0 */
	uint16_t l3len;        /* IP header (+ IPv6 extension headers) */
	uint16_t iphlen;       /* fixed IP header incl. IPv4 options */
	uint32_t len;          /* datagram length from the header */
	bool frag;             /* a fragment (any) */
};

/*
 * Parses the IPv4 or IPv6 packet in (p, len): version, header and length
 * fields are checked against len (trailing bytes beyond the datagram
 * length are allowed and ignored).  IPv6 extension headers are walked (at
 * most 8).  DP_ERR_MALFORMED on any inconsistency.
 */
enum dp_result dp_flow_parse(const uint8_t *p, size_t len, struct dp_flow *out);

/*
 * Packets an SA may carry, seen in the SA's direction (for an inbound SA
 * src is the peer's side).  family 0 = any address of either family;
 * proto 0 = any; ports 0 = any (ports only with TCP/UDP/SCTP).
 */
struct dp_selector {
	struct dp_addr src, dst;
	uint8_t src_plen, dst_plen;
	uint8_t proto;
	uint16_t sport, dport;
};
bool dp_selector_match(const struct dp_selector *sel, const struct dp_flow *f);

/* ---- packet buffers ------------------------------------------------ */

/* Room kept in front of the data of a fresh buffer: outer IPv6 (40) +
 * UDP (8) + ESP header and IV (24) + AH with the largest ICV (44), with
 * margin, cache-line aligned. */
#define DP_PKT_HEADROOM 256
/* Room the encapsulations need behind the data: pad (<= 15) + pad length
 * + next header + ICV (<= 32), rounded up. */
#define DP_PKT_TAILROOM 64
#define DP_PKT_DEFAULT_SIZE 4096
#define DP_POOL_DEFAULT_COUNT 1024

struct dp_pool;

/*
 * One packet buffer.  The data are buf[off .. off+len); headroom is off,
 * tailroom is size - off - len.  Fields are public so workers can fill
 * buffers straight from recvmmsg/read; keep off+len <= size.
 */
struct dp_pkt {
	uint8_t *buf;
	uint32_t size;
	uint32_t off;
	uint32_t len;
	struct dp_pkt *next; /* free list, or a batch of the owner's */
	struct dp_pool *pool;
};

/* count buffers of size bytes each (>= DP_PKT_HEADROOM +
 * DP_PKT_TAILROOM + 64), allocated once, 64-byte aligned. */
struct dp_pool *dp_pool_new(unsigned count, uint32_t size);
void dp_pool_free(struct dp_pool *pool);
/* NULL when the pool is empty; the packet is reset (off = headroom). */
struct dp_pkt *dp_pool_get(struct dp_pool *pool);
unsigned dp_pool_available(const struct dp_pool *pool);
void dp_pkt_release(struct dp_pkt *pkt);

static inline uint8_t *
dp_pkt_data(const struct dp_pkt *pkt)
{
	return pkt->buf + pkt->off;
}

/* Empties the packet and puts the data start at DP_PKT_HEADROOM. */
void dp_pkt_reset(struct dp_pkt *pkt);
/* Copies (data, len) in at DP_PKT_HEADROOM; -1 if it does not fit with
 * DP_PKT_TAILROOM to spare. */
int dp_pkt_set(struct dp_pkt *pkt, const void *data, size_t len);

/* ---- security associations ----------------------------------------- */

#define DP_X_ENUM2(id, name) id,

#define DP_DIRS(X) X(DP_DIR_IN, "in") X(DP_DIR_OUT, "out")
enum dp_dir { DP_DIRS(DP_X_ENUM2) };

#define DP_MODES(X)                                                            \
	X(DP_MODE_TRANSPORT, "transport") X(DP_MODE_TUNNEL, "tunnel")
enum dp_mode { DP_MODES(DP_X_ENUM2) };

/* none: raw IP protocol 50/51; udp: ESP in UDP (RFC 3948). */
#define DP_ENCAPS(X) X(DP_ENCAP_NONE, "none") X(DP_ENCAP_UDP, "udp")
enum dp_encap { DP_ENCAPS(DP_X_ENUM2) };

#define DP_PROTOS(X)                                                           \
	X(DP_PROTO_ESP, "ESP")                                                 \
	X(DP_PROTO_AH, "AH") X(DP_PROTO_AH_ESP, "AH+"                          \
	                                        "ESP")
enum dp_proto { DP_PROTOS(DP_X_ENUM2) };

/* ESP ciphers.  GCM keys are followed by the 4-byte salt (RFC 4106 §8.1):
 * enc_key_len 20 / 36. */
#define DP_ENCS(X)                                                             \
	X(DP_ENC_NULL, "NULL")                                                 \
	X(DP_ENC_3DES_CBC, "3DES")                                             \
	X(DP_ENC_AES128_CBC, "AES128")                                         \
	X(DP_ENC_AES192_CBC, "AES192")                                         \
	X(DP_ENC_AES256_CBC, "AES256")                                         \
	X(DP_ENC_AES128_GCM, "AES128GCM")                                      \
	X(DP_ENC_AES256_GCM, "AES256GCM")
enum dp_enc { DP_ENCS(DP_X_ENUM2) };

/* Integrity for ESP or AH (ICV truncated as the RFCs say). */
#define DP_AUTHS(X)                                                            \
	X(DP_AUTH_NONE, "None")                                                \
	X(DP_AUTH_HMAC_MD5_96, "MD5")                                          \
	X(DP_AUTH_HMAC_SHA1_96, "SHA1")                                        \
	X(DP_AUTH_HMAC_SHA256_128, "SHA256")                                   \
	X(DP_AUTH_HMAC_SHA384_192, "SHA384")                                   \
	X(DP_AUTH_HMAC_SHA512_256, "SHA512")
enum dp_auth { DP_AUTHS(DP_X_ENUM2) };

const char *dp_dir_name(enum dp_dir d);
const char *dp_mode_name(enum dp_mode m);
const char *dp_encap_name(enum dp_encap e);
const char *dp_proto_name(enum dp_proto p);
const char *dp_enc_name(enum dp_enc e);
const char *dp_auth_name(enum dp_auth a);

/* Key lengths the algorithms take (GCM: key + 4-byte salt). */
size_t dp_enc_key_len(enum dp_enc e);
size_t dp_auth_key_len(enum dp_auth a);

/* Lifetime limits, 0 = none.  Seconds are the engine's (timers). */
struct dp_lifetime {
	uint64_t bytes;
	uint64_t packets;
};

/* Largest anti-replay window (packets): a ring of 2048 bits, one 64-bit
 * word of which is the slack of RFC 6479. */
#define DP_REPLAY_WINDOW_MAX 1984u

struct dp_sa_params {
	uint32_t spi;    /* ESP SPI; the AH SPI of an AH-only SA */
	uint32_t ah_spi; /* AH SPI of an AH+ESP bundle */
	enum dp_dir dir;
	enum dp_mode mode;
	enum dp_encap encap;
	uint16_t encap_sport; /* UDP ports for encap=udp, host order */
	uint16_t encap_dport;
	enum dp_proto proto;
	enum dp_enc enc; /* ESP part */
	enum dp_auth esp_auth;
	enum dp_auth ah_auth; /* AH part */
	const uint8_t *enc_key;
	size_t enc_key_len;
	const uint8_t *esp_auth_key;
	size_t esp_auth_key_len;
	const uint8_t *ah_auth_key;
	size_t ah_auth_key_len;
	struct dp_selector sel;
	/* Outer addresses in tunnel mode (src = our end for an outbound SA,
	 * the peer's for an inbound one).  Unused in transport mode. */
	struct dp_addr tun_src, tun_dst;
	struct dp_lifetime soft, hard;
	uint32_t replay_window; /* 0: DP_REPLAY_WINDOW_MAX */
	bool no_replay;         /* disable anti-replay (manual keys only) */
	unsigned nslots;        /* per-worker crypto contexts, >= 1 */
	bool rekey;             /* replaces an SA being rekeyed (counts) */
};

struct dp_sa;

/* Defaults: ESP, transport, encap none with ports 4500, nslots 1. */
void dp_sa_params_init(struct dp_sa_params *p);

/*
 * Checks the combination (AEAD with integrity, NULL with no integrity,
 * key lengths, SPI 0 ...) and builds the SA with its crypto contexts
 * keyed once.  DP_ERR_INVAL names no field: the engine validated its
 * input; tests check each rule.
 */
enum dp_result dp_sa_new(const struct dp_sa_params *p, struct dp_sa **out);
void dp_sa_get(struct dp_sa *sa);
/* Drops a reference; the last one wipes and frees the SA.  NULL is ok. */
void dp_sa_put(struct dp_sa *sa);

/* A snapshot of an SA for `show qmsas` (keys are never exposed). */
struct dp_sa_info {
	uint32_t spi, ah_spi;
	enum dp_dir dir;
	enum dp_mode mode;
	enum dp_encap encap;
	enum dp_proto proto;
	enum dp_enc enc;
	enum dp_auth esp_auth, ah_auth;
	uint64_t bytes, packets;
	uint64_t seq; /* outbound: last sequence number used;
	               * inbound: highest one accepted */
	bool soft_expired, hard_expired;
};
void dp_sa_info(const struct dp_sa *sa, struct dp_sa_info *out);

/*
 * Soft limit reached (bytes, packets, or the outbound sequence number
 * past 2^32 - 2^20): the engine should rekey now.  Hard: the SA refuses
 * packets (the outbound sequence number never wraps).
 */
bool dp_sa_soft_expired(const struct dp_sa *sa);
bool dp_sa_hard_expired(const struct dp_sa *sa);
#define DP_SEQ_SOFT_LIMIT (UINT32_MAX - (1u << 20))

/* ---- SA database: O(1) by (SPI, protocol, direction) ---------------- */

struct dp_sadb;

struct dp_sadb *dp_sadb_new(unsigned nbuckets);
/* Drops the database's references; SAs still held elsewhere live on. */
void dp_sadb_free(struct dp_sadb *db);
/* Takes a reference; an SA is in at most one database.  Indexed under its ESP
 * SPI (proto ESP) or its AH SPI (AH and AH+ESP).  DP_ERR_EXISTS if the key is
 * taken. */
enum dp_result dp_sadb_insert(struct dp_sadb *db, struct dp_sa *sa);
/* proto: DP_PROTO_ESP or DP_PROTO_AH (an AH+ESP bundle is found by AH). */
enum dp_result dp_sadb_remove(struct dp_sadb *db, uint32_t spi,
                              enum dp_proto proto, enum dp_dir dir);
/* A new reference, or NULL and st->bad_spi++ (st may be NULL). */
struct dp_sa *dp_sadb_lookup(struct dp_sadb *db, uint32_t spi,
                             enum dp_proto proto, enum dp_dir dir,
                             struct dp_stats *st);
unsigned dp_sadb_count(struct dp_sadb *db);
/* Calls fn for each SA under the read lock (fn must not call back in). */
void dp_sadb_foreach(struct dp_sadb *db,
                     void (*fn)(const struct dp_sa *sa, void *arg), void *arg);
/* sum += the database's counters (SA gauges and key events). */
void dp_sadb_stats(struct dp_sadb *db, struct dp_stats *sum);

/* ---- processing ----------------------------------------------------- */

struct dp_worker {
	unsigned slot;         /* < every SA's nslots */
	struct dp_stats stats; /* written by this worker only */
};

/*
 * ESP outbound.  pkt holds one inner IP packet.  On DP_OK it holds the ESP
 * packet (SPI .. ICV) for a raw IPPROTO_ESP socket, or for the UDP socket
 * of port 4500 when the SA says encap=udp (the kernel builds the outer IP
 * and UDP headers).  Transport mode carries the inner payload (IPv4
 * fragments are refused: DP_ERR_INVAL; IPv6 extension headers before
 * the upper layer are not carried); tunnel mode the whole packet.
 * DP_ERR_EXPIRED when a hard limit is reached or the sequence number
 * would wrap.  On error the packet content is undefined.
 */
enum dp_result dp_esp_encap(struct dp_worker *w, struct dp_sa *sa,
                            struct dp_pkt *pkt);

/*
 * ESP inbound against a known SA.  pkt holds the ESP packet (SPI .. ICV)
 * with the outer IP (and UDP) header removed; src/dst are the outer
 * addresses.  On DP_OK pkt holds the inner IP packet (transport mode: a
 * rebuilt IP header with the outer addresses).  Every failure moves
 * exactly one counter of w->stats.
 */
enum dp_result dp_esp_decap(struct dp_worker *w, struct dp_sa *sa,
                            struct dp_pkt *pkt, const struct dp_addr *src,
                            const struct dp_addr *dst);
/* Looks the SPI up (inbound ESP), then dp_esp_decap(). */
enum dp_result dp_esp_input(struct dp_worker *w, struct dp_sadb *db,
                            struct dp_pkt *pkt, const struct dp_addr *src,
                            const struct dp_addr *dst);

/*
 * AH outbound (AH, or AH+ESP: ESP first, then AH).  AH covers the outer
 * IP header, so the result is a complete IPv4/IPv6 packet for an
 * IP_HDRINCL / IPV6_HDRINCL raw socket: transport mode keeps the inner
 * header, tunnel mode builds one from the tunnel endpoints.  The IPv4 ID
 * is set (the ICV covers it) and the checksum filled in.  Packets with
 * IPv4 options or IPv6 extension headers are refused (DP_ERR_INVAL).
 */
enum dp_result dp_ah_encap(struct dp_worker *w, struct dp_sa *sa,
                           struct dp_pkt *pkt);
/*
 * AH inbound: pkt holds the complete outer IP packet (for IPv6, whose
 * raw sockets strip the header, the caller rebuilds the fixed header
 * from the addresses and length).  On DP_OK it holds the inner packet.
 */
enum dp_result dp_ah_decap(struct dp_worker *w, struct dp_sa *sa,
                           struct dp_pkt *pkt);
enum dp_result dp_ah_input(struct dp_worker *w, struct dp_sadb *db,
                           struct dp_pkt *pkt);

/* What came in on UDP port 4500 (RFC 3948 §2). */
enum dp_udp_kind {
	DP_UDP_ESP,       /* an ESP packet (first 4 bytes = SPI != 0) */
	DP_UDP_IKE,       /* non-ESP marker: IKE, strip 4 bytes */
	DP_UDP_KEEPALIVE, /* the single byte 0xFF */
	DP_UDP_INVALID,
};
enum dp_udp_kind dp_udp_classify(const uint8_t *p, size_t len);

#endif
