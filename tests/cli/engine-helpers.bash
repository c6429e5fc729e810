# Helpers of the engine's command-line tests (engine-cli.bats, engine-output.bats,
# engine-logs.bats, engine-lifecycle.bats), loaded after helpers.bash; $ROOT is the test's
# store. A file may define its own teardown after loading this.

BERTH=$BERTH_BUILD/berth

# each test has a store of its own, and its containers are removed after it
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

