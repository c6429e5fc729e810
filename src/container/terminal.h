/* SPDX-License-Identifier: MIT */
/* Terminals: a pty made inside the container, its master sent over a unix socket with
 * SCM_RIGHTS (what conmon and containerd's shim expect from --console-socket), and the
 * copy loop `run` uses when it owns the terminal itself. */
#ifndef BERTH_TERMINAL_H
#define BERTH_TERMINAL_H

#include "error.h"

#include <stdbool.h>
#include <sys/types.h>

/* Open a new pty pair from /dev/ptmx (the container's own devpts). */
int terminal_open_pty(int *master, int *slave, unsigned rows, unsigned cols, berth_error_t *err);
/* Make slave the controlling terminal and stdin/stdout/stderr of this (new session). */
int terminal_make_controlling(int slave, berth_error_t *err);
/* Connect to a unix socket path (the --console-socket). */
int terminal_connect(const char *path, berth_error_t *err);
int terminal_send_fd(int sock, int fd, const char *name, berth_error_t *err);
int terminal_recv_fd(int sock, berth_error_t *err);
/* Put our stdin in raw mode when it is a terminal (restored by terminal_raw_end and at
 * exit) and give master our window size. */
void terminal_raw_begin(int master);
void terminal_raw_end(void);
void terminal_copy_winsize(int master);
/* Make fds[0], fds[1], fds[2] this process's stdin, stdout and stderr (in a forked child).
 * 0 or -errno. */
int terminal_dup_stdio(const int fds[3]);

#endif
