#!/usr/bin/env bats
# VM-backed containers (issue 15, item 2): `berth run --vm` runs the image's linux/riscv64
# variant in a `berth vm` guest whose init is berth's agent (guest/agent.c), over the same
# root filesystem the engine makes for a container (virtio-9p). The guest kernel and agent
# come from the cache (guest/build-kernel.sh, guest/build-agent.sh); each boot is slow under
# ASan, so the tests boot few guests and check much in each.
load helpers
load engine-helpers
bats_require_minimum_version 1.5.0

setup_file() {
	vm_guest_setup_file
}

setup() {
	ROOT=$BATS_TEST_TMPDIR/root
	vm_guest_skip
}

# Nothing of container ID left: no record, no VM process, no mount, no socket.
assert_vm_gone() {
	[ ! -e "$ROOT/containers/$1" ]
	run ! grep -q "$ROOT/containers" /proc/self/mountinfo
	[ ! -e "/run/berth-vm/${1:0:24}" ]
	if [ -n "${2:-}" ]; then
		[ ! -e "/proc/$2" ]
	fi
}

# wait_exited NAME: poll (bounded) until ps -a shows NAME exited.
wait_exited() {
	local i
	for i in $(seq "${VM_POLLS:-1200}"); do
		b ps -a | grep " $1\$" | grep -q Exited && return 0
		sleep 0.25
	done
	b ps -a
	return 1
}

@test "run --vm: stdout and stderr apart, env, workdir, user, a volume, exit status; --rm leaves nothing" {
	mkdir "$BATS_TEST_TMPDIR/vol"
	run --separate-stderr b run --vm --rm --name v1 -e FOO=bar -w /etc -u 0:0 \
		-v "$BATS_TEST_TMPDIR/vol:/data" busybox sh -c \
		'echo hi; echo oops >&2; echo "foo=$FOO"; pwd; id -u; uname -m; echo written >/data/f; exit 7'
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 7 ]
	[ "${lines[0]}" = hi ]
	[ "${lines[1]}" = foo=bar ]
	[ "${lines[2]}" = /etc ]
	[ "${lines[3]}" = 0 ]
	[ "${lines[4]}" = riscv64 ]
	[ "$stderr" = oops ]
	[ "$(cat "$BATS_TEST_TMPDIR/vol/f")" = written ]
	[ -z "$(ls "$ROOT/containers")" ]
	run ! grep -q "$ROOT/containers" /proc/self/mountinfo
}

@test "run --vm -u: a uid and gid, a user named in the image's /etc/passwd, --group-add" {
	run --separate-stderr b run --vm --rm -u 1000:1000 busybox sh -c \
		'echo $(id -u) $(id -g) $(id -G); touch /tmp/f; stat -c %u:%g /tmp/f; touch /etc/f'
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "1000 1000 1000" ]
	[ "${lines[1]}" = 1000:1000 ]
	[[ "$stderr" == *"/etc/f"*"denied"* ]]
	# a name: its uid and gid from the image's /etc/passwd (the built-in busybox's user)
	run --separate-stderr b run --vm --rm -u user --group-add 44 busybox sh -c \
		'echo $(id -u) $(id -g) $(id -G)'
	echo "$output"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "1000 1000 1000 44" ]
	# what the user makes on a volume is its own, in the guest and on the host
	mkdir "$BATS_TEST_TMPDIR/uvol"
	chmod 777 "$BATS_TEST_TMPDIR/uvol"
	run -0 b run --vm --rm -u 1000:1000 -v "$BATS_TEST_TMPDIR/uvol:/data" busybox sh -c \
		'mkdir /data/d && touch /data/d/f && chmod 600 /data/d/f && stat -c %u:%g /data/d/f'
	[ "$output" = 1000:1000 ]
	[ "$(stat -c %u:%g:%a "$BATS_TEST_TMPDIR/uvol/d/f")" = 1000:1000:600 ]
	[ "$(stat -c %u:%g "$BATS_TEST_TMPDIR/uvol/d")" = 1000:1000 ]
	[ -z "$(ls "$ROOT/containers")" ]
}

@test "run --vm -d: ps marks it, logs, inspect, -p in ps, port and inspect, exec (-i, -it), kill relays a signal, stop powers off after its timeout, rm leaves nothing" {
	local port i page=
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	run b run --vm -d --name v2 -e A=1 --cpus 2 -m 128m -p "127.0.0.1:$port:8080" busybox sh -c \
		'mkdir /www; echo vm-page >/www/index.html; httpd -p 8080 -h /www
		trap "echo got USR1" USR1; trap "" TERM; echo "ready $(grep -c ^processor /proc/cpuinfo)"; while :; do sleep 1; done'
	[ "$status" -eq 0 ]
	id=$output
	wait_log v2 "ready 2"
	# -p: slirp's forward from the host's loopback to the guest's httpd
	for i in $(seq 60); do
		page=$(curl -s -m 10 "http://127.0.0.1:$port/" || true)
		if [ -n "$page" ]; then break; fi
		sleep 0.5
	done
	[ "$page" = vm-page ]
	run b ps
	echo "$output"
	[[ "$output" == *"Up "*" (vm)"*v2* ]]
	# its -p forward as a container's published port: ps's PORTS, port, inspect
	[[ "$output" == *"127.0.0.1:$port->8080/tcp"*v2* ]]
	run b port v2
	[ "$status" -eq 0 ]
	[ "$output" = "8080/tcp -> 127.0.0.1:$port" ]
	b inspect v2 | jqe '.vm.cpus == 2 and .vm.memory == 134217728'
	b inspect v2 | jqe ".network_settings.ports == [{\"proto\": \"tcp\", \"host_ip\": \"127.0.0.1\", \"host_port\": $port, \"ctr_port\": 8080}]"
	vmpid=$(b inspect v2 | jq -r .pid)
	[ -e "/proc/$vmpid" ]
	# exec through the agent's control port: the container's env with -e over it, -w
	run --separate-stderr b exec -e B=2 -w /etc v2 sh -c 'echo "x $A $B"; pwd; echo e2 >&2; exit 5'
	echo "$output"
	[ "$status" -eq 5 ]
	[ "${lines[0]}" = "x 1 2" ]
	[ "${lines[1]}" = /etc ]
	[ "$stderr" = e2 ]
	run -127 --separate-stderr b exec v2 nosuchcmd
	[ "$status" -eq 127 ]
	# the agent's answer is hostile input: a fake agent on the control socket (the VM's
	# own moved aside) answers garbage; exec ends with one line, 125, and does not hang
	ctl=/run/berth-vm/${id:0:24}/ctl
	mv "$ctl" "$ctl.real"
	for garbage in 'o zz 99999999\n' 'x 0123 7\n%0200d' '%04000d'; do
		/usr/bin/python3 - "$ctl" "$garbage" <<-'P' &
		import socket, sys
		s = socket.socket(socket.AF_UNIX)
		s.bind(sys.argv[1])
		s.listen(1)
		s.settimeout(600)
		c, _ = s.accept()
		c.recv(100)
		g = sys.argv[2].replace('\\n', '\n')
		c.sendall((g % 0 if '%' in g else g).encode())
		c.close()
		P
		fake=$!
		for i in $(seq 100); do
			if [ -S "$ctl" ]; then break; fi
			sleep 0.1
		done
		run --separate-stderr b exec v2 true
		echo "$stderr"
		[ "$status" -eq 125 ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" == *"the guest agent"* || "$stderr" == *"the VM ended before the exec did"* ]]
		wait_pid "$fake"
		rm -f "$ctl"
	done
	mv "$ctl.real" "$ctl"
	# exec -i: our stdin to it, to its end
	run --separate-stderr bash -c 'seq 3000 | "$0" --root "$1" exec -i v2 sh -c "wc -l; exit 4"' \
		"$BERTH" "$ROOT"
	echo "$output $stderr"
	[ "$status" -eq 4 ]
	[ "$output" = 3000 ]
	# exec -it: a terminal in the guest, both ways, its exit status
	run ptydrive --size 33 101 --expect "# " --send 'tty; stty size; echo x-$A-$((2+3))\r' \
		--expect x-1-5 --send 'exit 6\r' -- "$BERTH" --root "$ROOT" exec -it v2 sh
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"[0-9]* ]]
	[[ "$output" == *"33 101"* ]]
	[[ "$output" == *"status 6"* ]]
	b kill -s USR1 v2
	wait_log v2 "got USR1"
	run b ps
	[[ "$output" == *v2* ]]
	# TERM is ignored: stop's timeout, then a hard power-off (SIGKILL: 137)
	b stop -t 1 v2
	wait_exited v2
	b inspect v2 | jqe '.exit_code == 137'
	run b ps -a
	[[ "$output" == *"Exited (137)"*" (vm)"*v2* ]]
	[[ "$output" != *"->8080/tcp"* ]]
	run b port v2
	[ -z "$output" ]
	[ ! -e "/proc/$vmpid" ]
	b rm v2
	assert_vm_gone "$id" "$vmpid"
}

@test "create --vm, start -a, start: --entrypoint and cmd, --memory is the guest's RAM, logs; stop relays SIGTERM, kill powers off; exec events; rm -f of a running one leaves nothing" {
	run b create --vm --name c1 -m 100m --entrypoint sh busybox -c \
		'echo "ep $(awk "/MemTotal/ { print int(\$2 / 1024) }" /proc/meminfo)"; exit 3'
	[ "$status" -eq 0 ]
	run b ps -a
	[[ "$output" == *"Created (vm)"*c1* ]]
	run b start -a c1
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" =~ ^ep\ ([0-9]+)$ ]]
	# the guest's RAM less what its kernel keeps
	[ "${BASH_REMATCH[1]}" -gt 64 ] && [ "${BASH_REMATCH[1]}" -le 100 ] || false
	b start c1
	wait_exited c1
	run b logs c1
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[1]}" = "${lines[0]}" ]
	b inspect c1 | jqe '.exit_code == 3'
	b rm c1
	# kill (SIGKILL): a hard power-off, 137; started again, rm -f
	run b run --vm -d --name c2 busybox sh -c 'echo up; exec sleep 1000'
	[ "$status" -eq 0 ]
	id=$output
	wait_log c2 up
	run b exec c2 sh -c 'exit 9'
	[ "$status" -eq 9 ]
	run b events --since 946684800 --until "$(date +%s.%N)" -f event=exec_die \
		--format '{{.Actor.Attributes.exitCode}}'
	[ "$output" = 9 ]
	local i n
	# stop: SIGTERM through the agent ends it (143) well before its timeout
	b stop -t 600 c2
	b inspect c2 | jqe '.exit_code == 143'
	for n in 2 3; do
		b start c2
		for i in $(seq 1200); do
			if [ "$(b logs c2 | grep -c up)" -eq "$n" ]; then break; fi
			sleep 0.25
		done
		[ "$(b logs c2 | grep -c up)" -eq "$n" ]
		if [ "$n" -eq 2 ]; then
			b kill c2
			wait_exited c2
			b inspect c2 | jqe '.exit_code == 137'
		fi
	done
	vmpid=$(b inspect c2 | jq -r .pid)
	[ -e "/proc/$vmpid" ]
	b rm -f c2
	assert_vm_gone "$id" "$vmpid"
}

@test "run --vm -i: our stdin is the command's, to its end; without -i none; -di and attach" {
	run --separate-stderr bash -c \
		'seq 3000 | "$0" --root "$1" run --vm --rm -i busybox sh -c "wc -l; exit 2"' "$BERTH" "$ROOT"
	echo "$output $stderr"
	[ "$status" -eq 2 ]
	[ "$output" = 3000 ]
	run bash -c 'echo hi | "$0" --root "$1" run --vm --rm busybox sh -c "cat; echo end"' "$BERTH" "$ROOT"
	[ "$status" -eq 0 ]
	[ "$output" = end ]
	# detached with -i: berth attach's input
	b run --vm -di --name v3 busybox sh -c 'read x; echo "got $x"'
	run bash -c 'echo hello | "$0" --root "$1" attach v3' "$BERTH" "$ROOT"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "got hello" ]
	b rm v3
	[ -z "$(ls "$ROOT/containers")" ]
}

@test "run --vm -it: a shell on a terminal (a pty in the guest), its exit status" {
	run ptydrive --size 44 120 --expect "/ # " --send 'tty; stty size; echo hi-$((1+2))\r' \
		--expect hi-3 --send 'exit 3\r' -- "$BERTH" --root "$ROOT" run --vm --rm -it busybox sh
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"44 120"* ]]
	[[ "$output" == *"status 3"* ]]
	[ -z "$(ls "$ROOT/containers")" ]
}

@test "run --vm: no guest kernel built: one line saying how to build it, exit 125, nothing left" {
	mkdir "$BATS_TEST_TMPDIR/empty"
	BERTH_GUEST_CACHE=$BATS_TEST_TMPDIR/empty run --separate-stderr b run --vm --rm busybox true
	echo "$stderr"
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"guest/build-kernel.sh"* ]]
	[[ "$stderr" == *"$BATS_TEST_TMPDIR/empty"* ]]
	assert_nothing_left
}

@test "run --vm boots this tree's kernel and agent, not a newer one another tree built" {
	mkdir "$BATS_TEST_TMPDIR/cache"
	ln -s "$KERNEL" "$AGENT" "$BUSYBOX_RV" "$BATS_TEST_TMPDIR/cache/"
	# another tree's (here: not bootable) kernel and agent, made after ours
	head -c 4096 /dev/zero >"$BATS_TEST_TMPDIR/cache/Image-ffffffffffffffff"
	head -c 4096 /dev/zero >"$BATS_TEST_TMPDIR/cache/agent-ffffffffffffffff.cpio.gz"
	BERTH_GUEST_CACHE=$BATS_TEST_TMPDIR/cache run b run --vm --rm busybox echo own-guest
	[ "$status" -eq 0 ]
	[[ "$output" == *own-guest* ]]
	# without ours, the error names the file it wants
	rm "$BATS_TEST_TMPDIR/cache/${AGENT##*/}"
	BERTH_GUEST_CACHE=$BATS_TEST_TMPDIR/cache run --separate-stderr b run --vm --rm busybox true
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"${AGENT##*/}"* ]]
	assert_nothing_left
}

@test "run --vm: too little memory, bad --cpus, unsupported flags, an image with no riscv64 variant: one line each" {
	run --separate-stderr b run --vm -m 16m busybox true
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"--memory"*"at least 64M"* ]]
	run --separate-stderr b run --vm --cpus 1.5 busybox true
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"--cpus"*"whole number"* ]]
	run --separate-stderr b run --vm -p 8080 busybox true
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"bad -p \`8080\`: with --vm a host port"* ]]
	run --separate-stderr b run --vm --platform linux/amd64 busybox true
	echo "$stderr"
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"bad --platform \`linux/amd64\` with --vm"*"linux/riscv64"* ]]
	run --separate-stderr b create --vm --platform linux/arm64/v8 busybox true
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"bad --platform \`linux/arm64/v8\` with --vm"* ]]
	run --separate-stderr b run --vm --network container:x busybox true
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"--vm: --network container:x is not supported"* ]]
	image_with_config busybox hostonly User root
	run --separate-stderr b run --vm hostonly true
	echo "$stderr"
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *riscv64* ]]
	assert_nothing_left
}
