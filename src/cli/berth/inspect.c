/* SPDX-License-Identifier: MIT */
/* berth inspect NAME: the record (with its live state) and the config.json */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

static const char inspect_usage[] = "usage: berth inspect NAME";

BERTH_CMD(inspect)
{
	const char *name;
	int k;
	struct ctr_info c;
	char *t;

	k = cli_one_name(argc, argv, inspect_usage, &name, err);
	if (k < 0)
		return CLI_RET(k);
	if (ctr_get(e, name, &c, err) < 0)
		return -1;
	t = ctr_inspect_json(e, &c);
	puts(t);
	free(t);
	ctr_info_free(&c);
	return 0;
}
