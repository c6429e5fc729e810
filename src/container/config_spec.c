/* SPDX-License-Identifier: MIT */
/* The config.json that `berth-runtime spec` writes: runc's default spec (libcontainer/specconv
 * Example and ToRootless). */
#include "config.h"
#include "util.h"

#include <jansson.h>
#include <string.h>
#include <unistd.h>

static json_t *strv(const char *const *v)
{
	json_t *a = json_array();

	for (; *v != NULL; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *spec_mount(const char *dest, const char *type, const char *src,
                          const char *const *opts)
{
	json_t *m = json_pack("{s:s,s:s,s:s}", "destination", dest, "type", type, "source", src);

	if (opts != NULL)
		json_object_set_new(m, "options", strv(opts));
	return m;
}

static json_t *spec_mounts(bool rootless)
{
	static const char *const dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
	static const char *const pts[] = {"nosuid",    "noexec", "newinstance", "ptmxmode=0666",
	                                  "mode=0620", "gid=5",  NULL};
	static const char *const pts_rootless[] = {"nosuid",        "noexec",    "newinstance",
	                                           "ptmxmode=0666", "mode=0620", NULL};
	static const char *const shm[] = {"nosuid",    "noexec",      "nodev",
	                                  "mode=1777", "size=65536k", NULL};
	static const char *const mqueue[] = {"nosuid", "noexec", "nodev", NULL};
	static const char *const sys[] = {"nosuid", "noexec", "nodev", "ro", NULL};
	static const char *const sys_rootless[] = {"rbind", "nosuid", "noexec",
	                                           "nodev", "ro",     NULL};
	static const char *const cgroup[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};
	json_t *a = json_array();

	json_array_append_new(a, spec_mount("/proc", "proc", "proc", NULL));
	json_array_append_new(a, spec_mount("/dev", "tmpfs", "tmpfs", dev));
	json_array_append_new(
	    a, spec_mount("/dev/pts", "devpts", "devpts", rootless ? pts_rootless : pts));
	json_array_append_new(a, spec_mount("/dev/shm", "tmpfs", "shm", shm));
	json_array_append_new(a, spec_mount("/dev/mqueue", "mqueue", "mqueue", mqueue));
	if (rootless)
		json_array_append_new(a, spec_mount("/sys", "none", "/sys", sys_rootless));
	else
		json_array_append_new(a, spec_mount("/sys", "sysfs", "sysfs", sys));
	json_array_append_new(a, spec_mount("/sys/fs/cgroup", "cgroup", "cgroup", cgroup));
	return a;
}

static json_t *spec_process(void)
{
	static const char *const args[] = {"sh", NULL};
	static const char *const env[] = {
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
	    NULL};
	static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
	                                   NULL};
	json_t *p = json_object();

	json_object_set_new(p, "terminal", json_true());
	json_object_set_new(p, "user", json_pack("{s:i,s:i}", "uid", 0, "gid", 0));
	json_object_set_new(p, "args", strv(args));
	json_object_set_new(p, "env", strv(env));
	json_object_set_new(p, "cwd", json_string("/"));
	json_object_set_new(p, "capabilities",
	                    json_pack("{s:o,s:o,s:o,s:o}", "bounding", strv(caps), "effective",
	                              strv(caps), "permitted", strv(caps), "ambient", strv(caps)));
	json_object_set_new(
	    p, "rlimits",
	    json_pack("[{s:s,s:i,s:i}]", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024));
	json_object_set_new(p, "noNewPrivileges", json_true());
	return p;
}

static json_t *spec_linux(bool rootless)
{
	static const char *const masked[] = {"/proc/acpi",
	                                     "/proc/asound",
	                                     "/proc/kcore",
	                                     "/proc/keys",
	                                     "/proc/latency_stats",
	                                     "/proc/timer_list",
	                                     "/proc/timer_stats",
	                                     "/proc/sched_debug",
	                                     "/sys/firmware",
	                                     "/proc/scsi",
	                                     NULL};
	static const char *const readonly[] = {
	    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};
	json_t *l = json_object();
	json_t *ns = json_array();
	bool cgroup2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;

	json_array_append_new(ns, json_pack("{s:s}", "type", "pid"));
	if (!rootless)
		json_array_append_new(ns, json_pack("{s:s}", "type", "network"));
	json_array_append_new(ns, json_pack("{s:s}", "type", "ipc"));
	json_array_append_new(ns, json_pack("{s:s}", "type", "uts"));
	json_array_append_new(ns, json_pack("{s:s}", "type", "mount"));
	if (cgroup2)
		json_array_append_new(ns, json_pack("{s:s}", "type", "cgroup"));
	if (rootless) {
		json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
		json_object_set_new(l, "uidMappings",
		                    json_pack("[{s:i,s:I,s:i}]", "containerID", 0, "hostID",
		                              (json_int_t)geteuid(), "size", 1));
		json_object_set_new(l, "gidMappings",
		                    json_pack("[{s:i,s:I,s:i}]", "containerID", 0, "hostID",
		                              (json_int_t)getegid(), "size", 1));
	} else {
		json_object_set_new(
		    l, "resources",
		    json_pack("{s:[{s:b,s:s}]}", "devices", "allow", 0, "access", "rwm"));
	}
	json_object_set_new(l, "namespaces", ns);
	json_object_set_new(l, "maskedPaths", strv(masked));
	json_object_set_new(l, "readonlyPaths", strv(readonly));
	return l;
}

json_t *config_default_spec(bool rootless)
{
	json_t *s = json_object();

	json_object_set_new(s, "ociVersion", json_string("1.2.0"));
	json_object_set_new(s, "process", spec_process());
	json_object_set_new(s, "root", json_pack("{s:s,s:b}", "path", "rootfs", "readonly", 1));
	json_object_set_new(s, "hostname", json_string("berth"));
	json_object_set_new(s, "mounts", spec_mounts(rootless));
	json_object_set_new(s, "linux", spec_linux(rootless));
	return s;
}
