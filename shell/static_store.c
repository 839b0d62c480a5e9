/*
 * static_store.c - commands about the store as a whole: delete all,
 * show all, set/show store, show gpoassignedpolicy, set batch, and
 * exportpolicy/importpolicy.
 *
 * The export file is the dump of the current location under a format
 * line.  Import reads it back through the same command table the shell
 * uses, so an import file is validated exactly like typed commands; only
 * the commands an export contains are allowed, and the whole import is
 * one store command: any bad line and nothing changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bind.h"
#include "lex.h"
#include "resolve.h"
#include "service_link.h"
#include "static.h"
#include "static_common.h"

#define EXPORT_HEADER "# ipsecsh policy export 1"
#define IMPORT_SIZE_MAX (64L * 1024 * 1024)

enum cmd_status
static_delete_all(struct shell *sh, const struct args *a)
{
	(void)a;
	if (store_delete_all(sh->store) < 0)
		return shell_store_error(sh);
	return CMD_OK;
}

enum cmd_status
static_show_all(struct shell *sh, const struct args *a)
{
	struct store_policy *p = NULL;
	struct store_filterlist *fl = NULL;
	struct store_filteraction *fa = NULL;
	size_t np = 0, nfl = 0, nfa = 0;
	enum cmd_status st = CMD_ERROR;
	struct out *o;

	if (store_policy_list(sh->store, &p, &np) < 0 ||
	    store_filterlist_list(sh->store, &fl, &nfl) < 0 ||
	    store_filteraction_list(sh->store, &fa, &nfa) < 0) {
		shell_store_error(sh);
		goto out;
	}
	o = static_out_new(a);
	if (o != NULL) {
		out_section(o, "policies", "Policies");
		for (size_t i = 0; i < np; i++)
			model_policy(o, sh->store, &p[i], 1);
		out_section_end(o);
		out_section(o, "filterlists", "Filter Lists");
		for (size_t i = 0; i < nfl; i++)
			model_filterlist(o, sh->store, &fl[i], true, false);
		out_section_end(o);
		out_section(o, "filteractions", "Filter Actions");
		for (size_t i = 0; i < nfa; i++)
			model_filteraction(o, &fa[i]);
		out_section_end(o);
	}
	st = static_render(sh, a, o);
out:
	store_list_free(p, np, sizeof(*p));
	store_list_free(fl, nfl, sizeof(*fl));
	store_list_free(fa, nfa, sizeof(*fa));
	return st;
}

enum cmd_status
static_set_store(struct shell *sh, const struct args *a)
{
	long loc = arg_num(a, "location");

	if (loc == 2) {
		shell_err(sh, "%s: no domain store is configured; ipsecsh "
			      "offers location=local and location=persistent.",
			  a->cmd->name);
		return CMD_ERROR;
	}
	if (arg_given(a, "domain")) {
		shell_err(sh, "%s: domain= applies to location=domain only.",
			  a->cmd->name);
		return CMD_ERROR;
	}
	sh->location = loc == 1 ? STORE_LOC_PERSISTENT : STORE_LOC_LOCAL;
	if (sh->store != NULL)
		store_set_location(sh->store, sh->location);
	return CMD_OK;
}

enum cmd_status
static_show_store(struct shell *sh, const struct args *a)
{
	struct store *st = shell_store(sh);

	(void)a;
	if (st == NULL)
		return CMD_ERROR;
	fprintf(sh->out, "The current IPsec store is the %s Store (%s).\n",
		sh->location == STORE_LOC_PERSISTENT ? "Persistent" : "Local",
		store_path(st));
	return CMD_OK;
}

enum cmd_status
static_show_gpoassignedpolicy(struct shell *sh, const struct args *a)
{
	(void)a;
	fprintf(sh->out, "No domain store is configured, so no policy is "
			 "assigned through a group policy object.\n");
	return CMD_OK;
}

enum cmd_status
static_set_batch(struct shell *sh, const struct args *a)
{
	bool enable = arg_num(a, "mode") == 0;

	if (enable == store_in_batch(sh->store)) {
		shell_err(sh, "%s: batch mode is already %s.", a->cmd->name,
			  enable ? "enabled" : "disabled");
		return CMD_ERROR;
	}
	if ((enable ? store_batch_begin(sh->store)
		    : store_batch_end(sh->store, true)) < 0)
		return shell_store_error(sh);
	if (!enable)
		service_link_notify(sh);
	return CMD_OK;
}

enum cmd_status
static_exportpolicy(struct shell *sh, const struct args *a)
{
	const char *path = arg_text(a, "file");
	size_t tlen = strlen(path) + 16;
	char *tmp = malloc(tlen);
	enum cmd_status st = CMD_ERROR;
	FILE *f = NULL;
	int fd = -1;

	if (tmp == NULL) {
		shell_err(sh, "%s: out of memory.", a->cmd->name);
		return CMD_ERROR;
	}
	/* Written beside the target, then renamed: never half a file. */
	snprintf(tmp, tlen, "%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		shell_err(sh, "%s: cannot write %s: %s.", a->cmd->name, path,
			  strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) < 0 || (f = fdopen(fd, "w")) == NULL) {
		shell_err(sh, "%s: cannot write %s: %s.", a->cmd->name, path,
			  strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	fprintf(f, "%s\n", EXPORT_HEADER);
	if (static_dump_location(sh->store, f) < 0) {
		shell_store_error(sh);
		fclose(f);
		unlink(tmp);
		goto out;
	}
	if (fflush(f) != 0 || fsync(fileno(f)) < 0 || ferror(f)) {
		shell_err(sh, "%s: cannot write %s: %s.", a->cmd->name, path,
			  strerror(errno));
		fclose(f);
		unlink(tmp);
		goto out;
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		shell_err(sh, "%s: cannot write %s: %s.", a->cmd->name, path,
			  strerror(errno));
		unlink(tmp);
		goto out;
	}
	st = CMD_OK;
out:
	free(tmp);
	return st;
}

/* The commands an export file may contain. */
static bool
importable(const struct command *cmd)
{
	static const char *const allowed[] = {
		"add filterlist", "add filter", "add filteraction",
		"add policy", "set defaultrule", "add rule", "set policy",
		NULL};

	for (size_t i = 0; allowed[i] != NULL; i++)
		if (strcmp(cmd->name, allowed[i]) == 0)
			return true;
	return false;
}

/* Runs one line of an import file; errors carry the file position. */
static enum cmd_status
import_line(struct shell *sh, const char *line)
{
	struct tokens tk;
	struct resolved r;
	struct binding b;
	char err[256];
	enum cmd_status st = CMD_ERROR;
	int lx = lex_line(line, &tk, err, sizeof(err));

	if (lx < 0) {
		shell_err(sh, "%s", err);
		return CMD_ERROR;
	}
	if (lx == 1)
		return CMD_OK;
	resolve(&ctx_static, &tk, &r);
	if (r.kind != RES_COMMAND || r.ctx != &ctx_static ||
	    !importable(r.cmd)) {
		shell_err(sh, "This line is not part of a policy export.");
		goto out;
	}
	if (bind_args(sh, r.cmd, r.ctx, &tk, r.next, &b) == 0)
		st = r.cmd->fn(sh, &b.a);
	binding_free(&b);
out:
	lex_free(&tk);
	return st;
}

enum cmd_status
static_importpolicy(struct shell *sh, const struct args *a)
{
	const char *path = arg_text(a, "file");
	const char *saved_name = sh->src_name;
	long saved_line = sh->src_line;
	enum cmd_status st = CMD_OK;
	struct stat sb;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;

	f = fopen(path, "re");
	if (f == NULL) {
		shell_err(sh, "%s: the file %s could not be opened: %s.",
			  a->cmd->name, path, strerror(errno));
		return CMD_ERROR;
	}
	if (fstat(fileno(f), &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > IMPORT_SIZE_MAX) {
		shell_err(sh, "%s: %s is not a policy file (not a regular file "
			      "of at most %ld bytes).", a->cmd->name, path,
			  IMPORT_SIZE_MAX);
		fclose(f);
		return CMD_ERROR;
	}
	len = getline(&line, &cap, f);
	if (len < 0 || strcmp(line, EXPORT_HEADER "\n") != 0) {
		shell_err(sh, "%s: %s is not an ipsecsh policy export (its first "
			      "line must be \"%s\").", a->cmd->name, path,
			  EXPORT_HEADER);
		st = CMD_ERROR;
		goto out;
	}
	sh->src_name = path;
	sh->src_line = 1;
	while (st == CMD_OK && (len = getline(&line, &cap, f)) >= 0) {
		sh->src_line++;
		if ((size_t)len != strlen(line)) {
			shell_err(sh, "The line contains a NUL byte.");
			st = CMD_ERROR;
			break;
		}
		st = import_line(sh, line);
	}
	sh->src_name = saved_name;
	sh->src_line = saved_line;
	if (st != CMD_OK)
		shell_err(sh, "%s: nothing was imported.", a->cmd->name);
out:
	if (line != NULL)
		explicit_bzero(line, cap);
	free(line);
	fclose(f);
	return st;
}
