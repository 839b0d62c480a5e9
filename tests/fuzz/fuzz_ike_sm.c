/*
 * fuzz_ike_sm.c - libFuzzer target for the IKEv1 negotiator's state
 * machines (engine/ike.h): Main Mode, Quick Mode, Informational, NAT-T,
 * timers and the counters, driven the way the network and the clock
 * drive them.
 *
 * A small deterministic world, as in tests/unit/test_ike_harness.c: two
 * negotiators, A (10.0.0.1, the initiator) and B (10.0.0.2, the one under
 * test), a mock clock, seeded random numbers, a FIFO network between
 * them, pre-shared key (or fake signature) policies and a mock
 * datapath.  Each input:
 *
 *   byte 0  the set-up: bits 0-3, the stage: A acquires (stage > 0) and
 *           the network delivers that many datagrams of the real
 *           exchange first (0: B fresh; 1: B answered message 1; 3:
 *           keyed, main mode half done; 5: B established; 6: quick mode
 *           message 1 in flight; 9 and up: a pair installed); bit 4:
 *           forced NAT-T (both float to 4500); bit 5: PFS; bit 6: B
 *           polls usage (idle and kilobyte paths); bit 7: A is B's only
 *           peer by policy (B refuses other addresses' main modes).
 *   byte 1  options: bit 0, signatures (fake signer and verifier, CERT
 *           and CR payloads, FQDN identities); bit 1, tunnel mode;
 *           bit 2, 3DES-SHA1 and AES-CBC first (8-byte blocks, the
 *           integrity transforms); bit 3, B's policy names A's identity.
 *   then    records, each an op byte (low 3 bits the op, the rest its
 *           flags) and its operands:
 *     0 RAW     u16 length, bytes: a datagram to B (flag 1: to A; flag 2:
 *               on the NAT-T port; flag 4: from a third address)
 *     1 SEALED  a protected message to B (flag 1: to A) under the newest
 *               keyed SA, so that fuzzed plaintext reaches the payload
 *               handlers: exchange byte (0 Main, 1 Quick, 2 Info, else
 *               as is), msgid byte (0: the next u32; 1..: the msgid of
 *               that SA's n-th exchange), u32, hash byte (0 as given,
 *               1 HASH(1), 2 HASH(2), 3 HASH(3), computed with the SA's
 *               SKEYID_a into a leading HASH payload of the right size),
 *               first payload type, u16 length, the plaintext payloads
 *     2 PUMP    count byte: deliver that many queued datagrams
 *     3 TIME    u16: advance the clock by that many 100 ms, run timers
 *     4 DROP    drop the next queued datagram
 *     5 ACQ     an acquire by A (flag 2: by B) for the hosts (flag 1:
 *               TCP port 80 only); flag 4: ike_delete_all instead
 *     6, 7      as RAW
 *
 * Must never crash, leak, read out of bounds or hang; after every
 * record the gauges must equal what they count (ISADB List Size, IKE
 * Main Mode, IKE Quick Mode, Soft Associations, Connection List Size,
 * the heaps and the active exchanges), every uninstall must name a pair
 * that was installed and is still in (a responder's with its inbound SA
 * alone between Quick Mode messages 2 and 3, each such one a responder
 * exchange in progress; an outbound SA only after its inbound one), no
 * log line may carry the pre-shared key, and ike_free must uninstall
 * everything.
 *
 * Built with -DIKE_SM_CORPUS_MAIN instead (the fuzz_ike_sm_corpus target
 * of a FUZZ=ON build), the same file writes the seed corpus
 * (tests/fuzz/corpus/ike_sm/) with the real SPIs of the deterministic
 * world:
 *   cmake --build build-fuzz --target fuzz_ike_sm_corpus &&
 *   build-fuzz/engine/fuzz_ike_sm_corpus tests/fuzz/corpus/ike_sm
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include "ike.h"
#include "ike_crypto.h"
#include "ike_int.h"
#include "ike_msg.h"

/* ---- the world ----------------------------------------------------------- */

#define QUEUE_MAX 64
#define TRACK_MAX 512
#define TIMER_ROUNDS 64

static const char PSK[] = "fuzz shared secret";

struct pkt {
	uint8_t *data;
	size_t len;
	struct ike_endpoint from, to;
};

struct fpeer {
	const char *name;
	struct ike *ike;
	struct ike_env env;
	struct live_ike_stats st;
	uint64_t rng;
	struct dp_addr addr;
	bool natt_force, pfs, only_a;
	bool sig, tunnel, legacy, want_id;
	uint64_t live[TRACK_MAX]; /* ids installed and not uninstalled */
	bool half[TRACK_MAX];     /* ... with their inbound SA only */
	size_t nlive;
	bool untracked; /* more than TRACK_MAX: stop checking */
};

static struct {
	uint64_t now;
	struct pkt q[QUEUE_MAX];
	size_t qhead, qlen;
	struct fpeer a, b;
	struct dp_addr other;
} W;

static void
check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_ike_sm: %s\n", what);
		abort();
	}
}

static struct dp_addr
addr4(const char *s)
{
	struct dp_addr a;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	inet_pton(AF_INET, s, a.bytes);
	return a;
}

static bool
same_addr(const struct dp_addr *x, const struct dp_addr *y)
{
	return x->family == y->family && memcmp(x->bytes, y->bytes, 16) == 0;
}

static uint64_t
env_now(void *arg)
{
	(void)arg;
	return W.now;
}

/* splitmix64, one stream per peer */
static void
env_random(void *arg, void *buf, size_t len)
{
	struct fpeer *p = arg;
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
        const struct ike_endpoint *to)
{
	struct pkt *p;

	if (W.qlen == QUEUE_MAX)
		return; /* a full network loses datagrams */
	p = &W.q[(W.qhead + W.qlen) % QUEUE_MAX];
	p->data = malloc(len);
	check(p->data != NULL, "out of memory");
	memcpy(p->data, msg, len);
	p->len = len;
	p->from = *from;
	p->to = *to;
	W.qlen++;
}

static int
env_send(void *arg, const uint8_t *msg, size_t len,
         const struct ike_endpoint *from, const struct ike_endpoint *to)
{
	(void)arg;
	check(len >= IKE_HDR_LEN && len <= IKE_MSG_MAX, "sent a bad length");
	enqueue(msg, len, from, to);
	return 0;
}

static int
env_mm_policy(void *arg, const struct ike_endpoint *local,
              const struct ike_endpoint *peer, struct ike_mm_conf *out)
{
	struct fpeer *p = arg;

	(void)local;
	if (p->only_a && !same_addr(&peer->addr, &W.a.addr))
		return -1;
	memset(out, 0, sizeof(*out));
	out->noffers = 2;
	out->offers[p->legacy ? 1 : 0] = (struct ike_mm_offer){
	    IKE_ENC_AES_CBC, 128, IKE_HASHALG_SHA2_256, 19};
	out->offers[p->legacy ? 0 : 1] =
	    (struct ike_mm_offer){IKE_ENC_3DES_CBC, 0, IKE_HASHALG_SHA1, 19};
	out->nauths = 1;
	if (p->sig) {
		out->auths[0].method = IKE_AUTH_RSA_SIG;
		out->auths[0].cert = p;
		out->local_id.type = IKE_ID_FQDN;
		out->local_id.len = (uint16_t)strlen(p->name);
		memcpy(out->local_id.data, p->name, strlen(p->name));
	} else {
		out->auths[0].method = IKE_AUTH_PSK;
		out->auths[0].psk_len = strlen(PSK);
		memcpy(out->auths[0].psk, PSK, strlen(PSK));
	}
	if (p->want_id) {
		out->peer_id.type = p->sig ? IKE_ID_FQDN : IKE_ID_IPV4_ADDR;
		out->peer_id.len = p->sig ? (uint16_t)strlen(W.a.name) : 4;
		memcpy(out->peer_id.data,
		       p->sig ? (const uint8_t *)W.a.name : W.a.addr.bytes,
		       out->peer_id.len);
	}
	out->lifetime_s = 3600;
	out->qmpermm = 8;
	out->soft_s = 60;
	out->natt_force = p->natt_force;
	return 0;
}

static int
env_qm_policy(void *arg, const struct ike_qm_query *q, struct ike_qm_conf *out)
{
	struct fpeer *p = arg;

	memset(out, 0, sizeof(*out));
	out->noffers = 3;
	out->offers[p->legacy ? 1 : 0].esp = true;
	out->offers[p->legacy ? 1 : 0].esp_enc = IKE_ESP_AES_GCM_16;
	out->offers[p->legacy ? 1 : 0].esp_keybits = 128;
	out->offers[p->legacy ? 1 : 0].seconds = 600;
	out->offers[p->legacy ? 1 : 0].kbytes = 1000;
	out->offers[p->legacy ? 0 : 1].esp = true;
	out->offers[p->legacy ? 0 : 1].esp_enc = IKE_ESP_AES_CBC;
	out->offers[p->legacy ? 0 : 1].esp_keybits = 256;
	out->offers[p->legacy ? 0 : 1].esp_auth = IKE_IAUTH_HMAC_SHA2_256;
	out->offers[p->legacy ? 0 : 1].seconds = 300;
	/* AH+ESP last (never with UDP encapsulation). */
	out->offers[2].ah = true;
	out->offers[2].ah_auth = IKE_IAUTH_HMAC_SHA1;
	out->offers[2].esp = true;
	out->offers[2].esp_enc = IKE_ESP_3DES;
	out->offers[2].esp_auth = IKE_IAUTH_HMAC_SHA1;
	out->offers[2].seconds = 900;
	out->pfs_group = p->pfs ? -1 : 0;
	out->soft = true;
	out->idle_s = 120;
	if (q->initiator) {
		const struct ike_acquire *a = q->acquire;
		out->tunnel = a->tunnel || p->tunnel;
		out->local_ts.kind = IKE_TS_ADDR;
		out->local_ts.addr = a->src;
		out->local_ts.proto = a->proto;
		out->local_ts.port = a->sport;
		out->remote_ts.kind = IKE_TS_ADDR;
		out->remote_ts.addr = a->dst;
		out->remote_ts.proto = a->proto;
		out->remote_ts.port = a->dport;
		out->rule_id = a->rule_id;
		return 0;
	}
	/* Responder: whatever was proposed. */
	out->tunnel = q->tunnel;
	if (q->local_ts != NULL) {
		out->local_ts = *q->local_ts;
		out->remote_ts = *q->remote_ts;
	} else {
		ike_ts_from_addr(&out->local_ts, &q->local.addr);
		ike_ts_from_addr(&out->remote_ts, &q->peer.addr);
	}
	out->rule_id = 7;
	return 0;
}

/* A pair comes whole, or (a responder's) as its inbound SA and later
 * its outbound SA under the same id; a soft association without keys. */
static int
env_install(void *arg, const struct ike_child_info *c,
            const struct dp_sa_params *in, const struct dp_sa_params *out)
{
	struct fpeer *p = arg;
	size_t at = p->nlive;

	check((in == NULL && out == NULL) == c->soft,
	      "soft association with keys, or a pair without");
	check(in == NULL || in->spi == c->spi_in, "SPIs differ from the info");
	check(out == NULL || out->spi == c->spi_out,
	      "SPIs differ from the info");
	check((in == NULL || in->enc_key_len <= 64) &&
	          (out == NULL || out->enc_key_len <= 64),
	      "key too long");
	check(out != NULL || in == NULL || !c->initiator,
	      "an initiator's inbound SA alone");
	for (size_t i = 0; i < p->nlive; i++)
		if (p->live[i] == c->id)
			at = i;
	if (in == NULL && out != NULL) {
		/* The second half: its inbound SA must be in, alone. */
		check(p->untracked || (at < p->nlive && p->half[at]),
		      "an outbound SA without its inbound one");
		if (at < p->nlive)
			p->half[at] = false;
		return 0;
	}
	check(at == p->nlive, "an id installed twice");
	if (p->nlive == TRACK_MAX) {
		p->untracked = true;
	} else {
		p->half[p->nlive] = in != NULL && out == NULL;
		p->live[p->nlive++] = c->id;
	}
	return 0;
}

static void
env_uninstall(void *arg, const struct ike_child_info *c)
{
	struct fpeer *p = arg;

	for (size_t i = 0; i < p->nlive; i++)
		if (p->live[i] == c->id) {
			p->nlive--;
			p->live[i] = p->live[p->nlive];
			p->half[i] = p->half[p->nlive];
			return;
		}
	check(p->untracked, "uninstall of a pair that is not in");
}

static int
env_usage(void *arg, const struct ike_child_info *c, uint64_t *bytes,
          uint64_t *last)
{
	(void)arg;
	/* Some traffic, growing with time, so that both the kilobyte
	 * rekey and the idle deletion happen. */
	*bytes = (W.now - c->installed_ms) * 4;
	*last = (c->id & 1) != 0 ? 0 : W.now;
	return 0;
}

/* Fake signatures, as in the harness: SIG = "SIG" | name | hash, the
 * certificate is the name, the identity must be the certificate's. */
static int
env_sig_cert(void *arg, const void *handle, uint8_t *enc, const uint8_t **der,
             size_t *len)
{
	struct fpeer *p = arg;

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
	static const uint8_t ca[] = "fuzz CA";

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
	struct fpeer *p = arg;
	size_t n = strlen(p->name);

	(void)handle;
	if (*siglen < 3 + n + hlen)
		return -1;
	memcpy(sig, "SIG", 3);
	memcpy(sig + 3, p->name, n);
	memcpy(sig + 3 + n, hash, hlen);
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
	check(pa->id != NULL && pa->id->len <= IKE_IDENT_MAX &&
	          pa->ncerts <= IKE_PEER_CERTS_MAX,
	      "verify: bad peer");
	for (size_t i = 0; i < pa->ncerts; i++)
		check(pa->certs[i].data != NULL && pa->certs[i].len > 0,
		      "verify: empty certificate");
	if (pa->ncerts != 1 || pa->certs[0].enc != IKE_CERT_X509_SIG)
		return -1;
	n = pa->certs[0].len;
	if (siglen != 3 + n + hlen || memcmp(sig, "SIG", 3) != 0 ||
	    memcmp(sig + 3, pa->certs[0].data, n) != 0 ||
	    memcmp(sig + 3 + n, hash, hlen) != 0)
		return -1;
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
	char line[1024];
	va_list ap;

	(void)arg;
	(void)prio;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	check(strstr(line, PSK) == NULL, "the pre-shared key in a log line");
	if (getenv("FUZZ_IKE_SM_VERBOSE") != NULL)
		fprintf(stderr, "%8llu %s: %s\n", (unsigned long long)W.now,
		        ((struct fpeer *)arg)->name, line);
}

static void
peer_init(struct fpeer *p, const char *name, const char *addr, uint64_t seed,
          uint8_t mode, uint8_t opts)
{
	struct ike_conf conf;

	memset(p, 0, sizeof(*p));
	p->name = name;
	p->rng = seed;
	p->addr = addr4(addr);
	p->natt_force = (mode & 0x10) != 0;
	p->pfs = (mode & 0x20) != 0;
	p->sig = (opts & 1) != 0;
	p->tunnel = (opts & 2) != 0;
	p->legacy = (opts & 4) != 0;
	p->env.now_ms = env_now;
	p->env.sig_cert = env_sig_cert;
	p->env.sig_cas = env_sig_cas;
	p->env.sig_sign = env_sig_sign;
	p->env.sig_verify = env_sig_verify;
	p->env.random = env_random;
	p->env.send = env_send;
	p->env.mm_policy = env_mm_policy;
	p->env.qm_policy = env_qm_policy;
	p->env.install = env_install;
	p->env.uninstall = env_uninstall;
	p->env.stats = &p->st;
	p->env.log = env_log;
	p->env.arg = p;
	ike_conf_init(&conf);
	conf.retransmit_tries = 3;
	conf.halfopen_peer_max = 4;
	conf.halfopen_max = 16;
	p->ike = ike_new(&p->env, &conf);
	check(p->ike != NULL, "ike_new");
}

/* ---- running ------------------------------------------------------------- */

static struct fpeer *
peer_of(const struct dp_addr *a)
{
	if (same_addr(a, &W.a.addr))
		return &W.a;
	if (same_addr(a, &W.b.addr))
		return &W.b;
	return NULL;
}

static void
deliver_one(void)
{
	struct pkt p;
	struct fpeer *dst;

	if (W.qlen == 0)
		return;
	p = W.q[W.qhead];
	W.qhead = (W.qhead + 1) % QUEUE_MAX;
	W.qlen--;
	dst = peer_of(&p.to.addr);
	if (dst != NULL) {
		W.now += 10;
		ike_input(dst->ike, p.data, p.len, &p.from, &p.to);
	}
	free(p.data);
}

static void
drop_one(void)
{
	if (W.qlen == 0)
		return;
	free(W.q[W.qhead].data);
	W.qhead = (W.qhead + 1) % QUEUE_MAX;
	W.qlen--;
}

static struct ike_acquire
acq_of(const struct fpeer *from, const struct fpeer *to, bool tcp80)
{
	struct ike_acquire a;

	memset(&a, 0, sizeof(a));
	a.rule_id = 7;
	a.local.addr = from->addr;
	a.peer.addr = to->addr;
	a.src = from->addr;
	a.dst = to->addr;
	a.tunnel = from->tunnel;
	if (tcp80) {
		a.proto = 6;
		a.dport = 80;
	}
	return a;
}

static void
world_start(uint8_t mode, uint8_t opts)
{
	unsigned stage = mode & 0x0f;
	struct ike_acquire a;

	memset(&W, 0, sizeof(W));
	W.now = 1000000;
	W.other = addr4("10.0.0.3");
	peer_init(&W.a, "a.example", "10.0.0.1", 1, mode, opts);
	peer_init(&W.b, "b.example", "10.0.0.2", 2, mode, opts);
	W.b.only_a = (mode & 0x80) != 0;
	W.b.want_id = (opts & 8) != 0;
	if ((mode & 0x40) != 0)
		W.b.env.usage = env_usage;
	if (stage == 0)
		return;
	a = acq_of(&W.a, &W.b, false);
	a.tunnel = W.a.tunnel;
	ike_acquire(W.a.ike, &a);
	for (unsigned i = 0; i < stage; i++)
		deliver_one();
}

static void
world_end(void)
{
	ike_free(W.a.ike);
	ike_free(W.b.ike);
	check(W.a.untracked || W.a.nlive == 0, "ike_free left pairs in (A)");
	check(W.b.untracked || W.b.nlive == 0, "ike_free left pairs in (B)");
	while (W.qlen > 0)
		drop_one();
}

#ifndef IKE_SM_CORPUS_MAIN

/* ---- checks -------------------------------------------------------------- */

/* A deadline the negotiator holds is covered by its owner's place in
 * the timer heap (none lost: at worst the owner runs early). */
static void
check_due(const struct ike_tnode *tn, uint64_t when, const char *what)
{
	if (when != 0 && tn->due > when) {
		fprintf(stderr, "fuzz_ike_sm: %s at %llu, heap says %llu\n",
		        what, (unsigned long long)when,
		        (unsigned long long)tn->due);
		abort();
	}
}

/* How many live exchanges and pairs hold an inbound SPI. */
static uint32_t
spi_holders(struct ike *ike, uint32_t spi)
{
	uint32_t n = 0;

	for (struct ike_isa *sa = ike->sas; sa != NULL; sa = sa->next)
		for (struct ike_qm *qm = sa->qms; qm != NULL; qm = qm->next) {
			n += qm->esp_spi_in == spi;
			n += qm->ah_spi_in == spi;
			if (qm->half != NULL)
				n += (qm->half->info.spi_in == spi) +
				     (qm->half->info.ah_spi_in == spi);
		}
	for (struct ike_child *c = ike->children; c != NULL; c = c->next)
		if (c->spis_held)
			n += (c->info.spi_in == spi) +
			     (c->info.ah_spi_in == spi);
	return n;
}

/* The indexes (per-peer and per-identity lists, the timer heap, the SPI
 * set) agree with the objects they index. */
static void
check_indexes(struct ike *ike, uint64_t nchildren, uint64_t nhalf)
{
	size_t nspis = 0;

	for (struct ike_isa *sa = ike->sas; sa != NULL; sa = sa->next) {
		struct ike_isa *o;
		bool listed = false;
		TAILQ_FOREACH(o, &sa->peer->sas, peer_link)
			listed |= o == sa;
		check(listed, "an SA missing from its peer's list");
		check(ike_addr_eq(&sa->peer->addr, &sa->remote.addr),
		      "an SA under another peer");
		check(ike->ident_partial ||
		          (sa->ident != NULL) == (sa->step == IKE_MM_DONE),
		      "an established SA not indexed by identity");
		check_due(&sa->tn, sa->tx.due, "SA retransmission");
		if (sa->step == IKE_MM_DONE) {
			check_due(&sa->tn, sa->expire_ms, "SA lifetime");
			check_due(&sa->tn, sa->soft_ms, "SA rekey");
			check_due(&sa->tn, sa->keepalive_ms, "keepalive");
		} else if (sa->role == IKE_ROLE_R || sa->tx.due == 0) {
			check_due(&sa->tn, sa->expire_ms, "half-open end");
		}
		for (struct ike_qm *qm = sa->qms; qm != NULL; qm = qm->next) {
			check_due(&sa->tn, qm->tx.due, "QM retransmission");
			if (qm->done)
				check_due(&sa->tn, qm->linger_ms, "QM linger");
			check(qm->esp_spi_in == 0 ||
			          ike_spi_in_use(ike, qm->esp_spi_in),
			      "an exchange's SPI not in the set");
		}
	}
	for (struct ike_child *c = ike->children; c != NULL; c = c->next) {
		struct ike_child *o;
		bool listed = false;
		check(c->linked, "a pair in the list, not linked");
		TAILQ_FOREACH(o, &c->peer->children, peer_link)
			listed |= o == c;
		check(listed, "a pair missing from its peer's list");
		check_due(&c->tn, c->hard_ms, "pair expiry");
		check_due(&c->tn, c->soft_ms, "pair rekey");
		if (ike->env->usage != NULL && !c->info.soft)
			check_due(&c->tn, c->check_ms, "usage poll");
	}
	check(ike->ntnodes == ike->nsas + nchildren + nhalf,
	      "timer nodes and objects differ");
	check(ike->nheap <= ike->ntnodes && ike->ntnodes <= ike->capheap,
	      "timer heap size");
	for (size_t i = 0; i < ike->nheap; i++) {
		check(ike->heap[i]->at == i, "timer heap index");
		check(i == 0 ||
		          ike->heap[(i - 1) / 2]->due <= ike->heap[i]->due,
		      "timer heap order");
	}
	for (size_t i = 0; i < ike->spi_size; i++) {
		if (ike->spis[i] == 0)
			continue;
		nspis++;
		check(ike->spi_refs[i] == spi_holders(ike, ike->spis[i]),
		      "SPI references and holders differ");
	}
	check(nspis == ike->nspis, "SPI set count");
}

/* The gauges equal what they count. */
static void
check_peer(struct fpeer *p)
{
	struct ike *ike = p->ike;
	uint64_t nsa = 0, est = 0, rheap = 0, aheap = 0, aacq = 0, arcv = 0;
	uint64_t pairs = 0, soft = 0, half = 0, nhalf = 0;
	unsigned halfopen = 0;

	for (struct ike_isa *sa = ike->sas; sa != NULL; sa = sa->next) {
		check(!sa->dead, "a dead SA after the call");
		nsa++;
		est += sa->step == IKE_MM_DONE;
		rheap += sa->halfopen && sa->role == IKE_ROLE_R;
		halfopen += sa->halfopen;
		for (struct ike_qm *qm = sa->qms; qm != NULL; qm = qm->next) {
			check(!qm->dead, "a dead exchange after the call");
			aheap += qm->queued;
			half += qm->half != NULL;
			check(qm->half == NULL ||
			          (qm->role == IKE_ROLE_R && !qm->done),
			      "a half pair outside a responder's exchange");
			aacq += qm->active && qm->role == IKE_ROLE_I;
			arcv += qm->active && qm->role == IKE_ROLE_R;
		}
	}
	/* Active Receive also counts responder main modes in progress. */
	arcv += rheap;
	for (struct ike_child *c = ike->children; c != NULL; c = c->next) {
		check(!c->dead, "a dead pair after the call");
		pairs += !c->info.soft;
		soft += c->info.soft;
	}
	check(p->st.isadb_list_size == nsa, "ISADB List Size");
	check(p->st.ike_main_mode == est, "IKE Main Mode");
	check(p->st.ike_quick_mode == pairs, "IKE Quick Mode");
	check(p->st.soft_associations == soft, "Soft Associations");
	check(p->st.receive_heap_size == rheap, "Receive Heap Size");
	check(p->st.acquire_heap_size == aheap, "Acquire Heap Size");
	check(p->st.active_acquire == aacq, "Active Acquire");
	check(p->st.active_receive == arcv, "Active Receive");
	check(p->st.connection_list_size == ike->npeers,
	      "Connection List Size");
	check(ike->halfopen == halfopen, "half-open count");
	check(ike->nsas == nsa, "SA count");
	for (size_t i = 0; i < p->nlive; i++)
		nhalf += p->half[i];
	check(p->untracked || p->nlive == pairs + soft + half,
	      "installed pairs and the negotiator's differ");
	check(p->untracked || nhalf == half,
	      "inbound SAs alone and the negotiator's differ");
	check_indexes(ike, pairs + soft, half);
}

static void
check_world(void)
{
	check_peer(&W.a);
	check_peer(&W.b);
}

static void
run_timers(void)
{
	for (int i = 0; i < TIMER_ROUNDS; i++) {
		bool ran = false;
		if (ike_next_timer_ms(W.a.ike) <= W.now) {
			ike_timer(W.a.ike);
			ran = true;
		}
		if (ike_next_timer_ms(W.b.ike) <= W.now) {
			ike_timer(W.b.ike);
			ran = true;
		}
		if (!ran)
			break;
	}
}

/* ---- crafted messages ---------------------------------------------------- */

struct cursor {
	const uint8_t *p;
	size_t len;
};

static bool
take(struct cursor *c, void *out, size_t n)
{
	if (c->len < n)
		return false;
	if (out != NULL)
		memcpy(out, c->p, n);
	c->p += n;
	c->len -= n;
	return true;
}

static unsigned
take8(struct cursor *c)
{
	uint8_t v = 0;

	take(c, &v, 1);
	return v;
}

static unsigned
take16(struct cursor *c)
{
	uint8_t v[2] = {0, 0};

	take(c, v, 2);
	return (unsigned)v[0] << 8 | v[1];
}

static uint32_t
take32(struct cursor *c)
{
	uint8_t v[4] = {0, 0, 0, 0};

	take(c, v, 4);
	return (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
	       (uint32_t)v[2] << 8 | v[3];
}

/* The newest SA with keys, the one a protected message would use. */
static struct ike_isa *
keyed_sa(struct fpeer *p)
{
	struct ike_isa *best = NULL;

	for (struct ike_isa *sa = p->ike->sas; sa != NULL; sa = sa->next)
		if (!sa->dead && sa->keyed)
			best = sa;
	return best;
}

static struct ike_qm *
nth_qm(struct ike_isa *sa, unsigned n)
{
	for (struct ike_qm *qm = sa->qms; qm != NULL; qm = qm->next)
		if (n-- == 0)
			return qm;
	return NULL;
}

static struct ike_qm *
qm_by_msgid(struct ike_isa *sa, uint32_t msgid)
{
	for (struct ike_qm *qm = sa->qms; qm != NULL; qm = qm->next)
		if (qm->started && qm->msgid == msgid)
			return qm;
	return NULL;
}

static struct ike_msg scratch;
static uint8_t plain[IKE_MSG_MAX], dgram[IKE_MSG_MAX];

/* A protected message under sa, its plaintext from the input. */
static void
sealed(struct fpeer *dst, struct cursor *c)
{
	static const uint8_t exchs[] = {IKE_EXCH_MAIN, IKE_EXCH_QUICK,
	                                IKE_EXCH_INFO};
	struct ike_isa *sa = keyed_sa(dst);
	unsigned ex = take8(c), idsel = take8(c);
	uint32_t msgid = take32(c);
	unsigned hmode = take8(c), np = take8(c), len = take16(c);
	uint8_t iv[IKE_BLOCK_MAX_LEN], next[IKE_BLOCK_MAX_LEN];
	uint8_t exch = ex < 3 ? exchs[ex] : (uint8_t)ex;
	size_t hlen, padded, total;
	struct ike_qm *qm;
	char err[IKE_ERR_MAX];

	if (len > c->len)
		len = (unsigned)c->len;
	if (sa == NULL || len > sizeof(plain) - IKE_HDR_LEN - 64) {
		take(c, NULL, len);
		return;
	}
	memcpy(plain, c->p, len);
	take(c, NULL, len);
	if (exch == IKE_EXCH_MAIN)
		msgid = 0;
	else if (idsel != 0 && (qm = nth_qm(sa, idsel - 1)) != NULL)
		msgid = qm->msgid;
	hlen = sa->keys.len;
	/* A leading HASH payload of the right size gets the right value. */
	if (hmode != 0 && np == IKE_PL_HASH && hlen > 0 && len >= 4 + hlen &&
	    ((size_t)plain[2] << 8 | plain[3]) == 4 + hlen) {
		const uint8_t *rest = plain + 4 + hlen;
		size_t restlen = len - 4 - hlen;
		uint8_t h[IKE_HASH_MAX_LEN];
		int rc = -1;

		/* HASH covers the payloads up to the last one's end. */
		memset(&scratch, 0, sizeof(scratch));
		if (ike_msg_parse_body((uint8_t)np, plain, len, &scratch, NULL,
		                       0) == 0 &&
		    scratch.npl > 0) {
			const uint8_t *end =
			    scratch.chain.p + scratch.chain.len;
			restlen = end > rest ? (size_t)(end - rest) : 0;
		}
		qm = qm_by_msgid(sa, msgid);
		if (hmode == 1)
			rc = ike_qm_hash1(&sa->keys, msgid, rest, restlen, h,
			                  NULL, 0);
		else if (hmode == 2 && qm != NULL)
			rc = ike_qm_hash2(&sa->keys, msgid, qm->ni, qm->nilen,
			                  rest, restlen, h, NULL, 0);
		else if (hmode == 3 && qm != NULL)
			rc = ike_qm_hash3(&sa->keys, msgid, qm->ni, qm->nilen,
			                  qm->nr, qm->nrlen, h, NULL, 0);
		if (rc == 0)
			memcpy(plain + 4, h, hlen);
	}
	/* The IV the receiver will use for this message id. */
	if (exch == IKE_EXCH_MAIN && msgid == 0)
		memcpy(iv, sa->iv, sa->blk);
	else if ((qm = qm_by_msgid(sa, msgid)) != NULL && !qm->done)
		memcpy(iv, qm->iv, sa->blk);
	else if (ike_iv_phase2((enum ike_hash)sa->offer.hash, sa->p1_last,
	                       sa->blk, msgid, iv, NULL, 0) < 0)
		return;
	padded = (len + sa->blk - 1) / sa->blk * sa->blk;
	if (padded == 0)
		padded = sa->blk;
	memset(plain + len, 0, padded - len);
	total = IKE_HDR_LEN + padded;
	memcpy(dgram, sa->icookie, IKE_COOKIE_LEN);
	memcpy(dgram + 8, sa->rcookie, IKE_COOKIE_LEN);
	dgram[16] = (uint8_t)np;
	dgram[17] = IKE_VERSION;
	dgram[18] = exch;
	dgram[19] = IKE_FLAG_ENC;
	dgram[20] = (uint8_t)(msgid >> 24);
	dgram[21] = (uint8_t)(msgid >> 16);
	dgram[22] = (uint8_t)(msgid >> 8);
	dgram[23] = (uint8_t)msgid;
	dgram[24] = (uint8_t)(total >> 24);
	dgram[25] = (uint8_t)(total >> 16);
	dgram[26] = (uint8_t)(total >> 8);
	dgram[27] = (uint8_t)total;
	if (ike_encrypt(&sa->ek, iv, plain, padded, dgram + IKE_HDR_LEN, next,
	                err, sizeof(err)) < 0)
		return;
	W.now += 10;
	ike_input(dst->ike, dgram, total, &sa->remote, &sa->local);
}

static void
raw(unsigned flags, struct cursor *c)
{
	struct fpeer *dst = (flags & 1) != 0 ? &W.a : &W.b;
	struct fpeer *src = (flags & 1) != 0 ? &W.b : &W.a;
	struct ike_endpoint from, to;
	unsigned len = take16(c);

	if (len > c->len)
		len = (unsigned)c->len;
	memset(&from, 0, sizeof(from));
	memset(&to, 0, sizeof(to));
	from.addr = (flags & 4) != 0 ? W.other : src->addr;
	to.addr = dst->addr;
	from.port = to.port = (flags & 2) != 0 ? IKE_NATT_PORT : IKE_PORT;
	W.now += 10;
	ike_input(dst->ike, c->p, len, &from, &to);
	take(c, NULL, len);
}

static void
run(const uint8_t *data, size_t size)
{
	struct cursor c = {data, size};
	unsigned records = 0;

	{
		unsigned mode = take8(&c);
		world_start((uint8_t)mode, (uint8_t)take8(&c));
	}
	check_world();
	while (c.len > 0 && records++ < 256) {
		unsigned op = take8(&c), flags = op >> 3;

		switch (op & 7) {
		case 1:
			sealed((flags & 1) != 0 ? &W.a : &W.b, &c);
			break;
		case 2:
			for (unsigned n = take8(&c); n > 0 && W.qlen > 0; n--)
				deliver_one();
			break;
		case 3:
			W.now += (uint64_t)take16(&c) * 100;
			run_timers();
			break;
		case 4:
			drop_one();
			break;
		case 5:
			if ((flags & 4) != 0) {
				ike_delete_all((flags & 2) != 0 ? W.b.ike
				                                : W.a.ike);
			} else {
				struct ike_acquire a =
				    (flags & 2) != 0
				        ? acq_of(&W.b, &W.a, (flags & 1) != 0)
				        : acq_of(&W.a, &W.b, (flags & 1) != 0);
				ike_acquire(
				    (flags & 2) != 0 ? W.b.ike : W.a.ike, &a);
			}
			break;
		default:
			raw(flags, &c);
			break;
		}
		check_world();
	}
	world_end();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size);
	return 0;
}

#else

/* ---- the seed corpus ----------------------------------------------------- */

static uint8_t seed[IKE_MSG_MAX];
static size_t seedlen;

static void
s8(unsigned v)
{
	seed[seedlen++] = (uint8_t)v;
}

static void
s16(unsigned v)
{
	s8(v >> 8);
	s8(v);
}

static void
s32(uint32_t v)
{
	s16(v >> 16);
	s16(v & 0xffff);
}

static void
sbytes(const uint8_t *p, size_t n)
{
	memcpy(seed + seedlen, p, n);
	seedlen += n;
}

static void
put(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(seed, 1, seedlen, f) != seedlen) {
		perror(path);
		exit(1);
	}
	fclose(f);
	seedlen = 0;
}

static uint8_t body[4096];
static size_t bodylen;
static uint8_t first;

/* Builds payloads with the codec's builder; keeps the body. */
static void
body_done(struct ike_msg_builder *b)
{
	size_t len;

	if (ike_msg_build_finish(b, &len) < 0) {
		fprintf(stderr, "builder: %s\n", b->err);
		exit(1);
	}
	memcpy(body, b->buf + IKE_HDR_LEN, len - IKE_HDR_LEN);
	bodylen = len - IKE_HDR_LEN;
	first = b->buf[16]; /* the header's next payload */
}

static void
body_begin(struct ike_msg_builder *b, uint8_t *buf, size_t cap)
{
	struct ike_hdr h;

	memset(&h, 0, sizeof(h));
	h.icookie[0] = 1;
	h.exch = IKE_EXCH_INFO;
	ike_msg_build_init(b, buf, cap);
	ike_msg_build_header(b, &h);
	ike_msg_build_hash(b, NULL, 32); /* SHA2-256: filled by HASH(1) */
}

/* A SEALED record to B with the body built. */
static void
s_sealed(unsigned ex, unsigned idsel, uint32_t msgid, unsigned hmode)
{
	s8(1);
	s8(ex);
	s8(idsel);
	s32(msgid);
	s8(hmode);
	s8(first);
	s16((unsigned)bodylen);
	sbytes(body, bodylen);
}

int
main(int argc, char **argv)
{
	static uint8_t buf[4096];
	static const unsigned stages[] = {0, 1, 3, 5, 6, 9};
	struct ike_msg_builder b;
	struct ike_delete d;
	struct ike_notify n;
	struct ike_id id;
	uint32_t spi_out = 0;
	uint8_t spi[4], bytes[32];
	char name[64];

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)(i * 7 + 3);
	/* Each stage, then the rest of the exchange and the timers. */
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
		s8(stages[i]), s8(0);
		s8(2), s8(20);
		s8(3), s16(1200);
		snprintf(name, sizeof(name), "stage-%u", stages[i]);
		put(argv[1], name);
		s8(stages[i] | 0x10 | 0x20 | 0x40), s8(0);
		s8(2), s8(20);
		s8(3), s16(6000);
		s8(2), s8(20);
		snprintf(name, sizeof(name), "stage-%u-natt-pfs-usage",
		         stages[i]);
		put(argv[1], name);
		/* Signatures, tunnel mode, 3DES first, a named peer. */
		s8(stages[i]), s8(1 | 2 | 4 | 8);
		s8(2), s8(20);
		s8(3), s16(3000);
		snprintf(name, sizeof(name), "stage-%u-sig-tunnel-legacy",
		         stages[i]);
		put(argv[1], name);
	}
	/* The SPIs of B's pair at stage 9, as the deterministic world
	 * makes them. */
	world_start(9, 0);
	for (struct ike_child *c = W.b.ike->children; c != NULL; c = c->next)
		if (!c->info.soft)
			spi_out = c->info.spi_out;
	world_end();
	if (spi_out == 0) {
		fprintf(stderr, "no pair at stage 9\n");
		return 1;
	}

	/* Informational, DELETE of B's inbound pair (as A names it: B's
	 * outbound SPI), twice in one message and again in a second. */
	body_begin(&b, buf, sizeof(buf));
	memset(&d, 0, sizeof(d));
	d.doi = IKE_DOI_IPSEC;
	d.proto = IKE_PROTO_ESP;
	d.spi_size = 4;
	d.nspis = 1;
	spi[0] = (uint8_t)(spi_out >> 24), spi[1] = (uint8_t)(spi_out >> 16);
	spi[2] = (uint8_t)(spi_out >> 8), spi[3] = (uint8_t)spi_out;
	d.spis.p = spi;
	d.spis.len = 4;
	ike_msg_build_delete(&b, &d);
	ike_msg_build_delete(&b, &d);
	body_done(&b);
	s8(9), s8(0);
	s_sealed(2, 0, 0x01020304, 1);
	s_sealed(2, 0, 0x01020305, 1);
	s8(3), s16(100);
	put(argv[1], "info-duplicate-delete");

	/* Informational: DELETE of the ISAKMP SA, then R-U-THERE. */
	body_begin(&b, buf, sizeof(buf));
	memset(&n, 0, sizeof(n));
	n.doi = IKE_DOI_IPSEC;
	n.proto = IKE_PROTO_ISAKMP;
	n.spi_size = 16;
	n.spi.p = bytes;
	n.spi.len = 16;
	n.type = IKE_N_R_U_THERE;
	n.data.p = bytes;
	n.data.len = 4;
	ike_msg_build_notify(&b, &n);
	n.proto = IKE_PROTO_ESP;
	n.spi_size = 4;
	n.spi.p = spi;
	n.spi.len = 4;
	n.type = IKE_N_NO_PROPOSAL_CHOSEN;
	n.data.len = 0;
	ike_msg_build_notify(&b, &n);
	n.type = IKE_N_INITIAL_CONTACT;
	n.proto = IKE_PROTO_ISAKMP;
	n.spi_size = 16;
	n.spi.p = bytes;
	n.spi.len = 16;
	ike_msg_build_notify(&b, &n);
	body_done(&b);
	s8(9), s8(0);
	s_sealed(2, 0, 0x0badf00d, 1);
	s8(2), s8(4);
	put(argv[1], "info-notifies");

	/* Quick Mode message 1 from A's side: a new exchange with IDs of
	 * another type than addresses, and one proposal. */
	body_begin(&b, buf, sizeof(buf));
	ike_msg_build_sa_begin(&b, IKE_DOI_IPSEC, IKE_SIT_IDENTITY_ONLY);
	spi[0] = 0x12, spi[1] = 0x34, spi[2] = 0x56, spi[3] = 0x78;
	ike_msg_build_prop_begin(&b, 1, IKE_PROTO_ESP, spi, 4);
	ike_msg_build_xform_begin(&b, 1, IKE_ESP_AES_GCM_16);
	ike_msg_build_attr_tv(&b, IKE_IA_LIFE_TYPE, IKE_LIFE_SECONDS);
	ike_msg_build_attr(&b, IKE_IA_LIFE_DURATION, 3600);
	ike_msg_build_attr_tv(&b, IKE_IA_ENCAP_MODE, IKE_ENCAP_TRANSPORT);
	ike_msg_build_attr_tv(&b, IKE_IA_KEY_LENGTH, 128);
	ike_msg_build_sa_end(&b);
	ike_msg_build_nonce(&b, bytes, 32);
	memset(&id, 0, sizeof(id));
	id.type = IKE_ID_IPV4_ADDR;
	id.data.p = (const uint8_t[]){10, 0, 0, 1};
	id.data.len = 4;
	ike_msg_build_id(&b, &id);
	id.type = IKE_ID_IPV4_ADDR_SUBNET;
	id.data.p = (const uint8_t[]){10, 0, 0, 2, 255, 255, 255, 255};
	id.data.len = 8;
	ike_msg_build_id(&b, &id);
	body_done(&b);
	s8(9), s8(0);
	s_sealed(1, 0, 0x22334455, 1);
	s8(2), s8(4);
	s8(3), s16(100);
	put(argv[1], "qm1-new");
	/* The same, then its message 3 (B's second exchange, HASH(3)): a
	 * second pair for the flow of the first, a rekey for B. */
	s8(9), s8(0);
	s_sealed(1, 0, 0x22334455, 1);
	{
		size_t keep = bodylen;
		uint8_t keepfirst = first;
		body_begin(&b, buf, sizeof(buf));
		body_done(&b);
		s_sealed(1, 2, 0, 3);
		bodylen = keep;
		first = keepfirst;
	}
	s8(3), s16(100);
	put(argv[1], "qm1-qm3-new");
	/* Quick Mode message 2 for A's exchange in flight at stage 6:
	 * HASH(2), B's choice of A's first proposal, Nr, the IDs. */
	body_begin(&b, buf, sizeof(buf));
	ike_msg_build_sa_begin(&b, IKE_DOI_IPSEC, IKE_SIT_IDENTITY_ONLY);
	ike_msg_build_prop_begin(&b, 1, IKE_PROTO_ESP, spi, 4);
	ike_msg_build_xform_begin(&b, 1, IKE_ESP_AES_GCM_16);
	ike_msg_build_attr_tv(&b, IKE_IA_LIFE_TYPE, IKE_LIFE_SECONDS);
	ike_msg_build_attr(&b, IKE_IA_LIFE_DURATION, 600);
	ike_msg_build_attr_tv(&b, IKE_IA_LIFE_TYPE, IKE_LIFE_KILOBYTES);
	ike_msg_build_attr(&b, IKE_IA_LIFE_DURATION, 1000);
	ike_msg_build_attr_tv(&b, IKE_IA_ENCAP_MODE, IKE_ENCAP_TRANSPORT);
	ike_msg_build_attr_tv(&b, IKE_IA_KEY_LENGTH, 128);
	ike_msg_build_sa_end(&b);
	ike_msg_build_nonce(&b, bytes, 32);
	id.type = IKE_ID_IPV4_ADDR;
	id.data.p = (const uint8_t[]){10, 0, 0, 1};
	id.data.len = 4;
	ike_msg_build_id(&b, &id);
	id.data.p = (const uint8_t[]){10, 0, 0, 2};
	ike_msg_build_id(&b, &id);
	memset(&n, 0, sizeof(n));
	n.doi = IKE_DOI_IPSEC;
	n.proto = IKE_PROTO_ESP;
	n.spi_size = 4;
	n.spi.p = spi;
	n.spi.len = 4;
	n.type = IKE_N_RESPONDER_LIFETIME;
	n.data.p = (const uint8_t[]){0x80, 1, 0, 1, 0x80, 2, 0, 60};
	n.data.len = 8;
	ike_msg_build_notify(&b, &n);
	body_done(&b);
	s8(6), s8(0);
	s8(4); /* A's message 1 never reaches B */
	s8(1 | 8); /* SEALED to A */
	s8(1), s8(1), s32(0), s8(2), s8(first), s16((unsigned)bodylen);
	sbytes(body, bodylen);
	s8(3), s16(100);
	put(argv[1], "qm2-to-a");
	/* The same, with an FQDN as IDcr (ID types that are no selectors). */
	body_begin(&b, buf, sizeof(buf));
	ike_msg_build_sa_begin(&b, IKE_DOI_IPSEC, IKE_SIT_IDENTITY_ONLY);
	ike_msg_build_prop_begin(&b, 1, IKE_PROTO_ESP, spi, 4);
	ike_msg_build_xform_begin(&b, 1, IKE_ESP_AES_GCM_16);
	ike_msg_build_attr_tv(&b, IKE_IA_KEY_LENGTH, 128);
	ike_msg_build_sa_end(&b);
	ike_msg_build_nonce(&b, bytes, 32);
	id.type = IKE_ID_IPV4_ADDR;
	id.data.p = (const uint8_t[]){10, 0, 0, 1};
	id.data.len = 4;
	ike_msg_build_id(&b, &id);
	id.type = IKE_ID_FQDN;
	id.data.p = (const uint8_t *)"b.example";
	id.data.len = 9;
	ike_msg_build_id(&b, &id);
	body_done(&b);
	s8(9), s8(0);
	s_sealed(1, 0, 0x22334456, 1);
	put(argv[1], "qm1-id-fqdn");
	/* Quick Mode message 3 for the exchange in flight at stage 7 (B
	 * waits for it): HASH(3) computed. */
	body_begin(&b, buf, sizeof(buf));
	body_done(&b);
	s8(7), s8(0);
	s_sealed(1, 1, 0, 3);
	s8(2), s8(4);
	put(argv[1], "qm3-in-flight");
	/* Main mode message 5 with signatures, sealed for B waiting for it
	 * (stage 3): ID, two CERTs, SIG, INITIAL-CONTACT. */
	{
		struct ike_hdr h;
		memset(&h, 0, sizeof(h));
		h.icookie[0] = 1;
		h.exch = IKE_EXCH_MAIN;
		ike_msg_build_init(&b, buf, sizeof(buf));
		ike_msg_build_header(&b, &h);
	}
	id.type = IKE_ID_FQDN;
	id.data.p = (const uint8_t *)"a.example";
	id.data.len = 9;
	ike_msg_build_id(&b, &id);
	ike_msg_build_cert(&b, IKE_CERT_X509_SIG, (const uint8_t *)"a.example",
	                   9);
	ike_msg_build_cert(&b, IKE_CERT_X509_SIG, bytes, 16);
	ike_msg_build_sig(&b, bytes, 32);
	n.type = IKE_N_INITIAL_CONTACT;
	n.proto = IKE_PROTO_ISAKMP;
	n.spi_size = 16;
	n.spi.p = bytes;
	n.spi.len = 16;
	ike_msg_build_notify(&b, &n);
	body_done(&b);
	s8(3), s8(1);
	s_sealed(0, 0, 0, 0);
	s8(2), s8(4);
	put(argv[1], "mm5-sig");
	return 0;
}

#endif
