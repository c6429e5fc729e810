#!/usr/bin/env bats
# `berth vm` run by an ordinary user (docs/rootless.md): the reference guest with a disk and a
# share of the user's own, user networking with a forwarded port above 1024, managed VMs under
# the user's store, and --net bridge refused with one line. setup_file makes a user of its own
# (useradd, no subuid range: a VM needs none); teardown_file removes it after ending what of
# its still runs (by pid). `timeout 600` is only a safety net against hangs.
# Environment: BERTH_BUILD, BERTH_TOP (tests/cli/vm-helpers.bash).

load vm-helpers
load helpers

bats_require_minimum_version 1.5.0

setup_file() {
	vm_setup_file
	export VU=berthvm$$
	VTOP=$(mktemp -d /tmp/berth-vm-rootless.XXXXXX)
	export VTOP
	chmod 755 "$VTOP"
	export VHOME=$VTOP/home
	useradd -M -d "$VHOME" -s /usr/sbin/nologin "$VU"
	mkdir -p "$VHOME"
	chown "$VU:$VU" "$VHOME"
}

teardown_file() {
	rootless_user_del "$VU"
	rm -rf "$VTOP"
}

setup() {
	vm_setup
	STORE=$VHOME/.local/share/berth
}

teardown() {
	local n
	if [ -d "$STORE/vms" ]; then
		for n in $(uvm ls -a --format json | jq -r '.[].id'); do
			uvm rm -f "$n" >/dev/null || true
		done
	fi
}

# as CMD…: CMD as the test's user, with a clean environment of its own
as() {
	setpriv --reuid "$VU" --regid "$VU" --init-groups \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$VHOME" "$@"
}

# uvm ARG…: berth vm as the test's user (its default store: no --root)
uvm() {
	as timeout 600 "$BERTH" vm "$@" </dev/null
}

@test "vm rootless: the guest boots with the user's disk and share; files are the user's" {
	# the cached guest is readable by anyone
	as test -r "$KERNEL"
	as test -r "$INITRD"
	as truncate -s 1M "$VHOME/disk.img"
	as mkdir "$VHOME/share"
	as sh -c "echo from-host >'$VHOME/share/in'"
	run uvm run --kernel "$KERNEL" --initrd "$INITRD" --disk "$VHOME/disk.img" \
		--share "$VHOME/share:share" --append "console=ttyS0 quiet -- mkdir -p /mnt && \
mount -t 9p -o trans=virtio share /mnt && cat /mnt/in && id -u && echo from-guest >/mnt/out && \
echo DISK-MARK | dd of=/dev/vda bs=512 count=1 conv=sync"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"from-host"* ]] || false
	[[ "$output" == *"BERTH-GUEST-EXIT status=0"* ]] || false
	[ "$(cat "$VHOME/share/out")" = from-guest ]
	[ "$(stat -c %U "$VHOME/share/out")" = "$VU" ]
	[ "$(head -c 9 "$VHOME/disk.img")" = DISK-MARK ]
	[ "$(stat -c %U "$VHOME/disk.img")" = "$VU" ]
}

@test "vm rootless: a managed VM (-d) forwards a port above 1024; ls, stop and rm as the user" {
	local port id i page
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	run uvm run -d --name web --kernel "$KERNEL" --initrd "$INITRD" \
		--net "user,hostfwd=tcp:127.0.0.1:$port-:8080" --append "console=ttyS0 quiet -- \
mkdir -p /www && echo guest-page >/www/index.html && httpd -f -p 8080 -h /www"
	echo "$output"
	[ "$status" -eq 0 ]
	id=$output
	# its state is in the user's store, owned by the user, and nothing of root's
	[ -d "$STORE/vms/$id" ]
	[ "$(stat -c %U "$STORE/vms/$id")" = "$VU" ]
	[ ! -e "/var/lib/berth/vms/$id" ]
	run uvm ls --format json
	[ "$(jq -r '.[] | select(.name == "web") | .status' <<<"$output")" = running ]
	page=
	for i in $(seq 600); do
		page=$(curl -sf --max-time 30 "http://127.0.0.1:$port/index.html") && break
		sleep 0.5
	done
	echo "after $i tries: $page"
	[ "$page" = guest-page ]
	run uvm stop web
	[ "$status" -eq 0 ]
	run uvm ls -a --format json
	[[ "$(jq -r '.[] | select(.name == "web") | .status' <<<"$output")" == exited* ]] || false
	run uvm rm web
	[ "$status" -eq 0 ]
	[ ! -e "$STORE/vms/$id" ]
	run uvm ls -a --format json
	[ "$output" = "[]" ]
}

@test "vm rootless: --net bridge is refused with one line naming what it needs" {
	run uvm run --kernel "$KERNEL" --initrd "$INITRD" --net bridge
	echo "$output"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "berth vm: --net bridge: a TAP device needs root"* ]] || false
	[[ "$output" == *"--net user"* ]] || false
	run uvm run -d --name br --kernel "$KERNEL" --initrd "$INITRD" --net bridge=berth0
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	run uvm ls -a --format json
	[ "$output" = "[]" ]
}
