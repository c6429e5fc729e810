/* SPDX-License-Identifier: MIT */
/* --net bridge[=NAME]: a TAP device (/dev/net/tun, IFF_TAP | IFF_NO_PI) attached to a Linux
 * bridge. The device is not persistent: it disappears when its fd is closed, so nothing is
 * left when berth ends, however it ends, nor when opening fails half-way.
 *
 * Frames from the guest are written to the TAP fd on the hart that sent them (a full device
 * queue drops them, as a busy link would). The back end's thread reads the TAP fd while the
 * queue for the guest has room, and waits on space_fd when it has none. */
#include "net.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct tap_be {
	struct net_backend be;
	int fd;
	int wake_fd;
	atomic_bool stop;
	pthread_t thread;
	bool thread_running;
	char ifname[IFNAMSIZ];
	uint8_t buf[NET_FRAME_MAX];
};

static void *tap_thread(void *arg)
{
	struct tap_be *s = arg;

	while (!atomic_load(&s->stop)) {
		bool full = net_backend_full(&s->be);
		struct pollfd p[3] = {
		    {.fd = s->wake_fd, .events = POLLIN},
		    {.fd = s->be.space_fd, .events = POLLIN},
		    {.fd = full ? -1 : s->fd, .events = POLLIN},
		};
		uint64_t v;
		unsigned got = 0;

		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN)
			(void)!read(s->wake_fd, &v, sizeof(v));
		if (p[1].revents & POLLIN)
			(void)!read(s->be.space_fd, &v, sizeof(v));
		if (!(p[2].revents & POLLIN))
			continue;
		/* a batch, then one kick */
		while (got < 64 && !net_backend_full(&s->be)) {
			ssize_t n = read(s->fd, s->buf, sizeof(s->buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			net_backend_deliver(&s->be, s->buf, (size_t)n);
			got++;
		}
		if (got > 0)
			net_backend_kick(&s->be);
	}
	return NULL;
}

static void tap_send(struct net_backend *be, const uint8_t *frame, size_t len)
{
	struct tap_be *s = (struct tap_be *)be;
	ssize_t r;

	do
		r = write(s->fd, frame, len);
	while (r < 0 && errno == EINTR);
	/* EAGAIN (the device's queue is full) or EIO (the link is down): dropped */
}

static void tap_destroy(struct net_backend *be)
{
	struct tap_be *s = (struct tap_be *)be;
	uint64_t one = 1;

	if (s->thread_running) {
		atomic_store(&s->stop, true);
		(void)!write(s->wake_fd, &one, sizeof(one));
		pthread_join(s->thread, NULL);
	}
	if (s->fd >= 0)
		close(s->fd); /* removes the TAP device (it is not persistent) */
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	if (s->be.space_fd >= 0)
		close(s->be.space_fd);
	net_backend_fini(&s->be);
	free(s);
}

static const struct net_backend_ops tap_ops = {
    .send = tap_send,
    .destroy = tap_destroy,
};

int net_tap_open(const struct vm_net *cfg, unsigned index, struct net_backend **out,
                 berth_error_t *err)
{
	const char *br = cfg->bridge != NULL ? cfg->bridge : VM_NET_DEFAULT_BRIDGE;
	cleanup_close int sock = -1;
	struct tap_be *s;
	struct ifreq ifr;
	char path[64];
	struct stat st;
	unsigned idx;
	int r;

	/* the bridge first: a wrong name makes no TAP device at all */
	if (strlen(br) >= IFNAMSIZ || if_nametoindex(br) == 0)
		return berth_error(err, 0, "--net bridge=%s: no network interface `%s`", br, br);
	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", br);
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return berth_error(err, 0, "--net bridge=%s: `%s` is not a Linux bridge", br, br);
	sock = socket(AF_LOCAL, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return berth_error(err, errno, "--net bridge=%s: socket", br);

	s = xmalloc0(sizeof(*s));
	net_backend_init(&s->be, &tap_ops);
	vm_net_mac(index, true, s->be.mac);
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->be.space_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (s->wake_fd < 0 || s->be.space_fd < 0) {
		berth_error(err, errno, "--net bridge=%s: eventfd", br);
		goto fail;
	}
	if (s->fd < 0) {
		berth_error(err, errno, "--net bridge=%s: open `/dev/net/tun`", br);
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "berthtap%%d");
	if (ioctl(s->fd, TUNSETIFF, &ifr) < 0) {
		berth_error(err, errno, "--net bridge=%s: cannot make a TAP device", br);
		goto fail;
	}
	memcpy(s->ifname, ifr.ifr_name, sizeof(s->ifname));
	s->ifname[IFNAMSIZ - 1] = '\0';
	idx = if_nametoindex(s->ifname);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", br);
	ifr.ifr_ifindex = (int)idx;
	if (idx == 0 || ioctl(sock, SIOCBRADDIF, &ifr) < 0) {
		berth_error(err, errno, "--net bridge=%s: cannot attach %s to the bridge", br,
		            s->ifname);
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", s->ifname);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)) {
		berth_error(err, errno, "--net bridge=%s: cannot bring %s up", br, s->ifname);
		goto fail;
	}
	r = pthread_create(&s->thread, NULL, tap_thread, s);
	if (r != 0) {
		berth_error(err, r, "--net bridge=%s: cannot start its thread", br);
		goto fail;
	}
	s->thread_running = true;
	*out = &s->be;
	return 0;
fail:
	tap_destroy(&s->be);
	return -1;
}
