/* SPDX-License-Identifier: MIT */
/* berth exec [-i] [-t] [-e K=V] [-w DIR] NAME CMD…: through the runtime library */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char exec_usage[] = "usage: berth exec [-i] [-t] [-e K=V] [-w DIR] NAME CMD…";

BERTH_CMD(exec)
{
	static const struct option lo[] = {
	    {"interactive", no_argument, NULL, 'i'}, {"tty", no_argument, NULL, 't'},
	    {"env", required_argument, NULL, 'e'},   {"workdir", required_argument, NULL, 'w'},
	    {"help", no_argument, NULL, 'h'},        {0},
	};
	struct ctr_exec_opts o = {0};
	struct ctr_info c;
	int opt, status = 0, r = -1;

	while ((opt = cli_getopt(argc, argv, "ite:w:h", lo, exec_usage, err)) != -1) {
		switch (opt) {
		case 'i':
			o.interactive = true;
			break;
		case 't':
			o.tty = true;
			break;
		case 'e':
			o.env = xrealloc(o.env, (o.n_env + 1) * sizeof(char *));
			o.env[o.n_env++] = optarg;
			break;
		case 'w':
			o.workdir = optarg;
			break;
		default: /* CLI_FAIL, CLI_HELP */
			free(o.env);
			return CLI_RET(opt);
		}
	}
	if (optind + 1 >= argc) {
		free(o.env);
		return berth_error(err, 0, "expected NAME CMD… (%s)", exec_usage);
	}
	o.args = argv + optind + 1;
	o.n_args = (size_t)(argc - optind - 1);
	if (ctr_get(e, argv[optind], &c, err) < 0) {
		free(o.env);
		return -1;
	}
	if (!ctr_status_running(c.status))
		berth_error(err, 0, "container \"%s\" is not running", argv[optind]);
	else if (c.paused)
		berth_error(err, 0, "container \"%s\" is paused (berth unpause it first)",
		            argv[optind]);
	else if (ctr_exec(e, c.id, &o, &status, err) == 0)
		r = status;
	else
		r = cli_exit_status("exec", err); /* 127, 126 or -1 */
	ctr_info_free(&c);
	free(o.env);
	return r;
}
