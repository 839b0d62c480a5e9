/*
 * ike_load.c - an IKEv1 load generator for tests/bench/bench_ike.sh: one
 * process that plays N initiators, each from its own IPv4 address, and
 * runs one fresh Main Mode + Quick Mode per peer against a responder
 * (ipsecsh's service, strongSwan's charon, ...).
 *
 *   ike_load --peer 10.90.0.1 --base 10.91.0.0 -n 1000 --psk SECRET
 *            [--natt] [--tunnel] [--window W] [--timeout S]
 *            [--group 19] [--retransmit-ms MS] [--cleanup] [-v]
 *
 * Every initiator is a real negotiator (engine/ike.h): the same Main
 * Mode (PSK, AES-128-CBC, SHA2-256, the DH group), Quick Mode (ESP
 * AES-128-GCM-16, no PFS) and crypto as the service's, with real UDP
 * datagrams.  Peer i sends from base + i (skipping .0 and .255: see
 * peer_addr), on ports 500 and, after the NAT-T float, 4500.  Those
 * addresses must be local, e.g. `ip route add local 10.91.0.0/16 dev
 * lo` in the generator's namespace; one socket per port receives for all
 * of them (IP_PKTINFO tells which peer a datagram is for, and chooses
 * the source address of what we send).
 *
 * Every peer has its own negotiator (struct ike): one negotiator keys its
 * main mode SAs by the remote address alone, so peers sharing one would
 * share one main mode with the responder.  It also keeps the generator's
 * own walks over its SAs short, so that it is not the bottleneck.
 *
 * Timing: t0 is taken just before the first acquire; all N are started
 * at once (or at most W in flight with --window).  The run ends when
 * every peer has its pair installed, or at the timeout.  setups/s is
 * N / (time of the last install - t0).  Printed last, one line of
 * key=value pairs for scripts:
 *   n ok failed elapsed_ms setups_per_s lat_p50_ms lat_p99_ms sent
 *   retransmits recv cpu_ms
 * cpu_ms is the generator's own CPU time (user + system): were it close
 * to elapsed_ms, the generator would be the bottleneck.
 *
 * The negotiators are not freed on the way out unless --cleanup is
 * given: wiping N of them (their message buffers, untouched until then)
 * takes longer than the responder may still need after the report, which
 * bench_ike.sh times next; the exit gives the memory back all the same.
 *
 * Exit status: 0 if every peer got its pair, 1 if not, 2 on bad usage
 * or setup errors.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "ike.h"
#include "ike_msg.h"

#define BATCH 64 /* datagrams per recvmmsg */
#define DGRAM_MAX 4096

/* One initiator: its own negotiator, environment and counters. */
struct peer {
	struct load *load;
	struct ike *ike;
	struct ike_env env;
	struct live_ike_stats stats;
	uint32_t addr;        /* network order */
	uint64_t started_us;  /* acquire; 0: not yet */
	uint64_t done_us;     /* pair installed; 0: not yet */
	uint64_t last_tx;     /* hash of the last datagram sent */
	uint32_t last_tx_len;
	bool failed;          /* acquire refused */
};

struct load {
	/* Settings. */
	uint32_t peer_addr;   /* the responder, network order */
	uint32_t base;        /* host order */
	size_t n, window;
	bool cleanup;
	const char *psk;
	uint16_t group;
	bool natt, tunnel, verbose;
	unsigned timeout_s;
	uint32_t retransmit_ms;

	/* State. */
	int fd500, fd4500, ep;
	struct peer *peers;
	size_t next_start, ok, nfailed, inflight;
	uint64_t t0_us, last_us;
	uint64_t sent, retransmits, recvd, send_errors;
};

/* ---- clock, addresses ------------------------------------------------ */

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Peer i's address: base + 1 + 254 * (i / 254) + i % 254 skips every
 * .0 and .255, which some stacks treat as broadcast. */
static uint32_t
peer_addr(const struct load *l, size_t i)
{
	uint32_t a = l->base + (uint32_t)(i / 254) * 256u +
		     (uint32_t)(i % 254) + 1u;
	return htonl(a);
}

/* The index of the peer that owns addr (network order), or SIZE_MAX. */
static size_t
peer_index(const struct load *l, uint32_t addr)
{
	uint32_t a = ntohl(addr), off;
	size_t i;

	if (a < l->base)
		return SIZE_MAX;
	off = a - l->base;
	if ((off & 0xff) == 0 || (off & 0xff) == 255)
		return SIZE_MAX;
	i = (size_t)(off >> 8) * 254 + (off & 0xff) - 1;
	return i < l->n ? i : SIZE_MAX;
}

static void
addr_set(struct dp_addr *d, uint32_t a)
{
	memset(d, 0, sizeof(*d));
	d->family = AF_INET;
	memcpy(d->bytes, &a, 4);
}

/* FNV-1a: tells a retransmission (the same bytes again) from news. */
static uint64_t
hash_bytes(const uint8_t *p, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* ---- the negotiators' environment ------------------------------------ */

static uint64_t
env_now(void *arg)
{
	(void)arg;
	return now_us() / 1000u;
}

static void
env_random(void *arg, void *buf, size_t len)
{
	(void)arg;
	if (RAND_bytes(buf, (int)len) != 1)
		abort();
}

static int
env_send(void *arg, const uint8_t *msg, size_t len,
	 const struct ike_endpoint *from, const struct ike_endpoint *to)
{
	struct peer *p = arg;
	struct load *l = p->load;
	bool natt = from->port == IKE_NATT_PORT || to->port == IKE_NATT_PORT;
	static const uint8_t marker[4];
	struct sockaddr_in sin;
	struct in_pktinfo pi;
	struct iovec iov[2];
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} cb;
	struct msghdr mh;
	struct cmsghdr *cm;
	uint64_t h = hash_bytes(msg, len);
	ssize_t want = (ssize_t)len + (natt ? 4 : 0);

	if (from->addr.family != AF_INET || to->addr.family != AF_INET)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(to->port);
	memcpy(&sin.sin_addr, to->addr.bytes, 4);
	memset(&pi, 0, sizeof(pi));
	memcpy(&pi.ipi_spec_dst, from->addr.bytes, 4);
	memset(&cb, 0, sizeof(cb));
	memset(&mh, 0, sizeof(mh));
	/* The iovec lacks const; sendmsg does not write. */
	iov[0].iov_base = (void *)(uintptr_t)marker;
	iov[0].iov_len = sizeof(marker);
	iov[1].iov_base = (void *)(uintptr_t)msg;
	iov[1].iov_len = len;
	mh.msg_name = &sin;
	mh.msg_namelen = sizeof(sin);
	mh.msg_iov = natt ? iov : iov + 1;
	mh.msg_iovlen = natt ? 2 : 1;
	mh.msg_control = cb.buf;
	mh.msg_controllen = sizeof(cb.buf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	l->sent++;
	if (p->last_tx == h && p->last_tx_len == len)
		l->retransmits++;
	p->last_tx = h;
	p->last_tx_len = (uint32_t)len;
	if (sendmsg(natt ? l->fd4500 : l->fd500, &mh, 0) != want) {
		l->send_errors++;
		return -1;
	}
	return 0;
}

static int
env_mm_policy(void *arg, const struct ike_endpoint *local,
	      const struct ike_endpoint *peer, struct ike_mm_conf *out)
{
	struct peer *p = arg;
	struct load *l = p->load;
	size_t len = strlen(l->psk);

	(void)local;
	(void)peer;
	memset(out, 0, sizeof(*out));
	out->noffers = 1;
	out->offers[0] = (struct ike_mm_offer){.enc = IKE_ENC_AES_CBC,
					       .keybits = 128,
					       .hash = IKE_HASHALG_SHA2_256,
					       .group = l->group};
	out->nauths = 1;
	out->auths[0].method = IKE_AUTH_PSK;
	out->auths[0].psk_len = len;
	memcpy(out->auths[0].psk, l->psk, len);
	out->lifetime_s = 3600;
	out->natt_force = l->natt;
	return 0;
}

static int
env_qm_policy(void *arg, const struct ike_qm_query *q,
	      struct ike_qm_conf *out)
{
	struct peer *p = arg;
	struct load *l = p->load;

	memset(out, 0, sizeof(*out));
	if (!q->initiator)
		return -1; /* nobody negotiates with us */
	out->noffers = 1;
	out->offers[0] = (struct ike_qm_offer){.esp = true,
					       .esp_enc = IKE_ESP_AES_GCM_16,
					       .esp_keybits = 128,
					       .seconds = 3600};
	out->pfs_group = 0;
	out->tunnel = l->tunnel;
	/* Host to host: our address and the responder's. */
	out->local_ts.kind = IKE_TS_ADDR;
	out->local_ts.addr = q->acquire->src;
	out->remote_ts.kind = IKE_TS_ADDR;
	out->remote_ts.addr = q->acquire->dst;
	return 0;
}

static int
env_install(void *arg, const struct ike_child_info *c,
	    const struct dp_sa_params *in, const struct dp_sa_params *out)
{
	struct peer *p = arg;
	struct load *l = p->load;

	(void)c;
	(void)in;
	(void)out;
	if (p->done_us != 0)
		return 0;
	p->done_us = now_us();
	l->last_us = p->done_us;
	l->ok++;
	l->inflight--;
	return 0;
}

static void
env_uninstall(void *arg, const struct ike_child_info *c)
{
	(void)arg;
	(void)c;
}

static void
env_log(void *arg, int prio, const char *fmt, ...)
{
	struct peer *p = arg;
	va_list ap;

	if (!p->load->verbose && prio > LOG_WARNING)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "ike_load: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- sockets --------------------------------------------------------- */

static int
open_udp(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, buf = 4 << 20;
	struct sockaddr_in sin;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
	/* Answers to N peers may arrive together: a deep queue, so that
	 * the generator never drops what the responder sent. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		fprintf(stderr, "ike_load: bind UDP %u: %s\n", port,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads what is waiting on fd and hands each datagram to its peer's
 * negotiator; returns the lowest timer touched. */
static uint64_t
drain(struct load *l, int fd, bool natt)
{
	static uint8_t bufs[BATCH][DGRAM_MAX];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in from[BATCH];
	union {
		char c[CMSG_SPACE(sizeof(struct in_pktinfo)) + 64];
		struct cmsghdr align;
	} cb[BATCH];
	uint64_t next = UINT64_MAX;

	for (;;) {
		int r;

		memset(mm, 0, sizeof(mm));
		for (int k = 0; k < BATCH; k++) {
			iov[k].iov_base = bufs[k];
			iov[k].iov_len = sizeof(bufs[k]);
			mm[k].msg_hdr.msg_name = &from[k];
			mm[k].msg_hdr.msg_namelen = sizeof(from[k]);
			mm[k].msg_hdr.msg_iov = &iov[k];
			mm[k].msg_hdr.msg_iovlen = 1;
			mm[k].msg_hdr.msg_control = cb[k].c;
			mm[k].msg_hdr.msg_controllen = sizeof(cb[k].c);
		}
		r = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (r <= 0)
			break;
		for (int k = 0; k < r; k++) {
			struct msghdr *h = &mm[k].msg_hdr;
			const uint8_t *p = bufs[k];
			size_t len = mm[k].msg_len;
			struct ike_endpoint f, t;
			uint32_t dst = 0;
			size_t i;

			for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm != NULL;
			     cm = CMSG_NXTHDR(h, cm))
				if (cm->cmsg_level == IPPROTO_IP &&
				    cm->cmsg_type == IP_PKTINFO) {
					struct in_pktinfo pi;
					memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
					memcpy(&dst, &pi.ipi_addr, 4);
				}
			i = peer_index(l, dst);
			if (i == SIZE_MAX)
				continue;
			if (natt) {
				/* Keepalives and ESP are not for IKE. */
				if (len < 4 || memcmp(p, "\0\0\0\0", 4) != 0)
					continue;
				p += 4;
				len -= 4;
			}
			l->recvd++;
			memset(&f, 0, sizeof(f));
			memset(&t, 0, sizeof(t));
			f.addr.family = t.addr.family = AF_INET;
			memcpy(f.addr.bytes, &from[k].sin_addr, 4);
			f.port = ntohs(from[k].sin_port);
			memcpy(t.addr.bytes, &dst, 4);
			t.port = natt ? IKE_NATT_PORT : IKE_PORT;
			ike_input(l->peers[i].ike, p, len, &f, &t);
			uint64_t nt = ike_next_timer_ms(l->peers[i].ike);
			if (nt < next)
				next = nt;
		}
		if (r < BATCH)
			break;
	}
	return next;
}

/* ---- the run --------------------------------------------------------- */

/* Starts peers while the window allows; returns the lowest timer. */
static uint64_t
start_more(struct load *l)
{
	uint64_t next = UINT64_MAX;

	while (l->next_start < l->n &&
	       (l->window == 0 || l->inflight < l->window)) {
		struct peer *p = &l->peers[l->next_start++];
		struct ike_acquire a;

		memset(&a, 0, sizeof(a));
		a.rule_id = 1;
		addr_set(&a.local.addr, p->addr);
		addr_set(&a.peer.addr, l->peer_addr);
		a.src = a.local.addr;
		a.dst = a.peer.addr;
		a.tunnel = l->tunnel;
		p->started_us = now_us();
		l->inflight++;
		if (ike_acquire(p->ike, &a) < 0) {
			p->failed = true;
			l->nfailed++;
			l->inflight--;
			continue;
		}
		uint64_t nt = ike_next_timer_ms(p->ike);
		if (nt < next)
			next = nt;
	}
	return next;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
report(struct load *l)
{
	struct rusage ru;
	uint64_t *lat = calloc(l->n ? l->n : 1, sizeof(*lat));
	size_t nl = 0, failed = 0;
	double elapsed_ms = l->ok ? (double)(l->last_us - l->t0_us) / 1e3 : 0;
	double cpu_ms, p50 = 0, p99 = 0;
	struct live_ike_stats sum;

	memset(&sum, 0, sizeof(sum));
	for (size_t i = 0; i < l->n; i++)
		for (size_t k = 0; k < live_ike_stat_count; k++) {
			size_t off = live_ike_stat_descs[k].offset;
			uint64_t v, w;
			memcpy(&v, (const char *)&l->peers[i].stats + off, 8);
			memcpy(&w, (char *)&sum + off, 8);
			w += v;
			memcpy((char *)&sum + off, &w, 8);
		}
	for (size_t i = 0; i < l->n; i++) {
		if (l->peers[i].done_us != 0 && lat != NULL)
			lat[nl++] = l->peers[i].done_us - l->peers[i].started_us;
		else if (l->peers[i].done_us == 0)
			failed++;
	}
	if (nl > 0) {
		qsort(lat, nl, sizeof(*lat), cmp_u64);
		p50 = (double)lat[nl / 2] / 1e3;
		p99 = (double)lat[(nl * 99) / 100 < nl ? (nl * 99) / 100
						       : nl - 1] / 1e3;
	}
	free(lat);
	getrusage(RUSAGE_SELF, &ru);
	cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	if (failed > 0)
		fprintf(stderr,
			"ike_load: %zu of %zu peers without a pair; "
			"negotiation failures %llu, authentication failures "
			"%llu, acquire failures %llu, send errors %llu\n",
			failed, l->n,
			(unsigned long long)sum.negotiation_failures,
			(unsigned long long)sum.authentication_failures,
			(unsigned long long)sum.acquire_failures,
			(unsigned long long)l->send_errors);
	printf("n=%zu ok=%zu failed=%zu elapsed_ms=%.1f setups_per_s=%.1f "
	       "lat_p50_ms=%.1f lat_p99_ms=%.1f sent=%llu retransmits=%llu "
	       "recv=%llu cpu_ms=%.1f\n",
	       l->n, l->ok, failed, elapsed_ms,
	       elapsed_ms > 0 ? (double)l->ok * 1e3 / elapsed_ms : 0.0, p50,
	       p99, (unsigned long long)l->sent,
	       (unsigned long long)l->retransmits,
	       (unsigned long long)l->recvd, cpu_ms);
	fflush(stdout);
}

static int
run(struct load *l)
{
	struct epoll_event ev;
	uint64_t deadline, timer_at;

	l->t0_us = now_us();
	deadline = l->t0_us / 1000u + (uint64_t)l->timeout_s * 1000u;
	timer_at = start_more(l);
	while (l->ok + l->nfailed < l->n) {
		uint64_t now = now_us() / 1000u, t;
		int wait_ms, r;

		if (now >= deadline)
			break;
		t = timer_at < deadline ? timer_at : deadline;
		wait_ms = t > now ? (int)(t - now) : 0;
		r = epoll_wait(l->ep, &ev, 1, wait_ms);
		if (r < 0 && errno != EINTR)
			return -1;
		t = drain(l, l->fd500, false);
		if (t < timer_at)
			timer_at = t;
		t = drain(l, l->fd4500, true);
		if (t < timer_at)
			timer_at = t;
		now = now_us() / 1000u;
		if (now >= timer_at) {
			/* Retransmissions and expiries: every negotiator
			 * whose time has come, then the next deadline. */
			timer_at = UINT64_MAX;
			for (size_t i = 0; i < l->n; i++) {
				struct ike *ike = l->peers[i].ike;
				if (ike_next_timer_ms(ike) <= now)
					ike_timer(ike);
				t = ike_next_timer_ms(ike);
				if (t < timer_at)
					timer_at = t;
			}
		}
		t = start_more(l);
		if (t < timer_at)
			timer_at = t;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: ike_load --peer ADDR --base ADDR -n N --psk KEY "
		"[--natt] [--tunnel]\n"
		"                [--window W] [--timeout S] [--group G]\n"
		"                [--retransmit-ms MS] [--cleanup] [-v]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"peer", required_argument, NULL, 'p'},
		{"base", required_argument, NULL, 'b'},
		{"psk", required_argument, NULL, 'k'},
		{"natt", no_argument, NULL, 'a'},
		{"tunnel", no_argument, NULL, 't'},
		{"window", required_argument, NULL, 'w'},
		{"timeout", required_argument, NULL, 'T'},
		{"cleanup", no_argument, NULL, 'c'},
		{"group", required_argument, NULL, 'g'},
		{"retransmit-ms", required_argument, NULL, 'r'},
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0}};
	struct load l;
	struct in_addr ia;
	struct epoll_event ev;
	struct ike_conf conf;
	struct rlimit rl;
	int c, rc = 2;

	memset(&l, 0, sizeof(l));
	l.fd500 = l.fd4500 = l.ep = -1;
	l.group = 19;
	l.timeout_s = 60;
	while ((c = getopt_long(argc, argv, "n:v", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (inet_pton(AF_INET, optarg, &ia) != 1) {
				fprintf(stderr, "ike_load: bad --peer '%s'\n",
					optarg);
				return 2;
			}
			l.peer_addr = ia.s_addr;
			break;
		case 'b':
			if (inet_pton(AF_INET, optarg, &ia) != 1) {
				fprintf(stderr, "ike_load: bad --base '%s'\n",
					optarg);
				return 2;
			}
			l.base = ntohl(ia.s_addr) & ~0xffu;
			break;
		case 'n':
			l.n = strtoul(optarg, NULL, 10);
			break;
		case 'k':
			l.psk = optarg;
			break;
		case 'a':
			l.natt = true;
			break;
		case 't':
			l.tunnel = true;
			break;
		case 'w':
			l.window = strtoul(optarg, NULL, 10);
			break;
		case 'T':
			l.timeout_s = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'c':
			l.cleanup = true;
			break;
		case 'g':
			l.group = (uint16_t)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			l.retransmit_ms = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'v':
			l.verbose = true;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (l.peer_addr == 0 || l.base == 0 || l.n == 0 || l.psk == NULL ||
	    strlen(l.psk) > IKE_PSK_MAX || l.n > 254u * 256u) {
		usage();
		return 2;
	}
	/* Two sockets and an epoll: no fd pressure; but keep room. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1024) {
		rl.rlim_cur = rl.rlim_max < 1024 ? rl.rlim_max : 1024;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	l.peers = calloc(l.n, sizeof(*l.peers));
	if (l.peers == NULL) {
		fprintf(stderr, "ike_load: out of memory\n");
		goto out;
	}
	ike_conf_init(&conf);
	conf.retransmit_ms = l.retransmit_ms;
	for (size_t i = 0; i < l.n; i++) {
		struct peer *p = &l.peers[i];
		p->load = &l;
		p->addr = peer_addr(&l, i);
		p->env = (struct ike_env){.now_ms = env_now,
					  .random = env_random,
					  .send = env_send,
					  .mm_policy = env_mm_policy,
					  .qm_policy = env_qm_policy,
					  .install = env_install,
					  .uninstall = env_uninstall,
					  .stats = &p->stats,
					  .log = env_log,
					  .arg = p};
		p->ike = ike_new(&p->env, &conf);
		if (p->ike == NULL) {
			fprintf(stderr, "ike_load: out of memory\n");
			goto out;
		}
	}
	l.fd500 = open_udp(IKE_PORT);
	l.fd4500 = open_udp(IKE_NATT_PORT);
	l.ep = epoll_create1(EPOLL_CLOEXEC);
	if (l.fd500 < 0 || l.fd4500 < 0 || l.ep < 0)
		goto out;
	ev.events = EPOLLIN;
	ev.data.fd = l.fd500;
	epoll_ctl(l.ep, EPOLL_CTL_ADD, l.fd500, &ev);
	ev.data.fd = l.fd4500;
	epoll_ctl(l.ep, EPOLL_CTL_ADD, l.fd4500, &ev);
	if (run(&l) < 0) {
		fprintf(stderr, "ike_load: epoll: %s\n", strerror(errno));
		goto out;
	}
	report(&l);
	rc = l.ok == l.n ? 0 : 1;
	if (!l.cleanup)
		return rc;
out:
	if (l.peers != NULL)
		for (size_t i = 0; i < l.n; i++)
			ike_free(l.peers[i].ike);
	free(l.peers);
	if (l.fd500 >= 0)
		close(l.fd500);
	if (l.fd4500 >= 0)
		close(l.fd4500);
	if (l.ep >= 0)
		close(l.ep);
	return rc;
}
