# Decoder table for test_riscv_decode: one 64-byte record per instruction, the encoding the
# assembler produced (4 bytes, or 2 plus 2 zero bytes for compressed ones) followed by the
# text the disassembler must print (compressed forms print their 32-bit expansion).
	.option norvc
	.data
.macro T text, insn:vararg
0:	\insn
	.org 0b + 4
	.ascii "\text"
	.org 0b + 64
.endm
.macro T1 insn:vararg
	T "\insn", \insn
.endm
.macro TC text, insn:vararg
	.option push
	.option rvc
	T "\text", \insn
	.option pop
.endm
	.globl _start
_start:
	# RV64I
	T1 lui a0,74565
	T1 lui t6,1048575
	T1 auipc t1,1
	T "jal ra,2048", jal ra,.+2048
	T "jal zero,-4", jal zero,.-4
	T "jal ra,-1048576", jal ra,.-1048576
	T1 jalr ra,16(a0)
	T1 jalr zero,-2048(t0)
	T "beq a0,a1,8", beq a0,a1,.+8
	T "bne s0,s1,-4096", bne s0,s1,.-4096
	T "blt a2,a3,4094", blt a2,a3,.+4094
	T "bge t0,t1,-2", bge t0,t1,.-2
	T "bltu a0,zero,16", bltu a0,zero,.+16
	T "bgeu zero,a0,-16", bgeu zero,a0,.-16
	T1 lb a0,-1(sp)
	T1 lh a1,2047(a0)
	T1 lw a2,-2048(a1)
	T1 ld a3,8(gp)
	T1 lbu a4,0(tp)
	T1 lhu a5,2(t0)
	T1 lwu a6,4(t1)
	T1 sb a7,-1(s2)
	T1 sh s3,2(s4)
	T1 sw s5,-2048(s6)
	T1 sd s7,2040(sp)
	T1 addi a0,a1,-2048
	T1 slti s8,s9,1
	T1 sltiu s10,s11,-1
	T1 xori t3,t4,1365
	T1 ori t5,t6,-1
	T1 andi a0,a0,255
	T1 slli a0,a1,63
	T1 srli a0,a1,1
	T1 srai a0,a1,32
	T1 add a0,a1,a2
	T1 sub a0,a1,a2
	T1 sll a0,a1,a2
	T1 slt a0,a1,a2
	T1 sltu a0,a1,a2
	T1 xor a0,a1,a2
	T1 srl a0,a1,a2
	T1 sra a0,a1,a2
	T1 or a0,a1,a2
	T1 and a0,a1,a2
	T1 addiw a0,a1,-1
	T1 slliw a0,a1,31
	T1 srliw a0,a1,0
	T1 sraiw a0,a1,17
	T1 addw a0,a1,a2
	T1 subw a0,a1,a2
	T1 sllw a0,a1,a2
	T1 srlw a0,a1,a2
	T1 sraw a0,a1,a2
	T1 fence rw,rw
	T1 fence iorw,iorw
	T1 fence r,w
	T1 fence.tso
	T1 fence.i
	T1 ecall
	T1 ebreak
	T1 sret
	T1 mret
	T1 wfi
	T1 sfence.vma zero,zero
	T1 sfence.vma a0,a1
	T1 csrrw a0,0x300,a1
	T1 csrrs zero,0x100,t0
	T1 csrrc a0,0xc01,zero
	T1 csrrwi a0,0x14d,31
	T1 csrrsi zero,0x100,2
	T1 csrrci a0,0x144,1
	# M
	T1 mul a0,a1,a2
	T1 mulh a0,a1,a2
	T1 mulhsu a0,a1,a2
	T1 mulhu a0,a1,a2
	T1 div a0,a1,a2
	T1 divu a0,a1,a2
	T1 rem a0,a1,a2
	T1 remu a0,a1,a2
	T1 mulw a0,a1,a2
	T1 divw a0,a1,a2
	T1 divuw a0,a1,a2
	T1 remw a0,a1,a2
	T1 remuw a0,a1,a2
	# A
	T1 lr.w a0,(a1)
	T1 lr.d.aq a0,(a1)
	T1 sc.w.rl a0,a2,(a1)
	T1 sc.d.aqrl a0,a2,(a1)
	T1 amoswap.w a0,a2,(a1)
	T1 amoadd.d.aqrl a0,a2,(a1)
	T1 amoxor.w.aq a0,a2,(a1)
	T1 amoand.d a0,a2,(a1)
	T1 amoor.w a0,a2,(a1)
	T1 amomin.d a0,a2,(a1)
	T1 amomax.w a0,a2,(a1)
	T1 amominu.d a0,a2,(a1)
	T1 amomaxu.w.rl a0,a2,(a1)
	# F and D
	T1 flw fa0,4(sp)
	T1 fld ft11,-8(a0)
	T1 fsw fs11,2047(a1)
	T1 fsd fs0,-8(a0)
	T1 fadd.s fa0,fa1,fa2,rtz
	T1 fadd.d ft0,ft1,ft2
	T1 fsub.s fa0,fa1,fa2
	T1 fsub.d fa0,fa1,fa2,rdn
	T1 fmul.s fa0,fa1,fa2,rup
	T1 fmul.d fa0,fa1,fa2,rmm
	T1 fdiv.s fa0,fa1,fa2,rne
	T1 fdiv.d fa0,fa1,fa2
	T1 fsqrt.s fa0,fa1
	T1 fsqrt.d fa0,fa1,rtz
	T1 fsgnj.s fa0,fa1,fa2
	T1 fsgnjn.d fa0,fa1,fa2
	T1 fsgnjx.s fa0,fa1,fa2
	T1 fsgnj.d ft8,ft9,ft10
	T1 fmin.s fa0,fa1,fa2
	T1 fmax.d fa0,fa1,fa2
	T1 fcvt.s.d fa0,fa1
	T "fcvt.d.s fa0,fa1,rne", fcvt.d.s fa0,fa1
	T1 feq.s a0,fa0,fa1
	T1 flt.d a0,fa0,fa1
	T1 fle.s a0,fa0,fa1
	T1 fclass.s a0,fa0
	T1 fclass.d a0,fa0
	T1 fcvt.w.s a0,fa0,rtz
	T1 fcvt.wu.d a0,fa0
	T1 fcvt.l.s a0,fa0,rdn
	T1 fcvt.lu.d a0,fa0,rup
	T1 fcvt.s.w fa0,a0
	T "fcvt.d.wu fa0,a0,rne", fcvt.d.wu fa0,a0
	T1 fcvt.s.l fa0,a0,rmm
	T1 fcvt.d.lu fa0,a0
	T1 fmv.x.w a0,fa0
	T1 fmv.w.x fa0,a0
	T1 fmv.x.d a0,fa0
	T1 fmv.d.x fa0,a0
	T1 fmadd.s fa0,fa1,fa2,fa3,rmm
	T1 fmsub.d fa0,fa1,fa2,fa3
	T1 fnmsub.s fa0,fa1,fa2,fa3,rtz
	T1 fnmadd.d fa0,fa1,fa2,fa3
	# C (printed as their expansion)
	TC "addi s0,sp,1020", c.addi4spn s0,sp,1020
	TC "addi a5,sp,4", c.addi4spn a5,sp,4
	TC "fld fa0,8(a1)", c.fld fa0,8(a1)
	TC "lw a0,4(a1)", c.lw a0,4(a1)
	TC "lw s1,124(a5)", c.lw s1,124(a5)
	TC "ld a0,248(a1)", c.ld a0,248(a1)
	TC "fsd fa0,16(s1)", c.fsd fa0,16(s1)
	TC "sw a0,124(a5)", c.sw a0,124(a5)
	TC "sd a0,8(a5)", c.sd a0,8(a5)
	TC "addi zero,zero,0", c.nop
	TC "addi a0,a0,-32", c.addi a0,-32
	TC "addi t0,t0,31", c.addi t0,31
	TC "addiw a0,a0,31", c.addiw a0,31
	TC "addiw a1,a1,-1", c.addiw a1,-1
	TC "addi a5,zero,-1", c.li a5,-1
	TC "addi sp,sp,-512", c.addi16sp sp,-512
	TC "addi sp,sp,496", c.addi16sp sp,496
	TC "lui a0,1048575", c.lui a0,0xfffff
	TC "lui t1,31", c.lui t1,31
	TC "lui s0,1048544", c.lui s0,0xfffe0
	TC "srli a0,a0,63", c.srli a0,63
	TC "srai a1,a1,1", c.srai a1,1
	TC "andi a2,a2,-1", c.andi a2,-1
	TC "andi s1,s1,31", c.andi s1,31
	TC "sub a0,a0,a1", c.sub a0,a1
	TC "xor s0,s0,a5", c.xor s0,a5
	TC "or a3,a3,a4", c.or a3,a4
	TC "and a0,a0,a1", c.and a0,a1
	TC "subw a0,a0,a1", c.subw a0,a1
	TC "addw a0,a0,a1", c.addw a0,a1
	TC "jal zero,-2048", c.j .-2048
	TC "jal zero,2046", c.j .+2046
	TC "jal zero,682", c.j .+682
	TC "beq a0,zero,-256", c.beqz a0,.-256
	TC "bne a5,zero,254", c.bnez a5,.+254
	TC "bne s1,zero,170", c.bnez s1,.+170
	TC "slli a0,a0,1", c.slli a0,1
	TC "slli t6,t6,63", c.slli t6,63
	TC "fld fa0,504(sp)", c.fldsp fa0,504(sp)
	TC "lw a0,252(sp)", c.lwsp a0,252(sp)
	TC "ld ra,504(sp)", c.ldsp ra,504(sp)
	TC "ld t0,8(sp)", c.ldsp t0,8(sp)
	TC "jalr zero,0(ra)", c.jr ra
	TC "add a0,zero,a1", c.mv a0,a1
	TC "ebreak", c.ebreak
	TC "jalr ra,0(a0)", c.jalr a0
	TC "add a0,a0,a1", c.add a0,a1
	TC "fsd fa0,504(sp)", c.fsdsp fa0,504(sp)
	TC "sw a0,252(sp)", c.swsp a0,252(sp)
	TC "sd ra,504(sp)", c.sdsp ra,504(sp)
	TC "sd t2,0(sp)", c.sdsp t2,0(sp)
