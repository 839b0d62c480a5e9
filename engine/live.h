/*
 * live.h - the service's live state as the dynamic commands see it: the
 * SPD, its compiled ("specific") filters, the security associations
 * (manually keyed now, negotiated later) and the IKE statistics.
 *
 * Owned by the service's main thread.  The datapath reads what live
 * hands it (compiled filters, SAs) through the apply hook, which the
 * service sets when its datapath runs; without one (tests, no driver)
 * the state is kept and shown all the same.
 */
#ifndef IPSECSH_LIVE_H
#define IPSECSH_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "datapath.h"
#include "spd.h"

/*
 * IKE main mode statistics (reference §5.3), in netsh's order and
 * spelling.  The negotiator moves most of them; the datapath's acquires
 * move Active Acquire and Total Acquire.
 */
#define LIVE_IKE_STATS(X)                                                 \
	X(active_acquire, "Active Acquire")                               \
	X(active_receive, "Active Receive")                               \
	X(acquire_failures, "Acquire Failures")                           \
	X(receive_failures, "Receive Failures")                           \
	X(send_failures, "Send Failures")                                 \
	X(acquire_heap_size, "Acquire Heap Size")                         \
	X(receive_heap_size, "Receive Heap Size")                         \
	X(authentication_failures, "Authentication Failures")             \
	X(negotiation_failures, "Negotiation Failures")                   \
	X(invalid_cookies, "Invalid Cookies Received")                    \
	X(total_acquire, "Total Acquire")                                 \
	X(total_get_spi, "Total Get SPI")                                 \
	X(key_additions, "Key Additions")                                 \
	X(key_updates, "Key Updates")                                     \
	X(get_spi_failures, "Get SPI Failures")                           \
	X(key_addition_failures, "Key Addition Failures")                 \
	X(key_update_failures, "Key Update Failures")                     \
	X(isadb_list_size, "ISADB List Size")                             \
	X(connection_list_size, "Connection List Size")                   \
	X(ike_main_mode, "IKE Main Mode")                                 \
	X(ike_quick_mode, "IKE Quick Mode")                               \
	X(soft_associations, "Soft Associations")                         \
	X(invalid_packets, "Invalid Packets Received")

#define LIVE_X_FIELD(id, label) uint64_t id;
struct live_ike_stats {
	LIVE_IKE_STATS(LIVE_X_FIELD)
};

struct live_ike_stat_desc {
	const char *label;
	size_t offset;
};
extern const struct live_ike_stat_desc live_ike_stat_descs[];
extern const size_t live_ike_stat_count;

/* One security association as `show qmsas` describes it (no keys). */
struct live_sa {
	uint32_t spi;
	enum dp_dir dir;
	enum dp_mode mode;
	enum dp_encap encap;
	char srcaddr[64], dstaddr[64];	   /* the protected traffic */
	char tunnelsrc[64], tunneldst[64]; /* tunnel mode */
	char secmethod[128];		   /* canonical offer */
	bool manual;
	time_t added;
	struct dp_sa *sa;		   /* one reference */
};

struct live;
struct ike;

struct live_hooks {
	/* The compiled filters changed: hand them to the datapath. */
	void (*filters)(void *arg, const struct spd_specific *f, size_t n);
	/* An SA was added or is about to be removed. */
	void (*sa_added)(void *arg, const struct live_sa *s);
	void (*sa_removed)(void *arg, const struct live_sa *s);
	/* The datapath's counters (summed over its workers). */
	void (*dp_stats)(void *arg, struct dp_stats *sum);
	/* The driver's own counters (queued, blocked, ...): up to max
	 * labels and values; returns how many. */
	size_t (*driver_stats)(void *arg, const char **labels,
			       uint64_t *values, size_t max);
	void *arg;
};

struct live *live_new(const struct spd_resolver *res);
/* Drops every SA, frees the SPD; wipes keys and pre-shared keys. */
void live_free(struct live *l);
void live_set_hooks(struct live *l, const struct live_hooks *h);

/* Crypto slots every new SA gets: one per datapath worker. */
void live_set_nslots(struct live *l, unsigned nslots);

/* The IKE negotiator, when one runs (for `show mmsas`); NULL if not. */
void live_set_negotiator(struct live *l, struct ike *ike);
struct ike *live_negotiator(const struct live *l);

struct spd *live_spd(struct live *l);
struct dp_sadb *live_sadb(struct live *l);
struct live_ike_stats *live_ike(struct live *l);
time_t live_started(const struct live *l);

/*
 * Compiles the SPD into specific filters and hands them to the
 * datapath.  On failure (a name that does not resolve, ...) the
 * previous filters stay in force and err says why; the caller undoes
 * the change that broke it.
 */
int live_commit(struct live *l, char *err, size_t errlen);
/* The filters of the last successful commit. */
const struct spd_specific *live_filters(const struct live *l, size_t *n);

/* Adds an SA built from p (keys are copied into the SA, not kept). */
int live_sa_add(struct live *l, const struct dp_sa_params *p,
		const struct live_sa *desc, char *err, size_t errlen);
int live_sa_delete(struct live *l, uint32_t spi, enum dp_dir dir,
		   char *err, size_t errlen);
/* Removes every manually keyed SA. */
void live_sa_delete_manual(struct live *l);
const struct live_sa *live_sa_at(const struct live *l, size_t i);

/* The IP Security statistics: SA database events plus the datapath's. */
void live_dp_stats(struct live *l, struct dp_stats *sum);
/* The driver's own counters; 0 without a driver. */
size_t live_driver_stats(struct live *l, const char **labels,
			 uint64_t *values, size_t max);

#endif
