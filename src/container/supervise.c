/* SPDX-License-Identifier: MIT */
#include "supervise.h"
#include "terminal.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

int supervise_exit_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 255;
}

static void supervise_put(const struct supervise_io *io, int stream, const char *buf, size_t n)
{
	if (io->sink)
		io->sink(io->arg, stream, buf, n);
	else if (io->to[stream] >= 0)
		util_write_all(io->to[stream], buf, n);
}

/* Copy what is readable on *fd to stream; close it at its end (EOF, or EIO on a pty whose
 * other side is gone). */
static void supervise_copy(const struct supervise_io *io, int *fd, int stream)
{
	char buf[16384];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		util_closep(fd);
		return;
	}
	supervise_put(io, stream, buf, (size_t)n);
}

int supervise_run(pid_t child, const struct supervise_io *io, int *status, berth_error_t *err)
{
	static const int streams[3] = {1, 1, 2};
	int fds[3] = {io->master, io->out, io->err};
	int in = io->master >= 0 ? io->in : -1;
	cleanup_close int sfd = -1;
	sigset_t all, old;
	bool done = false;
	char buf[16384];

	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGABRT);
	sigprocmask(SIG_BLOCK, &all, &old);
	sfd = signalfd(-1, &all, SFD_CLOEXEC);
	if (sfd < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		for (int i = 0; i < 3; i++)
			util_closep(&fds[i]);
		return berth_error(err, errno, "signalfd");
	}
	if (io->raw && io->master >= 0)
		terminal_raw_begin(io->master);

	while (!done) {
		struct pollfd p[5] = {
		    {.fd = sfd, .events = POLLIN},    {.fd = fds[0], .events = POLLIN},
		    {.fd = fds[1], .events = POLLIN}, {.fd = fds[2], .events = POLLIN},
		    {.fd = in, .events = POLLIN},
		};
		if (poll(p, 5, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD) {
					int ws;
					pid_t w;
					while ((w = waitpid(-1, &ws, WNOHANG)) > 0)
						if (w == child) {
							*status = supervise_exit_status(ws);
							done = true;
						}
				} else if (si.ssi_signo == SIGWINCH) {
					if (io->raw && fds[0] >= 0)
						terminal_copy_winsize(fds[0]);
				} else if (io->forward && si.ssi_signo != SIGPIPE) {
					kill(child, (int)si.ssi_signo);
				}
			}
		}
		for (int i = 0; i < 3; i++)
			if (fds[i] >= 0 && (p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
				supervise_copy(io, &fds[i], streams[i]);
		if (p[4].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(in, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0 || fds[0] < 0)
				in = -1;
			else
				util_write_all(fds[0], buf, (size_t)n);
		}
	}
	/* what it wrote last, without waiting for whoever else holds the other ends */
	for (int i = 0; i < 3; i++) {
		if (fds[i] < 0)
			continue;
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
		for (;;) {
			ssize_t n = read(fds[i], buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			supervise_put(io, streams[i], buf, (size_t)n);
		}
		util_closep(&fds[i]);
	}
	if (io->raw)
		terminal_raw_end();
	sigprocmask(SIG_SETMASK, &old, NULL);
	return 0;
}

int supervise_child(pid_t child, int master, int *status, berth_error_t *err)
{
	struct supervise_io io = {.master = master,
	                          .out = -1,
	                          .err = -1,
	                          .in = STDIN_FILENO,
	                          .raw = master >= 0,
	                          .forward = true,
	                          .to = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}};

	return supervise_run(child, &io, status, err);
}
