/* SPDX-License-Identifier: MIT */
/* CSR rules: privilege checks, read-only CSRs, WARL fields, satp modes, counters and
 * their enables, sstatus as a view of mstatus, sie/sip masking, FS gating, traps and
 * delegation, interrupt priority, xret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "enc.h"
#include "harness.h"

#define PC0  H_RAM_BASE
#define TVEC (H_RAM_BASE + 0x800)

static int setup(void **state)
{
	struct harness *h = h_new();
	h_reset(h, PC0, false);
	h->v->stvec = TVEC;
	*state = h;
	return 0;
}

static int setup_m(void **state)
{
	struct harness *h = h_new();
	h_reset(h, PC0, true);
	h->v->mtvec = TVEC + 0x100;
	h->v->stvec = TVEC;
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	h_free(*state);
	return 0;
}

/* Run one instruction at PC0 in `priv`; returns true when it did not trap. */
static bool exec_in(struct harness *h, unsigned priv, uint32_t insn)
{
	h->v->pc = PC0;
	rv_set_priv(h->v, priv);
	h->v->scause = h->v->mcause = 0xdead;
	h_put32(h, PC0, insn);
	h_step(h, 1);
	return h->v->pc == PC0 + 4;
}

static uint64_t csr_rd(struct harness *h, unsigned priv, unsigned csr, bool *ok)
{
	h->v->x[7] = 0xbad;
	*ok = exec_in(h, priv, e_csrrs(7, csr, 0));
	return h->v->x[7];
}

static bool csr_wr(struct harness *h, unsigned priv, unsigned csr, uint64_t val)
{
	h->v->x[6] = val;
	return exec_in(h, priv, e_csrrw(0, csr, 6));
}

static void test_privilege(void **state)
{
	struct harness *h = *state;
	bool ok;
	/* M CSR from S: illegal, scause 2, stval = instruction */
	csr_rd(h, RV_PRIV_S, 0x300, &ok);
	assert_false(ok);
	assert_int_equal(h->v->scause, RV_EXC_ILLEGAL);
	assert_int_equal(h->v->stval, e_csrrs(7, 0x300, 0));
	assert_int_equal(h->v->sepc, PC0);
	assert_int_equal(h->v->pc, TVEC);
	/* S CSR from U: illegal */
	csr_rd(h, RV_PRIV_U, 0x100, &ok);
	assert_false(ok);
	/* S CSR from S: fine */
	csr_rd(h, RV_PRIV_S, 0x100, &ok);
	assert_true(ok);
	/* unknown CSR */
	csr_rd(h, RV_PRIV_S, 0x5c0, &ok);
	assert_false(ok);
	/* read-only CSRs: writes are illegal, reads fine (csrrs with x0 does not write) */
	assert_false(csr_wr(h, RV_PRIV_S, 0xc01, 0));
	csr_rd(h, RV_PRIV_S, 0xc01, &ok);
	assert_true(ok);
	/* csrrs x0-source on a read-only CSR does not count as a write */
	assert_true(exec_in(h, RV_PRIV_S, e_csrrs(7, 0xc00, 0)));
	/* csrrc with a non-zero register is a write */
	h->v->x[6] = 1;
	assert_false(exec_in(h, RV_PRIV_S, e_csrrc(7, 0xc00, 6)));
	/* a trapping csr instruction leaves rd alone */
	h->v->x[7] = 77;
	assert_false(exec_in(h, RV_PRIV_S, e_csrrw(7, 0xc00, 6)));
	assert_int_equal(h->v->x[7], 77);
}

static void test_counters(void **state)
{
	struct harness *h = *state;
	bool ok;
	/* vcpu_start enables CY, TM, IR for S and U (mcounteren = scounteren = 7, as
	 * OpenSBI leaves them); U needs scounteren too */
	assert_int_equal(h->v->scounteren, 7);
	csr_rd(h, RV_PRIV_U, 0xc01, &ok);
	assert_true(ok);
	h->v->scounteren = 0;
	csr_rd(h, RV_PRIV_S, 0xc01, &ok);
	assert_true(ok);
	csr_rd(h, RV_PRIV_U, 0xc01, &ok);
	assert_false(ok);
	h->v->scounteren = 2;
	uint64_t t1 = csr_rd(h, RV_PRIV_U, 0xc01, &ok);
	assert_true(ok);
	uint64_t t2 = csr_rd(h, RV_PRIV_U, 0xc01, &ok);
	assert_true(t2 >= t1);
	csr_rd(h, RV_PRIV_U, 0xc00, &ok); /* cycle not enabled in scounteren */
	assert_false(ok);
	h->v->mcounteren = 0;
	csr_rd(h, RV_PRIV_S, 0xc02, &ok);
	assert_false(ok);
	/* stimecmp needs menvcfg.STCE and mcounteren.TM */
	csr_rd(h, RV_PRIV_S, 0x14d, &ok);
	assert_false(ok);
	h->v->mcounteren = 2;
	csr_rd(h, RV_PRIV_S, 0x14d, &ok);
	assert_true(ok);
	h->v->menvcfg = 0;
	csr_rd(h, RV_PRIV_S, 0x14d, &ok);
	assert_false(ok);
}

static void test_satp(void **state)
{
	struct harness *h = *state;
	uint64_t val;
	uint64_t sv39 = (8ULL << 60) | 0x80123;
	rv_set_priv(h->v, RV_PRIV_S);
	assert_int_equal(rv_csr_write(h->v, 0x180, sv39), 0);
	assert_int_equal(rv_csr_read(h->v, 0x180, &val), 0);
	assert_int_equal(val, sv39);
	/* Sv57 (10), Sv64 (11) and reserved modes leave satp unchanged */
	assert_int_equal(rv_csr_write(h->v, 0x180, (10ULL << 60) | 5), 0);
	rv_csr_read(h->v, 0x180, &val);
	assert_int_equal(val, sv39);
	assert_int_equal(rv_csr_write(h->v, 0x180, (1ULL << 60) | 5), 0);
	rv_csr_read(h->v, 0x180, &val);
	assert_int_equal(val, sv39);
	/* Sv48 accepted; ASID is WARL zero (ASIDLEN = 0) */
	rv_csr_write(h->v, 0x180, (9ULL << 60) | (0xffffULL << 44) | 0x80555);
	rv_csr_read(h->v, 0x180, &val);
	assert_int_equal(val, (9ULL << 60) | 0x80555);
	rv_csr_write(h->v, 0x180, 0);
	rv_csr_read(h->v, 0x180, &val);
	assert_int_equal(val, 0);
	/* TVM traps satp and sfence.vma in S */
	h->v->mstatus |= RV_MSTATUS_TVM;
	assert_false(csr_wr(h, RV_PRIV_S, 0x180, 0));
	assert_false(exec_in(h, RV_PRIV_S, 0x12000073u));
	h->v->mstatus &= ~RV_MSTATUS_TVM;
	assert_true(exec_in(h, RV_PRIV_S, 0x12000073u));
	assert_true(csr_wr(h, RV_PRIV_S, 0x180, 0));
	/* sfence.vma from U is illegal */
	assert_false(exec_in(h, RV_PRIV_U, 0x12000073u));
}

static void test_sstatus_view(void **state)
{
	struct harness *h = *state;
	bool ok;
	/* sstatus writes only reach S fields */
	assert_true(csr_wr(h, RV_PRIV_S, 0x100, ~0ULL));
	uint64_t s = csr_rd(h, RV_PRIV_S, 0x100, &ok);
	assert_int_equal(h->v->mstatus & (RV_MSTATUS_MIE | RV_MSTATUS_MPP | RV_MSTATUS_TVM), 0);
	assert_true(s & RV_MSTATUS_SUM);
	assert_true(s & RV_MSTATUS_MXR);
	assert_true(s & RV_MSTATUS_SD);     /* FS dirty */
	assert_int_equal((s >> 32) & 3, 2); /* UXL = 64 */
	assert_int_equal(s & RV_MSTATUS_MIE, 0);
	/* sie/sip only show delegated bits; sip only SSIP writable */
	assert_true(csr_wr(h, RV_PRIV_S, 0x104, ~0ULL));
	assert_int_equal(csr_rd(h, RV_PRIV_S, 0x104, &ok), 0x222);
	assert_true(csr_wr(h, RV_PRIV_S, 0x144, ~0ULL));
	assert_int_equal(csr_rd(h, RV_PRIV_S, 0x144, &ok), 0x2);
	vcpu_set_irq(h->v, VCPU_IRQ_SEIP, true);
	assert_int_equal(csr_rd(h, RV_PRIV_S, 0x144, &ok), 0x202);
	vcpu_set_irq(h->v, VCPU_IRQ_SEIP, false);
	assert_true(csr_wr(h, RV_PRIV_S, 0x144, 0));
	assert_int_equal(csr_rd(h, RV_PRIV_S, 0x144, &ok), 0);
	/* stvec: mode 2/3 reserved, bit 1 dropped */
	assert_true(csr_wr(h, RV_PRIV_S, 0x105, 0x80001003));
	assert_int_equal(csr_rd(h, RV_PRIV_S, 0x105, &ok), 0x80001001);
	/* sepc bit 0 is zero */
	assert_true(csr_wr(h, RV_PRIV_S, 0x141, 0x80001003));
	assert_int_equal(csr_rd(h, RV_PRIV_S, 0x141, &ok), 0x80001002);
}

static void test_fs(void **state)
{
	struct harness *h = *state;
	bool ok;
	h->v->mstatus &= ~RV_MSTATUS_FS;
	csr_rd(h, RV_PRIV_S, 0x003, &ok); /* fcsr with FS off */
	assert_false(ok);
	h->v->mstatus |= 1ULL << 13; /* Initial */
	assert_true(csr_wr(h, RV_PRIV_S, 0x003, 0xff));
	assert_int_equal(csr_rd(h, RV_PRIV_S, 0x001, &ok), 0x1f);
	assert_int_equal(csr_rd(h, RV_PRIV_S, 0x002, &ok), 7);
	assert_int_equal((h->v->mstatus >> 13) & 3, 3); /* dirty */
}

static void test_mmode_csrs(void **state)
{
	struct harness *h = *state;
	bool ok;
	assert_int_equal(csr_rd(h, RV_PRIV_M, 0xf14, &ok), 0);
	assert_true(ok);
	assert_false(csr_wr(h, RV_PRIV_M, 0xf11, 1)); /* mvendorid is read-only */
	assert_true(csr_wr(h, RV_PRIV_M, 0x301, 0));  /* misa WARL: ignored */
	assert_int_equal(csr_rd(h, RV_PRIV_M, 0x301, &ok) >> 62, 2);
	assert_true(csr_wr(h, RV_PRIV_M, 0x303, ~0ULL));
	assert_int_equal(csr_rd(h, RV_PRIV_M, 0x303, &ok), 0x222);
	assert_true(csr_wr(h, RV_PRIV_M, 0x302, ~0ULL));
	assert_int_equal(csr_rd(h, RV_PRIV_M, 0x302, &ok), 0xb3ff);
	assert_true(csr_wr(h, RV_PRIV_M, 0x3a0, 0x1f)); /* pmpcfg0 */
	assert_int_equal(csr_rd(h, RV_PRIV_M, 0x3a0, &ok), 0);
	assert_true(csr_wr(h, RV_PRIV_M, 0x3b0, 0x1f)); /* pmpaddr0 */
	csr_rd(h, RV_PRIV_M, 0xb00, &ok);               /* mcycle */
	assert_true(ok);
	csr_rd(h, RV_PRIV_M, 0x30a, &ok); /* menvcfg */
	assert_true(ok);
}

static void test_traps_delegation(void **state)
{
	struct harness *h = *state;
	/* nothing delegated: U ecall goes to M */
	assert_false(exec_in(h, RV_PRIV_U, I_ECALL));
	assert_int_equal(h->v->mcause, RV_EXC_ECALL_U);
	assert_int_equal(h->v->mepc, PC0);
	assert_int_equal(h->v->priv, RV_PRIV_M);
	assert_int_equal((h->v->mstatus >> 11) & 3, RV_PRIV_U);
	/* delegate ecall-from-U: goes to S, SPP = U, SPIE = old SIE */
	h->v->medeleg = 1u << RV_EXC_ECALL_U;
	h->v->mstatus |= RV_MSTATUS_SIE;
	assert_false(exec_in(h, RV_PRIV_U, I_ECALL));
	assert_int_equal(h->v->scause, RV_EXC_ECALL_U);
	assert_int_equal(h->v->pc, TVEC);
	assert_int_equal(h->v->priv, RV_PRIV_S);
	assert_int_equal(h->v->mstatus & RV_MSTATUS_SPP, 0);
	assert_true(h->v->mstatus & RV_MSTATUS_SPIE);
	assert_false(h->v->mstatus & RV_MSTATUS_SIE);
	/* sret restores */
	h->v->sepc = PC0 + 0x40;
	exec_in(h, RV_PRIV_S, I_SRET);
	assert_int_equal(h->v->pc, PC0 + 0x40);
	assert_int_equal(h->v->priv, RV_PRIV_U);
	assert_true(h->v->mstatus & RV_MSTATUS_SIE);
	/* sret in U is illegal; mret in S is illegal */
	assert_false(exec_in(h, RV_PRIV_U, I_SRET));
	assert_int_equal(h->v->mcause, RV_EXC_ILLEGAL);
	assert_false(exec_in(h, RV_PRIV_S, I_MRET));
	assert_int_equal(h->v->mcause, RV_EXC_ILLEGAL);
	/* a delegated exception taken in M stays in M */
	h->v->medeleg = 1u << RV_EXC_ILLEGAL;
	assert_false(exec_in(h, RV_PRIV_M, 0xffffffffu));
	assert_int_equal(h->v->mcause, RV_EXC_ILLEGAL);
	assert_int_equal(h->v->priv, RV_PRIV_M);
	/* ebreak: tval = pc */
	assert_false(exec_in(h, RV_PRIV_M, I_EBREAK));
	assert_int_equal(h->v->mcause, RV_EXC_BREAKPOINT);
	assert_int_equal(h->v->mtval, PC0);
	/* wfi in U traps; with TW in S traps */
	h->v->medeleg = 0;
	assert_false(exec_in(h, RV_PRIV_U, I_WFI));
	h->v->mstatus |= RV_MSTATUS_TW;
	assert_false(exec_in(h, RV_PRIV_S, I_WFI));
	assert_int_equal(h->v->mcause, RV_EXC_ILLEGAL);
}

static void test_interrupts(void **state)
{
	struct harness *h = *state;
	/* S-mode with SIE: pending SSI+STI+SEI, all enabled: SEI first, then SSI, then STI */
	h->v->mideleg = RV_S_INTS;
	h->v->mie = RV_S_INTS;
	rv_set_priv(h->v, RV_PRIV_S);
	h->v->mstatus |= RV_MSTATUS_SIE;
	vcpu_set_irq(h->v, VCPU_IRQ_SEIP, true);
	vcpu_set_irq(h->v, VCPU_IRQ_SSIP, true);
	vcpu_set_irq(h->v, VCPU_IRQ_STIP, true);
	h->v->pc = PC0;
	assert_true(rv_check_interrupts(h->v));
	assert_int_equal(h->v->scause, RV_CAUSE_INTR | 9);
	assert_int_equal(h->v->sepc, PC0);
	/* SIE now clear: nothing taken in S */
	assert_false(rv_check_interrupts(h->v));
	/* from U, S interrupts are taken regardless of SIE */
	vcpu_set_irq(h->v, VCPU_IRQ_SEIP, false);
	rv_set_priv(h->v, RV_PRIV_U);
	assert_true(rv_check_interrupts(h->v));
	assert_int_equal(h->v->scause, RV_CAUSE_INTR | 1);
	vcpu_set_irq(h->v, VCPU_IRQ_SSIP, false);
	rv_set_priv(h->v, RV_PRIV_U);
	assert_true(rv_check_interrupts(h->v));
	assert_int_equal(h->v->scause, RV_CAUSE_INTR | 5);
	/* vectored stvec: pc = base + 4 * cause */
	h->v->stvec = TVEC | 1;
	rv_set_priv(h->v, RV_PRIV_U);
	assert_true(rv_check_interrupts(h->v));
	assert_int_equal(h->v->pc, TVEC + 4 * 5);
	/* M-level interrupt (not delegable) beats S ones and goes to M (when M code exists) */
	h->v->sbi_emulated = false;
	h->v->mie |= RV_MIP_MTIP;
	vcpu_set_irq(h->v, VCPU_IRQ_MTIP, true);
	rv_set_priv(h->v, RV_PRIV_S);
	assert_true(rv_check_interrupts(h->v));
	assert_int_equal(h->v->mcause, RV_CAUSE_INTR | 7);
	assert_int_equal(h->v->priv, RV_PRIV_M);
	/* in M with MIE clear nothing is taken */
	assert_false(rv_check_interrupts(h->v));
	vcpu_set_irq(h->v, VCPU_IRQ_MTIP, false);
	vcpu_set_irq(h->v, VCPU_IRQ_STIP, false);
}

static void test_timer(void **state)
{
	struct harness *h = *state;
	/* Sstc: stimecmp in the past raises STIP, in the future clears it */
	h->v->stimecmp = 0;
	rv_update_timer(h->v);
	assert_true(rv_mip(h->v) & RV_MIP_STIP);
	h->v->stimecmp = UINT64_MAX;
	rv_update_timer(h->v);
	assert_false(rv_mip(h->v) & RV_MIP_STIP);
	/* SBI set_timer */
	vcpu_set_timer(h->v, 0);
	assert_true(rv_mip(h->v) & RV_MIP_STIP);
	vcpu_set_timer(h->v, UINT64_MAX);
	assert_false(rv_mip(h->v) & RV_MIP_STIP);
	/* wfi returns once the deadline passes (about 2 ms) */
	h->v->mie = RV_MIP_STIP;
	vcpu_set_timer(h->v, h->plat.time(h) + 20000);
	rv_wfi(h->v);
	assert_true(rv_mip(h->v) & RV_MIP_STIP);
	assert_true(h->plat.time(h) >= h->v->sbi_timer);
}

static void test_ecall_sbi(void **state)
{
	struct harness *h = *state;
	/* S ecall is served by the platform and resumes at pc + 4 in S */
	h->v->x[17] = 1;
	h->v->x[10] = 'x';
	assert_true(exec_in(h, RV_PRIV_S, I_ECALL));
	assert_int_equal(h->sbi_calls, 1);
	assert_int_equal(h->out[0], 'x');
	assert_int_equal(h->v->priv, RV_PRIV_S);
	/* U ecall is delegated to S by default */
	assert_false(exec_in(h, RV_PRIV_U, I_ECALL));
	assert_int_equal(h->v->scause, RV_EXC_ECALL_U);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_privilege, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_satp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sstatus_view, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mmode_csrs, setup_m, teardown),
	    cmocka_unit_test_setup_teardown(test_traps_delegation, setup_m, teardown),
	    cmocka_unit_test_setup_teardown(test_interrupts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ecall_sbi, setup, teardown),
	};
	return cmocka_run_group_tests_name("riscv_csr", tests, NULL, NULL);
}
