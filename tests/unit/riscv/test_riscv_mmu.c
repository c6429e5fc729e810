/* SPDX-License-Identifier: MIT */
/* Sv39/Sv48 translation: fault causes for fetch/load/store, A/D updates, superpages and
 * misaligned superpages, U/SUM/MXR, reserved encodings, and the software TLB's behaviour
 * across SUM and privilege changes and flushes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "enc.h"
#include "harness.h"

#define V_ (1ULL << 0)
#define R_ (1ULL << 1)
#define W_ (1ULL << 2)
#define X_ (1ULL << 3)
#define U_ (1ULL << 4)
#define A_ (1ULL << 6)
#define D_ (1ULL << 7)

#define ROOT (H_RAM_BASE + 0x100000)
#define L1   (H_RAM_BASE + 0x101000)
#define L0   (H_RAM_BASE + 0x102000)

static uint64_t pte(uint64_t pa, uint64_t flags)
{
	return (pa >> 12) << 10 | flags;
}

static int setup(void **state)
{
	struct harness *h = h_new();
	h_reset(h, H_RAM_BASE, false);
	/* root[0] -> L1, L1[0] -> L0 */
	h_put64(h, ROOT, pte(L1, V_));
	h_put64(h, L1, pte(L0, V_));
	h->v->satp = (8ULL << 60) | (ROOT >> 12);
	rv_tlb_flush(h->v);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	h_free(*state);
	return 0;
}

static int tr(struct harness *h, unsigned priv, uint64_t va, int acc, uint64_t *pa)
{
	rv_set_priv(h->v, priv);
	return rv_translate(h->v, va, acc, pa);
}

static void test_fault_causes(void **state)
{
	struct harness *h = *state;
	uint64_t pa;
	/* unmapped (L0[5] invalid) */
	assert_int_equal(tr(h, RV_PRIV_S, 0x5000, RV_ACC_X, &pa), RV_EXC_INSN_PAGE);
	assert_int_equal(tr(h, RV_PRIV_S, 0x5000, RV_ACC_R, &pa), RV_EXC_LOAD_PAGE);
	assert_int_equal(tr(h, RV_PRIV_S, 0x5000, RV_ACC_W, &pa), RV_EXC_STORE_PAGE);
	/* W without R is reserved, also W|X without R */
	h_put64(h, L0 + 5 * 8, pte(H_RAM_BASE + 0x200000, V_ | W_ | A_ | D_));
	assert_int_equal(tr(h, RV_PRIV_S, 0x5000, RV_ACC_W, &pa), RV_EXC_STORE_PAGE);
	h_put64(h, L0 + 5 * 8, pte(H_RAM_BASE + 0x200000, V_ | W_ | X_ | A_ | D_));
	assert_int_equal(tr(h, RV_PRIV_S, 0x5000, RV_ACC_X, &pa), RV_EXC_INSN_PAGE);
	/* reserved high bits (PBMT / N without the extensions) */
	h_put64(h, L0 + 5 * 8, pte(H_RAM_BASE + 0x200000, V_ | R_ | A_) | (1ULL << 61));
	assert_int_equal(tr(h, RV_PRIV_S, 0x5000, RV_ACC_R, &pa), RV_EXC_LOAD_PAGE);
	/* a leaf-less walk ending at level 0 with a pointer */
	h_put64(h, L0 + 5 * 8, pte(L0, V_));
	assert_int_equal(tr(h, RV_PRIV_S, 0x5000, RV_ACC_R, &pa), RV_EXC_LOAD_PAGE);
	/* page table outside RAM: access fault of the access's kind */
	h_put64(h, L1 + 1 * 8, pte(0x10000000, V_));
	assert_int_equal(tr(h, RV_PRIV_S, 0x200000, RV_ACC_R, &pa), RV_EXC_LOAD_ACCESS);
	assert_int_equal(tr(h, RV_PRIV_S, 0x200000, RV_ACC_W, &pa), RV_EXC_STORE_ACCESS);
	assert_int_equal(tr(h, RV_PRIV_S, 0x200000, RV_ACC_X, &pa), RV_EXC_INSN_ACCESS);
	/* non-canonical Sv39 address */
	assert_int_equal(tr(h, RV_PRIV_S, 1ULL << 39, RV_ACC_R, &pa), RV_EXC_LOAD_PAGE);
	assert_int_equal(tr(h, RV_PRIV_S, 0xffffffc000000000ULL, RV_ACC_R, &pa),
	                 RV_EXC_LOAD_PAGE); /* canonical but unmapped root[256] */
	/* M-mode and bare: identity */
	assert_int_equal(tr(h, RV_PRIV_M, 0x1234, RV_ACC_R, &pa), 0);
	assert_int_equal(pa, 0x1234);
	h->v->satp = 0;
	assert_int_equal(tr(h, RV_PRIV_S, 0x5678, RV_ACC_W, &pa), 0);
	assert_int_equal(pa, 0x5678);
}

static void test_accessed_dirty(void **state)
{
	struct harness *h = *state;
	uint64_t pa;
	h_put64(h, L0 + 6 * 8, pte(H_RAM_BASE + 0x200000, V_ | R_ | W_));
	assert_int_equal(tr(h, RV_PRIV_S, 0x6123, RV_ACC_R, &pa), 0);
	assert_int_equal(pa, H_RAM_BASE + 0x200123);
	assert_int_equal(h_get64(h, L0 + 6 * 8) & (A_ | D_), A_);
	assert_int_equal(tr(h, RV_PRIV_S, 0x6123, RV_ACC_W, &pa), 0);
	assert_int_equal(h_get64(h, L0 + 6 * 8) & (A_ | D_), A_ | D_);
	/* through the interpreter: a load fills the load TLB; a store must still set D */
	h_put64(h, L0 + 7 * 8, pte(H_RAM_BASE + 0x201000, V_ | R_ | W_ | X_));
	h_put64(h, L0 + 8 * 8, pte(H_RAM_BASE, V_ | R_ | X_ | A_)); /* code page at VA 0x8000 */
	h_put32(h, H_RAM_BASE + 0, e_i(OP_LOAD, 7, 3, 5, 0));
	h_put32(h, H_RAM_BASE + 4, e_s(OP_STORE, 3, 5, 6, 0));
	h->v->x[5] = 0x7010;
	h->v->x[6] = 99;
	h->v->pc = 0x8000;
	rv_set_priv(h->v, RV_PRIV_S);
	h_step(h, 1);
	assert_int_equal(h->v->pc, 0x8004);
	assert_int_equal(h_get64(h, L0 + 7 * 8) & (A_ | D_), A_);
	h_step(h, 1);
	assert_int_equal(h->v->pc, 0x8008);
	assert_int_equal(h_get64(h, L0 + 7 * 8) & (A_ | D_), A_ | D_);
	assert_int_equal(h_get64(h, H_RAM_BASE + 0x201010), 99);
	/* the fetch set A on the code page, and no D */
	assert_int_equal(h_get64(h, L0 + 8 * 8) & (A_ | D_), A_);
}

static void test_superpages(void **state)
{
	struct harness *h = *state;
	uint64_t pa;
	/* 2 MiB at VA 0x400000 -> PA base + 0x400000 */
	h_put64(h, L1 + 2 * 8, pte(H_RAM_BASE + 0x400000, V_ | R_ | W_ | A_ | D_));
	assert_int_equal(tr(h, RV_PRIV_S, 0x4abcde, RV_ACC_R, &pa), 0);
	assert_int_equal(pa, H_RAM_BASE + 0x4abcde);
	/* misaligned 2 MiB */
	h_put64(h, L1 + 3 * 8, pte(H_RAM_BASE + 0x401000, V_ | R_ | W_ | A_ | D_));
	assert_int_equal(tr(h, RV_PRIV_S, 0x600000, RV_ACC_W, &pa), RV_EXC_STORE_PAGE);
	/* 1 GiB at VA 0x80000000 (root[2]) */
	h_put64(h, ROOT + 2 * 8, pte(H_RAM_BASE, V_ | R_ | X_ | A_));
	assert_int_equal(tr(h, RV_PRIV_S, 0x87654321, RV_ACC_X, &pa), 0);
	assert_int_equal(pa, 0x87654321);
	/* misaligned 1 GiB */
	h_put64(h, ROOT + 3 * 8, pte(H_RAM_BASE + 0x200000, V_ | R_ | A_));
	assert_int_equal(tr(h, RV_PRIV_S, 0xc0000000, RV_ACC_R, &pa), RV_EXC_LOAD_PAGE);
	/* Sv48: 512 GiB page at VA 512G -> PA 0; misaligned one at 1T */
	uint64_t root48 = H_RAM_BASE + 0x103000;
	h_put64(h, root48, pte(ROOT, V_));
	h_put64(h, root48 + 8, pte(0, V_ | R_ | W_ | A_ | D_));
	h_put64(h, root48 + 16, pte(H_RAM_BASE, V_ | R_ | W_ | A_ | D_));
	h->v->satp = (9ULL << 60) | (root48 >> 12);
	assert_int_equal(tr(h, RV_PRIV_S, (512ULL << 30) + 0x80001234, RV_ACC_R, &pa), 0);
	assert_int_equal(pa, 0x80001234);
	assert_int_equal(tr(h, RV_PRIV_S, 1024ULL << 30, RV_ACC_R, &pa), RV_EXC_LOAD_PAGE);
	/* Sv48 walks the Sv39 tables below root48[0] */
	assert_int_equal(tr(h, RV_PRIV_S, 0x4abcde, RV_ACC_R, &pa), 0);
	assert_int_equal(pa, H_RAM_BASE + 0x4abcde);
	/* Sv48 non-canonical */
	assert_int_equal(tr(h, RV_PRIV_S, 1ULL << 47, RV_ACC_R, &pa), RV_EXC_LOAD_PAGE);
}

static void test_permissions(void **state)
{
	struct harness *h = *state;
	uint64_t pa;
	h_put64(h, L0 + 1 * 8, pte(H_RAM_BASE + 0x200000, V_ | R_ | W_ | U_ | A_ | D_));
	h_put64(h, L0 + 2 * 8, pte(H_RAM_BASE + 0x201000, V_ | X_ | U_ | A_));
	h_put64(h, L0 + 3 * 8, pte(H_RAM_BASE + 0x202000, V_ | R_ | X_ | A_));
	h_put64(h, L0 + 4 * 8, pte(H_RAM_BASE + 0x203000, V_ | R_ | A_));
	/* U page: U may access; S only with SUM and never execute */
	assert_int_equal(tr(h, RV_PRIV_U, 0x1000, RV_ACC_W, &pa), 0);
	assert_int_equal(tr(h, RV_PRIV_S, 0x1000, RV_ACC_R, &pa), RV_EXC_LOAD_PAGE);
	h->v->mstatus |= RV_MSTATUS_SUM;
	assert_int_equal(tr(h, RV_PRIV_S, 0x1000, RV_ACC_R, &pa), 0);
	assert_int_equal(tr(h, RV_PRIV_S, 0x1000, RV_ACC_W, &pa), 0);
	assert_int_equal(tr(h, RV_PRIV_S, 0x2000, RV_ACC_X, &pa), RV_EXC_INSN_PAGE);
	h->v->mstatus &= ~RV_MSTATUS_SUM;
	/* S page from U */
	assert_int_equal(tr(h, RV_PRIV_U, 0x3000, RV_ACC_R, &pa), RV_EXC_LOAD_PAGE);
	assert_int_equal(tr(h, RV_PRIV_U, 0x3000, RV_ACC_X, &pa), RV_EXC_INSN_PAGE);
	/* X-only: readable with MXR */
	assert_int_equal(tr(h, RV_PRIV_U, 0x2000, RV_ACC_R, &pa), RV_EXC_LOAD_PAGE);
	h->v->mstatus |= RV_MSTATUS_MXR;
	assert_int_equal(tr(h, RV_PRIV_U, 0x2000, RV_ACC_R, &pa), 0);
	assert_int_equal(tr(h, RV_PRIV_U, 0x2000, RV_ACC_W, &pa), RV_EXC_STORE_PAGE);
	h->v->mstatus &= ~RV_MSTATUS_MXR;
	/* read-only */
	assert_int_equal(tr(h, RV_PRIV_S, 0x4000, RV_ACC_W, &pa), RV_EXC_STORE_PAGE);
	assert_int_equal(tr(h, RV_PRIV_S, 0x4000, RV_ACC_X, &pa), RV_EXC_INSN_PAGE);
}

/* The TLB must not leak permissions across SUM or privilege changes. */
static void test_tlb_contexts(void **state)
{
	struct harness *h = *state;
	uint64_t val;
	h_put64(h, L0 + 1 * 8, pte(H_RAM_BASE + 0x200000, V_ | R_ | W_ | U_ | A_ | D_));
	h_put64(h, H_RAM_BASE + 0x200000, 0x1111);
	h->v->stvec = 0x80000800;
	/* S with SUM loads through the TLB */
	h->v->mstatus |= RV_MSTATUS_SUM;
	rv_set_priv(h->v, RV_PRIV_S);
	h->v->pc = 0x80000000; /* not translated (fault would show in scause) */
	assert_int_equal(rv_load(h->v, 0x1000, 8, &val), 0);
	assert_int_equal(val, 0x1111);
	/* clear SUM through the CSR path: the same load now faults */
	rv_csr_write(h->v, 0x100, h->v->mstatus & ~RV_MSTATUS_SUM);
	assert_int_equal(rv_load(h->v, 0x1000, 8, &val), -1);
	assert_int_equal(h->v->scause, RV_EXC_LOAD_PAGE);
	/* U can still read it */
	rv_set_priv(h->v, RV_PRIV_U);
	assert_int_equal(rv_load(h->v, 0x1000, 8, &val), 0);
	/* a PTE change is seen after a flush */
	h_put64(h, L0 + 1 * 8, 0);
	rv_tlb_flush_page(h->v, 0x1000);
	assert_int_equal(rv_load(h->v, 0x1000, 8, &val), -1);
	assert_int_equal(h->v->scause, RV_EXC_LOAD_PAGE);
	/* vcpu_flush_tlb from another thread is applied by the hart loop */
	vcpu_flush_tlb(h->v);
	assert_true(__atomic_load_n(&h->v->async, __ATOMIC_SEQ_CST) & RV_ASYNC_TLB);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fault_causes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_accessed_dirty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_superpages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tlb_contexts, setup, teardown),
	};
	return cmocka_run_group_tests_name("riscv_mmu", tests, NULL, NULL);
}
