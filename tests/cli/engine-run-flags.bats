#!/usr/bin/env bats
# run/create flags of Docker's (issue 17): --stop-signal, --stop-timeout, --cidfile, --replace,
# -l/--label, --label-file, --tz, --privileged, --security-opt, --ulimit, --sysctl, --shm-size,
# --device, --init, and Docker's default capabilities. Bad input: one line, 125, nothing left.
load helpers
load engine-helpers
bats_require_minimum_version 1.5.0

# the container's recorded exit code once it stopped
exit_code() {
	b inspect --format '{{.exit_code}}' "$1"
}

@test "run --stop-signal: berth stop sends it; the image's StopSignal too" {
	b run -d --name s1 --stop-signal USR1 busybox sh -c 'trap "exit 7" USR1; while :; do sleep 0.1; done'
	run -0 b stop s1
	run -0 exit_code s1
	[ "$output" = 7 ]
	run -0 b inspect --format '{{.stop_signal}}' s1
	[ "$output" = USR1 ]
	image_with_config busybox sigimg StopSignal SIGUSR2
	b run -d --name s2 sigimg sh -c 'trap "exit 8" USR2; while :; do sleep 0.1; done'
	run -0 b stop s2
	run -0 exit_code s2
	[ "$output" = 8 ]
}

@test "run --stop-timeout: berth stop kills after it, unless -t is given" {
	# the handler takes a second: with a timeout of 0 it is killed first (137)
	b run -d --name t0 --stop-signal USR1 --stop-timeout 0 busybox sh -c 'trap "sleep 1; exit 7" USR1; while :; do sleep 0.1; done'
	run -0 b stop t0
	run -0 exit_code t0
	[ "$output" = 137 ]
	run -0 b inspect --format '{{.stop_timeout}}' t0
	[ "$output" = 0 ]
	# -t wins over --stop-timeout
	b run -d --name t1 --stop-signal USR1 --stop-timeout 0 busybox sh -c 'trap "sleep 1; exit 7" USR1; while :; do sleep 0.1; done'
	run -0 b stop -t 60 t1
	run -0 exit_code t1
	[ "$output" = 7 ]
}

@test "run --cidfile writes the id and refuses a file that exists" {
	run -0 b run -d --cidfile "$BATS_TEST_TMPDIR/cid" busybox sleep 100
	id=$output
	[ "$(cat "$BATS_TEST_TMPDIR/cid")" = "$id" ]
	engine_rm_all
	echo old >"$BATS_TEST_TMPDIR/cid2"
	bad 125 'bad --cidfile' run --rm --cidfile "$BATS_TEST_TMPDIR/cid2" busybox true
	[ "$(cat "$BATS_TEST_TMPDIR/cid2")" = old ]
	assert_nothing_left
	# a refused flag leaves no cidfile behind
	bad 125 'bad --ulimit' run --rm --cidfile "$BATS_TEST_TMPDIR/cid3" --ulimit x busybox true
	[ ! -e "$BATS_TEST_TMPDIR/cid3" ]
}

@test "run --replace removes the container of that name first" {
	run -0 b create --name r1 busybox true
	old=$output
	run -0 b run -d --replace --name r1 busybox sleep 100
	new=$output
	[ "$old" != "$new" ]
	run -0 b ps -a --format json
	[ "$(jq -r '.[].id' <<<"$output")" = "$new" ]
	bad 125 '--replace needs --name' run --rm --replace busybox true
}

@test "run -l, --label, --label-file: shown by inspect" {
	printf '# a comment\nfile=yes\n\nb=2\n' >"$BATS_TEST_TMPDIR/labels"
	bad 125 'bad --label `=x`' run --rm -l =x busybox true
	bad 125 '--label-file' run --rm --label-file /nonexistent busybox true
	assert_nothing_left
	b create --name l1 -l a=1 --label b=1 --label-file "$BATS_TEST_TMPDIR/labels" busybox true
	b inspect l1 | jqe '.labels == {"a": "1", "b": "2", "file": "yes"}'
}

@test "run --tz sets TZ; an unknown zone is refused" {
	run -0 b run --rm --tz Europe/Berlin busybox sh -c 'echo $TZ'
	[ "$output" = Europe/Berlin ]
	bad 125 'no such zone' run --rm --tz Mars/Olympus busybox true
	bad 125 'bad --tz `../x`' run --rm --tz ../x busybox true
	assert_nothing_left
}

@test "run: Docker's default capabilities; --privileged has them all and a writable /sys" {
	run -0 b run --rm busybox grep CapBnd /proc/self/status
	[[ "$output" == *00000000a80425fb ]]
	run -0 b run --rm busybox grep NoNewPrivs /proc/self/status
	[[ "$output" == *0 ]]
	# CAP_SYS_ADMIN (21) and CAP_SYS_MODULE (16) among them (berth warns of the ones its own
	# bounding set lacks)
	run -0 --separate-stderr b run --rm --privileged busybox grep CapEff /proc/self/status
	eff=$((16#${output##*[[:space:]]}))
	[ $((eff & (1 << 21))) -ne 0 ]
	[ $((eff & (1 << 16))) -ne 0 ]
	run -0 b run --rm --privileged busybox sh -c 'grep " /sys sysfs " /proc/mounts'
	[[ "$output" == *" rw,"* ]]
	# a host device is there
	run -0 b run --rm --privileged busybox test -c /dev/zero
}

@test "run --security-opt no-new-privileges and seccomp=FILE|unconfined" {
	run -0 b run --rm --security-opt no-new-privileges busybox grep NoNewPrivs /proc/self/status
	[[ "$output" == *1 ]]
	cat >"$BATS_TEST_TMPDIR/sec.json" <<-'J'
	{"defaultAction": "SCMP_ACT_ALLOW",
	 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
	J
	run b run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/sec.json" busybox mkdir /x
	[ "$status" -eq 1 ]
	run -0 b run --rm --security-opt seccomp=unconfined busybox mkdir /x
	echo '{"syscalls": []}' >"$BATS_TEST_TMPDIR/nodefault.json"
	bad 125 'expected a JSON object with defaultAction' run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/nodefault.json" busybox true
	bad 125 'bad --security-opt seccomp=/nonexistent' run --rm --security-opt seccomp=/nonexistent busybox true
	bad 125 'bad --security-opt `label=x`' run --rm --security-opt label=x busybox true
	assert_nothing_left
}

@test "run: Docker's default seccomp profile, built for the container's capabilities" {
	run -0 b run --rm busybox grep '^Seccomp:' /proc/self/status
	[ "$output" = "Seccomp:	2" ]
	# unshare is refused by the profile (the kernel alone would let root make a user namespace)
	run -1 b run --rm busybox unshare -U true
	[[ "$output" == *"Operation not permitted"* ]] || false
	run -0 b run --rm --security-opt seccomp=unconfined busybox unshare -U true
	run -0 b run --rm --cap-add SYS_ADMIN busybox unshare -U true
	run -0 b run --rm --privileged busybox grep '^Seccomp:' /proc/self/status
	# (and a warning that CAP_SYS_RESOURCE, which this host's root lacks, is not granted)
	[[ "$output" == *"Seccomp:	0"* ]] || false
	# the profile does not get in the way of a shell: fork, background jobs, pipes
	run -0 b run --rm busybox sh -c 'sleep 0.1 & wait; echo a | cat; id -u'
	[ "$output" = "$(printf 'a\n0')" ]
}

@test "run and exec: the process starts with no signal blocked" {
	run -0 b run --rm busybox grep '^SigBlk:' /proc/self/status
	[ "$output" = "SigBlk:	0000000000000000" ]
	run -0 b run -d --name sig busybox sleep 100
	run -0 b exec sig grep '^SigBlk:' /proc/self/status
	[ "$output" = "SigBlk:	0000000000000000" ]
	run -0 b rm -f sig
}

@test "run --ulimit, --sysctl, --shm-size" {
	run -0 b run --rm --ulimit nofile=100:200 busybox sh -c 'ulimit -n; ulimit -Hn'
	[ "${lines[0]}" = 100 ]
	[ "${lines[1]}" = 200 ]
	run -0 b run --rm --sysctl net.ipv4.ip_forward=1 busybox cat /proc/sys/net/ipv4/ip_forward
	[ "$output" = 1 ]
	run -0 b run --rm --shm-size 1m busybox sh -c 'grep " /dev/shm " /proc/mounts'
	[[ "$output" == *size=1024k* ]]
	bad 125 'unknown limit' run --rm --ulimit bogus=1 busybox true
	bad 125 'soft limit is above' run --rm --ulimit nofile=20:10 busybox true
	bad 125 'not namespaced' run --rm --sysctl kernel.panic=1 busybox true
	bad 125 'with --network host' run --rm --network host --sysctl net.ipv4.ip_forward=1 busybox true
	bad 125 'bad --shm-size `lots`' run --rm --shm-size lots busybox true
	assert_nothing_left
}

@test "run --device HOST:CTR:PERMS" {
	run -0 b run --rm --device /dev/zero:/dev/myzero:rw busybox sh -c 'test -c /dev/myzero && head -c 4 /dev/myzero | od -An -tx1'
	[[ "$output" == *"00 00 00 00"* ]]
	bad 125 'is not a device' run --rm --device /etc/passwd busybox true
	bad 125 'bad --device `/dev/zero:rwz`' run --rm --device /dev/zero:rwz busybox true
	bad 125 'bad --device `/nonexistent`' run --rm --device /nonexistent busybox true
	assert_nothing_left
}

@test "run --init: a reaper as pid 1 that forwards signals and passes the status on" {
	run -0 b run --rm --init busybox sh -c 'cat /proc/1/cmdline | tr "\0" " "'
	[[ "$output" == "/dev/init -- sh -c"* ]]
	run b run --rm --init busybox sh -c 'exit 3'
	[ "$status" -eq 3 ]
	# an orphan is reparented to pid 1, which reaps it
	run -0 b run --rm --init busybox sh -c 'sh -c "sleep 0.2 &"; sleep 2; ps -o stat,comm'
	[[ "$output" != *Z* ]]
	# sleep (not pid 1) dies of the forwarded SIGTERM: 143, not a SIGKILL's 137
	b run -d --init --name i1 busybox sleep 1000
	run -0 b stop -t 60 i1
	run -0 exit_code i1
	[ "$output" = 143 ]
}
