/*
 * ike_cert.h - X.509 certificates and RSA signatures for IKEv1
 * authentication by signatures (RFC 2409 section 5.1) on OpenSSL 3:
 * where certificates and the private key come from, the root CAs of a
 * rule (rootca=), the data of our CERT and CR payloads, verification of
 * the peer's certificate chain, identity and revocation status
 * (strongcrlcheck), and the SIG payload.  The negotiator's signature
 * hooks call this module; it knows nothing of exchanges or sockets.
 *
 * ---- Files (defaults; every path can be overridden) -----------------
 *
 *   /etc/ipsecsh/certs/          the certificate directory (certdir)
 *       *.pem                    CA certificates, PEM, one or more per
 *                                file.  Certificates that are not CAs
 *                                (X509_check_ca() says no: neither
 *                                basicConstraints CA:TRUE, keyCertSign,
 *                                nor a self-signed v1 root) are ignored,
 *                                and so is the local certificate file.
 *       *.crl.pem                CRLs, PEM, one or more per file
 *       crls/                    CRLs in *.pem or *.crl files, PEM or
 *                                DER (for tools that keep CRLs in a
 *                                directory of their own)
 *       local.pem                our certificate (local_cert), PEM; any
 *                                further certificates in the file are
 *                                the intermediate CAs sent with it
 *   /etc/ipsecsh/private/local.key
 *                                our private key (local_key): RSA, PEM
 *                                (PKCS#8 or PKCS#1), not encrypted (the
 *                                file mode protects it).  Refused unless
 *                                it is a regular file with no group or
 *                                other permission bits (0600, 0400) and
 *                                owned by root or by the user the
 *                                service runs as.
 *
 * Dot files are skipped; files are read in name order.  A file that
 * cannot be read or parsed fails the whole load with an error naming
 * it: a half-loaded trust store is worse than a clear error.  Files are
 * read only by the *_load() functions: to pick up new certificates or
 * CRLs the service loads a new ike_certdb / ike_cred and rebuilds the
 * rules' ike_trust objects.
 *
 * ---- rootca="<CA>" ---------------------------------------------------
 *
 * <CA> (struct ike_rootca.ca) is one of:
 *   - an absolute path to a PEM file: each certificate in it is a root
 *     CA of the rule (each must be a CA certificate);
 *   - a file name without '=' (e.g. "labroot.pem"): the same, relative
 *     to the certificate directory;
 *   - a subject name, matched against the CA certificates of the
 *     directory.  Accepted forms, all of the whole name:
 *         RFC 2253 / 4514      CN=Lab Root CA,O=Example\, Inc.,C=US
 *         OpenSSL one-line     C = US, O = "Example, Inc.", CN = Lab Root CA
 *         OpenSSL slash form   /C=US/O=Example/CN=Lab Root CA
 *     in either order (most significant first or last), ';' for ',',
 *     '+' between the parts of a multi-valued RDN, values in double
 *     quotes or with backslash escapes (\, \+ \" \\ and \XX hex).  A
 *     ',' '+' or '/' counts as a separator only when "TYPE=" follows
 *     it, so "O=Example, Inc.,C=US" means what it says.  Types are
 *     OpenSSL's names (CN, O, OU, C, L, ST, DC, UID, emailAddress, ...;
 *     short names in any case), the aliases E, EMAIL and S, or dotted
 *     OIDs.  Values compare ASCII-case-insensitively with blanks
 *     trimmed and runs of blanks as one; non-ASCII may be typed as
 *     UTF-8 or as \XX escapes of its UTF-8 bytes, the form in which
 *     this module prints names (RFC 2253, control characters and
 *     non-ASCII escaped, since names reach logs).  Every directory CA
 *     whose subject matches is a root CA of the rule (a renewed CA
 *     keeps its name).  "#hex" values are not supported.
 * A rule may have several rootca entries; its trust is their union.
 * certmap is accepted and has no effect (spec/ipsecsh.md).
 *
 * ---- Certificate request and CERT payloads ---------------------------
 *
 * CR (RFC 2408 section 3.10), encoding X.509 Signature (4): one per
 * distinct root CA of the rule that is not excludecaname:yes, carrying
 * the DER of the CA's subject; plus, if any entry is excludecaname:yes,
 * one CR without a CA name (any CA), so that the peer still sends its
 * certificate.  CERT (section 3.9), encoding 4: our certificate's DER,
 * then one per intermediate of local.pem.
 *
 * ---- Peer verification -----------------------------------------------
 *
 * ike_trust_verify(): every CERT payload must have encoding 4; the first
 * is the peer's (end-entity) certificate, the rest are untrusted
 * intermediates.  The chain is built with an X509_STORE holding only
 * the rule's root CAs (any of them is a trust anchor, even one that is
 * not self-signed: the administrator named it), at the caller's time.
 * The end-entity key must pass ike_rsa_check_key(); a keyUsage, if
 * present, must allow digitalSignature or nonRepudiation.  Then, per
 * strongcrlcheck, for every certificate of the chain below the anchor,
 * the CRLs of the directory whose issuer is that certificate's issuer
 * and whose signature verifies with the issuer's key:
 *   0  no CRL checking;
 *   1  fail if such a CRL lists the certificate (even an expired CRL:
 *      revocation is permanent);
 *   2  as 1, and fail unless at least one such CRL is current
 *      (thisUpdate <= now < nextUpdate), complete (no
 *      issuingDistributionPoint, not a delta CRL) and has no
 *      unrecognised critical extension.
 * Last, the peer's ID payload must name the certificate:
 *   ID_DER_ASN1_DN     the subject's DER, byte for byte;
 *   ID_FQDN            a subjectAltName dNSName, ASCII case-insensitive;
 *   ID_USER_FQDN       a subjectAltName rfc822Name (local part exact,
 *                      domain case-insensitive);
 *   ID_IPV4_ADDR / ID_IPV6_ADDR   a subjectAltName iPAddress;
 *   other types        refused (they cannot name a certificate).
 *
 * ---- RSA signatures (RFC 2409 section 5.1) ---------------------------
 *
 * SIG_I / SIG_R is the RSA private-key operation over HASH_I / HASH_R
 * with PKCS#1 v1.5 type 1 padding and no DigestInfo (strongSwan's
 * SIGN_RSA_EMSA_PKCS1_NULL, `openssl pkeyutl -sign` without a digest),
 * as long as the modulus.  Verification is its exact inverse:
 * signature length == modulus length, 1 < s < n-1, and the recovered
 * block equal (constant-time compare) to 00 01 FF..FF 00 || HASH with
 * the hash's length, hence at least 8 FF bytes and nothing after the
 * hash.  That refuses trailing garbage, DigestInfo-wrapped signatures,
 * truncated hashes, s == 0 and s == n (CVE-2018-16151/16152,
 * CVE-2017-11185).  Keys (ours and the peer's) must be RSA with an odd
 * modulus of min_rsa_bits (default 2048; never below 1024) to 8192
 * bits and an odd public exponent >= 3.
 *
 * ---- Ownership, threads, errors ---------------------------------------
 *
 * ike_certdb, ike_cred, ike_trust and ike_peer are created by one call
 * and freed by their *_free() (NULL is fine); each holds its own
 * references to the OpenSSL objects it uses, so they can be freed in any
 * order.  Once created they are never modified, and may be used from
 * several threads at once.  The private key lives only in ike_cred (an
 * EVP_PKEY, freed with EVP_PKEY_free); the buffer the key file is read
 * into is wiped.
 *
 * Loading functions return NULL with one line in err.  Verification
 * returns an enum ike_cert_status (IKE_CS_OK = 0) with one line in err
 * naming the certificate and the reason, for the IKE log; the status
 * says which notify suits (ike_cert_status_notify()).  err may be NULL;
 * IKE_CERT_ERR_MAX is a good size.  Nothing is logged here.
 */
#ifndef IPSECSH_IKE_CERT_H
#define IPSECSH_IKE_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/types.h>

#include "ike_msg.h"

#define IKE_CERT_DIR_DEFAULT "/etc/ipsecsh/certs"
#define IKE_CERT_LOCAL_NAME "local.pem" /* in the certificate directory */
#define IKE_CERT_KEY_DEFAULT "/etc/ipsecsh/private/local.key"

#define IKE_RSA_MIN_BITS_DEFAULT 2048
#define IKE_RSA_FLOOR_BITS 1024 /* min_rsa_bits is never below this */
#define IKE_RSA_MAX_BITS 8192   /* larger moduli are refused (CPU cost) */
#define IKE_RSA_SIG_MAX (IKE_RSA_MAX_BITS / 8)

#define IKE_CERT_CHAIN_MAX 8  /* CERT payloads per peer; certs in local.pem */
#define IKE_CERT_NAME_MAX 256 /* a subject for logs, with its NUL */
#define IKE_CERT_ERR_MAX 512

/* Where certificates and keys come from: NULL or 0 members take the
 * defaults above.  The strings are only read by the *_load() calls. */
struct ike_cert_conf {
	const char *certdir;    /* NULL: IKE_CERT_DIR_DEFAULT */
	const char *local_cert; /* NULL: <certdir>/local.pem */
	const char *local_key;  /* NULL: IKE_CERT_KEY_DEFAULT */
	unsigned min_rsa_bits;  /* 0: IKE_RSA_MIN_BITS_DEFAULT */
};

/*
 * Results of verification: X(id, value, text, notify), the notify
 * being the RFC 2408 type a negotiator may answer with.
 */
#define IKE_CERT_STATUSES(X)                                                   \
	X(IKE_CS_OK, 0, "ok", 0)                                               \
	X(IKE_CS_NO_CERT, 1, "no certificate", IKE_N_CERTIFICATE_UNAVAILABLE)  \
	X(IKE_CS_ENCODING, 2, "certificate encoding not supported",            \
	  IKE_N_CERT_TYPE_UNSUPPORTED)                                         \
	X(IKE_CS_MALFORMED, 3, "malformed certificate",                        \
	  IKE_N_INVALID_CERTIFICATE)                                           \
	X(IKE_CS_UNTRUSTED, 4, "not issued by a root CA of the rule",          \
	  IKE_N_INVALID_CERT_AUTHORITY)                                        \
	X(IKE_CS_EXPIRED, 5, "certificate expired or not yet valid",           \
	  IKE_N_INVALID_CERTIFICATE)                                           \
	X(IKE_CS_REVOKED, 6, "certificate revoked", IKE_N_INVALID_CERTIFICATE) \
	X(IKE_CS_NO_CRL, 7, "no valid CRL", IKE_N_INVALID_CERTIFICATE)         \
	X(IKE_CS_ID_MISMATCH, 8, "identity does not match the certificate",    \
	  IKE_N_INVALID_ID_INFORMATION)                                        \
	X(IKE_CS_BAD_KEY, 9, "public key refused", IKE_N_INVALID_CERTIFICATE)  \
	X(IKE_CS_BAD_SIGNATURE, 10, "signature invalid",                       \
	  IKE_N_AUTHENTICATION_FAILED)                                         \
	X(IKE_CS_INTERNAL, 11, "internal error", IKE_N_AUTHENTICATION_FAILED)

#define IKE_CS_X_ENUM(id, value, text, notify) id = value,
enum ike_cert_status { IKE_CERT_STATUSES(IKE_CS_X_ENUM) };
#undef IKE_CS_X_ENUM

/* "unknown" outside the list; never NULL. */
const char *ike_cert_status_name(unsigned st);
/* The notify type for a failure (enum ike_notify_type); 0 for OK. */
uint16_t ike_cert_status_notify(unsigned st);

/* strongcrlcheck (netsh reference section 3.10). */
enum ike_crl_check {
	IKE_CRL_CHECK_NONE = 0,    /* no CRL checking */
	IKE_CRL_CHECK_REVOKED = 1, /* fail only if a CRL says revoked */
	IKE_CRL_CHECK_STRICT = 2,  /* also fail without a current CRL */
};

/* Fills conf with the defaults (all NULL / 0). */
void ike_cert_conf_default(struct ike_cert_conf *conf);

/* ---- the certificate directory ----------------------------------- */

struct ike_certdb;

/*
 * Reads the CA certificates and CRLs of conf->certdir (see the top of
 * this file).  A missing directory gives an empty database, so that
 * PSK-only setups need none; rootca= entries then fail to resolve with
 * an error saying so.
 */
struct ike_certdb *ike_certdb_load(const struct ike_cert_conf *conf, char *err,
                                   size_t errlen);
void ike_certdb_free(struct ike_certdb *db);
size_t ike_certdb_ca_count(const struct ike_certdb *db);
size_t ike_certdb_crl_count(const struct ike_certdb *db);
/* The directory as loaded (for messages). */
const char *ike_certdb_dir(const struct ike_certdb *db);

/* ---- our certificate and private key ----------------------------- */

struct ike_cred;

/*
 * Reads conf->local_cert and conf->local_key.  Refused, with an error
 * naming the file: a key file with group or other permission bits, or
 * owned by someone other than root and the effective user; a key that
 * is encrypted, not RSA, fails ike_rsa_check_key(), or does not belong
 * to the certificate; more than IKE_CERT_CHAIN_MAX certificates.
 */
struct ike_cred *ike_cred_load(const struct ike_cert_conf *conf, char *err,
                               size_t errlen);
void ike_cred_free(struct ike_cred *cred);

/* CERT payloads to send, each with encoding IKE_CERT_X509_SIG: i = 0 is
 * our certificate, then the intermediates.  Views owned by cred. */
size_t ike_cred_cert_count(const struct ike_cred *cred);
struct ike_span ike_cred_cert(const struct ike_cred *cred, size_t i);

/* Our subject's DER: the data of an ID_DER_ASN1_DN identity. */
struct ike_span ike_cred_subject(const struct ike_cred *cred);
/* Our subject in RFC 2253 form, for logs. */
const char *ike_cred_name(const struct ike_cred *cred);

/* SIG payload length (the modulus length in bytes). */
size_t ike_cred_sig_len(const struct ike_cred *cred);
/* *siglen = ike_cred_sig_len() bytes of signature over HASH_I / HASH_R
 * into sig (sigmax bytes); ike_rsa_sign() with our key. */
int ike_cred_sign(const struct ike_cred *cred, const uint8_t *hash,
                  size_t hashlen, uint8_t *sig, size_t sigmax, size_t *siglen,
                  char *err, size_t errlen);

/* ---- a rule's root CAs ------------------------------------------- */

/* One rootca= entry: from struct store_auth (kind STORE_AUTH_ROOTCA),
 * { a->value, a->excludecaname }.  ca is only read during the call. */
struct ike_rootca {
	const char *ca;
	bool excludecaname;
};

struct ike_trust;

/*
 * Resolves the n entries against db (see "rootca" above) into the
 * rule's trust: the root CAs, db's CRLs and the CR data.  Fails, naming
 * the entry, when one resolves to nothing (the error lists a few of the
 * directory's CA subjects, to copy from) or names a non-CA certificate.
 */
struct ike_trust *ike_trust_new(const struct ike_certdb *db,
                                const struct ike_rootca *cas, size_t n,
                                char *err, size_t errlen);
void ike_trust_free(struct ike_trust *t);
size_t ike_trust_ca_count(const struct ike_trust *t);
/* The i-th root CA's subject in RFC 2253 form, into buf. */
void ike_trust_ca_name(const struct ike_trust *t, size_t i, char *buf,
                       size_t len);

/* CR payloads to send, each with encoding IKE_CERT_X509_SIG: the DER
 * subject of a root CA, or empty (len 0: no CA name).  Owned by t. */
size_t ike_trust_cr_count(const struct ike_trust *t);
struct ike_span ike_trust_cr(const struct ike_trust *t, size_t i);

/* ---- the peer ----------------------------------------------------- */

struct ike_peer;

/*
 * Verifies the peer's CERT payloads (certs[0] its certificate, the rest
 * intermediates) and its ID payload against t at time now, with CRL
 * checking crlcheck (enum ike_crl_check), as described at the top of
 * this file.  On IKE_CS_OK *peer is the verified peer, to check its
 * signature with and free with ike_peer_free(); otherwise *peer is NULL
 * and err says why.
 */
enum ike_cert_status ike_trust_verify(const struct ike_trust *t,
                                      const struct ike_cert *certs,
                                      size_t ncerts, const struct ike_id *id,
                                      time_t now, int crlcheck,
                                      struct ike_peer **peer, char *err,
                                      size_t errlen);
void ike_peer_free(struct ike_peer *peer);
/* The peer certificate's subject in RFC 2253 form (logs, show mmsas). */
const char *ike_peer_name(const struct ike_peer *peer);

/* Checks SIG_I / SIG_R against HASH_I / HASH_R with the peer's key:
 * IKE_CS_OK or IKE_CS_BAD_SIGNATURE (ike_rsa_verify()). */
enum ike_cert_status ike_peer_verify_sig(const struct ike_peer *peer,
                                         const uint8_t *hash, size_t hashlen,
                                         const uint8_t *sig, size_t siglen,
                                         char *err, size_t errlen);

/* ---- RSA signatures without DigestInfo --------------------------- */

/*
 * Key policy: RSA (not RSA-PSS), odd modulus of max(min_bits,
 * IKE_RSA_FLOOR_BITS) to IKE_RSA_MAX_BITS bits (min_bits 0 means
 * IKE_RSA_MIN_BITS_DEFAULT), odd public exponent >= 3 and < n.
 */
int ike_rsa_check_key(EVP_PKEY *key, unsigned min_bits, char *err,
                      size_t errlen);

/* sig (sigmax bytes) = RSA private op over 00 01 FF..FF 00 || hash;
 * *siglen is the modulus length.  hashlen 1..IKE_HASH_MAX_LEN (64,
 * ike_crypto.h). */
int ike_rsa_sign(EVP_PKEY *key, unsigned min_bits, const uint8_t *hash,
                 size_t hashlen, uint8_t *sig, size_t sigmax, size_t *siglen,
                 char *err, size_t errlen);

/* 0 if sig is exactly the signature ike_rsa_sign() makes over hash with
 * the private half of key, else -1 saying why (see the top). */
int ike_rsa_verify(EVP_PKEY *key, unsigned min_bits, const uint8_t *hash,
                   size_t hashlen, const uint8_t *sig, size_t siglen, char *err,
                   size_t errlen);

#endif
