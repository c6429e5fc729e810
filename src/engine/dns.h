/* SPDX-License-Identifier: MIT */
/* The DNS logic of a network's responder (dns.c, pure and unit-tested; the process is
 * dnsd.c): a query from a container, parsed with libresolv's ns_initparse / ns_parserr, is
 * answered from the network's names, refused, or handed back to be forwarded. Every query is
 * hostile (a container sends it): lengths, offsets and compression pointers are bounded by
 * libresolv's parser, which also rejects compression loops. */
#ifndef BERTH_ENGINE_DNS_H
#define BERTH_ENGINE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* The TTL of the network's own answers: short, since a container's name goes with it. */
#define DNS_TTL 5
/* The largest reply sent over UDP (no EDNS0 is answered with): the rest is cut, with TC. */
#define DNS_UDP_MAX 512

/* One name of the network: a container's name or alias, with its addresses. */
struct dns_name {
	const char *name;
	bool has4, has6;
	uint8_t a4[4];
	uint8_t a6[16];
};

enum dns_action {
	DNS_DROP,    /* no reply: too short to carry an id, or a response */
	DNS_REPLY,   /* out[*outlen] is the reply (an answer, NXDOMAIN, FORMERR, NOTIMP …) */
	DNS_FORWARD, /* a name the network does not have (with a dot): ask the host's resolvers */
};

/* The reply to the query q[qlen] from names[n]: a name without a dot that no container has
 * is NXDOMAIN (never forwarded); a name found is answered (A, AAAA, or nothing for other
 * types), case-insensitively. *why says what was wrong with a malformed query (FORMERR or
 * DROP), else NULL. out has room for cap bytes (at least 12). */
enum dns_action dns_answer(const uint8_t *q, size_t qlen, const struct dns_name *names, size_t n,
                           uint8_t *out, size_t cap, size_t *outlen, const char **why);
/* A reply to the query q[qlen] with rcode (ns_r_servfail, ns_r_refused) and no answer;
 * 0 when q gets none (see DNS_DROP). */
size_t dns_error(const uint8_t *q, size_t qlen, int rcode, uint8_t *out, size_t cap);
/* Whether reply r[rlen] answers the query q (its id, a response, parseable). */
bool dns_reply_matches(const uint8_t *q, size_t qlen, const uint8_t *r, size_t rlen);
/* The nameservers of resolv.conf text a container's queries can be forwarded to (port 53):
 * every `nameserver` but loopback (127.0.0.0/8, ::1), unspecified and link-local ones (the
 * responder runs in the host's namespace but speaks for the containers). At most max. */
size_t dns_resolvers(const char *text, struct sockaddr_storage *out, size_t max);

#endif
