/* SPDX-License-Identifier: MIT */
/* berth's packet filter for container networks: nftables rules written through libnftables
 * into berth's own tables (never another tool's), each change applied as one atomic
 * transaction; and the parsing and reservation of published ports (-p/--publish).
 *
 * The network layer (network.c) calls fw_network_add() when a network's bridge is made and
 * fw_network_del() when it is removed; the container life cycle calls fw_ports_add() once
 * the container's addresses are known and fw_ports_del() on every way a container ends
 * (rm, run --rm, a stale lease found after the monitor died). Deleting what does not exist
 * is not an error, so teardown paths can call these unconditionally.
 *
 * What the network layer does for these rules to work (docs/firewall.md):
 *  - fw_bridge_port() on each container's host veth once it is enslaved to the bridge
 *    (hairpin on): with br_netfilter loaded (bridge-nf-call-iptables=1, as on Debian with
 *    Podman) a container reaching its own published port through a host address is bridged
 *    back out of the port it came in by;
 *  - fw_ports_add() only for a container with ports (each call lists berth's table and
 *    commits one transaction: ~10-15 ms here); fw_network_add() on every start is cheap
 *    when the network's rules are in place and nothing has changed the ruleset since
 *    berth's last commit (one netlink round trip: firewall.c, the generation stamp);
 *  - the fds port_reserve() returns are close-on-exec: an exec'd monitor must be handed them.
 * fw_network_add() itself turns on net.ipv4.ip_forward (and IPv6 forwarding for an IPv6
 * subnet) when off, and route_localnet on the bridge. */
#ifndef BERTH_FIREWALL_H
#define BERTH_FIREWALL_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One network as the firewall sees it. */
struct fw_net {
	const char *name;    /* the network's name ("berth" for the default one) */
	const char *bridge;  /* its Linux bridge ("berth0") */
	const char *subnet4; /* "10.89.0.0/24", or NULL */
	const char *subnet6; /* "fd00:b::/64", or NULL */
	bool internal;       /* no masquerade, no way out of the network */
};

/* One published port: host side -> container side. */
struct fw_port {
	int proto;          /* IPPROTO_TCP or IPPROTO_UDP */
	int family;         /* AF_INET, AF_INET6, or AF_UNSPEC (both, when host_ip is empty) */
	char host_ip[46];   /* "" for every host address */
	uint16_t host_port; /* 0: a free port is chosen by port_reserve() */
	uint16_t ctr_port;
	/* 0, or the last port of a host range that maps to the one ctr_port (`8000-8010:80`,
	 * as Docker has it): port_reserve() takes the first free one from host_port to
	 * host_port_end and sets host_port to it (and this to 0). */
	uint16_t host_port_end;
};

/* Parse one -p/--publish argument, [IP:][HOSTPORT:]CTRPORT[/tcp|/udp] with ranges
 * (8000-8010:80-90) and IPv6 host addresses in brackets ([::1]:8080:80). Appends to
 * *ports (realloc'd), *n counts them. A malformed argument is one line naming it. */
int port_parse(const char *spec, struct fw_port **ports, size_t *n, berth_error_t *err);

/* Bind every host port (choosing free ones where host_port is 0) and return the bound
 * sockets in fds[n], so the ports stay reserved while the container lives (the monitor
 * holds them) and one already in use is refused before anything is made. */
int port_reserve(struct fw_port *ports, size_t n, int *fds, berth_error_t *err);

int fw_network_add(const struct fw_net *net, berth_error_t *err);
/* Hairpin mode on for the bridge port host_if (a container's host-side veth, enslaved). */
int fw_bridge_port(const char *host_if, berth_error_t *err);
int fw_network_del(const char *name, berth_error_t *err);

/* DNAT (from other hosts, the host's own addresses and 127.0.0.1) and hairpin for the
 * container `id` reached at ip4 / ip6 (either may be NULL) on network `net`. */
int fw_ports_add(const char *id, const struct fw_net *net, const char *ip4, const char *ip6,
                 const struct fw_port *ports, size_t n, berth_error_t *err);
int fw_ports_del(const char *id, berth_error_t *err);

#endif
