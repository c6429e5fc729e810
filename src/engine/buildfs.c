/* SPDX-License-Identifier: MIT */
/* berth build's filesystem work (build_priv.h): overlays over a stage's layers, COPY/ADD from
 * the context (resolved inside it: openat2 RESOLVE_IN_ROOT, `..` refused, symlinks inside the
 * copied trees copied as symlinks), the upper directory as a tar layer (libarchive) moved into
 * the store, and the build cache's entries. */
#include "build_priv.h"
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
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

/* ---- overlays ------------------------------------------------------------------------------ */
int bfs_mount(struct engine *e, const char *dir, char **layers, size_t n, bool ro,
              struct bfs_mount *m, berth_error_t *err)
{
	cleanup_free char *work = xasprintf("%s/work", dir);
	cleanup_free char *empty = xasprintf("%s/empty", dir);
	cleanup_free char *empty2 = xasprintf("%s/empty2", dir);
	cleanup_free char *opts = NULL;
	size_t len = 64 + 3 * strlen(dir);
	char *lower;

	memset(m, 0, sizeof(*m));
	m->rootfd = -1;
	m->dir = xstrdup(dir);
	m->upper = xasprintf("%s/upper", dir);
	m->merged = xasprintf("%s/merged", dir);
	if (mkdir(dir, 0700) < 0 || mkdir(m->merged, 0755) < 0 || mkdir(empty, 0755) < 0 ||
	    (!ro && (mkdir(m->upper, 0755) < 0 || mkdir(work, 0700) < 0)) ||
	    (ro && n == 0 && mkdir(empty2, 0755) < 0))
		return berth_error(err, errno, "mkdir in `%s`", dir);
	for (size_t i = 0; i < n; i++)
		len += strlen(e->root) + 80;
	lower = xmalloc0(len);
	for (size_t i = n; i-- > 0;) {
		cleanup_free char *d = image_layer_dir(e, layers[i]);
		strcat(lower, d);
		strcat(lower, ":");
	}
	strcat(lower, empty);
	if (ro && n == 0) {
		strcat(lower, ":");
		strcat(lower, empty2);
	}
	opts = ro ? xasprintf("lowerdir=%s", lower)
	          : xasprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, m->upper, work);
	free(lower);
	if (strlen(opts) >= 4096)
		return berth_error(err, 0, "too many layers (%zu) for one overlay mount", n);
	if (mount("overlay", m->merged, "overlay", ro ? MS_RDONLY : 0, opts) < 0)
		return berth_error(err, errno, "mount overlay on `%s`", m->merged);
	m->mounted = true;
	m->rootfd = open(m->merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (m->rootfd < 0)
		return berth_error(err, errno, "open `%s`", m->merged);
	return 0;
}

void bfs_umount(struct bfs_mount *m)
{
	berth_error_t e2 = NULL;

	util_closep(&m->rootfd);
	if (m->mounted && umount2(m->merged, MNT_DETACH) < 0)
		log_warning("umount `%s`: %s", m->merged, strerror(errno));
	m->mounted = false;
	if (m->dir)
		util_rm_rf(m->dir, &e2);
	berth_error_release(&e2);
	free(m->dir);
	free(m->upper);
	free(m->merged);
	m->dir = m->upper = m->merged = NULL;
}

/* ---- the upper directory as a tar ------------------------------------------------------------ */
struct tarw {
	struct archive *a;
	long long ts;
	size_t n;
	json_t *links; /* "dev:ino" -> the path of a file with more than one link, written once */
	berth_error_t *err;
};

/* The extended attributes of fd but trusted.* (overlayfs' own): file capabilities, ACLs. */
static void tar_xattrs(struct archive_entry *en, int fd)
{
	char names[4096], value[4096];
	ssize_t n = flistxattr(fd, names, sizeof(names));

	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(names + i) + 1) {
		ssize_t vl;
		if (strncmp(names + i, "trusted.", 8) == 0)
			continue;
		vl = fgetxattr(fd, names + i, value, sizeof(value));
		if (vl >= 0)
			dlib_archive()->archive_entry_xattr_add_entry(en, names + i, value,
			                                              (size_t)vl);
	}
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in the directory dfd, sorted (heap array of heap). */
static int dir_names(int dfd, char ***out, size_t *n, berth_error_t *err)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	char **v = NULL;
	size_t k = 0;

	if (fd < 0)
		return berth_error(err, errno, "open a directory");
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return berth_error(err, errno, "fdopendir");
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		v = xrealloc(v, (k + 1) * sizeof(*v));
		v[k++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (k)
		qsort(v, k, sizeof(*v), name_cmp);
	*out = v;
	*n = k;
	return 0;
}

static void names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* An entry: link a symlink's target, hard the path this file was written as before, fd (or
 * -1) what its xattrs are read from. */
static int tar_header(struct tarw *t, const char *path, const struct stat *st, const char *link,
                      const char *hard, int fd)
{
	struct archive_entry *en = dlib_archive()->archive_entry_new();
	int r;

	dlib_archive()->archive_entry_set_pathname(en, path);
	dlib_archive()->archive_entry_set_filetype(en, st->st_mode & S_IFMT);
	dlib_archive()->archive_entry_set_perm(en, st->st_mode & 07777);
	dlib_archive()->archive_entry_set_uid(en, st->st_uid);
	dlib_archive()->archive_entry_set_gid(en, st->st_gid);
	dlib_archive()->archive_entry_set_mtime(en, t->ts >= 0 ? (time_t)t->ts : st->st_mtime, 0);
	dlib_archive()->archive_entry_set_size(en, S_ISREG(st->st_mode) && !hard ? st->st_size : 0);
	if (hard)
		dlib_archive()->archive_entry_set_hardlink(en, hard);
	if (fd >= 0)
		tar_xattrs(en, fd);
	if (link)
		dlib_archive()->archive_entry_set_symlink(en, link);
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		dlib_archive()->archive_entry_set_rdev(en, st->st_rdev);
	r = dlib_archive()->archive_write_header(t->a, en);
	dlib_archive()->archive_entry_free(en);
	if (r != ARCHIVE_OK)
		return berth_error(t->err, 0, "layer entry `%s`: %s", path,
		                   dlib_archive()->archive_error_string(t->a));
	t->n++;
	return 0;
}

/* Files the runtime makes as mount points: not the step's changes. */
static bool tar_skip(const char *path, const struct stat *st, int dfd, const char *name)
{
	static const char *const files[] = {"etc/hosts", "etc/resolv.conf", "etc/hostname"};
	static const char *const dirs[] = {"proc", "sys", "dev"};

	if (S_ISREG(st->st_mode) && st->st_size == 0)
		for (size_t i = 0; i < ARRAY_SIZE(files); i++)
			if (strcmp(path, files[i]) == 0)
				return true;
	if (S_ISDIR(st->st_mode))
		for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
			if (strcmp(path, dirs[i]) == 0) {
				char **v;
				size_t n;
				int fd = openat(dfd, name,
				                O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				berth_error_t e2 = NULL;
				bool empty = false;
				if (fd >= 0 && dir_names(fd, &v, &n, &e2) == 0) {
					empty = n == 0;
					names_free(v, n);
				}
				berth_error_release(&e2);
				if (fd >= 0)
					close(fd);
				return empty;
			}
	return false;
}

static int tar_dir(struct tarw *t, int dfd, const char *prefix)
{
	char **names;
	size_t n;
	int r = -1;

	if (dir_names(dfd, &names, &n, t->err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *path = xasprintf("%s%s", prefix, names[i]);
		struct stat st;
		if (fstatat(dfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			berth_error(t->err, errno, "stat `%s`", path);
			goto out;
		}
		if (tar_skip(path, &st, dfd, names[i]))
			continue;
		if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
			/* an overlay whiteout: the OCI one */
			cleanup_free char *wh = xasprintf("%s.wh.%s", prefix, names[i]);
			struct stat w = {.st_mode = S_IFREG | 0644};
			w.st_mtime = st.st_mtime;
			if (tar_header(t, wh, &w, NULL, NULL, -1) < 0)
				goto out;
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t l = readlinkat(dfd, names[i], target, sizeof(target) - 1);
			if (l < 0) {
				berth_error(t->err, errno, "readlink `%s`", path);
				goto out;
			}
			target[l] = '\0';
			if (tar_header(t, path, &st, target, NULL, -1) < 0)
				goto out;
		} else if (S_ISDIR(st.st_mode)) {
			cleanup_close int fd =
			    openat(dfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			cleanup_free char *sub = xasprintf("%s/", path);
			char v[4];
			ssize_t vl;
			if (fd < 0) {
				berth_error(t->err, errno, "open `%s`", path);
				goto out;
			}
			if (tar_header(t, sub, &st, NULL, NULL, fd) < 0)
				goto out;
			vl = fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v));
			if (vl == 1 && v[0] == 'y') {
				cleanup_free char *opq = xasprintf("%s.wh..wh..opq", sub);
				struct stat w = {.st_mode = S_IFREG | 0644};
				w.st_mtime = st.st_mtime;
				if (tar_header(t, opq, &w, NULL, NULL, -1) < 0)
					goto out;
			}
			if (tar_dir(t, fd, sub) < 0)
				goto out;
		} else if (S_ISREG(st.st_mode)) {
			cleanup_close int fd =
			    openat(dfd, names[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			char buf[65536];
			ssize_t k;
			off_t left = st.st_size;
			char key[64];
			const char *hard = NULL;
			if (fd < 0) {
				berth_error(t->err, errno, "open `%s`", path);
				goto out;
			}
			if (st.st_nlink > 1) {
				/* a hard link to a file written already: a link entry */
				snprintf(key, sizeof(key), "%llu:%llu",
				         (unsigned long long)st.st_dev,
				         (unsigned long long)st.st_ino);
				hard = json_string_value(json_object_get(t->links, key));
				if (hard == NULL)
					json_object_set_new(t->links, key, json_string(path));
			}
			if (tar_header(t, path, &st, NULL, hard, fd) < 0)
				goto out;
			if (hard)
				left = 0;
			while (left > 0 && (k = read(fd, buf, sizeof(buf))) > 0) {
				if (k > left)
					k = (ssize_t)left;
				if (dlib_archive()->archive_write_data(t->a, buf, (size_t)k) != k) {
					berth_error(t->err, 0, "layer entry `%s`: %s", path,
					            dlib_archive()->archive_error_string(t->a));
					goto out;
				}
				left -= k;
			}
			if (left > 0) {
				berth_error(t->err, errno, "`%s`: short read", path);
				goto out;
			}
		} else {
			if (tar_header(t, path, &st, NULL, NULL, -1) < 0)
				goto out;
		}
	}
	r = 0;
out:
	names_free(names, n);
	return r;
}

static int file_sha256(int fd, char hex[65], uint64_t *size)
{
	struct sha256 h;
	char buf[65536];
	ssize_t k;

	*size = 0;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -1;
	sha256_init(&h);
	while ((k = read(fd, buf, sizeof(buf))) > 0) {
		sha256_update(&h, buf, (size_t)k);
		*size += (uint64_t)k;
	}
	if (k < 0)
		return -1;
	sha256_final_hex(&h, hex);
	return lseek(fd, 0, SEEK_SET) < 0 ? -1 : 0;
}

int bfs_commit_layer(struct engine *e, const char *upper, const char *tmp, long long ts,
                     char hex[65], uint64_t *size, bool *empty, berth_error_t *err)
{
	cleanup_free char *tarp = xasprintf("%s/layer.tar", tmp);
	cleanup_free char *unp = xasprintf("%s/layer.d", tmp);
	cleanup_free char *dst = NULL;
	cleanup_free char *blob = NULL;
	cleanup_close int fd = open(tarp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cleanup_close int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct tarw t = {.ts = ts, .err = err, .links = json_object()};
	bool had_lock = e->lock_fd >= 0;
	berth_error_t e2 = NULL;
	int r = -1;

	*empty = false;
	if (fd < 0)
		return berth_error(err, errno, "create `%s`", tarp);
	if (ufd < 0)
		return berth_error(err, errno, "open `%s`", upper);
	t.a = dlib_archive()->archive_write_new();
	dlib_archive()->archive_write_set_format_pax_restricted(t.a);
	if (dlib_archive()->archive_write_open_fd(t.a, fd) != ARCHIVE_OK) {
		berth_error(err, 0, "`%s`: %s", tarp, dlib_archive()->archive_error_string(t.a));
		dlib_archive()->archive_write_free(t.a);
		json_decref(t.links);
		return -1;
	}
	r = tar_dir(&t, ufd, "");
	if (dlib_archive()->archive_write_close(t.a) != ARCHIVE_OK && r == 0)
		r = berth_error(err, 0, "`%s`: %s", tarp,
		                dlib_archive()->archive_error_string(t.a));
	dlib_archive()->archive_write_free(t.a);
	json_decref(t.links);
	if (r < 0)
		goto out;
	r = -1;
	if (t.n == 0) {
		*empty = true;
		r = 0;
		goto out;
	}
	if (file_sha256(fd, hex, size) < 0) {
		berth_error(err, errno, "read `%s`", tarp);
		goto out;
	}
	dst = image_layer_dir(e, hex);
	blob = engine_path(e, "images/blobs/sha256/%s", hex);
	if (access(dst, F_OK) != 0) {
		if (mkdir(unp, 0755) < 0) {
			berth_error(err, errno, "mkdir `%s`", unp);
			goto out;
		}
		if (layer_unpack(fd, tarp, unp, NULL, err) < 0)
			goto out;
	}
	if (engine_lock(e, err) < 0)
		goto out;
	if (access(dst, F_OK) != 0 && rename(unp, dst) < 0) {
		berth_error(err, errno, "rename `%s`", dst);
		goto unlock;
	}
	if (access(blob, F_OK) != 0 && rename(tarp, blob) < 0) {
		berth_error(err, errno, "rename `%s`", blob);
		goto unlock;
	}
	r = 0;
unlock:
	if (!had_lock)
		engine_unlock(e);
out:
	unlink(tarp);
	util_rm_rf(unp, &e2);
	berth_error_release(&e2);
	return r;
}

/* ---- COPY and ADD -------------------------------------------------------------------------- */
/* A source path made clean and relative to the root: "a/./b/../c" -> "a/c"; "" for the root
 * itself; NULL when it leads above the root. */
static char *clean_inside(const char *p)
{
	char **parts = NULL;
	size_t n = 0;
	char *dup = xstrdup(p), *save = NULL, *out;
	size_t len = 1;

	for (char *t = strtok_r(dup, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (strcmp(t, ".") == 0)
			continue;
		if (strcmp(t, "..") == 0) {
			if (n == 0) {
				free(parts);
				free(dup);
				return NULL;
			}
			n--;
			continue;
		}
		parts = xrealloc(parts, (n + 1) * sizeof(*parts));
		parts[n++] = t;
		len += strlen(t) + 1;
	}
	out = xmalloc0(len);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, "/");
		strcat(out, parts[i]);
	}
	free(parts);
	free(dup);
	return out;
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* The paths under the root matching the clean pattern pat (component by component). */
static void glob_walk(int rootfd, const char *done, const char *pat, const struct bf_ignore *ig,
                      char ***out, size_t *n)
{
	const char *slash = strchr(pat, '/');
	cleanup_free char *comp = slash ? strndup(pat, (size_t)(slash - pat)) : xstrdup(pat);
	const char *rest = slash ? slash + 1 : NULL;
	berth_error_t e2 = NULL;
	cleanup_close int dfd =
	    util_open_in_root(rootfd, done[0] ? done : ".", O_RDONLY | O_DIRECTORY, 0, &e2);
	char **names;
	size_t k;

	berth_error_release(&e2);
	if (dfd < 0 || dir_names(dfd, &names, &k, &e2) < 0) {
		berth_error_release(&e2);
		return;
	}
	for (size_t i = 0; i < k; i++) {
		cleanup_free char *p = NULL;
		if (fnmatch(comp, names[i], 0) != 0)
			continue;
		p = done[0] ? xasprintf("%s/%s", done, names[i]) : xstrdup(names[i]);
		if (ig && bf_ignored(ig, p))
			continue;
		if (rest && rest[0]) {
			glob_walk(rootfd, p, rest, ig, out, n);
		} else {
			*out = xrealloc(*out, (*n + 1) * sizeof(char *));
			(*out)[(*n)++] = xstrdup(p);
		}
	}
	names_free(names, k);
}

struct cp {
	const struct bfs_copy *c;
	berth_error_t *err;
};

static void digest_add(const struct bfs_copy *c, const char *rel, const struct stat *st,
                       const char *extra)
{
	char head[128];

	if (c->digest == NULL)
		return;
	snprintf(head, sizeof(head), "\n%o %lld ", (unsigned)st->st_mode,
	         (long long)(S_ISREG(st->st_mode) ? st->st_size : 0));
	sha256_update(c->digest, head, strlen(head));
	sha256_update(c->digest, rel, strlen(rel) + 1);
	if (extra)
		sha256_update(c->digest, extra, strlen(extra) + 1);
}

static void set_meta(const struct bfs_copy *c, int dfd, const char *name, const struct stat *st)
{
	struct timespec tv[2];
	mode_t mode = c->chmod >= 0 ? (mode_t)c->chmod : st->st_mode & 07777;

	tv[0].tv_nsec = tv[1].tv_nsec = 0;
	tv[0].tv_sec = tv[1].tv_sec = c->ts >= 0 ? (time_t)c->ts : st->st_mtime;
	if (c->ts < 0)
		tv[1] = st->st_mtim, tv[0] = st->st_mtim;
	if (fchownat(dfd, name, c->chown ? c->uid : 0, c->chown ? c->gid : 0, AT_SYMLINK_NOFOLLOW) <
	    0)
		log_warning("chown `%s`: %s", name, strerror(errno));
	if (!S_ISLNK(st->st_mode) && fchmodat(dfd, name, mode, 0) < 0)
		log_warning("chmod `%s`: %s", name, strerror(errno));
	utimensat(dfd, name, tv, AT_SYMLINK_NOFOLLOW);
}

/* Remove what is at dfd/name unless it is a directory and dir is asked. */
static int make_room(int dfd, const char *name, bool dir, berth_error_t *err)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (S_ISDIR(st.st_mode)) {
		if (dir)
			return 1;
		return berth_error(err, 0, "`%s` is a directory in the image", name);
	}
	if (unlinkat(dfd, name, 0) < 0)
		return berth_error(err, errno, "remove `%s`", name);
	return 0;
}

/* The object open as sfd (O_PATH, stat st) copied to ddir/name; rel its context path, dpath
 * ddir's path in the destination root. */
static int cp_node(struct cp *p, int sfd, const struct stat *st, const char *rel, int ddir,
                   const char *dpath, const char *name)
{
	const struct bfs_copy *c = p->c;
	char fdp[32];

	util_fd_path(sfd, fdp);
	if (S_ISDIR(st->st_mode)) {
		cleanup_close int src = open(fdp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cleanup_close int dst = -1;
		cleanup_free char *sub =
		    xasprintf("%s%s%s", dpath, dpath[strlen(dpath) - 1] == '/' ? "" : "/", name);
		bool followed = false;
		char **names;
		size_t n;
		int r = 0;
		if (src < 0)
			return berth_error(p->err, errno, "open `%s`", rel);
		digest_add(c, rel, st, NULL);
		if (!c->dry) {
			struct stat ds;
			if (fstatat(ddir, name, &ds, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(ds.st_mode)) {
				/* a symlink to a directory in the image (/lib -> usr/lib) is
				 * followed, inside the root */
				berth_error_t e2 = NULL;
				dst = util_open_in_root(c->dstfd, sub, O_RDONLY | O_DIRECTORY, 0,
				                        &e2);
				berth_error_release(&e2);
				followed = dst >= 0;
			}
			if (dst < 0) {
				int room = make_room(ddir, name, true, p->err);
				if (room < 0)
					return -1;
				if (room == 0 && mkdirat(ddir, name, 0755) < 0)
					return berth_error(p->err, errno, "mkdir `%s`", name);
				dst = openat(ddir, name,
				             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (dst < 0)
					return berth_error(p->err, errno, "open `%s`", name);
			}
		}
		if (dir_names(src, &names, &n, p->err) < 0)
			return -1;
		for (size_t i = 0; i < n && r == 0; i++) {
			cleanup_free char *crel =
			    rel[0] ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
			cleanup_close int cfd = -1;
			struct stat cst;
			if (c->ig && bf_ignored(c->ig, crel))
				continue;
			cfd = openat(src, names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0 || fstat(cfd, &cst) < 0) {
				r = berth_error(p->err, errno, "open `%s`", crel);
				break;
			}
			r = cp_node(p, cfd, &cst, crel, dst, sub, names[i]);
		}
		names_free(names, n);
		if (r == 0 && !c->dry && !followed)
			set_meta(c, ddir, name, st);
		return r;
	}
	if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t l = readlinkat(sfd, "", target, sizeof(target) - 1);
		if (l < 0)
			return berth_error(p->err, errno, "readlink `%s`", rel);
		target[l] = '\0';
		digest_add(c, rel, st, target);
		if (c->dry)
			return 0;
		if (make_room(ddir, name, false, p->err) < 0)
			return -1;
		if (symlinkat(target, ddir, name) < 0)
			return berth_error(p->err, errno, "symlink `%s`", name);
		set_meta(c, ddir, name, st);
		return 0;
	}
	if (S_ISREG(st->st_mode)) {
		cleanup_close int src = open(fdp, O_RDONLY | O_CLOEXEC);
		cleanup_close int dst = -1;
		char buf[65536];
		struct sha256 h;
		char hex[65];
		ssize_t k;
		if (src < 0)
			return berth_error(p->err, errno, "open `%s`", rel);
		if (!c->dry) {
			if (make_room(ddir, name, false, p->err) < 0)
				return -1;
			dst = openat(ddir, name,
			             O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (dst < 0)
				return berth_error(p->err, errno, "create `%s`", name);
		}
		sha256_init(&h);
		while ((k = read(src, buf, sizeof(buf))) > 0) {
			sha256_update(&h, buf, (size_t)k);
			if (dst >= 0 && util_write_all(dst, buf, (size_t)k) < 0)
				return berth_error(p->err, errno, "write `%s`", name);
		}
		if (k < 0)
			return berth_error(p->err, errno, "read `%s`", rel);
		sha256_final_hex(&h, hex);
		digest_add(c, rel, st, hex);
		if (!c->dry)
			set_meta(c, ddir, name, st);
		return 0;
	}
	/* FIFOs and device nodes */
	digest_add(c, rel, st, NULL);
	if (c->dry)
		return 0;
	if (make_room(ddir, name, false, p->err) < 0)
		return -1;
	if (mknodat(ddir, name, st->st_mode, st->st_rdev) < 0)
		return berth_error(p->err, errno, "mknod `%s`", name);
	set_meta(c, ddir, name, st);
	return 0;
}

/* Whether the regular file fd is a tar archive (maybe compressed) libarchive reads. */
static bool is_tar(int fd)
{
	struct archive *a = dlib_archive()->archive_read_new();
	struct archive_entry *en;
	bool yes;

	dlib_archive()->archive_read_support_filter_all(a);
	dlib_archive()->archive_read_support_format_tar(a);
	dlib_archive()->archive_read_support_format_gnutar(a);
	yes = dlib_archive()->archive_read_open_fd(a, fd, 65536) == ARCHIVE_OK &&
	      dlib_archive()->archive_read_next_header(a, &en) == ARCHIVE_OK;
	dlib_archive()->archive_read_free(a);
	lseek(fd, 0, SEEK_SET);
	return yes;
}

/* A directory fd (O_RDONLY) of dest inside the destination root, made when missing. */
static int dest_dir(const struct bfs_copy *c, const char *dir, berth_error_t *err)
{
	cleanup_close int pfd = util_mkdir_in_root(c->dstfd, dir, 0755, err);
	char fdp[32];
	int fd;

	if (pfd < 0)
		return berth_error_prefix(err, "%s: destination `%s`", c->what, dir);
	util_fd_path(pfd, fdp);
	fd = open(fdp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth_error(err, errno, "%s: destination `%s`", c->what, dir);
	return fd;
}

int bfs_copy(const struct bfs_copy *c, berth_error_t *err)
{
	char **paths = NULL;
	size_t np = 0;
	bool to_dir;
	struct cp p = {.c = c, .err = err};
	int r = -1;
	size_t dl = strlen(c->dest);

	for (size_t i = 0; i < c->n_src; i++) {
		cleanup_free char *clean = clean_inside(c->src[i]);
		size_t before = np;
		if (clean == NULL) {
			berth_error(err, 0, "%s: `%s`: outside the build context", c->what,
			            c->src[i]);
			goto out;
		}
		if (has_glob(clean)) {
			glob_walk(c->srcfd, "", clean, c->ig, &paths, &np);
			if (np == before) {
				berth_error(err, 0, "%s: `%s`: no file matches", c->what,
				            c->src[i]);
				goto out;
			}
			continue;
		}
		if (c->ig && clean[0] && bf_ignored(c->ig, clean)) {
			berth_error(err, 0, "%s: `%s`: excluded by .dockerignore", c->what,
			            c->src[i]);
			goto out;
		}
		paths = xrealloc(paths, (np + 1) * sizeof(char *));
		paths[np++] = xstrdup(clean);
	}
	to_dir = np > 1 || (dl && c->dest[dl - 1] == '/');
	if (np > 1 && !(dl && c->dest[dl - 1] == '/')) {
		berth_error(err, 0,
		            "%s: with more than one source the destination must end with `/`",
		            c->what);
		goto out;
	}
	if (!to_dir && !c->dry) {
		/* an existing directory is copied into */
		berth_error_t e2 = NULL;
		cleanup_close int fd = util_open_in_root(c->dstfd, c->dest, O_PATH, 0, &e2);
		struct stat st;
		berth_error_release(&e2);
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
			to_dir = true;
	}
	for (size_t i = 0; i < np; i++) {
		cleanup_close int sfd = -1;
		cleanup_close int ddir = -1;
		cleanup_free char *base = NULL;
		cleanup_free char *parent = NULL;
		const char *name;
		struct stat st;
		berth_error_t e2 = NULL;
		sfd = util_open_in_root(c->srcfd, paths[i][0] ? paths[i] : ".", O_PATH, 0, &e2);
		if (sfd < 0) {
			berth_error(err, 0, "%s: `%s`: %s", c->what, paths[i],
			            e2 && e2->status == ENOENT ? "no such file or directory"
			            : e2                       ? e2->msg
			                                       : "cannot open");
			berth_error_release(&e2);
			goto out;
		}
		if (fstat(sfd, &st) < 0) {
			berth_error(err, errno, "%s: `%s`", c->what, paths[i]);
			goto out;
		}
		base = xstrdup(strrchr(paths[i], '/') ? strrchr(paths[i], '/') + 1 : paths[i]);
		if (c->add && S_ISREG(st.st_mode)) {
			char fdp[32];
			cleanup_close int rfd = -1;
			util_fd_path(sfd, fdp);
			rfd = open(fdp, O_RDONLY | O_CLOEXEC);
			if (rfd >= 0 && is_tar(rfd)) {
				/* ADD: a local archive is unpacked into the destination directory
				 */
				char buf[65536], hex[65];
				struct sha256 h;
				ssize_t k;
				cleanup_close int dd = -1;
				char dp[32];
				if (c->digest) {
					sha256_init(&h);
					while ((k = read(rfd, buf, sizeof(buf))) > 0)
						sha256_update(&h, buf, (size_t)k);
					sha256_final_hex(&h, hex);
					digest_add(c, paths[i], &st, hex);
					lseek(rfd, 0, SEEK_SET);
				}
				if (c->dry)
					continue;
				dd = dest_dir(c, c->dest, err);
				if (dd < 0)
					goto out;
				util_fd_path(dd, dp);
				if (layer_unpack(rfd, paths[i], dp, NULL, err) < 0) {
					berth_error_prefix(err, "%s", c->what);
					goto out;
				}
				continue;
			}
		}
		if (S_ISDIR(st.st_mode)) {
			/* a directory's contents, not the directory */
			if (!c->dry) {
				ddir = dest_dir(c, c->dest, err);
				if (ddir < 0)
					goto out;
			}
			{
				cleanup_close int src = -1;
				char fdp[32];
				char **names;
				size_t n;
				int rr = 0;
				util_fd_path(sfd, fdp);
				src = open(fdp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
				if (src < 0 || dir_names(src, &names, &n, err) < 0) {
					if (src < 0)
						berth_error(err, errno, "%s: `%s`", c->what,
						            paths[i]);
					goto out;
				}
				digest_add(c, paths[i], &st, NULL);
				for (size_t j = 0; j < n && rr == 0; j++) {
					cleanup_free char *crel =
					    paths[i][0] ? xasprintf("%s/%s", paths[i], names[j])
					                : xstrdup(names[j]);
					cleanup_close int cfd = -1;
					struct stat cst;
					if (c->ig && bf_ignored(c->ig, crel))
						continue;
					cfd =
					    openat(src, names[j], O_PATH | O_NOFOLLOW | O_CLOEXEC);
					if (cfd < 0 || fstat(cfd, &cst) < 0) {
						rr = berth_error(err, errno, "%s: `%s`", c->what,
						                 crel);
						break;
					}
					rr = cp_node(&p, cfd, &cst, crel, ddir, c->dest, names[j]);
				}
				names_free(names, n);
				if (rr < 0) {
					berth_error_prefix(err, "%s", c->what);
					goto out;
				}
			}
			continue;
		}
		if (to_dir) {
			parent = xstrdup(c->dest);
			name = base;
		} else {
			char *s;
			parent = xstrdup(c->dest);
			s = strrchr(parent, '/');
			name = s ? c->dest + (s - parent) + 1 : c->dest;
			if (s)
				s[s == parent ? 1 : 0] = '\0';
		}
		if (!c->dry) {
			ddir = dest_dir(c, parent, err);
			if (ddir < 0)
				goto out;
		}
		if (cp_node(&p, sfd, &st, paths[i], ddir, parent, name) < 0) {
			berth_error_prefix(err, "%s", c->what);
			goto out;
		}
	}
	r = 0;
out:
	names_free(paths, np);
	return r;
}

/* ---- ADD of a URL ------------------------------------------------------------------------------
 */
static size_t fetch_write(char *data, size_t size, size_t nm, void *arg)
{
	return util_write_all(*(int *)arg, data, size * nm) < 0 ? 0 : size * nm;
}

int bfs_child(int (*fn)(void *arg, berth_error_t *err), void *arg, berth_error_t *err)
{
	int p[2];
	pid_t pid;
	char msg[1024];
	ssize_t n;
	int st;

	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error(err, errno, "pipe");
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return berth_error(err, errno, "fork");
	}
	if (pid == 0) {
		berth_error_t e2 = NULL;
		close(p[0]);
		if (fn(arg, &e2) < 0) {
			const char *m = e2 && e2->msg ? e2->msg : "failed";
			util_write_all(p[1], m, strlen(m));
			_exit(1);
		}
		fflush(stdout);
		_exit(0);
	}
	close(p[1]);
	n = util_read_all(p[0], msg, sizeof(msg) - 1);
	close(p[0]);
	msg[n > 0 ? n : 0] = '\0';
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return berth_error(err, 0, "%s", msg[0] ? msg : "failed");
	return 0;
}

struct fetch {
	const char *url, *file;
};

static int fetch_child(void *arg, berth_error_t *err)
{
	struct fetch *f = arg;
	int fd = open(f->file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CURL *c;
	CURLcode r;
	long code = 0;

	if (fd < 0)
		return berth_error(err, errno, "create `%s`", f->file);
	if (dlib_curl_load(err) < 0)
		return -1;
	c = dl_curl.curl_easy_init();
	dl_curl.curl_easy_setopt(c, CURLOPT_URL, f->url);
	dl_curl.curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	dl_curl.curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	dl_curl.curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	dl_curl.curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	dl_curl.curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	dl_curl.curl_easy_setopt(c, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
	dl_curl.curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	dl_curl.curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	dl_curl.curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	dl_curl.curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write);
	dl_curl.curl_easy_setopt(c, CURLOPT_WRITEDATA, &fd);
	r = dl_curl.curl_easy_perform(c);
	dl_curl.curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (r != CURLE_OK)
		return berth_error(err, 0, "%s", dl_curl.curl_easy_strerror(r));
	if (code >= 400)
		return berth_error(err, 0, "HTTP status %ld", code);
	return 0;
}

int bfs_fetch(const char *what, const char *url, const char *file, berth_error_t *err)
{
	struct fetch f = {.url = url, .file = file};

	if (bfs_child(fetch_child, &f, err) < 0)
		return berth_error_prefix(err, "%s: `%s`", what, url);
	return 0;
}

/* ---- what a killed build left -------------------------------------------------------------- */
void bfs_mark_owner(const char *tmp)
{
	cleanup_free char *p = xasprintf("%s/owner", tmp);
	char text[64];
	berth_error_t e2 = NULL;

	snprintf(text, sizeof(text), "%d %llu\n", (int)getpid(), ctr_self_start_time());
	if (util_write_file_atomic(p, text, strlen(text), 0600, &e2) < 0)
		log_warning("%s", e2->msg);
	berth_error_release(&e2);
}

/* A build directory whose owner is gone: 1; its owner lives (or it is too young to say): 0. */
static int stale_build(const char *dir)
{
	cleanup_free char *p = xasprintf("%s/owner", dir);
	cleanup_free char *text = NULL;
	size_t len;
	berth_error_t e2 = NULL;
	int pid = 0;
	unsigned long long start = 0;
	struct stat st;

	if (util_read_file(p, &text, &len, &e2) < 0) {
		berth_error_release(&e2);
		/* made a moment ago, its owner file not written yet */
		return stat(dir, &st) == 0 && st.st_mtime + 60 < time(NULL);
	}
	if (sscanf(text, "%d %llu", &pid, &start) != 2 || pid <= 0)
		return 1;
	return !ctr_pid_alive(pid, start, NULL);
}

void bfs_sweep(struct engine *e)
{
	cleanup_free char *tmp = engine_path(e, "tmp");
	DIR *d = opendir(tmp);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL) {
		cleanup_free char *dir = NULL;
		cleanup_free char *prefix = NULL;
		struct mountinfo mi = {0};
		berth_error_t e2 = NULL;
		json_t *all = NULL, *r;
		size_t i;
		if (strncmp(de->d_name, "build-", 6) != 0)
			continue;
		dir = xasprintf("%s/%s", tmp, de->d_name);
		if (!stale_build(dir))
			continue;
		/* its RUN containers (named after it), its overlays, its directory */
		prefix = xasprintf("%s-", de->d_name);
		if (ctr_list(e, &all, &e2) == 0)
			json_array_foreach(all, i, r)
			{
				const char *name =
				    json_string_value(json_object_get(r, "name")) ?: "";
				const char *id = json_string_value(json_object_get(r, "id")) ?: "";
				if (strncmp(name, prefix, strlen(prefix)) == 0 &&
				    ctr_remove(e, id, true, &e2) < 0)
					log_warning("%s", e2->msg);
				berth_error_release(&e2);
			}
		json_decref(all);
		berth_error_release(&e2);
		if (mountinfo_load("/proc/self/mountinfo", &mi, &e2) == 0)
			for (size_t k = mi.n; k-- > 0;)
				if (strncmp(mi.v[k].point, dir, strlen(dir)) == 0 &&
				    mi.v[k].point[strlen(dir)] == '/')
					umount2(mi.v[k].point, MNT_DETACH);
		mountinfo_release(&mi);
		berth_error_release(&e2);
		util_rm_rf(dir, &e2);
		berth_error_release(&e2);
	}
	if (d)
		closedir(d);
}

/* ---- the cache ------------------------------------------------------------------------------- */
json_t *bfs_cache_load(struct engine *e, const char *name)
{
	cleanup_free char *p = engine_path(e, "build-cache/%s.json", name);
	berth_error_t e2 = NULL;
	json_t *j = image_json_load(p, &e2);

	berth_error_release(&e2);
	return j;
}

void bfs_cache_store(struct engine *e, const char *name, const json_t *j)
{
	cleanup_free char *dir = engine_path(e, "build-cache");
	cleanup_free char *p = engine_path(e, "build-cache/%s.json", name);
	cleanup_free char *text = json_dumps(j, JSON_COMPACT);
	berth_error_t e2 = NULL;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		log_warning("mkdir `%s`: %s", dir, strerror(errno));
	else if (util_write_file_atomic(p, text, strlen(text), 0600, &e2) < 0)
		log_warning("%s", e2->msg);
	berth_error_release(&e2);
}

int bfs_cache_get(struct engine *e, const char *key, char diff[65], bool *has_layer)
{
	json_t *j = bfs_cache_load(e, key);
	const char *d;
	int r = -1;

	if (j == NULL)
		return -1;
	d = json_string_value(json_object_get(j, "diff"));
	*has_layer = d != NULL;
	if (d == NULL) {
		r = 0;
	} else if (strlen(d) == 64) {
		cleanup_free char *l = image_layer_dir(e, d);
		cleanup_free char *b = engine_path(e, "images/blobs/sha256/%s", d);
		if (access(l, F_OK) == 0 && access(b, F_OK) == 0) {
			memcpy(diff, d, 65);
			r = 0;
		}
	}
	json_decref(j);
	return r;
}

void bfs_cache_put(struct engine *e, const char *key, const char *diff)
{
	json_t *j = json_pack("{s:s?}", "diff", diff);

	bfs_cache_store(e, key, j);
	json_decref(j);
}

/* image.c's garbage collection keeps what the cache names. */
void build_cache_mark(struct engine *e, json_t *keep)
{
	cleanup_free char *dir = engine_path(e, "build-cache");
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL) {
		cleanup_free char *p = NULL;
		berth_error_t e2 = NULL;
		json_t *j;
		const char *diff;
		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		j = image_json_load(p, &e2);
		berth_error_release(&e2);
		diff = json_string_value(json_object_get(j, "diff"));
		if (diff)
			json_object_set_new(keep, diff, json_true());
		json_decref(j);
	}
	if (d)
		closedir(d);
}

int build_cache_prune(struct engine *e, size_t *n, berth_error_t *err)
{
	cleanup_free char *dir = engine_path(e, "build-cache");
	DIR *d;
	struct dirent *de;

	*n = 0;
	bfs_sweep(e);
	if (engine_lock(e, err) < 0)
		return -1;
	d = opendir(dir);
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			(*n)++;
	}
	if (d)
		closedir(d);
	image_gc_unused(e);
	engine_unlock(e);
	return 0;
}
