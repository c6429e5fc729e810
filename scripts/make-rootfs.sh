#!/bin/sh
# make-rootfs.sh DIR: a minimal root filesystem from Debian's busybox-static: /bin/busybox,
# a symlink per applet, /etc/passwd and /etc/group with root, user (1000) and nobody.
set -eu
r=$1
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "make-rootfs.sh: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }
mkdir -p "$r/bin" "$r/etc" "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/root" "$r/var" "$r/run" "$r/home/user"
cp "$busybox" "$r/bin/busybox"
for a in $("$busybox" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
done
[ -e "$r/usr" ] || { mkdir -p "$r/usr" && ln -s ../bin "$r/usr/bin"; }
[ -e "$r/sbin" ] || ln -s bin "$r/sbin"
cat >"$r/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >"$r/etc/group" <<'G'
root:x:0:
user:x:1000:
nogroup:x:65534:
G
chmod 1777 "$r/tmp"
