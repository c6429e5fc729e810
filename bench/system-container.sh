#!/bin/bash
# A system container's boot and stop, `berth run -d --systemd=always` against
# `podman run -d --systemd=always` (runc) on the same image, N times each, interleaved.
#   bench/system-container.sh [BUILD_DIR]      N=5 by default
# The image is Debian 12 minbase + systemd-sysv (tests/cli/system-image.sh, cached),
# imported into both with CMD /sbin/init. Boot: from `run -d` until `systemctl
# is-system-running` (exec'd every 50 ms) answers running. Stop: `stop` (SIGRTMIN+3 for
# both) until it returns. Both with --network none; podman's default rlimits cannot be set
# in this sandbox (no CAP_SYS_RESOURCE), so nofile and nproc are given as 1024 (berth's
# default spec has nofile 1024 too). crun refuses this host's hybrid cgroups: runc.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
N=${N:-5}

[ "$(id -u)" -eq 0 ] || { echo "system-container.sh: run as root" >&2; exit 1; }
command -v podman >/dev/null || { echo "system-container.sh: podman not installed" >&2; exit 1; }
tar=$("$top/tests/cli/system-image.sh")
work=$(mktemp -d /tmp/berth-bench.XXXXXX)
tag=localhost/berth-bench-system:latest
berth=("$build/berth" --root "$work/root")
cleanup() {
	"${berth[@]}" rm -f bsys >/dev/null 2>&1 || true
	podman rm -f psys >/dev/null 2>&1 || true
	podman rmi -f "$tag" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
"${berth[@]}" image import --change 'CMD ["/sbin/init"]' "$tar" sys >/dev/null
podman import -q --change 'CMD ["/sbin/init"]' "$tar" "$tag" >/dev/null

# wait_running CMD…: poll CMD (an exec of systemctl is-system-running) until `running`
wait_running() {
	local i s
	for i in $(seq 1200); do
		s=$("$@" systemctl is-system-running 2>/dev/null) || true
		[ "$s" = running ] && return 0
		sleep 0.05
	done
	echo "system-container.sh: not running after 1200 polls (last: $s)" >&2
	return 1
}
berth_boot() {
	"${berth[@]}" run -d --network none --systemd=always --name bsys sys /sbin/init >/dev/null
	wait_running "${berth[@]}" exec bsys
}
podman_boot() {
	podman run -d --network none --systemd=always --runtime runc --ulimit nofile=1024:1024 \
		--ulimit nproc=1024:1024 --name psys "$tag" /sbin/init >/dev/null
	wait_running podman exec psys
}

bb=0 bs=0 pb=0 ps=0
for ((k = 0; k <= N; k++)); do
	t0=${EPOCHREALTIME/./}
	berth_boot
	t1=${EPOCHREALTIME/./}
	"${berth[@]}" stop -t 30 bsys >/dev/null
	t2=${EPOCHREALTIME/./}
	"${berth[@]}" rm bsys >/dev/null
	t3=${EPOCHREALTIME/./}
	podman_boot
	t4=${EPOCHREALTIME/./}
	podman stop -t 30 psys >/dev/null
	t5=${EPOCHREALTIME/./}
	podman rm psys >/dev/null
	# the first round warms both up (page cache, podman's storage): not counted
	[ "$k" -eq 0 ] && continue
	bb=$((bb + t1 - t0)) bs=$((bs + t2 - t1))
	pb=$((pb + t4 - t3)) ps=$((ps + t5 - t4))
done
printf '%d boots and stops each of Debian 12 + systemd (%s, %s)\n' "$N" "$(uname -r)" \
	"$(podman --version)"
printf '%-8s %14s %14s\n' tool 'boot ms/run' 'stop ms/run'
awk -v b="$bb" -v s="$bs" -v N="$N" 'BEGIN { printf "%-8s %14.1f %14.1f\n", "berth", b / 1e3 / N, s / 1e3 / N }'
awk -v b="$pb" -v s="$ps" -v N="$N" 'BEGIN { printf "%-8s %14.1f %14.1f\n", "podman", b / 1e3 / N, s / 1e3 / N }'
awk -v a="$bb" -v b="$pb" 'BEGIN { printf "boot: berth / podman = %.2fx\n", a / b }'
awk -v a="$bs" -v b="$ps" 'BEGIN { printf "stop: berth / podman = %.2fx\n", a / b }'
