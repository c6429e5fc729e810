/* SPDX-License-Identifier: MIT */
/* berth stats NAME: from the container's cgroup */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <stdio.h>

static const char stats_usage[] = "usage: berth stats NAME";

BERTH_CMD(stats)
{
	int k;
	struct ctr_stats st = {0};
	struct ctr_info c;
	int r;

	k = cli_no_options(argc, argv, stats_usage, err);
	if (k < 0)
		return CLI_RET(k);
	if (k != argc - 1)
		return berth_error(err, 0, "expected one NAME (usage: berth stats NAME)");
	argc -= k - 1;
	argv += k - 1;
	if (ctr_get(e, argv[1], &c, err) < 0)
		return -1;
	r = ctr_status_running(c.status)
	        ? ctr_stats(e, c.id, &st, err)
	        : berth_error(err, 0, "container \"%s\" is not running", argv[1]);
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
