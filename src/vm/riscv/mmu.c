/* SPDX-License-Identifier: MIT */
/* Sv39/Sv48 address translation with hardware A/D updates, the software TLB, and the slow
 * paths of loads, stores and instruction fetch (TLB refill, MMIO, page-crossing accesses). */
#include "riscv.h"

#define PTE_V        (1ULL << 0)
#define PTE_R        (1ULL << 1)
#define PTE_W        (1ULL << 2)
#define PTE_X        (1ULL << 3)
#define PTE_U        (1ULL << 4)
#define PTE_G        (1ULL << 5)
#define PTE_A        (1ULL << 6)
#define PTE_D        (1ULL << 7)
#define PTE_PPN_MASK ((1ULL << 44) - 1)

void rv_tlb_rekey(struct vcpu *v)
{
	v->tlb_key = (uint64_t)v->tlb_ctx << 62 | RV_TLB_KEY_SET |
	             (uint64_t)(v->tlb_gen & RV_TLB_GEN_MASK) << 52;
}

/* Every entry copied from the TLB is dropped: a new generation (the translator's copies
 * are keyed by it; when it wraps, they are emptied). */
static void rv_tlb_new_gen(struct vcpu *v)
{
	v->tlb_gen++;
	if ((v->tlb_gen & RV_TLB_GEN_MASK) == 0) {
		memset(v->tlb2, 0, sizeof(v->tlb2)); /* (a key of 0 matches nothing) */
		if (v->jit != NULL)
			rv_jit_tlb_wrapped(v->jit);
	}
	rv_tlb_rekey(v);
}

void rv_tlb_reset(struct vcpu *v)
{
	memset(v->tlb2, 0, sizeof(v->tlb2));
	rv_tlb_flush(v);
}

void rv_tlb_flush(struct vcpu *v)
{
	/* the tags only (the addends and code bytes are read only with a matching tag); the
	 * second way goes with the generation */
	for (unsigned c = 0; c < RV_TLB_CTX; c++)
		for (unsigned a = 0; a < 3; a++)
			memset(v->tlb[c][a].vpn, 0xff, sizeof(v->tlb[c][a].vpn));
	v->fetch_vpn = RV_TLB_INVALID;
	v->tlb_super = false;
	rv_tlb_new_gen(v);
}

void rv_tlb_flush_page(struct vcpu *v, uint64_t va)
{
	/* The TLB holds 4 KiB pieces of superpages: when a non-global superpage was cached
	 * (a transparent huge page of a process), flushing one address of it must drop every
	 * piece, so flush everything. */
	if (v->tlb_super) {
		rv_tlb_flush(v);
		return;
	}
	uint64_t vpn = va >> 12;
	unsigned idx = vpn & (RV_TLB_SIZE - 1);
	for (unsigned c = 0; c < RV_TLB_CTX; c++)
		for (unsigned a = 0; a < 3; a++) {
			if (v->tlb[c][a].vpn[idx] == vpn)
				v->tlb[c][a].vpn[idx] = RV_TLB_INVALID;
		}
	v->fetch_vpn = RV_TLB_INVALID;
	rv_tlb_new_gen(v); /* (the copies are dropped with the whole generation) */
}

static int rv_page_fault(int acc)
{
	return acc == RV_ACC_X   ? RV_EXC_INSN_PAGE
	       : acc == RV_ACC_W ? RV_EXC_STORE_PAGE
	                         : RV_EXC_LOAD_PAGE;
}

static int rv_access_fault(int acc)
{
	return acc == RV_ACC_X   ? RV_EXC_INSN_ACCESS
	       : acc == RV_ACC_W ? RV_EXC_STORE_ACCESS
	                         : RV_EXC_LOAD_ACCESS;
}

int rv_translate(struct vcpu *v, uint64_t va, int acc, uint64_t *pa)
{
	unsigned mode = (unsigned)(v->satp >> 60), levels, vabits;
	uint64_t pt, pte;
	int64_t sx;

	v->walk_super = false;
	if (v->priv == RV_PRIV_M || mode == 0) {
		*pa = va;
		return 0;
	}
	levels = mode == 8 ? 3 : 4;
	vabits = 12 + 9 * levels;
	sx = (int64_t)(va << (64 - vabits)) >> (64 - vabits);
	if ((uint64_t)sx != va)
		return rv_page_fault(acc);
	pt = (v->satp & PTE_PPN_MASK) << 12;
	for (int i = (int)levels - 1; i >= 0; i--) {
		uint64_t idx = (va >> (12 + 9 * i)) & 511;
		uint8_t *h = rv_ram_ptr(v, pt + idx * 8, 8);
		uint64_t *pp = (uint64_t *)(void *)h;

		if (h == NULL)
			return rv_access_fault(acc);
		pte = __atomic_load_n(pp, __ATOMIC_ACQUIRE);
	again:
		if (!(pte & PTE_V) || (!(pte & PTE_R) && (pte & PTE_W)) || (pte >> 54))
			return rv_page_fault(acc);
		if (!(pte & (PTE_R | PTE_X))) {
			if (i == 0)
				return rv_page_fault(acc);
			pt = ((pte >> 10) & PTE_PPN_MASK) << 12;
			continue;
		}
		/* leaf */
		if (acc == RV_ACC_X) {
			if (!(pte & PTE_X))
				return rv_page_fault(acc);
		} else if (acc == RV_ACC_R) {
			if (!(pte & PTE_R) && !((v->mstatus & RV_MSTATUS_MXR) && (pte & PTE_X)))
				return rv_page_fault(acc);
		} else if (!(pte & PTE_W)) {
			return rv_page_fault(acc);
		}
		if (v->priv == RV_PRIV_U) {
			if (!(pte & PTE_U))
				return rv_page_fault(acc);
		} else if (pte & PTE_U) {
			if (acc == RV_ACC_X || !(v->mstatus & RV_MSTATUS_SUM))
				return rv_page_fault(acc);
		}
		uint64_t ppn = (pte >> 10) & PTE_PPN_MASK;
		uint64_t lowmask = (1ULL << (9 * i)) - 1;
		if (ppn & lowmask)
			return rv_page_fault(acc); /* misaligned superpage */
		uint64_t need = PTE_A | (acc == RV_ACC_W ? PTE_D : 0);
		if ((pte & need) != need) {
			if (!__atomic_compare_exchange_n(pp, &pte, pte | need, false,
			                                 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
				goto again;            /* pte reloaded by the failed exchange */
			(void)rv_code_check(v, pp, 8); /* (a page table among code) */
		}
		*pa = ((ppn & ~lowmask) << 12) | (va & ((lowmask << 12) | 0xfff));
		v->walk_super = i > 0 && !(pte & PTE_G);
		return 0;
	}
	return rv_page_fault(acc);
}

/* The code map's byte of the RAM page at host address h (struct rv_tlb_set's code). */
static const uint8_t *rv_tlb_code_byte(const struct vcpu *v, const uint8_t *h)
{
	static const uint8_t none;
	if (v->code_pages == NULL)
		return &none;
	return &v->code_pages[((uintptr_t)h - (uintptr_t)v->p.ram) >> 12];
}

static void rv_tlb_fill(struct vcpu *v, int acc, uint64_t va, uint64_t pa)
{
	uint8_t *h = rv_ram_ptr(v, pa & ~0xfffULL, 4096);
	struct rv_tlb_set *s;
	unsigned i = rv_tlb_index(va);

	if (h == NULL)
		return;
	if (v->walk_super)
		v->tlb_super = true;
	if (acc == RV_ACC_X) {
		v->fetch_vpn = va >> 12;
		v->fetch_addend = (uintptr_t)h - (uintptr_t)(va & ~0xfffULL);
	}
	s = &v->tlb[v->tlb_ctx][acc];
	if (s->vpn[i] != RV_TLB_INVALID && s->vpn[i] != va >> 12) {
		v->tlb2[v->tlb_ctx][acc].vpn[i] = s->vpn[i] | v->tlb_key;
		v->tlb2[v->tlb_ctx][acc].addend[i] = s->addend[i];
		v->tlb2[v->tlb_ctx][acc].code[i] = s->code[i];
	}
	s->vpn[i] = va >> 12;
	s->addend[i] = (uintptr_t)h - (uintptr_t)(va & ~0xfffULL);
	s->code[i] = rv_tlb_code_byte(v, h);
}

/* The TLB's second way (the first missed): the host address of va, its entry swapped with
 * the first way's (so that the next access hits inline), or NULL. */
static uint8_t *rv_tlb2(struct vcpu *v, int acc, uint64_t va)
{
	unsigned i = rv_tlb_index(va);
	struct rv_tlb_set *s2 = &v->tlb2[v->tlb_ctx][acc], *s = &v->tlb[v->tlb_ctx][acc];
	if (s2->vpn[i] != ((va >> 12) | v->tlb_key))
		return NULL;
	uint64_t old_vpn = s->vpn[i];
	uintptr_t old_addend = s->addend[i];
	const uint8_t *old_code = s->code[i];
	s->vpn[i] = va >> 12;
	s->addend[i] = s2->addend[i];
	s->code[i] = s2->code[i];
	s2->vpn[i] = old_vpn == RV_TLB_INVALID ? 0 : old_vpn | v->tlb_key;
	s2->addend[i] = old_addend;
	s2->code[i] = old_code;
	return (uint8_t *)(uintptr_t)(va + s->addend[i]);
}

int rv_load_slow(struct vcpu *v, uint64_t va, unsigned size, uint64_t *val)
{
	uint64_t pa, r;
	uint8_t *h;
	int c;

	if ((va & 0xfff) + size > 0x1000) {
		/* Crosses a page: byte by byte (each byte takes the fast path once mapped). */
		uint64_t acc = 0, b;
		for (unsigned i = 0; i < size; i++) {
			if (rv_load(v, va + i, 1, &b))
				return -1;
			acc |= b << (8 * i);
		}
		*val = acc;
		return 0;
	}
	if ((h = rv_tlb2(v, RV_ACC_R, va)) != NULL) {
		*val = rv_ld_raw(h, size);
		return 0;
	}
	c = rv_translate(v, va, RV_ACC_R, &pa);
	if (c) {
		rv_raise(v, (uint64_t)c, va);
		return -1;
	}
	h = rv_ram_ptr(v, pa, size);
	if (h != NULL) {
		rv_tlb_fill(v, RV_ACC_R, va, pa);
		*val = rv_ld_raw(h, size);
		return 0;
	}
	if ((pa & (size - 1)) || v->p.mmio_read == NULL ||
	    v->p.mmio_read(v->p.opaque, pa, size, &r) != 0) {
		rv_raise(v, RV_EXC_LOAD_ACCESS, va);
		return -1;
	}
	*val = size == 8 ? r : r & ((1ULL << (8 * size)) - 1);
	return 0;
}

int rv_store_slow(struct vcpu *v, uint64_t va, unsigned size, uint64_t val)
{
	uint64_t pa;
	uint8_t *h;
	int c;

	if ((va & 0xfff) + size > 0x1000) {
		/* Crosses a page: check both pages first so that a fault stores nothing. */
		uint64_t last = va + size - 1;
		c = rv_translate(v, va, RV_ACC_W, &pa);
		if (c) {
			rv_raise(v, (uint64_t)c, va);
			return -1;
		}
		c = rv_translate(v, last, RV_ACC_W, &pa);
		if (c) {
			rv_raise(v, (uint64_t)c, last & ~0xfffULL);
			return -1;
		}
		int hit = 0;
		for (unsigned i = 0; i < size; i++) {
			int r = rv_store(v, va + i, 1, val >> (8 * i));
			if (r < 0)
				return -1;
			hit |= r;
		}
		return hit;
	}
	if ((h = rv_tlb2(v, RV_ACC_W, va)) != NULL) {
		rv_st_raw(h, size, val);
		return rv_code_check(v, h, size) ? 1 : 0;
	}
	c = rv_translate(v, va, RV_ACC_W, &pa);
	if (c) {
		rv_raise(v, (uint64_t)c, va);
		return -1;
	}
	h = rv_ram_ptr(v, pa, size);
	if (h != NULL) {
		rv_tlb_fill(v, RV_ACC_W, va, pa);
		rv_st_raw(h, size, val);
		return rv_code_check(v, h, size) ? 1 : 0;
	}
	if (size < 8)
		val &= (1ULL << (8 * size)) - 1;
	if ((pa & (size - 1)) || v->p.mmio_write == NULL ||
	    v->p.mmio_write(v->p.opaque, pa, size, val) != 0) {
		rv_raise(v, RV_EXC_STORE_ACCESS, va);
		return -1;
	}
	return 0;
}

int rv_fetch_slow(struct vcpu *v, uint64_t pc, uint32_t *insn)
{
	uint64_t pa, pa2;
	uint8_t *h;
	uint16_t lo, hi;
	int c;

	c = rv_translate(v, pc, RV_ACC_X, &pa);
	if (c) {
		rv_raise(v, (uint64_t)c, pc);
		return -1;
	}
	h = rv_ram_ptr(v, pa, 2);
	if (h == NULL) {
		rv_raise(v, RV_EXC_INSN_ACCESS, pc);
		return -1;
	}
	rv_tlb_fill(v, RV_ACC_X, pc, pa);
	memcpy(&lo, h, 2);
	if ((lo & 3) != 3) {
		*insn = lo;
		return 0;
	}
	if ((pc & 0xfff) != 0xffe) {
		h = rv_ram_ptr(v, pa + 2, 2);
		if (h == NULL) {
			rv_raise(v, RV_EXC_INSN_ACCESS, pc);
			return -1;
		}
		memcpy(&hi, h, 2);
		*insn = lo | (uint32_t)hi << 16;
		return 0;
	}
	c = rv_translate(v, pc + 2, RV_ACC_X, &pa2);
	if (c) {
		rv_raise(v, (uint64_t)c, pc + 2);
		return -1;
	}
	h = rv_ram_ptr(v, pa2, 2);
	if (h == NULL) {
		rv_raise(v, RV_EXC_INSN_ACCESS, pc + 2);
		return -1;
	}
	memcpy(&hi, h, 2);
	*insn = lo | (uint32_t)hi << 16;
	return 0;
}

uint8_t *rv_amo_ptr(struct vcpu *v, uint64_t va, unsigned size, bool store)
{
	int acc = store ? RV_ACC_W : RV_ACC_R;
	const struct rv_tlb_set *s = &v->tlb[v->tlb_ctx][acc];
	unsigned i = rv_tlb_index(va);
	uint64_t pa;
	uint8_t *h;
	int c;

	if (likely(s->vpn[i] == (va >> 12)))
		return (uint8_t *)(uintptr_t)(va + s->addend[i]);
	if ((h = rv_tlb2(v, acc, va)) != NULL)
		return h;
	c = rv_translate(v, va, acc, &pa);
	if (c) {
		rv_raise(v, (uint64_t)c, va);
		return NULL;
	}
	h = rv_ram_ptr(v, pa, size);
	if (h == NULL) {
		rv_raise(v, store ? RV_EXC_STORE_ACCESS : RV_EXC_LOAD_ACCESS, va);
		return NULL;
	}
	rv_tlb_fill(v, acc, va, pa);
	return h;
}
