/* SPDX-License-Identifier: MIT */
/* An RV64GC disassembler (compressed instructions are expanded first), in the syntax of GNU
 * objdump. Only the tests link it (test_riscv_decode checks it against tests/riscv-asm/
 * decode.S); the machine does not. */
#include "riscv.h"

#include <stdio.h>

static const char *const xreg[32] = {
    "zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0",
    "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
    "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};
static const char *const freg[32] = {
    "ft0", "ft1", "ft2", "ft3", "ft4",  "ft5",  "ft6", "ft7", "fs0",  "fs1",  "fa0",
    "fa1", "fa2", "fa3", "fa4", "fa5",  "fa6",  "fa7", "fs2", "fs3",  "fs4",  "fs5",
    "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
};
static const char *const rmname[8] = {"rne", "rtz", "rdn", "rup", "rmm", "", "", ""};

static void rv_fence_set(char *out, unsigned s)
{
	int n = 0;
	if (s & 8)
		out[n++] = 'i';
	if (s & 4)
		out[n++] = 'o';
	if (s & 2)
		out[n++] = 'r';
	if (s & 1)
		out[n++] = 'w';
	if (n == 0)
		out[n++] = '0';
	out[n] = 0;
}

static bool rv_dis_fp(uint32_t insn, char *buf, size_t len)
{
	unsigned rd = rv_bits(insn, 11, 7), rs1 = rv_bits(insn, 19, 15),
	         rs2 = rv_bits(insn, 24, 20);
	unsigned f3 = rv_bits(insn, 14, 12), f7 = rv_bits(insn, 31, 25), fmt = f7 & 3;
	const char *sfx;
	char rm[8] = "";

	if (fmt > 1)
		return false;
	sfx = fmt ? "d" : "s";
	if (f3 > 4 && f3 != 7)
		return false;
	if (f3 != 7)
		snprintf(rm, sizeof(rm), ",%s", rmname[f3]);
	switch (f7 >> 2) {
	case 0x00:
	case 0x01:
	case 0x02:
	case 0x03: {
		static const char *const n[4] = {"fadd", "fsub", "fmul", "fdiv"};
		snprintf(buf, len, "%s.%s %s,%s,%s%s", n[f7 >> 2], sfx, freg[rd], freg[rs1],
		         freg[rs2], rm);
		return true;
	}
	case 0x0b:
		if (rs2 != 0)
			return false;
		snprintf(buf, len, "fsqrt.%s %s,%s%s", sfx, freg[rd], freg[rs1], rm);
		return true;
	case 0x04: {
		static const char *const n[3] = {"fsgnj", "fsgnjn", "fsgnjx"};
		if (f3 > 2)
			return false;
		snprintf(buf, len, "%s.%s %s,%s,%s", n[f3], sfx, freg[rd], freg[rs1], freg[rs2]);
		return true;
	}
	case 0x05:
		if (f3 > 1)
			return false;
		snprintf(buf, len, "%s.%s %s,%s,%s", f3 ? "fmax" : "fmin", sfx, freg[rd], freg[rs1],
		         freg[rs2]);
		return true;
	case 0x08: /* fcvt.s.d / fcvt.d.s */
		if (rs2 != (fmt ? 0u : 1u))
			return false;
		snprintf(buf, len, "fcvt.%s.%s %s,%s%s", sfx, fmt ? "s" : "d", freg[rd], freg[rs1],
		         rm);
		return true;
	case 0x14: {
		static const char *const n[3] = {"fle", "flt", "feq"};
		if (f3 > 2)
			return false;
		snprintf(buf, len, "%s.%s %s,%s,%s", n[f3], sfx, xreg[rd], freg[rs1], freg[rs2]);
		return true;
	}
	case 0x18: { /* fcvt.{w,wu,l,lu}.fmt */
		static const char *const n[4] = {"w", "wu", "l", "lu"};
		if (rs2 > 3)
			return false;
		snprintf(buf, len, "fcvt.%s.%s %s,%s%s", n[rs2], sfx, xreg[rd], freg[rs1], rm);
		return true;
	}
	case 0x1a: {
		static const char *const n[4] = {"w", "wu", "l", "lu"};
		if (rs2 > 3)
			return false;
		snprintf(buf, len, "fcvt.%s.%s %s,%s%s", sfx, n[rs2], freg[rd], xreg[rs1], rm);
		return true;
	}
	case 0x1c:
		if (rs2 != 0)
			return false;
		if (f3 == 0)
			snprintf(buf, len, "fmv.x.%s %s,%s", fmt ? "d" : "w", xreg[rd], freg[rs1]);
		else if (f3 == 1)
			snprintf(buf, len, "fclass.%s %s,%s", sfx, xreg[rd], freg[rs1]);
		else
			return false;
		return true;
	case 0x1e:
		if (rs2 != 0 || f3 != 0)
			return false;
		snprintf(buf, len, "fmv.%s.x %s,%s", fmt ? "d" : "w", freg[rd], xreg[rs1]);
		return true;
	}
	return false;
}

static bool rv_dis_amo(uint32_t insn, char *buf, size_t len)
{
	unsigned rd = rv_bits(insn, 11, 7), rs1 = rv_bits(insn, 19, 15),
	         rs2 = rv_bits(insn, 24, 20);
	unsigned f3 = rv_bits(insn, 14, 12), f5 = rv_bits(insn, 31, 27);
	const char *ord[4] = {"", ".rl", ".aq", ".aqrl"};
	const char *o = ord[rv_bits(insn, 26, 25)];
	const char *w = f3 == 2 ? "w" : "d";
	const char *name;

	if (f3 != 2 && f3 != 3)
		return false;
	switch (f5) {
	case 0x02:
		if (rs2)
			return false;
		snprintf(buf, len, "lr.%s%s %s,(%s)", w, o, xreg[rd], xreg[rs1]);
		return true;
	case 0x03:
		snprintf(buf, len, "sc.%s%s %s,%s,(%s)", w, o, xreg[rd], xreg[rs2], xreg[rs1]);
		return true;
	case 0x01:
		name = "amoswap";
		break;
	case 0x00:
		name = "amoadd";
		break;
	case 0x04:
		name = "amoxor";
		break;
	case 0x0c:
		name = "amoand";
		break;
	case 0x08:
		name = "amoor";
		break;
	case 0x10:
		name = "amomin";
		break;
	case 0x14:
		name = "amomax";
		break;
	case 0x18:
		name = "amominu";
		break;
	case 0x1c:
		name = "amomaxu";
		break;
	default:
		return false;
	}
	snprintf(buf, len, "%s.%s%s %s,%s,(%s)", name, w, o, xreg[rd], xreg[rs2], xreg[rs1]);
	return true;
}

static bool rv_dis_system(uint32_t insn, char *buf, size_t len)
{
	unsigned rd = rv_bits(insn, 11, 7), rs1 = rv_bits(insn, 19, 15),
	         rs2 = rv_bits(insn, 24, 20);
	unsigned f3 = rv_bits(insn, 14, 12), csr = insn >> 20;
	static const char *const n[8] = {"", "csrrw",  "csrrs",  "csrrc",
	                                 "", "csrrwi", "csrrsi", "csrrci"};

	if (f3 == 0) {
		if (rd != 0)
			return false;
		if (rv_bits(insn, 31, 25) == 0x09) {
			snprintf(buf, len, "sfence.vma %s,%s", xreg[rs1], xreg[rs2]);
			return true;
		}
		if (rs1 != 0)
			return false;
		switch (insn >> 20) {
		case 0x000:
			snprintf(buf, len, "ecall");
			return true;
		case 0x001:
			snprintf(buf, len, "ebreak");
			return true;
		case 0x102:
			snprintf(buf, len, "sret");
			return true;
		case 0x302:
			snprintf(buf, len, "mret");
			return true;
		case 0x105:
			snprintf(buf, len, "wfi");
			return true;
		}
		return false;
	}
	if (f3 == 4)
		return false;
	if (f3 < 4)
		snprintf(buf, len, "%s %s,0x%x,%s", n[f3], xreg[rd], csr, xreg[rs1]);
	else
		snprintf(buf, len, "%s %s,0x%x,%u", n[f3], xreg[rd], csr, rs1);
	return true;
}

bool rv_disasm(uint32_t insn, uint64_t pc, char *buf, size_t len)
{
	unsigned rd, rs1, rs2, f3, f7;
	int32_t imm;
	(void)pc;

	if ((insn & 3) != 3) {
		insn = rv_expand_compressed((uint16_t)insn);
		if (insn == 0)
			return false;
	}
	rd = rv_bits(insn, 11, 7);
	rs1 = rv_bits(insn, 19, 15);
	rs2 = rv_bits(insn, 24, 20);
	f3 = rv_bits(insn, 14, 12);
	f7 = rv_bits(insn, 31, 25);
	imm = (int32_t)insn >> 20;

	switch (insn & 0x7f) {
	case 0x37:
		snprintf(buf, len, "lui %s,%u", xreg[rd], insn >> 12);
		return true;
	case 0x17:
		snprintf(buf, len, "auipc %s,%u", xreg[rd], insn >> 12);
		return true;
	case 0x6f: {
		uint32_t u = rv_bits(insn, 31, 31) << 20 | rv_bits(insn, 30, 21) << 1 |
		             rv_bits(insn, 20, 20) << 11 | rv_bits(insn, 19, 12) << 12;
		snprintf(buf, len, "jal %s,%d", xreg[rd], rv_sext(u, 21));
		return true;
	}
	case 0x67:
		if (f3)
			return false;
		snprintf(buf, len, "jalr %s,%d(%s)", xreg[rd], imm, xreg[rs1]);
		return true;
	case 0x63: {
		static const char *const n[8] = {"beq", "bne", "",     "",
		                                 "blt", "bge", "bltu", "bgeu"};
		uint32_t u = rv_bits(insn, 31, 31) << 12 | rv_bits(insn, 30, 25) << 5 |
		             rv_bits(insn, 11, 8) << 1 | rv_bits(insn, 7, 7) << 11;
		if (f3 == 2 || f3 == 3)
			return false;
		snprintf(buf, len, "%s %s,%s,%d", n[f3], xreg[rs1], xreg[rs2], rv_sext(u, 13));
		return true;
	}
	case 0x03: {
		static const char *const n[8] = {"lb", "lh", "lw", "ld", "lbu", "lhu", "lwu", ""};
		if (f3 == 7)
			return false;
		snprintf(buf, len, "%s %s,%d(%s)", n[f3], xreg[rd], imm, xreg[rs1]);
		return true;
	}
	case 0x23: {
		static const char *const n[4] = {"sb", "sh", "sw", "sd"};
		int32_t s = rv_sext(rv_bits(insn, 31, 25) << 5 | rd, 12);
		if (f3 > 3)
			return false;
		snprintf(buf, len, "%s %s,%d(%s)", n[f3], xreg[rs2], s, xreg[rs1]);
		return true;
	}
	case 0x07:
	case 0x27: {
		bool st = (insn & 0x7f) == 0x27;
		int32_t s = st ? rv_sext(rv_bits(insn, 31, 25) << 5 | rd, 12) : imm;
		if (f3 != 2 && f3 != 3)
			return false;
		snprintf(buf, len, "%s%s %s,%d(%s)", st ? "fs" : "fl", f3 == 2 ? "w" : "d",
		         freg[st ? rs2 : rd], s, xreg[rs1]);
		return true;
	}
	case 0x13:
	case 0x1b: {
		bool w = (insn & 0x7f) == 0x1b;
		static const char *const n[8] = {"addi", "slli", "slti", "sltiu",
		                                 "xori", "srli", "ori",  "andi"};
		const char *name = n[f3];
		if (f3 == 1 || f3 == 5) {
			unsigned sh = rv_bits(insn, w ? 24 : 25, 20);
			unsigned hi = w ? f7 : f7 >> 1;
			if (f3 == 5 && hi == (w ? 0x20u : 0x10u))
				name = "srai";
			else if (hi != 0)
				return false;
			snprintf(buf, len, "%s%s %s,%s,%u", name, w ? "w" : "", xreg[rd], xreg[rs1],
			         sh);
			return true;
		}
		if (w && f3 != 0)
			return false;
		snprintf(buf, len, "%s%s %s,%s,%d", name, w ? "w" : "", xreg[rd], xreg[rs1], imm);
		return true;
	}
	case 0x33:
	case 0x3b: {
		bool w = (insn & 0x7f) == 0x3b;
		static const char *const base[8] = {"add", "sll", "slt", "sltu",
		                                    "xor", "srl", "or",  "and"};
		static const char *const mul[8] = {"mul", "mulh", "mulhsu", "mulhu",
		                                   "div", "divu", "rem",    "remu"};
		const char *name;
		if (f7 == 1) {
			name = mul[f3];
			if (w && f3 >= 1 && f3 <= 3)
				return false;
		} else if (f7 == 0) {
			name = base[f3];
			if (w && f3 != 0 && f3 != 1 && f3 != 5)
				return false;
		} else if (f7 == 0x20 && (f3 == 0 || f3 == 5)) {
			name = f3 == 0 ? "sub" : "sra";
		} else {
			return false;
		}
		snprintf(buf, len, "%s%s %s,%s,%s", name, w ? "w" : "", xreg[rd], xreg[rs1],
		         xreg[rs2]);
		return true;
	}
	case 0x0f:
		if (f3 == 1) {
			snprintf(buf, len, "fence.i");
			return true;
		}
		if (f3 != 0)
			return false;
		if (rv_bits(insn, 31, 28) == 8 && rv_bits(insn, 27, 20) == 0x33) {
			snprintf(buf, len, "fence.tso");
			return true;
		} else {
			char p[8], s[8];
			rv_fence_set(p, rv_bits(insn, 27, 24));
			rv_fence_set(s, rv_bits(insn, 23, 20));
			snprintf(buf, len, "fence %s,%s", p, s);
		}
		return true;
	case 0x2f:
		return rv_dis_amo(insn, buf, len);
	case 0x73:
		return rv_dis_system(insn, buf, len);
	case 0x53:
		return rv_dis_fp(insn, buf, len);
	case 0x43:
	case 0x47:
	case 0x4b:
	case 0x4f: {
		static const char *const n[4] = {"fmadd", "fmsub", "fnmsub", "fnmadd"};
		unsigned fmt = rv_bits(insn, 26, 25);
		char rm[8] = "";
		if (fmt > 1 || (f3 > 4 && f3 != 7))
			return false;
		if (f3 != 7)
			snprintf(rm, sizeof(rm), ",%s", rmname[f3]);
		snprintf(buf, len, "%s.%s %s,%s,%s,%s%s", n[((insn & 0x7f) - 0x43) >> 2],
		         fmt ? "d" : "s", freg[rd], freg[rs1], freg[rs2], freg[insn >> 27], rm);
		return true;
	}
	}
	return false;
}
