# Throughput benchmark: a register loop (xorshift, like the guest "int" benchmark) and a
# byte loop over memory. Reports pass; the runner prints MIPS.
	.include "common.inc"
	.equ ITER, 5000000
	.text
	.globl _start
_start:
	li sp, STACK_TOP
	li t0, ITER
	li a0, 88172645463325252
1:	slli t1, a0, 13
	xor a0, a0, t1
	srli t1, a0, 7
	xor a0, a0, t1
	slli t1, a0, 17
	xor a0, a0, t1
	addi t0, t0, -1
	bnez t0, 1b
	# memory: sum 1 MiB of bytes 4 times
	li t3, 4
3:	li t0, 0x80100000
	li t1, 0x80200000
	li t2, 0
2:	lbu t4, 0(t0)
	add t2, t2, t4
	sb t2, 0(t0)
	addi t0, t0, 1
	bne t0, t1, 2b
	addi t3, t3, -1
	bnez t3, 3b
	PASS
