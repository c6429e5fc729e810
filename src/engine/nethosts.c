/* SPDX-License-Identifier: MIT */
/* Leases (networks/leases.json) and the containers' hosts files: who holds which address on
 * which network, and the names each container of a user network sees (netattach.c keeps
 * them up to date as containers start and stop). Under networks/lock. */
#include "image_priv.h"
#include "network.h"
#include "network_priv.h"
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- leases ------------------------------------------------------------------------------ */

json_t *net_leases_load(struct engine *e)
{
	cleanup_free char *p = engine_path(e, "networks/leases.json");
	json_t *j = json_load_file(p, 0, NULL);

	if (!json_is_array(j)) {
		json_decref(j);
		j = json_array();
	}
	return j;
}

int net_leases_save(struct engine *e, json_t *l, berth_error_t *err)
{
	cleanup_free char *p = engine_path(e, "networks/leases.json");
	cleanup_free char *text = json_dumps(l, JSON_INDENT(2));

	return util_write_file_atomic(p, text, strlen(text), 0600, err);
}

/* Whether the container id still holds its network: its record is there and it runs or its
 * monitor lives. */
bool net_lease_live(struct engine *e, const char *id)
{
	berth_error_t e2 = NULL;
	struct ctr_info c;
	bool live;

	if (ctr_get_id(e, id, &c, &e2) < 0) {
		berth_error_release(&e2);
		return false;
	}
	live = c.monitor_alive || ctr_status_running(c.status);
	ctr_info_free(&c);
	return live;
}

/* ---- hosts files ------------------------------------------------------------------------- */

static void hosts_names(FILE *f, json_t *lease)
{
	json_t *a;
	size_t i;

	for (int v = 0; v < 2; v++) {
		const char *ip = jstr(lease, v ? "ip6" : "ip");
		if (ip == NULL)
			continue;
		fprintf(f, "%s\t%s", ip, jstr(lease, "name") ?: "");
		json_array_foreach(json_object_get(lease, "aliases"), i, a)
		    fprintf(f, " %s", json_string_value(a));
		fputc('\n', f);
	}
}

/* The text of containers/<id>/hosts; id's leases are the container's own (id NULL: none),
 * leases every lease (the others of each of its user networks are listed). */
char *net_hosts_text(json_t *rec, const char *id, json_t *leases)
{
	json_t *net = json_object_get(rec, "network");
	const char *hostname = jstr(net, "hostname") ?: "";
	const char *name = jstr(rec, "name") ?: "";
	char *out = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);
	json_t *l, *a, *lease;
	size_t j;

	if (f == NULL)
		abort();
	fprintf(f, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
	json_array_foreach(leases, j, lease) for (int v = 0; id && v < 2; v++)
	{
		if (strcmp(jstr(lease, "id") ?: "", id) != 0)
			continue;
		const char *ip = jstr(lease, v ? "ip6" : "ip");
		if (ip == NULL)
			continue;
		fprintf(f, "%s\t%s", ip, hostname);
		if (strcmp(hostname, name) != 0)
			fprintf(f, " %s", name);
		json_array_foreach(json_object_get(lease, "aliases"), i, a)
		    fprintf(f, " %s", json_string_value(a));
		fputc('\n', f);
	}
	json_array_foreach(leases, j, lease)
	{
		if (id == NULL || strcmp(jstr(lease, "id") ?: "", id) != 0 ||
		    strcmp(jstr(lease, "network") ?: "", NET_DEFAULT) == 0)
			continue;
		json_array_foreach(leases, i, l) if (strcmp(jstr(l, "id") ?: "", id) != 0 &&
		                                     strcmp(jstr(l, "network") ?: "",
		                                            jstr(lease, "network") ?: "") == 0)
		    hosts_names(f, l);
	}
	json_array_foreach(json_object_get(net, "add_hosts"), i, a)
	{
		const char *h = json_string_value(a) ?: "";
		const char *colon = strchr(h, ':');
		if (colon)
			fprintf(f, "%s\t%.*s\n", colon + 1, (int)(colon - h), h);
	}
	fclose(f);
	return out;
}

/* Rewrite containers/<id>/hosts in place: the container's bind mount holds its inode. */
void net_hosts_write(struct engine *e, const char *id, json_t *leases)
{
	cleanup_free char *p = engine_path(e, "containers/%s/hosts", id);
	cleanup_free char *text = NULL;
	cleanup_close int fd = -1;
	berth_error_t e2 = NULL;
	json_t *rec;
	size_t n;

	if (ctr_load(e, id, &rec, &e2) < 0) {
		berth_error_release(&e2);
		return;
	}
	text = net_hosts_text(rec, id, leases);
	json_decref(rec);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return;
	n = strlen(text);
	/* never empty to a reader: the new text over the old, then cut */
	if (pwrite(fd, text, n, 0) != (ssize_t)n || ftruncate(fd, (off_t)n) < 0)
		log_warning("write `%s`: %s", p, strerror(errno));
}

/* Rewrite the hosts of every container on network (a user network). */
void net_hosts_update_network(struct engine *e, const char *network, json_t *leases)
{
	json_t *l;
	size_t i;

	if (network == NULL || strcmp(network, NET_DEFAULT) == 0)
		return;
	json_array_foreach(leases, i, l) if (strcmp(jstr(l, "network") ?: "", network) == 0)
	    net_hosts_write(e, jstr(l, "id"), leases);
}
