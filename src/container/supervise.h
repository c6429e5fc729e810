/* SPDX-License-Identifier: MIT */
/* Staying in the foreground with a child in a container (`run`, `exec`): forward every
 * signal to it, copy its terminal to ours, reap children until it exits. */
#ifndef BERTH_SUPERVISE_H
#define BERTH_SUPERVISE_H

#include "error.h"

#include <sys/types.h>

/* A wait status as a shell reports it: the exit code, or 128 + the signal number. */
int supervise_exit_status(int wstatus);
/* Wait for `child` (our child, or re-parented to us as subreaper). master is the pty
 * master of its terminal or -1. Blocks every signal while it runs and restores the mask. */
int supervise_child(pid_t child, int master, int *status, berth_error_t *err);

#endif
