# Integer arithmetic, M extension, compressed forms, loads/stores, a call/return.
	.include "common.inc"
	.text
	.globl _start
_start:
	li sp, STACK_TOP
	li t0, 6
	li t1, 7
	mul t2, t0, t1
	CHECK t2, 42, 1
	li t0, -1
	li t1, 0
	div t2, t0, t1
	CHECK t2, -1, 2
	rem t2, t0, t1
	CHECK t2, -1, 3
	li t0, 0x8000000000000000
	li t1, -1
	div t2, t0, t1
	CHECK t2, 0x8000000000000000, 4
	mulhu t2, t1, t1
	CHECK t2, -2, 5
	li t0, 0x7fffffff
	addiw t2, t0, 1
	CHECK t2, -0x80000000, 6
	# compressed
	c.li a0, 5
	c.slli a0, 3
	c.addi a0, -1
	CHECK a0, 39, 7
	# stack, loads/stores, calls
	addi sp, sp, -32
	li t0, 0x1122334455667788
	sd t0, 8(sp)
	lw t1, 8(sp)
	CHECK t1, 0x55667788, 8
	lbu t1, 15(sp)
	CHECK t1, 0x11, 9
	lh t1, 14(sp)
	CHECK t1, 0x1122, 10
	ld t1, 9(sp)          # misaligned
	li t2, 0x0011223344556677
	slli t1, t1, 8
	srli t1, t1, 8
	CHECK t1, 0x0011223344556677, 11
	li a0, 10
	call fib
	CHECK a0, 55, 12
	# loop: sum 1..1000
	li t0, 0
	li t1, 1000
1:	add t0, t0, t1
	addi t1, t1, -1
	bnez t1, 1b
	CHECK t0, 500500, 13
	# auipc / jalr
	la t0, 3f
	jalr t1, 0(t0)
4:	FAIL 14
3:	la t2, 4b
	bne t1, t2, 4b
	PASS

# fib(n) recursive, exercising the stack and compressed calls
fib:
	li t0, 2
	blt a0, t0, 2f
	addi sp, sp, -16
	sd ra, 8(sp)
	sd s0, 0(sp)
	mv s0, a0
	addi a0, a0, -1
	call fib
	mv t1, a0
	addi a0, s0, -2
	sd t1, -8(sp)       # spill below sp (scratch)
	addi sp, sp, -16
	sd t1, 0(sp)
	call fib
	ld t1, 0(sp)
	addi sp, sp, 16
	add a0, a0, t1
	ld ra, 8(sp)
	ld s0, 0(sp)
	addi sp, sp, 16
2:	ret
