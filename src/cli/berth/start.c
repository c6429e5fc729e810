/* SPDX-License-Identifier: MIT */
/* berth start [-a] [-i] NAME…: a created or stopped container, with a detached monitor, or
 * attached (-a: this process is its monitor and exits with its status) */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>

static const char start_usage[] =
    "usage: berth start [-a] [-i] NAME…\n"
    "  -a, --attach       stay attached: the container's output here, its exit status ours\n"
    "  -i, --interactive  attach our stdin too (a container made with -i)";

BERTH_CMD(start)
{
	static const struct option lo[] = {
	    {"attach", no_argument, NULL, 'a'},
	    {"interactive", no_argument, NULL, 'i'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool attach = false, in = false;
	int c, k;

	while ((c = cli_getopt(argc, argv, "aih", lo, start_usage, err)) != -1) {
		if (c == 'a')
			attach = true;
		else if (c == 'i')
			in = true;
		else
			return CLI_RET(c);
	}
	k = optind;
	if (k >= argc)
		return berth_error(err, 0, "expected NAME… (%s)", start_usage);
	/* as Docker: -i attaches as well */
	if ((attach || in) && argc - k > 1)
		return berth_error(err, 0, "-a and -i take one container, not %d", argc - k);
	for (; k < argc; k++) {
		struct ctr_info ci;
		int r, status = 0;
		if (ctr_get(e, argv[k], &ci, err) < 0)
			return -1;
		if (ctr_status_running(ci.status))
			r = berth_error(err, 0, "container \"%s\" is already running", argv[k]);
		else if (attach || in)
			r = ctr_start_attached(e, ci.id, in, &status, err);
		else
			r = ctr_start(e, ci.id, err);
		ctr_info_free(&ci);
		if (r < 0)
			return cli_exit_status("start", err); /* 127, 126 or -1 */
		if (attach || in)
			return status;
		puts(argv[k]);
	}
	return 0;
}
