/*
 * driver.c - the datapath runtime kept in step with live (see driver.h).
 */
#include "driver.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#include "log.h"
#include "loop.h"

/* Acquires waiting for the loop: a small ring filled by workers. */
#define ACQ_RING 256

/* IKE messages from the NAT-T port waiting for the loop. */
#define IKE_RING 64
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
};

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
