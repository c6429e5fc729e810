#!/usr/bin/env bats
# `berth vm run --net`: the guest's virtio-net card with real packets, only to the host's
# loopback (slirp maps its gateway 10.0.2.2 to it; hostfwd listens on 127.0.0.1) and to
# network namespaces the test makes (a bridge, a veth pair and a peer namespace). The
# reference guest (guest/) runs the words after `--` as one busybox shell command; the
# command is in double quotes so that the kernel passes it as one word (it gives init at most
# 32). `timeout 600` is only a safety net against hangs; every wait polls with a generous
# bound instead of a time limit.
# Environment: BERTH_BUILD, BERTH_TOP (tests/cli/vm-helpers.bash).

load vm-helpers

setup_file() { vm_setup_file; }

setup() {
	vm_setup
	PIDS=()
	NETNS=()
}

teardown() {
	local p n
	if [ -n "${ROOT:-}" ]; then
		"$BERTH" --root "$ROOT" rm -f vmweb >/dev/null 2>&1 || true
		"$BERTH" --root "$ROOT" network rm -f "vmnet$$" >/dev/null 2>&1 || true
	fi
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	for n in "${NETNS[@]}"; do
		ip netns del "$n" 2>/dev/null || true
		rm -rf "/etc/netns/$n"
		rmdir /etc/netns 2>/dev/null || true
	done
}

# A TCP port nobody listens on, on the loopback.
free_port() {
	local p
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 20000))
		if [ -z "$(ss -Hltn "sport = :$p")" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# Start the VM in the background (its output in $TMP/vm.out); VM_PID is its pid.
vm_bg() {
	timeout 600 "$BERTH" vm run --kernel "$KERNEL" --initrd "$INITRD" "$@" </dev/null \
		>"$TMP/vm.out" 2>&1 &
	VM_PID=$!
	PIDS+=("$VM_PID")
}

# Wait for the VM to end; its exit status in VM_STATUS.
vm_wait() {
	VM_STATUS=0
	wait "$VM_PID" || VM_STATUS=$?
	cat "$TMP/vm.out"
}

vm() {
	run timeout 600 "$BERTH" vm run --kernel "$KERNEL" --initrd "$INITRD" "$@" </dev/null
}

@test "vm net: --net user,hostfwd: a busybox httpd in the guest answers the host" {
	local port i page
	port=$(free_port)
	token="guest-page-$$-$RANDOM"
	# the guest serves /www until a request to /cgi-bin/stop leaves /tmp/stop behind
	vm_bg --net "user,hostfwd=tcp:127.0.0.1:$port-:80" --append "console=ttyS0 quiet -- \"\
mkdir -p /www/cgi-bin; echo $token > /www/index.html; \
printf '#!/bin/sh\necho Content-Type: text/plain\necho\necho stopping\ntouch /tmp/stop\n' \
> /www/cgi-bin/stop; chmod +x /www/cgi-bin/stop; httpd -p 80 -h /www; \
while [ ! -e /tmp/stop ]; do sleep 1; done; echo guest-stopped\""
	page=
	for i in $(seq 1 600); do
		page=$(curl -sf --max-time 30 "http://127.0.0.1:$port/index.html") && break
		kill -0 "$VM_PID" 2>/dev/null || break
		sleep 0.5
	done
	echo "page after $i tries: $page"
	[ "$page" = "$token" ]
	# a second request, then the guest powers off
	run curl -sf --max-time 120 "http://127.0.0.1:$port/cgi-bin/stop"
	[ "$status" -eq 0 ]
	[ "$output" = stopping ]
	vm_wait
	[ "$VM_STATUS" -eq 0 ]
	grep -q "BERTH-NET-UP eth0" "$TMP/vm.out"
	grep -q "guest-stopped" "$TMP/vm.out"
	grep -q "BERTH-GUEST-EXIT status=0" "$TMP/vm.out"
	# the forwarded port is closed again
	run curl -sf --max-time 10 "http://127.0.0.1:$port/index.html"
	[ "$status" -ne 0 ]
}

@test "vm net: DHCP, then the guest fetches a file from the host's loopback through 10.0.2.2" {
	local port token
	port=$(free_port)
	token="host-file-$$-$RANDOM"
	mkdir -p "$TMP/www"
	echo "$token" >"$TMP/www/file.txt"
	busybox httpd -f -p "127.0.0.1:$port" -h "$TMP/www" &
	PIDS+=("$!")
	vm --net user --append "console=ttyS0 quiet -- \"wget -q -O - http://10.0.2.2:$port/file.txt; \
cat /etc/resolv.conf\""
	[ "$status" -eq 0 ]
	[[ "$output" == *"udhcpc: eth0 10.0.2.15 via 10.0.2.2"* ]]
	[[ "$output" == *"BERTH-NET-UP eth0"* ]]
	[[ "$output" == *"$token"* ]]
	[[ "$output" == *"nameserver 10.0.2.3"* ]]
	[[ "$output" == *"BERTH-GUEST-EXIT status=0"* ]]
}

@test "vm net: the card works again after a guest reboot (the back end outlives it)" {
	local port token
	port=$(free_port)
	token="host-file-$$-$RANDOM"
	mkdir -p "$TMP/www"
	echo "$token" >"$TMP/www/file.txt"
	busybox httpd -f -p "127.0.0.1:$port" -h "$TMP/www" &
	PIDS+=("$!")
	truncate -s 1M "$TMP/disk.img"
	# first boot: fetch, mark the disk, reboot; second boot: fetch again, power off
	vm --disk "$TMP/disk.img" --net user --append "console=ttyS0 quiet -- \"\
wget -q -O - http://10.0.2.2:$port/file.txt; \
if dd if=/dev/vda bs=4 count=1 2>/dev/null | grep -q BOOT; then echo second-boot; \
else echo BOOT | dd of=/dev/vda conv=fsync 2>/dev/null; reboot -f; fi\""
	[ "$status" -eq 0 ]
	[ "$(grep -c "BERTH-NET-UP eth0" <<<"$output")" -eq 2 ]
	[ "$(grep -c "$token" <<<"$output")" -eq 2 ]
	[[ "$output" == *"second-boot"* ]]
}

# Two namespaces: $NS_VM holds the bridge br0 (and berth's TAP device), $NS_PEER the other
# end of a veth pair on that bridge, with 10.99.0.1/24.
make_bridge() {
	NS_VM="berth-vmnet-$$-vm"
	NS_PEER="berth-vmnet-$$-peer"
	ip netns add "$NS_VM"
	NETNS+=("$NS_VM")
	ip netns add "$NS_PEER"
	NETNS+=("$NS_PEER")
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	ip -n "$NS_VM" link add br0 type bridge || skip "the kernel cannot make a bridge"
	ip -n "$NS_VM" link set br0 up
	ip -n "$NS_VM" link add veth0 type veth peer name veth1 netns "$NS_PEER"
	ip -n "$NS_VM" link set veth0 master br0 up
	ip -n "$NS_PEER" addr add 10.99.0.1/24 dev veth1
	ip -n "$NS_PEER" link set veth1 up
	ip -n "$NS_PEER" link set lo up
}

# The peer: python3 $TMP/peer.py LOG ADDR tcp|udp. On ADDR, TCP port 7000 (with tcp): read a
# line, answer pong:LINE; UDP port 53: a DNS server answering A 10.99.0.77 to every query.
# Each request is noted in LOG, after a line "ready" once it listens.
write_peer() {
	cat >"$TMP/peer.py" <<'EOF'
import socket, sys, threading
log, addr, what = sys.argv[1], sys.argv[2], sys.argv[3]
def note(s):
    with open(log, "a") as f:
        f.write(s + "\n")
def tcp():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 7000))
    s.listen(4)
    while True:
        c, a = s.accept()
        line = c.makefile("rb").readline().decode().strip()
        note("tcp from %s: %s" % (a[0], line))
        c.sendall(("pong:%s\n" % line).encode())
        c.close()
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    while True:
        q, a = s.recvfrom(512)
        i, labels = 12, []
        while i < len(q) and q[i]:
            labels.append(q[i + 1:i + 1 + q[i]].decode())
            i += 1 + q[i]
        qtype, end = q[i + 1:i + 3], i + 5
        note("udp from %s: %s type %d" % (a[0], ".".join(labels), int.from_bytes(qtype, "big")))
        ans = b""
        if qtype == b"\x00\x01":
            ans = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([10, 99, 0, 77])
        hdr = q[:2] + b"\x81\x80" + q[4:6] + (b"\x00\x01" if ans else b"\x00\x00") + b"\x00\x00\x00\x00"
        s.sendto(hdr + q[12:end] + ans, a)
if what == "udp":
    note("ready")
    udp()
threading.Thread(target=udp, daemon=True).start()
note("ready")
tcp()
EOF
}

start_peer() { # NETNS ADDR tcp|udp
	local i
	write_peer
	ip netns exec "$1" python3 "$TMP/peer.py" "$TMP/peer.log" "$2" "$3" &
	PIDS+=("$!")
	for i in $(seq 1 600); do
		grep -q ready "$TMP/peer.log" 2>/dev/null && break
		sleep 0.1
	done
	grep -q ready "$TMP/peer.log"
}

@test "vm net: --net bridge: the guest and a process in a test-made netns exchange TCP and UDP" {
	local i
	make_bridge
	start_peer "$NS_PEER" 10.99.0.1 tcp
	vm_bg_ns() {
		ip netns exec "$NS_VM" timeout 600 "$BERTH" vm run --kernel "$KERNEL" \
			--initrd "$INITRD" "$@" </dev/null >"$TMP/vm.out" 2>&1 &
		VM_PID=$!
		PIDS+=("$VM_PID")
	}
	vm_bg_ns --net bridge=br0 --append "console=ttyS0 quiet berth.net=none -- \"\
ifconfig eth0 10.99.0.2 netmask 255.255.255.0 up; echo ping-from-guest | nc 10.99.0.1 7000; \
nslookup berth.test 10.99.0.1; ip link show eth0\""
	# the TAP device is on the bridge while the VM runs
	for i in $(seq 1 600); do
		[ -n "$(ip -n "$NS_VM" -o link show master br0 | grep berthtap)" ] && break
		sleep 0.1
	done
	ip -n "$NS_VM" -o link show master br0 | grep -q berthtap
	vm_wait
	[ "$VM_STATUS" -eq 0 ]
	cat "$TMP/peer.log"
	grep -q "BERTH-GUEST-EXIT status=0" "$TMP/vm.out"
	# TCP both ways
	grep -q "tcp from 10.99.0.2: ping-from-guest" "$TMP/peer.log"
	grep -q "pong:ping-from-guest" "$TMP/vm.out"
	# UDP both ways
	grep -q "udp from 10.99.0.2: berth.test type 1" "$TMP/peer.log"
	grep -q "10.99.0.77" "$TMP/vm.out"
	# a bridged card has a random MAC address in QEMU's range
	grep -q "link/ether 52:54:00:" "$TMP/vm.out"
	# the TAP device went with berth
	[ -z "$(ip -n "$NS_VM" -o link | grep berthtap)" ]
}

@test "vm net: --net user forwards the guest's DNS queries (10.0.2.3) to the host's resolver" {
	# the host's resolver, in a namespace of the test's: ip netns exec puts
	# /etc/netns/NS/resolv.conf over /etc/resolv.conf, and the DNS server listens on that
	# namespace's loopback
	NS_DNS="berth-vmnet-$$-dns"
	ip netns add "$NS_DNS"
	NETNS+=("$NS_DNS")
	ip -n "$NS_DNS" link set lo up
	mkdir -p "/etc/netns/$NS_DNS"
	echo "nameserver 127.0.0.1" >"/etc/netns/$NS_DNS/resolv.conf"
	start_peer "$NS_DNS" 127.0.0.1 udp
	run ip netns exec "$NS_DNS" timeout 600 "$BERTH" vm run --kernel "$KERNEL" --initrd "$INITRD" \
		--net user --append "console=ttyS0 quiet -- \"nslookup berth.test\"" </dev/null
	[ "$status" -eq 0 ]
	cat "$TMP/peer.log"
	grep -q "udp from 127.0.0.1: berth.test type 1" "$TMP/peer.log"
	[[ "$output" == *"10.99.0.77"* ]]
}

@test "vm net: two cards, and --net none adds none" {
	vm --net user --net none --net user --append "console=ttyS0 quiet -- \"ls /sys/class/net\""
	[ "$status" -eq 0 ]
	[[ "$output" == *"eth0"* ]]
	[[ "$output" == *"eth1"* ]]
	[[ "$output" != *"eth2"* ]]
	vm --net none --append "console=ttyS0 quiet -- \"ls /sys/class/net\""
	[ "$status" -eq 0 ]
	[[ "$output" != *"eth0"* ]]
	[[ "$output" != *"BERTH-NET"* ]]
}

@test "vm net: a bad --net is one line before the guest starts, status 125" {
	vm --net foo
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "berth vm: --net: expected none, user"* ]]
	vm --net user,hostfwd=tcp:127.0.0.1:80-:
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"--net: hostfwd: expected tcp|udp:[HOSTIP]:HOSTPORT-[GUESTIP]:GUESTPORT"* ]]
	vm --net user,hostfwd=sctp::1234-:80
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	vm --net user,hostfwd=tcp:127.0.0.1:8080-192.168.1.5:80
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"the guest address must be in the guest's network 10.0.2.0/24"* ]]
	vm --net user,restrict=on
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *'unknown option "restrict=on" in "user,restrict=on"'* ]]
	vm --net bridge=a/b
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	vm --net user --net user --net user --net user --net user --disk /dev/null --disk /dev/null
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"at most 6 disks, network cards and shares together"* ]]
}

@test "vm net: a hostfwd port in use is one line, status 125, and the guest never starts" {
	local port i
	port=$(free_port)
	mkdir -p "$TMP/www"
	busybox httpd -f -p "127.0.0.1:$port" -h "$TMP/www" &
	PIDS+=("$!")
	for i in $(seq 1 600); do
		[ -n "$(ss -Hltn "sport = :$port")" ] && break
		sleep 0.1
	done
	vm --net "user,hostfwd=tcp:127.0.0.1:$port-:80"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "berth vm: --net: hostfwd=tcp:127.0.0.1:$port-:80: cannot listen on TCP port $port: Address already in use" ]]
}

@test "vm net: a missing bridge or one that is not a bridge: one line, status 125, no TAP device left" {
	make_bridge
	run ip netns exec "$NS_VM" "$BERTH" vm run --kernel "$KERNEL" --net bridge=nosuchbr0 </dev/null
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = 'berth vm: --net bridge=nosuchbr0: no network interface `nosuchbr0`' ]
	run ip netns exec "$NS_VM" "$BERTH" vm run --kernel "$KERNEL" --net bridge=veth0 </dev/null
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = 'berth vm: --net bridge=veth0: `veth0` is not a Linux bridge' ]
	# the first card's TAP device is made, the second card fails: nothing is left
	run ip netns exec "$NS_VM" "$BERTH" vm run --kernel "$KERNEL" --net bridge=br0 \
		--net bridge=nosuchbr0 </dev/null
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[ -z "$(ip -n "$NS_VM" -o link | grep berthtap)" ]
}

# b ARG…: the engine on the test's own store $ROOT
b() {
	"$BERTH" --root "$ROOT" "$@"
}

# The address the lease of a `berth vm` card holds on the test's store (none: empty).
vm_lease_ip() {
	if [ -e "$ROOT/networks/leases.json" ]; then
		jq -r '.[] | select(.id | startswith("vm-")) | .ip' "$ROOT/networks/leases.json"
	fi
}

@test "vm net: --net bridge=NETWORK: a leased address; the guest and a container on the network exchange TCP; the lease goes with the VM" {
	local i gip cip out
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	ROOT=$TMP/root
	b network create "vmnet$$"
	b run -d --dns 127.0.0.1 --name vmweb --network "vmnet$$" busybox \
		sh -c 'mkdir /w; echo hello-from-ctr >/w/index.html; exec httpd -f -p 80 -h /w'
	cip=$(b inspect vmweb | jq -r .network_settings.ip_address)
	[ -n "$cip" ]
	"$BERTH" --root "$ROOT" vm run --kernel "$KERNEL" --initrd "$INITRD" --net "bridge=vmnet$$" \
		--append "console=ttyS0 -- \"wget -qO- http://$cip/; echo GUEST-LISTEN; \
echo hello-from-vm | nc -l -p 8080; ip -4 addr show eth0\"" </dev/null >"$TMP/vm.out" 2>&1 &
	VM_PID=$!
	PIDS+=("$VM_PID")
	# the card's address comes from the network's leases, next to the container's
	for i in $(seq 1 600); do
		gip=$(vm_lease_ip)
		[ -n "$gip" ] && break
		sleep 0.1
	done
	[ -n "$gip" ]
	[ "$gip" != "$cip" ]
	[ "${gip%.*}" = "${cip%.*}" ]
	# the container reaches the guest by its address (the guest listens once)
	for i in $(seq 1 1200); do
		grep -q GUEST-LISTEN "$TMP/vm.out" && break
		sleep 0.1
	done
	grep -q GUEST-LISTEN "$TMP/vm.out"
	for i in $(seq 1 100); do
		out=$(b exec vmweb sh -c "echo hi-from-ctr | nc -w 10 $gip 8080" 2>&1) || true
		[ "$out" = hello-from-vm ] && break
		sleep 0.5
	done
	echo "container got: $out"
	[ "$out" = hello-from-vm ]
	vm_wait
	[ "$VM_STATUS" -eq 0 ]
	grep -q "BERTH-NET-UP eth0 $gip/24" "$TMP/vm.out"
	# the guest fetched the container's page, and read what the container sent
	grep -q hello-from-ctr "$TMP/vm.out"
	grep -q hi-from-ctr "$TMP/vm.out"
	grep -q "inet $gip/24" "$TMP/vm.out"
	# the lease went with the VM
	[ -z "$(vm_lease_ip)" ]
}

@test "vm net: the lease of a VM killed -9 is reclaimed; a plain Linux bridge name leases nothing" {
	local i gip pid
	[ -c /dev/net/tun ] || skip "no /dev/net/tun"
	ROOT=$TMP/root
	b network create "vmnet$$"
	"$BERTH" --root "$ROOT" vm run --kernel "$KERNEL" --initrd "$INITRD" --net "bridge=vmnet$$" \
		--append "console=ttyS0 -- \"sleep 600\"" </dev/null >"$TMP/vm.out" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for i in $(seq 1 600); do
		gip=$(vm_lease_ip)
		[ -n "$gip" ] && break
		sleep 0.1
	done
	[ -n "$gip" ]
	kill -9 "$pid"
	wait "$pid" || true
	# still on file, but stale: the next lease on the store reclaims it
	[ "$(vm_lease_ip)" = "$gip" ]
	b run --rm --dns 127.0.0.1 --network "vmnet$$" busybox true
	[ -z "$(vm_lease_ip)" ]
	# a bridge that is no berth network: the TAP device only, no lease, no berth.ip
	make_bridge
	ip netns exec "$NS_VM" "$BERTH" --root "$ROOT" vm run --kernel "$KERNEL" --initrd "$INITRD" \
		--net bridge=br0 --append "console=ttyS0 berth.net=none -- \"cat /proc/cmdline\"" \
		</dev/null >"$TMP/vm2.out" 2>&1
	cat "$TMP/vm2.out"
	grep -q "BERTH-GUEST-EXIT status=0" "$TMP/vm2.out"
	run grep -c "berth.ip=" "$TMP/vm2.out"
	[ "$output" = 0 ]
	[ -z "$(vm_lease_ip)" ]
}
