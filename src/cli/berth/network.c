/* SPDX-License-Identifier: MIT */
/* berth network create|ls|inspect|rm|prune */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int network_create_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	enum { O_SUBNET = 256, O_GW, O_INTERNAL, O_LABEL, O_DRIVER };
	static const struct option lo[] = {
	    {"subnet", required_argument, NULL, O_SUBNET},
	    {"gateway", required_argument, NULL, O_GW},
	    {"internal", no_argument, NULL, O_INTERNAL},
	    {"label", required_argument, NULL, O_LABEL},
	    {"driver", required_argument, NULL, O_DRIVER},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct network_opts o = {0};
	cleanup_free char *id = NULL;
	int c, r = -1;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+d:h", lo, NULL)) != -1) {
		switch (c) {
		case O_SUBNET:
			o.subnet = optarg;
			break;
		case O_GW:
			o.gateway = optarg;
			break;
		case O_INTERNAL:
			o.internal = true;
			break;
		case O_LABEL:
			o.labels = xrealloc(o.labels, (o.n_labels + 1) * sizeof(char *));
			o.labels[o.n_labels++] = optarg;
			break;
		case O_DRIVER:
		case 'd':
			if (strcmp(optarg, "bridge") != 0) {
				berth_error(err, 0, "bad --driver `%s`: only bridge", optarg);
				goto out;
			}
			break;
		case 'h':
			puts("usage: berth network create [--subnet CIDR] [--gateway IP] "
			     "[--internal] "
			     "[--label K=V] NAME");
			r = 0;
			goto out;
		default:
			berth_error(err, 0, "unknown option `%s` (berth network create --help)",
			            argv[optind - 1]);
			goto out;
		}
	}
	if (optind != argc - 1) {
		berth_error(err, 0, "expected one NAME (berth network create [OPTIONS] NAME)");
		goto out;
	}
	o.name = argv[optind];
	if (network_create(e, &o, &id, err) < 0)
		goto out;
	printf("%s\n", o.name);
	r = 0;
out:
	free(o.labels);
	return r;
}

static int network_ls_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	bool json = false, quiet = false;
	struct network_summary *v;
	size_t n;

	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--format") == 0 && a + 1 < argc &&
		    strcmp(argv[a + 1], "json") == 0)
			json = true, a++;
		else if (strcmp(argv[a], "--format=json") == 0)
			json = true;
		else if (strcmp(argv[a], "-q") == 0 || strcmp(argv[a], "--quiet") == 0)
			quiet = true;
		else
			return berth_error(err, 0,
			                   "unknown option `%s` (network ls [-q] [--format json])",
			                   argv[a]);
	}
	if (json) {
		char *t = network_list_json(e, err);
		if (t == NULL)
			return -1;
		puts(t);
		free(t);
		return 0;
	}
	if (network_summaries(e, &v, &n, err) < 0)
		return -1;
	if (!quiet)
		printf("%-14s %-20s %-8s %-18s %s\n", "NETWORK ID", "NAME", "DRIVER", "SUBNET",
		       "BRIDGE");
	for (size_t i = 0; i < n; i++) {
		if (quiet)
			printf("%s\n", v[i].name);
		else
			printf("%-14.12s %-20s %-8s %-18s %s%s\n", v[i].id, v[i].name, v[i].driver,
			       v[i].subnet, v[i].bridge, v[i].internal ? " (internal)" : "");
	}
	network_summaries_free(v, n);
	return 0;
}

static int network_inspect_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	if (argc != 2)
		return berth_error(err, 0, "expected one NAME (berth network inspect NAME)");
	char *t = network_inspect_json(e, argv[1], err);
	if (t == NULL)
		return -1;
	puts(t);
	free(t);
	return 0;
}

static int network_rm_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	bool force = false;
	int a = 1, r = 0;

	for (; a < argc && argv[a][0] == '-'; a++) {
		if (strcmp(argv[a], "-f") == 0 || strcmp(argv[a], "--force") == 0)
			force = true;
		else
			return berth_error(err, 0, "unknown option `%s` (network rm [-f] NAME…)",
			                   argv[a]);
	}
	if (a >= argc)
		return berth_error(err, 0, "expected NAME… (berth network rm [-f] NAME…)");
	for (; a < argc; a++) {
		if (network_remove(e, argv[a], force, err) < 0)
			return -1;
		printf("%s\n", argv[a]);
	}
	return r;
}

static int network_prune_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	char **names;
	size_t n;
	int r;

	for (int a = 1; a < argc; a++)
		if (strcmp(argv[a], "-f") != 0 && strcmp(argv[a], "--force") != 0)
			return berth_error(err, 0, "unknown option `%s` (network prune [-f])",
			                   argv[a]);
	r = network_prune(e, &names, &n, err);
	for (size_t i = 0; i < n; i++) {
		printf("%s\n", names[i]);
		free(names[i]);
	}
	free(names);
	return r;
}

BERTH_CMD(network)
{
	static const struct {
		const char *name;
		int (*fn)(struct engine *, int, char **, berth_error_t *);
	} subs[] = {
	    {"create", network_create_cmd},   {"ls", network_ls_cmd}, {"list", network_ls_cmd},
	    {"inspect", network_inspect_cmd}, {"rm", network_rm_cmd}, {"remove", network_rm_cmd},
	    {"prune", network_prune_cmd},
	};

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("usage: berth network create|ls|inspect|rm|prune …\n");
		return argc < 2
		           ? berth_error(err, 0, "expected a subcommand (berth network --help)")
		           : 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(e, argc - 1, argv + 1, err);
	return berth_error(err, 0, "unknown network command `%s` (berth network --help)", argv[1]);
}
