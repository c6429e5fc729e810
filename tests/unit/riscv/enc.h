/* SPDX-License-Identifier: MIT */
/* Instruction encoders for the RV64 unit tests. */
#ifndef BERTH_TEST_RISCV_ENC_H
#define BERTH_TEST_RISCV_ENC_H

#include <stdint.h>

static inline uint32_t e_r(uint32_t op, unsigned rd, unsigned f3, unsigned rs1, unsigned rs2,
                           unsigned f7)
{
	return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
static inline uint32_t e_i(uint32_t op, unsigned rd, unsigned f3, unsigned rs1, int32_t imm)
{
	return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
static inline uint32_t e_s(uint32_t op, unsigned f3, unsigned rs1, unsigned rs2, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return ((u >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 31) << 7 | op;
}
static inline uint32_t e_r4(uint32_t op, unsigned rd, unsigned rm, unsigned rs1, unsigned rs2,
                            unsigned rs3, unsigned fmt)
{
	return rs3 << 27 | fmt << 25 | rs2 << 20 | rs1 << 15 | rm << 12 | rd << 7 | op;
}
#define OP_OP     0x33
#define OP_OP32   0x3b
#define OP_IMM    0x13
#define OP_IMM32  0x1b
#define OP_LOAD   0x03
#define OP_STORE  0x23
#define OP_AMO    0x2f
#define OP_SYSTEM 0x73
#define OP_FP     0x53
#define OP_FLOAD  0x07
#define OP_FSTORE 0x27

/* CSR instructions */
static inline uint32_t e_csrrw(unsigned rd, unsigned csr, unsigned rs1)
{
	return csr << 20 | rs1 << 15 | 1u << 12 | rd << 7 | OP_SYSTEM;
}
static inline uint32_t e_csrrs(unsigned rd, unsigned csr, unsigned rs1)
{
	return csr << 20 | rs1 << 15 | 2u << 12 | rd << 7 | OP_SYSTEM;
}
static inline uint32_t e_csrrc(unsigned rd, unsigned csr, unsigned rs1)
{
	return csr << 20 | rs1 << 15 | 3u << 12 | rd << 7 | OP_SYSTEM;
}
#define I_ECALL  0x00000073u
#define I_EBREAK 0x00100073u
#define I_SRET   0x10200073u
#define I_MRET   0x30200073u
#define I_WFI    0x10500073u

#endif
