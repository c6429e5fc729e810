/* SPDX-License-Identifier: MIT */
/* berth images [-a] [-q] [--digests] [--no-trunc] [--format json] */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char images_usage[] =
    "usage: berth images [-a|--all] [-q|--quiet] [--digests] [--no-trunc]\n"
    "                    [--format json|TEMPLATE]\n"
    "  CREATED is how long ago the image was made, SIZE its layers unpacked (as Docker);\n"
    "  --format json gives the full RFC 3339 time and the size in bytes; --format TEMPLATE\n"
    "  a Go template over each of its images: {{.name}} {{.id}}";

/* An RFC 3339 time ("2024-05-01T12:00:00.123456789Z", "…+02:00") as seconds since the
 * epoch, or -1. */
static int64_t images_parse_time(const char *s)
{
	struct tm tm = {0};
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	int64_t t, off = 0;

	if (p == NULL)
		return -1;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && p[3] == ':' && isdigit((unsigned char)p[4]) &&
	    isdigit((unsigned char)p[5]) && p[6] == '\0') {
		off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 +
		      ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
		if (*p == '-')
			off = -off;
	} else if (!((*p == 'Z' || *p == 'z') && p[1] == '\0')) {
		return -1;
	}
	t = (int64_t)timegm(&tm);
	return t - off;
}

/* Docker's CREATED ("About a minute ago", "3 days ago": go-units' HumanDuration) */
void cli_ago(const char *created, char *out, size_t size)
{
	int64_t t = images_parse_time(created), d, h;

	if (t < 0) {
		snprintf(out, size, "N/A");
		return;
	}
	d = (int64_t)time(NULL) - t;
	/* hours rounded, as Go's Duration.Round(time.Hour) */
	h = (d + 1800) / 3600;
	if (d < 1)
		snprintf(out, size, "Less than a second ago");
	else if (d == 1)
		snprintf(out, size, "1 second ago");
	else if (d < 60)
		snprintf(out, size, "%lld seconds ago", (long long)d);
	else if (d / 60 == 1)
		snprintf(out, size, "About a minute ago");
	else if (d / 60 < 60)
		snprintf(out, size, "%lld minutes ago", (long long)(d / 60));
	else if (h == 1)
		snprintf(out, size, "About an hour ago");
	else if (h < 48)
		snprintf(out, size, "%lld hours ago", (long long)h);
	else if (h < 24 * 7 * 2)
		snprintf(out, size, "%lld days ago", (long long)(h / 24));
	else if (h < 24 * 30 * 2)
		snprintf(out, size, "%lld weeks ago", (long long)(h / 24 / 7));
	else if (h < 24 * 365 * 2)
		snprintf(out, size, "%lld months ago", (long long)(h / 24 / 30));
	else
		snprintf(out, size, "%lld years ago", (long long)(d / 3600 / 24 / 365));
}

void cli_human(uint64_t n, bool binary, int digits, char *out, size_t size)
{
	static const char *const dec[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
	static const char *const bin[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	const char *const *units = binary ? bin : dec;
	double v = (double)n, k = binary ? 1024 : 1000;
	size_t u = 0;

	while (v >= k && u + 1 < ARRAY_SIZE(dec)) {
		v /= k;
		u++;
	}
	snprintf(out, size, "%.*g%s", digits, v, units[u]);
}

/* Docker's SIZE: decimal units, three significant digits ("2.04MB", "77.8MB", "150B") */
void cli_size(uint64_t n, char *out, size_t size)
{
	cli_human(n, false, 3, out, size);
}

BERTH_CMD(images)
{
	static const struct option lo[] = {
	    {"all", no_argument, NULL, 'a'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"digests", no_argument, NULL, 'D'},
	    {"no-trunc", no_argument, NULL, 'T'},
	    {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool json = false, digests = false, quiet = false, notrunc = false;
	const char *tmpl = NULL;
	struct image_summary *v;
	size_t n;
	int c;

	while ((c = cli_getopt(argc, argv, "aqh", lo, images_usage, err)) != -1) {
		if (c == 'a')
			; /* berth keeps no intermediate images: all of them are listed anyway */
		else if (c == 'q')
			quiet = true;
		else if (c == 'D')
			digests = true;
		else if (c == 'T')
			notrunc = true;
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
		return berth_error(err, 0, "unexpected argument `%s` (%s)", argv[optind],
		                   "berth images --help");
	if (json || tmpl) {
		char *t = image_list_json(e, err), *f = NULL;
		int r;
		if (t == NULL)
			return -1;
		r = tmpl ? template_render_each("--format", tmpl, t, &f, err) : 0;
		if (r == 0 && tmpl)
			fputs(f, stdout);
		else if (r == 0)
			puts(t);
		free(t);
		free(f);
		return r;
	}
	if (image_summaries(e, &v, &n, err) < 0)
		return -1;
	if (quiet) {
		for (size_t i = 0; i < n; i++)
			printf(notrunc ? "sha256:%s\n" : "%.12s\n", v[i].id);
		image_summaries_free(v, n);
		return 0;
	}
	printf("%-40s %s%-*s %-22s   %s\n", "NAME",
	       digests ? "DIGEST                                                                   "
	               : "",
	       notrunc ? 72 : 14, "ID", "CREATED", "SIZE");
	for (size_t i = 0; i < n; i++) {
		char since[64], sz[32], id[80];
		cli_ago(v[i].created, since, sizeof(since));
		cli_size(v[i].size, sz, sizeof(sz));
		snprintf(id, sizeof(id), notrunc ? "sha256:%s" : "%.12s", v[i].id);
		printf("%-40s %s%s%-*s %-22s   %s\n", v[i].name ? v[i].name : "<none>",
		       digests ? v[i].digest : "", digests ? " " : "", notrunc ? 72 : 14, id, since,
		       sz);
	}
	image_summaries_free(v, n);
	return 0;
}
