/* SPDX-License-Identifier: MIT */
/* RV64GC decoding helpers: expansion of compressed instructions into their 32-bit forms,
 * computed when a block is decoded (the interpreter's block cache and the translator keep
 * the result). (The disassembler, which only the tests use, is disasm.c.) */
#include "riscv.h"

static uint32_t rv_enc_i(uint32_t op, unsigned rd, unsigned f3, unsigned rs1, int32_t imm)
{
	return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}

static uint32_t rv_enc_s(uint32_t op, unsigned f3, unsigned rs1, unsigned rs2, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return rv_bits(u, 11, 5) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rv_bits(u, 4, 0) << 7 |
	       op;
}

static uint32_t rv_enc_b(unsigned f3, unsigned rs1, unsigned rs2, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return rv_bits(u, 12, 12) << 31 | rv_bits(u, 10, 5) << 25 | rs2 << 20 | rs1 << 15 |
	       f3 << 12 | rv_bits(u, 4, 1) << 8 | rv_bits(u, 11, 11) << 7 | 0x63;
}

static uint32_t rv_enc_j(unsigned rd, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return rv_bits(u, 20, 20) << 31 | rv_bits(u, 10, 1) << 21 | rv_bits(u, 11, 11) << 20 |
	       rv_bits(u, 19, 12) << 12 | rd << 7 | 0x6f;
}

static uint32_t rv_enc_r(uint32_t op, unsigned rd, unsigned f3, unsigned rs1, unsigned rs2,
                         unsigned f7)
{
	return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}

uint32_t rv_expand_compressed(uint16_t c)
{
	unsigned op = c & 3, f3 = rv_bits(c, 15, 13);
	unsigned rd = rv_bits(c, 11, 7), rs2 = rv_bits(c, 6, 2);
	unsigned rdp = rv_bits(c, 4, 2) + 8, rs1p = rv_bits(c, 9, 7) + 8;
	int32_t imm6 = rv_sext(rv_bits(c, 12, 12) << 5 | rv_bits(c, 6, 2), 6);
	uint32_t u;

	if (op == 0) {
		switch (f3) {
		case 0: /* c.addi4spn */
			u = rv_bits(c, 12, 11) << 4 | rv_bits(c, 10, 7) << 6 |
			    rv_bits(c, 6, 6) << 2 | rv_bits(c, 5, 5) << 3;
			if (u == 0)
				return 0;
			return rv_enc_i(0x13, rdp, 0, 2, (int32_t)u);
		case 1: /* c.fld */
		case 3: /* c.ld */
			u = rv_bits(c, 12, 10) << 3 | rv_bits(c, 6, 5) << 6;
			return rv_enc_i(f3 == 1 ? 0x07 : 0x03, rdp, 3, rs1p, (int32_t)u);
		case 2: /* c.lw */
			u = rv_bits(c, 12, 10) << 3 | rv_bits(c, 6, 6) << 2 | rv_bits(c, 5, 5) << 6;
			return rv_enc_i(0x03, rdp, 2, rs1p, (int32_t)u);
		case 5: /* c.fsd */
		case 7: /* c.sd */
			u = rv_bits(c, 12, 10) << 3 | rv_bits(c, 6, 5) << 6;
			return rv_enc_s(f3 == 5 ? 0x27 : 0x23, 3, rs1p, rdp, (int32_t)u);
		case 6: /* c.sw */
			u = rv_bits(c, 12, 10) << 3 | rv_bits(c, 6, 6) << 2 | rv_bits(c, 5, 5) << 6;
			return rv_enc_s(0x23, 2, rs1p, rdp, (int32_t)u);
		default:
			return 0;
		}
	}
	if (op == 1) {
		switch (f3) {
		case 0: /* c.addi (c.nop) */
			return rv_enc_i(0x13, rd, 0, rd, imm6);
		case 1: /* c.addiw */
			if (rd == 0)
				return 0;
			return rv_enc_i(0x1b, rd, 0, rd, imm6);
		case 2: /* c.li */
			return rv_enc_i(0x13, rd, 0, 0, imm6);
		case 3:
			if (rd == 2) { /* c.addi16sp */
				u = rv_bits(c, 12, 12) << 9 | rv_bits(c, 6, 6) << 4 |
				    rv_bits(c, 5, 5) << 6 | rv_bits(c, 4, 3) << 7 |
				    rv_bits(c, 2, 2) << 5;
				if (u == 0)
					return 0;
				return rv_enc_i(0x13, 2, 0, 2, rv_sext(u, 10));
			}
			/* c.lui */
			if (imm6 == 0)
				return 0;
			return ((uint32_t)imm6 << 12) | rd << 7 | 0x37;
		case 4: {
			unsigned f2 = rv_bits(c, 11, 10);
			unsigned shamt = rv_bits(c, 12, 12) << 5 | rv_bits(c, 6, 2);
			if (f2 == 0)
				return rv_enc_i(0x13, rs1p, 5, rs1p, (int32_t)shamt);
			if (f2 == 1)
				return rv_enc_i(0x13, rs1p, 5, rs1p, (int32_t)(shamt | 0x400));
			if (f2 == 2)
				return rv_enc_i(0x13, rs1p, 7, rs1p, imm6);
			static const unsigned f3s[4] = {0, 4, 6, 7};
			unsigned sel = rv_bits(c, 6, 5);
			if (!rv_bits(c, 12, 12))
				return rv_enc_r(0x33, rs1p, f3s[sel], rs1p, rdp,
				                sel == 0 ? 0x20 : 0);
			if (sel == 0)
				return rv_enc_r(0x3b, rs1p, 0, rs1p, rdp, 0x20);
			if (sel == 1)
				return rv_enc_r(0x3b, rs1p, 0, rs1p, rdp, 0);
			return 0;
		}
		case 5: /* c.j */
			u = rv_bits(c, 12, 12) << 11 | rv_bits(c, 11, 11) << 4 |
			    rv_bits(c, 10, 9) << 8 | rv_bits(c, 8, 8) << 10 |
			    rv_bits(c, 7, 7) << 6 | rv_bits(c, 6, 6) << 7 | rv_bits(c, 5, 3) << 1 |
			    rv_bits(c, 2, 2) << 5;
			return rv_enc_j(0, rv_sext(u, 12));
		default: /* c.beqz, c.bnez */
			u = rv_bits(c, 12, 12) << 8 | rv_bits(c, 11, 10) << 3 |
			    rv_bits(c, 6, 5) << 6 | rv_bits(c, 4, 3) << 1 | rv_bits(c, 2, 2) << 5;
			return rv_enc_b(f3 == 6 ? 0 : 1, rs1p, 0, rv_sext(u, 9));
		}
	}
	if (op == 2) {
		switch (f3) {
		case 0: /* c.slli */
			return rv_enc_i(0x13, rd, 1, rd, (int32_t)(rv_bits(c, 12, 12) << 5 | rs2));
		case 1: /* c.fldsp */
		case 3: /* c.ldsp */
			if (f3 == 3 && rd == 0)
				return 0;
			u = rv_bits(c, 12, 12) << 5 | rv_bits(c, 6, 5) << 3 | rv_bits(c, 4, 2) << 6;
			return rv_enc_i(f3 == 1 ? 0x07 : 0x03, rd, 3, 2, (int32_t)u);
		case 2: /* c.lwsp */
			if (rd == 0)
				return 0;
			u = rv_bits(c, 12, 12) << 5 | rv_bits(c, 6, 4) << 2 | rv_bits(c, 3, 2) << 6;
			return rv_enc_i(0x03, rd, 2, 2, (int32_t)u);
		case 4:
			if (!rv_bits(c, 12, 12)) {
				if (rs2 == 0) { /* c.jr */
					if (rd == 0)
						return 0;
					return rv_enc_i(0x67, 0, 0, rd, 0);
				}
				return rv_enc_r(0x33, rd, 0, 0, rs2, 0); /* c.mv */
			}
			if (rs2 == 0) {
				if (rd == 0)
					return 0x00100073;          /* c.ebreak */
				return rv_enc_i(0x67, 1, 0, rd, 0); /* c.jalr */
			}
			return rv_enc_r(0x33, rd, 0, rd, rs2, 0); /* c.add */
		case 5:                                           /* c.fsdsp */
		case 7:                                           /* c.sdsp */
			u = rv_bits(c, 12, 10) << 3 | rv_bits(c, 9, 7) << 6;
			return rv_enc_s(f3 == 5 ? 0x27 : 0x23, 3, 2, rs2, (int32_t)u);
		case 6: /* c.swsp */
			u = rv_bits(c, 12, 9) << 2 | rv_bits(c, 8, 7) << 6;
			return rv_enc_s(0x23, 2, 2, rs2, (int32_t)u);
		}
	}
	return 0;
}
