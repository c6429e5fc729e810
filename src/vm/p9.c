/* SPDX-License-Identifier: MIT */
/* The 9P2000.L server behind virtio-9p (see p9.h). A fid is a path inside the share ("" for
 * its root) plus, once opened, an fd. Every operation resolves the fid's path again from the
 * share's root fd with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): `..` stops at the
 * root, absolute symlinks land inside it, and a directory the host moves out of the share is
 * no longer reachable through a fid that walked to it. Names a request adds (create, mkdir,
 * rename, ...) must be one component: no `/`, not `.` or `..`. Device nodes are neither
 * created nor opened, and set-user/group-id bits are never set on the host.
 *
 * Owners: a fid carries the user its attach named (n_uname: Linux's default access=user
 * attaches once per user), and what a request creates (lcreate, mkdir, symlink, mknod) is
 * given that user and the request's group, as QEMU's security_model=passthrough does, when
 * berth may (it runs as root); otherwise, or when the host refuses, it stays the user's
 * running berth (QEMU's security_model=none). */

#include "p9_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

enum {
	P9_TLERROR = 6,
	P9_RLERROR = 7,
	P9_TSTATFS = 8,
	P9_TLOPEN = 12,
	P9_TLCREATE = 14,
	P9_TSYMLINK = 16,
	P9_TMKNOD = 18,
	P9_TRENAME = 20,
	P9_TREADLINK = 22,
	P9_TGETATTR = 24,
	P9_TSETATTR = 26,
	P9_TXATTRWALK = 30,
	P9_TXATTRCREATE = 32,
	P9_TREADDIR = 40,
	P9_TFSYNC = 50,
	P9_TLOCK = 52,
	P9_TGETLOCK = 54,
	P9_TLINK = 70,
	P9_TMKDIR = 72,
	P9_TRENAMEAT = 74,
	P9_TUNLINKAT = 76,
	P9_TVERSION = 100,
	P9_TATTACH = 104,
	P9_TFLUSH = 108,
	P9_TWALK = 110,
	P9_TREAD = 116,
	P9_TWRITE = 118,
	P9_TCLUNK = 120,
};

struct p9_qid p9_qid_of(const struct p9_server *s, const struct stat *st)
{
	struct p9_qid q = {0};

	q.type = S_ISDIR(st->st_mode) ? P9_QTDIR : S_ISLNK(st->st_mode) ? P9_QTSYMLINK : 0;
	q.version = (uint32_t)st->st_mtim.tv_sec ^ (uint32_t)st->st_mtim.tv_nsec;
	q.path = (uint64_t)st->st_ino;
	if (st->st_dev != s->root_dev) /* another file system mounted inside the share */
		q.path ^= (uint64_t)st->st_dev << 48;
	return q;
}

/* --- fids ---------------------------------------------------------------------------- */

struct p9_fid *p9_fid_get(struct p9_server *s, uint32_t num)
{
	for (struct p9_fid *f = s->fids[num % FID_BUCKETS]; f != NULL; f = f->next)
		if (f->num == num)
			return f;
	return NULL;
}

/* A new fid taking path over; NULL (path freed) when num is in use or the table is full. */
struct p9_fid *p9_fid_new(struct p9_server *s, uint32_t num, char *path)
{
	struct p9_fid *f;

	if (num == P9_NOFID || s->nfids >= P9_MAX_FIDS || p9_fid_get(s, num) != NULL) {
		free(path);
		return NULL;
	}
	f = xmalloc0(sizeof(*f));
	f->num = num;
	f->path = path;
	f->fd = -1;
	f->uid = P9_NONUNAME;
	f->next = s->fids[num % FID_BUCKETS];
	s->fids[num % FID_BUCKETS] = f;
	s->nfids++;
	return f;
}

static void fid_free(struct p9_fid *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->xattr);
	free(f->path);
	free(f);
}

static void fid_del(struct p9_server *s, uint32_t num)
{
	for (struct p9_fid **pp = &s->fids[num % FID_BUCKETS]; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->num == num) {
			struct p9_fid *f = *pp;
			*pp = f->next;
			fid_free(f);
			s->nfids--;
			return;
		}
	}
}

static void fid_clear(struct p9_server *s)
{
	for (unsigned b = 0; b < FID_BUCKETS; b++) {
		while (s->fids[b] != NULL) {
			struct p9_fid *f = s->fids[b];
			s->fids[b] = f->next;
			fid_free(f);
		}
	}
	s->nfids = 0;
}

/* What a request made (dfd + name, or the fd itself with name "") goes to the fid's user
 * and the request's group, when berth may give files away (root) and the guest named a
 * user; the host refusing (a file system without owners) leaves it to berth's user. */
void p9_owner_set(const struct p9_server *s, int dfd, const char *name, uint32_t uid, uint32_t gid)
{
	if (!s->chown || uid == P9_NONUNAME)
		return;
	(void)!fchownat(dfd, name, (uid_t)uid, gid == P9_NONUNAME ? (gid_t)-1 : (gid_t)gid,
	                AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH));
}

/* --- paths inside the share ---------------------------------------------------------- */

int p9_openat2(const struct p9_server *s, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
	    .flags = (unsigned long long)(flags | O_CLOEXEC),
	    .mode = (flags & O_CREAT) ? mode : 0,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long r;
	int tries = 0;

	do /* EAGAIN: a rename raced with the resolution of `..` */
		r = syscall(SYS_openat2, s->root, *path != '\0' ? path : ".", &how, sizeof(how));
	while (r < 0 && errno == EAGAIN && ++tries < 64);
	return (int)r;
}

/* One component a request names: not empty, no '/', not "." or "..". */
bool p9_name_ok(const char *name)
{
	return name[0] != '\0' && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

/* parent + "/" + name (a malloc'd path), or NULL (errno ENAMETOOLONG). */
char *p9_path_join(const char *parent, const char *name)
{
	size_t pl = strlen(parent), nl = strlen(name);
	char *p;

	if (pl + nl + 2 > PATH_MAX) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	p = xmalloc0(pl + nl + 2);
	if (pl > 0) {
		memcpy(p, parent, pl);
		p[pl] = '/';
		pl++;
	}
	memcpy(p + pl, name, nl + 1);
	return p;
}

/* Open the directory `path` as an O_PATH fd for the *at calls. */
int p9_open_dir(const struct p9_server *s, const char *path)
{
	return p9_openat2(s, path, O_PATH | O_DIRECTORY, 0);
}

/* Open the parent directory of `path` and point *base at its last component. */
int p9_open_parent(const struct p9_server *s, const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	char parent[PATH_MAX];

	if (*path == '\0') { /* the share's root has no parent inside the share */
		errno = EBUSY;
		return -1;
	}
	if (slash == NULL) {
		*base = path;
		return p9_open_dir(s, "");
	}
	memcpy(parent, path, (size_t)(slash - path));
	parent[slash - path] = '\0';
	*base = slash + 1;
	return p9_open_dir(s, parent);
}

/* The file itself (a symlink is not followed) as an O_PATH fd, with its stat. */
int p9_open_nofollow(const struct p9_server *s, const char *path, struct stat *st)
{
	int fd = p9_openat2(s, path, O_PATH | O_NOFOLLOW, 0);

	if (fd >= 0 && fstat(fd, st) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

void p9_proc_path(char buf[40], int fd)
{
	snprintf(buf, 40, "/proc/self/fd/%d", fd);
}

/* A fid path was renamed from `from` to `to`: every fid at or below it follows. */
void p9_fids_renamed(struct p9_server *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to);

	for (unsigned b = 0; b < FID_BUCKETS; b++) {
		for (struct p9_fid *f = s->fids[b]; f != NULL; f = f->next) {
			size_t pl = strlen(f->path);
			if (pl < fl || memcmp(f->path, from, fl) != 0 ||
			    (pl > fl && f->path[fl] != '/'))
				continue;
			if (tl + (pl - fl) + 1 > PATH_MAX)
				continue; /* too deep now: its next use fails with ENOENT */
			char *np = xmalloc0(tl + (pl - fl) + 1);
			memcpy(np, to, tl);
			memcpy(np + tl, f->path + fl, pl - fl + 1);
			free(f->path);
			f->path = np;
		}
	}
}

int p9_host_open_flags(uint32_t fl)
{
	int r;

	switch (fl & P9_DOTL_ACCMODE) {
	case P9_DOTL_WRONLY:
		r = O_WRONLY;
		break;
	case P9_DOTL_RDWR:
		r = O_RDWR;
		break;
	default:
		r = O_RDONLY;
		break;
	}
	if (fl & P9_DOTL_TRUNC)
		r |= O_TRUNC;
	if (fl & P9_DOTL_APPEND)
		r |= O_APPEND;
	if (fl & P9_DOTL_DSYNC)
		r |= O_DSYNC;
	if ((fl & P9_DOTL_SYNC) == P9_DOTL_SYNC)
		r |= O_SYNC;
	if (fl & P9_DOTL_DIRECTORY)
		r |= O_DIRECTORY;
	return r;
}

bool p9_writes(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_APPEND)) != 0;
}

/* Open for I/O the file at pathfd (regular files and directories only: never a device or a
 * FIFO, which could block the hart or reach host hardware) through its /proc magic link. */
int p9_reopen(int pathfd, const struct stat *st, int flags)
{
	char pp[40];

	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) {
		errno = S_ISLNK(st->st_mode) ? ELOOP : EPERM;
		return -1;
	}
	if (S_ISDIR(st->st_mode) && p9_writes(flags)) {
		errno = EISDIR;
		return -1;
	}
	p9_proc_path(pp, pathfd);
	return open(pp, flags | O_CLOEXEC | O_NOCTTY);
}

static int do_version(struct p9_req *r)
{
	uint32_t msize = in_u32(r->in);
	char version[32];

	if (!in_str(r->in, version, sizeof(version)))
		snprintf(version, sizeof(version), "unknown");
	r->in->bad = false; /* a long version string is just not ours */
	if (msize < P9_MIN_MSIZE)
		return EINVAL;
	fid_clear(r->s);
	r->s->msize = msize < P9_MAX_MSIZE ? msize : P9_MAX_MSIZE;
	out_u32(r->o, r->s->msize);
	if (strcmp(version, "9P2000.L") == 0)
		out_str(r->o, "9P2000.L", 8);
	else
		out_str(r->o, "unknown", 7);
	return 0;
}

static int do_attach(struct p9_req *r)
{
	uint32_t fid = in_u32(r->in);
	char name[256];
	struct stat st;
	struct p9_fid *f;
	uint32_t uid;
	int fd;

	(void)in_u32(r->in);               /* afid: no authentication */
	in_str(r->in, name, sizeof(name)); /* uname */
	in_str(r->in, name, sizeof(name)); /* aname: the share has one tree */
	uid = in_u32(r->in);               /* n_uname: whose requests these are */
	if (r->in->bad)
		return EINVAL;
	fd = p9_open_nofollow(r->s, "", &st);
	if (fd < 0)
		return errno;
	close(fd);
	f = p9_fid_new(r->s, fid, xstrdup(""));
	if (f == NULL)
		return EBADF;
	f->uid = uid;
	struct p9_qid q = p9_qid_of(r->s, &st);
	out_qid(r->o, &q);
	return 0;
}

static int do_walk(struct p9_req *r)
{
	uint32_t fidn = in_u32(r->in), newfidn = in_u32(r->in);
	uint16_t n = in_u16(r->in);
	struct p9_fid *f = p9_fid_get(r->s, fidn);
	char name[NAME_MAX + 1];
	cleanup_free char *path = NULL;
	struct p9_qid qids[P9_MAXWELEM];
	unsigned done = 0;
	int e = 0;

	if (r->in->bad || n > P9_MAXWELEM)
		return EINVAL;
	if (f == NULL || f->xattr != NULL)
		return EBADF;
	if (newfidn != fidn && p9_fid_get(r->s, newfidn) != NULL)
		return EBADF;
	path = xstrdup(f->path);
	for (unsigned i = 0; i < n; i++) {
		struct stat st;
		char *np;
		int fd;

		if (!in_str(r->in, name, sizeof(name)))
			return r->in->off <= r->in->len ? ENAMETOOLONG : EINVAL;
		if (strcmp(name, "..") == 0) { /* lexically: never above the root */
			char *slash = strrchr(path, '/');
			np = slash != NULL ? strndup(path, (size_t)(slash - path)) : xstrdup("");
			if (np == NULL)
				return ENOMEM;
		} else if (strcmp(name, ".") == 0) {
			np = xstrdup(path);
		} else if (p9_name_ok(name)) {
			np = p9_path_join(path, name);
			if (np == NULL)
				return ENAMETOOLONG;
		} else {
			e = ENOENT;
			break;
		}
		fd = p9_open_nofollow(r->s, np, &st);
		if (fd < 0) {
			e = errno;
			free(np);
			break;
		}
		close(fd);
		qids[done++] = p9_qid_of(r->s, &st);
		free(path);
		path = np;
	}
	if (done == 0 && n > 0)
		return e != 0 ? e : ENOENT;
	if (done == n) {
		if (newfidn == fidn) {
			free(f->path);
			f->path = util_steal_ptr(path);
		} else {
			struct p9_fid *nf = p9_fid_new(r->s, newfidn, util_steal_ptr(path));
			if (nf == NULL)
				return EMFILE;
			nf->uid = f->uid;
		}
	}
	out_u16(r->o, (uint16_t)done);
	for (unsigned i = 0; i < done; i++)
		out_qid(r->o, &qids[i]);
	return 0;
}

static int do_clunk(struct p9_req *r)
{
	uint32_t fid = in_u32(r->in);
	struct p9_fid *f = p9_fid_get(r->s, fid);
	int e = 0;

	if (f == NULL)
		return EBADF;
	if (f->xattr != NULL && f->xattr->create)
		e = p9_xattr_commit(r->s, f);
	fid_del(r->s, fid);
	return e;
}

size_t p9_handle(struct p9_server *s, const uint8_t *req, size_t len, uint8_t *out, size_t cap)
{
	struct p9_in in = {.p = req, .len = len};
	struct p9_out o = {.p = out, .cap = cap < s->msize ? cap : s->msize};
	struct p9_req r = {.s = s, .in = &in, .o = &o};
	uint32_t size;
	uint8_t type;
	uint16_t tag;
	int e;

	if (o.cap < P9_HDR_SIZE + 4)
		return 0;
	size = in_u32(&in);
	type = in_u8(&in);
	tag = in_u16(&in);
	o.off = P9_HDR_SIZE;
	if (in.bad || size < P9_HDR_SIZE || size > len || size > s->msize) {
		e = EINVAL;
		type = P9_TLERROR;
		goto error;
	}
	in.len = size; /* the message; anything after it is ignored */
	switch (type) {
	case P9_TVERSION:
		e = do_version(&r);
		break;
	case P9_TATTACH:
		e = do_attach(&r);
		break;
	case P9_TWALK:
		e = do_walk(&r);
		break;
	case P9_TCLUNK:
		e = do_clunk(&r);
		break;
	case P9_TLOPEN:
		e = p9_do_lopen(&r);
		break;
	case P9_TLCREATE:
		e = p9_do_lcreate(&r);
		break;
	case P9_TREAD:
		e = p9_do_read(&r);
		break;
	case P9_TWRITE:
		e = p9_do_write(&r);
		break;
	case P9_TREADDIR:
		e = p9_do_readdir(&r);
		break;
	case P9_TGETATTR:
		e = p9_do_getattr(&r);
		break;
	case P9_TSETATTR:
		e = p9_do_setattr(&r);
		break;
	case P9_TMKDIR:
		e = p9_do_mkdir(&r);
		break;
	case P9_TSYMLINK:
		e = p9_do_symlink(&r);
		break;
	case P9_TMKNOD:
		e = p9_do_mknod(&r);
		break;
	case P9_TLINK:
		e = p9_do_link(&r);
		break;
	case P9_TREADLINK:
		e = p9_do_readlink(&r);
		break;
	case P9_TRENAME:
		e = p9_do_rename(&r);
		break;
	case P9_TRENAMEAT:
		e = p9_do_renameat(&r);
		break;
	case P9_TUNLINKAT:
		e = p9_do_unlinkat(&r);
		break;
	case P9_TSTATFS:
		e = p9_do_statfs(&r);
		break;
	case P9_TFSYNC:
		e = p9_do_fsync(&r);
		break;
	case P9_TLOCK:
		e = p9_do_lock(&r);
		break;
	case P9_TGETLOCK:
		e = p9_do_getlock(&r);
		break;
	case P9_TFLUSH:
		/* requests are served one at a time, to the end: nothing is in flight */
		e = in_take(&in, 2) == NULL ? EINVAL : 0;
		break;
	case P9_TXATTRWALK:
		e = p9_do_xattrwalk(&r);
		break;
	case P9_TXATTRCREATE:
		e = p9_do_xattrcreate(&r);
		break;
	default: /* Tauth, Tremove (9P2000.u), R-messages, unknown types */
		e = EOPNOTSUPP;
		break;
	}
	if (e == 0 && o.full)
		e = ERANGE;
error:
	if (e != 0) {
		o.full = false;
		o.off = P9_HDR_SIZE;
		out_u32(&o, (uint32_t)e);
		type = P9_TLERROR; /* the reply is Rlerror */
	}
	uint32_t rsize = htole32((uint32_t)o.off);
	memcpy(out, &rsize, 4);
	out[4] = (uint8_t)(type + 1);
	tag = htole16(tag);
	memcpy(out + 5, &tag, 2);
	return o.off;
}

void p9_server_reset(struct p9_server *s)
{
	fid_clear(s);
	s->msize = P9_MAX_MSIZE;
}

struct p9_server *p9_server_create(const char *dir, bool ro, berth_error_t *err)
{
	cleanup_close int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct p9_server *s;
	struct stat st;

	if (fd < 0) {
		berth_error(err, errno == ENOTDIR ? 0 : errno,
		            errno == ENOTDIR ? "--share: `%s` is not a directory" : "--share: `%s`",
		            dir);
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		berth_error(err, errno, "--share: stat `%s`", dir);
		return NULL;
	}
	s = xmalloc0(sizeof(*s));
	s->root = util_steal_fd(fd);
	s->root_dev = st.st_dev;
	s->ro = ro;
	s->chown = geteuid() == 0;
	s->msize = P9_MAX_MSIZE;
	return s;
}

void p9_server_destroy(struct p9_server *s)
{
	if (s == NULL)
		return;
	fid_clear(s);
	close(s->root);
	free(s);
}
