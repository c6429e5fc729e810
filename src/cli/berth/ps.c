/* SPDX-License-Identifier: MIT */
/* berth ps: Docker's flags, filters and --format */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char ps_usage[] =
    "usage: berth ps [-a] [-q] [-n N|-l] [--no-trunc] [-s] [-f KEY=VALUE]… "
    "[--format json|TEMPLATE|table [TEMPLATE]]\n"
    "  -a, --all          stopped containers too (newest first, as every list)\n"
    "  -q, --quiet        only the ids\n"
    "  -n, --last N       the N containers made last, whatever their state; -l, --latest: 1\n"
    "      --no-trunc     full ids and commands\n"
    "  -s, --size         SIZE: the writable layer (virtual: with the image's layers)\n"
    "  -f, --filter K=V   id, name, label=K[=V], status=created|running|paused|exited|…,\n"
    "                     exited=CODE, ancestor=IMAGE, network=NAME, volume=NAME, before=C,\n"
    "                     since=C; a key's values OR, keys AND\n"
    "  --format TEMPLATE  a Go template over each container: Docker's fields {{.ID}},\n"
    "                     {{.Names}}, {{.Image}}, {{.Command}}, {{.Status}}, {{.State}},\n"
    "                     {{.Ports}}, {{.Size}}, {{.Labels}}, {{.Mounts}}, {{.Networks}},\n"
    "                     {{.CreatedAt}}, {{.RunningFor}}, and those of `--format json`;\n"
    "                     table TEMPLATE: columns split by \\t, aligned, under a header\n"
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
	/* a VM-backed container (run --vm): " (vm)" after its status, as Docker's "(healthy)" */
	if (json_is_object(json_object_get(c->raw, "vm"))) {
		char base[200];
		struct ctr_info plain = *c;
		plain.raw = NULL;
		cli_ps_status(&plain, base, sizeof(base));
		snprintf(out, size, "%s (vm)", base);
		return;
	}
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

/* the column: the widest of its header and values, at most max (0: no max) */
static int ps_width(const char *hdr, char **vals, size_t n, int max)
{
	int w = (int)strlen(hdr);

	for (size_t i = 0; i < n; i++)
		if ((int)strlen(vals[i] ?: "") > w)
			w = (int)strlen(vals[i] ?: "");
	return max && w > max ? max : w;
}

/* Docker's table: text (lines of cells split by tabs) aligned as its tabwriter (a cell at
 * least 10 wide, the widest + 3 spaces; the last one as is). */
void cli_table_print(const char *text)
{
	cleanup_free char *copy = xstrdup(text);
	cleanup_free int *w = NULL;
	size_t nw = 0;
	char *line, *save = NULL;

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t k = 0;
		for (const char *c = line;; k++) {
			size_t len = strcspn(c, "\t");
			if (c[len] == '\0')
				break;
			if (k >= nw) {
				w = xrealloc(w, (k + 1) * sizeof(*w));
				w[nw++] = 10;
			}
			if ((int)len + 3 > w[k])
				w[k] = (int)len + 3;
			c += len + 1;
		}
	}
	free(copy);
	copy = xstrdup(text);
	save = NULL;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t k = 0;
		for (const char *c = line;; k++) {
			size_t len = strcspn(c, "\t");
			if (c[len] == '\0') {
				printf("%s\n", c);
				break;
			}
			printf("%-*.*s", w[k], (int)len, c);
			c += len + 1;
		}
	}
}

void cli_print_rendered(const char *header, const char *text)
{
	if (header != NULL) {
		cleanup_free char *all = xasprintf("%s%s", header, text);
		cli_table_print(all);
	} else {
		fputs(text, stdout);
	}
}

int cli_table_format(const char *format, const char *header_json, const char **tmpl, char **header,
                     berth_error_t *err)
{
	const char *t = format + 5;

	*tmpl = NULL;
	*header = NULL;
	if (strncmp(format, "table", 5) != 0 || (t[0] != '\0' && t[0] != ' ' && t[0] != '\t'))
		return 0;
	t += strspn(t, " \t");
	if (*t == '\0')
		return 1;
	*tmpl = t;
	/* the header: the template over Docker's column names; a field of another name has
	 * none (Docker's own would fail there) */
	if (template_render_each("--format", t, header_json, header, err) < 0) {
		berth_error_t e2 = NULL;
		char *probe = NULL;
		/* a template that does not parse is an error; one that names other fields is
		 * not */
		int bad = template_render_each("--format", t, "[]", &probe, &e2);
		free(probe);
		berth_error_release(&e2);
		if (bad < 0)
			return -1;
		berth_error_release(err);
		*header = xstrdup("");
	}
	return 2;
}

int cli_format_opt(const char *arg, const char *header_json, bool *json, const char **tmpl,
                   char **header, berth_error_t *err)
{
	free(*header);
	*header = NULL;
	*tmpl = NULL;
	*json = strcmp(arg, "json") == 0;
	if (*json)
		return 0;
	switch (cli_table_format(arg, header_json, tmpl, header, err)) {
	case -1:
		return -1;
	case 0:
		*tmpl = arg;
		break;
	}
	return 0;
}

/* ps's columns for a table template, under Docker's names */
static const char ps_header[] =
    "[{\"ID\":\"CONTAINER ID\",\"Names\":\"NAMES\",\"Image\":\"IMAGE\",\"Command\":"
    "\"COMMAND\",\"CreatedAt\":\"CREATED AT\",\"RunningFor\":\"CREATED\",\"Ports\":"
    "\"PORTS\",\"State\":\"STATE\",\"Status\":\"STATUS\",\"Size\":\"SIZE\",\"Labels\":"
    "\"LABELS\",\"Mounts\":\"MOUNTS\",\"LocalVolumes\":\"LOCAL VOLUMES\",\"Networks\":"
    "\"NETWORKS\"}]";

struct ps_opts {
	bool all, quiet, no_trunc, size, json;
	char *header; /* --format table TEMPLATE: its header line */
	long last;    /* -n; -1: all */
	const char *tmpl;
	char **filters;
	size_t n_filters;
};

static int ps_parse(int argc, char **argv, struct ps_opts *o, berth_error_t *err)
{
	static const struct option lo[] = {
	    {"all", no_argument, NULL, 'a'},          {"quiet", no_argument, NULL, 'q'},
	    {"last", required_argument, NULL, 'n'},   {"latest", no_argument, NULL, 'l'},
	    {"no-trunc", no_argument, NULL, 'T'},     {"size", no_argument, NULL, 's'},
	    {"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},         {0},
	};
	char *end;
	int c;

	while ((c = cli_getopt(argc, argv, "aqn:lsf:h", lo, ps_usage, err)) != -1) {
		if (c == 'a') {
			o->all = true;
		} else if (c == 'q') {
			o->quiet = true;
		} else if (c == 'n') {
			o->last = strtol(optarg, &end, 10);
			if (optarg[0] == '\0' || *end != '\0' || o->last < -1 || o->last > INT_MAX)
				return berth_error(err, 0,
				                   "bad --last `%s`: expected a number of "
				                   "containers (-1: all)",
				                   optarg);
		} else if (c == 'l') {
			o->last = 1;
		} else if (c == 'T') {
			o->no_trunc = true;
		} else if (c == 's') {
			o->size = true;
		} else if (c == 'f') {
			o->filters = xrealloc(o->filters, (o->n_filters + 1) * sizeof(*o->filters));
			o->filters[o->n_filters++] = optarg;
		} else if (c == 'F') {
			if (cli_format_opt(optarg, ps_header, &o->json, &o->tmpl, &o->header, err) <
			    0)
				return -1;
		} else {
			return c;
		}
	}
	if (optind != argc)
		return berth_error(err, 0, "unexpected argument `%s` (%s)", argv[optind], ps_usage);
	return 0;
}

static void ps_table(const struct ps_opts *o, const struct ctr_info *v, size_t k,
                     const struct ctr_ps_row *rows)
{
	char **ids = xmalloc0((k + 1) * sizeof(*ids)), **st = xmalloc0((k + 1) * sizeof(*st));
	char **cmd = xmalloc0((k + 1) * sizeof(*cmd));
	int wid, wst, wcmd;

	for (size_t i = 0; i < k; i++) {
		ids[i] = v[i].id;
		st[i] = (char *)rows[i].status;
		cmd[i] = v[i].command;
	}
	wid = o->no_trunc ? ps_width("ID", ids, k, 0) : 12;
	wst = ps_width("STATUS", st, k, 0);
	wcmd = o->no_trunc ? ps_width("COMMAND", cmd, k, 0) : 24;
	if (wst < 22)
		wst = 22;
	printf("%-*s  %-20s %-*s %-*s %-16s %-24s %s%s\n", wid, "ID", "IMAGE", wcmd, "COMMAND", wst,
	       "STATUS", "ADDRESS", "PORTS", o->size ? "NAME                 " : "NAME",
	       o->size ? "SIZE" : "");
	for (size_t i = 0; i < k; i++) {
		const struct ctr_info *c = &v[i];
		printf("%-*.*s  %-20.20s %-*.*s %-*s %-16s %-24s ", wid, wid, c->id, c->image ?: "",
		       wcmd, wcmd, c->command ?: "", wst, rows[i].status, c->ip ?: "",
		       c->ports ?: "");
		if (o->size)
			printf("%-20s %s\n", c->name ?: "", rows[i].size);
		else
			printf("%s\n", c->name ?: "");
	}
	free(ids);
	free(st);
	free(cmd);
}

BERTH_CMD(ps)
{
	struct ps_opts o = {.last = -1};
	struct ctr_info *v = NULL, *shown;
	struct ctr_ps_row *rows;
	char(*status)[96], (*ago)[48], (*size)[64];
	bool *keep = NULL, all;
	size_t n = 0, k = 0;
	int r = -1;

	r = ps_parse(argc, argv, &o, err);
	if (r != 0) {
		free(o.filters);
		free(o.header);
		return CLI_RET(r);
	}
	r = -1;
	if (ctr_get_all(e, &v, &n, err) < 0)
		goto out;
	keep = xmalloc0((n + 1) * sizeof(*keep));
	if (ctr_ps_filter(e, v, n, o.filters, o.n_filters, keep, &all, err) < 0)
		goto out;
	/* as Docker: -a, a status filter and -n/-l look at the stopped containers too */
	all = all || o.all || o.last > 0;
	/* newest first, as Docker; the shown ones first, the others after them (to be freed) */
	shown = xmalloc0((n + 1) * sizeof(*shown));
	for (size_t i = n; i-- > 0;)
		if (keep[i] && (all || ctr_status_running(v[i].status)) &&
		    (o.last <= 0 || k < (size_t)o.last))
			shown[k++] = v[i], keep[i] = true;
		else
			keep[i] = false;
	for (size_t i = 0, j = k; i < n; i++)
		if (!keep[i])
			shown[j++] = v[i];
	free(v);
	v = shown;
	if (o.quiet) {
		for (size_t i = 0; i < k; i++)
			printf("%.*s\n", o.no_trunc ? 64 : 12, v[i].id);
		r = 0;
		goto out;
	}
	rows = xmalloc0((k + 1) * sizeof(*rows));
	status = xmalloc0((k + 1) * sizeof(*status));
	ago = xmalloc0((k + 1) * sizeof(*ago));
	size = xmalloc0((k + 1) * sizeof(*size));
	for (size_t i = 0; i < k; i++) {
		cli_ps_status(&v[i], status[i], sizeof(status[i]));
		cli_ago(v[i].created, ago[i], sizeof(ago[i]));
		rows[i].status = status[i];
		rows[i].running_for = ago[i];
		/* as Docker: computed for -s, or a template that shows it */
		if (o.size || (o.tmpl && strstr(o.tmpl, ".Size"))) {
			uint64_t rw, virt;
			char a[16], b[16];
			ctr_size(e, &v[i], &rw, &virt);
			cli_size(rw, a, sizeof(a));
			cli_size(virt, b, sizeof(b));
			snprintf(size[i], sizeof(size[i]), "%s (virtual %s)", a, b);
			rows[i].size = size[i];
		}
	}
	if (o.json || o.tmpl) {
		char *t = o.tmpl ? ctr_ps_json(v, rows, k, o.no_trunc) : ctr_infos_json(v, k),
		     *f = NULL;
		r = o.tmpl ? template_render_each("--format", o.tmpl, t, &f, err) : 0;
		if (r == 0)
			cli_print_rendered(o.header, o.tmpl ? f : t);
		if (r == 0 && !o.tmpl)
			putchar('\n');
		free(t);
		free(f);
	} else {
		ps_table(&o, v, k, rows);
		r = 0;
	}
	free(rows);
	free(status);
	free(ago);
	free(size);
out:
	ctr_infos_free(v, n);
	free(keep);
	free(o.filters);
	free(o.header);
	return r;
}
