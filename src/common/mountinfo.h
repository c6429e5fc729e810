/* SPDX-License-Identifier: MIT */
/* /proc/<pid>/mountinfo, parsed (proc(5)):
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *   (1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)   (10)         (11)
 * (7) is zero or more optional fields ("shared:N", "master:N", "propagate_from:N",
 * "unbindable"), ended by the "-" of (8). The kernel escapes space, tab, newline and
 * backslash in the paths as \040 \011 \012 \134; root, point and source come back
 * unescaped. */
#ifndef BERTH_MOUNTINFO_H
#define BERTH_MOUNTINFO_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>

struct mountinfo_entry {
	unsigned id, parent;   /* (1) (2) */
	unsigned major, minor; /* (3) */
	const char *root;      /* (4) the root of the mount inside its filesystem */
	const char *point;     /* (5) the mount point */
	const char *options;   /* (6) per-mount options: "rw,noatime" */
	const char *optional;  /* (7) "shared:1 master:2", "" when none */
	const char *fstype;    /* (9) */
	const char *source;    /* (10) */
	const char *superopts; /* (11) per-superblock options, "" when absent */
};

struct mountinfo {
	struct mountinfo_entry *v; /* in file order */
	size_t n;
	char *text; /* the entries point into it */
};

/* Read and parse path (NULL: /proc/self/mountinfo). Malformed lines are skipped. */
int mountinfo_load(const char *path, struct mountinfo *mi, berth_error_t *err);
/* Parse text (modified in place, must outlive mi) the same way; mi->text is left NULL. */
void mountinfo_parse(char *text, struct mountinfo *mi);
void mountinfo_release(struct mountinfo *mi);
#define cleanup_mountinfo __attribute__((cleanup(mountinfo_release)))

/* Split one line (no newline) in place. false for a malformed line. */
bool mountinfo_parse_line(char *line, struct mountinfo_entry *e);
/* Undo the kernel's escapes (\040 \011 \012 \134) in place; other bytes are kept. */
void mountinfo_unescape(char *s);

/* Whether e has the optional field `tag` ("shared" matches "shared:4"; "unbindable"). */
bool mountinfo_has_optional(const struct mountinfo_entry *e, const char *tag);

#endif
