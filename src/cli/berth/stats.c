/* SPDX-License-Identifier: MIT */
/* berth stats [-a] [--no-stream] [--no-trunc] [--format json|TEMPLATE] [NAME…]: as Docker's,
 * a table every second of each container's CPU %, memory, network and block I/O and pids
 * (from its cgroup and network namespace), redrawn on a terminal. */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char stats_usage[] =
    "usage: berth stats [-a] [--no-stream] [--no-trunc] [--format json|TEMPLATE|table T] "
    "[NAME…]\n"
    "  every second, each running container's (without NAME) or each NAME's CPU %, MEM USAGE\n"
    "  / LIMIT, MEM %, NET I/O (its network namespace, lo excluded), BLOCK I/O and PIDS\n"
    "  -a, --all          stopped containers too\n"
    "      --no-stream    one table (two samples a second apart), then exit\n"
    "      --no-trunc     full ids\n"
    "      --format       json (an object a line) or a Go template: {{.ID}}, {{.Name}},\n"
    "                     {{.CPUPerc}}, {{.MemUsage}}, {{.MemPerc}}, {{.NetIO}}, {{.BlockIO}},\n"
    "                     {{.PIDs}}; numbers: {{.cpu_percent}}, {{.mem_usage}}, {{.net_rx}}…;\n"
    "                     table TEMPLATE: columns split by \\t, aligned, under a header";

/* go-units' BytesSize (binary, four digits: "1.5MiB"), as Docker's MEM USAGE */
static void stats_bytes(uint64_t n, char *out, size_t size)
{
	cli_human(n, true, 4, out, size);
}

/* A container shown, its last sample kept for the next CPU % */
struct stats_ctr {
	struct ctr_info c;
	const char *arg; /* the NAME given, or NULL */
	bool have, had;
	struct ctr_stats st, prev;
};

struct stats_opts {
	bool all, no_stream, no_trunc;
	const char *tmpl; /* json: "{{json .}}" */
	char *header;     /* --format table TEMPLATE: its header line */
};

/* stats's columns for a table template, under Docker's names */
static const char stats_header[] =
    "[{\"ID\":\"CONTAINER ID\",\"Name\":\"NAME\",\"Container\":\"CONTAINER\",\"CPUPerc\":"
    "\"CPU %\",\"MemUsage\":\"MEM USAGE / LIMIT\",\"MemPerc\":\"MEM %\",\"NetIO\":"
    "\"NET I/O\",\"BlockIO\":\"BLOCK I/O\",\"PIDs\":\"PIDS\"}]";

static void stats_clear(struct stats_ctr *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ctr_info_free(&v[i].c);
	free(v);
}

/* The containers to show this round: the names (looked up again; gone ones dropped after the
 * first round), else every running one (-a: every one). Earlier samples carried over by id. */
static int stats_targets(struct engine *e, char **names, size_t nn, bool all, bool first,
                         struct stats_ctr *old, size_t nold, struct stats_ctr **out, size_t *n,
                         berth_error_t *err)
{
	struct ctr_info *v = NULL;
	size_t nv = 0;

	*out = NULL;
	*n = 0;
	if (nn > 0) {
		*out = xmalloc0(nn * sizeof(**out));
		for (size_t i = 0; i < nn; i++) {
			berth_error_t e2 = NULL;
			struct stats_ctr *t = &(*out)[*n];
			if (ctr_get(e, names[i], &t->c, first ? err : &e2) < 0) {
				berth_error_release(&e2);
				if (first) {
					stats_clear(*out, *n);
					*out = NULL;
					*n = 0;
					return -1;
				}
				continue;
			}
			t->arg = names[i];
			(*n)++;
		}
	} else {
		if (ctr_get_all(e, &v, &nv, err) < 0)
			return -1;
		*out = xmalloc0((nv + 1) * sizeof(**out));
		/* newest first, as ps */
		for (size_t i = nv; i-- > 0;) {
			if (all || ctr_status_running(v[i].status))
				(*out)[(*n)++].c = v[i];
			else
				ctr_info_free(&v[i]);
		}
		free(v);
	}
	for (size_t i = 0; i < *n; i++)
		for (size_t j = 0; j < nold; j++)
			if (old[j].have && strcmp(old[j].c.id, (*out)[i].c.id) == 0) {
				(*out)[i].prev = old[j].st;
				(*out)[i].had = true;
			}
	return 0;
}

static void stats_sample(struct engine *e, struct stats_ctr *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		berth_error_t e2 = NULL;
		v[i].have =
		    ctr_status_running(v[i].c.status) && ctr_stats(e, &v[i].c, &v[i].st, &e2) == 0;
		berth_error_release(&e2);
	}
}

/* the column's width as Docker's tabwriter makes it: at least 10, the widest cell + 3 */
static int stats_width(char (*cells)[136], size_t n, size_t col, size_t ncol, const char *hdr)
{
	int w = (int)strlen(hdr) + 3;

	for (size_t i = 0; i < n; i++)
		if ((int)strlen(cells[i * ncol + col]) + 3 > w)
			w = (int)strlen(cells[i * ncol + col]) + 3;
	return w < 10 ? 10 : w;
}

enum { S_ID, S_NAME, S_CPU, S_MEM, S_MEMP, S_NET, S_BLOCK, S_PIDS, S_NCOL };

static int stats_print(const struct stats_opts *o, struct stats_ctr *v, size_t n, bool tty,
                       berth_error_t *err)
{
	static const char *const hdr[S_NCOL] = {"CONTAINER ID",      "NAME",  "CPU %",
	                                        "MEM USAGE / LIMIT", "MEM %", "NET I/O",
	                                        "BLOCK I/O",         "PIDS"};
	char(*cells)[136] = xmalloc0((n + 1) * S_NCOL * sizeof(*cells));
	struct ctr_stats_row *rows = xmalloc0((n + 1) * sizeof(*rows));
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		const struct ctr_stats *s = &v[i].st;
		char(*c)[136] = cells + i * S_NCOL, a[16], b[16];
		double cpu = v[i].have && v[i].had ? ctr_stats_cpu_percent(&v[i].prev, s) : 0;
		double mem = v[i].have && s->mem_limit
		                 ? (double)s->mem_usage / (double)s->mem_limit * 100
		                 : 0;
		struct ctr_stats zero = {0};
		if (!v[i].have)
			v[i].st = zero;
		snprintf(c[S_ID], sizeof(c[S_ID]), "%.*s", o->no_trunc ? 64 : 12, v[i].c.id);
		snprintf(c[S_NAME], sizeof(c[S_NAME]), "%.135s", v[i].c.name ?: "");
		snprintf(c[S_CPU], sizeof(c[S_CPU]), "%.2f%%", cpu);
		stats_bytes(s->mem_usage, a, sizeof(a));
		stats_bytes(s->mem_limit, b, sizeof(b));
		snprintf(c[S_MEM], sizeof(c[S_MEM]), "%s / %s", a, b);
		snprintf(c[S_MEMP], sizeof(c[S_MEMP]), "%.2f%%", mem);
		cli_size(s->net_rx, a, sizeof(a));
		cli_size(s->net_tx, b, sizeof(b));
		snprintf(c[S_NET], sizeof(c[S_NET]), "%s / %s", a, b);
		cli_size(s->blk_read, a, sizeof(a));
		cli_size(s->blk_write, b, sizeof(b));
		snprintf(c[S_BLOCK], sizeof(c[S_BLOCK]), "%s / %s", a, b);
		snprintf(c[S_PIDS], sizeof(c[S_PIDS]), "%llu", (unsigned long long)s->pids);
		rows[i] = (struct ctr_stats_row){
		    .id = c[S_ID],
		    .name = c[S_NAME],
		    .container = v[i].arg ?: c[S_ID],
		    .cpu = c[S_CPU],
		    .mem_usage = c[S_MEM],
		    .mem_perc = c[S_MEMP],
		    .net = c[S_NET],
		    .block = c[S_BLOCK],
		    .pids = c[S_PIDS],
		    .cpu_percent = cpu,
		    .mem_percent = mem,
		    .st = *s,
		};
	}
	if (o->tmpl) {
		char *t = ctr_stats_json(rows, n), *f = NULL;
		r = template_render_each("--format", o->tmpl, t, &f, err);
		if (r == 0 && tty)
			fputs("\033[2J\033[H", stdout);
		if (r == 0)
			cli_print_rendered(o->header, f);
		free(t);
		free(f);
	} else {
		int w[S_NCOL];
		for (size_t k = 0; k < S_NCOL; k++)
			w[k] = stats_width(cells, n, k, S_NCOL, hdr[k]);
		/* a terminal: redrawn in place, as Docker's */
		if (tty)
			fputs("\033[2J\033[H", stdout);
		for (size_t k = 0; k < S_NCOL; k++)
			printf("%-*s%s", k + 1 < S_NCOL ? w[k] : 0, hdr[k],
			       k + 1 < S_NCOL ? "" : "\n");
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < S_NCOL; k++)
				printf("%-*s%s", k + 1 < S_NCOL ? w[k] : 0, cells[i * S_NCOL + k],
				       k + 1 < S_NCOL ? "" : "\n");
	}
	fflush(stdout);
	free(cells);
	free(rows);
	return r;
}

BERTH_CMD(stats)
{
	static const struct option lo[] = {
	    {"all", no_argument, NULL, 'a'},      {"no-stream", no_argument, NULL, 'S'},
	    {"no-trunc", no_argument, NULL, 'T'}, {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},     {0},
	};
	struct stats_opts o = {0};
	struct stats_ctr *cur = NULL, *next = NULL;
	size_t n = 0, nn = 0;
	bool tty = isatty(STDOUT_FILENO);
	int c, r = 0;

	while ((c = cli_getopt(argc, argv, "ah", lo, stats_usage, err)) != -1) {
		if (c == 'a')
			o.all = true;
		else if (c == 'S')
			o.no_stream = true;
		else if (c == 'T')
			o.no_trunc = true;
		else if (c == 'F') {
			bool json;
			if (cli_format_opt(optarg, stats_header, &json, &o.tmpl, &o.header, err) <
			    0)
				return -1;
			if (json)
				o.tmpl = "{{json .}}";
		} else {
			free(o.header);
			return CLI_RET(c);
		}
	}
	/* a bad template is refused before anything is shown */
	if (o.tmpl) {
		char *f = NULL;
		struct ctr_stats_row probe = {.id = "",
		                              .name = "",
		                              .container = "",
		                              .cpu = "",
		                              .mem_usage = "",
		                              .mem_perc = "",
		                              .net = "",
		                              .block = "",
		                              .pids = ""};
		char *t = ctr_stats_json(&probe, 1);
		r = template_render_each("--format", o.tmpl, t, &f, err);
		free(t);
		free(f);
		if (r < 0) {
			free(o.header);
			return -1;
		}
	}
	nn = (size_t)(argc - optind);
	if (stats_targets(e, argv + optind, nn, o.all, true, NULL, 0, &cur, &n, err) < 0) {
		free(o.header);
		return -1;
	}
	stats_sample(e, cur, n);
	for (;;) {
		size_t nx = 0;
		/* a second between two samples, as Docker's CPU % */
		struct timespec ts = {1, 0};
		while (nanosleep(&ts, &ts) < 0)
			;
		if (stats_targets(e, argv + optind, nn, o.all, false, cur, n, &next, &nx, err) <
		    0) {
			r = -1;
			break;
		}
		stats_clear(cur, n);
		cur = next;
		n = nx;
		stats_sample(e, cur, n);
		if (stats_print(&o, cur, n, tty, err) < 0) {
			r = -1;
			break;
		}
		if (o.no_stream)
			break;
		/* not a terminal: a table after another */
	}
	stats_clear(cur, n);
	free(o.header);
	return r;
}
