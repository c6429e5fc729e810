#!/usr/bin/env bats
# berth-runtime: linux.seccomp (libseccomp): actions, errno values, argument comparisons,
# flags, SCMP_ACT_NOTIFY with a listener, and profiles the runtime must refuse.
load helpers

setup() { common_setup; }
teardown() {
	[ -z "${LISTENER_PID:-}" ] || kill "$LISTENER_PID" 2>/dev/null || true
	common_teardown
}

# seccomp_set BUNDLE JSON: set linux.seccomp
seccomp_set() {
	cfg_set "$1" ".linux.seccomp = $2"
}

# A shell loop sending signal 0, 17, 18, 23 and 28 to itself: "N:ok" or "N:no" for each.
KILL_LOOP='for s in 0 17 18 23 28; do kill -$s $$ 2>/dev/null && printf "%s:ok " $s || printf "%s:no " $s; done'

@test "a denied syscall fails with errnoRet, or EPERM without one" {
	make_bundle "$BUNDLE" sh -c 'mkdir /a; echo rc=$?; rmdir /tmp; echo rc=$?'
	seccomp_set "$BUNDLE" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
		{"names": ["rmdir"], "action": "SCMP_ACT_ERRNO"}]}'
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"can't create directory '/a': Function not implemented"* ]]
	[[ "$output" == *"'/tmp': Operation not permitted"* ]]
	[ ! -d "$BUNDLE/rootfs/a" ]
	[ -d "$BUNDLE/rootfs/tmp" ]
	assert_gone "$ID"
}

@test "SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD and SCMP_ACT_KILL_PROCESS kill with SIGSYS" {
	for action in SCMP_ACT_KILL SCMP_ACT_KILL_THREAD SCMP_ACT_KILL_PROCESS; do
		rm -rf "$BUNDLE"
		make_bundle "$BUNDLE" mkdir /killed
		seccomp_set "$BUNDLE" "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [
			{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"$action\"}]}"
		run rt run --bundle "$BUNDLE" "$ID"
		echo "$action: $status $output"
		[ "$status" -eq 159 ] # 128 + SIGSYS
		[ ! -d "$BUNDLE/rootfs/killed" ]
	done
}

@test "the filter is in place in the container process, with flags LOG and SPEC_ALLOW" {
	make_bundle "$BUNDLE" sh -c 'grep ^Seccomp /proc/self/status'
	seccomp_set "$BUNDLE" '{"defaultAction": "SCMP_ACT_ALLOW",
		"flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"],
		"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		"syscalls": [{"names": ["acct"], "action": "SCMP_ACT_LOG"},
			{"names": ["swapon"], "action": "SCMP_ACT_TRAP"},
			{"names": ["ptrace"], "action": "SCMP_ACT_TRACE", "errnoRet": 5}]}'
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = $'Seccomp:\t2' ]
	[ "${lines[1]}" = $'Seccomp_filters:\t1' ]
}

@test "without noNewPrivileges the filter is loaded before the capabilities are dropped" {
	make_bundle "$BUNDLE" sh -c 'mkdir /a; grep NoNewPrivs /proc/self/status'
	cfg_set "$BUNDLE" '.process.noNewPrivileges = false | .process.user = {"uid": 1000, "gid": 1000}'
	seccomp_set "$BUNDLE" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}'
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Function not implemented"* ]]
	[[ "$output" == *$'NoNewPrivs:\t0'* ]]
}

@test "argument comparisons: every operator" {
	# rule on kill(2)'s second argument (the signal); the loop sends 0 17 18 23 28
	check() { # OP VALUE VALUETWO EXPECTED
		rm -rf "$BUNDLE"
		make_bundle "$BUNDLE" sh -c "$KILL_LOOP"
		seccomp_set "$BUNDLE" "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [
			{\"names\": [\"kill\"], \"action\": \"SCMP_ACT_ERRNO\",
			 \"args\": [{\"index\": 1, \"op\": \"$1\", \"value\": $2, \"valueTwo\": $3}]}]}"
		run rt run --bundle "$BUNDLE" "$ID"
		echo "$1 $2 $3: $output (expected $4)"
		[ "$status" -eq 0 ]
		[ "$output" = "$4" ]
	}
	check SCMP_CMP_EQ 18 0 "0:ok 17:ok 18:no 23:ok 28:ok "
	check SCMP_CMP_NE 0 0 "0:ok 17:no 18:no 23:no 28:no "
	check SCMP_CMP_LT 18 0 "0:no 17:no 18:ok 23:ok 28:ok "
	check SCMP_CMP_LE 18 0 "0:no 17:no 18:no 23:ok 28:ok "
	check SCMP_CMP_GT 18 0 "0:ok 17:ok 18:ok 23:no 28:no "
	check SCMP_CMP_GE 18 0 "0:ok 17:ok 18:no 23:no 28:no "
	check SCMP_CMP_MASKED_EQ 3 2 "0:ok 17:ok 18:no 23:ok 28:ok "
}

@test "comparisons on different arguments must all match; on the same one, any (runc)" {
	make_bundle "$BUNDLE" sh -c "$KILL_LOOP"
	# pid 999999 is not ours: with AND semantics nothing is denied
	seccomp_set "$BUNDLE" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [
			{"index": 0, "op": "SCMP_CMP_EQ", "value": 999999},
			{"index": 1, "op": "SCMP_CMP_EQ", "value": 18}]}]}'
	run rt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "0:ok 17:ok 18:ok 23:ok 28:ok " ]
	# the same index twice: one rule per comparison
	seccomp_set "$BUNDLE" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [
			{"index": 1, "op": "SCMP_CMP_EQ", "value": 17},
			{"index": 1, "op": "SCMP_CMP_EQ", "value": 28}]}]}'
	run rt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "0:ok 17:no 18:ok 23:ok 28:no " ]
}

@test "a syscall name unknown to libseccomp is skipped with a debug line" {
	make_bundle "$BUNDLE" sh -c 'mkdir /a'
	seccomp_set "$BUNDLE" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["berth_no_such_syscall", "mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}'
	run rt --debug run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown syscall \`berth_no_such_syscall\` skipped"* ]]
	[[ "$output" == *"Function not implemented"* ]]
}

# start_listener SOCKET ANSWER [COUNT]: run seccomp-listener in the background, output in
# $BATS_TEST_TMPDIR/listener.out
start_listener() {
	"$BERTH_BUILD/tests/tools/seccomp-listener" "$@" >"$BATS_TEST_TMPDIR/listener.out" 2>&1 &
	LISTENER_PID=$!
	for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done
	echo "the listener did not start"; return 1
}

@test "SCMP_ACT_NOTIFY: the listener gets the fd and the state, and answers the syscall" {
	sock=$BATS_TEST_TMPDIR/listener.sock
	start_listener "$sock" 38
	make_bundle "$BUNDLE" sh -c 'mkdir /notified; echo rc=$?'
	seccomp_set "$BUNDLE" "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$sock\",
		\"listenerMetadata\": \"berth-test-metadata\",
		\"flags\": [\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],
		\"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_NOTIFY\",
			\"args\": [{\"index\": 1, \"op\": \"SCMP_CMP_NE\", \"value\": 1}]}]}"
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	wait "$LISTENER_PID" || true
	LISTENER_PID=
	cat "$BATS_TEST_TMPDIR/listener.out"
	[[ "$output" == *"can't create directory '/notified': Function not implemented"* ]]
	[ ! -d "$BUNDLE/rootfs/notified" ]
	state=$(sed -n 's/^state //p' "$BATS_TEST_TMPDIR/listener.out")
	[ "$(echo "$state" | jq -r .metadata)" = berth-test-metadata ]
	[ "$(echo "$state" | jq -c .fds)" = '["seccompFd"]' ]
	[ "$(echo "$state" | jq -r .state.id)" = "$ID" ]
	[ "$(echo "$state" | jq -r .pid)" = "$(echo "$state" | jq -r .state.pid)" ]
	[ "$(echo "$state" | jq -r .state.bundle)" = "$BUNDLE" ]
	grep -Eq '^notify mkdir(at)? [0-9]+$' "$BATS_TEST_TMPDIR/listener.out"
}

@test "SCMP_ACT_NOTIFY: a listener can make the syscall succeed" {
	sock=$BATS_TEST_TMPDIR/listener.sock
	start_listener "$sock" +0
	make_bundle "$BUNDLE" sh -c 'mkdir /faked && echo rc=$?; ls -d /faked'
	seccomp_set "$BUNDLE" "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$sock\",
		\"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	wait "$LISTENER_PID" || true
	LISTENER_PID=
	[[ "$output" == *"rc=0"* ]]
	[[ "$output" == *"No such file or directory"* ]]
	[ ! -d "$BUNDLE/rootfs/faked" ]
}

@test "SCMP_ACT_NOTIFY without a listener fails create with one line" {
	make_bundle "$BUNDLE" true
	seccomp_set "$BUNDLE" "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$BATS_TEST_TMPDIR/none.sock\",
		\"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
	run rt create --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"listenerPath"*"none.sock"*"No such file or directory"* ]]
	assert_gone "$ID"
}

@test "bad seccomp profiles: one line naming the field, nothing left behind" {
	make_bundle "$BUNDLE" true
	bad() { # JSON EXPECTED-SUBSTRING
		seccomp_set "$BUNDLE" "$1"
		run rt create --bundle "$BUNDLE" "$ID"
		echo "$output"
		[ "$status" -eq 1 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"$2"* ]]
		assert_gone "$ID"
	}
	bad '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_EXPLODE"}]}' \
		'linux.seccomp.syscalls[0].action: unknown seccomp action "SCMP_ACT_EXPLODE"'
	bad '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ALMOST"}]}]}' \
		'linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "SCMP_CMP_ALMOST"'
	bad '{"defaultAction": "SCMP_ACT_NOPE"}' 'linux.seccomp.defaultAction: unknown seccomp action'
	bad '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_KILL", "errnoRet": 5}]}' \
		'linux.seccomp.syscalls[0]: errnoRet is only valid with SCMP_ACT_ERRNO and SCMP_ACT_TRACE'
	bad '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_NOPE"]}' \
		'unknown seccomp architecture "SCMP_ARCH_NOPE"'
}

@test "features reports seccomp with its actions, operators, architectures and flags" {
	run rt features
	[ "$status" -eq 0 ]
	echo "$output" | jqe '.linux.seccomp.enabled == true'
	[ "$(echo "$output" | jq '.linux.seccomp.actions | length')" -eq 9 ]
	echo "$output" | jqe '.linux.seccomp.actions | index("SCMP_ACT_NOTIFY") != null'
	[ "$(echo "$output" | jq '.linux.seccomp.operators | length')" -eq 7 ]
	echo "$output" | jqe '.linux.seccomp.archs | index("SCMP_ARCH_X86_64") != null'
	echo "$output" | jqe '.linux.seccomp.knownFlags | index("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") != null'
	echo "$output" | jqe '.linux.seccomp.supportedFlags | index("SECCOMP_FILTER_FLAG_LOG") != null'
	# AppArmor and SELinux are reported as the host has them
	aa=false; [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] && aa=true
	[ "$(echo "$output" | jq .linux.apparmor.enabled)" = "$aa" ]
}

# listener_wait: wait (bounded) for the listener to exit after its one container, or end it
listener_wait() {
	for _ in $(seq 200); do
		kill -0 "$LISTENER_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill "$LISTENER_PID" 2>/dev/null || true # it never got its container
	wait "$LISTENER_PID" || true
	LISTENER_PID=
}

# cache_entry: the one file in the seccomp cache of $STATE_ROOT
cache_entry() {
	local f
	f=$(find "$STATE_ROOT/.cache/seccomp" -maxdepth 1 -type f)
	[ -n "$f" ] || { echo "no cache entry"; return 1; }
	[ "$(echo "$f" | wc -l)" -eq 1 ] || { echo "cache entries: $f"; return 1; }
	echo "$f"
}

# The profile of the cache tests: mkdir fails with ENOSYS, the rest is allowed.
CACHE_PROFILE='{"defaultAction": "SCMP_ACT_ALLOW",
	"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
	"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}'

@test "the compiled filter is cached, 0700/0600, and a hit filters as a miss does" {
	make_bundle "$BUNDLE" sh -c 'mkdir /a; grep ^Seccomp_filters /proc/self/status'
	seccomp_set "$BUNDLE" "$CACHE_PROFILE"
	run rt --debug run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"seccomp cache: $STATE_ROOT/.cache/seccomp/"*" is absent, compiling"* ]]
	[[ "$output" == *"can't create directory '/a': Function not implemented"* ]]
	[[ "$output" == *$'Seccomp_filters:\t1'* ]]
	entry=$(cache_entry)
	[ "$(stat -c '%a %u %F' "$STATE_ROOT/.cache/seccomp")" = "700 0 directory" ]
	[ "$(stat -c '%a %u %h %F' "$entry")" = "600 0 1 regular file" ]
	cp "$entry" "$BATS_TEST_TMPDIR/first"

	run rt --debug run --bundle "$BUNDLE" "$ID-2"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"seccomp cache: $entry ("*" instructions)"* ]]
	[[ "$output" != *"compiling"* ]]
	[[ "$output" == *"can't create directory '/a': Function not implemented"* ]]
	[[ "$output" == *$'Seccomp_filters:\t1'* ]]
	[ ! -d "$BUNDLE/rootfs/a" ]
	cmp "$entry" "$BATS_TEST_TMPDIR/first"
	[ "$(cache_entry)" = "$entry" ]

	# another profile is another entry
	seccomp_set "$BUNDLE" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
		{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	run rt run --bundle "$BUNDLE" "$ID-3"
	echo "$output"
	[[ "$output" == *"can't create directory '/a': Operation not permitted"* ]]
	[ "$(find "$STATE_ROOT/.cache/seccomp" -type f | wc -l)" -eq 2 ]
}

@test "a damaged or foreign cache entry is ignored and written again" {
	make_bundle "$BUNDLE" sh -c 'mkdir /a'
	seccomp_set "$BUNDLE" "$CACHE_PROFILE"
	run rt run --bundle "$BUNDLE" "$ID"
	[[ "$output" == *"Function not implemented"* ]]
	entry=$(cache_entry)
	cp "$entry" "$BATS_TEST_TMPDIR/good"
	n=0
	damaged() { # WHAT-TO-DO EXPECTED-REASON
		n=$((n + 1))
		cp "$BATS_TEST_TMPDIR/good" "$entry"
		eval "$1"
		run rt --debug run --bundle "$BUNDLE" "$ID-$n"
		echo "$1: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"seccomp cache: $entry is $2, compiling"* ]]
		[[ "$output" == *"can't create directory '/a': Function not implemented"* ]]
		[ ! -d "$BUNDLE/rootfs/a" ]
		cmp "$entry" "$BATS_TEST_TMPDIR/good"
		[ "$(stat -c '%a %u %h' "$entry")" = "600 0 1" ]
	}
	# the last instruction (the default action) made SECCOMP_RET_ALLOW's neighbour
	damaged 'printf "\x00\x00\xfe\x7f" | dd of="$entry" bs=1 seek=$(($(stat -c %s "$entry") - 4)) conv=notrunc status=none' \
		"damaged (checksum)"
	damaged 'truncate -s -8 "$entry"' "inconsistent"
	damaged 'truncate -s 20 "$entry"' "of the wrong size"
	damaged 'head -c 16 /dev/zero | dd of="$entry" bs=1 seek=40 conv=notrunc status=none' \
		"not an entry for this key"
	damaged 'chmod 0644 "$entry"' "not a private regular file"
	damaged 'ln "$entry" "$BATS_TEST_TMPDIR/link"' "not a private regular file"
	damaged 'rm "$entry"; ln -s "$BATS_TEST_TMPDIR/good" "$entry"' "cannot be opened"
	rm -f "$BATS_TEST_TMPDIR/link"
}

@test "a cache directory others can write to is not used" {
	make_bundle "$BUNDLE" sh -c 'mkdir /a'
	seccomp_set "$BUNDLE" "$CACHE_PROFILE"
	mkdir -p "$STATE_ROOT/.cache/seccomp"
	chmod 0777 "$STATE_ROOT/.cache/seccomp"
	run rt --debug run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"seccomp cache: \`$STATE_ROOT/.cache/seccomp\` is not private to uid 0, not used"* ]]
	[[ "$output" == *"can't create directory '/a': Function not implemented"* ]]
	[ -z "$(ls -A "$STATE_ROOT/.cache/seccomp")" ]
}

@test "SCMP_ACT_NOTIFY from a cached filter still sends the listener its fd" {
	sock=$BATS_TEST_TMPDIR/listener.sock
	start_listener "$sock" 38
	make_bundle "$BUNDLE" sh -c 'mkdir /notified; echo rc=$?'
	seccomp_set "$BUNDLE" "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$sock\",
		\"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}"
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[[ "$output" == *"can't create directory '/notified': Function not implemented"* ]]
	listener_wait
	start_listener "$sock" 38
	run rt --debug run --bundle "$BUNDLE" "$ID-2"
	echo "$output"
	[[ "$output" == *"seccomp cache: $STATE_ROOT/.cache/seccomp/"*" instructions)"* ]]
	[[ "$output" == *"can't create directory '/notified': Function not implemented"* ]]
	listener_wait
	cat "$BATS_TEST_TMPDIR/listener.out"
	grep -Eq '^notify mkdir(at)? [0-9]+$' "$BATS_TEST_TMPDIR/listener.out"
}

@test "the container id .cache is refused: the runtime's caches live there" {
	make_bundle "$BUNDLE" true
	# not `run`: an init made by mistake would hold its output open
	status=0
	rt create --bundle "$BUNDLE" .cache >"$BATS_TEST_TMPDIR/out" 2>&1 </dev/null || status=$?
	[ "$status" -ne 0 ] || rt delete --force .cache || true
	output=$(cat "$BATS_TEST_TMPDIR/out")
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid container id \`.cache\`: the runtime keeps its caches there"* ]]
}
