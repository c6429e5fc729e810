/* SPDX-License-Identifier: MIT */
#include "sbi.h"
#include "codemap.h"
#include "cpu.h"

#include <string.h>

#define REG_A0 10
#define REG_A1 11

void sbi_init(struct sbi *s)
{
	pthread_mutex_init(&s->hsm_lock, NULL);
}

void sbi_fini(struct sbi *s)
{
	pthread_mutex_destroy(&s->hsm_lock);
}

static uint64_t arg(struct vcpu *v, unsigned i)
{
	return vcpu_get_reg(v, REG_A0 + i);
}

static void ret(struct vcpu *v, long err, uint64_t val)
{
	vcpu_set_reg(v, REG_A0, (uint64_t)err);
	vcpu_set_reg(v, REG_A1, val);
}

static bool sbi_probe(uint64_t eid)
{
	switch (eid) {
	case SBI_EXT_LEGACY_SET_TIMER:
	case SBI_EXT_LEGACY_PUTCHAR:
	case SBI_EXT_LEGACY_GETCHAR:
	case SBI_EXT_LEGACY_SHUTDOWN:
	case SBI_EXT_BASE:
	case SBI_EXT_TIME:
	case SBI_EXT_IPI:
	case SBI_EXT_RFENCE:
	case SBI_EXT_HSM:
	case SBI_EXT_SRST:
	case SBI_EXT_DBCN:
		return true;
	}
	return false;
}

/* Apply fn to every hart of (mask, base); base -1 means all harts. */
static long for_harts(struct sbi *s, uint64_t mask, uint64_t base,
                      void (*fn)(struct vcpu *target, void *ctx), void *ctx)
{
	if (base == UINT64_MAX) {
		for (unsigned i = 0; i < s->nharts; i++)
			fn(s->harts[i], ctx);
		return SBI_SUCCESS;
	}
	/* check first: a bad hart id fails the whole call */
	for (unsigned b = 0; b < 64; b++)
		if (((mask >> b) & 1) && (base >= s->nharts || b >= s->nharts - base))
			return SBI_ERR_INVALID_PARAM;
	for (unsigned b = 0; b < 64; b++)
		if ((mask >> b) & 1)
			fn(s->harts[base + b], ctx);
	return SBI_SUCCESS;
}

static void do_ipi(struct vcpu *t, void *ctx)
{
	(void)ctx;
	vcpu_set_irq(t, VCPU_IRQ_SSIP, true);
}

static void do_fence_i(struct vcpu *t, void *ctx)
{
	(void)ctx;
	vcpu_flush_icache(t);
}

static void do_sfence(struct vcpu *t, void *ctx)
{
	(void)ctx;
	vcpu_flush_tlb(t);
}

static void sbi_base(struct vcpu *v, uint64_t fid)
{
	switch (fid) {
	case 0: /* get_spec_version: 2.0 */
		ret(v, SBI_SUCCESS, 2u << 24);
		break;
	case 1:
		ret(v, SBI_SUCCESS, SBI_IMPL_ID);
		break;
	case 2:
		ret(v, SBI_SUCCESS, 1);
		break;
	case 3:
		ret(v, SBI_SUCCESS, sbi_probe(arg(v, 0)));
		break;
	case 4: /* mvendorid, marchid, mimpid */
	case 5:
	case 6:
		ret(v, SBI_SUCCESS, 0);
		break;
	default:
		ret(v, SBI_ERR_NOT_SUPPORTED, 0);
	}
}

static void sbi_hsm(struct sbi *s, struct vcpu *v, uint64_t fid)
{
	uint64_t hartid = arg(v, 0);
	struct vcpu *t;

	switch (fid) {
	case 0: /* hart_start(hartid, start_addr, opaque) */
		if (hartid >= s->nharts) {
			ret(v, SBI_ERR_INVALID_PARAM, 0);
			break;
		}
		if (guest_ram_ptr(&s->ram, arg(v, 1), 4) == NULL) {
			ret(v, SBI_ERR_INVALID_ADDRESS, 0);
			break;
		}
		t = s->harts[hartid];
		pthread_mutex_lock(&s->hsm_lock);
		if (vcpu_hsm_status(t) != 1) {
			pthread_mutex_unlock(&s->hsm_lock);
			ret(v, SBI_ERR_ALREADY_AVAILABLE, 0);
			break;
		}
		vcpu_start(t, arg(v, 1), arg(v, 2));
		pthread_mutex_unlock(&s->hsm_lock);
		ret(v, SBI_SUCCESS, 0);
		break;
	case 1: /* hart_stop */
		ret(v, SBI_SUCCESS, 0);
		vcpu_stop_self(v);
		break;
	case 2: /* hart_get_status */
		if (hartid >= s->nharts)
			ret(v, SBI_ERR_INVALID_PARAM, 0);
		else
			ret(v, SBI_SUCCESS, (uint64_t)vcpu_hsm_status(s->harts[hartid]));
		break;
	default: /* hart_suspend is optional */
		ret(v, SBI_ERR_NOT_SUPPORTED, 0);
	}
}

static void sbi_dbcn(struct sbi *s, struct vcpu *v, uint64_t fid)
{
	uint64_t n = arg(v, 0), addr = arg(v, 1) | (arg(v, 2) << 32);
	uint8_t *p;

	switch (fid) {
	case 0: /* console_write(num_bytes, base_lo, base_hi) */
	case 1: /* console_read */
		p = guest_ram_ptr(&s->ram, addr, n);
		if (p == NULL) {
			ret(v, SBI_ERR_INVALID_PARAM, 0);
			break;
		}
		if (fid == 0) {
			if (s->console_write != NULL && n > 0)
				s->console_write(s->console, p, n);
			ret(v, SBI_SUCCESS, n);
		} else {
			uint64_t got = 0;
			int c;
			while (got < n && s->console_getchar != NULL &&
			       (c = s->console_getchar(s->console)) >= 0)
				p[got++] = (uint8_t)c;
			code_map_written(s->ram.code, p,
			                 got); /* (translated code there is stale) */
			ret(v, SBI_SUCCESS, got);
		}
		break;
	case 2: { /* console_write_byte */
		uint8_t c = (uint8_t)n;
		if (s->console_write != NULL)
			s->console_write(s->console, &c, 1);
		ret(v, SBI_SUCCESS, 0);
		break;
	}
	default:
		ret(v, SBI_ERR_NOT_SUPPORTED, 0);
	}
}

void sbi_call(struct sbi *s, struct vcpu *v)
{
	uint64_t eid = vcpu_get_reg(v, 17), fid = vcpu_get_reg(v, 16);
	long err;

	switch (eid) {
	case SBI_EXT_LEGACY_SET_TIMER:
		vcpu_set_timer(v, arg(v, 0));
		vcpu_set_reg(v, REG_A0, 0);
		break;
	case SBI_EXT_LEGACY_PUTCHAR: {
		uint8_t c = (uint8_t)arg(v, 0);
		if (s->console_write != NULL)
			s->console_write(s->console, &c, 1);
		vcpu_set_reg(v, REG_A0, 0);
		break;
	}
	case SBI_EXT_LEGACY_GETCHAR: {
		int c = s->console_getchar != NULL ? s->console_getchar(s->console) : -1;
		vcpu_set_reg(v, REG_A0, (uint64_t)(int64_t)c);
		break;
	}
	case SBI_EXT_LEGACY_SHUTDOWN:
		if (s->system_reset != NULL)
			s->system_reset(s->opaque, SBI_RESET_SHUTDOWN, 0);
		vcpu_stop_self(v); /* the call does not return */
		break;
	case SBI_EXT_BASE:
		sbi_base(v, fid);
		break;
	case SBI_EXT_TIME:
		if (fid == 0) {
			vcpu_set_timer(v, arg(v, 0));
			ret(v, SBI_SUCCESS, 0);
		} else {
			ret(v, SBI_ERR_NOT_SUPPORTED, 0);
		}
		break;
	case SBI_EXT_IPI:
		if (fid == 0)
			ret(v, for_harts(s, arg(v, 0), arg(v, 1), do_ipi, NULL), 0);
		else
			ret(v, SBI_ERR_NOT_SUPPORTED, 0);
		break;
	case SBI_EXT_RFENCE:
		if (fid == 0)
			err = for_harts(s, arg(v, 0), arg(v, 1), do_fence_i, NULL);
		else if (fid == 1 || fid == 2) /* sfence.vma, sfence.vma.asid: whole TLB */
			err = for_harts(s, arg(v, 0), arg(v, 1), do_sfence, NULL);
		else
			err = SBI_ERR_NOT_SUPPORTED; /* hypervisor fences: no H extension */
		ret(v, err, 0);
		break;
	case SBI_EXT_HSM:
		sbi_hsm(s, v, fid);
		break;
	case SBI_EXT_SRST:
		if (fid != 0) {
			ret(v, SBI_ERR_NOT_SUPPORTED, 0);
		} else if (arg(v, 0) > 2 || (arg(v, 1) > 1 && arg(v, 1) < 0xe0000000)) {
			ret(v, SBI_ERR_INVALID_PARAM, 0);
		} else {
			uint64_t type = arg(v, 0), reason = arg(v, 1);
			ret(v, SBI_SUCCESS, 0);
			if (s->system_reset != NULL)
				s->system_reset(s->opaque,
				                type == 0 ? SBI_RESET_SHUTDOWN : SBI_RESET_REBOOT,
				                (uint32_t)reason);
			vcpu_stop_self(v); /* the call does not return: park until the reset */
		}
		break;
	case SBI_EXT_DBCN:
		sbi_dbcn(s, v, fid);
		break;
	default:
		ret(v, SBI_ERR_NOT_SUPPORTED, 0);
	}
}
