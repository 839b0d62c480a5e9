/*
 * negotiator_cert.h - certificate authentication for the negotiator:
 * the ike_env signature hooks (ike.h) made of engine/ike_cert.*.
 *
 * Where things come from (README, "Certificates"):
 *   certdir/          root CA certificates and CRLs (PEM or DER), the
 *                     candidates of rootca= entries
 *   certdir/local.pem our certificate (then its intermediates)
 *   keyfile           its RSA private key, mode 0600, owned by root
 * certdir and keyfile are `service start` parameters (defaults
 * /etc/ipsecsh/certs and /etc/ipsecsh/private/local.key), read once at
 * start.  Without a certificate the service still runs; rules offering
 * only rootca= then cannot negotiate, and the log says why.
 */
#ifndef IPSECSH_NEGOTIATOR_CERT_H
#define IPSECSH_NEGOTIATOR_CERT_H

#include <stddef.h>

#include "ike.h"
#include "store.h"

struct config;
struct neg_cert;

/* Never NULL unless out of memory; what could not be loaded is logged. */
struct neg_cert *neg_cert_load(const char *certdir, const char *keyfile,
			       const struct config *cfg);
void neg_cert_free(struct neg_cert *nc);

/* The ike_auth handle for a rule's rootca= entries (cas[0..n-1] of kind
 * STORE_AUTH_ROOTCA), built once and kept; NULL (logged) when we have
 * no certificate or an entry names no CA of certdir. */
const void *neg_cert_trust(struct neg_cert *nc, const struct store_auth *cas,
			   size_t n);

/* Our identity for RSA signatures: ID_DER_ASN1_DN of our subject.
 * -1 without a certificate. */
int neg_cert_identity(const struct neg_cert *nc, struct ike_identity *id);

/* Sets env's sig_* hooks; env->arg must lead to nc through get. */
void neg_cert_hooks(struct ike_env *env);

/* The negotiator's arg gives its neg_cert (negotiator.c). */
struct neg_cert *neg_cert_of(void *env_arg);

#endif
