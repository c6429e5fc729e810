/* SPDX-License-Identifier: MIT */
/* berth stats NAME: from the container's cgroup */
#include "cgroup.h"
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>

BERTH_CMD(stats)
{
	cleanup_free char *id = NULL;
	cleanup_free char *path = NULL;
	struct cgroup_host h;
	struct cgroup *cg = NULL;
	struct cgroup_stats st = {0};
	int run;

	if (argc != 2)
		return berth_error(err, 0, "usage: berth stats NAME");
	run = cli_running(e, argv[1], &id, err);
	if (run < 0)
		return -1;
	if (!run)
		return berth_error(err, 0, "container \"%s\" is not running", argv[1]);
	path = xasprintf("/berth/%s", id);
	if (cgroup_host_detect(&h, NULL, err) < 0 || cgroup_open(&h, path, &cg, err) < 0 ||
	    cgroup_stats(cg, &st, err) < 0) {
		cgroup_free(cg);
		return -1;
	}
	printf("%-14s %12s %14s %14s %8s\n", "ID", "CPU s", "MEM USAGE", "MEM LIMIT", "PIDS");
	printf("%-14.12s %12.3f %14llu %14llu %8llu\n", id, (double)st.cpu.total / 1e9,
	       (unsigned long long)st.memory.usage.usage, (unsigned long long)st.memory.usage.limit,
	       (unsigned long long)st.pids.current);
	cgroup_stats_free(&st);
	cgroup_free(cg);
	return 0;
}
