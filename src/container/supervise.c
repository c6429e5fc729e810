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

int supervise_child(pid_t init, int master, int *status, berth_error_t *err)
{
	sigset_t all, old;
	cleanup_close int sfd = -1;
	bool in_open = master >= 0;
	bool done = false;
	char buf[8192];

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	sfd = signalfd(-1, &all, SFD_CLOEXEC);
	if (sfd < 0)
		return berth_error(err, errno, "signalfd");
	if (master >= 0)
		terminal_raw_begin(master);

	while (!done || master >= 0) {
		struct pollfd p[3] = {
			{.fd = sfd, .events = POLLIN},
			{.fd = master, .events = POLLIN},
			{.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
		};
		if (done && master >= 0) {
			/* drain what the container wrote last, without blocking */
			ssize_t n = read(master, buf, sizeof(buf));
			if (n <= 0)
				break;
			util_write_all(STDOUT_FILENO, buf, (size_t)n);
			continue;
		}
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGCHLD) {
				int ws;
				pid_t w;
				while ((w = waitpid(-1, &ws, WNOHANG)) > 0)
					if (w == init) {
						*status = supervise_exit_status(ws);
						done = true;
					}
			} else if (si.ssi_signo == SIGWINCH && master >= 0) {
				terminal_copy_winsize(master);
			} else {
				kill(init, (int)si.ssi_signo);
			}
		}
		if (master >= 0 && (p[2].revents & (POLLIN | POLLHUP))) {
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0)
				in_open = false;
			else
				util_write_all(master, buf, (size_t)n);
		}
		if (master >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t n = read(master, buf, sizeof(buf));
			if (n <= 0) {
				close(master);
				master = -1;
			} else {
				util_write_all(STDOUT_FILENO, buf, (size_t)n);
			}
		}
		if (done && master >= 0)
			fcntl(master, F_SETFL, O_NONBLOCK);
	}
	if (master >= 0)
		close(master);
	terminal_raw_end();
	sigprocmask(SIG_SETMASK, &old, NULL);
	return 0;
}
