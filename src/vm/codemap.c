/* SPDX-License-Identifier: MIT */
/* The shared map of RAM pages that hold translated code (codemap.h). */
#include "codemap.h"

#include <stdlib.h>

struct code_map *code_map_new(uint8_t *ram, uint64_t ram_size)
{
	struct code_map *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->ram = ram;
	m->ram_size = ram_size;
	m->has_code = calloc((ram_size >> 12) + 1, 1);
	m->gen = calloc((ram_size >> 12) + 1, sizeof(uint32_t));
	if (m->has_code == NULL || m->gen == NULL) {
		code_map_free(m);
		return NULL;
	}
	return m;
}

void code_map_free(struct code_map *m)
{
	if (m == NULL)
		return;
	free(m->has_code);
	free(m->gen);
	free(m);
}

void code_map_written(struct code_map *m, const void *p, size_t len)
{
	uintptr_t host = (uintptr_t)p, ram = (uintptr_t)(m != NULL ? m->ram : NULL);

	if (m == NULL || len == 0 || host < ram || host - ram >= m->ram_size)
		return;
	uint64_t first = (host - ram) >> 12, last = (host - ram + len - 1) >> 12;
	if (last > (m->ram_size - 1) >> 12)
		last = (m->ram_size - 1) >> 12;
	code_map_pages_written(m->has_code, m->gen, &m->epoch, first, last);
}

void code_map_pages_written(uint8_t *has_code, uint32_t *gen, uint32_t *epoch, uint64_t first,
                            uint64_t last)
{
	/* the data is in place before the generation moves (a hart that sees the new
	 * generation compares its copy with the new bytes) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (uint64_t pg = first; pg <= last; pg++)
		if (__atomic_load_n(&has_code[pg], __ATOMIC_RELAXED)) {
			__atomic_store_n(&has_code[pg], 0, __ATOMIC_RELAXED);
			__atomic_fetch_add(&gen[pg], 1, __ATOMIC_SEQ_CST);
			__atomic_fetch_add(epoch, 1, __ATOMIC_SEQ_CST);
		}
}
