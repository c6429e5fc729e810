/* SPDX-License-Identifier: MIT */
/* Unit tests for src/container/rootfs.c. They need root: each scenario forks a child that
 * unshares a mount (+pid, uts, ipc) namespace, builds a busybox rootfs in a temp dir, runs
 * rootfs_prepare/pivot/finalize and checks the result from inside. The child reports the
 * first failed check through a pipe and _exits; the parent then checks the host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "error.h"
#include "mountinfo.h"
#include "rootfs.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

static char tmpdir[64];
static char rootfs[128];
static char hostdir[128];
static int report_fd = -1;

/* ---- helpers --------------------------------------------------------------------------- */

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void xmkdir(const char *fmt, const char *a)
{
	char p[512];
	snprintf(p, sizeof(p), fmt, a);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void xsymlink(const char *target, const char *name)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", rootfs, name);
	assert_int_equal(symlink(target, p), 0);
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (util_write_all(out, buf, (size_t)n) < 0)
			break;
	close(in);
	close(out);
	return 0;
}

/* A fresh busybox rootfs with escape symlinks, plus a host directory for binds. */
static int setup(void **state)
{
	char p[512];
	berth_error_t err = NULL;
	(void)state;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/berth-rootfs-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", tmpdir);
	snprintf(hostdir, sizeof(hostdir), "%s/host", tmpdir);
	xmkdir("%s", rootfs);
	xmkdir("%s", hostdir);
	xmkdir("%s/bin", rootfs);
	xmkdir("%s/etc", rootfs);
	xmkdir("%s/proc", rootfs);
	xmkdir("%s/dev", rootfs);
	xmkdir("%s/sys", rootfs);
	xmkdir("%s/masked_dir", rootfs);
	xmkdir("%s/ro_dir", rootfs);
	xmkdir("%s/copydir", rootfs);
	xmkdir("%s/copydir/sub", rootfs);
	snprintf(p, sizeof(p), "%s/bin/busybox", rootfs);
	assert_int_equal(copy_file("/bin/busybox", p, 0755), 0);
	xsymlink("busybox", "bin/sh");
	xsymlink("busybox", "bin/ls");
	xsymlink("/etc", "evil1");
	xsymlink("../../../../etc", "evil2");
	xsymlink("/proc/self/root/etc", "evil3");
	snprintf(p, sizeof(p), "%s/masked_file", rootfs);
	write_text(p, "secret\n");
	snprintf(p, sizeof(p), "%s/masked_dir/inside", rootfs);
	write_text(p, "secret\n");
	snprintf(p, sizeof(p), "%s/ro_dir/f", rootfs);
	write_text(p, "x\n");
	snprintf(p, sizeof(p), "%s/copydir/a", rootfs);
	write_text(p, "hello\n");
	snprintf(p, sizeof(p), "%s/copydir/sub/b", rootfs);
	write_text(p, "bee\n");
	xsymlink("a", "copydir/link");
	snprintf(p, sizeof(p), "%s/file", hostdir);
	write_text(p, "host file\n");
	snprintf(p, sizeof(p), "%s/single", tmpdir);
	write_text(p, "single\n");
	(void)err;
	return 0;
}

static int teardown(void **state)
{
	berth_error_t err = NULL;
	(void)state;
	if (tmpdir[0] && util_rm_rf(tmpdir, &err) < 0) {
		fprintf(stderr, "# cleanup: %s\n", err->msg);
		berth_error_release(&err);
	}
	return 0;
}

/* Leak-check the child before it _exits (under ASan; a no-op otherwise). */
extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));
static void child_done(void) __attribute__((noreturn));

/* Inside the child: report a failed check and leave. */
static void fail_child(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail_child(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)!write(report_fd, buf, strlen(buf));
	_exit(1);
}

static void child_done(void)
{
	/* LeakSanitizer needs /proc, which some scenarios do not mount */
	if (__lsan_do_recoverable_leak_check != NULL && access("/proc/self/task", R_OK) == 0 &&
	    __lsan_do_recoverable_leak_check() != 0)
		fail_child("memory leaked");
	_exit(0);
}
#define CHECK(cond, fmt, ...)                                                                      \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fail_child("line %d: %s: " fmt, __LINE__, #cond, ##__VA_ARGS__);           \
	} while (0)

/* Run fn in a grandchild that is pid 1 of new mount/pid/uts/ipc namespaces. Returns what it
 * reported (empty string = success) in msg. */
static int run_in_ns(void (*fn)(void *), void *arg, bool userns, bool cgroupns, char *msg,
                     size_t len)
{
	int p[2], ready[2], go[2], status = 0;
	pid_t pid;
	ssize_t n;
	char b = 0;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pid_t inner;
		close(p[0]);
		close(ready[0]);
		close(go[1]);
		report_fd = p[1];
		if (userns) {
			/* a user namespace mapping every id to itself: root, but not in the
			 * initial user namespace (mknod refused, mount flags locked) */
			if (unshare(CLONE_NEWUSER) < 0)
				fail_child("unshare user: %s", strerror(errno));
			char self[32] = "";
			ssize_t k = readlink("/proc/self", self, sizeof(self) - 1);
			self[k > 0 ? k : 0] = '\0';
			if (write(ready[1], self, sizeof(self)) != (ssize_t)sizeof(self) ||
			    read(go[0], &b, 1) != 1 || b != 'g')
				fail_child("no id maps");
		}
		if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
		            (cgroupns ? CLONE_NEWCGROUP : 0)) < 0)
			fail_child("unshare: %s", strerror(errno));
		inner = fork();
		if (inner < 0)
			fail_child("fork: %s", strerror(errno));
		if (inner == 0) {
			fn(arg);
			_exit(0);
		}
		while (waitpid(inner, &status, 0) < 0 && errno == EINTR)
			;
		if (WIFSIGNALED(status))
			fail_child("killed by signal %d", WTERMSIG(status));
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
	}
	close(p[1]);
	close(ready[1]);
	close(go[0]);
	if (userns) {
		char path[64];
		berth_error_t err = NULL;
		int r = 0;
		char self[32];
		if (util_read_all(ready[0], self, sizeof(self)) == (ssize_t)sizeof(self)) {
			snprintf(path, sizeof(path), "/proc/%s/uid_map", self);
			r = util_write_file(path, "0 0 4294967295\n", &err);
			snprintf(path, sizeof(path), "/proc/%s/gid_map", self);
			if (r == 0)
				r = util_write_file(path, "0 0 4294967295\n", &err);
			if (r == 0 && write(go[1], "g", 1) != 1)
				r = -1;
		}
		if (err != NULL) {
			fprintf(stderr, "# %s\n", err->msg);
			berth_error_release(&err);
		}
	}
	close(ready[0]);
	close(go[1]);
	n = read(p[0], msg, len - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) && msg[0] == '\0')
		snprintf(msg, len, "child died (status %d)", status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define MNT(dst, typ, src, fl, dat)                                                                \
	{                                                                                          \
		.destination = (char *)(dst), .type = (char *)(typ), .source = (char *)(src),      \
		.flags = (fl), .data = (char *)(dat),                                              \
	}

/* The last mount at point in this process's mountinfo (NULL when none), in *mi. */
static const struct mountinfo_entry *mount_at(struct mountinfo *mi, const char *point)
{
	const struct mountinfo_entry *found = NULL;
	berth_error_t err = NULL;

	if (mountinfo_load(NULL, mi, &err) < 0) {
		berth_error_release(&err);
		return NULL;
	}
	for (size_t i = 0; i < mi->n; i++)
		if (strcmp(mi->v[i].point, point) == 0)
			found = &mi->v[i];
	return found;
}

static bool mounted_shared(const char *point)
{
	cleanup_mountinfo struct mountinfo mi = {0};
	const struct mountinfo_entry *e = mount_at(&mi, point);

	return e != NULL && mountinfo_has_optional(e, "shared");
}

static bool mounted(const char *point)
{
	cleanup_mountinfo struct mountinfo mi = {0};

	return mount_at(&mi, point) != NULL;
}

/* The mount at point has `opt` among its per-superblock options. */
static bool mount_has_superopt(const char *point, const char *opt)
{
	cleanup_mountinfo struct mountinfo mi = {0};
	const struct mountinfo_entry *e = mount_at(&mi, point);
	size_t n = strlen(opt);

	for (const char *p = e ? e->superopts : ""; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, opt, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

static bool is_fs(const char *path, long magic)
{
	struct statfs sfs;
	return statfs(path, &sfs) == 0 && sfs.f_type == magic;
}

static bool read_is(const char *path, const char *want)
{
	char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return strcmp(buf, want) == 0;
}

static bool write_fails(const char *path, int want_errno)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		close(fd);
		return false;
	}
	return errno == want_errno;
}

/* ---- the main scenario ------------------------------------------------------------------ */

static struct config_mount main_mounts[32];
static size_t n_main_mounts;
static struct config_device main_devices[3];
static char *masked[] = {(char *)"/masked_file", (char *)"/masked_dir", (char *)"/nonexistent"};
static char *readonly[] = {(char *)"/ro_dir", (char *)"/proc/sys", (char *)"/missing"};
static struct config_kv sysctls[] = {{(char *)"kernel.hostname", (char *)"berth-test"}};

static struct config_id_mapping idmap_uid[] = {{.container_id = 0, .host_id = 1000, .size = 1}};
static struct config_id_mapping idmap_gid[] = {{.container_id = 0, .host_id = 1001, .size = 1}};

static void build_main_config(struct config *c, char *src_ro, char *src_single, bool userns)
{
	size_t n = 0;
	memset(c, 0, sizeof(*c));
	memset(main_mounts, 0, sizeof(main_mounts));
	main_mounts[n++] = (struct config_mount)MNT("/proc", "proc", "proc",
	                                            MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
	main_mounts[n++] = (struct config_mount)MNT(
	    "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
	main_mounts[n++] =
	    (struct config_mount)MNT("/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
	                             "newinstance,ptmxmode=0666,mode=0620,gid=5");
	main_mounts[n++] = (struct config_mount)MNT(
	    "/dev/shm", "tmpfs", "shm", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k");
	main_mounts[n++] = (struct config_mount)MNT("/dev/mqueue", "mqueue", "mqueue",
	                                            MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
	main_mounts[n++] = (struct config_mount)MNT(
	    "/sys", "sysfs", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL);
	main_mounts[n++] =
	    (struct config_mount)MNT("/sys/fs/cgroup", "cgroup", "cgroup",
	                             MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL);
	main_mounts[n++] = (struct config_mount)MNT("/tmp", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV,
	                                            "mode=1777,size=8m");
	/* explicit cgroup2 (in a user ns without a cgroup ns: a bind of our own cgroup2 dir) */
	main_mounts[n++] = (struct config_mount)MNT("/mnt/cg2", "cgroup2", "cgroup2",
	                                            MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
	/* read-only bind of a host directory; the destination does not exist yet */
	main_mounts[n] = (struct config_mount)MNT("/mnt/ro", "bind", src_ro,
	                                          MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID, NULL);
	main_mounts[n++].bind = true;
	/* a file bind */
	main_mounts[n] = (struct config_mount)MNT("/etc/single", NULL, src_single, MS_BIND, NULL);
	main_mounts[n++].bind = true;
	/* recursive read-only through mount_setattr */
	main_mounts[n] =
	    (struct config_mount)MNT("/mnt/rro", "bind", src_ro, MS_BIND | MS_REC, NULL);
	main_mounts[n].bind = true;
	main_mounts[n].attr_set = MOUNT_ATTR_RDONLY;
	main_mounts[n++].recursive_attr = true;
	/* shared propagation */
	main_mounts[n] = (struct config_mount)MNT("/mnt/shared", "tmpfs", "tmpfs", 0, NULL);
	main_mounts[n++].propagation = MS_SHARED;
	/* tmpcopyup */
	main_mounts[n] = (struct config_mount)MNT("/copydir", "tmpfs", "tmpfs", 0, NULL);
	main_mounts[n++].tmpcopyup = true;
	/* escapes */
	main_mounts[n++] = (struct config_mount)MNT("/evil1/x", "tmpfs", "tmpfs", 0, NULL);
	main_mounts[n++] = (struct config_mount)MNT("/evil2/x", "tmpfs", "tmpfs", 0, NULL);
	main_mounts[n] = (struct config_mount)MNT("/evil1/bound", "bind", src_ro, MS_BIND, NULL);
	main_mounts[n++].bind = true;
	/* idmapped: root-owned files appear as 1000:1001 (the kernel wants CAP_SYS_ADMIN in
	 * the filesystem's user namespace, so not from inside a user namespace on ext4) */
	if (!userns)
		main_mounts[n] =
		    (struct config_mount)MNT("/mnt/idmap", "bind", src_ro, MS_BIND, NULL);
	if (!userns) {
		main_mounts[n].bind = true;
		main_mounts[n].idmap = true;
		main_mounts[n].uid_mappings = idmap_uid;
		main_mounts[n].n_uid_mappings = 1;
		main_mounts[n].gid_mappings = idmap_gid;
		main_mounts[n++].n_gid_mappings = 1;
	}
	n_main_mounts = n;
	c->mounts = main_mounts;
	c->n_mounts = n;

	memset(main_devices, 0, sizeof(main_devices));
	main_devices[0] = (struct config_device){
	    .path = (char *)"/evil1/null2",
	    .type = 'c',
	    .major = 1,
	    .minor = 3,
	    .has_file_mode = true,
	    .file_mode = 0600,
	};
	main_devices[1] = (struct config_device){
	    .path = (char *)"/dev/mydev",
	    .type = 'c',
	    .major = 1,
	    .minor = 5,
	    .has_file_mode = true,
	    .file_mode = 0640,
	    .has_uid = true,
	    .uid = 1000,
	    .has_gid = true,
	    .gid = 1001,
	};
	/* replaces the default /dev/zero */
	main_devices[2] = (struct config_device){
	    .path = (char *)"/dev/zero",
	    .type = 'c',
	    .major = 1,
	    .minor = 5,
	    .has_file_mode = true,
	    .file_mode = 0604,
	};
	c->has_linux = true;
	c->linux_.devices = main_devices;
	/* in a user ns devices are bind-mounted from the host's path, which must exist */
	c->linux_.n_devices = userns ? 0 : 3;
	c->linux_.masked_paths = masked;
	c->linux_.n_masked_paths = ARRAY_SIZE(masked);
	c->linux_.readonly_paths = readonly;
	c->linux_.n_readonly_paths = ARRAY_SIZE(readonly);
	c->linux_.sysctl = sysctls;
	c->linux_.n_sysctl = ARRAY_SIZE(sysctls);
}

struct scenario {
	bool no_pivot;
	bool root_readonly;
	bool userns;
	bool cgroupns;
	unsigned long propagation; /* linux.rootfsPropagation */
};

static void main_scenario(void *arg)
{
	const struct scenario *sc = arg;
	struct config c;
	struct rootfs_opts o = {.rootfs = rootfs,
	                        .no_pivot = sc->no_pivot,
	                        .userns = sc->userns,
	                        .new_cgroupns = sc->cgroupns};
	int ptmx, console = -1;
	berth_error_t err = NULL;
	char single[256];
	struct stat st;
	struct statvfs sv;
	struct utsname un;
	char buf[256];
	ssize_t n;
	DIR *d;
	struct dirent *de;
	int entries = 0;

	snprintf(single, sizeof(single), "%s/single", tmpdir);
	build_main_config(&c, hostdir, single, sc->userns);
	c.root.readonly = sc->root_readonly;
	c.linux_.rootfs_propagation_flags = sc->propagation;

	if (rootfs_prepare(&c, &o, &err) < 0)
		fail_child("rootfs_prepare: %s", err->msg);
	/* between prepare and pivot (createContainer hooks): the mounts are visible in the
	 * rootfs on the host path */
	snprintf(buf, sizeof(buf), "%s/proc/self", rootfs);
	CHECK(access(buf, F_OK) == 0, "proc not mounted before the pivot");
	if (rootfs_pivot(&c, &o, &err) < 0)
		fail_child("rootfs_pivot: %s", err->msg);
	/* a terminal for /dev/console, from the container's devpts as runc does */
	ptmx = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	CHECK(ptmx >= 0, "open /dev/ptmx: %s", strerror(errno));
	{
		int unlock = 0;
		char name[64];
		if (ioctl(ptmx, TIOCSPTLCK, &unlock) == 0 && ioctl(ptmx, TIOCGPTN, &unlock) == 0) {
			snprintf(name, sizeof(name), "/dev/pts/%d", unlock);
			console = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
		}
	}
	CHECK(console >= 0, "open the pty slave: %s", strerror(errno));
	if (rootfs_mount_console(console, &err) < 0)
		fail_child("rootfs_mount_console: %s", err->msg);
	if (rootfs_finalize(&c, &o, &err) < 0)
		fail_child("rootfs_finalize: %s", err->msg);

	if (sc->propagation & MS_SHARED)
		CHECK(mounted_shared("/"), "/ is not shared");
	/* the old root is gone */
	snprintf(buf, sizeof(buf), "%s", tmpdir);
	CHECK(access(buf, F_OK) < 0, "the host's tmpdir is visible");
	CHECK(access("/bin/busybox", X_OK) == 0, "no busybox");
	CHECK(getpid() == 1, "not pid 1");

	/* /proc */
	CHECK(is_fs("/proc", PROC_SUPER_MAGIC), "/proc is not procfs");
	CHECK(access("/proc/self/status", R_OK) == 0, "no /proc/self");

	/* /dev */
	CHECK(is_fs("/dev", TMPFS_MAGIC), "/dev is not a tmpfs");
	CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) &&
	          (st.st_mode & 0777) == 0666,
	      "/dev/null");
	if (!sc->userns)
		CHECK(stat("/dev/zero", &st) == 0 && S_ISCHR(st.st_mode) &&
		          (st.st_mode & 07777) == 0604,
		      "/dev/zero from linux.devices");
	CHECK(stat("/dev/urandom", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 9),
	      "/dev/urandom");
	CHECK(stat("/dev/tty", &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(5, 0),
	      "/dev/tty");
	if (!sc->userns)
		CHECK(stat("/dev/mydev", &st) == 0 && S_ISCHR(st.st_mode) &&
		          st.st_rdev == makedev(1, 5) && (st.st_mode & 07777) == 0640 &&
		          st.st_uid == 1000 && st.st_gid == 1001,
		      "/dev/mydev");
	if (sc->userns)
		CHECK(mounted("/dev/null"), "/dev/null is not a bind mount");
	if (console >= 0)
		CHECK(stat("/dev/console", &st) == 0 && S_ISCHR(st.st_mode) &&
		          major(st.st_rdev) == 136,
		      "/dev/console");
	{
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		CHECK(fd >= 0 && write(fd, "x", 1) == 1, "write /dev/null");
		close(fd);
	}
	n = readlink("/dev/fd", buf, sizeof(buf) - 1);
	CHECK(n > 0 && (buf[n] = '\0', strcmp(buf, "/proc/self/fd") == 0), "/dev/fd");
	n = readlink("/dev/stderr", buf, sizeof(buf) - 1);
	CHECK(n > 0 && (buf[n] = '\0', strcmp(buf, "/proc/self/fd/2") == 0), "/dev/stderr");
	n = readlink("/dev/ptmx", buf, sizeof(buf) - 1);
	CHECK(n > 0 && (buf[n] = '\0', strcmp(buf, "pts/ptmx") == 0), "/dev/ptmx");
	CHECK(is_fs("/dev/pts", DEVPTS_SUPER_MAGIC), "/dev/pts");
	CHECK(mount_has_superopt("/dev/pts", "ptmxmode=666"), "/dev/pts options");
	{
		int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
		CHECK(fd >= 0, "open /dev/ptmx: %s", strerror(errno));
		close(fd);
	}
	CHECK(is_fs("/dev/mqueue", MQUEUE_MAGIC), "/dev/mqueue");
	CHECK(is_fs("/dev/shm", TMPFS_MAGIC), "/dev/shm");

	/* tmpfs options */
	CHECK(statvfs("/tmp", &sv) == 0, "statvfs /tmp");
	CHECK((sv.f_flag & (ST_NOSUID | ST_NODEV)) == (ST_NOSUID | ST_NODEV), "/tmp flags");
	CHECK(sv.f_blocks * sv.f_frsize == 8u << 20, "/tmp size %llu",
	      (unsigned long long)(sv.f_blocks * sv.f_frsize));
	CHECK(stat("/tmp", &st) == 0 && (st.st_mode & 07777) == 01777, "/tmp mode %o",
	      st.st_mode & 07777);

	/* sysfs and cgroups, read-only */
	CHECK(is_fs("/sys", SYSFS_MAGIC), "/sys is not sysfs");
	CHECK(statvfs("/sys", &sv) == 0 && (sv.f_flag & ST_RDONLY), "/sys not read-only");
	CHECK(statvfs("/sys/fs/cgroup", &sv) == 0 && (sv.f_flag & ST_RDONLY),
	      "/sys/fs/cgroup not read-only");
	{
		struct statfs sfs;
		CHECK(statfs("/sys/fs/cgroup", &sfs) == 0, "statfs /sys/fs/cgroup");
		if (sfs.f_type == TMPFS_MAGIC) {
			/* cgroup v1: every hierarchy, read-only */
			CHECK(is_fs("/sys/fs/cgroup/memory", CGROUP_SUPER_MAGIC),
			      "/sys/fs/cgroup/memory");
			CHECK(access("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) == 0,
			      "memory.limit_in_bytes");
			CHECK(write_fails("/sys/fs/cgroup/memory/x", EROFS), "cgroup writable");
		} else {
			CHECK(sfs.f_type == CGROUP2_SUPER_MAGIC, "cgroup2");
		}
	}

	CHECK(is_fs("/mnt/cg2", CGROUP2_SUPER_MAGIC), "/mnt/cg2 is not cgroup2");
	CHECK(access("/mnt/cg2/cgroup.procs", F_OK) == 0, "/mnt/cg2/cgroup.procs");

	/* ro bind */
	CHECK(read_is("/mnt/ro/file", "host file\n"), "/mnt/ro/file");
	CHECK(write_fails("/mnt/ro/file", EROFS), "/mnt/ro/file writable: %s", strerror(errno));
	CHECK(write_fails("/mnt/ro/new", EROFS), "/mnt/ro writable");
	CHECK(statvfs("/mnt/ro", &sv) == 0 && (sv.f_flag & ST_NOSUID), "/mnt/ro not nosuid");
	CHECK(write_fails("/mnt/rro/new", EROFS), "/mnt/rro writable");
	CHECK(read_is("/etc/single", "single\n"), "file bind");
	CHECK(mounted_shared("/mnt/shared"), "/mnt/shared not shared");

	/* tmpcopyup */
	CHECK(is_fs("/copydir", TMPFS_MAGIC), "/copydir not a tmpfs");
	CHECK(read_is("/copydir/a", "hello\n"), "/copydir/a");
	CHECK(read_is("/copydir/sub/b", "bee\n"), "/copydir/sub/b");
	n = readlink("/copydir/link", buf, sizeof(buf) - 1);
	CHECK(n == 1 && buf[0] == 'a', "/copydir/link");

	/* masked */
	CHECK(read_is("/masked_file", ""), "/masked_file not empty");
	d = opendir("/masked_dir");
	CHECK(d != NULL, "opendir /masked_dir");
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			entries++;
	closedir(d);
	CHECK(entries == 0, "/masked_dir not empty");
	CHECK(write_fails("/masked_dir/new", EROFS), "/masked_dir writable");

	/* readonly paths */
	CHECK(read_is("/ro_dir/f", "x\n"), "/ro_dir/f");
	CHECK(write_fails("/ro_dir/f", EROFS), "/ro_dir writable");
	CHECK(write_fails("/proc/sys/kernel/hostname", EROFS), "/proc/sys writable");
	CHECK(statvfs("/proc/sys", &sv) == 0 &&
	          (sv.f_flag & (ST_RDONLY | ST_NOSUID | ST_NOEXEC | ST_NODEV)) ==
	              (ST_RDONLY | ST_NOSUID | ST_NOEXEC | ST_NODEV),
	      "/proc/sys lost nosuid/nodev/noexec");

	/* sysctl (written before /proc/sys went read-only) */
	CHECK(uname(&un) == 0 && strcmp(un.nodename, "berth-test") == 0, "hostname %s",
	      un.nodename);

	/* escapes: everything landed in the rootfs's /etc */
	CHECK(is_fs("/etc/x", TMPFS_MAGIC), "/evil1/x, /evil2/x not in the rootfs /etc");
	if (!sc->userns)
		CHECK(stat("/etc/null2", &st) == 0 && S_ISCHR(st.st_mode) &&
		          (st.st_mode & 0777) == 0600,
		      "/evil1/null2");
	if (!sc->userns)
		CHECK(stat("/mnt/idmap/file", &st) == 0 && st.st_uid == 1000 && st.st_gid == 1001,
		      "/mnt/idmap/file owned by %d:%d", (int)st.st_uid, (int)st.st_gid);
	CHECK(read_is("/etc/bound/file", "host file\n"), "/evil1/bound");

	/* root read-only or not */
	if (sc->root_readonly) {
		CHECK(write_fails("/newfile", EROFS), "/ writable");
		CHECK(!write_fails("/tmp/newfile", EROFS), "/tmp read-only");
	} else {
		CHECK(!write_fails("/newfile", EROFS), "/ read-only");
	}
	child_done();
}

static void check_host_untouched(bool userns)
{
	struct stat st;
	char p[512];

	assert_int_not_equal(lstat("/etc/x", &st), 0);
	assert_int_not_equal(lstat("/etc/null2", &st), 0);
	assert_int_not_equal(lstat("/etc/bound", &st), 0);
	/* the escapes were created inside the rootfs instead */
	snprintf(p, sizeof(p), "%s/etc/x", rootfs);
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	if (!userns) {
		snprintf(p, sizeof(p), "%s/etc/null2", rootfs);
		assert_int_equal(lstat(p, &st), 0);
		assert_true(S_ISCHR(st.st_mode));
	}
	/* tmpcopyup did not change the directory underneath */
	snprintf(p, sizeof(p), "%s/copydir/a", rootfs);
	assert_int_equal(stat(p, &st), 0);
	/* nothing stayed mounted on the host */
	snprintf(p, sizeof(p), "%s/proc/self", rootfs);
	assert_int_not_equal(access(p, F_OK), 0);
}

/* Whether this process may create these namespaces (not in every CI container). */
static bool can_unshare(int flags)
{
	int status;
	pid_t pid = fork();
	if (pid == 0)
		_exit(unshare(flags) == 0 ? 0 : 1);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void require_ns(bool userns, bool cgroupns)
{
	int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
	if (geteuid() != 0)
		skip();
	if (userns)
		flags |= CLONE_NEWUSER;
	if (cgroupns)
		flags |= CLONE_NEWCGROUP;
	if (!can_unshare(flags))
		skip();
}

static void run_main(const struct scenario *sc)
{
	char msg[1024];
	int r;

	require_ns(sc->userns, sc->cgroupns);
	r = run_in_ns(main_scenario, (void *)sc, sc->userns, sc->cgroupns, msg, sizeof(msg));
	if (r != 0 || msg[0] != '\0')
		fail_msg("child (status %d): %s", r, msg);
	check_host_untouched(sc->userns);
}

static void test_pivot(void **state)
{
	struct scenario sc = {0};
	(void)state;
	run_main(&sc);
}

static void test_no_pivot_readonly_root(void **state)
{
	struct scenario sc = {.no_pivot = true, .root_readonly = true};
	(void)state;
	run_main(&sc);
}

static void test_rshared(void **state)
{
	struct scenario sc = {.propagation = MS_SHARED | MS_REC};
	(void)state;
	run_main(&sc);
}

static void test_cgroupns(void **state)
{
	struct scenario sc = {.cgroupns = true};
	(void)state;
	run_main(&sc);
}

static void test_userns(void **state)
{
	struct scenario sc = {.userns = true, .root_readonly = true};
	(void)state;
	run_main(&sc);
}

/* ---- a config.json as `berth-runtime spec` writes it, through config_parse ---------------- */

static const char spec_json[] =
    "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"%s\", \"readonly\": true},"
    " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}},"
    " \"mounts\": ["
    "  {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
    "  {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
    "   \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},"
    "  {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
    "   \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\","
    "   \"gid=5\"]},"
    "  {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
    "   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},"
    "  {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\","
    "   \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},"
    "  {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\","
    "   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},"
    "  {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
    "   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]},"
    "  {\"destination\": \"/mnt/ro\", \"type\": \"none\", \"source\": \"%s\","
    "   \"options\": [\"rbind\", \"ro\", \"nosuid\"]},"
    "  {\"destination\": \"/mnt/rro\", \"source\": \"%s\", \"options\": [\"rbind\", \"rro\"]},"
    "  {\"destination\": \"/copydir\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
    "   \"options\": [\"tmpcopyup\", \"rprivate\"]},"
    "  {\"destination\": \"/evil2/x\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}"
    " ],"
    " \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"uts\"},"
    "   {\"type\": \"ipc\"}],"
    "  \"sysctl\": {\"kernel.domainname\": \"berth.example\"},"
    "  \"devices\": [{\"path\": \"/evil1/null3\", \"type\": \"c\", \"major\": 1, \"minor\": 3}],"
    "  \"maskedPaths\": [\"/proc/acpi\", \"/proc/kcore\", \"/proc/keys\", \"/proc/timer_list\","
    "   \"/proc/scsi\", \"/sys/firmware\", \"/masked_file\"],"
    "  \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\","
    "   \"/proc/sysrq-trigger\"]}"
    "}";

static void spec_scenario(void *arg)
{
	const char *text = arg;
	struct config *c = NULL;
	struct rootfs_opts o = {.rootfs = rootfs};
	berth_error_t err = NULL;
	struct utsname un;
	struct stat st;

	if (config_parse(text, strlen(text), "config.json", &c, &err) < 0)
		fail_child("config_parse: %s", err->msg);
	if (rootfs_setup(c, &o, &err) < 0)
		fail_child("rootfs_setup: %s", err->msg);
	CHECK(is_fs("/proc", PROC_SUPER_MAGIC), "/proc");
	CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode), "/dev/null");
	CHECK(is_fs("/dev/pts", DEVPTS_SUPER_MAGIC), "/dev/pts");
	CHECK(write_fails("/newfile", EROFS), "root not read-only");
	CHECK(write_fails("/mnt/ro/new", EROFS), "/mnt/ro writable");
	CHECK(write_fails("/mnt/rro/new", EROFS), "/mnt/rro writable");
	CHECK(read_is("/copydir/a", "hello\n"), "tmpcopyup");
	CHECK(is_fs("/etc/x", TMPFS_MAGIC), "/evil2/x");
	CHECK(stat("/etc/null3", &st) == 0 && S_ISCHR(st.st_mode), "/evil1/null3");
	CHECK(read_is("/masked_file", ""), "masked");
	CHECK(access("/proc/kcore", F_OK) != 0 || read_is("/proc/kcore", ""), "/proc/kcore");
	CHECK(write_fails("/proc/sys/kernel/domainname", EROFS), "/proc/sys writable");
	CHECK(uname(&un) == 0 && strcmp(un.domainname, "berth.example") == 0, "domainname %s",
	      un.domainname);
	config_free(c);
	child_done();
}

static void test_spec(void **state)
{
	char msg[1024];
	char *text;
	int r;
	(void)state;

	require_ns(false, false);
	text = xasprintf(spec_json, rootfs, hostdir, hostdir);
	r = run_in_ns(spec_scenario, text, false, false, msg, sizeof(msg));
	free(text);
	if (r != 0 || msg[0] != '\0')
		fail_msg("child (status %d): %s", r, msg);
	assert_int_not_equal(access("/etc/x", F_OK), 0);
	assert_int_not_equal(access("/etc/null3", F_OK), 0);
}

/* ---- a bind-mounted /dev is left alone ------------------------------------------------------ */

static void devbind_scenario(void *arg)
{
	struct config c;
	struct config_mount m[1] = {MNT("/dev", "bind", arg, MS_BIND | MS_REC, NULL)};
	struct rootfs_opts o = {.rootfs = rootfs};
	berth_error_t err = NULL;

	m[0].bind = true;
	memset(&c, 0, sizeof(c));
	c.mounts = m;
	c.n_mounts = 1;
	if (rootfs_setup(&c, &o, &err) < 0)
		fail_child("rootfs_setup: %s", err->msg);
	child_done();
}

static void test_dev_bind_untouched(void **state)
{
	char devdir[256], p[300], msg[1024];
	struct stat st;
	int r;
	(void)state;

	require_ns(false, false);
	snprintf(devdir, sizeof(devdir), "%s/devdir", tmpdir);
	assert_int_equal(mkdir(devdir, 0755), 0);
	snprintf(p, sizeof(p), "%s/null", devdir);
	write_text(p, "not a device\n");
	r = run_in_ns(devbind_scenario, devdir, false, false, msg, sizeof(msg));
	if (r != 0 || msg[0] != '\0')
		fail_msg("child (status %d): %s", r, msg);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	snprintf(p, sizeof(p), "%s/fd", devdir);
	assert_int_not_equal(lstat(p, &st), 0);
}

/* ---- failures -------------------------------------------------------------------------------- */

struct fail_case {
	struct config_mount mounts[3];
	size_t n_mounts;
	struct config_device dev;
	bool has_dev;
	const char *want; /* substring of the error */
};

static void fail_scenario(void *arg)
{
	const struct fail_case *fc = arg;
	struct config c;
	struct rootfs_opts o = {.rootfs = rootfs};
	berth_error_t err = NULL;

	memset(&c, 0, sizeof(c));
	c.mounts = (struct config_mount *)fc->mounts;
	c.n_mounts = fc->n_mounts;
	if (fc->has_dev) {
		c.linux_.devices = (struct config_device *)&fc->dev;
		c.linux_.n_devices = 1;
	}
	if (rootfs_prepare(&c, &o, &err) == 0)
		fail_child("rootfs_prepare succeeded");
	if (strstr(err->msg, fc->want) == NULL)
		fail_child("error `%s` does not contain `%s`", err->msg, fc->want);
	fprintf(stderr, "# expected error: %s\n", err->msg);
	berth_error_release(&err);
	child_done();
}

static void run_fail(const struct fail_case *fc)
{
	char msg[1024];
	int r;
	struct stat st;

	require_ns(false, false);
	r = run_in_ns(fail_scenario, (void *)fc, false, false, msg, sizeof(msg));
	if (r != 0 || msg[0] != '\0')
		fail_msg("child (status %d): %s", r, msg);
	assert_int_not_equal(lstat("/etc/x", &st), 0);
	assert_int_not_equal(lstat("/etc/y", &st), 0);
}

/* evil3 -> /proc/self/root/etc once /proc is mounted: a magic link, refused */
static void test_escape_magic_link(void **state)
{
	struct fail_case fc = {
	    .mounts = {MNT("/proc", "proc", "proc", 0, NULL),
	               MNT("/evil3/y", "tmpfs", "tmpfs", 0, NULL)},
	    .n_mounts = 2,
	    .want = "`/evil3/y`",
	};
	(void)state;
	run_fail(&fc);
}

static void test_escape_device_magic_link(void **state)
{
	struct fail_case fc = {
	    .mounts = {MNT("/proc", "proc", "proc", 0, NULL)},
	    .n_mounts = 1,
	    .dev = {.path = (char *)"/evil3/y", .type = 'c', .major = 1, .minor = 3},
	    .has_dev = true,
	    .want = "`/evil3/y`",
	};
	(void)state;
	run_fail(&fc);
}

static void test_error_message(void **state)
{
	struct fail_case fc = {
	    .mounts = {MNT("/bad", "nosuchfs", "nosuchfs", 0, NULL)},
	    .n_mounts = 1,
	    .want = "mount `nosuchfs` on `/bad`: No such device",
	};
	(void)state;
	run_fail(&fc);
}

static void test_proc_dest_refused(void **state)
{
	struct fail_case fc = {
	    .mounts = {MNT("/proc", "proc", "proc", 0, NULL),
	               MNT("/proc/sys/kernel", "tmpfs", "tmpfs", 0, NULL)},
	    .n_mounts = 2,
	    .want = "inside /proc",
	};
	(void)state;
	run_fail(&fc);
}

static void test_bind_missing_source(void **state)
{
	struct fail_case fc = {
	    .mounts = {MNT("/mnt/x", "bind", "/nonexistent/berth", MS_BIND, NULL)},
	    .n_mounts = 1,
	    .want = "mount `/nonexistent/berth` on `/mnt/x`",
	};
	fc.mounts[0].bind = true;
	(void)state;
	run_fail(&fc);
}

static void test_sysctl_bad_key(void **state)
{
	struct config c;
	struct config_kv kv[] = {{(char *)"kernel..hostname", (char *)"x"}};
	struct config_kv kv2[] = {{(char *)"kernel/hostname", (char *)"x"}};
	berth_error_t err = NULL;
	(void)state;

	if (access("/proc/sys", F_OK) != 0)
		skip();
	memset(&c, 0, sizeof(c));
	c.linux_.sysctl = kv;
	c.linux_.n_sysctl = 1;
	assert_int_equal(rootfs_write_sysctl(&c, &err), -1);
	assert_non_null(strstr(err->msg, "bad name"));
	berth_error_release(&err);
	c.linux_.sysctl = kv2;
	assert_int_equal(rootfs_write_sysctl(&c, &err), -1);
	assert_non_null(strstr(err->msg, "bad name"));
	berth_error_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_pivot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_pivot_readonly_root, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rshared, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cgroupns, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_spec, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dev_bind_untouched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_userns, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_escape_magic_link, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_escape_device_magic_link, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_message, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_proc_dest_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bind_missing_source, setup, teardown),
	    cmocka_unit_test(test_sysctl_bad_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
