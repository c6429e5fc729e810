/* SPDX-License-Identifier: MIT */
/* berth bench compare: one image as a native container, an emulated one (--platform
 * linux/riscv64, qemu-user) and a VM-backed one (--vm), measured by running this same berth
 * binary (with the same --root) as subprocesses, as a user would (compare.c); the table, the
 * JSON and the SVG of what was measured (bench.c). */
#ifndef BERTH_CLI_COMPARE_H
#define BERTH_CLI_COMPARE_H

#include "error.h"

#include <stdbool.h>

struct engine;

enum cmp_col { CMP_NATIVE, CMP_EMULATED, CMP_VM, CMP_NCOL };

enum cmp_row {
	CMP_START_OUTPUT, /* ms from `run` to the first line of `echo hi` (median) */
	CMP_START_TRUE,   /* ms from `run` to the exit of `true` (median) */
	CMP_MEMORY,       /* MiB: PSS of every host process of an idle instance (mean) */
	CMP_CPU,          /* ms of a busybox sh arithmetic loop (median) */
	CMP_IO_WRITE,     /* MB/s: dd conv=fsync into the instance's own filesystem */
	CMP_IO_READ,      /* MB/s: dd of that file back */
	CMP_NET,          /* MB/s: nc from one instance to another */
	CMP_DENSITY,      /* instances in 1 GiB (extrapolated from CMP_MEMORY) */
	CMP_DISK,         /* MB on disk: the image's variant (+ qemu, + kernel and agent) */
	CMP_ISOLATION,    /* text: the boundary */
	CMP_NROW
};

struct cmp_cell {
	bool ok; /* measured: value (or text) */
	double value;
	char *text; /* CMP_ISOLATION's value */
	char *note; /* why not measured, or how (heap) */
};

struct cmp_result {
	const char *image;
	int runs, instances;
	char *col_platform[CMP_NCOL]; /* linux/amd64, linux/riscv64, linux/riscv64 */
	char *col_why[CMP_NCOL];      /* why a whole column could not run, or NULL */
	char *kvm_why;                /* why there is no KVM column */
	char *host;                   /* "2 CPUs, Linux 6.18, load 11.2" */
	struct cmp_cell cell[CMP_NROW][CMP_NCOL];
};

struct cmp_row_info {
	const char *id, *title, *unit;
	bool higher_better, numeric;
};
extern const struct cmp_row_info cmp_rows[CMP_NROW];
extern const char *const cmp_col_id[CMP_NCOL];
extern const char *const cmp_col_title[CMP_NCOL];

/* Measure every row of every column (progress on stderr). Everything it starts is named
 * cmp<pid>-… and removed, also on SIGINT/SIGTERM (then -1 with *err "interrupted"). A bad
 * image: one line, -1. */
int cmp_measure(struct engine *e, const char *image, int runs, struct cmp_result *r,
                berth_error_t *err);
void cmp_result_free(struct cmp_result *r);

#endif
