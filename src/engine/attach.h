/* SPDX-License-Identifier: MIT */
/* The monitor's side of berth attach (attach.c): a unix socket in the container's directory
 * that streams the output to every client and copies their input to the container's stdin. */
#ifndef BERTH_ENGINE_ATTACH_H
#define BERTH_ENGINE_ATTACH_H

#include "engine.h"

#include <stddef.h>

struct attach_srv;
/* Listen on containers/<id>/attach.sock. NULL and *err on failure. */
struct attach_srv *attach_serve(struct engine *e, const char *id, berth_error_t *err);
/* Start the thread that accepts and reads the clients; attach_hold stops it (the clients
 * stay). The monitor holds it whenever it forks: a fork is safe only with one thread. s may
 * be NULL. */
int attach_start(struct attach_srv *s, berth_error_t *err);
void attach_hold(struct attach_srv *s);
/* Where the clients' input goes: the container's stdin (a pipe, or its terminal's master),
 * or -1 (dropped). */
void attach_set_input(struct attach_srv *s, int fd);
/* Send what stream 1 or 2 wrote to every client, without blocking. s may be NULL. */
void attach_send(struct attach_srv *s, int stream, const char *buf, size_t len);
/* Close the clients (they see the end), stop the thread, remove the socket. s may be NULL. */
void attach_stop(struct attach_srv *s);

#endif
