/* SPDX-License-Identifier: MIT */
/* Links, addresses and routes over rtnetlink, with libmnl: a bridge per network, a veth pair
 * per container made straight into its network namespace, the host's routes (to choose
 * subnets that collide with none). Work inside a container's namespace is done from a
 * netlink socket opened there: this process enters the namespace (setns; the engine is
 * single-threaded), opens the socket, does the work and comes back. */
#include "network.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

struct nl {
	struct mnl_socket *s;
	unsigned seq, portid;
	char buf[8192];
};

static void nl_close(struct nl *n)
{
	if (n->s)
		mnl_socket_close(n->s);
	n->s = NULL;
}

static int nl_open(struct nl *n, berth_error_t *err)
{
	n->s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (n->s == NULL)
		return berth_error(err, errno, "netlink socket");
	if (mnl_socket_bind(n->s, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		nl_close(n);
		return berth_error(err, e, "netlink bind");
	}
	n->portid = mnl_socket_get_portid(n->s);
	n->seq = (unsigned)time(NULL);
	return 0;
}

static struct nlmsghdr *nl_msg(struct nl *n, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(n->buf);
	h->nlmsg_type = type;
	/* every request but a dump is acked (NLM_F_EXCL shares a bit with NLM_F_DUMP's) */
	h->nlmsg_flags = NLM_F_REQUEST | flags | (flags == NLM_F_DUMP ? 0 : NLM_F_ACK);
	h->nlmsg_seq = ++n->seq;
	return h;
}

/* Send a request and run cb on each answer until the ack or the dump's end. 0 or -errno. */
static int nl_talk(struct nl *n, struct nlmsghdr *h, mnl_cb_t cb, void *arg)
{
	char rbuf[8192];
	unsigned seq = h->nlmsg_seq;
	ssize_t r;

	if (mnl_socket_sendto(n->s, h, h->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		r = mnl_socket_recvfrom(n->s, rbuf, sizeof(rbuf));
		if (r < 0)
			return errno == EINTR ? -EINTR : -errno;
		r = mnl_cb_run(rbuf, (size_t)r, seq, n->portid, cb, arg);
		if (r < 0)
			return -errno;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

/* ---- routes ---------------------------------------------------------------------------- */

struct nl_routes {
	struct net_cidr *v;
	size_t n;
	unsigned skip_oif;
};

static int nl_route_cb(const struct nlmsghdr *h, void *arg)
{
	struct nl_routes *r = arg;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(h);
	const struct nlattr *a;

	if (h->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != AF_INET ||
	    rtm->rtm_table == RT_TABLE_LOCAL || rtm->rtm_dst_len == 0 || rtm->rtm_dst_len > 32)
		return MNL_CB_OK;
	const struct nlattr *dst = NULL;
	unsigned oif = 0;

	mnl_attr_for_each(a, h, sizeof(*rtm))
	{
		if (mnl_attr_get_type(a) == RTA_DST && mnl_attr_get_payload_len(a) == 4)
			dst = a;
		if (mnl_attr_get_type(a) == RTA_OIF && mnl_attr_get_payload_len(a) == 4)
			oif = mnl_attr_get_u32(a);
	}
	if (dst == NULL || (r->skip_oif && oif == r->skip_oif))
		return MNL_CB_OK;
	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	r->v[r->n].addr = ntohl(mnl_attr_get_u32(dst)) & net_cidr_mask(rtm->rtm_dst_len);
	r->v[r->n].prefix = rtm->rtm_dst_len;
	r->n++;
	return MNL_CB_OK;
}

int nl_routes4(const char *skip_dev, struct net_cidr **out, size_t *n, berth_error_t *err)
{
	struct nl *nl = xmalloc0(sizeof(*nl));
	struct nl_routes r = {.skip_oif = skip_dev ? if_nametoindex(skip_dev) : 0};
	struct nlmsghdr *h;
	struct rtmsg *rtm;
	int rc;

	if (nl_open(nl, err) < 0) {
		free(nl);
		return -1;
	}
	h = nl_msg(nl, RTM_GETROUTE, NLM_F_DUMP);
	rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rc = nl_talk(nl, h, nl_route_cb, &r);
	nl_close(nl);
	free(nl);
	if (rc < 0) {
		free(r.v);
		return berth_error(err, -rc, "netlink: list the host's routes");
	}
	*out = r.v;
	*n = r.n;
	return 0;
}

struct nl_routes6 {
	struct net_cidr6 *v;
	size_t n;
};

static int nl_route6_cb(const struct nlmsghdr *h, void *arg)
{
	struct nl_routes6 *r = arg;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(h);
	const struct nlattr *a, *dst = NULL;
	const uint8_t *d;

	if (h->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != AF_INET6 ||
	    rtm->rtm_table == RT_TABLE_LOCAL || rtm->rtm_dst_len == 0 || rtm->rtm_dst_len > 128)
		return MNL_CB_OK;
	mnl_attr_for_each(a, h, sizeof(*rtm)) if (mnl_attr_get_type(a) == RTA_DST &&
	                                          mnl_attr_get_payload_len(a) == 16) dst = a;
	if (dst == NULL)
		return MNL_CB_OK;
	d = mnl_attr_get_payload(dst);
	/* link-local and multicast routes are on every link */
	if (d[0] == 0xff || (d[0] == 0xfe && (d[1] & 0xc0) == 0x80))
		return MNL_CB_OK;
	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	memcpy(r->v[r->n].addr, d, 16);
	r->v[r->n].prefix = rtm->rtm_dst_len;
	r->n++;
	return MNL_CB_OK;
}

int nl_routes6(struct net_cidr6 **out, size_t *n, berth_error_t *err)
{
	struct nl *nl = xmalloc0(sizeof(*nl));
	struct nl_routes6 r = {0};
	struct nlmsghdr *h;
	struct rtmsg *rtm;
	int rc;

	if (nl_open(nl, err) < 0) {
		free(nl);
		return -1;
	}
	h = nl_msg(nl, RTM_GETROUTE, NLM_F_DUMP);
	rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	rc = nl_talk(nl, h, nl_route6_cb, &r);
	nl_close(nl);
	free(nl);
	if (rc < 0) {
		free(r.v);
		return berth_error(err, -rc, "netlink: list the host's IPv6 routes");
	}
	*out = r.v;
	*n = r.n;
	return 0;
}

/* ---- links and addresses ----------------------------------------------------------------- */

static int nl_link_set(struct nl *n, unsigned idx, unsigned master, bool up)
{
	struct nlmsghdr *h = nl_msg(n, RTM_NEWLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(h, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)idx;
	if (up) {
		ifm->ifi_change = IFF_UP;
		ifm->ifi_flags = IFF_UP;
	}
	if (master)
		mnl_attr_put_u32(h, IFLA_MASTER, master);
	return nl_talk(n, h, NULL, NULL);
}

static int nl_addr_add(struct nl *n, unsigned idx, uint32_t ip, int prefix)
{
	struct nlmsghdr *h = nl_msg(n, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	uint32_t bcast = htonl(ip | ~net_cidr_mask(prefix));

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = idx;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put_u32(h, IFA_LOCAL, htonl(ip));
	mnl_attr_put_u32(h, IFA_ADDRESS, htonl(ip));
	mnl_attr_put_u32(h, IFA_BROADCAST, bcast);
	return nl_talk(n, h, NULL, NULL);
}

/* An IPv6 address, without duplicate address detection (the address is usable at once; the
 * leases keep addresses distinct). */
static int nl_addr6_add(struct nl *n, unsigned idx, const uint8_t ip[16], int prefix)
{
	struct nlmsghdr *h = nl_msg(n, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));

	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = idx;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_flags = IFA_F_NODAD;
	mnl_attr_put(h, IFA_LOCAL, 16, ip);
	mnl_attr_put(h, IFA_ADDRESS, 16, ip);
	mnl_attr_put_u32(h, IFA_FLAGS, IFA_F_NODAD);
	return nl_talk(n, h, NULL, NULL);
}

static int nl_route6_default(struct nl *n, unsigned idx, const uint8_t gw[16])
{
	struct nlmsghdr *h = nl_msg(n, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));

	rtm->rtm_family = AF_INET6;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(h, RTA_GATEWAY, 16, gw);
	mnl_attr_put_u32(h, RTA_OIF, idx);
	return nl_talk(n, h, NULL, NULL);
}

static int nl_route_default(struct nl *n, unsigned idx, uint32_t gw)
{
	struct nlmsghdr *h = nl_msg(n, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(h, RTA_GATEWAY, htonl(gw));
	mnl_attr_put_u32(h, RTA_OIF, idx);
	return nl_talk(n, h, NULL, NULL);
}

int nl_bridge_ensure(const char *name, uint32_t gw, int prefix, const struct nl_v6 *v6,
                     berth_error_t *err)
{
	struct nl *n = xmalloc0(sizeof(*n));
	struct nlmsghdr *h;
	struct ifinfomsg *ifm;
	struct nlattr *li;
	uint8_t mac[6];
	unsigned idx;
	int rc = -1, r;

	if (nl_open(n, err) < 0)
		goto out;
	h = nl_msg(n, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifm = mnl_nlmsg_put_extra_header(h, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	/* a MAC address of its own: otherwise the bridge takes its lowest port's, and changes it
	 * when that container goes, leaving the others' ARP entry for the gateway (their route
	 * and their DNS responder) stale for as long as the entry lives */
	if (getrandom(mac, sizeof(mac), 0) != sizeof(mac))
		abort();
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
	mnl_attr_put(h, IFLA_ADDRESS, sizeof(mac), mac);
	li = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(h, li);
	r = nl_talk(n, h, NULL, NULL);
	if (r < 0 && r != -EEXIST) {
		berth_error(err, -r, "netlink: create the bridge `%s`", name);
		goto out;
	}
	idx = if_nametoindex(name);
	if (idx == 0) {
		berth_error(err, errno, "bridge `%s`", name);
		goto out;
	}
	r = nl_addr_add(n, idx, gw, prefix);
	if (r < 0 && r != -EEXIST) {
		berth_error(err, -r, "netlink: address of the bridge `%s`", name);
		goto out;
	}
	if (v6 && v6->ip) {
		r = nl_addr6_add(n, idx, v6->ip, v6->prefix);
		if (r < 0 && r != -EEXIST) {
			berth_error(err, -r, "netlink: IPv6 address of the bridge `%s`", name);
			goto out;
		}
	}
	r = nl_link_set(n, idx, 0, true);
	if (r < 0) {
		berth_error(err, -r, "netlink: set the bridge `%s` up", name);
		goto out;
	}
	rc = 0;
out:
	nl_close(n);
	free(n);
	return rc;
}

/* One request about the link `name`: RTM_DELLINK, or RTM_NEWLINK setting it down. Gone
 * already is no error. */
static int nl_link_by_name(const char *name, bool del, berth_error_t *err)
{
	struct nl *n = xmalloc0(sizeof(*n));
	struct nlmsghdr *h;
	struct ifinfomsg *ifm;
	int r;

	if (nl_open(n, err) < 0) {
		free(n);
		return -1;
	}
	h = nl_msg(n, del ? RTM_DELLINK : RTM_NEWLINK, 0);
	ifm = mnl_nlmsg_put_extra_header(h, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	if (!del)
		ifm->ifi_change = IFF_UP; /* ifi_flags 0: down */
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	r = nl_talk(n, h, NULL, NULL);
	nl_close(n);
	free(n);
	if (r < 0 && r != -ENODEV)
		return del ? berth_error(err, -r, "netlink: delete the link `%s`", name)
		           : berth_error(err, -r, "netlink: set the link `%s` down", name);
	return 0;
}

int nl_link_del(const char *name, berth_error_t *err)
{
	return nl_link_by_name(name, true, err);
}

int nl_link_down(const char *name, berth_error_t *err)
{
	return nl_link_by_name(name, false, err);
}

/* Enter the network namespace fd (saving ours in *self) and open a netlink socket there. */
static int nl_enter(int netns_fd, int *self, struct nl *n, berth_error_t *err)
{
	*self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*self < 0)
		return berth_error(err, errno, "open `/proc/self/ns/net`");
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		int e = errno;
		util_closep(self);
		return berth_error(err, e, "setns into the container's network namespace");
	}
	if (nl_open(n, err) < 0)
		return -1;
	return 0;
}

static void nl_leave(int *self, struct nl *n)
{
	nl_close(n);
	if (*self >= 0 && setns(*self, CLONE_NEWNET) < 0)
		abort(); /* never go on in the container's namespace */
	util_closep(self);
}

static int nl_lo_up_here(struct nl *n, berth_error_t *err)
{
	unsigned lo = if_nametoindex("lo");
	int r;

	if (lo == 0)
		return berth_error(err, errno, "the container's lo");
	r = nl_link_set(n, lo, 0, true);
	if (r < 0)
		return berth_error(err, -r, "netlink: set the container's lo up");
	return 0;
}

int nl_lo_up(int netns_fd, berth_error_t *err)
{
	struct nl *n = xmalloc0(sizeof(*n));
	int self = -1, rc = -1;

	if (nl_enter(netns_fd, &self, n, err) == 0 && nl_lo_up_here(n, err) == 0)
		rc = 0;
	nl_leave(&self, n);
	free(n);
	return rc;
}

int nl_veth_setup(const char *host, const char *bridge, int netns_fd, const char *peer,
                  const uint8_t *mac, uint32_t ip, int prefix, uint32_t gw, const struct nl_v6 *v6,
                  berth_error_t *err)
{
	struct nl *n = xmalloc0(sizeof(*n));
	struct nlmsghdr *h;
	struct ifinfomsg *ifm;
	struct nlattr *li, *data, *pe;
	unsigned hidx, bidx, eidx;
	int self = -1, rc = -1, r;

	if (nl_open(n, err) < 0)
		goto out;
	h = nl_msg(n, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifm = mnl_nlmsg_put_extra_header(h, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, host);
	li = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
	pe = mnl_attr_nest_start(h, VETH_INFO_PEER);
	ifm = mnl_nlmsg_put_extra_header(h, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, peer);
	mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t)netns_fd);
	if (mac)
		mnl_attr_put(h, IFLA_ADDRESS, 6, mac);
	mnl_attr_nest_end(h, pe);
	mnl_attr_nest_end(h, data);
	mnl_attr_nest_end(h, li);
	r = nl_talk(n, h, NULL, NULL);
	if (r < 0) {
		berth_error(err, -r, "netlink: create the veth pair `%s`", host);
		goto out;
	}
	hidx = if_nametoindex(host);
	bidx = if_nametoindex(bridge);
	if (hidx == 0 || bidx == 0) {
		berth_error(err, errno, "veth `%s` or bridge `%s`", host, bridge);
		goto out;
	}
	r = nl_link_set(n, hidx, bidx, true);
	if (r < 0) {
		berth_error(err, -r, "netlink: put `%s` on the bridge `%s`", host, bridge);
		goto out;
	}
	nl_close(n);
	/* inside: lo up, the address on eth0, eth0 up, the default route */
	if (nl_enter(netns_fd, &self, n, err) < 0 || nl_lo_up_here(n, err) < 0)
		goto out;
	eidx = if_nametoindex(peer);
	if (eidx == 0) {
		berth_error(err, errno, "the container's `%s`", peer);
		goto out;
	}
	if ((r = nl_addr_add(n, eidx, ip, prefix)) < 0 || (r = nl_link_set(n, eidx, 0, true)) < 0 ||
	    (gw && (r = nl_route_default(n, eidx, gw)) < 0)) {
		berth_error(err, -r, "netlink: configure the container's `%s`", peer);
		goto out;
	}
	if (v6 && v6->ip &&
	    ((r = nl_addr6_add(n, eidx, v6->ip, v6->prefix)) < 0 ||
	     (v6->gw && (r = nl_route6_default(n, eidx, v6->gw)) < 0))) {
		berth_error(err, -r, "netlink: IPv6 address or route of the container's `%s`",
		            peer);
		goto out;
	}
	rc = 0;
out:
	nl_leave(&self, n);
	free(n);
	return rc;
}
