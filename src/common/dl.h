/* SPDX-License-Identifier: MIT */
#ifndef BERTH_DL_H
#define BERTH_DL_H

/* A shared library loaded when first needed instead of linked at start (see
 * src/engine/dlib.h for why): dl_open() fills a table of function pointers, each named
 * and typed as in the library's own header. */

#include <stddef.h>

struct dl_sym {
	const char *name;
	void **ptr;
};

/* so dlopen'ed with every symbol of syms[0..n) resolved: NULL; or what failed, written to
 * msg (and no symbol kept). The library stays loaded for the life of the process. */
const char *dl_open(const char *so, const struct dl_sym *syms, size_t n, char *msg, size_t msg_len);

#endif
