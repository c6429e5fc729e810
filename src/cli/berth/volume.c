/* SPDX-License-Identifier: MIT */
/* berth volume create|ls|inspect|rm|prune */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int volume_create_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	static const char usage[] = "usage: berth volume create [--label K=V] [NAME]";
	static const struct option lo[] = {
	    {"label", required_argument, NULL, 'l'},
	    {"driver", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	char **labels = NULL;
	size_t n_labels = 0;
	cleanup_free char *name = NULL;
	int c, r = -1;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "d:l:h", lo, usage, err)) != -1) {
		if (c == 'l') {
			labels = xrealloc(labels, (n_labels + 1) * sizeof(char *));
			labels[n_labels++] = optarg;
		} else if (c == 'd') {
			if (strcmp(optarg, "local") != 0) {
				berth_error(err, 0, "bad --driver `%s`: only local", optarg);
				goto out;
			}
		} else {
			r = CLI_RET(c);
			goto out;
		}
	}
	if (optind < argc - 1) {
		berth_error(err, 0, "expected at most one NAME (%s)", usage);
		goto out;
	}
	if (volume_create(e, optind < argc ? argv[optind] : NULL, labels, n_labels, &name, err) < 0)
		goto out;
	printf("%s\n", name);
	r = 0;
out:
	free(labels);
	return r;
}

static int volume_ls_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	static const char usage[] = "usage: berth volume ls [-q] [--format json]";
	static const struct option lo[] = {
	    {"quiet", no_argument, NULL, 'q'},
	    {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool json = false, quiet = false;
	char **names;
	size_t n;
	int c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "qh", lo, usage, err)) != -1) {
		if (c == 'q')
			quiet = true;
		else if (c == 'F' && strcmp(optarg, "json") == 0)
			json = true;
		else if (c == 'F')
			return berth_error(err, 0, "bad --format `%s`: expected json", optarg);
		else
			return CLI_RET(c);
	}
	if (optind != argc)
		return berth_error(err, 0, "unexpected argument `%s` (%s)", argv[optind], usage);
	if (json) {
		char *text = volume_list_json(e, err);
		if (text == NULL)
			return -1;
		puts(text);
		free(text);
		return 0;
	}
	if (volume_list(e, &names, &n, err) < 0)
		return -1;
	if (!quiet)
		printf("%-10s %s\n", "DRIVER", "VOLUME NAME");
	for (size_t i = 0; i < n; i++) {
		if (quiet)
			printf("%s\n", names[i]);
		else
			printf("%-10s %s\n", "local", names[i]);
		free(names[i]);
	}
	free(names);
	return 0;
}

static int volume_inspect_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	static const char usage[] = "usage: berth volume inspect NAME…";
	int k = cli_no_options(argc, argv, usage, err);
	char *t;

	if (k < 0)
		return CLI_RET(k);
	if (k >= argc)
		return berth_error(err, 0, "expected NAME… (%s)", usage);
	t = volume_inspect_json(e, argv + k, (size_t)(argc - k), err);
	if (t == NULL)
		return -1;
	puts(t);
	free(t);
	return 0;
}

static int volume_rm_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	static const char usage[] = "usage: berth volume rm [-f] NAME…";
	static const struct option lo[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool force = false;
	int c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "fh", lo, usage, err)) != -1) {
		if (c != 'f')
			return CLI_RET(c);
		force = true;
	}
	if (optind >= argc)
		return berth_error(err, 0, "expected NAME… (%s)", usage);
	for (int k = optind; k < argc; k++) {
		if (volume_remove(e, argv[k], force, err) < 0)
			return -1;
		puts(argv[k]);
	}
	return 0;
}

static int volume_prune_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	static const char usage[] = "usage: berth volume prune [-f] [-a]";
	static const struct option lo[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"all", no_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool all = false;
	char **names;
	size_t n;
	int r, c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "fah", lo, usage, err)) != -1) {
		if (c == 'a')
			all = true;
		else if (c != 'f')
			return CLI_RET(c);
	}
	if (optind != argc)
		return berth_error(err, 0, "unexpected argument `%s` (%s)", argv[optind], usage);
	r = volume_prune(e, all, &names, &n, err);
	if (r == 0 && n)
		printf("Deleted Volumes:\n");
	for (size_t i = 0; i < n; i++) {
		printf("%s\n", names[i]);
		free(names[i]);
	}
	free(names);
	return r;
}

BERTH_CMD(volume)
{
	static const struct {
		const char *name;
		int (*fn)(struct engine *, int, char **, berth_error_t *);
	} subs[] = {
	    {"create", volume_create_cmd},   {"ls", volume_ls_cmd}, {"list", volume_ls_cmd},
	    {"inspect", volume_inspect_cmd}, {"rm", volume_rm_cmd}, {"remove", volume_rm_cmd},
	    {"prune", volume_prune_cmd},
	};

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("usage: berth volume create|ls|inspect|rm|prune …\n");
		return argc < 2 ? berth_error(err, 0, "expected a subcommand (berth volume --help)")
		                : 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(e, argc - 1, argv + 1, err);
	return berth_error(err, 0, "unknown volume command `%s` (berth volume --help)", argv[1]);
}
