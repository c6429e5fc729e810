/* SPDX-License-Identifier: MIT */
/* The device tree has what Linux 6.1 needs (parsed back with libfdt). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "vm/machine.h"

#include <libfdt.h>
#include <stdio.h>
#include <string.h>

static uint8_t buf[0x10000];

static void build(unsigned cpus, uint64_t initrd_start, uint64_t initrd_end)
{
	berth_error_t err = NULL;
	struct vm_fdt_params p = {
	    .ram_base = VM_RAM_BASE,
	    .ram_size = 256ull << 20,
	    .cpus = cpus,
	    .bootargs = "console=ttyS0 quiet",
	    .initrd_start = initrd_start,
	    .initrd_end = initrd_end,
	};
	assert_int_equal(vm_fdt_build(buf, sizeof(buf), &p, &err), 0);
	assert_int_equal(fdt_check_header(buf), 0);
}

static int node(const char *path)
{
	int off = fdt_path_offset(buf, path);
	assert_true(off >= 0);
	return off;
}

static const char *str(const char *path, const char *prop)
{
	const char *s = fdt_getprop(buf, node(path), prop, NULL);
	assert_non_null(s);
	return s;
}

static uint64_t u64(const char *path, const char *prop, unsigned index)
{
	int len;
	const uint8_t *v = fdt_getprop(buf, node(path), prop, &len);
	assert_non_null(v);
	assert_true((unsigned)len >= 8 * (index + 1));
	return fdt64_ld((const fdt64_t *)(const void *)(v + 8 * index)); /* unaligned-safe */
}

static uint32_t u32(const char *path, const char *prop)
{
	int len;
	const fdt32_t *v = fdt_getprop(buf, node(path), prop, &len);
	assert_non_null(v);
	assert_int_equal(len, 4);
	return fdt32_ld(v);
}

static void test_basics(void **state)
{
	(void)state;
	build(1, 0, 0);
	assert_string_equal(str("/", "compatible"), "riscv-virtio");
	assert_string_equal(str("/memory@80000000", "device_type"), "memory");
	assert_int_equal(u64("/memory@80000000", "reg", 0), 0x80000000);
	assert_int_equal(u64("/memory@80000000", "reg", 1), 256 << 20);
	assert_int_equal(u32("/cpus", "timebase-frequency"), 10000000);
	assert_string_equal(str("/cpus/cpu@0", "riscv,isa"), VM_ISA);
	assert_non_null(strstr(str("/cpus/cpu@0", "riscv,isa"), "_sstc"));
	assert_string_equal(str("/cpus/cpu@0", "mmu-type"), "riscv,sv48");
	assert_string_equal(str("/cpus/cpu@0", "device_type"), "cpu");
	assert_string_equal(str("/cpus/cpu@0/interrupt-controller", "compatible"),
	                    "riscv,cpu-intc");
	assert_string_equal(str("/chosen", "bootargs"), "console=ttyS0 quiet");
	assert_string_equal(str("/chosen", "stdout-path"), "/soc/serial@10000000");
	assert_null(fdt_getprop(buf, node("/chosen"), "linux,initrd-start", NULL));
	assert_string_equal(str("/soc/serial@10000000", "compatible"), "ns16550a");
	assert_int_equal(u32("/soc/serial@10000000", "interrupts"), 10);
	assert_string_equal(str("/soc/rtc@101000", "compatible"), "google,goldfish-rtc");
	assert_int_equal(u32("/soc/rtc@101000", "interrupts"), 11);
	assert_string_equal(str("/soc/plic@c000000", "compatible"), "sifive,plic-1.0.0");
	assert_int_equal(u32("/soc/plic@c000000", "riscv,ndev"), 95);
	assert_string_equal(str("/soc/test@100000", "compatible"), "sifive,test1");
	/* power-off is SBI SRST's: a syscon-poweroff node would fail to probe (EBUSY) */
	assert_int_equal(fdt_path_offset(buf, "/poweroff"), -FDT_ERR_NOTFOUND);
	assert_int_equal(u32("/reboot", "value"), 0x7777);
	assert_int_equal(u32("/reboot", "regmap"), u32("/soc/test@100000", "phandle"));
	for (unsigned i = 0; i < 8; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/soc/virtio_mmio@%x", 0x10001000 + 0x1000 * i);
		assert_string_equal(str(path, "compatible"), "virtio,mmio");
		assert_int_equal(u32(path, "interrupts"), 1 + i);
		assert_int_equal(u32(path, "interrupt-parent"),
		                 u32("/soc/plic@c000000", "phandle"));
	}
}

static void test_two_harts_and_initrd(void **state)
{
	(void)state;
	int len;
	const fdt32_t *ext;

	build(2, 0x8f000000, 0x8f012345);
	assert_int_equal(u64("/chosen", "linux,initrd-start", 0), 0x8f000000);
	assert_int_equal(u64("/chosen", "linux,initrd-end", 0), 0x8f012345);
	assert_int_equal(u32("/cpus/cpu@1", "reg"), 1);
	/* the PLIC: per hart, M context absent, S context on the hart's intc, irq 9 */
	ext = fdt_getprop(buf, node("/soc/plic@c000000"), "interrupts-extended", &len);
	assert_non_null(ext);
	assert_int_equal(len, 2 * 16);
	uint32_t intc1 = u32("/cpus/cpu@1/interrupt-controller", "phandle");
	assert_int_equal(fdt32_ld(&ext[5]), 0xffffffff);
	assert_int_equal(fdt32_ld(&ext[6]), intc1);
	assert_int_equal(fdt32_ld(&ext[7]), 9);
	assert_int_equal(u32("/cpus/cpu-map/cluster0/core1", "cpu"), u32("/cpus/cpu@1", "phandle"));
	/* the CLINT: per hart, MSIP (3) and MTIP (7) of its intc */
	assert_string_equal(str("/soc/clint@2000000", "compatible"), "sifive,clint0");
	ext = fdt_getprop(buf, node("/soc/clint@2000000"), "interrupts-extended", &len);
	assert_non_null(ext);
	assert_int_equal(len, 2 * 16);
	assert_int_equal(fdt32_ld(&ext[4]), intc1);
	assert_int_equal(fdt32_ld(&ext[5]), 3);
	assert_int_equal(fdt32_ld(&ext[7]), 7);
	assert_non_null(fdt_getprop(buf, node("/soc/plic@c000000"), "interrupt-controller", NULL));
	assert_int_equal(u32("/soc/plic@c000000", "#interrupt-cells"), 1);
	assert_int_equal(u32("/soc/serial@10000000", "clock-frequency"), 3686400);
	/* the boot timer is berth's own: no node */
	assert_true(fdt_path_offset(buf, "/soc/boot-timer@102000") < 0);
}

static void test_too_small(void **state)
{
	(void)state;
	berth_error_t err = NULL;
	struct vm_fdt_params p = {.ram_base = VM_RAM_BASE, .ram_size = 1 << 24, .cpus = 8};
	assert_int_equal(vm_fdt_build(buf, 256, &p, &err), -1);
	assert_non_null(err);
	berth_error_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basics),
	    cmocka_unit_test(test_two_harts_and_initrd),
	    cmocka_unit_test(test_too_small),
	};
	return cmocka_run_group_tests_name("vm_fdt", tests, NULL, NULL);
}
