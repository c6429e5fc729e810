/* SPDX-License-Identifier: MIT */
/* berth cp: files between a container's filesystem and the host, as Docker's `cp`. Every
 * path in the container is resolved inside its root (openat2 RESOLVE_IN_ROOT: a symlink, even
 * an absolute one, cannot lead out of it), and the tree below is walked and made with *at()
 * calls that never follow a last component. A stopped container's overlay is mounted for the
 * copy and unmounted after. `-` is a tar stream (libarchive) on stdin or stdout. */
#include "image_priv.h"
#include "dlib.h"
#include "log.h"
#include "mountinfo.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

/* Where entries go: made under a directory (dfd), or written to a tar. */
struct copy_ctx {
	const struct ctr_copy_opts *o;
	struct archive *tar; /* or NULL: make them */
	int depth;
};

static int copy_entry(struct copy_ctx *c, int fd, const struct stat *st, int dfd, const char *name,
                      const char *tarpath, berth_error_t *err);

/* A path's last component ("a/b/" -> "b"; "/" -> "."). */
static char *copy_base(const char *path)
{
	char *p = xstrdup(path), *s;
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	s = strrchr(p, '/');
	if (s && s[1]) {
		char *b = xstrdup(s + 1);
		free(p);
		return b;
	}
	if (strcmp(p, "/") == 0 || p[0] == '\0') {
		free(p);
		return xstrdup(".");
	}
	return p;
}

/* "a/b" -> "a"; "b" -> "."; "/b" -> "/". */
static char *copy_dir(const char *path)
{
	char *p = xstrdup(path), *s;
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	s = strrchr(p, '/');
	if (s == NULL) {
		free(p);
		return xstrdup(".");
	}
	if (s == p)
		s[1] = '\0';
	else
		*s = '\0';
	return p;
}

/* Open path in the root rootfd (or, rootfd < 0, on the host as is). */
static int copy_open(int rootfd, const char *path, int flags, berth_error_t *err)
{
	int fd;

	if (rootfd >= 0)
		return util_open_in_root(rootfd, path, flags, 0, err);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return berth_error(err, errno, "open `%s`", path);
	return fd;
}

static int copy_reopen(int pathfd, int flags, const char *what, berth_error_t *err)
{
	char p[32];
	int fd;

	util_fd_path(pathfd, p);
	fd = open(p, flags | O_CLOEXEC);
	if (fd < 0)
		return berth_error(err, errno, "open `%s`", what);
	return fd;
}

static int copy_meta(struct copy_ctx *c, int dfd, const char *name, const struct stat *st,
                     berth_error_t *err)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};

	if (c->o->archive && fchownat(dfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error(err, errno, "chown `%s`", name);
	if (!S_ISLNK(st->st_mode) && fchmodat(dfd, name, st->st_mode & 07777, 0) < 0)
		return berth_error(err, errno, "chmod `%s`", name);
	utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int copy_dir_entries(struct copy_ctx *c, int fd, int dfd, const char *name,
                            const char *tarpath, berth_error_t *err)
{
	cleanup_close int sub = -1;
	int rd, r = 0;
	DIR *d;
	struct dirent *de;

	if (c->depth > 256)
		return berth_error(err, 0, "`%s`: deeper than 256 directories", tarpath);
	if (c->tar == NULL) {
		sub = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return berth_error(err, errno, "open `%s`", name);
	}
	rd = copy_reopen(fd, O_RDONLY | O_DIRECTORY, tarpath, err);
	if (rd < 0)
		return -1;
	d = fdopendir(rd);
	if (d == NULL) {
		close(rd);
		return berth_error(err, errno, "opendir `%s`", tarpath);
	}
	c->depth++;
	while (r == 0 && (de = readdir(d)) != NULL) {
		cleanup_close int cfd = -1;
		cleanup_free char *tp = NULL;
		struct stat cst;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		cfd = openat(rd, de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0 || fstat(cfd, &cst) < 0) {
			r = berth_error(err, errno, "open `%s/%s`", tarpath, de->d_name);
			break;
		}
		tp = strcmp(tarpath, ".") == 0 ? xstrdup(de->d_name)
		                               : xasprintf("%s/%s", tarpath, de->d_name);
		r = copy_entry(c, cfd, &cst, sub, de->d_name, tp, err);
	}
	c->depth--;
	closedir(d);
	return r;
}

static int copy_tar_entry(struct copy_ctx *c, int fd, const struct stat *st, const char *tarpath,
                          berth_error_t *err)
{
	struct archive_entry *en = dlib_archive()->archive_entry_new();
	char target[PATH_MAX];
	int r = 0;

	dlib_archive()->archive_entry_copy_stat(en, st);
	dlib_archive()->archive_entry_set_pathname(en, tarpath);
	if (S_ISLNK(st->st_mode)) {
		ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
		if (n < 0) {
			dlib_archive()->archive_entry_free(en);
			return berth_error(err, errno, "readlink `%s`", tarpath);
		}
		target[n] = '\0';
		dlib_archive()->archive_entry_set_symlink(en, target);
	}
	if (!S_ISREG(st->st_mode))
		dlib_archive()->archive_entry_set_size(en, 0);
	if (dlib_archive()->archive_write_header(c->tar, en) != ARCHIVE_OK)
		r = berth_error(err, 0, "tar: %s",
		                dlib_archive()->archive_error_string(c->tar) ?: strerror(errno));
	dlib_archive()->archive_entry_free(en);
	if (r == 0 && S_ISREG(st->st_mode)) {
		cleanup_close int rfd = copy_reopen(fd, O_RDONLY, tarpath, err);
		char buf[65536];
		ssize_t n;
		if (rfd < 0)
			return -1;
		while ((n = read(rfd, buf, sizeof(buf))) > 0)
			if (dlib_archive()->archive_write_data(c->tar, buf, (size_t)n) < 0)
				return berth_error(err, 0, "tar: %s",
				                   dlib_archive()->archive_error_string(c->tar)
				                       ?: strerror(errno));
		if (n < 0)
			return berth_error(err, errno, "read `%s`", tarpath);
	}
	if (r == 0 && S_ISDIR(st->st_mode))
		r = copy_dir_entries(c, fd, -1, NULL, tarpath, err);
	return r;
}

/* One entry (fd: O_PATH, not following it) made as name in dfd, or written to the tar. */
static int copy_entry(struct copy_ctx *c, int fd, const struct stat *st, int dfd, const char *name,
                      const char *tarpath, berth_error_t *err)
{
	struct stat old;
	bool exists;

	if (c->tar)
		return copy_tar_entry(c, fd, st, tarpath, err);
	exists = fstatat(dfd, name, &old, AT_SYMLINK_NOFOLLOW) == 0;
	if (S_ISDIR(st->st_mode)) {
		if (exists && !S_ISDIR(old.st_mode))
			return berth_error(err, 0, "cannot copy the directory `%s` over a file",
			                   tarpath);
		if (!exists && mkdirat(dfd, name, 0700) < 0)
			return berth_error(err, errno, "mkdir `%s`", tarpath);
		if (copy_dir_entries(c, fd, dfd, name, tarpath, err) < 0)
			return -1;
		return copy_meta(c, dfd, name, st, err);
	}
	if (exists && S_ISDIR(old.st_mode))
		return berth_error(err, 0, "cannot copy `%s` over a directory", tarpath);
	if (exists && unlinkat(dfd, name, 0) < 0)
		return berth_error(err, errno, "unlink `%s`", tarpath);
	if (S_ISREG(st->st_mode)) {
		cleanup_close int rfd = copy_reopen(fd, O_RDONLY, tarpath, err);
		cleanup_close int wfd = -1;
		char buf[65536];
		ssize_t n;
		if (rfd < 0)
			return -1;
		wfd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (wfd < 0)
			return berth_error(err, errno, "create `%s`", tarpath);
		while ((n = read(rfd, buf, sizeof(buf))) > 0)
			if (util_write_all(wfd, buf, (size_t)n) < 0)
				return berth_error(err, errno, "write `%s`", tarpath);
		if (n < 0)
			return berth_error(err, errno, "read `%s`", tarpath);
	} else if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
		if (n < 0)
			return berth_error(err, errno, "readlink `%s`", tarpath);
		target[n] = '\0';
		if (symlinkat(target, dfd, name) < 0)
			return berth_error(err, errno, "symlink `%s`", tarpath);
	} else if (mknodat(dfd, name, st->st_mode & (S_IFMT | 0600), st->st_rdev) < 0) {
		return berth_error(err, errno, "mknod `%s`", tarpath);
	}
	return copy_meta(c, dfd, name, st, err);
}

static int copy_over(int sfd, int dfd, const char *dst, berth_error_t *err)
{
	cleanup_close int rfd = copy_reopen(sfd, O_RDONLY, dst, err);
	cleanup_close int wfd = -1;
	char buf[65536];
	ssize_t n;

	if (rfd < 0)
		return -1;
	wfd = copy_reopen(dfd, O_WRONLY | O_TRUNC, dst, err);
	if (wfd < 0)
		return -1;
	while ((n = read(rfd, buf, sizeof(buf))) > 0)
		if (util_write_all(wfd, buf, (size_t)n) < 0)
			return berth_error(err, errno, "write `%s`", dst);
	if (n < 0)
		return berth_error(err, errno, "read for `%s`", dst);
	return 0;
}

/* A container's root, mounted for the copy when it is not (a stopped container). */
static int copy_root(struct engine *e, const char *id, bool *mounted, berth_error_t *err)
{
	cleanup_free char *rootfs = engine_path(e, "containers/%s/rootfs", id);
	cleanup_mountinfo struct mountinfo mi = {0};
	bool is = false;

	*mounted = false;
	if (mountinfo_load(NULL, &mi, err) < 0)
		return -1;
	for (size_t i = 0; i < mi.n; i++)
		if (strcmp(mi.v[i].point, rootfs) == 0)
			is = true;
	if (!is) {
		if (ctr_mount(e, id, err) < 0)
			return -1;
		*mounted = true;
	}
	{
		int fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			berth_error(err, errno, "open `%s`", rootfs);
			if (*mounted)
				ctr_umount(e, id);
			return -1;
		}
		return fd;
	}
}

/* Copy src (in srcroot, or the host's when < 0) to dst (in dstroot, or the host's), as Docker:
 * into dst when it is a directory (src's contents with a trailing "/."), else as dst. */
static int copy_paths(const struct ctr_copy_opts *o, int srcroot, const char *src, int dstroot,
                      const char *dst, berth_error_t *err)
{
	cleanup_free char *sbase = copy_base(src);
	cleanup_free char *sdir = copy_dir(src);
	cleanup_close int sfd = -1;
	cleanup_close int dfd = -1;
	cleanup_close int ddir = -1;
	cleanup_free char *dname = NULL;
	struct copy_ctx c = {.o = o};
	struct stat st, dst_st;
	size_t sl = strlen(src);
	bool contents = sl >= 2 && strcmp(src + sl - 2, "/.") == 0;
	bool dst_slash = dst[0] && dst[strlen(dst) - 1] == '/';

	sfd = copy_open(srcroot, src, O_PATH | (o->follow ? 0 : O_NOFOLLOW), err);
	if (sfd < 0)
		return -1;
	if (fstat(sfd, &st) < 0)
		return berth_error(err, errno, "stat `%s`", src);
	if (contents && !S_ISDIR(st.st_mode))
		return berth_error(err, 0, "`%s`: not a directory", src);
	dfd = copy_open(dstroot, dst, O_PATH, err);
	if (dfd >= 0 && fstat(dfd, &dst_st) == 0 && S_ISDIR(dst_st.st_mode)) {
		if (contents) {
			/* the directory's entries into dst */
			int r;
			c.depth = 0;
			r = copy_dir_entries(&c, sfd, dfd, ".", ".", err);
			return r;
		}
		ddir = dfd;
		dfd = -1;
		dname = xstrdup(sbase);
	} else {
		cleanup_free char *pd = copy_dir(dst);
		if (dfd < 0 && (*err)->status != ENOENT)
			return -1;
		berth_error_release(err);
		if (dfd >= 0 && S_ISDIR(st.st_mode))
			return berth_error(
			    err, 0, "cannot copy the directory `%s` over the file `%s`", src, dst);
		if (dfd >= 0 && S_ISREG(st.st_mode) && S_ISREG(dst_st.st_mode))
			/* a file over a file: written in place, as cp(1) (dst's owner and mode) */
			return copy_over(sfd, dfd, dst, err);
		if (dfd >= 0 && dstroot < 0)
			return berth_error(
			    err, 0, "`%s` exists and is neither a regular file nor a directory",
			    dst);
		if (dfd < 0 && dst_slash && !S_ISDIR(st.st_mode))
			return berth_error(err, 0, "the directory `%s` does not exist", dst);
		ddir = copy_open(dstroot, pd, O_PATH | O_DIRECTORY, err);
		if (ddir < 0)
			return -1;
		dname = copy_base(dst);
	}
	if (strcmp(dname, ".") == 0 || strcmp(dname, "..") == 0 || strcmp(sbase, "..") == 0)
		return berth_error(err, 0, "cannot copy `%s` to `%s`", src, dst);
	(void)sdir;
	return copy_entry(&c, sfd, &st, ddir, dname, sbase, err);
}

static ssize_t copy_tar_write(struct archive *a, void *arg, const void *buf, size_t n)
{
	(void)a;
	return util_write_all(arg ? *(int *)arg : STDOUT_FILENO, buf, n) < 0 ? -1 : (ssize_t)n;
}

int ctr_copy_out(struct engine *e, const char *id, const char *path, const char *host,
                 const struct ctr_copy_opts *o, berth_error_t *err)
{
	bool mounted;
	int rootfd = copy_root(e, id, &mounted, err), r;

	if (rootfd < 0)
		return -1;
	if (strcmp(host, "-") == 0) {
		cleanup_close int sfd =
		    copy_open(rootfd, path, O_PATH | (o->follow ? 0 : O_NOFOLLOW), err);
		cleanup_free char *base = copy_base(path);
		struct copy_ctx c = {.o = o, .tar = dlib_archive()->archive_write_new()};
		struct stat st;
		r = -1;
		dlib_archive()->archive_write_set_format_pax_restricted(c.tar);
		dlib_archive()->archive_write_open(c.tar, NULL, NULL, copy_tar_write, NULL);
		if (sfd >= 0 && fstat(sfd, &st) < 0)
			berth_error(err, errno, "stat `%s`", path);
		else if (sfd >= 0)
			r = copy_entry(&c, sfd, &st, -1, NULL, base, err);
		if (dlib_archive()->archive_write_close(c.tar) != ARCHIVE_OK && r == 0)
			r = berth_error(err, 0, "tar: %s",
			                dlib_archive()->archive_error_string(c.tar)
			                    ?: strerror(errno));
		dlib_archive()->archive_write_free(c.tar);
	} else {
		r = copy_paths(o, rootfd, path, -1, host, err);
	}
	close(rootfd);
	if (mounted)
		ctr_umount(e, id);
	return r;
}

int ctr_copy_in(struct engine *e, const char *id, const char *host, const char *path,
                const struct ctr_copy_opts *o, berth_error_t *err)
{
	bool mounted;
	int rootfd, r;

	if (strcmp(host, "-") == 0 && isatty(STDIN_FILENO))
		return berth_error(err, 0, "no tar archive on stdin: pipe one in");
	rootfd = copy_root(e, id, &mounted, err);
	if (rootfd < 0)
		return -1;
	if (strcmp(host, "-") == 0) {
		/* the archive is unpacked into the directory path, safely (unpack.c) */
		cleanup_close int dfd = copy_open(rootfd, path, O_PATH | O_DIRECTORY, err);
		cleanup_close int tmp = -1;
		cleanup_free char *tdir = engine_path(e, "tmp");
		char p[32], buf[65536];
		ssize_t n = 0;
		r = -1;
		/* read twice (its compression is sniffed first): a copy, in an unnamed file */
		if (dfd >= 0 && (util_mkdir_p(tdir, 0700, err) < 0 ||
		                 (tmp = open(tdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) < 0)) {
			if (tmp < 0 && *err == NULL)
				berth_error(err, errno, "open a file in `%s`", tdir);
			util_closep(&dfd);
		}
		while (dfd >= 0 && (n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
			if (util_write_all(tmp, buf, (size_t)n) < 0)
				break;
		if (dfd >= 0 && n != 0)
			berth_error(err, errno, "read the archive on stdin");
		else if (dfd >= 0) {
			util_fd_path(dfd, p);
			r = layer_unpack(tmp, "the archive on stdin", p, NULL, err);
		}
	} else {
		r = copy_paths(o, -1, host, rootfd, path, err);
	}
	close(rootfd);
	if (mounted)
		ctr_umount(e, id);
	return r;
}

int ctr_export(struct engine *e, const char *id, const char *file, berth_error_t *err)
{
	cleanup_free char *tmp = NULL;
	struct copy_ctx c = {.o = &(struct ctr_copy_opts){0}, .tar = NULL};
	bool mounted;
	int rootfd, fd = STDOUT_FILENO, r;

	if (strcmp(file, "-") != 0) {
		/* written beside file and renamed into place: no half archive */
		tmp = xasprintf("%s.berth-XXXXXX", file);
		fd = mkostemp(tmp, O_CLOEXEC);
		if (fd < 0) {
			r = berth_error(err, errno, "create `%s`", tmp);
			return r;
		}
	}
	rootfd = copy_root(e, id, &mounted, err);
	if (rootfd < 0) {
		r = -1;
		goto out;
	}
	c.tar = dlib_archive()->archive_write_new();
	dlib_archive()->archive_write_set_format_pax_restricted(c.tar);
	dlib_archive()->archive_write_open(c.tar, &fd, NULL, copy_tar_write, NULL);
	r = copy_dir_entries(&c, rootfd, -1, NULL, ".", err);
	if (dlib_archive()->archive_write_close(c.tar) != ARCHIVE_OK && r == 0)
		r = berth_error(err, 0, "tar: %s",
		                dlib_archive()->archive_error_string(c.tar) ?: strerror(errno));
	dlib_archive()->archive_write_free(c.tar);
	close(rootfd);
	if (mounted)
		ctr_umount(e, id);
out:
	if (tmp) {
		if (r == 0 && fsync(fd) < 0)
			r = berth_error(err, errno, "write `%s`", tmp);
		close(fd);
		if (r == 0 && rename(tmp, file) < 0)
			r = berth_error(err, errno, "rename `%s` to `%s`", tmp, file);
		if (r < 0)
			unlink(tmp);
	}
	return r;
}

struct diff_acc {
	char **v;
	size_t n;
};

/* Whether path (relative) is in one of the container's image layers. */
static bool diff_in_lower(const int *lower, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++) {
		berth_error_t e2 = NULL;
		int fd = util_open_in_root(lower[i], path, O_PATH | O_NOFOLLOW, 0, &e2);
		berth_error_release(&e2);
		if (fd >= 0) {
			struct stat st;
			bool wh = fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0;
			close(fd);
			/* a whiteout in a layer above hides it (layers: top first) */
			return !wh;
		}
	}
	return false;
}

static int diff_walk(int dirfd, const char *rel, const int *lower, size_t nl, struct diff_acc *acc,
                     int depth, berth_error_t *err)
{
	int fd;
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (depth > 256)
		return berth_error(err, 0, "`/%s`: deeper than 256 directories", rel);
	fd = openat(dirfd, rel[0] ? rel : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error(err, errno, "open `/%s` in the upper layer", rel);
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return berth_error(err, errno, "opendir `/%s`", rel);
	}
	while (r == 0 && (de = readdir(d)) != NULL) {
		cleanup_free char *p = NULL;
		struct stat st;
		char kind;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		p = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		if (fstatat(dirfd, p, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = berth_error(err, errno, "stat `/%s` in the upper layer", p);
			break;
		}
		/* overlayfs's whiteout: a 0/0 character device */
		if (S_ISCHR(st.st_mode) && st.st_rdev == 0)
			kind = 'D';
		else
			kind = diff_in_lower(lower, nl, p) ? 'C' : 'A';
		acc->v = xrealloc(acc->v, (acc->n + 1) * sizeof(*acc->v));
		acc->v[acc->n++] = xasprintf("%c /%s", kind, p);
		if (S_ISDIR(st.st_mode))
			r = diff_walk(dirfd, p, lower, nl, acc, depth + 1, err);
	}
	closedir(d);
	return r;
}

static int diff_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a + 2, *(char *const *)b + 2);
}

int ctr_diff(struct engine *e, const char *id, char **text, berth_error_t *err)
{
	cleanup_free char *up = ctr_upper_dir(e, id);
	cleanup_close int upfd = open(up, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct diff_acc acc = {0};
	json_t *rec, *layers;
	size_t nl;
	int *lower, r;
	size_t len = 1;

	if (upfd < 0)
		return berth_error(err, errno, "open `%s`", up);
	if (ctr_load(e, id, &rec, err) < 0)
		return -1;
	layers = json_object_get(rec, "layers");
	nl = json_array_size(layers);
	lower = xmalloc0((nl + 1) * sizeof(*lower));
	/* top first */
	for (size_t i = 0; i < nl; i++) {
		cleanup_free char *d =
		    image_layer_dir(e, json_string_value(json_array_get(layers, nl - 1 - i)) ?: "");
		lower[i] = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	json_decref(rec);
	r = diff_walk(upfd, "", lower, nl, &acc, 0, err);
	for (size_t i = 0; i < nl; i++)
		if (lower[i] >= 0)
			close(lower[i]);
	free(lower);
	if (acc.n)
		qsort(acc.v, acc.n, sizeof(*acc.v), diff_cmp);
	for (size_t i = 0; i < acc.n; i++)
		len += strlen(acc.v[i]) + 1;
	*text = xmalloc0(len);
	len = 0;
	for (size_t i = 0; i < acc.n; i++) {
		size_t k = strlen(acc.v[i]);
		memcpy(*text + len, acc.v[i], k);
		(*text)[len + k] = '\n';
		len += k + 1;
		free(acc.v[i]);
	}
	free(acc.v);
	if (r < 0) {
		free(*text);
		*text = NULL;
	}
	return r;
}
