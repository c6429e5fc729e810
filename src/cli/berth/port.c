/* SPDX-License-Identifier: MIT */
/* berth port NAME: the container's published ports, "80/tcp -> 0.0.0.0:8080" each */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <stdio.h>

BERTH_CMD(port)
{
	struct ctr_info c;
	char *t;

	if (argc != 2)
		return berth_error(err, 0, "expected one NAME (berth port NAME)");
	if (ctr_get(e, argv[1], &c, err) < 0)
		return -1;
	t = ctr_port_text(&c);
	fputs(t, stdout);
	free(t);
	ctr_info_free(&c);
	return 0;
}
