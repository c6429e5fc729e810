/* SPDX-License-Identifier: MIT */
/* The OCI runtime-spec (v1.0.0 to v1.3.x) config.json as typed C structs.
 *
 * config_parse() fills these from JSON with jansson. Unknown fields are ignored, as the spec
 * says; a wrong type, a missing required field or a bad value fails with
 *   "config.json: <json.path>: <problem> (line L, column C)"
 * where the path looks like `process.args[2]` or `linux.namespaces[1].type`.
 *
 * Conventions: strings are heap-allocated and NULL when absent; arrays are a pointer plus a
 * `n_` count; optional numbers carry a `has_` flag. Everything is released by config_free().
 * The original JSON stays available in `raw` (annotations, hooks' state, features). */
#ifndef BERTH_CONFIG_H
#define BERTH_CONFIG_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Limits on config.json, so that a config cannot keep the runtime busy for minutes
 * (docs/limits.md). An array longer than its limit is refused at parse time with an error
 * that names its JSON path and the limit. */
#define CONFIG_MAX_ARRAY       4096 /* any other array of objects */
#define CONFIG_MAX_MOUNTS      1024 /* mounts[] */
#define CONFIG_MAX_RLIMITS     64   /* process.rlimits[] (Linux has 16 resources) */
#define CONFIG_MAX_HOOKS       128  /* each of hooks.prestart[], hooks.poststop[], … */
#define CONFIG_MAX_DEVICES     1024 /* linux.devices[], linux.resources.devices[] */
#define CONFIG_MAX_SYSCALLS    1024 /* linux.seccomp.syscalls[] */
#define CONFIG_MAX_ID_MAPPINGS 340  /* linux.uidMappings[], gidMappings[] (the kernel's limit) */
#define CONFIG_MAX_SYSCTL      1024 /* linux.sysctl keys */
/* hostname and domainname: the kernel's limit (HOST_NAME_MAX, __NEW_UTS_LEN) */
#define CONFIG_MAX_HOSTNAME 64
/* linux.resources.memory.limit: below this the container's init cannot even start (the
 * kernel would OOM-kill it); Docker documents the same minimum (6 MiB). */
#define CONFIG_MIN_MEMORY_LIMIT (6LL * 1024 * 1024)

struct json_t;

struct config_kv {
	char *key;
	char *value;
};

struct config_rlimit {
	int resource; /* RLIMIT_* */
	char *type;   /* "RLIMIT_NOFILE" */
	uint64_t hard, soft;
};

struct config_capabilities {
	/* capability numbers (CAP_*); names unknown to the host are dropped with a warning */
	int *bounding, *effective, *inheritable, *permitted, *ambient;
	size_t n_bounding, n_effective, n_inheritable, n_permitted, n_ambient;
	bool has; /* process.capabilities present at all */
};

struct config_user {
	uid_t uid;
	gid_t gid;
	bool has_umask;
	mode_t umask;
	gid_t *additional_gids;
	size_t n_additional_gids;
	char *username; /* windows only; kept for completeness */
};

struct config_console_size {
	unsigned height, width;
};

struct config_io_priority {
	int class_; /* IOPRIO_CLASS_RT/BE/IDLE */
	int priority;
};

struct config_scheduler {
	int policy; /* SCHED_* */
	int nice;
	int priority;
	unsigned flags; /* SCHED_FLAG_* */
	uint64_t runtime, deadline, period;
};

struct config_process {
	bool terminal;
	bool has_console_size;
	struct config_console_size console_size;
	struct config_user user;
	char **args;
	size_t n_args;
	char *command_line; /* windows */
	char **env;         /* "KEY=VALUE" */
	size_t n_env;
	char *cwd; /* required, absolute */
	struct config_capabilities capabilities;
	struct config_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	char *apparmor_profile;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *selinux_label;
	bool has_io_priority;
	struct config_io_priority io_priority;
	bool has_scheduler;
	struct config_scheduler scheduler;
	/* execCPUAffinity */
	char *exec_cpu_affinity_initial;
	char *exec_cpu_affinity_final;
};

struct config_root {
	char *path; /* as written; relative to the bundle when not absolute */
	bool readonly;
};

struct config_mount {
	char *destination; /* required */
	char *type;
	char *source;
	char **options; /* as written */
	size_t n_options;
	/* derived from options by config_parse (see config_mount_flags below) */
	unsigned long flags;       /* MS_* to set at mount time */
	unsigned long clear_flags; /* MS_* explicitly cleared (e.g. "rw", "suid") */
	unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE [|MS_REC] */
	unsigned long attr_set;    /* MOUNT_ATTR_* for mount_setattr (recursive ro etc.) */
	unsigned long attr_clr;
	bool recursive_attr; /* an "r"-prefixed option (rro, rnosuid, …) was given */
	char *data;          /* the options that are not flags, joined with ',' */
	bool bind;           /* MS_BIND given (bind or rbind) */
	bool idmap;          /* "idmap" / "ridmap" */
	bool tmpcopyup;      /* crun's "tmpcopyup" */
	struct config_id_mapping *uid_mappings, *gid_mappings; /* idmapped mounts */
	size_t n_uid_mappings, n_gid_mappings;
};

struct config_hook {
	char *path; /* required, absolute */
	char **args;
	size_t n_args;
	char **env;
	size_t n_env;
	bool has_timeout;
	int timeout; /* seconds, > 0 */
};

struct config_hooks {
	struct config_hook *prestart, *create_runtime, *create_container, *start_container,
	    *poststart, *poststop;
	size_t n_prestart, n_create_runtime, n_create_container, n_start_container, n_poststart,
	    n_poststop;
};

enum config_ns_type {
	CONFIG_NS_PID,
	CONFIG_NS_NETWORK,
	CONFIG_NS_MOUNT,
	CONFIG_NS_IPC,
	CONFIG_NS_UTS,
	CONFIG_NS_USER,
	CONFIG_NS_CGROUP,
	CONFIG_NS_TIME,
	CONFIG_NS_COUNT
};

struct config_namespace {
	enum config_ns_type type;
	char *path; /* join this namespace instead of creating one */
};

struct config_id_mapping {
	uint32_t container_id, host_id, size;
};

struct config_time_offset {
	char *clock; /* "monotonic" or "boottime" */
	int64_t secs;
	uint32_t nanosecs;
};

struct config_device {
	char *path; /* required, absolute, inside the container */
	char type;  /* 'c', 'b', 'u' or 'p' */
	int64_t major, minor;
	bool has_file_mode;
	mode_t file_mode;
	bool has_uid, has_gid;
	uid_t uid;
	gid_t gid;
};

struct config_device_cgroup {
	bool allow;
	char type;            /* 'a', 'c' or 'b'; 'a' when absent */
	int64_t major, minor; /* -1 = wildcard */
	char *access;         /* "rwm" subset; NULL = all */
};

struct config_weight_device {
	int64_t major, minor;
	bool has_weight, has_leaf_weight;
	uint16_t weight, leaf_weight;
};

struct config_throttle_device {
	int64_t major, minor;
	uint64_t rate;
};

struct config_hugepage_limit {
	char *page_size; /* "2MB" */
	uint64_t limit;
};

struct config_net_priority {
	char *name;
	uint32_t priority;
};

struct config_rdma {
	char *device;
	bool has_hca_handles, has_hca_objects;
	uint32_t hca_handles, hca_objects;
};

/* Optional numbers: has_X says whether X was given. Memory values may be -1 (unlimited). */
struct config_resources {
	struct config_device_cgroup *devices;
	size_t n_devices;

	bool has_memory;
	bool has_mem_limit, has_mem_reservation, has_mem_swap, has_mem_kernel, has_mem_kernel_tcp,
	    has_mem_swappiness, has_mem_disable_oom_killer, has_mem_use_hierarchy,
	    has_mem_check_before_update;
	int64_t mem_limit, mem_reservation, mem_swap, mem_kernel, mem_kernel_tcp;
	uint64_t mem_swappiness;
	bool mem_disable_oom_killer, mem_use_hierarchy, mem_check_before_update;

	bool has_cpu;
	bool has_cpu_shares, has_cpu_quota, has_cpu_burst, has_cpu_period, has_cpu_realtime_runtime,
	    has_cpu_realtime_period, has_cpu_idle;
	uint64_t cpu_shares, cpu_period, cpu_realtime_period, cpu_burst;
	int64_t cpu_quota, cpu_realtime_runtime, cpu_idle;
	char *cpu_cpus, *cpu_mems;

	bool has_pids_limit;
	int64_t pids_limit;

	bool has_blkio;
	bool has_blkio_weight, has_blkio_leaf_weight;
	uint16_t blkio_weight, blkio_leaf_weight;
	struct config_weight_device *blkio_weight_device;
	size_t n_blkio_weight_device;
	struct config_throttle_device *blkio_throttle_read_bps, *blkio_throttle_write_bps,
	    *blkio_throttle_read_iops, *blkio_throttle_write_iops;
	size_t n_blkio_throttle_read_bps, n_blkio_throttle_write_bps, n_blkio_throttle_read_iops,
	    n_blkio_throttle_write_iops;

	struct config_hugepage_limit *hugepage_limits;
	size_t n_hugepage_limits;

	bool has_network;
	bool has_net_class_id;
	uint32_t net_class_id;
	struct config_net_priority *net_priorities;
	size_t n_net_priorities;

	struct config_rdma *rdma; /* the keys of the "rdma" object become .device */
	size_t n_rdma;

	struct config_kv *unified; /* cgroup v2 file -> value */
	size_t n_unified;
};

struct config_seccomp_arg {
	unsigned index;
	uint64_t value, value_two;
	char *op; /* "SCMP_CMP_EQ", … (validated) */
};

struct config_seccomp_syscall {
	char **names;
	size_t n_names;
	char *action; /* "SCMP_ACT_ERRNO", … (validated) */
	bool has_errno_ret;
	uint32_t errno_ret;
	struct config_seccomp_arg *args;
	size_t n_args;
};

struct config_seccomp {
	char *default_action;
	bool has_default_errno_ret;
	uint32_t default_errno_ret;
	char **architectures; /* "SCMP_ARCH_X86_64", … */
	size_t n_architectures;
	char **flags; /* "SECCOMP_FILTER_FLAG_LOG", … */
	size_t n_flags;
	char *listener_path;
	char *listener_metadata;
	struct config_seccomp_syscall *syscalls;
	size_t n_syscalls;
};

struct config_personality {
	char *domain; /* "LINUX" or "LINUX32" */
	char **flags;
	size_t n_flags;
};

struct config_intel_rdt {
	char *clos_id, *l3_cache_schema, *mem_bw_schema;
	bool enable_cmt, enable_mbm;
};

/* linux.memoryPolicy (runtime-spec 1.3), applied with set_mempolicy(2). */
#define CONFIG_MPOL_MAX_NODES 1024
struct config_memory_policy {
	int mode;       /* MPOL_* */
	unsigned flags; /* MPOL_F_* */
	char *nodes;    /* "0-3,7" as written (NULL or "" when none) */
	unsigned long nodemask[CONFIG_MPOL_MAX_NODES / (8 * sizeof(unsigned long))];
	unsigned max_node; /* highest node given + 1; 0 when none */
};

struct config_linux {
	struct config_namespace *namespaces;
	size_t n_namespaces;
	struct config_id_mapping *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct config_time_offset *time_offsets;
	size_t n_time_offsets;
	struct config_device *devices;
	size_t n_devices;
	char *cgroups_path;
	bool has_resources;
	struct config_resources resources;
	char *rootfs_propagation; /* "shared", "slave", "private", "unbindable" (+ r prefixes) */
	unsigned long rootfs_propagation_flags; /* MS_* derived from it, 0 when absent */
	struct config_kv *sysctl;
	size_t n_sysctl;
	bool has_seccomp;
	struct config_seccomp seccomp;
	char **masked_paths;
	size_t n_masked_paths;
	char **readonly_paths;
	size_t n_readonly_paths;
	char *mount_label;
	bool has_personality;
	struct config_personality personality;
	bool has_intel_rdt;
	struct config_intel_rdt intel_rdt;
	bool has_memory_policy;
	struct config_memory_policy memory_policy;
};

struct config {
	char *oci_version; /* required; "1.0.0" … "1.3.x" */
	struct config_root root;
	bool has_process;
	struct config_process process;
	char *hostname;
	char *domainname;
	struct config_mount *mounts;
	size_t n_mounts;
	bool has_hooks;
	struct config_hooks hooks;
	struct config_kv *annotations;
	size_t n_annotations;
	bool has_linux;
	struct config_linux linux_;
	struct json_t *raw; /* the parsed document (owned) */
};

/* Parse config text. `name` is what errors call the document ("config.json"). */
int config_parse(const char *text, size_t len, const char *name, struct config **out,
                 berth_error_t *err);
/* The same for a config saved by create (start, exec, delete …): no warnings, as create
 * gave them already. */
int config_parse_saved(const char *text, size_t len, const char *name, struct config **out,
                       berth_error_t *err);
/* Read and parse <bundle>/config.json. */
int config_load(const char *bundle, struct config **out, berth_error_t *err);
void config_free(struct config *c);

/* Parse a process object alone (berth-runtime exec --process FILE), same errors. */
int config_parse_process(const char *text, size_t len, const char *name,
                         struct config_process **out, berth_error_t *err);
void config_process_free(struct config_process *p);

/* Parse a linux.resources object alone (berth-runtime update -r FILE), same errors; paths
 * are relative to the object ("memory.limit"). *out is zeroed first and freed on failure. */
int config_parse_resources(const char *text, size_t len, const char *name,
                           struct config_resources *out, berth_error_t *err);
void config_resources_free(struct config_resources *r);

/* Helpers used by the parser and by other modules. */
const char *config_ns_name(enum config_ns_type t); /* "pid", "network", … */
int config_ns_from_name(const char *name);         /* -1 when unknown */
int config_ns_clone_flag(enum config_ns_type t);   /* CLONE_NEWPID, … */
/* Index of the namespace of that type in c->linux_.namespaces, or -1. */
int config_find_namespace(const struct config *c, enum config_ns_type t);
/* A new user namespace (not joined by path) with neither linux.uidMappings nor
 * gidMappings: no id is mapped in it, the kernel's overflow ids (65534) show inside. */
bool config_userns_unmapped(const struct config *c);
/* The namespace that makes a linux.sysctl key private to the container (CONFIG_NS_IPC,
 * CONFIG_NS_NETWORK or CONFIG_NS_UTS), or -1 when the key is global to the host. */
int config_sysctl_namespace(const char *key);
int config_rlimit_from_name(const char *name); /* "RLIMIT_NOFILE" -> RLIMIT_NOFILE, or -1 */
int config_cap_from_name(const char *name);    /* "CAP_SYS_ADMIN" -> 21, or -1 */
/* Parse one mount option list into the derived fields of *m (exposed for unit tests).
 * Unknown options go to m->data. */
int config_mount_parse_options(struct config_mount *m, berth_error_t *err);
/* The i-th mount option config_mount_parse_options() understands, NULL past the last one
 * (for `berth-runtime features`). */
const char *config_mount_option_name(size_t i);
/* The i-th linux.memoryPolicy mode and flag the parser knows, NULL past the last one. */
const char *config_mpol_mode_name(size_t i);
const char *config_mpol_flag_name(size_t i);
/* The value of "KEY" in an env array ("KEY=V"), or NULL. */
const char *config_env_get(char *const *env, size_t n, const char *key);
/* The default config of `berth-runtime spec` (rootless: user namespace, no network ns…). */
struct json_t *config_default_spec(bool rootless);

#endif
