/* SPDX-License-Identifier: MIT */
/* berth kill [-s SIG] NAME… */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

BERTH_CMD(kill)
{
	int sig = SIGKILL, k = 1;

	if (k + 1 < argc && (strcmp(argv[k], "-s") == 0 || strcmp(argv[k], "--signal") == 0)) {
		sig = util_parse_signal(argv[k + 1]);
		if (sig <= 0)
			return berth_error(err, 0, "bad signal `%s`", argv[k + 1]);
		k += 2;
	}
	if (k >= argc)
		return berth_error(err, 0, "usage: berth kill [-s SIG] NAME…");
	for (; k < argc; k++) {
		cleanup_free char *id = NULL;
		int run = cli_running(e, argv[k], &id, err);
		if (run < 0)
			return -1;
		if (!run)
			return berth_error(err, 0, "container \"%s\" is not running", argv[k]);
		if (cli_signal(e, id, sig, err) < 0)
			return -1;
		puts(argv[k]);
	}
	return 0;
}
