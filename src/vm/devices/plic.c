/* SPDX-License-Identifier: MIT */
/* The SiFive PLIC as QEMU's virt board has it: 96 sources (1..95 usable), 7 priority levels,
 * and two contexts per hart, 2*hart for M-mode and 2*hart+1 for S-mode. Sources are level
 * triggered; a claimed source stays out of "pending" until the guest completes it. */
#include "devices.h"
#include "util.h"

#include <pthread.h>
#include <string.h>

#define PLIC_PRIORITY       0x000000
#define PLIC_PENDING        0x001000
#define PLIC_ENABLE         0x002000
#define PLIC_ENABLE_STRIDE  0x80
#define PLIC_CONTEXT        0x200000
#define PLIC_CONTEXT_STRIDE 0x1000
#define PLIC_WORDS          (PLIC_NUM_SOURCES / 32)

struct plic {
	pthread_mutex_t lock;
	unsigned ncontexts;
	plic_notify_fn notify;
	void *opaque;
	uint32_t priority[PLIC_NUM_SOURCES];
	uint32_t level[PLIC_WORDS]; /* the input lines */
	uint32_t pending[PLIC_WORDS];
	uint32_t claimed[PLIC_WORDS];
	uint32_t enable[PLIC_MAX_CONTEXTS][PLIC_WORDS];
	uint32_t threshold[PLIC_MAX_CONTEXTS];
	bool out[PLIC_MAX_CONTEXTS];
};

static bool bit_get(const uint32_t *w, unsigned i)
{
	return (w[i / 32] >> (i % 32)) & 1;
}

static void bit_set(uint32_t *w, unsigned i, bool v)
{
	if (v)
		w[i / 32] |= 1u << (i % 32);
	else
		w[i / 32] &= ~(1u << (i % 32));
}

/* The best source the context may take now, or 0. Caller holds the lock. */
static uint32_t plic_best(const struct plic *p, unsigned ctx)
{
	uint32_t best = 0, best_prio = p->threshold[ctx];

	for (unsigned w = 0; w < PLIC_WORDS; w++) {
		uint32_t bits = p->pending[w] & p->enable[ctx][w] & ~p->claimed[w];
		while (bits != 0) {
			unsigned irq = w * 32 + (unsigned)__builtin_ctz(bits);
			bits &= bits - 1;
			if (irq != 0 && p->priority[irq] > best_prio) {
				best = irq;
				best_prio = p->priority[irq];
			}
		}
	}
	return best;
}

static void plic_update(struct plic *p)
{
	for (unsigned ctx = 0; ctx < p->ncontexts; ctx++) {
		bool level = plic_best(p, ctx) != 0;
		if (level != p->out[ctx]) {
			p->out[ctx] = level;
			if (p->notify != NULL)
				p->notify(p->opaque, ctx, level);
		}
	}
}

struct plic *plic_create(unsigned ncontexts, plic_notify_fn notify, void *opaque)
{
	struct plic *p = xmalloc0(sizeof(*p));

	if (ncontexts > PLIC_MAX_CONTEXTS)
		ncontexts = PLIC_MAX_CONTEXTS;
	pthread_mutex_init(&p->lock, NULL);
	p->ncontexts = ncontexts;
	p->notify = notify;
	p->opaque = opaque;
	return p;
}

void plic_destroy(struct plic *p)
{
	if (p == NULL)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p);
}

void plic_set_irq(struct plic *p, unsigned irq, bool level)
{
	if (irq == 0 || irq >= PLIC_NUM_SOURCES)
		return;
	pthread_mutex_lock(&p->lock);
	bit_set(p->level, irq, level);
	bit_set(p->pending, irq, level && !bit_get(p->claimed, irq));
	plic_update(p);
	pthread_mutex_unlock(&p->lock);
}

static uint32_t plic_claim_locked(struct plic *p, unsigned ctx)
{
	uint32_t irq = plic_best(p, ctx);

	if (irq != 0) {
		bit_set(p->pending, irq, false);
		bit_set(p->claimed, irq, true);
		plic_update(p);
	}
	return irq;
}

static void plic_complete_locked(struct plic *p, unsigned ctx, uint32_t irq)
{
	(void)ctx;
	if (irq == 0 || irq >= PLIC_NUM_SOURCES || !bit_get(p->claimed, irq))
		return;
	bit_set(p->claimed, irq, false);
	if (bit_get(p->level, irq))
		bit_set(p->pending, irq, true);
	plic_update(p);
}

uint32_t plic_claim(struct plic *p, unsigned context)
{
	uint32_t irq = 0;

	if (context >= p->ncontexts)
		return 0;
	pthread_mutex_lock(&p->lock);
	irq = plic_claim_locked(p, context);
	pthread_mutex_unlock(&p->lock);
	return irq;
}

void plic_complete(struct plic *p, unsigned context, uint32_t irq)
{
	if (context >= p->ncontexts)
		return;
	pthread_mutex_lock(&p->lock);
	plic_complete_locked(p, context, irq);
	pthread_mutex_unlock(&p->lock);
}

int plic_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct plic *p = dev;
	uint32_t v = 0;

	(void)size; /* the bus lets only 32-bit accesses through */
	pthread_mutex_lock(&p->lock);
	if (off < PLIC_PENDING) {
		unsigned irq = (unsigned)(off / 4);
		if (irq < PLIC_NUM_SOURCES)
			v = p->priority[irq];
	} else if (off < PLIC_ENABLE) {
		unsigned w = (unsigned)((off - PLIC_PENDING) / 4);
		if (w < PLIC_WORDS)
			v = p->pending[w];
	} else if (off < PLIC_CONTEXT) {
		unsigned ctx = (unsigned)((off - PLIC_ENABLE) / PLIC_ENABLE_STRIDE);
		unsigned w = (unsigned)((off - PLIC_ENABLE) % PLIC_ENABLE_STRIDE / 4);
		if (ctx < p->ncontexts && w < PLIC_WORDS)
			v = p->enable[ctx][w];
	} else {
		unsigned ctx = (unsigned)((off - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE);
		unsigned reg = (unsigned)((off - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE);
		if (ctx < p->ncontexts && reg == 0)
			v = p->threshold[ctx];
		else if (ctx < p->ncontexts && reg == 4)
			v = plic_claim_locked(p, ctx);
	}
	pthread_mutex_unlock(&p->lock);
	*val = v;
	return 0;
}

int plic_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct plic *p = dev;
	uint32_t v = (uint32_t)val;

	(void)size; /* the bus lets only 32-bit accesses through */
	pthread_mutex_lock(&p->lock);
	if (off < PLIC_PENDING) {
		unsigned irq = (unsigned)(off / 4);
		if (irq != 0 && irq < PLIC_NUM_SOURCES)
			p->priority[irq] = v & 7;
	} else if (off < PLIC_ENABLE) {
		/* pending bits are read-only */
	} else if (off < PLIC_CONTEXT) {
		unsigned ctx = (unsigned)((off - PLIC_ENABLE) / PLIC_ENABLE_STRIDE);
		unsigned w = (unsigned)((off - PLIC_ENABLE) % PLIC_ENABLE_STRIDE / 4);
		if (ctx < p->ncontexts && w < PLIC_WORDS)
			p->enable[ctx][w] = w == 0 ? v & ~1u : v; /* source 0 does not exist */
	} else {
		unsigned ctx = (unsigned)((off - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE);
		unsigned reg = (unsigned)((off - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE);
		if (ctx < p->ncontexts && reg == 0)
			p->threshold[ctx] = v & 7;
		else if (ctx < p->ncontexts && reg == 4)
			plic_complete_locked(p, ctx, v);
	}
	plic_update(p);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static int plic_board_create(const struct vm_board *b, unsigned i, void **dev, berth_error_t *err)
{
	(void)i;
	(void)err;
	*dev = plic_create(2 * b->nharts, b->plic_notify, b->opaque);
	return 0;
}

static void plic_board_destroy(void *dev)
{
	plic_destroy(dev);
}

/* snapshots: the registers and lines; the outputs are raised again from them */
struct plic_state {
	uint32_t priority[PLIC_NUM_SOURCES];
	uint32_t level[PLIC_WORDS], pending[PLIC_WORDS], claimed[PLIC_WORDS];
	uint32_t enable[PLIC_MAX_CONTEXTS][PLIC_WORDS];
	uint32_t threshold[PLIC_MAX_CONTEXTS];
};

static void plic_save(void *dev, struct vm_snap_writer *w, uint32_t inst)
{
	struct plic *p = dev;
	struct plic_state st;

	pthread_mutex_lock(&p->lock);
	memcpy(st.priority, p->priority, sizeof(st.priority));
	memcpy(st.level, p->level, sizeof(st.level));
	memcpy(st.pending, p->pending, sizeof(st.pending));
	memcpy(st.claimed, p->claimed, sizeof(st.claimed));
	memcpy(st.enable, p->enable, sizeof(st.enable));
	memcpy(st.threshold, p->threshold, sizeof(st.threshold));
	pthread_mutex_unlock(&p->lock);
	vm_snap_put(w, "PLIC", inst, &st, sizeof(st));
}

static int plic_load(void *dev, const struct vm_snap_reader *r, uint32_t inst, berth_error_t *err)
{
	struct plic *p = dev;
	const struct plic_state *st = vm_snap_get(r, "PLIC", inst, sizeof(*st), NULL, err);

	if (st == NULL)
		return -1;
	pthread_mutex_lock(&p->lock);
	memcpy(p->priority, st->priority, sizeof(st->priority));
	memcpy(p->level, st->level, sizeof(st->level));
	memcpy(p->pending, st->pending, sizeof(st->pending));
	memcpy(p->claimed, st->claimed, sizeof(st->claimed));
	memcpy(p->enable, st->enable, sizeof(st->enable));
	memcpy(p->threshold, st->threshold, sizeof(st->threshold));
	for (unsigned i = 0; i < PLIC_NUM_SOURCES; i++)
		p->priority[i] &= 7;
	for (unsigned c = 0; c < PLIC_MAX_CONTEXTS; c++)
		p->out[c] = false;
	plic_update(p);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

VM_DEVICE(vm_device_plic, .name = "plic", .base = 0xc000000, .size = PLIC_SIZE,
          .access = VM_ACCESS_4, .in_fdt = true,
          VM_FDT_COMPATIBLE("sifive,plic-1.0.0\0riscv,plic0"), .phandle = VM_PH_PLIC,
          .interrupt_controller = true,
          /* the M-mode contexts are the firmware's: absent, as OpenSBI leaves them */
          .hart_irqs = {0xffffffff, 9}, .props = {{"riscv,ndev", PLIC_NUM_SOURCES - 1}},
          .create = plic_board_create, .read = plic_read, .write = plic_write,
          .destroy = plic_board_destroy, .save = plic_save, .load = plic_load);
