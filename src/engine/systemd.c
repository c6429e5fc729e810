/* SPDX-License-Identifier: MIT */
/* System containers (`run --systemd=true|false|always`, issue 22): a distribution's init as
 * pid 1. What Podman's --systemd sets up, with the cgroup tree narrowed to the container's
 * own: tmpfs on /run, /run/lock, /tmp (and /var/log/journal for systemd), a cgroup namespace
 * with the container's cgroup writable in the name=systemd hierarchy (v1, hybrid) or the
 * cgroup2 mount writable (v2), container=berth, /etc/machine-id, the init's halt signal as
 * the stop signal and, detached, a console (/dev/console, the container's terminal) whose
 * output `berth logs` shows. */
#include "image_priv.h"
#include "ctrlog.h"
#include "mountinfo.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

enum systemd_kind {
	SYSTEMD_NONE,
	SYSTEMD_SYSTEMD, /* systemd */
	SYSTEMD_BUSYBOX, /* busybox init (/etc/inittab) */
	SYSTEMD_OTHER,   /* another init (sysvinit, OpenRC's): no systemd assumptions */
};

int systemd_check(const struct run_opts *o, berth_error_t *err)
{
	if (o->systemd && strcmp(o->systemd, "true") != 0 && strcmp(o->systemd, "false") != 0 &&
	    strcmp(o->systemd, "always") != 0)
		return berth_error(err, 0, "bad --systemd `%s`: expected true, false or always",
		                   o->systemd);
	return 0;
}

/* Podman's test (--systemd=true): the command is an init by its path, or systemd by name. */
static bool systemd_is_init_cmd(const char *a0)
{
	static const char *const inits[] = {"/sbin/init", "/usr/sbin/init", "/usr/local/sbin/init"};
	const char *base = strrchr(a0, '/');

	for (size_t i = 0; i < ARRAY_SIZE(inits); i++)
		if (strcmp(a0, inits[i]) == 0)
			return true;
	return strcmp(base ? base + 1 : a0, "systemd") == 0;
}

int systemd_version_of_lib(const char *name)
{
	static const char prefix[] = "libsystemd-shared-";
	int v = 0;
	size_t n = 0;

	if (strncmp(name, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	name += sizeof(prefix) - 1;
	while (n < 5 && name[n] >= '0' && name[n] <= '9')
		v = v * 10 + (name[n++] - '0');
	/* 252.so, 255.4-1.fc40.so, 257-1.so */
	if (n < 2 || n > 4 || (name[n] != '.' && name[n] != '-'))
		return 0;
	return v;
}

int systemd_version_scan(const char *buf, size_t len)
{
	static const char key[] = "systemd ";
	const char *end = buf + len, *p = buf;

	while ((p = memmem(p, (size_t)(end - p), key, sizeof(key) - 1)) != NULL) {
		const char *d = p + sizeof(key) - 1;
		size_t n = 0;
		int v = 0;
		/* a string of its own: at the start or after a NUL or a line's end */
		bool alone = p == buf || p[-1] == '\0' || p[-1] == '\n';
		p++;
		while (d + n < end && n < 5 && d[n] >= '0' && d[n] <= '9')
			v = v * 10 + (d[n++] - '0');
		if (!alone || n < 2 || n > 4 || d + n >= end)
			continue;
		if (d[n] == '\0' || d[n] == '\n' || d[n] == ' ')
			return v;
	}
	return 0;
}

const char *systemd_version_refusal(int version, enum systemd_cgroups layout)
{
	if (version <= 0)
		return NULL; /* unknown: it is tried */
	/* 230 is the first that knows the unified hierarchy as kernel 4.5 released it */
	if (layout == SYSTEMD_CG_V2 && version < 230)
		return "too old for this host's cgroup v2 (unified) layout: systemd before 230 "
		       "cannot run on a pure cgroup v2 host";
	/* 258 removed the legacy and hybrid hierarchies */
	if (layout != SYSTEMD_CG_V2 && version >= 258)
		return "too new for this host's cgroup v1 layout: systemd 258 and later run only "
		       "on a pure cgroup v2 host";
	return NULL;
}

/* The host's cgroup layout: v2 (cgroup2 on /sys/fs/cgroup), hybrid (cgroup2 below it) or v1. */
static int systemd_host_cgroups(enum systemd_cgroups *layout, berth_error_t *err)
{
	struct statfs sfs;

	if (statfs("/sys/fs/cgroup", &sfs) < 0)
		return berth_error(err, errno, "statfs `/sys/fs/cgroup`");
	if (sfs.f_type == CGROUP2_SUPER_MAGIC)
		*layout = SYSTEMD_CG_V2;
	else if (statfs("/sys/fs/cgroup/unified", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
		*layout = SYSTEMD_CG_HYBRID;
	else
		*layout = SYSTEMD_CG_V1;
	return 0;
}

/* The version of the image's systemd, whose binary is fd (O_PATH): libsystemd-shared-NNN.so
 * in the root's systemd directories, else the "systemd NNN" string in the binary (what
 * `systemd --version` printed first before 231, when the library came); 0: unknown. */
static int systemd_version_in_root(int rootfd, int fd)
{
	static const char *const dirs[] = {"/usr/lib/systemd", "/lib/systemd", "/usr/lib64/systemd",
	                                   "/lib64/systemd"};
	enum { MAX_SCAN = 32 << 20 };
	cleanup_free char *buf = NULL;
	cleanup_close int rd = -1;
	size_t len = 0, size;
	struct stat st;
	char p[32];

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		berth_error_t e2 = NULL;
		int dfd = util_open_in_root(rootfd, dirs[i], O_RDONLY | O_DIRECTORY, 0, &e2);
		DIR *d;
		struct dirent *de;
		int v = 0;
		berth_error_release(&e2);
		if (dfd < 0)
			continue;
		d = fdopendir(dfd);
		if (d == NULL) {
			close(dfd);
			continue;
		}
		while (v == 0 && (de = readdir(d)) != NULL)
			v = systemd_version_of_lib(de->d_name);
		closedir(d);
		if (v > 0)
			return v;
	}
	util_fd_path(fd, p);
	rd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (rd < 0)
		return 0;
	if (fstat(rd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	size = st.st_size < MAX_SCAN ? (size_t)st.st_size : MAX_SCAN;
	buf = xmalloc0(size + 1);
	while (len < size) {
		ssize_t n = read(rd, buf + len, size - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	return systemd_version_scan(buf, len);
}

/* Which init args[0] is, by the file it leads to inside the root (symlinks followed there):
 * `systemd`, `busybox`, or another. */
static int systemd_kind_of(const char *rootfs, const char *a0, bool check_cgroups,
                           enum systemd_kind *kind, berth_error_t *err)
{
	cleanup_close int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int fd = -1;
	berth_error_t e2 = NULL;
	char p[32], target[4096];
	const char *base;
	struct stat st;
	ssize_t n;

	if (rootfd < 0)
		return berth_error(err, errno, "open `%s`", rootfs);
	/* a bare name: where Debian's and busybox's PATH would find it */
	if (a0[0] != '/') {
		static const char *const dirs[] = {"/sbin",    "/usr/sbin",    "/bin",
		                                   "/usr/bin", "/lib/systemd", "/usr/lib/systemd"};
		for (size_t i = 0; fd < 0 && i < ARRAY_SIZE(dirs); i++) {
			cleanup_free char *c = xasprintf("%s/%s", dirs[i], a0);
			fd = util_open_in_root(rootfd, c, O_PATH, 0, &e2);
			berth_error_release(&e2);
		}
	} else {
		fd = util_open_in_root(rootfd, a0, O_PATH, 0, &e2);
		berth_error_release(&e2);
	}
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return berth_error(err, 0,
		                   "bad command `%s`: no such program in the image (a system "
		                   "container needs its init installed, e.g. systemd-sysv)",
		                   a0);
	util_fd_path(fd, p);
	n = readlink(p, target, sizeof(target) - 1);
	if (n < 0)
		return berth_error(err, errno, "readlink `%s`", a0);
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	*kind = strcmp(base, "systemd") == 0   ? SYSTEMD_SYSTEMD
	        : strcmp(base, "busybox") == 0 ? SYSTEMD_BUSYBOX
	                                       : SYSTEMD_OTHER;
	if (*kind == SYSTEMD_SYSTEMD && check_cgroups) {
		/* a systemd that cannot run on the host's cgroup layout: said before anything
		 * starts (it would only fail as an init that exits at once) */
		enum systemd_cgroups layout = SYSTEMD_CG_V1;
		int v = systemd_version_in_root(rootfd, fd);
		const char *why;
		if (systemd_host_cgroups(&layout, err) < 0)
			return -1;
		why = systemd_version_refusal(v, layout);
		if (why)
			return berth_error(
			    err, 0,
			    "bad image for a system container: its systemd (`%s`) is "
			    "version %d, %s",
			    a0, v, why);
	}
	return 0;
}

static bool systemd_has_mount(json_t *mounts, const char *dest)
{
	json_t *m;
	size_t i;

	json_array_foreach(mounts, i, m)
	{
		const char *d = json_string_value(json_object_get(m, "destination"));
		if (d && strcmp(d, dest) == 0)
			return true;
	}
	return false;
}

/* A tmpfs at dest, unless a mount is there already (-v, --tmpfs): after the default mounts
 * (at *at), so that the user's mounts below it stay visible. */
static void systemd_tmpfs(json_t *mounts, size_t *at, const char *dest, const char *mode)
{
	cleanup_free char *m = xasprintf("mode=%s", mode);

	if (systemd_has_mount(mounts, dest))
		return;
	json_array_insert_new(mounts, (*at)++,
	                      json_pack("{s:s,s:s,s:s,s:[s,s,s,s]}", "destination", dest, "type",
	                                "tmpfs", "source", "tmpfs", "options", "nosuid", "nodev",
	                                "strictatime", m));
}

/* The cgroup tree: a cgroup namespace (the container sees its cgroup as /), and its own
 * cgroup writable where systemd keeps its tree: the cgroup2 mount on a v2 host; on v1 and
 * hybrid hosts the name=systemd hierarchy, the controllers' staying read-only. */
static int systemd_cgroups(json_t *spec, const char *id, berth_error_t *err)
{
	json_t *linux_ = json_object_get(spec, "linux");
	json_t *ns = json_object_get(linux_, "namespaces");
	json_t *mounts = json_object_get(spec, "mounts");
	const char *cgpath = json_string_value(json_object_get(linux_, "cgroupsPath"));
	cleanup_free char *own = cgpath ? xstrdup(cgpath) : xasprintf("/berth/%s", id);
	cleanup_mountinfo struct mountinfo all = {0};
	struct statfs sfs;
	json_t *v;
	size_t i;
	bool has_ns = false;

	json_array_foreach(ns, i, v)
	{
		const char *t = json_string_value(json_object_get(v, "type"));
		if (t && strcmp(t, "cgroup") == 0)
			has_ns = true;
	}
	if (!has_ns)
		json_array_append_new(ns, json_pack("{s:s}", "type", "cgroup"));
	if (statfs("/sys/fs/cgroup", &sfs) < 0)
		return berth_error(err, errno, "statfs `/sys/fs/cgroup`");
	if (sfs.f_type == CGROUP2_SUPER_MAGIC) {
		/* the cgroup2 mount of the namespace shows the container's cgroup: writable */
		json_array_foreach(mounts, i, v)
		{
			json_t *opts = json_object_get(v, "options");
			json_t *o;
			size_t k;
			if (strcmp(json_string_value(json_object_get(v, "destination")) ?: "",
			           "/sys/fs/cgroup") != 0)
				continue;
			json_array_foreach(opts, k,
			                   o) if (strcmp(json_string_value(o) ?: "", "ro") == 0)
			    json_array_set_new(opts, k, json_string("rw"));
		}
		return 0;
	}
	if (mountinfo_load(NULL, &all, err) < 0)
		return -1;
	for (i = 0; i < all.n; i++) {
		const struct mountinfo_entry *mi = &all.v[i];
		bool v2 = strcmp(mi->fstype, "cgroup2") == 0;
		cleanup_free char *src = NULL;
		cleanup_free char *dst = NULL;
		if (strncmp(mi->point, "/sys/fs/cgroup/", 15) != 0 || strchr(mi->point + 15, '/') ||
		    strcmp(mi->root, "/") != 0)
			continue;
		if (!v2 && (strcmp(mi->fstype, "cgroup") != 0 ||
		            strstr(mi->superopts, "name=systemd") == NULL))
			continue;
		dst = xstrdup(mi->point);
		if (systemd_has_mount(mounts, dst))
			continue;
		if (v2) {
			/* a hybrid host's cgroup2 tree: systemd would want to write there too
			 * (and it may hold controllers, hugetlb here); hidden, so that systemd
			 * keeps to name=systemd (its legacy mode, as under runc and Podman) */
			json_array_append_new(
			    mounts, json_pack("{s:s,s:s,s:s,s:[s,s,s,s,s]}", "destination", dst,
			                      "type", "tmpfs", "source", "tmpfs", "options", "ro",
			                      "nosuid", "nodev", "noexec", "mode=555"));
			continue;
		}
		/* the runtime makes the cgroup before the mounts: its directory is the source */
		src = xasprintf("%s%s", mi->point, own);
		json_array_append_new(mounts,
		                      json_pack("{s:s,s:s,s:s,s:[s,s,s,s,s]}", "destination", dst,
		                                "type", "bind", "source", src, "options", "rbind",
		                                "rw", "nosuid", "nodev", "noexec"));
	}
	return 0;
}

/* /etc/machine-id, when the image has none (or an empty one, as mmdebstrap leaves it):
 * the container's id, as Podman. Written in the container's own layer. */
static int systemd_machine_id(const char *rootfs, const char *id, berth_error_t *err)
{
	cleanup_close int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int fd = -1;
	berth_error_t e2 = NULL;
	char buf[64];
	ssize_t n = 0;

	if (rootfd < 0)
		return berth_error(err, errno, "open `%s`", rootfs);
	fd = util_open_in_root(rootfd, "/etc/machine-id", O_RDONLY, 0, &e2);
	berth_error_release(&e2);
	if (fd >= 0) {
		struct stat st;
		n = read(fd, buf, sizeof(buf) - 1);
		if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
			return 0;
		buf[n > 0 ? n : 0] = '\0';
		if (n >= 32 && strncmp(buf, "uninitialized", 13) != 0)
			return 0;
		close(fd);
	}
	fd = util_open_in_root(rootfd, "/etc/machine-id", O_WRONLY | O_CREAT | O_TRUNC, 0444, err);
	if (fd < 0)
		return berth_error_prefix(err, "make /etc/machine-id");
	snprintf(buf, sizeof(buf), "%.32s\n", id);
	if (write(fd, buf, 33) != 33)
		return berth_error(err, errno, "write /etc/machine-id");
	return 0;
}

/* sysvinit (and OpenRC, on its init) ends the system with reboot(2), which needs
 * CAP_SYS_BOOT: given, as LXC gives it, since in the container's pid namespace reboot(2) only
 * ends that namespace's init (the host is out of its reach). The default seccomp profile is
 * made again for the new set, as Docker would make it. */
static void systemd_allow_reboot(json_t *spec, const struct run_opts *o)
{
	json_t *caps = json_object_get(json_object_get(spec, "process"), "capabilities");
	json_t *linux_ = json_object_get(spec, "linux");
	static const char *const sets[] = {"bounding", "effective", "permitted"};
	const char *k;
	json_t *set;

	json_object_foreach(caps, k, set)
	{
		bool has = false, wanted = false;
		const json_t *v;
		size_t i;
		for (i = 0; i < ARRAY_SIZE(sets); i++)
			wanted |= strcmp(k, sets[i]) == 0;
		json_array_foreach(set, i, v) has |=
		    strcmp(json_string_value(v) ?: "", "CAP_SYS_BOOT") == 0;
		if (wanted && !has)
			json_array_append_new(set, json_string("CAP_SYS_BOOT"));
	}
	if (!o->privileged && o->seccomp == NULL && json_object_get(linux_, "seccomp"))
		json_object_set_new(linux_, "seccomp",
		                    seccomp_default_profile(json_object_get(caps, "bounding")));
}

/* The init's halt request, unless --stop-signal or the image's STOPSIGNAL says: systemd's
 * halt, busybox's poweroff, and for another init (sysvinit, OpenRC's) Ctrl-Alt-Del, whose
 * inittab entry shuts the system down and reboots, which ends the container (or the VM). */
static void systemd_stop_signal(json_t *rec, enum systemd_kind kind)
{
	if (!json_is_string(json_object_get(rec, "stop_signal"))) {
		const char *sig = kind == SYSTEMD_SYSTEMD   ? "SIGRTMIN+3"
		                  : kind == SYSTEMD_BUSYBOX ? "SIGUSR2"
		                                            : "SIGINT";
		json_object_set_new(rec, "stop_signal", json_string(sig));
	}
	json_object_set_new(rec, "system",
	                    json_string(kind == SYSTEMD_SYSTEMD   ? "systemd"
	                                : kind == SYSTEMD_BUSYBOX ? "busybox"
	                                                          : "init"));
}

/* A system VM (--vm): the guest agent runs the image's init as pid 1 (its `s` record, from the
 * record's "system"; guest/agent.c) on the machine's own /proc, /sys, /dev and /tmp, with the
 * console on the stdout and stderr ports. None of the container's set-up: no cgroup tree to
 * share, no container=, no CAP_SYS_BOOT (reboot(2) is the machine's: --no-reboot ends it). */
static int systemd_apply_vm(json_t *rec, const char *a0, enum systemd_kind kind, berth_error_t *err)
{
	if (kind == SYSTEMD_SYSTEMD)
		return berth_error(err, 0,
		                   "bad command `%s` with --vm: systemd needs cgroups, which the "
		                   "guest kernel is built without (guest/kernel.config); a system "
		                   "VM boots busybox init or another init",
		                   a0);
	systemd_stop_signal(rec, kind);
	return 0;
}

int systemd_apply(json_t *spec, json_t *rec, const struct run_opts *o, const char *id,
                  const char *rootfs, berth_error_t *err)
{
	json_t *proc = json_object_get(spec, "process");
	json_t *args = json_object_get(proc, "args");
	json_t *mounts = json_object_get(spec, "mounts");
	const char *a0 = json_string_value(json_array_get(args, 0));
	enum systemd_kind kind = SYSTEMD_NONE;
	size_t at = 0;
	json_t *m;
	size_t i;

	if (a0 == NULL || (o->systemd && strcmp(o->systemd, "false") == 0))
		return 0;
	if ((o->systemd == NULL || strcmp(o->systemd, "true") == 0) && !systemd_is_init_cmd(a0))
		return 0;
	if (systemd_kind_of(rootfs, a0, !o->vm, &kind, err) < 0)
		return -1;
	if (o->vm)
		return systemd_apply_vm(rec, a0, kind, err);
	/* after the runtime's default mounts (/sys/fs/cgroup is the last) */
	json_array_foreach(mounts, i, m)
	{
		if (strcmp(json_string_value(json_object_get(m, "destination")) ?: "",
		           "/sys/fs/cgroup") == 0)
			at = i + 1;
	}
	systemd_tmpfs(mounts, &at, "/run", "755");
	systemd_tmpfs(mounts, &at, "/run/lock", "1777");
	systemd_tmpfs(mounts, &at, "/tmp", "1777");
	if (kind == SYSTEMD_SYSTEMD) {
		/* its own subtree is what it sees at the root of the cgroup tree */
		if (o->res.cgroupns && strcmp(o->res.cgroupns, "host") == 0)
			return berth_error(err, 0,
			                   "--cgroupns host: systemd in a system container needs a "
			                   "cgroup namespace of its own (--cgroupns private, or "
			                   "--systemd=false)");
		systemd_tmpfs(mounts, &at, "/var/log/journal", "2755");
		if (systemd_cgroups(spec, id, err) < 0 || systemd_machine_id(rootfs, id, err) < 0)
			return -1;
	}
	{
		json_t *env = json_object_get(proc, "env");
		bool set = false;
		json_t *v;
		json_array_foreach(env, i, v) if (strncmp(json_string_value(v) ?: "",
		                                          "container=", 10) == 0) set = true;
		if (!set)
			json_array_append_new(env, json_string("container=berth"));
	}
	if (kind == SYSTEMD_OTHER)
		systemd_allow_reboot(spec, o);
	systemd_stop_signal(rec, kind);
	/* detached: the console is a terminal of its own, kept in the log */
	if (o->detach && !o->tty) {
		json_object_set_new(proc, "terminal", json_true());
		json_object_set_new(rec, "tty", json_true());
	}
	return 0;
}

/* The last line a container wrote (its log), printable: escapes and \r dropped. */
static char *systemd_last_output(struct engine *e, const char *id, bool json)
{
	cleanup_free char *path =
	    engine_path(e, "containers/%s/%s", id, json ? CTRLOG_JSON_NAME : CTRLOG_NAME);
	cleanup_free char *text = NULL;
	char *last = NULL, *line, *save = NULL;
	size_t len;

	if (util_read_file(path, &text, &len, NULL) < 0)
		return NULL;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct ctrlog_rec r;
		json_t *hold = NULL;
		char *clean, *o;
		if ((json ? ctrlog_parse_json(line, strlen(line), &r, &hold)
		          : ctrlog_parse(line, strlen(line), &r)) < 0)
			continue;
		clean = o = xmalloc0(r.text_len + 1);
		for (size_t i = 0; i < r.text_len; i++) {
			unsigned char c = (unsigned char)r.text[i];
			if (c == 0x1b) { /* CSI … final byte */
				while (i + 1 < r.text_len &&
				       !(r.text[i + 1] >= '@' && r.text[i + 1] <= '~' &&
				         r.text[i + 1] != '['))
					i++;
				i++;
			} else if (c >= ' ' || c == '\t') {
				*o++ = (char)c;
			}
		}
		json_decref(hold);
		if (clean[0] == '\0') {
			free(clean);
			continue;
		}
		free(last);
		last = clean;
	}
	return last;
}

int systemd_check_started(struct engine *e, const char *id, bool remove, berth_error_t *err)
{
	struct ctr_info c;
	json_t *rec = NULL;
	bool json;
	int status;
	cleanup_free char *cmd = NULL;
	cleanup_free char *name = NULL;

	if (ctr_load(e, id, &rec, err) < 0)
		return -1;
	/* a system VM: its init is pid 1 of the guest (the VM process has no children to see;
	 * an init that cannot be run powers the machine off with its status) */
	if (!json_is_string(json_object_get(rec, "system")) || json_object_get(rec, "vm")) {
		json_decref(rec);
		return 0;
	}
	json = strcmp(json_string_value(json_object_get(
	                  json_object_get(json_object_get(rec, "HostConfig"), "LogConfig"), "Type"))
	                  ?: "",
	              "json-file") == 0;
	json_decref(rec);
	/* at once: before it has started anything of its own (bounded: about a second) */
	for (int i = 0; i < 50; i++) {
		cleanup_free char *kids = NULL;
		char *p;
		if (ctr_get_id(e, id, &c, err) < 0)
			return -1;
		if (!ctr_status_running(c.status))
			break;
		p = xasprintf("/proc/%d/task/%d/children", (int)c.pid, (int)c.pid);
		util_read_file(p, &kids, NULL, NULL);
		free(p);
		ctr_info_free(&c);
		if (kids && kids[0])
			return 0;
		usleep(20000);
	}
	if (ctr_status_running(c.status)) {
		ctr_info_free(&c);
		return 0;
	}
	/* the monitor records the exit code just after the state */
	for (int i = 0; i < 50 && !c.has_exit_code; i++) {
		ctr_info_free(&c);
		usleep(20000);
		if (ctr_get_id(e, id, &c, err) < 0)
			return -1;
	}
	status = c.has_exit_code ? c.exit_code : -1;
	cmd = xstrdup(c.command ?: "");
	name = xstrdup(c.name ?: id);
	ctr_info_free(&c);
	{
		cleanup_free char *last = systemd_last_output(e, id, json);
		berth_error_t e2 = NULL;
		/* run: nothing left behind; start: the container stays, exited */
		if (remove) {
			ctr_remove(e, id, true, &e2);
			berth_error_release(&e2);
		}
		return berth_error(err, 0,
		                   "system container %s: its init `%s` exited at once with status "
		                   "%d; its last output: %s",
		                   name, cmd, status, last ? last : "(none)");
	}
}
