/* SPDX-License-Identifier: MIT */
/* What network.c (the networks) and netattach.c (containers and VMs on them) share. */
#ifndef BERTH_ENGINE_NETWORK_PRIV_H
#define BERTH_ENGINE_NETWORK_PRIV_H

#include "firewall.h"
#include "network.h"

#include <jansson.h>

#define NET_DEFAULT        "berth"
#define NET_DEFAULT_BRIDGE "berth0"

static inline const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* networks/lock, taken (after the engine's lock when both are held); *fd to close. */
int net_lock(struct engine *e, int *fd, berth_error_t *err);
/* networks/<name>.json, or NULL. */
json_t *net_load(struct engine *e, const char *name);
/* A network by name or id prefix; the default is made if needed. */
json_t *net_find(struct engine *e, const char *ref, berth_error_t *err);
/* The default network, written on first use. Under the network lock. */
int net_ensure_default(struct engine *e, berth_error_t *err);
/* A network's IPv4 subnet and gateway; its IPv6 ones (1: it has none). -1 when bad. */
int net_parse_def(json_t *net, struct net_cidr *c, uint32_t *gw);
int net_parse_def6(json_t *net, struct net_cidr6 *c, uint8_t gw[16]);
/* The network as the firewall sees it (pointers into net). */
void net_fw(json_t *net, struct fw_net *f);

/* networks/leases.json (an empty array when there is none); written atomically. */
json_t *net_leases_load(struct engine *e);
int net_leases_save(struct engine *e, json_t *l, berth_error_t *err);
/* Whether container id still holds its network: its record is there and it runs or its
 * monitor lives. */
bool net_lease_live(struct engine *e, const char *id);
/* The text of containers/<id>/hosts (nethosts.c): id's leases are the container's own (id
 * NULL: none), leases every lease (the others of each of its user networks are listed). */
char *net_hosts_text(json_t *rec, const char *id, json_t *leases);
/* Rewrite containers/<id>/hosts in place; the hosts of every container on a user network. */
void net_hosts_write(struct engine *e, const char *id, json_t *leases);
void net_hosts_update_network(struct engine *e, const char *network, json_t *leases);
/* Reclaim the leases and network namespaces of containers that are gone (but self's). */
void net_leases_reclaim(struct engine *e, const char *self, json_t *leases, bool *changed);

#endif
