#!/bin/bash
# Guest I/O, `berth vm run` against QEMU TCG (`qemu-system-riscv64 -M virt -bios default`)
# with the same kernel and initramfs (guest/build-kernel.sh, guest/build-initrd.sh), in one
# run, with the ratios (berth's rate / QEMU's: above 1 means berth is faster).
#   bench/vm-io.sh [BUILD_DIR]     (default: build)
# Parts:
#   9p: a host directory shared over virtio-9p (berth --share; QEMU -fsdev local +
#       virtio-9p-device, security_model=passthrough): sequential write and read of one file
#       (dd, 1 MiB blocks), and small files created then deleted (echo > f, rm) — timed
#       on the host between marker lines the guest prints.
# Environment: RUNS (runs per configuration, default 3; the median is shown), P9_MIB (the
# sequential file's size, default 32), P9_FILES (small files, default 300).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
berth="$build/berth"
runs=${RUNS:-3}
kernel=$("$top/guest/build-kernel.sh")
initrd=$("$top/guest/build-initrd.sh")
[ -x "$berth" ] || { echo "vm-io.sh: $berth missing (build first)" >&2; exit 1; }
command -v qemu-system-riscv64 >/dev/null || { echo "vm-io.sh: qemu-system-riscv64 missing (apt-get install qemu-system-misc)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{if (NR==0) print "-"; else print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a=="-"||b=="-"||b==0) print "-"; else printf "%.2fx", a/b }'; }

# --- 9p ------------------------------------------------------------------------------------

p9_mib=${P9_MIB:-32}
p9_files=${P9_FILES:-300}

# The guest script, on the share itself: prints a marker before and after each part; the
# host times the parts from the markers' arrival (the guest's clocks are too coarse).
p9_bench_script() {
	cat >"$1/bench.sh" <<EOF
echo P9-MARK write-start
dd if=/dev/zero of=/mnt/seq bs=1048576 count=$p9_mib 2>/dev/null; sync
echo P9-MARK write-end
echo P9-MARK read-start
dd if=/mnt/seq of=/dev/null bs=1048576 2>/dev/null
echo P9-MARK read-end
rm /mnt/seq
mkdir /mnt/small
echo P9-MARK files-start
i=0; while [ \$i -lt $p9_files ]; do echo \$i >/mnt/small/f\$i; i=\$((i + 1)); done
i=0; while [ \$i -lt $p9_files ]; do rm /mnt/small/f\$i; i=\$((i + 1)); done
echo P9-MARK files-end
rmdir /mnt/small
EOF
}

P9_APPEND="console=ttyS0 quiet -- mkdir -p /mnt && mount -t 9p -o trans=virtio,version=9p2000.L share /mnt && sh /mnt/bench.sh"

# p9_run CMD...: sets p9_w, p9_r (MiB/s), p9_f (files created+deleted per second)
p9_run() {
	local line ws='' we='' rs='' re='' fs='' fe=''
	p9_w=- p9_r=- p9_f=-
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		*"P9-MARK write-start"*) ws=$EPOCHREALTIME ;;
		*"P9-MARK write-end"*) we=$EPOCHREALTIME ;;
		*"P9-MARK read-start"*) rs=$EPOCHREALTIME ;;
		*"P9-MARK read-end"*) re=$EPOCHREALTIME ;;
		*"P9-MARK files-start"*) fs=$EPOCHREALTIME ;;
		*"P9-MARK files-end"*) fe=$EPOCHREALTIME ;;
		esac
	done < <(timeout 600 "$@" </dev/null 2>&1)
	[ -z "$we" ] || p9_w=$(awk -v a="$ws" -v b="$we" -v m="$p9_mib" 'BEGIN{printf "%.1f", m / (b - a)}')
	[ -z "$re" ] || p9_r=$(awk -v a="$rs" -v b="$re" -v m="$p9_mib" 'BEGIN{printf "%.1f", m / (b - a)}')
	[ -z "$fe" ] || p9_f=$(awk -v a="$fs" -v b="$fe" -v f="$p9_files" 'BEGIN{printf "%.0f", f / (b - a)}')
}

p9_berth() {
	p9_run "$berth" vm run --kernel "$kernel" --initrd "$initrd" --share "$1:share" \
		--append "$P9_APPEND"
}

p9_qemu() {
	p9_run qemu-system-riscv64 -M virt -m 256M -smp 1 -nographic -bios default \
		-kernel "$kernel" -initrd "$initrd" -append "$P9_APPEND" \
		-fsdev "local,id=fs0,path=$1,security_model=passthrough" \
		-device virtio-9p-device,fsdev=fs0,mount_tag=share
}

p9_bench() {
	local dir="$work/p9" bw=() br=() bf=() qw=() qr=() qf=() i
	mkdir -p "$dir"
	p9_bench_script "$dir"
	for ((i = 0; i < runs; i++)); do
		p9_berth "$dir"
		bw+=("$p9_w") br+=("$p9_r") bf+=("$p9_f")
		p9_qemu "$dir"
		qw+=("$p9_w") qr+=("$p9_r") qf+=("$p9_f")
	done
	local mbw mbr mbf mqw mqr mqf
	mbw=$(echo "${bw[*]}" | median) mbr=$(echo "${br[*]}" | median) mbf=$(echo "${bf[*]}" | median)
	mqw=$(echo "${qw[*]}" | median) mqr=$(echo "${qr[*]}" | median) mqf=$(echo "${qf[*]}" | median)
	printf '%-34s %10s %10s %8s\n' "9p seq write $p9_mib MiB (MiB/s)" "$mbw" "$mqw" "$(ratio "$mbw" "$mqw")"
	printf '%-34s %10s %10s %8s\n' "9p seq read $p9_mib MiB (MiB/s)" "$mbr" "$mqr" "$(ratio "$mbr" "$mqr")"
	printf '%-34s %10s %10s %8s\n' "9p create+delete (files/s)" "$mbf" "$mqf" "$(ratio "$mbf" "$mqf")"
}

echo "kernel: $kernel"
echo "initrd: $initrd"
echo "host:   $(nproc) CPUs, $(uname -r); $runs runs each, medians; timed in the guest"
printf '\n%-34s %10s %10s %8s\n' "" "berth" "qemu" "ratio"
p9_bench
