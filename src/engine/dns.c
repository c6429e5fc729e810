/* SPDX-License-Identifier: MIT */
/* Queries of a network's responder answered from the network's names (see dns.h). Parsing is
 * libresolv's: ns_initparse checks that every section lies inside the packet, ns_parserr
 * expands the question's name, bounding every label, length and compression pointer and
 * refusing loops. The reply is built here: a header, the question again (dn_comp), and the
 * answers, whose names point back at the question's. */
#include "dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DNS_HDR 12

/* The parsed question of a query. */
struct dns_q {
	char name[NS_MAXDNAME];
	uint16_t type, cls;
};

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The reply's header and question (or none when q is NULL); its length, 0 when cap is too
 * small. */
static size_t dns_head(const uint8_t *query, const struct dns_q *q, int rcode, bool aa,
                       uint8_t *out, size_t cap, const uint8_t **dnptrs, size_t ndnptrs)
{
	int n;

	if (cap < DNS_HDR)
		return 0;
	memset(out, 0, DNS_HDR);
	out[0] = query[0];
	out[1] = query[1];
	/* QR, the query's opcode and RD; RA: names beyond the network are forwarded */
	out[2] = (uint8_t)(0x80 | (query[2] & 0x79) | (aa ? 0x04 : 0));
	out[3] = (uint8_t)(0x80 | (rcode & 0x0f));
	if (q == NULL)
		return DNS_HDR;
	dnptrs[0] = out;
	dnptrs[1] = NULL;
	n = dn_comp(q->name, out + DNS_HDR, (int)(cap - DNS_HDR), (unsigned char **)dnptrs,
	            (unsigned char **)dnptrs + ndnptrs);
	if (n < 0 || (size_t)n + 4 > cap - DNS_HDR)
		return 0;
	put16(out + DNS_HDR + n, q->type);
	put16(out + DNS_HDR + n + 2, q->cls);
	put16(out + 4, 1);
	return DNS_HDR + (size_t)n + 4;
}

/* The question of query p[len]: 0, or the rcode of the reply (with *why), or -1: none. */
static int dns_parse(const uint8_t *p, size_t len, struct dns_q *q, const char **why)
{
	ns_msg msg;
	ns_rr rr;

	*why = NULL;
	if (len < DNS_HDR) {
		*why = "shorter than a header";
		return -1;
	}
	if (p[2] & 0x80) {
		*why = "a response, not a query";
		return -1;
	}
	if (((p[2] >> 3) & 0x0f) != ns_o_query) {
		*why = "not a standard query";
		return ns_r_notimpl;
	}
	if (ns_initparse(p, (int)len, &msg) < 0) {
		*why = "a section runs past the end of the packet";
		return ns_r_formerr;
	}
	if (ns_msg_count(msg, ns_s_qd) != 1) {
		*why = "not one question";
		return ns_r_formerr;
	}
	/* expands the name: every pointer inside the packet and backwards, loops refused */
	if (ns_parserr(&msg, ns_s_qd, 0, &rr) < 0) {
		*why = "a bad name in the question (a pointer out of the packet or a loop)";
		return ns_r_formerr;
	}
	snprintf(q->name, sizeof(q->name), "%s", ns_rr_name(rr));
	q->type = ns_rr_type(rr);
	q->cls = ns_rr_class(rr);
	return 0;
}

size_t dns_error(const uint8_t *p, size_t len, int rcode, uint8_t *out, size_t cap)
{
	const uint8_t *dnptrs[4];
	struct dns_q q;
	const char *why;
	int r = dns_parse(p, len, &q, &why);

	if (r < 0)
		return 0;
	return dns_head(p, r == 0 ? &q : NULL, rcode, false, out, cap, dnptrs, 4);
}

/* Whether the name (presentation form, with or without the root's dot) is name. */
static bool dns_same(const char *qname, const char *name)
{
	size_t l = strlen(name);

	return strncasecmp(qname, name, l) == 0 &&
	       (qname[l] == '\0' || (qname[l] == '.' && qname[l + 1] == '\0'));
}

/* One answer record: the question's name (a pointer to offset 12), type, IN, TTL, data. */
static bool dns_rr(uint8_t *out, size_t cap, size_t *off, uint16_t type, const uint8_t *data,
                   size_t dlen)
{
	uint8_t *p = out + *off;

	if (*off + 12 + dlen > cap)
		return false;
	put16(p, 0xc000 | DNS_HDR);
	put16(p + 2, type);
	put16(p + 4, ns_c_in);
	put16(p + 6, 0);
	put16(p + 8, DNS_TTL);
	put16(p + 10, (unsigned)dlen);
	memcpy(p + 12, data, dlen);
	*off += 12 + dlen;
	return true;
}

enum dns_action dns_answer(const uint8_t *p, size_t len, const struct dns_name *names, size_t n,
                           uint8_t *out, size_t cap, size_t *outlen, const char **why)
{
	const uint8_t *dnptrs[4];
	struct dns_q q;
	size_t off, count = 0;
	bool found = false, full = false;
	int r = dns_parse(p, len, &q, why);
	size_t qlen;

	if (r < 0)
		return DNS_DROP;
	if (r > 0) {
		*outlen = dns_head(p, NULL, r, false, out, cap, dnptrs, 4);
		return *outlen ? DNS_REPLY : DNS_DROP;
	}
	qlen = strlen(q.name);
	for (size_t i = 0; i < n; i++)
		if (names[i].name && dns_same(q.name, names[i].name))
			found = true;
	if (!found || (q.cls != ns_c_in && q.cls != ns_c_any)) {
		/* a dot-less name is the network's own (or nothing): NXDOMAIN, not forwarded */
		if (memchr(q.name, '.', qlen ? qlen - 1 : 0) != NULL || strcmp(q.name, ".") == 0)
			return DNS_FORWARD;
		*outlen = dns_head(p, &q, ns_r_nxdomain, true, out, cap, dnptrs, 4);
		return *outlen ? DNS_REPLY : DNS_DROP;
	}
	off = dns_head(p, &q, ns_r_noerror, true, out, cap, dnptrs, 4);
	if (off == 0)
		return DNS_DROP;
	for (size_t i = 0; i < n && !full; i++) {
		const struct dns_name *d = &names[i];
		if (d->name == NULL || !dns_same(q.name, d->name))
			continue;
		if (d->has4 && (q.type == ns_t_a || q.type == ns_t_any)) {
			full = !dns_rr(out, cap, &off, ns_t_a, d->a4, 4);
			count += !full;
		}
		if (d->has6 && !full && (q.type == ns_t_aaaa || q.type == ns_t_any)) {
			full = !dns_rr(out, cap, &off, ns_t_aaaa, d->a6, 16);
			count += !full;
		}
	}
	put16(out + 6, (unsigned)count);
	if (full)
		out[2] |= 0x02; /* TC: the rest did not fit */
	*outlen = off;
	return DNS_REPLY;
}

bool dns_reply_matches(const uint8_t *q, size_t qlen, const uint8_t *r, size_t rlen)
{
	ns_msg msg;

	return qlen >= DNS_HDR && rlen >= DNS_HDR && q[0] == r[0] && q[1] == r[1] &&
	       (r[2] & 0x80) && ns_initparse(r, (int)rlen, &msg) == 0;
}

size_t dns_resolvers(const char *text, struct sockaddr_storage *out, size_t max)
{
	size_t n = 0;
	const char *line = text;

	while (line && *line && n < max) {
		const char *end = strchr(line, '\n');
		size_t l = end ? (size_t)(end - line) : strlen(line);
		char buf[256], addr[64];
		struct sockaddr_in *s4 = (struct sockaddr_in *)&out[n];
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out[n];

		snprintf(buf, sizeof(buf), "%.*s", (int)(l < 255 ? l : 255), line);
		if (sscanf(buf, "nameserver %63s", addr) == 1) {
			memset(&out[n], 0, sizeof(out[n]));
			if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
				uint32_t a = ntohl(s4->sin_addr.s_addr);
				if ((a >> 24) != 127 && a != 0) {
					s4->sin_family = AF_INET;
					s4->sin_port = htons(53);
					n++;
				}
			} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
				const struct in6_addr *a = &s6->sin6_addr;
				bool mapped_lo = IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
				if (!IN6_IS_ADDR_LOOPBACK(a) && !IN6_IS_ADDR_UNSPECIFIED(a) &&
				    !IN6_IS_ADDR_LINKLOCAL(a) && !mapped_lo) {
					s6->sin6_family = AF_INET6;
					s6->sin6_port = htons(53);
					n++;
				}
			}
		}
		line = end ? end + 1 : NULL;
	}
	return n;
}
