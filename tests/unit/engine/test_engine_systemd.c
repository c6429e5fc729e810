/* SPDX-License-Identifier: MIT */
/* Unit tests for the systemd version of a system container's image (src/engine/systemd.c):
 * from libsystemd-shared-NNN.so's name, from the "systemd NNN" string of its binary, and
 * whether that version can run on the host's cgroup layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "image_priv.h"

#include <string.h>

static void test_lib_name(void **state)
{
	(void)state;
	assert_int_equal(systemd_version_of_lib("libsystemd-shared-252.so"), 252);
	assert_int_equal(systemd_version_of_lib("libsystemd-shared-255.4-1.fc40.so"), 255);
	assert_int_equal(systemd_version_of_lib("libsystemd-shared-257-1.so"), 257);
	assert_int_equal(systemd_version_of_lib("libsystemd-shared-1000.so"), 1000);
	/* not one */
	assert_int_equal(systemd_version_of_lib("libsystemd-core-252.so"), 0);
	assert_int_equal(systemd_version_of_lib("libsystemd-shared-.so"), 0);
	assert_int_equal(systemd_version_of_lib("libsystemd-shared-2.so"), 0);
	assert_int_equal(systemd_version_of_lib("libsystemd-shared-25200.so"), 0);
	assert_int_equal(systemd_version_of_lib("libsystemd-shared-252"), 0);
	assert_int_equal(systemd_version_of_lib("libsystemd-shared-252x.so"), 0);
	assert_int_equal(systemd_version_of_lib(""), 0);
}

static void test_scan(void **state)
{
	static const char bin[] = "\x7f"
	                          "ELF\0\0junk\0Failed to start systemd 5 times\0"
	                          "xsystemd 300\0systemd 219\0+PAM +AUDIT\0";
	static const char script[] = "#!/bin/sh\necho hi\nexit 3\nsystemd 245\n";
	static const char comment[] = "#!/bin/sh\n# systemd 245\n";
	static const char space[] = "systemd 252 (252.30-1~deb12u2)";
	static const char cut[] = {'s', 'y', 's', 't', 'e', 'm', 'd', ' ', '2', '1', '9'};

	(void)state;
	/* the first of its own: not "xsystemd 300", not one digit */
	assert_int_equal(systemd_version_scan(bin, sizeof(bin) - 1), 219);
	assert_int_equal(systemd_version_scan(script, strlen(script)), 245);
	/* within a line: not its own string */
	assert_int_equal(systemd_version_scan(comment, strlen(comment)), 0);
	assert_int_equal(systemd_version_scan(space, strlen(space)), 252);
	/* ends with the buffer: not ended, not taken */
	assert_int_equal(systemd_version_scan(cut, sizeof(cut)), 0);
	assert_int_equal(systemd_version_scan("systemd 12345\0", 14), 0);
	assert_int_equal(systemd_version_scan("systemd x\0", 10), 0);
	assert_int_equal(systemd_version_scan("", 0), 0);
}

static void test_refusal(void **state)
{
	(void)state;
	/* unknown: tried */
	assert_null(systemd_version_refusal(0, SYSTEMD_CG_V2));
	assert_null(systemd_version_refusal(0, SYSTEMD_CG_V1));
	/* a pure cgroup v2 host needs 230 */
	assert_non_null(strstr(systemd_version_refusal(219, SYSTEMD_CG_V2), "too old"));
	assert_non_null(systemd_version_refusal(229, SYSTEMD_CG_V2));
	assert_null(systemd_version_refusal(230, SYSTEMD_CG_V2));
	assert_null(systemd_version_refusal(258, SYSTEMD_CG_V2));
	/* v1 and hybrid: any before 258 */
	assert_null(systemd_version_refusal(219, SYSTEMD_CG_V1));
	assert_null(systemd_version_refusal(252, SYSTEMD_CG_HYBRID));
	assert_null(systemd_version_refusal(257, SYSTEMD_CG_V1));
	assert_non_null(strstr(systemd_version_refusal(258, SYSTEMD_CG_HYBRID), "too new"));
	assert_non_null(systemd_version_refusal(260, SYSTEMD_CG_V1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lib_name),
	    cmocka_unit_test(test_scan),
	    cmocka_unit_test(test_refusal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
