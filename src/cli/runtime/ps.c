/* SPDX-License-Identifier: MIT */
#include "runtime.h"

/* placeholder until the command lands */
int cmd_ps(int argc, char **argv, berth_error_t *err)
{
	(void)argc;
	(void)argv;
	return berth_error(err, 0, "ps: not implemented yet");
}
