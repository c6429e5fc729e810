#!/usr/bin/env bats
# System VMs (issue 22): the image's own init booted as pid 1 of a `berth run --vm` guest
# (guest/agent.c's `s` record), as a system container boots it. The image is the built-in
# busybox's riscv64 variant with an /etc/inittab (berth build --platform linux/riscv64), which
# boots as a system container too (through binfmt_misc); and Debian 13's riscv64 sysvinit
# (system-image.sh sysvinit-riscv64) with an inittab of the test's. The guest kernel has no
# cgroups, so systemd is refused with --vm.
load helpers
load engine-helpers
bats_require_minimum_version 1.5.0

setup_file() {
	vm_guest_setup_file
}

setup() {
	ROOT=$BATS_TEST_TMPDIR/root
	vm_guest_skip
}

# riscv64_image NAME DOCKERFILE-LINES…: the built-in busybox's riscv64 variant with the lines
# (and an inittab in the context) as NAME.
riscv64_image() {
	local ctx=$BATS_TEST_TMPDIR/ctx name=$1
	shift
	mkdir -p "$ctx"
	cat >"$ctx/inittab" <<-'EOF2'
		::sysinit:/bin/echo busybox-init: sysinit done
		::respawn:/bin/sleep 1000000
		::shutdown:/bin/echo busybox-init: shutting down
	EOF2
	printf '#!/bin/sh\necho not a systemd\n' >"$ctx/systemd"
	chmod 755 "$ctx/systemd"
	printf '%s\n' "FROM busybox" "$@" >"$ctx/Dockerfile"
	b build -q --platform linux/riscv64 -t "$name" "$ctx" >/dev/null
}

@test "run --vm of a system image boots its busybox init as pid 1 of the guest; stop powers it off, a reboot ends it" {
	local id pid i
	riscv64_image bbsys 'COPY inittab /etc/inittab' 'CMD ["/sbin/init"]'
	id=$(b run --vm -d --name vs bbsys)
	wait_log vs "sysinit done"
	# the image's init is the guest's pid 1, its inittab's respawn running
	[ "$(b exec vs cat /proc/1/comm)" = init ] || false
	[ "$(b exec vs uname -m)" = riscv64 ] || false
	run -0 b exec vs ps -o pid,args
	[[ "$output" == *"sleep 1000000"* ]] || false
	run -0 b inspect vs
	jqe '.stop_signal == "SIGUSR2" and .system == "busybox"' <<<"$output"
	pid=$(jq -r .pid <<<"$output")
	# SIGUSR2: busybox init's poweroff; its ::shutdown: action, then the machine powers
	# off (status 0, not a kill's 137) well inside the timeout
	b stop -t 60 vs
	run b logs vs
	[[ "$output" == *"busybox-init: shutting down"* ]] || false
	[[ "$output" == *"Requesting system poweroff"* ]] || false
	run -0 b inspect vs
	jqe '.exit_code == 0' <<<"$output"
	b rm vs
	[ ! -e "$ROOT/containers/$id" ] || false
	run ! grep -q "$ROOT/containers" /proc/self/mountinfo
	[ ! -e "/run/berth-vm/${id:0:24}" ] || false
	[ ! -e "/proc/$pid" ] || false
	# a reboot inside (busybox's: SIGTERM to init) ends the machine too, with the VM's
	# status of a reboot under --no-reboot, 2
	b run --vm -d --name vr bbsys >/dev/null
	wait_log vr "sysinit done"
	b exec vr reboot
	for i in $(seq 1200); do
		b ps -a | grep " vr\$" | grep -q Exited && break
		sleep 0.25
	done
	run -0 b logs vr
	[[ "$output" == *"busybox-init: shutting down"* ]] || false
	[[ "$output" == *"Requesting system reboot"* ]] || false
	run -0 b inspect vr
	jqe '.exit_code == 2' <<<"$output"
	b rm vr
}

@test "the same riscv64 image boots as a system container too (binfmt_misc, qemu-user-static)" {
	local id
	command -v qemu-riscv64-static >/dev/null || skip "no qemu-riscv64-static"
	riscv64_image bbsys 'COPY inittab /etc/inittab' 'CMD ["/sbin/init"]'
	# the image the VM test boots, without --vm: its init is pid 1 of a container
	id=$(b run -d --name cs bbsys)
	wait_log cs "sysinit done"
	[ "$(b exec cs cat /proc/1/comm)" = init ] || false
	[ "$(b exec cs uname -m)" = riscv64 ] || false
	run -0 b inspect cs
	jqe '.stop_signal == "SIGUSR2" and .system == "busybox" and (.vm | not)' <<<"$output"
	b stop -t 60 cs
	run -0 b logs cs
	[[ "$output" == *"busybox-init: shutting down"* ]] || false
	[[ "$output" == *"Requesting system poweroff"* ]] || false
	run -0 b inspect cs
	jqe '.exit_code == 0' <<<"$output"
	b rm cs
	[ ! -e "$ROOT/containers/$id" ] || false
	run ! grep -q "$ROOT/containers" /proc/self/mountinfo
}

@test "run --vm of Debian 13 riscv64 sysvinit: runlevel 2, its console in the log; stop is Ctrl-Alt-Del, then its reboot" {
	local tar id d=$BATS_TEST_TMPDIR/sv
	tar=$("$BATS_TEST_DIRNAME/system-image.sh" sysvinit-riscv64) || tar=
	[ -s "$tar" ] || skip "no Debian 13 riscv64 sysvinit root filesystem (system-image.sh sysvinit-riscv64)"
	# extracted, not configured: no inittab of its own (nor rc links); one of the test's,
	# whose runlevel 6 reboots, and Ctrl-Alt-Del as Debian's
	mkdir -p "$d/root" "$d/ctx"
	tar -C "$d/root" -xf "$tar"
	cat >"$d/root/etc/inittab" <<-'EOF2'
		id:2:initdefault:
		si::sysinit:/usr/bin/busybox echo sysvinit: sysinit done
		l2:2:wait:/usr/bin/busybox echo sysvinit: runlevel 2
		l6:6:wait:/usr/bin/busybox echo sysvinit: runlevel 6, rebooting
		r6:6:wait:/usr/sbin/reboot -f
		ca:12345:ctrlaltdel:/usr/sbin/shutdown -t1 -a -r now
	EOF2
	tar -C "$d/root" -cf "$d/ctx/root.tar" .
	printf '%s\n' 'FROM scratch' 'ADD root.tar /' 'CMD ["/sbin/init"]' >"$d/ctx/Dockerfile"
	b build -q --platform linux/riscv64 -t svrv "$d/ctx" >/dev/null
	id=$(b run --vm -d --name sv svrv)
	wait_log sv "sysvinit: runlevel 2"
	[ "$(b exec sv runlevel)" = "N 2" ] || false
	[ "$(b exec sv /usr/bin/busybox cat /proc/1/comm)" = init ] || false
	# sysvinit writes its messages, and runs its processes, on /dev/console: a pty the agent
	# copies to the log
	run -0 b logs sv
	[[ "$output" == *"INIT: Entering runlevel: 2"* ]] || false
	[[ "$output" == *"sysvinit: sysinit done"* ]] || false
	run -0 b inspect sv
	jqe '.stop_signal == "SIGINT" and .system == "init"' <<<"$output"
	# SIGINT: ctrlaltdel's shutdown -r, runlevel 6, reboot -f: the machine ends with a
	# reboot's status under --no-reboot, 2 (not a kill's 137)
	# (not its "INIT: Switching to runlevel: 6": for runlevel 6 sysvinit resets the console
	# right after that line with tcflush(TCIOFLUSH), which discards what the agent has not
	# read from the pty yet, as on a serial line: 2 boots in 10 lost it)
	b stop -t 60 sv
	run -0 b logs sv
	[[ "$output" == *"sysvinit: runlevel 6, rebooting"* ]] || false
	run -0 b inspect sv
	jqe '.exit_code == 2' <<<"$output"
	b rm sv
	[ ! -e "$ROOT/containers/$id" ] || false
	run ! grep -q "$ROOT/containers" /proc/self/mountinfo
}

@test "run --vm of a system whose init ends: the guest kernel's panic ends the machine, status 2" {
	local i
	riscv64_image bbsys 'COPY inittab /etc/inittab'
	# --systemd=always: sh as the guest's pid 1; when it ends the kernel panics, and
	# panic=-1 reboots at once: the machine ends (not a hang) with status 2, a reboot's
	# under --no-reboot (not a power-off's clean 0)
	b run --vm -d --systemd=always --name ve bbsys sh -c 'echo pid1 is $$; exit 3'
	for i in $(seq 1200); do
		b ps -a | grep " ve\$" | grep -q Exited && break
		sleep 0.25
	done
	run -0 b logs ve
	[ "$output" = "pid1 is 1" ] || false
	run -0 b inspect ve
	jqe '.exit_code == 2' <<<"$output"
	b rm ve
}

@test "run --vm of systemd: one line (the guest kernel has no cgroups), nothing left" {
	riscv64_image sdvm 'COPY systemd /usr/lib/systemd/systemd'
	bad 125 "bad command \`/usr/lib/systemd/systemd\` with --vm: systemd needs cgroups, which the guest kernel is built without" \
		run --vm -d sdvm /usr/lib/systemd/systemd
	[ -z "$(ls "$ROOT/containers")" ] || false
	run ! grep -q "$ROOT/containers" /proc/self/mountinfo
}
