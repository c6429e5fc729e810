/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the DNS responder's handling of a query (dns_answer, dns_error and
 * dns_reply_matches in src/engine/dns.c), which a container sends and so is hostile; and the
 * nameserver lines of a resolv.conf (dns_resolvers) on the same bytes. Every reply must fit
 * its buffer and parse again with libresolv, with the query's id. */
#include "dns.h"

#include <arpa/nameser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct dns_name names[] = {
    {.name = "web", .has4 = true, .a4 = {10, 89, 0, 2}},
    {.name = "www", .has4 = true, .a4 = {10, 89, 0, 2}, .has6 = true, .a6 = {0xfd, [15] = 2}},
    {.name = "pool", .has4 = true, .a4 = {10, 89, 0, 4}},
    {.name = "pool", .has4 = true, .a4 = {10, 89, 0, 5}},
};

static void check_reply(const uint8_t *q, size_t qlen, const uint8_t *r, size_t rlen, size_t cap)
{
	ns_msg m;

	if (rlen > cap || rlen < 12 || r[0] != q[0] || r[1] != q[1] || !(r[2] & 0x80))
		abort();
	if (ns_initparse(r, (int)rlen, &m) < 0)
		abort();
	if (!dns_reply_matches(q, qlen, r, rlen))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[DNS_UDP_MAX];
	size_t olen = 0, cap;
	const char *why = NULL;
	struct sockaddr_storage ns[3];
	char *text;

	/* the reply buffer's size from the first byte: cut answers are exercised too */
	cap = size ? 12 + (size_t)data[0] % (sizeof(out) - 11) : sizeof(out);
	if (size > 0) {
		data++;
		size--;
	}
	if (dns_answer(data, size, names, sizeof(names) / sizeof(names[0]), out, cap, &olen,
	               &why) == DNS_REPLY)
		check_reply(data, size, out, olen, cap);
	olen = dns_error(data, size, ns_r_servfail, out, sizeof(out));
	if (olen)
		check_reply(data, size, out, olen, sizeof(out));
	text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (dns_resolvers(text, ns, 3) > 3)
		abort();
	free(text);
	return 0;
}
