/* SPDX-License-Identifier: MIT */
/* berth images [-a] [-q] [--digests] [--no-trunc] [--filter K=V]… [--format json|TEMPLATE] */
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
    "usage: berth images [-a|--all] [-q|--quiet] [--digests] [--no-trunc] [-f KEY=VALUE]…\n"
    "                    [--format json|TEMPLATE|table [TEMPLATE]]\n"
    "  CREATED is how long ago the image was made, SIZE its layers unpacked (as Docker)\n"
    "  -f, --filter K=V   dangling=true|false, label=KEY[=VALUE], before=IMAGE, since=IMAGE,\n"
    "                     reference=PATTERN (a glob over NAME:TAG or NAME); labels AND,\n"
    "                     references OR, the keys AND\n"
    "  --format json      {name, id, digest, size, created}: the full RFC 3339 time, bytes\n"
    "  --format TEMPLATE  a Go template over each image: Docker's fields {{.Repository}},\n"
    "                     {{.Tag}}, {{.ID}}, {{.Digest}}, {{.CreatedSince}}, {{.CreatedAt}},\n"
    "                     {{.Size}}, and those of `--format json` ({{.name}} {{.id}});\n"
    "                     table TEMPLATE: columns split by \\t, aligned, under a header";

/* An RFC 3339 time ("2024-05-01T12:00:00.123456789Z", "…+02:00") as seconds since the
 * epoch, or -1. */
static int64_t images_parse_time(const char *s)
{
	struct timespec t;
	bool zoned;

	return util_parse_rfc3339(s, strlen(s), &t, &zoned) == 0 ? (int64_t)t.tv_sec : -1;
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

/* images' columns for a table template, under Docker's names */
static const char images_header[] =
    "[{\"Repository\":\"REPOSITORY\",\"Tag\":\"TAG\",\"ID\":\"IMAGE ID\",\"Digest\":"
    "\"DIGEST\",\"CreatedSince\":\"CREATED\",\"CreatedAt\":\"CREATED AT\",\"Size\":\"SIZE\","
    "\"VirtualSize\":\"VIRTUAL SIZE\",\"SharedSize\":\"SHARED SIZE\",\"UniqueSize\":"
    "\"UNIQUE SIZE\",\"Containers\":\"CONTAINERS\"}]";

struct images_opts {
	bool json, digests, quiet, notrunc;
	const char *tmpl;
	char *header; /* --format table TEMPLATE: its header line */
	char **filters;
	size_t n_filters;
};

static int images_parse(int argc, char **argv, struct images_opts *o, berth_error_t *err)
{
	static const struct option lo[] = {
	    {"all", no_argument, NULL, 'a'},          {"quiet", no_argument, NULL, 'q'},
	    {"digests", no_argument, NULL, 'D'},      {"no-trunc", no_argument, NULL, 'T'},
	    {"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},         {0},
	};
	int c;

	while ((c = cli_getopt(argc, argv, "aqf:h", lo, images_usage, err)) != -1) {
		if (c == 'a') {
			; /* berth keeps no intermediate images: all of them are listed anyway */
		} else if (c == 'q') {
			o->quiet = true;
		} else if (c == 'D') {
			o->digests = true;
		} else if (c == 'T') {
			o->notrunc = true;
		} else if (c == 'f') {
			o->filters = xrealloc(o->filters, (o->n_filters + 1) * sizeof(*o->filters));
			o->filters[o->n_filters++] = optarg;
		} else if (c == 'F') {
			if (cli_format_opt(optarg, images_header, &o->json, &o->tmpl, &o->header,
			                   err) < 0)
				return -1;
		} else {
			return c;
		}
	}
	if (optind != argc)
		return berth_error(err, 0, "unexpected argument `%s` (%s)", argv[optind],
		                   "berth images --help");
	return 0;
}

/* the template's lines (a header first for a table) */
static int images_template(const struct images_opts *o, const struct image_summary *v,
                           const bool *keep, size_t n, berth_error_t *err)
{
	struct image_ls_row *rows = xmalloc0((n + 1) * sizeof(*rows));
	char(*ago)[48] = xmalloc0((n + 1) * sizeof(*ago)),
	(*at)[48] = xmalloc0((n + 1) * sizeof(*at));
	char(*sz)[32] = xmalloc0((n + 1) * sizeof(*sz));
	char *t, *f = NULL;
	int r;

	for (size_t i = 0; i < n; i++) {
		int64_t c = images_parse_time(v[i].created);
		time_t tt = (time_t)c;
		struct tm tm;
		cli_ago(v[i].created, ago[i], sizeof(ago[i]));
		cli_size(v[i].size, sz[i], sizeof(sz[i]));
		/* Docker's CreatedAt: Go's time.String() */
		if (c >= 0 && gmtime_r(&tt, &tm))
			strftime(at[i], sizeof(at[i]), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
		rows[i] = (struct image_ls_row){ago[i], at[i], sz[i]};
	}
	t = image_summaries_json(v, keep, rows, n, o->notrunc);
	r = template_render_each("--format", o->tmpl, t, &f, err);
	if (r == 0)
		cli_print_rendered(o->header, f);
	free(t);
	free(f);
	free(rows);
	free(ago);
	free(at);
	free(sz);
	return r;
}

BERTH_CMD(images)
{
	struct images_opts o = {0};
	struct image_summary *v = NULL;
	bool *keep = NULL;
	size_t n = 0;
	int r;

	r = images_parse(argc, argv, &o, err);
	if (r != 0) {
		free(o.filters);
		free(o.header);
		return CLI_RET(r);
	}
	r = -1;
	if (image_summaries(e, &v, &n, err) < 0)
		goto out;
	keep = xmalloc0((n + 1) * sizeof(*keep));
	if (image_filter(e, v, n, o.filters, o.n_filters, keep, err) < 0)
		goto out;
	r = 0;
	if (o.quiet) {
		for (size_t i = 0; i < n; i++)
			if (keep[i])
				printf(o.notrunc ? "sha256:%s\n" : "%.12s\n", v[i].id);
	} else if (o.tmpl) {
		r = images_template(&o, v, keep, n, err);
	} else if (o.json) {
		char *t = image_summaries_json(v, keep, NULL, n, false);
		puts(t);
		free(t);
	} else {
		printf("%-40s %s%-*s %-22s   %s\n", "NAME",
		       o.digests
		           ? "DIGEST                                                           "
		             "          "
		           : "",
		       o.notrunc ? 72 : 14, "ID", "CREATED", "SIZE");
		for (size_t i = 0; i < n; i++) {
			char since[64], sz[32], id[80];
			if (!keep[i])
				continue;
			cli_ago(v[i].created, since, sizeof(since));
			cli_size(v[i].size, sz, sizeof(sz));
			snprintf(id, sizeof(id), o.notrunc ? "sha256:%s" : "%.12s", v[i].id);
			printf("%-40s %s%s%-*s %-22s   %s\n", v[i].name ? v[i].name : "<none>",
			       o.digests ? v[i].digest : "", o.digests ? " " : "",
			       o.notrunc ? 72 : 14, id, since, sz);
		}
	}
out:
	image_summaries_free(v, n);
	free(keep);
	free(o.filters);
	free(o.header);
	return r;
}
