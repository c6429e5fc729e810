/* SPDX-License-Identifier: MIT */
/* berth: the command a person types. Daemonless, in the manner of Podman: state under
 * --root (default /var/lib/berth). Exit status: the container's for run/start -a/exec,
 * 125 when berth itself fails (as podman). */
#include "commands.h"
#include "engine/engine.h"
#include "log.h"
#include "util.h"

#include <fcntl.h>
#include <getopt.h>
#include <linux/close_range.h>
#include <linux/memfd.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

/* Run from a sealed in-memory copy of our binary before making containers, as
 * berth-runtime does, so that nothing in a container can write to berth's executable
 * through /proc/<pid>/exe (CVE-2019-5736). */
static void main_ensure_sealed_exe(char **argv)
{
	const int seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	extern char **environ;
	cleanup_close int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	cleanup_close int mfd = -1;
	struct stat st;
	int have;

	if (self < 0)
		return;
	have = fcntl(self, F_GET_SEALS);
	if ((have >= 0 && (have & seals) == seals) || fstat(self, &st) < 0)
		return;
	mfd = memfd_create("berth", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return;
	for (off_t off = 0; off < st.st_size;) {
		ssize_t n = sendfile(mfd, self, &off, (size_t)(st.st_size - off));
		if (n <= 0)
			return;
	}
	if (fcntl(mfd, F_ADD_SEALS, seals) < 0)
		return;
	{
		/* where berth-runtime is, for commands that need it */
		char path[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
		if (n > 0) {
			path[n] = '\0';
			setenv("BERTH_SELF", path, 1);
		}
	}
	fexecve(mfd, argv, environ);
	/* could not exec: go on unprotected rather than fail */
}

int main(int argc, char **argv)
{
	const char *root = getenv("BERTH_ROOT") ? getenv("BERTH_ROOT") : "/var/lib/berth";
	struct engine e = {.lock_fd = -1};
	cleanup_error berth_error_t err = NULL;
	int i = 1, r;

	/* Nothing berth's caller left open reaches a container or its runtime code: an fd to a
	 * host directory would be a way out of the container (CVE-2024-21626). */
	if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
		util_cloexec_fds_from(3);
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
		/* exec too: it joins the container's namespaces in-process, as berth-runtime
		 * exec does */
		if (commands[k].fn == cmd_run || commands[k].fn == cmd_start ||
		    commands[k].fn == cmd_exec)
			main_ensure_sealed_exe(argv);
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
