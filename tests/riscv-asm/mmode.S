# M-mode start (test hook): M-mode CSRs, WARL fields, delegation, mret to S, an S-mode
# ecall trapping to M, a delegated exception reaching S, and a return to M.
	.equ MMODE, 1
	.include "common.inc"
	.option norvc
	.text
	.globl _start
_start:
	li sp, STACK_TOP
	la t0, mhandler
	csrw mtvec, t0
	csrr t0, mhartid
	CHECK t0, 0, 1
	csrr t0, misa
	CHECK t0, (2 << 62) | 0x14112d, 2
	# WARL: misa writes are ignored, mideleg only takes the S interrupt bits
	csrw misa, zero
	csrr t0, misa
	CHECK t0, (2 << 62) | 0x14112d, 3
	li t0, -1
	csrw mideleg, t0
	csrr t0, mideleg
	CHECK t0, 0x222, 4
	# medeleg cannot delegate ecall from M
	li t0, -1
	csrw medeleg, t0
	csrr t0, medeleg
	CHECK t0, 0xb3ff, 5
	# pmp accepted and ignored
	li t0, 0x1f
	csrw pmpcfg0, t0
	csrw pmpaddr0, t0
	# MPP = 2 (reserved) is not kept
	li t0, 0x1000
	csrs mstatus, t0
	csrr t0, mstatus
	srli t0, t0, 11
	andi t0, t0, 3
	CHECK t0, 0, 6
	# read-only CSR write is illegal: handled in M (s2 = mcause)
	li s2, 0
	csrw mvendorid, zero
	CHECK s2, 2, 7
	# delegate illegal instructions only; go to S
	li t0, 1 << 2
	csrw medeleg, t0
	la t0, shandler
	csrw stvec, t0
	li t0, 0x1800
	csrc mstatus, t0
	li t0, 0x0800          # MPP = S
	csrs mstatus, t0
	la t0, smode
	csrw mepc, t0
	mret
smode:
	# the S-mode handler sees the delegated illegal instruction
	li s3, 0
	.word 0xffffffff
	CHECK s3, 2, 8
	# an S-mode ecall is not delegated here: M handler, mcause 9, returns to S
	li s2, 0
	ecall
	CHECK s2, 9, 9
	# a page of S-mode CSRs
	csrr t0, sstatus
	li t1, 0x100
	and t1, t0, t1
	CHECK t1, 0, 10         # SPP 0 after we came from M? (never trapped into S from S)
	# ask the M handler to finish: ecall with a0 = 1
	li a0, 1
	ecall
	FAIL 11

	.align 2
mhandler:
	csrr s2, mcause
	li t5, 9
	bne s2, t5, 1f
	li t5, 1
	beq a0, t5, done
1:	csrr t5, mepc
	addi t5, t5, 4
	csrw mepc, t5
	mret
done:
	# back in M-mode: MPP holds S
	csrr t0, mstatus
	srli t0, t0, 11
	andi t0, t0, 3
	CHECK t0, 1, 12
	PASS

	.align 2
shandler:
	csrr s3, scause
	csrr t5, sepc
	addi t5, t5, 4
	csrw sepc, t5
	sret
