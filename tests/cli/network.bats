#!/usr/bin/env bats
# berth networks: network create/ls/inspect/rm/prune, the default network, veth pairs into
# namespaces the engine makes, leases, names between containers, teardown, bad input.
# Packets go only between the containers (network namespaces) these tests make: every
# container gets --dns 127.0.0.1, so a name missing from its /etc/hosts is asked of its own
# loopback, never of a resolver outside.
load helpers
load network-helpers

# other_host P: a simulated other host, the namespace $TEST_NS of the test's own behind a
# veth pair: the host is P.1 on bt-h$$, the other host P.2 (teardown removes both)
other_host() {
	test_ns berth-nt-$$ bt-h$$ bt-p$$
	ip addr add "$1.1/24" dev bt-h$$
	ip -n "$TEST_NS" addr add "$1.2/24" dev bt-p$$
}

@test "network create, ls, inspect, rm, prune; the default network exists uncreated" {
	run b network ls --format json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.[0].name')" = berth ]
	[ "$(echo "$output" | jq -r '.[0].bridge')" = berth0 ]
	run b network create --subnet 10.99.250.0/24 --gateway 10.99.250.254 --label team=a --internal n1
	[ "$status" -eq 0 ]
	[ "$output" = n1 ]
	run b network inspect n1
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.[0].subnet')" = 10.99.250.0/24 ]
	[ "$(echo "$output" | jq -r '.[0].gateway')" = 10.99.250.254 ]
	[ "$(echo "$output" | jq -r '.[0].labels.team')" = a ]
	[ "$(echo "$output" | jq -r '.[0].internal')" = true ]
	run b network create n1
	[ "$status" -eq 125 ]
	[[ "$output" == *'network "n1" exists already'* ]]
	b network create n2
	run b network ls
	[[ "$output" == *n1* ]]
	[[ "$output" == *n2* ]]
	# the default network cannot go
	run b network rm berth
	[ "$status" -eq 125 ]
	# in use: refused; -f stops the user
	b run -d --name user --network n2 busybox sleep 1000
	run b network rm n2
	[ "$status" -eq 125 ]
	[[ "$output" == *'in use by container "user"'* ]]
	b network rm -f n2
	run b network inspect n2
	[ "$status" -eq 125 ]
	[ "$(b ps --format json | jq length)" -eq 0 ]
	br=$(b network inspect n1 | jq -r '.[0].bridge')
	b run --rm --network n1 busybox true
	ip link show "$br"
	run b network prune
	[ "$status" -eq 0 ]
	[ "$output" = n1 ]
	run ip link show "$br"
	[ "$status" -ne 0 ]
	[ "$(b network ls -q)" = berth ]
}

# and a second engine root's, when a test made one
teardown() {
	net_teardown
	if [ -d "$BATS_TEST_TMPDIR/root2" ]; then
		ROOT=$BATS_TEST_TMPDIR/root2 net_teardown
	fi
}

@test "two engine roots: their networks get distinct subnets and bridges, and keep each other's rules" {
	r2() { "$BERTH" --root "$BATS_TEST_TMPDIR/root2" "$@"; }
	b network create same
	r2 network create same
	s1=$(b network inspect same | jq -r '.[0].subnet')
	s2=$(r2 network inspect same | jq -r '.[0].subnet')
	[ "$s1" != "$s2" ]
	br1=$(b network inspect same | jq -r '.[0].bridge')
	br2=$(r2 network inspect same | jq -r '.[0].bridge')
	[ "$br1" != "$br2" ]
	# made at create: the next root sees its route
	ip link show "$br1"
	ip link show "$br2"
	web one --network same
	r2 run -d --dns 127.0.0.1 --name two --network same busybox \
		sh -c 'mkdir /w; echo two-page >/w/index.html; exec httpd -f -p 80 -h /w'
	# each network's rules, by bridge: the second did not replace the first's
	nft list table inet berth | grep -q "net-$br1-in"
	nft list table inet berth | grep -q "net-$br2-in"
	ip1=$(ip_of one)
	run brun --rm --network same busybox wget -qO- "http://$ip1/"
	[ "$output" = one-page ]
	ip2=$(r2 inspect two | jq -r .network_settings.ip_address)
	run r2 run --rm --dns 127.0.0.1 --network same busybox wget -qO- "http://$ip2/"
	[ "$output" = two-page ]
	r2 rm -f two
	r2 network rm same
	run ip link show "$br2"
	[ "$status" -ne 0 ]
	nft list table inet berth | grep -q "net-$br1-in"
}

@test "a new network's subnet collides with no route of the host" {
	test_ns berth-nt-$$ bt-h$$ bt-p$$
	ip addr add 10.89.1.1/24 dev bt-h$$
	ip route add 10.89.2.0/23 dev bt-h$$
	b network create avoid
	sub=$(b network inspect avoid | jq -r '.[0].subnet')
	[ "$sub" != 10.89.1.0/24 ]
	[ "$sub" != 10.89.2.0/24 ]
	[ "$sub" != 10.89.3.0/24 ]
	[[ "$sub" == 10.* ]]
	[[ "$sub" != 10.88.* ]]
	# and none of berth's other networks
	[ "$(b network ls --format json | jq -r '.[].subnet' | sort | uniq -d)" = "" ]
}

@test "two containers on a user network: TCP by name and alias, UDP, a later one resolvable" {
	b network create app
	brun -d --name web --network app --network-alias www busybox \
		sh -c 'mkdir /w; echo hello-web >/w/index.html; exec httpd -f -p 80 -h /w'
	until_ok b exec web wget -qO- http://127.0.0.1/
	run brun --rm --network app busybox wget -qO- http://web/
	[ "$status" -eq 0 ]
	[ "$output" = hello-web ]
	run brun --rm --network app busybox wget -qO- http://www/
	[ "$output" = hello-web ]
	# UDP: a listener in web's namespace (the engine made it for this test), a client
	# container (busybox tftp sends one datagram) with a known address
	webid=$(b inspect web | jq -r .id)
	sub=$(b network inspect app | jq -r '.[0].subnet')
	cip=${sub%.0/24}.77
	nsenter --net="$ROOT/netns/$webid" /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5000))
s.settimeout(600)  # a bound on failure only: the test is not left waiting forever
print("bound", flush=True)
d, a = s.recvfrom(512)
s.sendto(b"\x00\x05\x00\x00done\x00", a)
print(a[0], d[2:11].decode(), flush=True)
' >"$BATS_TEST_TMPDIR/udp" 2>&1 </dev/null 3>&- &
	udp=$!
	until_ok grep -q bound "$BATS_TEST_TMPDIR/udp"
	brun --rm --network app --ip "$cip" busybox tftp -g -r hello-udp -l /tmp/x web 5000 || true
	wait "$udp"
	[ "$(sed -n 2p "$BATS_TEST_TMPDIR/udp")" = "$cip hello-udp" ]
	# a container started after web: web resolves it by name and alias
	brun -d --name late --network app --network-alias late2 busybox \
		sh -c 'mkdir /w; echo late-page >/w/index.html; exec httpd -f -p 80 -h /w'
	until_ok b exec late wget -qO- http://127.0.0.1/
	run b exec web wget -qO- http://late/
	[ "$status" -eq 0 ]
	[ "$output" = late-page ]
	run b exec web wget -qO- http://late2/
	[ "$output" = late-page ]
	# gone again: web's hosts no longer names it
	b rm -f late
	run b exec web grep -c late /etc/hosts
	[ "$output" = 0 ]
}

@test "the default network: an address, a route, no names of others; ps and inspect show it" {
	brun -d --name d1 busybox sleep 1000
	run b exec d1 ip -o -4 addr show eth0
	[ "$status" -eq 0 ]
	sub=$(b network inspect berth | jq -r '.[0].subnet')
	[[ "$output" == *"inet ${sub%.0/24}."* ]]
	run b exec d1 ip route
	[[ "$output" == *"default via ${sub%.0/24}.1 dev eth0"* ]]
	[ "$(ip_of d1)" != null ]
	brun -d --name d2 busybox sleep 1000
	# -w: d2's own line holds its hostname, a hex id that may contain "d1"
	run b exec d2 grep -c -w d1 /etc/hosts
	[ "$output" = 0 ]
	# but the address answers (a closed port: refused; busybox wget crashes on that, nc not)
	run b exec d2 nc "$(ip_of d1)" 1
	[[ "$output" == *"Connection refused"* ]]
	[ "$(b ps --format json | jq -r '.[] | select(.name == "d1") | .network_settings.network')" = berth ]
}

@test "--network none has only lo; host is the host's; container:NAME shares" {
	run brun --rm --network none busybox ls /sys/class/net
	[ "$status" -eq 0 ]
	[ "$output" = lo ]
	run brun --rm --network host busybox readlink /proc/self/ns/net
	[ "$output" = "$(readlink /proc/self/ns/net)" ]
	brun -d --name base busybox sleep 1000
	mac=$(b exec base cat /sys/class/net/eth0/address)
	run brun --rm --network container:base busybox cat /sys/class/net/eth0/address
	[ "$status" -eq 0 ]
	[ "$output" = "$mac" ]
	run brun --rm --network container:base busybox readlink /proc/self/ns/net
	[ "$output" = "$(b exec base readlink /proc/self/ns/net)" ]
	run brun --rm --network container:nope busybox true
	[ "$status" -eq 125 ]
}

@test "--network none: the runtime's own namespace (lo up, no netns file); container:NAME of one joins it while it runs" {
	brun -d --name nn --network none busybox sleep 1000
	id=$(b inspect --format '{{.Id}}' nn)
	[ ! -e "$ROOT/netns/$id" ] || false
	run b exec nn cat /sys/class/net/lo/operstate
	[ "$output" = unknown ]
	run b exec nn ping -c 1 -W 2 127.0.0.1
	[ "$status" -eq 0 ]
	ns=$(b exec nn readlink /proc/self/ns/net)
	[ "$ns" != "$(readlink /proc/self/ns/net)" ] || false
	run brun --rm --network container:nn busybox readlink /proc/self/ns/net
	[ "$status" -eq 0 ]
	[ "$output" = "$ns" ]
	b create --name nj --network container:nn busybox readlink /proc/self/ns/net
	b stop -t 0 nn
	run b start -a nj
	[ "$status" -eq 125 ]
	[[ "$output" == *'container "nn" is not running'* ]] || false
	# restarted, nn has a new namespace (its number may be the old one's again) and a new
	# pid: nj joins that one
	b start nn
	ns2=$(b exec nn readlink /proc/self/ns/net)
	run b start -a nj
	[ "$status" -eq 0 ]
	[ "$output" = "$ns2" ]
	b rm -f nj nn
	[ -z "$(ls "$ROOT/netns" 2>/dev/null)" ] || false
}

@test "--network none of a container an older berth created (config.json names netns/ID): made, lo up, removed as before" {
	id=$(b create --network none busybox sh -c 'cat /sys/class/net/lo/operstate; readlink /proc/self/ns/net')
	d=$ROOT/containers/$id
	# what berth made before the runtime made none's namespace
	jq 'del(.network.runtime_netns)' "$d/container.json" >"$d/c.tmp"
	mv "$d/c.tmp" "$d/container.json"
	jq --arg p "$ROOT/netns/$id" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' \
		"$d/config.json" >"$d/c.tmp"
	mv "$d/c.tmp" "$d/config.json"
	run b start -a "$id"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = unknown ]
	[ "${lines[1]}" != "$(readlink /proc/self/ns/net)" ] || false
	[ ! -e "$ROOT/netns/$id" ] || false
	b rm "$id"
}

@test "--ip, --mac-address, --hostname, --dns, --dns-search, --add-host, resolv.conf" {
	b network create --subnet 10.99.251.0/24 opts
	run b run --rm --network opts --ip 10.99.251.9 --mac-address 02:42:aa:bb:cc:dd \
		--hostname box --dns 192.0.2.7 --dns-search a.test --add-host db:192.0.2.8 \
		busybox sh -c 'ip -o -4 addr show eth0; cat /sys/class/net/eth0/address; hostname; cat /etc/resolv.conf /etc/hosts'
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet 10.99.251.9/24"* ]]
	[[ "$output" == *"02:42:aa:bb:cc:dd"* ]]
	[[ "$output" == *$'\nbox\n'* ]]
	[[ "$output" == *"nameserver 192.0.2.7"* ]]
	[[ "$output" == *"search a.test"* ]]
	[[ "$output" == *$'192.0.2.8\tdb'* ]]
	[[ "$output" == *$'10.99.251.9\tbox'* ]]
	# without --dns: the host's resolvers, but none on 127.x (out of the container's reach)
	run b run --rm --network none busybox cat /etc/resolv.conf
	[[ "$output" != *"nameserver 127."* ]]
	[ "$output" = "$(grep -v '^nameserver 127\.' /etc/resolv.conf | grep -E '^(nameserver|search|domain|options)' || true)" ]
}

@test "50 run -d in parallel get 50 distinct addresses; rm frees them all" {
	b network create --subnet 10.99.252.0/24 par
	pids=()
	for i in $(seq 50); do
		brun -d --network par --name "p$i" busybox sleep 1000 >/dev/null &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	[ "$(leases | jq length)" -eq 50 ]
	[ "$(leases | jq -r '.[].ip' | sort -u | wc -l)" -eq 50 ]
	[ "$(b ps --format json | jq -r '.[].network_settings.ip_address' | sort -u | wc -l)" -eq 50 ]
	[ "$(veths_on par | wc -l)" -eq 50 ]
	b rm -f $(b ps --format json | jq -r '.[].id')
	[ "$(leases)" = '[]' ]
	until_ok no_ports par
	[ -z "$(netns_left)" ]
}

@test "a stale lease (monitor killed -9, container gone) is reclaimed" {
	b network create --subnet 10.99.253.0/24 st
	brun -d --name s --network st --ip 10.99.253.50 busybox sleep 1000
	sid=$(b inspect s | jq -r .id)
	mon=$(b inspect s | jq -r .monitor_pid)
	init=$(b inspect s | jq -r .pid)
	[ "$(leases | jq -r '.[].ip')" = 10.99.253.50 ]
	kill -9 "$mon"
	kill -9 "$init"
	until_ok proc_gone "$init"
	# nobody tore it down
	[ "$(leases | jq -r '.[].id')" = "$sid" ]
	# the address is found free again by the next container that wants it
	run brun --rm --network st --ip 10.99.253.50 busybox ip -o -4 addr show eth0
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet 10.99.253.50/24"* ]]
	[ "$(leases)" = '[]' ]
	until_ok no_ports st
	[ -z "$(netns_left)" ]
}

proc_gone() {
	[ ! -e "/proc/$1/stat" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat")" = Z ]
}

# berth's nftables chains for the containers whose ids are in file $1 (none: empty)
fw_left() {
	local id
	while read -r id; do
		nft list table inet berth 2>/dev/null | grep "ctr-$id" || true
	done <"$1"
}

@test "100 run/rm cycles with -p leave no veth, netns mount, lease or nft rule" {
	b network create cyc
	: >"$BATS_TEST_TMPDIR/ids"
	for i in $(seq 100); do
		if [ $((i % 2)) -eq 0 ]; then
			brun --rm --network cyc -p 127.0.0.1::80 busybox true
		else
			id=$(brun -d --network cyc -p 127.0.0.1::80 busybox sleep 1000)
			echo "$id" >>"$BATS_TEST_TMPDIR/ids"
			nft list table inet berth | grep -q "ctr-$id"
			b rm -f "$id" >/dev/null
		fi
	done
	[ "$(leases)" = '[]' ]
	until_ok no_ports cyc
	[ -z "$(netns_left)" ]
	[ -z "$(ls "$ROOT/containers")" ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/ids")" -eq 50 ]
	[ -z "$(fw_left "$BATS_TEST_TMPDIR/ids")" ]
}

@test "published ports: -p IP:HOST:CTR and a random host port from 127.0.0.1; port; ps; rules go with it" {
	hp=$(free_port)
	brun -d --name pw -p "127.0.0.1:$hp:80" -p 80 busybox \
		sh -c 'mkdir /w; echo pub-web >/w/index.html; exec httpd -f -p 80 -h /w'
	id=$(b inspect pw | jq -r .id)
	until_ok curl -sf -m 10 "http://127.0.0.1:$hp/"
	run curl -sf -m 10 "http://127.0.0.1:$hp/"
	[ "$output" = pub-web ]
	run b port pw
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "80/tcp -> 127.0.0.1:$hp" ]
	[[ "${lines[1]}" == "80/tcp -> 0.0.0.0:"* ]]
	rp=${lines[1]##*:}
	run curl -sf -m 10 "http://127.0.0.1:$rp/"
	[ "$output" = pub-web ]
	run b ps
	[[ "$output" == *"127.0.0.1:$hp->80/tcp, 0.0.0.0:$rp->80/tcp"* ]]
	[ "$(b inspect pw | jq -r '.network_settings.ports[0].host_port')" = "$hp" ]
	nft list table inet berth | grep -q "ctr-$id"
	b rm -f pw
	echo "$id" >"$BATS_TEST_TMPDIR/ids"
	[ -z "$(fw_left "$BATS_TEST_TMPDIR/ids")" ]
	run curl -sf -m 10 "http://127.0.0.1:$hp/"
	[ "$status" -ne 0 ]
}

@test "a host port in use, a bad -p: one line, exit 125, nothing left" {
	# a listener of the test's own holds a port (every fd redirected: bats waits for none)
	/usr/bin/python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
time.sleep(100000)
' >"$BATS_TEST_TMPDIR/busy" 2>/dev/null </dev/null 3>&- &
	holder=$!
	until_ok test -s "$BATS_TEST_TMPDIR/busy"
	busy=$(cat "$BATS_TEST_TMPDIR/busy")
	before_leases=$(leases)
	before_veths=$(veths)
	run brun --rm -p "127.0.0.1:$busy:80" busybox true
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"already in use"* ]]
	run brun -d -p "127.0.0.1:$busy:80" busybox true
	[ "$status" -eq 125 ]
	[[ "$output" == *"already in use"* ]]
	for p in "70000:80" "80/sctp" "1-70000:80" "x:80"; do
		run brun --rm -p "$p" busybox true
		[ "$status" -eq 125 ] || { echo "$p: $status"; false; }
		[ "${#lines[@]}" -eq 1 ]
	done
	run brun --rm --network none -p 80 busybox true
	[ "$status" -eq 125 ]
	kill "$holder"
	[ "$(leases)" = "$before_leases" ]
	until_ok veths_are "$before_veths"
	[ -z "$(netns_left)" ]
	[ -z "$(ls "$ROOT/containers")" ]
}

@test "two user networks cannot reach each other; a container reaches its own network" {
	b network create iso1
	b network create iso2
	brun -d --name srv --network iso2 busybox \
		sh -c 'mkdir /w; echo iso-web >/w/index.html; exec httpd -f -p 80 -h /w'
	until_ok b exec srv wget -qO- http://127.0.0.1/
	sip=$(ip_of srv)
	run brun --rm --network iso2 busybox wget -qO- "http://$sip/"
	[ "$output" = iso-web ]
	# from the other network: dropped (nc gives up after its connect timeout)
	run brun --rm --network iso1 busybox sh -c "echo 'GET / HTTP/1.0' | nc -w 3 $sip 80"
	[ "$status" -ne 0 ]
	[[ "$output" != *iso-web* ]]
	[[ "$output" != *HTTP* ]]
	# and the network's chains (named by its bridge) go with it
	br1=$(b network inspect iso1 | jq -r '.[0].bridge')
	br2=$(b network inspect iso2 | jq -r '.[0].bridge')
	nft list table inet berth | grep -q "net-$br1-in"
	b rm -f srv
	b network rm iso1 iso2
	run nft list table inet berth
	[[ "$output" != *"net-$br1-"* ]]
	[[ "$output" != *"net-$br2-"* ]]
}

@test "bad input: one line, exit 125, nothing left (no veth, lease, netns)" {
	b network create --subnet 10.99.254.0/24 bad
	brun -d --name holder --network bad --ip 10.99.254.5 busybox sleep 1000
	before_leases=$(leases)
	before_veths=$(veths)
	before_ns=$(netns_left)
	for args in "--network nope busybox true" "--network bad --ip 10.99.1.5 busybox true" \
		"--network bad --ip 10.99.254.5 busybox true" "--network bad --ip 10.99.254.255 busybox true" \
		"--network bad --ip x busybox true" "--network none --ip 10.99.254.6 busybox true" \
		"--network bad --mac-address 01:00:5e:00:00:01 busybox true" \
		"--add-host nocolon busybox true" "--dns not-an-ip busybox true" \
		"--network container:nope busybox true" "--network-alias x busybox true"; do
		run b run $args
		[ "$status" -eq 125 ] || { echo "$args: $status"; false; }
		[ "${#lines[@]}" -eq 1 ] || { echo "$args: $output"; false; }
		[[ "$output" == "berth: run: "* ]]
	done
	run b run --network bad --ip 10.99.254.5 busybox true
	[[ "$output" == *'taken'*'"holder"'* ]]
	run b run -d --network bad --ip 10.99.254.5 busybox true
	[ "$status" -eq 125 ]
	[ "$(leases)" = "$before_leases" ]
	until_ok veths_are "$before_veths"
	[ "$(netns_left)" = "$before_ns" ]
	[ "$(b ps -a --format json | jq length)" -eq 1 ]
	for args in "--subnet 10.99.254.0/23 x" "--subnet 10.99.254.128/25 x" "--subnet 10.1.2.3/24 x" \
		"--subnet 10.1.2.0/33 x" "--subnet nonsense x" "--gateway 10.9.9.9 x" \
		"--subnet 10.99.200.0/24 --gateway 10.99.201.1 x" "bad" "--label novalue x" "a/b"; do
		run b network create $args
		[ "$status" -eq 125 ] || { echo "$args: $status"; false; }
		[ "${#lines[@]}" -eq 1 ] || { echo "$args: $output"; false; }
		[[ "$output" == "berth: network: "* ]]
	done
	run b network create --subnet 10.99.254.0/23 x
	[[ "$output" == *'overlaps network "bad"'* ]]
	[ "$(b network ls -q | sort | tr '\n' ' ')" = "bad berth " ]
	run b network rm nope
	[ "$status" -eq 125 ]
	[[ "$output" == *'no network "nope"'* ]]
}

@test "a simulated other host: reached from a network, not from an --internal one" {
	# the other host, serving HTTP
	other_host 10.99.240
	mkdir -p "$BATS_TEST_TMPDIR/www"
	echo other-host >"$BATS_TEST_TMPDIR/www/index.html"
	ip netns exec "$TEST_NS" busybox httpd -f -p 10.99.240.2:80 -h "$BATS_TEST_TMPDIR/www" \
		</dev/null >/dev/null 2>&1 3>&- &
	echo $! >"$BATS_TEST_TMPDIR/httpd.pid"
	b network create out
	b network create --internal inside
	until_ok brun --rm --network out busybox wget -qO- http://10.99.240.2/
	run brun --rm --network out busybox wget -qO- http://10.99.240.2/
	[ "$output" = other-host ]
	run brun --rm --network inside busybox sh -c "echo 'GET / HTTP/1.0' | nc -w 3 10.99.240.2 80"
	[ "$status" -ne 0 ]
	[[ "$output" != *other-host* ]]
}

@test "-P publishes the image's exposed ports; the other host reaches them through the host's address" {
	local d=$BATS_TEST_TMPDIR hp up
	b image export busybox "$d/bb.tar"
	mkdir "$d/base"
	tar -C "$d/base" -xf "$d/bb.tar"
	python3 "$BERTH_TOP/tests/tools/mkimage.py" "$d/base" "$d/web" --expose 80/tcp \
		--expose 5353/udp --tag web:exposed
	tar -C "$d/web" -cf "$d/web.tar" .
	b load -q -i "$d/web.tar"
	other_host 10.99.241
	brun -d --name pall -P web:exposed \
		sh -c 'mkdir /w; echo exposed-web >/w/index.html; exec httpd -f -p 80 -h /w'
	run b port pall
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	run sort <<<"$output"
	[[ "${lines[0]}" =~ ^5353/udp\ -\>\ 0\.0\.0\.0:[0-9]+$ ]]
	[[ "${lines[1]}" =~ ^80/tcp\ -\>\ 0\.0\.0\.0:[0-9]+$ ]]
	up=${lines[0]##*:}
	hp=${lines[1]##*:}
	[ "$hp" -ge 1024 ]
	[ "$up" -ge 1024 ]
	until_ok ip netns exec "$TEST_NS" busybox wget -qO- "http://10.99.241.1:$hp/"
	run ip netns exec "$TEST_NS" busybox wget -qO- "http://10.99.241.1:$hp/"
	[ "$status" -eq 0 ]
	[ "$output" = exposed-web ]
	b rm -f pall
	run ip netns exec "$TEST_NS" busybox wget -qO- "http://10.99.241.1:$hp/"
	[ "$status" -ne 0 ]
	# -P on an image without exposed ports publishes nothing
	brun -d --name pnone -P busybox sleep 100
	run b port pnone
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
