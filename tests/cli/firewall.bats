#!/usr/bin/env bats
# berth's firewall and published ports (src/engine/firewall.c, ports.c), driven through
# tests/tools/fwtool with real packets in a topology the file builds itself:
#
#   netns C1 (172.30.91.2, fd42:b47:91::2) --veth-- bridge BRA (172.30.91.1)  network A
#   netns C2 (172.30.92.2)                 --veth-- bridge BRB (172.30.92.1)  network B
#   netns OH "the other host" (172.30.93.2, fd42:b47:93::2) --veth-- VO (172.30.93.1) on the host
#
# Each netns runs busybox httpd serving its own name. OH has no route to A's subnet, so a
# container of A reaches it only through the masquerade. Traffic goes only to
# loopback and to these namespaces. Every link, netns, process and rule is made here and
# removed by name (or pid) in teardown_file.
load helpers

FWTOOL=$BERTH_BUILD/tests/tools/fwtool

setup_file() {
	[ -x "$FWTOOL" ] || skip "fwtool not built"
	local t
	t=$(printf '%x' $$)
	export BRA=fwa$t BRB=fwb$t VO=fwo$t V1=fw1$t V2=fw2$t
	export C1=fwc1-$t C2=fwc2-$t C3=fwc3-$t OH=fwoh-$t V3=fw3$t
	export NA=fwa$t NB=fwb$t ID1=c1$t ID2=c2$t ID3=c3$t OT=fwother$t
	export WWW=$BATS_FILE_TMPDIR/www
	cat /proc/sys/net/ipv6/conf/all/forwarding >"$BATS_FILE_TMPDIR/v6fwd"
	# the bridges with their gateway addresses
	ip link add "$BRA" type bridge
	ip addr add 172.30.91.1/24 dev "$BRA"
	ip -6 addr add fd42:b47:91::1/64 dev "$BRA" nodad
	ip link set "$BRA" up
	ip link add "$BRB" type bridge
	ip addr add 172.30.92.1/24 dev "$BRB"
	ip link set "$BRB" up
	# the "containers": a netns each, a veth into the bridge
	fw_ctr_ns "$C1" "$V1" "$BRA" 172.30.91.2 172.30.91.1 fd42:b47:91::2 fd42:b47:91::1
	fw_ctr_ns "$C2" "$V2" "$BRB" 172.30.92.2 172.30.92.1
	# the other host: joined to the host by its own veth pair, no route beyond its link
	ip netns add "$OH"
	ip link add "$VO" type veth peer name eth0 netns "$OH"
	ip addr add 172.30.93.1/24 dev "$VO"
	ip -6 addr add fd42:b47:93::1/64 dev "$VO" nodad
	ip link set "$VO" up
	ip -n "$OH" addr add 172.30.93.2/24 dev eth0
	ip -n "$OH" -6 addr add fd42:b47:93::2/64 dev eth0 nodad
	ip -n "$OH" link set eth0 up
	ip -n "$OH" link set lo up
	# the other host has a route back to network B (not to A): what keeps an --internal B
	# from it is the firewall's drop, not a missing route
	ip -n "$OH" route add 172.30.92.0/24 via 172.30.93.1
	local ns
	for ns in "$C1" "$C2" "$OH"; do
		mkdir -p "$WWW/$ns"
		echo "$ns" >"$WWW/$ns/index.html"
		ip netns exec "$ns" busybox httpd -f -p 80 -h "$WWW/$ns" </dev/null >/dev/null 2>&1 3>&- &
		echo $! >"$BATS_FILE_TMPDIR/httpd-$ns.pid"
	done
	for ns in "$C1" "$C2" "$OH"; do
		fw_wait ip netns exec "$ns" busybox wget -q -O /dev/null http://127.0.0.1/
	done
}

teardown_file() {
	local f ns
	[ -n "${BRA:-}" ] || return 0
	"$FWTOOL" ports-del "$ID1" || true
	"$FWTOOL" ports-del "$ID2" || true
	"$FWTOOL" ports-del "$ID3" || true
	"$FWTOOL" net-del "$NA" || true
	"$FWTOOL" net-del "$NB" || true
	for f in "$BATS_FILE_TMPDIR"/*.pid; do
		[ -e "$f" ] || continue
		kill "$(cat "$f")" 2>/dev/null || true
	done
	if [ -d "$BATS_FILE_TMPDIR/podman" ]; then
		export PM_DIR=$BATS_FILE_TMPDIR/podman
		export CONTAINERS_CONF=$PM_DIR/containers.conf
		export CONTAINERS_STORAGE_CONF=$PM_DIR/storage.conf
		load podman-helpers
		podman_raw rm -f -t 0 "fw-podman-$$" >/dev/null 2>&1 || true
		podman_teardown_file
	fi
	for ns in "$C1" "$C2" "$C3" "$OH"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	for f in "$BRA" "$BRB" "$VO" "$V1" "$V2" "$V3"; do
		ip link del "$f" 2>/dev/null || true
	done
	nft delete table inet "$OT" 2>/dev/null || true
	cat "$BATS_FILE_TMPDIR/v6fwd" >/proc/sys/net/ipv6/conf/all/forwarding || true
}

# Every test starts and ends with no rule of these networks and containers.
teardown() {
	local f
	for f in "$BATS_TEST_TMPDIR"/*.pid; do
		[ -e "$f" ] || continue
		kill "$(cat "$f")" 2>/dev/null || true
	done
	"$FWTOOL" ports-del "$ID1" || true
	"$FWTOOL" ports-del "$ID2" || true
	"$FWTOOL" ports-del "$ID3" || true
	if [ -e "$BATS_TEST_TMPDIR/parallel" ]; then
		for f in $(seq 1 20); do "$FWTOOL" ports-del "p$f$ID1" || true; done
	fi
	"$FWTOOL" net-del "$NA" || true
	"$FWTOOL" net-del "$NB" || true
}

# fw_ctr_ns NS HOSTIF BRIDGE IP GW [IP6 GW6]
fw_ctr_ns() {
	ip netns add "$1"
	ip link add "$2" type veth peer name eth0 netns "$1"
	ip link set "$2" master "$3" up
	# hairpin: with br_netfilter on (bridge-nf-call-iptables), a container's packet DNATed
	# back to itself is bridged out of the port it came in by (Podman's CNI sets it too)
	"$FWTOOL" bridge-port "$2"
	ip -n "$1" addr add "$4/24" dev eth0
	ip -n "$1" link set eth0 up
	ip -n "$1" link set lo up
	ip -n "$1" route add default via "$5"
	if [ $# -gt 5 ]; then
		ip -n "$1" -6 addr add "$6/64" dev eth0 nodad
		ip -n "$1" -6 route add default via "$7"
	fi
}

# fw_wait CMD…: poll until CMD succeeds (generous bound: the machine may be loaded).
fw_wait() {
	local i
	for i in $(seq 1 600); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "never succeeded: $*"
	return 1
}

# get [NS] URL: the page (from netns NS, or from the host).
get() {
	if [ $# -eq 2 ]; then
		ip netns exec "$1" busybox wget -q -O - "$2"
	else
		busybox wget -q -O - "$1"
	fi
}

# unreachable NS|- IP PORT: a TCP connection from NS (or the host) to IP:PORT fails (refused,
# or dropped: nc gives up after 3 s; only ever used with a reachable control next to it).
unreachable() {
	local pre=()
	[ "$1" = - ] || pre=(ip netns exec "$1")
	if printf 'GET / HTTP/1.0\r\n\r\n' | "${pre[@]}" busybox nc -w 3 "$2" "$3" 2>/dev/null | grep -q .; then
		echo "$2:$3 answered from $1"
		return 1
	fi
}

net_a() { "$FWTOOL" net-add "$NA" "$BRA" 172.30.91.0/24 "$@"; }
net_b() { "$FWTOOL" net-add "$NB" "$BRB" 172.30.92.0/24 "$@"; }
# ports_c1 SPEC…: publish c1's ports; prints PROTO HOST CTR per port
ports_c1() { "$FWTOOL" ports-add "$ID1" "$NA" "$BRA" 172.30.91.0/24 172.30.91.2 "$@"; }
ports_c2() { "$FWTOOL" ports-add "$ID2" "$NB" "$BRB" 172.30.92.0/24 172.30.92.2 "$@"; }

# The ruleset as the tests compare it: every table but berth's whole (nft -s: without
# counters), and of berth's table its base and everything of this file's networks and
# containers, but not the objects of other berth users of the host (the engine's own
# networks, if its tests run at the same time), whose coming and going is not ours to check.
ruleset() {
	others
	berth_own
}

# berth's table, one line per chain, rule, set and element, without other users' objects:
# chains ctr-X / net-X-*, rules and elements that name them, bridges that are not ours.
berth_own() {
	local re="^(net-($NA|$NB)-(in|out|post)|ctr-(p[0-9]+)?($ID1|$ID2|$ID3))\$"
	nft -j list table inet berth 2>/dev/null | jq -r --arg re "$re" --arg bra "$BRA" --arg brb "$BRB" '
		def foreign: [scan("(?:ctr|net)-[A-Za-z0-9_.-]+")] | any(test($re) | not);
		.nftables[]
		| if .table then "table"
		  elif .chain then "chain \(.chain.name) \(.chain.type // "") \(.chain.hook // "") \(.chain.prio // "") \(.chain.policy // "")"
		  elif .rule then "rule \(.rule.chain) \(.rule.expr | tojson) \(.rule.comment // "")"
		  elif (.map // .set) then (.map // .set) as $s
		    | "set \($s.name) \($s.type) \($s.map // "") \($s.flags // [] | tojson)",
		      ($s.elem // [] | sort_by(tojson) | .[]
		       | select($s.name != "bridges" or . == $bra or . == $brb)
		       | "elem \($s.name) \(tojson)")
		  else empty end
		| select(foreign | not)'
}

# Every table but berth's, each listed alone.
others() {
	local fam name
	nft list tables 2>/dev/null | while read -r _ fam name; do
		[ "$fam $name" != "inet berth" ] || continue
		nft -s list table "$fam" "$name" 2>/dev/null
	done
}

@test "fwtool parse: ports, ranges, addresses; a bad argument is one line naming it" {
	run "$FWTOOL" parse 8080:80 '127.0.0.1::53/udp' '[::1]:9000-9001:90-91' 8000-8010:80
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "tcp any * 8080 80" ]
	[ "${lines[1]}" = "udp 4 127.0.0.1 0 53" ]
	[ "${lines[2]}" = "tcp 6 ::1 9000 90" ]
	[ "${lines[3]}" = "tcp 6 ::1 9001 91" ]
	[ "${lines[4]}" = "tcp any * 8000-8010 80" ]
	run "$FWTOOL" parse 8080:65536
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"--publish \`8080:65536\`: container port \`65536\` is more than 65535" ]]
}

@test "published port: reachable from the other host, the host's address and 127.0.0.1" {
	net_a
	run ports_c1 80
	[ "$status" -eq 0 ]
	local p=${lines[0]#tcp }
	p=${p% 80}
	[ "$p" -gt 0 ]
	run get "$OH" "http://172.30.93.1:$p/"
	[ "$status" -eq 0 ]
	[ "$output" = "$C1" ]
	run get "http://172.30.93.1:$p/"
	[ "$output" = "$C1" ]
	run get "http://127.0.0.1:$p/"
	[ "$output" = "$C1" ]
	# the bridge's own address is the host's too
	run get "http://172.30.91.1:$p/"
	[ "$output" = "$C1" ]
	# gone with ports-del
	"$FWTOOL" ports-del "$ID1"
	unreachable "$OH" 172.30.93.1 "$p"
	unreachable - 127.0.0.1 "$p"
	unreachable - 172.30.93.1 "$p"
}

@test "published port on 127.0.0.1 only: not from the other host nor the host's address" {
	net_a
	run ports_c1 127.0.0.1::80
	[ "$status" -eq 0 ]
	local p=${lines[0]#tcp }
	p=${p% 80}
	run get "http://127.0.0.1:$p/"
	[ "$output" = "$C1" ]
	unreachable "$OH" 172.30.93.1 "$p"
	unreachable - 172.30.93.1 "$p"
	# and one on the other host's link address is reachable from there, not on 127.0.0.1
	run ports_c1 172.30.93.1::80
	[ "$status" -eq 0 ]
	p=${lines[0]#tcp }
	p=${p% 80}
	run get "$OH" "http://172.30.93.1:$p/"
	[ "$output" = "$C1" ]
	unreachable - 127.0.0.1 "$p"
}

@test "published UDP port from the other host" {
	local p srv=$BATS_TEST_TMPDIR/udp.py
	cat >"$srv" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5353))
print("ready", flush=True)
while True:
    data, peer = s.recvfrom(100)
    s.sendto(b"echo " + data, peer)
EOF
	ip netns exec "$C1" python3 "$srv" >"$BATS_TEST_TMPDIR/udp.out" 2>&1 3>&- &
	echo $! >"$BATS_TEST_TMPDIR/udp.pid"
	fw_wait grep -q ready "$BATS_TEST_TMPDIR/udp.out"
	net_a
	run ports_c1 5353/udp
	[ "$status" -eq 0 ]
	p=${lines[0]#udp }
	p=${p% 5353}
	# a datagram may be lost: ask up to 50 times, 1 s each
	run ip netns exec "$OH" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
for i in range(50):
    s.sendto(b"hi", ("172.30.93.1", int(sys.argv[1])))
    try:
        print(s.recvfrom(100)[0].decode()); break
    except socket.timeout:
        pass' "$p"
	[ "$status" -eq 0 ]
	[ "$output" = "echo hi" ]
}

@test "masquerade: a container reaches the other host; --internal reaches nothing outside" {
	net_a
	net_b --internal
	# the other host has no route back: only the masquerade makes this work
	run get "$C1" http://172.30.93.2/
	[ "$status" -eq 0 ]
	[ "$output" = "$OH" ]
	unreachable "$C2" 172.30.93.2 80
	# re-adding replaces: B without --internal gets out
	net_b
	run get "$C2" http://172.30.93.2/
	[ "$status" -eq 0 ]
	[ "$output" = "$OH" ]
	# and with --internal again it does not
	net_b --internal
	unreachable "$C2" 172.30.93.2 80
}

@test "two networks are isolated; a published port is reachable from the other network" {
	# without berth's rules the host routes between the bridges
	run get "$C1" http://172.30.92.2/
	[ "$output" = "$C2" ]
	net_a
	net_b
	unreachable "$C1" 172.30.92.2 80
	unreachable "$C2" 172.30.91.2 80
	# the other host is still reachable from both
	run get "$C2" http://172.30.93.2/
	[ "$output" = "$OH" ]
	# published ports are reachable through the host's address, from anywhere
	run ports_c2 80
	[ "$status" -eq 0 ]
	local p=${lines[0]#tcp }
	p=${p% 80}
	run get "$C1" "http://172.30.93.1:$p/"
	[ "$output" = "$C2" ]
	# net-del of one network lifts the isolation
	"$FWTOOL" net-del "$NB"
	"$FWTOOL" net-del "$NA"
	run get "$C1" http://172.30.92.2/
	[ "$output" = "$C2" ]
}

@test "hairpin: a container reaches its own published port through the host's addresses" {
	net_a
	run ports_c1 80
	[ "$status" -eq 0 ]
	local p=${lines[0]#tcp }
	p=${p% 80}
	run get "$C1" "http://172.30.93.1:$p/"
	[ "$status" -eq 0 ]
	[ "$output" = "$C1" ]
	run get "$C1" "http://172.30.91.1:$p/"
	[ "$output" = "$C1" ]
	ip -d link show "$V1" | grep -q 'hairpin on'
	run "$FWTOOL" bridge-port "$BRA"
	[ "$status" -eq 1 ]
	[[ "$output" == *"firewall: bridge port \`$BRA\`: No such file or directory" ]]
}

@test "IPv6: a published port from the other host, and the masquerade, over IPv6" {
	net_a --subnet6 fd42:b47:91::/64
	[ "$(cat /proc/sys/net/ipv6/conf/all/forwarding)" = 1 ]
	run ports_c1 --ip6 fd42:b47:91::2 80 '[fd42:b47:93::1]::80'
	[ "$status" -eq 0 ]
	local p=${lines[0]#tcp } p6=${lines[1]#tcp }
	p=${p% 80}
	p6=${p6% 80}
	run get "$OH" "http://[fd42:b47:93::1]:$p/"
	[ "$status" -eq 0 ]
	[ "$output" = "$C1" ]
	run get "$OH" "http://172.30.93.1:$p/"
	[ "$output" = "$C1" ]
	run get "$OH" "http://[fd42:b47:93::1]:$p6/"
	[ "$output" = "$C1" ]
	unreachable "$OH" 172.30.93.1 "$p6"
	# the IPv6 masquerade: the other host has no route back to fd42:b47:91::/64
	run get "$C1" "http://[fd42:b47:93::2]/"
	[ "$status" -eq 0 ]
	[ "$output" = "$OH" ]
}

@test "route_localnet does not open the host's loopback to a container" {
	local p
	# a service on the host's 127.0.0.1
	"$FWTOOL" reserve 127.0.0.1::80 >"$BATS_TEST_TMPDIR/res.out" 3>&- &
	echo $! >"$BATS_TEST_TMPDIR/res.pid"
	fw_wait grep -q tcp "$BATS_TEST_TMPDIR/res.out"
	p=$(awk '{print $2}' "$BATS_TEST_TMPDIR/res.out")
	# (ended first: an httpd started while it still holds the port fails to bind and exits)
	kill "$(cat "$BATS_TEST_TMPDIR/res.pid")"
	wait "$(cat "$BATS_TEST_TMPDIR/res.pid")" || true
	rm "$BATS_TEST_TMPDIR/res.pid"
	busybox httpd -f -p "127.0.0.1:$p" -h "$WWW/$OH" </dev/null >/dev/null 2>&1 3>&- &
	echo $! >"$BATS_TEST_TMPDIR/httpd.pid"
	fw_wait busybox wget -q -O /dev/null "http://127.0.0.1:$p/"
	# a container that sends 127.0.0.0/8 to its gateway (it needs route_localnet itself)
	fw_ctr_ns "$C3" "$V3" "$BRA" 172.30.91.4 172.30.91.1
	ip -n "$C3" addr del 127.0.0.1/8 dev lo
	ip -n "$C3" route add 127.0.0.0/8 via 172.30.91.1 dev eth0
	ip netns exec "$C3" sysctl -q -w net.ipv4.conf.eth0.route_localnet=1
	# with route_localnet on the bridge but without berth's rules, it gets in
	echo 1 >"/proc/sys/net/ipv4/conf/$BRA/route_localnet"
	run get "$C3" "http://127.0.0.1:$p/"
	[ "$output" = "$OH" ]
	net_a
	unreachable "$C3" 127.0.0.1 "$p"
	ip netns del "$C3"
}

@test "ports-del and net-del remove exactly berth's rules; other tables are untouched" {
	local before after_b after_a
	# someone else's table, and another berth network and container already there
	nft add table inet "$OT"
	nft add chain inet "$OT" c '{ type filter hook forward priority 10; policy accept; }'
	nft add rule inet "$OT" c ip saddr 172.30.91.0/24 counter
	before=$(ruleset)
	net_b
	ports_c2 80 >/dev/null
	after_b=$(ruleset)
	net_a
	[ "$(ruleset)" != "$after_b" ]
	after_a=$(ruleset)
	ports_c1 80 47913-47914:80-81/udp >/dev/null
	[ "$(ruleset)" != "$after_a" ]
	"$FWTOOL" ports-del "$ID1"
	[ "$(ruleset)" = "$after_a" ]
	"$FWTOOL" net-del "$NA"
	[ "$(ruleset)" = "$after_b" ]
	# deleting again is not an error, and changes nothing
	"$FWTOOL" ports-del "$ID1"
	"$FWTOOL" net-del "$NA"
	[ "$(ruleset)" = "$after_b" ]
	"$FWTOOL" ports-del "$ID2"
	"$FWTOOL" net-del "$NB"
	[ "$(ruleset)" = "$before" ]
	run nft list table inet "$OT"
	[[ "$output" == *"ip saddr 172.30.91.0/24 counter"* ]]
	nft delete table inet "$OT"
}

@test "a host port in use is refused before any rule is made" {
	local p before
	net_a
	"$FWTOOL" reserve 127.0.0.1::80 >"$BATS_TEST_TMPDIR/res.out" 3>&- &
	echo $! >"$BATS_TEST_TMPDIR/res.pid"
	fw_wait grep -q tcp "$BATS_TEST_TMPDIR/res.out"
	p=$(awk '{print $2}' "$BATS_TEST_TMPDIR/res.out")
	before=$(ruleset)
	run ports_c1 "127.0.0.1:$p:80"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"host port $p/tcp on 127.0.0.1 is already in use" ]]
	run ports_c1 127.0.0.1::82 "$p:80"
	[ "$status" -eq 1 ]
	[[ "$output" == *"host port $p/tcp is already in use" ]]
	[ "$(ruleset)" = "$before" ]
	# UDP is another port space
	run ports_c1 "127.0.0.1:$p:80/udp"
	[ "$status" -eq 0 ]
	"$FWTOOL" ports-del "$ID1"
	# a real listener (busybox httpd on the host's loopback) holds it the same way
	# (ended first: an httpd started while it still holds the port fails to bind and exits)
	kill "$(cat "$BATS_TEST_TMPDIR/res.pid")"
	wait "$(cat "$BATS_TEST_TMPDIR/res.pid")" || true
	rm "$BATS_TEST_TMPDIR/res.pid"
	busybox httpd -f -p "127.0.0.1:$p" -h "$WWW/$OH" </dev/null >/dev/null 2>&1 3>&- &
	echo $! >"$BATS_TEST_TMPDIR/httpd.pid"
	fw_wait busybox wget -q -O /dev/null "http://127.0.0.1:$p/"
	run ports_c1 "$p:80"
	[ "$status" -eq 1 ]
	[[ "$output" == *"host port $p/tcp is already in use" ]]
	[ "$(ruleset)" = "$before" ]
}

@test "Podman's rules are untouched while berth adds and removes its own, both ports work" {
	command -v podman >/dev/null || skip "podman not installed"
	load podman-helpers
	podman_setup_file
	run podman_raw run -d --runtime berth --name "fw-podman-$$" --network bridge -p 127.0.0.1::80 \
		"$PODMAN_IMAGE" busybox httpd -f -p 80 -h /etc
	[ "$status" -eq 0 ] || skip "podman cannot run a bridge-networked container here: $output"
	run podman_raw port "fw-podman-$$" 80/tcp
	[ "$status" -eq 0 ]
	local pp=${output##*:} p before
	fw_wait busybox wget -q -O /dev/null "http://127.0.0.1:$pp/hostname"
	before=$(others)
	[[ "$before" == *"dport $pp "* ]]
	net_a
	net_b --internal
	run ports_c1 127.0.0.1::80
	[ "$status" -eq 0 ]
	p=${lines[0]#tcp }
	p=${p% 80}
	[ "$(others)" = "$before" ]
	run get "http://127.0.0.1:$p/"
	[ "$output" = "$C1" ]
	run get "http://127.0.0.1:$pp/hostname"
	[ "$status" -eq 0 ]
	"$FWTOOL" ports-del "$ID1"
	"$FWTOOL" net-del "$NB"
	"$FWTOOL" net-del "$NA"
	[ "$(others)" = "$before" ]
	run get "http://127.0.0.1:$pp/hostname"
	[ "$status" -eq 0 ]
	podman_raw rm -f -t 0 "fw-podman-$$"
}

# the handles of network A's chain net-A-in: new ones when its rules were written again
na_handles() {
	nft -a list chain inet berth "net-$NA-in" | grep -o 'handle [0-9]*' | tr '\n' ' '
}

@test "a network's rules are written once; again after any other change of the ruleset" {
	net_a
	local h0 h1
	h0=$(na_handles)
	[ -n "$h0" ]
	# a second start of a container on it: nothing to write
	net_a
	[ "$(na_handles)" = "$h0" ]
	# another tool's transaction: berth cannot know what it did, so it writes them again
	nft add table inet "$OT"
	nft delete table inet "$OT"
	net_a
	h1=$(na_handles)
	[ -n "$h1" ]
	[ "$h1" != "$h0" ]
	net_a
	[ "$(na_handles)" = "$h1" ]
	# other rules wanted (--internal): written
	net_a --internal
	[ "$(na_handles)" != "$h1" ]
	nft list chain inet berth "net-$NA-in" | grep -q 'ip daddr != 172.30.91.0/24 drop'
	# its rules flushed by someone: written again
	nft flush chain inet berth "net-$NA-in"
	run nft list chain inet berth "net-$NA-in"
	[[ "$output" != *"ip daddr != 172.30.91.0/24 drop"* ]]
	net_a --internal
	nft list chain inet berth "net-$NA-in" | grep -q 'ip daddr != 172.30.91.0/24 drop'
	# berth's own commits (another container's ports) keep what it knows
	h1=$(na_handles)
	run ports_c2 80
	[ "$status" -eq 0 ]
	nft list chain inet berth "ctr-$ID2" | grep -q dnat
	net_a --internal
	[ "$(na_handles)" = "$h1" ]
	# a stamp that cannot be read is no stamp
	echo garbage >/run/berth/firewall.state
	net_a --internal
	[ "$(na_handles)" != "$h1" ]
}

@test "bad arguments: one line, nothing made" {
	local before
	before=$(ruleset)
	run "$FWTOOL" net-add "bad name" "$BRA" 172.30.91.0/24
	[ "$status" -eq 1 ]
	[[ "$output" == *"network name \`bad name\`: expected letters, digits"* ]]
	run "$FWTOOL" net-add "$NA" "$BRA" 172.30.91.0/33
	[ "$status" -eq 1 ]
	[[ "$output" == *"subnet \`172.30.91.0/33\`: expected an IPv4 ADDRESS/PREFIX" ]]
	run "$FWTOOL" net-add "$NA" nosuchbr$$ 172.30.91.0/24
	[ "$status" -eq 1 ]
	[[ "$output" == *"bridge \`nosuchbr$$\`: No such file or directory" ]]
	run "$FWTOOL" ports-add "$ID1" "$NA" "$BRA" 172.30.91.0/24 - 80
	[ "$status" -eq 1 ]
	[[ "$output" == *"the container has no IPv4 address" ]]
	run "$FWTOOL" ports-add "$ID1" "$NA" "$BRA" 172.30.91.0/24 172.30.91.999 80
	[ "$status" -eq 1 ]
	[[ "$output" == *"container address \`172.30.91.999\`: expected an IPv4 address" ]]
	run "$FWTOOL" ports-del 'x;y'
	[ "$status" -eq 1 ]
	[ "$(ruleset)" = "$before" ]
	# an overlapping subnet
	net_a
	before=$(ruleset)
	run "$FWTOOL" net-add "$NB" "$BRB" 172.30.0.0/16
	[ "$status" -eq 1 ]
	[[ "$output" == *"firewall: network \`$NB\`: subnet 172.30.0.0/16 overlaps network \`$NA\`'s 172.30.91.0/24" ]]
	[ "$(ruleset)" = "$before" ]
}

@test "a bridge's rules under another name (an older name of its network) are replaced" {
	net_a
	run "$FWTOOL" net-add "$NB" "$BRA" 172.30.91.0/24
	[ "$status" -eq 0 ]
	run nft list table inet berth
	[[ "$output" != *"net-$NA-in"* ]]
	[[ "$output" == *"net-$NB-in"* ]]
	[ "$(nft list map inet berth fwd_in | grep -c "\"$BRA\"")" -eq 1 ]
	"$FWTOOL" net-del "$NB"
	run nft list table inet berth
	[[ "$output" != *"$BRA"* ]]
}

@test "100 add/delete cycles, and 20 containers in parallel, leave nothing behind" {
	local before i pids=()
	net_a
	before=$(ruleset)
	for i in $(seq 1 100); do
		ports_c1 80 127.0.0.1::81/udp >/dev/null
		"$FWTOOL" ports-del "$ID1"
	done
	[ "$(ruleset)" = "$before" ]
	# the lock serializes concurrent processes: every container's rules get in, and go
	touch "$BATS_TEST_TMPDIR/parallel"
	for i in $(seq 1 20); do
		"$FWTOOL" ports-add "p$i$ID1" "$NA" "$BRA" 172.30.91.0/24 "172.30.91.$((i + 10))" 80 >/dev/null &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	[ "$(nft list chain inet berth ports | grep -c "jump ctr-p[0-9]*$ID1 ")" -eq 20 ]
	pids=()
	for i in $(seq 1 20); do
		"$FWTOOL" ports-del "p$i$ID1" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	[ "$(ruleset)" = "$before" ]
}
