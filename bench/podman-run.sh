#!/bin/bash
# Podman with berth-runtime against Podman with crun: N sequential `podman run --rm IMAGE true`
# with each runtime, interleaved so that each sees the same machine, in one run; prints each
# total, the time per run and the ratio crun/berth (and berth/crun).
#   bench/podman-run.sh [BUILD_DIR]      N=20 by default
# Podman is configured privately (as tests/cli/podman-helpers.bash does): cgroupfs, file
# events, vfs storage under a temporary --root/--runroot, --network none, the image a busybox
# rootfs imported with `podman import`. crun 1.8 refuses this host's hybrid cgroup layout, so
# the whole comparison runs in a private mount namespace with /dev/null bound over
# /sys/fs/cgroup/unified/cgroup.controllers — for both runtimes alike.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
N=${N:-20}

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
bench_crun_ns podman-run.sh "$@"
bench_need podman-run.sh podman conmon crun

work=$(mktemp -d /tmp/berth-podman-bench.XXXXXX)
pm() {
	podman --root "$work/root" --runroot "$work/runroot" --storage-driver vfs \
		--cgroup-manager cgroupfs --events-backend file "$@"
}
cleanup() {
	pm rm -a -f -t 0 >/dev/null 2>&1 || true
	pm rmi -a -f >/dev/null 2>&1 || true
	{ grep -o " ${work}[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do
		umount -l "$m" || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/tmp"
cat >"$work/containers.conf" <<C
[containers]
netns = "none"
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$work/events.log"
tmp_dir = "$work/tmp"
[engine.runtimes]
berth = ["$build/berth-runtime"]
crun = ["$(command -v crun)"]
C
cat >"$work/storage.conf" <<S
[storage]
driver = "vfs"
graphroot = "$work/root"
runroot = "$work/runroot"
S
export CONTAINERS_CONF=$work/containers.conf CONTAINERS_STORAGE_CONF=$work/storage.conf
image=localhost/berth-bench:busybox
"$top/scripts/make-rootfs.sh" "$work/rootfs"
tar -C "$work/rootfs" -c . | pm import - "$image" >/dev/null 2>&1

names=(berth crun)
declare -A total
run_one() { pm --runtime "$1" run --rm "$image" true; }

# warm up, and check that both work here
for n in "${names[@]}"; do run_one "$n"; total[$n]=0; done

for ((k = 0; k < N; k++)); do
	for n in "${names[@]}"; do
		t0=${EPOCHREALTIME/./}
		run_one "$n"
		t1=${EPOCHREALTIME/./}
		total[$n]=$((total[$n] + t1 - t0))
	done
done

printf '%d sequential `podman run --rm IMAGE true` per runtime (podman %s, %s)\n' "$N" \
	"$(podman --version | awk '{print $3}')" "$(uname -r)"
printf '%-14s %10s %10s\n' runtime 'total s' 'ms/run'
for n in "${names[@]}"; do
	awk -v n="$n" -v t="${total[$n]}" -v N="$N" \
		'BEGIN { printf "%-14s %10.3f %10.2f\n", n == "berth" ? "berth-runtime" : n, t / 1e6, t / 1e3 / N }'
done
awk -v b="${total[berth]}" -v c="${total[crun]}" \
	'BEGIN { printf "ratio berth-runtime/crun: %.3f (crun/berth-runtime: %.3f)\n", b / c, c / b }'
