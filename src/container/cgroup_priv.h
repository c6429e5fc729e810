/* SPDX-License-Identifier: MIT */
/* Internals shared by cgroup.c, cgroup_v1.c, cgroup_v2.c and cgroup_ebpf.c (and the unit
 * tests). Not for other modules. */
#ifndef BERTH_CGROUP_PRIV_H
#define BERTH_CGROUP_PRIV_H

#include "cgroup.h"

#include <linux/bpf.h>
#include <stdbool.h>
#include <stdint.h>

struct cgroup_dev_state;

/* Test hook: called with every value written to a cgroup file, before the write. */
extern void (*cgroup_write_hook)(const char *dir, const char *file, const char *value);

/* Write value to <dir>/<file>. dir NULL means the host lacks `ctrl`: that is an error
 * ("cannot set <file>: no <ctrl> controller"), since the setting cannot be enforced. */
int cgroup_set(const char *dir, const char *ctrl, const char *file, const char *value,
	       berth_error_t *err);
int cgroup_setf(const char *dir, const char *ctrl, const char *file, berth_error_t *err,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Read <dir>/<file> with the trailing newline removed. */
int cgroup_read(const char *dir, const char *file, char **out, berth_error_t *err);
/* A number; "max" reads as UINT64_MAX. */
int cgroup_read_u64(const char *dir, const char *file, uint64_t *v, berth_error_t *err);
/* The value of "key N" in a flat-keyed file (cpu.stat, memory.events, memory.stat).
 * Returns 0 and *v, or -1 (no error set) when the file or the key is missing. */
int cgroup_read_key(const char *dir, const char *file, const char *key, uint64_t *v);
bool cgroup_file_exists(const char *dir, const char *file);

/* The directory of cg holding controller c: the v1 hierarchy that has it, else the v2 tree
 * when c is available there; NULL when neither. *v2 says which (on a v2 host: true). */
char *cgroup_ctrl_dir(const struct cgroup *cg, enum cgroup_controller c, bool *v2);

/* The hugepage sizes of the host ("2MB", "1GB"), from /sys/kernel/mm/hugepages. */
char **cgroup_hugepage_sizes(size_t *n);
void cgroup_strv_free(char **v, size_t n);

/* ---- per version ------------------------------------------------------------------- *
 * `dir` is the cgroup's directory in the hierarchy that holds the controller, NULL when the
 * host has no such controller (writes then fail, as the limit cannot be enforced). */
int cgroup_v1_memory(const char *dir, const struct config_resources *r, bool update,
		     berth_error_t *err);
int cgroup_v1_cpu(const char *dir, const struct config_resources *r, berth_error_t *err);
int cgroup_v1_cpuset(const char *dir, const struct config_resources *r, berth_error_t *err);
int cgroup_v1_pids(const char *dir, const struct config_resources *r, berth_error_t *err);
int cgroup_v1_blkio(const char *dir, const struct config_resources *r, berth_error_t *err);
int cgroup_v1_hugetlb(const char *dir, const struct config_resources *r, berth_error_t *err);
int cgroup_v1_net_cls(const char *dir, const struct config_resources *r, berth_error_t *err);
int cgroup_v1_net_prio(const char *dir, const struct config_resources *r, berth_error_t *err);
int cgroup_v1_rdma(const char *dir, const struct config_resources *r, berth_error_t *err);
int cgroup_v1_devices(const char *dir, const struct cgroup_dev_state *st, berth_error_t *err);
/* Stats from the v1 hierarchies (dir per controller, NULL when absent). */
int cgroup_v1_stats(const struct cgroup *cg, struct cgroup_stats *st, berth_error_t *err);

int cgroup_v2_memory(const char *dir, const struct config_resources *r, bool update,
		     berth_error_t *err);
int cgroup_v2_cpu(const char *dir, const struct config_resources *r, berth_error_t *err);
int cgroup_v2_cpuset(const char *dir, const struct config_resources *r, berth_error_t *err);
int cgroup_v2_pids(const char *dir, const struct config_resources *r, berth_error_t *err);
int cgroup_v2_io(const char *dir, const struct config_resources *r, berth_error_t *err);
int cgroup_v2_hugetlb(const char *dir, const struct config_resources *r, berth_error_t *err);
int cgroup_v2_rdma(const char *dir, const struct config_resources *r, berth_error_t *err);
/* resources.unified; dir is the cgroup's v2 directory, controllers the available ones. */
int cgroup_v2_unified(const char *dir, unsigned controllers, const struct config_resources *r,
		      berth_error_t *err);
int cgroup_v2_stats(const struct cgroup *cg, struct cgroup_stats *st, berth_error_t *err);

/* ---- devices ----------------------------------------------------------------------- */
#define CGROUP_DEV_R 1u
#define CGROUP_DEV_W 2u
#define CGROUP_DEV_M 4u

struct cgroup_dev_rule {
	bool allow;
	char type;	      /* 'a', 'c', 'b' */
	int64_t major, minor; /* -1: any */
	unsigned access;      /* CGROUP_DEV_* */
};

/* The effective device policy, as cgroup v1 (and runc's emulator) would end up with after
 * the rules in order: a default and exceptions, all of the other verdict. */
struct cgroup_dev_state {
	bool default_allow;
	struct cgroup_dev_rule *rules; /* exceptions, allow == !default_allow */
	size_t n_rules;
};

/* Rules from resources.devices, then linux.devices (allow rwm), then runc's defaults. */
int cgroup_dev_rules(const struct config_resources *r, const struct config_device *devs,
		     size_t n_devs, struct cgroup_dev_rule **out, size_t *n, berth_error_t *err);
/* Run the rules through the v1 semantics. */
void cgroup_dev_emulate(const struct cgroup_dev_rule *rules, size_t n, struct cgroup_dev_state *st);
void cgroup_dev_state_free(struct cgroup_dev_state *st);

/* The BPF_PROG_TYPE_CGROUP_DEVICE program for a state (pure). *n instructions, malloc'ed. */
struct bpf_insn *cgroup_dev_bpf_program(const struct cgroup_dev_state *st, size_t *n);
/* bpf(BPF_PROG_LOAD); returns the program fd. */
int cgroup_dev_bpf_load(const struct bpf_insn *insns, size_t n, berth_error_t *err);
/* Attach the program to the v2 cgroup directory (BPF_F_ALLOW_MULTI), detaching the programs
 * that were attached before. */
int cgroup_dev_bpf_attach(const char *dir, int prog_fd, berth_error_t *err);
/* How many device programs are attached to dir (-1 + *err on error). */
int cgroup_dev_bpf_count(const char *dir, berth_error_t *err);

#endif
