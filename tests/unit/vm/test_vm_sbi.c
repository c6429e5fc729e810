/* SPDX-License-Identifier: MIT */
/* The SBI against a fake vcpu (this test links sbi.c alone, with the vcpu_* below). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vm/cpu.h"
#include "vm/sbi.h"

#include <stdlib.h>
#include <string.h>

struct vcpu {
	unsigned id;
	uint64_t x[32];
	int hsm;
	uint64_t start_pc, start_a1, timer;
	bool irq[12];
	int tlb, icache;
};

struct vcpu *vcpu_create(const struct vcpu_platform *p, unsigned hartid)
{
	(void)p;
	(void)hartid;
	return NULL;
}
void vcpu_destroy(struct vcpu *v)
{
	(void)v;
}
void vcpu_start(struct vcpu *v, uint64_t pc, uint64_t a1)
{
	v->hsm = 0;
	v->start_pc = pc;
	v->start_a1 = a1;
}
void vcpu_stop_self(struct vcpu *v)
{
	v->hsm = 1;
}
int vcpu_hsm_status(const struct vcpu *v)
{
	return v->hsm;
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
	v->irq[irq] = level;
}
void vcpu_set_timer(struct vcpu *v, uint64_t when)
{
	v->timer = when;
}
void vcpu_flush_tlb(struct vcpu *v)
{
	v->tlb++;
}
void vcpu_flush_icache(struct vcpu *v)
{
	v->icache++;
}
uint64_t vcpu_get_reg(const struct vcpu *v, unsigned reg)
{
	return reg == 0 ? 0 : v->x[reg];
}
void vcpu_set_reg(struct vcpu *v, unsigned reg, uint64_t val)
{
	if (reg != 0)
		v->x[reg] = val;
}

#define RAM_BASE 0x80000000ull
#define NHARTS   4

static struct vcpu harts[NHARTS];
static struct vcpu *hart_ptrs[NHARTS];
static uint8_t ram[0x10000];
static char out[256];
static size_t out_len;
static int resets, last_reset = -1;

static void con_write(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque;
	if (out_len + len <= sizeof(out)) {
		memcpy(out + out_len, buf, len);
		out_len += len;
	}
}

static int con_getchar(void *opaque)
{
	static const char in[] = "ok";
	static unsigned pos;
	(void)opaque;
	return pos < 2 ? in[pos++] : -1;
}

static void reset(void *opaque, enum sbi_reset how, uint32_t reason)
{
	(void)opaque;
	(void)reason;
	resets++;
	last_reset = how;
}

static struct sbi sbi;

static int setup(void **state)
{
	(void)state;
	memset(harts, 0, sizeof(harts));
	for (unsigned i = 0; i < NHARTS; i++) {
		harts[i].id = i;
		harts[i].hsm = i == 0 ? 0 : 1;
		hart_ptrs[i] = &harts[i];
	}
	sbi = (struct sbi){
	    .harts = hart_ptrs,
	    .nharts = NHARTS,
	    .ram = {ram, RAM_BASE, sizeof(ram), NULL},
	    .console_write = con_write,
	    .console_getchar = con_getchar,
	    .system_reset = reset,
	};
	sbi_init(&sbi);
	out_len = 0;
	resets = 0;
	last_reset = -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sbi_fini(&sbi);
	return 0;
}

/* ecall from hart h; returns a0 (error), *val = a1 */
static long call(unsigned h, uint64_t eid, uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2,
                 uint64_t *val)
{
	struct vcpu *v = &harts[h];
	v->x[17] = eid;
	v->x[16] = fid;
	v->x[10] = a0;
	v->x[11] = a1;
	v->x[12] = a2;
	sbi_call(&sbi, v);
	if (val != NULL)
		*val = v->x[11];
	return (long)v->x[10];
}

static void test_base(void **state)
{
	(void)state;
	uint64_t v;

	assert_int_equal(call(0, SBI_EXT_BASE, 0, 0, 0, 0, &v), 0);
	assert_int_equal(v, 2u << 24);
	assert_int_equal(call(0, SBI_EXT_BASE, 1, 0, 0, 0, &v), 0);
	assert_int_equal(v, SBI_IMPL_ID);
	uint64_t exts[] = {SBI_EXT_TIME, SBI_EXT_IPI,  SBI_EXT_RFENCE,        SBI_EXT_HSM,
	                   SBI_EXT_SRST, SBI_EXT_DBCN, SBI_EXT_LEGACY_PUTCHAR};
	for (unsigned i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		assert_int_equal(call(0, SBI_EXT_BASE, 3, exts[i], 0, 0, &v), 0);
		assert_int_equal(v, 1);
	}
	assert_int_equal(call(0, SBI_EXT_BASE, 3, 0x504d55 /* PMU */, 0, 0, &v), 0);
	assert_int_equal(v, 0);
	for (unsigned fid = 4; fid <= 6; fid++) {
		assert_int_equal(call(0, SBI_EXT_BASE, fid, 0, 0, 0, &v), 0);
		assert_int_equal(v, 0);
	}
	assert_int_equal(call(0, SBI_EXT_BASE, 99, 0, 0, 0, NULL), SBI_ERR_NOT_SUPPORTED);
	assert_int_equal(call(0, 0x12345678, 0, 0, 0, 0, NULL), SBI_ERR_NOT_SUPPORTED);
}

static void test_timer(void **state)
{
	(void)state;
	assert_int_equal(call(1, SBI_EXT_TIME, 0, 12345, 0, 0, NULL), 0);
	assert_int_equal(harts[1].timer, 12345);
	call(2, SBI_EXT_LEGACY_SET_TIMER, 0, 777, 0, 0, NULL);
	assert_int_equal(harts[2].timer, 777);
}

static void test_ipi(void **state)
{
	(void)state;
	assert_int_equal(call(0, SBI_EXT_IPI, 0, 0x5, 0, 0, NULL), 0); /* harts 0 and 2 */
	assert_true(harts[0].irq[VCPU_IRQ_SSIP]);
	assert_false(harts[1].irq[VCPU_IRQ_SSIP]);
	assert_true(harts[2].irq[VCPU_IRQ_SSIP]);
	assert_int_equal(call(0, SBI_EXT_IPI, 0, 0x1, 3, 0, NULL), 0); /* base 3: hart 3 */
	assert_true(harts[3].irq[VCPU_IRQ_SSIP]);
	memset(harts[1].irq, 0, sizeof(harts[1].irq));
	assert_int_equal(call(0, SBI_EXT_IPI, 0, 0, UINT64_MAX, 0, NULL), 0); /* all */
	assert_true(harts[1].irq[VCPU_IRQ_SSIP]);
	/* a hart that does not exist fails the call, and no one is interrupted */
	memset(harts[1].irq, 0, sizeof(harts[1].irq));
	assert_int_equal(call(0, SBI_EXT_IPI, 0, 0x3, 3, 0, NULL), SBI_ERR_INVALID_PARAM);
	assert_int_equal(call(0, SBI_EXT_IPI, 0, 1, 1ull << 40, 0, NULL), SBI_ERR_INVALID_PARAM);
	assert_int_equal(call(0, SBI_EXT_IPI, 0, 1ull << 63, 0, 0, NULL), SBI_ERR_INVALID_PARAM);
	assert_false(harts[1].irq[VCPU_IRQ_SSIP]);
}

static void test_rfence(void **state)
{
	(void)state;
	assert_int_equal(call(0, SBI_EXT_RFENCE, 0, 0x3, 0, 0, NULL), 0);
	assert_int_equal(harts[0].icache, 1);
	assert_int_equal(harts[1].icache, 1);
	assert_int_equal(harts[2].icache, 0);
	assert_int_equal(call(0, SBI_EXT_RFENCE, 1, 0x4, 0, 0, NULL), 0);
	assert_int_equal(harts[2].tlb, 1);
	assert_int_equal(call(0, SBI_EXT_RFENCE, 2, 0x1, 1, 0, NULL), 0);
	assert_int_equal(harts[1].tlb, 1);
	assert_int_equal(call(0, SBI_EXT_RFENCE, 3, 0x1, 0, 0, NULL), SBI_ERR_NOT_SUPPORTED);
}

static void test_hsm(void **state)
{
	(void)state;
	uint64_t v;

	assert_int_equal(call(0, SBI_EXT_HSM, 2, 1, 0, 0, &v), 0);
	assert_int_equal(v, 1); /* stopped */
	assert_int_equal(call(0, SBI_EXT_HSM, 0, 1, RAM_BASE + 0x200, 0xabc, NULL), 0);
	assert_int_equal(harts[1].hsm, 0);
	assert_int_equal(harts[1].start_pc, RAM_BASE + 0x200);
	assert_int_equal(harts[1].start_a1, 0xabc);
	assert_int_equal(call(0, SBI_EXT_HSM, 0, 1, RAM_BASE, 0, NULL), SBI_ERR_ALREADY_AVAILABLE);
	assert_int_equal(call(0, SBI_EXT_HSM, 0, 9, RAM_BASE, 0, NULL), SBI_ERR_INVALID_PARAM);
	assert_int_equal(call(0, SBI_EXT_HSM, 0, 2, 0x1000, 0, NULL), SBI_ERR_INVALID_ADDRESS);
	assert_int_equal(call(0, SBI_EXT_HSM, 2, 9, 0, 0, NULL), SBI_ERR_INVALID_PARAM);
	assert_int_equal(call(1, SBI_EXT_HSM, 1, 0, 0, 0, NULL), 0); /* hart_stop */
	assert_int_equal(harts[1].hsm, 1);
	assert_int_equal(call(1, SBI_EXT_HSM, 3, 0, 0, 0, NULL), SBI_ERR_NOT_SUPPORTED);
}

static void test_srst(void **state)
{
	(void)state;
	assert_int_equal(call(0, SBI_EXT_SRST, 0, 5, 0, 0, NULL), SBI_ERR_INVALID_PARAM);
	assert_int_equal(resets, 0);
	call(0, SBI_EXT_SRST, 0, 0, 0, 0, NULL);
	assert_int_equal(last_reset, SBI_RESET_SHUTDOWN);
	assert_int_equal(harts[0].hsm, 1); /* parked */
	call(1, SBI_EXT_SRST, 0, 1, 0, 0, NULL);
	assert_int_equal(last_reset, SBI_RESET_REBOOT);
	call(2, SBI_EXT_SRST, 0, 2, 1, 0, NULL);
	assert_int_equal(last_reset, SBI_RESET_REBOOT);
	call(3, SBI_EXT_LEGACY_SHUTDOWN, 0, 0, 0, 0, NULL);
	assert_int_equal(last_reset, SBI_RESET_SHUTDOWN);
	assert_int_equal(resets, 4);
}

static void test_console(void **state)
{
	(void)state;
	uint64_t v;

	memcpy(ram + 0x100, "hello", 5);
	assert_int_equal(call(0, SBI_EXT_DBCN, 0, 5, RAM_BASE + 0x100, 0, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(call(0, SBI_EXT_DBCN, 2, '!', 0, 0, NULL), 0);
	call(0, SBI_EXT_LEGACY_PUTCHAR, 0, '?', 0, 0, NULL);
	assert_int_equal(out_len, 7);
	assert_memory_equal(out, "hello!?", 7);
	/* outside RAM, across its end, wrapping around, high half set */
	assert_int_equal(call(0, SBI_EXT_DBCN, 0, 5, 0x1000, 0, NULL), SBI_ERR_INVALID_PARAM);
	assert_int_equal(call(0, SBI_EXT_DBCN, 0, 0x20, RAM_BASE + sizeof(ram) - 8, 0, NULL),
	                 SBI_ERR_INVALID_PARAM);
	assert_int_equal(call(0, SBI_EXT_DBCN, 0, UINT64_MAX, RAM_BASE, 0, NULL),
	                 SBI_ERR_INVALID_PARAM);
	assert_int_equal(call(0, SBI_EXT_DBCN, 0, 4, RAM_BASE, 1, NULL), SBI_ERR_INVALID_PARAM);
	assert_int_equal(out_len, 7);
	/* read */
	assert_int_equal(call(0, SBI_EXT_DBCN, 1, 8, RAM_BASE + 0x200, 0, &v), 0);
	assert_int_equal(v, 2);
	assert_memory_equal(ram + 0x200, "ok", 2);
	assert_int_equal((int64_t)call(0, SBI_EXT_LEGACY_GETCHAR, 0, 0, 0, 0, NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_base, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipi, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rfence, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hsm, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_srst, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_console, setup, teardown),
	};
	return cmocka_run_group_tests_name("vm_sbi", tests, NULL, NULL);
}
