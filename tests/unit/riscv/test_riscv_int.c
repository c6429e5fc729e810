/* SPDX-License-Identifier: MIT */
/* Integer semantics of the RV64 interpreter: M extension edge cases, shifts, W forms,
 * loads/stores (sign extension, misaligned, page-crossing, MMIO), branches, AMOs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "enc.h"
#include "harness.h"

#define PC0 H_RAM_BASE

static int setup(void **state)
{
	struct harness *h = h_new();
	h_reset(h, PC0, false);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	h_free(*state);
	return 0;
}

/* Execute one instruction at PC0 with x[a]=va, x[b]=vb; return x[rd]. */
static uint64_t run_rr(struct harness *h, uint32_t insn, uint64_t va, uint64_t vb)
{
	h->v->pc = PC0;
	h->v->x[5] = va;
	h->v->x[6] = vb;
	h_put32(h, PC0, insn);
	h_step(h, 1);
	return h->v->x[7];
}

static uint64_t op(struct harness *h, unsigned f3, unsigned f7, uint64_t a, uint64_t b)
{
	return run_rr(h, e_r(OP_OP, 7, f3, 5, 6, f7), a, b);
}

static uint64_t op32(struct harness *h, unsigned f3, unsigned f7, uint64_t a, uint64_t b)
{
	return run_rr(h, e_r(OP_OP32, 7, f3, 5, 6, f7), a, b);
}

static void test_div_rem(void **state)
{
	struct harness *h = *state;
	const uint64_t min = 0x8000000000000000ULL;
	/* div */
	assert_int_equal(op(h, 4, 1, 7, 0), UINT64_MAX);
	assert_int_equal(op(h, 4, 1, min, (uint64_t)-1), min);
	assert_int_equal(op(h, 4, 1, (uint64_t)-7, 2), (uint64_t)-3);
	/* divu */
	assert_int_equal(op(h, 5, 1, 7, 0), UINT64_MAX);
	assert_int_equal(op(h, 5, 1, (uint64_t)-1, 2), 0x7fffffffffffffffULL);
	/* rem */
	assert_int_equal(op(h, 6, 1, 7, 0), 7);
	assert_int_equal(op(h, 6, 1, min, (uint64_t)-1), 0);
	assert_int_equal(op(h, 6, 1, (uint64_t)-7, 2), (uint64_t)-1);
	/* remu */
	assert_int_equal(op(h, 7, 1, 7, 0), 7);
	assert_int_equal(op(h, 7, 1, (uint64_t)-7, 2), 1);
	/* divw / divuw / remw / remuw */
	assert_int_equal(op32(h, 4, 1, 0x80000000ULL, (uint64_t)-1), 0xffffffff80000000ULL);
	assert_int_equal(op32(h, 4, 1, 5, 0), UINT64_MAX);
	assert_int_equal(op32(h, 5, 1, 5, 0), UINT64_MAX);
	assert_int_equal(op32(h, 5, 1, 0xfffffffeULL, 1), 0xfffffffffffffffeULL);
	assert_int_equal(op32(h, 6, 1, 0x80000000ULL, (uint64_t)-1), 0);
	assert_int_equal(op32(h, 6, 1, 0x12345678fffffff9ULL, 0), 0xfffffffffffffff9ULL);
	assert_int_equal(op32(h, 7, 1, 0x123456780000000fULL, 0), 0xf);
	assert_int_equal(op32(h, 7, 1, 0xfffffff9ULL, 0), 0xfffffffffffffff9ULL);
}

static void test_mul(void **state)
{
	struct harness *h = *state;
	assert_int_equal(op(h, 0, 1, 3, (uint64_t)-4), (uint64_t)-12);
	assert_int_equal(op(h, 1, 1, (uint64_t)-1, (uint64_t)-1), 0); /* mulh */
	assert_int_equal(op(h, 1, 1, 0x8000000000000000ULL, 0x8000000000000000ULL),
	                 0x4000000000000000ULL);
	assert_int_equal(op(h, 2, 1, (uint64_t)-1, (uint64_t)-1), UINT64_MAX); /* mulhsu */
	assert_int_equal(op(h, 2, 1, 2, (uint64_t)-1), 1);
	assert_int_equal(op(h, 3, 1, (uint64_t)-1, (uint64_t)-1), 0xfffffffffffffffeULL);
	assert_int_equal(op32(h, 0, 1, 0x10000, 0x10000), 0);
	assert_int_equal(op32(h, 0, 1, 0x7fffffff, 2), 0xfffffffffffffffeULL);
}

static void test_alu(void **state)
{
	struct harness *h = *state;
	assert_int_equal(op(h, 0, 0x20, 1, 2), UINT64_MAX); /* sub */
	assert_int_equal(op(h, 1, 0, 1, 65), 2);            /* sll uses 6 bits */
	assert_int_equal(op(h, 5, 0x20, 0x8000000000000000ULL, 63), UINT64_MAX); /* sra */
	assert_int_equal(op(h, 2, 0, (uint64_t)-1, 0), 1);                       /* slt */
	assert_int_equal(op(h, 3, 0, (uint64_t)-1, 0), 0);                       /* sltu */
	assert_int_equal(op32(h, 0, 0, 0x7fffffff, 1), 0xffffffff80000000ULL);   /* addw */
	assert_int_equal(op32(h, 1, 0, 1, 31), 0xffffffff80000000ULL);           /* sllw */
	assert_int_equal(op32(h, 5, 0, 0x80000000ULL, 33), 0x40000000);          /* srlw: 5 bits */
	assert_int_equal(op32(h, 5, 0x20, 0x80000000ULL, 4), 0xfffffffff8000000ULL);
	/* immediates */
	assert_int_equal(run_rr(h, e_i(OP_IMM, 7, 0, 5, -1), 5, 0), 4);
	assert_int_equal(run_rr(h, e_i(OP_IMM, 7, 3, 5, -1), 5, 0), 1); /* sltiu vs ~0 */
	assert_int_equal(run_rr(h, e_i(OP_IMM, 7, 5, 5, 0x400 | 63), (uint64_t)INT64_MIN, 0),
	                 UINT64_MAX); /* srai 63 */
	assert_int_equal(run_rr(h, e_i(OP_IMM32, 7, 0, 5, 1), 0x7fffffff, 0),
	                 0xffffffff80000000ULL); /* addiw */
	assert_int_equal(run_rr(h, e_i(OP_IMM32, 7, 5, 5, 0x400 | 31), 0x80000000ULL, 0),
	                 UINT64_MAX); /* sraiw */
	/* lui sign-extends on RV64 */
	assert_int_equal(run_rr(h, 0x800003b7u, 0, 0), 0xffffffff80000000ULL);
	/* writes to x0 are dropped */
	h->v->pc = PC0;
	h_put32(h, PC0, e_i(OP_IMM, 0, 0, 0, 5));
	h_step(h, 1);
	assert_int_equal(h->v->x[0], 0);
}

static void test_illegal(void **state)
{
	struct harness *h = *state;
	h->v->stvec = PC0 + 0x100;
	/* srai with bad funct, slli shamt >= 64 is fine, 0 is illegal, sllw with f7 set */
	uint32_t bad[] = {0,
	                  0xffffffffu,
	                  e_i(OP_IMM, 7, 5, 5, 0x200 | 1),
	                  e_r(OP_OP32, 7, 2, 5, 6, 0),
	                  e_r(OP_OP, 7, 0, 5, 6, 0x10),
	                  e_i(OP_IMM32, 7, 1, 5, 32),
	                  0x0000u /* c.illegal */};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		h->v->pc = PC0;
		rv_set_priv(h->v, RV_PRIV_S);
		h_put32(h, PC0, bad[i]);
		h_step(h, 1);
		assert_int_equal(h->v->scause, RV_EXC_ILLEGAL);
		assert_int_equal(h->v->pc, PC0 + 0x100);
		assert_int_equal(h->v->sepc, PC0);
	}
	/* stval holds the instruction bits */
	h->v->pc = PC0;
	rv_set_priv(h->v, RV_PRIV_S);
	h_put32(h, PC0, 0xffffffffu);
	h_step(h, 1);
	assert_int_equal(h->v->stval, 0xffffffffu);
}

static void test_load_store(void **state)
{
	struct harness *h = *state;
	uint64_t buf = PC0 + 0x1000;
	h_put64(h, buf, 0x8081828384858687ULL);
	assert_int_equal(run_rr(h, e_i(OP_LOAD, 7, 0, 5, 0), buf, 0), 0xffffffffffffff87ULL);
	assert_int_equal(run_rr(h, e_i(OP_LOAD, 7, 4, 5, 0), buf, 0), 0x87);
	assert_int_equal(run_rr(h, e_i(OP_LOAD, 7, 1, 5, 0), buf, 0), 0xffffffffffff8687ULL);
	assert_int_equal(run_rr(h, e_i(OP_LOAD, 7, 5, 5, 0), buf, 0), 0x8687);
	assert_int_equal(run_rr(h, e_i(OP_LOAD, 7, 2, 5, 4), buf, 0), 0xffffffff80818283ULL);
	assert_int_equal(run_rr(h, e_i(OP_LOAD, 7, 6, 5, 4), buf, 0), 0x80818283ULL);
	assert_int_equal(run_rr(h, e_i(OP_LOAD, 7, 3, 5, 0), buf, 0), 0x8081828384858687ULL);
	/* misaligned load, emulated */
	assert_int_equal(run_rr(h, e_i(OP_LOAD, 7, 6, 5, 1), buf, 0), 0x83848586ULL);
	/* store */
	run_rr(h, e_s(OP_STORE, 1, 5, 6, 2), buf, 0xaaaa);
	assert_int_equal(h_get64(h, buf), 0x80818283aaaa8687ULL);
	/* page-crossing misaligned store and load */
	uint64_t cross = PC0 + 0x1ffc;
	run_rr(h, e_s(OP_STORE, 3, 5, 6, 0), cross, 0x1122334455667788ULL);
	assert_int_equal(h_get64(h, cross), 0x1122334455667788ULL);
	assert_int_equal(run_rr(h, e_i(OP_LOAD, 7, 3, 5, 0), cross, 0), 0x1122334455667788ULL);
}

static void test_mmio_and_faults(void **state)
{
	struct harness *h = *state;
	h->v->stvec = PC0 + 0x100;
	/* store to the MMIO register, read it back */
	run_rr(h, e_s(OP_STORE, 2, 5, 6, 0), H_MMIO_BASE, 0xdeadbeef);
	assert_int_equal(h->mmio_writes, 1);
	assert_int_equal(run_rr(h, e_i(OP_LOAD, 7, 6, 5, 0), H_MMIO_BASE, 0), 0xdeadbeef);
	/* unmapped physical address: access fault with tval */
	h->v->pc = PC0;
	rv_set_priv(h->v, RV_PRIV_S);
	run_rr(h, e_i(OP_LOAD, 7, 3, 5, 0), 0x20000000, 0);
	assert_int_equal(h->v->scause, RV_EXC_LOAD_ACCESS);
	assert_int_equal(h->v->stval, 0x20000000);
	assert_int_equal(h->v->pc, PC0 + 0x100);
	rv_set_priv(h->v, RV_PRIV_S);
	run_rr(h, e_s(OP_STORE, 3, 5, 6, 0), 0xfffffffffffff000ULL, 0);
	assert_int_equal(h->v->scause, RV_EXC_STORE_ACCESS);
	/* beyond the end of RAM */
	rv_set_priv(h->v, RV_PRIV_S);
	run_rr(h, e_i(OP_LOAD, 7, 3, 5, 0), H_RAM_BASE + H_RAM_SIZE - 4, 0);
	assert_int_equal(h->v->scause, RV_EXC_LOAD_ACCESS);
	/* fetch from outside RAM */
	rv_set_priv(h->v, RV_PRIV_S);
	h->v->pc = 0x1000;
	h_step(h, 1);
	assert_int_equal(h->v->scause, RV_EXC_INSN_ACCESS);
	assert_int_equal(h->v->stval, 0x1000);
}

static void test_branches_jumps(void **state)
{
	struct harness *h = *state;
	/* jalr clears bit 0 and links */
	h->v->pc = PC0;
	h->v->x[5] = PC0 + 0x41;
	h_put32(h, PC0, e_i(0x67, 1, 0, 5, 0x10));
	h_step(h, 1);
	assert_int_equal(h->v->pc, PC0 + 0x50);
	assert_int_equal(h->v->x[1], PC0 + 4);
	/* bltu taken backwards: offset -8 */
	uint32_t blt = (1u << 31) | (0x3fu << 25) | 6u << 20 | 5u << 15 | 6u << 12 | 0xcu << 8 |
	               1u << 7 | 0x63;
	h->v->pc = PC0 + 8;
	h->v->x[5] = 1;
	h->v->x[6] = 2;
	h_put32(h, PC0 + 8, blt);
	h_step(h, 1);
	assert_int_equal(h->v->pc, PC0);
	/* compressed: c.li a0, -1 ; c.addi a0, 3 */
	h->v->pc = PC0;
	uint16_t c[2] = {0x557d, 0x050d};
	h_put(h, PC0, c, 4);
	h_step(h, 2);
	assert_int_equal(h->v->x[10], 2);
	assert_int_equal(h->v->pc, PC0 + 4);
}

static void test_amo(void **state)
{
	struct harness *h = *state;
	uint64_t a = PC0 + 0x2000;
	/* amoadd.d x7, x6, (x5) */
	h_put64(h, a, 40);
	assert_int_equal(run_rr(h, e_r(OP_AMO, 7, 3, 5, 6, 0x00 << 2), a, 2), 40);
	assert_int_equal(h_get64(h, a), 42);
	/* amomin.w sign semantics and sign extension of the result */
	h_put64(h, a, 0x00000000fffffffeULL);
	assert_int_equal(run_rr(h, e_r(OP_AMO, 7, 2, 5, 6, 0x10 << 2), a, 5),
	                 0xfffffffffffffffeULL);
	assert_int_equal(h_get64(h, a), 0xfffffffeULL);
	/* amomaxu.w */
	run_rr(h, e_r(OP_AMO, 7, 2, 5, 6, 0x1c << 2), a, 5);
	assert_int_equal(h_get64(h, a), 0xfffffffeULL);
	/* amoswap.d */
	assert_int_equal(run_rr(h, e_r(OP_AMO, 7, 3, 5, 6, 0x01 << 2), a, 9), 0xfffffffeULL);
	assert_int_equal(h_get64(h, a), 9);
	/* lr.d / sc.d success, then sc without reservation fails */
	run_rr(h, e_r(OP_AMO, 7, 3, 5, 0, 0x02 << 2), a, 0);
	assert_int_equal(h->v->x[7], 9);
	assert_int_equal(run_rr(h, e_r(OP_AMO, 7, 3, 5, 6, 0x03 << 2), a, 77), 0);
	assert_int_equal(h_get64(h, a), 77);
	assert_int_equal(run_rr(h, e_r(OP_AMO, 7, 3, 5, 6, 0x03 << 2), a, 78), 1);
	assert_int_equal(h_get64(h, a), 77);
	/* lr, intervening store of a different value, sc fails */
	run_rr(h, e_r(OP_AMO, 7, 3, 5, 0, 0x02 << 2), a, 0);
	h_put64(h, a, 5);
	assert_int_equal(run_rr(h, e_r(OP_AMO, 7, 3, 5, 6, 0x03 << 2), a, 1), 1);
	/* misaligned AMO: store/AMO address misaligned */
	h->v->stvec = PC0 + 0x100;
	rv_set_priv(h->v, RV_PRIV_S);
	run_rr(h, e_r(OP_AMO, 7, 3, 5, 6, 0), a + 4, 1);
	assert_int_equal(h->v->scause, RV_EXC_STORE_MISALIGNED);
	rv_set_priv(h->v, RV_PRIV_S);
	run_rr(h, e_r(OP_AMO, 7, 2, 5, 0, 0x02 << 2), a + 2, 1);
	assert_int_equal(h->v->scause, RV_EXC_LOAD_MISALIGNED);
	/* AMO on MMIO: access fault */
	rv_set_priv(h->v, RV_PRIV_S);
	run_rr(h, e_r(OP_AMO, 7, 3, 5, 6, 0), H_MMIO_BASE, 1);
	assert_int_equal(h->v->scause, RV_EXC_STORE_ACCESS);
}

/* Hostile guest: random code, random registers, random page tables, random CSR values.
 * Nothing may crash or touch host memory outside RAM (run under ASan). */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_random_code(void **state)
{
	struct harness *h = *state;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	const uint64_t span = 1u << 20; /* random code and data in the first MiB */

	for (uint64_t off = 0; off < span; off += 8)
		h_put64(h, H_RAM_BASE + off, rnd(&seed));
	for (int round = 0; round < 2000; round++) {
		struct vcpu *v = h->v;
		uint64_t r = rnd(&seed);
		for (unsigned i = 1; i < 32; i++) {
			uint64_t x = rnd(&seed);
			/* half the registers point into (or just around) RAM */
			if (x & 1)
				x = H_RAM_BASE + (x >> 8) % (H_RAM_SIZE + 0x2000) - 0x1000;
			v->x[i] = x;
		}
		v->mstatus |= 3ULL << 13;
		v->stvec = H_RAM_BASE + (rnd(&seed) % span);
		v->pc = (H_RAM_BASE + (rnd(&seed) % span)) & ~1ULL;
		/* sometimes paging with random tables, sometimes U-mode */
		v->satp = (r & 1) ? ((8ULL + ((r >> 1) & 1)) << 60) |
		                        ((H_RAM_BASE >> 12) + ((r >> 8) % 256))
		                  : 0;
		rv_tlb_flush(v);
		rv_set_priv(v, (r & 4) ? RV_PRIV_U : RV_PRIV_S);
		h_step(h, 5000);
		/* keep the hart in a sane privilege for the next round */
		rv_set_priv(v, RV_PRIV_S);
		__atomic_store_n(&v->async, 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&v->exit_why, 0, __ATOMIC_SEQ_CST);
	}
	print_message("# %llu random instructions executed\n",
	              (unsigned long long)vcpu_instret(h->v));
	assert_true(vcpu_instret(h->v) > 100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_div_rem, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mul, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alu, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_illegal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mmio_and_faults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_branches_jumps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_amo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_code, setup, teardown),
	};
	return cmocka_run_group_tests_name("riscv_int", tests, NULL, NULL);
}
