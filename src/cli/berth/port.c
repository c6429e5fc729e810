/* SPDX-License-Identifier: MIT */
/* berth port NAME: the container's published ports, "80/tcp -> 0.0.0.0:8080" each */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <stdio.h>

static const char port_usage[] = "usage: berth port NAME";

BERTH_CMD(port)
{
	int k;
	struct ctr_info c;
	char *t;

	k = cli_no_options(argc, argv, port_usage, err);
	if (k < 0)
		return CLI_RET(k);
	if (k != argc - 1)
		return berth_error(err, 0, "expected one NAME (usage: berth port NAME)");
	argc -= k - 1;
	argv += k - 1;
	if (ctr_get(e, argv[1], &c, err) < 0)
		return -1;
	t = ctr_port_text(&c);
	fputs(t, stdout);
	free(t);
	ctr_info_free(&c);
	return 0;
}
