/* SPDX-License-Identifier: MIT */
/* berth images [--format json] */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

BERTH_CMD(images)
{
	bool json = argc > 2 && strcmp(argv[1], "--format") == 0 && strcmp(argv[2], "json") == 0;
	struct image_summary *v;
	size_t n;

	if (json) {
		char *t = image_list_json(e, err);
		if (t == NULL)
			return -1;
		puts(t);
		free(t);
		return 0;
	}
	if (image_summaries(e, &v, &n, err) < 0)
		return -1;
	printf("%-40s %-14s %-22s %10s\n", "NAME", "ID", "CREATED", "SIZE");
	for (size_t i = 0; i < n; i++)
		printf("%-40s %-14.12s %-22.20s %9.1fM\n", v[i].name ? v[i].name : "<none>",
		       v[i].id, v[i].created, (double)v[i].size / 1e6);
	image_summaries_free(v, n);
	return 0;
}
