#!/usr/bin/env bats
# System containers (issue 22): a distribution's init as pid 1. The test image is Debian 12
# minbase with systemd-sysv made by mmdebstrap (tests/cli/system-image.sh, cached between
# runs) and imported with `image import --change` (its sysvinit-core and openrc variants in
# their tests); the busybox-init image is the built-in
# busybox with an /etc/inittab. One store for the file (an import of the Debian tarball
# takes seconds), its containers removed after each test.
load helpers
load engine-helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export ROOT=$BATS_FILE_TMPDIR/root
	local tar
	tar=$("$BATS_TEST_DIRNAME/system-image.sh") || tar=
	if [ -s "$tar" ]; then
		"$BERTH" --root "$ROOT" image import --change 'CMD ["/sbin/init"]' "$tar" deb12 \
			>/dev/null
	fi
}

setup() {
	ROOT=$BATS_FILE_TMPDIR/root
	b image inspect deb12 >/dev/null || skip "no Debian 12 test image (system-image.sh)"
}

# wait_system NAME: `systemctl is-system-running` inside, polled (bounded) until it is no
# longer starting; prints the last answer.
wait_system() {
	local i s=
	for i in $(seq 300); do
		s=$(b exec "$1" systemctl is-system-running 2>/dev/null) || true
		case $s in
		running | degraded | maintenance | stopping | offline) break ;;
		esac
		sleep 0.1
	done
	echo "$s"
}

# nothing of container ID left: record, runtime state, mounts, cgroups in any hierarchy
assert_ctr_gone() {
	[ ! -e "$ROOT/containers/$1" ] || false
	run ! grep -q "$1" /proc/self/mountinfo
	run ! sh -c "ls -d /sys/fs/cgroup/*/berth/$1 2>/dev/null | grep ."
}

@test "image import --change sets the config of a rootfs tarball, as Docker's" {
	local d=$BATS_TEST_TMPDIR/rootfs
	mkdir -p "$d/etc"
	echo hello >"$d/etc/hello"
	tar -C "$d" -cf "$BATS_TEST_TMPDIR/r.tar" .
	b image import -c 'CMD ["/sbin/init", "-x"]' --change 'ENTRYPOINT /bin/x y' \
		-c 'ENV A=1 "B=two words"' -c 'ENV C some value' -c 'EXPOSE=80 53/udp' \
		-c 'LABEL a=b "c d"=e' -c STOPSIGNAL=SIGRTMIN+3 -c 'VOLUME ["/v"]' -c 'USER 1:2' \
		-c 'workdir /srv' "$BATS_TEST_TMPDIR/r.tar" chg
	run b image inspect chg
	echo "$output"
	jqe -c '.config.config.Cmd == ["/sbin/init", "-x"]' <<<"$output"
	jqe -c '.config.config.Entrypoint == ["/bin/sh", "-c", "/bin/x y"]' <<<"$output"
	jqe -c '.config.config.Env | (. - ["A=1", "B=two words", "C=some value"] | length) == length - 3' \
		<<<"$output"
	jqe -c '.config.config.ExposedPorts == {"80/tcp": {}, "53/udp": {}}' <<<"$output"
	jqe -c '.config.config.Labels == {"a": "b", "c d": "e"}' <<<"$output"
	jqe -c '.config.config.StopSignal == "SIGRTMIN+3" and .config.config.User == "1:2"' <<<"$output"
	jqe -c '.config.config.Volumes == {"/v": {}} and .config.config.WorkingDir == "/srv"' <<<"$output"
	b rmi chg
	# a bad one: one line naming it, nothing stored
	run b images -q
	local before=$output
	bad 125 "bad --change \`EXPOSE 0\`: \`0\` is not a port" image import -c 'EXPOSE 0' \
		"$BATS_TEST_TMPDIR/r.tar" chg2
	bad 125 "bad --change \`FROM x\`: expected INSTRUCTION VALUE" image import -c 'FROM x' \
		"$BATS_TEST_TMPDIR/r.tar" chg2
	run b images -q
	[ "$output" = "$before" ] || false
	[ -z "$(ls "$ROOT/tmp" 2>/dev/null)" ] || false
}

@test "systemd boots as pid 1 (--systemd=always), shows its boot, halts on stop, leaves nothing" {
	local id s
	id=$(b run -d --systemd=always --name sys deb12 /sbin/init)
	s=$(wait_system sys)
	if [ "$s" != running ]; then
		b exec sys systemctl --failed --no-pager || true
		b logs sys | tail -30
	fi
	[ "$s" = running ] || false
	[ "$(b exec sys cat /proc/1/comm)" = systemd ] || false
	# its own subtree of name=systemd, in a cgroup namespace; the controllers read-only
	run b exec sys cat /proc/1/cgroup
	[[ "$output" == *"name=systemd:/init.scope"* ]] || false
	run b exec sys sh -c 'mkdir /sys/fs/cgroup/memory/x'
	[ "$status" -ne 0 ] || false
	b exec sys sh -c 'test -d /sys/fs/cgroup/systemd/system.slice'
	# what systemd expects of a container
	run b exec sys sh -c 'tr "\0" "\n" </proc/1/environ'
	[[ "$output" == *"container=berth"* ]] || false
	[ "$(b exec sys cat /etc/machine-id)" = "${id:0:32}" ] || false
	run b exec sys findmnt -n -o FSTYPE /run
	[ "$output" = tmpfs ] || false
	run b exec sys journalctl -b --no-pager
	[[ "$output" == *"Journal started"* ]] || false
	[[ "$output" == *"Reached target multi-user.target"* ]] || false
	# the console: systemd's boot in the log
	run b logs sys
	[[ "$output" == *"Reached target"*"Multi-User System"* ]] || false
	# SIGRTMIN+3: a clean halt, well inside the timeout (no SIGKILL: status 0)
	b stop -t 60 sys
	run b inspect sys
	jqe '.exit_code == 0' <<<"$output"
	run b logs sys
	[[ "$output" == *"Reached target"*"System Shutdown"* ]] || false
	[[ "$output" == *"Halting system."* ]] || false
	b rm sys
	assert_ctr_gone "$id"
}

@test "--systemd=true (the default) sets up an image whose command is /sbin/init; false does not" {
	local s
	b run -d --name sys deb12
	s=$(wait_system sys)
	[ "$s" = running ] || false
	b rm -f sys
	# false: as any command, without /run and the cgroup tree: systemd gives up
	run b run --rm --systemd=false deb12 /sbin/init
	echo "$output"
	[ "$status" -ne 0 ] || false
	bad 125 "bad --systemd \`yes\`: expected true, false or always" run --systemd=yes deb12
	bad 125 "--cgroupns host: systemd in a system container needs a cgroup namespace of its own" \
		run -d --cgroupns host deb12
	[ -z "$(ls "$ROOT/containers")" ] || false
}

# busybox_init_image NAME INIT: the built-in busybox with an /etc/inittab, imported as NAME
# with CMD /sbin/init; INIT (a script) replaces /sbin/init, "none" removes it.
busybox_init_image() {
	local d=$BATS_TEST_TMPDIR/bb id
	rm -rf "$d"
	mkdir -p "$d"
	id=$(b create busybox true)
	b export "$id" | tar -C "$d" -xf -
	b rm "$id" >/dev/null
	mkdir -p "$d/etc"
	cat >"$d/etc/inittab" <<-'EOF'
		::sysinit:/bin/echo busybox-init: sysinit done
		::respawn:/bin/sleep 1000000
		::shutdown:/bin/echo busybox-init: shutting down
	EOF
	if [ "$2" = none ]; then
		rm "$d/sbin/init"
	elif [ -n "$2" ]; then
		rm "$d/sbin/init"
		printf '%s\n' "$2" >"$d/sbin/init"
		chmod 755 "$d/sbin/init"
	fi
	tar -C "$d" -cf "$d.tar" .
	b image import -c 'CMD ["/sbin/init"]' "$d.tar" "$1" >/dev/null
}

@test "busybox init with an inittab boots and stops the same way" {
	local id i
	busybox_init_image bbinit ""
	id=$(b run -d --name bb bbinit)
	for i in $(seq 100); do
		b logs bb | grep -q "sysinit done" && break
		sleep 0.1
	done
	run b logs bb
	[[ "$output" == *"busybox-init: sysinit done"* ]] || false
	[ "$(b exec bb cat /proc/1/comm)" = init ] || false
	run b exec bb ps
	[[ "$output" == *"sleep 1000000"* ]] || false
	# no systemd assumptions: no name=systemd subtree of its own, no machine-id made
	run b exec bb sh -c 'test -e /etc/machine-id'
	[ "$status" -ne 0 ] || false
	b stop -t 60 bb
	run b logs bb
	[[ "$output" == *"busybox-init: shutting down"* ]] || false
	[[ "$output" == *"Requesting system poweroff"* ]] || false
	run b inspect bb
	jqe '.exit_code == 0' <<<"$output"
	b rm bb
	assert_ctr_gone "$id"
	b rmi bbinit
}

@test "sysvinit boots to its runlevel; stop is Ctrl-Alt-Del, its shutdown ends the container" {
	local id i tar
	tar=$("$BATS_TEST_DIRNAME/system-image.sh" sysvinit-core) || tar=
	[ -s "$tar" ] || skip "no Debian 12 sysvinit image (system-image.sh sysvinit-core)"
	b image import --change 'CMD ["/sbin/init"]' "$tar" sysv >/dev/null
	id=$(b run -d --name sv sysv)
	for i in $(seq 300); do
		[ "$(b exec sv runlevel 2>/dev/null)" = "N 2" ] && break
		sleep 0.1
	done
	[ "$(b exec sv runlevel)" = "N 2" ] || false
	[ "$(b exec sv cat /proc/1/comm)" = init ] || false
	# reboot(2) ends only the container's pid namespace: CAP_SYS_BOOT is given for it
	run -0 b exec sv grep CapBnd /proc/1/status
	[ $((0x${output##*	} >> 22 & 1)) = 1 ]
	run -0 b inspect sv
	jqe '.stop_signal == "SIGINT"' <<<"$output"
	# inittab's ctrlaltdel entry runs the shutdown scripts and reboots: the init ends by
	# SIGHUP (129), well before stop's timeout would kill it (137)
	b stop -t 60 sv
	run b logs sv
	[[ "$output" == *"Will now restart"* ]] || false
	run b inspect sv
	jqe '.exit_code == 129' <<<"$output"
	b rm sv
	assert_ctr_gone "$id"
	b rmi sysv
}

@test "OpenRC (on sysvinit's init) boots to its default runlevel; stop shuts it down through OpenRC" {
	local id i tar
	tar=$("$BATS_TEST_DIRNAME/system-image.sh" openrc) || tar=
	[ -s "$tar" ] || skip "no Debian 12 OpenRC image (system-image.sh openrc)"
	b image import --change 'CMD ["/sbin/init"]' "$tar" orc >/dev/null
	id=$(b run -d --name or orc)
	# inittab's `rc 2` is `openrc default`: its runlevel, and a service of it started
	for i in $(seq 300); do
		[ "$(b exec or rc-status --runlevel 2>/dev/null)" = default ] && break
		sleep 0.1
	done
	[ "$(b exec or rc-status --runlevel)" = default ] || false
	for i in $(seq 300); do
		b exec or rc-service rc.local status >/dev/null 2>&1 && break
		sleep 0.1
	done
	b exec or rc-service rc.local status
	[ "$(b exec or runlevel)" = "N 2" ] || false
	[ "$(b exec or cat /proc/1/comm)" = init ] || false
	run -0 b inspect or
	jqe '.stop_signal == "SIGINT" and .system == "init"' <<<"$output"
	# Ctrl-Alt-Del: shutdown -r, runlevel 6 (`openrc reboot`), reboot(2) ends the init by
	# SIGHUP (129), before stop's timeout would kill it (137)
	b stop -t 60 or
	run b logs or
	[[ "$output" == *"Will now restart"* ]] || false
	run -0 b inspect or
	jqe '.exit_code == 129' <<<"$output"
	b rm or
	assert_ctr_gone "$id"
	b rmi orc
}

@test "an init that exits at once, or none: one line with its status and last output, nothing left" {
	busybox_init_image badinit '#!/bin/sh
echo "starting my init"
echo "init: no way to start here"
exit 3'
	bad 125 "its init \`/sbin/init\` exited at once with status 3; its last output: init: no way to start here" \
		run -d badinit
	[ -z "$(ls "$ROOT/containers")" ] || false
	# start of a created one: the same line; the container stays, exited with that status
	b create --name bi badinit
	bad 125 "its init \`/sbin/init\` exited at once with status 3; its last output: init: no way to start here" \
		start bi
	run b inspect bi
	jqe '.exit_code == 3' <<<"$output"
	b rm bi
	busybox_init_image noinit none
	bad 125 "bad command \`/sbin/init\`: no such program in the image" run -d noinit
	[ -z "$(ls "$ROOT/containers")" ] || false
	run ! grep -q "$ROOT/containers" /proc/self/mountinfo
	b rmi badinit noinit
}

@test "a service of the system (a systemd unit serving HTTP) is reachable through -p" {
	local port i s page=
	[ -x /bin/busybox ] || skip "no /bin/busybox on the host (its httpd serves here)"
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	b run -d --name web -p "127.0.0.1:$port:80" deb12
	s=$(wait_system web)
	[ "$s" = running ] || false
	b cp /bin/busybox web:/usr/local/bin/busybox
	b exec web sh -c 'mkdir -p /srv && echo hello-from-a-unit >/srv/index.html'
	b exec web sh -c 'printf "%s\n" "[Service]" \
		"ExecStart=/usr/local/bin/busybox httpd -f -p 80 -h /srv" >/etc/systemd/system/web.service'
	b exec web systemctl start web.service
	[ "$(b exec web systemctl is-active web.service)" = active ] || false
	for i in $(seq 100); do
		page=$(curl -s "http://127.0.0.1:$port/") || true
		[ -n "$page" ] && break
		sleep 0.1
	done
	[ "$page" = hello-from-a-unit ] || false
	b rm -f web
}

# fake_systemd_image NAME HOW VERSION: the built-in busybox with /sbin/init a link to
# /usr/lib/systemd/systemd, a script that says it cannot start; its version is in
# libsystemd-shared-VERSION.so beside it (HOW lib) or in the script as a line of its own
# (HOW string), as `systemd --version` printed it before the library came.
fake_systemd_image() {
	local d=$BATS_TEST_TMPDIR/fs id
	rm -rf "$d"
	mkdir -p "$d"
	id=$(b create busybox true)
	b export "$id" | tar -C "$d" -xf -
	b rm "$id" >/dev/null
	mkdir -p "$d/usr/lib/systemd"
	printf '#!/bin/sh\necho "fake systemd: cannot start"\nexit 3\n' >"$d/usr/lib/systemd/systemd"
	if [ "$2" = lib ]; then
		: >"$d/usr/lib/systemd/libsystemd-shared-$3.so"
	else
		printf 'systemd %s\n' "$3" >>"$d/usr/lib/systemd/systemd"
	fi
	chmod 755 "$d/usr/lib/systemd/systemd"
	rm -f "$d/sbin/init"
	ln -s ../usr/lib/systemd/systemd "$d/sbin/init"
	tar -C "$d" -cf "$d.tar" .
	b image import -c 'CMD ["/sbin/init"]' "$d.tar" "$1" >/dev/null
}

@test "a systemd too old or too new for the host's cgroup layout: one line before anything is made" {
	local v2=false
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then v2=true; fi
	# 258 dropped cgroup v1: refused on a v1 or hybrid host (this dev box), tried on v2
	fake_systemd_image sd258 lib 258
	if [ "$v2" = false ]; then
		bad 125 "bad image for a system container: its systemd (\`/sbin/init\`) is version 258, too new for this host's cgroup v1 layout" \
			run -d sd258
	else
		bad 125 "its init \`/sbin/init\` exited at once with status 3; its last output: fake systemd: cannot start" \
			run -d sd258
	fi
	[ -z "$(ls "$ROOT/containers")" ] || false
	run ! grep -q "$ROOT/containers" /proc/self/mountinfo
	# 219 (its version a string of the binary) cannot run on a pure v2 host; on v1 it is tried
	fake_systemd_image sd219 string 219
	if [ "$v2" = true ]; then
		bad 125 "bad image for a system container: its systemd (\`/sbin/init\`) is version 219, too old for this host's cgroup v2 (unified) layout" \
			run -d sd219
	else
		bad 125 "its init \`/sbin/init\` exited at once with status 3; its last output: fake systemd: cannot start" \
			run -d sd219
	fi
	[ -z "$(ls "$ROOT/containers")" ] || false
	# --systemd=false: no system container, no check
	run b run --rm --systemd=false sd258
	[ "$status" -eq 3 ] || false
	[ "$output" = "fake systemd: cannot start" ] || false
	b rmi sd258 sd219
}
