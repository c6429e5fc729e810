/* SPDX-License-Identifier: MIT */
/* --net user: user-mode networking through libslirp, as QEMU's `-netdev user`. The guest's
 * network is 10.0.2.0/24: the gateway 10.0.2.2 (the host's loopback behind it), DNS at
 * 10.0.2.3 (forwarded to the host's resolvers), DHCP from 10.0.2.15; IPv6 fec0::/64. Guest
 * TCP and UDP leave through ordinary host sockets; hostfwd= listens on the host.
 *
 * slirp is not thread-safe: every call into it holds s->lock. The back end's thread polls
 * slirp's sockets and runs its timers; the card calls dl_slirp.slirp_input() on the hart that sent.
 */
#include "dl.h"
#include "net.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <slirp/libslirp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* libslirp (and glib, which it links) is loaded when a VM first asks for user networking,
 * not at every start of berth (see src/common/dl.h). */
#define SLIRP_SYMS(X)                                                                              \
	X(slirp_new)                                                                               \
	X(slirp_cleanup)                                                                           \
	X(slirp_input)                                                                             \
	X(slirp_pollfds_fill)                                                                      \
	X(slirp_pollfds_poll)                                                                      \
	X(slirp_handle_timer)                                                                      \
	X(slirp_add_hostfwd)
#define SLIRP_FIELD(sym) __typeof__(sym) *sym;
static struct {
	SLIRP_SYMS(SLIRP_FIELD)
} dl_slirp;
#undef SLIRP_FIELD

static pthread_once_t slirp_once = PTHREAD_ONCE_INIT;
static char slirp_msg[256];
static const char *slirp_failed;

static void slirp_load_once(void)
{
#define SLIRP_ENTRY(sym) {#sym, (void **)&dl_slirp.sym},
	static const struct dl_sym syms[] = {SLIRP_SYMS(SLIRP_ENTRY)};
#undef SLIRP_ENTRY

	slirp_failed = dl_open("libslirp.so.0", syms, sizeof(syms) / sizeof(syms[0]), slirp_msg,
	                       sizeof(slirp_msg));
}

struct slirp_timer {
	struct slirp_timer *next;
	SlirpTimerId id;
	SlirpTimerCb cb; /* timer_new's; NULL for timer_new_opaque's */
	void *cb_opaque;
	int64_t expire_ms; /* -1: not armed */
};

struct slirp_be {
	struct net_backend be;
	pthread_mutex_t lock;
	Slirp *slirp;
	struct slirp_timer *timers;
	int wake_fd;
	atomic_bool stop;
	pthread_t thread;
	bool thread_running;
	struct pollfd *pfd;
	unsigned npfd, cap;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void slirp_wake(struct slirp_be *s)
{
	uint64_t one = 1;

	(void)!write(s->wake_fd, &one, sizeof(one));
}

/* --- slirp's callbacks (s->lock held) ------------------------------------------------- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct slirp_be *s = opaque;

	/* a full queue drops the frame: TCP retransmits, as slirp expects */
	net_backend_deliver(&s->be, buf, len);
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
	return now_ns();
}

static struct slirp_timer *timer_add(struct slirp_be *s, SlirpTimerId id, SlirpTimerCb cb,
                                     void *cb_opaque)
{
	struct slirp_timer *t = xmalloc0(sizeof(*t));

	t->id = id;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = s->timers;
	s->timers = t;
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
	struct slirp_be *s = opaque;

	for (struct slirp_timer **p = &s->timers; *p != NULL; p = &(*p)->next) {
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
	}
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirp_timer *t = timer;

	t->expire_ms = expire_ms;
	slirp_wake(opaque);
}

static void cb_register_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void cb_notify(void *opaque)
{
	slirp_wake(opaque);
}

static const SlirpCb slirp_callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_unregister_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

static int cb_add_poll(int fd, int events, void *opaque)
{
	struct slirp_be *s = opaque;
	short ev = 0;

	if (s->npfd == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->pfd = xrealloc(s->pfd, s->cap * sizeof(*s->pfd));
	}
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	s->pfd[s->npfd] = (struct pollfd){.fd = fd, .events = ev};
	return (int)s->npfd++;
}

static int cb_get_revents(int idx, void *opaque)
{
	struct slirp_be *s = opaque;
	short re;
	int r = 0;

	if (idx < 0 || (unsigned)idx >= s->npfd)
		return 0;
	re = s->pfd[idx].revents;
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

/* --- the thread ------------------------------------------------------------------------- */

static void *slirp_thread(void *arg)
{
	struct slirp_be *s = arg;

	while (!atomic_load(&s->stop)) {
		uint32_t timeout = 1000;
		int64_t now_ms = now_ns() / 1000000;
		int r;

		pthread_mutex_lock(&s->lock);
		s->npfd = 0;
		cb_add_poll(s->wake_fd, SLIRP_POLL_IN, s);
		dl_slirp.slirp_pollfds_fill(s->slirp, &timeout, cb_add_poll, s);
		for (struct slirp_timer *t = s->timers; t != NULL; t = t->next) {
			if (t->expire_ms < 0)
				continue;
			int64_t left = t->expire_ms - now_ms;
			if (left < 0)
				left = 0;
			if ((uint64_t)left < timeout)
				timeout = (uint32_t)left;
		}
		pthread_mutex_unlock(&s->lock);

		r = poll(s->pfd, s->npfd, (int)timeout);
		if (s->pfd[0].revents & POLLIN) {
			uint64_t v;
			(void)!read(s->wake_fd, &v, sizeof(v));
		}

		pthread_mutex_lock(&s->lock);
		dl_slirp.slirp_pollfds_poll(s->slirp, r < 0 && errno != EINTR, cb_get_revents, s);
		now_ms = now_ns() / 1000000;
		for (bool again = true; again;) {
			/* a timer callback may free or arm timers: start over after each */
			again = false;
			for (struct slirp_timer *t = s->timers; t != NULL; t = t->next) {
				if (t->expire_ms < 0 || t->expire_ms > now_ms)
					continue;
				t->expire_ms = -1;
				if (t->cb != NULL)
					t->cb(t->cb_opaque);
				else
					dl_slirp.slirp_handle_timer(s->slirp, t->id, t->cb_opaque);
				again = true;
				break;
			}
		}
		pthread_mutex_unlock(&s->lock);
		net_backend_kick(&s->be);
	}
	return NULL;
}

/* --- the back end ----------------------------------------------------------------------- */

static void slirp_send(struct net_backend *be, const uint8_t *frame, size_t len)
{
	struct slirp_be *s = (struct slirp_be *)be;

	pthread_mutex_lock(&s->lock);
	dl_slirp.slirp_input(s->slirp, frame, (int)len);
	pthread_mutex_unlock(&s->lock);
	/* slirp may have new sockets to watch */
	slirp_wake(s);
}

static void slirp_be_destroy(struct net_backend *be)
{
	struct slirp_be *s = (struct slirp_be *)be;

	if (s->thread_running) {
		atomic_store(&s->stop, true);
		slirp_wake(s);
		pthread_join(s->thread, NULL);
	}
	if (s->slirp != NULL)
		dl_slirp.slirp_cleanup(s->slirp);
	while (s->timers != NULL) {
		struct slirp_timer *t = s->timers;
		s->timers = t->next;
		free(t);
	}
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	free(s->pfd);
	pthread_mutex_destroy(&s->lock);
	net_backend_fini(&s->be);
	free(s);
}

static const struct net_backend_ops slirp_ops = {
    .send = slirp_send,
    .destroy = slirp_be_destroy,
};

static struct in_addr ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static struct in6_addr ip6(const char *s)
{
	struct in6_addr a;

	inet_pton(AF_INET6, s, &a);
	return a;
}

int net_slirp_open(const struct vm_net *cfg, unsigned index, struct net_backend **out,
                   berth_error_t *err)
{
	struct slirp_be *s;
	SlirpConfig sc = {
	    .version = 4,
	    .in_enabled = true,
	    .vnetwork = ip4("10.0.2.0"),
	    .vnetmask = ip4("255.255.255.0"),
	    .vhost = ip4("10.0.2.2"),
	    .in6_enabled = true,
	    .vprefix_addr6 = ip6("fec0::"),
	    .vprefix_len = 64,
	    .vhost6 = ip6("fec0::2"),
	    .vhostname = "berth",
	    .vdhcp_start = ip4("10.0.2.15"),
	    .vnameserver = ip4("10.0.2.3"),
	    .vnameserver6 = ip6("fec0::3"),
	    .if_mtu = 1500,
	    .if_mru = 1500,
	};
	int r;

	pthread_once(&slirp_once, slirp_load_once);
	if (slirp_failed)
		return berth_error(err, 0, "--net user: %s (install libslirp0)", slirp_failed);
	s = xmalloc0(sizeof(*s));
	net_backend_init(&s->be, &slirp_ops);
	vm_net_mac(index, false, s->be.mac);
	s->be.large_tcp = true;
	pthread_mutex_init(&s->lock, NULL);
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd < 0) {
		berth_error(err, errno, "--net user: eventfd");
		goto fail;
	}
	s->slirp = dl_slirp.slirp_new(&sc, &slirp_callbacks, s);
	if (s->slirp == NULL) {
		berth_error(err, 0, "--net user: cannot start libslirp");
		goto fail;
	}
	for (unsigned i = 0; i < cfg->nfwd; i++) {
		const struct vm_hostfwd *f = &cfg->fwd[i];
		char host[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &f->host_addr, host, sizeof(host));
		if (f->guest_addr != 0 && (ntohl(f->guest_addr) & 0xffffff00u) !=
		                              (ntohl(sc.vnetwork.s_addr) & 0xffffff00u)) {
			char guest[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &f->guest_addr, guest, sizeof(guest));
			berth_error(
			    err, 0,
			    "--net: hostfwd=%s:%s:%u-%s:%u: the guest address must be in the "
			    "guest's network 10.0.2.0/24",
			    f->udp ? "udp" : "tcp", f->host_addr ? host : "", f->host_port, guest,
			    f->guest_port);
			goto fail;
		}
		errno = 0;
		if (dl_slirp.slirp_add_hostfwd(s->slirp, f->udp, (struct in_addr){f->host_addr},
		                               f->host_port, (struct in_addr){f->guest_addr},
		                               f->guest_port) < 0) {
			berth_error(err, errno,
			            "--net: hostfwd=%s:%s:%u-:%u: cannot listen on %s port %u",
			            f->udp ? "udp" : "tcp", f->host_addr ? host : "", f->host_port,
			            f->guest_port, f->udp ? "UDP" : "TCP", f->host_port);
			goto fail;
		}
	}
	r = pthread_create(&s->thread, NULL, slirp_thread, s);
	if (r != 0) {
		berth_error(err, r, "--net user: cannot start its thread");
		goto fail;
	}
	s->thread_running = true;
	*out = &s->be;
	return 0;
fail:
	slirp_be_destroy(&s->be);
	return -1;
}
