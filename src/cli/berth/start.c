/* SPDX-License-Identifier: MIT */
/* berth start NAME: a stopped container again, with a detached monitor */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>

BERTH_CMD(start)
{
	if (argc != 2)
		return berth_error(err, 0, "usage: berth start NAME");
	cleanup_free char *id = NULL;
	int run = cli_running(e, argv[1], &id, err);

	if (run < 0)
		return -1;
	if (run)
		return berth_error(err, 0, "container \"%s\" is already running", argv[1]);
	if (ctr_mount(e, id, err) < 0 || monitor_spawn(e, id, err) < 0) {
		ctr_umount(e, id);
		return -1;
	}
	puts(argv[1]);
	return 0;
}
