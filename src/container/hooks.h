/* SPDX-License-Identifier: MIT */
/* OCI hooks: each one is run with its args and env, the container state on stdin, and
 * killed when it outlives its timeout. */
#ifndef BERTH_HOOKS_H
#define BERTH_HOOKS_H

#include "config.h"
#include "error.h"

/* Run hooks[0..n) in order; the first failure stops the rest and fails with
 * "<kind> hook #<i> `<path>`: <what>". */
int hooks_run(const struct config_hook *hooks, size_t n, const char *kind, const char *state_json,
              berth_error_t *err);

#endif
