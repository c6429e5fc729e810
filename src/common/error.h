/* SPDX-License-Identifier: MIT */
/* berth's error type, threaded through every call in the manner of crun's libcrun_error_t.
 *
 * A function that can fail takes `berth_error_t *err` as its last argument and returns a
 * negative value on failure after filling *err with one line that says what failed, on what
 * and why ("open `/x/config.json`: No such file or directory"). Callers may add context with
 * berth_error_prefix() and finally print it with berth_error_print(). */
#ifndef BERTH_ERROR_H
#define BERTH_ERROR_H

#include <stdarg.h>

struct berth_error_s {
	int status; /* errno of the failing call, or 0 */
	char *msg;  /* one line, heap allocated */
};
typedef struct berth_error_s *berth_error_t;

/* Statuses beyond errno's range, for the process's command itself, which a shell (and
 * Docker) tell apart by exit status: not found (127), found but not executable (126). Set by
 * process_find_executable; kept through the runtime's sync messages. */
#define BERTH_ECMDNOTFOUND 0x10000
#define BERTH_ECMDNOEXEC   0x10001

/* Set *err to "<fmt>: strerror(errnum)" (or just <fmt> when errnum is 0). Returns -1 so that
 * `return berth_error(err, errno, "open `%s`", path);` reads naturally. If *err is already
 * set, the old error is released first. */
int berth_error(berth_error_t *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int berth_verror(berth_error_t *err, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Put "<prefix>: " in front of an existing error's message. Returns -1. */
int berth_error_prefix(berth_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void berth_error_release(berth_error_t *err);

/* msg as one bounded line (a new heap string, NULL when out of memory): control characters
 * escaped, each `quoted` span of more than 64 bytes cut to its head and tail around "…", at
 * most 2 KiB in all. berth_error() and berth_error_prefix() apply it to every message. */
char *berth_error_sanitize(const char *msg);

/* Print "<prog>: <msg>" to stderr (and to the log, if one is open); release it; return the
 * exit status to use (1). */
int berth_error_print(berth_error_t *err, const char *prog);

static inline void berth_error_cleanup(berth_error_t *err)
{
	berth_error_release(err);
}
#define cleanup_error __attribute__((cleanup(berth_error_cleanup)))

#endif
