/* SPDX-License-Identifier: MIT */
/* berth start NAME: a stopped container again, with a detached monitor */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <stdio.h>

static const char start_usage[] = "usage: berth start NAME";

BERTH_CMD(start)
{
	const char *name;
	int k;
	struct ctr_info c;
	bool run;
	int r;

	k = cli_one_name(argc, argv, start_usage, &name, err);
	if (k < 0)
		return CLI_RET(k);
	if (ctr_get(e, name, &c, err) < 0)
		return -1;
	run = ctr_status_running(c.status);
	r = run ? berth_error(err, 0, "container \"%s\" is already running", name)
	        : ctr_start(e, c.id, err);
	ctr_info_free(&c);
	if (r < 0)
		return -1;
	puts(name);
	return 0;
}
