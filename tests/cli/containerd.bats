#!/usr/bin/env bats
# containerd (`ctr run --runc-binary`, through containerd-shim-runc-v2) runs containers with
# berth-runtime. setup_file starts two private containerd daemons (own config, root, state
# and socket under $BATS_FILE_TMPDIR): one in the host's mount namespace for berth-runtime, one
# in the private mount namespace crun needs on this host (podman-helpers.bash) for crun, so
# that each scenario runs with both. The image is the busybox rootfs imported into Podman
# and saved as an OCI archive (`podman save --format oci-archive`), then `ctr image import`.

load helpers
load podman-helpers

CTR_IMAGE=localhost/berth-busybox:test

# start_containerd NAME [crun_ns]: a private containerd answering on $CTR_DIR/NAME/sock
start_containerd() {
	local d=$CTR_DIR/$1
	mkdir -p "$d"
	cat >"$d/config.toml" <<EOF2
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$d/sock"
[ttrpc]
  address = "$d/sock.ttrpc"
EOF2
	# $! is containerd itself (unshare and sh exec it); 3>&-: bats waits for its fd 3
	if [ "${2:-}" = crun_ns ]; then
		unshare -m --propagation private sh -c '
			ctl=/sys/fs/cgroup/unified/cgroup.controllers
			[ ! -e "$ctl" ] || mount --bind /dev/null "$ctl"
			exec containerd --config "$1"' sh "$d/config.toml" >"$d/log" 2>&1 3>&- &
	else
		containerd --config "$d/config.toml" >"$d/log" 2>&1 3>&- &
	fi
	echo $! >"$d/pid"
	local i
	for i in $(seq 300); do # a safety net against a containerd that never answers
		ctr --address "$d/sock" version >/dev/null 2>&1 && break
		sleep 0.1
	done
	ctr --address "$d/sock" version >/dev/null || { cat "$d/log"; return 1; }
	ctr --address "$d/sock" image import --base-name localhost/berth-busybox \
		"$CTR_DIR/image.tar" >/dev/null
}

stop_containerd() {
	local d=$CTR_DIR/$1 pid c
	[ -e "$d/pid" ] || return 0
	for c in $(ctr --address "$d/sock" task ls -q 2>/dev/null); do
		ctr --address "$d/sock" task kill -s KILL "$c" >/dev/null 2>&1 || true
		ctr --address "$d/sock" task delete -f "$c" >/dev/null 2>&1 || true
	done
	for c in $(ctr --address "$d/sock" container ls -q 2>/dev/null); do
		ctr --address "$d/sock" container rm "$c" >/dev/null 2>&1 || true
	done
	pid=$(cat "$d/pid")
	kill "$pid" 2>/dev/null || true
	local i
	for i in $(seq 100); do # a safety net against a containerd that does not stop
		kill -0 "$pid" 2>/dev/null || break
		[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || break
		sleep 0.1
	done
	{ grep -o " ${d}[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
}

setup_file() {
	local p
	for p in containerd ctr containerd-shim-runc-v2 podman crun script; do
		command -v "$p" >/dev/null ||
			{ echo "$p is missing: scripts/install-deps.sh installs it (scripts/debian-packages.txt)" >&2; return 1; }
	done
	podman_setup_file
	export CTR_DIR=$BATS_FILE_TMPDIR/containerd
	mkdir -p "$CTR_DIR"
	podman_raw save --format oci-archive -o "$CTR_DIR/image.tar" "$PODMAN_IMAGE" >/dev/null 2>&1
	start_containerd host
	start_containerd ns crun_ns
	export CTR_IMAGE
}

teardown_file() {
	stop_containerd host
	stop_containerd ns
	podman_teardown_file
}

# c RUNTIME ARGS...: ctr against the daemon for that runtime
c() {
	local d=$CTR_DIR/host
	[ "$1" != crun ] || d=$CTR_DIR/ns
	shift
	ctr --address "$d/sock" "$@"
}

# crun RUNTIME ARGS...: ctr run with that runtime binary
crun_with() {
	local r=$1 bin=$BERTH_BUILD/berth-runtime
	shift
	[ "$r" != crun ] || bin=/usr/bin/crun
	c "$r" run --runc-binary "$bin" "$@"
}

LOOP='trap "exit 0" TERM; trap "exit 42" USR1; while :; do sleep 0.2; done'

sc_run_rm_exit() {
	local r=$1 out rc=0
	out=$(crun_with "$r" --rm "$CTR_IMAGE" "rm-$r" echo hello from "$r")
	expect "$out" "hello from $r" "output"
	[ -z "$(c "$r" container ls -q | grep -x "rm-$r")" ] || fail "container left behind"
	crun_with "$r" --rm "$CTR_IMAGE" "exit-$r" sh -c 'exit 42' || rc=$?
	expect "$rc" 42 "exit status"
}

sc_env_cwd() {
	local r=$1 out
	out=$(crun_with "$r" --rm --env FOO=bar --cwd /tmp "$CTR_IMAGE" "env-$r" \
		sh -c 'echo "$FOO|$(pwd)|$(id -u)"')
	expect "$out" "bar|/tmp|0" "environment, cwd"
}

sc_read_only() {
	local r=$1 out
	out=$(crun_with "$r" --rm --read-only "$CTR_IMAGE" "ro-$r" sh -c \
		'touch /x 2>/dev/null && echo wrote-root; echo done')
	expect "$out" done "--read-only root"
}

sc_bind_mount() {
	local r=$1 v=$CTR_DIR/vol-$1 out
	mkdir -p "$v"
	echo from-host >"$v/in"
	out=$(crun_with "$r" --rm --mount "type=bind,src=$v,dst=/data,options=rbind:rw" \
		--mount "type=bind,src=$v,dst=/ro,options=rbind:ro" "$CTR_IMAGE" "mnt-$r" sh -c \
		'cat /data/in; echo from-container >/data/out; touch /ro/x 2>/dev/null || echo ro-ok')
	expect "$out" "from-host
ro-ok" "bind mounts"
	expect "$(cat "$v/out")" from-container "a file written in the mount"
}

sc_detach_exec_kill_delete() {
	local r=$1 n=det-$1 out rc=0
	crun_with "$r" -d "$CTR_IMAGE" "$n" sh -c "$LOOP" >/dev/null
	expect "$(c "$r" task ls | awk -v n="$n" '$1 == n {print $3}')" RUNNING "task state"
	out=$(c "$r" task exec --exec-id e1 --cwd /tmp "$n" sh -c 'echo "exec $(pwd)"')
	expect "$out" "exec /tmp" "exec output"
	c "$r" task exec --exec-id e2 "$n" sh -c 'exit 3' || rc=$?
	expect "$rc" 3 "exec exit status"
	trapped "$(c "$r" task ls | awk -v n="$n" '$1 == n {print $2}')" 15
	c "$r" task kill "$n" # SIGTERM, trapped: exit 0
	local i
	for i in $(seq 600); do # safety net only
		[ "$(c "$r" task ls | awk -v n="$n" '$1 == n {print $3}')" != STOPPED ] || break
		sleep 0.1
	done
	expect "$(c "$r" task ls | awk -v n="$n" '$1 == n {print $3}')" STOPPED "task state after kill"
	c "$r" task delete "$n" >/dev/null
	c "$r" container rm "$n"
	[ -z "$(c "$r" container ls -q | grep -x "$n")" ] || fail "container left behind"
}

sc_tty() {
	local r=$1 out rc=0 d=$CTR_DIR/host bin=$BERTH_BUILD/berth-runtime
	[ "$r" != crun ] || { d=$CTR_DIR/ns; bin=/usr/bin/crun; }
	out=$(printf 'tty; test -t 0 && echo stdin-is-a-tty; exit 5\n' | timeout 120 script -qec \
		"ctr --address $d/sock run --runc-binary $bin --rm -t $CTR_IMAGE tty-$r sh" /dev/null) ||
		rc=$?
	echo "$out"
	expect "$rc" 5 "exit status through the terminal"
	grep -q '^/dev/pts/[0-9]' <<<"$out" || fail "no pty in the container"
	grep -q stdin-is-a-tty <<<"$out" || fail "stdin is not a terminal"
}

sc_memory() {
	local r=$1 n=mem-$1
	crun_with "$r" -d --memory-limit 33554432 "$CTR_IMAGE" "$n" sh -c "$LOOP" >/dev/null
	# ctr's cgroup: /NAMESPACE/ID
	expect "$(cat /sys/fs/cgroup/memory/default/"$n"/memory.limit_in_bytes)" 33554432 \
		"memory limit on the host"
	c "$r" task kill -s KILL "$n"
	c "$r" task delete "$n" >/dev/null 2>&1 || { sleep 1; c "$r" task delete "$n" >/dev/null; }
	c "$r" container rm "$n"
	[ ! -e /sys/fs/cgroup/memory/default/"$n" ] || fail "cgroup left behind"
}

sc_cap_drop() {
	local r=$1 out
	out=$(crun_with "$r" --rm --cap-drop CAP_CHOWN --cap-drop CAP_NET_RAW "$CTR_IMAGE" "cap-$r" \
		sh -c 'grep ^CapEff /proc/self/status; chown 1000 /tmp 2>/dev/null || echo denied')
	expect "$(tail -n1 <<<"$out")" denied "chown without CAP_CHOWN"
	local eff=$((16#$(awk '/^CapEff/ {print $2}' <<<"$out")))
	[ $((eff & 1)) -eq 0 ] && [ $((eff & (1 << 13))) -eq 0 ] || fail "CapEff $out"
}

sc_pause_resume() {
	local r=$1 n=pause-$1
	crun_with "$r" -d "$CTR_IMAGE" "$n" sh -c "$LOOP" >/dev/null
	c "$r" task pause "$n"
	expect "$(c "$r" task ls | awk -v n="$n" '$1 == n {print $3}')" PAUSED "task state"
	expect "$(cat /sys/fs/cgroup/freezer/default/"$n"/freezer.state)" FROZEN "freezer"
	c "$r" task resume "$n"
	expect "$(c "$r" task ls | awk -v n="$n" '$1 == n {print $3}')" RUNNING "task state"
	expect "$(c "$r" task exec --exec-id e "$n" echo alive)" alive "exec after resume"
	c "$r" task kill -s KILL "$n"
	c "$r" task delete "$n" >/dev/null 2>&1 || { sleep 1; c "$r" task delete "$n" >/dev/null; }
	c "$r" container rm "$n"
}

sc_kill_signal() {
	local r=$1 n=kill-$1 rc=0 pid i task=
	crun_with "$r" --rm "$CTR_IMAGE" "$n" sh -c "$LOOP" >/dev/null &
	pid=$!
	for i in $(seq 600); do # safety net only
		task=$(c "$r" task ls | awk -v n="$n" '$1 == n && $3 == "RUNNING" {print $2}')
		[ -z "$task" ] || break
		sleep 0.1
	done
	# RUNNING is not enough: the shell may not have run its trap yet (trapped)
	trapped "$task" 10
	c "$r" task kill -s USR1 "$n"
	wait "$pid" || rc=$?
	expect "$rc" 42 "exit status after SIGUSR1 (trapped: exit 42)"
}

sc_network() {
	local r=$1 out
	out=$(crun_with "$r" --rm "$CTR_IMAGE" "net-$r" ls /sys/class/net)
	expect "$out" lo "interfaces in ctr's own network namespace"
	out=$(crun_with "$r" --rm --net-host "$CTR_IMAGE" "nethost-$r" readlink /proc/self/ns/net)
	expect "$out" "$(readlink /proc/self/ns/net)" "--net-host"
}

both() {
	"$1" berth
	"$1" crun
}

@test "ctr run --rm, exit status (berth, crun)" { both sc_run_rm_exit; }
@test "ctr run --env --cwd (berth, crun)" { both sc_env_cwd; }
@test "ctr run --read-only (berth, crun)" { both sc_read_only; }
@test "ctr run --mount type=bind (berth, crun)" { both sc_bind_mount; }
@test "ctr run -d, task exec, kill, delete (berth, crun)" { both sc_detach_exec_kill_delete; }
@test "ctr run -t with a terminal (berth, crun)" { both sc_tty; }
@test "ctr run --memory-limit in the cgroup (berth, crun)" { both sc_memory; }
@test "ctr run --cap-drop (berth, crun)" { both sc_cap_drop; }
@test "ctr task pause, resume (berth, crun)" { both sc_pause_resume; }
@test "ctr task kill -s SIGNAL (berth, crun)" { both sc_kill_signal; }
@test "ctr run: network namespace, --net-host (berth, crun)" { both sc_network; }
