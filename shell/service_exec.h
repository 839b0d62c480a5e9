/*
 * service_exec.h - the service side of the shell: the executor that runs
 * the dynamic commands of control requests against the live state, and
 * the service's start and stop hooks (live state, later the datapath).
 */
#ifndef IPSECSH_SERVICE_EXEC_H
#define IPSECSH_SERVICE_EXEC_H

#include "live.h"
#include "service.h"

struct driver;
struct negotiator;
struct agent;
struct loop_timer;

struct service_exec {
	struct service *svc;
	struct live *live;
	struct driver *driver;
	struct negotiator *negotiator;
	unsigned ikeport;	 /* 0: 500 */
	const char *certdir;	 /* NULL: negotiator_cert.h's default */
	const char *keyfile;	 /* NULL: likewise */
	struct agent *agent;
	struct loop_timer *poll; /* the agent's safety-net poll */
	const char *store_path;  /* the store the agent reads */
	/* The TUN device of the driver; "none" runs without a driver (live
	 * state is kept and shown, no packet moves). */
	const char *tun;
};

/* Sets exec, the hooks and their argument (ctx) in o. */
void service_exec_opts(struct service_exec *ctx, struct service_opts *o);

/* The executor, for tests: runs req as the service would. */
int service_exec_request(void *arg, const struct ctl_request *req,
			 const struct ctl_peer *peer, FILE *out, FILE *err);

#endif
