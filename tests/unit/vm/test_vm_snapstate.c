/* SPDX-License-Identifier: MIT */
/* The records of a snapshot's state file (src/vm/snapstate.c): a round trip, a record of
 * another length than the loader expects, an unknown tag, records that run past the end,
 * a missing record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vm/snapstate.h"

#include <string.h>

static void make(struct vm_snap_writer *w)
{
	uint64_t a = 0x1122334455667788ull;
	uint32_t b[3] = {1, 2, 3};

	vm_snap_put(w, "MACH", 0, &a, sizeof(a));
	vm_snap_put(w, "HART", 1, b, sizeof(b));
	vm_snap_put(w, "META", 0, "{}", 2);
}

static void test_round_trip(void **state)
{
	struct vm_snap_writer w = {0};
	struct vm_snap_reader r;
	berth_error_t err = NULL;
	const uint64_t *a;
	const uint32_t *b;
	size_t got = 0;

	(void)state;
	make(&w);
	assert_int_equal(w.len, 3 * 12 + 8 + 12 + 2);
	assert_int_equal(vm_snap_parse(w.buf, w.len, &r, &err), 0);
	assert_int_equal(r.n, 3);
	a = vm_snap_get(&r, "MACH", 0, sizeof(*a), NULL, &err);
	assert_non_null(a);
	assert_true(*a == 0x1122334455667788ull);
	b = vm_snap_get(&r, "HART", 1, 12, NULL, &err);
	assert_non_null(b);
	assert_int_equal(b[2], 3);
	assert_non_null(vm_snap_get(&r, "META", 0, SIZE_MAX, &got, &err));
	assert_int_equal(got, 2);
	assert_null(err);
	vm_snap_reader_free(&r);
	vm_snap_writer_free(&w);
}

static void test_bad_length(void **state)
{
	struct vm_snap_writer w = {0};
	struct vm_snap_reader r;
	berth_error_t err = NULL;

	(void)state;
	make(&w);
	assert_int_equal(vm_snap_parse(w.buf, w.len, &r, &err), 0);
	assert_null(vm_snap_get(&r, "HART", 1, 16, NULL, &err));
	assert_non_null(err);
	assert_string_equal(err->msg, "record HART 1: expected 16 bytes, got 12");
	berth_error_release(&err);
	assert_null(vm_snap_get(&r, "HART", 0, 12, NULL, &err));
	assert_string_equal(err->msg, "record HART 0 is missing");
	berth_error_release(&err);
	vm_snap_reader_free(&r);
	vm_snap_writer_free(&w);
}

static void test_unknown_tag(void **state)
{
	struct vm_snap_writer w = {0};
	struct vm_snap_reader r;
	berth_error_t err = NULL;

	(void)state;
	make(&w);
	memcpy(w.buf + 12 + 8, "XXXX", 4); /* the second record's tag */
	assert_int_equal(vm_snap_parse(w.buf, w.len, &r, &err), -1);
	assert_string_equal(err->msg, "unknown record tag at byte 20");
	assert_null(r.recs);
	berth_error_release(&err);
	vm_snap_writer_free(&w);
}

static void test_past_the_end(void **state)
{
	struct vm_snap_writer w = {0};
	struct vm_snap_reader r;
	berth_error_t err = NULL;
	uint32_t big = 0xffffffffu;

	(void)state;
	make(&w);
	/* cut inside the last payload, inside the last header, and a huge length */
	assert_int_equal(vm_snap_parse(w.buf, w.len - 1, &r, &err), -1);
	assert_string_equal(err->msg, "record META 0 at byte 44: 2 bytes run past the end");
	berth_error_release(&err);
	assert_int_equal(vm_snap_parse(w.buf, w.len - 6, &r, &err), -1);
	assert_string_equal(err->msg, "a record header at byte 44 runs past the end");
	berth_error_release(&err);
	memcpy(w.buf + 8, &big, 4);
	assert_int_equal(vm_snap_parse(w.buf, w.len, &r, &err), -1);
	assert_string_equal(err->msg, "record MACH 0 at byte 0: 4294967295 bytes run past the end");
	berth_error_release(&err);
	/* nothing at all is an empty file of records */
	assert_int_equal(vm_snap_parse(w.buf, 0, &r, &err), 0);
	assert_int_equal(r.n, 0);
	vm_snap_writer_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_bad_length),
	    cmocka_unit_test(test_unknown_tag),
	    cmocka_unit_test(test_past_the_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
