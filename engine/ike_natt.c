/*
 * ike_natt.c - NAT traversal for IKEv1 (RFC 3947, RFC 3948, and the
 * draft-ietf-ipsec-nat-t-ike-02 dialect old peers still speak): vendor
 * IDs, NAT-D payloads and what they tell, the float to the NAT-T port
 * after main mode message 4, the UDP-encapsulated modes of Quick Mode
 * and NAT keepalives.
 *
 * Forced encapsulation (ike_mm_conf.natt_force): our own NAT-D hash is
 * computed over random bytes, so the peer believes we are behind a NAT
 * and both sides float and encapsulate.  strongSwan's kernel-libipsec
 * does exactly this (shared/lab/README.md), and on these machines ESP
 * travels only in UDP, so we must be able to do it too.
 */
#include "ike_int.h"

#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

/* MD5("RFC 3947") */
const uint8_t ike_vid_rfc3947[16] = {0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03,
                                     0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2,
                                     0x0e, 0x95, 0x45, 0x2f};
/* MD5("draft-ietf-ipsec-nat-t-ike-02\n") */
const uint8_t ike_vid_draft02n[16] = {0x90, 0xcb, 0x80, 0x91, 0x3e, 0xbb,
                                      0x69, 0x6e, 0x08, 0x63, 0x81, 0xb5,
                                      0xec, 0x42, 0x7b, 0x1f};
/* MD5("draft-ietf-ipsec-nat-t-ike-02") */
const uint8_t ike_vid_draft02[16] = {0xcd, 0x60, 0x46, 0x43, 0x35, 0xdf,
                                     0x21, 0xf8, 0x7c, 0xfd, 0xb2, 0xfc,
                                     0x68, 0xb6, 0xa4, 0x48};

uint8_t
ike_natt_from_vids(const struct ike_msg *m)
{
	uint8_t best = IKE_NATT_NONE;

	for (unsigned i = 0; i < m->npl; i++) {
		const struct ike_pl *pl = &m->pl[i];
		if (pl->type != IKE_PL_VID || pl->body.len != 16)
			continue;
		if (memcmp(pl->body.p, ike_vid_rfc3947, 16) == 0)
			best = IKE_NATT_RFC;
		else if (best == IKE_NATT_NONE &&
		         (memcmp(pl->body.p, ike_vid_draft02n, 16) == 0 ||
		          memcmp(pl->body.p, ike_vid_draft02, 16) == 0))
			best = IKE_NATT_DRAFT;
	}
	return best;
}

/* The initiator offers both flavours (as strongSwan and Windows do); the
 * responder answers with the one it picked. */
int
ike_natt_add_vids(struct ike_msg_builder *b, uint8_t peer_natt, bool initiator)
{
	if (initiator || peer_natt == IKE_NATT_RFC)
		ike_msg_build_vid(b, ike_vid_rfc3947, 16);
	if (initiator || peer_natt == IKE_NATT_DRAFT)
		ike_msg_build_vid(b, ike_vid_draft02n, 16);
	return b->failed ? -1 : 0;
}

uint8_t
ike_natd_type(const struct ike_isa *sa)
{
	return sa->natt == IKE_NATT_DRAFT ? IKE_PL_NATD_DRAFT : IKE_PL_NATD;
}

/* HASH(CKY-I | CKY-R | IP | Port), the negotiated hash (RFC 3947
 * section 3.2). */
static int
natd_hash(const struct ike_isa *sa, const struct ike_endpoint *ep, uint8_t *out,
          size_t *len)
{
	uint8_t port[2] = {(uint8_t)(ep->port >> 8), (uint8_t)ep->port};
	struct ike_chunk c[4] = {
	    {sa->icookie, IKE_COOKIE_LEN},
	    {sa->rcookie, IKE_COOKIE_LEN},
	    {ep->addr.bytes, ep->addr.family == AF_INET ? 4u : 16u},
	    {port, sizeof(port)},
	};

	*len = ike_hash_len(sa->offer.hash);
	if (*len == 0)
		return -1;
	return ike_digest((enum ike_hash)sa->offer.hash, c, 4, out, NULL, 0);
}

/*
 * The first NAT-D carries the hash of the remote end (the datagram's
 * destination), the second ours (its source).  Forced: ours is false.
 */
int
ike_natt_add_natd(struct ike_isa *sa, struct ike_msg_builder *b,
                  const struct ike_endpoint *local,
                  const struct ike_endpoint *remote)
{
	uint8_t h[IKE_HASH_MAX_LEN];
	size_t len;
	uint8_t type = ike_natd_type(sa);

	if (natd_hash(sa, remote, h, &len) < 0)
		return -1;
	ike_msg_build_raw(b, type, h, len);
	if (sa->natt_force)
		ike_random(sa->ike, h, len);
	else if (natd_hash(sa, local, h, &len) < 0)
		return -1;
	ike_msg_build_raw(b, type, h, len);
	return b->failed ? -1 : 0;
}

int
ike_natt_check_natd(struct ike_isa *sa, const struct ike_msg *m,
                    const struct ike_endpoint *local,
                    const struct ike_endpoint *remote)
{
	uint8_t mine[IKE_HASH_MAX_LEN], theirs[IKE_HASH_MAX_LEN];
	uint8_t type = ike_natd_type(sa);
	bool first = true, peer_match = false;
	unsigned n = 0;
	size_t len;

	if (natd_hash(sa, local, mine, &len) < 0 ||
	    natd_hash(sa, remote, theirs, &len) < 0)
		return -1;
	for (unsigned i = 0; i < m->npl; i++) {
		const struct ike_pl *pl = &m->pl[i];
		if (pl->type != type)
			continue;
		n++;
		if (first) {
			first = false;
			sa->nat_local = pl->body.len != len ||
			                memcmp(pl->body.p, mine, len) != 0;
		} else if (pl->body.len == len &&
		           memcmp(pl->body.p, theirs, len) == 0) {
			peer_match = true;
		}
	}
	if (n < 2) {
		/* NAT-T agreed by vendor ID but no NAT-D: no detection, no
		 * float (unless we force it). */
		sa->nat_local = sa->nat_peer = false;
		return n == 0 ? 0 : -1;
	}
	sa->nat_peer = !peer_match;
	if (sa->natt_force)
		sa->nat_local = true;
	return 0;
}

void
ike_natt_float(struct ike_isa *sa)
{
	struct ike *ike = sa->ike;

	if (sa->floated || sa->natt == IKE_NATT_NONE ||
	    !(sa->nat_local || sa->nat_peer || sa->natt_force))
		return;
	sa->floated = true;
	sa->local.port = ike->conf.natt_port;
	sa->remote.port = ike->conf.natt_port;
	ike_sa_log(ike, sa, LOG_INFO, "NAT %s%s%s: IKE moves to port %u",
	           sa->nat_local ? "here" : "",
	           sa->nat_local && sa->nat_peer ? " and " : "",
	           sa->nat_peer ? "at the peer"
	                        : (sa->nat_local ? "" : "forced"),
	           ike->conf.natt_port);
}

bool
ike_natt_encap(const struct ike_isa *sa)
{
	return sa->floated;
}

uint16_t
ike_natt_encap_mode(const struct ike_isa *sa, bool tunnel)
{
	if (!ike_natt_encap(sa))
		return tunnel ? IKE_ENCAP_TUNNEL : IKE_ENCAP_TRANSPORT;
	if (sa->natt == IKE_NATT_DRAFT)
		return tunnel ? IKE_ENCAP_UDP_TUNNEL_DRAFT
		              : IKE_ENCAP_UDP_TRANSPORT_DRAFT;
	return tunnel ? IKE_ENCAP_UDP_TUNNEL : IKE_ENCAP_UDP_TRANSPORT;
}

int
ike_encap_decode(uint16_t mode, bool *tunnel, bool *udp)
{
	switch (mode) {
	case IKE_ENCAP_TUNNEL:
		*tunnel = true, *udp = false;
		return 0;
	case IKE_ENCAP_TRANSPORT:
		*tunnel = false, *udp = false;
		return 0;
	case IKE_ENCAP_UDP_TUNNEL:
	case IKE_ENCAP_UDP_TUNNEL_DRAFT:
		*tunnel = true, *udp = true;
		return 0;
	case IKE_ENCAP_UDP_TRANSPORT:
	case IKE_ENCAP_UDP_TRANSPORT_DRAFT:
		*tunnel = false, *udp = true;
		return 0;
	default:
		return -1;
	}
}

/* Keepalives keep our NAT's mapping open (RFC 3948 section 4): only
 * the side behind the NAT (or forcing encapsulation) sends them. */
void
ike_natt_timer(struct ike_isa *sa)
{
	struct ike *ike = sa->ike;

	if (sa->keepalive_ms == 0)
		return;
	if (ike->now >= sa->keepalive_ms) {
		if (ike->env->send_keepalive != NULL)
			ike->env->send_keepalive(ike->env->arg, &sa->local,
			                         &sa->remote);
		sa->keepalive_ms = ike->now + ike->conf.keepalive_ms;
	}
	ike_due(ike, &sa->tn, sa->keepalive_ms);
}
