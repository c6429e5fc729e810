/* SPDX-License-Identifier: MIT */
/* berth events [--since T] [--until T] [-f KEY=VALUE] [--format json|TEMPLATE]: the engine's
 * event log (src/engine/events.h), then what comes, until --until passes or an interrupt. */
#include "commands.h"
#include "engine/engine.h"
#include "engine/events.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <time.h>

static const char events_usage[] =
    "usage: berth events [--since TIME] [--until TIME] [-f|--filter KEY=VALUE] "
    "[--format json|TEMPLATE]\n"
    "  the events of berth's containers, images, networks and volumes: those of --since\n"
    "  (and --until) first, then new ones as they come, until --until passes or ^C\n"
    "  TIME: RFC 3339 (2026-12-06T01:02:03Z), Unix seconds, or a duration ago (10m)\n"
    "  KEY: type, event, container, image, network, volume, label (KEY or KEY=VALUE)";

static int events_time(const char *opt, const char *s, struct timespec *out, berth_error_t *err)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (ctr_log_parse_time(s, &now, out) < 0)
		return berth_error(err, 0,
		                   "bad %s `%s`: expected an RFC 3339 time (2026-12-06T01:02:03Z), "
		                   "Unix seconds or a duration (10m, 1h30m)",
		                   opt, s);
	return 0;
}

BERTH_CMD(events)
{
	static const struct option lo[] = {
	    {"since", required_argument, NULL, 'S'},  {"until", required_argument, NULL, 'U'},
	    {"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},         {0},
	};
	struct events_opts o = {0};
	int c, r = -1;

	while ((c = cli_getopt(argc, argv, "f:h", lo, events_usage, err)) != -1) {
		switch (c) {
		case 'S':
			if (events_time("--since", optarg, &o.since, err) < 0)
				goto out;
			o.has_since = true;
			break;
		case 'U':
			if (events_time("--until", optarg, &o.until, err) < 0)
				goto out;
			o.has_until = true;
			break;
		case 'f':
			if (events_filter_add(&o, optarg, err) < 0)
				goto out;
			break;
		case 'F':
			o.format = optarg;
			break;
		default:
			r = CLI_RET(c);
			goto out;
		}
	}
	if (optind != argc) {
		berth_error(err, 0, "unexpected argument `%s` (usage: berth events [OPTION…])",
		            argv[optind]);
		goto out;
	}
	r = events_show(e, &o, err);
out:
	events_opts_free(&o);
	return r;
}
