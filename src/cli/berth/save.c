/* SPDX-License-Identifier: MIT */
/* berth save [-o FILE] [--format oci-archive|docker-archive] IMAGE… | load [-i FILE] */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char save_usage[] =
    "usage: berth save [-o FILE] [--format oci-archive|docker-archive] IMAGE…";
static const char load_usage[] = "usage: berth load [-q] [-i FILE]   (an oci-archive, "
                                 "docker-archive or rootfs tarball; stdin without -i)";

int cli_stdin_archive(struct engine *e, const char *hint, char **tmp, berth_error_t *err)
{
	char buf[65536];
	ssize_t n;
	cleanup_close int fd = -1;

	if (isatty(STDIN_FILENO))
		return berth_error(err, 0, "no archive on stdin: %s or pipe one in", hint);
	*tmp = engine_path(e, "tmp/load-XXXXXX");
	fd = mkstemp(*tmp);
	if (fd < 0) {
		berth_error(err, errno, "create `%s`", *tmp);
		free(util_steal_ptr(*tmp));
		return -1;
	}
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || util_write_all(fd, buf, (size_t)n) < 0) {
			berth_error(err, errno, "copy stdin to `%s`", *tmp);
			unlink(*tmp);
			free(util_steal_ptr(*tmp));
			return -1;
		}
	}
	return 0;
}

BERTH_CMD(save)
{
	static const struct option lo[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *out = "-", *format = "oci-archive";
	int c;

	while ((c = cli_getopt(argc, argv, "o:h", lo, save_usage, err)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		default: /* CLI_FAIL, CLI_HELP */
			return CLI_RET(c);
		}
	}
	if (optind >= argc)
		return berth_error(err, 0, "no image given (berth save --help)");
	if (strcmp(out, "-") == 0 && isatty(STDOUT_FILENO))
		return berth_error(err, 0, "%s", CLI_NO_TTY_ARCHIVE);
	return image_save(e, argv + optind, (size_t)(argc - optind), out, format, err) < 0 ? -1 : 0;
}

BERTH_CMD(load)
{
	static const struct option lo[] = {
	    {"input", required_argument, NULL, 'i'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *in = NULL;
	cleanup_free char *tmp = NULL;
	cleanup_free char *name = NULL;
	int c, r;

	while ((c = cli_getopt(argc, argv, "i:qh", lo, load_usage, err)) != -1) {
		switch (c) {
		case 'i':
			in = optarg;
			break;
		case 'q':
			progress_set_quiet(true);
			break;
		default: /* CLI_FAIL, CLI_HELP */
			return CLI_RET(c);
		}
	}
	if (optind != argc)
		return berth_error(err, 0, "unexpected argument `%s` (berth load --help)",
		                   argv[optind]);
	if (in == NULL) {
		if (cli_stdin_archive(e, "give -i FILE", &tmp, err) < 0)
			return -1;
		in = tmp;
	}
	r = image_import(e, in, NULL, &name, err);
	if (tmp)
		unlink(tmp);
	if (r < 0)
		return -1;
	printf("Loaded image: %s\n", name);
	return 0;
}
