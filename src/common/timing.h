/* SPDX-License-Identifier: MIT */
/* Where the start of a container spends its time: with BERTH_TIMING=FILE in the environment,
 * each phase mark appends one line "REALTIME_US PID PHASE" to FILE (bench/runtime-start.sh
 * reads them; docs/performance.md). Unset (the default), a mark costs one branch. */
#ifndef BERTH_TIMING_H
#define BERTH_TIMING_H

#include <stdbool.h>

/* Record that phase (a word without spaces) ended now. Async-signal-safe once the file is
 * open (the first mark, in the runtime, opens it): a forked child may mark before exec. */
void timing_mark(const char *phase);
/* The file's fd (close-on-exec), for a child that closes the fds it inherits to keep; -1 when
 * timing is off. */
int timing_fd(void);

#endif
