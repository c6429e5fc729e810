/* SPDX-License-Identifier: MIT */
/* berth network create|ls|inspect|rm|prune|connect|disconnect */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int network_create_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	enum { O_SUBNET = 256, O_GW, O_INTERNAL, O_LABEL, O_DRIVER, O_IPV6, O_SUBNET6 };
	static const struct option lo[] = {
	    {"subnet", required_argument, NULL, O_SUBNET},
	    {"gateway", required_argument, NULL, O_GW},
	    {"internal", no_argument, NULL, O_INTERNAL},
	    {"ipv6", no_argument, NULL, O_IPV6},
	    {"subnet6", required_argument, NULL, O_SUBNET6},
	    {"label", required_argument, NULL, O_LABEL},
	    {"driver", required_argument, NULL, O_DRIVER},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct network_opts o = {0};
	cleanup_free char *id = NULL;
	int c, r = -1;

	static const char usage[] = "usage: berth network create [--subnet CIDR] [--gateway IP] "
	                            "[--ipv6 [--subnet6 CIDR]] [--internal] [--label K=V] NAME";

	optind = 1;
	while ((c = cli_getopt(argc, argv, "d:h", lo, usage, err)) != -1) {
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
		case O_IPV6:
			o.ipv6 = true;
			break;
		case O_SUBNET6:
			o.subnet6 = optarg;
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
		default: /* CLI_FAIL, CLI_HELP */
			r = CLI_RET(c);
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
	static const char usage[] = "usage: berth network ls [-q] [--format json]";
	static const struct option lo[] = {
	    {"quiet", no_argument, NULL, 'q'},
	    {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool json = false, quiet = false;
	struct network_summary *v;
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
	static const char usage[] = "usage: berth network inspect NAME";
	int k = cli_no_options(argc, argv, usage, err);
	char *t;

	if (k < 0)
		return CLI_RET(k);
	if (k != argc - 1)
		return berth_error(err, 0, "expected one NAME (%s)", usage);
	t = network_inspect_json(e, argv[k], err);
	if (t == NULL)
		return -1;
	puts(t);
	free(t);
	return 0;
}

static int network_rm_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	static const char usage[] = "usage: berth network rm [-f] NAME…";
	static const struct option lo[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool force = false;
	int a, c, r = 0;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "fh", lo, usage, err)) != -1) {
		if (c != 'f')
			return CLI_RET(c);
		force = true;
	}
	a = optind;
	if (a >= argc)
		return berth_error(err, 0, "expected NAME… (%s)", usage);
	for (; a < argc; a++) {
		if (network_remove(e, argv[a], force, err) < 0)
			return -1;
		printf("%s\n", argv[a]);
	}
	return r;
}

static int network_prune_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	static const char usage[] = "usage: berth network prune [-f]";
	static const struct option lo[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	char **names;
	size_t n;
	int r, c;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "fh", lo, usage, err)) != -1)
		if (c != 'f')
			return CLI_RET(c);
	if (optind != argc)
		return berth_error(err, 0, "unexpected argument `%s` (%s)", argv[optind], usage);
	r = network_prune(e, &names, &n, err);
	for (size_t i = 0; i < n; i++) {
		printf("%s\n", names[i]);
		free(names[i]);
	}
	free(names);
	return r;
}

static int network_connect_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	enum { O_IP = 256, O_IP6, O_ALIAS };
	static const char usage[] =
	    "usage: berth network connect [--ip IP] [--ip6 IP] [--alias NAME]… NETWORK CONTAINER";
	static const struct option lo[] = {
	    {"ip", required_argument, NULL, O_IP},
	    {"ip6", required_argument, NULL, O_IP6},
	    {"alias", required_argument, NULL, O_ALIAS},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct network_connect_opts o = {0};
	int c, r = -1;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "h", lo, usage, err)) != -1) {
		switch (c) {
		case O_IP:
			o.ip = optarg;
			break;
		case O_IP6:
			o.ip6 = optarg;
			break;
		case O_ALIAS:
			o.aliases = xrealloc(o.aliases, (o.n_aliases + 1) * sizeof(char *));
			o.aliases[o.n_aliases++] = optarg;
			break;
		default: /* CLI_FAIL, CLI_HELP */
			r = CLI_RET(c);
			goto out;
		}
	}
	if (optind != argc - 2) {
		berth_error(err, 0, "expected NETWORK CONTAINER (%s)", usage);
		goto out;
	}
	o.network = argv[optind];
	o.container = argv[optind + 1];
	r = network_connect(e, &o, err);
out:
	free(o.aliases);
	return r;
}

static int network_disconnect_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	static const char usage[] = "usage: berth network disconnect [-f] NETWORK CONTAINER";
	static const struct option lo[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;

	optind = 1;
	/* -f as Docker's: accepted; the card goes whether the container runs or not */
	while ((c = cli_getopt(argc, argv, "fh", lo, usage, err)) != -1)
		if (c != 'f')
			return CLI_RET(c);
	if (optind != argc - 2)
		return berth_error(err, 0, "expected NETWORK CONTAINER (%s)", usage);
	return network_disconnect(e, argv[optind], argv[optind + 1], err);
}

BERTH_CMD(network)
{
	static const struct {
		const char *name;
		int (*fn)(struct engine *, int, char **, berth_error_t *);
	} subs[] = {
	    {"create", network_create_cmd},
	    {"ls", network_ls_cmd},
	    {"list", network_ls_cmd},
	    {"inspect", network_inspect_cmd},
	    {"rm", network_rm_cmd},
	    {"remove", network_rm_cmd},
	    {"prune", network_prune_cmd},
	    {"connect", network_connect_cmd},
	    {"disconnect", network_disconnect_cmd},
	};

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("usage: berth network create|ls|inspect|rm|prune|connect|disconnect …\n");
		return argc < 2
		           ? berth_error(err, 0, "expected a subcommand (berth network --help)")
		           : 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].fn(e, argc - 1, argv + 1, err);
	return berth_error(err, 0, "unknown network command `%s` (berth network --help)", argv[1]);
}
