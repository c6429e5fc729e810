/* SPDX-License-Identifier: MIT */
/* The bottom layer of the cgroup code: cgroupfs files and directories, where a cgroup's
 * directories are, and the few settings written alike on v1 and v2; nothing specific to one
 * version. cgroup_v1.c and cgroup_v2.c sit on it, cgroup.c on them (docs/cgroups.md).
 * Internal to the cgroup code and its unit tests. */
#ifndef BERTH_CGROUP_FS_H
#define BERTH_CGROUP_FS_H

#include "cgroup.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- files --------------------------------------------------------------------------- */

/* Test hook: called with every value written to a cgroup file, before the write. */
extern void (*cgroup_write_hook)(const char *dir, const char *file, const char *value);

/* Write value to <dir>/<file> in one write(2). dir NULL means the host lacks `ctrl`: that is
 * an error ("cannot set <file>: no <ctrl> controller"), since the setting cannot be
 * enforced. */
int cgroup_set(const char *dir, const char *ctrl, const char *file, const char *value,
               berth_error_t *err);
int cgroup_setf(const char *dir, const char *ctrl, const char *file, berth_error_t *err,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* cgroup_set(), except that when the kernel refuses the value with EINVAL and `later` is
 * true (it may take it once another file is written: a CPU period or burst before the
 * quota) the value is kept in *deferred (malloc'ed) for a second cgroup_set() after that
 * write. *deferred NULL: written now. */
int cgroup_set_later(const char *dir, const char *ctrl, const char *file, const char *value,
                     bool later, char **deferred, berth_error_t *err);
/* Read <dir>/<file> with the trailing newline removed. */
int cgroup_read(const char *dir, const char *file, char **out, berth_error_t *err);
/* A number; "max" reads as UINT64_MAX. */
int cgroup_read_u64(const char *dir, const char *file, uint64_t *v, berth_error_t *err);
/* The same, 0 when dir is NULL or the file is missing or unreadable (statistics). */
void cgroup_read_u64_or0(const char *dir, const char *file, uint64_t *v);
/* The value of "key N" in a flat-keyed file (cpu.stat, memory.events, memory.stat).
 * Returns 0 and *v, or -1 (no error set) when the file or the key is missing. */
int cgroup_read_key(const char *dir, const char *file, const char *key, uint64_t *v);
bool cgroup_file_exists(const char *dir, const char *file);

/* The hugepage sizes of the host ("64KB", "2MB", "1GB": the kernel's names) from dir (NULL:
 * /sys/kernel/mm/hugepages, which holds hugepages-2048kB/ …). */
char **cgroup_hugepage_sizes(const char *dir, size_t *n);
void cgroup_strv_free(char **v, size_t n);

void cgroup_fs_sleep_ms(long ms);

/* ---- the directories of a cgroup ------------------------------------------------------ */

/* Every directory of the cgroup at path: v1 hierarchies first, then v2. n <= MAX + 1. */
size_t cgroup_fs_dirs(const struct cgroup_host *h, const char *path,
                      char *dirs[CGROUP_MAX_HIERARCHIES + 1]);
void cgroup_fs_dirs_free(char **dirs, size_t n);
/* The directory of cg holding controller c: the v1 hierarchy that has it, else the v2 tree
 * when c is available there; NULL when neither. *v2 says which (on a v2 host: true). */
char *cgroup_ctrl_dir(const struct cgroup *cg, enum cgroup_controller c, bool *v2);
/* The cgroup's directory in the cgroup2 tree, NULL when the host has none. */
char *cgroup_v2_dir(const struct cgroup *cg);

/* Called for one level of a path being made: a directory and its parent. */
typedef int (*cgroup_fs_level_fn)(const char *parent, const char *dir, berth_error_t *err);
/* mkdir each level of path below mount, calling before(parent, dir) ahead of each mkdir and
 * after(parent, dir) once the directory is there (either may be NULL). *top: the first
 * directory made (NULL if none). */
int cgroup_fs_mkdirs(const char *mount, const char *path, cgroup_fs_level_fn before,
                     cgroup_fs_level_fn after, char **top, berth_error_t *err);
/* Remove dir and its parents up to and including top (what one cgroup_fs_mkdirs made). */
void cgroup_fs_unmake(const char *dir, const char *top);
/* rmdir dir after its child cgroups, depth first. 0, or -errno of the first failure. */
int cgroup_fs_rmdir_tree(const char *dir);
/* Whether dir/cgroup.procs lists a process. */
bool cgroup_fs_has_procs(const char *dir);
/* Append the pids in dir and below it to *pids (*n used, *cap allocated). */
void cgroup_fs_collect_pids(const char *dir, pid_t **pids, size_t *n, size_t *cap);

/* ---- settings whose files and formats are the same on v1 and v2 ------------------------ */
int cgroup_fs_cpuset(const char *dir, const struct config_resources *r, bool update,
                     berth_error_t *err);
int cgroup_fs_pids(const char *dir, const struct config_resources *r, bool update,
                   berth_error_t *err);
int cgroup_fs_rdma(const char *dir, const struct config_resources *r, bool update,
                   berth_error_t *err);
/* cpu.idle (1 or 0), when set. */
int cgroup_fs_cpu_idle(const char *dir, const struct config_resources *r, berth_error_t *err);
/* The hugepage limits into hugetlb.<size>.<suffix> and hugetlb.<size>.rsvd.<suffix> (when
 * the kernel has it): suffix "limit_in_bytes" on v1, "max" on v2. */
int cgroup_fs_hugetlb(const char *dir, const char *suffix, const struct config_resources *r,
                      berth_error_t *err);

#endif
