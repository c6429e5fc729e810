/* SPDX-License-Identifier: MIT */
/* Unit tests for -p/--publish parsing and host port reservation (src/engine/ports.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "firewall.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The parsed ports of spec as one line each: "PROTO FAMILY HOSTIP HOST[-END] CTR", joined
 * by `|`; or "ERR <message>". */
static char *parse_text(const char *spec)
{
	struct fw_port *ports = NULL;
	size_t n = 0;
	berth_error_t err = NULL;
	static char buf[4096];
	size_t k = 0;

	if (port_parse(spec, &ports, &n, &err) < 0) {
		snprintf(buf, sizeof(buf), "ERR %s", err->msg);
		berth_error_release(&err);
		assert_null(ports);
		assert_int_equal(n, 0);
		return buf;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < n && k < sizeof(buf) - 128; i++) {
		const struct fw_port *p = &ports[i];
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%s %s %s %u", i ? "|" : "",
		                      p->proto == IPPROTO_UDP ? "udp" : "tcp",
		                      p->family == AF_INET    ? "4"
		                      : p->family == AF_INET6 ? "6"
		                                              : "any",
		                      p->host_ip[0] ? p->host_ip : "*", p->host_port);
		if (p->host_port_end)
			k += (size_t)snprintf(buf + k, sizeof(buf) - k, "-%u", p->host_port_end);
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, " %u", p->ctr_port);
	}
	free(ports);
	return buf;
}

static void test_parse_good(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
	    {"80", "tcp any * 0 80"},
	    {"80/tcp", "tcp any * 0 80"},
	    {"53/udp", "udp any * 0 53"},
	    {"65535", "tcp any * 0 65535"},
	    {"1:1", "tcp any * 1 1"},
	    {"8080:80", "tcp any * 8080 80"},
	    {"8080:80/udp", "udp any * 8080 80"},
	    {"80-82", "tcp any * 0 80|tcp any * 0 81|tcp any * 0 82"},
	    {"8000-8002:80-82", "tcp any * 8000 80|tcp any * 8001 81|tcp any * 8002 82"},
	    {"8000-8002:80-82/udp", "udp any * 8000 80|udp any * 8001 81|udp any * 8002 82"},
	    {"8000-8010:80", "tcp any * 8000-8010 80"},
	    {"8000-8000:80-80", "tcp any * 8000 80"},
	    {"127.0.0.1:8080:80", "tcp 4 127.0.0.1 8080 80"},
	    {"127.0.0.1::80", "tcp 4 127.0.0.1 0 80"},
	    {"127.0.0.1::80/udp", "udp 4 127.0.0.1 0 80"},
	    {"0.0.0.0:8080:80", "tcp 4 * 8080 80"},
	    {"10.1.2.3:8000-8001:80-81", "tcp 4 10.1.2.3 8000 80|tcp 4 10.1.2.3 8001 81"},
	    {"[::1]:8080:80", "tcp 6 ::1 8080 80"},
	    {"[::]:8080:80", "tcp 6 * 8080 80"},
	    {"[::]::80/udp", "udp 6 * 0 80"},
	    {"[fd00:0:0::5]:443:8443", "tcp 6 fd00::5 443 8443"},
	    {"[::ffff:127.0.0.1]:1:2", "tcp 6 ::ffff:127.0.0.1 1 2"},
	    {"08080:080", "tcp any * 8080 80"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("%s\n", cases[i][0]);
		assert_string_equal(parse_text(cases[i][0]), cases[i][1]);
	}
}

static void test_parse_bad(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
	    {"", "--publish ``: expected [IP:][HOSTPORT:]CTRPORT[/tcp|/udp]"},
	    {"0", "--publish `0`: container port `0`: 0 is not a port"},
	    {"0:80", "--publish `0:80`: host port `0`: 0 is not a port (omit the host port for a "
	             "free one)"},
	    {"65536", "--publish `65536`: container port `65536` is more than 65535"},
	    {"99999999999999999999", "--publish `99999999999999999999`: container port "
	                             "`99999999999999999999` is more than 65535"},
	    {"70000:80", "--publish `70000:80`: host port `70000` is more than 65535"},
	    {"8000-70000:80", "--publish `8000-70000:80`: host port `8000-70000` is more than "
	                      "65535"},
	    {"abc", "--publish `abc`: container port `abc` is not a number or a range LO-HI"},
	    {"80x", "--publish `80x`: container port `80x` is not a number or a range LO-HI"},
	    {"-80", "--publish `-80`: container port `-80` is not a number or a range LO-HI"},
	    {"80-", "--publish `80-`: container port `80-` is not a number or a range LO-HI"},
	    {"80-90-100", "--publish `80-90-100`: container port `80-90-100` is not a number or "
	                  "a range LO-HI"},
	    {" 80", "--publish ` 80`: container port ` 80` is not a number or a range LO-HI"},
	    {"+80", "--publish `+80`: container port `+80` is not a number or a range LO-HI"},
	    {"90-80", "--publish `90-80`: container port range `90-80` ends before it starts"},
	    {"8080:", "--publish `8080:`: missing container port"},
	    {":80", "--publish `:80`: empty host port (give CTRPORT alone for a free host port)"},
	    {"80/sctp", "--publish `80/sctp`: protocol `sctp`: expected tcp or udp"},
	    {"80/TCP", "--publish `80/TCP`: protocol `TCP`: expected tcp or udp"},
	    {"80/", "--publish `80/`: protocol ``: expected tcp or udp"},
	    {"80/tcp/udp", "--publish `80/tcp/udp`: protocol `tcp/udp`: expected tcp or udp"},
	    {"8000-8002:80-81", "--publish `8000-8002:80-81`: host range 8000-8002 (3 ports) and "
	                        "container range 80-81 (2 ports) differ in length"},
	    {"8080:80-82", "--publish `8080:80-82`: one host port for container ports 80-82: "
	                   "give a host range as long (or no host port, for free ones)"},
	    {"1.2.3.4:80", "--publish `1.2.3.4:80`: host port `1.2.3.4` is not a number or a "
	                   "range LO-HI"},
	    {"1.2.3:8080:80", "--publish `1.2.3:8080:80`: `1.2.3` is not an IPv4 address (an "
	                      "IPv6 address goes in brackets: [::1]:8080:80)"},
	    {"localhost:8080:80", "--publish `localhost:8080:80`: `localhost` is not an IPv4 "
	                          "address (an IPv6 address goes in brackets: [::1]:8080:80)"},
	    {"::8080:80", "--publish `::8080:80`: too many `:` (an IPv6 host address goes in "
	                  "brackets: [::1]:8080:80)"},
	    {"::1:8080:80", "--publish `::1:8080:80`: too many `:` (an IPv6 host address goes in "
	                    "brackets: [::1]:8080:80)"},
	    {":8080:80", "--publish `:8080:80`: empty host address"},
	    {"[::1]:80", "--publish `[::1]:80`: expected [IPV6]:HOSTPORT:CTRPORT or "
	                 "[IPV6]::CTRPORT after the address"},
	    {"[::1]8080:80", "--publish `[::1]8080:80`: expected [IPV6]:HOSTPORT:CTRPORT or "
	                     "[IPV6]::CTRPORT after the address"},
	    {"[::1:8080:80", "--publish `[::1:8080:80`: `[` without `]`"},
	    {"[1.2.3.4]:8080:80", "--publish `[1.2.3.4]:8080:80`: `1.2.3.4` is not an IPv6 "
	                          "address"},
	    {"[fe80::1%eth0]:8080:80", "--publish `[fe80::1%eth0]:8080:80`: `fe80::1%eth0` is "
	                               "not an IPv6 address"},
	    {"[::1]:8080:80:90", "--publish `[::1]:8080:80:90`: too many `:`"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[512];
		print_message("%s\n", cases[i][0]);
		snprintf(want, sizeof(want), "ERR %s", cases[i][1]);
		assert_string_equal(parse_text(cases[i][0]), want);
	}
}

/* NULL, too long, and a message that stays one line whatever the input holds */
static void test_parse_hostile(void **state)
{
	(void)state;
	struct fw_port *ports = NULL;
	size_t n = 0;
	berth_error_t err = NULL;
	char big[1000];

	assert_int_equal(port_parse(NULL, &ports, &n, &err), -1);
	berth_error_release(&err);
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(port_parse(big, &ports, &n, &err), -1);
	assert_non_null(strstr(err->msg, "longer than 255 bytes"));
	assert_true(strlen(err->msg) < 200);
	berth_error_release(&err);
	assert_int_equal(port_parse("80\n/tcp", &ports, &n, &err), -1);
	assert_null(strchr(err->msg, '\n'));
	berth_error_release(&err);
	assert_null(ports);
	assert_int_equal(n, 0);
}

/* Several arguments append; a bad one leaves what was there untouched. */
static void test_parse_append(void **state)
{
	(void)state;
	struct fw_port *ports = NULL;
	size_t n = 0;
	berth_error_t err = NULL;

	assert_int_equal(port_parse("8080:80", &ports, &n, &err), 0);
	assert_int_equal(port_parse("9000-9001:90-91/udp", &ports, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(port_parse("9000-9001:90", &ports, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_int_equal(port_parse("bad", &ports, &n, &err), -1);
	berth_error_release(&err);
	assert_int_equal(n, 4);
	assert_int_equal(ports[0].host_port, 8080);
	assert_int_equal(ports[0].ctr_port, 80);
	assert_int_equal(ports[2].proto, IPPROTO_UDP);
	assert_int_equal(ports[2].host_port, 9001);
	assert_int_equal(ports[2].ctr_port, 91);
	assert_int_equal(ports[3].host_port, 9000);
	assert_int_equal(ports[3].host_port_end, 9001);
	free(ports);
}

/* A TCP socket bound to 127.0.0.1 on a free port; the port in *port. */
static int bound_socket(int type, uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void test_reserve(void **state)
{
	(void)state;
	struct fw_port *ports = NULL;
	size_t n = 0;
	berth_error_t err = NULL;
	int fds[3];
	uint16_t busy;
	int busy_fd = bound_socket(SOCK_STREAM, &busy);
	char spec[64], want[128];

	/* free ports chosen, and each is really held: binding it again fails */
	assert_int_equal(port_parse("127.0.0.1::80", &ports, &n, &err), 0);
	assert_int_equal(port_parse("127.0.0.1::53/udp", &ports, &n, &err), 0);
	assert_int_equal(port_reserve(ports, n, fds, &err), 0);
	assert_int_not_equal(ports[0].host_port, 0);
	assert_int_not_equal(ports[1].host_port, 0);
	for (size_t i = 0; i < n; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET,
		                        .sin_port = htons(ports[i].host_port),
		                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int type = ports[i].proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
		int fd = socket(AF_INET, type, 0);
		assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), -1);
		assert_int_equal(errno, EADDRINUSE);
		close(fd);
		close(fds[i]);
	}
	free(ports);
	ports = NULL;
	n = 0;

	/* a port in use is refused, nothing stays bound and the ports are as they were */
	snprintf(spec, sizeof(spec), "127.0.0.1:%u:80", busy);
	assert_int_equal(port_parse("127.0.0.1::81", &ports, &n, &err), 0);
	assert_int_equal(port_parse(spec, &ports, &n, &err), 0);
	assert_int_equal(port_reserve(ports, n, fds, &err), -1);
	snprintf(want, sizeof(want), "host port %u/tcp on 127.0.0.1 is already in use", busy);
	assert_string_equal(err->msg, want);
	berth_error_release(&err);
	assert_int_equal(ports[0].host_port, 0);
	assert_int_equal(fds[0], -1);
	assert_int_equal(fds[1], -1);
	free(ports);
	ports = NULL;
	n = 0;

	/* the same port on every address is in use too (the dual-stack wildcard) */
	snprintf(spec, sizeof(spec), "%u:80", busy);
	assert_int_equal(port_parse(spec, &ports, &n, &err), 0);
	assert_int_equal(port_reserve(ports, n, fds, &err), -1);
	snprintf(want, sizeof(want), "host port %u/tcp is already in use", busy);
	assert_string_equal(err->msg, want);
	berth_error_release(&err);
	free(ports);
	ports = NULL;
	n = 0;

	/* a host range takes the first free one */
	snprintf(spec, sizeof(spec), "127.0.0.1:%u-%u:80", busy, busy + 1);
	assert_int_equal(port_parse(spec, &ports, &n, &err), 0);
	if (port_reserve(ports, n, fds, &err) == 0) {
		assert_int_equal(ports[0].host_port, busy + 1);
		assert_int_equal(ports[0].host_port_end, 0);
		close(fds[0]);
	} else { /* busy + 1 happened to be taken by someone else */
		berth_error_release(&err);
	}
	free(ports);
	ports = NULL;
	n = 0;

	/* two of the same in one request */
	assert_int_equal(port_parse("127.0.0.1:0-0:80", &ports, &n, &err), -1);
	berth_error_release(&err);
	snprintf(spec, sizeof(spec), "127.0.0.1:%u:80", busy + 2);
	assert_int_equal(port_parse(spec, &ports, &n, &err), 0);
	assert_int_equal(port_parse(spec, &ports, &n, &err), 0);
	assert_int_equal(port_reserve(ports, n, fds, &err), -1);
	assert_non_null(strstr(err->msg, "is already in use"));
	berth_error_release(&err);
	free(ports);
	ports = NULL;
	n = 0;

	/* UDP and TCP are separate: the TCP port in use is free for UDP */
	snprintf(spec, sizeof(spec), "127.0.0.1:%u:80/udp", busy);
	assert_int_equal(port_parse(spec, &ports, &n, &err), 0);
	assert_int_equal(port_reserve(ports, n, fds, &err), 0);
	close(fds[0]);
	free(ports);
	ports = NULL;
	n = 0;

	/* an address the host does not have (bind only: nothing is sent) */
	assert_int_equal(port_parse("192.0.2.1:8080:80", &ports, &n, &err), 0);
	assert_int_equal(port_reserve(ports, n, fds, &err), -1);
	assert_string_equal(err->msg,
	                    "host port 8080/tcp on 192.0.2.1: 192.0.2.1 is not an address of this "
	                    "host");
	berth_error_release(&err);
	free(ports);
	close(busy_fd);
	assert_int_equal(port_reserve(NULL, 0, fds, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_good),    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_parse_hostile), cmocka_unit_test(test_parse_append),
	    cmocka_unit_test(test_reserve),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
