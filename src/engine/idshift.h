/* SPDX-License-Identifier: MIT */
#ifndef BERTH_IDSHIFT_H
#define BERTH_IDSHIFT_H
#include "error.h"

#include <stdint.h>

/* The namespace id that a --userns=keep-id container whose own uid is `own` sees as id. */
uint32_t idshift_keep_id(uint32_t id, uint32_t own);

/* Copy the tree src to dst (unless dst is there) with each owner shifted by idshift_keep_id
 * (uid by uid, gid by gid); made under dst.tmp-PID and renamed, removed on failure. */
int idshift_copy(const char *src, const char *dst, uint32_t uid, uint32_t gid, berth_error_t *err);
#endif
