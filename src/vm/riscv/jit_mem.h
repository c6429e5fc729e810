/* SPDX-License-Identifier: MIT */
/* The translator's loads and stores (jit.c only includes it, after its own definitions):
 * the helper their slow paths call (rv_jit_mem), their inline TLB lookups, the loads' shared
 * refill of their copies of TLB entries, and the cold code after a block's body. */
#ifndef BERTH_VM_RISCV_JIT_MEM_H
#define BERTH_VM_RISCV_JIT_MEM_H

/* --- helpers called from translated code ------------------------------------------------ */

/* A load: info = kind | rd << 8. Returns 0, or 1 after raising the exception. */
static int rv_jit_load(struct vcpu *v, uint64_t va, uint64_t pc, uint32_t info)
{
	static const uint8_t size[] = {
	    [K_LB] = 1, [K_LH] = 2, [K_LW] = 4, [K_LD] = 8, [K_LBU] = 1, [K_LHU] = 2, [K_LWU] = 4};
	unsigned kind = info & 0xff, rd = info >> 8;
	uint64_t r;

	v->pc = pc;
	if (rv_load(v, va, size[kind], &r))
		return 1;
	switch (kind) {
	case K_LB:
		r = (uint64_t)(int64_t)(int8_t)r;
		break;
	case K_LH:
		r = (uint64_t)(int64_t)(int16_t)r;
		break;
	case K_LW:
		r = (uint64_t)(int64_t)(int32_t)r;
		break;
	default:
		break;
	}
	v->x[rd] = r;
	return 0;
}

/* A store: returns 0, 1 after raising the exception, 2 when it wrote a page holding
 * translations (which are dropped: the block must end after this instruction). */
static int rv_jit_store(struct vcpu *v, uint64_t va, uint64_t val, uint64_t pc, unsigned size)
{
	v->pc = pc;
	/* (rv_store tells the code map of a page with code, rv_jit_written) */
	int r = rv_store(v, va, size, val);
	return r < 0 ? 1 : r > 0 ? 2 : 0;
}

/* What a load's or store's slow path (em_cold_section) passes rv_jit_mem in info. */
#define JIT_MEM_INFO(kind, len, reg, off, i)                                                       \
	((uint32_t)(kind) | ((len) == 4 ? 1u << 5 : 0) | (uint32_t)(reg) << 6 |                    \
	 (uint32_t)(off) << 12 | (uint32_t)(i) << 24)

/* A load or store that its translation's fast path left (a TLB miss, MMIO, a page crossing,
 * a page holding translations, a fault), with the cached registers written back. info
 * (JIT_MEM_INFO): the kind, the instruction's length, rd of a load or rs2 of a store, its
 * offset from pc0 (the block's first pc) and its index in the block. Returns 0 to go on, or
 * the instructions the block retired (the index + 1) when it must end, pc set: the trap
 * vector after a fault, the next instruction after a store to a page holding translations. */
static unsigned rv_jit_mem(struct vcpu *v, uint64_t va, uint64_t pc0, uint32_t info)
{
	unsigned kind = info & 31, reg = (info >> 6) & 63, count = ((info >> 24) & 63) + 1;
	uint64_t pc = pc0 + ((info >> 12) & 0xfff);

	if (kind < K_SB)
		return rv_jit_load(v, va, pc, kind | reg << 8) ? count : 0;
	switch (rv_jit_store(v, va, v->x[reg], pc, 1u << (kind - K_SB))) {
	case 0:
		return 0;
	case 1:
		return count;
	default: /* wrote translated code: leave after it */
		v->pc = pc + (info & (1u << 5) ? 4 : 2);
		return count;
	}
}

/* --- emitting them ----------------------------------------------------------------------- */

#define TLBOFF  ((uint32_t)offsetof(struct vcpu, tlb))
#define TLB2OFF ((uint32_t)offsetof(struct vcpu, tlb2))
_Static_assert(offsetof(struct vcpu, tlb2) ==
                   offsetof(struct vcpu, tlb) + sizeof(((struct vcpu *)0)->tlb),
               "the TLB's second way follows the first (em_cold_section)");
/* the offsets from TLBREG of the tags and the addends of access kind acc's entries */
#define TLBVPN(acc)    (TLBOFF + (uint32_t)((acc) * sizeof(struct rv_tlb_set)))
#define TLBADDEND(acc) (TLBVPN(acc) + (uint32_t)offsetof(struct rv_tlb_set, addend))
#define TLBCODE(acc)   (TLBVPN(acc) + (uint32_t)offsetof(struct rv_tlb_set, code))

/* op reg, [TLBREG + rcx * 8 + disp32] */
static void em_tlbmem(struct em *e, unsigned op, unsigned reg, uint32_t disp)
{
	rex(e, true, reg, TLBREG);
	b1(e, op);
	b1(e, 0x84 | ((reg & 7) << 3));
	b1(e, 0xc0 | (RCX << 3) | (TLBREG & 7));
	b4(e, disp);
}

/* rcx = the TLB index of va in rsi ((rsi >> 12) & 255), 10 bytes: with BMI1, one bextr (the
 * control in ecx first, off the address's chain); else mov, shr, movzx. */
static void em_tlb_index(struct em *e)
{
	_Static_assert(RV_TLB_SIZE == 256, "em_tlb_index extracts 8 bits");
	if (rv_jit_bextr && __builtin_cpu_supports("bmi")) {
		b1(e, 0xb9), b4(e, 12 | 8 << 8); /* mov ecx, 0x080c */
		b1(e, 0xc4), b1(e, 0xe2), b1(e, 0xf0), b1(e, 0xf7),
		    b1(e, 0xce); /* bextr rcx, rsi, rcx */
		return;
	}
	em_rr(e, true, 0x89, RSI, RCX);        /* mov rcx, rsi */
	em_shift(e, true, 5, RCX, 12);         /* shr rcx, 12 */
	b1(e, 0x0f), b1(e, 0xb6), b1(e, 0xc9); /* movzx ecx, cl */
}

/* The inline TLB lookup of the interpreter's rv_load/rv_store: va in rsi; on a hit rax is the
 * host address (with add_va; else the addend, to add to rsi), on a miss (or an access that
 * crosses the page) it jumps to the returned patch slots (two). */
static void em_tlb(struct em *e, int acc, unsigned size, uint8_t **miss, bool add_va)
{
	/* rax = the vpn of the access's last byte: it is the entry's (whose index comes from
	 * va) only when the access does not cross the page, so one compare checks both */
	if (size > 1) {
		rex(e, true, RAX, RSI); /* lea rax, [rsi + size - 1] */
		b1(e, 0x8d), b1(e, 0x40 | (RAX << 3) | (RSI & 7)), b1(e, size - 1);
	} else {
		em_rr(e, true, 0x89, RSI, RAX); /* mov rax, rsi */
	}
	em_shift(e, true, 5, RAX, 12);
	em_tlb_index(e);                      /* rcx = index, straight from va */
	em_tlbmem(e, 0x3b, RAX, TLBVPN(acc)); /* cmp rax, [r11 + rcx * 8 + vpn] */
	miss[0] = em_jump(e, CC_NE);
	miss[1] = NULL;
	em_tlbmem(e, 0x8b, RAX, TLBADDEND(acc)); /* rax = addend */
	if (add_va)
		em_rr(e, true, 0x01, RSI, RAX); /* rax += va */
}

#define TLBKEYOFF ((uint32_t)offsetof(struct vcpu, tlb_key))

/* A load's fast path (em_load_tlb), from its first byte (site) to where the access takes
 * the addend (resume): the copy's lookup, then the plain TLB's (direct, JIT_LD_DIRECT bytes
 * before resume), which the site jumps to once the copy is off. Fixed lengths: the shared
 * refill finds a site from resume, which the jump back from its cold code gives. */
#define JIT_LD_SITE   86
#define JIT_LD_DIRECT 40

/* A load's TLB lookup: first its own copy of the entry it used last (the key compared off
 * the critical path, the addend loaded without waiting for the address), then (out of
 * line) the TLB, through the shared refill (em_refill_stub, which refreshes the copy). A
 * load whose copy misses often (256 times: it goes from page to page, and the host
 * mispredicts the compare) turns it off: the site's first five bytes become a jump to the
 * plain TLB lookup that follows the copy's. va in rsi; rax is the addend (to add to rsi)
 * after it; the jumps to the refill and to the slow path (a TLB miss, an access that
 * crosses the page) go in c. */
/* lea rax, [rsi + size - 1]: the address of an access's last byte (four bytes always) */
static void em_lea_last(struct em *e, unsigned size)
{
	rex(e, true, RAX, RSI);
	b1(e, 0x8d), b1(e, 0x40 | (RAX << 3) | (RSI & 7)), b1(e, size - 1);
}

static void em_load_tlb(struct em *e, struct rv_jit *j, unsigned size, struct em_cold *c)
{
	struct rv_jit_lc *lc = &j->lc[j->lc_next++ % JIT_LC_SIZE];
	uint8_t *site, *direct;

	site = e->p;
	b1(e, 0x0f), b1(e, 0x1f), b1(e, 0x44), b1(e, 0x00), b1(e, 0x00); /* nop5 */
	/* rax = key (from the vpn of the access's last byte: an access that crosses the page
	 * misses the copy, then the TLB, whose entry's index comes from va, as em_tlb's);
	 * rdx = the copy */
	em_lea_last(e, size);
	em_shift(e, true, 5, RAX, 12);
	em_mem(e, true, 0x0b, RAX, TLBKEYOFF); /* or rax, [rbx + tlb_key] */
	em_movi64(e, RDX, (uint64_t)(uintptr_t)lc);
	em_memb(e, true, 0x3b, RAX, RDX, 0); /* cmp rax, [rdx] */
	c->refill = em_jump(e, CC_NE);
	em_memb(e, true, 0x8b, RAX, RDX, 8); /* rax = addend */
	b1(e, 0xeb), b1(e, JIT_LD_DIRECT);   /* jmp short resume */
	/* direct: the TLB alone */
	direct = e->p;
	em_lea_last(e, size);
	em_shift(e, true, 5, RAX, 12);
	em_tlb_index(e);
	em_tlbmem(e, 0x3b, RAX, TLBVPN(RV_ACC_R));
	c->slow[0] = em_jump(e, CC_NE);
	c->way2 = TLBVPN(RV_ACC_R) + (TLB2OFF - TLBOFF);
	em_tlbmem(e, 0x8b, RAX, TLBADDEND(RV_ACC_R));
	c->resume = e->p;
	if (e->p < e->end && (e->p - site != JIT_LD_SITE || e->p - direct != JIT_LD_DIRECT))
		abort(); /* (the lengths above) */
}

/* The loads' shared refill, in the code buffer's first page: called from a load's cold code
 * (em_cold_section) when its copy of the TLB entry missed, with va in rsi, the key in rax,
 * the copy in rdx. On a TLB hit it refreshes the copy and returns the addend in rax; on a
 * miss it returns 5 bytes further on (to the load's slow path). Every 256th miss of a copy
 * also turns the site's copy off, its first five bytes made a jump to its plain lookup: the
 * site is JIT_LD_SITE bytes before resume, where the cold code's jump back (after the call)
 * goes. */
static void em_refill_stub(struct em *e, struct rv_jit *j)
{
	uint8_t *off, *miss, *tlb;
	int32_t rel = JIT_LD_SITE - JIT_LD_DIRECT - 5; /* the site's jmp to direct */

	b1(e, 0x80), b1(e, 0x42), b1(e, (unsigned)offsetof(struct rv_jit_lc, misses)),
	    b1(e, 1);           /* add byte [rdx + misses], 1 */
	off = em_jump(e, CC_B); /* jc: wrapped */
	tlb = e->p;
	em_tlb_index(e);                           /* rcx = index from va */
	em_mem(e, true, 0x33, RAX, TLBKEYOFF);     /* xor rax, [rbx + tlb_key]: the vpn */
	em_tlbmem(e, 0x3b, RAX, TLBVPN(RV_ACC_R)); /* cmp rax, [r11 + rcx * 8 + vpn] */
	miss = em_jump(e, CC_NE);
	em_mem(e, true, 0x0b, RAX, TLBKEYOFF); /* the key again, to the copy */
	em_memb(e, true, 0x89, RAX, RDX, 0);
	em_tlbmem(e, 0x8b, RAX, TLBADDEND(RV_ACC_R)); /* rax = addend, to the copy */
	em_memb(e, true, 0x89, RAX, RDX, 8);
	b1(e, 0xc3);
	em_patch(e, miss);
	b1(e, 0x48), b1(e, 0x83), b1(e, 0x04), b1(e, 0x24), b1(e, 5); /* add qword [rsp], 5 */
	b1(e, 0xc3);
	em_patch(e, off);
	b1(e, 0x50);                                                  /* push rax: the key */
	b1(e, 0x48), b1(e, 0x8b), b1(e, 0x4c), b1(e, 0x24), b1(e, 8); /* mov rcx, [rsp + 8] */
	b1(e, 0x48), b1(e, 0x63), b1(e, 0x41), b1(e, 0x01); /* movsxd rax, dword [rcx + 1] */
	b1(e, 0x48), b1(e, 0x8d), b1(e, 0x4c), b1(e, 0x01), b1(e, 0x05); /* lea rcx, [rcx+rax+5] */
	em_movi64(e, RAX, (uint64_t)(j->rw - j->rx));
	em_rr(e, true, 0x01, RAX, RCX); /* add rcx, rax: resume, writable view */
	b1(e, 0xc7), b1(e, 0x81), b4(e, (uint32_t)-JIT_LD_SITE); /* mov dword [rcx - site] */
	b4(e, 0xe9 | (uint32_t)rel << 8);
	b1(e, 0xc6), b1(e, 0x81),
	    b4(e, (uint32_t)(4 - JIT_LD_SITE)); /* mov byte [rcx - site + 4] */
	b1(e, (uint32_t)rel >> 24);
	b1(e, 0x58); /* pop rax: the key again */
	em_jmp_to(e, tlb);
}

/* The TLB's second way for the loads' (acc RV_ACC_R) or the stores' (RV_ACC_W) cold code,
 * in the code buffer's first page: called after a miss in the first way (rax the vpn, rcx
 * the index, rsi va), it returns the addend (a load) or the host address (a store) in
 * rax on a hit, the two ways' entries swapped (as rv_tlb2 does; the first way's vpn
 * tagged with the key: an invalid one, all ones, matches nothing), or 5 bytes further on
 * (to the slow path) on a miss. */
static void em_way2_stub(struct em *e, int acc)
{
	uint32_t w1 = TLBVPN(acc), w2 = w1 + (TLB2OFF - TLBOFF);
	uint32_t a1 = TLBADDEND(acc), a2 = a1 + (TLB2OFF - TLBOFF);
	uint32_t c1 = TLBCODE(acc), c2 = c1 + (TLB2OFF - TLBOFF);
	uint8_t *miss;

	em_rr(e, true, 0x89, RAX, RDX);        /* rdx = the vpn */
	em_mem(e, true, 0x0b, RAX, TLBKEYOFF); /* or rax, [rbx + tlb_key] */
	em_tlbmem(e, 0x3b, RAX, w2);           /* cmp rax, [r11 + rcx * 8 + vpn] */
	miss = em_jump(e, CC_NE);
	em_tlbmem(e, 0x8b, RAX, w1);           /* rax = the first way's vpn */
	em_tlbmem(e, 0x89, RDX, w1);           /* its vpn = this one */
	em_mem(e, true, 0x0b, RAX, TLBKEYOFF); /* rax |= key */
	em_tlbmem(e, 0x89, RAX, w2);           /* to the second way */
	em_tlbmem(e, 0x8b, RDX, c1);           /* swap the code bytes' addresses */
	em_tlbmem(e, 0x8b, RAX, c2);
	em_tlbmem(e, 0x89, RDX, c2);
	em_tlbmem(e, 0x89, RAX, c1);
	em_tlbmem(e, 0x8b, RDX, a1); /* swap the addends */
	em_tlbmem(e, 0x8b, RAX, a2);
	em_tlbmem(e, 0x89, RDX, a2);
	em_tlbmem(e, 0x89, RAX, a1); /* rax = addend */
	if (acc == RV_ACC_W)
		em_rr(e, true, 0x01, RSI, RAX); /* rax += va */
	b1(e, 0xc3);
	em_patch(e, miss);
	b1(e, 0x48), b1(e, 0x83), b1(e, 0x04), b1(e, 0x24), b1(e, 5); /* add qword [rsp], 5 */
	b1(e, 0xc3);
}

/* The block's slow path of loads and stores: write back, rv_jit_mem (va in rsi, info in
 * ecx), reload; return, or leave when it says so. */
static void em_mem_slow(struct em *e)
{
	if (e->wb != NULL)
		em_call_to(e, e->wb);
	em_rr(e, true, 0x89, RBX, RDI);                     /* mov rdi, rbx */
	em_rr(e, true, 0x89, R12, RDX);                     /* mov rdx, r12: pc0 */
	b1(e, 0x48), b1(e, 0x83), b1(e, 0xec), b1(e, 0x08); /* sub rsp, 8: aligned */
	em_movi64(e, RAX, (uint64_t)(uintptr_t)rv_jit_mem);
	b1(e, 0xff), b1(e, 0xd0);                           /* call rax */
	b1(e, 0x48), b1(e, 0x83), b1(e, 0xc4), b1(e, 0x08); /* add rsp, 8 */
	em_call_to(e, e->rl);
	b1(e, 0x85), b1(e, 0xc0); /* test eax, eax */
	b1(e, 0x75), b1(e, 0x01); /* jnz +1 */
	b1(e, 0xc3);
	/* leave: eax instructions retired here, pc set, registers written back */
	b1(e, 0x48), b1(e, 0x83), b1(e, 0xc4), b1(e, 0x08); /* add rsp, 8: the return address */
	b1(e, 0x44), b1(e, 0x01), b1(e, 0xe8);              /* add eax, r13d */
	em_jmp_to(e, e->epi);
}

/* The cold code of the block's ops (struct em_cold), after its body: the loads' and
 * stores' slow paths (each a call to the block's em_mem_slow, which goes back after the
 * instruction), the loads' calls to the shared refill, the exits after helpers. */
static void em_cold_section(struct em *e)
{
	const uint8_t *slow = NULL;

	for (unsigned k = 0; k < e->ncold; k++) {
		struct em_cold *c = &e->cold[k];
		if (c->done == NULL) { /* an exit */
			em_patch(e, c->slow[0]);
			em_exit(e, (int32_t)c->info);
			continue;
		}
		if (slow == NULL) { /* (what is before it ends in a jump) */
			slow = e->p;
			em_mem_slow(e);
		}
		if (c->refill != NULL) {
			em_patch(e, c->refill);
			em_call_to(e, e->refill);
			em_jmp_to(e, c->resume); /* (the refill's miss returns past this) */
		}
		if (c->way2 != 0) { /* the TLB's second way (after the refill's miss too) */
			em_patch(e, c->slow[0]);
			em_call_to(e, e->way2[c->hit != NULL]);
			em_jmp_to(e,
			          c->hit != NULL ? c->hit : c->resume); /* (a miss returns past) */
		}
		for (unsigned i = c->way2 != 0 ? 1 : 0; i < 3; i++)
			if (c->slow[i] != NULL)
				em_patch(e, c->slow[i]);
		b1(e, 0xb9), b4(e, c->info); /* mov ecx, info */
		em_call_to(e, slow);
		em_jmp_to(e, c->done);
	}
}

#endif
