#!/usr/bin/env bats
# berth-runtime: namespaces, root filesystem and mounts, the process's identity and limits.
load helpers

setup() { common_setup; }
teardown() { common_teardown; }

# run_in BUNDLE: run the bundle and capture its output
run_in() { run rt run --bundle "$1" "$ID"; }

@test "every namespace of the default spec is new" {
	make_bundle "$BUNDLE" sh -c 'for n in pid net ipc uts mnt; do readlink /proc/self/ns/$n; done'
	run_in "$BUNDLE"
	[ "$status" -eq 0 ]
	for n in pid net ipc uts mnt; do
		[[ "$output" != *"$(readlink /proc/self/ns/$n)"* ]]
	done
}

@test "cgroup and time namespaces with offsets" {
	make_bundle "$BUNDLE" sh -c 'cat /proc/self/cgroup; cut -d" " -f1 /proc/uptime'
	cfg_set "$BUNDLE" '.linux.namespaces += [{"type": "cgroup"}, {"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 86400, "nanosecs": 0}, "monotonic": {"secs": 3600}}'
	run_in "$BUNDLE"
	[ "$status" -eq 0 ]
	# the container sees its own cgroup as the root
	grep -q ':/$' <<<"${lines[0]}"
	up=${lines[-1]%.*}
	[ "$up" -ge 86400 ]
}

@test "a user namespace maps ids" {
	# the mapped root must be able to reach the rootfs
	make_userns_bundle "$(mktemp -d /tmp/berth-userns.XXXXXX)" sh -c 'id -u; cat /proc/self/uid_map; cat /proc/self/gid_map'
	run_in "$BUNDLE"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" =~ ^\ *0\ +100000\ +65536$ ]]
	[[ "${lines[2]}" =~ ^\ *0\ +100000\ +65536$ ]]
	rm -rf "${BUNDLE%/bundle}"
}

@test "joins an existing network namespace by path" {
	ns=berth-test-$$
	ip netns add "$ns"
	make_bundle "$BUNDLE" readlink /proc/self/ns/net
	cfg_set "$BUNDLE" "(.linux.namespaces[] | select(.type == \"network\")) |= {\"type\": \"network\", \"path\": \"/var/run/netns/$ns\"}"
	run_in "$BUNDLE"
	want=$(ip netns exec "$ns" readlink /proc/self/ns/net)
	ip netns del "$ns"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
}

@test "hostname, domainname and sysctl" {
	make_bundle "$BUNDLE" sh -c 'hostname; cat /proc/sys/kernel/domainname; cat /proc/sys/net/ipv4/ip_forward'
	cfg_set "$BUNDLE" '.hostname = "h1" | .domainname = "example.org" | .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	run_in "$BUNDLE"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = h1 ]
	[ "${lines[1]}" = example.org ]
	[ "${lines[2]}" = 1 ]
}

@test "the default mounts, devices and /dev links" {
	make_bundle "$BUNDLE" sh -c 'for d in null zero full random urandom tty; do [ -c /dev/$d ] || echo missing $d; done; for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done; grep -E " /(proc|sys|dev|dev/pts|dev/shm|dev/mqueue) " /proc/self/mountinfo | wc -l; echo x >/dev/null && echo null-ok'
	run_in "$BUNDLE"
	[ "$status" -eq 0 ]
	[[ "$output" != *missing* ]]
	[ "${lines[0]}" = /proc/self/fd ]
	[ "${lines[1]}" = /proc/self/fd/0 ]
	[ "${lines[4]}" = pts/ptmx ]
	[ "${lines[5]}" -ge 6 ]
	[ "${lines[6]}" = null-ok ]
}

@test "the default devices are 0666 and root's whatever the umask (chmod and chown only where mknod fell short)" {
	make_bundle "$BUNDLE" sh -c 'stat -c "%n %a %u:%g" /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty'
	run sh -c "umask 077 && $RUNTIME --root $STATE_ROOT run --bundle $BUNDLE $ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 6 ]
	for l in "${lines[@]}"; do [[ "$l" == "/dev/"*" 666 0:0" ]] || false; done
	# and a fileMode the umask would cut, with an owner
	cfg_set "$BUNDLE" '.linux.devices = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 438, "uid": 0, "gid": 5}]'
	cfg_set "$BUNDLE" '.process.args = ["stat", "-c", "%a %u:%g", "/dev/mynull"]'
	run sh -c "umask 077 && $RUNTIME --root $STATE_ROOT run --bundle $BUNDLE $ID"
	echo "$output"
	[ "$output" = "666 0:5" ]
}

@test "the default devices: /dev looked up once, no chmod under any umask; /dev/null looked up once for the masked files" {
	need_strace
	make_bundle "$BUNDLE" sh -c 'stat -c "%a" /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty; wc -c </proc/keys; wc -c </proc/timer_list'
	cfg_set "$BUNDLE" '.linux.maskedPaths = ["/proc/keys", "/does/not/exist", "/proc/timer_list"]'
	t=$BATS_TEST_TMPDIR/trace
	mask=$(umask)
	umask 077
	run rt_strace "$t" openat2,mknodat,chmod run --bundle "$BUNDLE" "$ID"
	umask "$mask"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '666\n666\n666\n666\n666\n666\n0\n0')" ]
	# made under a umask of 0: mknod's mode is the node's
	[ "$(grep -c 'chmod(' "$t")" -eq 0 ]
	# the six nodes in one /dev opened once: no walk of the root between the first and the last
	first=$(grep -n 'mknodat(' "$t" | head -n1 | cut -d: -f1)
	last=$(grep -n 'mknodat(' "$t" | tail -n1 | cut -d: -f1)
	echo "mknodat at lines $first-$last"
	[ -n "$first" ] || false
	[ "$(grep -c 'mknodat(' "$t")" -eq 6 ]
	[ "$(sed -n "${first},${last}p" "$t" | grep -c 'openat2(')" -eq 0 ]
	# both masked files bound from the one /dev/null
	[ "$(grep -c 'openat2([0-9]*, "dev/null"' "$t")" -eq 1 ]
}

@test "root.readonly, readonlyPaths and maskedPaths" {
	make_bundle "$BUNDLE" sh -c 'touch /x 2>/dev/null && echo root-writable; (echo 1 >/proc/sys/kernel/domainname) 2>/dev/null && echo ro-writable; cat /proc/kcore 2>/dev/null | wc -c; ls /proc/acpi 2>/dev/null | wc -l; echo done'
	cfg_set "$BUNDLE" '.root.readonly = true | .linux.maskedPaths = ["/proc/kcore", "/proc/acpi", "/does/not/exist"] | .linux.readonlyPaths = ["/proc/sys"]'
	run_in "$BUNDLE"
	[ "$status" -eq 0 ]
	[[ "$output" != *root-writable* ]]
	[[ "$output" != *ro-writable* ]]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[ ! -e "$BUNDLE/rootfs/x" ]
}

@test "bind mounts with options, tmpfs with data, propagation" {
	mkdir -p "$BATS_TEST_TMPDIR/data" && echo hostdata >"$BATS_TEST_TMPDIR/data/f"
	make_bundle "$BUNDLE" sh -c 'cat /mnt/ro/f; (echo x >/mnt/ro/g) 2>/dev/null && echo ro-broken; echo y >/mnt/rw/g && echo rw-ok; grep " /mnt/ro " /proc/self/mountinfo; grep " /t " /proc/self/mountinfo'
	cfg_set "$BUNDLE" ".mounts += [
		{\"destination\": \"/mnt/ro\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/data\", \"options\": [\"rbind\", \"ro\", \"nosuid\", \"nodev\", \"rprivate\"]},
		{\"destination\": \"/mnt/rw\", \"type\": \"none\", \"source\": \"$BATS_TEST_TMPDIR/data\", \"options\": [\"bind\"]},
		{\"destination\": \"/t\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"noexec\", \"size=1m\", \"mode=700\"]}]"
	run_in "$BUNDLE"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hostdata ]
	[[ "$output" != *ro-broken* ]]
	[[ "$output" == *rw-ok* ]]
	[[ "${lines[2]}" == *" ro,"*nosuid*nodev* ]]
	[[ "${lines[3]}" == *noexec* && "${lines[3]}" == *size=1024k* && "${lines[3]}" == *mode=700* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/data/g")" = y ]
}

@test "linux.devices creates nodes with mode and owner" {
	make_bundle "$BUNDLE" sh -c 'stat -c "%F %t:%T %a %u:%g" /dev/mynull /dev/sub/myzero'
	cfg_set "$BUNDLE" '.linux.devices = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 432, "uid": 1000, "gid": 1000}, {"path": "/dev/sub/myzero", "type": "c", "major": 1, "minor": 5}]'
	run_in "$BUNDLE"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1:3 660 1000:1000" ]
	[[ "${lines[1]}" == "character special file 1:5 "* ]]
}

@test "process: cwd, env, user, groups, umask" {
	make_bundle "$BUNDLE" sh -c 'pwd; echo $FOO; id -u; id -g; id -G; umask; echo $HOME'
	cfg_set "$BUNDLE" '.process.cwd = "/home/user/work" | .process.env += ["FOO=bar"] | .process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5, 65534], "umask": 63}'
	run_in "$BUNDLE"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /home/user/work ]
	[ "${lines[1]}" = bar ]
	[ "${lines[2]}" = 1000 ]
	[ "${lines[3]}" = 1000 ]
	[[ " ${lines[4]} " == *" 5 "* && " ${lines[4]} " == *" 65534 "* ]]
	[ "${lines[5]}" = 0077 ]
	[ "${lines[6]}" = /home/user ]
}

@test "process: rlimits, oomScoreAdj, noNewPrivileges" {
	make_bundle "$BUNDLE" sh -c 'ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj; grep NoNewPrivs /proc/self/status'
	cfg_set "$BUNDLE" '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024}] | .process.oomScoreAdj = 123 | .process.noNewPrivileges = true'
	run_in "$BUNDLE"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 512 ]
	[ "${lines[1]}" = 1024 ]
	[ "${lines[2]}" = 123 ]
	[[ "${lines[3]}" == *1 ]]
}

@test "process: an rlimit above the host's hard limit is a clear error" {
	make_bundle "$BUNDLE" true
	cfg_set "$BUNDLE" '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 4294967295, "hard": 4294967295}]'
	run_in "$BUNDLE"
	if [ "$status" -eq 0 ]; then skip "this host allows raising RLIMIT_NOFILE"; fi
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"RLIMIT_NOFILE"* ]]
	assert_gone "$ID"
}

@test "process: the five capability sets" {
	make_bundle "$BUNDLE" sh -c 'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status'
	cfg_set "$BUNDLE" '.process.user = {"uid": 1000, "gid": 1000} | .process.capabilities = {"bounding": ["CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_NET_BIND_SERVICE", "CAP_KILL"], "permitted": ["CAP_NET_BIND_SERVICE", "CAP_KILL"], "inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]}'
	run_in "$BUNDLE"
	[ "$status" -eq 0 ]
	# CAP_CHOWN=0 (0x1), CAP_KILL=5 (0x20), CAP_NET_BIND_SERVICE=10 (0x400); for a non-root
	# user without file capabilities, exec keeps only the ambient set
	[[ "${lines[0]}" == CapInh:*0000000000000400 ]]
	[[ "${lines[1]}" == CapPrm:*0000000000000400 ]]
	[[ "${lines[2]}" == CapEff:*0000000000000400 ]]
	[[ "${lines[3]}" == CapBnd:*0000000000000421 ]]
	[[ "${lines[4]}" == CapAmb:*0000000000000400 ]]
}

@test "the container is placed in its cgroup, which delete removes" {
	make_bundle "$BUNDLE" sleep 1000
	cfg_set "$BUNDLE" ".linux.cgroupsPath = \"/berth-test/$ID\""
	rt run -d --bundle "$BUNDLE" "$ID"
	pid=$(rt state "$ID" | jq .pid)
	grep -q "memory:/berth-test/$ID\$" /proc/$pid/cgroup
	[ -d "/sys/fs/cgroup/memory/berth-test/$ID" ]
	rt delete --force "$ID"
	[ ! -e "/sys/fs/cgroup/memory/berth-test/$ID" ]
	[ ! -e "/sys/fs/cgroup/pids/berth-test/$ID" ]
}

@test "--no-pivot moves the rootfs onto / and chroots" {
	make_bundle "$BUNDLE" sh -c 'ls /; cat /proc/self/mountinfo | wc -l'
	run rt run --no-pivot --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *bin*proc* ]]
	assert_gone "$ID"
}

@test "rootfsPropagation shared makes the root a shared mount" {
	make_bundle "$BUNDLE" sh -c 'head -n1 /proc/self/mountinfo'
	cfg_set "$BUNDLE" '.linux.rootfsPropagation = "shared"'
	run rt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *shared:* ]]
	cfg_set "$BUNDLE" '.linux.rootfsPropagation = "private"'
	run rt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" != *shared:* ]]
}

# the container of $BUNDLE run with the bundle on a shared bind of itself, in a mount namespace
# of its own (whatever would propagate stays there)
run_on_shared() {
	unshare -m sh -c 'mount --bind "$1" "$1" && mount --make-shared "$1" &&
		exec "$2" --root "$3" run --bundle "$1" "$4"' sh "$BUNDLE" "$RUNTIME" "$STATE_ROOT" "$ID"
}

@test "a rootfs on a shared mount: pivot_root works with the default propagation and with shared" {
	make_bundle "$BUNDLE" sh -c 'head -n1 /proc/self/mountinfo'
	# the default (rslave) leaves no shared mount, so the rootfs's parent is not looked up
	run run_on_shared
	echo "$output"
	[ "$status" -eq 0 ]
	# shared: the parent (the shared bind) must be made private for pivot_root
	cfg_set "$BUNDLE" '.linux.rootfsPropagation = "shared"'
	run run_on_shared
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *shared:* ]] || false
	assert_gone "$ID"
}

@test "the device cgroup denies devices the config does not allow" {
	make_bundle "$BUNDLE" sh -c 'mknod /tmp/sda b 8 0 && head -c1 /tmp/sda >/dev/null && echo opened; echo x >/dev/null && echo null-ok'
	run rt run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" != *opened* ]]
	[[ "$output" == *null-ok* ]]
}
