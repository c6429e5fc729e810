# Helpers of the engine's command-line tests (engine-cli.bats, engine-output.bats), loaded
# after helpers.bash; $ROOT is the test's store.

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
