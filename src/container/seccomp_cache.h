/* SPDX-License-Identifier: MIT */
/* A cache of compiled seccomp filters, as crun keeps one: libseccomp takes ~11 ms of CPU to
 * compile Docker's default profile (three ABIs, ~400 syscalls), and every container of an
 * engine gets the same one.
 *
 * An entry is ROOT/.cache/seccomp/KEY, where ROOT is the runtime's state root (--root; the
 * engine's runtime directory) and KEY the hex SHA-256 of the profile's JSON (keys sorted),
 * berth's and libseccomp's build ids, libseccomp's version and API level, the optimisation
 * level, the machine and the kernel release. The directory is 0700, the files 0600, both
 * owned by the caller's uid (anything else is not used: a filter another user could write
 * could allow anything); a file has a header (magic, version, key, length, flags, SHA-256 of
 * the instructions), is written under a temporary name and renamed into place, and is checked
 * whole when read: anything wrong is compiled again and rewritten. Only profiles that compile
 * are written, so a bad profile fails `create` with the same error as without the cache. */
#ifndef BERTH_SECCOMP_CACHE_H
#define BERTH_SECCOMP_CACHE_H

#include "config.h"
#include "error.h"
#include "seccomp.h"

#include <jansson.h>

/* seccomp_build() through the cache under root; profile is s as JSON (NULL or root NULL:
 * compile, no cache). */
int seccomp_build_cached(const struct config_seccomp *s, const json_t *profile, const char *root,
                         struct seccomp_program **out, berth_error_t *err);
/* The same for c's linux.seccomp. */
int seccomp_build_for(const struct config *c, const char *root, struct seccomp_program **out,
                      berth_error_t *err);

#endif
