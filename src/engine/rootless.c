/* SPDX-License-Identifier: MIT */
/* berth for an ordinary user: its paths, and its user namespace kept by a pause process.
 *
 * The first command a user runs forks the pause process (twice, so that it is no child of
 * berth's: a monitor's waitpid never sees it), which unshares a user namespace; berth writes
 * its maps through newuidmap/newgidmap (uid 0 is the user, 1… the user's /etc/subuid range),
 * then the pause process unshares a mount namespace and sleeps. Its pid and start time are
 * in RUN/pause.pid. Every command (this one too) then joins both namespaces with setns(2), so
 * that the store's files, unpacked with the image's owners, belong to ids that exist there,
 * and the overlays of running containers are seen by the next command. A pause process that
 * is gone (its pid dead or reused) is made again; the maps are the same each time. */
#include "rootless.h"
#include "engine.h"
#include "log.h"
#include "state.h"
#include "userns.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <pwd.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* set once this process has joined the namespace: the user's id on the host */
#define ROOTLESS_ENV "_BERTH_ROOTLESS_UID"
#define ROOTLESS_MAX 8 /* subid ranges used */

bool rootless_active(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = geteuid() != 0 || (getenv(ROOTLESS_ENV) != NULL && userns_in_child_ns());
	return cached;
}

/* the user's id on the host, also once inside its namespace */
static uid_t rootless_uid(void)
{
	const char *s = getenv(ROOTLESS_ENV);

	if (geteuid() == 0 && s != NULL)
		return (uid_t)strtoul(s, NULL, 10);
	return getuid();
}

char *rootless_store_dir(void)
{
	const char *d = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

	if (d && d[0] == '/')
		return xasprintf("%s/berth", d);
	if (home && home[0] == '/')
		return xasprintf("%s/.local/share/berth", home);
	return NULL;
}

char *rootless_run_dir(void)
{
	const char *d = getenv("XDG_RUNTIME_DIR");
	uid_t uid = rootless_uid();
	char *p;
	struct stat st;

	if (d && d[0] == '/')
		return xasprintf("%s/berth", d);
	p = xasprintf("/run/user/%u", (unsigned)uid);
	if (stat(p, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid) {
		char *r = xasprintf("%s/berth", p);
		free(p);
		return r;
	}
	free(p);
	return xasprintf("/tmp/berth-run-%u", (unsigned)uid);
}

/* RUN made 0700, and (in /tmp, where anyone may have made it first) the user's own */
static int rootless_mkrun(const char *run, berth_error_t *err)
{
	struct stat st;

	if (util_mkdir_p(run, 0700, err) < 0)
		return -1;
	if (lstat(run, &st) < 0)
		return berth_error(err, errno, "stat `%s`", run);
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
		return berth_error(err, 0,
		                   "`%s`: expected a directory of your own that only you can "
		                   "use (mode 0700)",
		                   run);
	return 0;
}

/* The user's ranges in a subid file, as ids 1… of the namespace after its own id as 0. */
static int rootless_maps(const char *file, uid_t own, struct config_id_mapping *m, size_t *n,
                         berth_error_t *err)
{
	cleanup_free char *text = NULL, *name = userns_user_name(own);
	struct userns_range r[ROOTLESS_MAX];
	size_t nr, len;
	uint32_t next = 1;

	if (util_read_file(file, &text, &len, err) < 0)
		return -1;
	nr = userns_parse_subid(text, name ? name : "", own, r, ROOTLESS_MAX);
	if (nr == 0)
		return berth_error(err, 0,
		                   "%s has no range for %s (uid %u): berth needs one to run "
		                   "containers for an ordinary user (as root: usermod "
		                   "--add-subuids 100000-165535 --add-subgids 100000-165535 %s)",
		                   file, name ? name : "you", (unsigned)own, name ? name : "NAME");
	m[0] = (struct config_id_mapping){0, own, 1};
	*n = 1;
	for (size_t i = 0; i < nr; i++) {
		m[(*n)++] = (struct config_id_mapping){next, r[i].start, r[i].count};
		next += r[i].count;
	}
	return 0;
}

struct rootless_msg {
	char c; /* 'u': in its user namespace (v: its pid), 'r': ready, 'e': failed (v: errno) */
	int v;
};

/* The pause process: in its user namespace once berth has written the maps, then in a mount
 * namespace of its own; it sleeps until killed. */
__attribute__((noreturn)) static void rootless_pause(int to_berth, int from_berth)
{
	struct rootless_msg msg = {'u', 0};
	char go = 0;
	int null;

	setsid();
	/* named before it is known: the next command checks the name (rootless_pause_find) */
	prctl(PR_SET_NAME, "berth-pause", 0, 0, 0);
	if (unshare(CLONE_NEWUSER) < 0)
		msg = (struct rootless_msg){'e', errno};
	else
		msg.v = getpid();
	if (write(to_berth, &msg, sizeof(msg)) != sizeof(msg) || msg.c == 'e' ||
	    read(from_berth, &go, 1) != 1 || go != 'g')
		_exit(1);
	msg.c = 'r';
	msg.v = 0;
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0 || unshare(CLONE_NEWNS) < 0)
		msg = (struct rootless_msg){'e', errno};
	/* the host's mounts reach this namespace, none of this one's the host */
	else if (mount("none", "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		msg = (struct rootless_msg){'e', errno};
	if (write(to_berth, &msg, sizeof(msg)) != sizeof(msg) || msg.c == 'e')
		_exit(1);
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	util_close_fds_from(3);
	if (chdir("/") < 0)
		_exit(1);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (;;)
		pause();
}

static int rootless_read_msg(int fd, char *c, int *v)
{
	struct rootless_msg msg;
	ssize_t n;

	do
		n = read(fd, &msg, sizeof(msg));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(msg))
		return -1;
	*c = msg.c;
	*v = msg.v;
	return 0;
}

/* Make the pause process; its pid. */
static pid_t rootless_pause_make(const char *pidfile, berth_error_t *err)
{
	struct config_id_mapping um[ROOTLESS_MAX + 1], gm[ROOTLESS_MAX + 1];
	size_t nu = 0, ng = 0;
	int up[2] = {-1, -1}, down[2] = {-1, -1};
	pid_t mid, pid = -1;
	char c = 0;
	int v = 0;

	if (rootless_maps("/etc/subuid", getuid(), um, &nu, err) < 0 ||
	    rootless_maps("/etc/subgid", getgid(), gm, &ng, err) < 0)
		return -1;
	if (pipe2(up, O_CLOEXEC) < 0 || pipe2(down, O_CLOEXEC) < 0) {
		berth_error(err, errno, "pipe");
		goto fail;
	}
	mid = fork();
	if (mid < 0) {
		berth_error(err, errno, "fork");
		goto fail;
	}
	if (mid == 0) {
		close(up[0]);
		close(down[1]);
		if (fork() == 0)
			rootless_pause(up[1], down[0]);
		_exit(0);
	}
	waitpid(mid, NULL, 0);
	util_closep(&up[1]);
	util_closep(&down[0]);
	if (rootless_read_msg(up[0], &c, &v) < 0 || c == 'e') {
		berth_error(err, c == 'e' ? v : 0,
		            "make a user namespace for uid %u (is user.max_user_namespaces 0?)",
		            (unsigned)getuid());
		goto fail;
	}
	pid = v;
	if (userns_write_id_maps(pid, um, nu, gm, ng, err) < 0) {
		/* its messages name the runtime's linux.uidMappings: say whose maps these are */
		berth_error_prefix(err,
		                   "the user namespace of uid %u (from /etc/subuid, /etc/subgid)",
		                   (unsigned)getuid());
		goto fail;
	}
	if (write(down[1], "g", 1) != 1 || rootless_read_msg(up[0], &c, &v) < 0 || c != 'r') {
		berth_error(err, c == 'e' ? v : 0, "the pause process of uid %u failed",
		            (unsigned)getuid());
		goto fail;
	}
	{
		char line[64];
		int n =
		    snprintf(line, sizeof(line), "%d %llu\n", (int)pid, state_proc_start_time(pid));
		if (util_write_file_atomic(pidfile, line, (size_t)n, 0600, err) < 0)
			goto fail;
	}
	log_debug("rootless: pause process %d keeps the user namespace of uid %u", (int)pid,
	          (unsigned)getuid());
	util_closep(&up[0]);
	util_closep(&down[1]);
	return pid;
fail:
	/* it dies once its pipe is closed, or by this */
	if (pid > 0)
		kill(pid, SIGKILL);
	util_closep(&up[0]);
	util_closep(&up[1]);
	util_closep(&down[0]);
	util_closep(&down[1]);
	return -1;
}

/* The pause process of pidfile, when it still runs; else 0. */
static pid_t rootless_pause_find(const char *pidfile, unsigned long long *start)
{
	cleanup_free char *text = NULL;
	berth_error_t e2 = NULL;
	size_t len;
	int pid = 0;

	*start = 0;
	if (util_read_file(pidfile, &text, &len, &e2) < 0) {
		berth_error_release(&e2);
		return 0;
	}
	if (sscanf(text, "%d %llu", &pid, start) != 2 || pid <= 0 || *start == 0 ||
	    !state_pid_alive(pid, *start))
		return 0;
	{
		/* and still berth's pause process, not another of the user's */
		cleanup_free char *comm = NULL, *p = xasprintf("/proc/%d/comm", pid);
		if (util_read_file(p, &comm, &len, &e2) < 0) {
			berth_error_release(&e2);
			return 0;
		}
		if (strcmp(comm, "berth-pause\n") != 0)
			return 0;
	}
	return pid;
}

int rootless_enter(berth_error_t *err)
{
	cleanup_free char *run = rootless_run_dir();
	cleanup_free char *lockp = xasprintf("%s/pause.lock", run);
	cleanup_free char *pidfile = xasprintf("%s/pause.pid", run);
	cleanup_free char *cwd = getcwd(NULL, 0);
	cleanup_close int lock = -1, userfd = -1, mntfd = -1;
	unsigned long long start = 0;
	uid_t uid = getuid();
	pid_t pid;
	char nsp[64], env[16];

	if (getenv(ROOTLESS_ENV) && geteuid() == 0)
		return 0; /* joined already */
	if (rootless_mkrun(run, err) < 0)
		return -1;
	lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0)
		return berth_error(err, errno, "open `%s`", lockp);
	while (flock(lock, LOCK_EX) < 0)
		if (errno != EINTR)
			return berth_error(err, errno, "lock `%s`", lockp);
	pid = rootless_pause_find(pidfile, &start);
	if (pid == 0) {
		pid = rootless_pause_make(pidfile, err);
		if (pid < 0) {
			/* nothing left of a namespace that could not be made */
			unlink(lockp);
			rmdir(run);
			return -1;
		}
		start = state_proc_start_time(pid);
	}
	snprintf(nsp, sizeof(nsp), "/proc/%d/ns/user", (int)pid);
	userfd = open(nsp, O_RDONLY | O_CLOEXEC);
	snprintf(nsp, sizeof(nsp), "/proc/%d/ns/mnt", (int)pid);
	mntfd = open(nsp, O_RDONLY | O_CLOEXEC);
	/* still the same process once its namespaces are open */
	if (userfd < 0 || mntfd < 0 || !state_pid_alive(pid, start))
		return berth_error(err, errno, "the pause process %d of uid %u is gone", (int)pid,
		                   (unsigned)uid);
	if (setns(userfd, CLONE_NEWUSER) < 0)
		return berth_error(err, errno, "join the user namespace of pause process %d",
		                   (int)pid);
	if (setns(mntfd, CLONE_NEWNS) < 0)
		return berth_error(err, errno, "join the mount namespace of pause process %d",
		                   (int)pid);
	if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return berth_error(err, errno, "become root in the user namespace of uid %u",
		                   (unsigned)uid);
	if (cwd == NULL || chdir(cwd) < 0) {
		if (chdir("/") < 0)
			return berth_error(err, errno, "chdir /");
	}
	snprintf(env, sizeof(env), "%u", (unsigned)uid);
	setenv(ROOTLESS_ENV, env, 1);
	return 0;
}

int rootless_netns_make(const char *path, berth_error_t *err)
{
	pid_t child;
	int st;

	child = fork();
	if (child < 0)
		return berth_error(err, errno, "fork");
	if (child == 0) {
		/* async-signal-safe calls only: the caller may have threads */
		struct ifreq ifr = {.ifr_name = "lo"};
		int sk;
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		/* its loopback up (as nl_lo_up does for root) */
		sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (sk < 0 || ioctl(sk, SIOCGIFFLAGS, &ifr) < 0)
			_exit(3);
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(sk, SIOCSIFFLAGS, &ifr) < 0)
			_exit(3);
		if (mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
			_exit(2);
		_exit(0);
	}
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR)
			return berth_error(err, errno, "wait for pid %d", (int)child);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return berth_error(err, 0, "%s `%s`",
		                   !WIFEXITED(st) || WEXITSTATUS(st) == 1
		                       ? "unshare a network namespace for"
		                   : WEXITSTATUS(st) == 3 ? "bring up the loopback of"
		                                          : "bind-mount the network namespace on",
		                   path);
	return 0;
}

/* one piece of a keep-id map: container ids from ctr, namespace ids from ns, n of them */
static void rootless_keep_piece(json_t *a, uint64_t ctr, uint64_t ns, uint64_t n)
{
	if (n > 0)
		json_array_append_new(a,
		                      json_pack("{s:I,s:I,s:I}", "containerID", (json_int_t)ctr,
		                                "hostID", (json_int_t)ns, "size", (json_int_t)n));
}

json_t *rootless_keep_map(const char *map, uint32_t own, uint64_t *total)
{
	json_t *a = json_array();
	unsigned first, lower, count;
	int k = 0;

	*total = 0;
	/* each extent of this namespace's map apart: the kernel wants every range of a child's
	 * map inside one extent of its parent's */
	for (const char *p = map; p && sscanf(p, "%u %u %u%n", &first, &lower, &count, &k) == 3;
	     p = strchr(p + k, '\n')) {
		uint64_t lo = first, hi = (uint64_t)first + count; /* [lo, hi) */
		(void)lower;
		*total += count;
		/* namespace id 0 (the user) is the container's own */
		if (lo == 0 && hi > 0) {
			rootless_keep_piece(a, own, 0, 1);
			lo = 1;
		}
		/* 1…own are the container's 0…own-1 */
		if (lo < (uint64_t)own + 1 && lo < hi) {
			uint64_t end = hi < (uint64_t)own + 1 ? hi : (uint64_t)own + 1;
			rootless_keep_piece(a, lo - 1, lo, end - lo);
			lo = end;
		}
		/* the rest are themselves */
		if (lo < hi)
			rootless_keep_piece(a, lo, lo, hi - lo);
	}
	return a;
}

void rootless_keep_ids(uint32_t *uid, uint32_t *gid)
{
	const char *s = getenv(ROOTLESS_ENV);
	struct passwd *pw;

	*uid = s ? (uint32_t)strtoul(s, NULL, 10) : (uint32_t)getuid();
	/* the user's gid on the host: its primary group in /etc/passwd */
	*gid = *uid;
	setpwent();
	while ((pw = getpwent()) != NULL)
		if (pw->pw_uid == *uid) {
			*gid = pw->pw_gid;
			break;
		}
	endpwent();
}

int rootless_keep_id(json_t *spec, bool set_user, berth_error_t *err)
{
	const char *s = getenv(ROOTLESS_ENV);
	uint32_t uid, gid;
	uint64_t nu = 0, ng = 0;
	cleanup_free char *um = NULL, *gm = NULL;
	json_t *linux_ = json_object_get(spec, "linux"), *ns, *user, *umap, *gmap;
	size_t len;

	if (s == NULL || geteuid() != 0)
		return berth_error(err, 0, "--userns keep-id: not in the user's namespace");
	rootless_keep_ids(&uid, &gid);
	if (util_read_file("/proc/self/uid_map", &um, &len, err) < 0 ||
	    util_read_file("/proc/self/gid_map", &gm, &len, err) < 0)
		return -1;
	umap = rootless_keep_map(um, uid, &nu);
	gmap = rootless_keep_map(gm, gid, &ng);
	if ((uint64_t)uid >= nu || (uint64_t)gid >= ng) {
		json_decref(umap);
		json_decref(gmap);
		return berth_error(err, 0,
		                   "--userns keep-id: your uid %u or gid %u is past the %llu ids "
		                   "of your namespace (your range in /etc/subuid is too small)",
		                   (unsigned)uid, (unsigned)gid, (unsigned long long)nu);
	}
	ns = json_object_get(linux_, "namespaces");
	json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
	json_object_set_new(linux_, "uidMappings", umap);
	json_object_set_new(linux_, "gidMappings", gmap);
	user = json_object_get(json_object_get(spec, "process"), "user");
	if (set_user && user) {
		json_object_set_new(user, "uid", json_integer(uid));
		json_object_set_new(user, "gid", json_integer(gid));
		json_object_del(user, "additionalGids");
	}
	return 0;
}

void rootless_sys_bind(json_t *spec)
{
	json_t *mounts = json_object_get(spec, "mounts"), *m;
	size_t i;

	json_array_foreach(mounts, i, m)
	{
		if (strcmp(json_string_value(json_object_get(m, "destination")) ?: "", "/sys") != 0)
			continue;
		json_object_set_new(m, "type", json_string("none"));
		json_object_set_new(m, "source", json_string("/sys"));
		json_object_set_new(
		    m, "options",
		    json_pack("[s,s,s,s,s]", "rbind", "nosuid", "noexec", "nodev", "ro"));
	}
}
