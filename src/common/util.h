/* SPDX-License-Identifier: MIT */
/* Small helpers shared by every part of berth: cleanup attributes, files, safe paths. */
#ifndef BERTH_UTIL_H
#define BERTH_UTIL_H

#include "error.h"

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static inline void util_freep(void *p)
{
	free(*(void **)p);
}
static inline void util_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}
static inline void util_fclosep(FILE **f)
{
	if (*f != NULL)
		fclose(*f);
}
#define cleanup_free  __attribute__((cleanup(util_freep)))
#define cleanup_close __attribute__((cleanup(util_closep)))
#define cleanup_file  __attribute__((cleanup(util_fclosep)))

/* Give up ownership of a cleanup_* variable. */
#define util_steal_fd(fd)                                                                          \
	({                                                                                         \
		int _fd = (fd);                                                                    \
		(fd) = -1;                                                                         \
		_fd;                                                                               \
	})
#define util_steal_ptr(p)                                                                          \
	({                                                                                         \
		__typeof__(p) _p = (p);                                                            \
		(p) = NULL;                                                                        \
		_p;                                                                                \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation that cannot fail (aborts on out-of-memory, like most C runtimes do). */
void *xmalloc0(size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read a whole file (at most max bytes; 0 means 64 MiB) into a NUL-terminated buffer. */
int util_read_file(const char *path, char **out, size_t *len, berth_error_t *err);
int util_read_fd(int fd, const char *what, char **out, size_t *len, berth_error_t *err);
/* Write data to path atomically: a temp file in the same directory, then rename (readers
 * see the old or the new file, never a part; no fsync: state lives on tmpfs). */
int util_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                           berth_error_t *err);
/* Write a string to an existing file (sysfs, cgroupfs, /proc). */
int util_write_file(const char *path, const char *data, berth_error_t *err);
int util_write_file_at(int dirfd, const char *name, const char *data, berth_error_t *err);

/* Write all of buf, retrying on EINTR and short writes. Returns 0 or -errno. */
int util_write_all(int fd, const void *buf, size_t len);
ssize_t util_read_all(int fd, void *buf, size_t len);

/* mkdir -p, mode for each component created. */
int util_mkdir_p(const char *path, mode_t mode, berth_error_t *err);
/* rm -rf of a directory tree (does not cross mount points). */
int util_rm_rf(const char *path, berth_error_t *err);

/* --- paths inside a root -------------------------------------------------------------
 * Resolve `path` as if `rootfd` were "/": "..", absolute symlinks and /proc magic links
 * can never leave the root (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, with a manual
 * component walk as fallback on kernels before 5.6). */
int util_open_in_root(int rootfd, const char *path, int flags, mode_t mode, berth_error_t *err);
/* Create every directory of `path` inside the root (like mkdir -p) and return an O_PATH fd
 * for the last one. */
int util_mkdir_in_root(int rootfd, const char *path, mode_t mode, berth_error_t *err);
/* Create `path` inside the root as a directory or (dir=false) an empty file, parents
 * included, and return an O_PATH fd for it. Existing objects are reused. */
int util_create_in_root(int rootfd, const char *path, bool dir, mode_t mode, berth_error_t *err);
/* "/proc/self/fd/N": a path for an O_PATH fd that mount(2) accepts. */
void util_fd_path(int fd, char buf[static 32]);

/* Parse a signal given as "KILL", "SIGKILL" or "9". Returns the number or -1. */
int util_parse_signal(const char *s);

/* Close every fd >= from. */
void util_close_fds_from(int from);
/* Close every fd >= from except the n (at most 64, in any order; negative ones are ignored)
 * in keep[], with close_range(2). Returns 0 or -errno. */
int util_close_fds_except(int from, const int *keep, size_t n);
/* Mark every fd >= from close-on-exec. */
int util_cloexec_fds_from(int from);

/* Re-exec the running binary from a sealed in-memory copy (memfd `name`, sealed against
 * writes, growing and shrinking), so that nothing in a container can write to our
 * executable through /proc/<pid>/exe (CVE-2019-5736). Does nothing when already running
 * from a sealed copy. self_env non-NULL: set that variable to the binary's real path first
 * (the copy's /proc/self/exe names the memfd). Returns only when it did not re-exec: any
 * failure leaves the caller to go on unprotected rather than fail. */
void util_exec_sealed_self(const char *name, const char *self_env, char **argv);
/* self_env non-NULL: that variable set to the running binary's real path (before a re-exec
 * from a copy, whose /proc/self/exe does not name it). */
void util_export_self(const char *self_env);
/* seal.c: the same defence without a copy: re-exec the binary through a detached read-only
 * overlayfs of its directory (as runc 1.2), whose second layer is the directory `other`
 * (neither inside the binary's directory nor containing it; made first when make_other),
 * else util_exec_sealed_self(name, self_env, argv). Returns when already re-exec'd, or when
 * neither could be done. */
void util_exec_sealed(const char *name, const char *self_env, const char *other, bool make_other,
                      char **argv);

/* Monotonic and real time in nanoseconds. */
long long util_now_ns(void);

/* An RFC 3339 time, "YYYY-MM-DD[THH:MM[:SS[.frac]]][Z|±HH:MM]", all of s[0..len), from 1970
 * on, to the nanosecond: 0, or -1 when it is not one. *zoned: a zone was given (else the time
 * is local). */
int util_parse_rfc3339(const char *s, size_t len, struct timespec *out, bool *zoned);
/* Now, in RFC 3339 with nanoseconds, UTC ("2026-12-05T17:00:24.123456789Z"). */
char *util_now_rfc3339(void);

/* A stream over the directory fd from its first entry, on a close-on-exec dup of fd (which
 * stays open, and is not moved: the dup shares its offset, hence the rewind). NULL with
 * errno on failure. */
DIR *util_dir_stream(int fd);

/* bytes[0..n) as 2n lowercase hex digits and a NUL in out (2n + 1 bytes: a SHA-256's 32 in
 * 65). */
void util_hex(const void *bytes, size_t n, char *out);

#endif
