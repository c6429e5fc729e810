/* SPDX-License-Identifier: MIT */
/* berth image import FILE [NAME] | image inspect REF | image export REF FILE |
 * image rm REF… | rmi [-f] REF… */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

BERTH_CMD(rmi)
{
	bool force = false;
	int i = 1;

	if (i < argc && strcmp(argv[i], "-f") == 0)
		force = true, i++;
	if (i >= argc)
		return berth_error(err, 0, "no image given");
	for (; i < argc; i++)
		if (image_remove(e, argv[i], force, err) < 0)
			return -1;
	return 0;
}

BERTH_CMD(image)
{
	if (argc < 2)
		return berth_error(err, 0, "usage: berth image import|inspect|export|rm|ls …");
	if (strcmp(argv[1], "import") == 0) {
		cleanup_free char *name = NULL;
		if (argc < 3 || argc > 4)
			return berth_error(err, 0, "usage: berth image import FILE [NAME]");
		if (image_import(e, argv[2], argc == 4 ? argv[3] : NULL, &name, err) < 0)
			return berth_error_prefix(err, "import");
		printf("%s\n", name);
		return 0;
	}
	if (strcmp(argv[1], "inspect") == 0) {
		struct image *img;
		char *t;
		if (argc != 3)
			return berth_error(err, 0, "usage: berth image inspect IMAGE");
		if (image_find(e, argv[2], &img, err) < 0)
			return -1;
		t = image_inspect_json(img);
		puts(t);
		free(t);
		image_free(img);
		return 0;
	}
	if (strcmp(argv[1], "export") == 0) {
		if (argc != 4)
			return berth_error(err, 0, "usage: berth image export IMAGE FILE|-");
		return image_export(e, argv[2], argv[3], err) < 0 ? -1 : 0;
	}
	if (strcmp(argv[1], "rm") == 0)
		return cmd_rmi(e, argc - 1, argv + 1, err);
	if (strcmp(argv[1], "ls") == 0 || strcmp(argv[1], "list") == 0)
		return cmd_images(e, argc - 1, argv + 1, err);
	return berth_error(err, 0, "unknown image command `%s`", argv[1]);
}
