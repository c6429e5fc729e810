/* SPDX-License-Identifier: MIT */
/* berth cp [-a] [-L] CONTAINER:SRC DEST|-  and  berth cp [-a] [-L] SRC|- CONTAINER:DEST:
 * files between a container (running or stopped) and the host, as Docker's cp. */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char cp_usage[] =
    "usage: berth cp [-a] [-L] CONTAINER:SRC_PATH DEST_PATH|-\n"
    "       berth cp [-a] [-L] SRC_PATH|- CONTAINER:DEST_PATH\n"
    "  -a, --archive      keep the files' owners (uid and gid)\n"
    "  -L, --follow-link  follow a symlink that SRC_PATH names\n"
    "  -                  a tar archive on stdout (or stdin, unpacked into DEST_PATH)";

/* "NAME:PATH" -> NAME and PATH (as Docker: a path starting with / or . is the host's). */
static bool cp_split(const char *arg, char **name, const char **path)
{
	const char *c = strchr(arg, ':');

	if (arg[0] == '/' || arg[0] == '.' || c == NULL || c == arg)
		return false;
	*name = xasprintf("%.*s", (int)(c - arg), arg);
	*path = c + 1;
	return true;
}

BERTH_CMD(cp)
{
	static const struct option lo[] = {
	    {"archive", no_argument, NULL, 'a'},
	    {"follow-link", no_argument, NULL, 'L'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct ctr_copy_opts o = {0};
	cleanup_free char *sname = NULL;
	cleanup_free char *dname = NULL;
	const char *spath, *dpath;
	bool sc, dc;
	struct ctr_info c;
	int opt, r;

	while ((opt = cli_getopt(argc, argv, "aLh", lo, cp_usage, err)) != -1) {
		if (opt == 'a')
			o.archive = true;
		else if (opt == 'L')
			o.follow = true;
		else
			return CLI_RET(opt);
	}
	if (optind != argc - 2)
		return berth_error(err, 0, "expected a SRC_PATH and a DEST_PATH (berth cp --help)");
	sc = cp_split(argv[optind], &sname, &spath);
	dc = cp_split(argv[optind + 1], &dname, &dpath);
	if (sc && dc)
		return berth_error(err, 0,
		                   "copying between containers is not supported: `%s`, `%s`",
		                   argv[optind], argv[optind + 1]);
	if (!sc && !dc)
		return berth_error(err, 0,
		                   "one of `%s` and `%s` must be CONTAINER:PATH (berth cp --help)",
		                   argv[optind], argv[optind + 1]);
	if ((sc ? spath : dpath)[0] == '\0')
		return berth_error(err, 0, "`%s`: no path in the container",
		                   argv[optind + (sc ? 0 : 1)]);
	if (!sc && argv[optind][0] == '\0')
		return berth_error(err, 0, "empty SRC_PATH");
	if (sc && argv[optind + 1][0] == '\0')
		return berth_error(err, 0, "empty DEST_PATH");
	/* a reader that goes away (`| head`) is a write error, not a death that would leave a
	 * stopped container's overlay mounted */
	signal(SIGPIPE, SIG_IGN);
	if (ctr_get(e, sc ? sname : dname, &c, err) < 0)
		return -1;
	if (sc)
		r = ctr_copy_out(e, c.id, spath, argv[optind + 1], &o, err);
	else
		r = ctr_copy_in(e, c.id, argv[optind], dpath, &o, err);
	ctr_info_free(&c);
	return r;
}
