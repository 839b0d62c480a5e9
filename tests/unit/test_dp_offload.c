/*
 * test_dp_offload.c - the runtime's TUN offloads (datapath/offload.c),
 * without a TUN device: a TCP super-packet as the kernel hands it over
 * (TSO) is cut into segments whose headers, lengths, sequence numbers,
 * flags and checksums are checked one by one; the segments coalesced
 * again (GRO) are read back from a socketpair standing in for the TUN
 * queue and must give the original stream with the virtio-net header
 * the kernel expects; partial checksums are completed correctly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/virtio_net.h>

#include "datapath/pkt.h"
#include "datapath/rt_core.h"

#define PAYLOAD 20000u
#define MSS 1448u
#define THL 32u /* TCP header with a timestamps option */

struct fixture {
	struct rt_worker *w;
	int peer; /* the other end of the "TUN queue" */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int sv[2];
	unsigned g;

	assert_non_null(f);
	f->w = aligned_alloc(64, (sizeof(*f->w) + 63) & ~(size_t)63);
	assert_non_null(f->w);
	memset(f->w, 0, sizeof(*f->w));
	f->w->pool = dp_pool_new(64, DP_PKT_DEFAULT_SIZE);
	assert_non_null(f->w->pool);
	for (g = 0; g < GRO_MAX; g++) {
		f->w->gro[g].buf = malloc(VNET_HLEN + GRO_MAXLEN);
		assert_non_null(f->w->gro[g].buf);
	}
	/* Datagrams keep write boundaries, as the TUN device does. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	f->w->tun = sv[0];
	f->peer = sv[1];
	f->w->vnet = true;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	unsigned g;

	close(f->w->tun);
	close(f->peer);
	for (g = 0; g < GRO_MAX; g++)
		free(f->w->gro[g].buf);
	dp_pool_free(f->w->pool);
	free(f->w);
	free(f);
	return 0;
}

/* A TCP/IPv4 super-packet: addresses, ports, seq 1000, ACK | PSH | FIN
 * as given, a timestamps option, a payload of i * 7 bytes. */
static size_t
super_packet(uint8_t *p, uint8_t flags)
{
	size_t i, len = IP4_HLEN + THL + PAYLOAD;

	memset(p, 0, IP4_HLEN + THL);
	p[0] = 0x45;
	wr16(p + 2, 0); /* TSO packets may carry any total length */
	wr16(p + 4, 0x1234);
	p[6] = 0x40; /* DF */
	p[8] = 64;
	p[9] = IPPROTO_NUM_TCP;
	memcpy(p + 12, "\x0a\x4e\x01\x01\x0a\x4e\x02\x01", 8);
	wr16(p + 20, 40000);
	wr16(p + 22, 5001);
	wr32(p + 24, 1000);
	wr32(p + 28, 77);
	p[32] = (uint8_t)((THL / 4) << 4);
	p[33] = flags;
	wr16(p + 34, 512);
	p[40] = 1;
	p[41] = 1;
	p[42] = 8; /* timestamps */
	p[43] = 10;
	wr32(p + 44, 0xaabbccdd);
	wr32(p + 48, 0x11223344);
	for (i = 0; i < PAYLOAD; i++)
		p[IP4_HLEN + THL + i] = (uint8_t)(i * 7);
	return len;
}

/* A packet's transport checksum is right if the sum over pseudo-header
 * and transport part, checksum included, is 0xffff. */
static bool
l4_ok(const uint8_t *p, size_t len)
{
	uint8_t ph[12];
	uint32_t s;

	memcpy(ph, p + 12, 8);
	ph[8] = 0;
	ph[9] = p[9];
	wr16(ph + 10, (uint16_t)(len - IP4_HLEN));
	s = csum_add(0, ph, sizeof(ph));
	s = csum_add(s, p + IP4_HLEN, len - IP4_HLEN);
	return csum_fold(s) == 0xffff;
}

static bool
ip_ok(const uint8_t *p)
{
	return csum_fold(csum_add(0, p, IP4_HLEN)) == 0xffff;
}

static struct dp_pkt *segs[64];
static size_t nsegs;

static void
collect(void *arg, struct dp_pkt *pkt)
{
	(void)arg;
	assert_true(nsegs < 64);
	segs[nsegs++] = pkt;
}

static void
cut(struct fixture *f, uint8_t flags)
{
	static uint8_t sp[IP4_HLEN + THL + PAYLOAD];
	struct virtio_net_hdr vh;
	size_t len = super_packet(sp, flags);

	memset(&vh, 0, sizeof(vh));
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh.gso_size = MSS;
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.csum_start = IP4_HLEN;
	vh.csum_offset = 16;
	nsegs = 0;
	assert_int_equal(off_segment(f->w, &vh, sp, len, collect, NULL),
	                 (PAYLOAD + MSS - 1) / MSS);
}

static void
test_segment(void **state)
{
	struct fixture *f = *state;
	size_t i, off = 0;

	cut(f, 0x18 | 0x01 | 0x80); /* ACK PSH FIN CWR */
	assert_int_equal(nsegs, 14);
	for (i = 0; i < nsegs; i++) {
		const uint8_t *p = dp_pkt_data(segs[i]);
		size_t seg = i + 1 < nsegs ? MSS : PAYLOAD - off, j;
		uint8_t fl = p[IP4_HLEN + 13];

		assert_int_equal(segs[i]->len, IP4_HLEN + THL + seg);
		assert_int_equal(rd16(p + 2), segs[i]->len);
		assert_int_equal(rd16(p + 4), (uint16_t)(0x1234 + i));
		assert_true(ip_ok(p));
		assert_true(l4_ok(p, segs[i]->len));
		assert_int_equal(rd32(p + IP4_HLEN + 4), 1000 + off);
		/* Options copied, payload in place. */
		assert_int_equal(rd32(p + 44), 0xaabbccdd);
		for (j = 0; j < seg; j++)
			if (p[IP4_HLEN + THL + j] != (uint8_t)((off + j) * 7))
				fail_msg("segment %zu byte %zu", i, j);
		/* PSH and FIN on the last only, CWR on the first only. */
		assert_int_equal(fl & 0x09, i + 1 == nsegs ? 0x09 : 0);
		assert_int_equal(fl & 0x80, i == 0 ? 0x80 : 0);
		assert_int_equal(fl & 0x10, 0x10);
		off += seg;
	}
	for (i = 0; i < nsegs; i++)
		dp_pkt_release(segs[i]);
	assert_int_equal(dp_pool_available(f->w->pool), 64);
}

static void
test_refuses(void **state)
{
	struct fixture *f = *state;
	static uint8_t sp[IP4_HLEN + THL + PAYLOAD];
	struct virtio_net_hdr vh;
	size_t len = super_packet(sp, 0x10);

	memset(&vh, 0, sizeof(vh));
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6; /* but it is IPv4 */
	vh.gso_size = MSS;
	nsegs = 0;
	assert_int_equal(off_segment(f->w, &vh, sp, len, collect, NULL), -1);
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh.gso_size = 0;
	assert_int_equal(off_segment(f->w, &vh, sp, len, collect, NULL), -1);
	sp[9] = IPPROTO_NUM_UDP;
	vh.gso_size = MSS;
	assert_int_equal(off_segment(f->w, &vh, sp, len, collect, NULL), -1);
	assert_int_equal(nsegs, 0);
}

/* Reads one write of the "TUN device". */
static size_t
read_tun(struct fixture *f, uint8_t *buf, size_t max)
{
	ssize_t r = recv(f->peer, buf, max, MSG_DONTWAIT);

	return r < 0 ? 0 : (size_t)r;
}

static void
test_coalesce(void **state)
{
	struct fixture *f = *state;
	static uint8_t buf[VNET_HLEN + GRO_MAXLEN + 64];
	struct virtio_net_hdr vh;
	const uint8_t *p;
	uint8_t ph[12];
	size_t i, n;

	cut(f, 0x18); /* ACK PSH */
	for (i = 0; i < nsegs; i++)
		assert_true(off_gro_add(f->w, segs[i]));
	off_gro_flush(f->w);
	n = read_tun(f, buf, sizeof(buf));
	assert_int_equal(n, VNET_HLEN + IP4_HLEN + THL + PAYLOAD);
	memcpy(&vh, buf, sizeof(vh));
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(vh.gso_size, MSS);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.hdr_len, IP4_HLEN + THL);
	assert_int_equal(vh.csum_start, IP4_HLEN);
	assert_int_equal(vh.csum_offset, 16);
	p = buf + VNET_HLEN;
	assert_int_equal(rd16(p + 2), IP4_HLEN + THL + PAYLOAD);
	assert_true(ip_ok(p));
	assert_int_equal(rd32(p + IP4_HLEN + 4), 1000);
	assert_int_equal(p[IP4_HLEN + 13], 0x18); /* PSH of the last */
	for (i = 0; i < PAYLOAD; i++)
		if (p[IP4_HLEN + THL + i] != (uint8_t)(i * 7))
			fail_msg("byte %zu", i);
	/* The checksum field holds the pseudo-header sum (partial). */
	memcpy(ph, p + 12, 8);
	ph[8] = 0;
	ph[9] = IPPROTO_NUM_TCP;
	wr16(ph + 10, (uint16_t)(THL + PAYLOAD));
	assert_int_equal(rd16(p + IP4_HLEN + 16),
	                 csum_fold(csum_add(0, ph, sizeof(ph))));
	assert_int_equal(read_tun(f, buf, sizeof(buf)), 0);
	assert_int_equal(dp_pool_available(f->w->pool), 64);
}

static void
test_coalesce_gap_and_other(void **state)
{
	struct fixture *f = *state;
	static uint8_t buf[VNET_HLEN + GRO_MAXLEN + 64];
	struct virtio_net_hdr vh;
	struct dp_pkt *icmp;
	size_t i, n, total = 0, writes = 0;

	cut(f, 0x10);
	/* Segment 5 lost: 0-4 make one write, 6.. another. */
	dp_pkt_release(segs[5]);
	for (i = 0; i < nsegs; i++)
		if (i != 5)
			assert_true(off_gro_add(f->w, segs[i]));
	/* Not TCP: not taken. */
	icmp = dp_pool_get(f->w->pool);
	memcpy(dp_pkt_data(icmp),
	       "\x45\0\0\x1c\0\0\0\0\x40\x01\0\0"
	       "\x0a\x4e\x01\x01\x0a\x4e\x02\x01"
	       "\x08\0\0\0\0\0\0\0",
	       28);
	icmp->len = 28;
	assert_false(off_gro_add(f->w, icmp));
	dp_pkt_release(icmp);
	off_gro_flush(f->w);
	while ((n = read_tun(f, buf, sizeof(buf))) > 0) {
		memcpy(&vh, buf, sizeof(vh));
		assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
		total += n - VNET_HLEN - IP4_HLEN - THL;
		writes++;
	}
	assert_int_equal(writes, 2);
	assert_int_equal(total, PAYLOAD - MSS);
	assert_int_equal(dp_pool_available(f->w->pool), 64);
}

static void
test_csum_finish(void **state)
{
	uint8_t p[IP4_HLEN + 8 + 101];
	uint8_t ph[12];
	size_t len = sizeof(p), i;

	(void)state;
	memset(p, 0, sizeof(p));
	p[0] = 0x45;
	wr16(p + 2, (uint16_t)len);
	p[8] = 64;
	p[9] = IPPROTO_NUM_UDP;
	memcpy(p + 12, "\x0a\x4e\x01\x01\x0a\x4e\x02\x01", 8);
	wr16(p + 20, 4500);
	wr16(p + 22, 4500);
	wr16(p + 24, (uint16_t)(len - IP4_HLEN));
	for (i = 28; i < len; i++) /* odd length: a trailing byte */
		p[i] = (uint8_t)(i * 13 + 1);
	/* As the kernel leaves it: the pseudo-header sum in the field. */
	memcpy(ph, p + 12, 8);
	ph[8] = 0;
	ph[9] = IPPROTO_NUM_UDP;
	wr16(ph + 10, (uint16_t)(len - IP4_HLEN));
	wr16(p + 26, csum_fold(csum_add(0, ph, sizeof(ph))));
	off_csum_finish(p, len, IP4_HLEN, IP4_HLEN + 6);
	assert_true(l4_ok(p, len));
	/* Out of range: left alone. */
	off_csum_finish(p, len, len + 1, len + 3);
	assert_true(l4_ok(p, len));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_segment, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_coalesce, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_coalesce_gap_and_other, setup,
	                                    teardown),
	    cmocka_unit_test(test_csum_finish),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
