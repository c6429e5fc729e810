/* SPDX-License-Identifier: MIT */
/* The device tree berth hands to Linux: QEMU virt's, minus what only firmware uses, with the
 * M-mode PLIC contexts marked absent (0xffffffff) as OpenSBI leaves them. The devices' nodes
 * come from their declarations (devices.h, board.c). */
#include "machine.h"
#include "board.h"

#include <libfdt.h>
#include <stdio.h>

#define TRY(x)                                                                                     \
	do {                                                                                       \
		int _r = (x);                                                                      \
		if (_r < 0)                                                                        \
			return berth_error(err, 0, "device tree: %s: %s", #x, fdt_strerror(_r));   \
	} while (0)

static int prop_reg(void *fdt, uint64_t base, uint64_t size)
{
	fdt64_t reg[2] = {cpu_to_fdt64(base), cpu_to_fdt64(size)};
	return fdt_property(fdt, "reg", reg, sizeof(reg));
}

static int fdt_cpus(void *fdt, const struct vm_fdt_params *p, berth_error_t *err)
{
	TRY(fdt_begin_node(fdt, "cpus"));
	TRY(fdt_property_u32(fdt, "#address-cells", 1));
	TRY(fdt_property_u32(fdt, "#size-cells", 0));
	TRY(fdt_property_u32(fdt, "timebase-frequency", (uint32_t)VM_TIMEBASE_HZ));
	for (unsigned i = 0; i < p->cpus; i++) {
		char node[32];
		snprintf(node, sizeof(node), "cpu@%u", i);
		TRY(fdt_begin_node(fdt, node));
		TRY(fdt_property_u32(fdt, "phandle", VM_PH_CPU(i)));
		TRY(fdt_property_string(fdt, "device_type", "cpu"));
		TRY(fdt_property_u32(fdt, "reg", i));
		TRY(fdt_property_string(fdt, "status", "okay"));
		TRY(fdt_property_string(fdt, "compatible", "riscv"));
		TRY(fdt_property_string(fdt, "riscv,isa", VM_ISA));
		TRY(fdt_property_string(fdt, "mmu-type", "riscv,sv48"));
		TRY(fdt_begin_node(fdt, "interrupt-controller"));
		TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
		TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
		TRY(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
		TRY(fdt_property_u32(fdt, "phandle", VM_PH_INTC(i)));
		TRY(fdt_end_node(fdt));
		TRY(fdt_end_node(fdt));
	}
	TRY(fdt_begin_node(fdt, "cpu-map"));
	TRY(fdt_begin_node(fdt, "cluster0"));
	for (unsigned i = 0; i < p->cpus; i++) {
		char node[32];
		snprintf(node, sizeof(node), "core%u", i);
		TRY(fdt_begin_node(fdt, node));
		TRY(fdt_property_u32(fdt, "cpu", VM_PH_CPU(i)));
		TRY(fdt_end_node(fdt));
	}
	TRY(fdt_end_node(fdt));
	TRY(fdt_end_node(fdt));
	TRY(fdt_end_node(fdt));
	return 0;
}

/* Instance i of a declared device: reg, interrupts, and what the declaration lists. */
static int fdt_device(void *fdt, const struct vm_device *d, unsigned i,
                      const struct vm_fdt_params *p, berth_error_t *err)
{
	uint64_t base = d->base + i * d->stride;
	fdt32_t ext[4 * VM_MAX_CPUS];
	char node[64];

	snprintf(node, sizeof(node), "%s@%llx", d->name, (unsigned long long)base);
	TRY(fdt_begin_node(fdt, node));
	TRY(prop_reg(fdt, base, d->size));
	if (d->irq > 0) {
		TRY(fdt_property_u32(fdt, "interrupts", d->irq + i));
		TRY(fdt_property_u32(fdt, "interrupt-parent", VM_PH_PLIC));
	}
	if (d->phandle != 0)
		TRY(fdt_property_u32(fdt, "phandle", d->phandle));
	for (unsigned k = 0; k < sizeof(d->props) / sizeof(d->props[0]); k++)
		if (d->props[k].name != NULL)
			TRY(fdt_property_u32(fdt, d->props[k].name, d->props[k].value));
	if (d->hart_irqs[0] != 0 || d->hart_irqs[1] != 0) {
		for (unsigned h = 0; h < p->cpus && h < VM_MAX_CPUS; h++) {
			ext[4 * h + 0] = cpu_to_fdt32(VM_PH_INTC(h));
			ext[4 * h + 1] = cpu_to_fdt32(d->hart_irqs[0]);
			ext[4 * h + 2] = cpu_to_fdt32(VM_PH_INTC(h));
			ext[4 * h + 3] = cpu_to_fdt32(d->hart_irqs[1]);
		}
		TRY(fdt_property(fdt, "interrupts-extended", ext, 16 * (int)p->cpus));
	}
	if (d->interrupt_controller) {
		TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
		TRY(fdt_property_u32(fdt, "#address-cells", 0));
		TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
	}
	TRY(fdt_property(fdt, "compatible", d->compatible, (int)d->compatible_size));
	TRY(fdt_end_node(fdt));
	return 0;
}

/* Every declared device with a node, in the board's order (the virtio slots in theirs, so
 * /dev/vda is the first --disk). */
static int fdt_soc(void *fdt, const struct vm_fdt_params *p, berth_error_t *err)
{
	TRY(fdt_begin_node(fdt, "soc"));
	TRY(fdt_property_u32(fdt, "#address-cells", 2));
	TRY(fdt_property_u32(fdt, "#size-cells", 2));
	TRY(fdt_property_string(fdt, "compatible", "simple-bus"));
	TRY(fdt_property(fdt, "ranges", NULL, 0));
	for (unsigned k = 0; k < vm_board_ndevices; k++) {
		const struct vm_device *d = vm_board_devices[k];
		if (!d->in_fdt)
			continue;
		for (unsigned i = 0; i < vm_device_count(d); i++)
			if (fdt_device(fdt, d, i, p, err) < 0)
				return -1;
	}
	TRY(fdt_end_node(fdt));
	return 0;
}

int vm_fdt_build(void *buf, size_t size, const struct vm_fdt_params *p, berth_error_t *err)
{
	void *fdt = buf;
	char path[64];

	TRY(fdt_create(fdt, (int)size));
	TRY(fdt_finish_reservemap(fdt));
	TRY(fdt_begin_node(fdt, ""));
	TRY(fdt_property_u32(fdt, "#address-cells", 2));
	TRY(fdt_property_u32(fdt, "#size-cells", 2));
	TRY(fdt_property_string(fdt, "compatible", "riscv-virtio"));
	TRY(fdt_property_string(fdt, "model", "riscv-virtio,berth"));

	TRY(fdt_begin_node(fdt, "chosen"));
	TRY(fdt_property_string(fdt, "bootargs", p->bootargs != NULL ? p->bootargs : ""));
	snprintf(path, sizeof(path), "/soc/%s@%llx", vm_device_uart.name,
	         (unsigned long long)vm_device_uart.base);
	TRY(fdt_property_string(fdt, "stdout-path", path));
	if (p->initrd_end > p->initrd_start) {
		TRY(fdt_property_u64(fdt, "linux,initrd-start", p->initrd_start));
		TRY(fdt_property_u64(fdt, "linux,initrd-end", p->initrd_end));
	}
	TRY(fdt_end_node(fdt));

	/* No /poweroff (syscon-poweroff) node, unlike QEMU's tree: Linux's SBI driver takes
	 * pm_power_off for the SRST extension first, and syscon-poweroff then fails to probe
	 * with EBUSY ("pm_power_off already claimed"). Restart handlers form a chain
	 * instead, so /reboot (syscon-reboot) probes cleanly and stays. */
	TRY(fdt_begin_node(fdt, "reboot"));
	TRY(fdt_property_u32(fdt, "value", 0x7777));
	TRY(fdt_property_u32(fdt, "offset", 0));
	TRY(fdt_property_u32(fdt, "regmap", VM_PH_TEST));
	TRY(fdt_property_string(fdt, "compatible", "syscon-reboot"));
	TRY(fdt_end_node(fdt));

	char mem[32];
	snprintf(mem, sizeof(mem), "memory@%llx", (unsigned long long)p->ram_base);
	TRY(fdt_begin_node(fdt, mem));
	TRY(fdt_property_string(fdt, "device_type", "memory"));
	TRY(prop_reg(fdt, p->ram_base, p->ram_size));
	TRY(fdt_end_node(fdt));

	if (fdt_cpus(fdt, p, err) < 0 || fdt_soc(fdt, p, err) < 0)
		return -1;
	TRY(fdt_end_node(fdt));
	TRY(fdt_finish(fdt));
	return 0;
}
