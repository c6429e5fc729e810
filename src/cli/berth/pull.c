/* SPDX-License-Identifier: MIT */
/* berth pull | push | login | logout | tag: images and registries. */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

enum { O_PLATFORM = 256, O_ALL, O_TLS, O_AUTHFILE, O_CERTDIR, O_FORMAT, O_PWSTDIN };

/* --tls-verify[=true|false] */
static int reg_tls_opt(struct reg_opts *o, const char *v, berth_error_t *err)
{
	if (v == NULL || strcmp(v, "true") == 0)
		o->tls_verify = true;
	else if (strcmp(v, "false") == 0)
		o->tls_verify = false;
	else
		return berth_error(err, 0, "bad --tls-verify `%s`: expected true or false", v);
	return 0;
}

/* The options every registry command takes; 1 when c was one of them. */
static int reg_common_opt(struct reg_opts *o, int c, berth_error_t *err)
{
	switch (c) {
	case O_TLS:
		return reg_tls_opt(o, optarg, err) < 0 ? -1 : 1;
	case O_AUTHFILE:
		o->authfile = optarg;
		return 1;
	case O_CERTDIR:
		o->cert_dir = optarg;
		return 1;
	default:
		return 0;
	}
}

#define REG_LONGOPTS                                                                               \
	{"tls-verify", optional_argument, NULL, O_TLS},                                            \
	    {"authfile", required_argument, NULL, O_AUTHFILE},                                     \
	    {"cert-dir", required_argument, NULL, O_CERTDIR},                                      \
	{                                                                                          \
		"help", no_argument, NULL, 'h'                                                     \
	}

static const char pull_usage[] =
    "usage: berth pull [--platform OS/ARCH[/VARIANT] | --all-platforms] "
    "[-q] "
    "[--tls-verify=false] [--authfile F]\n"
    "  [--cert-dir DIR] REGISTRY/REPOSITORY[:TAG|@sha256:DIGEST]";

BERTH_CMD(pull)
{
	static const struct option lo[] = {
	    {"platform", required_argument, NULL, O_PLATFORM},
	    {"all-platforms", no_argument, NULL, O_ALL},
	    {"quiet", no_argument, NULL, 'q'},
	    REG_LONGOPTS,
	    {0},
	};
	struct reg_opts o = {.tls_verify = true};
	cleanup_free char *id = NULL;
	int c, k;

	while ((c = cli_getopt(argc, argv, "qh", lo, pull_usage, err)) != -1) {
		if ((k = reg_common_opt(&o, c, err)) != 0) {
			if (k < 0)
				return -1;
			continue;
		}
		switch (c) {
		case O_PLATFORM:
			o.platform = optarg;
			break;
		case O_ALL:
			o.all_platforms = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		default: /* CLI_FAIL, CLI_HELP */
			return CLI_RET(c);
		}
	}
	if (optind != argc - 1)
		return berth_error(err, 0, "expected one image reference (berth pull --help)");
	progress_set_quiet(o.quiet);
	if (image_pull(e, argv[optind], &o, &id, err) < 0)
		return -1;
	printf("%s\n", id);
	return 0;
}

static const char push_usage[] = "usage: berth push [--format oci|v2s2] [-q] [--tls-verify=false] "
                                 "[--authfile F] [--cert-dir DIR]\n"
                                 "  IMAGE [REGISTRY/REPOSITORY[:TAG]]";

BERTH_CMD(push)
{
	static const struct option lo[] = {
	    {"format", required_argument, NULL, O_FORMAT},
	    {"quiet", no_argument, NULL, 'q'},
	    REG_LONGOPTS,
	    {0},
	};
	struct reg_opts o = {.tls_verify = true};
	int c, k;

	while ((c = cli_getopt(argc, argv, "qh", lo, push_usage, err)) != -1) {
		if ((k = reg_common_opt(&o, c, err)) != 0) {
			if (k < 0)
				return -1;
			continue;
		}
		switch (c) {
		case O_FORMAT:
			if (strcmp(optarg, "oci") != 0 && strcmp(optarg, "v2s2") != 0)
				return berth_error(
				    err, 0, "bad --format `%s`: expected oci or v2s2", optarg);
			o.format = optarg;
			break;
		case 'q':
			o.quiet = true;
			break;
		default: /* CLI_FAIL, CLI_HELP */
			return CLI_RET(c);
		}
	}
	if (optind != argc - 1 && optind != argc - 2)
		return berth_error(err, 0, "expected IMAGE [DESTINATION] (berth push --help)");
	progress_set_quiet(o.quiet);
	return image_push(e, argv[optind], optind == argc - 2 ? argv[optind + 1] : NULL, &o, err) <
	               0
	           ? -1
	           : 0;
}

/* A password from stdin (--password-stdin: the first line), or typed without echo. */
static char *login_read_password(bool from_stdin, berth_error_t *err)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct termios t, saved;
	bool tty = !from_stdin && isatty(STDIN_FILENO);

	if (!from_stdin && !tty) {
		berth_error(err, 0, "no password: give --password-stdin or -p");
		return NULL;
	}
	if (tty) {
		fprintf(stderr, "Password: ");
		tcgetattr(STDIN_FILENO, &saved);
		t = saved;
		t.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
	}
	n = getline(&line, &cap, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
		fputc('\n', stderr);
	}
	if (n < 0) {
		free(line);
		berth_error(err, 0, "no password on stdin");
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

static const char login_usage[] = "usage: berth login [-u USER] [-p PASSWORD | --password-stdin] "
                                  "[--tls-verify=false]\n"
                                  "  [--authfile F] [--cert-dir DIR] REGISTRY";

BERTH_CMD(login)
{
	static const struct option lo[] = {
	    {"username", required_argument, NULL, 'u'},
	    {"password", required_argument, NULL, 'p'},
	    {"password-stdin", no_argument, NULL, O_PWSTDIN},
	    REG_LONGOPTS,
	    {0},
	};
	struct reg_opts o = {.tls_verify = true};
	const char *user = NULL, *pass = NULL;
	bool from_stdin = false;
	char *pw = NULL;
	int c, k, r;

	(void)e;
	while ((c = cli_getopt(argc, argv, "u:p:h", lo, login_usage, err)) != -1) {
		if ((k = reg_common_opt(&o, c, err)) != 0) {
			if (k < 0)
				return -1;
			continue;
		}
		switch (c) {
		case 'u':
			user = optarg;
			break;
		case 'p':
			pass = optarg;
			break;
		case O_PWSTDIN:
			from_stdin = true;
			break;
		default: /* CLI_FAIL, CLI_HELP */
			return CLI_RET(c);
		}
	}
	if (optind != argc - 1)
		return berth_error(err, 0, "expected one registry (berth login --help)");
	if (user == NULL)
		return berth_error(err, 0, "no user name: give -u USER");
	if (pass && from_stdin)
		return berth_error(err, 0, "-p and --password-stdin: give one");
	if (pass == NULL) {
		pw = login_read_password(from_stdin, err);
		if (pw == NULL)
			return -1;
	}
	r = registry_login(argv[optind], user, pw ? pw : pass, &o, err);
	if (pw) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	if (r < 0)
		return -1;
	puts("Login Succeeded!");
	return 0;
}

static const char logout_usage[] = "usage: berth logout [--authfile F] REGISTRY";

BERTH_CMD(logout)
{
	static const struct option lo[] = {
	    REG_LONGOPTS,
	    {0},
	};
	struct reg_opts o = {.tls_verify = true};
	int c, k;

	(void)e;
	while ((c = cli_getopt(argc, argv, "h", lo, logout_usage, err)) != -1) {
		if ((k = reg_common_opt(&o, c, err)) != 0) {
			if (k < 0)
				return -1;
			continue;
		}
		return CLI_RET(c);
	}
	if (optind != argc - 1)
		return berth_error(err, 0, "expected one registry (berth logout --help)");
	if (registry_logout(argv[optind], &o, err) < 0)
		return -1;
	printf("Removed login credentials for %s\n", argv[optind]);
	return 0;
}

BERTH_CMD(tag)
{
	static const char usage[] = "usage: berth tag IMAGE NAME[:TAG]…";
	int k = cli_no_options(argc, argv, usage, err);

	if (k < 0)
		return CLI_RET(k);
	argc -= k - 1;
	argv += k - 1;
	if (argc < 3)
		return berth_error(err, 0, "expected IMAGE NAME[:TAG]… (%s)", usage);
	for (int i = 2; i < argc; i++)
		if (image_tag(e, argv[1], argv[i], err) < 0)
			return -1;
	return 0;
}
