/* SPDX-License-Identifier: MIT */
/* PLIC: priorities, enables, thresholds, claim/complete, and the lines it drives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vm/devices/devices.h"

#include <string.h>

static bool lines[PLIC_MAX_CONTEXTS];
static unsigned changes;

static void notify(void *opaque, unsigned ctx, bool level)
{
	(void)opaque;
	lines[ctx] = level;
	changes++;
}

static void wr(struct plic *p, uint64_t off, uint32_t v)
{
	assert_int_equal(plic_write(p, off, 4, v), 0);
}

static uint32_t rd(struct plic *p, uint64_t off)
{
	uint64_t v;
	assert_int_equal(plic_read(p, off, 4, &v), 0);
	return (uint32_t)v;
}

#define PRIO(i)        (4u * (i))
#define ENABLE(ctx)    (0x2000u + 0x80u * (ctx))
#define THRESHOLD(ctx) (0x200000u + 0x1000u * (ctx))
#define CLAIM(ctx)     (THRESHOLD(ctx) + 4)

static void test_claim_complete(void **state)
{
	(void)state;
	struct plic *p = plic_create(4, notify, NULL);

	memset(lines, 0, sizeof(lines));
	wr(p, PRIO(10), 1);
	wr(p, ENABLE(1), 1u << 10); /* hart 0, S-mode */
	plic_set_irq(p, 10, true);
	assert_true(lines[1]);
	assert_false(lines[0]); /* M context not enabled */
	assert_int_equal(rd(p, 0x1000) & (1u << 10), 1u << 10);
	assert_int_equal(rd(p, CLAIM(1)), 10);
	assert_false(lines[1]); /* claimed: not pending any more */
	assert_int_equal(rd(p, CLAIM(1)), 0);
	/* still high at completion: pending again */
	wr(p, CLAIM(1), 10);
	assert_true(lines[1]);
	assert_int_equal(plic_claim(p, 1), 10);
	plic_set_irq(p, 10, false);
	plic_complete(p, 1, 10);
	assert_false(lines[1]);
	assert_int_equal(rd(p, 0x1000), 0);
	plic_destroy(p);
}

static void test_priority_and_threshold(void **state)
{
	(void)state;
	struct plic *p = plic_create(4, notify, NULL);

	memset(lines, 0, sizeof(lines));
	wr(p, PRIO(1), 2);
	wr(p, PRIO(2), 5);
	wr(p, ENABLE(3), (1u << 1) | (1u << 2)); /* hart 1, S-mode */
	plic_set_irq(p, 1, true);
	plic_set_irq(p, 2, true);
	assert_true(lines[3]);
	wr(p, THRESHOLD(3), 5);
	assert_false(lines[3]); /* nothing above 5 */
	assert_int_equal(rd(p, CLAIM(3)), 0);
	wr(p, THRESHOLD(3), 2);
	assert_true(lines[3]);
	assert_int_equal(rd(p, CLAIM(3)), 2); /* highest priority first */
	assert_false(lines[3]);               /* 1 has priority 2, not above threshold 2 */
	wr(p, THRESHOLD(3), 0);
	assert_int_equal(rd(p, CLAIM(3)), 1);
	/* priority 0 never interrupts */
	wr(p, PRIO(5), 0);
	wr(p, ENABLE(3), 1u << 5);
	plic_set_irq(p, 5, true);
	assert_int_equal(rd(p, CLAIM(3)), 0);
	assert_int_equal(rd(p, THRESHOLD(3)), 0);
	assert_int_equal(rd(p, PRIO(2)), 5);
	plic_destroy(p);
}

static void test_bad_accesses(void **state)
{
	(void)state;
	struct plic *p = plic_create(2, notify, NULL);

	plic_set_irq(p, 0, true);   /* source 0 does not exist */
	plic_set_irq(p, 500, true); /* out of range: ignored */
	wr(p, ENABLE(1), 1);        /* bit 0 cannot be enabled */
	assert_int_equal(rd(p, ENABLE(1)), 0);
	wr(p, ENABLE(9), ~0u); /* a context that does not exist */
	assert_int_equal(rd(p, ENABLE(9)), 0);
	assert_int_equal(rd(p, CLAIM(9)), 0);
	wr(p, CLAIM(1), 77); /* completing what was never claimed */
	assert_int_equal(plic_claim(p, 7), 0);
	wr(p, PRIO(3), 0xff);
	assert_int_equal(rd(p, PRIO(3)), 7);
	plic_destroy(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_claim_complete),
	    cmocka_unit_test(test_priority_and_threshold),
	    cmocka_unit_test(test_bad_accesses),
	};
	return cmocka_run_group_tests_name("vm_plic", tests, NULL, NULL);
}
