/* SPDX-License-Identifier: MIT */
/* The engine's root directory, its lock, and the progress bar. */
#include "engine.h"
#include "rootless.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int engine_open(struct engine *e, const char *root, berth_error_t *err)
{
	static const char *const dirs[] = {"images/blobs/sha256", "layers", "containers", "tmp"};
	cleanup_free char *layout = NULL;

	e->lock_fd = -1;
	if (util_mkdir_p(root, 0700, err) < 0)
		return -1;
	/* absolute: the monitor runs from / */
	e->root = realpath(root, NULL);
	if (e->root == NULL)
		return berth_error(err, errno, "--root `%s`", root);
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		cleanup_free char *p = engine_path(e, "%s", dirs[i]);
		if (util_mkdir_p(p, 0700, err) < 0)
			return -1;
	}
	/* the runtime library's state: on a tmpfs, as root (runroot.c) */
	if (rootless_active()) {
		cleanup_free char *p = engine_path(e, "runtime");
		if (util_mkdir_p(p, 0700, err) < 0)
			return -1;
	} else if (engine_runtime_dir(e, err) < 0) {
		return -1;
	}
	layout = engine_path(e, "images/oci-layout");
	if (access(layout, F_OK) < 0) {
		static const char text[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
		if (util_write_file_atomic(layout, text, strlen(text), 0644, err) < 0)
			return -1;
	}
	return 0;
}

void engine_close(struct engine *e)
{
	engine_unlock(e);
	free(e->root);
	e->root = NULL;
}

int engine_lock(struct engine *e, berth_error_t *err)
{
	cleanup_free char *p = NULL;

	if (e->lock_fd >= 0)
		return 0;
	p = engine_path(e, "lock");
	e->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (e->lock_fd < 0)
		return berth_error(err, errno, "open `%s`", p);
	while (flock(e->lock_fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return berth_error(err, errno, "lock `%s`", p);
	return 0;
}

void engine_unlock(struct engine *e)
{
	if (e->lock_fd >= 0)
		close(e->lock_fd);
	e->lock_fd = -1;
}

char *engine_path(const struct engine *e, const char *fmt, ...)
{
	va_list ap;
	char *rel = NULL;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&rel, fmt, ap) < 0)
		abort();
	va_end(ap);
	p = xasprintf("%s/%s", e->root, rel);
	free(rel);
	return p;
}

/* ---- progress -------------------------------------------------------------------------- */

static bool progress_quiet;

void progress_set_quiet(bool quiet)
{
	progress_quiet = quiet;
}

void progress_init(struct progress *p, const char *what, uint64_t total)
{
	p->on = !progress_quiet && isatty(STDOUT_FILENO);
	p->what = what;
	p->done = 0;
	p->total = total;
	p->last_ns = 0;
}

static void progress_draw(struct progress *p)
{
	char bar[31];
	unsigned pct = p->total ? (unsigned)(p->done * 100 / p->total) : 0;
	size_t fill = pct > 100 ? 30 : pct * 30 / 100;

	memset(bar, '#', fill);
	memset(bar + fill, ' ', 30 - fill);
	bar[30] = '\0';
	fprintf(stdout, "\r%-20.20s [%s] %3u%% %7.1f/%.1f MB", p->what, bar, pct > 100 ? 100 : pct,
	        (double)p->done / 1e6, (double)p->total / 1e6);
	fflush(stdout);
}

void progress_add(struct progress *p, uint64_t n)
{
	long long now;

	p->done += n;
	if (!p->on)
		return;
	now = util_now_ns();
	if (now - p->last_ns < 100000000LL)
		return;
	p->last_ns = now;
	progress_draw(p);
}

void progress_end(struct progress *p)
{
	if (!p->on)
		return;
	p->done = p->total;
	progress_draw(p);
	fputc('\n', stdout);
	fflush(stdout);
}
