#!/bin/bash
# Start-up cost of an OCI runtime: N sequential `run` of /bin/true in a busybox bundle with
# berth-runtime, crun and runc (Debian's), interleaved so that each sees the same machine,
# printing each total, its ratio to berth-runtime and each runtime's peak RSS.
#   bench/runtime-start.sh [BUILD_DIR]      N=100 by default
# SECCOMP=FILE puts the JSON object in FILE (e.g. the engine's default profile, `.linux.seccomp`
# of a berth container's config.json) in the bundle as linux.seccomp, for all three runtimes.
# crun refuses this host's hybrid cgroup layout (cgroup2 at /sys/fs/cgroup/unified with
# controllers), so the comparison runs in a private mount namespace with /dev/null bound over
# /sys/fs/cgroup/unified/cgroup.controllers — for all three runtimes alike.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
N=${N:-100}

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
bench_crun_ns runtime-start.sh "$@"

work=$(mktemp -d /tmp/berth-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$top/scripts/make-rootfs.sh" "$work/bundle/rootfs"
"$build/berth-runtime" spec --bundle "$work/bundle"
# crun 1.8 knows runtime-spec versions up to 1.0.x only
jq '.ociVersion = "1.0.2" | .process.terminal = false | .process.args = ["/bin/true"]' "$work/bundle/config.json" >"$work/c.json"
mv "$work/c.json" "$work/bundle/config.json"
if [ -n "${SECCOMP:-}" ]; then
	jq --slurpfile p "$SECCOMP" '.linux.seccomp = $p[0]' "$work/bundle/config.json" >"$work/c.json"
	mv "$work/c.json" "$work/bundle/config.json"
fi

names=(berth-runtime crun runc)
bins=("$build/berth-runtime" "$(command -v crun || true)" "$(command -v runc || true)")
declare -A total rss
for i in "${!names[@]}"; do
	[ -x "${bins[$i]}" ] || { echo "runtime-start.sh: ${names[$i]} not installed (apt-get install ${names[$i]})" >&2; exit 1; }
	total[${names[$i]}]=0
done

run_one() { # name bin id
	"$2" --root "$work/state-$1" run --bundle "$work/bundle" "$3" >/dev/null
}

# warm up (page cache, first-run effects), and check that each one works here
for i in "${!names[@]}"; do run_one "${names[$i]}" "${bins[$i]}" warm-$i; done

us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
for ((k = 0; k < N; k++)); do
	for i in "${!names[@]}"; do
		n=${names[$i]}
		t0=${EPOCHREALTIME/./}
		run_one "$n" "${bins[$i]}" "b$k"
		t1=${EPOCHREALTIME/./}
		total[$n]=$((total[$n] + t1 - t0))
	done
done
# a bare fork+exec of /bin/true, for scale
t0=${EPOCHREALTIME/./}
for ((k = 0; k < N; k++)); do /bin/true; done
t1=${EPOCHREALTIME/./}
bare=$((t1 - t0))

for i in "${!names[@]}"; do
	n=${names[$i]}
	rss[$n]=$( { /usr/bin/time -f '%M' "${bins[$i]}" --root "$work/state-$n" run --bundle "$work/bundle" rss >/dev/null; } 2>&1 | tail -n1)
done

base=${total[berth-runtime]}
printf '%d sequential runs of /bin/true (%s)\n' "$N" "$(uname -r)"
printf '%-14s %10s %10s %12s %14s\n' runtime 'total s' 'ms/run' 'vs berth' 'peak RSS KiB'
for n in "${names[@]}"; do
	t=${total[$n]}
	awk -v n="$n" -v t="$t" -v N="$N" -v b="$base" -v r="${rss[$n]}" \
		'BEGIN { printf "%-14s %10.3f %10.2f %11.2fx %14d\n", n, t / 1e6, t / 1e3 / N, t / b, r }'
done
awk -v t="$bare" -v N="$N" 'BEGIN { printf "%-14s %10.3f %10.2f\n", "bare exec", t / 1e6, t / 1e3 / N }'
