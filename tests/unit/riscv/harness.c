/* SPDX-License-Identifier: MIT */
#include "harness.h"

#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static uint64_t h_time(void *opaque)
{
	struct timespec ts;
	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* 10 MHz timebase like QEMU's virt */
	return (uint64_t)ts.tv_sec * 10000000ULL + (uint64_t)ts.tv_nsec / 100;
}

static int h_mmio_read(void *opaque, uint64_t addr, unsigned size, uint64_t *val)
{
	struct harness *h = opaque;
	if (addr < H_MMIO_BASE || addr >= H_MMIO_BASE + 8)
		return -1;
	h->mmio_reads++;
	*val = h->mmio_reg >> (8 * (addr - H_MMIO_BASE));
	if (size < 8)
		*val &= (1ULL << (8 * size)) - 1;
	return 0;
}

static int h_mmio_write(void *opaque, uint64_t addr, unsigned size, uint64_t val)
{
	struct harness *h = opaque;
	if (addr == H_MMIO_BASE + 8 && size == 8) { /* exit register for M-mode programs */
		h->result = val;
		h->done = val == 0 ? 1 : 2;
		vcpu_kick(h->v, VCPU_EXIT_SHUTDOWN);
		return 0;
	}
	if (addr < H_MMIO_BASE || addr >= H_MMIO_BASE + 8)
		return -1;
	(void)size;
	h->mmio_writes++;
	h->mmio_reg = val;
	return 0;
}

static void h_sbi(void *opaque, struct vcpu *v)
{
	struct harness *h = opaque;
	uint64_t eid = vcpu_get_reg(v, 17);

	h->sbi_calls++;
	if (eid == H_SBI_EID_TEST) {
		uint64_t a0 = vcpu_get_reg(v, 10);
		h->result = a0;
		h->done = a0 == 0 ? 1 : 2;
		vcpu_kick(v, VCPU_EXIT_SHUTDOWN);
		return;
	}
	if (eid == 0x53525354) { /* SRST: a1 = reason, 0 = none */
		h->result = vcpu_get_reg(v, 11);
		h->done = h->result == 0 ? 1 : 2;
		vcpu_kick(v, VCPU_EXIT_SHUTDOWN);
		return;
	}
	if (eid == 1) { /* legacy console_putchar */
		if (h->outlen + 1 < sizeof(h->out))
			h->out[h->outlen++] = (char)vcpu_get_reg(v, 10);
		vcpu_set_reg(v, 10, 0);
		return;
	}
	if (eid == 0x54494d45) { /* TIME set_timer */
		vcpu_set_timer(v, vcpu_get_reg(v, 10));
		vcpu_set_reg(v, 10, 0);
		return;
	}
	if (h->sbi_hook) {
		h->sbi_hook(h, v);
		return;
	}
	vcpu_set_reg(v, 10, (uint64_t)-2); /* SBI_ERR_NOT_SUPPORTED */
}

bool h_accel_jit(void)
{
	const char *a = getenv("RISCV_ACCEL");
	return a != NULL && strcmp(a, "jit") == 0;
}

struct harness *h_new(void)
{
	return h_new_accel(h_accel_jit());
}

struct harness *h_new_accel(bool jit)
{
	struct harness *h = xmalloc0(sizeof(*h));
	const char *hot = getenv("RISCV_JIT_HOT"); /* blocks translated on their Nth run */

	if (hot != NULL)
		rv_jit_hot = (unsigned)strtoul(hot, NULL, 10);
	h->ram = xmalloc0(H_RAM_SIZE);
	h->plat.opaque = h;
	h->plat.ram = h->ram;
	h->plat.ram_base = H_RAM_BASE;
	h->plat.ram_size = H_RAM_SIZE;
	h->plat.timebase_hz = 10000000;
	h->plat.time = h_time;
	h->plat.mmio_read = h_mmio_read;
	h->plat.mmio_write = h_mmio_write;
	h->plat.sbi_call = h_sbi;
	h->plat.jit = jit;
	h->v = vcpu_create(&h->plat, 0);
	return h;
}

void h_free(struct harness *h)
{
	if (!h)
		return;
	vcpu_destroy(h->v);
	free(h->ram);
	free(h);
}

void h_put(struct harness *h, uint64_t pa, const void *data, size_t len)
{
	if (pa < H_RAM_BASE || pa - H_RAM_BASE + len > H_RAM_SIZE)
		abort();
	memcpy(h->ram + (pa - H_RAM_BASE), data, len);
}

void h_put32(struct harness *h, uint64_t pa, uint32_t insn)
{
	h_put(h, pa, &insn, 4);
}

void h_put64(struct harness *h, uint64_t pa, uint64_t val)
{
	h_put(h, pa, &val, 8);
}

uint64_t h_get64(struct harness *h, uint64_t pa)
{
	uint64_t x;
	if (pa < H_RAM_BASE || pa - H_RAM_BASE + 8 > H_RAM_SIZE)
		abort();
	memcpy(&x, h->ram + (pa - H_RAM_BASE), 8);
	return x;
}

int h_load_file(struct harness *h, const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t n;
	if (f == NULL)
		return -1;
	n = fread(h->ram, 1, H_RAM_SIZE, f);
	fclose(f);
	return n > 0 ? 0 : -1;
}

struct watchdog {
	struct harness *h;
	double seconds;
	pthread_mutex_t m;
	pthread_cond_t c;
	bool stop;
};

static void *h_watchdog(void *arg)
{
	struct watchdog *w = arg;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)w->seconds;
	ts.tv_nsec += (long)((w->seconds - (double)(time_t)w->seconds) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->m);
	while (!w->stop) {
		if (pthread_cond_timedwait(&w->c, &w->m, &ts) != 0) {
			if (!w->stop)
				vcpu_kick(w->h->v, VCPU_EXIT_ERROR);
			break;
		}
	}
	pthread_mutex_unlock(&w->m);
	return NULL;
}

int h_run(struct harness *h, uint64_t pc, bool mmode, double seconds)
{
	struct watchdog w = {.h = h, .seconds = seconds};
	pthread_t t;

	pthread_mutex_init(&w.m, NULL);
	pthread_cond_init(&w.c, NULL);
	h->done = 0;
	if (mmode)
		rv_vcpu_start_m(h->v, pc);
	else
		vcpu_start(h->v, pc, 1);
	pthread_create(&t, NULL, h_watchdog, &w);
	vcpu_run(h->v);
	pthread_mutex_lock(&w.m);
	w.stop = true;
	pthread_cond_signal(&w.c);
	pthread_mutex_unlock(&w.m);
	pthread_join(t, NULL);
	pthread_cond_destroy(&w.c);
	pthread_mutex_destroy(&w.m);
	return h->done;
}

void h_reset(struct harness *h, uint64_t pc, bool mmode)
{
	if (mmode)
		rv_vcpu_start_m(h->v, pc);
	else
		vcpu_start(h->v, pc, 1);
	rv_apply_pending_start(h->v);
}

void h_step(struct harness *h, uint64_t n)
{
	/* tests rewrite code in place without fence.i */
	rv_icache_flush(h->v);
	while (n > 0) {
		uint64_t done = h->v->jit != NULL ? rv_jit_exec(h->v, n) : rv_exec(h->v, n);
		if (done == 0) {
			/* async flags pending (e.g. IRQ): clear the benign ones */
			__atomic_fetch_and(
			    &h->v->async,
			    ~(uint32_t)(RV_ASYNC_IRQ | RV_ASYNC_TLB | RV_ASYNC_ICACHE),
			    __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&h->v->async, __ATOMIC_SEQ_CST))
				return;
			continue;
		}
		if (done >= n) /* a translated block may run past the budget */
			break;
		n -= done;
	}
}

int h_run_no_fence(struct harness *h, struct vcpu *v, uint64_t pc)
{
	h->done = 0;
	v->pc = pc;
	__atomic_store_n(&v->async, 0, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < 1000 && h->done == 0; i++) {
		rv_jit_exec(v, 100000);
		__atomic_fetch_and(&v->async, ~(uint32_t)(RV_ASYNC_IRQ | RV_ASYNC_TLB),
		                   __ATOMIC_SEQ_CST);
		__atomic_store_n(&v->exit_why, 0, __ATOMIC_SEQ_CST);
	}
	return h->done;
}
