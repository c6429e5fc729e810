#!/usr/bin/env bats
# `berth vm run --share` (virtio-9p) and the console both ways (`--console`, the UART, the
# SBI console, the virtio-console), on the reference guest. The guest's init runs the words
# after `--` as one busybox shell command; the kernel passes at most 32 words to init, so
# each test's guest script lives in a second, read-only share (`scripts`) and the command
# line only mounts the shares and runs it. Every effect is checked from the host side.
# `timeout 600` is only a safety net against hangs, not a time limit.
# Environment: BERTH_BUILD, BERTH_TOP (tests/cli/vm-helpers.bash).

load vm-helpers

setup_file() { vm_setup_file; }

setup() {
	vm_setup
	mkdir -p "$TMP/share" "$TMP/scripts"
}

# The mount command for tag $1 at $2 (in the guest)
MOUNT9P="mount -t 9p -o trans=virtio,version=9p2000.L"

# Run the guest script $TMP/scripts/run.sh with $TMP/share shared as `share` (extra
# options for the share in $SHARE_OPTS, e.g. ",ro").
run_script() {
	run timeout 600 "$BERTH" vm run --kernel "$KERNEL" --initrd "$INITRD" \
		--share "$TMP/share:share${SHARE_OPTS:-}" --share "$TMP/scripts:scripts,ro" \
		--append "console=ttyS0 quiet -- mkdir -p /mnt /s && $MOUNT9P scripts /s && $MOUNT9P share /mnt && sh /s/run.sh" \
		</dev/null
	echo "$output"
}

@test "vm share: the guest reads, writes, renames and deletes files and the host sees each change" {
	echo "written by the host" >"$TMP/share/host.txt"
	echo "delete me" >"$TMP/share/del.txt"
	mkdir "$TMP/share/olddir"
	echo "in a directory" >"$TMP/share/olddir/f"
	head -c 3000000 /dev/urandom >"$TMP/share/random.bin"
	cat >"$TMP/scripts/run.sh" <<'EOF'
set -e
echo "guest reads: $(cat /mnt/host.txt)"
echo "guest md5: $(md5sum /mnt/random.bin)"
echo "written by the guest" >/mnt/guest.txt
echo "appended" >>/mnt/guest.txt
mv /mnt/host.txt /mnt/renamed.txt
mv /mnt/olddir /mnt/newdir
rm /mnt/del.txt
mkdir -p /mnt/a/b/c
echo deep >/mnt/a/b/c/deep.txt
ln -s guest.txt /mnt/link
ln /mnt/guest.txt /mnt/hardlink
dd if=/dev/zero of=/mnt/zeros bs=65536 count=20 2>/dev/null
for i in 1 2 3 4 5 6 7 8 9 10; do echo $i >/mnt/small.$i; done
rm /mnt/small.1 /mnt/small.2
chmod 600 /mnt/renamed.txt
truncate -s 5 /mnt/renamed.txt
echo "listing: $(ls /mnt | tr '\n' ' ')"
echo "newdir: $(cat /mnt/newdir/f)"
df /mnt >/dev/null
sync
echo GUEST-SCRIPT-DONE
EOF
	run_script
	[ "$status" -eq 0 ]
	[[ "$output" == *"GUEST-SCRIPT-DONE"* ]]
	[[ "$output" == *"guest reads: written by the host"* ]]
	[[ "$output" == *"guest md5: $(md5sum <"$TMP/share/random.bin" | cut -d' ' -f1)"* ]]
	[[ "$output" == *"newdir: in a directory"* ]]
	[ "$(cat "$TMP/share/guest.txt")" = "written by the guest
appended" ]
	[ ! -e "$TMP/share/host.txt" ]
	[ "$(cat "$TMP/share/renamed.txt")" = "writt" ]
	[ "$(stat -c %a "$TMP/share/renamed.txt")" = 600 ]
	[ ! -e "$TMP/share/olddir" ]
	[ "$(cat "$TMP/share/newdir/f")" = "in a directory" ]
	[ ! -e "$TMP/share/del.txt" ]
	[ "$(cat "$TMP/share/a/b/c/deep.txt")" = deep ]
	[ "$(readlink "$TMP/share/link")" = guest.txt ]
	[ "$(stat -c %i "$TMP/share/hardlink")" = "$(stat -c %i "$TMP/share/guest.txt")" ]
	[ "$(stat -c %s "$TMP/share/zeros")" -eq 1310720 ]
	[ ! -e "$TMP/share/small.1" ]
	[ "$(cat "$TMP/share/small.10")" = 10 ]
}

@test "vm share: a read-only share refuses every write" {
	echo "keep me" >"$TMP/share/keep.txt"
	mkdir "$TMP/share/dir"
	cat >"$TMP/scripts/run.sh" <<'EOF'
cat /mnt/keep.txt
echo x >/mnt/new.txt || echo REFUSED-create
echo x >>/mnt/keep.txt || echo REFUSED-append
rm /mnt/keep.txt || echo REFUSED-rm
mv /mnt/keep.txt /mnt/moved || echo REFUSED-mv
mkdir /mnt/d2 || echo REFUSED-mkdir
rmdir /mnt/dir || echo REFUSED-rmdir
ln -s keep.txt /mnt/l || echo REFUSED-symlink
chmod 777 /mnt/keep.txt || echo REFUSED-chmod
touch -d 2001-01-01 /mnt/keep.txt || echo REFUSED-touch
echo GUEST-SCRIPT-DONE
EOF
	local before
	before=$(stat -c '%a %Y %s' "$TMP/share/keep.txt")
	SHARE_OPTS=,ro run_script
	[ "$status" -eq 0 ]
	[[ "$output" == *"GUEST-SCRIPT-DONE"* ]]
	[[ "$output" == *"keep me"* ]]
	for w in create append rm mv mkdir rmdir symlink chmod touch; do
		grep -q "REFUSED-$w" <<<"$output" || false
	done
	[[ "$output" == *"Read-only file system"* ]]
	[ "$(cat "$TMP/share/keep.txt")" = "keep me" ]
	[ "$(stat -c '%a %Y %s' "$TMP/share/keep.txt")" = "$before" ]
	[ "$(ls "$TMP/share")" = "dir
keep.txt" ]
}

# xattr CMD FILE NAME [VALUE]: the host's side of a user.* extended attribute (python3)
host_xattr() {
	python3 - "$@" <<'EOF'
import os, sys
cmd, f = sys.argv[1], sys.argv[2]
if cmd == "set":
    os.setxattr(f, sys.argv[3], sys.argv[4].encode())
elif cmd == "get":
    print(os.getxattr(f, sys.argv[3]).decode())
else:
    print(" ".join(sorted(os.listxattr(f))))
EOF
}

@test "vm share: user.* extended attributes: listed, read, set and removed; others refused; none on a read-only share" {
	echo data >"$TMP/share/f.txt"
	host_xattr set "$TMP/share/f.txt" user.host from-host
	host_xattr set "$TMP/share/f.txt" user.gone remove-me
	host_xattr set "$TMP/share/f.txt" trusted.host hidden
	cat >"$TMP/scripts/run.sh" <<'EOF'
echo "LIST: $(/init xattr list /mnt/f.txt | sort | tr '\n' ' ')|"
echo "GET: $(/init xattr get /mnt/f.txt user.host)|"
/init xattr set /mnt/f.txt user.guest from-guest && echo SET-OK
/init xattr rm /mnt/f.txt user.gone && echo RM-OK
/init xattr get /mnt/f.txt trusted.host || echo REFUSED-get-trusted
/init xattr set /mnt/f.txt trusted.guest x || echo REFUSED-set-trusted
/init xattr set /mnt/f.txt security.guest x || echo REFUSED-set-security
/init xattr set /s/run.sh user.guest x || echo REFUSED-set-ro
echo "RO-LIST: $(/init xattr list /s/run.sh | tr '\n' ' ')|"
echo GUEST-SCRIPT-DONE
EOF
	host_xattr set "$TMP/scripts/run.sh" user.ro on-ro-share
	run_script
	[ "$status" -eq 0 ]
	[[ "$output" == *"GUEST-SCRIPT-DONE"* ]]
	# the guest sees the user.* attributes only
	grep -q "^LIST: user.gone user.host |" <<<"$output" || false
	grep -q "^GET: from-host|" <<<"$output" || false
	grep -q "^SET-OK" <<<"$output" || false
	grep -q "^RM-OK" <<<"$output" || false
	for w in get-trusted set-trusted set-security set-ro; do
		grep -q "REFUSED-$w" <<<"$output" || false
	done
	grep -q "^RO-LIST: user.ro |" <<<"$output" || false
	# the host sees the guest's changes, and nothing else changed
	[ "$(host_xattr get "$TMP/share/f.txt" user.guest)" = from-guest ]
	[ "$(host_xattr list "$TMP/share/f.txt")" = "trusted.host user.guest user.host" ]
	[ "$(host_xattr get "$TMP/share/f.txt" trusted.host)" = hidden ]
	[ "$(host_xattr list "$TMP/scripts/run.sh")" = "user.ro" ]
}

@test "vm share: guest-made symlinks to host files and .. walks do not reach host files" {
	echo "host secret" >"$TMP/secret"
	local passwd_sum
	passwd_sum=$(md5sum </etc/passwd)
	cat >"$TMP/scripts/run.sh" <<EOF
ln -s /etc/passwd /mnt/pw
echo pwned >>/mnt/pw || true
cat /mnt/pw && echo READ-PW
ln -s $TMP/secret /mnt/abs
cat /mnt/abs && echo READ-ABS
ln -s ../secret /mnt/rel
cat /mnt/rel && echo READ-REL
cat /mnt/../secret && echo READ-DOTDOT
cd /mnt && cat ../../../../secret && echo READ-CD
ls /mnt/../../.. >/dev/null
echo GUEST-SCRIPT-DONE
EOF
	run_script
	[ "$status" -eq 0 ]
	[[ "$output" == *"GUEST-SCRIPT-DONE"* ]]
	[[ "$output" != *"host secret"* ]]
	[[ "$output" != *READ-ABS* ]]
	[[ "$output" != *READ-REL* ]]
	[[ "$output" != *READ-DOTDOT* ]]
	[[ "$output" != *READ-CD* ]]
	# from the host: the links exist inside the share, nothing outside changed
	[ "$(readlink "$TMP/share/pw")" = /etc/passwd ]
	[ "$(md5sum </etc/passwd)" = "$passwd_sum" ]
	[ "$(cat "$TMP/secret")" = "host secret" ]
	[ "$(ls "$TMP" | sort | tr '\n' ' ')" = "scripts secret share " ]
}

@test "vm share: berth.share=TAG:DIR makes the guest's init mount shares" {
	echo "from share one" >"$TMP/share/one"
	echo "from share two" >"$TMP/scripts/two"
	run timeout 600 "$BERTH" vm run --kernel "$KERNEL" --initrd "$INITRD" \
		--share "$TMP/share:one" --share "$TMP/scripts:two,ro" \
		--append "console=ttyS0 quiet berth.share=one:/srv/one berth.share=two:/two -- cat /srv/one/one /two/two" \
		</dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"share: one on /srv/one"* ]]
	[[ "$output" == *"share: two on /two"* ]]
	[[ "$output" == *"from share one"*"from share two"* ]]
	[[ "$output" == *"BERTH-GUEST-EXIT status=0"* ]]
}

# Start the guest with a shell on the console, once it is ready type $1 at it, and collect
# the output. $2: the kernel's console (ttyS0, hvc0 the SBI console, hvc1 the virtio one).
shell_guest() {
	local line
	output=
	coproc GUEST { timeout 600 "$BERTH" vm run --kernel "$KERNEL" --initrd "$INITRD" \
		--append "console=$2 quiet -- echo SHELL-READY && sh" 2>&1; }
	local in out pid=$GUEST_PID
	# copies of the coprocess's pipes: bash closes its own as soon as the process exits,
	# maybe before its last lines are read
	exec {in}>&"${GUEST[1]}" {out}<&"${GUEST[0]}"
	while IFS= read -r line <&"$out"; do
		output+="$line"$'\n'
		if [[ "$line" == *SHELL-READY* ]]; then
			printf '%b' "$1" >&"$in"
		fi
	done
	exec {in}>&- {out}<&-
	wait "$pid" && status=0 || status=$?
	echo "$output"
}

@test "vm console: typing reaches a guest shell on the UART, the SBI console and the virtio-console" {
	for con in ttyS0 hvc0 hvc1; do
		shell_guest 'echo typed-$((6*7))-on-'"$con"'\nexit 7\n' "$con"
		[ "$status" -eq 0 ]
		[[ "$output" == *"typed-42-on-$con"* ]]
		[[ "$output" == *"BERTH-GUEST-EXIT status=7"* ]]
	done
}

@test "vm console: --console socket:PATH is a terminal a user connects to, removed at exit" {
	local sock="$TMP/console.sock" line
	# the guest tells the host through the share when it has printed SHELL-READY; the user
	# connects only then, and still sees it (the output kept while nobody was connected)
	timeout 600 "$BERTH" vm run --kernel "$KERNEL" --initrd "$INITRD" --console "socket:$sock" \
		--share "$TMP/share:share" \
		--append "console=ttyS0 quiet berth.share=share:/mnt -- echo SHELL-READY && touch /mnt/printed && sh" \
		</dev/null >"$TMP/stdout" 2>&1 &
	local vm=$!
	local i
	for ((i = 0; i < 6000; i++)); do
		[ -e "$TMP/share/printed" ] && break
		kill -0 "$vm" || break
		sleep 0.1
	done
	[ -S "$sock" ]
	[ -e "$TMP/share/printed" ]
	output=
	coproc CLIENT { socat - "UNIX-CONNECT:$sock"; }
	local in out cpid=$CLIENT_PID
	# copies of the coprocess's pipes: bash closes its own as soon as the process exits,
	# maybe before its last lines are read
	exec {in}>&"${CLIENT[1]}" {out}<&"${CLIENT[0]}"
	while IFS= read -r line <&"$out"; do
		output+="$line"$'\n'
		if [[ "$line" == *SHELL-READY* ]]; then
			printf 'echo typed-$((6*7))\nexit 5\n' >&"$in"
		fi
		if [[ "$line" == *BERTH-GUEST-POWEROFF* ]]; then
			break
		fi
	done
	exec {in}>&- {out}<&-
	echo "$output"
	wait "$vm" && status=0 || status=$?
	kill "$cpid" 2>/dev/null || true
	wait "$cpid" || true
	[ "$status" -eq 0 ]
	[[ "$output" == *"typed-42"* ]]
	[[ "$output" == *"BERTH-GUEST-EXIT status=5"* ]]
	# the guest's output went to the socket, not to berth's stdout
	[[ "$(cat "$TMP/stdout")" != *"BERTH-GUEST"* ]]
	[ ! -e "$sock" ]
}

@test "vm console: --serial NAME=socket:PATH is a named virtio-console port; a host program and the guest talk over it" {
	local sock="$TMP/port.sock"
	cat >"$TMP/scripts/run.sh" <<'EOF'
p=
for i in $(seq 1 600); do
	for d in /sys/class/virtio-ports/*; do
		[ "$(cat "$d/name" 2>/dev/null)" = org.berth.test ] && p=/dev/${d##*/}
	done
	[ -n "$p" ] && [ -e "$p" ] && break
	sleep 0.1
done
echo "PORT=$p"
exec 3<>"$p"
echo PORT-OPEN
read -r line <&3
echo "guest-got:$line"
echo "pong:$line" >&3
exec 3>&-
EOF
	cat >"$TMP/client.py" <<'EOF'
import socket, sys, time
sock, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
for _ in range(6000):  # until berth made the socket (bounded)
    try:
        s.connect(sock)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("no socket")
for _ in range(12000):  # until the guest has the port open or is done (bounded)
    text = open(log, errors="replace").read()
    if "PORT-OPEN" in text or "BERTH-GUEST-EXIT" in text:
        break
    time.sleep(0.1)
s.sendall(b"ping-from-host\n")
s.settimeout(600)  # a bound on failure only
got = b""
while not got.endswith(b"\n"):
    d = s.recv(256)
    if not d:
        break
    got += d
print(got.decode(errors="replace").strip())
EOF
	timeout 600 "$BERTH" vm run --kernel "$KERNEL" --initrd "$INITRD" \
		--serial "org.berth.test=socket:$sock" --share "$TMP/scripts:scripts,ro" \
		--append "console=ttyS0 quiet -- mkdir -p /s && $MOUNT9P scripts /s && sh /s/run.sh" \
		</dev/null >"$TMP/vm.out" 2>&1 &
	local vm=$!
	run timeout 600 python3 "$TMP/client.py" "$sock" "$TMP/vm.out"
	echo "client: $output"
	local client=$output
	wait "$vm" && status=0 || status=$?
	cat "$TMP/vm.out"
	[ "$status" -eq 0 ]
	grep -q 'PORT=/dev/vport[0-9]*p1' "$TMP/vm.out"
	grep -q 'guest-got:ping-from-host' "$TMP/vm.out"
	[ "$client" = pong:ping-from-host ]
	# the socket went with berth
	[ ! -e "$sock" ]
}

@test "vm console: --console none runs the guest without a terminal" {
	run timeout 600 "$BERTH" vm run --kernel "$KERNEL" --initrd "$INITRD" --console none \
		--append "console=ttyS0"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

# bad TEXT ARG…: refused with the default guest's kernel and initrd given
bad() {
	local want=$1
	shift
	vm_refused "$want" --kernel "$KERNEL" --initrd "$INITRD" "$@"
}

@test "vm share, console: bad arguments give one line before the guest starts and leave nothing" {
	touch "$TMP/file"
	bad '--share: expected HOSTDIR:TAG[,ro], got "nodir"' --share nodir
	bad '--share: expected HOSTDIR:TAG[,ro], got "/tmp:"' --share /tmp:
	bad "--share: the tag \"a b\" in \"/tmp:a b\" may hold only letters" --share "/tmp:a b"
	bad '--share: unknown option "rw" in "/tmp:t,rw" (accepted: ro)' --share /tmp:t,rw
	bad "--share: \`$TMP/file\` is not a directory" --share "$TMP/file:t"
	bad "--share: \`$TMP/missing\`: No such file or directory" --share "$TMP/missing:t"
	bad '--share: the tag "t" is given twice' --share "$TMP/share:t" --share "$TMP/scripts:t"
	bad '--disk, --net, --share: at most 6 disks, network cards and shares together, got 7' --disk "$TMP/file" --disk "$TMP/file" \
		--disk "$TMP/file" --disk "$TMP/file" --disk "$TMP/file" --share /tmp:a --share /tmp:b
	bad '--disk, --net, --share: at most 6 disks, network cards and shares together, got 7' \
		--disk "$TMP/file" --disk "$TMP/file" --disk "$TMP/file" --disk "$TMP/file" \
		--net user --share /tmp:a --share /tmp:b
	bad '--console: expected none, stdio or socket:PATH, got "tty"' --console tty
	bad '--console: expected none, stdio or socket:PATH, got "socket:"' --console socket:
	# a socket path in use is refused, and left as it was
	bad "--console: \`$TMP/file\` already exists" --console "socket:$TMP/file"
	[ -f "$TMP/file" ]
	bad "is longer than 107 bytes" --console "socket:$TMP/$(printf '%0200d' 0)"
	bad '--serial: expected NAME=socket:PATH, got "org.x"' --serial org.x
	bad '--serial: expected NAME=socket:PATH, got "org.x=socket:"' --serial org.x=socket:
	bad '--serial: the port name in "a b=socket:/x" may hold only letters' --serial "a b=socket:/x"
	bad '--serial: at most 3 ports' --serial a=socket:/x --serial b=socket:/y \
		--serial c=socket:/z --serial d=socket:/w
	bad '--serial: the port name "a" is given twice' --serial "a=socket:$TMP/s1" \
		--serial "a=socket:$TMP/s2"
	bad "--serial: \`$TMP/file\` already exists" --serial "a=socket:$TMP/file"
	# an error after the socket was made (a bad disk) removes it
	bad "--disk: open \`$TMP/missing\`" --console "socket:$TMP/c.sock" --disk "$TMP/missing"
	[ ! -e "$TMP/c.sock" ]
	[ "$(ls "$TMP" | tr '\n' ' ')" = "file scripts share " ]
}
