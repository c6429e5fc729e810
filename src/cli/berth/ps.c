/* SPDX-License-Identifier: MIT */
/* berth ps [-a] [--format json|TEMPLATE] */
#include "commands.h"
#include "engine/engine.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char ps_usage[] =
    "usage: berth ps [-a] [--format json|TEMPLATE]\n"
    "  --format TEMPLATE  a Go template over each container of `--format json`: {{.name}}";

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
		printf("%-14s %-20s %-24s %-22s %-16s %-24s %s\n", "ID", "IMAGE", "COMMAND",
		       "STATUS", "ADDRESS", "PORTS", "NAME");
		for (size_t i = 0; i < k; i++) {
			const struct ctr_info *c = &shown[i];
			char status[40];
			if (c->status == CTR_EXITED && c->has_exit_code)
				snprintf(status, sizeof(status), "Exited (%d)", c->exit_code);
			else if (c->status == CTR_EXITED)
				snprintf(status, sizeof(status), "Exited (unknown)");
			else
				snprintf(status, sizeof(status), "%s", ctr_status_name(c->status));
			printf("%-14.12s %-20.20s %-24.24s %-22s %-16s %-24s %s\n", c->id,
			       c->image ?: "", c->command ?: "", status, c->ip ?: "",
			       c->ports ?: "", c->name ?: "");
		}
	}
	ctr_infos_free(shown, n);
	return 0;
}
