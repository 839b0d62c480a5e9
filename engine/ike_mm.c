/*
 * ike_mm.c - IKEv1 Main Mode (RFC 2409 section 5, identity protection):
 * six messages, pre-shared keys (section 5.4) and RSA signatures
 * (section 5.1) through the env's hooks, with NAT-T (RFC 3947) folded
 * into messages 1-4.
 *
 *   Initiator                          Responder
 *   1  HDR, SA, VID...           -->
 *                                <--   2  HDR, SA, VID...
 *   3  HDR, KE, Ni, NAT-D, NAT-D -->
 *                                <--   4  HDR, KE, Nr, NAT-D, NAT-D
 *      (float to the NAT-T port when a NAT is seen or forced)
 *   5  HDR*, IDii, HASH_I | [CERT] SIG_I, [N(INITIAL-CONTACT)]  -->
 *                                <--   6  HDR*, IDir, HASH_R | [CERT] SIG_R
 *
 * The exchange is a table (STYLE.md practice 8): mm_steps[role][step]
 * holds, for the message each state waits for, its script of payloads
 * and the step function that handles it and sends the answer.  The
 * state is the index; IKE_MM_DONE is "established".
 *
 * Errors before keys are answered with a notify in clear (the peer may
 * act on it or not); unauthenticated input never changes an SA: a
 * message that breaks the script, or arrives for another state, is
 * dropped and counted, and the exchange goes on or times out.  Proposal
 * and authentication failures end the SA.
 */
#include "ike_int.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#include <arpa/inet.h>

#define NONCE_LEN 32 /* as strongSwan; RFC 2409 asks 8..256 */

/* ---- scripts ---------------------------------------------------------- */

static const struct ike_script mm1 = {
    "MM1", IKE_EXCH_MAIN, false, 0, 0,
    {{IKE_PL_SA, 1, 1}, {IKE_PL_VID, 0, IKE_ANY}}};
static const struct ike_script mm2 = {
    "MM2", IKE_EXCH_MAIN, false, 0, 0,
    {{IKE_PL_SA, 1, 1}, {IKE_PL_VID, 0, IKE_ANY}}};
static const struct ike_script mm3 = {"MM3",
                                      IKE_EXCH_MAIN,
                                      false,
                                      0,
                                      0,
                                      {{IKE_PL_KE, 1, 1},
                                       {IKE_PL_NONCE, 1, 1},
                                       {IKE_PL_NATD, 0, IKE_ANY},
                                       {IKE_PL_NATD_DRAFT, 0, IKE_ANY},
                                       {IKE_PL_CR, 0, IKE_ANY},
                                       {IKE_PL_VID, 0, IKE_ANY}}};
static const struct ike_script mm4 = {"MM4",
                                      IKE_EXCH_MAIN,
                                      false,
                                      0,
                                      0,
                                      {{IKE_PL_KE, 1, 1},
                                       {IKE_PL_NONCE, 1, 1},
                                       {IKE_PL_NATD, 0, IKE_ANY},
                                       {IKE_PL_NATD_DRAFT, 0, IKE_ANY},
                                       {IKE_PL_CR, 0, IKE_ANY},
                                       {IKE_PL_VID, 0, IKE_ANY}}};
static const struct ike_script mm5 = {"MM5",
                                      IKE_EXCH_MAIN,
                                      true,
                                      0,
                                      0,
                                      {{IKE_PL_ID, 1, 1},
                                       {IKE_PL_HASH, 0, 1},
                                       {IKE_PL_SIG, 0, 1},
                                       {IKE_PL_CERT, 0, IKE_PEER_CERTS_MAX},
                                       {IKE_PL_CR, 0, IKE_ANY},
                                       {IKE_PL_N, 0, IKE_ANY},
                                       {IKE_PL_VID, 0, IKE_ANY}}};
static const struct ike_script mm6 = {"MM6",
                                      IKE_EXCH_MAIN,
                                      true,
                                      0,
                                      0,
                                      {{IKE_PL_ID, 1, 1},
                                       {IKE_PL_HASH, 0, 1},
                                       {IKE_PL_SIG, 0, 1},
                                       {IKE_PL_CERT, 0, IKE_PEER_CERTS_MAX},
                                       {IKE_PL_N, 0, IKE_ANY},
                                       {IKE_PL_VID, 0, IKE_ANY}}};

static int r_mm1(struct ike_isa *sa, struct ike_rx *rx);
static int r_mm3(struct ike_isa *sa, struct ike_rx *rx);
static int r_mm5(struct ike_isa *sa, struct ike_rx *rx);
static int i_mm2(struct ike_isa *sa, struct ike_rx *rx);
static int i_mm4(struct ike_isa *sa, struct ike_rx *rx);
static int i_mm6(struct ike_isa *sa, struct ike_rx *rx);

/* Per role and state: the state's name, the message it waits for and
 * the function that takes it (and sends the next one). */
struct mm_step {
	const char *state;
	const struct ike_script *in;
	int (*fn)(struct ike_isa *sa, struct ike_rx *rx);
};

static const struct mm_step mm_steps[2][IKE_MM_DONE] = {
    [IKE_ROLE_I] =
        {
            {"MM_I1 (sent 1, awaiting 2)", &mm2, i_mm2},
            {"MM_I3 (sent 3, awaiting 4)", &mm4, i_mm4},
            {"MM_I5 (sent 5, awaiting 6)", &mm6, i_mm6},
        },
    [IKE_ROLE_R] =
        {
            {"MM_R0 (awaiting 1)", &mm1, r_mm1},
            {"MM_R2 (sent 2, awaiting 3)", &mm3, r_mm3},
            {"MM_R4 (sent 4, awaiting 5)", &mm5, r_mm5},
        },
};

const char *
ike_mm_state_name(const struct ike_isa *sa)
{
	if (sa->expired)
		return "expired";
	if (sa->dead)
		return "deleted";
	if (sa->step >= IKE_MM_DONE)
		return "established";
	return mm_steps[sa->role][sa->step].state;
}

/* ---- Diffie-Hellman from the env's randomness ------------------------- */

struct ike_dh *
ike_dh_make(struct ike *ike, int group)
{
	uint8_t priv[IKE_DH_MAX_LEN];
	size_t publen = ike_dh_public_len(group);
	size_t seclen = ike_dh_secret_len(group);
	struct ike_dh *dh = NULL;
	size_t len;

	if (publen == 0)
		return NULL;
	if (group == IKE_DH_CURVE25519)
		len = 32;
	else if (publen == seclen)
		len = 64; /* MODP: a 512-bit exponent (RFC 3526 section 8) */
	else
		len = seclen; /* ECP: a scalar below the order */
	for (int tries = 0; dh == NULL && tries < 8; tries++) {
		ike_random(ike, priv, len);
		if (group == IKE_DH_ECP521)
			priv[0] &= 0x01;
		dh = ike_dh_new_private(group, priv, len, NULL, 0);
	}
	OPENSSL_cleanse(priv, sizeof(priv));
	if (dh == NULL)
		ike_log(ike, LOG_ERR, "IKE: no %s key pair",
		        ike_dh_group_name(group));
	return dh;
}

/* ---- proposals -------------------------------------------------------- */

/* One phase 1 transform, decoded. */
struct mm_xf {
	uint8_t enc, hash, auth;
	uint16_t keybits, group;
	uint32_t life_s;
	bool bad; /* an attribute we do not take */
};

static void
mm_xf_decode(const struct ike_xform *x, struct mm_xf *xf)
{
	struct ike_attr_iter it;
	struct ike_attr a;
	unsigned life_type = 0;
	int rc;

	memset(xf, 0, sizeof(*xf));
	if (x->id != IKE_XF_KEY_IKE)
		xf->bad = true;
	ike_attr_iter_init(&it, x);
	while ((rc = ike_attr_next(&it, &a)) > 0) {
		if (!a.has_value) {
			/* Only a long life could be this big: the longest. */
			if (a.type == IKE_OA_LIFE_DURATION &&
			    life_type == IKE_LIFE_SECONDS) {
				xf->life_s = UINT32_MAX;
				continue;
			}
			xf->bad = true;
			continue;
		}
		switch (a.type) {
		case IKE_OA_ENC:
			xf->enc = (uint8_t)a.value;
			xf->bad |= a.value > 255;
			break;
		case IKE_OA_HASH:
			xf->hash = (uint8_t)a.value;
			xf->bad |= a.value > 255;
			break;
		case IKE_OA_AUTH:
			xf->auth = (uint8_t)a.value;
			xf->bad |= a.value > 255;
			break;
		case IKE_OA_GROUP_DESC:
			xf->group = (uint16_t)a.value;
			xf->bad |= a.value > 0xffff;
			break;
		case IKE_OA_KEY_LENGTH:
			xf->keybits = (uint16_t)a.value;
			xf->bad |= a.value > 0xffff;
			break;
		case IKE_OA_LIFE_TYPE:
			life_type = a.value;
			if (life_type != IKE_LIFE_SECONDS &&
			    life_type != IKE_LIFE_KILOBYTES)
				xf->bad = true;
			break;
		case IKE_OA_LIFE_DURATION:
			if (life_type == IKE_LIFE_SECONDS)
				xf->life_s = a.value;
			else if (life_type == 0)
				xf->bad = true;
			/* kilobytes: not enforced on ISAKMP SAs */
			break;
		default:
			/* Custom groups, PRF, field sizes: not supported. */
			xf->bad = true;
			break;
		}
	}
	if (rc < 0)
		xf->bad = true;
	if (xf->enc == IKE_ENC_AES_CBC && xf->keybits == 0)
		xf->keybits = 128; /* as strongSwan reads an absent length */
}

static bool
auth_usable(struct ike *ike, const struct ike_mm_conf *c, uint8_t method,
            const struct ike_auth **out)
{
	for (size_t i = 0; i < c->nauths && i < IKE_AUTHS_MAX; i++) {
		const struct ike_auth *a = &c->auths[i];
		if (a->method != method)
			continue;
		if (method == IKE_AUTH_PSK && a->psk_len > 0 &&
		    a->psk_len <= IKE_PSK_MAX) {
			*out = a;
			return true;
		}
		if (method == IKE_AUTH_RSA_SIG && ike->env->sig_sign != NULL &&
		    ike->env->sig_verify != NULL) {
			*out = a;
			return true;
		}
	}
	return false;
}

static bool
offer_valid(const struct ike_mm_offer *o)
{
	if (o->enc == IKE_ENC_AES_CBC) {
		if (o->keybits != 128 && o->keybits != 192 && o->keybits != 256)
			return false;
	} else if (o->enc != IKE_ENC_3DES_CBC || o->keybits != 0) {
		return false;
	}
	return ike_hash_len(o->hash) > 0 && ike_dh_group_supported(o->group);
}

/* Is the transform one of ours?  *auth: the method it uses. */
static bool
mm_xf_acceptable(struct ike *ike, const struct ike_mm_conf *c,
                 const struct mm_xf *xf, const struct ike_auth **auth)
{
	if (xf->bad || !auth_usable(ike, c, xf->auth, auth))
		return false;
	for (size_t i = 0; i < c->noffers && i < IKE_MM_OFFERS_MAX; i++) {
		const struct ike_mm_offer *o = &c->offers[i];
		if (offer_valid(o) && o->enc == xf->enc &&
		    o->keybits == (xf->enc == IKE_ENC_AES_CBC ? xf->keybits
		                                              : 0) &&
		    o->hash == xf->hash && o->group == xf->group &&
		    (xf->enc != IKE_ENC_3DES_CBC || xf->keybits == 0))
			return true;
	}
	return false;
}

static void
take_offer(struct ike_isa *sa, const struct mm_xf *xf,
           const struct ike_auth *auth)
{
	sa->offer.enc = xf->enc;
	sa->offer.keybits = xf->enc == IKE_ENC_AES_CBC ? xf->keybits : 0;
	sa->offer.hash = xf->hash;
	sa->offer.group = xf->group;
	sa->auth_method = xf->auth;
	sa->auth = *auth;
	/* The shorter of the two lifetimes is the one both keep. */
	if (xf->life_s != 0 && xf->life_s < sa->lifetime_s)
		sa->lifetime_s = xf->life_s;
}

/* Copies what stays from the policy; sa->conf keeps the rest (PSKs)
 * until main mode ends. */
static void
set_conf(struct ike_isa *sa, struct ike_mm_conf *c)
{
	sa->conf = c;
	sa->lifetime_s = c->lifetime_s != 0 ? c->lifetime_s : IKE_MM_LIFETIME_S;
	sa->qmpermm = c->qmpermm;
	sa->soft_s = c->soft_s != 0 ? c->soft_s : IKE_SOFT_S;
	sa->policy_id = c->policy_id;
	sa->natt_force = c->natt_force;
}

static int
add_xform(struct ike_msg_builder *b, uint8_t num, const struct ike_mm_offer *o,
          uint8_t method, uint32_t life_s)
{
	ike_msg_build_xform_begin(b, num, IKE_XF_KEY_IKE);
	ike_msg_build_attr_tv(b, IKE_OA_ENC, o->enc);
	if (o->enc == IKE_ENC_AES_CBC)
		ike_msg_build_attr_tv(b, IKE_OA_KEY_LENGTH, o->keybits);
	ike_msg_build_attr_tv(b, IKE_OA_HASH, o->hash);
	ike_msg_build_attr_tv(b, IKE_OA_AUTH, method);
	ike_msg_build_attr_tv(b, IKE_OA_GROUP_DESC, o->group);
	ike_msg_build_attr_tv(b, IKE_OA_LIFE_TYPE, IKE_LIFE_SECONDS);
	return ike_msg_build_attr(b, IKE_OA_LIFE_DURATION, life_s);
}

/* Keeps a copy of the SA payload body just built (SAi_b). */
static int
keep_sai(struct ike_isa *sa, const struct ike_msg_builder *b)
{
	size_t off, len;

	if (ike_msg_build_last(b, &off, &len) < 0)
		return -1;
	free(sa->sai_b);
	sa->sai_b = malloc(len);
	if (sa->sai_b == NULL)
		return -1;
	memcpy(sa->sai_b, b->buf + off, len);
	sa->sai_len = len;
	return 0;
}

/* ---- identities -------------------------------------------------------- */

static struct ike_identity *
ident_dup(const struct ike_identity *id)
{
	struct ike_identity *c = malloc(sizeof(*c));

	if (c != NULL)
		*c = *id;
	return c;
}

static void
local_identity(struct ike_isa *sa, const struct ike_mm_conf *c)
{
	struct ike_identity id;

	memset(&id, 0, sizeof(id));
	if (c->local_id.type != 0 && c->local_id.len > 0 &&
	    c->local_id.len <= IKE_IDENT_MAX) {
		id = c->local_id;
	} else if (sa->local.addr.family == AF_INET6) {
		id.type = IKE_ID_IPV6_ADDR;
		id.len = 16;
		memcpy(id.data, sa->local.addr.bytes, 16);
	} else {
		id.type = IKE_ID_IPV4_ADDR;
		id.len = 4;
		memcpy(id.data, sa->local.addr.bytes, 4);
	}
	free(sa->local_id);
	sa->local_id = ident_dup(&id);
}

static void
ident_hash(const struct ike_identity *id, uint8_t out[IKE_RXH_LEN])
{
	struct ike_chunk c[2] = {{&id->type, 1}, {id->data, id->len}};

	if (ike_digest(IKE_HASH_SHA1, c, 2, out, NULL, 0) < 0)
		memset(out, 0, IKE_RXH_LEN);
}

/* ---- keys ---------------------------------------------------------------- */

static int
mm_keys(struct ike_isa *sa, const uint8_t *peer_ke, size_t peer_len,
        struct ike_rx *rx)
{
	struct ike *ike = sa->ike;
	uint8_t gxy[IKE_DH_MAX_LEN];
	size_t glen = ike_dh_secret_len(sa->offer.group);
	enum ike_hash hash = (enum ike_hash)sa->offer.hash;
	char err[IKE_ERR_MAX];
	int rc = -1;

	if (ike_dh_compute(sa->dh, peer_ke, peer_len, gxy, glen, err,
	                   sizeof(err)) < 0) {
		ike_sa_log(ike, sa, LOG_NOTICE, "bad KE from the peer: %s",
		           err);
		rx->notify = IKE_N_INVALID_KEY_INFORMATION;
		rx->fail = IKE_FAIL_NEG;
		rx->notify_clear = true;
		goto out;
	}
	if (sa->auth_method == IKE_AUTH_PSK)
		rc = ike_skeyid_psk(&sa->keys, hash, sa->auth.psk,
		                    sa->auth.psk_len, sa->ni, sa->nilen, sa->nr,
		                    sa->nrlen, err, sizeof(err));
	else
		rc = ike_skeyid_sig(&sa->keys, hash, sa->ni, sa->nilen, sa->nr,
		                    sa->nrlen, gxy, glen, err, sizeof(err));
	if (rc == 0)
		rc = ike_skeyid_derive(&sa->keys, gxy, glen, sa->icookie,
		                       sa->rcookie, err, sizeof(err));
	if (rc == 0)
		rc = ike_encr_key_derive(&sa->ek, (enum ike_encr)sa->offer.enc,
		                         sa->offer.keybits, &sa->keys, err,
		                         sizeof(err));
	sa->blk = ike_encr_block_len(sa->offer.enc);
	if (rc == 0)
		rc = ike_iv_phase1(hash, sa->gxi, sa->glen, sa->gxr, sa->glen,
		                   sa->iv, sa->blk, err, sizeof(err));
	if (rc < 0) {
		ike_sa_log(ike, sa, LOG_ERR, "key derivation failed: %s", err);
		rx->fail = IKE_FAIL_OTHER;
		goto out;
	}
	sa->keyed = true;
out:
	OPENSSL_cleanse(gxy, sizeof(gxy));
	return rc;
}

/* The KE and nonce payloads of messages 3 and 4. */
static int
take_ke_nonce(struct ike_isa *sa, struct ike_rx *rx, uint8_t **ke, uint8_t *n,
              size_t *nlen)
{
	const struct ike_pl *kp = ike_msg_find(rx->m, IKE_PL_KE, 0);
	const struct ike_pl *np = ike_msg_find(rx->m, IKE_PL_NONCE, 0);

	if (kp->body.len != sa->glen) {
		ike_sa_log(sa->ike, sa, LOG_NOTICE,
		           "KE of %zu bytes for %s (%zu expected)", kp->body.len,
		           ike_dh_group_name(sa->offer.group), sa->glen);
		rx->notify = IKE_N_INVALID_KEY_INFORMATION;
		rx->fail = IKE_FAIL_NEG;
		rx->notify_clear = true;
		return -1;
	}
	*ke = malloc(sa->glen);
	if (*ke == NULL)
		return -1;
	memcpy(*ke, kp->body.p, sa->glen);
	memcpy(n, np->body.p, np->body.len);
	*nlen = np->body.len;
	return 0;
}

/* Our KE value and nonce. */
static int
make_ke_nonce(struct ike_isa *sa, uint8_t **ke, uint8_t *n, size_t *nlen)
{
	const uint8_t *pub;
	size_t len;

	sa->dh = ike_dh_make(sa->ike, sa->offer.group);
	if (sa->dh == NULL)
		return -1;
	pub = ike_dh_public(sa->dh, &len);
	*ke = malloc(len);
	if (*ke == NULL)
		return -1;
	memcpy(*ke, pub, len);
	sa->glen = len;
	ike_random(sa->ike, n, NONCE_LEN);
	*nlen = NONCE_LEN;
	return 0;
}

/* CR payloads, when signatures were chosen. */
static void
add_cr(struct ike_isa *sa, struct ike_msg_builder *b)
{
	const struct ike_env *env = sa->ike->env;
	const uint8_t *names[8];
	size_t lens[8], n = 0;

	if (sa->auth_method != IKE_AUTH_RSA_SIG)
		return;
	if (env->sig_cas != NULL)
		n = env->sig_cas(env->arg, sa->auth.cert, names, lens, 8);
	if (n == 0 || n > 8) {
		ike_msg_build_cr(b, IKE_CERT_X509_SIG, NULL, 0);
		return;
	}
	for (size_t i = 0; i < n; i++)
		ike_msg_build_cr(b, IKE_CERT_X509_SIG, names[i], lens[i]);
}

/* ---- authentication ----------------------------------------------------- */

static void
auth_input(const struct ike_isa *sa, struct ike_auth_input *in)
{
	in->gxi = sa->gxi;
	in->gxilen = sa->glen;
	in->gxr = sa->gxr;
	in->gxrlen = sa->glen;
	in->cky_i = sa->icookie;
	in->cky_r = sa->rcookie;
	in->sai_b = sa->sai_b;
	in->sailen = sa->sai_len;
}

/* HASH_I (initiator) or HASH_R over an ID payload body. */
static int
auth_hash(const struct ike_isa *sa, bool of_initiator, const uint8_t *id_b,
          size_t idlen, uint8_t *out)
{
	struct ike_auth_input in;

	auth_input(sa, &in);
	if (of_initiator)
		return ike_hash_i(&sa->keys, &in, id_b, idlen, out, NULL, 0);
	return ike_hash_r(&sa->keys, &in, id_b, idlen, out, NULL, 0);
}

/* Messages 5 and 6: ID, then HASH or [CERT] SIG, then the notify. */
static int
add_auth(struct ike_isa *sa, struct ike_msg_builder *b)
{
	struct ike *ike = sa->ike;
	const struct ike_env *env = ike->env;
	struct ike_id id;
	uint8_t h[IKE_HASH_MAX_LEN], sig[2048];
	size_t off, len, siglen = sizeof(sig);

	memset(&id, 0, sizeof(id));
	id.type = sa->local_id->type;
	id.data.p = sa->local_id->data;
	id.data.len = sa->local_id->len;
	if (ike_msg_build_id(b, &id) < 0 || ike_msg_build_last(b, &off, &len))
		return -1;
	if (auth_hash(sa, sa->role == IKE_ROLE_I, b->buf + off, len, h) < 0)
		return -1;
	if (sa->auth_method == IKE_AUTH_PSK) {
		ike_msg_build_hash(b, h, sa->keys.len);
	} else {
		uint8_t enc = IKE_CERT_X509_SIG;
		const uint8_t *der = NULL;
		size_t derlen = 0;
		if (env->sig_cert != NULL &&
		    env->sig_cert(env->arg, sa->auth.cert, &enc, &der,
		                  &derlen) == 0 &&
		    der != NULL && derlen > 0)
			ike_msg_build_cert(b, enc, der, derlen);
		if (env->sig_sign(env->arg, sa->auth.cert, h, sa->keys.len,
		                  sig, &siglen) < 0 ||
		    siglen == 0 || siglen > sizeof(sig)) {
			ike_sa_log(ike, sa, LOG_ERR, "cannot sign");
			return -1;
		}
		ike_msg_build_sig(b, sig, siglen);
	}
	OPENSSL_cleanse(h, sizeof(h));
	return b->failed ? -1 : 0;
}

static bool
ident_matches(const struct ike_identity *want, const struct ike_identity *got)
{
	if (want == NULL || want->type == 0)
		return true;
	return want->type == got->type && want->len == got->len &&
	       memcmp(want->data, got->data, got->len) == 0;
}

/* Checks the peer's ID and HASH or SIG of message 5 or 6. */
static int
verify_auth(struct ike_isa *sa, struct ike_rx *rx)
{
	struct ike *ike = sa->ike;
	const struct ike_msg *m = rx->m;
	const struct ike_pl *idp = ike_msg_find(m, IKE_PL_ID, 0);
	const struct ike_pl *hp = ike_msg_find(m, IKE_PL_HASH, 0);
	const struct ike_pl *sp = ike_msg_find(m, IKE_PL_SIG, 0);
	bool of_initiator = sa->role == IKE_ROLE_R;
	struct ike_identity id;
	uint8_t h[IKE_HASH_MAX_LEN];
	int ok = 0;

	rx->notify = IKE_N_AUTHENTICATION_FAILED;
	rx->fail = IKE_FAIL_AUTH;
	memset(&id, 0, sizeof(id));
	id.type = idp->u.id.type;
	if (idp->u.id.data.len > IKE_IDENT_MAX) {
		ike_sa_log(ike, sa, LOG_NOTICE, "peer identity too long");
		return -1;
	}
	id.len = (uint16_t)idp->u.id.data.len;
	memcpy(id.data, idp->u.id.data.p, id.len);
	if (auth_hash(sa, of_initiator, idp->body.p, idp->body.len, h) < 0)
		return -1;
	if (sa->auth_method == IKE_AUTH_PSK) {
		/* A truncated or long hash is wrong, not shorter. */
		ok = hp != NULL && sp == NULL && hp->body.len == sa->keys.len &&
		     CRYPTO_memcmp(hp->body.p, h, sa->keys.len) == 0;
	} else if (sp != NULL && hp == NULL) {
		struct ike_peer_auth pa;
		memset(&pa, 0, sizeof(pa));
		pa.id = &id;
		for (unsigned i = 0; i < m->npl; i++) {
			const struct ike_pl *pl = &m->pl[i];
			if (pl->type != IKE_PL_CERT ||
			    pa.ncerts >= IKE_PEER_CERTS_MAX)
				continue;
			pa.certs[pa.ncerts].enc = pl->u.cert.enc;
			pa.certs[pa.ncerts].data = pl->u.cert.data.p;
			pa.certs[pa.ncerts].len = pl->u.cert.data.len;
			pa.ncerts++;
		}
		ok = ike->env->sig_verify(ike->env->arg, sa->auth.cert, &pa, h,
		                          sa->keys.len, sp->body.p,
		                          sp->body.len) == 0;
	}
	OPENSSL_cleanse(h, sizeof(h));
	if (!ok) {
		ike_sa_log(ike, sa, LOG_NOTICE, "%s of the peer is wrong",
		           sa->auth_method == IKE_AUTH_PSK
		               ? (of_initiator ? "HASH_I" : "HASH_R")
		               : "the signature");
		return -1;
	}
	if (sa->conf != NULL && !ident_matches(&sa->conf->peer_id, &id)) {
		ike_sa_log(ike, sa, LOG_NOTICE,
		           "peer identity (%s) is not the one the policy "
		           "names",
		           ike_id_type_name(id.type));
		rx->notify = IKE_N_INVALID_ID_INFORMATION;
		return -1;
	}
	free(sa->peer_id);
	sa->peer_id = ident_dup(&id);
	if (sa->peer_id == NULL)
		return -1;
	ident_hash(&id, sa->peer_idh);
	/* An authenticated INITIAL-CONTACT (RFC 2407 section 4.6.3.3). */
	for (unsigned i = 0; i < m->npl; i++)
		if (m->pl[i].type == IKE_PL_N &&
		    m->pl[i].u.n.type == IKE_N_INITIAL_CONTACT)
			rx->initial_contact = true;
	rx->notify = 0;
	rx->fail = IKE_FAIL_OTHER;
	return 0;
}

/* ---- sending ------------------------------------------------------------- */

static int
send_msg(struct ike_isa *sa, struct ike_msg_builder *b, bool retransmit)
{
	size_t len;

	if (ike_build_seal(sa, b, sa->iv, sa->iv, &len) < 0)
		return -1;
	return ike_tx_set(sa, &sa->tx, b->buf, len, &sa->local,
	                  &sa->remote, retransmit);
}

/* ---- initiator --------------------------------------------------------- */

struct ike_isa *
ike_mm_initiate(struct ike *ike, const struct ike_endpoint *local,
                const struct ike_endpoint *remote, struct ike_mm_conf *conf)
{
	struct ike_msg_builder b;
	struct ike_isa *sa = NULL;
	uint8_t num = 1;

	if (conf->noffers == 0 || conf->noffers > IKE_MM_OFFERS_MAX ||
	    conf->nauths == 0 || conf->nauths > IKE_AUTHS_MAX)
		goto fail;
	sa = ike_sa_new(ike, IKE_ROLE_I, local, remote, NULL);
	if (sa == NULL)
		goto fail;
	set_conf(sa, conf);
	conf = NULL;
	local_identity(sa, sa->conf);
	ike_build_begin(sa, &b, IKE_EXCH_MAIN, 0, false);
	ike_msg_build_sa_begin(&b, IKE_DOI_IPSEC, IKE_SIT_IDENTITY_ONLY);
	ike_msg_build_prop_begin(&b, 1, IKE_PROTO_ISAKMP, NULL, 0);
	/* One transform per offer and authentication method, in the
	 * policy's order (RFC 2409 section 5: one proposal, several
	 * transforms). */
	for (size_t i = 0; i < sa->conf->noffers; i++) {
		const struct ike_mm_offer *o = &sa->conf->offers[i];
		if (!offer_valid(o))
			continue;
		for (size_t j = 0; j < sa->conf->nauths; j++) {
			const struct ike_auth *a;
			if (!auth_usable(ike, sa->conf,
			                 sa->conf->auths[j].method, &a) ||
			    a != &sa->conf->auths[j])
				continue;
			add_xform(&b, num++, o, a->method, sa->lifetime_s);
		}
	}
	if (num == 1) {
		ike_sa_log(ike, sa, LOG_ERR, "the main mode policy has no "
		                             "usable offer");
		ike_sa_kill(sa);
		return NULL;
	}
	ike_msg_build_sa_end(&b);
	if (keep_sai(sa, &b) < 0)
		goto kill;
	ike_natt_add_vids(&b, IKE_NATT_NONE, true);
	if (send_msg(sa, &b, true) < 0)
		goto kill;
	ike_sa_log(ike, sa, LOG_INFO, "main mode started (%u transforms)",
	           num - 1);
	return sa;
kill:
	ike_sa_kill(sa);
	return NULL;
fail:
	if (conf != NULL) {
		OPENSSL_cleanse(conf, sizeof(*conf));
		free(conf);
	}
	return NULL;
}

static int
i_mm2(struct ike_isa *sa, struct ike_rx *rx)
{
	struct ike *ike = sa->ike;
	const struct ike_msg *m = rx->m;
	const struct ike_pl *sp = ike_msg_find(m, IKE_PL_SA, 0);
	const struct ike_prop *p;
	const struct ike_auth *auth;
	struct ike_msg_builder b;
	struct mm_xf xf;

	p = ike_sa_prop(m, &sp->u.sa, 0);
	if (sp->u.sa.nprops != 1 || p->proto != IKE_PROTO_ISAKMP ||
	    p->nxforms != 1) {
		ike_sa_log(ike, sa, LOG_NOTICE,
		           "message 2 must choose one transform");
		rx->notify = IKE_N_BAD_PROPOSAL_SYNTAX;
		rx->fail = IKE_FAIL_NEG;
		rx->notify_clear = true;
		return IKE_STEP_FAIL;
	}
	mm_xf_decode(ike_prop_xform(m, p, 0), &xf);
	if (!mm_xf_acceptable(ike, sa->conf, &xf, &auth) ||
	    (xf.life_s != 0 && xf.life_s > sa->lifetime_s)) {
		ike_sa_log(ike, sa, LOG_NOTICE,
		           "the responder chose a transform we did not offer");
		rx->notify = IKE_N_NO_PROPOSAL_CHOSEN;
		rx->fail = IKE_FAIL_NEG;
		rx->notify_clear = true;
		return IKE_STEP_FAIL;
	}
	take_offer(sa, &xf, auth);
	memcpy(sa->rcookie, m->hdr.rcookie, IKE_COOKIE_LEN);
	sa->natt = ike_natt_from_vids(m);
	if (make_ke_nonce(sa, &sa->gxi, sa->ni, &sa->nilen) < 0)
		return IKE_STEP_FAIL;
	ike_build_begin(sa, &b, IKE_EXCH_MAIN, 0, false);
	ike_msg_build_ke(&b, sa->gxi, sa->glen);
	ike_msg_build_nonce(&b, sa->ni, sa->nilen);
	if (sa->natt != IKE_NATT_NONE)
		ike_natt_add_natd(sa, &b, &sa->local, &sa->remote);
	add_cr(sa, &b);
	if (send_msg(sa, &b, true) < 0)
		return IKE_STEP_FAIL;
	return IKE_STEP_OK;
}

static int
i_mm4(struct ike_isa *sa, struct ike_rx *rx)
{
	struct ike *ike = sa->ike;
	struct ike_msg_builder b;
	struct ike_isa *o;
	struct ike_child *c;

	if (take_ke_nonce(sa, rx, &sa->gxr, sa->nr, &sa->nrlen) < 0)
		return IKE_STEP_FAIL;
	if (sa->natt != IKE_NATT_NONE &&
	    ike_natt_check_natd(sa, rx->m, &rx->to, &rx->from) < 0) {
		IKE_STAT_INC(ike, invalid_packets);
		return IKE_STEP_DROP;
	}
	if (mm_keys(sa, sa->gxr, sa->glen, rx) < 0)
		return IKE_STEP_FAIL;
	ike_natt_float(sa);
	/* INITIAL-CONTACT only when we hold nothing with this peer: it
	 * tells the peer to forget what it had with us. */
	sa->send_ic = true;
	TAILQ_FOREACH(o, &sa->peer->sas, peer_link)
		if (o != sa && !o->dead && o->step == IKE_MM_DONE)
			sa->send_ic = false;
	TAILQ_FOREACH(c, &sa->peer->children, peer_link)
		if (!c->dead && !c->info.soft)
			sa->send_ic = false;
	ike_build_begin(sa, &b, IKE_EXCH_MAIN, 0, true);
	if (add_auth(sa, &b) < 0)
		return IKE_STEP_FAIL;
	if (sa->send_ic) {
		uint8_t spi[2 * IKE_COOKIE_LEN];
		struct ike_notify n;
		memcpy(spi, sa->icookie, IKE_COOKIE_LEN);
		memcpy(spi + IKE_COOKIE_LEN, sa->rcookie, IKE_COOKIE_LEN);
		memset(&n, 0, sizeof(n));
		n.doi = IKE_DOI_IPSEC;
		n.proto = IKE_PROTO_ISAKMP;
		n.spi_size = sizeof(spi);
		n.type = IKE_N_INITIAL_CONTACT;
		n.spi.p = spi;
		n.spi.len = sizeof(spi);
		ike_msg_build_notify(&b, &n);
	}
	if (send_msg(sa, &b, true) < 0)
		return IKE_STEP_FAIL;
	return IKE_STEP_OK;
}

static int
i_mm6(struct ike_isa *sa, struct ike_rx *rx)
{
	if (verify_auth(sa, rx) < 0)
		return IKE_STEP_FAIL;
	memcpy(sa->p1_last, rx->last_block, sa->blk);
	memcpy(sa->iv, rx->last_block, sa->blk);
	/* Message 6 ends the exchange: nothing left to retransmit. */
	ike_tx_clear(&sa->tx);
	return IKE_STEP_OK;
}

/* ---- responder ------------------------------------------------------------ */

/* Echoes the chosen transform as it came (RFC 2409: the responder
 * returns the transform it accepted). */
static int
echo_xform(struct ike_msg_builder *b, const struct ike_prop *p,
           const struct ike_xform *x)
{
	struct ike_attr_iter it;
	struct ike_attr a;

	ike_msg_build_prop_begin(b, p->num, p->proto, p->spi.p, p->spi_size);
	ike_msg_build_xform_begin(b, x->num, x->id);
	ike_attr_iter_init(&it, x);
	while (ike_attr_next(&it, &a) > 0) {
		if (a.tv)
			ike_msg_build_attr_tv(b, a.type, (uint16_t)a.value);
		else
			ike_msg_build_attr_tlv(b, a.type, a.data.p,
			                       (uint16_t)a.data.len);
	}
	return b->failed ? -1 : 0;
}

static int
r_mm1(struct ike_isa *sa, struct ike_rx *rx)
{
	struct ike *ike = sa->ike;
	const struct ike_msg *m = rx->m;
	const struct ike_pl *sp = ike_msg_find(m, IKE_PL_SA, 0);
	const struct ike_prop *cp = NULL;
	const struct ike_xform *cx = NULL;
	const struct ike_auth *auth = NULL;
	struct ike_mm_conf *conf;
	struct ike_msg_builder b;
	struct mm_xf xf, chosen;

	rx->notify_clear = true;
	conf = calloc(1, sizeof(*conf));
	if (conf == NULL)
		return IKE_STEP_FAIL;
	if (ike->env->mm_policy == NULL ||
	    ike->env->mm_policy(ike->env->arg, &sa->local, &sa->remote,
	                        conf) < 0) {
		OPENSSL_cleanse(conf, sizeof(*conf));
		free(conf);
		ike_sa_log(ike, sa, LOG_NOTICE, "no main mode policy for "
		                                "this peer");
		rx->notify = IKE_N_NO_PROPOSAL_CHOSEN;
		rx->fail = IKE_FAIL_NEG;
		return IKE_STEP_FAIL;
	}
	set_conf(sa, conf);
	local_identity(sa, conf);
	sa->sai_b = malloc(sp->body.len);
	if (sa->sai_b == NULL)
		return IKE_STEP_FAIL;
	memcpy(sa->sai_b, sp->body.p, sp->body.len);
	sa->sai_len = sp->body.len;
	/* The first acceptable transform in the initiator's order. */
	for (unsigned i = 0; i < sp->u.sa.nprops && cx == NULL; i++) {
		const struct ike_prop *p = ike_sa_prop(m, &sp->u.sa, i);
		if (p->proto != IKE_PROTO_ISAKMP)
			continue;
		for (unsigned j = 0; j < p->nxforms && cx == NULL; j++) {
			const struct ike_xform *x = ike_prop_xform(m, p, j);
			mm_xf_decode(x, &xf);
			if (mm_xf_acceptable(ike, conf, &xf, &auth)) {
				cp = p;
				cx = x;
				chosen = xf;
			}
		}
	}
	if (cx == NULL) {
		ike_sa_log(ike, sa, LOG_NOTICE,
		           "no acceptable main mode proposal");
		rx->notify = IKE_N_NO_PROPOSAL_CHOSEN;
		rx->fail = IKE_FAIL_NEG;
		return IKE_STEP_FAIL;
	}
	take_offer(sa, &chosen, auth);
	sa->natt = ike_natt_from_vids(m);
	ike_build_begin(sa, &b, IKE_EXCH_MAIN, 0, false);
	ike_msg_build_sa_begin(&b, IKE_DOI_IPSEC, IKE_SIT_IDENTITY_ONLY);
	echo_xform(&b, cp, cx);
	ike_msg_build_sa_end(&b);
	ike_natt_add_vids(&b, sa->natt, false);
	if (send_msg(sa, &b, false) < 0)
		return IKE_STEP_FAIL;
	ike_sa_log(ike, sa, LOG_INFO, "main mode: chose %s-%u %s %s %s",
	           ike_oakley_value_name(IKE_OA_ENC, sa->offer.enc),
	           sa->offer.keybits,
	           ike_oakley_value_name(IKE_OA_HASH, sa->offer.hash),
	           ike_group_name(sa->offer.group),
	           ike_oakley_value_name(IKE_OA_AUTH, sa->auth_method));
	return IKE_STEP_OK;
}

static int
r_mm3(struct ike_isa *sa, struct ike_rx *rx)
{
	struct ike *ike = sa->ike;
	struct ike_msg_builder b;

	sa->glen = ike_dh_public_len(sa->offer.group);
	if (take_ke_nonce(sa, rx, &sa->gxi, sa->ni, &sa->nilen) < 0)
		return IKE_STEP_FAIL;
	if (sa->natt != IKE_NATT_NONE &&
	    ike_natt_check_natd(sa, rx->m, &rx->to, &rx->from) < 0) {
		free(sa->gxi);
		sa->gxi = NULL;
		IKE_STAT_INC(ike, invalid_packets);
		return IKE_STEP_DROP;
	}
	if (make_ke_nonce(sa, &sa->gxr, sa->nr, &sa->nrlen) < 0)
		return IKE_STEP_FAIL;
	if (mm_keys(sa, sa->gxi, sa->glen, rx) < 0)
		return IKE_STEP_FAIL;
	ike_build_begin(sa, &b, IKE_EXCH_MAIN, 0, false);
	ike_msg_build_ke(&b, sa->gxr, sa->glen);
	ike_msg_build_nonce(&b, sa->nr, sa->nrlen);
	add_cr(sa, &b);
	if (sa->natt != IKE_NATT_NONE)
		ike_natt_add_natd(sa, &b, &sa->local, &sa->remote);
	if (send_msg(sa, &b, false) < 0)
		return IKE_STEP_FAIL;
	return IKE_STEP_OK;
}

static int
r_mm5(struct ike_isa *sa, struct ike_rx *rx)
{
	struct ike_msg_builder b;

	if (verify_auth(sa, rx) < 0)
		return IKE_STEP_FAIL;
	memcpy(sa->iv, rx->last_block, sa->blk);
	ike_build_begin(sa, &b, IKE_EXCH_MAIN, 0, true);
	if (add_auth(sa, &b) < 0 || send_msg(sa, &b, false) < 0)
		return IKE_STEP_FAIL;
	/* The last block of message 6 starts the phase 2 IVs. */
	memcpy(sa->p1_last, sa->iv, sa->blk);
	return IKE_STEP_OK;
}

/* ---- dispatch ----------------------------------------------------------- */

/* ---- refused messages 1 ------------------------------------------------ */

static void
refused_add(struct ike_isa *sa, const struct ike_rx *rx)
{
	struct ike *ike = sa->ike;
	struct ike_refused *r = &ike->refused[ike->refused_at];

	ike->refused_at = (ike->refused_at + 1) % IKE_REFUSED_MAX;
	memset(r, 0, sizeof(*r));
	ike_rx_digest(rx, r->h);
	r->from = rx->from.addr;
	memcpy(r->icookie, sa->icookie, IKE_COOKIE_LEN);
	memcpy(r->rcookie, sa->rcookie, IKE_COOKIE_LEN);
	r->local = sa->local;
	r->remote = sa->remote;
	r->notify = rx->notify;
	r->until = ike->now + ike_linger_ms(ike);
}

/* A retransmission of a message 1 we refused: the same answer again
 * (bounded), nothing new created or counted. */
static bool
refused_again(struct ike *ike, const struct ike_rx *rx)
{
	uint8_t h[IKE_RXH_LEN];
	bool digested = false;

	for (size_t i = 0; i < IKE_REFUSED_MAX; i++) {
		struct ike_refused *r = &ike->refused[i];
		struct ike_hdr hdr;

		if (r->until == 0 || ike->now >= r->until ||
		    !ike_addr_eq(&r->from, &rx->from.addr) ||
		    memcmp(r->icookie, rx->m->hdr.icookie, IKE_COOKIE_LEN) != 0)
			continue;
		if (!digested) {
			ike_rx_digest(rx, h);
			digested = true;
		}
		if (CRYPTO_memcmp(h, r->h, IKE_RXH_LEN) != 0)
			continue;
		ike_log(ike, LOG_INFO, "IKE: retransmitted main mode message 1 "
		                       "of a refused negotiation");
		if (r->notify != 0 && r->resends < IKE_DUP_RESENDS_MAX) {
			r->resends++;
			memset(&hdr, 0, sizeof(hdr));
			memcpy(hdr.icookie, r->icookie, IKE_COOKIE_LEN);
			memcpy(hdr.rcookie, r->rcookie, IKE_COOKIE_LEN);
			ike_info_notify_raw(ike, &hdr, r->notify, &r->local,
			                    &r->remote);
		}
		return true;
	}
	return false;
}

/* After a step: remember the message, advance, finish. */
static void
step_done(struct ike_isa *sa, struct ike_rx *rx, int rc)
{
	struct ike *ike = sa->ike;

	if (rc == IKE_STEP_FAIL) {
		if (sa->role == IKE_ROLE_R && sa->step == 0)
			refused_add(sa, rx);
		ike_sa_fail(sa, rx);
		return;
	}
	if (rc == IKE_STEP_DROP)
		return;
	ike_rx_remember(ike, sa->rxh, &sa->rxh_valid, rx);
	sa->step++;
	if (sa->step == IKE_MM_DONE) {
		char peer[INET6_ADDRSTRLEN];
		ike_addr_str(&sa->remote.addr, peer, sizeof(peer));
		ike_sa_log(ike, sa, LOG_NOTICE,
		           "main mode established with %s (%s%s)", peer,
		           ike_group_name(sa->offer.group),
		           sa->floated ? ", NAT-T" : "");
		ike_sa_established(sa);
		if (rx->initial_contact)
			ike_initial_contact(sa);
	}
}

void
ike_mm_respond(struct ike *ike, struct ike_rx *rx)
{
	const struct ike_msg *m = rx->m;
	struct ike_peer *peer;
	struct ike_isa *sa;
	uint16_t notify = 0;
	char why[IKE_ERR_MAX];

	if (m->encrypted || m->hdr.msgid != 0 ||
	    ike_script_check(&mm1, m, &notify, why, sizeof(why)) < 0) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_log(ike, LOG_INFO, "IKE: bad main mode message 1: %s",
		        m->encrypted || m->hdr.msgid != 0
		            ? "encrypted or with a message id"
		            : why);
		if (notify != 0)
			ike_info_notify_raw(ike, &m->hdr, notify, &rx->to,
			                    &rx->from);
		return;
	}
	if (refused_again(ike, rx))
		return;
	/* Half-open state is bounded, per peer and in all (the cookie
	 * exchange of IKEv1 does not protect a responder from floods of
	 * messages 1; these bounds do). */
	peer = ike_peer_find(ike, &rx->from.addr);
	if (ike->halfopen >= ike->conf.halfopen_max ||
	    (peer != NULL && peer->halfopen >= ike->conf.halfopen_peer_max)) {
		IKE_STAT_INC(ike, receive_failures);
		ike_log(ike, LOG_WARNING,
		        "IKE: too many half-open SAs: message 1 dropped");
		return;
	}
	sa = ike_sa_new(ike, IKE_ROLE_R, &rx->to, &rx->from, m->hdr.icookie);
	if (sa == NULL) {
		IKE_STAT_INC(ike, receive_failures);
		return;
	}
	step_done(sa, rx, r_mm1(sa, rx));
}

void
ike_mm_input(struct ike_isa *sa, struct ike_rx *rx)
{
	struct ike *ike = sa->ike;
	struct ike_msg *m = rx->m;
	const struct mm_step *step;
	uint16_t notify = 0;
	char why[IKE_ERR_MAX];

	if (ike_rx_duplicate(ike, sa->rxh, &sa->rxh_valid, &sa->tx, rx))
		return;
	if (sa->step >= IKE_MM_DONE) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_sa_log(ike, sa, LOG_INFO,
		           "main mode message after the end: dropped");
		return;
	}
	step = &mm_steps[sa->role][sa->step];
	if (m->encrypted != step->in->encrypted || m->hdr.msgid != 0) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_sa_log(ike, sa, LOG_INFO, "%s: unexpected %s message: "
		                              "dropped",
		           step->state, m->encrypted ? "encrypted" : "clear");
		return;
	}
	if (m->encrypted) {
		/* Responder, message 5: the NAT-T port may be new. */
		if (sa->role == IKE_ROLE_R && !sa->floated &&
		    sa->natt != IKE_NATT_NONE &&
		    rx->to.port == ike->conf.natt_port) {
			sa->floated = true;
			sa->local = rx->to;
			sa->remote = rx->from;
		}
		if (ike_rx_decrypt(sa, rx, sa->iv) < 0) {
			/* With pre-shared keys this is what a wrong key looks
			 * like: SKEYID_e differs, the plaintext is noise. */
			rx->notify = IKE_N_AUTHENTICATION_FAILED;
			rx->notify_clear = true;
			rx->fail = IKE_FAIL_AUTH;
			ike_sa_fail(sa, rx);
			return;
		}
	}
	if (ike_script_check(step->in, m, &notify, why, sizeof(why)) < 0) {
		IKE_STAT_INC(ike, invalid_packets);
		ike_sa_log(ike, sa, LOG_INFO, "%s: %s: dropped", step->state,
		           why);
		return;
	}
	step_done(sa, rx, step->fn(sa, rx));
}
