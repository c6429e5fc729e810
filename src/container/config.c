/* SPDX-License-Identifier: MIT */
/* config.json: the top level, process, mounts and hooks. The JSON machinery lives in
 * config_json.c, linux.* in config_linux.c, the default spec in config_spec.c. */
#include "config.h"
#include "config_priv.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY      0x00000001
#define MOUNT_ATTR_NOSUID      0x00000002
#define MOUNT_ATTR_NODEV       0x00000004
#define MOUNT_ATTR_NOEXEC      0x00000008
#define MOUNT_ATTR__ATIME      0x00000070
#define MOUNT_ATTR_RELATIME    0x00000000
#define MOUNT_ATTR_NOATIME     0x00000010
#define MOUNT_ATTR_STRICTATIME 0x00000020
#define MOUNT_ATTR_NODIRATIME  0x00000080
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

/* ------------------------------------------------------------------------------------------
 * Name tables
 */

static const struct {
	const char *name;
	int flag;
} ns_table[CONFIG_NS_COUNT] = {
    [CONFIG_NS_PID] = {"pid", CLONE_NEWPID},
    [CONFIG_NS_NETWORK] = {"network", CLONE_NEWNET},
    [CONFIG_NS_MOUNT] = {"mount", CLONE_NEWNS},
    [CONFIG_NS_IPC] = {"ipc", CLONE_NEWIPC},
    [CONFIG_NS_UTS] = {"uts", CLONE_NEWUTS},
    [CONFIG_NS_USER] = {"user", CLONE_NEWUSER},
    [CONFIG_NS_CGROUP] = {"cgroup", CLONE_NEWCGROUP},
    [CONFIG_NS_TIME] = {"time", CLONE_NEWTIME},
};

const char *config_ns_name(enum config_ns_type t)
{
	if ((unsigned)t >= CONFIG_NS_COUNT)
		return "unknown";
	return ns_table[t].name;
}

int config_ns_from_name(const char *name)
{
	for (int i = 0; i < CONFIG_NS_COUNT; i++) {
		if (strcmp(ns_table[i].name, name) == 0)
			return i;
	}
	return -1;
}

int config_ns_clone_flag(enum config_ns_type t)
{
	if ((unsigned)t >= CONFIG_NS_COUNT)
		return 0;
	return ns_table[t].flag;
}

int config_find_namespace(const struct config *c, enum config_ns_type t)
{
	for (size_t i = 0; i < c->linux_.n_namespaces; i++) {
		if (c->linux_.namespaces[i].type == t)
			return (int)i;
	}
	return -1;
}

bool config_userns_unmapped(const struct config *c)
{
	int i = config_find_namespace(c, CONFIG_NS_USER);
	return i >= 0 && c->linux_.namespaces[i].path == NULL && c->linux_.n_uid_mappings == 0 &&
	       c->linux_.n_gid_mappings == 0;
}

int config_sysctl_namespace(const char *key)
{
	/* runc's list (libcontainer/configs/validate): the IPC sysctls, then net.*, then the
	 * two UTS names; everything else is global to the host */
	static const char *const ipc[] = {"kernel.sem", "kernel.sem_next_id"};
	static const char *const uts[] = {"kernel.hostname", "kernel.domainname"};

	if (strncmp(key, "kernel.msg", 10) == 0 || strncmp(key, "kernel.shm", 10) == 0 ||
	    strncmp(key, "fs.mqueue.", 10) == 0)
		return CONFIG_NS_IPC;
	for (size_t i = 0; i < ARRAY_SIZE(ipc); i++)
		if (strcmp(key, ipc[i]) == 0)
			return CONFIG_NS_IPC;
	if (strncmp(key, "net.", 4) == 0)
		return CONFIG_NS_NETWORK;
	for (size_t i = 0; i < ARRAY_SIZE(uts); i++)
		if (strcmp(key, uts[i]) == 0)
			return CONFIG_NS_UTS;
	return -1;
}

static const struct {
	const char *name;
	int resource;
} rlimit_table[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int config_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_table); i++) {
		if (strcmp(rlimit_table[i].name, name) == 0)
			return rlimit_table[i].resource;
	}
	return -1;
}

/* Indexed by capability number. */
static const char *const cap_names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

int config_cap_from_name(const char *name)
{
	if (strncasecmp(name, "CAP_", 4) != 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++) {
		if (strcasecmp(cap_names[i], name + 4) == 0)
			return (int)i;
	}
	return -1;
}

/* The highest capability the running kernel knows, or INT_MAX when that cannot be read. */
static int cap_last_cap(void)
{
	static int last = -1;
	cleanup_file FILE *f = NULL;

	if (last >= 0)
		return last;
	last = __INT_MAX__;
	f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f != NULL && fscanf(f, "%d", &last) != 1)
		last = __INT_MAX__;
	return last;
}

const char *config_env_get(char *const *env, size_t n, const char *key)
{
	size_t klen = strlen(key);

	/* the last definition wins, as with execve's environment in practice */
	for (size_t i = n; i-- > 0;) {
		if (env[i] != NULL && strncmp(env[i], key, klen) == 0 && env[i][klen] == '=')
			return env[i] + klen + 1;
	}
	return NULL;
}

/* ------------------------------------------------------------------------------------------
 * Mount options
 */

enum mopt_kind { MOPT_FLAG, MOPT_PROPAGATION, MOPT_ATTR, MOPT_BIND, MOPT_IDMAP, MOPT_TMPCOPYUP };

static const struct mount_opt {
	const char *name;
	enum mopt_kind kind;
	bool clear;
	unsigned long flag;
} mount_opts[] = {
    {"defaults", MOPT_FLAG, false, 0},
    {"ro", MOPT_FLAG, false, MS_RDONLY},
    {"rw", MOPT_FLAG, true, MS_RDONLY},
    {"suid", MOPT_FLAG, true, MS_NOSUID},
    {"nosuid", MOPT_FLAG, false, MS_NOSUID},
    {"dev", MOPT_FLAG, true, MS_NODEV},
    {"nodev", MOPT_FLAG, false, MS_NODEV},
    {"exec", MOPT_FLAG, true, MS_NOEXEC},
    {"noexec", MOPT_FLAG, false, MS_NOEXEC},
    {"sync", MOPT_FLAG, false, MS_SYNCHRONOUS},
    {"async", MOPT_FLAG, true, MS_SYNCHRONOUS},
    {"dirsync", MOPT_FLAG, false, MS_DIRSYNC},
    {"remount", MOPT_FLAG, false, MS_REMOUNT},
    {"mand", MOPT_FLAG, false, MS_MANDLOCK},
    {"nomand", MOPT_FLAG, true, MS_MANDLOCK},
    {"atime", MOPT_FLAG, true, MS_NOATIME},
    {"noatime", MOPT_FLAG, false, MS_NOATIME},
    {"diratime", MOPT_FLAG, true, MS_NODIRATIME},
    {"nodiratime", MOPT_FLAG, false, MS_NODIRATIME},
    {"relatime", MOPT_FLAG, false, MS_RELATIME},
    {"norelatime", MOPT_FLAG, true, MS_RELATIME},
    {"strictatime", MOPT_FLAG, false, MS_STRICTATIME},
    {"nostrictatime", MOPT_FLAG, true, MS_STRICTATIME},
    {"lazytime", MOPT_FLAG, false, MS_LAZYTIME},
    {"nolazytime", MOPT_FLAG, true, MS_LAZYTIME},
    {"silent", MOPT_FLAG, false, MS_SILENT},
    {"loud", MOPT_FLAG, true, MS_SILENT},
    {"iversion", MOPT_FLAG, false, MS_I_VERSION},
    {"noiversion", MOPT_FLAG, true, MS_I_VERSION},
    {"acl", MOPT_FLAG, false, MS_POSIXACL},
    {"noacl", MOPT_FLAG, true, MS_POSIXACL},
    {"nosymfollow", MOPT_FLAG, false, MS_NOSYMFOLLOW},
    {"symfollow", MOPT_FLAG, true, MS_NOSYMFOLLOW},
    {"bind", MOPT_BIND, false, MS_BIND},
    {"rbind", MOPT_BIND, false, MS_BIND | MS_REC},
    {"private", MOPT_PROPAGATION, false, MS_PRIVATE},
    {"rprivate", MOPT_PROPAGATION, false, MS_PRIVATE | MS_REC},
    {"shared", MOPT_PROPAGATION, false, MS_SHARED},
    {"rshared", MOPT_PROPAGATION, false, MS_SHARED | MS_REC},
    {"slave", MOPT_PROPAGATION, false, MS_SLAVE},
    {"rslave", MOPT_PROPAGATION, false, MS_SLAVE | MS_REC},
    {"unbindable", MOPT_PROPAGATION, false, MS_UNBINDABLE},
    {"runbindable", MOPT_PROPAGATION, false, MS_UNBINDABLE | MS_REC},
    {"rro", MOPT_ATTR, false, MOUNT_ATTR_RDONLY},
    {"rrw", MOPT_ATTR, true, MOUNT_ATTR_RDONLY},
    {"rnosuid", MOPT_ATTR, false, MOUNT_ATTR_NOSUID},
    {"rsuid", MOPT_ATTR, true, MOUNT_ATTR_NOSUID},
    {"rnodev", MOPT_ATTR, false, MOUNT_ATTR_NODEV},
    {"rdev", MOPT_ATTR, true, MOUNT_ATTR_NODEV},
    {"rnoexec", MOPT_ATTR, false, MOUNT_ATTR_NOEXEC},
    {"rexec", MOPT_ATTR, true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", MOPT_ATTR, false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", MOPT_ATTR, true, MOUNT_ATTR_NODIRATIME},
    {"rrelatime", MOPT_ATTR, false, MOUNT_ATTR_RELATIME},
    {"rnorelatime", MOPT_ATTR, true, MOUNT_ATTR_RELATIME},
    {"rnoatime", MOPT_ATTR, false, MOUNT_ATTR_NOATIME},
    {"ratime", MOPT_ATTR, true, MOUNT_ATTR_NOATIME},
    {"rstrictatime", MOPT_ATTR, false, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", MOPT_ATTR, true, MOUNT_ATTR_STRICTATIME},
    {"rnosymfollow", MOPT_ATTR, false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", MOPT_ATTR, true, MOUNT_ATTR_NOSYMFOLLOW},
    {"idmap", MOPT_IDMAP, false, 0},
    {"ridmap", MOPT_IDMAP, false, MS_REC},
    {"tmpcopyup", MOPT_TMPCOPYUP, false, 0},
};

const char *config_mount_option_name(size_t i)
{
	return i < ARRAY_SIZE(mount_opts) ? mount_opts[i].name : NULL;
}

static const struct mount_opt *mount_opt_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(mount_opts); i++) {
		if (strcmp(mount_opts[i].name, name) == 0)
			return &mount_opts[i];
	}
	return NULL;
}

static void mount_apply_attr(struct config_mount *m, const struct mount_opt *o)
{
	m->recursive_attr = true;
	if (o->clear) {
		m->attr_clr |= o->flag;
		m->attr_set &= ~o->flag;
		return;
	}
	m->attr_set |= o->flag;
	m->attr_clr &= ~o->flag;
	/* mount_setattr(2): an access-time setting needs MOUNT_ATTR__ATIME in attr_clr */
	if ((o->flag & MOUNT_ATTR__ATIME) == o->flag) {
		m->attr_set &= ~(unsigned long)MOUNT_ATTR__ATIME;
		m->attr_set |= o->flag;
		m->attr_clr |= MOUNT_ATTR__ATIME;
	}
}

int config_mount_parse_options(struct config_mount *m, berth_error_t *err)
{
	char *data = NULL;
	size_t dlen = 0;
	FILE *f;

	m->flags = m->clear_flags = m->propagation = 0;
	m->attr_set = m->attr_clr = 0;
	m->recursive_attr = m->bind = m->idmap = m->tmpcopyup = false;
	free(m->data);
	m->data = NULL;
	f = open_memstream(&data, &dlen);
	if (f == NULL)
		return berth_error(err, errno, "open_memstream");

	if (m->type != NULL && strcmp(m->type, "bind") == 0) {
		m->flags |= MS_BIND;
		m->bind = true;
	}
	for (size_t i = 0; i < m->n_options; i++) {
		const char *name = m->options[i];
		const struct mount_opt *o = mount_opt_find(name);

		if (o == NULL) {
			if (*name != '\0')
				fprintf(f, "%s%s", ftell(f) > 0 ? "," : "", name);
			continue;
		}
		switch (o->kind) {
		case MOPT_FLAG:
			if (o->clear) {
				m->flags &= ~o->flag;
				m->clear_flags |= o->flag;
			} else {
				m->flags |= o->flag;
				m->clear_flags &= ~o->flag;
			}
			break;
		case MOPT_BIND:
			m->flags |= o->flag;
			m->bind = true;
			break;
		case MOPT_PROPAGATION:
			m->propagation = o->flag;
			break;
		case MOPT_ATTR:
			mount_apply_attr(m, o);
			break;
		case MOPT_IDMAP:
			m->idmap = true;
			if (o->flag & MS_REC)
				m->recursive_attr = true;
			break;
		case MOPT_TMPCOPYUP:
			m->tmpcopyup = true;
			break;
		}
	}
	fclose(f);
	if (data != NULL && *data != '\0')
		m->data = data;
	else
		free(data);
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * process
 */

static int parse_user(struct cfg_ctx *c, const json_t *proc, const struct cfg_path *pp,
                      struct config_user *u)
{
	const struct cfg_path *p = CFG_KEY(pp, "user");
	json_t *v, *gids;
	int64_t n;
	bool has;

	if (config_jobj(c, proc, pp, "user", false, &v) < 0)
		return -1;
	if (v == NULL)
		return 0;
	if (config_jint(c, v, p, "uid", 0, CFG_U32_MAX, &n, NULL) < 0)
		return -1;
	u->uid = (uid_t)n;
	if (config_jint(c, v, p, "gid", 0, CFG_U32_MAX, &n, NULL) < 0)
		return -1;
	u->gid = (gid_t)n;
	if (config_jint(c, v, p, "umask", 0, 07777, &n, &has) < 0)
		return -1;
	u->has_umask = has;
	u->umask = has ? (mode_t)n : 0;
	if (config_jstr(c, v, p, "username", false, &u->username) < 0)
		return -1;
	gids = config_jget(v, "additionalGids");
	if (gids == NULL)
		return 0;
	if (!json_is_array(gids))
		return config_perr_type(c, CFG_KEY(p, "additionalGids"), "array", gids);
	u->additional_gids = xmalloc0((json_array_size(gids) + 1) * sizeof(gid_t));
	u->n_additional_gids = json_array_size(gids);
	for (size_t i = 0; i < u->n_additional_gids; i++) {
		json_t *g = json_array_get(gids, i);
		const struct cfg_path *gp = CFG_IDX(CFG_KEY(p, "additionalGids"), i);
		if (config_jint_at(c, g, gp, 0, CFG_U32_MAX, &n) < 0)
			return -1;
		u->additional_gids[i] = (gid_t)n;
	}
	return 0;
}

static int parse_cap_set(struct cfg_ctx *c, const json_t *caps, const struct cfg_path *p,
                         const char *key, int **out, size_t *n)
{
	char **names = NULL;
	size_t count = 0;
	int r;

	r = config_jstrv(c, caps, p, key, &names, &count);
	if (r < 0 || names == NULL) {
		config_strv_free(names, count);
		return r;
	}
	*out = xmalloc0((count + 1) * sizeof(int));
	*n = 0;
	for (size_t i = 0; i < count; i++) {
		int cap = config_cap_from_name(names[i]);
		bool dup = false;

		if (cap < 0 || cap > cap_last_cap()) {
			cleanup_free char *path = config_path_str(CFG_IDX(CFG_KEY(p, key), i));
			cleanup_free char *name = config_one_line(names[i]);
			if (!c->quiet)
				log_warning("%s: %s: ignoring %s capability \"%s\"", c->name, path,
				            cap < 0 ? "unknown" : "unavailable", name);
			continue;
		}
		for (size_t j = 0; j < *n; j++)
			dup = dup || (*out)[j] == cap;
		if (!dup)
			(*out)[(*n)++] = cap;
	}
	config_strv_free(names, count);
	return 0;
}

static int parse_capabilities(struct cfg_ctx *c, const json_t *proc, const struct cfg_path *pp,
                              struct config_capabilities *caps)
{
	const struct cfg_path *p = CFG_KEY(pp, "capabilities");
	json_t *v;

	if (config_jobj(c, proc, pp, "capabilities", false, &v) < 0)
		return -1;
	if (v == NULL)
		return 0;
	caps->has = true;
	if (parse_cap_set(c, v, p, "bounding", &caps->bounding, &caps->n_bounding) < 0 ||
	    parse_cap_set(c, v, p, "effective", &caps->effective, &caps->n_effective) < 0 ||
	    parse_cap_set(c, v, p, "inheritable", &caps->inheritable, &caps->n_inheritable) < 0 ||
	    parse_cap_set(c, v, p, "permitted", &caps->permitted, &caps->n_permitted) < 0 ||
	    parse_cap_set(c, v, p, "ambient", &caps->ambient, &caps->n_ambient) < 0)
		return -1;
	return 0;
}

static int parse_rlimit(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p, void *elem)
{
	struct config_rlimit *r = elem;

	if (config_jstr(c, v, p, "type", true, &r->type) < 0)
		return -1;
	r->resource = config_rlimit_from_name(r->type);
	if (r->resource < 0)
		return config_perr(c, CFG_KEY(p, "type"), "unknown rlimit \"%s\"", r->type);
	if (config_juint(c, v, p, "hard", UINT64_MAX, &r->hard, NULL) < 0 ||
	    config_juint(c, v, p, "soft", UINT64_MAX, &r->soft, NULL) < 0)
		return -1;
	return 0;
}

static int parse_rlimits(struct cfg_ctx *c, const json_t *proc, const struct cfg_path *pp,
                         struct config_process *pr)
{
	if (CFG_OBJECTS_MAX(c, proc, pp, "rlimits", pr->rlimits, pr->n_rlimits, parse_rlimit,
	                    CONFIG_MAX_RLIMITS) < 0)
		return -1;
	for (size_t i = 0; i < pr->n_rlimits; i++) {
		for (size_t j = 0; j < i; j++) {
			if (pr->rlimits[j].resource == pr->rlimits[i].resource)
				return config_perr(
				    c, CFG_KEY(CFG_IDX(CFG_KEY(pp, "rlimits"), i), "type"),
				    "duplicate rlimit \"%s\"", pr->rlimits[i].type);
		}
	}
	return 0;
}

static const struct {
	const char *name;
	int value;
} sched_policies[] =
    {
        {"SCHED_OTHER", 0}, {"SCHED_FIFO", 1}, {"SCHED_RR", 2},       {"SCHED_BATCH", 3},
        {"SCHED_ISO", 4},   {"SCHED_IDLE", 5}, {"SCHED_DEADLINE", 6},
},
  sched_flags[] =
      {
          {"SCHED_FLAG_RESET_ON_FORK", 0x01},  {"SCHED_FLAG_RECLAIM", 0x02},
          {"SCHED_FLAG_DL_OVERRUN", 0x04},     {"SCHED_FLAG_KEEP_POLICY", 0x08},
          {"SCHED_FLAG_KEEP_PARAMS", 0x10},    {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
          {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
},
  ioprio_classes[] = {
      {"IOPRIO_CLASS_RT", 1},
      {"IOPRIO_CLASS_BE", 2},
      {"IOPRIO_CLASS_IDLE", 3},
};

#define LOOKUP(table, s)                                                                           \
	({                                                                                         \
		int _v = -1;                                                                       \
		for (size_t _i = 0; _i < ARRAY_SIZE(table); _i++)                                  \
			if (strcmp((table)[_i].name, (s)) == 0)                                    \
				_v = (table)[_i].value;                                            \
		_v;                                                                                \
	})

static int parse_scheduler(struct cfg_ctx *c, const json_t *proc, const struct cfg_path *pp,
                           struct config_process *pr)
{
	const struct cfg_path *p = CFG_KEY(pp, "scheduler");
	struct config_scheduler *s = &pr->scheduler;
	cleanup_free char *policy = NULL;
	char **flags = NULL;
	size_t n_flags = 0;
	json_t *v;
	int64_t n;
	bool has;
	int r = 0;

	if (config_jobj(c, proc, pp, "scheduler", false, &v) < 0)
		return -1;
	if (v == NULL)
		return 0;
	pr->has_scheduler = true;
	if (config_jstr(c, v, p, "policy", true, &policy) < 0)
		return -1;
	s->policy = LOOKUP(sched_policies, policy);
	if (s->policy < 0)
		return config_perr(c, CFG_KEY(p, "policy"), "unknown scheduler policy \"%s\"",
		                   policy);
	if (config_jint(c, v, p, "nice", -20, 19, &n, &has) < 0)
		return -1;
	s->nice = has ? (int)n : 0;
	if (config_jint(c, v, p, "priority", CFG_I32_MIN, CFG_I32_MAX, &n, &has) < 0)
		return -1;
	s->priority = has ? (int)n : 0;
	if (config_juint(c, v, p, "runtime", UINT64_MAX, &s->runtime, &has) < 0 ||
	    config_juint(c, v, p, "deadline", UINT64_MAX, &s->deadline, &has) < 0 ||
	    config_juint(c, v, p, "period", UINT64_MAX, &s->period, &has) < 0)
		return -1;
	if (config_jstrv(c, v, p, "flags", &flags, &n_flags) < 0)
		r = -1;
	for (size_t i = 0; r == 0 && i < n_flags; i++) {
		int f = LOOKUP(sched_flags, flags[i]);
		if (f < 0)
			r = config_perr(c, CFG_IDX(CFG_KEY(p, "flags"), i),
			                "unknown scheduler flag \"%s\"", flags[i]);
		else
			s->flags |= (unsigned)f;
	}
	config_strv_free(flags, n_flags);
	return r;
}

static int parse_io_priority(struct cfg_ctx *c, const json_t *proc, const struct cfg_path *pp,
                             struct config_process *pr)
{
	const struct cfg_path *p = CFG_KEY(pp, "ioPriority");
	cleanup_free char *cls = NULL;
	json_t *v;
	int64_t n;
	bool has;

	if (config_jobj(c, proc, pp, "ioPriority", false, &v) < 0)
		return -1;
	if (v == NULL)
		return 0;
	pr->has_io_priority = true;
	if (config_jstr(c, v, p, "class", true, &cls) < 0)
		return -1;
	pr->io_priority.class_ = LOOKUP(ioprio_classes, cls);
	if (pr->io_priority.class_ < 0)
		return config_perr(c, CFG_KEY(p, "class"),
		                   "unknown I/O priority class \"%s\" (expected one of "
		                   "IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE)",
		                   cls);
	if (config_jint(c, v, p, "priority", 0, 7, &n, &has) < 0)
		return -1;
	pr->io_priority.priority = has ? (int)n : 0;
	return 0;
}

static int parse_process_obj(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p,
                             struct config_process *pr)
{
	json_t *o;
	int64_t n;

	if (config_jbool(c, v, p, "terminal", &pr->terminal, NULL) < 0)
		return -1;
	if (config_jobj(c, v, p, "consoleSize", false, &o) < 0)
		return -1;
	if (o != NULL) {
		const struct cfg_path *cp = CFG_KEY(p, "consoleSize");
		pr->has_console_size = true;
		if (config_jint(c, o, cp, "height", 0, CFG_U32_MAX, &n, NULL) < 0)
			return -1;
		pr->console_size.height = (unsigned)n;
		if (config_jint(c, o, cp, "width", 0, CFG_U32_MAX, &n, NULL) < 0)
			return -1;
		pr->console_size.width = (unsigned)n;
	}
	if (parse_user(c, v, p, &pr->user) < 0)
		return -1;
	if (config_jget(v, "args") == NULL)
		return config_perr_missing(c, p, "args");
	if (config_jstrv(c, v, p, "args", &pr->args, &pr->n_args) < 0)
		return -1;
	if (pr->n_args == 0)
		return config_perr(c, CFG_KEY(p, "args"), "must not be empty");
	if (config_jstr(c, v, p, "commandLine", false, &pr->command_line) < 0 ||
	    config_jstrv(c, v, p, "env", &pr->env, &pr->n_env) < 0 ||
	    config_jstr(c, v, p, "cwd", true, &pr->cwd) < 0 ||
	    config_check_abs(c, CFG_KEY(p, "cwd"), pr->cwd) < 0)
		return -1;
	if (parse_capabilities(c, v, p, &pr->capabilities) < 0 || parse_rlimits(c, v, p, pr) < 0)
		return -1;
	if (config_jbool(c, v, p, "noNewPrivileges", &pr->no_new_privileges, NULL) < 0 ||
	    config_jstr(c, v, p, "apparmorProfile", false, &pr->apparmor_profile) < 0 ||
	    config_jint(c, v, p, "oomScoreAdj", -1000, 1000, &n, &pr->has_oom_score_adj) < 0 ||
	    config_jstr(c, v, p, "selinuxLabel", false, &pr->selinux_label) < 0)
		return -1;
	pr->oom_score_adj = pr->has_oom_score_adj ? (int)n : 0;
	if (parse_io_priority(c, v, p, pr) < 0 || parse_scheduler(c, v, p, pr) < 0)
		return -1;
	if (config_jobj(c, v, p, "execCPUAffinity", false, &o) < 0)
		return -1;
	if (o != NULL) {
		const struct cfg_path *ap = CFG_KEY(p, "execCPUAffinity");
		if (config_jstr(c, o, ap, "initial", false, &pr->exec_cpu_affinity_initial) < 0 ||
		    config_jstr(c, o, ap, "final", false, &pr->exec_cpu_affinity_final) < 0)
			return -1;
	}
	return 0;
}

static void process_clear(struct config_process *p)
{
	struct config_capabilities *caps = &p->capabilities;

	free(p->user.additional_gids);
	free(p->user.username);
	config_strv_free(p->args, p->n_args);
	free(p->command_line);
	config_strv_free(p->env, p->n_env);
	free(p->cwd);
	free(caps->bounding);
	free(caps->effective);
	free(caps->inheritable);
	free(caps->permitted);
	free(caps->ambient);
	for (size_t i = 0; p->rlimits != NULL && i < p->n_rlimits; i++)
		free(p->rlimits[i].type);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	free(p->exec_cpu_affinity_initial);
	free(p->exec_cpu_affinity_final);
	memset(p, 0, sizeof(*p));
}

void config_process_free(struct config_process *p)
{
	if (p == NULL)
		return;
	process_clear(p);
	free(p);
}

/* ------------------------------------------------------------------------------------------
 * mounts and hooks
 */

static int parse_mount(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p, void *elem)
{
	struct config_mount *m = elem;

	if (config_jstr(c, v, p, "destination", true, &m->destination) < 0 ||
	    config_jstr(c, v, p, "type", false, &m->type) < 0 ||
	    config_jstr(c, v, p, "source", false, &m->source) < 0 ||
	    config_jstrv(c, v, p, "options", &m->options, &m->n_options) < 0 ||
	    config_parse_id_mappings(c, v, p, "uidMappings", &m->uid_mappings, &m->n_uid_mappings) <
	        0 ||
	    config_parse_id_mappings(c, v, p, "gidMappings", &m->gid_mappings, &m->n_gid_mappings) <
	        0)
		return -1;
	if (m->destination[0] == '\0')
		return config_perr(c, CFG_KEY(p, "destination"), "must not be empty");
	return config_mount_parse_options(m, c->err);
}

static void mount_clear(struct config_mount *m)
{
	free(m->destination);
	free(m->type);
	free(m->source);
	config_strv_free(m->options, m->n_options);
	free(m->data);
	free(m->uid_mappings);
	free(m->gid_mappings);
}

static int parse_hook(struct cfg_ctx *c, const json_t *v, const struct cfg_path *p, void *elem)
{
	struct config_hook *h = elem;
	int64_t n;

	if (config_jstr(c, v, p, "path", true, &h->path) < 0 ||
	    config_check_abs(c, CFG_KEY(p, "path"), h->path) < 0 ||
	    config_jstrv(c, v, p, "args", &h->args, &h->n_args) < 0 ||
	    config_jstrv(c, v, p, "env", &h->env, &h->n_env) < 0)
		return -1;
	if (config_jint(c, v, p, "timeout", INT64_MIN, INT64_MAX, &n, &h->has_timeout) < 0)
		return -1;
	if (h->has_timeout && n <= 0)
		return config_perr(c, CFG_KEY(p, "timeout"),
		                   "must be greater than zero, got %" PRId64, n);
	if (h->has_timeout && n > CFG_I32_MAX)
		return config_perr(c, CFG_KEY(p, "timeout"), "value %" PRId64 " out of range", n);
	h->timeout = h->has_timeout ? (int)n : 0;
	return 0;
}

static void hooks_free(struct config_hook *h, size_t n)
{
	for (size_t i = 0; h != NULL && i < n; i++) {
		free(h[i].path);
		config_strv_free(h[i].args, h[i].n_args);
		config_strv_free(h[i].env, h[i].n_env);
	}
	free(h);
}

static int parse_hooks(struct cfg_ctx *c, const json_t *root, struct config *cfg)
{
	const struct cfg_path *p = CFG_KEY(NULL, "hooks");
	struct config_hooks *h = &cfg->hooks;
	json_t *v;

	if (config_jobj(c, root, NULL, "hooks", false, &v) < 0)
		return -1;
	if (v == NULL)
		return 0;
	cfg->has_hooks = true;
	if (CFG_OBJECTS_MAX(c, v, p, "prestart", h->prestart, h->n_prestart, parse_hook,
	                    CONFIG_MAX_HOOKS) < 0 ||
	    CFG_OBJECTS_MAX(c, v, p, "createRuntime", h->create_runtime, h->n_create_runtime,
	                    parse_hook, CONFIG_MAX_HOOKS) < 0 ||
	    CFG_OBJECTS_MAX(c, v, p, "createContainer", h->create_container, h->n_create_container,
	                    parse_hook, CONFIG_MAX_HOOKS) < 0 ||
	    CFG_OBJECTS_MAX(c, v, p, "startContainer", h->start_container, h->n_start_container,
	                    parse_hook, CONFIG_MAX_HOOKS) < 0 ||
	    CFG_OBJECTS_MAX(c, v, p, "poststart", h->poststart, h->n_poststart, parse_hook,
	                    CONFIG_MAX_HOOKS) < 0 ||
	    CFG_OBJECTS_MAX(c, v, p, "poststop", h->poststop, h->n_poststop, parse_hook,
	                    CONFIG_MAX_HOOKS) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * The document
 */

/* 1.0.x, 1.1.x, 1.2.x and 1.3.x, with an optional pre-release or build suffix
 * ("1.0.0-rc5", "1.0.2-dev"). */
static bool version_supported(const char *v)
{
	const char *s = v;
	unsigned long minor;
	char *end;

	if (strncmp(s, "1.", 2) != 0)
		return false;
	s += 2;
	if (*s < '0' || *s > '9')
		return false;
	minor = strtoul(s, &end, 10);
	if (minor > 3 || (end - s > 1 && *s == '0'))
		return false;
	s = end;
	if (*s != '.' || s[1] < '0' || s[1] > '9')
		return false;
	s++;
	while (*s >= '0' && *s <= '9')
		s++;
	if (*s == '\0')
		return true;
	if ((*s != '-' && *s != '+') || s[1] == '\0')
		return false;
	for (s++; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == '+'))
			return false;
	}
	return true;
}

static int parse_document(struct cfg_ctx *c, const json_t *root, struct config *cfg)
{
	json_t *v;

	if (!json_is_object(root))
		return config_perr_type(c, NULL, "object", root);
	if (config_jstr(c, root, NULL, "ociVersion", true, &cfg->oci_version) < 0)
		return -1;
	if (!version_supported(cfg->oci_version))
		return config_perr(c, CFG_KEY(NULL, "ociVersion"),
		                   "unsupported version \"%s\" (expected 1.0.0 to 1.3.x)",
		                   cfg->oci_version);
	if (config_jobj(c, root, NULL, "root", true, &v) < 0 ||
	    config_jstr(c, v, CFG_KEY(NULL, "root"), "path", true, &cfg->root.path) < 0 ||
	    config_jbool(c, v, CFG_KEY(NULL, "root"), "readonly", &cfg->root.readonly, NULL) < 0)
		return -1;
	if (cfg->root.path[0] == '\0')
		return config_perr(c, CFG_KEY(CFG_KEY(NULL, "root"), "path"), "must not be empty");
	if (config_jobj(c, root, NULL, "process", false, &v) < 0)
		return -1;
	if (v != NULL) {
		cfg->has_process = true;
		if (parse_process_obj(c, v, CFG_KEY(NULL, "process"), &cfg->process) < 0)
			return -1;
	}
	if (config_jstr(c, root, NULL, "hostname", false, &cfg->hostname) < 0 ||
	    config_jstr(c, root, NULL, "domainname", false, &cfg->domainname) < 0 ||
	    CFG_OBJECTS_MAX(c, root, NULL, "mounts", cfg->mounts, cfg->n_mounts, parse_mount,
	                    CONFIG_MAX_MOUNTS) < 0 ||
	    parse_hooks(c, root, cfg) < 0 ||
	    config_jmap(c, root, NULL, "annotations", &cfg->annotations, &cfg->n_annotations) < 0)
		return -1;
	if (cfg->hostname && strlen(cfg->hostname) > CONFIG_MAX_HOSTNAME)
		return config_perr(c, CFG_KEY(NULL, "hostname"),
		                   "%zu bytes, more than the kernel's limit of %d",
		                   strlen(cfg->hostname), CONFIG_MAX_HOSTNAME);
	if (cfg->domainname && strlen(cfg->domainname) > CONFIG_MAX_HOSTNAME)
		return config_perr(c, CFG_KEY(NULL, "domainname"),
		                   "%zu bytes, more than the kernel's limit of %d",
		                   strlen(cfg->domainname), CONFIG_MAX_HOSTNAME);
	if (config_jobj(c, root, NULL, "linux", false, &v) < 0)
		return -1;
	if (v != NULL) {
		cfg->has_linux = true;
		if (config_parse_linux(c, v, CFG_KEY(NULL, "linux"), &cfg->linux_) < 0)
			return -1;
	}
	return 0;
}

/* Put the values hidden by config_bigints_hide() back into the document, as reals: the
 * closest jansson can come. */
static void raw_restore_bigints(struct cfg_ctx *c, json_t *v, const struct cfg_path *p)
{
	const char *k;
	json_t *e;
	uint64_t u;

	if (json_is_object(v)) {
		json_object_foreach(v, k, e)
		{
			if (json_is_integer(e) && config_bigint_at(c, e, CFG_KEY(p, k), &u))
				json_object_set_new(v, k, json_real((double)u));
			else
				raw_restore_bigints(c, e, CFG_KEY(p, k));
		}
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			e = json_array_get(v, i);
			if (json_is_integer(e) && config_bigint_at(c, e, CFG_IDX(p, i), &u))
				json_array_set_new(v, i, json_real((double)u));
			else
				raw_restore_bigints(c, e, CFG_IDX(p, i));
		}
	}
}

static json_t *config_load_json(struct cfg_ctx *c)
{
	cleanup_free char *copy = config_bigints_hide(c->text, c->len, &c->big, &c->n_big);
	json_error_t jerr;
	json_t *root = json_loadb(copy != NULL ? copy : c->text, c->len, 0, &jerr);

	if (root == NULL) {
		cleanup_free char *text = config_one_line(jerr.text);
		berth_error(c->err, 0, "%s: invalid JSON: %s (line %d, column %d)", c->name, text,
		            jerr.line, jerr.column);
	}
	return root;
}

static int config_parse_ctx(struct cfg_ctx c, struct config **out)
{
	struct config *cfg;
	int r = -1;

	*out = NULL;
	cfg = xmalloc0(sizeof(*cfg));
	cfg->raw = config_load_json(&c);
	if (cfg->raw != NULL && parse_document(&c, cfg->raw, cfg) == 0) {
		if (c.n_big > 0)
			raw_restore_bigints(&c, cfg->raw, NULL);
		*out = util_steal_ptr(cfg);
		r = 0;
	}
	config_free(cfg);
	free(c.big);
	return r;
}

int config_parse(const char *text, size_t len, const char *name, struct config **out,
                 berth_error_t *err)
{
	return config_parse_ctx(
	    (struct cfg_ctx){.text = text, .len = len, .name = name, .err = err}, out);
}

int config_parse_saved(const char *text, size_t len, const char *name, struct config **out,
                       berth_error_t *err)
{
	return config_parse_ctx(
	    (struct cfg_ctx){.text = text, .len = len, .name = name, .err = err, .quiet = true},
	    out);
}

int config_parse_process(const char *text, size_t len, const char *name,
                         struct config_process **out, berth_error_t *err)
{
	struct cfg_ctx c = {.text = text, .len = len, .name = name, .err = err};
	struct config_process *p;
	json_t *root;
	int r;

	*out = NULL;
	root = config_load_json(&c);
	if (root == NULL) {
		free(c.big);
		return -1;
	}
	p = xmalloc0(sizeof(*p));
	if (!json_is_object(root))
		r = config_perr_type(&c, NULL, "object", root);
	else
		r = parse_process_obj(&c, root, NULL, p);
	json_decref(root);
	free(c.big);
	if (r < 0) {
		config_process_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

int config_load(const char *bundle, struct config **out, berth_error_t *err)
{
	cleanup_free char *path = xasprintf("%s/config.json", bundle);
	cleanup_free char *text = NULL;
	size_t len = 0;

	*out = NULL;
	if (util_read_file(path, &text, &len, err) < 0)
		return -1;
	return config_parse(text, len, "config.json", out, err);
}

void config_free(struct config *c)
{
	if (c == NULL)
		return;
	free(c->oci_version);
	free(c->root.path);
	process_clear(&c->process);
	free(c->hostname);
	free(c->domainname);
	for (size_t i = 0; c->mounts != NULL && i < c->n_mounts; i++)
		mount_clear(&c->mounts[i]);
	free(c->mounts);
	hooks_free(c->hooks.prestart, c->hooks.n_prestart);
	hooks_free(c->hooks.create_runtime, c->hooks.n_create_runtime);
	hooks_free(c->hooks.create_container, c->hooks.n_create_container);
	hooks_free(c->hooks.start_container, c->hooks.n_start_container);
	hooks_free(c->hooks.poststart, c->hooks.n_poststart);
	hooks_free(c->hooks.poststop, c->hooks.n_poststop);
	config_kv_free(c->annotations, c->n_annotations);
	config_linux_clear(&c->linux_);
	json_decref(c->raw);
	free(c);
}
