/* SPDX-License-Identifier: MIT */
/* Unit tests for src/common: errors, signals, paths resolved inside a root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

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

/* a name with a newline or an escape sequence (a tar entry, a config value) still gives one
 * line */
static void test_error_one_line(void **state)
{
	(void)state;
	berth_error_t err = NULL;
	berth_error(&err, ENOENT, "open `%s`", "a\nb\r\x1b[2Jc\x7f");
	assert_string_equal(err->msg, "open `a?b??[2Jc?`: No such file or directory");
	berth_error_prefix(&err, "entry `%s`", "x\ty");
	assert_string_equal(err->msg, "entry `x?y`: open `a?b??[2Jc?`: No such file or directory");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_message),
		cmocka_unit_test(test_error_one_line),
		cmocka_unit_test(test_parse_signal),
		cmocka_unit_test(test_in_root),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
