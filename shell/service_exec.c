/*
 * service_exec.c - runs control requests inside the service.
 *
 * A request names a context and carries words.  Only service commands
 * (CMD_SERVICE, the dynamic context) run here: the service runs as root,
 * so a request may never reach exec, aliases or the store.  Commands
 * that change live state (CMD_CHANGES) need a peer that may change it
 * (root or the admin group); everyone else may show.
 */
#include "service_exec.h"

#include <string.h>

#include "agent.h"
#include "driver.h"
#include "negotiator.h"
#include "runtime.h"
#include "lex.h"
#include "log.h"
#include "loop.h"
#include "resolve.h"
#include "shell.h"

int
service_exec_request(void *arg, const struct ctl_request *req,
		     const struct ctl_peer *peer, FILE *out, FILE *err)
{
	struct service_exec *ctx = arg;
	struct shell sh;
	struct tokens tk, path;
	struct resolved r;
	char msg[256];
	const struct context *cur = &ctx_root;
	enum cmd_status st;
	int rc = CTL_DONE_REFUSED;

	shell_init(&sh);
	sh.out = out;
	sh.err = err;
	sh.live = ctx->live;
	sh.service = ctx->svc;
	sh.agent = ctx->agent;
	memset(&tk, 0, sizeof(tk));
	if (req->nwords == 0 || req->nwords > LEX_TOKENS_MAX) {
		fprintf(err, "ERR: a request needs 1 to %d words.\n",
			LEX_TOKENS_MAX);
		goto out;
	}
	/* The context the client was in. */
	if (req->context[0] != '\0') {
		int lx = lex_line(req->context, &path, msg, sizeof(msg));
		if (lx == 0) {
			char *words[LEX_TOKENS_MAX];
			for (size_t i = 0; i < path.n; i++)
				words[i] = path.t[i].value;
			cur = shell_find_context(&sh, words, path.n);
			lex_free(&path);
		}
		if (lx != 0 || cur == NULL) {
			fprintf(err, "ERR: \"%s\" is not a context.\n",
				req->context);
			goto out;
		}
	}
	sh.cur = cur;
	/* The words as the lexer would have made them. */
	tk.n = req->nwords;
	for (size_t i = 0; i < req->nwords; i++) {
		const struct ctl_word *w = &req->words[i];
		tk.t[i].tag = w->kind == CTL_WORD_TAGGED ? w->tag : NULL;
		tk.t[i].value = w->value;
		tk.t[i].quoted = w->kind == CTL_WORD_QUOTED;
	}
	resolve(cur, &tk, &r);
	if (r.kind != RES_COMMAND || !(r.cmd->flags & CMD_SERVICE)) {
		fprintf(err, "The service runs only the commands of the "
			     "ipsec dynamic context.\n");
		goto out;
	}
	if ((r.cmd->flags & CMD_CHANGES) && !peer->may_change) {
		fprintf(err, "ERR: %s changes the live state: only root or "
			     "the service's admin group may run it.\n",
			r.cmd->name);
		goto out;
	}
	st = shell_run_command(&sh, &r, &tk);
	if (st == CMD_OK && (r.cmd->flags & CMD_CHANGES))
		log_info("%s (by uid %u)", r.cmd->name, (unsigned)peer->uid);
	rc = st == CMD_OK ? CTL_DONE_OK : CTL_DONE_FAILED;
out:
	/* The tokens point into the request; nothing of them to free. */
	sh.live = NULL;
	sh.out = stdout;
	sh.err = stderr;
	shell_finish(&sh);
	return rc;
}

/* Loads the assigned policy if the store changed; logs what happened. */
static void
agent_poll(struct service_exec *ctx, bool force)
{
	char err[512];
	int rc = agent_sync(ctx->agent, force, err, sizeof(err));

	if (rc > 0)
		log_notice("policy agent: applied %s",
			   agent_applied(ctx->agent));
	else if (rc < 0)
		log_err("policy agent: the assigned policy was not applied "
			"(the previous one stays): %s",
			err);
}

static void
on_poll_timer(struct loop *l, struct loop_timer *t, void *arg)
{
	struct service_exec *ctx = arg;

	(void)l;
	agent_poll(ctx, false);
	loop_timer_arm(t, (uint64_t)agent_poll_minutes(ctx->agent) * 60000);
}

static int
start_agent(struct service *svc, struct service_exec *ctx, char *err,
	    size_t errlen)
{
	ctx->agent = agent_new(ctx->live, ctx->store_path);
	ctx->poll = ctx->agent ? loop_timer_new(service_loop(svc),
						on_poll_timer, ctx)
			       : NULL;
	if (ctx->poll == NULL) {
		snprintf(err, errlen, "out of memory.");
		return -1;
	}
	/* The persistent, then the local assigned policy, before anything
	 * else is served. */
	agent_poll(ctx, true);
	loop_timer_arm(ctx->poll,
		       (uint64_t)agent_poll_minutes(ctx->agent) * 60000);
	return 0;
}

static int
on_start(struct service *svc, void *arg, char *err, size_t errlen)
{
	struct service_exec *ctx = arg;

	ctx->svc = svc;
	ctx->live = live_new(&spd_system_resolver);
	if (ctx->live == NULL) {
		snprintf(err, errlen, "out of memory.");
		return -1;
	}
	if (ctx->tun != NULL && strcmp(ctx->tun, "none") == 0) {
		log_notice("running without a driver (tun=none): live state "
			   "is kept, no packet is moved");
		return start_agent(svc, ctx, err, errlen);
	}
	{
		struct driver_config dc = {
			.tun_name = ctx->tun,
			.ike_port = (uint16_t)ctx->ikeport,
			.config = service_config(svc),
		};
		char derr[256];
		if (driver_start(service_loop(svc), ctx->live, &dc,
				 &ctx->driver, derr, sizeof(derr)) < 0) {
			snprintf(err, errlen, "the IPsec driver did not start: "
					      "%s",
				 derr);
			live_free(ctx->live);
			ctx->live = NULL;
			return -1;
		}
	}
	{
		struct negotiator_config nc = {
			.port = (uint16_t)ctx->ikeport,
			.fwmark = dp_runtime_fwmark(driver_runtime(ctx->driver)),
			.certdir = ctx->certdir,
			.keyfile = ctx->keyfile,
			.config = service_config(svc),
		};
		char nerr[256];
		if (negotiator_start(service_loop(svc), ctx->live, ctx->driver,
				     &nc, &ctx->negotiator, nerr,
				     sizeof(nerr)) < 0) {
			snprintf(err, errlen, "the IKE negotiator did not "
					      "start: %s",
				 nerr);
			driver_stop(ctx->driver);
			ctx->driver = NULL;
			live_free(ctx->live);
			ctx->live = NULL;
			return -1;
		}
	}
	return start_agent(svc, ctx, err, errlen);
}

static void
on_stop(struct service *svc, void *arg)
{
	struct service_exec *ctx = arg;

	(void)svc;
	loop_timer_free(ctx->poll);
	ctx->poll = NULL;
	agent_free(ctx->agent);
	ctx->agent = NULL;
	/* Deletes go out while the driver still runs (NAT-T port). */
	negotiator_stop(ctx->negotiator);
	ctx->negotiator = NULL;
	driver_stop(ctx->driver);
	ctx->driver = NULL;
	live_free(ctx->live);
	ctx->live = NULL;
}

static void
on_summary(struct service *svc, void *arg)
{
	struct service_exec *ctx = arg;
	struct dp_stats s;

	(void)svc;
	live_dp_stats(ctx->live, &s);
	log_info("summary: %llu active SAs, %llu bad SPI, %llu not "
		 "authenticated, %llu replayed, %llu bytes sent, %llu "
		 "received",
		 (unsigned long long)s.active_sa,
		 (unsigned long long)s.bad_spi,
		 (unsigned long long)s.not_authenticated,
		 (unsigned long long)s.replay,
		 (unsigned long long)(s.transport_bytes_sent +
				      s.tunnel_bytes_sent),
		 (unsigned long long)(s.transport_bytes_recv +
				      s.tunnel_bytes_recv));
}

static void
on_status(struct service *svc, void *arg, struct ctl_status *st)
{
	struct service_exec *ctx = arg;
	struct spd *spd = live_spd(ctx->live);
	size_t rules = 0, sas = 0;

	(void)svc;
	while (spd_rule_at(spd, rules) != NULL)
		rules++;
	while (live_sa_at(ctx->live, sas) != NULL)
		sas++;
	ctl_status_add(st, "policy", "Assigned policy", "%s",
		       agent_applied(ctx->agent));
	if (agent_error(ctx->agent)[0] != '\0')
		ctl_status_add(st, "policy_error", "Policy error", "%s",
			       agent_error(ctx->agent));
	ctl_status_add(st, "rules", "Rules (all origins)", "%zu", rules);
	ctl_status_add(st, "qmsas", "Quick mode SAs", "%zu", sas);
	if (ctx->driver != NULL)
		driver_status(ctx->driver, st);
}

void
service_exec_opts(struct service_exec *ctx, struct service_opts *o)
{
	memset(ctx, 0, sizeof(*ctx));
	memset(o, 0, sizeof(*o));
	/* Anyone may connect and show; changes are checked per command. */
	o->socket_mode = 0666;
	o->exec = service_exec_request;
	o->exec_arg = ctx;
	o->on_start = on_start;
	o->on_stop = on_stop;
	o->on_summary = on_summary;
	o->on_status = on_status;
	o->hook_arg = ctx;
}
