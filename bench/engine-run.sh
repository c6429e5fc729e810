#!/bin/bash
# `berth run --rm --network none busybox true` against `podman run --rm` (crun) on the same image, N times
# each, interleaved, with the ratio.
#   bench/engine-run.sh [BUILD_DIR]      N=30 by default
# BEFORE=BUILD_DIR adds that build's berth (e.g. the commit before a change, built in another
# directory: /work/wt/lead/build) as "before", with a store of its own, interleaved with the
# others; each round starts with the next tool in turn, so that none always follows Podman.
# SHOW=1 prints every run's µs, sorted, for each tool.
# TIMING=1 also prints each berth's phases (BERTH_TIMING marks, docs/performance.md: the
# median over the N measured runs of each mark's time since the first `main`).
# CHURN=K makes and removes K files in each berth's store before the measured runs: the state of
# a disk on which much was made and removed in the last minutes (on a journal-less ext4 each
# new inode's search passes every inode of its group freed lately, docs/engine.md); Podman's
# store is left alone, so this is berth's worst case.
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
names=(berth podman)
declare -A bin
bin[berth]=$build/berth
if [ -n "${BEFORE:-}" ]; then
	names+=(before)
	bin[before]=$(cd "$BEFORE" && pwd)/berth
	[ -x "${bin[before]}" ] || { echo "engine-run.sh: ${bin[before]} missing (build it first)" >&2; exit 1; }
fi
berth=("$build/berth" --root "$work/root")
"${berth[@]}" run --rm busybox true
"${berth[@]}" image export busybox "$work/bb.tar"
# the same image under a name of its own, so that podman load does not touch another busybox
"${berth[@]}" image import "$work/bb.tar" berth-bench-busybox >/dev/null
"${berth[@]}" image export berth-bench-busybox "$work/bb2.tar"
podman load -q -i "$work/bb2.tar" >/dev/null
run_one() { # name
	case $1 in
	podman) podman run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --runtime crun "$tag" true ;;
	*) "${bin[$1]}" --root "$work/root-$1" run --rm --network none busybox true ;;
	esac
}
timed_one() { # name: one run, with BERTH_TIMING when asked for
	if [ "${TIMING:-}" = 1 ] && [ "$1" != podman ]; then
		BERTH_TIMING="$work/timing-$1.$k" run_one "$1"
	else
		run_one "$1"
	fi
}

# warm up, and check that each works
for n in "${names[@]}"; do
	run_one "$n"
	run_one "$n"
	: >"$work/ms-$n"
done

if [ "${CHURN:-0}" -gt 0 ]; then
	for n in "${names[@]}"; do
		[ "$n" != podman ] || continue
		d=$(mktemp -d "$work/root-$n/.churn.XXXXXX")
		(cd "$d" && seq 1 "$CHURN" | xargs touch)
		rm -rf "$d"
	done
fi

declare -A total
for n in "${names[@]}"; do total[$n]=0; done
for ((k = 0; k < N; k++)); do
	for j in "${!names[@]}"; do
		n=${names[$(((j + k) % ${#names[@]}))]}
		t0=${EPOCHREALTIME/./}
		timed_one "$n"
		t1=${EPOCHREALTIME/./}
		total[$n]=$((total[$n] + t1 - t0))
		echo $((t1 - t0)) >>"$work/ms-$n"
	done
done
[ -z "${SHOW:-}" ] || for n in "${names[@]}"; do echo "$n: $(sort -n "$work/ms-$n" | tr "\n" " ")"; done
med() { sort -n "$1" | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] / 1e3 }'; }
printf '%d runs each of `run --rm busybox true`, interleaved (%s, %s; load %s; churn %s)\n' "$N" \
	"$(uname -r)" "$(podman --version)" "$(cut -d' ' -f1-3 /proc/loadavg)" "${CHURN:-0}"
printf '%-8s %10s %10s %10s %14s\n' tool 'total s' 'ms/run' 'median ms' 'podman / tool'
for n in "${names[@]}"; do
	awk -v n="$n" -v t="${total[$n]}" -v p="${total[podman]}" -v N="$N" -v m="$(med "$work/ms-$n")" \
		'BEGIN { printf "%-8s %10.3f %10.2f %10s %13.2fx\n", n, t / 1e6, t / 1e3 / N, m, p / t }'
done
awk -v a="${total[podman]}" -v b="${total[berth]}" 'BEGIN { printf "podman / berth = %.2fx\n", a / b }'
if [ -n "${BEFORE:-}" ]; then
	awk -v a="${total[before]}" -v b="${total[berth]}" 'BEGIN { printf "before / berth = %.2fx\n", a / b }'
fi

# each berth's marks: the median over the runs of each one's time since the first `main`
if [ "${TIMING:-}" = 1 ]; then
	for n in "${names[@]}"; do
		[ "$n" != podman ] || continue
		for ((k = 0; k < N; k++)); do
			awk 'NR == 1 { t0 = $1 } { m = $3; c[m]++; if (c[m] > 1) m = m "#" c[m]; print m, $1 - t0 }' \
				"$work/timing-$n.$k"
		done | awk -v label="$n" -v N="$N" '
			{ v[$1, ++c[$1]] = $2 }
			END {
				for (k in c) {
					m = c[k]
					for (i = 1; i <= m; i++) a[i] = v[k, i]
					for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
					med[k] = a[int((m + 1) / 2)]
				}
				printf "\n%s, phase by phase (median of %d; ms since the first main)\n", label, N
				printf "%-16s %9s %9s\n", "phase", "at ms", "step ms"
				cnt = 0
				for (k in med) keys[++cnt] = k
				for (i = 2; i <= cnt; i++) for (j = i; j > 1 && med[keys[j - 1]] > med[keys[j]]; j--) { t = keys[j]; keys[j] = keys[j - 1]; keys[j - 1] = t }
				prev = 0
				for (i = 1; i <= cnt; i++) { printf "%-16s %9.2f %9.2f\n", keys[i], med[keys[i]] / 1e3, (med[keys[i]] - prev) / 1e3; prev = med[keys[i]] }
			}'
	done
fi
