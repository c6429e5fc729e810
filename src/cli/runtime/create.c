/* SPDX-License-Identifier: MIT */
/* berth-runtime create, start and run */
#include "runtime.h"
#include "container.h"

#include <stdio.h>
#include <string.h>

struct create_ctx {
	struct container_opts o;
	bool detach, keep;
};

static int create_opt(int opt, const char *arg, void *ctx, berth_error_t *err)
{
	struct create_ctx *c = ctx;
	switch (opt) {
	case 'b':
		c->o.bundle = arg;
		return 0;
	case 'p':
		c->o.pid_file = arg;
		return 0;
	case 'c':
		c->o.console_socket = arg;
		return 0;
	case 'P':
		c->o.no_pivot = true;
		return 0;
	case 'k':
		return 0; /* --no-new-keyring: berth never creates a session keyring */
	case 'f':
		return runtime_parse_uint("--preserve-fds", arg, &c->o.preserve_fds, err);
	case 'd':
		c->detach = true;
		return 0;
	case 'K':
		c->keep = true;
		return 0;
	}
	return berth_error(err, 0, "internal: option %c", opt);
}

static int create_parse(int argc, char **argv, struct create_ctx *c, bool run, berth_error_t *err)
{
	/* run's own options first: create takes the same list without them */
	static const struct option opts[] = {
	    {"detach", no_argument, NULL, 'd'},
	    {"keep", no_argument, NULL, 'K'},
	    {"bundle", required_argument, NULL, 'b'},
	    {"pid-file", required_argument, NULL, 'p'},
	    {"console-socket", required_argument, NULL, 'c'},
	    {"no-pivot", no_argument, NULL, 'P'},
	    {"no-new-keyring", no_argument, NULL, 'k'},
	    {"preserve-fds", required_argument, NULL, 'f'},
	    {0},
	};
	int first = runtime_getopt(argc, argv, run ? "b:d" : "b:", run ? opts : opts + 2,
	                           create_opt, c, err);
	if (first < 0)
		return first;
	if (runtime_want_args(argc, argv, first, 1, 1, "a container id", err) < 0)
		return -1;
	c->o.id = argv[first];
	c->o.root = runtime_globals.root;
	return 0;
}

int cmd_create(int argc, char **argv, berth_error_t *err)
{
	struct create_ctx c = {0};
	pid_t pid;
	int r = create_parse(argc, argv, &c, false, err);
	if (r < 0)
		return r;
	return container_create(&c.o, &pid, err) < 0 ? -1 : 0;
}

int cmd_run(int argc, char **argv, berth_error_t *err)
{
	struct create_ctx c = {0};
	int status;
	int r = create_parse(argc, argv, &c, true, err);
	if (r < 0)
		return r;
	if (container_run(&c.o, c.detach, c.keep, &status, err) < 0)
		return -1;
	return status;
}

int cmd_start(int argc, char **argv, berth_error_t *err)
{
	int first = runtime_getopt(argc, argv, "", NULL, NULL, NULL, err);
	if (first < 0)
		return first;
	if (runtime_want_args(argc, argv, first, 1, 1, "a container id", err) < 0)
		return -1;
	return container_start(runtime_globals.root, argv[first], err) < 0 ? -1 : 0;
}
