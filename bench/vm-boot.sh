#!/bin/bash
# Boot timing and init's in-guest CPU benchmark (berth.bench: an integer loop and a memory
# CRC), `berth vm run` per --accel against QEMU TCG: bench/vm-cpu.sh without its program part
# (busybox gzip and sha256sum), with vm-boot.sh's old defaults (5 runs, BENCH=1).
#   bench/vm-boot.sh [BUILD_DIR]     (default: build)
# Environment: as bench/vm-cpu.sh (RUNS, BENCH, CPUS, ACCELS).
exec env PARTS=bench RUNS="${RUNS:-5}" BENCH="${BENCH:-1}" "$(dirname "$0")/vm-cpu.sh" "$@"
