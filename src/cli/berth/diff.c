/* SPDX-License-Identifier: MIT */
/* berth diff NAME: what changed in a container's filesystem (A, C, D as Docker). */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>

static const char diff_usage[] = "usage: berth diff NAME\n"
                                 "  a line per path added (A), changed (C) or deleted (D)";

BERTH_CMD(diff)
{
	cleanup_free char *text = NULL;
	const char *name;
	struct ctr_info c;
	int k, r;

	k = cli_one_name(argc, argv, diff_usage, &name, err);
	if (k < 0)
		return CLI_RET(k);
	if (ctr_get(e, name, &c, err) < 0)
		return -1;
	r = ctr_diff(e, c.id, &text, err);
	ctr_info_free(&c);
	if (r < 0)
		return -1;
	fputs(text, stdout);
	return 0;
}
