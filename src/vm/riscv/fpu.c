/* SPDX-License-Identifier: MIT */
/* F and D extensions on the host FPU (x86-64 SSE and aarch64 both round after detecting
 * tininess like RISC-V). Rounding modes map onto the host's; RMM (ties to max magnitude),
 * which hosts lack, is RNE corrected on exact ties (see rv_rmm_d()). Exception
 * flags come from fetestexcept(); NaN results are replaced by the canonical NaN, and the
 * operations whose NaN or signed-zero rules differ between IEEE 754 hosts and RISC-V
 * (min/max, comparisons, conversions to integers, classification) are done by hand.
 *
 * Operands pass through volatile locals so the compiler cannot move the arithmetic across
 * fesetround()/fetestexcept() (GCC ignores FENV_ACCESS). */
#include "riscv.h"

#include <fenv.h>
#include <float.h>
#include <math.h>

#define CNAN_S 0x7fc00000u
#define CNAN_D 0x7ff8000000000000ULL
#define BOX    0xffffffff00000000ULL

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_SQRT, OP_FMA };

static uint32_t rv_f2u(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

static float rv_u2f(uint32_t u)
{
	float f;
	memcpy(&f, &u, 4);
	return f;
}

static uint64_t rv_d2u(double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	return u;
}

static double rv_u2d(uint64_t u)
{
	double d;
	memcpy(&d, &u, 8);
	return d;
}

/* Single-precision operand: an improperly NaN-boxed value reads as the canonical NaN. */
static uint32_t rv_rd_sbits(const struct vcpu *v, unsigned r)
{
	uint64_t x = v->f[r];
	return (x >> 32) == 0xffffffffu ? (uint32_t)x : CNAN_S;
}

static void rv_wr_sbits(struct vcpu *v, unsigned r, uint32_t bits)
{
	v->f[r] = BOX | bits;
}

static void rv_wr_s(struct vcpu *v, unsigned r, float f)
{
	rv_wr_sbits(v, r, isnan(f) ? CNAN_S : rv_f2u(f));
}

static void rv_wr_d(struct vcpu *v, unsigned r, double d)
{
	v->f[r] = isnan(d) ? CNAN_D : rv_d2u(d);
}

static bool rv_snan_s(uint32_t u)
{
	return (u & 0x7f800000u) == 0x7f800000u && (u & 0x7fffffu) && !(u & 0x400000u);
}

static bool rv_snan_d(uint64_t u)
{
	return (u & 0x7ff0000000000000ULL) == 0x7ff0000000000000ULL && (u & 0xfffffffffffffULL) &&
	       !(u & 0x8000000000000ULL);
}

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

/* --- RMM (round to nearest, ties to max magnitude) ---------------------------------------
 * The host has no RMM: the operation runs as RNE, which differs only on an exact tie that
 * RNE broke towards zero. A tie needs the exact result to have one bit more than the
 * format, so it is exact in the next wider host format (double for single, long double
 * for double); when the wider result is inexact there is no tie. */
static double rv_rmm_d(double r, long double w)
{
	double n;
	if (isnan(r) || isinf(r) || (long double)r == w)
		return r;
	n = nextafter(r, w > (long double)r ? INFINITY : -INFINITY);
	if (w == ((long double)r + (long double)n) / 2 && fabs(n) > fabs(r))
		return n;
	return r;
}

static float rv_rmm_s(float r, double w)
{
	float n;
	if (isnan(r) || isinf(r) || (double)r == w)
		return r;
	n = nextafterf(r, w > (double)r ? INFINITY : -INFINITY);
	if (w == ((double)r + (double)n) / 2 && fabsf(n) > fabsf(r))
		return n;
	return r;
}

static double rv_rmm_arith_d(int op, double a, double b, double c, double r)
{
	volatile long double wa = a, wb = b, wc = c, w;
	feclearexcept(FE_ALL_EXCEPT);
	switch (op) {
	case OP_ADD:
		w = wa + wb;
		break;
	case OP_SUB:
		w = wa - wb;
		break;
	case OP_MUL:
		w = wa * wb;
		break;
	case OP_DIV:
		w = wa / wb;
		break;
	case OP_SQRT:
		w = sqrtl(wa);
		break;
	default:
		w = fmal(wa, wb, wc);
		break;
	}
	if (fetestexcept(FE_INEXACT))
		return r;
	return rv_rmm_d(r, w);
}

static float rv_rmm_arith_s(int op, float a, float b, float c, float r)
{
	volatile double wa = a, wb = b, wc = c, w;
	feclearexcept(FE_ALL_EXCEPT);
	switch (op) {
	case OP_ADD:
		w = wa + wb;
		break;
	case OP_SUB:
		w = wa - wb;
		break;
	case OP_MUL:
		w = wa * wb;
		break;
	case OP_DIV:
		w = wa / wb;
		break;
	case OP_SQRT:
		w = sqrt(wa);
		break;
	default:
		w = fma(wa, wb, wc);
		break;
	}
	if (fetestexcept(FE_INEXACT))
		return r;
	return rv_rmm_s(r, w);
}

static double rv_arith_d(struct vcpu *v, int op, double a, double b, double c, unsigned rm)
{
	/* Fast path (like QEMU's hardfloat): with round-to-nearest and NX already accrued, a
	 * finite normal result cannot have raised any flag still missing, so the host's
	 * plain result is final. Anything else is recomputed with exact flags below. */
	if (rm == 0 && (v->fflags & RV_FFLAG_NX)) {
		double f;
		switch (op) {
		case OP_ADD:
			f = a + b;
			break;
		case OP_SUB:
			f = a - b;
			break;
		case OP_MUL:
			f = a * b;
			break;
		case OP_DIV:
			f = a / b;
			break;
		case OP_SQRT:
			f = sqrt(a);
			break;
		default:
			f = fma(a, b, c);
			break;
		}
		if (fabs(f) > DBL_MIN && fabs(f) <= DBL_MAX)
			return f;
	}
	volatile double va = a, vb = b, vc = c, r;
	rv_fenv_begin(rm);
	switch (op) {
	case OP_ADD:
		r = va + vb;
		break;
	case OP_SUB:
		r = va - vb;
		break;
	case OP_MUL:
		r = va * vb;
		break;
	case OP_DIV:
		r = va / vb;
		break;
	case OP_SQRT:
		r = sqrt(va);
		break;
	default:
		r = fma(va, vb, vc);
		break;
	}
	rv_fenv_end(v, rm);
	if (rm == 4)
		return rv_rmm_arith_d(op, a, b, c, r);
	return r;
}

static float rv_arith_s(struct vcpu *v, int op, float a, float b, float c, unsigned rm)
{
	if (rm == 0 && (v->fflags & RV_FFLAG_NX)) { /* see rv_arith_d() */
		float f;
		switch (op) {
		case OP_ADD:
			f = a + b;
			break;
		case OP_SUB:
			f = a - b;
			break;
		case OP_MUL:
			f = a * b;
			break;
		case OP_DIV:
			f = a / b;
			break;
		case OP_SQRT:
			f = sqrtf(a);
			break;
		default:
			f = fmaf(a, b, c);
			break;
		}
		if (fabsf(f) > FLT_MIN && fabsf(f) <= FLT_MAX)
			return f;
	}
	volatile float va = a, vb = b, vc = c, r;
	rv_fenv_begin(rm);
	switch (op) {
	case OP_ADD:
		r = va + vb;
		break;
	case OP_SUB:
		r = va - vb;
		break;
	case OP_MUL:
		r = va * vb;
		break;
	case OP_DIV:
		r = va / vb;
		break;
	case OP_SQRT:
		r = sqrtf(va);
		break;
	default:
		r = fmaf(va, vb, vc);
		break;
	}
	rv_fenv_end(v, rm);
	if (rm == 4)
		return rv_rmm_arith_s(op, a, b, c, r);
	return r;
}

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

static double rv_cvt_from_int_d(struct vcpu *v, uint64_t x, unsigned kind, unsigned rm)
{
	volatile uint64_t vx = x;
	volatile double r;
	rv_fenv_begin(rm);
	switch (kind) {
	case 0:
		r = (double)(int32_t)vx;
		break;
	case 1:
		r = (double)(uint32_t)vx;
		break;
	case 2:
		r = (double)(int64_t)vx;
		break;
	default:
		r = (double)vx;
		break;
	}
	rv_fenv_end(v, rm);
	if (rm == 4) {
		long double w = kind == 0   ? (long double)(int32_t)x
		                : kind == 1 ? (long double)(uint32_t)x
		                : kind == 2 ? (long double)(int64_t)x
		                            : (long double)x;
		return rv_rmm_d(r, w);
	}
	return r;
}

static float rv_cvt_from_int_s(struct vcpu *v, uint64_t x, unsigned kind, unsigned rm)
{
	volatile uint64_t vx = x;
	volatile float r;
	rv_fenv_begin(rm);
	switch (kind) {
	case 0:
		r = (float)(int32_t)vx;
		break;
	case 1:
		r = (float)(int64_t)(uint32_t)vx;
		break;
	case 2:
		r = (float)(int64_t)vx;
		break;
	default:
		r = (float)vx;
		break;
	}
	rv_fenv_end(v, rm);
	if (rm == 4) {
		/* a tie of a 64-bit integer has at most 25 significant bits: exact in double */
		double w = kind == 0   ? (double)(int32_t)x
		           : kind == 1 ? (double)(uint32_t)x
		           : kind == 2 ? (double)(int64_t)x
		                       : (double)x;
		if ((kind == 2 && (long double)w != (long double)(int64_t)x) ||
		    (kind == 3 && (long double)w != (long double)x))
			return r;
		return rv_rmm_s(r, w);
	}
	return r;
}

static unsigned rv_fclass_bits(bool neg, bool inf, bool nan, bool snan, bool zero, bool sub)
{
	if (nan)
		return snan ? 1u << 8 : 1u << 9;
	if (inf)
		return neg ? 1u << 0 : 1u << 7;
	if (zero)
		return neg ? 1u << 3 : 1u << 4;
	if (sub)
		return neg ? 1u << 2 : 1u << 5;
	return neg ? 1u << 1 : 1u << 6;
}

/* fmin/fmax on raw bits: NaN rules and -0 < +0. */
static uint64_t rv_minmax_d(struct vcpu *v, uint64_t a, uint64_t b, bool max)
{
	double x = rv_u2d(a), y = rv_u2d(b);
	if (rv_snan_d(a) || rv_snan_d(b))
		v->fflags |= RV_FFLAG_NV;
	if (isnan(x) && isnan(y))
		return CNAN_D;
	if (isnan(x))
		return b;
	if (isnan(y))
		return a;
	if (x == y) /* equal, possibly zeros of opposite sign */
		return max ? (a & b) : (a | b);
	return (max ? x > y : x < y) ? a : b;
}

static uint32_t rv_minmax_s(struct vcpu *v, uint32_t a, uint32_t b, bool max)
{
	float x = rv_u2f(a), y = rv_u2f(b);
	if (rv_snan_s(a) || rv_snan_s(b))
		v->fflags |= RV_FFLAG_NV;
	if (isnan(x) && isnan(y))
		return CNAN_S;
	if (isnan(x))
		return b;
	if (isnan(y))
		return a;
	if (x == y)
		return max ? (a & b) : (a | b);
	return (max ? x > y : x < y) ? a : b;
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

static bool rv_exec_fma(struct vcpu *v, uint32_t insn, unsigned rm)
{
	unsigned rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31, rs2 = (insn >> 20) & 31;
	unsigned rs3 = insn >> 27, fmt = (insn >> 25) & 3, op = (insn >> 2) & 3;
	bool negp = op >= 2, negc = op == 1 || op == 3;

	if (fmt == 1) {
		double a = rv_u2d(v->f[rs1]), b = rv_u2d(v->f[rs2]), c = rv_u2d(v->f[rs3]);
		if ((isinf(a) && b == 0) || (a == 0 && isinf(b)))
			v->fflags |= RV_FFLAG_NV;
		double r = rv_arith_d(v, OP_FMA, negp ? -a : a, b, negc ? -c : c, rm);
		rv_wr_d(v, rd, r);
	} else if (fmt == 0) {
		float a = rv_u2f(rv_rd_sbits(v, rs1)), b = rv_u2f(rv_rd_sbits(v, rs2)),
		      c = rv_u2f(rv_rd_sbits(v, rs3));
		if ((isinf(a) && b == 0) || (a == 0 && isinf(b)))
			v->fflags |= RV_FFLAG_NV;
		float r = rv_arith_s(v, OP_FMA, negp ? -a : a, b, negc ? -c : c, rm);
		rv_wr_s(v, rd, r);
	} else {
		return false;
	}
	return true;
}

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
		return rv_exec_fma(v, insn, rm);
	}
	switch (f7 >> 2) {
	case 0x00:
	case 0x01:
	case 0x02:
	case 0x03:
	case 0x0b: {
		int op = (f7 >> 2) == 0x0b ? OP_SQRT : (int)(f7 >> 2);
		if (rm > 4 || (op == OP_SQRT && rs2 != 0))
			return false;
		if (dbl)
			rv_wr_d(v, rd,
			        rv_arith_d(v, op, rv_u2d(v->f[rs1]), rv_u2d(v->f[rs2]), 0, rm));
		else
			rv_wr_s(v, rd,
			        rv_arith_s(v, op, rv_u2f(rv_rd_sbits(v, rs1)),
			                   rv_u2f(rv_rd_sbits(v, rs2)), 0, rm));
		return true;
	}
	case 0x04: /* fsgnj, fsgnjn, fsgnjx */
		if (f3 > 2)
			return false;
		if (dbl) {
			uint64_t a = v->f[rs1], b = v->f[rs2], s = 1ULL << 63;
			uint64_t sign = f3 == 0 ? b & s : f3 == 1 ? ~b & s : (a ^ b) & s;
			v->f[rd] = (a & ~s) | sign;
		} else {
			uint32_t a = rv_rd_sbits(v, rs1), b = rv_rd_sbits(v, rs2), s = 1u << 31;
			uint32_t sign = f3 == 0 ? b & s : f3 == 1 ? ~b & s : (a ^ b) & s;
			rv_wr_sbits(v, rd, (a & ~s) | sign);
		}
		return true;
	case 0x05: /* fmin, fmax */
		if (f3 > 1)
			return false;
		if (dbl)
			v->f[rd] = rv_minmax_d(v, v->f[rs1], v->f[rs2], f3 == 1);
		else
			rv_wr_sbits(
			    v, rd,
			    rv_minmax_s(v, rv_rd_sbits(v, rs1), rv_rd_sbits(v, rs2), f3 == 1));
		return true;
	case 0x08: /* fcvt.s.d, fcvt.d.s */
		if (rm > 4)
			return false;
		if (dbl && rs2 == 0) {
			uint32_t a = rv_rd_sbits(v, rs1);
			volatile float x = rv_u2f(a);
			volatile double r;
			rv_fenv_begin(0);
			r = (double)x;
			rv_fenv_end(v, 0);
			rv_wr_d(v, rd, r);
		} else if (!dbl && rs2 == 1) {
			volatile double x = rv_u2d(v->f[rs1]);
			volatile float r;
			rv_fenv_begin(rm);
			r = (float)x;
			rv_fenv_end(v, rm);
			rv_wr_s(v, rd, rm == 4 ? rv_rmm_s(r, x) : r);
		} else {
			return false;
		}
		return true;
	case 0x14: /* fle, flt, feq */
		if (f3 > 2)
			return false;
		if (dbl)
			v->x[rd] = rv_compare(v, rv_u2d(v->f[rs1]), rv_u2d(v->f[rs2]),
			                      rv_snan_d(v->f[rs1]), rv_snan_d(v->f[rs2]), f3);
		else
			v->x[rd] = rv_compare(
			    v, rv_u2f(rv_rd_sbits(v, rs1)), rv_u2f(rv_rd_sbits(v, rs2)),
			    rv_snan_s(rv_rd_sbits(v, rs1)), rv_snan_s(rv_rd_sbits(v, rs2)), f3);
		return true;
	case 0x18: /* fcvt.{w,wu,l,lu}.fmt */
		if (rm > 4 || rs2 > 3)
			return false;
		v->x[rd] = rv_cvt_to_int(
		    v, dbl ? rv_u2d(v->f[rs1]) : (double)rv_u2f(rv_rd_sbits(v, rs1)), rs2, rm);
		if (!dbl && rv_snan_s(rv_rd_sbits(v, rs1)))
			v->fflags |= RV_FFLAG_NV;
		return true;
	case 0x1a: /* fcvt.fmt.{w,wu,l,lu} */
		if (rm > 4 || rs2 > 3)
			return false;
		if (dbl)
			rv_wr_d(v, rd, rv_cvt_from_int_d(v, v->x[rs1], rs2, rm));
		else
			rv_wr_s(v, rd, rv_cvt_from_int_s(v, v->x[rs1], rs2, rm));
		return true;
	case 0x1c: /* fmv.x.fmt, fclass */
		if (rs2 != 0)
			return false;
		if (f3 == 0) {
			v->x[rd] =
			    dbl ? v->f[rs1] : (uint64_t)(int64_t)(int32_t)(uint32_t)v->f[rs1];
		} else if (f3 == 1) {
			if (dbl) {
				uint64_t u = v->f[rs1];
				double d = rv_u2d(u);
				v->x[rd] = rv_fclass_bits(u >> 63, isinf(d), isnan(d), rv_snan_d(u),
				                          d == 0, fpclassify(d) == FP_SUBNORMAL);
			} else {
				uint32_t u = rv_rd_sbits(v, rs1);
				float f = rv_u2f(u);
				v->x[rd] = rv_fclass_bits(u >> 31, isinf(f), isnan(f), rv_snan_s(u),
				                          f == 0, fpclassify(f) == FP_SUBNORMAL);
			}
		} else {
			return false;
		}
		return true;
	case 0x1e: /* fmv.fmt.x */
		if (rs2 != 0 || f3 != 0)
			return false;
		if (dbl)
			v->f[rd] = v->x[rs1];
		else
			rv_wr_sbits(v, rd, (uint32_t)v->x[rs1]);
		return true;
	}
	return false;
}
