/* SPDX-License-Identifier: MIT */
/* The option parsing every berth command shares: getopt_long, but a long option must be
 * given in full (getopt_long takes any unique prefix, and `--pid host` would be read as
 * `--pids-limit host`), and the errors are one line naming the option. As Docker's CLI
 * (cobra), options may follow the operands (`berth rm c1 -f`), except for the commands whose
 * operands after the first belong to the container (cli_set_interspersed). */
#include "commands.h"
#include "util.h"

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

static bool opts_interspersed;

void cli_set_interspersed(bool on)
{
	opts_interspersed = on;
}

/* Whether the short option c takes a value (c: in shorts followed by ':'; "::" counts as
 * not, its value being only ever attached). */
static bool opts_short_value(const char *shorts, char c)
{
	const char *p = c == ':' || c == '+' ? NULL : strchr(shorts, c);

	return p && p[1] == ':' && p[2] != ':';
}

/* argv[i] (an option) and, when it takes a value that is not attached, argv[i + 1]: how many
 * elements it spans. */
static int opts_span(char **argv, int argc, int i, const char *shorts, const struct option *lo)
{
	const char *a = argv[i];

	if (a[1] == '-') {
		const struct option *o = opts_exact(a, lo);
		return o && o->has_arg == required_argument && strchr(a, '=') == NULL &&
		               i + 1 < argc
		           ? 2
		           : 1;
	}
	for (const char *p = a + 1; *p; p++)
		if (opts_short_value(shorts, *p))
			return p[1] == '\0' && i + 1 < argc ? 2 : 1;
	return 1;
}

/* The options from optind on moved before the operands (each keeping its order, a value with
 * its option, a `--` after the options: what follows it stays operands), so that getopt_long
 * in order ("+") reads them all. Idempotent: called again it changes nothing. */
static void opts_permute(int argc, char **argv, const char *shorts, const struct option *lo)
{
	int n = argc - optind, no = 0, nr = 0, i = optind;
	char **opt, **rest;

	if (n <= 1)
		return;
	opt = xmalloc0((size_t)n * sizeof(*opt));
	rest = xmalloc0((size_t)n * sizeof(*rest));
	for (; i < argc && strcmp(argv[i], "--") != 0;) {
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			int k = opts_span(argv, argc, i, shorts, lo);
			for (int j = 0; j < k; j++)
				opt[no++] = argv[i++];
		} else {
			rest[nr++] = argv[i++];
		}
	}
	/* `--` and all after it: after the options, before the operands */
	for (; i < argc; i++)
		opt[no++] = argv[i];
	{
		int k = optind, d = -1;
		for (int j = 0; j < no; j++)
			if (strcmp(opt[j], "--") == 0) {
				d = j;
				break;
			}
		/* the options before `--`, then `--`, then the operands before it, then the
		 * rest after it */
		for (int j = 0; j < (d < 0 ? no : d + 1); j++)
			argv[k++] = opt[j];
		for (int j = 0; j < nr; j++)
			argv[k++] = rest[j];
		for (int j = d + 1; d >= 0 && j < no; j++)
			argv[k++] = opt[j];
	}
	free(opt);
	free(rest);
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
	if (opts_interspersed) {
		opts_permute(argc, argv, shorts, lo);
		arg = at < argc ? argv[at] : NULL;
	}
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
