/* SPDX-License-Identifier: MIT */
/* Unit tests for the DNS responder's pure logic (src/engine/dns.c): answers from the network's
 * names, hostile queries (short, truncated, compression loops, pointers out of the packet),
 * names matched case-insensitively, and the resolvers a query can be forwarded to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <string.h>

static const struct dns_name names[] = {
    {.name = "web", .has4 = true, .a4 = {10, 89, 0, 2}},
    {.name = "www", .has4 = true, .a4 = {10, 89, 0, 2}},
    {.name = "db", .has4 = true, .a4 = {10, 89, 0, 3}, .has6 = true, .a6 = {0xfd, [15] = 3}},
    {.name = "pool", .has4 = true, .a4 = {10, 89, 0, 4}},
    {.name = "pool", .has4 = true, .a4 = {10, 89, 0, 5}},
};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

/* A query for name (labels given as "\3web") of type: id 0x1234, RD. */
static size_t query(uint8_t *buf, const char *wire, size_t wlen, uint16_t type)
{
	static const uint8_t hdr[12] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};

	memcpy(buf, hdr, 12);
	memcpy(buf + 12, wire, wlen);
	buf[12 + wlen] = (uint8_t)(type >> 8);
	buf[13 + wlen] = (uint8_t)type;
	buf[14 + wlen] = 0;
	buf[15 + wlen] = 1;
	return 16 + wlen;
}

static int rcode(const uint8_t *r)
{
	return r[3] & 0x0f;
}

static int ancount(const uint8_t *r)
{
	return r[6] << 8 | r[7];
}

static void test_answer_a(void **state)
{
	uint8_t q[512], r[512];
	size_t ql = query(q, "\3web", 5, ns_t_a), rl = 0;
	const char *why = "x";
	ns_msg m;
	ns_rr rr;

	(void)state;
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_REPLY);
	assert_null(why);
	assert_int_equal(r[0], 0x12);
	assert_int_equal(r[1], 0x34);
	assert_true(r[2] & 0x80); /* a response */
	assert_true(r[2] & 0x04); /* authoritative */
	assert_true(r[2] & 0x01); /* RD copied */
	assert_int_equal(rcode(r), ns_r_noerror);
	assert_int_equal(ancount(r), 1);
	/* libresolv reads it back: the question, and an A record of the same name */
	assert_int_equal(ns_initparse(r, (int)rl, &m), 0);
	assert_int_equal(ns_parserr(&m, ns_s_qd, 0, &rr), 0);
	assert_string_equal(ns_rr_name(rr), "web");
	assert_int_equal(ns_parserr(&m, ns_s_an, 0, &rr), 0);
	assert_string_equal(ns_rr_name(rr), "web");
	assert_int_equal(ns_rr_type(rr), ns_t_a);
	assert_int_equal(ns_rr_ttl(rr), DNS_TTL);
	assert_int_equal(ns_rr_rdlen(rr), 4);
	assert_memory_equal(ns_rr_rdata(rr), names[0].a4, 4);
}

static void test_case_insensitive(void **state)
{
	uint8_t q[512], r[512];
	size_t ql = query(q, "\3WeB", 5, ns_t_a), rl = 0;
	const char *why;

	(void)state;
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_REPLY);
	assert_int_equal(rcode(r), ns_r_noerror);
	assert_int_equal(ancount(r), 1);
	/* "webx" and "we" are other names */
	ql = query(q, "\4webx", 6, ns_t_a);
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_REPLY);
	assert_int_equal(rcode(r), ns_r_nxdomain);
	ql = query(q, "\2we", 4, ns_t_a);
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_REPLY);
	assert_int_equal(rcode(r), ns_r_nxdomain);
}

static void test_aaaa_and_others(void **state)
{
	uint8_t q[512], r[512];
	size_t ql, rl = 0;
	const char *why;
	ns_msg m;
	ns_rr rr;

	(void)state;
	/* web has no IPv6 address: no answer, no error */
	ql = query(q, "\3web", 5, ns_t_aaaa);
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_REPLY);
	assert_int_equal(rcode(r), ns_r_noerror);
	assert_int_equal(ancount(r), 0);
	ql = query(q, "\2db", 4, ns_t_aaaa);
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_REPLY);
	assert_int_equal(ancount(r), 1);
	assert_int_equal(ns_initparse(r, (int)rl, &m), 0);
	assert_int_equal(ns_parserr(&m, ns_s_an, 0, &rr), 0);
	assert_int_equal(ns_rr_type(rr), ns_t_aaaa);
	assert_memory_equal(ns_rr_rdata(rr), names[2].a6, 16);
	ql = query(q, "\2db", 4, ns_t_mx);
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_REPLY);
	assert_int_equal(rcode(r), ns_r_noerror);
	assert_int_equal(ancount(r), 0);
	/* a name two containers share (an alias): both addresses */
	ql = query(q, "\4pool", 6, ns_t_a);
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_REPLY);
	assert_int_equal(ancount(r), 2);
}

static void test_forward_or_nxdomain(void **state)
{
	uint8_t q[512], r[512];
	size_t ql, rl = 0;
	const char *why;

	(void)state;
	ql = query(q, "\7example\3com", 13, ns_t_a);
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_FORWARD);
	/* a dot-less name no container has: NXDOMAIN, never forwarded */
	ql = query(q, "\4gone", 6, ns_t_a);
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_REPLY);
	assert_int_equal(rcode(r), ns_r_nxdomain);
	assert_int_equal(r[5], 1); /* the question is in the reply */
	/* SERVFAIL for a forwarded one that got no answer: the question again */
	ql = query(q, "\7example\3com", 13, ns_t_a);
	rl = dns_error(q, ql, ns_r_servfail, r, sizeof(r));
	assert_int_equal(rl, ql);
	assert_int_equal(rcode(r), ns_r_servfail);
	assert_memory_equal(r + 12, q + 12, ql - 12);
}

static void test_malformed(void **state)
{
	uint8_t q[512], r[512];
	size_t ql, rl = 0;
	const char *why;

	(void)state;
	/* shorter than a header: no reply */
	ql = query(q, "\3web", 5, ns_t_a);
	assert_int_equal(dns_answer(q, 11, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_DROP);
	assert_non_null(why);
	assert_int_equal(dns_error(q, 11, ns_r_servfail, r, sizeof(r)), 0);
	/* a response: no reply (no loops between two responders) */
	q[2] |= 0x80;
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_DROP);
	/* every truncation of a good query: FORMERR (a header only), never a crash */
	ql = query(q, "\3web", 5, ns_t_a);
	for (size_t l = 12; l < ql; l++) {
		why = NULL;
		assert_int_equal(dns_answer(q, l, names, N_NAMES, r, sizeof(r), &rl, &why),
		                 DNS_REPLY);
		assert_int_equal(rcode(r), ns_r_formerr);
		assert_int_equal(rl, 12);
		assert_non_null(why);
	}
	/* two questions (both whole) */
	memcpy(q + ql, q + 12, ql - 12);
	ql += ql - 12;
	q[5] = 2;
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_REPLY);
	assert_int_equal(rcode(r), ns_r_formerr);
	/* an opcode other than QUERY */
	ql = query(q, "\3web", 5, ns_t_a);
	q[2] = 0x28;
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_REPLY);
	assert_int_equal(rcode(r), ns_r_notimpl);
	/* a label longer than the packet */
	ql = query(q, "\77web", 5, ns_t_a);
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_REPLY);
	assert_int_equal(rcode(r), ns_r_formerr);
}

static void test_compression(void **state)
{
	uint8_t q[512], r[512];
	size_t ql, rl = 0;
	const char *why;

	(void)state;
	/* the question's name a pointer to itself */
	ql = query(q, "\xc0\x0c", 2, ns_t_a);
	why = NULL;
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_REPLY);
	assert_int_equal(rcode(r), ns_r_formerr);
	assert_non_null(why);
	/* a label, then a pointer back to the label: a loop of two */
	ql = query(q, "\3web\xc0\x0c", 6, ns_t_a);
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_REPLY);
	assert_int_equal(rcode(r), ns_r_formerr);
	/* a pointer past the end of the packet */
	ql = query(q, "\xc1\xff", 2, ns_t_a);
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_REPLY);
	assert_int_equal(rcode(r), ns_r_formerr);
	/* a reserved label type (0x40) */
	ql = query(q, "\x41x\0", 3, ns_t_a);
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, sizeof(r), &rl, &why), DNS_REPLY);
	assert_int_equal(rcode(r), ns_r_formerr);
}

static void test_small_reply_buffer(void **state)
{
	uint8_t q[512], r[512];
	size_t ql = query(q, "\4pool", 6, ns_t_a), rl = 0;
	const char *why;

	(void)state;
	/* room for the header, the question and one answer: the other cut, TC set */
	assert_int_equal(dns_answer(q, ql, names, N_NAMES, r, ql + 16 + 8, &rl, &why), DNS_REPLY);
	assert_int_equal(ancount(r), 1);
	assert_true(r[2] & 0x02);
	assert_true(rl <= ql + 16 + 8);
}

static void test_resolvers(void **state)
{
	struct sockaddr_storage ns[3];
	const char *text = "# comment\n"
	                   "nameserver 127.0.0.53\n"
	                   "nameserver ::1\n"
	                   "nameserver 0.0.0.0\n"
	                   "nameserver fe80::1\n"
	                   "nameserver ::ffff:127.0.0.1\n"
	                   "nameserver\n"
	                   "10.0.0.9\n"
	                   "search example.com\n"
	                   "nameserver 192.0.2.7\n"
	                   "nameserver 2001:db8::53\n"
	                   "nameserver not-an-address\n";
	char a[INET6_ADDRSTRLEN];

	(void)state;
	assert_int_equal(dns_resolvers(text, ns, 3), 2);
	assert_int_equal(ns[0].ss_family, AF_INET);
	inet_ntop(AF_INET, &((struct sockaddr_in *)&ns[0])->sin_addr, a, sizeof(a));
	assert_string_equal(a, "192.0.2.7");
	assert_int_equal(ntohs(((struct sockaddr_in *)&ns[0])->sin_port), 53);
	assert_int_equal(ns[1].ss_family, AF_INET6);
	inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ns[1])->sin6_addr, a, sizeof(a));
	assert_string_equal(a, "2001:db8::53");
	assert_int_equal(dns_resolvers("nameserver 127.0.0.1\n", ns, 3), 0);
	assert_int_equal(dns_resolvers(text, ns, 1), 1);
}

static void test_reply_matches(void **state)
{
	uint8_t q[512], r[512];
	size_t ql = query(q, "\7example\3com", 13, ns_t_a), rl;

	(void)state;
	rl = dns_error(q, ql, ns_r_nxdomain, r, sizeof(r));
	assert_true(dns_reply_matches(q, ql, r, rl));
	r[1] ^= 1; /* another id */
	assert_false(dns_reply_matches(q, ql, r, rl));
	r[1] ^= 1;
	assert_false(dns_reply_matches(q, ql, r, rl - 1)); /* cut short */
	assert_false(dns_reply_matches(q, ql, q, ql));     /* a query, not a reply */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_answer_a),           cmocka_unit_test(test_case_insensitive),
	    cmocka_unit_test(test_aaaa_and_others),    cmocka_unit_test(test_forward_or_nxdomain),
	    cmocka_unit_test(test_malformed),          cmocka_unit_test(test_compression),
	    cmocka_unit_test(test_small_reply_buffer), cmocka_unit_test(test_resolvers),
	    cmocka_unit_test(test_reply_matches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
