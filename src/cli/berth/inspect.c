/* SPDX-License-Identifier: MIT */
/* berth inspect [-f|--format TEMPLATE|json] NAME…: the record (with its live state) and the
 * config.json of each, or a template evaluated over it (as Docker's inspect --format). */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char inspect_usage[] =
    "usage: berth inspect [-f|--format TEMPLATE|json] NAME…\n"
    "  -f, --format  a Go template over the document, as Docker's: {{.name}},\n"
    "                {{json .network}}, {{index .config.process.args 0}}, {{range …}}{{end}}";

BERTH_CMD(inspect)
{
	static const struct option lo[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *format = NULL;
	int opt;

	while ((opt = cli_getopt(argc, argv, "f:h", lo, inspect_usage, err)) != -1) {
		if (opt != 'f')
			return CLI_RET(opt);
		format = optarg;
	}
	if (optind >= argc)
		return berth_error(err, 0, "expected a NAME (berth inspect --help)");
	if (format && strcmp(format, "json") == 0)
		format = NULL;
	/* every name first: a bad one prints nothing */
	for (int i = optind; i < argc; i++) {
		struct ctr_info c;
		if (ctr_get(e, argv[i], &c, err) < 0)
			return -1;
		ctr_info_free(&c);
	}
	for (int i = optind; i < argc; i++) {
		struct ctr_info c;
		char *t = NULL;
		if (ctr_get(e, argv[i], &c, err) < 0)
			return -1;
		if (format && ctr_inspect_format(e, &c, format, &t, err) < 0) {
			ctr_info_free(&c);
			return -1;
		}
		if (!format)
			t = ctr_inspect_json(e, &c);
		puts(t);
		free(t);
		ctr_info_free(&c);
	}
	return 0;
}
