/*
 * negotiator_cert.c - the negotiator's signature hooks (see
 * negotiator_cert.h).
 */
#include "negotiator_cert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "config.h"
#include "ike_cert.h"
#include "log.h"

/* A rule's trust, keyed by its rootca= entries as written. */
struct trust_entry {
	char *key;
	struct ike_trust *trust;
};

struct neg_cert {
	struct ike_certdb *db;
	struct ike_cred *cred;
	const struct config *cfg;
	struct trust_entry *trusts;
	size_t ntrusts;
};

struct neg_cert *
neg_cert_load(const char *certdir, const char *keyfile,
	      const struct config *cfg)
{
	struct neg_cert *nc = calloc(1, sizeof(*nc));
	struct ike_cert_conf conf;
	char err[IKE_CERT_ERR_MAX];

	if (nc == NULL)
		return NULL;
	nc->cfg = cfg;
	ike_cert_conf_default(&conf);
	conf.certdir = certdir;
	conf.local_key = keyfile;
	nc->db = ike_certdb_load(&conf, err, sizeof(err));
	if (nc->db == NULL)
		log_msg(LOG_CAT_IKE, LOG_WARNING, "IKE: root CAs: %s", err);
	nc->cred = ike_cred_load(&conf, err, sizeof(err));
	if (nc->cred == NULL)
		log_msg(LOG_CAT_IKE, LOG_INFO,
			"IKE: no certificate authentication: %s", err);
	else
		log_msg(LOG_CAT_IKE, LOG_INFO, "IKE: our certificate: %s",
			ike_cred_name(nc->cred));
	return nc;
}

void
neg_cert_free(struct neg_cert *nc)
{
	if (nc == NULL)
		return;
	for (size_t i = 0; i < nc->ntrusts; i++) {
		free(nc->trusts[i].key);
		ike_trust_free(nc->trusts[i].trust);
	}
	free(nc->trusts);
	ike_cred_free(nc->cred);
	ike_certdb_free(nc->db);
	free(nc);
}

/* "excludecaname|CA\n" per entry: two rules naming the same CAs alike
 * share one trust. */
static char *
trust_key(const struct store_auth *cas, size_t n)
{
	size_t len = 1;
	char *key, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(cas[i].value) + 3;
	key = malloc(len);
	if (key == NULL)
		return NULL;
	p = key;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%d|%s\n", cas[i].excludecaname ? 1 : 0,
			     cas[i].value);
	*p = '\0';
	return key;
}

const void *
neg_cert_trust(struct neg_cert *nc, const struct store_auth *cas, size_t n)
{
	struct ike_rootca roots[IKE_AUTHS_MAX * 4];
	char err[IKE_CERT_ERR_MAX];
	struct trust_entry *grown;
	struct ike_trust *t;
	char *key;

	if (nc == NULL || nc->db == NULL || nc->cred == NULL || n == 0 ||
	    n > sizeof(roots) / sizeof(roots[0]))
		return NULL;
	key = trust_key(cas, n);
	if (key == NULL)
		return NULL;
	for (size_t i = 0; i < nc->ntrusts; i++)
		if (strcmp(nc->trusts[i].key, key) == 0) {
			free(key);
			return nc->trusts[i].trust;
		}
	for (size_t i = 0; i < n; i++)
		roots[i] = (struct ike_rootca){cas[i].value,
					       cas[i].excludecaname};
	t = ike_trust_new(nc->db, roots, n, err, sizeof(err));
	if (t == NULL) {
		log_msg(LOG_CAT_IKE, LOG_WARNING, "IKE: rootca: %s", err);
		free(key);
		return NULL;
	}
	grown = realloc(nc->trusts, (nc->ntrusts + 1) * sizeof(*grown));
	if (grown == NULL) {
		ike_trust_free(t);
		free(key);
		return NULL;
	}
	nc->trusts = grown;
	nc->trusts[nc->ntrusts++] = (struct trust_entry){key, t};
	return t;
}

int
neg_cert_identity(const struct neg_cert *nc, struct ike_identity *id)
{
	struct ike_span s;

	if (nc == NULL || nc->cred == NULL)
		return -1;
	s = ike_cred_subject(nc->cred);
	if (s.len == 0 || s.len > IKE_IDENT_MAX)
		return -1;
	memset(id, 0, sizeof(*id));
	id->type = IKE_ID_DER_ASN1_DN;
	id->len = (uint16_t)s.len;
	memcpy(id->data, s.p, s.len);
	return 0;
}

static int
hook_cert(void *arg, const void *handle, uint8_t *enc, const uint8_t **der,
	  size_t *len)
{
	struct neg_cert *nc = neg_cert_of(arg);
	struct ike_span s;

	(void)handle;
	if (nc == NULL || nc->cred == NULL || ike_cred_cert_count(nc->cred) == 0)
		return -1;
	s = ike_cred_cert(nc->cred, 0);
	*enc = IKE_CERT_X509_SIG;
	*der = s.p;
	*len = s.len;
	return 0;
}

static size_t
hook_cas(void *arg, const void *handle, const uint8_t **names, size_t *lens,
	 size_t max)
{
	const struct ike_trust *t = handle;
	size_t n = 0;

	(void)arg;
	for (size_t i = 0; t != NULL && i < ike_trust_cr_count(t) && n < max;
	     i++) {
		struct ike_span s = ike_trust_cr(t, i);
		names[n] = s.p;
		lens[n++] = s.len;
	}
	return n;
}

static int
hook_sign(void *arg, const void *handle, const uint8_t *hash, size_t hlen,
	  uint8_t *sig, size_t *siglen)
{
	struct neg_cert *nc = neg_cert_of(arg);
	char err[IKE_CERT_ERR_MAX];

	(void)handle;
	if (nc == NULL || nc->cred == NULL)
		return -1;
	if (ike_cred_sign(nc->cred, hash, hlen, sig, *siglen, siglen, err,
			  sizeof(err)) < 0) {
		log_msg(LOG_CAT_IKE, LOG_ERR, "IKE: signing failed: %s", err);
		return -1;
	}
	return 0;
}

static int
hook_verify(void *arg, const void *handle, const struct ike_peer_auth *pa,
	    const uint8_t *hash, size_t hlen, const uint8_t *sig,
	    size_t siglen)
{
	struct neg_cert *nc = neg_cert_of(arg);
	const struct ike_trust *t = handle;
	struct ike_cert certs[IKE_PEER_CERTS_MAX];
	struct ike_id id;
	struct ike_peer *peer = NULL;
	char err[IKE_CERT_ERR_MAX];
	enum ike_cert_status st;
	int crl = nc != NULL && nc->cfg != NULL
			  ? (int)nc->cfg->num[CONFIG_STRONGCRLCHECK]
			  : IKE_CRL_CHECK_REVOKED;

	if (t == NULL || pa == NULL || pa->id == NULL)
		return -1;
	for (size_t i = 0; i < pa->ncerts && i < IKE_PEER_CERTS_MAX; i++)
		certs[i] = (struct ike_cert){pa->certs[i].enc,
					     {pa->certs[i].data,
					      pa->certs[i].len}};
	memset(&id, 0, sizeof(id));
	id.type = pa->id->type;
	id.data.p = pa->id->data;
	id.data.len = pa->id->len;
	st = ike_trust_verify(t, certs, pa->ncerts, &id, time(NULL), crl,
			      &peer, err, sizeof(err));
	if (st == IKE_CS_OK)
		st = ike_peer_verify_sig(peer, hash, hlen, sig, siglen, err,
					 sizeof(err));
	if (st == IKE_CS_OK)
		log_msg(LOG_CAT_IKE, LOG_INFO, "IKE: peer certificate %s "
					       "verified",
			ike_peer_name(peer));
	else
		log_msg(LOG_CAT_IKE, LOG_NOTICE, "IKE: peer refused: %s", err);
	ike_peer_free(peer);
	return st == IKE_CS_OK ? 0 : -1;
}

void
neg_cert_hooks(struct ike_env *env)
{
	env->sig_cert = hook_cert;
	env->sig_cas = hook_cas;
	env->sig_sign = hook_sign;
	env->sig_verify = hook_verify;
}
