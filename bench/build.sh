#!/bin/bash
# berth build against podman build (Buildah): the same 8-step Containerfile on a busybox rootfs,
# cold (--no-cache) and fully cached, N times each, interleaved so that both see the same
# machine, in one run; prints each mean and the ratios berth/podman.
#   bench/build.sh [BUILD_DIR]      N=5 by default; STORAGE=overlay (default) or vfs for Podman
# Podman is configured privately (as bench/podman-run.sh): cgroupfs, file events, a temporary
# --root/--runroot, crun in a private mount namespace with /dev/null over
# /sys/fs/cgroup/unified/cgroup.controllers (crun 1.8 refuses this host's hybrid layout). Both
# build with --network none (no network step), from the same rootfs tarball imported into
# each; berth's store is a temporary --root too.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
N=${N:-5}
STORAGE=${STORAGE:-overlay}

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
bench_crun_ns build.sh "$@"
bench_need build.sh podman conmon crun

work=$(mktemp -d /tmp/berth-build-bench.XXXXXX)
pm() {
	podman --root "$work/root" --runroot "$work/runroot" --storage-driver "$STORAGE" \
		--cgroup-manager cgroupfs --events-backend file "$@"
}
b() { "$build/berth" --root "$work/berth" "$@"; }
cleanup() {
	pm rmi -a -f >/dev/null 2>&1 || true
	{ grep -o " ${work}[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do
		umount -l "$m" || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/tmp" "$work/ctx/dir/sub"
cat >"$work/containers.conf" <<C
[containers]
netns = "none"
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$work/events.log"
tmp_dir = "$work/tmp"
runtime = "crun"
C
cat >"$work/storage.conf" <<S
[storage]
driver = "$STORAGE"
graphroot = "$work/root"
runroot = "$work/runroot"
S
export CONTAINERS_CONF=$work/containers.conf CONTAINERS_STORAGE_CONF=$work/storage.conf
image=localhost/berth-bench:busybox
"$top/scripts/make-rootfs.sh" "$work/rootfs" >/dev/null
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
pm import "$work/rootfs.tar" "$image" >/dev/null 2>&1
b image import "$work/rootfs.tar" "$image" >/dev/null

# the context: a few files, a directory
for i in 1 2 3 4 5 6 7 8; do head -c 65536 /dev/urandom >"$work/ctx/dir/sub/f$i"; done
echo 'echo configured' >"$work/ctx/setup.sh"
cat >"$work/ctx/Containerfile" <<'F'
FROM localhost/berth-bench:busybox
ENV APP=/app
COPY setup.sh /app/
RUN sh /app/setup.sh > /app/log && mkdir -p /app/data
COPY dir /app/dir
RUN rm /app/log && ls -R /app > /app/list
WORKDIR /app
CMD ["cat", "list"]
F

run_berth() { b build -q --network none $1 -t bench:latest "$work/ctx" >/dev/null; }
run_podman() { pm build -q --network none $1 -t bench:latest "$work/ctx" >/dev/null 2>&1; }

# warm up, and check that both work here
run_berth --no-cache
run_podman --no-cache
[ "$(b run --rm --network none bench:latest | head -1)" = "/app:" ]

declare -A total
for mode in cold cached; do
	flag=
	[ "$mode" = cold ] && flag=--no-cache
	total[berth-$mode]=0 total[podman-$mode]=0
	for ((k = 0; k < N; k++)); do
		for n in berth podman; do
			t0=${EPOCHREALTIME/./}
			"run_$n" "$flag"
			t1=${EPOCHREALTIME/./}
			total[$n-$mode]=$((total[$n-$mode] + t1 - t0))
		done
	done
done

echo "berth build vs podman build ($(podman --version | awk '{print $3}'), storage $STORAGE), 8 steps, N=$N each, interleaved:"
for mode in cold cached; do
	bm=$((total[berth-$mode] / N)) pmn=$((total[podman-$mode] / N))
	printf '  %-7s berth %7.1f ms   podman %7.1f ms   berth/podman %.2fx (podman/berth %.1fx)\n' \
		"$mode" "$(bc -l <<<"$bm/1000")" "$(bc -l <<<"$pmn/1000")" \
		"$(bc -l <<<"$bm/$pmn")" "$(bc -l <<<"$pmn/$bm")"
done
