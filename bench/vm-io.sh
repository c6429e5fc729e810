#!/bin/bash
# Guest I/O, `berth vm run` against QEMU TCG (`qemu-system-riscv64 -M virt -bios default`)
# with the same kernel and initramfs (guest/build-kernel.sh, guest/build-initrd.sh), in one
# run, with the ratios (berth's rate / QEMU's: above 1 means berth is faster).
#   bench/vm-io.sh [BUILD_DIR]     (default: build)
# Parts:
#   net: guest -> host TCP throughput, with user-mode networking (berth's --net user, QEMU's
#        -netdev user with a virtio-net-device), two ways:
#        - nc: the guest writes MIB MiB of zeros with busybox dd into nc 10.0.2.2 PORT, which
#          slirp connects to 127.0.0.1:PORT, where a receiver on the host counts the bytes
#          from the first to the end (busybox nc writes 1 KiB at a time);
#        - httpd: the guest serves a MIB MiB file from its tmpfs with busybox httpd on a
#          forwarded port (hostfwd=tcp:127.0.0.1:PORT-:80) and the host downloads it with curl
#          (httpd writes large blocks, so segmentation offload comes into play).
#   9p: a host directory shared over virtio-9p (berth --share; QEMU -fsdev local +
#       virtio-9p-device, security_model=passthrough): sequential write and read of one file
#       (dd, 1 MiB blocks), and small files created then deleted (echo > f, rm) — timed
#       on the host between marker lines the guest prints.
#   blk: a raw image file as virtio-blk (berth --disk; QEMU -drive if=none,format=raw and a
#        virtio-blk-device, its default writeback cache: both go through the host's page
#        cache): sequential write then read of /dev/vda with busybox dd, 1 MiB blocks,
#        oflag/iflag=direct (no guest page cache), timed on the host between marker lines.
# Environment: RUNS (runs per VMM, default 3; the median is shown), ACCELS (berth's --accel
# for its columns, default "jit"; e.g. "jit interp"), MIB (default 64), P9_MIB (the 9p
# sequential file's size, default 32), P9_FILES (small files, default 300), BLK_MIB (the
# virtio-blk transfer, default 256), PARTS (which parts, default "nc httpd 9p blk").
# Traffic stays on the host's loopback.
# shellcheck disable=SC2034 # the parts' results (net, p9_w, blk_r...) are read by bench_vm_measure's eval
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
bench_vm_init vm-io.sh "${1:-}"
runs=${RUNS:-3}
mib=${MIB:-64}
accels=${ACCELS:-jit}
parts=${PARTS:-nc httpd 9p blk}
accel=jit
command -v python3 >/dev/null || { echo "vm-io.sh: python3 missing" >&2; exit 1; }
work=$(mktemp -d)
recv_pid=
cleanup() {
	[ -z "$recv_pid" ] || kill "$recv_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# The receiver: accepts one connection on 127.0.0.1 (its port in $work/port), counts bytes,
# writes "BYTES SECONDS" (first byte to EOF) to $work/result.
cat >"$work/recv.py" <<'EOF'
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
with open(sys.argv[1] + "/port.tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + "/port.tmp", sys.argv[1] + "/port")
c, _ = s.accept()
n, t0 = 0, None
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    if t0 is None:
        t0 = time.monotonic()
    n += len(b)
t = time.monotonic() - t0 if t0 is not None else 0
with open(sys.argv[1] + "/result", "w") as f:
    f.write("%d %.6f\n" % (n, t))
EOF

# net_run VMM: one guest -> host transfer; sets net (MiB/s, or empty)
net_run() {
	local port append
	rm -f "$work/port" "$work/result"
	python3 "$work/recv.py" "$work" &
	recv_pid=$!
	for _ in $(seq 1 100); do
		[ -s "$work/port" ] && break
		sleep 0.05
	done
	port=$(cat "$work/port")
	append="console=ttyS0 quiet -- \"dd if=/dev/zero bs=64k count=$((mib * 16)) 2>/dev/null | nc 10.0.2.2 $port\""
	bench_vm_cmd "$1" 1 "$append" --net user
	# shellcheck disable=SC2054 # the commas are QEMU's
	[ "$1" = berth ] || vm_cmd+=(-netdev user,id=n0 -device virtio-net-device,netdev=n0)
	timeout 600 "${vm_cmd[@]}" </dev/null >"$work/vm.out" 2>&1 || true
	wait "$recv_pid" 2>/dev/null || true
	recv_pid=
	mbps=
	if [ -s "$work/result" ]; then
		read -r bytes secs <"$work/result"
		if [ "$bytes" -eq $((mib << 20)) ]; then
			mbps=$(awk -v b="$bytes" -v s="$secs" 'BEGIN{ if (s>0) printf "%.1f", b/1048576/s }')
		fi
	fi
	[ -n "$mbps" ] || { echo "vm-io.sh: $1: the transfer did not complete; guest output:" >&2; tail -5 "$work/vm.out" >&2; }
	net=$mbps
}

# httpd_run VMM: one download from the guest's httpd; sets httpd (MiB/s, or empty)
httpd_run() {
	local port append vm_pid speed
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	append="console=ttyS0 quiet -- \"mkdir -p /tmp/www/cgi-bin; \
dd if=/dev/zero of=/tmp/www/big bs=64k count=$((mib * 16)) 2>/dev/null; echo ok > /tmp/www/ready; \
printf '#!/bin/sh\necho Content-Type: text/plain\necho\ntouch /tmp/stop\n' > /tmp/www/cgi-bin/stop; \
chmod +x /tmp/www/cgi-bin/stop; httpd -p 80 -h /tmp/www; while [ ! -e /tmp/stop ]; do sleep 1; done\""
	bench_vm_cmd "$1" 1 "$append" --net "user,hostfwd=tcp:127.0.0.1:$port-:80"
	# shellcheck disable=SC2054 # the commas are QEMU's
	[ "$1" = berth ] || vm_cmd+=(-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:80"
		-device virtio-net-device,netdev=n0)
	timeout 900 "${vm_cmd[@]}" </dev/null >"$work/vm.out" 2>&1 &
	vm_pid=$!
	for _ in $(seq 1 1200); do
		curl -sf --max-time 30 "http://127.0.0.1:$port/ready" >/dev/null && break
		kill -0 "$vm_pid" 2>/dev/null || break
		sleep 0.5
	done
	speed=$(curl -sf --max-time 600 -o /dev/null -w '%{size_download} %{speed_download}' "http://127.0.0.1:$port/big" || true)
	curl -sf --max-time 60 "http://127.0.0.1:$port/cgi-bin/stop" >/dev/null || true
	wait "$vm_pid" || true
	mbps=
	if [ "${speed%% *}" = $((mib << 20)) ]; then
		mbps=$(awk -v s="${speed#* }" 'BEGIN{ printf "%.1f", s/1048576 }')
	fi
	[ -n "$mbps" ] || { echo "vm-io.sh: $1: the download did not complete; guest output:" >&2; tail -5 "$work/vm.out" >&2; }
	httpd=$mbps
}

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

p9_cmd() { # VMM DIR
	bench_vm_cmd "$1" 1 "$P9_APPEND" --share "$2:share"
	# shellcheck disable=SC2054 # the commas are QEMU's
	[ "$1" = berth ] || vm_cmd+=(-fsdev "local,id=fs0,path=$2,security_model=passthrough"
		-device virtio-9p-device,fsdev=fs0,mount_tag=share)
	p9_run "${vm_cmd[@]}"
}

p9_once() { # VMM
	mkdir -p "$work/p9"
	p9_bench_script "$work/p9"
	p9_cmd "$1" "$work/p9"
}

# --- virtio-blk ----------------------------------------------------------------------------

blk_mib=${BLK_MIB:-256}
BLK_APPEND="console=ttyS0 quiet -- \"echo BLK-MARK write-start; \
dd if=/dev/zero of=/dev/vda bs=1048576 count=$blk_mib oflag=direct 2>/dev/null; \
echo BLK-MARK write-end; echo BLK-MARK read-start; \
dd if=/dev/vda of=/dev/null bs=1048576 count=$blk_mib iflag=direct 2>/dev/null; \
echo BLK-MARK read-end\""

# blk_once VMM: one guest on a fresh image; sets blk_w, blk_r (MiB/s, or -)
blk_once() {
	local line img="$work/disk.img" ws='' we='' rs='' re=''
	blk_w=- blk_r=-
	rm -f "$img"
	truncate -s "$((blk_mib + 1))M" "$img"
	bench_vm_cmd "$1" 1 "$BLK_APPEND" --disk "$img"
	# shellcheck disable=SC2054 # the commas are QEMU's
	[ "$1" = berth ] || vm_cmd+=(-drive "file=$img,if=none,format=raw,id=d0" -device virtio-blk-device,drive=d0)
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		*"BLK-MARK write-start"*) ws=$EPOCHREALTIME ;;
		*"BLK-MARK write-end"*) we=$EPOCHREALTIME ;;
		*"BLK-MARK read-start"*) rs=$EPOCHREALTIME ;;
		*"BLK-MARK read-end"*) re=$EPOCHREALTIME ;;
		esac
	done < <(timeout 600 "${vm_cmd[@]}" </dev/null 2>&1)
	[ -z "$we" ] || blk_w=$(awk -v a="$ws" -v b="$we" -v m="$blk_mib" 'BEGIN{printf "%.1f", m / (b - a)}')
	[ -z "$re" ] || blk_r=$(awk -v a="$rs" -v b="$re" -v m="$blk_mib" 'BEGIN{printf "%.1f", m / (b - a)}')
	[ "$blk_r" != - ] || echo "vm-io.sh: $1: the virtio-blk part did not complete" >&2
}

# --- the table -----------------------------------------------------------------------------

echo "kernel: $kernel"
echo "initrd: $initrd"
echo "host:   $(nproc) CPUs, $(uname -r); $runs runs each, medians"
bench_vm_header
part() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }
if part nc; then
	bench_vm_measure net_run net
	bench_vm_row "net: guest->host TCP (nc), MiB/s" net
fi
if part httpd; then
	bench_vm_measure httpd_run httpd
	bench_vm_row "net: guest->host TCP (httpd), MiB/s" httpd
fi
if part 9p; then
	bench_vm_measure p9_once p9_w p9_r p9_f
	bench_vm_row "9p seq write $p9_mib MiB (MiB/s)" p9_w
	bench_vm_row "9p seq read $p9_mib MiB (MiB/s)" p9_r
	bench_vm_row "9p create+delete (files/s)" p9_f
fi
if part blk; then
	bench_vm_measure blk_once blk_w blk_r
	bench_vm_row "blk seq write $blk_mib MiB (MiB/s)" blk_w
	bench_vm_row "blk seq read $blk_mib MiB (MiB/s)" blk_r
fi
echo
echo "net: $mib MiB over one TCP connection through user-mode networking (slirp) to the loopback."
echo "9p, blk: timed on the host from the guest's marker lines. ratio > 1: berth is faster."
