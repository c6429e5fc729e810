/* SPDX-License-Identifier: MIT */
/* Control groups: host detection, paths, create/enter/destroy, freezing, dispatch of
 * resources to the v1 or v2 code (cgroup_v1.c, cgroup_v2.c, cgroup_ebpf.c). */
#include "cgroup.h"
#include "cgroup_priv.h"
#include "log.h"
#include "mountinfo.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif

void (*cgroup_write_hook)(const char *dir, const char *file, const char *value);

static const char *const cgroup_ctrl_names[CGROUP_CTRL_COUNT] = {
	[CGROUP_CTRL_CPU] = "cpu",	     [CGROUP_CTRL_CPUACCT] = "cpuacct",
	[CGROUP_CTRL_CPUSET] = "cpuset",     [CGROUP_CTRL_MEMORY] = "memory",
	[CGROUP_CTRL_DEVICES] = "devices",   [CGROUP_CTRL_FREEZER] = "freezer",
	[CGROUP_CTRL_IO] = "io",	     [CGROUP_CTRL_PIDS] = "pids",
	[CGROUP_CTRL_HUGETLB] = "hugetlb",   [CGROUP_CTRL_NET_CLS] = "net_cls",
	[CGROUP_CTRL_NET_PRIO] = "net_prio", [CGROUP_CTRL_PERF_EVENT] = "perf_event",
	[CGROUP_CTRL_RDMA] = "rdma",	     [CGROUP_CTRL_MISC] = "misc",
};

const char *cgroup_controller_name(enum cgroup_controller c, bool v1)
{
	if ((unsigned)c >= CGROUP_CTRL_COUNT)
		return NULL;
	if (c == CGROUP_CTRL_IO && v1)
		return "blkio";
	return cgroup_ctrl_names[c];
}

const char *cgroup_mode_name(enum cgroup_mode m)
{
	switch (m) {
	case CGROUP_MODE_V1:
		return "v1";
	case CGROUP_MODE_V2:
		return "v2";
	case CGROUP_MODE_HYBRID:
		return "hybrid";
	default:
		return "none";
	}
}

static int cgroup_ctrl_from_name(const char *name, size_t len)
{
	if (len == 5 && strncmp(name, "blkio", 5) == 0)
		return CGROUP_CTRL_IO;
	for (int i = 0; i < CGROUP_CTRL_COUNT; i++)
		if (strlen(cgroup_ctrl_names[i]) == len && strncmp(cgroup_ctrl_names[i], name, len) == 0)
			return i;
	return -1;
}

/* ---- file helpers ------------------------------------------------------------------ */

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

char **cgroup_hugepage_sizes(size_t *n)
{
	DIR *d = opendir("/sys/kernel/mm/hugepages");
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

static void cgroup_sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- host detection ---------------------------------------------------------------- */

static void cgroup_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int cgroup_read_v2_controllers(struct cgroup_host *h, berth_error_t *err)
{
	cleanup_free char *s = NULL;
	char *save = NULL;

	h->v2_controllers = 0;
	if (cgroup_read(h->v2_mount, "cgroup.controllers", &s, err) < 0)
		return -1;
	for (char *t = strtok_r(s, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
		int c = cgroup_ctrl_from_name(t, strlen(t));
		if (c >= 0)
			h->v2_controllers |= 1u << c;
	}
	return 0;
}

static bool cgroup_under(const char *path, const char *root)
{
	size_t n = strlen(root);
	return strncmp(path, root, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static void cgroup_add_v1(struct cgroup_host *h, const char *mp, const char *superopts)
{
	char opts[128] = "";
	unsigned mask = 0;
	const char *p = superopts;

	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		int c = cgroup_ctrl_from_name(p, len);
		bool named = len > 5 && strncmp(p, "name=", 5) == 0;
		if ((c >= 0 || named) && strlen(opts) + len + 2 < sizeof(opts)) {
			if (opts[0])
				strcat(opts, ",");
			strncat(opts, p, len);
			if (c >= 0)
				mask |= 1u << c;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	if (opts[0] == '\0' || h->n_v1 >= CGROUP_MAX_HIERARCHIES)
		return;
	for (size_t i = 0; i < h->n_v1; i++)
		if (strcmp(h->v1[i].options, opts) == 0)
			return; /* the same hierarchy mounted twice: keep the first */
	cgroup_copy(h->v1[h->n_v1].mount, sizeof(h->v1[0].mount), mp);
	cgroup_copy(h->v1[h->n_v1].options, sizeof(h->v1[0].options), opts);
	h->v1[h->n_v1].controllers = mask;
	h->v1_controllers |= mask;
	h->n_v1++;
}

static int cgroup_parse_mountinfo(struct cgroup_host *h, const char *file, berth_error_t *err)
{
	cleanup_mountinfo struct mountinfo mi = {0};

	if (mountinfo_load(file, &mi, err) < 0)
		return -1;
	for (size_t i = 0; i < mi.n; i++) {
		const struct mountinfo_entry *m = &mi.v[i];
		if (!cgroup_under(m->point, h->root))
			continue;
		if (strcmp(m->fstype, "cgroup") == 0) {
			cgroup_add_v1(h, m->point, m->superopts);
		} else if (strcmp(m->fstype, "cgroup2") == 0 && !h->has_v2) {
			h->has_v2 = true;
			cgroup_copy(h->v2_mount, sizeof(h->v2_mount), m->point);
		}
	}
	return 0;
}

int cgroup_host_detect_opts(struct cgroup_host *h, const struct cgroup_detect_opts *o,
			    berth_error_t *err)
{
	const char *root = o && o->root ? o->root : "/sys/fs/cgroup";
	struct statfs sfs;

	memset(h, 0, sizeof(*h));
	cgroup_copy(h->root, sizeof(h->root), root);
	for (size_t n = strlen(h->root); n > 1 && h->root[n - 1] == '/'; n--)
		h->root[n - 1] = '\0';

	if (o && o->force == CGROUP_MODE_V2) {
		h->mode = CGROUP_MODE_V2;
		h->has_v2 = true;
		cgroup_copy(h->v2_mount, sizeof(h->v2_mount), h->root);
		return cgroup_read_v2_controllers(h, err);
	}
	if (statfs(h->root, &sfs) < 0)
		return berth_error(err, errno, "statfs `%s`", h->root);
	if ((unsigned long)sfs.f_type == CGROUP2_SUPER_MAGIC) {
		h->mode = CGROUP_MODE_V2;
		h->has_v2 = true;
		cgroup_copy(h->v2_mount, sizeof(h->v2_mount), h->root);
		return cgroup_read_v2_controllers(h, err);
	}
	if ((unsigned long)sfs.f_type == CGROUP_SUPER_MAGIC) {
		/* a single v1 hierarchy mounted at the root itself: not a layout we use */
		return berth_error(err, 0, "`%s` is a cgroup v1 hierarchy, not a cgroup root",
				   h->root);
	}
	if (cgroup_parse_mountinfo(h, o && o->mountinfo ? o->mountinfo : "/proc/self/mountinfo",
				   err) < 0)
		return -1;
	if (h->n_v1 == 0 && !h->has_v2)
		return berth_error(err, 0, "no cgroup hierarchy is mounted under `%s`", h->root);
	if (h->n_v1 == 0)
		h->mode = CGROUP_MODE_V2; /* cgroup2 mounted below the root only */
	else
		h->mode = h->has_v2 ? CGROUP_MODE_HYBRID : CGROUP_MODE_V1;
	if (h->has_v2 && cgroup_read_v2_controllers(h, err) < 0)
		return -1;
	if (h->mode == CGROUP_MODE_V1 && (unsigned long)sfs.f_type != TMPFS_MAGIC)
		log_debug("cgroup root `%s` is not a tmpfs; using the hierarchies mounted under it",
			  h->root);
	return 0;
}

int cgroup_host_detect(struct cgroup_host *h, const char *root, berth_error_t *err)
{
	struct cgroup_detect_opts o = {.root = root};
	return cgroup_host_detect_opts(h, &o, err);
}

/* ---- paths ------------------------------------------------------------------------- */

/* Append "/comp" after checking it. */
static int cgroup_path_add(char **path, const char *comp, size_t len, berth_error_t *err)
{
	char *p;

	if (len == 0)
		return 0;
	if ((len == 1 && comp[0] == '.') || (len == 2 && comp[0] == '.' && comp[1] == '.'))
		return berth_error(err, 0, "invalid cgroup path: `%.*s` component", (int)len, comp);
	for (size_t i = 0; i < len; i++)
		if (iscntrl((unsigned char)comp[i]))
			return berth_error(err, 0, "invalid cgroup path: control character");
	p = xasprintf("%s/%.*s", *path ? *path : "", (int)len, comp);
	free(*path);
	*path = p;
	return 0;
}

static int cgroup_path_split(char **path, const char *s, berth_error_t *err)
{
	while (*s) {
		size_t len = strcspn(s, "/");
		if (cgroup_path_add(path, s, len, err) < 0)
			return -1;
		s += len;
		while (*s == '/')
			s++;
	}
	return 0;
}

/* runc's systemd ExpandSlice: "a-b.slice" -> "/a.slice/a-b.slice" */
static int cgroup_expand_slice(char **path, const char *slice, berth_error_t *err)
{
	size_t len = strlen(slice), pos = 0;

	if (len <= 6 || strcmp(slice + len - 6, ".slice") != 0 || strchr(slice, '/'))
		return berth_error(err, 0, "invalid slice name `%s`", slice);
	if (strcmp(slice, "-.slice") == 0)
		return 0;
	len -= 6;
	while (pos < len) {
		cleanup_free char *comp = NULL;
		size_t n = 0;
		while (pos + n < len && slice[pos + n] != '-')
			n++;
		if (n == 0) /* "-a.slice", "a--b.slice" */
			return berth_error(err, 0, "invalid slice name `%s`", slice);
		pos += n;
		comp = xasprintf("%.*s.slice", (int)pos, slice);
		if (cgroup_path_add(path, comp, strlen(comp), err) < 0)
			return -1;
		if (pos < len && ++pos == len) /* "a-.slice" */
			return berth_error(err, 0, "invalid slice name `%s`", slice);
	}
	return 0;
}

char *cgroup_path_for(const char *cgroups_path, const char *id, berth_error_t *err)
{
	cleanup_free char *path = NULL;
	const char *c1, *c2;

	if (id == NULL || *id == '\0') {
		berth_error(err, 0, "invalid cgroup path: empty container id");
		return NULL;
	}
	if (cgroups_path == NULL || *cgroups_path == '\0') {
		if (cgroup_path_add(&path, "berth", 5, err) < 0 ||
		    cgroup_path_split(&path, id, err) < 0)
			return NULL;
	} else if ((c1 = strchr(cgroups_path, ':')) != NULL && (c2 = strchr(c1 + 1, ':')) != NULL &&
		   strchr(c2 + 1, ':') == NULL && strchr(cgroups_path, '/') == NULL) {
		/* systemd's "slice:prefix:name" */
		cleanup_free char *slice = strndup(cgroups_path, (size_t)(c1 - cgroups_path));
		cleanup_free char *prefix = strndup(c1 + 1, (size_t)(c2 - c1 - 1));
		const char *name = c2 + 1;
		cleanup_free char *unit = NULL;
		size_t nl = strlen(name);

		if (*name == '\0') {
			berth_error(err, 0, "invalid cgroup path `%s`: empty name", cgroups_path);
			return NULL;
		}
		if (cgroup_expand_slice(&path, *slice ? slice : "system.slice", err) < 0) {
			berth_error_prefix(err, "cgroup path `%s`", cgroups_path);
			return NULL;
		}
		if (nl > 6 && strcmp(name + nl - 6, ".slice") == 0)
			unit = xstrdup(name);
		else if (*prefix)
			unit = xasprintf("%s-%s.scope", prefix, name);
		else
			unit = xasprintf("%s.scope", name);
		if (cgroup_path_add(&path, unit, strlen(unit), err) < 0)
			return NULL;
	} else {
		/* absolute, or relative to the hierarchy root */
		if (cgroup_path_split(&path, cgroups_path, err) < 0)
			return NULL;
	}
	if (path == NULL) {
		berth_error(err, 0, "invalid cgroup path `%s`: it names the root cgroup",
			    cgroups_path ? cgroups_path : "");
		return NULL;
	}
	return util_steal_ptr(path);
}

/* A path given to the API: must be absolute, normalised, not the root. */
static int cgroup_check_path(const char *path, berth_error_t *err)
{
	cleanup_free char *norm = NULL;

	if (path == NULL || path[0] != '/')
		return berth_error(err, 0, "invalid cgroup path `%s`: not absolute",
				   path ? path : "(null)");
	if (cgroup_path_split(&norm, path, err) < 0)
		return -1;
	if (norm == NULL)
		return berth_error(err, 0, "invalid cgroup path `%s`: the root cgroup", path);
	return 0;
}

/* ---- the directories of a cgroup ---------------------------------------------------- */

/* Every directory of the cgroup: v1 hierarchies first, then v2. n <= MAX + 1. */
static size_t cgroup_dirs(const struct cgroup_host *h, const char *path,
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

static void cgroup_dirs_free(char **dirs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
}

/* The directory holding controller c: v1 when a v1 hierarchy has it, else v2 when the
 * controller is available there. NULL when neither. *v2 says which. */
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

static char *cgroup_v2_dir(const struct cgroup *cg)
{
	if (!cg->host.has_v2)
		return NULL;
	return xasprintf("%s%s", cg->host.v2_mount, cg->path);
}

/* ---- create ------------------------------------------------------------------------ */

/* v1 cpuset: a new cgroup has empty cpus/mems, and no task can join it until they are set. */
static int cgroup_cpuset_copy(const char *dir, berth_error_t *err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	cleanup_free char *parent = xstrdup(dir);
	char *slash = strrchr(parent, '/');

	*slash = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		cleanup_free char *cur = NULL, *pv = NULL;
		if (cgroup_read(dir, files[i], &cur, err) < 0)
			return -1;
		if (cur[0] != '\0')
			continue;
		if (cgroup_read(parent, files[i], &pv, err) < 0 ||
		    cgroup_set(dir, "cpuset", files[i], pv, err) < 0)
			return -1;
	}
	return 0;
}

/* "+cpu +io …" for the controllers listed in dir/cgroup.controllers */
static int cgroup_v2_enable(const char *dir, berth_error_t *err)
{
	cleanup_free char *ctrls = NULL, *all = NULL;
	char *save = NULL;
	berth_error_t e = NULL;

	if (cgroup_read(dir, "cgroup.controllers", &ctrls, err) < 0)
		return -1;
	for (char *t = strtok_r(ctrls, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
		char *n = xasprintf("%s%s+%s", all ? all : "", all ? " " : "", t);
		free(all);
		all = n;
	}
	if (all == NULL)
		return 0;
	if (cgroup_set(dir, "", "cgroup.subtree_control", all, &e) == 0)
		return 0;
	/* one by one, as runc does: what cannot be enabled fails later, when it is set */
	berth_error_release(&e);
	save = NULL;
	for (char *t = strtok_r(all, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (cgroup_set(dir, "", "cgroup.subtree_control", t, &e) < 0) {
			log_debug("%s", e->msg);
			berth_error_release(&e);
		}
	}
	return 0;
}

static bool cgroup_has_procs(const char *dir)
{
	cleanup_free char *s = NULL;
	berth_error_t e = NULL;

	if (cgroup_read(dir, "cgroup.procs", &s, &e) < 0) {
		berth_error_release(&e);
		return false;
	}
	return s[0] != '\0';
}

/* Remove dir and its parents up to and including top (what one create made). */
static void cgroup_unmake(const char *dir, const char *top)
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

/* mkdir each level of path below mount. *top: the first directory made (NULL if none). */
static int cgroup_mkdirs(const char *mount, const char *path, bool cpuset, bool v2, char **top,
			 berth_error_t *err)
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
		if (v2 && cgroup_v2_enable(cur, err) < 0)
			return -1;
		next = xasprintf("%s/%.*s", cur, (int)len, s);
		free(cur);
		cur = next;
		s += len;
		if (mkdir(cur, 0755) == 0) {
			if (*top == NULL)
				*top = xstrdup(cur);
		} else if (errno != EEXIST) {
			return berth_error(err, errno, "mkdir `%s`", cur);
		}
		if (cpuset && cgroup_cpuset_copy(cur, err) < 0)
			return -1;
	}
	return 0;
}

int cgroup_create(const struct cgroup_host *h, const char *path, struct cgroup **out,
		  berth_error_t *err)
{
	char *dirs[CGROUP_MAX_HIERARCHIES + 1];
	char *tops[CGROUP_MAX_HIERARCHIES + 1] = {0};
	size_t n, i;
	int r = 0;

	*out = NULL;
	if (cgroup_check_path(path, err) < 0)
		return -1;
	n = cgroup_dirs(h, path, dirs);
	if (n == 0)
		return berth_error(err, 0, "no cgroup hierarchy to create `%s` in", path);
	for (i = 0; i < n; i++) {
		bool v2 = h->has_v2 && i == n - 1;
		const char *mount = v2 ? h->v2_mount : h->v1[i].mount;
		bool cpuset = !v2 && (h->v1[i].controllers & (1u << CGROUP_CTRL_CPUSET));

		r = cgroup_mkdirs(mount, path, cpuset, v2, &tops[i], err);
		if (r == 0 && tops[i] == NULL && cgroup_has_procs(dirs[i]))
			r = berth_error(err, EBUSY, "cgroup `%s` already exists and is not empty",
					dirs[i]);
		if (r < 0) {
			/* all or nothing: remove what this create made, this hierarchy included */
			for (size_t j = 0; j <= i; j++)
				if (tops[j] != NULL)
					cgroup_unmake(dirs[j], tops[j]);
			break;
		}
	}
	for (i = 0; i < n; i++)
		free(tops[i]);
	cgroup_dirs_free(dirs, n);
	if (r < 0)
		return berth_error_prefix(err, "create cgroup `%s`", path);
	return cgroup_open(h, path, out, err);
}

int cgroup_open(const struct cgroup_host *h, const char *path, struct cgroup **out,
		berth_error_t *err)
{
	struct cgroup *cg;

	if (cgroup_check_path(path, err) < 0)
		return -1;
	cg = xmalloc0(sizeof(*cg));
	cg->host = *h;
	cg->path = xstrdup(path);
	*out = cg;
	return 0;
}

void cgroup_free(struct cgroup *cg)
{
	if (cg == NULL)
		return;
	free(cg->path);
	free(cg);
}

int cgroup_enter(const struct cgroup *cg, pid_t pid, berth_error_t *err)
{
	char *dirs[CGROUP_MAX_HIERARCHIES + 1];
	size_t n = cgroup_dirs(&cg->host, cg->path, dirs);
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++)
		r = cgroup_setf(dirs[i], "", "cgroup.procs", err, "%d", (int)pid);
	cgroup_dirs_free(dirs, n);
	if (r < 0)
		berth_error_prefix(err, "join cgroup `%s`", cg->path);
	return r;
}

/* ---- pids -------------------------------------------------------------------------- */

static void cgroup_collect_pids(const char *dir, pid_t **pids, size_t *n, size_t *cap)
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
		cgroup_collect_pids(sub, pids, n, cap);
	}
	closedir(d);
}

/* The hierarchy used to list processes: v2 on a v2 host; otherwise the first of pids,
 * freezer, devices, memory, cpu that is mounted, else any (name=systemd), else v2. */
static char *cgroup_pids_dir(const struct cgroup_host *h, const char *path)
{
	static const enum cgroup_controller pref[] = {CGROUP_CTRL_PIDS, CGROUP_CTRL_FREEZER,
						      CGROUP_CTRL_DEVICES, CGROUP_CTRL_MEMORY,
						      CGROUP_CTRL_CPU};
	if (h->mode == CGROUP_MODE_V2)
		return xasprintf("%s%s", h->v2_mount, path);
	for (size_t p = 0; p < ARRAY_SIZE(pref); p++)
		for (size_t i = 0; i < h->n_v1; i++)
			if (h->v1[i].controllers & (1u << pref[p]))
				return xasprintf("%s%s", h->v1[i].mount, path);
	if (h->n_v1 > 0)
		return xasprintf("%s%s", h->v1[0].mount, path);
	if (h->has_v2)
		return xasprintf("%s%s", h->v2_mount, path);
	return NULL;
}

int cgroup_get_pids(const struct cgroup_host *h, const char *path, pid_t **pids, size_t *n,
		    berth_error_t *err)
{
	cleanup_free char *dir = NULL;
	size_t cap = 0;

	*pids = NULL;
	*n = 0;
	if (cgroup_check_path(path, err) < 0)
		return -1;
	dir = cgroup_pids_dir(h, path);
	if (dir == NULL)
		return berth_error(err, 0, "no cgroup hierarchy to list processes from");
	if (access(dir, F_OK) < 0)
		return 0;
	cgroup_collect_pids(dir, pids, n, &cap);
	return 0;
}

/* ---- freezer ----------------------------------------------------------------------- */

#define CGROUP_FREEZE_TIMEOUT_MS 5000

static int cgroup_v1_freezer_set(const char *dir, bool freeze, berth_error_t *err)
{
	const char *want = freeze ? "FROZEN" : "THAWED";

	for (int i = 0; i * 2 < CGROUP_FREEZE_TIMEOUT_MS; i++) {
		cleanup_free char *st = NULL;
		/* write again now and then: a task forked while freezing may escape a pass */
		if (i % 25 == 0 && cgroup_set(dir, "freezer", "freezer.state", want, err) < 0)
			return -1;
		if (cgroup_read(dir, "freezer.state", &st, err) < 0)
			return -1;
		if (strcmp(st, want) == 0)
			return 0;
		cgroup_sleep_ms(2);
	}
	if (freeze) {
		berth_error_t e = NULL;
		cgroup_set(dir, "freezer", "freezer.state", "THAWED", &e);
		berth_error_release(&e);
	}
	return berth_error(err, ETIMEDOUT, "`%s/freezer.state` did not become %s", dir, want);
}

static int cgroup_v2_freeze_set(const char *dir, bool freeze, berth_error_t *err)
{
	uint64_t frozen = 2;

	if (cgroup_set(dir, "freezer", "cgroup.freeze", freeze ? "1" : "0", err) < 0)
		return -1;
	for (int i = 0; i * 2 < CGROUP_FREEZE_TIMEOUT_MS; i++) {
		if (cgroup_read_key(dir, "cgroup.events", "frozen", &frozen) < 0)
			return berth_error(err, 0, "read `%s/cgroup.events`: no `frozen` key", dir);
		if (frozen == (freeze ? 1 : 0))
			return 0;
		cgroup_sleep_ms(2);
	}
	if (freeze) {
		berth_error_t e = NULL;
		cgroup_set(dir, "freezer", "cgroup.freeze", "0", &e);
		berth_error_release(&e);
	}
	return berth_error(err, ETIMEDOUT, "cgroup `%s` did not become %s", dir,
			   freeze ? "frozen" : "thawed");
}

static int cgroup_freeze_set(const struct cgroup *cg, bool freeze, berth_error_t *err)
{
	bool v2;
	cleanup_free char *dir = cgroup_ctrl_dir(cg, CGROUP_CTRL_FREEZER, &v2);

	if (dir != NULL && !v2)
		return cgroup_v1_freezer_set(dir, freeze, err);
	free(dir);
	dir = cgroup_v2_dir(cg);
	if (dir == NULL)
		return berth_error(err, 0, "cannot %s cgroup `%s`: the host has no freezer",
				   freeze ? "freeze" : "thaw", cg->path);
	return cgroup_v2_freeze_set(dir, freeze, err);
}

int cgroup_freeze(const struct cgroup *cg, berth_error_t *err)
{
	return cgroup_freeze_set(cg, true, err);
}

int cgroup_thaw(const struct cgroup *cg, berth_error_t *err)
{
	return cgroup_freeze_set(cg, false, err);
}

int cgroup_is_frozen(const struct cgroup *cg, berth_error_t *err)
{
	bool v2;
	cleanup_free char *dir = cgroup_ctrl_dir(cg, CGROUP_CTRL_FREEZER, &v2);
	uint64_t frozen;

	if (dir != NULL && !v2) {
		cleanup_free char *st = NULL;
		if (cgroup_read(dir, "freezer.state", &st, err) < 0)
			return -1;
		return strcmp(st, "FROZEN") == 0;
	}
	free(dir);
	dir = cgroup_v2_dir(cg);
	if (dir == NULL)
		return 0;
	if (cgroup_read_key(dir, "cgroup.events", "frozen", &frozen) < 0)
		return berth_error(err, 0, "read `%s/cgroup.events`: no `frozen` key", dir);
	return frozen == 1;
}

/* ---- destroy ----------------------------------------------------------------------- */

/* rmdir dir after its child cgroups, depth first. 0, or -errno of the first failure. */
static int cgroup_rmdir_tree(const char *dir)
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
		int s = cgroup_rmdir_tree(sub);
		if (r == 0)
			r = s;
	}
	closedir(d);
	if (rmdir(dir) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

/* SIGKILL every process in the cgroup, whichever hierarchy it shows up in (a process may
 * have been put in one hierarchy only). */
static void cgroup_kill_all(const struct cgroup_host *h, const char *path, char **dirs, size_t n)
{
	berth_error_t e = NULL;
	struct cgroup cg = {.host = *h, .path = (char *)path};
	bool frozen = false, v2;
	cleanup_free char *v2dir = h->has_v2 ? xasprintf("%s%s", h->v2_mount, path) : NULL;
	cleanup_free char *fz = NULL;

	if (h->mode == CGROUP_MODE_V2 && cgroup_file_exists(v2dir, "cgroup.kill")) {
		if (cgroup_set(v2dir, "", "cgroup.kill", "1", &e) == 0)
			return;
		berth_error_release(&e);
	}
	/* freeze first so that nothing forks behind our back, as runc does */
	fz = cgroup_ctrl_dir(&cg, CGROUP_CTRL_FREEZER, &v2);
	if ((fz != NULL && !v2 && access(fz, F_OK) == 0) ||
	    (fz == NULL && cgroup_file_exists(v2dir, "cgroup.freeze"))) {
		frozen = cgroup_freeze(&cg, &e) == 0;
		berth_error_release(&e);
	}
	for (size_t i = 0; i < n; i++) {
		pid_t *pids = NULL;
		size_t np = 0, cap = 0;
		if (access(dirs[i], F_OK) < 0)
			continue;
		cgroup_collect_pids(dirs[i], &pids, &np, &cap);
		for (size_t j = 0; j < np; j++)
			kill(pids[j], SIGKILL);
		free(pids);
	}
	if (frozen) {
		cgroup_thaw(&cg, &e);
		berth_error_release(&e);
	}
}

int cgroup_destroy(const struct cgroup_host *h, const char *path, berth_error_t *err)
{
	char *dirs[CGROUP_MAX_HIERARCHIES + 1];
	size_t n;
	int r = 0;
	long slept = 0, step = 5;

	if (cgroup_check_path(path, err) < 0)
		return -1;
	n = cgroup_dirs(h, path, dirs);
	for (;;) {
		size_t bad = 0;
		cgroup_kill_all(h, path, dirs, n);
		r = 0;
		for (size_t i = 0; i < n; i++) {
			int s = cgroup_rmdir_tree(dirs[i]);
			if (s < 0 && r == 0) {
				r = s;
				bad = i;
			}
		}
		if (r == 0)
			break;
		if (r != -EBUSY || slept >= 1000) {
			r = berth_error(err, -r, "remove cgroup `%s`", dirs[bad]);
			break;
		}
		cgroup_sleep_ms(step);
		slept += step;
		if (step < 100)
			step *= 2;
	}
	cgroup_dirs_free(dirs, n);
	return r;
}

/* ---- OOM and stats ----------------------------------------------------------------- */

int cgroup_oom_count(const struct cgroup *cg, uint64_t *count, berth_error_t *err)
{
	bool v2;
	cleanup_free char *dir = cgroup_ctrl_dir(cg, CGROUP_CTRL_MEMORY, &v2);

	(void)err;
	*count = 0;
	if (dir == NULL)
		return 0;
	if (cgroup_read_key(dir, v2 ? "memory.events" : "memory.oom_control", "oom_kill", count) <
	    0)
		*count = 0;
	return 0;
}

int cgroup_stats(const struct cgroup *cg, struct cgroup_stats *st, berth_error_t *err)
{
	memset(st, 0, sizeof(*st));
	if (cg->host.mode != CGROUP_MODE_V2 && cgroup_v1_stats(cg, st, err) < 0)
		return -1;
	/* v2 fills what v1 did not (hybrid: hugetlb lives in the cgroup2 tree here) */
	if (cg->host.has_v2 && cgroup_v2_stats(cg, st, err) < 0) {
		cgroup_stats_free(st);
		return -1;
	}
	return 0;
}

void cgroup_stats_free(struct cgroup_stats *st)
{
	free(st->cpu.percpu);
	for (size_t i = 0; i < st->memory.n_raw; i++) {
		free(st->memory.raw[i].key);
		free(st->memory.raw[i].value);
	}
	free(st->memory.raw);
	free(st->blkio.service_bytes);
	free(st->blkio.serviced);
	free(st->hugetlb);
	memset(st, 0, sizeof(*st));
}

/* ---- conversions ------------------------------------------------------------------- */

uint64_t cgroup_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cgroup_blkio_to_io_weight(uint64_t weight)
{
	if (weight == 0)
		return 0;
	if (weight < 10)
		weight = 10;
	if (weight > 1000)
		weight = 1000;
	return 1 + (weight - 10) * 9999 / 990;
}

int cgroup_swap_to_v2(int64_t swap, int64_t limit, int64_t *out, bool *set, berth_error_t *err)
{
	*set = false;
	*out = 0;
	/* as for v1: unlimited memory without a swap setting means unlimited swap too */
	if (limit == -1 && swap == 0) {
		*out = -1;
		*set = true;
		return 0;
	}
	if (swap == 0)
		return 0;
	if (swap == -1) {
		*out = -1;
		*set = true;
		return 0;
	}
	if (limit == 0 || limit == -1)
		return berth_error(err, 0, "unable to set swap limit without memory limit");
	if (limit < 0 || swap < 0)
		return berth_error(err, 0, "invalid memory value: %" PRId64, limit < 0 ? limit : swap);
	if (swap < limit)
		return berth_error(err, 0, "memory+swap limit should be >= memory limit");
	*out = swap - limit;
	*set = true;
	return 0;
}

/* ---- apply ------------------------------------------------------------------------- */

typedef int (*cgroup_setter)(const char *dir, const struct config_resources *r,
			     berth_error_t *err);

static int cgroup_apply_one(const struct cgroup *cg, enum cgroup_controller c, cgroup_setter v1,
			    cgroup_setter v2fn, const struct config_resources *r, berth_error_t *err)
{
	bool v2;
	cleanup_free char *dir = cgroup_ctrl_dir(cg, c, &v2);

	return v2 ? v2fn(dir, r, err) : v1(dir, r, err);
}

static int cgroup_apply_devices(const struct cgroup *cg, const struct config_resources *r,
				const struct cgroup_apply_opts *o, berth_error_t *err)
{
	struct cgroup_dev_rule *rules = NULL;
	struct cgroup_dev_state st = {0};
	bool v2;
	cleanup_free char *dir = cgroup_ctrl_dir(cg, CGROUP_CTRL_DEVICES, &v2);
	int ret;

	if (o->skip_devices || (o->update && r->n_devices == 0))
		return 0;
	if (cgroup_dev_rules(r, o->devices, o->n_devices, &rules, &st.n_rules, err) < 0)
		return -1;
	cgroup_dev_emulate(rules, st.n_rules, &st);
	free(rules);
	if (dir != NULL && !v2) {
		ret = cgroup_v1_devices(dir, &st, err);
	} else if (cg->host.has_v2) {
		size_t n = 0;
		cleanup_free struct bpf_insn *prog = cgroup_dev_bpf_program(&st, &n);
		cleanup_close int fd = -1;
		free(dir);
		dir = cgroup_v2_dir(cg);
		fd = cgroup_dev_bpf_load(prog, n, err);
		ret = fd < 0 ? -1 : cgroup_dev_bpf_attach(dir, fd, err);
	} else {
		/* a v1 host without the devices controller: nothing can enforce the rules */
		ret = berth_error(err, 0, "cannot set device rules: the host has no devices controller");
	}
	cgroup_dev_state_free(&st);
	return ret;
}

static int cgroup_apply_v1_only(const struct cgroup *cg, enum cgroup_controller c,
				cgroup_setter fn, bool wanted, const char *what,
				const struct config_resources *r, berth_error_t *err)
{
	bool v2;
	cleanup_free char *dir = cgroup_ctrl_dir(cg, c, &v2);

	if (!wanted)
		return 0;
	if (cg->host.mode == CGROUP_MODE_V2) {
		log_warning("%s is not supported on cgroup v2: ignored", what);
		return 0;
	}
	return fn(v2 ? NULL : dir, r, err);
}

int cgroup_apply_opts(const struct cgroup *cg, const struct config_resources *r,
		      const struct cgroup_apply_opts *o, berth_error_t *err)
{
	static const struct cgroup_apply_opts none;
	bool v2;
	int ret = -1;

	if (o == NULL)
		o = &none;
	if (r->n_unified > 0 && cg->host.mode != CGROUP_MODE_V2) {
		return berth_error(err, 0,
				   "invalid configuration: linux.resources.unified needs cgroup v2 "
				   "(this host is %s)",
				   cgroup_mode_name(cg->host.mode));
	}
	{
		cleanup_free char *dir = cgroup_ctrl_dir(cg, CGROUP_CTRL_MEMORY, &v2);
		if ((v2 ? cgroup_v2_memory(dir, r, o->update, err)
			: cgroup_v1_memory(dir, r, o->update, err)) < 0)
			goto out;
	}
	if (cgroup_apply_one(cg, CGROUP_CTRL_CPU, cgroup_v1_cpu, cgroup_v2_cpu, r, err) < 0 ||
	    cgroup_apply_one(cg, CGROUP_CTRL_CPUSET, cgroup_v1_cpuset, cgroup_v2_cpuset, r, err) <
		    0 ||
	    cgroup_apply_one(cg, CGROUP_CTRL_PIDS, cgroup_v1_pids, cgroup_v2_pids, r, err) < 0 ||
	    cgroup_apply_one(cg, CGROUP_CTRL_IO, cgroup_v1_blkio, cgroup_v2_io, r, err) < 0 ||
	    cgroup_apply_one(cg, CGROUP_CTRL_HUGETLB, cgroup_v1_hugetlb, cgroup_v2_hugetlb, r,
			     err) < 0 ||
	    cgroup_apply_one(cg, CGROUP_CTRL_RDMA, cgroup_v1_rdma, cgroup_v2_rdma, r, err) < 0)
		goto out;
	if (cgroup_apply_v1_only(cg, CGROUP_CTRL_NET_CLS, cgroup_v1_net_cls, r->has_net_class_id,
				 "linux.resources.network.classID", r, err) < 0 ||
	    cgroup_apply_v1_only(cg, CGROUP_CTRL_NET_PRIO, cgroup_v1_net_prio,
				 r->n_net_priorities > 0, "linux.resources.network.priorities", r,
				 err) < 0)
		goto out;
	if (cgroup_apply_devices(cg, r, o, err) < 0)
		goto out;
	if (r->n_unified > 0) {
		cleanup_free char *dir = cgroup_v2_dir(cg);
		if (cgroup_v2_unified(dir, cg->host.v2_controllers, r, err) < 0)
			goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		berth_error_prefix(err, "cgroup `%s`", cg->path);
	return ret;
}

int cgroup_apply(const struct cgroup *cg, const struct config_resources *r, berth_error_t *err)
{
	return cgroup_apply_opts(cg, r, NULL, err);
}
