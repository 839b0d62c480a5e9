/*
 * esp.h - private ESP (RFC 4303) building blocks, shared with AH for
 * AH+ESP bundles and with the unit tests (fixed IVs for known answers).
 *
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |               Security Parameters Index (SPI)                 |
 * |                      Sequence Number                          |
 * |                IV (8: GCM, 8: 3DES, 16: AES-CBC, 0: NULL)     |
 * ~                    Payload Data (variable)                    ~
 * |     Padding (0-255 bytes: 1, 2, 3, ...)                       |
 * |                               |  Pad Length   | Next Header   |
 * ~          Integrity Check Value (ICV) (variable)               ~
 *
 * GCM (RFC 4106): nonce = salt(4) || IV(8), AAD = SPI || seq (no ESN),
 * 16-byte tag as ICV, payload aligned to 4.  CBC: payload aligned to the
 * block, ICV = truncated HMAC over SPI .. ciphertext (encrypt-then-MAC).
 */
#ifndef IPSECSH_DP_ESP_H
#define IPSECSH_DP_ESP_H

#include "sa.h"

#define ESP_HLEN 8

/*
 * Turns the payload in pkt into an ESP packet in place: trailer, header,
 * IV, encryption, ICV.  iv: NULL = generated (see sa.h), else ivlen bytes
 * used as given (tests).  No counters.
 */
enum dp_result esp_seal(struct dp_sa *sa, struct sa_slot *slot,
                        struct dp_pkt *pkt, uint8_t nh, uint32_t seq,
                        const uint8_t *iv);

/*
 * Verifies and decrypts the ESP packet in pkt (SPI .. ICV) in place; on
 * DP_OK pkt holds the payload and *nh the next header.  DP_ERR_AUTH: too
 * short for IV and ICV, or ICV mismatch; DP_ERR_DECRYPT: bad length for
 * the cipher, bad trailer or padding.  No replay check, no counters.
 */
enum dp_result esp_open(struct dp_sa *sa, struct sa_slot *slot,
                        struct dp_pkt *pkt, uint8_t *nh);

/*
 * After a successful open (ESP or AH): discards dummies, checks the inner
 * packet (tunnel) or rebuilds its IP header from src/dst (transport), then
 * checks selectors.  Moves dummy / not_decrypted / selector.
 */
enum dp_result esp_deliver(struct dp_worker *w, struct dp_sa *sa,
                           struct dp_pkt *pkt, uint8_t nh,
                           const struct dp_addr *src,
                           const struct dp_addr *dst);

/* Counts one delivered / sent inner packet of len bytes. */
void esp_count(struct dp_worker *w, const struct dp_sa *sa, size_t len,
               bool sent);

/* dp_esp_encap with a fixed IV (NULL = normal). */
enum dp_result esp_encap_iv(struct dp_worker *w, struct dp_sa *sa,
                            struct dp_pkt *pkt, const uint8_t *iv);

#endif
