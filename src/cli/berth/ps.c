/* SPDX-License-Identifier: MIT */
/* berth ps [-a] [--format json|TEMPLATE] */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char ps_usage[] =
    "usage: berth ps [-a] [--format json|TEMPLATE]\n"
    "  --format TEMPLATE  a Go template over each container of `--format json`: {{.name}}\n"
    "  STATUS as Docker's: Created, Up 5 seconds, Up 5 seconds (Paused), Exited (0) 5 seconds "
    "ago";

/* Seconds since an RFC 3339 time of the records ("2026-01-02T03:04:05.123Z"); -1 if bad. */
static long long ps_since(const char *when)
{
	struct tm tm = {0};
	const char *end = when ? strptime(when, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	long long d;

	if (end == NULL)
		return -1;
	d = (long long)time(NULL) - (long long)timegm(&tm);
	return d < 0 ? 0 : d;
}

/* go-units' HumanDuration, which Docker's STATUS uses ("About a minute", "3 days") */
static void ps_human(long long d, char *out, size_t size)
{
	long long h = (d + 1800) / 3600;

	if (d < 1)
		snprintf(out, size, "Less than a second");
	else if (d == 1)
		snprintf(out, size, "1 second");
	else if (d < 60)
		snprintf(out, size, "%lld seconds", d);
	else if (d / 60 == 1)
		snprintf(out, size, "About a minute");
	else if (d / 60 < 60)
		snprintf(out, size, "%lld minutes", d / 60);
	else if (h == 1)
		snprintf(out, size, "About an hour");
	else if (h < 48)
		snprintf(out, size, "%lld hours", h);
	else if (h < 24 * 7 * 2)
		snprintf(out, size, "%lld days", h / 24);
	else if (h < 24 * 30 * 2)
		snprintf(out, size, "%lld weeks", h / 24 / 7);
	else if (h < 24 * 365 * 2)
		snprintf(out, size, "%lld months", h / 24 / 30);
	else
		snprintf(out, size, "%lld years", d / 3600 / 24 / 365);
}

void cli_ps_status(const struct ctr_info *c, char *out, size_t size)
{
	const char *when = c->status == CTR_EXITED ? c->finished_at : c->started_at;
	long long d = ps_since(when ? when : c->created);
	char ago[40];

	ps_human(d, ago, sizeof(ago));
	if (c->status == CTR_CREATED)
		snprintf(out, size, "Created");
	else if (c->status == CTR_EXITED && c->has_exit_code)
		snprintf(out, size, "Exited (%d) %s ago", c->exit_code, ago);
	else if (c->status == CTR_EXITED)
		snprintf(out, size, "Exited (unknown) %s ago", ago);
	else
		snprintf(out, size, "Up %s%s%s%s", ago, c->paused ? " (Paused)" : "",
		         c->status == CTR_MONITOR_LOST ? " (monitor lost)" : "",
		         health_ps_status(c));
}

BERTH_CMD(ps)
{
	static const struct option lo[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool all = false, json = false;
	const char *tmpl = NULL;
	struct ctr_info *v, *shown;
	size_t n, k = 0;
	int c;

	while ((c = cli_getopt(argc, argv, "ah", lo, ps_usage, err)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'F' && strcmp(optarg, "json") == 0)
			json = true;
		else if (c == 'F' && strncmp(optarg, "table", 5) == 0)
			return berth_error(err, 0,
			                   "bad --format `%s`: expected json or a template "
			                   "({{.name}}); table formats are not supported",
			                   optarg);
		else if (c == 'F')
			tmpl = optarg;
		else
			return CLI_RET(c);
	}
	if (optind != argc)
		return berth_error(err, 0, "unexpected argument `%s` (%s)", argv[optind], ps_usage);
	if (ctr_get_all(e, &v, &n, err) < 0)
		return -1;
	/* the shown ones first, in order; the others after them, to be freed */
	shown = xmalloc0((n + 1) * sizeof(*shown));
	for (size_t i = 0; i < n; i++)
		if (all || ctr_status_running(v[i].status))
			shown[k++] = v[i];
	for (size_t i = 0, j = k; i < n; i++)
		if (!(all || ctr_status_running(v[i].status)))
			shown[j++] = v[i];
	free(v);
	if (json || tmpl) {
		char *t = ctr_infos_json(shown, k), *f = NULL;
		int r = tmpl ? template_render_each("--format", tmpl, t, &f, err) : 0;
		if (r == 0)
			fputs(tmpl ? f : t, stdout);
		if (r == 0 && !tmpl)
			putchar('\n');
		free(t);
		free(f);
		if (r < 0) {
			ctr_infos_free(shown, n);
			return -1;
		}
	} else {
		/* STATUS as wide as the widest (Docker's table adapts) */
		char(*status)[96] = xmalloc0((k + 1) * sizeof(*status));
		int w = 22;
		for (size_t i = 0; i < k; i++) {
			cli_ps_status(&shown[i], status[i], sizeof(status[i]));
			if ((int)strlen(status[i]) > w)
				w = (int)strlen(status[i]);
		}
		printf("%-14s %-20s %-24s %-*s %-16s %-24s %s\n", "ID", "IMAGE", "COMMAND", w,
		       "STATUS", "ADDRESS", "PORTS", "NAME");
		for (size_t i = 0; i < k; i++) {
			const struct ctr_info *c = &shown[i];
			printf("%-14.12s %-20.20s %-24.24s %-*s %-16s %-24s %s\n", c->id,
			       c->image ?: "", c->command ?: "", w, status[i], c->ip ?: "",
			       c->ports ?: "", c->name ?: "");
		}
		free(status);
	}
	ctr_infos_free(shown, n);
	return 0;
}
