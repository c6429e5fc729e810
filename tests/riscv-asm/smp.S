# Two harts and the SBI calls Linux makes: HSM hart_start / hart_stop / get_status, IPIs
# (sip.SSIP raised by the platform, wfi woken by it) and remote fences.
	.include "common.inc"
	.equ HSM, 0x48534d
	.equ IPI, 0x735049
	.equ RFNC, 0x52464e43
	.text
	.globl _start
_start:
	bnez a0, secondary_bad
	li sp, STACK_TOP
	# start hart 1 at `secondary` with opaque 42
	li a7, HSM
	li a6, 0
	li a0, 1
	la a1, secondary
	li a2, 42
	ecall
	bnez a0, fail1
	la t0, flag1
1:	lw t1, 0(t0)
	beqz t1, 1b
	li t2, 2
	beq t1, t2, fail2          # hart 1 saw wrong arguments
	# IPI to hart 1 (mask 0b10, base 0)
	li a7, IPI
	li a6, 0
	li a0, 2
	li a1, 0
	ecall
	bnez a0, fail3
	la t0, flag2
2:	lw t1, 0(t0)
	beqz t1, 2b
	# remote sfence.vma and fence.i on hart 1 (and 0)
	li a7, RFNC
	li a6, 1
	li a0, 3
	li a1, 0
	li a2, 0
	li a3, -1
	ecall
	bnez a0, fail4
	li a7, RFNC
	li a6, 0
	li a0, 3
	li a1, 0
	ecall
	# wait for hart 1 to stop itself
3:	li a7, HSM
	li a6, 2
	li a0, 1
	ecall
	bnez a0, fail5
	li t0, 1
	bne a1, t0, 3b
	PASS
fail1:	FAIL 1
fail2:	FAIL 2
fail3:	FAIL 3
fail4:	FAIL 4
fail5:	FAIL 5
secondary_bad:
	FAIL 6

secondary:
	li sp, STACK_TOP - 0x10000
	la t0, flag1
	li t1, 1
	li t2, 42
	bne a1, t2, 4f
	li t2, 1
	bne a0, t2, 4f
	la t2, handler
	csrw stvec, t2
	li t2, 2
	csrs sie, t2             # SSIE
	csrsi sstatus, 2         # SIE
	sw t1, 0(t0)
	la t0, flag2
5:	wfi
	lw t1, 0(t0)
	beqz t1, 5b
	# stop this hart
	li a7, HSM
	li a6, 1
	ecall
	FAIL 7
4:	li t1, 2
	sw t1, 0(t0)
6:	j 6b

	.align 2
handler:
	csrr t3, scause
	li t4, 0x8000000000000001
	bne t3, t4, 7f
	li t3, 2
	csrc sip, t3
	la t3, flag2
	li t4, 1
	sw t4, 0(t3)
	sret
7:	FAIL 8

	.data
	.align 3
flag1: .dword 0
flag2: .dword 0
