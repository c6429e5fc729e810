/* SPDX-License-Identifier: MIT */
/* Unit tests for src/common: errors, signals, paths resolved inside a root, mountinfo,
 * the sealed re-exec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "mountinfo.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <string.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_error_message(void **state)
{
	(void)state;
	berth_error_t err = NULL;
	assert_int_equal(berth_error(&err, ENOENT, "open `%s`", "/x"), -1);
	assert_string_equal(err->msg, "open `/x`: No such file or directory");
	assert_int_equal(err->status, ENOENT);
	berth_error_prefix(&err, "create `%s`", "c1");
	assert_string_equal(err->msg, "create `c1`: open `/x`: No such file or directory");
	berth_error_release(&err);
	assert_null(err);
	berth_error(&err, 0, "plain");
	assert_string_equal(err->msg, "plain");
	berth_error_release(&err);
}

/* Every message is one bounded line, whatever it quotes. */
static void test_error_bounded(void **state)
{
	(void)state;
	berth_error_t err = NULL;
	char big[70001];
	char *clean;

	berth_error(&err, 0, "invalid container id `%s`", "a\nb\x1b[31m");
	assert_string_equal(err->msg, "invalid container id `a\\nb\\x1b[31m`");
	berth_error_prefix(&err, "line\tone `%s`", "x\ry");
	assert_string_equal(err->msg, "line\\tone `x\\ry`: invalid container id `a\\nb\\x1b[31m`");
	berth_error_release(&err);

	memset(big, 'h', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[sizeof(big) - 2] = 'Z';
	berth_error(&err, 0, "hostname: sethostname `%s`: too long", big);
	assert_true(strlen(err->msg) < 120);
	assert_non_null(strstr(err->msg, "`hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh\xe2\x80\xa6"));
	assert_non_null(strstr(err->msg, "hhhZ`: too long"));
	/* idempotent: a message sent over from a child is not cut twice */
	clean = berth_error_sanitize(err->msg);
	assert_string_equal(clean, err->msg);
	free(clean);
	berth_error_release(&err);

	/* an unquoted flood is cut as a whole */
	berth_error(&err, 0, "%s", big);
	assert_true(strlen(err->msg) <= 2048 + 3);
	assert_null(strchr(err->msg, '\n'));
	berth_error_release(&err);

	/* a multi-byte character is never split */
	berth_error(&err, 0, "`x%s`",
	            "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
	            "\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	            "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
	            "\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	assert_string_equal(
	    err->msg,
	    "`x\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
	    "\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xe2\x80\xa6"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9`");
	berth_error_release(&err);
}

/* a name with a newline or an escape sequence (a tar entry, a config value) still gives one
 * line */
static void test_error_one_line(void **state)
{
	(void)state;
	berth_error_t err = NULL;
	berth_error(&err, ENOENT, "open `%s`", "a\nb\r\x1b[2Jc\x7f");
	assert_string_equal(err->msg, "open `a\\nb\\r\\x1b[2Jc\\x7f`: No such file or directory");
	berth_error_prefix(&err, "entry `%s`", "x\ty");
	assert_string_equal(
	    err->msg, "entry `x\\ty`: open `a\\nb\\r\\x1b[2Jc\\x7f`: No such file or directory");
	berth_error_release(&err);
}

static void test_parse_signal(void **state)
{
	(void)state;
	assert_int_equal(util_parse_signal("KILL"), SIGKILL);
	assert_int_equal(util_parse_signal("SIGTERM"), SIGTERM);
	assert_int_equal(util_parse_signal("sigusr1"), SIGUSR1);
	assert_int_equal(util_parse_signal("9"), 9);
	assert_int_equal(util_parse_signal("RTMIN+2"), SIGRTMIN + 2);
	assert_int_equal(util_parse_signal("0"), -1);
	assert_int_equal(util_parse_signal("65"), -1);
	assert_int_equal(util_parse_signal("NOPE"), -1);
	assert_int_equal(util_parse_signal(""), -1);
	assert_int_equal(util_parse_signal("9x"), -1);
}

/* A root with links that try to escape: every resolution must stay inside. */
static void test_in_root(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/berth-test-XXXXXX";
	char *dir = mkdtemp(tmpl);
	berth_error_t err = NULL;
	char path[4096];
	int root, fd;
	struct stat st;

	assert_non_null(dir);
	root = open(dir, O_PATH | O_DIRECTORY);
	assert_true(root >= 0);
	assert_int_equal(symlinkat("/etc", root, "etc-abs"), 0);
	assert_int_equal(symlinkat("../../../../etc", root, "etc-rel"), 0);
	assert_int_equal(symlinkat("/proc/self/root/etc", root, "etc-proc"), 0);

	/* creating through an absolute link lands inside the root */
	fd = util_create_in_root(root, "etc-abs/berth-escape", false, 0644, &err);
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/etc/berth-escape", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_not_equal(stat("/etc/berth-escape", &st), 0);

	fd = util_create_in_root(root, "etc-rel/x/y", true, 0755, &err);
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/etc/x/y", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));

	/* a magic link is refused rather than followed */
	fd = util_open_in_root(root, "etc-proc/passwd", O_RDONLY, 0, &err);
	assert_true(fd < 0);
	assert_non_null(err);
	berth_error_release(&err);

	close(root);
	util_rm_rf(dir, &err);
	assert_null(err);
}

static void test_mountinfo_line(void **state)
{
	(void)state;
	char line[] = "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root "
	              "rw,errors=continue";
	struct mountinfo_entry e;

	assert_true(mountinfo_parse_line(line, &e));
	assert_int_equal(e.id, 36);
	assert_int_equal(e.parent, 35);
	assert_int_equal(e.major, 98);
	assert_int_equal(e.minor, 0);
	assert_string_equal(e.root, "/mnt1");
	assert_string_equal(e.point, "/mnt2");
	assert_string_equal(e.options, "rw,noatime");
	assert_string_equal(e.optional, "master:1");
	assert_string_equal(e.fstype, "ext3");
	assert_string_equal(e.source, "/dev/root");
	assert_string_equal(e.superopts, "rw,errors=continue");
	assert_true(mountinfo_has_optional(&e, "master"));
	assert_false(mountinfo_has_optional(&e, "shared"));
	assert_false(mountinfo_has_optional(&e, "mast"));
}

static void test_mountinfo_optional(void **state)
{
	(void)state;
	char none[] = "25 1 0:22 / /sys rw,nosuid - sysfs sysfs rw";
	char many[] = "30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw shared:9 master:3 unbindable - "
	              "cgroup cgroup rw,cpu,cpuacct";
	char nosuper[] = "40 1 0:50 / /x rw - tmpfs tmpfs";
	struct mountinfo_entry e;

	assert_true(mountinfo_parse_line(none, &e));
	assert_string_equal(e.optional, "");
	assert_string_equal(e.fstype, "sysfs");
	assert_false(mountinfo_has_optional(&e, "shared"));

	assert_true(mountinfo_parse_line(many, &e));
	assert_string_equal(e.optional, "shared:9 master:3 unbindable");
	assert_string_equal(e.point, "/sys/fs/cgroup/cpu,cpuacct");
	assert_string_equal(e.superopts, "rw,cpu,cpuacct");
	assert_true(mountinfo_has_optional(&e, "shared"));
	assert_true(mountinfo_has_optional(&e, "master"));
	assert_true(mountinfo_has_optional(&e, "unbindable"));
	assert_false(mountinfo_has_optional(&e, "propagate_from"));

	assert_true(mountinfo_parse_line(nosuper, &e));
	assert_string_equal(e.source, "tmpfs");
	assert_string_equal(e.superopts, "");
}

static void test_mountinfo_escapes(void **state)
{
	(void)state;
	/* what the kernel prints for a mount point "/a b\tc\nd\\e" of source "my disk" */
	char line[] = "50 1 8:1 /sub\\134dir /a\\040b\\011c\\012d\\134e rw shared:2 - ext4 "
	              "my\\040disk rw";
	char other[] = "51 1 8:1 / /x\\101\\0\\04 rw - ext4 /dev/sda1 rw";
	struct mountinfo_entry e;

	assert_true(mountinfo_parse_line(line, &e));
	assert_string_equal(e.root, "/sub\\dir");
	assert_string_equal(e.point, "/a b\tc\nd\\e");
	assert_string_equal(e.source, "my disk");
	assert_string_equal(e.optional, "shared:2");
	/* only the kernel's four escapes are undone; anything else is kept as it is */
	assert_true(mountinfo_parse_line(other, &e));
	assert_string_equal(e.point, "/x\\101\\0\\04");
}

static void test_mountinfo_malformed(void **state)
{
	(void)state;
	char no_sep[] = "36 35 98:0 / /mnt rw ext3 /dev/root rw";
	char short_[] = "36 35 98:0 / - ext3 /dev/root rw";
	char no_source[] = "36 35 98:0 / /mnt rw - ext3";
	char bad_dev[] = "36 35 98 / /mnt rw - ext3 /dev/root rw";
	char bad_id[] = "x 35 98:0 / /mnt rw - ext3 /dev/root rw";
	struct mountinfo_entry e;

	assert_false(mountinfo_parse_line(no_sep, &e));
	assert_false(mountinfo_parse_line(short_, &e));
	assert_false(mountinfo_parse_line(no_source, &e));
	assert_false(mountinfo_parse_line(bad_dev, &e));
	assert_false(mountinfo_parse_line(bad_id, &e));
}

static void test_mountinfo_load(void **state)
{
	(void)state;
	char path[] = "/tmp/berth-test-mountinfo.XXXXXX";
	static const char text[] =
	    "22 1 0:21 / / rw - tmpfs tmpfs rw\n"
	    "garbage\n"
	    "23 22 0:22 / /sys/fs/cgroup/my\\040mount rw shared:4 - cgroup cgroup rw,memory\n"
	    "24 22 0:23 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw";
	struct mountinfo mi;
	berth_error_t err = NULL;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	assert_int_equal(mountinfo_load(path, &mi, &err), 0);
	unlink(path);
	assert_int_equal(mi.n, 3);
	assert_string_equal(mi.v[0].point, "/");
	assert_string_equal(mi.v[1].point, "/sys/fs/cgroup/my mount");
	assert_string_equal(mi.v[1].superopts, "rw,memory");
	assert_string_equal(mi.v[2].fstype, "cgroup2");
	mountinfo_release(&mi);
	assert_null(mi.v);

	assert_int_equal(mountinfo_load(path, &mi, &err), -1);
	assert_non_null(strstr(err->msg, path));
	berth_error_release(&err);

	/* this process's own: "/" is in it */
	assert_int_equal(mountinfo_load(NULL, &mi, &err), 0);
	assert_true(mi.n > 0);
	{
		bool root = false;
		for (size_t i = 0; i < mi.n; i++)
			root |= strcmp(mi.v[i].point, "/") == 0;
		assert_true(root);
	}
	mountinfo_release(&mi);
}

static char *test_self;

/* The re-exec'd copy: argv[2] is what BERTH_TEST_SELF must say. */
static int test_sealed_probe(const char *want)
{
	const int seals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int have = fd < 0 ? -1 : fcntl(fd, F_GET_SEALS);
	const char *env = getenv("BERTH_TEST_SELF");

	if (have < 0 || (have & seals) != seals)
		return 3;
	if (env == NULL || strcmp(env, want) != 0)
		return 4;
	/* only the segments were copied (this test is built with -g: debug sections follow
	 * them), and the copy's header names no section headers */
	struct stat orig, copy;
	ElfW(Ehdr) eh;
	if (stat(want, &orig) < 0 || fstat(fd, &copy) < 0 || copy.st_size >= orig.st_size)
		return 5;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || eh.e_shoff != 0 ||
	    eh.e_shnum != 0)
		return 6;
	/* a second call sees the seals and returns */
	util_exec_sealed_self("berth-test", "BERTH_TEST_SELF", NULL);
	return 0;
}

/* util_mkdir_p: the whole path in one call when only the last is missing, the walk
 * otherwise, an error under a file; util_rm_rf: files, a fifo, nested directories and a
 * symbolic link (not followed) removed, without a stat for what getdents says is a file */
static void test_mkdir_p_rm_rf(void **state)
{
	(void)state;
	char dir[] = "/tmp/berth-test-rmrf-XXXXXX", outside[] = "/tmp/berth-test-out-XXXXXX";
	char path[PATH_MAX];
	berth_error_t err = NULL;
	struct stat st;
	int fd;

	assert_non_null(mkdtemp(dir));
	fd = mkstemp(outside);
	assert_true(fd >= 0);
	close(fd);

	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(util_mkdir_p(path, 0755, &err), 0);
	assert_int_equal(util_mkdir_p(path, 0755, &err), 0);
	snprintf(path, sizeof(path), "%s/a/b/d", dir);
	assert_int_equal(util_mkdir_p(path, 0755, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	snprintf(path, sizeof(path), "%s/a/file", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	snprintf(path, sizeof(path), "%s/a/file/sub", dir);
	assert_int_equal(util_mkdir_p(path, 0755, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "Not a directory"));
	berth_error_release(&err);

	snprintf(path, sizeof(path), "%s/a/b/c/link", dir);
	assert_int_equal(symlink(outside, path), 0);
	snprintf(path, sizeof(path), "%s/a/b/dirlink", dir);
	assert_int_equal(symlink("/tmp", path), 0);
	snprintf(path, sizeof(path), "%s/a/b/d/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(util_rm_rf(dir, &err), 0);
	assert_null(err);
	assert_int_equal(lstat(dir, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(stat(outside, &st), 0);
	assert_int_equal(stat("/tmp", &st), 0);
	/* gone already: nothing to do */
	assert_int_equal(util_rm_rf(dir, &err), 0);
	unlink(outside);
}

static void test_exec_sealed(void **state)
{
	(void)state;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int status;
	pid_t pid;

	assert_true(n > 0);
	self[n] = '\0';
	unsetenv("BERTH_TEST_SELF");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *argv[] = {test_self, "--sealed-probe", self, NULL};
		util_exec_sealed_self("berth-test", "BERTH_TEST_SELF", argv);
		_exit(2); /* did not re-exec */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The fds kept by util_close_fds_except() (every way into a container closes what it
 * inherited with it, CVE-2024-21626): the kept ones in any order, duplicated, -1 or below
 * `from`; everything else from `from` up is closed. In a child, whose fds are its own. */
static int close_fds_child(void)
{
	static const int opened[] = {10, 11, 12, 13, 14, 15, 16, 20, 200, 500};
	static const int kept[] = {10, 12, 15, 200};
	int keep[] = {200, -1, 15, 12, 15, 5};
	int nul = open("/dev/null", O_RDONLY);

	if (nul < 0)
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(opened); i++)
		if (dup2(nul, opened[i]) < 0)
			return 2;
	if (util_close_fds_except(11, keep, ARRAY_SIZE(keep)) < 0)
		return 3;
	for (size_t i = 0; i < ARRAY_SIZE(opened); i++) {
		bool want = false;
		for (size_t k = 0; k < ARRAY_SIZE(kept); k++)
			want = want || kept[k] == opened[i];
		if ((fcntl(opened[i], F_GETFD) >= 0) != want)
			return 10 + (int)i;
	}
	/* an fd below `from` stays, whatever the list says */
	return nul < 11 && fcntl(nul, F_GETFD) < 0 ? 4 : 0;
}

static void test_close_fds_except(void **state)
{
	(void)state;
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(close_fds_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static unsigned count_entries(DIR *d)
{
	unsigned n = 0;

	while (readdir(d) != NULL)
		n++;
	return n;
}

/* util_dir_stream: every entry from the first, each time, whatever an earlier stream on the
 * same fd read; the fd stays open, and the stream's own fd is close-on-exec */
static void test_dir_stream(void **state)
{
	char dir[] = "/tmp/berth-test-dirstream-XXXXXX";
	int fd;
	DIR *d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < 3; i++) {
		char p[64];
		snprintf(p, sizeof(p), "%s/f%d", dir, i);
		close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	for (int round = 0; round < 2; round++) {
		d = util_dir_stream(fd);
		assert_non_null(d);
		assert_true(fcntl(dirfd(d), F_GETFD) & FD_CLOEXEC);
		assert_int_equal(count_entries(d), 5); /* ".", ".." and three files */
		closedir(d);
	}
	assert_true(fcntl(fd, F_GETFD) >= 0);
	close(fd);
	d = util_dir_stream(fd);
	assert_null(d);
	assert_int_equal(errno, EBADF);
	for (int i = 0; i < 3; i++) {
		char p[64];
		snprintf(p, sizeof(p), "%s/f%d", dir, i);
		unlink(p);
	}
	rmdir(dir);
}

/* util_hex: every nibble's digit, lowercase, and the NUL after 2n digits */
static void test_hex(void **state)
{
	static const unsigned char b[] = {0x00, 0x01, 0x9a, 0xbf, 0xf0, 0xff};
	char out[2 * sizeof(b) + 2];

	(void)state;
	memset(out, 'x', sizeof(out));
	util_hex(b, sizeof(b), out);
	assert_string_equal(out, "00019abff0ff");
	assert_int_equal(out[sizeof(out) - 1], 'x');
	util_hex(b, 0, out);
	assert_string_equal(out, "");
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--sealed-probe") == 0)
		return test_sealed_probe(argv[2]);
	test_self = argv[0];
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_message),
	    cmocka_unit_test(test_error_bounded),
	    cmocka_unit_test(test_error_one_line),
	    cmocka_unit_test(test_parse_signal),
	    cmocka_unit_test(test_in_root),
	    cmocka_unit_test(test_mountinfo_line),
	    cmocka_unit_test(test_mountinfo_optional),
	    cmocka_unit_test(test_mountinfo_escapes),
	    cmocka_unit_test(test_mountinfo_malformed),
	    cmocka_unit_test(test_mountinfo_load),
	    cmocka_unit_test(test_mkdir_p_rm_rf),
	    cmocka_unit_test(test_exec_sealed),
	    cmocka_unit_test(test_close_fds_except),
	    cmocka_unit_test(test_hex),
	    cmocka_unit_test(test_dir_stream),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
