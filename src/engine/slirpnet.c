/* SPDX-License-Identifier: MIT */
/* Rootless user-mode networking (docs/rootless.md): libslirp in a process of berth's own,
 * as slirp4netns does in a process of its own.
 *
 * A child of the monitor unshares the container's network namespace (inside the user's
 * namespace), brings its loopback up, makes a veth pair there, eth0 (10.0.2.100/24, default
 * route through 10.0.2.2, checksum and segmentation offloads off so that every frame is
 * whole) and slirp0 (no address), opens a packet socket bound to slirp0, binds the namespace
 * on the store's netns/ID, and hands the socket back: it keeps reading and writing slirp0's
 * frames from the host's network namespace. A veth and a packet socket rather than a TAP
 * device: an ordinary user may make both in a namespace of its own, while /dev/net/tun may be
 * root's alone (it is 0600 on this host; slirp4netns and pasta would need it). Another child
 * (forked while the monitor has no thread) loads libslirp, listens on each published host port
 * (a TCP one itself, for the relay below; a UDP one with slirp_add_hostfwd), says "ok" or why
 * not, and then moves frames between the packet socket and slirp in its main thread until the
 * monitor ends it (proxy_stop) or dies (PR_SET_PDEATHSIG). slirp's
 * network is QEMU's: the gateway 10.0.2.2 is the host's loopback, DNS at 10.0.2.3 forwards to the
 * host's resolvers. */
#include "slirpio.h"
#include "firewall.h"
#include "log.h"
#include "rootless.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <net/if.h>
#include <net/ethernet.h>
#include <net/route.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <slirp/libslirp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SN_MAX_LISTEN 64

struct sn {
	struct slirpio io; /* first: the callbacks' io is the sn */
	int tap;
	int netns; /* the container's network namespace: the relays' connections are made there */
	size_t nlisten;
	int listen_fd[SN_MAX_LISTEN]; /* published TCP ports: sockets in the host's namespace */
	uint16_t listen_ctr[SN_MAX_LISTEN];
};

/* ---- the namespace and its veth (a child with no thread of its own) ------------------- */

static int sn_ioctl_addr(int sk, unsigned long req, const char *ifname, const char *addr)
{
	struct ifreq ifr = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin->sin_addr);
	return ioctl(sk, req, &ifr);
}

static int sn_up(int sk, const char *ifname)
{
	struct ifreq ifr = {0};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(sk, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(sk, SIOCSIFFLAGS, &ifr);
}

/* eth0 and its peer slirp0, through rtnetlink (libmnl: no allocation, no thread) */
static int sn_veth(void)
{
	static char buf[8192];
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nlattr *info, *data, *peer;
	int r = -1;

	if (nl == NULL || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "slirp0");
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	{
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		struct nlmsghdr *a = (struct nlmsghdr *)buf;
		if (n < (ssize_t)sizeof(*a) || a->nlmsg_type != NLMSG_ERROR ||
		    ((struct nlmsgerr *)mnl_nlmsg_get_payload(a))->error != 0)
			goto out;
	}
	r = 0;
out:
	if (nl)
		mnl_socket_close(nl);
	return r;
}

/* whole frames on ifname: no checksum or segmentation left to a device that is not there */
static void sn_no_offload(int sk, const char *ifname)
{
	static const unsigned cmds[] = {ETHTOOL_STXCSUM, ETHTOOL_SSG, ETHTOOL_STSO, ETHTOOL_SGSO};

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		struct ethtool_value v = {.cmd = cmds[i], .data = 0};
		struct ifreq ifr = {.ifr_data = (void *)&v};
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		(void)ioctl(sk, SIOCETHTOOL, &ifr);
	}
}

/* the child's work: its status says which step failed */
static int sn_make_ns(const char *path, int sock)
{
	struct rtentry rt = {0};
	struct sockaddr_in *a;
	struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	char one = 'T';
	struct iovec iov = {.iov_base = &one, .iov_len = 1};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	int sk, pk, fd;

	if (unshare(CLONE_NEWNET) < 0)
		return 1;
	sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sk < 0 || sn_up(sk, "lo") < 0)
		return 3;
	if (sn_veth() < 0)
		return 4;
	/* slirp0 carries frames only: no IPv6 of its own */
	fd = open("/proc/sys/net/ipv6/conf/slirp0/disable_ipv6", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "1", 1);
		close(fd);
	}
	sn_no_offload(sk, "eth0");
	sn_no_offload(sk, "slirp0");
	if (sn_ioctl_addr(sk, SIOCSIFADDR, "eth0", "10.0.2.100") < 0 ||
	    sn_ioctl_addr(sk, SIOCSIFNETMASK, "eth0", "255.255.255.0") < 0 ||
	    sn_up(sk, "slirp0") < 0 || sn_up(sk, "eth0") < 0)
		return 5;
	a = (struct sockaddr_in *)&rt.rt_dst;
	a->sin_family = AF_INET;
	a = (struct sockaddr_in *)&rt.rt_genmask;
	a->sin_family = AF_INET;
	a = (struct sockaddr_in *)&rt.rt_gateway;
	a->sin_family = AF_INET;
	inet_pton(AF_INET, "10.0.2.2", &a->sin_addr);
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	if (ioctl(sk, SIOCADDRT, &rt) < 0)
		return 5;
	pk = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	ll.sll_ifindex = (int)if_nametoindex("slirp0");
	if (pk < 0 || ll.sll_ifindex == 0 || bind(pk, (struct sockaddr *)&ll, sizeof(ll)) < 0)
		return 4;
	if (mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
		return 2;
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pk, sizeof(int));
	if (sendmsg(sock, &mh, 0) != 1)
		return 6;
	return 0;
}

static int sn_recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	char one;
	struct iovec iov = {.iov_base = &one, .iov_len = 1};
	struct msghdr mh = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	int fd = -1;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm == NULL || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* ---- slirp's frames (slirpio.h; one thread: no lock) ------------------------------------ */

static void sn_send(struct slirpio *io, const void *frame, size_t len)
{
	struct sn *s = (struct sn *)io;

	/* a full socket buffer drops the frame: TCP retransmits */
	(void)!write(s->tap, frame, len);
}

/* ---- published TCP ports: a relay of sockets, not slirp's packets ----------------------- *
 * As rootlesskit's port driver (Podman's default) does: the slirp process listens on the host
 * port itself, and for each connection a thread enters the container's network namespace
 * (setns is per thread for a network namespace), connects there to 10.0.2.100:CTRPORT, and
 * splices both ways between the two sockets. The bytes never become frames, so the kernel's
 * TCP carries them at the speed of loopback instead of slirp's stack at 1500 bytes a frame.
 * The container sees the connection come from 10.0.2.100 (its own address), not 10.0.2.2.
 * The process never forks after its first thread, so threads are safe here. */

/* a relay's thread needs little stack: not the default 8 MiB each */
#define SN_STACK (256 * 1024)

struct sn_conn {
	int netns;
	uint16_t port;
	int host; /* the accepted connection */
	int ctr;  /* the connection in the container's namespace */
};

struct sn_dir {
	int from, to;
};

/* from -> to until from ends; then to's sending side is shut */
static void *sn_splice(void *arg)
{
	struct sn_dir *d = arg;
	int p[2];

	if (pipe2(p, O_CLOEXEC) == 0) {
		(void)fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
		for (;;) {
			ssize_t n = splice(d->from, NULL, p[1], NULL, 1 << 20, SPLICE_F_MOVE);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			while (n > 0) {
				ssize_t w =
				    splice(p[0], NULL, d->to, NULL, (size_t)n, SPLICE_F_MOVE);
				if (w < 0 && errno == EINTR)
					continue;
				if (w <= 0)
					goto out;
				n -= w;
			}
		}
	out:
		close(p[0]);
		close(p[1]);
	}
	shutdown(d->to, SHUT_WR);
	shutdown(d->from, SHUT_RD);
	return NULL;
}

static void *sn_conn_run(void *arg)
{
	struct sn_conn *c = arg;
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(c->port)};
	struct sn_dir up, down;
	pthread_t t;

	inet_pton(AF_INET, "10.0.2.100", &to.sin_addr);
	if (setns(c->netns, CLONE_NEWNET) == 0 &&
	    (c->ctr = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 &&
	    connect(c->ctr, (struct sockaddr *)&to, sizeof(to)) == 0) {
		int one = 1;
		(void)setsockopt(c->ctr, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		(void)setsockopt(c->host, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		up = (struct sn_dir){c->host, c->ctr};
		down = (struct sn_dir){c->ctr, c->host};
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, SN_STACK);
		if (pthread_create(&t, &a, sn_splice, &down) == 0) {
			sn_splice(&up);
			pthread_join(t, NULL);
		}
		pthread_attr_destroy(&a);
	}
	if (c->ctr >= 0)
		close(c->ctr);
	close(c->host);
	free(c);
	return NULL;
}

/* the connections waiting on listening socket i, each to a thread of its own */
static void sn_accept(struct sn *s, size_t i)
{
	for (;;) {
		int fd = accept4(s->listen_fd[i], NULL, NULL, SOCK_CLOEXEC);
		struct sn_conn *c;
		pthread_attr_t a;
		pthread_t t;

		if (fd < 0)
			return;
		c = xmalloc0(sizeof(*c));
		*c = (struct sn_conn){
		    .netns = s->netns, .port = s->listen_ctr[i], .host = fd, .ctr = -1};
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&a, SN_STACK);
		if (pthread_create(&t, &a, sn_conn_run, c) != 0) {
			close(fd);
			free(c);
		}
		pthread_attr_destroy(&a);
	}
}

/* a published TCP port: listen on it in the host's namespace; 0, or errno */
static int sn_listen(struct sn *s, struct in_addr host, uint16_t port, uint16_t ctr)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = host};
	int one = 1, fd, e;

	if (s->nlisten == SN_MAX_LISTEN)
		return EMFILE;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 128) < 0) {
		e = errno;
		close(fd);
		return e;
	}
	s->listen_fd[s->nlisten] = fd;
	s->listen_ctr[s->nlisten++] = ctr;
	return 0;
}

/* ---- the slirp process ----------------------------------------------------------------- */

static struct in_addr sn_ip4(const char *a)
{
	struct in_addr r;

	inet_pton(AF_INET, a, &r);
	return r;
}

/* Start slirp and listen on the ports; NULL, or what failed (in msg). */
static const char *sn_start(struct sn *s, const struct fw_port *ports, size_t n, char *msg,
                            size_t len)
{
	SlirpConfig sc = {
	    .version = 4,
	    .in_enabled = true,
	    .vnetwork = sn_ip4("10.0.2.0"),
	    .vnetmask = sn_ip4("255.255.255.0"),
	    .vhost = sn_ip4("10.0.2.2"),
	    .vhostname = "berth",
	    .vdhcp_start = sn_ip4("10.0.2.15"),
	    .vnameserver = sn_ip4("10.0.2.3"),
	    .if_mtu = 1500,
	    .if_mru = 1500,
	};
	char failed[200];
	int unpriv = 1024;

	if (slirpio_load(failed, sizeof(failed)) != NULL) {
		snprintf(msg, len, "rootless networking: %.200s (install libslirp0)", failed);
		return msg;
	}
	s->io.send = sn_send;
	if (slirpio_start(&s->io, &sc) < 0)
		return "rootless networking: libslirp did not start";
	{
		/* the first port an ordinary user may listen on (1024 unless changed) */
		char b[16] = {0};
		int fd =
		    open("/proc/sys/net/ipv4/ip_unprivileged_port_start", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (read(fd, b, sizeof(b) - 1) > 0)
				unpriv = atoi(b);
			close(fd);
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct in_addr host = {0};
		if (ports[i].host_port == 0 || ports[i].host_port_end) {
			snprintf(msg, len,
			         "-p …:%u: rootless networking needs one fixed host port "
			         "(HOSTPORT:%u), not one chosen by berth nor a range",
			         ports[i].ctr_port, ports[i].ctr_port);
			return msg;
		}
		if (ports[i].host_port < unpriv) {
			snprintf(
			    msg, len,
			    "-p %u:%u: host port %u is privileged (below "
			    "net.ipv4.ip_unprivileged_port_start, %d): an ordinary user cannot "
			    "publish on it",
			    ports[i].host_port, ports[i].ctr_port, ports[i].host_port, unpriv);
			return msg;
		}
		if (ports[i].host_ip[0] && inet_pton(AF_INET, ports[i].host_ip, &host) != 1) {
			snprintf(
			    msg, len,
			    "-p %s:%u:%u: rootless networking publishes on IPv4 addresses only",
			    ports[i].host_ip, ports[i].host_port, ports[i].ctr_port);
			return msg;
		}
		if (ports[i].proto != IPPROTO_UDP) {
			int e = sn_listen(s, host, ports[i].host_port, ports[i].ctr_port);
			if (e != 0) {
				snprintf(msg, len, "-p %u:%u: cannot listen on host port %u: %s",
				         ports[i].host_port, ports[i].ctr_port, ports[i].host_port,
				         strerror(e));
				return msg;
			}
			continue;
		}
		errno = 0;
		if (slirpio_dl.slirp_add_hostfwd(s->io.slirp, ports[i].proto == IPPROTO_UDP, host,
		                                 ports[i].host_port, sn_ip4("10.0.2.100"),
		                                 ports[i].ctr_port) < 0) {
			snprintf(msg, len, "-p %u:%u: cannot listen on host port %u%s%s",
			         ports[i].host_port, ports[i].ctr_port, ports[i].host_port,
			         errno ? ": "
			               : " (in use, or below net.ipv4.ip_unprivileged_port_start)",
			         errno ? strerror(errno) : "");
			return msg;
		}
	}
	return NULL;
}

__attribute__((noreturn)) static void sn_loop(struct sn *s)
{
	static uint8_t frame[65536];

	for (;;) {
		int timeout, r;

		slirpio_begin(&s->io);
		slirpio_add_fd(&s->io, s->tap, POLLIN);
		for (size_t i = 0; i < s->nlisten; i++)
			slirpio_add_fd(&s->io, s->listen_fd[i], POLLIN);
		timeout = slirpio_fill(&s->io);
		r = poll(s->io.pfd, s->io.npfd, timeout);
		for (size_t i = 0; r > 0 && i < s->nlisten; i++)
			if (s->io.pfd[1 + i].revents & POLLIN)
				sn_accept(s, i);
		if (r > 0 && (s->io.pfd[0].revents & POLLIN)) {
			/* the container -> the world: slirp0's frames, a few at a time */
			for (int k = 0; k < 64; k++) {
				ssize_t n = read(s->tap, frame, sizeof(frame));
				if (n <= 0)
					break;
				slirpio_dl.slirp_input(s->io.slirp, frame, (int)n);
			}
		}
		slirpio_dispatch(&s->io, r < 0 && errno != EINTR);
	}
}

int slirpnet_attach(const char *path, const struct fw_port *ports, size_t n, pid_t *pid,
                    berth_error_t *err)
{
	int sv[2] = {-1, -1}, st[2] = {-1, -1};
	cleanup_close int tap = -1;
	pid_t child;
	int status;
	char buf[512];
	ssize_t got;
	size_t have = 0;

	*pid = 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return berth_error(err, errno, "socketpair");
	child = fork();
	if (child < 0) {
		close(sv[0]);
		close(sv[1]);
		return berth_error(err, errno, "fork");
	}
	if (child == 0)
		_exit(sn_make_ns(path, sv[1]));
	close(sv[1]);
	tap = sn_recv_fd(sv[0]);
	close(sv[0]);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return berth_error(err, errno, "wait for pid %d", (int)child);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || tap < 0) {
		static const char *const what[] = {"",
		                                   "unshare a network namespace for",
		                                   "bind-mount the network namespace on",
		                                   "bring up the loopback of",
		                                   "make the veth pair and packet socket of",
		                                   "set the address and route of eth0 in",
		                                   "pass the packet socket of"};
		int w = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
		return berth_error(err, 0, "rootless networking: %s `%s`",
		                   w > 0 && w < (int)ARRAY_SIZE(what) ? what[w] : "make", path);
	}
	if (pipe2(st, O_CLOEXEC) < 0)
		return berth_error(err, errno, "pipe");
	child = fork();
	if (child < 0) {
		close(st[0]);
		close(st[1]);
		return berth_error(err, errno, "fork");
	}
	if (child == 0) {
		struct sn s = {0};
		const char *why;
		char msg[256];
		int null = open("/dev/null", O_RDWR);
		int nsfd =
		    fcntl(open(path, O_RDONLY | O_CLOEXEC), F_DUPFD_CLOEXEC, 6); /* above 5 */
		/* only the packet socket, the status pipe, the network namespace and /dev/null: the
		 * monitor's pipes close when it wants them closed */
		if (null < 0 || nsfd < 0 || dup2(tap, 3) < 0 || dup2(st[1], 4) < 0 ||
		    dup2(nsfd, 5) < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
		    dup2(null, 2) < 0)
			_exit(1);
		util_close_fds_from(6);
		s.netns = 5;
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		prctl(PR_SET_NAME, "berth-slirp", 0, 0, 0);
		/* a relay's splice to a socket its peer has closed: EPIPE, not the end of the
		 * process */
		signal(SIGPIPE, SIG_IGN);
		s.tap = 3;
		fcntl(s.tap, F_SETFL, O_NONBLOCK);
		why = sn_start(&s, ports, n, msg, sizeof(msg));
		if (why) {
			util_write_all(4, why, strlen(why));
			_exit(1);
		}
		util_write_all(4, "ok", 2);
		close(4);
		sn_loop(&s);
	}
	close(st[1]);
	while (have < sizeof(buf) - 1 &&
	       (got = read(st[0], buf + have, sizeof(buf) - 1 - have)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		have += (size_t)got;
	}
	close(st[0]);
	buf[have] = '\0';
	if (strcmp(buf, "ok") != 0) {
		kill(child, SIGKILL);
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
		return berth_error(err, 0, "%s", have ? buf : "rootless networking: slirp failed");
	}
	*pid = child;
	log_debug("rootless networking: slirp process %d for `%s`", (int)child, path);
	return 0;
}
