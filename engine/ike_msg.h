/*
 * ike_msg.h - the ISAKMP message codec of the IKEv1 negotiator: the
 * protocol's constants with their name tables, a parser that turns a
 * datagram (or a decrypted body) into typed views, and a builder that
 * writes messages into a caller's buffer.
 *
 * Sources: RFC 2408 (ISAKMP header and payloads), RFC 2407 (the IPsec
 * DOI: protocol and transform IDs, SA attributes, ID payload), RFC 2409
 * (IKE: Oakley attributes, nonce sizes), RFC 3947 (NAT-D and NAT-OA,
 * UDP-encapsulated modes), RFC 3706 (DPD notifies).  The codec knows
 * formats, not exchanges: which payloads a message of an exchange must
 * carry, their order and duplicates are the negotiator's tables
 * (STYLE.md practice 8).
 *
 * Parsing.  ike_msg_parse() checks the 28-byte header against the
 * datagram and, unless the E flag is set, walks the payload chain.  With
 * the E flag only the header is parsed (the rest is ciphertext, in
 * msg->body); the caller decrypts it into a buffer of its own and calls
 * ike_msg_parse_body() with the header's next-payload type.  IKEv1 pads
 * an encrypted body to the cipher's block size with bytes that no
 * length covers, so a decrypted body may end with padding after the
 * last payload: it is counted in msg->trailing and never read.  A
 * cleartext message must end exactly with its last payload.
 *
 * Every length is checked against what is left before it is used
 * (STYLE.md practice 6); inner structures (proposals, transforms,
 * attributes, IDs, SPIs) are checked completely before the call
 * returns, so a caller never meets a view that runs past its bytes.
 *
 * Ownership and lifetimes.  struct ike_msg owns nothing: it is a fixed
 * table (IKE_MSG_PAYLOADS_MAX payloads, IKE_MSG_PROPS_MAX proposals,
 * IKE_MSG_XFORMS_MAX transforms; about 13 KiB, so keep one per worker
 * rather than on a small stack) whose views point into the buffers given
 * to the parser.  The header's views point into the datagram, payload
 * views into the datagram (cleartext) or into the decrypted body: those
 * buffers must outlive the struct's use and must not change meanwhile.
 * Nothing is allocated.
 *
 * Building.  struct ike_msg_builder writes into a caller's buffer: an
 * optional header, then payloads in order; each append fixes the
 * previous payload's next-payload field, and every payload is checked
 * with the parser's own rules once written, so whatever the builder
 * produces the parser accepts.  A failure is sticky: every later call
 * fails too, with the first error kept in b->err.  To send an encrypted
 * message: header with IKE_FLAG_ENC, payloads, ike_msg_build_pad(),
 * ike_msg_build_finish(), then encrypt bytes IKE_HDR_LEN..len in place.
 *
 * Errors: 0 or -1, with a one-line message in (err, errlen) when err is
 * not NULL, and msg->err_notify set to the RFC 2408 notify type that
 * names the fault (for the negotiator's answer, if it sends one).
 */
#ifndef IPSECSH_IKE_MSG_H
#define IPSECSH_IKE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- sizes and limits ---------------------------------------------- */

#define IKE_HDR_LEN 28          /* ISAKMP header */
#define IKE_GEN_HDR_LEN 4       /* generic payload header */
#define IKE_MSG_MAX 65535       /* largest message accepted or built */
#define IKE_MSG_PAYLOADS_MAX 64 /* payloads per message (chain cap) */
#define IKE_MSG_PROPS_MAX 64    /* proposals per message, all SAs */
#define IKE_MSG_XFORMS_MAX 256  /* transforms per message, all SAs */
#define IKE_XFORM_ATTRS_MAX 64  /* attributes per transform */
#define IKE_NONCE_MIN 8         /* RFC 2409 section 5 */
#define IKE_NONCE_MAX 256
#define IKE_COOKIE_LEN 8
#define IKE_SPI_MAX 16  /* an ISAKMP SPI is the cookie pair */
#define IKE_ERR_MAX 192 /* a good size for error buffers */

#define IKE_VERSION 0x10 /* major 1, minor 0 */

/* Header flags (RFC 2408 section 3.1); any other bit is INVALID-FLAGS. */
#define IKE_FLAG_ENC 0x01       /* E: payloads after the header encrypted */
#define IKE_FLAG_COMMIT 0x02    /* C: commit */
#define IKE_FLAG_AUTH_ONLY 0x04 /* A: authentication only */
#define IKE_FLAGS_KNOWN 0x07

/* Bit 0x80 of a generic payload header's reserved byte is read as the
 * critical bit (borrowed from RFC 7296 section 3.2, as IKEv1 stacks that
 * share code with IKEv2 send it); the other seven bits must be zero. */
#define IKE_PL_CRITICAL 0x80

/* SA attribute format bit (RFC 2408 section 3.3): set = TV (basic). */
#define IKE_ATTR_AF_TV 0x8000

/* ---- constants: X(id, value, name) generates enums and names -------- */

/* Exchange types: RFC 2408 section 3.1, RFC 2409 (Quick, New Group);
 * 6 is the Transaction exchange of the Mode Config draft. */
#define IKE_EXCHANGES(X)                                                       \
	X(IKE_EXCH_NONE, 0, "NONE")                                            \
	X(IKE_EXCH_BASE, 1, "Base")                                            \
	X(IKE_EXCH_MAIN, 2, "Main Mode")                                       \
	X(IKE_EXCH_AUTH_ONLY, 3, "Authentication Only")                        \
	X(IKE_EXCH_AGGRESSIVE, 4, "Aggressive Mode")                           \
	X(IKE_EXCH_INFO, 5, "Informational")                                   \
	X(IKE_EXCH_TRANSACTION, 6, "Transaction")                              \
	X(IKE_EXCH_QUICK, 32, "Quick Mode")                                    \
	X(IKE_EXCH_NEW_GROUP, 33, "New Group Mode")

/* Payload types: RFC 2408 section 3.1; 14 Mode Config draft; 15-19
 * GDOI (RFC 3547); 20/21 RFC 3947; 130/131 the NAT-T drafts' numbers;
 * 132 the IKEv1 fragment payload (Cisco/Microsoft).  The parser decodes
 * 1 and 4-13, 20, 21 (2 and 3 only inside an SA); 14-19 and 130-132 are
 * recognised but unsupported: kept as raw views for the negotiator to
 * refuse or ignore. */
#define IKE_PAYLOADS(X)                                                        \
	X(IKE_PL_NONE, 0, "NONE")                                              \
	X(IKE_PL_SA, 1, "SA")                                                  \
	X(IKE_PL_P, 2, "Proposal")                                             \
	X(IKE_PL_T, 3, "Transform")                                            \
	X(IKE_PL_KE, 4, "KE")                                                  \
	X(IKE_PL_ID, 5, "ID")                                                  \
	X(IKE_PL_CERT, 6, "CERT")                                              \
	X(IKE_PL_CR, 7, "CR")                                                  \
	X(IKE_PL_HASH, 8, "HASH")                                              \
	X(IKE_PL_SIG, 9, "SIG")                                                \
	X(IKE_PL_NONCE, 10, "NONCE")                                           \
	X(IKE_PL_N, 11, "N")                                                   \
	X(IKE_PL_D, 12, "D")                                                   \
	X(IKE_PL_VID, 13, "VID")                                               \
	X(IKE_PL_ATTR, 14, "ATTR")                                             \
	X(IKE_PL_SAK, 15, "SAK")                                               \
	X(IKE_PL_SAT, 16, "SAT")                                               \
	X(IKE_PL_KD, 17, "KD")                                                 \
	X(IKE_PL_SEQ, 18, "SEQ")                                               \
	X(IKE_PL_POP, 19, "POP")                                               \
	X(IKE_PL_NATD, 20, "NAT-D")                                            \
	X(IKE_PL_NATOA, 21, "NAT-OA")                                          \
	X(IKE_PL_NATD_DRAFT, 130, "NAT-D (draft)")                             \
	X(IKE_PL_NATOA_DRAFT, 131, "NAT-OA (draft)")                           \
	X(IKE_PL_FRAG, 132, "FRAGMENT")

/* Notify message types: RFC 2408 section 3.14.1 (errors 1-30, status
 * 16384), RFC 2407 section 4.6.3 (IPsec DOI status), RFC 3706 (DPD). */
#define IKE_NOTIFIES(X)                                                        \
	X(IKE_N_INVALID_PAYLOAD_TYPE, 1, "INVALID-PAYLOAD-TYPE")               \
	X(IKE_N_DOI_NOT_SUPPORTED, 2, "DOI-NOT-SUPPORTED")                     \
	X(IKE_N_SITUATION_NOT_SUPPORTED, 3, "SITUATION-NOT-SUPPORTED")         \
	X(IKE_N_INVALID_COOKIE, 4, "INVALID-COOKIE")                           \
	X(IKE_N_INVALID_MAJOR_VERSION, 5, "INVALID-MAJOR-VERSION")             \
	X(IKE_N_INVALID_MINOR_VERSION, 6, "INVALID-MINOR-VERSION")             \
	X(IKE_N_INVALID_EXCHANGE_TYPE, 7, "INVALID-EXCHANGE-TYPE")             \
	X(IKE_N_INVALID_FLAGS, 8, "INVALID-FLAGS")                             \
	X(IKE_N_INVALID_MESSAGE_ID, 9, "INVALID-MESSAGE-ID")                   \
	X(IKE_N_INVALID_PROTOCOL_ID, 10, "INVALID-PROTOCOL-ID")                \
	X(IKE_N_INVALID_SPI, 11, "INVALID-SPI")                                \
	X(IKE_N_INVALID_TRANSFORM_ID, 12, "INVALID-TRANSFORM-ID")              \
	X(IKE_N_ATTRIBUTES_NOT_SUPPORTED, 13, "ATTRIBUTES-NOT-SUPPORTED")      \
	X(IKE_N_NO_PROPOSAL_CHOSEN, 14, "NO-PROPOSAL-CHOSEN")                  \
	X(IKE_N_BAD_PROPOSAL_SYNTAX, 15, "BAD-PROPOSAL-SYNTAX")                \
	X(IKE_N_PAYLOAD_MALFORMED, 16, "PAYLOAD-MALFORMED")                    \
	X(IKE_N_INVALID_KEY_INFORMATION, 17, "INVALID-KEY-INFORMATION")        \
	X(IKE_N_INVALID_ID_INFORMATION, 18, "INVALID-ID-INFORMATION")          \
	X(IKE_N_INVALID_CERT_ENCODING, 19, "INVALID-CERT-ENCODING")            \
	X(IKE_N_INVALID_CERTIFICATE, 20, "INVALID-CERTIFICATE")                \
	X(IKE_N_CERT_TYPE_UNSUPPORTED, 21, "CERT-TYPE-UNSUPPORTED")            \
	X(IKE_N_INVALID_CERT_AUTHORITY, 22, "INVALID-CERT-AUTHORITY")          \
	X(IKE_N_INVALID_HASH_INFORMATION, 23, "INVALID-HASH-INFORMATION")      \
	X(IKE_N_AUTHENTICATION_FAILED, 24, "AUTHENTICATION-FAILED")            \
	X(IKE_N_INVALID_SIGNATURE, 25, "INVALID-SIGNATURE")                    \
	X(IKE_N_ADDRESS_NOTIFICATION, 26, "ADDRESS-NOTIFICATION")              \
	X(IKE_N_NOTIFY_SA_LIFETIME, 27, "NOTIFY-SA-LIFETIME")                  \
	X(IKE_N_CERTIFICATE_UNAVAILABLE, 28, "CERTIFICATE-UNAVAILABLE")        \
	X(IKE_N_UNSUPPORTED_EXCHANGE_TYPE, 29, "UNSUPPORTED-EXCHANGE-TYPE")    \
	X(IKE_N_UNEQUAL_PAYLOAD_LENGTHS, 30, "UNEQUAL-PAYLOAD-LENGTHS")        \
	X(IKE_N_CONNECTED, 16384, "CONNECTED")                                 \
	X(IKE_N_RESPONDER_LIFETIME, 24576, "RESPONDER-LIFETIME")               \
	X(IKE_N_REPLAY_STATUS, 24577, "REPLAY-STATUS")                         \
	X(IKE_N_INITIAL_CONTACT, 24578, "INITIAL-CONTACT")                     \
	X(IKE_N_R_U_THERE, 36136, "R-U-THERE")                                 \
	X(IKE_N_R_U_THERE_ACK, 36137, "R-U-THERE-ACK")

/* Domains of interpretation (RFC 2408 section 3.4, RFC 2407). */
#define IKE_DOIS(X)                                                            \
	X(IKE_DOI_ISAKMP, 0, "ISAKMP")                                         \
	X(IKE_DOI_IPSEC, 1, "IPSEC")

/* IPsec DOI situation bits (RFC 2407 section 4.2).  Only
 * SIT_IDENTITY_ONLY is supported: the other two add labelled-domain
 * fields that nobody sends any more. */
#define IKE_SIT_IDENTITY_ONLY 0x01
#define IKE_SIT_SECRECY 0x02
#define IKE_SIT_INTEGRITY 0x04

/* Protocol IDs (RFC 2407 section 4.4.1). */
#define IKE_PROTOS(X)                                                          \
	X(IKE_PROTO_ISAKMP, 1, "ISAKMP")                                       \
	X(IKE_PROTO_AH, 2, "AH")                                               \
	X(IKE_PROTO_ESP, 3, "ESP")                                             \
	X(IKE_PROTO_IPCOMP, 4, "IPCOMP")

/* Transform IDs for PROTO_ISAKMP (RFC 2407 section 4.4.2). */
#define IKE_XF_ISAKMP_IDS(X) X(IKE_XF_KEY_IKE, 1, "KEY_IKE")

/* Transform IDs for PROTO_IPSEC_AH (RFC 2407 section 4.4.3, IANA). */
#define IKE_XF_AH_IDS(X)                                                       \
	X(IKE_AH_MD5, 2, "AH_MD5")                                             \
	X(IKE_AH_SHA, 3, "AH_SHA")                                             \
	X(IKE_AH_DES, 4, "AH_DES")                                             \
	X(IKE_AH_SHA2_256, 5, "AH_SHA2-256")                                   \
	X(IKE_AH_SHA2_384, 6, "AH_SHA2-384")                                   \
	X(IKE_AH_SHA2_512, 7, "AH_SHA2-512")                                   \
	X(IKE_AH_RIPEMD, 8, "AH_RIPEMD")                                       \
	X(IKE_AH_AES_XCBC_MAC, 9, "AH_AES-XCBC-MAC")                           \
	X(IKE_AH_RSA, 10, "AH_RSA")                                            \
	X(IKE_AH_AES_128_GMAC, 11, "AH_AES-128-GMAC")                          \
	X(IKE_AH_AES_192_GMAC, 12, "AH_AES-192-GMAC")                          \
	X(IKE_AH_AES_256_GMAC, 13, "AH_AES-256-GMAC")

/* Transform IDs for PROTO_IPSEC_ESP (RFC 2407 section 4.4.4, IANA). */
#define IKE_XF_ESP_IDS(X)                                                      \
	X(IKE_ESP_DES_IV64, 1, "ESP_DES_IV64")                                 \
	X(IKE_ESP_DES, 2, "ESP_DES")                                           \
	X(IKE_ESP_3DES, 3, "ESP_3DES")                                         \
	X(IKE_ESP_RC5, 4, "ESP_RC5")                                           \
	X(IKE_ESP_IDEA, 5, "ESP_IDEA")                                         \
	X(IKE_ESP_CAST, 6, "ESP_CAST")                                         \
	X(IKE_ESP_BLOWFISH, 7, "ESP_BLOWFISH")                                 \
	X(IKE_ESP_3IDEA, 8, "ESP_3IDEA")                                       \
	X(IKE_ESP_DES_IV32, 9, "ESP_DES_IV32")                                 \
	X(IKE_ESP_RC4, 10, "ESP_RC4")                                          \
	X(IKE_ESP_NULL, 11, "ESP_NULL")                                        \
	X(IKE_ESP_AES_CBC, 12, "ESP_AES-CBC")                                  \
	X(IKE_ESP_AES_CTR, 13, "ESP_AES-CTR")                                  \
	X(IKE_ESP_AES_CCM_8, 14, "ESP_AES-CCM_8")                              \
	X(IKE_ESP_AES_CCM_12, 15, "ESP_AES-CCM_12")                            \
	X(IKE_ESP_AES_CCM_16, 16, "ESP_AES-CCM_16")                            \
	X(IKE_ESP_AES_GCM_8, 18, "ESP_AES-GCM_8")                              \
	X(IKE_ESP_AES_GCM_12, 19, "ESP_AES-GCM_12")                            \
	X(IKE_ESP_AES_GCM_16, 20, "ESP_AES-GCM_16")                            \
	X(IKE_ESP_SEED_CBC, 21, "ESP_SEED_CBC")                                \
	X(IKE_ESP_CAMELLIA, 22, "ESP_CAMELLIA")                                \
	X(IKE_ESP_NULL_AUTH_AES_GMAC, 23, "ESP_NULL_AUTH_AES-GMAC")

/* Transform IDs for PROTO_IPCOMP (RFC 2407 section 4.4.5). */
#define IKE_XF_IPCOMP_IDS(X)                                                   \
	X(IKE_IPCOMP_OUI, 1, "IPCOMP_OUI")                                     \
	X(IKE_IPCOMP_DEFLATE, 2, "IPCOMP_DEFLATE")                             \
	X(IKE_IPCOMP_LZS, 3, "IPCOMP_LZS")                                     \
	X(IKE_IPCOMP_LZJH, 4, "IPCOMP_LZJH")

/* Oakley (phase 1) SA attributes, RFC 2409 appendix A.  B = basic (TV),
 * V = variable (TLV); Life-Duration is V but sent as TV when it fits. */
#define IKE_OAKLEY_ATTRS(X)                                                    \
	X(IKE_OA_ENC, 1, "Encryption-Algorithm")                               \
	X(IKE_OA_HASH, 2, "Hash-Algorithm")                                    \
	X(IKE_OA_AUTH, 3, "Authentication-Method")                             \
	X(IKE_OA_GROUP_DESC, 4, "Group-Description")                           \
	X(IKE_OA_GROUP_TYPE, 5, "Group-Type")                                  \
	X(IKE_OA_GROUP_PRIME, 6, "Group-Prime")                                \
	X(IKE_OA_GROUP_GEN_ONE, 7, "Group-Generator-One")                      \
	X(IKE_OA_GROUP_GEN_TWO, 8, "Group-Generator-Two")                      \
	X(IKE_OA_GROUP_CURVE_A, 9, "Group-Curve-A")                            \
	X(IKE_OA_GROUP_CURVE_B, 10, "Group-Curve-B")                           \
	X(IKE_OA_LIFE_TYPE, 11, "Life-Type")                                   \
	X(IKE_OA_LIFE_DURATION, 12, "Life-Duration")                           \
	X(IKE_OA_PRF, 13, "PRF")                                               \
	X(IKE_OA_KEY_LENGTH, 14, "Key-Length")                                 \
	X(IKE_OA_FIELD_SIZE, 15, "Field-Size")                                 \
	X(IKE_OA_GROUP_ORDER, 16, "Group-Order")

/* Values of Encryption-Algorithm (RFC 2409 appendix A, RFC 3602, 4312). */
#define IKE_OAKLEY_ENCS(X)                                                     \
	X(IKE_ENC_DES_CBC, 1, "DES-CBC")                                       \
	X(IKE_ENC_IDEA_CBC, 2, "IDEA-CBC")                                     \
	X(IKE_ENC_BLOWFISH_CBC, 3, "Blowfish-CBC")                             \
	X(IKE_ENC_RC5_CBC, 4, "RC5-R16-B64-CBC")                               \
	X(IKE_ENC_3DES_CBC, 5, "3DES-CBC")                                     \
	X(IKE_ENC_CAST_CBC, 6, "CAST-CBC")                                     \
	X(IKE_ENC_AES_CBC, 7, "AES-CBC")                                       \
	X(IKE_ENC_CAMELLIA_CBC, 8, "CAMELLIA-CBC")

/* Values of Hash-Algorithm (RFC 2409 appendix A, RFC 4868). */
#define IKE_OAKLEY_HASHES(X)                                                   \
	X(IKE_HASHALG_MD5, 1, "MD5")                                           \
	X(IKE_HASHALG_SHA1, 2, "SHA")                                          \
	X(IKE_HASHALG_TIGER, 3, "Tiger")                                       \
	X(IKE_HASHALG_SHA2_256, 4, "SHA2-256")                                 \
	X(IKE_HASHALG_SHA2_384, 5, "SHA2-384")                                 \
	X(IKE_HASHALG_SHA2_512, 6, "SHA2-512")

/* Values of Authentication-Method (RFC 2409 appendix A). */
#define IKE_OAKLEY_AUTHS(X)                                                    \
	X(IKE_AUTH_PSK, 1, "pre-shared key")                                   \
	X(IKE_AUTH_DSS_SIG, 2, "DSS signatures")                               \
	X(IKE_AUTH_RSA_SIG, 3, "RSA signatures")                               \
	X(IKE_AUTH_RSA_ENC, 4, "encryption with RSA")                          \
	X(IKE_AUTH_RSA_ENC_REV, 5, "revised encryption with RSA")

/* Values of Group-Description, phase 1 and IPsec (RFC 2409 section 6,
 * RFC 3526, RFC 5114, RFC 5903, RFC 6932, RFC 8031). */
#define IKE_GROUPS(X)                                                          \
	X(IKE_GROUP_MODP_768, 1, "MODP-768")                                   \
	X(IKE_GROUP_MODP_1024, 2, "MODP-1024")                                 \
	X(IKE_GROUP_EC2N_155, 3, "EC2N-155")                                   \
	X(IKE_GROUP_EC2N_185, 4, "EC2N-185")                                   \
	X(IKE_GROUP_MODP_1536, 5, "MODP-1536")                                 \
	X(IKE_GROUP_MODP_2048, 14, "MODP-2048")                                \
	X(IKE_GROUP_MODP_3072, 15, "MODP-3072")                                \
	X(IKE_GROUP_MODP_4096, 16, "MODP-4096")                                \
	X(IKE_GROUP_MODP_6144, 17, "MODP-6144")                                \
	X(IKE_GROUP_MODP_8192, 18, "MODP-8192")                                \
	X(IKE_GROUP_ECP_256, 19, "ECP-256")                                    \
	X(IKE_GROUP_ECP_384, 20, "ECP-384")                                    \
	X(IKE_GROUP_ECP_521, 21, "ECP-521")                                    \
	X(IKE_GROUP_MODP_1024_160, 22, "MODP-1024-160")                        \
	X(IKE_GROUP_MODP_2048_224, 23, "MODP-2048-224")                        \
	X(IKE_GROUP_MODP_2048_256, 24, "MODP-2048-256")                        \
	X(IKE_GROUP_ECP_192, 25, "ECP-192")                                    \
	X(IKE_GROUP_ECP_224, 26, "ECP-224")                                    \
	X(IKE_GROUP_BP_224, 27, "brainpoolP224r1")                             \
	X(IKE_GROUP_BP_256, 28, "brainpoolP256r1")                             \
	X(IKE_GROUP_BP_384, 29, "brainpoolP384r1")                             \
	X(IKE_GROUP_BP_512, 30, "brainpoolP512r1")                             \
	X(IKE_GROUP_CURVE25519, 31, "Curve25519")                              \
	X(IKE_GROUP_CURVE448, 32, "Curve448")

/* Values of Group-Type (RFC 2409 appendix A). */
#define IKE_GROUP_TYPES(X)                                                     \
	X(IKE_GROUP_TYPE_MODP, 1, "MODP")                                      \
	X(IKE_GROUP_TYPE_ECP, 2, "ECP")                                        \
	X(IKE_GROUP_TYPE_EC2N, 3, "EC2N")

/* Values of Life-Type (Oakley) and SA-Life-Type (IPsec): the same. */
#define IKE_LIFE_TYPES(X)                                                      \
	X(IKE_LIFE_SECONDS, 1, "seconds")                                      \
	X(IKE_LIFE_KILOBYTES, 2, "kilobytes")

/* IPsec DOI (phase 2) SA attributes, RFC 2407 section 4.5 and later
 * (RFC 3168 ECN, RFC 4304 ESN, RFC 4359, RFC 6407). */
#define IKE_IPSEC_ATTRS(X)                                                     \
	X(IKE_IA_LIFE_TYPE, 1, "SA-Life-Type")                                 \
	X(IKE_IA_LIFE_DURATION, 2, "SA-Life-Duration")                         \
	X(IKE_IA_GROUP_DESC, 3, "Group-Description")                           \
	X(IKE_IA_ENCAP_MODE, 4, "Encapsulation-Mode")                          \
	X(IKE_IA_AUTH_ALG, 5, "Authentication-Algorithm")                      \
	X(IKE_IA_KEY_LENGTH, 6, "Key-Length")                                  \
	X(IKE_IA_KEY_ROUNDS, 7, "Key-Rounds")                                  \
	X(IKE_IA_COMP_DICT_SIZE, 8, "Compress-Dictionary-Size")                \
	X(IKE_IA_COMP_PRIV_ALG, 9, "Compress-Private-Algorithm")               \
	X(IKE_IA_ECN_TUNNEL, 10, "ECN-Tunnel")                                 \
	X(IKE_IA_ESN, 11, "Extended-Sequence-Number")                          \
	X(IKE_IA_AUTH_KEY_LENGTH, 12, "Authentication-Key-Length")             \
	X(IKE_IA_SIG_ENC_ALG, 13, "Signature-Encoding-Algorithm")              \
	X(IKE_IA_ADDR_PRESERVATION, 14, "Address-Preservation")                \
	X(IKE_IA_SA_DIRECTION, 15, "SA-Direction")

/* Values of Encapsulation-Mode (RFC 2407, RFC 3947 section 5.1; 61443
 * and 61444 are the values of the NAT-T drafts, still sent by old
 * peers). */
#define IKE_ENCAPS(X)                                                          \
	X(IKE_ENCAP_TUNNEL, 1, "Tunnel")                                       \
	X(IKE_ENCAP_TRANSPORT, 2, "Transport")                                 \
	X(IKE_ENCAP_UDP_TUNNEL, 3, "UDP-Encapsulated-Tunnel")                  \
	X(IKE_ENCAP_UDP_TRANSPORT, 4, "UDP-Encapsulated-Transport")            \
	X(IKE_ENCAP_UDP_TUNNEL_DRAFT, 61443,                                   \
	  "UDP-Encapsulated-Tunnel (draft)")                                   \
	X(IKE_ENCAP_UDP_TRANSPORT_DRAFT, 61444,                                \
	  "UDP-Encapsulated-Transport (draft)")

/* Values of Authentication-Algorithm (RFC 2407 section 4.5, IANA). */
#define IKE_IPSEC_AUTHS(X)                                                     \
	X(IKE_IAUTH_HMAC_MD5, 1, "HMAC-MD5")                                   \
	X(IKE_IAUTH_HMAC_SHA1, 2, "HMAC-SHA")                                  \
	X(IKE_IAUTH_DES_MAC, 3, "DES-MAC")                                     \
	X(IKE_IAUTH_KPDK, 4, "KPDK")                                           \
	X(IKE_IAUTH_HMAC_SHA2_256, 5, "HMAC-SHA2-256")                         \
	X(IKE_IAUTH_HMAC_SHA2_384, 6, "HMAC-SHA2-384")                         \
	X(IKE_IAUTH_HMAC_SHA2_512, 7, "HMAC-SHA2-512")                         \
	X(IKE_IAUTH_HMAC_RIPEMD, 8, "HMAC-RIPEMD")                             \
	X(IKE_IAUTH_AES_XCBC_MAC, 9, "AES-XCBC-MAC")                           \
	X(IKE_IAUTH_SIG_RSA, 10, "SIG-RSA")                                    \
	X(IKE_IAUTH_AES_128_GMAC, 11, "AES-128-GMAC")                          \
	X(IKE_IAUTH_AES_192_GMAC, 12, "AES-192-GMAC")                          \
	X(IKE_IAUTH_AES_256_GMAC, 13, "AES-256-GMAC")

/* Identification types (RFC 2407 section 4.6.2.1). */
#define IKE_ID_TYPES(X)                                                        \
	X(IKE_ID_IPV4_ADDR, 1, "ID_IPV4_ADDR")                                 \
	X(IKE_ID_FQDN, 2, "ID_FQDN")                                           \
	X(IKE_ID_USER_FQDN, 3, "ID_USER_FQDN")                                 \
	X(IKE_ID_IPV4_ADDR_SUBNET, 4, "ID_IPV4_ADDR_SUBNET")                   \
	X(IKE_ID_IPV6_ADDR, 5, "ID_IPV6_ADDR")                                 \
	X(IKE_ID_IPV6_ADDR_SUBNET, 6, "ID_IPV6_ADDR_SUBNET")                   \
	X(IKE_ID_IPV4_ADDR_RANGE, 7, "ID_IPV4_ADDR_RANGE")                     \
	X(IKE_ID_IPV6_ADDR_RANGE, 8, "ID_IPV6_ADDR_RANGE")                     \
	X(IKE_ID_DER_ASN1_DN, 9, "ID_DER_ASN1_DN")                             \
	X(IKE_ID_DER_ASN1_GN, 10, "ID_DER_ASN1_GN")                            \
	X(IKE_ID_KEY_ID, 11, "ID_KEY_ID")

/* Certificate encodings of CERT and CR (RFC 2408 section 3.9). */
#define IKE_CERT_ENCS(X)                                                       \
	X(IKE_CERT_PKCS7, 1, "PKCS #7 wrapped X.509")                          \
	X(IKE_CERT_PGP, 2, "PGP")                                              \
	X(IKE_CERT_DNS_KEY, 3, "DNS signed key")                               \
	X(IKE_CERT_X509_SIG, 4, "X.509 signature")                             \
	X(IKE_CERT_X509_KE, 5, "X.509 key exchange")                           \
	X(IKE_CERT_KERBEROS, 6, "Kerberos tokens")                             \
	X(IKE_CERT_CRL, 7, "CRL")                                              \
	X(IKE_CERT_ARL, 8, "ARL")                                              \
	X(IKE_CERT_SPKI, 9, "SPKI")                                            \
	X(IKE_CERT_X509_ATTR, 10, "X.509 attribute")

#define IKE_X_ENUM(id, value, name) id = value,
enum ike_exch { IKE_EXCHANGES(IKE_X_ENUM) };
enum ike_pl_type { IKE_PAYLOADS(IKE_X_ENUM) };
enum ike_notify_type { IKE_NOTIFIES(IKE_X_ENUM) };
enum ike_doi { IKE_DOIS(IKE_X_ENUM) };
enum ike_proto { IKE_PROTOS(IKE_X_ENUM) };
enum ike_xf_isakmp { IKE_XF_ISAKMP_IDS(IKE_X_ENUM) };
enum ike_xf_ah { IKE_XF_AH_IDS(IKE_X_ENUM) };
enum ike_xf_esp { IKE_XF_ESP_IDS(IKE_X_ENUM) };
enum ike_xf_ipcomp { IKE_XF_IPCOMP_IDS(IKE_X_ENUM) };
enum ike_oakley_attr { IKE_OAKLEY_ATTRS(IKE_X_ENUM) };
enum ike_oakley_enc { IKE_OAKLEY_ENCS(IKE_X_ENUM) };
enum ike_oakley_hash { IKE_OAKLEY_HASHES(IKE_X_ENUM) };
enum ike_oakley_auth { IKE_OAKLEY_AUTHS(IKE_X_ENUM) };
enum ike_group { IKE_GROUPS(IKE_X_ENUM) };
enum ike_group_type { IKE_GROUP_TYPES(IKE_X_ENUM) };
enum ike_life_type { IKE_LIFE_TYPES(IKE_X_ENUM) };
enum ike_ipsec_attr { IKE_IPSEC_ATTRS(IKE_X_ENUM) };
enum ike_encap { IKE_ENCAPS(IKE_X_ENUM) };
enum ike_ipsec_auth { IKE_IPSEC_AUTHS(IKE_X_ENUM) };
enum ike_id_type { IKE_ID_TYPES(IKE_X_ENUM) };
enum ike_cert_enc { IKE_CERT_ENCS(IKE_X_ENUM) };

/*
 * Names for logs and `show`: "unknown" for a value outside the list
 * (never NULL).  Transform IDs are named per protocol.  The value-name
 * functions name the values of enumerated attributes and return NULL
 * for attributes whose values are numbers (life duration, key length)
 * or when the value is not in the list: print the number then.
 */
const char *ike_exch_name(unsigned v);
const char *ike_pl_name(unsigned v);
const char *ike_notify_name(unsigned v);
const char *ike_doi_name(unsigned v);
const char *ike_proto_name(unsigned v);
const char *ike_xform_name(unsigned proto, unsigned id);
const char *ike_oakley_attr_name(unsigned type);
const char *ike_oakley_value_name(unsigned type, unsigned value);
const char *ike_ipsec_attr_name(unsigned type);
const char *ike_ipsec_value_name(unsigned type, unsigned value);
const char *ike_group_name(unsigned v);
const char *ike_id_type_name(unsigned v);
const char *ike_cert_enc_name(unsigned v);

/* ---- wire formats and their views ---------------------------------- */

/* Bytes in someone else's buffer (see "lifetimes" above). */
struct ike_span {
	const uint8_t *p;
	size_t len;
};

/*
 * ISAKMP header (RFC 2408 section 3.1):
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        Initiator Cookie                       |
 *  |                          (8 octets)                           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        Responder Cookie                       |
 *  |                          (8 octets)                           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                          Message ID                           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Length (whole message)                     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Accepted: version 1.0 exactly (2.0 is IKEv2: INVALID-MAJOR-VERSION),
 * a non-zero initiator cookie, an exchange type other than 0, no flag
 * bits beyond E, C and A, and a length that is the datagram's, from 28
 * to IKE_MSG_MAX.
 */
struct ike_hdr {
	uint8_t icookie[IKE_COOKIE_LEN];
	uint8_t rcookie[IKE_COOKIE_LEN];
	uint8_t np;      /* the first payload's type */
	uint8_t version; /* IKE_VERSION */
	uint8_t exch;    /* enum ike_exch */
	uint8_t flags;   /* IKE_FLAG_* */
	uint32_t msgid;
	uint32_t length;
};

/*
 * Generic payload header (RFC 2408 section 3.2), in front of every
 * payload, proposal and transform:
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Next Payload  |C|  RESERVED   |         Payload Length        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Payload Length counts the 4 header bytes; at least 4, at most what is
 * left.  C: see IKE_PL_CRITICAL.
 */

/*
 * SA payload (RFC 2408 section 3.4, RFC 2407 section 4.6.1):
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Domain of Interpretation (DOI)                |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                           Situation                           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Proposal payloads (one or more)               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Accepted: DOI IPSEC, situation SIT_IDENTITY_ONLY, at least one
 * proposal.  The proposals fill the rest of the payload exactly.
 */
struct ike_sa {
	uint32_t doi;
	uint32_t situation;
	uint16_t first_prop; /* index into msg->props */
	uint16_t nprops;
};

/*
 * Proposal payload (RFC 2408 section 3.5), inside an SA:
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Next (2 or 0) |   RESERVED    |         Payload Length        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Proposal #   |  Protocol-Id  |    SPI Size   |# of Transforms|
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        SPI (variable)                         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Transform payloads (# of them)                |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Next is 2 for all but the last proposal, 0 for the last; proposal
 * numbers never decrease (equal numbers form one bundle, e.g. AH+ESP).
 * Protocol 1-4.  SPI sizes: ISAKMP 0, 8 or 16 (RFC 2408 allows any
 * size and ignores the bytes; we take no cookie-shaped sizes but these),
 * AH and ESP 4, IPCOMP 2 (a CPI) or 4.  At least one transform; the
 * transforms fill the proposal exactly.
 */
struct ike_prop {
	uint8_t num;
	uint8_t proto; /* enum ike_proto */
	uint8_t spi_size;
	uint8_t nxforms;
	struct ike_span spi;  /* spi_size bytes */
	uint16_t first_xform; /* index into msg->xforms */
};

/*
 * Transform payload (RFC 2408 section 3.6), inside a proposal:
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | Next (3 or 0) |   RESERVED    |         Payload Length        |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Transform #  |  Transform-Id |           RESERVED2           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        SA Attributes                          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Data attribute (RFC 2408 section 3.3):
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |A|       Attribute Type        |    AF=0  Attribute Length     |
 *  |F|                             |    AF=1  Attribute Value      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                   AF=0  Attribute Value                       |
 *  |                   AF=1  Not Transmitted                       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Attributes fill the transform exactly; type 0 and empty TLV values
 * are refused; at most IKE_XFORM_ATTRS_MAX per transform.  The same
 * type may repeat (RFC 2407 section 4.5: life type/duration pairs).
 * Attributes are decoded on demand with ike_attr_next(): the parser has
 * checked them all already, with the same function.
 */
struct ike_xform {
	uint8_t num;
	uint8_t id; /* per protocol: enum ike_xf_* */
	uint16_t nattrs;
	struct ike_span attrs; /* the attribute bytes */
};

struct ike_attr {
	uint16_t type;  /* without the AF bit */
	bool tv;        /* sent as Type/Value (basic) */
	bool has_value; /* value holds it: TV, or TLV of <= 4 significant
	                   bytes (leading zero bytes ignored) */
	uint32_t value;
	struct ike_span data; /* TLV: the value bytes; TV: the 2 bytes */
};

struct ike_attr_iter {
	struct ike_span rest;
};

/*
 * ID payload (RFC 2408 section 3.8, IPsec DOI layout RFC 2407 section
 * 4.6.2):
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |    ID Type    |  Protocol ID  |             Port              |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                   Identification Data                         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Data per type: IPV4_ADDR 4 bytes, IPV6_ADDR 16, IPV4 subnet or range
 * 8 (address + mask, or start + end), IPV6 subnet or range 32; FQDN and
 * USER_FQDN at least one byte and no NUL; DER_ASN1_DN one DER SEQUENCE
 * whose length fills the data exactly; DER_ASN1_GN and KEY_ID at least
 * one byte.  Other types: INVALID-ID-INFORMATION.  The payload's body
 * (pl->body) is what HASH_I/HASH_R and Quick Mode's HASHes cover.
 */
struct ike_id {
	uint8_t type;  /* enum ike_id_type */
	uint8_t proto; /* IP protocol, 0 = any */
	uint16_t port; /* 0 = any */
	struct ike_span data;
};

/*
 * CERT and CR payloads (RFC 2408 sections 3.9 and 3.10): one byte of
 * encoding (1-10) and the certificate (at least one byte) or the
 * certificate authority (may be empty: any CA).
 */
struct ike_cert {
	uint8_t enc; /* enum ike_cert_enc */
	struct ike_span data;
};

/*
 * Notification payload (RFC 2408 section 3.14):
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |              Domain of Interpretation  (DOI)                  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Protocol-ID  |   SPI Size    |      Notify Message Type      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                Security Parameter Index (SPI)                 |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                       Notification Data                       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * DOI 0 or 1; protocol 0 (only with no SPI) or 1-4; SPI sizes: ISAKMP
 * 0, 8 or 16 (strongSwan sends INITIAL-CONTACT with both cookies), AH
 * and ESP 0 or 4, IPCOMP 0, 2 or 4; type not 0.  Data is the rest.
 */
struct ike_notify {
	uint32_t doi;
	uint8_t proto;
	uint8_t spi_size;
	uint16_t type; /* enum ike_notify_type */
	struct ike_span spi;
	struct ike_span data;
};

/*
 * Delete payload (RFC 2408 section 3.15):
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |              Domain of Interpretation  (DOI)                  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Protocol-Id  |   SPI Size    |           # of SPIs           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Security Parameter Index(es) (SPI)                   |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * DOI 0 or 1; protocol 1-4; SPI size ISAKMP 16 (the cookie pair), AH
 * and ESP 4, IPCOMP 2 or 4; at least one SPI; # of SPIs times the SPI
 * size is exactly the rest of the payload.
 */
struct ike_delete {
	uint32_t doi;
	uint8_t proto;
	uint8_t spi_size;
	uint16_t nspis;
	struct ike_span spis; /* nspis * spi_size bytes */
};

/*
 * NAT-OA payload (RFC 3947 section 5.2):
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |    ID Type    |   RESERVED    |            RESERVED           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         IPv4 (4 octets) or IPv6 address (16 octets)           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * ID type IPV4_ADDR or IPV6_ADDR with an address of that size; the
 * reserved bytes zero.
 */
struct ike_natoa {
	uint8_t type; /* IKE_ID_IPV4_ADDR or IKE_ID_IPV6_ADDR */
	struct ike_span addr;
};

/*
 * One payload of the chain.  body is everything after the generic
 * header (length - 4 bytes), raw the whole payload with its header.
 * KE, HASH, SIG, NONCE (8-256 bytes), VID, NAT-D (KE, HASH, SIG, VID and
 * NAT-D at least one byte) and the recognised-but-unsupported or
 * unknown private types have no view but body.
 */
struct ike_pl {
	uint8_t type; /* enum ike_pl_type, as on the wire */
	bool critical;
	struct ike_span raw;
	struct ike_span body;
	union {
		struct ike_sa sa;
		struct ike_id id;
		struct ike_cert cert; /* CERT and CR */
		struct ike_notify n;
		struct ike_delete d;
		struct ike_natoa natoa;
	} u;
};

struct ike_msg {
	struct ike_hdr hdr;
	struct ike_span raw;  /* the datagram (hdr.length bytes) */
	struct ike_span body; /* after the header: payloads, or ciphertext */
	bool encrypted;       /* IKE_FLAG_ENC set */
	bool decoded;         /* pl[] holds the payloads */
	/* Payload bytes from the first generic header to the end of the
	 * last payload; trailing = bytes after it (padding of a decrypted
	 * body), never read. */
	struct ike_span chain;
	size_t trailing;
	uint16_t err_notify; /* after a failure: enum ike_notify_type */
	uint16_t npl;
	uint16_t nprops;
	uint16_t nxforms;
	struct ike_pl pl[IKE_MSG_PAYLOADS_MAX];
	struct ike_prop props[IKE_MSG_PROPS_MAX];
	struct ike_xform xforms[IKE_MSG_XFORMS_MAX];
};

/* ---- parser -------------------------------------------------------- */

/*
 * Parses a datagram (for UDP 4500, after the non-ESP marker).  Fills
 * *out completely; on failure out->err_notify names the fault and
 * out->hdr is valid if the first 28 bytes were (the cookies, to answer
 * with).  With IKE_FLAG_ENC set only the header is parsed:
 * out->decoded is false and out->body is the ciphertext.
 */
int ike_msg_parse(const uint8_t *p, size_t len, struct ike_msg *out, char *err,
                  size_t errlen);

/*
 * Parses a decrypted body whose first payload has type first_payload
 * (the header's next-payload field).  Bytes after the last payload are
 * padding: counted, not read.  Clears and refills the payload tables of
 * *out and leaves hdr, raw, body and encrypted as they were, so call it
 * on the struct that ike_msg_parse() filled from the encrypted datagram
 * (or on a zeroed one).
 */
int ike_msg_parse_body(uint8_t first_payload, const uint8_t *body, size_t len,
                       struct ike_msg *out, char *err, size_t errlen);

/* The nth (from 0) payload of a type, or NULL. */
const struct ike_pl *ike_msg_find(const struct ike_msg *m, uint8_t type,
                                  unsigned nth);
unsigned ike_msg_count(const struct ike_msg *m, uint8_t type);

/* Proposal i of an SA and transform i of a proposal (NULL out of range). */
const struct ike_prop *ike_sa_prop(const struct ike_msg *m,
                                   const struct ike_sa *sa, unsigned i);
const struct ike_xform *ike_prop_xform(const struct ike_msg *m,
                                       const struct ike_prop *prop, unsigned i);

/* Walks a transform's attributes: 1 and *a filled, 0 at the end, -1 on
 * a malformed attribute (never after a successful parse). */
void ike_attr_iter_init(struct ike_attr_iter *it, const struct ike_xform *x);
int ike_attr_next(struct ike_attr_iter *it, struct ike_attr *a);
/* The first attribute of a type: true and *a filled, or false. */
bool ike_xform_attr(const struct ike_xform *x, uint16_t type,
                    struct ike_attr *a);

/* ---- builder ------------------------------------------------------- */

struct ike_msg_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool has_hdr;
	bool padded;
	bool failed;
	uint8_t first_np;  /* the first payload's type (for bodies) */
	uint8_t last_type; /* the last payload's type */
	unsigned npl;      /* payloads, proposals and transforms so far, */
	unsigned nprops;   /* held to the parser's caps */
	unsigned nxforms;
	size_t np_at;   /* the next-payload byte to fix; SIZE_MAX: first_np */
	size_t last_at; /* the last payload's generic header; SIZE_MAX */
	size_t sa_at;   /* an open SA, proposal, transform; SIZE_MAX */
	size_t prop_at;
	size_t xform_at;
	size_t last_prop_at;  /* the previous proposal/transform, whose next */
	size_t last_xform_at; /* field becomes 2/3 when another follows */
	char err[IKE_ERR_MAX];
};

/* Starts writing into buf[0..cap).  Without ike_msg_build_header() the
 * result is a bare body (for ike_msg_parse_body, or to encrypt). */
void ike_msg_build_init(struct ike_msg_builder *b, uint8_t *buf, size_t cap);
/* The header, first: cookies, exchange, flags and message id from *h;
 * version 1.0; next payload and length are filled in by the builder. */
int ike_msg_build_header(struct ike_msg_builder *b, const struct ike_hdr *h);

/* SA: begin, then per proposal prop_begin, per transform xform_begin
 * and its attributes, then sa_end (which closes and checks it all).
 * ike_msg_build_attr() sends a value as TV when it fits 16 bits, else
 * as a 4-byte TLV (life durations). */
int ike_msg_build_sa_begin(struct ike_msg_builder *b, uint32_t doi,
                           uint32_t situation);
int ike_msg_build_prop_begin(struct ike_msg_builder *b, uint8_t num,
                             uint8_t proto, const uint8_t *spi,
                             uint8_t spi_size);
int ike_msg_build_xform_begin(struct ike_msg_builder *b, uint8_t num,
                              uint8_t id);
int ike_msg_build_attr_tv(struct ike_msg_builder *b, uint16_t type,
                          uint16_t value);
int ike_msg_build_attr_tlv(struct ike_msg_builder *b, uint16_t type,
                           const uint8_t *data, uint16_t len);
int ike_msg_build_attr(struct ike_msg_builder *b, uint16_t type,
                       uint32_t value);
int ike_msg_build_sa_end(struct ike_msg_builder *b);

/* Payloads that are bytes.  data NULL writes len zero bytes, to fill in
 * later (a HASH computed over what follows): see ike_msg_build_last. */
int ike_msg_build_ke(struct ike_msg_builder *b, const uint8_t *data,
                     size_t len);
int ike_msg_build_nonce(struct ike_msg_builder *b, const uint8_t *data,
                        size_t len);
int ike_msg_build_hash(struct ike_msg_builder *b, const uint8_t *data,
                       size_t len);
int ike_msg_build_sig(struct ike_msg_builder *b, const uint8_t *data,
                      size_t len);
int ike_msg_build_vid(struct ike_msg_builder *b, const uint8_t *data,
                      size_t len);
int ike_msg_build_natd(struct ike_msg_builder *b, const uint8_t *data,
                       size_t len);
/* Any type, body as given, checked like a parsed payload of that type
 * (recognised-but-unsupported and private types: not checked). */
int ike_msg_build_raw(struct ike_msg_builder *b, uint8_t type,
                      const uint8_t *body, size_t len);

int ike_msg_build_id(struct ike_msg_builder *b, const struct ike_id *id);
int ike_msg_build_cert(struct ike_msg_builder *b, uint8_t enc,
                       const uint8_t *data, size_t len);
int ike_msg_build_cr(struct ike_msg_builder *b, uint8_t enc, const uint8_t *ca,
                     size_t len);
int ike_msg_build_notify(struct ike_msg_builder *b, const struct ike_notify *n);
int ike_msg_build_delete(struct ike_msg_builder *b, const struct ike_delete *d);
int ike_msg_build_natoa(struct ike_msg_builder *b, uint8_t id_type,
                        const uint8_t *addr, size_t len);

/* Appends a payload parsed from m (any type), re-encoded through the
 * builders above: the bytes come out as they went in. */
int ike_msg_build_copy(struct ike_msg_builder *b, const struct ike_msg *m,
                       const struct ike_pl *pl);

/* Sets the critical bit of the last payload. */
int ike_msg_build_critical(struct ike_msg_builder *b);
/* Where the last payload's body is in buf: offset and length. */
int ike_msg_build_last(const struct ike_msg_builder *b, size_t *off,
                       size_t *len);

/* Bytes to add to a body of len bytes for a cipher of this block size:
 * 1 to block (a full block when aligned), as strongSwan does; the
 * reference exchange's Main Mode message 6 goes from 48 to 64 bytes. */
size_t ike_msg_pad_len(size_t len, size_t block);
/* Appends that many zero bytes after the last payload (the body starts
 * after the header, if any); block 1-255.  No payload may follow. */
int ike_msg_build_pad(struct ike_msg_builder *b, size_t block);

/* Ends the message: fixes the header's length.  *len = bytes used. */
int ike_msg_build_finish(struct ike_msg_builder *b, size_t *len);

#endif
