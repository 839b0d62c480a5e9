/*
 * test_ike_harness.c - the IKEv1 negotiator (engine/ike.h) driven as two
 * (or more) peers in one process by a deterministic world: a mock clock,
 * a mock network (a queue of datagrams with latency, on which a test can
 * drop, duplicate, delay and so reorder any datagram, and an optional
 * NAT in front of one peer), seeded random numbers per peer, and mock
 * policies, datapaths and signers.  Nothing here reads a real clock or
 * touches a socket; every run is the same.
 *
 * The cases walk the exchange scripts: Main Mode and Quick Mode with
 * pre-shared keys and with signatures (fake signer/verifier), several
 * proposals, GCM and CBC, PFS or not, transport and tunnel selectors,
 * AH+ESP; each message lost, duplicated or reordered; both sides
 * initiating at once; rekeys and crossing rekeys; a peer that restarts
 * (INITIAL-CONTACT); a wrong key; no common proposal; forced and real
 * NAT traversal; soft associations; the retransmission limit; hostile
 * and out-of-order messages (crafted with the private helpers of
 * ike_int.h where they need real keys); duplicate deletes; idle and
 * kilobyte lifetimes; qmpermm; the responder's two-step install
 * (inbound SA with message 2, outbound with message 3, the inbound one
 * removed when message 3 never comes).  After each, the installed SAs
 * must pair up: what one peer installed inbound the other installed
 * outbound, with the same SPI, algorithms, keys and selectors.
 *
 * Set IKE_HARNESS_VERBOSE=1 to see both peers' logs.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <syslog.h>

#include <cmocka.h>

#include "engine/ike.h"
#include "engine/ike_crypto.h"
#include "engine/ike_int.h"
#include "engine/ike_msg.h"

/* ---- the world -------------------------------------------------------- */

#define MAX_PEERS 3
#define MAX_SENT 8192
#define MAX_INSTALLED 64
#define LATENCY_MS 10

struct sent {
	uint8_t *data;
	size_t len;
	struct ike_endpoint from, to; /* as sent (before the NAT) */
	uint64_t at;
	int by; /* peer index */
	bool keepalive;
	bool dropped;
};

struct pkt {
	struct pkt *next;
	uint64_t at, seq;
	uint8_t *data;
	size_t len;
	struct ike_endpoint from, to;
	bool keepalive;
};

struct installed {
	struct ike_child_info info;
	struct dp_sa_params in, out;
	uint8_t kin[3][128], kout[3][128]; /* enc, ESP auth, AH auth */
	bool soft;
	bool half;  /* a responder's inbound SA alone (message 2 to 3) */
	bool removed;
	uint64_t removed_at, installed_at, out_at;
	uint64_t bytes, last_use;
	unsigned seq; /* order of install/uninstall events */
};

struct peer {
	int idx;
	const char *name;
	struct ike *ike;
	struct ike_env env;
	struct ike_conf conf;
	struct live_ike_stats st;
	uint64_t rng;
	struct dp_addr addr;
	struct ike_mm_conf mm;
	struct ike_qm_conf qm;
	bool qm_any;    /* responder: accept any selectors */
	bool refuse_qm; /* qm_policy says no */
	bool down;      /* receives nothing */
	bool install_fails;
	bool install_out_fails; /* a responder's outbound SA is refused */
	bool sig_bad;   /* sign with a wrong key */
	bool usage;     /* provide env->usage */
	struct installed sas[MAX_INSTALLED];
	size_t nsas;
	unsigned installs, uninstalls, soft_installs;
	unsigned half_installs; /* inbound SAs installed alone */
	unsigned keepalives;
	char logbuf[1 << 16];
	size_t loglen;
};

/* What a fault function says about datagram number idx. */
#define PASS 0
#define DROP (-1)
#define DUP (-2)
typedef int (*fault_fn)(unsigned idx, const struct sent *s);

static struct {
	uint64_t now;
	struct pkt *queue;
	uint64_t seq;
	struct sent sent[MAX_SENT];
	unsigned nsent; /* datagrams, keepalives not counted */
	unsigned ntotal;
	struct peer *peers[MAX_PEERS];
	int npeers;
	fault_fn fault;
	unsigned event; /* install/uninstall order */
	bool verbose;
	/* A NAT in front of peer nat_peer: its address shows as nat_pub,
	 * port 500 as 40500 and 4500 as 44500. */
	int nat_peer;
	struct dp_addr nat_pub;
} W;

static struct peer PA, PB, PC;
static bool qm_cbc; /* crafted Quick Modes propose AES-CBC (add_esp_sa) */

static const char PSK[] = "harness shared secret";

static struct dp_addr
addr4(const char *s)
{
	struct dp_addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, s, a.bytes), 1);
	return a;
}

static bool
addr_eq(const struct dp_addr *a, const struct dp_addr *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}

/* ---- env callbacks ---------------------------------------------------- */

static uint64_t
env_now(void *arg)
{
	(void)arg;
	return W.now;
}

/* splitmix64 */
static void
env_random(void *arg, void *buf, size_t len)
{
	struct peer *p = arg;
	uint8_t *b = buf;

	for (size_t i = 0; i < len; i++) {
		uint64_t z = (p->rng += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		b[i] = (uint8_t)(z ^ (z >> 31));
	}
}

static void
enqueue(const uint8_t *msg, size_t len, const struct ike_endpoint *from,
        const struct ike_endpoint *to, uint64_t delay, bool keepalive)
{
	struct pkt *p = calloc(1, sizeof(*p)), **pp;

	assert_non_null(p);
	p->data = malloc(len);
	assert_non_null(p->data);
	memcpy(p->data, msg, len);
	p->len = len;
	p->from = *from;
	p->to = *to;
	p->at = W.now + delay;
	p->seq = W.seq++;
	p->keepalive = keepalive;
	/* The NAT rewrites what leaves the peer behind it. */
	if (W.nat_peer >= 0 && addr_eq(&from->addr, &W.peers[W.nat_peer]->addr)) {
		p->from.addr = W.nat_pub;
		p->from.port = from->port == 4500 ? 44500 : 40500;
	}
	for (pp = &W.queue; *pp != NULL && (*pp)->at <= p->at; pp = &(*pp)->next)
		;
	p->next = *pp;
	*pp = p;
}

static struct sent *
record(struct peer *by, const uint8_t *msg, size_t len,
       const struct ike_endpoint *from, const struct ike_endpoint *to,
       bool keepalive)
{
	struct sent *s;

	W.ntotal++;
	if (keepalive)
		return NULL;
	assert_true(W.nsent < MAX_SENT);
	s = &W.sent[W.nsent++];
	s->data = malloc(len);
	assert_non_null(s->data);
	memcpy(s->data, msg, len);
	s->len = len;
	s->from = *from;
	s->to = *to;
	s->at = W.now;
	s->by = by->idx;
	s->keepalive = keepalive;
	return s;
}

static int
env_send(void *arg, const uint8_t *msg, size_t len,
         const struct ike_endpoint *from, const struct ike_endpoint *to)
{
	struct peer *p = arg;
	struct sent *s = record(p, msg, len, from, to, false);
	unsigned idx = W.nsent - 1;
	int f = W.fault != NULL ? W.fault(idx, s) : PASS;

	if (f == DROP) {
		s->dropped = true;
		return 0;
	}
	enqueue(msg, len, from, to, LATENCY_MS + (f > 0 ? (uint64_t)f : 0),
	        false);
	if (f == DUP)
		enqueue(msg, len, from, to, LATENCY_MS + 1, false);
	return 0;
}

static void
env_keepalive(void *arg, const struct ike_endpoint *from,
              const struct ike_endpoint *to)
{
	struct peer *p = arg;
	static const uint8_t ka = 0xff;

	p->keepalives++;
	record(p, &ka, 1, from, to, true);
	enqueue(&ka, 1, from, to, LATENCY_MS, true);
}

static int
env_mm_policy(void *arg, const struct ike_endpoint *local,
              const struct ike_endpoint *peer, struct ike_mm_conf *out)
{
	struct peer *p = arg;

	(void)local;
	(void)peer;
	if (p->mm.noffers == 0)
		return -1;
	*out = p->mm;
	return 0;
}

static int
env_qm_policy(void *arg, const struct ike_qm_query *q, struct ike_qm_conf *out)
{
	struct peer *p = arg;

	if (p->refuse_qm)
		return -1;
	*out = p->qm;
	if (q->initiator) {
		const struct ike_acquire *a = q->acquire;
		/* Selectors from the template, or the packet's hosts. */
		if (p->qm.local_ts.addr.family == 0) {
			memset(&out->local_ts, 0, sizeof(out->local_ts));
			memset(&out->remote_ts, 0, sizeof(out->remote_ts));
			out->local_ts.kind = IKE_TS_ADDR;
			out->local_ts.addr = a->src;
			out->local_ts.proto = a->proto;
			out->local_ts.port = a->sport;
			out->remote_ts.kind = IKE_TS_ADDR;
			out->remote_ts.addr = a->dst;
			out->remote_ts.proto = a->proto;
			out->remote_ts.port = a->dport;
		}
		out->rule_id = a->rule_id;
		return 0;
	}
	/* Responder: take what was proposed when the template says any or
	 * when it is inside the template. */
	if (q->local_ts != NULL) {
		out->local_ts = *q->local_ts;
		out->remote_ts = *q->remote_ts;
	} else {
		memset(&out->local_ts, 0, sizeof(out->local_ts));
		memset(&out->remote_ts, 0, sizeof(out->remote_ts));
		out->local_ts.addr = q->local.addr;
		out->remote_ts.addr = q->peer.addr;
	}
	if (!p->qm_any && p->qm.local_ts.addr.family != 0 &&
	    (!ike_ts_eq(&p->qm.local_ts, &out->local_ts) ||
	     !ike_ts_eq(&p->qm.remote_ts, &out->remote_ts)))
		return -1;
	if (q->tunnel != p->qm.tunnel)
		return -1;
	return 0;
}

static void
copy_params(struct dp_sa_params *dst, const struct dp_sa_params *src,
            uint8_t keys[3][128])
{
	*dst = *src;
	if (src->enc_key_len > 0) {
		assert_true(src->enc_key_len <= 128);
		memcpy(keys[0], src->enc_key, src->enc_key_len);
		dst->enc_key = keys[0];
	}
	if (src->esp_auth_key_len > 0) {
		assert_true(src->esp_auth_key_len <= 128);
		memcpy(keys[1], src->esp_auth_key, src->esp_auth_key_len);
		dst->esp_auth_key = keys[1];
	}
	if (src->ah_auth_key_len > 0) {
		assert_true(src->ah_auth_key_len <= 128);
		memcpy(keys[2], src->ah_auth_key, src->ah_auth_key_len);
		dst->ah_auth_key = keys[2];
	}
}

static struct installed *find_installed(struct peer *p, uint64_t id);

/* Pairs come whole (initiator), or as a responder's inbound SA with
 * message 2 and its outbound SA with message 3 (ike.h). */
static int
env_install(void *arg, const struct ike_child_info *c,
            const struct dp_sa_params *in, const struct dp_sa_params *out)
{
	struct peer *p = arg;
	struct installed *s;

	if (p->install_fails)
		return -1;
	if (in == NULL && out != NULL) {
		/* The second half: an inbound SA of this pair is in. */
		s = find_installed(p, c->id);
		assert_non_null(s);
		assert_true(s->half);
		assert_false(c->soft);
		assert_false(c->initiator);
		assert_int_equal(c->spi_in, s->info.spi_in);
		assert_int_equal(c->spi_out, s->info.spi_out);
		if (p->install_out_fails)
			return -1;
		copy_params(&s->out, out, s->kout);
		assert_int_equal(out->dir, DP_DIR_OUT);
		assert_int_equal(out->spi, c->spi_out);
		s->half = false;
		s->out_at = W.now;
		p->installs++;
		return 0;
	}
	assert_true(p->nsas < MAX_INSTALLED);
	assert_null(find_installed(p, c->id));
	s = &p->sas[p->nsas++];
	memset(s, 0, sizeof(*s));
	s->info = *c;
	s->installed_at = W.now;
	s->seq = W.event++;
	if (in == NULL) {
		assert_null(out);
		assert_true(c->soft);
		s->soft = true;
		p->soft_installs++;
		return 0;
	}
	assert_false(c->soft);
	copy_params(&s->in, in, s->kin);
	/* Every install names each direction right. */
	assert_int_equal(in->dir, DP_DIR_IN);
	assert_int_equal(in->spi, c->spi_in);
	if (out == NULL) {
		/* A responder's inbound SA, as message 2 goes. */
		assert_false(c->initiator);
		s->half = true;
		p->half_installs++;
		return 0;
	}
	/* Only the initiator installs both at once. */
	assert_true(c->initiator);
	copy_params(&s->out, out, s->kout);
	assert_int_equal(out->dir, DP_DIR_OUT);
	assert_int_equal(out->spi, c->spi_out);
	s->out_at = W.now;
	p->installs++;
	return 0;
}

static struct installed *
find_installed(struct peer *p, uint64_t id)
{
	for (size_t i = 0; i < p->nsas; i++)
		if (p->sas[i].info.id == id && !p->sas[i].removed)
			return &p->sas[i];
	return NULL;
}

static void
env_uninstall(void *arg, const struct ike_child_info *c)
{
	struct peer *p = arg;
	struct installed *s = find_installed(p, c->id);

	assert_non_null(s);
	s->removed = true;
	s->removed_at = W.now;
	s->seq = W.event++;
	p->uninstalls++;
}

static int
env_usage(void *arg, const struct ike_child_info *c, uint64_t *bytes,
          uint64_t *last)
{
	struct peer *p = arg;
	struct installed *s = find_installed(p, c->id);

	if (s == NULL)
		return -1;
	*bytes = s->bytes;
	*last = s->last_use;
	return 0;
}

/* Fake signatures: SIG = "SIG" | name | hash; the certificate is the
 * name.  verify checks that the SIG names the certificate sent and
 * covers the hash, and that the identity is the certificate's. */
static int
env_sig_cert(void *arg, const void *handle, uint8_t *enc, const uint8_t **der,
             size_t *len)
{
	struct peer *p = arg;

	(void)handle;
	*enc = IKE_CERT_X509_SIG;
	*der = (const uint8_t *)p->name;
	*len = strlen(p->name);
	return 0;
}

static size_t
env_sig_cas(void *arg, const void *handle, const uint8_t **names,
            size_t *lens, size_t max)
{
	static const uint8_t ca[] = "harness CA";

	(void)arg;
	(void)handle;
	if (max < 1)
		return 0;
	names[0] = ca;
	lens[0] = sizeof(ca) - 1;
	return 1;
}

static int
env_sig_sign(void *arg, const void *handle, const uint8_t *hash, size_t hlen,
             uint8_t *sig, size_t *siglen)
{
	struct peer *p = arg;
	size_t n = strlen(p->name);

	(void)handle;
	if (*siglen < 3 + n + hlen)
		return -1;
	memcpy(sig, "SIG", 3);
	memcpy(sig + 3, p->name, n);
	memcpy(sig + 3 + n, hash, hlen);
	if (p->sig_bad)
		sig[3 + n] ^= 1;
	*siglen = 3 + n + hlen;
	return 0;
}

static int
env_sig_verify(void *arg, const void *handle, const struct ike_peer_auth *pa,
               const uint8_t *hash, size_t hlen, const uint8_t *sig,
               size_t siglen)
{
	size_t n;

	(void)arg;
	(void)handle;
	if (pa->ncerts != 1 || pa->certs[0].enc != IKE_CERT_X509_SIG)
		return -1;
	n = pa->certs[0].len;
	if (siglen != 3 + n + hlen || memcmp(sig, "SIG", 3) != 0 ||
	    memcmp(sig + 3, pa->certs[0].data, n) != 0 ||
	    memcmp(sig + 3 + n, hash, hlen) != 0)
		return -1;
	/* The identity must be the certificate's "subject". */
	if (pa->id->type != IKE_ID_FQDN || pa->id->len != n ||
	    memcmp(pa->id->data, pa->certs[0].data, n) != 0)
		return -1;
	return 0;
}

static void env_log(void *arg, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
env_log(void *arg, int prio, const char *fmt, ...)
{
	struct peer *p = arg;
	char line[1024];
	va_list ap;
	int n;

	(void)prio;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	/* Never a secret in a log line. */
	assert_null(strstr(line, PSK));
	if (W.verbose)
		fprintf(stderr, "%8llu %s: %s\n", (unsigned long long)W.now,
		        p->name, line);
	if (p->loglen + (size_t)n + 2 < sizeof(p->logbuf)) {
		memcpy(p->logbuf + p->loglen, line, (size_t)n);
		p->loglen += (size_t)n;
		p->logbuf[p->loglen++] = '\n';
		p->logbuf[p->loglen] = '\0';
	}
}

/* ---- setting up ---------------------------------------------------------- */

static void
mm_default(struct ike_mm_conf *m)
{
	memset(m, 0, sizeof(*m));
	m->noffers = 1;
	m->offers[0] = (struct ike_mm_offer){IKE_ENC_AES_CBC, 128,
	                                     IKE_HASHALG_SHA2_256, 19};
	m->nauths = 1;
	m->auths[0].method = IKE_AUTH_PSK;
	m->auths[0].psk_len = strlen(PSK);
	memcpy(m->auths[0].psk, PSK, strlen(PSK));
	m->lifetime_s = 28800;
}

static struct ike_qm_offer
gcm128(void)
{
	struct ike_qm_offer o;

	memset(&o, 0, sizeof(o));
	o.esp = true;
	o.esp_enc = IKE_ESP_AES_GCM_16;
	o.esp_keybits = 128;
	o.seconds = 3600;
	o.kbytes = 100000;
	return o;
}

static struct ike_qm_offer
cbc(uint16_t bits, uint8_t auth)
{
	struct ike_qm_offer o;

	memset(&o, 0, sizeof(o));
	o.esp = true;
	o.esp_enc = IKE_ESP_AES_CBC;
	o.esp_keybits = bits;
	o.esp_auth = auth;
	o.seconds = 3600;
	o.kbytes = 100000;
	return o;
}

static void
qm_default(struct ike_qm_conf *q)
{
	memset(q, 0, sizeof(q[0]));
	q->noffers = 1;
	q->offers[0] = gcm128();
	q->tunnel = false;
}

static struct ike_ts
subnet(const char *a, uint8_t plen)
{
	struct ike_ts t;

	memset(&t, 0, sizeof(t));
	t.kind = IKE_TS_SUBNET;
	t.addr = addr4(a);
	t.plen = plen;
	return t;
}

static void
peer_setup(struct peer *p, int idx, const char *name, const char *addr,
           uint64_t seed)
{
	memset(p, 0, sizeof(*p));
	p->idx = idx;
	p->name = name;
	p->rng = seed;
	p->addr = addr4(addr);
	mm_default(&p->mm);
	qm_default(&p->qm);
	ike_conf_init(&p->conf);
	p->env.now_ms = env_now;
	p->env.random = env_random;
	p->env.send = env_send;
	p->env.send_keepalive = env_keepalive;
	p->env.mm_policy = env_mm_policy;
	p->env.qm_policy = env_qm_policy;
	p->env.install = env_install;
	p->env.uninstall = env_uninstall;
	p->env.sig_cert = env_sig_cert;
	p->env.sig_cas = env_sig_cas;
	p->env.sig_sign = env_sig_sign;
	p->env.sig_verify = env_sig_verify;
	p->env.stats = &p->st;
	p->env.log = env_log;
	p->env.arg = p;
	W.peers[idx] = p;
	if (idx >= W.npeers)
		W.npeers = idx + 1;
}

static void
peer_start(struct peer *p)
{
	if (p->usage)
		p->env.usage = env_usage;
	p->ike = ike_new(&p->env, &p->conf);
	assert_non_null(p->ike);
}

static void
peer_stop(struct peer *p)
{
	ike_free(p->ike);
	p->ike = NULL;
}

static void
world_reset(void)
{
	for (int i = 0; i < W.npeers; i++)
		if (W.peers[i] != NULL && W.peers[i]->ike != NULL)
			peer_stop(W.peers[i]);
	while (W.queue != NULL) {
		struct pkt *p = W.queue;
		W.queue = p->next;
		free(p->data);
		free(p);
	}
	for (unsigned i = 0; i < W.nsent; i++)
		free(W.sent[i].data);
	memset(&W, 0, sizeof(W));
	W.now = 1000000;
	W.nat_peer = -1;
	W.verbose = getenv("IKE_HARNESS_VERBOSE") != NULL;
}

/* A: 10.77.0.1, B: 10.77.0.2, both with the defaults. */
static int
setup(void **state)
{
	(void)state;
	world_reset();
	qm_cbc = false;
	peer_setup(&PA, 0, "red", "10.77.0.1", 1);
	peer_setup(&PB, 1, "blue", "10.77.0.2", 2);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	world_reset();
	return 0;
}

static void
start_both(void)
{
	peer_start(&PA);
	peer_start(&PB);
}

/* ---- running ------------------------------------------------------------- */

static struct peer *
peer_at(const struct ike_endpoint *to, struct ike_endpoint *real_to)
{
	*real_to = *to;
	if (W.nat_peer >= 0 && addr_eq(&to->addr, &W.nat_pub)) {
		struct peer *p = W.peers[W.nat_peer];
		real_to->addr = p->addr;
		real_to->port = to->port == 44500 ? 4500 : 500;
		return p;
	}
	for (int i = 0; i < W.npeers; i++)
		if (W.peers[i] != NULL && addr_eq(&W.peers[i]->addr, &to->addr))
			return W.peers[i];
	return NULL;
}

static void
deliver(struct pkt *p)
{
	struct ike_endpoint to;
	struct peer *dst = peer_at(&p->to, &to);

	if (dst == NULL || dst->ike == NULL || dst->down || p->keepalive)
		return;
	ike_input(dst->ike, p->data, p->len, &p->from, &to);
}

/* Runs the world until `until` (absolute ms): datagrams in time order,
 * timers when due. */
static void
run_until(uint64_t until)
{
	for (unsigned guard = 0; guard < 2000000; guard++) {
		uint64_t t = UINT64_MAX;
		struct peer *tp = NULL;

		for (int i = 0; i < W.npeers; i++) {
			struct peer *p = W.peers[i];
			if (p != NULL && p->ike != NULL &&
			    ike_next_timer_ms(p->ike) < t) {
				t = ike_next_timer_ms(p->ike);
				tp = p;
			}
		}
		if (W.queue != NULL && W.queue->at <= t) {
			struct pkt *p = W.queue;
			if (p->at > until)
				break;
			W.queue = p->next;
			if (p->at > W.now)
				W.now = p->at;
			deliver(p);
			free(p->data);
			free(p);
			continue;
		}
		if (tp == NULL || t > until)
			break;
		if (t > W.now)
			W.now = t;
		ike_timer(tp->ike);
	}
	if (W.now < until)
		W.now = until;
}

static void
run_for(uint64_t ms)
{
	run_until(W.now + ms);
}

static struct ike_acquire
acq_hosts(struct peer *from, struct peer *to, bool tunnel)
{
	struct ike_acquire a;

	memset(&a, 0, sizeof(a));
	a.rule_id = 7;
	a.local.addr = from->addr;
	a.peer.addr = to->addr;
	a.src = from->addr;
	a.dst = to->addr;
	a.proto = 0;
	a.tunnel = tunnel;
	return a;
}

static void
acquire(struct peer *from, struct peer *to)
{
	struct ike_acquire a = acq_hosts(from, to, from->qm.tunnel);

	assert_int_equal(ike_acquire(from->ike, &a), 0);
}

/* ---- checks ---------------------------------------------------------------- */

static unsigned
live_pairs(const struct peer *p)
{
	unsigned n = 0;

	for (size_t i = 0; i < p->nsas; i++)
		if (!p->sas[i].removed && !p->sas[i].soft && !p->sas[i].half)
			n++;
	return n;
}

static void
assert_params_equal(const struct dp_sa_params *a, const struct dp_sa_params *b,
                    bool ports)
{
	assert_int_equal(a->spi, b->spi);
	assert_int_equal(a->ah_spi, b->ah_spi);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->encap, b->encap);
	assert_int_equal(a->proto, b->proto);
	assert_int_equal(a->enc, b->enc);
	assert_int_equal(a->esp_auth, b->esp_auth);
	assert_int_equal(a->ah_auth, b->ah_auth);
	assert_int_equal(a->enc_key_len, b->enc_key_len);
	assert_int_equal(a->esp_auth_key_len, b->esp_auth_key_len);
	assert_int_equal(a->ah_auth_key_len, b->ah_auth_key_len);
	if (a->enc_key_len > 0)
		assert_memory_equal(a->enc_key, b->enc_key, a->enc_key_len);
	if (a->esp_auth_key_len > 0)
		assert_memory_equal(a->esp_auth_key, b->esp_auth_key,
		                    a->esp_auth_key_len);
	if (a->ah_auth_key_len > 0)
		assert_memory_equal(a->ah_auth_key, b->ah_auth_key,
		                    a->ah_auth_key_len);
	assert_memory_equal(&a->sel, &b->sel, sizeof(a->sel));
	assert_int_equal(a->hard.bytes, b->hard.bytes);
	if (ports) {
		assert_int_equal(a->encap_sport, b->encap_sport);
		assert_int_equal(a->encap_dport, b->encap_dport);
		assert_true(addr_eq(&a->tun_src, &b->tun_src));
		assert_true(addr_eq(&a->tun_dst, &b->tun_dst));
	}
}

/* Every live pair of a has its mirror in b and the other way round:
 * a's inbound SA is b's outbound one (SPI, keys, selectors). */
static void
assert_pairs_match(struct peer *a, struct peer *b, bool ports)
{
	for (int round = 0; round < 2; round++) {
		struct peer *x = round == 0 ? a : b, *y = round == 0 ? b : a;
		for (size_t i = 0; i < x->nsas; i++) {
			struct installed *s = &x->sas[i], *m = NULL;
			if (s->removed || s->soft || s->half)
				continue;
			for (size_t j = 0; j < y->nsas; j++)
				if (!y->sas[j].removed && !y->sas[j].soft &&
				    !y->sas[j].half &&
				    y->sas[j].out.spi == s->in.spi)
					m = &y->sas[j];
			if (m == NULL)
				fail_msg("%s: pair %08x/%08x has no mirror at %s",
				         x->name, s->in.spi, s->out.spi,
				         y->name);
			assert_params_equal(&s->in, &m->out, ports);
			assert_params_equal(&s->out, &m->in, ports);
			assert_int_equal(s->info.spi_in, m->info.spi_out);
			assert_int_equal(s->info.spi_out, m->info.spi_in);
		}
	}
}

static struct installed *
last_pair(struct peer *p)
{
	for (size_t i = p->nsas; i-- > 0;)
		if (!p->sas[i].removed && !p->sas[i].soft && !p->sas[i].half)
			return &p->sas[i];
	return NULL;
}

/* The IKE messages sent, decoded: exchange of datagram i. */
static uint8_t
exch_of(unsigned i)
{
	struct ike_msg *m = calloc(1, sizeof(*m));
	uint8_t e = 0;

	assert_non_null(m);
	if (ike_msg_parse(W.sent[i].data, W.sent[i].len, m, NULL, 0) == 0)
		e = m->hdr.exch;
	free(m);
	return e;
}

/* A clear notify of this type among the datagrams a peer sent. */
static bool
sent_clear_notify(int by, uint16_t type)
{
	struct ike_msg *m = calloc(1, sizeof(*m));
	bool found = false;

	assert_non_null(m);
	for (unsigned i = 0; i < W.nsent && !found; i++) {
		if (W.sent[i].by != by ||
		    ike_msg_parse(W.sent[i].data, W.sent[i].len, m, NULL, 0) <
		        0 ||
		    m->encrypted)
			continue;
		const struct ike_pl *n = ike_msg_find(m, IKE_PL_N, 0);
		found = n != NULL && n->u.n.type == type;
	}
	free(m);
	return found;
}

/* A clear message from a peer that carries a payload of this type. */
static bool
sent_payload(int by, uint8_t type)
{
	struct ike_msg *m = calloc(1, sizeof(*m));
	bool found = false;

	assert_non_null(m);
	for (unsigned i = 0; i < W.nsent && !found; i++)
		found = W.sent[i].by == by &&
		        ike_msg_parse(W.sent[i].data, W.sent[i].len, m, NULL,
		                      0) == 0 &&
		        !m->encrypted && ike_msg_find(m, type, 0) != NULL;
	free(m);
	return found;
}

static unsigned
sent_by(int by)
{
	unsigned n = 0;

	for (unsigned i = 0; i < W.nsent; i++)
		n += W.sent[i].by == by;
	return n;
}

/* ---- fault patterns --------------------------------------------------------- */

static unsigned fault_target;

static int
drop_one(unsigned idx, const struct sent *s)
{
	(void)s;
	return idx == fault_target ? DROP : PASS;
}

static int
dup_all(unsigned idx, const struct sent *s)
{
	(void)idx;
	(void)s;
	return DUP;
}

static int
delay_one(unsigned idx, const struct sent *s)
{
	(void)s;
	return idx == fault_target ? 2500 : PASS; /* past a retransmission */
}


/* ---- crafted messages --------------------------------------------------- */

/*
 * Hostile messages that need real keys are built here with the codec's
 * builder (then patched where they must be malformed) and sealed with
 * the receiving peer's own SA state (ike_int.h): its keys, its IV for
 * the message id, its cookies.  They enter through ike_input like any
 * datagram, from the SA's peer address unless another is given.
 */
struct body {
	uint8_t buf[2048];
	size_t len;
	uint8_t first;
};

static uint8_t body_tmp[4096];

/* A builder for a body; with hlen, a HASH payload of that size first. */
static void
body_begin(struct ike_msg_builder *b, size_t hlen)
{
	struct ike_hdr h;

	memset(&h, 0, sizeof(h));
	h.icookie[0] = 1;
	h.exch = IKE_EXCH_INFO;
	ike_msg_build_init(b, body_tmp, sizeof(body_tmp));
	assert_int_equal(ike_msg_build_header(b, &h), 0);
	if (hlen > 0)
		assert_int_equal(ike_msg_build_hash(b, NULL, hlen), 0);
}

static void
body_end(struct ike_msg_builder *b, struct body *out)
{
	size_t len;

	if (ike_msg_build_finish(b, &len) != 0)
		fail_msg("builder: %s", b->err);
	assert_true(len - IKE_HDR_LEN <= sizeof(out->buf));
	memcpy(out->buf, body_tmp + IKE_HDR_LEN, len - IKE_HDR_LEN);
	out->len = len - IKE_HDR_LEN;
	out->first = body_tmp[16]; /* the header's next payload */
}

/* The newest SA of p that has keys. */
static struct ike_isa *
keyed_sa(struct peer *p)
{
	struct ike_isa *best = NULL;

	for (struct ike_isa *sa = p->ike->sas; sa != NULL; sa = sa->next)
		if (!sa->dead && sa->keyed)
			best = sa;
	assert_non_null(best);
	return best;
}

/* Seals bo as a message of exchange exch and msgid for p's newest keyed
 * SA and delivers it; with hash1, the leading HASH gets HASH(1) over the
 * rest (as the payloads stand, malformed or not). */
static void
inject_sealed(struct peer *p, const struct dp_addr *from, uint8_t exch,
              uint32_t msgid, const struct body *bo, bool hash1)
{
	static uint8_t plain[4096], dgram[4096];
	struct ike_isa *sa = keyed_sa(p);
	uint8_t iv[IKE_BLOCK_MAX_LEN], next[IKE_BLOCK_MAX_LEN];
	size_t hlen = sa->keys.len, padded, total;
	struct ike_endpoint src = sa->remote;
	char err[IKE_ERR_MAX];

	memcpy(plain, bo->buf, bo->len);
	if (hash1) {
		assert_true(bo->len >= 4 + hlen);
		assert_int_equal(ike_qm_hash1(&sa->keys, msgid, plain + 4 + hlen,
		                              bo->len - 4 - hlen, plain + 4,
		                              NULL, 0),
		                 0);
	}
	if (exch == IKE_EXCH_MAIN)
		memcpy(iv, sa->iv, sa->blk);
	else
		assert_int_equal(ike_iv_phase2((enum ike_hash)sa->offer.hash,
		                               sa->p1_last, sa->blk, msgid, iv,
		                               NULL, 0),
		                 0);
	padded = (bo->len + sa->blk - 1) / sa->blk * sa->blk;
	memset(plain + bo->len, 0, padded - bo->len);
	total = IKE_HDR_LEN + padded;
	memcpy(dgram, sa->icookie, IKE_COOKIE_LEN);
	memcpy(dgram + 8, sa->rcookie, IKE_COOKIE_LEN);
	dgram[16] = bo->first;
	dgram[17] = IKE_VERSION;
	dgram[18] = exch;
	dgram[19] = IKE_FLAG_ENC;
	for (int i = 0; i < 4; i++) {
		dgram[20 + i] = (uint8_t)(msgid >> (24 - 8 * i));
		dgram[24 + i] = (uint8_t)(total >> (24 - 8 * i));
	}
	if (ike_encrypt(&sa->ek, iv, plain, padded, dgram + IKE_HDR_LEN, next,
	                err, sizeof(err)) != 0)
		fail_msg("encrypt: %s", err);
	if (from != NULL)
		src.addr = *from;
	ike_input(p->ike, dgram, total, &src, &sa->local);
}

/* A clear datagram to p's IKE port from addr. */
static void
inject_clear(struct peer *p, const struct dp_addr *from, const uint8_t *msg,
             size_t len)
{
	struct ike_endpoint f, t;

	memset(&f, 0, sizeof(f));
	memset(&t, 0, sizeof(t));
	f.addr = *from;
	f.port = IKE_PORT;
	t.addr = p->addr;
	t.port = IKE_PORT;
	ike_input(p->ike, msg, len, &f, &t);
}

/* A main mode message 1 as an initiator would send it (one transform of
 * the defaults); *len its length. */
static void
build_mm1(uint8_t *buf, size_t cap, size_t *len, uint8_t cookie)
{
	struct ike_msg_builder b;
	struct ike_hdr h;

	memset(&h, 0, sizeof(h));
	memset(h.icookie, cookie, IKE_COOKIE_LEN);
	h.exch = IKE_EXCH_MAIN;
	ike_msg_build_init(&b, buf, cap);
	ike_msg_build_header(&b, &h);
	ike_msg_build_sa_begin(&b, IKE_DOI_IPSEC, IKE_SIT_IDENTITY_ONLY);
	ike_msg_build_prop_begin(&b, 1, IKE_PROTO_ISAKMP, NULL, 0);
	ike_msg_build_xform_begin(&b, 1, IKE_XF_KEY_IKE);
	ike_msg_build_attr_tv(&b, IKE_OA_ENC, IKE_ENC_AES_CBC);
	ike_msg_build_attr_tv(&b, IKE_OA_KEY_LENGTH, 128);
	ike_msg_build_attr_tv(&b, IKE_OA_HASH, IKE_HASHALG_SHA2_256);
	ike_msg_build_attr_tv(&b, IKE_OA_AUTH, IKE_AUTH_PSK);
	ike_msg_build_attr_tv(&b, IKE_OA_GROUP_DESC, 19);
	ike_msg_build_sa_end(&b);
	ike_msg_build_vid(&b, ike_vid_rfc3947, 16);
	if (ike_msg_build_finish(&b, len) != 0)
		fail_msg("builder: %s", b.err);
}

/* The body of a Quick Mode message 1: HASH, SA (one ESP AES-GCM-128
 * transport proposal), Ni, then the IDs given (NULL: none). */
/* One ESP proposal, AES-GCM-128 transport (what the peers' defaults
 * accept), or with qm_cbc set AES-CBC-128 with HMAC-SHA1 (what they do
 * not). */

static void
add_esp_sa(struct ike_msg_builder *b)
{
	static const uint8_t spi[4] = {0x11, 0x22, 0x33, 0x44};

	ike_msg_build_sa_begin(b, IKE_DOI_IPSEC, IKE_SIT_IDENTITY_ONLY);
	ike_msg_build_prop_begin(b, 1, IKE_PROTO_ESP, spi, 4);
	ike_msg_build_xform_begin(b, 1,
	                          qm_cbc ? IKE_ESP_AES_CBC : IKE_ESP_AES_GCM_16);
	ike_msg_build_attr_tv(b, IKE_IA_LIFE_TYPE, IKE_LIFE_SECONDS);
	ike_msg_build_attr(b, IKE_IA_LIFE_DURATION, 3600);
	ike_msg_build_attr_tv(b, IKE_IA_ENCAP_MODE, IKE_ENCAP_TRANSPORT);
	if (qm_cbc)
		ike_msg_build_attr_tv(b, IKE_IA_AUTH_ALG, IKE_IAUTH_HMAC_SHA1);
	ike_msg_build_attr_tv(b, IKE_IA_KEY_LENGTH, 128);
	ike_msg_build_sa_end(b);
}

static void
build_qm1(struct body *out, size_t hlen, const struct ike_id *idci,
          const struct ike_id *idcr)
{
	struct ike_msg_builder b;
	uint8_t nonce[32];

	memset(nonce, 0x5a, sizeof(nonce));
	body_begin(&b, hlen);
	add_esp_sa(&b);
	ike_msg_build_nonce(&b, nonce, sizeof(nonce));
	if (idci != NULL)
		ike_msg_build_id(&b, idci);
	if (idcr != NULL)
		ike_msg_build_id(&b, idcr);
	body_end(&b, out);
}

/* The offset of the n-th payload (from 0) of a body; its length field
 * is at +2. */
static size_t
payload_at(const struct body *bo, unsigned n)
{
	size_t at = 0;

	for (unsigned i = 0; i < n; i++) {
		assert_true(at + 4 <= bo->len);
		at += (size_t)bo->buf[at + 2] << 8 | bo->buf[at + 3];
	}
	assert_true(at + 4 <= bo->len);
	return at;
}

static void
set_len16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A and B with one pair, A the initiator. */
static void
established_pair(void)
{
	start_both();
	acquire(&PA, &PB);
	run_for(5000);
	assert_int_equal(PA.installs, 1);
	assert_int_equal(PB.installs, 1);
}

/* Counters that say B is unchanged: one MM SA, one pair, nothing new. */
static void
assert_b_intact(unsigned installs)
{
	assert_int_equal(PB.st.isadb_list_size, 1);
	assert_int_equal(PB.st.ike_main_mode, 1);
	assert_int_equal(PB.installs, installs);
	assert_int_equal(PB.uninstalls, 0);
	assert_int_equal(PB.st.ike_quick_mode, installs);
	assert_int_equal(PB.st.active_receive, 0);
	assert_int_equal(PB.st.receive_heap_size, 0);
}

/* ---- the cases ------------------------------------------------------------- */

/* Main Mode + Quick Mode, PSK, GCM, tunnel mode between two subnets. */
static void
test_psk_gcm_tunnel(void **state)
{
	struct installed *a, *b;

	(void)state;
	PA.qm.tunnel = PB.qm.tunnel = true;
	PA.qm.local_ts = subnet("10.78.1.0", 24);
	PA.qm.remote_ts = subnet("10.78.2.0", 24);
	PB.qm.local_ts = subnet("10.78.2.0", 24);
	PB.qm.remote_ts = subnet("10.78.1.0", 24);
	start_both();
	acquire(&PA, &PB);
	run_for(5000);
	assert_int_equal(PA.installs, 1);
	assert_int_equal(PB.installs, 1);
	assert_pairs_match(&PA, &PB, true);
	a = last_pair(&PA);
	b = last_pair(&PB);
	assert_int_equal(a->out.mode, DP_MODE_TUNNEL);
	assert_int_equal(a->out.enc, DP_ENC_AES128_GCM);
	assert_int_equal(a->out.enc_key_len, 20); /* key + salt */
	assert_int_equal(a->out.encap, DP_ENCAP_NONE);
	assert_true(addr_eq(&a->out.tun_src, &PA.addr));
	assert_true(addr_eq(&a->out.tun_dst, &PB.addr));
	assert_int_equal(a->out.sel.src_plen, 24);
	assert_int_equal(a->out.sel.dst_plen, 24);
	assert_true(addr_eq(&a->out.sel.src, &PA.qm.local_ts.addr));
	assert_true(a->info.initiator);
	assert_false(b->info.initiator);
	/* Six main mode and three quick mode messages, nothing else. */
	assert_int_equal(W.nsent, 9);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(exch_of(i), IKE_EXCH_MAIN);
	for (unsigned i = 6; i < 9; i++)
		assert_int_equal(exch_of(i), IKE_EXCH_QUICK);
	/* Counters, each where its event is. */
	assert_int_equal(PA.st.total_acquire, 1);
	assert_int_equal(PA.st.ike_main_mode, 1);
	assert_int_equal(PB.st.ike_main_mode, 1);
	assert_int_equal(PA.st.ike_quick_mode, 1);
	assert_int_equal(PB.st.ike_quick_mode, 1);
	assert_int_equal(PA.st.key_additions, 1);
	assert_int_equal(PB.st.key_additions, 1);
	assert_int_equal(PA.st.total_get_spi, 1);
	assert_int_equal(PB.st.total_get_spi, 1);
	assert_int_equal(PA.st.isadb_list_size, 1);
	assert_int_equal(PB.st.isadb_list_size, 1);
	assert_int_equal(PA.st.connection_list_size, 1);
	assert_int_equal(PA.st.active_acquire, 0);
	assert_int_equal(PB.st.active_receive, 0);
	assert_int_equal(PA.st.acquire_heap_size, 0);
	assert_int_equal(PB.st.receive_heap_size, 0);
	assert_int_equal(PA.st.invalid_packets + PB.st.invalid_packets, 0);
	assert_int_equal(PA.st.acquire_failures + PB.st.receive_failures, 0);
}


/* Transport mode between the two hosts, AES-CBC-256 with SHA2-256 and
 * PFS (group 14, as strongSwan's lab proposal uses). */
static void
test_psk_cbc_pfs_transport(void **state)
{
	struct installed *a;

	(void)state;
	PA.qm.offers[0] = cbc(256, IKE_IAUTH_HMAC_SHA2_256);
	PB.qm.offers[0] = cbc(256, IKE_IAUTH_HMAC_SHA2_256);
	PA.qm.pfs_group = PB.qm.pfs_group = 14;
	start_both();
	acquire(&PA, &PB);
	run_for(5000);
	assert_int_equal(PA.installs, 1);
	assert_int_equal(PB.installs, 1);
	assert_pairs_match(&PA, &PB, true);
	a = last_pair(&PA);
	assert_int_equal(a->out.mode, DP_MODE_TRANSPORT);
	assert_int_equal(a->out.enc, DP_ENC_AES256_CBC);
	assert_int_equal(a->out.esp_auth, DP_AUTH_HMAC_SHA256_128);
	assert_int_equal(a->out.enc_key_len, 32);
	assert_int_equal(a->out.esp_auth_key_len, 32);
	assert_int_equal(a->info.pfs_group, 14);
	assert_int_equal(a->out.sel.src_plen, 32);
	assert_true(addr_eq(&a->out.sel.src, &PA.addr));
	assert_true(addr_eq(&a->out.sel.dst, &PB.addr));
}

/* PFS as the main mode group (GRPMM), from the responder's side too. */
static void
test_pfs_grpmm(void **state)
{
	(void)state;
	PA.qm.pfs_group = PB.qm.pfs_group = -1;
	start_both();
	acquire(&PA, &PB);
	run_for(5000);
	assert_int_equal(PA.installs, 1);
	assert_pairs_match(&PA, &PB, true);
	assert_int_equal(last_pair(&PA)->info.pfs_group, 19);
	assert_int_equal(last_pair(&PB)->info.pfs_group, 19);
}

/* PFS wanted by the responder, not proposed: no proposal. */
static void
test_pfs_mismatch(void **state)
{
	(void)state;
	PB.qm.pfs_group = 14;
	start_both();
	acquire(&PA, &PB);
	run_for(10000);
	assert_int_equal(PA.installs + PB.installs, 0);
	assert_int_equal(PB.st.negotiation_failures, 1);
	assert_int_equal(PB.st.receive_failures, 1);
	/* The protected NO-PROPOSAL-CHOSEN ends A's exchange at once. */
	assert_int_equal(PA.st.acquire_failures, 1);
	assert_int_equal(PA.st.active_acquire, 0);
}

struct mmsa_seen {
	unsigned n;
	struct ike_mmsa_info last;
	struct ike_identity peer_id; /* copied: type 0 when none */
};

/* ike_mmsa_info.peer_id is valid during the callback only: it is copied
 * here and the pointer is not kept past it. */
static void
see_mmsa(void *arg, const struct ike_mmsa_info *i)
{
	struct mmsa_seen *s = arg;

	s->n++;
	s->last = *i;
	memset(&s->peer_id, 0, sizeof(s->peer_id));
	if (i->peer_id != NULL)
		s->peer_id = *i->peer_id;
	s->last.peer_id = NULL;
}

/* The responder takes the first acceptable proposal in the initiator's
 * order, in both phases. */
static void
test_several_proposals(void **state)
{
	struct mmsa_seen seen = {0};
	struct installed *a;

	(void)state;
	PA.mm.noffers = 3;
	PA.mm.offers[0] =
	    (struct ike_mm_offer){IKE_ENC_3DES_CBC, 0, IKE_HASHALG_SHA1, 14};
	PA.mm.offers[1] = (struct ike_mm_offer){IKE_ENC_AES_CBC, 256,
	                                        IKE_HASHALG_SHA2_512, 20};
	PA.mm.offers[2] = (struct ike_mm_offer){IKE_ENC_AES_CBC, 128,
	                                        IKE_HASHALG_SHA2_256, 19};
	PB.mm.noffers = 2;
	PB.mm.offers[0] = PA.mm.offers[2];
	PB.mm.offers[1] = PA.mm.offers[1];
	PA.qm.noffers = 3;
	PA.qm.offers[0] = cbc(128, IKE_IAUTH_HMAC_MD5);
	PA.qm.offers[1] = cbc(256, IKE_IAUTH_HMAC_SHA2_512);
	PA.qm.offers[2] = gcm128();
	PB.qm.noffers = 2;
	PB.qm.offers[0] = gcm128();
	PB.qm.offers[1] = cbc(256, IKE_IAUTH_HMAC_SHA2_512);
	PB.qm.offers[1].seconds = 1800; /* the shorter one wins */
	start_both();
	acquire(&PA, &PB);
	run_for(5000);
	ike_foreach_mmsa(PB.ike, see_mmsa, &seen);
	assert_int_equal(seen.n, 1);
	assert_true(seen.last.established);
	assert_int_equal(seen.last.offer.enc, IKE_ENC_AES_CBC);
	assert_int_equal(seen.last.offer.keybits, 256);
	assert_int_equal(seen.last.offer.hash, IKE_HASHALG_SHA2_512);
	assert_int_equal(seen.last.offer.group, 20);
	assert_int_equal(seen.last.auth, IKE_AUTH_PSK);
	assert_pairs_match(&PA, &PB, true);
	a = last_pair(&PA);
	assert_int_equal(a->out.enc, DP_ENC_AES256_CBC);
	assert_int_equal(a->out.esp_auth, DP_AUTH_HMAC_SHA512_256);
	assert_int_equal(a->info.offer.seconds, 1800);
	assert_int_equal(last_pair(&PB)->info.offer.seconds, 1800);
}

/* AH+ESP bundles and 3DES. */
static void
test_ah_esp_bundle(void **state)
{
	struct ike_qm_offer o;
	struct installed *a;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.ah = true;
	o.ah_auth = IKE_IAUTH_HMAC_SHA1;
	o.esp = true;
	o.esp_enc = IKE_ESP_3DES;
	o.esp_auth = IKE_IAUTH_HMAC_SHA1;
	o.seconds = 3600;
	PA.qm.offers[0] = o;
	PB.qm.offers[0] = o;
	PA.mm.offers[0] =
	    (struct ike_mm_offer){IKE_ENC_3DES_CBC, 0, IKE_HASHALG_SHA1, 14};
	PB.mm.offers[0] = PA.mm.offers[0];
	start_both();
	acquire(&PA, &PB);
	run_for(5000);
	assert_int_equal(PA.installs, 1);
	assert_pairs_match(&PA, &PB, true);
	a = last_pair(&PA);
	assert_int_equal(a->out.proto, DP_PROTO_AH_ESP);
	assert_int_equal(a->out.enc, DP_ENC_3DES_CBC);
	assert_int_equal(a->out.ah_auth, DP_AUTH_HMAC_SHA1_96);
	assert_int_not_equal(a->out.ah_spi, 0);
	assert_int_not_equal(a->out.ah_spi, a->out.spi);
	assert_int_equal(PA.st.total_get_spi, 2);
}

static void
sig_setup(struct peer *p)
{
	p->mm.nauths = 1;
	p->mm.auths[0].method = IKE_AUTH_RSA_SIG;
	p->mm.auths[0].psk_len = 0;
	p->mm.auths[0].cert = p;
	p->mm.local_id.type = IKE_ID_FQDN;
	p->mm.local_id.len = (uint16_t)strlen(p->name);
	memcpy(p->mm.local_id.data, p->name, strlen(p->name));
}

/* Signatures through the hooks, with CERT and CR payloads. */
static void
test_sig_auth(void **state)
{
	struct mmsa_seen seen = {0};

	(void)state;
	sig_setup(&PA);
	sig_setup(&PB);
	start_both();
	acquire(&PA, &PB);
	run_for(5000);
	assert_int_equal(PA.installs, 1);
	assert_pairs_match(&PA, &PB, true);
	ike_foreach_mmsa(PA.ike, see_mmsa, &seen);
	assert_int_equal(seen.last.auth, IKE_AUTH_RSA_SIG);
	/* The identity the signature was verified for: the certificate's
	 * (read during the callback, not kept past it). */
	assert_int_equal(seen.peer_id.type, IKE_ID_FQDN);
	assert_int_equal(seen.peer_id.len, strlen(PB.name));
	assert_memory_equal(seen.peer_id.data, PB.name, strlen(PB.name));
	memset(&seen, 0, sizeof(seen));
	ike_foreach_mmsa(PB.ike, see_mmsa, &seen);
	assert_int_equal(seen.last.auth, IKE_AUTH_RSA_SIG);
	assert_int_equal(seen.peer_id.type, IKE_ID_FQDN);
	assert_memory_equal(seen.peer_id.data, PA.name, strlen(PA.name));
	/* CR payloads went both ways in messages 3 and 4 (the CERTs are
	 * in the encrypted 5 and 6). */
	assert_true(sent_payload(0, IKE_PL_CR) && sent_payload(1, IKE_PL_CR));
}

/* PSK offered after signatures: signatures chosen when both can. */
static void
test_sig_bad(void **state)
{
	(void)state;
	sig_setup(&PA);
	sig_setup(&PB);
	PA.sig_bad = true;
	start_both();
	acquire(&PA, &PB);
	run_for(300000);
	assert_int_equal(PA.installs + PB.installs, 0);
	assert_int_equal(PB.st.authentication_failures, 1);
	assert_int_equal(PB.st.receive_failures, 1);
	assert_int_equal(PA.st.acquire_failures, 1);
	assert_int_equal(PB.st.isadb_list_size, 0);
}

/* The policy names the peer's identity: another one is refused. */
static void
test_peer_id_refused(void **state)
{
	(void)state;
	PB.mm.peer_id.type = IKE_ID_FQDN;
	PB.mm.peer_id.len = 4;
	memcpy(PB.mm.peer_id.data, "nope", 4);
	start_both();
	acquire(&PA, &PB);
	run_for(300000);
	assert_int_equal(PA.installs + PB.installs, 0);
	assert_int_equal(PB.st.authentication_failures, 1);
}

static void
basic_pair(fault_fn f, unsigned target)
{
	world_reset();
	peer_setup(&PA, 0, "red", "10.77.0.1", 1);
	peer_setup(&PB, 1, "blue", "10.77.0.2", 2);
	W.fault = f;
	fault_target = target;
	start_both();
	acquire(&PA, &PB);
	run_for(200000);
}

/* Each of the nine messages lost once: retransmission repairs it, and
 * exactly one pair is installed on each side. */
static void
test_lost_each_message(void **state)
{
	(void)state;
	for (unsigned k = 0; k < 9; k++) {
		basic_pair(drop_one, k);
		if (PA.installs != 1 || PB.installs != 1)
			fail_msg("message %u lost: %u/%u installs", k + 1,
			         PA.installs, PB.installs);
		assert_pairs_match(&PA, &PB, true);
		assert_int_equal(PA.st.ike_main_mode, 1);
		assert_int_equal(PB.st.ike_main_mode, 1);
		assert_int_equal(PA.st.acquire_failures, 0);
		assert_int_equal(PB.st.receive_failures, 0);
		assert_int_equal(PA.st.active_acquire, 0);
		assert_int_equal(PB.st.active_receive, 0);
	}
}

/* Every datagram arrives twice: duplicates are answered or dropped,
 * never processed twice. */
static void
test_duplicated_messages(void **state)
{
	(void)state;
	W.fault = dup_all;
	start_both();
	acquire(&PA, &PB);
	run_for(200000);
	assert_int_equal(PA.installs, 1);
	assert_int_equal(PB.installs, 1);
	assert_pairs_match(&PA, &PB, true);
	assert_int_equal(PA.st.isadb_list_size, 1);
	assert_int_equal(PB.st.isadb_list_size, 1);
	assert_int_equal(PA.st.authentication_failures +
	                     PB.st.authentication_failures,
	                 0);
	/* Bounded: no ping-pong of duplicates. */
	assert_true(W.nsent < 60);
}

/* Each message delayed past its retransmission: the copies arrive out
 * of order with the exchange. */
static void
test_reordered_messages(void **state)
{
	(void)state;
	for (unsigned k = 0; k < 9; k++) {
		world_reset();
		peer_setup(&PA, 0, "red", "10.77.0.1", 1);
		peer_setup(&PB, 1, "blue", "10.77.0.2", 2);
		W.fault = delay_one;
		fault_target = k;
		start_both();
		acquire(&PA, &PB);
		run_for(200000);
		if (PA.installs != 1 || PB.installs != 1)
			fail_msg("message %u late: %u/%u installs", k + 1,
			         PA.installs, PB.installs);
		assert_pairs_match(&PA, &PB, true);
		assert_int_equal(PA.st.isadb_list_size, 1);
	}
}

/* A wrong pre-shared key: Authentication Failures at the responder,
 * nothing installed anywhere. */
static void
test_wrong_psk(void **state)
{
	(void)state;
	PB.mm.auths[0].psk[0] ^= 1;
	start_both();
	acquire(&PA, &PB);
	run_for(300000);
	assert_int_equal(PA.installs + PB.installs, 0);
	assert_int_equal(PB.st.authentication_failures, 1);
	assert_int_equal(PB.st.receive_failures, 1);
	assert_int_equal(PB.st.ike_main_mode, 0);
	assert_int_equal(PB.st.receive_heap_size, 0);
	assert_true(sent_clear_notify(1, IKE_N_AUTHENTICATION_FAILED));
	assert_int_equal(PA.st.acquire_failures, 1);
	assert_int_equal(PA.st.ike_main_mode, 0);
	assert_int_equal(PA.st.isadb_list_size, 0);
	assert_int_equal(PA.st.active_acquire, 0);
}

/* No common main mode proposal: NO-PROPOSAL-CHOSEN in clear. */
static void
test_no_proposal_mm(void **state)
{
	(void)state;
	PB.mm.offers[0].group = 14;
	start_both();
	acquire(&PA, &PB);
	run_for(300000);
	assert_int_equal(PA.installs + PB.installs, 0);
	assert_true(sent_clear_notify(1, IKE_N_NO_PROPOSAL_CHOSEN));
	assert_int_equal(PB.st.negotiation_failures, 1);
	assert_int_equal(PB.st.isadb_list_size, 0);
	assert_int_equal(PA.st.acquire_failures, 1);
	/* Each retransmitted message 1 got the same answer again, and
	 * counted no new failure. */
	assert_int_equal(sent_by(0), 6);
	assert_int_equal(sent_by(1), 6);
	assert_int_equal(PB.st.receive_failures, 1);
	assert_int_equal(PB.st.receive_heap_size, 0);
	assert_int_equal(PA.st.isadb_list_size, 0);
	assert_int_equal(ike_next_timer_ms(PA.ike), UINT64_MAX);
}

/* No common quick mode proposal: a protected NO-PROPOSAL-CHOSEN that
 * ends the initiator's exchange. */
static void
test_no_proposal_qm(void **state)
{
	(void)state;
	PB.qm.offers[0] = cbc(128, IKE_IAUTH_HMAC_SHA1);
	start_both();
	acquire(&PA, &PB);
	run_for(10000);
	assert_int_equal(PA.installs + PB.installs, 0);
	assert_int_equal(PB.st.negotiation_failures, 1);
	assert_int_equal(PA.st.negotiation_failures, 1);
	assert_int_equal(PA.st.acquire_failures, 1);
	assert_int_equal(PA.st.ike_main_mode, 1); /* phase 1 stays */
}

/* A silent peer: 1 + 5 sends, 2 s doubling, then failure. */
static void
test_retransmission_limit(void **state)
{
	uint64_t t0;

	(void)state;
	PB.down = true;
	start_both();
	t0 = W.now;
	acquire(&PA, &PB);
	run_for(600000);
	assert_int_equal(sent_by(0), 6);
	assert_int_equal(W.sent[0].at - t0, 0);
	assert_int_equal(W.sent[1].at - t0, 2000);
	assert_int_equal(W.sent[2].at - t0, 6000);
	assert_int_equal(W.sent[3].at - t0, 14000);
	assert_int_equal(W.sent[4].at - t0, 30000);
	assert_int_equal(W.sent[5].at - t0, 62000);
	assert_int_equal(PA.st.acquire_failures, 1);
	assert_int_equal(PA.st.isadb_list_size, 0);
	assert_int_equal(PA.st.active_acquire, 0);
	assert_int_equal(PA.st.acquire_heap_size, 0);
	assert_int_equal(PA.st.soft_associations, 0);
	assert_int_equal(PA.soft_installs, 0);
	assert_int_equal(ike_next_timer_ms(PA.ike), UINT64_MAX);
}

/* soft=yes and a peer that never answers: after the soft wait (3 s, as
 * Windows, not the minute of retransmissions) a soft association,
 * counted while it lasts; the silent main mode is abandoned, counted as
 * the give-up it replaces; once the soft association ends (its
 * softsaexpirationtime), the next acquire tries IKE again. */
static void
test_soft_association(void **state)
{
	uint64_t t0, end;

	(void)state;
	PB.down = true;
	PA.qm.soft = true;
	PA.mm.soft_s = 600;
	start_both();
	t0 = W.now;
	acquire(&PA, &PB);
	run_until(t0 + 2900);
	assert_int_equal(PA.soft_installs, 0);
	assert_int_equal(PA.st.soft_associations, 0);
	assert_int_equal(PA.st.acquire_failures, 0);
	assert_int_equal(PA.st.isadb_list_size, 1);
	assert_int_equal(PA.st.active_acquire, 1);
	assert_int_equal(sent_by(0), 2); /* message 1, one retransmission */
	run_until(t0 + 3000);
	assert_int_equal(PA.soft_installs, 1);
	assert_true(PA.sas[0].soft);
	assert_int_equal(PA.sas[0].installed_at, t0 + 3000);
	assert_int_equal(PA.sas[0].info.rule_id, 7);
	assert_int_equal(PA.st.soft_associations, 1);
	assert_int_equal(PA.st.acquire_failures, 1);
	assert_int_equal(PA.st.isadb_list_size, 0);
	assert_int_equal(PA.st.active_acquire, 0);
	assert_int_equal(PA.st.acquire_heap_size, 0);
	assert_int_equal(PA.st.connection_list_size, 1); /* the soft one */
	assert_int_equal(PA.st.ike_quick_mode, 0);
	/* Abandoned: no more retransmissions, nothing counted again. */
	run_for(200000);
	assert_int_equal(sent_by(0), 2);
	assert_int_equal(PA.soft_installs, 1);
	assert_int_equal(PA.st.acquire_failures, 1);
	assert_int_equal(PA.st.soft_associations, 1);
	/* It ends after softsaexpirationtime. */
	end = t0 + 3000 + 600000;
	run_until(end - 1);
	assert_int_equal(PA.st.soft_associations, 1);
	assert_int_equal(PA.uninstalls, 0);
	run_until(end);
	assert_int_equal(PA.st.soft_associations, 0);
	assert_int_equal(PA.uninstalls, 1);
	assert_int_equal(PA.st.connection_list_size, 0);
	assert_int_equal(ike_next_timer_ms(PA.ike), UINT64_MAX);
	/* The next packet tries IKE again, and waits again. */
	acquire(&PA, &PB);
	assert_int_equal(sent_by(0), 3);
	run_until(end + 2900);
	assert_int_equal(PA.soft_installs, 1);
	run_until(end + 3000);
	assert_int_equal(PA.soft_installs, 2);
	assert_int_equal(PA.st.soft_associations, 1);
	assert_int_equal(PA.st.acquire_failures, 2);
	assert_int_equal(PA.st.total_acquire, 2);
}

/* The soft wait is the conf's when given. */
static void
test_soft_wait_conf(void **state)
{
	uint64_t t0;

	(void)state;
	PB.down = true;
	PA.qm.soft = true;
	PA.conf.soft_wait_ms = 1500;
	start_both();
	t0 = W.now;
	acquire(&PA, &PB);
	run_until(t0 + 1499);
	assert_int_equal(PA.soft_installs, 0);
	run_until(t0 + 1500);
	assert_int_equal(PA.soft_installs, 1);
	assert_int_equal(PA.sas[0].installed_at, t0 + 1500);
	assert_int_equal(sent_by(0), 1);
	/* Longer than the retransmissions: the give-up comes first, with
	 * its soft association, as before the soft wait. */
	world_reset();
	setup(NULL);
	PB.down = true;
	PA.qm.soft = true;
	PA.conf.soft_wait_ms = 600000;
	start_both();
	t0 = W.now;
	acquire(&PA, &PB);
	run_for(600000);
	assert_int_equal(sent_by(0), 6);
	assert_int_equal(PA.soft_installs, 1);
	assert_int_equal(PA.sas[0].installed_at, t0 + 62000 + 64000);
	assert_int_equal(PA.st.acquire_failures, 1);
}

/* B's answers leave it so that the first reaches A at 2.5 s. */
static uint64_t late_t0;

static int
late_answer(unsigned idx, const struct sent *s)
{
	uint64_t arrive = late_t0 + 2500 - LATENCY_MS;

	(void)idx;
	if (s->by == 1 && s->at < arrive)
		return (int)(arrive - s->at);
	return PASS;
}

/* soft=yes and a peer that answers message 1 late, inside the soft wait:
 * it speaks IKE, main mode goes on, a real pair and no soft
 * association. */
static void
test_soft_late_answer(void **state)
{
	(void)state;
	PA.qm.soft = true;
	W.fault = late_answer;
	start_both();
	late_t0 = W.now;
	acquire(&PA, &PB);
	run_until(late_t0 + 2499);
	assert_int_equal(PA.ike->sas->step, 0);
	run_until(late_t0 + 3000);
	assert_int_equal(PA.soft_installs, 0);
	assert_int_equal(PA.st.acquire_failures, 0);
	assert_int_equal(PA.st.isadb_list_size, 1);
	run_for(20000);
	assert_int_equal(PA.installs, 1);
	assert_int_equal(PB.installs, 1);
	assert_pairs_match(&PA, &PB, true);
	assert_int_equal(PA.soft_installs, 0);
	assert_int_equal(PA.st.soft_associations, 0);
	assert_int_equal(PA.st.acquire_failures, 0);
	assert_int_equal(PA.st.ike_main_mode, 1);
	assert_int_equal(PA.st.ike_quick_mode, 1);
}

/* soft=yes and a peer that answers message 1 with NO-PROPOSAL-CHOSEN in
 * clear: it speaks IKE, so no soft association, neither after the soft
 * wait nor when the retransmissions are spent. */
static void
test_soft_peer_refuses(void **state)
{
	(void)state;
	PA.qm.soft = true;
	PB.mm.offers[0].group = 14;
	start_both();
	acquire(&PA, &PB);
	run_for(5000);
	assert_true(sent_clear_notify(1, IKE_N_NO_PROPOSAL_CHOSEN));
	assert_int_equal(PA.soft_installs, 0);
	assert_int_equal(PA.st.acquire_failures, 0);
	assert_int_equal(PA.st.isadb_list_size, 1);
	run_for(300000);
	assert_int_equal(sent_by(0), 6);
	assert_int_equal(PA.soft_installs, 0);
	assert_int_equal(PA.st.soft_associations, 0);
	assert_int_equal(PA.st.acquire_failures, 1);
	assert_int_equal(PA.st.isadb_list_size, 0);
}

/* A silent peer, one acquire with soft=yes and one without (another
 * rule): the soft one gets its soft association after the soft wait,
 * the main mode goes on for the other (retransmissions as before), and
 * a soft acquire that comes when the peer has been silent longer than
 * the soft wait gets its soft association at once. */
static void
test_soft_and_hard_acquires(void **state)
{
	struct ike_acquire a;
	uint64_t t0;

	(void)state;
	PB.down = true;
	start_both();
	t0 = W.now;
	a = acq_hosts(&PA, &PB, false);
	a.rule_id = 8;
	assert_int_equal(ike_acquire(PA.ike, &a), 0); /* soft=no */
	run_until(t0 + 5000);
	assert_int_equal(PA.soft_installs, 0);
	PA.qm.soft = true;
	acquire(&PA, &PB); /* rule 7, soft=yes, same main mode */
	assert_int_equal(PA.st.isadb_list_size, 1);
	run_until(t0 + 5000);
	assert_int_equal(PA.soft_installs, 1);
	assert_int_equal(PA.sas[0].info.rule_id, 7);
	assert_int_equal(PA.sas[0].installed_at, t0 + 5000);
	assert_int_equal(PA.st.acquire_failures, 1);
	assert_int_equal(PA.st.isadb_list_size, 1);
	assert_int_equal(PA.st.active_acquire, 1);
	assert_int_equal(PA.st.acquire_heap_size, 1);
	run_for(600000);
	assert_int_equal(sent_by(0), 6);
	assert_int_equal(W.sent[5].at - t0, 62000);
	assert_int_equal(PA.soft_installs, 1);
	assert_int_equal(PA.st.acquire_failures, 2);
	assert_int_equal(PA.st.isadb_list_size, 0);
	assert_int_equal(PA.st.active_acquire, 0);
	assert_int_equal(PA.st.acquire_heap_size, 0);
}

/* A main mode responder whose policy's lifetime is shorter than the
 * proposed one keeps its own, the shorter, while the initiator keeps the
 * proposed one: RFC 2409 gives phase 1 no way to tell the initiator
 * (RESPONDER-LIFETIME, RFC 2407 section 4.6.3.1, is "the IPSEC SA
 * lifetime chosen by the responder"; we send it in Quick Mode only), and
 * taking the longer proposal would break the responder's policy.  The
 * responder rekeys ahead of its end and its DELETE at the end makes the
 * initiator drop the old SA too: both hold the same SA afterwards, and
 * the pair never stops. */
static void
test_mm_responder_shorter_lifetime(void **state)
{
	struct mmsa_seen sa_a = {0}, sa_b = {0};
	uint64_t t0;

	(void)state;
	PB.mm.lifetime_s = 3600;
	PA.qm.offers[0].seconds = 28800;
	PB.qm.offers[0].seconds = 28800;
	start_both();
	t0 = W.now;
	acquire(&PA, &PB);
	run_for(5000);
	assert_int_equal(PA.installs, 1);
	ike_foreach_mmsa(PA.ike, see_mmsa, &sa_a);
	ike_foreach_mmsa(PB.ike, see_mmsa, &sa_b);
	assert_int_equal(sa_a.last.lifetime_s, 28800);
	assert_int_equal(sa_b.last.lifetime_s, 3600);
	run_until(t0 + 3700 * 1000ull);
	memset(&sa_a, 0, sizeof(sa_a));
	memset(&sa_b, 0, sizeof(sa_b));
	ike_foreach_mmsa(PA.ike, see_mmsa, &sa_a);
	ike_foreach_mmsa(PB.ike, see_mmsa, &sa_b);
	assert_int_equal(sa_a.n, 1);
	assert_int_equal(sa_b.n, 1);
	assert_memory_equal(sa_a.last.icookie, sa_b.last.icookie, 8);
	assert_memory_equal(sa_a.last.rcookie, sa_b.last.rcookie, 8);
	assert_true(sa_b.last.initiator); /* B rekeyed it */
	assert_int_equal(sa_a.last.lifetime_s, 3600);
	assert_int_equal(PA.st.ike_main_mode, 1);
	assert_int_equal(PB.st.ike_main_mode, 1);
	assert_int_equal(live_pairs(&PA), 1);
	assert_int_equal(live_pairs(&PB), 1);
	assert_int_equal(PA.uninstalls + PB.uninstalls, 0);
}

/* Forced NAT-T, as strongSwan's kernel-libipsec does: both float to
 * 4500 after message 4, quick mode proposes UDP-Encapsulated-Tunnel
 * (3), the SAs say encap=udp, keepalives go out every 20 s. */
static void
test_natt_forced(void **state)
{
	struct installed *a;
	struct mmsa_seen seen = {0};

	(void)state;
	PA.mm.natt_force = PB.mm.natt_force = true;
	PA.qm.tunnel = PB.qm.tunnel = true;
	PA.qm.local_ts = subnet("10.78.1.0", 24);
	PA.qm.remote_ts = subnet("10.78.2.0", 24);
	PB.qm.local_ts = subnet("10.78.2.0", 24);
	PB.qm.remote_ts = subnet("10.78.1.0", 24);
	start_both();
	acquire(&PA, &PB);
	run_for(5000);
	assert_int_equal(PA.installs, 1);
	assert_pairs_match(&PA, &PB, true);
	for (unsigned i = 0; i < W.nsent; i++) {
		uint16_t want = i < 4 ? 500 : 4500;
		assert_int_equal(W.sent[i].from.port, want);
		assert_int_equal(W.sent[i].to.port, want);
	}
	a = last_pair(&PA);
	assert_int_equal(a->out.encap, DP_ENCAP_UDP);
	assert_int_equal(a->out.mode, DP_MODE_TUNNEL);
	assert_int_equal(a->out.encap_sport, 4500);
	assert_int_equal(a->out.encap_dport, 4500);
	assert_int_equal(a->in.encap_sport, 4500);
	assert_int_equal(a->info.encap, DP_ENCAP_UDP);
	ike_foreach_mmsa(PA.ike, see_mmsa, &seen);
	assert_true(seen.last.natt && seen.last.floated);
	assert_true(seen.last.nat_local);
	assert_true(seen.last.nat_peer); /* B's hash is false too */
	run_for(61000);
	assert_int_equal(PA.keepalives, 3);
	assert_int_equal(PB.keepalives, 3);
}

/* Forced on one side only (strongSwan's case seen from us): the other
 * side detects the "NAT" and floats too. */
static void
test_natt_forced_one_side(void **state)
{
	(void)state;
	PB.mm.natt_force = true;
	start_both();
	acquire(&PA, &PB);
	run_for(5000);
	assert_int_equal(PA.installs, 1);
	assert_pairs_match(&PA, &PB, true);
	assert_int_equal(last_pair(&PA)->out.encap, DP_ENCAP_UDP);
	assert_int_equal(W.sent[4].to.port, 4500);
	/* Only the side "behind" the NAT keeps it open. */
	run_for(41000);
	assert_int_equal(PA.keepalives, 0);
	assert_int_equal(PB.keepalives, 2);
}

/* A real NAT in front of A: A finds itself behind it, B finds the peer
 * behind one; the SAs carry the NAT's mapped port. */
static void
test_nat_real(void **state)
{
	struct installed *b;
	struct mmsa_seen seen = {0};

	(void)state;
	W.nat_peer = 0;
	W.nat_pub = addr4("203.0.113.9");
	start_both();
	{
		struct ike_acquire a = acq_hosts(&PA, &PB, false);
		assert_int_equal(ike_acquire(PA.ike, &a), 0);
	}
	/* B's responder policy: whatever A's real address proposes. */
	PB.qm_any = true;
	run_for(5000);
	assert_int_equal(PA.installs, 1);
	assert_int_equal(PB.installs, 1);
	assert_pairs_match(&PA, &PB, false);
	b = last_pair(&PB);
	assert_int_equal(b->out.encap, DP_ENCAP_UDP);
	assert_int_equal(b->out.encap_dport, 44500);
	assert_true(addr_eq(&b->info.peer.addr, &W.nat_pub));
	ike_foreach_mmsa(PA.ike, see_mmsa, &seen);
	assert_true(seen.last.nat_local);
	assert_false(seen.last.nat_peer);
	memset(&seen, 0, sizeof(seen));
	ike_foreach_mmsa(PB.ike, see_mmsa, &seen);
	assert_false(seen.last.nat_local);
	assert_true(seen.last.nat_peer);
	run_for(21000);
	assert_int_equal(PA.keepalives, 1);
	assert_int_equal(PB.keepalives, 0);
}

/* Both sides acquire at the same moment: they converge (both pairs or
 * one, all matching) and go quiet. */
static void
test_simultaneous_initiation(void **state)
{
	unsigned n;

	(void)state;
	start_both();
	acquire(&PA, &PB);
	acquire(&PB, &PA);
	run_for(10000);
	assert_true(PA.installs >= 1 && PA.installs <= 2);
	assert_int_equal(PA.installs, PB.installs);
	assert_pairs_match(&PA, &PB, true);
	assert_int_equal(PA.st.acquire_failures + PB.st.acquire_failures, 0);
	n = W.nsent;
	run_for(600000);
	assert_int_equal(W.nsent, n); /* no loop */
	assert_pairs_match(&PA, &PB, true);
}

/* The pair is rekeyed before its soft lifetime: the new pair is in
 * before the old one goes, on both sides, over several lifetimes. */
static void
test_rekey_without_loss(void **state)
{
	(void)state;
	PA.qm.offers[0].seconds = PB.qm.offers[0].seconds = 600;
	start_both();
	acquire(&PA, &PB);
	run_for(5000);
	assert_int_equal(PA.installs, 1);
	for (int step = 0; step < 40; step++) {
		run_for(60000);
		/* At every point both have a matching live pair. */
		assert_true(live_pairs(&PA) >= 1);
		assert_true(live_pairs(&PB) >= 1);
		assert_pairs_match(&PA, &PB, true);
	}
	assert_true(PA.installs >= 4);
	assert_int_equal(PA.installs, PB.installs);
	assert_int_equal(PA.st.key_updates, PA.installs - 1);
	assert_int_equal(PB.st.key_updates, PB.installs - 1);
	assert_true(live_pairs(&PA) <= 2);
	/* Each old pair left after its successor came. */
	for (size_t i = 1; i < PA.nsas; i++)
		if (PA.sas[i - 1].removed)
			assert_true(PA.sas[i - 1].removed_at >=
			            PA.sas[i].installed_at);
	assert_int_equal(PA.st.ike_quick_mode, live_pairs(&PA));
	assert_int_equal(PB.st.ike_quick_mode, live_pairs(&PB));
}

/* A's rekey is lost until B's own rekey starts: the rekeys cross, both
 * sides keep matching pairs and it settles. */
static unsigned collide_drops;

static int
drop_a_quick_after(unsigned idx, const struct sent *s)
{
	(void)idx;
	if (s->by == 0 && s->at > 1000000 + 500000 && collide_drops < 6) {
		struct ike_msg *m = calloc(1, sizeof(*m));
		bool quick = ike_msg_parse(s->data, s->len, m, NULL, 0) == 0 &&
		             m->hdr.exch == IKE_EXCH_QUICK;
		free(m);
		if (quick) {
			collide_drops++;
			return DROP;
		}
	}
	return PASS;
}

static void
test_rekey_collision(void **state)
{
	unsigned n;

	(void)state;
	PA.qm.offers[0].seconds = PB.qm.offers[0].seconds = 600;
	PA.conf.retransmit_ms = PB.conf.retransmit_ms = 10000;
	collide_drops = 0;
	W.fault = drop_a_quick_after;
	start_both();
	acquire(&PA, &PB);
	for (int step = 0; step < 30; step++) {
		run_for(60000);
		assert_true(live_pairs(&PA) >= 1);
		assert_true(live_pairs(&PB) >= 1);
		assert_pairs_match(&PA, &PB, true);
	}
	assert_true(collide_drops > 0);
	assert_true(PB.st.key_updates >= 1);
	assert_true(live_pairs(&PA) <= 3);
	n = W.nsent;
	run_for(600);
	assert_true(W.nsent - n < 10);
}

/* B restarts and negotiates again: its INITIAL-CONTACT makes A forget
 * the old main mode SA and pair. */
static void
test_peer_restart(void **state)
{
	struct installed *old;

	(void)state;
	start_both();
	acquire(&PA, &PB);
	run_for(5000);
	assert_int_equal(PA.installs, 1);
	old = last_pair(&PA);
	/* B goes away without a word and comes back empty. */
	peer_stop(&PB);
	PB.nsas = 0;
	PB.installs = 0;
	PB.rng += 1000;
	memset(&PB.st, 0, sizeof(PB.st));
	run_for(60000);
	peer_start(&PB);
	acquire(&PB, &PA);
	run_for(5000);
	assert_int_equal(PB.installs, 1);
	assert_int_equal(PA.installs, 2);
	assert_true(old->removed);
	assert_int_equal(live_pairs(&PA), 1);
	assert_pairs_match(&PA, &PB, true);
	assert_int_equal(PA.st.ike_main_mode, 1);
	assert_int_equal(PA.st.isadb_list_size, 1);
	assert_int_equal(PA.st.ike_quick_mode, 1);
}

/* ---- hostile inputs (spec/verification.md, "Hostile inputs") ----------- */

/* Zero and oversized lengths - the header's, a payload's, a proposal's,
 * a transform's - in clear before any SA, and sealed with the real keys
 * inside an established one: each is counted in Invalid Packets
 * Received and leaves no SA, no exchange and no answer. */
static void
test_hostile_lengths(void **state)
{
	/* Offsets in message 1: the SA payload, its proposal (after DOI
	 * and situation), the proposal's transform (no SPI). */
	static const struct {
		const char *what;
		size_t at; /* where the 16-bit length goes; 0: the header's */
		unsigned v; /* the length; header: UINT_MAX = datagram + 1000 */
	} cases[] = {
	    {"SA payload length 0", IKE_HDR_LEN + 2, 0},
	    {"SA payload length 3", IKE_HDR_LEN + 2, 3},
	    {"SA payload length 0xffff", IKE_HDR_LEN + 2, 0xffff},
	    {"proposal length 0", IKE_HDR_LEN + 12 + 2, 0},
	    {"proposal length 0xffff", IKE_HDR_LEN + 12 + 2, 0xffff},
	    {"transform length 0", IKE_HDR_LEN + 20 + 2, 0},
	    {"transform length 0xffff", IKE_HDR_LEN + 20 + 2, 0xffff},
	    {"header length 0", 0, 0},
	    {"header length 27", 0, 27},
	    {"header length past the datagram", 0, UINT_MAX},
	};
	uint8_t m1[512], bad[512];
	size_t len, salen;
	struct body bo;
	struct ike_msg_builder b;
	uint64_t inv;
	unsigned sent;

	(void)state;
	peer_setup(&PC, 2, "green", "10.77.0.3", 3);
	established_pair();
	build_mm1(m1, sizeof(m1), &len, 0x42);
	salen = (size_t)m1[IKE_HDR_LEN + 2] << 8 | m1[IKE_HDR_LEN + 3];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t blen = len;
		memcpy(bad, m1, len);
		if (cases[i].at != 0) {
			set_len16(bad + cases[i].at, cases[i].v);
		} else {
			uint32_t h = cases[i].v == UINT_MAX
			                 ? (uint32_t)len + 1000
			                 : cases[i].v;
			for (int k = 0; k < 4; k++)
				bad[24 + k] = (uint8_t)(h >> (24 - 8 * k));
		}
		inv = PB.st.invalid_packets;
		sent = sent_by(1);
		inject_clear(&PB, &PC.addr, bad, blen);
		if (PB.st.invalid_packets != inv + 1)
			fail_msg("%s: not counted as invalid", cases[i].what);
		assert_int_equal(sent_by(1), sent);
		assert_b_intact(1);
		assert_int_equal(PB.st.connection_list_size, 1);
	}
	/* The VID after the SA: length 0, and past the end. */
	for (unsigned v = 0; v < 2; v++) {
		memcpy(bad, m1, len);
		set_len16(bad + IKE_HDR_LEN + salen + 2, v == 0 ? 0 : 0x200);
		inv = PB.st.invalid_packets;
		inject_clear(&PB, &PC.addr, bad, len);
		assert_int_equal(PB.st.invalid_packets, inv + 1);
		assert_b_intact(1);
	}
	/* A datagram shorter than its header says. */
	inv = PB.st.invalid_packets;
	inject_clear(&PB, &PC.addr, m1, len - 5);
	assert_int_equal(PB.st.invalid_packets, inv + 1);
	assert_b_intact(1);

	/* Sealed with B's keys and a right HASH(1): an informational whose
	 * DELETE has length 0, one whose notify runs past the end, a quick
	 * mode whose nonce has length 0, and one whose SA runs past. */
	for (unsigned k = 0; k < 4; k++) {
		size_t hlen = keyed_sa(&PB)->keys.len;
		uint8_t exch = k < 2 ? IKE_EXCH_INFO : IKE_EXCH_QUICK;
		if (k < 2) {
			struct ike_notify n;
			struct ike_delete d;
			uint8_t spi[4] = {1, 2, 3, 4};
			body_begin(&b, hlen);
			memset(&d, 0, sizeof(d));
			d.doi = IKE_DOI_IPSEC;
			d.proto = IKE_PROTO_ESP;
			d.spi_size = 4;
			d.nspis = 1;
			d.spis.p = spi;
			d.spis.len = 4;
			memset(&n, 0, sizeof(n));
			n.doi = IKE_DOI_IPSEC;
			n.proto = IKE_PROTO_ISAKMP;
			n.type = IKE_N_R_U_THERE;
			n.data.p = spi;
			n.data.len = 4;
			if (k == 0)
				ike_msg_build_delete(&b, &d);
			else
				ike_msg_build_notify(&b, &n);
			body_end(&b, &bo);
			set_len16(bo.buf + payload_at(&bo, 1) + 2,
			          k == 0 ? 0 : 0xfff0);
		} else {
			build_qm1(&bo, hlen, NULL, NULL);
			if (k == 2)
				set_len16(bo.buf + payload_at(&bo, 2) + 2, 0);
			else
				set_len16(bo.buf + payload_at(&bo, 1) + 2,
				          0xfff0);
		}
		inv = PB.st.invalid_packets;
		sent = sent_by(1);
		inject_sealed(&PB, NULL, exch, 0x7000 + k, &bo, true);
		assert_int_equal(PB.st.invalid_packets, inv + 1);
		assert_int_equal(sent_by(1), sent);
		assert_b_intact(1);
	}
	/* The baseline is fine: the unpatched message 1 makes a half-open
	 * SA and is answered. */
	sent = sent_by(1);
	inject_clear(&PB, &PC.addr, m1, len);
	assert_int_equal(PB.st.isadb_list_size, 2);
	assert_int_equal(PB.st.receive_heap_size, 1);
	assert_int_equal(sent_by(1), sent + 1);
	run_for(100000);
	assert_pairs_match(&PA, &PB, true);
	assert_int_equal(PB.st.receive_heap_size, 0);
	assert_int_equal(PB.st.receive_failures, 1); /* the half-open one */
}

/* Payloads out of the order their exchange requires: dropped and
 * counted, no exchange started, nothing answered or installed. */
static void
test_payloads_out_of_order(void **state)
{
	struct ike_msg_builder b;
	struct body bo;
	struct ike_isa *half = NULL;
	struct mmsa_seen seen;
	uint8_t m1[512], nonce[32], ke[64];
	size_t len, hlen;
	uint64_t inv;
	unsigned sent;

	(void)state;
	peer_setup(&PC, 2, "green", "10.77.0.3", 3);
	established_pair();
	hlen = keyed_sa(&PB)->keys.len;
	memset(nonce, 7, sizeof(nonce));
	memset(ke, 9, sizeof(ke));
	for (unsigned k = 0; k < 3; k++) {
		struct ike_notify n;
		uint8_t ck[16];
		if (k == 0) {
			/* Quick Mode: SA, then HASH (HASH must be first). */
			body_begin(&b, 0);
			add_esp_sa(&b);
			ike_msg_build_hash(&b, NULL, hlen);
			ike_msg_build_nonce(&b, nonce, sizeof(nonce));
			body_end(&b, &bo);
		} else if (k == 1) {
			/* Quick Mode: HASH, Ni, SA (SA must be second); the
			 * HASH(1) is right. */
			body_begin(&b, hlen);
			ike_msg_build_nonce(&b, nonce, sizeof(nonce));
			add_esp_sa(&b);
			body_end(&b, &bo);
		} else {
			/* Informational: N before HASH. */
			memcpy(ck, keyed_sa(&PB)->icookie, 8);
			memcpy(ck + 8, keyed_sa(&PB)->rcookie, 8);
			body_begin(&b, 0);
			memset(&n, 0, sizeof(n));
			n.doi = IKE_DOI_IPSEC;
			n.proto = IKE_PROTO_ISAKMP;
			n.spi_size = 16;
			n.spi.p = ck;
			n.spi.len = 16;
			n.type = IKE_N_INITIAL_CONTACT;
			ike_msg_build_notify(&b, &n);
			ike_msg_build_hash(&b, NULL, hlen);
			body_end(&b, &bo);
		}
		inv = PB.st.invalid_packets;
		sent = sent_by(1);
		inject_sealed(&PB, NULL, k < 2 ? IKE_EXCH_QUICK : IKE_EXCH_INFO,
		              0x6000 + k, &bo, k == 1);
		assert_int_equal(PB.st.invalid_packets, inv + 1);
		assert_int_equal(sent_by(1), sent);
		assert_b_intact(1);
		assert_int_equal(PB.st.negotiation_failures, 0);
	}
	/* Main mode: a message 1 that opens with KE instead of SA is
	 * refused with INVALID-PAYLOAD-TYPE and makes no SA. */
	body_begin(&b, 0);
	ike_msg_build_ke(&b, ke, sizeof(ke));
	body_end(&b, &bo);
	build_mm1(m1, sizeof(m1), &len, 0x43);
	memcpy(m1 + IKE_HDR_LEN, bo.buf, bo.len);
	m1[16] = IKE_PL_KE;
	len = IKE_HDR_LEN + bo.len;
	for (int k = 0; k < 4; k++)
		m1[24 + k] = (uint8_t)(len >> (24 - 8 * k));
	inv = PB.st.invalid_packets;
	inject_clear(&PB, &PC.addr, m1, len);
	assert_int_equal(PB.st.invalid_packets, inv + 1);
	assert_b_intact(1);
	assert_true(sent_clear_notify(1, IKE_N_INVALID_PAYLOAD_TYPE));
	/* A half-open SA from C, awaiting message 3: a message 1 again
	 * under its cookie pair, and an encrypted message (5 before 3). */
	build_mm1(m1, sizeof(m1), &len, 0x44);
	inject_clear(&PB, &PC.addr, m1, len);
	for (struct ike_isa *sa = PB.ike->sas; sa != NULL; sa = sa->next)
		if (ike_addr_eq(&sa->remote.addr, &PC.addr))
			half = sa;
	assert_non_null(half);
	for (int k = 0; k < 2; k++) {
		uint8_t m[512];
		memcpy(m, m1, len);
		memcpy(m + 8, half->rcookie, IKE_COOKIE_LEN);
		if (k == 1) {
			m[19] = IKE_FLAG_ENC;
			memset(m + IKE_HDR_LEN, 0xa5, 64);
			for (int j = 0; j < 4; j++)
				m[24 + j] = (uint8_t)((IKE_HDR_LEN + 64) >>
				                      (24 - 8 * j));
		}
		inv = PB.st.invalid_packets;
		sent = sent_by(1);
		inject_clear(&PB, &PC.addr, m, k == 1 ? IKE_HDR_LEN + 64 : len);
		assert_int_equal(PB.st.invalid_packets, inv + 1);
		assert_int_equal(sent_by(1), sent);
		assert_int_equal(PB.st.isadb_list_size, 2);
		assert_int_equal(PB.st.receive_heap_size, 1);
		assert_int_equal(half->step, 1);
	}
	memset(&seen, 0, sizeof(seen));
	ike_foreach_mmsa(PB.ike, see_mmsa, &seen);
	assert_int_equal(seen.n, 2);
	assert_false(seen.last.established);
}

static unsigned block_from;
static bool blocking;

static int
drop_from_while_blocking(unsigned idx, const struct sent *s)
{
	(void)s;
	return blocking && idx >= block_from ? DROP : PASS;
}

/* Informational and Quick Mode before main mode completes (the
 * CVE-2019-12312 class): in clear or sealed with the keys of a main
 * mode that has them but is not authenticated yet, a DELETE of the SA
 * and an INITIAL-CONTACT change nothing; the exchange then completes. */
static void
test_info_before_keys(void **state)
{
	struct ike_msg_builder b;
	struct ike_notify n;
	struct ike_delete d;
	struct ike_isa *sa;
	struct body bo;
	uint8_t m[512], ck[16];
	size_t len;
	uint64_t inv, ic;

	(void)state;
	/* Messages 1-4 pass, 5 and later are lost for now: B sits in
	 * MM_R4 with keys, A retransmits message 5. */
	blocking = true;
	block_from = 4;
	W.fault = drop_from_while_blocking;
	start_both();
	acquire(&PA, &PB);
	run_for(100);
	sa = keyed_sa(&PB);
	assert_int_equal(sa->step, 2);
	assert_int_equal(PB.st.receive_heap_size, 1);
	memcpy(ck, sa->icookie, 8);
	memcpy(ck + 8, sa->rcookie, 8);
	/* The informational: DELETE of the ISAKMP SA, INITIAL-CONTACT. */
	body_begin(&b, sa->keys.len);
	memset(&d, 0, sizeof(d));
	d.doi = IKE_DOI_IPSEC;
	d.proto = IKE_PROTO_ISAKMP;
	d.spi_size = 16;
	d.nspis = 1;
	d.spis.p = ck;
	d.spis.len = 16;
	ike_msg_build_delete(&b, &d);
	memset(&n, 0, sizeof(n));
	n.doi = IKE_DOI_IPSEC;
	n.proto = IKE_PROTO_ISAKMP;
	n.spi_size = 16;
	n.spi.p = ck;
	n.spi.len = 16;
	n.type = IKE_N_INITIAL_CONTACT;
	ike_msg_build_notify(&b, &n);
	body_end(&b, &bo);
	/* In clear: logged, nothing else (no keys to check it with). */
	memcpy(m, ck, 16);
	m[16] = bo.first;
	m[17] = IKE_VERSION;
	m[18] = IKE_EXCH_INFO;
	m[19] = 0;
	memset(m + 20, 0, 4);
	m[23] = 9;
	/* without the HASH payload */
	len = IKE_HDR_LEN + bo.len - payload_at(&bo, 1);
	memcpy(m + IKE_HDR_LEN, bo.buf + payload_at(&bo, 1),
	       bo.len - payload_at(&bo, 1));
	m[16] = IKE_PL_D;
	for (int k = 0; k < 4; k++)
		m[24 + k] = (uint8_t)(len >> (24 - 8 * k));
	inv = PB.st.invalid_packets;
	inject_clear(&PB, &PA.addr, m, len);
	assert_int_equal(PB.st.invalid_packets, inv);
	assert_int_equal(PB.st.isadb_list_size, 1);
	assert_int_equal(PB.st.receive_heap_size, 1);
	assert_int_equal(keyed_sa(&PB)->step, 2);
	/* Sealed with the real keys and HASH(1): refused, counted. */
	inject_sealed(&PB, NULL, IKE_EXCH_INFO, 0x5001, &bo, true);
	assert_int_equal(PB.st.invalid_packets, inv + 1);
	assert_int_equal(PB.st.isadb_list_size, 1);
	assert_int_equal(keyed_sa(&PB)->step, 2);
	/* A quick mode too. */
	build_qm1(&bo, sa->keys.len, NULL, NULL);
	inject_sealed(&PB, NULL, IKE_EXCH_QUICK, 0x5002, &bo, true);
	assert_int_equal(PB.st.invalid_packets, inv + 2);
	assert_int_equal(PB.st.active_receive, 1); /* main mode only */
	assert_int_equal(PB.st.isadb_list_size, 1);
	/* And to A, which waits for message 6 (it has keys too). */
	ic = PA.st.invalid_packets;
	build_qm1(&bo, keyed_sa(&PA)->keys.len, NULL, NULL);
	inject_sealed(&PA, NULL, IKE_EXCH_QUICK, 0x5003, &bo, true);
	assert_int_equal(PA.st.invalid_packets, ic + 1);
	assert_int_equal(PA.st.acquire_heap_size, 1);
	/* The loss ends: the exchange completes as if nothing happened. */
	blocking = false;
	run_for(30000);
	assert_int_equal(PA.installs, 1);
	assert_int_equal(PB.installs, 1);
	assert_pairs_match(&PA, &PB, true);
	assert_int_equal(PB.st.ike_main_mode, 1);
	assert_int_equal(PB.st.authentication_failures, 0);
	/* No keys at all: an encrypted informational for cookies nobody
	 * knows is an invalid cookie. */
	ic = PB.st.invalid_cookies;
	memset(m, 0x33, 16);
	m[16] = IKE_PL_HASH;
	m[17] = IKE_VERSION;
	m[18] = IKE_EXCH_INFO;
	m[19] = IKE_FLAG_ENC;
	memset(m + 20, 0, 4);
	m[23] = 1;
	memset(m + 24, 0, 4);
	m[27] = IKE_HDR_LEN + 32;
	memset(m + IKE_HDR_LEN, 0x44, 32);
	inject_clear(&PB, &PA.addr, m, IKE_HDR_LEN + 32);
	assert_int_equal(PB.st.invalid_cookies, ic + 1);
	assert_int_equal(PB.st.isadb_list_size, 1);
}

/* Duplicate and cascaded deletes (CVE-2023-38712): the same SPI twice
 * in one message, again in another, the ISAKMP SA twice; each pair and
 * SA goes once, a replayed message is refused, nothing else moves. */
static void
test_duplicate_deletes(void **state)
{
	struct ike_msg_builder b;
	struct ike_delete d;
	struct body bo, again;
	struct ike_isa *sa;
	uint32_t spi = 0;
	uint8_t s[4], junk[4] = {0xde, 0xad, 0xbe, 0xef}, ck[16];
	uint64_t inv, ic;

	(void)state;
	established_pair();
	spi = last_pair(&PB)->info.spi_out; /* A's inbound: what A names */
	s[0] = (uint8_t)(spi >> 24), s[1] = (uint8_t)(spi >> 16);
	s[2] = (uint8_t)(spi >> 8), s[3] = (uint8_t)spi;
	sa = keyed_sa(&PB);
	memcpy(ck, sa->icookie, 8);
	memcpy(ck + 8, sa->rcookie, 8);
	memset(&d, 0, sizeof(d));
	d.doi = IKE_DOI_IPSEC;
	d.proto = IKE_PROTO_ESP;
	d.spi_size = 4;
	d.nspis = 1;
	d.spis.p = s;
	d.spis.len = 4;
	/* One message: the pair's SPI twice, and an unknown one. */
	body_begin(&b, sa->keys.len);
	ike_msg_build_delete(&b, &d);
	ike_msg_build_delete(&b, &d);
	d.spis.p = junk;
	ike_msg_build_delete(&b, &d);
	body_end(&b, &bo);
	inv = PB.st.invalid_packets;
	inject_sealed(&PB, NULL, IKE_EXCH_INFO, 0x4001, &bo, true);
	assert_int_equal(PB.uninstalls, 1);
	assert_int_equal(live_pairs(&PB), 0);
	assert_int_equal(PB.st.ike_quick_mode, 0);
	assert_int_equal(PB.st.invalid_packets, inv);
	assert_int_equal(PB.st.ike_main_mode, 1);
	/* The same message again (its message id is used): refused. */
	inject_sealed(&PB, NULL, IKE_EXCH_INFO, 0x4001, &bo, true);
	assert_int_equal(PB.st.invalid_packets, inv + 1);
	assert_int_equal(PB.uninstalls, 1);
	/* Another message: the pair again, and the ISAKMP SA twice. */
	body_begin(&b, sa->keys.len);
	d.spis.p = s;
	ike_msg_build_delete(&b, &d);
	d.proto = IKE_PROTO_ISAKMP;
	d.spi_size = 16;
	d.spis.p = ck;
	d.spis.len = 16;
	ike_msg_build_delete(&b, &d);
	ike_msg_build_delete(&b, &d);
	body_end(&b, &again);
	inject_sealed(&PB, NULL, IKE_EXCH_INFO, 0x4002, &again, true);
	assert_int_equal(PB.uninstalls, 1);
	assert_int_equal(PB.st.isadb_list_size, 0);
	assert_int_equal(PB.st.ike_main_mode, 0);
	assert_int_equal(PB.st.connection_list_size, 0);
	assert_int_equal(PB.st.invalid_packets, inv + 1);
	/* And A's last message again, now that B has no SA: an invalid
	 * cookie, nothing else. */
	ic = PB.st.invalid_cookies;
	for (unsigned i = W.nsent; i-- > 0;)
		if (W.sent[i].by == 0) {
			inject_clear(&PB, &PA.addr, W.sent[i].data,
			             W.sent[i].len);
			break;
		}
	assert_int_equal(PB.st.invalid_cookies, ic + 1);
	assert_int_equal(PB.st.isadb_list_size, 0);
	run_for(600000);
	assert_int_equal(PB.uninstalls, 1);
	assert_int_equal(PB.installs, 1);
}

/* Quick Mode IDs that are no pair of address selectors of one family
 * (an FQDN, a DN, IPv4 with IPv6, one ID alone, a subnet whose mask has
 * holes, a range backwards): INVALID-ID-INFORMATION, protected, one
 * Negotiation and one Receive Failure each, nothing installed. */
static void
test_qm_id_mismatch(void **state)
{
	static const uint8_t a4[4] = {10, 77, 0, 1}, b4[4] = {10, 77, 0, 2};
	static const uint8_t b6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
	static const uint8_t holes[8] = {10, 77, 0, 0, 255, 0, 255, 0};
	static const uint8_t back[8] = {10, 77, 0, 9, 10, 77, 0, 1};
	static const uint8_t dn[4] = {0x30, 0x02, 0x31, 0x00};
	struct ike_id ci, cr;
	struct body bo;
	size_t hlen;
	uint64_t neg, rf;
	unsigned sent;

	(void)state;
	established_pair();
	hlen = keyed_sa(&PB)->keys.len;
	for (unsigned k = 0; k < 7; k++) {
		bool two = true;
		memset(&ci, 0, sizeof(ci));
		memset(&cr, 0, sizeof(cr));
		ci.type = IKE_ID_IPV4_ADDR;
		ci.data.p = a4;
		ci.data.len = 4;
		cr.type = IKE_ID_IPV4_ADDR;
		cr.data.p = b4;
		cr.data.len = 4;
		switch (k) {
		case 0:
			cr.type = IKE_ID_FQDN;
			cr.data.p = (const uint8_t *)"blue";
			break;
		case 1:
			cr.type = IKE_ID_IPV6_ADDR;
			cr.data.p = b6;
			cr.data.len = 16;
			break;
		case 2:
			two = false;
			break;
		case 3:
			ci.type = IKE_ID_IPV4_ADDR_SUBNET;
			ci.data.p = holes;
			ci.data.len = 8;
			break;
		case 4:
			ci.type = IKE_ID_IPV4_ADDR_RANGE;
			ci.data.p = back;
			ci.data.len = 8;
			break;
		case 5:
			ci.type = IKE_ID_DER_ASN1_DN;
			ci.data.p = dn;
			ci.data.len = sizeof(dn);
			break;
		default:
			break; /* the good one */
		}
		build_qm1(&bo, hlen, &ci, two ? &cr : NULL);
		neg = PB.st.negotiation_failures;
		rf = PB.st.receive_failures;
		sent = sent_by(1);
		inject_sealed(&PB, NULL, IKE_EXCH_QUICK, 0x3000 + k, &bo, true);
		assert_int_equal(sent_by(1), sent + 1);
		assert_int_equal(PB.installs, 1);
		if (k == 6) {
			/* Well-formed: B answers with message 2 and waits. */
			assert_int_equal(exch_of(W.nsent - 1), IKE_EXCH_QUICK);
			assert_int_equal(PB.st.active_receive, 1);
			assert_int_equal(PB.st.negotiation_failures, neg);
			break;
		}
		if (PB.st.negotiation_failures != neg + 1)
			fail_msg("ID case %u: no negotiation failure", k);
		assert_int_equal(PB.st.receive_failures, rf + 1);
		assert_int_equal(exch_of(W.nsent - 1), IKE_EXCH_INFO);
		assert_int_equal(PB.st.active_receive, 0);
		assert_int_equal(PB.st.ike_quick_mode, 1);
	}
}

/* A message for an established SA from another address (a third host
 * that saw the cookies): dropped and counted; from the peer's own
 * address the same message is answered. */
static void
test_other_address(void **state)
{
	struct ike_msg_builder b;
	struct ike_notify n;
	struct body bo;
	uint8_t seq[4] = {0, 0, 0, 7}, ck[16];
	uint64_t inv;
	unsigned sent;

	(void)state;
	peer_setup(&PC, 2, "green", "10.77.0.3", 3);
	established_pair();
	memcpy(ck, keyed_sa(&PB)->icookie, 8);
	memcpy(ck + 8, keyed_sa(&PB)->rcookie, 8);
	body_begin(&b, keyed_sa(&PB)->keys.len);
	memset(&n, 0, sizeof(n));
	n.doi = IKE_DOI_IPSEC;
	n.proto = IKE_PROTO_ISAKMP;
	n.spi_size = 16;
	n.spi.p = ck;
	n.spi.len = 16;
	n.type = IKE_N_R_U_THERE;
	n.data.p = seq;
	n.data.len = 4;
	ike_msg_build_notify(&b, &n);
	body_end(&b, &bo);
	inv = PB.st.invalid_packets;
	sent = sent_by(1);
	inject_sealed(&PB, &PC.addr, IKE_EXCH_INFO, 0x2001, &bo, true);
	assert_int_equal(PB.st.invalid_packets, inv + 1);
	assert_int_equal(sent_by(1), sent);
	assert_b_intact(1);
	inject_sealed(&PB, NULL, IKE_EXCH_INFO, 0x2001, &bo, true);
	assert_int_equal(PB.st.invalid_packets, inv + 1);
	assert_int_equal(sent_by(1), sent + 1); /* R-U-THERE-ACK */
	assert_int_equal(exch_of(W.nsent - 1), IKE_EXCH_INFO);
}

/* ---- lifetimes by use ------------------------------------------------- */

/* A pair nobody uses is deleted after its idle time, by the side that
 * notices first; the other takes the DELETE.  Both uninstall once. */
static void
test_idle_deletion(void **state)
{
	(void)state;
	PA.usage = PB.usage = true;
	PA.qm.idle_s = 60;
	PB.qm.idle_s = 600;
	established_pair();
	run_for(50000);
	assert_int_equal(live_pairs(&PA), 1);
	run_for(30000); /* 60 s idle, polled every 10 s */
	assert_int_equal(live_pairs(&PA), 0);
	assert_int_equal(live_pairs(&PB), 0);
	assert_int_equal(PA.uninstalls, 1);
	assert_int_equal(PB.uninstalls, 1);
	assert_int_equal(PA.st.ike_quick_mode, 0);
	assert_int_equal(PB.st.ike_quick_mode, 0);
	assert_int_equal(PA.st.ike_main_mode, 1); /* phase 1 stays */
	/* Traffic again: a new pair under the same main mode. */
	acquire(&PA, &PB);
	run_for(5000);
	assert_int_equal(live_pairs(&PA), 1);
	assert_int_equal(PA.st.ike_main_mode, 1);
	assert_int_equal(PA.st.key_additions, 2);
	assert_pairs_match(&PA, &PB, true);
}

/* A pair in use is not idle; one that carried most of its kilobytes is
 * rekeyed by its initiator before the hard limit. */
static void
test_kilobyte_rekey(void **state)
{
	struct installed *a;

	(void)state;
	PA.usage = PB.usage = true;
	PA.qm.offers[0].kbytes = PB.qm.offers[0].kbytes = 1000;
	established_pair();
	a = last_pair(&PA);
	assert_int_equal(a->out.hard.bytes, 1000 * 1024);
	for (int i = 0; i < 6; i++) {
		a->last_use = last_pair(&PB)->last_use = W.now;
		a->bytes = (uint64_t)i * 100 * 1024;
		run_for(10000);
	}
	assert_int_equal(PA.installs, 1); /* 500 KB: no rekey yet */
	a->bytes = 950 * 1024;
	a->last_use = last_pair(&PB)->last_use = W.now;
	run_for(15000);
	assert_int_equal(PA.installs, 2);
	assert_int_equal(PB.installs, 2);
	assert_int_equal(PA.st.key_updates, 1);
	assert_int_equal(PB.st.key_updates, 1);
	assert_int_equal(live_pairs(&PA), 1);
	assert_pairs_match(&PA, &PB, true);
	assert_true(last_pair(&PA)->info.rekey);
}

/* qmpermm=1: the second flow needs a main mode of its own. */
static void
test_qmpermm(void **state)
{
	struct ike_acquire a;

	(void)state;
	PA.mm.qmpermm = 1;
	established_pair();
	assert_int_equal(PA.st.ike_main_mode, 1);
	a = acq_hosts(&PA, &PB, false);
	a.proto = 6;
	a.dport = 80;
	assert_int_equal(ike_acquire(PA.ike, &a), 0);
	run_for(5000);
	assert_int_equal(PA.installs, 2);
	assert_int_equal(PB.installs, 2);
	assert_int_equal(PA.st.ike_main_mode, 2);
	assert_int_equal(PB.st.ike_main_mode, 2);
	assert_int_equal(PA.st.isadb_list_size, 2);
	assert_pairs_match(&PA, &PB, true);
}

/* A Quick Mode refused with NO-PROPOSAL-CHOSEN, then the same message
 * id again (refused: ids are never reused, whatever became of the
 * exchange), then a new id with the same SPI and an acceptable
 * proposal (answered: a refusal leaves no SPI or state behind, the
 * CVE-2023-30570 class). */
static void
test_qm_retry_after_refusal(void **state)
{
	struct body bo;
	size_t hlen;
	uint64_t inv;
	unsigned sent;

	(void)state;
	established_pair();
	hlen = keyed_sa(&PB)->keys.len;
	qm_cbc = true;
	build_qm1(&bo, hlen, NULL, NULL);
	sent = sent_by(1);
	inject_sealed(&PB, NULL, IKE_EXCH_QUICK, 0x1001, &bo, true);
	assert_int_equal(PB.st.negotiation_failures, 1);
	assert_int_equal(PB.st.receive_failures, 1);
	assert_int_equal(sent_by(1), sent + 1);
	assert_int_equal(exch_of(W.nsent - 1), IKE_EXCH_INFO);
	assert_int_equal(PB.st.active_receive, 0);
	/* The same id, now with an acceptable proposal: refused. */
	qm_cbc = false;
	build_qm1(&bo, hlen, NULL, NULL);
	inv = PB.st.invalid_packets;
	inject_sealed(&PB, NULL, IKE_EXCH_QUICK, 0x1001, &bo, true);
	assert_int_equal(PB.st.invalid_packets, inv + 1);
	assert_int_equal(sent_by(1), sent + 1);
	assert_int_equal(PB.st.negotiation_failures, 1);
	/* A new id, the same SPI: answered with message 2. */
	inject_sealed(&PB, NULL, IKE_EXCH_QUICK, 0x1002, &bo, true);
	assert_int_equal(sent_by(1), sent + 2);
	assert_int_equal(exch_of(W.nsent - 1), IKE_EXCH_QUICK);
	assert_int_equal(PB.st.active_receive, 1);
	assert_int_equal(PB.st.negotiation_failures, 1);
	assert_int_equal(PB.installs, 1);
}

/* IKEv2 in IKEv1's place (CVE-2015-3991): a version 2.0 header, and an
 * IKEv2 payload type in a message 1, are dropped and counted, make no
 * SA and are never read with IKEv2's formats. */
static void
test_ikev2_in_ikev1(void **state)
{
	uint8_t m1[512], bad[512];
	size_t len;
	uint64_t inv;

	(void)state;
	peer_setup(&PC, 2, "green", "10.77.0.3", 3);
	peer_start(&PB);
	build_mm1(m1, sizeof(m1), &len, 0x45);
	/* Version 2.0. */
	memcpy(bad, m1, len);
	bad[17] = 0x20;
	inv = PB.st.invalid_packets;
	inject_clear(&PB, &PC.addr, bad, len);
	assert_int_equal(PB.st.invalid_packets, inv + 1);
	/* The SA payload typed as IKEv2's SA (33), and the VID as IKEv2's
	 * Notify (41). */
	for (int k = 0; k < 2; k++) {
		memcpy(bad, m1, len);
		if (k == 0)
			bad[16] = 33;
		else
			bad[IKE_HDR_LEN] = 41; /* the SA's next payload */
		inv = PB.st.invalid_packets;
		inject_clear(&PB, &PC.addr, bad, len);
		assert_int_equal(PB.st.invalid_packets, inv + 1);
	}
	assert_int_equal(PB.st.isadb_list_size, 0);
	assert_int_equal(PB.st.receive_heap_size, 0);
	assert_int_equal(PB.st.connection_list_size, 0);
	assert_int_equal(sent_by(1), 0);
	/* The unpatched message is taken. */
	inject_clear(&PB, &PC.addr, m1, len);
	assert_int_equal(PB.st.isadb_list_size, 1);
	assert_int_equal(sent_by(1), 1);
}
/* ---- the responder installs in two steps (ike.h, env->install) --------- */

/* The responder's record whose inbound SA alone is in, or NULL. */
static struct installed *
half_pair(struct peer *p)
{
	for (size_t i = 0; i < p->nsas; i++)
		if (p->sas[i].half && !p->sas[i].removed)
			return &p->sas[i];
	return NULL;
}

/* Runs a millisecond at a time until *n reaches want (at most limit ms). */
static void
run_until_count(const unsigned *n, unsigned want, unsigned limit)
{
	for (unsigned i = 0; i < limit && *n < want; i++)
		run_for(1);
	assert_int_equal(*n, want);
}

static int
drop_qm3(unsigned idx, const struct sent *s)
{
	/* Datagrams 0-5 are main mode, 6-8 quick mode 1-3: every message
	 * 3 from A (and its resends for duplicates of message 2) is lost. */
	return idx >= 8 && s->by == 0 ? DROP : PASS;
}

/*
 * The responder's inbound SA is live from the moment it sends message 2,
 * so the initiator's first ESP packets (sent once it has message 2)
 * find it; its outbound SA comes only with message 3, when it knows the
 * initiator has the keys.  The pair counts (Key Additions, IKE Quick
 * Mode) only when whole.  An acquire of B's for the flow in between (a
 * reply to A's first packet) joins the exchange instead of starting a
 * second pair.
 */
static void
test_responder_inbound_first(void **state)
{
	struct installed *a, *b;
	struct ike_acquire rev;
	unsigned sent;

	(void)state;
	start_both();
	acquire(&PA, &PB);
	run_until_count(&PB.half_installs, 1, 5000);
	/* B just sent message 2, with its inbound SA already in. */
	assert_int_equal(W.nsent, 8);
	assert_int_equal(W.sent[7].by, 1);
	assert_int_equal(exch_of(7), IKE_EXCH_QUICK);
	b = half_pair(&PB);
	assert_non_null(b);
	assert_int_equal(b->installed_at, W.sent[7].at);
	assert_int_equal(b->in.dir, DP_DIR_IN);
	assert_int_equal(b->in.spi, b->info.spi_in);
	assert_int_equal(PB.installs, 0);
	assert_int_equal(PB.st.key_additions, 0);
	assert_int_equal(PB.st.ike_quick_mode, 0);
	assert_int_equal(PB.st.active_receive, 1);
	assert_int_equal(PB.st.total_get_spi, 1);
	/* A installs on message 2 and sends 3: B's inbound SA is what A's
	 * outbound one sends to, while message 3 is still on its way. */
	run_until_count(&PA.installs, 1, 1000);
	assert_int_equal(W.nsent, 9);
	a = last_pair(&PA);
	assert_ptr_equal(half_pair(&PB), b);
	assert_params_equal(&b->in, &a->out, true);
	assert_int_equal(PB.installs, 0);
	/* A reply of B's to A's first packet: no outbound SA yet, so the
	 * datapath asks; the acquire joins the exchange. */
	sent = W.nsent;
	rev = acq_hosts(&PB, &PA, false);
	assert_int_equal(ike_acquire(PB.ike, &rev), 0);
	assert_int_equal(W.nsent, sent);
	assert_int_equal(PB.st.total_acquire, 0);
	assert_int_equal(PB.st.active_acquire, 0);
	assert_int_equal(PB.st.acquire_failures, 0);
	/* Message 3: the outbound SA completes B's pair. */
	run_until_count(&PB.installs, 1, 1000);
	assert_false(b->half);
	assert_int_equal(b->out_at, W.sent[8].at + LATENCY_MS);
	assert_true(b->installed_at < b->out_at);
	assert_int_equal(PB.half_installs, 1);
	assert_int_equal(PB.st.key_additions, 1);
	assert_int_equal(PB.st.ike_quick_mode, 1);
	assert_int_equal(PB.st.active_receive, 0);
	assert_pairs_match(&PA, &PB, true);
	/* The same acquire just after (raised before the outbound SA
	 * reached the datapath's workers): the same answer. */
	run_for(IKE_ACQUIRE_ECHO_MS / 2);
	assert_int_equal(ike_acquire(PB.ike, &rev), 0);
	assert_int_equal(W.nsent, sent);
	assert_int_equal(PB.st.total_acquire, 0);
	/* Nothing more: no second pair from these acquires. */
	run_for(60000);
	assert_int_equal(W.nsent, sent);
	assert_int_equal(PA.installs, 1);
	assert_int_equal(PB.installs, 1);
	assert_int_equal(PA.uninstalls + PB.uninstalls, 0);
	assert_int_equal(PA.st.key_additions, 1);
	assert_int_equal(PB.st.key_additions, 1);
	assert_int_equal(PB.st.receive_failures, 0);
	/* Long after, an acquire means the datapath lost the outbound SA
	 * (an administrator's delete): B negotiates, now as initiator. */
	assert_int_equal(ike_acquire(PB.ike, &rev), 0);
	assert_int_equal(PB.st.total_acquire, 1);
	run_for(5000);
	assert_int_equal(PB.installs, 2);
	assert_int_equal(PA.installs, 2);
	assert_int_equal(PA.half_installs, 1);
	assert_pairs_match(&PA, &PB, true);
}

/* Message 3 never arrives: B's lone inbound SA is removed when its quick
 * mode gives up (message 2's retransmissions spent), counted as a failed
 * receive, never as a pair. */
static void
test_responder_no_qm3(void **state)
{
	struct installed *b;

	(void)state;
	W.fault = drop_qm3;
	start_both();
	acquire(&PA, &PB);
	run_for(5000);
	assert_int_equal(PA.installs, 1); /* A has it, B does not know */
	b = half_pair(&PB);
	assert_non_null(b);
	assert_int_equal(PB.installs, 0);
	assert_int_equal(PB.st.active_receive, 1);
	run_for(300000);
	assert_true(b->removed);
	assert_null(half_pair(&PB));
	assert_true(b->removed_at > b->installed_at + 60000);
	assert_int_equal(PB.uninstalls, 1);
	assert_int_equal(PB.installs, 0);
	assert_int_equal(PB.st.key_additions, 0);
	assert_int_equal(PB.st.ike_quick_mode, 0);
	assert_int_equal(PB.st.receive_failures, 1);
	assert_int_equal(PB.st.active_receive, 0);
	/* The main mode SA is untouched. */
	assert_int_equal(PB.st.ike_main_mode, 1);
}

/* B refuses its outbound SA on message 3: the inbound one goes at once
 * (Key Addition Failures); with the main mode SA deleted between
 * messages 2 and 3 the inbound SA goes with it too. */
static void
test_responder_half_ends(void **state)
{
	struct installed *b;

	(void)state;
	PB.install_out_fails = true;
	start_both();
	acquire(&PA, &PB);
	run_for(5000);
	assert_int_equal(PA.installs, 1);
	assert_int_equal(PB.half_installs, 1);
	assert_int_equal(PB.installs, 0);
	assert_int_equal(PB.uninstalls, 1);
	assert_true(PB.sas[0].removed);
	assert_int_equal(PB.st.key_addition_failures, 1);
	assert_int_equal(PB.st.key_additions, 0);
	assert_int_equal(PB.st.receive_failures, 1);
	assert_int_equal(PB.st.ike_quick_mode, 0);

	/* Again, message 3 lost, and B's main mode SA goes meanwhile
	 * (delete all): no inbound SA left behind. */
	world_reset();
	peer_setup(&PA, 0, "red", "10.77.0.1", 1);
	peer_setup(&PB, 1, "blue", "10.77.0.2", 2);
	W.fault = drop_qm3;
	start_both();
	acquire(&PA, &PB);
	run_for(5000);
	b = half_pair(&PB);
	assert_non_null(b);
	ike_delete_all(PB.ike);
	assert_true(b->removed);
	assert_int_equal(PB.uninstalls, 1);
	assert_int_equal(PB.st.ike_quick_mode, 0);
	assert_int_equal(PB.st.active_receive, 0);
	/* ike_free too (the service stops): nothing half in survives. */
	world_reset();
	peer_setup(&PA, 0, "red", "10.77.0.1", 1);
	peer_setup(&PB, 1, "blue", "10.77.0.2", 2);
	W.fault = drop_qm3;
	start_both();
	acquire(&PA, &PB);
	run_for(5000);
	b = half_pair(&PB);
	assert_non_null(b);
	peer_stop(&PB);
	assert_true(b->removed);
	assert_int_equal(PB.uninstalls, 1);
}

/* y's live pair whose outbound SA is s's inbound one, or NULL. */
static struct installed *
mirror_of(struct peer *y, const struct installed *s)
{
	for (size_t j = 0; j < y->nsas; j++)
		if (!y->sas[j].removed && !y->sas[j].soft && !y->sas[j].half &&
		    y->sas[j].out.spi == s->in.spi)
			return &y->sas[j];
	return NULL;
}

/*
 * A responder with two peers: each peer's state is its own (per-peer
 * lists, identities, SPIs).  B restarts and its INITIAL-CONTACT makes A
 * forget B's old main mode SA and pair, never C's; then all is quiet
 * (timers run only what is due, and nothing is).
 */
static void
test_two_peers_isolated(void **state)
{
	struct installed *ac = NULL, *ab = NULL;
	unsigned n;

	(void)state;
	peer_setup(&PC, 2, "green", "10.77.0.3", 3);
	peer_start(&PA);
	peer_start(&PB);
	peer_start(&PC);
	acquire(&PB, &PA);
	acquire(&PC, &PA);
	run_for(5000);
	assert_int_equal(PA.installs, 2);
	assert_int_equal(PB.installs, 1);
	assert_int_equal(PC.installs, 1);
	assert_int_equal(PA.st.ike_main_mode, 2);
	assert_int_equal(PA.st.connection_list_size, 2);
	for (size_t i = 0; i < PA.nsas; i++) {
		struct installed *s = &PA.sas[i];
		if (mirror_of(&PB, s) != NULL)
			ab = s;
		if (mirror_of(&PC, s) != NULL)
			ac = s;
		assert_true(mirror_of(&PB, s) != NULL ||
		            mirror_of(&PC, s) != NULL);
	}
	assert_non_null(ab);
	assert_non_null(ac);
	assert_int_not_equal(ab->in.spi, ac->in.spi);
	assert_params_equal(&ac->in, &mirror_of(&PC, ac)->out, true);

	/* B comes back empty and negotiates again. */
	peer_stop(&PB);
	PB.nsas = 0;
	PB.installs = 0;
	PB.rng += 1000;
	memset(&PB.st, 0, sizeof(PB.st));
	run_for(60000);
	peer_start(&PB);
	acquire(&PB, &PA);
	run_for(5000);
	assert_int_equal(PB.installs, 1);
	assert_int_equal(PA.installs, 3);
	assert_true(ab->removed);
	assert_false(ac->removed);
	assert_int_equal(live_pairs(&PA), 2);
	assert_int_equal(PA.st.ike_main_mode, 2);
	assert_int_equal(PA.st.isadb_list_size, 2);
	assert_int_equal(PA.st.ike_quick_mode, 2);
	assert_non_null(mirror_of(&PC, ac));
	assert_non_null(mirror_of(&PB, last_pair(&PA)));
	/* Quiet: nothing is due for a minute, nothing is sent. */
	n = W.nsent;
	run_for(60000);
	assert_int_equal(W.nsent, n);
	assert_int_equal(live_pairs(&PA), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_psk_gcm_tunnel, setup,
	                                    teardown),
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	    T(test_psk_cbc_pfs_transport),
	    T(test_pfs_grpmm),
	    T(test_pfs_mismatch),
	    T(test_several_proposals),
	    T(test_ah_esp_bundle),
	    T(test_sig_auth),
	    T(test_sig_bad),
	    T(test_peer_id_refused),
	    T(test_lost_each_message),
	    T(test_duplicated_messages),
	    T(test_reordered_messages),
	    T(test_wrong_psk),
	    T(test_no_proposal_mm),
	    T(test_no_proposal_qm),
	    T(test_retransmission_limit),
	    T(test_soft_association),
	    T(test_soft_wait_conf),
	    T(test_soft_late_answer),
	    T(test_soft_peer_refuses),
	    T(test_soft_and_hard_acquires),
	    T(test_mm_responder_shorter_lifetime),
	    T(test_natt_forced),
	    T(test_natt_forced_one_side),
	    T(test_nat_real),
	    T(test_simultaneous_initiation),
	    T(test_rekey_without_loss),
	    T(test_rekey_collision),
	    T(test_peer_restart),
	    T(test_hostile_lengths),
	    T(test_payloads_out_of_order),
	    T(test_info_before_keys),
	    T(test_duplicate_deletes),
	    T(test_qm_id_mismatch),
	    T(test_other_address),
	    T(test_idle_deletion),
	    T(test_kilobyte_rekey),
	    T(test_qmpermm),
	    T(test_qm_retry_after_refusal),
	    T(test_ikev2_in_ikev1),
	    T(test_responder_inbound_first),
	    T(test_responder_no_qm3),
	    T(test_responder_half_ends),
	    T(test_two_peers_isolated),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
