/*
 * service_cmds.c - the "service" context: ipsecsh service start, stop,
 * status and run.  The service is this same program: its executor runs
 * the dynamic commands of requests with the shell's own command tables
 * (service_exec.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service_exec.h"
#include "service_link.h"
#include "shell.h"

/* A path given at start, made absolute: the daemon runs in /, so a
 * relative one would silently name another file.  It must exist. */
static int
given_path(struct shell *sh, const struct args *a, const char *tag,
	   char buf[PATH_MAX], const char **out)
{
	if (!arg_given(a, tag))
		return 0;
	if (realpath(arg_text(a, tag), buf) == NULL) {
		shell_err(sh, "ERR: %s=%s: %s.", tag, arg_text(a, tag),
			  strerror(errno));
		return -1;
	}
	*out = buf;
	return 0;
}

static int
fill_opts(struct shell *sh, const struct args *a, struct service_opts *o,
	  struct service_exec *ctx, char certdir[PATH_MAX],
	  char keyfile[PATH_MAX])
{
	service_exec_opts(ctx, o);
	o->socket_path = service_link_socket_path(sh);
	o->admin_group = arg_text(a, "group");
	ctx->tun = arg_text(a, "tun");
	ctx->ikeport = (unsigned)arg_num(a, "ikeport");
	ctx->certdir = arg_text(a, "certdir");
	ctx->keyfile = arg_text(a, "keyfile");
	if (given_path(sh, a, "certdir", certdir, &ctx->certdir) < 0 ||
	    given_path(sh, a, "keyfile", keyfile, &ctx->keyfile) < 0)
		return -1;
	/* The agent reads the store this shell would use. */
	ctx->store_path = sh->store_path != NULL ? sh->store_path
						 : getenv("IPSECSH_STORE");
	return 0;
}

static enum cmd_status
cmd_start(struct shell *sh, const struct args *a)
{
	struct service_exec ctx;
	struct service_opts o;
	char err[512], certdir[PATH_MAX], keyfile[PATH_MAX];

	if (fill_opts(sh, a, &o, &ctx, certdir, keyfile) < 0)
		return CMD_ERROR;
	if (service_start(&o, err, sizeof(err)) < 0) {
		shell_err(sh, "ERR: the service did not start: %s", err);
		return CMD_ERROR;
	}
	fprintf(sh->out, "The ipsecsh service is running (socket %s).\n",
		o.socket_path);
	return CMD_OK;
}

static enum cmd_status
cmd_run(struct shell *sh, const struct args *a)
{
	struct service_exec ctx;
	struct service_opts o;
	char err[512], certdir[PATH_MAX], keyfile[PATH_MAX];

	if (fill_opts(sh, a, &o, &ctx, certdir, keyfile) < 0)
		return CMD_ERROR;
	o.foreground = true;
	if (service_run(&o, err, sizeof(err)) < 0) {
		shell_err(sh, "ERR: %s", err);
		return CMD_ERROR;
	}
	return CMD_OK;
}

static enum cmd_status
cmd_stop(struct shell *sh, const struct args *a)
{
	char err[512];
	int rc;

	(void)a;
	rc = service_stop(service_link_socket_path(sh), 0, err, sizeof(err));
	if (rc < 0) {
		shell_err(sh, "ERR: %s", err);
		return CMD_ERROR;
	}
	fprintf(sh->out, rc == 1 ? "The ipsecsh service was not running.\n"
				 : "The ipsecsh service has stopped.\n");
	return CMD_OK;
}

static enum cmd_status
cmd_status(struct shell *sh, const struct args *a)
{
	int rc;

	(void)a;
	fflush(sh->out);
	rc = service_status(service_link_socket_path(sh), sh->out);
	/* "Not running" was printed as the answer; the exit status says
	 * it too (1), for scripts. */
	if (rc != 0)
		sh->error_reported = true;
	return rc == 0 ? CMD_OK : CMD_ERROR;
}

static const struct param start_params[] = {
	{.tag = "group", .type = PT_STRING, .flags = P_POS,
	 .help = "Group whose members may change the live state (besides "
		 "root); everyone else may only show it."},
	{.tag = "tun", .type = PT_STRING, .flags = P_POS, .def = "ipsec0",
	 .help = "TUN device of the IPsec driver; none runs without a "
		 "driver (live state only, no packets: needs no "
		 "privileges)."},
	{.tag = "ikeport", .type = PT_INT, .flags = P_POS, .min = 1,
	 .max = 65535, .def = "500",
	 .help = "UDP port of IKE (NAT-T stays on 4500)."},
	{.tag = "certdir", .type = PT_STRING, .flags = P_POS,
	 .def = "/etc/ipsecsh/certs",
	 .help = "Directory of the root CA certificates and CRLs that "
		 "rootca= names, and of our certificate, local.pem."},
	{.tag = "keyfile", .type = PT_STRING, .flags = P_POS,
	 .def = "/etc/ipsecsh/private/local.key",
	 .help = "Private key of local.pem (RSA, PEM, unencrypted); must be "
		 "mode 0600 and owned by root."},
	{0},
};

const struct command service_commands[] = {
	{.name = "start", .help = "Starts the service in the background.",
	 .fn = cmd_start, .params = start_params,
	 .remarks = "The control socket is --socket, IPSECSH_SOCKET or "
		    "/run/ipsecsh/ipsecsh.sock; its pid and configuration "
		    "files are beside it, so services with different sockets "
		    "(e.g. in different network namespaces) run side by "
		    "side.\nA second service on the same socket is refused.",
	 .example = "service start group=ipsecadm"},
	{.name = "run", .help = "Runs the service in the foreground (for "
				"systemd).",
	 .fn = cmd_run, .params = start_params,
	 .remarks = "Logs go to standard error; SIGTERM stops it."},
	{.name = "stop", .help = "Stops the service.", .fn = cmd_stop},
	{.name = "status", .help = "Shows whether the service runs, and how.",
	 .fn = cmd_status,
	 .remarks = "The exit status is 0 only when the service runs."},
	{0},
};
