/* SPDX-License-Identifier: MIT */
/* The device nodes and /dev links of the container's root filesystem (rootfs_prepare's
 * last steps; rootfs.h has the order of operations). */
#include "rootfs.h"
#include "rootfs_priv.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const struct {
	const char *path;
	unsigned major, minor;
} rootfs_default_devices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

/* Compare two absolute paths ignoring repeated and trailing slashes. */
static bool rootfs_same_path(const char *a, const char *b)
{
	for (;;) {
		while (*a == '/' && (a[1] == '/' || a[1] == '\0'))
			a++;
		while (*b == '/' && (b[1] == '/' || b[1] == '\0'))
			b++;
		if (*a != *b)
			return false;
		if (*a == '\0')
			return true;
		a++;
		b++;
	}
}

/* Split "/a/b/c" (or "/a/b/c/": trailing slashes are dropped, as crun does) into newly
 * allocated "/a/b" and "c". */
static int rootfs_split(const char *path, char **dir, char **base, berth_error_t *err)
{
	const char *slash;
	size_t end = strlen(path);

	while (end > 1 && path[end - 1] == '/')
		end--;
	slash = memrchr(path, '/', end);
	if (slash == NULL)
		*dir = xstrdup("/");
	else
		*dir = strndup(path, (size_t)(slash - path) + (slash == path ? 1 : 0));
	if (*dir == NULL)
		abort();
	*base = strndup(slash ? slash + 1 : path, end - (size_t)(slash ? slash + 1 - path : 0));
	if (*base == NULL)
		abort();
	if (**base == '\0' || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0 ||
	    strchr(*base, '/') != NULL)
		return berth_error(err, EINVAL, "bad device path `%s`", path);
	return 0;
}

struct rootfs_dev {
	const char *path;
	char type;
	unsigned major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

/* Bind-mount the host's device node of the same path (user namespaces, or mknod refused). */
static int rootfs_bind_device(int pfd, const char *base, const struct rootfs_dev *d,
                              berth_error_t *err)
{
	cleanup_close int src = open(d->path, O_PATH | O_CLOEXEC);
	cleanup_close int f = -1;
	char sp[32], dp[32];
	struct stat st;

	if (src < 0 || fstat(src, &st) < 0)
		return berth_error(err, errno, "bind device `%s`: open the host's", d->path);
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode) && !S_ISFIFO(st.st_mode))
		return berth_error(err, ENODEV, "bind device `%s`: the host's is not a device",
		                   d->path);
	f = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
	           0600);
	if (f >= 0) {
		close(f);
		f = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	if (f < 0)
		return berth_error(err, errno, "bind device `%s`: create", d->path);
	util_fd_path(src, sp);
	util_fd_path(f, dp);
	if (mount(sp, dp, NULL, MS_BIND, NULL) < 0)
		return berth_error(err, errno, "mount `%s` on `%s`", d->path, d->path);
	return 0;
}

/* The directory the last device was made in, kept open for the next one in the same
 * directory (the default six are all in /dev): one walk and one check that it is inside the
 * rootfs instead of one per device. Nothing but the init itself acts in its mount namespace
 * meanwhile. */
struct rootfs_devdir {
	char *dir;
	int fd;
};

static void rootfs_devdir_release(struct rootfs_devdir *dd)
{
	free(dd->dir);
	dd->dir = NULL;
	if (dd->fd >= 0)
		close(dd->fd);
	dd->fd = -1;
}

/* Takes dir. */
static int rootfs_devdir_open(struct rootfs_ctx *ctx, struct rootfs_devdir *dd, char *dir,
                              const char *path, berth_error_t *err)
{
	int pfd;

	if (dd->dir != NULL && strcmp(dd->dir, dir) == 0) {
		free(dir);
		return dd->fd;
	}
	rootfs_devdir_release(dd);
	pfd = util_mkdir_in_root(ctx->rootfd, dir, 0755, err);
	if (pfd < 0) {
		free(dir);
		return berth_error_prefix(err, "device `%s`", path);
	}
	{
		cleanup_free char *in = rootfs_fd_inroot(ctx, pfd, path, err);
		if (in == NULL) {
			close(pfd);
			free(dir);
			return -1;
		}
	}
	dd->dir = dir;
	dd->fd = pfd;
	return pfd;
}

static int rootfs_create_device(struct rootfs_ctx *ctx, const struct rootfs_dev *d,
                                struct rootfs_devdir *dd, berth_error_t *err)
{
	char *dir = NULL;
	int pfd;
	cleanup_close int nfd = -1;
	cleanup_free char *base = NULL;
	mode_t type;
	struct stat st;
	char p[32];
	berth_error_t e2 = NULL;

	switch (d->type) {
	case 'c':
	case 'u':
		type = S_IFCHR;
		break;
	case 'b':
		type = S_IFBLK;
		break;
	case 'p':
		type = S_IFIFO;
		break;
	default:
		return berth_error(err, EINVAL, "device `%s`: bad type `%c`", d->path, d->type);
	}
	if (rootfs_split(d->path, &dir, &base, err) < 0) {
		free(dir);
		return -1;
	}
	pfd = rootfs_devdir_open(ctx, dd, dir, d->path, err);
	if (pfd < 0)
		return -1;
	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode))
			return berth_error(err, EISDIR, "device `%s`: a directory is in the way",
			                   d->path);
		/* whatever is there (a symlink, a file, an old node) is replaced, not followed */
		if (unlinkat(pfd, base, 0) < 0)
			return berth_error(err, errno, "device `%s`: remove the old one", d->path);
	}
	if (ctx->userns)
		return rootfs_bind_device(pfd, base, d, err);
	if (mknodat(pfd, base, type | (d->mode & 07777),
	            type == S_IFIFO ? 0 : makedev(d->major, d->minor)) < 0) {
		if (errno != EPERM)
			return berth_error(err, errno, "mknod `%s`", d->path);
		if (rootfs_bind_device(pfd, base, d, &e2) < 0) {
			berth_error_release(&e2);
			return berth_error(err, EPERM, "mknod `%s`", d->path);
		}
		return 0;
	}
	nfd = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (nfd < 0 || fstat(nfd, &st) < 0)
		return berth_error(err, errno, "device `%s`: reopen", d->path);
	if ((st.st_mode & S_IFMT) != type)
		return berth_error(err, EEXIST, "device `%s`: replaced while being created",
		                   d->path);
	util_fd_path(nfd, p);
	/* (made under a umask of 0: the mode is right unless the filesystem changed it; the
	 * owner is mostly right already) */
	if ((st.st_mode & 07777) != (d->mode & 07777) && chmod(p, d->mode & 07777) < 0)
		return berth_error(err, errno, "chmod `%s`", d->path);
	if ((st.st_uid != d->uid || st.st_gid != d->gid) &&
	    fchownat(nfd, "", d->uid, d->gid, AT_EMPTY_PATH) < 0)
		return berth_error(err, errno, "chown `%s`", d->path);
	return 0;
}

static bool rootfs_config_has_device(const struct config *c, const char *path)
{
	for (size_t i = 0; i < c->linux_.n_devices; i++)
		if (c->linux_.devices[i].path && rootfs_same_path(c->linux_.devices[i].path, path))
			return true;
	return false;
}

static bool rootfs_config_has_mount(const struct config *c, const char *dest)
{
	for (size_t i = 0; i < c->n_mounts; i++)
		if (c->mounts[i].destination && rootfs_same_path(c->mounts[i].destination, dest))
			return true;
	return false;
}

bool rootfs_dev_is_bind(const struct config *c)
{
	for (size_t i = 0; i < c->n_mounts; i++)
		if (c->mounts[i].destination &&
		    rootfs_same_path(c->mounts[i].destination, "/dev") &&
		    rootfs_is_bind(&c->mounts[i]))
			return true;
	return false;
}

static int rootfs_create_devices_in(struct rootfs_ctx *ctx, struct rootfs_devdir *dd,
                                    berth_error_t *err)
{
	const struct config *c = ctx->c;

	for (size_t i = 0; i < ARRAY_SIZE(rootfs_default_devices); i++) {
		struct rootfs_dev d = {
		    .path = rootfs_default_devices[i].path,
		    .type = 'c',
		    .major = rootfs_default_devices[i].major,
		    .minor = rootfs_default_devices[i].minor,
		    .mode = 0666,
		};
		if (rootfs_config_has_device(c, d.path))
			continue;
		if (rootfs_create_device(ctx, &d, dd, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < c->linux_.n_devices; i++) {
		const struct config_device *cd = &c->linux_.devices[i];
		struct rootfs_dev d = {
		    .path = cd->path,
		    .type = cd->type,
		    .major = (unsigned)cd->major,
		    .minor = (unsigned)cd->minor,
		    .mode = cd->has_file_mode ? cd->file_mode : 0666,
		    .uid = cd->has_uid ? cd->uid : 0,
		    .gid = cd->has_gid ? cd->gid : 0,
		};
		if (cd->path == NULL || cd->path[0] != '/')
			return berth_error(err, EINVAL, "device path `%s` is not absolute",
			                   cd->path ? cd->path : "");
		if (rootfs_create_device(ctx, &d, dd, err) < 0)
			return -1;
	}
	return 0;
}

/* The nodes are made under a umask of 0 (as runc does), so that mknod gives them their mode
 * and no chmod is needed; the init's umask stays the caller's until process.user.umask. */
int rootfs_create_devices(struct rootfs_ctx *ctx, berth_error_t *err)
{
	struct rootfs_devdir dd = {.fd = -1};
	mode_t old = umask(0);
	int r = rootfs_create_devices_in(ctx, &dd, err);

	umask(old);
	rootfs_devdir_release(&dd);
	return r;
}

/* /dev/ptmx -> pts/ptmx (when /dev/pts is mounted), and the usual /dev symlinks. */
int rootfs_dev_links(struct rootfs_ctx *ctx, berth_error_t *err)
{
	static const struct {
		const char *target, *name;
	} links[] = {
	    {"/proc/self/fd", "fd"},
	    {"/proc/self/fd/0", "stdin"},
	    {"/proc/self/fd/1", "stdout"},
	    {"/proc/self/fd/2", "stderr"},
	};
	cleanup_close int dev = util_mkdir_in_root(ctx->rootfd, "/dev", 0755, err);

	if (dev < 0)
		return berth_error_prefix(err, "/dev");
	if (rootfs_config_has_mount(ctx->c, "/dev/pts")) {
		if (unlinkat(dev, "ptmx", 0) < 0 && errno != ENOENT)
			return berth_error(err, errno, "remove `/dev/ptmx`");
		if (symlinkat("pts/ptmx", dev, "ptmx") < 0)
			return berth_error(err, errno, "symlink `/dev/ptmx`");
	}
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i].target, dev, links[i].name) < 0 && errno != EEXIST)
			return berth_error(err, errno, "symlink `/dev/%s`", links[i].name);
	if (access("/proc/kcore", F_OK) == 0 && symlinkat("/proc/kcore", dev, "core") < 0 &&
	    errno != EEXIST)
		return berth_error(err, errno, "symlink `/dev/core`");
	return 0;
}
