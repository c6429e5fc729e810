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
	assert_string_equal(err->msg,
	                    "line\\tone `x\\ry`: invalid container id `a\\nb\\x1b[31m`");
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
	            "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	assert_string_equal(err->msg,
	                    "`x\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	                    "\xe2\x80\xa6" "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9`");
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
		cmocka_unit_test(test_error_bounded),
		cmocka_unit_test(test_parse_signal),
		cmocka_unit_test(test_in_root),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
