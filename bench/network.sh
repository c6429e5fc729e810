#!/bin/bash
# Container networking: TCP throughput (iperf3, run inside network namespaces) over
#   - a bare veth pair between two namespaces (the floor every other path is measured against),
#   - container to container on one berth bridge,
#   - a simulated other host to a container, routed through the host (no NAT: the same hops
#     as the published port, so the difference between the two is the DNAT's cost),
#   - a berth published port (DNAT by berth's nftables rules) from a simulated other host,
#     both as fwtool sets the rules on this script's bridge and through a container that
#     `berth run -d -p` made on a `berth network` (its iperf3 server: the host's, in the
#     container's network namespace),
#   - a Podman published port (DNAT by Podman's CNI/iptables-nft rules) from the same other host,
# and, once the engine has networks (`berth network ls` works), the start cost of
# `berth run --rm --network bridge busybox true` minus `--network none`, against Podman's.
#   bench/network.sh [BUILD_DIR]      T=5 seconds per iperf3 run, R=3 rounds (interleaved)
# Everything runs in namespaces this script (or the berth it runs) makes; traffic goes only
# to them.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
T=${T:-5}
R=${R:-3}
fwtool=$build/tests/tools/fwtool

[ "$(id -u)" -eq 0 ] || { echo "network.sh: run as root" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "network.sh: iperf3 not installed (apt-get install iperf3)" >&2; exit 1; }
[ -x "$fwtool" ] || { echo "network.sh: $fwtool not built (meson -Dtests=true)" >&2; exit 1; }

t=$(printf '%x' $$)
BR=bnb$t VO=bno$t V1=bn1$t V2=bn2$t
A=bna-$t B=bnbb-$t C1=bnc1-$t C2=bnc2-$t OH=bnoh-$t
NET=bench$t ID=bench$t BNET=benchrun$t
work=$(mktemp -d /tmp/berth-netbench.XXXXXX)
pids=()
pm_ctr=""
br_ctr=""

cleanup() {
	set +e
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[ -z "$pm_ctr" ] || pm rm -f -t 0 "$pm_ctr" >/dev/null 2>&1
	if [ -n "$br_ctr" ]; then
		"$build/berth" --root "$work/root" rm -f "$br_ctr" >/dev/null 2>&1
		"$build/berth" --root "$work/root" network rm "$BNET" >/dev/null 2>&1
	fi
	[ ! -d "$work/pm" ] || pm rmi -a -f >/dev/null 2>&1
	"$fwtool" ports-del "$ID" 2>/dev/null
	"$fwtool" net-del "$NET" 2>/dev/null
	for ns in "$A" "$B" "$C1" "$C2" "$OH"; do ip netns del "$ns" 2>/dev/null; done
	for l in "$BR" "$VO" "$V1" "$V2"; do ip link del "$l" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

# --- topology ---------------------------------------------------------------------------
# bare veth pair: A (172.30.190.1) <-> B (172.30.190.2)
ip netns add "$A"
ip netns add "$B"
ip -n "$A" link add eth0 type veth peer name eth0 netns "$B"
ip -n "$A" addr add 172.30.190.1/24 dev eth0
ip -n "$B" addr add 172.30.190.2/24 dev eth0
for ns in "$A" "$B"; do ip -n "$ns" link set eth0 up; ip -n "$ns" link set lo up; done
# a berth network: bridge BR (172.30.191.1), containers C1 (.2) and C2 (.3)
ip link add "$BR" type bridge
ip addr add 172.30.191.1/24 dev "$BR"
ip link set "$BR" up
ctr_ns() { # NS HOSTIF IP
	ip netns add "$1"
	ip link add "$2" type veth peer name eth0 netns "$1"
	ip link set "$2" master "$BR" up
	ip link set "$2" type bridge_slave hairpin on
	ip -n "$1" addr add "$3/24" dev eth0
	ip -n "$1" link set eth0 up
	ip -n "$1" link set lo up
	ip -n "$1" route add default via 172.30.191.1
}
ctr_ns "$C1" "$V1" 172.30.191.2
ctr_ns "$C2" "$V2" 172.30.191.3
# the other host: OH (172.30.192.2) joined to the host (VO, 172.30.192.1)
ip netns add "$OH"
ip link add "$VO" type veth peer name eth0 netns "$OH"
ip addr add 172.30.192.1/24 dev "$VO"
ip link set "$VO" up
ip -n "$OH" addr add 172.30.192.2/24 dev eth0
ip -n "$OH" link set eth0 up
ip -n "$OH" link set lo up
# a route back, for the routed (no NAT) row: the same hops as the published port, no DNAT
ip -n "$OH" route add 172.30.191.0/24 via 172.30.192.1

"$fwtool" net-add "$NET" "$BR" 172.30.191.0/24
port=$("$fwtool" ports-add "$ID" "$NET" "$BR" 172.30.191.0/24 172.30.191.2 5201 | awk '{print $2}')

# iperf3 servers, one per namespace that serves, each a daemon (ended by pid in cleanup)
serve() { # NAME COMMAND-PREFIX…
	local name=$1
	shift
	"$@" iperf3 -s -D -I "$work/iperf-$name.pid" >/dev/null
	for _ in $(seq 1 300); do
		[ -s "$work/iperf-$name.pid" ] && break
		sleep 0.1
	done
	pids+=("$(cat "$work/iperf-$name.pid")")
}
# gbit NS-CLIENT IP PORT: one iperf3 run's received Gbit/s
gbit() {
	for _ in $(seq 1 50); do
		if ip netns exec "$1" iperf3 -c "$2" -p "$3" -t "$T" -J >"$work/out.json" 2>/dev/null; then
			jq -r '.end.sum_received.bits_per_second / 1e9' "$work/out.json"
			return 0
		fi
		sleep 0.2 # the server is not up yet
	done
	echo "network.sh: iperf3 to $2:$3 from $1 failed: $(jq -r .error "$work/out.json" 2>/dev/null)" >&2
	return 1
}
serve B ip netns exec "$B"
serve C1 ip netns exec "$C1"

# --- a berth container's published port: berth network, berth run -d -p ----------------
br_port=""
if "$build/berth" --root "$work/root" network create --subnet 172.30.193.0/24 "$BNET" >/dev/null; then
	br_port=$(shuf -i 20000-29999 -n 1)
	br_ctr=$("$build/berth" --root "$work/root" run -d --network "$BNET" --dns 127.0.0.1 \
		-p "$br_port:5201" busybox sleep 100000)
	br_pid=$("$build/berth" --root "$work/root" inspect "$br_ctr" | jq -r .pid)
	serve berth-run nsenter -t "$br_pid" -n
fi

# --- Podman's published port, if Podman can run a bridge-networked container here -------
pm() {
	podman --root "$work/pm/root" --runroot "$work/pm/runroot" --storage-driver vfs \
		--cgroup-manager cgroupfs --events-backend file "$@"
}
pm_ns=""
# no CAP_SYS_RESOURCE here: Podman's default rlimits cannot be set (as bench/engine-run.sh)
pm_limits=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
pm_port=""
if command -v podman >/dev/null && [ "${PODMAN:-1}" = 1 ]; then
	mkdir -p "$work/pm" "$work/rootfs"
	"$top/scripts/make-rootfs.sh" "$work/rootfs" >/dev/null
	if tar -C "$work/rootfs" -c . | pm import - localhost/berth-netbench:1 >/dev/null 2>&1 &&
		pm_ctr=$(pm run -d --runtime "$build/berth-runtime" --network bridge -p 5201 "${pm_limits[@]}" \
			localhost/berth-netbench:1 sleep 100000 2>"$work/pm.err"); then
		pm_pid=$(pm inspect -f '{{.State.Pid}}' "$pm_ctr")
		pm_port=$(pm port "$pm_ctr" 5201/tcp | head -1)
		pm_port=${pm_port##*:}
		# the host's iperf3 in the Podman container's network namespace
		serve podman nsenter -t "$pm_pid" -n
		pm_ns=yes
	else
		echo "# Podman cannot run a bridge-networked container here; its row is left out: $(head -c 200 "$work/pm.err" 2>/dev/null)"
	fi
fi

# --- throughput --------------------------------------------------------------------------
declare -A sum
rows=(bare bridge routed berth-dnat)
[ -z "$br_port" ] || rows+=(berth-run)
[ -z "$pm_ns" ] || rows+=(podman-dnat)
for row in "${rows[@]}"; do sum[$row]=0; done
for ((r = 0; r < R; r++)); do
	v=$(gbit "$A" 172.30.190.2 5201)
	sum[bare]=$(awk -v a="${sum[bare]}" -v b="$v" 'BEGIN { print a + b }')
	v=$(gbit "$C2" 172.30.191.2 5201)
	sum[bridge]=$(awk -v a="${sum[bridge]}" -v b="$v" 'BEGIN { print a + b }')
	v=$(gbit "$OH" 172.30.191.2 5201)
	sum[routed]=$(awk -v a="${sum[routed]}" -v b="$v" 'BEGIN { print a + b }')
	v=$(gbit "$OH" 172.30.192.1 "$port")
	sum[berth-dnat]=$(awk -v a="${sum[berth-dnat]}" -v b="$v" 'BEGIN { print a + b }')
	if [ -n "$br_port" ]; then
		v=$(gbit "$OH" 172.30.192.1 "$br_port")
		sum[berth-run]=$(awk -v a="${sum[berth-run]}" -v b="$v" 'BEGIN { print a + b }')
	fi
	if [ -n "$pm_ns" ]; then
		v=$(gbit "$OH" 172.30.192.1 "$pm_port")
		sum[podman-dnat]=$(awk -v a="${sum[podman-dnat]}" -v b="$v" 'BEGIN { print a + b }')
	fi
done
printf 'TCP throughput, iperf3 -t %s, mean of %s rounds (%s, %s)\n' "$T" "$R" "$(uname -r)" "$(iperf3 --version | head -1)"
printf '%-34s %10s %10s\n' path 'Gbit/s' 'vs bare'
bare=$(awk -v s="${sum[bare]}" -v R="$R" 'BEGIN { print s / R }')
desc() {
	case $1 in
	bare) echo "bare veth pair" ;;
	bridge) echo "container -> container (bridge)" ;;
	routed) echo "other host -> container, routed" ;;
	berth-dnat) echo "other host -> berth rules (fwtool)" ;;
	berth-run) echo "other host -> berth run -p" ;;
	podman-dnat) echo "other host -> Podman published port" ;;
	esac
}
for row in "${rows[@]}"; do
	awk -v s="${sum[$row]}" -v R="$R" -v b="$bare" -v d="$(desc "$row")" \
		'BEGIN { printf "%-34s %10.2f %9.2fx\n", d, s / R, s / R / b }'
done
if [ -n "$pm_ns" ] && [ -n "$br_port" ]; then
	awk -v a="${sum[berth-run]}" -v b="${sum[podman-dnat]}" \
		'BEGIN { printf "berth run -p / Podman published port = %.2fx\n", a / b }'
fi

# --- start cost of the network ----------------------------------------------------------
if "$build/berth" --root "$work/root" network ls >/dev/null 2>&1; then
	N=${N:-20}
	b=("$build/berth" --root "$work/root")
	"${b[@]}" run --rm --network bridge busybox true
	tn=0 tb=0
	for ((k = 0; k < N; k++)); do
		t0=${EPOCHREALTIME/./}
		"${b[@]}" run --rm --network none busybox true
		t1=${EPOCHREALTIME/./}
		"${b[@]}" run --rm --network bridge busybox true
		t2=${EPOCHREALTIME/./}
		tn=$((tn + t1 - t0))
		tb=$((tb + t2 - t1))
	done
	awk -v n="$tn" -v b="$tb" -v N="$N" 'BEGIN { printf "berth run: --network bridge costs %.2f ms more than none (%d runs)\n", (b - n) / 1e3 / N, N }'
	if [ -n "$pm_ns" ]; then
		pn=0 pb=0
		for ((k = 0; k < N; k++)); do
			t0=${EPOCHREALTIME/./}
			pm run --rm --runtime "$build/berth-runtime" "${pm_limits[@]}" --network none localhost/berth-netbench:1 true
			t1=${EPOCHREALTIME/./}
			pm run --rm --runtime "$build/berth-runtime" "${pm_limits[@]}" --network bridge localhost/berth-netbench:1 true
			t2=${EPOCHREALTIME/./}
			pn=$((pn + t1 - t0))
			pb=$((pb + t2 - t1))
		done
		awk -v n="$pn" -v b="$pb" -v N="$N" 'BEGIN { printf "podman run: --network bridge costs %.2f ms more than none (%d runs)\n", (b - n) / 1e3 / N, N }'
	fi
else
	echo "# start cost: left out, this berth has no \`berth network\` yet (the engine's wiring of networks)"
fi
