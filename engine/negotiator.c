/*
 * negotiator.c - the IKE negotiator's environment in the service (see
 * negotiator.h).
 */
#include "negotiator.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "driver.h"
#include "ike_msg.h"
#include "negotiator_cert.h"
#include "log.h"
#include "loop.h"
#include "runtime.h"

/* What `usage` needs to see whether a pair is still used: its two
 * datapath SAs (a reference each, so an administrator's `delete sa`
 * cannot pull them from under us). */
struct child_use {
	uint64_t id;
	struct dp_sa *sa_in, *sa_out;
	bool has_out; /* the outbound SA is in (a responder's: message 3) */
	uint64_t bytes;
	uint64_t last_ms;
};

struct negotiator {
	struct ike *ike;
	struct ike_env env;
	struct live *live;
	struct driver *driver;
	struct loop *loop;
	struct loop_timer *timer;
	int fd4, fd6;
	uint16_t port, natt_port;
	uint32_t fwmark;
	struct neg_cert *cert;
	struct child_use *uses;
	size_t nuses, capuses;
};

/* ---- addresses -------------------------------------------------------- */

static void
ip_of(const struct dp_addr *a, struct ip_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = a->family;
	memcpy(out->bytes, a->bytes, sizeof(out->bytes));
}

static bool
prefix_has(const struct ip_addr *net, unsigned plen, const struct dp_addr *a)
{
	if (net->family == 0 || plen == 0)
		return net->family == 0 || net->family == a->family;
	if (net->family != a->family)
		return false;
	for (unsigned b = 0; b < plen; b++) {
		uint8_t m = (uint8_t)(0x80 >> (b % 8));
		if ((net->bytes[b / 8] & m) != (a->bytes[b / 8] & m))
			return false;
	}
	return true;
}

/* A traffic selector inside a filter's prefix. */
static bool
ts_inside(const struct ike_ts *ts, const struct ip_addr *net, unsigned plen)
{
	struct dp_addr a;
	uint8_t tplen;

	ike_ts_prefix(ts, &a, &tplen);
	return tplen >= plen && prefix_has(net, plen, &a);
}

static bool
addr_equal(const struct ip_addr *x, const struct dp_addr *y)
{
	return x->family == y->family &&
	       memcmp(x->bytes, y->bytes,
		      x->family == AF_INET ? 4 : 16) == 0;
}

static void
ts_of_prefix(const struct ip_addr *net, unsigned plen, uint8_t proto,
	     uint16_t port, struct ike_ts *ts)
{
	unsigned full = net->family == AF_INET6 ? 128 : 32;

	memset(ts, 0, sizeof(*ts));
	ts->addr.family = net->family ? net->family : AF_INET;
	memcpy(ts->addr.bytes, net->bytes, sizeof(ts->addr.bytes));
	ts->kind = plen == full ? IKE_TS_ADDR : IKE_TS_SUBNET;
	ts->plen = (uint8_t)(net->family ? plen : 0);
	ts->proto = proto;
	ts->port = port;
}

static void
ts_text(const struct ike_ts *ts, char *buf, size_t len)
{
	struct dp_addr a;
	struct ip_addr ip;
	uint8_t plen;
	char s[64];

	ike_ts_prefix(ts, &a, &plen);
	ip_of(&a, &ip);
	vocab_ip_format(&ip, s, sizeof(s));
	if (ts->kind == IKE_TS_ADDR)
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "%s/%u", s, plen);
}

/* ---- policy from the SPD ---------------------------------------------- */

static bool
negotiates(const struct spd_specific *f)
{
	return f->inbound == SPD_NEGOTIATE || f->outbound == SPD_NEGOTIATE;
}

/* The filter a peer's main mode falls under: a tunnel rule to that
 * gateway, else a transport rule whose far side holds the peer. */
static const struct spd_specific *
filter_for_peer(struct negotiator *n, const struct dp_addr *peer)
{
	size_t nf;
	const struct spd_specific *f = live_filters(n->live, &nf);

	for (size_t i = 0; i < nf; i++)
		if (negotiates(&f[i]) && f[i].tunnel &&
		    addr_equal(&f[i].tunnel_dst, peer))
			return &f[i];
	for (size_t i = 0; i < nf; i++)
		if (negotiates(&f[i]) && !f[i].tunnel && f[i].dst.family &&
		    prefix_has(&f[i].dst, f[i].dst_plen, peer))
			return &f[i];
	for (size_t i = 0; i < nf; i++)
		if (negotiates(&f[i]) && !f[i].tunnel &&
		    prefix_has(&f[i].dst, f[i].dst_plen, peer))
			return &f[i];
	return NULL;
}

static int
mm_offers(const struct spd_mmpolicy *p, struct ike_mm_conf *c)
{
	for (size_t i = 0; i < p->methods.n && c->noffers < IKE_MM_OFFERS_MAX;
	     i++) {
		const struct mm_offer *m = &p->methods.offer[i];
		struct ike_mm_offer *o = &c->offers[c->noffers];
		static const uint8_t hashes[] = {
			[MM_HASH_MD5] = IKE_HASHALG_MD5,
			[MM_HASH_SHA1] = IKE_HASHALG_SHA1,
			[MM_HASH_SHA256] = IKE_HASHALG_SHA2_256,
			[MM_HASH_SHA384] = IKE_HASHALG_SHA2_384,
			[MM_HASH_SHA512] = IKE_HASHALG_SHA2_512};
		switch (m->enc) {
		case MM_ENC_AES128:
			o->enc = IKE_ENC_AES_CBC, o->keybits = 128;
			break;
		case MM_ENC_AES192:
			o->enc = IKE_ENC_AES_CBC, o->keybits = 192;
			break;
		case MM_ENC_AES256:
			o->enc = IKE_ENC_AES_CBC, o->keybits = 256;
			break;
		case MM_ENC_3DES:
			o->enc = IKE_ENC_3DES_CBC, o->keybits = 0;
			break;
		default: /* DES: refused by the negotiator's crypto */
			continue;
		}
		o->hash = hashes[m->hash];
		o->group = (uint16_t)m->iana_group;
		c->noffers++;
	}
	return c->noffers > 0 ? 0 : -1;
}

/* The rule's authentication methods in its order: each psk= entry, and
 * its rootca= entries together as one signature method (where the first
 * of them stands), whose trust holds all of them. */
static void
auth_methods(struct negotiator *n, const struct spd_rule *r,
	     struct ike_mm_conf *out)
{
	struct store_auth cas[STORE_AUTH_MAX];
	size_t ncas = 0, sig_at = SIZE_MAX;

	for (size_t i = 0; i < r->nauth && i < STORE_AUTH_MAX; i++)
		if (r->auth[i].kind == STORE_AUTH_ROOTCA)
			cas[ncas++] = r->auth[i];
	for (size_t i = 0; i < r->nauth && out->nauths < IKE_AUTHS_MAX; i++) {
		const struct store_auth *au = &r->auth[i];
		struct ike_auth *a = &out->auths[out->nauths];
		size_t len = strlen(au->value);

		if (au->kind == STORE_AUTH_PSK && len <= IKE_PSK_MAX) {
			a->method = IKE_AUTH_PSK;
			a->psk_len = len;
			memcpy(a->psk, au->value, len);
			out->nauths++;
		} else if (au->kind == STORE_AUTH_ROOTCA &&
			   sig_at == SIZE_MAX) {
			a->cert = neg_cert_trust(n->cert, cas, ncas);
			if (a->cert == NULL)
				continue;
			a->method = IKE_AUTH_RSA_SIG;
			sig_at = out->nauths++;
		}
	}
	/* A certificate names us by its subject; the peer checks the ID
	 * against it.  (A PSK peer is named by our address.) */
	if (sig_at == 0)
		neg_cert_identity(n->cert, &out->local_id);
}

static int
env_mm_policy(void *arg, const struct ike_endpoint *local,
	      const struct ike_endpoint *peer, struct ike_mm_conf *out)
{
	struct negotiator *n = arg;
	const struct spd_specific *f = filter_for_peer(n, &peer->addr);
	const struct spd_mmpolicy *p;
	const struct spd_rule *r;

	(void)local;
	memset(out, 0, sizeof(*out));
	if (f == NULL)
		return -1;
	r = f->rule;
	p = spd_mmpolicy_get(live_spd(n->live), r->mmpolicy);
	if (p == NULL || mm_offers(p, out) < 0)
		return -1;
	auth_methods(n, r, out);
	if (out->nauths == 0)
		return -1;
	out->lifetime_s = (uint32_t)p->mmlifetime * 60;
	out->qmpermm = (unsigned)p->qmpermm;
	out->soft_s = (uint32_t)p->softsaexpirationtime;
	out->policy_id = r->id;
	return 0;
}

static void
qm_offers(const struct spd_qmpolicy *p, struct ike_qm_conf *c)
{
	static const uint8_t integ[] = {
		[QM_INTEG_NONE] = 0,
		[QM_INTEG_MD5] = IKE_IAUTH_HMAC_MD5,
		[QM_INTEG_SHA1] = IKE_IAUTH_HMAC_SHA1,
		[QM_INTEG_SHA256] = IKE_IAUTH_HMAC_SHA2_256,
		[QM_INTEG_SHA384] = IKE_IAUTH_HMAC_SHA2_384,
		[QM_INTEG_SHA512] = IKE_IAUTH_HMAC_SHA2_512};

	for (size_t i = 0; i < p->methods.n && c->noffers < IKE_QM_OFFERS_MAX;
	     i++) {
		const struct qm_offer *q = &p->methods.offer[i];
		struct ike_qm_offer *o = &c->offers[c->noffers];
		memset(o, 0, sizeof(*o));
		o->ah = q->ah;
		o->ah_auth = q->ah ? integ[q->ah_hash] : 0;
		o->esp = q->esp;
		if (q->esp) {
			switch (q->esp_conf) {
			case QM_CONF_NONE:
				o->esp_enc = IKE_ESP_NULL;
				break;
			case QM_CONF_3DES:
				o->esp_enc = IKE_ESP_3DES;
				break;
			case QM_CONF_AES128:
			case QM_CONF_AES192:
			case QM_CONF_AES256:
				o->esp_enc = IKE_ESP_AES_CBC;
				o->esp_keybits = q->esp_conf == QM_CONF_AES128 ? 128
						 : q->esp_conf == QM_CONF_AES192
							 ? 192
							 : 256;
				break;
			case QM_CONF_AES128GCM:
			case QM_CONF_AES256GCM:
				o->esp_enc = IKE_ESP_AES_GCM_16;
				o->esp_keybits =
					q->esp_conf == QM_CONF_AES128GCM ? 128
									 : 256;
				break;
			default: /* DES: not offered */
				continue;
			}
			o->esp_auth = integ[q->esp_integ];
		}
		o->seconds = q->seconds;
		o->kbytes = q->kbytes;
		c->noffers++;
	}
}

/* The compiled filter of a rule that covers a flow (outbound view). */
static const struct spd_specific *
filter_for_flow(struct negotiator *n, uint32_t rule_id,
		const struct dp_addr *src, const struct dp_addr *dst)
{
	size_t nf;
	const struct spd_specific *f = live_filters(n->live, &nf);

	for (size_t i = 0; i < nf; i++)
		if (f[i].rule->id == rule_id && negotiates(&f[i]) &&
		    prefix_has(&f[i].src, f[i].src_plen, src) &&
		    prefix_has(&f[i].dst, f[i].dst_plen, dst))
			return &f[i];
	return NULL;
}

/* Responder: a filter that allows the proposed selectors, seen from us. */
static const struct spd_specific *
filter_for_ts(struct negotiator *n, const struct ike_qm_query *q,
	      const struct ike_ts *local, const struct ike_ts *remote)
{
	size_t nf;
	const struct spd_specific *f = live_filters(n->live, &nf);

	for (size_t i = 0; i < nf; i++) {
		if (!negotiates(&f[i]) || f[i].tunnel != q->tunnel)
			continue;
		if (f[i].tunnel && !addr_equal(&f[i].tunnel_dst, &q->peer.addr))
			continue;
		if (ts_inside(local, &f[i].src, f[i].src_plen) &&
		    ts_inside(remote, &f[i].dst, f[i].dst_plen))
			return &f[i];
	}
	return NULL;
}

static int
env_qm_policy(void *arg, const struct ike_qm_query *q,
	      struct ike_qm_conf *out)
{
	struct negotiator *n = arg;
	const struct spd_specific *f;
	const struct spd_qmpolicy *p;
	struct ike_ts host_local, host_remote;

	memset(out, 0, sizeof(*out));
	if (q->initiator) {
		const struct ike_acquire *a = q->acquire;
		f = filter_for_flow(n, a->rule_id, &a->src, &a->dst);
		if (f == NULL)
			return -1;
		if (f->tunnel) {
			ts_of_prefix(&f->src, f->src_plen, f->protocol,
				     f->srcport, &out->local_ts);
			ts_of_prefix(&f->dst, f->dst_plen, f->protocol,
				     f->dstport, &out->remote_ts);
		} else {
			struct ip_addr s, d;
			ip_of(&a->src, &s);
			ip_of(&a->dst, &d);
			ts_of_prefix(&s, s.family == AF_INET ? 32 : 128,
				     f->protocol, f->srcport, &out->local_ts);
			ts_of_prefix(&d, d.family == AF_INET ? 32 : 128,
				     f->protocol, f->dstport, &out->remote_ts);
		}
	} else {
		const struct ike_ts *l = q->local_ts, *r = q->remote_ts;
		if (l == NULL || r == NULL) {
			/* No IDs: the IKE peers' addresses (RFC 2409 5.5). */
			struct ip_addr s, d;
			ip_of(&q->local.addr, &s);
			ip_of(&q->peer.addr, &d);
			ts_of_prefix(&s, s.family == AF_INET ? 32 : 128, 0, 0,
				     &host_local);
			ts_of_prefix(&d, d.family == AF_INET ? 32 : 128, 0, 0,
				     &host_remote);
			l = &host_local;
			r = &host_remote;
		}
		f = filter_for_ts(n, q, l, r);
		if (f == NULL)
			return -1;
		out->local_ts = *l;
		out->remote_ts = *r;
	}
	p = spd_qmpolicy_get(live_spd(n->live), f->rule->qmpolicy);
	if (p == NULL)
		return -1;
	qm_offers(p, out);
	if (out->noffers == 0)
		return -1;
	out->pfs_group = p->pfsgroup;
	out->tunnel = f->tunnel;
	out->soft = p->soft;
	out->rule_id = f->rule->id;
	return 0;
}

/* ---- SAs ------------------------------------------------------------- */

static void
describe(const struct ike_child_info *c, const struct dp_sa_params *p,
	 bool in, struct live_sa *d)
{
	struct qm_offer o;
	struct ip_addr a;

	memset(d, 0, sizeof(*d));
	d->spi = p->spi;
	d->dir = p->dir;
	d->mode = p->mode;
	d->encap = p->encap;
	ts_text(in ? &c->remote_ts : &c->local_ts, d->srcaddr,
		sizeof(d->srcaddr));
	ts_text(in ? &c->local_ts : &c->remote_ts, d->dstaddr,
		sizeof(d->dstaddr));
	if (p->mode == DP_MODE_TUNNEL) {
		ip_of(in ? &c->peer.addr : &c->local.addr, &a);
		vocab_ip_format(&a, d->tunnelsrc, sizeof(d->tunnelsrc));
		ip_of(in ? &c->local.addr : &c->peer.addr, &a);
		vocab_ip_format(&a, d->tunneldst, sizeof(d->tunneldst));
	}
	/* The offer as an administrator writes it. */
	memset(&o, 0, sizeof(o));
	o.ah = c->offer.ah;
	o.esp = c->offer.esp;
	o.ah_hash = c->offer.ah_auth == IKE_IAUTH_HMAC_SHA2_256 ? QM_INTEG_SHA256
		    : c->offer.ah_auth == IKE_IAUTH_HMAC_MD5	   ? QM_INTEG_MD5
								   : QM_INTEG_SHA1;
	switch (c->offer.esp_enc) {
	case IKE_ESP_AES_GCM_16:
		o.esp_conf = c->offer.esp_keybits == 256 ? QM_CONF_AES256GCM
							 : QM_CONF_AES128GCM;
		break;
	case IKE_ESP_AES_CBC:
		o.esp_conf = c->offer.esp_keybits == 256   ? QM_CONF_AES256
			     : c->offer.esp_keybits == 192 ? QM_CONF_AES192
							   : QM_CONF_AES128;
		break;
	case IKE_ESP_3DES:
		o.esp_conf = QM_CONF_3DES;
		break;
	default:
		o.esp_conf = QM_CONF_NONE;
		break;
	}
	switch (c->offer.esp_auth) {
	case IKE_IAUTH_HMAC_SHA1:
		o.esp_integ = QM_INTEG_SHA1;
		break;
	case IKE_IAUTH_HMAC_SHA2_256:
		o.esp_integ = QM_INTEG_SHA256;
		break;
	case IKE_IAUTH_HMAC_SHA2_384:
		o.esp_integ = QM_INTEG_SHA384;
		break;
	case IKE_IAUTH_HMAC_SHA2_512:
		o.esp_integ = QM_INTEG_SHA512;
		break;
	case IKE_IAUTH_HMAC_MD5:
		o.esp_integ = QM_INTEG_MD5;
		break;
	default:
		o.esp_integ = QM_INTEG_NONE;
		break;
	}
	o.seconds = c->offer.seconds ? c->offer.seconds
				     : VOCAB_QM_SECONDS_DEFAULT;
	o.kbytes = c->offer.kbytes ? c->offer.kbytes : VOCAB_QM_KBYTES_DEFAULT;
	vocab_qmoffer_format(&o, d->secmethod, sizeof(d->secmethod));
	d->manual = false;
}

/* Starts or ends clear text with a soft peer, in both directions: the
 * driver sends outbound in clear, the inbound filter lets it in. */
static int
soft_peer(struct negotiator *n, const struct ike_child_info *c, bool on)
{
	bool tunnel = c->mode == DP_MODE_TUNNEL;

	if (n->driver == NULL)
		return 0;
	/* The uninstall call ends it; the length is only a backstop. */
	if (dp_runtime_soft(driver_runtime(n->driver), tunnel, &c->peer.addr,
			    on ? 172800u : 0u) < 0 && on)
		return -1;
	/* Inbound: the packet filter lets the peer's clear text in. */
	if (driver_soft_peer(n->driver, &c->peer.addr, on) < 0 && on) {
		dp_runtime_soft(driver_runtime(n->driver), tunnel,
				&c->peer.addr, 0);
		return -1;
	}
	return 0;
}

/* The datapath SA live holds for (spi, dir), with a reference. */
static struct dp_sa *
sa_ref(struct negotiator *n, uint32_t spi, enum dp_dir dir)
{
	const struct live_sa *s;

	for (size_t i = 0; (s = live_sa_at(n->live, i)) != NULL; i++)
		if (s->spi == spi && s->dir == dir) {
			dp_sa_get(s->sa);
			return s->sa;
		}
	return NULL;
}

static uint64_t
sa_bytes(const struct dp_sa *sa)
{
	struct dp_sa_info info;

	if (sa == NULL)
		return 0;
	dp_sa_info(sa, &info);
	return info.bytes;
}

static void
use_drop(struct negotiator *n, size_t i)
{
	dp_sa_put(n->uses[i].sa_in);
	dp_sa_put(n->uses[i].sa_out);
	n->uses[i] = n->uses[--n->nuses];
}

static int
sa_add(struct negotiator *n, const struct dp_sa_params *p,
       const struct live_sa *d)
{
	char err[256];

	if (live_sa_add(n->live, p, d, err, sizeof(err)) == 0)
		return 0;
	log_err("IKE: %s SA not installed: %s",
		p->dir == DP_DIR_IN ? "inbound" : "outbound", err);
	return -1;
}

/* The usage entry of a pair, or NULL. */
static struct child_use *
use_find(struct negotiator *n, uint64_t id)
{
	for (size_t i = 0; i < n->nuses; i++)
		if (n->uses[i].id == id)
			return &n->uses[i];
	return NULL;
}

/*
 * A pair's SAs (ike.h, env->install): both at once when we initiated
 * (inbound first, so that nothing the peer sends on the new pair meets
 * a missing SA); as responder, the inbound SA with message 2 (the
 * initiator sends ESP as soon as it has message 2) and the outbound one
 * with message 3 (before it, the initiator may not have the keys).  In
 * between, an answer to the initiator's first packets finds no outbound
 * SA: the datapath queues it and raises an acquire, which ike_acquire
 * takes as answered by the pair in progress (no second pair), and the
 * packet leaves once the outbound SA is in.  Each pair has one usage
 * entry from its first SA on.
 */
static int
env_install(void *arg, const struct ike_child_info *c,
	    const struct dp_sa_params *in, const struct dp_sa_params *out)
{
	struct negotiator *n = arg;
	struct live_sa din, dout;
	char err[256];
	struct child_use *u;

	if (in == NULL && out == NULL) {
		/* A soft association: the peer never answered and the
		 * policy lets the traffic go in clear until uninstall. */
		log_msg(LOG_CAT_IKE, LOG_NOTICE,
			"soft association for rule %u: clear text allowed",
			c->rule_id);
		return soft_peer(n, c, true);
	}
	if (in == NULL) {
		/* The responder's outbound SA completes its pair. */
		u = use_find(n, c->id);
		if (u == NULL || u->has_out)
			return -1;
		describe(c, out, false, &dout);
		if (sa_add(n, out, &dout) < 0)
			return -1;
		u->sa_out = sa_ref(n, out->spi, DP_DIR_OUT);
		u->has_out = true;
		return 0;
	}
	/* A new pair: room for its usage entry first, so that a pair is
	 * never in without one. */
	if (n->nuses == n->capuses) {
		size_t cap = n->capuses ? 2 * n->capuses : 16;
		u = realloc(n->uses, cap * sizeof(*u));
		if (u == NULL)
			return -1;
		n->uses = u;
		n->capuses = cap;
	}
	describe(c, in, true, &din);
	if (sa_add(n, in, &din) < 0)
		return -1;
	if (out != NULL) {
		describe(c, out, false, &dout);
		if (sa_add(n, out, &dout) < 0) {
			live_sa_delete(n->live, in->spi, DP_DIR_IN, err,
				       sizeof(err));
			return -1;
		}
	}
	n->uses[n->nuses++] = (struct child_use){
		.id = c->id,
		.sa_in = sa_ref(n, in->spi, DP_DIR_IN),
		.sa_out = out != NULL ? sa_ref(n, out->spi, DP_DIR_OUT) : NULL,
		.has_out = out != NULL,
	};
	return 0;
}

static void
env_uninstall(void *arg, const struct ike_child_info *c)
{
	struct negotiator *n = arg;
	struct child_use *u;
	char err[256];

	if (c->soft) {
		soft_peer(n, c, false);
		return;
	}
	u = use_find(n, c->id);
	live_sa_delete(n->live, c->spi_in, DP_DIR_IN, err, sizeof(err));
	/* A responder's pair that never got message 3 has no outbound SA
	 * (another pair's may carry the same SPI toward another peer). */
	if (u == NULL || u->has_out)
		live_sa_delete(n->live, c->spi_out, DP_DIR_OUT, err,
			       sizeof(err));
	if (u != NULL)
		use_drop(n, (size_t)(u - n->uses));
}

static int
env_usage(void *arg, const struct ike_child_info *c, uint64_t *bytes,
	  uint64_t *last_use_ms)
{
	struct negotiator *n = arg;

	struct child_use *u = use_find(n, c->id);
	uint64_t b;

	if (u == NULL)
		return -1;
	b = sa_bytes(u->sa_in) + sa_bytes(u->sa_out);
	/* Used since the last look: now is its last use. */
	if (b != u->bytes) {
		u->bytes = b;
		u->last_ms = loop_now(n->loop);
	}
	*bytes = b;
	*last_use_ms = u->last_ms;
	return 0;
}

/* ---- network, clock, randomness, log -------------------------------- */

static uint64_t
env_now(void *arg)
{
	struct negotiator *n = arg;

	return loop_now(n->loop);
}

static void
env_random(void *arg, void *buf, size_t len)
{
	(void)arg;
	/* A failing CSPRNG must not yield predictable cookies or keys. */
	if (RAND_bytes(buf, (int)len) != 1)
		abort();
}

/* addr:port as a socket address; its length. */
static socklen_t
sockaddr_of(const struct dp_addr *addr, uint16_t port,
	    struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (addr->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, addr->bytes, 4);
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, addr->bytes, 16);
	return sizeof(*s6);
}

static int
sock_send(int fd, const uint8_t *msg, size_t len,
	  const struct ike_endpoint *from, const struct ike_endpoint *to)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct msghdr mh;
	/* sendmsg does not write the buffer; iovec just lacks const. */
	struct iovec iov = {.iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cb;
	struct cmsghdr *cm;

	memset(&mh, 0, sizeof(mh));
	memset(&cb, 0, sizeof(cb));
	memcpy(&iov.iov_base, &msg, sizeof(msg));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cb.buf;
	sl = sockaddr_of(&to->addr, to->port, &ss);
	/* Answer from the address the peer talks to. */
	if (to->addr.family == AF_INET) {
		struct in_pktinfo pi;
		memset(&pi, 0, sizeof(pi));
		memcpy(&pi.ipi_spec_dst, from->addr.bytes, 4);
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	} else {
		struct in6_pktinfo pi;
		memset(&pi, 0, sizeof(pi));
		memcpy(&pi.ipi6_addr, from->addr.bytes, 16);
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
	if (from->addr.family != to->addr.family)
		mh.msg_controllen = 0;
	mh.msg_name = &ss;
	mh.msg_namelen = sl;
	return sendmsg(fd, &mh, 0) == (ssize_t)len ? 0 : -1;
}

static int
env_send(void *arg, const uint8_t *msg, size_t len,
	 const struct ike_endpoint *from, const struct ike_endpoint *to)
{
	struct negotiator *n = arg;

	if (from->port == n->natt_port || to->port == n->natt_port) {
		if (n->driver == NULL)
			return -1;
		return dp_runtime_ike_send(driver_runtime(n->driver), msg, len,
					   from->addr.family ? &from->addr
							     : NULL,
					   &to->addr, to->port);
	}
	if (to->addr.family == AF_INET && n->fd4 >= 0)
		return sock_send(n->fd4, msg, len, from, to);
	if (to->addr.family == AF_INET6 && n->fd6 >= 0)
		return sock_send(n->fd6, msg, len, from, to);
	return -1;
}

static void
env_log(void *arg, int prio, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	(void)arg;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_msg(LOG_CAT_IKE, prio, "IKE: %s", line);
}

/* ---- driving the negotiator ------------------------------------------ */

static void
rearm(struct negotiator *n)
{
	uint64_t next = ike_next_timer_ms(n->ike), now = loop_now(n->loop);

	if (next == UINT64_MAX)
		loop_timer_disarm(n->timer);
	else
		loop_timer_arm(n->timer, next > now ? next - now : 0);
}

/* The SAs one event installs or removes reach the workers as one table
 * (a burst of setups would otherwise rebuild it once per SA). */
static void
batch(struct negotiator *n, bool on)
{
	if (n->driver != NULL)
		driver_defer_sas(n->driver, on);
}

static void
on_timer(struct loop *l, struct loop_timer *t, void *arg)
{
	struct negotiator *n = arg;

	(void)l;
	(void)t;
	batch(n, true);
	ike_timer(n->ike);
	batch(n, false);
	rearm(n);
}

static void
endpoint_of_sockaddr(const struct sockaddr_storage *ss, struct ike_endpoint *e)
{
	memset(e, 0, sizeof(*e));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;
		e->addr.family = AF_INET;
		memcpy(e->addr.bytes, &s4->sin_addr, 4);
		e->port = ntohs(s4->sin_port);
	} else {
		const struct sockaddr_in6 *s6 = (const void *)ss;
		e->addr.family = AF_INET6;
		memcpy(e->addr.bytes, &s6->sin6_addr, 16);
		e->port = ntohs(s6->sin6_port);
	}
}

static void
on_readable(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct negotiator *n = arg;
	uint8_t buf[65536];
	union {
		char c[256];
		struct cmsghdr align;
	} cb;

	(void)l;
	(void)events;
	batch(n, true);
	for (int k = 0; k < 64; k++) {
		struct sockaddr_storage ss;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr mh = {.msg_name = &ss,
				    .msg_namelen = sizeof(ss),
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cb.c,
				    .msg_controllen = sizeof(cb.c)};
		struct ike_endpoint from, to;
		ssize_t r = recvmsg(fd, &mh, MSG_DONTWAIT);

		if (r < 0)
			break;
		endpoint_of_sockaddr(&ss, &from);
		memset(&to, 0, sizeof(to));
		to.addr.family = from.addr.family;
		to.port = n->port;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		     cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level == IPPROTO_IP &&
			    cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				memcpy(to.addr.bytes, &pi.ipi_addr, 4);
			} else if (cm->cmsg_level == IPPROTO_IPV6 &&
				   cm->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;
				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				memcpy(to.addr.bytes, &pi.ipi6_addr, 16);
			}
		}
		ike_input(n->ike, buf, (size_t)r, &from, &to);
	}
	batch(n, false);
	rearm(n);
}

/* From the driver, in the loop: an IKE message on the NAT-T port. */
static void
on_natt_input(void *arg, const uint8_t *msg, size_t len,
	      const struct dp_addr *src, const struct dp_addr *dst,
	      uint16_t sport, uint16_t dport)
{
	struct negotiator *n = arg;
	struct ike_endpoint from = {.addr = *src, .port = sport};
	struct ike_endpoint to = {.addr = *dst, .port = dport};

	batch(n, true);
	ike_input(n->ike, msg, len, &from, &to);
	batch(n, false);
	rearm(n);
}

/* The address the kernel sends from toward peer, outside our TUN
 * device (IKE's mark): the gateway side of a tunnel. */
static int
source_toward(const struct negotiator *n, const struct dp_addr *peer,
	      struct dp_addr *out)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd = socket(peer->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = -1;

	if (fd < 0)
		return -1;
	if (n->fwmark != 0)
		setsockopt(fd, SOL_SOCKET, SO_MARK, &n->fwmark,
			   sizeof(n->fwmark));
	sl = sockaddr_of(peer, n->port, &ss);
	/* connect() on UDP sends nothing: it only chooses the route. */
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0 &&
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		struct ike_endpoint e;
		endpoint_of_sockaddr(&ss, &e);
		*out = e.addr;
		rc = 0;
	}
	close(fd);
	return rc;
}

static void
on_acquire(void *arg, const struct dp_acquire *a)
{
	struct negotiator *n = arg;
	struct ike_acquire q;

	memset(&q, 0, sizeof(q));
	q.rule_id = a->filter_id;
	q.peer.addr = a->peer;
	q.src = a->src;
	q.dst = a->dst;
	q.proto = a->proto;
	q.sport = a->sport;
	q.dport = a->dport;
	q.tunnel = a->tunnel;
	/* Transport: our end is the packet's source; tunnel: the address
	 * the kernel sends from toward the gateway. */
	if (!a->tunnel)
		q.local.addr = a->src;
	else if (source_toward(n, &a->peer, &q.local.addr) < 0) {
		log_msg(LOG_CAT_IKE, LOG_WARNING,
			"IKE: no route toward the tunnel endpoint");
		dp_runtime_acquire_failed(driver_runtime(n->driver), true,
					  &a->peer);
		return;
	}
	ike_acquire(n->ike, &q);
	rearm(n);
}

static int
open_socket(int family, uint16_t port, uint32_t mark, char *err,
	    size_t errlen)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1, rcvbuf = 4 << 20;
	struct dp_addr any = {.family = family}; /* the wildcard */
	struct sockaddr_storage ss;
	socklen_t sl;

	if (fd < 0)
		goto fail;
	sl = sockaddr_of(&any, port, &ss);
	if (family == AF_INET) {
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
			   sizeof(one));
	}
	/* Many peers at once (a gateway back from a reboot) must queue, not
	 * be dropped while the loop computes a DH: a deep queue, as the
	 * datapath's sockets have.  FORCE passes rmem_max (which a namespace
	 * cannot raise) with CAP_NET_ADMIN. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	/* IKE must not be routed into our own TUN device. */
	if (mark != 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail;
	return fd;
fail:
	snprintf(err, errlen, "the IKE socket (%s port %u) cannot be opened: "
			      "%s",
		 family == AF_INET ? "IPv4" : "IPv6", port, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

int
negotiator_start(struct loop *loop, struct live *live, struct driver *driver,
		 const struct negotiator_config *cfg, struct negotiator **out,
		 char *err, size_t errlen)
{
	struct negotiator *n = calloc(1, sizeof(*n));
	struct ike_conf conf;
	struct driver_ike h;

	if (n == NULL) {
		snprintf(err, errlen, "out of memory.");
		return -1;
	}
	n->fd4 = n->fd6 = -1;
	n->live = live;
	n->driver = driver;
	n->loop = loop;
	n->port = cfg->port ? cfg->port : IKE_PORT;
	n->natt_port = cfg->natt_port ? cfg->natt_port : IKE_NATT_PORT;
	n->fwmark = cfg->fwmark;
	n->fd4 = open_socket(AF_INET, n->port, cfg->fwmark, err, errlen);
	if (n->fd4 < 0)
		goto fail;
	/* IPv6 is optional: a namespace may have it disabled. */
	n->fd6 = open_socket(AF_INET6, n->port, cfg->fwmark, err, errlen);
	n->env = (struct ike_env){
		.now_ms = env_now,
		.random = env_random,
		.send = env_send,
		.mm_policy = env_mm_policy,
		.qm_policy = env_qm_policy,
		.install = env_install,
		.uninstall = env_uninstall,
		.usage = env_usage,
		.stats = live_ike(live),
		.log = env_log,
		.arg = n,
	};
	n->cert = neg_cert_load(cfg->certdir, cfg->keyfile, cfg->config);
	neg_cert_hooks(&n->env);
	ike_conf_init(&conf);
	conf.port = n->port;
	conf.natt_port = n->natt_port;
	n->ike = ike_new(&n->env, &conf);
	n->timer = loop_timer_new(loop, on_timer, n);
	if (n->ike == NULL || n->timer == NULL) {
		snprintf(err, errlen, "out of memory.");
		goto fail;
	}
	if (loop_fd_add(loop, n->fd4, EPOLLIN, on_readable, n) < 0 ||
	    (n->fd6 >= 0 &&
	     loop_fd_add(loop, n->fd6, EPOLLIN, on_readable, n) < 0)) {
		snprintf(err, errlen, "the loop cannot watch the IKE socket.");
		goto fail;
	}
	if (driver != NULL) {
		h = (struct driver_ike){.acquire = on_acquire,
					.input = on_natt_input,
					.arg = n};
		driver_set_ike(driver, &h);
	}
	live_set_negotiator(live, n->ike);
	*out = n;
	return 0;
fail:
	negotiator_stop(n);
	return -1;
}

void
negotiator_stop(struct negotiator *n)
{
	struct driver_ike none;

	if (n == NULL)
		return;
	if (n->driver != NULL) {
		memset(&none, 0, sizeof(none));
		driver_set_ike(n->driver, &none);
	}
	live_set_negotiator(n->live, NULL);
	if (n->ike != NULL) {
		ike_delete_all(n->ike);
		ike_free(n->ike);
	}
	loop_timer_free(n->timer);
	if (n->fd4 >= 0) {
		loop_fd_del(n->loop, n->fd4);
		close(n->fd4);
	}
	if (n->fd6 >= 0) {
		loop_fd_del(n->loop, n->fd6);
		close(n->fd6);
	}
	neg_cert_free(n->cert);
	while (n->nuses > 0)
		use_drop(n, n->nuses - 1);
	free(n->uses);
	free(n);
}

struct neg_cert *
neg_cert_of(void *env_arg)
{
	return ((struct negotiator *)env_arg)->cert;
}

struct ike *
negotiator_ike(struct negotiator *n)
{
	return n->ike;
}
