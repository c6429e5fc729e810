/* SPDX-License-Identifier: MIT */
/* Shared between image.c and import.c. */
#ifndef BERTH_IMAGE_PRIV_H
#define BERTH_IMAGE_PRIV_H

#include "engine.h"

#include <jansson.h>

#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_INDEX    "application/vnd.oci.image.index.v1+json"
#define MT_CONFIG   "application/vnd.oci.image.config.v1+json"
#define MT_LAYER    "application/vnd.oci.image.layer.v1.tar"
#define REF_NAME    "org.opencontainers.image.ref.name"

/* "sha256:<64 hex>" -> the hex part, or NULL. */
const char *image_digest_hex(const char *digest);
json_t *image_json_load(const char *path, berth_error_t *err);
json_t *image_index_load(struct engine *e, berth_error_t *err);
int image_index_save(struct engine *e, json_t *index, berth_error_t *err);
/* A name as stored and compared: "localhost/" and "docker.io/library/" dropped. */
const char *image_short_name(const char *name);

/* An index.json entry that names a manifest list (berth manifest), not an image. */
bool image_entry_is_list(json_t *d);
/* A blob of the store as JSON. */
json_t *image_blob_json(struct engine *e, const char *digest, berth_error_t *err);
/* The index (to be released) and the position of ref in it (-1: not there). */
json_t *image_lookup(struct engine *e, const char *ref, ssize_t *pos, berth_error_t *err);
/* The same, making the built-in busybox when ref names it and the store has none. */
json_t *image_lookup_made(struct engine *e, const char *ref, ssize_t *pos, berth_error_t *err);

/* The stored bytes of the manifest list name (manifest.c). */
int manifest_list_read(struct engine *e, const char *name, char **text, size_t *len,
                       berth_error_t *err);

/* Staging under <root>/tmp/KIND-XXXXXX (import.c): blobs and unpacked layers are made
 * there, verified, and moved into the store by staging_commit() under the lock; on failure
 * staging_free() removes it all, so the store is as it was. */
struct staging {
	struct engine *e;
	const char *file; /* what the messages name */
	char *dir, *x, *blobs, *layers;
	json_t *images; /* [{name, manifest, size, mediaType}] */
	bool quiet;     /* no progress bar of its own (pull's terminal board shows it) */
	char **changes; /* import --change: applied to a rootfs's config (image_change_apply) */
	size_t n_changes;
};
/* One import --change (Docker's: a Dockerfile instruction, CMD ENTRYPOINT ENV EXPOSE LABEL
 * STOPSIGNAL USER VOLUME WORKDIR; "INSTR VALUE" or "INSTR=VALUE") applied to config. */
int image_change_apply(json_t *config, const char *change, berth_error_t *err);
int staging_init(struct staging *s, struct engine *e, const char *file, const char *kind,
                 berth_error_t *err);
void staging_free(struct staging *s);
int staging_blob_mem(struct staging *s, const char *data, size_t len, char hex[65],
                     berth_error_t *err);
/* Check the layer blob's (staged as blobs/<blob_hex>) diff id and unpack it, unless the store
 * has it already. i of n: for the progress. */
int staging_layer(struct staging *s, const char *blob_hex, const char *diff, size_t i, size_t n,
                  berth_error_t *err);
int staging_add_image(struct staging *s, const char *name, const char *hex, size_t size,
                      const char *media_type);
/* A rootfs tarball (fd) staged as a one-layer image of linux/arch, not named: its manifest's
 * hex and size. */
int staging_rootfs(struct staging *s, int fd, const char *what, const char *arch, char mhex[65],
                   size_t *msize, berth_error_t *err);
/* Move the blobs and layers into the store and name the images (takes the lock). */
int staging_commit(struct staging *s, char **out, berth_error_t *err);

/* An index.json entry as an image (a list: its image of the host's platform). */
struct image *image_load_entry(struct engine *e, json_t *d, berth_error_t *err);
/* What an unpacked layer takes (Docker's count: the apparent size of everything but
 * directories, hard links once); a tree's the same way. */
uint64_t image_layer_size(struct engine *e, const char *diff_hex);
uint64_t image_tree_size(const char *dir);
/* The blobs and layers no image, container or build cache entry names, removed (the lock
 * held). */
void image_gc_unused(struct engine *e);
/* What the build cache names (buildfs.c), set in keep (hex -> true). */
void build_cache_mark(struct engine *e, json_t *keep);
/* Whether a container's record names the image id. */
bool image_in_use(struct engine *e, const char *id);

/* Whether a container has that name (container.c). */
bool ctr_name_used(struct engine *e, const char *name);
/* Put fields (taken) into container id's record, under the lock (lifecycle.c). */
int ctr_update(struct engine *e, const char *id, json_t *fields, berth_error_t *err);
/* A stop, kill or rm -f asked for: the monitor does not restart the container (record.c).
 * true when the container has a restart policy and so was marked. */
bool ctr_mark_stopped(struct engine *e, const char *id);

/* Before container id starts: its platform's binfmt_misc handler (binfmt_prepare) when its
 * record's platform is of another architecture (record.c). */
int ctr_binfmt_ready(struct engine *e, const char *id, berth_error_t *err);

/* Health checks (health.c). The record's "healthcheck" (Docker's Config.Healthcheck) from the
 * image config's Healthcheck and o's flags; one line naming what is bad. */
int health_record(json_t *rec, const struct run_opts *o, json_t *image_config, berth_error_t *err);
/* The monitor, just after the container (whose init is init) started, while it has one
 * thread: forks the container's health checker when it has a check. A pidfd of it, or -1. */
int health_start(struct engine *e, const char *id, pid_t init);
/* Kill and reap the checker (*pidfd: health_start's, then -1). */
void health_stop(int *pidfd);
/* The record rec as shown: its "health" {Status, FailingStreak, Log} from health.json. */
void health_fill(struct engine *e, json_t *rec);
/* inspect's document o: Docker's State.Health and Config.Healthcheck. */
void health_inspect(json_t *o);

/* ---- VM-backed containers (vmctr.c) ---------------------------------------------------- */
/* The record's "vm": {cpus, memory}. */
void vmctr_record(json_t *rec, const struct run_opts *o);
/* While it runs, a VM-backed container's record has network_settings.ports (its -p
 * forwards, from vm.ports) as a container's with published ports: ps, port and inspect show
 * them. New reference. */
json_t *vmctr_network_settings(struct engine *e, const char *id);
bool vmctr_is(json_t *rec);
/* Whether the container id is VM-backed (record.c). */
bool ctr_is_vm(struct engine *e, const char *id);
/* The monitor, with one thread: `berth vm run` of the container as its child *pid, and the
 * connected sockets of the guest's stdout and stderr (non-blocking). in (or -1): without a
 * terminal, what comes there is the command's stdin (a child of ours sends it). */
int vmctr_start(struct engine *e, const char *id, int in, pid_t *pid, int *out, int *errfd,
                berth_error_t *err);
/* The container's exit status from the VM's (0 when it powered off: the agent's). */
int vmctr_exit_status(struct engine *e, const char *id, int vm_status);
/* Its sockets and share directory removed (and, in the monitor, the input's feeder ended). */
void vmctr_cleanup(struct engine *e, const char *id);
/* exec: o->args run by the agent with the container's process's config (env with o->env
 * over it, o->workdir if given); its output to our stdout and stderr; with o->interactive our
 * stdin to it, with o->tty a terminal in the guest (ours in raw mode); *status its exit
 * status. */
int vmctr_exec(struct engine *e, const char *id, const struct ctr_exec_opts *o, int *status,
               berth_error_t *err);
int vmctr_signal(struct engine *e, const char *id, int sig, berth_error_t *err);

#endif
