/* SPDX-License-Identifier: MIT */
/* The container's root filesystem. See rootfs.h for the order of operations and
 * docs/rootfs.md for the safety argument. */
#include "rootfs.h"
#include "rootfs_priv.h"
#include "cgroup.h"
#include "idmap.h"
#include "mountinfo.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif
#define PROPAGATION_FLAGS (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)
#define ATIME_FLAGS       (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)

/* One mount to perform: a config mount, or one made up by berth (cgroup v1 pieces). */
struct rootfs_mnt {
	const char *dest;   /* inside the rootfs */
	const char *source; /* host path for binds; the "device" otherwise */
	const char *type;
	unsigned long flags; /* MS_*; MS_BIND for binds */
	const char *data;
	unsigned long propagation;
	unsigned long attr_set, attr_clr;
	bool recursive_attr;
	bool tmpcopyup;
	const struct config_mount *idmap; /* idmapped bind: the mount with its mappings */
	int tree;                         /* bind: the source cloned beforehand, or -1 */
	/* bind: its flags are left to the caller (one mount_setattr over several binds) */
	bool flags_later;
};

static void rootfs_ctx_release(struct rootfs_ctx *ctx)
{
	free(ctx->root);
	ctx->root = NULL;
	if (ctx->rootfd >= 0)
		close(ctx->rootfd);
	ctx->rootfd = -1;
}

static const char *rootfs_propagation_name(unsigned long f)
{
	bool rec = f & MS_REC;
	if (f & MS_SHARED)
		return rec ? "rshared" : "shared";
	if (f & MS_SLAVE)
		return rec ? "rslave" : "slave";
	if (f & MS_PRIVATE)
		return rec ? "rprivate" : "private";
	if (f & MS_UNBINDABLE)
		return rec ? "runbindable" : "unbindable";
	return "?";
}

static bool rootfs_str_eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Whether the current /proc is a procfs, so that /proc/self/fd/N paths work. */
static bool rootfs_have_proc(void)
{
	struct statfs sfs;
	return statfs("/proc/self/fd", &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* The path mount(2) should use for an O_PATH fd: /proc/self/fd/N when there is a procfs,
 * else (after pivot_root without a /proc mount) the plain path, which cannot leave the root
 * any more since "/" is the container's root. */
static const char *rootfs_target(int fd, const char *path, char buf[static 32])
{
	if (rootfs_have_proc()) {
		util_fd_path(fd, buf);
		return buf;
	}
	return path;
}

/* Whether `path` is `prefix` or below it (on a component boundary). */
static bool rootfs_path_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strcmp(prefix, "/") == 0)
		return path[0] == '/';
	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* pivot_root(2) refuses a new root whose parent mount is shared: make the mount that holds
 * the rootfs private when it is shared (runc's rootfsParentMountPrivate). */
static int rootfs_parent_private(const char *root, berth_error_t *err)
{
	cleanup_mountinfo struct mountinfo mi = {0};
	cleanup_free char *best = NULL;
	bool shared = false;
	size_t bestlen = 0;

	if (mountinfo_load(NULL, &mi, err) < 0)
		return -1;
	for (size_t i = 0; i < mi.n; i++) {
		const struct mountinfo_entry *m = &mi.v[i];
		size_t n;
		if (!rootfs_path_under(root, m->point))
			continue;
		n = strlen(m->point);
		if (best == NULL || n >= bestlen) {
			free(best);
			best = xstrdup(m->point);
			bestlen = n;
			shared = mountinfo_has_optional(m, "shared");
		}
	}
	if (best == NULL || !shared)
		return 0;
	if (mount(NULL, best, NULL, MS_PRIVATE, NULL) < 0)
		return berth_error(err, errno, "make `%s` private", best);
	return 0;
}

/* ---- resolving destinations -------------------------------------------------------------- */

/* The path of an fd relative to the rootfs ("/proc/sys"), or an error when it is not inside
 * the rootfs at all (it never should be: this is a second line of defence). */
char *rootfs_fd_inroot(struct rootfs_ctx *ctx, int fd, const char *dest, berth_error_t *err)
{
	char p[32], buf[PATH_MAX];
	ssize_t n;
	size_t rl = strlen(ctx->root);

	util_fd_path(fd, p);
	n = readlink(p, buf, sizeof(buf) - 1);
	if (n < 0) {
		berth_error(err, errno, "readlink `%s` (for `%s`)", p, dest);
		return NULL;
	}
	buf[n] = '\0';
	if (strcmp(ctx->root, "/") == 0)
		return xstrdup(buf);
	if (strncmp(buf, ctx->root, rl) != 0 || (buf[rl] != '\0' && buf[rl] != '/')) {
		berth_error(err, EXDEV, "`%s` resolves to `%s`, outside the rootfs", dest, buf);
		return NULL;
	}
	return xstrdup(buf[rl] ? buf + rl : "/");
}

/* runc's checkProcMount: nothing may be mounted inside /proc except procfs itself and a few
 * files that lxcfs-like tools replace. */
static int rootfs_check_proc_dest(const char *inroot, const struct rootfs_mnt *m,
                                  berth_error_t *err)
{
	static const char *const allowed[] = {
	    "/proc/cpuinfo", "/proc/diskstats",
	    "/proc/meminfo", "/proc/stat",
	    "/proc/swaps",   "/proc/uptime",
	    "/proc/loadavg", "/proc/slabinfo",
	    "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
	};
	if (!rootfs_path_under(inroot, "/proc"))
		return 0;
	if (strcmp(inroot, "/proc") == 0) {
		struct statfs sfs;
		if (rootfs_str_eq(m->type, "proc"))
			return 0;
		/* a bind of some procfs (e.g. the host's /proc) is accepted, as runc does */
		if ((m->flags & MS_BIND) && m->source && statfs(m->source, &sfs) == 0 &&
		    sfs.f_type == PROC_SUPER_MAGIC)
			return 0;
		return berth_error(err, EINVAL, "mount on `%s`: only procfs may be mounted there",
		                   m->dest);
	}
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
		if (strcmp(inroot, allowed[i]) == 0)
			return 0;
	return berth_error(err, EPERM, "mount on `%s`: `%s` is inside /proc and not allowed",
	                   m->dest, inroot);
}

/* ---- remounts and attributes ------------------------------------------------------------- */

/* Remount a bind mount to apply its flags. In a user namespace the flags inherited from the
 * source may be locked: on EPERM, keep nosuid/nodev/noexec/ro and the atime ones as they are.
 * keep_secure: always keep the mount's nosuid/nodev/noexec (runc's readonlyPath). */
static int rootfs_remount(int fd, const char *what, unsigned long flags, bool keep_secure,
                          berth_error_t *err)
{
	char p[32];
	const char *target = rootfs_target(fd, what, p);
	struct statvfs sv;
	unsigned long f = (flags & ~(MS_REC | PROPAGATION_FLAGS)) | MS_REMOUNT;
	const char *data = NULL;

	if (keep_secure) {
		if (fstatvfs(fd, &sv) < 0)
			return berth_error(err, errno, "statfs `%s`", what);
		f |= sv.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC);
	}
	if (mount(NULL, target, NULL, f, data) == 0)
		return 0;
	if (errno != EPERM || fstatvfs(fd, &sv) < 0)
		return berth_error(err, errno, "remount `%s`", what);
	f |= sv.f_flag & (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RDONLY);
	if ((flags & ATIME_FLAGS) == 0)
		f |= sv.f_flag & (ST_NOATIME | ST_NODIRATIME | ST_RELATIME);
	if (mount(NULL, target, NULL, f, data) < 0)
		return berth_error(err, errno, "remount `%s`", what);
	return 0;
}

static int rootfs_setattr(int fd, const struct rootfs_mnt *m, berth_error_t *err)
{
	struct mount_attr attr = {
	    .attr_set = m->attr_set,
	    .attr_clr = m->attr_clr,
	};
	unsigned int flags = AT_EMPTY_PATH | (m->recursive_attr ? AT_RECURSIVE : 0);

	/* an access-time mode is set by clearing the whole field (config.c does it too) */
	if (attr.attr_set & (MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME))
		attr.attr_clr |= MOUNT_ATTR__ATIME;
	if (mount_setattr(fd, "", flags, &attr, sizeof(attr)) < 0)
		return berth_error(err, errno, "mount_setattr `%s`", m->dest);
	return 0;
}

/* ---- idmapped mounts ---------------------------------------------------------------------- */

/* open_tree(CLONE) the source, set MOUNT_ATTR_IDMAP, move_mount it onto dfd (no user
 * namespace: the init is root on the host; with one, stage 1 made it: idmap.c). */
static int rootfs_idmap_bind(struct rootfs_ctx *ctx, const struct rootfs_mnt *m, int srcfd, int dfd,
                             berth_error_t *err)
{
	cleanup_close int tree = idmap_clone(ctx->c, m->idmap, srcfd, err);

	if (tree < 0)
		return -1;
	if (move_mount(tree, "", dfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return berth_error(err, errno, "move_mount `%s` on `%s`", m->source, m->dest);
	return 0;
}

/* ---- tmpcopyup ----------------------------------------------------------------------------- */

static int rootfs_copy_tree(int src, int dst, const char *what, int depth, berth_error_t *err);

static int rootfs_copy_entry(int src, int dst, const char *name, const struct stat *st,
                             const char *what, int depth, berth_error_t *err)
{
	mode_t perm = st->st_mode & 07777;

	if (S_ISDIR(st->st_mode)) {
		cleanup_close int s = -1, d = -1;
		if (mkdirat(dst, name, 0700) < 0 && errno != EEXIST)
			return berth_error(err, errno, "tmpcopyup `%s`: mkdir `%s`", what, name);
		s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0 || d < 0)
			return berth_error(err, errno, "tmpcopyup `%s`: open `%s`", what, name);
		if (rootfs_copy_tree(s, d, what, depth + 1, err) < 0)
			return -1;
		if (fchown(d, st->st_uid, st->st_gid) < 0 || fchmod(d, perm) < 0)
			return berth_error(err, errno, "tmpcopyup `%s`: chown `%s`", what, name);
	} else if (S_ISREG(st->st_mode)) {
		cleanup_close int s = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		cleanup_close int d = -1;
		cleanup_free char *buf = xmalloc0(65536); /* not on the stack: this recurses */
		ssize_t n;
		if (s < 0)
			return berth_error(err, errno, "tmpcopyup `%s`: open `%s`", what, name);
		d = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (d < 0)
			return berth_error(err, errno, "tmpcopyup `%s`: create `%s`", what, name);
		while ((n = read(s, buf, 65536)) != 0) {
			int r;
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return berth_error(err, errno, "tmpcopyup `%s`: read `%s`", what,
				                   name);
			}
			r = util_write_all(d, buf, (size_t)n);
			if (r < 0)
				return berth_error(err, -r, "tmpcopyup `%s`: write `%s`", what,
				                   name);
		}
		if (fchown(d, st->st_uid, st->st_gid) < 0 || fchmod(d, perm) < 0)
			return berth_error(err, errno, "tmpcopyup `%s`: chown `%s`", what, name);
	} else if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
		if (n < 0)
			return berth_error(err, errno, "tmpcopyup `%s`: readlink `%s`", what, name);
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0)
			return berth_error(err, errno, "tmpcopyup `%s`: symlink `%s`", what, name);
		if (fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_error(err, errno, "tmpcopyup `%s`: chown `%s`", what, name);
	} else {
		if (mknodat(dst, name, (st->st_mode & S_IFMT) | perm, st->st_rdev) < 0)
			return berth_error(err, errno, "tmpcopyup `%s`: mknod `%s`", what, name);
		if (fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_error(err, errno, "tmpcopyup `%s`: chown `%s`", what, name);
	}
	return 0;
}

static int rootfs_copy_tree(int src, int dst, const char *what, int depth, berth_error_t *err)
{
	DIR *d;
	struct dirent *de;
	int fd, ret = 0;

	if (depth > 128)
		return berth_error(err, ELOOP, "tmpcopyup `%s`: tree too deep", what);
	fd = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth_error(err, errno, "tmpcopyup `%s`: open", what);
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return berth_error(err, errno, "tmpcopyup `%s`: opendir", what);
	}
	while (ret == 0 && (de = readdir(d)) != NULL) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(src, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret =
			    berth_error(err, errno, "tmpcopyup `%s`: stat `%s`", what, de->d_name);
			break;
		}
		ret = rootfs_copy_entry(src, dst, de->d_name, &st, what, depth, err);
	}
	closedir(d);
	return ret;
}

/* Whether the comma-separated mount data has option `name` or `name=…`. */
static bool rootfs_has_option(const char *data, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = data; p != NULL; p = strchr(p, ','), p = p ? p + 1 : NULL)
		if (strncmp(p, name, n) == 0 && (p[n] == '=' || p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/* ---- one mount ----------------------------------------------------------------------------- */

/* A destination inside the root, made when missing, as util_create_in_root() does, whose walk
 * opens every prefix of the path again from the root (5 openat2 and 4 close for
 * /sys/fs/cgroup/cpu), 40% of the init's openat2 calls (docs/performance.md). Here one
 * openat2 (RESOLVE_IN_ROOT) when the destination exists; when only its last component is
 * missing and its parent exists, that component made in the parent, as the walk's last step
 * does, and the path opened again. Anything else (a missing parent, a dangling symlink,
 * "..", an error) takes the walk, which also gives the error. The same fd either way. */
static int rootfs_open_dest(int rootfd, const char *path, bool dir, mode_t mode, berth_error_t *err)
{
	int oflags = O_PATH | (dir ? O_DIRECTORY : 0);
	cleanup_free char *parent = NULL;
	cleanup_close int pfd = -1;
	const char *name;
	struct stat st;
	int fd = util_open_in_root(rootfd, path, oflags, 0, NULL);

	if (fd >= 0)
		return fd;
	name = strrchr(path, '/');
	if (errno != ENOENT || name == NULL || name[1] == '\0' || strcmp(name + 1, ".") == 0 ||
	    strcmp(name + 1, "..") == 0)
		goto walk;
	parent = xstrdup(path);
	parent[name - path] = '\0';
	name++;
	pfd = util_open_in_root(rootfd, parent, O_PATH | O_DIRECTORY, 0, NULL);
	/* something there (a dangling symlink, or a race): the walk sees to it */
	if (pfd < 0 || fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		goto walk;
	if (dir) {
		if (mkdirat(pfd, name, mode) < 0 && errno != EEXIST)
			goto walk;
	} else {
		int f =
		    openat(pfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
		if (f >= 0)
			close(f);
		else if (errno != EEXIST)
			goto walk;
	}
	fd = util_open_in_root(rootfd, path, oflags, 0, NULL);
	if (fd >= 0)
		return fd;
walk:
	return util_create_in_root(rootfd, path, dir, mode, err);
}

static int rootfs_do_mount(struct rootfs_ctx *ctx, const struct rootfs_mnt *m, berth_error_t *err)
{
	bool bind = m->flags & MS_BIND;
	bool dir = true, remount;
	cleanup_close int srcfd = -1;
	cleanup_close int dfd = -1;
	cleanup_close int top = -1;
	cleanup_close int olddir = -1;
	cleanup_free char *inroot = NULL;
	cleanup_free char *data = NULL;
	unsigned long flags = m->flags & ~PROPAGATION_FLAGS;
	char sp[32], dp[32];
	const char *label;

	if (bind) {
		struct stat st;
		if (m->source == NULL)
			return berth_error(err, EINVAL, "bind mount on `%s`: no source", m->dest);
		/* the source is a host path: resolved on the host, symlinks followed (or cloned
		 * before the user namespace was entered) */
		srcfd = m->tree >= 0 ? fcntl(m->tree, F_DUPFD_CLOEXEC, 3)
		                     : open(m->source, O_PATH | O_CLOEXEC);
		if (srcfd < 0 || fstat(srcfd, &st) < 0)
			return berth_error(err, errno, "mount `%s` on `%s`: open source", m->source,
			                   m->dest);
		dir = S_ISDIR(st.st_mode);
	}
	dfd = rootfs_open_dest(ctx->rootfd, m->dest, dir, dir ? 0755 : 0644, err);
	if (dfd < 0)
		return berth_error_prefix(err, "mount destination `%s`", m->dest);
	inroot = rootfs_fd_inroot(ctx, dfd, m->dest, err);
	if (inroot == NULL || rootfs_check_proc_dest(inroot, m, err) < 0)
		return -1;
	util_fd_path(dfd, dp);

	if (m->tmpcopyup) {
		olddir = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (olddir < 0)
			return berth_error(err, errno, "tmpcopyup `%s`: open", m->dest);
	}

	if (bind) {
		label = m->source;
		util_fd_path(srcfd, sp);
		if (m->idmap != NULL && m->tree < 0) {
			if (rootfs_idmap_bind(ctx, m, srcfd, dfd, err) < 0)
				return -1;
		} else if (m->tree >= 0) {
			if (move_mount(srcfd, "", dfd, "",
			               MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
				return berth_error(err, errno, "move_mount `%s` on `%s`", label,
				                   m->dest);
		} else if (mount(sp, dp, NULL, MS_BIND | (flags & MS_REC), NULL) < 0) {
			return berth_error(err, errno, "mount `%s` on `%s`", label, m->dest);
		}
	} else {
		label = m->source && *m->source ? m->source : m->type;
		if (m->type == NULL)
			return berth_error(err, EINVAL, "mount on `%s`: no type", m->dest);
		if (rootfs_str_eq(m->type, "tmpfs") && !rootfs_has_option(m->data, "mode")) {
			/* a tmpfs keeps the mode of the directory it covers, as in runc and crun */
			struct stat st;
			if (fstat(dfd, &st) < 0)
				return berth_error(err, errno, "mount on `%s`: stat", m->dest);
			data = xasprintf("mode=%o%s%s", (unsigned)(st.st_mode & 07777),
			                 m->data && *m->data ? "," : "", m->data ? m->data : "");
		}
		if (mount(label, dp, m->type, flags, data ? data : m->data) < 0) {
			struct statfs sfs;
			/* the IPC namespace's one mqueue instance, already there: the kernel
			 * refuses to stack it on itself (EBUSY) */
			if (errno == EBUSY && rootfs_str_eq(m->type, "mqueue") &&
			    fstatfs(dfd, &sfs) == 0 && sfs.f_type == MQUEUE_MAGIC) {
				log_debug("mqueue already mounted on %s", m->dest);
				return 0;
			}
			return berth_error(err, errno, "mount `%s` on `%s`", label, m->dest);
		}
	}

	remount = bind && !m->flags_later && (flags & ~(MS_REC | MS_REMOUNT | MS_BIND)) != 0;
	if (!remount && m->attr_set == 0 && m->attr_clr == 0 && !m->tmpcopyup &&
	    m->propagation == 0)
		return 0; /* nothing to do on the new mount: not even opened (most of them) */
	/* from here on, work on the new mount, not on the directory it covers */
	top = util_open_in_root(ctx->rootfd, inroot, O_PATH | (dir ? O_DIRECTORY : 0), 0, err);
	if (top < 0)
		return berth_error_prefix(err, "mount `%s` on `%s`", label, m->dest);

	if (remount) {
		if (rootfs_remount(top, m->dest, flags | MS_BIND, false, err) < 0)
			return -1;
	}
	if (m->attr_set != 0 || m->attr_clr != 0) {
		if (rootfs_setattr(top, m, err) < 0)
			return -1;
	}
	if (m->tmpcopyup) {
		cleanup_close int newdir = openat(top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct stat st;
		if (newdir < 0)
			return berth_error(err, errno, "tmpcopyup `%s`: open", m->dest);
		if (rootfs_copy_tree(olddir, newdir, m->dest, 0, err) < 0)
			return -1;
		if (fstat(olddir, &st) == 0) {
			if (fchmod(newdir, st.st_mode & 07777) < 0 ||
			    fchown(newdir, st.st_uid, st.st_gid) < 0)
				return berth_error(err, errno, "tmpcopyup `%s`: chown", m->dest);
		}
	}
	if (m->propagation != 0) {
		util_fd_path(top, dp);
		if (mount(NULL, dp, NULL, m->propagation, NULL) < 0)
			return berth_error(err, errno, "make `%s` %s", m->dest,
			                   rootfs_propagation_name(m->propagation));
	}
	return 0;
}

/* ---- cgroup ------------------------------------------------------------------------------- */

/* The controllers of a cgroup v1 mount from its super options ("rw,cpu,cpuacct" ->
 * "cpu,cpuacct", "rw,name=systemd" -> "name=systemd"). Options that are not controllers
 * (xattr, clone_children, …) are dropped. */
static char *rootfs_cgroup_ctrls(const char *superopts)
{
	static const char *const skip[] = {
	    "rw",         "ro",          "xattr", "clone_children", "noprefix", "cpuset_v2_mode",
	    "nsdelegate", "favordynmods"};
	cleanup_free char *copy = xstrdup(superopts);
	char *out = xstrdup(""), *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		bool drop = strncmp(tok, "release_agent=", 14) == 0;
		char *t;
		for (size_t i = 0; !drop && i < ARRAY_SIZE(skip); i++)
			drop = strcmp(tok, skip[i]) == 0;
		if (drop)
			continue;
		t = xasprintf("%s%s%s", out, *out ? "," : "", tok);
		free(out);
		out = t;
	}
	return out;
}

/* One hierarchy of the "cgroup" mount on a v1 or hybrid host: the hierarchy mounted at
 * `point` (".../cgroup/NAME"), showing `root` of it; ctrls: its controllers ("" for cgroup2) */
static int rootfs_mount_cgroup_one(struct rootfs_ctx *ctx, const struct config_mount *cm, int dirfd,
                                   const char *point, bool v2, const char *ctrls, const char *root,
                                   char **later, size_t *n_later, berth_error_t *err)
{
	unsigned long flags = (cm->flags & ~(PROPAGATION_FLAGS | MS_BIND | MS_REC));
	cleanup_free char *own = NULL;
	cleanup_free char *dest = NULL;
	cleanup_free char *src = NULL;
	const char *name = point + 15, *rel;
	struct rootfs_mnt sub = {.tree = -1};

	dest = xasprintf("%s/%s", cm->destination, name);
	sub.dest = dest;
	/* in the tmpfs just mounted, which nothing else sees yet: made here, the destination
	 * is opened in one step rather than by rootfs_open_dest's walk for a missing one */
	if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
		return berth_error(err, errno, "mkdir `%s`", dest);
	sub.propagation = cm->propagation;
	if (ctx->o->new_cgroupns) {
		/* a fresh mount shows the cgroupns root: our own cgroup */
		sub.source = "cgroup";
		sub.type = v2 ? "cgroup2" : "cgroup";
		sub.flags = flags | MS_NOSUID | MS_NODEV | MS_NOEXEC;
		sub.data = v2 ? NULL : ctrls;
	} else {
		if (ctx->o->cgroup_path != NULL)
			own = xstrdup(ctx->o->cgroup_path);
		else
			own = cgroup_pid_path(0, ctrls);
		if (own == NULL)
			own = xstrdup("/");
		rel = own;
		if (strcmp(root, "/") != 0 && rootfs_path_under(own, root))
			rel = own + strlen(root);
		while (*rel == '/')
			rel++;
		src = xasprintf("%s%s%s", point, *rel ? "/" : "", rel);
		sub.source = src;
		sub.flags = flags | MS_BIND | MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC;
		/* its flags set later, with the others' (rootfs_cgroup_v1_flags) */
		sub.flags_later = later != NULL && *n_later < CGROUP_MAX_HIERARCHIES + 1;
	}
	if (sub.flags_later && sub.propagation == 0 && strlen(name) < 32) {
		/* nothing to do on the bind but to make it: its directory, just made in the
		 * tmpfs that nothing else sees, is reached through the tmpfs's fd, and the
		 * source (a host directory of the runtime's layout) by its path, rather than
		 * both opened and the destination checked to be inside the rootfs (six
		 * syscalls fewer per hierarchy: docs/performance.md) */
		char dp[64];
		snprintf(dp, sizeof(dp), "/proc/self/fd/%d/%s", dirfd, name);
		if (mount(src, dp, NULL, MS_BIND | MS_REC, NULL) < 0)
			return berth_error(err, errno, "mount `%s` on `%s`", src, dest);
	} else if (rootfs_do_mount(ctx, &sub, err) < 0) {
		return -1;
	}
	if (sub.flags_later)
		later[(*n_later)++] = xstrdup(dest);
	/* co-mounted controllers: "cpu" and "cpuacct" -> "cpu,cpuacct" */
	if (!v2 && strchr(name, ',') != NULL) {
		cleanup_free char *names = xstrdup(name);
		char *c, *s2 = NULL;
		for (c = strtok_r(names, ",", &s2); c; c = strtok_r(NULL, ",", &s2))
			if (symlinkat(name, dirfd, c) < 0 && errno != EEXIST)
				return berth_error(err, errno, "symlink `%s/%s`", cm->destination,
				                   c);
	}
	return 0;
}

/* The flags of a bind's remount (MS_REMOUNT | MS_BIND | flags) as a mount_setattr that leaves
 * the mount with the same ones: false when a flag has no mount attribute (MS_SYNCHRONOUS, …). */
static bool rootfs_bind_flags_attr(unsigned long flags, struct mount_attr *a)
{
	static const struct {
		unsigned long ms;
		uint64_t attr;
	} map[] = {
	    {MS_RDONLY, MOUNT_ATTR_RDONLY},         {MS_NOSUID, MOUNT_ATTR_NOSUID},
	    {MS_NODEV, MOUNT_ATTR_NODEV},           {MS_NOEXEC, MOUNT_ATTR_NOEXEC},
	    {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME},
	};

	*a = (struct mount_attr){0};
	/* a bind's remount sets the flags given and clears the others of these */
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (flags & map[i].ms)
			a->attr_set |= map[i].attr;
		else
			a->attr_clr |= map[i].attr;
		flags &= ~map[i].ms;
	}
	/* and keeps the access-time mode when it is given none */
	if (flags & (MS_NOATIME | MS_STRICTATIME | MS_RELATIME)) {
		a->attr_clr |= MOUNT_ATTR__ATIME;
		a->attr_set |= (flags & MS_NOATIME)       ? MOUNT_ATTR_NOATIME
		               : (flags & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME
		                                          : MOUNT_ATTR_RELATIME;
		flags &= ~(MS_NOATIME | MS_STRICTATIME | MS_RELATIME);
	}
	return flags == 0;
}

static void rootfs_free_dests(char *(*dests)[CGROUP_MAX_HIERARCHIES + 1])
{
	for (size_t i = 0; i < ARRAY_SIZE(*dests); i++)
		free((*dests)[i]);
}

/* The hierarchies' binds of rootfs_mount_cgroup_v1 made without their flags (flags_later):
 * one recursive mount_setattr on the tmpfs gives them, and the tmpfs, the binds' flags,
 * instead of a remount of each bind and of the tmpfs (~0.2 ms for ten hierarchies here:
 * docs/performance.md). Where mount_setattr is refused (before Linux 5.12), each bind is
 * remounted and the tmpfs remounted read-only, as without. */
static int rootfs_cgroup_v1_flags(struct rootfs_ctx *ctx, const struct config_mount *cm, int dirfd,
                                  const struct mount_attr *attr, char **dests, size_t n,
                                  unsigned long bind_flags, berth_error_t *err)
{
	struct mount_attr a = *attr;
	char p[32];

	if (mount_setattr(dirfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) == 0)
		return 0;
	if (errno != ENOSYS)
		return berth_error(err, errno, "mount_setattr `%s`", cm->destination);
	for (size_t i = 0; i < n; i++) {
		cleanup_close int fd =
		    util_open_in_root(ctx->rootfd, dests[i], O_PATH | O_DIRECTORY, 0, err);
		if (fd < 0 || rootfs_remount(fd, dests[i], bind_flags, false, err) < 0)
			return -1;
	}
	util_fd_path(dirfd, p);
	if ((cm->flags & MS_RDONLY) &&
	    mount("tmpfs", p, "tmpfs",
	          MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC |
	              (cm->flags & ~(PROPAGATION_FLAGS | MS_BIND | MS_REC)),
	          "mode=755") < 0)
		return berth_error(err, errno, "remount `%s` read-only", cm->destination);
	return 0;
}

static int rootfs_mount_cgroup_v1(struct rootfs_ctx *ctx, const struct config_mount *cm,
                                  berth_error_t *err)
{
	cleanup_mountinfo struct mountinfo all = {0};
	cleanup_close int dirfd = -1;
	unsigned long flags = (cm->flags & ~(PROPAGATION_FLAGS | MS_BIND | MS_REC));
	unsigned long bind_flags = flags | MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	const struct cgroup_host *h = ctx->o->cgroup_host;
	struct mount_attr attr;
	/* the binds' flags in one step (above), but not in a user namespace, where a flag
	 * the host locked may only be kept (rootfs_remount's second try) */
	bool batch = !ctx->o->new_cgroupns && !ctx->userns &&
	             rootfs_bind_flags_attr(bind_flags & ~MS_BIND, &attr);
	char *dests[CGROUP_MAX_HIERARCHIES + 1] __attribute__((cleanup(rootfs_free_dests))) = {0};
	char **later = batch ? dests : NULL;
	size_t n_later = 0;
	struct rootfs_mnt tm = {
	    .dest = cm->destination,
	    .source = "tmpfs",
	    .type = "tmpfs",
	    .flags = (flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    .data = "mode=755",
	    .propagation = cm->propagation,
	    .tree = -1,
	};

	if (rootfs_do_mount(ctx, &tm, err) < 0)
		return -1;
	dirfd = util_open_in_root(ctx->rootfd, cm->destination, O_PATH | O_DIRECTORY, 0, err);
	if (dirfd < 0)
		return -1;
	if (h != NULL && h->plain && strcmp(h->root, "/sys/fs/cgroup") == 0) {
		/* the runtime's layout, read from the mountinfo this namespace was copied from:
		 * no second read (~0.2 ms here) */
		for (size_t i = 0; i < h->n_v1; i++)
			if (rootfs_mount_cgroup_one(ctx, cm, dirfd, h->v1[i].mount, false,
			                            h->v1[i].options, "/", later, &n_later,
			                            err) < 0)
				return -1;
		if (h->has_v2 && strcmp(h->v2_mount, h->root) != 0 &&
		    rootfs_mount_cgroup_one(ctx, cm, dirfd, h->v2_mount, true, "", "/", later,
		                            &n_later, err) < 0)
			return -1;
	} else {
		if (mountinfo_load(NULL, &all, err) < 0)
			return -1;
		for (size_t i = 0; i < all.n; i++) {
			const struct mountinfo_entry *mi = &all.v[i];
			cleanup_free char *ctrls = NULL;
			bool v2 = strcmp(mi->fstype, "cgroup2") == 0;

			if ((!v2 && strcmp(mi->fstype, "cgroup") != 0) ||
			    strncmp(mi->point, "/sys/fs/cgroup/", 15) != 0 ||
			    strchr(mi->point + 15, '/'))
				continue;
			ctrls = v2 ? xstrdup("") : rootfs_cgroup_ctrls(mi->superopts);
			if (rootfs_mount_cgroup_one(ctx, cm, dirfd, mi->point, v2, ctrls, mi->root,
			                            later, &n_later, err) < 0)
				return -1;
		}
	}
	if (batch)
		return rootfs_cgroup_v1_flags(ctx, cm, dirfd, &attr, dests, n_later, bind_flags,
		                              err);
	if (cm->flags & MS_RDONLY) {
		cleanup_close int top =
		    util_open_in_root(ctx->rootfd, cm->destination, O_PATH | O_DIRECTORY, 0, err);
		char p[32];
		if (top < 0)
			return -1;
		util_fd_path(top, p);
		if (mount("tmpfs", p, "tmpfs", MS_REMOUNT | tm.flags | MS_RDONLY, "mode=755") < 0)
			return berth_error(err, errno, "remount `%s` read-only", cm->destination);
	}
	return 0;
}

/* The host directory of cgroup `own` in the cgroup2 hierarchy: its mount point (/sys/fs/cgroup,
 * or /sys/fs/cgroup/unified on a hybrid host) joined with `own` relative to the mount's root. */
static char *rootfs_cgroup2_source(const char *own, berth_error_t *err)
{
	cleanup_mountinfo struct mountinfo all = {0};

	if (mountinfo_load(NULL, &all, err) < 0)
		return NULL;
	for (size_t i = 0; i < all.n; i++) {
		const struct mountinfo_entry *mi = &all.v[i];
		const char *rel = own;
		if (strcmp(mi->fstype, "cgroup2") != 0)
			continue;
		if (strcmp(mi->root, "/") != 0) {
			if (!rootfs_path_under(own, mi->root))
				continue;
			rel = own + strlen(mi->root);
		}
		while (*rel == '/')
			rel++;
		return xasprintf("%s%s%s", mi->point, *rel ? "/" : "", rel);
	}
	berth_error(err, ENOENT, "no cgroup2 hierarchy on the host");
	return NULL;
}

static int rootfs_mount_cgroup(struct rootfs_ctx *ctx, const struct config_mount *cm,
                               berth_error_t *err)
{
	struct statfs sfs;
	cleanup_free char *own = NULL;
	cleanup_free char *src = NULL;
	struct rootfs_mnt m = {
	    .dest = cm->destination,
	    .source = "cgroup2",
	    .type = "cgroup2",
	    .flags = cm->flags & ~(MS_BIND | MS_REC),
	    .data = cm->data,
	    .propagation = cm->propagation,
	    .attr_set = cm->attr_set,
	    .attr_clr = cm->attr_clr,
	    .recursive_attr = cm->recursive_attr,
	    .tree = -1,
	};
	berth_error_t e2 = NULL;

	if (ctx->o->before_cgroup && ctx->o->before_cgroup(ctx->o->before_cgroup_arg, err) < 0)
		return -1;
	/* type "cgroup" follows the host (v2, or v1/hybrid); "cgroup2" is always cgroup2 */
	if (!rootfs_str_eq(cm->type, "cgroup2")) {
		if (statfs("/sys/fs/cgroup", &sfs) < 0)
			return berth_error(err, errno, "statfs `/sys/fs/cgroup`");
		if (sfs.f_type != CGROUP2_SUPER_MAGIC)
			return rootfs_mount_cgroup_v1(ctx, cm, err);
	}
	if (rootfs_do_mount(ctx, &m, &e2) == 0)
		return 0;
	if (e2->status != EPERM && e2->status != EBUSY) {
		*err = e2;
		return -1;
	}
	/* cgroup2 cannot be mounted here (a user namespace without its own cgroup ns):
	 * bind the container's cgroup instead, as runc does */
	berth_error_release(&e2);
	own = ctx->o->cgroup_path ? xstrdup(ctx->o->cgroup_path) : cgroup_pid_path(0, "");
	src = rootfs_cgroup2_source(own ? own : "/", err);
	if (src == NULL)
		return berth_error_prefix(err, "mount cgroup2 on `%s`", cm->destination);
	m.source = src;
	m.type = NULL;
	m.flags |= MS_BIND | MS_REC;
	return rootfs_do_mount(ctx, &m, err);
}

/* ---- config mounts -------------------------------------------------------------------------- */

bool rootfs_is_bind(const struct config_mount *cm)
{
	return cm->bind || (cm->flags & MS_BIND) || rootfs_str_eq(cm->type, "bind") ||
	       rootfs_str_eq(cm->type, "rbind");
}

/* A user namespace without mappings is entered after the root filesystem is set up
 * (init_unmapped_userns): the mounts are made as without one. */
static bool rootfs_config_userns(const struct config *c)
{
	return config_find_namespace(c, CONFIG_NS_USER) >= 0 && !config_userns_unmapped(c);
}

int *rootfs_open_bind_sources(const struct config *c)
{
	int *fds = NULL;

	if (!rootfs_config_userns(c))
		return NULL;
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct config_mount *cm = &c->mounts[i];
		bool rec = rootfs_str_eq(cm->type, "rbind") || (cm->flags & MS_REC);

		if (!rootfs_is_bind(cm) || cm->idmap || cm->source == NULL)
			continue;
		if (fds == NULL) {
			fds = xmalloc0(c->n_mounts * sizeof(int));
			for (size_t j = 0; j < c->n_mounts; j++)
				fds[j] = -1;
		}
		fds[i] = open_tree(AT_FDCWD, cm->source,
		                   OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec ? AT_RECURSIVE : 0));
		if (fds[i] < 0)
			log_debug("open_tree `%s`: %s (left to the mount)", cm->source,
			          strerror(errno));
	}
	return fds;
}

static int rootfs_mount_config(struct rootfs_ctx *ctx, const struct config_mount *cm,
                               berth_error_t *err)
{
	struct rootfs_mnt m = {
	    .dest = cm->destination,
	    .source = cm->source,
	    .type = cm->type,
	    .flags = cm->flags,
	    .data = cm->data,
	    .propagation = cm->propagation,
	    .attr_set = cm->attr_set,
	    .attr_clr = cm->attr_clr,
	    .recursive_attr = cm->recursive_attr,
	    .tmpcopyup = cm->tmpcopyup,
	    .tree = ctx->o->bind_fds ? ctx->o->bind_fds[cm - ctx->c->mounts] : -1,
	};
	berth_error_t e2 = NULL;

	if (cm->destination == NULL || *cm->destination == '\0')
		return berth_error(err, EINVAL, "mount without a destination");
	if (rootfs_is_bind(cm)) {
		m.flags |= MS_BIND;
		if (rootfs_str_eq(cm->type, "rbind"))
			m.flags |= MS_REC;
		m.type = NULL;
		if (cm->idmap)
			m.idmap = cm;
		return rootfs_do_mount(ctx, &m, err);
	}
	if (cm->idmap)
		return berth_error(err, ENOTSUP,
		                   "mount on `%s`: idmap mounts not supported for type `%s`",
		                   cm->destination, cm->type ? cm->type : "");
	if (m.tmpcopyup && !rootfs_str_eq(cm->type, "tmpfs"))
		return berth_error(err, EINVAL, "mount on `%s`: tmpcopyup needs a tmpfs",
		                   cm->destination);
	if (rootfs_str_eq(cm->type, "cgroup") || rootfs_str_eq(cm->type, "cgroup2"))
		return rootfs_mount_cgroup(ctx, cm, err);
	if (rootfs_str_eq(cm->type, "sysfs") && ctx->userns && !ctx->o->new_netns) {
		/* sysfs belongs to the network namespace's owner: rbind the host's */
		m.source = "/sys";
		m.type = NULL;
		m.flags |= MS_BIND | MS_REC;
		return rootfs_do_mount(ctx, &m, err);
	}
	if (rootfs_do_mount(ctx, &m, &e2) == 0)
		return 0;
	if (e2->status == EPERM && ctx->userns &&
	    (rootfs_str_eq(cm->type, "mqueue") || rootfs_str_eq(cm->type, "sysfs"))) {
		/* no IPC (or network) namespace of our own: bind the host's instead */
		log_debug("mount `%s` on `%s` failed, binding the host's", cm->type,
		          cm->destination);
		berth_error_release(&e2);
		m.source = rootfs_str_eq(cm->type, "mqueue") ? "/dev/mqueue" : "/sys";
		m.type = NULL;
		m.flags |= MS_BIND | MS_REC;
		return rootfs_do_mount(ctx, &m, err);
	}
	*err = e2;
	return -1;
}

/* ---- the steps ------------------------------------------------------------------------------ */

int rootfs_prepare(const struct config *c, const struct rootfs_opts *o, berth_error_t *err)
{
	struct rootfs_ctx ctx __attribute__((cleanup(rootfs_ctx_release))) = {
	    .c = c,
	    .o = o,
	    .rootfd = -1,
	    .userns = o->userns || rootfs_config_userns(c),
	};
	unsigned long prop = c->linux_.rootfs_propagation_flags;

	if (o->rootfs == NULL || o->rootfs[0] != '/')
		return berth_error(err, EINVAL, "rootfs `%s` is not an absolute path",
		                   o->rootfs ? o->rootfs : "");
	ctx.root = realpath(o->rootfs, NULL);
	if (ctx.root == NULL)
		return berth_error(err, errno, "rootfs `%s`", o->rootfs);

	/* nothing we mount may propagate back to the host. An unbindable "/" could not be
	 * bind-mounted onto itself below: it becomes unbindable after the pivot
	 * (rootfs_finalize), as the spec's order of operations has it. */
	if (prop == 0 || (prop & MS_UNBINDABLE))
		prop = MS_SLAVE | MS_REC;
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		return berth_error(err, errno, "make `/` %s", rootfs_propagation_name(prop));
	/* after a recursive slave or private (the default is rslave) no mount of the namespace
	 * is shared any more: the rootfs's parent cannot be, and mountinfo need not be read
	 * (one read fewer in the init, ~50 µs of CPU here; docs/performance.md) */
	if (!((prop & MS_REC) && (prop & (MS_SLAVE | MS_PRIVATE))) &&
	    rootfs_parent_private(ctx.root, err) < 0)
		return -1;
	/* pivot_root needs the new root to be a mount point */
	if (mount(ctx.root, ctx.root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berth_error(err, errno, "mount `%s` on itself", ctx.root);
	ctx.rootfd = open(ctx.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx.rootfd < 0)
		return berth_error(err, errno, "open rootfs `%s`", ctx.root);

	for (size_t i = 0; i < c->n_mounts; i++) {
		log_debug("mount %s on %s (%s)", c->mounts[i].source ? c->mounts[i].source : "",
		          c->mounts[i].destination ? c->mounts[i].destination : "",
		          c->mounts[i].type ? c->mounts[i].type : "");
		if (rootfs_mount_config(&ctx, &c->mounts[i], err) < 0)
			return -1;
	}
	/* a bind-mounted /dev is the host's (or someone's) /dev: leave it alone, as runc does */
	if (rootfs_dev_is_bind(c))
		return 0;
	if (rootfs_create_devices(&ctx, err) < 0)
		return -1;
	return rootfs_dev_links(&ctx, err);
}

/* Before a chroot (no pivot_root), unmount or cover the host's full procfs and sysfs mounts
 * outside the rootfs: the kernel lets a container mount procfs/sysfs only if no full,
 * unmasked instance is visible, and with chroot the host's would stay in the namespace. */
static int rootfs_hide_host_procfs(const char *root, berth_error_t *err)
{
	cleanup_mountinfo struct mountinfo all = {0};

	if (mountinfo_load(NULL, &all, err) < 0)
		return -1;
	for (size_t i = 0; i < all.n; i++) {
		const struct mountinfo_entry *mi = &all.v[i];
		if (strcmp(mi->root, "/") != 0 ||
		    (strcmp(mi->fstype, "proc") != 0 && strcmp(mi->fstype, "sysfs") != 0) ||
		    rootfs_path_under(mi->point, root))
			continue;
		/* no unmount event may reach the host */
		if (mount(NULL, mi->point, NULL, MS_SLAVE | MS_REC, NULL) < 0) {
			if (errno == ENOENT)
				continue; /* below something already unmounted */
			return berth_error(err, errno, "make `%s` rslave", mi->point);
		}
		if (umount2(mi->point, MNT_DETACH) == 0)
			continue;
		if (errno != EINVAL && errno != EPERM)
			return berth_error(err, errno, "unmount `%s`", mi->point);
		if (mount("tmpfs", mi->point, "tmpfs", 0, NULL) < 0)
			return berth_error(err, errno, "cover `%s`", mi->point);
	}
	return 0;
}

int rootfs_pivot(const struct config *c, const struct rootfs_opts *o, berth_error_t *err)
{
	cleanup_free char *root = NULL;
	cleanup_close int oldroot = -1;
	cleanup_close int newroot = -1;

	(void)c;
	if (o->rootfs == NULL)
		return berth_error(err, EINVAL, "no rootfs");
	root = realpath(o->rootfs, NULL);
	if (root == NULL)
		return berth_error(err, errno, "rootfs `%s`", o->rootfs);
	if (o->no_pivot) {
		/* runc's msMoveRoot: the host's tree stays in this mount namespace */
		if (rootfs_hide_host_procfs(root, err) < 0)
			return -1;
		if (chdir(root) < 0)
			return berth_error(err, errno, "chdir `%s`", root);
		if (mount(root, "/", NULL, MS_MOVE, NULL) < 0)
			return berth_error(err, errno, "move `%s` to `/`", root);
		if (chroot(".") < 0)
			return berth_error(err, errno, "chroot `%s`", root);
		if (chdir("/") < 0)
			return berth_error(err, errno, "chdir `/`");
		return 0;
	}
	oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldroot < 0)
		return berth_error(err, errno, "open `/`");
	newroot = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (newroot < 0)
		return berth_error(err, errno, "open `%s`", root);
	if (fchdir(newroot) < 0)
		return berth_error(err, errno, "chdir `%s`", root);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return berth_error(err, errno, "pivot_root `%s`", root);
	/* the old root is now stacked on "/": get rid of it without touching the host */
	if (fchdir(oldroot) < 0)
		return berth_error(err, errno, "chdir to the old root");
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return berth_error(err, errno, "make the old root rslave");
	if (umount2(".", MNT_DETACH) < 0)
		return berth_error(err, errno, "unmount the old root");
	if (chdir("/") < 0)
		return berth_error(err, errno, "chdir `/`");
	return 0;
}

int rootfs_mount_console(int console_fd, berth_error_t *err)
{
	cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int dfd = -1;
	char sp[32], dp[32];

	if (root < 0)
		return berth_error(err, errno, "open `/`");
	dfd = util_create_in_root(root, "/dev/console", false, 0600, err);
	if (dfd < 0)
		return berth_error_prefix(err, "mount console");
	util_fd_path(console_fd, sp);
	if (mount(sp, rootfs_target(dfd, "/dev/console", dp), NULL, MS_BIND, NULL) < 0)
		return berth_error(err, errno, "mount the console on `/dev/console`");
	return 0;
}

/* root: "/" (the container's, after the pivot); *null: the container's /dev/null, opened
 * and checked by the first file masked, -1 before */
static int rootfs_mask_path_at(int root, const char *path, int *null, berth_error_t *err)
{
	cleanup_close int fd = -1;
	berth_error_t e2 = NULL;
	struct stat st;
	char sp[32], dp[32];

	fd = util_open_in_root(root, path, O_PATH, 0, &e2);
	if (fd < 0) {
		int e = e2->status;
		berth_error_release(&e2);
		if (e == ENOENT || e == ENOTDIR)
			return 0;
		return berth_error(err, e, "mask `%s`", path);
	}
	if (fstat(fd, &st) < 0)
		return berth_error(err, errno, "mask `%s`: stat", path);
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", rootfs_target(fd, path, dp), "tmpfs", MS_RDONLY, NULL) < 0)
			return berth_error(err, errno, "mask `%s`: mount tmpfs", path);
		return 0;
	}
	if (*null < 0) {
		*null = util_open_in_root(root, "/dev/null", O_PATH, 0, err);
		if (*null < 0)
			return berth_error_prefix(err, "mask `%s`", path);
		if (fstat(*null, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
			return berth_error(err, ENODEV,
			                   "mask `%s`: /dev/null is not the null device", path);
	}
	if (mount(rootfs_target(*null, "/dev/null", sp), rootfs_target(fd, path, dp), NULL, MS_BIND,
	          NULL) < 0)
		return berth_error(err, errno, "mask `%s`: mount /dev/null", path);
	return 0;
}

static int rootfs_readonly_path_at(int root, const char *path, berth_error_t *err)
{
	cleanup_close int fd = -1;
	cleanup_close int top = -1;
	berth_error_t e2 = NULL;
	char p[32];
	const char *t;

	fd = util_open_in_root(root, path, O_PATH, 0, &e2);
	if (fd < 0) {
		int e = e2->status;
		berth_error_release(&e2);
		if (e == ENOENT || e == ENOTDIR)
			return 0;
		return berth_error(err, e, "readonly path `%s`", path);
	}
	t = rootfs_target(fd, path, p);
	if (mount(t, t, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berth_error(err, errno, "readonly path `%s`: bind", path);
	top = util_open_in_root(root, path, O_PATH, 0, err);
	if (top < 0)
		return berth_error_prefix(err, "readonly path `%s`", path);
	return rootfs_remount(top, path, MS_BIND | MS_RDONLY, true, err);
}

/* "net.ipv4.ip_forward" -> "net/ipv4/ip_forward"; NULL for keys that could walk anywhere. */
static char *rootfs_sysctl_path(const char *key)
{
	cleanup_free char *p = NULL;
	char *s;

	if (key == NULL || *key == '\0' || strchr(key, '/') != NULL || key[0] == '.' ||
	    strstr(key, "..") != NULL || key[strlen(key) - 1] == '.')
		return NULL;
	p = xstrdup(key);
	for (s = p; *s; s++)
		if (*s == '.')
			*s = '/';
	return util_steal_ptr(p);
}

int rootfs_write_sysctl(const struct config *c, berth_error_t *err)
{
	cleanup_close int sys = -1;
	struct statfs sfs;

	if (c->linux_.n_sysctl == 0)
		return 0;
	sys = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (sys < 0)
		return berth_error(err, errno, "open `/proc/sys`");
	if (fstatfs(sys, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		return berth_error(err, EINVAL, "`/proc/sys` is not procfs");
	for (size_t i = 0; i < c->linux_.n_sysctl; i++) {
		const struct config_kv *kv = &c->linux_.sysctl[i];
		cleanup_free char *rel = rootfs_sysctl_path(kv->key);
		cleanup_close int fd = -1;
		int r;

		if (rel == NULL)
			return berth_error(err, EINVAL, "sysctl `%s`: bad name",
			                   kv->key ? kv->key : "");
		fd = util_open_in_root(sys, rel, O_WRONLY, 0, err);
		if (fd < 0)
			return berth_error_prefix(err, "sysctl `%s`", kv->key);
		r = util_write_all(fd, kv->value ? kv->value : "",
		                   kv->value ? strlen(kv->value) : 0);
		if (r < 0)
			return berth_error(err, -r, "write sysctl `%s` = `%s`", kv->key,
			                   kv->value ? kv->value : "");
	}
	return 0;
}

static int rootfs_root_readonly(berth_error_t *err)
{
	struct statvfs sv;
	unsigned long f = MS_BIND | MS_REMOUNT | MS_RDONLY;

	if (mount(NULL, "/", NULL, f, NULL) == 0)
		return 0;
	if (statvfs("/", &sv) < 0)
		return berth_error(err, errno, "remount `/` read-only");
	f |= sv.f_flag &
	     (ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_NOATIME | ST_NODIRATIME | ST_RELATIME);
	if (mount(NULL, "/", NULL, f, NULL) < 0)
		return berth_error(err, errno, "remount `/` read-only");
	return 0;
}

int rootfs_finalize(const struct config *c, const struct rootfs_opts *o, berth_error_t *err)
{
	unsigned long prop = c->linux_.rootfs_propagation_flags;
	cleanup_close int root = -1;
	cleanup_close int null = -1;

	(void)o;
	if (rootfs_write_sysctl(c, err) < 0)
		return -1;
	/* "/" opened once for all the paths (each is resolved in it anew: a mount made for
	 * one may cover the next) */
	if (c->linux_.n_readonly_paths + c->linux_.n_masked_paths > 0) {
		root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root < 0)
			return berth_error(err, errno, "open `/`");
	}
	for (size_t i = 0; i < c->linux_.n_readonly_paths; i++)
		if (rootfs_readonly_path_at(root, c->linux_.readonly_paths[i], err) < 0)
			return -1;
	for (size_t i = 0; i < c->linux_.n_masked_paths; i++)
		if (rootfs_mask_path_at(root, c->linux_.masked_paths[i], &null, err) < 0)
			return -1;
	if (c->root.readonly && rootfs_root_readonly(err) < 0)
		return -1;
	/* MS_PRIVATE was already taken care of before the pivot (runc does the same) */
	if (prop != 0 && !(prop & MS_PRIVATE) && mount(NULL, "/", NULL, prop, NULL) < 0)
		return berth_error(err, errno, "make `/` %s", rootfs_propagation_name(prop));
	return 0;
}

int rootfs_setup(const struct config *c, const struct rootfs_opts *o, berth_error_t *err)
{
	if (rootfs_prepare(c, o, err) < 0 || rootfs_pivot(c, o, err) < 0)
		return -1;
	return rootfs_finalize(c, o, err);
}
