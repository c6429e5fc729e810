#!/usr/bin/env bats
# Managed VMs: `berth vm run -d`, create/start, ls, inspect, logs, console (through a pty),
# pause/resume (a counter the guest prints stops, and the guest's clock does not jump), stop
# (Ctrl-Alt-Del on the virtio keyboard reaches the guest's init, which powers off), kill, rm,
# and bad names. Each test has its own --root; teardown removes what is left (rm -f ends the
# VM processes the test started). Waits are bounded polling loops.
# Environment: BERTH_BUILD, BERTH_TOP (tests/cli/vm-helpers.bash).

load vm-helpers
load helpers

setup_file() { vm_setup_file; }

setup() {
	vm_setup
	R="$TMP/root"
}

teardown() { mvm_teardown; }

b() { mvm "$@"; }

# A counter the guest prints every second with its uptime: "COUNT N UPTIME".
COUNTER='i=0; while true; do i=$((i+1)); read u x </proc/uptime; echo COUNT $i $u; sleep 1; done'

# status NAME: the VM's status in `vm ls -a --format json`
vm_status() {
	b vm ls -a --format json | jq -r --arg n "$1" '.[] | select(.name == $n) | .status'
}

# wait_status NAME STATUS (bounded)
wait_status() {
	local i
	for i in $(seq 300); do
		if [ "$(vm_status "$1")" = "$2" ]; then
			return 0
		fi
		sleep 0.2
	done
	echo "VM $1 is $(vm_status "$1"), not $2"
	return 1
}

# last_count NAME: the last counter line's number
last_count() {
	b vm logs "$1" | grep '^COUNT ' | tail -1 | cut -d' ' -f2
}

@test "vm manage: run -d returns, the VM runs on in the background, ls, inspect, logs" {
	run b vm run -d --name c1 --kernel "$KERNEL" --initrd "$INITRD" \
		--append "console=ttyS0 -- \"$COUNTER\""
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{16}$ ]] || false
	id=$output
	wait_log c1 "COUNT 3 "
	run b vm ls
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$id"*"c1"*"running"* ]]
	b vm ls --format json | jqe --arg id "$id" '.[0].id == $id and .[0].status == "running"'
	pid=$(b vm inspect c1 | jq -r .pid)
	[ -d "/proc/$pid" ]
	b vm inspect "${id:0:6}" | jqe '.name == "c1"'
	# the VM process is in a session of its own, not this shell's
	[ "$(ps -o sid= -p "$pid" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ]
	ls -l "$R/vms/$id"
	[ "$(stat -c %a "$R/vms/$id")" = 700 ]
	[ "$(stat -c %a "$R/vms/$id/control.sock")" = 600 ]
	[[ "$(stat -c %a "$R/vms/$id/console.sock")" == [67]00 ]] || false
	run b vm rm c1
	[ "$status" -eq 125 ]
	[[ "$output" == *"is running"* ]]
	run b vm rm -f c1
	[ "$status" -eq 0 ]
	[ ! -e "$R/vms/$id" ]
	# gone (or a zombie its new parent has not reaped yet)
	run ps -o stat= -p "$pid"
	[[ "$output" == "" || "$output" == Z* ]] || false
	[ "$(b vm ls -a --format json)" = "[]" ]
}

@test "vm manage: bad names, a name in use and unknown VMs are one line, 125, nothing left" {
	run b vm run -d --name same --kernel "$KERNEL" --initrd "$INITRD" --append "console=ttyS0 -- \"sleep 600\""
	[ "$status" -eq 0 ]
	run b vm run -d --name same --kernel "$KERNEL" --initrd "$INITRD"
	echo "$output"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "berth vm: --name: the name \"same\" is in use"* ]]
	[ "$(ls "$R/vms" | wc -l)" -eq 1 ]
	for cmd in inspect logs console stop kill pause resume rm start; do
		run b vm "$cmd" nosuch
		echo "$cmd: $output"
		[ "$status" -eq 125 ]
		[ "${#lines[@]}" -eq 1 ]
		[ "$output" = "berth vm: no such VM: nosuch" ]
	done
	run b vm create --name 'bad/name' --kernel "$KERNEL"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"not a valid name"* ]]
	# its console is its own socket
	run b vm run -d --console none --kernel "$KERNEL"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"--console: a managed VM's console is its own socket"* ]]
	# a VM whose machine cannot start: the VM process's error, and nothing left
	run b vm run -d --name broken --kernel /nonexistent
	echo "$output"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "berth vm: --kernel: open \`/nonexistent\`"* ]]
	[ "$(ls "$R/vms" | wc -l)" -eq 1 ]
}

@test "vm manage: create then start; the console through a pty answers, Ctrl-A d detaches" {
	run b vm create --name e1 --kernel "$KERNEL" --initrd "$INITRD" --append "console=ttyS0 berth.test=echo"
	[ "$status" -eq 0 ]
	[ "$(vm_status e1)" = created ]
	run b vm start e1
	[ "$status" -eq 0 ]
	wait_log e1 BERTH-ECHO-READY
	# detach first (Ctrl-A d): the console command ends, the VM runs on
	run ptydrive --timeout 120 --send '\x01d' -- "$BERTH" --root "$R" vm console e1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"status 0"* ]]
	[ "$(vm_status e1)" = running ]
	# then type a line: the guest's init echoes it and powers off, which ends the console
	run ptydrive --timeout 120 --send 'hello-from-pty\r' -- "$BERTH" --root "$R" vm console e1
	echo "$output"
	[[ "$output" == *"echo: hello-from-pty"* ]]
	wait_status e1 exited
	b vm inspect e1 | jqe '.exit_code == 0'
}

@test "vm manage: pause stops the guest's counter and its clock; resume goes on without a jump" {
	run b vm run -d --name p1 --kernel "$KERNEL" --initrd "$INITRD" --append "console=ttyS0 -- \"$COUNTER\""
	[ "$status" -eq 0 ]
	wait_log p1 "COUNT 3 "
	run b vm pause p1
	[ "$status" -eq 0 ]
	[ "$(vm_status p1)" = paused ]
	before=$(last_count p1)
	sleep 4
	[ "$(last_count p1)" = "$before" ]
	up_before=$(b vm logs p1 | grep "^COUNT $before " | cut -d' ' -f3)
	run b vm resume p1
	[ "$status" -eq 0 ]
	[ "$(vm_status p1)" = running ]
	wait_log p1 "COUNT $((before + 2)) "
	up_after=$(b vm logs p1 | grep "^COUNT $((before + 1)) " | cut -d' ' -f3)
	echo "uptime $up_before then $up_after after a 4 s pause"
	# one loop (sleep 1, and the slow emulated shell) apart, not the 4 s of the pause too
	awk -v a="$up_before" -v b="$up_after" 'BEGIN { exit !(b - a < 3.5) }'
}

@test "vm manage: stop presses Ctrl-Alt-Del, the guest's init powers off; a paused one is stopped hard" {
	run b vm run -d --name s1 --kernel "$KERNEL" --initrd "$INITRD" --append "console=ttyS0 -- \"$COUNTER\""
	[ "$status" -eq 0 ]
	wait_log s1 "COUNT 2 "
	# logs -f follows until the VM ends
	b vm logs -f s1 >"$TMP/follow.log" &
	fpid=$!
	run b vm stop -t 60 s1
	echo "$output"
	[ "$status" -eq 0 ]
	for i in $(seq 100); do
		if ! kill -0 "$fpid" 2>/dev/null; then
			break
		fi
		sleep 0.2
	done
	run kill -0 "$fpid"
	[ "$status" -ne 0 ]
	wait "$fpid"
	grep -q "BERTH-GUEST-CTRLALTDEL powering off" "$TMP/follow.log"
	run b vm logs s1
	[[ "$output" == *"BERTH-GUEST-CTRLALTDEL powering off"* ]]
	[[ "$output" == *"reboot: Power down"* ]]
	[ "$(vm_status s1)" = exited ]
	b vm inspect s1 | jqe '.exit_code == 0'
	# a paused guest cannot act on the request: the hard stop after -t
	run b vm run -d --name s2 --kernel "$KERNEL" --initrd "$INITRD" --append "console=ttyS0 -- \"$COUNTER\""
	[ "$status" -eq 0 ]
	wait_log s2 "COUNT 1 "
	b vm pause s2
	run b vm stop -t 1 s2
	[ "$status" -eq 0 ]
	[ "$(vm_status s2)" = exited ]
	run b vm logs s2
	[[ "$output" != *"BERTH-GUEST-CTRLALTDEL"* ]]
	# a stopped VM starts again
	run b vm start s2
	[ "$status" -eq 0 ]
	wait_status s2 running
	run b vm kill s2
	[ "$status" -eq 0 ]
	[ "$(vm_status s2)" = exited ]
	run b vm rm s2
	[ "$status" -eq 0 ]
	run b vm rm s1
	[ "$status" -eq 0 ]
	[ "$(ls -A "$R/vms")" = "" ]
}

@test "vm manage: kill of a VM process that does not answer (stopped) ends it with SIGKILL" {
	run b vm run -d --name k1 --kernel "$KERNEL" --initrd "$INITRD" --append "console=ttyS0 -- \"sleep 600\""
	[ "$status" -eq 0 ]
	pid=$(b vm inspect k1 | jq -r .pid)
	kill -STOP "$pid"
	run b vm kill k1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(vm_status k1)" = exited ]
	b vm inspect k1 | jqe '.exit_code == 137'
	[ ! -e "$R/vms/$(b vm inspect k1 | jq -r .id)/control.sock" ]
	run b vm rm k1
	[ "$status" -eq 0 ]
}

@test "vm manage: Ctrl-A x on the console powers the VM off and ends the console" {
	run b vm run -d --name x1 --kernel "$KERNEL" --initrd "$INITRD" --append "console=ttyS0 -- \"sleep 600\""
	[ "$status" -eq 0 ]
	run ptydrive --timeout 120 --send '\x01x' -- "$BERTH" --root "$R" vm console x1
	echo "$output"
	[[ "$output" == *"status "[0-9]* ]]
	wait_status x1 exited
}

@test "vm manage: the running VM keeps little of berth's and its libraries' code resident" {
	# the kernel maps 64 KiB of a file around each fault: starting berth had put about 70 %
	# of these pages in the RSS; once the harts run they are dropped and only what the VM
	# runs comes back (src/vm/trim.c)
	run b vm run -d --name t1 --kernel "$KERNEL" --initrd "$INITRD" \
		--append "console=ttyS0 -- \"$COUNTER\""
	[ "$status" -eq 0 ]
	wait_log t1 "COUNT 3 "
	pid=$(b vm inspect t1 | jq -r .pid)
	read -r rss size < <(text_kib "$pid")
	echo "code and read-only data: $rss KiB resident of $size"
	[ "$size" -gt 0 ]
	# in pages: at most a third of them (a release build: 1172 KiB of 4464, 3148 before)
	[ $((rss / 4)) -le $((size / 4 / 3)) ]
}
