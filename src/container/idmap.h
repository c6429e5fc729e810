/* SPDX-License-Identifier: MIT */
/* Idmapped bind mounts (mounts[].uidMappings/gidMappings, options idmap and ridmap): a clone
 * of the source (open_tree(OPEN_TREE_CLONE)) given a user namespace's mapping with
 * mount_setattr(MOUNT_ATTR_IDMAP). A file owned by id C on disk shows as H through a
 * mapping {containerID C, hostID H}. hostIDs are the host's: with a user namespace in the
 * container the clones are made in stage 1, before it is entered. */
#ifndef BERTH_IDMAP_H
#define BERTH_IDMAP_H

#include "config.h"
#include "error.h"

/* The file system's name from its statfs magic ("ext4", "0x1234"), for messages. */
const char *idmap_fs_name(long magic);

/* A detached idmapped clone of srcfd (the source of cm, opened), with cm's mappings or else
 * the container's. On failure one line naming the source, the destination and, when the
 * kernel refuses, the source's file system. */
int idmap_clone(const struct config *c, const struct config_mount *cm, int srcfd,
                berth_error_t *err);

/* Stage 1, before the user namespace: an idmapped clone for every idmapped bind of c, into
 * *fds (per mount, allocated with -1 for the others when NULL). */
int idmap_open_trees(const struct config *c, int **fds, berth_error_t *err);

#endif
