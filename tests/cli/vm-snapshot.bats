#!/usr/bin/env bats
# Snapshots of managed VMs: `berth vm snapshot VM DIR [--stop]` and `berth vm restore DIR
# [--name N] [--copy-disks]`. A guest counts in memory and writes to its disk; after a
# snapshot and the original's removal, the restored VM's counter goes on from where it was
# and its disk holds what the guest wrote; two restores of one snapshot are two VMs; a
# corrupted state file, a truncated RAM file and a changed disk are refused, leaving
# nothing. Each test has its own --root; teardown removes what is left (rm -f ends the VM
# processes the test started). Waits are bounded polling loops.
# Environment: BERTH_BUILD, BERTH_TOP (tests/cli/vm-helpers.bash).

load vm-helpers
load helpers

setup_file() { vm_setup_file; }

setup() {
	vm_setup
	R="$TMP/root"
	truncate -s 8M "$TMP/disk.img"
}

teardown() { mvm_teardown; }

b() { mvm "$@"; }

# The guest writes MARK at the start of its disk, then every second prints "COUNT N UPTIME"
# (N in its memory) and writes "DISK N" at byte 4096 of the disk.
GUEST='echo MARK-snapshot-test | dd of=/dev/vda bs=512 count=1 conv=sync 2>/dev/null; sync; i=0; while true; do i=$((i+1)); read u x </proc/uptime; echo COUNT $i $u; echo DISK $i | dd of=/dev/vda bs=512 seek=8 count=1 conv=sync 2>/dev/null; sync; sleep 1; done'

start_counter() {
	run b vm run -d --name "$1" --kernel "$KERNEL" --initrd "$INITRD" --disk "$TMP/disk.img" \
		--append "console=ttyS0 -- \"$GUEST\""
	echo "$output"
	[ "$status" -eq 0 ]
}

# wait_exited NAME: poll until the VM has exited (bounded)
wait_exited() {
	local i
	for i in $(seq 300); do
		if [ "$(b vm inspect "$1" | jq -r .status)" = exited ]; then
			return 0
		fi
		sleep 0.2
	done
	return 1
}

# flip FILE OFFSET: change one byte of FILE
flip() {
	python3 -c 'import sys
f = open(sys.argv[1], "r+b")
f.seek(int(sys.argv[2]))
c = f.read(1)
f.seek(int(sys.argv[2]))
f.write(bytes([c[0] ^ 0x55]))' "$1" "$2"
}

first_count() { b vm logs "$1" | grep '^COUNT ' | head -1 | cut -d' ' -f2; }
last_count() { b vm logs "$1" | grep '^COUNT ' | tail -1 | cut -d' ' -f2; }
last_uptime() { b vm logs "$1" | grep '^COUNT ' | tail -1 | cut -d' ' -f3; }
first_uptime() { b vm logs "$1" | grep '^COUNT ' | head -1 | cut -d' ' -f3; }

@test "vm snapshot: restored after the original is gone, the counter and the disk go on" {
	start_counter c1
	wait_log c1 "COUNT 3 "
	run b vm snapshot --stop c1 "$TMP/snap"
	echo "$output"
	[ "$status" -eq 0 ]
	wait_exited c1
	[ -f "$TMP/snap/ram" ]
	[ -f "$TMP/snap/state" ]
	# RAM is written sparse: far less is allocated than --mem
	[ "$(du -k "$TMP/snap/ram" | cut -f1)" -lt $((128 * 1024)) ]
	n=$(last_count c1)
	up=$(last_uptime c1)
	echo "snapshot at COUNT $n, uptime $up"
	# the disk was flushed: the guest's writes are in the file
	[ "$(head -c 18 "$TMP/disk.img")" = "MARK-snapshot-test" ]
	# (the guest prints COUNT N before it writes DISK N)
	d=$(dd if="$TMP/disk.img" bs=512 skip=8 count=1 2>/dev/null | tr -d '\0' | head -1)
	[ "$d" = "DISK $n" ] || [ "$d" = "DISK $((n - 1))" ] || false
	b vm rm c1
	run b vm restore --name c2 "$TMP/snap"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{16}$ ]] || false
	wait_log c2 "COUNT $((n + 2)) "
	# the counter goes on from memory, the guest's clock from the saved time
	[ "$(first_count c2)" -eq $((n + 1)) ]
	awk -v a="$up" -v b="$(first_uptime c2)" 'BEGIN { exit !(b > a && b < a + 3) }'
	# the restored guest writes to the same disk
	for i in $(seq 100); do
		d=$(dd if="$TMP/disk.img" bs=512 skip=8 count=1 2>/dev/null | tr -d '\0' | head -1)
		[ "${d#DISK }" -gt $((n + 1)) ] && break
		sleep 0.2
	done
	[ "${d#DISK }" -gt $((n + 1)) ]
	[ "$(head -c 18 "$TMP/disk.img")" = "MARK-snapshot-test" ]
}

@test "vm snapshot: without --stop the VM goes on; two restores with --copy-disks are two VMs" {
	start_counter c1
	wait_log c1 "COUNT 3 "
	run b vm snapshot c1 "$TMP/snap"
	[ "$status" -eq 0 ]
	n=$(last_count c1)
	wait_log c1 "COUNT $((n + 2)) "
	[ "$(b vm inspect c1 | jq -r .status)" = running ]
	# what writing the snapshot ran left the RSS again when the harts resumed: at most half
	# of the code and read-only data pages resident (about 1800 KiB of 4464)
	pid=$(b vm inspect c1 | jq -r .pid)
	read -r rss size < <(text_kib "$pid")
	echo "code and read-only data: $rss KiB resident of $size"
	[ $((rss / 4)) -le $((size / 4 / 2)) ]
	# the state file's SHA-256 is nettle's: libcrypto is not loaded into the VM process
	run grep -c libcrypto "/proc/$pid/maps"
	[ "$output" = 0 ] || false
	# a disk a running VM writes cannot be copied, nor used
	run b vm restore --copy-disks "$TMP/snap"
	echo "$output"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"is in use by another process"* ]]
	b vm rm -f c1
	# the original wrote on after the snapshot: the disk is refused as it is
	run b vm restore "$TMP/snap"
	echo "$output"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"changed since the snapshot"* ]]
	[ "$(ls "$R/vms" | wc -l)" -eq 0 ]
}

@test "vm snapshot: one snapshot restored twice gives two independent VMs" {
	start_counter c1
	wait_log c1 "COUNT 3 "
	run b vm snapshot --stop c1 "$TMP/snap"
	[ "$status" -eq 0 ]
	wait_exited c1
	n=$(last_count c1)
	b vm rm c1
	run b vm restore --name r1 --copy-disks "$TMP/snap"
	[ "$status" -eq 0 ]
	id1=$output
	run b vm restore --name r2 --copy-disks "$TMP/snap"
	echo "$output"
	[ "$status" -eq 0 ]
	id2=$output
	wait_log r1 "COUNT $((n + 2)) "
	wait_log r2 "COUNT $((n + 2)) "
	[ "$(first_count r1)" -eq $((n + 1)) ]
	[ "$(first_count r2)" -eq $((n + 1)) ]
	# each has its own copy of the disk, written by its own guest
	[ "$(head -c 18 "$R/vms/$id1/disk0")" = "MARK-snapshot-test" ]
	[ "$(head -c 18 "$R/vms/$id2/disk0")" = "MARK-snapshot-test" ]
	# one paused, the other counts on
	b vm pause r1
	m1=$(last_count r1)
	m2=$(last_count r2)
	wait_log r2 "COUNT $((m2 + 2)) "
	[ "$(last_count r1)" -eq "$m1" ]
	b vm resume r1
	wait_log r1 "COUNT $((m1 + 1)) "
	# the snapshot's files are untouched by the two guests (MAP_PRIVATE)
	run b vm restore --name r3 --copy-disks "$TMP/snap"
	[ "$status" -eq 0 ]
	wait_log r3 "COUNT $((n + 1)) "
	[ "$(first_count r3)" -eq $((n + 1)) ]
}

# copies PID FILE...: how many of the FILEs have 256 bytes from their middle in the VM
# process's private anonymous memory (guest RAM, the 256 MiB mapping, left out; mappings
# over 64 MiB, such as ASan's shadow, too)
copies() {
	python3 - "$@" <<'PY'
import re, sys
pid, files = sys.argv[1], sys.argv[2:]
needles = []
for f in files:
    data = open(f, "rb").read()
    needles.append(data[len(data) // 2:len(data) // 2 + 256])
found = set()
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (r)..p \S+ \S+ 0\s*(\S*)$", line)
        if not m or m.group(4) not in ("", "[heap]"):
            continue
        a, b = int(m.group(1), 16), int(m.group(2), 16)
        if b - a == 256 << 20 or b - a > 64 << 20:
            continue
        try:
            mem.seek(a)
            chunk = mem.read(b - a)
        except OSError:
            continue
        for k, n in enumerate(needles):
            if n in chunk:
                found.add(k)
print(len(found))
PY
}

@test "vm snapshot: the VM process keeps no copy of the images; a restore hands it the checked state" {
	start_counter c1
	wait_log c1 "COUNT 2 "
	pid=$(b vm inspect c1 | jq -r .pid)
	# the kernel and initrd are read into guest RAM at boot, not kept beside it
	run copies "$pid" "$KERNEL" "$INITRD"
	echo "booted: $output of the images in the VM process's own memory"
	[ "$output" = 0 ]
	run b vm snapshot --stop c1 "$TMP/snap"
	[ "$status" -eq 0 ]
	wait_exited c1
	n=$(last_count c1)
	b vm rm c1
	run b vm restore --name c2 "$TMP/snap"
	[ "$status" -eq 0 ]
	pid=$(b vm inspect c2 | jq -r .pid)
	wait_log c2 "COUNT $((n + 1)) "
	run copies "$pid" "$KERNEL" "$INITRD"
	echo "restored: $output"
	[ "$output" = 0 ]
	# the records vm restore checked came on stdin: the VM process did not check the
	# state's SHA-256 again (libcrypto, which does, is not loaded), and stdin is let go
	run grep -c libcrypto "/proc/$pid/maps"
	[ "$output" = 0 ]
	[ "$(readlink "/proc/$pid/fd/0")" = /dev/null ]
}

@test "vm snapshot: a flipped byte in state, a truncated ram, a changed disk are refused" {
	start_counter c1
	wait_log c1 "COUNT 2 "
	run b vm snapshot --stop c1 "$TMP/snap"
	[ "$status" -eq 0 ]
	wait_exited c1
	b vm rm c1
	size=$(stat -c %s "$TMP/snap/state")
	for at in 3 100 $((size / 2)) $((size - 70)); do
		cp -r "$TMP/snap" "$TMP/bad"
		flip "$TMP/bad/state" "$at"
		run cmp -s "$TMP/snap/state" "$TMP/bad/state"
		[ "$status" -eq 1 ]
		run b vm restore --name x "$TMP/bad"
		echo "$at: $output"
		[ "$status" -eq 125 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "berth vm: \`$TMP/bad/state\`: "* ]]
		rm -r "$TMP/bad"
	done
	cp -r "$TMP/snap" "$TMP/trunc"
	truncate -s 1M "$TMP/trunc/ram"
	run b vm restore --name x "$TMP/trunc"
	echo "$output"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"the snapshot's ram file has 1048576 bytes, expected 268435456 (truncated?)" ]]
	echo changed | dd of="$TMP/disk.img" bs=1 seek=100000 conv=notrunc 2>/dev/null
	run b vm restore --name x "$TMP/snap"
	echo "$output"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"--disk $TMP/disk.img: changed since the snapshot"* ]]
	# nothing is left: no record, no process, no socket
	[ "$(ls "$R/vms" | wc -l)" -eq 0 ]
	run b vm ls -a --format json
	[ "$output" = "[]" ]
	# a missing snapshot and a VM with a share
	run b vm restore "$TMP/nosuch"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	mkdir "$TMP/share"
	run b vm run -d --name s1 --kernel "$KERNEL" --initrd "$INITRD" --share "$TMP/share:tag" \
		--append "console=ttyS0 -- \"sleep 1000\""
	[ "$status" -eq 0 ]
	run b vm snapshot s1 "$TMP/snap2"
	echo "$output"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"a VM with --share cannot be snapshotted"* ]]
	[ ! -e "$TMP/snap2" ]
	[ "$(b vm inspect s1 | jq -r .status)" = running ]
}
