/* SPDX-License-Identifier: MIT */
/* The device tree berth hands to Linux: QEMU virt's, minus what only firmware uses, with the
 * M-mode PLIC contexts marked absent (0xffffffff) as OpenSBI leaves them. */
#include "machine.h"
#include "devices/devices.h"
#include "devices/virtio.h"

#include <libfdt.h>
#include <stdio.h>

#define PH_PLIC    1
#define PH_TEST    2
#define PH_CPU(i)  (0x10 + 2 * (i))
#define PH_INTC(i) (0x11 + 2 * (i))

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

static int fdt_device(void *fdt, const char *name, uint64_t base, uint64_t size, int irq,
                      berth_error_t *err)
{
	char node[64];

	snprintf(node, sizeof(node), "%s@%llx", name, (unsigned long long)base);
	TRY(fdt_begin_node(fdt, node));
	TRY(prop_reg(fdt, base, size));
	if (irq > 0) {
		TRY(fdt_property_u32(fdt, "interrupts", (uint32_t)irq));
		TRY(fdt_property_u32(fdt, "interrupt-parent", PH_PLIC));
	}
	return 0;
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
		TRY(fdt_property_u32(fdt, "phandle", PH_CPU(i)));
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
		TRY(fdt_property_u32(fdt, "phandle", PH_INTC(i)));
		TRY(fdt_end_node(fdt));
		TRY(fdt_end_node(fdt));
	}
	TRY(fdt_begin_node(fdt, "cpu-map"));
	TRY(fdt_begin_node(fdt, "cluster0"));
	for (unsigned i = 0; i < p->cpus; i++) {
		char node[32];
		snprintf(node, sizeof(node), "core%u", i);
		TRY(fdt_begin_node(fdt, node));
		TRY(fdt_property_u32(fdt, "cpu", PH_CPU(i)));
		TRY(fdt_end_node(fdt));
	}
	TRY(fdt_end_node(fdt));
	TRY(fdt_end_node(fdt));
	TRY(fdt_end_node(fdt));
	return 0;
}

static int fdt_soc(void *fdt, const struct vm_fdt_params *p, berth_error_t *err)
{
	static const char test_compat[] = "sifive,test1\0sifive,test0\0syscon";
	static const char plic_compat[] = "sifive,plic-1.0.0\0riscv,plic0";
	static const char clint_compat[] = "sifive,clint0\0riscv,clint0";
	fdt32_t ext[4 * VM_MAX_CPUS];

	TRY(fdt_begin_node(fdt, "soc"));
	TRY(fdt_property_u32(fdt, "#address-cells", 2));
	TRY(fdt_property_u32(fdt, "#size-cells", 2));
	TRY(fdt_property_string(fdt, "compatible", "simple-bus"));
	TRY(fdt_property(fdt, "ranges", NULL, 0));

	if (fdt_device(fdt, "rtc", VM_RTC_BASE, RTC_SIZE, VM_RTC_IRQ, err) < 0)
		return -1;
	TRY(fdt_property_string(fdt, "compatible", "google,goldfish-rtc"));
	TRY(fdt_end_node(fdt));

	if (fdt_device(fdt, "serial", VM_UART_BASE, UART_SIZE, VM_UART_IRQ, err) < 0)
		return -1;
	TRY(fdt_property_u32(fdt, "clock-frequency", 3686400));
	TRY(fdt_property_string(fdt, "compatible", "ns16550a"));
	TRY(fdt_end_node(fdt));

	if (fdt_device(fdt, "test", VM_SYSCON_BASE, SYSCON_SIZE, 0, err) < 0)
		return -1;
	TRY(fdt_property_u32(fdt, "phandle", PH_TEST));
	TRY(fdt_property(fdt, "compatible", test_compat, sizeof(test_compat)));
	TRY(fdt_end_node(fdt));

	/* the disks and the other devices first, so /dev/vda is the first --disk */
	for (unsigned i = 0; i < VM_VIRTIO_SLOTS; i++) {
		uint64_t base = VM_VIRTIO_BASE + i * VM_VIRTIO_STRIDE;
		if (fdt_device(fdt, "virtio_mmio", base, VIRTIO_MMIO_SIZE, (int)(VM_VIRTIO_IRQ + i),
		               err) < 0)
			return -1;
		TRY(fdt_property_string(fdt, "compatible", "virtio,mmio"));
		TRY(fdt_end_node(fdt));
	}

	if (fdt_device(fdt, "plic", VM_PLIC_BASE, PLIC_SIZE, 0, err) < 0)
		return -1;
	TRY(fdt_property_u32(fdt, "phandle", PH_PLIC));
	TRY(fdt_property_u32(fdt, "riscv,ndev", PLIC_NUM_SOURCES - 1));
	for (unsigned i = 0; i < p->cpus; i++) {
		ext[4 * i + 0] = cpu_to_fdt32(PH_INTC(i));
		ext[4 * i + 1] = cpu_to_fdt32(0xffffffff); /* M-mode context: the firmware's */
		ext[4 * i + 2] = cpu_to_fdt32(PH_INTC(i));
		ext[4 * i + 3] = cpu_to_fdt32(9); /* S-mode external */
	}
	TRY(fdt_property(fdt, "interrupts-extended", ext, 16 * p->cpus));
	TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	TRY(fdt_property(fdt, "compatible", plic_compat, sizeof(plic_compat)));
	TRY(fdt_property_u32(fdt, "#address-cells", 0));
	TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
	TRY(fdt_end_node(fdt));

	if (fdt_device(fdt, "clint", VM_CLINT_BASE, ACLINT_SIZE, 0, err) < 0)
		return -1;
	for (unsigned i = 0; i < p->cpus; i++) {
		ext[4 * i + 0] = cpu_to_fdt32(PH_INTC(i));
		ext[4 * i + 1] = cpu_to_fdt32(3);
		ext[4 * i + 2] = cpu_to_fdt32(PH_INTC(i));
		ext[4 * i + 3] = cpu_to_fdt32(7);
	}
	TRY(fdt_property(fdt, "interrupts-extended", ext, 16 * p->cpus));
	TRY(fdt_property(fdt, "compatible", clint_compat, sizeof(clint_compat)));
	TRY(fdt_end_node(fdt));

	TRY(fdt_end_node(fdt));
	return 0;
}

int vm_fdt_build(void *buf, size_t size, const struct vm_fdt_params *p, berth_error_t *err)
{
	void *fdt = buf;

	TRY(fdt_create(fdt, (int)size));
	TRY(fdt_finish_reservemap(fdt));
	TRY(fdt_begin_node(fdt, ""));
	TRY(fdt_property_u32(fdt, "#address-cells", 2));
	TRY(fdt_property_u32(fdt, "#size-cells", 2));
	TRY(fdt_property_string(fdt, "compatible", "riscv-virtio"));
	TRY(fdt_property_string(fdt, "model", "riscv-virtio,berth"));

	TRY(fdt_begin_node(fdt, "chosen"));
	TRY(fdt_property_string(fdt, "bootargs", p->bootargs != NULL ? p->bootargs : ""));
	TRY(fdt_property_string(fdt, "stdout-path", "/soc/serial@10000000"));
	if (p->initrd_end > p->initrd_start) {
		TRY(fdt_property_u64(fdt, "linux,initrd-start", p->initrd_start));
		TRY(fdt_property_u64(fdt, "linux,initrd-end", p->initrd_end));
	}
	TRY(fdt_end_node(fdt));

	TRY(fdt_begin_node(fdt, "poweroff"));
	TRY(fdt_property_u32(fdt, "value", 0x5555));
	TRY(fdt_property_u32(fdt, "offset", 0));
	TRY(fdt_property_u32(fdt, "regmap", PH_TEST));
	TRY(fdt_property_string(fdt, "compatible", "syscon-poweroff"));
	TRY(fdt_end_node(fdt));
	TRY(fdt_begin_node(fdt, "reboot"));
	TRY(fdt_property_u32(fdt, "value", 0x7777));
	TRY(fdt_property_u32(fdt, "offset", 0));
	TRY(fdt_property_u32(fdt, "regmap", PH_TEST));
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
