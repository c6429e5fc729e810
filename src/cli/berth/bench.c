/* SPDX-License-Identifier: MIT */
/* berth bench compare [IMAGE] [--json] [--plot FILE.svg] [--runs N]: the measurements
 * (compare.c) as a text table with a verdict per row, as JSON, and as an SVG of bars. */
#include "commands.h"
#include "compare.h"
#include "engine/engine.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char bench_usage[] =
    "usage: berth bench compare [IMAGE] [--json] [--plot FILE.svg] [--runs N]\n"
    "  the same image (default busybox) as a native container, an emulated one (--platform\n"
    "  linux/riscv64) and a VM-backed one (--vm), measured side by side (docs/compare.md)\n";

/* A cell's ratio to native (NAN when there is none). */
static double bench_ratio(const struct cmp_result *r, int row, int col)
{
	const struct cmp_cell *n = &r->cell[row][CMP_NATIVE], *x = &r->cell[row][col];
	if (!cmp_rows[row].numeric || !n->ok || !x->ok || n->value <= 0)
		return NAN;
	return x->value / n->value;
}

/* "1.45x", "404x", "0.0038x" */
static void bench_ratio_text(double q, char *out, size_t size)
{
	snprintf(out, size, q >= 10 ? "%.0fx" : q >= 0.1 ? "%.2fx" : "%.2gx", q);
}

static void bench_value(const struct cmp_result *r, int row, int col, char *out, size_t size)
{
	const struct cmp_cell *x = &r->cell[row][col];
	double v = x->value, q = bench_ratio(r, row, col);
	int prec = v >= 100 ? 0 : v >= 10 ? 1 : 2;
	if (!x->ok) {
		snprintf(out, size, "not measured");
		return;
	}
	if (row == CMP_DENSITY)
		prec = 0;
	if (col != CMP_NATIVE && !isnan(q)) {
		char rt[32];
		bench_ratio_text(q, rt, sizeof(rt));
		snprintf(out, size, "%.*f %s (%s)", prec, v, cmp_rows[row].unit, rt);
	} else
		snprintf(out, size, "%.*f %s", prec, v, cmp_rows[row].unit);
}

/* The row's verdict (heap): which column does best, and the others against native. */
static char *bench_verdict(const struct cmp_result *r, int row)
{
	const struct cmp_row_info *ri = &cmp_rows[row];
	int best = -1;
	char *s;
	if (row == CMP_ISOLATION)
		return xstrdup(
		    "only the VM-backed container has a kernel of its own; the emulated one "
		    "adds qemu-user but keeps the host kernel's system call surface");
	for (int k = 0; k < CMP_NCOL; k++)
		if (r->cell[row][k].ok &&
		    (best < 0 ||
		     (ri->higher_better ? r->cell[row][k].value > r->cell[row][best].value
		                        : r->cell[row][k].value < r->cell[row][best].value)))
			best = k;
	if (best < 0)
		return xstrdup("nothing measured");
	s = xasprintf("%s %s", cmp_col_title[best],
	              row == CMP_DENSITY  ? "packs the most"
	              : row == CMP_DISK   ? "is the smallest"
	              : row == CMP_MEMORY ? "uses the least"
	              : ri->higher_better ? "is the fastest"
	                                  : "is the quickest");
	for (int k = 1; k < CMP_NCOL; k++) {
		double q = bench_ratio(r, row, k);
		char *t, rt[32];
		if (isnan(q))
			continue;
		bench_ratio_text(q, rt, sizeof(rt));
		t = xasprintf("%s; %s %s native", s, cmp_col_id[k], rt);
		free(s);
		s = t;
	}
	return s;
}

static void bench_text(const struct cmp_result *r)
{
	char cells[CMP_NROW][CMP_NCOL][96];
	int w[CMP_NCOL + 1] = {8};

	printf("berth bench compare: %s, %d run(s) each, %d idle instances for memory (%s)\n\n",
	       r->image, r->runs, r->instances, r->host);
	for (int row = 0; row < CMP_NROW; row++) {
		int l = (int)strlen(cmp_rows[row].title);
		if (!cmp_rows[row].numeric)
			continue;
		w[0] = l > w[0] ? l : w[0];
		for (int k = 0; k < CMP_NCOL; k++) {
			bench_value(r, row, k, cells[row][k], sizeof(cells[row][k]));
			l = (int)strlen(cells[row][k]);
			w[k + 1] = l > w[k + 1] ? l : w[k + 1];
		}
	}
	for (int k = 0; k < CMP_NCOL; k++) {
		int l = (int)strlen(cmp_col_title[k]);
		w[k + 1] = l > w[k + 1] ? l : w[k + 1];
	}
	printf("%-*s", w[0], "");
	for (int k = 0; k < CMP_NCOL; k++)
		printf("  %-*s", w[k + 1], cmp_col_title[k]);
	printf("\n%-*s", w[0], "");
	for (int k = 0; k < CMP_NCOL; k++)
		printf("  %-*s", w[k + 1], r->col_platform[k]);
	putchar('\n');
	for (int row = 0; row < CMP_NROW; row++) {
		if (!cmp_rows[row].numeric)
			continue;
		printf("%-*s", w[0], cmp_rows[row].title);
		for (int k = 0; k < CMP_NCOL; k++)
			printf("  %-*s", w[k + 1], cells[row][k]);
		putchar('\n');
	}
	printf("\nisolation boundary:\n");
	for (int k = 0; k < CMP_NCOL; k++) {
		const struct cmp_cell *x = &r->cell[CMP_ISOLATION][k];
		printf("  %s: %s\n", cmp_col_title[k], x->ok ? x->text : "not measured");
	}
	printf("\nverdicts:\n");
	for (int row = 0; row < CMP_NROW; row++) {
		cleanup_free char *v = bench_verdict(r, row);
		printf("  %s: %s\n", cmp_rows[row].title, v);
	}
	printf("\nnotes:\n");
	for (int row = 0; row < CMP_NROW; row++)
		for (int k = 0; k < CMP_NCOL; k++) {
			const struct cmp_cell *x = &r->cell[row][k];
			if (x->note && (x->ok || r->col_why[k] == NULL))
				printf("  %s, %s: %s%s\n", cmp_rows[row].title, cmp_col_id[k],
				       x->ok ? "" : "not measured: ", x->note);
		}
	for (int k = 0; k < CMP_NCOL; k++)
		if (r->col_why[k])
			printf("  %s: not measured: %s\n", cmp_col_title[k], r->col_why[k]);
	printf("  %s\n", r->kvm_why);
}

static json_t *bench_json(const struct cmp_result *r)
{
	json_t *o = json_object(), *cols = json_array(), *rows = json_array();
	for (int k = 0; k < CMP_NCOL; k++)
		json_array_append_new(cols,
		                      json_pack("{s:s,s:s,s:s,s:s?}", "id", cmp_col_id[k], "title",
		                                cmp_col_title[k], "platform", r->col_platform[k],
		                                "not_measured", r->col_why[k]));
	for (int row = 0; row < CMP_NROW; row++) {
		json_t *cells = json_object();
		cleanup_free char *v = bench_verdict(r, row);
		for (int k = 0; k < CMP_NCOL; k++) {
			const struct cmp_cell *x = &r->cell[row][k];
			double q = bench_ratio(r, row, k);
			json_t *c = json_pack("{s:s}", "unit", cmp_rows[row].unit);
			if (!x->ok)
				json_object_set_new(c, "value", json_null());
			else if (x->text)
				json_object_set_new(c, "value", json_string(x->text));
			else
				json_object_set_new(c, "value", json_real(x->value));
			if (!isnan(q))
				json_object_set_new(c, "ratio_to_native", json_real(q));
			if (x->note)
				json_object_set_new(c, x->ok ? "note" : "not_measured",
				                    json_string(x->note));
			json_object_set_new(cells, cmp_col_id[k], c);
		}
		json_array_append_new(
		    rows,
		    json_pack("{s:s,s:s,s:s,s:b,s:o,s:s}", "id", cmp_rows[row].id, "title",
		              cmp_rows[row].title, "unit", cmp_rows[row].unit, "higher_is_better",
		              cmp_rows[row].higher_better, "cells", cells, "verdict", v));
	}
	json_object_set_new(o, "image", json_string(r->image));
	json_object_set_new(o, "runs", json_integer(r->runs));
	json_object_set_new(o, "host", json_string(r->host));
	json_object_set_new(o, "columns", cols);
	json_object_set_new(o, "kvm", json_pack("{s:b,s:s}", "column", 0, "why", r->kvm_why));
	json_object_set_new(o, "rows", rows);
	return o;
}

/* text for SVG: & < > escaped */
static void bench_svg_text(FILE *f, const char *s)
{
	for (; *s; s++)
		if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else
			fputc(*s, f);
}

/* One panel per numeric row: a bar per column, on a log scale when the largest value is
 * more than 20 times the smallest. */
static int bench_svg(const struct cmp_result *r, const char *file, berth_error_t *err)
{
	static const char *colors[CMP_NCOL] = {"#4878a8", "#e0a030", "#b04040"};
	const int pw = 300, ph = 190, per = 3, bw = 50;
	int n = 0;
	for (int row = 0; row < CMP_NROW; row++)
		n += cmp_rows[row].numeric;
	int nrows = (n + per - 1) / per, width = per * pw + 20, height = nrows * ph + 70;
	cleanup_free char *tmp = xasprintf("%s.tmp", file);
	FILE *f = fopen(tmp, "we");
	int i = 0;

	if (f == NULL)
		return berth_error(err, errno, "--plot `%s`", file);
	fprintf(f,
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">\n"
	        "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
	        "<text x=\"10\" y=\"20\" font-size=\"14\">berth bench compare: ",
	        width, height, width, height);
	bench_svg_text(f, r->image);
	fprintf(f, " (");
	bench_svg_text(f, r->host);
	fprintf(f, ")</text>\n");
	for (int k = 0; k < CMP_NCOL; k++) {
		fprintf(f,
		        "<rect x=\"%d\" y=\"30\" width=\"12\" height=\"12\" fill=\"%s\"/>"
		        "<text x=\"%d\" y=\"40\">",
		        10 + k * 200, colors[k], 26 + k * 200);
		bench_svg_text(f, cmp_col_title[k]);
		fprintf(f, "</text>\n");
	}
	for (int row = 0; row < CMP_NROW; row++) {
		double lo = INFINITY, hi = 0;
		bool log_scale;
		int x0, y0, base;
		if (!cmp_rows[row].numeric)
			continue;
		x0 = 10 + (i % per) * pw;
		y0 = 60 + (i / per) * ph;
		i++;
		for (int k = 0; k < CMP_NCOL; k++)
			if (r->cell[row][k].ok && r->cell[row][k].value > 0) {
				lo = fmin(lo, r->cell[row][k].value);
				hi = fmax(hi, r->cell[row][k].value);
			}
		log_scale = hi > 0 && hi / lo > 20;
		fprintf(f, "<g>\n<text x=\"%d\" y=\"%d\" font-weight=\"bold\">", x0, y0 + 12);
		bench_svg_text(f, cmp_rows[row].title);
		fprintf(f, "</text>\n<text x=\"%d\" y=\"%d\" fill=\"#666\">%s%s</text>\n", x0,
		        y0 + 26, cmp_rows[row].unit, log_scale ? ", log scale" : "");
		base = y0 + ph - 30;
		fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", x0,
		        base, x0 + 3 * (bw + 30), base);
		for (int k = 0; k < CMP_NCOL; k++) {
			const struct cmp_cell *x = &r->cell[row][k];
			const int maxh = ph - 75, bx = x0 + 10 + k * (bw + 30);
			double h;
			if (!x->ok || x->value <= 0 || hi <= 0) {
				fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"#999\">n/a</text>\n", bx,
				        base - 4);
				continue;
			}
			if (log_scale) /* a decade below the smallest is the floor */
				h = maxh * (log10(x->value) - log10(lo / 10)) /
				    (log10(hi) - log10(lo / 10));
			else
				h = maxh * x->value / hi;
			if (h < 1)
				h = 1;
			fprintf(
			    f,
			    "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\">"
			    "<title>",
			    bx, base - h, bw, h, colors[k]);
			bench_svg_text(f, cmp_col_title[k]);
			fprintf(f, "</title></rect>\n<text x=\"%d\" y=\"%.1f\">%.*f</text>\n", bx,
			        base - h - 3,
			        x->value >= 100  ? 0
			        : x->value >= 10 ? 1
			                         : 2,
			        x->value);
		}
		fprintf(f, "</g>\n");
	}
	fprintf(f, "</svg>\n");
	if (fclose(f) != 0 || rename(tmp, file) < 0) {
		int e = errno;
		unlink(tmp);
		return berth_error(err, e, "--plot `%s`", file);
	}
	return 0;
}

static int bench_compare(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	static const struct option lo[] = {{"json", no_argument, NULL, 'j'},
	                                   {"plot", required_argument, NULL, 'p'},
	                                   {"runs", required_argument, NULL, 'n'},
	                                   {NULL, 0, NULL, 0}};
	const char *plot = NULL, *image = "busybox";
	bool json = false;
	int runs = 3, c;
	struct cmp_result r;

	while ((c = cli_getopt(argc, argv, "", lo, bench_usage, err)) != -1) {
		char *end;
		long v;
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'p':
			plot = optarg;
			break;
		case 'n':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 100)
				return berth_error(err, 0,
				                   "bad --runs `%s`: a whole number from 1 to 100",
				                   optarg);
			runs = (int)v;
			break;
		default:
			return CLI_RET(c);
		}
	}
	if (argc - optind > 1)
		return berth_error(err, 0, "expected at most one IMAGE (%s)",
		                   "berth bench compare --help");
	if (optind < argc)
		image = argv[optind];
	if (plot && plot[0] == '\0')
		return berth_error(err, 0, "bad --plot ``: expected a file name");
	if (cmp_measure(e, image, runs, &r, err) < 0) {
		cmp_result_free(&r);
		return -1;
	}
	if (json) {
		json_t *o = bench_json(&r);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		bench_text(&r);
	}
	if (plot && bench_svg(&r, plot, err) < 0) {
		cmp_result_free(&r);
		return -1;
	}
	cmp_result_free(&r);
	return 0;
}

BERTH_CMD(bench)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(bench_usage, stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "compare") != 0)
		return berth_error(err, 0, "expected `compare` (%s)", "berth bench --help");
	return bench_compare(e, argc - 1, argv + 1, err);
}
