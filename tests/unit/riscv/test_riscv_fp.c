/* SPDX-License-Identifier: MIT */
/* F and D semantics: NaN boxing, canonical NaNs, rounding modes, fflags, conversions at
 * the edges, fmin/fmax with signed zeros and NaNs, fclass, fused multiply-add. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "enc.h"
#include "harness.h"

#include <math.h>

#define PC0 H_RAM_BASE
enum { RNE, RTZ, RDN, RUP, RMM, DYN = 7 };
#define NX     0x01
#define UF     0x02
#define OF     0x04
#define DZ     0x08
#define NV     0x10
#define CNAN_D 0x7ff8000000000000ULL
#define CNAN_S 0x7fc00000u
#define SNAN_D 0x7ff0000000000001ULL
#define BOX    0xffffffff00000000ULL

static int setup(void **state)
{
	struct harness *h = h_new();
	h_reset(h, PC0, false);
	h->v->mstatus |= 1ULL << 13;
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	h_free(*state);
	return 0;
}

static uint64_t d(double x)
{
	uint64_t u;
	memcpy(&u, &x, 8);
	return u;
}

static uint64_t s(float x)
{
	uint32_t u;
	memcpy(&u, &x, 4);
	return BOX | u;
}

/* Run one FP instruction; f1, f2, f3 / x5 are the inputs, f4 / x7 the outputs. */
static unsigned run(struct harness *h, uint32_t insn)
{
	h->v->fflags = 0;
	h->v->pc = PC0;
	h_put32(h, PC0, insn);
	h_step(h, 1);
	assert_int_equal(h->v->pc, PC0 + 4);
	return h->v->fflags;
}

/* OP-FP: funct5, fmt (0 s, 1 d), rm */
static uint32_t fop(unsigned f5, unsigned fmt, unsigned rm, unsigned rd, unsigned rs1, unsigned rs2)
{
	return e_r(OP_FP, rd, rm, rs1, rs2, f5 << 2 | fmt);
}

static unsigned bin_d(struct harness *h, unsigned f5, unsigned rm, uint64_t a, uint64_t b)
{
	h->v->f[1] = a;
	h->v->f[2] = b;
	return run(h, fop(f5, 1, rm, 4, 1, 2));
}

static unsigned bin_s(struct harness *h, unsigned f5, unsigned rm, uint64_t a, uint64_t b)
{
	h->v->f[1] = a;
	h->v->f[2] = b;
	return run(h, fop(f5, 0, rm, 4, 1, 2));
}

static void test_arith_flags(void **state)
{
	struct harness *h = *state;
	assert_int_equal(bin_d(h, 0, RNE, d(1.5), d(2.25)), 0);
	assert_int_equal(h->v->f[4], d(3.75));
	assert_int_equal(bin_d(h, 3, RNE, d(1), d(0)), DZ);
	assert_int_equal(h->v->f[4], d(INFINITY));
	assert_int_equal(bin_d(h, 3, RNE, d(0), d(0)), NV);
	assert_int_equal(h->v->f[4], CNAN_D);
	assert_int_equal(bin_d(h, 2, RNE, d(1e300), d(1e300)), OF | NX);
	assert_int_equal(bin_d(h, 2, RNE, d(1e-300), d(1e-300)), UF | NX);
	assert_int_equal(bin_d(h, 3, RNE, d(1), d(3)), NX);
	/* sNaN input: NV and canonical NaN out; qNaN input: no flag */
	assert_int_equal(bin_d(h, 0, RNE, SNAN_D, d(1)), NV);
	assert_int_equal(h->v->f[4], CNAN_D);
	assert_int_equal(bin_d(h, 0, RNE, 0xfff8000000000123ULL, d(1)), 0);
	assert_int_equal(h->v->f[4], CNAN_D);
	/* sqrt(-1): NV */
	h->v->f[1] = d(-1);
	assert_int_equal(run(h, fop(0x0b, 1, RNE, 4, 1, 0)), NV);
	assert_int_equal(h->v->f[4], CNAN_D);
	/* with NX already accrued (the hardfloat-style fast path), other flags still show */
	h->v->f[1] = d(1e-300);
	h->v->f[2] = d(1e-300);
	h->v->pc = PC0;
	h->v->fflags = NX;
	h_put32(h, PC0, fop(2, 1, RNE, 4, 1, 2));
	h_step(h, 1);
	assert_int_equal(h->v->fflags, NX | UF);
	h->v->f[1] = d(1e300);
	h->v->f[2] = d(1e300);
	h->v->pc = PC0;
	h->v->fflags = NX;
	h_step(h, 1);
	assert_int_equal(h->v->fflags, NX | OF);
	assert_int_equal(h->v->f[4], d(INFINITY));
	h->v->f[1] = s(1.0f);
	h->v->f[2] = s(3.0f);
	h->v->pc = PC0;
	h->v->fflags = NX;
	h_put32(h, PC0, fop(3, 0, RNE, 4, 1, 2));
	h_step(h, 1);
	assert_int_equal(h->v->fflags, NX);
	assert_int_equal(h->v->f[4], s(1.0f / 3.0f));
	/* accrued flags: fflags ORs in */
	h->v->f[1] = d(1);
	h->v->f[2] = d(3);
	h->v->pc = PC0;
	h->v->fflags = DZ;
	h_put32(h, PC0, fop(3, 1, RNE, 4, 1, 2));
	h_step(h, 1);
	assert_int_equal(h->v->fflags, DZ | NX);
}

static void test_rounding(void **state)
{
	struct harness *h = *state;
	/* 1/3 in each mode: RDN/RTZ give the lower neighbour, RUP the upper */
	bin_d(h, 3, RDN, d(1), d(3));
	uint64_t lo = h->v->f[4];
	bin_d(h, 3, RUP, d(1), d(3));
	uint64_t hi = h->v->f[4];
	assert_int_equal(hi, lo + 1);
	bin_d(h, 3, RTZ, d(1), d(3));
	assert_int_equal(h->v->f[4], lo);
	bin_d(h, 3, RNE, d(1), d(3));
	assert_int_equal(h->v->f[4], lo); /* 0x3fd5555555555555 */
	/* negative: RDN rounds away from zero */
	bin_d(h, 3, RDN, d(-1), d(3));
	assert_int_equal(h->v->f[4], (1ULL << 63) | hi);
	/* dynamic rounding from frm */
	h->v->frm = RUP;
	bin_d(h, 3, DYN, d(1), d(3));
	assert_int_equal(h->v->f[4], hi);
	/* invalid frm with DYN: illegal instruction */
	h->v->frm = 5;
	h->v->stvec = PC0 + 0x100;
	h->v->f[1] = d(1);
	h->v->pc = PC0;
	h_put32(h, PC0, fop(0, 1, DYN, 4, 1, 1));
	h_step(h, 1);
	assert_int_equal(h->v->scause, RV_EXC_ILLEGAL);
	/* rm = 5 encoded statically is illegal too */
	rv_set_priv(h->v, RV_PRIV_S);
	h->v->frm = 0;
	h->v->pc = PC0;
	h_put32(h, PC0, fop(0, 1, 5, 4, 1, 1));
	h_step(h, 1);
	assert_int_equal(h->v->pc, PC0 + 0x100);
	rv_set_priv(h->v, RV_PRIV_S);
	/* host rounding mode is restored */
	assert_int_equal(bin_d(h, 0, RNE, d(1), d(0x1p-53)), NX);
	assert_int_equal(h->v->f[4], d(1));
}

/* RMM: ties go away from zero, everything else as RNE. */
static void test_rmm(void **state)
{
	struct harness *h = *state;
	/* 1 + 2^-53 is halfway between 1 and 1 + 2^-52 */
	assert_int_equal(bin_d(h, 0, RMM, d(1), d(0x1p-53)), NX);
	assert_int_equal(h->v->f[4], d(1 + 0x1p-52));
	bin_d(h, 0, RNE, d(1), d(0x1p-53));
	assert_int_equal(h->v->f[4], d(1));
	bin_d(h, 1, RMM, d(-1), d(0x1p-53)); /* fsub: -1 - 2^-53 */
	assert_int_equal(h->v->f[4], d(-1 - 0x1p-52));
	bin_d(h, 0, RMM, d(1), d(0x1p-54)); /* below the midpoint */
	assert_int_equal(h->v->f[4], d(1));
	bin_d(h, 0, RMM, d(1), d(0x1.8p-53)); /* above it */
	assert_int_equal(h->v->f[4], d(1 + 0x1p-52));
	/* single: 1 + 2^-24 is a tie between 1 and 1 + 2^-23 */
	bin_s(h, 0, RMM, s(1.0f), s(0x1p-24f));
	assert_int_equal(h->v->f[4], s(1.0f + 0x1p-23f));
	bin_s(h, 2, RMM, s(1.5f), s(1.0f + 0x1p-23f)); /* 1.5 + 1.5 * 2^-23: a tie */
	assert_int_equal(h->v->f[4], s(1.5f + 0x1p-22f));
	bin_s(h, 2, RNE, s(1.5f), s(1.0f + 0x1p-23f));
	assert_int_equal(h->v->f[4], s(1.5f + 0x1p-22f)); /* RNE: even is away here too */
	/* int -> float ties */
	h->v->x[1] = 16777217;
	run(h, fop(0x1a, 0, RMM, 4, 1, 0));
	assert_int_equal(h->v->f[4], s(16777218.0f));
	h->v->x[1] = (uint64_t)-16777217;
	run(h, fop(0x1a, 0, RMM, 4, 1, 2));
	assert_int_equal(h->v->f[4], s(-16777218.0f));
	h->v->x[1] = (1ULL << 53) + 1;
	run(h, fop(0x1a, 1, RMM, 4, 1, 3));
	assert_int_equal(h->v->f[4], d(0x1p53 + 2));
	/* double -> single tie */
	h->v->f[1] = d(1 + 0x1p-24);
	run(h, fop(0x08, 0, RMM, 4, 1, 1));
	assert_int_equal(h->v->f[4], s(1.0f + 0x1p-23f));
	/* fma: 1 * 1 + 2^-53 */
	h->v->f[1] = d(1);
	h->v->f[2] = d(1);
	h->v->f[3] = d(0x1p-53);
	run(h, e_r4(0x43, 4, RMM, 1, 2, 3, 1));
	assert_int_equal(h->v->f[4], d(1 + 0x1p-52));
}

static void test_nan_boxing(void **state)
{
	struct harness *h = *state;
	/* single results are boxed */
	bin_s(h, 0, RNE, s(1.5f), s(1.5f));
	assert_int_equal(h->v->f[4], s(3.0f));
	/* improperly boxed operand reads as canonical NaN */
	bin_s(h, 0, RNE, 0x000000003fc00000ULL, s(1.0f));
	assert_int_equal(h->v->f[4], BOX | CNAN_S);
	/* fsgnj.s with an unboxed operand */
	bin_s(h, 4, 0, 0x123456783fc00000ULL, s(-1.0f));
	assert_int_equal(h->v->f[4], BOX | CNAN_S | 0x80000000u);
	/* fmv.x.w sign-extends the low 32 bits (no unboxing) */
	h->v->f[1] = 0x00000000bf800000ULL;
	run(h, fop(0x1c, 0, 0, 7, 1, 0));
	assert_int_equal(h->v->x[7], 0xffffffffbf800000ULL);
	/* fmv.w.x boxes */
	h->v->x[1] = 0x123456783f800000ULL;
	run(h, fop(0x1e, 0, 0, 4, 1, 0));
	assert_int_equal(h->v->f[4], BOX | 0x3f800000u);
	/* flw boxes, fsw stores the low half */
	h_put64(h, PC0 + 0x1000, 0xaaaaaaaa40490fdbULL);
	h->v->x[5] = PC0 + 0x1000;
	run(h, e_i(OP_FLOAD, 4, 2, 5, 0));
	assert_int_equal(h->v->f[4], BOX | 0x40490fdbu);
	/* fcvt.s.d / fcvt.d.s */
	h->v->f[1] = d(1e300);
	assert_int_equal(run(h, fop(0x08, 0, RNE, 4, 1, 1)), OF | NX);
	assert_int_equal(h->v->f[4], s(INFINITY));
	h->v->f[1] = BOX | 0x7f800001u; /* single sNaN */
	assert_int_equal(run(h, fop(0x08, 1, RNE, 4, 1, 0)), NV);
	assert_int_equal(h->v->f[4], CNAN_D);
}

static uint64_t cvt(struct harness *h, unsigned fmt, unsigned kind, unsigned rm, uint64_t in,
                    unsigned *flags)
{
	h->v->f[1] = in;
	*flags = run(h, fop(0x18, fmt, rm, 7, 1, kind));
	return h->v->x[7];
}

static void test_conversions(void **state)
{
	struct harness *h = *state;
	unsigned fl;
	/* fcvt.w.d */
	assert_int_equal(cvt(h, 1, 0, RTZ, d(2147483647.9), &fl), 0x7fffffff);
	assert_int_equal(fl, NX);
	assert_int_equal(cvt(h, 1, 0, RNE, d(2147483647.9), &fl), 0x7fffffff);
	assert_int_equal(fl, NV);
	assert_int_equal(cvt(h, 1, 0, RNE, d(-2147483648.0), &fl), 0xffffffff80000000ULL);
	assert_int_equal(fl, 0);
	assert_int_equal(cvt(h, 1, 0, RNE, d(-2147483649.0), &fl), 0xffffffff80000000ULL);
	assert_int_equal(fl, NV);
	assert_int_equal(cvt(h, 1, 0, RNE, d(-INFINITY), &fl), 0xffffffff80000000ULL);
	assert_int_equal(cvt(h, 1, 0, RNE, CNAN_D, &fl), 0x7fffffff);
	assert_int_equal(fl, NV);
	/* fcvt.wu.d: result sign-extended from 32 bits */
	assert_int_equal(cvt(h, 1, 1, RNE, d(4294967295.0), &fl), 0xffffffffffffffffULL);
	assert_int_equal(fl, 0);
	assert_int_equal(cvt(h, 1, 1, RTZ, d(-0.9), &fl), 0);
	assert_int_equal(fl, NX);
	assert_int_equal(cvt(h, 1, 1, RNE, d(-1.0), &fl), 0);
	assert_int_equal(fl, NV);
	assert_int_equal(cvt(h, 1, 1, RNE, CNAN_D, &fl), 0xffffffffffffffffULL);
	/* fcvt.l.d / fcvt.lu.d */
	assert_int_equal(cvt(h, 1, 2, RNE, d(-0x1p63), &fl), 0x8000000000000000ULL);
	assert_int_equal(fl, 0);
	assert_int_equal(cvt(h, 1, 2, RNE, d(0x1p63), &fl), 0x7fffffffffffffffULL);
	assert_int_equal(fl, NV);
	assert_int_equal(cvt(h, 1, 3, RNE, d(0x1p64), &fl), UINT64_MAX);
	assert_int_equal(fl, NV);
	assert_int_equal(cvt(h, 1, 3, RNE, d(0x1.fffffffffffffp63), &fl), 0xfffffffffffff800ULL);
	assert_int_equal(fl, 0);
	/* rounding modes on -2.5 and 2.5 */
	assert_int_equal(cvt(h, 1, 2, RNE, d(2.5), &fl), 2);
	assert_int_equal(cvt(h, 1, 2, RMM, d(2.5), &fl), 3);
	assert_int_equal(cvt(h, 1, 2, RMM, d(-2.5), &fl), (uint64_t)-3);
	assert_int_equal(cvt(h, 1, 2, RDN, d(-2.5), &fl), (uint64_t)-3);
	assert_int_equal(cvt(h, 1, 2, RUP, d(-2.5), &fl), (uint64_t)-2);
	assert_int_equal(cvt(h, 1, 2, RNE, d(3.5), &fl), 4);
	/* single source */
	assert_int_equal(cvt(h, 0, 0, RNE, s(-1.5f), &fl), (uint64_t)-2);
	assert_int_equal(fl, NX);
	assert_int_equal(cvt(h, 0, 3, RNE, s(0x1p64f), &fl), UINT64_MAX);
	assert_int_equal(fl, NV);
	/* int -> fp */
	h->v->x[1] = UINT64_MAX;
	assert_int_equal(run(h, fop(0x1a, 1, RNE, 4, 1, 3)), NX); /* fcvt.d.lu */
	assert_int_equal(h->v->f[4], d(0x1p64));
	assert_int_equal(run(h, fop(0x1a, 1, RTZ, 4, 1, 3)), NX);
	assert_int_equal(h->v->f[4], d(0x1.fffffffffffffp63));
	assert_int_equal(run(h, fop(0x1a, 1, RNE, 4, 1, 2)), 0); /* fcvt.d.l of -1 */
	assert_int_equal(h->v->f[4], d(-1));
	h->v->x[1] = 0xffffffff80000000ULL;
	assert_int_equal(run(h, fop(0x1a, 0, RNE, 4, 1, 1)), 0); /* fcvt.s.wu: low 32 */
	assert_int_equal(h->v->f[4], s(2147483648.0f));
	h->v->x[1] = 16777217;
	assert_int_equal(run(h, fop(0x1a, 0, RNE, 4, 1, 0)), NX); /* fcvt.s.w */
	assert_int_equal(h->v->f[4], s(16777216.0f));
	assert_int_equal(run(h, fop(0x1a, 0, RUP, 4, 1, 0)), NX);
	assert_int_equal(h->v->f[4], s(16777218.0f));
}

static void test_minmax_compare_class(void **state)
{
	struct harness *h = *state;
	/* fmin(-0, +0) = -0, fmax = +0, in either order */
	bin_d(h, 5, 0, d(0.0), d(-0.0));
	assert_int_equal(h->v->f[4], d(-0.0));
	bin_d(h, 5, 1, d(-0.0), d(0.0));
	assert_int_equal(h->v->f[4], d(0.0));
	/* one NaN: the other operand; sNaN raises NV */
	assert_int_equal(bin_d(h, 5, 0, CNAN_D, d(2)), 0);
	assert_int_equal(h->v->f[4], d(2));
	assert_int_equal(bin_d(h, 5, 1, d(2), SNAN_D), NV);
	assert_int_equal(h->v->f[4], d(2));
	assert_int_equal(bin_d(h, 5, 1, SNAN_D, 0xfff8000000000001ULL), NV);
	assert_int_equal(h->v->f[4], CNAN_D);
	/* singles */
	bin_s(h, 5, 0, s(-0.0f), s(0.0f));
	assert_int_equal(h->v->f[4], s(-0.0f));
	bin_s(h, 5, 1, BOX | 0x7f800001u, s(3.0f));
	assert_int_equal(h->v->f[4], s(3.0f));
	/* comparisons: feq quiet, flt/fle signaling */
	h->v->f[1] = CNAN_D;
	h->v->f[2] = d(1);
	assert_int_equal(run(h, fop(0x14, 1, 2, 7, 1, 2)), 0);
	assert_int_equal(h->v->x[7], 0);
	assert_int_equal(run(h, fop(0x14, 1, 1, 7, 1, 2)), NV);
	assert_int_equal(run(h, fop(0x14, 1, 0, 7, 1, 2)), NV);
	h->v->f[1] = SNAN_D;
	assert_int_equal(run(h, fop(0x14, 1, 2, 7, 1, 2)), NV);
	h->v->f[1] = d(-0.0);
	h->v->f[2] = d(0.0);
	run(h, fop(0x14, 1, 2, 7, 1, 2));
	assert_int_equal(h->v->x[7], 1); /* -0 == +0 */
	run(h, fop(0x14, 1, 1, 7, 1, 2));
	assert_int_equal(h->v->x[7], 0);
	run(h, fop(0x14, 1, 0, 7, 1, 2));
	assert_int_equal(h->v->x[7], 1);
	/* fclass.d: all ten classes */
	const uint64_t in[10] = {
	    d(-INFINITY),          d(-1.0), 0x800fffffffffffffULL, d(-0.0), d(0.0),
	    0x0000000000000001ULL, d(1.0),  d(INFINITY),           SNAN_D,  CNAN_D};
	for (unsigned i = 0; i < 10; i++) {
		h->v->f[1] = in[i];
		run(h, fop(0x1c, 1, 1, 7, 1, 0));
		assert_int_equal(h->v->x[7], 1u << i);
	}
	const uint64_t ins[10] = {s(-INFINITY),      s(-1.0f),    BOX | 0x80000001u, s(-0.0f),
	                          s(0.0f),           BOX | 1u,    s(1.0f),           s(INFINITY),
	                          BOX | 0x7f800001u, BOX | CNAN_S};
	for (unsigned i = 0; i < 10; i++) {
		h->v->f[1] = ins[i];
		run(h, fop(0x1c, 0, 1, 7, 1, 0));
		assert_int_equal(h->v->x[7], 1u << i);
	}
	/* fsgnjx.d */
	bin_d(h, 4, 2, d(-2.0), d(-1.0));
	assert_int_equal(h->v->f[4], d(2.0));
	bin_d(h, 4, 1, d(2.0), d(1.0));
	assert_int_equal(h->v->f[4], d(-2.0));
}

static void test_fma(void **state)
{
	struct harness *h = *state;
	/* (1 + 2^-52) * (1 - 2^-52) - 1 = -2^-104 exactly: single rounding */
	h->v->f[1] = d(1 + 0x1p-52);
	h->v->f[2] = d(1 - 0x1p-52);
	h->v->f[3] = d(-1);
	assert_int_equal(run(h, e_r4(0x43, 4, RNE, 1, 2, 3, 1)), 0);
	assert_int_equal(h->v->f[4], d(-0x1p-104));
	/* fmsub: a*b - c; fnmsub: -(a*b) + c; fnmadd: -(a*b) - c */
	h->v->f[1] = d(2);
	h->v->f[2] = d(3);
	h->v->f[3] = d(1);
	run(h, e_r4(0x47, 4, RNE, 1, 2, 3, 1));
	assert_int_equal(h->v->f[4], d(5));
	run(h, e_r4(0x4b, 4, RNE, 1, 2, 3, 1));
	assert_int_equal(h->v->f[4], d(-5));
	run(h, e_r4(0x4f, 4, RNE, 1, 2, 3, 1));
	assert_int_equal(h->v->f[4], d(-7));
	/* inf * 0 + qNaN raises NV */
	h->v->f[1] = d(INFINITY);
	h->v->f[2] = d(0);
	h->v->f[3] = CNAN_D;
	assert_int_equal(run(h, e_r4(0x43, 4, RNE, 1, 2, 3, 1)) & NV, NV);
	assert_int_equal(h->v->f[4], CNAN_D);
	/* single precision */
	h->v->f[1] = s(1.5f);
	h->v->f[2] = s(2.0f);
	h->v->f[3] = s(0.25f);
	run(h, e_r4(0x43, 4, RNE, 1, 2, 3, 0));
	assert_int_equal(h->v->f[4], s(3.25f));
}

static void test_fs_off(void **state)
{
	struct harness *h = *state;
	h->v->mstatus &= ~RV_MSTATUS_FS;
	h->v->stvec = PC0 + 0x100;
	h->v->pc = PC0;
	h_put32(h, PC0, fop(0, 1, RNE, 4, 1, 2));
	h_step(h, 1);
	assert_int_equal(h->v->scause, RV_EXC_ILLEGAL);
	/* FLD also illegal */
	rv_set_priv(h->v, RV_PRIV_S);
	h->v->scause = 0;
	h->v->pc = PC0;
	h_put32(h, PC0, e_i(OP_FLOAD, 4, 3, 0, 0));
	h_step(h, 1);
	assert_int_equal(h->v->scause, RV_EXC_ILLEGAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_arith_flags, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rounding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rmm, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nan_boxing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_conversions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_minmax_compare_class, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fma, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fs_off, setup, teardown),
	};
	return cmocka_run_group_tests_name("riscv_fp", tests, NULL, NULL);
}
