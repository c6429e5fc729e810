/* SPDX-License-Identifier: MIT */
/* The devices of berth's RISC-V "virt" machine, one file each. Every device is an MMIO
 * region: read/write get the offset inside the region and an access size of 1, 2, 4 or 8
 * and return 0 or -1 (the CPU then raises an access fault). Devices are thread-safe: any
 * hart may touch them, and host threads (the terminal reader) feed some of them. */
#ifndef BERTH_VM_DEVICES_H
#define BERTH_VM_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- PLIC (sifive,plic-1.0.0): 96 sources, contexts 2*hart (M) and 2*hart+1 (S) ------- */
#define PLIC_NUM_SOURCES  96
#define PLIC_MAX_CONTEXTS 16
#define PLIC_SIZE         0x600000
struct plic;
/* notify(opaque, context, level): the context's external interrupt line changed. */
typedef void (*plic_notify_fn)(void *opaque, unsigned context, bool level);
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
/* out(opaque, buf, len): bytes the guest transmits. */
typedef void (*uart_out_fn)(void *opaque, const uint8_t *buf, size_t len);
struct uart *uart_create(struct plic *plic, unsigned irq, uart_out_fn out, void *opaque);
void uart_destroy(struct uart *u);
int uart_read(void *dev, uint64_t off, unsigned size, uint64_t *val);
int uart_write(void *dev, uint64_t off, unsigned size, uint64_t val);
/* Bytes from the terminal: returns how many were taken (the receive buffer may be full). */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len);
struct boot_timer;
/* Watch the transmitted bytes for BOOT_TIMER_MAGIC (and hide it). */
void uart_set_boot_timer(struct uart *u, struct boot_timer *bt);

/* --- ACLINT / SiFive CLINT: msip, mtimecmp, mtime ---------------------------------------- */
#define ACLINT_SIZE 0x10000
struct aclint;
struct vcpu;
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
enum syscon_action { SYSCON_POWEROFF, SYSCON_FAIL, SYSCON_REBOOT };
typedef void (*syscon_fn)(void *opaque, enum syscon_action action, unsigned code);
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
struct boot_timer;
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
