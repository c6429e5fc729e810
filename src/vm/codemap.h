/* SPDX-License-Identifier: MIT */
/* Which guest RAM pages hold translated code, shared by every hart of a machine and the
 * devices: a byte per page ("translations were made from it since the last write") and a
 * generation per page that a write to such a page bumps. A translation remembers its page's
 * generation and is checked against guest memory before it runs again when that changed
 * (src/vm/riscv/jit.c). Every write a hart makes checks the byte: translated stores inline,
 * the interpreter's (stores, FP stores, AMOs, SC: rv_store, rv_amo) and the page walker's
 * A/D updates through rv_code_check (riscv.h). Writes that do not come from a hart (a
 * device's DMA, through virtq_push; the SBI's console_read) call code_map_written(). The
 * interpreter's decoded blocks (exec.c) are marked and checked the same way when the
 * translator runs. */
#ifndef BERTH_VM_CODEMAP_H
#define BERTH_VM_CODEMAP_H

#include <stddef.h>
#include <stdint.h>

struct code_map {
	uint8_t *ram; /* host address of guest RAM */
	uint64_t ram_size;
	uint8_t *has_code; /* a byte per page (one more, for the end) */
	uint32_t *gen;     /* a generation per page */
	/* atomic: bumped with any page's generation and by every hart's fence.i; a
	 * translation made (or checked) in another epoch is checked again before it runs */
	uint32_t epoch;
};

/* NULL (errno set) without memory. */
struct code_map *code_map_new(uint8_t *ram, uint64_t ram_size);
void code_map_free(struct code_map *m);
/* RAM at host [p, p + len) was written (outside translated code): pages that hold
 * translations get a new generation. Anything outside RAM is ignored; m may be NULL. */
void code_map_written(struct code_map *m, const void *p, size_t len);
/* The same for RAM pages [first, last] of the bytes has_code and generations gen of a map
 * (a machine's, or a hart's own): each page that holds translations loses its byte and
 * gets a new generation, and *epoch moves with it. */
void code_map_pages_written(uint8_t *has_code, uint32_t *gen, uint32_t *epoch, uint64_t first,
                            uint64_t last);

#endif
