/* SPDX-License-Identifier: MIT */
/* The translator's code buffer and tables, kept (jit.c translates and dispatches): the
 * figures, writes to pages that hold translations, flushes (full, fence.i, an idle hart's),
 * the heat's cooling, what stays resident, and freeing them. */
#include "jit_priv.h"

#if defined(__x86_64__)

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

long long rv_jit_ns_since(const struct timespec *then, const struct timespec *now)
{
	return (now->tv_sec - then->tv_sec) * 1000000000LL + (now->tv_nsec - then->tv_nsec);
}

/* Zeroes n bytes at p of the hart's own anonymous memory (struct rv_jit): the whole pages
 * are given back to the kernel (they read as zeros and come back on a write), the rest is
 * cleared. */
void rv_jit_zero(void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p, e = a + n;
	uintptr_t pa = (a + JIT_PAGE - 1) & ~(uintptr_t)(JIT_PAGE - 1),
	          pe = e & ~(uintptr_t)(JIT_PAGE - 1);

	if (pe <= pa || madvise((void *)pa, pe - pa, MADV_DONTNEED) != 0) {
		memset(p, 0, n);
		return;
	}
	memset(p, 0, pa - a);
	memset((void *)pe, 0, e - pe);
}

/* Every translation dropped; the tables' and the code's pages (but the lookup stub's) are
 * given back to the kernel, so a flushed buffer holds no memory until it fills again. */
void rv_jit_flush(struct rv_jit *j)
{
	size_t keep = (j->stub_end + JIT_PAGE - 1) & ~(size_t)(JIT_PAGE - 1);

	rv_jit_zero(j->buckets, sizeof(j->buckets));
	rv_jit_zero(j->jc, sizeof(j->jc)); /* (the code map is shared: it stays) */
	rv_jit_zero(j->pend, sizeof(j->pend));
	/* no load uses a copy now: they are handed out from the first again */
	rv_jit_zero(j->lc, sizeof(j->lc));
	j->lc_next = 0;
	/* (the heat stays: code that was hot is translated again at its next run) */
	/* the memfd's pages: both views lose them (a translation may have been cut short
	 * past used, so up to the end) */
	if (keep < j->size)
		(void)madvise(j->rw + keep, j->size - keep, MADV_REMOVE);
	j->used = j->stub_end;
	j->flushes++;
	clock_gettime(CLOCK_MONOTONIC, &j->flushed_at);
	j->flushed_ns = j->translate_ns;
}

void vcpu_jit_stats_add(const struct vcpu *v, struct vcpu_jit_stats *s)
{
	const struct rv_jit *j = v->jit;

	if (j == NULL)
		return;
	s->blocks += j->blocks;
	s->code_bytes += j->used;
	s->code_size += j->size;
	s->flushes += j->full;
	s->idle_flushes += j->idle;
	s->chained += v->jit_chained;
	s->dispatched += j->dispatched;
	s->stale += j->stale;
	s->translate_ns += j->translate_ns;
	s->interp_runs += j->interp_runs;
}

bool rv_jit_written(struct vcpu *v, uintptr_t host, size_t len)
{
	struct rv_jit *j = v->jit;
	uintptr_t off = host - (uintptr_t)j->ram;
	uint64_t first = off >> 12, last = (off + len - 1) >> 12;

	if (last > (j->ram_size - 1) >> 12)
		last = (j->ram_size - 1) >> 12;
	code_map_pages_written(j->has_code, j->page_gen_map, j->epoch, first, last);
	j->smc++;
	v->code_hit = true;
	return true;
}

/* (the pages given back, not zeroed in place: only the copies loads use again come back) */
void rv_jit_tlb_wrapped(struct rv_jit *j)
{
	rv_jit_zero(j->lc, sizeof(j->lc));
}

void rv_jit_fence(struct vcpu *v)
{
	v->jit->fences++;
	__atomic_fetch_add(v->jit->epoch, 1, __ATOMIC_SEQ_CST);
}

size_t rv_jit_code_size = 32u << 20;

uint64_t rv_jit_full_flushes(const struct vcpu *v)
{
	return v->jit != NULL ? v->jit->full : 0;
}

/* Every heat count halved (JIT_COOL_NS): only the slots in use are written, so the table's
 * untouched pages stay untouched. */
static void rv_jit_cool(struct rv_jit *j, const struct timespec *now)
{
	if (rv_jit_ns_since(&j->cooled_at, now) < JIT_COOL_NS)
		return;
	j->cooled_at = *now;
	j->cooled++;
	for (unsigned i = 0; i < JIT_HEAT_SIZE; i++) {
		struct rv_jit_heat *h = &j->heat[i];
		if (h->runs != 0 || h->total != 0) {
			h->runs >>= 1;
			h->total >>= 1;
		}
	}
}

void rv_jit_idle(struct vcpu *v)
{
	struct rv_jit *j = v->jit;
	struct timespec now;
	long long since, cost;

	if (j == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	rv_jit_cool(j, &now);
	if (j->used - j->stub_end <= JIT_IDLE_BYTES)
		return;
	since = rv_jit_ns_since(&j->flushed_at, &now);
	cost = (long long)(j->translate_ns - j->flushed_ns) * JIT_IDLE_RATIO;
	if (since < JIT_IDLE_NS || since < j->idle_ns || since < cost)
		return;
	j->idle++;
	j->idle_ns = j->idle_ns < JIT_IDLE_NS       ? 2 * JIT_IDLE_NS
	             : j->idle_ns < JIT_IDLE_MAX_NS ? 2 * j->idle_ns
	                                            : JIT_IDLE_MAX_NS;
	rv_jit_flush(j);
}

void rv_jit_empty(struct vcpu *v)
{
	if (v->jit != NULL)
		rv_jit_flush(v->jit);
}

void rv_jit_age(struct vcpu *v, unsigned seconds)
{
	if (v->jit != NULL) {
		v->jit->flushed_at.tv_sec -= seconds;
		v->jit->cooled_at.tv_sec -= seconds;
	}
}

size_t rv_jit_resident(const struct vcpu *v)
{
	const struct rv_jit *j = v->jit;
	size_t pages, n = 0;
	unsigned char *vec;

	if (j == NULL)
		return 0;
	pages = j->size / JIT_PAGE;
	vec = malloc(pages);
	if (vec == NULL || mincore(j->rw, j->size, vec) != 0) {
		free(vec);
		return SIZE_MAX;
	}
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	free(vec);
	return n * JIT_PAGE;
}

void rv_jit_free(struct rv_jit *j)
{
	if (j == NULL)
		return;
	if (getenv("BERTH_JIT_STATS") != NULL)
		fprintf(stderr,
		        "jit: %llu blocks, %llu stale after fence.i or code writes, %llu full "
		        "flushes, %llu when idle; %llu fences, %llu code writes\n",
		        (unsigned long long)j->blocks, (unsigned long long)j->stale,
		        (unsigned long long)j->full, (unsigned long long)j->idle,
		        (unsigned long long)j->fences, (unsigned long long)j->smc);
	munmap(j->rw, j->size);
	munmap(j->rx, j->size);
	free(j->code_pages);
	free(j->page_gen);
	munmap(j, sizeof(*j));
}

#endif
