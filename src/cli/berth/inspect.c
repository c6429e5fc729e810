/* SPDX-License-Identifier: MIT */
/* berth inspect [-f|--format TEMPLATE|json] [--type TYPE] [-s] NAME…: the document of each
 * container (its record with its live state and config.json), image, network or volume, or a
 * template evaluated over it (as Docker's inspect --format). */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char inspect_usage[] =
    "usage: berth inspect [-f|--format TEMPLATE|json] [--type TYPE] [-s] NAME…\n"
    "  each NAME looked up as a container, an image, a network, then a volume (as Docker's)\n"
    "  -f, --format  a Go template over the document, as Docker's: {{.name}},\n"
    "                {{json .network}}, {{index .config.process.args 0}}, {{range …}}{{end}}\n"
    "      --type    container, image, network or volume: only that kind\n"
    "  -s, --size    a container's SizeRw (its writable layer) and SizeRootFs (with its image)\n"
    "  a NAME that is none of them: an error on stderr, the others shown, exit status 1";

BERTH_CMD(inspect)
{
	static const struct option lo[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"type", required_argument, NULL, 't'},
	    {"size", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	static const char *const types[] = {"container", "image", "network", "volume"};
	const char *format = NULL, *type = NULL;
	bool size = false;
	int opt, status = 0;

	while ((opt = cli_getopt(argc, argv, "f:sh", lo, inspect_usage, err)) != -1) {
		if (opt == 'f') {
			format = optarg;
		} else if (opt == 't') {
			bool ok = false;
			for (size_t i = 0; i < ARRAY_SIZE(types); i++)
				ok = ok || strcmp(optarg, types[i]) == 0;
			if (!ok)
				return berth_error(
				    err, 0,
				    "bad --type `%s`: expected container, image, network "
				    "or volume",
				    optarg);
			type = optarg;
		} else if (opt == 's') {
			size = true;
		} else {
			return CLI_RET(opt);
		}
	}
	if (optind >= argc)
		return berth_error(err, 0, "expected a NAME (berth inspect --help)");
	if (format && strcmp(format, "json") == 0)
		format = NULL;
	for (int i = optind; i < argc; i++) {
		char *t = NULL;
		int r = engine_inspect(e, argv[i], type, size, format, &t, err);
		if (r < 0)
			return -1;
		if (r == 1) {
			/* as Docker: the others still shown, exit status 1; the name escaped
			 * (berth_error) so that it stays one line */
			berth_error_t e2 = NULL;
			berth_error(&e2, 0, "no such %s: %s", type ?: "object", argv[i]);
			fprintf(stderr, "berth: inspect: %s\n", e2->msg);
			berth_error_release(&e2);
			status = 1;
			continue;
		}
		puts(t);
		free(t);
	}
	fflush(stdout);
	return status;
}
