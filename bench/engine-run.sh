#!/bin/bash
# `berth run --rm --network none busybox true` against `podman run --rm` (crun) on the same image, N times
# each, interleaved, with the ratio.
#   bench/engine-run.sh [BUILD_DIR]      N=30 by default
# The image is berth's built-in busybox, exported (oci-archive) and loaded into podman.
# Both run with --network none (the bridge's setup is not measured here); crun refuses
# this host's hybrid cgroup layout, so (as bench/runtime-start.sh) everything runs in a
# private mount namespace with /dev/null bound over the v2 cgroup.controllers. Podman's
# default rlimits cannot be set in this sandbox (no CAP_SYS_RESOURCE), so nofile and nproc
# are given as 1024 (berth's default spec has nofile 1024 too).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
N=${N:-30}

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
bench_need engine-run.sh podman
bench_crun_ns engine-run.sh "$@"

work=$(mktemp -d /tmp/berth-bench.XXXXXX)
tag=localhost/berth-bench-busybox:latest
cleanup() {
	podman rmi -f "$tag" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
berth=("$build/berth" --root "$work/root")
"${berth[@]}" run --rm busybox true
"${berth[@]}" image export busybox "$work/bb.tar"
# the same image under a name of its own, so that podman load does not touch another busybox
"${berth[@]}" image import "$work/bb.tar" berth-bench-busybox >/dev/null
"${berth[@]}" image export berth-bench-busybox "$work/bb2.tar"
podman load -q -i "$work/bb2.tar" >/dev/null
podman_run() { podman run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --runtime crun "$tag" true; }
berth_run() { "${berth[@]}" run --rm --network none busybox true; }

# warm up, and check both work
berth_run
podman_run

tb=0 tp=0
for ((k = 0; k < N; k++)); do
	t0=${EPOCHREALTIME/./}
	berth_run
	t1=${EPOCHREALTIME/./}
	podman_run
	t2=${EPOCHREALTIME/./}
	tb=$((tb + t1 - t0))
	tp=$((tp + t2 - t1))
done
printf '%d runs each of `run --rm busybox true` (%s, %s)\n' "$N" "$(uname -r)" "$(podman --version)"
printf '%-8s %10s %10s\n' tool 'total s' 'ms/run'
awk -v t="$tb" -v N="$N" 'BEGIN { printf "%-8s %10.3f %10.2f\n", "berth", t / 1e6, t / 1e3 / N }'
awk -v t="$tp" -v N="$N" 'BEGIN { printf "%-8s %10.3f %10.2f\n", "podman", t / 1e6, t / 1e3 / N }'
awk -v a="$tp" -v b="$tb" 'BEGIN { printf "podman / berth = %.2fx\n", a / b }'
