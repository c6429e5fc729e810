/* SPDX-License-Identifier: MIT */
/* A bare test "machine" for the RV64 interpreter: RAM at 0x80000000, a fake MMIO device,
 * and an SBI where programs report pass/fail. No devices, no device tree. */
#ifndef BERTH_TEST_RISCV_HARNESS_H
#define BERTH_TEST_RISCV_HARNESS_H

#include "riscv.h"

#define H_RAM_BASE 0x80000000ULL
#define H_RAM_SIZE (16u << 20)
/* MMIO scratch register: reads return the last value written (any size). */
#define H_MMIO_BASE 0x10000000ULL
/* Custom SBI extension "BERT": a0 = 0 pass, else a failure code. */
#define H_SBI_EID_TEST 0x42455254ULL

struct harness {
	struct vcpu_platform plat;
	struct vcpu *v;
	uint8_t *ram;
	uint64_t mmio_reg;
	unsigned mmio_reads, mmio_writes;
	unsigned sbi_calls;
	int done;        /* 0 running, 1 pass, 2 fail */
	uint64_t result; /* failure code (a0) */
	char out[4096];  /* legacy putchar output */
	unsigned outlen;
	/* Optional hook for SBI calls the harness does not know. */
	void (*sbi_hook)(struct harness *h, struct vcpu *v);
};

/* RISCV_ACCEL=jit in the environment: harts run through the translator. */
bool h_accel_jit(void);
struct harness *h_new(void);
/* The same, with the translator (jit) or the interpreter, whatever the environment says
 * (RISCV_JIT_HOT=N in it sets rv_jit_hot). */
struct harness *h_new_accel(bool jit);
void h_free(struct harness *h);
/* Copy words into RAM at physical address pa. */
void h_put(struct harness *h, uint64_t pa, const void *data, size_t len);
void h_put32(struct harness *h, uint64_t pa, uint32_t insn);
uint64_t h_get64(struct harness *h, uint64_t pa);
void h_put64(struct harness *h, uint64_t pa, uint64_t val);
/* Load a flat binary at 0x80000000. Returns 0 or -1. */
int h_load_file(struct harness *h, const char *path);
/* Run until the program reports through the SBI or `seconds` pass. Returns h->done. */
int h_run(struct harness *h, uint64_t pc, bool mmode, double seconds);
/* Reset the hart into S-mode (or M-mode) at pc synchronously, without running it. */
void h_reset(struct harness *h, uint64_t pc, bool mmode);
/* Execute n instructions (no interrupt checks); exactly n under the interpreter, n or a
 * few more (to the end of a block) under the translator. */
void h_step(struct harness *h, uint64_t n);
/* Run hart v (of h's machine, h->v or another sharing its RAM) from pc until it reports
 * through the SBI, at most 1000 budgets of 100,000 instructions, without the fence.i h_step
 * makes: only the code map can tell it that its code changed. Returns h->done. */
int h_run_no_fence(struct harness *h, struct vcpu *v, uint64_t pc);

#endif
