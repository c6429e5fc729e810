#!/bin/bash
# Guest CPU speed and boot time, `berth vm run` (per --accel: the translator and the
# interpreter) against QEMU TCG (`qemu-system-riscv64 -M virt -bios default`), with the same
# kernel and initramfs (guest/build-kernel.sh, guest/build-initrd.sh) in one run, on 1 and 2
# harts, with the ratios.
#   bench/vm-cpu.sh [BUILD_DIR]     (default: build)
# One boot per run and VMM measures every row (berth's and QEMU's boots interleaved):
#   to init      seconds from launch to the guest init's BERTH-GUEST-READY line;
#   bench int    init's xorshift loop (berth.bench=N: 2.86M steps times N), timed in the guest;
#   bench mem    init's byte-wise CRC-32 over 4 MiB times N, timed in the guest;
#   gzip -9      busybox gzip -9 of a FILE_MIB MiB file in the guest's tmpfs (copies of the
#                guest's busybox binary, made in the guest before the timing), timed on the
#                host between marker lines the guest prints;
#   sha256sum    busybox sha256sum of the same file, timed the same way;
#   to exit      seconds from launch until the VMM has exited (after power-off).
# The file's SHA-256 and the compressed size must agree between all VMMs (checked).
# Environment: RUNS (runs per VMM and hart count, default 3; the median is shown), ACCELS
# (berth's --accel columns, default "jit interp"), CPUS (default "1 2"), BENCH (N above,
# default 4), FILE_MIB (default 64), PARTS (default "bench prog"; "bench" leaves out the
# file part, as bench/vm-boot.sh does), BEFORE (another build directory: its berth with
# --accel jit is the column "before", interleaved with the others; ACCELS then defaults to
# "before jit").
# shellcheck disable=SC2034 # the results (int, gz...) are read by bench_vm_measure's eval
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
bench_vm_init vm-cpu.sh "${1:-}"
runs=${RUNS:-3}
before_berth=
if [ -n "${BEFORE:-}" ]; then
	before_berth="$(cd "$BEFORE" && pwd)/berth"
	[ -x "$before_berth" ] || { echo "vm-cpu.sh: BEFORE: $before_berth missing (build it first)" >&2; exit 1; }
fi
accels=${ACCELS:-$([ -n "$before_berth" ] && echo "before jit" || echo "jit interp")}
case " $accels " in *" before "*) [ -n "$before_berth" ] ||
	{ echo "vm-cpu.sh: ACCELS: the column \"before\" needs BEFORE=BUILD_DIR" >&2; exit 1; } ;;
esac
accel=jit
bench=${BENCH:-4}
file_mib=${FILE_MIB:-64}
parts=${PARTS:-bench prog}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The guest's command: the file (whole copies of /bin/busybox, cut at FILE_MIB MiB), then
# gzip -9 and sha256sum of it between markers, and what they made (to compare VMMs); then a
# second for the console to drain (with 2 harts, the end of the last line was lost at power-off).
prog="f=/tmp/f; n=\$(( ($file_mib << 20) / \$(wc -c </bin/busybox) + 1 )); i=0; \
while [ \$i -lt \$n ]; do cat /bin/busybox; i=\$((i + 1)); done | head -c $((file_mib << 20)) >\$f; \
echo CPU-MARK gzip-start; gzip -9 -c \$f >\$f.gz; echo CPU-MARK gzip-end; \
echo CPU-MARK sha-start; s=\$(sha256sum \$f); echo CPU-MARK sha-end; \
echo CPU-RESULT \${s%% *} \$(wc -c <\$f.gz); sleep 1"

# cpu_run VMM: one boot with $cpus harts; sets ready, int, mem, gz, sha, total (seconds; -
# when missing) and checks the guest's result against the first one seen
cpu_run() {
	local line t start gs='' ge='' ss='' se='' result='' append="console=ttyS0 berth.bench=$bench"
	ready=- int=- mem=- gz=- sha=- total=-
	case " $parts " in *" prog "*) append="$append -- \"$prog\"" ;; esac
	if [ "$1" = berth ] && [ "$accel" = before ]; then # the BEFORE build's translator
		berth=$before_berth accel=jit bench_vm_cmd "$1" "$cpus" "$append"
	else
		bench_vm_cmd "$1" "$cpus" "$append"
	fi
	start=$EPOCHREALTIME
	: >"$work/vm.out"
	while IFS= read -r line; do
		printf '%s\n' "$line" >>"$work/vm.out"
		line=${line%$'\r'}
		case $line in
		*BERTH-GUEST-READY*) [ "$ready" != - ] || ready=$(bench_since "$start") ;;
		*"bench int: "*) t=${line#*bench int: }; int=${t%% s*} ;;
		*"bench mem: "*) t=${line#*bench mem: }; mem=${t%% s*} ;;
		*"CPU-MARK gzip-start"*) gs=$EPOCHREALTIME ;;
		*"CPU-MARK gzip-end"*) ge=$EPOCHREALTIME ;;
		*"CPU-MARK sha-start"*) ss=$EPOCHREALTIME ;;
		*"CPU-MARK sha-end"*) se=$EPOCHREALTIME ;;
		*"CPU-RESULT "*) result=${line#*CPU-RESULT } ;;
		esac
	done < <(timeout 3600 "${vm_cmd[@]}" </dev/null 2>&1)
	total=$(bench_since "$start")
	[ -z "$ge" ] || gz=$(bench_since "$gs" "$ge")
	[ -z "$se" ] || sha=$(bench_since "$ss" "$se")
	case " $parts " in *" prog "*) ;; *) return 0 ;; esac
	if ! [[ $result =~ ^[0-9a-f]{64}\ [0-9]+$ ]]; then
		echo "vm-cpu.sh: $1 ${accel} -smp $cpus: the guest's program did not finish (or its result line came garbled: \"$result\"); its last lines:" >&2
		tail -5 "$work/vm.out" >&2
		gz=- sha=-
	elif [ ! -s "$work/result" ]; then
		echo "$result" >"$work/result"
	elif [ "$result" != "$(cat "$work/result")" ]; then
		echo "vm-cpu.sh: $1 ${accel} -smp $cpus: the guest computed \"$result\", another VMM \"$(cat "$work/result")\"" >&2
		gz=- sha=-
	fi
}

echo "kernel: $kernel"
echo "initrd: $initrd"
echo "host:   $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $runs runs each, medians"
bench_label=30
bench_vm_header
for cpus in ${CPUS:-1 2}; do
	bench_vm_measure cpu_run ready int mem gz sha total
	bench_vm_row "-smp $cpus: to init" ready
	bench_vm_row "-smp $cpus: bench int (guest)" int
	bench_vm_row "-smp $cpus: bench mem (guest)" mem
	case " $parts " in *" prog "*)
		bench_vm_row "-smp $cpus: gzip -9 $file_mib MiB" gz
		bench_vm_row "-smp $cpus: sha256sum $file_mib MiB" sha
		;;
	esac
	bench_vm_row "-smp $cpus: to exit" total
done
echo
echo "bench int: xorshift loop, $((2860000 * bench)) iterations; bench mem: byte CRC-32 over $((4 * bench)) MiB."
echo "seconds (medians); ratio = berth's time / QEMU's: below 1, berth is faster."
