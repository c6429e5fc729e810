/* SPDX-License-Identifier: MIT */
/* Built only while there is no CPU back end (riscv_src empty): every hart fails at once, so
 * that the machine, its devices and `berth vm` build and can be tested without one. */
#include "cpu.h"

#include <stdlib.h>

struct vcpu {
	unsigned hartid;
	int status;
	uint64_t regs[32];
};

struct vcpu *vcpu_create(const struct vcpu_platform *p, unsigned hartid)
{
	struct vcpu *v = calloc(1, sizeof(*v));

	(void)p;
	if (v != NULL) {
		v->hartid = hartid;
		v->status = 1;
	}
	return v;
}

void vcpu_destroy(struct vcpu *v)
{
	free(v);
}

unsigned vcpu_hartid(const struct vcpu *v)
{
	return v->hartid;
}

void vcpu_start(struct vcpu *v, uint64_t pc, uint64_t a1)
{
	(void)pc;
	(void)a1;
	v->status = 0;
}

void vcpu_stop_self(struct vcpu *v)
{
	v->status = 1;
}

int vcpu_hsm_status(const struct vcpu *v)
{
	return v->status;
}

enum vcpu_exit vcpu_run(struct vcpu *v)
{
	(void)v;
	return VCPU_EXIT_ERROR;
}

void vcpu_kick(struct vcpu *v, enum vcpu_exit why)
{
	(void)v;
	(void)why;
}

void vcpu_set_irq(struct vcpu *v, int irq, bool level)
{
	(void)v;
	(void)irq;
	(void)level;
}

void vcpu_set_timer(struct vcpu *v, uint64_t when)
{
	(void)v;
	(void)when;
}

void vcpu_flush_tlb(struct vcpu *v)
{
	(void)v;
}

void vcpu_flush_icache(struct vcpu *v)
{
	(void)v;
}

uint64_t vcpu_get_reg(const struct vcpu *v, unsigned reg)
{
	return reg < 32 && reg != 0 ? v->regs[reg] : 0;
}

void vcpu_set_reg(struct vcpu *v, unsigned reg, uint64_t val)
{
	if (reg < 32 && reg != 0)
		v->regs[reg] = val;
}

uint64_t vcpu_get_pc(const struct vcpu *v)
{
	(void)v;
	return 0;
}

uint64_t vcpu_instret(const struct vcpu *v)
{
	(void)v;
	return 0;
}

const char *vcpu_error(const struct vcpu *v)
{
	(void)v;
	return "no CPU back end in this build (src/vm/riscv is empty)";
}
