/* SPDX-License-Identifier: MIT */
/* berth: the command a person types. Daemonless, in the manner of Podman: state under
 * --root (default /var/lib/berth). Exit status: the container's for run/start -a/exec,
 * 125 when berth itself fails (as podman). */
#include "commands.h"
#include "container.h"
#include "engine/engine.h"
#include "log.h"
#include "util.h"

#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *name;
	int (*fn)(struct engine *, int, char **, berth_error_t *);
	const char *help;
} commands[] = {
    {"run", cmd_run, "run a command in a new container"},
    {"ps", cmd_ps, "list containers"},
    {"logs", cmd_logs, "show a container's output"},
    {"stop", cmd_stop, "stop a container (SIGTERM, then SIGKILL)"},
    {"kill", cmd_kill, "send a signal to a container"},
    {"rm", cmd_rm, "remove containers"},
    {"exec", cmd_exec, "run a command in a running container"},
    {"inspect", cmd_inspect, "show a container's record and config"},
    {"stats", cmd_stats, "show a container's resource usage"},
    {"start", cmd_start, "start a stopped container again"},
    {"images", cmd_images, "list images"},
    {"image", cmd_image, "import, inspect, export, rm images"},
    {"rmi", cmd_rmi, "remove images"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: berth [--root DIR] COMMAND [ARG…]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "  %-8s %s\n", "vm", "run a RISC-V virtual machine");
}

char *cli_runtime_path(void)
{
	char self[PATH_MAX];
	const char *env = getenv("BERTH_SELF");
	ssize_t n = env ? (ssize_t)snprintf(self, sizeof(self), "%s", env)
	                : readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n < 0 || (size_t)n >= sizeof(self))
		return xstrdup("berth-runtime");
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	return xasprintf("%s/berth-runtime", self);
}

json_t *cli_record(struct engine *e, const char *ref, char **id, berth_error_t *err)
{
	json_t *rec;

	if (ctr_lookup(e, ref, id, err) < 0)
		return NULL;
	if (ctr_load(e, *id, &rec, err) < 0)
		return NULL;
	return rec;
}

int cli_running(struct engine *e, const char *ref, char **id, berth_error_t *err)
{
	json_t *rec = cli_record(e, ref, id, err);
	bool run;

	if (rec == NULL)
		return -1;
	run = ctr_running(rec);
	json_decref(rec);
	return run;
}

const char *cli_state(json_t *rec)
{
	const char *st = json_string_value(json_object_get(rec, "state")) ?: "?";
	if (ctr_running(rec))
		return "running";
	if (strcmp(st, "running") == 0 || strcmp(st, "created") == 0)
		return "exited"; /* the monitor died */
	return st;
}

bool cli_wait_exit(struct engine *e, const char *id, double secs)
{
	long long end = util_now_ns() + (long long)(secs * 1e9);

	do {
		berth_error_t e2 = NULL;
		json_t *rec;
		bool run;
		if (ctr_load(e, id, &rec, &e2) < 0) {
			berth_error_release(&e2);
			return true;
		}
		run = ctr_running(rec);
		json_decref(rec);
		if (!run)
			return true;
		usleep(10000);
	} while (util_now_ns() < end);
	return false;
}

int cli_signal(struct engine *e, const char *id, int sig, berth_error_t *err)
{
	cleanup_free char *rt = ctr_runtime_root(e);
	return container_kill(rt, id, sig, false, err);
}

int main(int argc, char **argv)
{
	const char *root = getenv("BERTH_ROOT") ? getenv("BERTH_ROOT") : "/var/lib/berth";
	struct engine e = {.lock_fd = -1};
	cleanup_error berth_error_t err = NULL;
	int i = 1, r;

	log_set_prog("berth");
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
			root = argv[++i];
		} else if (strncmp(argv[i], "--root=", 7) == 0) {
			root = argv[i] + 7;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0) {
			puts("berth version " BERTH_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--debug") == 0) {
			log_open(NULL, 0, 1);
		} else {
			fprintf(stderr, "berth: unknown option `%s` (berth --help)\n", argv[i]);
			return 125;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 125;
	}
	if (strcmp(argv[i], "vm") == 0)
		return cmd_vm(argc - i, argv + i);
	if (strcmp(argv[i], "version") == 0) {
		puts("berth version " BERTH_VERSION);
		return 0;
	}
	for (size_t k = 0; k < ARRAY_SIZE(commands); k++) {
		if (strcmp(argv[i], commands[k].name) != 0)
			continue;
		if (commands[k].fn == cmd_run || commands[k].fn == cmd_start)
			/* as berth-runtime does; BERTH_SELF: berth's real path */
			util_exec_sealed_self("berth", "BERTH_SELF", argv);
		if (engine_open(&e, root, &err) < 0) {
			fprintf(stderr, "berth: %s\n", err->msg);
			engine_close(&e);
			return 125;
		}
		optind = 1;
		r = commands[k].fn(&e, argc - i, argv + i, &err);
		engine_close(&e);
		if (r < 0) {
			fprintf(stderr, "berth: %s: %s\n", argv[i], err ? err->msg : "failed");
			return 125;
		}
		return r;
	}
	fprintf(stderr, "berth: unknown command `%s` (berth --help)\n", argv[i]);
	return 125;
}
