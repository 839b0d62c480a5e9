/*
 * live.c - the service's live state (see live.h).
 */
#include "live.h"
#include "ike.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_X_DESC(id, label) {label, offsetof(struct live_ike_stats, id)},
const struct live_ike_stat_desc live_ike_stat_descs[] = {
	LIVE_IKE_STATS(LIVE_X_DESC)};
const size_t live_ike_stat_count =
	sizeof(live_ike_stat_descs) / sizeof(live_ike_stat_descs[0]);

/* Enough for a large policy; each rule yields a handful of filters. */
#define LIVE_FILTERS_MAX 65536

struct live {
	struct spd *spd;
	const struct spd_resolver *resolver;
	struct spd_specific *filters;
	size_t nfilters;
	struct dp_sadb *sadb;
	struct live_sa *sas;
	size_t nsas, capsas;
	struct live_ike_stats ike;
	struct live_hooks hooks;
	unsigned nslots;
	struct ike *negotiator;
	time_t started;
};

struct live *
live_new(const struct spd_resolver *res)
{
	struct live *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->spd = spd_new();
	l->sadb = dp_sadb_new(1024);
	if (l->spd == NULL || l->sadb == NULL) {
		live_free(l);
		return NULL;
	}
	l->resolver = res;
	l->started = time(NULL);
	return l;
}

void
live_free(struct live *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->nsas; i++)
		dp_sa_put(l->sas[i].sa);
	free(l->sas);
	if (l->sadb != NULL)
		dp_sadb_free(l->sadb);
	spd_free(l->spd);
	free(l->filters);
	free(l);
}

void
live_set_hooks(struct live *l, const struct live_hooks *h)
{
	l->hooks = *h;
}

void
live_set_nslots(struct live *l, unsigned nslots)
{
	l->nslots = nslots;
}

void
live_set_negotiator(struct live *l, struct ike *ike)
{
	l->negotiator = ike;
}

struct ike *
live_negotiator(const struct live *l)
{
	return l->negotiator;
}

struct spd *
live_spd(struct live *l)
{
	return l->spd;
}

struct dp_sadb *
live_sadb(struct live *l)
{
	return l->sadb;
}

struct live_ike_stats *
live_ike(struct live *l)
{
	return &l->ike;
}

time_t
live_started(const struct live *l)
{
	return l->started;
}

int
live_commit(struct live *l, char *err, size_t errlen)
{
	struct spd_specific *f;
	long n;

	f = calloc(LIVE_FILTERS_MAX, sizeof(*f));
	if (f == NULL) {
		snprintf(err, errlen, "out of memory.");
		return -1;
	}
	n = spd_compile(l->spd, l->resolver, f, LIVE_FILTERS_MAX, err,
			errlen);
	if (n < 0) {
		free(f);
		return -1;
	}
	/* Keep only what was used: most policies are small. */
	if (n > 0) {
		struct spd_specific *fit = realloc(f, (size_t)n * sizeof(*f));
		if (fit != NULL)
			f = fit;
	}
	free(l->filters);
	l->filters = f;
	l->nfilters = (size_t)n;
	if (l->hooks.filters != NULL)
		l->hooks.filters(l->hooks.arg, l->filters, l->nfilters);
	/* Negotiated SAs the new policy would refuse go now. */
	if (l->negotiator != NULL)
		ike_policy_changed(l->negotiator);
	return 0;
}

const struct spd_specific *
live_filters(const struct live *l, size_t *n)
{
	*n = l->nfilters;
	return l->filters;
}

static struct live_sa *
find_sa(const struct live *l, uint32_t spi, enum dp_dir dir, size_t *at)
{
	for (size_t i = 0; i < l->nsas; i++)
		if (l->sas[i].spi == spi && l->sas[i].dir == dir) {
			if (at != NULL)
				*at = i;
			return &l->sas[i];
		}
	return NULL;
}

int
live_sa_add(struct live *l, const struct dp_sa_params *p,
	    const struct live_sa *desc, char *err, size_t errlen)
{
	struct live_sa *grown;
	struct dp_sa *sa = NULL;
	enum dp_result r;

	if (find_sa(l, desc->spi, desc->dir, NULL) != NULL) {
		snprintf(err, errlen, "an %s SA with SPI 0x%08x already "
				      "exists.",
			 dp_dir_name(desc->dir), desc->spi);
		return -1;
	}
	{
		struct dp_sa_params q = *p;
		if (q.nslots < l->nslots)
			q.nslots = l->nslots;
		r = dp_sa_new(&q, &sa);
		explicit_bzero(&q, sizeof(q));
	}
	if (r != DP_OK) {
		snprintf(err, errlen, "the SA cannot be built: %s.",
			 dp_result_str(r));
		return -1;
	}
	if (l->nsas == l->capsas) {
		/* Doubling: a burst of negotiated pairs adds thousands. */
		size_t cap = l->capsas ? 2 * l->capsas : 16;
		grown = realloc(l->sas, cap * sizeof(*grown));
		if (grown == NULL) {
			dp_sa_put(sa);
			snprintf(err, errlen, "out of memory.");
			return -1;
		}
		l->sas = grown;
		l->capsas = cap;
	}
	r = dp_sadb_insert(l->sadb, sa);
	if (r != DP_OK) {
		dp_sa_put(sa);
		snprintf(err, errlen, "the SA cannot be installed: %s.",
			 dp_result_str(r));
		return -1;
	}
	l->sas[l->nsas] = *desc;
	l->sas[l->nsas].sa = sa;
	l->sas[l->nsas].added = time(NULL);
	l->nsas++;
	if (l->hooks.sa_added != NULL)
		l->hooks.sa_added(l->hooks.arg, &l->sas[l->nsas - 1]);
	return 0;
}

static void
remove_sa(struct live *l, size_t at)
{
	struct live_sa *s = &l->sas[at];
	struct dp_sa_info info;
	bool esp;

	if (l->hooks.sa_removed != NULL)
		l->hooks.sa_removed(l->hooks.arg, s);
	/* The database keys an SA by its ESP SPI, or by its AH SPI when
	 * AH is present (dp_sadb_insert). */
	dp_sa_info(s->sa, &info);
	esp = info.proto == DP_PROTO_ESP;
	dp_sadb_remove(l->sadb,
		       info.proto == DP_PROTO_AH_ESP ? info.ah_spi : info.spi,
		       esp ? DP_PROTO_ESP : DP_PROTO_AH, s->dir);
	dp_sa_put(s->sa);
	memmove(&l->sas[at], &l->sas[at + 1],
		(l->nsas - at - 1) * sizeof(*l->sas));
	l->nsas--;
}

int
live_sa_delete(struct live *l, uint32_t spi, enum dp_dir dir, char *err,
	       size_t errlen)
{
	size_t at;

	if (find_sa(l, spi, dir, &at) == NULL) {
		snprintf(err, errlen, "no %s SA has SPI 0x%08x.",
			 dp_dir_name(dir), spi);
		return -1;
	}
	remove_sa(l, at);
	return 0;
}

void
live_sa_delete_manual(struct live *l)
{
	for (size_t i = l->nsas; i-- > 0;)
		if (l->sas[i].manual)
			remove_sa(l, i);
}

const struct live_sa *
live_sa_at(const struct live *l, size_t i)
{
	return i < l->nsas ? &l->sas[i] : NULL;
}

void
live_dp_stats(struct live *l, struct dp_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	dp_sadb_stats(l->sadb, sum);
	if (l->hooks.dp_stats != NULL)
		l->hooks.dp_stats(l->hooks.arg, sum);
}

size_t
live_driver_stats(struct live *l, const char **labels, uint64_t *values,
		  size_t max)
{
	if (l->hooks.driver_stats == NULL)
		return 0;
	return l->hooks.driver_stats(l->hooks.arg, labels, values, max);
}
