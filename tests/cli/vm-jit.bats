#!/usr/bin/env bats
# `berth vm run --accel jit`: the reference guest through the x86-64 translator. `timeout
# 600` is only a safety net against hangs, not a time limit.
# Environment: BERTH_BUILD, BERTH_TOP (tests/cli/vm-helpers.bash).

load vm-helpers

setup_file() { vm_setup_file; }

setup() {
	vm_setup
	[ "$(uname -m)" = x86_64 ] || skip "the translator is x86-64 only"
}

vm() {
	run timeout 600 "$BERTH" vm run --kernel "$KERNEL" --initrd "$INITRD" "$@" </dev/null
}

# the guest's shell: digests of data made in the guest (busybox seq, gzip, sha256sum, md5sum)
cmd='console=ttyS0 -- "echo BERTH-JIT-$((6*7)); seq 1 2000 | sha256sum; dd if=/dev/zero bs=64k count=16 2>/dev/null | gzip -9 | sha256sum; head -c 2000000 /bin/busybox | gzip -1 | md5sum"'

@test "vm --accel jit: the guest boots and runs a shell command" {
	vm --accel jit --append "$cmd"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"BERTH-GUEST-READY cpus=1"* ]]
	[[ "$output" == *"BERTH-JIT-42"* ]]
	[[ "$output" == *"$(seq 1 2000 | sha256sum)"* ]]
	[[ "$output" == *"BERTH-GUEST-EXIT status=0"* ]]
}

@test "vm --accel jit on 2 harts computes what the interpreter computes" {
	vm --accel interp --cpus 2 --append "$cmd"
	[ "$status" -eq 0 ]
	local want
	want=$(grep -E '^[0-9a-f]{32,64}  -' <<<"$output" | tr -d '\r')
	[ "$(wc -l <<<"$want")" -eq 3 ]
	vm --accel jit --cpus 2 --append "$cmd"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"BERTH-GUEST-READY cpus=2"* ]]
	[ "$(grep -E '^[0-9a-f]{32,64}  -' <<<"$output" | tr -d '\r')" = "$want" ]
	[[ "$output" == *"BERTH-GUEST-EXIT status=0"* ]]
}

@test "vm --accel jit: the in-guest benchmark runs" {
	vm --accel jit --append "console=ttyS0 berth.bench=1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"bench int: "*"(2860000 iterations, 7377)"* ]]
	[[ "$output" == *"bench mem: "*"(4 MiB CRC-32, c7ae47a3)"* ]]
}

@test "vm --accel: anything but jit or interp is refused" {
	vm_refused '--accel: expected jit or interp, got "fast"' --kernel "$KERNEL" --accel fast
	vm_refused '--accel' --kernel "$KERNEL" --accel
}

@test "vm: the translator is the default; --accel interp turns it off" {
	BERTH_JIT_STATS=1 vm --append "console=ttyS0"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"BERTH-GUEST-POWEROFF"* ]]
	[[ "$output" == *"jit: "*" blocks"* ]]
	BERTH_JIT_STATS=1 vm --accel interp --append "console=ttyS0"
	[ "$status" -eq 0 ]
	[[ "$output" == *"BERTH-GUEST-POWEROFF"* ]]
	[[ "$output" != *"jit: "*" blocks"* ]]
}

@test "vm run --stats: the translator's figures at the end" {
	vm --stats --cpus 2 --append "console=ttyS0 berth.bench=1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"bench mem: "*"(4 MiB CRC-32, c7ae47a3)"* ]]
	local line
	line=$(grep 'berth vm: stats: .* blocks translated' <<<"$output")
	[[ "$line" =~ stats:\ ([0-9]+)\ blocks\ translated\ in\ [0-9.]+\ s,\ [0-9]+\ stale,\ code\ cache\ [0-9.]+\ of\ 64.0\ MiB,\ [0-9]+\ full\ flushes,\ [0-9]+\ when\ idle\;\ ([0-9]+)\ block\ entries,\ ([0-9.]+)%\ chained ]] || false
	[ "${BASH_REMATCH[1]}" -gt 1000 ]
	# most of a boot's code runs only a few times: it is interpreted, not translated (a
	# boot translated 32,000 blocks per hart when every block was)
	[ "${BASH_REMATCH[1]}" -lt 25000 ]
	[ "${BASH_REMATCH[2]}" -gt 1000000 ]
	# the benchmark's loops stay in translated code
	[ "${BASH_REMATCH[3]%.*}" -ge 90 ]
	line=$(grep 'berth vm: stats: .* block runs interpreted' <<<"$output")
	[[ "$line" =~ stats:\ ([0-9]+)\ block\ runs\ interpreted\ before\ their\ code\ was\ hot,\ ([0-9]+)\ translated\ \(([0-9.]+)%\) ]] || false
	[ "${BASH_REMATCH[1]}" -gt 10000 ]
	[ "${BASH_REMATCH[3]%.*}" -ge 95 ]
	vm --stats --accel interp --append "console=ttyS0"
	[ "$status" -eq 0 ]
	[[ "$output" == *"berth vm: stats: the interpreter ran"* ]]
}
