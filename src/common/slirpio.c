/* SPDX-License-Identifier: MIT */
#include "slirpio.h"
#include "dl.h"
#include "util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct slirpio_dl slirpio_dl;

struct slirpio_timer {
	struct slirpio_timer *next;
	SlirpTimerId id;
	SlirpTimerCb cb; /* timer_new's; NULL for timer_new_opaque's */
	void *cb_opaque;
	int64_t expire_ms; /* -1: not armed */
};

static pthread_once_t slirpio_once = PTHREAD_ONCE_INIT;
static char slirpio_msg[256];
static const char *slirpio_failed;

static void slirpio_load_once(void)
{
#define SLIRPIO_ENTRY(sym) {#sym, (void **)&slirpio_dl.sym},
	static const struct dl_sym syms[] = {SLIRPIO_SYMS(SLIRPIO_ENTRY)};
#undef SLIRPIO_ENTRY

	slirpio_failed =
	    dl_open("libslirp.so.0", syms, ARRAY_SIZE(syms), slirpio_msg, sizeof(slirpio_msg));
}

const char *slirpio_load(char *msg, size_t len)
{
	pthread_once(&slirpio_once, slirpio_load_once);
	if (slirpio_failed == NULL)
		return NULL;
	snprintf(msg, len, "%s", slirpio_failed);
	return msg;
}

static int64_t slirpio_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- slirp's callbacks ------------------------------------------------------------------- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct slirpio *io = opaque;

	io->send(io, buf, len);
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	(void)msg;
	(void)opaque;
}

static int64_t cb_clock_get_ns(void *opaque)
{
	(void)opaque;
	return slirpio_now_ns();
}

static struct slirpio_timer *timer_add(struct slirpio *io, SlirpTimerId id, SlirpTimerCb cb,
                                       void *cb_opaque)
{
	struct slirpio_timer *t = xmalloc0(sizeof(*t));

	t->id = id;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = io->timers;
	io->timers = t;
	return t;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	return timer_add(opaque, SLIRP_TIMER_NUM, cb, cb_opaque);
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	return timer_add(opaque, id, NULL, cb_opaque);
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct slirpio *io = opaque;

	for (struct slirpio_timer **p = &io->timers; *p != NULL; p = &(*p)->next) {
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
	}
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirpio *io = opaque;

	((struct slirpio_timer *)timer)->expire_ms = expire_ms;
	if (io->wake)
		io->wake(io);
}

static void cb_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void cb_notify(void *opaque)
{
	struct slirpio *io = opaque;

	if (io->wake)
		io->wake(io);
}

static const SlirpCb slirpio_callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_poll_fd,
    .unregister_poll_fd = cb_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

static int cb_add_poll(int fd, int events, void *opaque)
{
	short ev = 0;

	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	return slirpio_add_fd(opaque, fd, ev);
}

static int cb_get_revents(int idx, void *opaque)
{
	struct slirpio *io = opaque;
	short re;
	int r = 0;

	if (idx < 0 || (unsigned)idx >= io->npfd)
		return 0;
	re = io->pfd[idx].revents;
	if (re & POLLIN)
		r |= SLIRP_POLL_IN;
	if (re & POLLOUT)
		r |= SLIRP_POLL_OUT;
	if (re & POLLPRI)
		r |= SLIRP_POLL_PRI;
	if (re & POLLERR)
		r |= SLIRP_POLL_ERR;
	if (re & POLLHUP)
		r |= SLIRP_POLL_HUP;
	return r;
}

/* ---- the loop ---------------------------------------------------------------------------- */

int slirpio_start(struct slirpio *io, const SlirpConfig *cfg)
{
	io->slirp = slirpio_dl.slirp_new(cfg, &slirpio_callbacks, io);
	return io->slirp != NULL ? 0 : -1;
}

void slirpio_begin(struct slirpio *io)
{
	io->npfd = 0;
}

int slirpio_add_fd(struct slirpio *io, int fd, short events)
{
	if (io->npfd == io->cap) {
		io->cap = io->cap ? 2 * io->cap : 16;
		io->pfd = xrealloc(io->pfd, io->cap * sizeof(*io->pfd));
	}
	io->pfd[io->npfd] = (struct pollfd){.fd = fd, .events = events};
	return (int)io->npfd++;
}

int slirpio_fill(struct slirpio *io)
{
	uint32_t timeout = 1000;
	int64_t now_ms = slirpio_now_ns() / 1000000;

	slirpio_dl.slirp_pollfds_fill(io->slirp, &timeout, cb_add_poll, io);
	for (struct slirpio_timer *t = io->timers; t != NULL; t = t->next) {
		int64_t left;
		if (t->expire_ms < 0)
			continue;
		left = t->expire_ms - now_ms;
		if (left < 0)
			left = 0;
		if ((uint64_t)left < timeout)
			timeout = (uint32_t)left;
	}
	return (int)timeout;
}

void slirpio_dispatch(struct slirpio *io, bool failed)
{
	int64_t now_ms;

	slirpio_dl.slirp_pollfds_poll(io->slirp, failed, cb_get_revents, io);
	now_ms = slirpio_now_ns() / 1000000;
	for (bool again = true; again;) {
		/* a timer callback may free or arm timers: start over after each */
		again = false;
		for (struct slirpio_timer *t = io->timers; t != NULL; t = t->next) {
			if (t->expire_ms < 0 || t->expire_ms > now_ms)
				continue;
			t->expire_ms = -1;
			if (t->cb != NULL)
				t->cb(t->cb_opaque);
			else
				slirpio_dl.slirp_handle_timer(io->slirp, t->id, t->cb_opaque);
			again = true;
			break;
		}
	}
}

void slirpio_free(struct slirpio *io)
{
	if (io->slirp != NULL)
		slirpio_dl.slirp_cleanup(io->slirp);
	io->slirp = NULL;
	while (io->timers != NULL) {
		struct slirpio_timer *t = io->timers;
		io->timers = t->next;
		free(t);
	}
	free(io->pfd);
	io->pfd = NULL;
	io->npfd = io->cap = 0;
}
