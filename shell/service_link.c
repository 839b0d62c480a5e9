/*
 * service_link.c - finding the service's control socket.
 */
#include "service_link.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "shell.h"

const char *
service_link_socket_path(const struct shell *sh)
{
	const char *env = getenv("IPSECSH_SOCKET");

	if (sh->socket_path != NULL)
		return sh->socket_path;
	if (env != NULL && env[0] != '\0')
		return env;
	return SERVICE_SOCKET_DEFAULT;
}

bool
service_link_running(const struct shell *sh)
{
	const char *path = service_link_socket_path(sh);
	struct sockaddr_un sa;
	bool up;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	up = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return up;
}

void
service_link_note_context(struct shell *sh)
{
	if (sh->cur == &ctx_dynamic && !service_link_running(sh))
		shell_warn(sh, "Note: the ipsecsh service is not running "
			       "(no answer on %s); dynamic commands will "
			       "fail until it is started.",
			   service_link_socket_path(sh));
}

bool
service_link_unknown_command(struct shell *sh, const struct context *ctx)
{
	if (ctx != &ctx_dynamic)
		return false;
	if (service_link_running(sh))
		return false;
	shell_err(sh, "ERR: the ipsecsh service is not running (no answer "
		      "on %s). Start it with \"ipsecsh service start\".",
		  service_link_socket_path(sh));
	return true;
}

/* Prints what the service wrote to its error stream, line by line. */
static void
relay_errors(struct shell *sh, const char *text)
{
	while (*text != '\0') {
		size_t n = strcspn(text, "\n");
		shell_err(sh, "%.*s", (int)n, text);
		text += n;
		if (*text == '\n')
			text++;
	}
}

enum cmd_status
service_link_forward(struct shell *sh, const struct command *cmd,
		     const struct context *ctx, const struct tokens *tk,
		     size_t first)
{
	struct ctl_request req;
	char err[512], word[64];
	char *errtext = NULL;
	size_t errlen = 0;
	FILE *errf = NULL;
	enum cmd_status st = CMD_ERROR;
	int status = 0, rc;
	const char *p = cmd->name;

	if (ctl_request_init(&req, CTL_FORMAT_DEFAULT, ctx->path) < 0) {
		shell_err(sh, "ERR: out of memory.");
		return CMD_ERROR;
	}
	/* The command's own words, unabbreviated, then the arguments. */
	while (*p != '\0') {
		size_t n = strcspn(p, " ");
		snprintf(word, sizeof(word), "%.*s", (int)n, p);
		if (ctl_request_add_word(&req, CTL_WORD_BARE, NULL, word, err,
					 sizeof(err)) < 0)
			goto fail;
		p += n;
		while (*p == ' ')
			p++;
	}
	for (size_t i = first; i < tk->n; i++) {
		const struct token *t = &tk->t[i];
		enum ctl_word_kind kind = t->tag != NULL ? CTL_WORD_TAGGED
					  : t->quoted   ? CTL_WORD_QUOTED
							: CTL_WORD_BARE;
		if (ctl_request_add_word(&req, kind, t->tag, t->value, err,
					 sizeof(err)) < 0)
			goto fail;
	}
	errf = open_memstream(&errtext, &errlen);
	if (errf == NULL) {
		snprintf(err, sizeof(err), "out of memory.");
		goto fail;
	}
	fflush(sh->out);
	rc = ctl_call(service_link_socket_path(sh), &req, sh->out, errf,
		      &status, err, sizeof(err));
	fclose(errf);
	relay_errors(sh, errtext ? errtext : "");
	if (rc == CTL_CALL_NOSERVICE) {
		shell_err(sh, "ERR: the ipsecsh service is not running (no "
			      "answer on %s). Start it with \"ipsecsh service "
			      "start\".", service_link_socket_path(sh));
	} else if (rc != CTL_CALL_OK) {
		shell_err(sh, "ERR: %s", err);
	} else {
		st = status == CTL_DONE_OK ? CMD_OK : CMD_ERROR;
		/* The service printed why; make sure something did. */
		if (st != CMD_OK && (errtext == NULL || errtext[0] == '\0'))
			shell_err(sh, "ERR: the service refused the command.");
	}
	free(errtext);
	ctl_request_free(&req);
	return st;
fail:
	shell_err(sh, "%s: %s", cmd->name, err);
	ctl_request_free(&req);
	return CMD_ERROR;
}

void
service_link_notify(struct shell *sh)
{
	struct ctl_request req;
	char err[256], *errtext = NULL;
	size_t errlen = 0;
	FILE *out, *errf;
	int status = 0, rc;

	if (sh->live != NULL || !service_link_running(sh))
		return;
	if (ctl_request_init(&req, CTL_FORMAT_DEFAULT, "ipsec dynamic") < 0)
		return;
	out = fopen("/dev/null", "w");
	errf = open_memstream(&errtext, &errlen);
	if (out != NULL && errf != NULL &&
	    ctl_request_add_word(&req, CTL_WORD_BARE, NULL, "reload", err,
				 sizeof(err)) == 0) {
		rc = ctl_call(service_link_socket_path(sh), &req, out, errf,
			      &status, err, sizeof(err));
		fclose(errf);
		errf = NULL;
		if (rc == CTL_CALL_OK && status != CTL_DONE_OK) {
			const char *why = errtext ? errtext : "";
			size_t n;
			if (strncmp(why, "ERR: ", 5) == 0)
				why += 5;
			n = strcspn(why, "\n");
			shell_warn(sh, "warning: %.*s", (int)n, why);
		}
	}
	if (errf != NULL)
		fclose(errf);
	if (out != NULL)
		fclose(out);
	free(errtext);
	ctl_request_free(&req);
}
