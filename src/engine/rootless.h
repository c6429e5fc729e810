/* SPDX-License-Identifier: MIT */
/* berth for an ordinary user (docs/rootless.md): the store under ~/.local/share/berth, the
 * state under $XDG_RUNTIME_DIR/berth, and one user namespace per user, kept by a pause
 * process, that every command re-enters (as Podman's pause process). */
#ifndef BERTH_ROOTLESS_H
#define BERTH_ROOTLESS_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct json_t;
struct fw_port;

/* Whether this berth runs for an ordinary user: not root, or root only in the user namespace
 * rootless_enter() made (a process berth forked or exec'd there). */
bool rootless_active(void);
/* $XDG_DATA_HOME/berth, else ~/.local/share/berth (NULL when HOME is not set) */
char *rootless_store_dir(void);
/* $XDG_RUNTIME_DIR/berth, else /run/user/UID/berth when that directory is the user's, else
 * /tmp/berth-run-UID (as Podman's /tmp/podman-run-UID) */
char *rootless_run_dir(void);
/* Join the user's namespace (user and mount), making it and its pause process first when
 * there is none: uid and gid 0 are the user's own, 1… its range in /etc/subuid and
 * /etc/subgid. The caller must have no thread. */
int rootless_enter(berth_error_t *err);

/* --userns keep-id: the container gets a user namespace of its own in which the user's uid
 * and gid on the host are themselves (they are 0 of the user's namespace), and the ids below
 * them its range's first ones; its process runs as them unless set_user is false (-u). */
int rootless_keep_id(struct json_t *spec, bool set_user, berth_error_t *err);
/* keep-id's own ids: the user's uid on the host, and its primary gid in /etc/passwd */
void rootless_keep_ids(uint32_t *uid, uint32_t *gid);

/* keep-id's linux.uidMappings (gidMappings) from the text of this namespace's uid_map
 * (gid_map): the namespace's 0 (the user) is the container's own, its 1…own the container's
 * 0…own-1, the rest themselves, cut at the map's extents (a child's range must lie in one
 * extent of its parent's). *total: how many ids the namespace has. */
struct json_t *rootless_keep_map(const char *map, uint32_t own, uint64_t *total);

/* /sys a read-only bind of the host's instead of a sysfs (--network host: a sysfs belongs to
 * the network namespace, which the user's namespace does not own), as runc's rootless spec */
void rootless_sys_bind(struct json_t *spec);

/* A new network namespace bind-mounted on path (a file that exists), made by a child that
 * only unshares and mounts: the caller stays in its own. */
int rootless_netns_make(const char *path, berth_error_t *err);

/* Rootless user-mode networking (slirpnet.c): the container's network namespace made and
 * bound on path (a file that exists) with tap0 in it, and a slirp process serving it that
 * listens on the published ports; its pid in *pid (the monitor ends it with proxy_stop). */
int slirpnet_attach(const char *path, const struct fw_port *ports, size_t n, pid_t *pid,
                    berth_error_t *err);

#endif
