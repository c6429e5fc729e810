/* SPDX-License-Identifier: MIT */
/* berth stats NAME: from the container's cgroup */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <stdio.h>

static const char stats_usage[] = "usage: berth stats NAME";

BERTH_CMD(stats)
{
	const char *name;
	int k;
	struct ctr_stats st = {0};
	struct ctr_info c;
	int r;

	k = cli_one_name(argc, argv, stats_usage, &name, err);
	if (k < 0)
		return CLI_RET(k);
	if (ctr_get(e, name, &c, err) < 0)
		return -1;
	r = ctr_status_running(c.status)
	        ? ctr_stats(e, c.id, &st, err)
	        : berth_error(err, 0, "container \"%s\" is not running", name);
	if (r == 0) {
		printf("%-14s %12s %14s %14s %8s\n", "ID", "CPU s", "MEM USAGE", "MEM LIMIT",
		       "PIDS");
		printf("%-14.12s %12.3f %14llu %14llu %8llu\n", c.id, (double)st.cpu_ns / 1e9,
		       (unsigned long long)st.mem_usage, (unsigned long long)st.mem_limit,
		       (unsigned long long)st.pids);
	}
	ctr_info_free(&c);
	return r;
}
