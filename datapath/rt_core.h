/*
 * rt_core.h - the runtime object and its workers, shared by runtime.c
 * (control thread: start, stop, snapshots, routes) and io.c (the worker
 * threads' packet loop).
 *
 * Snapshots (classifier, SA tables) are reclaimed by quiescent states:
 * a worker publishes in ->qs the global epoch it saw when it went online
 * for a batch, and 0 while it holds no snapshot pointer (between batches,
 * asleep).  An object retired at epoch e may be freed once every worker
 * has qs == 0 or qs >= e.  All loads and stores of qs, epoch and the
 * snapshot pointers are sequentially consistent, which is what makes the
 * "went online just as the writer looked" race safe (see rt_online()).
 */
#ifndef IPSECSH_DP_RT_CORE_H
#define IPSECSH_DP_RT_CORE_H

#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "rt_int.h"

#define RT_BATCH_MAX 128u
#define VNET_HLEN 10      /* struct virtio_net_hdr */
#define GRO_MAX 8         /* flows coalesced at once per worker */
#define GRO_MAXLEN 65535u /* an IPv4 datagram's limit */
#define TSO_MAXLEN 65600u /* a super-packet from the TUN device */
#define RT_CTL_LEN 64     /* IP(V6)_PKTINFO and UDP_SEGMENT */
#define UDP_GSO_MAX 64    /* segments per UDP GSO send (the kernel's limit) */
#define UDP_GSO_BYTES 65000u

/* Output queues of a worker: one per socket it sends on. */
enum rt_txq {
	TX_ESP4, /* raw IPPROTO_ESP, kernel builds the IPv4 header */
	TX_ESP6,
	TX_UDP4, /* ESP in UDP, this worker's socket */
	TX_UDP6,
	TX_AH4,  /* raw IPPROTO_AH with IP_HDRINCL: complete packets */
	TX_RAW4, /* raw IPPROTO_RAW (header included): clear packets */
	TX_RAW6, /* ... and complete IPv6 AH packets */
	TX_COUNT
};

union rt_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

/*
 * A batch of datagrams for one socket: n messages over niov packets (one
 * iovec each).  Receiving and most sending use one packet per message;
 * UDP with segmentation offload puts a run of equal-size packets to one
 * peer into one message (UDP_SEGMENT = their size).
 */
struct rt_batch {
	unsigned n, niov;
	struct mmsghdr msg[RT_BATCH_MAX];
	struct iovec iov[RT_BATCH_MAX];
	union rt_sockaddr name[RT_BATCH_MAX];
	union {
		struct cmsghdr align;
		uint8_t b[RT_CTL_LEN];
	} ctl[RT_BATCH_MAX];
	struct dp_pkt *pkt[RT_BATCH_MAX]; /* by iovec */
	struct dp_addr src[RT_BATCH_MAX]; /* by message; family 0: none */
	uint32_t bytes[RT_BATCH_MAX];     /* by message */
};

/* A TCP super-packet being coalesced for the TUN device (offload.c). */
struct gro {
	bool used, closed;
	int family;
	size_t l3len, thl, len, mss;
	unsigned nseg;
	uint32_t next_seq;
	uint8_t *buf; /* VNET_HLEN + GRO_MAXLEN */
};

struct rt_worker {
	struct dp_runtime *rt;
	unsigned idx;
	pthread_t thread;
	bool started;
	int ep, tun, ev, udp4, udp6;
	struct dp_pool *pool;
	struct dp_worker dw;    /* slot = idx, core counters */
	struct dp_rt_stats ctr; /* this worker's, single writer */
	_Atomic uint64_t qs __attribute__((aligned(64)));
	uint64_t last_tick;
	struct rt_batch rx;
	struct rt_batch tx[TX_COUNT];
	unsigned ntun;
	struct dp_pkt *tunq[RT_BATCH_MAX];
	/* TUN offloads (IFF_VNET_HDR), UDP segmentation offload */
	bool vnet, udp_gso;
	uint8_t *big; /* a super-packet read: room of a pool buffer + TSO */
	struct gro gro[GRO_MAX];
	unsigned gro_next;
} __attribute__((aligned(64)));

struct rt_retired {
	uint64_t epoch;
	struct dp_classifier *cls; /* one of the two */
	struct satab *tab;
	struct rt_retired *next;
};

struct rt_sysctl {
	char path[128];
	char old[16];
	struct rt_sysctl *next;
};

struct dp_runtime {
	struct dp_runtime_config cfg;
	char tun_name[IFNAMSIZ];
	int ifindex;
	unsigned nw;
	struct rt_worker *w;
	struct dp_sadb *sadb;
	/* Shared sockets (-1 when absent, e.g. no IPv6). */
	int esp4, esp6, ah4, ah6, raw4, raw6;
	struct nl *nl;
	bool rules4, rules6, suppress4, suppress6;
	struct rt_sysctl *sysctls;
	struct acq_table *acq;

	/* Published snapshots and the reclamation epoch. */
	_Atomic(struct dp_classifier *) cls;
	_Atomic(struct satab *) tab;
	_Atomic uint64_t epoch;
	atomic_bool flush; /* an outbound SA came: release queued packets */
	atomic_bool stop;

	/* Control thread state. */
	pthread_mutex_t ctl;
	struct dp_sa **sas; /* SAs we were told about, one ref each */
	size_t nsas, capsas;
	unsigned defer;   /* dp_runtime_sa_defer depth */
	bool sas_dirty;   /* changed while deferred: publish at the end */
	bool flush_owed;  /* an outbound SA came while deferred */
	pthread_mutex_t retire_lock;
	struct rt_retired *retired;
};

/* Epoll tags: what a ready descriptor is. */
enum rt_tag {
	TAG_TUN,
	TAG_EV,
	TAG_ESP4,
	TAG_ESP6,
	TAG_AH4,
	TAG_AH6,
	TAG_UDP4,
	TAG_UDP6,
};

void *rt_worker_main(void *arg);

struct virtio_net_hdr;
/* Cuts the TCP super-packet (p, len) described by vh into segments in
 * w's pool, each with full checksums, calling emit for each: the number
 * of segments, or -1 (not a TCP packet we cut, or no buffers). */
int off_segment(struct rt_worker *w, const struct virtio_net_hdr *vh,
                const uint8_t *p, size_t len,
                void (*emit)(void *arg, struct dp_pkt *pkt), void *arg);
/* Completes a partial checksum (NEEDS_CSUM): the one's-complement sum
 * from start to the end goes, inverted, into the field at field. */
void off_csum_finish(uint8_t *p, size_t len, size_t start, size_t field);
/* Takes pkt into a coalesced TCP write if it is a plain data segment
 * (true: pkt consumed), else false; writes what must go before it. */
bool off_gro_add(struct rt_worker *w, struct dp_pkt *pkt);
/* Writes every pending coalesced packet. */
void off_gro_flush(struct rt_worker *w);
/* Frees retired snapshots whose grace period is over. */
void rt_reclaim(struct dp_runtime *rt);
void rt_wake(struct rt_worker *w);

/* Single-writer counter bump of a worker's own counters. */
#define RT_CTR_ADD(w, field, n)                                                \
	__atomic_store_n(&(w)->ctr.field,                                      \
	                 __atomic_load_n(&(w)->ctr.field, __ATOMIC_RELAXED) +  \
	                     (n),                                              \
	                 __ATOMIC_RELAXED)
#define RT_CTR_INC(w, field) RT_CTR_ADD(w, field, 1)

#endif
