#!/usr/bin/env bats
# Foreign-platform containers (issue 15, item 1): run/create --platform linux/riscv64 runs the
# image's riscv64 variant (the built-in busybox has one, from the guest cache's Debian
# busybox-static) as an ordinary container through binfmt_misc and qemu-user-static. The
# refusals: no such variant, a bad platform, no interpreter; none leaves anything behind.
# berth's binfmt_misc handler (berth-riscv64) is registered when there is none and is never
# removed here: other tests may use it at the same time.
load helpers
load engine-helpers
load registry-helpers
bats_require_minimum_version 1.5.0

setup() {
	ROOT=$BATS_TEST_TMPDIR/root
	riscv64_setup
}

teardown() {
	engine_rm_all
	if [ -e "$BATS_TEST_TMPDIR/reg/pid" ]; then
		kill "$(cat "$BATS_TEST_TMPDIR/reg/pid")" 2>/dev/null || true
	fi
}

# The host's architecture in Go's spelling (as berth's platforms name it).
host_arch() {
	case $(uname -m) in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	*) uname -m ;;
	esac
}

# ARCH of the stored image REF (its config's architecture).
image_arch() {
	b image inspect "$1" | jq -r .config.architecture
}

# The enabled binfmt_misc handlers of riscv64 executables, one a line: NAME F or NAME no-F.
riscv64_handlers() {
	local f
	for f in /proc/sys/fs/binfmt_misc/*; do
		case ${f##*/} in register | status) continue ;; esac
		grep -qx enabled "$f" || continue
		grep -q '^magic .*0200f300' "$f" || continue
		if grep -q '^flags: .*F' "$f"; then
			echo "${f##*/} F"
		else
			echo "${f##*/} no-F"
		fi
	done
}

# Whether a binfmt_misc handler that is not berth's takes riscv64 executables with the F
# flag (berth then uses it and needs no interpreter of its own).
foreign_riscv64_handler() {
	local f
	for f in /proc/sys/fs/binfmt_misc/*; do
		case ${f##*/} in register | status | berth-riscv64) continue ;; esac
		if grep -qx enabled "$f" && grep -q '^magic .*0200f300' "$f" && grep -q '^flags: .*F' "$f"; then
			return 0
		fi
	done
	return 1
}

@test "platform: run --platform linux/riscv64 busybox uname -m prints riscv64; without it, the host's" {
	run -0 --separate-stderr b run --rm --platform linux/riscv64 busybox uname -m
	[ "$output" = riscv64 ]
	[ -z "$stderr" ]
	# every handler for riscv64 executables (berth's, or one it found) has F
	run -0 riscv64_handlers
	[ -n "$output" ]
	[[ "$output" != *"no-F"* ]]
	run -0 b run --rm busybox uname -m
	[ "$output" = "$(uname -m)" ]
	run -0 b run --rm --platform "linux/$(host_arch)" busybox uname -m
	[ "$output" = "$(uname -m)" ]
	assert_nothing_left
}

@test "platform: a riscv64 busybox runs a shell script with env, workdir, a volume and an exit status" {
	mkdir -p "$BATS_TEST_TMPDIR/s"
	cat >"$BATS_TEST_TMPDIR/s/job.sh" <<-'EOF'
	i=0 sum=0
	while [ $i -lt 200 ]; do sum=$((sum + i)); i=$((i + 1)); done
	echo "$GREETING from $(pwd) on $(uname -m): $sum"
	echo written >out.txt
	exit 3
	EOF
	run -3 b run --rm --platform linux/riscv64 -e GREETING=hello -w /work \
		-v "$BATS_TEST_TMPDIR/s:/work" busybox sh job.sh
	[ "$output" = "hello from /work on riscv64: 19900" ]
	[ "$(cat "$BATS_TEST_TMPDIR/s/out.txt")" = written ]
	assert_nothing_left
}

@test "platform: create --platform, then start; inspect shows the platform, ps as for any container" {
	run -0 b create --name emu --platform linux/riscv64 busybox sh -c 'uname -m; exit 7'
	run -0 b inspect --format '{{.platform}}' emu
	[ "$output" = linux/riscv64 ]
	run -0 b create --name nat busybox true
	run -0 b inspect --format '{{.platform}}' nat
	[ "$output" = "linux/$(host_arch)" ]
	run -0 b ps -a --format '{{.Names}} {{.Image}} {{.Status}}'
	[[ "$output" == *"emu busybox:latest Created"* ]]
	run -7 b start -a emu
	[ "$output" = riscv64 ]
	run -0 b wait emu
	[ "$output" = 7 ]
	run -0 b rm emu nat
	assert_nothing_left
}

@test "platform: run -d --platform; exec runs riscv64 binaries in it too; rm -f leaves nothing" {
	run -0 b run -d --name bg --platform linux/riscv64 busybox sleep 1000
	run -0 b exec bg uname -m
	[ "$output" = riscv64 ]
	run -0 b exec -w /tmp -e X=y bg sh -c 'echo "$X $(pwd)"'
	[ "$output" = "y /tmp" ]
	run -0 b ps --format '{{.Names}}'
	[ "$output" = bg ]
	run -0 b rm -f bg
	assert_nothing_left
}

@test "platform: an image without the platform's variant is refused in one line; nothing is left" {
	bad 125 "image \"busybox\" has no linux/s390x variant (it has: linux/$(host_arch), linux/riscv64)" \
		run --rm --pull never --platform linux/s390x busybox true
	assert_nothing_left
	bad 125 "image \"busybox\" has no linux/arm64/v8 variant (it has: linux/$(host_arch), linux/riscv64)" \
		create --pull never --platform linux/arm64/v8 busybox true
	assert_nothing_left
	# a single image of the host's platform has no other
	make_base_rootfs "$BATS_TEST_TMPDIR/rootfs"
	tar -C "$BATS_TEST_TMPDIR/rootfs" -cf "$BATS_TEST_TMPDIR/rootfs.tar" .
	run -0 b image import "$BATS_TEST_TMPDIR/rootfs.tar" single
	bad 125 "image \"single\" has no linux/riscv64 variant (it has: linux/$(host_arch))" \
		run --rm --pull never --platform linux/riscv64 single true
	assert_nothing_left
	run -0 b run --rm --pull never --platform "linux/$(host_arch)" single true
	assert_nothing_left
}

@test "platform: a bad --platform is refused in one line naming it" {
	bad 125 'bad --platform `riscv64`: expected OS/ARCH[/VARIANT]' run --rm --platform riscv64 busybox true
	bad 125 'bad --platform `linux/`: expected OS/ARCH[/VARIANT]' create --platform linux/ busybox true
	bad 125 'bad --platform `linux/risc v64`: expected OS/ARCH[/VARIANT]' run --platform 'linux/risc v64' busybox true
	assert_nothing_left
}

@test "platform: without qemu-user-static's interpreter, one line naming the package; nothing is left" {
	# $BERTH_QEMU_DIR: where berth looks for qemu-ARCH-static (default /usr/bin)
	if foreign_riscv64_handler; then
		skip "a binfmt_misc handler for riscv64 that is not berth's is registered with F: berth uses it"
	fi
	BERTH_QEMU_DIR=$BATS_TEST_TMPDIR/none bad 125 \
		"platform linux/riscv64 needs $BATS_TEST_TMPDIR/none/qemu-riscv64-static, which is not there (apt-get install qemu-user-static)" \
		run --rm --platform linux/riscv64 busybox true
	assert_nothing_left
	run -0 b ps -a -q
	[ -z "$output" ]
	run -0 b create --name later --platform linux/riscv64 busybox true
	BERTH_QEMU_DIR=$BATS_TEST_TMPDIR/none bad 125 "apt-get install qemu-user-static" start -a later
	run -0 b inspect --format '{{.state}}' later
	[ "$output" = created ]
}

# in_binfmt_sandbox SCRIPT: SCRIPT (sh) as root of a user and mount namespace of its own, with
# a binfmt_misc of that namespace (empty; kernel 6.7+) on /proc/sys/fs/binfmt_misc: the host's
# handlers are neither seen nor touched. $B is berth on the test's store.
in_binfmt_sandbox() {
	B="$BERTH --root $ROOT" unshare -Urm --propagation private sh -c \
		'mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc && eval "$1"' sh "$1"
}

binfmt_sandbox_or_skip() {
	in_binfmt_sandbox 'test ! -e /proc/sys/fs/binfmt_misc/berth-riscv64' ||
		skip "no binfmt_misc of a user namespace's own here (kernel 6.7+)"
}

@test "platform: with no handler for riscv64, berth registers berth-riscv64 with F (in a sandbox's binfmt_misc)" {
	binfmt_sandbox_or_skip
	run -0 in_binfmt_sandbox '$B create --name reg --network none --platform linux/riscv64 busybox true >/dev/null &&
		cat /proc/sys/fs/binfmt_misc/berth-riscv64'
	echo "$output"
	[ "${lines[0]}" = enabled ]
	[ "${lines[1]}" = "interpreter /usr/bin/qemu-riscv64-static" ]
	[ "${lines[2]}" = "flags: POF" ]
	[ "${lines[4]}" = "magic 7f454c460201010000000000000000000200f300" ]
	[ "${lines[5]}" = "mask ffffffffffffff00fffffffffffffffffeffffff" ]
	run -0 b rm reg
	# no interpreter: nothing registered, nothing made
	run -0 in_binfmt_sandbox 'BERTH_QEMU_DIR=/nonexistent $B create --network none --platform linux/riscv64 busybox true;
		echo "status $?"; ls /proc/sys/fs/binfmt_misc'
	[ "${lines[0]}" = "berth: create: platform linux/riscv64 needs /nonexistent/qemu-riscv64-static, which is not there (apt-get install qemu-user-static)" ]
	[ "${lines[1]}" = "status 125" ]
	[ "${lines[2]}" = register ]
	[ "${lines[3]}" = status ]
	[ "${#lines[@]}" -eq 4 ]
	assert_nothing_left
}

@test "platform: another's riscv64 handler without F is refused in one line and left as it was" {
	binfmt_sandbox_or_skip
	run -0 in_binfmt_sandbox '
		printf "%s" ":qemu-riscv64:M::\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xf3\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-riscv64-static:OP" \
			>/proc/sys/fs/binfmt_misc/register
		$B create --network none --platform linux/riscv64 busybox true; echo "status $?"
		ls /proc/sys/fs/binfmt_misc; grep flags /proc/sys/fs/binfmt_misc/qemu-riscv64'
	echo "$output"
	[ "${lines[0]}" = "berth: create: binfmt_misc handler qemu-riscv64 for linux/riscv64 (interpreter /usr/bin/qemu-riscv64-static) has no F flag: its interpreter would be looked for inside the container; register it with F (or disable it: echo 0 > /proc/sys/fs/binfmt_misc/qemu-riscv64)" ]
	[ "${lines[1]}" = "status 125" ]
	[ "${lines[2]}" = qemu-riscv64 ]
	[ "${lines[3]}" = register ]
	[ "${lines[4]}" = status ]
	[ "${lines[5]}" = "flags: PO" ]
	assert_nothing_left
	# disabled, it is not in the way: berth registers its own beside it
	run -0 in_binfmt_sandbox '
		printf "%s" ":qemu-riscv64:M::\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xf3\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-riscv64-static:OP" \
			>/proc/sys/fs/binfmt_misc/register
		echo 0 >/proc/sys/fs/binfmt_misc/qemu-riscv64
		$B create --name beside --network none --platform linux/riscv64 busybox true >/dev/null; echo "status $?"
		head -1 /proc/sys/fs/binfmt_misc/qemu-riscv64; grep flags /proc/sys/fs/binfmt_misc/berth-riscv64'
	[ "${lines[0]}" = "status 0" ]
	[ "${lines[1]}" = disabled ]
	[ "${lines[2]}" = "flags: POF" ]
	run -0 b rm beside
}

@test "platform: --pull missing with --platform pulls that variant when the stored image lacks it" {
	start_registry "$BATS_TEST_TMPDIR/reg"
	REG=127.0.0.1:$REG_PORT
	run -0 b save -o "$BATS_TEST_TMPDIR/bb.tar" busybox
	run -0 skopeo copy -q --all --dest-tls-verify=false "oci-archive:$BATS_TEST_TMPDIR/bb.tar" "docker://$REG/bb:latest"
	run -0 b pull -q --tls-verify=false --platform "linux/$(host_arch)" "$REG/bb"
	run -0 image_arch "$REG/bb"
	[ "$output" = "$(host_arch)" ]
	bad 125 "image \"$REG/bb\" has no linux/riscv64 variant (it has: linux/$(host_arch))" \
		run --rm --pull never --platform linux/riscv64 "$REG/bb" uname -m
	run -0 --separate-stderr b run --rm --tls-verify=false --platform linux/riscv64 "$REG/bb" uname -m
	[ "$output" = riscv64 ]
	run -0 image_arch "$REG/bb"
	[ "$output" = riscv64 ]
	assert_nothing_left
}
