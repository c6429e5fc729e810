# A extension: AMOs and LR/SC. Every hart that runs this adds to a shared counter with
# amoadd and with an LR/SC loop; hart 0 waits for the others (count in a1 at start,
# passed as the opaque argument) and checks the totals.
	.include "common.inc"
	.equ ITER, 20000
	.text
	.globl _start
_start:
	li sp, STACK_TOP
	la s0, counter1
	la s1, counter2
	li t0, ITER
1:	li t1, 1
	amoadd.d zero, t1, (s0)
2:	lr.w t2, (s1)
	addi t2, t2, 1
	sc.w t3, t2, (s1)
	bnez t3, 2b
	addi t0, t0, -1
	bnez t0, 1b
	# done: count finished harts
	la t0, finished
	li t1, 1
	amoadd.w zero, t1, (t0)
	bnez a0, park
	# hart 0: single-hart semantics checks, then wait for the others
	la t0, scratch
	li t1, -5
	sd t1, 0(t0)
	li t1, 3
	amomin.d t2, t1, (t0)
	CHECK t2, -5, 1
	amominu.d t2, t1, (t0)
	ld t2, 0(t0)
	CHECK t2, 3, 2
	li t1, 0xf0
	amoor.d t2, t1, (t0)
	amoxor.d t2, t1, (t0)
	amoand.d t2, t1, (t0)
	ld t2, 0(t0)
	CHECK t2, 0, 3
	li t1, 0x80000000
	amoswap.w t2, t1, (t0)
	amomax.w t2, zero, (t0)
	CHECK t2, -0x80000000, 4
	lw t2, 0(t0)
	CHECK t2, 0, 5
	# sc without a reservation fails
	sc.d t2, t1, (t0)
	CHECK t2, 1, 6
	la t0, finished
3:	lw t1, 0(t0)
	bne t1, a1, 3b
	ld t1, 0(s0)
	li t2, ITER
	mul t2, t2, a1
	bne t1, t2, fail7
	lw t1, 0(s1)
	bne t1, t2, fail8
	PASS
fail7:	FAIL 7
fail8:	FAIL 8
park:	wfi
	j park

	.data
	.align 3
counter1: .dword 0
counter2: .dword 0
finished: .dword 0
scratch: .dword 0
