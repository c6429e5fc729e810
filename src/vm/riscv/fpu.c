/* SPDX-License-Identifier: MIT */
/* F and D extensions on the host FPU (x86-64 SSE and aarch64 both round after detecting
 * tininess like RISC-V). Rounding modes map onto the host's; RMM (ties to max magnitude),
 * which hosts lack, is RNE corrected on exact ties (see rv_rmm_s/_d). Exception
 * flags come from fetestexcept(); NaN results are replaced by the canonical NaN, and the
 * operations whose NaN or signed-zero rules differ between IEEE 754 hosts and RISC-V
 * (min/max, comparisons, conversions to integers, classification) are done by hand.
 *
 * Operands pass through volatile locals so the compiler cannot move the arithmetic across
 * fesetround()/fetestexcept() (GCC ignores FENV_ACCESS).
 *
 * Each operation is written once, in fpu_template.h, and instantiated for single (_s) and
 * double (_d) precision; this file has what both share and the conversions between them. */
#include "riscv.h"

#include <fenv.h>
#include <float.h>
#include <math.h>

#define BOX 0xffffffff00000000ULL /* the NaN-boxing of a single in an f register */

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_SQRT, OP_FMA };

#if defined(__x86_64__)
/* x86-64: drive MXCSR directly (glibc's fenv functions also save and restore the x87
 * environment, which costs ten times more). Rounding control is bits 13-14, the sticky
 * flags bits 0-5 (IE DE ZE OE UE PE); 0x1f80 masks every exception. */
#include <xmmintrin.h>

static void rv_fenv_begin(unsigned rm)
{
	static const unsigned rc[5] = {0u << 13, 3u << 13, 1u << 13, 2u << 13, 0u << 13};
	_mm_setcsr(0x1f80u | rc[rm]);
}

static void rv_fenv_end(struct vcpu *v, unsigned rm)
{
	unsigned csr = _mm_getcsr();
	if (rm != 0)
		_mm_setcsr(0x1f80u);
	v->fflags |= ((csr & 0x01) ? RV_FFLAG_NV : 0) | ((csr & 0x04) ? RV_FFLAG_DZ : 0) |
	             ((csr & 0x08) ? RV_FFLAG_OF : 0) | ((csr & 0x10) ? RV_FFLAG_UF : 0) |
	             ((csr & 0x20) ? RV_FFLAG_NX : 0);
}
#else
static const int host_rm[5] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD, FE_TONEAREST};

static unsigned rv_host_flags(int ex)
{
	return ((ex & FE_INVALID) ? RV_FFLAG_NV : 0) | ((ex & FE_DIVBYZERO) ? RV_FFLAG_DZ : 0) |
	       ((ex & FE_OVERFLOW) ? RV_FFLAG_OF : 0) | ((ex & FE_UNDERFLOW) ? RV_FFLAG_UF : 0) |
	       ((ex & FE_INEXACT) ? RV_FFLAG_NX : 0);
}

static void rv_fenv_begin(unsigned rm)
{
	feclearexcept(FE_ALL_EXCEPT);
	if (rm != 0)
		fesetround(host_rm[rm]);
}

static void rv_fenv_end(struct vcpu *v, unsigned rm)
{
	int ex = fetestexcept(FE_ALL_EXCEPT);
	if (rm != 0)
		fesetround(FE_TONEAREST);
	v->fflags |= rv_host_flags(ex);
}
#endif

/* Round to an integral value in RISC-V rounding mode rm (exact, no flags). */
static double rv_round_rm(double x, unsigned rm)
{
	switch (rm) {
	case 1:
		return trunc(x);
	case 2:
		return floor(x);
	case 3:
		return ceil(x);
	case 4:
		return round(x);
	default: {
		/* ties to even */
		double r = round(x);
		if (fabs(x - trunc(x)) == 0.5)
			r = 2.0 * round(x / 2.0);
		return r;
	}
	}
}

/* fcvt.{w,wu,l,lu}: saturate and raise NV at the edges, NX when inexact. */
static uint64_t rv_cvt_to_int(struct vcpu *v, double x, unsigned kind, unsigned rm)
{
	static const double lo[4] = {-2147483648.0, 0.0, -9223372036854775808.0, 0.0};
	static const double hi[4] = {2147483648.0, 4294967296.0, 9223372036854775808.0,
	                             18446744073709551616.0};
	static const uint64_t maxv[4] = {0x7fffffffULL, 0xffffffffffffffffULL,
	                                 0x7fffffffffffffffULL, 0xffffffffffffffffULL};
	static const uint64_t minv[4] = {0xffffffff80000000ULL, 0, 0x8000000000000000ULL, 0};
	double r;

	if (isnan(x)) {
		v->fflags |= RV_FFLAG_NV;
		return maxv[kind];
	}
	r = rv_round_rm(x, rm);
	if (r >= hi[kind]) {
		v->fflags |= RV_FFLAG_NV;
		return maxv[kind];
	}
	if (r < lo[kind]) {
		v->fflags |= RV_FFLAG_NV;
		return minv[kind];
	}
	if (r != x)
		v->fflags |= RV_FFLAG_NX;
	switch (kind) {
	case 0:
		return (uint64_t)(int64_t)(int32_t)r;
	case 1:
		return (uint64_t)(int64_t)(int32_t)(uint32_t)r;
	case 2:
		return (uint64_t)(int64_t)r;
	default:
		return (uint64_t)r;
	}
}

/* feq (quiet), flt/fle (signaling) on doubles; single operands are widened exactly. */
static uint64_t rv_compare(struct vcpu *v, double x, double y, bool sx, bool sy, unsigned f3)
{
	if (isnan(x) || isnan(y)) {
		if (f3 != 2 || sx || sy)
			v->fflags |= RV_FFLAG_NV;
		return 0;
	}
	switch (f3) {
	case 0:
		return x <= y;
	case 1:
		return x < y;
	default:
		return x == y;
	}
}

/* --- RMM (round to nearest, ties to max magnitude) ---------------------------------------
 * The host has no RMM: the operation runs as RNE, which differs only on an exact tie that
 * RNE broke towards zero. A tie needs the exact result to have one bit more than the
 * format, so it is exact in the next wider host format (double for single, long double
 * for double); when the wider result is inexact there is no tie (rv_rmm_s/_d and
 * rv_rmm_arith_s/_d in fpu_template.h). */

#define F_SIZE 32
#include "fpu_template.h"
#define F_SIZE 64
#include "fpu_template.h"

bool rv_exec_fp(struct vcpu *v, uint32_t insn)
{
	unsigned rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31, rs2 = (insn >> 20) & 31;
	unsigned f3 = (insn >> 12) & 7, f7 = insn >> 25, fmt = f7 & 3, rm = f3;
	bool dbl = fmt == 1;

	if (fmt > 1)
		return false;
	if (rm == 7)
		rm = v->frm;
	rv_fp_dirty(v);
	if ((insn & 0x7f) != 0x53) {
		if (rm > 4)
			return false;
		if (dbl)
			rv_exec_fma_d(v, insn, rm);
		else
			rv_exec_fma_s(v, insn, rm);
		return true;
	}
	if ((f7 >> 2) == 0x08) { /* fcvt.s.d, fcvt.d.s */
		if (rm > 4)
			return false;
		if (dbl && rs2 == 0) {
			volatile float x = rv_rd_s(v, rs1);
			volatile double r;
			rv_fenv_begin(0);
			r = (double)x;
			rv_fenv_end(v, 0);
			rv_wr_d(v, rd, r);
		} else if (!dbl && rs2 == 1) {
			volatile double x = rv_rd_d(v, rs1);
			volatile float r;
			rv_fenv_begin(rm);
			r = (float)x;
			rv_fenv_end(v, rm);
			rv_wr_s(v, rd, rm == 4 ? rv_rmm_s(r, x) : r);
		} else {
			return false;
		}
		return true;
	}
	return dbl ? rv_exec_op_d(v, insn, rm) : rv_exec_op_s(v, insn, rm);
}
