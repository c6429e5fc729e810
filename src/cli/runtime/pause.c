/* SPDX-License-Identifier: MIT */
/* berth-runtime pause and resume: the freezer (v1) or cgroup.freeze (v2) of the container */
#include "runtime.h"
#include "manage.h"

int cmd_pause(int argc, char **argv, berth_error_t *err)
{
	int first = runtime_getopt(argc, argv, "", NULL, NULL, NULL, err);

	if (first < 0)
		return first;
	if (runtime_want_args(argc, argv, first, 1, 1, "a container id", err) < 0)
		return -1;
	return container_pause(runtime_globals.root, argv[first], err) < 0 ? -1 : 0;
}

int cmd_resume(int argc, char **argv, berth_error_t *err)
{
	int first = runtime_getopt(argc, argv, "", NULL, NULL, NULL, err);

	if (first < 0)
		return first;
	if (runtime_want_args(argc, argv, first, 1, 1, "a container id", err) < 0)
		return -1;
	return container_resume(runtime_globals.root, argv[first], err) < 0 ? -1 : 0;
}
