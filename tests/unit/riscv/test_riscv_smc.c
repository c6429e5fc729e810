/* SPDX-License-Identifier: MIT */
/* Code written by the instructions the translator hands to the interpreter (an AMO, FP
 * stores, SC) and then run without fence.i: berth must not rely on the guest's fence.i to
 * see it (the code map, codemap.h, learns of every write a hart makes). Each program runs
 * on a translating hart with blocks translated on their first run (rv_jit_hot = 1) and
 * with the default threshold (blocks interpreted first, from the decoded-block cache). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "codemap.h"
#include "enc.h"
#include "harness.h"

#define PC0   H_RAM_BASE
#define T     (H_RAM_BASE + 0x2000) /* the code that is rewritten, on its own page */
#define STVEC (H_RAM_BASE + 0x3000)
#define ITERS 20

#define EID_HI 0x42455 /* H_SBI_EID_TEST = 0x42455254 */
#define EID_LO 0x254

struct prog {
	uint32_t w[64];
	unsigned n;
};

static void put(struct prog *g, uint32_t insn)
{
	g->w[g->n++] = insn;
}

static uint32_t e_b(unsigned f3, unsigned rs1, unsigned rs2, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return ((u >> 12) & 1) << 31 | ((u >> 5) & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
	       ((u >> 1) & 0xf) << 8 | ((u >> 11) & 1) << 7 | 0x63;
}

static uint32_t e_amo(unsigned f5, unsigned f3, unsigned rd, unsigned rs1, unsigned rs2)
{
	return f5 << 27 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | OP_AMO;
}

static void put_exit(struct prog *g, int32_t code)
{
	put(g, e_i(OP_IMM, 10, 0, 0, code));
	put(g, 0x42455000u | 17u << 7 | 0x37); /* lui a7, EID_HI */
	put(g, e_i(OP_IMM, 17, 0, 17, EID_LO));
	put(g, I_ECALL);
}

enum how { AMOSWAP, FSW, FSD, SC };

static const uint32_t I_RET = 0x00008067u; /* jalr x0, 0(ra) */

/* addi s2, s2, k */
static uint32_t addi_s2(int32_t k)
{
	return e_i(OP_IMM, 18, 0, 18, k);
}

/* A hart with the translator, rv_jit_hot = hot, the FPU on. */
static struct harness *new_hart(unsigned hot)
{
	rv_jit_hot = hot;
	struct harness *h = h_new_accel(true);
	assert_non_null(h->v->jit);
	return h;
}

/* Run from pc until the program reports, without a fence.i between (h_step makes one
 * only before it starts). */
static void run(struct harness *h, uint64_t pc, const uint64_t *regs)
{
	struct prog trap = {.n = 0};

	put_exit(&trap, 1); /* a trap: the program failed */
	h_put(h, STVEC, trap.w, trap.n * 4);
	h_reset(h, pc, false);
	h->v->stvec = STVEC;
	h->v->mstatus |= 1ULL << 13; /* FS = initial */
	for (unsigned r = 1; r < 32; r++)
		h->v->x[r] = regs[r];
	h_step(h, 1000000);
	if (h->done != 1)
		print_error("sepc %#llx scause %#llx stval %#llx s2 %lld\n",
		            (unsigned long long)h->v->sepc, (unsigned long long)h->v->scause,
		            (unsigned long long)h->v->stval, (long long)h->v->x[18]);
	assert_int_equal(h->done, 1);
}

/* ITERS times: write `addi s2, s2, K` at T (K = 1, 2, ...) with `how`, call T. s2 must be
 * the sum of the Ks: each call runs the code just written. */
static void rewrite_and_call(enum how how, unsigned hot)
{
	struct harness *h = new_hart(hot);
	struct prog g = {.n = 0};

	/* s3 = the addi word (K = 1); s4 = T; s5 = ITERS; s6 = 1 << 20 (K += 1); s7 = s3 | ret
	 * << 32 (fsd writes both words) */
	unsigned loop = g.n;
	switch (how) {
	case AMOSWAP:
		put(&g, e_amo(0x01, 2, 0, 20, 19)); /* amoswap.w x0, s3, (s4) */
		break;
	case FSW:
		put(&g, e_r(OP_FP, 1, 0, 19, 0, 0x78)); /* fmv.w.x f1, s3 */
		put(&g, e_s(OP_FSTORE, 2, 20, 1, 0));   /* fsw f1, 0(s4) */
		break;
	case FSD:
		put(&g, e_r(OP_FP, 1, 0, 23, 0, 0x79)); /* fmv.d.x f1, s7 */
		put(&g, e_s(OP_FSTORE, 3, 20, 1, 0));   /* fsd f1, 0(s4) */
		put(&g, e_r(OP_OP, 23, 0, 23, 22, 0));  /* s7 += s6 */
		break;
	case SC: {
		unsigned again = g.n;
		put(&g, e_amo(0x02, 2, 5, 20, 0));                 /* lr.w t0, (s4) */
		put(&g, e_amo(0x03, 2, 6, 20, 19));                /* sc.w t1, s3, (s4) */
		put(&g, e_b(1, 6, 0, (int32_t)(again - g.n) * 4)); /* bnez t1, again */
		break;
	}
	}
	put(&g, e_i(0x67, 1, 0, 20, 0));                   /* jalr ra, 0(s4) */
	put(&g, e_r(OP_OP, 19, 0, 19, 22, 0));             /* s3 += s6 */
	put(&g, e_i(OP_IMM, 21, 0, 21, -1));               /* s5 -= 1 */
	put(&g, e_b(1, 21, 0, (int32_t)(loop - g.n) * 4)); /* bnez s5, loop */
	put_exit(&g, 0);
	h_put(h, PC0, g.w, g.n * 4);
	h_put32(h, T, addi_s2(100)); /* before the first write */
	h_put32(h, T + 4, I_RET);
	uint64_t regs[32] = {0};
	regs[19] = addi_s2(1);
	regs[20] = T;
	regs[21] = ITERS;
	regs[22] = 1u << 20;
	regs[23] = addi_s2(1) | (uint64_t)I_RET << 32;
	run(h, PC0, regs);
	assert_int_equal(h->v->x[18], ITERS * (ITERS + 1) / 2);
	h_free(h);
}

/* The block writes its own next instruction (`addi s2, s2, 100` becomes `addi s2, s2, 7`)
 * with `how`: the instruction that runs is the new one. */
static void rewrite_own_block(enum how how, unsigned hot)
{
	struct harness *h = new_hart(hot);
	struct prog g = {.n = 0};

	/* s3 = addi s2, s2, 7; t2 = the address of the placeholder */
	put(&g, e_i(OP_IMM, 18, 0, 0, 0));    /* s2 = 0 */
	put(&g, 0x00000397u);                 /* auipc t2, 0 */
	put(&g, e_i(OP_IMM, 7, 0, 7, 4 * 4)); /* t2 = the placeholder (index 5) */
	switch (how) {
	case AMOSWAP:
		put(&g, e_i(OP_IMM, 0, 0, 0, 0));  /* nop */
		put(&g, e_amo(0x01, 2, 0, 7, 19)); /* amoswap.w x0, s3, (t2) */
		break;
	case FSW:
		put(&g, e_r(OP_FP, 1, 0, 19, 0, 0x78)); /* fmv.w.x f1, s3 */
		put(&g, e_s(OP_FSTORE, 2, 7, 1, 0));    /* fsw f1, 0(t2) */
		break;
	case FSD: /* writes the placeholder and the nop after it */
		put(&g, e_r(OP_FP, 1, 0, 23, 0, 0x79)); /* fmv.d.x f1, s7 */
		put(&g, e_s(OP_FSTORE, 3, 7, 1, 0));    /* fsd f1, 0(t2) */
		break;
	case SC:
		put(&g, e_amo(0x02, 2, 5, 7, 0));  /* lr.w t0, (t2) */
		put(&g, e_amo(0x03, 2, 6, 7, 19)); /* sc.w t1, s3, (t2) */
		break;
	}
	assert_int_equal(g.n, 5);
	put(&g, addi_s2(100));            /* the placeholder (index 5) */
	put(&g, e_i(OP_IMM, 0, 0, 0, 0)); /* nop */
	put_exit(&g, 0);
	h_put(h, PC0, g.w, g.n * 4);
	uint64_t regs[32] = {0};
	regs[19] = addi_s2(7);
	regs[23] = addi_s2(7) | (uint64_t)e_i(OP_IMM, 0, 0, 0, 0) << 32;
	run(h, PC0, regs);
	if (how == SC) /* the reservation held: sc.w wrote (t1 = 0) */
		assert_int_equal(h->v->x[6], 0);
	assert_int_equal(h->v->x[18], 7);
	h_free(h);
}

#define CASE(name, how)                                                                            \
	static void test_call_##name(void **state)                                                 \
	{                                                                                          \
		(void)state;                                                                       \
		rewrite_and_call(how, 1);                                                          \
		rewrite_and_call(how, RV_JIT_HOT);                                                 \
	}                                                                                          \
	static void test_own_##name(void **state)                                                  \
	{                                                                                          \
		(void)state;                                                                       \
		rewrite_own_block(how, 1);                                                         \
		rewrite_own_block(how, RV_JIT_HOT);                                                \
	}
CASE(amoswap, AMOSWAP)
CASE(fsw, FSW)
CASE(fsd, FSD)
CASE(sc, SC)
#undef CASE

/* T (`addi s2, s2, K; ret`) has run on hart 0 only through the interpreter (not hot yet).
 * Hart 1 (its own translator, the same RAM and code map) stores a new K there with sw, and
 * then a "device" writes another (and says so, as virtq_push does): each time hart 0, with
 * no fence.i, runs the new code. */
static void test_other_writers_interpreted(void **state)
{
	struct harness *h = new_hart(RV_JIT_HOT);
	struct code_map *map = code_map_new(h->ram, H_RAM_SIZE);
	const uint64_t P0 = PC0, P1 = PC0 + 0x1000;
	struct prog g = {.n = 0};
	struct vcpu *v0, *v1;

	(void)state;
	vcpu_destroy(h->v);
	h->plat.code = map;
	v0 = h->v = vcpu_create(&h->plat, 0);
	v1 = vcpu_create(&h->plat, 1);
	h->v = v1;
	h_reset(h, P1, false);
	h->v = v0;
	h_reset(h, P0, false);
	put(&g, e_i(OP_IMM, 18, 0, 0, 0)); /* s2 = 0 */
	put(&g, e_i(0x67, 1, 0, 20, 0));   /* jalr ra, 0(s4) */
	put_exit(&g, 0);
	h_put(h, P0, g.w, g.n * 4);
	g.n = 0;
	put(&g, e_s(OP_STORE, 2, 20, 19, 0)); /* sw s3, 0(s4) */
	put_exit(&g, 0);
	h_put(h, P1, g.w, g.n * 4);
	h_put32(h, T, addi_s2(100));
	h_put32(h, T + 4, I_RET);
	v0->x[20] = v1->x[20] = T;
	v1->x[19] = addi_s2(1);

	assert_int_equal(h_run_no_fence(h, v0, P0), 1);
	assert_int_equal(v0->x[18], 100);
	assert_int_equal(h_run_no_fence(h, v1, P1), 1); /* hart 1 writes addi s2, s2, 1 */
	assert_int_equal(h_run_no_fence(h, v0, P0), 1);
	assert_int_equal(v0->x[18], 1);
	h_put32(h, T, addi_s2(7)); /* a device writes addi s2, s2, 7 */
	code_map_written(map, h->ram + (T - H_RAM_BASE), 4);
	assert_int_equal(h_run_no_fence(h, v0, P0), 1);
	assert_int_equal(v0->x[18], 7);

	vcpu_destroy(v1);
	h_free(h);
	code_map_free(map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_call_amoswap),
	    cmocka_unit_test(test_call_fsw),
	    cmocka_unit_test(test_call_fsd),
	    cmocka_unit_test(test_call_sc),
	    cmocka_unit_test(test_own_amoswap),
	    cmocka_unit_test(test_own_fsw),
	    cmocka_unit_test(test_own_fsd),
	    cmocka_unit_test(test_own_sc),
	    cmocka_unit_test(test_other_writers_interpreted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
