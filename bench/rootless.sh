#!/bin/bash
# Rootless berth against rootless Podman, as an ordinary user this script makes (useradd, a
# range in /etc/subuid and /etc/subgid) and removes: N sequential `run --rm IMAGE true` with
# --network none for each, interleaved so that both see the same machine, in one run; prints
# each total, the time per run and the ratios. Then published-port TCP throughput, iperf3
# from the host's loopback to a server in the container (-p HOSTPORT:5201), R rounds of T
# seconds, interleaved: berth (berth-slirp's TCP relay), Podman's default (slirp4netns with
# rootlesskit's port handler) and Podman with slirp4netns's own port handler, with the ratios.
# The whole script runs in a private mount namespace in which /dev/net/tun is a 0666 node
# (Debian's default) bound over the host's (0600 here), so that rootless Podman's networking
# can open it; the host is not changed.
#   bench/rootless.sh [BUILD_DIR]      N=20, T=5, R=3 by default; run as root
# Podman is configured privately for the user: cgroupfs, file events, native overlay storage
# (as berth's), runc (crun 1.8 refuses this host's hybrid cgroups), the image a busybox rootfs
# imported with `podman import`.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
N=${N:-20}
T=${T:-5}
R=${R:-3}

[ "$(id -u)" -eq 0 ] || { echo "rootless.sh: run as root (it makes a user)" >&2; exit 1; }
# Everything runs in a private mount namespace of this script's own, where /dev/net/tun is a
# node of mode 0666 (Debian's default) on a tmpfs bound over the host's: rootless Podman's
# networking opens it, and on this host the real one is 0600, root's. The host is not changed.
if [ -z "${_BERTH_BENCH_NS:-}" ]; then
	exec unshare -m --propagation private env _BERTH_BENCH_NS=1 "$0" "$@"
fi
for p in podman conmon runc python3 iperf3 jq slirp4netns nsenter; do
	command -v "$p" >/dev/null || { echo "rootless.sh: $p not installed" >&2; exit 1; }
done

user=berthbench$$
work=$(mktemp -d /tmp/brl.XXXXXX) # short: slirp4netns's API socket path is under it
chmod 755 "$work"
mkdir "$work/dev"
mount -t tmpfs -o mode=755,size=64k tmpfs "$work/dev"
mknod -m 666 "$work/dev/tun" c 10 200
mount --bind "$work/dev/tun" /dev/net/tun
iperf_pids=()
cleanup() {
	local p _
	if [ ${#iperf_pids[@]} -gt 0 ]; then
		kill "${iperf_pids[@]}" 2>/dev/null || true
	fi
	for _ in $(seq 50); do
		p=$(ps -o pid= -u "$user" 2>/dev/null || true)
		[ -n "$p" ] || break
		# shellcheck disable=SC2086 # the pids: this script's user's, started here
		kill -KILL $p 2>/dev/null || true
		sleep 0.1
	done
	userdel "$user" 2>/dev/null || true
	sed -i "/^$user:/d" /etc/subuid /etc/subgid
	umount /dev/net/tun "$work/dev" 2>/dev/null || true
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

# published-port throughput: iperf3 (the host's, run by root in the container's network
# namespace with nsenter) serves in a container published with -p HOSTPORT:5201; the client is
# the host's iperf3 to 127.0.0.1:HOSTPORT. Interleaved, R rounds of T seconds each: berth
# (berth-slirp), Podman's default (slirp4netns with rootlesskit's port handler) and Podman
# with slirp4netns's own port handler (the same path as berth's: every packet through slirp).
echo "rootless -p HOSTPORT:5201 TCP throughput (iperf3 -t $T, $R rounds interleaved, Gbit/s)"
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
ctr_pid() { # ENGINE NAME
	case $1 in
	berth) as "$build/berth" inspect "$2" | jq -r 'if type == "array" then .[0] else . end | .pid' ;;
	*) as podman inspect -f '{{.State.Pid}}' "$2" ;;
	esac
}
declare -A tport tsum
tnames=(berth podman podman-slirp)
start_tput() { # ENGINE: a container that sleeps, published on a free port, its iperf3 server
	local port pid
	port=$(free_port)
	case $1 in
	berth) as "$build/berth" run -d --name tput -p "$port:5201" busybox sleep 100000 >/dev/null ;;
	podman) as podman run -d --name tput --network slirp4netns -p "127.0.0.1:$port:5201" \
		localhost/bench:busybox sleep 100000 >/dev/null 2>"$work/pm.err" ;;
	podman-slirp) as podman run -d --name tput-s --network slirp4netns:port_handler=slirp4netns \
		-p "127.0.0.1:$port:5201" localhost/bench:busybox sleep 100000 >/dev/null 2>"$work/pm.err" ;;
	esac || return 1
	case $1 in podman-slirp) pid=$(ctr_pid "$1" tput-s) ;; *) pid=$(ctr_pid "$1" tput) ;; esac
	nsenter -t "$pid" -n iperf3 -s -D -I "$work/iperf-$1.pid" >/dev/null
	for _ in $(seq 1 100); do
		[ -s "$work/iperf-$1.pid" ] && break
		sleep 0.1
	done
	iperf_pids+=("$(cat "$work/iperf-$1.pid")")
	tport[$1]=$port
	tsum[$1]=0
}
gbit() { # PORT: one run's received Gbit/s
	for _ in $(seq 1 50); do
		# (iperf3 -J may end 0 with an error in its JSON)
		if iperf3 -c 127.0.0.1 -p "$1" -t "$T" -J >"$work/out.json" 2>/dev/null &&
			g=$(jq -r 'if .error then "" else .end.sum_received.bits_per_second / 1e9 end' \
				"$work/out.json") && [ -n "$g" ]; then
			echo "$g"
			return 0
		fi
		sleep 0.2 # the server or the port is not up yet
	done
	echo "rootless.sh: iperf3 to port $1 failed: $(jq -r .error "$work/out.json" 2>/dev/null)" >&2
	return 1
}
ok=()
for n in "${tnames[@]}"; do
	if start_tput "$n"; then
		ok+=("$n")
	else
		printf '%-13s no figure: %s\n' "$n" "$(grep -v 'level=warning' "$work/pm.err" | head -1)"
	fi
done
for ((k = 0; k < R; k++)); do
	for n in "${ok[@]}"; do
		g=$(gbit "${tport[$n]}")
		tsum[$n]=$(awk -v a="${tsum[$n]}" -v b="$g" 'BEGIN { print a + b }')
	done
done
for n in "${ok[@]}"; do
	awk -v n="$n" -v s="${tsum[$n]}" -v R="$R" 'BEGIN { printf "%-13s %8.3f Gbit/s\n", n, s / R }'
done
for n in podman podman-slirp; do
	if [ -z "${tsum[$n]:-}" ] || [ -z "${tsum[berth]:-}" ]; then
		continue
	fi
	awk -v n="$n" -v b="${tsum[berth]}" -v p="${tsum[$n]}" \
		'BEGIN { printf "ratio berth/%s: %.3f (aim >= 1)\n", n, b / p }'
done
