/*
 * negotiator.h - the IKE negotiator (ike.h) inside the service: its
 * environment made of the service's real parts.
 *   network   a UDP socket on the IKE port (500; bypassing the driver's
 *             route by its fwmark), and the driver's NAT-T port for
 *             floated exchanges
 *   clock     the loop's; a loop timer runs ike_timer when it is due
 *   policy    the live SPD: the rule a peer or a flow falls under gives
 *             the main and quick mode policies and the authentication
 *   SAs       installed into live (and so into the driver), shown by
 *             `show qmsas`; acquires come from the driver
 *   stats     live's IKE statistics
 * Everything runs in the service's main thread.
 */
#ifndef IPSECSH_NEGOTIATOR_H
#define IPSECSH_NEGOTIATOR_H

#include <stddef.h>
#include <stdint.h>

#include "ike.h"
#include "live.h"

struct loop;
struct driver;
struct negotiator;
struct config;

struct negotiator_config {
	uint16_t port;	    /* 0: 500 */
	uint16_t natt_port; /* 0: 4500 (the driver's) */
	uint32_t fwmark;    /* the driver's mark; 0: none */
	const char *certdir; /* NULL: /etc/ipsecsh/certs (negotiator_cert.h) */
	const char *keyfile; /* NULL: /etc/ipsecsh/private/local.key */
	const struct config *config; /* strongcrlcheck; NULL: 1 */
};

/* driver may be NULL (no NAT-T then).  Registers itself with live and
 * the driver. */
int negotiator_start(struct loop *loop, struct live *live,
		     struct driver *driver, const struct negotiator_config *cfg,
		     struct negotiator **out, char *err, size_t errlen);
/* Sends deletes for everything it negotiated, then stops. */
void negotiator_stop(struct negotiator *n);

struct ike *negotiator_ike(struct negotiator *n);

#endif
