/* SPDX-License-Identifier: MIT */
/* The attachment of containers (and berth vm's cards) to networks (network.c has the
 * networks themselves).
 *
 * A container's network lives while it runs: its monitor calls net_attach() before the
 * container's process is created (a network namespace bind-mounted at netns/<id>, which
 * config.json names, so the runtime joins it; a veth pair made straight into it; an address
 * leased in networks/leases.json) and net_detach() when it ends. A lease whose container is
 * neither running nor has a live monitor (the monitor was killed) is stale: the next
 * attachment reclaims it. Everything here runs under networks/lock (taken after the engine's
 * lock when both are held, never the other way round).
 *
 * Names: on a user-created network each container's /etc/hosts (a file of the container's
 * directory, bind-mounted) lists every other container of the network by name and alias; the
 * files are rewritten in place (the bind mount pins the inode) whenever a container of the
 * network starts or stops (nethosts.c, with the leases file). The default network does not
 * resolve names, as in Docker. */
#include "image_priv.h"
#include "network.h"
#include "network_priv.h"
#include "firewall.h"
#include "events.h"
#include "log.h"
#include "rootless.h"
#include "util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <net/if.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- attach and detach ----------------------------------------------------------------- */

/* ---- the DNS responder (dnsd.c) of a user network ------------------------------------------ */

/* Its last container gone from network: its responder goes too. */
static void dns_network_detached(struct engine *e, const char *network, json_t *leases)
{
	json_t *l;
	size_t i;

	if (strcmp(network, NET_DEFAULT) == 0 || network[0] == '\0')
		return;
	json_array_foreach(leases, i, l) if (strcmp(jstr(l, "network") ?: "", network) == 0) return;
	dnsd_stop(e, network);
}

/* resolv.conf's nameserver: the network's responder, for a user network and no --dns. */
static const char *dns_nameserver(json_t *net, size_t n_dns)
{
	if (net == NULL || n_dns > 0 || strcmp(jstr(net, "name") ?: "", NET_DEFAULT) == 0)
		return NULL;
	return jstr(net, "gateway");
}

static char *net_ns_path(struct engine *e, const char *id)
{
	return engine_path(e, "netns/%s", id);
}

/* Whether a live container joined id's network namespace (--network container:ID). */
static bool netns_shared(struct engine *e, const char *id)
{
	berth_error_t e2 = NULL;
	json_t *all, *rec;
	bool shared = false;
	size_t i;

	if (ctr_list(e, &all, &e2) < 0) {
		berth_error_release(&e2);
		return true; /* not known: delete, as for a shared one */
	}
	json_array_foreach(all, i, rec)
	{
		json_t *cn = json_object_get(rec, "network");
		if (strcmp(jstr(cn, "mode") ?: "", "container") == 0 &&
		    strcmp(jstr(cn, "container") ?: "", id) == 0 &&
		    net_lease_live(e, jstr(rec, "id") ?: ""))
			shared = true;
	}
	json_decref(all);
	return shared;
}

/* id's leases (of network, or of every network when it is NULL), with the network lock
 * held: their veths and published ports, the hosts and DNS of their networks' others.
 * *changed: leases changed. retire: the container's namespace is going (its processes are
 * gone, nobody else is in it): its veths are only set down, and the kernel deletes each pair
 * with the namespace, after we are gone (deleting one waits for an RCU grace period, 10-25 ms
 * here, the largest part of a bridged start's cost); down, the port leaves the bridge's
 * forwarding at once, so an address leased again is never answered from the old namespace.
 * Otherwise (network disconnect, a namespace another container shares) they are deleted. */
static void detach_leases(struct engine *e, const char *id, const char *network, json_t *leases,
                          bool *changed, bool retire)
{
	json_t *networks = json_array(), *v;
	size_t j;

	for (size_t i = json_array_size(leases); i-- > 0;) {
		json_t *l = json_array_get(leases, i);
		berth_error_t e2 = NULL;
		if (strcmp(jstr(l, "id") ?: "", id) != 0 ||
		    (network && strcmp(jstr(l, "network") ?: "", network) != 0))
			continue;
		if (jstr(l, "host_if") && (retire ? nl_link_down(jstr(l, "host_if"), &e2)
		                                  : nl_link_del(jstr(l, "host_if"), &e2)) < 0) {
			log_warning("%s", e2->msg);
			berth_error_release(&e2);
		}
		if (json_is_true(json_object_get(l, "ports")) && fw_ports_del(id, &e2) < 0) {
			log_warning("%s", e2->msg);
			berth_error_release(&e2);
		}
		json_array_append_new(networks, json_string(jstr(l, "network") ?: ""));
		json_array_remove(leases, i);
		*changed = true;
	}
	json_array_foreach(networks, j, v)
	{
		net_hosts_update_network(e, json_string_value(v), leases);
		dns_network_detached(e, json_string_value(v), leases);
	}
	json_decref(networks);
}

/* Everything of id's attachment, with the network lock held: its veths, its leases, its
 * netns mount; the hosts of its networks' others. *changed: leases changed. */
static void detach_locked(struct engine *e, const char *id, json_t *leases, bool *changed)
{
	cleanup_free char *ns = net_ns_path(e, id);
	json_t *l;
	size_t i;

	/* whether another container shares the namespace is looked for (in every record) only
	 * when id holds a lease: a container of --network none holds none */
	json_array_foreach(leases, i, l)
	{
		if (strcmp(jstr(l, "id") ?: "", id) == 0) {
			detach_leases(e, id, NULL, leases, changed, !netns_shared(e, id));
			break;
		}
	}
	if (umount2(ns, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		log_warning("umount `%s`: %s", ns, strerror(errno));
	unlink(ns);
	/* the record (when there still is one) no longer shows an address */
	{
		berth_error_t e2 = NULL;
		json_t *rec;
		if (ctr_load(e, id, &rec, &e2) == 0) {
			if (json_object_del(rec, "network_settings") == 0 &&
			    ctr_save(e, id, rec, &e2) < 0)
				berth_error_release(&e2);
			json_decref(rec);
		}
		berth_error_release(&e2);
	}
}

/* The events (events.h) of the container id's connection to each network of names (stolen):
 * the network's id, its name, the container's id. Called without the networks' lock. */
static void net_events(struct engine *e, const char *action, const char *id, json_t *names)
{
	json_t *v;
	size_t i;

	json_array_foreach(names, i, v)
	{
		berth_error_t e2 = NULL;
		const char *name = json_string_value(v);
		json_t *n = name ? net_find(e, name, &e2) : NULL;
		if (n)
			event_log(e, "network", action, jstr(n, "id"), "container", id, "name",
			          name, "type", "bridge", NULL);
		json_decref(n);
		berth_error_release(&e2);
	}
	json_decref(names);
}

void net_detach(struct engine *e, const char *id)
{
	berth_error_t e2 = NULL;
	int fd = -1;
	bool changed = false;
	json_t *leases, *gone = json_array(), *l;
	size_t i;

	if (net_lock(e, &fd, &e2) < 0) {
		log_warning("%s", e2->msg);
		berth_error_release(&e2);
		json_decref(gone);
		return;
	}
	leases = net_leases_load(e);
	json_array_foreach(leases, i, l)
	{
		if (strcmp(jstr(l, "id") ?: "", id) == 0 && jstr(l, "network"))
			json_array_append_new(gone, json_string(jstr(l, "network")));
	}
	detach_locked(e, id, leases, &changed);
	if (changed && net_leases_save(e, leases, &e2) < 0) {
		log_warning("%s", e2->msg);
		berth_error_release(&e2);
	}
	json_decref(leases);
	util_closep(&fd);
	if (!changed)
		json_array_clear(gone);
	net_events(e, "disconnect", id, gone);
}

/* A `berth vm` card's lease (network_vm_lease) lives while its process does: "vm_pid" with
 * its start time "vm_start" (against pid reuse). */
static bool vm_lease_live(json_t *l)
{
	json_int_t pid = json_integer_value(json_object_get(l, "vm_pid"));
	unsigned long long start = 0;
	char path[64], buf[1024], state = 0;
	cleanup_close int fd = -1;
	ssize_t n;

	if (pid <= 0 || pid > INT_MAX)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return false;
	buf[n] = '\0';
	if (ctr_parse_stat(buf, &state, &start) < 0 || state == 'Z' || state == 'X')
		return false;
	return start == (unsigned long long)json_integer_value(json_object_get(l, "vm_start"));
}

/* Reclaim the leases and network namespaces whose containers are gone (their monitor was
 * killed). */
void net_leases_reclaim(struct engine *e, const char *self, json_t *leases, bool *changed)
{
	cleanup_free char *nsdir = engine_path(e, "netns");
	DIR *d = opendir(nsdir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, self) == 0 ||
		    net_lease_live(e, de->d_name))
			continue;
		detach_locked(e, de->d_name, leases, changed);
	}
	if (d)
		closedir(d);
	for (size_t i = json_array_size(leases); i-- > 0;) {
		json_t *l = json_array_get(leases, i);
		cleanup_free char *id = xstrdup(jstr(l, "id") ?: "");
		if (strcmp(id, self) == 0 || net_lease_live(e, id) || vm_lease_live(l))
			continue;
		detach_locked(e, id, leases, changed);
		/* detach may have removed more than one entry */
		if (i > json_array_size(leases))
			i = json_array_size(leases);
	}
}

/* A new network namespace bind-mounted at path; its fd in *fd. */
static int netns_make(const char *path, int *fd, berth_error_t *err)
{
	cleanup_close int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	cleanup_close int f = -1;
	int r = 0, en = 0;

	if (self < 0)
		return berth_error(err, errno, "open `/proc/self/ns/net`");
	f = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (f < 0)
		return berth_error(err, errno, "create `%s`", path);
	util_closep(&f);
	if (rootless_active()) {
		/* an ordinary user's namespace cannot setns back into the host's network
		 * namespace, which it does not own: a child makes the new one */
		if (rootless_netns_make(path, err) < 0) {
			unlink(path);
			return -1;
		}
		*fd = open(path, O_RDONLY | O_CLOEXEC);
		if (*fd < 0)
			return berth_error(err, errno, "open `%s`", path);
		return 0;
	}
	if (unshare(CLONE_NEWNET) < 0)
		return berth_error(err, errno, "unshare a network namespace");
	if (mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0) {
		r = -1;
		en = errno;
	}
	if (setns(self, CLONE_NEWNET) < 0)
		abort(); /* never go on in the new namespace */
	if (r < 0) {
		unlink(path);
		return berth_error(err, en, "bind-mount the network namespace on `%s`", path);
	}
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return berth_error(err, errno, "open `%s`", path);
	return 0;
}

static int net_ip_forward(berth_error_t *err)
{
	static const char p[] = "/proc/sys/net/ipv4/ip_forward";
	char c = 0;
	cleanup_close int fd = open(p, O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && read(fd, &c, 1) == 1 && c == '1')
		return 0;
	return util_write_file(p, "1", err);
}

/* The record's published ports (-p, -P) parsed; *n of them. */
static int attach_ports(json_t *cn, struct fw_port **ports, size_t *n, berth_error_t *err)
{
	json_t *v;
	size_t i;

	*ports = NULL;
	*n = 0;
	json_array_foreach(json_object_get(cn, "publish"), i, v)
	{
		if (port_parse(json_string_value(v) ?: "", ports, n, err) < 0)
			return -1;
	}
	return 0;
}

static json_t *ports_json(const struct fw_port *p, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(
		    a, json_pack("{s:s,s:s,s:i,s:i}", "proto",
		                 p[i].proto == IPPROTO_UDP ? "udp" : "tcp", "host_ip",
		                 p[i].host_ip[0]           ? p[i].host_ip
		                 : p[i].family == AF_INET6 ? "::"
		                                           : "0.0.0.0",
		                 "host_port", p[i].host_port, "ctr_port", p[i].ctr_port));
	return a;
}

static bool port_loopback6(const struct fw_port *p)
{
	return strcmp(p->host_ip, "::1") == 0;
}

/* The published TCP ports: what reaches their sockets, which the firewall did not redirect
 * (the host's ::1: no route_localnet for IPv6), is relayed by a proxy to the container at
 * ip6 (IPv6 sockets, when it has one) or ip4. */
static int attach_proxy(const struct fw_port *ports, const int *fds, size_t n, const char *ip4,
                        const char *ip6, pid_t *proxy, berth_error_t *err)
{
	cleanup_free struct proxy_port *pp = xmalloc0((n ? n : 1) * sizeof(*pp));
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct proxy_port *q = &pp[k];
		if (ports[i].proto != IPPROTO_TCP || fds[i] < 0 ||
		    getsockname(fds[i], (struct sockaddr *)&ss, &len) < 0)
			continue;
		q->fd = fds[i];
		if (ss.ss_family == AF_INET6 && ip6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&q->dst;
			a->sin6_family = AF_INET6;
			a->sin6_port = htons(ports[i].ctr_port);
			inet_pton(AF_INET6, ip6, &a->sin6_addr);
			q->dst_len = sizeof(*a);
		} else {
			struct sockaddr_in *a = (struct sockaddr_in *)&q->dst;
			a->sin_family = AF_INET;
			a->sin_port = htons(ports[i].ctr_port);
			inet_pton(AF_INET, ip4, &a->sin_addr);
			q->dst_len = sizeof(*a);
		}
		k++;
	}
	return proxy_start(pp, k, proxy, err);
}

/* One network of a container, the k-th (0: the first, which gets --ip, --ip6,
 * --mac-address, --network-alias and the default routes): its bridge, the firewall's
 * rules for it, a lease, a veth into nsfd (eth<k>). *net and settings (the network's part
 * of network_settings) are the caller's to release. Under the network lock. */
static int attach_one(struct engine *e, const char *id, json_t *rec, json_t *leases, bool *changed,
                      int nsfd, const char *name, int k, bool ports, json_t **netp,
                      json_t **settings, char ips[16], char ip6s[46], berth_error_t *err)
{
	/* the first network's settings are the record's "network"; the others' (network
	 * connect --ip, --ip6, --alias) its "endpoints" */
	json_t *cn =
	    k == 0 ? json_object_get(rec, "network")
	           : json_object_get(json_object_get(json_object_get(rec, "network"), "endpoints"),
	                             name);
	struct fw_net fwn;
	char host_if[16], peer[16], gws[16], macs[18], sub[20], gw6s[46] = "";
	struct net_cidr c;
	struct net_cidr6 c6;
	uint32_t gw, ip = 0, *taken = NULL;
	uint8_t gw6[16], ip6[16], (*taken6)[16] = NULL;
	struct nl_v6 v6 = {0};
	int has6;
	size_t n_taken = 0, n_taken6 = 0, i;
	uint8_t mac[6];
	json_t *net, *l, *lease;
	bool internal;
	int r = -1;

	ip6s[0] = '\0';
	if (strcmp(name, NET_DEFAULT) == 0 && net_ensure_default(e, err) < 0)
		return -1;
	net = *netp = net_load(e, name);
	if (net == NULL)
		return berth_error(err, 0, "no network \"%s\" (it was removed; berth network ls)",
		                   name);
	internal = json_is_true(json_object_get(net, "internal"));
	if (net_parse_def(net, &c, &gw) < 0)
		return berth_error(err, 0, "network \"%s\": a bad subnet or gateway in its file",
		                   name);
	has6 = net_parse_def6(net, &c6, gw6);
	if (has6 < 0)
		return berth_error(err, 0, "network \"%s\": a bad subnet6 or gateway6 in its file",
		                   name);
	if (has6 == 0) {
		v6.ip = gw6;
		v6.prefix = c6.prefix;
	}
	net_fw(net, &fwn);
	if (nl_bridge_ensure(jstr(net, "bridge"), gw, c.prefix, has6 == 0 ? &v6 : NULL, err) < 0 ||
	    net_ip_forward(err) < 0 || fw_network_add(&fwn, err) < 0)
		return -1;
	json_array_foreach(leases, i, l)
	{
		uint32_t a;
		if (strcmp(jstr(l, "network") ?: "", name) != 0 ||
		    net_ip4_parse(jstr(l, "ip"), &a) < 0)
			continue;
		taken = xrealloc(taken, (n_taken + 1) * sizeof(*taken));
		taken[n_taken++] = a;
		if (jstr(l, "ip6")) {
			taken6 = xrealloc(taken6, (n_taken6 + 1) * sizeof(*taken6));
			if (net_ip6_parse(jstr(l, "ip6"), taken6[n_taken6]) == 0)
				n_taken6++;
		}
	}
	if (jstr(cn, "ip")) {
		if (net_ip4_parse(jstr(cn, "ip"), &ip) < 0 || !net_cidr_host(&c, ip) || ip == gw) {
			berth_error(err, 0, "bad --ip `%s`: not a free address of %s",
			            jstr(cn, "ip"), jstr(net, "subnet"));
			goto out;
		}
		json_array_foreach(leases, i,
		                   l) if (strcmp(jstr(l, "network") ?: "", name) == 0 &&
		                          strcmp(jstr(l, "ip") ?: "", jstr(cn, "ip")) == 0)
		{
			berth_error(err, 0,
			            "--ip %s is taken on network \"%s\" by container \"%s\"",
			            jstr(cn, "ip"), name, jstr(l, "name") ?: "?");
			goto out;
		}
	} else if (net_lease_pick(&c, gw, taken, n_taken, &ip) < 0) {
		berth_error(err, 0, "network \"%s\" (%s) has no free address", name,
		            jstr(net, "subnet"));
		goto out;
	}
	if (has6 == 0 && jstr(cn, "ip6")) {
		if (net_ip6_parse(jstr(cn, "ip6"), ip6) < 0 || !net_cidr6_host(&c6, ip6) ||
		    memcmp(ip6, gw6, 16) == 0) {
			berth_error(err, 0, "bad --ip6 `%s`: not a free address of %s",
			            jstr(cn, "ip6"), jstr(net, "subnet6"));
			goto out;
		}
		for (i = 0; i < n_taken6; i++)
			if (memcmp(taken6[i], ip6, 16) == 0) {
				berth_error(err, 0, "--ip6 %s is taken on network \"%s\"",
				            jstr(cn, "ip6"), name);
				goto out;
			}
	} else if (jstr(cn, "ip6")) {
		berth_error(err, 0,
		            "bad --ip6 `%s`: network \"%s\" has no IPv6 (network create --ipv6)",
		            jstr(cn, "ip6"), name);
		goto out;
	} else if (has6 == 0 &&
	           net_lease6_pick(&c6, gw6, (const uint8_t(*)[16])taken6, n_taken6, ip6) < 0) {
		berth_error(err, 0, "network \"%s\" (%s) has no free IPv6 address", name,
		            jstr(net, "subnet6"));
		goto out;
	}
	if (has6 == 0) {
		net_ip6_format(ip6, ip6s);
		net_ip6_format(gw6, gw6s);
	}
	if (jstr(cn, "mac")) {
		if (net_mac_parse(jstr(cn, "mac"), mac) < 0) {
			berth_error(err, 0, "bad --mac-address `%s`", jstr(cn, "mac"));
			goto out;
		}
	} else {
		/* as Docker: 02:42 and the address */
		mac[0] = 0x02, mac[1] = 0x42;
		mac[2] = (uint8_t)(ip >> 24), mac[3] = (uint8_t)(ip >> 16);
		mac[4] = (uint8_t)(ip >> 8), mac[5] = (uint8_t)ip;
	}
	snprintf(macs, sizeof(macs), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
	         mac[3], mac[4], mac[5]);
	/* vb + 11 digits of the id for the first network; vb + 10 and a letter (g, h, …) for
	 * the others */
	if (k == 0)
		snprintf(host_if, sizeof(host_if), "vb%.11s", id);
	else
		snprintf(host_if, sizeof(host_if), "vb%.10s%c", id, 'g' + k - 1);
	snprintf(peer, sizeof(peer), "eth%d", k);
	net_ip4_format(ip, ips);
	net_ip4_format(gw, gws);
	/* the lease first: a failure below is undone by detach_locked, which finds it */
	lease = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "network", name, "ip", ips, "id", id, "name",
	                  jstr(rec, "name") ?: "", "host_if", host_if, "aliases",
	                  json_is_array(json_object_get(cn, "aliases"))
	                      ? json_deep_copy(json_object_get(cn, "aliases"))
	                      : json_array());
	json_array_append_new(leases, lease);
	*changed = true;
	if (ports)
		json_object_set_new(lease, "ports", json_true());
	if (has6 == 0) {
		json_object_set_new(lease, "ip6", json_string(ip6s));
		v6.ip = ip6;
		v6.gw = internal || k > 0 ? NULL : gw6;
	}
	/* a veth of this id's last run, set down and not yet deleted with its old namespace
	 * (detach_leases): deleted now */
	if (if_nametoindex(host_if) != 0 && nl_link_del(host_if, err) < 0)
		goto out;
	if (nl_veth_setup(host_if, jstr(net, "bridge"), nsfd, peer, mac, ip, c.prefix,
	                  internal || k > 0 ? 0 : gw, has6 == 0 ? &v6 : NULL, err) < 0)
		goto out;
	/* hairpin on the bridge port: a container reaching its own published port through a
	 * host address comes back out of the port it went in by */
	if (fw_bridge_port(host_if, err) < 0)
		goto out;
	if (strcmp(name, NET_DEFAULT) != 0 && dnsd_ensure(e, name, gws, c.prefix, err) < 0)
		goto out;
	net_cidr_format(&c, sub);
	*settings = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:s}", "network", name, "ip_address", ips,
	                      "prefix_len", c.prefix, "gateway", gws, "mac_address", macs, "bridge",
	                      jstr(net, "bridge"), "subnet", sub);
	if (has6 == 0) {
		char sub6[50];
		net_cidr6_format(&c6, sub6);
		json_object_set_new(*settings, "global_ipv6_address", json_string(ip6s));
		json_object_set_new(*settings, "global_ipv6_prefix_len", json_integer(c6.prefix));
		json_object_set_new(*settings, "ipv6_gateway", json_string(gw6s));
		json_object_set_new(*settings, "subnet6", json_string(sub6));
	}
	r = 0;
out:
	free(taken);
	free(taken6);
	return r;
}

/* The names of the container's networks: the record's "network" (the default when there is
 * none), then its "more_networks". */
static json_t *attach_names(json_t *cn)
{
	json_t *names = json_array(), *v;
	size_t i;

	json_array_append_new(names, json_string(jstr(cn, "network") ?: NET_DEFAULT));
	json_array_foreach(json_object_get(cn, "more_networks"), i, v) json_array_append(names, v);
	return names;
}

static int attach_locked(struct engine *e, const char *id, json_t *rec, json_t *leases,
                         bool *changed, int **fds, size_t *n_fds, pid_t *proxy, berth_error_t *err)
{
	cleanup_free struct fw_port *ports = NULL;
	size_t n_ports = 0;
	json_t *cn = json_object_get(rec, "network");
	const char *mode = jstr(cn, "mode") ?: "";
	cleanup_free char *ns = net_ns_path(e, id);
	cleanup_free char *nsdir = engine_path(e, "netns");
	cleanup_close int nsfd = -1;
	char ips[16], ip6s[46];
	json_t *names, *net0 = NULL, *all = NULL, *first = NULL, *v;
	size_t i;
	int r = -1;

	/* the host ports first: one in use is refused before anything is made */
	if (attach_ports(cn, &ports, &n_ports, err) < 0)
		return -1;
	if (strcmp(mode, "slirp") == 0) {
		/* rootless: slirp listens on the host ports itself */
		json_t *set;
		if (util_mkdir_p(nsdir, 0700, err) < 0)
			return -1;
		nsfd = open(ns, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (nsfd < 0)
			return berth_error(err, errno, "create `%s`", ns);
		util_closep(&nsfd);
		if (slirpnet_attach(ns, ports, n_ports, proxy, err) < 0) {
			unlink(ns);
			return -1;
		}
		set = json_pack("{s:s,s:s,s:i}", "ip_address", "10.0.2.100", "gateway", "10.0.2.2",
		                "prefix_len", 24);
		json_object_set_new(set, "ports", ports_json(ports, n_ports));
		json_object_set_new(rec, "network_settings", set);
		return 0;
	}
	if (n_ports) {
		*fds = xmalloc0(n_ports * sizeof(int));
		if (port_reserve(ports, n_ports, *fds, err) < 0)
			return -1;
		*n_fds = n_ports;
	}
	/* --network none as root: the runtime makes the namespace (and brings its lo up) as
	 * it makes the container's others; nothing here to make or to remove (a container
	 * created by an older berth names netns/<id> in its config.json: made as before) */
	if (json_is_true(json_object_get(cn, "runtime_netns")))
		return 0;
	if (util_mkdir_p(nsdir, 0700, err) < 0 || netns_make(ns, &nsfd, err) < 0)
		return -1;
	if (strcmp(mode, "none") == 0)
		/* rootless: brought up where it was made */
		return rootless_active() ? 0 : nl_lo_up(nsfd, err);
	net_leases_reclaim(e, id, leases, changed);
	names = attach_names(cn);
	all = json_object();
	json_array_foreach(names, i, v)
	{
		json_t *net = NULL, *settings = NULL;
		char ip4k[16], ip6k[46];
		int rk = attach_one(e, id, rec, leases, changed, nsfd, json_string_value(v), (int)i,
		                    n_ports > 0, &net, &settings, ip4k, ip6k, err);
		if (settings)
			json_object_set_new(all, json_string_value(v), settings);
		if (i == 0) {
			net0 = net;
			first = settings;
			memcpy(ips, ip4k, sizeof(ips));
			memcpy(ip6s, ip6k, sizeof(ip6s));
		} else {
			json_decref(net);
		}
		if (rk < 0)
			goto out;
	}
	if (n_ports) {
		struct fw_net fwn;
		/* [::1] ports get no rule: the proxy serves them */
		cleanup_free struct fw_port *fwp = xmalloc0(n_ports * sizeof(*fwp));
		size_t n_fwp = 0;
		net_fw(net0, &fwn);
		for (i = 0; i < n_ports; i++)
			if (!port_loopback6(&ports[i]))
				fwp[n_fwp++] = ports[i];
		if (n_fwp &&
		    fw_ports_add(id, &fwn, ips, ip6s[0] ? ip6s : NULL, fwp, n_fwp, err) < 0)
			goto out;
		if (attach_proxy(ports, *fds, n_ports, ips, ip6s[0] ? ip6s : NULL, proxy, err) < 0)
			goto out;
	}
	/* the first network's settings as they were, with every network's under "networks" */
	first = json_deep_copy(first);
	json_object_set_new(first, "ports", ports_json(ports, n_ports));
	json_object_set(first, "networks", all);
	json_object_set_new(rec, "network_settings", first);
	r = 0;
out:
	json_decref(all);
	json_decref(names);
	json_decref(net0);
	return r;
}

int net_attach(struct engine *e, const char *id, int **fds, size_t *n_fds, pid_t *proxy,
               berth_error_t *err)
{
	json_t *rec, *cn, *leases;
	const char *mode;
	bool changed = false;
	int fd = -1, r;

	*fds = NULL;
	*n_fds = 0;
	*proxy = 0;
	if (ctr_load(e, id, &rec, err) < 0)
		return -1;
	cn = json_object_get(rec, "network");
	mode = jstr(cn, "mode") ?: "";
	if (strcmp(mode, "bridge") != 0 && strcmp(mode, "none") != 0 &&
	    strcmp(mode, "slirp") != 0) {
		json_decref(rec);
		return 0;
	}
	if (net_lock(e, &fd, err) < 0) {
		json_decref(rec);
		return -1;
	}
	leases = net_leases_load(e);
	/* what a monitor that died left of this container */
	detach_locked(e, id, leases, &changed);
	r = attach_locked(e, id, rec, leases, &changed, fds, n_fds, proxy, err);
	if (r == 0 && changed)
		r = net_leases_save(e, leases, err);
	/* --network none: the record is as it was (and as detach_locked may have saved it) */
	if (r == 0 && strcmp(mode, "none") != 0)
		r = ctr_save(e, id, rec, err);
	if (r == 0) {
		net_hosts_write(e, id, leases);
		if (strcmp(mode, "bridge") == 0) {
			json_t *names = attach_names(cn), *v;
			size_t i;
			json_array_foreach(names, i, v)
			    net_hosts_update_network(e, json_string_value(v), leases);
			json_decref(names);
		}
	} else {
		berth_error_t e2 = NULL;
		proxy_stop(*proxy);
		*proxy = 0;
		detach_locked(e, id, leases, &changed);
		if (changed && net_leases_save(e, leases, &e2) < 0)
			berth_error_release(&e2);
		for (size_t i = 0; i < *n_fds; i++)
			if ((*fds)[i] >= 0)
				close((*fds)[i]);
		free(*fds);
		*fds = NULL;
		*n_fds = 0;
	}
	util_closep(&fd);
	if (r == 0 && strcmp(mode, "bridge") == 0)
		net_events(e, "connect", id, attach_names(cn));
	json_decref(leases);
	json_decref(rec);
	return r;
}

/* ---- run options -> the record's "network" --------------------------------------------- */

static bool net_ip_any(const char *s)
{
	unsigned char b[16];
	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

static int net_check_host(const char *s, berth_error_t *err)
{
	const char *colon = strchr(s, ':');

	if (colon == NULL || colon == s || !net_ip_any(colon + 1) ||
	    strcspn(s, " \t\n") < strlen(s))
		return berth_error(err, 0, "bad --add-host `%s`: expected NAME:IP", s);
	return 0;
}

static int net_write(const char *dir, const char *file, const char *text, berth_error_t *err)
{
	cleanup_free char *p = xasprintf("%s/%s", dir, file);
	/* a new container's: empty in a spare directory (trash.c), or made now */
	return ctr_write_new(p, text, 0644, err);
}

/* --ip and --ip6 (either may be NULL) against the network net: a host address of its
 * subnet (IPv6: of its subnet6, when it has one) that is not the gateway. run/create and
 * network connect. */
static int net_check_addrs(json_t *net, const char *ip, const char *ip6, berth_error_t *err)
{
	const char *name = jstr(net, "name");

	if (ip) {
		struct net_cidr c;
		uint32_t gw, a;
		if (net_parse_def(net, &c, &gw) < 0 || net_ip4_parse(ip, &a) < 0 ||
		    !net_cidr_host(&c, a) || a == gw)
			return berth_error(err, 0,
			                   "bad --ip `%s`: expected a free address of %s (network "
			                   "\"%s\")",
			                   ip, jstr(net, "subnet") ?: "?", name);
	}
	if (ip6) {
		struct net_cidr6 c6;
		uint8_t gw6[16], a6[16];
		if (net_parse_def6(net, &c6, gw6) != 0)
			return berth_error(err, 0,
			                   "bad --ip6 `%s`: network \"%s\" has no IPv6 (network "
			                   "create --ipv6)",
			                   ip6, name);
		if (net_ip6_parse(ip6, a6) < 0 || !net_cidr6_host(&c6, a6) ||
		    memcmp(a6, gw6, 16) == 0)
			return berth_error(err, 0,
			                   "bad --ip6 `%s`: expected a free address of %s (network "
			                   "\"%s\")",
			                   ip6, jstr(net, "subnet6") ?: "?", name);
	}
	return 0;
}

int net_prepare(struct engine *e, const struct image *img, const struct run_opts *o, const char *id,
                const char *dir, json_t **out, char **netns, berth_error_t *err)
{
	const char *mode = o->network ? o->network : "bridge";
	const char *network = NULL;
	cleanup_free char *netname = NULL;
	cleanup_free char *other = NULL;
	cleanup_free char *resolv = NULL;
	cleanup_free char *host_resolv = NULL;
	cleanup_free char *hostname = NULL;
	cleanup_free char *dns_copy = NULL;
	json_t *cn, *net = NULL, *publish, *more = NULL;
	size_t len;

	*out = NULL;
	*netns = NULL;
	/* an ordinary user: no bridge (it needs the host's root); user-mode networking
	 * (slirpnet.c) by default, as Podman's */
	if (rootless_active()) {
		if (o->network == NULL || strcmp(mode, "slirp") == 0 ||
		    strcmp(mode, "slirp4netns") == 0)
			mode = "slirp";
		else if (strcmp(mode, "none") != 0 && strcmp(mode, "host") != 0 &&
		         strncmp(mode, "container:", 10) != 0)
			return berth_error(
			    err, 0,
			    "bad --network `%s`: rootless berth has no bridge networks: "
			    "use slirp (the default for an ordinary user), none, host "
			    "or container:NAME",
			    o->network);
	}
	if (strcmp(mode, "bridge") == 0 || strcmp(mode, NET_DEFAULT) == 0) {
		mode = "bridge";
		network = NET_DEFAULT;
	} else if (strncmp(mode, "container:", 10) == 0) {
		berth_error_t e2 = NULL;
		if (ctr_lookup(e, mode + 10, &other, &e2) < 0) {
			berth_error(err, 0, "bad --network `%s`: %s", o->network, e2->msg);
			berth_error_release(&e2);
			return -1;
		}
		mode = "container";
	} else if (strcmp(mode, "none") != 0 && strcmp(mode, "host") != 0 &&
	           strcmp(mode, "slirp") != 0) {
		network = mode;
		mode = "bridge";
	}
	if (network) {
		berth_error_t e2 = NULL;
		net = net_find(e, network, &e2);
		if (net == NULL) {
			berth_error(err, 0, "bad --network `%s`: %s",
			            o->network ? o->network : "bridge", e2->msg);
			berth_error_release(&e2);
			return -1;
		}
		network = netname = xstrdup(jstr(net, "name"));
	}
	if (strcmp(mode, "bridge") != 0 && (o->ip || o->ip6 || o->mac || o->n_aliases ||
	                                    (o->n_publish && strcmp(mode, "slirp") != 0))) {
		json_decref(net);
		return berth_error(err, 0,
		                   "--ip, --ip6, --mac-address, --network-alias and -p need a "
		                   "bridge network (--network bridge or a network's name)");
	}
	if (o->n_aliases && strcmp(network, NET_DEFAULT) == 0) {
		json_decref(net);
		return berth_error(err, 0,
		                   "--network-alias needs a user-created network (the "
		                   "default one resolves no names, as Docker's)");
	}
	if (net_check_addrs(net, o->ip, o->ip6, err) < 0) {
		json_decref(net);
		return -1;
	}
	if (o->mac) {
		uint8_t m[6];
		if (net_mac_parse(o->mac, m) < 0) {
			json_decref(net);
			return berth_error(
			    err, 0,
			    "bad --mac-address `%s`: expected a unicast address like "
			    "02:42:0a:59:00:05",
			    o->mac);
		}
	}
	for (size_t i = 0; i < o->n_aliases; i++)
		if (!net_name_valid(o->aliases[i])) {
			json_decref(net);
			return berth_error(err, 0, "bad --network-alias `%s`: expected a host name",
			                   o->aliases[i]);
		}
	for (size_t i = 0; i < o->n_dns; i++)
		if (!net_ip_any(o->dns[i])) {
			json_decref(net);
			return berth_error(err, 0, "bad --dns `%s`: expected an IP address",
			                   o->dns[i]);
		}
	for (size_t i = 0; i < o->n_dns_search; i++)
		if (!net_name_valid(o->dns_search[i])) {
			json_decref(net);
			return berth_error(err, 0, "bad --dns-search `%s`: expected a domain",
			                   o->dns_search[i]);
		}
	for (size_t i = 0; i < o->n_add_hosts; i++)
		if (net_check_host(o->add_hosts[i], err) < 0) {
			json_decref(net);
			return -1;
		}
	publish = json_array();
	for (size_t i = 0; i < o->n_publish; i++)
		json_array_append_new(publish, json_string(o->publish[i]));
	if (o->publish_all && (strcmp(mode, "bridge") == 0 || strcmp(mode, "slirp") == 0) && img) {
		/* -P: every EXPOSEd port ("80/tcp") to a port the kernel picks */
		const char *k;
		json_t *v;
		json_object_foreach(
		    json_object_get(json_object_get(img->config, "config"), "ExposedPorts"), k, v)
		    json_array_append_new(publish, json_string(k));
	}
	{
		struct fw_port *ports = NULL;
		size_t n_ports = 0;
		json_t *v;
		size_t i;
		json_array_foreach(
		    publish, i, v) if (port_parse(json_string_value(v), &ports, &n_ports, err) < 0)
		{
			free(ports);
			json_decref(publish);
			json_decref(net);
			return -1;
		}
		for (i = 0; i < n_ports; i++)
			if (port_loopback6(&ports[i]) && ports[i].proto != IPPROTO_TCP) {
				berth_error(
				    err, 0,
				    "bad --publish on [::1] for UDP: only TCP is relayed from "
				    "the host's IPv6 loopback");
				free(ports);
				json_decref(publish);
				json_decref(net);
				return -1;
			}
		free(ports);
	}
	if (dns_nameserver(net, o->n_dns))
		dns_copy = xstrdup(dns_nameserver(net, o->n_dns));
	json_decref(net);
	if (o->n_more_networks && strcmp(mode, "bridge") != 0) {
		json_decref(publish);
		return berth_error(err, 0,
		                   "--network `%s` cannot be given with another --network (only "
		                   "networks can be joined together)",
		                   o->network);
	}
	more = json_array();
	for (size_t i = 0; i < o->n_more_networks; i++) {
		const char *m = o->more_networks[i];
		berth_error_t e2 = NULL;
		json_t *mn, *v;
		size_t k;
		if (strcmp(m, "none") == 0 || strcmp(m, "host") == 0 ||
		    strncmp(m, "container:", 10) == 0) {
			berth_error(err, 0,
			            "bad --network `%s`: only networks can be joined together", m);
			goto bad_more;
		}
		mn = net_find(e, strcmp(m, "bridge") == 0 ? NET_DEFAULT : m, &e2);
		if (mn == NULL) {
			berth_error(err, 0, "bad --network `%s`: %s", m, e2->msg);
			berth_error_release(&e2);
			goto bad_more;
		}
		bool dup = strcmp(jstr(mn, "name"), network) == 0;
		json_array_foreach(more, k, v) if (strcmp(json_string_value(v), jstr(mn, "name")) ==
		                                   0) dup = true;
		if (dup) {
			berth_error(err, 0, "bad --network `%s`: network \"%s\" is given twice", m,
			            jstr(mn, "name"));
			json_decref(mn);
			goto bad_more;
		}
		json_array_append_new(more, json_string(jstr(mn, "name")));
		json_decref(mn);
	}
	if (0) {
	bad_more:
		json_decref(more);
		json_decref(publish);
		return -1;
	}
	hostname = o->hostname ? xstrdup(o->hostname) : xasprintf("%.12s", id);
	cn = json_pack("{s:s,s:s,s:o}", "mode", mode, "hostname", hostname, "publish", publish);
	if (network)
		json_object_set_new(cn, "network", json_string(network));
	if (json_array_size(more))
		json_object_set_new(cn, "more_networks", more);
	else
		json_decref(more);
	if (other)
		json_object_set_new(cn, "container", json_string(other));
	if (o->ip)
		json_object_set_new(cn, "ip", json_string(o->ip));
	if (o->ip6)
		json_object_set_new(cn, "ip6", json_string(o->ip6));
	if (o->mac)
		json_object_set_new(cn, "mac", json_string(o->mac));
	{
		json_t *a = json_array(), *h = json_array();
		for (size_t i = 0; i < o->n_aliases; i++)
			json_array_append_new(a, json_string(o->aliases[i]));
		for (size_t i = 0; i < o->n_add_hosts; i++)
			json_array_append_new(h, json_string(o->add_hosts[i]));
		json_object_set_new(cn, "aliases", a);
		json_object_set_new(cn, "add_hosts", h);
	}
	if (strcmp(mode, "host") == 0) {
		*out = cn;
		return 0;
	}
	if (strcmp(mode, "container") == 0) {
		json_t *orec;
		const char *omode;
		if (ctr_load(e, other, &orec, err) < 0) {
			json_decref(cn);
			return -1;
		}
		omode = jstr(json_object_get(orec, "network"), "mode") ?: "";
		*netns = net_ns_path(e, other);
		if (strcmp(omode, "bridge") != 0 && strcmp(omode, "none") != 0 &&
		    strcmp(omode, "slirp") != 0) {
			json_decref(orec);
			json_decref(cn);
			return berth_error(err, 0,
			                   "bad --network `%s`: that container's network cannot be "
			                   "shared (it has --network %s)",
			                   o->network, omode[0] ? omode : "of an older berth");
		}
		json_decref(orec);
		*out = cn;
		return 0;
	}
	/* bridge and none: the engine's own namespace; the files of /etc */
	{
		berth_error_t e2 = NULL;
		if (util_read_file(dnsd_resolv_path(), &host_resolv, &len, &e2) < 0)
			berth_error_release(&e2);
	}
	/* slirp's DNS forwarder, unless --dns */
	if (strcmp(mode, "slirp") == 0 && o->n_dns == 0 && dns_copy == NULL)
		dns_copy = xstrdup("10.0.2.3");
	resolv =
	    dns_copy
	        ? net_resolv_conf(host_resolv, &dns_copy, 1, o->dns_search, o->n_dns_search)
	        : net_resolv_conf(host_resolv, o->dns, o->n_dns, o->dns_search, o->n_dns_search);
	{
		json_t *rec = json_pack("{s:s,s:O}", "name", o->name ? o->name : "", "network", cn);
		cleanup_free char *hosts = net_hosts_text(rec, NULL, NULL);
		cleanup_free char *hn = xasprintf("%s\n", hostname);
		json_decref(rec);
		if (net_write(dir, "resolv.conf", resolv, err) < 0 ||
		    net_write(dir, "hosts", hosts, err) < 0 ||
		    net_write(dir, "hostname", hn, err) < 0) {
			json_decref(cn);
			return -1;
		}
	}
	/* --network none as root: the spec's namespace without a path (attach_locked) */
	if (strcmp(mode, "none") == 0 && !rootless_active())
		json_object_set_new(cn, "runtime_netns", json_true());
	else
		*netns = net_ns_path(e, id);
	*out = cn;
	return 0;
}

int network_vm_lease(struct engine *e, const char *name, const char *id,
                     struct network_vm_addr *out, berth_error_t *err)
{
	uint32_t *taken = NULL, ip;
	size_t n_taken = 0, i;
	bool changed = false;
	struct net_cidr c;
	struct net_cidr6 c6;
	uint8_t gw6[16];
	struct nl_v6 v6 = {0}, *pv6 = NULL;
	struct fw_net fwn;
	json_t *net = NULL, *leases = NULL, *l;
	int fd = -1, r = -1;

	memset(out, 0, sizeof(*out));
	if (net_lock(e, &fd, err) < 0)
		return -1;
	if (strcmp(name, NET_DEFAULT) == 0 && net_ensure_default(e, err) < 0)
		goto out;
	if (!net_name_valid(name) || (net = net_load(e, name)) == NULL) {
		r = 0; /* not a berth network */
		goto out;
	}
	if (net_parse_def(net, &c, &out->gateway) < 0) {
		berth_error(err, 0, "network \"%s\": a bad subnet or gateway in its file", name);
		goto out;
	}
	/* the bridge as a container's attachment makes it (its IPv6 gateway too: the VM gets
	 * only an IPv4 address, told on its kernel command line) */
	if (net_parse_def6(net, &c6, gw6) == 0) {
		v6.ip = gw6;
		v6.prefix = c6.prefix;
		pv6 = &v6;
	}
	net_fw(net, &fwn);
	if (nl_bridge_ensure(jstr(net, "bridge"), out->gateway, c.prefix, pv6, err) < 0 ||
	    net_ip_forward(err) < 0 || fw_network_add(&fwn, err) < 0)
		goto out;
	leases = net_leases_load(e);
	net_leases_reclaim(e, id, leases, &changed);
	json_array_foreach(leases, i, l)
	{
		uint32_t a;
		if (strcmp(jstr(l, "network") ?: "", name) != 0 ||
		    net_ip4_parse(jstr(l, "ip"), &a) < 0)
			continue;
		taken = xrealloc(taken, (n_taken + 1) * sizeof(*taken));
		taken[n_taken++] = a;
	}
	if (net_lease_pick(&c, out->gateway, taken, n_taken, &ip) < 0) {
		berth_error(err, 0, "network \"%s\" (%s) has no free address", name,
		            jstr(net, "subnet"));
		goto out;
	}
	{
		char ips[16];
		net_ip4_format(ip, ips);
		json_array_append_new(leases,
		                      json_pack("{s:s,s:s,s:s,s:s,s:[],s:I,s:I}", "network", name,
		                                "ip", ips, "id", id, "name", id, "aliases",
		                                "vm_pid", (json_int_t)getpid(), "vm_start",
		                                (json_int_t)ctr_self_start_time()));
	}
	if (net_leases_save(e, leases, err) < 0)
		goto out;
	changed = false;
	net_hosts_update_network(e, name, leases);
	out->ip = ip;
	out->prefix = c.prefix;
	if (json_is_true(json_object_get(net, "internal")))
		out->gateway = 0;
	snprintf(out->bridge, sizeof(out->bridge), "%s", jstr(net, "bridge") ?: "");
	r = 1;
out:
	if (changed) {
		berth_error_t e2 = NULL;
		if (net_leases_save(e, leases, &e2) < 0)
			berth_error_release(&e2);
	}
	free(taken);
	json_decref(leases);
	json_decref(net);
	util_closep(&fd);
	return r;
}

void network_vm_release(struct engine *e, const char *id)
{
	net_detach(e, id);
}

/* ---- network connect / disconnect ------------------------------------------------------- */

/* The card number k (1 to 20) for a network joined while running: the first whose host side
 * (vb + 10 digits of the id + a letter) no lease of id holds. -1 when none is free. */
static int connect_slot(json_t *leases, const char *id)
{
	for (int k = 1; k <= 20; k++) {
		char host_if[16];
		bool used = false;
		json_t *l;
		size_t i;
		snprintf(host_if, sizeof(host_if), "vb%.10s%c", id, 'g' + k - 1);
		json_array_foreach(leases, i, l) if (strcmp(jstr(l, "id") ?: "", id) == 0 &&
		                                     strcmp(jstr(l, "host_if") ?: "", host_if) == 0)
		    used = true;
		if (!used)
			return k;
	}
	return -1;
}

/* --ip, --ip6 and --alias of network connect against the network. */
static int connect_check(json_t *net, const struct network_connect_opts *o, berth_error_t *err)
{
	const char *name = jstr(net, "name");

	if (net_check_addrs(net, o->ip, o->ip6, err) < 0)
		return -1;
	if (o->n_aliases && strcmp(name, NET_DEFAULT) == 0)
		return berth_error(err, 0,
		                   "--alias needs a user-created network (the default one resolves "
		                   "no names, as Docker's)");
	for (size_t i = 0; i < o->n_aliases; i++)
		if (!net_name_valid(o->aliases[i]))
			return berth_error(err, 0, "bad --alias `%s`: expected a host name",
			                   o->aliases[i]);
	return 0;
}

/* Whether id is attached now (its monitor made its namespace and leased its first
 * network's address). Under the network lock. */
static bool connect_live(struct engine *e, const char *id, json_t *leases)
{
	cleanup_free char *ns = net_ns_path(e, id);
	json_t *l;
	size_t i;

	if (access(ns, F_OK) < 0)
		return false;
	json_array_foreach(leases, i, l) if (strcmp(jstr(l, "id") ?: "", id) == 0 &&
	                                     jstr(l, "host_if")) return true;
	return false;
}

/* The container's record under both locks (the engine's first), when it is on bridge
 * networks; *names its networks. */
static int connect_begin(struct engine *e, const char *ref, char **id, json_t **rec, json_t **names,
                         int *net_fd, berth_error_t *err)
{
	const char *mode;

	*rec = *names = NULL;
	*net_fd = -1;
	if (ctr_lookup(e, ref, id, err) < 0)
		return -1;
	if (engine_lock(e, err) < 0)
		return -1;
	if (net_lock(e, net_fd, err) < 0 || ctr_load(e, *id, rec, err) < 0)
		goto fail;
	mode = jstr(json_object_get(*rec, "network"), "mode") ?: "";
	if (strcmp(mode, "bridge") != 0) {
		berth_error(err, 0,
		            "container \"%s\" has --network %s: only a container on networks joins "
		            "or leaves one",
		            ref, mode[0] ? mode : "of an older berth");
		goto fail;
	}
	*names = attach_names(json_object_get(*rec, "network"));
	return 0;
fail:
	json_decref(*rec);
	*rec = NULL;
	util_closep(net_fd);
	engine_unlock(e);
	return -1;
}

static void connect_end(struct engine *e, json_t *rec, json_t *names, json_t *leases, int *net_fd)
{
	json_decref(rec);
	json_decref(names);
	json_decref(leases);
	util_closep(net_fd);
	engine_unlock(e);
}

static ssize_t connect_index(json_t *names, const char *name)
{
	json_t *v;
	size_t i;

	json_array_foreach(names, i,
	                   v) if (strcmp(json_string_value(v), name) == 0) return (ssize_t)i;
	return -1;
}

int network_connect(struct engine *e, const struct network_connect_opts *o, berth_error_t *err)
{
	cleanup_free char *id = NULL;
	json_t *net, *rec, *names, *leases = NULL, *cn, *ep, *more, *eps;
	const char *name;
	bool changed = false;
	int fd = -1, r = -1;

	net = net_find(e, o->network, err);
	if (net == NULL)
		return -1;
	if (connect_check(net, o, err) < 0 ||
	    connect_begin(e, o->container, &id, &rec, &names, &fd, err) < 0) {
		json_decref(net);
		return -1;
	}
	name = jstr(net, "name");
	if (connect_index(names, name) >= 0) {
		berth_error(err, 0, "container \"%s\" is already on network \"%s\"", o->container,
		            name);
		goto out;
	}
	leases = net_leases_load(e);
	/* the record: one more network, with its settings */
	cn = json_object_get(rec, "network");
	more = json_object_get(cn, "more_networks");
	if (!json_is_array(more)) {
		more = json_array();
		json_object_set_new(cn, "more_networks", more);
	}
	json_array_append_new(more, json_string(name));
	eps = json_object_get(cn, "endpoints");
	if (!json_is_object(eps)) {
		eps = json_object();
		json_object_set_new(cn, "endpoints", eps);
	}
	ep = json_pack("{s:[]}", "aliases");
	if (o->ip)
		json_object_set_new(ep, "ip", json_string(o->ip));
	if (o->ip6)
		json_object_set_new(ep, "ip6", json_string(o->ip6));
	for (size_t i = 0; i < o->n_aliases; i++)
		json_array_append_new(json_object_get(ep, "aliases"), json_string(o->aliases[i]));
	json_object_set_new(eps, name, ep);

	/* running: a new card now */
	if (connect_live(e, id, leases)) {
		cleanup_free char *ns = net_ns_path(e, id);
		cleanup_close int nsfd = open(ns, O_RDONLY | O_CLOEXEC);
		json_t *anet = NULL, *settings = NULL, *nsj, *all;
		char ip4[16], ip6[46];
		int k = connect_slot(leases, id), rk;
		if (nsfd < 0) {
			berth_error(err, errno, "open `%s`", ns);
			goto out;
		}
		if (k < 0) {
			berth_error(err, 0, "container \"%s\" is on too many networks (20 at most)",
			            o->container);
			goto out;
		}
		rk = attach_one(e, id, rec, leases, &changed, nsfd, name, k, false, &anet,
		                &settings, ip4, ip6, err);
		json_decref(anet);
		if (rk < 0) {
			json_decref(settings);
			detach_leases(e, id, name, leases, &changed, false);
			goto out;
		}
		nsj = json_object_get(rec, "network_settings");
		if (!json_is_object(nsj)) {
			nsj = json_object();
			json_object_set_new(rec, "network_settings", nsj);
		}
		all = json_object_get(nsj, "networks");
		if (!json_is_object(all)) {
			all = json_object();
			json_object_set_new(nsj, "networks", all);
		}
		json_object_set_new(all, name, settings);
	}
	if (ctr_save(e, id, rec, err) < 0) {
		detach_leases(e, id, name, leases, &changed, false);
		goto out;
	}
	r = 0;
out:
	if (changed) {
		berth_error_t e2 = NULL;
		if (net_leases_save(e, leases, r == 0 ? err : &e2) < 0 && r == 0)
			r = -1;
		berth_error_release(&e2);
		if (r == 0) {
			net_hosts_write(e, id, leases);
			net_hosts_update_network(e, name, leases);
		}
	}
	/* a running container's new card: connect (events.h) */
	if (r == 0 && changed)
		event_log(e, "network", "connect", jstr(net, "id"), "container", id, "name", name,
		          "type", "bridge", NULL);
	json_decref(net);
	connect_end(e, rec, names, leases, &fd);
	return r;
}

int network_disconnect(struct engine *e, const char *network, const char *container,
                       berth_error_t *err)
{
	cleanup_free char *id = NULL;
	cleanup_free char *name = NULL;
	json_t *rec, *names, *leases = NULL, *cn, *more;
	bool changed = false;
	ssize_t at;
	int fd = -1, r = -1;

	if (connect_begin(e, container, &id, &rec, &names, &fd, err) < 0)
		return -1;
	/* by name or id prefix; a network removed meanwhile still by its name */
	{
		berth_error_t e2 = NULL;
		json_t *net = net_load(e, network) ?: net_find(e, network, &e2);
		name = xstrdup(net ? jstr(net, "name") : network);
		json_decref(net);
		berth_error_release(&e2);
	}
	at = connect_index(names, name);
	if (at < 0) {
		berth_error(err, 0, "container \"%s\" is not on network \"%s\"", container, name);
		goto out;
	}
	if (at == 0) {
		berth_error(err, 0,
		            "network \"%s\" is container \"%s\"'s first network (given at "
		            "run/create): only networks joined after it can be left",
		            name, container);
		goto out;
	}
	cn = json_object_get(rec, "network");
	more = json_object_get(cn, "more_networks");
	json_array_remove(more, (size_t)at - 1);
	if (json_array_size(more) == 0)
		json_object_del(cn, "more_networks");
	json_object_del(json_object_get(cn, "endpoints"), name);
	json_object_del(json_object_get(json_object_get(rec, "network_settings"), "networks"),
	                name);
	leases = net_leases_load(e);
	if (ctr_save(e, id, rec, err) < 0)
		goto out;
	detach_leases(e, id, name, leases, &changed, false);
	if (changed && net_leases_save(e, leases, err) < 0)
		goto out;
	net_hosts_write(e, id, leases);
	r = 0;
out:
	connect_end(e, rec, names, leases, &fd);
	/* a running container's card gone: disconnect (events.h) */
	if (r == 0 && changed)
		net_events(e, "disconnect", id, json_pack("[s]", name));
	return r;
}
