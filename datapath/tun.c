/*
 * tun.c - the multi-queue TUN device of the runtime: IFF_TUN | IFF_NO_PI
 * | IFF_MULTI_QUEUE, one non-blocking file descriptor per queue (so one
 * worker per queue; the kernel spreads flows over the queues by hash),
 * MTU set and the link brought up.  The device is not persistent: it
 * disappears, with its routes, when the last queue is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rt_int.h"

uint64_t
rt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
tun_queue(const char *name, bool vnet, char *got, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "/dev/net/tun: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE;
	if (vnet)
		ifr.ifr_flags |= IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, errlen, "TUNSETIFF %s: %s", name,
		         strerror(errno));
		close(fd);
		return -1;
	}
	memcpy(got, ifr.ifr_name, IFNAMSIZ);
	return fd;
}

/* Best effort: without IPv6 the file is not there. */
static void
no_link_local(const char *dev)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/addr_gen_mode",
	         dev);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "1", 1) < 0) {
		/* IPv6 link-local chatter is then ignored by the workers */
	}
	close(fd);
}

int
tun_open(const char *name, unsigned n, unsigned mtu, unsigned txqlen,
         bool *vnet, int *fds, int *ifindex, char *err, size_t errlen)
{
	char got[IFNAMSIZ] = "";
	struct ifreq ifr;
	unsigned i;
	int s = -1, rc = -1;

	if (strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "TUN name \"%s\" too long", name);
		return -1;
	}
	for (i = 0; i < n; i++)
		fds[i] = -1;
	for (i = 0; i < n; i++) {
		/* Every queue after the first attaches to the same device. */
		fds[i] =
		    tun_queue(i == 0 ? name : got, *vnet, got, err, errlen);
		if (fds[i] < 0)
			goto out;
	}
	/* TSO of TCP over IPv4 and IPv6, with checksums left to us.  A
	 * kernel that refuses still gives us the header: no offload. */
	if (*vnet && ioctl(fds[0], TUNSETOFFLOAD,
	                   TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) < 0)
		ioctl(fds[0], TUNSETOFFLOAD, 0);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto out;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, got, IFNAMSIZ);
	ifr.ifr_mtu = (int)mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0) {
		snprintf(err, errlen, "MTU %u on %s: %s", mtu, got,
		         strerror(errno));
		goto out;
	}
	ifr.ifr_qlen = (int)txqlen;
	if (ioctl(s, SIOCSIFTXQLEN, &ifr) < 0) {
		snprintf(err, errlen, "txqueuelen %u on %s: %s", txqlen, got,
		         strerror(errno));
		goto out;
	}
	no_link_local(got);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		snprintf(err, errlen, "flags of %s: %s", got, strerror(errno));
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
		snprintf(err, errlen, "bringing %s up: %s", got,
		         strerror(errno));
		goto out;
	}
	*ifindex = (int)if_nametoindex(got);
	if (*ifindex == 0) {
		snprintf(err, errlen, "index of %s: %s", got, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (s >= 0)
		close(s);
	if (rc < 0)
		for (i = 0; i < n; i++)
			if (fds[i] >= 0) {
				close(fds[i]);
				fds[i] = -1;
			}
	return rc;
}
