/* SPDX-License-Identifier: MIT */
/* berth exec [-i] [-t] [-e K=V] [-w DIR] NAME CMD…: through the runtime library */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

BERTH_CMD(exec)
{
	static const struct option lo[] = {
	    {"interactive", no_argument, NULL, 'i'},
	    {"tty", no_argument, NULL, 't'},
	    {"env", required_argument, NULL, 'e'},
	    {"workdir", required_argument, NULL, 'w'},
	    {0},
	};
	struct ctr_exec_opts o = {0};
	struct ctr_info c;
	int opt, status = 0, r = -1;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+ite:w:", lo, NULL)) != -1) {
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
		default:
			free(o.env);
			return berth_error(err, 0,
			                   "unknown option `%s` (exec [-i] [-t] [-e K=V] [-w DIR] "
			                   "NAME CMD…)",
			                   argv[optind - 1]);
		}
	}
	if (optind + 1 >= argc) {
		free(o.env);
		return berth_error(err, 0,
		                   "usage: berth exec [-i] [-t] [-e K=V] [-w DIR] NAME CMD…");
	}
	o.args = argv + optind + 1;
	o.n_args = (size_t)(argc - optind - 1);
	if (ctr_get(e, argv[optind], &c, err) < 0) {
		free(o.env);
		return -1;
	}
	if (!ctr_status_running(c.status))
		berth_error(err, 0, "container \"%s\" is not running", argv[optind]);
	else if (ctr_exec(e, c.id, &o, &status, err) == 0)
		r = status;
	else if ((*err)->status == ENOENT || (*err)->status == EACCES) {
		/* the command could not be run, as a shell says it */
		fprintf(stderr, "berth: %s\n", (*err)->msg);
		r = (*err)->status == ENOENT ? 127 : 126;
	}
	ctr_info_free(&c);
	free(o.env);
	return r;
}
