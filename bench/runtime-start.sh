#!/bin/bash
# Start-up cost of an OCI runtime: N rounds, each one `run` of /bin/true and one `create` +
# `start` + `delete` of it, in a busybox bundle with berth-runtime, crun and runc (Debian's),
# interleaved so that each sees the same machine. Prints, per runtime, the median `run`, the
# total of the N sequential runs, the median create+start+delete, each one's ratio to crun's
# and the peak RSS of a `run`, and each runtime's median exec of `--version` (its own exec and
# start-up, without a container); then berth-runtime's start phase by phase (BERTH_TIMING, the
# median over PHASES runs: docs/performance.md).
#   bench/runtime-start.sh [BUILD_DIR]      N=100 PHASES=20 by default (PHASES=0: none)
# BEFORE=BUILD_DIR adds that build's berth-runtime (e.g. the commit before a change, built in
# another directory) as a fourth runtime, "berth-before", interleaved with the others.
# GAP=SECONDS sleeps that long before each measured command and each run of the phases: a
# start on a machine that has not just started another container (the kernel's RCU grace
# period that the first move of a task between cgroups waits for is then not already over;
# docs/performance.md).
# SECCOMP=FILE puts the JSON object in FILE (e.g. the engine's default profile, `.linux.seccomp`
# of a berth container's config.json) in the bundle as linux.seccomp, for all three runtimes.
# The state roots (--root) are on a tmpfs, as /run (where all three keep them by default) is
# on most hosts; STATE_DISK=1 puts them in $TMPDIR instead (on this host an ext4 mounted with
# `discard`, where each rmdir of a state directory waits ~2 ms for the disk).
# crun refuses this host's hybrid cgroup layout (cgroup2 at /sys/fs/cgroup/unified with
# controllers), so the comparison runs in a private mount namespace with /dev/null bound over
# /sys/fs/cgroup/unified/cgroup.controllers — for all three runtimes alike.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
N=${N:-100}
PHASES=${PHASES:-20}

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
bench_crun_ns runtime-start.sh "$@"

work=$(mktemp -d /tmp/berth-bench.XXXXXX)
trap 'umount "$work/state" 2>/dev/null; rm -rf "$work"' EXIT
mkdir "$work/state"
if [ "${STATE_DISK:-}" != 1 ]; then
	mount -t tmpfs -o mode=0711 tmpfs "$work/state"
fi
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
if [ -n "${BEFORE:-}" ]; then
	names+=(berth-before)
	bins+=("$(cd "$BEFORE" && pwd)/berth-runtime")
fi
GAP=${GAP:-0}
declare -A rss
for i in "${!names[@]}"; do
	[ -x "${bins[$i]}" ] || { echo "runtime-start.sh: ${names[$i]} not installed (apt-get install ${names[$i]})" >&2; exit 1; }
	: >"$work/run-${names[$i]}"
	: >"$work/csd-${names[$i]}"
done

run_one() { # name bin id
	"$2" --root "$work/state/$1" run --bundle "$work/bundle" "$3" >/dev/null
}
csd_one() { # name bin id: create, start, delete (after /bin/true has exited)
	"$2" --root "$work/state/$1" create --bundle "$work/bundle" "$3" >/dev/null
	"$2" --root "$work/state/$1" start "$3"
	"$2" --root "$work/state/$1" delete --force "$3"
}

# warm up (page cache, first-run effects), and check that each one works here
for i in "${!names[@]}"; do
	run_one "${names[$i]}" "${bins[$i]}" "warm-$i"
	csd_one "${names[$i]}" "${bins[$i]}" "warmc-$i"
done

# each round starts with the next runtime in turn: the work one leaves to the kernel (a
# network namespace is torn down by a kernel worker after the container has gone) falls on
# whichever runs next, so no runtime may always follow the same one
for ((k = 0; k < N; k++)); do
	for j in "${!names[@]}"; do
		i=$(((j + k) % ${#names[@]}))
		n=${names[$i]}
		[ "$GAP" = 0 ] || sleep "$GAP"
		t0=${EPOCHREALTIME/./}
		run_one "$n" "${bins[$i]}" "b$k"
		t1=${EPOCHREALTIME/./}
		[ "$GAP" = 0 ] || sleep "$GAP"
		t2=${EPOCHREALTIME/./}
		csd_one "$n" "${bins[$i]}" "c$k"
		t3=${EPOCHREALTIME/./}
		echo $((t1 - t0)) >>"$work/run-$n"
		echo $((t3 - t2)) >>"$work/csd-$n"
	done
done
# a bare fork+exec of /bin/true, for scale
t0=${EPOCHREALTIME/./}
for ((k = 0; k < N; k++)); do /bin/true; done
t1=${EPOCHREALTIME/./}
bare=$((t1 - t0))
# and of each runtime's `--version` (its exec and start-up alone: the dynamic loader and the
# libraries for crun and runc, a static-pie for berth-runtime), interleaved
for i in "${!names[@]}"; do : >"$work/ver-${names[$i]}"; done
for ((k = 0; k < N; k++)); do
	for i in "${!names[@]}"; do
		t0=${EPOCHREALTIME/./}
		"${bins[$i]}" --version >/dev/null
		t1=${EPOCHREALTIME/./}
		echo $((t1 - t0)) >>"$work/ver-${names[$i]}"
	done
done

for i in "${!names[@]}"; do
	n=${names[$i]}
	rss[$n]=$( { /usr/bin/time -f '%M' "${bins[$i]}" --root "$work/state/$n" run --bundle "$work/bundle" rss >/dev/null; } 2>&1 | tail -n1)
done

# median and total (µs) of the numbers in a file
med() { sort -n "$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
sum() { awk '{ s += $1 } END { print s }' "$1"; }

printf '%d rounds, interleaved (%s; state on %s; %s s between commands; load %s)\n' "$N" \
	"$(uname -r)" "$(stat -f -c %T "$work/state")" "$GAP" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-14s %9s %6s %11s %6s %13s %6s %9s\n' runtime 'run ms' 'vs c' "${N}x run s" 'vs c' 'c+s+d ms' 'vs c' 'RSS KiB'
cr=$(med "$work/run-crun") ct=$(sum "$work/run-crun") cc=$(med "$work/csd-crun")
for n in "${names[@]}"; do
	awk -v n="$n" -v r="$(med "$work/run-$n")" -v t="$(sum "$work/run-$n")" \
		-v c="$(med "$work/csd-$n")" -v cr="$cr" -v ct="$ct" -v cc="$cc" -v m="${rss[$n]}" \
		'BEGIN { printf "%-14s %9.2f %5.2fx %11.3f %5.2fx %13.2f %5.2fx %9d\n", n, r / 1e3, r / cr, t / 1e6, t / ct, c / 1e3, c / cc, m }'
done
awk -v t="$bare" -v N="$N" 'BEGIN { printf "%-14s %9.2f\n", "bare exec", t / 1e3 / N }'
vc=$(med "$work/ver-crun")
for n in "${names[@]}"; do
	awk -v n="$n" -v v="$(med "$work/ver-$n")" -v vc="$vc" \
		'BEGIN { printf "%-14s %9.2f %5.2fx  (median exec of --version, ms)\n", n, v / 1e3, v / vc }'
done

# berth-runtime phase by phase: each mark's median time since the first `main` of the run
# (or of the create), and the median of the time since the mark before it
phases() { # label command…
	local label=$1 k
	shift
	for ((k = 0; k < PHASES; k++)); do
		rm -f "$work/timing"
		[ "$GAP" = 0 ] || sleep "$GAP"
		BERTH_TIMING="$work/timing" "$@" "p$k"
		awk 'NR == 1 { t0 = $1 } { n = $3; c[n]++; if (c[n] > 1) n = n "#" c[n]; print n, $1 - t0 }' \
			"$work/timing"
	done | awk -v label="$label" -v P="$PHASES" '
		{ v[$1, ++n[$1]] = $2; if (!($1 in first)) { first[$1] = NR } }
		END {
			for (k in n) {
				m = n[k]
				for (i = 1; i <= m; i++) a[i] = v[k, i]
				for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
				med[k] = a[int((m + 1) / 2)]
			}
			printf "\nberth-runtime %s, phase by phase (median of %d; ms since the first main)\n", label, P
			printf "%-14s %9s %9s\n", "phase", "at ms", "step ms"
			cnt = 0
			for (k in med) keys[++cnt] = k
			for (i = 2; i <= cnt; i++) for (j = i; j > 1 && med[keys[j - 1]] > med[keys[j]]; j--) { t = keys[j]; keys[j] = keys[j - 1]; keys[j - 1] = t }
			prev = 0
			for (i = 1; i <= cnt; i++) { printf "%-14s %9.2f %9.2f\n", keys[i], med[keys[i]] / 1e3, (med[keys[i]] - prev) / 1e3; prev = med[keys[i]] }
		}'
}
berth_run() { "$build/berth-runtime" --root "$work/state/berth-runtime" run --bundle "$work/bundle" "$1" >/dev/null; }
berth_csd() { csd_one berth-runtime "$build/berth-runtime" "$1"; }
if [ "$PHASES" -gt 0 ]; then
	phases run berth_run
	phases create+start+delete berth_csd
fi
