/* SPDX-License-Identifier: MIT */
/* berth images [--format json] */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char images_usage[] = "usage: berth images [--digests] [--format json]";

BERTH_CMD(images)
{
	static const struct option lo[] = {
	    {"digests", no_argument, NULL, 'D'},
	    {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool json = false, digests = false;
	struct image_summary *v;
	size_t n;
	int c;

	while ((c = cli_getopt(argc, argv, "h", lo, images_usage, err)) != -1) {
		if (c == 'D')
			digests = true;
		else if (c == 'F' && strcmp(optarg, "json") == 0)
			json = true;
		else if (c == 'F')
			return berth_error(err, 0, "bad --format `%s`: expected json", optarg);
		else
			return CLI_RET(c);
	}
	if (optind != argc)
		return berth_error(err, 0, "unexpected argument `%s` (%s)", argv[optind],
		                   images_usage);
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
