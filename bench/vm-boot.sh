#!/bin/bash
# Boot timing and an in-guest CPU benchmark, `berth vm run` against QEMU TCG
# (`qemu-system-riscv64 -M virt -bios default`), with the same kernel and initramfs
# (guest/build-kernel.sh, guest/build-initrd.sh) in one run, and the ratios.
#   bench/vm-boot.sh [BUILD_DIR]     (default: build)
# Environment: RUNS (boots per configuration, default 5; the median is shown), BENCH (the
# size of berth.bench=N, default 1), CPUS (default "1 2").
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

berth_cmd() { # cpus append
	run "$berth" vm run --kernel "$kernel" --initrd "$initrd" --cpus "$1" --append "$2"
}
qemu_cmd() {
	run qemu-system-riscv64 -M virt -m 256M -smp "$1" -nographic -bios default \
		-kernel "$kernel" -initrd "$initrd" -append "$2"
}

echo "kernel: $kernel"
echo "initrd: $initrd"
echo "host:   $(nproc) CPUs, $(uname -r); $runs runs each, medians; seconds from launch"
printf '\n%-26s %10s %10s %10s %10s\n' "" "berth" "qemu" "ratio" ""
for cpus in ${CPUS:-1 2}; do
	for what in boot bench; do
		append="console=ttyS0"
		[ "$what" = bench ] && append="console=ttyS0 berth.bench=$bench"
		for vmm in berth qemu; do
			r= t= i= m=
			for _ in $(seq "$runs"); do
				"${vmm}_cmd" "$cpus" "$append"
				r="$r ${ready:-}" t="$t $total" i="$i ${int:-}" m="$m ${mem:-}"
			done
			eval "${vmm}_ready=\$(median <<<\"\$r\") ${vmm}_total=\$(median <<<\"\$t\")"
			eval "${vmm}_int=\$(median <<<\"\$i\") ${vmm}_mem=\$(median <<<\"\$m\")"
		done
		if [ "$what" = boot ]; then
			printf '%-26s %10s %10s %10s\n' "-smp $cpus: to init" "$berth_ready" "$qemu_ready" "$(ratio "$berth_ready" "$qemu_ready")"
			printf '%-26s %10s %10s %10s\n' "-smp $cpus: to exit" "$berth_total" "$qemu_total" "$(ratio "$berth_total" "$qemu_total")"
		else
			printf '%-26s %10s %10s %10s\n' "-smp $cpus: bench int (guest)" "$berth_int" "$qemu_int" "$(ratio "$berth_int" "$qemu_int")"
			printf '%-26s %10s %10s %10s\n' "-smp $cpus: bench mem (guest)" "$berth_mem" "$qemu_mem" "$(ratio "$berth_mem" "$qemu_mem")"
			printf '%-26s %10s %10s %10s\n' "-smp $cpus: boot+bench exit" "$berth_total" "$qemu_total" "$(ratio "$berth_total" "$qemu_total")"
		fi
	done
done
echo
echo "bench int: xorshift loop, $((2860000 * bench)) iterations; bench mem: byte CRC-32 over $((4 * bench)) MiB."
echo "ratio > 1: berth is slower."
