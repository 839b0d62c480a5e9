/*
 * io.c - the runtime's worker threads: the packet loop.
 *
 * One worker per TUN queue.  A wakeup (epoll, level-triggered) is one
 * "batch": the worker goes online (rt_online), takes the current
 * classifier and SA tables, and for each ready descriptor reads up to
 * cfg.batch packets (read() on its TUN queue, recvmmsg() on sockets),
 * processes each in place in its own pool's buffers, queues the results
 * per output socket and sends each queue with one sendmmsg(); decrypted
 * packets are written to its TUN queue.  Then it goes offline: a
 * quiescent point for snapshot reclamation.
 *
 * Which worker reads what: every worker its TUN queue and its own UDP
 * sockets (SO_REUSEPORT on the NAT-T port); worker 0 the raw IPv4 ESP
 * and AH sockets, the last worker the IPv6 ones.  One reader per socket
 * keeps a flow's packets in order.  Any worker sends on any socket.
 *
 * Worker 0 also releases packets queued for a peer whose outbound SA has
 * just been added, expires acquires and reclaims retired snapshots once
 * a second.
 *
 * With TUN offloads (offload.c) a TUN read may bring a TCP super-packet,
 * cut into segments that each take the path above; decrypted TCP
 * segments are coalesced per flow until the end of the batch.  UDP
 * output joins equal-size packets to one peer into one UDP_SEGMENT
 * message.  The classification and SA lookup of a packet are reused
 * for the next one of the same flow within a batch.
 */
#include <errno.h>
#include <linux/udp.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pkt.h"
#include "rt_core.h"
#include "sa.h"

/*
 * The last outbound decision of a batch: segments of a super-packet and
 * bursts share a flow, so the classification and SA lookup of the
 * previous packet serve the next one when its 5-tuple is the same.
 * Valid only while the batch's snapshots are (reset when online).
 */
struct out_cache {
	bool valid;
	struct dp_addr src, dst;
	uint8_t proto;
	uint16_t sport, dport;
	const struct dp_filter *flt;
	struct dp_sa *sa;
};

struct batch_ctx {
	struct rt_worker *w;
	const struct dp_classifier *cls;
	const struct satab *tab;
	struct out_cache oc;
};

/* ---- quiescent states -------------------------------------------------- */

/*
 * Online: publish the epoch seen, THEN load the snapshot pointers (both
 * sequentially consistent).  A writer swaps the pointer, THEN bumps the
 * epoch and reads every qs.  Either the writer sees our qs (older than
 * its epoch: it waits), or we see its new pointer.
 */
static void
rt_online(struct batch_ctx *b)
{
	struct dp_runtime *rt = b->w->rt;

	atomic_store(&b->w->qs, atomic_load(&rt->epoch));
	b->cls = atomic_load(&rt->cls);
	b->tab = atomic_load(&rt->tab);
	b->oc.valid = false;
}

static void
rt_offline(struct batch_ctx *b)
{
	b->cls = NULL;
	b->tab = NULL;
	b->oc.valid = false;
	atomic_store(&b->w->qs, 0);
}

/* ---- addresses ---------------------------------------------------------- */

static void
addr4(struct dp_addr *a, const void *b4)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	memcpy(a->bytes, b4, 4);
}

static void
addr6(struct dp_addr *a, const void *b16)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET6;
	memcpy(a->bytes, b16, 16);
}

/* ---- output -------------------------------------------------------------- */

static int
txq_fd(struct rt_worker *w, enum rt_txq q)
{
	struct dp_runtime *rt = w->rt;

	switch (q) {
	case TX_ESP4:
		return rt->esp4;
	case TX_ESP6:
		return rt->esp6;
	case TX_UDP4:
		return w->udp4;
	case TX_UDP6:
		return w->udp6;
	case TX_AH4:
		return rt->ah4;
	case TX_RAW4:
		return rt->raw4;
	case TX_RAW6:
		return rt->raw6;
	default:
		return -1;
	}
}

/* Control data of message m: the source address, and the segment
 * size when it carries several packets. */
static void
tx_control(struct rt_batch *b, unsigned m)
{
	struct msghdr *mh = &b->msg[m].msg_hdr;
	const struct dp_addr *src = &b->src[m];
	struct cmsghdr *c;
	size_t used = 0;

	mh->msg_control = NULL;
	mh->msg_controllen = 0;
	if (src->family == 0 && mh->msg_iovlen < 2)
		return;
	memset(b->ctl[m].b, 0, sizeof(b->ctl[m].b));
	mh->msg_control = b->ctl[m].b;
	mh->msg_controllen = sizeof(b->ctl[m].b);
	c = CMSG_FIRSTHDR(mh);
	if (src->family == AF_INET) {
		struct in_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		memcpy(&pi.ipi_spec_dst, src->bytes, 4);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		used += CMSG_SPACE(sizeof(pi));
	} else if (src->family == AF_INET6) {
		struct in6_pktinfo pi;

		memset(&pi, 0, sizeof(pi));
		memcpy(&pi.ipi6_addr, src->bytes, 16);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		used += CMSG_SPACE(sizeof(pi));
	}
	if (mh->msg_iovlen >= 2) {
		uint16_t seg = (uint16_t)mh->msg_iov[0].iov_len;

		if (used > 0)
			c = (struct cmsghdr *)(void *)(b->ctl[m].b + used);
		c->cmsg_level = IPPROTO_UDP; /* SOL_UDP */
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(seg));
		memcpy(CMSG_DATA(c), &seg, sizeof(seg));
		used += CMSG_SPACE(sizeof(seg));
	}
	mh->msg_controllen = used;
}

static void
tx_flush(struct rt_worker *w, enum rt_txq q)
{
	struct rt_batch *b = &w->tx[q];
	int fd = txq_fd(w, q);
	unsigned done = 0, i;

	for (i = 0; i < b->n; i++)
		tx_control(b, i);
	while (done < b->n) {
		int r = sendmmsg(fd, b->msg + done, b->n - done, MSG_DONTWAIT);

		if (r < 0) {
			struct msghdr *mh = &b->msg[done].msg_hdr;

			if (errno == EINTR)
				continue;
			/* A kernel without UDP segmentation offload: never
			 * again (these packets are lost once). */
			if (mh->msg_iovlen > 1 &&
			    (errno == EINVAL || errno == EIO ||
			     errno == ENOPROTOOPT))
				w->udp_gso = false;
			/* The message at done failed: count it, go on with
			 * the rest (a full queue drops, as a router does). */
			RT_CTR_ADD(w, tx_errors, mh->msg_iovlen);
			done++;
			continue;
		}
		for (i = done; i < done + (unsigned)r; i++)
			RT_CTR_ADD(w, net_tx, b->msg[i].msg_hdr.msg_iovlen);
		done += (unsigned)r;
	}
	for (i = 0; i < b->niov; i++)
		dp_pkt_release(b->pkt[i]);
	b->n = 0;
	b->niov = 0;
}

static void
tx_flush_all(struct rt_worker *w)
{
	unsigned q;

	for (q = 0; q < TX_COUNT; q++)
		if (w->tx[q].n > 0)
			tx_flush(w, (enum rt_txq)q);
}

static void
fill_name(union rt_sockaddr *n, const struct dp_addr *dst, uint16_t port,
          socklen_t *len)
{
	memset(n, 0, sizeof(*n));
	if (dst->family == AF_INET) {
		n->in4.sin_family = AF_INET;
		n->in4.sin_port = htons(port);
		memcpy(&n->in4.sin_addr, dst->bytes, 4);
		*len = sizeof(struct sockaddr_in);
	} else {
		n->in6.sin6_family = AF_INET6;
		n->in6.sin6_port = htons(port);
		memcpy(&n->in6.sin6_addr, dst->bytes, 16);
		*len = sizeof(struct sockaddr_in6);
	}
}

/*
 * Queues pkt for socket q, to dst (port: UDP only), from src (NULL: the
 * kernel picks; else IP_PKTINFO / IPV6_PKTINFO).  Takes the packet.
 * With UDP segmentation offload, a packet of the size of the previous
 * one(s) to the same peer joins their message.
 */
static void
tx_add(struct rt_worker *w, enum rt_txq q, struct dp_pkt *pkt,
       const struct dp_addr *dst, uint16_t port, const struct dp_addr *src)
{
	struct rt_batch *b = &w->tx[q];
	union rt_sockaddr name;
	struct msghdr *mh;
	socklen_t nlen;
	unsigned i;

	if (txq_fd(w, q) < 0) {
		RT_CTR_INC(w, tx_errors);
		dp_pkt_release(pkt);
		return;
	}
	if (b->niov == w->rt->cfg.batch)
		tx_flush(w, q);
	fill_name(&name, dst, port, &nlen);
	i = b->niov++;
	b->pkt[i] = pkt;
	b->iov[i].iov_base = dp_pkt_data(pkt);
	b->iov[i].iov_len = pkt->len;
	if (w->udp_gso && (q == TX_UDP4 || q == TX_UDP6) && b->n > 0) {
		unsigned m = b->n - 1;

		mh = &b->msg[m].msg_hdr;
		/* Every segment but the last has the size of the first. */
		if (mh->msg_iov[mh->msg_iovlen - 1].iov_len ==
		        mh->msg_iov[0].iov_len &&
		    pkt->len <= mh->msg_iov[0].iov_len &&
		    mh->msg_iovlen < UDP_GSO_MAX &&
		    b->bytes[m] + pkt->len <= UDP_GSO_BYTES &&
		    memcmp(&b->name[m], &name, sizeof(name)) == 0 &&
		    (src == NULL
		         ? b->src[m].family == 0
		         : memcmp(&b->src[m], src, sizeof(*src)) == 0)) {
			mh->msg_iovlen++;
			b->bytes[m] += pkt->len;
			return;
		}
	}
	i = b->n++;
	b->name[i] = name;
	mh = &b->msg[i].msg_hdr;
	memset(mh, 0, sizeof(*mh));
	mh->msg_iov = &b->iov[b->niov - 1];
	mh->msg_iovlen = 1;
	mh->msg_name = &b->name[i];
	mh->msg_namelen = nlen;
	b->bytes[i] = pkt->len;
	if (src != NULL)
		b->src[i] = *src;
	else
		memset(&b->src[i], 0, sizeof(b->src[i]));
}

static void
tun_flush(struct rt_worker *w)
{
	static const uint8_t zero_vnet[VNET_HLEN];
	unsigned i;

	for (i = 0; i < w->ntun; i++) {
		struct dp_pkt *pkt = w->tunq[i];
		struct iovec iov[2];
		ssize_t r;

		/* With offloads every write starts with a virtio-net
		 * header: all zero = one plain packet, checksum as is. */
		iov[0].iov_base = (void *)(uintptr_t)zero_vnet;
		iov[0].iov_len = sizeof(zero_vnet);
		iov[1].iov_base = dp_pkt_data(pkt);
		iov[1].iov_len = pkt->len;
		if (w->vnet)
			r = writev(w->tun, iov, 2);
		else
			r = write(w->tun, dp_pkt_data(pkt), pkt->len);
		if (r < 0)
			RT_CTR_INC(w, tx_errors);
		else
			RT_CTR_INC(w, tun_tx);
		dp_pkt_release(pkt);
	}
	w->ntun = 0;
	if (w->vnet)
		off_gro_flush(w);
}

/* ---- outbound: a packet from the TUN device ----------------------------- */

static void
send_with_sa(struct rt_worker *w, struct dp_sa *sa, struct dp_pkt *pkt,
             const struct dp_flow *f)
{
	const struct dp_addr *odst, *osrc;
	bool v4;

	if (w->idx >= sa->nslots) {
		RT_CTR_INC(w, no_slot);
		dp_pkt_release(pkt);
		return;
	}
	if (sa->mode == DP_MODE_TUNNEL) {
		odst = &sa->tun_dst;
		osrc = &sa->tun_src;
	} else {
		odst = &f->dst;
		osrc = &f->src;
	}
	v4 = odst->family == AF_INET;
	if (sa->proto == DP_PROTO_ESP) {
		if (dp_esp_encap(&w->dw, sa, pkt) != DP_OK) {
			RT_CTR_INC(w, encap_errors);
			dp_pkt_release(pkt);
			return;
		}
		if (sa->encap == DP_ENCAP_UDP)
			tx_add(w, v4 ? TX_UDP4 : TX_UDP6, pkt, odst,
			       sa->encap_dport, osrc);
		else
			tx_add(w, v4 ? TX_ESP4 : TX_ESP6, pkt, odst, 0, osrc);
		return;
	}
	/* AH and AH+ESP: a complete IP packet for a header-included
	 * socket. */
	if (dp_ah_encap(&w->dw, sa, pkt) != DP_OK) {
		RT_CTR_INC(w, encap_errors);
		dp_pkt_release(pkt);
		return;
	}
	tx_add(w, v4 ? TX_AH4 : TX_RAW6, pkt, odst, 0, NULL);
}

static void
queue_for_sa(struct rt_worker *w, const struct dp_filter *flt,
             const struct dp_addr *peer, struct dp_pkt *pkt,
             const struct dp_flow *f)
{
	struct dp_runtime *rt = w->rt;
	struct dp_acquire a;
	int r;

	r = acq_enqueue(rt->acq, flt->tunnel, peer, dp_pkt_data(pkt), f->len,
	                rt_now_ms());
	dp_pkt_release(pkt);
	if (r >= 0 && satab_has_peer(atomic_load(&rt->tab), flt->tunnel, peer)) {
		atomic_store(&rt->flush, true);
		rt_wake(&rt->w[0]);
	}
	if (r != 1 || rt->cfg.acquire == NULL)
		return;
	memset(&a, 0, sizeof(a));
	a.filter_id = flt->id;
	a.tunnel = flt->tunnel;
	a.peer = *peer;
	a.src = f->src;
	a.dst = f->dst;
	a.proto = f->proto;
	a.sport = f->sport;
	a.dport = f->dport;
	rt->cfg.acquire(rt->cfg.arg, &a);
}

/* Link-local and multicast destinations have no business in a tunnel
 * and cannot be sent on a raw socket without an interface. */
static bool
local_scope(const struct dp_addr *d)
{
	if (d->family == AF_INET)
		return d->bytes[0] >= 224 ||
		       (d->bytes[0] == 169 && d->bytes[1] == 254);
	return d->bytes[0] == 0xff ||
	       (d->bytes[0] == 0xfe && (d->bytes[1] & 0xc0) == 0x80);
}

static void
out_one(struct batch_ctx *b, struct dp_pkt *pkt)
{
	struct rt_worker *w = b->w;
	const struct dp_filter *flt;
	const struct dp_addr *peer;
	struct dp_flow f;
	struct dp_sa *sa;

	if (dp_flow_parse(dp_pkt_data(pkt), pkt->len, &f) != DP_OK) {
		STAT_INC(&w->dw.stats, malformed);
		dp_pkt_release(pkt);
		return;
	}
	pkt->len = f.len;
	if (local_scope(&f.dst)) {
		RT_CTR_INC(w, ignored);
		dp_pkt_release(pkt);
		return;
	}
	if (b->oc.valid && b->oc.proto == f.proto && b->oc.sport == f.sport &&
	    b->oc.dport == f.dport &&
	    memcmp(&b->oc.dst, &f.dst, sizeof(f.dst)) == 0 &&
	    memcmp(&b->oc.src, &f.src, sizeof(f.src)) == 0 &&
	    (b->oc.sa == NULL || !dp_sa_hard_expired(b->oc.sa))) {
		flt = b->oc.flt;
		sa = b->oc.sa;
		if (sa != NULL) {
			send_with_sa(w, sa, pkt, &f);
			return;
		}
	} else {
		flt = dp_classify(b->cls, &f);
		b->oc.valid = false;
	}
	if (flt == NULL || flt->outbound == DP_ACT_PERMIT) {
		/* No policy, or permit: out in clear, marked, so it does
		 * not come back into the TUN device. */
		RT_CTR_INC(w, permitted);
		tx_add(w, f.dst.family == AF_INET ? TX_RAW4 : TX_RAW6, pkt,
		       &f.dst, 0, NULL);
		return;
	}
	if (flt->outbound == DP_ACT_BLOCK) {
		RT_CTR_INC(w, blocked_out);
		dp_pkt_release(pkt);
		return;
	}
	peer = flt->tunnel ? &flt->tunnel_dst : &f.dst;
	sa = satab_out(b->tab, flt->tunnel, peer, &f);
	if (sa == NULL) {
		if (acq_soft(w->rt->acq, flt->tunnel, peer, rt_now_ms())) {
			/* A soft association: the peer has no IPsec. */
			RT_CTR_INC(w, soft_clear);
			tx_add(w, f.dst.family == AF_INET ? TX_RAW4 : TX_RAW6,
			       pkt, &f.dst, 0, NULL);
			return;
		}
		queue_for_sa(w, flt, peer, pkt, &f);
		return;
	}
	b->oc.valid = true;
	b->oc.src = f.src;
	b->oc.dst = f.dst;
	b->oc.proto = f.proto;
	b->oc.sport = f.sport;
	b->oc.dport = f.dport;
	b->oc.flt = flt;
	b->oc.sa = sa;
	send_with_sa(w, sa, pkt, &f);
}

static void
emit_segment(void *arg, struct dp_pkt *pkt)
{
	out_one(arg, pkt);
}

/*
 * One read with offloads: the virtio-net header, then the packet into a
 * pool buffer; a TCP super-packet spills over into w->big, is made
 * contiguous there and cut into segments.  Returns -1 when the device
 * is empty.
 */
static int
tun_read_vnet(struct batch_ctx *b)
{
	struct rt_worker *w = b->w;
	struct virtio_net_hdr vh;
	struct dp_pkt *pkt = dp_pool_get(w->pool);
	struct iovec iov[3];
	size_t room, len;
	ssize_t r;

	if (pkt == NULL)
		return -1;
	room = pkt->size - pkt->off - DP_PKT_TAILROOM;
	iov[0].iov_base = &vh;
	iov[0].iov_len = sizeof(vh);
	iov[1].iov_base = dp_pkt_data(pkt);
	iov[1].iov_len = room;
	iov[2].iov_base = w->big + room;
	iov[2].iov_len = TSO_MAXLEN;
	r = readv(w->tun, iov, 3);
	if (r <= 0) {
		dp_pkt_release(pkt);
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			RT_CTR_INC(w, rx_errors);
		return -1;
	}
	RT_CTR_INC(w, tun_rx);
	if ((size_t)r <= sizeof(vh)) {
		dp_pkt_release(pkt);
		return 0;
	}
	len = (size_t)r - sizeof(vh);
	if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		const uint8_t *p = dp_pkt_data(pkt);

		if (len > room) {
			memcpy(w->big, p, room);
			p = w->big;
		}
		RT_CTR_INC(w, tso_split);
		if (off_segment(w, &vh, p, len, emit_segment, b) < 0)
			RT_CTR_INC(w, encap_errors);
		dp_pkt_release(pkt);
		return 0;
	}
	if (len > room) {
		RT_CTR_INC(w, oversize);
		dp_pkt_release(pkt);
		return 0;
	}
	pkt->len = (uint32_t)len;
	if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		off_csum_finish(dp_pkt_data(pkt), len, vh.csum_start,
		                (size_t)vh.csum_start + vh.csum_offset);
	out_one(b, pkt);
	return 0;
}

static void
tun_rx(struct batch_ctx *b)
{
	struct rt_worker *w = b->w;
	unsigned n;

	for (n = 0; n < w->rt->cfg.batch; n++) {
		struct dp_pkt *pkt;
		ssize_t r;

		if (w->vnet) {
			if (tun_read_vnet(b) < 0)
				break;
			continue;
		}
		pkt = dp_pool_get(w->pool);
		if (pkt == NULL)
			break;
		r = read(w->tun, dp_pkt_data(pkt),
		         pkt->size - pkt->off - DP_PKT_TAILROOM);
		if (r <= 0) {
			dp_pkt_release(pkt);
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				RT_CTR_INC(w, rx_errors);
			break;
		}
		pkt->len = (uint32_t)r;
		RT_CTR_INC(w, tun_rx);
		out_one(b, pkt);
	}
	tx_flush_all(w);
}

/* ---- inbound ------------------------------------------------------------- */

/* A decrypted packet: the filters' inbound action, then the TUN queue. */
static void
deliver(struct batch_ctx *b, struct dp_pkt *pkt)
{
	struct rt_worker *w = b->w;
	const struct dp_filter *flt;
	struct dp_flow f;

	if (dp_flow_parse(dp_pkt_data(pkt), pkt->len, &f) == DP_OK) {
		flt = dp_classify(b->cls, &f);
		if (flt != NULL && flt->inbound == DP_ACT_BLOCK) {
			RT_CTR_INC(w, blocked_in);
			dp_pkt_release(pkt);
			return;
		}
	}
	/* Plain TCP data segments are coalesced for the kernel. */
	if (w->vnet && off_gro_add(w, pkt))
		return;
	if (w->ntun == RT_BATCH_MAX)
		tun_flush(w);
	w->tunq[w->ntun++] = pkt;
}

static bool
core_uncounted(enum dp_result r)
{
	/* The core counts every failure of the packet itself; these are
	 * the runtime's or the system's. */
	return r == DP_ERR_INVAL || r == DP_ERR_NOSPACE || r == DP_ERR_CRYPTO ||
	       r == DP_ERR_NOMEM;
}

static void
esp_in(struct batch_ctx *b, struct dp_pkt *pkt, const struct dp_addr *src,
       const struct dp_addr *dst)
{
	struct rt_worker *w = b->w;
	enum dp_result r;
	struct dp_sa *sa = NULL;

	if (pkt->len >= 8)
		sa = satab_in(b->tab, rd32(dp_pkt_data(pkt)), DP_PROTO_ESP);
	if (sa != NULL) {
		if (w->idx >= sa->nslots) {
			RT_CTR_INC(w, no_slot);
			dp_pkt_release(pkt);
			return;
		}
		r = dp_esp_decap(&w->dw, sa, pkt, src, dst);
	} else {
		/* Not (yet) in our tables: the engine's database decides,
		 * and counts a bad SPI. */
		r = dp_esp_input(&w->dw, w->rt->sadb, pkt, src, dst);
	}
	if (r != DP_OK) {
		if (core_uncounted(r))
			RT_CTR_INC(w, decap_errors);
		dp_pkt_release(pkt);
		return;
	}
	deliver(b, pkt);
}

static void
ah_in(struct batch_ctx *b, struct dp_pkt *pkt)
{
	struct rt_worker *w = b->w;
	struct dp_sa *sa = NULL;
	const uint8_t *p = dp_pkt_data(pkt);
	size_t hl = 0;
	enum dp_result r;

	/* The AH SPI sits 4 bytes into AH, after the fixed IP header
	 * (IPv4 options or IPv6 extension headers: left to the core). */
	if (pkt->len >= 1 && (p[0] >> 4) == 4)
		hl = (size_t)(p[0] & 0x0f) * 4;
	else if (pkt->len >= 1 && (p[0] >> 4) == 6)
		hl = IP6_HLEN;
	if (hl != 0 && pkt->len >= hl + 8)
		sa = satab_in(b->tab, rd32(p + hl + 4), DP_PROTO_AH);
	if (sa != NULL) {
		if (w->idx >= sa->nslots) {
			RT_CTR_INC(w, no_slot);
			dp_pkt_release(pkt);
			return;
		}
		r = dp_ah_decap(&w->dw, sa, pkt);
	} else {
		r = dp_ah_input(&w->dw, w->rt->sadb, pkt);
	}
	if (r != DP_OK) {
		if (core_uncounted(r))
			RT_CTR_INC(w, decap_errors);
		dp_pkt_release(pkt);
		return;
	}
	deliver(b, pkt);
}

/* The destination address of a received datagram, from its pktinfo. */
static bool
pktinfo_dst(struct msghdr *mh, struct dp_addr *dst)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			addr4(dst, &pi.ipi_addr);
			return true;
		}
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			addr6(dst, &pi.ipi6_addr);
			return true;
		}
	}
	return false;
}

/* Fills w->rx from fd: returns the number of datagrams received. */
static unsigned
rx_batch(struct rt_worker *w, int fd)
{
	struct rt_batch *b = &w->rx;
	unsigned n, i;
	int r;

	for (n = 0; n < w->rt->cfg.batch; n++) {
		struct dp_pkt *pkt = dp_pool_get(w->pool);
		struct msghdr *mh = &b->msg[n].msg_hdr;

		if (pkt == NULL)
			break;
		b->pkt[n] = pkt;
		b->iov[n].iov_base = dp_pkt_data(pkt);
		b->iov[n].iov_len = pkt->size - pkt->off - DP_PKT_TAILROOM;
		memset(mh, 0, sizeof(*mh));
		mh->msg_iov = &b->iov[n];
		mh->msg_iovlen = 1;
		mh->msg_name = &b->name[n];
		mh->msg_namelen = sizeof(b->name[n]);
		mh->msg_control = b->ctl[n].b;
		mh->msg_controllen = sizeof(b->ctl[n].b);
	}
	if (n == 0)
		return 0;
	r = recvmmsg(fd, b->msg, n, MSG_DONTWAIT, NULL);
	if (r < 0) {
		if (errno != EAGAIN && errno != EINTR)
			RT_CTR_INC(w, rx_errors);
		r = 0;
	}
	for (i = (unsigned)r; i < n; i++)
		dp_pkt_release(b->pkt[i]);
	for (i = 0; i < (unsigned)r; i++) {
		b->pkt[i]->len = b->msg[i].msg_len;
		RT_CTR_INC(w, net_rx);
	}
	return (unsigned)r;
}

static bool
truncated(struct rt_worker *w, unsigned i)
{
	if (w->rx.msg[i].msg_hdr.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		RT_CTR_INC(w, oversize);
		dp_pkt_release(w->rx.pkt[i]);
		return true;
	}
	return false;
}

/* Raw IPv4 ESP: the kernel hands the (reassembled) IP packet. */
static void
esp4_rx(struct batch_ctx *b)
{
	struct rt_worker *w = b->w;
	unsigned n = rx_batch(w, w->rt->esp4), i;

	for (i = 0; i < n; i++) {
		struct dp_pkt *pkt = w->rx.pkt[i];
		const uint8_t *p = dp_pkt_data(pkt);
		struct dp_addr src, dst;
		size_t ihl;

		if (truncated(w, i))
			continue;
		ihl = pkt->len >= 20 ? (size_t)(p[0] & 0x0f) * 4 : 0;
		if (ihl < 20 || ihl > pkt->len || (p[0] >> 4) != 4) {
			STAT_INC(&w->dw.stats, malformed);
			dp_pkt_release(pkt);
			continue;
		}
		addr4(&src, p + 12);
		addr4(&dst, p + 16);
		/* Trust the header's length over the datagram's. */
		if (rd16(p + 2) >= ihl && rd16(p + 2) < pkt->len)
			pkt->len = rd16(p + 2);
		pkt_pull(pkt, (uint32_t)ihl);
		esp_in(b, pkt, &src, &dst);
	}
	tun_flush(w);
}

/* Raw IPv6 ESP: payload only, addresses from the name and pktinfo. */
static void
esp6_rx(struct batch_ctx *b)
{
	struct rt_worker *w = b->w;
	unsigned n = rx_batch(w, w->rt->esp6), i;

	for (i = 0; i < n; i++) {
		struct dp_pkt *pkt = w->rx.pkt[i];
		struct dp_addr src, dst;

		if (truncated(w, i))
			continue;
		addr6(&src, &w->rx.name[i].in6.sin6_addr);
		if (!pktinfo_dst(&w->rx.msg[i].msg_hdr, &dst)) {
			RT_CTR_INC(w, rx_errors);
			dp_pkt_release(pkt);
			continue;
		}
		esp_in(b, pkt, &src, &dst);
	}
	tun_flush(w);
}

static void
ah4_rx(struct batch_ctx *b)
{
	struct rt_worker *w = b->w;
	unsigned n = rx_batch(w, w->rt->ah4), i;

	for (i = 0; i < n; i++)
		if (!truncated(w, i))
			ah_in(b, w->rx.pkt[i]);
	tun_flush(w);
}

/* Raw IPv6 AH: rebuild the fixed header the ICV covers (its mutable
 * fields are zero in the ICV, so their values do not matter). */
static void
ah6_rx(struct batch_ctx *b)
{
	struct rt_worker *w = b->w;
	unsigned n = rx_batch(w, w->rt->ah6), i;

	for (i = 0; i < n; i++) {
		struct dp_pkt *pkt = w->rx.pkt[i];
		struct dp_addr src, dst;
		uint8_t *h;

		if (truncated(w, i))
			continue;
		addr6(&src, &w->rx.name[i].in6.sin6_addr);
		if (!pktinfo_dst(&w->rx.msg[i].msg_hdr, &dst) ||
		    pkt->len > 65535) {
			RT_CTR_INC(w, rx_errors);
			dp_pkt_release(pkt);
			continue;
		}
		h = pkt_push(pkt, IP6_HLEN);
		ip6_build(h, 0, (uint16_t)(pkt->len - IP6_HLEN), IPPROTO_NUM_AH,
		          64, src.bytes, dst.bytes);
		ah_in(b, pkt);
	}
	tun_flush(w);
}

/* UDP on the NAT-T port (RFC 3948 §2): ESP, IKE or keepalive. */
static void
udp_rx(struct batch_ctx *b, int fd, bool v6)
{
	struct rt_worker *w = b->w;
	struct dp_runtime *rt = w->rt;
	unsigned n = rx_batch(w, fd), i;

	for (i = 0; i < n; i++) {
		struct dp_pkt *pkt = w->rx.pkt[i];
		const union rt_sockaddr *from = &w->rx.name[i];
		struct dp_addr src, dst;
		uint16_t sport;

		if (truncated(w, i))
			continue;
		if (v6) {
			addr6(&src, &from->in6.sin6_addr);
			sport = ntohs(from->in6.sin6_port);
		} else {
			addr4(&src, &from->in4.sin_addr);
			sport = ntohs(from->in4.sin_port);
		}
		if (!pktinfo_dst(&w->rx.msg[i].msg_hdr, &dst)) {
			RT_CTR_INC(w, rx_errors);
			dp_pkt_release(pkt);
			continue;
		}
		switch (dp_udp_classify(dp_pkt_data(pkt), pkt->len)) {
		case DP_UDP_ESP:
			esp_in(b, pkt, &src, &dst);
			continue;
		case DP_UDP_IKE:
			RT_CTR_INC(w, ike_rx);
			if (rt->cfg.ike_input != NULL)
				rt->cfg.ike_input(rt->cfg.arg,
				                  dp_pkt_data(pkt) + 4,
				                  pkt->len - 4, &src, &dst,
				                  sport, rt->cfg.natt_port);
			break;
		case DP_UDP_KEEPALIVE:
			RT_CTR_INC(w, keepalives);
			break;
		default:
			STAT_INC(&w->dw.stats, malformed);
			break;
		}
		dp_pkt_release(pkt);
	}
	tun_flush(w);
}

/* ---- worker 0's chores -----------------------------------------------------
 */

static bool
peer_ready(void *arg, bool tunnel, const struct dp_addr *peer)
{
	return satab_has_peer(arg, tunnel, peer);
}

static void
release_queued(struct batch_ctx *b)
{
	struct rt_worker *w = b->w;
	struct dp_pkt *list, *next;
	size_t n;

	b->tab = atomic_load(&w->rt->tab);
	n = acq_take_ready(w->rt->acq, peer_ready, (void *)(uintptr_t)b->tab,
	                   w->pool, w->rt->cfg.batch, &list);
	for (; list != NULL; list = next) {
		next = list->next;
		list->next = NULL;
		out_one(b, list);
	}
	tx_flush_all(w);
	/* More may wait: come back for them. */
	if (n == w->rt->cfg.batch) {
		atomic_store(&w->rt->flush, true);
		rt_wake(w);
	}
}

/* ---- the loop ---------------------------------------------------------------
 */

void *
rt_worker_main(void *arg)
{
	struct rt_worker *w = arg;
	struct dp_runtime *rt = w->rt;
	struct epoll_event evs[16];
	struct batch_ctx b = {.w = w};

	w->last_tick = rt_now_ms();
	while (!atomic_load(&rt->stop)) {
		int n, i;

		n = epoll_wait(w->ep, evs, 16, w->idx == 0 ? 1000 : -1);
		if (n < 0 && errno != EINTR)
			break;
		rt_online(&b);
		for (i = 0; i < n; i++) {
			switch ((enum rt_tag)evs[i].data.u32) {
			case TAG_TUN:
				tun_rx(&b);
				break;
			case TAG_EV: {
				uint64_t v;

				if (read(w->ev, &v, sizeof(v)) < 0) {
					/* spurious: nothing to read */
				}
				break;
			}
			case TAG_ESP4:
				esp4_rx(&b);
				break;
			case TAG_ESP6:
				esp6_rx(&b);
				break;
			case TAG_AH4:
				ah4_rx(&b);
				break;
			case TAG_AH6:
				ah6_rx(&b);
				break;
			case TAG_UDP4:
				udp_rx(&b, w->udp4, false);
				break;
			case TAG_UDP6:
				udp_rx(&b, w->udp6, true);
				break;
			}
		}
		if (w->idx == 0 && atomic_exchange(&rt->flush, false))
			release_queued(&b);
		rt_offline(&b);
		if (w->idx == 0) {
			uint64_t now = rt_now_ms();

			if (now - w->last_tick >= 1000) {
				w->last_tick = now;
				acq_expire(rt->acq, now);
				rt_reclaim(rt);
			}
		}
	}
	return NULL;
}
