/* SPDX-License-Identifier: MIT */
/* `berth build` (build.c, buildfs.c, buildfile.c): an OCI image from a Containerfile and a
 * context directory. Each RUN runs in a container the engine makes over the stage's layers;
 * each instruction that changes the filesystem makes one layer, the tar diff of an overlay's
 * upper directory (whiteouts for deletions, opaque directories). A build cache under
 * <root>/build-cache/ skips a step whose parent, instruction, build args and copied files
 * are unchanged. */
#ifndef BERTH_BUILD_H
#define BERTH_BUILD_H

#include "engine.h"

struct build_opts {
	const char *context; /* the directory */
	const char *file;    /* -f; NULL: CONTEXT/Containerfile, else CONTEXT/Dockerfile */
	char **tags;         /* -t NAME[:TAG] */
	size_t n_tags;
	char **build_args; /* --build-arg K=V (or K: from our environment) */
	size_t n_build_args;
	char **labels; /* --label K=V */
	size_t n_labels;
	const char *target;   /* --target STAGE */
	const char *platform; /* --platform OS/ARCH[/VARIANT] */
	const char *pull;     /* --pull missing (NULL), always, never */
	const char *network;  /* RUN's network: bridge (NULL), none, host, NAME */
	bool no_cache, quiet;
	bool no_tls_verify; /* --tls-verify=false: pulls accept any certificate, plain HTTP */
	bool has_timestamp; /* --timestamp or SOURCE_DATE_EPOCH */
	long long timestamp;
};
/* Build; *id (heap) the image id. Messages FILE:LINE: INSTRUCTION: … on failure, with no
 * image, container or mount left behind. */
int build_image(struct engine *e, const struct build_opts *o, char **id, berth_error_t *err);
/* `berth builder prune`: the cache emptied and the layers only it kept removed; *n the
 * entries removed. */
int build_cache_prune(struct engine *e, size_t *n, berth_error_t *err);

#endif
