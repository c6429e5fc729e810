#!/bin/bash
# `berth pull` against `podman pull` and `skopeo copy` (to a directory) of the same image from
# a local registry (Debian's docker-registry on 127.0.0.1, plain HTTP), each into a cold
# store, interleaved, N times each, with the ratios and each tool's peak RSS.
#   bench/pull.sh [BUILD_DIR]      N=3, LAYERS=5, LAYER_MB=40 by default
# The image is berth's busybox plus LAYERS layers of LAYER_MB MB of random bytes each
# (incompressible, so about LAYERS*LAYER_MB MB on the wire). Podman pulls into a store of its
# own (vfs, so that it does not touch the machine's); every store is removed after each pull.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
N=${N:-3} LAYERS=${LAYERS:-5} LAYER_MB=${LAYER_MB:-40}
[ "$(id -u)" -eq 0 ] || { echo "pull.sh: run as root" >&2; exit 1; }
for c in docker-registry skopeo podman python3 /usr/bin/time; do
	command -v "$c" >/dev/null || { echo "pull.sh: $c not installed" >&2; exit 1; }
done
BERTH_TOP=$top
# shellcheck source=../tests/cli/registry-helpers.bash
. "$top/tests/cli/registry-helpers.bash"

work=$(mktemp -d /tmp/berth-bench-pull.XXXXXX)
cleanup() {
	stop_pidfile "$work/reg/pid"
	rm -rf "$work"
}
trap cleanup EXIT
start_registry "$work/reg" >/dev/null
reg=127.0.0.1:$REG_PORT
"$build/berth" --root "$work/src" image export busybox "$work/bb.tar"
mkdir -p "$work/base"
tar -C "$work/base" -xf "$work/bb.tar"
python3 "$top/tests/tools/mkimage.py" "$work/base" "$work/img" --layers "$LAYERS" \
	--layer-size $((LAYER_MB << 20)) --tag b
skopeo copy -q --dest-tls-verify=false oci:"$work/img:b" "docker://$reg/bench:1"
rm -rf "$work/img" "$work/src"

# run NAME CMD…: wall time (ms) and peak RSS (KiB), appended to $work/NAME
measure() {
	local name=$1 t0 t1
	shift
	t0=$(date +%s%N)
	/usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000)) $(cat "$work/rss")" >>"$work/$name"
}
for i in $(seq 1 "$N"); do
	measure berth "$build/berth" --root "$work/b" pull -q --tls-verify=false "$reg/bench:1"
	rm -rf "$work/b"
	measure podman podman --root "$work/p/root" --runroot "$work/p/run" --storage-driver vfs \
		pull -q --tls-verify=false "$reg/bench:1"
	podman --root "$work/p/root" --runroot "$work/p/run" --storage-driver vfs rmi -af >/dev/null 2>&1 || true
	rm -rf "$work/p"
	measure skopeo skopeo copy -q --src-tls-verify=false "docker://$reg/bench:1" "dir:$work/s"
	rm -rf "$work/s"
done
stats() { awk '{t += $1; if ($2 > r) r = $2} END {printf "%d %d\n", t / NR, r}' "$work/$1"; }
read -r bt br < <(stats berth)
read -r pt pr < <(stats podman)
read -r st sr < <(stats skopeo)
echo "pull of $LAYERS x $LAYER_MB MB layers from $reg, N=$N, cold store each time"
printf '%-8s %8s ms %8s MiB peak RSS\n' berth "$bt" $((br / 1024)) podman "$pt" $((pr / 1024)) \
	skopeo "$st" $((sr / 1024))
awk -v b="$bt" -v p="$pt" -v s="$st" \
	'BEGIN {printf "berth / podman: %.2fx time   berth / skopeo: %.2fx time\n", b / p, b / s}'
