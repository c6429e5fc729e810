/* SPDX-License-Identifier: MIT */
/* The defence of berth-runtime and berth against CVE-2019-5736 without copying themselves: a
 * re-exec of the binary through a detached, read-only overlayfs of the binary's directory
 * (as runc 1.2); a sealed in-memory copy (util_exec_sealed_self) where that is refused. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Set by the re-exec, for the copy to know it is one; unset by the copy at once. */
#define SEAL_ENV "_BERTH_SEALED"
#define SEAL_ST  (ST_RDONLY | ST_NOSUID | ST_NODEV)

/* fd is a file of a read-only overlayfs mounted nosuid and nodev: what seal_overlay makes
 * (an overlay without an upper layer is read-only in its superblock: no remount makes it
 * writable). */
static bool seal_is_overlay(int fd)
{
	struct statfs sf;

	return fstatfs(fd, &sf) == 0 && sf.f_type == OVERLAYFS_SUPER_MAGIC &&
	       (sf.f_flags & SEAL_ST) == SEAL_ST;
}

/* path with overlayfs's lowerdir separators (':') and its escape ('\') escaped, to out */
static int seal_escape(const char *path, char *out, size_t size)
{
	size_t n = 0;

	for (const char *p = path; *p; p++) {
		if (n + 3 > size)
			return -1;
		if (*p == ':' || *p == '\\')
			out[n++] = '\\';
		out[n++] = *p;
	}
	out[n] = '\0';
	return 0;
}

/* The running binary, opened (O_PATH) through a new detached overlayfs whose layers are its
 * directory (on top) and `other` (overlayfs needs two lower layers to mount without an upper
 * one; `other` must be a directory that neither contains the binary's nor is inside it):
 * read-only, nosuid, nodev, with no path from it to the binary's real file. -1 when the
 * kernel or the caller's rights do not allow it, or the file found is not the binary. */
static int seal_overlay(const char *other)
{
	char self[PATH_MAX], lower[2 * PATH_MAX + 2 + PATH_MAX];
	cleanup_close int fs = -1, mnt = -1, fd = -1;
	struct stat want, got;
	char *slash;
	ssize_t n;
	size_t len;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || self[0] != '/')
		return -1;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == self || stat("/proc/self/exe", &want) < 0)
		return -1; /* in / (it cannot be a layer), a memfd's "/memfd:…", or gone */
	*slash = '\0';
	if (seal_escape(self, lower, sizeof(lower) - PATH_MAX) < 0)
		return -1;
	len = strlen(lower);
	lower[len++] = ':';
	if (seal_escape(other, lower + len, sizeof(lower) - len) < 0)
		return -1;
	fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
	if (fs < 0 || syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "lowerdir", lower, 0) < 0)
		return -1;
	/* xino is of no use here and may log a line when the layers are on two filesystems */
	(void)syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "xino", "off", 0);
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -1;
	mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
	                   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (mnt < 0)
		return -1;
	fd = openat(mnt, slash + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	/* overlayfs gives the file its own device (and, across filesystems, inode) number: the
	 * same size, mode and modification time as the binary's, and the overlay's flags */
	if (fd < 0 || fstat(fd, &got) < 0 || !S_ISREG(got.st_mode) || got.st_size != want.st_size ||
	    got.st_mode != want.st_mode || got.st_mtim.tv_sec != want.st_mtim.tv_sec ||
	    got.st_mtim.tv_nsec != want.st_mtim.tv_nsec || !seal_is_overlay(fd))
		return -1;
	return util_steal_fd(fd);
}

void util_exec_sealed(const char *name, const char *self_env, const char *other, bool make_other,
                      char **argv)
{
	extern char **environ;
	cleanup_close int fd = -1;
	struct stat st;

	if (getenv(SEAL_ENV) != NULL) {
		cleanup_close int self = open("/proc/self/exe", O_PATH | O_CLOEXEC);
		unsetenv(SEAL_ENV);
		if (self >= 0 && seal_is_overlay(self))
			return;
	}
	/* (made here when it is not yet) */
	if (make_other && stat(other, &st) < 0 && errno == ENOENT) {
		berth_error_t err = NULL;
		if (util_mkdir_p(other, 0711, &err) < 0)
			berth_error_release(&err);
	}
	fd = seal_overlay(other);
	if (fd >= 0) {
		util_export_self(self_env);
		setenv(SEAL_ENV, "1", 1);
		syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
		unsetenv(SEAL_ENV);
	}
	/* overlayfs not allowed here (or the exec failed): the sealed in-memory copy */
	util_exec_sealed_self(name, self_env, argv);
}
