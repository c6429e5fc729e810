/* SPDX-License-Identifier: MIT */
#ifndef BERTH_ENGINE_FILTER_H
#define BERTH_ENGINE_FILTER_H

/* Docker's --filter KEY=VALUE, as ps and images take it (ctrlist.c). */

#include "error.h"

#include <stddef.h>

/* filters[0..nf) split into *keys and *vals (each allocated, nf + 1 entries, freed by
 * filter_free whatever this returns): 0, or -1 with *err naming the filter when one has no
 * KEY= or a key not in known[0..nknown) (expected: the keys, for the message). */
int filter_split(char **filters, size_t nf, const char *const *known, size_t nknown,
                 const char *expected, char ***keys, char ***vals, berth_error_t *err);
void filter_free(char **keys, char **vals, size_t nf);

#endif
