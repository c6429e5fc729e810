/* SPDX-License-Identifier: MIT */
/* Libraries loaded on first use (see dl.h). */
#include "dl.h"

#include <dlfcn.h>
#include <stdio.h>

const char *dl_open(const char *so, const struct dl_sym *syms, size_t n, char *msg, size_t msg_len)
{
	void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		snprintf(msg, msg_len, "cannot load %s: %s", so, dlerror());
		return msg;
	}
	for (size_t i = 0; i < n; i++) {
		*syms[i].ptr = dlsym(h, syms[i].name);
		if (*syms[i].ptr == NULL) {
			snprintf(msg, msg_len, "%s has no `%s`", so, syms[i].name);
			for (size_t j = 0; j < n; j++)
				*syms[j].ptr = NULL;
			dlclose(h);
			return msg;
		}
	}
	return NULL;
}
