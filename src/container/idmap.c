/* SPDX-License-Identifier: MIT */
#include "idmap.h"
#include "log.h"
#include "userns.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

const char *idmap_fs_name(long magic)
{
	static const struct {
		long magic;
		const char *name;
	} names[] = {{EXT4_SUPER_MAGIC, "ext4"},
	             {XFS_SUPER_MAGIC, "xfs"},
	             {BTRFS_SUPER_MAGIC, "btrfs"},
	             {TMPFS_MAGIC, "tmpfs"},
	             {OVERLAYFS_SUPER_MAGIC, "overlay"},
	             {NFS_SUPER_MAGIC, "nfs"},
	             {0x65735546, "fuse"},
	             {V9FS_MAGIC, "9p"},
	             {MSDOS_SUPER_MAGIC, "vfat"},
	             {PROC_SUPER_MAGIC, "proc"},
	             {SYSFS_MAGIC, "sysfs"},
	             {SQUASHFS_MAGIC, "squashfs"},
	             {RAMFS_MAGIC, "ramfs"}};
	static char unknown[32];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].magic == magic)
			return names[i].name;
	snprintf(unknown, sizeof(unknown), "0x%lx", (unsigned long)magic);
	return unknown;
}

/* A user namespace fd with the mount's mappings (or the container's): a child unshares one,
 * we write its maps (userns.c: directly, or through newuidmap as an ordinary user), open
 * /proc/PID/ns/user and let it go. */
static int idmap_userns(const struct config *c, const struct config_mount *m, berth_error_t *err)
{
	const struct config_id_mapping *um = m->uid_mappings, *gm = m->gid_mappings;
	size_t nu = m->n_uid_mappings, ng = m->n_gid_mappings;
	int ready[2], done[2], fd = -1, status;
	pid_t pid;
	char b = 0;

	if (nu == 0 && ng == 0) {
		um = c->linux_.uid_mappings;
		nu = c->linux_.n_uid_mappings;
		gm = c->linux_.gid_mappings;
		ng = c->linux_.n_gid_mappings;
	}
	if (nu == 0 || ng == 0)
		return berth_error(err, EINVAL, "idmapped mount `%s`: no uid/gid mappings",
		                   m->destination);
	if (pipe2(ready, O_CLOEXEC) < 0)
		return berth_error(err, errno, "pipe");
	if (pipe2(done, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return berth_error(err, errno, "pipe");
	}
	pid = fork();
	if (pid < 0) {
		berth_error(err, errno, "fork");
		goto out;
	}
	if (pid == 0) {
		/* tell the parent our pid as the mounted /proc sees it: this may be a new pid
		 * namespace whose /proc is not mounted yet */
		char self[32] = "";
		ssize_t n;
		close(ready[0]);
		close(done[1]);
		if (unshare(CLONE_NEWUSER) == 0) {
			n = readlink("/proc/self", self, sizeof(self) - 1);
			self[n > 0 ? n : 0] = '\0';
		}
		if (write(ready[1], self, sizeof(self)) != (ssize_t)sizeof(self))
			_exit(1);
		if (read(done[0], &b, 1) < 0)
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	ready[1] = -1;
	close(done[0]);
	done[0] = -1;
	{
		char self[32];
		int procpid;
		char path[64];
		if (util_read_all(ready[0], self, sizeof(self)) != (ssize_t)sizeof(self) ||
		    (procpid = atoi(self)) <= 0) {
			berth_error(err, EPERM, "idmapped mount `%s`: unshare a user namespace",
			            m->destination);
			goto reap;
		}
		if (userns_write_id_maps(procpid, um, nu, gm, ng, err) < 0) {
			berth_error_prefix(err, "idmapped mount `%s`", m->destination);
			goto reap;
		}
		snprintf(path, sizeof(path), "/proc/%d/ns/user", procpid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			berth_error(err, errno, "open `%s`", path);
	}
reap:
	close(done[1]);
	done[1] = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
out:
	if (ready[0] >= 0)
		close(ready[0]);
	if (ready[1] >= 0)
		close(ready[1]);
	if (done[0] >= 0)
		close(done[0]);
	if (done[1] >= 0)
		close(done[1]);
	return fd;
}

static bool idmap_recursive(const struct config_mount *cm)
{
	return (cm->flags & MS_REC) || (cm->type && strcmp(cm->type, "rbind") == 0);
}

int idmap_clone(const struct config *c, const struct config_mount *cm, int srcfd,
                berth_error_t *err)
{
	bool rec = idmap_recursive(cm);            /* rbind: clone the whole tree */
	bool rec_attr = rec || cm->recursive_attr; /* ridmap: idmap all of it */
	cleanup_close int userns = idmap_userns(c, cm, err);
	cleanup_close int tree = -1;
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP};
	struct statfs sfs;

	if (userns < 0)
		return -1;
	attr.userns_fd = (uint64_t)userns;
	tree = open_tree(srcfd, "",
	                 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
	                     (rec ? AT_RECURSIVE : 0));
	if (tree < 0)
		return berth_error(err, errno, "open_tree `%s` (for `%s`)", cm->source,
		                   cm->destination);
	if (mount_setattr(tree, "", AT_EMPTY_PATH | (rec_attr ? AT_RECURSIVE : 0), &attr,
	                  sizeof(attr)) == 0)
		return util_steal_fd(tree);
	if (errno == EINVAL && fstatfs(srcfd, &sfs) == 0)
		return berth_error(err, errno,
		                   "idmap `%s` (for `%s`): the %s file system of the source does "
		                   "not support idmapped mounts%s",
		                   cm->source, cm->destination, idmap_fs_name(sfs.f_type),
		                   rec_attr ? " (or a mount below it does not)" : "");
	if (errno == EPERM && fstatfs(srcfd, &sfs) == 0)
		/* the kernel wants CAP_SYS_ADMIN in the file system's user namespace: an
		 * ordinary user (rootless) has it only in its own */
		return berth_error(err, errno,
		                   "idmap `%s` (for `%s`): the %s file system of the source "
		                   "belongs to another user namespace (the host's), and only its "
		                   "root can idmap its mounts",
		                   cm->source, cm->destination, idmap_fs_name(sfs.f_type));
	return berth_error(err, errno, "idmap `%s` (for `%s`)", cm->source, cm->destination);
}

int idmap_open_trees(const struct config *c, int **fds, berth_error_t *err)
{
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct config_mount *cm = &c->mounts[i];
		bool bind =
		    cm->bind || (cm->flags & MS_BIND) ||
		    (cm->type && (strcmp(cm->type, "bind") == 0 || strcmp(cm->type, "rbind") == 0));
		cleanup_close int src = -1;

		if (!cm->idmap || !bind || cm->source == NULL)
			continue;
		if (*fds == NULL) {
			*fds = xmalloc0(c->n_mounts * sizeof(int));
			for (size_t j = 0; j < c->n_mounts; j++)
				(*fds)[j] = -1;
		}
		src = open(cm->source, O_PATH | O_CLOEXEC);
		if (src < 0)
			return berth_error(err, errno, "mount `%s` on `%s`: open source",
			                   cm->source, cm->destination);
		(*fds)[i] = idmap_clone(c, cm, src, err);
		if ((*fds)[i] < 0)
			return -1;
	}
	return 0;
}
