/*
 * nft.h - inbound enforcement of the live policy in the kernel's packet
 * filter (nftables), for the packets the IPsec driver never sees.
 *
 * The driver sees outbound packets (routed into its TUN device) and the
 * ESP it decrypts; clear-text packets arriving from the network are
 * delivered by the kernel without passing through it.  The policy must
 * hold for them too (issue 5, "Inbound enforcement"): a clear packet
 * from a peer that a filter says must be secured (inbound action
 * negotiate) is dropped unless the rule's filter action has inpass=yes;
 * a block filter drops inbound as well.  This module keeps one nftables
 * table per service in step with the compiled filters.
 *
 * Dependency: libnftables (Debian's libnftables-dev).  The kernel's
 * packet filter is the only place that sees every inbound packet, and
 * libnftables is the maintained interface to it: it takes the same
 * script text as nft(8) and sends it as one netlink transaction.
 * Writing nf_tables netlink messages by hand (expressions, registers,
 * set and object attributes, batch framing) would be thousands of
 * lines that follow every kernel change.
 *
 * The table: "table inet ipsecsh_<TUN name>" ('.' and '-' become '_'),
 * three base chains, input, forward and output, of type filter at
 * priority NFT_ENFORCE_PRIORITY (before the default filter at 0), all
 * with policy accept: an accept here only means "no objection" (other
 * tables still filter), a drop is final.  Three named counters count
 * what the table drops (NFT_ENFORCE_COUNTERS) and two sets, soft4 and
 * soft6, hold the peers with a soft association.
 *
 * With a policy (nft_enforce_apply), the input chain:
 *   iif "lo" accept                      loopback
 *   iifname "<TUN>" accept               decrypted traffic (the driver
 *                                        applied the inbound action)
 *   meta l4proto { 50, 51 } accept       ESP and AH
 *   udp dport { 500, 4500 } accept       IKE and NAT-T (ESP in UDP)
 *   icmpv6 type { ... } accept           neighbour discovery and MLD:
 *                                        IPv6's ARP, without which not
 *                                        even ESP gets through
 *   (ipsecexempt 0-2: multicast and broadcast, RSVP, Kerberos)
 *   then one rule per compiled filter, in the compiled order (most
 *   specific first), matching like the driver's classifier (source
 *   address, destination address, protocol, ports only with TCP/UDP;
 *   "any" matches nothing; family 0 = both families), with the verdict
 *   of the filter's INBOUND action:
 *     block                      counter name "blocked" drop
 *     negotiate, inpass          accept
 *     negotiate, soft            accept if the source is in soft4/soft6,
 *                                then as below
 *     negotiate                  counter name "cleartext" drop
 *     permit                     accept
 *   so the first matching rule decides, as in the driver.  Filters after
 *   the last dropping one are left out (the chain's policy accepts).
 *   Anything no filter matches is accepted: no policy means clear text.
 *   Mirrored rules need nothing special: spd_compile emits the swapped
 *   twin, which is the one an inbound packet (source = the peer)
 *   matches.
 * The forward chain (gateways: traffic routed through this host to or
 * from protected subnets), only when some tunnel filter drops:
 *   iifname "<TUN>" accept, oifname "<TUN>" accept (leaving through the
 *   TUN device: the driver applies the outbound action), then the tunnel
 *   filters only, as above.  Transport filters protect this host's own
 *   traffic, which never crosses forward.
 * The output chain is empty.
 *
 * Boot mode (nft_enforce_boot; netsh-reference.md §3.10): what passes
 * between service start and the first policy load.
 *   permit    every chain empty.
 *   block     input: loopback, TUN, ESP/AH, IKE, neighbour discovery,
 *             DHCP (UDP 67 -> 68, DHCPv6 547 -> 546), the inbound
 *             exemptions, the replies of the outbound exemptions (ct
 *             state established,related); the rest is dropped (counter
 *             "boot").  output: the same mirrored (loopback, ESP/AH,
 *             IKE, ND, DHCP requests, the outbound exemptions, the
 *             replies of the inbound exemptions); the rest dropped.
 *   stateful  input as block plus "ct state established,related
 *             accept" (what comes back on connections we started);
 *             output unrestricted.
 * Forwarded traffic is not restricted in boot mode: boot mode is about
 * the computer's own traffic (XXX: a gateway that must not forward
 * clear text before its policy loads needs its own firewall rule).
 *
 * Replacing: every apply or boot is ONE libnftables command buffer, so
 * one nf_tables transaction: the kernel switches from the old rule set to
 * the new one atomically and no packet ever sees a table without rules.
 * The first load of an nft_enforce (and a retry after a failure) is
 *   table inet T; delete table inet T; table inet T { ... }
 * (creates, then deletes, whatever a crashed service left, then builds
 * from scratch).  Later loads are
 *   table inet T; flush table inet T; table inet T { ... }
 * which removes every rule and adds the new ones in the same transaction
 * but keeps the named counters and the soft sets: `show stats` counts
 * from service start, not from the last policy change.
 *
 * Cost: the rules are tried in order, so an inbound packet that matches
 * no filter walks them all (XXX: for large policies, verdict maps keyed
 * per selector shape as the driver's classifier does).
 *
 * Threads: an nft_enforce belongs to the service's main thread.  The
 * calls talk netlink to the kernel and need CAP_NET_ADMIN in the
 * service's network namespace.  Errors are -1 with one line in err.
 */
#ifndef IPSECSH_NFT_H
#define IPSECSH_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "spd.h"

/* Before the filter hook's default priority (0), after conntrack. */
#define NFT_ENFORCE_PRIORITY (-10)
#define NFT_ENFORCE_TABLE_PREFIX "ipsecsh_"
/* Longest table name we make: the prefix and an interface name. */
#define NFT_ENFORCE_TABLE_MAX 64

struct nft_enforce_options {
	const char *table; /* NULL: "ipsecsh_" + the TUN name */
	int priority;      /* of the three base chains */
	uint16_t ike_port; /* 500 */
	uint16_t natt_port; /* the runtime's NAT-T port, 4500 */
	/* netsh's ipsecexempt (0-3, §3.10): 0 and 1 also accept multicast
	 * and broadcast destinations, 0 and 2 RSVP (protocol 46) and
	 * Kerberos (TCP/UDP port 88, either end); 3 (the default) only
	 * IKE. */
	int ipsecexempt;
};

/* The defaults above. */
void nft_enforce_options_init(struct nft_enforce_options *o);

/* Per compiled filter: what its rule's filter action says. */
#define NFT_ENFORCE_INPASS 0x1u /* inpass=yes: clear text accepted */
#define NFT_ENFORCE_SOFT 0x2u	/* soft=yes: clear from soft peers */

/* What the table drops, in packets since the service's first load. */
#define NFT_ENFORCE_COUNTERS(X)                                         \
	X(cleartext, "Inbound Clear Text Dropped")                      \
	X(blocked, "Inbound Clear Text Blocked")                        \
	X(boot, "Packets Dropped In Boot Mode")

#define NFT_X_FIELD(id, label) uint64_t id;
struct nft_enforce_counters {
	NFT_ENFORCE_COUNTERS(NFT_X_FIELD)
};
#undef NFT_X_FIELD
#define NFT_X_INDEX(id, label) NFT_ENFORCE_CTR_##id,
enum nft_enforce_ctr { NFT_ENFORCE_COUNTERS(NFT_X_INDEX) NFT_ENFORCE_NCTR };
#undef NFT_X_INDEX
/* The counter's name in the table ("cleartext") and its label. */
const char *nft_enforce_ctr_name(enum nft_enforce_ctr c);
const char *nft_enforce_ctr_label(enum nft_enforce_ctr c);
uint64_t nft_enforce_ctr_get(const struct nft_enforce_counters *c,
			     enum nft_enforce_ctr i);

struct nft_enforce;

/*
 * A handle on the table for the TUN device tun (an interface name:
 * letters, digits, '_', '.', '-', at most 15).  o may be NULL (the
 * defaults); it is copied.  Nothing reaches the kernel until the first
 * nft_enforce_boot or nft_enforce_apply.  NULL with err set on failure.
 */
struct nft_enforce *nft_enforce_new(const char *tun,
				    const struct nft_enforce_options *o,
				    char *err, size_t errlen);
/* Deletes the table (if it was loaded) and frees; NULL is fine.  After
 * it nothing of ours filters: clear text passes (no service, no
 * policy).  A failure to delete is logged. */
void nft_enforce_free(struct nft_enforce *e);
/* "ipsecsh_ipsec0" */
const char *nft_enforce_table(const struct nft_enforce *e);

/*
 * Replaces the table by the rules of the n compiled filters f, given as
 * spd_compile made them (most specific first).  flags (NULL: all 0) is
 * parallel to f: NFT_ENFORCE_INPASS, NFT_ENFORCE_SOFT.  Atomic; on
 * failure the rules in force stay and err says why.
 */
int nft_enforce_apply(struct nft_enforce *e, const struct spd_specific *f,
		      const unsigned *flags, size_t n, char *err,
		      size_t errlen);

/* Replaces the table by the rules of boot mode mode with the n boot
 * exemptions ex.  Atomic, like nft_enforce_apply.  Call it at service
 * start, before the policy agent's first load. */
int nft_enforce_boot(struct nft_enforce *e, enum config_bootmode mode,
		     const struct config_exemption *ex, size_t n, char *err,
		     size_t errlen);

/* Reads the table's counters back (libnftables' JSON output).  All 0
 * before the first load. */
int nft_enforce_counters(struct nft_enforce *e,
			 struct nft_enforce_counters *out, char *err,
			 size_t errlen);

/* A soft association with peer began (ended): clear text from it is
 * accepted by the filters whose action is soft.  Adding a present peer
 * and deleting an absent one succeed. */
int nft_enforce_soft_add(struct nft_enforce *e, const struct ip_addr *peer,
			 char *err, size_t errlen);
int nft_enforce_soft_del(struct nft_enforce *e, const struct ip_addr *peer,
			 char *err, size_t errlen);

/* ---- pure functions: the text, without the kernel (tests) ----------- */

/* The table's name for TUN device tun, or -1 when tun is not a valid
 * interface name. */
int nft_enforce_table_name(const char *tun, char *buf, size_t len);

/* What a script is built from.  fresh: the first-load header (delete
 * table), else the one that keeps counters and sets (flush table). */
struct nft_script {
	const char *table;
	const char *tun;
	const struct nft_enforce_options *o;
	bool fresh;
};

/* The whole transaction of nft_enforce_apply / nft_enforce_boot as
 * nft(8) script text; malloc'd (the caller frees), NULL when out of
 * memory. */
char *nft_script_policy(const struct nft_script *s,
			const struct spd_specific *f, const unsigned *flags,
			size_t n);
char *nft_script_boot(const struct nft_script *s, enum config_bootmode mode,
		      const struct config_exemption *ex, size_t n);

/*
 * The counters of table in the JSON of "list counters" (libnftables'
 * schema: {"nftables": [{"metainfo": {...}}, {"counter": {"family":
 * ..., "name": ..., "table": ..., "packets": N, ...}}, ...]}).  Unknown
 * keys and objects are skipped; counters of other tables and families
 * are ignored.  0 = read, -1 = not that JSON.
 */
int nft_counters_parse(const char *json, size_t len, const char *table,
		       struct nft_enforce_counters *out);

#endif
