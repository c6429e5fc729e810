/* SPDX-License-Identifier: MIT */
/* berth-runtime events [--stats] [--interval D] ID: runc's stats and oom events as JSON
 * lines. */
#include "runtime.h"
#include "manage.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct events_ctx {
	bool stats;
	long long interval_ns;
};

/* A Go duration ("5s", "100ms", "1m30s", "1.5h", "250us"); 0 and failure: -1. */
static long long events_parse_duration(const char *s)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {{"ns", 1},   {"us", 1e3}, {"µs", 1e3}, {"μs", 1e3},
	             {"ms", 1e6}, {"s", 1e9},  {"m", 60e9}, {"h", 3600e9}};
	double total = 0;

	if (*s == '+')
		s++;
	if (*s == '\0')
		return -1;
	while (*s) {
		char *end;
		double v;
		size_t best = 0, best_len = 0;

		if (!isdigit((unsigned char)*s) && *s != '.')
			return -1;
		v = strtod(s, &end);
		if (end == s)
			return -1;
		s = end;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t l = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, l) == 0 && l > best_len) {
				best = i;
				best_len = l;
			}
		}
		if (best_len == 0)
			return -1; /* Go: missing unit */
		total += v * units[best].ns;
		s += best_len;
	}
	if (!isfinite(total) || total > 9e18)
		return -1;
	return (long long)total;
}

static int events_opt(int opt, const char *arg, void *ctx, berth_error_t *err)
{
	struct events_ctx *c = ctx;

	if (opt == 's') {
		c->stats = true;
		return 0;
	}
	c->interval_ns = events_parse_duration(arg);
	if (c->interval_ns < 0)
		return berth_error(
		    err, 0, "events: --interval: expected a duration like 5s or 500ms, got `%s`",
		    arg);
	if (c->interval_ns == 0)
		return berth_error(err, 0, "events: --interval: must be greater than 0, got `%s`",
		                   arg);
	return 0;
}

int cmd_events(int argc, char **argv, berth_error_t *err)
{
	static const struct option opts[] = {
	    {"stats", no_argument, NULL, 's'},
	    {"interval", required_argument, NULL, 'i'},
	    {0},
	};
	struct events_ctx c = {.interval_ns = 5000000000LL};
	int first = runtime_getopt(argc, argv, "", opts, events_opt, &c, err);

	if (first < 0)
		return first;
	if (runtime_want_args(argc, argv, first, 1, 1, "a container id", err) < 0)
		return -1;
	return container_events(runtime_globals.root, argv[first], c.stats, c.interval_ns, stdout,
	                        err) < 0
	           ? -1
	           : 0;
}
