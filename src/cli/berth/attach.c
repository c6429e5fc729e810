/* SPDX-License-Identifier: MIT */
/* berth attach [--no-stdin] [--sig-proxy=false] [--detach-keys K] NAME: a container running
 * with a detached monitor (run -d, start) */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char attach_usage[] =
    "usage: berth attach [--no-stdin] [--sig-proxy=true|false] [--detach-keys KEYS] NAME\n"
    "  the output of a container started detached, and our stdin to it when it was made\n"
    "  with -i; with a terminal (-t), KEYS (ctrl-p,ctrl-q) detach and leave it running";

BERTH_CMD(attach)
{
	enum { O_NOSTDIN = 256, O_SIGPROXY, O_KEYS };
	static const struct option lo[] = {
	    {"no-stdin", no_argument, NULL, O_NOSTDIN},
	    {"sig-proxy", optional_argument, NULL, O_SIGPROXY},
	    {"detach-keys", required_argument, NULL, O_KEYS},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct ctr_attach_opts o = {.sig_proxy = true};
	cleanup_free char *id = NULL;
	int c, status = 0;

	while ((c = cli_getopt(argc, argv, "h", lo, attach_usage, err)) != -1) {
		switch (c) {
		case O_NOSTDIN:
			o.no_stdin = true;
			break;
		case O_SIGPROXY:
			if (optarg == NULL || strcmp(optarg, "true") == 0)
				o.sig_proxy = true;
			else if (strcmp(optarg, "false") == 0)
				o.sig_proxy = false;
			else
				return berth_error(
				    err, 0, "bad --sig-proxy `%s`: expected true or false", optarg);
			break;
		case O_KEYS:
			o.detach_keys = optarg;
			break;
		default:
			return CLI_RET(c);
		}
	}
	if (optind != argc - 1)
		return berth_error(err, 0, "expected one NAME (%s)", attach_usage);
	if (ctr_lookup(e, argv[optind], &id, err) < 0 || ctr_attach(e, id, &o, &status, err) < 0)
		return -1;
	return status;
}
