/* SPDX-License-Identifier: MIT */
/* The board's device declarations and the bus built from them: no two regions overlap (the
 * bus refuses a region on a page already mapped), each declaration is complete, and the bus
 * faults accesses a device does not take. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vm/board.h"

#include <string.h>

static void test_declarations(void **state)
{
	(void)state;
	struct vm_bus bus = {0};
	unsigned n = 0;

	for (unsigned k = 0; k < vm_board_ndevices; k++) {
		const struct vm_device *d = vm_board_devices[k];
		assert_non_null(d->name);
		assert_non_null(d->create);
		assert_non_null(d->read);
		assert_non_null(d->write);
		assert_true(d->size > 0);
		assert_true(d->access != 0 && (d->access & ~VM_ACCESS_ANY) == 0);
		assert_true(d->base + vm_device_count(d) * (d->stride ? d->stride : d->size) <=
		            VM_RAM_BASE);
		if (d->count > 1)
			assert_true(d->stride >= d->size);
		if (d->in_fdt)
			assert_true(d->compatible_size > 1 &&
			            d->compatible[d->compatible_size - 1] == 0);
		for (unsigned i = 0; i < vm_device_count(d); i++, n++)
			assert_int_equal(vm_bus_add(&bus, d, i, NULL), 0);
	}
	assert_int_equal(bus.n, n);
	/* PLIC, CLINT, UART, RTC, syscon, boot timer, eight virtio slots and the keyboard's */
	assert_int_equal(n, 7 + VM_VIRTIO_SLOTS);
}

static unsigned reads, writes;

static int fake_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	(void)dev;
	(void)size;
	reads++;
	*val = off;
	return 0;
}

static int fake_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	(void)dev;
	(void)off;
	(void)size;
	(void)val;
	writes++;
	return 0;
}

static void test_access(void **state)
{
	(void)state;
	static const struct vm_device word = {.name = "word",
	                                      .base = 0x1000,
	                                      .size = 0x100,
	                                      .access = VM_ACCESS_4,
	                                      .read = fake_read,
	                                      .write = fake_write};
	static const struct vm_device any = {.name = "any",
	                                     .base = 0x3000,
	                                     .size = 0x10,
	                                     .count = 2,
	                                     .stride = 0x1000,
	                                     .access = VM_ACCESS_ANY,
	                                     .read = fake_read,
	                                     .write = fake_write};
	struct vm_bus bus = {0};
	uint64_t v = 1;

	assert_int_equal(vm_bus_add(&bus, &any, 1, NULL), 0);
	assert_int_equal(vm_bus_add(&bus, &word, 0, NULL), 0);
	assert_int_equal(vm_bus_add(&bus, &any, 0, NULL), 0);
	/* a 32-bit-only device: other sizes fault before it sees them */
	assert_int_equal(vm_bus_read(&bus, 0x1004, 4, &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(vm_bus_read(&bus, 0x1004, 1, &v), -1);
	assert_int_equal(v, 0);
	assert_int_equal(vm_bus_read(&bus, 0x1004, 2, &v), -1);
	assert_int_equal(vm_bus_write(&bus, 0x1000, 8, 0), -1);
	assert_int_equal(vm_bus_write(&bus, 0x1000, 4, 0), 0);
	assert_int_equal(reads, 1);
	assert_int_equal(writes, 1);
	/* past the end, straddling the end, between regions */
	assert_int_equal(vm_bus_read(&bus, 0x10fe, 4, &v), -1);
	assert_int_equal(vm_bus_read(&bus, 0x1100, 4, &v), -1);
	assert_int_equal(vm_bus_read(&bus, 0x0, 4, &v), -1);
	assert_int_equal(vm_bus_read(&bus, 0x300f, 2, &v), -1);
	assert_int_equal(vm_bus_read(&bus, ~0ull - 3, 4, &v), -1);
	/* overlapping, unaligned, beyond the limit: refused, and nothing changes */
	static const struct vm_device over = {.name = "over",
	                                      .base = 0x0,
	                                      .size = 0x2000,
	                                      .access = VM_ACCESS_ANY,
	                                      .read = fake_read,
	                                      .write = fake_write};
	static const struct vm_device odd = {.name = "odd",
	                                     .base = 0x8800,
	                                     .size = 0x10,
	                                     .access = VM_ACCESS_ANY,
	                                     .read = fake_read,
	                                     .write = fake_write};
	static const struct vm_device high = {.name = "high",
	                                      .base = VM_BUS_LIMIT - 0x1000,
	                                      .size = 0x2000,
	                                      .access = VM_ACCESS_ANY,
	                                      .read = fake_read,
	                                      .write = fake_write};
	assert_int_equal(vm_bus_add(&bus, &over, 0, NULL), -1);
	assert_int_equal(vm_bus_add(&bus, &odd, 0, NULL), -1);
	assert_int_equal(vm_bus_add(&bus, &high, 0, NULL), -1);
	assert_int_equal(bus.n, 3);
	assert_int_equal(vm_bus_read(&bus, 0x0, 4, &v), -1);
	/* both instances, found whatever order they were added in */
	assert_int_equal(vm_bus_read(&bus, 0x300f, 1, &v), 0);
	assert_int_equal(v, 0xf);
	assert_int_equal(vm_bus_read(&bus, 0x4008, 8, &v), 0);
	assert_int_equal(v, 8);
	assert_int_equal(vm_bus_read(&bus, 0x4010, 1, &v), -1);
	assert_int_equal(reads, 3);
	vm_bus_clear(&bus);
	assert_int_equal(vm_bus_read(&bus, 0x1004, 4, &v), -1);
	assert_int_equal(reads, 3);
}

/* The real PLIC takes only 32-bit accesses. */
static void test_plic_sizes(void **state)
{
	(void)state;
	struct vm_bus bus = {0};
	uint64_t v;

	assert_int_equal(vm_bus_add(&bus, &vm_device_plic, 0, NULL), 0);
	assert_int_equal(vm_bus_read(&bus, vm_device_plic.base, 1, &v), -1);
	assert_int_equal(vm_bus_write(&bus, vm_device_plic.base, 8, 0), -1);
	assert_int_equal(vm_device_plic.access, VM_ACCESS_4);
	assert_int_equal(vm_device_rtc.access, VM_ACCESS_4);
	assert_int_equal(vm_device_aclint.access, VM_ACCESS_4 | VM_ACCESS_8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_declarations),
	    cmocka_unit_test(test_access),
	    cmocka_unit_test(test_plic_sizes),
	};
	return cmocka_run_group_tests_name("vm_bus", tests, NULL, NULL);
}
