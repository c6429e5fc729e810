/* SPDX-License-Identifier: MIT */
/* berth rm [-f] [-v] NAME… */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char rm_usage[] = "usage: berth rm [-f] [-v] NAME…";

BERTH_CMD(rm)
{
	static const struct option lo[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"volumes", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool force = false, volumes = false;
	int k, c;

	while ((c = cli_getopt(argc, argv, "fvh", lo, rm_usage, err)) != -1) {
		if (c == 'v')
			volumes = true; /* its anonymous volumes too */
		else if (c == 'f')
			force = true;
		else
			return CLI_RET(c);
	}
	k = optind;
	if (k >= argc)
		return berth_error(err, 0, "expected NAME… (%s)", rm_usage);
	for (; k < argc; k++) {
		cleanup_free char *id = NULL;
		if (ctr_lookup(e, argv[k], &id, err) < 0 ||
		    ctr_remove_volumes(e, id, force, volumes, err) < 0)
			return -1;
		puts(argv[k]);
	}
	return 0;
}
