/* SPDX-License-Identifier: MIT */
/* IPv4 address arithmetic for the network layer: prefixes, the choice of a free subnet and
 * of a free address, MAC addresses, resolv.conf. Pure: no system calls (unit-tested). */
#include "network.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int net_ip4_parse(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (s == NULL || inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

void net_ip4_format(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

uint32_t net_cidr_mask(int prefix)
{
	return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
}

int net_cidr_parse(const char *what, const char *s, struct net_cidr *out, berth_error_t *err)
{
	char ip[32];
	const char *slash = strchr(s, '/');
	char *end;
	long p;
	uint32_t a;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(ip) || !isdigit((unsigned char)slash[1]))
		return berth_error(err, 0, "bad %s `%s`: expected an IPv4 prefix like 10.89.5.0/24",
		                   what, s);
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	p = strtol(slash + 1, &end, 10);
	if (*end || net_ip4_parse(ip, &a) < 0)
		return berth_error(err, 0, "bad %s `%s`: expected an IPv4 prefix like 10.89.5.0/24",
		                   what, s);
	if (p < 8 || p > 30)
		return berth_error(err, 0, "bad %s `%s`: the prefix length must be 8 to 30", what,
		                   s);
	if (a & ~net_cidr_mask((int)p)) {
		char b[16];
		net_ip4_format(a & net_cidr_mask((int)p), b);
		return berth_error(err, 0, "bad %s `%s`: host bits set (the network is %s/%ld)",
		                   what, s, b, p);
	}
	out->addr = a;
	out->prefix = (int)p;
	return 0;
}

void net_cidr_format(const struct net_cidr *c, char buf[20])
{
	char a[16];
	net_ip4_format(c->addr, a);
	snprintf(buf, 20, "%s/%d", a, c->prefix);
}

bool net_cidr_contains(const struct net_cidr *c, uint32_t ip)
{
	return (ip & net_cidr_mask(c->prefix)) == (c->addr & net_cidr_mask(c->prefix));
}

bool net_cidr_overlap(const struct net_cidr *a, const struct net_cidr *b)
{
	int p = a->prefix < b->prefix ? a->prefix : b->prefix;
	uint32_t m = net_cidr_mask(p);
	return (a->addr & m) == (b->addr & m);
}

bool net_cidr_host(const struct net_cidr *c, uint32_t ip)
{
	uint32_t m = net_cidr_mask(c->prefix);
	return net_cidr_contains(c, ip) && (ip & ~m) != 0 && (ip & ~m) != ~m;
}

int net_subnet_pick(const struct net_cidr *used, size_t n, struct net_cidr *out)
{
	const struct net_cidr podman = {0x0a580000u, 16}; /* 10.88.0.0/16 */

	for (uint32_t a = 0x0a590000u; a <= 0x0a63ff00u; a += 0x100) {
		struct net_cidr c = {a, 24};
		bool ok = !net_cidr_overlap(&c, &podman);
		for (size_t i = 0; ok && i < n; i++)
			if (net_cidr_overlap(&c, &used[i]))
				ok = false;
		if (ok) {
			*out = c;
			return 0;
		}
	}
	return -1;
}

int net_lease_pick(const struct net_cidr *c, uint32_t gw, const uint32_t *taken, size_t n,
                   uint32_t *out)
{
	uint32_t m = net_cidr_mask(c->prefix);
	uint32_t first = (c->addr & m) + 1, last = (c->addr | ~m) - 1;

	for (uint32_t a = first; a <= last && a >= first; a++) {
		bool free_ = a != gw;
		for (size_t i = 0; free_ && i < n; i++)
			if (taken[i] == a)
				free_ = false;
		if (free_) {
			*out = a;
			return 0;
		}
	}
	return -1;
}

int net_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
	                              &v[4], &v[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[3 * i]) || !isxdigit((unsigned char)s[3 * i + 1]) ||
		    (i < 5 && s[3 * i + 2] != ':'))
			return -1;
		mac[i] = (uint8_t)v[i];
	}
	/* multicast (and broadcast) addresses are not a card's; all zeros neither */
	if (mac[0] & 1)
		return -1;
	if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0)
		return -1;
	return 0;
}

bool net_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64 || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
			return false;
	return true;
}

char *net_resolv_conf(const char *host_text, char **dns, size_t n_dns, char **search,
                      size_t n_search)
{
	cleanup_free char *text = xstrdup(host_text ? host_text : "");
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	char *save = NULL;

	if (f == NULL)
		abort();
	for (size_t i = 0; i < n_search; i++)
		fprintf(f, "%s%s%s", i ? " " : "search ", search[i], i + 1 == n_search ? "\n" : "");
	for (size_t i = 0; i < n_dns; i++)
		fprintf(f, "nameserver %s\n", dns[i]);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char kw[16], val[256];
		while (*l == ' ' || *l == '\t')
			l++;
		if (sscanf(l, "%15s %255s", kw, val) != 2)
			continue;
		if (strcmp(kw, "nameserver") == 0) {
			/* loopback resolvers are the host's own: out of the container's reach */
			if (n_dns || strncmp(val, "127.", 4) == 0 || strcmp(val, "::1") == 0)
				continue;
		} else if (strcmp(kw, "search") == 0 || strcmp(kw, "domain") == 0) {
			if (n_search)
				continue;
		} else if (strcmp(kw, "options") != 0) {
			continue;
		}
		fprintf(f, "%s\n", l);
	}
	fclose(f);
	return out;
}
