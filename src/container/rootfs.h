/* SPDX-License-Identifier: MIT */
/* The container's root filesystem: mounts, /dev, pivot_root, masked and read-only paths.
 *
 * Everything here runs in the container's init process, after it has unshared (or joined)
 * its mount namespace (and its user namespace, if any) and before the user process runs.
 * The order is runc's:
 *
 *   rootfs_prepare()   / -> rslave (or linux.rootfsPropagation), parent of the rootfs made
 *                      private, rootfs bind-mounted onto itself, every config mount in order,
 *                      default devices, /dev symlinks, /dev/ptmx, linux.devices
 *   ... the runtime runs the createContainer hooks here (container's mount ns, old root) ...
 *   rootfs_pivot()     pivot_root(2) into the rootfs (or MS_MOVE + chroot with no_pivot)
 *   rootfs_mount_console()   optional: bind the pty slave onto /dev/console
 *   rootfs_finalize()  linux.sysctl, readonlyPaths, maskedPaths, root.readonly, and last
 *                      linux.rootfsPropagation on "/" (when it is not private)
 *
 * Every path inside the rootfs is resolved with util_*_in_root() (openat2 RESOLVE_IN_ROOT),
 * and every mount targets the resolved O_PATH fd through /proc/self/fd/N, so no symlink
 * in the rootfs can make a mount, a device node or a write land on the host.
 *
 * Errors are one line naming the destination and the call, e.g.
 *   mount `proc` on `/proc`: Operation not permitted
 * See docs/rootfs.md. */
#ifndef BERTH_ROOTFS_H
#define BERTH_ROOTFS_H

#include "cgroup.h"
#include "config.h"
#include "error.h"

#include <stdbool.h>

struct rootfs_opts {
	const char *rootfs;      /* host path of root.path (absolute; symlinks resolved here) */
	bool no_pivot;           /* --no-pivot: MS_MOVE the rootfs onto / and chroot */
	bool userns;             /* in a new user namespace: devices are bind-mounted from the
	                          * host instead of mknod, locked mount flags are kept */
	bool new_netns;          /* in a new network namespace (else sysfs in a user ns is an
	                          * rbind of the host's /sys) */
	bool new_cgroupns;       /* in a new cgroup namespace (cgroup v1: mount the hierarchies
	                          * fresh instead of binding the container's cgroups) */
	const char *cgroup_path; /* the container's cgroup relative to the hierarchy root
	                          * ("/berth/ID"), for the "cgroup" mount; NULL: read
	                          * /proc/self/cgroup (init must already be in its cgroup) */
	/* NULL, or the host's cgroup layout the runtime detected before the fork: with
	 * cgroup_host->plain, the "cgroup" mount on a v1 host takes it instead of reading
	 * mountinfo */
	const struct cgroup_host *cgroup_host;
	const int *bind_fds; /* NULL, or per mount of c->mounts: a detached clone of the
	                      * bind source made before entering the user namespace
	                      * (rootfs_open_bind_sources), or -1 */
	/* NULL, or called before each cgroup mount: the init waits there until the runtime
	 * has put it in its cgroup, and enters its cgroup namespace (init.c) */
	int (*before_cgroup)(void *arg, berth_error_t *err);
	void *before_cgroup_arg;
};

/* With a user namespace, bind sources are cloned (open_tree) before entering it, as runc
 * and crun open them, so that a source the mapped root cannot traverse still works.
 * Returns an array of c->n_mounts fds (-1 where not a bind, idmapped or not openable: the
 * mount then opens its source itself and reports the error), or NULL when no mount needs
 * it. Runs in stage 1, before the namespaces are joined. */
int *rootfs_open_bind_sources(const struct config *c);

/* Up to (not including) pivot_root: propagation, the rootfs as a mount point, every mount of
 * c->mounts, devices and /dev symlinks. Runs in the container's mount namespace. */
int rootfs_prepare(const struct config *c, const struct rootfs_opts *o, berth_error_t *err);

/* pivot_root into o->rootfs and detach the old root (or MS_MOVE + chroot when o->no_pivot).
 * Afterwards "/" is the container's root and the cwd is "/". */
int rootfs_pivot(const struct config *c, const struct rootfs_opts *o, berth_error_t *err);

/* After rootfs_pivot: bind-mount the terminal `console_fd` onto /dev/console (created if
 * needed). It must be a pty slave of the container's own /dev/pts (open /dev/ptmx after the
 * pivot, as runc does): a mount left behind with the old root cannot be bound. Optional. */
int rootfs_mount_console(int console_fd, berth_error_t *err);

/* After rootfs_pivot: linux.sysctl, readonlyPaths, maskedPaths, root.readonly, then
 * linux.rootfsPropagation of "/" if it is shared/slave/unbindable. */
int rootfs_finalize(const struct config *c, const struct rootfs_opts *o, berth_error_t *err);

/* prepare + pivot + finalize, for callers without createContainer hooks. */
int rootfs_setup(const struct config *c, const struct rootfs_opts *o, berth_error_t *err);

/* Write linux.sysctl entries to /proc/sys ("net.ipv4.ip_forward" -> net/ipv4/ip_forward).
 * Keys containing "/" or ".." components are refused. */
int rootfs_write_sysctl(const struct config *c, berth_error_t *err);

#endif
