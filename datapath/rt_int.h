/*
 * rt_int.h - private parts of the runtime (runtime.h), shared by its
 * files and by the unit tests: the SA tables the workers read, the queue
 * of packets waiting for an SA, the TUN device and rtnetlink helpers.
 */
#ifndef IPSECSH_DP_RT_INT_H
#define IPSECSH_DP_RT_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "runtime.h"

/* ---- SA tables (satab.c) -------------------------------------------- */

/*
 * An immutable snapshot of the SAs the runtime knows: outbound ones by
 * peer (transport: the selector's destination host; tunnel: the tunnel
 * destination), inbound ones by (SPI, protocol) as the SA database keys
 * them.  It holds one reference on each SA; workers use the SAs without
 * taking references while the snapshot is current or in its grace
 * period.
 */
struct satab;

/* sas[0..n) in order of addition (later = newer = preferred). */
struct satab *satab_build(struct dp_sa *const *sas, size_t n);
void satab_free(struct satab *t);
/*
 * The outbound SA for a packet with flow f: tunnel = the filter's mode,
 * peer = the filter's tunnel_dst (tunnel) or f->dst (transport).  NULL:
 * none (or only hard-expired ones).
 */
struct dp_sa *satab_out(const struct satab *t, bool tunnel,
                        const struct dp_addr *peer, const struct dp_flow *f);
/* Whether some outbound SA serves peer (any selectors). */
bool satab_has_peer(const struct satab *t, bool tunnel,
                    const struct dp_addr *peer);
/* Inbound SA by SPI: proto DP_PROTO_ESP or DP_PROTO_AH. */
struct dp_sa *satab_in(const struct satab *t, uint32_t spi,
                       enum dp_proto proto);

/* The peer key of an outbound SA; false if it has none (transport SA
 * whose selector destination is not one host). */
bool sa_peer_key(const struct dp_sa *sa, bool *tunnel, struct dp_addr *peer);

/* ---- packets awaiting an SA (acquire.c) ------------------------------ */

struct acq_table;

struct acq_limits {
	unsigned per_peer;   /* packets per peer */
	unsigned total;      /* packets in all */
	unsigned max_peers;  /* peers with a pending acquire */
	uint32_t pkt_size;   /* largest packet kept */
	uint64_t timeout_ms; /* acquire lifetime */
};

struct acq_counters {
	uint64_t queued, queue_drops, acquires, acquire_timeouts, queue_len;
};

struct acq_table *acq_new(const struct acq_limits *lim);
void acq_free(struct acq_table *t);

/*
 * Queues a copy of (p, len) for (tunnel, peer).  Returns 1 when this is
 * the first packet for the peer since its last acquire was satisfied,
 * failed or timed out: the caller raises the acquire; 0 when queued
 * behind a pending acquire; -1 when
 * dropped (too big, or no room for a new peer).  When a bound is hit,
 * the oldest packet (of the peer, or of all) is dropped to make room.
 */
int acq_enqueue(struct acq_table *t, bool tunnel, const struct dp_addr *peer,
                const uint8_t *p, size_t len, uint64_t now_ms);
/*
 * Takes every queued packet of the peers for which ready(arg, tunnel,
 * peer) is true, oldest first, copying each into a buffer of pool (at
 * most max of them; the rest stay queued) and linking them through
 * ->next into *out.  Returns the number taken.
 */
size_t acq_take_ready(struct acq_table *t,
                      bool (*ready)(void *arg, bool tunnel,
                                    const struct dp_addr *peer),
                      void *arg, struct dp_pool *pool, size_t max,
                      struct dp_pkt **out);
/* Drops the peers whose acquire is older than the timeout. */
void acq_expire(struct acq_table *t, uint64_t now_ms);
/* Drops what is queued for one peer (its negotiation failed). */
void acq_drop_peer(struct acq_table *t, bool tunnel,
                   const struct dp_addr *peer);
/*
 * Soft associations (netsh's soft=yes): the negotiation with peer got no
 * answer, so its traffic may go in clear text until until_ms (0 ends it
 * at once).  Held in the same table: at most max_peers of them.  -1 when
 * full.  acq_soft() is what a worker asks before queueing.
 */
int acq_set_soft(struct acq_table *t, bool tunnel, const struct dp_addr *peer,
                 uint64_t until_ms);
bool acq_soft(struct acq_table *t, bool tunnel, const struct dp_addr *peer,
              uint64_t now_ms);
/* Packets queued now. */
unsigned acq_len(struct acq_table *t);
void acq_counters(struct acq_table *t, struct acq_counters *c);

/* ---- TUN device (tun.c) and rtnetlink (netlink.c) -------------------- */

/* Opens n queues of the multi-queue TUN device name (non-blocking),
 * with virtio-net headers and TCP segmentation offload when *vnet,
 * sets its MTU and transmit queue length, keeps IPv6 from giving it a
 * link-local address (no router or multicast chatter into the device)
 * and brings it up.  fds[] gets them; -1 with err. */
int tun_open(const char *name, unsigned n, unsigned mtu, unsigned txqlen,
             bool *vnet, int *fds, int *ifindex, char *err, size_t errlen);

struct nl;
struct nl *nl_open(char *err, size_t errlen);
void nl_close(struct nl *nl);
/* "[not] fwmark MARK lookup TABLE" (invert) or, with suppress,
 * "lookup main suppress_prefixlength 0"; family AF_INET / AF_INET6. */
int nl_rule(struct nl *nl, bool add, int family, uint32_t pref, uint32_t mark,
            uint32_t table, bool suppress, char *err, size_t errlen);
int nl_route(struct nl *nl, bool add, const struct dp_addr *dst, unsigned plen,
             const struct dp_addr *prefsrc, int ifindex, uint32_t table,
             char *err, size_t errlen);

/* Monotonic milliseconds. */
uint64_t rt_now_ms(void);

#endif
