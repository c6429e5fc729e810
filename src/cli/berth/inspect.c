/* SPDX-License-Identifier: MIT */
/* berth inspect NAME: the record (with its live state) and the config.json */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

BERTH_CMD(inspect)
{
	struct ctr_info c;
	char *t;

	if (argc != 2)
		return berth_error(err, 0, "usage: berth inspect NAME");
	if (ctr_get(e, argv[1], &c, err) < 0)
		return -1;
	t = ctr_inspect_json(e, &c);
	puts(t);
	free(t);
	ctr_info_free(&c);
	return 0;
}
