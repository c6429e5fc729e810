# S-mode traps: illegal instruction, ebreak, U-mode ecall and CSR access, sret to U,
# Sstc timer interrupt through wfi, software interrupt, counters.
	.include "common.inc"
	.text
	.option norvc
	.globl _start
_start:
	li sp, STACK_TOP
	la t0, handler
	csrw stvec, t0
	# 1. illegal instruction: handler records scause/stval in s2/s3 and skips it
	li s1, 0
	.word 0xffffffff
	CHECK s2, 2, 1
	CHECK s3, 0xffffffff, 2
	# 2. ebreak: scause 3, stval = pc
	la s4, 5f
5:	ebreak
	CHECK s2, 3, 3
	CHECK s3, 0, 13
	# 3. M-mode CSR from S-mode is illegal
	csrr t0, mstatus
	CHECK s2, 2, 4
	# 4. go to U-mode, ecall back
	la t0, umode
	csrw sepc, t0
	li t0, 0x100       # SPP
	csrc sstatus, t0
	sret
back_from_u:
	CHECK s2, 8, 5      # ecall from U
	# U-mode tried csrr sstatus first: recorded in s5
	CHECK s5, 2, 6
	# 5. time and cycle are readable
	rdtime t0
	rdtime t1
	bltu t1, t0, fail7
	rdcycle t0
	beqz t0, fail7
	# 6. Sstc timer: stimecmp = now + 1000 ticks, enable STIE+SIE, wfi
	li s6, 0
	rdtime t0
	addi t0, t0, 1000
	csrw stimecmp, t0
	li t0, 0x20
	csrs sie, t0
	csrsi sstatus, 2
1:	wfi
	beqz s6, 1b
	CHECK s6, 0x8000000000000005, 8
	csrci sstatus, 2
	# 7. software interrupt: set sip.SSIP with SSIE enabled
	li s6, 0
	li t0, 2
	csrs sie, t0
	csrs sip, t0
	csrsi sstatus, 2
	nop
	nop
	csrci sstatus, 2
	CHECK s6, 0x8000000000000001, 9
	# 8. satp: unsupported mode leaves it unchanged
	li t0, 10 << 60     # Sv57 unsupported
	csrw satp, t0
	csrr t1, satp
	CHECK t1, 0, 10
	PASS
fail7:
	FAIL 7

umode:
	csrr t0, sstatus     # illegal in U
	mv s5, s2
	ecall
	FAIL 11

	.align 2
handler:
	csrr s2, scause
	csrr s3, stval
	bltz s2, intr
	li t0, 8
	beq s2, t0, from_u
	li t0, 3
	bne s2, t0, 1f
	# ebreak: stval must be pc of the ebreak
	csrr t0, sepc
	bne t0, s4, hfail
	bne s3, s4, hfail
	li s3, 0
1:	csrr t0, sepc
	addi t0, t0, 4
	csrw sepc, t0
	sret
from_u:
	la t0, back_from_u
	csrw sepc, t0
	li t0, 0x100
	csrs sstatus, t0    # return to S
	sret
intr:
	mv s6, s2
	slli t0, s2, 1
	srli t0, t0, 1
	li t1, 5
	bne t0, t1, 2f
	li t0, -1           # timer: push stimecmp away
	csrw stimecmp, t0
	sret
2:	li t0, 2            # software: clear SSIP
	csrc sip, t0
	sret
hfail:
	FAIL 12
