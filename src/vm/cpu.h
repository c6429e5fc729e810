/* SPDX-License-Identifier: MIT */
/* The contract between the machine (the C files of src/vm, devices, SBI) and a CPU back end.
 *
 * Today there is one back end, the RV64GC interpreter in src/vm/riscv/; a KVM back end will
 * implement the same functions later. The machine owns guest RAM and the devices; a back end
 * owns the harts' architectural state and runs them, one host thread per hart.
 *
 * Threading: vcpu_run() is called on the hart's own thread and returns only when the machine
 * asks every hart to stop (vcpu_kick with VCPU_EXIT_*). Everything else here may be called
 * from any thread (devices raise interrupts from their own threads). */
#ifndef BERTH_VM_CPU_H
#define BERTH_VM_CPU_H

#include "error.h"

#include <stdbool.h>
#include <stdint.h>

struct vcpu;
struct code_map;

/* Interrupt lines the machine drives (bit numbers of mip). */
enum {
	VCPU_IRQ_SSIP = 1, /* supervisor software (IPI through SBI) */
	VCPU_IRQ_MSIP = 3,
	VCPU_IRQ_STIP = 5, /* supervisor timer (SBI set_timer; Sstc drives it in the CPU) */
	VCPU_IRQ_MTIP = 7,
	VCPU_IRQ_SEIP = 9, /* supervisor external (PLIC S-mode context) */
	VCPU_IRQ_MEIP = 11,
};

/* What the machine gives every hart. All callbacks get `opaque`. */
struct vcpu_platform {
	void *opaque;
	/* Guest RAM, host-mapped: guest physical [ram_base, ram_base + ram_size). */
	uint8_t *ram;
	uint64_t ram_base, ram_size;
	/* Timebase in Hz (the device tree's timebase-frequency) and the current `time`. */
	uint64_t timebase_hz;
	uint64_t (*time)(void *opaque);
	/* A physical access outside RAM. size is 1, 2, 4 or 8; addr is naturally aligned by
	 * the CPU before it calls. Return 0, or -1 for an access fault (the CPU then raises the
	 * architectural load/store access-fault trap). */
	int (*mmio_read)(void *opaque, uint64_t addr, unsigned size, uint64_t *val);
	int (*mmio_write)(void *opaque, uint64_t addr, unsigned size, uint64_t val);
	/* An ecall from S-mode: the SBI, served by the machine. It reads a0-a7 with
	 * vcpu_get_reg() and writes a0/a1 with vcpu_set_reg(); the CPU then resumes at
	 * sepc+4 in S-mode as if M-mode firmware had returned with mret. Called on the hart's
	 * own thread. */
	void (*sbi_call)(void *opaque, struct vcpu *v);
	/* Run the hart through the x86-64 translator (--accel jit) instead of the interpreter.
	 * Ignored (the interpreter runs) where the translator does not exist or cannot get its
	 * code buffer (then with a line on stderr). */
	bool jit;
	/* Which RAM pages hold translated code (codemap.h), shared by all harts and the
	 * devices; NULL: each hart's translator keeps its own (stores by other harts and DMA
	 * then do not invalidate its translations). */
	struct code_map *code;
};

/* Why vcpu_run() returned. */
enum vcpu_exit {
	VCPU_EXIT_NONE = 0,
	VCPU_EXIT_SHUTDOWN, /* the machine powers off */
	VCPU_EXIT_REBOOT,   /* the machine resets */
	VCPU_EXIT_ERROR,    /* the back end cannot go on (message in vcpu_error()) */
};

/* Whether this host has the translator (platform.jit). */
bool vcpu_jit_available(void);
/* What a hart's translator did (berth vm run --stats). */
struct vcpu_jit_stats {
	uint64_t blocks;       /* translations made */
	uint64_t code_bytes;   /* in the code buffer now (headers, guest copies, host code) */
	uint64_t code_size;    /* the code buffer's size */
	uint64_t flushes;      /* times the buffer was full and emptied */
	uint64_t idle_flushes; /* times it was emptied when the hart idled (rv_jit_idle) */
	uint64_t chained;      /* block-to-block jumps that stayed in translated code */
	uint64_t dispatched;   /* blocks entered from the dispatcher */
	uint64_t stale;        /* translations dropped because their code changed */
	uint64_t translate_ns; /* time spent translating */
	uint64_t interp_runs;  /* blocks run through the interpreter (not hot yet: rv_jit_hot) */
};
/* Add hart v's figures to *s (nothing under the interpreter). */
void vcpu_jit_stats_add(const struct vcpu *v, struct vcpu_jit_stats *s);
/* Create hart `hartid`. It starts stopped (SBI HSM "STOPPED") unless vcpu_start() is called. */
struct vcpu *vcpu_create(const struct vcpu_platform *p, unsigned hartid);
void vcpu_destroy(struct vcpu *v);

/* Put the hart in S-mode at pc with a0 = hartid, a1 = opaque (as SBI HSM hart_start and the
 * boot protocol want: satp = 0, interrupts off) and let vcpu_run() execute it. */
void vcpu_start(struct vcpu *v, uint64_t pc, uint64_t a1);
/* Called by the SBI (on the hart's own thread) for HSM hart_stop: the hart idles until the
 * next vcpu_start(). */
void vcpu_stop_self(struct vcpu *v);
/* HSM status: 0 started, 1 stopped, 2 start pending, 3 stop pending, 4 suspended … */
int vcpu_hsm_status(const struct vcpu *v);

/* Run the hart until the machine stops it; returns the reason given to vcpu_kick(). */
enum vcpu_exit vcpu_run(struct vcpu *v);
/* Make vcpu_run() return `why` as soon as possible (from any thread, wakes a wfi). */
void vcpu_kick(struct vcpu *v, enum vcpu_exit why);

/* Raise or lower an interrupt line (VCPU_IRQ_*); wakes the hart from wfi when it becomes
 * pending. Thread-safe. */
void vcpu_set_irq(struct vcpu *v, int irq, bool level);
/* SBI TIME set_timer: STIP is raised when time >= when (and cleared by this call). */
void vcpu_set_timer(struct vcpu *v, uint64_t when);
/* SBI RFENCE: flush this hart's address translation (and, for fence_i, decoded
 * instructions) before it executes its next instruction. Thread-safe. */
void vcpu_flush_tlb(struct vcpu *v);
void vcpu_flush_icache(struct vcpu *v);

/* Integer registers x0-x31 and pc (for the SBI and for tests). */
uint64_t vcpu_get_reg(const struct vcpu *v, unsigned reg);
void vcpu_set_reg(struct vcpu *v, unsigned reg, uint64_t val);
uint64_t vcpu_get_pc(const struct vcpu *v);
/* Instructions retired so far (instret), for statistics and benchmarks. */
uint64_t vcpu_instret(const struct vcpu *v);
const char *vcpu_error(const struct vcpu *v);

/* Snapshots (snapstate.h), of a hart whose thread is not running: its architectural state
 * as record HART hartid (registers, FP, pc, privilege, the CSRs the back end keeps, the SBI
 * timer, HSM state); load puts it back (-1 with *err for a missing or malformed record).
 * Decoded blocks, translations and TLBs are not saved: they rebuild. */
struct vm_snap_writer;
struct vm_snap_reader;
void vcpu_save(struct vcpu *v, struct vm_snap_writer *w);
int vcpu_load(struct vcpu *v, const struct vm_snap_reader *r, berth_error_t *err);

#endif
