/* SPDX-License-Identifier: MIT */
/* cgroupfs files and directories (see cgroup_fs.h). */
#include "cgroup_fs.h"
#include "log.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

void (*cgroup_write_hook)(const char *dir, const char *file, const char *value);

/* ---- files --------------------------------------------------------------------------- */

int cgroup_set(const char *dir, const char *ctrl, const char *file, const char *value,
               berth_error_t *err)
{
	cleanup_free char *path = NULL;
	cleanup_close int fd = -1;
	ssize_t w;

	if (dir == NULL)
		return berth_error(err, 0, "cannot set %s to `%s`: the host has no %s controller",
		                   file, value, ctrl);
	if (cgroup_write_hook != NULL)
		cgroup_write_hook(dir, file, value);
	path = xasprintf("%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_error(err, errno, "open `%s`", path);
	/* one write(2): cgroupfs takes the value from a single call */
	do
		w = write(fd, value, strlen(value));
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return berth_error(err, errno, "write `%s` to `%s`", value, path);
	return 0;
}

int cgroup_setf(const char *dir, const char *ctrl, const char *file, berth_error_t *err,
                const char *fmt, ...)
{
	cleanup_free char *v = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (r < 0)
		abort();
	return cgroup_set(dir, ctrl, file, v, err);
}

int cgroup_set_later(const char *dir, const char *ctrl, const char *file, const char *value,
                     bool later, char **deferred, berth_error_t *err)
{
	berth_error_t e = NULL;

	*deferred = NULL;
	if (cgroup_set(dir, ctrl, file, value, &e) == 0)
		return 0;
	if (!later || e->status != EINVAL) {
		berth_error(err, e->status, "%s", e->msg);
		berth_error_release(&e);
		return -1;
	}
	berth_error_release(&e);
	*deferred = xstrdup(value);
	return 0;
}

int cgroup_read(const char *dir, const char *file, char **out, berth_error_t *err)
{
	cleanup_free char *path = xasprintf("%s/%s", dir, file);
	size_t len = 0;

	if (util_read_file(path, out, &len, err) < 0)
		return -1;
	while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == ' '))
		(*out)[--len] = '\0';
	return 0;
}

static int cgroup_parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (strcmp(s, "max") == 0) {
		*v = UINT64_MAX;
		return 0;
	}
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	return 0;
}

int cgroup_read_u64(const char *dir, const char *file, uint64_t *v, berth_error_t *err)
{
	cleanup_free char *s = NULL;

	if (cgroup_read(dir, file, &s, err) < 0)
		return -1;
	if (cgroup_parse_u64(s, v) < 0)
		return berth_error(err, EINVAL, "parse `%s/%s` (`%s`)", dir, file, s);
	return 0;
}

void cgroup_read_u64_or0(const char *dir, const char *file, uint64_t *v)
{
	berth_error_t e = NULL;

	if (dir == NULL || cgroup_read_u64(dir, file, v, &e) < 0) {
		berth_error_release(&e);
		*v = 0;
	}
}

int cgroup_read_key(const char *dir, const char *file, const char *key, uint64_t *v)
{
	cleanup_free char *s = NULL;
	berth_error_t e = NULL;
	size_t klen = strlen(key);

	if (dir == NULL)
		return -1;
	if (cgroup_read(dir, file, &s, &e) < 0) {
		berth_error_release(&e);
		return -1;
	}
	for (char *line = s; line != NULL && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return cgroup_parse_u64(line + klen + 1, v);
		line = nl ? nl + 1 : NULL;
	}
	return -1;
}

bool cgroup_file_exists(const char *dir, const char *file)
{
	cleanup_free char *path = NULL;

	if (dir == NULL)
		return false;
	path = xasprintf("%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

void cgroup_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

char **cgroup_hugepage_sizes(const char *dir, size_t *n)
{
	DIR *d = opendir(dir ? dir : "/sys/kernel/mm/hugepages");
	struct dirent *de;
	char **v = NULL;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		unsigned long long kb;
		char unit[8];
		if (sscanf(de->d_name, "hugepages-%llukB", &kb) != 1)
			continue;
		/* the kernel's names: 64KB, 2MB, 1GB */
		if (kb >= 1024 * 1024 && kb % (1024 * 1024) == 0) {
			kb /= 1024 * 1024;
			strcpy(unit, "GB");
		} else if (kb >= 1024 && kb % 1024 == 0) {
			kb /= 1024;
			strcpy(unit, "MB");
		} else {
			strcpy(unit, "KB");
		}
		v = xrealloc(v, (*n + 1) * sizeof(*v));
		v[(*n)++] = xasprintf("%llu%s", kb, unit);
	}
	closedir(d);
	return v;
}

void cgroup_fs_sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- the directories of a cgroup ------------------------------------------------------ */

size_t cgroup_fs_dirs(const struct cgroup_host *h, const char *path,
                      char *dirs[CGROUP_MAX_HIERARCHIES + 1])
{
	size_t n = 0;

	if (h->mode != CGROUP_MODE_V2)
		for (size_t i = 0; i < h->n_v1; i++)
			dirs[n++] = xasprintf("%s%s", h->v1[i].mount, path);
	if (h->has_v2)
		dirs[n++] = xasprintf("%s%s", h->v2_mount, path);
	return n;
}

void cgroup_fs_dirs_free(char **dirs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
}

char *cgroup_ctrl_dir(const struct cgroup *cg, enum cgroup_controller c, bool *v2)
{
	const struct cgroup_host *h = &cg->host;

	*v2 = h->mode == CGROUP_MODE_V2;
	if (h->mode != CGROUP_MODE_V2)
		for (size_t i = 0; i < h->n_v1; i++)
			if (h->v1[i].controllers & (1u << c))
				return xasprintf("%s%s", h->v1[i].mount, cg->path);
	if (h->has_v2 && (h->v2_controllers & (1u << c))) {
		*v2 = true;
		return xasprintf("%s%s", h->v2_mount, cg->path);
	}
	return NULL;
}

char *cgroup_v2_dir(const struct cgroup *cg)
{
	if (!cg->host.has_v2)
		return NULL;
	return xasprintf("%s%s", cg->host.v2_mount, cg->path);
}

bool cgroup_fs_has_procs(const char *dir)
{
	cleanup_free char *s = NULL;
	berth_error_t e = NULL;

	if (cgroup_read(dir, "cgroup.procs", &s, &e) < 0) {
		berth_error_release(&e);
		return false;
	}
	return s[0] != '\0';
}

void cgroup_fs_unmake(const char *dir, const char *top)
{
	cleanup_free char *p = xstrdup(dir);
	size_t tl = strlen(top);

	for (;;) {
		if (rmdir(p) < 0 && errno != ENOENT)
			log_warning("rmdir `%s`: %s", p, strerror(errno));
		if (strlen(p) <= tl)
			break;
		*strrchr(p, '/') = '\0';
	}
}

int cgroup_fs_mkdirs(const char *mount, const char *path, cgroup_fs_level_fn before,
                     cgroup_fs_level_fn after, char **top, berth_error_t *err)
{
	cleanup_free char *cur = xstrdup(mount);
	const char *s = path;

	*top = NULL;
	while (*s) {
		size_t len;
		char *next;
		while (*s == '/')
			s++;
		len = strcspn(s, "/");
		if (len == 0)
			break;
		next = xasprintf("%s/%.*s", cur, (int)len, s);
		s += len;
		if (before != NULL && before(cur, next, err) < 0) {
			free(next);
			return -1;
		}
		if (mkdir(next, 0755) == 0) {
			if (*top == NULL)
				*top = xstrdup(next);
		} else if (errno != EEXIST) {
			berth_error(err, errno, "mkdir `%s`", next);
			free(next);
			return -1;
		}
		if (after != NULL && after(cur, next, err) < 0) {
			free(next);
			return -1;
		}
		free(cur);
		cur = next;
	}
	return 0;
}

int cgroup_fs_rmdir_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int r = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		cleanup_free char *sub = xasprintf("%s/%s", dir, de->d_name);
		int s = cgroup_fs_rmdir_tree(sub);
		if (r == 0)
			r = s;
	}
	closedir(d);
	if (rmdir(dir) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

void cgroup_fs_collect_pids(const char *dir, pid_t **pids, size_t *n, size_t *cap)
{
	cleanup_free char *s = NULL;
	berth_error_t e = NULL;
	DIR *d;
	struct dirent *de;

	if (cgroup_read(dir, "cgroup.procs", &s, &e) < 0) {
		berth_error_release(&e);
		return;
	}
	for (char *p = s; *p;) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			*pids = xrealloc(*pids, *cap * sizeof(**pids));
		}
		(*pids)[(*n)++] = (pid_t)v;
		p = end;
		while (*p == '\n')
			p++;
	}
	d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		cleanup_free char *sub = xasprintf("%s/%s", dir, de->d_name);
		cgroup_fs_collect_pids(sub, pids, n, cap);
	}
	closedir(d);
}

/* ---- settings whose files and formats are the same on v1 and v2 ------------------------ */

int cgroup_fs_cpuset(const char *dir, const struct config_resources *r, bool update,
                     berth_error_t *err)
{
	(void)update;
	if (r->cpu_cpus && *r->cpu_cpus &&
	    cgroup_set(dir, "cpuset", "cpuset.cpus", r->cpu_cpus, err) < 0)
		return -1;
	if (r->cpu_mems && *r->cpu_mems &&
	    cgroup_set(dir, "cpuset", "cpuset.mems", r->cpu_mems, err) < 0)
		return -1;
	return 0;
}

int cgroup_fs_pids(const char *dir, const struct config_resources *r, bool update,
                   berth_error_t *err)
{
	(void)update;
	if (!r->has_pids_limit)
		return 0;
	if (r->pids_limit <= 0)
		return cgroup_set(dir, "pids", "pids.max", "max", err);
	return cgroup_setf(dir, "pids", "pids.max", err, "%" PRId64, r->pids_limit);
}

int cgroup_fs_rdma(const char *dir, const struct config_resources *r, bool update,
                   berth_error_t *err)
{
	(void)update;
	for (size_t i = 0; i < r->n_rdma; i++) {
		const struct config_rdma *d = &r->rdma[i];
		cleanup_free char *h = d->has_hca_handles
		                           ? xasprintf(" hca_handle=%" PRIu32, d->hca_handles)
		                           : xstrdup("");
		cleanup_free char *o = d->has_hca_objects
		                           ? xasprintf(" hca_object=%" PRIu32, d->hca_objects)
		                           : xstrdup("");
		if (!d->has_hca_handles && !d->has_hca_objects)
			continue;
		if (cgroup_setf(dir, "rdma", "rdma.max", err, "%s%s%s", d->device, h, o) < 0)
			return -1;
	}
	return 0;
}

int cgroup_fs_cpu_idle(const char *dir, const struct config_resources *r, berth_error_t *err)
{
	if (!r->has_cpu_idle)
		return 0;
	return cgroup_setf(dir, "cpu", "cpu.idle", err, "%" PRId64, r->cpu_idle);
}

int cgroup_fs_hugetlb(const char *dir, const char *suffix, const struct config_resources *r,
                      berth_error_t *err)
{
	for (size_t i = 0; i < r->n_hugepage_limits; i++) {
		const struct config_hugepage_limit *l = &r->hugepage_limits[i];
		cleanup_free char *f = xasprintf("hugetlb.%s.%s", l->page_size, suffix);
		cleanup_free char *rsvd = xasprintf("hugetlb.%s.rsvd.%s", l->page_size, suffix);
		if (dir != NULL && !cgroup_file_exists(dir, f))
			return berth_error(err, 0,
			                   "hugepage size `%s` is not supported by the host",
			                   l->page_size);
		if (cgroup_setf(dir, "hugetlb", f, err, "%" PRIu64, l->limit) < 0)
			return -1;
		if (cgroup_file_exists(dir, rsvd) &&
		    cgroup_setf(dir, "hugetlb", rsvd, err, "%" PRIu64, l->limit) < 0)
			return -1;
	}
	return 0;
}
