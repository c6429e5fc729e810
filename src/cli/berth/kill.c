/* SPDX-License-Identifier: MIT */
/* berth kill [-s SIG] NAME… */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char kill_usage[] = "usage: berth kill [-s SIG] NAME…";

BERTH_CMD(kill)
{
	static const struct option lo[] = {
	    {"signal", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int sig = SIGKILL, k, c;

	while ((c = cli_getopt(argc, argv, "s:h", lo, kill_usage, err)) != -1) {
		if (c != 's')
			return CLI_RET(c);
		sig = util_parse_signal(optarg);
		if (sig <= 0)
			return berth_error(err, 0, "bad signal `%s`", optarg);
	}
	k = optind;
	if (k >= argc)
		return berth_error(err, 0, "expected NAME… (%s)", kill_usage);
	for (; k < argc; k++) {
		struct ctr_info c;
		int r;
		if (ctr_get(e, argv[k], &c, err) < 0)
			return -1;
		if (!ctr_status_running(c.status)) {
			berth_error(err, 0, "container \"%s\" is not running", argv[k]);
			ctr_info_free(&c);
			return -1;
		}
		r = ctr_signal(e, c.id, sig, err);
		ctr_info_free(&c);
		if (r < 0)
			return -1;
		puts(argv[k]);
	}
	return 0;
}
