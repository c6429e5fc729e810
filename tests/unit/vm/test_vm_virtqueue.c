/* SPDX-License-Identifier: MIT */
/* The split virtqueue against well-formed and hostile rings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vm/codemap.h"
#include "vm/devices/virtqueue.h"

#include <stdlib.h>
#include <string.h>

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (8u << 20)
#define QNUM     8
#define DESC     0x1000ull
#define AVAIL    0x2000ull
#define USED     0x3000ull
#define DATA     0x10000ull

struct fix {
	uint8_t *mem;
	struct guest_ram ram;
	struct virtq q;
	struct virtq_elem *e;
	uint16_t avail_idx;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	f->mem = calloc(1, RAM_SIZE);
	f->ram = (struct guest_ram){f->mem, RAM_BASE, RAM_SIZE, NULL};
	f->e = malloc(sizeof(*f->e));
	f->q.num = QNUM;
	f->q.desc_addr = RAM_BASE + DESC;
	f->q.avail_addr = RAM_BASE + AVAIL;
	f->q.used_addr = RAM_BASE + USED;
	f->q.ready = true;
	assert_int_equal(virtq_setup(&f->q, &f->ram), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	free(f->e);
	free(f->mem);
	free(f);
	return 0;
}

static void set_desc(uint8_t *table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
	uint8_t *d = table + 16 * i;
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static void desc(struct fix *f, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                 uint16_t next)
{
	set_desc(f->mem + DESC, i, addr, len, flags, next);
}

static void offer(struct fix *f, uint16_t head)
{
	memcpy(f->mem + AVAIL + 4 + 2 * (f->avail_idx % QNUM), &head, 2);
	f->avail_idx++;
	memcpy(f->mem + AVAIL + 2, &f->avail_idx, 2);
}

static uint16_t used_idx(struct fix *f)
{
	uint16_t v;
	memcpy(&v, f->mem + USED + 2, 2);
	return v;
}

static void test_good_chain(void **state)
{
	struct fix *f = *state;
	char buf[8];

	memcpy(f->mem + DATA, "hello", 5);
	desc(f, 0, RAM_BASE + DATA, 5, VIRTQ_DESC_F_NEXT, 3);
	desc(f, 3, RAM_BASE + DATA + 0x100, 16, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), 1);
	assert_int_equal(f->e->n_out, 1);
	assert_int_equal(f->e->n_in, 1);
	assert_int_equal(f->e->out_len, 5);
	assert_int_equal(f->e->in_len, 16);
	assert_int_equal(virtq_elem_read(f->e, 1, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "ello", 4);
	assert_int_equal(virtq_elem_write(f->e, 14, "xyz", 3), 2);
	assert_memory_equal(f->mem + DATA + 0x100 + 14, "xy", 2);
	virtq_push(&f->q, f->e, 7);
	assert_int_equal(used_idx(f), 1);
	uint32_t id, len;
	memcpy(&id, f->mem + USED + 4, 4);
	memcpy(&len, f->mem + USED + 8, 4);
	assert_int_equal(id, 0);
	assert_int_equal(len, 7);
	/* nothing more */
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), 0);
}

/* What a device wrote (the first `len` bytes of the writable part) invalidates translated
 * code there before the driver sees the chain; pages not written keep their translations. */
static void test_push_invalidates_code(void **state)
{
	struct fix *f = *state;
	struct code_map *map = code_map_new(f->mem, RAM_SIZE);
	const uint64_t a = DATA + 0x1000, b = DATA + 0x3000; /* pages 0x11 and 0x13 */

	f->ram.code = map;
	assert_int_equal(virtq_setup(&f->q, &f->ram), 0);
	map->has_code[a >> 12] = map->has_code[b >> 12] = map->has_code[(a >> 12) + 1] = 1;
	desc(f, 0, RAM_BASE + DATA, 4, VIRTQ_DESC_F_NEXT, 1);
	desc(f, 1, RAM_BASE + a + 0xff0, 0x20, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	desc(f, 2, RAM_BASE + b, 0x100, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), 1);
	virtq_push(&f->q, f->e, 0x20); /* the first writable segment only, over two pages */
	assert_int_equal(map->gen[a >> 12], 1);
	assert_int_equal(map->gen[(a >> 12) + 1], 1);
	assert_int_equal(map->has_code[a >> 12], 0);
	assert_int_equal(map->gen[b >> 12], 0); /* not written */
	assert_int_equal(map->has_code[b >> 12], 1);
	assert_int_equal(map->gen[DATA >> 12], 0);
	f->ram.code = NULL;
	code_map_free(map);
}

static void test_bad_ring_addresses(void **state)
{
	struct fix *f = *state;
	struct virtq q = f->q;

	q.desc_addr = RAM_BASE + RAM_SIZE - 16; /* table runs past the end */
	assert_int_equal(virtq_setup(&q, &f->ram), -1);
	q = f->q;
	q.used_addr = 0x1000; /* below RAM */
	assert_int_equal(virtq_setup(&q, &f->ram), -1);
	q = f->q;
	q.num = 3; /* not a power of two */
	assert_int_equal(virtq_setup(&q, &f->ram), -1);
	q = f->q;
	q.num = 1024; /* more than we offer */
	assert_int_equal(virtq_setup(&q, &f->ram), -1);
	q = f->q;
	q.desc_addr += 8; /* misaligned */
	assert_int_equal(virtq_setup(&q, &f->ram), -1);
	q = f->q;
	q.avail_addr = UINT64_MAX - 4; /* wraps around */
	assert_int_equal(virtq_setup(&q, &f->ram), -1);
	/* a broken queue stays broken */
	assert_int_equal(virtq_pop(&q, &f->ram, f->e), 0); /* desc NULL: never set up */
}

static void test_head_out_of_range(void **state)
{
	struct fix *f = *state;

	offer(f, QNUM); /* head index == queue size */
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), -1);
	assert_true(f->q.broken);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), -1);
}

static void test_next_out_of_range(void **state)
{
	struct fix *f = *state;

	desc(f, 0, RAM_BASE + DATA, 4, VIRTQ_DESC_F_NEXT, 200);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), -1);
}

static void test_chain_loop(void **state)
{
	struct fix *f = *state;

	desc(f, 0, RAM_BASE + DATA, 4, VIRTQ_DESC_F_NEXT, 1);
	desc(f, 1, RAM_BASE + DATA, 4, VIRTQ_DESC_F_NEXT, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), -1);
}

static void test_self_loop(void **state)
{
	struct fix *f = *state;

	desc(f, 2, RAM_BASE + DATA, 4, VIRTQ_DESC_F_NEXT, 2);
	offer(f, 2);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), -1);
}

static void test_buffer_outside_ram(void **state)
{
	struct fix *f = *state;

	desc(f, 0, RAM_BASE + RAM_SIZE - 4, 8, 0, 0); /* crosses the end */
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), -1);
}

static void test_buffer_below_ram(void **state)
{
	struct fix *f = *state;

	desc(f, 0, 0x1000, 8, 0, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), -1);
}

static void test_length_overflow(void **state)
{
	struct fix *f = *state;

	desc(f, 0, UINT64_MAX - 2, 0xffffffff, 0, 0); /* addr + len wraps */
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), -1);
}

static void test_total_length_overflow(void **state)
{
	struct fix *f = *state;
	uint8_t *table = f->mem + 0x100000; /* room for 1024 descriptors */

	/* every descriptor covers all of RAM: 8 of them are fine, 1024 add up past 4 GiB */
	f->q.indirect = true;
	for (unsigned i = 0; i < VIRTQ_MAX_CHAIN; i++)
		set_desc(table, i, RAM_BASE, RAM_SIZE, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
		         (uint16_t)(i + 1));
	set_desc(table, 7, RAM_BASE, RAM_SIZE, VIRTQ_DESC_F_WRITE, 0);
	desc(f, 0, RAM_BASE + 0x100000, 8 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), 1);
	assert_int_equal(f->e->in_len, 8ull * RAM_SIZE);
	set_desc(table, 7, RAM_BASE, RAM_SIZE, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 8);
	set_desc(table, VIRTQ_MAX_CHAIN - 1, RAM_BASE, RAM_SIZE, VIRTQ_DESC_F_WRITE, 0);
	desc(f, 0, RAM_BASE + 0x100000, VIRTQ_MAX_CHAIN * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), -1);
}

static void test_avail_idx_jump(void **state)
{
	struct fix *f = *state;
	uint16_t idx = QNUM + 1;

	desc(f, 0, RAM_BASE + DATA, 4, 0, 0);
	memcpy(f->mem + AVAIL + 2, &idx, 2);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), -1);
}

static void test_avail_idx_full_ring_ok(void **state)
{
	struct fix *f = *state;

	desc(f, 0, RAM_BASE + DATA, 4, 0, 0);
	for (unsigned i = 0; i < QNUM; i++)
		offer(f, 0);
	for (unsigned i = 0; i < QNUM; i++) {
		assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), 1);
		virtq_push(&f->q, f->e, 0);
	}
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), 0);
	assert_int_equal(used_idx(f), QNUM);
}

static void test_readable_after_writable(void **state)
{
	struct fix *f = *state;

	desc(f, 0, RAM_BASE + DATA, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	desc(f, 1, RAM_BASE + DATA, 4, 0, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), -1);
}

static void test_indirect_good(void **state)
{
	struct fix *f = *state;

	f->q.indirect = true;
	set_desc(f->mem + DATA, 0, RAM_BASE + DATA + 0x800, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(f->mem + DATA, 1, RAM_BASE + DATA + 0x900, 1, VIRTQ_DESC_F_WRITE, 0);
	desc(f, 5, RAM_BASE + DATA, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 5);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), 1);
	assert_int_equal(f->e->head, 5);
	assert_int_equal(f->e->n_out, 1);
	assert_int_equal(f->e->n_in, 1);
}

static void test_indirect_not_negotiated(void **state)
{
	struct fix *f = *state;

	f->q.indirect = false;
	set_desc(f->mem + DATA, 0, RAM_BASE + DATA + 0x800, 16, 0, 0);
	desc(f, 0, RAM_BASE + DATA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), -1);
}

static void test_indirect_nested(void **state)
{
	struct fix *f = *state;

	f->q.indirect = true;
	set_desc(f->mem + DATA, 0, RAM_BASE + DATA + 0x800, 16, VIRTQ_DESC_F_INDIRECT, 0);
	desc(f, 0, RAM_BASE + DATA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), -1);
}

static void test_indirect_bad_length(void **state)
{
	struct fix *f = *state;
	uint32_t lens[] = {0, 15, 17, (VIRTQ_MAX_CHAIN + 1) * 16};

	f->q.indirect = true;
	for (unsigned i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		assert_int_equal(virtq_setup(&f->q, &f->ram), 0);
		f->avail_idx = 0;
		desc(f, 0, RAM_BASE + DATA, lens[i], VIRTQ_DESC_F_INDIRECT, 0);
		offer(f, 0);
		assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), -1);
	}
}

static void test_indirect_with_next(void **state)
{
	struct fix *f = *state;

	f->q.indirect = true;
	set_desc(f->mem + DATA, 0, RAM_BASE + DATA + 0x800, 16, 0, 0);
	desc(f, 0, RAM_BASE + DATA, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), -1);
}

static void test_indirect_loop(void **state)
{
	struct fix *f = *state;

	f->q.indirect = true;
	set_desc(f->mem + DATA, 0, RAM_BASE + DATA + 0x800, 16, VIRTQ_DESC_F_NEXT, 1);
	set_desc(f->mem + DATA, 1, RAM_BASE + DATA + 0x800, 16, VIRTQ_DESC_F_NEXT, 0);
	desc(f, 0, RAM_BASE + DATA, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), -1);
}

static void test_indirect_table_outside_ram(void **state)
{
	struct fix *f = *state;

	f->q.indirect = true;
	desc(f, 0, RAM_BASE + RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), -1);
}

static void test_event_idx(void **state)
{
	struct fix *f = *state;
	uint16_t used_event, avail_event;

	f->q.event_idx = true;
	desc(f, 0, RAM_BASE + DATA, 4, 0, 0);
	offer(f, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), 1);
	memcpy(&avail_event, f->mem + USED + 4 + 8 * QNUM, 2);
	assert_int_equal(avail_event, 1);
	virtq_push(&f->q, f->e, 0);
	assert_true(virtq_should_notify(&f->q)); /* the first time always */
	/* the driver wants an interrupt only after used idx passes 5 */
	used_event = 4;
	memcpy(f->mem + AVAIL + 4 + 2 * QNUM, &used_event, 2);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), 1);
	virtq_push(&f->q, f->e, 0); /* used idx 2 */
	assert_false(virtq_should_notify(&f->q));
	for (unsigned i = 0; i < 3; i++) {
		offer(f, 0);
		assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), 1);
		virtq_push(&f->q, f->e, 0);
	}
	/* used idx went 2 -> 5: crossed used_event 4 */
	assert_true(virtq_should_notify(&f->q));
	/* empty queue: avail_event tells the driver to kick at the next one */
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), 0);
	memcpy(&avail_event, f->mem + USED + 4 + 8 * QNUM, 2);
	assert_int_equal(avail_event, 5);
}

static void test_no_interrupt_flag(void **state)
{
	struct fix *f = *state;
	uint16_t flags = 1;

	desc(f, 0, RAM_BASE + DATA, 4, 0, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), 1);
	virtq_push(&f->q, f->e, 0);
	memcpy(f->mem + AVAIL, &flags, 2);
	assert_false(virtq_should_notify(&f->q));
	flags = 0;
	memcpy(f->mem + AVAIL, &flags, 2);
	assert_true(virtq_should_notify(&f->q));
}

static void test_iovec(void **state)
{
	struct fix *f = *state;
	struct iovec iov[4];
	size_t covered;

	desc(f, 0, RAM_BASE + DATA, 16, VIRTQ_DESC_F_NEXT, 1);
	desc(f, 1, RAM_BASE + DATA + 0x100, 100, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	desc(f, 2, RAM_BASE + DATA + 0x200, 100, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->q, &f->ram, f->e), 1);
	assert_int_equal(virtq_elem_iovec(f->e, true, 50, 100, iov, 4, &covered), 2);
	assert_int_equal(covered, 100);
	assert_ptr_equal(iov[0].iov_base, f->mem + DATA + 0x100 + 50);
	assert_int_equal(iov[0].iov_len, 50);
	assert_int_equal(iov[1].iov_len, 50);
	assert_int_equal(virtq_elem_iovec(f->e, true, 150, 100, iov, 4, &covered), 1);
	assert_int_equal(covered, 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_good_chain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_push_invalidates_code, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_ring_addresses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_head_out_of_range, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_next_out_of_range, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_chain_loop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_self_loop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_buffer_outside_ram, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_buffer_below_ram, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_length_overflow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_total_length_overflow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_avail_idx_jump, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_avail_idx_full_ring_ok, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_readable_after_writable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_indirect_good, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_indirect_not_negotiated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_indirect_nested, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_indirect_bad_length, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_indirect_with_next, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_indirect_loop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_indirect_table_outside_ram, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_event_idx, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_interrupt_flag, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_iovec, setup, teardown),
	};
	return cmocka_run_group_tests_name("vm_virtqueue", tests, NULL, NULL);
}
