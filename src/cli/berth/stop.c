/* SPDX-License-Identifier: MIT */
/* berth stop [-t SECS] NAME…: SIGTERM, then SIGKILL after SECS (10) */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

BERTH_CMD(stop)
{
	double t = 10;
	int k = 1;

	if (k + 1 < argc && (strcmp(argv[k], "-t") == 0 || strcmp(argv[k], "--time") == 0)) {
		char *end;
		t = strtod(argv[k + 1], &end);
		if (*end || t < 0)
			return berth_error(err, 0, "bad -t `%s`", argv[k + 1]);
		k += 2;
	}
	if (k >= argc)
		return berth_error(err, 0, "usage: berth stop [-t SECS] NAME…");
	for (; k < argc; k++) {
		cleanup_free char *id = NULL;
		int run = cli_running(e, argv[k], &id, err);
		if (run < 0)
			return -1;
		if (run) {
			berth_error_t e2 = NULL;
			cli_signal(e, id, SIGTERM, &e2);
			berth_error_release(&e2);
			if (!cli_wait_exit(e, id, t)) {
				cli_signal(e, id, SIGKILL, &e2);
				berth_error_release(&e2);
				cli_wait_exit(e, id, 10);
			}
		}
		puts(argv[k]);
	}
	return 0;
}
