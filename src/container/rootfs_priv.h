/* SPDX-License-Identifier: MIT */
/* What rootfs.c and rootfs_dev.c share: not for other files. */
#pragma once

#include "config.h"
#include "error.h"
#include "rootfs.h"

#include <stdbool.h>

/* Everything rootfs_prepare() works with. */
struct rootfs_ctx {
	const struct config *c;
	const struct rootfs_opts *o;
	char *root;  /* realpath of o->rootfs */
	int rootfd;  /* O_PATH fd of the rootfs bind mount */
	bool userns; /* o->userns, or the config asks for a new user ns */
};

/* The path inside the rootfs that fd (opened under ctx->rootfd) is at; NULL (and err) when
 * it resolves outside. Newly allocated. */
char *rootfs_fd_inroot(struct rootfs_ctx *ctx, int fd, const char *dest, berth_error_t *err);
/* A bind mount: "bind"/"rbind" type or option, or MS_BIND. */
bool rootfs_is_bind(const struct config_mount *cm);

/* rootfs_dev.c. The config bind-mounts /dev (then no nodes are made). */
bool rootfs_dev_is_bind(const struct config *c);
/* The default device nodes and the config's, under ctx->root's /dev. */
int rootfs_create_devices(struct rootfs_ctx *ctx, berth_error_t *err);
/* /dev/ptmx -> pts/ptmx (when /dev/pts is mounted), and the usual /dev symlinks. */
int rootfs_dev_links(struct rootfs_ctx *ctx, berth_error_t *err);
