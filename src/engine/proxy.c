/* SPDX-License-Identifier: MIT */
/* The userland proxy of published TCP ports for the host's IPv6 loopback.
 *
 * A connection to [::1]:PORT cannot be redirected into a container by the firewall: the kernel
 * has no route_localnet for IPv6 and drops a packet from ::1 that would leave the host. So,
 * as Docker's docker-proxy does, a process of the monitor's own listens on the host port's
 * reserved socket (bound to ::1, or to the wildcard, where every other connection is DNATed
 * before it reaches the socket) and relays each connection to the container's address: one
 * forked relay per connection, which dies with the proxy (PR_SET_PDEATHSIG), as the proxy dies
 * with the monitor. The monitor ends it when the container ends (proxy_stop). */
#include "network.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#include <linux/close_range.h>
#endif

/* Close every fd from 3 up but keep[n] (sorted or not). */
static void proxy_close_others(const int *keep, size_t n)
{
	unsigned lo = 3;

	for (;;) {
		unsigned next = ~0u;
		for (size_t i = 0; i < n; i++)
			if (keep[i] >= (int)lo && (unsigned)keep[i] < next)
				next = (unsigned)keep[i];
		if (next == ~0u) {
			close_range(lo, ~0u, 0);
			return;
		}
		if (next > lo)
			close_range(lo, next - 1, 0);
		lo = next + 1;
	}
}

/* Copy both ways between a and b until both have ended. */
static void proxy_relay(int a, int b)
{
	char buf[65536];
	bool open_a = true, open_b = true; /* a (b) may still send */

	while (open_a || open_b) {
		struct pollfd p[2] = {{a, open_a ? POLLIN : 0, 0}, {b, open_b ? POLLIN : 0, 0}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (int k = 0; k < 2; k++) {
			int from = k ? b : a, to = k ? a : b;
			bool *open_ = k ? &open_b : &open_a;
			ssize_t r;
			if (!*open_ || !(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(from, buf, sizeof(buf));
			if (r <= 0) {
				*open_ = false;
				shutdown(to, SHUT_WR);
				if (r < 0)
					return;
				continue;
			}
			if (util_write_all(to, buf, (size_t)r) < 0)
				return;
		}
	}
}

static void proxy_conn(int c, const struct proxy_port *p)
{
	int s = socket(p->dst.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0 || connect(s, (const struct sockaddr *)&p->dst, p->dst_len) < 0)
		_exit(1);
	proxy_relay(c, s);
	_exit(0);
}

static _Noreturn void proxy_main(const struct proxy_port *ports, size_t n)
{
	struct pollfd *pf = calloc(n, sizeof(*pf));
	struct sigaction sa = {.sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT};
	sigset_t none;
	int nul = open("/dev/null", O_RDWR);

	if (pf == NULL || nul < 0)
		_exit(1);
	/* nothing of the monitor's: its terminal, its pipes, its locks */
	dup2(nul, 0);
	dup2(nul, 1);
	dup2(nul, 2);
	{
		int *keep = calloc(n, sizeof(int));
		if (keep == NULL)
			_exit(1);
		for (size_t i = 0; i < n; i++)
			keep[i] = ports[i].fd;
		proxy_close_others(keep, n);
		free(keep);
	}
	sigaction(SIGCHLD, &sa, NULL); /* relays are reaped by the kernel */
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (size_t i = 0; i < n; i++) {
		pf[i].fd = ports[i].fd;
		pf[i].events = POLLIN;
	}
	for (;;) {
		if (poll(pf, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		for (size_t i = 0; i < n; i++) {
			int c;
			pid_t pid;
			if (!(pf[i].revents & POLLIN))
				continue;
			c = accept4(pf[i].fd, NULL, NULL, SOCK_CLOEXEC);
			if (c < 0)
				continue;
			pid = fork();
			if (pid == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
				for (size_t k = 0; k < n; k++)
					close(pf[k].fd);
				proxy_conn(c, &ports[i]);
			}
			close(c);
		}
	}
}

int proxy_start(const struct proxy_port *ports, size_t n, pid_t *pid, berth_error_t *err)
{
	pid_t self = getpid();

	*pid = 0;
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (listen(ports[i].fd, 128) < 0)
			return berth_error(err, errno, "listen on a published port");
	*pid = fork();
	if (*pid < 0) {
		*pid = 0;
		return berth_error(err, errno, "fork the port proxy");
	}
	if (*pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != self)
			_exit(0);
		proxy_main(ports, n);
	}
	return 0;
}

void proxy_stop(pid_t pid)
{
	/* not when it is reaped already (by the monitor's wait for any child): its pid may be
	 * another process's by now */
	if (pid <= 0 || waitpid(pid, NULL, WNOHANG) != 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}
