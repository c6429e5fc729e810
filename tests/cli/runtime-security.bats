#!/usr/bin/env bats
# berth-runtime: what a container must not be able to reach, hooks, terminals and fds.
load helpers

setup() { common_setup; }
teardown() {
	common_teardown
	# host values a sysctl test may have seen changed (only on a runtime that failed it)
	[ -z "${old_lease:-}" ] || echo "$old_lease" >/proc/sys/fs/lease-break-time
	[ -z "${old_core:-}" ] || echo "$old_core" >/proc/sys/kernel/core_pattern
}

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

@test "a mount destination that is a dangling symlink is made where it points inside the rootfs" {
	make_bundle "$BUNDLE" true
	# absolute and relative, the last component of the destination or one before it
	ln -s /etc/berth-escape-5 "$BUNDLE/rootfs/dangling1"
	ln -s ../../etc/berth-escape-6 "$BUNDLE/rootfs/dangling2"
	cfg_set "$BUNDLE" '.mounts += [
		{"destination": "/dangling1", "type": "tmpfs", "source": "tmpfs"},
		{"destination": "/dangling2/sub", "type": "tmpfs", "source": "tmpfs"}]'
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e /etc/berth-escape-5 ] || false
	[ ! -e /etc/berth-escape-6 ] || false
	[ -d "$BUNDLE/rootfs/etc/berth-escape-5" ] || false
	[ -d "$BUNDLE/rootfs/etc/berth-escape-6/sub" ] || false
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
	mkdir "$BATS_TEST_TMPDIR/bin"
	cp "$RUNTIME" "$BATS_TEST_TMPDIR/bin/berth-runtime"
	sum=$(sha256sum <"$BATS_TEST_TMPDIR/bin/berth-runtime")
	make_bundle "$BUNDLE" sleep 1000
	"$BATS_TEST_TMPDIR/bin/berth-runtime" --root "$STATE_ROOT" create --bundle "$BUNDLE" "$ID"
	pid=$(rt state "$ID" | jq .pid)
	# the created init still runs runtime code: its exe must not be the file on disk but
	# the binary seen through a detached read-only overlayfs (no upper layer)
	run readlink /proc/$pid/exe
	[ "$output" = /berth-runtime ]
	[ "$(stat -f -c %T /proc/$pid/exe)" = overlayfs ]
	run nsenter -t "$pid" -m -p sh -c 'echo pwned >/proc/1/exe'
	[ "$status" -ne 0 ]
	run sh -c "echo pwned >/proc/$pid/exe"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	rt start "$ID"
	rt delete --force "$ID"
	[ "$(sha256sum <"$BATS_TEST_TMPDIR/bin/berth-runtime")" = "$sum" ]
}

@test "where overlayfs cannot seal the runtime binary, a sealed in-memory copy does" {
	# the state root inside the binary's directory: overlayfs refuses the two layers
	cp "$RUNTIME" "$BATS_TEST_TMPDIR/berth-runtime"
	sum=$(sha256sum <"$BATS_TEST_TMPDIR/berth-runtime")
	make_bundle "$BUNDLE" sleep 1000
	"$BATS_TEST_TMPDIR/berth-runtime" --root "$STATE_ROOT" create --bundle "$BUNDLE" "$ID"
	pid=$(rt state "$ID" | jq .pid)
	run readlink /proc/$pid/exe
	[[ "$output" == "/memfd:berth-runtime"* ]]
	run nsenter -t "$pid" -m -p sh -c 'echo pwned >/proc/1/exe'
	[ "$status" -ne 0 ]
	run sh -c "echo pwned >/proc/$pid/exe"
	[ "$status" -ne 0 ]
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
	for i in $(seq 100); do rt state "$ID" | jqe '.status == "stopped"' >/dev/null && break; sleep 0.05; done
	rt delete "$ID"
	cat "$log"
	run cat "$log"
	[ "${lines[0]}" = "prestart created v-prestart" ]
	[ "${lines[1]}" = "createRuntime created v-createRuntime" ]
	[ "${lines[2]}" = "createContainer created v-createContainer" ]
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
	make_bundle "$BUNDLE" sleep 1913
	cfg_set "$BUNDLE" '.hooks.prestart = [{"path": "/bin/false"}]'
	run rt create --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"prestart hook"*"/bin/false"*"exit status 1"* ]]
	assert_gone "$ID"
	! proc_alive "sleep 1913" || false
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

# CVE-2024-21626: a working directory through a directory fd the caller holds open.
# "$hostdir" is a host directory that the container must never see.
host_fd_dir() {
	hostdir=$BATS_TEST_TMPDIR/host-side
	mkdir -p "$hostdir"
	touch "$hostdir/host-only-file"
}

@test "exec --cwd /proc/self/fd/N of a caller's directory fd is refused, with or without --preserve-fds" {
	host_fd_dir
	make_bundle "$BUNDLE" sleep 1000
	ln -s /proc/self/fd/7 "$BUNDLE/rootfs/fdlink"
	rt create --bundle "$BUNDLE" "$ID"
	rt start "$ID"
	run rt exec --cwd /proc/self/fd/7 "$ID" sh -c 'pwd; ls' 7<"$hostdir"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"process.cwd"*"/proc/self/fd/7"* ]]
	[[ "$output" != *host-only-file* ]]
	# handed over on purpose, the fd is still no way out: a magic link is never followed
	run rt exec --preserve-fds 5 --cwd /proc/self/fd/7 "$ID" sh -c 'pwd; ls' 7<"$hostdir"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"process.cwd \`/proc/self/fd/7\`: resolves through a /proc magic link"* ]]
	# nor through a symlink of the image
	run rt exec --preserve-fds 5 --cwd /fdlink "$ID" sh -c 'pwd; ls' 7<"$hostdir"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"magic link"* ]]
	# the process.json of --process goes the same way
	jq -n '{cwd: "/proc/self/fd/7", args: ["sh", "-c", "ls"], env: ["PATH=/bin"], user: {uid: 0, gid: 0}}' >"$BATS_TEST_TMPDIR/p.json"
	run rt exec --process "$BATS_TEST_TMPDIR/p.json" "$ID" 7<"$hostdir"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" != *host-only-file* ]]
	# an ordinary directory still works, through a symlink inside the image too
	ln -s /tmp "$BUNDLE/rootfs/tmplink"
	run rt exec --cwd /tmplink "$ID" pwd 7<"$hostdir"
	[ "$status" -eq 0 ]
	[ "$output" = /tmp ]
	rt delete --force "$ID"
}

@test "exec: the process gets only stdio and preserved fds" {
	make_bundle "$BUNDLE" sleep 1000
	rt create --bundle "$BUNDLE" "$ID"
	rt start "$ID"
	run rt exec "$ID" sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "' 7</ 8</
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2 3 " ]
	run rt exec --preserve-fds 2 "$ID" sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "' 3</dev/null 4</dev/null 7</
	[ "$status" -eq 0 ]
	[ "$output" = "0 1 2 3 4 5 " ]
	rt delete --force "$ID"
}

@test "run and create+start: process.cwd through a caller's directory fd is refused, nothing left behind" {
	host_fd_dir
	make_bundle "$BUNDLE" sh -c 'pwd; ls'
	cfg_set "$BUNDLE" '.process.cwd = "/proc/self/fd/7"'
	for preserve in 0 5; do
		run rt run --preserve-fds "$preserve" --bundle "$BUNDLE" "$ID" 7<"$hostdir"
		echo "$output"
		[ "$status" -eq 1 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"process.cwd"* ]]
		[[ "$output" != *host-only-file* ]]
		assert_gone "$ID"
		run rt create --preserve-fds "$preserve" --bundle "$BUNDLE" "$ID" 7<"$hostdir"
		echo "$output"
		[ "$status" -eq 1 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"process.cwd"* ]]
		assert_gone "$ID"
	done
	# a symlink of the image to the magic link
	ln -s /proc/self/fd/7 "$BUNDLE/rootfs/fdlink"
	cfg_set "$BUNDLE" '.process.cwd = "/fdlink"'
	run rt run --preserve-fds 5 --bundle "$BUNDLE" "$ID" 7<"$hostdir"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" != *host-only-file* ]]
	assert_gone "$ID"
}

@test "create+start: a directory fd held by the caller of create or of start reaches neither the container nor its cwd" {
	host_fd_dir
	make_bundle "$BUNDLE" sh -c '{ ls /proc/self/fd | sort -n | tr "\n" " "; echo; pwd; ls; } >/out'
	cfg_set "$BUNDLE" '.process.cwd = "/tmp"'
	rt create --preserve-fds 1 --bundle "$BUNDLE" "$ID" 3</dev/null 7<"$hostdir" >/dev/null
	rt start "$ID" 7<"$hostdir"
	for i in $(seq 1200); do rt state "$ID" | jqe '.status == "stopped"' >/dev/null && break; sleep 0.05; done
	rt delete "$ID"
	run cat "$BUNDLE/rootfs/out"
	echo "$output"
	[ "$status" -eq 0 ]
	# 0 1 2, the preserved 3 and the fd ls opens for the directory: not 7
	[ "${lines[0]}" = "0 1 2 3 4 " ]
	[ "${lines[1]}" = /tmp ]
	[[ "$output" != *host-only-file* ]]
}

# linux.sysctl: runc's rules. Each refusal is one line naming the key, before anything is made.
sysctl_refused() { # JQ-FILTER KEY EXPECTED-MESSAGE-PART
	rm -rf "$BUNDLE"
	make_bundle "$BUNDLE" true
	cfg_set "$BUNDLE" "$1"
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"config.json: linux.sysctl.$2: $3"* ]]
	assert_gone "$ID"
}

@test "sysctl: keys global to the host are refused and the host keeps its value" {
	old_lease=$(cat /proc/sys/fs/lease-break-time)
	old_core=$(cat /proc/sys/kernel/core_pattern)
	new_lease=$((old_lease + 7))
	sysctl_refused ".linux.sysctl = {\"fs.lease-break-time\": \"$new_lease\"}" fs.lease-break-time "not namespaced, refused"
	now=$(cat /proc/sys/fs/lease-break-time)
	[ "$now" = "$old_lease" ]
	sysctl_refused '.linux.sysctl = {"kernel.core_pattern": "|/bin/berth-test-never"}' kernel.core_pattern "not namespaced, refused"
	now=$(cat /proc/sys/kernel/core_pattern)
	[ "$now" = "$old_core" ]
	sysctl_refused '.linux.sysctl = {"vm.swappiness": "10"}' vm.swappiness "not namespaced, refused"
}

# Run sysctl_refused ARGS… in a network namespace of the test's own, so that what a broken
# runtime would write (net.*, in the caller's namespace) never reaches the host's.
in_test_netns() {
	netns=$BATS_TEST_TMPDIR/netns
	touch "$netns"
	unshare --net="$netns" true
	nsenter --net="$netns" sh -c 'echo 0 >/proc/sys/net/ipv4/ip_forward'
	export -f sysctl_refused make_bundle make_base_rootfs cfg_set rt assert_gone
	export RUNTIME STATE_ROOT BUNDLE ID BATS_FILE_TMPDIR BERTH_TOP
	run nsenter --net="$netns" bash -c 'set -e
		run() { set +e; output=$("$@" 2>&1); status=$?; set -e; mapfile -t lines <<<"$output"; }
		sysctl_refused "$@"' bash "$@"
	echo "$output"
	now=$(nsenter --net="$netns" cat /proc/sys/net/ipv4/ip_forward)
	umount "$netns"
	[ "$status" -eq 0 ]
	[ "$now" = 0 ]
}

@test "sysctl: net.* needs a private network namespace" {
	in_test_netns 'del(.linux.namespaces[] | select(.type == "network")) | .linux.sysctl = {"net.ipv4.ip_forward": "1"}' net.ipv4.ip_forward "needs a private network namespace in linux.namespaces, refused"
}

@test "sysctl: joining the runtime's own namespace by path is not private" {
	in_test_netns '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/net" else . end) | .linux.sysctl = {"net.ipv4.ip_forward": "1"}' net.ipv4.ip_forward "the network namespace \`/proc/self/ns/net\` is the host's, refused"
	sysctl_refused '.linux.namespaces |= map(if .type == "ipc" then .path = "/proc/'$$'/ns/ipc" else . end) | .linux.sysctl = {"kernel.shmmax": "'"$(cat /proc/sys/kernel/shmmax)"'"}' kernel.shmmax "the ipc namespace \`/proc/$$/ns/ipc\` is the host's, refused"
}

@test "sysctl: ipc and uts keys need their namespace" {
	# the host's own values: a runtime that wrongly writes them changes nothing
	sysctl_refused 'del(.linux.namespaces[] | select(.type == "ipc")) | .linux.sysctl = {"kernel.shmmax": "'"$(cat /proc/sys/kernel/shmmax)"'"}' kernel.shmmax "needs a private ipc namespace in linux.namespaces, refused"
	sysctl_refused 'del(.linux.namespaces[] | select(.type == "ipc")) | .linux.sysctl = {"fs.mqueue.msg_max": "'"$(cat /proc/sys/fs/mqueue/msg_max)"'"}' fs.mqueue.msg_max "needs a private ipc namespace"
	sysctl_refused 'del(.linux.namespaces[] | select(.type == "ipc")) | .linux.sysctl = {"kernel.msgmax": "'"$(cat /proc/sys/kernel/msgmax)"'"}' kernel.msgmax "needs a private ipc namespace"
	sysctl_refused 'del(.linux.namespaces[] | select(.type == "ipc")) | .linux.sysctl = {"kernel.sem": "'"$(tr "\t" " " </proc/sys/kernel/sem)"'"}' kernel.sem "needs a private ipc namespace"
	sysctl_refused 'del(.linux.namespaces[] | select(.type == "uts")) | del(.hostname) | .linux.sysctl = {"kernel.domainname": "'"$(cat /proc/sys/kernel/domainname)"'"}' kernel.domainname "needs a private uts namespace"
	sysctl_refused 'del(.linux.namespaces[] | select(.type == "uts")) | del(.hostname) | .linux.sysctl = {"kernel.hostname": "'"$(cat /proc/sys/kernel/hostname)"'"}' kernel.hostname "needs a private uts namespace"
}

@test "sysctl: namespaced keys are accepted in private namespaces, also one joined by path" {
	make_bundle "$BUNDLE" sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax /proc/sys/fs/mqueue/msg_max /proc/sys/kernel/domainname /proc/sys/kernel/hostname'
	cfg_set "$BUNDLE" '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "1234567", "fs.mqueue.msg_max": "20", "kernel.domainname": "x.org", "kernel.hostname": "hx"} | del(.hostname)'
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1\n1234567\n20\nx.org\nhx')" ]
	netns=$BATS_TEST_TMPDIR/netns
	touch "$netns"
	unshare --net="$netns" true
	cfg_set "$BUNDLE" ".linux.namespaces |= map(if .type == \"network\" then .path = \"$netns\" else . end)"
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	v=$(nsenter --net="$netns" cat /proc/sys/net/ipv4/ip_forward)
	umount "$netns"
	[ "$status" -eq 0 ]
	[ "$v" = 1 ]
}

@test "run: the runtime forks the init into the new pid namespace, its hooks stay in the host's" {
	log=$BATS_TEST_TMPDIR/ns.log
	make_bundle "$BUNDLE" sh -c 'echo init $$'
	hook() { echo "{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo $1 \$(readlink /proc/self/ns/pid) >>$log\"]}"; }
	cfg_set "$BUNDLE" ".hooks = {\"prestart\": [$(hook prestart)], \"poststart\": [$(hook poststart)], \"poststop\": [$(hook poststop)]}"
	run rt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "init 1" ]
	cat "$log"
	host=$(readlink /proc/self/ns/pid)
	run cat "$log"
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[0]}" = "prestart $host" ]
	[ "${lines[1]}" = "poststart $host" ]
	[ "${lines[2]}" = "poststop $host" ]
}

@test "run: an exec that fails after start (not an executable format) is one line, nothing left behind" {
	make_bundle "$BUNDLE" /notelf
	printf 'just text\n' >"$BUNDLE/rootfs/notelf"
	chmod 755 "$BUNDLE/rootfs/notelf"
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *'exec `/notelf`: Exec format error'* ]]
	assert_gone "$ID"
}
