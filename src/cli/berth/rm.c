/* SPDX-License-Identifier: MIT */
/* berth rm [-f] NAME… */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char rm_usage[] = "usage: berth rm [-f] NAME…";

BERTH_CMD(rm)
{
	static const struct option lo[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool force = false;
	int k, c;

	while ((c = cli_getopt(argc, argv, "fh", lo, rm_usage, err)) != -1) {
		if (c != 'f')
			return CLI_RET(c);
		force = true;
	}
	k = optind;
	if (k >= argc)
		return berth_error(err, 0, "expected NAME… (%s)", rm_usage);
	for (; k < argc; k++) {
		cleanup_free char *id = NULL;
		if (ctr_lookup(e, argv[k], &id, err) < 0 || ctr_remove(e, id, force, err) < 0)
			return -1;
		puts(argv[k]);
	}
	return 0;
}
