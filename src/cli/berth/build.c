/* SPDX-License-Identifier: MIT */
/* berth build | builder prune: images from a Containerfile (src/engine/build.c). */
#include "commands.h"
#include "engine/build.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	O_BUILD_ARG = 256,
	O_TARGET,
	O_PLATFORM,
	O_NO_CACHE,
	O_PULL,
	O_NETWORK,
	O_LABEL,
	O_TS,
	O_TLS
};

static const char build_usage[] =
    "usage: berth build [-t NAME[:TAG]]… [-f FILE] [--build-arg K=V]… [--target STAGE]\n"
    "  [--platform OS/ARCH] [--no-cache] [--pull[=missing|always|never]] [--network MODE]\n"
    "  [--label K=V]… [--timestamp EPOCH] [--tls-verify=false] [-q] CONTEXT";

static void push(char ***v, size_t *n, char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(char *));
	(*v)[(*n)++] = s;
}

static int parse_epoch(const char *what, const char *s, long long *out, berth_error_t *err)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (*s == '\0' || *end || errno || *out < 0)
		return berth_error(err, 0, "bad %s `%s`: expected seconds since 1970", what, s);
	return 0;
}

BERTH_CMD(build)
{
	static const struct option lo[] = {
	    {"tag", required_argument, NULL, 't'},
	    {"file", required_argument, NULL, 'f'},
	    {"build-arg", required_argument, NULL, O_BUILD_ARG},
	    {"target", required_argument, NULL, O_TARGET},
	    {"platform", required_argument, NULL, O_PLATFORM},
	    {"no-cache", no_argument, NULL, O_NO_CACHE},
	    {"pull", optional_argument, NULL, O_PULL},
	    {"network", required_argument, NULL, O_NETWORK},
	    {"label", required_argument, NULL, O_LABEL},
	    {"timestamp", required_argument, NULL, O_TS},
	    {"tls-verify", optional_argument, NULL, O_TLS},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct build_opts o = {0};
	cleanup_free char *id = NULL;
	int c, r = -1;

	while ((c = cli_getopt(argc, argv, "t:f:qh", lo, build_usage, err)) != -1) {
		switch (c) {
		case 't':
			push(&o.tags, &o.n_tags, optarg);
			break;
		case 'f':
			o.file = optarg;
			break;
		case O_BUILD_ARG:
			push(&o.build_args, &o.n_build_args, optarg);
			break;
		case O_LABEL:
			push(&o.labels, &o.n_labels, optarg);
			break;
		case O_TARGET:
			o.target = optarg;
			break;
		case O_PLATFORM:
			o.platform = optarg;
			break;
		case O_NO_CACHE:
			o.no_cache = true;
			break;
		case O_PULL:
			/* --pull alone is Podman's --pull=always */
			o.pull = optarg ? optarg : "always";
			if (strcmp(o.pull, "true") == 0)
				o.pull = "always";
			else if (strcmp(o.pull, "false") == 0)
				o.pull = "missing";
			if (strcmp(o.pull, "missing") != 0 && strcmp(o.pull, "always") != 0 &&
			    strcmp(o.pull, "never") != 0) {
				berth_error(err, 0,
				            "bad --pull `%s`: expected missing, always or never",
				            optarg);
				goto out;
			}
			break;
		case O_NETWORK:
			o.network = optarg;
			break;
		case O_TS:
			if (parse_epoch("--timestamp", optarg, &o.timestamp, err) < 0)
				goto out;
			o.has_timestamp = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case O_TLS:
			if (optarg && strcmp(optarg, "false") == 0) {
				o.no_tls_verify = true;
			} else if (optarg && strcmp(optarg, "true") != 0) {
				berth_error(err, 0, "bad --tls-verify `%s`: expected true or false",
				            optarg);
				goto out;
			}
			break;
		default:
			r = CLI_RET(c);
			goto out;
		}
	}
	if (argc - optind != 1) {
		berth_error(err, 0, "expected one CONTEXT directory (%s)", build_usage);
		goto out;
	}
	o.context = argv[optind];
	if (!o.has_timestamp && getenv("SOURCE_DATE_EPOCH") && getenv("SOURCE_DATE_EPOCH")[0]) {
		if (parse_epoch("SOURCE_DATE_EPOCH", getenv("SOURCE_DATE_EPOCH"), &o.timestamp,
		                err) < 0)
			goto out;
		o.has_timestamp = true;
	}
	if (build_image(e, &o, &id, err) < 0)
		goto out;
	puts(id);
	r = 0;
out:
	free(o.tags);
	free(o.build_args);
	free(o.labels);
	return r;
}

BERTH_CMD(builder)
{
	static const char usage[] = "usage: berth builder prune [-f] [-a]";
	static const struct option lo[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"all", no_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	size_t n;
	int c;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		if (argc < 2)
			return berth_error(err, 0, "%s", usage);
		puts(usage);
		return 0;
	}
	if (strcmp(argv[1], "prune") != 0)
		return berth_error(err, 0, "unknown builder command `%s` (%s)", argv[1], usage);
	argc--, argv++;
	optind = 1;
	while ((c = cli_getopt(argc, argv, "fah", lo, usage, err)) != -1)
		if (c != 'f' && c != 'a')
			return CLI_RET(c);
	if (optind != argc)
		return berth_error(err, 0, "expected no operand (%s)", usage);
	if (build_cache_prune(e, &n, err) < 0)
		return -1;
	printf("removed %zu build cache entries\n", n);
	return 0;
}
