#!/usr/bin/env bats
# berth-runtime: what a config.json or a command line may ask for, and the errors that say
# no (docs/limits.md): one line naming the field, bounded whatever the input, and nothing
# left behind.
load helpers

setup() { common_setup; }
teardown() { common_teardown; }

# refused JQ-FILTER EXPECTED-MESSAGE-PART: run and create refuse it in one line.
refused() {
	rm -rf "$BUNDLE"
	make_bundle "$BUNDLE" true
	cfg_set "$BUNDLE" "$1"
	run rt run --bundle "$BUNDLE" "$ID"
	echo "${output:0:400}"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"$2"* ]]
	[ "${#output}" -lt 400 ]
	assert_gone "$ID"
}

@test "a user namespace with only one of uid/gid mappings, or a user it cannot map, is refused" {
	refused '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]' \
		'config.json: linux.gidMappings: empty while linux.uidMappings is not'
	refused '.linux.namespaces += [{"type": "user"}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]' \
		'config.json: linux.uidMappings: empty while linux.gidMappings is not'
	refused '.linux.namespaces += [{"type": "user"}] | .process.user.uid = 1000' \
		'config.json: process.user.uid: 1000 cannot be set in a user namespace without linux.uidMappings'
	refused '.linux.namespaces += [{"type": "user"}] | .process.user.additionalGids = [5]' \
		'config.json: process.user.additionalGids: cannot be set in a user namespace without linux.gidMappings'
}

@test "memory.limit below the documented minimum is refused naming the field" {
	refused '.linux.resources.memory = {"limit": 1}' \
		'config.json: linux.resources.memory.limit: 1 bytes is below the minimum of 6291456 (6 MiB)'
	refused '.linux.resources.memory = {"limit": 6291455}' 'linux.resources.memory.limit: 6291455 bytes is below the minimum'
	make_bundle "$BUNDLE.ok" true
	cfg_set "$BUNDLE.ok" '.linux.resources.memory = {"limit": 6291456}'
	run rt run --bundle "$BUNDLE.ok" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "hostname and domainname longer than the kernel's 64 bytes: refused, not echoed" {
	long=$(head -c 71680 /dev/zero | tr '\0' h)
	refused ".hostname = \"$long\"" "config.json: hostname: 71680 bytes, more than the kernel's limit of 64"
	refused ".domainname = \"${long:0:65}\"" "config.json: domainname: 65 bytes, more than the kernel's limit of 64"
	# 10 MB through a file: quick, and the error stays short
	printf '{"hostname": "%s"}' "$(head -c 10485760 /dev/zero | tr '\0' h)" >"$BATS_TEST_TMPDIR/h.json"
	make_bundle "$BUNDLE.big" true
	jq -s '.[0] * .[1]' "$BUNDLE.big/config.json" "$BATS_TEST_TMPDIR/h.json" >"$BATS_TEST_TMPDIR/c.json"
	mv "$BATS_TEST_TMPDIR/c.json" "$BUNDLE.big/config.json"
	run rt create --bundle "$BUNDLE.big" "$ID"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"hostname: 10485760 bytes, more than the kernel's limit of 64"* ]]
	[ "${#output}" -lt 200 ]
	assert_gone "$ID"
	make_bundle "$BUNDLE.ok" hostname
	cfg_set "$BUNDLE.ok" ".hostname = \"${long:0:64}\""
	run rt run --bundle "$BUNDLE.ok" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "${long:0:64}" ]
}

@test "an error that quotes input stays one line and bounded" {
	make_bundle "$BUNDLE" true
	run rt create --bundle "$BUNDLE" $'bad\nid'
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *'invalid container id `bad\nid`'* ]]
	run rt state $'x\x1b[31mred'
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *'`x\x1b[31mred`'* ]]
	# what the command line quotes before any command runs
	run rt $'fr\nob'
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *'unknown command `fr\nob`'* ]]
	run rt $'--x\ny' list
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *'unknown global option `--x\ny`'* ]]
	run rt --log $'/nonexistent/l\nog' list
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *'--log `/nonexistent/l\nog`'* ]]
	long=$(head -c 200 /dev/zero | tr '\0' a)
	run rt state "$long"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#output}" -lt 200 ]
	[[ "$output" == *"…"* ]]
	# a path in a config is cut too
	cfg_set "$BUNDLE" ".mounts += [{\"destination\": \"/x\", \"type\": \"bind\", \"source\": \"/nonexistent/$long\", \"options\": [\"bind\"]}]"
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "${#output}" -lt 400 ]
	assert_gone "$ID"
}

# refused_array JQ-FILTER ELEMENT-JSON COUNT EXPECTED-MESSAGE-PART: FILTER sees COUNT copies of
# ELEMENT as $a[0] (too long for a command line).
refused_array() {
	jq -n --argjson e "$2" --argjson n "$3" '[range($n) | $e]' >"$BATS_TEST_TMPDIR/array.json"
	rm -rf "$BUNDLE"
	make_bundle "$BUNDLE" true
	jq --slurpfile a "$BATS_TEST_TMPDIR/array.json" "$1" "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/c.json"
	mv "$BATS_TEST_TMPDIR/c.json" "$BUNDLE/config.json"
	run rt run --bundle "$BUNDLE" "$ID"
	echo "${output:0:400}"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"$4"* ]]
	assert_gone "$ID"
}

@test "long arrays are refused quickly, naming the JSON path and the limit" {
	refused_array '.mounts += $a[0]' '{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup"}' 5000 'config.json: mounts: 50'
	[[ "$output" == *"entries, more than the limit of 1024"* ]]
	refused_array '.process.rlimits = $a[0]' '{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024}' 65 'config.json: process.rlimits: 65 entries, more than the limit of 64'
	refused_array '.hooks.poststop = $a[0]' '{"path": "/bin/true"}' 129 'config.json: hooks.poststop: 129 entries, more than the limit of 128'
	refused_array '.hooks.prestart = $a[0]' '{"path": "/bin/true"}' 129 'config.json: hooks.prestart: 129 entries, more than the limit of 128'
	refused_array '.hooks.startContainer = $a[0]' '{"path": "/bin/true"}' 129 'config.json: hooks.startContainer: 129 entries, more than the limit of 128'
	refused_array '.linux.devices = $a[0]' '{"path": "/dev/x", "type": "c", "major": 1, "minor": 3}' 1025 'config.json: linux.devices: 1025 entries, more than the limit of 1024'
	refused_array '.linux.resources.devices = $a[0]' '{"allow": false, "access": "rwm"}' 1025 'config.json: linux.resources.devices: 1025 entries, more than the limit of 1024'
	refused_array '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": $a[0]}' '{"names": ["getpid"], "action": "SCMP_ACT_ERRNO"}' 1025 'config.json: linux.seccomp.syscalls: 1025 entries, more than the limit of 1024'
	refused_array '.linux.uidMappings = $a[0]' '{"containerID": 0, "hostID": 0, "size": 1}' 341 'config.json: linux.uidMappings: 341 entries, more than the limit of 340'
	refused_array '.linux.gidMappings = $a[0]' '{"containerID": 0, "hostID": 0, "size": 1}' 341 'config.json: linux.gidMappings: 341 entries, more than the limit of 340'
	refused_array '.mounts = [{"destination": "/mnt", "type": "bind", "source": "/tmp", "options": ["bind"], "uidMappings": $a[0]}] + .mounts' '{"containerID": 0, "hostID": 0, "size": 1}' 341 'config.json: mounts[0].uidMappings: 341 entries, more than the limit of 340'
	refused_array '.linux.sysctl = ($a[0] | to_entries | map({key: "net.x\(.key)", value: "1"}) | from_entries)' 1 1025 'config.json: linux.sysctl: 1025 entries, more than the limit of 1024'
}

@test "a config at the mounts limit still runs" {
	make_bundle "$BUNDLE" true
	n=$((1024 - $(jq '.mounts | length' "$BUNDLE/config.json")))
	jq -n --argjson n "$n" '[range($n) | {"destination": "/mnt", "type": "tmpfs", "source": "tmpfs"}]' >"$BATS_TEST_TMPDIR/array.json"
	jq --slurpfile a "$BATS_TEST_TMPDIR/array.json" '.mounts += $a[0]' "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/c.json"
	mv "$BATS_TEST_TMPDIR/c.json" "$BUNDLE/config.json"
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	assert_gone "$ID"
}
