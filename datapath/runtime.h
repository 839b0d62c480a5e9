/*
 * runtime.h - the I/O half of the IPsec driver: the filter classifier,
 * the TUN device, the ESP/AH/UDP sockets, the policy routing that sends
 * protected traffic into the TUN device, and the worker threads that move
 * packets through the datapath core (datapath.h).
 *
 * Like datapath.h it knows nothing else of the project: the engine turns
 * its compiled filters (spd_specific) into struct dp_filter and its SAs
 * are the core's struct dp_sa.
 *
 * The path of a packet:
 *   out: an application's packet is routed into the TUN device (a route
 *        per protected prefix in a private table, see "Routing" below); a
 *        worker reads it, classifies it with the OUTBOUND action of the
 *        first matching filter and then
 *          permit (or no filter matches)  sends it as it is, clear, on a
 *                                         raw IP socket carrying the mark;
 *          block                          drops it (counted);
 *          negotiate                      finds the outbound SA (below),
 *                                         encapsulates it and sends it on
 *                                         the raw ESP socket, the UDP
 *                                         socket (encap=udp) or the AH
 *                                         socket; with no SA it queues the
 *                                         packet (bounded) and raises an
 *                                         acquire.
 *   in:  ESP on the raw ESP sockets or UDP (port 4500, RFC 3948), AH on
 *        the raw AH sockets: the core authenticates, decrypts and checks
 *        the SA's selectors; then the INBOUND action of the first
 *        matching filter: block drops it (counted), anything else (or no
 *        filter) delivers it by writing it to the TUN device.  Clear
 *        packets from the network never reach the runtime: the kernel
 *        delivers them; the engine's nftables table (engine/nft.h)
 *        enforces the inbound action on them.
 *
 * No policy means clear text: a packet that matches no filter is
 * permitted in both directions.
 *
 * Outbound SA selection: for a filter in transport mode the SA is looked
 * up by the packet's destination address (an outbound SA whose selector
 * destination is that host), in tunnel mode by the filter's tunnel_dst
 * (an outbound SA whose tunnel destination it is); among those, the most
 * recently added SA whose selectors match the packet and that is not
 * hard-expired wins (so a rekeyed SA takes over as soon as it is added).
 * Transport SAs whose selector destination is a prefix or "any" are tried
 * after the exact ones.
 *
 * Routing (wg-quick's scheme): at start the runtime adds, for IPv4 and
 * IPv6, the rule "not fwmark MARK lookup TABLE" (priority rule_pref), and
 * dp_runtime_route_add() puts a route for each protected prefix into
 * TABLE via the TUN device.  Every socket of the runtime carries SO_MARK =
 * MARK, so what it sends skips TABLE and follows the main table: nothing
 * loops, also in transport mode between two hosts on one link where the
 * peer's own address is protected.  The engine marks its IKE sockets the
 * same way (dp_runtime_fwmark()).  wg-quick's second rule, "lookup main
 * suppress_prefixlength 0" placed BEFORE the first, is optional
 * (keep_main_routes): it lets every main-table route other than the
 * default win over TABLE, which is right when TABLE holds a default route
 * but would let a connected route on a shared link carry a protected
 * peer's traffic in clear; so it is off by default.  The rules are
 * removed at stop; the routes go with the TUN device.
 *
 * Reverse-path filtering: decrypted packets enter through the TUN device
 * with a source inside a protected prefix, whose route points back into
 * the TUN device, so strict rp_filter accepts them.  ESP from a peer whose
 * OWN address is protected (transport mode) arrives on the physical
 * interface while the reverse route points into the TUN device: strict
 * rp_filter (1) on that interface would drop it, so the runtime sets
 * rp_filter to loose (2) on interfaces where it is strict, when
 * loose_rp_filter is set (the default; the value found is put back at
 * stop).  It also sets src_valid_mark=1, as wg-quick does, so a mark on a
 * received packet (restored by a firewall from conntrack, say) is used by
 * the reverse-path lookup.
 *
 * Threads and ownership:
 *   - "the control thread" is whichever single thread calls the
 *     dp_runtime_* functions (the engine's main loop); they are serialised
 *     by a mutex, but are meant for one thread and may take a few
 *     microseconds (they never wait for the workers).
 *   - Workers (one per TUN queue, nqueues of them) own their TUN queue,
 *     packet pool, and counters.  Worker i uses crypto slot i of every SA,
 *     so SAs handed to the runtime must have nslots >= dp_runtime_nslots().
 *   - Classifier and SA tables are immutable snapshots published with an
 *     atomic pointer swap; the old one is freed once every worker has
 *     passed a quiescent point (between two batches, or asleep), i.e. RCU
 *     by quiescent states.  dp_runtime_set_filters() takes ownership of
 *     the classifier; the runtime keeps its own reference on every SA it
 *     was told about (dp_runtime_sa_added) until dp_runtime_sa_removed()
 *     and the next quiescent point.
 *   - Callbacks (acquire, ike_input) run on a worker thread, must not
 *     block and must not call dp_runtime_* functions other than
 *     dp_runtime_stats(); the engine queues and wakes its loop.
 *
 * No allocation per packet: each worker has its own packet pool; packets
 * waiting for an SA are copied into a preallocated queue.
 *
 * Speed: every wakeup handles a batch (up to cfg.batch TUN reads,
 * recvmmsg, one sendmmsg per output socket).  Unless no_offload is set,
 * the TUN device runs with virtio-net headers as wireguard-go's does:
 * the kernel hands over TCP super-packets of up to 64 KB (TSO) that the
 * worker cuts into segments with full checksums before ESP, and
 * consecutive decrypted segments of a TCP flow are coalesced into one
 * write (GRO); ESP-in-UDP leaves in runs of equal-size packets, one send
 * each with UDP segmentation offload (UDP_SEGMENT).  Raw ESP has no
 * such offload: one packet per message of a sendmmsg.
 */
#ifndef IPSECSH_DP_RUNTIME_H
#define IPSECSH_DP_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datapath.h"

/* ---- filters and classifier ---------------------------------------- */

#define DP_ACTIONS(X)                                                          \
	X(DP_ACT_PERMIT, "permit")                                             \
	X(DP_ACT_BLOCK, "block")                                               \
	X(DP_ACT_NEGOTIATE, "negotiate")
enum dp_action { DP_ACTIONS(DP_X_ENUM2) };
const char *dp_action_name(enum dp_action a);

/*
 * One quick mode filter.  sel is seen in the direction of travel from
 * sel.src to sel.dst (an outbound packet from us to the peer, or an
 * inbound one from the peer to us: the engine gives mirrored rules a
 * swapped twin).  sel.src/dst family 0 = any address of either family;
 * proto 0 = any; ports 0 = any (a port matches only TCP, UDP, SCTP and
 * UDP-Lite packets, which are the only ones with ports).  Match semantics
 * are exactly dp_selector_match().
 */
struct dp_filter {
	struct dp_selector sel;
	enum dp_action inbound, outbound;
	bool tunnel;               /* tunnel mode: SA found by tunnel_dst */
	struct dp_addr tunnel_dst; /* the peer gateway (tunnel mode) */
	uint32_t id;               /* the engine's rule id (in acquires) */
};

struct dp_classifier;

/*
 * Compiles n filters, given most specific first: the FIRST filter that
 * matches a packet decides.  The filters are copied.  The lookup cost
 * does not grow with n: filters are grouped by the shape of their
 * selector (families, prefix lengths, which of protocol and ports are
 * set) with one hash table per shape, and the shapes are tried in order
 * of the first filter they hold, stopping as soon as no later shape can
 * hold an earlier filter (tuple space search with priorities).  The cost
 * is one hash probe per distinct shape, a handful in practice.
 * DP_ERR_INVAL for a family other than 0 / AF_INET / AF_INET6 or an
 * action out of range; DP_ERR_NOMEM.  n = 0 is valid (permit all).
 */
enum dp_result dp_classifier_build(const struct dp_filter *filters, size_t n,
                                   struct dp_classifier **out);
void dp_classifier_free(struct dp_classifier *c);
size_t dp_classifier_count(const struct dp_classifier *c);
/* Distinct selector shapes (hash tables), for tests and `show`. */
size_t dp_classifier_shapes(const struct dp_classifier *c);
/* The first filter that matches f, or NULL.  c may be NULL (no policy). */
const struct dp_filter *dp_classify(const struct dp_classifier *c,
                                    const struct dp_flow *f);

/* ---- the runtime ---------------------------------------------------- */

#define DP_RUNTIME_TUN_NAME "ipsec0"
#define DP_RUNTIME_FWMARK 0x4953u /* "IS" */
#define DP_RUNTIME_TABLE 0x4953u
#define DP_RUNTIME_RULE_PREF 0x4953u
#define DP_RUNTIME_MTU 1400u
#define DP_RUNTIME_NATT_PORT 4500u
#define DP_RUNTIME_MAX_QUEUES 64u

/* Raised once per peer while packets for it wait for an outbound SA. */
struct dp_acquire {
	uint32_t filter_id; /* the filter's id: the engine's rule */
	bool tunnel;
	struct dp_addr peer;     /* tunnel: the filter's tunnel_dst;
	                          * transport: the packet's destination */
	struct dp_addr src, dst; /* the packet that triggered it */
	uint8_t proto;
	uint16_t sport, dport;
};

struct dp_runtime_config {
	const char *tun_name;    /* NULL: DP_RUNTIME_TUN_NAME */
	unsigned nqueues;        /* TUN queues = workers; 0: online CPUs */
	unsigned mtu;            /* TUN MTU; 0: DP_RUNTIME_MTU, which leaves
	                          * room for ESP-in-UDP over IPv6 with GCM or
	                          * CBC + SHA-256 within 1500 */
	uint32_t fwmark;         /* 0: DP_RUNTIME_FWMARK */
	uint32_t table;          /* 0: DP_RUNTIME_TABLE */
	uint32_t rule_pref;      /* 0: DP_RUNTIME_RULE_PREF */
	bool no_routing;         /* no rules and no sysctls (routes still go
	                          * into the table) */
	bool keep_main_routes;   /* add wg-quick's "lookup main
	                          * suppress_prefixlength 0" before the rule */
	bool loose_rp_filter;    /* see "Reverse-path filtering" */
	uint16_t natt_port;      /* UDP port for ESP-in-UDP and IKE over
	                          * NAT-T; 0: DP_RUNTIME_NATT_PORT */
	unsigned queue_per_peer; /* packets awaiting an SA per peer; 0: 32 */
	unsigned queue_limit;    /* ... in total; 0: 1024 */
	unsigned acquire_timeout_ms; /* 0: 30000 */
	unsigned pool_size;          /* packet buffers per worker; 0: 1024 */
	unsigned batch;              /* packets per read/send batch; 0: 64 */
	bool no_offload; /* plain TUN: no IFF_VNET_HDR, TSO in, GRO out */
	unsigned txqlen; /* TUN transmit ring per queue; 0: 4096.
	                  * TUN drops (no backpressure) when it is
	                  * full, and TCP keeps up to ~1 MB per
	                  * flow in flight below the socket */
	/* Called on a worker thread; see "Threads" above.  NULL: none. */
	void (*acquire)(void *arg, const struct dp_acquire *a);
	/* An IKE message on the NAT-T port (non-ESP marker stripped). */
	void (*ike_input)(void *arg, const uint8_t *msg, size_t len,
	                  const struct dp_addr *src, const struct dp_addr *dst,
	                  uint16_t sport, uint16_t dport);
	void *arg;
};

/* Zeroes c and sets loose_rp_filter (every 0 means "the default"). */
void dp_runtime_config_init(struct dp_runtime_config *c);

/*
 * The runtime's own counters, next to the core's struct dp_stats.
 * "gauge" ones are current values, the rest only grow.
 */
#define DP_RT_STATS(X)                                                         \
	X(permitted, "Packets Permitted In Clear")                             \
	X(soft_clear, "Packets Sent In Clear To Soft Peers")                   \
	X(blocked_out, "Outbound Packets Blocked")                             \
	X(blocked_in, "Inbound Packets Blocked")                               \
	X(queued, "Packets Queued For Negotiation")                            \
	X(queue_drops, "Queued Packets Dropped")                               \
	X(queue_len, "Packets Awaiting An SA")                                 \
	X(acquires, "Acquires Raised")                                         \
	X(acquire_timeouts, "Acquires Timed Out")                              \
	X(tun_rx, "Packets Read From TUN")                                     \
	X(tun_tx, "Packets Written To TUN")                                    \
	X(net_rx, "Packets Received From The Network")                         \
	X(net_tx, "Packets Sent To The Network")                               \
	X(ike_rx, "IKE Packets On The NAT-T Port")                             \
	X(keepalives, "NAT-T Keepalives Received")                             \
	X(encap_errors, "Packets Not Encapsulated")                            \
	X(decap_errors, "Packets Not Decapsulated")                            \
	X(no_slot, "Packets For SAs Without A Worker Slot")                    \
	X(tx_errors, "Send Errors")                                            \
	X(rx_errors, "Receive Errors")                                         \
	X(oversize, "Oversized Packets Dropped")                               \
	X(ignored, "Link-Local And Multicast Packets Ignored")                 \
	X(tso_split, "TCP Super-Packets Segmented")                            \
	X(gro_merged, "Segments Coalesced Into TUN Writes")

#define DP_X_FIELD_RT(id, label) uint64_t id;
struct dp_rt_stats {
	DP_RT_STATS(DP_X_FIELD_RT)
};
#define DP_X_INDEX_RT(id, label) DP_RT_STAT_##id,
enum dp_rt_stat_index { DP_RT_STATS(DP_X_INDEX_RT) DP_RT_STAT_COUNT };
struct dp_rt_stat_desc {
	const char *label;
	size_t offset;
};
extern const struct dp_rt_stat_desc dp_rt_stat_descs[DP_RT_STAT_COUNT];

struct dp_runtime;

/*
 * Creates the TUN device (multi-queue, IFF_TUN | IFF_NO_PI, MTU, up),
 * the sockets (raw ESP and AH for IPv4 and IPv6, raw IP for clear and
 * AH output, UDP on the NAT-T port, all marked), the routing rules, and
 * starts the workers.  sadb is the engine's SA database (the fallback
 * for inbound SPIs the runtime was not told about); it must outlive the
 * runtime.  Needs CAP_NET_ADMIN and CAP_NET_RAW.  On failure nothing is
 * left behind and err says why.
 */
int dp_runtime_start(const struct dp_runtime_config *cfg, struct dp_sadb *sadb,
                     struct dp_runtime **out, char *err, size_t errlen);
/* Stops and joins the workers, removes the rules, closes the device and
 * the sockets, drops every SA reference and queued packet.  NULL ok. */
void dp_runtime_stop(struct dp_runtime *rt);

/* Crypto slots every SA needs (the number of workers). */
unsigned dp_runtime_nslots(const struct dp_runtime *rt);
/* The mark of the runtime's sockets, for the engine's IKE sockets. */
uint32_t dp_runtime_fwmark(const struct dp_runtime *rt);
const char *dp_runtime_tun_name(const struct dp_runtime *rt);
int dp_runtime_tun_ifindex(const struct dp_runtime *rt);

/* Installs c (ownership passes to the runtime, even on NULL = no
 * policy); the previous classifier is freed after a grace period. */
void dp_runtime_set_filters(struct dp_runtime *rt, struct dp_classifier *c);
/* dp_classifier_build() + dp_runtime_set_filters(); on failure the
 * filters in force stay. */
enum dp_result dp_runtime_set_filter_array(struct dp_runtime *rt,
                                           const struct dp_filter *f, size_t n);

/*
 * The engine added an SA to its database (call after dp_sadb_insert) or
 * is about to remove one.  The runtime takes / drops its own reference.
 * Adding an outbound SA releases the packets queued for its peer.
 * DP_ERR_INVAL when the SA has fewer crypto slots than the runtime has
 * workers (it is then not used by the runtime), DP_ERR_EXISTS when it
 * was already added, DP_ERR_NOMEM.
 */
enum dp_result dp_runtime_sa_added(struct dp_runtime *rt, struct dp_sa *sa);
void dp_runtime_sa_removed(struct dp_runtime *rt, struct dp_sa *sa);

/*
 * Batches SA changes: between dp_runtime_sa_defer(rt, true) and the
 * matching (rt, false), dp_runtime_sa_added/removed only update the
 * runtime's list; the end publishes one table for all of them (each
 * publication rebuilds the whole table, so a burst of N setups would
 * otherwise cost O(N^2)).  Until then the workers use the table before
 * the batch.  Nests.
 */
void dp_runtime_sa_defer(struct dp_runtime *rt, bool on);

/*
 * The negotiation for peer failed: drops what was queued for it (counted
 * as queue drops) so that the next packet raises a new acquire.
 */
void dp_runtime_acquire_failed(struct dp_runtime *rt, bool tunnel,
                               const struct dp_addr *peer);

/*
 * A soft association with peer (the negotiation got no answer and the
 * policy says soft=yes): for seconds, outbound packets that would wait
 * for its SA go in clear text instead; seconds 0 ends it.  -1 when too
 * many peers are soft at once.
 */
int dp_runtime_soft(struct dp_runtime *rt, bool tunnel,
                    const struct dp_addr *peer, uint32_t seconds);

/*
 * A route for the protected prefix dst/plen into the private table via
 * the TUN device (replacing one that is there).  prefsrc (NULL: none)
 * becomes the route's preferred source, e.g. the local inner address of
 * a tunnel.  -1 with err set on failure.
 */
int dp_runtime_route_add(struct dp_runtime *rt, const struct dp_addr *dst,
                         unsigned plen, const struct dp_addr *prefsrc,
                         char *err, size_t errlen);
int dp_runtime_route_del(struct dp_runtime *rt, const struct dp_addr *dst,
                         unsigned plen, char *err, size_t errlen);

/* Sends an IKE message on the NAT-T port (the non-ESP marker is added);
 * src may be NULL (the kernel picks).  -1 with errno set on failure. */
int dp_runtime_ike_send(struct dp_runtime *rt, const uint8_t *msg, size_t len,
                        const struct dp_addr *src, const struct dp_addr *dst,
                        uint16_t dport);

/*
 * sum += the workers' core counters (the SA database's own counters are
 * not included: dp_sadb_stats adds them); extra (may be NULL) is set to
 * the runtime's counters.  Any thread; relaxed reads of live counters.
 */
void dp_runtime_stats(struct dp_runtime *rt, struct dp_stats *sum,
                      struct dp_rt_stats *extra);

#endif
