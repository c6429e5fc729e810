# Helpers of the network tests (network.bats, network6.bats, network-dns.bats,
# network-connect.bats), loaded after helpers.bash. The file's store is $ROOT; a test's
# "other host" is the network namespace $TEST_NS behind the veth $TEST_LINK (host side),
# both removed in teardown, as every process whose pid the test wrote to $BATS_TEST_TMPDIR/*.pid.
# Packets go only between the containers these tests make and such namespaces: brun gives
# every container --dns 127.0.0.1, so a name missing from its /etc/hosts is asked of its own
# loopback, never of a resolver outside.

BERTH=$BERTH_BUILD/berth

setup_file() {
	export ROOT=$BATS_FILE_TMPDIR/root
}

setup() {
	ROOT=$BATS_FILE_TMPDIR/root
}

teardown() {
	net_teardown
}

# the test's containers, networks, processes and other host
net_teardown() {
	local n f
	engine_rm_all
	for n in $(b network ls -q 2>/dev/null); do
		[ "$n" = berth ] || b network rm -f "$n" >/dev/null 2>&1 || true
	done
	for f in "$BATS_TEST_TMPDIR"/*.pid; do
		[ -e "$f" ] || continue
		kill "$(cat "$f")" 2>/dev/null || true
	done
	if [ -n "${TEST_NS:-}" ]; then
		ip netns del "$TEST_NS" 2>/dev/null || true
	fi
	if [ -n "${TEST_LINK:-}" ]; then
		ip link del "$TEST_LINK" 2>/dev/null || true
	fi
}

# run a container on a network, with its resolver on its own loopback
brun() {
	b run --dns 127.0.0.1 "$@"
}

# host ends of berth's veth pairs of first networks (vb + 11 hex digits), on the whole host
veths() {
	ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//' | grep -E '^vb[0-9a-f]{11}$' | sort || true
}

# the ports of a network's bridge (the host ends of its containers' veths)
veths_on() {
	local br
	br=$(b network inspect "$1" | jq -r '.[0].bridge')
	[ -n "$br" ] || return 1
	ip -o link show master "$br" | awk -F': ' '{ print $2 }' | sed 's/@.*//' | sort || true
}

# A container's veth pairs go with its network namespace, a moment after the container (the
# engine sets the host end down and the kernel deletes the pair): these poll (until_ok).
no_link() {
	! ip link show "$1" >/dev/null 2>&1
}
no_ports() {
	[ -z "$(veths_on "$1")" ]
}
veths_are() {
	[ "$(veths)" = "$1" ]
}

# the host end of a container's first veth (vb + 11 digits of its id), when it is there
veth_of() {
	ip -o link show "vb${1:0:11}" 2>/dev/null || true
}

leases() {
	if [ -e "$ROOT/networks/leases.json" ]; then jq -c . "$ROOT/networks/leases.json"; else echo '[]'; fi
}

netns_left() {
	ls "$ROOT/netns" 2>/dev/null || true
	grep " $ROOT/netns/" /proc/self/mountinfo || true
}

# wait until a command succeeds (bounded by tries, not by time)
until_ok() {
	local i
	for i in $(seq 600); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@"
}

ip_of() {
	b inspect "$1" | jq -r '.network_settings.ip_address'
}

ip6_of() {
	b inspect "$1" | jq -r '.network_settings.global_ipv6_address'
}

id_of() {
	b inspect "$1" | jq -r .id
}

# a free TCP port of 127.0.0.1 (the kernel's choice)
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# web NAME [RUN OPTIONS]: a detached busybox httpd serving "NAME-page", answering
web() {
	local name=$1
	shift
	brun -d --name "$name" "$@" busybox \
		sh -c "mkdir /w; echo $name-page >/w/index.html; exec httpd -f -p 80 -h /w"
	until_ok b exec "$name" wget -qO- http://127.0.0.1/
}

# test_ns NAME LINK PEER: the test's other host, the namespace NAME joined to the host by the
# veth pair LINK (the host's side) / PEER (its side), both up, and its lo up
test_ns() {
	TEST_NS=$1
	TEST_LINK=$2
	ip netns add "$TEST_NS"
	ip link add "$TEST_LINK" type veth peer name "$3"
	ip link set "$3" netns "$TEST_NS"
	ip link set "$TEST_LINK" up
	ip -n "$TEST_NS" link set "$3" up
	ip -n "$TEST_NS" link set lo up
}
