/* SPDX-License-Identifier: MIT */
/* The instruction engine: guest code is decoded once into blocks of pre-decoded operations
 * (straight-line code up to a control transfer or the end of its page), cached per hart by
 * the host address of the code, and run by threaded dispatch (rv_run_block). The cache is
 * dropped on fence.i and on vcpu_flush_icache() (remote fence.i), which is what the ISA
 * requires of software that modifies code. */
#include "riscv.h"

#include <stdlib.h>

/* --- atomics ---------------------------------------------------------------------------- */

static uint64_t rv_sext32(uint64_t x)
{
	return (uint64_t)(int64_t)(int32_t)(uint32_t)x;
}

#define AMO_CAS_LOOP(T, p, src, expr)                                                              \
	({                                                                                         \
		T _old = __atomic_load_n((T *)(p), __ATOMIC_SEQ_CST), _new;                        \
		do {                                                                               \
			T a_ = _old, b_ = (T)(src);                                                \
			_new = (expr);                                                             \
		} while (!__atomic_compare_exchange_n((T *)(p), &_old, _new, false,                \
		                                      __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));        \
		_old;                                                                              \
	})

/* Returns -1 when an exception was raised (pc already redirected) or illegal (*illegal); 0
 * when done; 1 when done and it wrote a page holding code (rv_code_check). */
static int rv_amo(struct vcpu *v, uint32_t insn, bool *illegal)
{
	unsigned rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31, rs2 = (insn >> 20) & 31;
	unsigned f3 = (insn >> 12) & 7, f5 = insn >> 27;
	uint64_t addr = v->x[rs1], src = v->x[rs2], r;
	unsigned size;
	uint8_t *p;

	if (f3 != 2 && f3 != 3) {
		*illegal = true;
		return -1;
	}
	size = f3 == 2 ? 4 : 8;
	switch (f5) {
	case 0x02:
	case 0x03:
	case 0x01:
	case 0x00:
	case 0x04:
	case 0x0c:
	case 0x08:
	case 0x10:
	case 0x14:
	case 0x18:
	case 0x1c:
		break;
	default:
		*illegal = true;
		return -1;
	}
	if (f5 == 0x02 && rs2 != 0) {
		*illegal = true;
		return -1;
	}
	if (addr & (size - 1)) {
		rv_raise(v, f5 == 0x02 ? RV_EXC_LOAD_MISALIGNED : RV_EXC_STORE_MISALIGNED, addr);
		return -1;
	}
	p = rv_amo_ptr(v, addr, size, f5 != 0x02);
	if (p == NULL)
		return -1;
	if (f5 == 0x02) { /* LR */
		r = size == 4 ? __atomic_load_n((uint32_t *)p, __ATOMIC_SEQ_CST)
		              : __atomic_load_n((uint64_t *)p, __ATOMIC_SEQ_CST);
		v->res_addr = (uintptr_t)p;
		v->res_val = r;
		v->res_valid = true;
		v->x[rd] = size == 4 ? rv_sext32(r) : r;
		return 0;
	}
	if (f5 == 0x03) { /* SC */
		bool ok = false;
		if (v->res_valid && v->res_addr == (uintptr_t)p) {
			if (size == 4) {
				uint32_t exp = (uint32_t)v->res_val;
				ok = __atomic_compare_exchange_n((uint32_t *)p, &exp, (uint32_t)src,
				                                 false, __ATOMIC_SEQ_CST,
				                                 __ATOMIC_SEQ_CST);
			} else {
				uint64_t exp = v->res_val;
				ok =
				    __atomic_compare_exchange_n((uint64_t *)p, &exp, src, false,
				                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
			}
		}
		v->res_valid = false;
		v->x[rd] = ok ? 0 : 1;
		return ok && rv_code_check(v, p, size) ? 1 : 0;
	}
	if (size == 4) {
		uint32_t *q = (uint32_t *)p, s = (uint32_t)src;
		switch (f5) {
		case 0x01:
			r = __atomic_exchange_n(q, s, __ATOMIC_SEQ_CST);
			break;
		case 0x00:
			r = __atomic_fetch_add(q, s, __ATOMIC_SEQ_CST);
			break;
		case 0x04:
			r = __atomic_fetch_xor(q, s, __ATOMIC_SEQ_CST);
			break;
		case 0x0c:
			r = __atomic_fetch_and(q, s, __ATOMIC_SEQ_CST);
			break;
		case 0x08:
			r = __atomic_fetch_or(q, s, __ATOMIC_SEQ_CST);
			break;
		case 0x10:
			r = AMO_CAS_LOOP(uint32_t, q, s, (int32_t)a_ < (int32_t)b_ ? a_ : b_);
			break;
		case 0x14:
			r = AMO_CAS_LOOP(uint32_t, q, s, (int32_t)a_ > (int32_t)b_ ? a_ : b_);
			break;
		case 0x18:
			r = AMO_CAS_LOOP(uint32_t, q, s, a_ < b_ ? a_ : b_);
			break;
		default:
			r = AMO_CAS_LOOP(uint32_t, q, s, a_ > b_ ? a_ : b_);
			break;
		}
		r = rv_sext32(r);
	} else {
		uint64_t *q = (uint64_t *)p;
		switch (f5) {
		case 0x01:
			r = __atomic_exchange_n(q, src, __ATOMIC_SEQ_CST);
			break;
		case 0x00:
			r = __atomic_fetch_add(q, src, __ATOMIC_SEQ_CST);
			break;
		case 0x04:
			r = __atomic_fetch_xor(q, src, __ATOMIC_SEQ_CST);
			break;
		case 0x0c:
			r = __atomic_fetch_and(q, src, __ATOMIC_SEQ_CST);
			break;
		case 0x08:
			r = __atomic_fetch_or(q, src, __ATOMIC_SEQ_CST);
			break;
		case 0x10:
			r = AMO_CAS_LOOP(uint64_t, q, src, (int64_t)a_ < (int64_t)b_ ? a_ : b_);
			break;
		case 0x14:
			r = AMO_CAS_LOOP(uint64_t, q, src, (int64_t)a_ > (int64_t)b_ ? a_ : b_);
			break;
		case 0x18:
			r = AMO_CAS_LOOP(uint64_t, q, src, a_ < b_ ? a_ : b_);
			break;
		default:
			r = AMO_CAS_LOOP(uint64_t, q, src, a_ > b_ ? a_ : b_);
			break;
		}
	}
	v->x[rd] = r;
	return rv_code_check(v, p, size) ? 1 : 0;
}

/* --- integer helpers -------------------------------------------------------------------- */

static uint64_t rv_mulh(int64_t a, int64_t b)
{
	return (uint64_t)(((__int128)a * (__int128)b) >> 64);
}

static uint64_t rv_mulhsu(int64_t a, uint64_t b)
{
	return (uint64_t)(((__int128)a * (__int128)b) >> 64);
}

static uint64_t rv_mulhu(uint64_t a, uint64_t b)
{
	return (uint64_t)(((unsigned __int128)a * b) >> 64);
}

static uint64_t rv_div(int64_t a, int64_t b)
{
	if (b == 0)
		return UINT64_MAX;
	if (a == INT64_MIN && b == -1)
		return (uint64_t)a;
	return (uint64_t)(a / b);
}

static uint64_t rv_rem(int64_t a, int64_t b)
{
	if (b == 0)
		return (uint64_t)a;
	if (a == INT64_MIN && b == -1)
		return 0;
	return (uint64_t)(a % b);
}

static uint64_t rv_divw(int32_t a, int32_t b)
{
	if (b == 0)
		return UINT64_MAX;
	if (a == INT32_MIN && b == -1)
		return (uint64_t)(int64_t)a;
	return (uint64_t)(int64_t)(a / b);
}

static uint64_t rv_remw(int32_t a, int32_t b)
{
	if (b == 0)
		return (uint64_t)(int64_t)a;
	if (a == INT32_MIN && b == -1)
		return 0;
	return (uint64_t)(int64_t)(a % b);
}

/* --- decoded operations ----------------------------------------------------------------- */

/* The S-type immediate. */
static int32_t rv_simm_s(uint32_t insn)
{
	uint32_t u = (insn >> 25) << 5 | ((insn >> 7) & 31);
	return (int32_t)(u << 20) >> 20;
}

/* rd is remapped to the sink register 32 when it is x0, so x0 stays zero for free. */
static unsigned rv_rd(uint32_t insn)
{
	unsigned rd = (insn >> 7) & 31;
	return rd ? rd : 32;
}

/* Decode one (expanded) instruction. Returns true when it ends a block. */
bool rv_decode_op(uint32_t insn, struct rv_op *op)
{
	unsigned f3 = (insn >> 12) & 7, f7 = insn >> 25;
	int32_t imm = (int32_t)insn >> 20;

	op->kind = K_ILLEGAL;
	op->rd = (uint8_t)rv_rd(insn);
	op->rs1 = (insn >> 15) & 31;
	op->rs2 = (insn >> 20) & 31;
	op->imm = imm;
	op->insn = insn;

	switch (insn & 0x7f) {
	case 0x37:
		op->kind = K_LUI;
		op->imm = (int32_t)(insn & 0xfffff000);
		return false;
	case 0x17:
		op->kind = K_AUIPC;
		op->imm = (int32_t)(insn & 0xfffff000);
		return false;
	case 0x6f: {
		uint32_t u = ((insn >> 31) & 1) << 20 | ((insn >> 21) & 0x3ff) << 1 |
		             ((insn >> 20) & 1) << 11 | ((insn >> 12) & 0xff) << 12;
		op->kind = K_JAL;
		op->imm = (int32_t)(u << 11) >> 11;
		return true;
	}
	case 0x67:
		if (f3 == 0)
			op->kind = K_JALR;
		return true;
	case 0x63: {
		static const uint8_t k[8] = {K_BEQ, K_BNE, K_ILLEGAL, K_ILLEGAL,
		                             K_BLT, K_BGE, K_BLTU,    K_BGEU};
		uint32_t u = ((insn >> 31) & 1) << 12 | ((insn >> 25) & 0x3f) << 5 |
		             ((insn >> 8) & 0xf) << 1 | ((insn >> 7) & 1) << 11;
		op->kind = k[f3];
		op->imm = (int32_t)(u << 19) >> 19;
		return true;
	}
	case 0x03: {
		static const uint8_t k[8] = {K_LB,  K_LH,  K_LW,  K_LD,
		                             K_LBU, K_LHU, K_LWU, K_ILLEGAL};
		op->kind = k[f3];
		return op->kind == K_ILLEGAL;
	}
	case 0x23: {
		if (f3 > 3)
			return true;
		op->kind = (uint8_t)(K_SB + f3);
		op->imm = rv_simm_s(insn);
		return false;
	}
	case 0x13:
		switch (f3) {
		case 0:
			op->kind = K_ADDI;
			break;
		case 2:
			op->kind = K_SLTI;
			break;
		case 3:
			op->kind = K_SLTIU;
			break;
		case 4:
			op->kind = K_XORI;
			break;
		case 6:
			op->kind = K_ORI;
			break;
		case 7:
			op->kind = K_ANDI;
			break;
		case 1:
			if ((insn >> 26) == 0)
				op->kind = K_SLLI;
			op->imm &= 63;
			break;
		default:
			if ((insn >> 26) == 0)
				op->kind = K_SRLI;
			else if ((insn >> 26) == 0x10)
				op->kind = K_SRAI;
			op->imm &= 63;
			break;
		}
		return op->kind == K_ILLEGAL;
	case 0x1b:
		if (f3 == 0)
			op->kind = K_ADDIW;
		else if (f3 == 1 && f7 == 0)
			op->kind = K_SLLIW;
		else if (f3 == 5 && f7 == 0)
			op->kind = K_SRLIW;
		else if (f3 == 5 && f7 == 0x20)
			op->kind = K_SRAIW;
		if (f3 != 0)
			op->imm &= 31;
		return op->kind == K_ILLEGAL;
	case 0x33: {
		static const uint8_t base[8] = {K_ADD, K_SLL, K_SLT, K_SLTU,
		                                K_XOR, K_SRL, K_OR,  K_AND};
		static const uint8_t mul[8] = {K_MUL, K_MULH, K_MULHSU, K_MULHU,
		                               K_DIV, K_DIVU, K_REM,    K_REMU};
		if (f7 == 0)
			op->kind = base[f3];
		else if (f7 == 1)
			op->kind = mul[f3];
		else if (f7 == 0x20 && f3 == 0)
			op->kind = K_SUB;
		else if (f7 == 0x20 && f3 == 5)
			op->kind = K_SRA;
		return op->kind == K_ILLEGAL;
	}
	case 0x3b:
		if (f7 == 0) {
			op->kind = f3 == 0   ? K_ADDW
			           : f3 == 1 ? K_SLLW
			           : f3 == 5 ? K_SRLW
			                     : K_ILLEGAL;
		} else if (f7 == 0x20) {
			op->kind = f3 == 0 ? K_SUBW : f3 == 5 ? K_SRAW : K_ILLEGAL;
		} else if (f7 == 1) {
			static const uint8_t k[8] = {K_MULW, K_ILLEGAL, K_ILLEGAL, K_ILLEGAL,
			                             K_DIVW, K_DIVUW,   K_REMW,    K_REMUW};
			op->kind = k[f3];
		}
		return op->kind == K_ILLEGAL;
	case 0x0f:
		if (f3 == 0) {
			op->kind = K_FENCE;
			/* the host (TSO) only needs a fence to order a store before a load */
			op->imm = ((insn >> 24) & 1) && ((insn >> 21) & 1);
			return false;
		}
		if (f3 == 1)
			op->kind = K_FENCE_I;
		return true;
	case 0x2f:
		op->kind = K_AMO;
		return false;
	case 0x73:
		op->kind = K_SYSTEM;
		return true;
	case 0x07:
		if (f3 == 2)
			op->kind = K_FLW;
		else if (f3 == 3)
			op->kind = K_FLD;
		op->rd = (insn >> 7) & 31; /* an f register */
		return op->kind == K_ILLEGAL;
	case 0x27:
		if (f3 == 2)
			op->kind = K_FSW;
		else if (f3 == 3)
			op->kind = K_FSD;
		op->imm = rv_simm_s(insn);
		return op->kind == K_ILLEGAL;
	case 0x43:
	case 0x47:
	case 0x4b:
	case 0x4f:
	case 0x53:
		op->kind = K_FP;
		return false;
	}
	return true;
}

/* --- the block cache -------------------------------------------------------------------- */

void rv_icache_flush(struct vcpu *v)
{
	if (v->jit != NULL)
		rv_jit_fence(v);
	v->icache_gen++;
	if (v->icache_gen == 0) { /* wrapped: really clear */
		for (unsigned i = 0; i <= v->bcache_mask; i++)
			v->bcache[i].tag = 0;
		v->icache_gen = 1;
	}
}

static unsigned rv_bcache_index(const struct vcpu *v, uintptr_t host)
{
	return (unsigned)((host >> 1) ^ (host >> 13)) & v->bcache_mask;
}

/* Build the block starting at host address `host` (pc's page offset `off`). */
static void rv_build_block(struct rv_block *b, const uint8_t *host, unsigned off)
{
	unsigned n = 0, pos = off;

	while (n < RV_BLOCK_OPS && pos < 4096) {
		struct rv_op *op = &b->ops[n];
		uint16_t lo;
		uint32_t insn;
		bool end;

		memcpy(&lo, host + (pos - off), 2);
		if ((lo & 3) != 3) {
			insn = rv_expand_compressed(lo);
			op->len = 2;
			end = insn == 0 ? true : rv_decode_op(insn, op);
			if (insn == 0) {
				op->kind = K_ILLEGAL;
				op->insn = lo;
			}
		} else {
			if (pos + 4 > 4096)
				break; /* straddles the page: left to the slow path */
			memcpy(&insn, host + (pos - off), 4);
			op->len = 4;
			end = rv_decode_op(insn, op);
			if (op->kind == K_ILLEGAL)
				op->insn = insn;
		}
		op->off = (uint16_t)(pos - off);
		pos += op->len;
		n++;
		if (end)
			break;
	}
	b->n = (uint16_t)n;
}

/* --- execution -------------------------------------------------------------------------- */

/* Run the ops of one block starting at v->pc. Returns the number of instructions retired
 * (an instruction that traps counts). Dispatch is threaded (GNU labels as values): every
 * handler ends with its own indirect jump, which the host predicts far better than the
 * single jump of a switch. */
#if defined(__GNUC__) && !defined(__clang__)
/* keep one dispatch jump per handler: no tail merging */
__attribute__((optimize("no-crossjumping", "no-gcse")))
#endif
unsigned
rv_run_block(struct vcpu *v, const struct rv_op *ops, unsigned n)
{
	static const void *const labels[] = {
	    [K_ILLEGAL] = &&L_ILLEGAL, [K_LUI] = &&L_LUI,         [K_AUIPC] = &&L_AUIPC,
	    [K_JAL] = &&L_JAL,         [K_JALR] = &&L_JALR,       [K_BEQ] = &&L_BEQ,
	    [K_BNE] = &&L_BNE,         [K_BLT] = &&L_BLT,         [K_BGE] = &&L_BGE,
	    [K_BLTU] = &&L_BLTU,       [K_BGEU] = &&L_BGEU,       [K_LB] = &&L_LB,
	    [K_LH] = &&L_LH,           [K_LW] = &&L_LW,           [K_LD] = &&L_LD,
	    [K_LBU] = &&L_LBU,         [K_LHU] = &&L_LHU,         [K_LWU] = &&L_LWU,
	    [K_SB] = &&L_SB,           [K_SH] = &&L_SH,           [K_SW] = &&L_SW,
	    [K_SD] = &&L_SD,           [K_ADDI] = &&L_ADDI,       [K_SLTI] = &&L_SLTI,
	    [K_SLTIU] = &&L_SLTIU,     [K_XORI] = &&L_XORI,       [K_ORI] = &&L_ORI,
	    [K_ANDI] = &&L_ANDI,       [K_SLLI] = &&L_SLLI,       [K_SRLI] = &&L_SRLI,
	    [K_SRAI] = &&L_SRAI,       [K_ADDIW] = &&L_ADDIW,     [K_SLLIW] = &&L_SLLIW,
	    [K_SRLIW] = &&L_SRLIW,     [K_SRAIW] = &&L_SRAIW,     [K_ADD] = &&L_ADD,
	    [K_SUB] = &&L_SUB,         [K_SLL] = &&L_SLL,         [K_SLT] = &&L_SLT,
	    [K_SLTU] = &&L_SLTU,       [K_XOR] = &&L_XOR,         [K_SRL] = &&L_SRL,
	    [K_SRA] = &&L_SRA,         [K_OR] = &&L_OR,           [K_AND] = &&L_AND,
	    [K_MUL] = &&L_MUL,         [K_MULH] = &&L_MULH,       [K_MULHSU] = &&L_MULHSU,
	    [K_MULHU] = &&L_MULHU,     [K_DIV] = &&L_DIV,         [K_DIVU] = &&L_DIVU,
	    [K_REM] = &&L_REM,         [K_REMU] = &&L_REMU,       [K_ADDW] = &&L_ADDW,
	    [K_SUBW] = &&L_SUBW,       [K_SLLW] = &&L_SLLW,       [K_SRLW] = &&L_SRLW,
	    [K_SRAW] = &&L_SRAW,       [K_MULW] = &&L_MULW,       [K_DIVW] = &&L_DIVW,
	    [K_DIVUW] = &&L_DIVUW,     [K_REMW] = &&L_REMW,       [K_REMUW] = &&L_REMUW,
	    [K_FENCE] = &&L_FENCE,     [K_FENCE_I] = &&L_FENCE_I, [K_AMO] = &&L_AMO,
	    [K_SYSTEM] = &&L_SYSTEM,   [K_FLW] = &&L_FLW,         [K_FLD] = &&L_FLD,
	    [K_FSW] = &&L_FSW,         [K_FSD] = &&L_FSD,         [K_FP] = &&L_FP,
	};
	const uint64_t pc0 = v->pc;
	uint64_t *x = v->x;
	const struct rv_op *op = ops, *const end = ops + n;
	uint64_t a, b, r;
	int64_t imm;

#define DISPATCH()                                                                                 \
	do {                                                                                       \
		a = x[op->rs1];                                                                    \
		b = x[op->rs2];                                                                    \
		imm = op->imm;                                                                     \
		goto *labels[op->kind];                                                            \
	} while (0)
#define NEXT()                                                                                     \
	do {                                                                                       \
		if (unlikely(++op == end))                                                         \
			goto fell_off;                                                             \
		DISPATCH();                                                                        \
	} while (0)
#define RET() return (unsigned)(op - ops) + 1

	DISPATCH();
L_LUI:
	x[op->rd] = (uint64_t)imm;
	NEXT();
L_AUIPC:
	x[op->rd] = pc0 + op->off + (uint64_t)imm;
	NEXT();
L_JAL:
	x[op->rd] = pc0 + op->off + op->len;
	v->pc = pc0 + op->off + (uint64_t)imm;
	x[32] = 0;
	RET();
L_JALR:
	x[op->rd] = pc0 + op->off + op->len;
	v->pc = (a + (uint64_t)imm) & ~1ULL;
	RET();
#define BRANCH(cond)                                                                               \
	do {                                                                                       \
		v->pc = pc0 + op->off + ((cond) ? (uint64_t)imm : op->len);                        \
		RET();                                                                             \
	} while (0)
L_BEQ:
	BRANCH(a == b);
L_BNE:
	BRANCH(a != b);
L_BLT:
	BRANCH((int64_t)a < (int64_t)b);
L_BGE:
	BRANCH((int64_t)a >= (int64_t)b);
L_BLTU:
	BRANCH(a < b);
L_BGEU:
	BRANCH(a >= b);
#undef BRANCH
#define LOAD(size, conv)                                                                           \
	do {                                                                                       \
		v->pc = pc0 + op->off;                                                             \
		if (rv_load(v, a + (uint64_t)imm, size, &r))                                       \
			RET();                                                                     \
		x[op->rd] = conv;                                                                  \
		NEXT();                                                                            \
	} while (0)
L_LB:
	LOAD(1, (uint64_t)(int64_t)(int8_t)r);
L_LH:
	LOAD(2, (uint64_t)(int64_t)(int16_t)r);
L_LW:
	LOAD(4, (uint64_t)(int64_t)(int32_t)r);
L_LD:
	LOAD(8, r);
L_LBU:
	LOAD(1, r);
L_LHU:
	LOAD(2, r);
L_LWU:
	LOAD(4, r);
#undef LOAD
#define STORE(size)                                                                                \
	do {                                                                                       \
		v->pc = pc0 + op->off;                                                             \
		int st_ = rv_store(v, a + (uint64_t)imm, size, b);                                 \
		if (unlikely(st_ != 0)) {                                                          \
			if (st_ > 0) /* wrote code: the rest of the block may be stale */          \
				v->pc = pc0 + op->off + op->len;                                   \
			RET();                                                                     \
		}                                                                                  \
		NEXT();                                                                            \
	} while (0)
L_SB:
	STORE(1);
L_SH:
	STORE(2);
L_SW:
	STORE(4);
L_SD:
	STORE(8);
#undef STORE
L_ADDI:
	x[op->rd] = a + (uint64_t)imm;
	NEXT();
L_SLTI:
	x[op->rd] = (int64_t)a < imm;
	NEXT();
L_SLTIU:
	x[op->rd] = a < (uint64_t)imm;
	NEXT();
L_XORI:
	x[op->rd] = a ^ (uint64_t)imm;
	NEXT();
L_ORI:
	x[op->rd] = a | (uint64_t)imm;
	NEXT();
L_ANDI:
	x[op->rd] = a & (uint64_t)imm;
	NEXT();
L_SLLI:
	x[op->rd] = a << imm;
	NEXT();
L_SRLI:
	x[op->rd] = a >> imm;
	NEXT();
L_SRAI:
	x[op->rd] = (uint64_t)((int64_t)a >> imm);
	NEXT();
L_ADDIW:
	x[op->rd] = rv_sext32(a + (uint64_t)imm);
	NEXT();
L_SLLIW:
	x[op->rd] = rv_sext32((uint32_t)a << imm);
	NEXT();
L_SRLIW:
	x[op->rd] = rv_sext32((uint32_t)a >> imm);
	NEXT();
L_SRAIW:
	x[op->rd] = (uint64_t)(int64_t)((int32_t)a >> imm);
	NEXT();
L_ADD:
	x[op->rd] = a + b;
	NEXT();
L_SUB:
	x[op->rd] = a - b;
	NEXT();
L_SLL:
	x[op->rd] = a << (b & 63);
	NEXT();
L_SLT:
	x[op->rd] = (int64_t)a < (int64_t)b;
	NEXT();
L_SLTU:
	x[op->rd] = a < b;
	NEXT();
L_XOR:
	x[op->rd] = a ^ b;
	NEXT();
L_SRL:
	x[op->rd] = a >> (b & 63);
	NEXT();
L_SRA:
	x[op->rd] = (uint64_t)((int64_t)a >> (b & 63));
	NEXT();
L_OR:
	x[op->rd] = a | b;
	NEXT();
L_AND:
	x[op->rd] = a & b;
	NEXT();
L_MUL:
	x[op->rd] = a * b;
	NEXT();
L_MULH:
	x[op->rd] = rv_mulh((int64_t)a, (int64_t)b);
	NEXT();
L_MULHSU:
	x[op->rd] = rv_mulhsu((int64_t)a, b);
	NEXT();
L_MULHU:
	x[op->rd] = rv_mulhu(a, b);
	NEXT();
L_DIV:
	x[op->rd] = rv_div((int64_t)a, (int64_t)b);
	NEXT();
L_DIVU:
	x[op->rd] = b ? a / b : UINT64_MAX;
	NEXT();
L_REM:
	x[op->rd] = rv_rem((int64_t)a, (int64_t)b);
	NEXT();
L_REMU:
	x[op->rd] = b ? a % b : a;
	NEXT();
L_ADDW:
	x[op->rd] = rv_sext32(a + b);
	NEXT();
L_SUBW:
	x[op->rd] = rv_sext32(a - b);
	NEXT();
L_SLLW:
	x[op->rd] = rv_sext32((uint32_t)a << (b & 31));
	NEXT();
L_SRLW:
	x[op->rd] = rv_sext32((uint32_t)a >> (b & 31));
	NEXT();
L_SRAW:
	x[op->rd] = (uint64_t)(int64_t)((int32_t)a >> (b & 31));
	NEXT();
L_MULW:
	x[op->rd] = rv_sext32((uint32_t)a * (uint32_t)b);
	NEXT();
L_DIVW:
	x[op->rd] = rv_divw((int32_t)a, (int32_t)b);
	NEXT();
L_DIVUW:
	x[op->rd] = rv_sext32((uint32_t)b ? (uint32_t)a / (uint32_t)b : UINT32_MAX);
	NEXT();
L_REMW:
	x[op->rd] = rv_remw((int32_t)a, (int32_t)b);
	NEXT();
L_REMUW:
	x[op->rd] = rv_sext32((uint32_t)b ? (uint32_t)a % (uint32_t)b : (uint32_t)a);
	NEXT();
L_FENCE:
	if (imm)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	NEXT();
L_FENCE_I:
	rv_icache_flush(v);
	v->pc = pc0 + op->off + op->len;
	RET();
L_AMO : {
	bool ill = false;
	v->pc = pc0 + op->off;
	int done = rv_amo(v, op->insn, &ill);
	x[0] = 0;
	if (unlikely(done != 0)) {
		if (ill)
			rv_raise(v, RV_EXC_ILLEGAL, op->insn);
		else if (done > 0) /* wrote code: the rest of the block may be stale */
			v->pc = pc0 + op->off + op->len;
		RET();
	}
	NEXT();
}
L_SYSTEM:
	v->pc = pc0 + op->off;
	if (rv_exec_system(v, op->insn, op->len))
		v->pc = pc0 + op->off + op->len;
	x[0] = 0;
	/* CSR writes, xret and wfi may make an interrupt takeable */
	v->leave_exec = true;
	RET();
L_FLW:
L_FLD:
	v->pc = pc0 + op->off;
	if (!rv_fp_enabled(v)) {
		rv_raise(v, RV_EXC_ILLEGAL, op->insn);
		RET();
	}
	if (rv_load(v, a + (uint64_t)imm, op->kind == K_FLW ? 4 : 8, &r))
		RET();
	v->f[op->rd] = op->kind == K_FLW ? (r | 0xffffffff00000000ULL) : r;
	rv_fp_dirty(v);
	NEXT();
L_FSW:
L_FSD:
	v->pc = pc0 + op->off;
	if (!rv_fp_enabled(v)) {
		rv_raise(v, RV_EXC_ILLEGAL, op->insn);
		RET();
	}
	int fst = rv_store(v, a + (uint64_t)imm, op->kind == K_FSW ? 4 : 8, v->f[op->rs2]);
	if (unlikely(fst != 0)) {
		if (fst > 0)
			v->pc = pc0 + op->off + op->len;
		RET();
	}
	NEXT();
L_FP:
	if (!rv_fp_enabled(v) || !rv_exec_fp(v, op->insn)) {
		v->pc = pc0 + op->off;
		rv_raise(v, RV_EXC_ILLEGAL, op->insn);
		x[0] = 0;
		RET();
	}
	x[0] = 0;
	NEXT();
L_ILLEGAL:
	v->pc = pc0 + op->off;
	rv_raise(v, RV_EXC_ILLEGAL, op->insn);
	RET();

fell_off:
	/* block limit or page end */
	v->pc = pc0 + end[-1].off + end[-1].len;
	return n;
#undef DISPATCH
#undef NEXT
#undef RET
}

/* Find or build the block at v->pc. Returns NULL when the first instruction needs the slow
 * path (it straddles a page) or fetching it raised an exception (*trapped). */
uintptr_t rv_fetch_host(struct vcpu *v, bool *trapped)
{
	uint64_t pc = v->pc;
	uint32_t insn;

	*trapped = false;
	if (unlikely((pc >> 12) != v->fetch_vpn)) {
		/* another code page: the fetch TLB, else a walk */
		const struct rv_tlb_set *s = &v->tlb[v->tlb_ctx][RV_ACC_X];
		unsigned i = rv_tlb_index(pc);
		if (s->vpn[i] == (pc >> 12)) {
			v->fetch_vpn = s->vpn[i];
			v->fetch_addend = s->addend[i];
		} else if (rv_fetch_slow(v, pc, &insn)) {
			*trapped = true;
			return 0;
		} else if ((pc >> 12) != v->fetch_vpn) {
			return 0;
		}
	}
	return (uintptr_t)(pc + v->fetch_addend);
}

/* The decoded block at host (pc's page offset off), built when not cached. With the
 * translator, the page is marked in the code map (before its bytes are read, as
 * rv_jit_translate does) and a block is used only in the page's generation it was decoded
 * in: a write to the page (from any hart or device) makes it be decoded again. */
const struct rv_block *rv_cached_block(struct vcpu *v, uintptr_t host, unsigned off)
{
	struct rv_block *b = &v->bcache[rv_bcache_index(v, host)];
	uint32_t pgen = 0;
	uint64_t page = 0;

	if (v->code_pages != NULL) {
		page = (host - (uintptr_t)v->p.ram) >> 12;
		pgen = __atomic_load_n(&v->code_gen[page], __ATOMIC_ACQUIRE);
	}
	if (likely(b->tag == host && b->gen == v->icache_gen && b->pgen == pgen))
		return b;
	if (v->code_pages != NULL) {
		__atomic_store_n(&v->code_pages[page], 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		pgen = __atomic_load_n(&v->code_gen[page], __ATOMIC_ACQUIRE);
	}
	rv_build_block(b, (const uint8_t *)host, off);
	if (b->n == 0) {
		b->tag = 0;
		return NULL;
	}
	b->tag = host;
	b->gen = v->icache_gen;
	b->pgen = pgen;
	return b;
}

static const struct rv_block *rv_get_block(struct vcpu *v, bool *trapped)
{
	uintptr_t host = rv_fetch_host(v, trapped);

	if (host == 0)
		return NULL;
	return rv_cached_block(v, host, (unsigned)(v->pc & 0xfff));
}

/* One instruction through the slow fetch path (page-straddling instructions). */
static void rv_step_slow(struct vcpu *v)
{
	struct rv_op op;
	uint32_t insn;

	if (rv_fetch_slow(v, v->pc, &insn))
		return;
	if ((insn & 3) != 3) {
		uint32_t e = rv_expand_compressed((uint16_t)insn);
		op.len = 2;
		if (e == 0) {
			rv_raise(v, RV_EXC_ILLEGAL, insn & 0xffff);
			return;
		}
		rv_decode_op(e, &op);
	} else {
		op.len = 4;
		rv_decode_op(insn, &op);
	}
	op.off = 0;
	rv_run_block(v, &op, 1);
	v->leave_exec = false;
}

uint64_t rv_exec(struct vcpu *v, uint64_t budget)
{
	uint64_t n = 0;

	while (n < budget) {
		const struct rv_block *b;
		bool trapped;
		unsigned k;

		if (unlikely(__atomic_load_n(&v->async, __ATOMIC_RELAXED)))
			break;
		b = rv_get_block(v, &trapped);
		if (unlikely(b == NULL)) {
			if (!trapped)
				rv_step_slow(v);
			n++;
			__atomic_store_n(&v->instret, v->instret + 1, __ATOMIC_RELAXED);
			continue;
		}
		k = b->n;
		if (unlikely(k > budget - n))
			k = (unsigned)(budget - n);
		k = rv_run_block(v, b->ops, k);
		n += k;
		__atomic_store_n(&v->instret, v->instret + k, __ATOMIC_RELAXED);
		if (v->leave_exec) {
			v->leave_exec = false;
			break;
		}
	}
	return n;
}
