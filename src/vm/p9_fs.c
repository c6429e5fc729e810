/* SPDX-License-Identifier: MIT */
/* The 9P2000.L server's file-system requests (see p9.c for how fids and paths work): open,
 * create, read, write, readdir, getattr/setattr, mkdir, symlink, mknod, link, readlink,
 * rename/renameat, unlinkat, statfs, fsync, locks and user.* extended attributes. */

#include "p9_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

/* --- extended attributes -------------------------------------------------------------
 * Only the user.* namespace: the guest lists, reads and (on a writable share) sets and
 * removes user.* attributes of the files of the share; security.*, trusted.*, system.* are
 * neither listed nor read (EOPNOTSUPP) nor set (EOPNOTSUPP), so a guest can neither see nor
 * change the host's labels, capabilities or ACLs. The file is the fid's path resolved again
 * inside the share (O_PATH, never following a last symlink) and reached through its /proc
 * link, so a FIFO or device node is never opened. */

static bool xattr_name_user(const char *name)
{
	return strncmp(name, "user.", 5) == 0 && name[5] != '\0';
}

/* The O_PATH fd of the fid's file and its /proc path. */
static int xattr_target(const struct p9_server *s, const char *path, char pp[40])
{
	struct stat st;
	int fd = p9_open_nofollow(s, path, &st);

	if (fd >= 0)
		p9_proc_path(pp, fd);
	return fd;
}

int p9_do_xattrwalk(struct p9_req *r)
{
	uint32_t fidn = in_u32(r->in), newfidn = in_u32(r->in);
	struct p9_fid *f = p9_fid_get(r->s, fidn), *nf;
	char name[XATTR_NAME_MAX + 1], pp[40];
	cleanup_close int fd = -1;
	cleanup_free char *list = NULL;
	struct p9_xattr *x;
	ssize_t n;

	if (!in_str(r->in, name, sizeof(name)))
		return r->in->off <= r->in->len ? ERANGE : EINVAL;
	if (r->in->bad)
		return EINVAL;
	if (f == NULL || f->xattr != NULL || (newfidn != fidn && p9_fid_get(r->s, newfidn) != NULL))
		return EBADF;
	if (newfidn == fidn) /* the fid becomes the attribute: not what a client does */
		return EINVAL;
	if (name[0] != '\0' && !xattr_name_user(name))
		return EOPNOTSUPP;
	fd = xattr_target(r->s, f->path, pp);
	if (fd < 0)
		return errno;
	if (name[0] == '\0') {
		/* the names, user.* only */
		size_t out = 0;
		list = xmalloc0(XATTR_LIST_MAX);
		n = listxattr(pp, list, XATTR_LIST_MAX);
		if (n < 0)
			return errno;
		x = xmalloc0(sizeof(*x) + (size_t)n);
		for (ssize_t i = 0; i < n;) {
			size_t l = strnlen(list + i, (size_t)(n - i));
			if (xattr_name_user(list + i) && (ssize_t)(i + l) < n) {
				memcpy(x->value + out, list + i, l + 1);
				out += l + 1;
			}
			i += (ssize_t)l + 1;
		}
		x->len = out;
	} else {
		uint8_t *v = xmalloc0(XATTR_SIZE_MAX);
		n = getxattr(pp, name, v, XATTR_SIZE_MAX);
		if (n < 0) {
			int e = errno;
			free(v);
			return e;
		}
		x = xmalloc0(sizeof(*x) + (size_t)n);
		memcpy(x->value, v, (size_t)n);
		x->len = (size_t)n;
		free(v);
		snprintf(x->name, sizeof(x->name), "%s", name);
	}
	nf = p9_fid_new(r->s, newfidn, xstrdup(f->path));
	if (nf == NULL) {
		free(x);
		return EMFILE;
	}
	nf->uid = f->uid;
	nf->xattr = x;
	out_u64(r->o, x->len);
	return 0;
}

int p9_do_xattrcreate(struct p9_req *r)
{
	struct p9_fid *f = p9_fid_get(r->s, in_u32(r->in));
	char name[XATTR_NAME_MAX + 1];
	uint64_t size;
	uint32_t flags;
	struct p9_xattr *x;

	if (!in_str(r->in, name, sizeof(name)))
		return r->in->off <= r->in->len ? ERANGE : EINVAL;
	size = in_u64(r->in);
	flags = in_u32(r->in);
	if (r->in->bad)
		return EINVAL;
	if (f == NULL || f->xattr != NULL || f->fd >= 0)
		return EBADF;
	ROFS_CHECK(r->s);
	if (!xattr_name_user(name))
		return EOPNOTSUPP;
	if (size > XATTR_SIZE_MAX)
		return E2BIG;
	if (flags & ~(uint32_t)(XATTR_CREATE | XATTR_REPLACE))
		return EINVAL;
	x = xmalloc0(sizeof(*x) + (size_t)size);
	x->create = true;
	x->len = (size_t)size;
	x->flags = (int)flags;
	snprintf(x->name, sizeof(x->name), "%s", name);
	f->xattr = x; /* the fid is the attribute now, until Tclunk sets it */
	return 0;
}

static int xattr_read(struct p9_req *r, const struct p9_xattr *x, uint64_t off, uint32_t count)
{
	size_t room = r->o->cap - r->o->off - 4;

	if (x->create)
		return EBADF;
	if (off > x->len)
		return EINVAL;
	if (count > x->len - off)
		count = (uint32_t)(x->len - off);
	if (count > room)
		count = (uint32_t)room;
	out_u32(r->o, count);
	uint8_t *d = out_take(r->o, count);
	if (d != NULL)
		memcpy(d, x->value + off, count);
	return 0;
}

/* The value arrives in order (the kernel p9_writes it from offset 0 on); anything past the
 * size Txattrcreate announced is refused. */
static int xattr_write(struct p9_req *r, struct p9_xattr *x, uint64_t off, const uint8_t *data,
                       uint32_t count)
{
	if (!x->create)
		return EBADF;
	if (off != x->written || count > x->len - x->written)
		return EINVAL;
	memcpy(x->value + x->written, data, count);
	x->written += count;
	out_u32(r->o, count);
	return 0;
}

/* Tclunk of a created attribute: set it (size 0: remove it, as QEMU does). */
int p9_xattr_commit(const struct p9_server *s, struct p9_fid *f)
{
	const struct p9_xattr *x = f->xattr;
	char pp[40];
	cleanup_close int fd = -1;

	if (s->ro)
		return EROFS;
	if (x->written != x->len)
		return EINVAL;
	fd = xattr_target(s, f->path, pp);
	if (fd < 0)
		return errno;
	if (x->len == 0 && !(x->flags & XATTR_CREATE)) {
		if (removexattr(pp, x->name) < 0)
			return errno;
		return 0;
	}
	if (setxattr(pp, x->name, x->value, x->len, x->flags) < 0)
		return errno;
	return 0;
}

int p9_do_lopen(struct p9_req *r)
{
	struct p9_fid *f = p9_fid_get(r->s, in_u32(r->in));
	int flags = p9_host_open_flags(in_u32(r->in));
	struct stat st;
	cleanup_close int pfd = -1;
	int fd;

	if (r->in->bad)
		return EINVAL;
	if (f == NULL || f->xattr != NULL)
		return EBADF;
	if (f->fd >= 0)
		return EBUSY;
	if (p9_writes(flags) && r->s->ro)
		return EROFS;
	pfd = p9_openat2(r->s, f->path, O_PATH, 0);
	if (pfd < 0 || fstat(pfd, &st) < 0)
		return errno;
	fd = p9_reopen(pfd, &st, flags);
	if (fd < 0)
		return errno;
	f->fd = fd;
	struct p9_qid q = p9_qid_of(r->s, &st);
	out_qid(r->o, &q);
	out_u32(r->o, 0); /* iounit: msize - 24 */
	return 0;
}

int p9_do_lcreate(struct p9_req *r)
{
	struct p9_fid *f = p9_fid_get(r->s, in_u32(r->in));
	char name[NAME_MAX + 1];
	cleanup_free char *path = NULL;
	cleanup_close int pfd = -1;
	struct stat st;
	uint32_t pflags, mode, gid;
	int flags, fd;

	in_str(r->in, name, sizeof(name));
	pflags = in_u32(r->in);
	mode = in_u32(r->in);
	gid = in_u32(r->in);
	if (r->in->bad)
		return EINVAL;
	if (f == NULL || f->xattr != NULL)
		return EBADF;
	if (!p9_name_ok(name))
		return EINVAL;
	ROFS_CHECK(r->s);
	if (f->fd >= 0)
		return EBUSY;
	path = p9_path_join(f->path, name);
	if (path == NULL)
		return errno;
	flags = p9_host_open_flags(pflags) & ~O_DIRECTORY;
	/* a new regular file, opened for I/O as it is made (O_EXCL: never through a symlink,
	 * never an existing device or FIFO) */
	fd = p9_openat2(r->s, path, flags | O_CREAT | O_EXCL | O_NOCTTY, mode & 0777);
	if (fd >= 0)
		p9_owner_set(r->s, fd, "", f->uid, gid);
	if (fd < 0 && errno == EEXIST && !(pflags & P9_DOTL_EXCL)) {
		/* it exists: open it as Tlopen does (regular files only, never a symlink) */
		pfd = p9_openat2(r->s, path, O_PATH | O_NOFOLLOW, 0);
		if (pfd < 0 || fstat(pfd, &st) < 0)
			return errno;
		fd = p9_reopen(pfd, &st, flags);
	}
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return e;
	}
	f->fd = fd;
	free(f->path);
	f->path = util_steal_ptr(path);
	struct p9_qid q = p9_qid_of(r->s, &st);
	out_qid(r->o, &q);
	out_u32(r->o, 0);
	return 0;
}

int p9_do_read(struct p9_req *r)
{
	struct p9_fid *f = p9_fid_get(r->s, in_u32(r->in));
	uint64_t off = in_u64(r->in);
	uint32_t count = in_u32(r->in);
	uint8_t *data;
	ssize_t n;

	if (r->in->bad)
		return EINVAL;
	if (f != NULL && f->xattr != NULL)
		return xattr_read(r, f->xattr, off, count);
	if (f == NULL || f->fd < 0)
		return EBADF;
	if (off > INT64_MAX)
		return EINVAL;
	if (count > r->o->cap - r->o->off - 4)
		count = (uint32_t)(r->o->cap - r->o->off - 4);
	data = r->o->p + r->o->off + 4;
	do
		n = pread(f->fd, data, count, (off_t)off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;
	out_u32(r->o, (uint32_t)n);
	out_take(r->o, (size_t)n);
	return 0;
}

int p9_do_write(struct p9_req *r)
{
	struct p9_fid *f = p9_fid_get(r->s, in_u32(r->in));
	uint64_t off = in_u64(r->in);
	uint32_t count = in_u32(r->in);
	const uint8_t *data = in_take(r->in, count);
	ssize_t n;

	if (r->in->bad)
		return EINVAL;
	if (f != NULL && f->xattr != NULL)
		return xattr_write(r, f->xattr, off, data, count);
	if (f == NULL || f->fd < 0)
		return EBADF;
	ROFS_CHECK(r->s);
	if (off > INT64_MAX)
		return EINVAL;
	do
		n = pwrite(f->fd, data, count, (off_t)off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;
	out_u32(r->o, (uint32_t)n);
	return 0;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int p9_do_readdir(struct p9_req *r)
{
	struct p9_fid *f = p9_fid_get(r->s, in_u32(r->in));
	uint64_t off = in_u64(r->in);
	uint32_t count = in_u32(r->in);
	size_t count_at, body, want;
	long n;

	if (r->in->bad)
		return EINVAL;
	if (f == NULL || f->fd < 0)
		return EBADF;
	if (off > INT64_MAX)
		return EINVAL;
	count_at = r->o->off;
	out_u32(r->o, 0);
	if (r->o->full)
		return ERANGE;
	body = r->o->off;
	if (count > r->o->cap - body)
		count = (uint32_t)(r->o->cap - body);
	/* the directory is read from `off` on each time (a d_off of an earlier reply) */
	if (lseek(f->fd, (off_t)off, SEEK_SET) < 0)
		return errno;
	want = count < sizeof(r->s->dents) ? count : sizeof(r->s->dents);
	if (want < 512)
		want = 512;
	n = syscall(SYS_getdents64, f->fd, r->s->dents, want);
	if (n < 0)
		return errno;
	for (long pos = 0; pos < n;) {
		struct linux_dirent64 *d = (struct linux_dirent64 *)(r->s->dents + pos);
		size_t nl = strnlen(d->d_name, NAME_MAX + 1);
		size_t need = P9_QID_SIZE + 8 + 1 + 2 + nl;
		if (d->d_reclen == 0 || nl > NAME_MAX || need > count - (r->o->off - body))
			break;
		struct p9_qid q = {.path = d->d_ino};
		q.type = d->d_type == DT_DIR ? P9_QTDIR : d->d_type == DT_LNK ? P9_QTSYMLINK : 0;
		out_qid(r->o, &q);
		out_u64(r->o, (uint64_t)d->d_off);
		out_u8(r->o, d->d_type);
		out_str(r->o, d->d_name, nl);
		pos += d->d_reclen;
	}
	uint32_t used = htole32((uint32_t)(r->o->off - body));
	memcpy(r->o->p + count_at, &used, 4);
	return 0;
}

int p9_do_getattr(struct p9_req *r)
{
	struct p9_fid *f = p9_fid_get(r->s, in_u32(r->in));
	struct stat st;
	int fd;

	(void)in_u64(r->in); /* request mask: we always answer the basic set */
	if (r->in->bad)
		return EINVAL;
	if (f == NULL)
		return EBADF;
	if (f->fd >= 0) {
		if (fstat(f->fd, &st) < 0)
			return errno;
	} else {
		fd = p9_open_nofollow(r->s, f->path, &st);
		if (fd < 0)
			return errno;
		close(fd);
	}
	struct p9_qid q = p9_qid_of(r->s, &st);
	out_u64(r->o, P9_GETATTR_ALL);
	out_qid(r->o, &q);
	out_u32(r->o, st.st_mode);
	out_u32(r->o, st.st_uid);
	out_u32(r->o, st.st_gid);
	out_u64(r->o, st.st_nlink);
	out_u64(r->o, st.st_rdev);
	out_u64(r->o, (uint64_t)st.st_size);
	out_u64(r->o, (uint64_t)st.st_blksize);
	out_u64(r->o, (uint64_t)st.st_blocks);
	out_u64(r->o, (uint64_t)st.st_atim.tv_sec);
	out_u64(r->o, (uint64_t)st.st_atim.tv_nsec);
	out_u64(r->o, (uint64_t)st.st_mtim.tv_sec);
	out_u64(r->o, (uint64_t)st.st_mtim.tv_nsec);
	out_u64(r->o, (uint64_t)st.st_ctim.tv_sec);
	out_u64(r->o, (uint64_t)st.st_ctim.tv_nsec);
	for (int i = 0; i < 4; i++) /* btime, gen, data_version */
		out_u64(r->o, 0);
	return 0;
}

int p9_do_setattr(struct p9_req *r)
{
	struct p9_fid *f = p9_fid_get(r->s, in_u32(r->in));
	uint32_t valid = in_u32(r->in), mode = in_u32(r->in), uid = in_u32(r->in),
	         gid = in_u32(r->in);
	uint64_t size = in_u64(r->in);
	struct timespec ts[2];
	cleanup_close int fd = -1;
	struct stat st;
	char pp[40];

	ts[0].tv_sec = (time_t)in_u64(r->in);
	ts[0].tv_nsec = (long)in_u64(r->in);
	ts[1].tv_sec = (time_t)in_u64(r->in);
	ts[1].tv_nsec = (long)in_u64(r->in);
	if (r->in->bad)
		return EINVAL;
	if (f == NULL)
		return EBADF;
	ROFS_CHECK(r->s);
	fd = p9_open_nofollow(r->s, f->path, &st);
	if (fd < 0)
		return errno;
	p9_proc_path(pp, fd);
	if ((valid & P9_ATTR_MODE) && !S_ISLNK(st.st_mode) && chmod(pp, mode & 01777) < 0)
		return errno;
	if ((valid & (P9_ATTR_UID | P9_ATTR_GID)) &&
	    fchownat(fd, "", (valid & P9_ATTR_UID) ? uid : (uid_t)-1,
	             (valid & P9_ATTR_GID) ? gid : (gid_t)-1,
	             AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return errno;
	if (valid & P9_ATTR_SIZE) {
		if (size > INT64_MAX)
			return EFBIG;
		if (!S_ISREG(st.st_mode))
			return S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		if (f->fd >= 0 ? ftruncate(f->fd, (off_t)size) < 0 : truncate(pp, (off_t)size) < 0)
			return errno;
	}
	if (valid & (P9_ATTR_ATIME | P9_ATTR_MTIME)) {
		if (!(valid & P9_ATTR_ATIME))
			ts[0].tv_nsec = UTIME_OMIT;
		else if (!(valid & P9_ATTR_ATIME_SET))
			ts[0].tv_nsec = UTIME_NOW;
		else if (ts[0].tv_nsec < 0 || ts[0].tv_nsec >= 1000000000)
			return EINVAL;
		if (!(valid & P9_ATTR_MTIME))
			ts[1].tv_nsec = UTIME_OMIT;
		else if (!(valid & P9_ATTR_MTIME_SET))
			ts[1].tv_nsec = UTIME_NOW;
		else if (ts[1].tv_nsec < 0 || ts[1].tv_nsec >= 1000000000)
			return EINVAL;
		if (S_ISLNK(st.st_mode)) {
			/* the /proc link would follow it: set the symlink's own times */
			const char *base;
			cleanup_close int dfd = p9_open_parent(r->s, f->path, &base);
			if (dfd < 0 || utimensat(dfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
				return errno;
		} else if (utimensat(AT_FDCWD, pp, ts, 0) < 0) {
			return errno;
		}
	}
	return 0;
}

/* The directory fid and the name of a create-like request, resolved: *dfd an O_PATH fd. */
static int dir_and_name(struct p9_req *r, struct p9_fid *d, const char *name, int *dfd)
{
	if (r->in->bad)
		return EINVAL;
	if (d == NULL)
		return EBADF;
	if (!p9_name_ok(name))
		return EINVAL;
	ROFS_CHECK(r->s);
	*dfd = p9_open_dir(r->s, d->path);
	return *dfd < 0 ? errno : 0;
}

/* The qid of name in dfd, as the reply to a create-like request. */
static int reply_qid_at(struct p9_req *r, int dfd, const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno;
	struct p9_qid q = p9_qid_of(r->s, &st);
	out_qid(r->o, &q);
	return 0;
}

int p9_do_mkdir(struct p9_req *r)
{
	struct p9_fid *d = p9_fid_get(r->s, in_u32(r->in));
	char name[NAME_MAX + 1];
	cleanup_close int dfd = -1;
	uint32_t mode, gid;
	int e;

	in_str(r->in, name, sizeof(name));
	mode = in_u32(r->in);
	gid = in_u32(r->in);
	if ((e = dir_and_name(r, d, name, &dfd)) != 0)
		return e;
	if (mkdirat(dfd, name, mode & 01777) < 0)
		return errno;
	p9_owner_set(r->s, dfd, name, d->uid, gid);
	return reply_qid_at(r, dfd, name);
}

int p9_do_symlink(struct p9_req *r)
{
	struct p9_fid *d = p9_fid_get(r->s, in_u32(r->in));
	char name[NAME_MAX + 1];
	cleanup_free char *target = xmalloc0(PATH_MAX);
	cleanup_close int dfd = -1;
	uint32_t gid;
	int e;

	in_str(r->in, name, sizeof(name));
	in_str(r->in, target, PATH_MAX); /* any text: it is resolved (in the share) when used */
	gid = in_u32(r->in);
	if ((e = dir_and_name(r, d, name, &dfd)) != 0)
		return e;
	if (target[0] == '\0')
		return ENOENT;
	if (symlinkat(target, dfd, name) < 0)
		return errno;
	p9_owner_set(r->s, dfd, name, d->uid, gid);
	return reply_qid_at(r, dfd, name);
}

int p9_do_mknod(struct p9_req *r)
{
	struct p9_fid *d = p9_fid_get(r->s, in_u32(r->in));
	char name[NAME_MAX + 1];
	cleanup_close int dfd = -1;
	uint32_t mode, gid;
	int e;

	in_str(r->in, name, sizeof(name));
	mode = in_u32(r->in);
	(void)in_u32(r->in); /* major */
	(void)in_u32(r->in); /* minor */
	gid = in_u32(r->in);
	if ((e = dir_and_name(r, d, name, &dfd)) != 0)
		return e;
	/* FIFOs, sockets and plain files; a device node would hand the host's hardware to
	 * whoever can open files in the share */
	if ((mode & S_IFMT) != S_IFIFO && (mode & S_IFMT) != S_IFSOCK &&
	    (mode & S_IFMT) != S_IFREG && (mode & S_IFMT) != 0)
		return EPERM;
	if (mknodat(dfd, name, (mode & S_IFMT) | (mode & 01777), 0) < 0)
		return errno;
	p9_owner_set(r->s, dfd, name, d->uid, gid);
	return reply_qid_at(r, dfd, name);
}

int p9_do_link(struct p9_req *r)
{
	struct p9_fid *d = p9_fid_get(r->s, in_u32(r->in));
	struct p9_fid *f = p9_fid_get(r->s, in_u32(r->in));
	char name[NAME_MAX + 1];
	cleanup_close int dfd = -1, sfd = -1;
	const char *base;
	int e;

	in_str(r->in, name, sizeof(name));
	if ((e = dir_and_name(r, d, name, &dfd)) != 0)
		return e;
	if (f == NULL)
		return EBADF;
	sfd = p9_open_parent(r->s, f->path, &base);
	if (sfd < 0)
		return errno;
	if (linkat(sfd, base, dfd, name, 0) < 0) /* the name itself, not what it points to */
		return errno;
	return 0;
}

int p9_do_readlink(struct p9_req *r)
{
	struct p9_fid *f = p9_fid_get(r->s, in_u32(r->in));
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;
	int fd;

	if (r->in->bad)
		return EINVAL;
	if (f == NULL)
		return EBADF;
	fd = p9_open_nofollow(r->s, f->path, &st);
	if (fd < 0)
		return errno;
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(fd, "", target, sizeof(target));
	} else {
		n = -1;
		errno = EINVAL;
	}
	int e = errno;
	close(fd);
	errno = e;
	if (n < 0)
		return errno;
	if ((size_t)n >= sizeof(target))
		return ENAMETOOLONG;
	out_str(r->o, target, (size_t)n);
	return 0;
}

/* rename `from` (a path in the share) to name in the directory path `todir` */
static int rename_paths(struct p9_server *s, const char *from, const char *todir, const char *name)
{
	cleanup_close int ofd = -1, nfd = -1;
	cleanup_free char *to = NULL;
	const char *base;

	if (!p9_name_ok(name))
		return EINVAL;
	if (s->ro)
		return EROFS;
	ofd = p9_open_parent(s, from, &base);
	if (ofd < 0)
		return errno;
	nfd = p9_open_dir(s, todir);
	if (nfd < 0)
		return errno;
	to = p9_path_join(todir, name);
	if (to == NULL)
		return errno;
	if (renameat(ofd, base, nfd, name) < 0)
		return errno;
	p9_fids_renamed(s, from, to);
	return 0;
}

int p9_do_rename(struct p9_req *r)
{
	struct p9_fid *f = p9_fid_get(r->s, in_u32(r->in));
	struct p9_fid *d = p9_fid_get(r->s, in_u32(r->in));
	char name[NAME_MAX + 1];
	cleanup_free char *from = NULL;

	in_str(r->in, name, sizeof(name));
	if (r->in->bad)
		return EINVAL;
	if (f == NULL || d == NULL)
		return EBADF;
	from = xstrdup(f->path);
	return rename_paths(r->s, from, d->path, name);
}

int p9_do_renameat(struct p9_req *r)
{
	struct p9_fid *od = p9_fid_get(r->s, in_u32(r->in));
	char oname[NAME_MAX + 1], nname[NAME_MAX + 1];
	struct p9_fid *nd;
	cleanup_free char *from = NULL, *todir = NULL;

	in_str(r->in, oname, sizeof(oname));
	nd = p9_fid_get(r->s, in_u32(r->in));
	in_str(r->in, nname, sizeof(nname));
	if (r->in->bad)
		return EINVAL;
	if (od == NULL || nd == NULL)
		return EBADF;
	if (!p9_name_ok(oname))
		return EINVAL;
	from = p9_path_join(od->path, oname);
	if (from == NULL)
		return errno;
	todir = xstrdup(nd->path); /* p9_fids_renamed may rewrite nd->path */
	return rename_paths(r->s, from, todir, nname);
}

int p9_do_unlinkat(struct p9_req *r)
{
	struct p9_fid *d = p9_fid_get(r->s, in_u32(r->in));
	char name[NAME_MAX + 1];
	cleanup_close int dfd = -1;
	uint32_t flags;
	int e;

	in_str(r->in, name, sizeof(name));
	flags = in_u32(r->in);
	if ((e = dir_and_name(r, d, name, &dfd)) != 0)
		return e;
	if (unlinkat(dfd, name, (flags & P9_AT_REMOVEDIR) ? AT_REMOVEDIR : 0) < 0)
		return errno;
	return 0;
}

int p9_do_statfs(struct p9_req *r)
{
	struct p9_fid *f = p9_fid_get(r->s, in_u32(r->in));
	struct statfs sf;

	if (r->in->bad)
		return EINVAL;
	if (f == NULL)
		return EBADF;
	if (fstatfs(r->s->root, &sf) < 0)
		return errno;
	out_u32(r->o, V9FS_MAGIC);
	out_u32(r->o, (uint32_t)sf.f_bsize);
	out_u64(r->o, sf.f_blocks);
	out_u64(r->o, sf.f_bfree);
	out_u64(r->o, sf.f_bavail);
	out_u64(r->o, sf.f_files);
	out_u64(r->o, sf.f_ffree);
	uint64_t fsid;
	memcpy(&fsid, &sf.f_fsid, sizeof(fsid));
	out_u64(r->o, fsid);
	out_u32(r->o, (uint32_t)sf.f_namelen);
	return 0;
}

int p9_do_fsync(struct p9_req *r)
{
	struct p9_fid *f = p9_fid_get(r->s, in_u32(r->in));
	uint32_t datasync = in_u32(r->in);

	if (r->in->bad)
		return EINVAL;
	if (f == NULL || f->fd < 0)
		return EBADF;
	if ((datasync ? fdatasync(f->fd) : fsync(f->fd)) < 0)
		return errno;
	return 0;
}

/* Locks are advisory between the guest's own processes, which the guest kernel already
 * orders; like QEMU, we grant every lock and report no conflicting one. */
int p9_do_lock(struct p9_req *r)
{
	struct p9_fid *f = p9_fid_get(r->s, in_u32(r->in));
	char client[256];

	(void)in_u8(r->in);  /* type */
	(void)in_u32(r->in); /* flags */
	(void)in_u64(r->in); /* start */
	(void)in_u64(r->in); /* length */
	(void)in_u32(r->in); /* proc_id */
	in_str(r->in, client, sizeof(client));
	if (r->in->bad)
		return EINVAL;
	if (f == NULL)
		return EBADF;
	out_u8(r->o, P9_LOCK_SUCCESS);
	return 0;
}

int p9_do_getlock(struct p9_req *r)
{
	struct p9_fid *f = p9_fid_get(r->s, in_u32(r->in));
	char client[256];
	uint64_t start, length;
	uint32_t proc;

	(void)in_u8(r->in); /* type */
	start = in_u64(r->in);
	length = in_u64(r->in);
	proc = in_u32(r->in);
	in_str(r->in, client, sizeof(client));
	if (r->in->bad)
		return EINVAL;
	if (f == NULL)
		return EBADF;
	out_u8(r->o, P9_LOCK_UNLCK);
	out_u64(r->o, start);
	out_u64(r->o, length);
	out_u32(r->o, proc);
	out_str(r->o, client, strlen(client));
	return 0;
}
