#!/bin/bash
# Container networking: TCP throughput (iperf3, run inside network namespaces) over
#   - a bare veth pair between two namespaces (the floor every other path is measured against;
#     made as berth makes a container's pair: `ip link add type veth` defaults, no offload or
#     queue changes, MTU 1500, both ends in namespaces with no rules),
#   - container to container on one bridge with berth's rules set by fwtool, and between two
#     `berth run -d` containers on a `berth network`, and between two Podman containers on
#     Podman's bridge (the host's iperf3 in each container's network namespace),
#   - a simulated other host to a container, routed through the host (no NAT: the same hops
#     as the published port, so the difference between the two is the DNAT's cost),
#   - a berth published port (DNAT by berth's nftables rules) from a simulated other host,
#     both as fwtool sets the rules on this script's bridge and through a container that
#     `berth run -d -p` made on a `berth network` (its iperf3 server: the host's, in the
#     container's network namespace),
#   - a Podman published port (DNAT by Podman's CNI/iptables-nft rules) from the same other host,
# and, once the engine has networks (`berth network ls` works), the start cost of
# `berth run --rm --network bridge busybox true` minus `--network none`, against Podman's.
#   bench/network.sh [BUILD_DIR]      T=5 seconds per iperf3 run, R=5 rounds (interleaved)
# Each row prints the median of its rounds: Gbit/s, and CPU ms per GB moved (iperf3's own
# rusage of client and server, user + system, which includes the softirq work the kernel does
# in their context: on this kernel the forwarding of a veth's packets runs in the sender's;
# ksoftirqd's share is not counted), with the ratio to the bare pair, and for the two paths
# Podman also has (container to container, published port) the ratio to Podman's.
# On a loaded machine Gbit/s follows the CPU the others leave; CPU per GB much less so.
# Everything runs in namespaces this script (or the berth it runs) makes; traffic goes only
# to them.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
T=${T:-5}
R=${R:-5}
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
pm_ctr="" pm_ctr2=""
br_ctr="" br_ctr2=""

cleanup() {
	set +e
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for c in $pm_ctr $pm_ctr2; do pm rm -f -t 0 "$c" >/dev/null 2>&1; done
	if [ -n "$br_ctr" ]; then
		for c in $br_ctr $br_ctr2; do "$build/berth" --root "$work/root" rm -f "$c" >/dev/null 2>&1; done
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
# meas IP PORT CMD…: one iperf3 run (the client run by CMD…): "Gbit/s CPU-ms/GB"
meas() {
	local ip=$1 port=$2
	shift 2
	for _ in $(seq 1 50); do
		if "$@" iperf3 -c "$ip" -p "$port" -t "$T" -J >"$work/out.json" 2>/dev/null; then
			jq -r '.end as $e | ($e.sum_received.seconds // .start.test_start.duration) as $s |
				"\($e.sum_received.bits_per_second / 1e9) \(($e.cpu_utilization_percent.host_total +
				$e.cpu_utilization_percent.remote_total) / 100 * $s * 1000 / ($e.sum_received.bytes / 1e9))"' \
				"$work/out.json"
			return 0
		fi
		sleep 0.2 # the server is not up yet
	done
	echo "network.sh: iperf3 to $ip:$port failed: $(jq -r .error "$work/out.json" 2>/dev/null)" >&2
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
	br_ip=$("$build/berth" --root "$work/root" inspect "$br_ctr" | jq -r .network_settings.ip_address)
	serve berth-run nsenter -t "$br_pid" -n
	# a second container on the network: the client of the container -> container row
	br_ctr2=$("$build/berth" --root "$work/root" run -d --network "$BNET" --dns 127.0.0.1 \
		busybox sleep 100000)
	br_pid2=$("$build/berth" --root "$work/root" inspect "$br_ctr2" | jq -r .pid)
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
		pm_ip=$(pm inspect -f '{{.NetworkSettings.IPAddress}}' "$pm_ctr")
		pm_ctr2=$(pm run -d --runtime "$build/berth-runtime" --network bridge "${pm_limits[@]}" \
			localhost/berth-netbench:1 sleep 100000)
		pm_pid2=$(pm inspect -f '{{.State.Pid}}' "$pm_ctr2")
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
declare -A gb cpu
rows=(bare bridge)
[ -z "$br_port" ] || rows+=(berth-c2c)
[ -z "$pm_ns" ] || rows+=(podman-c2c)
rows+=(routed berth-dnat)
[ -z "$br_port" ] || rows+=(berth-run)
[ -z "$pm_ns" ] || rows+=(podman-dnat)
run_row() {
	case $1 in
	bare) meas 172.30.190.2 5201 ip netns exec "$A" ;;
	bridge) meas 172.30.191.2 5201 ip netns exec "$C2" ;;
	berth-c2c) meas "$br_ip" 5201 nsenter -t "$br_pid2" -n ;;
	podman-c2c) meas "$pm_ip" 5201 nsenter -t "$pm_pid2" -n ;;
	routed) meas 172.30.191.2 5201 ip netns exec "$OH" ;;
	berth-dnat) meas 172.30.192.1 "$port" ip netns exec "$OH" ;;
	berth-run) meas 172.30.192.1 "$br_port" ip netns exec "$OH" ;;
	podman-dnat) meas 172.30.192.1 "$pm_port" ip netns exec "$OH" ;;
	esac
}
for ((r = 0; r < R; r++)); do
	for row in "${rows[@]}"; do
		v=$(run_row "$row")
		gb[$row]+="${v% *} "
		cpu[$row]+="${v#* } "
	done
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
desc() {
	case $1 in
	bare) echo "bare veth pair" ;;
	bridge) echo "ctr -> ctr, bridge + fwtool rules" ;;
	berth-c2c) echo "ctr -> ctr, berth run" ;;
	podman-c2c) echo "ctr -> ctr, Podman" ;;
	routed) echo "other host -> ctr, routed" ;;
	berth-dnat) echo "other host -> fwtool rules (DNAT)" ;;
	berth-run) echo "other host -> berth run -p" ;;
	podman-dnat) echo "other host -> Podman -p" ;;
	esac
}
# the Podman row a row is compared with
peer() {
	case $1 in
	berth-c2c) echo podman-c2c ;;
	berth-run) echo podman-dnat ;;
	esac
}
declare -A mg mc
for row in "${rows[@]}"; do
	# shellcheck disable=SC2086
	mg[$row]=$(median ${gb[$row]})
	# shellcheck disable=SC2086
	mc[$row]=$(median ${cpu[$row]})
done
printf 'TCP, iperf3 -t %s, median of %s interleaved rounds (%s, %s, load %s)\n' "$T" "$R" "$(uname -r)" \
	"$(iperf3 --version | head -1 | awk '{ print $2 }')" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %8s %8s %10s %8s %9s %9s\n' path 'Gbit/s' 'vs bare' 'CPU ms/GB' 'vs bare' 'vs Podman' '(CPU/GB)'
for row in "${rows[@]}"; do
	p=$(peer "$row")
	awk -v g="${mg[$row]}" -v c="${mc[$row]}" -v bg="${mg[bare]}" -v bc="${mc[bare]}" \
		-v pg="${p:+${mg[$p]:-}}" -v pc="${p:+${mc[$p]:-}}" -v d="$(desc "$row")" 'BEGIN {
		printf "%-34s %8.2f %7.2fx %10.1f %7.2fx", d, g, g / bg, c, bc / c
		if (pg != "") printf " %8.2fx %8.2fx", g / pg, pc / c
		printf "\n" }'
done
echo "(CPU ratios: the other path's CPU per GB over this one's, so 1.00x = as cheap, < 1 = costlier)"

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
