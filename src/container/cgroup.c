/* SPDX-License-Identifier: MIT */
/* Control groups: host detection, paths, create/enter/destroy, freezing, and the dispatch
 * of every per-version step through cgroup_v1_ops or cgroup_v2_ops (cgroup_v1.c,
 * cgroup_v2.c), which sit on the file layer (cgroup_fs.c). */
#include "cgroup.h"
#include "cgroup_priv.h"
#include "log.h"
#include "mountinfo.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif

static const char *const cgroup_ctrl_names[CGROUP_CTRL_COUNT] = {
    [CGROUP_CTRL_CPU] = "cpu",
    [CGROUP_CTRL_CPUACCT] = "cpuacct",
    [CGROUP_CTRL_CPUSET] = "cpuset",
    [CGROUP_CTRL_MEMORY] = "memory",
    [CGROUP_CTRL_DEVICES] = "devices",
    [CGROUP_CTRL_FREEZER] = "freezer",
    [CGROUP_CTRL_IO] = "io",
    [CGROUP_CTRL_PIDS] = "pids",
    [CGROUP_CTRL_HUGETLB] = "hugetlb",
    [CGROUP_CTRL_NET_CLS] = "net_cls",
    [CGROUP_CTRL_NET_PRIO] = "net_prio",
    [CGROUP_CTRL_PERF_EVENT] = "perf_event",
    [CGROUP_CTRL_RDMA] = "rdma",
    [CGROUP_CTRL_MISC] = "misc",
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
		if (strlen(cgroup_ctrl_names[i]) == len &&
		    strncmp(cgroup_ctrl_names[i], name, len) == 0)
			return i;
	return -1;
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

/* false: not added (no controller, too many, or a hierarchy mounted again) */
static bool cgroup_add_v1(struct cgroup_host *h, const char *mp, const char *superopts)
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
		return false;
	for (size_t i = 0; i < h->n_v1; i++)
		if (strcmp(h->v1[i].options, opts) == 0)
			return false; /* the same hierarchy mounted twice: keep the first */
	cgroup_copy(h->v1[h->n_v1].mount, sizeof(h->v1[0].mount), mp);
	cgroup_copy(h->v1[h->n_v1].options, sizeof(h->v1[0].options), opts);
	h->v1[h->n_v1].controllers = mask;
	h->v1_controllers |= mask;
	h->n_v1++;
	return true;
}

static int cgroup_parse_mountinfo(struct cgroup_host *h, const char *file, berth_error_t *err)
{
	cleanup_mountinfo struct mountinfo mi = {0};

	if (mountinfo_load(file, &mi, err) < 0)
		return -1;
	h->plain = true;
	for (size_t i = 0; i < mi.n; i++) {
		const struct mountinfo_entry *m = &mi.v[i];
		bool v1 = strcmp(m->fstype, "cgroup") == 0, v2 = strcmp(m->fstype, "cgroup2") == 0;
		const char *below = m->point + strlen(h->root);
		if (!cgroup_under(m->point, h->root) || (!v1 && !v2))
			continue;
		if (strcmp(m->root, "/") != 0 || below[0] != '/' ||
		    strchr(below + 1, '/') != NULL || strlen(m->point) >= CGROUP_MOUNT_MAX)
			h->plain = false;
		if (v1) {
			if (!cgroup_add_v1(h, m->point, m->superopts))
				h->plain = false;
		} else if (!h->has_v2) {
			h->has_v2 = true;
			cgroup_copy(h->v2_mount, sizeof(h->v2_mount), m->point);
		} else {
			h->plain = false;
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

/* ---- create ------------------------------------------------------------------------ */

int cgroup_create(const struct cgroup_host *h, const char *path, struct cgroup **out,
                  berth_error_t *err)
{
	return cgroup_create_part(h, path, CGROUP_PART_ALL, out, err);
}

int cgroup_create_part(const struct cgroup_host *h, const char *path, enum cgroup_part part,
                       struct cgroup **out, berth_error_t *err)
{
	char *dirs[CGROUP_MAX_HIERARCHIES + 1];
	char *tops[CGROUP_MAX_HIERARCHIES + 1] = {0};
	size_t n, i;
	int r = 0;

	*out = NULL;
	if (cgroup_check_path(path, err) < 0)
		return -1;
	n = cgroup_fs_dirs(h, path, dirs);
	if (n == 0)
		return berth_error(err, 0, "no cgroup hierarchy to create `%s` in", path);
	for (i = 0; i < n; i++) {
		bool v2 = h->has_v2 && i == n - 1;
		const struct cgroup_ops *ops = v2 ? &cgroup_v2_ops : &cgroup_v1_ops;

		if ((part == CGROUP_PART_V2 && !v2) || (part == CGROUP_PART_V1 && v2))
			continue;
		r = v2 ? ops->create(h->v2_mount, path, h->v2_controllers, &tops[i], err)
		       : ops->create(h->v1[i].mount, path, h->v1[i].controllers, &tops[i], err);
		if (r == 0 && tops[i] == NULL && cgroup_fs_has_procs(dirs[i]))
			r = berth_error(err, EBUSY, "cgroup `%s` already exists and is not empty",
			                dirs[i]);
		if (r < 0) {
			/* all or nothing: remove what this create made, this hierarchy included */
			for (size_t j = 0; j <= i; j++)
				if (tops[j] != NULL)
					cgroup_fs_unmake(dirs[j], tops[j]);
			break;
		}
	}
	for (i = 0; i < n; i++)
		free(tops[i]);
	cgroup_fs_dirs_free(dirs, n);
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

/* Whether the comma-separated controller list `want` names one of `have`'s ("cpu,cpuacct",
 * "name=systemd"). */
static bool cgroup_ctrls_match(const char *want, size_t want_len, const char *have)
{
	for (const char *w = want; w < want + want_len;) {
		const char *we = memchr(w, ',', (size_t)(want + want_len - w));
		size_t wl = we ? (size_t)(we - w) : (size_t)(want + want_len - w);
		for (const char *h = have; *h;) {
			size_t hl = strcspn(h, ",");
			if (hl == wl && strncmp(h, w, wl) == 0)
				return true;
			h += hl + (h[hl] == ',');
		}
		w += wl + 1;
	}
	return false;
}

int cgroup_enter_sub(const struct cgroup *cg, pid_t pid, char *const *subs, size_t n_subs,
                     berth_error_t *err)
{
	const struct cgroup_host *h = &cg->host;
	size_t n_h = h->mode == CGROUP_MODE_V2 ? 0 : h->n_v1;

	for (size_t i = 0; i < n_subs; i++) {
		const char *colon = strchr(subs[i], ':');
		const char *sub = colon ? colon + 1 : subs[i];
		if (*sub == '\0' || strstr(sub, "..") != NULL || (colon && colon == subs[i]))
			return berth_error(err, EINVAL,
			                   "--cgroup `%s`: expected PATH or CONTROLLER[,…]:PATH, "
			                   "a path below the container's cgroup without `..`",
			                   subs[i]);
	}
	/* each hierarchy (the v2 tree last): the last --cgroup that names it, else the one
	 * without controllers, else the container's own cgroup */
	for (size_t k = 0; k <= n_h; k++) {
		bool v2 = k == n_h;
		const char *mount = v2 ? h->v2_mount : h->v1[k].mount;
		const char *sub = NULL;
		cleanup_free char *dir = NULL;
		struct stat st;

		if (v2 && !h->has_v2)
			break;
		for (size_t i = 0; i < n_subs; i++) {
			const char *colon = strchr(subs[i], ':');
			if (colon == NULL)
				sub = sub ? sub : subs[i];
			else if (!v2 && cgroup_ctrls_match(subs[i], (size_t)(colon - subs[i]),
			                                   h->v1[k].options))
				sub = colon + 1;
		}
		dir = sub ? xasprintf("%s%s/%s", mount, cg->path, sub + (*sub == '/'))
		          : xasprintf("%s%s", mount, cg->path);
		if (sub && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)))
			return berth_error(err, ENOENT, "--cgroup: `%s` does not exist", dir);
		if (cgroup_setf(dir, "", "cgroup.procs", err, "%d", (int)pid) < 0)
			return berth_error_prefix(err, "join cgroup `%s`", sub ? dir : cg->path);
	}
	return 0;
}

int cgroup_enter(const struct cgroup *cg, pid_t pid, berth_error_t *err)
{
	return cgroup_enter_sub(cg, pid, NULL, 0, err);
}

int cgroup_open_dirs(const struct cgroup *cg, int *v1_fds, size_t *n_v1, int *v2_fd,
                     berth_error_t *err)
{
	const struct cgroup_host *h = &cg->host;
	size_t n_h = h->mode == CGROUP_MODE_V2 ? 0 : h->n_v1;

	*n_v1 = 0;
	if (v2_fd)
		*v2_fd = -1;
	for (size_t k = 0; k <= n_h; k++) {
		bool v2 = k == n_h;
		cleanup_free char *dir = NULL;
		int fd;

		if (v2 && (!h->has_v2 || v2_fd == NULL))
			break;
		if (!v2 && v1_fds == NULL)
			continue;
		dir = xasprintf("%s%s", v2 ? h->v2_mount : h->v1[k].mount, cg->path);
		fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			berth_error(err, errno, "open cgroup `%s`", dir);
			goto fail;
		}
		if (v2)
			*v2_fd = fd;
		else
			v1_fds[(*n_v1)++] = fd;
	}
	return 0;
fail:
	for (size_t i = 0; v1_fds && i < *n_v1; i++)
		close(v1_fds[i]);
	*n_v1 = 0;
	return -1;
}

int cgroup_join_self_v1(const int *fds, size_t n, berth_error_t *err)
{
	for (size_t i = 0; i < n; i++) {
		int fd = openat(fds[i], "tasks", O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return berth_error(err, errno, "join the cgroup: open `tasks`");
		if (write(fd, "0", 1) != 1) {
			int e = errno;
			close(fd);
			return berth_error(err, e, "join the cgroup: write 0 to `tasks`");
		}
		close(fd);
	}
	return 0;
}

/* ---- pids -------------------------------------------------------------------------- */

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
	cgroup_fs_collect_pids(dir, pids, n, &cap);
	return 0;
}

/* ---- freezer ----------------------------------------------------------------------- */

/* The version that freezes cg and the directory to do it in: the v1 freezer when the host
 * has one in v1, else the cgroup2 tree (cgroup.freeze is a core file there). NULL: neither. */
static const struct cgroup_ops *cgroup_freezer(const struct cgroup *cg, char **dir)
{
	bool v2;
	char *d = cgroup_ctrl_dir(cg, CGROUP_CTRL_FREEZER, &v2);

	if (d != NULL && !v2) {
		*dir = d;
		return &cgroup_v1_ops;
	}
	free(d);
	*dir = cgroup_v2_dir(cg);
	return *dir != NULL ? &cgroup_v2_ops : NULL;
}

static int cgroup_freeze_set(const struct cgroup *cg, bool freeze, berth_error_t *err)
{
	cleanup_free char *dir = NULL;
	const struct cgroup_ops *ops = cgroup_freezer(cg, &dir);

	if (ops == NULL)
		return berth_error(err, 0, "cannot %s cgroup `%s`: the host has no freezer",
		                   freeze ? "freeze" : "thaw", cg->path);
	return ops->freeze(dir, freeze, err);
}

int cgroup_freeze(const struct cgroup *cg, berth_error_t *err)
{
	return cgroup_freeze_set(cg, true, err);
}

int cgroup_thaw(const struct cgroup *cg, berth_error_t *err)
{
	return cgroup_freeze_set(cg, false, err);
}

char *cgroup_pid_path(pid_t pid, const char *ctrls)
{
	char file[64];
	cleanup_free char *text = NULL;
	char *line, *save = NULL;
	berth_error_t err = NULL;

	if (pid > 0)
		snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	else
		snprintf(file, sizeof(file), "/proc/self/cgroup");
	if (util_read_file(file, &text, NULL, &err) < 0) {
		berth_error_release(&err);
		return NULL;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2;
		if (c1 == NULL || (c2 = strchr(c1 + 1, ':')) == NULL)
			continue;
		*c2 = '\0';
		if (strcmp(c1 + 1, ctrls) == 0)
			return xstrdup(c2 + 1);
	}
	return NULL;
}

/* cgroup_warm's child: its own fd table (no CLONE_FILES); it touches only its stack and the
 * fd. It shares the parent's thread pointer, so a failed write would set the parent's errno:
 * the runtime calls this right before its re-exec, after which nothing is shared, and reads
 * no errno meanwhile that matters (a failed seal step only means the fallback). */
static char cgroup_warm_stack[16384] __attribute__((aligned(16)));

static int cgroup_warm_child(void *arg)
{
	syscall(SYS_write, (int)(intptr_t)arg, "0", 1);
	return 0;
}

pid_t cgroup_warm(void)
{
	cleanup_free char *path = cgroup_pid_path(0, "");
	cleanup_close int fd = -1;
	char file[PATH_MAX];
	pid_t pid;

	if (path == NULL)
		return -1;
	/* hybrid (cgroup2 at unified), then pure v2 */
	snprintf(file, sizeof(file), "/sys/fs/cgroup/unified%s/cgroup.procs",
	         strcmp(path, "/") == 0 ? "" : path);
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(file, sizeof(file), "/sys/fs/cgroup%s/cgroup.procs",
		         strcmp(path, "/") == 0 ? "" : path);
		fd = open(file, O_WRONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return -1;
	pid = clone(cgroup_warm_child, cgroup_warm_stack + sizeof(cgroup_warm_stack),
	            CLONE_VM | SIGCHLD, (void *)(intptr_t)fd);
	return pid < 0 ? -1 : pid;
}

/* Thaw the cgroup `path` of one hierarchy mounted at `mount`, its ancestors first, from the
 * top (the root itself cannot be frozen): a parent's freeze holds its children, so a child
 * thaws only after them. */
static void cgroup_thaw_tree(const struct cgroup_ops *ops, const char *mount, const char *path)
{
	if (path == NULL || cgroup_check_path(path, NULL) < 0)
		return;
	for (const char *end = strchr(path + 1, '/');; end = strchr(end + 1, '/')) {
		size_t len = end ? (size_t)(end - path) : strlen(path);
		cleanup_free char *dir = xasprintf("%s%.*s", mount, (int)len, path);
		berth_error_t e = NULL;
		if (ops->freeze(dir, false, &e) < 0)
			berth_error_release(&e);
		if (end == NULL)
			break;
	}
}

void cgroup_thaw_pid(const struct cgroup_host *h, pid_t pid)
{
	/* a v1 freezer, and the cgroup2 tree's cgroup.freeze (there on a hybrid host too) */
	if (h->mode != CGROUP_MODE_V2)
		for (size_t i = 0; i < h->n_v1; i++)
			if (h->v1[i].controllers & (1u << CGROUP_CTRL_FREEZER)) {
				cleanup_free char *path = cgroup_pid_path(pid, h->v1[i].options);
				cgroup_thaw_tree(&cgroup_v1_ops, h->v1[i].mount, path);
			}
	if (h->has_v2) {
		cleanup_free char *path = cgroup_pid_path(pid, "");
		cgroup_thaw_tree(&cgroup_v2_ops, h->v2_mount, path);
	}
}

int cgroup_is_frozen(const struct cgroup *cg, berth_error_t *err)
{
	cleanup_free char *dir = NULL;
	const struct cgroup_ops *ops = cgroup_freezer(cg, &dir);

	if (ops == NULL)
		return 0;
	return ops->is_frozen(dir, err);
}

char *cgroup_freezer_dir(const struct cgroup *cg, bool *v2)
{
	char *dir = NULL;
	const struct cgroup_ops *ops = cgroup_freezer(cg, &dir);

	if (ops == NULL) {
		free(dir);
		return NULL;
	}
	*v2 = ops == &cgroup_v2_ops;
	return dir;
}

int cgroup_dir_is_frozen(const char *dir, bool v2, berth_error_t *err)
{
	if (!cgroup_under(dir, "/sys/fs/cgroup") || strstr(dir, "/..") != NULL)
		return berth_error(err, EINVAL, "freezer `%s`: not under /sys/fs/cgroup", dir);
	return (v2 ? &cgroup_v2_ops : &cgroup_v1_ops)->is_frozen(dir, err);
}

/* ---- destroy ----------------------------------------------------------------------- */

/* The processes in the cgroup's directories dirs[0..n) (a process may show up in one
 * hierarchy only); *pids is allocated. */
static size_t cgroup_collect_all(char **dirs, size_t n, pid_t **pids)
{
	size_t np = 0, cap = 0;

	*pids = NULL;
	for (size_t i = 0; i < n; i++)
		if (access(dirs[i], F_OK) == 0)
			cgroup_fs_collect_pids(dirs[i], pids, &np, &cap);
	return np;
}

/* SIGKILL every process in the cgroup, whichever hierarchy it shows up in. An empty cgroup
 * (the usual case: the container's init has exited and took the rest with its pid
 * namespace) is left as it is: freezing it would cost two freezer.state writes, each of
 * which flips a kernel static key on every CPU, and a process that joins it later makes
 * cgroup_destroy's rmdir fail with EBUSY and come back here. */
static void cgroup_kill_all(const struct cgroup_host *h, const char *path, char **dirs, size_t n)
{
	berth_error_t e = NULL;
	struct cgroup cg = {.host = *h, .path = (char *)path};
	bool frozen = false;
	cleanup_free char *fz = NULL;
	cleanup_free pid_t *pids = NULL;
	const struct cgroup_ops *fops;
	size_t np;

	if (h->mode == CGROUP_MODE_V2) {
		cleanup_free char *v2dir = cgroup_v2_dir(&cg);
		if (cgroup_v2_ops.kill(v2dir, &e) == 0)
			return;
		berth_error_release(&e);
	}
	if (cgroup_collect_all(dirs, n, &pids) == 0)
		return;
	free(pids);
	/* freeze first so that nothing forks behind our back, as runc does */
	fops = cgroup_freezer(&cg, &fz);
	if (fops != NULL && cgroup_file_exists(fz, fops->freeze_file)) {
		frozen = fops->freeze(fz, true, &e) == 0;
		berth_error_release(&e);
	}
	np = cgroup_collect_all(dirs, n, &pids);
	for (size_t j = 0; j < np; j++)
		kill(pids[j], SIGKILL);
	if (frozen) {
		fops->freeze(fz, false, &e);
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
	n = cgroup_fs_dirs(h, path, dirs);
	/* the common case, every process gone and no cgroup below: one rmdir per hierarchy, none
	 * of the reads of cgroup.procs and of the directories below (rmdir fails with EBUSY on a
	 * cgroup with processes or children, and the loop below sees to those) */
	for (size_t i = 0; i < n; i++)
		if (rmdir(dirs[i]) < 0 && errno != ENOENT)
			r = -1;
	if (r == 0) {
		cgroup_fs_dirs_free(dirs, n);
		return 0;
	}
	for (;;) {
		size_t bad = 0;
		cgroup_kill_all(h, path, dirs, n);
		r = 0;
		for (size_t i = 0; i < n; i++) {
			int s = cgroup_fs_rmdir_tree(dirs[i]);
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
		cgroup_fs_sleep_ms(step);
		slept += step;
		if (step < 100)
			step *= 2;
	}
	cgroup_fs_dirs_free(dirs, n);
	return r;
}

size_t cgroup_host_mounts(const struct cgroup_host *h,
                          const char *mounts[CGROUP_MAX_HIERARCHIES + 1])
{
	size_t n = 0;

	if (h->mode != CGROUP_MODE_V2)
		for (size_t i = 0; i < h->n_v1; i++)
			mounts[n++] = h->v1[i].mount;
	if (h->has_v2)
		mounts[n++] = h->v2_mount;
	return n;
}

int cgroup_remove_at(const char *const *mounts, size_t n, const char *path)
{
	berth_error_t e = NULL;
	int r = 0;

	if (n == 0 || n > CGROUP_MAX_HIERARCHIES + 1 || cgroup_check_path(path, &e) < 0) {
		berth_error_release(&e);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (mounts[i] == NULL || !cgroup_under(mounts[i], "/sys/fs/cgroup") ||
		    strstr(mounts[i], "/..") != NULL)
			return -1;
	for (size_t i = 0; i < n; i++) {
		cleanup_free char *dir = xasprintf("%s%s", mounts[i], path);
		if (rmdir(dir) < 0 && errno != ENOENT)
			r = -1;
	}
	return r;
}

/* ---- OOM and stats ----------------------------------------------------------------- */

int cgroup_oom_count(const struct cgroup *cg, uint64_t *count, berth_error_t *err)
{
	bool v2;
	cleanup_free char *dir = cgroup_ctrl_dir(cg, CGROUP_CTRL_MEMORY, &v2);
	const struct cgroup_ops *ops = v2 ? &cgroup_v2_ops : &cgroup_v1_ops;

	(void)err;
	*count = 0;
	if (dir == NULL)
		return 0;
	if (cgroup_read_key(dir, ops->oom_file, "oom_kill", count) < 0)
		*count = 0;
	return 0;
}

int cgroup_stats(const struct cgroup *cg, struct cgroup_stats *st, berth_error_t *err)
{
	memset(st, 0, sizeof(*st));
	if (cg->host.mode != CGROUP_MODE_V2 && cgroup_v1_ops.stats(cg, st, err) < 0)
		return -1;
	/* v2 fills what v1 did not (hybrid: hugetlb lives in the cgroup2 tree here) */
	if (cg->host.has_v2 && cgroup_v2_ops.stats(cg, st, err) < 0) {
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
		return berth_error(err, 0, "invalid memory value: %" PRId64,
		                   limit < 0 ? limit : swap);
	if (swap < limit)
		return berth_error(err, 0, "memory+swap limit should be >= memory limit");
	*out = swap - limit;
	*set = true;
	return 0;
}

/* ---- apply ------------------------------------------------------------------------- */

/* The version holding controller c for cg (v2 when neither has it on a v2 host, else v1:
 * with dir NULL its setters then fail, or warn for what v2 ignores). */
static const struct cgroup_ops *cgroup_ctrl_ops(const struct cgroup *cg, enum cgroup_controller c,
                                                char **dir)
{
	bool v2;

	*dir = cgroup_ctrl_dir(cg, c, &v2);
	return v2 ? &cgroup_v2_ops : &cgroup_v1_ops;
}

static int cgroup_apply_devices(const struct cgroup *cg, const struct config_resources *r,
                                const struct cgroup_apply_opts *o, berth_error_t *err)
{
	struct cgroup_dev_rule *rules = NULL;
	struct cgroup_dev_state st = {0};
	cleanup_free char *dir = NULL;
	const struct cgroup_ops *ops = cgroup_ctrl_ops(cg, CGROUP_CTRL_DEVICES, &dir);
	int ret;

	if (o->skip_devices || (o->update && r->n_devices == 0))
		return 0;
	if (cgroup_dev_rules(r, o->devices, o->n_devices, &rules, &st.n_rules, err) < 0)
		return -1;
	cgroup_dev_emulate(rules, st.n_rules, &st);
	free(rules);
	/* v1's devices controller when the host has it, else a BPF program on the v2 cgroup */
	if (dir == NULL && cg->host.has_v2) {
		ops = &cgroup_v2_ops;
		dir = cgroup_v2_dir(cg);
	}
	if (dir != NULL)
		ret = ops->devices(dir, &st, err);
	else /* a v1 host without the devices controller: nothing can enforce the rules */
		ret = berth_error(err, 0,
		                  "cannot set device rules: the host has no devices controller");
	cgroup_dev_state_free(&st);
	return ret;
}

int cgroup_apply_opts(const struct cgroup *cg, const struct config_resources *r,
                      const struct cgroup_apply_opts *o, berth_error_t *err)
{
	/* the order runc writes them in */
	static const enum cgroup_controller order[] = {
	    CGROUP_CTRL_MEMORY, CGROUP_CTRL_CPU,     CGROUP_CTRL_CPUSET,
	    CGROUP_CTRL_PIDS,   CGROUP_CTRL_IO,      CGROUP_CTRL_HUGETLB,
	    CGROUP_CTRL_RDMA,   CGROUP_CTRL_NET_CLS, CGROUP_CTRL_NET_PRIO,
	};
	static const struct cgroup_apply_opts none;
	int ret = -1;

	if (o == NULL)
		o = &none;
	if (r->n_unified > 0 && cg->host.mode != CGROUP_MODE_V2) {
		return berth_error(err, 0,
		                   "invalid configuration: linux.resources.unified needs cgroup v2 "
		                   "(this host is %s)",
		                   cgroup_mode_name(cg->host.mode));
	}
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		cleanup_free char *dir = NULL;
		const struct cgroup_ops *ops = cgroup_ctrl_ops(cg, order[i], &dir);
		if (ops->set[order[i]](dir, r, o->update, err) < 0)
			goto out;
	}
	if (cgroup_apply_devices(cg, r, o, err) < 0)
		goto out;
	if (r->n_unified > 0) {
		cleanup_free char *dir = cgroup_v2_dir(cg);
		if (cgroup_v2_ops.unified(dir, cg->host.v2_controllers, r, err) < 0)
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
