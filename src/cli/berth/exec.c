/* SPDX-License-Identifier: MIT */
/* berth exec [-it] NAME CMD…: berth-runtime exec, from the directory of berth */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

BERTH_CMD(exec)
{
	bool tty = false, in = false;
	int k = 1;
	cleanup_free char *id = NULL;
	cleanup_free char *rt = NULL;
	cleanup_free char *bin = NULL;
	char **av;
	int n = 0, ws;
	pid_t pid;
	json_t *rec;

	for (; k < argc && argv[k][0] == '-'; k++) {
		for (const char *p = argv[k] + 1; *p; p++) {
			if (*p == 't')
				tty = true;
			else if (*p == 'i')
				in = true;
			else
				return berth_error(
				    err, 0, "unknown option `%s` (exec [-it] NAME CMD…)", argv[k]);
		}
	}
	if (k + 1 >= argc)
		return berth_error(err, 0, "usage: berth exec [-it] NAME CMD…");
	rec = cli_record(e, argv[k], &id, err);
	if (rec == NULL)
		return -1;
	if (!ctr_running(rec)) {
		json_decref(rec);
		return berth_error(err, 0, "container \"%s\" is not running", argv[k]);
	}
	json_decref(rec);
	rt = ctr_runtime_root(e);
	bin = cli_runtime_path();
	av = xmalloc0((size_t)(argc + 8) * sizeof(char *));
	av[n++] = bin;
	av[n++] = "--root";
	av[n++] = rt;
	av[n++] = "exec";
	if (tty)
		av[n++] = "--tty";
	av[n++] = id;
	for (int j = k + 1; j < argc; j++)
		av[n++] = argv[j];
	(void)in;
	pid = fork();
	if (pid < 0) {
		free(av);
		return berth_error(err, errno, "fork");
	}
	if (pid == 0) {
		execv(bin, av);
		fprintf(stderr, "berth: exec: %s: %s\n", bin, strerror(errno));
		_exit(125);
	}
	free(av);
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return berth_error(err, errno, "waitpid");
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}
