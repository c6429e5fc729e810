/* SPDX-License-Identifier: MIT */
/* The host side of a --disk image: opened once per run, locked against other users (as
 * QEMU does, with an OFD lock: a shared one for `ro`, an exclusive one for writing) and
 * refused when it is not raw (qcow2, VMDK, …). */
#ifndef BERTH_VM_DISK_H
#define BERTH_VM_DISK_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>

/* Bytes of the image's start that vm_disk_format() needs */
#define VM_DISK_PROBE_SIZE 512

/* The name of the image format whose magic starts `head` (len bytes, the image's first
 * VM_DISK_PROBE_SIZE or fewer): "qcow", "qcow2", "VMDK", "VDI", "VHDX", "QED", "VHD", or
 * NULL for none of them (used as raw). */
const char *vm_disk_format(const unsigned char *head, size_t len);

/* Open `path` (a regular file or block device) for reading, or reading and writing unless
 * ro, lock it (shared for ro, else exclusive; the lock lasts while the returned open file
 * description does) and check that it is no known non-raw format. Returns the fd (O_CLOEXEC),
 * or -1 with *err set: open/type errors, "in use" when another user holds a conflicting
 * lock, or the format found. */
int vm_disk_open(const char *path, bool ro, berth_error_t *err);

/* --disk FILE,snapshot: the image opened read-only (checked and shared-locked as for ro while
 * it is read) and copied into a temporary, unlinked file (its data extents only, with
 * copy_file_range: a reflink where the file system can) that the guest reads and writes;
 * it goes with the fd. Returns the temporary file's fd, or -1 with *err set. */
int vm_disk_open_snapshot(const char *path, berth_error_t *err);

#endif
