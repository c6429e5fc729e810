/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fdesc = -1;
static int log_json;
static enum log_level log_max = LOG_LEVEL_WARNING;
static const char *log_prog = "berth";

void log_set_prog(const char *prog)
{
	log_prog = prog;
}

int log_open(const char *path, int json, int debug)
{
	log_json = json;
	log_max = debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARNING;
	if (path == NULL || path[0] == '\0')
		return 0;
	log_fdesc = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	return log_fdesc < 0 ? -errno : 0;
}

void log_close(void)
{
	if (log_fdesc >= 0)
		close(log_fdesc);
	log_fdesc = -1;
}

int log_to_stderr(void)
{
	return log_fdesc < 0 && !log_json;
}

int log_fd(void)
{
	return log_fdesc;
}

static const char *log_level_name(enum log_level l)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	return names[l];
}

void log_write(enum log_level level, const char *fmt, ...)
{
	char msg[4096];
	char line[8192];
	char ts[64];
	struct timespec now;
	struct tm tm;
	va_list ap;
	int fd = log_fdesc >= 0 ? log_fdesc : STDERR_FILENO;
	int n;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = (int)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - (size_t)n, ".%09ldZ", now.tv_nsec);
	if (log_json) {
		json_t *o = json_pack("{s:s,s:s,s:s}", "level", log_level_name(level), "msg", msg,
		                      "time", ts);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		n = snprintf(line, sizeof(line), "%s\n", s ? s : "{}");
		free(s);
		json_decref(o);
	} else if (log_fdesc >= 0) {
		n = snprintf(line, sizeof(line), "%s %s: %s\n", ts, log_level_name(level), msg);
	} else {
		n = snprintf(line, sizeof(line), "%s: %s%s%s\n", log_prog,
		             level == LOG_LEVEL_ERROR ? "" : log_level_name(level),
		             level == LOG_LEVEL_ERROR ? "" : ": ", msg);
	}
	if (n > (int)sizeof(line))
		n = sizeof(line);
	if (write(fd, line, (size_t)n) < 0) {
		/* nowhere left to report */
	}
}
