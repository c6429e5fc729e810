#!/bin/sh
# The test image of system containers (issue 22): Debian 12 minbase with systemd-sysv, a
# rootfs tarball made by Debian's mmdebstrap. Cached between runs under
# $BERTH_TEST_IMAGES (default /var/cache/berth/test-images), keyed by what it is made of
# (suite, variant, package list, mmdebstrap's version): made again only when that changes.
#   tests/cli/system-image.sh [INIT]   prints the tarball's path (exit 1 when it cannot be made)
# INIT is the init: systemd-sysv (the default), sysvinit-core, or openrc (OpenRC on
# sysvinit's init: sysvinit-core and openrc); or sysvinit-riscv64: Debian 13's riscv64
# base-files (its /bin, /sbin, /lib links), sysvinit-core and busybox-static, extracted
# (mmdebstrap --variant=extract: unpacked, not configured, so no /etc/inittab), for a system
# VM.
set -eu
suite=bookworm
variant=minbase
packages=${1:-systemd-sysv}
arch=
image=debian12
case $packages in
systemd-sysv) name=systemd ;;
sysvinit-core) name=sysvinit ;;
openrc) name=openrc packages=sysvinit-core,openrc ;;
sysvinit-riscv64)
	name=sysvinit-riscv64 packages=base-files,sysvinit-core,busybox-static suite=trixie variant=extract
	arch=riscv64 image=debian13
	;;
*) echo "system-image.sh: expected systemd-sysv, sysvinit-core, openrc or sysvinit-riscv64, got $packages" >&2; exit 1 ;;
esac
cache=${BERTH_TEST_IMAGES:-/var/cache/berth/test-images}
command -v mmdebstrap >/dev/null || {
	echo "system-image.sh: mmdebstrap is not installed (apt-get install mmdebstrap)" >&2
	exit 1
}
# (and the architecture, when it is not the host's)
key=$(printf '%s\n' "$suite" "$variant" "$packages" "$(mmdebstrap --version)" ${arch:+"$arch"} |
	sha256sum | cut -c1-16)
out=$cache/$image-$name-$key.tar
mkdir -p "$cache"
# one maker at a time; the others wait for its tarball
exec 9>"$cache/.lock"
flock 9
if [ ! -s "$out" ]; then
	tmp=$(mktemp "$cache/.make.XXXXXX")
	if ! mmdebstrap --quiet ${arch:+--arch="$arch"} --variant="$variant" --include="$packages" --format=tar \
		"$suite" "$tmp" >&2; then
		rm -f "$tmp"
		echo "system-image.sh: mmdebstrap failed" >&2
		exit 1
	fi
	mv "$tmp" "$out"
fi
echo "$out"
