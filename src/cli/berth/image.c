/* SPDX-License-Identifier: MIT */
/* berth image import [--change I]… FILE [NAME] | image inspect REF | image export REF FILE |
 * image rm REF… | rmi [-f] REF… (FILE "-": stdin for import, stdout for export) */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* image export [-o FILE] IMAGE [FILE|-]: no file or "-" is stdout, refused on a terminal */
static int image_export_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	static const char usage[] = "usage: berth image export [-o FILE] IMAGE [FILE|-]";
	static const struct option lo[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *out = NULL;
	int c;

	while ((c = cli_getopt(argc, argv, "o:h", lo, usage, err)) != -1) {
		if (c != 'o')
			return CLI_RET(c);
		out = optarg;
	}
	if (argc - optind < 1 || argc - optind > 2 || (out && argc - optind == 2))
		return berth_error(err, 0, "%s", usage);
	if (argc - optind == 2)
		out = argv[optind + 1];
	if (out == NULL)
		out = "-";
	if (strcmp(out, "-") == 0 && isatty(STDOUT_FILENO))
		return berth_error(err, 0, "%s", CLI_NO_TTY_ARCHIVE);
	return image_export(e, argv[optind], out, err) < 0 ? -1 : 0;
}

/* image import [-c|--change INSTR]… FILE|- [NAME] */
static int image_import_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	static const char usage[] =
	    "usage: berth image import [-c|--change 'CMD [\"/sbin/init\"]']… "
	    "FILE|- [NAME]";
	static const struct option lo[] = {
	    {"change", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	cleanup_free char **changes = NULL;
	cleanup_free char *name = NULL;
	cleanup_free char *tmp = NULL;
	const char *file, *target;
	size_t n = 0;
	int c, r;

	while ((c = cli_getopt(argc, argv, "c:h", lo, usage, err)) != -1) {
		if (c != 'c')
			return CLI_RET(c);
		changes = xrealloc(changes, (n + 1) * sizeof(*changes));
		changes[n++] = optarg;
	}
	if (argc - optind < 1 || argc - optind > 2)
		return berth_error(err, 0, "%s", usage);
	file = argv[optind];
	target = argc - optind == 2 ? argv[optind + 1] : NULL;
	/* "-": the archive from stdin, as Docker's import */
	if (strcmp(file, "-") == 0) {
		if (target && image_check_name("NAME", target, err) < 0)
			return berth_error_prefix(err, "import");
		if (cli_stdin_archive(e, "give a FILE", &tmp, err) < 0)
			return berth_error_prefix(err, "import");
		file = tmp;
	}
	r = image_import_changes(e, file, target, changes, n, &name, err);
	if (tmp)
		unlink(tmp);
	if (r < 0)
		return berth_error_prefix(err, "import");
	printf("%s\n", name);
	return 0;
}

BERTH_CMD(image)
{
	static const char usage[] =
	    "usage: berth image import|inspect|export|rm|ls|pull|push|tag|save|load|history|prune "
	    "…";
	int k;

	if (argc < 2)
		return berth_error(err, 0, "%s", usage);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		puts(usage);
		return 0;
	}
	if (strcmp(argv[1], "import") == 0)
		return image_import_cmd(e, argc - 1, argv + 1, err);
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
	if (strcmp(argv[1], "export") == 0)
		return image_export_cmd(e, argc - 1, argv + 1, err);
	if (strcmp(argv[1], "rm") == 0)
		return cmd_rmi(e, argc - 1, argv + 1, err);
	if (strcmp(argv[1], "ls") == 0 || strcmp(argv[1], "list") == 0)
		return cmd_images(e, argc - 1, argv + 1, err);
	return berth_error(err, 0, "unknown image command `%s`", argv[1]);
}
