/* SPDX-License-Identifier: MIT */
/* Shared by build.c (the executor) and buildfs.c (overlays, copies, layers, the cache). */
#ifndef BERTH_BUILD_PRIV_H
#define BERTH_BUILD_PRIV_H

#include "build.h"
#include "buildfile.h"
#include "sha256.h"

#include <jansson.h>

/* An overlay over layers (diff hexes, bottom first) with a fresh upper directory, mounted on
 * dir/merged (dir/upper, dir/work); or read-only (no upper) when ro. */
struct bfs_mount {
	char *dir, *upper, *merged;
	int rootfd; /* O_PATH of merged */
	bool mounted;
};
int bfs_mount(struct engine *e, const char *dir, char **layers, size_t n, bool ro,
              struct bfs_mount *m, berth_error_t *err);
/* Unmounted and its directory removed. */
void bfs_umount(struct bfs_mount *m);

/* The upper directory as a layer: a tar (whiteouts .wh.NAME, opaque dirs .wh..wh..opq;
 * mtimes clamped to ts when ts >= 0) written in tmp, then blob and unpacked layer moved into
 * the store (under the lock). *empty: nothing changed (no layer; hex unset). *size: the tar's
 * size. */
int bfs_commit_layer(struct engine *e, const char *upper, const char *tmp, long long ts,
                     char hex[65], uint64_t *size, bool *empty, berth_error_t *err);

/* A COPY/ADD: sources (words, cleaned later) from the root srcfd (the context, with ig; or a
 * stage's or image's filesystem, ig NULL) to dest (absolute) in the root dstfd. */
struct bfs_copy {
	const char *what; /* "FILE:LINE: COPY" */
	int srcfd, dstfd;
	const struct bf_ignore *ig;
	char **src;
	size_t n_src;
	const char *dest;
	bool add;              /* ADD: local tar archives unpacked */
	bool chown;            /* uid/gid given */
	uint32_t uid, gid;     /* else 0:0 */
	int chmod;             /* -1: the source's modes */
	long long ts;          /* mtimes clamped (>= 0) */
	struct sha256 *digest; /* the sources' content folded in (cache key), or NULL */
	bool dry;              /* only the digest, nothing copied */
};
int bfs_copy(const struct bfs_copy *c, berth_error_t *err);

/* fn(arg) in a child process (its failure's line passed back): for what starts threads (libcurl's
 * resolver, pull's workers), so that the build's process, which forks containers, never has
 * one. */
int bfs_child(int (*fn)(void *arg, berth_error_t *err), void *arg, berth_error_t *err);
/* ADD's URL downloaded into file (made, 0600), in a child process. */
int bfs_fetch(const char *what, const char *url, const char *file, berth_error_t *err);

/* The build directory tmp is this process's (tmp/owner); bfs_sweep removes what the builds
 * whose owner is gone left: their RUN containers (named BUILDDIR-N), overlays and directory. */
void bfs_mark_owner(const char *tmp);
void bfs_sweep(struct engine *e);

/* The build cache (build-cache/NAME.json): an entry, or NULL; keep one (a warning when it
 * cannot be written). */
json_t *bfs_cache_load(struct engine *e, const char *name);
void bfs_cache_store(struct engine *e, const char *name, const json_t *j);
/* A step's entry: key hex -> {"diff": hex or null}. */
int bfs_cache_get(struct engine *e, const char *key, char diff[65], bool *has_layer);
void bfs_cache_put(struct engine *e, const char *key, const char *diff);

/* ---- the executor's state (build.c, buildcfg.c) ---------------------------------------- */
struct stage {
	char *name;     /* AS NAME, lower case; or NULL */
	json_t *config; /* the image config being made */
	json_t *descs;  /* the manifest's layer descriptors */
	char **layers;  /* diff hex, bottom first */
	size_t n_layers;
	char chain[65];
	size_t base_hist; /* history entries of the base image (the rest are this build's) */
	json_t *args;     /* ARGs in scope: name -> value or null */
	bool cmd_here, done;
};

struct bctx {
	struct engine *e;
	const struct build_opts *o;
	const char *file; /* what messages name: -f's, else Containerfile or Dockerfile */
	char *path;
	struct bf_file bf;
	char *tmp;
	int ctxfd;
	struct bf_ignore ig;
	json_t *meta;  /* ARGs before the first FROM: name -> value or null */
	json_t *bargs; /* --build-arg: name -> value */
	json_t *used;  /* the build args some ARG took */
	struct stage *st;
	size_t n_st;
	size_t step, steps, n_dirs;
	long long ts; /* -1: now */
	char created[40];
};

/* Variable lookup in a stage's scope (or, s NULL, the ARGs before the first FROM) for
 * bf_expand; undeclared names the first --build-arg used but not declared there. */
struct scope {
	struct bctx *b;
	struct stage *s; /* NULL: FROM's (the ARGs before the first FROM) */
	const char *undeclared;
};
const char *build_scope_lookup(const char *name, void *ctx);
/* One line when a --build-arg was used undeclared. */
int build_scope_check(struct scope *sc, const char *what, berth_error_t *err);
/* The instruction's words (its exec form's elements, or its shell form split), expanded. */
int build_expand_words(struct bctx *b, struct stage *s, const char *what, const struct bf_insn *in,
                       char ***w, size_t *n, berth_error_t *err);
int build_expand_one(struct bctx *b, struct stage *s, const char *what, const char *text,
                     char **out, berth_error_t *err);
/* The stage's config's "config" object (made when missing). */
json_t *build_cfg(struct stage *s);
/* SHELL, or ["/bin/sh", "-c"] (a new reference). */
json_t *build_shell(struct stage *s);
/* A config instruction's effect on the stage's config. */
int build_do_config(struct bctx *b, struct stage *s, const char *what, const struct bf_insn *in,
                    berth_error_t *err);
/* Which stages (needed[k] for the k-th FROM of the nst before instruction last) the last
 * one needs (heap). */
bool *build_stages_needed(struct bctx *b, size_t last, size_t nst);

#endif
