#!/usr/bin/env bats
# berth bench compare (issue 15, item 3): the same image as a native container, an emulated
# one (--platform linux/riscv64) and a VM-backed one (--vm), every row measured. One
# invocation makes the JSON and the SVG (a VM boots several times: slow under ASan); the
# others are refusals, which start nothing.
load helpers
load engine-helpers
bats_require_minimum_version 1.5.0

setup() {
	ROOT=$BATS_TEST_TMPDIR/root
	riscv64_setup vm
}

# Nothing of a compare is left: no container, volume or network of its own, no process
# (each of them names the store on its command line), no mount.
assert_compare_gone() {
	[ -z "$(b ps -a -q)" ]
	[ -z "$(b volume ls -q)" ]
	run ! grep -q ' cmp[0-9]*-net ' <<<"$(b network ls)"
	run ! grep -q "$ROOT/containers" /proc/self/mountinfo
	# a removed instance's last process may take a moment to be reaped (bounded)
	local i
	for i in $(seq 100); do
		proc_alive "$ROOT" || break
		sleep 0.2
	done
	run ! proc_alive "$ROOT"
}

@test "bench compare --runs 1 --json --plot: every row of every column, with units; a well-formed SVG; nothing left" {
	run --separate-stderr b bench compare --runs 1 --json --plot "$BATS_TEST_TMPDIR/c.svg"
	echo "status=$status stderr=$stderr"
	echo "$output"
	[ "$status" -eq 0 ]
	# it said what it was doing
	[[ "$stderr" == *"memory: starting VM-backed container instance 2/3"* ]]
	jqe '.columns | map(.id) == ["native", "emulated", "vm"]' <<<"$output"
	jqe '.rows | map(.id) == ["start_to_first_output", "start_to_exit", "memory_per_instance",
		"cpu_sh_loop", "io_write_fsync", "io_read", "network_throughput", "density_1gib",
		"disk_footprint", "isolation"]' <<<"$output"
	# every cell measured: a positive number (a text for the boundary) and a unit
	jqe '[.rows[] | .cells[] | select(.unit == "" or .unit == null)] | length == 0' <<<"$output"
	jqe '[.rows[] | select(.id != "isolation") | .cells[] | .value | select(type != "number" or . <= 0)] | length == 0' <<<"$output"
	jqe '[.rows[] | select(.id == "isolation") | .cells[] | .value | select(type != "string")] | length == 0' <<<"$output"
	jqe '.rows[] | select(.id == "isolation") | .cells.vm.value | test("own kernel")' <<<"$output"
	jqe '.rows[] | select(.id == "isolation") | .cells.native.value | test("shared host kernel")' <<<"$output"
	jqe '.rows[] | select(.id == "density_1gib") | .cells.vm.note | test("extrapolated")' <<<"$output"
	jqe '.rows[] | select(.id == "cpu_sh_loop") | .cells.emulated.ratio_to_native > 1' <<<"$output"
	jqe '[.rows[] | .verdict | select(length > 0)] | length == 10' <<<"$output"
	jqe '.kvm.column == false and (.kvm.why | length > 0)' <<<"$output"
	xmllint --noout "$BATS_TEST_TMPDIR/c.svg"
	[ "$(grep -c '<g>' "$BATS_TEST_TMPDIR/c.svg")" -eq 9 ]
	assert_compare_gone
}

@test "bench compare: an image with no riscv64 variant: the emulated and VM columns say why, native is measured" {
	image_with_config busybox hostonly User root
	run --separate-stderr b bench compare --runs 1 --json hostonly
	echo "status=$status stderr=$stderr"
	echo "$output"
	[ "$status" -eq 0 ]
	jqe '[.rows[] | .cells.native.value | select(. == null)] | length == 0' <<<"$output"
	jqe '[.rows[] | .cells.emulated | select(.value != null or (.not_measured | test("riscv64") | not))] | length == 0' <<<"$output"
	jqe '[.rows[] | .cells.vm | select(.value != null or (.not_measured | test("riscv64") | not))] | length == 0' <<<"$output"
	jqe '.columns[1].not_measured | test("riscv64")' <<<"$output"
	assert_compare_gone
}

@test "bench compare: an image not in the store, a bad --runs, a second IMAGE: one line, 125, nothing started" {
	bad 125 "no image \`nosuch:1\` in the store" bench compare nosuch:1
	bad 125 "bad --runs \`0\`" bench compare --runs 0
	bad 125 "bad --runs \`x\`" bench compare --runs x
	bad 125 "expected at most one IMAGE" bench compare busybox busybox
	bad 125 "expected \`compare\`" bench
	assert_compare_gone
}
