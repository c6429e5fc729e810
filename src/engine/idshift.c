/* SPDX-License-Identifier: MIT */
/* --userns=keep-id's image layers (docs/rootless.md): a copy of a layer whose owners are
 * shifted for keep-id's map, as Podman makes one ("storage chown") for a container whose user
 * namespace differs from its store's.
 *
 * A rootless layer is unpacked in the user's namespace, so the image's uid N is the
 * namespace's uid N on disk. keep-id's container maps its uid U to the namespace's 0, its
 * 0…U-1 to 1…U and U+1… to themselves (rootless_keep_map), so an unshifted layer would show
 * the image's root-owned files as U's. The copy gives each file the namespace id that the
 * container sees as the image's: N < U becomes N + 1, N = U becomes 0, N > U stays. Regular
 * files are copied (copy_file_range), hard links within the layer stay links, and
 * whiteouts, fifos, symlinks, modes, times and xattrs (user.overlay.opaque) are kept. The
 * copy sits next to its layer as layers/HEX.keepid-U-G and is removed with it (image_gc). */
#include "idshift.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

struct idshift_link {
	dev_t dev;
	ino_t ino;
	char *dst; /* the first copy's path */
};

struct idshift_ctx {
	uint32_t uid, gid;
	struct idshift_link *links;
	size_t nlinks, cap;
	berth_error_t *err;
};

uint32_t idshift_keep_id(uint32_t id, uint32_t own)
{
	if (id < own)
		return id + 1;
	return id == own ? 0 : id;
}

static int idshift_xattrs(struct idshift_ctx *c, const char *src, const char *dst)
{
	char names[4096], val[4096];
	ssize_t n = llistxattr(src, names, sizeof(names));

	for (ssize_t k = 0; k < n; k += (ssize_t)strlen(names + k) + 1) {
		ssize_t v = lgetxattr(src, names + k, val, sizeof(val));
		if (v < 0)
			continue;
		/* overlay's own (an opaque directory) must be kept; others are best effort */
		if (lsetxattr(dst, names + k, val, (size_t)v, 0) < 0 &&
		    strncmp(names + k, "user.overlay.", 13) == 0)
			return berth_error(c->err, errno, "set %s on `%s`", names + k, dst);
	}
	return 0;
}

static int idshift_file(struct idshift_ctx *c, const char *src, const char *dst,
                        const struct stat *st)
{
	cleanup_close int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int out = -1;

	if (in < 0)
		return berth_error(c->err, errno, "open `%s`", src);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return berth_error(c->err, errno, "create `%s`", dst);
	for (off_t left = st->st_size; left > 0;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return berth_error(c->err, n < 0 ? errno : EIO, "copy `%s`", src);
		left -= n;
	}
	return 0;
}

static int idshift_tree(struct idshift_ctx *c, const char *src, const char *dst);

static int idshift_entry(struct idshift_ctx *c, const char *src, const char *dst)
{
	struct stat st;
	struct timespec ts[2];

	if (lstat(src, &st) < 0)
		return berth_error(c->err, errno, "stat `%s`", src);
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
		for (size_t i = 0; i < c->nlinks; i++)
			if (c->links[i].dev == st.st_dev && c->links[i].ino == st.st_ino) {
				if (link(c->links[i].dst, dst) < 0)
					return berth_error(c->err, errno, "link `%s`", dst);
				return 0;
			}
		if (c->nlinks == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 64;
			c->links = xrealloc(c->links, c->cap * sizeof(*c->links));
		}
		c->links[c->nlinks++] =
		    (struct idshift_link){.dev = st.st_dev, .ino = st.st_ino, .dst = xstrdup(dst)};
	}
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		if (mkdir(dst, 0700) < 0)
			return berth_error(c->err, errno, "mkdir `%s`", dst);
		if (idshift_tree(c, src, dst) < 0)
			return -1;
		break;
	case S_IFREG:
		if (idshift_file(c, src, dst, &st) < 0)
			return -1;
		break;
	case S_IFLNK: {
		char target[PATH_MAX];
		ssize_t n = readlink(src, target, sizeof(target) - 1);
		if (n < 0)
			return berth_error(c->err, errno, "readlink `%s`", src);
		target[n] = '\0';
		if (symlink(target, dst) < 0)
			return berth_error(c->err, errno, "symlink `%s`", dst);
		break;
	}
	default: /* whiteouts (0/0 character devices), fifos, sockets */
		if (mknod(dst, st.st_mode, st.st_rdev) < 0)
			return berth_error(c->err, errno, "mknod `%s`", dst);
		break;
	}
	if (lchown(dst, idshift_keep_id(st.st_uid, c->uid), idshift_keep_id(st.st_gid, c->gid)) < 0)
		return berth_error(c->err, errno, "chown `%s`", dst);
	if (S_ISLNK(st.st_mode))
		return 0;
	/* after chown, which clears set-id bits */
	if (chmod(dst, st.st_mode & 07777) < 0)
		return berth_error(c->err, errno, "chmod `%s`", dst);
	if (idshift_xattrs(c, src, dst) < 0)
		return -1;
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	(void)utimensat(AT_FDCWD, dst, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int idshift_tree(struct idshift_ctx *c, const char *src, const char *dst)
{
	DIR *d = opendir(src);
	struct dirent *de;
	int r = 0;

	if (d == NULL)
		return berth_error(c->err, errno, "open `%s`", src);
	while (r == 0 && (de = readdir(d)) != NULL) {
		cleanup_free char *s = NULL, *t = NULL;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		s = xasprintf("%s/%s", src, de->d_name);
		t = xasprintf("%s/%s", dst, de->d_name);
		r = idshift_entry(c, s, t);
	}
	closedir(d);
	return r;
}

int idshift_copy(const char *src, const char *dst, uint32_t uid, uint32_t gid, berth_error_t *err)
{
	struct idshift_ctx c = {.uid = uid, .gid = gid, .err = err};
	cleanup_free char *tmp = xasprintf("%s.tmp-%d", dst, (int)getpid());
	berth_error_t e2 = NULL;
	int r;

	if (access(dst, F_OK) == 0)
		return 0;
	(void)util_rm_rf(tmp, &e2);
	berth_error_release(&e2);
	r = idshift_entry(&c, src, tmp);
	for (size_t i = 0; i < c.nlinks; i++)
		free(c.links[i].dst);
	free(c.links);
	if (r == 0 && rename(tmp, dst) < 0)
		r = berth_error(err, errno, "rename `%s`", tmp);
	if (r < 0) {
		(void)util_rm_rf(tmp, &e2);
		berth_error_release(&e2);
	}
	return r;
}
