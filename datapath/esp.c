/*
 * esp.c - ESP encapsulation and decapsulation in place (RFC 4303), with
 * AES-GCM (RFC 4106), AES-CBC / 3DES-CBC (RFC 3602, 2451) and HMAC
 * integrity (RFC 2404, 4868); see esp.h for the layout.
 */
#include <sys/socket.h>

#include <openssl/crypto.h>

#include "esp.h"
#include "pkt.h"

static size_t
esp_icvlen(const struct dp_sa *sa)
{
	if (sa->ealg->aead)
		return sa->ealg->icvlen;
	return sa->aalg != NULL ? sa->aalg->icvlen : 0;
}

enum dp_result
esp_seal(struct dp_sa *sa, struct sa_slot *slot, struct dp_pkt *pkt, uint8_t nh,
         uint32_t seq, const uint8_t *iv_in)
{
	const struct enc_alg *e = sa->ealg;
	size_t align = e->block > 4 ? e->block : 4;
	size_t pl = pkt->len;
	size_t padlen = (align - (pl + 2) % align) % align;
	size_t icvlen = esp_icvlen(sa);
	size_t hlen = ESP_HLEN + e->ivlen;
	size_t ctlen = pl + padlen + 2;
	uint8_t *tail, *h, *iv, *ct, *icv;
	int outl = 0, finl = 0;
	size_t i;

	if (pkt_tailroom(pkt) < padlen + 2 + icvlen || pkt->off < hlen)
		return DP_ERR_NOSPACE;
	/* Trailer: monotonic pad 1, 2, 3 ... (RFC 4303 §2.4). */
	tail = pkt_put(pkt, (uint32_t)(padlen + 2));
	for (i = 0; i < padlen; i++)
		tail[i] = (uint8_t)(i + 1);
	tail[padlen] = (uint8_t)padlen;
	tail[padlen + 1] = nh;

	h = pkt_push(pkt, (uint32_t)hlen);
	wr32(h, sa->spi);
	wr32(h + 4, seq);
	iv = h + ESP_HLEN;
	ct = iv + e->ivlen;
	if (iv_in != NULL)
		memcpy(iv, iv_in, e->ivlen);
	else if (e->aead)
		wr64(iv, (uint64_t)seq ^ sa->iv_mask);
	else if (e->ivlen > 0 && sa_cbc_iv(sa, slot, seq, iv) < 0)
		return DP_ERR_CRYPTO;

	if (e->aead) {
		uint8_t nonce[12];

		memcpy(nonce, sa->salt, SA_SALT_LEN);
		memcpy(nonce + SA_SALT_LEN, iv, 8);
		if (!EVP_EncryptInit_ex2(slot->cipher, NULL, NULL, nonce,
		                         NULL) ||
		    !EVP_EncryptUpdate(slot->cipher, NULL, &outl, h,
		                       ESP_HLEN) ||
		    !EVP_EncryptUpdate(slot->cipher, ct, &outl, ct,
		                       (int)ctlen) ||
		    (size_t)outl != ctlen ||
		    !EVP_EncryptFinal_ex(slot->cipher, ct + ctlen, &finl) ||
		    finl != 0)
			return DP_ERR_CRYPTO;
		icv = pkt_put(pkt, (uint32_t)icvlen);
		if (!EVP_CIPHER_CTX_ctrl(slot->cipher, EVP_CTRL_AEAD_GET_TAG,
		                         (int)icvlen, icv))
			return DP_ERR_CRYPTO;
		return DP_OK;
	}
	if (e->ossl != NULL) {
		if (!EVP_EncryptInit_ex2(slot->cipher, NULL, NULL, iv, NULL) ||
		    !EVP_EncryptUpdate(slot->cipher, ct, &outl, ct,
		                       (int)ctlen) ||
		    (size_t)outl != ctlen)
			return DP_ERR_CRYPTO;
	}
	if (sa->aalg != NULL) {
		icv = pkt_put(pkt, (uint32_t)icvlen);
		if (sa_hmac(slot->mac, sa->aalg, h, hlen + ctlen, NULL, 0,
		            icv) < 0)
			return DP_ERR_CRYPTO;
	}
	return DP_OK;
}

enum dp_result
esp_open(struct dp_sa *sa, struct sa_slot *slot, struct dp_pkt *pkt,
         uint8_t *nh)
{
	const struct enc_alg *e = sa->ealg;
	size_t icvlen = esp_icvlen(sa);
	size_t hlen = ESP_HLEN + e->ivlen;
	uint8_t *p = dp_pkt_data(pkt);
	size_t len = pkt->len, ctlen, padlen, i;
	uint8_t *iv, *ct, *icv;
	int outl = 0, finl = 0;

	if (len < hlen + icvlen)
		return icvlen > 0 ? DP_ERR_AUTH : DP_ERR_DECRYPT;
	ctlen = len - hlen - icvlen;
	iv = p + ESP_HLEN;
	ct = iv + e->ivlen;
	icv = ct + ctlen;

	if (e->aead) {
		uint8_t nonce[12], tag[16];

		memcpy(nonce, sa->salt, SA_SALT_LEN);
		memcpy(nonce + SA_SALT_LEN, iv, 8);
		memcpy(tag, icv, sizeof(tag));
		if (!EVP_DecryptInit_ex2(slot->cipher, NULL, NULL, nonce,
		                         NULL) ||
		    !EVP_DecryptUpdate(slot->cipher, NULL, &outl, p,
		                       ESP_HLEN) ||
		    !EVP_DecryptUpdate(slot->cipher, ct, &outl, ct,
		                       (int)ctlen) ||
		    !EVP_CIPHER_CTX_ctrl(slot->cipher, EVP_CTRL_AEAD_SET_TAG,
		                         (int)sizeof(tag), tag))
			return DP_ERR_CRYPTO;
		/* The tag is checked here; a mismatch leaves garbage in ct,
		 * which nobody reads. */
		if (EVP_DecryptFinal_ex(slot->cipher, ct + ctlen, &finl) <= 0)
			return DP_ERR_AUTH;
	} else {
		if (sa->aalg != NULL) {
			uint8_t want[SA_ICV_MAX];

			/* Encrypt-then-MAC: authenticate before anything
			 * else looks at the ciphertext. */
			if (sa_hmac(slot->mac, sa->aalg, p, hlen + ctlen, NULL,
			            0, want) < 0)
				return DP_ERR_CRYPTO;
			if (CRYPTO_memcmp(want, icv, icvlen) != 0)
				return DP_ERR_AUTH;
		}
		if (e->ossl != NULL) {
			if (ctlen == 0 || ctlen % e->block != 0)
				return DP_ERR_DECRYPT;
			if (!EVP_DecryptInit_ex2(slot->cipher, NULL, NULL, iv,
			                         NULL) ||
			    !EVP_DecryptUpdate(slot->cipher, ct, &outl, ct,
			                       (int)ctlen) ||
			    (size_t)outl != ctlen)
				return DP_ERR_CRYPTO;
		}
	}
	if (ctlen < 2)
		return DP_ERR_DECRYPT;
	padlen = ct[ctlen - 2];
	if (padlen + 2 > ctlen)
		return DP_ERR_DECRYPT;
	/* RFC 4303 §2.4: the receiver checks the default padding. */
	for (i = 0; i < padlen; i++)
		if (ct[ctlen - 2 - padlen + i] != (uint8_t)(i + 1))
			return DP_ERR_DECRYPT;
	*nh = ct[ctlen - 1];
	pkt_pull(pkt, (uint32_t)hlen);
	pkt->len = (uint32_t)(ctlen - 2 - padlen);
	return DP_OK;
}

enum dp_result
esp_deliver(struct dp_worker *w, struct dp_sa *sa, struct dp_pkt *pkt,
            uint8_t nh, const struct dp_addr *src, const struct dp_addr *dst)
{
	struct dp_flow f;

	if (nh == IPPROTO_NUM_NONE) {
		/* RFC 4303 §2.6: dummy packets are silently discarded. */
		STAT_INC(&w->stats, dummy);
		return DP_ERR_DUMMY;
	}
	if (sa->mode == DP_MODE_TUNNEL) {
		if ((nh != IPPROTO_NUM_IPV4 && nh != IPPROTO_NUM_IPV6) ||
		    dp_flow_parse(dp_pkt_data(pkt), pkt->len, &f) != DP_OK ||
		    (nh == IPPROTO_NUM_IPV4) != (f.src.family == AF_INET)) {
			STAT_INC(&w->stats, not_decrypted);
			return DP_ERR_DECRYPT;
		}
		/* Drop TFC padding after the inner datagram (§2.4). */
		pkt->len = f.len;
	} else {
		size_t pl = pkt->len, hl;
		uint8_t *h;

		if (src->family != dst->family ||
		    (src->family != AF_INET && src->family != AF_INET6))
			return DP_ERR_INVAL;
		hl = src->family == AF_INET ? IP4_HLEN : IP6_HLEN;
		if (pl > IP_MAXLEN - (src->family == AF_INET ? hl : 0)) {
			STAT_INC(&w->stats, not_decrypted);
			return DP_ERR_DECRYPT;
		}
		h = pkt_push(pkt, (uint32_t)hl);
		if (h == NULL)
			return DP_ERR_NOSPACE;
		if (src->family == AF_INET)
			ip4_build(h, 0, (uint16_t)(hl + pl), 0, 0, 64, nh,
			          src->bytes, dst->bytes);
		else
			ip6_build(h, 0, (uint16_t)pl, nh, 64, src->bytes,
			          dst->bytes);
		if (dp_flow_parse(h, pkt->len, &f) != DP_OK) {
			STAT_INC(&w->stats, not_decrypted);
			return DP_ERR_DECRYPT;
		}
		/* Through a NAT the inner checksums cover the addresses
		 * the peer saw, not ours (RFC 3948 §3.1.2). */
		if (sa->encap == DP_ENCAP_UDP)
			l4_csum_fix(h, pkt->len, &f);
	}
	if (!dp_selector_match(&sa->sel, &f)) {
		STAT_INC(&w->stats, selector);
		return DP_ERR_SELECTOR;
	}
	return DP_OK;
}

void
esp_count(struct dp_worker *w, const struct dp_sa *sa, size_t len, bool sent)
{
	struct dp_stats *st = &w->stats;
	bool conf = sa->ealg != NULL && sa->ealg->ossl != NULL;
	bool auth = sa->ahalg != NULL || sa->aalg != NULL ||
	            (sa->ealg != NULL && sa->ealg->aead);

	if (sent) {
		if (conf)
			stat_add(&st->conf_bytes_sent, len);
		if (auth)
			stat_add(&st->auth_bytes_sent, len);
		if (sa->mode == DP_MODE_TUNNEL)
			stat_add(&st->tunnel_bytes_sent, len);
		else
			stat_add(&st->transport_bytes_sent, len);
	} else {
		if (conf)
			stat_add(&st->conf_bytes_recv, len);
		if (auth)
			stat_add(&st->auth_bytes_recv, len);
		if (sa->mode == DP_MODE_TUNNEL)
			stat_add(&st->tunnel_bytes_recv, len);
		else
			stat_add(&st->transport_bytes_recv, len);
	}
}

enum dp_result
esp_encap_iv(struct dp_worker *w, struct dp_sa *sa, struct dp_pkt *pkt,
             const uint8_t *iv)
{
	struct sa_slot *slot;
	struct dp_flow f;
	enum dp_result rc;
	uint32_t seq;
	uint8_t nh;

	if (sa->dir != DP_DIR_OUT || sa->proto != DP_PROTO_ESP ||
	    w->slot >= sa->nslots)
		return DP_ERR_INVAL;
	slot = &sa->slots[w->slot];
	if (dp_flow_parse(dp_pkt_data(pkt), pkt->len, &f) != DP_OK) {
		STAT_INC(&w->stats, malformed);
		return DP_ERR_MALFORMED;
	}
	pkt->len = f.len;
	if (sa->mode == DP_MODE_TRANSPORT && f.frag)
		return DP_ERR_INVAL; /* RFC 4301 §4.1: whole datagrams */
	if (dp_sa_hard_expired(sa) || (seq = sa_next_seq(sa)) == 0 ||
	    sa_account(sa, f.len) < 0) {
		STAT_INC(&w->stats, expired);
		return DP_ERR_EXPIRED;
	}
	if (sa->mode == DP_MODE_TRANSPORT) {
		nh = f.proto;
		pkt_pull(pkt, f.l3len);
	} else {
		nh = f.src.family == AF_INET ? IPPROTO_NUM_IPV4
		                             : IPPROTO_NUM_IPV6;
	}
	rc = esp_seal(sa, slot, pkt, nh, seq, iv);
	if (rc == DP_OK)
		esp_count(w, sa, f.len, true);
	return rc;
}

enum dp_result
dp_esp_encap(struct dp_worker *w, struct dp_sa *sa, struct dp_pkt *pkt)
{
	return esp_encap_iv(w, sa, pkt, NULL);
}

enum dp_result
dp_esp_decap(struct dp_worker *w, struct dp_sa *sa, struct dp_pkt *pkt,
             const struct dp_addr *src, const struct dp_addr *dst)
{
	struct sa_slot *slot;
	enum dp_result rc;
	uint32_t spi, seq;
	uint8_t nh = 0;

	if (sa->dir != DP_DIR_IN || sa->proto != DP_PROTO_ESP ||
	    w->slot >= sa->nslots)
		return DP_ERR_INVAL;
	slot = &sa->slots[w->slot];
	if (pkt->len < ESP_HLEN) {
		STAT_INC(&w->stats, malformed);
		return DP_ERR_MALFORMED;
	}
	spi = rd32(dp_pkt_data(pkt));
	seq = rd32(dp_pkt_data(pkt) + 4);
	if (spi != sa->spi) {
		STAT_INC(&w->stats, bad_spi);
		return DP_ERR_BAD_SPI;
	}
	if (dp_sa_hard_expired(sa)) {
		STAT_INC(&w->stats, expired);
		return DP_ERR_EXPIRED;
	}
	/* Cheap rejection before any crypto (RFC 4303 §3.4.3). */
	if (!sa->no_replay && replay_check(&sa->replay, seq) < 0) {
		STAT_INC(&w->stats, replay);
		return DP_ERR_REPLAY;
	}
	rc = esp_open(sa, slot, pkt, &nh);
	if (rc == DP_ERR_AUTH)
		STAT_INC(&w->stats, not_authenticated);
	else if (rc == DP_ERR_DECRYPT)
		STAT_INC(&w->stats, not_decrypted);
	if (rc != DP_OK)
		return rc;
	/* Only an authentic packet moves the window. */
	if (!sa->no_replay && replay_update(&sa->replay, seq) < 0) {
		STAT_INC(&w->stats, replay);
		return DP_ERR_REPLAY;
	}
	rc = esp_deliver(w, sa, pkt, nh, src, dst);
	if (rc != DP_OK)
		return rc;
	if (sa_account(sa, pkt->len) < 0) {
		STAT_INC(&w->stats, expired);
		return DP_ERR_EXPIRED;
	}
	esp_count(w, sa, pkt->len, false);
	return DP_OK;
}

enum dp_result
dp_esp_input(struct dp_worker *w, struct dp_sadb *db, struct dp_pkt *pkt,
             const struct dp_addr *src, const struct dp_addr *dst)
{
	struct dp_sa *sa;
	enum dp_result rc;

	if (pkt->len < ESP_HLEN) {
		STAT_INC(&w->stats, malformed);
		return DP_ERR_MALFORMED;
	}
	sa = dp_sadb_lookup(db, rd32(dp_pkt_data(pkt)), DP_PROTO_ESP, DP_DIR_IN,
	                    &w->stats);
	if (sa == NULL)
		return DP_ERR_BAD_SPI;
	rc = dp_esp_decap(w, sa, pkt, src, dst);
	dp_sa_put(sa);
	return rc;
}
