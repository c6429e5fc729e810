/* SPDX-License-Identifier: MIT */
#include "runtime.h"

/* placeholder until the command lands */
int cmd_events(int argc, char **argv, berth_error_t *err)
{
	(void)argc;
	(void)argv;
	return berth_error(err, 0, "events: not implemented yet");
}
