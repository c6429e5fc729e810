# shellcheck shell=bash disable=SC2034,SC2154 # the VM part sets vm_cmd and results for its caller, reads its runs and accels
# Sourced by the benchmarks (bench/*.sh): what they share.

# bench_crun_ns NAME "$@": the script again, as root, in a private mount namespace in which
# this host's v2 cgroup.controllers reads empty (crun 1.8 refuses the hybrid cgroup layout
# otherwise; bound for every runtime alike). Returns in that namespace.
bench_crun_ns() {
	local name=$1 ctl=/sys/fs/cgroup/unified/cgroup.controllers
	shift
	if [ "${BERTH_BENCH_INNER:-}" != 1 ]; then
		[ "$(id -u)" -eq 0 ] || { echo "$name: run as root" >&2; exit 1; }
		exec env BERTH_BENCH_INNER=1 unshare -m --propagation private "$0" "$@"
	fi
	if [ -e "$ctl" ]; then
		mount --bind /dev/null "$ctl"
	fi
}

# bench_need NAME COMMAND…: each COMMAND installed (its Debian package has its name), or one
# line and exit 1.
bench_need() {
	local name=$1 p
	shift
	for p in "$@"; do
		command -v "$p" >/dev/null || { echo "$name: $p not installed (apt-get install $p)" >&2; exit 1; }
	done
}

# --- the VM benchmarks (vm-cpu.sh, vm-boot.sh, vm-io.sh): berth against qemu-system-riscv64 ---
# They set runs (RUNS) and accels (ACCELS: berth's --accel columns) before measuring.

# bench_vm_init NAME [BUILD_DIR]: sets berth (BUILD_DIR/berth, default $top/build), kernel and
# initrd (the reference guest: guest/build-kernel.sh, guest/build-initrd.sh); or one line and
# exit 1 when berth is not built or QEMU not installed.
bench_vm_init() {
	local name=$1 build
	build=$(cd "${2:-$top/build}" && pwd)
	berth="$build/berth"
	[ -x "$berth" ] || { echo "$name: $berth missing (build first)" >&2; exit 1; }
	command -v qemu-system-riscv64 >/dev/null ||
		{ echo "$name: qemu-system-riscv64 missing (apt-get install qemu-system-misc)" >&2; exit 1; }
	kernel=$("$top/guest/build-kernel.sh")
	initrd=$("$top/guest/build-initrd.sh")
}

# bench_vm_cmd VMM CPUS APPEND [BERTH_ARGS...]: sets the array vm_cmd to boot the reference
# guest with CPUS harts and kernel command line APPEND: VMM berth (with --accel $accel and
# BERTH_ARGS) or qemu (TCG, -M virt -bios default, 256 MiB as berth's default). Devices for
# QEMU are the caller's (vm_cmd+=(...)).
bench_vm_cmd() {
	local vmm=$1 cpus=$2 append=$3
	shift 3
	if [ "$vmm" = qemu ]; then
		vm_cmd=(qemu-system-riscv64 -M virt -m 256M -smp "$cpus" -nographic -bios default
			-kernel "$kernel" -initrd "$initrd" -append "$append")
	else
		vm_cmd=("$berth" vm run --accel "$accel" --kernel "$kernel" --initrd "$initrd"
			--cpus "$cpus" --append "$append" "$@")
	fi
}

# A seconds stamp from bash's clock, and the seconds between two (3 decimals).
bench_since() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN{printf "%.3f", b - a}'; }
# The median of the numbers on stdin (words; "-" when none).
bench_median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{if (NR==0) print "-"; else print a[int((NR+1)/2)]}'; }
# A / B as "N.NNx" ("-" when either is missing or B is 0).
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a=="-"||a==""||b=="-"||b==""||b==0) print "-"; else printf "%.2fx", a/b }'; }

# bench_vm_measure PART VAR...: RUNS rounds of `PART VMM` (VMM berth, with accel set to each
# of $accels in turn, then qemu; interleaved, so that a change in the host's load hits all
# alike); the medians of each VAR the part set (a number, or empty/- for none) in
# berth_ACCEL_VAR and qemu_VAR.
bench_vm_measure() {
	local part=$1 vmm name v i x
	shift
	for vmm in $accels qemu; do
		name=berth_$vmm
		[ "$vmm" != qemu ] || name=qemu
		for v; do eval "all_${name}_$v="; done
	done
	for ((i = 0; i < runs; i++)); do
		for vmm in $accels qemu; do
			name=berth_$vmm
			if [ "$vmm" = qemu ]; then name=qemu; else accel=$vmm; fi
			"$part" "$([ "$vmm" = qemu ] && echo qemu || echo berth)"
			for v; do
				eval "x=\${$v:-}"
				[ "$x" != - ] || x=
				eval "all_${name}_$v=\"\$all_${name}_$v $x\""
			done
		done
	done
	for vmm in $accels qemu; do
		name=berth_$vmm
		[ "$vmm" != qemu ] || name=qemu
		for v; do eval "${name}_$v=\$(bench_median <<<\"\$all_${name}_$v\")"; done
	done
}

# The table: bench_vm_header prints the column names (label width bench_label, default 36);
# bench_vm_row LABEL VAR one line: berth per accel, QEMU, then berth/QEMU per accel.
bench_vm_header() {
	local a
	printf "\n%-${bench_label:-36}s" ""
	for a in $accels; do printf ' %9s' "$a"; done
	printf ' %9s' qemu
	for a in $accels; do printf ' %11s' "$a/qemu"; done
	echo
}
bench_vm_row() {
	local v q a
	printf "%-${bench_label:-36}s" "$1"
	for a in $accels; do eval "v=\${berth_${a}_$2}"; printf ' %9s' "$v"; done
	eval "q=\${qemu_$2}"
	printf ' %9s' "$q"
	for a in $accels; do eval "v=\${berth_${a}_$2}"; printf ' %11s' "$(bench_ratio "$v" "$q")"; done
	echo
}
