/*
 * stats.c - the statistics table (labels from the one list in
 * datapath.h) and the name tables of the public enums.
 */
#include <stddef.h>

#include "pkt.h"

#define DP_X_DESC(id, label, netsh)                                            \
	[DP_STAT_##id] = {label, offsetof(struct dp_stats, id), netsh},
const struct dp_stat_desc dp_stat_descs[DP_STAT_COUNT] = {DP_STATS(DP_X_DESC)};

uint64_t
dp_stats_get(const struct dp_stats *s, enum dp_stat_index i)
{
	const uint64_t *c;

	if ((unsigned)i >= DP_STAT_COUNT)
		return 0;
	c = (const uint64_t *)(const void *)((const char *)s +
	                                     dp_stat_descs[i].offset);
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

void
dp_stats_accumulate(struct dp_stats *sum, const struct dp_stats *s)
{
#define DP_X_SUM(id, label, netsh)                                             \
	sum->id += __atomic_load_n(&s->id, __ATOMIC_RELAXED);
	DP_STATS(DP_X_SUM)
#undef DP_X_SUM
}

#define DP_X_STR(id, text) [id] = text,
#define NAME_FN(fn, type, list)                                                \
	const char *fn(type v)                                                 \
	{                                                                      \
		static const char *const names[] = {list(DP_X_STR)};           \
		if ((unsigned)v >= sizeof(names) / sizeof(names[0]))           \
			return "?";                                            \
		return names[v];                                               \
	}

NAME_FN(dp_result_str, enum dp_result, DP_RESULTS)
NAME_FN(dp_dir_name, enum dp_dir, DP_DIRS)
NAME_FN(dp_mode_name, enum dp_mode, DP_MODES)
NAME_FN(dp_encap_name, enum dp_encap, DP_ENCAPS)
NAME_FN(dp_proto_name, enum dp_proto, DP_PROTOS)
NAME_FN(dp_enc_name, enum dp_enc, DP_ENCS)
NAME_FN(dp_auth_name, enum dp_auth, DP_AUTHS)
