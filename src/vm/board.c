/* SPDX-License-Identifier: MIT */
/* The board: which devices it has (each declared with VM_DEVICE() in its own file) and the
 * bus the harts reach them through. The bus is a sorted array searched by address; it
 * refuses an access that is not wholly inside one region or whose size the device does not
 * take, before the device sees it. */
#include "board.h"

const struct vm_device *const vm_board_devices[] = {
    /* the PLIC first (the others raise interrupts on it), the CLINT next (it needs the harts) */
    &vm_device_plic,   &vm_device_aclint, &vm_device_rtc,        &vm_device_uart,
    &vm_device_syscon, &vm_device_virtio, &vm_device_boot_timer,
};
const unsigned vm_board_ndevices = sizeof(vm_board_devices) / sizeof(vm_board_devices[0]);

unsigned vm_device_count(const struct vm_device *d)
{
	return d->count > 0 ? d->count : 1;
}

int vm_bus_add(struct vm_bus *bus, const struct vm_device *d, unsigned i, void *dev)
{
	uint64_t base = d->base + i * d->stride;
	unsigned k;

	if (bus->n >= VM_BUS_MAX)
		return -1;
	for (k = bus->n; k > 0 && bus->r[k - 1].base > base; k--)
		bus->r[k] = bus->r[k - 1];
	bus->r[k] = (struct vm_bus_region){
	    .base = base,
	    .size = d->size,
	    .access = d->access,
	    .read = d->read,
	    .write = d->write,
	    .dev = dev,
	};
	bus->n++;
	return 0;
}

/* The region holding [addr, addr + size) for an access the device takes, or NULL. */
static const struct vm_bus_region *vm_bus_find(const struct vm_bus *bus, uint64_t addr,
                                               unsigned size)
{
	unsigned lo = 0, hi = bus->n;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		const struct vm_bus_region *r = &bus->r[mid];
		if (addr < r->base) {
			hi = mid;
		} else if (addr - r->base >= r->size) {
			lo = mid + 1;
		} else {
			if (size > r->size - (addr - r->base) || !(r->access & size))
				return NULL;
			return r;
		}
	}
	return NULL;
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
