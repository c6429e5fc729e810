/* SPDX-License-Identifier: MIT */
/* The engine's network layer, inside the engine: IPv4 address arithmetic (netaddr.c, pure and
 * unit-tested), the kernel's links, addresses and routes over rtnetlink with libmnl
 * (netlink.c), and the attachment of a container to a network (network.c).
 *
 * Layout under the engine root:
 *   networks/<name>.json   one network (the default `berth` is written on first use)
 *   networks/leases.json   every address in use: [{network, ip, id, name, aliases, host_if}]
 *   networks/lock          flock(2) taken while leases, bridges or hosts files change
 *   networks/<name>.dns.pid  a user network's DNS responder ("PID START-TIME"), while the
 *                          network has containers; <name>.dns.log its log (dnsd.c)
 *   netns/<id>             the container's network namespace, bind-mounted (while it runs) */
#ifndef BERTH_ENGINE_NETWORK_H
#define BERTH_ENGINE_NETWORK_H

#include "engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* ---- addresses (netaddr.c) ------------------------------------------------------------- */
/* An IPv4 prefix, in host byte order. */
struct net_cidr {
	uint32_t addr;
	int prefix;
};

/* "10.1.2.3" -> host order. -1 when not a dotted quad. */
int net_ip4_parse(const char *s, uint32_t *out);
void net_ip4_format(uint32_t a, char buf[16]);
/* "10.89.0.0/24": the host bits must be zero; a prefix of 8 to 30. One line on error, naming
 * `what` (the argument) and what was expected. */
int net_cidr_parse(const char *what, const char *s, struct net_cidr *out, berth_error_t *err);
void net_cidr_format(const struct net_cidr *c, char buf[20]);
uint32_t net_cidr_mask(int prefix);
bool net_cidr_contains(const struct net_cidr *c, uint32_t ip);
bool net_cidr_overlap(const struct net_cidr *a, const struct net_cidr *b);
/* The first /24 of 10.89.0.0 - 10.99.255.0 that overlaps none of used[n] (Podman's
 * 10.88.0.0/16 is never chosen). -1 when there is none. */
int net_subnet_pick(const struct net_cidr *used, size_t n, struct net_cidr *out);
/* The lowest host address of c that is not gw and not in taken[n]. -1 when c is full. */
int net_lease_pick(const struct net_cidr *c, uint32_t gw, const uint32_t *taken, size_t n,
                   uint32_t *out);
/* A usable host address of c: neither the network's nor the broadcast address. */
bool net_cidr_host(const struct net_cidr *c, uint32_t ip);
/* "02:42:ac:11:00:02" -> 6 bytes; a unicast address only. */
int net_mac_parse(const char *s, uint8_t mac[6]);
/* A network's name: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 64. */
bool net_name_valid(const char *name);
/* IPv6: a prefix, network byte order. */
struct net_cidr6 {
	uint8_t addr[16];
	int prefix;
};
/* "fd00::5" -> 16 bytes. -1 when not an IPv6 address. */
int net_ip6_parse(const char *s, uint8_t out[16]);
void net_ip6_format(const uint8_t a[16], char buf[46]);
/* "fd12:3456:789a::/64": host bits zero, a prefix of 48 to 120, not multicast, link-local
 * or loopback. One line on error naming `what`. */
int net_cidr6_parse(const char *what, const char *s, struct net_cidr6 *out, berth_error_t *err);
void net_cidr6_format(const struct net_cidr6 *c, char buf[50]);
bool net_cidr6_contains(const struct net_cidr6 *c, const uint8_t ip[16]);
bool net_cidr6_overlap(const struct net_cidr6 *a, const struct net_cidr6 *b);
/* An address of c other than the subnet's own (all host bits zero). */
bool net_cidr6_host(const struct net_cidr6 *c, const uint8_t ip[16]);
/* A ULA /64 (RFC 4193: fd, a 40-bit global ID from rnd, subnet 0) overlapping none of
 * used[n]; on a collision the next global ID. -1 when none is found. */
int net_subnet6_pick(const struct net_cidr6 *used, size_t n, const uint8_t rnd[5],
                     struct net_cidr6 *out);
/* The lowest of c's host addresses ::1 - ::ffff that is not gw and not in taken[n]. */
int net_lease6_pick(const struct net_cidr6 *c, const uint8_t gw[16], const uint8_t (*taken)[16],
                    size_t n, uint8_t out[16]);
/* resolv.conf for a container from the host's text: its nameservers except loopback ones
 * (the container cannot reach them), or dns[n_dns] instead; its search line, or search[]
 * instead; its options. A new string. */
char *net_resolv_conf(const char *host_text, char **dns, size_t n_dns, char **search,
                      size_t n_search);

/* ---- rtnetlink (netlink.c) ------------------------------------------------------------- */
/* Every IPv4 route of the host's main and other tables (not `local`), except default routes
 * and those through the link skip_dev (may be NULL). */
int nl_routes4(const char *skip_dev, struct net_cidr **out, size_t *n, berth_error_t *err);
/* Every IPv6 route of the host but `local` ones, default, link-local and multicast ones. */
int nl_routes6(struct net_cidr6 **out, size_t *n, berth_error_t *err);
/* An IPv6 address ip/prefix (ip NULL: none) and a default route through gw (NULL: none). */
struct nl_v6 {
	const uint8_t *ip;
	int prefix;
	const uint8_t *gw;
};
/* A bridge `name` with gw/prefix (and v6->ip/prefix when v6 is not NULL) on it, up. Nothing
 * when it is there already. */
int nl_bridge_ensure(const char *name, uint32_t gw, int prefix, const struct nl_v6 *v6,
                     berth_error_t *err);
int nl_link_del(const char *name, berth_error_t *err);
/* Set a link down (no error when it is gone). */
int nl_link_down(const char *name, berth_error_t *err);
/* A veth pair: `host` here, enslaved to `bridge` and up; `peer` (eth0) made straight in the
 * network namespace netns_fd, with mac (or NULL: a random one), ip/prefix, up, and a default
 * route through gw (0: none); with v6, its IPv6 address and route too; lo up there too. */
int nl_veth_setup(const char *host, const char *bridge, int netns_fd, const char *peer,
                  const uint8_t *mac, uint32_t ip, int prefix, uint32_t gw, const struct nl_v6 *v6,
                  berth_error_t *err);
/* lo up in the network namespace netns_fd. */
int nl_lo_up(int netns_fd, berth_error_t *err);

/* ---- the ::1 proxy of published TCP ports (proxy.c) ------------------------------------ */
struct proxy_port {
	int fd; /* the reserved host port's socket (bound; proxy_start listens on it) */
	struct sockaddr_storage dst;
	socklen_t dst_len;
};
/* A process relaying every connection on ports[n]'s sockets to their dst; *pid (0 when n is
 * 0). It dies with its parent. */
int proxy_start(const struct proxy_port *ports, size_t n, pid_t *pid, berth_error_t *err);
/* End the proxy pid (0: none) and reap it. */
void proxy_stop(pid_t pid);

/* ---- attachment (network.c) ------------------------------------------------------------ */
/* Give the container `id` its network (the record's "network"), before its process starts:
 * the netns at netns/<id> with a veth into the network's bridge and a leased address; the
 * hosts files of the network's other containers are rewritten; published ports get their
 * firewall rules. *fds[*n_fds] are the sockets that hold the published host ports: the
 * caller (the monitor) keeps them open while the container runs; *proxy is the process that
 * relays the TCP ports reached on the host's ::1 (0: none), which the caller ends with
 * proxy_stop() when the container ends. All or nothing. */
int net_attach(struct engine *e, const char *id, int **fds, size_t *n_fds, pid_t *proxy,
               berth_error_t *err);
/* Undo net_attach: veth, netns mount, lease, port rules. Nothing when there is nothing; never
 * fails. */
void net_detach(struct engine *e, const char *id);
/* The record's "network" object from the run options; the files hosts, resolv.conf and
 * hostname in dir. *netns (NULL for host) is the path config.json gets. */
int net_prepare(struct engine *e, const struct image *img, const struct run_opts *o, const char *id,
                const char *dir, struct json_t **out, char **netns, berth_error_t *err);

/* ---- the DNS responder of a user-created network (dnsd.c) ----------------------------- */
/* Start network's responder on gateway:53 unless it runs (networks/<name>.dns.pid names a
 * live one); it answers queries from gateway/prefix only. Under the network lock. */
int dnsd_ensure(struct engine *e, const char *network, const char *gateway, int prefix,
                berth_error_t *err);
/* Kill network's responder (when there is one) and remove its pid file. Never fails. */
void dnsd_stop(struct engine *e, const char *network);
/* The host's resolv.conf: $BERTH_RESOLV_CONF, or /etc/resolv.conf. */
const char *dnsd_resolv_path(void);

#endif
