/* SPDX-License-Identifier: MIT */
/* berth-init: `berth run --init`'s process 1 (as Docker's tini). Bind-mounted read-only at
 * /dev/init, it runs its arguments as its child, forwards the signals it gets to that child,
 * reaps every zombie the container's processes leave it (orphans are reparented to pid 1), and
 * exits with the child's status (128+N when a signal N ended it). A static binary with no
 * dependency but libc, so it runs in any image. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	sigset_t all, old;
	pid_t child;
	int argi = 1;

	if (argi < argc && strcmp(argv[argi], "--") == 0)
		argi++;
	if (argi >= argc) {
		fprintf(stderr, "berth-init: usage: berth-init [--] COMMAND [ARG…]\n");
		return 125;
	}
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	child = fork();
	if (child < 0) {
		fprintf(stderr, "berth-init: fork: %s\n", strerror(errno));
		return 125;
	}
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* its own process group, the terminal's foreground one when there is a terminal */
		setpgid(0, 0);
		if (isatty(STDIN_FILENO)) {
			signal(SIGTTOU, SIG_IGN);
			tcsetpgrp(STDIN_FILENO, getpid());
			signal(SIGTTOU, SIG_DFL);
		}
		execvp(argv[argi], argv + argi);
		fprintf(stderr, "berth-init: exec `%s`: %s\n", argv[argi], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			/* the signals the kernel stops and continues by itself are not forwarded */
			kill(child, sig);
			continue;
		}
		for (;;) {
			int st;
			pid_t p = waitpid(-1, &st, WNOHANG);
			if (p <= 0)
				break;
			if (p != child)
				continue;
			/* the child is gone: reap what is left, then exit with its status */
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			if (WIFSIGNALED(st))
				return 128 + WTERMSIG(st);
			return WEXITSTATUS(st);
		}
	}
}
