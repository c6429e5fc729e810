/* SPDX-License-Identifier: MIT */
/* Unit tests for binfmt.c's reading of binfmt_misc: which handlers take riscv64 executables
 * (as the kernel matches: magic and mask at an offset), their F flag, whose they are, and
 * binfmt_misc disabled as a whole; on a scratch directory holding entries written as the
 * kernel shows them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "binfmt.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Debian's qemu-riscv64 entry, with the flags given */
#define RISCV_ENTRY(flags)                                                                         \
	"enabled\ninterpreter /usr/libexec/qemu-binfmt/riscv64-binfmt-P\nflags: " flags "\n"       \
	"offset 0\nmagic 7f454c460201010000000000000000000200f300\n"                               \
	"mask ffffffffffffff00fffffffffffffffffeffffff\n"
#define ARM64_ENTRY                                                                                \
	"enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: OCF\noffset 0\n"                \
	"magic 7f454c460201010000000000000000000200b700\n"                                         \
	"mask ffffffffffffff00fffffffffffffffffeffffff\n"

static char dir[64];

static void put(const char *name, const char *text)
{
	berth_error_t err = NULL;
	cleanup_free char *p = xasprintf("%s/%s", dir, name);

	assert_int_equal(util_write_file_atomic(p, text, strlen(text), 0644, &err), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/berth-binfmt-XXXXXX");
	assert_non_null(mkdtemp(dir));
	put("status", "enabled\n");
	put("register", "");
	return 0;
}

static int teardown(void **state)
{
	berth_error_t err = NULL;

	(void)state;
	util_rm_rf(dir, &err);
	berth_error_release(&err);
	return 0;
}

static void test_table(void **state)
{
	(void)state;
	assert_non_null(binfmt_arch_find("riscv64"));
	assert_string_equal(binfmt_arch_find("riscv64")->qemu, "riscv64");
	assert_string_equal(binfmt_arch_find("arm64")->qemu, "aarch64");
	assert_null(binfmt_arch_find("mips64le"));
}

static void test_scan(void **state)
{
	const struct binfmt_arch *rv = binfmt_arch_find("riscv64");
	struct binfmt_state st;

	(void)state;
	/* nothing for riscv64: another architecture's handler, an extension, a disabled one */
	put("qemu-aarch64", ARM64_ENTRY);
	put("python3.11", "enabled\ninterpreter /usr/bin/python3.11\nflags: \nextension .pyc\n");
	put("old-riscv64", "disabled\ninterpreter /x\nflags: F\noffset 0\n"
	                   "magic 7f454c460201010000000000000000000200f300\n");
	binfmt_scan(dir, rv, &st);
	assert_null(st.name);
	assert_false(st.disabled);
	binfmt_state_free(&st);
	/* berth's own, with F */
	put("berth-riscv64", "enabled\ninterpreter /usr/bin/qemu-riscv64-static\nflags: POF\n"
	                     "offset 0\nmagic 7f454c460201010000000000000000000200f300\n"
	                     "mask ffffffffffffff00fffffffffffffffffeffffff\n");
	binfmt_scan(dir, rv, &st);
	assert_string_equal(st.name, "berth-riscv64");
	assert_true(st.fix_binary);
	assert_true(st.ours);
	assert_string_equal(st.interpreter, "/usr/bin/qemu-riscv64-static");
	binfmt_state_free(&st);
	/* Debian's without F is the one reported: the kernel may take it */
	put("qemu-riscv64", RISCV_ENTRY("OP"));
	binfmt_scan(dir, rv, &st);
	assert_string_equal(st.name, "qemu-riscv64");
	assert_false(st.fix_binary);
	assert_false(st.ours);
	assert_string_equal(st.interpreter, "/usr/libexec/qemu-binfmt/riscv64-binfmt-P");
	binfmt_state_free(&st);
	/* with F it is fine too */
	put("qemu-riscv64", RISCV_ENTRY("OPF"));
	binfmt_scan(dir, rv, &st);
	assert_true(st.fix_binary);
	binfmt_state_free(&st);
}

static void test_offset_and_disabled(void **state)
{
	const struct binfmt_arch *rv = binfmt_arch_find("riscv64");
	struct binfmt_state st;

	(void)state;
	/* only e_machine, at offset 18, no mask: it takes riscv64 executables */
	put("machine-only", "enabled\ninterpreter /opt/rv\nflags: \noffset 18\nmagic f300\n");
	binfmt_scan(dir, rv, &st);
	assert_string_equal(st.name, "machine-only");
	assert_false(st.fix_binary);
	binfmt_state_free(&st);
	/* a big-endian machine's magic does not */
	put("machine-only", "enabled\ninterpreter /opt/rv\nflags: F\noffset 18\nmagic 00f3\n");
	binfmt_scan(dir, rv, &st);
	assert_null(st.name);
	binfmt_state_free(&st);
	/* odd or not hex: matches nothing */
	put("machine-only", "enabled\ninterpreter /opt/rv\nflags: F\noffset 18\nmagic f30\n");
	binfmt_scan(dir, rv, &st);
	assert_null(st.name);
	binfmt_state_free(&st);
	put("machine-only", "enabled\ninterpreter /opt/rv\nflags: F\noffset 18\nmagic f3zz\n");
	binfmt_scan(dir, rv, &st);
	assert_null(st.name);
	binfmt_state_free(&st);
	put("status", "disabled\n");
	binfmt_scan(dir, rv, &st);
	assert_true(st.disabled);
	binfmt_state_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_offset_and_disabled, setup, teardown),
	};
	return cmocka_run_group_tests_name("engine binfmt", tests, NULL, NULL);
}
