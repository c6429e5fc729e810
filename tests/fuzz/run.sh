#!/bin/sh
# Build the libFuzzer targets with clang (ASan + UBSan) in build-fuzz and run each briefly.
#   tests/fuzz/run.sh [SECONDS]        default 30 seconds per target
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build="$top/build-fuzz"
secs=${1:-30}
if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$top" -Dfuzz=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C "$build" tests/fuzz/fuzz_vm_virtio
corpus="$build/corpus-vm-virtio"
mkdir -p "$corpus"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
"$build/tests/fuzz/fuzz_vm_virtio" -max_total_time="$secs" -max_len=4096 \
	-print_final_stats=1 "$corpus"
