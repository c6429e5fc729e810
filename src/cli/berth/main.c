/* SPDX-License-Identifier: MIT */
/* berth: the command a person types. Daemonless, in the manner of Podman: state under
 * --root (default /var/lib/berth). Exit status: the container's for run/start -a/exec,
 * 125 when berth itself fails (as podman). */
#include "commands.h"
#include "engine/engine.h"
#include "log.h"
#include "engine/rootless.h"
#include "timing.h"
#include "util.h"

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
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
    {"create", cmd_create, "make a container without starting it"},
    {"start", cmd_start, "start a created or stopped container"},
    {"restart", cmd_restart, "stop containers and start them again"},
    {"wait", cmd_wait, "wait until containers stop; print their exit codes"},
    {"pause", cmd_pause, "freeze a container's processes"},
    {"unpause", cmd_unpause, "thaw a paused container's processes"},
    {"rename", cmd_rename, "give a container another name"},
    {"top", cmd_top, "list a container's processes"},
    {"healthcheck", cmd_healthcheck, "run a container's health check now (healthcheck run)"},
    {"attach", cmd_attach, "attach to a detached container's output (and stdin)"},
    {"build", cmd_build, "build an image from a Containerfile"},
    {"builder", cmd_builder, "builder prune: empty the build cache"},
    {"images", cmd_images, "list images"},
    {"image", cmd_image, "import, inspect, export, rm images"},
    {"rmi", cmd_rmi, "remove images"},
    {"pull", cmd_pull, "pull an image from a registry"},
    {"push", cmd_push, "push an image to a registry"},
    {"tag", cmd_tag, "give an image another name"},
    {"save", cmd_save, "write images to an oci-archive or docker-archive"},
    {"load", cmd_load, "read images from an archive"},
    {"manifest", cmd_manifest, "create, add to, inspect and push manifest lists"},
    {"login", cmd_login, "keep a registry's credentials"},
    {"logout", cmd_logout, "forget a registry's credentials"},
    {"network", cmd_network, "create, list, inspect, remove networks"},
    {"volume", cmd_volume, "create, list, inspect, remove volumes"},
    {"port", cmd_port, "list a container's published ports"},
    {"cp", cmd_cp, "copy files between a container and the host"},
    {"diff", cmd_diff, "list what changed in a container's filesystem"},
    {"export", cmd_export, "write a container's filesystem as a tar"},
    {"update", cmd_update, "change containers' resource limits and restart policy"},
    {"container", NULL, "the commands above on containers: container ls|rm|run|prune|…"},
    {"system", cmd_system, "df: the disk used; prune: remove what is unused; info"},
    {"info", cmd_info, "the containers, images and host as berth sees them"},
    {"events", cmd_events, "the engine's events: past ones (--since), then new ones"},
    {"bench", cmd_bench, "bench compare: one image native, emulated and VM-backed, measured"},
};

typedef int (*cmd_fn)(struct engine *, int, char **, berth_error_t *);

/* Docker's management forms: `berth container ls` is `berth ps`, `berth image pull` is
 * `berth pull`; and the prunes and history, which have no short form. */
static const struct {
	const char *group, *sub;
	cmd_fn fn;
} subcommands[] = {
    {"container", "ls", cmd_ps},
    {"container", "list", cmd_ps},
    {"container", "ps", cmd_ps},
    {"container", "run", cmd_run},
    {"container", "create", cmd_create},
    {"container", "start", cmd_start},
    {"container", "stop", cmd_stop},
    {"container", "restart", cmd_restart},
    {"container", "kill", cmd_kill},
    {"container", "rm", cmd_rm},
    {"container", "exec", cmd_exec},
    {"container", "inspect", cmd_inspect},
    {"container", "logs", cmd_logs},
    {"container", "stats", cmd_stats},
    {"container", "wait", cmd_wait},
    {"container", "pause", cmd_pause},
    {"container", "unpause", cmd_unpause},
    {"container", "rename", cmd_rename},
    {"container", "top", cmd_top},
    {"container", "attach", cmd_attach},
    {"container", "port", cmd_port},
    {"container", "cp", cmd_cp},
    {"container", "diff", cmd_diff},
    {"container", "export", cmd_export},
    {"container", "update", cmd_update},
    {"container", "prune", cmd_container_prune},
    {"image", "pull", cmd_pull},
    {"image", "push", cmd_push},
    {"image", "tag", cmd_tag},
    {"image", "save", cmd_save},
    {"image", "load", cmd_load},
    {"image", "history", cmd_image_history},
    {"image", "prune", cmd_image_prune},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: berth [--root DIR] COMMAND [ARG…]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "  %-9s %s\n", "vm", "run a RISC-V virtual machine");
}

static bool main_is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* `CMD --help`, or `CMD SUB --help` for the commands with subcommands: asks only for a usage,
 * which every command prints before it touches the store. */
static bool main_help_only(int (*fn)(struct engine *, int, char **, berth_error_t *), int argc,
                           char **argv)
{
	if (argc >= 2 && main_is_help(argv[1]))
		return true;
	return argc >= 3 &&
	       (fn == cmd_image || fn == cmd_network || fn == cmd_manifest || fn == cmd_volume ||
	        fn == cmd_system || fn == cmd_healthcheck || fn == cmd_bench ||
	        fn == cmd_builder) &&
	       main_is_help(argv[2]);
}

/* `berth container --help` (or nothing after it): the container subcommands */
static void main_container_usage(FILE *f)
{
	fprintf(f, "usage: berth container COMMAND [ARG…]\n\ncommands:");
	for (size_t k = 0; k < ARRAY_SIZE(subcommands); k++)
		if (strcmp(subcommands[k].group, "container") == 0)
			fprintf(f, " %s", subcommands[k].sub);
	fputc('\n', f);
}

static int main_run(const char *root, cmd_fn fn, const char *name, int argc, char **argv,
                    char **full_argv)
{
	struct engine e = {.lock_fd = -1};
	cleanup_error berth_error_t err = NULL;
	/* only a command's --help runs without the store (and so without root) */
	bool help = main_help_only(fn, argc, argv);
	int r;

	/* exec too: it joins the container's namespaces in-process, as berth-runtime
	 * exec does */
	if (fn == cmd_run || fn == cmd_start || fn == cmd_restart || fn == cmd_exec ||
	    fn == cmd_build)
		/* as berth-runtime does, the store's root the overlay's second layer (once it
		 * exists); BERTH_SELF: berth's real path */
		util_exec_sealed("berth", "BERTH_SELF", root, false, full_argv);
	/* an ordinary user: its own user namespace, kept by its pause process (rootless.c) */
	if (!help && rootless_active() && rootless_enter(&err) < 0) {
		fprintf(stderr, "berth: %s: %s\n", name, err->msg);
		return 125;
	}
	if (!help && engine_open(&e, root, &err) < 0) {
		fprintf(stderr, "berth: %s\n", err->msg);
		engine_close(&e);
		return 125;
	}
	optind = 1;
	/* as Docker's: everything after run's, create's and exec's IMAGE/NAME belongs to the
	 * container's command, and after top's NAME to ps */
	cli_set_interspersed(
	    !(fn == cmd_run || fn == cmd_create || fn == cmd_exec || fn == cmd_top));
	timing_mark("engine-open");
	r = fn(&e, argc, argv, &err);
	engine_close(&e);
	timing_mark("berth-exit");
	if (r < 0) {
		fprintf(stderr, "berth: %s: %s\n", name, err ? err->msg : "failed");
		return 125;
	}
	return r;
}

/* A usage error of berth itself: one line through berth_error, so that what it quotes has its
 * control characters escaped (a newline in argv is no second line). Status 125. */
__attribute__((format(printf, 1, 2))) static int main_fail(const char *fmt, ...)
{
	berth_error_t err = NULL;
	va_list ap;

	va_start(ap, fmt);
	berth_verror(&err, 0, fmt, ap);
	va_end(ap);
	fprintf(stderr, "berth: %s\n", err->msg);
	berth_error_release(&err);
	return 125;
}

int main(int argc, char **argv)
{
	const char *root = getenv("BERTH_ROOT");
	cleanup_free char *user_root = NULL;
	int i = 1;

	/* Nothing berth's caller left open reaches a container or its runtime code: an fd to a
	 * host directory would be a way out of the container (CVE-2024-21626). */
	util_close_fds_from(3);
	/* BERTH_TIMING (docs/performance.md): twice for run, the second the sealed copy's */
	timing_mark("berth-main");
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
			return main_fail("unknown option `%s` (berth --help)", argv[i]);
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 125;
	}
	if (strcmp(argv[i], "version") == 0) {
		puts("berth version " BERTH_VERSION);
		return 0;
	}
	if (root == NULL && rootless_active()) {
		/* an ordinary user's store: ~/.local/share/berth (help needs none) */
		user_root = rootless_store_dir();
		if (user_root == NULL && !(i + 1 < argc && main_is_help(argv[i + 1])))
			return main_fail(
			    "HOME is not set: no place for your store (give --root DIR)");
		root = user_root ? user_root : "";
	}
	if (root == NULL)
		root = "/var/lib/berth";
	if (strcmp(argv[i], "vm") == 0)
		return cmd_vm(root, argc - i, argv + i);
	if ((strcmp(argv[i], "container") == 0 || strcmp(argv[i], "image") == 0) && i + 1 < argc)
		for (size_t k = 0; k < ARRAY_SIZE(subcommands); k++) {
			char name[64];
			if (strcmp(argv[i], subcommands[k].group) != 0 ||
			    strcmp(argv[i + 1], subcommands[k].sub) != 0)
				continue;
			snprintf(name, sizeof(name), "%s %s", argv[i], argv[i + 1]);
			return main_run(root, subcommands[k].fn, name, argc - i - 1, argv + i + 1,
			                argv);
		}
	if (strcmp(argv[i], "container") == 0) {
		if (i + 1 < argc && main_is_help(argv[i + 1])) {
			main_container_usage(stdout);
			return 0;
		}
		if (i + 1 < argc)
			return main_fail("container: unknown command `%s` (berth container --help)",
			                 argv[i + 1]);
		main_container_usage(stderr);
		return 125;
	}
	for (size_t k = 0; k < ARRAY_SIZE(commands); k++)
		if (commands[k].fn && strcmp(argv[i], commands[k].name) == 0)
			return main_run(root, commands[k].fn, argv[i], argc - i, argv + i, argv);
	return main_fail("unknown command `%s` (berth --help)", argv[i]);
}
