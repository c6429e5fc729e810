/* SPDX-License-Identifier: MIT */
/* Unpacking layers: libarchive reads the (gzip, zstd or plain) tar; every entry is created
 * with *at() calls relative to a parent directory resolved inside the layer directory
 * (util_mkdir_in_root: openat2 RESOLVE_IN_ROOT), so neither `..`, nor an absolute path, nor
 * a symlink or hard link met on the way can make it write outside. */
#include "engine.h"
#include "dlib.h"
#include "log.h"
#include "sha256.h"
#include "rootless.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define UNPACK_BLOCK (64 * 1024)

struct unpack_src {
	int fd;
	struct progress *pr;
	char buf[UNPACK_BLOCK];
};

static la_ssize_t unpack_read(struct archive *a, void *data, const void **buf)
{
	struct unpack_src *s = data;
	ssize_t n;

	do
		n = read(s->fd, s->buf, sizeof(s->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		dlib_archive()->archive_set_error(a, errno, "read");
		return -1;
	}
	if (s->pr)
		progress_add(s->pr, (uint64_t)n);
	*buf = s->buf;
	return n;
}

static void archive_freep(struct archive **a)
{
	if (*a)
		dlib_archive()->archive_read_free(*a);
}
#define cleanup_archive __attribute__((cleanup(archive_freep)))

static struct archive *unpack_open(struct unpack_src *s, bool raw, const char *what,
                                   berth_error_t *err)
{
	struct archive *a = dlib_archive()->archive_read_new();

	if (lseek(s->fd, 0, SEEK_SET) < 0) {
		dlib_archive()->archive_read_free(a);
		berth_error(err, errno, "%s: seek", what);
		return NULL;
	}
	dlib_archive()->archive_read_support_filter_gzip(a);
	dlib_archive()->archive_read_support_filter_zstd(a);
	dlib_archive()->archive_read_support_filter_xz(a);
	dlib_archive()->archive_read_support_filter_bzip2(a);
	if (raw) {
		dlib_archive()->archive_read_support_format_raw(a);
	} else {
		dlib_archive()->archive_read_support_format_tar(a);
		dlib_archive()->archive_read_support_format_gnutar(a);
	}
	if (dlib_archive()->archive_read_open(a, s, NULL, unpack_read, NULL) != ARCHIVE_OK) {
		berth_error(err, 0, "%s: %s", what, dlib_archive()->archive_error_string(a));
		dlib_archive()->archive_read_free(a);
		return NULL;
	}
	return a;
}

int layer_diff_id(int fd, const char *what, char hex[65], struct progress *pr, berth_error_t *err)
{
	cleanup_free struct unpack_src *s = xmalloc0(sizeof(*s));
	cleanup_archive struct archive *a = NULL;
	struct archive_entry *en;
	struct sha256 h;
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	s->fd = fd;
	s->pr = pr;
	a = unpack_open(s, true, what, err);
	if (a == NULL)
		return -1;
	if (dlib_archive()->archive_read_next_header(a, &en) != ARCHIVE_OK)
		return berth_error(err, 0, "%s: %s", what, dlib_archive()->archive_error_string(a));
	sha256_init(&h);
	while ((r = dlib_archive()->archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK)
		sha256_update(&h, buf, len);
	if (r != ARCHIVE_EOF)
		return berth_error(err, 0, "%s: %s", what,
		                   dlib_archive()->archive_error_string(a)
		                       ? dlib_archive()->archive_error_string(a)
		                       : "read error");
	sha256_final_hex(&h, hex);
	return 0;
}

/* "./a//b/" -> "a/b"; NULL when a component is "..". An empty result means the top. */
static char *unpack_clean(const char *name)
{
	char *out = xmalloc0(strlen(name) + 1);
	size_t o = 0;
	const char *p = name;

	while (*p) {
		const char *q;
		size_t n;
		while (*p == '/')
			p++;
		q = strchrnul(p, '/');
		n = (size_t)(q - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			free(out);
			return NULL;
		}
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p = q;
	}
	out[o] = '\0';
	return out;
}

struct unpack_ctx {
	int rootfd;
	const char *what;
	char *parent; /* cached parent directory and its O_PATH fd */
	int parent_fd;
};

static void unpack_forget_parent(struct unpack_ctx *c)
{
	free(c->parent);
	c->parent = NULL;
	if (c->parent_fd >= 0)
		close(c->parent_fd);
	c->parent_fd = -1;
}

static int unpack_parent(struct unpack_ctx *c, const char *dir, berth_error_t *err)
{
	if (c->parent && strcmp(c->parent, dir) == 0)
		return c->parent_fd;
	unpack_forget_parent(c);
	if (dir[0] == '\0')
		c->parent_fd = dup(c->rootfd);
	else
		c->parent_fd = util_mkdir_in_root(c->rootfd, dir, 0755, err);
	if (c->parent_fd < 0)
		return -1;
	c->parent = xstrdup(dir);
	return c->parent_fd;
}

/* Remove what is at dirfd/name unless it is a directory and keep_dir. */
static int unpack_clear(int dirfd, const char *name, bool keep_dir)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode)) {
		if (keep_dir)
			return 1;
		char p[32];
		cleanup_close int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW);
		cleanup_free char *path = NULL;
		berth_error_t e = NULL;
		int r;
		if (fd < 0)
			return -1;
		util_fd_path(fd, p);
		path = realpath(p, NULL);
		if (path == NULL)
			return -1;
		r = util_rm_rf(path, &e);
		berth_error_release(&e);
		return r;
	}
	return unlinkat(dirfd, name, 0);
}

static int unpack_data(struct archive *a, int fd, int64_t size)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	while ((r = dlib_archive()->archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		const char *p = buf;
		while (len > 0) {
			ssize_t w = pwrite(fd, p, len, off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			p += w, len -= (size_t)w, off += w;
		}
	}
	if (r != ARCHIVE_EOF) {
		errno = EIO;
		return -2;
	}
	return ftruncate(fd, size);
}

/* Extended attributes of a file or directory (file capabilities, ACLs). trusted.* ones are
 * never taken from an image: trusted.overlay.* would steer overlayfs. */
static void unpack_xattrs(struct archive_entry *en, int fd)
{
	const char *name;
	const void *value;
	size_t size;

	dlib_archive()->archive_entry_xattr_reset(en);
	while (dlib_archive()->archive_entry_xattr_next(en, &name, &value, &size) == ARCHIVE_OK) {
		if (strncmp(name, "trusted.", 8) == 0)
			continue;
		if (fsetxattr(fd, name, value, size, 0) < 0)
			log_debug("xattr %s: %s", name, strerror(errno));
	}
}

static int unpack_entry(struct unpack_ctx *c, struct archive *a, struct archive_entry *en,
                        berth_error_t *err)
{
	const char *raw = dlib_archive()->archive_entry_pathname(en);
	cleanup_free char *path = NULL;
	cleanup_free char *dir = NULL;
	const char *base;
	mode_t type = dlib_archive()->archive_entry_filetype(en);
	mode_t mode = dlib_archive()->archive_entry_perm(en);
	uid_t uid = (uid_t)dlib_archive()->archive_entry_uid(en);
	gid_t gid = (gid_t)dlib_archive()->archive_entry_gid(en);
	const char *hard = dlib_archive()->archive_entry_hardlink(en);
	int pfd;

	if (raw == NULL)
		return berth_error(err, 0, "%s: an entry without a name", c->what);
	path = unpack_clean(raw);
	if (path == NULL)
		return berth_error(err, 0, "%s: entry `%s`: path leaves the layer (`..`)", c->what,
		                   raw);
	if (path[0] == '\0')
		return 0; /* the top directory itself */
	{
		char *slash = strrchr(path, '/');
		dir = slash ? strndup(path, (size_t)(slash - path)) : xstrdup("");
		base = slash ? slash + 1 : path;
	}
	if (type == AE_IFDIR || type == AE_IFLNK || strncmp(base, ".wh.", 4) == 0)
		unpack_forget_parent(c);
	pfd = unpack_parent(c, dir, err);
	if (pfd < 0)
		return berth_error_prefix(err, "%s: entry `%s`", c->what, raw);

	if (strncmp(base, ".wh.", 4) == 0) {
		char p[32];
		if (strcmp(base, ".wh..wh..opq") == 0) {
			util_fd_path(pfd, p);
			if (setxattr(p,
			             rootless_active() ? "user.overlay.opaque"
			                               : "trusted.overlay.opaque",
			             "y", 1, 0) < 0)
				return berth_error(err, errno, "%s: entry `%s`: set opaque",
				                   c->what, raw);
			return 0;
		}
		/* `.wh..` and `.wh...` would remove the directory itself or its parent */
		if (base[4] == '\0' || strcmp(base + 4, ".") == 0 || strcmp(base + 4, "..") == 0)
			return berth_error(err, 0, "%s: entry `%s`: cannot white out `%s`", c->what,
			                   raw, base + 4);
		if (unpack_clear(pfd, base + 4, false) < 0 ||
		    mknodat(pfd, base + 4, S_IFCHR | 0, makedev(0, 0)) < 0)
			return berth_error(err, errno, "%s: entry `%s`: whiteout", c->what, raw);
		return 0;
	}

	if (hard) {
		cleanup_free char *t = unpack_clean(hard);
		cleanup_close int tfd = -1;
		if (t == NULL || t[0] == '\0')
			return berth_error(err, 0,
			                   "%s: entry `%s`: link target `%s` leaves the layer",
			                   c->what, raw, hard);
		tfd = util_open_in_root(c->rootfd, t, O_PATH | O_NOFOLLOW, 0, err);
		if (tfd < 0)
			return berth_error_prefix(err, "%s: entry `%s`: hard link", c->what, raw);
		if (unpack_clear(pfd, base, false) < 0 ||
		    linkat(tfd, "", pfd, base, AT_EMPTY_PATH) < 0)
			return berth_error(err, errno, "%s: entry `%s`: link", c->what, raw);
		return 0;
	}

	switch (type) {
	case AE_IFDIR: {
		cleanup_close int fd = -1;
		if (unpack_clear(pfd, base, true) == 0 && mkdirat(pfd, base, 0700) < 0)
			return berth_error(err, errno, "%s: entry `%s`: mkdir", c->what, raw);
		fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0)
			return berth_error(err, errno, "%s: entry `%s`: directory", c->what, raw);
		unpack_xattrs(en, fd);
		return 0;
	}
	case AE_IFREG: {
		cleanup_close int fd = -1;
		struct timespec ts[2] = {{.tv_sec = dlib_archive()->archive_entry_mtime(en)},
		                         {.tv_sec = dlib_archive()->archive_entry_mtime(en)}};
		int r;
		if (unpack_clear(pfd, base, false) < 0)
			return berth_error(err, errno, "%s: entry `%s`: replace", c->what, raw);
		fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return berth_error(err, errno, "%s: entry `%s`: create", c->what, raw);
		r = unpack_data(a, fd, dlib_archive()->archive_entry_size(en));
		if (r == -2)
			return berth_error(err, 0, "%s: entry `%s`: %s", c->what, raw,
			                   dlib_archive()->archive_error_string(a)
			                       ? dlib_archive()->archive_error_string(a)
			                       : "truncated");
		if (r < 0 || fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0 ||
		    futimens(fd, ts) < 0)
			return berth_error(err, errno, "%s: entry `%s`: write", c->what, raw);
		/* after chown, which drops security.capability */
		unpack_xattrs(en, fd);
		return 0;
	}
	case AE_IFLNK: {
		const char *target = dlib_archive()->archive_entry_symlink(en);
		if (target == NULL)
			return berth_error(err, 0, "%s: entry `%s`: symlink without target",
			                   c->what, raw);
		if (unpack_clear(pfd, base, false) < 0 || symlinkat(target, pfd, base) < 0 ||
		    fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_error(err, errno, "%s: entry `%s`: symlink", c->what, raw);
		return 0;
	}
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		if (unpack_clear(pfd, base, false) < 0 ||
		    mknodat(pfd, base, type | mode, dlib_archive()->archive_entry_rdev(en)) < 0 ||
		    fchownat(pfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			return berth_error(err, errno, "%s: entry `%s`: mknod", c->what, raw);
		return 0;
	default:
		log_debug("%s: entry `%s`: type %o skipped", c->what, raw, type);
		return 0;
	}
}

/* The uncompressed stream of an outer (raw) archive, hashed as the tar reader takes it. */
struct unpack_hashed {
	struct archive *outer;
	struct sha256 h;
	const char *what;
};

static la_ssize_t unpack_read_hashed(struct archive *a, void *data, const void **buf)
{
	struct unpack_hashed *u = data;
	size_t len;
	la_int64_t off;
	int r = dlib_archive()->archive_read_data_block(u->outer, buf, &len, &off);

	if (r == ARCHIVE_EOF)
		return 0;
	if (r != ARCHIVE_OK) {
		dlib_archive()->archive_set_error(
		    a, EIO, "%s", dlib_archive()->archive_error_string(u->outer) ?: "read error");
		return -1;
	}
	sha256_update(&u->h, *buf, len);
	return (la_ssize_t)len;
}

static int layer_unpack_from(struct archive *a, const char *what, const char *dest,
                             berth_error_t *err)
{
	cleanup_close int rootfd = -1;
	struct unpack_ctx c = {.what = what, .parent_fd = -1};
	struct archive_entry *en;
	mode_t old;
	int r = 0;

	rootfd = open(dest, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berth_error(err, errno, "open `%s`", dest);
	c.rootfd = rootfd;
	old = umask(0);
	for (;;) {
		int h = dlib_archive()->archive_read_next_header(a, &en);
		if (h == ARCHIVE_EOF)
			break;
		if (h != ARCHIVE_OK && h != ARCHIVE_WARN) {
			r = berth_error(err, 0, "%s: %s", what,
			                dlib_archive()->archive_error_string(a));
			break;
		}
		if (unpack_entry(&c, a, en, err) < 0) {
			r = -1;
			break;
		}
	}
	unpack_forget_parent(&c);
	umask(old);
	return r;
}

int layer_unpack(int fd, const char *what, const char *dest, struct progress *pr,
                 berth_error_t *err)
{
	cleanup_free struct unpack_src *s = xmalloc0(sizeof(*s));
	cleanup_archive struct archive *a = NULL;

	s->fd = fd;
	s->pr = pr;
	a = unpack_open(s, false, what, err);
	if (a == NULL)
		return -1;
	return layer_unpack_from(a, what, dest, err);
}

int layer_unpack_digest(int fd, const char *what, const char *dest, char hex[65],
                        struct progress *pr, berth_error_t *err)
{
	cleanup_free struct unpack_src *s = xmalloc0(sizeof(*s));
	cleanup_archive struct archive *outer = NULL;
	cleanup_archive struct archive *a = NULL;
	struct unpack_hashed u = {.what = what};
	struct archive_entry *en;
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	s->fd = fd;
	s->pr = pr;
	outer = unpack_open(s, true, what, err);
	if (outer == NULL)
		return -1;
	if (dlib_archive()->archive_read_next_header(outer, &en) != ARCHIVE_OK)
		return berth_error(err, 0, "%s: %s", what,
		                   dlib_archive()->archive_error_string(outer));
	u.outer = outer;
	sha256_init(&u.h);
	a = dlib_archive()->archive_read_new();
	dlib_archive()->archive_read_support_format_tar(a);
	dlib_archive()->archive_read_support_format_gnutar(a);
	if (dlib_archive()->archive_read_open(a, &u, NULL, unpack_read_hashed, NULL) != ARCHIVE_OK)
		return berth_error(err, 0, "%s: %s", what, dlib_archive()->archive_error_string(a));
	if (layer_unpack_from(a, what, dest, err) < 0)
		return -1;
	/* what the tar reader did not need (the end blocks, padding) is in the diff id too */
	while ((r = dlib_archive()->archive_read_data_block(outer, &buf, &len, &off)) == ARCHIVE_OK)
		sha256_update(&u.h, buf, len);
	if (r != ARCHIVE_EOF)
		return berth_error(err, 0, "%s: %s", what,
		                   dlib_archive()->archive_error_string(outer) ?: "read error");
	sha256_final_hex(&u.h, hex);
	return 0;
}
