#!/bin/sh
# Fetch Debian's static busybox for riscv64 (package busybox-static, Debian 13) once per
# machine with mmdebstrap, and cache the binary outside the tree. The reference guest's
# initramfs carries it as /bin/busybox (shell, httpd, udhcpc, mount for the VM tests), and
# the engine's built-in image can use it for its riscv64 variant.
#   usage: guest/fetch-busybox.sh        prints the path of the cached riscv64 busybox
# Environment: BERTH_GUEST_CACHE (default /var/cache/berth/guest), BERTH_GUEST_SUITE
# (default trixie).
set -eu
cache=${BERTH_GUEST_CACHE:-/var/cache/berth/guest}
suite=${BERTH_GUEST_SUITE:-trixie}
out="$cache/busybox-riscv64-$suite"
if [ -s "$out" ]; then echo "$out"; exit 0; fi
command -v mmdebstrap >/dev/null || { echo "fetch-busybox.sh: mmdebstrap missing (apt-get install mmdebstrap)" >&2; exit 1; }
mkdir -p "$cache"
work=$(mktemp -d "$cache/busybox-fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
if ! mmdebstrap --quiet --variant=extract --arch=riscv64 --include=busybox-static "$suite" \
	"$work/root" >"$work/log" 2>&1; then
	tail -5 "$work/log" >&2
	echo "fetch-busybox.sh: mmdebstrap could not fetch busybox-static for riscv64 ($suite)" >&2
	exit 1
fi
bb="$work/root/usr/bin/busybox"
[ -s "$bb" ] || bb="$work/root/bin/busybox"
[ -s "$bb" ] || { echo "fetch-busybox.sh: no busybox in busybox-static" >&2; exit 1; }
head -c 20 "$bb" | od -An -tx1 | grep -q '7f 45 4c 46' || { echo "fetch-busybox.sh: not an ELF file" >&2; exit 1; }
cp "$bb" "$work/busybox"
chmod 755 "$work/busybox"
mv "$work/busybox" "$out"
echo "$out"
