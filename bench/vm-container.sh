#!/bin/bash
# Start time of a VM-backed container against the bare guest: `berth run --vm --rm busybox
# true` (the engine's overlay, the agent, its 9p root and config shares, the command run and
# its status carried back, the container removed) against `berth vm run` of the same kernel
# with the reference initramfs (guest/build-initrd.sh), whose init powers off at once, both
# with no console output (`--console none --append quiet`, as the engine runs it). Rounds
# are interleaved; the medians and their ratio are printed (aim: at most 1.2x).
#   bench/vm-container.sh [BUILD_DIR]     (default: build)
# Environment: RUNS (rounds, default 7), BERTH_GUEST_CACHE (as the guest scripts).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
berth="$build/berth"
runs=${RUNS:-7}
kernel=$("$top/guest/build-kernel.sh")
initrd=$("$top/guest/build-initrd.sh")
agent=$("$top/guest/build-agent.sh")
[ -x "$berth" ] || { echo "vm-container.sh: $berth missing (build first)" >&2; exit 1; }
root=$(mktemp -d /tmp/berth-bench-vmctr.XXXXXX)
trap 'rm -rf "$root"' EXIT

secs() { # CMD...: seconds from launch to exit
	local start=$EPOCHREALTIME
	timeout 600 "$@" </dev/null >/dev/null 2>&1 || { echo "vm-container.sh: $* failed" >&2; exit 1; }
	awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}'
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

# the built-in busybox image made once, outside the timing
"$berth" --root "$root" run --vm --rm busybox true
echo "kernel: $kernel"
echo "initrd: $initrd (bare guest)"
echo "agent:  $agent"
echo "host:   $(nproc) CPUs, $(uname -r); $runs interleaved rounds, medians"
bare= ctr=
for i in $(seq "$runs"); do
	b=$(secs "$berth" vm run --kernel "$kernel" --initrd "$initrd" --console none --append quiet)
	c=$(secs "$berth" --root "$root" run --vm --rm busybox true)
	echo "round $i: bare guest $b s, run --vm $c s"
	bare="$bare $b" ctr="$ctr $c"
done
mb=$(median <<<"$bare") mc=$(median <<<"$ctr")
printf '\n%-36s %8s s\n%-36s %8s s\n%-36s %8s\n' "berth vm run (bare guest)" "$mb" \
	"berth run --vm --rm busybox true" "$mc" "ratio" \
	"$(awk -v a="$mc" -v b="$mb" 'BEGIN{printf "%.2fx", a/b}')"
