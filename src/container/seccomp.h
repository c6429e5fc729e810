/* SPDX-License-Identifier: MIT */
/* linux.seccomp with libseccomp, as runc does it.
 *
 * seccomp_build() compiles a struct config_seccomp into a BPF program up front (so that a bad
 * profile fails `create`, not `start`); seccomp_apply() installs it with seccomp(2) right before
 * the user program is exec'd (with process.noNewPrivileges; without it, loading needs
 * CAP_SYS_ADMIN, so callers load it just before the capabilities are dropped, as runc does).
 * The program is loaded by berth itself rather than by
 * seccomp_load(), so that every SECCOMP_FILTER_FLAG_* the kernel knows can be used whatever the
 * libseccomp version (WAIT_KILLABLE_RECV needs libseccomp 2.6 otherwise).
 *
 * Syscall names the host's libseccomp does not know are skipped with a debug line; a rule
 * whose action is the default action is skipped too (libseccomp refuses it). When the same
 * argument index appears twice in one rule, each comparison becomes a rule of its own (runc's
 * semantics); otherwise all of them must match. With SCMP_ACT_NOTIFY the listener fd is sent,
 * with the OCI containerProcessState document, to linux.seccomp.listenerPath. */
/* This file shadows libseccomp's <seccomp.h> on the include path (-Isrc/container): pull
 * libseccomp's in first, so that <seccomp.h> keeps giving its API to every file. */
#ifdef __clang__
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winclude-next-absolute-path"
#endif
#include_next <seccomp.h>
#ifdef __clang__
#pragma clang diagnostic pop
#endif

#ifndef BERTH_SECCOMP_H
#define BERTH_SECCOMP_H

#include "config.h"
#include "error.h"

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct seccomp_program; /* opaque: the compiled filter and the flags to load it with */

/* libseccomp's SCMP_FLTATR_CTL_OPTIMIZE level the filters are compiled with (part of the
 * cache key). 2 (a binary tree) against 1 (libseccomp's default), the engine's default
 * profile: filtering 600,000 read/write calls in a container took 21.7 ms at 1, 11.2 and 23.4
 * ms in two runs at 2 (a loaded host); loading the filter (seccomp(2), which also works out the
 * kernel's per-syscall allow cache by running the filter for every syscall number) took
 * 0.63-0.68 ms for the 1140 instructions at 1 and 0.30-0.31 ms for the 1426 at 2 (quiet host,
 * strace -T, five runs each), on every container's start: 2. */
#define SECCOMP_OPTIMIZE 2

/* Compile s. Errors name the JSON path ("linux.seccomp.architectures[1]: …"). */
int seccomp_build(const struct config_seccomp *s, struct seccomp_program **out, berth_error_t *err);
/* A program from instructions compiled before for s (seccomp_cache.c): takes insns (heap, n
 * of them) and checks s's flags against the kernel as seccomp_build() does. */
int seccomp_program_from_bpf(const struct config_seccomp *s, struct sock_filter *insns, size_t n,
                             bool notify, struct seccomp_program **out, berth_error_t *err);
/* The program's instructions (n of them). */
const struct sock_filter *seccomp_program_insns(const struct seccomp_program *p, size_t *n);
void seccomp_program_free(struct seccomp_program *p);
/* Whether the program has SCMP_ACT_NOTIFY rules (a listener fd comes out of the load). */
bool seccomp_program_notifies(const struct seccomp_program *p);
/* The program as text (libseccomp's PFC), heap allocated; for the unit tests. */
char *seccomp_program_pfc(const struct seccomp_program *p);

/* Install the filter on the calling thread. *notify_fd gets the listener (or -1). Without
 * no_new_privs this needs CAP_SYS_ADMIN, so callers load before dropping capabilities. */
int seccomp_apply(const struct seccomp_program *p, int *notify_fd, berth_error_t *err);

/* What the container init does with the program the runtime compiled before forking it
 * (seccomp_build_for(), through the cache): seccomp_prepare(), with SCMP_ACT_NOTIFY, connects
 * to listenerPath (while the host's filesystem is still in view);
 * seccomp_install() loads it and sends the listener fd with state_json (the state document of
 * the container; its pid is kept) and listenerMetadata, then closes *listener. */
int seccomp_prepare(const struct config_seccomp *s, const struct seccomp_program *p, int *listener,
                    berth_error_t *err);
int seccomp_install(const struct seccomp_program *p, const struct config_seccomp *s, int *listener,
                    const char *state_json, berth_error_t *err);

/* Connect to the listener socket (a unix stream socket path). */
int seccomp_listener_connect(const char *path, berth_error_t *err);
/* Send the containerProcessState document ({"ociVersion","fds":["seccompFd"],"pid",
 * "metadata","state"}) and notify_fd over sock, in one message with SCM_RIGHTS. state_json is
 * the state document of the container (its "pid" is replaced by pid, its status by status). */
int seccomp_listener_send(int sock, int notify_fd, const char *state_json, pid_t pid,
                          const char *status, const char *metadata, berth_error_t *err);

/* Name mappings (exposed for the unit tests and `features`). */
int seccomp_action_from_name(const char *name, bool has_errno, uint32_t errno_ret, uint32_t *out,
                             berth_error_t *err);
int seccomp_op_from_name(const char *name); /* SCMP_CMP_*, or -1 */
/* libseccomp's token for "SCMP_ARCH_X86_64" etc.; 0 when this libseccomp does not know it. */
uint32_t seccomp_arch_from_name(const char *name);
/* The SECCOMP_FILTER_FLAG_* value of a flag name, 0 when unknown. */
unsigned long seccomp_flag_from_name(const char *name);
/* Whether the running kernel accepts that flag. */
bool seccomp_flag_supported(unsigned long flag);

/* Tables for `features`: the i-th name, NULL past the end. */
const char *seccomp_action_name(size_t i);
const char *seccomp_op_name(size_t i);
const char *seccomp_arch_name(size_t i);
const char *seccomp_flag_name(size_t i);

#endif
