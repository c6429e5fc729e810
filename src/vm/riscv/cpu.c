/* SPDX-License-Identifier: MIT */
/* RV64GC interpreter: the vcpu_* contract of src/vm/cpu.h, the hart loop, traps,
 * interrupts, timers and HSM state. The instruction engine is in exec.c, CSRs and SYSTEM
 * instructions in csr.c, the MMU and memory slow paths in mmu.c, F and D in fpu.c. */
#include "riscv.h"
#include "vm/snapstate.h"

#include "util.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Instructions run between two checks of the timers and interrupts: the interpreter's, and
 * the translator's (whose chains of blocks run up to 16384 before they come back, jit.c's
 * JIT_CHAIN_LIMIT; fewer trips through clock_gettime) */
#define RV_BLOCK     4096
#define RV_JIT_BLOCK 16384

static uint64_t rv_misa(void)
{
	/* RV64 IMAFDC + S + U */
	return (2ULL << 62) | (1u << 0) | (1u << 2) | (1u << 3) | (1u << 5) | (1u << 8) |
	       (1u << 12) | (1u << 18) | (1u << 20);
}

struct vcpu *vcpu_create(const struct vcpu_platform *p, unsigned hartid)
{
	struct vcpu *v;
	pthread_condattr_t ca;

	v = xmalloc0(sizeof(*v));
	/* (a translating hart decodes only code that has not run often yet: RV_BCACHE_JIT) */
	v->bcache_mask = (p->jit ? RV_BCACHE_JIT : RV_BCACHE_SIZE) - 1;
	v->bcache = xmalloc0(sizeof(*v->bcache) * (v->bcache_mask + 1));
	v->icache_gen = 1;
	v->p = *p;
	v->hartid = hartid;
	v->misa = rv_misa();
	v->hsm = 1;
	v->sbi_timer = UINT64_MAX;
	v->stimecmp = UINT64_MAX;
	v->priv = RV_PRIV_M;
	v->mstatus = (2ULL << 32) | (2ULL << 34);
	pthread_mutex_init(&v->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&v->cond, &ca);
	pthread_condattr_destroy(&ca);
	rv_set_priv(v, RV_PRIV_M);
	rv_tlb_reset(v);
	if (p->jit) {
		v->jit = rv_jit_create(v);
		if (v->jit == NULL) /* no code buffer (memfd, mmap): the interpreter runs */
			fprintf(stderr, "berth vm: hart %u: no translator (%s), interpreting\n",
			        hartid, strerror(errno));
	}
	return v;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v == NULL)
		return;
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	rv_jit_free(v->jit);
	free(v->bcache);
	free(v);
}

static void rv_poke(struct vcpu *v, uint32_t bits)
{
	__atomic_fetch_or(&v->async, bits, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&v->lock);
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

static void rv_start_common(struct vcpu *v, uint64_t pc, uint64_t a1, bool m)
{
	pthread_mutex_lock(&v->lock);
	v->start_pc = pc;
	v->start_a1 = a1;
	v->start_m = m;
	__atomic_store_n(&v->hsm, 2, __ATOMIC_SEQ_CST);
	__atomic_fetch_or(&v->async, RV_ASYNC_STOP, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

void vcpu_start(struct vcpu *v, uint64_t pc, uint64_t a1)
{
	rv_start_common(v, pc, a1, false);
}

void rv_vcpu_start_m(struct vcpu *v, uint64_t pc)
{
	rv_start_common(v, pc, 0, true);
}

/* On the hart's thread: apply a pending start (reset of the architectural state). */
static void rv_apply_start(struct vcpu *v)
{
	memset(v->x, 0, sizeof(v->x));
	memset(v->f, 0, sizeof(v->f));
	v->pc = v->start_pc;
	v->x[10] = v->hartid;
	v->x[11] = v->start_a1;
	v->mstatus = (2ULL << 32) | (2ULL << 34);
	v->mie = 0;
	__atomic_fetch_and(&v->mip, ~RV_MIP_SSIP, __ATOMIC_SEQ_CST);
	v->satp = 0;
	v->stimecmp = UINT64_MAX;
	v->fflags = v->frm = 0;
	v->res_valid = false;
	v->scounteren = 0;
	v->senvcfg = 0;
	v->stvec = v->sscratch = v->sepc = v->scause = v->stval = 0;
	v->mtvec = v->mscratch = v->mepc = v->mcause = v->mtval = 0;
	if (v->start_m) {
		v->sbi_emulated = false;
		v->medeleg = v->mideleg = 0;
		v->menvcfg = 0;
		v->mcounteren = 0;
		rv_set_priv(v, RV_PRIV_M);
	} else {
		/* What OpenSBI leaves behind: everything delegable delegated except S-mode
		 * ecalls (served by berth), counters and Sstc enabled. */
		v->sbi_emulated = true;
		v->medeleg = 0xb1ff;
		v->mideleg = RV_S_INTS;
		v->menvcfg = RV_MENVCFG_STCE;
		v->mcounteren = 7;
		v->scounteren = 7; /* OpenSBI lets U-mode read cycle, time, instret too */
		rv_set_priv(v, RV_PRIV_S);
	}
	rv_tlb_reset(v);
	rv_icache_flush(v);
	rv_update_timer(v);
}

void rv_apply_pending_start(struct vcpu *v)
{
	pthread_mutex_lock(&v->lock);
	if (__atomic_load_n(&v->hsm, __ATOMIC_SEQ_CST) == 2) {
		rv_apply_start(v);
		__atomic_store_n(&v->hsm, 0, __ATOMIC_SEQ_CST);
	}
	__atomic_fetch_and(&v->async, ~(uint32_t)RV_ASYNC_STOP, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&v->lock);
}

void vcpu_stop_self(struct vcpu *v)
{
	__atomic_store_n(&v->hsm, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_or(&v->async, RV_ASYNC_STOP, __ATOMIC_SEQ_CST);
}

int vcpu_hsm_status(const struct vcpu *v)
{
	return __atomic_load_n(&v->hsm, __ATOMIC_SEQ_CST);
}

void vcpu_kick(struct vcpu *v, enum vcpu_exit why)
{
	int none = VCPU_EXIT_NONE;
	__atomic_compare_exchange_n(&v->exit_why, &none, (int)why, false, __ATOMIC_SEQ_CST,
	                            __ATOMIC_SEQ_CST);
	rv_poke(v, RV_ASYNC_EXIT);
}

void vcpu_set_irq(struct vcpu *v, int irq, bool level)
{
	uint64_t bit;
	if (irq < 0 || irq > 11)
		return;
	bit = 1ULL << irq;
	if (level) {
		uint64_t old = __atomic_fetch_or(&v->mip, bit, __ATOMIC_SEQ_CST);
		if (!(old & bit))
			rv_poke(v, RV_ASYNC_IRQ);
	} else {
		__atomic_fetch_and(&v->mip, ~bit, __ATOMIC_SEQ_CST);
	}
}

void vcpu_set_timer(struct vcpu *v, uint64_t when)
{
	__atomic_store_n(&v->sbi_timer, when, __ATOMIC_SEQ_CST);
	rv_update_timer(v);
	rv_poke(v, RV_ASYNC_IRQ);
}

/* Ask the hart to flush, then wait until it has (like OpenSBI waits for the IPI of a
 * remote fence): either it acknowledges from its loop, or it is not running guest code
 * (stopped, in wfi, in an SBI call, or its own caller), in which case it flushes before it
 * runs its next instruction. */
static void rv_remote_flush(struct vcpu *v, uint32_t bit)
{
	uint64_t seq = __atomic_add_fetch(&v->flush_req, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_or(&v->async, bit, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&v->flush_ack, __ATOMIC_SEQ_CST) < seq &&
	       __atomic_load_n(&v->in_guest, __ATOMIC_SEQ_CST))
		sched_yield();
}

void vcpu_flush_tlb(struct vcpu *v)
{
	rv_remote_flush(v, RV_ASYNC_TLB);
}

void vcpu_flush_icache(struct vcpu *v)
{
	rv_remote_flush(v, RV_ASYNC_ICACHE);
}

void rv_guest_enter(struct vcpu *v)
{
	__atomic_store_n(&v->in_guest, 1, __ATOMIC_SEQ_CST);
}

void rv_guest_leave(struct vcpu *v)
{
	__atomic_store_n(&v->in_guest, 0, __ATOMIC_SEQ_CST);
}

uint64_t vcpu_get_reg(const struct vcpu *v, unsigned reg)
{
	return reg < 32 ? v->x[reg] : 0;
}

void vcpu_set_reg(struct vcpu *v, unsigned reg, uint64_t val)
{
	if (reg > 0 && reg < 32)
		v->x[reg] = val;
}

uint64_t vcpu_get_pc(const struct vcpu *v)
{
	return v->pc;
}

uint64_t vcpu_instret(const struct vcpu *v)
{
	return __atomic_load_n(&v->instret, __ATOMIC_RELAXED);
}

const char *vcpu_error(const struct vcpu *v)
{
	return v->error;
}

/* --- timers and interrupts -------------------------------------------------------------- */

uint64_t rv_mip(const struct vcpu *v)
{
	return __atomic_load_n(&v->mip, __ATOMIC_RELAXED) |
	       __atomic_load_n(&v->stip_tmr, __ATOMIC_RELAXED);
}

void rv_update_timer(struct vcpu *v)
{
	uint64_t sbi = __atomic_load_n(&v->sbi_timer, __ATOMIC_RELAXED);
	bool stce = (v->menvcfg & RV_MENVCFG_STCE) != 0;
	uint64_t now, st = 0;

	if (sbi == UINT64_MAX && (!stce || v->stimecmp == UINT64_MAX)) {
		st = 0;
	} else {
		now = v->p.time(v->p.opaque);
		if (now >= sbi || (stce && now >= v->stimecmp))
			st = RV_MIP_STIP;
	}
	__atomic_store_n(&v->stip_tmr, st, __ATOMIC_RELAXED);
}

void rv_set_priv(struct vcpu *v, unsigned priv)
{
	v->priv = priv;
	v->tlb_ctx = rv_tlb_ctx(v);
	rv_tlb_rekey(v);
	v->fetch_vpn = RV_TLB_INVALID;
}

static void rv_fatal(struct vcpu *v, const char *what, uint64_t cause, uint64_t tval)
{
	snprintf(v->error, sizeof(v->error), "hart %u: %s (cause %#llx tval %#llx pc %#llx)",
	         v->hartid, what, (unsigned long long)cause, (unsigned long long)tval,
	         (unsigned long long)v->pc);
	int none = VCPU_EXIT_NONE;
	__atomic_compare_exchange_n(&v->exit_why, &none, (int)VCPU_EXIT_ERROR, false,
	                            __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	__atomic_fetch_or(&v->async, RV_ASYNC_EXIT, __ATOMIC_SEQ_CST);
}

void rv_raise(struct vcpu *v, uint64_t cause, uint64_t tval)
{
	bool intr = (cause & RV_CAUSE_INTR) != 0;
	unsigned code = (unsigned)(cause & 63);
	uint64_t deleg = intr ? v->mideleg : v->medeleg;
	uint64_t s = v->mstatus;

	v->traps++;
	if (v->priv <= RV_PRIV_S && ((deleg >> code) & 1)) {
		v->scause = cause;
		v->sepc = v->pc;
		v->stval = tval;
		s &= ~(RV_MSTATUS_SPIE | RV_MSTATUS_SPP);
		if (s & RV_MSTATUS_SIE)
			s |= RV_MSTATUS_SPIE;
		if (v->priv == RV_PRIV_S)
			s |= RV_MSTATUS_SPP;
		s &= ~RV_MSTATUS_SIE;
		v->mstatus = s;
		v->pc = (v->stvec & ~3ULL) + ((intr && (v->stvec & 1)) ? 4ULL * code : 0);
		rv_set_priv(v, RV_PRIV_S);
		return;
	}
	if (v->sbi_emulated) {
		/* No M-mode code exists: a trap to M is a guest bug berth cannot serve. */
		rv_fatal(v, "trap to M-mode without firmware", cause, tval);
		return;
	}
	v->mcause = cause;
	v->mepc = v->pc;
	v->mtval = tval;
	s &= ~(RV_MSTATUS_MPIE | RV_MSTATUS_MPP);
	if (s & RV_MSTATUS_MIE)
		s |= RV_MSTATUS_MPIE;
	s |= (uint64_t)v->priv << 11;
	s &= ~RV_MSTATUS_MIE;
	v->mstatus = s;
	v->pc = (v->mtvec & ~3ULL) + ((intr && (v->mtvec & 1)) ? 4ULL * code : 0);
	rv_set_priv(v, RV_PRIV_M);
}

bool rv_check_interrupts(struct vcpu *v)
{
	static const unsigned order[6] = {11, 3, 7, 9, 1, 5};
	uint64_t pend = rv_mip(v) & v->mie, take = 0;
	uint64_t m, s;

	if (!pend)
		return false;
	m = pend & ~v->mideleg;
	s = pend & v->mideleg;
	if (m && (v->priv < RV_PRIV_M || (v->mstatus & RV_MSTATUS_MIE)))
		take = m;
	else if (s &&
	         (v->priv < RV_PRIV_S || (v->priv == RV_PRIV_S && (v->mstatus & RV_MSTATUS_SIE))))
		take = s;
	if (!take)
		return false;
	for (unsigned i = 0; i < 6; i++) {
		if (take & (1ULL << order[i])) {
			rv_raise(v, RV_CAUSE_INTR | order[i], 0);
			return true;
		}
	}
	return false;
}

/* --- the hart loop ---------------------------------------------------------------------- */

/* Wait while the hart is stopped. Returns false when the hart must leave vcpu_run(). */
static bool rv_idle(struct vcpu *v)
{
	bool ok = true;
	pthread_mutex_lock(&v->lock);
	for (;;) {
		if (__atomic_load_n(&v->exit_why, __ATOMIC_SEQ_CST) != VCPU_EXIT_NONE) {
			ok = false;
			break;
		}
		int h = __atomic_load_n(&v->hsm, __ATOMIC_SEQ_CST);
		if (h == 2) {
			rv_apply_start(v);
			__atomic_store_n(&v->hsm, 0, __ATOMIC_SEQ_CST);
			break;
		}
		if (h == 0)
			break;
		pthread_cond_wait(&v->cond, &v->lock);
	}
	pthread_mutex_unlock(&v->lock);
	return ok;
}

enum vcpu_exit vcpu_run(struct vcpu *v)
{
	rv_guest_enter(v);
	for (;;) {
		uint32_t a = __atomic_load_n(&v->async, __ATOMIC_SEQ_CST);
		if (a) {
			uint64_t req = __atomic_load_n(&v->flush_req, __ATOMIC_SEQ_CST);
			a = __atomic_fetch_and(
			    &v->async,
			    ~(RV_ASYNC_TLB | RV_ASYNC_ICACHE | RV_ASYNC_IRQ | RV_ASYNC_STOP),
			    __ATOMIC_SEQ_CST);
			if (a & RV_ASYNC_TLB)
				rv_tlb_flush(v);
			if (a & RV_ASYNC_ICACHE)
				rv_icache_flush(v);
			__atomic_store_n(&v->flush_ack, req, __ATOMIC_SEQ_CST);
		}
		if (__atomic_load_n(&v->exit_why, __ATOMIC_SEQ_CST) != VCPU_EXIT_NONE)
			break;
		if (__atomic_load_n(&v->hsm, __ATOMIC_SEQ_CST) != 0) {
			bool go;
			rv_guest_leave(v);
			go = rv_idle(v);
			rv_guest_enter(v);
			if (!go)
				break;
			continue;
		}
		rv_update_timer(v);
		rv_check_interrupts(v);
		if (v->jit != NULL) {
			rv_jit_exec(v, RV_JIT_BLOCK);
			if (v->slept) { /* an idle guest: its translations may go */
				v->slept = false;
				rv_jit_idle(v);
			}
		} else
			rv_exec(v, RV_BLOCK);
	}
	rv_guest_leave(v);
	__atomic_fetch_and(&v->async, ~(uint32_t)RV_ASYNC_EXIT, __ATOMIC_SEQ_CST);
	return (enum vcpu_exit)__atomic_exchange_n(&v->exit_why, VCPU_EXIT_NONE, __ATOMIC_SEQ_CST);
}

/* --- snapshots --------------------------------------------------------------------------- */

struct rv_hart_state {
	uint64_t x[32], f[32], pc, instret;
	uint64_t mstatus, misa, medeleg, mideleg, mie, mip, stip_tmr;
	uint64_t mtvec, mscratch, mepc, mcause, mtval, menvcfg, mcounteren;
	uint64_t stvec, sscratch, sepc, scause, stval, satp, senvcfg, scounteren;
	uint64_t stimecmp, sbi_timer, res_addr, res_val, start_pc, start_a1;
	uint32_t fflags, frm, priv, hsm;
	uint8_t res_valid, sbi_emulated, pad[6];
};

void vcpu_save(struct vcpu *v, struct vm_snap_writer *w)
{
	struct rv_hart_state st = {0};

	memcpy(st.x, v->x, sizeof(st.x));
	memcpy(st.f, v->f, sizeof(st.f));
	st.pc = v->pc;
	st.instret = v->instret;
	st.mstatus = v->mstatus;
	st.misa = v->misa;
	st.medeleg = v->medeleg;
	st.mideleg = v->mideleg;
	st.mie = v->mie;
	st.mip = __atomic_load_n(&v->mip, __ATOMIC_SEQ_CST);
	st.stip_tmr = __atomic_load_n(&v->stip_tmr, __ATOMIC_SEQ_CST);
	st.mtvec = v->mtvec;
	st.mscratch = v->mscratch;
	st.mepc = v->mepc;
	st.mcause = v->mcause;
	st.mtval = v->mtval;
	st.menvcfg = v->menvcfg;
	st.mcounteren = v->mcounteren;
	st.stvec = v->stvec;
	st.sscratch = v->sscratch;
	st.sepc = v->sepc;
	st.scause = v->scause;
	st.stval = v->stval;
	st.satp = v->satp;
	st.senvcfg = v->senvcfg;
	st.scounteren = v->scounteren;
	st.stimecmp = v->stimecmp;
	st.sbi_timer = __atomic_load_n(&v->sbi_timer, __ATOMIC_SEQ_CST);
	st.res_addr = v->res_addr;
	st.res_val = v->res_val;
	st.start_pc = v->start_pc;
	st.start_a1 = v->start_a1;
	st.fflags = v->fflags;
	st.frm = v->frm;
	st.priv = v->priv;
	st.hsm = (uint32_t)__atomic_load_n(&v->hsm, __ATOMIC_SEQ_CST);
	st.res_valid = v->res_valid;
	st.sbi_emulated = v->sbi_emulated;
	vm_snap_put(w, "HART", v->hartid, &st, sizeof(st));
}

int vcpu_load(struct vcpu *v, const struct vm_snap_reader *r, berth_error_t *err)
{
	const struct rv_hart_state *st = vm_snap_get(r, "HART", v->hartid, sizeof(*st), NULL, err);

	if (st == NULL)
		return -1;
	if ((st->priv != RV_PRIV_U && st->priv != RV_PRIV_S && st->priv != RV_PRIV_M) ||
	    st->hsm > 2 || st->frm > 7 || st->misa != v->misa)
		return berth_error(err, 0,
		                   "record HART %u: a privilege, HSM state or ISA out of range",
		                   v->hartid);
	memcpy(v->x, st->x, sizeof(st->x));
	v->x[0] = 0;
	memcpy(v->f, st->f, sizeof(st->f));
	v->pc = st->pc;
	v->instret = st->instret;
	v->mstatus = st->mstatus;
	v->medeleg = st->medeleg;
	v->mideleg = st->mideleg;
	v->mie = st->mie;
	__atomic_store_n(&v->mip, st->mip, __ATOMIC_SEQ_CST);
	__atomic_store_n(&v->stip_tmr, st->stip_tmr & RV_MIP_STIP, __ATOMIC_SEQ_CST);
	v->mtvec = st->mtvec;
	v->mscratch = st->mscratch;
	v->mepc = st->mepc;
	v->mcause = st->mcause;
	v->mtval = st->mtval;
	v->menvcfg = st->menvcfg;
	v->mcounteren = st->mcounteren;
	v->stvec = st->stvec;
	v->sscratch = st->sscratch;
	v->sepc = st->sepc;
	v->scause = st->scause;
	v->stval = st->stval;
	v->satp = st->satp;
	v->senvcfg = st->senvcfg;
	v->scounteren = st->scounteren;
	v->stimecmp = st->stimecmp;
	__atomic_store_n(&v->sbi_timer, st->sbi_timer, __ATOMIC_SEQ_CST);
	v->res_addr = st->res_addr;
	v->res_val = st->res_val;
	v->res_valid = st->res_valid != 0;
	v->start_pc = st->start_pc;
	v->start_a1 = st->start_a1;
	v->start_m = false;
	v->fflags = st->fflags & 0x1f;
	v->frm = st->frm;
	v->sbi_emulated = st->sbi_emulated != 0;
	rv_set_priv(v, st->priv);
	rv_tlb_reset(v);
	rv_icache_flush(v);
	__atomic_store_n(&v->hsm, (int)st->hsm, __ATOMIC_SEQ_CST);
	return 0;
}
