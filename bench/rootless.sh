#!/bin/bash
# Rootless berth against rootless Podman, as an ordinary user this script makes (useradd, a
# range in /etc/subuid and /etc/subgid) and removes: N sequential `run --rm IMAGE true` with
# --network none for each, interleaved so that both see the same machine, in one run; prints
# each total, the time per run and the ratios. Then berth's published-port TCP throughput
# (user-mode networking, -p HOSTPORT:5001): 256 MiB from the host's loopback into the
# container, and the same with rootless Podman (slirp4netns) with the ratio; where Podman
# cannot publish a port (its rootless networking needs /dev/net/tun, root's alone on this host,
# mode 0600; or slirp4netns is not installed) its error is printed instead of a figure.
#   bench/rootless.sh [BUILD_DIR]      N=20 by default; run as root
# Podman is configured privately for the user: cgroupfs, file events, native overlay storage
# (as berth's), runc (crun 1.8 refuses this host's hybrid cgroups), the image a busybox rootfs
# imported with `podman import`.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
N=${N:-20}

[ "$(id -u)" -eq 0 ] || { echo "rootless.sh: run as root (it makes a user)" >&2; exit 1; }
for p in podman conmon runc python3; do
	command -v "$p" >/dev/null || { echo "rootless.sh: $p not installed" >&2; exit 1; }
done

user=berthbench$$
work=$(mktemp -d /tmp/berth-rootless-bench.XXXXXX)
chmod 755 "$work"
cleanup() {
	local p _
	for _ in $(seq 50); do
		p=$(ps -o pid= -u "$user" 2>/dev/null || true)
		[ -n "$p" ] || break
		# shellcheck disable=SC2086 # the pids: this script's user's, started here
		kill -KILL $p 2>/dev/null || true
		sleep 0.1
	done
	userdel "$user" 2>/dev/null || true
	sed -i "/^$user:/d" /etc/subuid /etc/subgid
	rm -rf "$work"
}
trap cleanup EXIT
useradd -M -d "$work/home" -s /usr/sbin/nologin "$user"
grep -q "^$user:" /etc/subuid || usermod --add-subuids 700000-765535 "$user"
grep -q "^$user:" /etc/subgid || usermod --add-subgids 700000-765535 "$user"
mkdir -p "$work/home" "$work/xdg" "$work/pm/tmp" "$work/pm/root" "$work/pm/runroot"
"$top/scripts/make-rootfs.sh" "$work/rootfs" >/dev/null
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
cat >"$work/pm/containers.conf" <<C
[containers]
netns = "none"
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$work/pm/events.log"
tmp_dir = "$work/pm/tmp"
runtime = "runc"
C
cat >"$work/pm/storage.conf" <<S
[storage]
driver = "overlay"
graphroot = "$work/pm/root"
runroot = "$work/pm/runroot"
S
chown -R "$user:$user" "$work/home" "$work/xdg" "$work/pm"
chmod 700 "$work/xdg"

as() {
	setpriv --reuid "$user" --regid "$user" --init-groups env -i PATH=/usr/local/bin:/usr/bin:/bin \
		HOME="$work/home" XDG_RUNTIME_DIR="$work/xdg" \
		CONTAINERS_CONF="$work/pm/containers.conf" \
		CONTAINERS_STORAGE_CONF="$work/pm/storage.conf" "$@"
}
as podman import --change 'CMD ["/bin/sh"]' "$work/rootfs.tar" localhost/bench:busybox >/dev/null 2>&1

names=(berth podman)
declare -A total
run_one() {
	case $1 in
	berth) as "$build/berth" run --rm --network none busybox true ;;
	# its warning that / is not a shared mount, on every run
	podman) as podman run --rm --network none localhost/bench:busybox true 2>/dev/null ;;
	esac
}

# warm up (berth's pause process and built-in image, Podman's pause process), and check that
# both work here
for n in "${names[@]}"; do run_one "$n"; total[$n]=0; done

for ((k = 0; k < N; k++)); do
	for n in "${names[@]}"; do
		t0=${EPOCHREALTIME/./}
		run_one "$n"
		t1=${EPOCHREALTIME/./}
		total[$n]=$((total[$n] + t1 - t0))
	done
done

# shellcheck disable=SC2016 # the backquotes are text
printf '%d sequential rootless `run --rm --network none IMAGE true` (podman %s with runc, %s)\n' \
	"$N" "$(podman --version | awk '{print $3}')" "$(uname -r)"
printf '%-8s %10s %10s\n' engine 'total s' 'ms/run'
for n in "${names[@]}"; do
	awk -v n="$n" -v t="${total[$n]}" -v N="$N" \
		'BEGIN { printf "%-8s %10.3f %10.2f\n", n, t / 1e6, t / 1e3 / N }'
done
awk -v b="${total[berth]}" -v p="${total[podman]}" \
	'BEGIN { printf "ratio berth/podman: %.3f (podman/berth: %.3f; aim <= 0.3)\n", b / p, p / b }'

# published-port throughput: 256 MiB from the host's loopback into a container's nc, for each
# engine that can publish a port here (Podman is tried; its error is printed if it cannot)
tput() { # PORT: prints MiB/s
	python3 - "$1" <<'P'
import socket, sys, time
port = int(sys.argv[1])
buf = b"\0" * (1 << 20)
for _ in range(100):
    try:
        s = socket.create_connection(("127.0.0.1", port))
        break
    except OSError:
        time.sleep(0.1)
n = 256
t0 = time.monotonic()
for _ in range(n):
    s.sendall(buf)
s.shutdown(socket.SHUT_WR)
s.recv(1)
print(f"{n / (time.monotonic() - t0):.1f}")
P
}
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
sink='while true; do nc -l -p 5001 > /dev/null; done'
echo "rootless -p HOSTPORT:5001 TCP throughput, 256 MiB from the host's loopback"
port=$(free_port)
as "$build/berth" run -d --name tput -p "$port:5001" busybox sh -c "$sink" >/dev/null
bt=$(tput "$port")
as "$build/berth" rm -f tput >/dev/null
printf '%-8s %10s MiB/s\n' berth "$bt"
port=$(free_port)
if perr=$(as podman run -d --name tput --network slirp4netns -p "127.0.0.1:$port:5001" \
	localhost/bench:busybox sh -c "$sink" 2>&1 >/dev/null); then
	pt=$(tput "$port")
	as podman rm -f tput >/dev/null 2>&1 || true
	printf '%-8s %10s MiB/s\n' podman "$pt"
	awk -v b="$bt" -v p="$pt" \
		'BEGIN { printf "ratio berth/podman: %.3f (aim >= 1)\n", b / p }'
else
	as podman rm -f tput >/dev/null 2>&1 || true
	printf '%-8s %10s (it cannot publish a port here: %s)\n' podman 'no figure' \
		"$(grep -v '^time=.*level=warning' <<<"$perr" | head -1)"
	if [ -c /dev/net/tun ] && ! as test -r /dev/net/tun; then
		echo "(rootless Podman's networking, slirp4netns or pasta, opens /dev/net/tun," \
			"which is mode $(stat -c %a /dev/net/tun) and root's on this host; berth uses a" \
			"veth and a packet socket instead: no ratio)"
	fi
fi
