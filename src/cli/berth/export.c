/* SPDX-License-Identifier: MIT */
/* berth export [-o FILE] NAME: a tar of a container's filesystem. */
#include "commands.h"
#include "engine/engine.h"

#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static const char export_usage[] = "usage: berth export [-o FILE] NAME\n"
                                   "  a tar of the container's filesystem, to FILE or stdout";

BERTH_CMD(export)
{
	static const struct option lo[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *out = "-";
	struct ctr_info c;
	int opt, r;

	while ((opt = cli_getopt(argc, argv, "o:h", lo, export_usage, err)) != -1) {
		if (opt != 'o')
			return CLI_RET(opt);
		out = optarg;
	}
	if (optind != argc - 1)
		return berth_error(err, 0, "expected one NAME (%s)", export_usage);
	if (out[0] == '\0')
		return berth_error(err, 0, "bad -o ``: expected a file name");
	if (strcmp(out, "-") == 0 && isatty(STDOUT_FILENO))
		return berth_error(err, 0, "%s", CLI_NO_TTY_ARCHIVE);
	/* a reader that goes away (`| head`) is a write error, not a death that would leave a
	 * stopped container's overlay mounted */
	signal(SIGPIPE, SIG_IGN);
	if (ctr_get(e, argv[optind], &c, err) < 0)
		return -1;
	r = ctr_export(e, c.id, out, err);
	ctr_info_free(&c);
	return r;
}
