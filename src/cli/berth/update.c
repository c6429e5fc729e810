/* SPDX-License-Identifier: MIT */
/* berth update [OPTIONS] NAME…: a container's resource limits (and restart policy) changed,
 * live when it runs and kept for its next start (the engine's resources.c). */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char update_usage[] =
    "usage: berth update [-m|--memory SIZE] [--memory-swap SIZE|-1] [--memory-reservation "
    "SIZE]\n"
    "  [--cpus N] [--cpu-shares N] [--cpu-period US] [--cpu-quota US] [--cpuset-cpus LIST]\n"
    "  [--cpuset-mems LIST] [--blkio-weight 10-1000] [--pids-limit N|-1]\n"
    "  [--restart no|always|unless-stopped|on-failure[:N]] NAME…\n"
    "  changes the limits of containers (running ones at once) and keeps them for their\n"
    "  next start; prints each container's name";

BERTH_CMD(update)
{
	enum { O_RESTART = 256 };
	static const struct option lo[] = {
	    {"memory", required_argument, NULL, RES_OPT_MEMORY},
	    {"memory-swap", required_argument, NULL, RES_OPT_MEMORY_SWAP},
	    {"memory-reservation", required_argument, NULL, RES_OPT_MEMORY_RESERVATION},
	    {"cpus", required_argument, NULL, RES_OPT_CPUS},
	    {"cpu-shares", required_argument, NULL, RES_OPT_CPU_SHARES},
	    {"cpu-period", required_argument, NULL, RES_OPT_CPU_PERIOD},
	    {"cpu-quota", required_argument, NULL, RES_OPT_CPU_QUOTA},
	    {"cpuset-cpus", required_argument, NULL, RES_OPT_CPUSET_CPUS},
	    {"cpuset-mems", required_argument, NULL, RES_OPT_CPUSET_MEMS},
	    {"blkio-weight", required_argument, NULL, RES_OPT_BLKIO_WEIGHT},
	    {"pids-limit", required_argument, NULL, RES_OPT_PIDS},
	    {"restart", required_argument, NULL, O_RESTART},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct run_opts o = {0};
	char **ids;
	int c, n, r = 0;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "m:h", lo, update_usage, err)) != -1) {
		if (c == 'm')
			c = RES_OPT_MEMORY;
		if (RES_IS_OPT(c)) {
			if (res_option(&o, c, optarg, err) < 0)
				return -1;
		} else if (c == O_RESTART) {
			const char *policy;
			int max;
			if (ctr_parse_restart(optarg, &policy, &max, err) < 0)
				return -1;
			o.restart = optarg;
		} else {
			return CLI_RET(c);
		}
	}
	if (optind >= argc)
		return berth_error(err, 0, "no container given (berth update [OPTIONS] NAME…)");
	if (!res_update_given(&o))
		return berth_error(err, 0,
		                   "nothing to update: give --memory, --cpus, --restart, … (berth "
		                   "update --help)");
	/* every name found first: an unknown one changes nothing */
	n = argc - optind;
	ids = xmalloc0((size_t)(n + 1) * sizeof(char *));
	for (int i = 0; i < n && r == 0; i++)
		r = ctr_lookup(e, argv[optind + i], &ids[i], err);
	for (int i = 0; i < n && r == 0; i++) {
		r = ctr_update_resources(e, ids[i], &o, err);
		if (r == 0)
			puts(argv[optind + i]);
	}
	for (int i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return r;
}
