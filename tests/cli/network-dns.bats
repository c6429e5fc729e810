#!/usr/bin/env bats
# The DNS responder of a user-created network (src/engine/dnsd.c, dns.c): names and aliases of
# containers started later, a removed one NXDOMAIN, forwarding to the host's resolvers, the
# responder's life (one per network, replaced after kill -9, gone with the last container).
# Packets go only between namespaces these tests make: the containers', the responder's on
# the network's bridge, and a namespace of the test's own that plays the host's resolver.
# BERTH_RESOLV_CONF points the engine at a resolv.conf of this file (never the host's), whose
# only nameservers are loopback ones (never forwarded to) or the test's namespace.
load helpers
load network-helpers

setup_file() {
	export ROOT=$BATS_FILE_TMPDIR/root
	export BERTH_RESOLV_CONF=$BATS_FILE_TMPDIR/resolv.conf
	echo 'nameserver 127.0.0.1' >"$BERTH_RESOLV_CONF"
}

setup() {
	ROOT=$BATS_FILE_TMPDIR/root
	echo 'nameserver 127.0.0.1' >"$BERTH_RESOLV_CONF"
}

gateway_of() {
	b network inspect "$1" | jq -r '.[0].gateway'
}

# the responder's pid from its pid file (nothing when there is none)
dns_pid() {
	if [ -e "$ROOT/networks/$1.dns.pid" ]; then cut -d' ' -f1 "$ROOT/networks/$1.dns.pid"; fi
}

# whether pid lives (a zombie does not)
alive() {
	[ -e "/proc/$1/stat" ] || return 1
	! grep -q '^State:[[:space:]]*[ZX]' "/proc/$1/status"
}

gone() {
	! alive "$1"
}

# whether something listens on UDP ADDR:53
listening() {
	ss -Hlun "src $1:53" | grep -q .
}

@test "containers resolve by DNS a container started later, by name and alias; a removed one is NXDOMAIN" {
	local gw ip br mac
	b network create dn1
	gw=$(gateway_of dn1)
	b run -d --name first --network dn1 --cap-add NET_RAW busybox sleep 1000
	# its resolver is the network's responder (no --dns)
	run b exec first cat /etc/resolv.conf
	[ "$status" -eq 0 ]
	[ "$output" = "nameserver $gw" ]
	b run -d --name later --network dn1 --network-alias lateralias busybox sleep 1000
	ip=$(ip_of later)
	# nslookup asks the nameserver itself (no /etc/hosts)
	run b exec first nslookup later
	[ "$status" -eq 0 ]
	[[ "$output" == *"Server:"*"$gw"* ]]
	[[ "$output" == *"Address: $ip"* ]]
	run b exec first nslookup lateralias
	[ "$status" -eq 0 ]
	[[ "$output" == *"Address: $ip"* ]]
	run b exec first nslookup LaTeR
	[ "$status" -eq 0 ]
	[[ "$output" == *"Address: $ip"* ]]
	run b exec first ping -c1 -W 10 later
	[ "$status" -eq 0 ]
	[[ "$output" == *"PING later ($ip)"* ]]
	[[ "$output" == *"1 packets received"* ]]
	# a later container resolves the earlier one too
	run b exec later nslookup first
	[ "$status" -eq 0 ]
	[[ "$output" == *"Address: $(ip_of first)"* ]]
	# the bridge keeps its MAC address when a port goes (else first's ARP entry for the
	# gateway would be stale, and its queries lost)
	br=$(b network inspect dn1 | jq -r '.[0].bridge')
	mac=$(cat "/sys/class/net/$br/address")
	b rm -f later
	[ "$(cat "/sys/class/net/$br/address")" = "$mac" ]
	run b exec first nslookup later
	[ "$status" -ne 0 ]
	[[ "$output" == *NXDOMAIN* ]]
	run b exec first nslookup lateralias
	[ "$status" -ne 0 ]
	[[ "$output" == *NXDOMAIN* ]]
}

@test "the default network serves no names: no responder, the host's resolvers" {
	b run -d --name d1 busybox sleep 1000
	[ ! -e "$ROOT/networks/berth.dns.pid" ]
	run b exec d1 cat /etc/resolv.conf
	[ "$status" -eq 0 ]
	[[ "$output" != *"$(gateway_of berth)"* ]]
	# --dns replaces the responder on a user network
	b network create dn2
	run b run --rm --network dn2 --dns 192.0.2.9 busybox cat /etc/resolv.conf
	[ "$status" -eq 0 ]
	[ "$output" = "nameserver 192.0.2.9" ]
}

@test "a name beyond the network is forwarded to the host's resolver, skipping loopback ones; none usable is SERVFAIL" {
	local ns=10.99.239
	test_ns berth-dns-$$ bd-h$$ bd-p$$
	ip addr add "$ns.1/24" dev bd-h$$
	ip -n "$TEST_NS" addr add "$ns.2/24" dev bd-p$$
	ip netns exec "$TEST_NS" python3 "$BERTH_TOP/tests/tools/dnsstub.py" "$ns.2" far.example.test \
		192.0.2.55 "$BATS_TEST_TMPDIR/stub.log" >"$BATS_TEST_TMPDIR/stub.out" 2>&1 </dev/null 3>&- &
	echo $! >"$BATS_TEST_TMPDIR/stub.pid"
	until_ok grep -q ready "$BATS_TEST_TMPDIR/stub.out"
	# the host's resolv.conf: a loopback resolver first (out of a container's reach: skipped)
	printf 'nameserver 127.0.0.1\nnameserver %s\n' "$ns.2" >"$BERTH_RESOLV_CONF"
	b network create dn3
	b run -d --name c1 --network dn3 busybox sleep 1000
	run b exec c1 nslookup far.example.test
	[ "$status" -eq 0 ]
	[[ "$output" == *"Address: 192.0.2.55"* ]]
	# asked by the responder, from the host's side of the test's veth
	grep -qx "$ns.1 far.example.test" "$BATS_TEST_TMPDIR/stub.log"
	run b exec c1 nslookup nothing.example.test
	[ "$status" -ne 0 ]
	[[ "$output" == *NXDOMAIN* ]]
	# a container's own names are never forwarded
	run b exec c1 nslookup c1
	[ "$status" -eq 0 ]
	run grep -c ' c1$' "$BATS_TEST_TMPDIR/stub.log"
	[ "$output" = 0 ]
	# only loopback resolvers: nothing to forward to, SERVFAIL at once
	echo 'nameserver 127.0.0.53' >"$BERTH_RESOLV_CONF"
	run b exec c1 nslookup far.example.test
	[ "$status" -ne 0 ]
	[[ "$output" == *SERVFAIL* ]]
}

@test "one responder per network: it outlives the run that started it, is replaced after kill -9, and goes with the last container" {
	local gw pid pid2
	b network create dn4
	gw=$(gateway_of dn4)
	# a foreground run starts it and stops it: nothing left once it ends
	run b run --rm --network dn4 busybox nslookup dn4probe
	[ "$status" -ne 0 ]
	[[ "$output" == *NXDOMAIN* ]]
	[ ! -e "$ROOT/networks/dn4.dns.pid" ]
	run listening "$gw"
	[ "$status" -ne 0 ]
	b run -d --name a --network dn4 busybox sleep 1000
	pid=$(dns_pid dn4)
	[ -n "$pid" ]
	alive "$pid"
	[ "$(cat "/proc/$pid/comm")" = berth-dns ]
	listening "$gw"
	# a second container: the same responder
	b run -d --name b2 --network dn4 busybox sleep 1000
	[ "$(dns_pid dn4)" = "$pid" ]
	# a hostile packet (the question's name a pointer to itself): one line, and it goes on
	nsenter --net="$ROOT/netns/$(b inspect a | jq -r .id)" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(bytes.fromhex("123401000001000000000000c00c00010001"), (sys.argv[1], 53))
' "$gw"
	until_ok grep -q 'a bad query' "$ROOT/networks/dn4.dns.log"
	run cat "$ROOT/networks/dn4.dns.log"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"a bad name in the question"* ]]
	run b exec a nslookup b2
	[ "$status" -eq 0 ]
	# killed -9: the next container to attach finds it stale and starts another
	kill -9 "$pid"
	until_ok gone "$pid"
	b run -d --name c --network dn4 busybox sleep 1000
	pid2=$(dns_pid dn4)
	[ -n "$pid2" ]
	[ "$pid2" != "$pid" ]
	alive "$pid2"
	run b exec a nslookup c
	[ "$status" -eq 0 ]
	[[ "$output" == *"Address: $(ip_of c)"* ]]
	# the last container removed: no process, pid file, log or socket
	b rm -f a b2
	alive "$pid2"
	b rm -f c
	run alive "$pid2"
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/networks/dn4.dns.pid" ]
	[ ! -e "$ROOT/networks/dn4.dns.log" ]
	run listening "$gw"
	[ "$status" -ne 0 ]
	# network rm -f stops it with its containers
	b run -d --name e --network dn4 busybox sleep 1000
	pid=$(dns_pid dn4)
	alive "$pid"
	b network rm -f dn4
	run alive "$pid"
	[ "$status" -ne 0 ]
	run ls "$ROOT/networks"
	[[ "$output" != *dn4* ]]
}

@test "an --internal network's containers reach the responder; another network's get no answer from it" {
	b network create --internal dn5
	b run -d --name i1 --network dn5 busybox sleep 1000
	b run -d --name i2 --network dn5 busybox sleep 1000
	run b exec i1 nslookup i2
	[ "$status" -eq 0 ]
	[[ "$output" == *"Address: $(ip_of i2)"* ]]
	# a container of another network asks dn5's responder (through the host): no reply
	b network create dn5b
	b run -d --name o1 --network dn5b busybox sleep 1000
	run b exec o1 nslookup i2 "$(gateway_of dn5)"
	[ "$status" -ne 0 ]
	[[ "$output" != *"$(ip_of i2)"* ]]
	[[ "$output" == *"timed out"* ]]
}

@test "the gateway's port 53 taken by another process: the run fails in one line, nothing left" {
	local gw
	b network create dn6
	gw=$(gateway_of dn6)
	# the gateway's address is not on the host yet: bind it anyway (IP_FREEBIND)
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 15, 1)
s.bind((sys.argv[1], 53))
print("bound", flush=True)
time.sleep(600)  # a bound on failure only: teardown ends it
' "$gw" >"$BATS_TEST_TMPDIR/holder" 2>&1 </dev/null 3>&- &
	echo $! >"$BATS_TEST_TMPDIR/holder.pid"
	until_ok grep -q bound "$BATS_TEST_TMPDIR/holder"
	run b run --rm --network dn6 busybox true
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"network \"dn6\": DNS: bind $gw:53"* ]]
	[ ! -e "$ROOT/networks/dn6.dns.pid" ]
	run jq -c '[.[] | select(.network == "dn6")]' "$ROOT/networks/leases.json"
	[ "$output" = "[]" ]
	run ls "$ROOT/netns"
	[ -z "$output" ]
}
