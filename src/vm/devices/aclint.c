/* SPDX-License-Identifier: MIT */
/* The SiFive CLINT layout of QEMU virt (ACLINT MSWI + MTIMER): msip at 0x0 + 4*hart,
 * mtimecmp at 0x4000 + 8*hart, mtime at 0xbff8. mtime is the machine's `time` (host
 * CLOCK_MONOTONIC in timebase ticks) and cannot be written. This belongs to M-mode: Linux
 * in S-mode never touches it (timer and IPIs come through the SBI and Sstc), so MTIP is
 * evaluated when mtimecmp is written and not by a timer of its own. */
#include "devices.h"
#include "../cpu.h"
#include "util.h"

#include <pthread.h>
#include <string.h>

#define ACLINT_MAX_HARTS 8
#define ACLINT_MSIP      0x0000
#define ACLINT_MTIMECMP  0x4000
#define ACLINT_MTIME     0xbff8

struct aclint {
	pthread_mutex_t lock;
	struct vcpu *harts[ACLINT_MAX_HARTS];
	unsigned nharts;
	uint64_t (*time)(void *);
	void *time_opaque;
	uint32_t msip[ACLINT_MAX_HARTS];
	uint64_t mtimecmp[ACLINT_MAX_HARTS];
};

struct aclint *aclint_create(struct vcpu **harts, unsigned nharts, uint64_t (*time)(void *),
                             void *time_opaque)
{
	struct aclint *a = xmalloc0(sizeof(*a));

	pthread_mutex_init(&a->lock, NULL);
	if (nharts > ACLINT_MAX_HARTS)
		nharts = ACLINT_MAX_HARTS;
	for (unsigned i = 0; i < nharts; i++) {
		a->harts[i] = harts != NULL ? harts[i] : NULL;
		a->mtimecmp[i] = UINT64_MAX;
	}
	a->nharts = nharts;
	a->time = time;
	a->time_opaque = time_opaque;
	return a;
}

void aclint_destroy(struct aclint *a)
{
	if (a == NULL)
		return;
	pthread_mutex_destroy(&a->lock);
	free(a);
}

static uint64_t aclint_now(struct aclint *a)
{
	return a->time != NULL ? a->time(a->time_opaque) : 0;
}

int aclint_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct aclint *a = dev;
	uint64_t v = 0, base = off & ~7ull;
	unsigned shift = (unsigned)(off & 4) * 8;

	pthread_mutex_lock(&a->lock);
	if (off < ACLINT_MTIMECMP) {
		unsigned h = (unsigned)(off / 4);
		v = h < a->nharts ? a->msip[h] : 0;
		shift = 0;
	} else if (base == ACLINT_MTIME) {
		v = aclint_now(a);
	} else if (off < ACLINT_MTIMECMP + 8 * ACLINT_MAX_HARTS) {
		unsigned h = (unsigned)((base - ACLINT_MTIMECMP) / 8);
		v = h < a->nharts ? a->mtimecmp[h] : 0;
	}
	pthread_mutex_unlock(&a->lock);
	v >>= shift;
	*val = size == 4 ? (uint32_t)v : v;
	return 0;
}

int aclint_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct aclint *a = dev;
	uint64_t base = off & ~7ull;

	pthread_mutex_lock(&a->lock);
	if (off < ACLINT_MTIMECMP) {
		unsigned h = (unsigned)(off / 4);
		if (h < a->nharts) {
			a->msip[h] = val & 1;
			if (a->harts[h] != NULL)
				vcpu_set_irq(a->harts[h], VCPU_IRQ_MSIP, val & 1);
		}
	} else if (base >= ACLINT_MTIMECMP && base < ACLINT_MTIMECMP + 8 * ACLINT_MAX_HARTS) {
		unsigned h = (unsigned)((base - ACLINT_MTIMECMP) / 8);
		if (h < a->nharts) {
			uint64_t cmp = a->mtimecmp[h];
			if (size == 8)
				cmp = val;
			else if (off & 4)
				cmp = (cmp & 0xffffffffull) | (val << 32);
			else
				cmp = (cmp & ~0xffffffffull) | (uint32_t)val;
			a->mtimecmp[h] = cmp;
			if (a->harts[h] != NULL)
				vcpu_set_irq(a->harts[h], VCPU_IRQ_MTIP, aclint_now(a) >= cmp);
		}
	}
	pthread_mutex_unlock(&a->lock);
	return 0;
}

static int aclint_board_create(const struct vm_board *b, unsigned i, void **dev, berth_error_t *err)
{
	(void)i;
	(void)err;
	*dev = aclint_create(b->harts, b->nharts, b->time, b->opaque);
	return 0;
}

static void aclint_board_destroy(void *dev)
{
	aclint_destroy(dev);
}

/* snapshots: msip and mtimecmp (the harts' lines are in their own state) */
struct aclint_state {
	uint32_t msip[ACLINT_MAX_HARTS];
	uint64_t mtimecmp[ACLINT_MAX_HARTS];
};

static void aclint_save(void *dev, struct vm_snap_writer *w, uint32_t inst)
{
	struct aclint *a = dev;
	struct aclint_state st;

	pthread_mutex_lock(&a->lock);
	memcpy(st.msip, a->msip, sizeof(st.msip));
	memcpy(st.mtimecmp, a->mtimecmp, sizeof(st.mtimecmp));
	pthread_mutex_unlock(&a->lock);
	vm_snap_put(w, "CLNT", inst, &st, sizeof(st));
}

static int aclint_load(void *dev, const struct vm_snap_reader *r, uint32_t inst, berth_error_t *err)
{
	struct aclint *a = dev;
	const struct aclint_state *st = vm_snap_get(r, "CLNT", inst, sizeof(*st), NULL, err);

	if (st == NULL)
		return -1;
	pthread_mutex_lock(&a->lock);
	memcpy(a->msip, st->msip, sizeof(st->msip));
	memcpy(a->mtimecmp, st->mtimecmp, sizeof(st->mtimecmp));
	pthread_mutex_unlock(&a->lock);
	return 0;
}

VM_DEVICE(vm_device_aclint, .name = "clint", .base = 0x2000000, .size = ACLINT_SIZE,
          .access = VM_ACCESS_4 | VM_ACCESS_8, .in_fdt = true,
          VM_FDT_COMPATIBLE("sifive,clint0\0riscv,clint0"), .hart_irqs = {3, 7},
          .create = aclint_board_create, .read = aclint_read, .write = aclint_write,
          .destroy = aclint_board_destroy, .save = aclint_save, .load = aclint_load);
