/* SPDX-License-Identifier: MIT */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <linux/memfd.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdarg.h>
#include <ctype.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

void *xmalloc0(size_t size)
{
	void *p = calloc(1, size ? size : 1);
	if (p == NULL)
		abort();
	return p;
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (p == NULL)
		abort();
	return p;
}

char *xstrdup(const char *s)
{
	char *r;
	if (s == NULL)
		return NULL;
	r = strdup(s);
	if (r == NULL)
		abort();
	return r;
}

char *xasprintf(const char *fmt, ...)
{
	char *r;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&r, fmt, ap) < 0)
		abort();
	va_end(ap);
	return r;
}

int util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t util_read_all(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int util_read_fd(int fd, const char *what, char **out, size_t *len, berth_error_t *err)
{
	size_t cap = 4096, n = 0;
	const size_t max = 64u << 20;
	cleanup_free char *buf = xmalloc0(cap);

	for (;;) {
		ssize_t r;
		if (n + 1 >= cap) {
			if (cap >= max)
				return berth_error(err, EFBIG, "read `%s`", what);
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return berth_error(err, errno, "read `%s`", what);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	*out = util_steal_ptr(buf);
	return 0;
}

int util_read_file(const char *path, char **out, size_t *len, berth_error_t *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_error(err, errno, "open `%s`", path);
	return util_read_fd(fd, path, out, len, err);
}

int util_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                           berth_error_t *err)
{
	cleanup_free char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int r;

	if (fd < 0)
		return berth_error(err, errno, "open `%s`", tmp);
	r = util_write_all(fd, data, len);
	if (r < 0) {
		int e = r < 0 ? -r : errno;
		unlink(tmp);
		return berth_error(err, e, "write `%s`", tmp);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return berth_error(err, e, "rename `%s` to `%s`", tmp, path);
	}
	return 0;
}

int util_write_file_at(int dirfd, const char *name, const char *data, berth_error_t *err)
{
	cleanup_close int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	int r;
	if (fd < 0)
		return berth_error(err, errno, "open `%s`", name);
	r = util_write_all(fd, data, strlen(data));
	if (r < 0)
		return berth_error(err, -r, "write `%s` to `%s`", data, name);
	return 0;
}

int util_write_file(const char *path, const char *data, berth_error_t *err)
{
	return util_write_file_at(AT_FDCWD, path, data, err);
}

int util_mkdir_p(const char *path, mode_t mode, berth_error_t *err)
{
	cleanup_free char *p = NULL;
	char *s;

	/* most often there already, or only the last is missing: one call */
	if (mkdir(path, mode) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return berth_error(err, errno, "mkdir `%s`", path);
	p = xstrdup(path);
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return berth_error(err, errno, "mkdir `%s`", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return berth_error(err, errno, "mkdir `%s`", p);
	return 0;
}

static int util_rm_rf_at(int parent, const char *name, dev_t dev, berth_error_t *err)
{
	struct stat st;
	int fd;
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : berth_error(err, errno, "stat `%s`", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
			return berth_error(err, errno, "unlink `%s`", name);
		return 0;
	}
	if (st.st_dev != dev)
		return berth_error(err, EBUSY, "remove `%s`: a mount point", name);
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error(err, errno, "open `%s`", name);
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return berth_error(err, errno, "opendir `%s`", name);
	}
	while (ret == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		/* what the directory says is no directory is unlinked without a stat */
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) {
			if (unlinkat(dirfd(d), de->d_name, 0) == 0 || errno == ENOENT)
				continue;
			if (errno != EISDIR) { /* EISDIR: replaced by a directory since */
				ret = berth_error(err, errno, "unlink `%s`", de->d_name);
				break;
			}
		}
		ret = util_rm_rf_at(dirfd(d), de->d_name, dev, err);
	}
	closedir(d);
	if (ret == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return berth_error(err, errno, "rmdir `%s`", name);
	return ret;
}

int util_rm_rf(const char *path, berth_error_t *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : berth_error(err, errno, "stat `%s`", path);
	return util_rm_rf_at(AT_FDCWD, path, st.st_dev, err);
}

/* ---- paths inside a root ---- */

static int util_openat2(int dirfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
	    .flags = (unsigned long long)flags,
	    .mode = (flags & (O_CREAT | __O_TMPFILE)) ? mode : 0,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long r;
	do
		r = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	while (r < 0 && errno == EAGAIN);
	return (int)r;
}

int util_open_in_root(int rootfd, const char *path, int flags, mode_t mode, berth_error_t *err)
{
	int fd;
	while (*path == '/')
		path++;
	fd = util_openat2(rootfd, *path ? path : ".", flags | O_CLOEXEC, mode);
	if (fd < 0)
		return berth_error(err, errno, "open `/%s` inside the root", path);
	return fd;
}

/* Follow a dangling symlink `name` in directory `cur` (whose path inside the root is
 * `parent`): the new path to resolve is its target, then `rest`. NULL if not a symlink. */
static char *util_retarget_link(int cur, const char *parent, const char *name, const char *rest)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(cur, name, target, sizeof(target) - 1);
	if (n < 0)
		return NULL;
	target[n] = '\0';
	if (target[0] == '/')
		return xasprintf("%s/%s", target, rest);
	return xasprintf("%s/%s/%s", parent, target, rest);
}

int util_create_in_root(int rootfd, const char *path, bool dir, mode_t mode, berth_error_t *err)
{
	cleanup_free char *want = xstrdup(path);
	int hops;

	for (hops = 0; hops < 40; hops++) {
		cleanup_free char *p = xstrdup(want);
		cleanup_free char *prefix = xstrdup("");
		cleanup_close int cur =
		    util_openat2(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
		char *comp, *save = NULL, *retarget = NULL;

		if (cur < 0)
			return berth_error(err, errno, "open the root");
		for (comp = strtok_r(p, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
			bool last = true;
			char *np;
			int nfd, oflags;

			for (char *q = save; q && *q; q++)
				if (*q != '/') {
					last = false;
					break;
				}
			oflags = O_PATH | O_CLOEXEC | ((last && !dir) ? 0 : O_DIRECTORY);
			np = xasprintf("%s/%s", prefix, comp);
			nfd = util_openat2(rootfd, np + 1, oflags, 0);
			if (nfd < 0 && errno == ENOENT) {
				struct stat st;
				if (strcmp(comp, "..") == 0 || strcmp(comp, ".") == 0) {
					free(np);
					return berth_error(err, ENOENT,
					                   "resolve `%s` inside the root", path);
				}
				if (fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISLNK(st.st_mode)) {
					retarget =
					    util_retarget_link(cur, prefix, comp, save ? save : "");
					free(np);
					break;
				}
				if (last && !dir) {
					int f = openat(cur, comp,
					               O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW |
					                   O_CLOEXEC,
					               mode);
					if (f >= 0)
						close(f);
					else if (errno != EEXIST) {
						berth_error(err, errno,
						            "create `%s` inside the root", np);
						free(np);
						return -1;
					}
				} else if (mkdirat(cur, comp, mode) < 0 && errno != EEXIST) {
					berth_error(err, errno, "mkdir `%s` inside the root", np);
					free(np);
					return -1;
				}
				nfd = util_openat2(rootfd, np + 1, oflags, 0);
			}
			free(prefix);
			prefix = np;
			if (nfd < 0)
				return berth_error(err, errno, "resolve `%s` inside the root",
				                   prefix);
			close(cur);
			cur = nfd;
		}
		if (retarget == NULL)
			return util_steal_fd(cur);
		free(want);
		want = retarget;
	}
	return berth_error(err, ELOOP, "resolve `%s` inside the root", path);
}

int util_mkdir_in_root(int rootfd, const char *path, mode_t mode, berth_error_t *err)
{
	return util_create_in_root(rootfd, path, true, mode, err);
}

void util_fd_path(int fd, char buf[static 32])
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

/* ---- signals ---- */

static const struct {
	const char *name;
	int num;
} util_signals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},     {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},   {"IOT", SIGIOT},   {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL},   {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},   {"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},   {"CLD", SIGCHLD},  {"CONT", SIGCONT},
    {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},
    {"URG", SIGURG},       {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF},     {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"POLL", SIGPOLL},
    {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

int util_parse_signal(const char *s)
{
	char *end;
	long n;

	if (s == NULL || *s == '\0')
		return -1;
	if (*s >= '0' && *s <= '9') {
		errno = 0;
		n = strtol(s, &end, 10);
		if (errno || *end || n <= 0 || n >= NSIG)
			return -1;
		return (int)n;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
		int base = strncasecmp(s, "RTMIN", 5) == 0 ? SIGRTMIN : SIGRTMAX;
		int sign = base == SIGRTMIN ? 1 : -1;
		if (s[5] == '\0')
			return base;
		if (s[5] != (sign > 0 ? '+' : '-'))
			return -1;
		n = strtol(s + 6, &end, 10);
		if (*end || n < 0 || base + sign * n < SIGRTMIN || base + sign * n > SIGRTMAX)
			return -1;
		return (int)(base + sign * n);
	}
	for (size_t i = 0; i < ARRAY_SIZE(util_signals); i++)
		if (strcasecmp(s, util_signals[i].name) == 0)
			return util_signals[i].num;
	return -1;
}

/* ---- fds ---- */

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

void util_close_fds_from(int from)
{
	if (syscall(SYS_close_range, from, ~0U, 0) == 0)
		return;
	for (int fd = from; fd < 65536; fd++)
		close(fd);
}

static int util_int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int util_close_fds_except(int from, const int *keep, size_t n)
{
	int sorted[64];
	size_t m = 0;
	int lo = from;

	if (n > ARRAY_SIZE(sorted))
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		if (keep[i] >= from)
			sorted[m++] = keep[i];
	qsort(sorted, m, sizeof(int), util_int_cmp);
	/* close_range(2) over each gap between the fds to keep */
	for (size_t i = 0; i <= m; i++) {
		unsigned int hi = i < m ? (unsigned int)sorted[i] - 1 : ~0U;
		if (i < m && sorted[i] < lo) /* a duplicate */
			continue;
		if (i == m || sorted[i] > lo)
			if (syscall(SYS_close_range, (unsigned int)lo, hi, 0) < 0)
				return -errno;
		if (i < m)
			lo = sorted[i] + 1;
	}
	return 0;
}

int util_cloexec_fds_from(int from)
{
	DIR *d;
	struct dirent *de;

	if (syscall(SYS_close_range, from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	d = opendir("/proc/self/fd");
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		int fd = atoi(de->d_name);
		if (de->d_name[0] == '.' || fd < from || fd == dirfd(d))
			continue;
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	closedir(d);
	return 0;
}

long long util_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* How much of the executable open at fd (size bytes) a copy needs to run: up to the end of
 * the furthest segment its program headers name. What follows (symbols, debug sections,
 * the section headers) is for debuggers and is most of a -g build: 0.9 of berth's 3.6 MB
 * are segments. size when the header is not one this process can read. */
static off_t util_exec_size(int fd, off_t size)
{
	ElfW(Ehdr) eh;
	off_t end;

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_phentsize != sizeof(ElfW(Phdr)) ||
	    eh.e_phnum == 0 || eh.e_phnum > 128)
		return size;
	end = (off_t)(eh.e_phoff + eh.e_phnum * sizeof(ElfW(Phdr)));
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		ElfW(Phdr) ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			return size;
		if ((off_t)(ph.p_offset + ph.p_filesz) > end)
			end = (off_t)(ph.p_offset + ph.p_filesz);
	}
	return end < size ? end : size;
}

/* The first len bytes of the executable self copied to mfd; a shortened copy's ELF header
 * names no section headers (they were after the segments). */
static int util_exec_copy(int mfd, int self, off_t len, bool shortened)
{
	for (off_t off = 0; off < len;) {
		ssize_t n = sendfile(mfd, self, &off, (size_t)(len - off));
		if (n <= 0)
			return -1;
	}
	if (shortened) {
		ElfW(Ehdr) eh;
		if (pread(mfd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
			return -1;
		eh.e_shoff = 0;
		eh.e_shnum = 0;
		eh.e_shstrndx = SHN_UNDEF;
		if (pwrite(mfd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
			return -1;
	}
	return 0;
}

void util_exec_sealed_self(const char *name, const char *self_env, char **argv)
{
	const int seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	extern char **environ;
	cleanup_close int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	cleanup_close int mfd = -1;
	struct stat st;
	off_t len;
	int have;

	if (self < 0)
		return;
	have = fcntl(self, F_GET_SEALS);
	if ((have >= 0 && (have & seals) == seals) || fstat(self, &st) < 0)
		return;
	mfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return;
	len = util_exec_size(self, st.st_size);
	if (util_exec_copy(mfd, self, len, len < st.st_size) < 0 ||
	    fcntl(mfd, F_ADD_SEALS, seals) < 0)
		return;
	util_export_self(self_env);
	fexecve(mfd, argv, environ);
}

void util_export_self(const char *self_env)
{
	char path[PATH_MAX];
	ssize_t n;

	if (self_env == NULL)
		return;
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n > 0) {
		path[n] = '\0';
		setenv(self_env, path, 1);
	}
}

/* n digits at s as a number; -1 when one is not a digit */
static long util_digits(const char *s, int n)
{
	long v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int util_parse_rfc3339(const char *s, size_t len, struct timespec *out, bool *zoned)
{
	struct tm tm = {0};
	long y, mo, d, h = 0, mi = 0, sec = 0, nsec = 0, off = 0;
	size_t i = 10;
	time_t t;

	*zoned = false;
	if (len < 10 || s[4] != '-' || s[7] != '-')
		return -1;
	y = util_digits(s, 4);
	mo = util_digits(s + 5, 2);
	d = util_digits(s + 8, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (i < len && (s[i] == 'T' || s[i] == 't')) {
		if (len < i + 6 || s[i + 3] != ':')
			return -1;
		h = util_digits(s + i + 1, 2);
		mi = util_digits(s + i + 4, 2);
		i += 6;
		if (h < 0 || h > 23 || mi < 0 || mi > 59)
			return -1;
		if (i < len && s[i] == ':') {
			if (len < i + 3)
				return -1;
			sec = util_digits(s + i + 1, 2);
			i += 3;
			if (sec < 0 || sec > 60)
				return -1;
			if (i < len && s[i] == '.') {
				int k = 0;
				for (i++; i < len && isdigit((unsigned char)s[i]); i++, k++)
					if (k < 9)
						nsec = nsec * 10 + (s[i] - '0');
				if (k == 0)
					return -1;
				for (; k < 9; k++)
					nsec *= 10;
			}
		}
		if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
			*zoned = true;
			i++;
		} else if (i < len && (s[i] == '+' || s[i] == '-')) {
			long oh, om;
			if (len < i + 6 || s[i + 3] != ':')
				return -1;
			oh = util_digits(s + i + 1, 2);
			om = util_digits(s + i + 4, 2);
			if (oh < 0 || oh > 23 || om < 0 || om > 59)
				return -1;
			off = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
			*zoned = true;
			i += 6;
		}
	}
	if (i != len)
		return -1;
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = (int)(mo - 1);
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)sec;
	if (*zoned) {
		t = timegm(&tm);
		t -= off;
	} else {
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	if (t == (time_t)-1)
		return -1;
	out->tv_sec = t;
	out->tv_nsec = nsec;
	return 0;
}

char *util_now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	/* not strftime: glibc's reads /etc/localtime first (7 syscalls in every create) */
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
	return xstrdup(buf);
}

DIR *util_dir_stream(int fd)
{
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	DIR *d;

	if (dup_fd < 0)
		return NULL;
	d = fdopendir(dup_fd);
	if (d == NULL) {
		int e = errno;
		close(dup_fd);
		errno = e;
		return NULL;
	}
	rewinddir(d);
	return d;
}

void util_hex(const void *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *b = bytes;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}
