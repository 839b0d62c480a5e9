/*
 * dp_pair.c - runs the datapath runtime alone, with manual SAs, filters
 * and routes from the command line, so the driver can be tested end to
 * end (tests/netns) and benchmarked (tests/bench) before the service
 * exists.  Links only ipsecsh_datapath.
 *
 * usage: dp_pair [options]
 *   --tun NAME            TUN device (default ipsec0)
 *   --queues N            TUN queues = workers (default: CPUs)
 *   --port P              NAT-T port (default 4500)
 *   --mtu N               TUN MTU
 *   --no-routing          no policy routing rules
 *   --no-offload          plain TUN (no virtio-net header, TSO, GRO)
 *   --sa SPEC             an SA (repeatable), comma-separated key=value:
 *        spi=0x.. dir=in|out mode=transport|tunnel src=IP dst=IP
 *        [tsrc=IP tdst=IP] enc=AES128GCM|AES256GCM|AES128|AES256|3DES|NULL
 *        [auth=SHA1|SHA256|None] [key=0xHEX] [authkey=0xHEX]
 *        [proto=esp|ah] [encap=none|udp] [dport=N]
 *        (src/dst are the protected traffic in the SA's direction; for
 *        GCM the key is followed by the 4-byte salt)
 *   --sa-delay MS         install the outbound SAs only after MS ms
 *   --filter SPEC         a filter (repeatable, most specific first):
 *        src=IP/LEN|any dst=IP/LEN|any [proto=N] [sport=N] [dport=N]
 *        in=ACTION out=ACTION [tunnel=IP] [id=N]
 *        ACTION = permit|block|negotiate
 *   --route IP/LEN[,src=IP]  a protected prefix into the TUN device
 *   --stats FILE          counters, written on SIGUSR1 and at exit
 *   --ready FILE          created once everything is in place
 *   --acquire-log FILE    one line per acquire
 * Runs until SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "datapath.h"
#include "runtime.h"

#define MAX_ITEMS 64

struct sa_spec {
	struct dp_sa_params p;
	uint8_t key[64], authkey[64];
};

static struct sa_spec sas[MAX_ITEMS];
static size_t nsas;
static struct dp_filter filters[MAX_ITEMS];
static size_t nfilters;
static struct {
	struct dp_addr dst, src;
	unsigned plen;
	bool has_src;
} routes[MAX_ITEMS];
static size_t nroutes;
static FILE *acq_log;
/* Set by the handlers: a signal may reach a thread that does not block
 * it (a sanitizer's, say), so waiting for it alone is not enough. */
static volatile sig_atomic_t got_stop, got_stats;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_stats = 1;
	else
		got_stop = 1;
}
static pthread_mutex_t acq_lock = PTHREAD_MUTEX_INITIALIZER;

static void
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "dp_pair: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

static int
parse_ip(const char *s, struct dp_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->bytes) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, a->bytes) == 1)
		a->family = AF_INET6;
	else
		return -1;
	return 0;
}

static void
parse_prefix(const char *s, struct dp_addr *a, uint8_t *plen)
{
	char buf[80], *slash;

	if (strcmp(s, "any") == 0) {
		memset(a, 0, sizeof(*a));
		*plen = 0;
		return;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	if (parse_ip(buf, a) < 0)
		die("bad address \"%s\"", s);
	*plen = slash != NULL ? (uint8_t)atoi(slash + 1)
	                      : (a->family == AF_INET ? 32 : 128);
}

static size_t
parse_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	if (strncmp(s, "0x", 2) == 0)
		s += 2;
	if (strlen(s) % 2 != 0 || strlen(s) / 2 > max)
		die("bad key \"%s\"", s);
	for (; *s != '\0'; s += 2) {
		unsigned v;

		if (sscanf(s, "%2x", &v) != 1)
			die("bad key \"%s\"", s);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static enum dp_action
parse_action(const char *s)
{
	if (strcmp(s, "permit") == 0)
		return DP_ACT_PERMIT;
	if (strcmp(s, "block") == 0)
		return DP_ACT_BLOCK;
	if (strcmp(s, "negotiate") == 0)
		return DP_ACT_NEGOTIATE;
	die("bad action \"%s\"", s);
	return DP_ACT_PERMIT;
}

static int
name_index(const char *s, const char *(*name)(int), int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcasecmp(s, name(i)) == 0)
			return i;
	die("unknown algorithm \"%s\"", s);
	return 0;
}

static const char *
enc_name(int i)
{
	return dp_enc_name((enum dp_enc)i);
}

static const char *
auth_name(int i)
{
	return dp_auth_name((enum dp_auth)i);
}

/* Calls fn(key, value) for each key=value of a comma-separated spec. */
static void
each_kv(const char *spec, void (*fn)(void *, const char *, const char *),
        void *arg)
{
	char *dup = strdup(spec), *save = NULL, *tok;

	if (dup == NULL)
		die("%s", "out of memory");
	for (tok = strtok_r(dup, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (eq == NULL)
			die("expected key=value, got \"%s\"", tok);
		*eq = '\0';
		fn(arg, tok, eq + 1);
	}
	free(dup);
}

static void
sa_kv(void *arg, const char *k, const char *v)
{
	struct sa_spec *s = arg;
	struct dp_sa_params *p = &s->p;

	if (strcmp(k, "spi") == 0)
		p->spi = (uint32_t)strtoul(v, NULL, 0);
	else if (strcmp(k, "dir") == 0)
		p->dir = strcmp(v, "in") == 0 ? DP_DIR_IN : DP_DIR_OUT;
	else if (strcmp(k, "mode") == 0)
		p->mode = strcmp(v, "tunnel") == 0 ? DP_MODE_TUNNEL
		                                   : DP_MODE_TRANSPORT;
	else if (strcmp(k, "src") == 0)
		parse_prefix(v, &p->sel.src, &p->sel.src_plen);
	else if (strcmp(k, "dst") == 0)
		parse_prefix(v, &p->sel.dst, &p->sel.dst_plen);
	else if (strcmp(k, "tsrc") == 0) {
		if (parse_ip(v, &p->tun_src) < 0)
			die("bad address \"%s\"", v);
	} else if (strcmp(k, "tdst") == 0) {
		if (parse_ip(v, &p->tun_dst) < 0)
			die("bad address \"%s\"", v);
	} else if (strcmp(k, "enc") == 0)
		p->enc =
		    (enum dp_enc)name_index(v, enc_name, DP_ENC_AES256_GCM + 1);
	else if (strcmp(k, "auth") == 0)
		p->esp_auth = (enum dp_auth)name_index(
		    v, auth_name, DP_AUTH_HMAC_SHA512_256 + 1);
	else if (strcmp(k, "key") == 0)
		p->enc_key_len = parse_hex(v, s->key, sizeof(s->key));
	else if (strcmp(k, "authkey") == 0)
		p->esp_auth_key_len =
		    parse_hex(v, s->authkey, sizeof(s->authkey));
	else if (strcmp(k, "proto") == 0)
		p->proto = strcmp(v, "ah") == 0 ? DP_PROTO_AH : DP_PROTO_ESP;
	else if (strcmp(k, "encap") == 0)
		p->encap = strcmp(v, "udp") == 0 ? DP_ENCAP_UDP : DP_ENCAP_NONE;
	else if (strcmp(k, "dport") == 0)
		p->encap_dport = (uint16_t)atoi(v);
	else
		die("unknown SA key \"%s\"", k);
}

static void
add_sa(const char *spec)
{
	struct sa_spec *s;

	if (nsas == MAX_ITEMS)
		die("%s", "too many SAs");
	s = &sas[nsas++];
	dp_sa_params_init(&s->p);
	each_kv(spec, sa_kv, s);
	s->p.enc_key = s->key;
	s->p.esp_auth_key = s->authkey;
	if (s->p.proto == DP_PROTO_AH) {
		/* AH: the integrity algorithm and key are AH's. */
		s->p.ah_auth = s->p.esp_auth;
		s->p.ah_auth_key = s->authkey;
		s->p.ah_auth_key_len = s->p.esp_auth_key_len;
		s->p.esp_auth = DP_AUTH_NONE;
		s->p.esp_auth_key_len = 0;
		s->p.enc = DP_ENC_NULL;
		s->p.enc_key_len = 0;
	}
}

static void
filter_kv(void *arg, const char *k, const char *v)
{
	struct dp_filter *f = arg;

	if (strcmp(k, "src") == 0)
		parse_prefix(v, &f->sel.src, &f->sel.src_plen);
	else if (strcmp(k, "dst") == 0)
		parse_prefix(v, &f->sel.dst, &f->sel.dst_plen);
	else if (strcmp(k, "proto") == 0)
		f->sel.proto = (uint8_t)atoi(v);
	else if (strcmp(k, "sport") == 0)
		f->sel.sport = (uint16_t)atoi(v);
	else if (strcmp(k, "dport") == 0)
		f->sel.dport = (uint16_t)atoi(v);
	else if (strcmp(k, "in") == 0)
		f->inbound = parse_action(v);
	else if (strcmp(k, "out") == 0)
		f->outbound = parse_action(v);
	else if (strcmp(k, "tunnel") == 0) {
		f->tunnel = true;
		if (parse_ip(v, &f->tunnel_dst) < 0)
			die("bad address \"%s\"", v);
	} else if (strcmp(k, "id") == 0)
		f->id = (uint32_t)atoi(v);
	else
		die("unknown filter key \"%s\"", k);
}

static void
add_route(const char *spec)
{
	char buf[128], *comma;
	uint8_t plen;

	if (nroutes == MAX_ITEMS)
		die("%s", "too many routes");
	snprintf(buf, sizeof(buf), "%s", spec);
	comma = strchr(buf, ',');
	if (comma != NULL) {
		*comma = '\0';
		if (strncmp(comma + 1, "src=", 4) != 0 ||
		    parse_ip(comma + 5, &routes[nroutes].src) < 0)
			die("bad route \"%s\"", spec);
		routes[nroutes].has_src = true;
	}
	parse_prefix(buf, &routes[nroutes].dst, &plen);
	routes[nroutes].plen = plen;
	nroutes++;
}

static void
on_acquire(void *arg, const struct dp_acquire *a)
{
	char peer[64], src[64], dst[64];

	(void)arg;
	if (acq_log == NULL)
		return;
	inet_ntop(a->peer.family, a->peer.bytes, peer, sizeof(peer));
	inet_ntop(a->src.family, a->src.bytes, src, sizeof(src));
	inet_ntop(a->dst.family, a->dst.bytes, dst, sizeof(dst));
	pthread_mutex_lock(&acq_lock);
	fprintf(acq_log,
	        "acquire filter=%u peer=%s tunnel=%d %s -> %s proto %u\n",
	        a->filter_id, peer, a->tunnel, src, dst, a->proto);
	fflush(acq_log);
	pthread_mutex_unlock(&acq_lock);
}

static void
write_stats(const char *path, struct dp_runtime *rt, struct dp_sadb *db)
{
	struct dp_stats st;
	struct dp_rt_stats ex;
	char tmp[512];
	FILE *f;
	unsigned i;

	memset(&st, 0, sizeof(st));
	dp_sadb_stats(db, &st);
	dp_runtime_stats(rt, &st, &ex);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		return;
	for (i = 0; i < DP_STAT_COUNT; i++)
		fprintf(f, "%s: %llu\n", dp_stat_descs[i].label,
		        (unsigned long long)dp_stats_get(&st, i));
	for (i = 0; i < DP_RT_STAT_COUNT; i++)
		fprintf(f, "%s: %llu\n", dp_rt_stat_descs[i].label,
		        (unsigned long long)*(
		            const uint64_t *)((const uint8_t *)&ex +
		                              dp_rt_stat_descs[i].offset));
	fclose(f);
	rename(tmp, path);
}

static int
install_sa(struct dp_runtime *rt, struct dp_sadb *db, struct sa_spec *s)
{
	struct dp_sa *sa = NULL;
	enum dp_result r;

	s->p.nslots = dp_runtime_nslots(rt);
	r = dp_sa_new(&s->p, &sa);
	if (r != DP_OK) {
		fprintf(stderr, "dp_pair: SA 0x%08x: %s\n", s->p.spi,
		        dp_result_str(r));
		return -1;
	}
	r = dp_sadb_insert(db, sa);
	if (r == DP_OK)
		r = dp_runtime_sa_added(rt, sa);
	dp_sa_put(sa);
	if (r != DP_OK) {
		fprintf(stderr, "dp_pair: SA 0x%08x: %s\n", s->p.spi,
		        dp_result_str(r));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct dp_runtime_config cfg;
	struct dp_runtime *rt = NULL;
	struct dp_sadb *db;
	const char *stats = NULL, *ready = NULL;
	long sa_delay = 0;
	char err[256];
	sigset_t set;
	struct timespec t0, now, tick = {0, 50 * 1000 * 1000};
	bool delayed_done;
	int i, rc = 1;
	size_t k;

	dp_runtime_config_init(&cfg);
	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--no-routing") == 0) {
			cfg.no_routing = true;
			continue;
		}
		if (strcmp(o, "--no-offload") == 0) {
			cfg.no_offload = true;
			continue;
		}
		if (v == NULL)
			die("%s needs a value", o);
		i++;
		if (strcmp(o, "--tun") == 0)
			cfg.tun_name = v;
		else if (strcmp(o, "--queues") == 0)
			cfg.nqueues = (unsigned)atoi(v);
		else if (strcmp(o, "--port") == 0)
			cfg.natt_port = (uint16_t)atoi(v);
		else if (strcmp(o, "--mtu") == 0)
			cfg.mtu = (unsigned)atoi(v);
		else if (strcmp(o, "--sa") == 0)
			add_sa(v);
		else if (strcmp(o, "--sa-delay") == 0)
			sa_delay = atol(v);
		else if (strcmp(o, "--filter") == 0) {
			if (nfilters == MAX_ITEMS)
				die("%s", "too many filters");
			each_kv(v, filter_kv, &filters[nfilters++]);
		} else if (strcmp(o, "--route") == 0)
			add_route(v);
		else if (strcmp(o, "--stats") == 0)
			stats = v;
		else if (strcmp(o, "--ready") == 0)
			ready = v;
		else if (strcmp(o, "--acquire-log") == 0) {
			acq_log = fopen(v, "a");
			if (acq_log == NULL)
				die("cannot open \"%s\"", v);
		} else
			die("unknown option \"%s\"", o);
	}
	cfg.acquire = on_acquire;

	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGUSR1, &sa, NULL);
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	/* Blocked before the workers start, so they inherit the mask. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	db = dp_sadb_new(64);
	if (db == NULL)
		die("%s", "out of memory");
	if (dp_runtime_start(&cfg, db, &rt, err, sizeof(err)) < 0) {
		fprintf(stderr, "dp_pair: %s\n", err);
		dp_sadb_free(db);
		return 1;
	}
	if (dp_runtime_set_filter_array(rt, filters, nfilters) != DP_OK) {
		fprintf(stderr, "dp_pair: bad filters\n");
		goto out;
	}
	for (k = 0; k < nroutes; k++)
		if (dp_runtime_route_add(rt, &routes[k].dst, routes[k].plen,
		                         routes[k].has_src ? &routes[k].src
		                                           : NULL,
		                         err, sizeof(err)) < 0) {
			fprintf(stderr, "dp_pair: %s\n", err);
			goto out;
		}
	for (k = 0; k < nsas; k++)
		if ((sa_delay == 0 || sas[k].p.dir == DP_DIR_IN) &&
		    install_sa(rt, db, &sas[k]) < 0)
			goto out;
	delayed_done = sa_delay == 0;
	if (ready != NULL) {
		FILE *f = fopen(ready, "w");

		if (f != NULL)
			fclose(f);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int sig = sigtimedwait(&set, NULL, &tick);

		if (sig == SIGTERM || sig == SIGINT || got_stop)
			break;
		if ((sig == SIGUSR1 || got_stats) && stats != NULL) {
			got_stats = 0;
			write_stats(stats, rt, db);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!delayed_done &&
		    (now.tv_sec - t0.tv_sec) * 1000 +
		            (now.tv_nsec - t0.tv_nsec) / 1000000 >=
		        sa_delay) {
			for (k = 0; k < nsas; k++)
				if (sas[k].p.dir == DP_DIR_OUT &&
				    install_sa(rt, db, &sas[k]) < 0)
					goto out;
			delayed_done = true;
		}
	}
	rc = 0;
out:
	if (stats != NULL)
		write_stats(stats, rt, db);
	dp_runtime_stop(rt);
	dp_sadb_free(db);
	if (acq_log != NULL)
		fclose(acq_log);
	return rc;
}
