/* SPDX-License-Identifier: MIT */
/* The devices of berth's RISC-V "virt" machine, one file each. Every device is an MMIO
 * region: read/write get the offset inside the region and an access size of 1, 2, 4 or 8
 * that its declaration allows (the bus faults other sizes first) and return 0 or -1 (the
 * CPU then raises an access fault). Devices are thread-safe: any
 * hart may touch them, and host threads (the terminal reader) feed some of them.
 *
 * Each device file declares its place on the board once, with VM_DEVICE(): address, size,
 * irq, the access sizes the bus lets through, its device-tree node, and how to create and
 * destroy it. board.c lists the declarations; the machine builds the bus from that list and
 * fdt.c writes the device tree from it. */
#ifndef BERTH_VM_DEVICES_H
#define BERTH_VM_DEVICES_H

#include "error.h"
#include "../machine.h"
#include "../snapstate.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- declaring a device ---------------------------------------------------------------- */

/* Access sizes, as a mask: bit n set lets accesses of n bytes through. */
#define VM_ACCESS_1   1u
#define VM_ACCESS_2   2u
#define VM_ACCESS_4   4u
#define VM_ACCESS_8   8u
#define VM_ACCESS_ANY (VM_ACCESS_1 | VM_ACCESS_2 | VM_ACCESS_4 | VM_ACCESS_8)

/* Device-tree phandles of the board */
#define VM_PH_PLIC    1
#define VM_PH_TEST    2
#define VM_PH_CPU(i)  (0x10 + 2 * (i))
#define VM_PH_INTC(i) (0x11 + 2 * (i))

struct plic;
struct vcpu;
struct boot_timer;
struct net_backend;
struct guest_ram;
typedef void (*uart_out_fn)(void *opaque, const uint8_t *buf, size_t len);
typedef void (*plic_notify_fn)(void *opaque, unsigned context, bool level);
enum syscon_action { SYSCON_POWEROFF, SYSCON_FAIL, SYSCON_REBOOT };
typedef void (*syscon_fn)(void *opaque, enum syscon_action action, unsigned code);

/* What devices are made from; the machine fills it in and passes it to every create(). The
 * PLIC comes first on the board, and the machine sets `plic` once it exists. */
struct vm_board {
	const struct vm_config *cfg;
	const struct guest_ram *ram;
	struct plic *plic;
	struct vcpu **harts;
	unsigned nharts;
	void *opaque; /* the machine: passed to the callbacks below */
	uint64_t (*time)(void *opaque);
	plic_notify_fn plic_notify;
	syscon_fn syscon;
	uart_out_fn console_out; /* with console_opaque */
	void *console_opaque;
	struct boot_timer *bt;     /* the machine's: it outlives a reboot */
	struct net_backend **nets; /* the machine's, one per card (cfg->nnets) */
	const int *disk_fds; /* the machine's open --disks (cfg->ndisks), or NULL: open paths */
	void *const
	    *serials; /* the --serial ports' sinks for console_out (cfg->nserials), or NULL */
};

struct vm_fdt_u32 {
	const char *name;
	uint32_t value;
};

struct vm_device {
	const char *name; /* the device-tree node is name@base */
	uint64_t base, size;
	unsigned count; /* instances: instance i at base + i * stride with irq + i (0 means 1) */
	uint64_t stride;
	unsigned irq;    /* PLIC source, 0 for none */
	unsigned access; /* VM_ACCESS_* mask: the bus faults any other size before read/write */
	/* the device tree (fdt.c): no node when in_fdt is false */
	bool in_fdt;
	const char *compatible; /* a list of NUL-terminated strings, compatible_size bytes */
	size_t compatible_size;
	uint32_t phandle;           /* 0: none */
	bool interrupt_controller;  /* interrupt-controller, #interrupt-cells 1, #address-cells 0 */
	uint32_t hart_irqs[2];      /* interrupts-extended: per hart, these two lines of its
	                               riscv,cpu-intc (0xffffffff: absent); {0, 0}: none */
	struct vm_fdt_u32 props[2]; /* more u32 properties (name NULL: unused) */
	/* instance i: returns 0 with *dev set, or -1 with *err set */
	int (*create)(const struct vm_board *b, unsigned i, void **dev, berth_error_t *err);
	int (*read)(void *dev, uint64_t off, unsigned size, uint64_t *val);
	int (*write)(void *dev, uint64_t off, unsigned size, uint64_t val);
	void (*destroy)(void *dev); /* NULL: the device is not the board's to free */
	/* snapshots (snapstate.h): the device's state as records of instance inst (its index on
	 * the board); load: -1 with *err for a missing record or one of another length. NULL:
	 * no state (syscon, boot timer). */
	void (*save)(void *dev, struct vm_snap_writer *w, uint32_t inst);
	int (*load)(void *dev, const struct vm_snap_reader *r, uint32_t inst, berth_error_t *err);
};

#define VM_DEVICE(id, ...)   const struct vm_device id = {__VA_ARGS__}
#define VM_FDT_COMPATIBLE(s) .compatible = s, .compatible_size = sizeof(s)

/* The board, in the order devices are created and appear in the device tree (board.c). */
extern const struct vm_device *const vm_board_devices[];
extern const unsigned vm_board_ndevices;
extern const struct vm_device vm_device_plic, vm_device_aclint, vm_device_uart, vm_device_rtc,
    vm_device_syscon, vm_device_boot_timer, vm_device_virtio, vm_device_virtio_input;

/* --- PLIC (sifive,plic-1.0.0): 96 sources, contexts 2*hart (M) and 2*hart+1 (S) ------- */
#define PLIC_NUM_SOURCES  96
#define PLIC_MAX_CONTEXTS 16
#define PLIC_SIZE         0x600000
struct plic;
/* notify(opaque, context, level): the context's external interrupt line changed
 * (plic_notify_fn, above). */
struct plic *plic_create(unsigned ncontexts, plic_notify_fn notify, void *opaque);
void plic_destroy(struct plic *p);
/* A level-triggered source (1..95) changed. */
void plic_set_irq(struct plic *p, unsigned irq, bool level);
int plic_read(void *dev, uint64_t off, unsigned size, uint64_t *val);
int plic_write(void *dev, uint64_t off, unsigned size, uint64_t val);
/* The claim/complete pair as the register access does it (for tests). */
uint32_t plic_claim(struct plic *p, unsigned context);
void plic_complete(struct plic *p, unsigned context, uint32_t irq);

/* --- ns16550a UART ---------------------------------------------------------------------- */
#define UART_SIZE 0x100
struct uart;
/* out(opaque, buf, len): bytes the guest transmits (uart_out_fn, above). */
struct uart *uart_create(struct plic *plic, unsigned irq, uart_out_fn out, void *opaque);
void uart_destroy(struct uart *u);
int uart_read(void *dev, uint64_t off, unsigned size, uint64_t *val);
int uart_write(void *dev, uint64_t off, unsigned size, uint64_t val);
/* Bytes from the terminal: returns how many were taken (the receive buffer may be full). */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len);
/* Take the next received byte, or -1 (the SBI console's getchar reads the same input). */
int uart_getchar(struct uart *u);
struct boot_timer;
/* Watch the transmitted bytes for BOOT_TIMER_MAGIC (and hide it). */
void uart_set_boot_timer(struct uart *u, struct boot_timer *bt);

/* --- ACLINT / SiFive CLINT: msip, mtimecmp, mtime ---------------------------------------- */
#define ACLINT_SIZE 0x10000
struct aclint;
struct aclint *aclint_create(struct vcpu **harts, unsigned nharts, uint64_t (*time)(void *),
                             void *time_opaque);
void aclint_destroy(struct aclint *a);
int aclint_read(void *dev, uint64_t off, unsigned size, uint64_t *val);
int aclint_write(void *dev, uint64_t off, unsigned size, uint64_t val);

/* --- goldfish RTC --------------------------------------------------------------------- */
#define RTC_SIZE 0x1000
struct rtc;
struct rtc *rtc_create(struct plic *plic, unsigned irq);
void rtc_destroy(struct rtc *r);
int rtc_read(void *dev, uint64_t off, unsigned size, uint64_t *val);
int rtc_write(void *dev, uint64_t off, unsigned size, uint64_t val);

/* --- syscon / sifive,test1: 0x5555 power off, 0x3333 fail (code << 16), 0x7777 reset --- */
#define SYSCON_SIZE 0x1000
struct syscon;
struct syscon *syscon_create(syscon_fn fn, void *opaque);
void syscon_destroy(struct syscon *s);
int syscon_read(void *dev, uint64_t off, unsigned size, uint64_t *val);
int syscon_write(void *dev, uint64_t off, unsigned size, uint64_t val);

/* --- boot timer (like Firecracker's): the guest's init says "I am up" once ---------------
 * Two ways in: a write to the MMIO register (for guests with /dev/mem), or the byte sequence
 * BOOT_TIMER_MAGIC in the UART output, which the UART removes from the stream. */
#define BOOT_TIMER_SIZE  0x1000
#define BOOT_TIMER_MAGIC "\033_berth-boot-timer\033\\"
/* t0_ns: launch time (CLOCK_MONOTONIC); report: log the time to stderr. */
struct boot_timer *boot_timer_create(long long t0_ns, bool report);
void boot_timer_destroy(struct boot_timer *b);
int boot_timer_read(void *dev, uint64_t off, unsigned size, uint64_t *val);
int boot_timer_write(void *dev, uint64_t off, unsigned size, uint64_t val);
/* Record the moment (only the first call counts); returns ns since launch. */
long long boot_timer_mark(struct boot_timer *b);
/* Nanoseconds from launch to the mark, or -1 before it. */
long long boot_timer_elapsed(const struct boot_timer *b);

#endif
