/*
 * dynamic_show.c - the whole of the live state: delete all, show all,
 * show stats.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dynamic.h"
#include "dynamic_common.h"
#include "shell.h"
#include "static_common.h"

enum cmd_status
dynamic_delete_all(struct shell *sh, const struct args *a)
{
	(void)a;
	live_sa_delete_manual(sh->live);
	spd_delete_all(live_spd(sh->live));
	return dynamic_commit(sh);
}

/* "Bad SPI Packets" -> "bad_spi_packets", the JSON member name. */
static void
key_of(const char *label, char *buf, size_t len)
{
	size_t i = 0;

	for (; label[i] != '\0' && i + 1 < len; i++)
		buf[i] = label[i] == ' ' ? '_'
					 : (char)tolower((unsigned char)label[i]);
	buf[i] = '\0';
}

/*
 * One counter: in a table, a row of its own (a row of twenty columns
 * helps nobody); in a list or JSON, a field of the block.
 */
static void
counter(struct out *o, const char *label, uint64_t v)
{
	char key[64];

	if (out_format_of(o) == OUT_TABLE) {
		out_object(o);
		out_str(o, "counter", "Counter", label);
		out_int(o, "value", "Value", (long long)v);
		out_object_end(o);
		return;
	}
	key_of(label, key, sizeof(key));
	out_int(o, key, label, (long long)v);
}

static void
ike_stats(struct out *o, struct live *l)
{
	const struct live_ike_stats *st = live_ike(l);
	bool rows = out_format_of(o) == OUT_TABLE;

	out_section(o, "ike", "IKE Main Mode Statistics");
	if (!rows)
		out_object(o);
	for (size_t i = 0; i < live_ike_stat_count; i++) {
		const struct live_ike_stat_desc *d = &live_ike_stat_descs[i];
		uint64_t v;
		memcpy(&v, (const char *)st + d->offset, sizeof(v));
		counter(o, d->label, v);
	}
	if (!rows)
		out_object_end(o);
	out_section_end(o);
}

static void
ipsec_stats(struct out *o, struct live *l)
{
	struct dp_stats sum;
	bool rows = out_format_of(o) == OUT_TABLE;

	live_dp_stats(l, &sum);
	out_section(o, "ipsec", "IPsec Quick Mode Statistics");
	if (!rows)
		out_object(o);
	for (size_t i = 0; i < DP_STAT_COUNT; i++) {
		const struct dp_stat_desc *d = &dp_stat_descs[i];
		/* netsh's counters, then ours where they moved. */
		uint64_t v = dp_stats_get(&sum, (enum dp_stat_index)i);
		if (!d->netsh && v == 0)
			continue;
		counter(o, d->label, v);
	}
	{
		/* The driver's own counters, where they moved. */
		const char *labels[64];
		uint64_t values[64];
		size_t n = live_driver_stats(l, labels, values, 64);
		for (size_t i = 0; i < n; i++)
			if (values[i] != 0)
				counter(o, labels[i], values[i]);
	}
	if (!rows)
		out_object_end(o);
	out_section_end(o);
}

enum cmd_status
dynamic_show_stats(struct shell *sh, const struct args *a)
{
	struct out *o = static_out_new(a);
	long type = arg_num(a, "type"); /* all, ike, ipsec */

	if (type != 2)
		ike_stats(o, sh->live);
	if (type != 1)
		ipsec_stats(o, sh->live);
	return static_render(sh, a, o);
}

enum cmd_status
dynamic_show_all(struct shell *sh, const struct args *a)
{
	struct spd *spd = live_spd(sh->live);
	struct out *o = static_out_new(a);
	const struct spd_mmpolicy *mm;
	const struct spd_qmpolicy *qm;
	const struct spd_rule *r;
	const struct live_sa *s;

	out_section(o, "mmpolicies", "Main Mode Policies");
	for (size_t i = 0; (mm = spd_mmpolicy_at(spd, i)) != NULL; i++)
		dynamic_model_mmpolicy(o, mm);
	out_section_end(o);
	out_section(o, "qmpolicies", "Quick Mode Policies");
	for (size_t i = 0; (qm = spd_qmpolicy_at(spd, i)) != NULL; i++)
		dynamic_model_qmpolicy(o, qm);
	out_section_end(o);
	out_section(o, "rules", "Rules");
	for (size_t i = 0; (r = spd_rule_at(spd, i)) != NULL; i++)
		dynamic_model_rule(o, r);
	out_section_end(o);
	out_section(o, "mmsas", "Main Mode SAs");
	out_section_end(o);
	out_section(o, "qmsas", "Quick Mode SAs");
	for (size_t i = 0; (s = live_sa_at(sh->live, i)) != NULL; i++)
		dynamic_model_sa(o, s);
	out_section_end(o);
	ike_stats(o, sh->live);
	ipsec_stats(o, sh->live);
	return static_render(sh, a, o);
}
