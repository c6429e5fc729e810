/* SPDX-License-Identifier: MIT */
/* QEMU virt's "test" device (sifive,test1), the syscon behind /reboot
 * (power-off goes through SBI SRST; the device still honours it):
 * a 32-bit write at offset 0 of 0x5555 powers off, 0x3333 | code << 16 powers off with a
 * failure code, 0x7777 resets. Reads return 0. */
#include "devices.h"
#include "util.h"

#define FINISHER_FAIL  0x3333
#define FINISHER_PASS  0x5555
#define FINISHER_RESET 0x7777

struct syscon {
	syscon_fn fn;
	void *opaque;
};

struct syscon *syscon_create(syscon_fn fn, void *opaque)
{
	struct syscon *s = xmalloc0(sizeof(*s));

	s->fn = fn;
	s->opaque = opaque;
	return s;
}

void syscon_destroy(struct syscon *s)
{
	free(s);
}

int syscon_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	(void)dev;
	(void)off;
	(void)size;
	*val = 0;
	return 0;
}

int syscon_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct syscon *s = dev;

	if (off != 0 || size < 2)
		return 0;
	switch (val & 0xffff) {
	case FINISHER_PASS:
		s->fn(s->opaque, SYSCON_POWEROFF, 0);
		break;
	case FINISHER_FAIL:
		s->fn(s->opaque, SYSCON_FAIL, size >= 4 ? (unsigned)((val >> 16) & 0xffff) : 1);
		break;
	case FINISHER_RESET:
		s->fn(s->opaque, SYSCON_REBOOT, 0);
		break;
	}
	return 0;
}

static int syscon_board_create(const struct vm_board *b, unsigned i, void **dev, berth_error_t *err)
{
	(void)i;
	(void)err;
	*dev = syscon_create(b->syscon, b->opaque);
	return 0;
}

static void syscon_board_destroy(void *dev)
{
	syscon_destroy(dev);
}

/* /reboot (fdt.c) points at it through its phandle */
VM_DEVICE(vm_device_syscon, .name = "test", .base = 0x100000, .size = SYSCON_SIZE,
          .access = VM_ACCESS_ANY, .in_fdt = true,
          VM_FDT_COMPATIBLE("sifive,test1\0sifive,test0\0syscon"), .phandle = VM_PH_TEST,
          .create = syscon_board_create, .read = syscon_read, .write = syscon_write,
          .destroy = syscon_board_destroy);
