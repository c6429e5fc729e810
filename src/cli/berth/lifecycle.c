/* SPDX-License-Identifier: MIT */
/* berth wait, restart, pause, unpause, rename, top: Docker's commands of the same names */
#include "commands.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every NAME… to an id, before anything is done: one that is not there is the one line. */
static int lc_ids(struct engine *e, int argc, char **argv, int k, const char *usage, char ***ids,
                  berth_error_t *err)
{
	if (k >= argc)
		return berth_error(err, 0, "expected NAME… (%s)", usage);
	*ids = xmalloc0((size_t)(argc - k + 1) * sizeof(char *));
	for (int i = k; i < argc; i++)
		if (ctr_lookup(e, argv[i], &(*ids)[i - k], err) < 0)
			return -1;
	return 0;
}

static void lc_ids_free(char **ids)
{
	for (size_t i = 0; ids && ids[i]; i++)
		free(ids[i]);
	free(ids);
}

static const char wait_usage[] = "usage: berth wait NAME…\n"
                                 "  waits until each container stops and prints its exit code";

BERTH_CMD(wait)
{
	char **ids = NULL;
	int k = cli_no_options(argc, argv, wait_usage, err), r = 0;

	if (k < 0)
		return CLI_RET(k);
	if (lc_ids(e, argc, argv, k, wait_usage, &ids, err) < 0) {
		lc_ids_free(ids);
		return -1;
	}
	for (size_t i = 0; ids[i] && r == 0; i++) {
		int code;
		r = ctr_wait(e, ids[i], &code, err);
		if (r == 0) {
			printf("%d\n", code);
			fflush(stdout);
		}
	}
	lc_ids_free(ids);
	return r;
}

static const char restart_usage[] =
    "usage: berth restart [-t SECS] NAME…\n"
    "  stops each container (SIGTERM, SIGKILL after SECS, 10) and starts it again";

BERTH_CMD(restart)
{
	static const struct option lo[] = {
	    {"time", required_argument, NULL, 't'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	char **ids = NULL;
	double t = -1; /* the container's --stop-timeout, else 10 */
	int c, r = 0;

	while ((c = cli_getopt(argc, argv, "t:h", lo, restart_usage, err)) != -1) {
		char *end;
		if (c != 't')
			return CLI_RET(c);
		t = strtod(optarg, &end);
		if (*optarg == '\0' || *end || t < 0)
			return berth_error(err, 0, "bad -t `%s`: expected seconds", optarg);
	}
	if (lc_ids(e, argc, argv, optind, restart_usage, &ids, err) < 0) {
		lc_ids_free(ids);
		return -1;
	}
	for (size_t i = 0; ids[i] && r == 0; i++) {
		struct ctr_info ci;
		if (ctr_get_id(e, ids[i], &ci, err) < 0) {
			r = -1;
			break;
		}
		r = ctr_status_running(ci.status) ? ctr_stop(e, ids[i], t, err) : 0;
		ctr_info_free(&ci);
		if (r == 0)
			r = ctr_start(e, ids[i], err);
		if (r == 0)
			event_ctr(e, ids[i], "restart", NULL);
		if (r == 0)
			puts(argv[optind + (int)i]);
	}
	lc_ids_free(ids);
	return r < 0 ? cli_exit_status("restart", err) : 0;
}

static int lc_pause(struct engine *e, int argc, char **argv, bool pause, const char *usage,
                    berth_error_t *err)
{
	char **ids = NULL;
	int k = cli_no_options(argc, argv, usage, err), r = 0;

	if (k < 0)
		return CLI_RET(k);
	if (lc_ids(e, argc, argv, k, usage, &ids, err) < 0) {
		lc_ids_free(ids);
		return -1;
	}
	for (size_t i = 0; ids[i] && r == 0; i++) {
		r = ctr_pause(e, ids[i], pause, err);
		if (r == 0)
			puts(argv[k + (int)i]);
	}
	lc_ids_free(ids);
	return r;
}

static const char pause_usage[] = "usage: berth pause NAME…\n"
                                  "  freezes every process of each container (berth unpause)";
static const char unpause_usage[] = "usage: berth unpause NAME…";

BERTH_CMD(pause)
{
	return lc_pause(e, argc, argv, true, pause_usage, err);
}

BERTH_CMD(unpause)
{
	return lc_pause(e, argc, argv, false, unpause_usage, err);
}

static const char rename_usage[] = "usage: berth rename CONTAINER NEW_NAME";

BERTH_CMD(rename)
{
	int k = cli_no_options(argc, argv, rename_usage, err);

	if (k < 0)
		return CLI_RET(k);
	if (argc - k != 2)
		return berth_error(err, 0, "expected CONTAINER NEW_NAME (%s)", rename_usage);
	return ctr_rename(e, argv[k], argv[k + 1], err);
}

static const char top_usage[] =
    "usage: berth top NAME [PS-OPTIONS…]\n"
    "  the host's ps (default -ef) limited to the container's processes";

BERTH_CMD(top)
{
	cleanup_free char *id = NULL;
	cleanup_free char *out = NULL;
	int k;

	/* options of its own before NAME (only --help); ps's after it */
	optind = 1;
	k = argc > 1 && argv[1][0] == '-' ? cli_no_options(2, argv, top_usage, err) : 1;
	if (k < 0)
		return CLI_RET(k);
	if (k >= argc)
		return berth_error(err, 0, "expected NAME (%s)", top_usage);
	if (ctr_lookup(e, argv[k], &id, err) < 0 ||
	    ctr_top(e, id, argv + k + 1, (size_t)(argc - k - 1), &out, err) < 0)
		return -1;
	fputs(out, stdout);
	return 0;
}
