/* SPDX-License-Identifier: MIT */
/* berth port NAME: the container's published ports, "80/tcp -> 0.0.0.0:8080" each */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <stdio.h>

static const char port_usage[] = "usage: berth port NAME";

BERTH_CMD(port)
{
	const char *name;
	int k;
	struct ctr_info c;
	char *t;

	k = cli_one_name(argc, argv, port_usage, &name, err);
	if (k < 0)
		return CLI_RET(k);
	if (ctr_get(e, name, &c, err) < 0)
		return -1;
	t = ctr_port_text(&c);
	fputs(t, stdout);
	free(t);
	ctr_info_free(&c);
	return 0;
}
