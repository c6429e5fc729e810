/* SPDX-License-Identifier: MIT */
/* Decoder tests: every RV64GC encoding from the cross assembler (tests/riscv-asm/decode.S,
 * one 64-byte record each: encoding, then the expected disassembly) is disassembled and
 * compared; compressed instructions are checked through their 32-bit expansion. Also the
 * reserved compressed encodings and the consistency of every 16-bit encoding's expansion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "riscv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *table_path;

static void test_assembler_table(void **state)
{
	static uint8_t buf[1 << 16];
	FILE *f;
	size_t n, bad = 0, count = 0;
	(void)state;

	if (table_path == NULL)
		skip();
	f = fopen(table_path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n >= 64 && n % 64 == 0);
	for (size_t off = 0; off < n; off += 64) {
		uint32_t insn;
		char text[64], got[96];
		memcpy(&insn, buf + off, 4);
		memcpy(text, buf + off + 4, 60);
		text[59] = 0;
		if ((insn & 3) != 3)
			insn &= 0xffff;
		if (!rv_disasm(insn, 0, got, sizeof(got))) {
			print_error("%08x: expected \"%s\", decoder rejects it\n", insn, text);
			bad++;
		} else if (strcmp(got, text) != 0) {
			print_error("%08x: expected \"%s\", got \"%s\"\n", insn, text, got);
			bad++;
		}
		count++;
	}
	printf("# %zu encodings checked\n", count);
	assert_true(count >= 190);
	assert_int_equal(bad, 0);
}

static void test_reserved_compressed(void **state)
{
	static const uint16_t bad[] = {
	    0x0000, /* c.illegal */
	    0x0004, /* c.addi4spn, nzuimm = 0 */
	    0x6501, /* c.lui a0, 0 */
	    0x6101, /* c.addi16sp 0 */
	    0x2001, /* c.addiw x0 */
	    0x4002, /* c.lwsp x0 */
	    0x6002, /* c.ldsp x0 */
	    0x8002, /* c.jr x0 */
	    0x8000, /* quadrant 0, funct3 100 */
	    0x9c41, /* reserved c.subw/c.addw slot */
	    0x9c61, /* reserved */
	};
	char buf[64];
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(rv_expand_compressed(bad[i]), 0);
		assert_false(rv_disasm(bad[i], 0, buf, sizeof(buf)));
	}
}

/* Every 16-bit encoding either expands to something the 32-bit decoder accepts, or is
 * rejected. */
static void test_expansion_consistent(void **state)
{
	char buf[96];
	unsigned valid = 0;
	(void)state;
	for (uint32_t c = 0; c < 65536; c++) {
		if ((c & 3) == 3)
			continue;
		uint32_t e = rv_expand_compressed((uint16_t)c);
		if (e == 0)
			continue;
		valid++;
		if (!rv_disasm(e, 0, buf, sizeof(buf)))
			fail_msg("c %04x expands to %08x which does not decode", c, e);
		assert_int_equal(e & 3, 3);
	}
	assert_true(valid > 40000);
}

/* A few 32-bit encodings that must be rejected. */
static void test_reserved_32(void **state)
{
	static const uint32_t bad[] = {
	    0xffffffff,
	    0x0000707f,                 /* OP-IMM? no: opcode 0x7f reserved */
	    0x00002067,                 /* jalr with funct3 != 0 */
	    0x00003003 | (7u << 12),    /* load funct3 7 */
	    0x02000053 | (3u << 25),    /* fadd with fmt 3 (Q) */
	    0x00000073 | (1u << 7),     /* ecall with rd != 0 */
	    0x0000202f | (0x1fu << 27), /* AMO funct5 0x1f */
	    0x4000101b | (1u << 25),    /* slliw with bit 25 */
	};
	char buf[64];
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (rv_disasm(bad[i], 0, buf, sizeof(buf)))
			fail_msg("%08x accepted as \"%s\"", bad[i], buf);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_assembler_table),
	    cmocka_unit_test(test_reserved_compressed),
	    cmocka_unit_test(test_expansion_consistent),
	    cmocka_unit_test(test_reserved_32),
	};
	if (argc > 1)
		table_path = argv[1];
	return cmocka_run_group_tests_name("riscv_decode", tests, NULL, NULL);
}
