/* SPDX-License-Identifier: MIT */
/* berth-runtime spec: write a default config.json, as `runc spec` does. */
#include "runtime.h"
#include "config.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>

struct spec_ctx {
	const char *bundle;
	bool rootless;
};

static int spec_opt(int opt, const char *arg, void *ctx, berth_error_t *err)
{
	struct spec_ctx *c = ctx;
	(void)err;
	if (opt == 'b')
		c->bundle = arg;
	else
		c->rootless = true;
	return 0;
}

int cmd_spec(int argc, char **argv, berth_error_t *err)
{
	static const struct option opts[] = {
	    {"bundle", required_argument, NULL, 'b'},
	    {"rootless", no_argument, NULL, 'r'},
	    {0},
	};
	struct spec_ctx c = {.bundle = "."};
	cleanup_free char *path = NULL;
	cleanup_free char *text = NULL;
	cleanup_close int fd = -1;
	json_t *spec;
	int first = runtime_getopt(argc, argv, "b:", opts, spec_opt, &c, err);

	if (first < 0)
		return first;
	if (runtime_want_args(argc, argv, first, 0, 0, "no arguments", err) < 0)
		return -1;
	path = xasprintf("%s/config.json", c.bundle);
	spec = config_default_spec(c.rootless);
	text = json_dumps(spec, JSON_INDENT(2));
	json_decref(spec);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			return berth_error(err, 0, "spec: `%s` already exists; remove it first",
			                   path);
		return berth_error(err, errno, "spec: open `%s`", path);
	}
	if (util_write_all(fd, text, strlen(text)) < 0 || util_write_all(fd, "\n", 1) < 0)
		return berth_error(err, errno, "spec: write `%s`", path);
	return 0;
}
