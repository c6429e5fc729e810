/* SPDX-License-Identifier: MIT */
/* berth logs [-f] [-t] [-n|--tail N|all] [--since T] [--until T] NAME: the container's
 * output as Docker shows it, its stdout to stdout and its stderr to stderr (ctr_logs). */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char logs_usage[] =
    "usage: berth logs [-f] [-t] [-n|--tail N|all] [--since TIME] [--until TIME] NAME\n"
    "  -f, --follow      go on printing what the container writes, until it exits\n"
    "  -t, --timestamps  each line after its time (RFC 3339, nanoseconds)\n"
    "  -n, --tail N|all  only the last N lines\n"
    "  --since, --until  only lines from / up to TIME: RFC 3339 (2026-12-06T01:02:03Z),\n"
    "                    Unix seconds, or a duration ago (10m, 1h30m)";

static int logs_time(const char *opt, const char *s, struct timespec *out, berth_error_t *err)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (ctr_log_parse_time(s, &now, out) < 0)
		return berth_error(
		    err, 0,
		    "bad %s `%s`: expected an RFC 3339 time "
		    "(2026-12-06T01:02:03Z), Unix seconds or a duration (10m, 1h30m)",
		    opt, s);
	return 0;
}

BERTH_CMD(logs)
{
	static const struct option lo[] = {
	    {"follow", no_argument, NULL, 'f'},
	    {"timestamps", no_argument, NULL, 't'},
	    {"tail", required_argument, NULL, 'n'},
	    {"since", required_argument, NULL, 'S'},
	    {"until", required_argument, NULL, 'U'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct ctr_log_opts o = {.tail = -1};
	struct ctr_info c;
	int opt, r;

	while ((opt = cli_getopt(argc, argv, "ftn:h", lo, logs_usage, err)) != -1) {
		switch (opt) {
		case 'f':
			o.follow = true;
			break;
		case 't':
			o.timestamps = true;
			break;
		case 'n': {
			char *end;
			long long v;
			if (strcmp(optarg, "all") == 0) {
				o.tail = -1;
				break;
			}
			errno = 0;
			v = strtoll(optarg, &end, 10);
			if (optarg[0] == '\0' || *end != '\0' || errno != 0 || v < 0)
				return berth_error(
				    err, 0, "bad --tail `%s`: expected a number of lines or `all`",
				    optarg);
			o.tail = v;
			break;
		}
		case 'S':
			if (logs_time("--since", optarg, &o.since, err) < 0)
				return -1;
			o.has_since = true;
			break;
		case 'U':
			if (logs_time("--until", optarg, &o.until, err) < 0)
				return -1;
			o.has_until = true;
			break;
		default:
			return CLI_RET(opt);
		}
	}
	if (optind != argc - 1)
		return berth_error(err, 0, "expected one NAME (usage: berth logs [OPTION…] NAME)");
	if (ctr_get(e, argv[argc - 1], &c, err) < 0)
		return -1;
	r = ctr_logs(e, c.id, &o, err);
	ctr_info_free(&c);
	return r;
}
