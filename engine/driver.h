/*
 * driver.h - the service's IPsec driver: the datapath runtime (TUN
 * device, ESP sockets, workers) kept in step with the live state.
 *
 * The driver registers itself as live's hooks: every SPD commit hands
 * the compiled filters to the runtime's classifier and routes their
 * destinations into the TUN device; every SA added or removed goes to the
 * runtime's outbound index; `show stats` reads the runtime's counters.
 * Acquires raised by the workers reach the service's loop through a
 * wakeup and move the IKE statistics (the negotiator of issue 4 will
 * consume them).
 *
 * Inbound enforcement (nft.h): clear-text packets from the network never
 * reach the TUN device, so the driver also keeps one nftables table,
 * "ipsecsh_<TUN name>", in step with the policy.  At start it loads the
 * boot mode (config bootmode and bootexemptions), before the policy
 * agent's first load; every SPD commit then replaces it by the same
 * compiled filters the datapath gets, with each negotiate filter's
 * inpass and soft taken from its rule's quick mode policy.  Negotiated
 * soft associations add their peer (driver_soft_peer).  A table that
 * cannot be loaded is logged, counted ("Packet Filter Updates Failed" in
 * `show stats`) and shown by `service status`; the datapath's filters
 * apply all the same and the table keeps its previous rules.  The table
 * is deleted at stop: without a service, clear text passes.  A service
 * that dies without stopping leaves its table, so its peers stay
 * protected until the next start replaces it.  ipsecexempt and the boot
 * mode are read at start (as netsh, which wants a restart for them).
 *
 * Everything here runs in the service's main thread, except the acquire
 * callback, which only queues and wakes.
 */
#ifndef IPSECSH_DRIVER_H
#define IPSECSH_DRIVER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "ctl.h"
#include "live.h"
#include "runtime.h"

struct loop;
struct driver;

struct driver_config {
	const char *tun_name; /* NULL: DP_RUNTIME_TUN_NAME */
	unsigned nqueues;     /* 0: one per CPU */
	uint16_t natt_port;   /* 0: 4500 */
	uint16_t ike_port;    /* the negotiator's; 0: 500 */
	/* The service's: ipsecexempt, bootmode, bootexemptions.  NULL:
	 * the defaults.  Read in driver_start only. */
	const struct config *config;
};

int driver_start(struct loop *loop, struct live *live,
		 const struct driver_config *cfg, struct driver **out,
		 char *err, size_t errlen);
/* Stops the runtime (routes and rules removed) and detaches from live. */
void driver_stop(struct driver *d);

/*
 * The negotiator's side: acquires raised by the workers, and IKE
 * messages that arrived on the NAT-T port (non-ESP marker removed), both
 * delivered in the loop's thread.  Without handlers acquires are only
 * counted (Total Acquire) and IKE messages dropped.
 */
struct driver_ike {
	void (*acquire)(void *arg, const struct dp_acquire *a);
	void (*input)(void *arg, const uint8_t *msg, size_t len,
		      const struct dp_addr *src, const struct dp_addr *dst,
		      uint16_t sport, uint16_t dport);
	void *arg;
};
void driver_set_ike(struct driver *d, const struct driver_ike *h);
/* The runtime (for sending on the NAT-T port, its fwmark). */
/* Batches the SA changes of a burst into one table for the workers
 * (dp_runtime_sa_defer); every on needs its off. */
void driver_defer_sas(struct driver *d, bool on);
struct dp_runtime *driver_runtime(struct driver *d);

/* The runtime's own counters (queued packets, acquires, ...). */
void driver_rt_stats(struct driver *d, struct dp_rt_stats *out);

/*
 * A soft association with peer began (add) or ended: clear text from
 * peer is accepted by the filters whose quick mode policy has soft=yes,
 * and by nothing else.  Adding a present peer and removing an absent one
 * succeed; 0 also when no table enforces (nothing to open).  -1 when the
 * kernel refused (logged).  In the loop's thread.
 */
int driver_soft_peer(struct driver *d, const struct dp_addr *peer, bool add);

/* For `service status`: the table, what it holds (boot mode or the
 * policy) and its last error. */
void driver_status(struct driver *d, struct ctl_status *st);

#endif
