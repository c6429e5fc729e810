/* SPDX-License-Identifier: MIT */
/* berth stop [-t SECS] NAME…: SIGTERM, then SIGKILL after SECS (10) */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
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
