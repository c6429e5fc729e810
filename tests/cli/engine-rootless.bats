#!/usr/bin/env bats
# berth (the engine) run by an ordinary user (docs/rootless.md). setup_file makes a user of its
# own (useradd, with a home and a range in /etc/subuid and /etc/subgid) and a second one with
# no range; teardown_file removes them, after ending what of theirs runs (the pause process
# the tests made, by its pid). The tests run berth as the user with setpriv.
load helpers
load registry-helpers

bats_require_minimum_version 1.5.0

BERTH=$BERTH_BUILD/berth

setup_file() {
	export RL_USER=berthen$$ RL_NORANGE=berthnr$$
	RL_TOP=$(mktemp -d /tmp/berth-engine-rootless.XXXXXX)
	export RL_TOP
	chmod 755 "$RL_TOP"
	export RL_HOME=$RL_TOP/home RL_XDG=$RL_TOP/xdg
	useradd -M -d /nonexistent -s /usr/sbin/nologin "$RL_NORANGE"
	# the second user has no range, whatever /etc/login.defs says
	sed -i "/^$RL_NORANGE:/d" /etc/subuid /etc/subgid
	rootless_user_add "$RL_USER" "$RL_HOME" 600000
	mkdir -p "$RL_HOME" "$RL_XDG"
	chown "$RL_USER:$RL_USER" "$RL_HOME" "$RL_XDG"
	chmod 700 "$RL_XDG"
	# an image whose layer has a file of uid 1000, gid 2000 (as root makes it)
	make_base_rootfs "$RL_TOP/base"
	rootless_owned_image "$RL_TOP/base" "$RL_TOP/owned.tar"
	chmod 644 "$RL_TOP/owned.tar" "$RL_TOP/owned.tar.wh"
}

teardown_file() {
	# what of the users' still runs was started by these tests: the pause process, monitors
	rootless_user_del "$RL_USER"
	rootless_user_del "$RL_NORANGE"
	rm -rf "$RL_TOP"
}

setup() {
	STORE=$RL_HOME/.local/share/berth
	RUNDIR=$RL_XDG/berth
}

teardown() {
	local id
	# the registry a test started, when it did not get to stop it
	if [ -e "$BATS_TEST_TMPDIR/reg/pid" ]; then
		stop_pidfile "$BATS_TEST_TMPDIR/reg/pid"
	fi
	for id in $(ub ps -a -q 2>/dev/null); do
		ub rm -f "$id" >/dev/null 2>&1 || true
	done
}

# rootless_image OUT LAYER.tar…: an OCI archive of those layers (bottom first).
rootless_image() {
	local out=$1 d
	shift
	d=$(mktemp -d "$RL_TOP/oci.XXXXXX")
	mkdir -p "$d/blobs/sha256"
	python3 - "$d" "$@" <<-'P'
	import hashlib, json, os, sys
	d = sys.argv[1]
	def put(data, media):
	    h = hashlib.sha256(data).hexdigest()
	    open(os.path.join(d, 'blobs/sha256', h), 'wb').write(data)
	    return {'mediaType': media, 'digest': 'sha256:' + h, 'size': len(data)}
	ls = [put(open(f, 'rb').read(), 'application/vnd.oci.image.layer.v1.tar') for f in sys.argv[2:]]
	c = put(json.dumps({'architecture': 'amd64', 'os': 'linux',
	                    'config': {'Cmd': ['/bin/sh']},
	                    'rootfs': {'type': 'layers', 'diff_ids': [l['digest'] for l in ls]}}).encode(),
	        'application/vnd.oci.image.config.v1+json')
	m = put(json.dumps({'schemaVersion': 2,
	                    'mediaType': 'application/vnd.oci.image.manifest.v1+json',
	                    'config': c, 'layers': ls}).encode(),
	        'application/vnd.oci.image.manifest.v1+json')
	json.dump({'schemaVersion': 2, 'manifests': [m]}, open(os.path.join(d, 'index.json'), 'w'))
	open(os.path.join(d, 'oci-layout'), 'w').write('{"imageLayoutVersion":"1.0.0"}')
	P
	tar -C "$d" -cf "$out" .
}

# rootless_owned_image ROOTFS OUT: one layer, ROOTFS as root's with /owned of uid 1000 and
# gid 2000 added; and OUT.wh, two layers: ROOTFS with /d/a, /d/b and /gone, then one that
# makes /d opaque with /d/c in it and whites out /gone.
rootless_owned_image() {
	local x=$RL_TOP/extra
	mkdir -p "$x/owned" "$x/l1/d" "$x/l2/d"
	touch "$x/owned/owned" "$x/l1/d/a" "$x/l1/d/b" "$x/l1/gone" "$x/l2/d/c" \
		"$x/l2/d/.wh..wh..opq" "$x/l2/.wh.gone"
	tar -C "$1" --owner=0 --group=0 --numeric-owner -cf "$RL_TOP/layer.tar" .
	cp "$RL_TOP/layer.tar" "$RL_TOP/layer1.tar"
	tar -C "$x/owned" --owner=1000 --group=2000 --numeric-owner -rf "$RL_TOP/layer.tar" owned
	tar -C "$x/l1" --owner=0 --group=0 --numeric-owner -rf "$RL_TOP/layer1.tar" d gone
	tar -C "$x/l2" --owner=0 --group=0 --numeric-owner -cf "$RL_TOP/layer2.tar" .
	rootless_image "$2" "$RL_TOP/layer.tar"
	rootless_image "$2.wh" "$RL_TOP/layer1.tar" "$RL_TOP/layer2.tar"
}

# as USER CMD…: CMD as USER, with a clean environment of its own
as() {
	local u=$1
	shift
	setpriv --reuid "$u" --regid "$u" --init-groups \
		env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$RL_HOME" XDG_RUNTIME_DIR="$RL_XDG" "$@"
}

# ub ARG…: berth as the test's user (its default store and state: no --root)
ub() {
	as "$RL_USER" "$BERTH" "$@"
}

# the pid of the user's pause process
pause_pid() {
	cut -d' ' -f1 "$RUNDIR/pause.pid"
}

@test "rootless: run --rm busybox id is uid 0 inside; the store and state are the user's" {
	run ub run --rm busybox id
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "uid=0(root) gid=0(root)" ]
	# its store under ~/.local/share/berth, its state under $XDG_RUNTIME_DIR/berth
	[ "$(stat -c %u "$STORE")" = "$RL_UID" ] || false
	[ -d "$STORE/layers" ] || false
	[ -d "$RUNDIR/runtime" ] || false
	# the pause process's namespace: 0 is the user, 1… its range
	run cat "/proc/$(pause_pid)/uid_map"
	echo "$output"
	[ "$(echo "${lines[0]}" | awk '{ print $1, $2, $3 }')" = "0 $RL_UID 1" ] || false
	[ "$(echo "${lines[1]}" | awk '{ print $1, $2, $3 }')" = "1 $RL_SUBUID 65536" ] || false
	# nothing of root's store: no file there of the user's or of its range
	[ -z "$(find /var/lib/berth /run/berth \( -uid "$RL_UID" -o -uid "$RL_SUBUID" \) \
		2>/dev/null | head -1)" ] || false
}

@test "rootless: every command re-enters one pause process; a dead one is made again" {
	local p1 p2 a b
	ub images >/dev/null
	p1=$(pause_pid)
	ub run -d --name keep busybox sleep 1000 >/dev/null
	[ "$(pause_pid)" = "$p1" ] || false
	# the overlay of a running container is in the namespace every command enters
	grep -q "$STORE/containers/.*/rootfs" "/proc/$p1/mountinfo"
	run ub ps --format '{{.Names}} {{.Status}}'
	[[ "$output" == "keep Up"* ]] || false
	ub rm -f keep >/dev/null
	run ! grep -q "$STORE/containers" "/proc/$p1/mountinfo"
	# the test's own process (started by its berth commands), ended by its pid
	kill "$p1"
	for _ in $(seq 100); do
		[ -e "/proc/$p1" ] || break
		sleep 0.05
	done
	# two first commands at once make one pause process between them (pause.lock)
	ub images >/dev/null &
	a=$!
	ub ps >/dev/null &
	b=$!
	wait "$a"
	wait "$b"
	[ "$(ps -o comm= -u "$RL_USER" | grep -c '^berth-pause$')" -eq 1 ] || false
	run ub run --rm busybox true
	[ "$status" -eq 0 ]
	p2=$(pause_pid)
	[ "$p2" != "$p1" ] || false
	[ -e "/proc/$p2" ] || false
}

@test "rootless: image import unpacks layers with the mapped owners" {
	local f
	ub image import "$RL_TOP/owned.tar" owned
	run ub run --rm owned stat -c '%u:%g' /owned /bin/busybox
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1000:2000" ]
	[ "${lines[1]}" = "0:0" ]
	# on the host: id N of the namespace is the Nth of the range, 0 the user
	f=$(find "$STORE/layers" -name owned | head -1)
	[ -n "$f" ] || false
	[ "$(stat -c '%u:%g' "$f")" = "$((RL_SUBUID + 999)):$((RL_SUBGID + 1999))" ] || false
	[ "$(stat -c %u "$(dirname "$f")/bin/busybox")" = "$RL_UID" ] || false
	ub rmi owned >/dev/null
	# an opaque directory (user.overlay.opaque in the user's namespace) and a whiteout
	ub image import "$RL_TOP/owned.tar.wh" layered
	run ub run --rm layered sh -c 'ls /d; ls /gone 2>&1 || echo gone'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = c ]
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[2]}" = gone ]
	ub rmi layered >/dev/null
}

@test "rootless: pull from a registry on the host's loopback, with the mapped owners" {
	local d=$BATS_TEST_TMPDIR/reg f
	command -v docker-registry >/dev/null || skip "docker-registry not installed"
	command -v skopeo >/dev/null || skip "skopeo not installed"
	start_registry "$d"
	skopeo copy -q --dest-tls-verify=false oci-archive:"$RL_TOP/owned.tar" \
		"docker://127.0.0.1:$REG_PORT/owned:pulled"
	run ub pull -q --tls-verify=false "127.0.0.1:$REG_PORT/owned:pulled"
	echo "$output"
	stop_pidfile "$d/pid"
	[ "$status" -eq 0 ]
	run ub run --rm "127.0.0.1:$REG_PORT/owned:pulled" stat -c '%u:%g' /owned
	[ "$output" = "1000:2000" ]
	f=$(find "$STORE/layers" -name owned | head -1)
	[ "$(stat -c '%u:%g' "$f")" = "$((RL_SUBUID + 999)):$((RL_SUBGID + 1999))" ] || false
	ub rmi "127.0.0.1:$REG_PORT/owned:pulled" >/dev/null
}

@test "rootless: -d, logs, exec, stop, rm; nothing left behind" {
	local _
	run ub run -d --name d1 busybox sh -c 'echo hello; exec sleep 1000'
	[ "$status" -eq 0 ]
	for _ in $(seq 100); do
		[ "$(ub logs d1)" = hello ] && break
		sleep 0.05
	done
	[ "$(ub logs d1)" = hello ] || false
	run ub exec d1 id -u
	[ "$output" = 0 ]
	run ub ps --format '{{.Names}} {{.Status}}'
	[[ "$output" == "d1 Up"* ]] || false
	ub stop -t 1 d1
	run ub ps -a --format '{{.Names}} {{.Status}}'
	[[ "$output" == "d1 Exited"* ]] || false
	ub rm d1
	[ -z "$(ls "$STORE/containers")" ] || false
	[ -z "$(ls "$STORE/netns")" ] || false
	[ -z "$(ls "$RUNDIR/runtime")" ] || false
	run ! grep -q "$STORE" "/proc/$(pause_pid)/mountinfo"
	# the user's processes: only the pause process is left once the monitor has gone
	for _ in $(seq 100); do
		[ "$(ps -o pid= -u "$RL_USER" | tr -d ' ')" = "$(pause_pid)" ] && break
		sleep 0.05
	done
	ps -o pid=,comm= -u "$RL_USER"
	[ "$(ps -o pid= -u "$RL_USER" | tr -d ' ')" = "$(pause_pid)" ] || false
}

@test "rootless: files made on a bind volume belong to the user, a mapped id's to its range" {
	local v=$RL_HOME/vol
	mkdir -p "$v"
	chown "$RL_USER:$RL_USER" "$v"
	ub run --rm -v "$v:/v" busybox sh -c 'touch /v/mine; touch /v/other; chown 1000:1000 /v/other'
	[ "$(stat -c '%u:%g' "$v/mine")" = "$RL_UID:$RL_GID" ] || false
	[ "$(stat -c '%u:%g' "$v/other")" = "$((RL_SUBUID + 999)):$((RL_SUBGID + 999))" ] || false
}

@test "rootless: --userns=keep-id runs as the user's own uid and gid; root is refused it" {
	local v=$RL_HOME/vol-keep
	mkdir -p "$v"
	chown "$RL_USER:$RL_USER" "$v"
	run ub run --rm --userns=keep-id -v "$v:/v" busybox sh -c 'id -u; id -g; touch /v/k'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$RL_UID" ]
	[ "${lines[1]}" = "$RL_GID" ]
	[ "$(stat -c '%u:%g' "$v/k")" = "$RL_UID:$RL_GID" ] || false
	# -u still wins
	run ub run --rm --userns keep-id -u 0 busybox id -u
	[ "$output" = 0 ]
	ROOT=$BATS_TEST_TMPDIR/root
	bad 125 "bad --userns \`keep-id\`: it is for berth run by an ordinary user" \
		run --rm --userns keep-id busybox true
}

@test "rootless: --userns=keep-id sees the image's owners (a shifted copy of its layers, removed with it)" {
	local before
	before=$(find "$STORE/layers" -maxdepth 1 -name "*.keepid-*" 2>/dev/null | sort)
	ub image import "$RL_TOP/owned.tar" owned
	ub image import "$RL_TOP/owned.tar.wh" layered
	run ub run --rm --userns=keep-id owned sh -c \
		'stat -c %u:%g /bin/busybox /etc / /owned; id -u; touch /tmp/new; stat -c %u /tmp/new'
	echo "$output"
	[ "$status" -eq 0 ]
	# the image's root-owned files are root's inside, its uid 1000 gid 2000 theirs
	[ "${lines[0]}" = 0:0 ]
	[ "${lines[1]}" = 0:0 ]
	[ "${lines[2]}" = 0:0 ]
	[ "${lines[3]}" = 1000:2000 ]
	# the user's own uid inside is the user's, and what it makes is its own
	[ "${lines[4]}" = "$RL_UID" ]
	[ "${lines[5]}" = "$RL_UID" ]
	# an opaque directory and a whiteout survive the copy
	run ub run --rm --userns=keep-id layered sh -c 'ls /d; ls /gone 2>&1 || echo gone'
	echo "$output"
	[ "${lines[0]}" = c ]
	[ "${lines[2]}" = gone ]
	# the copies are cached for the next run and go with their image
	[ "$(find "$STORE/layers" -maxdepth 1 -name "*.keepid-$RL_UID-$RL_GID" | sort)" != "$before" ] || false
	ub rmi owned >/dev/null
	ub rmi layered >/dev/null
	# (busybox's, of another test, may stay: busybox does)
	[ "$(find "$STORE/layers" -maxdepth 1 -name "*.keepid-*" | sort)" = "$before" ] || false
}

@test "rootless: user-mode networking by default, -p reachable on the host's loopback" {
	local port _ out
	# a port free now on the host (the test's own pick, above 1024)
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	run ub run --rm busybox sh -c 'ip -o -4 addr show eth0; ip route; cat /etc/resolv.conf'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"inet 10.0.2.100/24"* ]] || false
	[[ "$output" == *"default via 10.0.2.2 dev eth0"* ]] || false
	[[ "$output" == *"nameserver 10.0.2.3"* ]] || false
	# a server in the container, published on the host; 2 MiB back whole
	ub run -d --name web -p "$port:80" busybox sh -c \
		'head -c 2097152 /dev/urandom > /tmp/big; md5sum < /tmp/big > /tmp/sum; exec httpd -f -p 80 -h /tmp' >/dev/null
	for _ in $(seq 100); do
		out=$(curl -s --max-time 5 "http://127.0.0.1:$port/sum" || true)
		[ -n "$out" ] && break
		sleep 0.1
	done
	[ -n "$out" ] || false
	[ "$(curl -s --max-time 20 "http://127.0.0.1:$port/big" | md5sum)" = "$out" ] || false
	run ub ps --format '{{.Names}} {{.Ports}}'
	[ "$output" = "web 0.0.0.0:$port->80/tcp" ]
	# the port is the container's while it runs: a second one is refused, nothing made
	run --separate-stderr ub run --rm -p "$port:80" busybox true
	echo "$stderr"
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"-p $port:80: cannot listen on host port $port: Address already in use"* ]] || false
	ub rm -f web >/dev/null
	# the slirp process went with the container
	for _ in $(seq 100); do
		[ "$(ps -o pid= -u "$RL_USER" | tr -d ' ')" = "$(pause_pid)" ] && break
		sleep 0.05
	done
	[ "$(ps -o pid= -u "$RL_USER" | tr -d ' ')" = "$(pause_pid)" ] || false
	run ! curl -s --max-time 5 "http://127.0.0.1:$port/sum"
	[ -z "$(ls "$STORE/containers")" ] || false
	[ -z "$(ls "$STORE/netns")" ] || false
}

@test "rootless: -p TCP is relayed by sockets (peer 10.0.2.100), 8 MiB up whole, two at once" {
	local port _ out sum
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	# a CGI that answers with the peer's address and the md5 of what was posted
	ub run -d --name up -p "$port:80" busybox sh -c 'mkdir -p /w/cgi-bin &&
		printf "%s\n" "#!/bin/sh" "echo Content-Type: text/plain" "echo" "echo \$REMOTE_ADDR" \
			"head -c \$CONTENT_LENGTH | md5sum" > /w/cgi-bin/up && chmod 755 /w/cgi-bin/up &&
		head -c 16777216 /dev/zero > /w/big && exec httpd -f -p 80 -h /w' >/dev/null
	head -c 8388608 /dev/urandom >"$BATS_TEST_TMPDIR/up"
	sum=$(md5sum <"$BATS_TEST_TMPDIR/up")
	for _ in $(seq 100); do
		out=$(curl -s --max-time 5 --data-binary @"$BATS_TEST_TMPDIR/up" "http://127.0.0.1:$port/cgi-bin/up" || true)
		[ -n "$out" ] && break
		sleep 0.1
	done
	echo "$out"
	# the relay connects inside the container's namespace: the peer is its own address (httpd
	# writes it [::ffff:10.0.2.100]; slirp's forwarding would show 10.0.2.2)
	[[ "$(sed -n 1p <<<"$out")" == *[:[]10.0.2.100[]] ]] || false
	[ "$(sed -n 2p <<<"$out")" = "$sum" ] || false
	# two connections at once, each whole
	curl -s --max-time 30 --data-binary @"$BATS_TEST_TMPDIR/up" "http://127.0.0.1:$port/cgi-bin/up" >"$BATS_TEST_TMPDIR/a" &
	curl -s --max-time 30 --data-binary @"$BATS_TEST_TMPDIR/up" "http://127.0.0.1:$port/cgi-bin/up" >"$BATS_TEST_TMPDIR/b"
	wait $!
	[ "$(sed -n 2p "$BATS_TEST_TMPDIR/a")" = "$sum" ] || false
	[ "$(sed -n 2p "$BATS_TEST_TMPDIR/b")" = "$sum" ] || false
	# a client that goes (a reset) while the server still sends ends that connection only: the
	# relay's write gets EPIPE, and the port stays
	for _ in 1 2 3; do
		python3 - "$port" <<-'P'
		import socket, struct, sys
		s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
		s.sendall(b"GET /big HTTP/1.0\r\n\r\n")
		s.recv(1000)
		s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
		s.close()
		P
	done
	out=$(curl -s --max-time 30 --data-binary @"$BATS_TEST_TMPDIR/up" "http://127.0.0.1:$port/cgi-bin/up")
	[ "$(sed -n 2p <<<"$out")" = "$sum" ] || false
	ub rm -f up >/dev/null
	run ! curl -s --max-time 5 "http://127.0.0.1:$port/"
}

@test "rootless: --network none, host and container:NAME; bridge and a privileged port refused" {
	local a
	run ub run --rm --network none busybox ip -o link
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "1: lo: <LOOPBACK,UP"* ]] || false
	run ub run --rm --network host busybox cat /sys/class/net/lo/ifindex
	[ "$output" = 1 ]
	ub run -d --name n1 busybox sleep 1000 >/dev/null
	run ub run --rm --network container:n1 busybox ip -o -4 addr show eth0
	[[ "$output" == *"inet 10.0.2.100/24"* ]] || false
	ub rm -f n1 >/dev/null
	for a in "--network bridge|rootless berth has no bridge networks" \
		"-p 80:80|host port 80 is privileged (below net.ipv4.ip_unprivileged_port_start" \
		"-p 8080|rootless networking needs one fixed host port"; do
		# shellcheck disable=SC2086 # the two words
		run --separate-stderr ub run --rm ${a%%|*} busybox true
		echo "$stderr"
		[ "$status" -eq 125 ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" == *"${a#*|}"* ]] || false
	done
	[ -z "$(ls "$STORE/containers")" ] || false
	[ -z "$(ls "$STORE/netns")" ] || false
}

@test "rootless: a limit that needs a cgroup is refused with one line, nothing left" {
	run --separate-stderr ub run --rm --memory 64m busybox true
	echo "$stderr"
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	# (the runtime, in the namespace, names its uid there: 0)
	[[ "$stderr" == *"linux.resources.memory: needs a cgroup delegated to uid 0, and there is none"* ]] || false
	[ -z "$(ls "$STORE/containers")" ] || false
	[ -z "$(ls "$STORE/netns")" ] || false
	[ -z "$(ls "$RUNDIR/runtime")" ] || false
	run ! grep -q "$STORE" "/proc/$(pause_pid)/mountinfo"
}

@test "rootless: -v HOST:CTR:idmap is refused with one line naming the file system, nothing left" {
	local v=$RL_HOME/vol-idmap spec
	mkdir -p "$v"
	chown "$RL_USER:$RL_USER" "$v"
	# the kernel lets only the root of a file system's own user namespace (the host's) idmap it
	for spec in "$v:/v:idmap" "$v:/v:idmap=uids=0-0-1;gids=0-0-1"; do
		run --separate-stderr ub run --rm --userns=keep-id -v "$spec" busybox true
		echo "$stderr"
		[ "$status" -eq 125 ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ "$stderr" =~ "berth: run: idmap \`$v\` (for \`/v\`): the "[a-z0-9]+" file system of the source belongs to another user namespace (the host's)" ]] || false
	done
	# without keep-id the container shares the user's namespace: plain idmap has no maps
	run --separate-stderr ub run --rm -v "$v:/v:idmap" busybox true
	[ "$status" -eq 125 ]
	[[ "$stderr" == *"idmap without maps uses the container's user namespace, and this container has none"* ]] || false
	[ -z "$(ls "$STORE/containers")" ] || false
	[ -z "$(ls "$RUNDIR/runtime")" ] || false
	run ! grep -q "$STORE" "/proc/$(pause_pid)/mountinfo"
	[ -z "$(ls -A "$v")" ] || false
}

@test "rootless: run --vm (a riscv64 guest): --rm, a volume, -d, -p, logs, exec, stop, rm; nothing left" {
	local k a bb port page= id _
	k=$("${BERTH_TOP:?}/guest/build-kernel.sh") || k=
	a=$("$BERTH_TOP/guest/build-agent.sh") || a=
	bb=$("$BERTH_TOP/guest/fetch-busybox.sh") || bb=
	if [ -z "$k" ] || [ -z "$a" ] || [ -z "$bb" ]; then
		skip "guest kernel, agent or riscv64 busybox could not be built"
	fi
	# a guest cache of this test's own (links to the shared one's files, which any user reads)
	mkdir -p "$RL_TOP/guest"
	ln -sf "$k" "$a" "$bb" "$RL_TOP/guest/"
	mkdir -p "$RL_HOME/vmvol"
	chown "$RL_USER:$RL_USER" "$RL_HOME/vmvol"
	run --separate-stderr as "$RL_USER" BERTH_GUEST_CACHE="$RL_TOP/guest" "$BERTH" \
		run --vm --rm -v "$RL_HOME/vmvol:/data" busybox sh -c 'id -u; uname -m; touch /data/f'
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = riscv64 ]
	# what the guest's root made on the volume is the user's
	[ "$(stat -c %u "$RL_HOME/vmvol/f")" = "$RL_UID" ] || false
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	id=$(as "$RL_USER" BERTH_GUEST_CACHE="$RL_TOP/guest" "$BERTH" run --vm -d --name vm1 \
		-p "127.0.0.1:$port:8080" busybox sh -c \
		'mkdir /www; echo vm-page >/www/index.html; httpd -p 8080 -h /www; echo ready; while :; do sleep 1; done')
	for _ in $(seq 1200); do
		ub logs vm1 2>&1 | grep -q ready && break
		sleep 0.25
	done
	[ "$(ub logs vm1)" = ready ] || false
	# the console sockets are in the user's state directory (/run is root's)
	[ -S "$RUNDIR/vm/${id:0:24}/ctl" ] || false
	for _ in $(seq 60); do
		page=$(curl -s -m 10 "http://127.0.0.1:$port/" || true)
		[ -n "$page" ] && break
		sleep 0.5
	done
	[ "$page" = vm-page ]
	run ub exec vm1 sh -c 'echo in; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = in ]
	ub stop -t 1 vm1 >/dev/null
	ub rm vm1 >/dev/null
	[ ! -e "$RUNDIR/vm/${id:0:24}" ] || false
	[ -z "$(ls "$STORE/containers")" ] || false
	# nothing of the user's runs but its pause process
	for _ in $(seq 100); do
		[ "$(ps -o pid= -u "$RL_USER" | tr -d ' ')" = "$(pause_pid)" ] && break
		sleep 0.05
	done
	[ "$(ps -o pid= -u "$RL_USER" | tr -d ' ')" = "$(pause_pid)" ] || false
}

@test "rootless: a user with no range in /etc/subuid is refused with one line, nothing made" {
	local xdg=$RL_TOP/xdg-nr
	mkdir -p "$xdg"
	chown "$RL_NORANGE:$RL_NORANGE" "$xdg"
	chmod 700 "$xdg"
	run --separate-stderr setpriv --reuid "$RL_NORANGE" --regid "$RL_NORANGE" --init-groups \
		env -i PATH=/usr/bin:/bin HOME="$RL_TOP/home-nr" XDG_RUNTIME_DIR="$xdg" \
		"$BERTH" run --rm busybox true
	echo "$stderr"
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"/etc/subuid has no range for $RL_NORANGE"* ]] || false
	[ -z "$(ls -A "$xdg")" ] || false
	[ ! -e "$RL_TOP/home-nr" ] || false
	[ -z "$(ps -o pid= -u "$RL_NORANGE")" ] || false
}
