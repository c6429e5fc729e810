/* SPDX-License-Identifier: MIT */
/* One precision of the F and D extensions, included twice by fpu.c (as TinyEMU does with
 * softfp_template.h): with F_SIZE 32 it defines the *_s functions on float, with F_SIZE 64
 * the *_d functions on double. F_WIDE is the next wider host type (RMM ties are exact in
 * it). Single-precision values live NaN-boxed in the 64-bit f registers. */
#if F_SIZE == 32
#define F_UINT      uint32_t
#define F_FLOAT     float
#define F_WIDE      double
#define F_CNAN      0x7fc00000u
#define F_EXP_MASK  0x7f800000u
#define F_MANT_MASK 0x7fffffu
#define F_QUIET     0x400000u
#define F_MIN       FLT_MIN
#define F_MAX       FLT_MAX
#define F_SQRT      sqrtf
#define F_FMA       fmaf
#define F_FABS      fabsf
#define F_NEXTAFTER nextafterf
#define W_SQRT      sqrt
#define W_FMA       fma
#define F(name)     name##_s
#elif F_SIZE == 64
#define F_UINT      uint64_t
#define F_FLOAT     double
#define F_WIDE      long double
#define F_CNAN      0x7ff8000000000000ULL
#define F_EXP_MASK  0x7ff0000000000000ULL
#define F_MANT_MASK 0xfffffffffffffULL
#define F_QUIET     0x8000000000000ULL
#define F_MIN       DBL_MIN
#define F_MAX       DBL_MAX
#define F_SQRT      sqrt
#define F_FMA       fma
#define F_FABS      fabs
#define F_NEXTAFTER nextafter
#define W_SQRT      sqrtl
#define W_FMA       fmal
#define F(name)     name##_d
#else
#error "F_SIZE must be 32 or 64"
#endif

static F_FLOAT F(rv_float)(F_UINT u)
{
	F_FLOAT f;
	memcpy(&f, &u, sizeof(f));
	return f;
}

static F_UINT F(rv_bits)(F_FLOAT f)
{
	F_UINT u;
	memcpy(&u, &f, sizeof(u));
	return u;
}

/* An operand's bits: a single that is not properly NaN-boxed reads as the canonical NaN. */
static F_UINT F(rv_rd_bits)(const struct vcpu *v, unsigned r)
{
#if F_SIZE == 32
	uint64_t x = v->f[r];
	return (x >> 32) == 0xffffffffu ? (uint32_t)x : F_CNAN;
#else
	return v->f[r];
#endif
}

static F_FLOAT F(rv_rd)(const struct vcpu *v, unsigned r)
{
	return F(rv_float)(F(rv_rd_bits)(v, r));
}

static void F(rv_wr_bits)(struct vcpu *v, unsigned r, F_UINT bits)
{
#if F_SIZE == 32
	v->f[r] = BOX | bits;
#else
	v->f[r] = bits;
#endif
}

/* A result: NaNs become the canonical NaN. */
static void F(rv_wr)(struct vcpu *v, unsigned r, F_FLOAT f)
{
	F(rv_wr_bits)(v, r, isnan(f) ? F_CNAN : F(rv_bits)(f));
}

static bool F(rv_snan)(F_UINT u)
{
	return (u & F_EXP_MASK) == F_EXP_MASK && (u & F_MANT_MASK) && !(u & F_QUIET);
}

/* RMM from the RNE result r and the exact result w (see the comment in fpu.c). */
static F_FLOAT F(rv_rmm)(F_FLOAT r, F_WIDE w)
{
	F_FLOAT n;
	if (isnan(r) || isinf(r) || (F_WIDE)r == w)
		return r;
	n = F_NEXTAFTER(r, w > (F_WIDE)r ? INFINITY : -INFINITY);
	if (w == ((F_WIDE)r + (F_WIDE)n) / 2 && F_FABS(n) > F_FABS(r))
		return n;
	return r;
}

static F_FLOAT F(rv_rmm_arith)(int op, F_FLOAT a, F_FLOAT b, F_FLOAT c, F_FLOAT r)
{
	volatile F_WIDE wa = a, wb = b, wc = c, w;
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
		w = W_SQRT(wa);
		break;
	default:
		w = W_FMA(wa, wb, wc);
		break;
	}
	if (fetestexcept(FE_INEXACT))
		return r;
	return F(rv_rmm)(r, w);
}

static F_FLOAT F(rv_arith)(struct vcpu *v, int op, F_FLOAT a, F_FLOAT b, F_FLOAT c, unsigned rm)
{
	/* Fast path (like QEMU's hardfloat): with round-to-nearest and NX already accrued, a
	 * finite normal result cannot have raised any flag still missing, so the host's
	 * plain result is final. Anything else is recomputed with exact flags below. */
	if (rm == 0 && (v->fflags & RV_FFLAG_NX)) {
		F_FLOAT f;
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
			f = F_SQRT(a);
			break;
		default:
			f = F_FMA(a, b, c);
			break;
		}
		if (F_FABS(f) > F_MIN && F_FABS(f) <= F_MAX)
			return f;
	}
	volatile F_FLOAT va = a, vb = b, vc = c, r;
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
		r = F_SQRT(va);
		break;
	default:
		r = F_FMA(va, vb, vc);
		break;
	}
	rv_fenv_end(v, rm);
	if (rm == 4)
		return F(rv_rmm_arith)(op, a, b, c, r);
	return r;
}

/* fcvt.fmt.{w,wu,l,lu} */
static F_FLOAT F(rv_cvt_from_int)(struct vcpu *v, uint64_t x, unsigned kind, unsigned rm)
{
	volatile uint64_t vx = x;
	volatile F_FLOAT r;
	rv_fenv_begin(rm);
	switch (kind) {
	case 0:
		r = (F_FLOAT)(int32_t)vx;
		break;
	case 1:
		r = (F_FLOAT)(int64_t)(uint32_t)vx;
		break;
	case 2:
		r = (F_FLOAT)(int64_t)vx;
		break;
	default:
		r = (F_FLOAT)vx;
		break;
	}
	rv_fenv_end(v, rm);
	if (rm == 4) {
		/* a tie of a 64-bit integer has at most F's precision + 1 significant bits; when
		 * the integer is not exact in F_WIDE there is no tie (only for singles, whose
		 * F_WIDE, double, has 53 bits) */
		F_WIDE w = kind == 0   ? (F_WIDE)(int32_t)x
		           : kind == 1 ? (F_WIDE)(uint32_t)x
		           : kind == 2 ? (F_WIDE)(int64_t)x
		                       : (F_WIDE)x;
		if ((kind == 2 && (long double)w != (long double)(int64_t)x) ||
		    (kind == 3 && (long double)w != (long double)x))
			return r;
		return F(rv_rmm)(r, w);
	}
	return r;
}

/* fmin/fmax on raw bits: NaN rules and -0 < +0. */
static F_UINT F(rv_minmax)(struct vcpu *v, F_UINT a, F_UINT b, bool max)
{
	F_FLOAT x = F(rv_float)(a), y = F(rv_float)(b);
	if (F(rv_snan)(a) || F(rv_snan)(b))
		v->fflags |= RV_FFLAG_NV;
	if (isnan(x) && isnan(y))
		return F_CNAN;
	if (isnan(x))
		return b;
	if (isnan(y))
		return a;
	if (x == y) /* equal, possibly zeros of opposite sign */
		return max ? (a & b) : (a | b);
	return (max ? x > y : x < y) ? a : b;
}

static unsigned F(rv_fclass)(F_UINT u)
{
	F_FLOAT f = F(rv_float)(u);
	bool neg = u >> (F_SIZE - 1);

	if (isnan(f))
		return F(rv_snan)(u) ? 1u << 8 : 1u << 9;
	if (isinf(f))
		return neg ? 1u << 0 : 1u << 7;
	if (f == 0)
		return neg ? 1u << 3 : 1u << 4;
	if (fpclassify(f) == FP_SUBNORMAL)
		return neg ? 1u << 2 : 1u << 5;
	return neg ? 1u << 1 : 1u << 6;
}

/* fmadd, fmsub, fnmsub, fnmadd */
static void F(rv_exec_fma)(struct vcpu *v, uint32_t insn, unsigned rm)
{
	unsigned rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31, rs2 = (insn >> 20) & 31;
	unsigned rs3 = insn >> 27, op = (insn >> 2) & 3;
	bool negp = op >= 2, negc = op == 1 || op == 3;
	F_FLOAT a = F(rv_rd)(v, rs1), b = F(rv_rd)(v, rs2), c = F(rv_rd)(v, rs3);

	if ((isinf(a) && b == 0) || (a == 0 && isinf(b)))
		v->fflags |= RV_FFLAG_NV;
	F(rv_wr)(v, rd, F(rv_arith)(v, OP_FMA, negp ? -a : a, b, negc ? -c : c, rm));
}

/* An OP-FP instruction of this precision, except the conversions between the two (fpu.c).
 * rm is the resolved rounding mode (not yet checked). Returns false for an illegal one. */
static bool F(rv_exec_op)(struct vcpu *v, uint32_t insn, unsigned rm)
{
	unsigned rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31, rs2 = (insn >> 20) & 31;
	unsigned f3 = (insn >> 12) & 7, f7 = insn >> 25;

	switch (f7 >> 2) {
	case 0x00:
	case 0x01:
	case 0x02:
	case 0x03:
	case 0x0b: {
		int op = (f7 >> 2) == 0x0b ? OP_SQRT : (int)(f7 >> 2);
		if (rm > 4 || (op == OP_SQRT && rs2 != 0))
			return false;
		F(rv_wr)(v, rd, F(rv_arith)(v, op, F(rv_rd)(v, rs1), F(rv_rd)(v, rs2), 0, rm));
		return true;
	}
	case 0x04: { /* fsgnj, fsgnjn, fsgnjx */
		F_UINT a = F(rv_rd_bits)(v, rs1), b = F(rv_rd_bits)(v, rs2);
		F_UINT s = (F_UINT)1 << (F_SIZE - 1);
		if (f3 > 2)
			return false;
		F(rv_wr_bits)(v, rd, (a & ~s) | (f3 == 0 ? b & s : f3 == 1 ? ~b & s : (a ^ b) & s));
		return true;
	}
	case 0x05: { /* fmin, fmax */
		F_UINT a = F(rv_rd_bits)(v, rs1), b = F(rv_rd_bits)(v, rs2);
		if (f3 > 1)
			return false;
		F(rv_wr_bits)(v, rd, F(rv_minmax)(v, a, b, f3 == 1));
		return true;
	}
	case 0x14: /* fle, flt, feq: compared as doubles (a single widens exactly) */
		if (f3 > 2)
			return false;
		v->x[rd] = rv_compare(v, F(rv_rd)(v, rs1), F(rv_rd)(v, rs2),
		                      F(rv_snan)(F(rv_rd_bits)(v, rs1)),
		                      F(rv_snan)(F(rv_rd_bits)(v, rs2)), f3);
		return true;
	case 0x18: /* fcvt.{w,wu,l,lu}.fmt */
		if (rm > 4 || rs2 > 3)
			return false;
		v->x[rd] = rv_cvt_to_int(v, F(rv_rd)(v, rs1), rs2, rm);
		return true;
	case 0x1a: /* fcvt.fmt.{w,wu,l,lu} */
		if (rm > 4 || rs2 > 3)
			return false;
		F(rv_wr)(v, rd, F(rv_cvt_from_int)(v, v->x[rs1], rs2, rm));
		return true;
	case 0x1c: /* fmv.x.fmt (the raw register bits, sign-extended), fclass */
		if (rs2 != 0)
			return false;
		if (f3 == 0)
#if F_SIZE == 32
			v->x[rd] = (uint64_t)(int64_t)(int32_t)(uint32_t)v->f[rs1];
#else
			v->x[rd] = v->f[rs1];
#endif
		else if (f3 == 1)
			v->x[rd] = F(rv_fclass)(F(rv_rd_bits)(v, rs1));
		else
			return false;
		return true;
	case 0x1e: /* fmv.fmt.x */
		if (rs2 != 0 || f3 != 0)
			return false;
		F(rv_wr_bits)(v, rd, (F_UINT)v->x[rs1]);
		return true;
	}
	return false;
}

#undef F_SIZE
#undef F_UINT
#undef F_FLOAT
#undef F_WIDE
#undef F_CNAN
#undef F_EXP_MASK
#undef F_MANT_MASK
#undef F_QUIET
#undef F_MIN
#undef F_MAX
#undef F_SQRT
#undef F_FMA
#undef F_FABS
#undef F_NEXTAFTER
#undef W_SQRT
#undef W_FMA
#undef F
