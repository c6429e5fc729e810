/* SPDX-License-Identifier: MIT */
#include "process.h"
#include "util.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int process_apply_rlimits(const struct config_process *p, berth_error_t *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		const struct config_rlimit *r = &p->rlimits[i];
		struct rlimit rl = {.rlim_cur = r->soft, .rlim_max = r->hard};
		if (setrlimit(r->resource, &rl) < 0)
			return berth_error(err, errno, "setrlimit %s (soft %llu, hard %llu)",
			                   r->type, (unsigned long long)r->soft,
			                   (unsigned long long)r->hard);
	}
	return 0;
}

int process_set_oom_score_adj(const struct config_process *p, berth_error_t *err)
{
	char buf[16];
	if (!p->has_oom_score_adj)
		return 0;
	snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
	return util_write_file("/proc/self/oom_score_adj", buf, err);
}

/* struct sched_attr of sched_setattr(2), SCHED_ATTR_SIZE_VER1 */
struct process_sched_attr {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
	uint32_t sched_util_min, sched_util_max;
};

int process_apply_sched(const struct config_process *p, berth_error_t *err)
{
	if (p->has_scheduler) {
		const struct config_scheduler *s = &p->scheduler;
		struct process_sched_attr a = {
		    .size = sizeof(a),
		    .sched_policy = (uint32_t)s->policy,
		    .sched_flags = s->flags,
		    .sched_nice = s->nice,
		    .sched_priority = (uint32_t)s->priority,
		    .sched_runtime = s->runtime,
		    .sched_deadline = s->deadline,
		    .sched_period = s->period,
		};
		if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
			return berth_error(err, errno, "process.scheduler: sched_setattr");
	}
	if (p->has_io_priority) {
		/* IOPRIO_PRIO_VALUE(class, data); IOPRIO_WHO_PROCESS, this process */
		int v = p->io_priority.class_ << 13 | p->io_priority.priority;
		if (syscall(SYS_ioprio_set, 1, 0, v) < 0)
			return berth_error(err, errno, "process.ioPriority: ioprio_set");
	}
	return 0;
}

int process_apply_mempolicy(const struct config_linux *l, berth_error_t *err)
{
	const struct config_memory_policy *m = &l->memory_policy;

	if (!l->has_memory_policy)
		return 0;
	/* maxnode is one more than the highest node, as the kernel counts it */
	if (syscall(SYS_set_mempolicy, m->mode | (int)m->flags, m->max_node ? m->nodemask : NULL,
	            m->max_node ? m->max_node + 1 : 0) < 0)
		return berth_error(err, errno, "linux.memoryPolicy: set_mempolicy");
	return 0;
}

int process_last_cap(void)
{
	static int last = -1;
	if (last < 0) {
		cleanup_free char *text = NULL;
		berth_error_t err = NULL;
		if (util_read_file("/proc/sys/kernel/cap_last_cap", &text, NULL, &err) == 0)
			last = atoi(text);
		else
			last = CAP_LAST_CAP;
		berth_error_release(&err);
	}
	return last;
}

int process_user_unmapped_error(const struct config_user *u, berth_error_t *err)
{
	if (u->uid != 0)
		return berth_error(err, 0,
		                   "process.user.uid: %u cannot be set in a user "
		                   "namespace without linux.uidMappings (no id is mapped there)",
		                   (unsigned)u->uid);
	if (u->gid != 0)
		return berth_error(err, 0,
		                   "process.user.gid: %u cannot be set in a user "
		                   "namespace without linux.gidMappings (no id is mapped there)",
		                   (unsigned)u->gid);
	if (u->n_additional_gids > 0)
		return berth_error(err, 0,
		                   "process.user.additionalGids: cannot be set in a "
		                   "user namespace without linux.gidMappings (no id is mapped "
		                   "there)");
	return 0;
}

static bool process_cap_in(const int *caps, size_t n, int cap)
{
	for (size_t i = 0; i < n; i++)
		if (caps[i] == cap)
			return true;
	return false;
}

/* The capabilities the config asks for that this process's bounding set lacks: they
 * cannot be granted, so, as the runtime spec says, each is warned about once and left out
 * rather than failing the create. Returns the mask of the grantable ones. */
static uint64_t process_grantable_caps(const struct config_capabilities *c)
{
	const struct {
		const int *caps;
		size_t n;
	} sets[] = {{c->bounding, c->n_bounding},
	            {c->effective, c->n_effective},
	            {c->permitted, c->n_permitted},
	            {c->inheritable, c->n_inheritable},
	            {c->ambient, c->n_ambient}};
	uint64_t have = 0, warned = 0;
	int last = process_last_cap();

	for (int cap = 0; cap <= last && cap < 64; cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
			have |= 1ull << cap;
	for (size_t i = 0; i < ARRAY_SIZE(sets); i++)
		for (size_t j = 0; j < sets[i].n; j++) {
			int cap = sets[i].caps[j];
			char *name;
			if (cap < 0 || cap >= 64 || (have | warned) & (1ull << cap))
				continue;
			warned |= 1ull << cap;
			name = cap_to_name(cap);
			for (char *q = name; q && *q; q++)
				*q = (char)toupper((unsigned char)*q);
			log_warning(
			    "capability %s is not in the runtime's bounding set; not granted",
			    name ? name : "?");
			cap_free(name);
		}
	return have;
}

static int process_set_caps(const struct config_capabilities *c, uint64_t grantable,
                            berth_error_t *err)
{
	cap_t caps = cap_init();
	int last = process_last_cap();
	int r = 0;

	if (caps == NULL)
		return berth_error(err, errno, "cap_init");
	for (int cap = 0; cap <= last; cap++) {
		cap_value_t v = cap;
		if (cap >= 64 || !(grantable & (1ull << cap)))
			continue;
		if (process_cap_in(c->effective, c->n_effective, cap))
			cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_SET);
		if (process_cap_in(c->permitted, c->n_permitted, cap))
			cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_SET);
		if (process_cap_in(c->inheritable, c->n_inheritable, cap))
			cap_set_flag(caps, CAP_INHERITABLE, 1, &v, CAP_SET);
	}
	if (cap_set_proc(caps) < 0)
		r = berth_error(err, errno, "set capabilities");
	cap_free(caps);
	if (r < 0)
		return r;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return berth_error(err, errno, "clear ambient capabilities");
	for (size_t i = 0; i < c->n_ambient; i++)
		if (c->ambient[i] >= 0 && c->ambient[i] < 64 &&
		    (grantable & (1ull << c->ambient[i])) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)c->ambient[i], 0,
		          0) < 0)
			/* runc ignores ambient capabilities that are not also permitted+inheritable
			 */
			log_debug("cannot raise ambient capability %d: %s", c->ambient[i],
			          strerror(errno));
	return 0;
}

bool process_setgroups_denied(void)
{
	char buf[8] = {0};
	cleanup_close int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
	return fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0 && strncmp(buf, "deny", 4) == 0;
}

static int process_switch_ids(const struct config_user *u, bool setgroups_denied,
                              berth_error_t *err)
{
	if (!setgroups_denied) {
		if (setgroups(u->n_additional_gids, u->additional_gids) < 0)
			return berth_error(err, errno, "setgroups");
	} else if (u->n_additional_gids > 0) {
		return berth_error(err, EPERM, "setgroups (denied in this user namespace)");
	}
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return berth_error(err, errno, "setresgid(%u)", (unsigned)u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return berth_error(err, errno, "setresuid(%u)", (unsigned)u->uid);
	return 0;
}

int process_set_identity(const struct config_process *p, bool setgroups_denied, bool ids_unmapped,
                         berth_error_t *err)
{
	const struct config_capabilities *c = &p->capabilities;
	uint64_t grantable = 0;

	if (ids_unmapped && process_user_unmapped_error(&p->user, err) < 0)
		return -1;
	if (c->has) {
		int last = process_last_cap();
		grantable = process_grantable_caps(c);
		for (int cap = 0; cap <= last; cap++)
			if (!process_cap_in(c->bounding, c->n_bounding, cap) &&
			    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
				return berth_error(err, errno,
				                   "drop capability %d from the bounding set", cap);
		/* keep the permitted set across the uid change; we set it explicitly below */
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			return berth_error(err, errno, "prctl(PR_SET_KEEPCAPS)");
	}
	/* with no id mapped, setgroups, setresgid and setresuid could only fail (EPERM,
	 * EINVAL): the ids stay the ones the user namespace was made with */
	if (!ids_unmapped && process_switch_ids(&p->user, setgroups_denied, err) < 0)
		return -1;
	if (c->has) {
		if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
			return berth_error(err, errno, "prctl(PR_SET_KEEPCAPS)");
		if (process_set_caps(c, grantable, err) < 0)
			return -1;
	}
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return berth_error(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
	umask(p->user.has_umask ? p->user.umask : 022);
	return 0;
}

int process_enter_cwd(const char *cwd, berth_error_t *err)
{
	cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int fd = -1;
	char buf[PATH_MAX];

	if (root < 0)
		return berth_error(err, errno, "process.cwd: open the root");
	/* inside the root, and never through a /proc magic link (/proc/self/fd/N, /proc/N/cwd,
	 * …): such a link can point at a directory of the host that an open fd still holds */
	fd = util_open_in_root(root, cwd, O_PATH | O_DIRECTORY, 0, err);
	if (fd < 0) {
		if ((*err)->status == ELOOP || (*err)->status == EXDEV)
			return berth_error(
			    err, 0,
			    "process.cwd `%s`: resolves through a /proc magic link or "
			    "out of the root, refused",
			    cwd);
		return berth_error(err, (*err)->status, "process.cwd: chdir `%s`", cwd);
	}
	if (fchdir(fd) < 0)
		return berth_error(err, errno, "process.cwd: chdir `%s`", cwd);
	/* and check where we are: the kernel's getcwd() says "(unreachable)" (glibc: ENOENT)
	 * for a directory that is not under our root */
	if (getcwd(buf, sizeof(buf)) == NULL) {
		if (errno != ENAMETOOLONG)
			return berth_error(err, 0,
			                   "process.cwd `%s`: outside the container's root, "
			                   "refused",
			                   cwd);
	} else if (buf[0] != '/') {
		return berth_error(err, 0,
		                   "process.cwd `%s`: outside the container's root, refused", cwd);
	}
	return 0;
}

static bool process_is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int process_find_executable(const struct config_process *p, char **out, berth_error_t *err)
{
	const char *name = p->args[0];
	const char *path;
	cleanup_free char *copy = NULL;
	char *dir, *save = NULL;
	struct stat st;

	if (strchr(name, '/') != NULL) {
		int e = stat(name, &st) < 0      ? errno
		        : S_ISDIR(st.st_mode)    ? EISDIR
		        : access(name, X_OK) < 0 ? errno
		                                 : 0;
		if (e != 0) {
			berth_error(err, 0, "exec: `%s`: %s", name, strerror(e));
			/* as runc's exec.LookPath: a missing file is not found, one that cannot be
			 * run (a directory, no x bit) not executable */
			if (e == ENOENT || e == ENOTDIR)
				(*err)->status = BERTH_ECMDNOTFOUND;
			else if (e == EACCES || e == EISDIR)
				(*err)->status = BERTH_ECMDNOEXEC;
			else
				(*err)->status = e;
			return -1;
		}
		*out = xstrdup(name);
		return 0;
	}
	path = config_env_get(p->env, p->n_env, "PATH");
	if (path == NULL)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	copy = xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		cleanup_free char *cand = xasprintf("%s/%s", *dir ? dir : ".", name);
		if (process_is_executable(cand)) {
			*out = util_steal_ptr(cand);
			return 0;
		}
	}
	berth_error(err, 0, "exec: `%s`: executable file not found in $PATH", name);
	(*err)->status = BERTH_ECMDNOTFOUND;
	return -1;
}

static char *process_home_for(uid_t uid)
{
	cleanup_file FILE *f = fopen("/etc/passwd", "re");
	char line[1024];

	if (f == NULL)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		char *fields[7] = {0};
		char *s = line, *save = NULL;
		int i;
		for (i = 0; i < 7; i++) {
			fields[i] = strsep(&s, ":");
			if (fields[i] == NULL)
				break;
		}
		(void)save;
		if (i < 7 || fields[2] == NULL || (uid_t)strtoul(fields[2], NULL, 10) != uid)
			continue;
		return xstrdup(fields[5]);
	}
	return NULL;
}

char **process_build_env(const struct config_process *p, char *const *extra, size_t n_extra)
{
	size_t n = 0;
	char **env = xmalloc0((p->n_env + n_extra + 2) * sizeof(char *));

	for (size_t i = 0; i < p->n_env; i++)
		env[n++] = xstrdup(p->env[i]);
	for (size_t i = 0; i < n_extra; i++)
		env[n++] = xstrdup(extra[i]);
	if (config_env_get(env, n, "HOME") == NULL) {
		cleanup_free char *home = process_home_for(p->user.uid);
		env[n++] = xasprintf("HOME=%s", home ? home : "/");
	}
	env[n] = NULL;
	return env;
}
