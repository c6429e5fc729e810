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
    "                     (made with create -a: only the streams named)\n"
    "  -i, --interactive  attach our stdin too (a container made with -i)";

/* made with -a: only the streams it names are ours (as run -a) */
static int start_attached(struct engine *e, const struct ctr_info *ci, bool in, int *status,
                          berth_error_t *err)
{
	int saved[3], r;

	if (ci->attach == 0)
		return ctr_start_attached(e, ci->id, in, status, err);
	if (cli_streams_off(ci->attach, saved, err) < 0)
		return -1;
	r = ctr_start_attached(e, ci->id, in && (ci->attach & 1u), status, err);
	cli_streams_restore(saved);
	return r;
}

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
			r = start_attached(e, &ci, in, &status, err);
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
