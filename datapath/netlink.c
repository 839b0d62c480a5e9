/*
 * netlink.c - the few rtnetlink requests the runtime makes, without a
 * library: policy routing rules (RTM_NEWRULE / RTM_DELRULE) and routes
 * in the private table via the TUN device (RTM_NEWROUTE / RTM_DELROUTE).
 * Every request asks for an acknowledgement and waits for it, so errors
 * are reported to the caller with the kernel's errno.
 */
#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt_int.h"

struct nl {
	int fd;
	uint32_t seq;
	pthread_mutex_t lock;
};

struct nl_req {
	struct nlmsghdr h;
	uint8_t body[512];
};

struct nl *
nl_open(char *err, size_t errlen)
{
	struct sockaddr_nl sa;
	struct nl *nl = calloc(1, sizeof(*nl));

	if (nl == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0) {
		snprintf(err, errlen, "netlink socket: %s", strerror(errno));
		free(nl);
		return NULL;
	}
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "netlink bind: %s", strerror(errno));
		close(nl->fd);
		free(nl);
		return NULL;
	}
	pthread_mutex_init(&nl->lock, NULL);
	nl->seq = (uint32_t)rt_now_ms();
	return nl;
}

void
nl_close(struct nl *nl)
{
	if (nl == NULL)
		return;
	close(nl->fd);
	pthread_mutex_destroy(&nl->lock);
	free(nl);
}

static void *
nl_put(struct nl_req *r, size_t len)
{
	void *p = (uint8_t *)&r->h + NLMSG_ALIGN(r->h.nlmsg_len);

	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + (uint32_t)len;
	memset(p, 0, len);
	return p;
}

static void
nl_attr(struct nl_req *r, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = nl_put(r, RTA_SPACE(len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
}

static void
nl_attr32(struct nl_req *r, uint16_t type, uint32_t v)
{
	nl_attr(r, type, &v, sizeof(v));
}

/* Sends r and waits for its acknowledgement: 0, or -errno. */
static int
nl_talk(struct nl *nl, struct nl_req *r)
{
	struct sockaddr_nl to = {.nl_family = AF_NETLINK};
	union {
		struct nlmsghdr h;
		uint8_t b[8192];
	} buf;
	uint32_t seq;
	int rc = -EIO;

	pthread_mutex_lock(&nl->lock);
	seq = ++nl->seq;
	r->h.nlmsg_seq = seq;
	r->h.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (sendto(nl->fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&to,
	           sizeof(to)) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = recv(nl->fd, &buf, sizeof(buf), 0);
		struct nlmsghdr *h;
		size_t left;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		left = (size_t)n;
		for (h = &buf.h; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					goto out;
				rc = e->error; /* 0 = ack */
				goto out;
			}
		}
	}
out:
	pthread_mutex_unlock(&nl->lock);
	return rc;
}

int
nl_rule(struct nl *nl, bool add, int family, uint32_t pref, uint32_t mark,
        uint32_t table, bool suppress, char *err, size_t errlen)
{
	struct nl_req r;
	struct fib_rule_hdr *frh;
	int rc;

	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(0);
	r.h.nlmsg_type = add ? RTM_NEWRULE : RTM_DELRULE;
	if (add)
		r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	frh = nl_put(&r, sizeof(*frh));
	frh->family = (uint8_t)family;
	frh->action = FR_ACT_TO_TBL;
	nl_attr32(&r, FRA_PRIORITY, pref);
	if (suppress) {
		frh->table = RT_TABLE_MAIN;
		nl_attr32(&r, FRA_TABLE, RT_TABLE_MAIN);
		nl_attr32(&r, FRA_SUPPRESS_PREFIXLEN, 0);
	} else {
		frh->flags = FIB_RULE_INVERT;
		frh->table = RT_TABLE_UNSPEC;
		nl_attr32(&r, FRA_FWMARK, mark);
		nl_attr32(&r, FRA_FWMASK, 0xffffffffu);
		nl_attr32(&r, FRA_TABLE, table);
	}
	rc = nl_talk(nl, &r);
	if (rc == -EEXIST && add)
		rc = 0; /* left by an earlier run: the same rule */
	if (rc < 0) {
		snprintf(err, errlen, "%s %s rule: %s",
		         add ? "adding" : "removing",
		         family == AF_INET ? "IPv4" : "IPv6", strerror(-rc));
		return -1;
	}
	return 0;
}

int
nl_route(struct nl *nl, bool add, const struct dp_addr *dst, unsigned plen,
         const struct dp_addr *prefsrc, int ifindex, uint32_t table, char *err,
         size_t errlen)
{
	struct nl_req r;
	struct rtmsg *rtm;
	uint8_t net[16];
	size_t alen;
	unsigned i;
	int rc;

	if (dst->family != AF_INET && dst->family != AF_INET6) {
		snprintf(err, errlen, "route: not an IP prefix");
		return -1;
	}
	alen = dst->family == AF_INET ? 4 : 16;
	if (plen > alen * 8 ||
	    (prefsrc != NULL && prefsrc->family != dst->family)) {
		snprintf(err, errlen, "route: bad prefix length or source");
		return -1;
	}
	/* The kernel refuses host bits past the prefix. */
	memcpy(net, dst->bytes, alen);
	for (i = 0; i < alen * 8; i++)
		if (i >= plen)
			net[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
	memset(&r, 0, sizeof(r));
	r.h.nlmsg_len = NLMSG_LENGTH(0);
	r.h.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	if (add)
		r.h.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	rtm = nl_put(&r, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)dst->family;
	rtm->rtm_dst_len = (uint8_t)plen;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope =
	    dst->family == AF_INET ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	nl_attr32(&r, RTA_TABLE, table);
	nl_attr(&r, RTA_DST, net, alen);
	nl_attr32(&r, RTA_OIF, (uint32_t)ifindex);
	if (add && prefsrc != NULL)
		nl_attr(&r, RTA_PREFSRC, prefsrc->bytes, alen);
	rc = nl_talk(nl, &r);
	if (rc < 0) {
		snprintf(err, errlen, "%s route: %s",
		         add ? "adding" : "removing", strerror(-rc));
		return -1;
	}
	return 0;
}
