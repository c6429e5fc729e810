/* SPDX-License-Identifier: MIT */
/* berth images [--format json] */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

BERTH_CMD(images)
{
	json_t *list, *v;
	size_t i;
	bool json = argc > 2 && strcmp(argv[1], "--format") == 0 && strcmp(argv[2], "json") == 0;

	if (image_list(e, &list, err) < 0)
		return -1;
	if (json) {
		char *t = json_dumps(list, JSON_INDENT(2));
		puts(t);
		free(t);
	} else {
		printf("%-40s %-14s %-22s %10s\n", "NAME", "ID", "CREATED", "SIZE");
		json_array_foreach(list, i, v)
		    printf("%-40s %-14.12s %-22.20s %9.1fM\n",
		           json_string_value(json_object_get(v, "name")) ?: "<none>",
		           json_string_value(json_object_get(v, "id")),
		           json_string_value(json_object_get(v, "created")) ?: "",
		           (double)json_integer_value(json_object_get(v, "size")) / 1e6);
	}
	json_decref(list);
	return 0;
}
