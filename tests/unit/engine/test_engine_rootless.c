/* SPDX-License-Identifier: MIT */
/* Unit tests for rootless.c's --userns keep-id maps: the user's namespace's map (as
 * /proc/self/uid_map shows it inside) turned into the container's, cut at its extents; and
 * idshift.c's shift of the image's owners, which must agree with that map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "idshift.h"
#include "rootless.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* the map as "CTR NS SIZE;" triples */
static char *keep(const char *map, uint32_t own, uint64_t *total)
{
	json_t *a = rootless_keep_map(map, own, total), *m;
	char *out = calloc(1, 4096);
	size_t i;

	json_array_foreach(a, i, m)
	{
		char one[64];
		snprintf(one, sizeof(one), "%lld %lld %lld;",
		         (long long)json_integer_value(json_object_get(m, "containerID")),
		         (long long)json_integer_value(json_object_get(m, "hostID")),
		         (long long)json_integer_value(json_object_get(m, "size")));
		strcat(out, one);
	}
	json_decref(a);
	return out;
}

static void test_one_range(void **state)
{
	uint64_t total;
	char *s;

	(void)state;
	/* the user 1000 as 0, its range as 1…65536 */
	s = keep("         0       1000          1\n         1     100000      65536\n", 1000,
	         &total);
	assert_string_equal(s, "1000 0 1;0 1 1000;1001 1001 64536;");
	assert_int_equal(total, 65537);
	free(s);
	/* own 0: nothing below it */
	s = keep("0 1000 1\n1 100000 65536\n", 0, &total);
	assert_string_equal(s, "0 0 1;1 1 65536;");
	free(s);
}

static void test_two_ranges(void **state)
{
	uint64_t total;
	char *s;

	(void)state;
	/* two ranges: no piece of the container's map spans both extents */
	s = keep("0 1001 1\n1 100000 65536\n65537 500000 65536\n", 1001, &total);
	assert_string_equal(s, "1001 0 1;0 1 1001;1002 1002 64535;65537 65537 65536;");
	assert_int_equal(total, 131073);
	free(s);
	/* the user's uid past the first range: 1…own cut at its end too */
	s = keep("0 70000 1\n1 100000 10\n11 200000 100000\n", 70000, &total);
	assert_string_equal(s, "70000 0 1;0 1 10;10 11 69990;70001 70001 30010;");
	free(s);
}

/* every container id c the map holds is the namespace id idshift_keep_id(c) (the copy of an
 * image file of owner c then shows as c inside) */
static void test_shift_agrees(void **state)
{
	static const char *const maps[] = {"0 1000 1\n1 100000 65536\n",
	                                   "0 1001 1\n1 100000 65536\n65537 500000 65536\n"};
	static const uint32_t owns[] = {0, 1, 1000, 1001, 65535};

	(void)state;
	for (size_t k = 0; k < 2; k++)
		for (size_t o = 0; o < sizeof(owns) / sizeof(owns[0]); o++) {
			uint64_t total;
			json_t *a = rootless_keep_map(maps[k], owns[o], &total), *m;
			size_t i;
			json_array_foreach(a, i, m)
			{
				json_int_t c =
				    json_integer_value(json_object_get(m, "containerID"));
				json_int_t h = json_integer_value(json_object_get(m, "hostID"));
				json_int_t n = json_integer_value(json_object_get(m, "size"));
				for (json_int_t j = 0; j < n; j++)
					assert_int_equal(
					    idshift_keep_id((uint32_t)(c + j), owns[o]), h + j);
			}
			json_decref(a);
		}
	assert_int_equal(idshift_keep_id(0, 1000), 1);
	assert_int_equal(idshift_keep_id(999, 1000), 1000);
	assert_int_equal(idshift_keep_id(1000, 1000), 0);
	assert_int_equal(idshift_keep_id(1001, 1000), 1001);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_range),
	    cmocka_unit_test(test_two_ranges),
	    cmocka_unit_test(test_shift_agrees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
