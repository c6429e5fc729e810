/* SPDX-License-Identifier: MIT */
/* Published ports: parsing -p/--publish and reserving the host ports (firewall.h).
 *
 * Syntax, as Docker and Podman take it: [IP:][HOSTPORT:]CTRPORT[/tcp|/udp], where IP is an
 * IPv4 address or an IPv6 address in brackets, and each PORT is a number (1-65535) or a
 * range LO-HI. The forms:
 *   80                one container port, a free host port chosen (port_reserve)
 *   80-90             each of them, a free host port for each
 *   8080:80           host 8080 -> container 80
 *   8000-8010:80-90   pairwise; the two ranges must be as long as each other
 *   8000-8010:80      ONE mapping to container port 80 from the first free host port of
 *                     8000-8010 (Docker's meaning; host_port_end holds the range's end)
 *   IP:8080:80        only on that host address; IP::80 a free port on it
 * 0.0.0.0 and [::] mean every IPv4 / every IPv6 address; with no IP, every address of
 * both families. */
#include "firewall.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PORT_SPEC_MAX 256

/* One PORT or LO-HI into [*lo, *hi]. what names the part for the message. */
static int port_range(const char *spec, const char *s, const char *what, uint16_t *lo, uint16_t *hi,
                      berth_error_t *err)
{
	unsigned long v[2] = {0, 0};
	const char *p = s;

	if (*s == '\0')
		return berth_error(err, 0, "--publish `%s`: missing %s port", spec, what);
	for (int k = 0; k < 2; k++) {
		const char *start = p;
		while (*p >= '0' && *p <= '9') {
			v[k] = v[k] * 10 + (unsigned long)(*p - '0');
			if (v[k] > 99999)
				v[k] = 99999; /* saturate: still "more than 65535" */
			p++;
		}
		if (p == start || (*p != '\0' && (*p != '-' || k == 1)))
			return berth_error(
			    err, 0,
			    "--publish `%s`: %s port `%s` is not a number or a range "
			    "LO-HI",
			    spec, what, s);
		if (v[k] > 65535)
			return berth_error(err, 0,
			                   "--publish `%s`: %s port `%s` is more than 65535", spec,
			                   what, s);
		if (v[k] == 0)
			return berth_error(
			    err, 0, "--publish `%s`: %s port `%s`: 0 is not a port%s", spec, what,
			    s,
			    strcmp(what, "host") == 0 ? " (omit the host port for a free one)"
			                              : "");
		if (*p == '\0') {
			if (k == 0)
				v[1] = v[0];
			break;
		}
		p++; /* '-' */
	}
	if (v[1] < v[0])
		return berth_error(err, 0,
		                   "--publish `%s`: %s port range `%s` ends before it starts", spec,
		                   what, s);
	*lo = (uint16_t)v[0];
	*hi = (uint16_t)v[1];
	return 0;
}

/* The host address part: "" (every address), or an IPv4 / bracketed IPv6 address; sets
 * *family and writes the canonical text to out ("" for 0.0.0.0 and ::). */
static int port_host_ip(const char *spec, const char *ip, bool v6, int *family, char out[46],
                        berth_error_t *err)
{
	unsigned char a[16];

	out[0] = '\0';
	if (!v6) {
		if (inet_pton(AF_INET, ip, a) != 1)
			return berth_error(err, 0,
			                   "--publish `%s`: `%s` is not an IPv4 address (an IPv6 "
			                   "address goes in brackets: [::1]:8080:80)",
			                   spec, ip);
		*family = AF_INET;
		if (memcmp(a, "\0\0\0\0", 4) != 0)
			inet_ntop(AF_INET, a, out, 46);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, a) != 1)
		return berth_error(err, 0, "--publish `%s`: `%s` is not an IPv6 address", spec, ip);
	*family = AF_INET6;
	if (memcmp(a, in6addr_any.s6_addr, 16) != 0)
		inet_ntop(AF_INET6, a, out, 46);
	return 0;
}

int port_parse(const char *spec, struct fw_port **ports, size_t *n, berth_error_t *err)
{
	char buf[PORT_SPEC_MAX];
	char *rest, *slash, *colon, *hostpart = NULL, *ctrpart;
	char host_ip[46] = "";
	int family = AF_UNSPEC, proto = IPPROTO_TCP;
	uint16_t h0 = 0, h1 = 0, c0, c1;
	size_t count;
	struct fw_port *out;

	if (spec == NULL || *spec == '\0')
		return berth_error(err, 0,
		                   "--publish ``: expected [IP:][HOSTPORT:]CTRPORT[/tcp|/udp]");
	if (strlen(spec) >= sizeof(buf))
		return berth_error(err, 0, "--publish `%s`: longer than %d bytes", spec,
		                   PORT_SPEC_MAX - 1);
	strcpy(buf, spec);
	slash = strchr(buf, '/');
	if (slash != NULL) {
		*slash = '\0';
		if (strcmp(slash + 1, "tcp") == 0)
			proto = IPPROTO_TCP;
		else if (strcmp(slash + 1, "udp") == 0)
			proto = IPPROTO_UDP;
		else
			return berth_error(err, 0,
			                   "--publish `%s`: protocol `%s`: expected tcp or udp",
			                   spec, slash + 1);
	}
	rest = buf;
	if (*rest == '[') {
		char *close = strchr(rest, ']');
		if (close == NULL)
			return berth_error(err, 0, "--publish `%s`: `[` without `]`", spec);
		*close = '\0';
		if (close[1] != ':' || strchr(close + 2, ':') == NULL)
			return berth_error(err, 0,
			                   "--publish `%s`: expected [IPV6]:HOSTPORT:CTRPORT or "
			                   "[IPV6]::CTRPORT after the address",
			                   spec);
		if (port_host_ip(spec, rest + 1, true, &family, host_ip, err) < 0)
			return -1;
		rest = close + 2;
	} else {
		size_t colons = 0;
		for (const char *p = rest; *p != '\0'; p++)
			colons += *p == ':';
		if (colons > 2)
			return berth_error(
			    err, 0,
			    "--publish `%s`: too many `:` (an IPv6 host address goes in "
			    "brackets: [::1]:8080:80)",
			    spec);
		if (colons == 2) {
			colon = strchr(rest, ':');
			*colon = '\0';
			if (*rest == '\0')
				return berth_error(err, 0, "--publish `%s`: empty host address",
				                   spec);
			if (port_host_ip(spec, rest, false, &family, host_ip, err) < 0)
				return -1;
			rest = colon + 1;
		}
	}
	/* rest: [HOSTPORT:]CTRPORT, and after an address always HOSTPORT:CTRPORT (HOSTPORT may
	 * be empty) */
	colon = strchr(rest, ':');
	if (colon != NULL) {
		if (strchr(colon + 1, ':') != NULL)
			return berth_error(err, 0, "--publish `%s`: too many `:`", spec);
		*colon = '\0';
		hostpart = rest;
		ctrpart = colon + 1;
		if (*hostpart == '\0' && family == AF_UNSPEC)
			return berth_error(
			    err, 0,
			    "--publish `%s`: empty host port (give CTRPORT alone for a "
			    "free host port)",
			    spec);
	} else {
		ctrpart = rest;
	}
	if (port_range(spec, ctrpart, "container", &c0, &c1, err) < 0)
		return -1;
	if (hostpart != NULL && *hostpart != '\0' &&
	    port_range(spec, hostpart, "host", &h0, &h1, err) < 0)
		return -1;

	count = (size_t)(c1 - c0) + 1;
	if (h0 != 0 && h1 != h0 && c1 != c0 && h1 - h0 != c1 - c0)
		return berth_error(
		    err, 0,
		    "--publish `%s`: host range %u-%u (%u ports) and container range "
		    "%u-%u (%u ports) differ in length",
		    spec, h0, h1, h1 - h0 + 1u, c0, c1, c1 - c0 + 1u);
	if (h0 != 0 && h1 == h0 && c1 != c0)
		return berth_error(
		    err, 0,
		    "--publish `%s`: one host port for container ports %u-%u: give a "
		    "host range as long (or no host port, for free ones)",
		    spec, c0, c1);

	out = xrealloc(*ports, (*n + count) * sizeof(**ports));
	*ports = out;
	for (size_t i = 0; i < count; i++) {
		struct fw_port *p = &out[*n + i];
		memset(p, 0, sizeof(*p));
		p->proto = proto;
		p->family = family;
		memcpy(p->host_ip, host_ip, sizeof(p->host_ip));
		p->ctr_port = (uint16_t)(c0 + i);
		if (h0 == 0)
			p->host_port = 0;
		else if (c1 == c0 && h1 != h0) {
			p->host_port = h0;
			p->host_port_end = h1;
		} else
			p->host_port = (uint16_t)(h0 + i);
	}
	*n += count;
	return 0;
}

static const char *port_proto_name(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* A socket bound to the port's host address and host port hp (0: the kernel picks one),
 * or -errno. */
static int port_bind_one(const struct fw_port *p, uint16_t hp)
{
	int type = (p->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC;
	cleanup_close int fd = -1;
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} a;
	socklen_t len;
	int family = p->family;

	memset(&a, 0, sizeof(a));
	if (family == AF_UNSPEC) {
		/* every address of both families: one dual-stack socket, or IPv4 alone when
		 * the host has no IPv6 */
		fd = socket(AF_INET6, type, 0);
		if (fd < 0 && errno != EAFNOSUPPORT)
			return -errno;
		if (fd >= 0) {
			int off = 0;
			if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0)
				return -errno;
			family = AF_INET6;
		} else {
			family = AF_INET;
		}
	}
	if (fd < 0) {
		fd = socket(family, type, 0);
		if (fd < 0)
			return -errno;
	}
	if (family == AF_INET) {
		a.in4.sin_family = AF_INET;
		a.in4.sin_port = htons(hp);
		if (p->host_ip[0] != '\0' && inet_pton(AF_INET, p->host_ip, &a.in4.sin_addr) != 1)
			return -EINVAL;
		len = sizeof(a.in4);
	} else {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons(hp);
		if (p->family == AF_INET6) {
			int on = 1;
			if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
				return -errno;
		}
		if (p->host_ip[0] != '\0' && inet_pton(AF_INET6, p->host_ip, &a.in6.sin6_addr) != 1)
			return -EINVAL;
		len = sizeof(a.in6);
	}
	/* TCP: a listening socket with SO_REUSEADDR. A listener holds its port against every
	 * other bind, SO_REUSEADDR or not (a bound socket that does not listen would not, against
	 * one with SO_REUSEADDR), and SO_REUSEADDR, inherited by the connections the proxy
	 * (proxy.c) accepts on it, lets the port be reserved again while those connections are
	 * in TIME_WAIT. Whatever the firewall does not redirect (the host's ::1) reaches the
	 * socket: the container's monitor relays it. UDP: bound, no SO_REUSEADDR. */
	if (p->proto != IPPROTO_UDP) {
		int on = 1;
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
			return -errno;
	}
	if (bind(fd, &a.sa, len) < 0)
		return -errno;
	if (p->proto != IPPROTO_UDP && listen(fd, 128) < 0)
		return -errno;
	return util_steal_fd(fd);
}

static uint16_t port_bound(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* "8080/tcp on 127.0.0.1" / "8080/tcp" for messages */
static void port_describe(const struct fw_port *p, char *buf, size_t size)
{
	int k;

	if (p->host_port_end > p->host_port)
		k = snprintf(buf, size, "%u-%u/%s", p->host_port, p->host_port_end,
		             port_proto_name(p->proto));
	else
		k = snprintf(buf, size, "%u/%s", p->host_port, port_proto_name(p->proto));
	if (k > 0 && (size_t)k < size && p->host_ip[0] != '\0')
		snprintf(buf + k, size - (size_t)k, " on %s", p->host_ip);
}

int port_reserve(struct fw_port *ports, size_t n, int *fds, berth_error_t *err)
{
	cleanup_free struct fw_port *orig = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		fds[i] = -1;
	if (n == 0)
		return 0;
	orig = xmalloc0(n * sizeof(*orig));
	memcpy(orig, ports, n * sizeof(*orig));
	for (i = 0; i < n; i++) {
		struct fw_port *p = &ports[i];
		uint16_t last = p->host_port_end > p->host_port ? p->host_port_end : p->host_port;
		char what[96];
		int fd = -EADDRINUSE;

		port_describe(p, what, sizeof(what));
		for (uint32_t hp = p->host_port; hp <= last; hp++) {
			fd = port_bind_one(p, (uint16_t)hp);
			if (fd != -EADDRINUSE)
				break;
		}
		if (fd == -EADDRINUSE) {
			berth_error(err, 0,
			            p->host_port_end > p->host_port
			                ? "host ports %s: every one is already in use"
			                : "host port %s is already in use",
			            what);
			goto fail;
		}
		if (fd == -EADDRNOTAVAIL) {
			berth_error(err, 0, "host port %s: %s is not an address of this host", what,
			            p->host_ip);
			goto fail;
		}
		if (fd < 0) {
			berth_error(err, -fd, "reserve host port %s", what);
			goto fail;
		}
		fds[i] = fd;
		p->host_port = port_bound(fd);
		p->host_port_end = 0;
		if (p->host_port == 0) {
			berth_error(err, errno, "reserve host port %s: getsockname", what);
			goto fail;
		}
	}
	return 0;
fail:
	for (size_t k = 0; k < n; k++) {
		if (fds[k] >= 0)
			close(fds[k]);
		fds[k] = -1;
	}
	memcpy(ports, orig, n * sizeof(*orig));
	return -1;
}
