/* SPDX-License-Identifier: MIT */
/* A network's DNS responder, as aardvark-dns is Podman's: one process per user-created network
 * that has containers, in the host's namespaces, on the network's gateway address, UDP port
 * 53. It answers the names of the network's containers (their names and --network-alias,
 * from networks/leases.json, read at each query) and forwards other names to
 * the host's resolvers (dns.c decides which). It is forked from the engine process that
 * attaches the network's first container (a monitor, or `berth run` itself), double-forked
 * into a session of its own so that it outlives that command, and recorded in
 * networks/<name>.dns.pid ("PID START-TIME"); the last container's detachment, `network rm`
 * and `prune` kill it and remove the file. A pid file whose process is gone (killed -9) is
 * stale: the next attachment starts another responder. All of it under networks/lock. */
#include "dns.h"
#include "network.h"
#include <jansson.h>
#include "util.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DNSD_FORWARDS  16 /* forwarded queries in flight at once; more get SERVFAIL */
#define DNSD_LOG_LINES 20 /* bad packets logged, one line each; then one line saying so */

const char *dnsd_resolv_path(void)
{
	const char *p = getenv("BERTH_RESOLV_CONF");
	return p && p[0] ? p : "/etc/resolv.conf";
}

/* The pid of network's responder from its pid file, when that process still lives. */
static pid_t dnsd_pid(const char *pidp)
{
	char buf[64] = "";
	long long pid = 0;
	unsigned long long start = 0;
	FILE *f = fopen(pidp, "re");

	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) == NULL || sscanf(buf, "%lld %llu", &pid, &start) != 2)
		pid = 0;
	fclose(f);
	if (pid <= 0 || pid > 0x3fffffff || !ctr_pid_alive((pid_t)pid, start, NULL))
		return 0;
	return (pid_t)pid;
}

/* ---- the responder ----------------------------------------------------------------------- */

struct dnsd {
	const char *network, *leases, *pidp, *resolv;
	int sock;
	uint32_t subnet, mask; /* the network's, host order */
	pid_t self;
	unsigned bad;
	json_t *doc;
	struct dns_name *names;
	size_t n_names, n_forwards;
};

static void dnsd_bad(struct dnsd *d, const struct sockaddr_in *from, const char *why)
{
	char a[INET_ADDRSTRLEN] = "?";

	if (d->bad++ > DNSD_LOG_LINES)
		return;
	inet_ntop(AF_INET, &from->sin_addr, a, sizeof(a));
	if (d->bad > DNSD_LOG_LINES)
		fprintf(stderr, "berth-dns %s: more bad packets, not logged\n", d->network);
	else
		fprintf(stderr, "berth-dns %s: a bad query from %s:%u: %s\n", d->network, a,
		        ntohs(from->sin_port), why);
}

static void dnsd_add(struct dnsd *d, const char *name, json_t *lease)
{
	struct dns_name *n;
	struct in_addr a4;
	struct in6_addr a6;

	if (name == NULL || name[0] == '\0')
		return;
	d->names = xrealloc(d->names, (d->n_names + 1) * sizeof(*d->names));
	n = &d->names[d->n_names++];
	memset(n, 0, sizeof(*n));
	n->name = name;
	if (inet_pton(AF_INET, json_string_value(json_object_get(lease, "ip")) ?: "", &a4) == 1) {
		memcpy(n->a4, &a4, 4);
		n->has4 = true;
	}
	/* an IPv6 address, when the lease has one */
	if (inet_pton(AF_INET6, json_string_value(json_object_get(lease, "ip6")) ?: "", &a6) == 1) {
		memcpy(n->a6, &a6, 16);
		n->has6 = true;
	}
}

/* The network's names from leases.json, read at each query (it is replaced whole by a
 * rename, so it is never seen half-written; a cache keyed on its inode and mtime could miss
 * two writes within a clock tick). */
static void dnsd_load(struct dnsd *d)
{
	json_t *l, *a;
	size_t i, j;

	json_decref(d->doc);
	free(d->names);
	d->names = NULL;
	d->n_names = 0;
	d->doc = json_load_file(d->leases, 0, NULL);
	if (!json_is_array(d->doc)) {
		json_decref(d->doc);
		d->doc = json_array();
	}
	json_array_foreach(d->doc, i, l)
	{
		if (strcmp(json_string_value(json_object_get(l, "network")) ?: "", d->network) != 0)
			continue;
		dnsd_add(d, json_string_value(json_object_get(l, "name")), l);
		json_array_foreach(json_object_get(l, "aliases"), j, a)
		    dnsd_add(d, json_string_value(a), l);
	}
}

/* In a child: ask the host's resolvers (each in turn, twice, 2 s each) and relay the reply;
 * SERVFAIL when none answers or none is usable. */
static void dnsd_forward(struct dnsd *d, const uint8_t *q, size_t qlen,
                         const struct sockaddr_in *from)
{
	struct sockaddr_storage ns[3];
	cleanup_free char *text = NULL;
	berth_error_t err = NULL;
	uint8_t r[4096];
	size_t n = 0, len;

	if (util_read_file(d->resolv, &text, &len, &err) == 0)
		n = dns_resolvers(text, ns, 3);
	berth_error_release(&err);
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < n; i++) {
			socklen_t sl = ns[i].ss_family == AF_INET ? sizeof(struct sockaddr_in)
			                                          : sizeof(struct sockaddr_in6);
			cleanup_close int s = socket(ns[i].ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			struct pollfd p = {.fd = s, .events = POLLIN};
			ssize_t got;
			if (s < 0 || connect(s, (struct sockaddr *)&ns[i], sl) < 0 ||
			    send(s, q, qlen, 0) != (ssize_t)qlen)
				continue;
			/* replies to other ids (late ones) are skipped, 16 at most */
			for (int k = 0; k < 16 && poll(&p, 1, 2000) == 1; k++) {
				got = recv(s, r, sizeof(r), 0);
				if (got > 0 && dns_reply_matches(q, qlen, r, (size_t)got)) {
					sendto(d->sock, r, (size_t)got, 0,
					       (const struct sockaddr *)from, sizeof(*from));
					return;
				}
				if (got < 0)
					break;
			}
		}
	len = dns_error(q, qlen, ns_r_servfail, r, sizeof(r));
	if (len)
		sendto(d->sock, r, len, 0, (const struct sockaddr *)from, sizeof(*from));
}

static void dnsd_query(struct dnsd *d, const uint8_t *q, size_t qlen,
                       const struct sockaddr_in *from)
{
	uint8_t out[DNS_UDP_MAX];
	size_t olen = 0;
	const char *why = NULL;
	enum dns_action act;
	pid_t child;

	dnsd_load(d);
	act = dns_answer(q, qlen, d->names, d->n_names, out, sizeof(out), &olen, &why);
	if (why)
		dnsd_bad(d, from, why);
	if (act == DNS_REPLY) {
		sendto(d->sock, out, olen, 0, (const struct sockaddr *)from, sizeof(*from));
		return;
	}
	if (act == DNS_DROP)
		return;
	/* forwarded in a child, so that a slow resolver holds up no other query */
	child = d->n_forwards < DNSD_FORWARDS ? fork() : -1;
	if (child == 0) {
		/* dies with the responder */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != d->self)
			_exit(0);
		dnsd_forward(d, q, qlen, from);
		_exit(0);
	}
	if (child > 0) {
		d->n_forwards++;
		return;
	}
	olen = dns_error(q, qlen, ns_r_servfail, out, sizeof(out));
	if (olen)
		sendto(d->sock, out, olen, 0, (const struct sockaddr *)from, sizeof(*from));
}

/* Whether this responder is still the network's (its pid file names it). */
static bool dnsd_wanted(struct dnsd *d)
{
	return dnsd_pid(d->pidp) == d->self;
}

static _Noreturn void dnsd_main(struct dnsd *d)
{
	uint8_t buf[4096];
	long long checked = util_now_ns();
	/* the pid file is written by the process that started this one, under the lock: give
	 * it time before looking */
	bool seen = false;
	int unseen = 0;

	for (;;) {
		struct pollfd p = {.fd = d->sock, .events = POLLIN};
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n;

		while (waitpid(-1, NULL, WNOHANG) > 0)
			d->n_forwards--;
		if (util_now_ns() - checked > 1000000000LL) {
			checked = util_now_ns();
			if (dnsd_wanted(d))
				seen = true;
			else if (seen || ++unseen > 30)
				_exit(0); /* replaced, stopped, or the engine's root is gone */
		}
		if (poll(&p, 1, 1000) != 1)
			continue;
		n = recvfrom(d->sock, buf, sizeof(buf), MSG_TRUNC, (struct sockaddr *)&from, &fl);
		if (n < 0 || fl != sizeof(from) || from.sin_family != AF_INET)
			continue;
		/* the network's containers only: not another network's, routed through the host */
		if ((ntohl(from.sin_addr.s_addr) & d->mask) != d->subnet)
			continue;
		if ((size_t)n > sizeof(buf)) {
			dnsd_bad(d, &from, "longer than 4096 bytes");
			continue;
		}
		dnsd_query(d, buf, (size_t)n, &from);
	}
}

/* ---- start and stop ------------------------------------------------------------------------ */

static int dnsd_bind(const char *network, const char *gateway, int *out, berth_error_t *err)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
	cleanup_close int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int one = 1;

	if (s < 0)
		return berth_error(err, errno, "network \"%s\": DNS: socket", network);
	if (inet_pton(AF_INET, gateway, &sa.sin_addr) != 1)
		return berth_error(err, 0, "network \"%s\": DNS: bad gateway `%s`", network,
		                   gateway);
	setsockopt(s, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	/* a responder just killed may leave forwarding children for an instant */
	for (int i = 0; bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0; i++) {
		if (errno != EADDRINUSE || i >= 300)
			return berth_error(err, errno, "network \"%s\": DNS: bind %s:53", network,
			                   gateway);
		usleep(10000);
	}
	*out = s;
	s = -1;
	return 0;
}

int dnsd_ensure(struct engine *e, const char *network, const char *gateway, int prefix,
                berth_error_t *err)
{
	cleanup_free char *pidp = engine_path(e, "networks/%s.dns.pid", network);
	cleanup_free char *logp = engine_path(e, "networks/%s.dns.log", network);
	cleanup_free char *leases = engine_path(e, "networks/leases.json");
	cleanup_close int sock = -1;
	cleanup_close int logfd = -1;
	int p[2], reaper = 0;
	pid_t child, pid = 0;
	unsigned long long start = 0;
	char text[64];

	if (dnsd_pid(pidp) > 0)
		return 0;
	unlink(pidp);
	if (dnsd_bind(network, gateway, &sock, err) < 0)
		return -1;
	logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (logfd < 0)
		return berth_error(err, errno, "open `%s`", logp);
	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error(err, errno, "pipe");
	/* not our subreaper's child once its parent exits: it belongs to no container */
	prctl(PR_GET_CHILD_SUBREAPER, &reaper, 0, 0, 0);
	if (reaper)
		prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
	child = fork();
	if (child == 0) {
		pid_t gc;
		close(p[0]);
		setsid();
		gc = fork();
		if (gc != 0) {
			util_write_all(p[1], &gc, sizeof(gc));
			_exit(0);
		} else {
			struct dnsd d = {.network = network,
			                 .leases = leases,
			                 .pidp = pidp,
			                 .resolv = dnsd_resolv_path(),
			                 .sock = sock,
			                 .self = getpid()};
			struct in_addr gw;
			int null = open("/dev/null", O_RDWR | O_CLOEXEC);
			int keep[1] = {sock};
			sigset_t none;
			inet_pton(AF_INET, gateway, &gw);
			d.mask = prefix <= 0    ? 0
			         : prefix >= 32 ? 0xffffffffu
			                        : ~(0xffffffffu >> prefix);
			d.subnet = ntohl(gw.s_addr) & d.mask;
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			signal(SIGHUP, SIG_IGN);
			signal(SIGPIPE, SIG_IGN);
			signal(SIGCHLD, SIG_DFL);
			dup2(null, 0);
			dup2(null, 1);
			dup2(logfd, 2);
			/* the network lock's fd among them: the lock stays its holder's */
			util_close_fds_except(3, keep, 1);
			if (chdir("/") < 0)
				_exit(1);
			prctl(PR_SET_NAME, "berth-dns", 0, 0, 0);
			dnsd_main(&d);
		}
	}
	close(p[1]);
	if (child > 0)
		waitpid(child, NULL, 0);
	if (reaper)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (child < 0) {
		close(p[0]);
		return berth_error(err, errno, "fork");
	}
	if (util_read_all(p[0], &pid, sizeof(pid)) != sizeof(pid) || pid <= 0) {
		close(p[0]);
		return berth_error(err, 0, "network \"%s\": the DNS responder did not start",
		                   network);
	}
	close(p[0]);
	if (!ctr_pid_alive(pid, 0, &start))
		return berth_error(err, 0, "network \"%s\": the DNS responder exited at once",
		                   network);
	snprintf(text, sizeof(text), "%d %llu\n", (int)pid, start);
	if (util_write_file_atomic(pidp, text, strlen(text), 0600, err) < 0) {
		kill(pid, SIGKILL);
		return -1;
	}
	return 0;
}

void dnsd_stop(struct engine *e, const char *network)
{
	cleanup_free char *pidp = engine_path(e, "networks/%s.dns.pid", network);
	cleanup_free char *logp = engine_path(e, "networks/%s.dns.log", network);
	pid_t pid = dnsd_pid(pidp);

	if (pid > 0) {
		kill(pid, SIGKILL);
		/* gone (or a zombie) before its address and port are wanted again */
		for (int i = 0; i < 500 && ctr_pid_alive(pid, 0, NULL); i++)
			usleep(10000);
	}
	unlink(pidp);
	unlink(logp);
}
