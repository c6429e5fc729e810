/* SPDX-License-Identifier: MIT */
/* The boot timer, after Firecracker's: the guest's init tells berth once that it runs, and
 * berth logs the time since it was launched (with --boot-time). The guest does it with a
 * write to the register (any value, any size) or with BOOT_TIMER_MAGIC on the UART. Reads
 * return the elapsed microseconds (0 before the mark). */
#include "devices.h"
#include "log.h"
#include "util.h"

#include <stdatomic.h>
#include <stdio.h>

struct boot_timer {
	long long t0_ns;
	bool report;
	_Atomic long long elapsed; /* -1 until marked */
};

struct boot_timer *boot_timer_create(long long t0_ns, bool report)
{
	struct boot_timer *b = xmalloc0(sizeof(*b));

	b->t0_ns = t0_ns;
	b->report = report;
	atomic_store(&b->elapsed, -1);
	return b;
}

void boot_timer_destroy(struct boot_timer *b)
{
	free(b);
}

long long boot_timer_mark(struct boot_timer *b)
{
	long long want = -1, now = util_now_ns() - b->t0_ns;

	if (!atomic_compare_exchange_strong(&b->elapsed, &want, now))
		return want;
	if (b->report)
		fprintf(stderr, "\r\nberth vm: guest init reached after %lld.%03lld ms\r\n",
		        now / 1000000, now / 1000 % 1000);
	return now;
}

long long boot_timer_elapsed(const struct boot_timer *b)
{
	return atomic_load(&((struct boot_timer *)b)->elapsed);
}

int boot_timer_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	long long e = boot_timer_elapsed(dev);

	(void)off;
	(void)size;
	*val = e < 0 ? 0 : (uint64_t)(e / 1000);
	return 0;
}

int boot_timer_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	(void)off;
	(void)size;
	(void)val;
	boot_timer_mark(dev);
	return 0;
}

static int boot_timer_board_create(const struct vm_board *b, unsigned i, void **dev,
                                   berth_error_t *err)
{
	(void)i;
	(void)err;
	*dev = b->bt;
	return 0;
}

/* berth's own, free in QEMU's map and not in the device tree; the machine owns the timer
 * (the mark survives a guest reboot), so the board does not destroy it */
VM_DEVICE(vm_device_boot_timer, .name = "boot-timer", .base = 0x102000, .size = BOOT_TIMER_SIZE,
          .access = VM_ACCESS_ANY, .create = boot_timer_board_create, .read = boot_timer_read,
          .write = boot_timer_write);
