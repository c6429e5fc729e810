/* SPDX-License-Identifier: MIT */
/* berth stop [-t SECS] NAME…: the stop signal (--stop-signal, SIGTERM), then SIGKILL after
 * SECS (-t, else --stop-timeout, else 10) */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char stop_usage[] = "usage: berth stop [-t SECS] NAME…";

BERTH_CMD(stop)
{
	static const struct option lo[] = {
	    {"time", required_argument, NULL, 't'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	double t = -1; /* the container's --stop-timeout, else 10 */
	int k, c;

	while ((c = cli_getopt(argc, argv, "t:h", lo, stop_usage, err)) != -1) {
		char *end;
		if (c != 't')
			return CLI_RET(c);
		t = strtod(optarg, &end);
		if (*optarg == '\0' || *end || t < 0)
			return berth_error(err, 0, "bad -t `%s`: expected seconds", optarg);
	}
	k = optind;
	if (k >= argc)
		return berth_error(err, 0, "expected NAME… (%s)", stop_usage);
	for (; k < argc; k++) {
		struct ctr_info c;
		int r = 0;
		if (ctr_get(e, argv[k], &c, err) < 0)
			return -1;
		if (ctr_status_running(c.status))
			r = ctr_stop(e, c.id, t, err);
		else
			r = ctr_settle(e, c.id, err);
		ctr_info_free(&c);
		if (r < 0)
			return -1;
		puts(argv[k]);
	}
	return 0;
}
