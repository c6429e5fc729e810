/* SPDX-License-Identifier: MIT */
/* Internals shared by cgroup.c, cgroup_v1.c, cgroup_v2.c, cgroup_fs.c and cgroup_ebpf.c (and
 * the unit tests). Not for other modules. */
#ifndef BERTH_CGROUP_PRIV_H
#define BERTH_CGROUP_PRIV_H

#include "cgroup.h"

#include <linux/bpf.h>
#include <stdbool.h>
#include <stdint.h>

#include "cgroup_fs.h"

struct cgroup_dev_state;

/* ---- per version ---------------------------------------------------------------------- *
 * cgroup.c reaches v1 and v2 only through these tables (crun's cgroup managers are the
 * model); each version is written on cgroup_fs.c and never calls the other. On a hybrid host
 * both are used: a controller found in a v1 hierarchy goes to cgroup_v1_ops, one only in the
 * cgroup2 tree to cgroup_v2_ops.
 *
 * A setter writes linux.resources for one controller into `dir`, the cgroup's directory in
 * the hierarchy that holds the controller; dir NULL means the host has no such controller
 * (writes then fail, as the limit cannot be enforced). update: `berth-runtime update`. */
typedef int (*cgroup_setter)(const char *dir, const struct config_resources *r, bool update,
                             berth_error_t *err);

struct cgroup_ops {
	/* mkdir path below the mount of a hierarchy with these controllers (v1: cpuset.cpus and
	 * .mems copied down; v2: controllers enabled in each parent's subtree_control). *top:
	 * the first directory made, for cgroup_fs_unmake(). */
	int (*create)(const char *mount, const char *path, unsigned controllers, char **top,
	              berth_error_t *err);
	/* indexed by enum cgroup_controller: every controller cgroup_apply_opts() writes */
	cgroup_setter set[CGROUP_CTRL_COUNT];
	/* the effective device policy (v1 devices.allow/deny; v2 a BPF program) */
	int (*devices)(const char *dir, const struct cgroup_dev_state *st, berth_error_t *err);
	/* resources.unified (NULL on v1); controllers: the available ones */
	int (*unified)(const char *dir, unsigned controllers, const struct config_resources *r,
	               berth_error_t *err);
	/* freeze (true) or thaw and wait until the state has settled */
	int (*freeze)(const char *dir, bool freeze, berth_error_t *err);
	/* 1 frozen, 0 not, -1 error */
	int (*is_frozen)(const char *dir, berth_error_t *err);
	const char *freeze_file; /* present in a cgroup that can be frozen */
	/* kill every process at once (v2 cgroup.kill; NULL on v1) */
	int (*kill)(const char *dir, berth_error_t *err);
	const char *oom_file; /* flat-keyed file with the oom_kill count */
	/* statistics from this version's hierarchies (only what they hold) */
	int (*stats)(const struct cgroup *cg, struct cgroup_stats *st, berth_error_t *err);
};

/* how long freeze / thaw wait for the state to settle */
#define CGROUP_FREEZE_TIMEOUT_MS 5000

extern const struct cgroup_ops cgroup_v1_ops;
extern const struct cgroup_ops cgroup_v2_ops;

/* ---- devices ----------------------------------------------------------------------- */
#define CGROUP_DEV_R 1u
#define CGROUP_DEV_W 2u
#define CGROUP_DEV_M 4u

struct cgroup_dev_rule {
	bool allow;
	char type;            /* 'a', 'c', 'b' */
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
