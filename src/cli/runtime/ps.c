/* SPDX-License-Identifier: MIT */
/* berth-runtime ps [--format table|json] ID [PS-OPTIONS]: the host's `ps` (default `-ef`)
 * filtered to the container's processes, as runc does it. */
#include "runtime.h"
#include "manage.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static int ps_opt(int opt, const char *arg, void *ctx, berth_error_t *err)
{
	(void)opt;
	if (strcmp(arg, "json") == 0)
		*(bool *)ctx = true;
	else if (strcmp(arg, "table") == 0)
		*(bool *)ctx = false;
	else
		return berth_error(err, 0, "ps: --format: expected table or json, got `%s`", arg);
	return 0;
}

int cmd_ps(int argc, char **argv, berth_error_t *err)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, {0}};
	static char default_args[] = "-ef";
	bool json = false;
	cleanup_free pid_t *pids = NULL;
	cleanup_free char *out = NULL;
	cleanup_free char **args = NULL;
	size_t n = 0, nargs = 0;
	int first = runtime_getopt(argc, argv, "f:", opts, ps_opt, &json, err);

	if (first < 0)
		return first;
	if (runtime_want_args(argc, argv, first, 1, argc, "a container id and ps options", err) < 0)
		return -1;
	if (json) {
		if (container_ps(runtime_globals.root, argv[first], &pids, &n, err) < 0)
			return -1;
		putchar('[');
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
		return 0;
	}

	args = xmalloc0((size_t)(argc - first + 2) * sizeof(*args));
	args[nargs++] = "ps";
	for (int i = first + 1; i < argc; i++)
		if (i > first + 1 || strcmp(argv[i], "--") != 0)
			args[nargs++] = argv[i];
	if (nargs == 1)
		args[nargs++] = default_args;
	/* as runc: a PID that does not parse is an error */
	if (container_top(runtime_globals.root, argv[first], args, CONTAINER_TOP_STRICT, &out,
	                  err) < 0)
		return berth_error_prefix(err, "ps");
	fputs(out, stdout);
	return 0;
}
