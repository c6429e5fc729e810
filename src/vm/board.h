/* SPDX-License-Identifier: MIT */
/* The board's device list and the MMIO bus (board.c). */
#ifndef BERTH_VM_BOARD_H
#define BERTH_VM_BOARD_H

#include "devices/devices.h"

#define VM_BUS_MAX    24
#define VM_BUS_LIMIT  0x80000000ull /* devices live below RAM */
#define VM_BUS_LEAVES 8             /* 16 MiB windows holding devices */

struct vm_bus_region {
	uint64_t base, size;
	unsigned access;
	int (*read)(void *dev, uint64_t off, unsigned size, uint64_t *val);
	int (*write)(void *dev, uint64_t off, unsigned size, uint64_t val);
	void *dev;
};

/* A two-level page map, so that finding a device costs the same for every device: top[]
 * picks a 16 MiB window's leaf, the leaf maps each 4 KiB page to a region (both 1-based,
 * 0 for nothing). A region occupies whole pages; the part of its last page beyond its
 * size faults. */
struct vm_bus {
	struct vm_bus_region r[VM_BUS_MAX];
	unsigned n, nleaves;
	uint8_t top[VM_BUS_LIMIT >> 24];
	uint8_t leaf[VM_BUS_LEAVES][4096];
};

/* How many instances a declaration makes (count 0 means 1). */
unsigned vm_device_count(const struct vm_device *d);
/* Map instance i of d, backed by dev. Returns 0, or -1 when it would overlap a mapped page,
 * lies outside [0, VM_BUS_LIMIT), or the bus is full. */
int vm_bus_add(struct vm_bus *bus, const struct vm_device *d, unsigned i, void *dev);
/* Unmap everything. */
void vm_bus_clear(struct vm_bus *bus);
/* An access from a hart: 0, or -1 for an access fault (nothing there, a size the device does
 * not take, or an access that runs past the end of the region). */
int vm_bus_read(const struct vm_bus *bus, uint64_t addr, unsigned size, uint64_t *val);
int vm_bus_write(const struct vm_bus *bus, uint64_t addr, unsigned size, uint64_t val);

#endif
