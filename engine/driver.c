/*
 * driver.c - the datapath runtime kept in step with live (see driver.h).
 */
#include "driver.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <syslog.h>

#include "log.h"
#include "loop.h"
#include "nft.h"

/* Acquires waiting for the loop: a small ring filled by workers. */
#define ACQ_RING 256

/* IKE messages from the NAT-T port waiting for the loop. */
/* Deep enough for a gateway's peers all coming back at once (each
 * entry is a pointer; messages are allocated as they come). */
#define IKE_RING 4096
#define IKE_MSG_MAX 65535

struct ike_rx {
	struct dp_addr src, dst;
	uint16_t sport, dport;
	size_t len;
	uint8_t data[];
};

/* A destination prefix routed into the TUN device. */
struct route {
	struct dp_addr dst;
	unsigned plen;
	struct dp_addr src; /* preferred source; family 0: the kernel's */
};

struct driver {
	struct dp_runtime *rt;
	struct live *live;
	struct loop_wakeup *wake;
	pthread_mutex_t lock; /* the ring */
	struct dp_acquire ring[ACQ_RING];
	size_t head, count;
	uint64_t ring_drops;
	struct ike_rx *ike_ring[IKE_RING];
	size_t ike_head, ike_count;
	struct driver_ike ike;
	struct route *routes;
	size_t nroutes;
	/* Inbound enforcement (nft.h); NULL if the table could not be
	 * made.  What it holds, the failures and the last one's reason. */
	struct nft_enforce *nft;
	enum { ENF_NONE, ENF_BOOT, ENF_POLICY } nft_state;
	enum config_bootmode bootmode;
	size_t nft_rules; /* compiled filters of the policy in force */
	uint64_t nft_failures;
	char nft_error[256]; /* "" when the last load succeeded */
};

/* The driver's own counters besides the runtime's. */
#define DRIVER_NFT_FAILURES "Packet Filter Updates Failed"

/* family 0 stays "any address of either family". */
static void
to_dp(const struct ip_addr *ip, struct dp_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = ip->family;
	memcpy(out->bytes, ip->bytes, sizeof(out->bytes));
}

static void
filter_of(const struct spd_specific *s, struct dp_filter *f)
{
	memset(f, 0, sizeof(*f));
	to_dp(&s->src, &f->sel.src);
	to_dp(&s->dst, &f->sel.dst);
	f->sel.src_plen = s->src_plen;
	f->sel.dst_plen = s->dst_plen;
	f->sel.proto = s->protocol;
	f->sel.sport = s->srcport;
	f->sel.dport = s->dstport;
	f->inbound = (enum dp_action)s->inbound;
	f->outbound = (enum dp_action)s->outbound;
	f->tunnel = s->tunnel;
	if (s->tunnel)
		to_dp(&s->tunnel_dst, &f->tunnel_dst);
	f->id = s->rule->id;
}

static bool
route_equal(const struct route *a, const struct route *b)
{
	return a->plen == b->plen && a->dst.family == b->dst.family &&
	       memcmp(a->dst.bytes, b->dst.bytes, sizeof(a->dst.bytes)) == 0;
}

static bool
route_in(const struct route *r, const struct route *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (route_equal(r, &v[i]))
			return true;
	return false;
}

/* addr is one of this host's addresses: binding to it works. */
static bool
is_local(const struct ip_addr *addr)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = socket(addr->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool local;

	if (fd < 0)
		return false;
	memset(&ss, 0, sizeof(ss));
	if (addr->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, addr->bytes, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, addr->bytes, 16);
		sl = sizeof(*s6);
	}
	local = bind(fd, (struct sockaddr *)&ss, sl) == 0;
	close(fd);
	return local;
}

/* The destinations outbound traffic of the filters may go to: each is
 * routed into the TUN device so the driver sees it ("any" becomes the
 * default route of both families in the private table). */
static size_t
wanted_routes(const struct spd_specific *f, size_t n, struct route *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		struct route r[2];
		size_t nr = 0;
		memset(r, 0, sizeof(r));
		/* A tunnel that ends here carries what arrives (netsh's
		 * second tunnel rule): its destinations are ours or behind
		 * us, and routing them into the device would loop. */
		if (f[i].tunnel && is_local(&f[i].tunnel_dst))
			continue;
		if (f[i].dst.family == 0) {
			r[0].dst.family = AF_INET;
			r[1].dst.family = AF_INET6;
			nr = 2;
		} else {
			to_dp(&f[i].dst, &r[0].dst);
			r[0].plen = f[i].dst_plen;
			/* A rule from one of our addresses: traffic to the
			 * peer must leave from it, or the filter misses. */
			if (f[i].src.family == f[i].dst.family &&
			    f[i].src_plen == (f[i].src.family == AF_INET ? 32u
									 : 128u))
				to_dp(&f[i].src, &r[0].src);
			/* Keep prefix bits only: the kernel wants it so. */
			for (unsigned b = r[0].plen; b < 128; b++)
				r[0].dst.bytes[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
			nr = 1;
		}
		for (size_t j = 0; j < nr; j++)
			if (!route_in(&r[j], out, k))
				out[k++] = r[j];
	}
	return k;
}

/* Exactly this route, preferred source included, is in v. */
static bool
route_same(const struct route *r, const struct route *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (route_equal(r, &v[i]) &&
		    memcmp(&r->src, &v[i].src, sizeof(r->src)) == 0)
			return true;
	return false;
}

static void
route_add(struct driver *d, struct route *r)
{
	char err[256];

	if (r->src.family != 0 &&
	    dp_runtime_route_add(d->rt, &r->dst, r->plen, &r->src, err,
				 sizeof(err)) == 0)
		return;
	/* The source is not one of ours (yet): the kernel chooses. */
	memset(&r->src, 0, sizeof(r->src));
	if (dp_runtime_route_add(d->rt, &r->dst, r->plen, NULL, err,
				 sizeof(err)) < 0)
		log_err("driver: %s", err);
}

/* A failed load of the table: logged, counted, kept for status. */
static void
nft_failed(struct driver *d, const char *what, const char *err)
{
	d->nft_failures++;
	snprintf(d->nft_error, sizeof(d->nft_error), "%s: %.200s", what, err);
	log_err("driver: inbound enforcement: %s not loaded into table %s "
		"(its previous rules stay): %s",
		what, nft_enforce_table(d->nft), err);
}

/*
 * NFT_ENFORCE_INPASS / NFT_ENFORCE_SOFT of a compiled filter: its rule's
 * quick mode policy (the filter action of a static policy) says whether
 * clear text may come in, from anyone or from soft peers.  Only an
 * inbound negotiate has a use for them.
 */
static unsigned
enforce_flags(struct driver *d, const struct spd_specific *f)
{
	const struct spd_qmpolicy *q;
	unsigned fl = 0;

	if (f->inbound != SPD_NEGOTIATE || f->rule == NULL ||
	    f->rule->qmpolicy[0] == '\0')
		return 0;
	q = spd_qmpolicy_get(live_spd(d->live), f->rule->qmpolicy);
	if (q == NULL)
		return 0;
	if (q->inpass)
		fl |= NFT_ENFORCE_INPASS;
	if (q->soft)
		fl |= NFT_ENFORCE_SOFT;
	return fl;
}

/* The same filters as the datapath's, into the table. */
static void
enforce_filters(struct driver *d, const struct spd_specific *f, size_t n)
{
	unsigned *flags;
	char err[256];

	if (d->nft == NULL)
		return;
	flags = calloc(n ? n : 1, sizeof(*flags));
	if (flags == NULL) {
		nft_failed(d, "the policy", "out of memory.");
		return;
	}
	for (size_t i = 0; i < n; i++)
		flags[i] = enforce_flags(d, &f[i]);
	if (nft_enforce_apply(d->nft, f, flags, n, err, sizeof(err)) < 0) {
		nft_failed(d, "the policy", err);
	} else {
		if (d->nft_state != ENF_POLICY)
			log_info("driver: inbound enforcement: boot mode "
				 "ends, table %s follows the policy",
				 nft_enforce_table(d->nft));
		d->nft_state = ENF_POLICY;
		d->nft_rules = n;
		d->nft_error[0] = '\0';
	}
	free(flags);
}

static void
hook_filters(void *arg, const struct spd_specific *f, size_t n)
{
	struct driver *d = arg;
	struct dp_filter *df = calloc(n ? n : 1, sizeof(*df));
	struct route *want = calloc(2 * n + 1, sizeof(*want));
	char err[256];
	size_t nwant;
	enum dp_result r;

	if (df == NULL || want == NULL) {
		log_err("driver: out of memory; the filters in force stay");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		filter_of(&f[i], &df[i]);
	r = dp_runtime_set_filter_array(d->rt, df, n);
	if (r != DP_OK) {
		log_err("driver: filters not applied: %s", dp_result_str(r));
		goto out;
	}
	/* Routes: add the new ones first, then drop the old ones, so no
	 * protected destination is ever left unrouted. */
	nwant = wanted_routes(f, n, want);
	for (size_t i = 0; i < nwant; i++)
		if (!route_same(&want[i], d->routes, d->nroutes))
			route_add(d, &want[i]);
	for (size_t i = 0; i < d->nroutes; i++)
		if (!route_in(&d->routes[i], want, nwant) &&
		    dp_runtime_route_del(d->rt, &d->routes[i].dst,
					 d->routes[i].plen, err,
					 sizeof(err)) < 0)
			log_err("driver: %s", err);
	free(d->routes);
	d->routes = want;
	d->nroutes = nwant;
	want = NULL;
	/* Only with the datapath's: both hold the same policy. */
	enforce_filters(d, f, n);
out:
	free(df);
	free(want);
}

static void
hook_sa_added(void *arg, const struct live_sa *s)
{
	struct driver *d = arg;
	enum dp_result r = dp_runtime_sa_added(d->rt, s->sa);

	if (r != DP_OK)
		log_err("driver: SA 0x%08x not used by the datapath: %s",
			s->spi, dp_result_str(r));
}

static void
hook_sa_removed(void *arg, const struct live_sa *s)
{
	struct driver *d = arg;

	dp_runtime_sa_removed(d->rt, s->sa);
}

static void
hook_dp_stats(void *arg, struct dp_stats *sum)
{
	struct driver *d = arg;

	dp_runtime_stats(d->rt, sum, NULL);
}

/* The table's counters after the first n of labels and values. */
static size_t
enforce_stats(struct driver *d, const char **labels, uint64_t *values,
	      size_t n, size_t max)
{
	struct nft_enforce_counters c;
	char err[256];

	if (d->nft == NULL)
		return n;
	if (nft_enforce_counters(d->nft, &c, err, sizeof(err)) < 0) {
		log_warn("driver: inbound enforcement: counters not read: %s",
			 err);
		return n;
	}
	for (size_t i = 0; i < NFT_ENFORCE_NCTR && n < max; i++) {
		enum nft_enforce_ctr k = (enum nft_enforce_ctr)i;
		labels[n] = nft_enforce_ctr_label(k);
		values[n++] = nft_enforce_ctr_get(&c, k);
	}
	return n;
}

static size_t
hook_driver_stats(void *arg, const char **labels, uint64_t *values,
		  size_t max)
{
	struct driver *d = arg;
	struct dp_rt_stats st;
	size_t n = 0;

	driver_rt_stats(d, &st);
	for (size_t i = 0; i < DP_RT_STAT_COUNT && n < max; i++) {
		labels[n] = dp_rt_stat_descs[i].label;
		memcpy(&values[n], (const char *)&st + dp_rt_stat_descs[i].offset,
		       sizeof(values[n]));
		n++;
	}
	/* Then what the table dropped of the clear text the runtime never
	 * sees, and whether the table could follow the policy. */
	n = enforce_stats(d, labels, values, n, max);
	if (n < max) {
		labels[n] = DRIVER_NFT_FAILURES;
		values[n++] = d->nft_failures;
	}
	if (n < max) {
		pthread_mutex_lock(&d->lock);
		labels[n] = "Acquires And NAT-T IKE Messages Dropped";
		values[n++] = d->ring_drops;
		pthread_mutex_unlock(&d->lock);
	}
	return n;
}

/* On a worker thread: queue and wake the loop, never block long. */
static void
on_acquire(void *arg, const struct dp_acquire *a)
{
	struct driver *d = arg;

	pthread_mutex_lock(&d->lock);
	if (d->count < ACQ_RING) {
		d->ring[(d->head + d->count) % ACQ_RING] = *a;
		d->count++;
	} else {
		d->ring_drops++;
	}
	pthread_mutex_unlock(&d->lock);
	loop_wakeup_signal(d->wake);
}

static void
on_ike_input(void *arg, const uint8_t *msg, size_t len,
	     const struct dp_addr *src, const struct dp_addr *dst,
	     uint16_t sport, uint16_t dport)
{
	struct driver *d = arg;
	struct ike_rx *rx;

	if (len > IKE_MSG_MAX)
		return;
	/* A copy for the loop; the slow path, so one allocation is fine. */
	rx = malloc(sizeof(*rx) + len);
	if (rx == NULL)
		return;
	rx->src = *src;
	rx->dst = *dst;
	rx->sport = sport;
	rx->dport = dport;
	rx->len = len;
	memcpy(rx->data, msg, len);
	pthread_mutex_lock(&d->lock);
	if (d->ike_count < IKE_RING) {
		d->ike_ring[(d->ike_head + d->ike_count) % IKE_RING] = rx;
		d->ike_count++;
		rx = NULL;
	} else {
		d->ring_drops++;
	}
	pthread_mutex_unlock(&d->lock);
	free(rx);
	loop_wakeup_signal(d->wake);
}

/* In the loop: account the acquires the workers raised. */
static void
drain_acquires(struct loop *l, void *arg)
{
	struct driver *d = arg;
	struct live_ike_stats *ike = live_ike(d->live);

	(void)l;
	/* One SA table for all that this drain negotiates. */
	dp_runtime_sa_defer(d->rt, true);
	pthread_mutex_lock(&d->lock);
	while (d->count > 0) {
		struct dp_acquire a = d->ring[d->head];
		char peer[64] = "?";
		struct ip_addr ip = {.family = a.peer.family};
		d->head = (d->head + 1) % ACQ_RING;
		d->count--;
		pthread_mutex_unlock(&d->lock);
		memcpy(ip.bytes, a.peer.bytes, sizeof(ip.bytes));
		if (ip.family != 0)
			vocab_ip_format(&ip, peer, sizeof(peer));
		log_msg(LOG_CAT_IKE, LOG_INFO,
			"acquire: rule %u needs an SA with %s (%s mode)",
			a.filter_id, peer, a.tunnel ? "tunnel" : "transport");
		/* The negotiator counts its acquires itself. */
		if (d->ike.acquire != NULL)
			d->ike.acquire(d->ike.arg, &a);
		else
			ike->total_acquire++;
		pthread_mutex_lock(&d->lock);
	}
	while (d->ike_count > 0) {
		struct ike_rx *rx = d->ike_ring[d->ike_head];
		d->ike_head = (d->ike_head + 1) % IKE_RING;
		d->ike_count--;
		pthread_mutex_unlock(&d->lock);
		if (d->ike.input != NULL)
			d->ike.input(d->ike.arg, rx->data, rx->len, &rx->src,
				     &rx->dst, rx->sport, rx->dport);
		free(rx);
		pthread_mutex_lock(&d->lock);
	}
	pthread_mutex_unlock(&d->lock);
	dp_runtime_sa_defer(d->rt, false);
}

void
driver_defer_sas(struct driver *d, bool on)
{
	dp_runtime_sa_defer(d->rt, on);
}

void
driver_set_ike(struct driver *d, const struct driver_ike *h)
{
	d->ike = *h;
}

struct dp_runtime *
driver_runtime(struct driver *d)
{
	return d->rt;
}

/*
 * The table for the runtime's TUN device, loaded with the boot mode.
 * Failures are logged and kept: the driver runs without (a kernel
 * without nf_tables, say) rather than not at all.
 */
static void
enforce_start(struct driver *d, const struct driver_config *cfg,
	      uint16_t natt_port)
{
	struct nft_enforce_options o;
	struct config defaults;
	const struct config *c = cfg->config;
	char err[256];

	if (c == NULL) {
		config_defaults(&defaults);
		c = &defaults;
	}
	nft_enforce_options_init(&o);
	if (cfg->ike_port != 0)
		o.ike_port = cfg->ike_port;
	o.natt_port = natt_port;
	o.ipsecexempt = (int)config_int(c, CONFIG_IPSECEXEMPT);
	d->bootmode = (enum config_bootmode)config_int(c, CONFIG_BOOTMODE);
	d->nft = nft_enforce_new(dp_runtime_tun_name(d->rt), &o, err,
				 sizeof(err));
	if (d->nft == NULL) {
		d->nft_failures++;
		snprintf(d->nft_error, sizeof(d->nft_error),
			 "no packet filter table: %.200s", err);
		log_err("driver: inbound enforcement off: %s", err);
		return;
	}
	if (nft_enforce_boot(d->nft, d->bootmode, c->exempt, c->nexempt, err,
			     sizeof(err)) < 0) {
		nft_failed(d, "the boot mode", err);
		return;
	}
	d->nft_state = ENF_BOOT;
	log_info("driver: inbound enforcement: table %s in boot mode %s",
		 nft_enforce_table(d->nft),
		 d->bootmode == CONFIG_BOOT_BLOCK    ? "block"
		 : d->bootmode == CONFIG_BOOT_PERMIT ? "permit"
						     : "stateful");
}

int
driver_soft_peer(struct driver *d, const struct dp_addr *peer, bool add)
{
	struct ip_addr ip;
	char err[256], text[64] = "?";
	int rc;

	if (d == NULL || d->nft == NULL)
		return 0;
	memset(&ip, 0, sizeof(ip));
	ip.family = peer->family;
	memcpy(ip.bytes, peer->bytes, sizeof(ip.bytes));
	rc = add ? nft_enforce_soft_add(d->nft, &ip, err, sizeof(err))
		 : nft_enforce_soft_del(d->nft, &ip, err, sizeof(err));
	if (rc < 0) {
		if (ip.family != 0)
			vocab_ip_format(&ip, text, sizeof(text));
		log_err("driver: inbound enforcement: soft peer %s not %s: %s",
			text, add ? "added" : "removed", err);
	}
	return rc;
}

void
driver_status(struct driver *d, struct ctl_status *st)
{
	const char *mode = d->bootmode == CONFIG_BOOT_BLOCK    ? "block"
			   : d->bootmode == CONFIG_BOOT_PERMIT ? "permit"
							       : "stateful";

	if (d->nft == NULL) {
		ctl_status_add(st, "enforcement", "Inbound enforcement",
			       "off (%s)", d->nft_error);
		return;
	}
	switch (d->nft_state) {
	case ENF_NONE:
		ctl_status_add(st, "enforcement", "Inbound enforcement",
			       "nftables table %s not loaded",
			       nft_enforce_table(d->nft));
		break;
	case ENF_BOOT:
		ctl_status_add(st, "enforcement", "Inbound enforcement",
			       "nftables table %s, boot mode %s",
			       nft_enforce_table(d->nft), mode);
		break;
	case ENF_POLICY:
		ctl_status_add(st, "enforcement", "Inbound enforcement",
			       "nftables table %s, policy (%zu filters)",
			       nft_enforce_table(d->nft), d->nft_rules);
		break;
	}
	if (d->nft_error[0] != '\0')
		ctl_status_add(st, "enforcement_error",
			       "Inbound enforcement error", "%s",
			       d->nft_error);
}

int
driver_start(struct loop *loop, struct live *live,
	     const struct driver_config *cfg, struct driver **out, char *err,
	     size_t errlen)
{
	struct driver *d = calloc(1, sizeof(*d));
	struct dp_runtime_config rc;
	struct live_hooks hooks;

	if (d == NULL) {
		snprintf(err, errlen, "out of memory.");
		return -1;
	}
	pthread_mutex_init(&d->lock, NULL);
	d->live = live;
	d->wake = loop_wakeup_new(loop, drain_acquires, d);
	if (d->wake == NULL) {
		snprintf(err, errlen, "the loop cannot take a wakeup.");
		goto fail;
	}
	dp_runtime_config_init(&rc);
	rc.tun_name = cfg->tun_name;
	rc.nqueues = cfg->nqueues;
	rc.natt_port = cfg->natt_port;
	rc.acquire = on_acquire;
	rc.ike_input = on_ike_input;
	rc.arg = d;
	if (dp_runtime_start(&rc, live_sadb(live), &d->rt, err, errlen) < 0)
		goto fail;
	/* SAs made from now on carry a crypto slot per worker. */
	live_set_nslots(live, dp_runtime_nslots(d->rt));
	/* Boot mode until the first commit (the policy agent's load). */
	enforce_start(d, cfg,
		      rc.natt_port ? rc.natt_port
				   : (uint16_t)DP_RUNTIME_NATT_PORT);
	memset(&hooks, 0, sizeof(hooks));
	hooks.filters = hook_filters;
	hooks.sa_added = hook_sa_added;
	hooks.sa_removed = hook_sa_removed;
	hooks.dp_stats = hook_dp_stats;
	hooks.driver_stats = hook_driver_stats;
	hooks.arg = d;
	live_set_hooks(live, &hooks);
	*out = d;
	return 0;
fail:
	loop_wakeup_free(d->wake);
	pthread_mutex_destroy(&d->lock);
	free(d);
	return -1;
}

void
driver_stop(struct driver *d)
{
	struct live_hooks none;

	if (d == NULL)
		return;
	memset(&none, 0, sizeof(none));
	live_set_hooks(d->live, &none);
	dp_runtime_stop(d->rt);
	/* Deletes the table: without a service, clear text passes. */
	nft_enforce_free(d->nft);
	loop_wakeup_free(d->wake);
	while (d->ike_count > 0) {
		free(d->ike_ring[d->ike_head]);
		d->ike_head = (d->ike_head + 1) % IKE_RING;
		d->ike_count--;
	}
	pthread_mutex_destroy(&d->lock);
	free(d->routes);
	free(d);
}

void
driver_rt_stats(struct driver *d, struct dp_rt_stats *out)
{
	struct dp_stats ignored;

	memset(&ignored, 0, sizeof(ignored));
	dp_runtime_stats(d->rt, &ignored, out);
}
