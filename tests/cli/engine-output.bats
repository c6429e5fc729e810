#!/usr/bin/env bats
# berth's command line as a Docker user expects it (issue 17, continued): what `berth images`
# shows, --memory's minimum, and a non-root user told that berth needs root.
load helpers
bats_require_minimum_version 1.5.0

BERTH=$BERTH_BUILD/berth

setup() {
	ROOT=$BATS_TEST_TMPDIR/root
}

teardown() {
	engine_rm_all
}

# Nothing of a refused run is left: no container, no runtime state, no mount.
assert_nothing_left() {
	[ -z "$(ls "$ROOT/containers" 2>/dev/null)" ]
	[ -z "$(ls "$ROOT/runtime" 2>/dev/null)" ]
	run ! grep -q "$ROOT/containers" /proc/self/mountinfo
}

# bad STATUS TEXT CMD…: berth refuses with STATUS, one line on stderr containing TEXT,
# nothing on stdout.
bad() {
	local want=$1 text=$2
	shift 2
	run --separate-stderr b "$@"
	echo "status=$status stdout=$output stderr=$stderr"
	[ "$status" -eq "$want" ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"$text"* ]]
}

# berth as the unprivileged user nobody (uid and gid 65534, no groups)
nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$BERTH" --root "$ROOT" "$@"
}

@test "run --memory below the runtime's minimum (6m) is refused up front, nothing left" {
	bad 125 'bad --memory `100`: 100 bytes is below the minimum of 6m (6291456 bytes)' \
		run --memory 100 busybox true
	assert_nothing_left
	bad 125 'bad --memory `5m`: 5242880 bytes is below the minimum of 6m' \
		run --rm --memory=5m busybox true
	bad 125 'bad --memory `6291455`' run -d --memory 6291455 busybox true
	assert_nothing_left
	run b ps -a --format json
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
}

@test "not root: every command that needs the store says so in one line, exit 125" {
	local cmd
	mkdir -m 0755 "$ROOT"
	for cmd in images ps "run --rm busybox true" "pull busybox" "image import /dev/null" \
		"rmi busybox" "network ls" "load -i /dev/null" "start x" "exec x true"; do
		# shellcheck disable=SC2086 # the command's words
		run --separate-stderr nobody $cmd
		echo "$cmd: status=$status stdout=$output stderr=$stderr"
		[ "$status" -eq 125 ]
		[ -z "$output" ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" == *"berth needs root for now (rootless is planned)"* ]]
		[[ "$stderr" == *"sudo berth ${cmd%% *}"* ]]
	done
	# the store was not touched
	[ -z "$(ls -A "$ROOT")" ]
	# help and the version need no root
	run nobody --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"commands:"* ]]
	run nobody version
	[ "$status" -eq 0 ]
	[[ "$output" == "berth version "* ]]
	run --separate-stderr nobody images --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: berth images"* ]]
	run --separate-stderr nobody run --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: berth run"* ]]
	run --separate-stderr nobody network create --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: berth network create"* ]]
	[ -z "$(ls -A "$ROOT")" ]
}
