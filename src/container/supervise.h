/* SPDX-License-Identifier: MIT */
/* Staying in the foreground with a child in a container (`berth-runtime run` and `exec`,
 * berth's monitor): forward signals to it, copy its terminal or its output pipes to a sink
 * and our input to its terminal, reap children until it exits. */
#ifndef BERTH_SUPERVISE_H
#define BERTH_SUPERVISE_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A wait status as a shell reports it: the exit code, or 128 + the signal number. */
int supervise_exit_status(int wstatus);

struct supervise_io {
	int master;   /* the pty master of its terminal, or -1 */
	int out, err; /* read ends of pipes from its stdout and stderr, or -1 */
	int in;       /* copied to master until EOF, or -1 */
	bool raw;     /* our stdin is the user's terminal: raw mode, window size (SIGWINCH) */
	bool forward; /* forward the signals we get (but SIGCHLD, SIGWINCH, SIGPIPE) */
	/* What the container wrote: stream 1 (stdout, or the terminal) or 2. NULL: written to
	 * the fds in `to` */
	void (*sink)(void *arg, int stream, const char *buf, size_t len);
	void *arg;
	int to[3]; /* without sink: to[1] and to[2] get streams 1 and 2 */
};

/* Wait for child (our child, or re-parented to us as subreaper), copying as io says, and
 * drain what it wrote last once it exited. *status gets its exit status. Blocks every
 * signal while it runs and restores the mask; closes io's master, out and err. */
int supervise_run(pid_t child, const struct supervise_io *io, int *status, berth_error_t *err);
/* supervise_run with our stdin, stdout and stderr: master (or -1) is the child's terminal. */
int supervise_child(pid_t child, int master, int *status, berth_error_t *err);

#endif
