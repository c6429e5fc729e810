/* SPDX-License-Identifier: MIT */
/* The x86-64 emitter of the translator (jit.c only includes it): instruction encodings, the
 * guest registers a block keeps in host registers, exits. */
#ifndef BERTH_VM_RISCV_JIT_EMIT_H
#define BERTH_VM_RISCV_JIT_EMIT_H

#include "riscv.h"

#include <stddef.h>
#include <string.h>

/* --- the emitter ------------------------------------------------------------------------ */

enum { RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7, R8 = 8, R12 = 12 };

/* Guest registers a block keeps in host registers (JIT_HREGS at most, the ones it uses most):
 * loaded where the block (or a chain into it) starts, written back to v->x at every exit and
 * before every call (and reloaded after it, so helpers and traps see and change v->x as in
 * the interpreter). None of them is a scratch register of the translation. */
static const uint8_t jit_hregs[JIT_HREGS] = {RBP, 14, 15, 9, 10, R8, RDI};
#define TLBREG 11 /* &v->tlb[v->tlb_ctx] - TLBOFF, set where cached registers are loaded */

struct em {
	uint8_t *p, *end;
	int8_t hreg[33];          /* guest register -> host register, or -1 */
	uint8_t guest[JIT_HREGS]; /* the cached guest registers */
	unsigned nc;              /* how many */
	uint64_t dirty;           /* cached ones the block writes (bit per guest register) */
	/* exits jump to one shared tail (write back, pop, return) at the block's end */
	uint8_t *exits[512];
	unsigned nexits;
	bool tail;
	/* exits to a same-page block not translated yet: patched when it is (rv_jit_chain) */
	struct {
		uintptr_t host;
		uint8_t *at; /* the jmp's rel32 */
	} sites[16];
	unsigned nsites;
	const uint8_t *epi; /* the shared epilogue (writable view) */
	/* the block's subroutines (writable view, NULL: none): write back; reload the cached
	 * registers and TLBREG (calls into C use them instead of inline copies) */
	const uint8_t *wb, *rl;
	/* the loads' shared refill of their copy of a TLB entry (em_refill_stub; writable view) */
	const uint8_t *refill;
	/* the TLB's second way for loads and for stores (em_way2_stub; writable view) */
	const uint8_t *way2[2];
	/* the shared way out of a chained jump that does not go in (em_leave_stub) */
	const uint8_t *leave;
	/* Cold code, emitted after the block's body (em_cold_section) so that the body holds
	 * only the fast paths: a load's or store's slow path (the jumps to it, a load's jump to
	 * the copy's refill, where the fast path goes on after each, what the helper gets) or
	 * an exit when a helper returned nonzero. At most one per op. */
	struct em_cold {
		uint8_t *refill;  /* a load's jump to its copy's refill (NULL: none) */
		uint8_t *slow[3]; /* jumps to the slow path (or to the exit) */
		uint8_t *resume;  /* where the fast path takes the refilled addend in rax */
		uint8_t *done;    /* after the instruction (NULL: an exit, count in info) */
		uint32_t info;    /* rv_jit_mem's */
		/* slow[0] is a miss in the TLB's first way (rax the vpn, rcx the index):
		 * the offset of the second way's entries from TLBREG (0: none), and where the
		 * fast path goes on after a hit: a load at resume (rax the addend), a store at
		 * hit (rax the host address) */
		uint32_t way2;
		uint8_t *hit;
	} cold[JIT_BLOCK_OPS];
	unsigned ncold;
	/* a block's side exits (its taken forward branches before its last instruction,
	 * JIT_SIDE_EXITS): the jcc to patch, the target (from pc0) and the instructions retired;
	 * their jumps (em_goto) go after the body */
	struct {
		uint8_t *at;
		int32_t delta;
		unsigned count;
	} side[JIT_SIDE_EXITS];
	unsigned nside;
};

static void b1(struct em *e, unsigned x)
{
	if (e->p < e->end)
		*e->p++ = (uint8_t)x;
}

static void b4(struct em *e, uint32_t x)
{
	for (unsigned i = 0; i < 4; i++)
		b1(e, (x >> (8 * i)) & 0xff);
}

static void rex(struct em *e, bool w, unsigned reg, unsigned rm)
{
	unsigned r = 0x40 | (w ? 8 : 0) | ((reg >> 3) << 2) | (rm >> 3);
	if (r != 0x40)
		b1(e, r);
}

#define XOFF(r) ((uint32_t)(offsetof(struct vcpu, x) + 8 * (r)))
#define PCOFF   ((uint32_t)offsetof(struct vcpu, pc))

static bool fits8(int32_t x)
{
	return x >= -128 && x <= 127;
}

/* op reg, [base + disp] (disp8 when it fits, else disp32; base neither rsp nor r12) */
static void em_memb(struct em *e, bool w, unsigned op, unsigned reg, unsigned base, uint32_t disp)
{
	rex(e, w, reg, base);
	b1(e, op);
	if (fits8((int32_t)disp)) {
		b1(e, 0x40 | ((reg & 7) << 3) | (base & 7));
		b1(e, disp & 0xff);
		return;
	}
	b1(e, 0x80 | ((reg & 7) << 3) | (base & 7));
	b4(e, disp);
}

/* op reg, [rbx + disp32] */
static void em_mem(struct em *e, bool w, unsigned op, unsigned reg, uint32_t disp)
{
	em_memb(e, w, op, reg, RBX, disp);
}

/* op r/m, reg (register form) */
static void em_rr(struct em *e, bool w, unsigned op, unsigned reg, unsigned rm)
{
	rex(e, w, reg, rm);
	b1(e, op);
	b1(e, 0xc0 | ((reg & 7) << 3) | (rm & 7));
}

/* reg = guest register xr (x0: xor, which sets the flags) */
static void em_ldx(struct em *e, unsigned reg, unsigned xr)
{
	if (xr == 0)
		em_rr(e, false, 0x31, reg, reg);
	else if (e->hreg[xr] >= 0)
		em_rr(e, true, 0x89, (unsigned)e->hreg[xr], reg);
	else
		em_mem(e, true, 0x8b, reg, XOFF(xr));
}

static void em_stx(struct em *e, unsigned reg, unsigned xr)
{
	if (e->hreg[xr] >= 0)
		em_rr(e, true, 0x89, reg, (unsigned)e->hreg[xr]);
	else
		em_mem(e, true, 0x89, reg, XOFF(xr));
}

/* the cached registers the block changed, to v->x */
static void em_writeback(struct em *e)
{
	for (unsigned i = 0; i < e->nc; i++)
		if (e->dirty & (1ULL << e->guest[i]))
			em_mem(e, true, 0x89, (unsigned)e->hreg[e->guest[i]], XOFF(e->guest[i]));
}

#define CTXOFF ((uint32_t)offsetof(struct vcpu, tlb_ctx))

/* all cached registers, from v->x */
static void em_reload(struct em *e)
{
	for (unsigned i = 0; i < e->nc; i++)
		em_mem(e, true, 0x8b, (unsigned)e->hreg[e->guest[i]], XOFF(e->guest[i]));
}

/* TLBREG for the current translation context (at entry and after every call; it stays
 * valid across chained blocks, whose calls set it again) */
static void em_tlbreg(struct em *e)
{
	em_mem(e, false, 0x8b, TLBREG, CTXOFF); /* mov r11d, [rbx + tlb_ctx] */
	b1(e, 0x45), b1(e, 0x69), b1(e, 0xdb);  /* imul r11d, r11d, stride */
	b4(e, (uint32_t)sizeof(((struct vcpu *)0)->tlb[0]));
	em_rr(e, true, 0x01, RBX, TLBREG); /* add r11, rbx */
}

/* group-1 ALU op with a sign-extended imm8 or imm32: digit 0 add, 1 or, 4 and, 5 sub, 6 xor,
 * 7 cmp */
static void em_alu_imm(struct em *e, bool w, unsigned digit, unsigned rm, int32_t imm)
{
	rex(e, w, 0, rm);
	b1(e, fits8(imm) ? 0x83 : 0x81);
	b1(e, 0xc0 | (digit << 3) | (rm & 7));
	if (fits8(imm))
		b1(e, (uint32_t)imm & 0xff);
	else
		b4(e, (uint32_t)imm);
}

/* lea reg, [base + disp] (base neither rsp nor r12) */
static void em_lea(struct em *e, unsigned reg, unsigned base, int32_t disp)
{
	em_memb(e, true, 0x8d, reg, base, (uint32_t)disp);
}

/* shifts: digit 4 shl, 5 shr, 7 sar; by imm8, or by cl when imm < 0 */
static void em_shift(struct em *e, bool w, unsigned digit, unsigned rm, int imm)
{
	rex(e, w, 0, rm);
	b1(e, imm < 0 ? 0xd3 : 0xc1);
	b1(e, 0xc0 | (digit << 3) | (rm & 7));
	if (imm >= 0)
		b1(e, (unsigned)imm);
}

static void em_movsxd_rax(struct em *e)
{
	b1(e, 0x48), b1(e, 0x63), b1(e, 0xc0);
}

/* mov reg, sign-extended imm32 */
static void em_movi(struct em *e, unsigned reg, int32_t imm)
{
	rex(e, true, 0, reg);
	b1(e, 0xc7);
	b1(e, 0xc0 | (reg & 7));
	b4(e, (uint32_t)imm);
}

static void em_movi64(struct em *e, unsigned reg, uint64_t imm)
{
	rex(e, true, 0, reg);
	b1(e, 0xb8 + (reg & 7));
	b4(e, (uint32_t)imm);
	b4(e, (uint32_t)(imm >> 32));
}

/* lea reg, [r12 + disp]: pc0 + disp */
static void em_lea_pc(struct em *e, unsigned reg, int32_t disp)
{
	rex(e, true, reg, R12);
	b1(e, 0x8d);
	if (fits8(disp)) {
		b1(e, 0x44 | ((reg & 7) << 3)), b1(e, 0x24), b1(e, (uint32_t)disp & 0xff);
		return;
	}
	b1(e, 0x84 | ((reg & 7) << 3));
	b1(e, 0x24);
	b4(e, (uint32_t)disp);
}

static void em_set_pc(struct em *e, int32_t disp)
{
	em_lea_pc(e, RAX, disp);
	em_mem(e, true, 0x89, RAX, PCOFF);
}

/* setcc al; movzx eax, al */
static void em_setcc_rax(struct em *e, unsigned cc)
{
	b1(e, 0x0f), b1(e, 0x90 | cc), b1(e, 0xc0);
	b1(e, 0x0f), b1(e, 0xb6), b1(e, 0xc0);
}

/* A call (the cached registers written back before the arguments were set up, as rdi and
 * r8 hold guest registers too): they are reloaded after it. */
/* call rel32 to a place in the code buffer */
static void em_call_to(struct em *e, const uint8_t *to)
{
	b1(e, 0xe8);
	if (e->p + 4 <= e->end)
		b4(e, (uint32_t)(int32_t)(to - (e->p + 4)));
	else
		b4(e, 0);
}

/* before a call's arguments: the cached registers the block writes, to v->x */
static void em_writeback_call(struct em *e)
{
	if (e->wb != NULL)
		em_call_to(e, e->wb);
	else
		em_writeback(e);
}

static void em_call(struct em *e, const void *fn)
{
	em_movi64(e, RAX, (uint64_t)(uintptr_t)fn);
	b1(e, 0xff), b1(e, 0xd0);
	if (e->rl != NULL) {
		em_call_to(e, e->rl);
	} else {
		em_reload(e);
		em_tlbreg(e);
	}
}

/* return r13 + `count` (the instructions retired) from the block */
static uint8_t *em_jump(struct em *e, int cc);

/* jmp rel32 to a place in the code buffer (writable view; the executable one has the same
 * layout) */
static void em_jmp_to(struct em *e, const uint8_t *to)
{
	b1(e, 0xe9);
	if (e->p + 4 <= e->end)
		b4(e, (uint32_t)(int32_t)(to - (e->p + 4)));
	else
		b4(e, 0);
}

/* write back, then the shared epilogue (restore the host registers, return eax) */
static void em_epilogue(struct em *e)
{
	em_writeback(e);
	em_jmp_to(e, e->epi);
}

/* r13 counts the instructions of a chain in its low 16 bits and the chained entries in
 * its high 16 (rv_jit_exec splits the value a block returns) */
#define JIT_ENTRY 0x10000

/* add r13d, imm32 */
static void em_add_r13(struct em *e, int32_t imm)
{
	b1(e, 0x41), b1(e, 0x81), b1(e, 0xc5), b4(e, (uint32_t)imm);
}

/* test r13d, mask: nonzero once a chain has run JIT_CHAIN_LIMIT instructions (the bits of
 * the low half from the limit's up) */
static void em_test_limit(struct em *e)
{
	_Static_assert((JIT_CHAIN_LIMIT & (JIT_CHAIN_LIMIT - 1)) == 0 && JIT_CHAIN_LIMIT <= 16384,
	               "a chain's count stays below 65536 (em_goto)");
	b1(e, 0x41), b1(e, 0xf7), b1(e, 0xc5), b4(e, 0x10000 - JIT_CHAIN_LIMIT);
}

/* cmp dword [rbx + disp32], 0 */
static void em_cmp0(struct em *e, uint32_t disp)
{
	b1(e, 0x83), b1(e, 0xbb), b4(e, disp), b1(e, 0x00);
}

static void em_exit(struct em *e, int32_t count)
{
	b1(e, 0x41), b1(e, 0x8d), b1(e, 0x85); /* lea eax, [r13 + count] */
	b4(e, (uint32_t)count);
	if (e->tail && e->nexits < sizeof(e->exits) / sizeof(e->exits[0]))
		e->exits[e->nexits++] = em_jump(e, -1); /* to the shared tail */
	else
		em_epilogue(e);
}

/* jcc rel32 (cc 0..15) or jmp rel32 (cc < 0), to be patched; returns the rel32's address */
static uint8_t *em_jump(struct em *e, int cc)
{
	if (cc < 0) {
		b1(e, 0xe9);
	} else {
		b1(e, 0x0f);
		b1(e, 0x80 | (unsigned)cc);
	}
	uint8_t *at = e->p;
	b4(e, 0);
	return at;
}

static void em_patch(struct em *e, uint8_t *at)
{
	if (e->p >= e->end)
		return;
	int32_t rel = (int32_t)(e->p - (at + 4));
	memcpy(at, &rel, 4);
}

/* x86 condition codes */
enum { CC_B = 2, CC_AE = 3, CC_E = 4, CC_NE = 5, CC_L = 12, CC_GE = 13 };

#endif
