#!/usr/bin/env bats
# Podman (with conmon) runs containers with berth-runtime: each scenario of issue 5 runs with
# berth-runtime and, for parity, with crun (in the private mount namespace crun needs on this
# host, see podman-helpers.bash). Images are made locally (podman import of a busybox rootfs).

load helpers
load podman-helpers

setup_file() {
	local p
	for p in podman conmon crun script; do
		command -v "$p" >/dev/null ||
			{ echo "$p is missing: scripts/install-deps.sh installs it (scripts/debian-packages.txt)" >&2; return 1; }
	done
	podman_setup_file
}

teardown_file() {
	podman_teardown_file
}

# Every scenario takes the runtime name (berth or crun) and uses container names of its own.
# A long-running container: PID 1 of a container ignores signals it has no handler for, so
# it traps TERM (for stop) and USR1 (for kill), exiting 42 on USR1.
LOOP='trap "exit 0" TERM; trap "exit 42" USR1; while :; do sleep 0.2; done'
export LOOP

sc_run_rm() {
	local r=$1 n=rm-$1 out
	out=$(pm "$r" run --rm --name "$n" "$PODMAN_IMAGE" echo hello from "$r")
	expect "$out" "hello from $r" "output"
	[ -z "$(pm "$r" ps -a -q --filter "name=^$n\$")" ] || fail "container $n left behind"
}

sc_exit_code() {
	local r=$1 rc=0
	pm "$r" run --rm "$PODMAN_IMAGE" sh -c 'exit 42' || rc=$?
	expect "$rc" 42 "exit status"
	rc=0
	pm "$r" run --rm "$PODMAN_IMAGE" sh -c 'exit 255' || rc=$?
	expect "$rc" 255 "exit status 255"
	pm "$r" run --rm "$PODMAN_IMAGE" true || fail "true exited $?"
	rc=0
	pm "$r" run --rm "$PODMAN_IMAGE" /no/such/program 2>/dev/null || rc=$?
	[ "$rc" -ne 0 ] || fail "a missing program exited 0"
}

sc_env_workdir_user_hostname() {
	local r=$1 out
	out=$(pm "$r" run --rm -e FOO=bar -e 'TWO=a b' -w /tmp -u 1000:1000 --hostname box-"$r" \
		"$PODMAN_IMAGE" sh -c 'echo "$FOO|$TWO|$(pwd)|$(id -u):$(id -g)|$(hostname)"')
	expect "$out" "bar|a b|/tmp|1000:1000|box-$r" "environment, cwd, ids, hostname"
	out=$(pm "$r" run --rm -u nobody "$PODMAN_IMAGE" id -u)
	expect "$out" 65534 "-u nobody"
}

sc_read_only() {
	local r=$1 out
	out=$(pm "$r" run --rm --read-only "$PODMAN_IMAGE" sh -c \
		'touch /x 2>/dev/null && echo wrote-root; touch /tmp/y && echo wrote-tmp')
	expect "$out" wrote-tmp "--read-only root with a writable /tmp"
}

sc_volume() {
	local r=$1 v=$PM_DIR/vol-$1 out
	mkdir -p "$v"
	echo from-host >"$v/in"
	out=$(pm "$r" run --rm -v "$v:/data" -v "$v:/ro:ro" "$PODMAN_IMAGE" sh -c \
		'cat /data/in; echo from-container >/data/out; touch /ro/x 2>/dev/null || echo ro-ok')
	expect "$out" "from-host
ro-ok" "bind volumes"
	expect "$(cat "$v/out")" from-container "a file written in the volume"
}

sc_detach_exec_stop_rm() {
	local r=$1 n=det-$1 out rc=0
	pm "$r" run -d --name "$n" "$PODMAN_IMAGE" sh -c "$LOOP" >/dev/null
	expect "$(pm "$r" inspect -f '{{.State.Status}}' "$n")" running "state after run -d"
	out=$(pm "$r" exec -e X=1 -w /tmp "$n" sh -c 'echo "exec $X $(pwd)"')
	expect "$out" "exec 1 /tmp" "exec output"
	pm "$r" exec "$n" sh -c 'exit 3' || rc=$?
	expect "$rc" 3 "exec exit status"
	out=$(pm "$r" exec -u 1000 "$n" id -u)
	expect "$out" 1000 "exec -u"
	pm "$r" stop -t 30 "$n" >/dev/null
	expect "$(pm "$r" inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$n")" "exited 0" \
		"state after stop (TERM trapped, exit 0)"
	pm "$r" rm "$n" >/dev/null
	[ -z "$(pm "$r" ps -a -q --filter "name=^$n\$")" ] || fail "container $n left behind"
}

sc_tty() {
	local r=$1 out
	# script(1) gives podman a terminal; the shell in the container runs on a pty too
	out=$(printf 'tty; test -t 0 && echo stdin-is-a-tty; exit 5\n' | timeout 120 script -qec \
		"podman --root $PM_DIR/root --runroot $PM_DIR/runroot --storage-driver vfs --runtime $r run --rm -it $PODMAN_IMAGE sh" \
		/dev/null) && rc=0 || rc=$?
	echo "$out"
	expect "$rc" 5 "exit status through the terminal"
	grep -q '^/dev/pts/[0-9]' <<<"$out" || fail "no pty in the container"
	grep -q stdin-is-a-tty <<<"$out" || fail "stdin is not a terminal"
}

sc_cgroup_limits() {
	local r=$1 n=cg-$1 out id
	out=$(pm "$r" run --rm --memory 64m --pids-limit 77 "$PODMAN_IMAGE" sh -c \
		'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max')
	expect "$out" "67108864
77" "limits seen in the container"
	# and from the host, in the cgroup Podman asked for (cgroupfs: libpod_parent/libpod-ID)
	id=$(pm "$r" run -d --name "$n" --memory 32m --pids-limit 33 "$PODMAN_IMAGE" sh -c "$LOOP")
	expect "$(cat /sys/fs/cgroup/memory/libpod_parent/libpod-"$id"/memory.limit_in_bytes)" \
		33554432 "memory limit on the host"
	expect "$(cat /sys/fs/cgroup/pids/libpod_parent/libpod-"$id"/pids.max)" 33 \
		"pids limit on the host"
	pm "$r" rm -f -t 0 "$n" >/dev/null
	[ ! -e /sys/fs/cgroup/memory/libpod_parent/libpod-"$id" ] || fail "cgroup left behind"
}

sc_cap_drop() {
	local r=$1 out
	out=$(pm "$r" run --rm --cap-drop ALL "$PODMAN_IMAGE" grep -E '^Cap(Prm|Eff|Bnd|Amb)' /proc/self/status)
	expect "$(awk '{print $2}' <<<"$out" | sort -u)" 0000000000000000 "capabilities after --cap-drop ALL"
	out=$(pm "$r" run --rm --cap-drop ALL --cap-add NET_RAW "$PODMAN_IMAGE" grep ^CapEff /proc/self/status)
	expect "$(awk '{print $2}' <<<"$out")" 0000000000002000 "--cap-add NET_RAW alone"
	out=$(pm "$r" run --rm --cap-drop ALL "$PODMAN_IMAGE" sh -c 'chown 1000 /tmp 2>/dev/null || echo denied')
	expect "$out" denied "chown without CAP_CHOWN"
}

sc_pause_unpause() {
	local r=$1 n=pause-$1 id
	id=$(pm "$r" run -d --name "$n" "$PODMAN_IMAGE" sh -c "$LOOP")
	pm "$r" pause "$n" >/dev/null
	expect "$(pm "$r" inspect -f '{{.State.Status}}' "$n")" paused "state after pause"
	expect "$(cat /sys/fs/cgroup/freezer/libpod_parent/libpod-"$id"/freezer.state)" FROZEN "freezer"
	pm "$r" unpause "$n" >/dev/null
	expect "$(pm "$r" inspect -f '{{.State.Status}}' "$n")" running "state after unpause"
	expect "$(cat /sys/fs/cgroup/freezer/libpod_parent/libpod-"$id"/freezer.state)" THAWED "freezer"
	expect "$(pm "$r" exec "$n" echo alive)" alive "exec after unpause"
	pm "$r" rm -f -t 0 "$n" >/dev/null
}

sc_kill_signal() {
	local r=$1 n=kill-$1 out
	pm "$r" run -d --name "$n" "$PODMAN_IMAGE" sh -c "$LOOP" >/dev/null
	trapped "$(pm "$r" inspect -f '{{.State.Pid}}' "$n")" 10
	pm "$r" kill -s USR1 "$n" >/dev/null
	out=$(pm "$r" wait "$n")
	expect "$out" 42 "exit status after SIGUSR1 (trapped: exit 42)"
	pm "$r" rm "$n" >/dev/null
	pm "$r" run -d --name "$n" "$PODMAN_IMAGE" sleep 1000 >/dev/null
	pm "$r" kill -s KILL "$n" >/dev/null
	out=$(pm "$r" wait "$n")
	expect "$out" 137 "exit status after SIGKILL"
	pm "$r" rm "$n" >/dev/null
}

sc_network_none() {
	local r=$1 out
	out=$(pm "$r" run --rm --network none "$PODMAN_IMAGE" ls /sys/class/net)
	expect "$out" lo "interfaces with --network none"
	[ "$(pm "$r" run --rm --network none "$PODMAN_IMAGE" readlink /proc/self/ns/net)" != \
		"$(readlink /proc/self/ns/net)" ] || fail "not in a network namespace of its own"
	out=$(pm "$r" run --rm --network host "$PODMAN_IMAGE" readlink /proc/self/ns/net)
	expect "$out" "$(readlink /proc/self/ns/net)" "--network host shares the host's namespace"
}

export -f sc_run_rm sc_exit_code sc_env_workdir_user_hostname sc_read_only sc_volume \
	sc_detach_exec_stop_rm sc_tty sc_cgroup_limits sc_cap_drop sc_pause_unpause \
	sc_kill_signal sc_network_none

both() { # SCENARIO: with berth-runtime, then with crun
	"$1" berth
	crun_ns "$1" crun
}

@test "podman: the runtime is berth-runtime" {
	run podman_raw info --format '{{.Host.OCIRuntime.Path}}'
	[ "$status" -eq 0 ]
	[ "$output" = "$BERTH_BUILD/berth-runtime" ]
}

@test "podman run --rm (berth, crun)" { both sc_run_rm; }
@test "podman run: exit status propagates (berth, crun)" { both sc_exit_code; }
@test "podman run -e -w -u --hostname (berth, crun)" { both sc_env_workdir_user_hostname; }
@test "podman run --read-only (berth, crun)" { both sc_read_only; }
@test "podman run -v bind volumes (berth, crun)" { both sc_volume; }
@test "podman run -d, exec, stop, rm (berth, crun)" { both sc_detach_exec_stop_rm; }
@test "podman run -it with a terminal (berth, crun)" { both sc_tty; }
@test "podman run --memory --pids-limit in the cgroup (berth, crun)" { both sc_cgroup_limits; }
@test "podman run --cap-drop ALL (berth, crun)" { both sc_cap_drop; }
@test "podman pause, unpause (berth, crun)" { both sc_pause_unpause; }
@test "podman kill -s SIGNAL (berth, crun)" { both sc_kill_signal; }
@test "podman run --network none (berth, crun)" { both sc_network_none; }

@test "podman: no container, cgroup or runtime state left behind" {
	run podman_raw ps -a --format '{{.Names}} {{.Status}}'
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# every container this file made (the file events log names them): no cgroup, no state
	local id n=0
	for id in $(jq -r 'select(.Type == "container" and .Status == "create") | .ID' \
		"$PM_DIR/events.log" | sort -u); do
		n=$((n + 1))
		! ls -d /sys/fs/cgroup/*/libpod_parent/libpod-"$id" 2>/dev/null || false
		[ ! -e /run/berth-runtime/"$id" ]
		[ ! -e /run/crun/"$id" ]
	done
	[ "$n" -gt 20 ]
}
