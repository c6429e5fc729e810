/* SPDX-License-Identifier: MIT */
/* berth healthcheck run CONTAINER (Podman's): the container's health check once, now */
#include "commands.h"
#include "engine/engine.h"

#include <string.h>

static const char healthcheck_usage[] =
    "usage: berth healthcheck run CONTAINER\n"
    "  runs the container's health check once now and records it as the checker does;\n"
    "  prints nothing: exit 0 when it passed, 1 when it failed, 125 when the container does\n"
    "  not run or has no health check";

BERTH_CMD(healthcheck)
{
	const char *name;
	bool healthy = false;
	int r;

	if (argc < 2 || strcmp(argv[1], "run") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			r = cli_no_options(argc, argv, healthcheck_usage, err);
			return CLI_RET(r);
		}
		return berth_error(err, 0, "expected `run CONTAINER` (%s)", healthcheck_usage);
	}
	r = cli_one_name(argc - 1, argv + 1, healthcheck_usage, &name, err);
	if (r != 0)
		return CLI_RET(r);
	if (health_run(e, name, &healthy, err) < 0)
		return -1;
	return healthy ? 0 : 1;
}
