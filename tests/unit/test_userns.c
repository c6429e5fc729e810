/* SPDX-License-Identifier: MIT */
/* Unit tests for src/container/userns.c: /etc/subuid parsing, and the checks of a rootless
 * container's id mappings (overlaps, ids the caller may map). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "userns.h"
#include "util.h"

#include <string.h>

static void test_parse_subid(void **state)
{
	const char *text = "alice:100000:65536\n"
	                   "bob:165536:65536\n"
	                   "1001:300000:10\n"
	                   "alice:500000:5\n"
	                   "alice:bad:5\n"
	                   "alice:600000:0\n"
	                   "alice:4294967295:2\n"
	                   "alic:700000:1\n"
	                   "alice:800000\n"
	                   "alice:900000:1";
	struct userns_range r[8];
	size_t n;
	(void)state;

	n = userns_parse_subid(text, "alice", 1001, r, 8);
	assert_int_equal(n, 4);
	assert_int_equal(r[0].start, 100000);
	assert_int_equal(r[0].count, 65536);
	assert_int_equal(r[1].start, 300000); /* by uid */
	assert_int_equal(r[2].start, 500000);
	assert_int_equal(r[3].start, 900000); /* the last line without a newline */
	/* bounded by max */
	assert_int_equal(userns_parse_subid(text, "alice", 1001, r, 2), 2);
	/* nobody */
	assert_int_equal(userns_parse_subid(text, "carol", 7, r, 8), 0);
	assert_int_equal(userns_parse_subid("", "alice", 1, r, 8), 0);
	/* no name known: by uid only */
	assert_int_equal(userns_parse_subid(text, NULL, 1001, r, 8), 1);
}

static void expect_msg(berth_error_t *err, const char *want)
{
	assert_non_null(*err);
	if (strstr((*err)->msg, want) == NULL)
		fail_msg("`%s` does not contain `%s`", (*err)->msg, want);
	berth_error_release(err);
}

static void test_check_overlap(void **state)
{
	struct config_id_mapping ok[] = {{0, 1000, 1}, {1, 100000, 65536}};
	struct config_id_mapping ctr[] = {{0, 1000, 1}, {0, 100000, 65536}};
	struct config_id_mapping host[] = {{0, 100000, 10}, {10, 100005, 10}};
	struct config_id_mapping wrap[] = {{4294967290u, 0, 10}};
	berth_error_t err = NULL;
	(void)state;

	assert_int_equal(userns_check_overlap("m", ok, 2, &err), 0);
	assert_int_equal(userns_check_overlap("m", ctr, 2, &err), -1);
	expect_msg(&err, "m[1]: container ids 0-65535 overlap those of m[0]");
	assert_int_equal(userns_check_overlap("m", host, 2, &err), -1);
	expect_msg(&err, "m[1]: host ids 100005-100014 overlap those of m[0]");
	assert_int_equal(userns_check_overlap("m", wrap, 1, &err), -1);
	expect_msg(&err, "m[0]: ids 4294967290+10");
}

static void test_check_allowed(void **state)
{
	struct userns_range r[] = {{100000, 65536}, {300000, 10}};
	struct config_id_mapping own[] = {{0, 1000, 1}};
	struct config_id_mapping in[] = {{0, 1000, 1}, {1, 100000, 65536}, {70000, 300005, 5}};
	struct config_id_mapping past[] = {{1, 100000, 65537}};
	struct config_id_mapping own2[] = {{0, 1000, 2}};
	berth_error_t err = NULL;
	(void)state;

	assert_int_equal(userns_check_allowed("m", own, 1, 1000, NULL, 0, "/etc/subuid", &err), 0);
	assert_int_equal(userns_check_allowed("m", in, 3, 1000, r, 2, "/etc/subuid", &err), 0);
	assert_int_equal(userns_check_allowed("m", past, 1, 1000, r, 2, "/etc/subuid", &err), -1);
	expect_msg(&err, "m[0]: host ids 100000-165536 are not within your own id 1000 or your "
	                 "ranges in /etc/subuid (first: 100000-165535)");
	/* the own id is allowed only alone */
	assert_int_equal(userns_check_allowed("m", own2, 1, 1000, r, 2, "/etc/subuid", &err), -1);
	expect_msg(&err, "m[0]: host ids 1000-1001");
	assert_int_equal(userns_check_allowed("m", in, 3, 1000, NULL, 0, "/etc/subuid", &err), -1);
	expect_msg(&err, "m[1]: host ids 100000-165535 are not yours to map: /etc/subuid has no "
	                 "range for you (only your own id 1000 can be mapped)");
	assert_true(userns_only_own(own, 1, 1000));
	assert_false(userns_only_own(own, 1, 1001));
	assert_false(userns_only_own(in, 3, 1000));
	assert_false(userns_only_own(own2, 1, 1000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_subid),
	    cmocka_unit_test(test_check_overlap),
	    cmocka_unit_test(test_check_allowed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
