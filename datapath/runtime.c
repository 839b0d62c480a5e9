/*
 * runtime.c - the control side of the runtime (runtime.h): start and
 * stop, sockets, routing rules and sysctls, publication of classifier
 * and SA-table snapshots with their reclamation, routes, statistics.
 * The worker threads' packet loop is in io.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pkt.h"
#include "rt_core.h"
#include "sa.h"

#define DP_X_RT_DESC(id, label) {label, offsetof(struct dp_rt_stats, id)},
const struct dp_rt_stat_desc dp_rt_stat_descs[DP_RT_STAT_COUNT] = {
    DP_RT_STATS(DP_X_RT_DESC)};

#define SOCKBUF (4 << 20)

void
dp_runtime_config_init(struct dp_runtime_config *c)
{
	memset(c, 0, sizeof(*c));
	c->loose_rp_filter = true;
}

/* ---- sysctls (put back at stop) ------------------------------------- */

static int
sysctl_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int
sysctl_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -1;
	if (write(fd, val, strlen(val)) < 0)
		rc = -1;
	close(fd);
	return rc;
}

/* Sets path to val, remembering the old value if it differed. */
static void
sysctl_set(struct dp_runtime *rt, const char *path, const char *val)
{
	struct rt_sysctl *s;
	char old[16];

	if (sysctl_read(path, old, sizeof(old)) < 0 || strcmp(old, val) == 0)
		return;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return;
	snprintf(s->path, sizeof(s->path), "%s", path);
	snprintf(s->old, sizeof(s->old), "%s", old);
	if (sysctl_write(path, val) < 0) {
		free(s);
		return;
	}
	s->next = rt->sysctls;
	rt->sysctls = s;
}

static void
sysctl_restore(struct dp_runtime *rt)
{
	while (rt->sysctls != NULL) {
		struct rt_sysctl *s = rt->sysctls;

		rt->sysctls = s->next;
		sysctl_write(s->path, s->old);
		free(s);
	}
}

/*
 * rp_filter of an interface is max(all, interface): where that is 1
 * (strict), make the interface loose (2) so ESP from a protected peer is
 * not dropped (runtime.h, "Reverse-path filtering").
 */
static void
rp_filter_loosen(struct dp_runtime *rt)
{
	static const char base[] = "/proc/sys/net/ipv4/conf";
	struct if_nameindex *ifs, *i;
	char path[128], v[16];
	int all = 0;

	if (sysctl_read("/proc/sys/net/ipv4/conf/all/rp_filter", v,
	                sizeof(v)) == 0)
		all = atoi(v);
	ifs = if_nameindex();
	if (ifs == NULL)
		return;
	for (i = ifs; i->if_index != 0; i++) {
		int cur = 0;

		if (strcmp(i->if_name, rt->tun_name) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s/rp_filter", base,
		         i->if_name);
		if (sysctl_read(path, v, sizeof(v)) == 0)
			cur = atoi(v);
		if ((cur > all ? cur : all) == 1)
			sysctl_set(rt, path, "2");
	}
	if_freenameindex(ifs);
}

/* ---- sockets --------------------------------------------------------- */

static int
set_int(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v));
}

static int
mk_socket(struct dp_runtime *rt, int family, int type, int proto, char *err,
          size_t errlen, const char *what)
{
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);

	if (fd < 0) {
		snprintf(err, errlen, "%s socket: %s", what, strerror(errno));
		return -1;
	}
	if (set_int(fd, SOL_SOCKET, SO_MARK, (int)rt->cfg.fwmark) < 0) {
		snprintf(err, errlen, "%s socket, SO_MARK: %s", what,
		         strerror(errno));
		close(fd);
		return -1;
	}
	/* Bigger buffers absorb bursts between two batches; FORCE works
	 * past rmem_max (which a namespace cannot raise) with
	 * CAP_NET_ADMIN. */
	if (set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, SOCKBUF) < 0)
		set_int(fd, SOL_SOCKET, SO_RCVBUF, SOCKBUF);
	if (set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, SOCKBUF) < 0)
		set_int(fd, SOL_SOCKET, SO_SNDBUF, SOCKBUF);
	return fd;
}

static bool
ipv6_available(void)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int
open_shared_sockets(struct dp_runtime *rt, bool v6, char *err, size_t errlen)
{
	rt->esp4 = mk_socket(rt, AF_INET, SOCK_RAW, IPPROTO_ESP, err, errlen,
	                     "raw ESP");
	rt->ah4 =
	    mk_socket(rt, AF_INET, SOCK_RAW, IPPROTO_AH, err, errlen, "raw AH");
	rt->raw4 = mk_socket(rt, AF_INET, SOCK_RAW, IPPROTO_RAW, err, errlen,
	                     "raw IP");
	if (rt->esp4 < 0 || rt->ah4 < 0 || rt->raw4 < 0)
		return -1;
	if (set_int(rt->ah4, IPPROTO_IP, IP_HDRINCL, 1) < 0) {
		snprintf(err, errlen, "IP_HDRINCL: %s", strerror(errno));
		return -1;
	}
	if (!v6)
		return 0;
	rt->esp6 = mk_socket(rt, AF_INET6, SOCK_RAW, IPPROTO_ESP, err, errlen,
	                     "raw ESP IPv6");
	rt->ah6 = mk_socket(rt, AF_INET6, SOCK_RAW, IPPROTO_AH, err, errlen,
	                    "raw AH IPv6");
	rt->raw6 = mk_socket(rt, AF_INET6, SOCK_RAW, IPPROTO_RAW, err, errlen,
	                     "raw IPv6");
	if (rt->esp6 < 0 || rt->ah6 < 0 || rt->raw6 < 0)
		return -1;
	/* The IPv6 raw sockets strip the header: the destination comes
	 * as ancillary data. */
	if (set_int(rt->esp6, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0 ||
	    set_int(rt->ah6, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0) {
		snprintf(err, errlen, "IPV6_RECVPKTINFO: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
open_udp(struct dp_runtime *rt, struct rt_worker *w, bool v6, char *err,
         size_t errlen)
{
	union rt_sockaddr a;

	w->udp4 = mk_socket(rt, AF_INET, SOCK_DGRAM, 0, err, errlen, "UDP");
	if (w->udp4 < 0)
		return -1;
	/* One socket per worker on the same port: the kernel spreads
	 * peers over them by 4-tuple hash. */
	if (set_int(w->udp4, SOL_SOCKET, SO_REUSEPORT, 1) < 0 ||
	    set_int(w->udp4, IPPROTO_IP, IP_PKTINFO, 1) < 0) {
		snprintf(err, errlen, "UDP options: %s", strerror(errno));
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.in4.sin_family = AF_INET;
	a.in4.sin_port = htons(rt->cfg.natt_port);
	if (bind(w->udp4, &a.sa, sizeof(a.in4)) < 0) {
		snprintf(err, errlen, "UDP port %u: %s", rt->cfg.natt_port,
		         strerror(errno));
		return -1;
	}
	if (!v6)
		return 0;
	w->udp6 =
	    mk_socket(rt, AF_INET6, SOCK_DGRAM, 0, err, errlen, "UDP IPv6");
	if (w->udp6 < 0)
		return -1;
	if (set_int(w->udp6, IPPROTO_IPV6, IPV6_V6ONLY, 1) < 0 ||
	    set_int(w->udp6, SOL_SOCKET, SO_REUSEPORT, 1) < 0 ||
	    set_int(w->udp6, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0) {
		snprintf(err, errlen, "UDP IPv6 options: %s", strerror(errno));
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.in6.sin6_family = AF_INET6;
	a.in6.sin6_port = htons(rt->cfg.natt_port);
	if (bind(w->udp6, &a.sa, sizeof(a.in6)) < 0) {
		snprintf(err, errlen, "UDP IPv6 port %u: %s", rt->cfg.natt_port,
		         strerror(errno));
		return -1;
	}
	return 0;
}

static int
ep_add(int ep, int fd, enum rt_tag tag)
{
	struct epoll_event ev;

	if (fd < 0)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = tag;
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- snapshots -------------------------------------------------------- */

static void
retired_free(struct rt_retired *r)
{
	dp_classifier_free(r->cls);
	satab_free(r->tab);
	free(r);
}

void
rt_reclaim(struct dp_runtime *rt)
{
	struct rt_retired **pp, *r;
	uint64_t min = UINT64_MAX;
	unsigned i;

	for (i = 0; i < rt->nw; i++) {
		uint64_t qs = atomic_load(&rt->w[i].qs);

		if (qs != 0 && qs < min)
			min = qs;
	}
	pthread_mutex_lock(&rt->retire_lock);
	for (pp = &rt->retired; (r = *pp) != NULL;) {
		if (r->epoch <= min) {
			*pp = r->next;
			retired_free(r);
		} else {
			pp = &r->next;
		}
	}
	pthread_mutex_unlock(&rt->retire_lock);
}

/* Puts an unpublished object on the retire list (or frees it now if
 * that fails: only after a grace period would be right, so wait). */
static void
retire(struct dp_runtime *rt, struct dp_classifier *cls, struct satab *tab)
{
	struct rt_retired *r;

	if (cls == NULL && tab == NULL)
		return;
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		/* No memory for the list entry: wait for the grace period
		 * here, rather than free too early. */
		uint64_t e = atomic_fetch_add(&rt->epoch, 1) + 1;
		unsigned i;

		for (i = 0; i < rt->nw; i++)
			while (atomic_load(&rt->w[i].qs) != 0 &&
			       atomic_load(&rt->w[i].qs) < e)
				usleep(100);
		dp_classifier_free(cls);
		satab_free(tab);
		return;
	}
	r->cls = cls;
	r->tab = tab;
	r->epoch = atomic_fetch_add(&rt->epoch, 1) + 1;
	pthread_mutex_lock(&rt->retire_lock);
	r->next = rt->retired;
	rt->retired = r;
	pthread_mutex_unlock(&rt->retire_lock);
}

void
dp_runtime_set_filters(struct dp_runtime *rt, struct dp_classifier *c)
{
	struct dp_classifier *old;

	pthread_mutex_lock(&rt->ctl);
	old = atomic_exchange(&rt->cls, c);
	retire(rt, old, NULL);
	pthread_mutex_unlock(&rt->ctl);
	rt_reclaim(rt);
}

enum dp_result
dp_runtime_set_filter_array(struct dp_runtime *rt, const struct dp_filter *f,
                            size_t n)
{
	struct dp_classifier *c;
	enum dp_result r = dp_classifier_build(f, n, &c);

	if (r == DP_OK)
		dp_runtime_set_filters(rt, c);
	return r;
}

/* Builds and publishes the SA tables from rt->sas (under ctl). */
static enum dp_result
publish_sas(struct dp_runtime *rt)
{
	struct satab *t = satab_build(rt->sas, rt->nsas), *old;

	if (t == NULL)
		return DP_ERR_NOMEM;
	old = atomic_exchange(&rt->tab, t);
	retire(rt, NULL, old);
	return DP_OK;
}

void
rt_wake(struct rt_worker *w)
{
	uint64_t one = 1;

	if (write(w->ev, &one, sizeof(one)) < 0) {
		/* The counter is already non-zero: the worker will wake. */
	}
}

enum dp_result
dp_runtime_sa_added(struct dp_runtime *rt, struct dp_sa *sa)
{
	enum dp_result r = DP_OK;
	size_t i;

	if (sa->nslots < rt->nw)
		return DP_ERR_INVAL;
	pthread_mutex_lock(&rt->ctl);
	for (i = 0; i < rt->nsas; i++)
		if (rt->sas[i] == sa) {
			r = DP_ERR_EXISTS;
			goto out;
		}
	if (rt->nsas == rt->capsas) {
		size_t cap = rt->capsas ? 2 * rt->capsas : 16;
		struct dp_sa **g = realloc(rt->sas, cap * sizeof(*g));

		if (g == NULL) {
			r = DP_ERR_NOMEM;
			goto out;
		}
		rt->sas = g;
		rt->capsas = cap;
	}
	dp_sa_get(sa);
	rt->sas[rt->nsas++] = sa;
	if (rt->defer > 0) {
		/* Published (and waiting packets released) at the end. */
		rt->sas_dirty = true;
		rt->flush_owed |= sa->dir == DP_DIR_OUT;
		goto out;
	}
	r = publish_sas(rt);
	if (r != DP_OK) {
		rt->nsas--;
		dp_sa_put(sa);
		goto out;
	}
	if (sa->dir == DP_DIR_OUT) {
		/* Worker 0 releases what waited for this peer. */
		atomic_store(&rt->flush, true);
		rt_wake(&rt->w[0]);
	}
out:
	pthread_mutex_unlock(&rt->ctl);
	rt_reclaim(rt);
	return r;
}

void
dp_runtime_sa_defer(struct dp_runtime *rt, bool on)
{
	pthread_mutex_lock(&rt->ctl);
	if (on) {
		rt->defer++;
	} else if (rt->defer > 0 && --rt->defer == 0 && rt->sas_dirty) {
		rt->sas_dirty = false;
		if (publish_sas(rt) != DP_OK)
			retire(rt, NULL, atomic_exchange(&rt->tab, NULL));
		if (rt->flush_owed) {
			atomic_store(&rt->flush, true);
			rt_wake(&rt->w[0]);
		}
		rt->flush_owed = false;
	}
	pthread_mutex_unlock(&rt->ctl);
	rt_reclaim(rt);
}

void
dp_runtime_sa_removed(struct dp_runtime *rt, struct dp_sa *sa)
{
	size_t i;

	pthread_mutex_lock(&rt->ctl);
	for (i = 0; i < rt->nsas && rt->sas[i] != sa; i++)
		;
	if (i == rt->nsas) {
		pthread_mutex_unlock(&rt->ctl);
		return;
	}
	memmove(&rt->sas[i], &rt->sas[i + 1],
	        (rt->nsas - i - 1) * sizeof(*rt->sas));
	rt->nsas--;
	if (rt->defer > 0) {
		/* The table in force keeps its own reference until then. */
		rt->sas_dirty = true;
	} else if (publish_sas(rt) != DP_OK) {
		/* Out of memory: no SA at all is safe, a stale table is
		 * not (it would keep using the removed SA). */
		retire(rt, NULL, atomic_exchange(&rt->tab, NULL));
	}
	/* The snapshots hold their own references until reclaimed. */
	dp_sa_put(sa);
	pthread_mutex_unlock(&rt->ctl);
	rt_reclaim(rt);
}

void
dp_runtime_acquire_failed(struct dp_runtime *rt, bool tunnel,
                          const struct dp_addr *peer)
{
	acq_drop_peer(rt->acq, tunnel, peer);
}

int
dp_runtime_soft(struct dp_runtime *rt, bool tunnel, const struct dp_addr *peer,
                uint32_t seconds)
{
	if (seconds != 0)
		acq_drop_peer(rt->acq, tunnel, peer); /* were waiting: lost */
	return acq_set_soft(rt->acq, tunnel, peer,
	                    seconds ? rt_now_ms() + (uint64_t)seconds * 1000
	                            : 0);
}

/* ---- routes ------------------------------------------------------------ */

int
dp_runtime_route_add(struct dp_runtime *rt, const struct dp_addr *dst,
                     unsigned plen, const struct dp_addr *prefsrc, char *err,
                     size_t errlen)
{
	return nl_route(rt->nl, true, dst, plen, prefsrc, rt->ifindex,
	                rt->cfg.table, err, errlen);
}

int
dp_runtime_route_del(struct dp_runtime *rt, const struct dp_addr *dst,
                     unsigned plen, char *err, size_t errlen)
{
	return nl_route(rt->nl, false, dst, plen, NULL, rt->ifindex,
	                rt->cfg.table, err, errlen);
}

static int
rules(struct dp_runtime *rt, bool add, char *err, size_t errlen)
{
	const struct dp_runtime_config *c = &rt->cfg;
	int rc = 0;

	if (add) {
		if (nl_rule(rt->nl, true, AF_INET, c->rule_pref, c->fwmark,
		            c->table, false, err, errlen) < 0)
			return -1;
		rt->rules4 = true;
		if (c->keep_main_routes) {
			if (nl_rule(rt->nl, true, AF_INET, c->rule_pref - 1, 0,
			            0, true, err, errlen) < 0)
				return -1;
			rt->suppress4 = true;
		}
		if (rt->esp6 < 0)
			return 0;
		if (nl_rule(rt->nl, true, AF_INET6, c->rule_pref, c->fwmark,
		            c->table, false, err, errlen) < 0)
			return -1;
		rt->rules6 = true;
		if (c->keep_main_routes) {
			if (nl_rule(rt->nl, true, AF_INET6, c->rule_pref - 1, 0,
			            0, true, err, errlen) < 0)
				return -1;
			rt->suppress6 = true;
		}
		return 0;
	}
	/* Removal goes on past errors: take away all we can. */
	if (rt->rules4 && nl_rule(rt->nl, false, AF_INET, c->rule_pref,
	                          c->fwmark, c->table, false, err, errlen) < 0)
		rc = -1;
	if (rt->suppress4 && nl_rule(rt->nl, false, AF_INET, c->rule_pref - 1,
	                             0, 0, true, err, errlen) < 0)
		rc = -1;
	if (rt->rules6 && nl_rule(rt->nl, false, AF_INET6, c->rule_pref,
	                          c->fwmark, c->table, false, err, errlen) < 0)
		rc = -1;
	if (rt->suppress6 && nl_rule(rt->nl, false, AF_INET6, c->rule_pref - 1,
	                             0, 0, true, err, errlen) < 0)
		rc = -1;
	rt->rules4 = rt->rules6 = rt->suppress4 = rt->suppress6 = false;
	return rc;
}

/* ---- start / stop ------------------------------------------------------ */

static void
config_defaults(struct dp_runtime_config *c)
{
	long ncpu;

	if (c->nqueues == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		c->nqueues = ncpu > 0 ? (unsigned)ncpu : 1;
	}
	if (c->nqueues > DP_RUNTIME_MAX_QUEUES)
		c->nqueues = DP_RUNTIME_MAX_QUEUES;
	if (c->mtu == 0)
		c->mtu = DP_RUNTIME_MTU;
	if (c->fwmark == 0)
		c->fwmark = DP_RUNTIME_FWMARK;
	if (c->table == 0)
		c->table = DP_RUNTIME_TABLE;
	if (c->rule_pref == 0)
		c->rule_pref = DP_RUNTIME_RULE_PREF;
	if (c->natt_port == 0)
		c->natt_port = DP_RUNTIME_NATT_PORT;
	if (c->queue_per_peer == 0)
		c->queue_per_peer = 32;
	if (c->queue_limit == 0)
		c->queue_limit = 1024;
	if (c->acquire_timeout_ms == 0)
		c->acquire_timeout_ms = 30000;
	if (c->pool_size == 0)
		c->pool_size = 1024;
	if (c->batch == 0)
		c->batch = 64;
	if (c->txqlen == 0)
		c->txqlen = 4096;
	if (c->batch > RT_BATCH_MAX)
		c->batch = RT_BATCH_MAX;
}

static void
runtime_free(struct dp_runtime *rt)
{
	unsigned i;
	char err[128];

	if (rt == NULL)
		return;
	if (rt->nl != NULL)
		rules(rt, false, err, sizeof(err));
	sysctl_restore(rt);
	if (rt->w != NULL) {
		for (i = 0; i < rt->nw; i++) {
			struct rt_worker *w = &rt->w[i];

			close_fd(&w->ep);
			close_fd(&w->tun);
			close_fd(&w->ev);
			close_fd(&w->udp4);
			close_fd(&w->udp6);
			dp_pool_free(w->pool);
			free(w->big);
			for (unsigned g = 0; g < GRO_MAX; g++)
				free(w->gro[g].buf);
		}
		free(rt->w);
	}
	close_fd(&rt->esp4);
	close_fd(&rt->esp6);
	close_fd(&rt->ah4);
	close_fd(&rt->ah6);
	close_fd(&rt->raw4);
	close_fd(&rt->raw6);
	nl_close(rt->nl);
	/* No worker runs: everything can go now. */
	while (rt->retired != NULL) {
		struct rt_retired *r = rt->retired;

		rt->retired = r->next;
		retired_free(r);
	}
	dp_classifier_free(atomic_load(&rt->cls));
	satab_free(atomic_load(&rt->tab));
	for (i = 0; i < rt->nsas; i++)
		dp_sa_put(rt->sas[i]);
	free(rt->sas);
	acq_free(rt->acq);
	pthread_mutex_destroy(&rt->ctl);
	pthread_mutex_destroy(&rt->retire_lock);
	free(rt);
}

int
dp_runtime_start(const struct dp_runtime_config *cfg, struct dp_sadb *sadb,
                 struct dp_runtime **out, char *err, size_t errlen)
{
	struct dp_runtime *rt;
	struct acq_limits lim;
	int tunfds[DP_RUNTIME_MAX_QUEUES];
	unsigned i;
	bool v6, vnet;

	*out = NULL;
	rt = calloc(1, sizeof(*rt));
	if (rt == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rt->cfg = *cfg;
	config_defaults(&rt->cfg);
	snprintf(rt->tun_name, sizeof(rt->tun_name), "%s",
	         cfg->tun_name != NULL ? cfg->tun_name : DP_RUNTIME_TUN_NAME);
	rt->cfg.tun_name = rt->tun_name;
	rt->sadb = sadb;
	rt->nw = rt->cfg.nqueues;
	rt->esp4 = rt->esp6 = rt->ah4 = rt->ah6 = rt->raw4 = rt->raw6 = -1;
	pthread_mutex_init(&rt->ctl, NULL);
	pthread_mutex_init(&rt->retire_lock, NULL);
	atomic_init(&rt->cls, NULL);
	atomic_init(&rt->tab, NULL);
	atomic_init(&rt->epoch, 1);
	atomic_init(&rt->flush, false);
	atomic_init(&rt->stop, false);
	rt->w = aligned_alloc(64, sizeof(*rt->w) * rt->nw);
	if (rt->w == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	memset(rt->w, 0, sizeof(*rt->w) * rt->nw);
	for (i = 0; i < rt->nw; i++) {
		struct rt_worker *w = &rt->w[i];

		w->rt = rt;
		w->idx = i;
		w->dw.slot = i;
		w->ep = w->tun = w->ev = w->udp4 = w->udp6 = -1;
		atomic_init(&w->qs, 0);
	}
	lim.per_peer = rt->cfg.queue_per_peer;
	lim.total = rt->cfg.queue_limit;
	lim.max_peers = rt->cfg.queue_limit < 256 ? rt->cfg.queue_limit : 256;
	lim.pkt_size = rt->cfg.mtu;
	lim.timeout_ms = rt->cfg.acquire_timeout_ms;
	rt->acq = acq_new(&lim);
	if (rt->acq == NULL) {
		snprintf(err, errlen, "acquire queue: bad limits or no memory");
		goto fail;
	}

	vnet = !rt->cfg.no_offload;
	if (tun_open(rt->tun_name, rt->nw, rt->cfg.mtu, rt->cfg.txqlen, &vnet,
	             tunfds, &rt->ifindex, err, errlen) < 0)
		goto fail;
	for (i = 0; i < rt->nw; i++) {
		struct rt_worker *w = &rt->w[i];
		unsigned g;

		w->tun = tunfds[i];
		w->vnet = vnet;
		w->udp_gso = !rt->cfg.no_offload;
		if (!vnet)
			continue;
		w->big = malloc(DP_PKT_DEFAULT_SIZE + TSO_MAXLEN);
		for (g = 0; g < GRO_MAX; g++)
			w->gro[g].buf = malloc(VNET_HLEN + GRO_MAXLEN);
		for (g = 0; g < GRO_MAX; g++)
			if (w->gro[g].buf == NULL)
				break;
		if (w->big == NULL || g < GRO_MAX) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	v6 = ipv6_available();
	if (open_shared_sockets(rt, v6, err, errlen) < 0)
		goto fail;
	for (i = 0; i < rt->nw; i++) {
		struct rt_worker *w = &rt->w[i];

		if (open_udp(rt, w, v6, err, errlen) < 0)
			goto fail;
		w->pool = dp_pool_new(rt->cfg.pool_size, DP_PKT_DEFAULT_SIZE);
		w->ep = epoll_create1(EPOLL_CLOEXEC);
		w->ev = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (w->pool == NULL || w->ep < 0 || w->ev < 0) {
			snprintf(err, errlen, "worker %u: %s", i,
			         w->pool == NULL ? "out of memory"
			                         : strerror(errno));
			goto fail;
		}
		/* Each network socket has exactly one reader, so a flow's
		 * packets are never reordered between workers. */
		if (ep_add(w->ep, w->tun, TAG_TUN) < 0 ||
		    ep_add(w->ep, w->ev, TAG_EV) < 0 ||
		    ep_add(w->ep, w->udp4, TAG_UDP4) < 0 ||
		    ep_add(w->ep, w->udp6, TAG_UDP6) < 0 ||
		    (i == 0 && (ep_add(w->ep, rt->esp4, TAG_ESP4) < 0 ||
		                ep_add(w->ep, rt->ah4, TAG_AH4) < 0)) ||
		    (i == rt->nw - 1 &&
		     (ep_add(w->ep, rt->esp6, TAG_ESP6) < 0 ||
		      ep_add(w->ep, rt->ah6, TAG_AH6) < 0))) {
			snprintf(err, errlen, "epoll: %s", strerror(errno));
			goto fail;
		}
	}
	rt->nl = nl_open(err, errlen);
	if (rt->nl == NULL)
		goto fail;
	if (!rt->cfg.no_routing) {
		if (rules(rt, true, err, errlen) < 0)
			goto fail;
		sysctl_set(rt, "/proc/sys/net/ipv4/conf/all/src_valid_mark",
		           "1");
		if (rt->cfg.loose_rp_filter)
			rp_filter_loosen(rt);
	}
	for (i = 0; i < rt->nw; i++) {
		int e = pthread_create(&rt->w[i].thread, NULL, rt_worker_main,
		                       &rt->w[i]);

		if (e != 0) {
			snprintf(err, errlen, "worker thread: %s", strerror(e));
			*out = rt;
			dp_runtime_stop(rt);
			*out = NULL;
			return -1;
		}
		rt->w[i].started = true;
	}
	*out = rt;
	return 0;
fail:
	runtime_free(rt);
	return -1;
}

void
dp_runtime_stop(struct dp_runtime *rt)
{
	unsigned i;

	if (rt == NULL)
		return;
	atomic_store(&rt->stop, true);
	for (i = 0; i < rt->nw; i++)
		if (rt->w[i].started)
			rt_wake(&rt->w[i]);
	for (i = 0; i < rt->nw; i++)
		if (rt->w[i].started)
			pthread_join(rt->w[i].thread, NULL);
	runtime_free(rt);
}

/* ---- accessors and statistics ----------------------------------------- */

unsigned
dp_runtime_nslots(const struct dp_runtime *rt)
{
	return rt->nw;
}

uint32_t
dp_runtime_fwmark(const struct dp_runtime *rt)
{
	return rt->cfg.fwmark;
}

const char *
dp_runtime_tun_name(const struct dp_runtime *rt)
{
	return rt->tun_name;
}

int
dp_runtime_tun_ifindex(const struct dp_runtime *rt)
{
	return rt->ifindex;
}

void
dp_runtime_stats(struct dp_runtime *rt, struct dp_stats *sum,
                 struct dp_rt_stats *extra)
{
	struct acq_counters ac;
	unsigned i, k;

	for (i = 0; i < rt->nw; i++)
		dp_stats_accumulate(sum, &rt->w[i].dw.stats);
	if (extra == NULL)
		return;
	memset(extra, 0, sizeof(*extra));
	for (i = 0; i < rt->nw; i++)
		for (k = 0; k < DP_RT_STAT_COUNT; k++) {
			const uint64_t *src =
			    (const uint64_t *)((const uint8_t *)&rt->w[i].ctr +
			                       dp_rt_stat_descs[k].offset);
			uint64_t *dst =
			    (uint64_t *)((uint8_t *)extra +
			                 dp_rt_stat_descs[k].offset);

			*dst += __atomic_load_n(src, __ATOMIC_RELAXED);
		}
	acq_counters(rt->acq, &ac);
	extra->queued += ac.queued;
	extra->queue_drops += ac.queue_drops;
	extra->queue_len = ac.queue_len;
	extra->acquires += ac.acquires;
	extra->acquire_timeouts += ac.acquire_timeouts;
}

int
dp_runtime_ike_send(struct dp_runtime *rt, const uint8_t *msg, size_t len,
                    const struct dp_addr *src, const struct dp_addr *dst,
                    uint16_t dport)
{
	static const uint8_t marker[4] = {0, 0, 0, 0};
	union rt_sockaddr to;
	union {
		struct cmsghdr align;
		uint8_t b[RT_CTL_LEN];
	} ctl;
	struct iovec iov[2];
	struct msghdr mh;
	int fd;

	memset(&to, 0, sizeof(to));
	memset(&mh, 0, sizeof(mh));
	memset(&ctl, 0, sizeof(ctl));
	iov[0].iov_base = (void *)(uintptr_t)marker;
	iov[0].iov_len = sizeof(marker);
	iov[1].iov_base = (void *)(uintptr_t)msg;
	iov[1].iov_len = len;
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	mh.msg_name = &to;
	if (dst->family == AF_INET) {
		fd = rt->w[0].udp4;
		to.in4.sin_family = AF_INET;
		to.in4.sin_port = htons(dport);
		memcpy(&to.in4.sin_addr, dst->bytes, 4);
		mh.msg_namelen = sizeof(to.in4);
		if (src != NULL) {
			struct cmsghdr *c;
			struct in_pktinfo pi;

			mh.msg_control = &ctl;
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi_spec_dst, src->bytes, 4);
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		}
	} else if (dst->family == AF_INET6) {
		fd = rt->w[0].udp6;
		to.in6.sin6_family = AF_INET6;
		to.in6.sin6_port = htons(dport);
		memcpy(&to.in6.sin6_addr, dst->bytes, 16);
		mh.msg_namelen = sizeof(to.in6);
		if (src != NULL) {
			struct cmsghdr *c;
			struct in6_pktinfo pi;

			mh.msg_control = &ctl;
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi6_addr, src->bytes, 16);
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		}
	} else {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (fd < 0) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	return sendmsg(fd, &mh, 0) < 0 ? -1 : 0;
}
