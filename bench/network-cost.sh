#!/bin/bash
# Where a bridged container's TCP throughput goes, rung by rung, against a bare veth pair:
#   bare        a veth pair between two namespaces (as berth makes a container's: `ip link add
#               type veth` defaults, MTU 1500, no offload or queue changes; no rules)
#   bridge      two namespaces on a bridge, each by such a veth pair, the bridge in a namespace
#               of this script's own (the "host") with br_netfilter off there
#               (net.bridge.bridge-nf-call-{ip,ip6,arp}tables=0: that namespace's own copies)
#   br_nf       the same with br_netfilter on (=1, as this host has it in its own namespace):
#               every bridged IP frame passes the IPv4 hooks, with no rule in them
#   conntrack   + one forward chain `ct state established,related accept` (conntrack on)
#   berth       + berth's rules instead, exactly as berth writes them (fwtool net-add)
#   notrack     + berth's rules and `notrack` for the network's own traffic (an idea tried and
#               not taken: it saves conntrack but costs the per-packet chain walk instead)
# The container -> container path of bench/network.sh is `berth` plus what the host's own
# namespace holds (other tools' tables: Podman's iptables-nft ones here).
#   bench/network-cost.sh [BUILD_DIR]      N=7 rounds (interleaved), BYTES=2G per iperf3 run
# Each rung prints medians: Gbit/s, and CPU ms per GB moved (iperf3's own rusage, client and
# server, user + system: it includes the forwarding work the kernel does in their context,
# ksoftirqd's share aside), the ratio to bare, and the CPU each rung adds to the one above.
# Nothing outside the namespaces this script makes is touched.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
N=${N:-7}
BYTES=${BYTES:-2G}
fwtool=$build/tests/tools/fwtool

[ "$(id -u)" -eq 0 ] || { echo "network-cost.sh: run as root" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "network-cost.sh: iperf3 not installed" >&2; exit 1; }
[ -x "$fwtool" ] || { echo "network-cost.sh: $fwtool not built (meson -Dtests=true)" >&2; exit 1; }

t=$(printf '%x' $$)
A=bca-$t B=bcb-$t R=bcr-$t C1=bcc1-$t C2=bcc2-$t
work=$(mktemp -d /tmp/berth-netcost.XXXXXX)
cleanup() {
	set +e
	for f in "$work"/*.pid; do [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
	for ns in "$A" "$B" "$R" "$C1" "$C2"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

for ns in "$A" "$B" "$R" "$C1" "$C2"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip -n "$A" link add eth0 type veth peer name eth0 netns "$B"
ip -n "$A" addr add 172.30.194.1/24 dev eth0
ip -n "$B" addr add 172.30.194.2/24 dev eth0
ip -n "$A" link set eth0 up
ip -n "$B" link set eth0 up
ip -n "$R" link add br0 type bridge
ip -n "$R" addr add 172.30.195.1/24 dev br0
ip -n "$R" link set br0 up
i=2
for c in "$C1" "$C2"; do
	ip -n "$R" link add "v$i" type veth peer name eth0 netns "$c"
	ip -n "$R" link set "v$i" master br0 up
	ip -n "$R" link set "v$i" type bridge_slave hairpin on
	ip -n "$c" addr add "172.30.195.$i/24" dev eth0
	ip -n "$c" link set eth0 up
	ip -n "$c" route add default via 172.30.195.1
	i=$((i + 1))
done
for ns in "$B" "$C1"; do
	ip netns exec "$ns" iperf3 -s -D -I "$work/$ns.pid" >/dev/null
	for _ in $(seq 1 300); do
		[ -s "$work/$ns.pid" ] && break
		sleep 0.1
	done
done

in_r() { ip netns exec "$R" "$@"; }
br_nf() {
	in_r sysctl -q -w net.bridge.bridge-nf-call-iptables="$1" \
		net.bridge.bridge-nf-call-ip6tables="$1" net.bridge.bridge-nf-call-arptables="$1"
}
rung() {
	in_r nft flush ruleset
	case $1 in
	bare) ;;
	bridge) br_nf 0 ;;
	br_nf) br_nf 1 ;;
	conntrack)
		br_nf 1
		in_r nft 'add table inet t; add chain inet t f { type filter hook forward priority 0; };
			add rule inet t f ct state established,related accept'
		;;
	berth | notrack)
		br_nf 1
		in_r "$fwtool" net-add n0 br0 172.30.195.0/24 >/dev/null
		[ "$1" = berth ] || in_r nft insert rule inet berth raw_prerouting iifname br0 \
			ip saddr 172.30.195.0/24 ip daddr 172.30.195.0/24 ip daddr != 172.30.195.1 notrack
		;;
	esac
}
# meas NS-CLIENT IP: "Gbit/s CPU-ms/GB"
meas() {
	for _ in $(seq 1 50); do
		if ip netns exec "$1" iperf3 -c "$2" -n "$BYTES" -J >"$work/out.json" 2>/dev/null; then
			jq -r '.end as $e | "\($e.sum_received.bits_per_second / 1e9) \(($e.cpu_utilization_percent.host_total +
				$e.cpu_utilization_percent.remote_total) / 100 * $e.sum_received.seconds * 1000 /
				($e.sum_received.bytes / 1e9))"' "$work/out.json"
			return 0
		fi
		sleep 0.2
	done
	echo "network-cost.sh: iperf3 to $2 from $1 failed" >&2
	return 1
}
rungs=(bare bridge br_nf conntrack berth notrack)
declare -A gb cpu
for ((r = 0; r < N; r++)); do
	for g in "${rungs[@]}"; do
		rung "$g"
		if [ "$g" = bare ]; then v=$(meas "$A" 172.30.194.2); else v=$(meas "$C2" 172.30.195.2); fi
		gb[$g]+="${v% *} "
		cpu[$g]+="${v#* } "
	done
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
printf 'TCP, iperf3 -n %s, median of %s interleaved rounds (%s, load %s)\n' "$BYTES" "$N" "$(uname -r)" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %8s %8s %10s %8s %12s\n' rung 'Gbit/s' 'vs bare' 'CPU ms/GB' 'vs bare' 'CPU vs above'
prev=""
for g in "${rungs[@]}"; do
	# shellcheck disable=SC2086
	mg=$(median ${gb[$g]})
	# shellcheck disable=SC2086
	mc=$(median ${cpu[$g]})
	[ "$g" != bare ] || { bg=$mg bc=$mc; }
	[ "$g" != notrack ] || prev=$berth_c # compared with berth's rules alone
	awk -v g="$g" -v mg="$mg" -v mc="$mc" -v bg="$bg" -v bc="$bc" -v p="$prev" 'BEGIN {
		printf "%-10s %8.2f %7.2fx %10.1f %7.2fx", g, mg, mg / bg, mc, bc / mc
		if (p != "") printf " %+11.1f%%", (mc / p - 1) * 100
		printf "\n" }'
	prev=$mc
	[ "$g" != berth ] || berth_c=$mc
done
echo "(CPU vs bare: bare's CPU per GB over the rung's; CPU vs above: what the rung adds, notrack against berth)"
