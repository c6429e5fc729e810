/* SPDX-License-Identifier: MIT */
/* The engine behind `berth`: the image store, layers, overlay storage, container records
 * and the monitor. Everything lives under one root directory (default /var/lib/berth):
 *
 *   images/            OCI image layout: oci-layout, index.json, blobs/sha256/<hex>
 *   layers/<hex>/      each layer unpacked once (named by its diff id), shared read-only
 *   containers/<id>/   container.json (the record), config.json + rootfs/ (the bundle),
 *                      upper/ work/ (overlay), ctr.k8s.log or ctr.json.log (output,
 *                      ctrlog.h)
 *   runtime/           berth-runtime's state for these containers
 *   tmp/               staging for imports; removed on failure
 *   lock               flock(2) taken while the store or the records change
 *   events.log         the event log (events.h), events.lock */
#ifndef BERTH_ENGINE_H
#define BERTH_ENGINE_H

#include "error.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct json_t;

struct engine {
	char *root;
	int lock_fd;
};

int engine_open(struct engine *e, const char *root, berth_error_t *err);
void engine_close(struct engine *e);
/* <root>/runtime made ready as root: a symlink to a directory of /run/berth/runtime, a tmpfs, made
 * again after a reboot; an older store's directory kept until it has no container
 * (runroot.c). */
int engine_runtime_dir(struct engine *e, berth_error_t *err);
/* Exclusive lock on the store; released by engine_unlock() or engine_close(). */
int engine_lock(struct engine *e, berth_error_t *err);
void engine_unlock(struct engine *e);
char *engine_path(const struct engine *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- progress (import) -------------------------------------------------------------- */
struct progress {
	bool on; /* stdout is a terminal */
	const char *what;
	uint64_t done, total;
	long long last_ns;
};
void progress_init(struct progress *p, const char *what, uint64_t total);
/* No progress at all (pull -q). */
void progress_set_quiet(bool quiet);
void progress_add(struct progress *p, uint64_t n);
void progress_end(struct progress *p);

/* ---- layers (unpack.c) ---------------------------------------------------------------- */
/* The sha256 hex of the uncompressed stream of a (gzip, zstd or plain) tar. */
int layer_diff_id(int fd, const char *what, char hex[65], struct progress *pr, berth_error_t *err);
/* Unpack a (compressed) tar read from fd into the directory dest (which exists), safely:
 * every path is resolved inside dest; `..` components are refused; absolute paths and
 * symlinks are taken relative to dest; OCI whiteouts become overlayfs whiteouts (0/0
 * character devices) and opaque directories (trusted.overlay.opaque=y). */
int layer_unpack(int fd, const char *what, const char *dest, struct progress *pr,
                 berth_error_t *err);
/* layer_unpack and layer_diff_id in one pass: the stream is decompressed once. */
int layer_unpack_digest(int fd, const char *what, const char *dest, char hex[65],
                        struct progress *pr, berth_error_t *err);

/* ---- images (image.c, import.c) ----------------------------------------------------- */
struct image {
	char *name;   /* "busybox:latest" (or NULL when untagged) */
	char *digest; /* manifest digest, "sha256:<hex>" */
	char *id;     /* config digest hex: the image id */
	struct json_t *manifest;
	struct json_t *config;
	char **layers; /* diff id hex of each layer, bottom first */
	size_t n_layers;
	uint64_t size;       /* the layers unpacked (image_list, image_inspect_json); 0 else */
	struct json_t *list; /* the manifest list (OCI index) the image was chosen from, or NULL */
	char *list_digest;
};
void image_free(struct image *img);
/* "name", "name:tag", an id or an id prefix (at least 4 hex digits). The built-in "busybox"
 * is made on first use. */
int image_find(struct engine *e, const char *ref, struct image **out, berth_error_t *err);
/* The same for a platform ("linux/riscv64", OS/ARCH[/VARIANT]; NULL: the host's, as
 * image_find): a manifest list gives its image of that platform; a single image must be of
 * it. One line naming the image and the platform, and listing the platforms it has, when it
 * has no such variant. */
int image_find_platform(struct engine *e, const char *ref, const char *platform, struct image **out,
                        berth_error_t *err);
/* Whether ref names a manifest list (the built-in busybox is one; made on first use). */
int image_find_list(struct engine *e, const char *ref, bool *is_list, berth_error_t *err);
/* An array of {name, id, digest, size, created}. */
int image_list(struct engine *e, struct json_t **out, berth_error_t *err);
/* The same as the CLI shows them: a table's rows, `images --format json`, `image inspect`. */
struct image_summary {
	char *name; /* NULL when untagged */
	char *id, *created, *digest;
	uint64_t size;
};
int image_summaries(struct engine *e, struct image_summary **out, size_t *n, berth_error_t *err);
void image_summaries_free(struct image_summary *v, size_t n);
char *image_list_json(struct engine *e, berth_error_t *err);
/* images --filter (imagels.c): keep[i] for each of v[n] that every filter lets through, as
 * Docker's: dangling=true|false (untagged or not), label=KEY[=VALUE] (every one), before=IMAGE
 * and since=IMAGE (made earlier / later than it; several: the oldest / the newest),
 * reference=PATTERN (any one: a glob over NAME:TAG or NAME, `*` not crossing `/`). A bad filter
 * is one line naming it. */
int image_filter(struct engine *e, const struct image_summary *v, size_t n, char **filters,
                 size_t nf, bool *keep, berth_error_t *err);
/* Docker's images fields of a row, made by the CLI: CreatedSince, CreatedAt, Size. */
struct image_ls_row {
	const char *created_since, *created_at, *size;
};
/* The kept ones of v[n] (keep NULL: all) as a JSON array's text: berth's {name, id, digest,
 * size, created} (`images --format json`), and with rows Docker's fields as well (Repository,
 * Tag, ID: 12 digits unless no_trunc, Digest, CreatedSince, CreatedAt, Size, VirtualSize,
 * SharedSize, UniqueSize, Containers) for --format templates. */
char *image_summaries_json(const struct image_summary *v, const bool *keep,
                           const struct image_ls_row *rows, size_t n, bool no_trunc);
char *image_inspect_json(struct engine *e, struct image *img);
/* Removes ref's name (or the image, by id); *report (heap, or NULL) gets what Docker prints:
 * "Untagged: NAME\n" and, when the image itself went, "Deleted: sha256:ID\n". */
int image_remove(struct engine *e, const char *ref, bool force, char **report, berth_error_t *err);
/* An oci-archive (tar of an OCI image layout) of one image. */
int image_export(struct engine *e, const char *ref, const char *file, berth_error_t *err);
/* An archive of n images (file "-": stdout): format "oci-archive" (NULL) or
 * "docker-archive". Written beside file and renamed into place. */
int image_save(struct engine *e, char **refs, size_t n, const char *file, const char *format,
               berth_error_t *err);
/* Import an OCI layout archive, a docker-archive or a rootfs tarball. name may be NULL.
 * All or nothing. *out (optional) gets the image's name or id. */
int image_import(struct engine *e, const char *file, const char *name, char **out,
                 berth_error_t *err);
/* The same, with import --change instructions for a rootfs tarball's config
 * (image_change_apply; an error for an image archive). */
int image_import_changes(struct engine *e, const char *file, const char *name, char **changes,
                         size_t n_changes, char **out, berth_error_t *err);
/* A name given to an image (tag's TARGET_IMAGE, import's NAME, an archive's names): the OCI /
 * Docker reference grammar, [REGISTRY/]NAME[:TAG], no digest. One line naming what otherwise. */
int image_check_name(const char *what, const char *name, berth_error_t *err);
/* Normalise a reference: "busybox" -> "busybox:latest". */
char *image_ref_normalize(const char *ref);
/* Unpacked layer directory of a diff id. */
char *image_layer_dir(const struct engine *e, const char *diff_id);
/* Shared by import.c and image.c. */
int image_index_add(struct engine *e, const char *name, const char *manifest_digest,
                    uint64_t manifest_size, const char *media_type, berth_error_t *err);
int image_make_busybox(struct engine *e, berth_error_t *err);

/* ---- foreign platforms (binfmt.c, binfmt.h) ------------------------------------------- */
/* Before a container of an image of arch (an image config's "architecture", Go's spelling)
 * runs: nothing when the host runs it natively; else binfmt_misc mounted and a handler with
 * the F flag for arch (berth-ARCH, running qemu-ARCH-static from $BERTH_QEMU_DIR, else
 * /usr/bin, registered when there is none). asked: the platform was asked for (--platform),
 * so an architecture berth cannot emulate is an error; otherwise the kernel says, as before.
 * One line when it cannot be (no interpreter: which package to install). */
int binfmt_prepare(const char *arch, bool asked, berth_error_t *err);
/* OS/ARCH[/VARIANT]: one line naming --platform when it is not. */
int platform_check(const char *platform, berth_error_t *err);

/* ---- registries (registry.c, pull.c, push.c) ------------------------------------------ */
struct reg_opts {
	const char *platform; /* OS/ARCH[/VARIANT]; NULL: the host's */
	const char *authfile; /* NULL: as Podman (registry.c: reg_authfile) */
	const char *cert_dir; /* more CAs (*.crt) besides certs.d/HOST:PORT/ */
	const char *format;   /* push: "oci" or "v2s2"; NULL: as stored */
	bool tls_verify;      /* false: certificates unchecked, plain HTTP if TLS fails */
	bool quiet;           /* no progress lines */
	bool all_platforms;   /* pull: every image of an index, and the index as a list */
};
/* Pull ref (REGISTRY/REPO[:TAG][@sha256:…]; a short name through the search registries of
 * registries.conf) into the store, all or nothing. *id gets the image id. */
int image_pull(struct engine *e, const char *ref, const struct reg_opts *o, char **id,
               berth_error_t *err);
/* Push a stored image to dest (a registry reference; NULL: ref itself). */
int image_push(struct engine *e, const char *ref, const char *dest, const struct reg_opts *o,
               berth_error_t *err);
/* Check the credentials with the registry, then keep them in the auth.json. */
int registry_login(const char *registry, const char *user, const char *pass,
                   const struct reg_opts *o, berth_error_t *err);
int registry_logout(const char *registry, const struct reg_opts *o, berth_error_t *err);
/* Manifest lists (manifest.c; push.c): an OCI image index in the store, named like an
 * image; add puts a stored image in under its config's platform. */
int manifest_create(struct engine *e, const char *name, berth_error_t *err);
int manifest_add(struct engine *e, const char *name, const char *image, berth_error_t *err);
char *manifest_inspect_json(struct engine *e, const char *name, berth_error_t *err);
/* Each image of the list (blobs, then its manifest by digest), then the list under dest's
 * tag. */
int manifest_push(struct engine *e, const char *name, const char *dest, const struct reg_opts *o,
                  berth_error_t *err);
/* Another name for a stored image. */
int image_tag(struct engine *e, const char *src, const char *dst, berth_error_t *err);
/* Whether image_find() would find ref (the built-in busybox counts). */
bool image_present(struct engine *e, const char *ref);

/* ---- health checks (health.c) ---------------------------------------------------------- */
/* run/create's flags, in the order of enum health_flag. */
enum health_flag {
	HEALTH_CMD,          /* --health-cmd CMD (run by /bin/sh -c, Docker's CMD-SHELL) */
	HEALTH_INTERVAL,     /* --health-interval D (Go's durations: 1m30s, 500ms) */
	HEALTH_TIMEOUT,      /* --health-timeout D */
	HEALTH_START_PERIOD, /* --health-start-period D */
	HEALTH_RETRIES,      /* --health-retries N */
	HEALTH_NONE,         /* --no-healthcheck */
	HEALTH_N
};
struct health_opts {
	const char *cmd;
	bool set[HEALTH_N];
	int64_t value[HEALTH_N]; /* the durations in ns; the retries */
};
/* One flag's value into h; one line naming the flag when it is bad. */
int health_flag(struct health_opts *h, enum health_flag f, const char *value, berth_error_t *err);
struct ctr_info;
/* `berth healthcheck run`: the container's check once now, recorded as the checker's are;
 * *healthy whether it passed. An error when it has no check or does not run. */
int health_run(struct engine *e, const char *ref, bool *healthy, berth_error_t *err);
/* ps's STATUS after "Up …": " (healthy)", " (unhealthy)", " (health: starting)" or "". */
const char *health_ps_status(const struct ctr_info *c);

/* ---- containers (spec.c, container.c, monitor.c) --------------------------------------- */
/* resources.c: run/create's resource and namespace flags beyond --memory, --cpus and
 * --pids-limit (Docker's meaning; 0 or NULL: not given) */
struct ctr_resources {
	int64_t memory_swap;                       /* memory + swap; -1: unlimited */
	int64_t memory_reservation;                /* the soft limit */
	int64_t cpu_shares, cpu_period, cpu_quota; /* cpu_quota -1: unlimited */
	const char *cpuset_cpus, *cpuset_mems;
	int blkio_weight; /* 10..1000 */
	int swappiness;   /* 0..100 with has_swappiness */
	bool has_swappiness, oom_kill_disable, has_oom_kill_disable;
	/* --ipc private|shareable|host|container:NAME, --pid host|container:NAME, --uts host,
	 * --cgroupns host|private, --userns host */
	const char *ipc, *pid, *uts, *cgroupns, *userns;
	/* --blkio-weight-device, --device-read-bps, --device-write-bps, --device-read-iops,
	 * --device-write-iops (RES_OPT_BLKIO_WEIGHT_DEVICE + k): their /dev/DEVICE:VALUE
	 * arguments, checked (a heap array each, freed by the caller) */
	char **dev_limits[5];
	size_t n_dev_limits[5];
};
/* Their getopt codes: RES_RUN_OPTIONS are run/create's table entries; update takes some of
 * them and RES_OPT_MEMORY, RES_OPT_CPUS, RES_OPT_PIDS (run has its own --memory, …). */
enum {
	RES_OPT_MEMORY_SWAP = 0x1000,
	RES_OPT_MEMORY_RESERVATION,
	RES_OPT_CPU_SHARES,
	RES_OPT_CPU_PERIOD,
	RES_OPT_CPU_QUOTA,
	RES_OPT_CPUSET_CPUS,
	RES_OPT_CPUSET_MEMS,
	RES_OPT_OOM_KILL_DISABLE,
	RES_OPT_BLKIO_WEIGHT,
	RES_OPT_SWAPPINESS,
	RES_OPT_IPC,
	RES_OPT_PID,
	RES_OPT_UTS,
	RES_OPT_CGROUPNS,
	RES_OPT_USERNS,
	RES_OPT_BLKIO_WEIGHT_DEVICE,
	RES_OPT_DEVICE_READ_BPS,
	RES_OPT_DEVICE_WRITE_BPS,
	RES_OPT_DEVICE_READ_IOPS,
	RES_OPT_DEVICE_WRITE_IOPS,
	RES_OPT_MEMORY,
	RES_OPT_CPUS,
	RES_OPT_PIDS,
	RES_OPT_END
};
#define RES_IS_OPT(c) ((c) >= RES_OPT_MEMORY_SWAP && (c) < RES_OPT_END)
#define RES_RUN_OPTIONS                                                                            \
	{"memory-swap", required_argument, NULL, RES_OPT_MEMORY_SWAP},                             \
	    {"memory-reservation", required_argument, NULL, RES_OPT_MEMORY_RESERVATION},           \
	    {"cpu-shares", required_argument, NULL, RES_OPT_CPU_SHARES},                           \
	    {"cpu-period", required_argument, NULL, RES_OPT_CPU_PERIOD},                           \
	    {"cpu-quota", required_argument, NULL, RES_OPT_CPU_QUOTA},                             \
	    {"cpuset-cpus", required_argument, NULL, RES_OPT_CPUSET_CPUS},                         \
	    {"cpuset-mems", required_argument, NULL, RES_OPT_CPUSET_MEMS},                         \
	    {"oom-kill-disable", optional_argument, NULL, RES_OPT_OOM_KILL_DISABLE},               \
	    {"blkio-weight", required_argument, NULL, RES_OPT_BLKIO_WEIGHT},                       \
	    {"memory-swappiness", required_argument, NULL, RES_OPT_SWAPPINESS},                    \
	    {"ipc", required_argument, NULL, RES_OPT_IPC},                                         \
	    {"pid", required_argument, NULL, RES_OPT_PID},                                         \
	    {"uts", required_argument, NULL, RES_OPT_UTS},                                         \
	    {"cgroupns", required_argument, NULL, RES_OPT_CGROUPNS},                               \
	    {"blkio-weight-device", required_argument, NULL, RES_OPT_BLKIO_WEIGHT_DEVICE},         \
	    {"device-read-bps", required_argument, NULL, RES_OPT_DEVICE_READ_BPS},                 \
	    {"device-write-bps", required_argument, NULL, RES_OPT_DEVICE_WRITE_BPS},               \
	    {"device-read-iops", required_argument, NULL, RES_OPT_DEVICE_READ_IOPS},               \
	    {"device-write-iops", required_argument, NULL, RES_OPT_DEVICE_WRITE_IOPS},             \
	{                                                                                          \
		"userns", required_argument, NULL, RES_OPT_USERNS                                  \
	}
struct run_opts {
	const char *name, *workdir, *user, *hostname, *entrypoint, *network;
	bool has_entrypoint;
	char **env; /* K=V, in order, after --env-file */
	size_t n_env;
	char **volumes; /* HOST:CTR[:ro][,idmap…], NAME:CTR[:ro], CTR (volume.c) */
	size_t n_volumes;
	char **mounts; /* --mount type=bind|volume|tmpfs,… */
	size_t n_mounts;
	char **tmpfs; /* --tmpfs CTR[:OPTS] */
	size_t n_tmpfs;
	char **volumes_from; /* --volumes-from NAME[:ro|rw] */
	size_t n_volumes_from;
	char **cap_add, **cap_drop;
	size_t n_cap_add, n_cap_drop;
	char **group_add; /* --group-add GROUP|GID */
	size_t n_group_add;
	char **cmd;
	size_t n_cmd;
	bool rm, detach, interactive, tty, read_only;
	/* -a: 1 << fd of each stream named (0: none named: all); attach_config: Docker's
	 * Config.AttachStdin/Stdout/Stderr (the same bits) as inspect shows them */
	unsigned attach, attach_config;
	bool vm;           /* --vm (vmctr.c): memory and cpus are then the guest's */
	char **vm_publish; /* --vm: -p, forwarded by the VM's user-mode network */
	size_t n_vm_publish;
	int64_t memory, pids; /* 0: unset; pids -1 (update): unlimited */
	double cpus;
	struct ctr_resources res; /* resources.c */
	/* networking (network.c): --network is bridge (the default network), none, host, a
	 * network's name or container:NAME */
	const char *ip, *ip6, *mac;
	/* --network given again: more networks (names), each with a veth of its own; --ip,
	 * --ip6, --mac-address and --network-alias are the first network's */
	char **more_networks;
	size_t n_more_networks;
	char **aliases, **dns, **dns_search, **add_hosts;
	size_t n_aliases, n_dns, n_dns_search, n_add_hosts;
	char **publish; /* -p [IP:][HOSTPORT:]CTRPORT[/PROTO] */
	size_t n_publish;
	bool publish_all;    /* -P: every EXPOSEd port */
	const char *restart; /* --restart no|always|unless-stopped|on-failure[:N]; NULL: no */
	/* runflags.c: kept in the record (stop_signal: the image's StopSignal when NULL) or
	 * mapped into the spec */
	const char *stop_signal, *tz;
	const char *systemd; /* --systemd true|false|always (systemd.c); NULL: true */
	bool has_stop_timeout;
	int stop_timeout;
	char **labels; /* K=V (--label, --label-file) */
	size_t n_labels;
	bool privileged, init, no_new_privs;
	const char *seccomp; /* "unconfined" or a profile file; NULL: none given */
	char **ulimits, **sysctls, **devices;
	size_t n_ulimits, n_sysctls, n_devices;
	int64_t shm_size; /* 0: the default 64m */
	struct health_opts health;
	const char *log_driver; /* json-file, k8s-file (NULL: the default), none */
	char **log_opts;        /* --log-opt K=V */
	size_t n_log_opts;
	const char *platform; /* --platform OS/ARCH[/VARIANT] (the image is that variant) */
};

/* run/create --vm (vmctr.c): what is not supported with it, --cpus and --memory as the
 * guest's, and a guest kernel and agent built (one line saying how to build them otherwise). */
int vmctr_check(const struct run_opts *o, berth_error_t *err);
/* The guest kernel and the agent's initramfs --vm would boot (the newest of the guest cache,
 * heap), or one line saying how to build them (bench compare's footprint). */
int vmctr_guest_files(char **kernel, char **initrd, berth_error_t *err);
/* resources.c: a RES_OPT_* option's value into o (one line naming the flag otherwise). */
int res_option(struct run_opts *o, int code, const char *arg, berth_error_t *err);
/* berth update: o's memory, cpus, pids, res (its resource fields) and restart into the
 * container's cgroup when it runs (through the runtime library), its config.json and its
 * record (HostConfig). All checked first: nothing changes on a bad value. */
int ctr_update_resources(struct engine *e, const char *id, const struct run_opts *o,
                         berth_error_t *err);
/* Whether o gives any of what ctr_update_resources changes. */
bool res_update_given(const struct run_opts *o);

/* runflags.c: check the values of --stop-signal, --label, --tz, --security-opt, --ulimit,
 * --sysctl, --device (one line each naming the flag); spec_check_opts calls it. */
int runflags_check(const struct run_opts *o, berth_error_t *err);
/* systemd.c: --systemd's value checked; the system-container set-up (when the command is an
 * init, or --systemd=always) applied to spec and the record (stop signal, console). */
int systemd_check(const struct run_opts *o, berth_error_t *err);
int systemd_apply(struct json_t *spec, struct json_t *rec, const struct run_opts *o, const char *id,
                  const char *rootfs, berth_error_t *err);
/* After run -d or start of a system container: an init that exits at once (before it starts
 * anything) is an error naming its exit status and last output; with remove (run) the
 * container is removed. */
int systemd_check_started(struct engine *e, const char *id, bool remove, berth_error_t *err);
/* The host's cgroup layout, as systemd in a system container sees it. */
enum systemd_cgroups { SYSTEMD_CG_V1, SYSTEMD_CG_HYBRID, SYSTEMD_CG_V2 };
/* systemd's version from a file name libsystemd-shared-NNN….so; 0 when it is not one. */
int systemd_version_of_lib(const char *name);
/* systemd's version from its binary: the first "systemd NNN" string of its own (at the start,
 * after a NUL or a newline; ended by a NUL, a newline or a space); 0 when there is none. */
int systemd_version_scan(const char *buf, size_t len);
/* Why systemd VERSION cannot run on LAYOUT (the rest of a sentence), or NULL when it can or
 * the version is unknown (0). */
const char *systemd_version_refusal(int version, enum systemd_cgroups layout);
/* --security-opt VALUE into o (seccomp=unconfined|FILE, no-new-privileges[=true|false]). */
int runflags_security_opt(struct run_opts *o, const char *v, berth_error_t *err);
/* What the flags change in spec (after spec_build's own): capabilities for --privileged,
 * rlimits, sysctl, /dev/shm's size, devices, seccomp, noNewPrivileges, TZ, --init. */
int runflags_apply(struct json_t *spec, const struct run_opts *o, berth_error_t *err);
/* Docker's default seccomp profile for a container with these capabilities (the spec's
 * process.capabilities.bounding), as an OCI linux.seccomp object (seccomp_default.c). */
struct json_t *seccomp_default_profile(const struct json_t *caps);
/* The record's fields: stop_signal (o's or the image config's StopSignal), stop_timeout,
 * labels, init, attach (-a's streams) and Config (Docker's AttachStdin/Stdout/Stderr). */
void runflags_record(struct json_t *rec, const struct run_opts *o, struct json_t *image_config);
/* --replace: remove (forced) the container named name, if there is one. */
int ctr_replace(struct engine *e, const char *name, berth_error_t *err);
/* The signal and timeout `berth stop` uses for the container when not given: the record's
 * (--stop-signal, the image's StopSignal; --stop-timeout), else SIGTERM and 10 s. */
void ctr_stop_defaults(struct engine *e, const char *id, int *sig, double *secs);

/* --restart's value: *name gets "no", "always", "unless-stopped" or "on-failure" (static),
 * *max the retries of on-failure:N (0: no limit). One line naming the value otherwise. */
int ctr_parse_restart(const char *s, const char **name, int *max, berth_error_t *err);
/* Whether the monitor starts the container again after it exited with status, as Docker's
 * restart manager decides: not after a stop (or kill, rm -f), always for always and
 * unless-stopped, for on-failure when status is not 0 and count is under max (0: no max). */
bool ctr_restart_wanted(const char *policy, int max, int count, int status, bool stopped);

/* A working directory for a container's process (what is -w, --workdir or WorkingDir): an
 * absolute path, not under /proc, where a caller's /proc/self/fd/N would lead out of the
 * container (CVE-2024-21626). */
int spec_check_workdir(const char *what, const char *dir, berth_error_t *err);
/* "512m", "1g", "100000" -> bytes; -1 when bad. */
int64_t spec_parse_size(const char *s);
/* --memory's value: a size of at least the runtime's minimum (6m), else a one-line error. */
int spec_parse_memory(const char *s, int64_t *out, berth_error_t *err);
/* A container path made lexically clean (as Go's path.Clean): a new string. */
char *spec_clean_path(const char *path);
/* Check -v, -e, -u values; one line errors. */
int spec_check_opts(const struct run_opts *o, berth_error_t *err);
/* The config.json for a container of img with o, whose root is rootfs (mounted); mounts: the
 * OCI mounts of its -v, --mount and --tmpfs (volume_prepare), or NULL. */
/* netns: the network namespace to join (NULL: a new one, or the host's with --network
 * host); etc: a directory holding hosts, resolv.conf and hostname to bind-mount (or NULL). */
int spec_build(const struct image *img, const struct run_opts *o, const char *id,
               const char *rootfs, const char *netns, const char *etc, struct json_t *mounts,
               struct json_t **out, berth_error_t *err);

/* Container records: containers/<id>/container.json. */
int ctr_load(struct engine *e, const char *id, struct json_t **out, berth_error_t *err);
int ctr_save(struct engine *e, const char *id, struct json_t *rec, berth_error_t *err);
/* A name, an id or an id prefix -> the id. */
int ctr_lookup(struct engine *e, const char *ref, char **id, berth_error_t *err);
/* Every record, in creation order. */
int ctr_list(struct engine *e, struct json_t **out, berth_error_t *err);
/* Record + bundle + overlay for a new container (all or nothing). */
int ctr_create(struct engine *e, const struct image *img, const struct run_opts *o, char **id,
               berth_error_t *err);
/* The overlay on containers/<id>/rootfs (ctr_umount: off it). A container whose record has
 * "layer_tmpfs" (a --rm one: ctr_create) keeps its upper and work directories on a tmpfs of its
 * own mounted on containers/<id>/work, made here when it is not there; it stays until the
 * container is removed (ctr_trash), so that a stopped or created container keeps what was
 * written or copied into it. */
int ctr_mount(struct engine *e, const char *id, berth_error_t *err);
void ctr_umount(struct engine *e, const char *id);
/* The container's writable layer (heap): containers/<id>/work/upper on its tmpfs, or
 * containers/<id>/upper. */
char *ctr_upper_dir(struct engine *e, const char *id);
/* A file of a new container's directory written in place (no temporary file and rename: a
 * spare directory holds it already, or it is made; the container is not yet visible). */
int ctr_write_new(const char *path, const char *text, mode_t mode, berth_error_t *err);
/* Remove the container; force: kill it first when it runs. */
int ctr_remove(struct engine *e, const char *id, bool force, berth_error_t *err);
/* The live status of a record: the monitor's pid and start time, and the runtime's state of
 * the container's init (record.c). */
enum ctr_status {
	CTR_CREATED,      /* recorded, its monitor not started yet */
	CTR_RUNNING,      /* its monitor lives (and so the container, or it soon will) */
	CTR_MONITOR_LOST, /* its init runs but the monitor died (OOM, kill -9) */
	CTR_EXITED,
};
/* What the runtime library says of the container's init. */
enum ctr_init { CTR_INIT_NONE, CTR_INIT_ALIVE, CTR_INIT_GONE };
/* The state machine: recorded is the record's "state" (created, running, exited). */
enum ctr_status ctr_status_decide(const char *recorded, bool has_monitor, bool monitor_alive,
                                  enum ctr_init init);
/* "created", "running", "running (monitor lost)", "exited" */
const char *ctr_status_name(enum ctr_status st);
bool ctr_status_running(enum ctr_status st);
/* From the text of /proc/<pid>/stat: the state letter and the start time (field 22). */
int ctr_parse_stat(const char *text, char *state, unsigned long long *start_time);
/* This process's start time (kept in the record with monitor_pid, against pid reuse). */
unsigned long long ctr_self_start_time(void);
/* Whether pid lives (not a zombie) and, when start_time is not 0, is still the process that
 * started then; *start (may be NULL) gets its start time. */
bool ctr_pid_alive(pid_t pid, unsigned long long start_time, unsigned long long *start);

/* A container as the CLI sees it. */
struct ctr_info {
	char *id, *name, *image, *command, *created;
	char *started_at, *finished_at; /* RFC 3339, or NULL */
	char *recorded;                 /* the state the monitor last recorded */
	enum ctr_status status;
	pid_t pid; /* the container's init (the runtime's, when it lives) */
	pid_t monitor_pid;
	bool monitor_alive;
	bool has_exit_code;
	int exit_code;
	bool rm, tty, interactive, detach;
	/* run/create -a: 1 << fd of each stream named, which start -a and attach take too; 0:
	 * none named (all) */
	unsigned attach;
	bool paused; /* running, its processes frozen (berth pause) */
	char *ip;    /* its address while it runs on a bridge network, else NULL */
	char *ports; /* published ports as `ps` shows them ("0.0.0.0:8080->80/tcp, …"), or "" */
	struct json_t *raw; /* the record as stored, for the JSON views */
};
/* A name, an id or an id prefix. */
int ctr_get(struct engine *e, const char *ref, struct ctr_info *out, berth_error_t *err);
int ctr_get_id(struct engine *e, const char *id, struct ctr_info *out, berth_error_t *err);
/* Every container, in creation order. */
int ctr_get_all(struct engine *e, struct ctr_info **out, size_t *n, berth_error_t *err);
void ctr_info_free(struct ctr_info *c);
void ctr_infos_free(struct ctr_info *v, size_t n);
/* `berth port`: one line per published port, "80/tcp -> 0.0.0.0:8080" (a new string). */
char *ctr_port_text(const struct ctr_info *c);
/* The record as ps --format json and inspect show it (a new object): "state" the live
 * status, "monitor_lost", "pid". */
struct json_t *ctr_info_json(const struct ctr_info *c);
/* `ps --format json` (an array) and `inspect` (with the config.json) documents. */
char *ctr_infos_json(const struct ctr_info *v, size_t n);
char *ctr_inspect_json(struct engine *e, const struct ctr_info *c);
/* ps --format and images --format TEMPLATE (template.h): the template over each element of
 * their JSON views (ctr_infos_json, image_list_json), a line each; *out is heap. */
int template_render_each(const char *what, const char *tmpl, const char *json_array, char **out,
                         berth_error_t *err);
/* ---- ps (ctrlist.c) ----------------------------------------------------------------------- */
/* Docker's State of a container: created, running, paused or exited. */
const char *ctr_state_word(const struct ctr_info *c);
/* ps --filter KEY=VALUE…, Docker's keys: id (part of it), name (part of it), label=K or K=V,
 * status=created|restarting|running|removing|paused|exited|dead, exited=CODE, ancestor=IMAGE
 * (name or id), network=NAME, volume=NAME (or a mount's destination), before=, since= (a
 * container: those made before or after it). The values of one key OR, different keys (and
 * each label) AND. keep[i] (for each of v, in creation order): whether v[i] passes; *all: a
 * status filter was given (as Docker, it looks at stopped containers too). One line naming the
 * filter when one is bad or names no container. */
int ctr_ps_filter(struct engine *e, const struct ctr_info *v, size_t n, char **filters, size_t nf,
                  bool *keep, bool *all, berth_error_t *err);
/* The container's writable layer (*rw) and that with its image's layers (*virt), in bytes. */
void ctr_size(struct engine *e, const struct ctr_info *c, uint64_t *rw, uint64_t *virt);
/* What the CLI computes for each row of ps: STATUS ("Up 5 seconds"), CREATED ("5 seconds
 * ago"), SIZE ("0B (virtual 1.98MB)", or NULL). */
struct ctr_ps_row {
	const char *status, *running_for, *size;
};
/* ps --format TEMPLATE's elements: each the record's view (ctr_info_json) with Docker's ps
 * fields: ID (12 digits unless no_trunc), Names, Image, Command (quoted, cut to 20 characters
 * unless no_trunc), CreatedAt, RunningFor, Ports, State, Status, Size, Labels (k=v,…), Mounts,
 * LocalVolumes, Networks. A JSON array's text. */
char *ctr_ps_json(const struct ctr_info *v, const struct ctr_ps_row *rows, size_t n, bool no_trunc);
/* berth inspect: the document of what name names (a container's as ctr_inspect_json, with
 * SizeRw and SizeRootFs when size; an image's, a network's, a volume's), looked up in Docker's
 * order (container, image, network, volume) unless type ("container", "image", "network",
 * "volume"; NULL: any) says which; with tmpl, that template over it. 0 with *out (heap); 1
 * when name names none of them; -1 when the template fails. */
int engine_inspect(struct engine *e, const char *name, const char *type, bool size,
                   const char *tmpl, char **out, berth_error_t *err);
/* berth logs (ctrlog.c): the container's log, its stdout records to our stdout and its stderr
 * records to our stderr. */
struct ctr_log_opts {
	bool follow;     /* on until the container exits (or the time passes until) */
	bool timestamps; /* each line after its time, RFC 3339 with nanoseconds */
	long long tail;  /* only the last lines; -1: all */
	bool has_since, has_until;
	struct timespec since, until;
};
int ctr_logs(struct engine *e, const char *id, const struct ctr_log_opts *o, berth_error_t *err);
/* --log-driver json-file|k8s-file|none and --log-opt max-size=SIZE, max-file=N (ctrlog.c):
 * checked (one line naming the flag), and put in the record (its HostConfig made if it has
 * none) as HostConfig.LogConfig {"Type": driver, "Config": {opt: value}}. */
int ctrlog_check(const struct run_opts *o, berth_error_t *err);
void ctrlog_record(struct json_t *rec, const struct run_opts *o);
/* A --since / --until value, as Docker takes them: an RFC 3339 time ("2026-12-06T01:02:03Z",
 * a fraction and a zone offset allowed; without a zone, local time), a date ("2026-12-06"), Unix
 * seconds ("1765000000", "1765000000.5"), or a duration before now ("10m", "1h30m", "42s",
 * "1.5h"; ns us ms s m h). -1 when it is none of these. */
int ctr_log_parse_time(const char *s, const struct timespec *now, struct timespec *out);
/* berth cp (copy.c): between the container id's filesystem (path resolved inside its root:
 * symlinks cannot lead out) and the host's path, or "-": a tar stream on stdout (out) or stdin
 * (in, unpacked into the directory path). A stopped container's overlay is mounted meanwhile.
 * As Docker: into a destination directory, else as the destination; "DIR/." copies DIR's
 * entries. */
struct ctr_copy_opts {
	bool archive; /* -a: keep owners (else the copies are root's) */
	bool follow;  /* -L: follow a symlink that the source path names */
};
int ctr_copy_out(struct engine *e, const char *id, const char *path, const char *host,
                 const struct ctr_copy_opts *o, berth_error_t *err);
int ctr_copy_in(struct engine *e, const char *id, const char *host, const char *path,
                const struct ctr_copy_opts *o, berth_error_t *err);
/* berth diff: what changed in the container's filesystem, from its overlay's upper layer, a
 * line each as Docker: "A /path" (added), "C /path" (changed), "D /path" (deleted: a
 * whiteout), sorted by path. *text is heap. */
int ctr_diff(struct engine *e, const char *id, char **text, berth_error_t *err);
/* berth export: a tar of the container's filesystem to file ("-": stdout), written beside it
 * and renamed into place. A stopped container's overlay is mounted meanwhile. */
int ctr_export(struct engine *e, const char *id, const char *file, berth_error_t *err);
/* Send sig to the container's init through the runtime library. */
int ctr_signal(struct engine *e, const char *id, int sig, berth_error_t *err);
/* Wait up to secs for the container to stop running. true when it did. */
bool ctr_wait_exit(struct engine *e, const char *id, double secs);
/* The stop signal (ctr_stop_defaults), SIGKILL after secs (< 0: the container's
 * --stop-timeout, else 10); then what a lost monitor did not do (ctr_settle). */
int ctr_stop(struct engine *e, const char *id, double secs, berth_error_t *err);
/* For an exited container whose monitor died: delete the runtime's state, unmount, record
 * the exit (status unknown), or remove it all for --rm. Nothing for the others. */
int ctr_settle(struct engine *e, const char *id, berth_error_t *err);
/* Start a stopped container again with a detached monitor. */
int ctr_start(struct engine *e, const char *id, berth_error_t *err);
/* berth stats (ctrlist.c): one sample of a running container. */
struct ctr_stats {
	uint64_t cpu_ns;      /* cpuacct.usage */
	uint64_t system_ns;   /* the host's CPU time (/proc/stat), as Docker's precpu */
	unsigned online_cpus; /* the host's */
	uint64_t mem_usage;   /* as Docker: the usage less the inactive file cache */
	uint64_t mem_limit;   /* the cgroup's, at most the host's memory */
	uint64_t pids;
	uint64_t net_rx, net_tx;      /* /proc/PID/net/dev of its init, lo excluded */
	uint64_t blk_read, blk_write; /* blkio io_service_bytes (recursive) */
};
/* From the container's cgroup and its network namespace (c running). */
int ctr_stats(struct engine *e, const struct ctr_info *c, struct ctr_stats *out,
              berth_error_t *err);
/* Docker's CPU %: the container's CPU time over the host's between two samples, times the
 * host's CPUs, in percent (0 without an earlier sample). */
double ctr_stats_cpu_percent(const struct ctr_stats *prev, const struct ctr_stats *now);
/* What the CLI shows of one sample, for --format: Docker's fields (strings) ID, Name,
 * Container, CPUPerc, MemUsage, MemPerc, NetIO, BlockIO, PIDs, and the numbers
 * cpu_percent, mem_percent, mem_usage, mem_limit, net_rx, net_tx, block_read, block_write,
 * pids. */
struct ctr_stats_row {
	const char *id, *name, *container, *cpu, *mem_usage, *mem_perc, *net, *block, *pids;
	double cpu_percent, mem_percent;
	struct ctr_stats st;
};
/* A JSON array's text of the rows. */
char *ctr_stats_json(const struct ctr_stats_row *rows, size_t n);
/* The runtime state root: <root>/runtime. */
char *ctr_runtime_root(struct engine *e);

/* One more process in a running container, through the runtime library, attached: its
 * stdin is ours with interactive (else /dev/null), a terminal with tty. */
struct ctr_exec_opts {
	char **args;
	size_t n_args;
	char **env; /* K=V */
	size_t n_env;
	const char *workdir;
	bool tty, interactive;
};
int ctr_exec(struct engine *e, const char *id, const struct ctr_exec_opts *o, int *status,
             berth_error_t *err);

/* berth attach (attach.c): the output of a container running with a detached monitor here,
 * our stdin to it when it was made with -i (and not no_stdin), the signals we get to it
 * (sig_proxy, without a terminal); detach_keys (default ctrl-p,ctrl-q) leave it running
 * (with a terminal). *status: the container's exit status when it ended, 0 when detached. */
struct ctr_attach_opts {
	const char *detach_keys;
	bool no_stdin, sig_proxy;
};
int ctr_attach(struct engine *e, const char *id, const struct ctr_attach_opts *o, int *status,
               berth_error_t *err);

/* Run the container in this process (attached) or in a detached monitor. Attached: *status
 * gets the container's exit status. */
int monitor_run_attached(struct engine *e, const char *id, int *status, berth_error_t *err);
int monitor_spawn(struct engine *e, const char *id, berth_error_t *err);
/* Attached as `start -a`: in gives the container our stdin (when it was made with -i). */
int monitor_run_attached_in(struct engine *e, const char *id, bool in, int *status,
                            berth_error_t *err);

/* ---- the rest of a container's life (lifecycle.c) ----------------------------------------- */
/* A container's name as Docker takes it: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128; one line
 * naming what (the argument) otherwise. */
int ctr_check_name(const char *what, const char *name, berth_error_t *err);
/* `start -a`: this process is the container's monitor (as `run` without -d); in: -i. */
int ctr_start_attached(struct engine *e, const char *id, bool in, int *status, berth_error_t *err);
/* After a failed start: a container never started is Created again. */
void ctr_start_failed(struct engine *e, const char *id);
/* Block until the container is not running; *code gets its exit code as Docker's wait gives
 * it (0 for a container never started, -1 when nobody saw its exit). */
int ctr_wait(struct engine *e, const char *id, int *code, berth_error_t *err);
/* Freeze (pause) or thaw a running container's processes, through the runtime library. */
int ctr_pause(struct engine *e, const char *id, bool pause, berth_error_t *err);
/* Another name for a container (refused when taken). */
int ctr_rename(struct engine *e, const char *ref, const char *name, berth_error_t *err);
/* The host's `ps ARGS` (default -ef) limited to the container's processes: *out, a new
 * string (the header, then one line each). */
int ctr_top(struct engine *e, const char *id, char **ps_args, size_t n_args, char **out,
            berth_error_t *err);

/* ---- volumes (volume.c) ------------------------------------------------------------------
 * volumes/<name>/volume.json (Docker's volume inspect document) and volumes/<name>/_data. */
/* [a-zA-Z0-9][a-zA-Z0-9_.-]+ as Docker; one line naming what otherwise. */
int volume_check_name(const char *what, const char *name, berth_error_t *err);
/* name NULL: a random 64-hex name. An existing volume is kept (as Docker). *out: its name. */
int volume_create(struct engine *e, const char *name, char **labels, size_t n_labels, char **out,
                  berth_error_t *err);
/* Refused while a container (running or not) uses it, even with force; force: a missing
 * volume is no error. */
int volume_remove(struct engine *e, const char *name, bool force, berth_error_t *err);
char *volume_list_json(struct engine *e, berth_error_t *err);
/* Every volume's name, sorted (*names and each name heap). */
int volume_list(struct engine *e, char ***names, size_t *n, berth_error_t *err);
/* An array of the n volumes' documents; one line for the first missing one. */
char *volume_inspect_json(struct engine *e, char **names, size_t n, berth_error_t *err);
/* The unused volumes removed (anonymous ones only, unless all); *names their names. */
int volume_prune(struct engine *e, bool all, char ***names, size_t *n, berth_error_t *err);
/* -v, --mount and --tmpfs checked (one line naming the argument; duplicate destinations). */
int volume_check_opts(const struct run_opts *o, berth_error_t *err);
/* Under the engine's lock, for a new container whose rootfs is mounted: the volumes it names
 * made (an empty one filled from the image; *made_names those new), and an anonymous one for
 * each of img's VOLUMEs (config.Volumes) on a path nothing else mounts (img may be NULL),
 * *oci_mounts the config.json mounts and *rec_mounts the record's. Nothing made is left on
 * failure. */
int volume_prepare(struct engine *e, const struct run_opts *o, const struct image *img,
                   const char *rootfs, struct json_t **oci_mounts, struct json_t **rec_mounts,
                   struct json_t **made_names, berth_error_t *err);
/* The volumes volume_prepare made (made_names), removed: a create that failed later. */
void volume_undo(struct engine *e, struct json_t *made_names);
/* Under the engine's lock: the anonymous volumes of a record's mounts that no container uses
 * any more, removed. */
void volume_remove_anonymous(struct engine *e, struct json_t *rec_mounts);
/* The container's directory removed and, with volumes, then its anonymous volumes (the
 * engine's lock taken unless held). */
int ctr_remove_dir(struct engine *e, const char *id, bool volumes, berth_error_t *err);
/* containers/<id> renamed into trash/<id> (0, or -1 with errno: nothing moved); and a child
 * forked to remove every entry of trash/ in the background (in place when this process has
 * threads). trash.c */
int ctr_trash(struct engine *e, const char *id);
/* The tmpfs of a container's layer (ctr_mount) unmounted, when it has one. */
void ctr_layer_umount(struct engine *e, const char *id);
void ctr_trash_empty(struct engine *e);
/* A spare directory (empty rootfs/, upper/, work/ and the empty files of ctr_spare_files)
 * that trash.c's child made, renamed to dir (containers/<id>): 0, or -1 when there is none. */
int ctr_spare_take(struct engine *e, const char *dir);
/* ctr_remove, and with volumes the container's anonymous volumes too (rm -v; --rm always). */
int ctr_remove_volumes(struct engine *e, const char *id, bool force, bool volumes,
                       berth_error_t *err);
/* ---- housekeeping (system.c) --------------------------------------------------------------- */
/* container prune: remove every container not running (created or exited); *ids (heap, each
 * heap) the ones removed, *space what their writable layers took. */
int ctr_prune(struct engine *e, char ***ids, size_t *n, uint64_t *space, berth_error_t *err);
/* image prune: remove the images without a name (all: every image) that no container uses;
 * *report (heap) what rmi prints for each, *space the unpacked layers that went. */
int image_prune(struct engine *e, bool all, char **report, uint64_t *space, berth_error_t *err);
/* image history: a row per entry of the config's history, newest first (without a history, a
 * row per layer); the first row has the image's id, the others none. */
struct image_history_row {
	char *id; /* NULL: Docker's <missing> */
	char *created, *created_by, *comment;
	uint64_t size; /* the entry's layer unpacked; 0 for an empty layer */
};
int image_history(struct engine *e, const char *ref, struct image_history_row **out, size_t *n,
                  berth_error_t *err);
void image_history_free(struct image_history_row *v, size_t n);
/* An array of {id, created, created_by, size, comment}. */
char *image_history_json(const struct image_history_row *v, size_t n);
/* system df: images (a layer shared counts once; active: used by a container; reclaimable:
 * the layers no used image has) and containers (their writable layers; active: running). */
struct system_df {
	size_t images, images_active, ctrs, ctrs_active;
	uint64_t images_size, images_reclaimable, ctrs_size, ctrs_reclaimable;
};
int system_df(struct engine *e, struct system_df *out, berth_error_t *err);
/* system df -v: each image with its layers' size, the part other images share too, and how
 * many containers use it; a container's writable layer's size. */
struct system_df_image {
	char *name; /* NULL when untagged */
	char *id, *created;
	uint64_t size, shared;
	size_t containers;
};
int system_df_images(struct engine *e, struct system_df_image **out, size_t *n, berth_error_t *err);
void system_df_images_free(struct system_df_image *v, size_t n);
uint64_t ctr_disk_size(struct engine *e, const char *id);
/* berth info */
struct system_info {
	size_t containers, running, paused, stopped, images;
	int cgroup_version;     /* 1 (v1 or hybrid) or 2 */
	char cgroup_layout[16]; /* "v1", "hybrid", "v2", "none" */
	char kernel[128], arch[128], os[256], root[4096];
	long cpus;
	uint64_t memory;
};
int system_info(struct engine *e, struct system_info *out, berth_error_t *err);
/* Docker's keys: Containers, ContainersRunning, …, NCPU, MemTotal. */
char *system_info_json(const struct system_info *i);

/* ---- networks (network.c) ----------------------------------------------------------------
 * A bridge network each, stored in networks/<name>.json; the default `berth` (bridge berth0)
 * exists without being created. Addresses are leased in networks/leases.json. */
struct network_opts {
	const char *name, *subnet, *gateway;
	const char *subnet6; /* with ipv6: the IPv6 subnet (NULL: a free ULA /64) */
	bool internal, ipv6;
	char **labels; /* K=V */
	size_t n_labels;
};
int network_create(struct engine *e, const struct network_opts *o, char **id, berth_error_t *err);
struct network_summary {
	char *id, *name, *driver, *bridge, *subnet, *gateway;
	bool internal;
};
int network_summaries(struct engine *e, struct network_summary **out, size_t *n,
                      berth_error_t *err);
void network_summaries_free(struct network_summary *v, size_t n);
/* `network ls --format json`: an array; `network inspect`: an array of one, with the
 * containers attached and their addresses. */
char *network_list_json(struct engine *e, berth_error_t *err);
char *network_inspect_json(struct engine *e, const char *ref, berth_error_t *err);
/* Refused while a container is attached, unless force: then those are stopped first. */
int network_remove(struct engine *e, const char *ref, bool force, berth_error_t *err);
/* Remove every network but the default with no container attached; their names. */
int network_prune(struct engine *e, char ***names, size_t *n, berth_error_t *err);
/* `network connect`: the container joins the network, at once when it runs (a new card,
 * ethN, with an address of the network), else when it next starts; ip, ip6 and the aliases
 * are its settings there. `network disconnect` undoes it (the first network, given at
 * run/create, stays). */
struct network_connect_opts {
	const char *network, *container;
	const char *ip, *ip6; /* or NULL */
	char **aliases;
	size_t n_aliases;
};
int network_connect(struct engine *e, const struct network_connect_opts *o, berth_error_t *err);
int network_disconnect(struct engine *e, const char *network, const char *container,
                       berth_error_t *err);
/* An address for a `berth vm` card on the network `name` (`berth vm run --net
 * bridge=NAME`), leased like a container's under the id `id` (held while this process lives:
 * a lease whose process is gone is reclaimed) and the network's bridge made: 1 with *out
 * filled (gateway 0 on an --internal network); 0 when there is no berth network `name` (a
 * plain Linux bridge then); -1 with *err set. */
struct network_vm_addr {
	uint32_t ip, gateway; /* host byte order */
	int prefix;
	char bridge[16];
};
int network_vm_lease(struct engine *e, const char *name, const char *id,
                     struct network_vm_addr *out, berth_error_t *err);
/* Give the lease `id` back. Never fails. */
void network_vm_release(struct engine *e, const char *id);

#endif
