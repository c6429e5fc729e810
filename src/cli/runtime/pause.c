/* SPDX-License-Identifier: MIT */
#include "runtime.h"

/* placeholder until the command lands */
int cmd_pause(int argc, char **argv, berth_error_t *err)
{
	(void)argc;
	(void)argv;
	return berth_error(err, 0, "pause: not implemented yet");
}

/* placeholder until the command lands */
int cmd_resume(int argc, char **argv, berth_error_t *err)
{
	(void)argc;
	(void)argv;
	return berth_error(err, 0, "resume: not implemented yet");
}
