/* SPDX-License-Identifier: MIT */
#ifndef BERTH_SLIRPIO_H
#define BERTH_SLIRPIO_H

/* What each user of libslirp in berth shares (src/vm/net_slirp.c: a VM's --net user;
 * src/engine/slirpnet.c: a rootless container's network): libslirp loaded on first use (it
 * and glib are not loaded at every start of berth, see dl.h), slirp's callbacks, its timers,
 * and one turn of its poll loop. slirp is not thread-safe: a user with threads holds its own
 * lock around every call here but slirpio_load(). */

#include <poll.h>
#include <slirp/libslirp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLIRPIO_SYMS(X)                                                                            \
	X(slirp_new)                                                                               \
	X(slirp_cleanup)                                                                           \
	X(slirp_input)                                                                             \
	X(slirp_pollfds_fill)                                                                      \
	X(slirp_pollfds_poll)                                                                      \
	X(slirp_handle_timer)                                                                      \
	X(slirp_add_hostfwd)
#define SLIRPIO_FIELD(sym) __typeof__(sym) *sym;
struct slirpio_dl {
	SLIRPIO_SYMS(SLIRPIO_FIELD)
};
#undef SLIRPIO_FIELD
/* libslirp's functions, once slirpio_load() succeeded */
extern struct slirpio_dl slirpio_dl;

struct slirpio_timer;

struct slirpio {
	Slirp *slirp;
	/* the user's: a frame slirp sends toward the guest or container (a full queue may drop
	 * it: TCP retransmits, as slirp expects), and a wake-up of the poll loop when slirp arms
	 * a timer or has news (NULL when the loop runs on slirp's only thread) */
	void (*send)(struct slirpio *io, const void *frame, size_t len);
	void (*wake)(struct slirpio *io);
	struct slirpio_timer *timers;
	struct pollfd *pfd;
	unsigned npfd, cap;
};

/* libslirp loaded (once per process, from any thread): NULL, or what failed (in msg). */
const char *slirpio_load(char *msg, size_t len);
/* slirp made for io with cfg (send and wake set first): 0, or -1. */
int slirpio_start(struct slirpio *io, const SlirpConfig *cfg);

/* One turn of the loop: slirpio_begin() empties the poll set, the user adds its own fds
 * (slirpio_add_fd, index 0 up), slirpio_fill() adds slirp's and returns the poll timeout
 * (ms, timers included); after poll(io->pfd, io->npfd, timeout), slirpio_dispatch() lets
 * slirp read and write its sockets (failed: poll failed) and runs the timers that are due. */
void slirpio_begin(struct slirpio *io);
int slirpio_add_fd(struct slirpio *io, int fd, short events);
int slirpio_fill(struct slirpio *io);
void slirpio_dispatch(struct slirpio *io, bool failed);

/* slirp and everything of io's freed (io itself is the user's). */
void slirpio_free(struct slirpio *io);

#endif
