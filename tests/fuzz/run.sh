#!/bin/sh
# Build the libFuzzer targets with clang (ASan + UBSan) in build-fuzz and run each briefly.
#   tests/fuzz/run.sh [SECONDS [TARGET…]]   default 30 seconds per target, every target
# Targets: vm_virtio (virtio-mmio, virtqueues, PLIC, UART), vm_p9 (the 9P2000.L server of
# --share, on a scratch directory, checking that nothing outside it changes), config (the config.json parser),
# unpack (layer unpacking of hostile tar streams), dns (a network's DNS responder's answer to a
# hostile query). Each starts from its committed seed corpus
# tests/fuzz/corpus/TARGET/ (when there is one) and keeps what it finds in
# build-fuzz/corpus-TARGET/. Exits non-zero on the first target that finds a crash, a leak
# or undefined behaviour.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build="$top/build-fuzz"
secs=${1:-30}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- vm_virtio vm_p9 config unpack dns
if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$top" -Dfuzz=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
for t in "$@"; do
	ninja -C "$build" "tests/fuzz/fuzz_$t"
done
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
for t in "$@"; do
	case $t in
	vm_virtio) max_len=4096 corpus="$build/corpus-vm-virtio" ;;
	*) max_len=65536 corpus="$build/corpus-$t" ;;
	esac
	mkdir -p "$corpus"
	# the unpack target writes only below its own temporary directory, here
	rm -rf "$build/tmp-$t"
	mkdir -p "$build/tmp-$t"
	seeds=
	[ -d "$top/tests/fuzz/corpus/$t" ] && seeds="$top/tests/fuzz/corpus/$t"
	echo "# fuzz_$t: $secs s"
	# shellcheck disable=SC2086 # $seeds is one directory or nothing
	TMPDIR="$build/tmp-$t" "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -max_len="$max_len" \
		-print_final_stats=1 -artifact_prefix="$build/fuzz_$t-" "$corpus" $seeds
	rm -rf "$build/tmp-$t"
done
