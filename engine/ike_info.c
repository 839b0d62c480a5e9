/*
 * ike_info.c - the Informational exchange (RFC 2408 section 4.8, RFC
 * 2409 section 5.7): notifications and deletes, sent and received, and
 * INITIAL-CONTACT (RFC 2407 section 4.6.3.3).
 *
 *   HDR*, HASH(1), N | D ...       HASH(1) = prf(SKEYID_a, M-ID | N/D)
 *
 * Protection: once main mode is established every informational is
 * encrypted and carries HASH(1); before that a notify goes in clear.
 * Received informationals act only when protected on an established SA
 * (HASH checked, message id new); anything else - clear notifies,
 * informationals on a half-open SA, which the peer has not
 * authenticated yet (the CVE-2019-12312 class) - is only logged.
 *
 * Deletes: each SPI is looked up among this peer's pairs; an unknown or
 * already deleted SPI is logged and ignored, and everything a delete
 * removes is only marked dead and freed after the message (duplicate
 * and cascaded deletes, CVE-2023-38712).  Deleting an ISAKMP SA never
 * deletes the pairs it made.
 */
#include "ike_int.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

static const struct ike_script info = {"INFO",
                                       IKE_EXCH_INFO,
                                       true,
                                       IKE_PL_HASH,
                                       0,
                                       {{IKE_PL_HASH, 1, 1},
                                        {IKE_PL_N, 0, IKE_ANY},
                                        {IKE_PL_D, 0, IKE_ANY}}};

/* ---- sending ---------------------------------------------------------- */

static void
cookies(const struct ike_isa *sa, uint8_t out[2 * IKE_COOKIE_LEN])
{
	memcpy(out, sa->icookie, IKE_COOKIE_LEN);
	memcpy(out + IKE_COOKIE_LEN, sa->rcookie, IKE_COOKIE_LEN);
}

/* A protected informational with one N or one D payload. */
static void
send_protected(struct ike_isa *sa, const struct ike_notify *n,
               const struct ike_delete *d)
{
	struct ike *ike = sa->ike;
	struct ike_msg_builder b;
	uint8_t iv[IKE_BLOCK_MAX_LEN];
	uint32_t msgid = ike_msgid_new(sa);
	size_t hoff, hlen, len;

	ike_msgid_add(sa, msgid);
	if (ike_iv_phase2((enum ike_hash)sa->offer.hash, sa->p1_last, sa->blk,
	                  msgid, iv, NULL, 0) < 0)
		return;
	ike_build_begin(sa, &b, IKE_EXCH_INFO, msgid, true);
	ike_msg_build_hash(&b, NULL, sa->keys.len);
	ike_msg_build_last(&b, &hoff, &hlen);
	if (n != NULL)
		ike_msg_build_notify(&b, n);
	else
		ike_msg_build_delete(&b, d);
	if (ike_build_hash12(sa, &b, hoff, msgid, NULL, 0) < 0 ||
	    ike_build_seal(sa, &b, iv, iv, &len) < 0)
		return;
	ike_send(ike, b.buf, len, &sa->local, &sa->remote);
}

static void
send_clear(struct ike *ike, const uint8_t *icookie, const uint8_t *rcookie,
           const struct ike_notify *n, const struct ike_endpoint *from,
           const struct ike_endpoint *to)
{
	struct ike_msg_builder b;
	struct ike_hdr h;
	size_t len;

	memset(&h, 0, sizeof(h));
	memcpy(h.icookie, icookie, IKE_COOKIE_LEN);
	memcpy(h.rcookie, rcookie, IKE_COOKIE_LEN);
	h.exch = IKE_EXCH_INFO;
	h.msgid = ike_random32(ike);
	ike_msg_build_init(&b, ike->txbuf, sizeof(ike->txbuf));
	ike_msg_build_header(&b, &h);
	ike_msg_build_notify(&b, n);
	if (ike_msg_build_finish(&b, &len) < 0)
		return;
	ike_send(ike, b.buf, len, from, to);
}

void
ike_info_notify(struct ike_isa *sa, uint16_t type, uint8_t proto,
                const uint8_t *spi, size_t spilen, const uint8_t *data,
                size_t datalen, bool clear)
{
	struct ike *ike = sa->ike;
	uint8_t ck[2 * IKE_COOKIE_LEN];
	struct ike_notify n;

	memset(&n, 0, sizeof(n));
	n.doi = IKE_DOI_IPSEC;
	n.proto = proto;
	n.type = type;
	if (proto == IKE_PROTO_ISAKMP && spi == NULL) {
		cookies(sa, ck);
		spi = ck;
		spilen = sizeof(ck);
	}
	n.spi_size = (uint8_t)spilen;
	n.spi.p = spi;
	n.spi.len = spilen;
	n.data.p = data;
	n.data.len = datalen;
	ike_sa_log(ike, sa, LOG_INFO, "sending %s%s",
	           ike_notify_name(type),
	           clear || sa->step != IKE_MM_DONE ? " (in clear)" : "");
	if (!clear && sa->step == IKE_MM_DONE && sa->keyed)
		send_protected(sa, &n, NULL);
	else
		send_clear(ike, sa->icookie, sa->rcookie, &n, &sa->local,
		           &sa->remote);
}

void
ike_info_notify_raw(struct ike *ike, const struct ike_hdr *h, uint16_t type,
                    const struct ike_endpoint *from,
                    const struct ike_endpoint *to)
{
	uint8_t ck[2 * IKE_COOKIE_LEN];
	struct ike_notify n;

	memcpy(ck, h->icookie, IKE_COOKIE_LEN);
	memcpy(ck + IKE_COOKIE_LEN, h->rcookie, IKE_COOKIE_LEN);
	memset(&n, 0, sizeof(n));
	n.doi = IKE_DOI_IPSEC;
	n.proto = IKE_PROTO_ISAKMP;
	n.spi_size = sizeof(ck);
	n.spi.p = ck;
	n.spi.len = sizeof(ck);
	n.type = type;
	send_clear(ike, h->icookie, h->rcookie, &n, from, to);
}

void
ike_info_delete(struct ike_isa *sa, uint8_t proto, const uint32_t *spis,
                size_t nspis)
{
	uint8_t buf[4 * 16];
	struct ike_delete d;

	if (sa->step != IKE_MM_DONE || nspis == 0 || nspis > 16)
		return;
	for (size_t i = 0; i < nspis; i++) {
		buf[4 * i] = (uint8_t)(spis[i] >> 24);
		buf[4 * i + 1] = (uint8_t)(spis[i] >> 16);
		buf[4 * i + 2] = (uint8_t)(spis[i] >> 8);
		buf[4 * i + 3] = (uint8_t)spis[i];
	}
	memset(&d, 0, sizeof(d));
	d.doi = IKE_DOI_IPSEC;
	d.proto = proto;
	d.spi_size = 4;
	d.nspis = (uint16_t)nspis;
	d.spis.p = buf;
	d.spis.len = 4 * nspis;
	ike_sa_log(sa->ike, sa, LOG_INFO, "sending DELETE for %s SPI %08x%s",
	           ike_proto_name(proto), spis[0], nspis > 1 ? " ..." : "");
	send_protected(sa, NULL, &d);
}

void
ike_info_delete_isakmp(struct ike_isa *sa)
{
	uint8_t ck[2 * IKE_COOKIE_LEN];
	struct ike_delete d;

	if (sa->step != IKE_MM_DONE)
		return;
	cookies(sa, ck);
	memset(&d, 0, sizeof(d));
	d.doi = IKE_DOI_IPSEC;
	d.proto = IKE_PROTO_ISAKMP;
	d.spi_size = sizeof(ck);
	d.nspis = 1;
	d.spis.p = ck;
	d.spis.len = sizeof(ck);
	send_protected(sa, NULL, &d);
}

/* ---- INITIAL-CONTACT --------------------------------------------------- */

/* Made under the identity of sa before sa started? */
static bool
ic_old_sa(const struct ike_isa *o, const struct ike_isa *sa)
{
	return o != sa && !o->dead && o->step == IKE_MM_DONE &&
	       o->established_ms < sa->created_ms &&
	       memcmp(o->peer_idh, sa->peer_idh, IKE_RXH_LEN) == 0;
}

static bool
ic_old_child(const struct ike_child *c, const struct ike_isa *sa)
{
	return !c->dead && !c->info.soft &&
	       c->info.installed_ms < sa->created_ms &&
	       memcmp(c->peer_idh, sa->peer_idh, IKE_RXH_LEN) == 0;
}

void
ike_initial_contact(struct ike_isa *sa)
{
	struct ike *ike = sa->ike;
	unsigned nsa = 0, nchild = 0;
	struct ike_isa *o;
	struct ike_child *c;

	/* The peer has rebooted: what we had with this identity before it
	 * started this SA is gone on its side.  SAs it negotiated at the
	 * same time (both sides initiating) are not "before" and stay.
	 * The identity's lists hold it all, unless memory ran out when an
	 * SA was indexed (ident NULL): then everything is looked at. */
	if (sa->ident != NULL && !ike->ident_partial) {
		TAILQ_FOREACH(o, &sa->ident->sas, ident_link)
			if (ic_old_sa(o, sa)) {
				ike_sa_kill(o);
				nsa++;
			}
		TAILQ_FOREACH(c, &sa->ident->children, ident_link)
			if (ic_old_child(c, sa)) {
				ike_child_delete(ike, c, false);
				nchild++;
			}
	} else {
		for (o = ike->sas; o != NULL; o = o->next)
			if (ic_old_sa(o, sa)) {
				ike_sa_kill(o);
				nsa++;
			}
		for (c = ike->children; c != NULL; c = c->next)
			if (ic_old_child(c, sa)) {
				ike_child_delete(ike, c, false);
				nchild++;
			}
	}
	ike_sa_log(ike, sa, LOG_NOTICE,
	           "INITIAL-CONTACT: %u old main mode SA(s) and %u SA "
	           "pair(s) forgotten",
	           nsa, nchild);
}

/* ---- receiving ------------------------------------------------------------ */

static void
log_clear(struct ike *ike, const struct ike_isa *sa, const struct ike_msg *m)
{
	for (unsigned i = 0; i < m->npl; i++)
		if (m->pl[i].type == IKE_PL_N)
			ike_sa_log(ike, sa, LOG_INFO,
			           "unprotected notify %s (%u) ignored",
			           ike_notify_name(m->pl[i].u.n.type),
			           m->pl[i].u.n.type);
		else if (m->pl[i].type == IKE_PL_D)
			ike_sa_log(ike, sa, LOG_INFO,
			           "unprotected delete ignored");
}

void
ike_info_input_nosa(struct ike *ike, struct ike_rx *rx)
{
	log_clear(ike, NULL, rx->m);
}

static uint32_t
ld32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void
take_delete(struct ike_isa *sa, const struct ike_delete *d)
{
	struct ike *ike = sa->ike;

	for (unsigned i = 0; i < d->nspis; i++) {
		const uint8_t *s = d->spis.p + (size_t)i * d->spi_size;
		bool found = false;

		if (d->proto == IKE_PROTO_ISAKMP) {
			struct ike_isa *o = ike_sa_find(ike, s, s + 8);
			if (o != NULL && o->peer == sa->peer && !o->dead) {
				ike_sa_log(ike, o, LOG_INFO,
				           "deleted by the peer");
				o->expired = true;
				ike_sa_kill(o);
				found = true;
			}
		} else if ((d->proto == IKE_PROTO_ESP ||
		            d->proto == IKE_PROTO_AH) &&
		           d->spi_size == 4) {
			uint32_t spi = ld32(s);
			struct ike_child *c;
			TAILQ_FOREACH(c, &sa->peer->children, peer_link) {
				if (found)
					break;
				if (c->dead || c->info.soft)
					continue;
				if ((d->proto == IKE_PROTO_ESP &&
				     c->info.proto != DP_PROTO_AH &&
				     c->info.spi_out == spi) ||
				    (d->proto == IKE_PROTO_AH &&
				     ((c->info.proto == DP_PROTO_AH &&
				       c->info.spi_out == spi) ||
				      (c->info.proto == DP_PROTO_AH_ESP &&
				       c->info.ah_spi_out == spi)))) {
					ike_sa_log(ike, sa, LOG_INFO,
					           "peer deleted SA pair "
					           "%08x/%08x",
					           c->info.spi_in,
					           c->info.spi_out);
					ike_child_delete(ike, c, false);
					found = true;
				}
			}
		}
		if (!found)
			ike_sa_log(ike, sa, LOG_INFO,
			           "DELETE for an unknown or deleted %s SPI: "
			           "ignored",
			           ike_proto_name(d->proto));
	}
}

static void
take_notify(struct ike_isa *sa, const struct ike_notify *n)
{
	struct ike *ike = sa->ike;

	switch (n->type) {
	case IKE_N_INITIAL_CONTACT:
		ike_initial_contact(sa);
		return;
	case IKE_N_R_U_THERE:
		/* RFC 3706: answer with the same sequence number. */
		if (n->proto == IKE_PROTO_ISAKMP && n->data.len == 4)
			ike_info_notify(sa, IKE_N_R_U_THERE_ACK, n->proto,
			                n->spi.p, n->spi.len, n->data.p,
			                n->data.len, false);
		return;
	case IKE_N_R_U_THERE_ACK:
	case IKE_N_RESPONDER_LIFETIME:
	case IKE_N_REPLAY_STATUS:
		return;
	default:
		break;
	}
	ike_sa_log(ike, sa, LOG_NOTICE, "peer says %s (%u)",
	           ike_notify_name(n->type), n->type);
	/* An error for one of our quick modes, named by our SPI. */
	if (n->type < 16384 && n->spi_size == 4 &&
	    (n->proto == IKE_PROTO_ESP || n->proto == IKE_PROTO_AH)) {
		uint32_t spi = ld32(n->spi.p);
		for (struct ike_qm *qm = sa->qms; qm != NULL; qm = qm->next)
			if (qm->role == IKE_ROLE_I && !qm->done && !qm->dead &&
			    (qm->esp_spi_in == spi || qm->ah_spi_in == spi))
				ike_qm_fail(qm,
				            n->type == IKE_N_NO_PROPOSAL_CHOSEN
				                ? IKE_FAIL_NEG
				                : IKE_FAIL_OTHER,
				            false);
	}
}

void
ike_info_input(struct ike_isa *sa, struct ike_rx *rx)
{
	struct ike *ike = sa->ike;
	struct ike_msg *m = rx->m;
	uint32_t msgid = m->hdr.msgid;
	uint8_t iv[IKE_BLOCK_MAX_LEN], h[IKE_HASH_MAX_LEN];
	const uint8_t *rest;
	size_t restlen;
	uint16_t notify;
	char why[IKE_ERR_MAX];

	if (!m->encrypted) {
		log_clear(ike, sa, m);
		return;
	}
	if (sa->step != IKE_MM_DONE || !sa->keyed) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_sa_log(ike, sa, LOG_NOTICE,
		           "informational before main mode completes: "
		           "ignored");
		return;
	}
	if (msgid == 0 || ike_msgid_used(sa, msgid)) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_sa_log(ike, sa, LOG_INFO,
		           "informational with a used message id: dropped");
		return;
	}
	if (ike_iv_phase2((enum ike_hash)sa->offer.hash, sa->p1_last, sa->blk,
	                  msgid, iv, NULL, 0) < 0 ||
	    ike_rx_decrypt(sa, rx, iv) < 0) {
		IKE_STAT_INC(ike, invalid_packets);
		return;
	}
	if (ike_script_check(&info, m, &notify, why, sizeof(why)) < 0 ||
	    m->npl < 2) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_sa_log(ike, sa, LOG_INFO, "informational: %s: dropped",
		           m->npl < 2 ? "nothing after HASH" : why);
		return;
	}
	ike_rx_after_hash(rx, &rest, &restlen);
	if (m->pl[0].body.len != sa->keys.len ||
	    ike_qm_hash1(&sa->keys, msgid, rest, restlen, h, NULL, 0) < 0 ||
	    CRYPTO_memcmp(h, m->pl[0].body.p, sa->keys.len) != 0) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_sa_log(ike, sa, LOG_NOTICE,
		           "informational: HASH(1) is wrong: dropped");
		return;
	}
	ike_msgid_add(sa, msgid);
	for (unsigned i = 1; i < m->npl; i++) {
		if (m->pl[i].type == IKE_PL_D)
			take_delete(sa, &m->pl[i].u.d);
		else if (m->pl[i].type == IKE_PL_N)
			take_notify(sa, &m->pl[i].u.n);
	}
}
