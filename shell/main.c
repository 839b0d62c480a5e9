/*
 * main.c - the ipsecsh program: options, then one of three modes.
 *   interactive  stdin is a terminal and no command was given (repl.c)
 *   script       -f FILE, or stdin that is not a terminal
 *   one-shot     the words after the options form one command
 * Exit status: 0 when every command succeeded, 1 when any failed, 2 for
 * a bad invocation.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lex.h"
#include "repl.h"
#include "shell.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: ipsecsh [OPTIONS] [COMMAND...]\n"
		"\n"
		"A netsh-style shell for IPsec policy.\n"
		"\n"
		"  ipsecsh                     interactive shell\n"
		"  ipsecsh -f FILE             run a script, then exit\n"
		"  ipsecsh < FILE              run standard input as a script\n"
		"  ipsecsh ipsec static show all   run one command\n"
		"\n"
		"Options:\n"
		"  -a FILE          run an alias file, then continue\n"
		"  -c CONTEXT       start in CONTEXT, e.g. -c \"ipsec static\"\n"
		"  -f FILE          run the commands of FILE\n"
		"  --store PATH     policy store (default /var/lib/ipsecsh/"
		"policy.db for root;\n"
		"                   also IPSECSH_STORE)\n"
		"  --socket PATH    control socket of the service (default "
		"/run/ipsecsh/ipsecsh.sock;\n"
		"                   also IPSECSH_SOCKET)\n"
		"  --stop-on-error  stop a script at its first failing line\n"
		"  --version        print the version\n"
		"  --help           print this help\n"
		"\n"
		"In the shell, type ? or help for the commands of a context.\n");
}

/*
 * Joins argv words into one line the lexer reads back as the same words:
 * "name=Red Blue" becomes name="Red Blue".  A word whose tag part holds
 * a blank, CR, LF or '#' is quoted whole, so that it stays one word (a
 * '"' cannot be quoted: the lexer has no escape).
 */
static char *
join_words(char **argv, int argc)
{
	size_t len = 1;
	char *line;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 4;
	line = calloc(1, len);
	if (line == NULL)
		return NULL;
	for (int i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t taglen = eq ? (size_t)(eq - argv[i]) : 0;

		if (i > 0)
			strcat(line, " ");
		if (eq != NULL && taglen > 0 &&
		    strcspn(argv[i], " \t\r\n\"#") > taglen) {
			strncat(line, argv[i], taglen + 1);
			if (lex_quote(eq + 1, line, len) < 0)
				goto fail;
		} else if (lex_quote(argv[i], line, len) < 0) {
			goto fail;
		}
	}
	return line;
fail:
	free(line);
	return NULL;
}

static int
set_context(struct shell *sh, const char *text)
{
	struct tokens tk;
	char err[256];
	char *words[LEX_TOKENS_MAX];
	const struct context *c;

	if (lex_line(text, &tk, err, sizeof(err)) != 0) {
		fprintf(stderr, "ipsecsh: -c: \"%s\" is not a context.\n",
			text);
		return -1;
	}
	for (size_t i = 0; i < tk.n; i++)
		words[i] = tk.t[i].value;
	c = shell_find_context(sh, words, tk.n);
	lex_free(&tk);
	if (c == NULL)
		return -1;
	sh->cur = c;
	return 0;
}

static enum cmd_status
run_script_path(struct shell *sh, const char *path)
{
	enum cmd_status st;
	FILE *f = fopen(path, "re");

	if (f == NULL) {
		fprintf(stderr, "ipsecsh: the file %s could not be opened: %m.\n",
			path);
		return CMD_ERROR;
	}
	st = shell_run_file(sh, f, path);
	fclose(f);
	return st;
}

int
main(int argc, char **argv)
{
	enum { OPT_STORE = 256, OPT_SOCKET, OPT_STOP, OPT_VERSION, OPT_HELP };
	static const struct option longopts[] = {
		{"store", required_argument, NULL, OPT_STORE},
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"stop-on-error", no_argument, NULL, OPT_STOP},
		{"version", no_argument, NULL, OPT_VERSION},
		{"help", no_argument, NULL, OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	const char *alias_file = NULL, *context = NULL, *script = NULL;
	struct shell sh;
	enum cmd_status st = CMD_OK;
	bool failed = false;
	int opt;

	shell_init(&sh);
	/* "+": options end at the first command word. */
	while ((opt = getopt_long(argc, argv, "+a:c:f:", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'a':
			alias_file = optarg;
			break;
		case 'c':
			context = optarg;
			break;
		case 'f':
			script = optarg;
			break;
		case OPT_STORE:
			free(sh.store_path);
			sh.store_path = strdup(optarg);
			break;
		case OPT_SOCKET:
			free(sh.socket_path);
			sh.socket_path = strdup(optarg);
			break;
		case OPT_STOP:
			sh.stop_on_error = true;
			break;
		case OPT_VERSION:
			printf("ipsecsh %s\n", IPSECSH_VERSION);
			shell_finish(&sh);
			return 0;
		case OPT_HELP:
			usage(stdout);
			shell_finish(&sh);
			return 0;
		default:
			usage(stderr);
			shell_finish(&sh);
			return EXIT_USAGE;
		}
	}
	if (script != NULL && optind < argc) {
		fprintf(stderr, "ipsecsh: give either -f FILE or a command, "
				"not both.\n");
		shell_finish(&sh);
		return EXIT_USAGE;
	}
	if (context != NULL && set_context(&sh, context) < 0) {
		shell_finish(&sh);
		return EXIT_USAGE;
	}
	if (alias_file != NULL) {
		st = run_script_path(&sh, alias_file);
		failed = st == CMD_ERROR;
	}
	if (st == CMD_EXIT) {
		/* The alias file ran exit. */
	} else if (optind < argc) {
		char *line = join_words(argv + optind, argc - optind);
		if (line == NULL) {
			fprintf(stderr, "ipsecsh: the command is too long.\n");
			failed = true;
		} else {
			st = shell_run_line(&sh, line);
			failed |= st == CMD_ERROR;
			explicit_bzero(line, strlen(line));
			free(line);
		}
	} else if (script != NULL) {
		failed |= run_script_path(&sh, script) == CMD_ERROR;
	} else if (!isatty(STDIN_FILENO)) {
		failed |= shell_run_file(&sh, stdin, "<stdin>") == CMD_ERROR;
	} else {
		sh.interactive = true;
		repl_run(&sh);
	}
	/* A script that failed somewhere and then ran exit still failed. */
	if (sh.failures > 0)
		failed = true;
	if (shell_finish(&sh) < 0)
		failed = true;
	return failed ? EXIT_FAILED : 0;
}
