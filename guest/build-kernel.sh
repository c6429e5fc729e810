#!/bin/sh
# Build the default berth guest kernel (riscv64 Image) from Debian's linux-source-6.1 with
# gcc-riscv64-linux-gnu, once per machine. The result is cached outside the tree, keyed by the
# hash of guest/kernel.config, so a rebuild happens only when the configuration changes.
#   usage: guest/build-kernel.sh            prints the path of the cached Image
# Environment: BERTH_GUEST_CACHE (default /var/cache/berth/guest), JOBS (default nproc).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${BERTH_GUEST_CACHE:-/var/cache/berth/guest}
src_tar=/usr/src/linux-source-6.1.tar.xz
cross=riscv64-linux-gnu-
key=$(cat "$here/kernel.config" "$0" | sha256sum | cut -c1-16)
out="$cache/Image-$key"
if [ -s "$out" ]; then echo "$out"; exit 0; fi
[ -r "$src_tar" ] || { echo "build-kernel.sh: $src_tar missing (apt-get install linux-source-6.1)" >&2; exit 1; }
command -v ${cross}gcc >/dev/null || { echo "build-kernel.sh: ${cross}gcc missing (apt-get install gcc-riscv64-linux-gnu)" >&2; exit 1; }
mkdir -p "$cache"
work="$cache/build-$key"
if [ ! -d "$work/linux" ]; then
	rm -rf "$work"; mkdir -p "$work"
	tar -C "$work" -xf "$src_tar"
	mv "$work"/linux-source-6.1 "$work/linux"
fi
cd "$work/linux"
make -s ARCH=riscv CROSS_COMPILE=$cross tinyconfig >&2
scripts/kconfig/merge_config.sh -n -m .config "$here/kernel.config" >/dev/null
make -s ARCH=riscv CROSS_COMPILE=$cross olddefconfig >&2
# every option we asked for must have survived olddefconfig
grep '^CONFIG_' "$here/kernel.config" | while read -r opt; do
	grep -qx "$opt" .config || { echo "build-kernel.sh: $opt did not stick" >&2; exit 1; }
done
make -s ARCH=riscv CROSS_COMPILE=$cross -j"${JOBS:-$(nproc)}" Image >&2
cp arch/riscv/boot/Image "$out.tmp" && mv "$out.tmp" "$out"
cp .config "$cache/config-$key"
rm -rf "$work"
echo "$out"
