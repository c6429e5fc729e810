/* SPDX-License-Identifier: MIT */
/* --net user: user-mode networking through libslirp, as QEMU's `-netdev user`. The guest's
 * network is 10.0.2.0/24: the gateway 10.0.2.2 (the host's loopback behind it), DNS at
 * 10.0.2.3 (forwarded to the host's resolvers), DHCP from 10.0.2.15; IPv6 fec0::/64. Guest
 * TCP and UDP leave through ordinary host sockets; hostfwd= listens on the host.
 *
 * slirp is not thread-safe: every call into it holds s->lock. The back end's thread polls
 * slirp's sockets, runs its timers and feeds slirp what the guest sent: the card's send() on
 * the hart only queues a copy of the frame (waking the thread when the queue was empty), so
 * the guest runs on while slirp's TCP writes to the host's sockets on the other thread, as
 * QEMU's main loop does for its vCPUs; the guest's TCP then also sees its ACKs a little later
 * and merges small writes (Nagle) as it does on QEMU. A full queue is emptied on the hart,
 * in order, before the new frame goes in.
 */
#include "net.h"
#include "slirpio.h"
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

/* Frames from the guest waiting for the thread; a full queue is emptied on the hart */
#define SLIRP_TXQ_MAX 256

struct slirp_be {
	struct net_backend be;
	pthread_mutex_t lock; /* held around every call into slirp */
	/* guest -> slirp: taken out (and fed to slirp) only with lock held, so in order; txlock
	 * (innermost) guards the ring */
	pthread_mutex_t txlock;
	struct net_frame *txq[SLIRP_TXQ_MAX];
	unsigned txhead, txcount;
	atomic_bool taken; /* frames were fed to slirp: the thread calls net_backend_sent() */
	struct slirpio io;
	int wake_fd;
	atomic_bool stop;
	pthread_t thread;
	bool thread_running;
};

static void slirp_wake(struct slirpio *io)
{
	struct slirp_be *s = (struct slirp_be *)((char *)io - offsetof(struct slirp_be, io));
	uint64_t one = 1;

	(void)!write(s->wake_fd, &one, sizeof(one));
}

static void slirp_deliver(struct slirpio *io, const void *frame, size_t len)
{
	struct slirp_be *s = (struct slirp_be *)((char *)io - offsetof(struct slirp_be, io));

	net_backend_deliver(&s->be, frame, len);
}

/* Feed slirp the frames the guest sent, oldest first (s->lock held). */
static void slirp_input_queued(struct slirp_be *s)
{
	for (;;) {
		struct net_frame *f = NULL;

		pthread_mutex_lock(&s->txlock);
		if (s->txcount > 0) {
			f = s->txq[s->txhead];
			s->txq[s->txhead] = NULL;
			s->txhead = (s->txhead + 1) % SLIRP_TXQ_MAX;
			s->txcount--;
		}
		pthread_mutex_unlock(&s->txlock);
		if (f == NULL)
			return;
		slirpio_dl.slirp_input(s->io.slirp, f->data, (int)f->len);
		free(f);
		atomic_store(&s->taken, true);
	}
}

/* --- the thread ------------------------------------------------------------------------- */

static void *slirp_thread(void *arg)
{
	struct slirp_be *s = arg;

	while (!atomic_load(&s->stop)) {
		int timeout, r;

		pthread_mutex_lock(&s->lock);
		slirpio_begin(&s->io);
		slirpio_add_fd(&s->io, s->wake_fd, POLLIN);
		timeout = slirpio_fill(&s->io);
		pthread_mutex_unlock(&s->lock);

		r = poll(s->io.pfd, s->io.npfd, timeout);
		if (s->io.pfd[0].revents & POLLIN) {
			uint64_t v;
			(void)!read(s->wake_fd, &v, sizeof(v));
		}

		pthread_mutex_lock(&s->lock);
		slirp_input_queued(s);
		slirpio_dispatch(&s->io, r < 0 && errno != EINTR);
		pthread_mutex_unlock(&s->lock);
		if (atomic_exchange(&s->taken, false))
			net_backend_sent(&s->be);
		else
			net_backend_kick(&s->be);
	}
	return NULL;
}

/* --- the back end ----------------------------------------------------------------------- */

static void slirp_send(struct net_backend *be, const uint8_t *frame, size_t len)
{
	struct slirp_be *s = (struct slirp_be *)be;
	struct net_frame *f;
	bool was_empty;

	if (len == 0 || len > NET_FRAME_MAX)
		return;
	f = xrealloc(NULL, sizeof(*f) + len);
	f->len = len;
	memcpy(f->data, frame, len);
	pthread_mutex_lock(&s->txlock);
	if (s->txcount >= SLIRP_TXQ_MAX) {
		/* the thread is behind: empty the queue here, in order, then this frame */
		pthread_mutex_unlock(&s->txlock);
		pthread_mutex_lock(&s->lock);
		slirp_input_queued(s);
		slirpio_dl.slirp_input(s->io.slirp, f->data, (int)f->len);
		atomic_store(&s->taken, true);
		pthread_mutex_unlock(&s->lock);
		free(f);
		slirp_wake(&s->io); /* new sockets to watch; net_backend_sent() from the thread */
		return;
	}
	s->txq[(s->txhead + s->txcount) % SLIRP_TXQ_MAX] = f;
	was_empty = s->txcount++ == 0;
	pthread_mutex_unlock(&s->txlock);
	/* the thread empties the whole queue once woken */
	if (was_empty)
		slirp_wake(&s->io);
}

static void slirp_be_destroy(struct net_backend *be)
{
	struct slirp_be *s = (struct slirp_be *)be;

	if (s->thread_running) {
		atomic_store(&s->stop, true);
		slirp_wake(&s->io);
		pthread_join(s->thread, NULL);
	}
	slirpio_free(&s->io);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	while (s->txcount > 0) {
		free(s->txq[s->txhead]);
		s->txhead = (s->txhead + 1) % SLIRP_TXQ_MAX;
		s->txcount--;
	}
	pthread_mutex_destroy(&s->txlock);
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
	char msg[256];
	int r;

	if (slirpio_load(msg, sizeof(msg)) != NULL)
		return berth_error(err, 0, "--net user: %s (install libslirp0)", msg);
	s = xmalloc0(sizeof(*s));
	s->io.send = slirp_deliver;
	s->io.wake = slirp_wake;
	net_backend_init(&s->be, &slirp_ops);
	vm_net_mac(index, false, s->be.mac);
	s->be.large_tcp = true;
	s->be.async_send = true;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->txlock, NULL);
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd < 0) {
		berth_error(err, errno, "--net user: eventfd");
		goto fail;
	}
	if (slirpio_start(&s->io, &sc) < 0) {
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
		if (slirpio_dl.slirp_add_hostfwd(
		        s->io.slirp, f->udp, (struct in_addr){f->host_addr}, f->host_port,
		        (struct in_addr){f->guest_addr}, f->guest_port) < 0) {
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
