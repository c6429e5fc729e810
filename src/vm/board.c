/* SPDX-License-Identifier: MIT */
/* The board: which devices it has (each declared with VM_DEVICE() in its own file) and the
 * bus the harts reach them through. The bus finds a device through a two-level page map
 * (board.h) in constant time; it refuses an access that is not wholly inside one region or
 * whose size the device does not take, before the device sees it. */
#include "board.h"

#include <string.h>

const struct vm_device *const vm_board_devices[] = {
    /* the PLIC first (the others raise interrupts on it), the CLINT next (it needs the harts) */
    &vm_device_plic,   &vm_device_aclint, &vm_device_rtc,          &vm_device_uart,
    &vm_device_syscon, &vm_device_virtio, &vm_device_virtio_input, &vm_device_boot_timer,
};
const unsigned vm_board_ndevices = sizeof(vm_board_devices) / sizeof(vm_board_devices[0]);

unsigned vm_device_count(const struct vm_device *d)
{
	return d->count > 0 ? d->count : 1;
}

void vm_bus_clear(struct vm_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
}

int vm_bus_add(struct vm_bus *bus, const struct vm_device *d, unsigned i, void *dev)
{
	uint64_t base = d->base + i * d->stride, first = base >> 12, last;
	unsigned need = 0;

	if (bus->n >= VM_BUS_MAX || d->size == 0 || (base & 0xfff) != 0 || base >= VM_BUS_LIMIT ||
	    d->size > VM_BUS_LIMIT - base)
		return -1;
	last = (base + d->size - 1) >> 12;
	/* check first, so that a refused region leaves nothing behind */
	for (uint64_t w = first >> 12; w <= last >> 12; w++)
		need += bus->top[w] == 0;
	if (bus->nleaves + need > VM_BUS_LEAVES)
		return -1;
	for (uint64_t pg = first; pg <= last; pg++) {
		unsigned t = bus->top[pg >> 12];
		if (t != 0 && bus->leaf[t - 1][pg & 0xfff] != 0)
			return -1;
	}
	for (uint64_t pg = first; pg <= last; pg++) {
		if (bus->top[pg >> 12] == 0)
			bus->top[pg >> 12] = (uint8_t)++bus->nleaves;
		bus->leaf[bus->top[pg >> 12] - 1][pg & 0xfff] = (uint8_t)(bus->n + 1);
	}
	bus->r[bus->n++] = (struct vm_bus_region){
	    .base = base,
	    .size = d->size,
	    .access = d->access,
	    .read = d->read,
	    .write = d->write,
	    .dev = dev,
	};
	return 0;
}

/* The region holding [addr, addr + size) for an access the device takes, or NULL. */
static inline const struct vm_bus_region *vm_bus_find(const struct vm_bus *bus, uint64_t addr,
                                                      unsigned size)
{
	const struct vm_bus_region *r;
	unsigned t, k;

	if (addr >= VM_BUS_LIMIT)
		return NULL;
	t = bus->top[addr >> 24];
	if (t == 0)
		return NULL;
	k = bus->leaf[t - 1][(addr >> 12) & 0xfff];
	if (k == 0)
		return NULL;
	r = &bus->r[k - 1];
	if (addr - r->base >= r->size || size > r->size - (addr - r->base) || !(r->access & size))
		return NULL;
	return r;
}

int vm_bus_read(const struct vm_bus *bus, uint64_t addr, unsigned size, uint64_t *val)
{
	const struct vm_bus_region *r = vm_bus_find(bus, addr, size);

	*val = 0;
	return r != NULL ? r->read(r->dev, addr - r->base, size, val) : -1;
}

int vm_bus_write(const struct vm_bus *bus, uint64_t addr, unsigned size, uint64_t val)
{
	const struct vm_bus_region *r = vm_bus_find(bus, addr, size);

	return r != NULL ? r->write(r->dev, addr - r->base, size, val) : -1;
}
