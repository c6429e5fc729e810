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
		json_t *rec = cli_record(e, argv[k], &id, err);
		bool run;
		if (rec == NULL)
			return -1;
		run = ctr_running(rec);
		json_decref(rec);
		if (!run)
			return berth_error(err, 0, "container \"%s\" is not running", argv[k]);
		if (cli_signal(e, id, sig, err) < 0)
			return -1;
		puts(argv[k]);
	}
	return 0;
}
