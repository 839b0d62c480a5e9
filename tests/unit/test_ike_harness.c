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
 * kilobyte lifetimes; qmpermm.  After each, the installed SAs must pair
 * up: what one peer installed inbound the other installed outbound, with
 * the same SPI, algorithms, keys and selectors.
 *
 * Set IKE_HARNESS_VERBOSE=1 to see both peers' logs.
 */
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
	bool removed;
	uint64_t removed_at, installed_at;
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
	bool sig_bad;   /* sign with a wrong key */
	bool usage;     /* provide env->usage */
	struct installed sas[MAX_INSTALLED];
	size_t nsas;
	unsigned installs, uninstalls, soft_installs;
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

static int
env_install(void *arg, const struct ike_child_info *c,
            const struct dp_sa_params *in, const struct dp_sa_params *out)
{
	struct peer *p = arg;
	struct installed *s;

	if (p->install_fails)
		return -1;
	assert_true(p->nsas < MAX_INSTALLED);
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
	copy_params(&s->out, out, s->kout);
	/* Every install names each direction right. */
	assert_int_equal(in->dir, DP_DIR_IN);
	assert_int_equal(out->dir, DP_DIR_OUT);
	assert_int_equal(in->spi, c->spi_in);
	assert_int_equal(out->spi, c->spi_out);
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
		if (!p->sas[i].removed && !p->sas[i].soft)
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
			if (s->removed || s->soft)
				continue;
			for (size_t j = 0; j < y->nsas; j++)
				if (!y->sas[j].removed && !y->sas[j].soft &&
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
		if (!p->sas[i].removed && !p->sas[i].soft)
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

/* soft=yes and a peer that never answers: a soft association, counted
 * while it lasts. */
static void
test_soft_association(void **state)
{
	(void)state;
	PB.down = true;
	PA.qm.soft = true;
	PA.mm.soft_s = 600;
	start_both();
	acquire(&PA, &PB);
	run_for(200000);
	assert_int_equal(PA.soft_installs, 1);
	assert_int_equal(PA.st.soft_associations, 1);
	assert_int_equal(PA.st.acquire_failures, 1);
	run_for(600000);
	assert_int_equal(PA.st.soft_associations, 0);
	assert_int_equal(PA.uninstalls, 1);
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
	    T(test_natt_forced),
	    T(test_natt_forced_one_side),
	    T(test_nat_real),
	    T(test_simultaneous_initiation),
	    T(test_rekey_without_loss),
	    T(test_rekey_collision),
	    T(test_peer_restart),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
