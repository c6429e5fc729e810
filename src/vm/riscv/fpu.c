/* SPDX-License-Identifier: MIT */
/* F and D extensions on the host FPU (x86-64 SSE and aarch64 both round after detecting
 * tininess like RISC-V). Rounding modes map onto fesetround(); RMM (ties to max magnitude)
 * is exact for conversions to integers and approximated by RNE for arithmetic. Exception
 * flags come from fetestexcept(); NaN results are replaced by the canonical NaN, and the
 * operations whose NaN or signed-zero rules differ between IEEE 754 hosts and RISC-V
 * (min/max, comparisons, conversions to integers, classification) are done by hand.
 *
 * Operands pass through volatile locals so the compiler cannot move the arithmetic across
 * fesetround()/fetestexcept() (GCC ignores FENV_ACCESS). */
#include "riscv.h"

#include <fenv.h>
#include <math.h>

#define CNAN_S 0x7fc00000u
#define CNAN_D 0x7ff8000000000000ULL
#define BOX    0xffffffff00000000ULL

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_SQRT, OP_FMA };

static const int host_rm[5] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD, FE_TONEAREST};

static uint32_t f2u(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

static float u2f(uint32_t u)
{
	float f;
	memcpy(&f, &u, 4);
	return f;
}

static uint64_t d2u(double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	return u;
}

static double u2d(uint64_t u)
{
	double d;
	memcpy(&d, &u, 8);
	return d;
}

/* Single-precision operand: an improperly NaN-boxed value reads as the canonical NaN. */
static uint32_t rd_sbits(const struct vcpu *v, unsigned r)
{
	uint64_t x = v->f[r];
	return (x >> 32) == 0xffffffffu ? (uint32_t)x : CNAN_S;
}

static void wr_sbits(struct vcpu *v, unsigned r, uint32_t bits)
{
	v->f[r] = BOX | bits;
}

static void wr_s(struct vcpu *v, unsigned r, float f)
{
	wr_sbits(v, r, isnan(f) ? CNAN_S : f2u(f));
}

static void wr_d(struct vcpu *v, unsigned r, double d)
{
	v->f[r] = isnan(d) ? CNAN_D : d2u(d);
}

static bool snan_s(uint32_t u)
{
	return (u & 0x7f800000u) == 0x7f800000u && (u & 0x7fffffu) && !(u & 0x400000u);
}

static bool snan_d(uint64_t u)
{
	return (u & 0x7ff0000000000000ULL) == 0x7ff0000000000000ULL && (u & 0xfffffffffffffULL) &&
	       !(u & 0x8000000000000ULL);
}

static unsigned host_flags(int ex)
{
	return ((ex & FE_INVALID) ? RV_FFLAG_NV : 0) | ((ex & FE_DIVBYZERO) ? RV_FFLAG_DZ : 0) |
	       ((ex & FE_OVERFLOW) ? RV_FFLAG_OF : 0) | ((ex & FE_UNDERFLOW) ? RV_FFLAG_UF : 0) |
	       ((ex & FE_INEXACT) ? RV_FFLAG_NX : 0);
}

static void fenv_begin(unsigned rm)
{
	feclearexcept(FE_ALL_EXCEPT);
	if (rm != 0)
		fesetround(host_rm[rm]);
}

static void fenv_end(struct vcpu *v, unsigned rm)
{
	int ex = fetestexcept(FE_ALL_EXCEPT);
	if (rm != 0)
		fesetround(FE_TONEAREST);
	v->fflags |= host_flags(ex);
}

static double arith_d(struct vcpu *v, int op, double a, double b, double c, unsigned rm)
{
	volatile double va = a, vb = b, vc = c, r;
	fenv_begin(rm);
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
	fenv_end(v, rm);
	return r;
}

static float arith_s(struct vcpu *v, int op, float a, float b, float c, unsigned rm)
{
	volatile float va = a, vb = b, vc = c, r;
	fenv_begin(rm);
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
	fenv_end(v, rm);
	return r;
}

/* Round to an integral value in RISC-V rounding mode rm (exact, no flags). */
static double round_rm(double x, unsigned rm)
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
static uint64_t cvt_to_int(struct vcpu *v, double x, unsigned kind, unsigned rm)
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
	r = round_rm(x, rm);
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

static double cvt_from_int_d(struct vcpu *v, uint64_t x, unsigned kind, unsigned rm)
{
	volatile uint64_t vx = x;
	volatile double r;
	fenv_begin(rm);
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
	fenv_end(v, rm);
	return r;
}

static float cvt_from_int_s(struct vcpu *v, uint64_t x, unsigned kind, unsigned rm)
{
	volatile uint64_t vx = x;
	volatile float r;
	fenv_begin(rm);
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
	fenv_end(v, rm);
	return r;
}

static unsigned fclass_bits(bool neg, bool inf, bool nan, bool snan, bool zero, bool sub)
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
static uint64_t minmax_d(struct vcpu *v, uint64_t a, uint64_t b, bool max)
{
	double x = u2d(a), y = u2d(b);
	if (snan_d(a) || snan_d(b))
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

static uint32_t minmax_s(struct vcpu *v, uint32_t a, uint32_t b, bool max)
{
	float x = u2f(a), y = u2f(b);
	if (snan_s(a) || snan_s(b))
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
static uint64_t compare(struct vcpu *v, double x, double y, bool sx, bool sy, unsigned f3)
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

static bool exec_fma(struct vcpu *v, uint32_t insn, unsigned rm)
{
	unsigned rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31, rs2 = (insn >> 20) & 31;
	unsigned rs3 = insn >> 27, fmt = (insn >> 25) & 3, op = (insn >> 2) & 3;
	bool negp = op >= 2, negc = op == 1 || op == 3;

	if (fmt == 1) {
		double a = u2d(v->f[rs1]), b = u2d(v->f[rs2]), c = u2d(v->f[rs3]);
		if ((isinf(a) && b == 0) || (a == 0 && isinf(b)))
			v->fflags |= RV_FFLAG_NV;
		double r = arith_d(v, OP_FMA, negp ? -a : a, b, negc ? -c : c, rm);
		wr_d(v, rd, r);
	} else if (fmt == 0) {
		float a = u2f(rd_sbits(v, rs1)), b = u2f(rd_sbits(v, rs2)),
		      c = u2f(rd_sbits(v, rs3));
		if ((isinf(a) && b == 0) || (a == 0 && isinf(b)))
			v->fflags |= RV_FFLAG_NV;
		float r = arith_s(v, OP_FMA, negp ? -a : a, b, negc ? -c : c, rm);
		wr_s(v, rd, r);
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
		return exec_fma(v, insn, rm);
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
			wr_d(v, rd, arith_d(v, op, u2d(v->f[rs1]), u2d(v->f[rs2]), 0, rm));
		else
			wr_s(v, rd,
			     arith_s(v, op, u2f(rd_sbits(v, rs1)), u2f(rd_sbits(v, rs2)), 0, rm));
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
			uint32_t a = rd_sbits(v, rs1), b = rd_sbits(v, rs2), s = 1u << 31;
			uint32_t sign = f3 == 0 ? b & s : f3 == 1 ? ~b & s : (a ^ b) & s;
			wr_sbits(v, rd, (a & ~s) | sign);
		}
		return true;
	case 0x05: /* fmin, fmax */
		if (f3 > 1)
			return false;
		if (dbl)
			v->f[rd] = minmax_d(v, v->f[rs1], v->f[rs2], f3 == 1);
		else
			wr_sbits(v, rd, minmax_s(v, rd_sbits(v, rs1), rd_sbits(v, rs2), f3 == 1));
		return true;
	case 0x08: /* fcvt.s.d, fcvt.d.s */
		if (rm > 4)
			return false;
		if (dbl && rs2 == 0) {
			uint32_t a = rd_sbits(v, rs1);
			volatile float x = u2f(a);
			volatile double r;
			fenv_begin(0);
			r = (double)x;
			fenv_end(v, 0);
			wr_d(v, rd, r);
		} else if (!dbl && rs2 == 1) {
			volatile double x = u2d(v->f[rs1]);
			volatile float r;
			fenv_begin(rm);
			r = (float)x;
			fenv_end(v, rm);
			wr_s(v, rd, r);
		} else {
			return false;
		}
		return true;
	case 0x14: /* fle, flt, feq */
		if (f3 > 2)
			return false;
		if (dbl)
			v->x[rd] = compare(v, u2d(v->f[rs1]), u2d(v->f[rs2]), snan_d(v->f[rs1]),
			                   snan_d(v->f[rs2]), f3);
		else
			v->x[rd] = compare(v, u2f(rd_sbits(v, rs1)), u2f(rd_sbits(v, rs2)),
			                   snan_s(rd_sbits(v, rs1)), snan_s(rd_sbits(v, rs2)), f3);
		return true;
	case 0x18: /* fcvt.{w,wu,l,lu}.fmt */
		if (rm > 4 || rs2 > 3)
			return false;
		v->x[rd] =
		    cvt_to_int(v, dbl ? u2d(v->f[rs1]) : (double)u2f(rd_sbits(v, rs1)), rs2, rm);
		if (!dbl && snan_s(rd_sbits(v, rs1)))
			v->fflags |= RV_FFLAG_NV;
		return true;
	case 0x1a: /* fcvt.fmt.{w,wu,l,lu} */
		if (rm > 4 || rs2 > 3)
			return false;
		if (dbl)
			wr_d(v, rd, cvt_from_int_d(v, v->x[rs1], rs2, rm));
		else
			wr_s(v, rd, cvt_from_int_s(v, v->x[rs1], rs2, rm));
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
				double d = u2d(u);
				v->x[rd] = fclass_bits(u >> 63, isinf(d), isnan(d), snan_d(u),
				                       d == 0, fpclassify(d) == FP_SUBNORMAL);
			} else {
				uint32_t u = rd_sbits(v, rs1);
				float f = u2f(u);
				v->x[rd] = fclass_bits(u >> 31, isinf(f), isnan(f), snan_s(u),
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
			wr_sbits(v, rd, (uint32_t)v->x[rs1]);
		return true;
	}
	return false;
}
