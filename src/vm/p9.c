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

#include "p9.h"
#include "util.h"

#include <endian.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
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

#define P9_NOFID       0xffffffffu
#define P9_MAXWELEM    16
#define P9_QID_SIZE    13
#define P9_QTDIR       0x80
#define P9_QTSYMLINK   0x02
#define P9_GETATTR_ALL 0x7ffull /* the basic set: mode .. blocks */
#define V9FS_MAGIC     0x01021997

/* Tlopen/Tlcreate flags (Linux's generic open flags, spelled out: the host's may differ) */
#define P9_DOTL_ACCMODE   03
#define P9_DOTL_WRONLY    01
#define P9_DOTL_RDWR      02
#define P9_DOTL_CREATE    0100
#define P9_DOTL_EXCL      0200
#define P9_DOTL_TRUNC     01000
#define P9_DOTL_APPEND    02000
#define P9_DOTL_DSYNC     010000
#define P9_DOTL_DIRECTORY 0200000
#define P9_DOTL_SYNC      04000000
#define P9_AT_REMOVEDIR   0x200

/* Tattach's n_uname when the client names no user */
#define P9_NONUNAME 0xffffffffu

/* Tsetattr valid bits */
#define P9_ATTR_MODE      1u
#define P9_ATTR_UID       2u
#define P9_ATTR_GID       4u
#define P9_ATTR_SIZE      8u
#define P9_ATTR_ATIME     16u
#define P9_ATTR_MTIME     32u
#define P9_ATTR_ATIME_SET 128u
#define P9_ATTR_MTIME_SET 256u

#define P9_LOCK_SUCCESS 0
#define P9_LOCK_UNLCK   2

#define FID_BUCKETS 256

/* An extended attribute fid (Txattrwalk, Txattrcreate): its value, read or written with
 * Tread/Twrite at offsets; a created one is set on the host at Tclunk. */
struct p9_xattr {
	bool create;
	char name[XATTR_NAME_MAX + 1];
	int flags;       /* XATTR_CREATE, XATTR_REPLACE */
	size_t len;      /* the value's size (what the guest said it will write, for create) */
	size_t written;  /* create: the bytes written so far, in order */
	uint8_t value[]; /* len bytes */
};

struct p9_fid {
	uint32_t num;
	char *path;             /* inside the share, no leading or trailing '/', "" for the root */
	int fd;                 /* after Tlopen/Tlcreate, else -1 */
	struct p9_xattr *xattr; /* an xattr fid, else NULL */
	uint32_t uid;           /* the attach's n_uname (P9_NONUNAME: none), walked fids too */
	struct p9_fid *next;
};

struct p9_server {
	int root; /* O_PATH fd of the shared directory */
	dev_t root_dev;
	bool ro;
	bool chown; /* berth may give what the guest makes to its users (it runs as root) */
	uint32_t msize;
	unsigned nfids;
	struct p9_fid *fids[FID_BUCKETS];
	uint8_t dents[65536];
};

/* --- messages ----------------------------------------------------------------------- */

struct p9_in {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

struct p9_out {
	uint8_t *p;
	size_t cap, off;
	bool full;
};

static const uint8_t *in_take(struct p9_in *in, size_t n)
{
	const uint8_t *r;

	if (in->bad || n > in->len - in->off) {
		in->bad = true;
		return NULL;
	}
	r = in->p + in->off;
	in->off += n;
	return r;
}

static uint8_t in_u8(struct p9_in *in)
{
	const uint8_t *p = in_take(in, 1);
	return p != NULL ? *p : 0;
}

static uint16_t in_u16(struct p9_in *in)
{
	const uint8_t *p = in_take(in, 2);
	uint16_t v = 0;
	if (p != NULL)
		memcpy(&v, p, 2);
	return le16toh(v);
}

static uint32_t in_u32(struct p9_in *in)
{
	const uint8_t *p = in_take(in, 4);
	uint32_t v = 0;
	if (p != NULL)
		memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t in_u64(struct p9_in *in)
{
	const uint8_t *p = in_take(in, 8);
	uint64_t v = 0;
	if (p != NULL)
		memcpy(&v, p, 8);
	return le64toh(v);
}

/* A string into buf (NUL-terminated); one longer than size-1 bytes or holding a NUL makes the
 * request bad (the caller answers EINVAL or ENAMETOOLONG through in->bad). */
static bool in_str(struct p9_in *in, char *buf, size_t size)
{
	uint16_t n = in_u16(in);
	const uint8_t *p = in_take(in, n);

	buf[0] = '\0';
	if (p == NULL || n >= size || memchr(p, '\0', n) != NULL) {
		in->bad = true;
		return false;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
	return true;
}

static void *out_take(struct p9_out *o, size_t n)
{
	void *r;

	if (o->full || n > o->cap - o->off) {
		o->full = true;
		return NULL;
	}
	r = o->p + o->off;
	o->off += n;
	return r;
}

static void out_u8(struct p9_out *o, uint8_t v)
{
	uint8_t *p = out_take(o, 1);
	if (p != NULL)
		*p = v;
}

static void out_u16(struct p9_out *o, uint16_t v)
{
	uint8_t *p = out_take(o, 2);
	v = htole16(v);
	if (p != NULL)
		memcpy(p, &v, 2);
}

static void out_u32(struct p9_out *o, uint32_t v)
{
	uint8_t *p = out_take(o, 4);
	v = htole32(v);
	if (p != NULL)
		memcpy(p, &v, 4);
}

static void out_u64(struct p9_out *o, uint64_t v)
{
	uint8_t *p = out_take(o, 8);
	v = htole64(v);
	if (p != NULL)
		memcpy(p, &v, 8);
}

static void out_str(struct p9_out *o, const char *s, size_t n)
{
	uint8_t *p;

	if (n > UINT16_MAX) {
		o->full = true;
		return;
	}
	out_u16(o, (uint16_t)n);
	p = out_take(o, n);
	if (p != NULL)
		memcpy(p, s, n);
}

struct p9_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path;
};

static void out_qid(struct p9_out *o, const struct p9_qid *q)
{
	out_u8(o, q->type);
	out_u32(o, q->version);
	out_u64(o, q->path);
}

static struct p9_qid qid_of(const struct p9_server *s, const struct stat *st)
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

static struct p9_fid *fid_get(struct p9_server *s, uint32_t num)
{
	for (struct p9_fid *f = s->fids[num % FID_BUCKETS]; f != NULL; f = f->next)
		if (f->num == num)
			return f;
	return NULL;
}

/* A new fid taking path over; NULL (path freed) when num is in use or the table is full. */
static struct p9_fid *fid_new(struct p9_server *s, uint32_t num, char *path)
{
	struct p9_fid *f;

	if (num == P9_NOFID || s->nfids >= P9_MAX_FIDS || fid_get(s, num) != NULL) {
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
static void owner_set(const struct p9_server *s, int dfd, const char *name, uint32_t uid,
                      uint32_t gid)
{
	if (!s->chown || uid == P9_NONUNAME)
		return;
	(void)!fchownat(dfd, name, (uid_t)uid, gid == P9_NONUNAME ? (gid_t)-1 : (gid_t)gid,
	                AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH));
}

/* --- paths inside the share ---------------------------------------------------------- */

static int p9_openat2(const struct p9_server *s, const char *path, int flags, mode_t mode)
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
static bool name_ok(const char *name)
{
	return name[0] != '\0' && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

/* parent + "/" + name (a malloc'd path), or NULL (errno ENAMETOOLONG). */
static char *path_join(const char *parent, const char *name)
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
static int open_dir(const struct p9_server *s, const char *path)
{
	return p9_openat2(s, path, O_PATH | O_DIRECTORY, 0);
}

/* Open the parent directory of `path` and point *base at its last component. */
static int open_parent(const struct p9_server *s, const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	char parent[PATH_MAX];

	if (*path == '\0') { /* the share's root has no parent inside the share */
		errno = EBUSY;
		return -1;
	}
	if (slash == NULL) {
		*base = path;
		return open_dir(s, "");
	}
	memcpy(parent, path, (size_t)(slash - path));
	parent[slash - path] = '\0';
	*base = slash + 1;
	return open_dir(s, parent);
}

/* The file itself (a symlink is not followed) as an O_PATH fd, with its stat. */
static int open_nofollow(const struct p9_server *s, const char *path, struct stat *st)
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

static void proc_path(char buf[40], int fd)
{
	snprintf(buf, 40, "/proc/self/fd/%d", fd);
}

/* A fid path was renamed from `from` to `to`: every fid at or below it follows. */
static void fids_renamed(struct p9_server *s, const char *from, const char *to)
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

static int host_open_flags(uint32_t fl)
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

static bool writes(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_APPEND)) != 0;
}

/* Open for I/O the file at pathfd (regular files and directories only: never a device or a
 * FIFO, which could block the hart or reach host hardware) through its /proc magic link. */
static int reopen(int pathfd, const struct stat *st, int flags)
{
	char pp[40];

	if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) {
		errno = S_ISLNK(st->st_mode) ? ELOOP : EPERM;
		return -1;
	}
	if (S_ISDIR(st->st_mode) && writes(flags)) {
		errno = EISDIR;
		return -1;
	}
	proc_path(pp, pathfd);
	return open(pp, flags | O_CLOEXEC | O_NOCTTY);
}

/* --- the requests -------------------------------------------------------------------- */

struct p9_req {
	struct p9_server *s;
	struct p9_in *in;
	struct p9_out *o;
};

#define ROFS_CHECK(s)                                                                              \
	do {                                                                                       \
		if ((s)->ro)                                                                       \
			return EROFS;                                                              \
	} while (0)

/* Each handler reads its arguments from r->in, writes the reply body (after the header) to
 * r->o, and returns 0 or an errno for Rlerror. */

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
	int fd = open_nofollow(s, path, &st);

	if (fd >= 0)
		proc_path(pp, fd);
	return fd;
}

static int do_xattrwalk(struct p9_req *r)
{
	uint32_t fidn = in_u32(r->in), newfidn = in_u32(r->in);
	struct p9_fid *f = fid_get(r->s, fidn), *nf;
	char name[XATTR_NAME_MAX + 1], pp[40];
	cleanup_close int fd = -1;
	cleanup_free char *list = NULL;
	struct p9_xattr *x;
	ssize_t n;

	if (!in_str(r->in, name, sizeof(name)))
		return r->in->off <= r->in->len ? ERANGE : EINVAL;
	if (r->in->bad)
		return EINVAL;
	if (f == NULL || f->xattr != NULL || (newfidn != fidn && fid_get(r->s, newfidn) != NULL))
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
	nf = fid_new(r->s, newfidn, xstrdup(f->path));
	if (nf == NULL) {
		free(x);
		return EMFILE;
	}
	nf->uid = f->uid;
	nf->xattr = x;
	out_u64(r->o, x->len);
	return 0;
}

static int do_xattrcreate(struct p9_req *r)
{
	struct p9_fid *f = fid_get(r->s, in_u32(r->in));
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

/* The value arrives in order (the kernel writes it from offset 0 on); anything past the
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
static int xattr_commit(const struct p9_server *s, struct p9_fid *f)
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
	fd = open_nofollow(r->s, "", &st);
	if (fd < 0)
		return errno;
	close(fd);
	f = fid_new(r->s, fid, xstrdup(""));
	if (f == NULL)
		return EBADF;
	f->uid = uid;
	struct p9_qid q = qid_of(r->s, &st);
	out_qid(r->o, &q);
	return 0;
}

static int do_walk(struct p9_req *r)
{
	uint32_t fidn = in_u32(r->in), newfidn = in_u32(r->in);
	uint16_t n = in_u16(r->in);
	struct p9_fid *f = fid_get(r->s, fidn);
	char name[NAME_MAX + 1];
	cleanup_free char *path = NULL;
	struct p9_qid qids[P9_MAXWELEM];
	unsigned done = 0;
	int e = 0;

	if (r->in->bad || n > P9_MAXWELEM)
		return EINVAL;
	if (f == NULL || f->xattr != NULL)
		return EBADF;
	if (newfidn != fidn && fid_get(r->s, newfidn) != NULL)
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
		} else if (name_ok(name)) {
			np = path_join(path, name);
			if (np == NULL)
				return ENAMETOOLONG;
		} else {
			e = ENOENT;
			break;
		}
		fd = open_nofollow(r->s, np, &st);
		if (fd < 0) {
			e = errno;
			free(np);
			break;
		}
		close(fd);
		qids[done++] = qid_of(r->s, &st);
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
			struct p9_fid *nf = fid_new(r->s, newfidn, util_steal_ptr(path));
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
	struct p9_fid *f = fid_get(r->s, fid);
	int e = 0;

	if (f == NULL)
		return EBADF;
	if (f->xattr != NULL && f->xattr->create)
		e = xattr_commit(r->s, f);
	fid_del(r->s, fid);
	return e;
}

static int do_lopen(struct p9_req *r)
{
	struct p9_fid *f = fid_get(r->s, in_u32(r->in));
	int flags = host_open_flags(in_u32(r->in));
	struct stat st;
	cleanup_close int pfd = -1;
	int fd;

	if (r->in->bad)
		return EINVAL;
	if (f == NULL || f->xattr != NULL)
		return EBADF;
	if (f->fd >= 0)
		return EBUSY;
	if (writes(flags) && r->s->ro)
		return EROFS;
	pfd = p9_openat2(r->s, f->path, O_PATH, 0);
	if (pfd < 0 || fstat(pfd, &st) < 0)
		return errno;
	fd = reopen(pfd, &st, flags);
	if (fd < 0)
		return errno;
	f->fd = fd;
	struct p9_qid q = qid_of(r->s, &st);
	out_qid(r->o, &q);
	out_u32(r->o, 0); /* iounit: msize - 24 */
	return 0;
}

static int do_lcreate(struct p9_req *r)
{
	struct p9_fid *f = fid_get(r->s, in_u32(r->in));
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
	if (!name_ok(name))
		return EINVAL;
	ROFS_CHECK(r->s);
	if (f->fd >= 0)
		return EBUSY;
	path = path_join(f->path, name);
	if (path == NULL)
		return errno;
	flags = host_open_flags(pflags) & ~O_DIRECTORY;
	/* a new regular file, opened for I/O as it is made (O_EXCL: never through a symlink,
	 * never an existing device or FIFO) */
	fd = p9_openat2(r->s, path, flags | O_CREAT | O_EXCL | O_NOCTTY, mode & 0777);
	if (fd >= 0)
		owner_set(r->s, fd, "", f->uid, gid);
	if (fd < 0 && errno == EEXIST && !(pflags & P9_DOTL_EXCL)) {
		/* it exists: open it as Tlopen does (regular files only, never a symlink) */
		pfd = p9_openat2(r->s, path, O_PATH | O_NOFOLLOW, 0);
		if (pfd < 0 || fstat(pfd, &st) < 0)
			return errno;
		fd = reopen(pfd, &st, flags);
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
	struct p9_qid q = qid_of(r->s, &st);
	out_qid(r->o, &q);
	out_u32(r->o, 0);
	return 0;
}

static int do_read(struct p9_req *r)
{
	struct p9_fid *f = fid_get(r->s, in_u32(r->in));
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

static int do_write(struct p9_req *r)
{
	struct p9_fid *f = fid_get(r->s, in_u32(r->in));
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

static int do_readdir(struct p9_req *r)
{
	struct p9_fid *f = fid_get(r->s, in_u32(r->in));
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

static int do_getattr(struct p9_req *r)
{
	struct p9_fid *f = fid_get(r->s, in_u32(r->in));
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
		fd = open_nofollow(r->s, f->path, &st);
		if (fd < 0)
			return errno;
		close(fd);
	}
	struct p9_qid q = qid_of(r->s, &st);
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

static int do_setattr(struct p9_req *r)
{
	struct p9_fid *f = fid_get(r->s, in_u32(r->in));
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
	fd = open_nofollow(r->s, f->path, &st);
	if (fd < 0)
		return errno;
	proc_path(pp, fd);
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
			cleanup_close int dfd = open_parent(r->s, f->path, &base);
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
	if (!name_ok(name))
		return EINVAL;
	ROFS_CHECK(r->s);
	*dfd = open_dir(r->s, d->path);
	return *dfd < 0 ? errno : 0;
}

/* The qid of name in dfd, as the reply to a create-like request. */
static int reply_qid_at(struct p9_req *r, int dfd, const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno;
	struct p9_qid q = qid_of(r->s, &st);
	out_qid(r->o, &q);
	return 0;
}

static int do_mkdir(struct p9_req *r)
{
	struct p9_fid *d = fid_get(r->s, in_u32(r->in));
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
	owner_set(r->s, dfd, name, d->uid, gid);
	return reply_qid_at(r, dfd, name);
}

static int do_symlink(struct p9_req *r)
{
	struct p9_fid *d = fid_get(r->s, in_u32(r->in));
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
	owner_set(r->s, dfd, name, d->uid, gid);
	return reply_qid_at(r, dfd, name);
}

static int do_mknod(struct p9_req *r)
{
	struct p9_fid *d = fid_get(r->s, in_u32(r->in));
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
	owner_set(r->s, dfd, name, d->uid, gid);
	return reply_qid_at(r, dfd, name);
}

static int do_link(struct p9_req *r)
{
	struct p9_fid *d = fid_get(r->s, in_u32(r->in));
	struct p9_fid *f = fid_get(r->s, in_u32(r->in));
	char name[NAME_MAX + 1];
	cleanup_close int dfd = -1, sfd = -1;
	const char *base;
	int e;

	in_str(r->in, name, sizeof(name));
	if ((e = dir_and_name(r, d, name, &dfd)) != 0)
		return e;
	if (f == NULL)
		return EBADF;
	sfd = open_parent(r->s, f->path, &base);
	if (sfd < 0)
		return errno;
	if (linkat(sfd, base, dfd, name, 0) < 0) /* the name itself, not what it points to */
		return errno;
	return 0;
}

static int do_readlink(struct p9_req *r)
{
	struct p9_fid *f = fid_get(r->s, in_u32(r->in));
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;
	int fd;

	if (r->in->bad)
		return EINVAL;
	if (f == NULL)
		return EBADF;
	fd = open_nofollow(r->s, f->path, &st);
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

	if (!name_ok(name))
		return EINVAL;
	if (s->ro)
		return EROFS;
	ofd = open_parent(s, from, &base);
	if (ofd < 0)
		return errno;
	nfd = open_dir(s, todir);
	if (nfd < 0)
		return errno;
	to = path_join(todir, name);
	if (to == NULL)
		return errno;
	if (renameat(ofd, base, nfd, name) < 0)
		return errno;
	fids_renamed(s, from, to);
	return 0;
}

static int do_rename(struct p9_req *r)
{
	struct p9_fid *f = fid_get(r->s, in_u32(r->in));
	struct p9_fid *d = fid_get(r->s, in_u32(r->in));
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

static int do_renameat(struct p9_req *r)
{
	struct p9_fid *od = fid_get(r->s, in_u32(r->in));
	char oname[NAME_MAX + 1], nname[NAME_MAX + 1];
	struct p9_fid *nd;
	cleanup_free char *from = NULL, *todir = NULL;

	in_str(r->in, oname, sizeof(oname));
	nd = fid_get(r->s, in_u32(r->in));
	in_str(r->in, nname, sizeof(nname));
	if (r->in->bad)
		return EINVAL;
	if (od == NULL || nd == NULL)
		return EBADF;
	if (!name_ok(oname))
		return EINVAL;
	from = path_join(od->path, oname);
	if (from == NULL)
		return errno;
	todir = xstrdup(nd->path); /* fids_renamed may rewrite nd->path */
	return rename_paths(r->s, from, todir, nname);
}

static int do_unlinkat(struct p9_req *r)
{
	struct p9_fid *d = fid_get(r->s, in_u32(r->in));
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

static int do_statfs(struct p9_req *r)
{
	struct p9_fid *f = fid_get(r->s, in_u32(r->in));
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

static int do_fsync(struct p9_req *r)
{
	struct p9_fid *f = fid_get(r->s, in_u32(r->in));
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
static int do_lock(struct p9_req *r)
{
	struct p9_fid *f = fid_get(r->s, in_u32(r->in));
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

static int do_getlock(struct p9_req *r)
{
	struct p9_fid *f = fid_get(r->s, in_u32(r->in));
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
		e = do_lopen(&r);
		break;
	case P9_TLCREATE:
		e = do_lcreate(&r);
		break;
	case P9_TREAD:
		e = do_read(&r);
		break;
	case P9_TWRITE:
		e = do_write(&r);
		break;
	case P9_TREADDIR:
		e = do_readdir(&r);
		break;
	case P9_TGETATTR:
		e = do_getattr(&r);
		break;
	case P9_TSETATTR:
		e = do_setattr(&r);
		break;
	case P9_TMKDIR:
		e = do_mkdir(&r);
		break;
	case P9_TSYMLINK:
		e = do_symlink(&r);
		break;
	case P9_TMKNOD:
		e = do_mknod(&r);
		break;
	case P9_TLINK:
		e = do_link(&r);
		break;
	case P9_TREADLINK:
		e = do_readlink(&r);
		break;
	case P9_TRENAME:
		e = do_rename(&r);
		break;
	case P9_TRENAMEAT:
		e = do_renameat(&r);
		break;
	case P9_TUNLINKAT:
		e = do_unlinkat(&r);
		break;
	case P9_TSTATFS:
		e = do_statfs(&r);
		break;
	case P9_TFSYNC:
		e = do_fsync(&r);
		break;
	case P9_TLOCK:
		e = do_lock(&r);
		break;
	case P9_TGETLOCK:
		e = do_getlock(&r);
		break;
	case P9_TFLUSH:
		/* requests are served one at a time, to the end: nothing is in flight */
		e = in_take(&in, 2) == NULL ? EINVAL : 0;
		break;
	case P9_TXATTRWALK:
		e = do_xattrwalk(&r);
		break;
	case P9_TXATTRCREATE:
		e = do_xattrcreate(&r);
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
