#!/bin/bash
# What emulating another instruction set costs a container: the built-in busybox's linux/riscv64
# variant run through binfmt_misc and qemu-user-static (`berth run --platform linux/riscv64`)
# against its native variant, and podman's `--platform linux/riscv64` on the same image.
#   bench/platform.sh [BUILD_DIR]     N=10 start runs, M=3 CPU runs by default
# Rows: start (`run --rm … true`), a busybox sh arithmetic loop (LOOP iterations, 100000),
# and md5sum of a 64 MiB file (bind-mounted read-only); each the mean wall time of a whole
# `run --rm`, and that less the mean start time (the work alone), with emulated / native.
# Podman runs as in bench/engine-run.sh (crun in a private mount namespace, --network none,
# nofile and nproc 1024); berth too runs with --network none.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
N=${N:-10}
M=${M:-3}
LOOP=${LOOP:-100000}

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
[ -x /usr/bin/qemu-riscv64-static ] || { echo "platform.sh: qemu-user-static not installed (apt-get install qemu-user-static)" >&2; exit 1; }
[ -s /var/cache/berth/guest/busybox-riscv64-trixie ] || { echo "platform.sh: no riscv64 busybox in the guest cache (guest/fetch-busybox.sh)" >&2; exit 1; }
bench_crun_ns platform.sh "$@"

work=$(mktemp -d /tmp/berth-bench.XXXXXX)
tag=localhost/berth-bench-busybox-rv:latest
have_podman=0
command -v podman >/dev/null && command -v skopeo >/dev/null && have_podman=1
cleanup() {
	[ $have_podman = 0 ] || podman rmi -f "$tag" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
berth=("$build/berth" --root "$work/root")
mkdir -p "$work/data"
head -c 64M /dev/urandom >"$work/data/f"
script="i=0; while [ \$i -lt $LOOP ]; do i=\$((i + 1)); done; echo \$i"

# check both variants work, and the handler is there (registered on first use)
[ "$("${berth[@]}" run --rm --network none busybox uname -m)" = "$(uname -m)" ]
[ "$("${berth[@]}" run --rm --network none --platform linux/riscv64 busybox uname -m)" = riscv64 ]
if [ $have_podman = 1 ]; then
	# the same index (both variants) into podman's store, its riscv64 image under a name of its own
	"${berth[@]}" save -o "$work/bb.tar" busybox
	skopeo copy -q --override-arch riscv64 "oci-archive:$work/bb.tar" "containers-storage:$tag" >/dev/null
	if ! [ "$(podman run --rm --network none --platform linux/riscv64 --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --runtime crun "$tag" uname -m 2>/dev/null)" = riscv64 ]; then
		echo "podman --platform linux/riscv64 does not run the image here: its column is left out"
		have_podman=0
	fi
fi

# mean_us N CMD…: the mean wall time of CMD in µs (its output discarded)
mean_us() {
	local n=$1 k t0 t1 tot=0
	shift
	for ((k = 0; k < n; k++)); do
		t0=${EPOCHREALTIME/./}
		"$@" >/dev/null
		t1=${EPOCHREALTIME/./}
		tot=$((tot + t1 - t0))
	done
	echo $((tot / n))
}
nat() { "${berth[@]}" run --rm --network none "$@"; }
emu() { "${berth[@]}" run --rm --network none --platform linux/riscv64 "$@"; }
pod() { podman run --rm --network none --platform linux/riscv64 --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --runtime crun "$@"; }

nat busybox true >/dev/null
emu busybox true >/dev/null
s_nat=$(mean_us "$N" nat busybox true)
s_emu=$(mean_us "$N" emu busybox true)
l_nat=$(mean_us "$M" nat busybox sh -c "$script")
l_emu=$(mean_us "$M" emu busybox sh -c "$script")
m_nat=$(mean_us "$M" nat -v "$work/data:/d:ro" busybox md5sum /d/f)
m_emu=$(mean_us "$M" emu -v "$work/data:/d:ro" busybox md5sum /d/f)
s_pod=0 l_pod=0 m_pod=0
if [ $have_podman = 1 ]; then
	pod "$tag" true >/dev/null
	s_pod=$(mean_us "$N" pod "$tag" true)
	l_pod=$(mean_us "$M" pod "$tag" sh -c "$script")
	m_pod=$(mean_us "$M" pod -v "$work/data:/d:ro" "$tag" md5sum /d/f)
fi

printf 'linux/riscv64 emulated (qemu-user-static %s) against native %s; %s; %d start runs, %d CPU runs\n' \
	"$(/usr/bin/qemu-riscv64-static --version | head -1 | awk '{ print $3 }')" "$(uname -m)" "$(uname -r)" "$N" "$M"
[ $have_podman = 0 ] || echo "podman: $(podman --version)"
row() { # name native emulated podman start_nat start_emu start_pod (µs)
	awk -v n="$1" -v a="$2" -v b="$3" -v p="$4" -v sa="$5" -v sb="$6" -v sp="$7" -v hp="$have_podman" 'BEGIN {
		printf "%-26s %10.1f %10.1f %8.2fx", n, a / 1e3, b / 1e3, b / a
		if (hp == 1) printf " %10.1f %8.2fx", p / 1e3, p / b
		printf "\n"
		if (sa > 0) {
			wa = a - sa; wb = b - sb; wp = p - sp
			printf "%-26s %10.1f %10.1f %8.2fx", "  work alone (less start)", wa / 1e3, wb / 1e3, wb / wa
			if (hp == 1) printf " %10.1f %8.2fx", wp / 1e3, wp / wb
			printf "\n"
		}
	}'
}
printf '%-26s %10s %10s %9s' 'ms per run --rm' native emulated 'emu/nat'
[ $have_podman = 0 ] || printf ' %10s %9s' 'podman-emu' 'pod/berth'
printf '\n'
row 'start (true)' "$s_nat" "$s_emu" "$s_pod" 0 0 0
row "sh loop ($LOOP)" "$l_nat" "$l_emu" "$l_pod" "$s_nat" "$s_emu" "$s_pod"
row 'md5sum 64 MiB' "$m_nat" "$m_emu" "$m_pod" "$s_nat" "$s_emu" "$s_pod"
