/* SPDX-License-Identifier: MIT */
/* berth-runtime: an OCI runtime with runc's command line. */
#include "runtime.h"
#include "cgroup.h"
#include "log.h"
#include "timing.h"
#include "userns.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

struct runtime_globals runtime_globals = {.root = "/run/berth-runtime"};

static const struct runtime_command runtime_commands[] = {
    {"create", "create a container",
     "[--bundle B] [--pid-file F] [--console-socket S] [--no-pivot] [--preserve-fds N] ID",
     cmd_create},
    {"delete", "delete a container and its resources", "[--force] ID", cmd_delete},
    {"events", "show a container's events and resource statistics", "[--stats] [--interval D] ID",
     cmd_events},
    {"exec", "run a process in a running container",
     "[--process FILE | CMD...] [-t] [--console-socket S] [-d] [--pid-file F] [-e K=V] [--cwd D] "
     "[-u UID[:GID]] [--additional-gids G] [--cap C] [--no-new-privs] [--apparmor P] "
     "[--process-label L] [--preserve-fds N] [--cgroup [CTRL,...:]PATH] ID [CMD...]",
     cmd_exec},
    {"features", "show what this runtime supports (JSON)", "", cmd_features},
    {"kill", "send a signal to a container's init", "[--all] ID [SIGNAL]", cmd_kill},
    {"list", "list containers", "[--format table|json] [--quiet]", cmd_list},
    {"pause", "freeze every process of a container", "ID", cmd_pause},
    {"ps", "list the processes of a container", "[--format table|json] ID [-- PS-OPTIONS]", cmd_ps},
    {"resume", "thaw a paused container", "ID", cmd_resume},
    {"run", "create and start a container",
     "[--bundle B] [--detach] [--keep] [--pid-file F] [--console-socket S] [--no-pivot] "
     "[--preserve-fds N] ID",
     cmd_run},
    {"spec", "write a default config.json", "[--bundle B] [--rootless]", cmd_spec},
    {"start", "run the user process of a created container", "ID", cmd_start},
    {"state", "show a container's state (JSON)", "ID", cmd_state},
    {"update", "change the resource limits of a running container",
     "[-r resources.json] [--memory M] [--memory-swap M] [--cpu-quota Q] [--cpu-period P] "
     "[--cpu-shares S] [--cpuset-cpus C] [--pids-limit N] [--blkio-weight W] ... ID",
     cmd_update},
};

static void runtime_help(FILE *f)
{
	fprintf(f, "usage: berth-runtime [global options] COMMAND [options] [arguments]\n\n"
	           "An OCI runtime (runtime-spec 1.0.0-1.3.x) with runc's command line.\n\n"
	           "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(runtime_commands); i++)
		fprintf(f, "  %-10s %s\n", runtime_commands[i].name, runtime_commands[i].summary);
	fprintf(f, "\nGlobal options:\n"
	           "  --root DIR           state directory (default /run/berth-runtime; not root:\n"
	           "                       $XDG_RUNTIME_DIR/berth-runtime)\n"
	           "  --log FILE           write log lines to FILE (default stderr)\n"
	           "  --log-format FORMAT  text or json\n"
	           "  --debug              log debug lines\n"
	           "  --version, --help\n"
	           "\n`berth-runtime COMMAND --help` describes one command.\n");
}

void runtime_usage(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(runtime_commands); i++)
		if (strcmp(runtime_commands[i].name, name) == 0)
			printf("usage: berth-runtime %s %s\n\n%s\n", name,
			       runtime_commands[i].usage, runtime_commands[i].summary);
}

int runtime_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
                   int (*handle)(int opt, const char *arg, void *ctx, berth_error_t *err),
                   void *ctx, berth_error_t *err)
{
	size_t n = 0;
	struct option *all;
	cleanup_free char *sopts = xasprintf("+:h%s", shortopts);
	int c, idx = 0;

	while (longopts && longopts[n].name)
		n++;
	all = xmalloc0((n + 2) * sizeof(*all));
	if (n > 0)
		memcpy(all, longopts, n * sizeof(*all));
	all[n] = (struct option){"help", no_argument, NULL, 'h'};
	optind = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, sopts, all, &idx)) != -1) {
		if (c == 'h') {
			runtime_usage(argv[0]);
			free(all);
			return -2;
		}
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			free(all);
			if (c == ':')
				return berth_error(err, 0, "%s: option `%s` needs a value", argv[0],
				                   bad);
			return berth_error(err, 0, "%s: unknown option `%s`", argv[0], bad);
		}
		if (handle(c, optarg, ctx, err) < 0) {
			free(all);
			return -1;
		}
	}
	free(all);
	return optind;
}

int runtime_want_args(int argc, char **argv, int first, int min, int max, const char *what,
                      berth_error_t *err)
{
	int n = argc - first;
	(void)argv;
	if (n < min || n > max)
		return berth_error(err, 0, "%s: expected %s, got %d argument%s", argv[0], what, n,
		                   n == 1 ? "" : "s");
	return 0;
}

int runtime_parse_uint(const char *opt, const char *arg, int *out, berth_error_t *err)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v < 0 || v > 65535)
		return berth_error(err, 0, "%s: expected a number from 0 to 65535, got `%s`", opt,
		                   arg);
	*out = (int)v;
	return 0;
}

static bool runtime_needs_sealed_exe(const char *cmd)
{
	return strcmp(cmd, "create") == 0 || strcmp(cmd, "run") == 0 || strcmp(cmd, "exec") == 0;
}

/* cgroup_warm's child, started before the re-exec: its pid goes to the sealed copy in this
 * variable, which the copy unsets at once. */
#define WARM_ENV "_BERTH_RUNTIME_WARM"
static pid_t runtime_warm = -1;

/* exec moves a process into cgroups through cgroup.procs: start the kernel's grace period
 * for it now (cgroup_warm), or take the pid of the child that the process before the re-exec
 * started for it. Not for run and create: their init is cloned into its cgroup2 cgroup and
 * moves itself into its v1 ones, which waits for no grace period, while the child's write
 * would hold cgroup_mutex through one, and their cgroup mkdirs behind it
 * (docs/performance.md). */
static void runtime_warm_start(void)
{
	const char *e = getenv(WARM_ENV);

	if (e != NULL) {
		char *end;
		long v = strtol(e, &end, 10);
		if (*e != '\0' && *end == '\0' && v > 0 && v <= INT_MAX)
			runtime_warm = (pid_t)v;
		unsetenv(WARM_ENV);
		return;
	}
	runtime_warm = cgroup_warm();
	if (runtime_warm > 0) {
		char pid[16];
		snprintf(pid, sizeof(pid), "%d", (int)runtime_warm);
		setenv(WARM_ENV, pid, 1);
	}
}

/* Reap cgroup_warm's child (done by now: the runtime's own cgroup write came after its
 * one), unless `run`'s supervision reaped it already. */
static void runtime_warm_reap(void)
{
	if (runtime_warm > 0)
		while (waitpid(runtime_warm, NULL, 0) < 0 && errno == EINTR)
			;
	runtime_warm = -1;
}

/* A usage error of the runtime: one line through berth_error, so that what it quotes has its
 * control characters escaped (a newline in argv is no second line). Status 1. */
__attribute__((format(printf, 1, 2))) static int runtime_fail(const char *fmt, ...)
{
	berth_error_t err = NULL;
	va_list ap;

	va_start(ap, fmt);
	berth_verror(&err, 0, fmt, ap);
	va_end(ap);
	fprintf(stderr, "berth-runtime: %s\n", err->msg);
	berth_error_release(&err);
	return 1;
}

/* The state root of an ordinary user, as runc's: $XDG_RUNTIME_DIR/berth-runtime, else
 * /run/user/UID/berth-runtime. */
static const char *runtime_rootless_root(void)
{
	static char path[PATH_MAX];
	const char *x = getenv("XDG_RUNTIME_DIR");

	if (x && *x == '/' && strlen(x) < sizeof(path) - 32)
		snprintf(path, sizeof(path), "%s/berth-runtime", x);
	else
		snprintf(path, sizeof(path), "/run/user/%u/berth-runtime", (unsigned)geteuid());
	return path;
}

int main(int argc, char **argv)
{
	static const struct option globals[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"log", required_argument, NULL, 'l'},
	    {"log-format", required_argument, NULL, 'f'},
	    {"debug", no_argument, NULL, 'd'},
	    {"systemd-cgroup", no_argument, NULL, 's'},
	    {"rootless", required_argument, NULL, 'R'},
	    {"criu", required_argument, NULL, 'c'},
	    {"version", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	berth_error_t err = NULL;
	int c, r;
	const char *cmd;
	bool root_given = false;

	timing_mark("main");
	log_set_prog("berth-runtime");
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, "+:hv", globals, NULL)) != -1) {
		switch (c) {
		case 'r':
			runtime_globals.root = optarg;
			root_given = true;
			break;
		case 'l':
			runtime_globals.log = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0)
				return runtime_fail("--log-format: expected text or json, got `%s`",
				                    optarg);
			runtime_globals.log_format = optarg;
			break;
		case 'd':
			runtime_globals.debug = true;
			break;
		case 's':
		case 'R':
		case 'c':
			break; /* accepted for compatibility; cgroupfs is always used */
		case 'v':
			printf("berth-runtime version %s\nspec: 1.3.0\n", BERTH_VERSION);
			return 0;
		case 'h':
			runtime_help(stdout);
			return 0;
		case ':':
			return runtime_fail("option `%s` needs a value", argv[optind - 1]);
		default:
			return runtime_fail("unknown global option `%s`", argv[optind - 1]);
		}
	}
	/* as runc: an ordinary user's, or root's in a user namespace with XDG_RUNTIME_DIR set
	 * (rootless Podman runs the runtime so) */
	if (!root_given && (geteuid() != 0 || (userns_in_child_ns() && getenv("XDG_RUNTIME_DIR") &&
	                                       *getenv("XDG_RUNTIME_DIR"))))
		runtime_globals.root = runtime_rootless_root();
	if (optind >= argc) {
		runtime_help(stderr);
		return 1;
	}
	cmd = argv[optind];
	if (runtime_needs_sealed_exe(cmd)) {
		if (strcmp(cmd, "exec") == 0)
			runtime_warm_start();
		/* the state root is the overlay's second layer (as runc's) */
		util_exec_sealed("berth-runtime", NULL, runtime_globals.root,
		                 strcmp(cmd, "exec") != 0, argv);
		unsetenv(WARM_ENV);
	}
	if (log_open(runtime_globals.log,
	             runtime_globals.log_format && strcmp(runtime_globals.log_format, "json") == 0,
	             runtime_globals.debug) < 0) {
		return runtime_fail("--log `%s`: %s", runtime_globals.log, strerror(errno));
	}
	for (size_t i = 0; i < ARRAY_SIZE(runtime_commands); i++) {
		if (strcmp(runtime_commands[i].name, cmd) != 0)
			continue;
		r = runtime_commands[i].run(argc - optind, argv + optind, &err);
		runtime_warm_reap();
		timing_mark("exit");
		if (r == -2)
			return 0; /* --help */
		if (r < 0)
			return berth_error_print(&err, "berth-runtime");
		return r;
	}
	return runtime_fail("unknown command `%s` (see berth-runtime --help)", cmd);
}
