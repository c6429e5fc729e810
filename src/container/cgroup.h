/* SPDX-License-Identifier: MIT */
/* Control groups through cgroupfs (no systemd): cgroup v1, v2 and hybrid hosts.
 *
 * A cgroup is named by a path inside the hierarchy ("/berth/ID"); the same path is used in
 * every hierarchy the host has: each mounted v1 hierarchy (named ones like name=systemd
 * included) and the cgroup2 tree. Resources go to whichever hierarchy holds the controller;
 * on a hybrid host a controller found in v1 wins, one only in the cgroup2 tree (hugetlb, say)
 * is used there.
 *
 * The path is all there is to store: reopen with cgroup_host_detect() + cgroup_open().
 * See docs/cgroups.md. */
#ifndef BERTH_CGROUP_H
#define BERTH_CGROUP_H

#include "config.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum cgroup_mode {
	CGROUP_MODE_NONE = 0,
	CGROUP_MODE_V1,     /* only v1 hierarchies */
	CGROUP_MODE_V2,     /* cgroup2 mounted at the root ("unified") */
	CGROUP_MODE_HYBRID, /* v1 hierarchies plus cgroup2 at <root>/unified */
};

/* Controllers, as a bit mask (1u << CGROUP_CTRL_X). blkio (v1) and io (v2) share a bit. */
enum cgroup_controller {
	CGROUP_CTRL_CPU,
	CGROUP_CTRL_CPUACCT,
	CGROUP_CTRL_CPUSET,
	CGROUP_CTRL_MEMORY,
	CGROUP_CTRL_DEVICES,
	CGROUP_CTRL_FREEZER,
	CGROUP_CTRL_IO, /* "blkio" on v1, "io" on v2 */
	CGROUP_CTRL_PIDS,
	CGROUP_CTRL_HUGETLB,
	CGROUP_CTRL_NET_CLS,
	CGROUP_CTRL_NET_PRIO,
	CGROUP_CTRL_PERF_EVENT,
	CGROUP_CTRL_RDMA,
	CGROUP_CTRL_MISC,
	CGROUP_CTRL_COUNT
};

#define CGROUP_MAX_HIERARCHIES 20
#define CGROUP_MOUNT_MAX       256

struct cgroup_hierarchy {
	char mount[CGROUP_MOUNT_MAX]; /* "/sys/fs/cgroup/cpu,cpuacct" */
	char options[128];    /* the controllers as mounted: "cpu,cpuacct", "name=systemd" */
	unsigned controllers; /* mask of known controllers in it (0 for named ones) */
};

/* What the host offers. Plain data (no heap): copy it, keep it on the stack, no free. */
struct cgroup_host {
	enum cgroup_mode mode;
	char root[CGROUP_MOUNT_MAX]; /* "/sys/fs/cgroup" */
	size_t n_v1;
	struct cgroup_hierarchy v1[CGROUP_MAX_HIERARCHIES];
	unsigned v1_controllers; /* union of v1[].controllers */
	bool has_v2;
	char v2_mount[CGROUP_MOUNT_MAX]; /* "/sys/fs/cgroup" (v2) or ".../unified" (hybrid) */
	unsigned v2_controllers;         /* from <v2_mount>/cgroup.controllers */
	/* every cgroup mount under root was taken as it is: each one directly below root,
	 * showing its hierarchy's root ("/"), none dropped (a v1 hierarchy mounted twice, a
	 * second cgroup2, more than CGROUP_MAX_HIERARCHIES). Then v1[] and v2_mount say all
	 * that mountinfo says of them, in a mount namespace copied from this one too (the
	 * init's "cgroup" mount, rootfs.c) */
	bool plain;
};

/* Detect the host's cgroups under root (NULL: "/sys/fs/cgroup") from /proc/self/mountinfo. */
int cgroup_host_detect(struct cgroup_host *h, const char *root, berth_error_t *err);

/* The same with test hooks. */
struct cgroup_detect_opts {
	const char *root;       /* NULL: "/sys/fs/cgroup" */
	const char *mountinfo;  /* NULL: "/proc/self/mountinfo" */
	enum cgroup_mode force; /* NONE: from statfs(root). V2: treat root as a cgroup2 tree
	                         * whatever it is (a temp dir in tests); mountinfo unused */
};
int cgroup_host_detect_opts(struct cgroup_host *h, const struct cgroup_detect_opts *o,
                            berth_error_t *err);

const char *cgroup_mode_name(enum cgroup_mode m); /* "v1", "v2", "hybrid", "none" */
/* "cpu", "io", …: the v2 name (v1 = true: "blkio" for IO). NULL when out of range. */
const char *cgroup_controller_name(enum cgroup_controller c, bool v1);

/* The cgroup path for linux.cgroupsPath (may be NULL) and the container id, normalised
 * ("/a/b", no trailing slash, no "//"):
 *   NULL or ""         -> "/berth/<id>"
 *   "/a/b"             -> "/a/b"
 *   "a/b"              -> "/a/b" (relative paths are taken from the hierarchy root)
 *   "slice:prefix:name" (systemd form) -> expanded as runc's cgroupfs driver would:
 *      "system.slice:docker:abc" -> "/system.slice/docker-abc.scope",
 *      "a-b.slice:p:n"           -> "/a.slice/a-b.slice/p-n.scope",
 *      ":p:n"                    -> "/system.slice/p-n.scope" (runc's default slice),
 *      "-.slice:p:n"             -> "/p-n.scope" (the root slice),
 *      "s.slice::n"              -> "/s.slice/n.scope" (no prefix),
 *      a name ending in ".slice" is used as is ("a.slice:p:x.slice" -> "/a.slice/x.slice").
 * Rejects "..", "." components, control characters and an empty result. NULL + *err on
 * failure. */
char *cgroup_path_for(const char *cgroups_path, const char *id, berth_error_t *err);

/* An open cgroup. */
struct cgroup {
	struct cgroup_host host;
	char *path; /* "/berth/ID" */
};

/* mkdir the path in every hierarchy (v1: every mounted one; v2: enabling the available
 * controllers in cgroup.subtree_control of each ancestor; v1 cpuset: cpus/mems copied down
 * from the parent). All or nothing: on failure whatever was created is removed. An existing
 * cgroup is reused if it holds no process, otherwise it is an error. */
int cgroup_create(const struct cgroup_host *h, const char *path, struct cgroup **out,
                  berth_error_t *err);
/* Which hierarchies cgroup_create_part() makes the path in. */
enum cgroup_part {
	CGROUP_PART_ALL,
	CGROUP_PART_V2, /* only the cgroup2 tree (nothing where there is none) */
	CGROUP_PART_V1, /* only the v1 hierarchies */
};
/* cgroup_create() in part of the hierarchies: the cgroup2 directory before the init is cloned
 * into it, the v1 ones while it makes its namespaces (docs/performance.md). All or nothing
 * within the part. */
int cgroup_create_part(const struct cgroup_host *h, const char *path, enum cgroup_part part,
                       struct cgroup **out, berth_error_t *err);
/* Open an existing cgroup (no check that it exists). */
int cgroup_open(const struct cgroup_host *h, const char *path, struct cgroup **out,
                berth_error_t *err);
void cgroup_free(struct cgroup *cg);

/* Move pid into the cgroup in every hierarchy (cgroup.procs). */
int cgroup_enter(const struct cgroup *cg, pid_t pid, berth_error_t *err);
/* The cgroup's directory in each v1 hierarchy (v1_fds, room for CGROUP_MAX_HIERARCHIES;
 * *n_v1 of them) and in the cgroup2 tree (*v2_fd, -1 when there is none), O_PATH and
 * close-on-exec, for a process that is not in it yet: the v2 one for clone3's
 * CLONE_INTO_CGROUP, the v1 ones for cgroup_join_self_v1() in that process. v1_fds NULL:
 * only the v2 one; v2_fd NULL: only the v1 ones. On failure nothing is left open. */
int cgroup_open_dirs(const struct cgroup *cg, int *v1_fds, size_t *n_v1, int *v2_fd,
                     berth_error_t *err);
/* The calling process, which must be single-threaded, moves itself into the v1 cgroups of
 * fds by writing 0 to their `tasks`: one thread moving itself does not take the cgroup
 * threadgroup lock, whose first taking waits for an RCU grace period (a pid written to
 * cgroup.procs does: 4-15 ms; docs/performance.md). */
int cgroup_join_self_v1(const int *fds, size_t n, berth_error_t *err);
/* The same into existing sub-cgroups, as runc's `exec --cgroup`: each of subs is "PATH" (every
 * hierarchy) or "CTRL[,CTRL…]:PATH" (the v1 hierarchies holding one of those controllers),
 * PATH relative to the container's cgroup; hierarchies no sub names get the container's. */
int cgroup_enter_sub(const struct cgroup *cg, pid_t pid, char *const *subs, size_t n_subs,
                     berth_error_t *err);

/* Apply linux.resources. Device rules are followed by runc's default allowed devices
 * (null, zero, full, random, urandom, tty, ptmx, pts 136:*, "c *:* m", "b *:* m"), as
 * runc does, so a config without device rules gives a deny-by-default cgroup.
 * Equivalent to cgroup_apply_opts() with all options zero. */
int cgroup_apply(const struct cgroup *cg, const struct config_resources *r, berth_error_t *err);

struct cgroup_apply_opts {
	/* linux.devices: each is also allowed "rwm" (after the rules, as runc does) */
	const struct config_device *devices;
	size_t n_devices;
	bool skip_devices; /* leave the device controller alone (rootless, tests) */
	bool update;       /* `update`: devices only touched when rules are given; honours
	                    * memory.checkBeforeUpdate */
};
int cgroup_apply_opts(const struct cgroup *cg, const struct config_resources *r,
                      const struct cgroup_apply_opts *o, berth_error_t *err);

/* Kill what is left inside (v2 cgroup.kill, else freeze + SIGKILL + thaw), then rmdir the
 * path and every cgroup below it, depth first, in every hierarchy, retrying EBUSY for up to
 * about a second. A path that does not exist is success. */
int cgroup_destroy(const struct cgroup_host *h, const char *path, berth_error_t *err);
/* The mount points of h's hierarchies, in the order cgroup_destroy takes them (pointers into
 * h). Returns how many. */
size_t cgroup_host_mounts(const struct cgroup_host *h,
                          const char *mounts[CGROUP_MAX_HIERARCHIES + 1]);
/* cgroup_destroy's common case without a cgroup_host (whose detection reads mountinfo):
 * rmdir path in each of the n hierarchies mounted at mounts[] (cgroup_host_mounts() of the
 * host when the cgroup was made; each one "/sys/fs/cgroup" or below it). 0: each one is gone;
 * -1: something is left (processes, cgroups below, a mount point not taken): call
 * cgroup_destroy. */
int cgroup_remove_at(const char *const *mounts, size_t n, const char *path);

/* Every pid in the cgroup and below it (from one hierarchy). *pids is malloc'ed. */
int cgroup_get_pids(const struct cgroup_host *h, const char *path, pid_t **pids, size_t *n,
                    berth_error_t *err);

/* Freeze / thaw and wait (up to a few seconds) until the state has settled. v1 freezer when
 * the host has one in v1, else cgroup.freeze on v2. */
int cgroup_freeze(const struct cgroup *cg, berth_error_t *err);
int cgroup_thaw(const struct cgroup *cg, berth_error_t *err);
/* Thaw whatever freezer cgroup pid sits in, whoever froze it, and the ancestors of that
 * cgroup (a parent's freeze holds its children): a frozen task cannot die of SIGKILL. Best
 * effort. */
void cgroup_thaw_pid(const struct cgroup_host *h, pid_t pid);
/* pid's cgroup (pid 0: this process) in the hierarchy whose controllers are `ctrls`
 * ("cpu,cpuacct", "name=systemd", "" for cgroup v2), from /proc/PID/cgroup; NULL if none. */
char *cgroup_pid_path(pid_t pid, const char *ctrls);
/* Start the grace period that the first move of a task between cgroups waits for (moving
 * takes the cgroup threadgroup lock for writing, which first waits for an RCU grace period
 * unless another move did so moments before): a child sharing this process's memory
 * (CLONE_VM, so no page tables are copied) writes itself to its own cgroup v2 cgroup.procs
 * and exits, so that the runtime's own write finds the wait under way or over. Returns the
 * child's pid (the caller reaps it), or -1 when there is no cgroup v2 file to write to. */
pid_t cgroup_warm(void);
/* 1 frozen, 0 not, -1 error. */
int cgroup_is_frozen(const struct cgroup *cg, berth_error_t *err);
/* The directory that cgroup_freeze and cgroup_is_frozen use for cg, and whether it is
 * cgroup2's (*v2); NULL when the host has no freezer. */
char *cgroup_freezer_dir(const struct cgroup *cg, bool *v2);
/* cgroup_is_frozen on such a directory (one under /sys/fs/cgroup, without `..`). */
int cgroup_dir_is_frozen(const char *dir, bool v2, berth_error_t *err);

/* OOM kills so far (v1 memory.oom_control oom_kill, v2 memory.events oom_kill). */
int cgroup_oom_count(const struct cgroup *cg, uint64_t *count, berth_error_t *err);

/* Statistics as runc's `events --stats` reports them. Nanoseconds for times, bytes for
 * memory. A value the host cannot give is 0. UINT64_MAX for "max" limits. */
struct cgroup_mem_entry {
	uint64_t usage, max_usage, limit, failcnt;
};
struct cgroup_blkio_entry {
	uint64_t major, minor;
	char op[16]; /* "Read", "Write", "Sync", "Async", "Discard", "Total" */
	uint64_t value;
};
struct cgroup_hugetlb_entry {
	char page_size[16]; /* "2MB" */
	uint64_t usage, max_usage, failcnt;
};
struct cgroup_stats {
	struct {
		uint64_t total, user, kernel; /* usage */
		uint64_t *percpu;             /* v1 cpuacct.usage_percpu; malloc'ed */
		size_t n_percpu;
		uint64_t periods, throttled_periods, throttled_time;
	} cpu;
	struct {
		uint64_t cache, rss, oom_kill;
		struct cgroup_mem_entry usage, swap, kernel, kernel_tcp;
		bool use_hierarchy;
		struct config_kv *raw; /* memory.stat as key/value; malloc'ed */
		size_t n_raw;
	} memory;
	struct {
		uint64_t current, limit; /* limit 0: no limit */
	} pids;
	struct {
		struct cgroup_blkio_entry *service_bytes, *serviced; /* recursive */
		size_t n_service_bytes, n_serviced;
	} blkio;
	struct cgroup_hugetlb_entry *hugetlb;
	size_t n_hugetlb;
};
int cgroup_stats(const struct cgroup *cg, struct cgroup_stats *st, berth_error_t *err);
void cgroup_stats_free(struct cgroup_stats *st);

/* ---- conversions (exposed for tests and `update`) ------------------------------------ */
/* cpu.shares -> cpu.weight: 0 -> 0 (unset), else 1 + ((shares - 2) * 9999) / 262142 with
 * shares clamped to [2, 262144]. */
uint64_t cgroup_shares_to_weight(uint64_t shares);
/* blkio.weight -> io.weight: 0 -> 0, else 1 + (w - 10) * 9999 / 990 (w clamped to
 * [10, 1000]). */
uint64_t cgroup_blkio_to_io_weight(uint64_t weight);
/* memory.swap.max from OCI swap (memory+swap) and limit: -1 -> "max"; returns 0 and sets
 * *out ("max" = -1, or bytes), or -1 with *err on an invalid pair. *set false: leave it. */
int cgroup_swap_to_v2(int64_t swap, int64_t limit, int64_t *out, bool *set, berth_error_t *err);

#endif
