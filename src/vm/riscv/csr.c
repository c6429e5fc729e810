/* SPDX-License-Identifier: MIT */
/* Control and status registers, the SYSTEM opcode (ecall, ebreak, sret, mret, wfi,
 * sfence.vma, Zicsr) and wfi's sleep. */
#include "riscv.h"

#include <time.h>

enum {
	CSR_FFLAGS = 0x001,
	CSR_FRM = 0x002,
	CSR_FCSR = 0x003,
	CSR_CYCLE = 0xc00,
	CSR_TIME = 0xc01,
	CSR_INSTRET = 0xc02,
	CSR_SSTATUS = 0x100,
	CSR_SIE = 0x104,
	CSR_STVEC = 0x105,
	CSR_SCOUNTEREN = 0x106,
	CSR_SENVCFG = 0x10a,
	CSR_SSCRATCH = 0x140,
	CSR_SEPC = 0x141,
	CSR_SCAUSE = 0x142,
	CSR_STVAL = 0x143,
	CSR_SIP = 0x144,
	CSR_STIMECMP = 0x14d,
	CSR_SATP = 0x180,
	CSR_MSTATUS = 0x300,
	CSR_MISA = 0x301,
	CSR_MEDELEG = 0x302,
	CSR_MIDELEG = 0x303,
	CSR_MIE = 0x304,
	CSR_MTVEC = 0x305,
	CSR_MCOUNTEREN = 0x306,
	CSR_MENVCFG = 0x30a,
	CSR_MCOUNTINHIBIT = 0x320,
	CSR_MSCRATCH = 0x340,
	CSR_MEPC = 0x341,
	CSR_MCAUSE = 0x342,
	CSR_MTVAL = 0x343,
	CSR_MIP = 0x344,
	CSR_MCYCLE = 0xb00,
	CSR_MINSTRET = 0xb02,
	CSR_MVENDORID = 0xf11,
	CSR_MARCHID = 0xf12,
	CSR_MIMPID = 0xf13,
	CSR_MHARTID = 0xf14,
	CSR_MCONFIGPTR = 0xf15,
};

#define MSTATUS_WMASK                                                                              \
	(RV_MSTATUS_SIE | RV_MSTATUS_MIE | RV_MSTATUS_SPIE | RV_MSTATUS_MPIE | RV_MSTATUS_SPP |    \
	 RV_MSTATUS_MPP | RV_MSTATUS_FS | RV_MSTATUS_MPRV | RV_MSTATUS_SUM | RV_MSTATUS_MXR |      \
	 RV_MSTATUS_TVM | RV_MSTATUS_TW | RV_MSTATUS_TSR)
#define SSTATUS_WMASK                                                                              \
	(RV_MSTATUS_SIE | RV_MSTATUS_SPIE | RV_MSTATUS_SPP | RV_MSTATUS_FS | RV_MSTATUS_SUM |      \
	 RV_MSTATUS_MXR)

static uint64_t rv_mstatus_read(const struct vcpu *v)
{
	uint64_t s = v->mstatus & ~RV_MSTATUS_SD;
	if ((s & RV_MSTATUS_FS) == RV_MSTATUS_FS)
		s |= RV_MSTATUS_SD;
	return s;
}

static void rv_mstatus_write(struct vcpu *v, uint64_t val, uint64_t mask)
{
	uint64_t old = v->mstatus;
	uint64_t s = (old & ~mask) | (val & mask);
	if (((s >> 11) & 3) == 2) /* MPP: H-mode does not exist */
		s &= ~RV_MSTATUS_MPP;
	v->mstatus = s;
	if ((old ^ s) & RV_MSTATUS_MXR)
		rv_tlb_flush(v);
	v->tlb_ctx = rv_tlb_ctx(v);
	rv_tlb_rekey(v);
}

/* Counters: accessible from S when mcounteren allows it, from U when both allow it. */
static bool rv_counter_ok(const struct vcpu *v, unsigned idx)
{
	if (v->priv < RV_PRIV_M && !((v->mcounteren >> idx) & 1))
		return false;
	if (v->priv < RV_PRIV_S && !((v->scounteren >> idx) & 1))
		return false;
	return true;
}

int rv_csr_read(struct vcpu *v, unsigned csr, uint64_t *val)
{
	switch (csr) {
	case CSR_FFLAGS:
	case CSR_FRM:
	case CSR_FCSR:
		if (!rv_fp_enabled(v))
			return -1;
		*val = csr == CSR_FFLAGS ? v->fflags
		       : csr == CSR_FRM  ? v->frm
		                         : (v->frm << 5 | v->fflags);
		return 0;
	case CSR_CYCLE:
	case CSR_INSTRET:
		if (!rv_counter_ok(v, csr & 31))
			return -1;
		*val = v->instret;
		return 0;
	case CSR_TIME:
		if (!rv_counter_ok(v, 1))
			return -1;
		*val = v->p.time(v->p.opaque);
		return 0;
	case CSR_SSTATUS:
		*val = rv_mstatus_read(v) & RV_SSTATUS_MASK;
		return 0;
	case CSR_SIE:
		*val = v->mie & v->mideleg;
		return 0;
	case CSR_SIP:
		*val = rv_mip(v) & v->mideleg;
		return 0;
	case CSR_STVEC:
		*val = v->stvec;
		return 0;
	case CSR_SCOUNTEREN:
		*val = v->scounteren;
		return 0;
	case CSR_SENVCFG:
		*val = v->senvcfg;
		return 0;
	case CSR_SSCRATCH:
		*val = v->sscratch;
		return 0;
	case CSR_SEPC:
		*val = v->sepc;
		return 0;
	case CSR_SCAUSE:
		*val = v->scause;
		return 0;
	case CSR_STVAL:
		*val = v->stval;
		return 0;
	case CSR_STIMECMP:
		if (v->priv < RV_PRIV_M &&
		    (!(v->menvcfg & RV_MENVCFG_STCE) || !(v->mcounteren & 2)))
			return -1;
		*val = v->stimecmp;
		return 0;
	case CSR_SATP:
		if (v->priv == RV_PRIV_S && (v->mstatus & RV_MSTATUS_TVM))
			return -1;
		*val = v->satp;
		return 0;
	case CSR_MSTATUS:
		*val = rv_mstatus_read(v);
		return 0;
	case CSR_MISA:
		*val = v->misa;
		return 0;
	case CSR_MEDELEG:
		*val = v->medeleg;
		return 0;
	case CSR_MIDELEG:
		*val = v->mideleg;
		return 0;
	case CSR_MIE:
		*val = v->mie;
		return 0;
	case CSR_MTVEC:
		*val = v->mtvec;
		return 0;
	case CSR_MCOUNTEREN:
		*val = v->mcounteren;
		return 0;
	case CSR_MENVCFG:
		*val = v->menvcfg;
		return 0;
	case CSR_MSCRATCH:
		*val = v->mscratch;
		return 0;
	case CSR_MEPC:
		*val = v->mepc;
		return 0;
	case CSR_MCAUSE:
		*val = v->mcause;
		return 0;
	case CSR_MTVAL:
		*val = v->mtval;
		return 0;
	case CSR_MIP:
		*val = rv_mip(v);
		return 0;
	case CSR_MCYCLE:
	case CSR_MINSTRET:
		*val = v->instret;
		return 0;
	case CSR_MHARTID:
		*val = v->hartid;
		return 0;
	case CSR_MVENDORID:
	case CSR_MARCHID:
	case CSR_MIMPID:
	case CSR_MCONFIGPTR:
	case CSR_MCOUNTINHIBIT:
		*val = 0;
		return 0;
	}
	if (csr >= 0xc03 && csr <= 0xc1f) { /* hpmcounterN */
		if (!rv_counter_ok(v, csr & 31))
			return -1;
		*val = 0;
		return 0;
	}
	if ((csr >= 0x3a0 && csr <= 0x3ef) || /* pmpcfg, pmpaddr: WARL, no PMP */
	    (csr >= 0xb03 && csr <= 0xb1f) || /* mhpmcounterN */
	    (csr >= 0x323 && csr <= 0x33f)) { /* mhpmeventN */
		*val = 0;
		return 0;
	}
	return -1;
}

int rv_csr_write(struct vcpu *v, unsigned csr, uint64_t val)
{
	switch (csr) {
	case CSR_FFLAGS:
		v->fflags = val & 0x1f;
		rv_fp_dirty(v);
		return 0;
	case CSR_FRM:
		v->frm = val & 7;
		rv_fp_dirty(v);
		return 0;
	case CSR_FCSR:
		v->fflags = val & 0x1f;
		v->frm = (val >> 5) & 7;
		rv_fp_dirty(v);
		return 0;
	case CSR_SSTATUS:
		rv_mstatus_write(v, val, SSTATUS_WMASK);
		return 0;
	case CSR_SIE:
		v->mie = (v->mie & ~v->mideleg) | (val & v->mideleg);
		return 0;
	case CSR_SIP:
		if (v->mideleg & RV_MIP_SSIP) {
			if (val & RV_MIP_SSIP)
				__atomic_fetch_or(&v->mip, RV_MIP_SSIP, __ATOMIC_SEQ_CST);
			else
				__atomic_fetch_and(&v->mip, ~RV_MIP_SSIP, __ATOMIC_SEQ_CST);
		}
		return 0;
	case CSR_STVEC:
		v->stvec = val & ~2ULL;
		return 0;
	case CSR_SCOUNTEREN:
		v->scounteren = val & 0xffffffffULL;
		return 0;
	case CSR_SENVCFG:
		v->senvcfg = val & 1;
		return 0;
	case CSR_SSCRATCH:
		v->sscratch = val;
		return 0;
	case CSR_SEPC:
		v->sepc = val & ~1ULL;
		return 0;
	case CSR_SCAUSE:
		v->scause = val;
		return 0;
	case CSR_STVAL:
		v->stval = val;
		return 0;
	case CSR_STIMECMP:
		v->stimecmp = val;
		rv_update_timer(v);
		return 0;
	case CSR_SATP: {
		unsigned mode = (unsigned)(val >> 60);
		if (mode == 0)
			v->satp = 0;
		else if (mode == 8 || mode == 9)
			v->satp = val & (0xfULL << 60 | ((1ULL << 44) - 1)); /* ASIDLEN = 0 */
		else
			return 0; /* unsupported mode: the write has no effect */
		rv_tlb_flush(v);
		return 0;
	}
	case CSR_MSTATUS:
		rv_mstatus_write(v, val, MSTATUS_WMASK);
		return 0;
	case CSR_MISA:
		return 0;
	case CSR_MEDELEG:
		v->medeleg = val & 0xb3ff;
		return 0;
	case CSR_MIDELEG:
		v->mideleg = val & RV_S_INTS;
		return 0;
	case CSR_MIE:
		v->mie = val & (RV_S_INTS | RV_M_INTS);
		return 0;
	case CSR_MTVEC:
		v->mtvec = val & ~2ULL;
		return 0;
	case CSR_MCOUNTEREN:
		v->mcounteren = val & 0xffffffffULL;
		return 0;
	case CSR_MENVCFG:
		v->menvcfg = val & (RV_MENVCFG_STCE | 1);
		rv_update_timer(v);
		return 0;
	case CSR_MSCRATCH:
		v->mscratch = val;
		return 0;
	case CSR_MEPC:
		v->mepc = val & ~1ULL;
		return 0;
	case CSR_MCAUSE:
		v->mcause = val;
		return 0;
	case CSR_MTVAL:
		v->mtval = val;
		return 0;
	case CSR_MIP:
		/* Only SSIP is software-writable; the other lines belong to the machine. */
		if (val & RV_MIP_SSIP)
			__atomic_fetch_or(&v->mip, RV_MIP_SSIP, __ATOMIC_SEQ_CST);
		else
			__atomic_fetch_and(&v->mip, ~RV_MIP_SSIP, __ATOMIC_SEQ_CST);
		return 0;
	case CSR_MCYCLE:
	case CSR_MINSTRET:
		v->instret = val;
		return 0;
	case CSR_MCOUNTINHIBIT:
		return 0;
	}
	if ((csr >= 0x3a0 && csr <= 0x3ef) || (csr >= 0xb03 && csr <= 0xb1f) ||
	    (csr >= 0x323 && csr <= 0x33f))
		return 0;
	return -1;
}

void rv_wfi(struct vcpu *v)
{
	pthread_mutex_lock(&v->lock);
	__atomic_fetch_and(&v->async, ~(uint32_t)RV_ASYNC_IRQ, __ATOMIC_SEQ_CST);
	for (;;) {
		uint64_t d, now;
		struct timespec ts;

		if (__atomic_load_n(&v->async, __ATOMIC_SEQ_CST) & ~(uint32_t)RV_ASYNC_IRQ &
		    (RV_ASYNC_EXIT | RV_ASYNC_STOP))
			break;
		rv_update_timer(v);
		if (rv_mip(v) & v->mie)
			break;
		if (__atomic_load_n(&v->async, __ATOMIC_SEQ_CST) & RV_ASYNC_IRQ)
			break;
		d = __atomic_load_n(&v->sbi_timer, __ATOMIC_RELAXED);
		if ((v->menvcfg & RV_MENVCFG_STCE) && v->stimecmp < d)
			d = v->stimecmp;
		/* A deadline already passed has raised its pending bit (rv_update_timer); if
		 * that interrupt is masked in mie it cannot wake us, so wait for the next
		 * kick or interrupt instead of spinning with the lock held. */
		if (d != UINT64_MAX && v->p.timebase_hz != 0 && v->p.time(v->p.opaque) >= d)
			d = UINT64_MAX;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (d == UINT64_MAX || v->p.timebase_hz == 0) {
			ts.tv_sec += 1;
		} else {
			uint64_t ns;
			now = v->p.time(v->p.opaque);
			if (now >= d)
				d = now; /* passed just now: wait the minimum below */
			ns = (uint64_t)((unsigned __int128)(d - now) * 1000000000u /
			                v->p.timebase_hz);
			if (ns > 1000000000ULL)
				ns = 1000000000ULL;
			ns += 1000; /* round up past the deadline */
			ts.tv_nsec += (long)ns;
			while (ts.tv_nsec >= 1000000000L) {
				ts.tv_nsec -= 1000000000L;
				ts.tv_sec++;
			}
		}
		v->slept = true;
		pthread_cond_timedwait(&v->cond, &v->lock, &ts);
	}
	pthread_mutex_unlock(&v->lock);
}

static bool rv_xret(struct vcpu *v, bool m)
{
	uint64_t s = v->mstatus;
	unsigned prev;

	if (m) {
		prev = (unsigned)((s >> 11) & 3);
		s = (s & ~RV_MSTATUS_MIE) | ((s & RV_MSTATUS_MPIE) ? RV_MSTATUS_MIE : 0);
		s |= RV_MSTATUS_MPIE;
		s &= ~RV_MSTATUS_MPP;
		v->pc = v->mepc;
	} else {
		prev = (s & RV_MSTATUS_SPP) ? RV_PRIV_S : RV_PRIV_U;
		s = (s & ~RV_MSTATUS_SIE) | ((s & RV_MSTATUS_SPIE) ? RV_MSTATUS_SIE : 0);
		s |= RV_MSTATUS_SPIE;
		s &= ~RV_MSTATUS_SPP;
		v->pc = v->sepc;
	}
	if (prev != RV_PRIV_M)
		s &= ~RV_MSTATUS_MPRV;
	v->mstatus = s;
	v->res_valid = false;
	rv_set_priv(v, prev);
	return false;
}

bool rv_exec_system(struct vcpu *v, uint32_t insn, unsigned len)
{
	unsigned rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31;
	unsigned f3 = (insn >> 12) & 7, csr = insn >> 20;
	uint64_t old, src, nv;
	bool wr;

	(void)len;
	if (f3 == 0) {
		if ((insn >> 25) == 0x09 && rd == 0) { /* sfence.vma */
			if (v->priv == RV_PRIV_U ||
			    (v->priv == RV_PRIV_S && (v->mstatus & RV_MSTATUS_TVM)))
				goto illegal;
			if (rs1 == 0)
				rv_tlb_flush(v);
			else
				rv_tlb_flush_page(v, v->x[rs1]);
			return true;
		}
		if (rd != 0 || rs1 != 0)
			goto illegal;
		switch (csr) {
		case 0x000: /* ecall */
			if (v->priv == RV_PRIV_S && v->sbi_emulated) {
				rv_guest_leave(v);
				v->p.sbi_call(v->p.opaque, v);
				rv_guest_enter(v);
				return true;
			}
			rv_raise(v, RV_EXC_ECALL_U + v->priv, 0);
			return false;
		case 0x001: /* ebreak */
			rv_raise(v, RV_EXC_BREAKPOINT, v->pc);
			return false;
		case 0x102: /* sret */
			if (v->priv == RV_PRIV_U ||
			    (v->priv == RV_PRIV_S && (v->mstatus & RV_MSTATUS_TSR)))
				goto illegal;
			return rv_xret(v, false);
		case 0x302: /* mret */
			if (v->priv != RV_PRIV_M)
				goto illegal;
			return rv_xret(v, true);
		case 0x105: /* wfi */
			if (v->priv == RV_PRIV_U ||
			    (v->priv == RV_PRIV_S && (v->mstatus & RV_MSTATUS_TW)))
				goto illegal;
			rv_guest_leave(v);
			rv_wfi(v);
			rv_guest_enter(v);
			return true;
		}
		goto illegal;
	}
	if (f3 == 4)
		goto illegal;
	/* Zicsr */
	if (v->priv < ((csr >> 8) & 3))
		goto illegal;
	src = (f3 & 4) ? rs1 : v->x[rs1];
	wr = (f3 & 3) == 1 || rs1 != 0;
	if (wr && (csr >> 10) == 3)
		goto illegal;
	if (rv_csr_read(v, csr, &old))
		goto illegal;
	if (wr) {
		switch (f3 & 3) {
		case 1:
			nv = src;
			break;
		case 2:
			nv = old | src;
			break;
		default:
			nv = old & ~src;
			break;
		}
		if (rv_csr_write(v, csr, nv))
			goto illegal;
	}
	v->x[rd] = old;
	v->x[0] = 0;
	return true;
illegal:
	rv_raise(v, RV_EXC_ILLEGAL, insn);
	return false;
}
