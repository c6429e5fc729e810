/* SPDX-License-Identifier: MIT */
/* The life cycle of one container, as berth-runtime's commands drive it:
 * create -> (created) -> start -> (running) -> exit -> (stopped) -> delete. */
#ifndef BERTH_CONTAINER_H
#define BERTH_CONTAINER_H

#include "error.h"

#include <stdbool.h>
#include <sys/types.h>

struct json_t;

struct container_opts {
	const char *root; /* state directory root (--root) */
	const char *id;
	const char *bundle; /* default "." */
	const char *pid_file;
	const char *console_socket;
	bool no_pivot;
	int preserve_fds;
	/* run in the foreground: the runtime stays the container's parent, owns its terminal
	 * (when process.terminal) and forwards signals */
	bool foreground;
	/* create and start at once (`run`): no exec.fifo, the init starts as soon as it is
	 * ready and create returns once it has exec'd (or failed to) and the poststart hooks
	 * have run */
	bool start_now;
	/* The container's stdin, stdout and stderr: these three fds (its init gets them as 0, 1
	 * and 2); NULL: ours. */
	const int *stdio;
	/* With process.terminal, in the foreground and without console_socket: gets the pty
	 * master of the container's terminal (the caller closes it). */
	int *master;
};

int container_create(const struct container_opts *o, pid_t *pid, berth_error_t *err);
int container_start(const char *root, const char *id, berth_error_t *err);
/* create + start; without detach, wait and give the exit status (128+N for signal N) and
 * delete the container unless keep. */
int container_run(const struct container_opts *o, bool detach, bool keep, int *status,
                  berth_error_t *err);
int container_kill(const char *root, const char *id, int sig, bool all, berth_error_t *err);
int container_delete(const char *root, const char *id, bool force, berth_error_t *err);
/* The spec's state document of one container, and of every container (an array). */
int container_state(const char *root, const char *id, struct json_t **out, berth_error_t *err);
int container_list(const char *root, struct json_t **out, berth_error_t *err);

#endif
