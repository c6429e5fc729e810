/* SPDX-License-Identifier: MIT */
/* fwtool: drives the firewall and published-port API (src/engine/firewall.h) for
 * tests/cli/firewall.bats, before and apart from the engine's use of it.
 *   fwtool parse SPEC…                      one line per port: PROTO FAMILY HOSTIP HOST CTR
 *   fwtool reserve SPEC…                    reserve the host ports, print them, hold them
 *                                           until killed
 *   fwtool net-add NAME BRIDGE SUBNET4|- [--subnet6 CIDR] [--internal]
 *   fwtool net-del NAME
 *   fwtool bridge-port IF                   hairpin on for a bridge port
 *   fwtool ports-add ID NAME BRIDGE SUBNET4|- IP4|- [--ip6 IP6] SPEC…
 *                                           reserve, add the rules, print PROTO HOST CTR
 *   fwtool ports-del ID
 * Errors are one line on stderr and exit status 1. */
#include "firewall.h"
#include "util.h"

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(berth_error_t *err)
{
	return berth_error_print(err, "fwtool");
}

static const char *dash(const char *s)
{
	return strcmp(s, "-") == 0 ? NULL : s;
}

static void print_port(const struct fw_port *p, bool full)
{
	const char *proto = p->proto == IPPROTO_UDP ? "udp" : "tcp";

	if (!full) {
		printf("%s %u %u\n", proto, p->host_port, p->ctr_port);
		return;
	}
	printf("%s %s %s ", proto,
	       p->family == AF_INET    ? "4"
	       : p->family == AF_INET6 ? "6"
	                               : "any",
	       p->host_ip[0] ? p->host_ip : "*");
	if (p->host_port_end)
		printf("%u-%u %u\n", p->host_port, p->host_port_end, p->ctr_port);
	else
		printf("%u %u\n", p->host_port, p->ctr_port);
}

static int parse_all(char **specs, int n, struct fw_port **ports, size_t *np, berth_error_t *err)
{
	for (int i = 0; i < n; i++)
		if (port_parse(specs[i], ports, np, err) < 0)
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	berth_error_t err = NULL;
	cleanup_free struct fw_port *ports = NULL;
	cleanup_free int *fds = NULL;
	size_t np = 0;
	const char *cmd = argc > 1 ? argv[1] : "";

	if (strcmp(cmd, "parse") == 0) {
		if (parse_all(argv + 2, argc - 2, &ports, &np, &err) < 0)
			return fail(&err);
		for (size_t i = 0; i < np; i++)
			print_port(&ports[i], true);
		return 0;
	}
	if (strcmp(cmd, "reserve") == 0) {
		if (parse_all(argv + 2, argc - 2, &ports, &np, &err) < 0)
			return fail(&err);
		fds = xmalloc0((np ? np : 1) * sizeof(int));
		if (port_reserve(ports, np, fds, &err) < 0)
			return fail(&err);
		for (size_t i = 0; i < np; i++)
			print_port(&ports[i], false);
		fflush(stdout);
		for (;;)
			pause(); /* until killed: the ports stay reserved */
	}
	if (strcmp(cmd, "net-add") == 0 && argc >= 5) {
		struct fw_net net = {argv[2], argv[3], dash(argv[4]), NULL, false};
		for (int i = 5; i < argc; i++) {
			if (strcmp(argv[i], "--internal") == 0)
				net.internal = true;
			else if (strcmp(argv[i], "--subnet6") == 0 && i + 1 < argc)
				net.subnet6 = argv[++i];
			else {
				fprintf(stderr, "fwtool: net-add: unknown argument `%s`\n",
				        argv[i]);
				return 2;
			}
		}
		return fw_network_add(&net, &err) < 0 ? fail(&err) : 0;
	}
	if (strcmp(cmd, "bridge-port") == 0 && argc == 3)
		return fw_bridge_port(argv[2], &err) < 0 ? fail(&err) : 0;
	if (strcmp(cmd, "net-del") == 0 && argc == 3)
		return fw_network_del(argv[2], &err) < 0 ? fail(&err) : 0;
	if (strcmp(cmd, "ports-del") == 0 && argc == 3)
		return fw_ports_del(argv[2], &err) < 0 ? fail(&err) : 0;
	if (strcmp(cmd, "ports-add") == 0 && argc >= 7) {
		struct fw_net net = {argv[3], argv[4], dash(argv[5]), NULL, false};
		const char *ip4 = dash(argv[6]), *ip6 = NULL;
		int i = 7, rc = 0;
		if (i + 1 < argc && strcmp(argv[i], "--ip6") == 0) {
			ip6 = argv[i + 1];
			i += 2;
		}
		if (parse_all(argv + i, argc - i, &ports, &np, &err) < 0)
			return fail(&err);
		fds = xmalloc0((np ? np : 1) * sizeof(int));
		if (port_reserve(ports, np, fds, &err) < 0)
			return fail(&err);
		if (fw_ports_add(argv[2], &net, ip4, ip6, ports, np, &err) < 0)
			rc = fail(&err);
		for (size_t k = 0; k < np; k++) {
			if (rc == 0)
				print_port(&ports[k], false);
			close(fds[k]);
		}
		return rc;
	}
	fprintf(stderr, "usage: fwtool parse|reserve|net-add|net-del|ports-add|ports-del …\n");
	return 2;
}
