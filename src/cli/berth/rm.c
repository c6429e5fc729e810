/* SPDX-License-Identifier: MIT */
/* berth rm [-f] NAME… */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

BERTH_CMD(rm)
{
	bool force = false;
	int k = 1;

	if (k < argc && (strcmp(argv[k], "-f") == 0 || strcmp(argv[k], "--force") == 0))
		force = true, k++;
	if (k >= argc)
		return berth_error(err, 0, "usage: berth rm [-f] NAME…");
	for (; k < argc; k++) {
		cleanup_free char *id = NULL;
		if (ctr_lookup(e, argv[k], &id, err) < 0 || ctr_remove(e, id, force, err) < 0)
			return -1;
		puts(argv[k]);
	}
	return 0;
}
