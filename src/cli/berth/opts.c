/* SPDX-License-Identifier: MIT */
/* The option parsing every berth command shares: getopt_long, but a long option must be
 * given in full (getopt_long takes any unique prefix, and `--pid host` would be read as
 * `--pids-limit host`), and the errors are one line naming the option. */
#include "commands.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The long option argv[at] names exactly, or NULL: `--NAME` or `--NAME=VALUE`. */
static const struct option *opts_exact(const char *arg, const struct option *lo)
{
	size_t len = strcspn(arg + 2, "=");

	for (; lo && lo->name; lo++)
		if (strlen(lo->name) == len && strncmp(lo->name, arg + 2, len) == 0)
			return lo;
	return NULL;
}

/* "berth network create" from "usage: berth network create [--subnet CIDR] … NAME": the
 * lower-case words the usage starts with, for the hint in an error */
static void opts_command(const char *usage, const char *fallback, char *out, size_t size)
{
	const char *p = usage, *end;

	snprintf(out, size, "berth %s", fallback);
	if (p == NULL || strncasecmp(p, "usage: ", 7) != 0)
		return;
	p += 7;
	for (end = p;;) {
		size_t n = strspn(end, "abcdefghijklmnopqrstuvwxyz-");
		if (n == 0 || *end == '-' || (end[n] != ' ' && end[n] != '\0' && end[n] != '\n'))
			break;
		end += n;
		if (*end != ' ')
			break;
		end++;
	}
	while (end > p && (end[-1] == ' '))
		end--;
	if (end > p)
		snprintf(out, size, "%.*s", (int)(end - p), p);
}

static int opts_fail(berth_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int opts_fail(berth_error_t *err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	berth_error(err, 0, "%s", msg);
	return CLI_FAIL;
}

int cli_getopt(int argc, char **argv, const char *shorts, const struct option *lo,
               const char *usage, berth_error_t *err)
{
	/* "+": options end at the first operand (run IMAGE CMD…); ":": a missing value is
	 * told apart from an unknown option */
	char spec[64], cmd[64];
	int at = optind, c;
	const char *arg = at < argc ? argv[at] : NULL;

	opts_command(usage, argv[0], cmd, sizeof(cmd));
	snprintf(spec, sizeof(spec), "+:%s", shorts);
	opterr = 0;
	/* a long option must be spelled out: no prefix of one (nor of --help) */
	if (arg && arg[0] == '-' && arg[1] == '-' && arg[2] != '\0' && strcmp(arg, "--help") != 0 &&
	    opts_exact(arg, lo) == NULL) {
		optind = at + 1;
		return opts_fail(err, "unknown option `%.*s` (%s --help)",
		                 (int)(2 + strcspn(arg + 2, "=")), arg, cmd);
	}
	c = getopt_long(argc, argv, spec, lo, NULL);
	if (c == ':') {
		if (arg && arg[0] == '-' && arg[1] == '-')
			return opts_fail(err, "option `%.*s` needs a value (%s --help)",
			                 (int)strcspn(arg, "="), arg, cmd);
		return opts_fail(err, "option `-%c` needs a value (%s --help)", optopt, cmd);
	}
	if (c == '?' && optopt != 0 && arg && arg[0] == '-' && arg[1] == '-' && strchr(arg, '='))
		return opts_fail(err, "option `%.*s` takes no value (%s --help)",
		                 (int)strcspn(arg, "="), arg, cmd);
	if (c == '?') {
		if (optopt != 0 && !(arg && arg[0] == '-' && arg[1] == '-'))
			return opts_fail(err, "unknown option `-%c` (%s --help)", optopt, cmd);
		if (arg && strcmp(arg, "--help") != 0)
			return opts_fail(err, "unknown option `%s` (%s --help)", arg, cmd);
		/* --help where the command's table has none: as -h */
		c = 'h';
	}
	if (c == 'h' && usage) {
		fputs(usage, stdout);
		if (usage[0] == '\0' || usage[strlen(usage) - 1] != '\n')
			putchar('\n');
		return CLI_HELP;
	}
	return c;
}

int cli_exit_status(const char *cmd, berth_error_t *err)
{
	int st = *err ? (*err)->status : 0;

	if (st != BERTH_ECMDNOTFOUND && st != BERTH_ECMDNOEXEC)
		return -1;
	fprintf(stderr, "berth: %s: %s\n", cmd, (*err)->msg);
	berth_error_release(err);
	return st == BERTH_ECMDNOTFOUND ? 127 : 126;
}

int cli_no_options(int argc, char **argv, const char *usage, berth_error_t *err)
{
	static const struct option lo[] = {
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "h", lo, usage, err)) != -1)
		if (c < 0)
			return c;
	return optind;
}

int cli_one_name(int argc, char **argv, const char *usage, const char **name, berth_error_t *err)
{
	int k = cli_no_options(argc, argv, usage, err);

	if (k < 0)
		return k;
	if (k != argc - 1)
		return berth_error(err, 0, "expected one NAME (%s)", usage);
	*name = argv[k];
	return 0;
}
