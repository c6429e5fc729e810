/* SPDX-License-Identifier: MIT */
#include "hooks.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static void hooks_child(const struct config_hook *h, int in_fd)
{
	char **argv;
	size_t i;

	if (dup2(in_fd, STDIN_FILENO) < 0)
		_exit(127);
	util_close_fds_from(3);
	signal(SIGPIPE, SIG_DFL);
	argv = calloc(h->n_args + 2, sizeof(char *));
	if (argv == NULL)
		_exit(127);
	if (h->n_args == 0)
		argv[0] = h->path;
	for (i = 0; i < h->n_args; i++)
		argv[i] = h->args[i];
	/* without "env" a hook inherits the runtime's environment, as runc's and crun's do */
	execve(h->path, argv, h->env != NULL ? h->env : environ);
	_exit(127);
}

static int hooks_run_one(const struct config_hook *h, const char *kind, size_t idx,
                         const char *state_json, berth_error_t *err)
{
	int pipefd[2];
	cleanup_close int pidfd = -1;
	pid_t pid;
	siginfo_t si;
	int timeout_ms = h->has_timeout ? h->timeout * 1000 : -1;
	struct pollfd pfd;
	int r;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return berth_error(err, errno, "%s hook #%zu `%s`: pipe", kind, idx, h->path);
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return berth_error(err, errno, "%s hook #%zu `%s`: fork", kind, idx, h->path);
	}
	if (pid == 0)
		hooks_child(h, pipefd[0]);
	close(pipefd[0]);
	/* the state goes in; a hook that does not read it must not block us (SIGPIPE off) */
	{
		struct sigaction sa = {.sa_handler = SIG_IGN}, old;
		sigaction(SIGPIPE, &sa, &old);
		util_write_all(pipefd[1], state_json, strlen(state_json));
		sigaction(SIGPIPE, &old, NULL);
	}
	close(pipefd[1]);

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0 && timeout_ms > 0) {
		pfd.fd = pidfd;
		pfd.events = POLLIN;
		do
			r = poll(&pfd, 1, timeout_ms);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return berth_error(err, 0, "%s hook #%zu `%s`: timed out after %d s", kind,
			                   idx, h->path, h->timeout);
		}
	}
	memset(&si, 0, sizeof(si));
	while (waitid(P_PID, (id_t)pid, &si, WEXITED) < 0)
		if (errno != EINTR)
			return berth_error(err, errno, "%s hook #%zu `%s`: wait", kind, idx,
			                   h->path);
	if (si.si_code == CLD_EXITED && si.si_status == 0)
		return 0;
	if (si.si_code == CLD_EXITED && si.si_status == 127)
		return berth_error(err, 0,
		                   "%s hook #%zu `%s`: could not be executed (exit status 127)",
		                   kind, idx, h->path);
	if (si.si_code == CLD_EXITED)
		return berth_error(err, 0, "%s hook #%zu `%s`: exit status %d", kind, idx, h->path,
		                   si.si_status);
	return berth_error(err, 0, "%s hook #%zu `%s`: killed by signal %d", kind, idx, h->path,
	                   si.si_status);
}

int hooks_run(const struct config_hook *hooks, size_t n, const char *kind, const char *state_json,
              berth_error_t *err)
{
	for (size_t i = 0; i < n; i++)
		if (hooks_run_one(&hooks[i], kind, i, state_json, err) < 0)
			return -1;
	return 0;
}
