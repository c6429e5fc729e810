/* SPDX-License-Identifier: MIT */
/* berth logs [-f] NAME: the container's output, from containers/<id>/ctr.log */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char logs_usage[] = "usage: berth logs [-f] NAME";

BERTH_CMD(logs)
{
	static const struct option lo[] = {
	    {"follow", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool follow = false;
	int o;
	cleanup_free char *p = NULL;
	cleanup_close int fd = -1;
	struct ctr_info c;
	char buf[16384];

	while ((o = cli_getopt(argc, argv, "fh", lo, logs_usage, err)) != -1) {
		if (o != 'f')
			return CLI_RET(o);
		follow = true;
	}
	if (optind != argc - 1)
		return berth_error(err, 0, "expected one NAME (%s)", logs_usage);
	if (ctr_get(e, argv[argc - 1], &c, err) < 0)
		return -1;
	p = engine_path(e, "containers/%s/ctr.log", c.id);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ctr_info_free(&c);
		return errno == ENOENT ? 0 : berth_error(err, errno, "open `%s`", p);
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			util_write_all(STDOUT_FILENO, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (!follow || ctr_wait_exit(e, c.id, 0)) {
			/* once more: what came between the last read and the exit */
			while ((n = read(fd, buf, sizeof(buf))) > 0)
				util_write_all(STDOUT_FILENO, buf, (size_t)n);
			break;
		}
		usleep(100000);
	}
	ctr_info_free(&c);
	return 0;
}
