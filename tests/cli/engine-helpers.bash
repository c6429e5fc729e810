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

# wait_pid PID: the status of a background job of the test, polled (bounded) for its end;
# one that does not end is killed (by its pid) and counts as a failure (status 200).
wait_pid() {
	local i st=0
	for i in $(seq 300); do
		[ -e "/proc/$1" ] || break
		[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ] || break
		sleep 0.1
	done
	if [ -e "/proc/$1" ] && [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]; then
		kill -9 "$1"
		wait "$1" || true
		return 200
	fi
	wait "$1" || st=$?
	return "$st"
}

# In setup, for tests of the built-in busybox's riscv64 variant: Debian's riscv64
# busybox-static fetched into the guest cache (guest/fetch-busybox.sh; once per machine, so
# a fresh machine tests these too whatever file runs first) and BERTH_GUEST_CACHE pointed
# there; skipped only when it cannot be fetched (offline). With `vm`: the guest kernel and
# the agent for --vm as well (guest/build-kernel.sh, guest/build-agent.sh).
riscv64_setup() {
	local bb
	bb=$("$BERTH_TOP/guest/fetch-busybox.sh") || bb=
	[ -s "$bb" ] || skip "no riscv64 busybox: guest/fetch-busybox.sh could not fetch it"
	export BERTH_GUEST_CACHE=${bb%/*}
	if [ "${1:-}" = vm ]; then
		"$BERTH_TOP/guest/build-kernel.sh" >/dev/null || skip "guest/build-kernel.sh failed"
		"$BERTH_TOP/guest/build-agent.sh" >/dev/null || skip "guest/build-agent.sh failed"
	fi
}

# wait_log NAME TEXT: poll (bounded: VM_POLLS times 0.25 s, default 1200) until container
# NAME's log holds TEXT (a guest's boot can take minutes under load).
wait_log() {
	local i
	for i in $(seq "${VM_POLLS:-1200}"); do
		b logs "$1" 2>&1 | grep -q -- "$2" && return 0
		sleep 0.25
	done
	b logs "$1"
	return 1
}

# vm_guest_setup_file: in setup_file of a file that boots `berth run --vm` guests: KERNEL,
# AGENT and BUSYBOX_RV (each empty when it could not be built or fetched), exported, and
# BERTH_GUEST_CACHE pointed at the guest scripts' cache, where the engine boots its own tree's
# Image-KEY and agent-KEY (another tree's builds beside them do not matter).
vm_guest_setup_file() {
	KERNEL=$("${BERTH_TOP:?}/guest/build-kernel.sh") || KERNEL=
	AGENT=$("$BERTH_TOP/guest/build-agent.sh") || AGENT=
	BUSYBOX_RV=$("$BERTH_TOP/guest/fetch-busybox.sh") || BUSYBOX_RV=
	export KERNEL AGENT BUSYBOX_RV
	if [ -n "$KERNEL" ]; then
		export BERTH_GUEST_CACHE=${KERNEL%/*}
	fi
}

# vm_guest_skip: in setup, skip the test when vm_guest_setup_file found no guest.
vm_guest_skip() {
	if [ -z "$KERNEL" ] || [ -z "$AGENT" ] || [ -z "$BUSYBOX_RV" ]; then
		skip "guest kernel, agent or riscv64 busybox could not be built"
	fi
}
