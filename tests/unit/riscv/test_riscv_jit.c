/* SPDX-License-Identifier: MIT */
/* The translator (--accel jit) against the interpreter: the same program runs on a hart of
 * each kind from the same state, and everything architectural must match afterwards
 * (x1-x31, pc, instret, privilege, the trap CSRs, all of RAM). Seeded random straight-line
 * programs (RV64IM, compressed, loads/stores, forward branches and jumps, small loops, so
 * chained blocks), also with a code buffer so small that it is emptied again and again, a
 * program that
 * writes code and runs it, and page faults in the middle of a block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "codemap.h"
#include "enc.h"
#include "harness.h"

#define PC0   H_RAM_BASE
#define DATA  (H_RAM_BASE + 0x100000) /* x31 points here in random programs */
#define STVEC (H_RAM_BASE + 0x80000)

#define USED (2u << 20) /* everything the programs touch is in the first 2 MiB of RAM */
/* random programs touch only their code (64 KiB at most) and x31's 2 KiB at DATA (or
 * across the page boundary after it, which paged runs map to DATA + 12K): only
 * that is cleared and compared for them (small_ram), which makes 10^6 blocks quick */
#define CODE_MAX 0x10000
#define DATA_MAX 0x4000
static bool small_ram;

static void ram_clear(uint8_t *ram)
{
	if (!small_ram) {
		memset(ram, 0, USED);
		return;
	}
	memset(ram, 0, CODE_MAX);
	memset(ram + (DATA - H_RAM_BASE), 0, DATA_MAX);
}

static bool ram_same(const uint8_t *a, const uint8_t *b)
{
	if (!small_ram)
		return memcmp(a, b, USED) == 0;
	return memcmp(a, b, CODE_MAX) == 0 &&
	       memcmp(a + (DATA - H_RAM_BASE), b + (DATA - H_RAM_BASE), DATA_MAX) == 0;
}

#define EID_HI 0x42455 /* H_SBI_EID_TEST = 0x42455254 */
#define EID_LO 0x254

struct pair {
	struct harness *h[2]; /* interpreter, translator */
};

static int setup(void **state)
{
	struct pair *p = calloc(1, sizeof(*p));
	p->h[0] = h_new_accel(false);
	p->h[1] = h_new_accel(true);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;
	h_free(p->h[0]);
	h_free(p->h[1]);
	free(p);
	return 0;
}

/* --- a tiny assembler ------------------------------------------------------------------- */

struct prog {
	uint8_t buf[64 * 1024];
	size_t len;
};

static void put32(struct prog *g, uint32_t insn)
{
	memcpy(g->buf + g->len, &insn, 4);
	g->len += 4;
}

static void put16(struct prog *g, uint16_t insn)
{
	memcpy(g->buf + g->len, &insn, 2);
	g->len += 2;
}

static uint32_t e_lui(unsigned rd, uint32_t imm20)
{
	return imm20 << 12 | rd << 7 | 0x37;
}

static uint32_t e_b(unsigned f3, unsigned rs1, unsigned rs2, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return ((u >> 12) & 1) << 31 | ((u >> 5) & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
	       ((u >> 1) & 0xf) << 8 | ((u >> 11) & 1) << 7 | 0x63;
}

static uint32_t e_jal(unsigned rd, int32_t imm)
{
	uint32_t u = (uint32_t)imm;
	return ((u >> 20) & 1) << 31 | ((u >> 1) & 0x3ff) << 21 | ((u >> 11) & 1) << 20 |
	       ((u >> 12) & 0xff) << 12 | rd << 7 | 0x6f;
}

/* a0 = code; SBI "BERT" exit */
static void put_exit(struct prog *g, int32_t code)
{
	put32(g, e_i(OP_IMM, 10, 0, 0, code));
	put32(g, e_lui(17, EID_HI));
	put32(g, e_i(OP_IMM, 17, 0, 17, EID_LO));
	put32(g, I_ECALL);
}

/* --- running and comparing -------------------------------------------------------------- */

/* Reset both harts to S-mode at PC0 with the same registers and RAM. */
static void load_both(struct pair *p, const struct prog *g, uint64_t at, const uint64_t *regs)
{
	for (int i = 0; i < 2; i++) {
		struct harness *h = p->h[i];
		ram_clear(h->ram);
		h_put(h, at, g->buf, g->len);
		h_reset(h, at, false);
		h->done = 0;
		__atomic_store_n(&h->v->exit_why, 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&h->v->async, 0, __ATOMIC_SEQ_CST);
		h->v->instret = 0;
		h->v->stvec = STVEC;
		for (unsigned r = 1; r < 32 && regs != NULL; r++)
			h->v->x[r] = regs[r];
	}
}

static void run_both(struct pair *p)
{
	for (int i = 0; i < 2; i++)
		h_step(p->h[i], 1000000);
}

/* Everything architectural matches; returns false (and says what) when it does not. */
static bool same_state(struct pair *p, const char *what)
{
	const struct vcpu *a = p->h[0]->v, *b = p->h[1]->v;
	bool ok = true;

	for (unsigned r = 1; r < 32; r++)
		if (a->x[r] != b->x[r]) {
			print_error("%s: x%u interp %#llx jit %#llx\n", what, r,
			            (unsigned long long)a->x[r], (unsigned long long)b->x[r]);
			ok = false;
		}
#define CMP(f)                                                                                     \
	if (a->f != b->f) {                                                                        \
		print_error("%s: " #f " interp %#llx jit %#llx\n", what, (unsigned long long)a->f, \
		            (unsigned long long)b->f);                                             \
		ok = false;                                                                        \
	}
	CMP(pc);
	CMP(instret);
	CMP(priv);
	CMP(mstatus);
	CMP(scause);
	CMP(stval);
	CMP(sepc);
#undef CMP
	if (p->h[0]->done != p->h[1]->done) {
		print_error("%s: done interp %d jit %d\n", what, p->h[0]->done, p->h[1]->done);
		ok = false;
	}
	if (!ram_same(p->h[0]->ram, p->h[1]->ram)) {
		print_error("%s: RAM differs\n", what);
		ok = false;
	}
	return ok;
}

/* --- random programs -------------------------------------------------------------------- */

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#define RUNS 3 /* each random program runs this many times over (x29 counts) */

static uint64_t blocks_run; /* blocks of the random programs run (counted statically) */

static unsigned rreg(uint64_t *s)
{
	/* x0..x28: x29 counts the runs of the whole program, x30 loops, x31 is the data
	 * pointer */
	return (unsigned)(rnd(s) % 29);
}

static const uint64_t interesting[] = {
    0,
    1,
    2,
    (uint64_t)-1,
    (uint64_t)-2,
    0x7fffffffffffffffULL,
    1ULL << 63,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0xffffffff80000000ULL,
    31,
    32,
    63,
    64,
    0x123456789abcdef0ULL,
};

/* One random instruction (or a few), with forward control flow only. */
static void put_random(struct prog *g, uint64_t *s, unsigned left)
{
	unsigned pick = (unsigned)(rnd(s) % 100);
	unsigned rd = rreg(s), rs1 = (unsigned)(rnd(s) % 32), rs2 = (unsigned)(rnd(s) % 32);
	int32_t imm = (int32_t)(rnd(s) % 4096) - 2048;

	if (pick < 30) { /* OP / OP-32 */
		static const struct {
			uint8_t f3, f7;
		} ops[] = {{0, 0}, {0, 0x20}, {1, 0}, {2, 0}, {3, 0}, {4, 0},
		           {5, 0}, {5, 0x20}, {6, 0}, {7, 0}, {0, 1}, {1, 1},
		           {2, 1}, {3, 1},    {4, 1}, {5, 1}, {6, 1}, {7, 1}};
		static const struct {
			uint8_t f3, f7;
		} ops32[] = {{0, 0}, {0, 0x20}, {1, 0}, {5, 0}, {5, 0x20},
		             {0, 1}, {4, 1},    {5, 1}, {6, 1}, {7, 1}};
		if (rnd(s) & 1) {
			unsigned k = (unsigned)(rnd(s) % (sizeof(ops) / sizeof(ops[0])));
			put32(g, e_r(OP_OP, rd, ops[k].f3, rs1, rs2, ops[k].f7));
		} else {
			unsigned k = (unsigned)(rnd(s) % (sizeof(ops32) / sizeof(ops32[0])));
			put32(g, e_r(OP_OP32, rd, ops32[k].f3, rs1, rs2, ops32[k].f7));
		}
	} else if (pick < 50 && (rnd(s) & 7) == 0) {
		/* slli rd, rs, k; add rd, rd, b (or add rd, b, rd): one lea when k is 1 to 3 */
		unsigned k = (unsigned)(rnd(s) % 5), rs = (rnd(s) & 3) == 0 ? rd : rs1;
		unsigned b = (rnd(s) & 3) == 0 ? rs : rs2;
		put32(g, e_i(OP_IMM, rd, 1, rs, (int32_t)k));
		if (rnd(s) & 1)
			put32(g, e_r(OP_OP, rd, 0, rd, b, 0));
		else
			put32(g, e_r(OP_OP, rd, 0, b, rd, 0));
	} else if (pick < 50) { /* OP-IMM / OP-IMM-32 */
		unsigned f3 = (unsigned)(rnd(s) % 8);
		bool w = rnd(s) & 1;
		if (w && f3 != 0 && f3 != 1 && f3 != 5)
			f3 = 0;
		if (f3 == 1)
			imm = (int32_t)(rnd(s) % (w ? 32 : 64));
		else if (f3 == 5)
			imm = (int32_t)(rnd(s) % (w ? 32 : 64)) | ((rnd(s) & 1) ? 0x400 : 0);
		put32(g, e_i(w ? OP_IMM32 : OP_IMM, rd, f3, rs1, imm));
	} else if (pick < 55) { /* LUI / AUIPC */
		put32(g, (uint32_t)(rnd(s) & 0xfffff000) | rd << 7 | ((rnd(s) & 1) ? 0x37 : 0x17));
	} else if (pick < 70) { /* compressed, ALU forms only */
		for (;;) {
			uint16_t c = (uint16_t)rnd(s);
			uint32_t x = (c & 3) == 3 ? 0 : rv_expand_compressed(c);
			unsigned op = x & 0x7f, xrd = (x >> 7) & 31;
			if (x == 0 || xrd == 31 || xrd == 29 ||
			    (xrd == 2 && op == 0x13 && ((x >> 15) & 31) == 2))
				continue;
			if (op == 0x13 || op == 0x1b || op == 0x33 || op == 0x3b || op == 0x37) {
				put16(g, c);
				break;
			}
		}
	} else if (pick < 85) { /* loads and stores at x31 + [0, 2048) */
		unsigned f3 = (unsigned)(rnd(s) % 7);
		int32_t off = (int32_t)(rnd(s) % 2040);
		if (rnd(s) & 1)
			put32(g, e_i(OP_LOAD, rd, f3, 31, off));
		else
			put32(g, e_s(OP_STORE, f3 & 3, 31, rs2, off));
	} else if (pick < 95 && left > 3) { /* a forward branch over 1 or 2 instructions */
		static const unsigned f3s[] = {0, 1, 4, 5, 6, 7};
		unsigned f3 = f3s[rnd(s) % 6];
		put32(g, e_b(f3, rs1, rs2, (rnd(s) & 1) ? 8 : 12));
		blocks_run += RUNS * 2; /* the branch ends one, its target starts one */
		put32(g, e_i(OP_IMM, rd, 0, rd, imm));
		put32(g, e_i(OP_IMM, rs1 == 31 || rs1 == 29 ? 1 : rs1, 4, rd, imm));
	} else if (pick < 97 && left > 8) { /* a loop: x30 = 1..8 times a few ALU ops */
		size_t head;
		unsigned body = 1 + (unsigned)(rnd(s) % 4);
		put32(g, e_i(OP_IMM, 30, 0, 0, 1 + (int32_t)(rnd(s) % 8)));
		head = g->len;
		for (unsigned k = 0; k < body; k++)
			put32(g, e_r(OP_OP, rreg(s), (unsigned)(rnd(s) % 8), rreg(s), rreg(s), 0));
		put32(g, e_i(OP_IMM, 30, 0, 30, -1));
		put32(g, e_b(1, 30, 0, (int32_t)head - (int32_t)g->len));
		blocks_run += RUNS * 2;
	} else if (left > 3) { /* jal / jalr forward */
		blocks_run += RUNS;
		if (rnd(s) & 1) {
			put32(g, e_jal(rd, 8));
			put32(g, e_i(OP_IMM, rd, 0, rd, 5));
		} else {
			/* auipc rd, 0; jalr rd2, 12(rd): lands after the skipped addi */
			unsigned t = rd == 0 ? 5 : rd;
			put32(g, 0x17 | t << 7);
			put32(g, e_i(0x67, rreg(s), 0, t, 12));
			put32(g, e_i(OP_IMM, 9, 0, 9, 1));
		}
	} else {
		put32(g, e_i(OP_IMM, rd, 0, rs1, imm));
	}
}

static void map_split(struct pair *p);

/* Run seeds [first, last] on both harts; returns the number that differ. A program runs
 * RUNS times, so the later runs find their jump targets translated (the jump cache, jumps
 * to blocks translated after the jumping one). paged: under Sv39 (map_split), with the
 * data straddling two pages that are not adjacent in RAM. */
static unsigned random_programs_in(struct pair *p, uint64_t first, uint64_t last, bool paged)
{
	static struct prog g;
	uint64_t regs[32];
	unsigned fails = 0;

	small_ram = true;
	for (uint64_t seed = first; seed <= last; seed++) {
		uint64_t s = seed * 0x9e3779b97f4a7c15ULL;
		char what[64];
		size_t head;

		g.len = 0;
		put32(&g, e_i(OP_IMM, 29, 0, 0, RUNS));
		head = g.len;
		for (unsigned i = 0; i < 300; i++)
			put_random(&g, &s, 300 - i);
		put32(&g, e_i(OP_IMM, 29, 0, 29, -1));
		put32(&g, e_b(0, 29, 0, 8)); /* beq x29, zero, exit */
		put32(&g, e_jal(0, (int32_t)head - (int32_t)g.len));
		put_exit(&g, 0);
		for (unsigned r = 1; r < 32; r++)
			regs[r] = (rnd(&s) & 1) ? interesting[rnd(&s) % 16] : rnd(&s);
		/* every fourth seed's data straddles a page: accesses that cross it */
		regs[31] = (seed & 3) == 2 || paged ? DATA + 0xc00 : DATA;
		/* odd seeds start near a page end: instructions straddle it */
		load_both(p, &g, (seed & 1) ? PC0 + 0xe02 : PC0, regs);
		if (paged) { /* and the data different in every page */
			static uint8_t data[DATA_MAX];
			for (size_t k = 0; k < DATA_MAX; k++)
				data[k] = (uint8_t)(k * 7 + (k >> 12) * 101 + seed);
			for (int i = 0; i < 2; i++)
				h_put(p->h[i], DATA, data, DATA_MAX);
			map_split(p);
		}
		run_both(p);
		snprintf(what, sizeof(what), "seed %llu", (unsigned long long)seed);
		if (p->h[0]->done != 1) {
			print_error("%s: the interpreter did not reach the exit (pc %#llx)\n", what,
			            (unsigned long long)p->h[0]->v->pc);
			fails++;
		}
		if (!same_state(p, what))
			fails++;
		if (fails > 3)
			break;
	}
	small_ram = false;
	return fails;
}

static unsigned random_programs(struct pair *p, uint64_t first, uint64_t last)
{
	return random_programs_in(p, first, last, false);
}

/* At least 10^6 blocks (as the issue asks of CI), in batches of seeds. */
#define MIN_BLOCKS 1000000

static void test_random(void **state)
{
	uint64_t seed = 1;

	blocks_run = 0;
	while (blocks_run < MIN_BLOCKS) {
		assert_int_equal(random_programs(*state, seed, seed + 99), 0);
		seed += 100;
	}
	print_message("# %llu seeds, %llu blocks run on both\n", (unsigned long long)seed - 1,
	              (unsigned long long)blocks_run);
}

/* A code buffer that holds a few blocks: it fills and is emptied again and again, while the
 * programs (with their loops, so chains) still run as on the interpreter. */
static int setup_small(void **state)
{
	size_t saved = rv_jit_code_size;
	rv_jit_code_size = 32 * 1024;
	setup(state);
	rv_jit_code_size = saved;
	return 0;
}

static void test_full_buffer(void **state)
{
	struct pair *p = *state;
	assert_int_equal(random_programs(p, 1000, 1100), 0);
	print_message("# %llu full flushes\n", (unsigned long long)rv_jit_full_flushes(p->h[1]->v));
	assert_true(rv_jit_full_flushes(p->h[1]->v) > 100);
}

/* An emptied code buffer gives its pages back (all but the lookup stub's), and translates
 * again from there. */
static void test_flush_releases(void **state)
{
	struct pair *p = *state;
	struct vcpu *v = p->h[1]->v;

	assert_int_equal(random_programs(p, 1, 50), 0);
	print_message("# %zu KiB resident\n", rv_jit_resident(v) / 1024);
	assert_true(rv_jit_resident(v) > 16 * 4096);
	rv_jit_empty(v);
	assert_true(rv_jit_resident(v) <= 4096);
	assert_int_equal(random_programs(p, 51, 100), 0);
	assert_true(rv_jit_resident(v) > 16 * 4096);
}

/* A hart's idling empties its code buffer only when it holds more than 1 MiB of
 * translations and was emptied long enough ago (faked here: no wall clock). */
static void test_idle_flush(void **state)
{
	struct pair *p = *state;
	struct vcpu *v = p->h[1]->v;
	uint64_t seed = 1;
	size_t before;

	assert_int_equal(random_programs(p, seed, seed + 9), 0);
	seed += 10;
	before = rv_jit_resident(v);
	assert_true(before < (1u << 20));
	rv_jit_age(v, 3600);
	rv_jit_idle(v); /* under 1 MiB: kept */
	assert_int_equal(rv_jit_resident(v), before);
	while (rv_jit_resident(v) <= (1u << 20) + 8192 && seed < 100000) {
		assert_int_equal(random_programs(p, seed, seed + 99), 0);
		seed += 100;
	}
	print_message("# %zu KiB resident after %llu programs\n", rv_jit_resident(v) / 1024,
	              (unsigned long long)seed - 1);
	assert_true(rv_jit_resident(v) > (1u << 20) + 8192);
	rv_jit_age(v, 3600);
	rv_jit_idle(v);
	assert_true(rv_jit_resident(v) <= 4096);
	assert_int_equal(random_programs(p, seed, seed + 99), 0);
}

/* Heat is a rate once the hart idles: a block run 10 times, then after an idle spell (1 s
 * later, faked) 10 more, is not translated at RV_JIT_HOT = 16 (its count was halved to 5,
 * 15 < 16), where without the halving its 16th run is; 10 more runs after that (20 since
 * the spell, no idling) translate it, as they would any code that stays hot. */
static unsigned translations(const struct vcpu *v)
{
	struct vcpu_jit_stats s = {0};
	vcpu_jit_stats_add(v, &s);
	return (unsigned)s.blocks;
}

static void run_exit_block(struct pair *p, const struct prog *g, unsigned times)
{
	for (unsigned i = 0; i < times; i++) {
		load_both(p, g, PC0, NULL);
		h_step(p->h[1], 1000);
		assert_int_equal(p->h[1]->done, 1);
	}
}

static void test_idle_cools(void **state)
{
	struct pair *p = *state;
	struct vcpu *v = p->h[1]->v;
	static struct prog g;
	unsigned saved = rv_jit_hot;

	g.len = 0;
	put_exit(&g, 0); /* one block: li a0; lui a7; addi a7; ecall */
	rv_jit_hot = 16;
	run_exit_block(p, &g, 10);
	assert_int_equal(translations(v), 0);
	rv_jit_age(v, 2);
	rv_jit_idle(v);
	run_exit_block(p, &g, 10);
	assert_int_equal(translations(v), 0);
	run_exit_block(p, &g, 10);
	assert_int_equal(translations(v), 1);
	rv_jit_hot = saved;
}

/* KiB resident of the translator's tables: the first 1280 KiB of its own mapping (it is
 * about 1.4 MiB; mincore, as the mapping may be merged with others, ASan's) */
static unsigned long tables_kib(const void *jit)
{
	enum { LEN = 1280 << 10 };
	static unsigned char vec[LEN / 4096];
	unsigned long n = 0;

	assert_int_equal(mincore((void *)jit, LEN, vec), 0);
	for (unsigned i = 0; i < LEN / 4096; i++)
		n += vec[i] & 1;
	return n * 4;
}

/* The translator's tables give their pages back: the loads' copies of TLB entries (1 MiB)
 * when the TLB's generation wraps (512 flushes) and when the code buffer is emptied. */
static void test_tables_released(void **state)
{
	struct pair *p = *state;
	struct vcpu *v = p->h[1]->v;

	assert_int_equal(random_programs(p, 1, 50), 0);
	for (unsigned i = 0; i < 512; i++)
		rv_tlb_flush(v);
	print_message("# %lu KiB resident after a wrap\n", tables_kib(v->jit));
	assert_true(tables_kib(v->jit) < 512);
	assert_int_equal(random_programs(p, 51, 100), 0);
	rv_jit_empty(v);
	print_message("# %lu KiB resident after emptying\n", tables_kib(v->jit));
	assert_true(tables_kib(v->jit) < 512);
}

/* --- code that writes code -------------------------------------------------------------- */

/* Three times: write `addi s2, s2, K` at T (K = 1, 2, 3), fence.i, call T. s2 = 6, and the
 * translator must not run its old translation of T. */
static void test_self_modifying(void **state)
{
	struct pair *p = *state;
	static struct prog g;
	const uint64_t T = PC0 + 0x800;
	uint64_t regs[32] = {0};

	g.len = 0;
	/* s3 = the addi word with K = 1; s4 = T; s5 = 3 (loop count); s6 = 1 << 20 (K += 1) */
	size_t loop = g.len;
	put32(&g, e_s(OP_STORE, 2, 20, 19, 0));                   /* sw s3, 0(s4) */
	put32(&g, 0x0000100f);                                    /* fence.i */
	put32(&g, e_i(0x67, 1, 0, 20, 0));                        /* jalr ra, 0(s4) */
	put32(&g, e_r(OP_OP, 19, 0, 19, 22, 0));                  /* s3 += s6: K + 1 */
	put32(&g, e_i(OP_IMM, 21, 0, 21, -1));                    /* s5 -= 1 */
	put32(&g, e_b(1, 21, 0, (int32_t)loop - (int32_t)g.len)); /* bnez s5, loop */
	put_exit(&g, 0);
	regs[19] = e_i(OP_IMM, 18, 0, 18, 1);
	regs[20] = T;
	regs[21] = 3;
	regs[22] = 1u << 20;
	load_both(p, &g, PC0, regs);
	for (int i = 0; i < 2; i++) /* T holds `addi s2, s2, 100; ret` before the first write */
		h_put32(p->h[i], T, e_i(OP_IMM, 18, 0, 18, 100)),
		    h_put32(p->h[i], T + 4, e_i(0x67, 0, 0, 1, 0));
	run_both(p);
	assert_true(same_state(p, "self-modifying"));
	assert_int_equal(p->h[1]->done, 1);
	assert_int_equal(p->h[1]->v->x[18], 6);

	/* the same without fence.i, code written by translated code in the block's own page:
	 * the translator notices the store (the interpreter only promises fence.i), so only
	 * its result is checked */
	g.len = 0;
	put32(&g, e_i(OP_IMM, 21, 0, 0, 3));
	loop = g.len;
	put32(&g, e_s(OP_STORE, 2, 20, 19, 0));
	put32(&g, e_i(0x67, 1, 0, 20, 0));
	put32(&g, e_r(OP_OP, 19, 0, 19, 22, 0));
	put32(&g, e_i(OP_IMM, 21, 0, 21, -1));
	put32(&g, e_b(1, 21, 0, (int32_t)loop - (int32_t)g.len));
	put_exit(&g, 0);
	regs[20] = PC0 + 0x100; /* the same page as the loop */
	load_both(p, &g, PC0, regs);
	h_put32(p->h[1], PC0 + 0x100, e_i(OP_IMM, 18, 0, 18, 100));
	h_put32(p->h[1], PC0 + 0x104, e_i(0x67, 0, 0, 1, 0));
	h_step(p->h[1], 1000000);
	assert_int_equal(p->h[1]->done, 1);
	assert_int_equal(p->h[1]->v->x[18], 6);
}

/* A compressed store (then a 32-bit one) to the page of the code that runs, at a word that is
 * not code: the translator ends the block after each store (it wrote a page holding
 * translations) and must go on at the next instruction, 2 (then 4) bytes on. */
static void test_store_code_page(void **state)
{
	struct pair *p = *state;
	static struct prog g;
	uint64_t regs[32] = {0};

	g.len = 0;
	put16(&g, 0xc004);                    /* c.sw s1, 0(s0) */
	put16(&g, 0x0905);                    /* c.addi s2, 1 */
	put32(&g, e_s(OP_STORE, 2, 8, 9, 4)); /* sw s1, 4(s0) */
	put16(&g, 0x0909);                    /* c.addi s2, 2 */
	put32(&g, e_i(OP_IMM, 18, 0, 18, 4)); /* addi s2, s2, 4 */
	put_exit(&g, 0);
	regs[8] = PC0 + 0x400; /* s0: the same page, never run */
	regs[9] = 0x12345678;
	load_both(p, &g, PC0, regs);
	run_both(p);
	assert_true(same_state(p, "store to the code's page"));
	assert_int_equal(p->h[1]->done, 1);
	assert_int_equal(p->h[1]->v->x[18], 7);
}

/* Translated stores test the code byte of their TLB entry: a loop writes an instruction in
 * another page (T: `addi s2, s2, K`, K = 1, 2, ...), runs it, and stores to a page with the
 * same TLB index (1 MiB on), so that T's entry goes to the TLB's second way and comes back
 * (the cold code's swap, with its code byte) every time: every write to T must be seen
 * (the translator promises it without fence.i). */
static void test_store_code_second_way(void **state)
{
	struct pair *p = *state;
	static struct prog g;
	const uint64_t T = PC0 + 0x40000, D = DATA + 0x40000; /* TLB index 64 both */
	uint64_t regs[32] = {0};

	g.len = 0;
	put32(&g, e_i(OP_IMM, 21, 0, 0, 200)); /* li s5, 200 */
	size_t loop = g.len;
	put32(&g, e_s(OP_STORE, 2, 20, 19, 0));                   /* sw s3, 0(s4): T */
	put32(&g, e_i(0x67, 1, 0, 20, 0));                        /* jalr ra, 0(s4) */
	put32(&g, e_s(OP_STORE, 3, 24, 23, 0));                   /* sd s7, 0(s8): D */
	put32(&g, e_r(OP_OP, 19, 0, 19, 22, 0));                  /* s3 += s6: K + 1 */
	put32(&g, e_i(OP_IMM, 21, 0, 21, -1));                    /* s5 -= 1 */
	put32(&g, e_b(1, 21, 0, (int32_t)loop - (int32_t)g.len)); /* bnez s5, loop */
	put_exit(&g, 0);
	regs[19] = e_i(OP_IMM, 18, 0, 18, 1);
	regs[20] = T;
	regs[22] = 1u << 20;
	regs[23] = 0x5555;
	regs[24] = D;
	load_both(p, &g, PC0, regs);
	h_put32(p->h[1], T, e_i(OP_IMM, 18, 0, 18, 100));
	h_put32(p->h[1], T + 4, e_i(0x67, 0, 0, 1, 0)); /* ret */
	map_split(p);                                   /* (identity) */
	h_step(p->h[1], 1000000);
	assert_int_equal(p->h[1]->done, 1);
	assert_int_equal(p->h[1]->v->x[18], 200 * 201 / 2);
}

/* A loop of two chained blocks (not one that branches to itself; 2 and 3 instructions, so
 * that the chain reaches JIT_CHAIN_LIMIT, 16384, on either jump in turn) running 100000
 * instructions: the jump that reaches the limit stops the chain and leaves, with pc at its
 * target, where the dispatcher goes on. */
static void test_chain_limit(void **state)
{
	struct pair *p = *state;
	static struct prog g;
	uint64_t regs[32] = {0};
	struct vcpu_jit_stats st = {0};

	g.len = 0;
	size_t loop = g.len;
	put32(&g, e_i(OP_IMM, 18, 0, 18, 1));                     /* addi s2, s2, 1 */
	put32(&g, e_b(0, 0, 0, 8));                               /* beq zero, zero, next */
	put32(&g, e_i(OP_IMM, 18, 0, 18, 100));                   /* (never runs) */
	put32(&g, e_i(OP_IMM, 19, 0, 19, -1));                    /* next: addi s3, s3, -1 */
	put32(&g, e_i(OP_IMM, 20, 0, 20, 2));                     /* addi s4, s4, 2 */
	put32(&g, e_b(1, 19, 0, (int32_t)loop - (int32_t)g.len)); /* bnez s3, loop */
	put_exit(&g, 0);
	regs[19] = 20000;
	load_both(p, &g, PC0, regs);
	run_both(p);
	assert_true(same_state(p, "chain limit"));
	assert_int_equal(p->h[1]->done, 1);
	assert_int_equal(p->h[1]->v->x[18], 20000);
	assert_int_equal(p->h[1]->v->x[20], 40000);
	/* the chain left about every 16384 instructions: not never, not each 4096 (25 times) */
	vcpu_jit_stats_add(p->h[1]->v, &st);
	assert_in_range(st.dispatched, 100000 / 16384, 16);
}

/* --- code written by another hart, or by a device ------------------------------------- */

/* Hart 0 calls T (`addi s2, s2, K; ret`) and has translated it. Then hart 1 (its own
 * translator, the same RAM and code map) stores a new K there, and then a "device" writes
 * another K (and says so, as virtq_push does): each time hart 0, with no fence.i, runs the
 * new code. */
static void test_other_writers(void **state)
{
	struct harness *h = h_new_accel(true);
	struct code_map *map = code_map_new(h->ram, H_RAM_SIZE);
	static struct prog g;
	const uint64_t P0 = PC0, P1 = PC0 + 0x1000, T = PC0 + 0x2000;
	struct vcpu *v1;

	(void)state;
	/* both harts on one code map (as the machine makes them) */
	vcpu_destroy(h->v);
	h->plat.code = map;
	h->v = vcpu_create(&h->plat, 0);
	v1 = vcpu_create(&h->plat, 1);
	assert_non_null(h->v->jit);
	assert_non_null(v1->jit);
	h_reset(h, P0, false);
	{
		struct vcpu *v0 = h->v;
		h->v = v1;
		h_reset(h, P1, false);
		h->v = v0;
	}
	/* hart 0: s2 = 0; call T; exit */
	g.len = 0;
	put32(&g, e_i(OP_IMM, 18, 0, 0, 0));
	put32(&g, e_i(0x67, 1, 0, 20, 0)); /* jalr ra, 0(s4) */
	put_exit(&g, 0);
	h_put(h, P0, g.buf, g.len);
	/* hart 1: sw s3, 0(s4); exit */
	g.len = 0;
	put32(&g, e_s(OP_STORE, 2, 20, 19, 0));
	put_exit(&g, 0);
	h_put(h, P1, g.buf, g.len);
	h_put32(h, T, e_i(OP_IMM, 18, 0, 18, 100));
	h_put32(h, T + 4, e_i(0x67, 0, 0, 1, 0));
	h->v->x[20] = v1->x[20] = T;
	v1->x[19] = e_i(OP_IMM, 18, 0, 18, 1);

	assert_int_equal(h_run_no_fence(h, h->v, P0), 1);
	assert_int_equal(h->v->x[18], 100);
	assert_int_equal(h_run_no_fence(h, h->v, P0), 1); /* translated and current: the same */
	assert_int_equal(h->v->x[18], 100);

	assert_int_equal(h_run_no_fence(h, v1, P1), 1); /* hart 1 writes addi s2, s2, 1 */
	assert_int_equal(h_run_no_fence(h, h->v, P0), 1);
	assert_int_equal(h->v->x[18], 1);

	/* a device writes addi s2, s2, 7 */
	h_put32(h, T, e_i(OP_IMM, 18, 0, 18, 7));
	code_map_written(map, h->ram + (T - H_RAM_BASE), 4);
	assert_int_equal(h_run_no_fence(h, h->v, P0), 1);
	assert_int_equal(h->v->x[18], 7);

	vcpu_destroy(v1);
	h_free(h);
	code_map_free(map);
}

/* --- page faults in the middle of a block ----------------------------------------------- */

#define V_  (1ULL << 0)
#define R_  (1ULL << 1)
#define W_  (1ULL << 2)
#define X_  (1ULL << 3)
#define AD_ (3ULL << 6)

static uint64_t pte(uint64_t pa, uint64_t flags)
{
	return (pa >> 12) << 10 | flags;
}

/* Sv39 on both harts, tables at 0x80180000: the 512 4 KiB pages of 0x80000000-0x801fffff,
 * page k's PTE pte_of(H_RAM_BASE + k * 4K). */
static void map_pages(struct pair *p, uint64_t (*pte_of)(uint64_t va))
{
	const uint64_t root = H_RAM_BASE + 0x180000, l1 = root + 0x1000, l0 = root + 0x2000;
	for (int i = 0; i < 2; i++) {
		struct harness *h = p->h[i];
		h_put64(h, root + 2 * 8, pte(l1, V_));
		h_put64(h, l1, pte(l0, V_));
		for (uint64_t k = 0; k < 512; k++)
			h_put64(h, l0 + 8 * k, pte_of(H_RAM_BASE + (k << 12)));
		h->v->satp = (8ULL << 60) | (root >> 12);
		rv_tlb_flush(h->v);
	}
}

/* identity, RWX, except DATA (read-only) and DATA + 4K (unmapped) */
static uint64_t pte_both(uint64_t va)
{
	if (va == DATA)
		return pte(va, V_ | R_ | AD_);
	if (va == DATA + 0x1000)
		return 0;
	return pte(va, V_ | R_ | W_ | X_ | AD_);
}

static void map_both(struct pair *p)
{
	map_pages(p, pte_both);
}

/* identity, RWX, but for DATA + 4K, which maps DATA + 12K (so an access that crosses from
 * DATA into it must not take DATA's addend) */
static uint64_t pte_split(uint64_t va)
{
	return pte(va == DATA + 0x1000 ? DATA + 0x3000 : va, V_ | R_ | W_ | X_ | AD_);
}

static void map_split(struct pair *p)
{
	map_pages(p, pte_split);
}

/* Random programs under paging whose loads and stores cross into a page mapped elsewhere. */
static void test_random_paged(void **state)
{
	assert_int_equal(random_programs_in(*state, 100000, 100299, true), 0);
}

/* A load runs three times at a virtual address, then the page is remapped (its PTE
 * rewritten, then sfence.vma: of everything, or of that address), then it runs three times
 * again: those must read the new page (the translator's copies of TLB entries go with the
 * TLB). */
static void remap_case(struct pair *p, unsigned rs1)
{
	static struct prog g;
	uint64_t regs[32] = {0};
	const uint64_t l0 = H_RAM_BASE + 0x182000, va = DATA + 0x1000;
	static uint8_t data[DATA_MAX];

	g.len = 0;
	size_t outer = g.len;
	put32(&g, e_i(OP_IMM, 19, 0, 0, 3)); /* li s3, 3 */
	size_t loop = g.len;
	put32(&g, e_i(OP_LOAD, 10, 3, 9, 8));                      /* ld a0, 8(s1) */
	put32(&g, e_r(OP_OP, 18, 0, 18, 10, 0));                   /* add s2, s2, a0 */
	put32(&g, e_i(OP_IMM, 19, 0, 19, -1));                     /* addi s3, s3, -1 */
	put32(&g, e_b(1, 19, 0, (int32_t)loop - (int32_t)g.len));  /* bnez s3, loop */
	put32(&g, e_s(OP_STORE, 3, 6, 5, 0));                      /* sd t0, 0(t1): the new PTE */
	put32(&g, 0x12000073 | rs1 << 15);                         /* sfence.vma rs1, zero */
	put32(&g, e_i(OP_IMM, 20, 0, 20, -1));                     /* addi s4, s4, -1 */
	put32(&g, e_b(1, 20, 0, (int32_t)outer - (int32_t)g.len)); /* bnez s4, outer */
	put_exit(&g, 0);
	regs[5] = pte(DATA + 0x2000, V_ | R_ | W_ | X_ | AD_);
	regs[6] = l0 + 8 * ((va - H_RAM_BASE) >> 12);
	regs[9] = va;
	regs[20] = 2;
	load_both(p, &g, PC0, regs);
	for (size_t k = 0; k < DATA_MAX; k++)
		data[k] = (uint8_t)(k >> 12);
	for (int i = 0; i < 2; i++)
		h_put(p->h[i], DATA, data, DATA_MAX);
	map_split(p); /* va maps DATA + 12K */
	run_both(p);
	assert_true(same_state(p, "remap"));
	assert_int_equal(p->h[1]->done, 1);
	assert_int_equal(p->h[1]->v->x[18], 3 * 0x0303030303030303ULL + 3 * 0x0202020202020202ULL);
}

/* One load alternating between two pages 1000 times (its copy of the TLB entry misses
 * every time: it is turned off after 256, and the load goes on through the TLB alone), at
 * s1 = base and base + 4K. */
static void load_pages_case(struct pair *p, uint64_t base, uint64_t sum)
{
	static struct prog g;
	uint64_t regs[32] = {0};
	static uint8_t data[DATA_MAX];

	g.len = 0;
	size_t loop = g.len;
	put32(&g, e_i(OP_LOAD, 5, 4, 9, 0x7f8));  /* lbu t0, 0x7f8(s1): the TLB has s1's page */
	put32(&g, e_i(OP_LOAD, 10, 3, 9, 0x7f8)); /* ld a0, 0x7f8(s1) */
	put32(&g, e_r(OP_OP, 18, 0, 18, 10, 0));  /* add s2, s2, a0 */
	put32(&g, e_r(OP_OP, 9, 4, 9, 21, 0));    /* xor s1, s1, s5 */
	put32(&g, e_i(OP_IMM, 19, 0, 19, -1));    /* addi s3, s3, -1 */
	put32(&g, e_b(1, 19, 0, (int32_t)loop - (int32_t)g.len)); /* bnez s3, loop */
	put_exit(&g, 0);
	regs[9] = base;
	regs[21] = 0x1000;
	regs[19] = 1000;
	load_both(p, &g, PC0, regs);
	for (size_t k = 0; k < DATA_MAX; k++)
		data[k] = (uint8_t)(k >> 12);
	for (int i = 0; i < 2; i++)
		h_put(p->h[i], DATA, data, DATA_MAX);
	map_split(p); /* DATA + 4K maps DATA + 12K */
	run_both(p);
	assert_true(same_state(p, "load pages"));
	assert_int_equal(p->h[1]->done, 1);
	assert_int_equal(p->h[1]->v->x[18], sum);
}

static void test_load_pages(void **state)
{
	load_pages_case(*state, DATA + 0x800, 500 * 0x0303030303030303ULL);
	/* every access crosses a page (DATA + 4K - 4, mapped DATA + 12K; DATA + 8K - 4, from
	 * DATA + 16K - 4 into DATA + 8K): through the copy, its refill as it turns the copy
	 * off, and the TLB alone after */
	load_pages_case(*state, DATA + 0x804,
	                500 * 0x0303030300000000ULL + 500 * 0x0202020203030303ULL);
}

/* A load and a store alternating between two pages that share a TLB index (1 MiB apart:
 * 256 pages), 1000 times each, with a load and a store that stay on each: one page's entry
 * goes to the TLB's second way when the other's fills the first, and both stay (no walk
 * each time); the translated code's cold path finds it there (the load's copy is turned
 * off after 256 misses, then its plain lookup misses the first way). */
static void test_tlb_second_way(void **state)
{
	struct pair *p = *state;
	static struct prog g;
	uint64_t regs[32] = {0};
	static uint8_t data[0x1000];
	const uint64_t a = H_RAM_BASE + 0x40000, b = DATA + 0x40000; /* TLB index 64 both */

	g.len = 0;
	size_t loop = g.len;
	put32(&g, e_i(OP_LOAD, 10, 2, 9, 0));                     /* lw a0, 0(s1): a, b, a, ... */
	put32(&g, e_i(OP_LOAD, 11, 2, 20, 8));                    /* lw a1, 8(s4): a */
	put32(&g, e_i(OP_LOAD, 12, 2, 21, 8));                    /* lw a2, 8(s5): b */
	put32(&g, e_r(OP_OP, 18, 0, 18, 10, 0));                  /* add s2, s2, a0 */
	put32(&g, e_r(OP_OP, 18, 0, 18, 11, 0));                  /* add s2, s2, a1 */
	put32(&g, e_r(OP_OP, 18, 0, 18, 12, 0));                  /* add s2, s2, a2 */
	put32(&g, e_s(OP_STORE, 2, 9, 18, 16));                   /* sw s2, 16(s1): a, b, a, ... */
	put32(&g, e_s(OP_STORE, 2, 20, 19, 20));                  /* sw s3, 20(s4): a */
	put32(&g, e_s(OP_STORE, 2, 21, 19, 20));                  /* sw s3, 20(s5): b */
	put32(&g, e_r(OP_OP, 9, 4, 9, 22, 0));                    /* xor s1, s1, s6 */
	put32(&g, e_i(OP_IMM, 19, 0, 19, -1));                    /* addi s3, s3, -1 */
	put32(&g, e_b(1, 19, 0, (int32_t)loop - (int32_t)g.len)); /* bnez s3, loop */
	put_exit(&g, 0);
	regs[9] = regs[20] = a;
	regs[21] = b;
	regs[22] = a ^ b;
	regs[19] = 1000;
	load_both(p, &g, PC0, regs);
	for (int i = 0; i < 2; i++) {
		memset(data, 0x11, sizeof(data));
		h_put(p->h[i], a, data, sizeof(data));
		memset(data, 0x22, sizeof(data));
		h_put(p->h[i], b, data, sizeof(data));
	}
	map_split(p); /* (identity for both) */
	run_both(p);
	assert_true(same_state(p, "second way"));
	assert_int_equal(p->h[1]->done, 1);
	assert_int_equal(p->h[1]->v->x[18], 500 * 0x11111111ULL + 500 * 0x22222222ULL +
	                                        1000 * (0x11111111ULL + 0x22222222ULL));
	for (int i = 0; i < 2; i++) {
		const struct vcpu *v = p->h[i]->v;
		for (int acc = RV_ACC_R; acc <= RV_ACC_W; acc++) {
			uint64_t w1 = v->tlb[v->tlb_ctx][acc].vpn[64],
			         w2 = v->tlb2[v->tlb_ctx][acc].vpn[64] ^ v->tlb_key;
			assert_true((w1 == a >> 12 && w2 == b >> 12) ||
			            (w1 == b >> 12 && w2 == a >> 12));
		}
	}
}

/* The translated lookups take the interpreter's TLB index ((va >> 12) & 255) in both forms
 * (bextr, and mov/shr/movzx without BMI1): every other entry of the translating hart's TLB
 * claims the data's page with another page's addend, so that a load (its copy's refill)
 * or a store (the plain lookup) at a wrong index reads or writes that page. */
static void tlb_index_case(struct pair *p, uint64_t at, bool bextr)
{
	static struct prog g;
	uint64_t regs[32] = {0};
	static uint8_t data[0x1000];
	const uint64_t d = DATA + 0x5000, other = DATA + 0x9000;
	bool saved = rv_jit_bextr;

	g.len = 0;
	size_t loop = g.len;
	put32(&g, e_i(OP_LOAD, 10, 3, 9, 0));                     /* ld a0, 0(s1) */
	put32(&g, e_r(OP_OP, 18, 0, 18, 10, 0));                  /* add s2, s2, a0 */
	put32(&g, e_s(OP_STORE, 3, 9, 18, 8));                    /* sd s2, 8(s1) */
	put32(&g, e_i(OP_IMM, 19, 0, 19, -1));                    /* addi s3, s3, -1 */
	put32(&g, e_b(1, 19, 0, (int32_t)loop - (int32_t)g.len)); /* bnez s3, loop */
	put_exit(&g, 0);
	regs[9] = d;
	regs[19] = 300;
	load_both(p, &g, at, regs);
	for (int i = 0; i < 2; i++) {
		memset(data, 0x11, sizeof(data));
		h_put(p->h[i], d, data, sizeof(data));
		memset(data, 0x77, sizeof(data));
		h_put(p->h[i], other, data, sizeof(data));
	}
	struct vcpu *v = p->h[1]->v;
	uintptr_t bogus = (uintptr_t)(p->h[1]->ram + (other - H_RAM_BASE)) - (uintptr_t)d;
	for (unsigned c = 0; c < RV_TLB_CTX; c++)
		for (int acc = RV_ACC_R; acc <= RV_ACC_W; acc++)
			for (unsigned k = 0; k < RV_TLB_SIZE; k++)
				if (k != rv_tlb_index(d)) {
					v->tlb[c][acc].vpn[k] = d >> 12;
					v->tlb[c][acc].addend[k] = bogus;
				}
	rv_jit_bextr = bextr;
	run_both(p);
	rv_jit_bextr = saved;
	assert_true(same_state(p, bextr ? "TLB index, bextr" : "TLB index, shr"));
	assert_int_equal(p->h[1]->done, 1);
	assert_int_equal(p->h[1]->v->x[18], 300 * 0x1111111111111111ULL);
}

static void test_tlb_index(void **state)
{
	tlb_index_case(*state, PC0, true);
	tlb_index_case(*state, PC0 + 0x2000, false); /* (its own translation) */
}

/* The second way goes with a flush (its entries are tagged with the TLB's generation): a
 * load alternating between two pages that share a TLB index (a, b, a: b is in the second
 * way), b's page is remapped and sfence.vma flushes; the next round must read b's new
 * page. A hit in the second way swaps the two ways' entries. */
static void test_tlb_second_way_flush(void **state)
{
	struct pair *p = *state;
	static struct prog g;
	uint64_t regs[32] = {0};
	static uint8_t data[0x1000];
	const uint64_t l0 = H_RAM_BASE + 0x182000, a = H_RAM_BASE + 0x40000, b = DATA + 0x40000,
	               c = DATA + 0x41000;

	g.len = 0;
	size_t outer = g.len;
	put32(&g, e_i(OP_IMM, 19, 0, 0, 3)); /* li s3, 3 */
	size_t loop = g.len;
	put32(&g, e_i(OP_LOAD, 10, 2, 9, 0));                     /* lw a0, 0(s1): a, b, a */
	put32(&g, e_r(OP_OP, 18, 0, 18, 10, 0));                  /* add s2, s2, a0 */
	put32(&g, e_r(OP_OP, 9, 4, 9, 22, 0));                    /* xor s1, s1, s6 */
	put32(&g, e_i(OP_IMM, 19, 0, 19, -1));                    /* addi s3, s3, -1 */
	put32(&g, e_b(1, 19, 0, (int32_t)loop - (int32_t)g.len)); /* bnez s3, loop */
	put32(&g, e_r(OP_OP, 9, 4, 9, 22, 0));                    /* xor s1, s1, s6: a again */
	put32(&g, e_i(OP_IMM, 20, 0, 20, -1));                    /* addi s4, s4, -1 */
	put32(&g, e_b(0, 20, 0, 16));                             /* beqz s4, out */
	put32(&g, e_s(OP_STORE, 3, 6, 5, 0));                     /* sd t0, 0(t1): b's PTE */
	put32(&g, 0x12000073);                                    /* sfence.vma zero, zero */
	put32(&g, e_jal(0, (int32_t)outer - (int32_t)g.len));     /* j outer */
	put_exit(&g, 0);                                          /* out: */
	regs[5] = pte(c, V_ | R_ | W_ | X_ | AD_);
	regs[6] = l0 + 8 * ((b - H_RAM_BASE) >> 12);
	regs[9] = a;
	regs[22] = a ^ b;
	regs[20] = 2;
	load_both(p, &g, PC0, regs);
	for (int i = 0; i < 2; i++) {
		memset(data, 0x11, sizeof(data));
		h_put(p->h[i], a, data, sizeof(data));
		memset(data, 0x22, sizeof(data));
		h_put(p->h[i], b, data, sizeof(data));
		memset(data, 0x33, sizeof(data));
		h_put(p->h[i], c, data, sizeof(data));
	}
	map_split(p);
	run_both(p);
	assert_true(same_state(p, "second way flush"));
	assert_int_equal(p->h[1]->done, 1);
	assert_int_equal(p->h[1]->v->x[18], 4 * 0x11111111ULL + 0x22222222ULL + 0x33333333ULL);
	/* a hit in the second way swaps it into the first (the last load, a, found it there) */
	for (int i = 0; i < 2; i++) {
		const struct vcpu *v = p->h[i]->v;
		assert_int_equal(v->tlb[v->tlb_ctx][RV_ACC_R].vpn[64], a >> 12);
	}
}

/* Forward branches in the middle of a block are its side exits: the loop's body, with one
 * taken three times in four, is one translation (with the target of its side exit and
 * the exit: three), and the state after each way out is the interpreter's (the count of
 * instructions retired at the side exit, the registers written back there). */
static void test_side_exits(void **state)
{
	struct pair *p = *state;
	static struct prog g;
	uint64_t regs[32] = {0};
	struct vcpu_jit_stats st = {0};

	g.len = 0;
	size_t loop = g.len;
	put32(&g, e_i(OP_IMM, 18, 0, 18, 1));  /* addi s2, s2, 1 */
	put32(&g, e_i(OP_IMM, 5, 7, 19, 3));   /* andi t0, s3, 3 */
	put32(&g, e_b(1, 5, 0, 20));           /* bnez t0, skip */
	put32(&g, e_i(OP_IMM, 20, 0, 20, 1));  /* addi s4, s4, 1 */
	put32(&g, e_i(OP_IMM, 20, 0, 20, 2));  /* addi s4, s4, 2 */
	put32(&g, e_b(0, 20, 18, 8));          /* beq s4, s2, skip (never taken: s4 > s2) */
	put32(&g, e_i(OP_IMM, 21, 0, 21, 5));  /* addi s5, s5, 5 */
	put32(&g, e_i(OP_IMM, 18, 0, 18, 10)); /* skip: addi s2, s2, 10 */
	put32(&g, e_i(OP_IMM, 19, 0, 19, -1)); /* addi s3, s3, -1 */
	put32(&g, e_b(1, 19, 0, (int32_t)loop - (int32_t)g.len)); /* bnez s3, loop */
	put_exit(&g, 0);
	regs[19] = 1000;
	regs[20] = 100000;
	load_both(p, &g, PC0, regs);
	run_both(p);
	assert_true(same_state(p, "side exits"));
	assert_int_equal(p->h[1]->done, 1);
	assert_int_equal(p->h[1]->v->x[18], 11000);
	assert_int_equal(p->h[1]->v->x[20], 100000 + 250 * 3);
	assert_int_equal(p->h[1]->v->x[21], 250 * 5);
	vcpu_jit_stats_add(p->h[1]->v, &st);
	assert_true(st.blocks <= 3); /* (the exit is not translated when it runs once) */
}

/* rd = rs2 (rd != rs1) in a host register: computed where it is (sub as -rs2 + rs1, the
 * others with their operands swapped), W forms sign-extended; in a loop, so the block is
 * translated and its registers kept. A second loop does the same with rs1 = x0 and with
 * rs1 not among the block's host registers. */
static void test_rd_is_rs2(void **state)
{
	struct pair *p = *state;
	static struct prog g;
	uint64_t regs[32] = {0};

	g.len = 0;
	size_t loop = g.len;
	put32(&g, e_r(OP_OP, 18, 0, 19, 18, 0x20));              /* sub s2, s3, s2 */
	put32(&g, e_r(OP_OP32, 20, 0, 19, 20, 0x20));            /* subw s4, s3, s4 */
	put32(&g, e_r(OP_OP32, 21, 0, 19, 21, 0));               /* addw s5, s3, s5 */
	put32(&g, e_r(OP_OP, 22, 4, 19, 22, 0));                 /* xor s6, s3, s6 */
	put32(&g, e_r(OP_OP, 23, 6, 19, 23, 0));                 /* or s7, s3, s7 */
	put32(&g, e_i(OP_IMM, 19, 0, 19, 1021));                 /* addi s3, s3, 1021 */
	put32(&g, e_i(OP_IMM, 9, 0, 9, -1));                     /* addi s1, s1, -1 */
	put32(&g, e_b(1, 9, 0, (int32_t)loop - (int32_t)g.len)); /* bnez s1, loop */
	put32(&g, e_i(OP_IMM, 9, 0, 0, 100));                    /* li s1, 100 */
	loop = g.len;
	put32(&g, e_r(OP_OP, 18, 0, 0, 18, 0x20));    /* neg s2 (sub s2, x0, s2) */
	put32(&g, e_r(OP_OP32, 20, 0, 0, 20, 0x20));  /* negw s4 */
	put32(&g, e_r(OP_OP, 21, 0, 19, 21, 0));      /* add s5, s3, s5 */
	put32(&g, e_r(OP_OP, 22, 7, 19, 22, 0));      /* and s6, s3, s6 */
	for (unsigned r = 10; r < 17; r++)            /* a0-a6 used more than s3: cached */
		put32(&g, e_r(OP_OP, r, 0, r, r, 0)); /* add aN, aN, aN */
	for (unsigned r = 10; r < 17; r++)
		put32(&g, e_r(OP_OP, r, 4, r, 18, 0)); /* xor aN, aN, s2 */
	put32(&g, e_i(OP_IMM, 9, 0, 9, -1));
	put32(&g, e_b(1, 9, 0, (int32_t)loop - (int32_t)g.len));
	put_exit(&g, 0);
	regs[9] = 100;
	regs[18] = 5;
	regs[19] = 0x123456787ffffff0ULL;
	regs[20] = 0x80000000ULL;
	regs[21] = 0xffffffff;
	regs[22] = 0x0ff00ff00ff00ff0ULL;
	regs[23] = 0x8000000000000001ULL;
	for (unsigned r = 10; r < 17; r++)
		regs[r] = r * 0x1111111111ULL;
	load_both(p, &g, PC0, regs);
	run_both(p);
	assert_true(same_state(p, "rd = rs2"));
	assert_int_equal(p->h[1]->done, 1);
}

/* A side exit's path: the code at its target translated in line, up to its own end (here
 * a backward branch to the block: the loop stays in the block, its registers kept), with
 * forward branches of its own (side exits where they are). The loop's way three times in
 * four is the side exit and its path; the other goes through a jump to a block of its own.
 * Two translations (three with the exit, when it is translated at its first run). */
static void test_side_paths(void **state)
{
	struct pair *p = *state;
	static struct prog g;
	uint64_t regs[32] = {0};
	struct vcpu_jit_stats st = {0};

	g.len = 0;
	size_t loop = g.len;
	put32(&g, e_i(OP_IMM, 18, 0, 18, 1));    /* addi s2, s2, 1 */
	put32(&g, e_i(OP_IMM, 5, 7, 19, 3));     /* andi t0, s3, 3 */
	put32(&g, e_b(1, 5, 0, 16));             /* bnez t0, hot */
	put32(&g, e_i(OP_IMM, 20, 0, 20, 1));    /* addi s4, s4, 1 */
	put32(&g, e_i(OP_IMM, 21, 0, 21, 2));    /* addi s5, s5, 2 */
	put32(&g, e_jal(0, 24));                 /* j cont */
	put32(&g, e_i(OP_IMM, 21, 0, 21, 3));    /* hot: addi s5, s5, 3 */
	put32(&g, e_b(4, 20, 0, 24));            /* blt s4, zero, out (never taken) */
	put32(&g, e_i(OP_IMM, 22, 0, 22, 1));    /* addi s6, s6, 1 */
	put32(&g, e_r(OP_OP, 23, 0, 23, 18, 0)); /* add s7, s7, s2 */
	put32(&g, e_i(OP_IMM, 22, 0, 22, 1));    /* addi s6, s6, 1 */
	put32(&g, e_i(OP_IMM, 19, 0, 19, -1));   /* cont: addi s3, s3, -1 */
	put32(&g, e_b(1, 19, 0, (int32_t)loop - (int32_t)g.len)); /* bnez s3, loop */
	put_exit(&g, 0);                                          /* out: */
	regs[19] = 1000;
	load_both(p, &g, PC0, regs);
	run_both(p);
	assert_true(same_state(p, "side paths"));
	assert_int_equal(p->h[1]->done, 1);
	assert_int_equal(p->h[1]->v->x[18], 1000);
	assert_int_equal(p->h[1]->v->x[20], 250);
	assert_int_equal(p->h[1]->v->x[21], 250 * 2 + 750 * 3);
	assert_int_equal(p->h[1]->v->x[22], 750 * 2);
	vcpu_jit_stats_add(p->h[1]->v, &st);
	assert_true(st.blocks <= (rv_jit_hot <= 1 ? 3u : 2u));
}

static void test_remap(void **state)
{
	remap_case(*state, 0); /* sfence.vma zero, zero */
	remap_case(*state, 9); /* sfence.vma s1, zero */
}

static void fault_case(struct pair *p, uint32_t faulting, uint64_t cause, uint64_t tval)
{
	static struct prog g, handler;
	uint64_t regs[32] = {0};

	g.len = 0;
	put32(&g, e_i(OP_IMM, 18, 0, 18, 1));
	put32(&g, e_i(OP_IMM, 18, 0, 18, 2));
	put32(&g, e_s(OP_STORE, 3, 31, 18, 16)); /* a store that works (another page) */
	put32(&g, faulting);
	put32(&g, e_i(OP_IMM, 18, 0, 18, 4)); /* never runs */
	put_exit(&g, 0);
	/* the handler reports scause, stval and sepc in s3, s4, s5 */
	handler.len = 0;
	put32(&handler, e_csrrs(19, 0x142, 0)); /* csrr s3, scause */
	put32(&handler, e_csrrs(20, 0x143, 0)); /* csrr s4, stval */
	put32(&handler, e_csrrs(21, 0x141, 0)); /* csrr s5, sepc */
	put_exit(&handler, 0);
	regs[9] = DATA;           /* s1: the read-only page */
	regs[8] = DATA + 0x1000;  /* s0: the unmapped page */
	regs[31] = DATA + 0x2000; /* writable */
	load_both(p, &g, PC0, regs);
	for (int i = 0; i < 2; i++)
		h_put(p->h[i], STVEC, handler.buf, handler.len);
	map_both(p);
	run_both(p);
	assert_true(same_state(p, "page fault"));
	assert_int_equal(p->h[1]->done, 1);
	assert_int_equal(p->h[1]->v->x[18], 3);
	assert_int_equal(p->h[1]->v->x[19], cause);
	assert_int_equal(p->h[1]->v->x[20], tval);
	assert_int_equal(p->h[1]->v->x[21], PC0 + 12);
}

static void test_page_faults(void **state)
{
	struct pair *p = *state;
	/* sd s2, 8(s1): store to the read-only page */
	fault_case(p, e_s(OP_STORE, 3, 9, 18, 8), RV_EXC_STORE_PAGE, DATA + 8);
	/* lw a0, 4(s0): load from the unmapped page */
	fault_case(p, e_i(OP_LOAD, 10, 2, 8, 4), RV_EXC_LOAD_PAGE, DATA + 0x1004);
	/* ld a0, -4(s0): a load that crosses into the unmapped page */
	fault_case(p, e_i(OP_LOAD, 10, 3, 8, -4), RV_EXC_LOAD_PAGE, DATA + 0x1000);
}

/* A branch over one instruction that sets a register (lui, li/addi, addiw, xor, subw, andi:
 * translated as a cmov, RV_JIT_SKIP1) taken and not taken in turn, into registers kept in host
 * registers and not (the block uses more than JIT_HREGS), one its own source, one the branch's;
 * then, after one taken (the instruction it skips not retired), a load from an unmapped page: the
 * registers, instret and sepc after each are the interpreter's. */
static void test_branch_over_one(void **state)
{
	struct pair *p = *state;
	static struct prog g, handler;
	uint64_t regs[32] = {0};
	static uint16_t data[64];

	g.len = 0;
	size_t loop = g.len;
	put32(&g, e_i(OP_LOAD, 16, 5, 15, 0));                     /* lhu a6, 0(a5) */
	put32(&g, e_i(OP_IMM, 12, 0, 16, 0));                      /* mv a2, a6 */
	put32(&g, e_b(7, 16, 20, 8));                              /* bgeu a6, s4, +8 */
	put32(&g, e_lui(12, 0xffff8));                             /* lui a2, 0xffff8 */
	put32(&g, e_r(OP_OP32, 12, 0, 12, 11, 0));                 /* addw a2, a2, a1 */
	put32(&g, e_s(OP_STORE, 1, 15, 12, 0));                    /* sh a2, 0(a5) */
	put32(&g, e_b(0, 16, 21, 8));                              /* beq a6, s5, +8 */
	put32(&g, e_i(OP_IMM, 22, 0, 22, 1));                      /* addi s6, s6, 1 */
	put32(&g, e_b(1, 16, 23, 6));                              /* bne a6, s7, +6 */
	put16(&g, 0x567d);                                         /* c.li a2, -1 */
	put32(&g, e_b(4, 25, 16, 8));                              /* blt s9, a6, +8 */
	put32(&g, e_i(OP_IMM, 25, 0, 16, 0));                      /* mv s9, a6: the branch's rs1 */
	put32(&g, e_b(5, 16, 20, 8));                              /* bge a6, s4, +8 */
	put32(&g, e_i(OP_IMM32, 24, 0, 24, -3));                   /* addiw s8, s8, -3 */
	put32(&g, e_r(OP_OP, 26, 0, 26, 12, 0));                   /* add s10, s10, a2 */
	put32(&g, e_b(7, 16, 20, 8));                              /* bgeu a6, s4, +8 */
	put32(&g, e_r(OP_OP, 29, 4, 29, 16, 0));                   /* xor t4, t4, a6 */
	put32(&g, e_b(0, 16, 23, 8));                              /* beq a6, s7, +8 */
	put32(&g, e_r(OP_OP32, 30, 0, 30, 16, 0x20));              /* subw t5, t5, a6 */
	put32(&g, e_b(6, 16, 20, 8));                              /* bltu a6, s4, +8 */
	put32(&g, e_i(OP_IMM, 31, 7, 16, 0x7f0));                  /* andi t6, a6, 0x7f0 */
	put32(&g, e_i(OP_IMM, 15, 0, 15, 2));                      /* addi a5, a5, 2 */
	put32(&g, e_b(1, 15, 10, (int32_t)loop - (int32_t)g.len)); /* bne a5, a0, loop */
	put32(&g, e_b(0, 0, 0, 8));                                /* beqz zero, +8: taken */
	put32(&g, e_i(OP_IMM, 18, 0, 0, 7));                       /* li s2, 7: skipped */
	put32(&g, e_i(OP_LOAD, 19, 2, 8, 4)); /* lw s3, 4(s0): the unmapped page */
	put_exit(&g, 0);
	handler.len = 0;
	put32(&handler, e_csrrs(27, 0x142, 0)); /* csrr s11, scause */
	put32(&handler, e_csrrs(28, 0x141, 0)); /* csrr t3, sepc */
	put_exit(&handler, 0);
	for (unsigned k = 0; k < 64; k++)
		data[k] = (uint16_t)(k * 0x1357u + (k & 3) * 0x4000u);
	data[5] = data[9] = 0x2222; /* (s5 and s7's value) */
	regs[15] = DATA + 0x2000;
	regs[10] = DATA + 0x2000 + sizeof(data);
	regs[20] = 0x8000;
	regs[11] = 0x1234;
	regs[21] = regs[23] = 0x2222;
	regs[24] = 100;
	regs[25] = 0x9000;
	regs[8] = DATA + 0x1000; /* s0: the unmapped page */
	load_both(p, &g, PC0, regs);
	for (int i = 0; i < 2; i++) {
		h_put(p->h[i], DATA + 0x2000, data, sizeof(data));
		h_put(p->h[i], STVEC, handler.buf, handler.len);
	}
	map_both(p);
	run_both(p);
	assert_true(same_state(p, "branch over one"));
	assert_int_equal(p->h[1]->done, 1);
	assert_int_equal(p->h[1]->v->x[18], 0);
	assert_int_equal(p->h[1]->v->x[27], RV_EXC_LOAD_PAGE);
	assert_int_equal(p->h[1]->v->x[28], PC0 + g.len - 20);
	assert_int_equal(p->h[1]->v->x[22], 62);
	uint64_t s9 = 0x9000, s8 = 100;
	for (unsigned k = 0; k < 64; k++) {
		if ((int64_t)s9 >= (int64_t)data[k])
			s9 = data[k];
		if (data[k] < 0x8000)
			s8 = (uint64_t)(int64_t)(int32_t)((uint32_t)s8 - 3);
	}
	assert_int_equal(p->h[1]->v->x[25], s9);
	assert_int_equal(p->h[1]->v->x[24], s8);
	uint64_t t4 = 0, t5 = 0, t6 = 0;
	for (unsigned k = 0; k < 64; k++) {
		if (data[k] < 0x8000)
			t4 ^= data[k];
		if (data[k] != 0x2222)
			t5 = (uint64_t)(int64_t)(int32_t)((uint32_t)t5 - data[k]);
		if (data[k] >= 0x8000)
			t6 = data[k] & 0x7f0;
	}
	assert_int_equal(p->h[1]->v->x[29], t4);
	assert_int_equal(p->h[1]->v->x[30], t5);
	assert_int_equal(p->h[1]->v->x[31], t6);
	for (unsigned k = 0; k < 64; k++) {
		uint16_t m = data[k], r = (uint16_t)((m >= 0x8000 ? m : 0xffff8000u) + 0x1234);
		uint16_t got;
		memcpy(&got, p->h[1]->ram + (DATA + 0x2000 - H_RAM_BASE) + 2 * k, 2);
		assert_int_equal(got, r);
	}
}

/* A load's copy of a TLB entry that is all zeros (a new buffer, or emptied when tlb_gen
 * wraps) must match no access: with a key of 0 it matched a user-mode load from page 0 at
 * a generation of 0 mod 512, whose addend (0) then made the host read its own page 0. */
static void test_tlb_key_nonzero(void **state)
{
	struct pair *p = *state;
	struct vcpu *v = p->h[1]->v;
	for (unsigned ctx = 0; ctx < RV_TLB_CTX; ctx++)
		for (unsigned gen = 0; gen < 2 * (RV_TLB_GEN_MASK + 1); gen++) {
			v->tlb_ctx = ctx;
			v->tlb_gen = gen;
			rv_tlb_rekey(v);
			assert_true(((0ULL >> 12) | v->tlb_key) != 0);
		}
}

int main(void)
{
	if (!vcpu_jit_available()) {
		printf("1..0 # SKIP no translator for this host\n");
		return 0;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_random, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_buffer, setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_flush_releases, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idle_flush, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idle_cools, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tables_released, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_self_modifying, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_code_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chain_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_store_code_second_way, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_page_faults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_branch_over_one, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_paged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tlb_second_way, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tlb_second_way_flush, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tlb_index, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_side_exits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_side_paths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rd_is_rs2, setup, teardown),
	    cmocka_unit_test(test_other_writers),
	    cmocka_unit_test_setup_teardown(test_tlb_key_nonzero, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
