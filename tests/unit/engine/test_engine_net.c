/* SPDX-License-Identifier: MIT */
/* Unit tests for the network layer's pure parts (src/engine/netaddr.c): prefixes, the choice
 * of a free subnet given the host's routes, the choice of a free address, MAC addresses,
 * resolv.conf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "network.h"

#include <stdlib.h>
#include <string.h>

static uint32_t ip(const char *s)
{
	uint32_t a = 0;
	assert_int_equal(net_ip4_parse(s, &a), 0);
	return a;
}

static void test_cidr_parse(void **state)
{
	struct net_cidr c;
	berth_error_t err = NULL;
	char buf[20];
	static const char *const bad[] = {
	    "10.89.5.0",    "10.89.5.0/",   "10.89.5/24",    "10.89.5.0/33",  "10.89.5.0/31",
	    "10.89.5.0/7",  "10.89.5.0/2x", "a.b.c.d/24",    "/24",           "",
	    "10.89.5.1/24", "300.1.1.0/24", "10.89.5.0/-24", "10.89.5.0/ 24",
	};

	(void)state;
	assert_int_equal(net_cidr_parse("--subnet", "10.89.5.0/24", &c, &err), 0);
	assert_int_equal(c.addr, 0x0a590500u);
	assert_int_equal(c.prefix, 24);
	net_cidr_format(&c, buf);
	assert_string_equal(buf, "10.89.5.0/24");
	assert_int_equal(net_cidr_parse("--subnet", "172.30.0.0/16", &c, &err), 0);
	assert_int_equal(c.prefix, 16);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(net_cidr_parse("--subnet", bad[i], &c, &err), -1);
		/* one line naming the argument */
		assert_non_null(strstr(err->msg, "--subnet"));
		assert_null(strchr(err->msg, '\n'));
		berth_error_release(&err);
	}
	/* host bits set: the message names the network meant */
	assert_int_equal(net_cidr_parse("--subnet", "10.89.5.7/24", &c, &err), -1);
	assert_non_null(strstr(err->msg, "10.89.5.0/24"));
	berth_error_release(&err);
}

static void test_cidr_ops(void **state)
{
	struct net_cidr a = {ip("10.89.0.0"), 24}, b = {ip("10.89.0.128"), 25},
	                c = {ip("10.0.0.0"), 8}, d = {ip("10.90.0.0"), 24};

	(void)state;
	assert_true(net_cidr_overlap(&a, &b));
	assert_true(net_cidr_overlap(&b, &a));
	assert_true(net_cidr_overlap(&a, &c));
	assert_false(net_cidr_overlap(&a, &d));
	assert_true(net_cidr_contains(&a, ip("10.89.0.77")));
	assert_false(net_cidr_contains(&a, ip("10.89.1.1")));
	assert_true(net_cidr_host(&a, ip("10.89.0.1")));
	assert_false(net_cidr_host(&a, ip("10.89.0.0")));
	assert_false(net_cidr_host(&a, ip("10.89.0.255")));
	assert_false(net_cidr_host(&a, ip("10.89.1.2")));
}

static void test_subnet_pick(void **state)
{
	struct net_cidr out, routes[4];
	char buf[20];

	(void)state;
	/* nothing in the way: the first */
	assert_int_equal(net_subnet_pick(NULL, 0, &out), 0);
	net_cidr_format(&out, buf);
	assert_string_equal(buf, "10.89.0.0/24");
	/* a host route on 10.89.0.0/23 and a network on 10.89.2.0/24 */
	routes[0] = (struct net_cidr){ip("10.89.0.0"), 23};
	routes[1] = (struct net_cidr){ip("10.89.2.0"), 24};
	assert_int_equal(net_subnet_pick(routes, 2, &out), 0);
	net_cidr_format(&out, buf);
	assert_string_equal(buf, "10.89.3.0/24");
	/* a VPN's 10.0.0.0/8 covers every candidate */
	routes[2] = (struct net_cidr){ip("10.0.0.0"), 8};
	assert_int_equal(net_subnet_pick(routes, 3, &out), -1);
	/* 10.89.0.0/16 taken: the next /16 (10.88.0.0/16, Podman's, is never chosen) */
	routes[0] = (struct net_cidr){ip("10.89.0.0"), 16};
	assert_int_equal(net_subnet_pick(routes, 1, &out), 0);
	net_cidr_format(&out, buf);
	assert_string_equal(buf, "10.90.0.0/24");
	for (uint32_t a = 0x0a580000u; a < 0x0a590000u; a += 0x100) {
		struct net_cidr c = {a, 24};
		assert_false(net_cidr_overlap(&c, &out));
	}
}

static void test_lease_pick(void **state)
{
	struct net_cidr c = {ip("10.89.0.0"), 24}, small = {ip("10.89.1.0"), 30};
	uint32_t taken[300], out;
	size_t n = 0;

	(void)state;
	/* the gateway .1 is never leased */
	assert_int_equal(net_lease_pick(&c, ip("10.89.0.1"), NULL, 0, &out), 0);
	assert_int_equal(out, ip("10.89.0.2"));
	/* a gateway elsewhere: .1 is free */
	assert_int_equal(net_lease_pick(&c, ip("10.89.0.254"), NULL, 0, &out), 0);
	assert_int_equal(out, ip("10.89.0.1"));
	/* the lowest free, holes reused */
	taken[n++] = ip("10.89.0.2");
	taken[n++] = ip("10.89.0.4");
	assert_int_equal(net_lease_pick(&c, ip("10.89.0.1"), taken, n, &out), 0);
	assert_int_equal(out, ip("10.89.0.3"));
	/* 253 addresses (.2 - .254) and then full: never .0 nor .255 */
	n = 0;
	for (int i = 0; i < 253; i++) {
		assert_int_equal(net_lease_pick(&c, ip("10.89.0.1"), taken, n, &out), 0);
		assert_true(net_cidr_host(&c, out));
		for (size_t k = 0; k < n; k++)
			assert_int_not_equal(taken[k], out);
		taken[n++] = out;
	}
	assert_int_equal(net_lease_pick(&c, ip("10.89.0.1"), taken, n, &out), -1);
	/* a /30: one address besides the gateway */
	assert_int_equal(net_lease_pick(&small, ip("10.89.1.1"), NULL, 0, &out), 0);
	assert_int_equal(out, ip("10.89.1.2"));
	taken[0] = out;
	assert_int_equal(net_lease_pick(&small, ip("10.89.1.1"), taken, 1, &out), -1);
}

static void test_mac_name(void **state)
{
	uint8_t m[6];

	(void)state;
	assert_int_equal(net_mac_parse("02:42:0a:59:00:05", m), 0);
	assert_int_equal(m[0], 0x02);
	assert_int_equal(m[5], 0x05);
	assert_int_equal(net_mac_parse("01:00:5e:00:00:01", m), -1); /* multicast */
	assert_int_equal(net_mac_parse("00:00:00:00:00:00", m), -1);
	assert_int_equal(net_mac_parse("02:42:0a:59:00", m), -1);
	assert_int_equal(net_mac_parse("02:42:0a:59:00:0g", m), -1);
	assert_int_equal(net_mac_parse("02-42-0a-59-00-05", m), -1);
	assert_true(net_name_valid("web"));
	assert_true(net_name_valid("my_net.1-a"));
	assert_false(net_name_valid(""));
	assert_false(net_name_valid("-x"));
	assert_false(net_name_valid("a/b"));
	assert_false(net_name_valid("a:b"));
}

static void test_resolv(void **state)
{
	const char *host = "# generated\nnameserver 127.0.0.53\nnameserver 192.0.2.53\n"
	                   "nameserver ::1\nsearch example.org\noptions edns0\n";
	char *dns[] = {"192.0.2.9"}, *search[] = {"a.test", "b.test"};
	char *t;

	(void)state;
	t = net_resolv_conf(host, NULL, 0, NULL, 0);
	assert_string_equal(t, "nameserver 192.0.2.53\nsearch example.org\noptions edns0\n");
	free(t);
	t = net_resolv_conf(host, dns, 1, search, 2);
	assert_string_equal(t, "search a.test b.test\nnameserver 192.0.2.9\noptions edns0\n");
	free(t);
	t = net_resolv_conf(NULL, NULL, 0, NULL, 0);
	assert_string_equal(t, "");
	free(t);
}

static void test_ipv6(void **state)
{
	struct net_cidr6 c, d, out, used[2];
	berth_error_t err = NULL;
	uint8_t a[16], gw[16], taken[2][16];
	const uint8_t rnd[5] = {0x12, 0x34, 0x56, 0x78, 0x9a};
	char buf[50];
	const char *bad[] = {"fd00::/47",  "fd00::/121", "fd00::",    "nonsense/64", "10.0.0.0/16",
	                     "fd00::1/64", "ff02::/64",  "fe80::/64", "::/64",       "fd00::/6x"};

	(void)state;
	assert_int_equal(net_cidr6_parse("--subnet6", "fd42:b0:1::/64", &c, &err), 0);
	net_cidr6_format(&c, buf);
	assert_string_equal(buf, "fd42:b0:1::/64");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(net_cidr6_parse("--subnet6", bad[i], &d, &err), -1);
		assert_non_null(err);
		assert_null(strchr(err->msg, '\n'));
		berth_error_release(&err);
	}
	assert_int_equal(net_ip6_parse("fd42:b0:1::5", a), 0);
	assert_true(net_cidr6_host(&c, a));
	assert_int_equal(net_ip6_parse("fd42:b0:2::5", a), 0);
	assert_false(net_cidr6_contains(&c, a));
	assert_false(net_cidr6_host(&c, c.addr));
	assert_int_equal(net_ip6_parse("10.1.2.3", a), -1);
	assert_int_equal(net_cidr6_parse("x", "fd42:b0:1::/48", &d, &err), 0);
	assert_true(net_cidr6_overlap(&c, &d));
	assert_true(net_cidr6_overlap(&d, &c));
	/* a ULA /64 from the random bytes; on a collision the next global ID */
	assert_int_equal(net_subnet6_pick(NULL, 0, rnd, &out), 0);
	net_cidr6_format(&out, buf);
	assert_string_equal(buf, "fd12:3456:789a::/64");
	used[0] = out;
	assert_int_equal(net_cidr6_parse("x", "fd00::/8", &used[1], &err), -1);
	berth_error_release(&err);
	assert_int_equal(net_subnet6_pick(used, 1, rnd, &out), 0);
	net_cidr6_format(&out, buf);
	assert_string_equal(buf, "fd12:3456:789b::/64");
	/* leases: the lowest free, never the gateway */
	memcpy(gw, c.addr, 16);
	gw[15] = 1;
	assert_int_equal(net_lease6_pick(&c, gw, NULL, 0, a), 0);
	net_ip6_format(a, buf);
	assert_string_equal(buf, "fd42:b0:1::2");
	memcpy(taken[0], a, 16);
	assert_int_equal(net_ip6_parse("fd42:b0:1::3", taken[1]), 0);
	assert_int_equal(net_lease6_pick(&c, gw, (const uint8_t(*)[16])taken, 2, a), 0);
	net_ip6_format(a, buf);
	assert_string_equal(buf, "fd42:b0:1::4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cidr_parse),  cmocka_unit_test(test_cidr_ops),
	    cmocka_unit_test(test_subnet_pick), cmocka_unit_test(test_lease_pick),
	    cmocka_unit_test(test_mac_name),    cmocka_unit_test(test_resolv),
	    cmocka_unit_test(test_ipv6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
