/* SPDX-License-Identifier: MIT */
/* berth kill [-s SIG] NAME… */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

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
