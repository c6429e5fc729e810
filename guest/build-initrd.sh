#!/bin/sh
# Build berth's reference guest initramfs: guest/init.c, cross-compiled static for riscv64
# (gcc-riscv64-linux-gnu + libc6-dev-riscv64-cross), as /init in a gzip newc cpio, with
# Debian's static riscv64 busybox as /bin/busybox (guest/fetch-busybox.sh; left out, with a
# warning, when it cannot be fetched). Cached outside the tree, keyed by the hash of init.c,
# this script and the busybox binary.
#   usage: guest/build-initrd.sh            prints the path of the cached initramfs
# Environment: BERTH_GUEST_CACHE (default /var/cache/berth/guest).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${BERTH_GUEST_CACHE:-/var/cache/berth/guest}
cc=riscv64-linux-gnu-gcc
bb=$("$here/fetch-busybox.sh") || { bb=; echo "build-initrd.sh: building without busybox" >&2; }
key=$(cat "$here/init.c" "$0" ${bb:+"$bb"} | sha256sum | cut -c1-16)
out="$cache/initrd-$key.cpio.gz"
if [ -s "$out" ]; then echo "$out"; exit 0; fi
command -v $cc >/dev/null || { echo "build-initrd.sh: $cc missing (apt-get install gcc-riscv64-linux-gnu libc6-dev-riscv64-cross)" >&2; exit 1; }
command -v cpio >/dev/null || { echo "build-initrd.sh: cpio missing (apt-get install cpio)" >&2; exit 1; }
mkdir -p "$cache"
work=$(mktemp -d "$cache/initrd-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/dev" "$work/root/proc" "$work/root/sys" "$work/root/tmp"
$cc -static -O2 -Wall -Wextra -o "$work/root/init" "$here/init.c"
riscv64-linux-gnu-strip "$work/root/init" 2>/dev/null || true
if [ -n "$bb" ]; then
	mkdir -p "$work/root/bin"
	cp "$bb" "$work/root/bin/busybox"
	ln -s busybox "$work/root/bin/sh"
fi
(cd "$work/root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9n >"$work/initrd.gz"
mv "$work/initrd.gz" "$out"
echo "$out"
