/* SPDX-License-Identifier: MIT */
/* berth start NAME: a stopped container again, with a detached monitor */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <stdio.h>

static const char start_usage[] = "usage: berth start NAME";

BERTH_CMD(start)
{
	int k;
	struct ctr_info c;
	bool run;
	int r;

	k = cli_no_options(argc, argv, start_usage, err);
	if (k < 0)
		return CLI_RET(k);
	if (k != argc - 1)
		return berth_error(err, 0, "expected one NAME (usage: berth start NAME)");
	argc -= k - 1;
	argv += k - 1;
	if (ctr_get(e, argv[1], &c, err) < 0)
		return -1;
	run = ctr_status_running(c.status);
	r = run ? berth_error(err, 0, "container \"%s\" is already running", argv[1])
	        : ctr_start(e, c.id, err);
	ctr_info_free(&c);
	if (r < 0)
		return -1;
	puts(argv[1]);
	return 0;
}
