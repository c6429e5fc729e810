#!/usr/bin/env bats
# berth logs as Docker's (issue 17, bug 12): the container's stdout to stdout and its stderr
# to stderr, --tail, -t, --since, --until, -f; a terminal is one stream; an older berth's log.
load helpers
load engine-helpers
bats_require_minimum_version 1.5.0

BERTH=$BERTH_BUILD/berth

setup() {
	ROOT=$BATS_TEST_TMPDIR/root
}

teardown() {
	engine_rm_all
}

# RFC 3339 with nanoseconds, UTC, as Docker's logs -t
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z'

@test "logs: the container's stdout to stdout, its stderr to stderr" {
	run b run --name c busybox sh -c 'echo out1; echo err1 >&2; printf part; echo err2 >&2; echo rest'
	[ "$status" -eq 0 ]
	run --separate-stderr b logs c
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'out1\npartrest')" ]
	[ "$stderr" = "$(printf 'err1\nerr2')" ]
	# a detached container's too
	id=$(b run -d busybox sh -c 'echo o; echo e >&2')
	for i in $(seq 100); do b ps -a --format json | jqe '.[] | select(.id == "'"$id"'") | .state == "exited"' && break; sleep 0.2; done
	run --separate-stderr b logs "$id"
	[ "$output" = o ]
	[ "$stderr" = e ]
}

@test "logs --tail N|all, -n" {
	b run --name c busybox sh -c 'for i in 1 2 3 4; do echo $i; done; echo 5 >&2' >/dev/null 2>&1
	run --separate-stderr b logs --tail 2 c
	[ "$status" -eq 0 ]
	[ "$output" = 4 ]
	[ "$stderr" = 5 ]
	run --separate-stderr b logs -n 3 c
	[ "$output" = "$(printf '3\n4')" ]
	run --separate-stderr b logs --tail=0 c
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	run --separate-stderr b logs --tail all c
	[ "$output" = "$(printf '1\n2\n3\n4')" ]
	run --separate-stderr b logs --tail 100 c
	[ "$output" = "$(printf '1\n2\n3\n4')" ]
	[ "$stderr" = 5 ]
}

@test "logs -t: each line after its time, RFC 3339 with nanoseconds" {
	b run --name c busybox sh -c 'echo a; echo b >&2; printf c; echo d' >/dev/null 2>&1
	run --separate-stderr b logs -t c
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" =~ ^${TS}\ a$ ]]
	[[ "${lines[1]}" =~ ^${TS}\ cd$ ]]
	[[ "$stderr" =~ ^${TS}\ b$ ]]
	# (the order of lines across the two streams is as the monitor read them: one stream here)
	b run --name d busybox sh -c 'echo a; printf c; echo d' >/dev/null
	run b logs --timestamps --tail 1 d
	[[ "$output" =~ ^${TS}\ cd$ ]]
}

@test "logs --since and --until: RFC 3339 times, Unix seconds, durations" {
	b run --name c busybox sh -c 'echo a; sleep 1.2; echo b' >/dev/null
	run b logs -t c
	[ "${#lines[@]}" -eq 2 ]
	ta=${lines[0]%% *}
	tb=${lines[1]%% *}
	run b logs --since "$tb" c
	[ "$status" -eq 0 ]
	[ "$output" = b ]
	run b logs --until "$ta" c
	[ "$output" = a ]
	run b logs --since "$ta" --until "$tb" c
	[ "$output" = "$(printf 'a\nb')" ]
	# Unix seconds; durations before now
	run b logs --until 946684800 c
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run b logs --since "$(($(date +%s) + 3600))" c
	[ -z "$output" ]
	run b logs --since 10m c
	[ "$output" = "$(printf 'a\nb')" ]
	run b logs --since 1h30m --until 0s c
	[ "$output" = "$(printf 'a\nb')" ]
	run b logs --until 10m c
	[ -z "$output" ]
	run b logs --since 2000-01-01T00:00:00.5+01:00 --tail 1 c
	[ "$output" = b ]
}

@test "logs: bad values are one line, exit 125" {
	b run --name c busybox true
	bad 125 'bad --tail `x`: expected a number of lines or `all`' logs --tail x c
	bad 125 'bad --tail `-1`' logs -n -1 c
	bad 125 'bad --since `yesterday`: expected an RFC 3339 time' logs --since yesterday c
	bad 125 'bad --until `10x`' logs --until 10x c
	bad 125 'bad --until `2026-13-01T00:00:00Z`' logs --until 2026-13-01T00:00:00Z c
	bad 125 'option `--since` needs a value' logs --since
	bad 125 'unknown option `--tai`' logs --tai 1 c
	bad 125 'no container "nope"' logs nope
	bad 125 'expected one NAME' logs
}

@test "logs -f follows both streams and ends when the container exits" {
	id=$(b run -d busybox sh -c 'echo one; sleep 1; echo two >&2; sleep 0.5; echo three')
	run --separate-stderr timeout 60 "$BERTH" --root "$ROOT" logs -f "$id"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'one\nthree')" ]
	[ "$stderr" = two ]
	# with --tail and -t
	run --separate-stderr timeout 60 "$BERTH" --root "$ROOT" logs -f -t --tail 1 "$id"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^${TS}\ three$ ]]
	[ -z "$stderr" ]
}

@test "logs: a terminal (-t) is one stream, to stdout" {
	id=$(b run -d -t busybox sh -c 'echo o; echo e >&2')
	for i in $(seq 100); do b ps -a --format json | jqe '.[] | select(.id == "'"$id"'") | .state == "exited"' && break; sleep 0.2; done
	run --separate-stderr b logs "$id"
	[ "$status" -eq 0 ]
	[ "$(printf '%s' "$output" | tr -d '\r')" = "$(printf 'o\ne')" ]
	[ -z "$stderr" ]
}

@test "logs: an older berth's plain log is shown as it is, and refused with -t, --tail, --since" {
	id=$(b run -d busybox true)
	for i in $(seq 100); do b ps -a --format json | jqe '.[] | select(.id == "'"$id"'") | .state == "exited"' && break; sleep 0.2; done
	rm "$ROOT/containers/$id/ctr.k8s.log"
	printf 'old out\nold err\n' >"$ROOT/containers/$id/ctr.log"
	run --separate-stderr b logs "$id"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'old out\nold err')" ]
	bad 125 "log was written by an older berth, without times or streams" logs -t "$id"
	bad 125 "only \`berth logs [-f]\` reads it" logs --tail 1 "$id"
	bad 125 "older berth" logs --since 10m "$id"
}
