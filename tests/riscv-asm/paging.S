# Sv39 and Sv48: A/D updates, permissions (SUM, MXR, W without R, invalid), superpages
# (2M, 1G, 512G) and misaligned superpages, non-canonical addresses, fetch faults.
	.include "common.inc"
	.option norvc
	.equ V, 1
	.equ R, 2
	.equ W, 4
	.equ X, 8
	.equ U, 16
	.equ A, 64
	.equ D, 128
	.equ ROOT, 0x80100000
	.equ L1, 0x80101000
	.equ L0, 0x80102000
	.equ ROOT48, 0x80104000

# PTE addr, pa, flags
.macro PTE addr, pa, flags
	li t0, (((\pa) >> 12) << 10) | (\flags)
	li t1, \addr
	sd t0, 0(t1)
.endm

# Expect a fault: cause and tval recorded by the handler in s2/s3.
.macro EXPECT cause, tval, code
	CHECK s2, \cause, \code
	CHECK s3, \tval, \code
	li s2, 0
	li s3, 0
.endm

	.text
	.globl _start
_start:
	li sp, STACK_TOP
	la t0, handler
	csrw stvec, t0
	li s2, 0
	li s3, 0
	# root: [2] 1G identity RAM, [3] 1G alias, [4] misaligned 1G, [0] -> L1
	PTE ROOT + 2*8, 0x80000000, V|R|W|X|A|D
	PTE ROOT + 3*8, 0x80000000, V|R|W|A|D
	PTE ROOT + 4*8, 0x80200000, V|R|W|A|D
	PTE ROOT + 0*8, L1, V
	# L1: [0] -> L0, [1] 2M page, [2] misaligned 2M
	PTE L1 + 0*8, L0, V
	PTE L1 + 1*8, 0x80400000, V|R|W|A|D
	PTE L1 + 2*8, 0x80401000, V|R|W|A|D
	# L0: 0x10 RW no A/D, 0x11 user RW, 0x12 X-only, 0x13 W-only, 0x14 invalid, 0x15 R
	PTE L0 + 0x10*8, 0x80200000, V|R|W
	PTE L0 + 0x11*8, 0x80201000, V|R|W|U|A|D
	PTE L0 + 0x12*8, 0x80202000, V|X|A
	PTE L0 + 0x13*8, 0x80203000, V|W|A|D
	PTE L0 + 0x15*8, 0x80205000, V|R|W
	li t0, (8 << 60) | (ROOT >> 12)
	csrw satp, t0
	sfence.vma
	# 1. store sets A and D
	li t0, 0x10008
	li t1, 1234
	sd t1, 0(t0)
	li t0, L0 + 0x10*8
	ld t1, 0(t0)
	andi t1, t1, A|D
	CHECK t1, A|D, 1
	li t0, 0x80200008
	ld t1, 0(t0)
	CHECK t1, 1234, 2
	# 2. load sets A only
	li t0, 0x15000
	ld t1, 0(t0)
	li t0, L0 + 0x15*8
	ld t1, 0(t0)
	andi t1, t1, A|D
	CHECK t1, A, 3
	CHECK s2, 0, 4
	# 3. U page from S: fault without SUM, fine with it
	li t0, 0x11000
	ld t1, 0(t0)
	EXPECT 13, 0x11000, 5
	li t2, 1 << 18
	csrs sstatus, t2
	ld t1, 0(t0)
	CHECK s2, 0, 6
	sd t1, 0(t0)
	CHECK s2, 0, 7
	csrc sstatus, t2
	# 4. X-only page: load faults unless MXR
	li t0, 0x12000
	ld t1, 0(t0)
	EXPECT 13, 0x12000, 8
	li t2, 1 << 19
	csrs sstatus, t2
	ld t1, 0(t0)
	CHECK s2, 0, 9
	sd t1, 0(t0)           # still no W
	EXPECT 15, 0x12000, 10
	csrc sstatus, t2
	# 5. W without R is reserved: fault
	li t0, 0x13000
	ld t1, 0(t0)
	EXPECT 13, 0x13000, 11
	# 6. invalid PTE: store page fault
	li t0, 0x14010
	sd t1, 0(t0)
	EXPECT 15, 0x14010, 12
	# 7. 2M superpage
	li t0, 0x200010
	li t1, 0x5555
	sd t1, 0(t0)
	li t0, 0x80400010
	ld t2, 0(t0)
	CHECK t2, 0x5555, 13
	# 8. misaligned 2M superpage
	li t0, 0x400000
	ld t1, 0(t0)
	EXPECT 13, 0x400000, 14
	# 9. 1G alias
	li t0, 0xC0400010
	ld t1, 0(t0)
	CHECK t1, 0x5555, 15
	# 10. misaligned 1G superpage
	li t0, 0x100000000
	ld t1, 0(t0)
	EXPECT 13, 0x100000000, 16
	# 11. non-canonical address
	li t0, 0x8000000000
	ld t1, 0(t0)
	EXPECT 13, 0x8000000000, 17
	# 12. fetch from a non-executable page
	li t0, 0x10000
	jalr ra, 0(t0)
	EXPECT 12, 0x10000, 18
	# 13. misaligned load crossing into an invalid page: fault on the second page
	li t0, 0x13ffc
	# (0x13000 is W-only: the first page already faults)
	li t0, 0x15ffc
	ld t1, 0(t0)
	CHECK s2, 13, 19
	li s2, 0
	# 14. Sv48: root48[0] -> the Sv39 root used as a level-2 table, [1] 512G page,
	#     [2] misaligned 512G page
	PTE ROOT48 + 0*8, ROOT, V
	PTE ROOT48 + 1*8, 0, V|R|W|A|D
	PTE ROOT48 + 2*8, 0x80000000, V|R|W|A|D
	li t0, (9 << 60) | (ROOT48 >> 12)
	csrw satp, t0
	sfence.vma
	csrr t1, satp
	CHECK t1, (9 << 60) | (ROOT48 >> 12), 20
	li t0, 0x8080400010
	ld t1, 0(t0)
	CHECK t1, 0x5555, 21
	li t0, 0x10000000000
	ld t1, 0(t0)
	EXPECT 13, 0x10000000000, 22
	# Sv48 non-canonical: bit 47 set without sign extension
	li t0, 0x0000800000000000
	ld t1, 0(t0)
	EXPECT 13, 0x0000800000000000, 23
	# back to bare
	csrw satp, zero
	sfence.vma
	PASS

	.align 2
handler:
	csrr s2, scause
	csrr s3, stval
	li t5, 12
	beq s2, t5, 1f
	csrr t5, sepc
	addi t5, t5, 4
	csrw sepc, t5
	sret
1:	csrw sepc, ra
	sret
