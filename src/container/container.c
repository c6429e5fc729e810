/* SPDX-License-Identifier: MIT */
#include "container.h"
#include "cgroup.h"
#include "config.h"
#include "hooks.h"
#include "init.h"
#include "log.h"
#include "manage.h"
#include "process.h"
#include "seccomp_cache.h"
#include "state.h"
#include "supervise.h"
#include "sync.h"
#include "terminal.h"
#include "timing.h"
#include "userns.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* How long delete --force waits for a SIGKILLed init before it gives up (runc: ~10 s). */
#define CONTAINER_KILL_WAIT_MS 10000

/* What a create in progress holds, so that a failure can undo all of it. */
struct container_build {
	const char *root;
	const char *id;
	struct config *config;
	struct state state;
	pid_t stage1, init;
	bool dir_made;
	bool cgroup_made;
	bool cgroup_ready;  /* made and its limits written before the init was forked */
	bool cgroup_joined; /* the init was cloned into it (v2) and moves itself (v1) */
	bool v1_late;       /* only the cgroup2 directory made before the fork: the v1 ones
	                     * and every limit while the init makes its namespaces */
	struct cgroup_host cg_host;
	bool cg_host_ok;
};

/* ---- helpers ---------------------------------------------------------------------- */

static int container_pidfd(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Send sig to pid, guarding against pid reuse through a pidfd and the start time. */
static int container_signal(pid_t pid, unsigned long long start_time, int sig)
{
	cleanup_close int fd = container_pidfd(pid);
	if (fd < 0)
		return -errno;
	if (!state_pid_alive(pid, start_time))
		return -ESRCH;
	if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0)
		return -errno;
	return 0;
}

/* Wait until pid (not necessarily our child) is gone, at most timeout_ms (< 0: forever).
 * Returns whether it is gone. */
static bool container_wait_gone(pid_t pid, unsigned long long start_time, int timeout_ms)
{
	cleanup_close int fd = container_pidfd(pid);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int waited = 0;

	if (fd < 0)
		return true;
	if (waitpid(pid, NULL, WNOHANG) == pid)
		return true;
	while (state_pid_alive(pid, start_time)) {
		if (timeout_ms >= 0 && waited >= timeout_ms)
			return false;
		if (poll(&p, 1, 100) > 0)
			break;
		waited += 100;
	}
	waitpid(pid, NULL, WNOHANG);
	return true;
}

static char *container_state_json_text(const char *root, const struct state *s, const char *status)
{
	json_t *o = state_to_spec_json(root, s);
	char *text;
	if (status)
		json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "pid", json_integer(s->pid));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text ? text : xstrdup("{}");
}

/* ---- cgroups ---------------------------------------------------------------------- */

/* The first cgroup limit of r that only a cgroup can enforce (linux.resources.devices is
 * left out: an ordinary user's devices are whatever its host permissions allow), or NULL. */
static const char *container_resources_limit(const struct config_linux *l)
{
	const struct config_resources *r = &l->resources;

	if (!l->has_resources)
		return NULL;
	if (r->has_memory)
		return "memory";
	if (r->has_cpu)
		return "cpu";
	if (r->has_pids_limit)
		return "pids";
	if (r->has_blkio)
		return "blockIO";
	if (r->n_hugepage_limits > 0)
		return "hugepageLimits";
	if (r->has_network)
		return "network";
	if (r->n_rdma > 0)
		return "rdma";
	if (r->n_unified > 0)
		return "unified";
	return NULL;
}

/* Rootless: the cgroup is made (before stage 1 exists) only where the caller may make it,
 * a delegated subtree; otherwise the container runs without one, unless the config asks for
 * a limit, which is refused rather than ignored. */
static int container_cgroup_rootless(struct container_build *b, berth_error_t *err)
{
	const char *limit = container_resources_limit(&b->config->linux_);
	struct cgroup *cg = NULL;
	berth_error_t e = NULL;
	int r;

	if (cgroup_host_detect(&b->cg_host, NULL, err) < 0)
		return -1;
	b->cg_host_ok = true;
	if (cgroup_create(&b->cg_host, b->state.cgroup_path, &cg, &e) == 0) {
		b->cgroup_made = true;
		cgroup_free(cg);
		return 0;
	}
	if (e->status != EACCES && e->status != EPERM && e->status != EROFS) {
		*err = e;
		return -1;
	}
	if (limit != NULL) {
		r = berth_error(err, 0,
		                "config.json: linux.resources.%s: needs a cgroup delegated to uid "
		                "%u, and there is none (%s): refused",
		                limit, (unsigned)geteuid(), e->msg);
		berth_error_release(&e);
		return r;
	}
	log_debug("no cgroup delegated to uid %u: the container runs without one (%s)",
	          (unsigned)geteuid(), e->msg);
	berth_error_release(&e);
	free(b->state.cgroup_path);
	b->state.cgroup_path = NULL;
	return 0;
}

/* The container's cgroup made and its limits set, while the init makes its namespaces: no
 * process is in it yet. */
static int container_cgroup_prepare(struct container_build *b, berth_error_t *err)
{
	struct cgroup *cg = NULL;
	bool rootless = userns_rootless();
	int r = 0;

	if (b->state.cgroup_path == NULL)
		return 0; /* rootless without a delegated cgroup */
	if (!b->cg_host_ok && cgroup_host_detect(&b->cg_host, NULL, err) < 0)
		return -1;
	b->cg_host_ok = true;
	if (b->v1_late) {
		if (cgroup_create_part(&b->cg_host, b->state.cgroup_path, CGROUP_PART_V1, &cg,
		                       err) < 0)
			return -1;
		b->v1_late = false;
	} else if (b->cgroup_made ? cgroup_open(&b->cg_host, b->state.cgroup_path, &cg, err) < 0
	                          : cgroup_create(&b->cg_host, b->state.cgroup_path, &cg, err) < 0)
		return -1;
	b->cgroup_made = true;
	if (b->config->linux_.has_resources || b->config->linux_.n_devices > 0) {
		/* devices of linux.devices are allowed in the device cgroup too; an ordinary
		 * user cannot load a device program or write devices.allow */
		struct cgroup_apply_opts ao = {.devices = b->config->linux_.devices,
		                               .n_devices = b->config->linux_.n_devices,
		                               .skip_devices = rootless};
		r = cgroup_apply_opts(cg, &b->config->linux_.resources, &ao, err);
	}
	cgroup_free(cg);
	return r;
}

/* The init (not stage 1, which only forks it) put in the cgroup. On cgroup v1 the first
 * write of a pid to a cgroup.procs waits for an RCU grace period (4 to 15 ms here): the init
 * sets up its mounts meanwhile, and waits for SYNC_GO before anything that needs its cgroup
 * (docs/performance.md). */
static int container_cgroup_join(struct container_build *b, berth_error_t *err)
{
	struct cgroup *cg = NULL;
	int r;

	if (b->state.cgroup_path == NULL || b->cgroup_joined)
		return 0;
	if (cgroup_open(&b->cg_host, b->state.cgroup_path, &cg, err) < 0)
		return -1;
	r = cgroup_enter(cg, b->init, err);
	cgroup_free(cg);
	return r;
}

static int container_cgroup_remove(const struct state *s, berth_error_t *err)
{
	const char *mounts[CGROUP_MAX_HIERARCHIES + 1];
	size_t n = json_array_size(s->cgroup_mounts);
	struct cgroup_host h;

	if (s->cgroup_path == NULL)
		return 0;
	/* the common case (no process, no cgroup below) with the hierarchies create saw: one
	 * rmdir each and no read of mountinfo (~0.1-0.3 ms, docs/performance.md) */
	if (n <= CGROUP_MAX_HIERARCHIES + 1) {
		for (size_t i = 0; i < n; i++)
			mounts[i] = json_string_value(json_array_get(s->cgroup_mounts, i));
		if (cgroup_remove_at(mounts, n, s->cgroup_path) == 0)
			return 0;
	}
	if (cgroup_host_detect(&h, NULL, err) < 0)
		return -1;
	return cgroup_destroy(&h, s->cgroup_path, err);
}

/* The one-fork path: the init is cloned into the cgroup2 cgroup and moves itself into the
 * v1 ones, so that neither it nor the runtime writes a pid to a cgroup.procs, whose first
 * write waits for an RCU grace period (docs/performance.md). With v1 hierarchies only the
 * cgroup2 directory is made here, and its directory opened (*v2_fd); the v1 directories
 * and the limits are made after the fork, while the init makes its namespaces, and the init
 * opens the v1 directories itself once it has SYNC_CGROUP (b->v1_late). On a cgroup2-only
 * host the cgroup is made and its limits written here. */
static int container_cgroup_early(struct container_build *b, int *v1_fds, size_t *n_v1, int *v2_fd,
                                  berth_error_t *err)
{
	struct cgroup *cg = NULL;
	int r;

	if (!b->cg_host_ok && cgroup_host_detect(&b->cg_host, NULL, err) < 0)
		return -1;
	b->cg_host_ok = true;
	if (b->cg_host.mode != CGROUP_MODE_V2 && b->cg_host.n_v1 > 0) {
		if (cgroup_create_part(&b->cg_host, b->state.cgroup_path, CGROUP_PART_V2, &cg,
		                       err) < 0)
			return -1;
		b->cgroup_made = true;
		b->v1_late = true;
		timing_mark("cgroup2-made");
		r = cgroup_open_dirs(cg, NULL, n_v1, v2_fd, err);
		cgroup_free(cg);
		return r;
	}
	if (container_cgroup_prepare(b, err) < 0)
		return -1;
	b->cgroup_ready = true;
	timing_mark("cgroup-made");
	if (cgroup_open(&b->cg_host, b->state.cgroup_path, &cg, err) < 0)
		return -1;
	r = cgroup_open_dirs(cg, v1_fds, n_v1, v2_fd, err);
	cgroup_free(cg);
	return r;
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* struct clone_args of clone3(2), up to CLONE_ARGS_SIZE_VER2 (the cgroup field) */
struct container_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
	    set_tid_size, cgroup;
};

/* fork(), but the child starts in the cgroup2 cgroup of the directory cgroup_fd. Like any
 * raw clone, glibc's copy of the thread id in the child is still the parent's: what the
 * init calls of glibc before its exec must not rely on it (raise and abort ask the kernel
 * for the id of the calling thread since glibc 2.34; pthread_* on another thread are not
 * used; the init is single-threaded). Returns -1 with errno when clone3 or
 * CLONE_INTO_CGROUP is refused: the caller forks instead. */
static pid_t container_clone_into(int cgroup_fd)
{
	struct container_clone_args ca = {
	    .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD, .cgroup = (uint64_t)cgroup_fd};
	/* a hidden switch for the tests of the fallback (tests/cli/runtime-cgroups.bats):
	 * behave as a kernel without clone3 */
	if (getenv("_BERTH_RUNTIME_NO_CLONE3") != NULL) {
		errno = ENOSYS;
		return -1;
	}
	return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

static void container_close_fds(int *v1, size_t *n_v1, int *v2)
{
	for (size_t i = 0; i < *n_v1; i++)
		close(v1[i]);
	*n_v1 = 0;
	if (*v2 >= 0)
		close(*v2);
	*v2 = -1;
}

/* ---- create ----------------------------------------------------------------------- */

static void container_build_abort(struct container_build *b)
{
	berth_error_t e = NULL;

	if (b->init > 0) {
		/* not our child in `create` (stage 1 has exited): guard against pid reuse */
		container_signal(b->init, b->state.start_time, SIGKILL);
		waitpid(b->init, NULL, WNOHANG);
	}
	if (b->stage1 > 0) {
		kill(b->stage1, SIGKILL);
		waitpid(b->stage1, NULL, 0);
	}
	if (b->init > 0)
		container_wait_gone(b->init, 0, -1);
	if (b->cgroup_made && cgroup_destroy(&b->cg_host, b->state.cgroup_path, &e) < 0) {
		log_warning("%s", e->msg);
		berth_error_release(&e);
	}
	if (b->dir_made && state_remove(b->root, b->id, &e) < 0) {
		log_warning("%s", e->msg);
		berth_error_release(&e);
	}
}

/* Whether the namespace file at path is the runtime's own namespace of that type. */
static int container_ns_is_ours(const char *path, enum config_ns_type t, bool *ours,
                                berth_error_t *err)
{
	static const char *const proc[] = {
	    [CONFIG_NS_IPC] = "ipc", [CONFIG_NS_NETWORK] = "net", [CONFIG_NS_UTS] = "uts"};
	char self[32];
	struct stat a, b;

	snprintf(self, sizeof(self), "/proc/self/ns/%s", proc[t]);
	if (stat(path, &a) < 0)
		return berth_error(err, errno, "`%s`", path);
	if (stat(self, &b) < 0)
		return berth_error(err, errno, "`%s`", self);
	*ours = a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	return 0;
}

/* linux.sysctl is written by the init while it is still root on the host: only keys that a
 * private namespace of the container holds (runc's rules). A namespace joined by path counts
 * as private unless it is the runtime's own. */
static int container_check_sysctl(const struct config *c, berth_error_t *err)
{
	for (size_t i = 0; i < c->linux_.n_sysctl; i++) {
		const char *k = c->linux_.sysctl[i].key;
		int t = config_sysctl_namespace(k);
		int ns;
		bool ours = false;

		if (t < 0)
			return berth_error(
			    err, 0, "config.json: linux.sysctl.%s: not namespaced, refused", k);
		ns = config_find_namespace(c, (enum config_ns_type)t);
		if (ns < 0)
			return berth_error(
			    err, 0,
			    "config.json: linux.sysctl.%s: needs a private %s namespace "
			    "in linux.namespaces, refused",
			    k, config_ns_name((enum config_ns_type)t));
		if (c->linux_.namespaces[ns].path == NULL)
			continue;
		if (container_ns_is_ours(c->linux_.namespaces[ns].path, (enum config_ns_type)t,
		                         &ours, err) < 0)
			return berth_error_prefix(err, "config.json: linux.namespaces[%d].path",
			                          ns);
		if (ours)
			return berth_error(
			    err, 0,
			    "config.json: linux.sysctl.%s: the %s namespace `%s` is the "
			    "host's, refused",
			    k, config_ns_name((enum config_ns_type)t),
			    c->linux_.namespaces[ns].path);
	}
	return 0;
}

/* Rootless (an ordinary user, or root in its user namespace): what needs privileges the
 * caller lacks is refused with one line naming it, before anything is made (cgroup limits:
 * container_cgroup_rootless). */
static int container_check_rootless(const struct config *c, berth_error_t *err)
{
	int u = config_find_namespace(c, CONFIG_NS_USER);
	unsigned uid = (unsigned)geteuid();

	/* root in a user namespace (rootless Podman's) may share it */
	if (geteuid() != 0 &&
	    (u < 0 || (c->linux_.namespaces[u].path == NULL && config_userns_unmapped(c))))
		return berth_error(err, 0,
		                   "config.json: linux.namespaces: run by uid %u (not root), the "
		                   "container needs a user namespace with linux.uidMappings and "
		                   "gidMappings (berth-runtime spec --rootless makes one)",
		                   uid);
	for (size_t i = 0; i < c->process.n_rlimits; i++) {
		const struct config_rlimit *rl = &c->process.rlimits[i];
		struct rlimit cur;
		if (getrlimit(rl->resource, &cur) == 0 && cur.rlim_max != RLIM_INFINITY &&
		    (rl->hard == RLIM_INFINITY || rl->hard > cur.rlim_max))
			return berth_error(err, 0,
			                   "config.json: process.rlimits[%zu]: hard limit of %s "
			                   "above the caller's %llu needs privileges uid %u lacks: "
			                   "refused",
			                   i, rl->type, (unsigned long long)cur.rlim_max, uid);
	}
	if (c->process.has_oom_score_adj) {
		char buf[16] = "";
		cleanup_close int fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0 &&
		    c->process.oom_score_adj < atoi(buf))
			return berth_error(
			    err, 0,
			    "config.json: process.oomScoreAdj: %d is below the "
			    "caller's %d; lowering it needs privileges uid %u lacks: "
			    "refused",
			    c->process.oom_score_adj, atoi(buf), uid);
	}
	return 0;
}

static int container_validate(const struct config *c, const char *rootfs, bool foreground,
                              const struct container_opts *o, berth_error_t *err)
{
	struct stat st;

	if (!c->has_process)
		return berth_error(err, 0, "config.json: process: required to create a container");
	if (config_find_namespace(c, CONFIG_NS_MOUNT) < 0)
		return berth_error(err, 0,
		                   "config.json: linux.namespaces: a mount namespace is required");
	if (c->hostname && *c->hostname && config_find_namespace(c, CONFIG_NS_UTS) < 0)
		return berth_error(
		    err, 0, "config.json: hostname: needs a new uts namespace in linux.namespaces");
	if (config_find_namespace(c, CONFIG_NS_USER) >= 0 &&
	    c->linux_.namespaces[config_find_namespace(c, CONFIG_NS_USER)].path == NULL &&
	    (c->linux_.n_uid_mappings == 0) != (c->linux_.n_gid_mappings == 0))
		/* both, or neither: a user namespace where no id is mapped */
		return berth_error(err, 0, "config.json: linux.%s: empty while linux.%s is not",
		                   c->linux_.n_uid_mappings == 0 ? "uidMappings" : "gidMappings",
		                   c->linux_.n_uid_mappings == 0 ? "gidMappings" : "uidMappings");
	if (config_userns_unmapped(c) && process_user_unmapped_error(&c->process.user, err) < 0)
		return berth_error_prefix(err, "config.json");
	if (config_find_namespace(c, CONFIG_NS_USER) >= 0 &&
	    c->linux_.namespaces[config_find_namespace(c, CONFIG_NS_USER)].path == NULL &&
	    userns_validate(c, err) < 0)
		return -1;
	if (userns_rootless() && container_check_rootless(c, err) < 0)
		return -1;
	if (c->linux_.n_time_offsets > 0 && config_find_namespace(c, CONFIG_NS_TIME) < 0)
		return berth_error(err, 0,
		                   "config.json: linux.timeOffsets: needs a time namespace");
	if (container_check_sysctl(c, err) < 0)
		return -1;
	if (stat(rootfs, &st) < 0)
		return berth_error(err, errno, "root.path `%s`", rootfs);
	if (!S_ISDIR(st.st_mode))
		return berth_error(err, ENOTDIR, "root.path `%s`", rootfs);
	if (c->process.terminal && !foreground && o->console_socket == NULL)
		return berth_error(err, 0,
		                   "process.terminal is true: --console-socket is required when "
		                   "the runtime does not stay in the foreground");
	if (!c->process.terminal && o->console_socket != NULL)
		return berth_error(err, 0, "--console-socket given but process.terminal is false");
	return 0;
}

/* Send to the init; when it has died, the error it sent before it did (it may fail while the
 * runtime makes its cgroup or waits for the kernel in container_cgroup_join) rather than the
 * send's EPIPE or ECONNRESET. */
static int container_send(int sync, enum sync_type type, const char *payload, berth_error_t *err)
{
	struct sync_msg m = {0};
	berth_error_t e = NULL;

	if (sync_send(sync, type, 0, payload, err) == 0)
		return 0;
	/* EPIPE; ECONNRESET when it died with our message unread */
	if (((*err)->status == EPIPE || (*err)->status == ECONNRESET) &&
	    sync_recv(sync, &m, &e) == 0 && m.type == SYNC_ERROR) {
		berth_error_release(err);
		berth_error(err, 0, "%s", m.payload);
		(*err)->status = (int)m.value;
	}
	free(m.payload);
	berth_error_release(&e);
	return -1;
}

/* The init exists (b->init) and makes its namespaces and mounts meanwhile: its cgroup made
 * (SYNC_CGROUP: it may bind the directories now), the init put in it, its pid saved, and
 * SYNC_GO for it to go on with what needs the cgroup, with the state for createContainer
 * hooks and a seccomp listener. */
static int container_init_born(struct container_build *b, int sync, berth_error_t *err)
{
	cleanup_free char *js = NULL;

	if (!b->cgroup_ready) {
		if (container_cgroup_prepare(b, err) < 0)
			return -1;
		timing_mark("cgroup-made");
	}
	if (container_send(sync, SYNC_CGROUP, NULL, err) < 0)
		return -1;
	if (container_cgroup_join(b, err) < 0)
		return -1;
	timing_mark("cgroup");
	if (b->stage1 > 0) {
		waitpid(b->stage1, NULL, 0);
		b->stage1 = 0;
	}
	b->state.pid = b->init;
	b->state.start_time = state_proc_start_time(b->init);
	if (b->cgroup_made && b->cg_host_ok && b->state.cgroup_mounts == NULL) {
		const char *mounts[CGROUP_MAX_HIERARCHIES + 1];
		size_t n = cgroup_host_mounts(&b->cg_host, mounts);
		b->state.cgroup_mounts = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(b->state.cgroup_mounts, json_string(mounts[i]));
	}
	if (b->cgroup_made && b->cg_host_ok && b->state.freezer == NULL) {
		struct cgroup cg = {.host = b->cg_host, .path = b->state.cgroup_path};
		b->state.freezer = cgroup_freezer_dir(&cg, &b->state.freezer_v2);
	}
	if (state_save(b->root, &b->state, err) < 0)
		return -1;
	timing_mark("pid-saved");
	js = container_state_json_text(b->root, &b->state, "created");
	return container_send(sync, SYNC_GO, js, err);
}

/* The runtime's side of the conversation with the container's init. */
/* The init is ready (create) or has exec'd (run): the state says so, --pid-file is
 * written. */
static int container_ready(struct container_build *b, const char *pid_file, berth_error_t *err)
{
	b->state.creating = false;
	if (state_save(b->root, &b->state, err) < 0)
		return -1;
	if (pid_file) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%d", (int)b->init);
		if (util_write_file_atomic(pid_file, buf, strlen(buf), 0644, err) < 0)
			return berth_error_prefix(err, "--pid-file");
	}
	timing_mark("ready-saved");
	return 0;
}

/* start_now (`run`): the init does not stop at SYNC_READY but goes on to exec its program
 * once it has SYNC_GO; the end of its side of the socket (closed by the exec) ends the
 * conversation. */
static int container_converse(struct container_build *b, int sync, const char *pid_file,
                              bool start_now, berth_error_t *err)
{
	struct config *c = b->config;
	struct sync_msg m;

	for (;;) {
		if (sync_recv(sync, &m, err) < 0) {
			if (start_now && (*err)->status == EPIPE && b->init > 0 && b->stage1 <= 0) {
				berth_error_release(err);
				timing_mark("released");
				return container_ready(b, pid_file, err);
			}
			berth_error_release(err);
			return berth_error(err, 0, "the container's init exited during create");
		}
		switch (m.type) {
		case SYNC_ERROR:
			berth_error(err, 0, "%s", m.payload);
			(*err)->status = (int)m.value; /* the errno, as 127 or 126 need it */
			free(m.payload);
			return -1;
		case SYNC_USERMAP:
			free(m.payload);
			if (userns_write_maps(b->stage1, c, err) < 0 ||
			    container_send(sync, SYNC_ACK, NULL, err) < 0)
				return -1;
			break;
		case SYNC_PID:
			free(m.payload);
			if (b->stage1 <= 0)
				return berth_error(err, EPROTO, "sync: unexpected message %d",
				                   m.type);
			b->init = (pid_t)m.value;
			if (container_init_born(b, sync, err) < 0)
				return -1;
			break;
		case SYNC_HOOKS: {
			/* "created", as the spec's lifecycle, runtime-tools and crun have it (runc
			 * says "creating"); docs/runtime.md */
			cleanup_free char *js =
			    container_state_json_text(b->root, &b->state, "created");
			free(m.payload);
			if (c->has_hooks &&
			    (hooks_run(c->hooks.prestart, c->hooks.n_prestart, "prestart", js,
			               err) < 0 ||
			     hooks_run(c->hooks.create_runtime, c->hooks.n_create_runtime,
			               "createRuntime", js, err) < 0))
				return -1;
			if (container_send(sync, SYNC_ACK, NULL, err) < 0)
				return -1;
			timing_mark("hooks-acked");
			break;
		}
		case SYNC_READY:
			free(m.payload);
			if (b->init <= 0)
				return berth_error(
				    err, EPROTO,
				    "sync: the init was ready before its pid was known");
			if (start_now)
				return berth_error(err, EPROTO, "sync: unexpected message %d",
				                   m.type);
			if (container_ready(b, pid_file, err) < 0)
				return -1;
			return container_send(sync, SYNC_ACK, NULL, err);
		default:
			free(m.payload);
			return berth_error(err, EPROTO, "sync: unexpected message %d", m.type);
		}
	}
}

/* `run` (start_now): the init has exec'd its program; the poststart hooks, as `start` runs
 * them. */
static void container_poststart(struct container_build *b)
{
	const struct config *c = b->config;
	berth_error_t e = NULL;

	if (c->has_hooks && c->hooks.n_poststart > 0) {
		cleanup_free char *js = container_state_json_text(b->root, &b->state, "running");
		if (hooks_run(c->hooks.poststart, c->hooks.n_poststart, "poststart", js, &e) < 0) {
			log_warning("%s", e->msg);
			berth_error_release(&e);
		}
	}
}

static char **container_listen_env(int *preserve)
{
	const char *lf = getenv("LISTEN_FDS");
	char **env = xmalloc0(3 * sizeof(char *));
	int n;

	if (lf == NULL || (n = atoi(lf)) <= 0)
		return env;
	/* fds passed by socket activation are preserved, as runc does */
	if (*preserve < n)
		*preserve = n;
	env[0] = xasprintf("LISTEN_FDS=%d", n);
	env[1] = xstrdup("LISTEN_PID=1");
	return env;
}

static int container_create_full(const struct container_opts *o, pid_t *pid, int *master,
                                 berth_error_t *err)
{
	struct container_build b = {.root = o->root, .id = o->id};
	cleanup_free char *bundle = NULL;
	cleanup_free char *rootfs = NULL;
	cleanup_free char *fifo = NULL;
	cleanup_close int fifo_fd = -1;
	cleanup_close int console = -1;
	cleanup_close int console_peer = -1;
	cleanup_close int own_pidns = -1;
	int sync[2] = {-1, -1};
	int cg_v1[CGROUP_MAX_HIERARCHIES];
	size_t n_cg_v1 = 0;
	int cg_v2 = -1;
	bool direct, early_cg;
	pid_t child;
	struct init_args a = {0};
	struct seccomp_program *scmp = NULL;
	char **extra_env = NULL;
	int preserve = o->preserve_fds;
	int r = -1;

	if (state_validate_id(o->id, err) < 0)
		return -1;
	bundle = realpath(o->bundle ? o->bundle : ".", NULL);
	if (bundle == NULL)
		return berth_error(err, errno, "--bundle `%s`", o->bundle ? o->bundle : ".");
	if (config_load(bundle, &b.config, err) < 0)
		return -1;
	{
		const char *rp = b.config->root.path;
		cleanup_free char *joined =
		    rp[0] == '/' ? xstrdup(rp) : xasprintf("%s/%s", bundle, rp);
		rootfs = realpath(joined, NULL);
		if (rootfs == NULL) {
			berth_error(err, errno, "root.path `%s`", joined);
			goto out;
		}
	}
	if (container_validate(b.config, rootfs, o->foreground, o, err) < 0)
		goto out;
	timing_mark("config");
	if (state_create_dir(o->root, o->id, err) < 0)
		goto out;
	b.dir_made = true;

	b.state.id = (char *)o->id;
	b.state.bundle = bundle;
	b.state.rootfs = rootfs;
	b.state.oci_version = b.config->oci_version;
	b.state.created = util_now_rfc3339();
	b.state.owner = geteuid();
	b.state.creating = true;
	b.state.hooks_known = true;
	b.state.has_poststart = b.config->has_hooks && b.config->hooks.n_poststart > 0;
	b.state.has_poststop = b.config->has_hooks && b.config->hooks.n_poststop > 0;
	b.state.cgroup_path = cgroup_path_for(b.config->linux_.cgroups_path, o->id, err);
	if (b.state.cgroup_path == NULL)
		goto fail;
	{
		json_t *ann = json_object_get(b.config->raw, "annotations");
		b.state.annotations = json_is_object(ann) ? ann : NULL;
	}
	if (state_save(o->root, &b.state, err) < 0)
		goto fail;
	if (!o->start_now) {
		fifo = state_fifo_path(o->root, o->id);
		/* writable by the container's user, whoever that is (mkfifo's mode is masked) */
		if (mkfifo(fifo, 0622) < 0 || chmod(fifo, 0622) < 0) {
			berth_error(err, errno, "mkfifo `%s`", fifo);
			goto fail;
		}
		fifo_fd = open(fifo, O_PATH | O_CLOEXEC);
		if (fifo_fd < 0) {
			berth_error(err, errno, "open `%s`", fifo);
			goto fail;
		}
	}
	timing_mark("state-dir");
	if (b.config->process.terminal) {
		if (o->console_socket) {
			console = terminal_connect(o->console_socket, err);
			if (console < 0)
				goto fail;
		} else {
			int sp[2];
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
				berth_error(err, errno, "socketpair");
				goto fail;
			}
			console = sp[0];
			console_peer = sp[1];
		}
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0) {
		berth_error(err, errno, "socketpair");
		goto fail;
	}
	if (userns_rootless() && container_cgroup_rootless(&b, err) < 0)
		goto fail;
	extra_env = container_listen_env(&preserve);
	/* compiled here, through the cache under the state root, rather than in the init: the
	 * init may be in another mount or user namespace already */
	if (b.config->linux_.has_seccomp && seccomp_build_for(b.config, o->root, &scmp, err) < 0)
		goto fail;
	timing_mark("seccomp");

	a.config = b.config;
	a.scmp = scmp;
	a.rootfs = rootfs;
	a.cgroup_path = b.state.cgroup_path;
	a.no_pivot = o->no_pivot;
	a.sync_fd = sync[1];
	a.fifo_fd = fifo_fd;
	a.console_fd = console;
	a.preserve_fds = preserve;
	a.extra_env = extra_env;

	direct = init_can_direct(b.config);
	/* rootless: no user namespace without stage 1, and no cgroup made but a delegated one */
	early_cg = direct && b.state.cgroup_path != NULL && !userns_rootless();
	if (early_cg && container_cgroup_early(&b, cg_v1, &n_cg_v1, &cg_v2, err) < 0)
		goto fail;
	if (direct && config_find_namespace(b.config, CONFIG_NS_PID) >= 0) {
		/* the init is our child and pid 1 of the new pid namespace */
		own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (own_pidns < 0 || unshare(CLONE_NEWPID) < 0) {
			berth_error(err, errno, "unshare the pid namespace");
			goto fail;
		}
	}
	if (early_cg) {
		a.cgroup_self = true;
		a.cgroup_fds = cg_v1;
		a.n_cgroup_fds = n_cg_v1;
		a.cgroup_late = b.v1_late;
		a.cgroup_host = &b.cg_host;
	}
	if (early_cg && cg_v2 >= 0) {
		child = container_clone_into(cg_v2);
		if (child < 0 &&
		    (errno == ENOSYS || errno == EINVAL || errno == E2BIG || errno == EOPNOTSUPP)) {
			/* the runtime writes the init's pid to every cgroup.procs, as before */
			a.cgroup_self = false;
			a.cgroup_late = false;
			a.n_cgroup_fds = 0;
			child = fork();
		}
	} else {
		child = fork();
	}
	b.cgroup_joined = a.cgroup_self;
	if (child == 0) {
		close(sync[0]);
		if (console_peer >= 0)
			close(console_peer);
		if (own_pidns >= 0)
			close(own_pidns);
		/* the caller's stdio for the container; its own fds 0-2 are left alone */
		if (o->stdio && terminal_dup_stdio(o->stdio) < 0)
			_exit(127);
		if (direct)
			init_direct(&a);
		init_stage1(&a);
	}
	if (child > 0) {
		if (direct)
			b.init = child;
		else
			b.stage1 = child;
	}
	/* our own children (hooks) in our own pid namespace again */
	if (own_pidns >= 0 && setns(own_pidns, CLONE_NEWPID) < 0) {
		berth_error(err, errno, "return to the runtime's pid namespace");
		goto fail;
	}
	if (child < 0) {
		berth_error(err, errno, "fork");
		goto fail;
	}
	close(sync[1]);
	sync[1] = -1;
	container_close_fds(cg_v1, &n_cg_v1, &cg_v2);
	if (console >= 0 && console_peer >= 0) {
		close(console);
		console = -1;
	}

	timing_mark("fork");
	if (direct && container_init_born(&b, sync[0], err) < 0)
		goto fail;
	/* the copy of the config for the commands after create (start, delete, exec, …):
	 * written while the init mounts, not before its birth. A create killed before it has
	 * written none, which delete copes with (nothing of the config is needed to remove the
	 * container) */
	{
		cleanup_free char *text = json_dumps(b.config->raw, JSON_COMPACT);
		cleanup_free char *path = xasprintf("%s/%s/config.json", o->root, o->id);
		if (text == NULL || util_write_file_atomic(path, text, strlen(text), 0600, err) < 0)
			goto fail;
	}
	if (container_converse(&b, sync[0], o->pid_file, o->start_now, err) < 0)
		goto fail;
	if (o->start_now)
		container_poststart(&b);
	if (master) {
		*master = -1;
		if (console_peer >= 0) {
			*master = terminal_recv_fd(console_peer, err);
			if (*master < 0)
				goto fail;
		}
	}
	*pid = b.init;
	r = 0;
	goto out;
fail:
	container_build_abort(&b);
out:
	container_close_fds(cg_v1, &n_cg_v1, &cg_v2);
	if (sync[0] >= 0)
		close(sync[0]);
	if (sync[1] >= 0)
		close(sync[1]);
	if (extra_env) {
		for (char **e = extra_env; *e; e++)
			free(*e);
		free(extra_env);
	}
	seccomp_program_free(scmp);
	free(b.state.created);
	free(b.state.cgroup_path);
	json_decref(b.state.cgroup_mounts);
	free(b.state.freezer);
	config_free(b.config);
	return r;
}

int container_create(const struct container_opts *o, pid_t *pid, berth_error_t *err)
{
	return container_create_full(o, pid, o->foreground ? o->master : NULL, err);
}

/* ---- start ------------------------------------------------------------------------ */

static int container_release(const char *root, const struct state *s, berth_error_t *err)
{
	cleanup_free char *fifo = state_fifo_path(root, s->id);
	cleanup_close int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	cleanup_free char *msg = NULL;
	size_t len = 0;

	if (fd < 0)
		return berth_error(err, errno, "open `%s`", fifo);
	/* Wait for the init to open the other end and write its first byte, or to die. A
	 * FIFO that never had a writer polls neither readable nor hung up. */
	{
		cleanup_close int pidfd = container_pidfd(s->pid);
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
		                      {.fd = pidfd, .events = POLLIN}};
		for (;;) {
			if (poll(p, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				return berth_error(err, errno, "poll `%s`", fifo);
			}
			if (p[0].revents)
				break;
			if (p[1].revents) {
				unlink(fifo);
				return berth_error(
				    err, 0, "container `%s`: its init died before start", s->id);
			}
		}
	}
	if (fcntl(fd, F_SETFL, 0) < 0)
		return berth_error(err, errno, "fcntl `%s`", fifo);
	if (util_read_fd(fd, fifo, &msg, &len, err) < 0)
		return -1;
	unlink(fifo);
	if (len == 0)
		return berth_error(err, 0, "container `%s`: its init is not waiting to start",
		                   s->id);
	if (len > 1)
		return berth_error(err, 0, "%s", msg + 1);
	return 0;
}

static int container_start_locked(const char *root, const char *id, berth_error_t *err)
{
	struct state *s = NULL;
	struct config *c = NULL;
	enum state_status st;
	int r = -1;

	if (state_load(root, id, &s, err) < 0)
		return -1;
	st = state_status(root, s);
	if (st != STATE_CREATED) {
		berth_error(err, 0, "cannot start container `%s`: it is %s (expected created)", id,
		            state_status_name(st));
		goto out;
	}
	if (container_release(root, s, err) < 0)
		goto out;
	timing_mark("released");
	r = 0;
	if (s->hooks_known && !s->has_poststart)
		goto out; /* config.json is read only for them */
	if (state_load_config(root, id, &c, err) < 0) {
		log_warning("poststart hooks: %s", (*err)->msg);
		berth_error_release(err);
		goto out;
	}
	if (c->has_hooks && c->hooks.n_poststart > 0) {
		cleanup_free char *js = container_state_json_text(root, s, "running");
		if (hooks_run(c->hooks.poststart, c->hooks.n_poststart, "poststart", js, err) < 0) {
			log_warning("%s", (*err)->msg);
			berth_error_release(err);
		}
	}
out:
	config_free(c);
	state_free(s);
	return r;
}

int container_start(const char *root, const char *id, berth_error_t *err)
{
	int lock;
	int r;

	if (state_validate_id(id, err) < 0)
		return -1;
	lock = state_lock(root, id, err);
	if (lock < 0)
		return -1;
	r = container_start_locked(root, id, err);
	close(lock);
	return r;
}

/* ---- kill, delete, state, list ------------------------------------------------------ */

static int container_kill_all(const struct state *s, int sig, berth_error_t *err)
{
	struct cgroup_host h;
	pid_t *pids = NULL;
	size_t n = 0;

	if (s->cgroup_path == NULL)
		return 0;
	if (cgroup_host_detect(&h, NULL, err) < 0 ||
	    cgroup_get_pids(&h, s->cgroup_path, &pids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		kill(pids[i], sig);
	free(pids);
	return 0;
}

int container_kill(const char *root, const char *id, int sig, bool all, berth_error_t *err)
{
	struct state *s = NULL;
	enum state_status st;
	int r;

	if (state_load(root, id, &s, err) < 0)
		return -1;
	st = state_status(root, s);
	if (st == STATE_STOPPED) {
		state_free(s);
		return berth_error(err, 0, "container `%s` is not running", id);
	}
	r = container_signal(s->pid, s->start_time, sig);
	if (r < 0 && r != -ESRCH) {
		berth_error(err, -r, "kill container `%s` (pid %d)", id, (int)s->pid);
		state_free(s);
		return -1;
	}
	r = all ? container_kill_all(s, sig, err) : 0;
	if (r == 0 && st == STATE_PAUSED && sig == SIGKILL) {
		/* as runc: a frozen (v1) task dies only once thawed */
		r = manage_thaw(s, err);
	}
	state_free(s);
	return r;
}

static int container_delete_locked(const char *root, const char *id, bool force, berth_error_t *err)
{
	struct state *s = NULL;
	struct config *c = NULL;
	enum state_status st;
	berth_error_t e = NULL;

	if (state_load(root, id, &s, err) < 0)
		return -1;
	st = state_status(root, s);
	if ((st == STATE_RUNNING || st == STATE_PAUSED || (st == STATE_CREATING && s->pid > 0)) &&
	    !force) {
		state_free(s);
		return berth_error(err, 0,
		                   "cannot delete container `%s`: it is %s (stop it first or use "
		                   "--force)",
		                   id, state_status_name(st));
	}
	if (st != STATE_STOPPED && s->pid > 0) {
		container_signal(s->pid, s->start_time, SIGKILL);
		container_kill_all(s, SIGKILL, &e);
		berth_error_release(&e);
		/* paused: the SIGKILLs are pending; they take effect once thawed */
		if (st == STATE_PAUSED && manage_thaw(s, &e) < 0)
			log_warning("%s", e->msg);
		berth_error_release(&e);
		if (!container_wait_gone(s->pid, s->start_time, 1000)) {
			/* frozen by a freezer that is not the container's own? */
			struct cgroup_host h;
			if (cgroup_host_detect(&h, NULL, &e) == 0)
				cgroup_thaw_pid(&h, s->pid);
			berth_error_release(&e);
			container_signal(s->pid, s->start_time, SIGKILL);
			if (!container_wait_gone(s->pid, s->start_time, CONTAINER_KILL_WAIT_MS)) {
				int r =
				    berth_error(err, 0,
				                "cannot delete container `%s`: its init (pid %d) "
				                "did not die within %d s of SIGKILL (frozen, or "
				                "in uninterruptible sleep?)",
				                id, (int)s->pid, CONTAINER_KILL_WAIT_MS / 1000);
				state_free(s);
				return r;
			}
		}
	}
	if (container_cgroup_remove(s, err) < 0) {
		state_free(s);
		return -1;
	}
	if ((!s->hooks_known || s->has_poststop) && state_load_config(root, id, &c, &e) == 0 &&
	    c->has_hooks && c->hooks.n_poststop > 0) {
		cleanup_free char *js = container_state_json_text(root, s, "stopped");
		if (hooks_run(c->hooks.poststop, c->hooks.n_poststop, "poststop", js, &e) < 0)
			log_warning("%s", e->msg);
	}
	berth_error_release(&e);
	config_free(c);
	state_free(s);
	return state_remove(root, id, err);
}

int container_delete(const char *root, const char *id, bool force, berth_error_t *err)
{
	int lock, r;

	if (state_validate_id(id, err) < 0)
		return -1;
	if (force) {
		/* as runc and crun: forcing the delete of what does not exist succeeds */
		cleanup_free char *dir = xasprintf("%s/%s", root, id);
		if (access(dir, F_OK) < 0 && errno == ENOENT)
			return 0;
	}
	lock = state_lock(root, id, err);
	if (lock < 0)
		return -1;
	r = container_delete_locked(root, id, force, err);
	close(lock);
	timing_mark("deleted");
	return r;
}

int container_state(const char *root, const char *id, json_t **out, berth_error_t *err)
{
	struct state *s = NULL;
	if (state_load(root, id, &s, err) < 0)
		return -1;
	*out = state_to_spec_json(root, s);
	state_free(s);
	return 0;
}

int container_list(const char *root, json_t **out, berth_error_t *err)
{
	DIR *d = opendir(root);
	struct dirent *de;
	json_t *arr = json_array();

	if (d == NULL) {
		if (errno == ENOENT) {
			*out = arr;
			return 0;
		}
		json_decref(arr);
		return berth_error(err, errno, "open `%s`", root);
	}
	while ((de = readdir(d)) != NULL) {
		struct state *s = NULL;
		berth_error_t e = NULL;
		if (de->d_name[0] == '.')
			continue;
		if (state_load(root, de->d_name, &s, &e) < 0) {
			berth_error_release(&e);
			continue;
		}
		json_array_append_new(arr, state_to_spec_json(root, s));
		state_free(s);
	}
	closedir(d);
	*out = arr;
	return 0;
}

/* ---- run -------------------------------------------------------------------------- */

int container_run(const struct container_opts *o, bool detach, bool keep, int *status,
                  berth_error_t *err)
{
	struct container_opts fo = *o;
	pid_t pid;
	int master = -1;
	sigset_t chld, old;
	int r;

	*status = 0;
	fo.foreground = !detach;
	fo.start_now = true;
	if (!detach) {
		/* the init is re-parented to us when stage 1 exits */
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		/* no SIGCHLD may be lost between create and supervise */
		sigemptyset(&chld);
		sigaddset(&chld, SIGCHLD);
		sigprocmask(SIG_BLOCK, &chld, &old);
	}
	/* created and started: a failure leaves nothing behind (container_build_abort) */
	if (container_create_full(&fo, &pid, detach ? NULL : &master, err) < 0)
		return -1;
	if (detach)
		return 0;
	r = supervise_child(pid, master, status, err);
	timing_mark("exited");
	if (!keep) {
		berth_error_t e = NULL;
		if (container_delete(o->root, o->id, true, &e) < 0) {
			log_warning("%s", e->msg);
			berth_error_release(&e);
		}
	}
	return r;
}
