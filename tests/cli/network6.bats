#!/usr/bin/env bats
# berth IPv6 networks and containers on several networks: network create --ipv6 [--subnet6],
# run --ip6, IPv6 between containers, several --network, the ::1 proxy of published ports,
# published ports over IPv6 from a simulated other host, bad input, teardown.
# Packets go only between the containers (network namespaces) these tests make and a
# namespace of the test's own: every container gets --dns 127.0.0.1.
load helpers
load network-helpers

# other_host6: a simulated other host, the namespace $TEST_NS of the test's own behind a veth
# pair; the host is fd42:b0:7e57::1 on b6-h$$, the other host fd42:b0:7e57::2, its default
# route through the host (teardown removes both)
other_host6() {
	test_ns berth-n6-$$ b6-h$$ b6-p$$
	ip addr add fd42:b0:7e57::1/64 dev b6-h$$ nodad
	ip -n "$TEST_NS" addr add fd42:b0:7e57::2/64 dev b6-p$$ nodad
	ip -n "$TEST_NS" -6 route add default via fd42:b0:7e57::1 dev b6-p$$
}

@test "network create --ipv6: a free ULA /64 or --subnet6; inspect and ls show it" {
	run b network create --ipv6 v6a
	[ "$status" -eq 0 ]
	run b network inspect v6a
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.[0].ipv6')" = true ]
	sub6=$(echo "$output" | jq -r '.[0].subnet6')
	[[ "$sub6" =~ ^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::/64$ ]]
	[ "$(echo "$output" | jq -r '.[0].gateway6')" = "${sub6%/64}1" ]
	# collides with no route of the host: the only one is through its own bridge (made at
	# create)
	br=$(echo "$output" | jq -r '.[0].bridge')
	run ip -6 route show "$sub6"
	[[ "$output" == *"dev $br "* ]]
	[ "$(echo "$output" | grep -vc "dev $br ")" -eq 0 ]
	b network create --ipv6 --subnet6 fd42:b0:1::/64 v6b
	run b network ls --format json
	[ "$(echo "$output" | jq -r '.[] | select(.name == "v6b") | .subnet6')" = fd42:b0:1::/64 ]
	[ "$(echo "$output" | jq -r '.[] | select(.name == "v6b") | .gateway6')" = fd42:b0:1::1 ]
	[ "$(echo "$output" | jq -r '.[] | select(.name == "berth") | .ipv6')" = null ]
	# a second network without --subnet6 gets another /64
	b network create --ipv6 v6c
	[ "$(b network inspect v6c | jq -r '.[0].subnet6')" != "$sub6" ]
}

@test "IPv6 between two containers of an --ipv6 network: address, route, TCP by address and name" {
	b network create --ipv6 --subnet6 fd42:b0:2::/64 six
	web w6 --network six --ip6 fd42:b0:2::80
	[ "$(ip6_of w6)" = fd42:b0:2::80 ]
	[ "$(b inspect w6 | jq -r '.network_settings.ipv6_gateway')" = fd42:b0:2::1 ]
	[ "$(b inspect w6 | jq -r '.network_settings.global_ipv6_prefix_len')" = 64 ]
	run b exec w6 ip -o -6 addr show eth0
	[[ "$output" == *"inet6 fd42:b0:2::80/64"* ]]
	run b exec w6 ip -6 route
	[[ "$output" == *"default via fd42:b0:2::1 dev eth0"* ]]
	# the bridge holds the gateway
	br=$(b network inspect six | jq -r '.[0].bridge')
	run ip -o -6 addr show dev "$br"
	[[ "$output" == *"inet6 fd42:b0:2::1/64"* ]]
	# a client: an address of its own (the lowest free), TCP to w6 over IPv6
	brun -d --name c6 --network six busybox sleep 1000
	[ "$(ip6_of c6)" = fd42:b0:2::2 ]
	run b exec c6 sh -c "echo 'GET / HTTP/1.0' | nc -w 3 fd42:b0:2::80 80"
	[ "$status" -eq 0 ]
	[[ "$output" == *w6-page* ]]
	# by name: the hosts file has the IPv6 address too
	run b exec c6 grep -w w6 /etc/hosts
	[[ "$output" == *"fd42:b0:2::80"* ]]
	# and the network's DNS responder, on its gateway, answers for it with the lease's IPv6
	# address (AAAA); a name without a dot is never forwarded
	gw=$(b network inspect six | jq -r '.[0].gateway')
	run b exec c6 nslookup -type=AAAA w6 "$gw"
	[ "$status" -eq 0 ]
	[[ "$output" == *"fd42:b0:2::80"* ]]
	run b exec c6 wget -qO- "http://[fd42:b0:2::80]/"
	[ "$output" = w6-page ]
	run b network inspect six
	[ "$(echo "$output" | jq -r '.[0].containers[] | select(.name == "w6") | .ipv6_address')" = fd42:b0:2::80 ]
	# and the host reaches it through the bridge
	run curl -sf -m 10 "http://[fd42:b0:2::80]/"
	[ "$output" = w6-page ]
}

@test "a published port over IPv6: from the other host's IPv6 address; isolation of two IPv6 networks" {
	other_host6
	b network create --ipv6 --subnet6 fd42:b0:3::/64 pub6
	b network create --ipv6 --subnet6 fd42:b0:4::/64 iso6
	hp=$(free_port)
	web p6 --network pub6 -p "$hp:80"
	id=$(id_of p6)
	until_ok ip netns exec "$TEST_NS" curl -sf -m 10 "http://[fd42:b0:7e57::1]:$hp/"
	run ip netns exec "$TEST_NS" curl -sf -m 10 "http://[fd42:b0:7e57::1]:$hp/"
	[ "$status" -eq 0 ]
	[ "$output" = p6-page ]
	nft list chain inet berth "ctr-$id" | grep -q 'dnat ip6 to \[fd42:b0:3::2\]:80'
	# the container goes out over IPv6 (masquerade) to the other host's listener
	ip netns exec "$TEST_NS" busybox nc -l -p 7777 -e echo other-host6 \
		</dev/null >/dev/null 2>&1 3>&- &
	echo $! >"$BATS_TEST_TMPDIR/httpd.pid"
	until_ok b exec p6 sh -c "nc -w 3 fd42:b0:7e57::2 7777 </dev/null | grep -q other-host6"
	# from the other IPv6 network: dropped
	run brun --rm --network iso6 busybox sh -c "echo 'GET / HTTP/1.0' | nc -w 3 fd42:b0:3::2 80"
	[ "$status" -ne 0 ]
	[[ "$output" != *p6-page* ]]
	b rm -f p6
	run nft list table inet berth
	[[ "$output" != *"ctr-$id"* ]]
	run ip netns exec "$TEST_NS" curl -sf -m 10 "http://[fd42:b0:7e57::1]:$hp/"
	[ "$status" -ne 0 ]
}

@test "IPv6 bad input: one line, exit 125, nothing left; rm leaves no veth, lease, netns" {
	b network create --ipv6 --subnet6 fd42:b0:5::/64 bad6
	b network create four
	brun -d --name holder --network bad6 --ip6 fd42:b0:5::9 busybox sleep 1000
	hid=$(id_of holder)
	[ -n "$(veth_of "$hid")" ]
	before_leases=$(leases)
	before_ns=$(netns_left)
	for args in "--network bad6 --ip6 fd42:b0:6::5" "--network bad6 --ip6 fd42:b0:5::1" \
		"--network bad6 --ip6 nonsense" "--network bad6 --ip6 10.1.2.3" \
		"--network four --ip6 fd42:b0:5::7" "--ip6 fd42:b0:5::7" \
		"--network none --ip6 fd42:b0:5::7"; do
		run b run $args busybox true
		[ "$status" -eq 125 ] || { echo "$args: $status"; false; }
		[ "${#lines[@]}" -eq 1 ] || { echo "$args: $output"; false; }
		[[ "$output" == "berth: run: "* ]]
	done
	run b run --network bad6 --ip6 fd42:b0:5::9 busybox true
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *taken* ]]
	run b run -d --network bad6 --ip6 fd42:b0:5::9 busybox true
	[ "$status" -eq 125 ]
	[ "$(leases)" = "$before_leases" ]
	[ "$(netns_left)" = "$before_ns" ]
	[ "$(b ps -a --format json | jq length)" -eq 1 ]
	for args in "--ipv6 --subnet6 fd42:b0:5::/48 x" "--ipv6 --subnet6 fd42:b0:5::1/64 x" \
		"--ipv6 --subnet6 nonsense x" "--ipv6 --subnet6 fd42::/200 x" \
		"--ipv6 --subnet6 10.1.0.0/16 x" "--subnet6 fd42:b0:9::/64 x" \
		"--ipv6 --subnet6 fe80::/64 x"; do
		run b network create $args
		[ "$status" -eq 125 ] || { echo "$args: $status"; false; }
		[ "${#lines[@]}" -eq 1 ] || { echo "$args: $output"; false; }
		[[ "$output" == "berth: network: "* ]]
	done
	run b network create --ipv6 --subnet6 fd42:b0:5::/48 x
	[[ "$output" == *'overlaps network "bad6"'* ]]
	[ "$(b network ls -q | sort | tr '\n' ' ')" = "bad6 berth four " ]
	# rm: the veth, the lease, the netns and the hosts line go
	b rm -f holder
	until_ok no_link "vb${hid:0:11}"
	[ "$(leases)" = '[]' ]
	[ -z "$(netns_left)" ]
}

# whether TCP port $2 can be listened on at address $1 again: nobody listens there (with
# SO_REUSEADDR, as berth's own reservation: the proxied connections may be in TIME_WAIT)
port_free() {
	/usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)' "$1" "$2"
}

@test "published ports from ::1: -p [::1]:HOST:CTR and -p HOST:CTR, on IPv6 and IPv4-only networks" {
	b network create --ipv6 --subnet6 fd42:b0:7::/64 lo6
	hp1=$(free_port)
	hp2=$(free_port)
	web l6 --network lo6 -p "[::1]:$hp1:80" -p "$hp2:80"
	id=$(id_of l6)
	until_ok curl -sf -m 10 "http://[::1]:$hp1/"
	run curl -sf -m 10 "http://[::1]:$hp1/"
	[ "$status" -eq 0 ]
	[ "$output" = l6-page ]
	run curl -sf -m 10 "http://[::1]:$hp2/"
	[ "$status" -eq 0 ]
	[ "$output" = l6-page ]
	# the IPv4 loopback still goes through the firewall's DNAT
	run curl -sf -m 10 "http://127.0.0.1:$hp2/"
	[ "$output" = l6-page ]
	# [::1] only: not on 127.0.0.1, and no rule of its own
	run curl -sf -m 10 "http://127.0.0.1:$hp1/"
	[ "$status" -ne 0 ]
	run nft list chain inet berth "ctr-$id"
	[[ "$output" != *"dport $hp1 "* ]]
	run b port l6
	[[ "$output" == *"80/tcp -> [::1]:$hp1"* ]]
	# an IPv4-only network: ::1 reaches the container's IPv4 address (a network of this
	# root's own: the default network's bridge is shared with other roots on the host)
	b network create --subnet 10.99.235.0/24 four4
	hp3=$(free_port)
	web l4 --network four4 -p "$hp3:80"
	until_ok curl -sf -m 10 "http://[::1]:$hp3/"
	run curl -sf -m 10 "http://[::1]:$hp3/"
	[ "$output" = l4-page ]
	# a refused container port: the connection ends, nothing hangs
	hp4=$(free_port)
	brun -d --name closed -p "[::1]:$hp4:81" busybox sleep 1000
	run busybox nc -w 3 ::1 "$hp4" </dev/null
	[ -z "$output" ]
	# rm: the ports are free again (the proxy is gone with the container)
	b rm -f l6 l4 closed
	port_free ::1 "$hp1"
	port_free :: "$hp2"
	port_free ::1 "$hp4"
	run curl -sf -m 10 "http://[::1]:$hp1/"
	[ "$status" -ne 0 ]
	# and berth reserves them again at once
	web again --network lo6 -p "[::1]:$hp1:80"
	until_ok curl -sf -m 10 "http://[::1]:$hp1/"
	run curl -sf -m 10 "http://[::1]:$hp1/"
	[ "$output" = again-page ]
	# UDP is not relayed from ::1: refused, one line
	run b run --rm -p "[::1]:$hp1:53/udp" busybox true
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
}

proc_gone() {
	[ ! -e "/proc/$1/stat" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat")" = Z ]
}

# the leases of container $1
leases_of() {
	leases | jq -c --arg id "$1" '[.[] | select(.id == $id) | .network] | sort'
}

@test "a container on two networks: a veth and a lease each, names on both, isolation kept, nothing left" {
	b network create --ipv6 --subnet6 fd42:b0:8::/64 --subnet 10.99.236.0/24 na
	b network create --subnet 10.99.237.0/24 nb
	web wa --network na
	web wb --network nb
	brun -d --name both --network na --network nb --ip 10.99.236.99 --network-alias bothalias \
		busybox sleep 1000
	id=$(id_of both)
	[ "$(leases_of "$id")" = '["na","nb"]' ]
	[ -n "$(veth_of "$id")" ]
	ip -o link show "vb${id:0:10}g"
	# eth0 on the first network (its --ip, its IPv6, the default routes), eth1 on the second
	run b exec both ip -o addr show eth0
	[[ "$output" == *"inet 10.99.236.99/24"* ]]
	[[ "$output" == *"inet6 fd42:b0:8::"* ]]
	run b exec both ip -o -4 addr show eth1
	[[ "$output" == *"inet 10.99.237."* ]]
	run b exec both ip route
	[[ "$output" == *"default via 10.99.236.1 dev eth0"* ]]
	[[ "$output" != *"default via 10.99.237.1"* ]]
	# inspect: every network
	[ "$(b inspect both | jq -c '.network_settings.networks | keys')" = '["na","nb"]' ]
	[ "$(b inspect both | jq -r '.network_settings.networks.na.ip_address')" = 10.99.236.99 ]
	bip=$(b inspect both | jq -r '.network_settings.networks.nb.ip_address')
	[[ "$bip" == 10.99.237.* ]]
	[ "$(b network inspect nb | jq -r --arg id "$id" '.[0].containers[$id].ip_address')" = "$bip" ]
	# it reaches a container of each network by name
	run b exec both wget -qO- http://wa/
	[ "$output" = wa-page ]
	run b exec both wget -qO- http://wb/
	[ "$output" = wb-page ]
	# and each network's containers name it by its address there (the alias: the first's)
	run b exec wa grep -w both /etc/hosts
	[[ "$output" == *"10.99.236.99"*bothalias* ]]
	run b exec wb grep -w both /etc/hosts
	[[ "$output" == "$bip"* ]]
	[[ "$output" != *bothalias* ]]
	# the two networks stay apart: wa does not reach wb
	wbip=$(b inspect wb | jq -r '.network_settings.ip_address')
	run b exec wa sh -c "echo 'GET / HTTP/1.0' | nc -w 3 $wbip 80"
	[ "$status" -ne 0 ]
	[[ "$output" != *wb-page* ]]
	# rm: both veths, both leases, the netns, the names go
	b rm -f both
	until_ok no_link "vb${id:0:11}"
	until_ok no_link "vb${id:0:10}g"
	run ip -o link show "vb${id:0:10}g"
	[ "$status" -ne 0 ]
	[ "$(leases_of "$id")" = '[]' ]
	[ ! -e "$ROOT/netns/$id" ]
	run b exec wb grep -c -w both /etc/hosts
	[ "$output" = 0 ]
	# run --rm on two networks: nothing left either
	run brun --rm --network na --network nb busybox ip -o -4 addr show eth1
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet 10.99.237."* ]]
	[ "$(leases | jq length)" -eq 2 ]
	[ -z "$(ls "$ROOT/netns" | grep -v -e "$(id_of wa)" -e "$(id_of wb)")" ]
}

@test "two networks: a stale container's leases are reclaimed; bad --network combinations" {
	b network create --subnet 10.99.238.0/24 sa
	b network create --subnet 10.99.239.0/24 sb
	brun -d --name s2 --network sa --network sb busybox sleep 1000
	sid=$(id_of s2)
	mon=$(b inspect s2 | jq -r .monitor_pid)
	init=$(b inspect s2 | jq -r .pid)
	[ "$(leases_of "$sid")" = '["sa","sb"]' ]
	kill -9 "$mon"
	kill -9 "$init"
	until_ok proc_gone "$init"
	[ "$(leases_of "$sid")" = '["sa","sb"]' ]
	# the next container on either network reclaims both
	brun --rm --network sb busybox true
	[ "$(leases)" = '[]' ]
	until_ok no_link "vb${sid:0:11}"
	until_ok no_link "vb${sid:0:10}g"
	run ip -o link show "vb${sid:0:10}g"
	[ "$status" -ne 0 ]
	[ -z "$(netns_left)" ]
	before=$(leases)
	for args in "--network sa --network sa" "--network sa --network nope" \
		"--network none --network sa" "--network sa --network none" \
		"--network sa --network host" "--network sa --network container:x"; do
		run b run $args busybox true
		[ "$status" -eq 125 ] || { echo "$args: $status"; false; }
		[ "${#lines[@]}" -eq 1 ] || { echo "$args: $output"; false; }
		[[ "$output" == "berth: run: "* ]]
	done
	[ "$(leases)" = "$before" ]
	[ -z "$(netns_left)" ]
	[ "$(b ps -a --format json | jq -r '.[].name')" = s2 ]
}
