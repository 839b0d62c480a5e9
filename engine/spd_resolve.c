/*
 * spd_resolve.c - what "me", the server types and DNS names stand for on
 * this machine (spec/ipsecsh.md, Linux mappings):
 *   me       every local address (getifaddrs), loopback excluded
 *   DNS      the nameservers of /etc/resolv.conf
 *   GATEWAY  the default gateways of the routing table (/proc/net/route,
 *            /proc/net/ipv6_route)
 *   DHCP     the server of a DHCP lease, if one is found
 *   WINS     not available: an error
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "spd.h"

static int
sys_local_addrs(void *arg, struct ip_addr *out, size_t max)
{
	struct ifaddrs *ifa = NULL;
	size_t n = 0;

	(void)arg;
	if (getifaddrs(&ifa) < 0)
		return -1;
	for (struct ifaddrs *i = ifa; i != NULL && n < max; i = i->ifa_next) {
		const struct sockaddr *sa = i->ifa_addr;
		if (sa == NULL)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		if (sa->sa_family == AF_INET) {
			const struct sockaddr_in *s4 = (const void *)sa;
			if ((ntohl(s4->sin_addr.s_addr) >> 24) == 127)
				continue;
			out[n].family = AF_INET;
			memcpy(out[n].bytes, &s4->sin_addr, 4);
			n++;
		} else if (sa->sa_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (const void *)sa;
			if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
				continue;
			out[n].family = AF_INET6;
			memcpy(out[n].bytes, &s6->sin6_addr, 16);
			n++;
		}
	}
	freeifaddrs(ifa);
	return (int)n;
}

static int
resolv_conf(struct ip_addr *out, size_t max, char *err, size_t errlen)
{
	FILE *f = fopen("/etc/resolv.conf", "re");
	char line[512];
	size_t n = 0;

	if (f == NULL) {
		snprintf(err, errlen, "DNS: /etc/resolv.conf cannot be read.");
		return -1;
	}
	while (n < max && fgets(line, sizeof(line), f) != NULL) {
		char addr[128];
		if (sscanf(line, " nameserver %127s", addr) == 1 &&
		    vocab_ip_parse(addr, &out[n]) == 0)
			n++;
	}
	fclose(f);
	if (n == 0) {
		snprintf(err, errlen, "DNS: /etc/resolv.conf names no "
				      "nameserver.");
		return -1;
	}
	return (int)n;
}

static int
gateways(struct ip_addr *out, size_t max, char *err, size_t errlen)
{
	FILE *f = fopen("/proc/net/route", "re");
	char line[512];
	size_t n = 0;

	if (f != NULL) {
		while (n < max && fgets(line, sizeof(line), f) != NULL) {
			char ifname[64];
			unsigned dst, gw, flags;
			/* Iface Destination Gateway Flags ... (hex, host
			 * order of the kernel = little endian here). */
			if (sscanf(line, "%63s %x %x %x", ifname, &dst, &gw,
				   &flags) != 4 ||
			    dst != 0 || gw == 0)
				continue;
			memset(&out[n], 0, sizeof(out[n]));
			out[n].family = AF_INET;
			memcpy(out[n].bytes, &gw, 4);
			n++;
		}
		fclose(f);
	}
	f = fopen("/proc/net/ipv6_route", "re");
	if (f != NULL) {
		while (n < max && fgets(line, sizeof(line), f) != NULL) {
			char dst[33], gw[33];
			unsigned plen;
			if (sscanf(line, "%32s %x %*s %*s %32s", dst, &plen,
				   gw) != 3 ||
			    plen != 0 || strspn(dst, "0") != 32 ||
			    strspn(gw, "0") == 32)
				continue;
			memset(&out[n], 0, sizeof(out[n]));
			out[n].family = AF_INET6;
			for (int i = 0; i < 16; i++) {
				unsigned b;
				sscanf(gw + 2 * i, "%2x", &b);
				out[n].bytes[i] = (uint8_t)b;
			}
			n++;
		}
		fclose(f);
	}
	if (n == 0) {
		snprintf(err, errlen, "GATEWAY: the routing table has no "
				      "default gateway.");
		return -1;
	}
	return (int)n;
}

/* "option dhcp-server-identifier A.B.C.D;" in dhclient lease files. */
static int
dhcp_server(struct ip_addr *out, size_t max, char *err, size_t errlen)
{
	static const char *const dirs[] = {"/var/lib/dhcp", "/var/lib/dhclient",
					   NULL};
	size_t n = 0;

	for (size_t d = 0; dirs[d] != NULL && n == 0; d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *e;
		if (dir == NULL)
			continue;
		while (n < max && (e = readdir(dir)) != NULL) {
			char path[512], line[512];
			FILE *f;
			if (strstr(e->d_name, ".lease") == NULL)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[d],
				 e->d_name);
			f = fopen(path, "re");
			if (f == NULL)
				continue;
			while (n < max && fgets(line, sizeof(line), f)) {
				char addr[64];
				if (sscanf(line,
					   " option dhcp-server-identifier "
					   "%63[0-9.]",
					   addr) == 1 &&
				    vocab_ip_parse(addr, &out[n]) == 0)
					n = 1; /* the latest lease wins */
			}
			fclose(f);
		}
		closedir(dir);
	}
	if (n == 0) {
		snprintf(err, errlen, "DHCP: no DHCP lease was found, so the "
				      "DHCP server is unknown.");
		return -1;
	}
	return (int)n;
}

static int
sys_server_addrs(void *arg, enum addr_kind kind, struct ip_addr *out,
		 size_t max, char *err, size_t errlen)
{
	(void)arg;
	switch (kind) {
	case ADDR_SRV_DNS:
		return resolv_conf(out, max, err, errlen);
	case ADDR_SRV_GATEWAY:
		return gateways(out, max, err, errlen);
	case ADDR_SRV_DHCP:
		return dhcp_server(out, max, err, errlen);
	case ADDR_SRV_WINS:
		snprintf(err, errlen, "WINS: Linux has no WINS servers; use "
				      "their addresses.");
		return -1;
	default:
		snprintf(err, errlen, "not a server type.");
		return -1;
	}
}

static int
sys_dns(void *arg, const char *name, struct ip_addr *out, size_t max,
	char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	size_t n = 0;
	int rc;

	(void)arg;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "\"%s\" does not resolve: %s.", name,
			 gai_strerror(rc));
		return -1;
	}
	for (struct addrinfo *a = res; a != NULL && n < max; a = a->ai_next) {
		memset(&out[n], 0, sizeof(out[n]));
		if (a->ai_family == AF_INET) {
			const struct sockaddr_in *s4 = (const void *)a->ai_addr;
			out[n].family = AF_INET;
			memcpy(out[n].bytes, &s4->sin_addr, 4);
			n++;
		} else if (a->ai_family == AF_INET6) {
			const struct sockaddr_in6 *s6 =
				(const void *)a->ai_addr;
			out[n].family = AF_INET6;
			memcpy(out[n].bytes, &s6->sin6_addr, 16);
			n++;
		}
	}
	freeaddrinfo(res);
	return (int)n;
}

const struct spd_resolver spd_system_resolver = {
	.local_addrs = sys_local_addrs,
	.server_addrs = sys_server_addrs,
	.dns = sys_dns,
	.arg = NULL,
};
