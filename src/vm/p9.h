/* SPDX-License-Identifier: MIT */
/* A 9P2000.L file server for one shared host directory (virtio-9p's back end), as pure
 * request-in / reply-out logic: p9_handle() takes one T-message and writes one R-message.
 * Everything in a request is hostile: sizes, counts and strings are bounded, fids are looked
 * up in a bounded table, and every path the guest names is resolved inside the shared
 * directory with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) from the share's root fd
 * (each fid holds its path inside the share, not an fd of its own, so no `..`, symlink or fid
 * trick reaches a host file outside it). A read-only share answers EROFS to every write. */
#ifndef BERTH_VM_P9_H
#define BERTH_VM_P9_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define P9_MAX_MSIZE (512u * 1024) /* the largest msize we agree to */
#define P9_MIN_MSIZE 4096u
#define P9_MAX_FIDS  4096u /* fids one guest may hold at once */
#define P9_HDR_SIZE  7u    /* size[4] type[1] tag[2] */

struct p9_server;

/* Serve the directory `dir` (which must be a directory). Returns NULL with *err set. */
struct p9_server *p9_server_create(const char *dir, bool ro, berth_error_t *err);
void p9_server_destroy(struct p9_server *s);
/* Forget every fid and the negotiated msize (the device was reset). */
void p9_server_reset(struct p9_server *s);

/* Handle one request req[0..len) and write the reply into out[0..cap). Returns the reply's
 * length (always a whole message: Rlerror when the request is malformed or the reply does
 * not fit), or 0 when not even an Rlerror fits in cap (cap < 11). */
size_t p9_handle(struct p9_server *s, const uint8_t *req, size_t len, uint8_t *out, size_t cap);

#endif
