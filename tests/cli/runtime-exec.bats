#!/usr/bin/env bats
# berth-runtime exec: a process in every namespace and the cgroup of a container, with its
# filter, user, env and limits; and the errors of exec into what is not there.
load helpers

setup() { common_setup; }
teardown() {
	[ -z "${LISTENER_PID:-}" ] || kill "$LISTENER_PID" 2>/dev/null || true
	common_teardown
}

# A running container whose init sleeps.
run_sleeper() {
	make_bundle "$BUNDLE" sleep 1000
	[ $# -eq 0 ] || cfg_set "$BUNDLE" "$1"
	rt run -d --bundle "$BUNDLE" "$ID"
	INIT=$(rt state "$ID" | jq .pid)
}

@test "exec runs a command in the container and exits with its status" {
	run_sleeper
	run rt exec "$ID" sh -c 'echo hello from $(hostname); cat /proc/1/cmdline | tr "\0" " "'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "hello from $(jq -r .hostname "$BUNDLE/config.json")" ]
	[ "${lines[1]}" = "sleep 1000 " ]
	run rt exec "$ID" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run rt exec "$ID" sh -c 'kill -9 $$'
	[ "$status" -eq 137 ]
}

@test "exec joins every namespace and the cgroup of the container" {
	run_sleeper
	rt exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$ID" sleep 1000
	pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	[ "$pid" -gt 0 ]
	for ns in mnt pid net ipc uts cgroup user time; do
		[ -e /proc/$INIT/ns/$ns ] || continue
		echo "$ns: $(readlink /proc/$INIT/ns/$ns) $(readlink /proc/$pid/ns/$ns)"
		[ "$(readlink /proc/$INIT/ns/$ns)" = "$(readlink /proc/$pid/ns/$ns)" ]
	done
	[ "$(readlink /proc/$INIT/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ]
	[ "$(cat /proc/$INIT/cgroup)" = "$(cat /proc/$pid/cgroup)" ]
	# seen from inside: the init is pid 1 and the exec'd sleep is in the same pid namespace
	run rt exec "$ID" sh -c 'ps -o args | grep -c "^sleep 1000"'
	[ "$output" = 2 ]
	# and it is a child of the runtime's, not of the container's init
	[ "$(awk '{print $4}' /proc/$pid/stat)" != "$INIT" ]
}

@test "exec applies -e, --cwd, -u, --additional-gids, --cap and --no-new-privs" {
	run_sleeper '.process.env += ["KEEP=kept", "FOO=old"]'
	run rt exec -e FOO=bar -e NEW=1 --cwd /tmp -u 1000:1000 --additional-gids 20 --additional-gids 30 \
		"$ID" sh -c 'echo $FOO $NEW $KEEP $(pwd) $(id -u):$(id -g) $(id -G)'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "bar 1 kept /tmp 1000:1000 1000 20 30" ]
	# --cap adds to the bounding, effective and permitted sets
	run rt exec "$ID" sh -c 'grep CapEff /proc/self/status'
	before=$output
	run rt exec --cap CAP_SYS_ADMIN "$ID" sh -c 'grep CapEff /proc/self/status'
	[ "$output" != "$before" ]
	cfg_set "$BUNDLE" '.process.noNewPrivileges = false'
	run rt exec --no-new-privs "$ID" sh -c 'grep NoNewPrivs /proc/self/status'
	[ "$output" = $'NoNewPrivs:\t1' ]
	# AppArmor and SELinux are ignored where the host has neither
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ] && [ ! -e /sys/fs/selinux/enforce ]; then
		run rt --debug exec --apparmor berth-test --process-label system_u:system_r:x:s0 "$ID" true
		echo "$output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"apparmor is not enabled on this host"* ]]
		[[ "$output" == *"selinux is not enabled on this host"* ]]
	fi
}

@test "exec --process FILE runs the process described there" {
	run_sleeper
	cat >"$BATS_TEST_TMPDIR/process.json" <<'J'
{"args": ["sh", "-c", "echo $WHO $(pwd) $(id -u)"], "env": ["WHO=proc", "PATH=/bin"], "cwd": "/home/user",
 "user": {"uid": 1000, "gid": 1000}}
J
	run rt exec --process "$BATS_TEST_TMPDIR/process.json" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "proc /home/user 1000" ]
}

@test "an exec'd process has the container's seccomp filter" {
	run_sleeper '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}'
	run rt exec "$ID" sh -c 'mkdir /a; grep ^Seccomp: /proc/self/status'
	echo "$output"
	[[ "$output" == *"can't create directory '/a': Function not implemented"* ]]
	[[ "$output" == *$'Seccomp:\t2'* ]]
	[ ! -d "$BUNDLE/rootfs/a" ]
}

# start_listener SOCKET ANSWER COUNT OUT: seccomp-listener in the background
start_listener() {
	"$BERTH_BUILD/tests/tools/seccomp-listener" "$1" "$2" "$3" >"$4" 2>&1 &
	LISTENER_PID=$!
	for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done
	echo "the listener did not start"; return 1
}

@test "SCMP_ACT_NOTIFY in an exec'd process reaches the listener with the running state" {
	sock=$BATS_TEST_TMPDIR/listener.sock
	# the init's filter goes to a first listener that only takes it
	start_listener "$sock" 0 0 "$BATS_TEST_TMPDIR/init.out"
	run_sleeper ".linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$sock\",
		\"listenerMetadata\": \"exec-meta\",
		\"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
	wait "$LISTENER_PID"
	grep -q '"status":"created"' "$BATS_TEST_TMPDIR/init.out"
	# the exec'd process's goes to a second one, which answers its mkdir
	start_listener "$sock" 13 1 "$BATS_TEST_TMPDIR/exec.out"
	run rt exec "$ID" mkdir /x
	echo "$output"
	wait "$LISTENER_PID"
	LISTENER_PID=
	cat "$BATS_TEST_TMPDIR/exec.out"
	[[ "$output" == *"can't create directory '/x': Permission denied"* ]]
	state=$(sed -n 's/^state //p' "$BATS_TEST_TMPDIR/exec.out")
	[ "$(echo "$state" | jq -r .metadata)" = exec-meta ]
	[ "$(echo "$state" | jq -r .state.status)" = running ]
	[ "$(echo "$state" | jq -r .state.id)" = "$ID" ]
	pid=$(echo "$state" | jq -r .pid)
	[ "$pid" != "$INIT" ]
	grep -Eq "^notify mkdir(at)? $pid\$" "$BATS_TEST_TMPDIR/exec.out"
}

@test "exec -t with --console-socket gives the process a terminal of the container" {
	run_sleeper
	sock=$BATS_TEST_TMPDIR/console.sock
	"$BERTH_BUILD/tests/tools/recvtty" "$sock" "" >"$BATS_TEST_TMPDIR/tty.out" 2>/dev/null &
	rpid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	run rt exec -t --console-socket "$sock" "$ID" sh -c 'tty; test -t 0 && echo is-a-tty'
	echo "$output"
	[ "$status" -eq 0 ]
	wait "$rpid" || true
	cat "$BATS_TEST_TMPDIR/tty.out"
	grep -q '/dev/pts/' "$BATS_TEST_TMPDIR/tty.out"
	grep -q 'is-a-tty' "$BATS_TEST_TMPDIR/tty.out"
}

@test "exec into a stopped or unknown container, or with a bad --process file: one line, nothing left" {
	run rt exec no-such-container true
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"no-such-container"*"does not exist"* ]]
	[ ! -e "$STATE_ROOT/no-such-container" ]

	make_bundle "$BUNDLE.stopped" true
	rt run -d --bundle "$BUNDLE.stopped" "$ID-stopped"
	for _ in $(seq 100); do [ "$(rt state "$ID-stopped" | jq -r .status)" = stopped ] && break; sleep 0.05; done
	run rt exec "$ID-stopped" true
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"cannot exec in a stopped container"* ]]
	rt delete "$ID-stopped"

	run_sleeper
	echo '{"args": ["true"], "cwd": 5}' >"$BATS_TEST_TMPDIR/bad.json"
	run rt exec --process "$BATS_TEST_TMPDIR/bad.json" "$ID"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"bad.json: cwd: expected string"* ]]
	run rt exec --process "$BATS_TEST_TMPDIR/missing.json" "$ID"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"missing.json"*"No such file or directory"* ]]
	run rt exec "$ID" /no/such/binary
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"/no/such/binary"* ]]
	run rt exec "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no command given"* ]]
	# nothing left running in the container but its init (and the ps that looks)
	run rt exec "$ID" ps -o pid,args
	echo "$output"
	[ "${#lines[@]}" -eq 3 ]
}

@test "exec -t in the foreground, --preserve-fds and signals forwarded to the process" {
	run_sleeper
	run rt exec -t "$ID" sh -c 'tty; echo ok' </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == /dev/pts/* ]]
	run rt exec --preserve-fds 2 "$ID" sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "' 3</dev/null 4</dev/null
	[ "$output" = "0 1 2 3 4 5 " ]
	# the runtime itself in the background (not a subshell running rt)
	"$RUNTIME" --root "$STATE_ROOT" exec "$ID" sleep 1000 &
	p=$!
	for _ in $(seq 100); do [ "$(rt exec "$ID" ps -o args | grep -c '^sleep 1000')" -eq 2 ] && break; sleep 0.05; done
	kill -TERM "$p"
	st=0
	wait "$p" || st=$?
	echo "status $st"
	[ "$st" -eq 143 ]
}

@test "the exec'd process cannot overwrite the runtime binary through /proc" {
	mkdir "$BATS_TEST_TMPDIR/bin"
	cp "$RUNTIME" "$BATS_TEST_TMPDIR/bin/berth-runtime"
	sum=$(sha256sum <"$BATS_TEST_TMPDIR/bin/berth-runtime")
	run_sleeper
	run "$BATS_TEST_TMPDIR/bin/berth-runtime" --root "$STATE_ROOT" exec "$ID" sh -c \
		'for p in /proc/[0-9]*; do echo pwned >$p/exe; done 2>/dev/null; echo done'
	[ "$output" = done ]
	[ "$(sha256sum <"$BATS_TEST_TMPDIR/bin/berth-runtime")" = "$sum" ]
}

@test "process.apparmorProfile and selinuxLabel are ignored with a debug line where the host has neither" {
	if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] || [ -e /sys/fs/selinux/enforce ]; then
		skip "the host has AppArmor or SELinux"
	fi
	make_bundle "$BUNDLE" true
	cfg_set "$BUNDLE" '.process.apparmorProfile = "berth-test" | .process.selinuxLabel = "system_u:system_r:x:s0"'
	run rt --debug run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"apparmor is not enabled on this host: profile \`berth-test\` ignored"* ]]
	[[ "$output" == *"selinux is not enabled on this host"* ]]
}

# close_count FILE: the close() calls in an strace log (close_range( is not one of them)
close_count() {
	grep -c ' close(' "$1" || true
}

@test "exec and run close the caller's fds with close_range(2), not a close() per possible fd" {
	need_strace
	run_sleeper
	trace=$BATS_TEST_TMPDIR/trace
	rt_strace "$trace" close,close_range exec "$ID" true 7</ 8</
	grep 'close_range(' "$trace"
	n=$(close_count "$trace")
	echo "exec: $n close() calls"
	[ "$n" -lt 1000 ]
	make_bundle "$BUNDLE.2" true
	rt_strace "$trace" close,close_range run --bundle "$BUNDLE.2" "$ID-2" 7</ 8</
	grep 'close_range(' "$trace"
	n=$(close_count "$trace")
	echo "run: $n close() calls"
	[ "$n" -lt 1000 ]
}
