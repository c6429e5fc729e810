/* SPDX-License-Identifier: MIT */
/* A container's user namespace maps: checked before anything is made, and written for
 * stage 1. Run by root, the runtime writes /proc/PID/uid_map and gid_map itself. Run by an
 * ordinary user (rootless), it writes them itself only for a single mapping of its own id;
 * other host ids must be in the user's ranges in /etc/subuid and /etc/subgid, and are
 * written by Debian's setuid newuidmap and newgidmap (package uidmap), as runc and crun do. */
#ifndef BERTH_USERNS_H
#define BERTH_USERNS_H

#include "config.h"
#include "error.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define USERNS_MAX_RANGES 64 /* ranges of one user read from a subid file */

struct userns_range {
	uint32_t start, count;
};

/* The ranges of the user called name, or with the numeric id `id`, in the text of a subid
 * file ("name:start:count" lines). Malformed lines and empty ranges are skipped. Returns how
 * many were stored in out (at most max). */
size_t userns_parse_subid(const char *text, const char *name, uint32_t id, struct userns_range *out,
                          size_t max);

/* Mappings whose container ranges or host ranges overlap, or that pass 2^32 - 1: refused
 * with one line naming what (`linux.uidMappings`) and the index, as the kernel would refuse
 * them with a bare EINVAL. */
int userns_check_overlap(const char *what, const struct config_id_mapping *m, size_t n,
                         berth_error_t *err);

/* Every host range of m is the single id own (size 1) or lies inside one of r[]; else one
 * line naming what[i], the host ids and file. */
int userns_check_allowed(const char *what, const struct config_id_mapping *m, size_t n,
                         uint32_t own, const struct userns_range *r, size_t nr, const char *file,
                         berth_error_t *err);

/* Whether m is exactly one mapping of the id own, size 1 (written without a helper). */
bool userns_only_own(const struct config_id_mapping *m, size_t n, uint32_t own);

/* Check linux.uidMappings and gidMappings of c: overlaps always; when not root, also that
 * the ids are the caller's to map and that newuidmap/newgidmap are there and setuid when
 * they are needed. */
int userns_validate(const struct config *c, berth_error_t *err);

/* Write pid's uid_map and gid_map: directly as root, or as an ordinary user for its own id
 * (after denying setgroups), else through newuidmap/newgidmap. Messages name
 * linux.uidMappings or linux.gidMappings. */
int userns_write_id_maps(pid_t pid, const struct config_id_mapping *um, size_t nu,
                         const struct config_id_mapping *gm, size_t ng, berth_error_t *err);

/* Write the container's maps for pid (stage 1, just after its unshare). */
int userns_write_maps(pid_t pid, const struct config *c, berth_error_t *err);

/* Whether this process is in a user namespace other than the host's (its uid_map is not
 * the identity of every id), e.g. root in rootless Podman's namespace. */
bool userns_in_child_ns(void);
/* Rootless: not root, or root only in a user namespace of an ordinary user's. Cgroups are
 * then used only where delegated, and limits that need the host's privileges refused. */
bool userns_rootless(void);

/* The name of uid from /etc/passwd (fgetpwent: no NSS in a static binary), or NULL. */
char *userns_user_name(uid_t uid);

/* What `features` reports: whether an ordinary user can make a user namespace here, and
 * the newuidmap found in PATH (NULL when none, or when it is not setuid root). */
bool userns_unprivileged_allowed(void);
char *userns_find_helper(const char *name, bool *privileged);

#endif
