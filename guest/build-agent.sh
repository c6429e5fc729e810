#!/bin/sh
# Build berth's guest agent initramfs (the init of `berth run --vm` containers): guest/agent.c,
# cross-compiled static for riscv64 (gcc-riscv64-linux-gnu + libc6-dev-riscv64-cross), as
# /init in a gzip newc cpio. Cached outside the tree as agent-KEY.cpio.gz, KEY the hash of
# agent.c and this script; berth computes the same KEY when it is built
# (scripts/guest-keys.sh) and boots that file.
#   usage: guest/build-agent.sh            prints the path of the cached initramfs
# Environment: BERTH_GUEST_CACHE (default /var/cache/berth/guest).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cache=${BERTH_GUEST_CACHE:-/var/cache/berth/guest}
cc=riscv64-linux-gnu-gcc
key=$(cat "$here/agent.c" "$0" | sha256sum | cut -c1-16)
out="$cache/agent-$key.cpio.gz"
if [ -s "$out" ]; then echo "$out"; exit 0; fi
command -v $cc >/dev/null || { echo "build-agent.sh: $cc missing (apt-get install gcc-riscv64-linux-gnu libc6-dev-riscv64-cross)" >&2; exit 1; }
command -v cpio >/dev/null || { echo "build-agent.sh: cpio missing (apt-get install cpio)" >&2; exit 1; }
mkdir -p "$cache"
work=$(mktemp -d "$cache/agent-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/dev" "$work/root/proc" "$work/root/sys" "$work/root/cfg" "$work/root/root"
$cc -static -O2 -Wall -Wextra -Werror -o "$work/root/init" "$here/agent.c"
riscv64-linux-gnu-strip "$work/root/init" 2>/dev/null || true
(cd "$work/root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9n >"$work/initrd.gz"
mv "$work/initrd.gz" "$out"
echo "$out"
