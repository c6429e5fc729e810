/* SPDX-License-Identifier: MIT */
/* The translator's own structures (jit.c: translation and the dispatcher; jit_cache.c: the
 * code buffer's upkeep): not for other files. */
#pragma once

#include "riscv.h"

#include "codemap.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define JIT_HASH_SIZE 8192
#define JIT_JC_SIZE   4096
#define JIT_PEND_SIZE 8192
/* exits waiting for one target's translation, remembered (patched when it comes) */
#define JIT_PEND_SITES 4
#define JIT_LC_SIZE    32768 /* the loads' copies of TLB entries (em_load_tlb) */
#define JIT_BLOCK_OPS  64
/* A chain of translated blocks leaves for the dispatcher (which checks timers) after this
 * many instructions (em_test_limit; a power of two, at most 16384). Was 4096: 16384 took
 * sha256sum's row 7% and gzip -9's 2% less time, fewer trips through the dispatcher and
 * its clock_gettime, and delays a timer interrupt by 10 us at most in translated code. */
#define JIT_CHAIN_LIMIT 16384
/* A block goes on past this many forward conditional branches (its side exits) */
#define JIT_SIDE_EXITS 4
/* and translates up to this many instructions at a side exit's target in line (its path),
 * which goes on past this many forward branches of its own */
#define JIT_PATH_OPS  16
#define JIT_PATH_SIDE 2
#define JIT_HEAT_SIZE 16384 /* counters of untranslated blocks' runs (rv_jit_hot) */
/* a heat slot's runs of all its blocks together after which the next one is translated
 * anyway (blocks that share a slot and take turns never count up alone) */
#define JIT_HEAT_TOTAL 64
#define JIT_HREGS      7  /* guest registers a block keeps in host registers (jit_emit.h) */
#define JIT_OP_BYTES   96 /* the longest translation of one instruction, with margin */
#define JIT_BLOCK_ROOM (4096 + JIT_BLOCK_OPS * (JIT_OP_BYTES + 2 * sizeof(struct rv_op)) + 256)
#define JIT_PAGE       4096u
/* A hart that has slept in wfi empties its code buffer (rv_jit_idle) when it holds more than
 * JIT_IDLE_BYTES of translations and was last emptied long enough ago that translating all
 * of it again costs at most 1/JIT_IDLE_RATIO of the time since, and at least JIT_IDLE_NS
 * ago, doubled by every such emptying up to JIT_IDLE_MAX_NS (a guest whose working set
 * comes back at once is not emptied every second). */
#define JIT_IDLE_BYTES  (1u << 20)
#define JIT_IDLE_NS     1000000000LL
#define JIT_IDLE_MAX_NS 64000000000LL
#define JIT_IDLE_RATIO  20
/* A hart that has slept in wfi also halves every heat count (rv_jit_cool) at most once per
 * JIT_COOL_NS: "hot" is then a rate (about RV_JIT_HOT / 2 runs a second between idle
 * spells), not a count since boot, so code a steady idle guest runs once a second (its
 * fork, exec and exit paths) stays in the interpreter instead of being translated over
 * the next 16 s and filling the code buffer. A busy hart never sleeps: its counts stay. */
#define JIT_COOL_NS 1000000000LL

/* The shared prologue: enter(v, body) runs translated code from body (executable view). */
typedef unsigned (*rv_jit_enter_fn)(struct vcpu *v, const void *body);

/* A translation, in the writable view of the code buffer (followed by a copy of the guest
 * code it was made from, its decoded ops, and its host code). */
struct rv_jit_block {
	uintptr_t host; /* of its first instruction */
	struct rv_jit_block *next;
	uint8_t *cent;       /* where chained exits jump in: checks, then the body (writable) */
	const void *body_rx; /* the body (executable view: the dispatcher, the jump cache) */
	uint8_t *loop;       /* its body after loading the cached registers (writable) */
	uint32_t gen;   /* the epoch it was made or last checked in (translated code reads it) */
	uint32_t page;  /* RAM page index */
	uint32_t dirty; /* the cached guest registers it writes (bit per register) */
	uint16_t len;   /* bytes of guest code */
	uint8_t nc;     /* how many guest registers it caches: */
	uint8_t guest[JIT_HREGS], hreg[JIT_HREGS]; /* which, in which host registers */
	uint8_t code[];
};

struct rv_jit {
	uint8_t *rw, *rx; /* the same pages: writable here, executable there */
	size_t size, used;
	uint64_t idle;              /* times emptied by rv_jit_idle */
	long long idle_ns;          /* since the last emptying before it may empty again */
	struct timespec flushed_at; /* made, or last emptied */
	struct timespec cooled_at;  /* made, or the heat last halved (rv_jit_cool) */
	uint64_t cooled;            /* times the heat was halved */
	uint64_t flushed_ns;        /* translate_ns then */
	const uint8_t *ram;
	uint64_t ram_size;
	/* The machine's code map (codemap.h), shared with the other harts and the devices
	 * (or this hart's own: own_map): a byte per RAM page, translations were made (or
	 * checked) from it since the last write to it. A store to such a page (from any
	 * hart's translated code, or a device) bumps the page's generation (page_gen), which
	 * makes every translation from it be checked against guest memory before it runs
	 * again, and clears the byte. */
	uint8_t *has_code;
	uint32_t *page_gen_map;
	uint8_t *code_pages; /* this hart's own, used without a machine's map */
	uint32_t *page_gen;
	/* The epoch (the machine's code map's, shared by the harts, or own_epoch): bumped by
	 * fence.i on any hart and by every write to a page holding translations. A translation
	 * runs (from the dispatcher, a chain or the jump cache) only when it was made or
	 * checked against guest memory in the current epoch. */
	uint32_t *epoch;
	uint32_t own_epoch;
	rv_jit_enter_fn enter;
	size_t epi; /* the shared epilogue */
	uint64_t blocks, flushes, smc, fences, full, stale;
	/* The jump cache: a block recently run for a host address, direct-mapped (see
	 * em_lookup_jump); entries are checked (host, generations) before use, emptied by a
	 * flush. */
	struct rv_jit_jc {
		uintptr_t host;
		const void *body_rx; /* b's */
		struct rv_jit_block *b;
		uint32_t epoch; /* b's gen when it was entered: the entry is used in that epoch */
		uint32_t pad;
	} jc[JIT_JC_SIZE];
	uint64_t jc_fills, dispatched, translate_ns;
	size_t stub_end;  /* the lookup stub (em_lookup_stub) is before this */
	size_t stub_r12;  /* the stub's entry for a target in r12 */
	size_t stub_slow; /* the stub's way out (pc = r8) */
	size_t refill;    /* the loads' shared refill (em_refill_stub) */
	size_t way2[2];   /* the TLB's second way, loads' and stores' (em_way2_stub) */
	size_t leave;     /* leave at pc = rax, r13 counting an entry, registers written back */
	uint64_t patched;
	/* exits waiting for their target's translation, one target per hash slot and up to
	 * JIT_PEND_SITES exits to it (a collision leaves the older target's going through the
	 * stub, as the exits past JIT_PEND_SITES); emptied by a flush */
	struct rv_jit_pend {
		uintptr_t host;
		uint8_t *at[JIT_PEND_SITES];
	} pend[JIT_PEND_SIZE];
	struct rv_jit_block *buckets[JIT_HASH_SIZE];
	/* How many times the code at a host address ran through the interpreter (rv_jit_hot):
	 * direct-mapped, a tag from other bits of the address (a block that takes a slot over
	 * starts from 0; two that share a tag share the count, which only translates one
	 * early); total counts every run in the slot (JIT_HEAT_TOTAL). A flush keeps them; an idle
	 * hart halves them (rv_jit_cool). */
	struct rv_jit_heat {
		uint16_t tag;
		uint8_t runs, total;
	} heat[JIT_HEAT_SIZE];
	uint64_t interp_runs; /* blocks run through the interpreter instead */
	/* A copy of the TLB entry each load used last (a load has its own, in turn: they are
	 * reused as translation goes on, which is harmless as the key says what each is):
	 * key = vpn | vcpu.tlb_key, the addend. Emptied when tlb_gen wraps. */
	struct rv_jit_lc {
		uint64_t key;
		uintptr_t addend;
		uint8_t misses; /* the loads using it turn it off when this wraps */
		uint8_t pad[15];
	} lc[JIT_LC_SIZE];
	unsigned lc_next;
};

_Static_assert(sizeof(struct rv_jit_jc) == 32, "em_jc_lookup indexes the jump cache by 32");

long long rv_jit_ns_since(const struct timespec *then, const struct timespec *now);
/* Zeroes n bytes at p of the hart's own anonymous memory (its whole pages given back). */
void rv_jit_zero(void *p, size_t n);
/* Every translation dropped, the buffer's and the tables' pages given back. */
void rv_jit_flush(struct rv_jit *j);
