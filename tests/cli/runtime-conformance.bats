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

@test "rootfsPropagation unbindable makes the container's / unbindable" {
	make_bundle "$BUNDLE" sh -c 'awk "\$5 == \"/\"" /proc/self/mountinfo'
	cfg_set "$BUNDLE" '.linux.rootfsPropagation = "unbindable"'
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *unbindable* ]]
}

@test "lo is up in a new network namespace" {
	make_bundle "$BUNDLE" cat /sys/class/net/lo/operstate /sys/class/net/lo/flags
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	# IFF_UP is bit 0 of the flags
	[ $((lines[1] & 1)) -eq 1 ]
}

@test "a hook without env inherits the runtime's environment" {
	make_bundle "$BUNDLE" true
	log=$BATS_TEST_TMPDIR/hook-env
	cfg_set "$BUNDLE" ".hooks.prestart = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo \$BERTH_HOOK_MARK >$log\"]}] | .hooks.poststop = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo \${BERTH_HOOK_MARK:-unset} >$log.2\"], \"env\": [\"A=b\"]}]"
	BERTH_HOOK_MARK=from-runtime rt run --bundle "$BUNDLE" "$ID"
	[ "$(cat "$log")" = from-runtime ]
	# with env given, only that
	[ "$(cat "$log.2")" = unset ]
}

@test "prestart, createRuntime and createContainer hooks see the status created" {
	make_bundle "$BUNDLE" true
	log=$BATS_TEST_TMPDIR/hook-status
	cfg_set "$BUNDLE" ".hooks.prestart = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"cat >>$log; echo >>$log\"]}] | .hooks.createRuntime = .hooks.prestart"
	rt run --bundle "$BUNDLE" "$ID"
	run jq -r .status "$log"
	echo "$output"
	[ "${lines[0]}" = created ]
	[ "${lines[1]}" = created ]
}

@test "a tmpfs without mode= keeps the mode of its mount point" {
	make_bundle "$BUNDLE" stat -c %a /data
	mkdir -p "$BUNDLE/rootfs/data"
	chmod 0712 "$BUNDLE/rootfs/data"
	cfg_set "$BUNDLE" '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]}]'
	run rt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = 712 ]
}

@test "a container without a /proc mount starts" {
	make_bundle "$BUNDLE" sh -c 'ls /proc | wc -l'
	cfg_set "$BUNDLE" 'del(.mounts[] | select(.destination == "/proc")) | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
}

@test "process.scheduler, process.ioPriority and linux.memoryPolicy are applied" {
	make_bundle "$BUNDLE" sh -c 'cut -d" " -f19,41 /proc/self/stat; ionice; grep -c "interleave:0" /proc/self/numa_maps'
	cfg_set "$BUNDLE" '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 7} | .process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6} | .linux.memoryPolicy = {"mode": "MPOL_INTERLEAVE", "nodes": "0"}'
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	# nice 7, policy 3 (SCHED_BATCH)
	[ "${lines[0]}" = "7 3" ]
	[ "${lines[1]}" = "best-effort: prio 6" ]
	[ "${lines[2]}" -gt 0 ]
}

@test "a bad linux.memoryPolicy is refused, naming the field" {
	make_bundle "$BUNDLE" true
	cfg_set "$BUNDLE" '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "3-1"}'
	run rt run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.memoryPolicy.nodes"* ]]
	cfg_set "$BUNDLE" '.linux.memoryPolicy = {"mode": "MPOL_FANCY"}'
	run rt run --bundle "$BUNDLE" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.memoryPolicy.mode"* ]]
}

@test "exec makes its process a session and process group leader" {
	make_bundle "$BUNDLE" sleep 1000
	rt create --bundle "$BUNDLE" "$ID"
	rt start "$ID"
	run rt exec "$ID" sh -c 'echo $$ $(cut -d" " -f5,6 /proc/$$/stat)'
	echo "$output"
	[ "$status" -eq 0 ]
	read -r pid pgrp sid <<<"$output"
	[ "$pgrp" = "$pid" ]
	[ "$sid" = "$pid" ]
}

@test "a capability outside the runtime's bounding set is warned about once, not fatal" {
	make_bundle "$BUNDLE" sh -c 'grep CapEff /proc/self/status'
	cfg_set "$BUNDLE" '.process.capabilities.bounding += ["CAP_SYS_MODULE", "CAP_BOGUS"] | .process.capabilities.effective += ["CAP_SYS_MODULE"] | .process.capabilities.permitted += ["CAP_SYS_MODULE"]'
	run setpriv --bounding-set -sys_module "$RUNTIME" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c CAP_SYS_MODULE <<<"$output")" -eq 1 ]
	# CAP_BOGUS: once, from create (not again from start and delete)
	[ "$(grep -c CAP_BOGUS <<<"$output")" -eq 1 ]
	eff=$(awk '/CapEff/ {print $2}' <<<"$output")
	# CAP_SYS_MODULE (16) is not effective
	[ $((0x$eff >> 16 & 1)) -eq 0 ]
}

@test "a device path with a trailing slash is made without it" {
	make_bundle "$BUNDLE" stat -c '%F %t:%T' /dev/fuse
	cfg_set "$BUNDLE" '.linux.devices = [{"path": "/dev/fuse/", "type": "c", "major": 10, "minor": 229}]'
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "character special file a:e5" ]
}

@test "a second mqueue mount on /dev/mqueue is not an error" {
	make_bundle "$BUNDLE" sh -c 'grep -c " /dev/mqueue " /proc/self/mountinfo'
	cfg_set "$BUNDLE" '.mounts += [{"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue"}]'
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" -ge 1 ]
}

@test "an idmapped mount on a file system without support names the file system" {
	src=$BATS_TEST_TMPDIR/ramfs
	mkdir -p "$src"
	mount -t ramfs ramfs "$src"
	make_bundle "$BUNDLE" true
	cfg_set "$BUNDLE" ".mounts += [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$src\", \"options\": [\"bind\", \"idmap\"], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 1000}], \"gidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 1000}]}]"
	run rt run --bundle "$BUNDLE" "$ID"
	umount "$src"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"ramfs file system"*"does not support idmapped mounts"* ]]
}

@test "in a user namespace, a bind source the mapped root cannot reach is bound" {
	top=$(mktemp -d /tmp/berth-userns.XXXXXX)
	mkdir -p "$top/private/data"
	chmod 700 "$top/private"
	echo secret-ok >"$top/private/data/file"
	chmod 755 "$top/private/data"
	chmod 644 "$top/private/data/file"
	make_userns_bundle "$top" cat /data/file
	cfg_set "$BUNDLE" ".mounts += [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$top/private/data\", \"options\": [\"rbind\", \"ro\"]}]"
	run rt run --bundle "$BUNDLE" "$ID"
	rm -rf "$top"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = secret-ok ]
}

@test "a user namespace without uid/gid mappings runs with the overflow ids" {
	make_bundle "$BUNDLE" sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; echo maps-end; readlink /proc/self/ns/user; echo x >/dev/shm/f && cat /dev/shm/f; stat -c %u:%g /dev/shm/f; echo y >/dev/null && echo null-ok; grep ^CapEff: /proc/self/status'
	cfg_set "$BUNDLE" '.linux.namespaces += [{"type": "user"}]'
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	# nothing is mapped: the kernel shows the ids as its overflow ids
	[ "${lines[0]}" = 65534 ]
	[ "${lines[1]}" = 65534 ]
	[ "${lines[2]}" = maps-end ]
	[ "${lines[3]}" != "$(readlink /proc/self/ns/user)" ]
	# the container's own tmpfs and device nodes work (made before the user namespace)
	[ "${lines[4]}" = x ]
	[ "${lines[5]}" = 65534:65534 ]
	[ "${lines[6]}" = null-ok ]
	# uid 0 is not mapped: execve does not treat the process as root, no capability is kept
	[[ "${lines[7]}" =~ ^CapEff:[[:space:]]+0+$ ]]
}

@test "exec into a user namespace without mappings; a uid it cannot set is one clear error" {
	make_bundle "$BUNDLE" sleep 1000
	cfg_set "$BUNDLE" '.linux.namespaces += [{"type": "user"}]'
	rt run -d --bundle "$BUNDLE" "$ID"
	init=$(rt state "$ID" | jq .pid)
	[ "$init" -gt 0 ]
	[ "$(wc -c <"/proc/$init/uid_map")" -eq 0 ]
	# the host sees the runtime's ids, which no map changed
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$init/status")" = 0 ]
	run rt exec "$ID" sh -c 'id -u; readlink /proc/self/ns/user; readlink /proc/self/ns/ipc'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 65534 ]
	[ "${lines[1]}" = "$(readlink "/proc/$init/ns/user")" ]
	[ "${lines[2]}" = "$(readlink "/proc/$init/ns/ipc")" ]
	run rt exec --user 1000 "$ID" id -u
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"process.user.uid: 1000 cannot be set in a user namespace without linux.uidMappings"* ]]
}

@test "cgroup v1: realtimeRuntime raises the parents' budget, and SCHED_FIFO runs in it" {
	[ -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ] || skip "no v1 realtime group scheduling"
	make_bundle "$BUNDLE" sh -c 'cut -d" " -f40,41 /proc/self/stat'
	cfg_set "$BUNDLE" '.linux.resources.cpu = {"realtimeRuntime": 10000, "realtimePeriod": 1000000} | .process.scheduler = {"policy": "SCHED_FIFO", "priority": 1}'
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	# rt_priority 1, policy 1 (SCHED_FIFO)
	[ "$output" = "1 1" ]
}

@test "exec --cgroup puts the process in an existing sub-cgroup" {
	[ -d /sys/fs/cgroup/pids ] || skip "needs cgroup v1 hierarchies"
	make_bundle "$BUNDLE" sleep 1000
	rt create --bundle "$BUNDLE" "$ID"
	rt start "$ID"
	pid=$(rt state "$ID" | jq -r .pid)
	cg=$(grep -m1 ':pids:' "/proc/$pid/cgroup" | cut -d: -f3)
	SUBS=$(ls -d /sys/fs/cgroup/*"$cg" /sys/fs/cgroup/unified"$cg" 2>/dev/null | sort -u)
	mkdir "/sys/fs/cgroup/pids$cg/sub"
	run rt exec --cgroup pids:sub "$ID" cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx "[0-9]*:pids:$cg/sub" <<<"$output"
	# the other hierarchies: the container's own cgroup
	grep -qx "[0-9]*:memory:$cg" <<<"$output"
	# a plain path: every hierarchy, so it must exist in each
	run rt exec --cgroup sub "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"--cgroup: "*"/sub"*"does not exist"* ]]
	for d in $SUBS; do mkdir -p "$d/sub"; done
	# a new cpuset cgroup has no cpus or mems until given some
	cat "/sys/fs/cgroup/cpuset$cg/cpuset.cpus" >"/sys/fs/cgroup/cpuset$cg/sub/cpuset.cpus"
	cat "/sys/fs/cgroup/cpuset$cg/cpuset.mems" >"/sys/fs/cgroup/cpuset$cg/sub/cpuset.mems"
	run rt exec --cgroup sub "$ID" cat /proc/self/cgroup
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx "[0-9]*:memory:$cg/sub" <<<"$output"
	run rt exec --cgroup ../escape "$ID" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"--cgroup \`../escape\`"* ]]
	rt kill "$ID" KILL
	rt delete --force "$ID"
	for d in $SUBS; do rmdir "$d/sub" "$d" 2>/dev/null || true; done
}
