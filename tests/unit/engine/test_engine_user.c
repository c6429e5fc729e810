/* SPDX-License-Identifier: MIT */
/* Unit tests for the container's user as Docker resolves it (src/engine/user.c): -u NAME,
 * UID, UID:GID, NAME:GROUP against an image's /etc/passwd and /etc/group, supplementary
 * groups, --group-add, and the errors; user_read_file inside a root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "user.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char PASSWD[] = "root:x:0:0:root:/root:/bin/sh\n"
                             "# a comment\n"
                             "\n"
                             "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                             "user:x:1000:1000:user:/home/user:/bin/sh\n"
                             "broken:x:notanumber:5::/:/bin/sh\n"
                             "short:x\n"
                             "dup:x:1000:7::/:/bin/sh\n"
                             "2000:x:3000:3000::/:/bin/sh\n"
                             "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\r\n";
static const char GROUP[] = "root:x:0:\n"
                            "wheel:x:10:root,user\n"
                            "audio:x:29:user\n"
                            "video:x:44:daemon,user\n"
                            "staff:x:50:user\n"
                            "users:x:100:\n"
                            "user:x:1000:\n"
                            "bad:x:zz:user\n"
                            "nogroup:x:65534:\n";

/* resolve spec, expect uid, gid and the groups (n of them, then the gids) */
static void ok(const char *spec, char *const *add, size_t n_add, uint32_t uid, uint32_t gid,
               size_t n, ...)
{
	struct user_ids u;
	berth_error_t err = NULL;
	va_list ap;

	if (user_resolve("-u", spec, PASSWD, GROUP, add, n_add, &u, &err) != 0)
		fail_msg("%s: %s", spec, err->msg);
	assert_int_equal(u.uid, uid);
	assert_int_equal(u.gid, gid);
	assert_int_equal(u.n_groups, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(u.groups[i], va_arg(ap, unsigned));
	va_end(ap);
	user_ids_free(&u);
}

static void bad(const char *spec, char *const *add, size_t n_add, const char *passwd,
                const char *group, const char *want)
{
	struct user_ids u;
	berth_error_t err = NULL;

	assert_int_equal(user_resolve("-u", spec, passwd, group, add, n_add, &u, &err), -1);
	assert_non_null(err);
	if (strstr(err->msg, want) == NULL)
		fail_msg("%s: `%s` lacks `%s`", spec, err->msg, want);
	assert_null(strchr(err->msg, '\n'));
	assert_null(u.groups);
	berth_error_release(&err);
}

static void test_user_name(void **state)
{
	(void)state;
	/* a name: its uid and gid, and every group listing it (not its primary group twice) */
	ok("user", NULL, 0, 1000, 1000, 4, 10u, 29u, 44u, 50u);
	ok("root", NULL, 0, 0, 0, 1, 10u);
	ok("nobody", NULL, 0, 65534, 65534, 0);
	/* a name with an explicit group: that gid, no supplementary groups (as runc/Docker) */
	ok("user:audio", NULL, 0, 1000, 29, 0);
	ok("user:44", NULL, 0, 1000, 44, 0);
	ok("user:4242", NULL, 0, 1000, 4242, 0);
	ok("daemon", NULL, 0, 1, 1, 1, 44u);
}

static void test_user_uid(void **state)
{
	(void)state;
	/* a uid in /etc/passwd: the first entry's gid and groups (Docker: -u 1000 is user) */
	ok("1000", NULL, 0, 1000, 1000, 4, 10u, 29u, 44u, 50u);
	ok("0", NULL, 0, 0, 0, 1, 10u);
	/* a uid not there: gid 0, no groups */
	ok("4321", NULL, 0, 4321, 0, 0);
	ok("4321:77", NULL, 0, 4321, 77, 0);
	ok("4321:staff", NULL, 0, 4321, 50, 0);
	ok("1000:1000", NULL, 0, 1000, 1000, 0);
	/* a name that is digits matches by name first: entry "2000" has uid 3000 */
	ok("2000", NULL, 0, 3000, 3000, 0);
	/* the largest id Docker takes */
	ok("2147483647:2147483647", NULL, 0, 2147483647u, 2147483647u, 0);
}

static void test_user_group_add(void **state)
{
	char *add[] = {"users", "29", "777", "wheel"};
	(void)state;
	/* after the user's own groups, each once */
	ok("user", add, 4, 1000, 1000, 6, 10u, 29u, 44u, 50u, 100u, 777u);
	ok("4321", add, 4, 4321, 0, 4, 100u, 29u, 777u, 10u);
	ok("user:audio", add, 1, 1000, 29, 1, 100u);
}

static void test_user_bad(void **state)
{
	char *nope[] = {"nope"};
	char *empty[] = {""};
	(void)state;
	bad("ghost", NULL, 0, PASSWD, GROUP,
	    "bad -u `ghost`: no user `ghost` in the image's /etc/passwd");
	bad("ghost", NULL, 0, NULL, NULL, "no user `ghost` in the image's /etc/passwd");
	bad("user:ghosts", NULL, 0, PASSWD, GROUP, "no group `ghosts` in the image's /etc/group");
	bad("1000:ghosts", NULL, 0, PASSWD, NULL, "no group `ghosts` in the image's /etc/group");
	bad("broken", NULL, 0, PASSWD, GROUP, "no user `broken`");
	bad("short", NULL, 0, PASSWD, GROUP, "no user `short`");
	bad("bad", NULL, 0, PASSWD, GROUP, "no user `bad`");
	bad("user:bad", NULL, 0, PASSWD, GROUP, "no group `bad`");
	bad("", NULL, 0, PASSWD, GROUP, "expected NAME, UID, UID:GID or NAME:GROUP");
	bad("a:b:c", NULL, 0, PASSWD, GROUP, "expected NAME, UID, UID:GID or NAME:GROUP");
	bad("user:", NULL, 0, PASSWD, GROUP, "an empty group");
	bad("2147483648", NULL, 0, PASSWD, GROUP, "user id `2147483648` out of range");
	bad("99999999999999999999", NULL, 0, PASSWD, GROUP, "out of range");
	bad("0:2147483648", NULL, 0, PASSWD, GROUP, "group id `2147483648` out of range");
	bad("user", nope, 1, PASSWD, GROUP, "bad --group-add `nope`: no group `nope`");
	bad("user", empty, 1, PASSWD, GROUP, "bad --group-add ``: an empty group");
}

static void test_user_no_files(void **state)
{
	struct user_ids u;
	berth_error_t err = NULL;
	char *add[] = {"5"};
	(void)state;
	/* no /etc/passwd nor /etc/group: numbers still work */
	assert_int_equal(user_resolve("image User", "7:8", NULL, NULL, add, 1, &u, &err), 0);
	assert_int_equal(u.uid, 7);
	assert_int_equal(u.gid, 8);
	assert_int_equal(u.n_groups, 1);
	assert_int_equal(u.groups[0], 5);
	user_ids_free(&u);
	assert_int_equal(user_resolve("image User", "app", NULL, NULL, NULL, 0, &u, &err), -1);
	assert_non_null(strstr(err->msg, "bad image User `app`: no user `app`"));
	berth_error_release(&err);
}

/* A root whose /etc/passwd is an absolute symlink to a file outside it, /etc/group a FIFO:
 * the symlink resolves inside the root (not found there), the FIFO is refused without
 * blocking. */
static void test_user_read_file(void **state)
{
	char dir[] = "/tmp/berth-user-XXXXXX";
	char outside[] = "/tmp/berth-user-out-XXXXXX";
	char p[256];
	char *text = NULL;
	berth_error_t err = NULL;
	int rootfd, fd;
	(void)state;

	assert_non_null(mkdtemp(dir));
	fd = mkstemp(outside);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "evil:x:0:0::/:/bin/sh\n", 22), 22);
	close(fd);
	snprintf(p, sizeof(p), "%s/etc", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/etc/passwd", dir);
	assert_int_equal(symlink(outside, p), 0);
	snprintf(p, sizeof(p), "%s/etc/group", dir);
	assert_int_equal(mkfifo(p, 0644), 0);
	rootfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);

	/* the link's target is looked for inside the root: not there, so no file */
	assert_int_equal(user_read_file(rootfd, "/etc/passwd", &text, &err), 0);
	assert_null(text);
	assert_null(err);
	assert_int_equal(user_read_file(rootfd, "/etc/group", &text, &err), -1);
	assert_non_null(strstr(err->msg, "/etc/group: not a regular file"));
	berth_error_release(&err);
	/* the same target made inside the root: read from there */
	{
		char in[300];
		snprintf(in, sizeof(in), "%s%s", dir, "/tmp");
		assert_int_equal(mkdir(in, 0755), 0);
		snprintf(in, sizeof(in), "%s%s", dir, outside);
		fd = open(in, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "app:x:5:6::/:/bin/sh\n", 21), 21);
		close(fd);
		assert_int_equal(user_read_file(rootfd, "/etc/passwd", &text, &err), 0);
		assert_string_equal(text, "app:x:5:6::/:/bin/sh\n");
		free(text);
		unlink(in);
		snprintf(in, sizeof(in), "%s%s", dir, "/tmp");
		rmdir(in);
	}
	close(rootfd);
	snprintf(p, sizeof(p), "%s/etc/passwd", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/etc/group", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/etc", dir);
	rmdir(p);
	rmdir(dir);
	unlink(outside);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_user_name),      cmocka_unit_test(test_user_uid),
	    cmocka_unit_test(test_user_group_add), cmocka_unit_test(test_user_bad),
	    cmocka_unit_test(test_user_no_files),  cmocka_unit_test(test_user_read_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
