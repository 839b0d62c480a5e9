/*
 * nft_apply.c - a test driver of inbound enforcement (engine/nft.h) for
 * tests/netns/nft_enforce.sh: holds one nft_enforce for TUN device TUN
 * and obeys commands read line by line from standard input, answering
 * each with one line, "ok ..." or "error: ...".
 *
 *   nft_apply [-x IPSECEXEMPT] TUN
 *
 * Commands:
 *   filter SRC DST PROTO SPORT DPORT ACTION [inpass] [soft] [tunnel]
 *                       adds a compiled filter to the list (SRC and DST
 *                       "any" or ADDR/PLEN; ACTION the inbound action:
 *                       permit, block, negotiate); the list is in order,
 *                       most specific first, as spd_compile makes it
 *   clear               empties the list
 *   apply               nft_enforce_apply(list)
 *   reapply N           N applies, alternating between the list and the
 *                       list with one more (unrelated) block filter, so
 *                       every apply changes the table
 *   reapply-fresh N     the same through the first-load transaction
 *                       ("delete table" + "add table"), on its own
 *                       libnftables context
 *   boot MODE [EXEMPTION...]
 *                       nft_enforce_boot (MODE stateful, block, permit;
 *                       exemptions as bootexemptions: TCP:0:22:inbound)
 *   soft add|del ADDR   nft_enforce_soft_add / _del
 *   counters            "ok cleartext N blocked N boot N"
 *   quit                nft_enforce_free (the table goes) and exit 0
 * End of input is quit.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <nftables/libnftables.h>

#include "config.h"
#include "nft.h"

#define MAX_FILTERS 256

static struct spd_specific filters[MAX_FILTERS + 1];
static unsigned flags[MAX_FILTERS + 1];
static size_t nfilters;

static int
parse_prefix(const char *text, struct ip_addr *a, uint8_t *plen)
{
	char buf[64];
	char *slash;
	long n;

	memset(a, 0, sizeof(*a));
	*plen = 0;
	if (strcmp(text, "any") == 0)
		return 0;
	snprintf(buf, sizeof(buf), "%s", text);
	slash = strchr(buf, '/');
	if (slash == NULL)
		return -1;
	*slash = '\0';
	a->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(a->family, buf, a->bytes) != 1)
		return -1;
	n = strtol(slash + 1, NULL, 10);
	if (n < 0 || n > (a->family == AF_INET ? 32 : 128))
		return -1;
	*plen = (uint8_t)n;
	return 0;
}

static int
parse_action(const char *s, enum spd_action *a)
{
	if (strcmp(s, "permit") == 0)
		*a = SPD_PERMIT;
	else if (strcmp(s, "block") == 0)
		*a = SPD_BLOCK;
	else if (strcmp(s, "negotiate") == 0)
		*a = SPD_NEGOTIATE;
	else
		return -1;
	return 0;
}

static int
cmd_filter(char **w, int n, char *err, size_t errlen)
{
	struct spd_specific f;
	unsigned fl = 0;

	memset(&f, 0, sizeof(f));
	if (n < 7 || nfilters >= MAX_FILTERS) {
		snprintf(err, errlen, "filter SRC DST PROTO SPORT DPORT ACTION");
		return -1;
	}
	if (parse_prefix(w[1], &f.src, &f.src_plen) < 0 ||
	    parse_prefix(w[2], &f.dst, &f.dst_plen) < 0 ||
	    parse_action(w[6], &f.inbound) < 0) {
		snprintf(err, errlen, "bad filter");
		return -1;
	}
	f.protocol = (uint8_t)atoi(w[3]);
	f.srcport = (uint16_t)atoi(w[4]);
	f.dstport = (uint16_t)atoi(w[5]);
	f.outbound = f.inbound;
	for (int i = 7; i < n; i++) {
		if (strcmp(w[i], "inpass") == 0) {
			fl |= NFT_ENFORCE_INPASS;
		} else if (strcmp(w[i], "soft") == 0) {
			fl |= NFT_ENFORCE_SOFT;
		} else if (strcmp(w[i], "tunnel") == 0) {
			f.tunnel = true;
		} else {
			snprintf(err, errlen, "unknown flag \"%s\"", w[i]);
			return -1;
		}
	}
	filters[nfilters] = f;
	flags[nfilters] = fl;
	nfilters++;
	return 0;
}

/* The list, or the list plus a block filter no test packet matches. */
static size_t
variant(int k)
{
	if (k % 2 == 0)
		return nfilters;
	memset(&filters[nfilters], 0, sizeof(filters[0]));
	filters[nfilters].src.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.99", filters[nfilters].src.bytes);
	filters[nfilters].src_plen = 32;
	filters[nfilters].inbound = SPD_BLOCK;
	flags[nfilters] = 0;
	return nfilters + 1;
}

static int
cmd_reapply_fresh(const struct nft_enforce *e, const char *tun,
		  const struct nft_enforce_options *o, long count, char *err,
		  size_t errlen)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	struct nft_script s = {nft_enforce_table(e), tun, o, true};
	int rc = 0;

	if (ctx == NULL || nft_ctx_buffer_error(ctx) != 0) {
		snprintf(err, errlen, "no libnftables context");
		rc = -1;
	}
	for (long k = 0; rc == 0 && k < count; k++) {
		char *text = nft_script_policy(&s, filters, flags,
					       variant((int)k));
		if (text == NULL || nft_run_cmd_from_buffer(ctx, text) != 0) {
			snprintf(err, errlen, "fresh load %ld: %s", k,
				 text ? nft_ctx_get_error_buffer(ctx) : "oom");
			rc = -1;
		}
		free(text);
	}
	if (ctx != NULL)
		nft_ctx_free(ctx);
	return rc;
}

static int
cmd_boot(struct nft_enforce *e, char **w, int n, char *err, size_t errlen)
{
	struct config_exemption ex[CONFIG_EXEMPTIONS_MAX];
	size_t nex = 0;
	char text[CONFIG_VALUE_MAX] = "";
	enum config_bootmode mode;

	if (n < 2) {
		snprintf(err, errlen, "boot MODE [EXEMPTION...]");
		return -1;
	}
	if (strcmp(w[1], "stateful") == 0)
		mode = CONFIG_BOOT_STATEFUL;
	else if (strcmp(w[1], "block") == 0)
		mode = CONFIG_BOOT_BLOCK;
	else if (strcmp(w[1], "permit") == 0)
		mode = CONFIG_BOOT_PERMIT;
	else {
		snprintf(err, errlen, "bad boot mode \"%s\"", w[1]);
		return -1;
	}
	for (int i = 2; i < n; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "%s%s", i > 2 ? " " : "", w[i]);
	if (n > 2 &&
	    config_parse_exemptions(text, ex, &nex, err, errlen) < 0)
		return -1;
	return nft_enforce_boot(e, mode, ex, nex, err, errlen);
}

static int
cmd_soft(struct nft_enforce *e, char **w, int n, char *err, size_t errlen)
{
	struct ip_addr a;

	memset(&a, 0, sizeof(a));
	if (n != 3) {
		snprintf(err, errlen, "soft add|del ADDR");
		return -1;
	}
	a.family = strchr(w[2], ':') ? AF_INET6 : AF_INET;
	if (inet_pton(a.family, w[2], a.bytes) != 1) {
		snprintf(err, errlen, "bad address \"%s\"", w[2]);
		return -1;
	}
	if (strcmp(w[1], "add") == 0)
		return nft_enforce_soft_add(e, &a, err, errlen);
	return nft_enforce_soft_del(e, &a, err, errlen);
}

int
main(int argc, char **argv)
{
	struct nft_enforce_options o;
	struct nft_enforce *e;
	char line[1024], err[512];
	const char *tun;
	int argi = 1;

	nft_enforce_options_init(&o);
	if (argc > 2 && strcmp(argv[1], "-x") == 0) {
		o.ipsecexempt = atoi(argv[2]);
		argi = 3;
	}
	if (argi != argc - 1) {
		fprintf(stderr, "usage: nft_apply [-x IPSECEXEMPT] TUN\n");
		return 2;
	}
	tun = argv[argi];
	e = nft_enforce_new(tun, &o, err, sizeof(err));
	if (e == NULL) {
		fprintf(stderr, "nft_apply: %s\n", err);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *w[32];
		int n = 0, rc = 0;
		char *save = NULL;

		for (char *t = strtok_r(line, " \t\r\n", &save);
		     t != NULL && n < 32; t = strtok_r(NULL, " \t\r\n", &save))
			w[n++] = t;
		if (n == 0)
			continue;
		err[0] = '\0';
		if (strcmp(w[0], "quit") == 0)
			break;
		if (strcmp(w[0], "filter") == 0) {
			rc = cmd_filter(w, n, err, sizeof(err));
		} else if (strcmp(w[0], "clear") == 0) {
			nfilters = 0;
		} else if (strcmp(w[0], "apply") == 0) {
			rc = nft_enforce_apply(e, filters, flags, nfilters, err,
					       sizeof(err));
		} else if (strcmp(w[0], "reapply") == 0 && n == 2) {
			long count = strtol(w[1], NULL, 10);
			for (long k = 0; rc == 0 && k < count; k++)
				rc = nft_enforce_apply(e, filters, flags,
						       variant((int)k), err,
						       sizeof(err));
		} else if (strcmp(w[0], "reapply-fresh") == 0 && n == 2) {
			rc = cmd_reapply_fresh(e, tun, &o,
					       strtol(w[1], NULL, 10), err,
					       sizeof(err));
		} else if (strcmp(w[0], "boot") == 0) {
			rc = cmd_boot(e, w, n, err, sizeof(err));
		} else if (strcmp(w[0], "soft") == 0) {
			rc = cmd_soft(e, w, n, err, sizeof(err));
		} else if (strcmp(w[0], "counters") == 0) {
			struct nft_enforce_counters c;
			rc = nft_enforce_counters(e, &c, err, sizeof(err));
			if (rc == 0) {
				printf("ok cleartext %llu blocked %llu boot "
				       "%llu\n",
				       (unsigned long long)c.cleartext,
				       (unsigned long long)c.blocked,
				       (unsigned long long)c.boot);
				fflush(stdout);
				continue;
			}
		} else {
			snprintf(err, sizeof(err), "unknown command \"%s\"",
				 w[0]);
			rc = -1;
		}
		if (rc == 0)
			printf("ok\n");
		else
			printf("error: %s\n", err);
		fflush(stdout);
	}
	nft_enforce_free(e);
	printf("ok bye\n");
	fflush(stdout);
	return 0;
}
