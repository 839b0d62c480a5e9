/*
 * service_link.c - finding the service's control socket.
 */
#include "service_link.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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
