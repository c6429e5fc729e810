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
	bool json = false, digests = false;
	struct image_summary *v;
	size_t n;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
		    strcmp(argv[i + 1], "json") == 0)
			json = true, i++;
		else if (strcmp(argv[i], "--digests") == 0)
			digests = true;
		else
			return berth_error(err, 0,
			                   "unknown option `%s` (berth images [--digests] "
			                   "[--format json])",
			                   argv[i]);
	}
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
	printf("%-40s %s%-14s %-22s %10s\n", "NAME",
	       digests ? "DIGEST                                                                   "
	               : "",
	       "ID", "CREATED", "SIZE");
	for (size_t i = 0; i < n; i++)
		printf("%-40s %s%s%-14.12s %-22.20s %9.1fM\n", v[i].name ? v[i].name : "<none>",
		       digests ? v[i].digest : "", digests ? " " : "", v[i].id, v[i].created,
		       (double)v[i].size / 1e6);
	image_summaries_free(v, n);
	return 0;
}
