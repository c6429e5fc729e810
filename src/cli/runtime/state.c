/* SPDX-License-Identifier: MIT */
/* berth-runtime state and list */
#include "runtime.h"
#include "container.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

int cmd_state(int argc, char **argv, berth_error_t *err)
{
	json_t *o;
	int first = runtime_getopt(argc, argv, "", NULL, NULL, NULL, err);
	if (first < 0)
		return first;
	if (runtime_want_args(argc, argv, first, 1, 1, "a container id", err) < 0)
		return -1;
	if (container_state(runtime_globals.root, argv[first], &o, err) < 0)
		return -1;
	json_dumpf(o, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(o);
	return 0;
}

struct list_ctx {
	bool json, quiet;
};

static int list_opt(int opt, const char *arg, void *ctx, berth_error_t *err)
{
	struct list_ctx *c = ctx;
	if (opt == 'q') {
		c->quiet = true;
		return 0;
	}
	if (strcmp(arg, "json") == 0)
		c->json = true;
	else if (strcmp(arg, "table") != 0)
		return berth_error(err, 0, "list: --format: expected table or json, got `%s`", arg);
	return 0;
}

int cmd_list(int argc, char **argv, berth_error_t *err)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"quiet", no_argument, NULL, 'q'},
	    {0},
	};
	struct list_ctx c = {0};
	json_t *arr, *s;
	size_t i;
	int first = runtime_getopt(argc, argv, "f:q", opts, list_opt, &c, err);

	if (first < 0)
		return first;
	if (runtime_want_args(argc, argv, first, 0, 0, "no arguments", err) < 0)
		return -1;
	if (container_list(runtime_globals.root, &arr, err) < 0)
		return -1;
	if (c.json) {
		json_dumpf(arr, stdout, JSON_COMPACT);
		putchar('\n');
	} else {
		if (!c.quiet)
			printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
			       "CREATED", "OWNER");
		json_array_foreach(arr, i, s)
		{
			const char *id = json_string_value(json_object_get(s, "id"));
			if (c.quiet) {
				printf("%s\n", id);
				continue;
			}
			printf("%-20s %-8lld %-10s %-40s %-30s %s\n", id,
			       (long long)json_integer_value(json_object_get(s, "pid")),
			       json_string_value(json_object_get(s, "status")),
			       json_string_value(json_object_get(s, "bundle")),
			       json_string_value(json_object_get(s, "created")),
			       json_string_value(json_object_get(s, "owner")));
		}
	}
	json_decref(arr);
	return 0;
}
