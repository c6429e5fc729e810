/* SPDX-License-Identifier: MIT */
/* berth ps [-a] [--format json] */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

BERTH_CMD(ps)
{
	bool all = false, json = false;
	json_t *list, *r, *out = json_array();
	size_t i;

	for (int k = 1; k < argc; k++) {
		if (strcmp(argv[k], "-a") == 0 || strcmp(argv[k], "--all") == 0)
			all = true;
		else if (strcmp(argv[k], "--format") == 0 && k + 1 < argc &&
		         strcmp(argv[k + 1], "json") == 0)
			json = true, k++;
		else if (strcmp(argv[k], "--format=json") == 0)
			json = true;
		else
			return berth_error(err, 0, "unknown option `%s` (ps [-a] [--format json])",
			                   argv[k]);
	}
	if (ctr_list(e, &list, err) < 0)
		return -1;
	json_array_foreach(list, i, r)
	{
		const char *st = cli_state(r);
		if (!all && strcmp(st, "running") != 0)
			continue;
		json_object_set_new(r, "state", json_string(st));
		json_array_append(out, r);
	}
	if (json) {
		char *t = json_dumps(out, JSON_INDENT(2));
		puts(t);
		free(t);
	} else {
		printf("%-14s %-20s %-24s %-22s %s\n", "ID", "IMAGE", "COMMAND", "STATUS", "NAME");
		json_array_foreach(out, i, r)
		{
			char status[32];
			if (strcmp(json_string_value(json_object_get(r, "state")), "exited") == 0)
				snprintf(
				    status, sizeof(status), "Exited (%lld)",
				    (long long)json_integer_value(json_object_get(r, "exit_code")));
			else
				snprintf(status, sizeof(status), "%s",
				         json_string_value(json_object_get(r, "state")));
			printf("%-14.12s %-20.20s %-24.24s %-22s %s\n",
			       json_string_value(json_object_get(r, "id")),
			       json_string_value(json_object_get(r, "image")),
			       json_string_value(json_object_get(r, "command")) ?: "", status,
			       json_string_value(json_object_get(r, "name")));
		}
	}
	json_decref(out);
	json_decref(list);
	return 0;
}
