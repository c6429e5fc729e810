/* SPDX-License-Identifier: MIT */
/* The engine behind `berth`: the image store, layers, overlay storage, container records
 * and the monitor. Everything lives under one root directory (default /var/lib/berth):
 *
 *   images/            OCI image layout: oci-layout, index.json, blobs/sha256/<hex>
 *   layers/<hex>/      each layer unpacked once (named by its diff id), shared read-only
 *   containers/<id>/   container.json (the record), config.json + rootfs/ (the bundle),
 *                      upper/ work/ (overlay), ctr.log (output)
 *   runtime/           berth-runtime's state for these containers
 *   tmp/               staging for imports; removed on failure
 *   lock               flock(2) taken while the store or the records change */
#ifndef BERTH_ENGINE_H
#define BERTH_ENGINE_H

#include "error.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct json_t;

struct engine {
	char *root;
	int lock_fd;
};

int engine_open(struct engine *e, const char *root, berth_error_t *err);
void engine_close(struct engine *e);
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

/* ---- images (image.c, import.c) ----------------------------------------------------- */
struct image {
	char *name;   /* "busybox:latest" (or NULL when untagged) */
	char *digest; /* manifest digest, "sha256:<hex>" */
	char *id;     /* config digest hex: the image id */
	struct json_t *manifest;
	struct json_t *config;
	char **layers; /* diff id hex of each layer, bottom first */
	size_t n_layers;
	uint64_t size; /* sum of the layer blobs */
};
void image_free(struct image *img);
/* "name", "name:tag", an id or an id prefix (at least 4 hex digits). The built-in "busybox"
 * is made on first use. */
int image_find(struct engine *e, const char *ref, struct image **out, berth_error_t *err);
/* An array of {name, id, digest, size, created}. */
int image_list(struct engine *e, struct json_t **out, berth_error_t *err);
int image_remove(struct engine *e, const char *ref, bool force, berth_error_t *err);
/* An oci-archive (tar of an OCI image layout) of one image. */
int image_export(struct engine *e, const char *ref, const char *file, berth_error_t *err);
/* Import an OCI layout archive, a docker-archive or a rootfs tarball. name may be NULL.
 * All or nothing. *out (optional) gets the image's name or id. */
int image_import(struct engine *e, const char *file, const char *name, char **out,
                 berth_error_t *err);
/* Normalise a reference: "busybox" -> "busybox:latest". */
char *image_ref_normalize(const char *ref);
/* Unpacked layer directory of a diff id. */
char *image_layer_dir(const struct engine *e, const char *diff_id);
/* Shared by import.c and image.c. */
int image_index_add(struct engine *e, const char *name, const char *manifest_digest,
                    uint64_t manifest_size, berth_error_t *err);
int image_make_busybox(struct engine *e, berth_error_t *err);

/* ---- containers (spec.c, container.c, monitor.c) --------------------------------------- */
struct run_opts {
	const char *name, *workdir, *user, *hostname, *entrypoint, *network;
	bool has_entrypoint;
	char **env; /* K=V, in order, after --env-file */
	size_t n_env;
	char **volumes; /* HOST:CTR[:ro] */
	size_t n_volumes;
	char **cap_add, **cap_drop;
	size_t n_cap_add, n_cap_drop;
	char **cmd;
	size_t n_cmd;
	bool rm, detach, interactive, tty, read_only;
	int64_t memory, pids; /* 0: unset */
	double cpus;
};

/* "512m", "1g", "100000" -> bytes; -1 when bad. */
int64_t spec_parse_size(const char *s);
/* Check -v, -e, -u values; one line errors. */
int spec_check_opts(const struct run_opts *o, berth_error_t *err);
/* The config.json for a container of img with o, whose root is rootfs (mounted). */
int spec_build(const struct image *img, const struct run_opts *o, const char *id,
               const char *rootfs, struct json_t **out, berth_error_t *err);

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
int ctr_mount(struct engine *e, const char *id, berth_error_t *err);
void ctr_umount(struct engine *e, const char *id);
/* Remove the container; force: kill it first when it runs. */
int ctr_remove(struct engine *e, const char *id, bool force, berth_error_t *err);
/* Whether the container's monitor (and so the container) is alive. */
bool ctr_running(struct json_t *rec);
/* The runtime state root: <root>/runtime. */
char *ctr_runtime_root(struct engine *e);

/* Run the container in this process (attached) or in a detached monitor. Attached: *status
 * gets the container's exit status. */
int monitor_run_attached(struct engine *e, const char *id, int *status, berth_error_t *err);
int monitor_spawn(struct engine *e, const char *id, berth_error_t *err);

#endif
