/* SPDX-License-Identifier: MIT */
/* berth-runtime ps [--format table|json] ID [PS-OPTIONS]: the host's `ps` (default `-ef`)
 * filtered to the container's processes, as runc does it. */
#include "runtime.h"
#include "manage.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static int ps_opt(int opt, const char *arg, void *ctx, berth_error_t *err)
{
	(void)opt;
	if (strcmp(arg, "json") == 0)
		*(bool *)ctx = true;
	else if (strcmp(arg, "table") == 0)
		*(bool *)ctx = false;
	else
		return berth_error(err, 0, "ps: --format: expected table or json, got `%s`", arg);
	return 0;
}

/* Run ps with args (argv-style, NULL-terminated); its stdout and stderr in *out. */
static int ps_run(char **args, char **out, berth_error_t *err)
{
	int p[2];
	pid_t pid;
	int status;
	size_t len = 0;
	int r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error(err, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return berth_error(err, errno, "fork");
	}
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		execvp("ps", args);
		fprintf(stderr, "exec ps: %s\n", strerror(errno));
		_exit(127);
	}
	close(p[1]);
	r = util_read_fd(p[0], "the output of ps", out, &len, err);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *nl = strchr(*out, '\n');
		if (nl)
			*nl = '\0';
		return berth_error(err, 0, "ps: `ps` failed (%s %d): %s",
		                   WIFEXITED(status) ? "exit status" : "signal",
		                   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		                   *out);
	}
	return 0;
}

static bool ps_has(const pid_t *pids, size_t n, long pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

int cmd_ps(int argc, char **argv, berth_error_t *err)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, {0}};
	static char default_args[] = "-ef";
	bool json = false;
	cleanup_free pid_t *pids = NULL;
	cleanup_free char *out = NULL;
	cleanup_free char **args = NULL;
	size_t n = 0, nargs = 0;
	int pid_col = -1, col = 0;
	char *line, *save = NULL;
	int first = runtime_getopt(argc, argv, "f:", opts, ps_opt, &json, err);

	if (first < 0)
		return first;
	if (runtime_want_args(argc, argv, first, 1, argc, "a container id and ps options", err) < 0)
		return -1;
	if (container_ps(runtime_globals.root, argv[first], &pids, &n, err) < 0)
		return -1;
	if (json) {
		putchar('[');
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
		return 0;
	}

	args = xmalloc0((size_t)(argc - first + 2) * sizeof(*args));
	args[nargs++] = "ps";
	for (int i = first + 1; i < argc; i++)
		if (i > first + 1 || strcmp(argv[i], "--") != 0)
			args[nargs++] = argv[i];
	if (nargs == 1)
		args[nargs++] = default_args;
	if (ps_run(args, &out, err) < 0)
		return -1;

	line = strtok_r(out, "\n", &save);
	if (line == NULL)
		return berth_error(err, 0, "ps: `ps` printed nothing");
	{
		cleanup_free char *hdr = xstrdup(line);
		char *s2 = NULL;
		for (char *f = strtok_r(hdr, " \t", &s2); f; f = strtok_r(NULL, " \t", &s2), col++)
			if (strcmp(f, "PID") == 0) {
				pid_col = col;
				break;
			}
	}
	if (pid_col < 0)
		return berth_error(err, 0, "ps: no PID column in the output of ps: `%s`", line);
	printf("%s\n", line);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		cleanup_free char *copy = xstrdup(line);
		char *s2 = NULL, *f = strtok_r(copy, " \t", &s2);
		char *end;
		long pid;

		for (int i = 0; f != NULL && i < pid_col; i++)
			f = strtok_r(NULL, " \t", &s2);
		if (f == NULL)
			continue;
		pid = strtol(f, &end, 10);
		if (*end != '\0')
			return berth_error(err, 0, "ps: cannot parse the pid `%s` in `%s`", f,
			                   line);
		if (ps_has(pids, n, pid))
			printf("%s\n", line);
	}
	return 0;
}
