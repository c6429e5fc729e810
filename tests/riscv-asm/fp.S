# F and D: FS gating, arithmetic, NaN boxing, canonical NaN, fflags, rounding modes,
# conversions at the edges, fmin/fmax, fclass, fused multiply-add.
	.include "common.inc"
	.option norvc
	.text
	.globl _start
_start:
	li sp, STACK_TOP
	la t0, handler
	csrw stvec, t0
	li s2, 0
	# FS = Off: FP instructions are illegal
	fadd.d f0, f1, f2
	CHECK s2, 2, 1
	li t0, 1 << 13          # FS = Initial
	csrs sstatus, t0
	# 1.5 + 2.25 = 3.75
	li t0, 0x3ff8000000000000
	fmv.d.x f1, t0
	li t0, 0x4002000000000000
	fmv.d.x f2, t0
	fadd.d f3, f1, f2
	fmv.x.d t1, f3
	CHECK t1, 0x400e000000000000, 2
	# FS became Dirty, SD set
	csrr t0, sstatus
	srli t1, t0, 13
	andi t1, t1, 3
	CHECK t1, 3, 3
	bgez t0, fail4
	# 1/0: DZ, +inf
	csrw fflags, zero
	fmv.d.x f4, zero
	fdiv.d f5, f1, f4
	csrr t1, fflags
	CHECK t1, 0x08, 5
	fmv.x.d t1, f5
	CHECK t1, 0x7ff0000000000000, 6
	# 0/0: NV, canonical NaN
	csrw fflags, zero
	fdiv.d f5, f4, f4
	csrr t1, fflags
	CHECK t1, 0x10, 7
	fmv.x.d t1, f5
	CHECK t1, 0x7ff8000000000000, 8
	# single precision results are NaN-boxed
	li t0, 0x3fc00000       # 1.5f
	fmv.w.x f6, t0
	fadd.s f7, f6, f6
	fmv.x.d t1, f7
	CHECK t1, 0xffffffff40400000, 9
	# an unboxed single operand reads as canonical NaN
	fadd.s f8, f1, f6       # f1 holds a double
	fmv.x.w t1, f8
	CHECK t1, 0x7fc00000, 10
	# fcvt.w.d: rounding modes on 2.5 / -2.5
	li t0, 0x4004000000000000
	fmv.d.x f9, t0
	fcvt.w.d t1, f9, rne
	CHECK t1, 2, 11
	fcvt.w.d t1, f9, rmm
	CHECK t1, 3, 12
	fcvt.w.d t1, f9, rup
	CHECK t1, 3, 13
	fcvt.w.d t1, f9, rtz
	CHECK t1, 2, 14
	fneg.d f9, f9
	fcvt.w.d t1, f9, rdn
	CHECK t1, -3, 15
	# dynamic rounding mode from frm
	li t0, 2                # RDN
	csrw frm, t0
	fcvt.l.d t1, f9
	CHECK t1, -3, 16
	csrw frm, zero
	# conversions at the edges saturate with NV
	csrw fflags, zero
	fcvt.wu.d t1, f9, rtz   # -2.5 -> 0, NV
	CHECK t1, 0, 17
	csrr t1, fflags
	CHECK t1, 0x10, 18
	fcvt.w.d t1, f5         # NaN -> INT32_MAX
	CHECK t1, 0x7fffffff, 19
	li t0, 0x43f0000000000000   # 2^64
	fmv.d.x f10, t0
	fcvt.lu.d t1, f10, rtz
	CHECK t1, -1, 20
	fcvt.l.d t1, f10, rtz
	CHECK t1, 0x7fffffffffffffff, 21
	# fcvt.d.lu of 2^64-1 rounds to 2^64
	li t0, -1
	fcvt.d.lu f11, t0
	fmv.x.d t1, f11
	CHECK t1, 0x43f0000000000000, 22
	# fmin/fmax: -0 < +0, NaN ignored
	li t0, 0x8000000000000000
	fmv.d.x f12, t0
	fmin.d f13, f4, f12
	fmv.x.d t1, f13
	CHECK t1, 0x8000000000000000, 23
	fmax.d f13, f12, f4
	fmv.x.d t1, f13
	CHECK t1, 0, 24
	fmax.d f13, f5, f1
	fmv.x.d t1, f13
	CHECK t1, 0x3ff8000000000000, 25
	# fclass
	fclass.d t1, f12
	CHECK t1, 1 << 3, 26
	fclass.d t1, f5
	CHECK t1, 1 << 9, 27
	fclass.d t1, f5
	fclass.s t1, f1         # unboxed -> qNaN
	CHECK t1, 1 << 9, 28
	# fmadd: 1.5*1.5 + 2.25 = 4.5
	fmadd.d f14, f1, f1, f2
	fmv.x.d t1, f14
	CHECK t1, 0x4012000000000000, 29
	fnmsub.d f14, f1, f1, f2   # -(1.5*1.5) + 2.25 = 0
	fmv.x.d t1, f14
	CHECK t1, 0, 30
	# fsgnjx / fabs / fneg on singles
	fsgnjn.s f15, f6, f6
	fmv.x.w t1, f15
	CHECK t1, 0xffffffffbfc00000, 31
	# flt with NaN: NV, feq quiet
	csrw fflags, zero
	feq.d t1, f5, f5
	csrr t2, fflags
	CHECK t2, 0, 32
	flt.d t1, f5, f1
	csrr t2, fflags
	CHECK t2, 0x10, 33
	# store / load single and double
	addi sp, sp, -16
	fsw f6, 0(sp)
	flw f16, 0(sp)
	fmv.x.d t1, f16
	CHECK t1, 0xffffffff3fc00000, 34
	fsd f1, 8(sp)
	fld f17, 8(sp)
	fmv.x.d t1, f17
	CHECK t1, 0x3ff8000000000000, 35
	# inexact: 1/3
	csrw fflags, zero
	li t0, 3
	fcvt.d.l f18, t0
	li t0, 1
	fcvt.d.l f19, t0
	fdiv.d f18, f19, f18
	csrr t1, fflags
	CHECK t1, 0x01, 36
	# frm invalid (5) with dynamic rounding: illegal instruction
	li s2, 0
	li t0, 5
	csrw frm, t0
	fadd.d f0, f1, f2
	CHECK s2, 2, 37
	PASS
fail4:	FAIL 4

	.align 2
handler:
	csrr s2, scause
	csrr t5, sepc
	addi t5, t5, 4
	csrw sepc, t5
	sret
