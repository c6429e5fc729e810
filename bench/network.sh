#!/bin/bash
# The cost of berth's container network, in one run, with ratios:
#  1. start cost: `berth run --rm --network bridge busybox true` minus `--network none`, N
#     times each, interleaved; the same for `podman run --rm` (crun) when podman can make
#     its bridge here;
#  2. TCP throughput container to container over berth's bridge (iperf3 from Debian, run in
#     the containers' network namespaces with nsenter), against a bare veth pair between two
#     namespaces the script makes.
#   bench/network.sh [BUILD_DIR]      N=20, SECS=5 by default
# Every packet stays between namespaces this script makes (the containers' and its own).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
N=${N:-20}
SECS=${SECS:-5}

if [ "${BERTH_BENCH_INNER:-}" != 1 ]; then
	[ "$(id -u)" -eq 0 ] || { echo "network.sh: run as root" >&2; exit 1; }
	command -v iperf3 >/dev/null || { echo "network.sh: iperf3 not installed" >&2; exit 1; }
	exec env BERTH_BENCH_INNER=1 unshare -m --propagation private "$0" "$@"
fi
# crun refuses this host's hybrid cgroup layout (see engine-run.sh)
ctl=/sys/fs/cgroup/unified/cgroup.controllers
[ -e "$ctl" ] && mount --bind /dev/null "$ctl"

work=$(mktemp -d /tmp/berth-bench.XXXXXX)
tag=localhost/berth-bench-busybox:latest
ns1=berth-bench-a$$ ns2=berth-bench-b$$
pids=()
berth=("$build/berth" --root "$work/root")
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	"${berth[@]}" rm -f bs bc >/dev/null 2>&1 || true
	"${berth[@]}" network rm bench >/dev/null 2>&1 || true
	ip netns del "$ns1" 2>/dev/null || true
	ip netns del "$ns2" 2>/dev/null || true
	podman rmi -f "$tag" >/dev/null 2>&1 || true
	umount "$work"/root/containers/*/rootfs 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# ---- 1. start cost ------------------------------------------------------------------------
"${berth[@]}" run --rm --network none busybox true
podman_ok=0
if command -v podman >/dev/null; then
	"${berth[@]}" image export busybox "$work/bb.tar"
	"${berth[@]}" image import "$work/bb.tar" berth-bench-busybox >/dev/null
	"${berth[@]}" image export berth-bench-busybox "$work/bb2.tar"
	podman load -q -i "$work/bb2.tar" >/dev/null
	if podman run --rm --network bridge --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		--runtime crun "$tag" true >/dev/null 2>&1; then
		podman_ok=1
	fi
fi
run_b() { "${berth[@]}" run --rm --network "$1" busybox true; }
run_p() { podman run --rm --network "$1" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --runtime crun "$tag" true; }
now() { echo "${EPOCHREALTIME/./}"; }
bb=0 bn=0 pb=0 pn=0
run_b bridge
for ((k = 0; k < N; k++)); do
	t0=$(now); run_b bridge; t1=$(now); run_b none; t2=$(now)
	bb=$((bb + t1 - t0)); bn=$((bn + t2 - t1))
	if [ $podman_ok = 1 ]; then
		t0=$(now); run_p bridge; t1=$(now); run_p none; t2=$(now)
		pb=$((pb + t1 - t0)); pn=$((pn + t2 - t1))
	fi
done
echo "start cost, $N runs each ($(uname -r))"
awk -v b="$bb" -v n="$bn" -v N="$N" 'BEGIN { printf "berth:  bridge %.1f ms, none %.1f ms, network adds %.1f ms\n", b/1e3/N, n/1e3/N, (b-n)/1e3/N }'
if [ $podman_ok = 1 ]; then
	awk -v b="$pb" -v n="$pn" -v N="$N" 'BEGIN { printf "podman: bridge %.1f ms, none %.1f ms, network adds %.1f ms\n", b/1e3/N, n/1e3/N, (b-n)/1e3/N }'
	awk -v a="$((pb - pn))" -v b="$((bb - bn))" 'BEGIN { if (b > 0) printf "podman / berth (network setup) = %.1fx\n", a / b }'
else
	echo "podman: its bridge network does not work here; not measured"
fi

# ---- 2. throughput ------------------------------------------------------------------------
# iperf3 -J's sender rate in Gbit/s, client in namespace $1 to $2
gbits() { "${@}" | awk -F'[:,]' '/"bits_per_second"/ { v = $2 } END { printf "%.2f", v / 1e9 }'; }
"${berth[@]}" network create bench >/dev/null
"${berth[@]}" run -d --name bs --network bench --dns 127.0.0.1 busybox sleep 100000 >/dev/null
"${berth[@]}" run -d --name bc --network bench --dns 127.0.0.1 busybox sleep 100000 >/dev/null
nss=$work/root/netns/$("${berth[@]}" inspect bs | jq -r .id)
nsc=$work/root/netns/$("${berth[@]}" inspect bc | jq -r .id)
sip=$("${berth[@]}" inspect bs | jq -r .network_settings.ip_address)
nsenter --net="$nss" iperf3 -s -1 -B "$sip" >/dev/null 2>&1 3>&- &
pids+=($!)
sleep 1
tb=$(gbits nsenter --net="$nsc" iperf3 -J -t "$SECS" -c "$sip")
# a bare veth pair between two namespaces of this script's own
ip netns add "$ns1"
ip netns add "$ns2"
ip -n "$ns1" link add v1 type veth peer name v2 netns "$ns2"
ip -n "$ns1" addr add 10.99.241.1/24 dev v1
ip -n "$ns2" addr add 10.99.241.2/24 dev v2
ip -n "$ns1" link set v1 up
ip -n "$ns2" link set v2 up
ip netns exec "$ns1" iperf3 -s -1 -B 10.99.241.1 >/dev/null 2>&1 3>&- &
pids+=($!)
sleep 1
tv=$(gbits ip netns exec "$ns2" iperf3 -J -t "$SECS" -c 10.99.241.1)
echo "TCP container to container, ${SECS} s (iperf3 $(iperf3 --version | awk 'NR==1 { print $2 }'))"
echo "berth bridge: $tb Gbit/s; bare veth pair: $tv Gbit/s"
awk -v a="$tb" -v b="$tv" 'BEGIN { if (b > 0) printf "berth / bare veth = %.2f\n", a / b }'
