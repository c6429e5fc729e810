/* SPDX-License-Identifier: MIT */
/* The 9P2000.L server's insides, shared by p9.c (messages, fids, paths inside the share,
 * version/attach/walk/clunk and the dispatch) and p9_fs.c (the file-system requests and
 * extended attributes). */
#ifndef BERTH_VM_P9_PRIV_H
#define BERTH_VM_P9_PRIV_H

#include "p9.h"
#include "util.h"

#include <endian.h>
#include <linux/limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

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

static inline const uint8_t *in_take(struct p9_in *in, size_t n)
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

static inline uint8_t in_u8(struct p9_in *in)
{
	const uint8_t *p = in_take(in, 1);
	return p != NULL ? *p : 0;
}

static inline uint16_t in_u16(struct p9_in *in)
{
	const uint8_t *p = in_take(in, 2);
	uint16_t v = 0;
	if (p != NULL)
		memcpy(&v, p, 2);
	return le16toh(v);
}

static inline uint32_t in_u32(struct p9_in *in)
{
	const uint8_t *p = in_take(in, 4);
	uint32_t v = 0;
	if (p != NULL)
		memcpy(&v, p, 4);
	return le32toh(v);
}

static inline uint64_t in_u64(struct p9_in *in)
{
	const uint8_t *p = in_take(in, 8);
	uint64_t v = 0;
	if (p != NULL)
		memcpy(&v, p, 8);
	return le64toh(v);
}

/* A string into buf (NUL-terminated); one longer than size-1 bytes or holding a NUL makes the
 * request bad (the caller answers EINVAL or ENAMETOOLONG through in->bad). */
static inline bool in_str(struct p9_in *in, char *buf, size_t size)
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

static inline void *out_take(struct p9_out *o, size_t n)
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

static inline void out_u8(struct p9_out *o, uint8_t v)
{
	uint8_t *p = out_take(o, 1);
	if (p != NULL)
		*p = v;
}

static inline void out_u16(struct p9_out *o, uint16_t v)
{
	uint8_t *p = out_take(o, 2);
	v = htole16(v);
	if (p != NULL)
		memcpy(p, &v, 2);
}

static inline void out_u32(struct p9_out *o, uint32_t v)
{
	uint8_t *p = out_take(o, 4);
	v = htole32(v);
	if (p != NULL)
		memcpy(p, &v, 4);
}

static inline void out_u64(struct p9_out *o, uint64_t v)
{
	uint8_t *p = out_take(o, 8);
	v = htole64(v);
	if (p != NULL)
		memcpy(p, &v, 8);
}

static inline void out_str(struct p9_out *o, const char *s, size_t n)
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

static inline void out_qid(struct p9_out *o, const struct p9_qid *q)
{
	out_u8(o, q->type);
	out_u32(o, q->version);
	out_u64(o, q->path);
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

/* p9.c: qids, fids and paths inside the share (each is described where it is defined) */
struct p9_qid p9_qid_of(const struct p9_server *s, const struct stat *st);
struct p9_fid *p9_fid_get(struct p9_server *s, uint32_t num);
struct p9_fid *p9_fid_new(struct p9_server *s, uint32_t num, char *path);
void p9_owner_set(const struct p9_server *s, int dfd, const char *name, uint32_t uid, uint32_t gid);
int p9_openat2(const struct p9_server *s, const char *path, int flags, mode_t mode);
bool p9_name_ok(const char *name);
char *p9_path_join(const char *parent, const char *name);
int p9_open_dir(const struct p9_server *s, const char *path);
int p9_open_parent(const struct p9_server *s, const char *path, const char **base);
int p9_open_nofollow(const struct p9_server *s, const char *path, struct stat *st);
void p9_proc_path(char buf[40], int fd);
void p9_fids_renamed(struct p9_server *s, const char *from, const char *to);
int p9_host_open_flags(uint32_t fl);
bool p9_writes(int flags);
int p9_reopen(int pathfd, const struct stat *st, int flags);

/* p9_fs.c: the requests (each reads its arguments from r->in, writes the reply body to r->o
 * and returns 0 or an errno for Rlerror), and a created xattr's commit at Tclunk */
int p9_do_xattrwalk(struct p9_req *r);
int p9_do_xattrcreate(struct p9_req *r);
int p9_xattr_commit(const struct p9_server *s, struct p9_fid *f);
int p9_do_lopen(struct p9_req *r);
int p9_do_lcreate(struct p9_req *r);
int p9_do_read(struct p9_req *r);
int p9_do_write(struct p9_req *r);
int p9_do_readdir(struct p9_req *r);
int p9_do_getattr(struct p9_req *r);
int p9_do_setattr(struct p9_req *r);
int p9_do_mkdir(struct p9_req *r);
int p9_do_symlink(struct p9_req *r);
int p9_do_mknod(struct p9_req *r);
int p9_do_link(struct p9_req *r);
int p9_do_readlink(struct p9_req *r);
int p9_do_rename(struct p9_req *r);
int p9_do_renameat(struct p9_req *r);
int p9_do_unlinkat(struct p9_req *r);
int p9_do_statfs(struct p9_req *r);
int p9_do_fsync(struct p9_req *r);
int p9_do_lock(struct p9_req *r);
int p9_do_getlock(struct p9_req *r);

#endif
