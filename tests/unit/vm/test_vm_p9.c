/* SPDX-License-Identifier: MIT */
/* The 9P2000.L server (src/vm/p9.c) on a temporary directory, driven with hand-built
 * messages like the Linux client sends; every effect and every refused escape is checked
 * from the host side. Layout: TMP/share is shared, TMP/outside must never be reached. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vm/p9.h"
#include "vm/machine.h"
#include "util.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

enum {
	TSTATFS = 8,
	TLOPEN = 12,
	TLCREATE = 14,
	TSYMLINK = 16,
	TMKNOD = 18,
	TRENAME = 20,
	TREADLINK = 22,
	TGETATTR = 24,
	TSETATTR = 26,
	TXATTRWALK = 30,
	TXATTRCREATE = 32,
	TREADDIR = 40,
	TFSYNC = 50,
	TLOCK = 52,
	TGETLOCK = 54,
	TLINK = 70,
	TMKDIR = 72,
	TRENAMEAT = 74,
	TUNLINKAT = 76,
	TVERSION = 100,
	TATTACH = 104,
	TFLUSH = 108,
	TWALK = 110,
	TREAD = 116,
	TWRITE = 118,
	TCLUNK = 120,
	RLERROR = 7,
};

#define ROOT 1 /* the attached fid */

struct t {
	char tmp[64], share[80], outside[80];
	struct p9_server *s;
	uint8_t req[70000], rep[70000];
	size_t qlen, rlen, roff;
};

static struct t *T;

/* --- building requests and reading replies ---------------------------------------- */

static void m_begin(uint8_t type)
{
	T->qlen = 7;
	T->req[4] = type;
	T->req[5] = 0x34;
	T->req[6] = 0x12;
}

static void m_bytes(const void *p, size_t n)
{
	assert_true(T->qlen + n <= sizeof(T->req));
	memcpy(T->req + T->qlen, p, n);
	T->qlen += n;
}

static void m8(uint8_t v)
{
	m_bytes(&v, 1);
}

static void m16(uint16_t v)
{
	v = htole16(v);
	m_bytes(&v, 2);
}

static void m32(uint32_t v)
{
	v = htole32(v);
	m_bytes(&v, 4);
}

static void m64(uint64_t v)
{
	v = htole64(v);
	m_bytes(&v, 8);
}

static void mstr(const char *s)
{
	m16((uint16_t)strlen(s));
	m_bytes(s, strlen(s));
}

static uint32_t r32_at(size_t off)
{
	uint32_t v;
	memcpy(&v, T->rep + off, 4);
	return le32toh(v);
}

/* Send the request; returns 0 for a success reply (type T+1), or the Rlerror errno. */
static int m_send(void)
{
	uint32_t size = htole32((uint32_t)T->qlen);
	uint8_t type = T->req[4];

	memcpy(T->req, &size, 4);
	T->rlen = p9_handle(T->s, T->req, T->qlen, T->rep, sizeof(T->rep));
	assert_true(T->rlen >= 7);
	assert_int_equal(r32_at(0), T->rlen);
	assert_int_equal(T->rep[5] | T->rep[6] << 8, 0x1234);
	T->roff = 7;
	if (T->rep[4] == RLERROR) {
		assert_int_equal(T->rlen, 11);
		assert_int_not_equal(r32_at(7), 0);
		return (int)r32_at(7);
	}
	assert_int_equal(T->rep[4], type + 1);
	return 0;
}

static int walk(uint32_t fid, uint32_t newfid, int n, const char *const *names)
{
	m_begin(TWALK);
	m32(fid);
	m32(newfid);
	m16((uint16_t)n);
	for (int i = 0; i < n; i++)
		mstr(names[i]);
	return m_send();
}

static int walk1(uint32_t fid, uint32_t newfid, const char *name)
{
	return walk(fid, newfid, 1, &name);
}

static uint16_t walk_nqid(void)
{
	return (uint16_t)(T->rep[7] | T->rep[8] << 8);
}

static int clunk(uint32_t fid)
{
	m_begin(TCLUNK);
	m32(fid);
	return m_send();
}

static int lopen(uint32_t fid, uint32_t flags)
{
	m_begin(TLOPEN);
	m32(fid);
	m32(flags);
	return m_send();
}

static int lcreate(uint32_t fid, const char *name, uint32_t flags, uint32_t mode)
{
	m_begin(TLCREATE);
	m32(fid);
	mstr(name);
	m32(flags);
	m32(mode);
	m32(0);
	return m_send();
}

/* Read up to count bytes at off into buf (NUL-terminated); returns the count or -errno. */
static int p9read(uint32_t fid, uint64_t off, uint32_t count, char *buf, size_t size)
{
	int e;
	m_begin(TREAD);
	m32(fid);
	m64(off);
	m32(count);
	if ((e = m_send()) != 0)
		return -e;
	uint32_t n = r32_at(7);
	assert_int_equal(T->rlen, 11 + n);
	assert_true(n < size);
	memcpy(buf, T->rep + 11, n);
	buf[n] = '\0';
	return (int)n;
}

static int p9write(uint32_t fid, uint64_t off, const char *data)
{
	m_begin(TWRITE);
	m32(fid);
	m64(off);
	m32((uint32_t)strlen(data));
	m_bytes(data, strlen(data));
	return m_send();
}

static int mkdir9(uint32_t dfid, const char *name, uint32_t mode)
{
	m_begin(TMKDIR);
	m32(dfid);
	mstr(name);
	m32(mode);
	m32(0);
	return m_send();
}

static int symlink9(uint32_t dfid, const char *name, const char *target)
{
	m_begin(TSYMLINK);
	m32(dfid);
	mstr(name);
	mstr(target);
	m32(0);
	return m_send();
}

static int renameat9(uint32_t od, const char *on, uint32_t nd, const char *nn)
{
	m_begin(TRENAMEAT);
	m32(od);
	mstr(on);
	m32(nd);
	mstr(nn);
	return m_send();
}

static int unlinkat9(uint32_t dfid, const char *name, uint32_t flags)
{
	m_begin(TUNLINKAT);
	m32(dfid);
	mstr(name);
	m32(flags);
	return m_send();
}

static int setattr_mode_size(uint32_t fid, uint32_t valid, uint32_t mode, uint64_t size)
{
	m_begin(TSETATTR);
	m32(fid);
	m32(valid);
	m32(mode);
	m32(0);
	m32(0);
	m64(size);
	for (int i = 0; i < 4; i++)
		m64(0);
	return m_send();
}

static uint64_t getattr_qid_path(uint32_t fid)
{
	m_begin(TGETATTR);
	m32(fid);
	m64(0x7ff);
	assert_int_equal(m_send(), 0);
	uint64_t v;
	memcpy(&v, T->rep + 7 + 8 + 5, 8);
	return le64toh(v);
}

/* --- fixture ----------------------------------------------------------------------- */

static char *hpath(char *buf, const char *dir, const char *rel)
{
	snprintf(buf, PATH_MAX, "%s/%s", dir, rel);
	return buf;
}

static void put_file(const char *dir, const char *rel, const char *content)
{
	char p[PATH_MAX];
	FILE *f = fopen(hpath(p, dir, rel), "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

/* the content of a host file, or "" when it does not exist */
static char *host_read(const char *dir, const char *rel)
{
	static char buf[4096];
	char p[PATH_MAX];
	int fd = open(hpath(p, dir, rel), O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : 0;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static bool host_exists(const char *dir, const char *rel)
{
	char p[PATH_MAX];
	struct stat st;
	return lstat(hpath(p, dir, rel), &st) == 0;
}

static void start(bool ro)
{
	berth_error_t err = NULL;
	T->s = p9_server_create(T->share, ro, &err);
	assert_non_null(T->s);
	m_begin(TVERSION);
	m32(65536);
	mstr("9P2000.L");
	assert_int_equal(m_send(), 0);
	assert_int_equal(r32_at(7), 65536);
	m_begin(TATTACH);
	m32(ROOT);
	m32(0xffffffff);
	mstr("root");
	mstr("");
	m32(0);
	assert_int_equal(m_send(), 0);
}

static int setup(void **state)
{
	(void)state;
	T = calloc(1, sizeof(*T));
	snprintf(T->tmp, sizeof(T->tmp), "/tmp/berth-p9.XXXXXX");
	assert_non_null(mkdtemp(T->tmp));
	snprintf(T->share, sizeof(T->share), "%s/share", T->tmp);
	snprintf(T->outside, sizeof(T->outside), "%s/outside", T->tmp);
	assert_int_equal(mkdir(T->share, 0755), 0);
	assert_int_equal(mkdir(T->outside, 0755), 0);
	put_file(T->share, "a.txt", "hello");
	put_file(T->outside, "secret", "SECRET");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	p9_server_destroy(T->s);
	assert_int_equal(util_rm_rf(T->tmp, NULL), 0);
	free(T);
	return 0;
}

/* --- tests ------------------------------------------------------------------------- */

static void test_read_write(void **state)
{
	(void)state;
	char buf[256];

	start(false);
	assert_int_equal(walk1(ROOT, 2, "a.txt"), 0);
	assert_int_equal(walk_nqid(), 1);
	assert_int_equal(lopen(2, 0), 0);
	assert_int_equal(p9read(2, 0, 100, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "hello");
	assert_int_equal(p9read(2, 3, 100, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "lo");
	assert_int_equal(lopen(2, 0), EBUSY);
	assert_int_equal(clunk(2), 0);
	assert_int_equal(clunk(2), EBADF);

	/* create + write: the host sees it; set-id bits never reach the host */
	assert_int_equal(walk(ROOT, 3, 0, NULL), 0);
	assert_int_equal(lcreate(3, "new.txt", 2, 06755), 0);
	assert_int_equal(p9write(3, 0, "written by the guest"), 0);
	assert_int_equal(r32_at(7), 20);
	assert_string_equal(host_read(T->share, "new.txt"), "written by the guest");
	char p[PATH_MAX];
	struct stat st;
	assert_int_equal(stat(hpath(p, T->share, "new.txt"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(lcreate(3, "again", 2, 0644), EBUSY);
	/* setattr: truncate and chmod (set-id stripped again) */
	assert_int_equal(setattr_mode_size(3, 1 | 8, 04600, 7), 0);
	assert_string_equal(host_read(T->share, "new.txt"), "written");
	assert_int_equal(stat(hpath(p, T->share, "new.txt"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	m_begin(TFSYNC);
	m32(3);
	m32(0);
	assert_int_equal(m_send(), 0);
	/* the walked fid's qid is the host inode */
	assert_int_equal(getattr_qid_path(3), st.st_ino);
	/* lopen with O_TRUNC empties it */
	assert_int_equal(walk1(ROOT, 4, "new.txt"), 0);
	assert_int_equal(lopen(4, 01000 | 1), 0);
	assert_string_equal(host_read(T->share, "new.txt"), "");
}

static void test_dirs(void **state)
{
	(void)state;
	char p[PATH_MAX], buf[64];
	struct stat st;

	start(false);
	assert_int_equal(mkdir9(ROOT, "d", 0750), 0);
	assert_int_equal(stat(hpath(p, T->share, "d"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(mkdir9(ROOT, "d", 0750), EEXIST);
	put_file(T->share, "d/f1", "1");
	put_file(T->share, "d/f2", "2");
	/* readdir: every entry, over several small replies */
	assert_int_equal(walk1(ROOT, 2, "d"), 0);
	assert_int_equal(lopen(2, 0), 0);
	uint64_t off = 0;
	int seen = 0, replies = 0;
	for (;;) {
		m_begin(TREADDIR);
		m32(2);
		m64(off);
		m32(40); /* room for one entry */
		assert_int_equal(m_send(), 0);
		uint32_t n = r32_at(7);
		if (n == 0)
			break;
		replies++;
		for (size_t pos = 11; pos < 11 + n;) {
			uint16_t nl = (uint16_t)(T->rep[pos + 22] | T->rep[pos + 23] << 8);
			memcpy(&off, T->rep + pos + 13, 8);
			off = le64toh(off);
			char name[256];
			memcpy(name, T->rep + pos + 24, nl);
			name[nl] = '\0';
			if (strcmp(name, "f1") == 0 || strcmp(name, "f2") == 0)
				seen++;
			pos += 24 + nl;
		}
		assert_true(replies < 100);
	}
	assert_int_equal(seen, 2);
	assert_int_equal(replies, 4); /* ., .., f1, f2 one at a time */

	/* rename a file into the directory; a fid below a renamed directory follows it */
	assert_int_equal(renameat9(ROOT, "a.txt", 2, "b.txt"), 0);
	assert_false(host_exists(T->share, "a.txt"));
	assert_string_equal(host_read(T->share, "d/b.txt"), "hello");
	assert_int_equal(walk1(2, 3, "b.txt"), 0);
	assert_int_equal(renameat9(ROOT, "d", ROOT, "e"), 0);
	assert_true(host_exists(T->share, "e/b.txt"));
	assert_int_equal(lopen(3, 0), 0);
	assert_int_equal(p9read(3, 0, 10, buf, sizeof(buf)), 5);
	/* Trename: fid 3 (e/b.txt) to the root as c.txt */
	m_begin(TRENAME);
	m32(3);
	m32(ROOT);
	mstr("c.txt");
	assert_int_equal(m_send(), 0);
	assert_string_equal(host_read(T->share, "c.txt"), "hello");
	assert_int_equal(getattr_qid_path(3), getattr_qid_path(3));

	/* symlink, readlink, link, unlink, rmdir */
	assert_int_equal(symlink9(ROOT, "ln", "c.txt"), 0);
	assert_int_equal(readlink(hpath(p, T->share, "ln"), buf, sizeof(buf)), 5);
	assert_int_equal(walk1(ROOT, 4, "ln"), 0);
	m_begin(TREADLINK);
	m32(4);
	assert_int_equal(m_send(), 0);
	assert_int_equal(T->rep[7], 5);
	assert_memory_equal(T->rep + 9, "c.txt", 5);
	assert_int_equal(walk1(ROOT, 5, "c.txt"), 0);
	m_begin(TLINK);
	m32(ROOT);
	m32(5);
	mstr("hard");
	assert_int_equal(m_send(), 0);
	assert_string_equal(host_read(T->share, "hard"), "hello");
	assert_int_equal(unlinkat9(ROOT, "c.txt", 0), 0);
	assert_false(host_exists(T->share, "c.txt"));
	assert_int_equal(unlinkat9(ROOT, "e", 0), EISDIR);
	assert_int_equal(unlinkat9(ROOT, "e", 0x200), ENOTEMPTY);
	assert_int_equal(unlinkat9(2, "f1", 0), 0);
	assert_int_equal(unlinkat9(2, "f2", 0), 0);
	assert_int_equal(unlinkat9(ROOT, "e", 0x200), 0);
	assert_false(host_exists(T->share, "e"));

	/* statfs, locks, xattrs, flush */
	m_begin(TSTATFS);
	m32(ROOT);
	assert_int_equal(m_send(), 0);
	assert_int_equal(r32_at(7), 0x01021997);
	m_begin(TLOCK);
	m32(ROOT);
	m8(1);
	m32(0);
	m64(0);
	m64(0);
	m32(1);
	mstr("client");
	assert_int_equal(m_send(), 0);
	assert_int_equal(T->rep[7], 0);
	m_begin(TGETLOCK);
	m32(ROOT);
	m8(1);
	m64(0);
	m64(10);
	m32(1);
	mstr("c");
	assert_int_equal(m_send(), 0);
	assert_int_equal(T->rep[7], 2);
	m_begin(TXATTRWALK);
	m32(ROOT);
	m32(9);
	mstr("user.x");
	assert_int_equal(m_send(), ENODATA);
	m_begin(TFLUSH);
	m16(1);
	assert_int_equal(m_send(), 0);
	m_begin(122); /* Tremove (9P2000.u) */
	m32(ROOT);
	assert_int_equal(m_send(), EOPNOTSUPP);
}

static void test_escapes(void **state)
{
	(void)state;
	char buf[256], p[PATH_MAX];
	struct stat st;
	const char *up[] = {"..", "..", "..", "..", "outside", "secret"};

	start(false);
	put_file(T->share, "etc-passwd-inside", "inside");
	/* `..` past the root stays at the root */
	/* a partial walk: four qids (the root each time), no new fid */
	assert_int_equal(walk(ROOT, 2, 6, up), 0);
	assert_int_equal(walk_nqid(), 4);
	assert_int_equal(clunk(2), EBADF);
	assert_int_equal(walk(ROOT, 2, 4, up), 0);
	assert_int_equal(getattr_qid_path(2), getattr_qid_path(ROOT));
	assert_int_equal(stat(T->share, &st), 0);
	assert_int_equal(getattr_qid_path(2), st.st_ino);
	/* a name with a slash is not a component */
	assert_int_equal(walk1(ROOT, 3, "../outside"), ENOENT);
	assert_int_equal(walk1(ROOT, 3, "/etc"), ENOENT);

	/* guest-made symlinks to host files: opened inside the share, never outside */
	snprintf(buf, sizeof(buf), "%s/secret", T->outside);
	assert_int_equal(symlink9(ROOT, "abs", buf), 0);
	assert_int_equal(symlink9(ROOT, "pw", "/etc/passwd"), 0);
	assert_int_equal(symlink9(ROOT, "rel", "../outside/secret"), 0);
	assert_int_equal(symlink9(ROOT, "dotdot", "../../../../../../.."), 0);
	const char *links[] = {"abs", "pw", "rel"};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(walk1(ROOT, 10, links[i]), 0);
		assert_int_equal(lopen(10, 0), ENOENT);
		assert_int_equal(lopen(10, 2), ENOENT);
		assert_int_equal(clunk(10), 0);
	}
	/* through a symlinked directory (to itself, inside the share: a loop) */
	assert_int_equal(symlink9(ROOT, "etc", "/etc"), 0);
	const char *via[] = {"etc", "passwd"};
	assert_int_equal(walk(ROOT, 10, 2, via), 0);
	assert_int_equal(walk_nqid(), 1); /* stopped at the second name */
	assert_int_equal(clunk(10), EBADF);
	const char *via2[] = {"dotdot", "outside", "secret"};
	assert_int_equal(walk(ROOT, 10, 3, via2), 0);
	assert_int_equal(walk_nqid(), 1);
	assert_int_equal(clunk(10), EBADF);
	/* the same name inside the share is what a symlink reaches */
	assert_int_equal(unlinkat9(ROOT, "etc", 0), 0);
	assert_int_equal(mkdir9(ROOT, "etc", 0755), 0);
	put_file(T->share, "etc/passwd", "share's passwd");
	assert_int_equal(walk1(ROOT, 11, "pw"), 0);
	assert_int_equal(lopen(11, 0), 0);
	assert_int_equal(p9read(11, 0, 100, buf, sizeof(buf)), 14);
	assert_string_equal(buf, "share's passwd");
	/* creating through a symlink (O_CREAT at a symlink) makes nothing outside */
	assert_int_equal(walk(ROOT, 12, 0, NULL), 0);
	assert_int_equal(lcreate(12, "rel", 2, 0644), ELOOP);
	assert_int_equal(walk(ROOT, 12, 0, NULL), EBADF); /* fid 12 still exists */
	assert_int_equal(clunk(12), 0);
	snprintf(buf, sizeof(buf), "%s/created", T->outside);
	assert_int_equal(symlink9(ROOT, "out", buf), 0);
	assert_int_equal(walk(ROOT, 12, 0, NULL), 0);
	assert_int_equal(lcreate(12, "out", 2, 0644), ELOOP);
	assert_false(host_exists(T->outside, "created"));
	/* setattr through a symlink fid changes the link, not the target */
	assert_int_equal(walk1(ROOT, 13, "abs"), 0);
	assert_int_equal(setattr_mode_size(13, 8, 0, 0), EINVAL);
	assert_int_equal(setattr_mode_size(13, 1, 0777, 0), 0);
	assert_string_equal(host_read(T->outside, "secret"), "SECRET");
	assert_int_equal(stat(hpath(p, T->outside, "secret"), &st), 0);
	assert_int_not_equal(st.st_mode & 0777, 0777);
	/* a hard link of a symlink fid links the symlink itself */
	m_begin(TLINK);
	m32(ROOT);
	m32(13);
	mstr("hard");
	assert_int_equal(m_send(), 0);
	assert_int_equal(lstat(hpath(p, T->share, "hard"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));

	/* names that are not one component: refused, nothing outside changes */
	assert_int_equal(mkdir9(ROOT, "../outside/x", 0755), EINVAL);
	assert_int_equal(mkdir9(ROOT, "..", 0755), EINVAL);
	assert_int_equal(renameat9(ROOT, "a.txt", ROOT, "../outside/a"), EINVAL);
	assert_int_equal(renameat9(ROOT, "../outside/secret", ROOT, "stolen"), EINVAL);
	assert_int_equal(unlinkat9(ROOT, "../outside/secret", 0), EINVAL);
	assert_int_equal(symlink9(ROOT, "a/b", "x"), EINVAL);
	assert_true(host_exists(T->outside, "secret"));
	assert_false(host_exists(T->outside, "x"));
	assert_false(host_exists(T->outside, "a"));

	/* device nodes are never made */
	m_begin(TMKNOD);
	m32(ROOT);
	mstr("sda");
	m32(S_IFBLK | 0600);
	m32(8);
	m32(0);
	m32(0);
	assert_int_equal(m_send(), EPERM);
	assert_false(host_exists(T->share, "sda"));
	m_begin(TMKNOD);
	m32(ROOT);
	mstr("fifo");
	m32(S_IFIFO | 0600);
	m32(0);
	m32(0);
	m32(0);
	assert_int_equal(m_send(), 0);
	/* ... and a FIFO is not opened (it would block the hart) */
	assert_int_equal(walk1(ROOT, 14, "fifo"), 0);
	assert_int_equal(lopen(14, 0), EPERM);
	assert_int_equal(walk(ROOT, 15, 0, NULL), 0);
	assert_int_equal(lcreate(15, "fifo", 2, 0644), EPERM);
	/* an existing file: opened (not truncated) unless the guest asks for O_EXCL */
	assert_int_equal(lcreate(15, "etc-passwd-inside", 0200 | 2, 0644), EEXIST);
	assert_int_equal(lcreate(15, "etc-passwd-inside", 2, 0644), 0);
	assert_string_equal(host_read(T->share, "etc-passwd-inside"), "inside");
}

/* A directory the guest walked into, then moved out of the share by the host: the fid does
 * not follow it out. */
static void test_moved_out(void **state)
{
	(void)state;
	char a[PATH_MAX], b[PATH_MAX];

	start(false);
	assert_int_equal(mkdir(hpath(a, T->share, "d"), 0755), 0);
	assert_int_equal(walk1(ROOT, 2, "d"), 0);
	assert_int_equal(rename(hpath(a, T->share, "d"), hpath(b, T->outside, "d")), 0);
	put_file(T->outside, "d/secret", "SECRET");
	assert_int_equal(walk1(2, 3, "secret"), ENOENT);
	assert_int_equal(lopen(2, 0), ENOENT);
	assert_int_equal(mkdir9(2, "new", 0755), ENOENT);
	assert_false(host_exists(T->outside, "d/new"));
	m_begin(TGETATTR);
	m32(2);
	m64(0x7ff);
	assert_int_equal(m_send(), ENOENT);
}

static void test_read_only(void **state)
{
	(void)state;
	char buf[64];

	start(true);
	assert_int_equal(walk1(ROOT, 2, "a.txt"), 0);
	assert_int_equal(lopen(2, 1), EROFS);
	assert_int_equal(lopen(2, 2), EROFS);
	assert_int_equal(lopen(2, 01000), EROFS);
	assert_int_equal(setattr_mode_size(2, 8, 0, 0), EROFS);
	assert_int_equal(setattr_mode_size(2, 1, 0777, 0), EROFS);
	assert_int_equal(lopen(2, 0), 0);
	assert_int_equal(p9read(2, 0, 10, buf, sizeof(buf)), 5);
	assert_int_equal(p9write(2, 0, "x"), EROFS);
	assert_int_equal(walk(ROOT, 3, 0, NULL), 0);
	assert_int_equal(lcreate(3, "n", 2, 0644), EROFS);
	assert_int_equal(mkdir9(ROOT, "d", 0755), EROFS);
	assert_int_equal(symlink9(ROOT, "s", "a.txt"), EROFS);
	assert_int_equal(renameat9(ROOT, "a.txt", ROOT, "b"), EROFS);
	assert_int_equal(unlinkat9(ROOT, "a.txt", 0), EROFS);
	m_begin(TLINK);
	m32(ROOT);
	m32(2);
	mstr("l");
	assert_int_equal(m_send(), EROFS);
	m_begin(TMKNOD);
	m32(ROOT);
	mstr("f");
	m32(S_IFIFO | 0600);
	m32(0);
	m32(0);
	m32(0);
	assert_int_equal(m_send(), EROFS);
	assert_string_equal(host_read(T->share, "a.txt"), "hello");
	assert_false(host_exists(T->share, "n"));
	assert_false(host_exists(T->share, "d"));
	assert_false(host_exists(T->share, "b"));
}

static int xattrwalk(uint32_t fid, uint32_t newfid, const char *name, uint64_t *size)
{
	int e;
	m_begin(TXATTRWALK);
	m32(fid);
	m32(newfid);
	mstr(name);
	if ((e = m_send()) != 0)
		return e;
	assert_int_equal(T->rlen, 15);
	memcpy(size, T->rep + 7, 8);
	*size = le64toh(*size);
	return 0;
}

static int xattrcreate(uint32_t fid, const char *name, uint64_t size, uint32_t flags)
{
	m_begin(TXATTRCREATE);
	m32(fid);
	mstr(name);
	m64(size);
	m32(flags);
	return m_send();
}

/* user.* attributes: listed (only they), read, created, replaced, removed; other namespaces,
 * oversized values, writes out of order and past the announced size refused; a symlink's
 * target outside the share is never reached. */
static void test_xattr(void **state)
{
	(void)state;
	char p[PATH_MAX], buf[256];
	uint64_t size;
	ssize_t n;

	assert_int_equal(setxattr(hpath(p, T->share, "a.txt"), "user.a", "va", 2, 0), 0);
	assert_int_equal(setxattr(p, "trusted.t", "tt", 2, 0), 0);
	assert_int_equal(setxattr(hpath(p, T->outside, "secret"), "user.s", "SECRET", 6, 0), 0);
	assert_int_equal(symlink("../outside/secret", hpath(p, T->share, "ln")), 0);
	start(false);
	assert_int_equal(walk1(ROOT, 2, "a.txt"), 0);
	/* the list: user.a only */
	assert_int_equal(xattrwalk(2, 3, "", &size), 0);
	assert_int_equal(size, 7);
	assert_int_equal(p9read(3, 0, 100, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "user.a");
	assert_int_equal(clunk(3), 0);
	/* a value, read in pieces */
	assert_int_equal(xattrwalk(2, 3, "user.a", &size), 0);
	assert_int_equal(size, 2);
	assert_int_equal(p9read(3, 1, 100, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "a");
	assert_int_equal(p9read(3, 0, 100, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "va");
	assert_int_equal(p9read(3, 3, 100, buf, sizeof(buf)), -EINVAL);
	/* an attribute fid is no file: no walk, open, create, write */
	assert_int_equal(walk1(3, 4, "x"), EBADF);
	assert_int_equal(lopen(3, 0), EBADF);
	assert_int_equal(p9write(3, 0, "x"), EBADF);
	assert_int_equal(xattrwalk(3, 4, "", &size), EBADF);
	assert_int_equal(clunk(3), 0);
	/* other namespaces, missing ones, the same fid */
	assert_int_equal(xattrwalk(2, 3, "trusted.t", &size), EOPNOTSUPP);
	assert_int_equal(xattrwalk(2, 3, "security.selinux", &size), EOPNOTSUPP);
	assert_int_equal(xattrwalk(2, 3, "system.posix_acl_access", &size), EOPNOTSUPP);
	assert_int_equal(xattrwalk(2, 3, "user.", &size), EOPNOTSUPP);
	assert_int_equal(xattrwalk(2, 3, "user.none", &size), ENODATA);
	assert_int_equal(xattrwalk(2, 2, "user.a", &size), EINVAL);
	assert_int_equal(xattrwalk(77, 3, "user.a", &size), EBADF);
	/* create: the value in order, set at clunk */
	assert_int_equal(walk(2, 4, 0, NULL), 0);
	assert_int_equal(xattrcreate(4, "user.new", 5, 0), 0);
	assert_int_equal(p9write(4, 0, "hel"), 0);
	assert_int_equal(p9write(4, 0, "hel"), EINVAL); /* out of order */
	assert_int_equal(p9write(4, 3, "lo!"), EINVAL); /* past the size */
	assert_int_equal(p9write(4, 3, "lo"), 0);
	assert_int_equal(p9read(4, 0, 10, buf, sizeof(buf)), -EBADF);
	assert_int_equal(clunk(4), 0);
	n = getxattr(hpath(p, T->share, "a.txt"), "user.new", buf, sizeof(buf));
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "hello", 5);
	/* a value shorter than announced is not set */
	assert_int_equal(walk(2, 4, 0, NULL), 0);
	assert_int_equal(xattrcreate(4, "user.short", 5, 0), 0);
	assert_int_equal(p9write(4, 0, "he"), 0);
	assert_int_equal(clunk(4), EINVAL);
	assert_true(getxattr(p, "user.short", buf, sizeof(buf)) < 0);
	/* XATTR_CREATE on an existing one fails at clunk */
	assert_int_equal(walk(2, 4, 0, NULL), 0);
	assert_int_equal(xattrcreate(4, "user.a", 1, XATTR_CREATE), 0);
	assert_int_equal(p9write(4, 0, "x"), 0);
	assert_int_equal(clunk(4), EEXIST);
	/* refused before anything */
	assert_int_equal(walk(2, 4, 0, NULL), 0);
	assert_int_equal(xattrcreate(4, "trusted.x", 1, 0), EOPNOTSUPP);
	assert_int_equal(xattrcreate(4, "security.x", 1, 0), EOPNOTSUPP);
	assert_int_equal(xattrcreate(4, "user.big", 65537, 0), E2BIG);
	assert_int_equal(xattrcreate(4, "user.big", UINT64_MAX, 0), E2BIG);
	assert_int_equal(xattrcreate(4, "user.f", 1, 0x10), EINVAL);
	/* size 0 with XATTR_REPLACE removes (as the Linux client's removexattr sends) */
	assert_int_equal(xattrcreate(4, "user.a", 0, XATTR_REPLACE), 0);
	assert_int_equal(clunk(4), 0);
	assert_true(getxattr(p, "user.a", buf, sizeof(buf)) < 0);
	assert_int_equal(errno, ENODATA);
	n = getxattr(p, "trusted.t", buf, sizeof(buf));
	assert_int_equal(n, 2);
	/* a symlink to a file outside: its own attributes, never the target's */
	assert_int_equal(walk1(ROOT, 5, "ln"), 0);
	assert_int_equal(xattrwalk(5, 6, "user.s", &size), ENODATA);
	assert_int_equal(xattrwalk(5, 6, "", &size), 0);
	assert_int_equal(size, 0);
	assert_int_equal(clunk(6), 0);
	assert_int_equal(xattrcreate(5, "user.s", 1, 0), 0);
	assert_int_equal(p9write(5, 0, "X"), 0);
	assert_int_not_equal(clunk(5), 0); /* user.* on a symlink: EPERM */
	n = getxattr(hpath(p, T->outside, "secret"), "user.s", buf, sizeof(buf));
	assert_int_equal(n, 6);
	assert_memory_equal(buf, "SECRET", 6);
	/* a name too long */
	{
		char lname[400];
		memset(lname, 'a', sizeof(lname) - 1);
		lname[sizeof(lname) - 1] = '\0';
		memcpy(lname, "user.", 5);
		assert_int_equal(xattrwalk(2, 3, lname, &size), ERANGE);
		assert_int_equal(xattrcreate(2, lname, 1, 0), ERANGE);
	}
	/* fids are bounded as everywhere: a walk fid that exists is refused */
	assert_int_equal(xattrwalk(2, ROOT, "", &size), EBADF);
}

static void test_xattr_ro(void **state)
{
	(void)state;
	char p[PATH_MAX], buf[16];
	uint64_t size;

	assert_int_equal(setxattr(hpath(p, T->share, "a.txt"), "user.a", "va", 2, 0), 0);
	start(true);
	assert_int_equal(walk1(ROOT, 2, "a.txt"), 0);
	assert_int_equal(xattrwalk(2, 3, "user.a", &size), 0);
	assert_int_equal(p9read(3, 0, 10, buf, sizeof(buf)), 2);
	assert_int_equal(xattrcreate(2, "user.b", 1, 0), EROFS);
	assert_int_equal(xattrcreate(2, "user.a", 0, XATTR_REPLACE), EROFS);
	assert_int_equal(getxattr(p, "user.a", buf, sizeof(buf)), 2);
}

static void test_hostile(void **state)
{
	(void)state;
	uint8_t tiny[16];

	start(false);
	/* a size field larger than the message, or than msize; a message cut short */
	m_begin(TCLUNK);
	m32(ROOT);
	uint32_t big = htole32(100);
	memcpy(T->req, &big, 4);
	T->rlen = p9_handle(T->s, T->req, T->qlen, T->rep, sizeof(T->rep));
	assert_int_equal(T->rep[4], RLERROR);
	assert_int_equal(p9_handle(T->s, T->req, 3, T->rep, sizeof(T->rep)), 11);
	assert_int_equal(T->rep[4], RLERROR);
	m_begin(TWALK); /* fid only */
	m32(ROOT);
	assert_int_equal(m_send(), EINVAL);
	/* a string longer than the message */
	m_begin(TMKDIR);
	m32(ROOT);
	m16(60000);
	m_bytes("abc", 3);
	assert_int_equal(m_send(), EINVAL);
	/* a name with a NUL in it */
	m_begin(TMKDIR);
	m32(ROOT);
	m16(3);
	m_bytes("a\0b", 3);
	m32(0755);
	m32(0);
	assert_int_equal(m_send(), EINVAL);
	/* too many walk elements */
	const char *many[17];
	for (int i = 0; i < 17; i++)
		many[i] = ".";
	assert_int_equal(walk(ROOT, 2, 17, many), EINVAL);
	assert_int_equal(walk(ROOT, 2, 16, many), 0);
	/* a walk to a fid in use, an unknown fid, NOFID */
	assert_int_equal(walk(ROOT, 2, 0, NULL), EBADF);
	assert_int_equal(walk(77, 3, 0, NULL), EBADF);
	assert_int_equal(walk(ROOT, 0xffffffff, 0, NULL), EMFILE);
	/* a write whose count runs past the message */
	m_begin(TWRITE);
	m32(ROOT);
	m64(0);
	m32(1000);
	m_bytes("abc", 3);
	assert_int_equal(m_send(), EINVAL);
	/* reads bounded by the reply buffer */
	put_file(T->share, "big", "0123456789012345678901234567890123456789");
	assert_int_equal(walk1(ROOT, 5, "big"), 0);
	assert_int_equal(lopen(5, 0), 0);
	m_begin(TREAD);
	m32(5);
	m64(0);
	m32(0xffffffff);
	uint32_t size = htole32((uint32_t)T->qlen);
	memcpy(T->req, &size, 4);
	assert_int_equal(p9_handle(T->s, T->req, T->qlen, tiny, sizeof(tiny)), 16);
	assert_int_equal(tiny[4], TREAD + 1);
	assert_int_equal(tiny[7], 5);
	m_begin(TREAD);
	m32(5);
	m64(UINT64_MAX);
	m32(10);
	assert_int_equal(m_send(), EINVAL);
	/* no room even for Rlerror */
	assert_int_equal(p9_handle(T->s, T->req, T->qlen, tiny, 10), 0);
	/* a reply that does not fit becomes Rlerror ERANGE */
	m_begin(TGETATTR);
	m32(ROOT);
	m64(0x7ff);
	size = htole32((uint32_t)T->qlen);
	memcpy(T->req, &size, 4);
	assert_int_equal(p9_handle(T->s, T->req, T->qlen, tiny, sizeof(tiny)), 11);
	assert_int_equal(tiny[4], RLERROR);
	assert_int_equal(tiny[7], ERANGE);
	/* the fid table is bounded */
	int e = 0;
	for (uint32_t i = 100; i < 100 + P9_MAX_FIDS + 10 && e == 0; i++)
		e = walk(ROOT, i, 0, NULL);
	assert_int_equal(e, EMFILE);
	/* a version resets every fid; a too small msize is refused */
	m_begin(TVERSION);
	m32(100);
	mstr("9P2000.L");
	assert_int_equal(m_send(), EINVAL);
	m_begin(TVERSION);
	m32(1u << 30);
	mstr("9P2000.u");
	assert_int_equal(m_send(), 0);
	assert_int_equal(r32_at(7), P9_MAX_MSIZE);
	assert_int_equal(T->rep[11], 7); /* "unknown" */
	assert_int_equal(walk(ROOT, 2, 0, NULL), EBADF);
}

/* What a user's requests make is that user's, with the request's group (as root) */
static void test_owners(void **state)
{
	(void)state;
	char p[PATH_MAX];
	struct stat st;

	if (geteuid() != 0)
		skip();
	start(false);
	/* a second attach, as Linux's access=user makes for uid 1000 */
	m_begin(TATTACH);
	m32(20);
	m32(0xffffffff);
	mstr("");
	mstr("");
	m32(1000);
	assert_int_equal(m_send(), 0);
	assert_int_equal(walk(20, 21, 0, NULL), 0);
	m_begin(TLCREATE);
	m32(21);
	mstr("mine");
	m32(2);
	m32(0600);
	m32(1001);
	assert_int_equal(m_send(), 0);
	assert_int_equal(stat(hpath(p, T->share, "mine"), &st), 0);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1001);
	m_begin(TMKDIR);
	m32(20);
	mstr("dir");
	m32(0700);
	m32(1001);
	assert_int_equal(m_send(), 0);
	assert_int_equal(stat(hpath(p, T->share, "dir"), &st), 0);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1001);
	/* a walked fid keeps its attach's user */
	assert_int_equal(walk1(20, 22, "dir"), 0);
	m_begin(TSYMLINK);
	m32(22);
	mstr("ln");
	mstr("/nowhere");
	m32(1001);
	assert_int_equal(m_send(), 0);
	assert_int_equal(lstat(hpath(p, T->share, "dir/ln"), &st), 0);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1001);
	/* root's attach makes root's files */
	assert_int_equal(mkdir9(ROOT, "rootdir", 0755), 0);
	assert_int_equal(stat(hpath(p, T->share, "rootdir"), &st), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_gid, 0);
}

static void test_parse_share(void **state)
{
	(void)state;
	struct vm_share sh;
	berth_error_t err = NULL;

	assert_int_equal(vm_parse_share("/srv/data:data", &sh, &err), 0);
	assert_string_equal(sh.dir, "/srv/data");
	assert_string_equal(sh.tag, "data");
	assert_false(sh.ro);
	free((char *)sh.dir);
	assert_int_equal(vm_parse_share("/a:b,,c:t-1.x,ro", &sh, &err), 0);
	assert_string_equal(sh.dir, "/a:b,c");
	assert_string_equal(sh.tag, "t-1.x");
	assert_true(sh.ro);
	free((char *)sh.dir);
	const char *bad[] = {
	    "",
	    "dir",
	    ":tag",
	    "dir:",
	    "dir:a b",
	    "dir:tag,rw",
	    "dir:t/x",
	    "dir:tag,",
	    "dir:0123456789012345678901234567890123456789012345678901234567890123456789"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vm_parse_share(bad[i], &sh, &err), -1);
		assert_non_null(err);
		assert_non_null(strstr(err->msg, "--share"));
		berth_error_release(&err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_read_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dirs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_escapes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_moved_out, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_xattr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_xattr_ro, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_owners, setup, teardown),
	    cmocka_unit_test(test_parse_share),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
