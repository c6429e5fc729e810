#!/usr/bin/env bats
# berth-runtime: the behaviour the OCI runtime spec and its conformance suites (runtime-tools'
# validation, crun's and runc's end-to-end tests) expect where berth once differed.
load helpers
bats_require_minimum_version 1.5.0

# pid is gone or a zombie (this host reaps orphans late)
pid_dead() { [ ! -e "/proc/$1" ] || grep -q "^State:.*Z" "/proc/$1/status"; }

setup() { common_setup; }
teardown() {
	common_teardown
	if [ -n "${FOREIGN:-}" ]; then
		echo THAWED >"$FOREIGN/freezer.state" 2>/dev/null || true
		rmdir "$FOREIGN" 2>/dev/null || true
	fi
}

@test "delete --force of a container that does not exist succeeds" {
	run rt delete --force no-such-container
	[ "$status" -eq 0 ]
	run rt delete no-such-container
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "delete --force kills an init frozen by a freezer that is not the container's" {
	[ -d /sys/fs/cgroup/freezer ] || skip "no v1 freezer hierarchy"
	make_bundle "$BUNDLE" sleep 1000
	rt create --bundle "$BUNDLE" "$ID"
	pid=$(rt state "$ID" | jq .pid)
	FOREIGN=/sys/fs/cgroup/freezer/berth-foreign-$$
	mkdir "$FOREIGN"
	echo "$pid" >"$FOREIGN/tasks"
	echo FROZEN >"$FOREIGN/freezer.state"
	run rt delete --force "$ID"
	[ "$status" -eq 0 ]
	pid_dead "$pid"
	assert_gone "$ID"
}
