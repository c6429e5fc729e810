/* SPDX-License-Identifier: MIT */
/* Internal header of the RV64GC interpreter back end (src/vm/riscv/). Nothing outside this
 * directory (except its unit tests) includes it: the machine only sees src/vm/cpu.h.
 *
 *   cpu.c     the vcpu_* contract, the hart loop, traps, interrupts, timers, HSM
 *   exec.c    decoded-block cache and the threaded interpreter, integer ops and atomics
 *   decode.c  compressed expansion
 *   disasm.c  the disassembler (linked only into the tests)
 *   mmu.c     Sv39/Sv48 walks with A/D updates, software TLB, memory/fetch slow paths
 *   csr.c     CSRs, SYSTEM instructions, wfi
 *   fpu.c     F and D on the host FPU
 *   jit.c     the x86-64 translator (--accel jit), which calls into the rest
 *   jit_emit.h its x86-64 emitter; jit_arith.c the M operations it calls
 *
 * Deliberate simplifications: no PMP (pmp CSRs read 0, writes ignored), mstatus.MPRV is
 * ignored, ASIDLEN = 0, no Svpbmt/Svnapot (those PTE bits fault), and decoded code is
 * only refreshed by fence.i / remote fence.i (as the ISA requires), not by plain stores. */
#ifndef BERTH_VM_RISCV_H
#define BERTH_VM_RISCV_H

#include "vm/cpu.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Privilege levels. */
enum { RV_PRIV_U = 0, RV_PRIV_S = 1, RV_PRIV_M = 3 };

/* Exception causes. */
enum {
	RV_EXC_INSN_MISALIGNED = 0,
	RV_EXC_INSN_ACCESS = 1,
	RV_EXC_ILLEGAL = 2,
	RV_EXC_BREAKPOINT = 3,
	RV_EXC_LOAD_MISALIGNED = 4,
	RV_EXC_LOAD_ACCESS = 5,
	RV_EXC_STORE_MISALIGNED = 6,
	RV_EXC_STORE_ACCESS = 7,
	RV_EXC_ECALL_U = 8,
	RV_EXC_ECALL_S = 9,
	RV_EXC_ECALL_M = 11,
	RV_EXC_INSN_PAGE = 12,
	RV_EXC_LOAD_PAGE = 13,
	RV_EXC_STORE_PAGE = 15,
};
#define RV_CAUSE_INTR (1ULL << 63)

/* mstatus bits. */
#define RV_MSTATUS_SIE  (1ULL << 1)
#define RV_MSTATUS_MIE  (1ULL << 3)
#define RV_MSTATUS_SPIE (1ULL << 5)
#define RV_MSTATUS_UBE  (1ULL << 6)
#define RV_MSTATUS_MPIE (1ULL << 7)
#define RV_MSTATUS_SPP  (1ULL << 8)
#define RV_MSTATUS_VS   (3ULL << 9)
#define RV_MSTATUS_MPP  (3ULL << 11)
#define RV_MSTATUS_FS   (3ULL << 13)
#define RV_MSTATUS_XS   (3ULL << 15)
#define RV_MSTATUS_MPRV (1ULL << 17)
#define RV_MSTATUS_SUM  (1ULL << 18)
#define RV_MSTATUS_MXR  (1ULL << 19)
#define RV_MSTATUS_TVM  (1ULL << 20)
#define RV_MSTATUS_TW   (1ULL << 21)
#define RV_MSTATUS_TSR  (1ULL << 22)
#define RV_MSTATUS_UXL  (3ULL << 32)
#define RV_MSTATUS_SXL  (3ULL << 34)
#define RV_MSTATUS_SD   (1ULL << 63)
#define RV_SSTATUS_MASK                                                                            \
	(RV_MSTATUS_SIE | RV_MSTATUS_SPIE | RV_MSTATUS_UBE | RV_MSTATUS_SPP | RV_MSTATUS_VS |      \
	 RV_MSTATUS_FS | RV_MSTATUS_XS | RV_MSTATUS_SUM | RV_MSTATUS_MXR | RV_MSTATUS_UXL |        \
	 RV_MSTATUS_SD)

/* Interrupt bits of mip/mie. */
#define RV_MIP_SSIP (1ULL << 1)
#define RV_MIP_MSIP (1ULL << 3)
#define RV_MIP_STIP (1ULL << 5)
#define RV_MIP_MTIP (1ULL << 7)
#define RV_MIP_SEIP (1ULL << 9)
#define RV_MIP_MEIP (1ULL << 11)
#define RV_S_INTS   (RV_MIP_SSIP | RV_MIP_STIP | RV_MIP_SEIP)
#define RV_M_INTS   (RV_MIP_MSIP | RV_MIP_MTIP | RV_MIP_MEIP)

/* menvcfg */
#define RV_MENVCFG_STCE (1ULL << 63)

/* fcsr */
#define RV_FFLAG_NX 0x01
#define RV_FFLAG_UF 0x02
#define RV_FFLAG_OF 0x04
#define RV_FFLAG_DZ 0x08
#define RV_FFLAG_NV 0x10

/* Pending asynchronous work for a hart (bits of vcpu.async). */
enum {
	RV_ASYNC_EXIT = 1u << 0,
	RV_ASYNC_TLB = 1u << 1,
	RV_ASYNC_ICACHE = 1u << 2,
	RV_ASYNC_IRQ = 1u << 3,
	RV_ASYNC_STOP = 1u << 4,
};

/* Memory access kinds (index into the software TLB). */
enum { RV_ACC_R = 0, RV_ACC_W = 1, RV_ACC_X = 2 };

/* Software TLB: a direct-mapped table per (translation context, access kind), and a second
 * way (tlb2) for the entry a fill pushes out. A hit gives the host address as guest virtual
 * address + addend. Only RAM pages are ever cached. The tags and the addends are two arrays
 * (not an array of pairs), so that the translator's inline lookup indexes both with the
 * index itself (scale 8), one instruction from the address (jit_mem.h, em_tlb_index). */
#define RV_TLB_BITS 8
#define RV_TLB_SIZE (1u << RV_TLB_BITS)
/* Contexts: U-mode, S-mode, S-mode with SUM, M-mode (bare). */
#define RV_TLB_CTX     4
#define RV_TLB_INVALID UINT64_MAX
struct rv_tlb_set {
	uint64_t vpn[RV_TLB_SIZE];
	uintptr_t addend[RV_TLB_SIZE];
	/* The code map's byte of the entry's RAM page (v->code_pages, or a zero byte without
	 * one): a translated store tests it, found by the index as the addend is, instead of
	 * computing it from the host address after the addend came. Only read when vpn matches
	 * (written with it), so a flush clears only the tags. */
	const uint8_t *code[RV_TLB_SIZE];
};
static inline unsigned rv_tlb_index(uint64_t va)
{
	return (unsigned)(va >> 12) & (RV_TLB_SIZE - 1);
}

/* Kinds of pre-decoded instructions (exec.c, jit.c). */
enum {
	K_ILLEGAL,
	K_LUI,
	K_AUIPC,
	K_JAL,
	K_JALR,
	K_BEQ,
	K_BNE,
	K_BLT,
	K_BGE,
	K_BLTU,
	K_BGEU,
	K_LB,
	K_LH,
	K_LW,
	K_LD,
	K_LBU,
	K_LHU,
	K_LWU,
	K_SB,
	K_SH,
	K_SW,
	K_SD,
	K_ADDI,
	K_SLTI,
	K_SLTIU,
	K_XORI,
	K_ORI,
	K_ANDI,
	K_SLLI,
	K_SRLI,
	K_SRAI,
	K_ADDIW,
	K_SLLIW,
	K_SRLIW,
	K_SRAIW,
	K_ADD,
	K_SUB,
	K_SLL,
	K_SLT,
	K_SLTU,
	K_XOR,
	K_SRL,
	K_SRA,
	K_OR,
	K_AND,
	K_MUL,
	K_MULH,
	K_MULHSU,
	K_MULHU,
	K_DIV,
	K_DIVU,
	K_REM,
	K_REMU,
	K_ADDW,
	K_SUBW,
	K_SLLW,
	K_SRLW,
	K_SRAW,
	K_MULW,
	K_DIVW,
	K_DIVUW,
	K_REMW,
	K_REMUW,
	K_FENCE,
	K_FENCE_I,
	K_AMO,
	K_SYSTEM,
	K_FLW,
	K_FLD,
	K_FSW,
	K_FSD,
	K_FP,
};

/* A pre-decoded instruction (exec.c). */
struct rv_op {
	uint8_t kind, rd, rs1, rs2;
	int32_t imm;
	uint32_t insn; /* the (expanded) instruction, for the out-of-line handlers */
	uint16_t off;  /* offset of the instruction from the block's first pc */
	uint8_t len;   /* 2 or 4 */
	uint8_t jit;   /* the translator's marks (jit.c: RV_JIT_SKIP1); 0 in the interpreter */
};
#define RV_BLOCK_OPS   16
#define RV_BCACHE_SIZE 8192
#define RV_BCACHE_JIT  256 /* the decoded-block cache's entries beside the translator */
struct rv_block {
	uintptr_t tag; /* host address of the first instruction */
	uint32_t gen;
	uint32_t pgen; /* with the translator: its page's code map generation when decoded */
	uint16_t n;
	struct rv_op ops[RV_BLOCK_OPS];
};

struct vcpu {
	uint64_t x[33]; /* x[32] is a sink for writes to x0 */
	uint64_t pc;
	uint64_t f[32];
	unsigned priv;
	unsigned tlb_ctx; /* index of the current data context */
	uint32_t async;   /* RV_ASYNC_*, set from other threads (atomic) */

	/* Fetch page cache. */
	uint64_t fetch_vpn;
	uintptr_t fetch_addend;

	uint64_t instret;

	/* CSRs. */
	uint64_t mstatus;
	uint64_t misa;
	uint64_t medeleg, mideleg;
	uint64_t mie;
	uint64_t mip;      /* atomic: lines from the machine and software-written bits */
	uint64_t stip_tmr; /* atomic 0/RV_MIP_STIP: derived from stimecmp / set_timer */
	uint64_t mtvec, mscratch, mepc, mcause, mtval;
	uint64_t menvcfg, mcounteren;
	uint64_t stvec, sscratch, sepc, scause, stval, satp, senvcfg, scounteren;
	uint64_t stimecmp;  /* Sstc */
	uint64_t sbi_timer; /* atomic: SBI set_timer deadline, UINT64_MAX = none */
	uint32_t fflags, frm;

	/* LR/SC reservation (physical address) and the value LR saw. */
	uint64_t res_addr, res_val;
	bool res_valid;

	/* Berth serves SBI ecalls from S-mode itself (no M-mode code runs). */
	bool sbi_emulated;

	struct rv_tlb_set tlb[RV_TLB_CTX][3];
	/* The TLB's second way (right after it: the translator's cold code finds an entry at
	 * the same offset plus sizeof(tlb)): the entry a fill pushed out of the first, so that
	 * two pages that share an index (the stack and a table, placed at random by the
	 * guest's ASLR) do not take turns in one entry, a walk each time. Its vpn has tlb_key
	 * or'ed in (as the translator's copies), so a flush need not clear it (the boot's
	 * thousands of flushes would clear 48 KiB more each: 15 ms to init), only a wrap of
	 * tlb_gen and rv_tlb_reset. */
	struct rv_tlb_set tlb2[RV_TLB_CTX][3];
	/* The TLB's key (rv_tlb_rekey): the context in bits 62-63, bit 61 set, tlb_gen (bumped
	 * by every flush, modulo 512) in bits 52-60; with a vpn (bits 0-51) or'ed in, the key of
	 * the translator's per-load caches of TLB entries (jit.c). Bit 61 makes every key
	 * non-zero, so a cache entry that is all zeros (made, or emptied) never matches. */
	uint64_t tlb_key;
	uint32_t tlb_gen;
	bool walk_super; /* the last successful walk ended at a non-global superpage */
	bool tlb_super;  /* the TLB holds pieces of such a superpage */

	/* Decoded-block cache (exec.c): bcache_mask + 1 entries. */
	struct rv_block *bcache;
	uint32_t bcache_mask;
	uint32_t icache_gen;
	bool leave_exec; /* return from rv_exec() after this block */
	bool slept;      /* wfi waited since the hart last looked (rv_jit_idle) */

	/* The translator (jit.c), NULL under the interpreter. */
	struct rv_jit *jit;
	/* With the translator, the code map it uses (jit.c): a byte per RAM page that holds
	 * translations or decoded blocks, and each page's generation; NULL under the
	 * interpreter. Every write to guest RAM checks the byte (rv_code_check). */
	uint8_t *code_pages;
	const uint32_t *code_gen;
	bool code_hit;        /* a write found code in its page (rv_jit_written); read by jit.c */
	uint64_t jit_chained; /* counted by translated code (vcpu_jit_stats) */
	const uint32_t *jit_epoch; /* the translations' epoch (jit.c), read by translated code */
	uint64_t traps;            /* exceptions and interrupts taken (rv_raise calls) */

	struct vcpu_platform p;
	unsigned hartid;

	/* Run control. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int hsm;                       /* atomic: 0 started, 1 stopped, 2 start pending */
	int exit_why;                  /* atomic enum vcpu_exit */
	int in_guest;                  /* atomic: the hart thread is running guest instructions */
	uint64_t flush_req, flush_ack; /* atomic: remote flush requests / acknowledged */
	uint64_t start_pc, start_a1;
	bool start_m; /* test hook: start in M-mode */
	char error[128];
};

/* --- cpu.c ------------------------------------------------------------------------------ */
/* Take an exception now: pc must still be the faulting instruction's. */
void rv_raise(struct vcpu *v, uint64_t cause, uint64_t tval);
void rv_set_priv(struct vcpu *v, unsigned priv);
/* Interpret up to `budget` instructions; returns the number executed. */
uint64_t rv_exec(struct vcpu *v, uint64_t budget);
/* Take the highest-priority pending enabled interrupt, if any. Returns true when taken. */
bool rv_check_interrupts(struct vcpu *v);
uint64_t rv_mip(const struct vcpu *v);
/* Recompute STIP from the timers (calls platform time() when a deadline is armed). */
void rv_update_timer(struct vcpu *v);
/* The hart thread stops / resumes running guest code (see vcpu_flush_tlb()). A hart
 * leaves before it sleeps or calls the platform, and flushes before it runs again. */
void rv_guest_enter(struct vcpu *v);
void rv_guest_leave(struct vcpu *v);
/* Test hook: like vcpu_start() but in M-mode with nothing delegated and ecalls trapping. */
void rv_vcpu_start_m(struct vcpu *v, uint64_t pc);
/* Test hook: apply a pending vcpu_start() now, on the calling thread. */
void rv_apply_pending_start(struct vcpu *v);

/* --- exec.c ----------------------------------------------------------------------------- */
/* Drop every decoded block (fence.i); the translations too. */
void rv_icache_flush(struct vcpu *v);
/* Decode one (expanded) instruction. Returns true when it ends a block. */
bool rv_decode_op(uint32_t insn, struct rv_op *op);
/* Run n decoded ops from v->pc (ops[i].off relative to it); returns instructions retired. */
unsigned rv_run_block(struct vcpu *v, const struct rv_op *ops, unsigned n);
/* The host address of the instruction at v->pc through the fetch TLB, or 0: *trapped when
 * fetching it raised an exception, else it needs the slow path (straddles a page). */
uintptr_t rv_fetch_host(struct vcpu *v, bool *trapped);
/* The decoded-block cache's block for the code at host (pc's page offset off), or NULL when
 * its first instruction straddles the page (exec.c). */
const struct rv_block *rv_cached_block(struct vcpu *v, uintptr_t host, unsigned off);

/* --- jit.c ------------------------------------------------------------------------------ */
/* The code buffer of harts created from now on (32 MiB; tests make it small). */
extern size_t rv_jit_code_size;
/* A block is translated on its rv_jit_hot-th run (RV_JIT_HOT; 1: at once); before that it
 * runs through the interpreter's decoded-block cache (most of a boot's code runs only a
 * few times). Tests change it. */
#define RV_JIT_HOT 16
extern unsigned rv_jit_hot;
/* The translator's TLB lookups take the index with BMI1's bextr when the host has it (one
 * instruction: the address's chain to its load one cycle shorter); tests turn it off to run
 * the other form (mov, shr, movzx). */
extern bool rv_jit_bextr;
/* How many times the hart's code buffer was full and emptied. */
uint64_t rv_jit_full_flushes(const struct vcpu *v);
/* The hart has slept in wfi (called outside rv_jit_exec): when its code buffer holds more
 * than 1 MiB of translations and was last emptied at least a second and 1000 times the time
 * spent translating since ago, it is emptied and its pages given back (the translations
 * left from a boot go; what the guest still runs is translated again, at most 0.1% of the
 * time). */
void rv_jit_idle(struct vcpu *v);
/* Test hooks: empty the hart's code buffer now (as a full one is); make its last emptying
 * `seconds` older; the bytes of it that are resident (mincore), SIZE_MAX when that cannot
 * be told. */
void rv_jit_empty(struct vcpu *v);
void rv_jit_age(struct vcpu *v, unsigned seconds);
size_t rv_jit_resident(const struct vcpu *v);
struct rv_jit *rv_jit_new(const struct vcpu *v);
/* Host RAM [host, host + len) was written by this hart outside translated code and its
 * page's byte in the code map was set: tell the map (the page gets a new generation, its
 * translations are checked before they run again). Sets v->code_hit; returns true. */
bool rv_jit_written(struct vcpu *v, uintptr_t host, size_t len);
/* rv_jit_new, with the platform's shared code map when it has one (v->code_pages set) */
struct rv_jit *rv_jit_create(struct vcpu *v);
void rv_jit_free(struct rv_jit *j);
/* fence.i: every translation is compared with guest memory before it runs again (safe from
 * inside a block). */
void rv_jit_fence(struct vcpu *v);
/* Like rv_exec(), through translated blocks. */
uint64_t rv_jit_exec(struct vcpu *v, uint64_t budget);
/* Empty the translator's copies of TLB entries (tlb_gen wrapped). */
void rv_jit_tlb_wrapped(struct rv_jit *j);
/* jit_arith.c: M-extension operations the translator calls (a, b: rs1, rs2; the result) */
uint64_t rv_jit_mulh(uint64_t a, uint64_t b);
uint64_t rv_jit_mulhsu(uint64_t a, uint64_t b);
uint64_t rv_jit_mulhu(uint64_t a, uint64_t b);
uint64_t rv_jit_div(uint64_t a, uint64_t b);
uint64_t rv_jit_divu(uint64_t a, uint64_t b);
uint64_t rv_jit_rem(uint64_t a, uint64_t b);
uint64_t rv_jit_remu(uint64_t a, uint64_t b);
uint64_t rv_jit_divw(uint64_t a, uint64_t b);
uint64_t rv_jit_divuw(uint64_t a, uint64_t b);
uint64_t rv_jit_remw(uint64_t a, uint64_t b);
uint64_t rv_jit_remuw(uint64_t a, uint64_t b);

/* --- mmu.c ------------------------------------------------------------------------------ */
void rv_tlb_flush(struct vcpu *v);
/* rv_tlb_flush, and the TLB's second way emptied (a new hart, a reset, a restore) */
void rv_tlb_reset(struct vcpu *v);
/* tlb_key for the current context and generation (after tlb_ctx or the TLB changed) */
#define RV_TLB_KEY_SET  (1ULL << 61)
#define RV_TLB_GEN_MASK 0x1ffu
void rv_tlb_rekey(struct vcpu *v);
void rv_tlb_flush_page(struct vcpu *v, uint64_t va);
/* Translate va for an access kind; on success *pa is set and 0 returned, else the
 * exception cause to raise. Sets A/D bits. */
int rv_translate(struct vcpu *v, uint64_t va, int acc, uint64_t *pa);
/* A host pointer to [pa, pa+size) when it lies in RAM, else NULL. */
static inline uint8_t *rv_ram_ptr(const struct vcpu *v, uint64_t pa, uint64_t size)
{
	uint64_t off = pa - v->p.ram_base;
	if (pa < v->p.ram_base || off >= v->p.ram_size || v->p.ram_size - off < size)
		return NULL;
	return v->p.ram + off;
}
/* Slow paths: translation, TLB refill, MMIO, page-crossing accesses. Return 0, or -1 after
 * raising the exception (rv_store_slow also 1, as rv_store). */
int rv_load_slow(struct vcpu *v, uint64_t va, unsigned size, uint64_t *val);
int rv_store_slow(struct vcpu *v, uint64_t va, unsigned size, uint64_t val);
int rv_fetch_slow(struct vcpu *v, uint64_t pc, uint32_t *insn);
/* Host pointer for an atomic access (LR/SC/AMO) of `size` at va, or NULL after raising. */
uint8_t *rv_amo_ptr(struct vcpu *v, uint64_t va, unsigned size, bool store);

static inline unsigned rv_tlb_ctx(const struct vcpu *v)
{
	if (v->priv == RV_PRIV_M)
		return 3;
	if (v->priv == RV_PRIV_U)
		return 0;
	return (v->mstatus & RV_MSTATUS_SUM) ? 2 : 1;
}

/* Guest RAM is shared between harts (and DMA): aligned accesses are relaxed atomics, which
 * are plain moves on the host but cannot be torn or merged by the compiler; misaligned
 * ones (never atomic on RISC-V either) are byte copies. */
static inline uint64_t rv_ld_raw(const void *p, unsigned size)
{
	bool aligned = ((uintptr_t)p & (size - 1)) == 0;
	switch (size) {
	case 1:
		return __atomic_load_n((const uint8_t *)p, __ATOMIC_RELAXED);
	case 2: {
		uint16_t t;
		if (aligned)
			return __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);
		memcpy(&t, p, 2);
		return t;
	}
	case 4: {
		uint32_t t;
		if (aligned)
			return __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);
		memcpy(&t, p, 4);
		return t;
	}
	default: {
		uint64_t t;
		if (aligned)
			return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
		memcpy(&t, p, 8);
		return t;
	}
	}
}

static inline void rv_st_raw(void *p, unsigned size, uint64_t val)
{
	bool aligned = ((uintptr_t)p & (size - 1)) == 0;
	switch (size) {
	case 1:
		__atomic_store_n((uint8_t *)p, (uint8_t)val, __ATOMIC_RELAXED);
		break;
	case 2: {
		uint16_t t = (uint16_t)val;
		if (aligned)
			__atomic_store_n((uint16_t *)p, t, __ATOMIC_RELAXED);
		else
			memcpy(p, &t, 2);
		break;
	}
	case 4: {
		uint32_t t = (uint32_t)val;
		if (aligned)
			__atomic_store_n((uint32_t *)p, t, __ATOMIC_RELAXED);
		else
			memcpy(p, &t, 4);
		break;
	}
	default:
		if (aligned)
			__atomic_store_n((uint64_t *)p, val, __ATOMIC_RELAXED);
		else
			memcpy(p, &val, 8);
		break;
	}
}

/* Host RAM at h (size bytes, one page) was just written by this hart: true when its page
 * holds code the translator or the decoded-block cache knows of (the code map was told,
 * rv_jit_written): the caller ends its block after this instruction. */
static inline bool rv_code_check(struct vcpu *v, const void *h, size_t size)
{
	uintptr_t off = (uintptr_t)h - (uintptr_t)v->p.ram;

	if (likely(v->code_pages == NULL) || off >= v->p.ram_size ||
	    likely(!__atomic_load_n(&v->code_pages[off >> 12], __ATOMIC_RELAXED)))
		return false;
	return rv_jit_written(v, (uintptr_t)h, size);
}

/* Load `size` bytes (zero-extended) at va. Returns 0 or -1 (exception raised). */
static inline int rv_load(struct vcpu *v, uint64_t va, unsigned size, uint64_t *val)
{
	const struct rv_tlb_set *s = &v->tlb[v->tlb_ctx][RV_ACC_R];
	unsigned i = rv_tlb_index(va);
	if (likely(s->vpn[i] == (va >> 12) && (va & 0xfff) <= 0x1000 - size)) {
		*val = rv_ld_raw((const void *)(uintptr_t)(va + s->addend[i]), size);
		return 0;
	}
	return rv_load_slow(v, va, size, val);
}

/* Store `size` bytes at va. Returns 0; -1 (exception raised); or 1: stored, but into a page
 * that holds code (rv_code_check), so the caller's block must end after this instruction. */
static inline int rv_store(struct vcpu *v, uint64_t va, unsigned size, uint64_t val)
{
	const struct rv_tlb_set *s = &v->tlb[v->tlb_ctx][RV_ACC_W];
	unsigned i = rv_tlb_index(va);
	if (likely(s->vpn[i] == (va >> 12) && (va & 0xfff) <= 0x1000 - size)) {
		/* A store may break another hart's LR reservation: that is checked by value on SC.
		 */
		void *h = (void *)(uintptr_t)(va + s->addend[i]);
		rv_st_raw(h, size, val);
		return rv_code_check(v, h, size) ? 1 : 0;
	}
	return rv_store_slow(v, va, size, val);
}

/* --- csr.c ------------------------------------------------------------------------------ */
/* Execute a SYSTEM-opcode instruction (CSR ops, ecall, ebreak, xret, wfi, sfence.vma).
 * Returns true when the caller should advance pc by `len`, false when pc was set (trap,
 * xret). */
bool rv_exec_system(struct vcpu *v, uint32_t insn, unsigned len);
int rv_csr_read(struct vcpu *v, unsigned csr, uint64_t *val);
int rv_csr_write(struct vcpu *v, unsigned csr, uint64_t val);
/* wfi: sleep until an interrupt is pending (or the hart is kicked). */
void rv_wfi(struct vcpu *v);

/* --- fpu.c ------------------------------------------------------------------------------ */
/* OP-FP, FMADD/FMSUB/FNMSUB/FNMADD. Returns false for an illegal instruction. */
bool rv_exec_fp(struct vcpu *v, uint32_t insn);
static inline bool rv_fp_enabled(const struct vcpu *v)
{
	return (v->mstatus & RV_MSTATUS_FS) != 0;
}
static inline void rv_fp_dirty(struct vcpu *v)
{
	v->mstatus |= RV_MSTATUS_FS | RV_MSTATUS_SD;
}

/* --- decode.c --------------------------------------------------------------------------- */
/* Bits hi..lo of x, and x's low nbits sign-extended. */
static inline uint32_t rv_bits(uint32_t x, unsigned hi, unsigned lo)
{
	return (x >> lo) & ((1u << (hi - lo + 1)) - 1);
}

static inline int32_t rv_sext(uint32_t x, unsigned nbits)
{
	return (int32_t)(x << (32 - nbits)) >> (32 - nbits);
}

/* Expansion of a 16-bit instruction into its 32-bit equivalent, 0 when illegal (computed
 * at each decode: a 64 K-entry table of them was 256 KiB of every VM process's memory). */
uint32_t rv_expand_compressed(uint16_t c);
/* disasm.c: disassemble a 32-bit instruction (compressed ones expanded first) into buf.
 * Returns false when it is not a valid RV64GC instruction. */
bool rv_disasm(uint32_t insn, uint64_t pc, char *buf, size_t len);

#endif
