/* SPDX-License-Identifier: MIT */
#include "init.h"
#include "cgroup.h"
#include "exec.h"
#include "hooks.h"
#include "idmap.h"
#include "log.h"
#include "process.h"
#include "rootfs.h"
#include "seccomp.h"
#include "sync.h"
#include "terminal.h"
#include "timing.h"
#include "userns.h"
#include "util.h"

#include <errno.h>
#include <net/if.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Report err to the runtime and die. */
__attribute__((noreturn)) static void init_fail(int sync_fd, berth_error_t *err)
{
	berth_error_t ignored = NULL;
	sync_send(sync_fd, SYNC_ERROR, (*err)->status, (*err)->msg, &ignored);
	_exit(1);
}

/* Join every namespace given by path: the user namespace first, so that we hold
 * capabilities over the ones it owns. */
static int init_join_namespaces(const struct config *c, berth_error_t *err)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < c->linux_.n_namespaces; i++) {
			const struct config_namespace *ns = &c->linux_.namespaces[i];
			bool user = ns->type == CONFIG_NS_USER;
			cleanup_close int fd = -1;

			if (ns->path == NULL || (pass == 0) != user)
				continue;
			fd = open(ns->path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return berth_error(err, errno, "linux.namespaces[%zu]: open `%s`",
				                   i, ns->path);
			if (setns(fd, config_ns_clone_flag(ns->type)) < 0)
				return berth_error(
				    err, errno, "linux.namespaces[%zu]: join the %s namespace `%s`",
				    i, config_ns_name(ns->type), ns->path);
		}
	}
	return 0;
}

/* The namespaces stage 1 makes: all the new ones but the user namespace (made first, on its
 * own) and the cgroup namespace (made by the init once it is in its cgroup, whose root the
 * namespace's root then is: init_wait_cgroup). */
static int init_new_ns_flags(const struct config *c, bool *new_user)
{
	int flags = 0;
	*new_user = false;
	for (size_t i = 0; i < c->linux_.n_namespaces; i++) {
		const struct config_namespace *ns = &c->linux_.namespaces[i];
		if (ns->path != NULL || ns->type == CONFIG_NS_CGROUP)
			continue;
		if (ns->type == CONFIG_NS_USER)
			*new_user = true;
		else
			flags |= config_ns_clone_flag(ns->type);
	}
	return flags;
}

/* The init's wait for SYNC_GO: the runtime has put it in its cgroup (stage 1 forked it
 * before, so that the init sets up its mounts while the runtime's write to cgroup.procs
 * waits for the kernel). Then a new cgroup namespace, rooted at that cgroup. Once. */
struct init_go {
	int sync_fd;
	bool new_cgroupns;
	bool made;        /* SYNC_CGROUP received */
	bool done;        /* SYNC_GO received */
	char *state_json; /* the GO's payload: the state document for hooks and a listener */
};

/* SYNC_CGROUP: the cgroup's directories exist, a bind of them can be made */
static int init_wait_made(struct init_go *g, berth_error_t *err)
{
	struct sync_msg m;

	if (g->made)
		return 0;
	if (sync_expect(g->sync_fd, SYNC_CGROUP, &m, err) < 0)
		return -1;
	free(m.payload);
	g->made = true;
	return 0;
}

static int init_wait_cgroup(void *arg, berth_error_t *err)
{
	struct init_go *g = arg;
	struct sync_msg m;

	if (g->done)
		return 0;
	if (init_wait_made(g, err) < 0 || sync_expect(g->sync_fd, SYNC_GO, &m, err) < 0)
		return -1;
	g->done = true;
	g->state_json = m.payload;
	timing_mark("init-go");
	if (g->new_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
		return berth_error(err, errno, "unshare the cgroup namespace");
	return 0;
}

/* Before a cgroup mount: a fresh one (in a new cgroup namespace) shows the namespace's root,
 * which must be the container's cgroup; a bind of the container's cgroup needs only its
 * directories. */
static int init_before_cgroup_mount(void *arg, berth_error_t *err)
{
	struct init_go *g = arg;
	return g->new_cgroupns ? init_wait_cgroup(g, err) : init_wait_made(g, err);
}

static int init_time_offsets(const struct config *c, berth_error_t *err)
{
	char buf[256];
	size_t len = 0;

	if (c->linux_.n_time_offsets == 0)
		return 0;
	for (size_t i = 0; i < c->linux_.n_time_offsets; i++) {
		const struct config_time_offset *t = &c->linux_.time_offsets[i];
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s %lld %u\n", t->clock,
		                        (long long)t->secs, t->nanosecs);
		if (len >= sizeof(buf))
			return berth_error(err, E2BIG, "linux.timeOffsets");
	}
	return util_write_file("/proc/self/timens_offsets", buf, err);
}

static bool init_has_new_ns(const struct config *c, enum config_ns_type t)
{
	int i = config_find_namespace(c, t);
	return i >= 0;
}

/* Bring up `lo` of a new network namespace, as runc and crun do. */
static int init_loopback_up(berth_error_t *err)
{
	struct ifreq ifr = {.ifr_name = "lo"};
	cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return berth_error(err, errno, "bring up `lo`: socket");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return berth_error(err, errno, "bring up `lo`: SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return berth_error(err, errno, "bring up `lo`: SIOCSIFFLAGS");
	return 0;
}

/* Wait for `start`: the open blocks until it opens the fifo's read end. Returns the fd.
 * The O_PATH fifo fd is reopened through fds, this process's /proc/<pid>/fd opened before
 * the pivot, so that neither a container without /proc nor a mount over its /proc matters. */
static int init_wait_start(int fds, int fifo_fd)
{
	char name[16];
	struct stat want, got;
	int fd;

	snprintf(name, sizeof(name), "%d", fifo_fd);
	do
		fd = openat(fds, name, O_WRONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	/* it must be exec.fifo that opened, nothing that took its place */
	if (fd >= 0 &&
	    (fstat(fifo_fd, &want) < 0 || fstat(fd, &got) < 0 || !S_ISFIFO(got.st_mode) ||
	     got.st_ino != want.st_ino || got.st_dev != want.st_dev)) {
		close(fd);
		fd = -1;
		errno = EBADF;
	}
	close(fifo_fd);
	close(fds);
	return fd;
}

/* After start: report to `start` through the fifo (or to `run` over the sync socket, when
 * there is no fifo), then die. */
__attribute__((noreturn)) static void init_fail_started(const struct init_args *a, int fd,
                                                        berth_error_t *err)
{
	berth_error_t ignored = NULL;

	if (a->fifo_fd < 0 && fd >= 0)
		sync_send(fd, SYNC_ERROR, 0, (*err)->msg, &ignored);
	else if (fd >= 0)
		util_write_all(fd, (*err)->msg, strlen((*err)->msg));
	else
		fprintf(stderr, "berth-runtime: %s\n", (*err)->msg);
	_exit(127);
}

/* A new user namespace without uid/gid mappings, entered once everything else is set up.
 * Nothing is mapped in it, so it could own nothing the container needs: a filesystem mounted
 * in it refuses to create a file for our (unmapped) ids (EOVERFLOW), and a namespace it owned
 * could only be set up with ids it does not have. So the other namespaces, the mounts and
 * the devices are made as without a user namespace, and the process enters this one just
 * before it drops its capabilities: its ids stay ours, shown as 65534 inside, and
 * execve(2) does not treat it as root (uid 0 is not mapped). */
static int init_unmapped_userns(berth_error_t *err)
{
	if (unshare(CLONE_NEWUSER) < 0)
		return berth_error(err, errno, "unshare the user namespace");
	return 0;
}

__attribute__((noreturn)) static void init_stage2(const struct init_args *a)
{
	const struct config *c = a->config;
	const struct config_process *p = &c->process;
	struct rootfs_opts ro = {0};
	struct init_go go = {.sync_fd = a->sync_fd, .made = a->cgroup_made_seen};
	struct sync_msg m;
	berth_error_t err = NULL;
	const char *state_json = NULL;
	cleanup_free char *exe = NULL;
	char **env;
	int fifo, fds;
	int slave = -1;
	const struct seccomp_program *scmp = NULL;
	int scmp_listener = -1;

	sigset_t none;

	/* the process starts with no signal blocked, as under runc: `berth run` and `run`
	 * block SIGCHLD until they supervise it, and a shell that inherits the block waits
	 * forever for its background jobs */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	fds = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fds < 0) {
		berth_error(&err, errno, "open `/proc/self/fd`");
		init_fail(a->sync_fd, &err);
	}
	/* compiled by the runtime before the fork (a bad profile fails create); loaded as late
	 * as it can be */
	scmp = a->scmp;
	if (scmp && seccomp_prepare(&c->linux_.seccomp, scmp, &scmp_listener, &err) < 0)
		init_fail(a->sync_fd, &err);
	ro.rootfs = a->rootfs;
	ro.no_pivot = a->no_pivot;
	ro.userns = config_find_namespace(c, CONFIG_NS_USER) >= 0 && !config_userns_unmapped(c);
	ro.new_cgroupns = init_has_new_ns(c, CONFIG_NS_CGROUP);
	ro.cgroup_path = a->cgroup_path;
	ro.cgroup_host = a->cgroup_host;
	ro.new_netns = init_has_new_ns(c, CONFIG_NS_NETWORK);
	ro.bind_fds = a->bind_fds;
	go.new_cgroupns =
	    config_find_namespace(c, CONFIG_NS_CGROUP) >= 0 &&
	    c->linux_.namespaces[config_find_namespace(c, CONFIG_NS_CGROUP)].path == NULL;
	ro.before_cgroup = init_before_cgroup_mount;
	ro.before_cgroup_arg = &go;

	timing_mark("init-start");
	if (rootfs_prepare(c, &ro, &err) < 0)
		init_fail(a->sync_fd, &err);
	timing_mark("init-mounts");
	for (size_t i = 0; a->bind_fds && i < c->n_mounts; i++)
		if (a->bind_fds[i] >= 0)
			close(a->bind_fds[i]);
	/* a new cgroup namespace before any hook; hooks in the container's cgroup */
	if ((go.new_cgroupns || c->has_hooks) && init_wait_cgroup(&go, &err) < 0)
		init_fail(a->sync_fd, &err);
	state_json = go.state_json;
	/* prestart and createRuntime run in the runtime's namespaces */
	if (c->hooks.n_prestart + c->hooks.n_create_runtime > 0) {
		if (sync_send(a->sync_fd, SYNC_HOOKS, 0, NULL, &err) < 0)
			_exit(1);
		if (sync_expect(a->sync_fd, SYNC_ACK, &m, &err) < 0)
			_exit(1);
		free(m.payload);
	}
	if (c->has_hooks && hooks_run(c->hooks.create_container, c->hooks.n_create_container,
	                              "createContainer", state_json, &err) < 0)
		init_fail(a->sync_fd, &err);
	if (p->cwd) {
		cleanup_close int rfd = open(a->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		int cfd = rfd < 0 ? -1 : util_mkdir_in_root(rfd, p->cwd, 0755, &err);
		if (cfd < 0) {
			if (err == NULL)
				berth_error(&err, errno, "open `%s`", a->rootfs);
			berth_error_prefix(&err, "process.cwd");
			init_fail(a->sync_fd, &err);
		}
		close(cfd);
	}
	if (rootfs_pivot(c, &ro, &err) < 0)
		init_fail(a->sync_fd, &err);
	timing_mark("init-pivot");
	if (p->terminal) {
		int master;
		if (terminal_open_pty(&master, &slave,
		                      p->has_console_size ? p->console_size.height : 0,
		                      p->has_console_size ? p->console_size.width : 0, &err) < 0 ||
		    rootfs_mount_console(slave, &err) < 0 ||
		    terminal_send_fd(a->console_fd, master, "/dev/ptmx", &err) < 0)
			init_fail(a->sync_fd, &err);
		close(master);
		close(a->console_fd);
	}
	if (rootfs_finalize(c, &ro, &err) < 0)
		init_fail(a->sync_fd, &err);
	timing_mark("init-finalize");
	if (c->hostname && sethostname(c->hostname, strlen(c->hostname)) < 0) {
		berth_error(&err, errno, "hostname: sethostname `%s`", c->hostname);
		init_fail(a->sync_fd, &err);
	}
	if (c->domainname && setdomainname(c->domainname, strlen(c->domainname)) < 0) {
		berth_error(&err, errno, "domainname: setdomainname `%s`", c->domainname);
		init_fail(a->sync_fd, &err);
	}
	if (p->terminal) {
		if (terminal_make_controlling(slave, &err) < 0)
			init_fail(a->sync_fd, &err);
		close(slave);
	}
	/* nothing of the container's runs before the init is in its cgroup */
	if (init_wait_cgroup(&go, &err) < 0)
		init_fail(a->sync_fd, &err);
	state_json = go.state_json;
	if (process_set_oom_score_adj(p, &err) < 0 || process_apply_rlimits(p, &err) < 0 ||
	    process_apply_sched(p, &err) < 0 || process_apply_mempolicy(&c->linux_, &err) < 0)
		init_fail(a->sync_fd, &err);
	if (exec_apply_labels(p, &err) < 0) /* AppArmor, SELinux: where the host has them */
		init_fail(a->sync_fd, &err);
	if (config_userns_unmapped(c) && init_unmapped_userns(&err) < 0)
		init_fail(a->sync_fd, &err);
	/* without no_new_privs loading needs CAP_SYS_ADMIN: before dropping it, as runc does */
	if (scmp && !p->no_new_privileges &&
	    seccomp_install(scmp, &c->linux_.seccomp, &scmp_listener, state_json, &err) < 0)
		init_fail(a->sync_fd, &err);
	if (process_set_identity(p, process_setgroups_denied(), config_userns_unmapped(c), &err) <
	    0)
		init_fail(a->sync_fd, &err);
	if (process_enter_cwd(p->cwd, &err) < 0)
		init_fail(a->sync_fd, &err);
	if (process_find_executable(p, &exe, &err) < 0)
		init_fail(a->sync_fd, &err);
	{
		size_t n_extra = 0;
		while (a->extra_env && a->extra_env[n_extra])
			n_extra++;
		env = process_build_env(p, a->extra_env, n_extra);
	}

	timing_mark("init-ready");
	if (a->fifo_fd < 0) {
		/* `run` without exec.fifo: on to the exec, whose closing of the sync socket tells
		 * the runtime, which takes an error on it instead */
		close(fds);
		fifo = a->sync_fd;
	} else {
		if (sync_send(a->sync_fd, SYNC_READY, 0, NULL, &err) < 0)
			_exit(1);
		if (sync_expect(a->sync_fd, SYNC_ACK, &m, &err) < 0)
			_exit(1);
		free(m.payload);
		close(a->sync_fd);
		fifo = init_wait_start(fds, a->fifo_fd);
		if (fifo < 0) {
			berth_error(&err, errno, "open exec.fifo");
			init_fail_started(a, -1, &err);
		}
		/* the first byte tells `start` that we are here; anything after it is an error
		 */
		if (util_write_all(fifo, "0", 1) < 0)
			_exit(127);
	}
	if (c->has_hooks && hooks_run(c->hooks.start_container, c->hooks.n_start_container,
	                              "startContainer", state_json, &err) < 0)
		init_fail_started(a, fifo, &err);
	for (int fd = 3; fd < 3 + a->preserve_fds; fd++)
		fcntl(fd, F_SETFD, 0);
	util_cloexec_fds_from(3 + a->preserve_fds);
	if (scmp && p->no_new_privileges &&
	    seccomp_install(scmp, &c->linux_.seccomp, &scmp_listener, state_json, &err) < 0)
		init_fail_started(a, fifo, &err);
	timing_mark("init-exec");
	execve(exe, p->args, env);
	berth_error(&err, errno, "exec `%s`", exe);
	init_fail_started(a, fifo, &err);
}

/* Before anything else: nothing the caller (or the runtime) holds open may reach the
 * container but --preserve-fds. A directory fd would let process.cwd, a mount source or a
 * hook reach the host through /proc/self/fd/N. */
static void init_close_inherited(const struct init_args *a)
{
	int keep[5 + CGROUP_MAX_HIERARCHIES] = {a->sync_fd, a->fifo_fd, a->console_fd, log_fd(),
	                                        timing_fd()};
	size_t n_keep = 5;
	int r;
	berth_error_t err = NULL;

	for (size_t i = 0; i < a->n_cgroup_fds && i < CGROUP_MAX_HIERARCHIES; i++)
		keep[n_keep++] = a->cgroup_fds[i];
	r = util_close_fds_except(3 + a->preserve_fds, keep, n_keep);

	if (r < 0) {
		berth_error(&err, -r, "close the inherited file descriptors");
		init_fail(a->sync_fd, &err);
	}
}

bool init_can_direct(const struct config *c)
{
	/* root in a user namespace (rootless Podman) may not setns back to its pid namespace,
	 * owned by the user namespace above */
	if (userns_in_child_ns())
		return false;
	for (size_t i = 0; i < c->linux_.n_namespaces; i++) {
		const struct config_namespace *ns = &c->linux_.namespaces[i];
		if (ns->path != NULL || ns->type == CONFIG_NS_TIME ||
		    (ns->type == CONFIG_NS_USER && !config_userns_unmapped(c)))
			return false;
	}
	return true;
}

/* The v1 directories made by the runtime while the init made its namespaces (SYNC_CGROUP),
 * and the limits written: the init moves itself into them, before any mount. Its new mount
 * namespace is still the host's copy. */
static void init_join_late(struct init_args *a, berth_error_t *err)
{
	struct cgroup *cg = NULL;
	struct sync_msg m;
	int fds[CGROUP_MAX_HIERARCHIES];
	size_t n = 0;
	int r;

	if (sync_expect(a->sync_fd, SYNC_CGROUP, &m, err) < 0)
		init_fail(a->sync_fd, err);
	free(m.payload);
	a->cgroup_made_seen = true;
	if (cgroup_open(a->cgroup_host, a->cgroup_path, &cg, err) < 0 ||
	    cgroup_open_dirs(cg, fds, &n, NULL, err) < 0) {
		cgroup_free(cg);
		init_fail(a->sync_fd, err);
	}
	cgroup_free(cg);
	r = cgroup_join_self_v1(fds, n, err);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	if (r < 0)
		init_fail(a->sync_fd, err);
}

void init_direct(const struct init_args *args)
{
	struct init_args copy = *args, *a = &copy;
	const struct config *c = a->config;
	berth_error_t err = NULL;
	bool new_user;
	int flags = init_new_ns_flags(c, &new_user) & ~CLONE_NEWPID;

	timing_mark("init-born");
	init_close_inherited(a);
	if (a->cgroup_self && !a->cgroup_late) {
		int r = cgroup_join_self_v1(a->cgroup_fds, a->n_cgroup_fds, &err);
		for (size_t i = 0; i < a->n_cgroup_fds; i++)
			close(a->cgroup_fds[i]);
		a->n_cgroup_fds = 0;
		if (r < 0)
			init_fail(a->sync_fd, &err);
		timing_mark("init-cgroup");
	}
	if (flags != 0 && unshare(flags) < 0) {
		berth_error(&err, errno, "unshare namespaces (flags 0x%x)", (unsigned)flags);
		init_fail(a->sync_fd, &err);
	}
	if ((flags & CLONE_NEWNET) && init_loopback_up(&err) < 0)
		init_fail(a->sync_fd, &err);
	if (a->cgroup_self && a->cgroup_late) {
		init_join_late(a, &err);
		timing_mark("init-cgroup");
	}
	init_stage2(a);
}

void init_stage1(const struct init_args *args)
{
	struct init_args copy = *args, *a = &copy;
	const struct config *c = a->config;
	berth_error_t err = NULL;
	struct sync_msg m;
	bool new_user;
	int flags = init_new_ns_flags(c, &new_user);
	int order[2];
	pid_t pid;

	timing_mark("stage1-start");
	init_close_inherited(a);
	/* still with the runtime's credentials: a source the container's root could not reach
	 * is bound all the same (runc and crun open them here too) */
	a->bind_fds = rootfs_open_bind_sources(c);
	/* idmapped binds, with the host's ids, before the user namespace is entered (without
	 * one, the init makes them: it is root on the host; run by an ordinary user, too, who
	 * may clone a mount only in a mount namespace of its own) */
	if (new_user && !config_userns_unmapped(c) && geteuid() == 0 &&
	    idmap_open_trees(c, &a->bind_fds, &err) < 0)
		init_fail(a->sync_fd, &err);
	if (init_join_namespaces(c, &err) < 0)
		init_fail(a->sync_fd, &err);
	/* A user namespace without mappings is made last, in stage 2 (init_unmapped_userns) */
	if (new_user && !config_userns_unmapped(c)) {
		if (unshare(CLONE_NEWUSER) < 0) {
			berth_error(&err, errno, "unshare the user namespace");
			init_fail(a->sync_fd, &err);
		}
		if (sync_send(a->sync_fd, SYNC_USERMAP, 0, NULL, &err) < 0 ||
		    sync_expect(a->sync_fd, SYNC_ACK, &m, &err) < 0)
			_exit(1);
		free(m.payload);
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
			berth_error(&err, errno,
			            "become root in the user namespace (is uid/gid 0 mapped?)");
			init_fail(a->sync_fd, &err);
		}
	}
	if (flags != 0 && unshare(flags) < 0) {
		berth_error(&err, errno, "unshare namespaces (flags 0x%x)", (unsigned)flags);
		init_fail(a->sync_fd, &err);
	}
	if ((flags & CLONE_NEWTIME) && init_time_offsets(c, &err) < 0)
		init_fail(a->sync_fd, &err);
	if ((flags & CLONE_NEWNET) && init_loopback_up(&err) < 0)
		init_fail(a->sync_fd, &err);
	timing_mark("stage1-ns");
	/* Stage 2 talks to the runtime on the same socket: it must wait until our SYNC_PID is
	 * sent, or under load its SYNC_READY could arrive first and the runtime would record
	 * pid 0 (`start` then found the container "stopped", about once in 1,500 runs). It
	 * waits for the end of this pipe, which closes when we exit after sending. */
	if (pipe2(order, O_CLOEXEC) < 0) {
		berth_error(&err, errno, "pipe");
		init_fail(a->sync_fd, &err);
	}
	pid = fork();
	if (pid < 0) {
		berth_error(&err, errno, "fork the container init");
		init_fail(a->sync_fd, &err);
	}
	if (pid == 0) {
		char b;
		ssize_t n;
		close(order[1]);
		do
			n = read(order[0], &b, 1);
		while (n < 0 && errno == EINTR);
		close(order[0]);
		init_stage2(a);
	}
	close(order[0]);
	sync_send(a->sync_fd, SYNC_PID, pid, NULL, &err);
	_exit(0);
}
