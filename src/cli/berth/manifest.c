/* SPDX-License-Identifier: MIT */
/* berth manifest create NAME | add NAME IMAGE | inspect NAME | push [OPTIONS] NAME DEST */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int manifest_push_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	enum { O_TLS = 256, O_AUTHFILE, O_CERTDIR };
	static const struct option lo[] = {
	    {"tls-verify", optional_argument, NULL, O_TLS},
	    {"authfile", required_argument, NULL, O_AUTHFILE},
	    {"cert-dir", required_argument, NULL, O_CERTDIR},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct reg_opts o = {.tls_verify = true};
	int c;

	static const char usage[] = "usage: berth manifest push [--tls-verify=false] "
	                            "[--authfile F] [--cert-dir DIR] [-q] NAME DESTINATION";

	optind = 1;
	while ((c = cli_getopt(argc, argv, "qh", lo, usage, err)) != -1) {
		switch (c) {
		case O_TLS:
			if (optarg && strcmp(optarg, "false") == 0)
				o.tls_verify = false;
			else if (optarg && strcmp(optarg, "true") != 0)
				return berth_error(err, 0,
				                   "bad --tls-verify `%s`: expected true or false",
				                   optarg);
			break;
		case O_AUTHFILE:
			o.authfile = optarg;
			break;
		case O_CERTDIR:
			o.cert_dir = optarg;
			break;
		case 'q':
			o.quiet = true;
			break;
		default: /* CLI_FAIL, CLI_HELP */
			return CLI_RET(c);
		}
	}
	if (optind != argc - 2)
		return berth_error(err, 0, "expected NAME DESTINATION (%s)", usage);
	return manifest_push(e, argv[optind], argv[optind + 1], &o, err) < 0 ? -1 : 0;
}

/* A subcommand's --help, or its operands counted: argv[2] is the first on return. */
static int manifest_sub_args(int *argc, char ***argv, int n, const char *usage, berth_error_t *err)
{
	int k = cli_no_options(*argc - 1, *argv + 1, usage, err);

	if (k < 0)
		return k;
	if (*argc - 1 - k != n)
		return berth_error(err, 0, "%s", usage);
	*argc -= k - 1;
	*argv += k - 1;
	return 0;
}

BERTH_CMD(manifest)
{
	static const char usage[] = "usage: berth manifest create NAME | add NAME IMAGE | "
	                            "inspect NAME | push [--tls-verify=false] [--authfile F] "
	                            "NAME DESTINATION";
	int k;

	if (argc < 2)
		return berth_error(err, 0, "%s", usage);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		puts(usage);
		return 0;
	}
	if (strcmp(argv[1], "create") == 0) {
		if ((k = manifest_sub_args(&argc, &argv, 1, "usage: berth manifest create NAME",
		                           err)) < 0)
			return CLI_RET(k);
		return manifest_create(e, argv[2], err) < 0 ? -1 : 0;
	}
	if (strcmp(argv[1], "add") == 0) {
		if ((k = manifest_sub_args(&argc, &argv, 2, "usage: berth manifest add NAME IMAGE",
		                           err)) < 0)
			return CLI_RET(k);
		return manifest_add(e, argv[2], argv[3], err) < 0 ? -1 : 0;
	}
	if (strcmp(argv[1], "inspect") == 0) {
		char *t;
		if ((k = manifest_sub_args(&argc, &argv, 1, "usage: berth manifest inspect NAME",
		                           err)) < 0)
			return CLI_RET(k);
		t = manifest_inspect_json(e, argv[2], err);
		if (t == NULL)
			return -1;
		puts(t);
		free(t);
		return 0;
	}
	if (strcmp(argv[1], "push") == 0)
		return manifest_push_cmd(e, argc - 1, argv + 1, err);
	return berth_error(err, 0, "unknown manifest command `%s` (%s)", argv[1], usage);
}
