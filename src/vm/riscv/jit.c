/* SPDX-License-Identifier: MIT */
/* The x86-64 translator (--accel jit): guest code is translated a block at a time (straight
 * line code up to a branch, jump or SYSTEM instruction, the end of its page, or
 * JIT_BLOCK_OPS instructions) into host code that the hart enters through one shared
 * prologue (`enter(v, body)`), which returns the instructions retired (low 16 bits; the
 * chained entries in the high 16) and leaves v->pc at the next instruction (or at the
 * trap vector).
 *
 * What is translated inline: the RV64I and M integer operations (MULH*, DIV and REM call
 * small C functions), LUI/AUIPC, branches and jumps, and loads and stores with the
 * interpreter's TLB lookup inline (a load first tries its own copy of the TLB entry it used
 * last, em_load_tlb); their slow paths (misses, MMIO, page crossings, faults, stores to
 * code) are cold code after the block's body (em_cold_section), so the body holds only the
 * fast paths (jit_mem.h). Everything else (F/D, AMO, CSR and SYSTEM instructions, fence.i,
 * illegal encodings) calls the interpreter's own code for that one instruction
 * (rv_run_block on one decoded op), so its semantics are exactly the interpreter's.
 *
 * Blocks are keyed by the host address of their first instruction (so by guest physical
 * address): the code uses only pc-relative values computed from v->pc at entry, and every
 * privilege- or translation-dependent step happens at run time, so one translation serves
 * every virtual mapping and privilege level of that code. A direct branch or jump to a
 * translated block on the same guest page (so under the same mapping) jumps straight into
 * it after checks the jumping code makes (em_goto); one to a same-page block translated
 * later is patched to jump to its checked entry (rv_jit_chain); other jumps, and jalr,
 * look the target up through the fetch TLB and a jump cache (em_jc_lookup). r13 counts
 * the instructions of such a chain. A block keeps the guest registers it uses most in
 * host registers (jit_emit.h), and a chain keeps those that two blocks hold alike.
 *
 * The code buffer is one memfd mapped twice, writable at one address and executable at the
 * other (never both), emptied when full. Each translation keeps a copy of the guest bytes
 * it was made from and the epoch it was made or last checked in (the machine's code map,
 * codemap.h: bumped by every fence.i and every write to a page holding translations,
 * from any hart's translated code, its interpreter (rv_code_check) or device DMA). A
 * translation of another epoch is compared with guest memory before it runs again, and
 * translated anew when the code changed.
 *
 * Only hot code is translated: rv_jit_exec runs a block through the interpreter's
 * decoded-block cache until its rv_jit_hot-th run (counted in heat[]), as most of a boot's
 * code runs only a few times. */
#include "riscv.h"

#include "codemap.h"
#include "jit_priv.h"

#include <errno.h>

#if defined(__x86_64__)

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static unsigned rv_jit_jc_index(uintptr_t host)
{
	return (unsigned)(host >> 1) & (JIT_JC_SIZE - 1);
}

#include "jit_emit.h"

/* --- helpers called from translated code (the loads' and stores' are in jit_mem.h) ----- */

/* One instruction through the interpreter. Returns 0 to go on, 1 when the block must end
 * (it trapped, or it is an instruction that ends blocks and has set pc). */
static int rv_jit_interp(struct vcpu *v, const struct rv_op *op, uint64_t pc)
{
	uint64_t traps = v->traps;
	v->pc = pc;
	v->code_hit = false;
	rv_run_block(v, op, 1);
	/* (an FP store, AMO or SC that wrote a page with code: pc is the next instruction) */
	return v->traps != traps || v->code_hit;
}

/* --- translation ------------------------------------------------------------------------ */

static bool rv_jit_ends_block(const struct rv_op *op)
{
	switch (op->kind) {
	case K_JAL:
	case K_JALR:
	case K_BEQ:
	case K_BNE:
	case K_BLT:
	case K_BGE:
	case K_BLTU:
	case K_BGEU:
	case K_SYSTEM:
	case K_FENCE_I:
	case K_ILLEGAL:
		return true;
	default:
		return false;
	}
}

static bool rv_jit_is_branch(const struct rv_op *op)
{
	return op->kind >= K_BEQ && op->kind <= K_BGEU;
}

static bool rv_jit_via_interp(const struct rv_op *op);

/* Decode the instruction at page offset pos (host + (pos - off)); false when it straddles
 * the page's end (the interpreter's slow path). */
static bool rv_jit_decode_one(struct rv_op *op, const uint8_t *host, unsigned off, unsigned pos)
{
	uint16_t lo;
	uint32_t insn;

	memset(op, 0, sizeof(*op));
	memcpy(&lo, host + (pos - off), 2);
	if ((lo & 3) != 3) {
		insn = rv_expand_compressed(lo);
		op->len = 2;
		if (insn == 0) {
			op->kind = K_ILLEGAL;
			op->insn = lo;
		} else {
			rv_decode_op(insn, op);
		}
		return true;
	}
	if (pos + 4 > 4096)
		return false;
	memcpy(&insn, host + (pos - off), 4);
	op->len = 4;
	rv_decode_op(insn, op);
	if (op->kind == K_ILLEGAL)
		op->insn = insn;
	return true;
}

/* A conditional branch over one instruction that only computes a register from constants
 * and registers (lui, li, mv, addi, addiw, andi, ori, xori, add, sub, and, or, xor, addw,
 * subw: `x = c ? a : b` as GCC compiles it without Zicond), translated without a jump: the
 * instruction's value, then a cmov (em_skip1). */
enum { RV_JIT_SKIP1 = 1 };
static bool rv_jit_skip1_kind(unsigned k)
{
	switch (k) {
	case K_LUI:
	case K_ADDI:
	case K_ADDIW:
	case K_ANDI:
	case K_ORI:
	case K_XORI:
	case K_ADD:
	case K_SUB:
	case K_AND:
	case K_OR:
	case K_XOR:
	case K_ADDW:
	case K_SUBW:
		return true;
	default:
		return false;
	}
}

static bool rv_jit_skip1(const struct rv_op *br, const uint8_t *host, unsigned off, unsigned pos)
{
	struct rv_op nx;

	if (pos >= 4096 || !rv_jit_decode_one(&nx, host, off, pos))
		return false;
	return rv_jit_skip1_kind(nx.kind) && nx.rd != 0 && nx.rd < 32 &&
	       br->imm == br->len + nx.len;
}

/* Decode up to max instructions at host (page offset off); a path (of a side exit) has no
 * side exits and stops before an instruction the interpreter runs. Returns the count. */
static unsigned rv_jit_decode_n(struct rv_op *ops, const uint8_t *host, unsigned off, unsigned max,
                                bool path)
{
	unsigned n = 0, pos = off, side = path ? JIT_SIDE_EXITS - JIT_PATH_SIDE : 0;

	while (n < max && pos < 4096) {
		struct rv_op *op = &ops[n];

		if (!rv_jit_decode_one(op, host, off, pos))
			break; /* straddles the page: the interpreter's slow path */
		if (path && rv_jit_via_interp(op))
			break;
		op->off = (uint16_t)(pos - off);
		pos += op->len;
		n++;
		if (rv_jit_is_branch(op) && n < max && rv_jit_skip1(op, host, off, pos)) {
			op->jit = RV_JIT_SKIP1; /* (the next one is decoded next, in this block) */
			continue;
		}
		if (rv_jit_is_branch(op) && op->imm > 0 && side < JIT_SIDE_EXITS) {
			side++; /* a side exit: the block goes on after it */
			continue;
		}
		if (rv_jit_ends_block(op))
			break;
	}
	return n;
}

/* Decode up to JIT_BLOCK_OPS instructions at host (page offset off). Returns the count. */
static unsigned rv_jit_decode(struct rv_op *ops, const uint8_t *host, unsigned off)
{
	return rv_jit_decode_n(ops, host, off, JIT_BLOCK_OPS, false);
}

static void em_helper2(struct em *e, const struct rv_op *op, uint64_t (*fn)(uint64_t, uint64_t))
{
	em_writeback_call(e);
	em_mem(e, true, 0x8b, RDI, XOFF(op->rs1));
	em_mem(e, true, 0x8b, RSI, XOFF(op->rs2));
	em_call(e, (const void *)fn);
	em_stx(e, RAX, op->rd);
}

/* movsxd r, r32 */
static void em_movsxd(struct em *e, unsigned r)
{
	rex(e, true, r, r);
	b1(e, 0x63);
	b1(e, 0xc0 | ((r & 7) << 3) | (r & 7));
}

/* Where an op computes rd: rd's host register when it is cached, else rax (stored after). */
static unsigned em_dst(const struct em *e, const struct rv_op *op)
{
	return e->hreg[op->rd] >= 0 ? (unsigned)e->hreg[op->rd] : RAX;
}

/* d = rs1 (no move when d already is rs1's host register) */
static void em_src1(struct em *e, const struct rv_op *op, unsigned d)
{
	if (e->hreg[op->rs1] < 0 || (unsigned)e->hreg[op->rs1] != d)
		em_ldx(e, d, op->rs1);
}

/* after computing into d: sign-extend a W result, store rd when not cached */
static void em_finish(struct em *e, const struct rv_op *op, unsigned d, bool w)
{
	if (!w)
		em_movsxd(e, d);
	if (d == RAX)
		em_stx(e, RAX, op->rd);
}

/* a register-register ALU op (opcode: op r/m, reg: add, sub, xor, or, and). rd = rs2 in a
 * host register is computed where it is: add, xor, or and and with their operands swapped,
 * sub as -rs2 + rs1 (no copy of rs2 to a scratch register and of rs1 to rd first) */
static void em_rr_op(struct em *e, const struct rv_op *op, bool w, unsigned opcode)
{
	unsigned d = em_dst(e, op), s2;
	if (op->rd == op->rs2 && op->rs1 != op->rd && e->hreg[op->rd] >= 0) {
		unsigned s1 = e->hreg[op->rs1] >= 0 ? (unsigned)e->hreg[op->rs1] : RCX;
		if (s1 == RCX)
			em_ldx(e, RCX, op->rs1);
		if (opcode == 0x29) { /* neg d; add d, rs1 */
			rex(e, w, 0, d);
			b1(e, 0xf7);
			b1(e, 0xd8 | (d & 7));
			opcode = 0x01;
		}
		em_rr(e, w, opcode, s1, d);
		em_finish(e, op, d, w);
		return;
	}
	if (e->hreg[op->rs2] >= 0 && (op->rs2 != op->rd || op->rs1 == op->rd)) {
		s2 = (unsigned)e->hreg[op->rs2];
	} else {
		em_ldx(e, RCX, op->rs2);
		s2 = RCX;
	}
	em_src1(e, op, d);
	em_rr(e, w, opcode, s2, d);
	em_finish(e, op, d, w);
}

static void em_shift_rr(struct em *e, const struct rv_op *op, bool w, unsigned digit)
{
	unsigned d = em_dst(e, op);
	em_ldx(e, RCX, op->rs2);
	em_src1(e, op, d);
	em_shift(e, w, digit, d, -1);
	em_finish(e, op, d, w);
}

static void em_imm_op(struct em *e, const struct rv_op *op, bool w, unsigned digit)
{
	unsigned d = em_dst(e, op);
	if (op->rs1 == 0 && digit != 4) { /* li */
		em_movi(e, d, op->imm);
		em_finish(e, op, d, true);
		return;
	}
	if (digit == 0 && op->imm != 0 && e->hreg[op->rs1] >= 0 &&
	    (unsigned)e->hreg[op->rs1] != d) {
		em_lea(e, d, (unsigned)e->hreg[op->rs1], op->imm); /* d = rs1 + imm */
		em_finish(e, op, d, w);
		return;
	}
	em_src1(e, op, d);
	if (op->imm != 0 || digit == 4)
		em_alu_imm(e, w, digit, d, op->imm);
	em_finish(e, op, d, w);
}

/* `slli rd, rs, k` (k 1 to 3) then `add rd, rd, b` (or `add rd, b, rd`): an array's index
 * scaled and added to its base (RV64GC has no sh1add), as one lea rd, [b + rs << k]: the
 * address's chain one instruction shorter. Emits it and returns true when a and b are such a
 * pair (both retire with the block; neither can leave it). */
static bool em_shadd(struct em *e, const struct rv_op *a, const struct rv_op *b)
{
	unsigned other, d, idx, base;

	if (a->kind != K_SLLI || a->imm < 1 || a->imm > 3 || a->rd == 0 || a->rd >= 32 ||
	    b->kind != K_ADD || b->rd != a->rd)
		return false;
	if (b->rs1 == a->rd && b->rs2 != a->rd)
		other = b->rs2;
	else if (b->rs2 == a->rd && b->rs1 != a->rd)
		other = b->rs1;
	else
		return false;
	d = em_dst(e, b);
	if (e->hreg[a->rs1] >= 0) {
		idx = (unsigned)e->hreg[a->rs1];
	} else {
		em_ldx(e, RDX, a->rs1);
		idx = RDX;
	}
	if (e->hreg[other] >= 0) {
		base = (unsigned)e->hreg[other];
	} else {
		em_ldx(e, RCX, other);
		base = RCX;
	}
	/* lea d, [base + idx * (1 << k)] (rbp or r13 as base: mod 01, disp8 0) */
	b1(e, 0x48 | ((d >> 3) << 2) | ((idx >> 3) << 1) | (base >> 3));
	b1(e, 0x8d);
	b1(e, ((base & 7) == 5 ? 0x44 : 0x04) | ((d & 7) << 3));
	b1(e, (unsigned)a->imm << 6 | (idx & 7) << 3 | (base & 7));
	if ((base & 7) == 5)
		b1(e, 0);
	em_finish(e, b, d, true);
	return true;
}

/* rsi = rs1 + imm: a load's or store's address */
static void em_addr(struct em *e, const struct rv_op *op)
{
	if (e->hreg[op->rs1] >= 0 && op->imm != 0) {
		em_lea(e, RSI, (unsigned)e->hreg[op->rs1], op->imm);
		return;
	}
	em_ldx(e, RSI, op->rs1);
	if (op->imm != 0)
		em_alu_imm(e, true, 0, RSI, op->imm);
}

static void em_shift_imm(struct em *e, const struct rv_op *op, bool w, unsigned digit)
{
	unsigned d = em_dst(e, op);
	em_src1(e, op, d);
	em_shift(e, w, digit, d, op->imm);
	em_finish(e, op, d, w);
}

static void em_cmp_set(struct em *e, const struct rv_op *op, bool imm, unsigned cc)
{
	em_ldx(e, RAX, op->rs1);
	if (imm) {
		em_alu_imm(e, true, 7, RAX, op->imm);
	} else {
		em_ldx(e, RCX, op->rs2);
		em_rr(e, true, 0x39, RCX, RAX); /* cmp rax, rcx */
	}
	em_setcc_rax(e, cc);
	em_stx(e, RAX, op->rd);
}

/* A cold record (em_cold_section) for this op (an op makes one at most). */
static struct em_cold *em_cold_new(struct em *e)
{
	if (e->ncold >= sizeof(e->cold) / sizeof(e->cold[0]))
		abort();
	struct em_cold *c = &e->cold[e->ncold++];
	memset(c, 0, sizeof(*c));
	return c;
}

/* After a helper that returned eax != 0 when the block must end (pc set): leave (out of
 * line). */
static void em_exit_if_nonzero(struct em *e, unsigned count)
{
	struct em_cold *c = em_cold_new(e);

	b1(e, 0x85), b1(e, 0xc0); /* test eax, eax */
	c->slow[0] = em_jump(e, CC_NE);
	c->info = count;
}

#include "jit_mem.h"

/* What the translation of one block knows. */
struct tctx {
	struct rv_jit *j;
	const struct vcpu *v; /* at translation: v->pc is the block's first instruction */
	uintptr_t host;       /* of the block's first instruction */
	unsigned pgoff;       /* its offset in the page */
	uint8_t *body;        /* the block's own body (writable view) */
	uint8_t *loop;        /* its body after loading the cached registers */
	unsigned len;         /* bytes of guest code */
};

#define ASYNCOFF ((uint32_t)offsetof(struct vcpu, async))
#define EPOCHOFF ((uint32_t)offsetof(struct vcpu, jit_epoch))

static const struct rv_jit_block *rv_jit_find(const struct rv_jit *j, uintptr_t host);

/* eax = the epoch (mov eax, [moffs64]: its address is fixed for the code buffer's life, one
 * load instead of two through v->jit_epoch) */
static void em_epoch(struct em *e, const struct rv_jit *j)
{
	uint64_t a = (uint64_t)(uintptr_t)j->epoch;
	b1(e, 0xa1);
	b4(e, (uint32_t)a);
	b4(e, (uint32_t)(a >> 32));
}

/* The jump cache's lookup: go to the guest address in rsi (r13 counting the instructions
 * retired, the cached registers written back), staying in translated code when the fetch
 * TLB maps it and the jump cache holds a translation of it from the current epoch; else
 * to `slow` with the target in r8 (NULL: the patch slots, returned in slow[], five). */
static void em_jc_lookup(struct em *e, const struct rv_jit *j, uint8_t **slow)
{
	uint8_t *miss[2];
	unsigned ns = 0;

	rex(e, true, RSI, R8); /* mov r8, rsi: the target */
	b1(e, 0x89), b1(e, 0xc0 | (RSI << 3) | (R8 & 7));
	em_test_limit(e);
	slow[ns++] = em_jump(e, CC_NE);
	em_cmp0(e, ASYNCOFF);
	slow[ns++] = em_jump(e, CC_NE);
	em_tlb(e, RV_ACC_X, 1, miss, true); /* rax = host address of the target */
	slow[ns++] = miss[0];
	em_rr(e, true, 0x89, RAX, RCX); /* rcx = jc index * 32: ((rax >> 1) & mask) << 5 */
	em_shift(e, true, 4, RCX, 4);
	em_alu_imm(e, false, 4, RCX, (JIT_JC_SIZE - 1) << 5);
	em_movi64(e, RDX, (uint64_t)(uintptr_t)j->jc);
	em_rr(e, true, 0x01, RCX, RDX);      /* rdx = &jc[index] */
	em_memb(e, true, 0x3b, RAX, RDX, 0); /* cmp rax, [rdx].host */
	slow[ns++] = em_jump(e, CC_NE);
	em_epoch(e, j);
	em_memb(e, false, 0x3b, RAX, RDX, (uint32_t)offsetof(struct rv_jit_jc, epoch));
	slow[ns++] = em_jump(e, CC_NE);
	em_add_r13(e, JIT_ENTRY);
	rex(e, true, R8, R12); /* mov r12, r8 */
	b1(e, 0x89), b1(e, 0xc0 | ((R8 & 7) << 3) | (R12 & 7));
	b1(e, 0xff), b1(e, 0xa2); /* jmp [rdx + body_rx] */
	b4(e, (uint32_t)offsetof(struct rv_jit_jc, body_rx));
}

/* The lookup stub, at the start of the code buffer: em_jc_lookup, shared by the direct
 * jumps to code not translated when the jumping block was; its slow path (leave with
 * pc = r8) is shared by the indirect jumps' own lookups. */
static void em_lookup_stub(struct em *e, struct rv_jit *j)
{
	uint8_t *slow[5];

	em_jc_lookup(e, j, slow);
	for (unsigned i = 0; i < 5; i++)
		em_patch(e, slow[i]);
	j->stub_slow = (size_t)(e->p - j->rw);
	rex(e, true, R8, RBX); /* mov [rbx + pc], r8 */
	b1(e, 0x89), b1(e, 0x80 | ((R8 & 7) << 3) | RBX), b4(e, PCOFF);
	em_exit(e, 0);
}

/* Go to the guest address in rsi, with `count` more instructions retired: through the
 * lookup stub, shared by all blocks (the cached registers written back first). */
static void em_lookup_jump(struct em *e, const struct tctx *t, unsigned count)
{
	em_writeback(e);
	em_add_r13(e, (int32_t)count);
	em_jmp_to(e, t->j->rw);
}

/* An indirect jump (jalr) to rsi: em_lookup_jump with its own copy of the lookup, so that
 * the host predicts each one's targets apart. */
static void em_indirect_jump(struct em *e, const struct tctx *t, unsigned count)
{
	uint8_t *slow[5];

	em_writeback(e);
	em_add_r13(e, (int32_t)count);
	em_jc_lookup(e, t->j, slow);
	for (unsigned i = 0; i < 5; i++)
		if (e->p < e->end) {
			int32_t rel = (int32_t)(t->j->rw + t->j->stub_slow - (slow[i] + 4));
			memcpy(slow[i], &rel, 4);
		}
}

/* lea r12, [r12 + delta] */
static void em_lea_r12(struct em *e, int32_t delta)
{
	b1(e, 0x4d), b1(e, 0x8d);
	if (fits8(delta)) {
		b1(e, 0x64), b1(e, 0x24), b1(e, (uint32_t)delta & 0xff);
		return;
	}
	b1(e, 0xa4), b1(e, 0x24), b4(e, (uint32_t)delta);
}

/* The shared way out of a chained jump that does not go in (em_goto): pc = rax, the
 * instructions retired r13 less the entry it counted; the registers are written back. */
static void em_leave_stub(struct em *e)
{
	em_mem(e, true, 0x89, RAX, PCOFF);     /* mov [rbx + pc], rax */
	b1(e, 0x41), b1(e, 0x8d), b1(e, 0x85); /* lea eax, [r13 - JIT_ENTRY] */
	b4(e, (uint32_t)-JIT_ENTRY);
	em_jmp_to(e, e->epi);
}

/* Into tb (em_goto, its checks passed): the registers it caches that are not in place, from
 * the host register this block keeps them in (a move, which does not wait for a store that
 * wrote it back; for a register both write, kept, the only place the value is), else from
 * v->x. The moves are parallel: one goes when no other still reads its destination, and a
 * cycle goes through rax. */
static void em_goto_moves(struct em *e, const struct rv_jit_block *tb)
{
	int8_t dst[JIT_HREGS], src[JIT_HREGS];
	uint8_t guest[JIT_HREGS];
	unsigned n = 0;

	for (unsigned k = 0; k < tb->nc; k++) {
		unsigned r = tb->guest[k];
		if (e->hreg[r] == (int8_t)tb->hreg[k])
			continue;
		dst[n] = (int8_t)tb->hreg[k];
		src[n] = e->hreg[r];
		guest[n++] = (uint8_t)r;
	}
	while (n > 0) {
		unsigned pick = n;
		for (unsigned i = 0; i < n && pick == n; i++) {
			bool read = false;
			for (unsigned k = 0; k < n; k++)
				if (k != i && src[k] == dst[i])
					read = true;
			if (!read)
				pick = i;
		}
		if (pick == n) { /* only cycles left (so nothing reads rax): one through rax */
			em_rr(e, true, 0x89, (unsigned)dst[0], RAX); /* mov rax, dst[0] */
			for (unsigned k = 0; k < n; k++)
				if (src[k] == dst[0])
					src[k] = RAX;
			continue;
		}
		if (src[pick] >= 0)
			em_rr(e, true, 0x89, (unsigned)src[pick], (unsigned)dst[pick]);
		else
			em_mem(e, true, 0x8b, (unsigned)dst[pick], XOFF(guest[pick]));
		n--;
		dst[pick] = dst[n];
		src[pick] = src[n];
		guest[pick] = guest[n];
	}
}

/* Go to pc0 + delta and retire `count` more instructions: straight into the translation of
 * the target when there is one (its checked entry: the chain's length, nothing
 * asynchronous pending, the translation of the current epoch); one on another page only
 * while the fetch TLB of the current context maps the target there. Else leave. */
static void em_goto(struct em *e, const struct tctx *t, int32_t delta, unsigned count)
{
	int64_t toff = (int64_t)t->pgoff + delta;
	const struct rv_jit_block *tb = NULL;
	uint8_t *slow[4] = {NULL};
	bool same_page = toff >= 0 && toff < 4096;
	unsigned ns = 0;

	if (same_page && delta == 0) {
		/* itself: the cached registers stay */
		em_add_r13(e, (int32_t)(count + JIT_ENTRY));
		em_test_limit(e);
		slow[ns++] = em_jump(e, CC_NE);
		em_cmp0(e, ASYNCOFF);
		slow[ns++] = em_jump(e, CC_NE);
		em_jmp_to(e, t->loop);
		for (unsigned i = 0; i < ns; i++)
			em_patch(e, slow[i]);
		em_set_pc(e, delta);
		em_exit(e, -JIT_ENTRY);
		return;
	}
	if (same_page) {
		tb = rv_jit_find(t->j, t->host - t->pgoff + (uintptr_t)toff);
	} else {
		/* another page: where the fetch TLB maps it now; checked again at run time */
		uint64_t va = t->v->pc + (uint64_t)(int64_t)delta;
		const struct rv_tlb_set *ts = &t->v->tlb[t->v->tlb_ctx][RV_ACC_X];
		unsigned ti = rv_tlb_index(va);
		if (ts->vpn[ti] == (va >> 12))
			tb = rv_jit_find(t->j, (uintptr_t)(va + ts->addend[ti]));
	}
	if (tb == NULL && same_page && e->nsites < sizeof(e->sites) / sizeof(e->sites[0])) {
		/* the same page, not translated yet: to the stub now, patched to jump to its
		 * translation's checked entry once it has one */
		em_writeback(e);
		em_add_r13(e, (int32_t)(count + JIT_ENTRY));
		em_lea_r12(e, delta);
		if (e->p + 5 <= e->end) {
			e->sites[e->nsites].host = t->host - t->pgoff + (uintptr_t)toff;
			e->sites[e->nsites++].at = e->p + 1;
		}
		em_jmp_to(e, t->j->rw + t->j->stub_r12);
		return;
	}
	if (tb == NULL) { /* not translated (yet): through the jump cache */
		em_lea_pc(e, RSI, delta);
		em_lookup_jump(e, t, count);
		return;
	}
	if (!same_page) { /* the fetch TLB (of the current context) maps pc0 + delta there */
		uint8_t *miss[2];
		em_lea_pc(e, RSI, delta);
		em_tlb(e, RV_ACC_X, 1, miss, true);
		slow[ns++] = miss[0];
		em_movi64(e, RDX, (uint64_t)tb->host);
		em_rr(e, true, 0x39, RDX, RAX); /* cmp rax, rdx */
		slow[ns++] = em_jump(e, CC_NE);
	}
	/* Its checks here, then only the registers it caches that are not in place already
	 * (em_goto_moves), and into its body after its own loads. A register both keep in a
	 * host register and both write (so it writes it back itself) is not written back
	 * here (kept), only if the jump does not go in. */
	int8_t th[33];
	uint32_t kept = 0;
	memset(th, -1, sizeof(th));
	for (unsigned k = 0; k < tb->nc; k++)
		th[tb->guest[k]] = (int8_t)tb->hreg[k];
	for (unsigned k = 0; k < e->nc; k++) {
		unsigned r = e->guest[k];
		if (th[r] >= 0 && (tb->dirty & (1u << r)) && (e->dirty & (1ULL << r)))
			kept |= 1u << r;
	}
	for (unsigned k = 0; k < e->nc; k++) {
		unsigned r = e->guest[k];
		if ((e->dirty & (1ULL << r)) && !(kept & (1u << r)))
			em_mem(e, true, 0x89, (unsigned)e->hreg[r], XOFF(r));
	}
	em_add_r13(e, (int32_t)(count + JIT_ENTRY));
	uint8_t *fail[3] = {NULL, NULL, NULL};
	if (!same_page || delta < (int32_t)t->len) {
		/* A jump past this block's code on the page needs neither: a chain only loops
		 * through a jump back or to another page (checked), and between two checks it
		 * runs code at rising, disjoint addresses of one page, so at most 2048
		 * instructions more than the limit (r13's low half stays below 65536) */
		em_test_limit(e);
		fail[0] = em_jump(e, CC_NE);
		em_cmp0(e, ASYNCOFF);
		fail[1] = em_jump(e, CC_NE);
	}
	em_epoch(e, t->j);
	b1(e, 0x3b), b1(e, 0x05); /* cmp eax, [rip + gen] */
	b4(e, (uint32_t)(int32_t)((const uint8_t *)&tb->gen - (e->p + 4)));
	fail[2] = em_jump(e, CC_NE);
	em_goto_moves(e, tb);
	em_lea_r12(e, delta); /* and into its body */
	em_jmp_to(e, tb->loop);
	for (unsigned i = 0; i < 3; i++)
		if (fail[i] != NULL)
			em_patch(e, fail[i]);
	/* not entered: the registers kept go back too; leave at the target */
	for (unsigned k = 0; k < e->nc; k++) {
		unsigned r = e->guest[k];
		if (kept & (1u << r))
			em_mem(e, true, 0x89, (unsigned)e->hreg[r], XOFF(r));
	}
	em_lea_pc(e, RAX, delta);
	em_jmp_to(e, e->leave);
	if (ns == 0)
		return;
	for (unsigned i = 0; i < ns; i++)
		em_patch(e, slow[i]);
	em_set_pc(e, delta);
	em_exit(e, (int32_t)count);
}

/* Does the op go through the interpreter (rv_jit_emit_op's default: it gets a copy of the
 * op)? Everything from LUI to FENCE is translated inline. */
static bool rv_jit_via_interp(const struct rv_op *op)
{
	return op->kind < K_LUI || op->kind > K_FENCE;
}

/* Translate one op (index i; rxop: its copy for the interpreter, rv_jit_via_interp).
 * Returns false when the op ended the block (exit emitted). */
enum { JIT_END, JIT_SIDE, JIT_SIDE_HERE }; /* what a branch is (rv_jit_emit_op's side) */
/* A conditional branch's compare (rax scratch); returns the condition code of "taken". */
static unsigned em_branch_cmp(struct em *e, const struct rv_op *op)
{
	static const uint8_t cc[] = {[K_BEQ] = CC_E,  [K_BNE] = CC_NE, [K_BLT] = CC_L,
	                             [K_BGE] = CC_GE, [K_BLTU] = CC_B, [K_BGEU] = CC_AE};
	unsigned a = RAX;
	if (op->rs1 != 0 && op->rs2 != 0 && e->hreg[op->rs1] < 0 && e->hreg[op->rs2] >= 0) {
		/* cmp [rbx + rs1], b: rs1 from v->x without a load of its own */
		em_mem(e, true, 0x39, (unsigned)e->hreg[op->rs2], XOFF(op->rs1));
	} else {
		if (e->hreg[op->rs1] >= 0)
			a = (unsigned)e->hreg[op->rs1];
		else
			em_ldx(e, RAX, op->rs1);
		if (op->rs2 == 0)
			em_rr(e, true, 0x85, a, a); /* test a, a: as cmp a, 0 */
		else if (e->hreg[op->rs2] >= 0)
			em_rr(e, true, 0x39, (unsigned)e->hreg[op->rs2], a); /* cmp a, b */
		else
			em_mem(e, true, 0x3b, a, XOFF(op->rs2)); /* cmp a, [rbx + rs2] */
	}
	return cc[op->kind];
}

/* cmovcc dst, src (64-bit, or 32-bit with !w) */
static void em_cmov(struct em *e, bool w, unsigned cc, unsigned dst, unsigned src)
{
	rex(e, w, dst, src);
	b1(e, 0x0f), b1(e, 0x40 + cc), b1(e, 0xc0 | ((dst & 7) << 3) | (src & 7));
}

/* A branch over one instruction (RV_JIT_SKIP1, rv_jit_skip1) without a jump: rdx = the
 * instruction's value, then (after the branch's compare) rd = rdx when the branch is not
 * taken, and r13 one less when it is (the instruction did not retire: every count after
 * it is r13 plus its index). */
static bool em_skip1(struct em *e, const struct rv_op *br, const struct rv_op *nx)
{
	if (br->jit != RV_JIT_SKIP1)
		return false;
	int h = e->hreg[nx->rd];
	unsigned d = h >= 0 ? (unsigned)h : RSI;
	/* (the x86 ALU's /digit of the immediate forms, the opcode of the register forms) */
	static const uint8_t digit[] = {
	    [K_ADDI] = 0, [K_ADDIW] = 0, [K_ANDI] = 4, [K_ORI] = 1, [K_XORI] = 6};
	static const uint8_t opc[] = {
	    [K_ADD] = 0x01, [K_SUB] = 0x29,  [K_AND] = 0x21, [K_OR] = 0x09,
	    [K_XOR] = 0x31, [K_ADDW] = 0x01, [K_SUBW] = 0x29};
	bool w = nx->kind != K_ADDIW && nx->kind != K_ADDW && nx->kind != K_SUBW;
	if (nx->kind == K_LUI) {
		em_movi(e, RDX, nx->imm);
	} else if ((nx->kind >= K_ADDI && nx->kind <= K_ANDI) || nx->kind == K_ADDIW) {
		em_ldx(e, RDX, nx->rs1);
		em_alu_imm(e, w, digit[nx->kind], RDX, nx->imm);
	} else {
		em_ldx(e, RDX, nx->rs1);
		em_ldx(e, RCX, nx->rs2);
		em_rr(e, w, opc[nx->kind], RCX, RDX); /* op rdx, rcx */
	}
	if (!w)
		em_movsxd(e, RDX);
	if (h < 0)
		em_mem(e, true, 0x8b, RSI, XOFF(nx->rd));   /* rd's value now */
	b1(e, 0x41), b1(e, 0x8d), b1(e, 0x4d), b1(e, 0xff); /* lea ecx, [r13 - 1] */
	unsigned cc = em_branch_cmp(e, br);
	em_cmov(e, true, cc ^ 1, d, RDX); /* not taken: the instruction's value */
	em_cmov(e, false, cc, 13, RCX);   /* taken: it did not retire */
	if (h < 0)
		em_mem(e, true, 0x89, RSI, XOFF(nx->rd));
	return true;
}

static bool rv_jit_emit_op(const struct tctx *t, struct em *e, const struct rv_op *op,
                           const struct rv_op *rxop, unsigned i, unsigned side)
{
	int32_t off = op->off;
	unsigned count = i + 1;

	switch (op->kind) {
	case K_LUI:
		em_movi(e, em_dst(e, op), op->imm);
		em_finish(e, op, em_dst(e, op), true);
		return true;
	case K_AUIPC:
		em_lea_pc(e, RAX, off + op->imm);
		em_stx(e, RAX, op->rd);
		return true;
	case K_JAL:
		if (op->rd != 32) { /* (x0: j, no link) */
			em_lea_pc(e, RAX, off + op->len);
			em_stx(e, RAX, op->rd);
		}
		em_goto(e, t, off + op->imm, count);
		return false;
	case K_JALR:
		em_ldx(e, RSI, op->rs1);
		if (op->imm != 0)
			em_alu_imm(e, true, 0, RSI, op->imm);
		em_alu_imm(e, true, 4, RSI, -2);
		em_lea_pc(e, RAX, off + op->len);
		em_stx(e, RAX, op->rd);
		em_indirect_jump(e, t, count);
		return false;
	case K_BEQ:
	case K_BNE:
	case K_BLT:
	case K_BGE:
	case K_BLTU:
	case K_BGEU: {
		uint8_t *taken = em_jump(e, em_branch_cmp(e, op));
		if (side == JIT_SIDE_HERE) { /* a path's side exit: its jump here, jumped over */
			if (e->p < e->end)
				taken[-1] ^= 1; /* (the jcc's condition, inverted) */
			em_goto(e, t, off + op->imm, count);
			em_patch(e, taken);
			return true;
		}
		if (side == JIT_SIDE) { /* a side exit: its jump (or path) after the body */
			if (e->nside >= JIT_SIDE_EXITS)
				abort(); /* (rv_jit_decode's count) */
			e->side[e->nside].at = taken;
			e->side[e->nside].delta = off + op->imm;
			e->side[e->nside++].count = count;
			return true;
		}
		em_goto(e, t, off + op->len, count);
		em_patch(e, taken);
		em_goto(e, t, off + op->imm, count);
		return false;
	}
	case K_LB:
	case K_LH:
	case K_LW:
	case K_LD:
	case K_LBU:
	case K_LHU:
	case K_LWU: {
		static const uint8_t size[] = {[K_LB] = 1,  [K_LH] = 2,  [K_LW] = 4, [K_LD] = 8,
		                               [K_LBU] = 1, [K_LHU] = 2, [K_LWU] = 4};
		struct em_cold *c = em_cold_new(e);
		em_addr(e, op);
		em_load_tlb(e, t->j, size[op->kind], c);
		/* d = [rax + rsi]: rd's host register, or rax (then stored) */
		unsigned d = em_dst(e, op), opc;
		bool w = true;
		switch (op->kind) {
		case K_LB:
			opc = 0x0fbe;
			break;
		case K_LBU:
			opc = 0x0fb6, w = false;
			break;
		case K_LH:
			opc = 0x0fbf;
			break;
		case K_LHU:
			opc = 0x0fb7, w = false;
			break;
		case K_LW:
			opc = 0x63;
			break;
		case K_LWU:
			opc = 0x8b, w = false;
			break;
		default:
			opc = 0x8b;
			break;
		}
		rex(e, w, d, RAX);
		if (opc > 0xff)
			b1(e, opc >> 8);
		b1(e, opc & 0xff);
		b1(e, 0x04 | (d & 7) << 3), b1(e, 0x30);
		if (d == RAX)
			em_stx(e, RAX, op->rd);
		c->done = e->p;
		c->info = JIT_MEM_INFO(op->kind, op->len, op->rd, op->off, i);
		return true;
	}
	case K_SB:
	case K_SH:
	case K_SW:
	case K_SD: {
		unsigned size = 1u << (op->kind - K_SB);
		struct em_cold *c = em_cold_new(e);
		uint8_t *miss[2];
		em_addr(e, op);
		em_tlb(e, RV_ACC_W, size, miss, true);
		c->slow[0] = miss[0];
		c->way2 = TLB2OFF + (uint32_t)(RV_ACC_W * sizeof(struct rv_tlb_set));
		c->hit = e->p;
		/* a page holding translations: the slow path (the entry's code byte, found by
		 * the index in rcx as the addend was, not waiting for it) */
		em_tlbmem(e, 0x8b, RDX, TLBCODE(RV_ACC_W)); /* rdx = [r11 + rcx * 8 + code] */
		b1(e, 0x80), b1(e, 0x3a), b1(e, 0x00);      /* cmp byte [rdx], 0 */
		c->slow[1] = em_jump(e, CC_NE);
		/* mov [rax], rs2 (straight from its host register when cached; a byte store
		 * always has a REX prefix: sil, dil, bpl rather than dh, bh, ch) */
		unsigned src = RDX;
		if (e->hreg[op->rs2] >= 0)
			src = (unsigned)e->hreg[op->rs2];
		else
			em_ldx(e, RDX, op->rs2);
		if (size == 2)
			b1(e, 0x66);
		if (size == 1 || size == 8 || src >= 8)
			b1(e, 0x40 | (size == 8 ? 8 : 0) | ((src >> 3) << 2));
		b1(e, size == 1 ? 0x88 : 0x89), b1(e, (src & 7) << 3);
		c->done = e->p;
		c->info = JIT_MEM_INFO(op->kind, op->len, op->rs2, op->off, i);
		return true;
	}
	case K_ADDI:
		em_imm_op(e, op, true, 0);
		return true;
	case K_XORI:
		em_imm_op(e, op, true, 6);
		return true;
	case K_ORI:
		em_imm_op(e, op, true, 1);
		return true;
	case K_ANDI:
		em_imm_op(e, op, true, 4);
		return true;
	case K_SLTI:
		em_cmp_set(e, op, true, CC_L);
		return true;
	case K_SLTIU:
		em_cmp_set(e, op, true, CC_B);
		return true;
	case K_SLLI:
		em_shift_imm(e, op, true, 4);
		return true;
	case K_SRLI:
		em_shift_imm(e, op, true, 5);
		return true;
	case K_SRAI:
		em_shift_imm(e, op, true, 7);
		return true;
	case K_ADDIW:
		em_imm_op(e, op, false, 0);
		return true;
	case K_SLLIW:
		em_shift_imm(e, op, false, 4);
		return true;
	case K_SRLIW:
		em_shift_imm(e, op, false, 5);
		return true;
	case K_SRAIW:
		em_shift_imm(e, op, false, 7);
		return true;
	case K_ADD:
		em_rr_op(e, op, true, 0x01);
		return true;
	case K_SUB:
		em_rr_op(e, op, true, 0x29);
		return true;
	case K_XOR:
		em_rr_op(e, op, true, 0x31);
		return true;
	case K_OR:
		em_rr_op(e, op, true, 0x09);
		return true;
	case K_AND:
		em_rr_op(e, op, true, 0x21);
		return true;
	case K_SLL:
		em_shift_rr(e, op, true, 4);
		return true;
	case K_SRL:
		em_shift_rr(e, op, true, 5);
		return true;
	case K_SRA:
		em_shift_rr(e, op, true, 7);
		return true;
	case K_SLT:
		em_cmp_set(e, op, false, CC_L);
		return true;
	case K_SLTU:
		em_cmp_set(e, op, false, CC_B);
		return true;
	case K_ADDW:
		em_rr_op(e, op, false, 0x01);
		return true;
	case K_SUBW:
		em_rr_op(e, op, false, 0x29);
		return true;
	case K_SLLW:
		em_shift_rr(e, op, false, 4);
		return true;
	case K_SRLW:
		em_shift_rr(e, op, false, 5);
		return true;
	case K_SRAW:
		em_shift_rr(e, op, false, 7);
		return true;
	case K_MUL:
	case K_MULW:
		em_ldx(e, RAX, op->rs1);
		em_ldx(e, RCX, op->rs2);
		rex(e, op->kind == K_MUL, RAX, RCX); /* imul rax, rcx */
		b1(e, 0x0f), b1(e, 0xaf), b1(e, 0xc1);
		if (op->kind == K_MULW)
			em_movsxd_rax(e);
		em_stx(e, RAX, op->rd);
		return true;
	case K_MULH:
		em_helper2(e, op, rv_jit_mulh);
		return true;
	case K_MULHSU:
		em_helper2(e, op, rv_jit_mulhsu);
		return true;
	case K_MULHU:
		em_helper2(e, op, rv_jit_mulhu);
		return true;
	case K_DIV:
		em_helper2(e, op, rv_jit_div);
		return true;
	case K_DIVU:
		em_helper2(e, op, rv_jit_divu);
		return true;
	case K_REM:
		em_helper2(e, op, rv_jit_rem);
		return true;
	case K_REMU:
		em_helper2(e, op, rv_jit_remu);
		return true;
	case K_DIVW:
		em_helper2(e, op, rv_jit_divw);
		return true;
	case K_DIVUW:
		em_helper2(e, op, rv_jit_divuw);
		return true;
	case K_REMW:
		em_helper2(e, op, rv_jit_remw);
		return true;
	case K_REMUW:
		em_helper2(e, op, rv_jit_remuw);
		return true;
	case K_FENCE:
		if (op->imm)
			b1(e, 0x0f), b1(e, 0xae), b1(e, 0xf0); /* mfence */
		return true;
	default:
		/* through the interpreter: FP, AMO, SYSTEM, fence.i, illegal */
		if (rxop == NULL)
			abort(); /* (rv_jit_via_interp disagrees with this switch) */
		em_writeback_call(e);
		em_rr(e, true, 0x89, RBX, RDI);
		em_movi64(e, RSI, (uint64_t)(uintptr_t)rxop);
		em_lea_pc(e, RDX, off);
		em_call(e, (const void *)rv_jit_interp);
		if (rv_jit_ends_block(op)) {
			em_exit(e, count);
			return false;
		}
		em_exit_if_nonzero(e, count);
		return true;
	}
}

static unsigned rv_jit_index(uintptr_t host)
{
	return (unsigned)((host >> 1) ^ (host >> 17)) & (JIT_HASH_SIZE - 1);
}

/* A translation of host that is current (no fence.i or store to its page since). */
static const struct rv_jit_block *rv_jit_find(const struct rv_jit *j, uintptr_t host)
{
	for (const struct rv_jit_block *b = j->buckets[rv_jit_index(host)]; b != NULL; b = b->next)
		if (b->host == host && b->gen == __atomic_load_n(j->epoch, __ATOMIC_RELAXED))
			return b;
	return NULL;
}

/* Which of an op's register fields it uses (the decoder fills all three from the raw bits,
 * whatever the format: a store's or a branch's "rd" is part of its offset): its sources,
 * and rd when it writes it. Through the interpreter: all three, as it may use any. */
enum { JIT_RS1 = 1, JIT_RS2 = 2, JIT_RD = 4 };
static unsigned rv_jit_op_regs(const struct rv_op *op)
{
	unsigned k = op->kind;

	if (k == K_LUI || k == K_AUIPC || k == K_JAL)
		return JIT_RD;
	if (k == K_JALR || (k >= K_LB && k <= K_LWU) || (k >= K_ADDI && k <= K_SRAIW))
		return JIT_RS1 | JIT_RD;
	if ((k >= K_BEQ && k <= K_BGEU) || (k >= K_SB && k <= K_SD))
		return JIT_RS1 | JIT_RS2;
	if (k >= K_ADD && k <= K_REMUW)
		return JIT_RS1 | JIT_RS2 | JIT_RD;
	if (k == K_FENCE)
		return 0;
	return JIT_RS1 | JIT_RS2 | JIT_RD;
}

/* Which guest registers the block keeps in host registers: the most used ones (read or
 * written at least twice). */
static void rv_jit_pick_regs(struct em *e, const struct rv_op *ops, unsigned n)
{
	unsigned uses[33] = {0};

	memset(e->hreg, -1, sizeof(e->hreg));
	e->nc = 0;
	e->dirty = 0;
	e->nexits = 0;
	e->tail = true;
	e->nsites = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned m = rv_jit_op_regs(&ops[i]);
		if (m & JIT_RS1)
			uses[ops[i].rs1]++;
		if (m & JIT_RS2)
			uses[ops[i].rs2]++;
		if (m & JIT_RD)
			uses[ops[i].rd]++;
	}
	uses[0] = uses[32] = 0;
	/* each in the host register of its preferred slot (r % JIT_HREGS) when free, so that
	 * chained blocks often agree and registers stay in place across a chain (em_goto) */
	bool taken[JIT_HREGS] = {false};
	while (e->nc < JIT_HREGS) {
		unsigned best = 0, slot;
		for (unsigned r = 1; r < 32; r++)
			if (uses[r] > uses[best])
				best = r;
		if (uses[best] < 2)
			break;
		uses[best] = 0;
		slot = best % JIT_HREGS;
		while (taken[slot])
			slot = (slot + 1) % JIT_HREGS;
		taken[slot] = true;
		e->hreg[best] = (int8_t)jit_hregs[slot];
		e->guest[e->nc++] = (uint8_t)best;
	}
	for (unsigned i = 0; i < n; i++)
		if ((rv_jit_op_regs(&ops[i]) & JIT_RD) && ops[i].rd < 32 && e->hreg[ops[i].rd] >= 0)
			e->dirty |= 1ULL << ops[i].rd;
}

static unsigned rv_jit_pend_index(uintptr_t host)
{
	return (unsigned)((host >> 1) ^ (host >> 13)) & (JIT_PEND_SIZE - 1);
}

/* A new translation: the exits waiting for it (if any) now jump to its checked entry; its
 * own exits to untranslated code on its page wait. */
static void rv_jit_chain(struct rv_jit *j, const struct rv_jit_block *b, const struct em *e)
{
	struct rv_jit_pend *p = &j->pend[rv_jit_pend_index(b->host)];

	if (p->host == b->host) {
		for (unsigned k = 0; k < JIT_PEND_SITES && p->at[k] != NULL; k++) {
			int32_t rel = (int32_t)(b->cent - (p->at[k] + 4));
			memcpy(p->at[k], &rel, 4);
			j->patched++;
		}
		memset(p, 0, sizeof(*p));
	}
	for (unsigned k = 0; k < e->nsites; k++) {
		unsigned s = 0;
		p = &j->pend[rv_jit_pend_index(e->sites[k].host)];
		if (p->host != e->sites[k].host) { /* (another target's go on using the stub) */
			memset(p, 0, sizeof(*p));
			p->host = e->sites[k].host;
		}
		while (s < JIT_PEND_SITES && p->at[s] != NULL)
			s++;
		if (s < JIT_PEND_SITES)
			p->at[s] = e->sites[k].at;
	}
}

/* Translate the block at host (guest page offset pc & 0xfff) and enter it in the table.
 * NULL when the code buffer is full (*full) or the first instruction needs the slow path. */
static struct rv_jit_block *rv_jit_translate(struct rv_jit *j, const struct vcpu *v, uintptr_t host,
                                             unsigned pageoff, bool *full)
{
	struct rv_jit_block *blk;
	struct rv_op ops[JIT_BLOCK_OPS];
	unsigned n, i, len;
	size_t start;
	struct em e;

	*full = true;
	start = (j->used + 15) & ~(size_t)15;
	if (j->size - start < JIT_BLOCK_ROOM)
		return NULL;
	*full = false;
	/* the header, a copy of the guest code, the decoded ops (the interpreter helper reads
	 * them), then the host code */
	blk = (struct rv_jit_block *)(void *)(j->rw + start);
	/* the page is marked as holding code before its bytes are read, so a store by another
	 * hart or a device either comes before the read or bumps the generation read here */
	blk->page = (uint32_t)((host - (uintptr_t)j->ram) >> 12);
	__atomic_store_n(&j->has_code[blk->page], 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	blk->gen = __atomic_load_n(j->epoch, __ATOMIC_ACQUIRE);
	n = rv_jit_decode(ops, (const uint8_t *)host, pageoff);
	if (n == 0)
		return NULL;
	/* the paths of its side exits (the branches before its last instruction): the code at
	 * their target on this page, after the block's own ops, translated in line (so that a
	 * loop whose hot way is a side exit and back is one block, its registers kept) */
	struct {
		unsigned side, first, n;
	} path[JIT_SIDE_EXITS];
	unsigned npath = 0, total = n;
	for (unsigned s = 0; s + 1 < n; s++) {
		if (!rv_jit_is_branch(&ops[s]) || ops[s].jit == RV_JIT_SKIP1)
			continue;
		unsigned toff = pageoff + ops[s].off + (unsigned)ops[s].imm, max = JIT_PATH_OPS;
		if (max > JIT_BLOCK_OPS - total)
			max = JIT_BLOCK_OPS - total;
		if (max > JIT_BLOCK_OPS - 1 - s) /* (an op's index must stay below 64) */
			max = JIT_BLOCK_OPS - 1 - s;
		path[npath].side = s;
		path[npath].first = total;
		path[npath].n = 0;
		if (toff < 4096 && max > 0) {
			unsigned m = rv_jit_decode_n(
			    ops + total, (const uint8_t *)host + (toff - pageoff), toff, max, true);
			for (unsigned k = 0; k < m; k++)
				ops[total + k].off =
				    (uint16_t)(ops[total + k].off + toff - pageoff);
			path[npath].n = m;
			total += m;
		}
		npath++;
	}
	len = 0;
	for (i = 0; i < total; i++)
		if (ops[i].off + ops[i].len > len)
			len = ops[i].off + ops[i].len;
	memcpy(blk->code, (const void *)host, len);
	/* the ops the interpreter runs (behind the copy; only those) start at their own pc */
	struct rv_op *own =
	    (struct rv_op *)(void *)(j->rw + start + sizeof(*blk) + ((len + 15) & ~15u));
	unsigned nown = 0;
	for (i = 0; i < n; i++)
		if (rv_jit_via_interp(&ops[i])) {
			own[nown] = ops[i];
			own[nown++].off = 0;
		}
	const struct rv_op *rxown =
	    (const struct rv_op *)(void *)(j->rx + ((uint8_t *)own - j->rw));
	size_t code = ((size_t)((uint8_t *)(own + nown) - j->rw) + 15) & ~(size_t)15;
	e.p = j->rw + code;
	e.end = j->rw + j->size;

	rv_jit_pick_regs(&e, ops, total);
	e.epi = j->rw + j->epi;
	/* the subroutines of calls into C: write back (when the block writes any cached
	 * register), reload */
	e.wb = e.rl = NULL;
	e.refill = j->rw + j->refill;
	e.way2[0] = j->rw + j->way2[0];
	e.way2[1] = j->rw + j->way2[1];
	e.leave = j->rw + j->leave;
	e.ncold = 0;
	e.nside = 0;
	if (e.dirty != 0) {
		e.wb = e.p;
		em_writeback(&e);
		b1(&e, 0xc3); /* ret */
	}
	e.rl = e.p;
	em_reload(&e);
	em_tlbreg(&e);
	b1(&e, 0xc3);
	/* the checked entry of chained exits (r12 = this pc, registers written back): the
	 * chain's length, nothing pending, this translation of the current epoch; else leave
	 * at r12 (out) */
	uint8_t *cent = e.p, *out[3];
	em_test_limit(&e);
	out[0] = em_jump(&e, CC_NE);
	em_cmp0(&e, ASYNCOFF);
	out[1] = em_jump(&e, CC_NE);
	em_mem(&e, true, 0x8b, RCX, EPOCHOFF); /* mov rcx, [rbx + jit_epoch] */
	b1(&e, 0x8b), b1(&e, 0x01);            /* mov eax, [rcx] */
	b1(&e, 0x3b), b1(&e, 0x05);            /* cmp eax, [rip + gen] */
	b4(&e, (uint32_t)(int32_t)((uint8_t *)&blk->gen - (e.p + 4)));
	out[2] = em_jump(&e, CC_NE);
	struct tctx t = {.j = j, .v = v, .host = host, .pgoff = pageoff, .body = e.p, .len = len};
	em_reload(&e);
	t.loop = e.p;
	for (i = 0; i < n; i++) {
		if (i + 1 < n &&
		    (em_shadd(&e, &ops[i], &ops[i + 1]) || em_skip1(&e, &ops[i], &ops[i + 1]))) {
			i++;
			continue;
		}
		if (!rv_jit_emit_op(&t, &e, &ops[i], rv_jit_via_interp(&ops[i]) ? rxown++ : NULL, i,
		                    i + 1 < n ? JIT_SIDE : JIT_END))
			break;
	}
	if (i == n) {
		const struct rv_op *last = &ops[n - 1];
		em_goto(&e, &t, last->off + last->len, n);
	}
	if (e.nside != npath)
		abort(); /* (one path per side exit) */
	for (unsigned k = 0; k < e.nside; k++) {
		unsigned q;
		em_patch(&e, e.side[k].at);
		for (q = 0; q < path[k].n; q++) {
			unsigned idx = path[k].side + 1 + q;
			const struct rv_op *po = &ops[path[k].first + q];
			if (q + 1 < path[k].n &&
			    (em_shadd(&e, po, po + 1) || em_skip1(&e, po, po + 1))) {
				q++;
				continue;
			}
			if (!rv_jit_emit_op(&t, &e, &ops[path[k].first + q], NULL, idx,
			                    q + 1 < path[k].n ? JIT_SIDE_HERE : JIT_END))
				break;
		}
		if (path[k].n == 0) {
			em_goto(&e, &t, e.side[k].delta, e.side[k].count);
		} else if (q == path[k].n) {
			const struct rv_op *pl = &ops[path[k].first + q - 1];
			em_goto(&e, &t, pl->off + pl->len, path[k].side + 1 + q);
		}
	}
	em_cold_section(&e);
	/* the shared tail: eax is set */
	e.tail = false;
	for (unsigned k = 0; k < e.nexits; k++)
		em_patch(&e, e.exits[k]);
	em_epilogue(&e);
	for (unsigned k = 0; k < 3; k++)
		em_patch(&e, out[k]);
	rex(&e, true, R12, RBX); /* mov [rbx + pc], r12 */
	b1(&e, 0x89), b1(&e, 0x80 | ((R12 & 7) << 3) | RBX), b4(&e, PCOFF);
	b1(&e, 0x41), b1(&e, 0x8d), b1(&e, 0x85); /* lea eax, [r13 - JIT_ENTRY] */
	b4(&e, (uint32_t)-JIT_ENTRY);
	em_jmp_to(&e, e.epi);
	if (e.p >= e.end) {
		*full = true;
		return NULL;
	}
	j->used = (size_t)(e.p - j->rw);
	j->blocks++;

	blk->host = host;
	blk->len = (uint16_t)len;
	blk->body_rx = j->rx + (t.body - j->rw);
	blk->loop = t.loop;
	blk->dirty = (uint32_t)e.dirty;
	blk->nc = (uint8_t)e.nc;
	for (unsigned k = 0; k < e.nc; k++) {
		blk->guest[k] = e.guest[k];
		blk->hreg[k] = (uint8_t)e.hreg[e.guest[k]];
	}
	blk->cent = cent;
	rv_jit_chain(j, blk, &e);
	unsigned idx = rv_jit_index(host);
	blk->next = j->buckets[idx];
	j->buckets[idx] = blk;
	return blk;
}

/* The translation of the code at host, if there is one still true to guest memory. */
static struct rv_jit_block *rv_jit_lookup(struct rv_jit *j, uintptr_t host)
{
	unsigned idx = rv_jit_index(host);
	struct rv_jit_block *b, **pp;

	for (pp = &j->buckets[idx]; (b = *pp) != NULL; pp = &b->next) {
		if (b->host != host)
			continue;
		if (unlikely(b->gen != __atomic_load_n(j->epoch, __ATOMIC_RELAXED))) {
			/* fence.i or a store to a page with code since: still the same code? */
			__atomic_store_n(&j->has_code[b->page], 1, __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			uint32_t ep = __atomic_load_n(j->epoch, __ATOMIC_ACQUIRE);
			if (memcmp(b->code, (const void *)host, b->len) != 0) {
				*pp = b->next; /* stale: unlinked, its space reclaimed by a flush */
				j->stale++;
				return NULL;
			}
			b->gen = ep;
		}
		if (pp != &j->buckets[idx]) { /* to the front */
			*pp = b->next;
			b->next = j->buckets[idx];
			j->buckets[idx] = b;
		}
		return b;
	}
	return NULL;
}

unsigned rv_jit_hot = RV_JIT_HOT;
bool rv_jit_bextr = true;

/* The code at host has no translation: has it run often enough to get one (this run
 * counted)? */
static bool rv_jit_hot_now(struct rv_jit *j, uintptr_t host)
{
	struct rv_jit_heat *h = &j->heat[(host >> 1) & (JIT_HEAT_SIZE - 1)];
	uint16_t tag = (uint16_t)((host >> 15) ^ (host >> 31));

	if (h->tag != tag) {
		h->tag = tag;
		h->runs = 0;
	}
	if (h->runs < UINT8_MAX)
		h->runs++; /* (stays: translated again at once after a flush or a change) */
	if (++h->total >= JIT_HEAT_TOTAL) {
		h->total = 0;
		return true;
	}
	return h->runs >= rv_jit_hot;
}

uint64_t rv_jit_exec(struct vcpu *v, uint64_t budget)
{
	struct rv_jit *j = v->jit;
	uint64_t n = 0;

	v->jit_epoch = j->epoch;
	while (n < budget) {
		struct rv_jit_block *b;
		uintptr_t host;
		bool trapped;
		unsigned k;

		if (unlikely(__atomic_load_n(&v->async, __ATOMIC_RELAXED)))
			break;
		host = rv_fetch_host(v, &trapped);
		if (unlikely(host == 0)) {
			if (trapped) { /* counted as the interpreter counts a fetch fault */
				n++;
				__atomic_store_n(&v->instret, v->instret + 1, __ATOMIC_RELAXED);
			} else {
				n += rv_exec(v, 1);
			}
			continue;
		}
		struct rv_jit_jc *jc = &j->jc[rv_jit_jc_index(host)];
		b = jc->b;
		if (unlikely(jc->host != host || b == NULL ||
		             b->gen != __atomic_load_n(j->epoch, __ATOMIC_RELAXED)))
			b = rv_jit_lookup(j, host);
		if (unlikely(b == NULL) && !rv_jit_hot_now(j, host)) {
			/* not yet: through the interpreter's decoded-block cache */
			const struct rv_block *ib =
			    rv_cached_block(v, host, (unsigned)(v->pc & 0xfff));
			j->interp_runs++;
			if (ib == NULL) { /* it straddles the page: the slow path */
				n += rv_exec(v, 1);
				continue;
			}
			k = rv_run_block(v, ib->ops, ib->n);
			n += k;
			__atomic_store_n(&v->instret, v->instret + k, __ATOMIC_RELAXED);
			if (v->leave_exec) {
				v->leave_exec = false;
				break;
			}
			continue;
		}
		if (unlikely(b == NULL)) {
			bool full;
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			b = rv_jit_translate(j, v, host, (unsigned)(v->pc & 0xfff), &full);
			if (b == NULL && full) {
				j->full++;
				rv_jit_flush(j);
				b = rv_jit_translate(j, v, host, (unsigned)(v->pc & 0xfff), &full);
			}
			clock_gettime(CLOCK_MONOTONIC, &t1);
			j->translate_ns += (uint64_t)rv_jit_ns_since(&t0, &t1);
			if (b == NULL) {
				n += rv_exec(v, 1);
				continue;
			}
		}
		if (jc->b != b || jc->host != host || jc->epoch != b->gen) {
			jc->host = host;
			jc->b = b;
			jc->body_rx = b->body_rx;
			jc->epoch = b->gen;
			j->jc_fills++;
		}
		j->dispatched++;
		k = j->enter(v, b->body_rx);
		v->jit_chained += k >> 16;
		k &= 0xffff;
		n += k;
		__atomic_store_n(&v->instret, v->instret + k, __ATOMIC_RELAXED);
		if (v->leave_exec) {
			v->leave_exec = false;
			break;
		}
	}
	return n;
}

/* The machine's shared code map instead of this hart's own (rv_jit_new). */
static void rv_jit_use_map(struct rv_jit *j, struct code_map *m)
{
	j->has_code = m != NULL ? m->has_code : j->code_pages;
	j->page_gen_map = m != NULL ? m->gen : j->page_gen;
	j->epoch = m != NULL ? &m->epoch : &j->own_epoch;
}

struct rv_jit *rv_jit_create(struct vcpu *v)
{
	struct rv_jit *j = rv_jit_new(v);
	struct em e = {.p = NULL, .nc = 0, .tail = false};

	if (j == NULL)
		return NULL;
	rv_jit_use_map(j, v->p.code);
	v->code_pages = j->has_code;
	v->code_gen = j->page_gen_map;
	rv_tlb_flush(v); /* (its entries' code bytes are the map's from now on) */
	e.p = j->rw;
	e.end = j->rw + 4096;
	memset(e.hreg, -1, sizeof(e.hreg));
	/* the shared epilogue first (the stub's exit jumps to it) */
	uint8_t *ep = e.p + 256;
	e.epi = ep;
	em_lookup_stub(&e, j);
	j->stub_r12 = (size_t)(e.p - j->rw);
	em_add_r13(&e, -JIT_ENTRY); /* (waiting exits count an entry) */
	rex(&e, true, R12, RSI);    /* mov rsi, r12; jmp stub */
	b1(&e, 0x89), b1(&e, 0xc0 | ((R12 & 7) << 3) | RSI);
	em_jmp_to(&e, j->rw);
	/* the shared prologue: enter(v, body) */
	uint8_t *enter = e.p;
	b1(&e, 0x53);                                           /* push rbx */
	b1(&e, 0x41), b1(&e, 0x54);                             /* push r12 */
	b1(&e, 0x41), b1(&e, 0x55);                             /* push r13 */
	b1(&e, 0x55);                                           /* push rbp */
	b1(&e, 0x41), b1(&e, 0x56);                             /* push r14 */
	b1(&e, 0x41), b1(&e, 0x57);                             /* push r15 */
	b1(&e, 0x48), b1(&e, 0x83), b1(&e, 0xec), b1(&e, 0x08); /* sub rsp, 8: calls aligned */
	em_rr(&e, true, 0x89, RDI, RBX);                        /* mov rbx, rdi */
	em_mem(&e, true, 0x8b, R12, PCOFF);                     /* mov r12, [rbx + pc] */
	b1(&e, 0x45), b1(&e, 0x31), b1(&e, 0xed);               /* xor r13d, r13d */
	em_tlbreg(&e);
	b1(&e, 0xff), b1(&e, 0xe6); /* jmp rsi */
	if (e.p > ep)
		abort(); /* (the stub and the prologue fit in 256 bytes) */
	e.p = ep;
	b1(&e, 0x48), b1(&e, 0x83), b1(&e, 0xc4), b1(&e, 0x08); /* add rsp, 8 */
	b1(&e, 0x41), b1(&e, 0x5f);                             /* pop r15 */
	b1(&e, 0x41), b1(&e, 0x5e);                             /* pop r14 */
	b1(&e, 0x5d);                                           /* pop rbp */
	b1(&e, 0x41), b1(&e, 0x5d);                             /* pop r13 */
	b1(&e, 0x41), b1(&e, 0x5c);                             /* pop r12 */
	b1(&e, 0x5b);                                           /* pop rbx */
	b1(&e, 0xc3);
	j->refill = (size_t)(e.p - j->rw);
	em_refill_stub(&e, j);
	j->way2[0] = (size_t)(e.p - j->rw);
	em_way2_stub(&e, RV_ACC_R);
	j->way2[1] = (size_t)(e.p - j->rw);
	em_way2_stub(&e, RV_ACC_W);
	j->leave = (size_t)(e.p - j->rw);
	em_leave_stub(&e);
	j->epi = (size_t)(ep - j->rw);
	j->enter = (rv_jit_enter_fn)(void *)(j->rx + (enter - j->rw));
	j->stub_end = j->used = ((size_t)(e.p - j->rw) + 15) & ~(size_t)15;
	return j;
}

bool vcpu_jit_available(void)
{
	return true;
}

struct rv_jit *rv_jit_new(const struct vcpu *v)
{
	struct rv_jit *j;
	int fd = -1;

	/* its own pages, so that a flush can give the tables' back (rv_jit_zero) */
	j = mmap(NULL, sizeof(*j), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (j == MAP_FAILED)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &j->flushed_at);
	j->cooled_at = j->flushed_at;
	j->ram = v->p.ram;
	j->ram_size = v->p.ram_size;
	j->size = rv_jit_code_size;
	if (v->p.code == NULL) { /* no machine's code map: the hart's own */
		j->code_pages = calloc((j->ram_size >> 12) + 1, 1);
		j->page_gen = calloc((j->ram_size >> 12) + 1, sizeof(uint32_t));
		if (j->code_pages == NULL || j->page_gen == NULL)
			goto fail;
	}
	fd = memfd_create("berth-jit", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)j->size) != 0)
		goto fail;
	j->rw = mmap(NULL, j->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	j->rx = mmap(NULL, j->size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	if (j->rw == MAP_FAILED || j->rx == MAP_FAILED)
		goto fail;
	close(fd);
	return j;
fail:
	if (fd >= 0)
		close(fd);
	if (j->rw != NULL && j->rw != MAP_FAILED)
		munmap(j->rw, j->size);
	if (j->rx != NULL && j->rx != MAP_FAILED)
		munmap(j->rx, j->size);
	free(j->code_pages);
	free(j->page_gen);
	munmap(j, sizeof(*j));
	return NULL;
}

#endif
