/* SPDX-License-Identifier: MIT */
/* The records of a snapshot's state file (docs/vm.md, "Snapshot and restore"): a sequence of
 * tag[4] | instance u32 | length u32 | payload, little-endian, no padding. The writer appends;
 * the reader checks that every record lies inside the buffer and has a known tag, and each
 * get() checks the length the loader expects. The file's header and SHA-256 are the engine's
 * (src/engine/vmsnap.c); this part is pure and unit-tested (test_vm_snapstate). */
#ifndef BERTH_VM_SNAPSTATE_H
#define BERTH_VM_SNAPSTATE_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

/* The tags the reader accepts. */
#define VM_SNAP_TAGS "META", "MACH", "DISK", "HART", "PLIC", "CLNT", "UART", "RTC ", "VMIO"

struct vm_snap_writer {
	uint8_t *buf;
	size_t len, cap;
};

struct vm_snap_record {
	char tag[4];
	uint32_t inst, len;
	const uint8_t *data;
};

struct vm_snap_reader {
	struct vm_snap_record *recs;
	size_t n;
};

/* Append one record (tag: 4 characters). */
void vm_snap_put(struct vm_snap_writer *w, const char *tag, uint32_t inst, const void *data,
                 size_t len);
void vm_snap_writer_free(struct vm_snap_writer *w);

/* Split buf into records: 0, or -1 with *err for a record that runs past the end or has an
 * unknown tag. Each record's payload is copied (malloc'd: aligned for any structure). */
int vm_snap_parse(const uint8_t *buf, size_t len, struct vm_snap_reader *r, berth_error_t *err);
void vm_snap_reader_free(struct vm_snap_reader *r);
/* The payload of record (tag, inst), which must be exactly len bytes (len SIZE_MAX: any
 * length, *got gets it). NULL with *err when it is missing or of another length. */
const void *vm_snap_get(const struct vm_snap_reader *r, const char *tag, uint32_t inst, size_t len,
                        size_t *got, berth_error_t *err);

#endif
