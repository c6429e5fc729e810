#!/usr/bin/env bats
# run/create's resource flags (-m, --memory-swap, --memory-reservation, --cpu-shares,
# --cpu-period, --cpu-quota, --cpuset-cpus, --cpuset-mems, --oom-kill-disable,
# --blkio-weight, --blkio-weight-device, --device-read-bps/-iops, --device-write-bps/-iops,
# --memory-swappiness) in the container's cgroup and inspect's HostConfig;
# the namespace flags (--ipc, --pid, --uts, --cgroupns, --userns); berth update (issue 17).
# The containers have --network none: none of this needs a network.
load helpers
load engine-helpers
bats_require_minimum_version 1.5.0

# cg CONTROLLER FILE NAME: the first line of the file of container NAME's cgroup (v1, as
# its init's /proc/PID/cgroup names it)
cg() {
	local pid path
	pid=$(b inspect "$3" | jq -r .pid)
	path=$(awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
	[ -n "$path" ] || return 1
	head -n 1 "/sys/fs/cgroup/$1$path/$2"
}

# hc NAME FIELD: inspect's HostConfig.FIELD of container NAME
hc() {
	b inspect "$1" | jq -c ".HostConfig.$2"
}

@test "run: memory flags in the cgroup and in HostConfig (-m, --memory-swap, --memory-reservation, --oom-kill-disable, --memory-swappiness)" {
	run b run --network none -d --name m1 -m 64m --memory-swap 128m --memory-reservation 32m --oom-kill-disable --memory-swappiness 10 busybox sleep 1000
	[ "$status" -eq 0 ]
	[ "$(cg memory memory.limit_in_bytes m1)" = 67108864 ]
	[ "$(cg memory memory.memsw.limit_in_bytes m1)" = 134217728 ]
	[ "$(cg memory memory.soft_limit_in_bytes m1)" = 33554432 ]
	[ "$(cg memory memory.oom_control m1)" = "oom_kill_disable 1" ]
	[ "$(cg memory memory.swappiness m1)" = 10 ]
	[ "$(hc m1 Memory)" = 67108864 ]
	[ "$(hc m1 MemorySwap)" = 134217728 ]
	[ "$(hc m1 MemoryReservation)" = 33554432 ]
	[ "$(hc m1 OomKillDisable)" = true ]
	[ "$(hc m1 MemorySwappiness)" = 10 ]
	# Docker: --memory alone gets as much swap again; -1 is unlimited swap
	run b run --network none -d --name m2 --memory 64m busybox sleep 1000
	[ "$status" -eq 0 ]
	[ "$(hc m2 MemorySwap)" = 134217728 ]
	[ "$(cg memory memory.memsw.limit_in_bytes m2)" = 134217728 ]
	run b run --network none -d --name m3 --memory 64m --memory-swap -1 busybox sleep 1000
	[ "$status" -eq 0 ]
	[ "$(hc m3 MemorySwap)" = -1 ]
	[ "$(cg memory memory.memsw.limit_in_bytes m3)" -gt 1000000000000 ]
}

@test "run: cpu flags in the cgroup and in HostConfig (--cpu-shares, --cpu-period, --cpu-quota, --cpuset-cpus, --cpuset-mems, --cpus, --pids-limit)" {
	run b run --network none -d --name c1 --cpu-shares 512 --cpu-period 50000 --cpu-quota 25000 --cpuset-cpus 0 --cpuset-mems 0 --pids-limit 50 busybox sleep 1000
	[ "$status" -eq 0 ]
	[ "$(cg cpu cpu.shares c1)" = 512 ]
	[ "$(cg cpu cpu.cfs_period_us c1)" = 50000 ]
	[ "$(cg cpu cpu.cfs_quota_us c1)" = 25000 ]
	[ "$(cg cpuset cpuset.cpus c1)" = 0 ]
	[ "$(cg cpuset cpuset.mems c1)" = 0 ]
	[ "$(cg pids pids.max c1)" = 50 ]
	[ "$(hc c1 CpuShares)" = 512 ]
	[ "$(hc c1 CpuPeriod)" = 50000 ]
	[ "$(hc c1 CpuQuota)" = 25000 ]
	[ "$(hc c1 CpusetCpus)" = '"0"' ]
	[ "$(hc c1 CpusetMems)" = '"0"' ]
	[ "$(hc c1 PidsLimit)" = 50 ]
	[ "$(hc c1 NanoCpus)" = 0 ]
	run b create --network none --name c2 --cpus 1.5 busybox true
	[ "$status" -eq 0 ]
	[ "$(hc c2 NanoCpus)" = 1500000000 ]
	[ "$(hc c2 Memory)" = 0 ]
	[ "$(hc c2 BlkioWeight)" = 0 ]
	[ "$(hc c2 PidsLimit)" = null ]
}

@test "run/create: a bad resource value is one line naming the flag, 125, nothing left" {
	bad 125 "bad --memory \`1x\`" run -m 1x busybox true
	bad 125 "minimum" run -m 100 busybox true
	bad 125 "bad --memory-swap \`1q\`" run -m 64m --memory-swap 1q busybox true
	bad 125 "bad --memory-swap: 33554432 bytes is below --memory's" run -m 64m --memory-swap 32m busybox true
	bad 125 "bad --memory-swap: it needs --memory" create --memory-swap 1g busybox true
	bad 125 "bad --memory-reservation \`x\`" run --memory-reservation x busybox true
	bad 125 "bad --memory-reservation: " run -m 64m --memory-reservation 128m busybox true
	bad 125 "bad --cpu-shares \`1\`" run --cpu-shares 1 busybox true
	bad 125 "bad --cpu-shares \`300000\`" run --cpu-shares 300000 busybox true
	bad 125 "bad --cpu-period \`999\`" run --cpu-period 999 busybox true
	bad 125 "bad --cpu-period \`2000000\`" create --cpu-period 2000000 busybox true
	bad 125 "bad --cpu-quota \`10\`" run --cpu-quota 10 busybox true
	bad 125 "bad --cpu-quota \`-2\`" run --cpu-quota -2 busybox true
	bad 125 "conflicting options: --cpus and --cpu-period" run --cpus 1 --cpu-period 50000 busybox true
	bad 125 "bad --cpus \`4096\`: expected from 0.01 to" run --cpus 4096 busybox true
	bad 125 "bad --cpus \`0.001\`: expected from 0.01 to" create --cpus 0.001 busybox true
	bad 125 "bad --cpuset-cpus \`0-\`" run --cpuset-cpus 0- busybox true
	bad 125 "bad --cpuset-cpus \`4095\`: 4095 is not available" run --cpuset-cpus 4095 busybox true
	bad 125 "bad --cpuset-mems \`a\`" run --cpuset-mems a busybox true
	bad 125 "bad --cpuset-mems \`0,63\`: 63 is not available" run --cpuset-mems 0,63 busybox true
	bad 125 "bad --oom-kill-disable=maybe" run --oom-kill-disable=maybe busybox true
	bad 125 "bad --blkio-weight \`5\`" run --blkio-weight 5 busybox true
	bad 125 "bad --blkio-weight \`1001\`" run --blkio-weight 1001 busybox true
	bad 125 "bad --memory-swappiness \`101\`" run --memory-swappiness 101 busybox true
	bad 125 "option \`-m\` needs a value" run -m
	assert_nothing_left
}

@test "run: --blkio-weight is refused where the kernel has no blkio weight, else in the cgroup" {
	if [ -e /sys/fs/cgroup/blkio/blkio.weight ] || [ -e /sys/fs/cgroup/blkio/blkio.bfq.weight ]; then
		run b run --network none -d --name w1 --blkio-weight 300 busybox sleep 1000
		[ "$status" -eq 0 ]
		[ "$(hc w1 BlkioWeight)" = 300 ]
		run cg blkio blkio.weight w1
		[ "$output" = 300 ] || [ "$(cg blkio blkio.bfq.weight w1)" = "default 300" ]
	else
		bad 125 "bad --blkio-weight: this host's kernel has no blkio weight" run --blkio-weight 300 busybox true
		assert_nothing_left
	fi
}

# blockdev: a block device of this host (/dev/NAME, a disk), or nothing
blockdev() {
	local d
	for d in /sys/block/vd* /sys/block/sd* /sys/block/nvme* /sys/block/*; do
		[ -b "/dev/${d##*/}" ] || continue
		echo "/dev/${d##*/}"
		return 0
	done
}

@test "run: --device-read-bps/-iops, --device-write-bps/-iops in the cgroup's blkio.throttle and HostConfig" {
	local dev mm
	dev=$(blockdev)
	[ -n "$dev" ] || skip "no block device on this host"
	[ -e /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device ] || skip "no cgroup v1 blkio throttling"
	mm=$(($(stat -c 0x%t "$dev"))):$(($(stat -c 0x%T "$dev")))
	run -0 b run --network none -d --name t1 --device-read-bps "$dev:1mb" --device-write-bps "$dev:2m" \
		--device-read-iops "$dev:100" --device-write-iops "$dev:200" busybox sleep 1000
	[ "$(cg blkio blkio.throttle.read_bps_device t1)" = "$mm 1048576" ]
	[ "$(cg blkio blkio.throttle.write_bps_device t1)" = "$mm 2097152" ]
	[ "$(cg blkio blkio.throttle.read_iops_device t1)" = "$mm 100" ]
	[ "$(cg blkio blkio.throttle.write_iops_device t1)" = "$mm 200" ]
	[ "$(hc t1 BlkioDeviceReadBps)" = "[{\"Path\":\"$dev\",\"Rate\":1048576}]" ]
	[ "$(hc t1 BlkioDeviceWriteBps)" = "[{\"Path\":\"$dev\",\"Rate\":2097152}]" ]
	[ "$(hc t1 BlkioDeviceReadIOps)" = "[{\"Path\":\"$dev\",\"Rate\":100}]" ]
	[ "$(hc t1 BlkioDeviceWriteIOps)" = "[{\"Path\":\"$dev\",\"Rate\":200}]" ]
	[ "$(hc t1 BlkioWeightDevice)" = "[]" ]
	# kept across a restart (the bundle's linux.resources.blockIO)
	run -0 b restart -t 1 t1
	[ "$(cg blkio blkio.throttle.write_iops_device t1)" = "$mm 200" ]
}

@test "run: --blkio-weight-device where the kernel has it; the device flags' bad input: one line, 125" {
	local dev
	dev=$(blockdev)
	[ -n "$dev" ] || skip "no block device on this host"
	if [ -e /sys/fs/cgroup/blkio/blkio.weight_device ] || [ -e /sys/fs/cgroup/blkio/blkio.bfq.weight_device ]; then
		run -0 b run --network none -d --name wd1 --blkio-weight-device "$dev:300" busybox sleep 1000
		[ "$(hc wd1 BlkioWeightDevice)" = "[{\"Path\":\"$dev\",\"Weight\":300}]" ]
		b rm -f wd1
	else
		bad 125 "bad --blkio-weight-device: this host's kernel has no blkio weight" run --blkio-weight-device "$dev:300" busybox true
	fi
	bad 125 "bad --blkio-weight-device \`$dev:5\`: expected /dev/DEVICE:WEIGHT, a weight from 10 to 1000" create --blkio-weight-device "$dev:5" busybox true
	bad 125 "bad --device-read-bps \`/dev/null:1mb\`: \`/dev/null\` is not a block device" run --device-read-bps /dev/null:1mb busybox true
	bad 125 "bad --device-write-bps \`/dev/nope:1mb\`: \`/dev/nope\`: No such file or directory" run --device-write-bps /dev/nope:1mb busybox true
	bad 125 "bad --device-read-bps \`sda:1mb\`: expected /dev/DEVICE:RATE, bytes per second like 1mb" run --device-read-bps sda:1mb busybox true
	bad 125 "bad --device-write-bps \`$dev:fast\`: expected /dev/DEVICE:RATE" run --device-write-bps "$dev:fast" busybox true
	bad 125 "bad --device-read-iops \`$dev:1.5\`: expected /dev/DEVICE:RATE, a positive number of operations per second" run --device-read-iops "$dev:1.5" busybox true
	bad 125 "bad --device-write-iops \`$dev:0\`: expected /dev/DEVICE:RATE, a positive number" run --device-write-iops "$dev:0" busybox true
	bad 125 "bad --device-read-iops \`$dev\`: expected /dev/DEVICE:RATE" run --device-read-iops "$dev" busybox true
	bad 125 "option \`--device-read-bps\` needs a value" run --device-read-bps
	assert_nothing_left
}

@test "run: --pid host sees the host's processes; --pid container:NAME joins that one's" {
	run b run --network none --rm --pid host busybox sh -c 'readlink /proc/self/ns/pid; ps -o pid'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink /proc/$$/ns/pid)" ]
	# this test's own shell is among them
	printf '%s\n' "${lines[@]}" | grep -qx " *$$"
	run b run --network none -d --name p1 busybox sleep 1000
	[ "$status" -eq 0 ]
	pid=$(b inspect p1 | jq -r .pid)
	run b run --network none --rm --pid container:p1 busybox sh -c 'readlink /proc/self/ns/pid; ps -o args'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink /proc/$pid/ns/pid)" ]
	[[ "$output" == *"sleep 1000"* ]]
	[ "$(b inspect p1 | jq -r .HostConfig.PidMode)" = "" ]
	run b create --network none --name p2 --pid container:p1 busybox true
	[ "$status" -eq 0 ]
	[ "$(hc p2 PidMode)" = '"container:p1"' ]
}

@test "run: --ipc host has the host's IPC and /dev/shm; --ipc container:NAME a shareable one's" {
	shm=$(mktemp /dev/shm/berth-res.XXXXXX)
	echo host >"$shm"
	run b run --network none --rm --ipc host busybox sh -c "readlink /proc/self/ns/ipc; cat $shm"
	rm -f "$shm"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink /proc/$$/ns/ipc)" ]
	[ "${lines[1]}" = host ]
	run b run --network none --rm busybox readlink /proc/self/ns/ipc
	[ "$status" -eq 0 ]
	[ "$output" != "$(readlink /proc/$$/ns/ipc)" ]
	run b run --network none -d --name s1 --ipc shareable busybox sh -c 'echo shared > /dev/shm/x; sleep 1000'
	[ "$status" -eq 0 ]
	[ "$(hc s1 IpcMode)" = '"shareable"' ]
	pid=$(b inspect s1 | jq -r .pid)
	for i in $(seq 100); do
		[ -e "$ROOT/containers/$(b inspect s1 | jq -r .id)/shm/x" ] && break
		sleep 0.1
	done
	run b run --network none --rm --ipc container:s1 busybox sh -c 'readlink /proc/self/ns/ipc; cat /dev/shm/x'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink /proc/$pid/ns/ipc)" ]
	[ "${lines[1]}" = shared ]
	# a private one's is not shared, as Docker
	run b run --network none -d --name s2 busybox sleep 1000
	[ "$status" -eq 0 ]
	[ "$(hc s2 IpcMode)" = '"private"' ]
	bad 125 "bad --ipc \`container:s2\`: that container's IPC is not shareable" run --rm --ipc container:s2 busybox true
}

@test "run: --ipc none: an IPC namespace of its own and no /dev/shm; not shareable" {
	run -0 b run --network none --rm --ipc none busybox sh -c 'readlink /proc/self/ns/ipc; grep -c " /dev/shm " /proc/mounts; test -e /dev/shm || echo no-shm'
	[ "${lines[0]}" != "$(readlink /proc/$$/ns/ipc)" ]
	[[ "${lines[0]}" == ipc:* ]]
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" = no-shm ]
	# the default (private) has a /dev/shm
	run -0 b run --network none --rm busybox grep -c " /dev/shm " /proc/mounts
	[ "$output" = 1 ]
	run -0 b create --network none --name none1 --ipc none busybox sleep 1000
	[ "$(hc none1 IpcMode)" = '"none"' ]
	run -0 b start none1
	bad 125 "bad --ipc \`container:none1\`: that container's IPC is not shareable" run --rm --ipc container:none1 busybox true
	bad 125 "conflicting options: --shm-size and --ipc none (no /dev/shm is mounted)" run --rm --ipc none --shm-size 1m busybox true
	bad 125 "bad --ipc \`None\`: expected none, private" create --ipc None busybox true
	[ "$(ls "$ROOT/containers" | wc -l)" -eq 1 ]
}

@test "run: --uts host has the host's name; --cgroupns private a cgroup namespace; --userns host" {
	run b run --network none --rm --uts host busybox sh -c 'readlink /proc/self/ns/uts; hostname'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink /proc/$$/ns/uts)" ]
	[ "${lines[1]}" = "$(hostname)" ]
	run b run --network none --rm --cgroupns private busybox readlink /proc/self/ns/cgroup
	[ "$status" -eq 0 ]
	[ "$output" != "$(readlink /proc/$$/ns/cgroup)" ]
	run b run --network none --rm --cgroupns host busybox readlink /proc/self/ns/cgroup
	[ "$status" -eq 0 ]
	[ "$output" = "$(readlink /proc/$$/ns/cgroup)" ]
	run b create --network none --name n1 --uts host --cgroupns private --userns host --pid host --ipc host busybox true
	[ "$status" -eq 0 ]
	[ "$(hc n1 UTSMode)" = '"host"' ]
	[ "$(hc n1 CgroupnsMode)" = '"private"' ]
	[ "$(hc n1 UsernsMode)" = '"host"' ]
	[ "$(hc n1 PidMode)" = '"host"' ]
	[ "$(hc n1 IpcMode)" = '"host"' ]
}

@test "run: bad namespace flags: one line naming the flag, 125, nothing left" {
	bad 125 "bad --ipc \`bogus\`: expected none, private, shareable, host or container:NAME" run --ipc bogus busybox true
	bad 125 "bad --pid \`private\`: expected host or container:NAME" run --pid private busybox true
	bad 125 "bad --uts \`x\`: expected host" run --uts x busybox true
	bad 125 "bad --cgroupns \`x\`: expected host or private" run --cgroupns x busybox true
	bad 125 "bad --userns \`auto\`: only host" run --userns auto busybox true
	# keep-id is an ordinary user's (engine-rootless.bats)
	bad 125 "bad --userns \`keep-id\`: it is for berth run by an ordinary user" \
		run --userns keep-id busybox true
	bad 125 "conflicting options: --hostname and --uts host" run --uts host --hostname h busybox true
	bad 125 "bad --pid \`container:nosuch\`: no container" run --pid container:nosuch busybox true
	bad 125 "bad --ipc \`container:nosuch\`: no container" run --ipc container:nosuch busybox true
	assert_nothing_left
	run b create --network none --name stopped busybox true
	[ "$status" -eq 0 ]
	bad 125 "bad --pid \`container:stopped\`: container \"stopped\" is not running" run --pid container:stopped busybox true
	bad 125 "not running" create --ipc container:stopped busybox true
	[ "$(ls "$ROOT/containers" | wc -l)" -eq 1 ]
	# the namespace is the other's as it runs at each start: refused when it is gone
	run b run --network none -d --name donor busybox sleep 1000
	[ "$status" -eq 0 ]
	run b create --network none --name joiner --pid container:donor busybox sleep 1000
	[ "$status" -eq 0 ]
	run b stop -t 1 donor
	[ "$status" -eq 0 ]
	run b start joiner
	[ "$status" -eq 125 ]
	[[ "$output" == *"container \"donor\" is not running"* ]]
}

@test "update: changes a running container's cgroup, its HostConfig and its next start's" {
	run b run --network none -d --name u1 -m 64m --cpu-shares 512 --pids-limit 50 busybox sleep 1000
	[ "$status" -eq 0 ]
	run b update -m 100m --memory-swap 200m --memory-reservation 50m --cpu-shares 256 --cpu-period 50000 --cpu-quota 20000 --cpuset-cpus 0 --cpuset-mems 0 --pids-limit 60 --restart on-failure:3 u1
	[ "$status" -eq 0 ]
	[ "$output" = u1 ]
	[ "$(cg memory memory.limit_in_bytes u1)" = 104857600 ]
	[ "$(cg memory memory.memsw.limit_in_bytes u1)" = 209715200 ]
	[ "$(cg memory memory.soft_limit_in_bytes u1)" = 52428800 ]
	[ "$(cg cpu cpu.shares u1)" = 256 ]
	[ "$(cg cpu cpu.cfs_period_us u1)" = 50000 ]
	[ "$(cg cpu cpu.cfs_quota_us u1)" = 20000 ]
	[ "$(cg cpuset cpuset.cpus u1)" = 0 ]
	[ "$(cg pids pids.max u1)" = 60 ]
	[ "$(hc u1 Memory)" = 104857600 ]
	[ "$(hc u1 CpuShares)" = 256 ]
	[ "$(hc u1 PidsLimit)" = 60 ]
	[ "$(hc u1 RestartPolicy.Name)" = '"on-failure"' ]
	[ "$(hc u1 RestartPolicy.MaximumRetryCount)" = 3 ]
	# kept for the next start
	run b stop -t 1 u1
	[ "$status" -eq 0 ]
	run b start u1
	[ "$status" -eq 0 ]
	[ "$(cg memory memory.limit_in_bytes u1)" = 104857600 ]
	[ "$(cg cpu cpu.shares u1)" = 256 ]
	[ "$(cg pids pids.max u1)" = 60 ]
	# several at once, and a created one (container update); -1: no pids limit
	run b create --network none --name u2 busybox sleep 1000
	[ "$status" -eq 0 ]
	run b container update --pids-limit -1 --cpus 0.5 u1 u2
	[ "$status" -eq 125 ]
	[[ "$output" == *"conflicting options: --cpus and --cpu-period/--cpu-quota"* ]]
	run b container update --pids-limit -1 --cpu-shares 128 u2 u1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = u2 ]
	[ "${lines[1]}" = u1 ]
	[ "$(cg pids pids.max u1)" = max ]
	[ "$(hc u2 CpuShares)" = 128 ]
	run b start u2
	[ "$status" -eq 0 ]
	[ "$(cg cpu cpu.shares u2)" = 128 ]
	[ "$(cg pids pids.max u2)" = max ]
}

@test "update: bad input is one line, 125, nothing changed" {
	run b run --network none -d --name v1 -m 64m --memory-swap 128m busybox sleep 1000
	[ "$status" -eq 0 ]
	before=$(b inspect v1 | jq -c '.HostConfig, .config.linux.resources')
	bad 125 "bad --memory: 209715200 bytes is above the container's --memory-swap" update -m 200m v1
	bad 125 "bad --memory-swap: 33554432 bytes is below --memory's" update --memory-swap 32m v1
	bad 125 "bad --cpu-shares \`1\`" update --cpu-shares 1 v1
	bad 125 "bad --cpu-period \`x\`" update --cpu-period x v1
	bad 125 "bad --cpu-quota \`5\`" update --cpu-quota 5 v1
	bad 125 "bad --cpuset-cpus \`9-\`" update --cpuset-cpus 9- v1
	bad 125 "bad --cpuset-mems \`x\`" update --cpuset-mems x v1
	bad 125 "bad --blkio-weight \`1\`" update --blkio-weight 1 v1
	bad 125 "bad --pids-limit \`-5\`" update --pids-limit -5 v1
	bad 125 "bad --memory-reservation \`0\`" update --memory-reservation 0 v1
	bad 125 "bad --cpus \`0\`" update --cpus 0 v1
	bad 125 "bad --cpus \`4096\`: expected from 0.01 to" update --cpus 4096 v1
	bad 125 "bad --restart \`sometimes\`" update --restart sometimes v1
	bad 125 "nothing to update" update v1
	bad 125 "no container given" update -m 100m
	bad 125 "unknown option \`--oom-kill-disable\`" update --oom-kill-disable v1
	# an unknown name among them: none changed
	bad 125 "no container \"nosuch\"" update -m 100m --memory-swap 300m v1 nosuch
	[ "$(b inspect v1 | jq -c '.HostConfig, .config.linux.resources')" = "$before" ]
	[ "$(cg memory memory.limit_in_bytes v1)" = 67108864 ]
	run b run --network none -d --rm --name v2 busybox sleep 1000
	[ "$status" -eq 0 ]
	bad 125 "bad --restart \`always\`: the container is removed when it exits (--rm)" update --restart always v2
}

@test "update --restart: a running container's monitor follows the new policy" {
	run b run --network none -d --name r1 busybox sh -c 'echo run >>/runs; while [ ! -e /tmp/go ]; do sleep 0.1; done; exit 3'
	[ "$status" -eq 0 ]
	# stopped and started again first: the stop's mark is not left for the new policy
	run b stop -t 1 r1
	[ "$status" -eq 0 ]
	run b start r1
	[ "$status" -eq 0 ]
	run b update --restart on-failure:2 r1
	[ "$status" -eq 0 ]
	[ "$output" = r1 ]
	run b exec r1 touch /tmp/go
	[ "$status" -eq 0 ]
	# restarted twice (on-failure:2), then left exited
	for i in $(seq 300); do
		[ "$(b inspect r1 | jq -r '.state + " " + (.restart_count | tostring)')" = "exited 2" ] && break
		sleep 0.1
	done
	b inspect r1 | jqe '.state == "exited" and .restart_count == 2 and .exit_code == 3'
	[ "$(b cp r1:/runs - | tar -xO | wc -l)" -eq 4 ]
}
