/* SPDX-License-Identifier: MIT */
/* The container process's identity and limits, applied by its init right before exec:
 * rlimits, user and groups, the five capability sets, no_new_privs, umask, the environment
 * and the executable lookup in the container's PATH. */
#ifndef BERTH_PROCESS_H
#define BERTH_PROCESS_H

#include "config.h"
#include "error.h"

#include <stdbool.h>

int process_apply_rlimits(const struct config_process *p, berth_error_t *err);
int process_set_oom_score_adj(const struct config_process *p, berth_error_t *err);
/* process.scheduler (sched_setattr) and process.ioPriority (ioprio_set), when given. */
int process_apply_sched(const struct config_process *p, berth_error_t *err);
/* linux.memoryPolicy (set_mempolicy), when given. */
int process_apply_mempolicy(const struct config_linux *l, berth_error_t *err);
/* The one-line error for a process.user that a user namespace without mappings cannot give
 * (a uid or gid other than 0, additionalGids); 0 when there is none. */
int process_user_unmapped_error(const struct config_user *u, berth_error_t *err);
/* Drop the bounding set, switch to user.uid/gid with additionalGids (setgroups is skipped
 * when `setgroups_denied`), then set effective/permitted/inheritable and ambient. With
 * `ids_unmapped` (a user namespace where no id is mapped, config_userns_unmapped) the ids
 * are kept as they are, which the kernel shows as 65534: user uid 0, gid 0 and no
 * additionalGids are all that can be asked for there, anything else is refused. */
/* Whether setgroups(2) is denied in this process's user namespace (/proc/self/setgroups:
 * an ordinary user's own gid mapping). */
bool process_setgroups_denied(void);
int process_set_identity(const struct config_process *p, bool setgroups_denied, bool ids_unmapped,
                         berth_error_t *err);
/* chdir to process.cwd, resolved inside our root ("/", the container's after pivot_root or
 * setns) with no /proc magic link on the way, then check with getcwd() that the directory is
 * reachable from the root. Refuses /proc/self/fd/N and the like (CVE-2024-21626). */
int process_enter_cwd(const char *cwd, berth_error_t *err);
/* The executable for args[0]: as is when it has a '/', else searched in the PATH of the
 * process env (or the default PATH). Fails like runc: `exec: "x": executable file not found
 * in $PATH`. */
int process_find_executable(const struct config_process *p, char **out, berth_error_t *err);
/* The process env plus HOME (from /etc/passwd when unset) and extra "K=V" entries. NULL
 * terminated, malloc'ed, for an execve() that follows. */
char **process_build_env(const struct config_process *p, char *const *extra, size_t n_extra);
/* Last capability number the running kernel knows. */
int process_last_cap(void);

#endif
