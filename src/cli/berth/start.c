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
	json_t *rec = cli_record(e, argv[1], &id, err);
	bool run;

	if (rec == NULL)
		return -1;
	run = ctr_running(rec);
	json_decref(rec);
	if (run)
		return berth_error(err, 0, "container \"%s\" is already running", argv[1]);
	if (ctr_mount(e, id, err) < 0 || monitor_spawn(e, id, err) < 0) {
		ctr_umount(e, id);
		return -1;
	}
	puts(argv[1]);
	return 0;
}
