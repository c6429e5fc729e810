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

#endif
