#!/usr/bin/env bats
# berth-runtime: what a container must not be able to reach, hooks, terminals and fds.
load helpers

setup() { common_setup; }
teardown() { common_teardown; }

@test "mount destinations through symlinks stay inside the rootfs" {
	make_bundle "$BUNDLE" sh -c 'ls /etc/berth-escape-1 /etc/berth-escape-2 /etc/berth-escape-3 2>&1 | sort'
	ln -s /etc "$BUNDLE/rootfs/evil1"
	ln -s ../../../../../../etc "$BUNDLE/rootfs/evil2"
	ln -s /proc/self/root/etc "$BUNDLE/rootfs/evil3"
	cfg_set "$BUNDLE" '.mounts += [
		{"destination": "/evil1/berth-escape-1", "type": "tmpfs", "source": "tmpfs"},
		{"destination": "/evil2/berth-escape-2", "type": "tmpfs", "source": "tmpfs"}]
		| .linux.devices = [{"path": "/evil1/berth-escape-3", "type": "c", "major": 1, "minor": 3}]'
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e /etc/berth-escape-1 ]
	[ ! -e /etc/berth-escape-2 ]
	[ ! -e /etc/berth-escape-3 ]
	[ -d "$BUNDLE/rootfs/etc/berth-escape-1" ]
	[ -d "$BUNDLE/rootfs/etc/berth-escape-2" ]
	# a magic link is not followed out of the root
	make_bundle "$BUNDLE.2" true
	ln -s /proc/self/root/etc "$BUNDLE.2/rootfs/evil3"
	cfg_set "$BUNDLE.2" '.mounts += [{"destination": "/evil3/berth-escape-4", "type": "tmpfs", "source": "tmpfs"}]'
	run rt run --bundle "$BUNDLE.2" "$ID-2"
	[ ! -e /etc/berth-escape-4 ]
	if [ "$status" -ne 0 ]; then
		[ "${#lines[@]}" -eq 1 ]
		assert_gone "$ID-2"
	fi
	! grep -q berth-escape /proc/self/mountinfo || false
}

@test "the container gets only stdio and preserved fds" {
	make_bundle "$BUNDLE" sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "'
	exec 7>/dev/null 8>/dev/null
	run rt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	# 0 1 2 and the fd ls opens for the directory
	[ "$output" = "0 1 2 3 " ]
	run rt run --preserve-fds 2 --bundle "$BUNDLE" "$ID" 3</dev/null 4</dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2 3 4 5 " ]
}

@test "LISTEN_FDS fds are passed on with LISTEN_PID=1" {
	make_bundle "$BUNDLE" sh -c 'echo $LISTEN_FDS $LISTEN_PID; ls /proc/self/fd | sort -n | tr "\n" " "'
	LISTEN_FDS=1 run rt run --bundle "$BUNDLE" "$ID" 3</dev/null
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1 1" ]
	[ "${lines[1]}" = "0 1 2 3 4 " ]
}

@test "the container cannot overwrite the runtime binary through /proc/<pid>/exe" {
	cp "$RUNTIME" "$BATS_TEST_TMPDIR/berth-runtime"
	sum=$(sha256sum <"$BATS_TEST_TMPDIR/berth-runtime")
	make_bundle "$BUNDLE" sleep 1000
	"$BATS_TEST_TMPDIR/berth-runtime" --root "$STATE_ROOT" create --bundle "$BUNDLE" "$ID"
	pid=$(rt state "$ID" | jq .pid)
	# the created init still runs runtime code: its exe must not be the file on disk
	run readlink /proc/$pid/exe
	[[ "$output" != "$BATS_TEST_TMPDIR/berth-runtime"* ]]
	run nsenter -t "$pid" -m -p sh -c 'echo pwned >/proc/1/exe'
	[ "$status" -ne 0 ]
	run sh -c "echo pwned >/proc/$pid/exe"
	[ "$status" -ne 0 ]
	rt start "$ID"
	rt delete --force "$ID"
	[ "$(sha256sum <"$BATS_TEST_TMPDIR/berth-runtime")" = "$sum" ]
}

@test "hooks run in order with the state on stdin" {
	log=$BATS_TEST_TMPDIR/hooks.log
	make_bundle "$BUNDLE" sh -c 'echo user-program >>/hooklog'
	touch "$BUNDLE/rootfs/hooklog"
	hook() { echo "{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"read -r s; echo $1 \$(echo \\\"\$s\\\" | /usr/bin/jq -r .status) \$HOOKVAR >>$log\"], \"env\": [\"HOOKVAR=v-$1\"]}"; }
	cfg_set "$BUNDLE" ".hooks = {
		\"prestart\": [$(hook prestart)], \"createRuntime\": [$(hook createRuntime)],
		\"createContainer\": [$(hook createContainer)], \"poststart\": [$(hook poststart)],
		\"poststop\": [$(hook poststop)]}"
	rt create --bundle "$BUNDLE" "$ID"
	rt start "$ID"
	for i in $(seq 100); do rt state "$ID" | jq -e '.status == "stopped"' >/dev/null && break; sleep 0.05; done
	rt delete "$ID"
	cat "$log"
	run cat "$log"
	[ "${lines[0]}" = "prestart creating v-prestart" ]
	[ "${lines[1]}" = "createRuntime creating v-createRuntime" ]
	[ "${lines[2]}" = "createContainer creating v-createContainer" ]
	[[ "${lines[3]}" == "poststart "*" v-poststart" ]]
	[ "${lines[4]}" = "poststop stopped v-poststop" ]
	grep -q user-program "$BUNDLE/rootfs/hooklog"
}

@test "startContainer hooks run in the container before the program" {
	make_bundle "$BUNDLE" cat /started
	cfg_set "$BUNDLE" '.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "echo from-hook >/started"]}]'
	run rt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = from-hook ]
}

@test "a failing hook fails create and leaves nothing behind" {
	make_bundle "$BUNDLE" sleep 1000
	cfg_set "$BUNDLE" '.hooks.prestart = [{"path": "/bin/false"}]'
	run rt create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"prestart hook"*"/bin/false"*"exit status 1"* ]]
	assert_gone "$ID"
	! proc_alive "sleep 1000" || false
}

@test "a hook that hangs past its timeout is killed and fails create" {
	make_bundle "$BUNDLE" true
	cfg_set "$BUNDLE" '.hooks.createRuntime = [{"path": "/bin/sleep", "args": ["sleep", "4343"], "timeout": 1}]'
	run rt create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"createRuntime hook"*"timed out after 1 s"* ]]
	assert_gone "$ID"
	! proc_alive "sleep 4343" || false
}

@test "terminal: the pty master goes over --console-socket" {
	make_bundle "$BUNDLE" sh -c 'tty; read -r line; echo "got:$line"'
	cfg_set "$BUNDLE" '.process.terminal = true'
	sock=$BATS_TEST_TMPDIR/console.sock
	"$BERTH_BUILD/tests/tools/recvtty" "$sock" $'hello\n' >"$BATS_TEST_TMPDIR/tty.out" 2>/dev/null &
	for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	rt create --bundle "$BUNDLE" --console-socket "$sock" "$ID"
	rt start "$ID"
	wait
	cat "$BATS_TEST_TMPDIR/tty.out"
	grep -q '^/dev/pts/0' "$BATS_TEST_TMPDIR/tty.out"
	grep -q 'got:hello' "$BATS_TEST_TMPDIR/tty.out"
	rt delete --force "$ID"
}

@test "terminal: run in the foreground uses the caller's terminal" {
	make_bundle "$BUNDLE" sh -c 'tty; stty size'
	cfg_set "$BUNDLE" '.process.terminal = true'
	run script -qec "$RUNTIME --root $STATE_ROOT run --bundle $BUNDLE $ID" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == */dev/pts/0* ]]
	assert_gone "$ID"
}

@test "terminal without a console socket is refused for create" {
	make_bundle "$BUNDLE" true
	cfg_set "$BUNDLE" '.process.terminal = true'
	run rt create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--console-socket"* ]]
	assert_gone "$ID"
}
