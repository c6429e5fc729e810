/* SPDX-License-Identifier: MIT */
/* Foreign-platform containers (binfmt.c): the binaries of an image of another architecture
 * run through the kernel's binfmt_misc and Debian's qemu-user-static. A handler with the F
 * (fix-binary) flag has its interpreter opened when it is registered, so the interpreter need
 * not be inside the container's root. berth registers one, named berth-ARCH, when there is no
 * handler for the architecture; it never changes or removes a handler it did not make. */
#ifndef BERTH_ENGINE_BINFMT_H
#define BERTH_ENGINE_BINFMT_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>

/* An architecture berth knows how to emulate: its name in Go's spelling (an image config's
 * "architecture"), qemu's, and the ELF magic and mask of its executables as Debian's
 * /usr/lib/binfmt.d (qemu's scripts/qemu-binfmt-conf.sh) registers them. */
#define BINFMT_MAGIC_LEN 20
struct binfmt_arch {
	const char *arch, *qemu;
	unsigned char magic[BINFMT_MAGIC_LEN], mask[BINFMT_MAGIC_LEN];
};
/* The table's entry for arch, or NULL. */
const struct binfmt_arch *binfmt_arch_find(const char *arch);

/* What a binfmt_misc directory has for an architecture. */
struct binfmt_state {
	char *name;        /* an enabled handler that matches its executables, or NULL */
	char *interpreter; /* its interpreter */
	bool fix_binary;   /* its F flag */
	bool ours;         /* it is berth's (berth-ARCH) */
	bool disabled;     /* binfmt_misc as a whole is (status: disabled) */
};
/* Scan dir (/proc/sys/fs/binfmt_misc or a copy of its files) for the enabled handlers that
 * match a's executables (ELF, ET_EXEC and ET_DYN). One without F is reported before one with
 * it: the kernel takes the newest that matches, which the directory does not tell. */
void binfmt_scan(const char *dir, const struct binfmt_arch *a, struct binfmt_state *st);
void binfmt_state_free(struct binfmt_state *st);

#endif
