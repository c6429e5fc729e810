/* SPDX-License-Identifier: MIT */
/* berth image import FILE [NAME] | image inspect REF | image export REF FILE |
 * image rm REF… | rmi [-f] REF… */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const char rmi_usage[] = "usage: berth rmi [-f] IMAGE…";

BERTH_CMD(rmi)
{
	static const struct option lo[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool force = false;
	int i, c;

	while ((c = cli_getopt(argc, argv, "fh", lo, rmi_usage, err)) != -1) {
		if (c != 'f')
			return CLI_RET(c);
		force = true;
	}
	i = optind;
	if (i >= argc)
		return berth_error(err, 0, "no image given (%s)", rmi_usage);
	for (; i < argc; i++) {
		char *report = NULL;
		if (image_remove(e, argv[i], force, &report, err) < 0)
			return -1;
		fputs(report, stdout);
		free(report);
	}
	return 0;
}

/* A subcommand's --help, or its operands counted: argv[1] is the first on return. */
static int image_sub_args(int *argc, char ***argv, int min, int max, const char *usage,
                          berth_error_t *err)
{
	int k = cli_no_options(*argc, *argv, usage, err);

	if (k < 0)
		return k;
	if (*argc - k < min || *argc - k > max)
		return berth_error(err, 0, "%s", usage);
	*argc -= k - 1;
	*argv += k - 1;
	return 0;
}

BERTH_CMD(image)
{
	static const char usage[] = "usage: berth image import|inspect|export|rm|ls …";
	int k;

	if (argc < 2)
		return berth_error(err, 0, "%s", usage);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		puts(usage);
		return 0;
	}
	if (strcmp(argv[1], "import") == 0) {
		cleanup_free char *name = NULL;
		argc--, argv++;
		if ((k = image_sub_args(&argc, &argv, 1, 2, "usage: berth image import FILE [NAME]",
		                        err)) < 0)
			return CLI_RET(k);
		argc++, argv--;
		if (image_import(e, argv[2], argc == 4 ? argv[3] : NULL, &name, err) < 0)
			return berth_error_prefix(err, "import");
		printf("%s\n", name);
		return 0;
	}
	if (strcmp(argv[1], "inspect") == 0) {
		struct image *img;
		char *t;
		argc--, argv++;
		if ((k = image_sub_args(&argc, &argv, 1, 1, "usage: berth image inspect IMAGE",
		                        err)) < 0)
			return CLI_RET(k);
		argc++, argv--;
		if (image_find(e, argv[2], &img, err) < 0)
			return -1;
		t = image_inspect_json(e, img);
		puts(t);
		free(t);
		image_free(img);
		return 0;
	}
	if (strcmp(argv[1], "export") == 0) {
		argc--, argv++;
		if ((k = image_sub_args(&argc, &argv, 2, 2,
		                        "usage: berth image export IMAGE FILE|-", err)) < 0)
			return CLI_RET(k);
		argc++, argv--;
		return image_export(e, argv[2], argv[3], err) < 0 ? -1 : 0;
	}
	if (strcmp(argv[1], "rm") == 0)
		return cmd_rmi(e, argc - 1, argv + 1, err);
	if (strcmp(argv[1], "ls") == 0 || strcmp(argv[1], "list") == 0)
		return cmd_images(e, argc - 1, argv + 1, err);
	return berth_error(err, 0, "unknown image command `%s`", argv[1]);
}
