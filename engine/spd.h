/*
 * spd.h - the live security policy database of the service: the dynamic
 * main mode policies, quick mode policies and rules of netsh's "ipsec
 * dynamic" context (reference §3), and the filters each rule yields.
 *
 * A rule is identified by its filter tuple (addresses, masks, protocol,
 * ports, mirrored, connection type, tunnel end point); what a rule does
 * (main and quick mode policy, inbound and outbound action,
 * authentication) may change.  Each rule yields one main mode filter and
 * one quick mode filter per direction (two when mirrored); spd_compile
 * turns those into concrete filters for the datapath, with "me", server
 * types and DNS names expanded ("specific" filters).
 *
 * Values arrive canonical and valid (store/vocab.h); the SPD checks
 * relations: names unique, referenced policies exist, a policy in use is
 * not deleted, a negotiating rule names a quick mode policy.  Errors are
 * -1 with a one-line message in the caller's buffer.
 *
 * The SPD lives in memory in the service's main thread; nothing here is
 * locked.  It is gone when the service stops.
 */
#ifndef IPSECSH_SPD_H
#define IPSECSH_SPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "vocab.h"

#define SPD_ERR_MAX 256

enum spd_action {
	SPD_PERMIT = 0,
	SPD_BLOCK = 1,
	SPD_NEGOTIATE = 2,
};

/* Policies and rules carry their origin: "" for dynamic entries (added
 * by hand), else the static policy (and rule) the policy agent made them
 * from.  Both kinds of policy start with their name. */
struct spd_mmpolicy {
	char name[STORE_NAME_MAX];
	char origin[STORE_NAME_MAX];
	int qmpermm;		  /* 0 = unlimited */
	int mmlifetime;		  /* minutes */
	int softsaexpirationtime; /* seconds; 0 = not set */
	char mmsecmethods[STORE_METHODS_MAX];
	struct mm_methods methods;
};

struct spd_qmpolicy {
	char name[STORE_NAME_MAX];
	char origin[STORE_NAME_MAX];
	bool soft;
	/* The static filter action's inpass=yes: unsecured inbound traffic
	 * is accepted (nft.h).  Only the policy agent sets it; dynamic
	 * quick mode policies have no such parameter (netsh's neither). */
	bool inpass;
	int pfsgroup;		  /* IANA group, 0 = none, -1 = as main mode */
	char qmsecmethods[STORE_METHODS_MAX];
	struct qm_methods methods;
};

/* The identifying part of a rule. */
struct spd_rule_key {
	char srcaddr[STORE_ADDR_MAX];
	char dstaddr[STORE_ADDR_MAX];
	char srcmask[STORE_MASK_MAX];
	char dstmask[STORE_MASK_MAX];
	int protocol;
	int srcport, dstport;
	bool mirrored;
	enum store_conntype conntype;
	char tunnel[STORE_ADDR_MAX]; /* tunnel end point; "" = transport */
};

struct spd_rule {
	unsigned id;		  /* 1, 2, ... in order of addition */
	struct spd_rule_key key;
	char mmpolicy[STORE_NAME_MAX];
	char qmpolicy[STORE_NAME_MAX]; /* "" = none */
	enum spd_action inbound, outbound;
	size_t nauth;
	struct store_auth auth[STORE_AUTH_MAX];
	/* Where it came from: "" for a dynamic rule, else "policy/rule" of
	 * the assigned static policy (the policy agent's, later). */
	char origin[2 * STORE_NAME_MAX];
};

struct spd;

struct spd *spd_new(void);
/* Frees everything and wipes pre-shared keys. */
void spd_free(struct spd *spd);
/* Increases on every change; the datapath is recompiled when it moves. */
uint64_t spd_generation(const struct spd *spd);

int spd_mmpolicy_add(struct spd *spd, const struct spd_mmpolicy *p,
		     char *err, size_t errlen);
int spd_mmpolicy_set(struct spd *spd, const struct spd_mmpolicy *p,
		     char *err, size_t errlen);
int spd_mmpolicy_delete(struct spd *spd, const char *name, char *err,
			size_t errlen);
const struct spd_mmpolicy *spd_mmpolicy_get(const struct spd *spd,
					    const char *name);
/* i-th policy by name order, NULL past the end. */
const struct spd_mmpolicy *spd_mmpolicy_at(const struct spd *spd, size_t i);

int spd_qmpolicy_add(struct spd *spd, const struct spd_qmpolicy *p,
		     char *err, size_t errlen);
int spd_qmpolicy_set(struct spd *spd, const struct spd_qmpolicy *p,
		     char *err, size_t errlen);
int spd_qmpolicy_delete(struct spd *spd, const char *name, char *err,
			size_t errlen);
const struct spd_qmpolicy *spd_qmpolicy_get(const struct spd *spd,
					    const char *name);
const struct spd_qmpolicy *spd_qmpolicy_at(const struct spd *spd, size_t i);

/* The first rule that uses a main (mm) or quick mode policy, or NULL. */
const struct spd_rule *spd_policy_user(const struct spd *spd,
				       const char *name, bool mm);

/* Adds a rule (r->id is assigned); the key must be new. */
int spd_rule_add(struct spd *spd, struct spd_rule *r, char *err,
		 size_t errlen);
/* Replaces what the rule with r->key does (policies, actions, auth). */
int spd_rule_set(struct spd *spd, const struct spd_rule *r, char *err,
		 size_t errlen);
int spd_rule_delete(struct spd *spd, const struct spd_rule_key *key,
		    char *err, size_t errlen);
const struct spd_rule *spd_rule_find(const struct spd *spd,
				     const struct spd_rule_key *key);
/* i-th rule in order of addition, NULL past the end. */
const struct spd_rule *spd_rule_at(const struct spd *spd, size_t i);

/* Removes every rule, then every policy. */
void spd_delete_all(struct spd *spd);
/* Removes the entries of the policy agent (origin not ""): rules first. */
void spd_delete_agent(struct spd *spd);

/* ---- filters -------------------------------------------------------- */

/*
 * One quick mode filter as configured ("generic"): the rule's addresses
 * as written.  A filter matches packets from its source to its
 * destination, whichever way they travel: an outbound packet gets the
 * rule's outbound action, an inbound one its inbound action.  A mirrored
 * rule yields a second filter with source and destination swapped.
 */
struct spd_qmfilter {
	const struct spd_rule *rule;
	bool mirror; /* the swapped twin of a mirrored rule */
	char srcaddr[STORE_ADDR_MAX], dstaddr[STORE_ADDR_MAX];
	char srcmask[STORE_MASK_MAX], dstmask[STORE_MASK_MAX];
	int srcport, dstport;
	char name[64]; /* "QMFilter-<rule id>" and "QMFilter-<id>-mirror" */
};

/* The generic quick mode filters of every rule, in rule order. */
size_t spd_qmfilters(const struct spd *spd, struct spd_qmfilter *out,
		     size_t max);

/*
 * A concrete ("specific") filter: addresses expanded to prefixes, one
 * per address of "me", of a server type or of a DNS name.  family 0 with
 * plen 0 is any address.
 */
struct spd_specific {
	const struct spd_rule *rule;
	bool mirror;
	struct ip_addr src, dst;
	uint8_t src_plen, dst_plen;
	uint8_t protocol;
	uint16_t srcport, dstport;
	enum spd_action inbound, outbound; /* the rule's actions */
	bool tunnel;
	struct ip_addr tunnel_dst; /* tunnel mode: the peer gateway */
};

/*
 * How keywords become addresses; the service passes the real lookups,
 * tests pass fixed ones.  Each fills up to max addresses and returns how
 * many, or -1 on failure (err says why).
 */
struct spd_resolver {
	int (*local_addrs)(void *arg, struct ip_addr *out, size_t max);
	int (*server_addrs)(void *arg, enum addr_kind kind,
			    struct ip_addr *out, size_t max, char *err,
			    size_t errlen);
	int (*dns)(void *arg, const char *name, struct ip_addr *out,
		   size_t max, char *err, size_t errlen);
	void *arg;
};

/*
 * Expands every quick mode filter into specific filters, most specific
 * first (longer prefixes, then protocol, then ports), the order in which
 * the datapath must try them.  Returns the number written (at most max),
 * or -1 with err set when a keyword cannot be expanded.
 */
long spd_compile(const struct spd *spd, const struct spd_resolver *res,
		 struct spd_specific *out, size_t max, char *err,
		 size_t errlen);

/* The real resolver: getifaddrs, /etc/resolv.conf, the routing table,
 * DHCP lease files and getaddrinfo. */
extern const struct spd_resolver spd_system_resolver;

#endif
