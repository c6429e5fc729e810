/* SPDX-License-Identifier: MIT */
/* No translator for this host (jit.c's is x86-64 only): the interpreter runs. */
#include "riscv.h"

#include "codemap.h"

#include <errno.h>

#if !defined(__x86_64__)

bool rv_jit_written(struct vcpu *v, uintptr_t host, size_t len)
{
	(void)v;
	(void)host;
	(void)len;
	return false;
}

void vcpu_jit_stats_add(const struct vcpu *v, struct vcpu_jit_stats *s)
{
	(void)v;
	(void)s;
}

struct rv_jit *rv_jit_create(struct vcpu *v)
{
	(void)v;
	errno = ENOSYS;
	return NULL;
}

size_t rv_jit_code_size = 32u << 20;
unsigned rv_jit_hot = RV_JIT_HOT;
bool rv_jit_bextr = true;

uint64_t rv_jit_full_flushes(const struct vcpu *v)
{
	(void)v;
	return 0;
}

bool vcpu_jit_available(void)
{
	return false;
}

struct rv_jit *rv_jit_new(const struct vcpu *v)
{
	(void)v;
	errno = ENOSYS;
	return NULL;
}

void rv_jit_free(struct rv_jit *j)
{
	(void)j;
}

void rv_jit_fence(struct vcpu *v)
{
	(void)v;
}

void rv_jit_idle(struct vcpu *v)
{
	(void)v;
}

void rv_jit_empty(struct vcpu *v)
{
	(void)v;
}

void rv_jit_age(struct vcpu *v, unsigned seconds)
{
	(void)v;
	(void)seconds;
}

size_t rv_jit_resident(const struct vcpu *v)
{
	(void)v;
	return 0;
}

void rv_jit_tlb_wrapped(struct rv_jit *j)
{
	(void)j;
}

uint64_t rv_jit_exec(struct vcpu *v, uint64_t budget)
{
	return rv_exec(v, budget);
}

#endif
