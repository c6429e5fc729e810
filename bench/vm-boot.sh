#!/bin/bash
# Boot timing and an in-guest CPU benchmark, `berth vm run` (with the interpreter and with
# the translator, --accel interp and jit) against QEMU TCG (`qemu-system-riscv64 -M virt
# -bios default`), with the same kernel and initramfs (guest/build-kernel.sh,
# guest/build-initrd.sh) in one run, and the ratios.
#   bench/vm-boot.sh [BUILD_DIR]     (default: build)
# Environment: RUNS (boots per configuration, default 5; the median is shown), BENCH (the
# size of berth.bench=N, default 1), CPUS (default "1 2"), ACCELS (default "interp jit").
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
berth="$build/berth"
runs=${RUNS:-5}
bench=${BENCH:-1}
kernel=$("$top/guest/build-kernel.sh")
initrd=$("$top/guest/build-initrd.sh")
[ -x "$berth" ] || { echo "vm-boot.sh: $berth missing (build first)" >&2; exit 1; }
command -v qemu-system-riscv64 >/dev/null || { echo "vm-boot.sh: qemu-system-riscv64 missing (apt-get install qemu-system-misc)" >&2; exit 1; }

# run CMD...: sets ready, total (seconds from launch), int, mem (in-guest seconds)
run() {
	local start line t
	ready= int= mem=
	start=$EPOCHREALTIME
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		*BERTH-GUEST-READY*) [ -n "$ready" ] || ready=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}') ;;
		*"bench int: "*) t=${line#*bench int: }; int=${t%% s*} ;;
		*"bench mem: "*) t=${line#*bench mem: }; mem=${t%% s*} ;;
		esac
	done < <(timeout 600 "$@" </dev/null 2>&1)
	total=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.3f", b-a}')
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{if (NR==0) print "-"; else print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a=="-"||b=="-"||b==0) print "-"; else printf "%.2fx", a/b }'; }

accel=interp
berth_cmd() { # cpus append
	run "$berth" vm run --accel "$accel" --kernel "$kernel" --initrd "$initrd" --cpus "$1" --append "$2"
}
qemu_cmd() {
	run qemu-system-riscv64 -M virt -m 256M -smp "$1" -nographic -bios default \
		-kernel "$kernel" -initrd "$initrd" -append "$2"
}

echo "kernel: $kernel"
echo "initrd: $initrd"
echo "host:   $(nproc) CPUs, $(uname -r); $runs runs each, medians; seconds from launch"
accels=${ACCELS:-interp jit}
printf '\n%-26s' ""
for a in $accels; do printf ' %10s' "$a"; done
printf ' %10s' qemu
for a in $accels; do printf ' %10s' "$a/qemu"; done
echo
# one row: label, then the variable suffix (ready, total, int, mem)
row() {
	local v q
	printf '%-26s' "$1"
	for a in $accels; do eval "v=\${berth_${a}_$2}"; printf ' %10s' "$v"; done
	eval "q=\${qemu_$2}"
	printf ' %10s' "$q"
	for a in $accels; do eval "v=\${berth_${a}_$2}"; printf ' %10s' "$(ratio "$v" "$q")"; done
	echo
}
for cpus in ${CPUS:-1 2}; do
	for what in boot bench; do
		append="console=ttyS0"
		[ "$what" = bench ] && append="console=ttyS0 berth.bench=$bench"
		for vmm in $accels qemu; do
			r= t= i= m=
			cmd=berth_cmd name=berth_$vmm
			if [ "$vmm" = qemu ]; then cmd=qemu_cmd name=qemu; else accel=$vmm; fi
			for _ in $(seq "$runs"); do
				"$cmd" "$cpus" "$append"
				r="$r ${ready:-}" t="$t $total" i="$i ${int:-}" m="$m ${mem:-}"
			done
			eval "${name}_ready=\$(median <<<\"\$r\") ${name}_total=\$(median <<<\"\$t\")"
			eval "${name}_int=\$(median <<<\"\$i\") ${name}_mem=\$(median <<<\"\$m\")"
		done
		if [ "$what" = boot ]; then
			row "-smp $cpus: to init" ready
			row "-smp $cpus: to exit" total
		else
			row "-smp $cpus: bench int (guest)" int
			row "-smp $cpus: bench mem (guest)" mem
			row "-smp $cpus: boot+bench exit" total
		fi
	done
done
echo
echo "bench int: xorshift loop, $((2860000 * bench)) iterations; bench mem: byte CRC-32 over $((4 * bench)) MiB."
echo "seconds (medians); ratio > 1: berth is slower."
