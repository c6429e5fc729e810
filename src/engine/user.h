/* SPDX-License-Identifier: MIT */
/* The container's user as Docker resolves it (user.c): `-u` / the image's User config field
 * (NAME, UID, UID:GID, NAME:GROUP, …) and `--group-add`, against the texts of the image's
 * /etc/passwd and /etc/group. The parsing is pure (unit-tested in tests/unit/engine/);
 * user_read_file() reads those files inside the container's root. */
#ifndef BERTH_USER_H
#define BERTH_USER_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

/* uids and gids are taken in 0..2^31-1, as Docker takes them */
#define USER_ID_MAX 2147483647L

struct user_ids {
	uint32_t uid, gid;
	uint32_t *groups; /* supplementary groups (heap), in order, no duplicates */
	size_t n_groups;
};
void user_ids_free(struct user_ids *u);

/* Resolve spec ("USER[:GROUP]") as Docker (runc's GetExecUser) does:
 *  - USER: the first /etc/passwd entry whose name is USER, or whose uid is USER when numeric;
 *    its uid and gid. A numeric USER with no entry: that uid, gid 0. A name with no entry
 *    (or no /etc/passwd): an error.
 *  - GROUP: the first /etc/group entry named GROUP, or with gid GROUP: its gid; a numeric
 *    GROUP with no entry: that gid; a name with no entry: an error. Given, it replaces the
 *    user's gid and there are no supplementary groups from /etc/group.
 *  - no GROUP and a passwd entry matched: every /etc/group entry listing the entry's name as a
 *    member is a supplementary group.
 *  - then each of group_add (a name in /etc/group or a number).
 * passwd and group are the files' texts, NULL when the image has none. what names the value in
 * errors ("-u", "image User"); one line each. */
int user_resolve(const char *what, const char *spec, const char *passwd, const char *group,
                 char *const *group_add, size_t n_group_add, struct user_ids *out,
                 berth_error_t *err);

/* The text of the file path inside the root rootfd (openat2 RESOLVE_IN_ROOT: a symlink, even
 * an absolute one, cannot lead out of the root), at most 4 MiB, only a regular file. 0 with
 * *text NULL when there is no such file. */
int user_read_file(int rootfd, const char *path, char **text, berth_error_t *err);

#endif
