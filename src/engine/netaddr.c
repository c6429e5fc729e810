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

/* ---- IPv6 ------------------------------------------------------------------------------- */

int net_ip6_parse(const char *s, uint8_t out[16])
{
	struct in6_addr a;

	if (s == NULL || strchr(s, ':') == NULL || inet_pton(AF_INET6, s, &a) != 1)
		return -1;
	memcpy(out, a.s6_addr, 16);
	return 0;
}

void net_ip6_format(const uint8_t a[16], char buf[46])
{
	inet_ntop(AF_INET6, a, buf, 46);
}

/* Whether the first bits of a and b are equal. */
static bool net_prefix6_eq(const uint8_t a[16], const uint8_t b[16], int bits)
{
	int bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)bytes) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t m = (uint8_t)(0xff << (8 - rest));
	return (a[bytes] & m) == (b[bytes] & m);
}

int net_cidr6_parse(const char *what, const char *s, struct net_cidr6 *out, berth_error_t *err)
{
	char ip[64];
	const char *slash = strchr(s, '/');
	char *end;
	long p;
	uint8_t a[16], z[16] = {0};

	if (slash == NULL || (size_t)(slash - s) >= sizeof(ip) || !isdigit((unsigned char)slash[1]))
		return berth_error(err, 0, "bad %s `%s`: expected an IPv6 prefix like fd00:b::/64",
		                   what, s);
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	p = strtol(slash + 1, &end, 10);
	if (*end || net_ip6_parse(ip, a) < 0)
		return berth_error(err, 0, "bad %s `%s`: expected an IPv6 prefix like fd00:b::/64",
		                   what, s);
	if (p < 48 || p > 120)
		return berth_error(err, 0, "bad %s `%s`: the prefix length must be 48 to 120", what,
		                   s);
	/* the host bits: a copy with the prefix kept and the rest zero must equal a */
	memcpy(z, a, 16);
	for (int b = (int)p; b < 128; b++)
		z[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
	if (memcmp(z, a, 16) != 0) {
		char b[46];
		net_ip6_format(z, b);
		return berth_error(err, 0, "bad %s `%s`: host bits set (the network is %s/%ld)",
		                   what, s, b, p);
	}
	if (a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
	    memcmp(a, (uint8_t[16]){0}, 15) == 0)
		return berth_error(
		    err, 0, "bad %s `%s`: a multicast, link-local or loopback prefix", what, s);
	memcpy(out->addr, a, 16);
	out->prefix = (int)p;
	return 0;
}

void net_cidr6_format(const struct net_cidr6 *c, char buf[50])
{
	char a[46];
	net_ip6_format(c->addr, a);
	snprintf(buf, 50, "%s/%d", a, c->prefix);
}

bool net_cidr6_contains(const struct net_cidr6 *c, const uint8_t ip[16])
{
	return net_prefix6_eq(c->addr, ip, c->prefix);
}

bool net_cidr6_overlap(const struct net_cidr6 *a, const struct net_cidr6 *b)
{
	return net_prefix6_eq(a->addr, b->addr, a->prefix < b->prefix ? a->prefix : b->prefix);
}

bool net_cidr6_host(const struct net_cidr6 *c, const uint8_t ip[16])
{
	uint8_t z[16];

	if (!net_cidr6_contains(c, ip))
		return false;
	/* not the subnet-router anycast address (all host bits zero) */
	memcpy(z, ip, 16);
	return memcmp(z, c->addr, 16) != 0;
}

int net_subnet6_pick(const struct net_cidr6 *used, size_t n, const uint8_t rnd[5],
                     struct net_cidr6 *out)
{
	/* RFC 4193: fd + a 40-bit global ID (random), subnet ID 0, a /64; on a collision the
	 * next global ID */
	uint64_t gid = 0;

	for (int i = 0; i < 5; i++)
		gid = gid << 8 | rnd[i];
	for (unsigned tries = 0; tries < 4096; tries++, gid = (gid + 1) & 0xffffffffffull) {
		struct net_cidr6 c = {.prefix = 64};
		bool ok = true;
		c.addr[0] = 0xfd;
		for (int i = 0; i < 5; i++)
			c.addr[1 + i] = (uint8_t)(gid >> (8 * (4 - i)));
		for (size_t i = 0; ok && i < n; i++)
			if (net_cidr6_overlap(&c, &used[i]))
				ok = false;
		if (ok) {
			*out = c;
			return 0;
		}
	}
	return -1;
}

int net_lease6_pick(const struct net_cidr6 *c, const uint8_t gw[16], const uint8_t (*taken)[16],
                    size_t n, uint8_t out[16])
{
	/* the lowest free of the subnet's first 65535 host addresses (::1 - ::ffff) */
	for (uint32_t k = 1; k < 65536; k++) {
		uint8_t a[16];
		bool free_ = true;
		memcpy(a, c->addr, 16);
		a[14] |= (uint8_t)(k >> 8);
		a[15] |= (uint8_t)k;
		if (!net_cidr6_host(c, a) || memcmp(a, gw, 16) == 0)
			continue;
		for (size_t i = 0; free_ && i < n; i++)
			if (memcmp(taken[i], a, 16) == 0)
				free_ = false;
		if (free_) {
			memcpy(out, a, 16);
			return 0;
		}
	}
	return -1;
}
