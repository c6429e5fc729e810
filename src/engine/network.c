/* SPDX-License-Identifier: MIT */
/* Networks: create, ls, inspect, rm, prune (the attachment of containers and VMs to them is
 * netattach.c's).
 *
 * A network is a Linux bridge with an IPv4 subnet, stored as networks/<name>.json; the default
 * one, `berth` (bridge berth0), is written the first time anything needs it. Subnets are
 * chosen among 10.89.0.0/24 - 10.99.255.0/24 so that they collide with no route of the host
 * (read over netlink) nor another network, never Podman's 10.88.0.0/16. */
#include "image_priv.h"
#include "network.h"
#include "network_priv.h"
#include "firewall.h"
#include "log.h"
#include "util.h"

#include <arpa/inet.h>
#include <dirent.h>
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

/* ---- the store ------------------------------------------------------------------------- */

int net_lock(struct engine *e, int *fd, berth_error_t *err)
{
	cleanup_free char *dir = engine_path(e, "networks");
	cleanup_free char *p = engine_path(e, "networks/lock");

	if (util_mkdir_p(dir, 0700, err) < 0)
		return -1;
	*fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0)
		return berth_error(err, errno, "open `%s`", p);
	while (flock(*fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			int en = errno;
			util_closep(fd);
			return berth_error(err, en, "lock `%s`", p);
		}
	return 0;
}

json_t *net_load(struct engine *e, const char *name)
{
	cleanup_free char *p = NULL;

	if (!net_name_valid(name))
		return NULL;
	p = engine_path(e, "networks/%s.json", name);
	return json_load_file(p, 0, NULL);
}

static int net_save(struct engine *e, json_t *net, berth_error_t *err)
{
	cleanup_free char *p = engine_path(e, "networks/%s.json", jstr(net, "name"));
	cleanup_free char *text = json_dumps(net, JSON_INDENT(2));

	return util_write_file_atomic(p, text, strlen(text), 0644, err);
}

static int net_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	/* the default first, then in creation order */
	bool dx = strcmp(jstr(x, "name") ?: "", NET_DEFAULT) == 0;
	bool dy = strcmp(jstr(y, "name") ?: "", NET_DEFAULT) == 0;
	if (dx != dy)
		return dx ? -1 : 1;
	return strcmp(jstr(x, "created") ?: "", jstr(y, "created") ?: "");
}

/* Every stored network, the default first. */
static json_t *net_all(struct engine *e)
{
	cleanup_free char *dir = engine_path(e, "networks");
	DIR *d = opendir(dir);
	struct dirent *de;
	json_t **v = NULL, *out = json_array();
	size_t n = 0;

	if (d == NULL)
		return out;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		cleanup_free char *name = NULL;
		json_t *j;
		if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0 ||
		    strcmp(de->d_name, "leases.json") == 0)
			continue;
		name = xstrdup(de->d_name);
		name[l - 5] = '\0';
		j = net_load(e, name);
		if (j == NULL)
			continue;
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = j;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), net_cmp);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, v[i]);
	free(v);
	return out;
}

int net_parse_def(json_t *net, struct net_cidr *c, uint32_t *gw)
{
	berth_error_t e2 = NULL;

	if (net_cidr_parse("subnet", jstr(net, "subnet") ?: "", c, &e2) < 0 ||
	    net_ip4_parse(jstr(net, "gateway"), gw) < 0) {
		berth_error_release(&e2);
		return -1;
	}
	return 0;
}

/* The network's IPv6 subnet and gateway: 1 when it has none, -1 when they are bad. */
int net_parse_def6(json_t *net, struct net_cidr6 *c, uint8_t gw[16])
{
	berth_error_t e2 = NULL;

	if (!json_is_true(json_object_get(net, "ipv6")))
		return 1;
	if (net_cidr6_parse("subnet6", jstr(net, "subnet6") ?: "", c, &e2) < 0 ||
	    net_ip6_parse(jstr(net, "gateway6"), gw) < 0) {
		berth_error_release(&e2);
		return -1;
	}
	return 0;
}

void net_fw(json_t *net, struct fw_net *f)
{
	/* the firewall knows a network by its bridge: names are one engine root's, bridges
	 * the host's */
	f->name = jstr(net, "bridge");
	f->bridge = jstr(net, "bridge");
	f->subnet4 = jstr(net, "subnet");
	f->subnet6 = json_is_true(json_object_get(net, "ipv6")) ? jstr(net, "subnet6") : NULL;
	f->internal = json_is_true(json_object_get(net, "internal"));
}

/* The subnets taken: every network's but skip's, and the host's routes (but those through
 * skip_dev). */
static int net_used(struct engine *e, const char *skip, const char *skip_dev, struct net_cidr **v,
                    size_t *n, berth_error_t *err)
{
	json_t *all, *j;
	size_t i;

	if (nl_routes4(skip_dev, v, n, err) < 0)
		return -1;
	all = net_all(e);
	json_array_foreach(all, i, j)
	{
		struct net_cidr c;
		uint32_t gw;
		if ((skip && strcmp(jstr(j, "name") ?: "", skip) == 0) ||
		    net_parse_def(j, &c, &gw) < 0)
			continue;
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		(*v)[(*n)++] = c;
	}
	json_decref(all);
	return 0;
}

/* The IPv6 subnets taken: every network's and the host's routes. */
static int net_used6(struct engine *e, struct net_cidr6 **v, size_t *n, berth_error_t *err)
{
	json_t *all, *j;
	size_t i;

	if (nl_routes6(v, n, err) < 0)
		return -1;
	all = net_all(e);
	json_array_foreach(all, i, j)
	{
		struct net_cidr6 c;
		uint8_t gw[16];
		if (net_parse_def6(j, &c, gw) != 0)
			continue;
		*v = xrealloc(*v, (*n + 1) * sizeof(**v));
		(*v)[(*n)++] = c;
	}
	json_decref(all);
	return 0;
}

/* The IPv6 part of a new network o: its subnet (--subnet6, or a free ULA /64) and gateway
 * (the subnet's ::1) set in net. Under the network lock. */
static int net_create6(struct engine *e, const struct network_opts *o, json_t *net,
                       berth_error_t *err)
{
	struct net_cidr6 c, *used = NULL;
	uint8_t gw[16];
	char sub[50], g[46];
	size_t n = 0;
	int r = -1;

	if (o->subnet6 && net_cidr6_parse("--subnet6", o->subnet6, &c, err) < 0)
		return -1;
	if (net_used6(e, &used, &n, err) < 0)
		return -1;
	if (o->subnet6) {
		json_t *all = net_all(e), *j;
		size_t i;
		json_array_foreach(all, i, j)
		{
			struct net_cidr6 oc;
			uint8_t ogw[16];
			if (net_parse_def6(j, &oc, ogw) == 0 && net_cidr6_overlap(&c, &oc)) {
				berth_error(err, 0,
				            "bad --subnet6 `%s`: it overlaps network \"%s\" (%s)",
				            o->subnet6, jstr(j, "name"), jstr(j, "subnet6"));
				json_decref(all);
				goto out;
			}
		}
		json_decref(all);
		for (i = 0; i < n; i++)
			if (net_cidr6_overlap(&c, &used[i])) {
				net_cidr6_format(&used[i], sub);
				berth_error(
				    err, 0,
				    "bad --subnet6 `%s`: it overlaps the host's route to %s",
				    o->subnet6, sub);
				goto out;
			}
	} else {
		uint8_t rnd[5];
		if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
			abort();
		if (net_subnet6_pick(used, n, rnd, &c) < 0) {
			berth_error(err, 0, "no free IPv6 subnet in fd00::/8: give --subnet6");
			goto out;
		}
	}
	memcpy(gw, c.addr, 16);
	gw[15] |= 1;
	net_cidr6_format(&c, sub);
	net_ip6_format(gw, g);
	json_object_set_new(net, "ipv6", json_true());
	json_object_set_new(net, "subnet6", json_string(sub));
	json_object_set_new(net, "gateway6", json_string(g));
	r = 0;
out:
	free(used);
	return r;
}

static json_t *net_new(const char *name, const char *bridge, const struct net_cidr *c, uint32_t gw,
                       bool internal)
{
	unsigned char rnd[32];
	char id[65], sub[20], g[16];
	cleanup_free char *now = util_now_rfc3339();

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		abort();
	for (int i = 0; i < 32; i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	net_cidr_format(c, sub);
	net_ip4_format(gw, g);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:{},s:s}", "name", name, "id", id, "driver",
	                 "bridge", "bridge", bridge ? bridge : "", "subnet", sub, "gateway", g,
	                 "internal", internal, "labels", "created", now);
}

/* The host's lock on the choice of subnets (/run/berth/networks.lock): `network create` of
 * every engine root on the host picks a subnet and makes the network's bridge under it, so
 * that two roots never take one subnet (each sees the other's bridge's route). Taken after
 * the network lock. */
static int net_host_lock(int *fd, berth_error_t *err)
{
	static const char p[] = "/run/berth/networks.lock";

	if (mkdir("/run/berth", 0700) < 0 && errno != EEXIST)
		return berth_error(err, errno, "mkdir `/run/berth`");
	*fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0)
		return berth_error(err, errno, "open `%s`", p);
	while (flock(*fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			int en = errno;
			util_closep(fd);
			return berth_error(err, en, "lock `%s`", p);
		}
	return 0;
}

/* A new network's bridge, made now with its gateway (so that other roots see its route). */
static int net_make_bridge(json_t *net, berth_error_t *err)
{
	struct net_cidr c;
	struct net_cidr6 c6;
	uint8_t gw6[16];
	struct nl_v6 v6 = {0};
	uint32_t gw;

	if (net_parse_def(net, &c, &gw) < 0)
		return berth_error(err, 0, "network \"%s\": a bad subnet or gateway",
		                   jstr(net, "name"));
	if (net_parse_def6(net, &c6, gw6) == 0) {
		v6.ip = gw6;
		v6.prefix = c6.prefix;
	}
	return nl_bridge_ensure(jstr(net, "bridge"), gw, c.prefix, v6.ip ? &v6 : NULL, err);
}

/* The default network, written on first use. Under the network lock. Its bridge berth0 is
 * the host's one default bridge, which every engine root shares (each with leases of its
 * own: docs/network.md, Not done). */
int net_ensure_default(struct engine *e, berth_error_t *err)
{
	cleanup_free char *p = engine_path(e, "networks/%s.json", NET_DEFAULT);
	struct net_cidr *used = NULL, c;
	size_t n = 0;
	json_t *net;
	int r;

	if (access(p, F_OK) == 0)
		return 0;
	/* berth0's own routes do not count */
	if (net_used(e, NET_DEFAULT, NET_DEFAULT_BRIDGE, &used, &n, err) < 0)
		return -1;
	r = net_subnet_pick(used, n, &c);
	free(used);
	if (r < 0)
		return berth_error(err, 0,
		                   "no free subnet in 10.89.0.0 - 10.99.255.0 for the "
		                   "default network");
	net = net_new(NET_DEFAULT, NET_DEFAULT_BRIDGE, &c, c.addr + 1, false);
	r = net_save(e, net, err);
	json_decref(net);
	return r;
}

/* A network by name or id prefix (4 or more hex digits). The default is made if needed. */
json_t *net_find(struct engine *e, const char *ref, berth_error_t *err)
{
	json_t *all, *j, *hit = NULL;
	size_t i, rl = strlen(ref);
	int nhit = 0;

	if (strcmp(ref, NET_DEFAULT) == 0) {
		int fd = -1;
		if (net_lock(e, &fd, err) < 0)
			return NULL;
		i = (size_t)net_ensure_default(e, err);
		util_closep(&fd);
		if ((int)i < 0)
			return NULL;
	}
	if ((hit = net_load(e, ref)) != NULL)
		return hit;
	all = net_all(e);
	json_array_foreach(all, i, j)
	{
		const char *id = jstr(j, "id") ?: "";
		if (rl >= 4 && strncmp(id, ref, rl) == 0) {
			hit = j;
			nhit++;
		}
	}
	if (nhit == 1)
		json_incref(hit);
	json_decref(all);
	if (nhit == 0) {
		berth_error(err, 0, "no network \"%s\" (berth network ls lists them)", ref);
		return NULL;
	}
	if (nhit > 1) {
		berth_error(err, 0, "\"%s\" matches more than one network", ref);
		return NULL;
	}
	return hit;
}

/* ---- network objects ------------------------------------------------------------------- */

int network_create(struct engine *e, const struct network_opts *o, char **idp, berth_error_t *err)
{
	struct net_cidr c, *used = NULL;
	size_t n = 0;
	uint32_t gw;
	json_t *net = NULL, *all;
	cleanup_free char *bridge = NULL;
	int fd = -1, hfd = -1, r = -1;

	if (!net_name_valid(o->name))
		return berth_error(err, 0,
		                   "bad network name `%s`: expected letters, digits, `_`, `.`, `-` "
		                   "(at most 64, a letter or digit first)",
		                   o->name);
	if (strcmp(o->name, "bridge") == 0 || strcmp(o->name, "none") == 0 ||
	    strcmp(o->name, "host") == 0)
		return berth_error(err, 0, "bad network name `%s`: it is a --network mode",
		                   o->name);
	if (o->gateway && !o->subnet)
		return berth_error(err, 0, "--gateway needs --subnet");
	if (o->subnet6 && !o->ipv6)
		return berth_error(err, 0, "--subnet6 needs --ipv6");
	if (o->subnet && net_cidr_parse("--subnet", o->subnet, &c, err) < 0)
		return -1;
	for (size_t i = 0; i < o->n_labels; i++)
		if (strchr(o->labels[i], '=') == NULL || o->labels[i][0] == '=')
			return berth_error(err, 0, "bad --label `%s`: expected KEY=VALUE",
			                   o->labels[i]);
	if (engine_lock(e, err) < 0)
		return -1;
	if (net_lock(e, &fd, err) < 0)
		goto out;
	if (net_ensure_default(e, err) < 0)
		goto out;
	net = net_load(e, o->name);
	if (net) {
		berth_error(err, 0, "network \"%s\" exists already", o->name);
		goto out;
	}
	if (net_host_lock(&hfd, err) < 0 || net_used(e, NULL, NULL, &used, &n, err) < 0)
		goto out;
	if (o->subnet) {
		char b[20];
		all = net_all(e);
		for (size_t i = 0; i < json_array_size(all); i++) {
			json_t *j = json_array_get(all, i);
			struct net_cidr oc;
			uint32_t ogw;
			if (net_parse_def(j, &oc, &ogw) == 0 && net_cidr_overlap(&c, &oc)) {
				berth_error(err, 0,
				            "bad --subnet `%s`: it overlaps network \"%s\" (%s)",
				            o->subnet, jstr(j, "name"), jstr(j, "subnet"));
				json_decref(all);
				goto out;
			}
		}
		json_decref(all);
		for (size_t i = 0; i < n; i++)
			if (net_cidr_overlap(&c, &used[i])) {
				net_cidr_format(&used[i], b);
				berth_error(err, 0,
				            "bad --subnet `%s`: it overlaps the host's route to %s",
				            o->subnet, b);
				goto out;
			}
	} else if (net_subnet_pick(used, n, &c) < 0) {
		berth_error(err, 0, "no free subnet in 10.89.0.0 - 10.99.255.0: give --subnet");
		goto out;
	}
	gw = c.addr + 1;
	if (o->gateway && (net_ip4_parse(o->gateway, &gw) < 0 || !net_cidr_host(&c, gw))) {
		char b[20];
		net_cidr_format(&c, b);
		berth_error(err, 0, "bad --gateway `%s`: expected a host address of %s", o->gateway,
		            b);
		goto out;
	}
	net = net_new(o->name, NULL, &c, gw, o->internal);
	if (o->ipv6 && net_create6(e, o, net, err) < 0)
		goto out;
	/* as Docker: br- and the id's first 12 digits */
	bridge = xasprintf("br-%.12s", jstr(net, "id"));
	json_object_set_new(net, "bridge", json_string(bridge));
	for (size_t i = 0; i < o->n_labels; i++) {
		cleanup_free char *k = xstrdup(o->labels[i]);
		char *eq = strchr(k, '=');
		*eq = '\0';
		json_object_set_new(json_object_get(net, "labels"), k, json_string(eq + 1));
	}
	if (net_make_bridge(net, err) < 0)
		goto out;
	if (net_save(e, net, err) < 0) {
		berth_error_t e2 = NULL;
		if (nl_link_del(bridge, &e2) < 0)
			berth_error_release(&e2);
		goto out;
	}
	*idp = xstrdup(jstr(net, "id"));
	r = 0;
out:
	free(used);
	json_decref(net);
	util_closep(&hfd);
	util_closep(&fd);
	engine_unlock(e);
	return r;
}

static json_t *net_all_default(struct engine *e, berth_error_t *err)
{
	int fd = -1;

	if (net_lock(e, &fd, err) < 0)
		return NULL;
	if (net_ensure_default(e, err) < 0) {
		util_closep(&fd);
		return NULL;
	}
	util_closep(&fd);
	return net_all(e);
}

int network_summaries(struct engine *e, struct network_summary **out, size_t *n, berth_error_t *err)
{
	json_t *all = net_all_default(e, err), *j;
	size_t i;

	if (all == NULL)
		return -1;
	*n = json_array_size(all);
	*out = xmalloc0((*n + 1) * sizeof(**out));
	json_array_foreach(all, i, j)
	{
		struct network_summary *s = &(*out)[i];
		s->id = xstrdup(jstr(j, "id") ?: "");
		s->name = xstrdup(jstr(j, "name") ?: "");
		s->driver = xstrdup(jstr(j, "driver") ?: "bridge");
		s->bridge = xstrdup(jstr(j, "bridge") ?: "");
		s->subnet = xstrdup(jstr(j, "subnet") ?: "");
		s->gateway = xstrdup(jstr(j, "gateway") ?: "");
		s->internal = json_is_true(json_object_get(j, "internal"));
	}
	json_decref(all);
	return 0;
}

void network_summaries_free(struct network_summary *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].name);
		free(v[i].driver);
		free(v[i].bridge);
		free(v[i].subnet);
		free(v[i].gateway);
	}
	free(v);
}

char *network_list_json(struct engine *e, berth_error_t *err)
{
	json_t *all = net_all_default(e, err);
	char *t;

	if (all == NULL)
		return NULL;
	t = json_dumps(all, JSON_INDENT(2));
	json_decref(all);
	return t;
}

/* The live leases of network name (stale ones reclaimed). Under the network lock. */
static json_t *net_users_locked(struct engine *e, const char *name, json_t *leases)
{
	json_t *users = json_array(), *l;
	bool changed = false;
	size_t i;

	net_leases_reclaim(e, "", leases, &changed);
	if (changed) {
		berth_error_t e2 = NULL;
		if (net_leases_save(e, leases, &e2) < 0)
			berth_error_release(&e2);
	}
	json_array_foreach(leases, i, l) if (strcmp(jstr(l, "network") ?: "", name) == 0)
	    json_array_append(users, l);
	return users;
}

char *network_inspect_json(struct engine *e, const char *ref, berth_error_t *err)
{
	json_t *net = net_find(e, ref, err), *leases, *users, *ctrs, *l, *arr;
	int fd = -1;
	size_t i;
	char *t;

	if (net == NULL)
		return NULL;
	if (net_lock(e, &fd, err) < 0) {
		json_decref(net);
		return NULL;
	}
	leases = net_leases_load(e);
	users = net_users_locked(e, jstr(net, "name"), leases);
	util_closep(&fd);
	ctrs = json_object();
	json_array_foreach(users, i, l)
	{
		json_t *c = json_pack("{s:s,s:s,s:O}", "name", jstr(l, "name") ?: "", "ip_address",
		                      jstr(l, "ip"), "aliases",
		                      json_object_get(l, "aliases") ?: json_null());
		if (jstr(l, "ip6"))
			json_object_set_new(c, "ipv6_address", json_string(jstr(l, "ip6")));
		json_object_set_new(ctrs, jstr(l, "id"), c);
	}
	json_object_set_new(net, "containers", ctrs);
	arr = json_pack("[o]", net);
	t = json_dumps(arr, JSON_INDENT(2));
	json_decref(arr);
	json_decref(users);
	json_decref(leases);
	return t;
}

/* Remove net (its users gone), under both locks. */
static int net_remove_locked(struct engine *e, json_t *net, berth_error_t *err)
{
	cleanup_free char *p = engine_path(e, "networks/%s.json", jstr(net, "name"));

	dnsd_stop(e, jstr(net, "name"));
	if (jstr(net, "bridge") && fw_network_del(jstr(net, "bridge"), err) < 0)
		return -1;
	if (jstr(net, "bridge") && nl_link_del(jstr(net, "bridge"), err) < 0)
		return -1;
	if (unlink(p) < 0 && errno != ENOENT)
		return berth_error(err, errno, "remove `%s`", p);
	return 0;
}

int network_remove(struct engine *e, const char *ref, bool force, berth_error_t *err)
{
	json_t *net = net_find(e, ref, err), *leases = NULL, *users = NULL;
	int fd = -1, r = -1;

	if (net == NULL)
		return -1;
	if (strcmp(jstr(net, "name"), NET_DEFAULT) == 0) {
		json_decref(net);
		return berth_error(err, 0, "the default network \"%s\" cannot be removed",
		                   NET_DEFAULT);
	}
	for (int round = 0;; round++) {
		if (engine_lock(e, err) < 0 || net_lock(e, &fd, err) < 0)
			goto out;
		json_decref(leases);
		json_decref(users);
		leases = net_leases_load(e);
		users = net_users_locked(e, jstr(net, "name"), leases);
		if (json_array_size(users) == 0)
			break;
		if (!force || round > 0) {
			berth_error(
			    err, 0,
			    "network \"%s\" is in use by container \"%s\" (berth rm it first, "
			    "or network rm -f)",
			    jstr(net, "name"), jstr(json_array_get(users, 0), "name"));
			goto out;
		}
		/* -f: stop the users, whose monitors detach them (they need the lock) */
		util_closep(&fd);
		engine_unlock(e);
		for (size_t i = 0; i < json_array_size(users); i++) {
			berth_error_t e2 = NULL;
			const char *id = jstr(json_array_get(users, i), "id");
			if (ctr_stop(e, id, 10, &e2) < 0)
				berth_error_release(&e2);
			net_detach(e, id);
		}
	}
	r = net_remove_locked(e, net, err);
out:
	util_closep(&fd);
	engine_unlock(e);
	json_decref(users);
	json_decref(leases);
	json_decref(net);
	return r;
}

int network_prune(struct engine *e, char ***names, size_t *n, berth_error_t *err)
{
	json_t *all, *leases, *j;
	int fd = -1, r = 0;
	size_t i;

	*names = NULL;
	*n = 0;
	if (engine_lock(e, err) < 0)
		return -1;
	if (net_lock(e, &fd, err) < 0) {
		engine_unlock(e);
		return -1;
	}
	all = net_all(e);
	leases = net_leases_load(e);
	json_array_foreach(all, i, j)
	{
		json_t *users;
		size_t nu;
		if (strcmp(jstr(j, "name") ?: "", NET_DEFAULT) == 0)
			continue;
		users = net_users_locked(e, jstr(j, "name"), leases);
		nu = json_array_size(users);
		json_decref(users);
		if (nu)
			continue;
		if (net_remove_locked(e, j, err) < 0) {
			r = -1;
			break;
		}
		*names = xrealloc(*names, (*n + 1) * sizeof(char *));
		(*names)[(*n)++] = xstrdup(jstr(j, "name"));
	}
	json_decref(all);
	json_decref(leases);
	util_closep(&fd);
	engine_unlock(e);
	return r;
}
