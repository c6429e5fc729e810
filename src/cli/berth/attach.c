/* SPDX-License-Identifier: MIT */
/* berth attach [--no-stdin] [--sig-proxy=false] [--detach-keys K] NAME: a container running
 * with a detached monitor (run -d, start) */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>

static const char attach_usage[] =
    "usage: berth attach [--no-stdin] [--sig-proxy=true|false] [--detach-keys KEYS] NAME\n"
    "  the output of a container started detached, and our stdin to it when it was made\n"
    "  with -i; with a terminal (-t), KEYS (ctrl-p,ctrl-q) detach and leave it running;\n"
    "  a container made with -a: only the streams it names";

int cli_streams_off(unsigned attach, int saved[3], berth_error_t *err)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	saved[0] = saved[1] = saved[2] = -1;
	if (null < 0)
		return berth_error(err, errno, "open `/dev/null`");
	for (int fd = 0; fd < 3; fd++)
		if (!(attach & (1u << fd))) {
			saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
			dup2(null, fd);
		}
	close(null);
	return 0;
}

void cli_streams_restore(const int saved[3])
{
	for (int fd = 0; fd < 3; fd++)
		if (saved[fd] >= 0) {
			dup2(saved[fd], fd);
			close(saved[fd]);
		}
}

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
	struct ctr_info ci;
	int c, status = 0, r, saved[3] = {-1, -1, -1};

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
	if (ctr_get(e, argv[optind], &ci, err) < 0)
		return -1;
	/* made with -a: only the streams it names (stdin: not read) */
	if (ci.attach && !(ci.attach & 1u))
		o.no_stdin = true;
	r = ci.attach ? cli_streams_off(ci.attach | 1u, saved, err) : 0;
	if (r == 0)
		r = ctr_attach(e, ci.id, &o, &status, err);
	cli_streams_restore(saved);
	ctr_info_free(&ci);
	return r < 0 ? -1 : status;
}
