/* SPDX-License-Identifier: MIT */
/* berth container prune | image prune | image history | system df|prune|info | info, as
 * Docker's. */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cli_confirm(const char *what)
{
	char line[64];
	bool yes = false;

	fprintf(stderr, "WARNING! This will remove %s. Are you sure you want to continue? [y/N] ",
	        what);
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		yes = strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
	}
	/* the same line when the answer was not echoed (not a terminal, or EOF) */
	if (!yes)
		fprintf(stderr, "nothing removed (-f skips this question)\n");
	return yes;
}

/* Docker's reclaimed space and df sizes: go-units' HumanSize, four digits ("16.43MB") */
static void system_size(uint64_t n, char *out, size_t size)
{
	cli_human(n, false, 4, out, size);
}

static void system_reclaimed(uint64_t n)
{
	char sz[32];

	system_size(n, sz, sizeof(sz));
	printf("Total reclaimed space: %s\n", sz);
}

/* The options of a prune: -f (and -a when all is not NULL); 0, or CLI_* */
static int system_prune_opts(int argc, char **argv, const char *usage, const char *hint,
                             bool *force, bool *all, bool *volumes, berth_error_t *err)
{
	static const struct option lo[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"all", no_argument, NULL, 'a'},
	    {"volumes", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	static const struct option lo_ctr[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	static const struct option lo_img[] = {
	    {"force", no_argument, NULL, 'f'},
	    {"all", no_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	int c;

	while ((c = cli_getopt(argc, argv, all ? "fah" : "fh",
	                       volumes ? lo
	                       : all   ? lo_img
	                               : lo_ctr,
	                       usage, err)) != -1) {
		if (c == 'f')
			*force = true;
		else if (c == 'a')
			*all = true;
		else if (c == 'V')
			*volumes = true;
		else
			return c;
	}
	if (optind != argc)
		return berth_error(err, 0, "unexpected argument `%s` (%s --help)", argv[optind],
		                   hint);
	return 0;
}

static int system_prune_containers(struct engine *e, uint64_t *space, berth_error_t *err)
{
	char **ids;
	size_t n;
	int r = ctr_prune(e, &ids, &n, space, err);

	if (n)
		printf("Deleted Containers:\n");
	for (size_t i = 0; i < n; i++) {
		puts(ids[i]);
		free(ids[i]);
	}
	if (n)
		putchar('\n');
	free(ids);
	return r;
}

/* rmi's "Untagged: …" / "Deleted: …" lines, as prune prints them ("untagged: …") */
static int system_prune_images(struct engine *e, bool all, uint64_t *space, berth_error_t *err)
{
	char *report;
	int r = image_prune(e, all, &report, space, err);

	if (report && report[0]) {
		printf("Deleted Images:\n");
		for (char *l = report; *l;) {
			size_t len = strcspn(l, "\n");
			if (strncmp(l, "Untagged: ", 10) == 0)
				printf("untagged: %.*s\n", (int)len - 10, l + 10);
			else if (strncmp(l, "Deleted: ", 9) == 0)
				printf("deleted: %.*s\n", (int)len - 9, l + 9);
			else
				printf("%.*s\n", (int)len, l);
			l += len + (l[len] == '\n');
		}
		putchar('\n');
	}
	free(report);
	return r;
}

BERTH_CMD(container_prune)
{
	static const char usage[] =
	    "usage: berth container prune [-f|--force]\n"
	    "  removes every container that is not running (created or exited)";
	bool force = false;
	uint64_t space = 0;
	int r =
	    system_prune_opts(argc, argv, usage, "berth container prune", &force, NULL, NULL, err);

	if (r != 0)
		return CLI_RET(r);
	if (!force && !cli_confirm("all stopped containers"))
		return 125;
	r = system_prune_containers(e, &space, err);
	system_reclaimed(space);
	return r;
}

BERTH_CMD(image_prune)
{
	static const char usage[] =
	    "usage: berth image prune [-a|--all] [-f|--force]\n"
	    "  removes the images without a name (-a: every image) that no container uses";
	bool force = false, all = false;
	uint64_t space = 0;
	int r = system_prune_opts(argc, argv, usage, "berth image prune", &force, &all, NULL, err);

	if (r != 0)
		return CLI_RET(r);
	if (!force && !cli_confirm(all ? "all images without at least one container associated "
	                                 "to them"
	                               : "all dangling images"))
		return 125;
	r = system_prune_images(e, all, &space, err);
	system_reclaimed(space);
	return r;
}

static int system_prune(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	static const char usage[] =
	    "usage: berth system prune [-a|--all] [-f|--force]\n"
	    "  removes the stopped containers, the networks no container uses and the images\n"
	    "  without a name (-a: every image no container uses)";
	bool force = false, all = false, volumes = false;
	uint64_t space = 0, s2 = 0;
	char **names;
	size_t n;
	int r =
	    system_prune_opts(argc, argv, usage, "berth system prune", &force, &all, &volumes, err);

	if (r != 0)
		return CLI_RET(r);
	if (volumes)
		return berth_error(err, 0, "--volumes: system prune does not remove volumes yet");
	if (!force &&
	    !cli_confirm(all ? "all stopped containers, all networks not used by at least one "
	                       "container, all images without at least one container associated "
	                       "to them"
	                     : "all stopped containers, all networks not used by at least one "
	                       "container, all dangling images"))
		return 125;
	if (system_prune_containers(e, &space, err) < 0)
		return -1;
	if (network_prune(e, &names, &n, err) < 0)
		return -1;
	if (n)
		printf("Deleted Networks:\n");
	for (size_t i = 0; i < n; i++) {
		puts(names[i]);
		free(names[i]);
	}
	if (n)
		putchar('\n');
	free(names);
	r = system_prune_images(e, all, &s2, err);
	system_reclaimed(space + s2);
	return r;
}

/* "11.63MB (70%)" */
static void system_reclaimable(uint64_t part, uint64_t total, char *out, size_t size)
{
	char sz[32];

	system_size(part, sz, sizeof(sz));
	if (total)
		snprintf(out, size, "%s (%d%%)", sz, (int)(part * 100 / total));
	else
		snprintf(out, size, "%s", sz);
}

/* system df -v: Docker's sections for images and containers */
static int system_df_verbose(struct engine *e, berth_error_t *err)
{
	struct system_df_image *im;
	struct ctr_info *c;
	size_t ni, nc;

	if (system_df_images(e, &im, &ni, err) < 0)
		return -1;
	printf("Images space usage:\n\n%-40s %-14s %-14s %-16s %-9s %-13s %-13s %s\n", "REPOSITORY",
	       "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS");
	for (size_t i = 0; i < ni; i++) {
		char repo[256], ago[64], sz[32], sh[32], un[32];
		const char *tag = "<none>", *colon;
		snprintf(repo, sizeof(repo), "%s", im[i].name ? im[i].name : "<none>");
		colon = strrchr(repo, ':');
		if (im[i].name && colon && !strchr(colon, '/')) {
			repo[colon - repo] = '\0';
			tag = im[i].name + (colon - repo) + 1;
		}
		cli_ago(im[i].created, ago, sizeof(ago));
		system_size(im[i].size, sz, sizeof(sz));
		system_size(im[i].shared, sh, sizeof(sh));
		system_size(im[i].size - im[i].shared, un, sizeof(un));
		printf("%-40s %-14s %-14.12s %-22s %-9s %-13s %-13s %zu\n", repo, tag, im[i].id,
		       ago, sz, sh, un, im[i].containers);
	}
	system_df_images_free(im, ni);
	if (ctr_get_all(e, &c, &nc, err) < 0)
		return -1;
	printf("\nContainers space usage:\n\n%-14s %-20s %-22s %-9s %-22s %-28s %s\n",
	       "CONTAINER ID", "IMAGE", "COMMAND", "SIZE", "CREATED", "STATUS", "NAMES");
	for (size_t i = 0; i < nc; i++) {
		char cmd[64], sz[32], ago[64], st[96];
		snprintf(cmd, sizeof(cmd), "\"%.19s%s\"", c[i].command ? c[i].command : "",
		         c[i].command && strlen(c[i].command) > 19 ? "…" : "");
		system_size(ctr_disk_size(e, c[i].id), sz, sizeof(sz));
		cli_ago(c[i].created ? c[i].created : "", ago, sizeof(ago));
		cli_ps_status(&c[i], st, sizeof(st));
		printf("%-14.12s %-20s %-22s %-9s %-22s %-28s %s\n", c[i].id,
		       c[i].image ? c[i].image : "", cmd, sz, ago, st, c[i].name ? c[i].name : "");
	}
	ctr_infos_free(c, nc);
	printf("\nBuild cache usage: 0B\n");
	return 0;
}

static int system_df_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	static const char usage[] =
	    "usage: berth system df [-v|--verbose] [--format json]\n"
	    "  the images (a layer shared counts once) and the containers (their writable\n"
	    "  layers): how many, how many used or running, their size, what prune would free";
	static const struct option lo[] = {
	    {"format", required_argument, NULL, 'F'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct system_df d;
	bool json = false, verbose = false;
	int c;
	struct {
		const char *type;
		size_t total, active;
		uint64_t size, reclaimable;
		bool pct;
	} rows[3];

	while ((c = cli_getopt(argc, argv, "vh", lo, usage, err)) != -1) {
		if (c == 'v')
			verbose = true;
		else if (c == 'F' && strcmp(optarg, "json") == 0)
			json = true;
		else if (c == 'F')
			return berth_error(err, 0, "bad --format `%s`: expected json", optarg);
		else
			return CLI_RET(c);
	}
	if (optind != argc)
		return berth_error(err, 0, "unexpected argument `%s` (berth system df --help)",
		                   argv[optind]);
	if (verbose && json)
		return berth_error(err, 0, "-v and --format json: give one");
	if (verbose)
		return system_df_verbose(e, err);
	if (system_df(e, &d, err) < 0)
		return -1;
	rows[0].type = "Images";
	rows[0].total = d.images;
	rows[0].active = d.images_active;
	rows[0].size = d.images_size;
	rows[0].reclaimable = d.images_reclaimable;
	rows[0].pct = true;
	rows[1].type = "Containers";
	rows[1].total = d.ctrs;
	rows[1].active = d.ctrs_active;
	rows[1].size = d.ctrs_size;
	rows[1].reclaimable = d.ctrs_reclaimable;
	rows[1].pct = true;
	rows[2].type = "Build Cache";
	rows[2].total = rows[2].active = 0;
	rows[2].size = rows[2].reclaimable = 0;
	rows[2].pct = false;
	if (!json)
		printf("%-15s %-9s %-9s %-9s %s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE",
		       "RECLAIMABLE");
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		char sz[32], rec[64];
		system_size(rows[i].size, sz, sizeof(sz));
		system_reclaimable(rows[i].reclaimable, rows[i].pct ? rows[i].size : 0, rec,
		                   sizeof(rec));
		if (json)
			printf("{\"Active\":\"%zu\",\"Reclaimable\":\"%s\",\"Size\":\"%s\","
			       "\"TotalCount\":\"%zu\",\"Type\":\"%s\"}\n",
			       rows[i].active, rec, sz, rows[i].total, rows[i].type);
		else
			printf("%-15s %-9zu %-9zu %-9s %s\n", rows[i].type, rows[i].total,
			       rows[i].active, sz, rec);
	}
	return 0;
}

/* characters (not bytes) of UTF-8 text */
static int system_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* Docker's CREATED BY: cut to 45 characters, the last "…" */
static void system_ellipsis(const char *s, char *out, size_t size)
{
	int chars = 0;
	size_t i;

	if (system_width(s) <= 45) {
		snprintf(out, size, "%s", s);
		return;
	}
	for (i = 0; s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && ++chars > 44)
			break;
	snprintf(out, size, "%.*s…", (int)i, s);
}

BERTH_CMD(image_history)
{
	static const char usage[] =
	    "usage: berth image history [--no-trunc] [-q|--quiet] [--format json|TEMPLATE] IMAGE\n"
	    "  a row per entry of the image config's history, newest first (without one, a row\n"
	    "  per layer); --format json: an array of {id, created, created_by, size, comment}";
	static const struct option lo[] = {
	    {"no-trunc", no_argument, NULL, 'T'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	bool notrunc = false, quiet = false, json = false;
	const char *tmpl = NULL;
	struct image_history_row *v;
	size_t n;
	int c;

	while ((c = cli_getopt(argc, argv, "qh", lo, usage, err)) != -1) {
		if (c == 'T')
			notrunc = true;
		else if (c == 'q')
			quiet = true;
		else if (c == 'F' && strcmp(optarg, "json") == 0)
			json = true;
		else if (c == 'F' && strncmp(optarg, "table", 5) == 0)
			return berth_error(err, 0,
			                   "bad --format `%s`: expected json or a template "
			                   "({{.created_by}}); table formats are not supported",
			                   optarg);
		else if (c == 'F')
			tmpl = optarg;
		else
			return CLI_RET(c);
	}
	if (argc - optind != 1)
		return berth_error(err, 0, "expected one IMAGE (berth image history --help)");
	if (image_history(e, argv[optind], &v, &n, err) < 0)
		return -1;
	if (json || tmpl) {
		char *t = image_history_json(v, n), *f = NULL;
		int r = tmpl ? template_render_each("--format", tmpl, t, &f, err) : 0;
		if (r == 0)
			fputs(tmpl ? f : t, stdout);
		if (r == 0 && !tmpl)
			putchar('\n');
		free(t);
		free(f);
		image_history_free(v, n);
		return r;
	}
	if (!quiet)
		printf("%-*s   %-14s   %-45s   %-9s %s\n", notrunc ? 71 : 12, "IMAGE", "CREATED",
		       "CREATED BY", "SIZE", "COMMENT");
	for (size_t i = 0; i < n; i++) {
		char id[80], ago[64], by[256], sz[32];
		const char *b = v[i].created_by;
		if (v[i].id)
			snprintf(id, sizeof(id), notrunc ? "sha256:%s" : "%.12s", v[i].id);
		else
			snprintf(id, sizeof(id), "<missing>");
		if (quiet) {
			puts(id);
			continue;
		}
		cli_ago(v[i].created, ago, sizeof(ago));
		cli_size(v[i].size, sz, sizeof(sz));
		if (!notrunc) {
			system_ellipsis(v[i].created_by, by, sizeof(by));
			b = by;
		}
		printf("%-*s   %-14s   %s%*s   %-9s %s\n", notrunc ? 71 : 12, id, ago, b,
		       system_width(b) < 45 ? 45 - system_width(b) : 0, "", sz, v[i].comment);
	}
	image_history_free(v, n);
	return 0;
}

/* go-units' BytesSize: binary units, four digits ("3.84GiB") */
static void system_bytes(uint64_t n, char *out, size_t size)
{
	cli_human(n, true, 4, out, size);
}

static int system_info_cmd(struct engine *e, int argc, char **argv, berth_error_t *err)
{
	static const char usage[] =
	    "usage: berth info [--format json|TEMPLATE]\n"
	    "  the containers and images, and the host as berth uses it; --format json: Docker's\n"
	    "  keys (Containers, ContainersRunning, NCPU, MemTotal, …)";
	static const struct option lo[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct system_info in;
	const char *fmt = NULL;
	char mem[32];
	int c;

	while ((c = cli_getopt(argc, argv, "f:h", lo, usage, err)) != -1) {
		if (c == 'F' || c == 'f')
			fmt = optarg;
		else
			return CLI_RET(c);
	}
	if (optind != argc)
		return berth_error(err, 0, "unexpected argument `%s` (berth info --help)",
		                   argv[optind]);
	if (fmt && strncmp(fmt, "table", 5) == 0)
		return berth_error(err, 0, "bad --format `%s`: expected json or a template", fmt);
	if (system_info(e, &in, err) < 0)
		return -1;
	if (fmt) {
		char *t = system_info_json(&in), *a, *f = NULL;
		int r = 0;
		if (strcmp(fmt, "json") == 0) {
			puts(t);
		} else {
			a = xasprintf("[%s]", t);
			r = template_render_each("--format", fmt, a, &f, err);
			if (r == 0)
				fputs(f, stdout);
			free(a);
		}
		free(t);
		free(f);
		return r;
	}
	system_bytes(in.memory, mem, sizeof(mem));
	printf("Containers: %zu\n Running: %zu\n Paused: %zu\n Stopped: %zu\nImages: %zu\n"
	       "Server Version: %s\nStorage Driver: overlay\nCgroup Driver: cgroupfs\n"
	       "Cgroup Version: %d (%s)\nKernel Version: %s\nOperating System: %s\n"
	       "OSType: linux\nArchitecture: %s\nCPUs: %ld\nTotal Memory: %s\nRoot Dir: %s\n"
	       "Default Runtime: berth-runtime\nDefault Network: berth (bridge berth0)\n",
	       in.containers, in.running, in.paused, in.stopped, in.images, BERTH_VERSION,
	       in.cgroup_version, in.cgroup_layout, in.kernel, in.os, in.arch, in.cpus, mem,
	       in.root);
	return 0;
}

BERTH_CMD(info)
{
	return system_info_cmd(e, argc, argv, err);
}

BERTH_CMD(system)
{
	static const char usage[] = "usage: berth system df|prune|info …";

	if (argc < 2)
		return berth_error(err, 0, "%s", usage);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		puts(usage);
		return 0;
	}
	if (strcmp(argv[1], "df") == 0)
		return system_df_cmd(e, argc - 1, argv + 1, err);
	if (strcmp(argv[1], "prune") == 0)
		return system_prune(e, argc - 1, argv + 1, err);
	if (strcmp(argv[1], "info") == 0)
		return system_info_cmd(e, argc - 1, argv + 1, err);
	return berth_error(err, 0, "unknown system command `%s` (%s)", argv[1], usage);
}
