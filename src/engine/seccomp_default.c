/* SPDX-License-Identifier: MIT */
/* The seccomp profile every container gets unless it is --privileged or asks for
 * --security-opt seccomp=unconfined|FILE: Docker's default profile (moby's
 * profiles/seccomp/default.json) as an OCI linux.seccomp object, built for the
 * container's capabilities as Docker builds it.
 *
 * - An allow list of the system calls ordinary programs make.
 * - Calls the kernel already guards with a capability, allowed only when the container has
 *   that capability (mount, unshare, setns and clone with namespace flags need
 *   CAP_SYS_ADMIN; reboot CAP_SYS_BOOT; …), refused with EPERM otherwise.
 * - Calls no container should make (kexec, the kernel keyring, which is not namespaced,
 *   userfaultfd, swapon, …) refused with EPERM.
 * - Everything else fails with ENOSYS, as for a kernel that does not have the call, so that
 *   libraries fall back (as Podman's profile does; runc's filter does the same for calls
 *   newer than the profile). clone3 without CAP_SYS_ADMIN fails with ENOSYS, since its flags
 *   are behind a pointer the filter cannot read, so glibc falls back to clone.
 * - personality only with the values programs use (Linux, UNAME26, ADDR_NO_RANDOMIZE, the
 *   query). */
#include "engine.h"
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* every call here is harmless by itself, or guarded by the kernel with nothing more than
 * the container's own namespaces */
static const char *const scd_allow[] = {
    "_llseek",
    "_newselect",
    "accept",
    "accept4",
    "access",
    "adjtimex",
    "alarm",
    "bind",
    "brk",
    "capget",
    "capset",
    "chdir",
    "chmod",
    "chown",
    "chown32",
    "clock_adjtime",
    "clock_adjtime64",
    "clock_getres",
    "clock_getres_time64",
    "clock_gettime",
    "clock_gettime64",
    "clock_nanosleep",
    "clock_nanosleep_time64",
    "close",
    "close_range",
    "connect",
    "copy_file_range",
    "creat",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_ctl_old",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "epoll_wait_old",
    "eventfd",
    "eventfd2",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fadvise64_64",
    "fallocate",
    "fanotify_mark",
    "fchdir",
    "fchmod",
    "fchmodat",
    "fchown",
    "fchown32",
    "fchownat",
    "fcntl",
    "fcntl64",
    "fdatasync",
    "fgetxattr",
    "flistxattr",
    "flock",
    "fork",
    "fremovexattr",
    "fsetxattr",
    "fstat",
    "fstat64",
    "fstatat64",
    "fstatfs",
    "fstatfs64",
    "fsync",
    "ftruncate",
    "ftruncate64",
    "futex",
    "futex_time64",
    "futex_waitv",
    "futimesat",
    "get_robust_list",
    "get_thread_area",
    "getcpu",
    "getcwd",
    "getdents",
    "getdents64",
    "getegid",
    "getegid32",
    "geteuid",
    "geteuid32",
    "getgid",
    "getgid32",
    "getgroups",
    "getgroups32",
    "getitimer",
    "getpeername",
    "getpgid",
    "getpgrp",
    "getpid",
    "getppid",
    "getpriority",
    "getrandom",
    "getresgid",
    "getresgid32",
    "getresuid",
    "getresuid32",
    "getrlimit",
    "getrusage",
    "getsid",
    "getsockname",
    "getsockopt",
    "gettid",
    "gettimeofday",
    "getuid",
    "getuid32",
    "getxattr",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "io_cancel",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "io_pgetevents_time64",
    "io_setup",
    "io_submit",
    "ioctl",
    "ioprio_get",
    "ioprio_set",
    "ipc",
    "kill",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "lchown",
    "lchown32",
    "lgetxattr",
    "link",
    "linkat",
    "listen",
    "listxattr",
    "llistxattr",
    "lremovexattr",
    "lseek",
    "lsetxattr",
    "lstat",
    "lstat64",
    "madvise",
    "membarrier",
    "memfd_create",
    "memfd_secret",
    "mincore",
    "mkdir",
    "mkdirat",
    "mknod",
    "mknodat",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mmap2",
    "mprotect",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedreceive_time64",
    "mq_timedsend",
    "mq_timedsend_time64",
    "mq_unlink",
    "mremap",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "name_to_handle_at",
    "nanosleep",
    "newfstatat",
    "open",
    "openat",
    "openat2",
    "pause",
    "pidfd_open",
    "pidfd_send_signal",
    "pipe",
    "pipe2",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "poll",
    "ppoll",
    "ppoll_time64",
    "prctl",
    "pread64",
    "preadv",
    "preadv2",
    "prlimit64",
    "process_mrelease",
    "process_vm_readv",
    "process_vm_writev",
    "pselect6",
    "pselect6_time64",
    "ptrace",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readdir",
    "readlink",
    "readlinkat",
    "readv",
    "recv",
    "recvfrom",
    "recvmmsg",
    "recvmmsg_time64",
    "recvmsg",
    "remap_file_pages",
    "removexattr",
    "rename",
    "renameat",
    "renameat2",
    "restart_syscall",
    "rmdir",
    "rseq",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_rr_get_interval_time64",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
    "seccomp",
    "select",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "semtimedop_time64",
    "send",
    "sendfile",
    "sendfile64",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "set_robust_list",
    "set_thread_area",
    "set_tid_address",
    "setfsgid",
    "setfsgid32",
    "setfsuid",
    "setfsuid32",
    "setgid",
    "setgid32",
    "setgroups",
    "setgroups32",
    "setitimer",
    "setpgid",
    "setpriority",
    "setregid",
    "setregid32",
    "setresgid",
    "setresgid32",
    "setresuid",
    "setresuid32",
    "setreuid",
    "setreuid32",
    "setrlimit",
    "setsid",
    "setsockopt",
    "setuid",
    "setuid32",
    "setxattr",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    "shutdown",
    "sigaction",
    "sigaltstack",
    "signal",
    "signalfd",
    "signalfd4",
    "sigpending",
    "sigprocmask",
    "sigreturn",
    "sigsuspend",
    "socket",
    "socketcall",
    "socketpair",
    "splice",
    "stat",
    "stat64",
    "statfs",
    "statfs64",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "sysinfo",
    "tee",
    "tgkill",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_gettime64",
    "timer_settime",
    "timer_settime64",
    "timerfd",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_gettime64",
    "timerfd_settime",
    "timerfd_settime64",
    "times",
    "tkill",
    "truncate",
    "truncate64",
    "ugetrlimit",
    "umask",
    "uname",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimensat_time64",
    "utimes",
    "vfork",
    "wait4",
    "waitid",
    "waitpid",
    "write",
    "writev",
#if defined(__x86_64__) || defined(__i386__)
    "arch_prctl",
    "modify_ldt",
#endif
#if defined(__aarch64__) || defined(__arm__)
    "arm_fadvise64_64",
    "arm_sync_file_range",
    "breakpoint",
    "cacheflush",
    "set_tls",
    "sync_file_range2",
#endif
#if defined(__riscv)
    "riscv_flush_icache",
    "riscv_hwprobe",
#endif
};

/* never allowed, whatever the capabilities: EPERM, as Docker */
static const char *const scd_deny[] = {
    "add_key",      "bdflush",     "create_module", "get_kernel_syms", "kexec_file_load",
    "kexec_load",   "keyctl",      "migrate_pages", "move_pages",      "nfsservctl",
    "query_module", "request_key", "swapoff",       "swapon",          "_sysctl",
    "sysfs",        "uselib",      "userfaultfd",   "ustat",           "vm86",
    "vm86old",
};

/* allowed only with a capability (moby's "includes": {"caps": …}); EPERM without it */
static const struct {
	const char *cap;
	const char *const names[24];
} scd_by_cap[] = {
    {"CAP_SYS_ADMIN",
     {"bpf",           "clone",       "clone3",        "fanotify_init",   "fsconfig",
      "fsmount",       "fsopen",      "fspick",        "lookup_dcookie",  "mount",
      "mount_setattr", "move_mount",  "open_tree",     "perf_event_open", "pivot_root",
      "quotactl",      "quotactl_fd", "setdomainname", "sethostname",     "setns",
      "syslog",        "umount",      "umount2",       "unshare"}},
    {"CAP_SYS_BOOT", {"reboot"}},
    {"CAP_SYS_CHROOT", {"chroot"}},
    {"CAP_SYS_MODULE", {"delete_module", "finit_module", "init_module"}},
    {"CAP_SYS_PACCT", {"acct"}},
    {"CAP_SYS_PTRACE", {"kcmp", "pidfd_getfd", "process_madvise"}},
    {"CAP_SYS_RAWIO", {"ioperm", "iopl"}},
    {"CAP_SYS_TIME", {"clock_settime", "clock_settime64", "settimeofday", "stime"}},
    {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
    {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
    {"CAP_SYSLOG", {"syslog"}},
    {"CAP_BPF", {"bpf"}},
    {"CAP_PERFMON", {"perf_event_open"}},
    {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
};

/* clone's flags that make namespaces (moby's mask): without CAP_SYS_ADMIN clone is allowed
 * only when none is set */
#define SCD_CLONE_NS_FLAGS 0x7E020000ULL

static bool scd_has_cap(const json_t *caps, const char *cap)
{
	const json_t *v;
	size_t i;

	json_array_foreach(caps, i,
	                   v) if (strcmp(json_string_value(v) ?: "", cap) == 0) return true;
	return false;
}

/* A list of call names being built: appended, then sorted and made unique once. */
struct scd_names {
	const char **v;
	size_t n;
};

static void scd_names_add(struct scd_names *l, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n && list[i]; i++)
		l->v[l->n++] = list[i];
}

static int scd_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void scd_names_sort(struct scd_names *l)
{
	size_t k = 0;

	qsort(l->v, l->n, sizeof(*l->v), scd_cmp);
	for (size_t i = 0; i < l->n; i++)
		if (k == 0 || strcmp(l->v[k - 1], l->v[i]) != 0)
			l->v[k++] = l->v[i];
	l->n = k;
}

static bool scd_names_has(const struct scd_names *l, const char *name)
{
	return bsearch(&name, l->v, l->n, sizeof(*l->v), scd_cmp) != NULL;
}

static json_t *scd_names_json(const struct scd_names *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

static json_t *scd_rule(json_t *names, const char *action, int errno_ret)
{
	json_t *r = json_pack("{s:o,s:s}", "names", names, "action", action);
	if (errno_ret)
		json_object_set_new(r, "errnoRet", json_integer(errno_ret));
	return r;
}

/* the host's own architecture and the ones its kernel runs too */
static json_t *scd_archs(void)
{
	json_t *a = json_array();
#if defined(__x86_64__)
	json_array_append_new(a, json_string("SCMP_ARCH_X86_64"));
	json_array_append_new(a, json_string("SCMP_ARCH_X86"));
	json_array_append_new(a, json_string("SCMP_ARCH_X32"));
#elif defined(__aarch64__)
	json_array_append_new(a, json_string("SCMP_ARCH_AARCH64"));
	json_array_append_new(a, json_string("SCMP_ARCH_ARM"));
#elif defined(__riscv)
	json_array_append_new(a, json_string("SCMP_ARCH_RISCV64"));
#endif
	return a;
}

json_t *seccomp_default_profile(const json_t *caps)
{
	enum {
		SCD_MAX = ARRAY_SIZE(scd_allow) + ARRAY_SIZE(scd_deny) +
		          ARRAY_SIZE(scd_by_cap) * ARRAY_SIZE(scd_by_cap[0].names)
	};
	const char *av[SCD_MAX], *dv[SCD_MAX];
	struct scd_names al = {av, 0}, dl = {dv, 0};
	json_t *allow, *deny, *rules = json_array();
	bool sys_admin = scd_has_cap(caps, "CAP_SYS_ADMIN");
	bool held[ARRAY_SIZE(scd_by_cap)];
	static const unsigned long personas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

	scd_names_add(&al, scd_allow, ARRAY_SIZE(scd_allow));
	scd_names_add(&dl, scd_deny, ARRAY_SIZE(scd_deny));
	/* a call in two groups (bpf: CAP_SYS_ADMIN or CAP_BPF) is allowed by either */
	for (size_t i = 0; i < ARRAY_SIZE(scd_by_cap); i++) {
		held[i] = scd_has_cap(caps, scd_by_cap[i].cap);
		if (held[i])
			scd_names_add(&al, scd_by_cap[i].names, ARRAY_SIZE(scd_by_cap[i].names));
	}
	scd_names_sort(&al);
	for (size_t i = 0; i < ARRAY_SIZE(scd_by_cap); i++) {
		if (held[i])
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(scd_by_cap[i].names) && scd_by_cap[i].names[k];
		     k++) {
			const char *n = scd_by_cap[i].names[k];
			/* clone and clone3 get their own rules below */
			if (strcmp(n, "clone") != 0 && strcmp(n, "clone3") != 0 &&
			    !scd_names_has(&al, n))
				dl.v[dl.n++] = n;
		}
	}
	scd_names_sort(&dl);
	allow = scd_names_json(&al);
	deny = scd_names_json(&dl);
	json_array_append_new(rules, scd_rule(allow, "SCMP_ACT_ALLOW", 0));
	json_array_append_new(rules, scd_rule(deny, "SCMP_ACT_ERRNO", EPERM));
	for (size_t i = 0; i < ARRAY_SIZE(personas); i++) {
		json_t *r = scd_rule(json_pack("[s]", "personality"), "SCMP_ACT_ALLOW", 0);
		json_object_set_new(r, "args",
		                    json_pack("[{s:i,s:I,s:s}]", "index", 0, "value",
		                              (json_int_t)personas[i], "op", "SCMP_CMP_EQ"));
		json_array_append_new(rules, r);
	}
	if (!sys_admin) {
		json_t *r = scd_rule(json_pack("[s]", "clone"), "SCMP_ACT_ALLOW", 0);
		json_object_set_new(r, "args",
		                    json_pack("[{s:i,s:I,s:I,s:s}]", "index", 0, "value",
		                              (json_int_t)SCD_CLONE_NS_FLAGS, "valueTwo",
		                              (json_int_t)0, "op", "SCMP_CMP_MASKED_EQ"));
		json_array_append_new(rules, r);
		json_array_append_new(
		    rules, scd_rule(json_pack("[s]", "clone3"), "SCMP_ACT_ERRNO", ENOSYS));
	}
	return json_pack("{s:s,s:i,s:o,s:o}", "defaultAction", "SCMP_ACT_ERRNO", "defaultErrnoRet",
	                 ENOSYS, "architectures", scd_archs(), "syscalls", rules);
}
