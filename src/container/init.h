/* SPDX-License-Identifier: MIT */
/* The container's init, from fork to exec. Runs in the children of berth-runtime:
 *   stage 1 joins and creates the namespaces (the user namespace first, so that the runtime
 *           can write its id maps) and forks stage 2 into them;
 *   stage 2 is the container's pid 1: rootfs, hooks, terminal, identity; it then blocks on
 *           exec.fifo until `start` and execs the user program.
 * Every step reports failure to the runtime over the sync socket as one line. Without
 * namespaces to join or id maps to write, the runtime forks stage 2 itself (init_direct). */
#ifndef BERTH_INIT_H
#define BERTH_INIT_H

#include "config.h"

#include <stdbool.h>

struct cgroup_host;

struct seccomp_program;

struct init_args {
	const struct config *config;
	const char *rootfs;      /* absolute host path */
	const char *cgroup_path; /* for the cgroup mount */
	bool no_pivot;
	int sync_fd;    /* SOCK_SEQPACKET to the runtime */
	int fifo_fd;    /* O_PATH of exec.fifo; -1 (`run`): no SYNC_READY, the init goes on to
	                 * exec once it has SYNC_GO, errors reported on sync_fd */
	int console_fd; /* connected console socket, or -1 */
	int preserve_fds;
	char **extra_env; /* LISTEN_FDS etc., NULL terminated */
	int *bind_fds;    /* set by stage 1: rootfs_open_bind_sources(), idmap_open_trees() */
	const struct seccomp_program *scmp; /* linux.seccomp compiled, or NULL */
	/* init_direct: the init moves itself into its v1 cgroups (cgroup_join_self_v1) as it
	 * starts, through these directories (O_PATH, opened by the runtime), and closes them;
	 * it is in its cgroup2 cgroup from its birth (clone3 CLONE_INTO_CGROUP) */
	bool cgroup_self;
	const int *cgroup_fds;
	size_t n_cgroup_fds;
	/* with cgroup_self: the v1 directories do not exist yet (no cgroup_fds); once it has
	 * made its namespaces, the init waits for SYNC_CGROUP and opens them itself in
	 * cgroup_host, the host's layout the runtime detected, under cgroup_path */
	bool cgroup_late;
	const struct cgroup_host *cgroup_host;
	bool cgroup_made_seen; /* SYNC_CGROUP received (init_direct) */
};

/* Never returns: _exit()s or execs. */
__attribute__((noreturn)) void init_stage1(const struct init_args *a);

/* Whether the runtime may fork the init itself, without stage 1: no namespace to join by
 * path, no user namespace with mappings (its maps are written between unshare and the
 * rest), no time namespace (its offsets are written before any process is in it). The
 * runtime then makes the new pid namespace its children's (unshare CLONE_NEWPID, undone
 * with setns after the fork), and the init makes the others. One fork and one round trip
 * fewer (docs/performance.md). */
bool init_can_direct(const struct config *c);
/* The init forked by the runtime directly. Never returns. */
__attribute__((noreturn)) void init_direct(const struct init_args *a);

#endif
