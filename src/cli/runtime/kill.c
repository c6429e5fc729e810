/* SPDX-License-Identifier: MIT */
/* berth-runtime kill and delete */
#include "runtime.h"
#include "container.h"
#include "util.h"

#include <signal.h>

static int flag_opt(int opt, const char *arg, void *ctx, berth_error_t *err)
{
	(void)opt;
	(void)arg;
	(void)err;
	*(bool *)ctx = true;
	return 0;
}

int cmd_kill(int argc, char **argv, berth_error_t *err)
{
	static const struct option opts[] = {{"all", no_argument, NULL, 'a'}, {0}};
	bool all = false;
	int sig = SIGTERM;
	int first = runtime_getopt(argc, argv, "a", opts, flag_opt, &all, err);

	if (first < 0)
		return first;
	if (runtime_want_args(argc, argv, first, 1, 2, "a container id and an optional signal",
	                      err) < 0)
		return -1;
	if (argc - first == 2) {
		sig = util_parse_signal(argv[first + 1]);
		if (sig < 0)
			return berth_error(
			    err, 0,
			    "kill: invalid signal `%s` (expected a name like TERM or "
			    "SIGKILL, or a number)",
			    argv[first + 1]);
	}
	return container_kill(runtime_globals.root, argv[first], sig, all, err) < 0 ? -1 : 0;
}

int cmd_delete(int argc, char **argv, berth_error_t *err)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {0}};
	bool force = false;
	int first = runtime_getopt(argc, argv, "f", opts, flag_opt, &force, err);

	if (first < 0)
		return first;
	if (runtime_want_args(argc, argv, first, 1, 1, "a container id", err) < 0)
		return -1;
	return container_delete(runtime_globals.root, argv[first], force, err) < 0 ? -1 : 0;
}
