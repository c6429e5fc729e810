# Shared helpers for berth's command-line tests (bats). Run as root.
#   BERTH_BUILD  build directory holding berth and berth-runtime (tests/run.sh sets it)
#   BERTH_TOP    repository root

BERTH_BUILD=${BERTH_BUILD:-$(cd "$BATS_TEST_DIRNAME/../../build" && pwd)}
BERTH_TOP=${BERTH_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
RUNTIME=$BERTH_BUILD/berth-runtime

# A busybox root filesystem from Debian's busybox-static, made once per test file under
# $BATS_FILE_TMPDIR/base-rootfs and copied (hard links for the binary) into each bundle.
make_base_rootfs() {
	[ -x "$1/bin/busybox" ] || "$BERTH_TOP/scripts/make-rootfs.sh" "$1"
}

# riscv64_busybox DIR: DIR/busybox-riscv64-trixie as guest/fetch-busybox.sh caches it, for the
# built-in busybox's riscv64 image (BERTH_GUEST_CACHE=DIR): the machine's cached Debian binary
# when there is one, else (offline) the host's busybox with its ELF machine set to RISC-V
# (243), which berth takes as such: it only reads the binary and its applet table.
riscv64_busybox() {
	local cached=/var/cache/berth/guest/busybox-riscv64-trixie
	mkdir -p "$1"
	if [ -s "$cached" ]; then
		cp "$cached" "$1/busybox-riscv64-trixie"
	else
		cp "${BERTH_BUSYBOX:-/bin/busybox}" "$1/busybox-riscv64-trixie"
		printf '\363\000' | dd of="$1/busybox-riscv64-trixie" bs=1 seek=18 conv=notrunc status=none
	fi
}

# make_bundle DIR: a bundle with a writable busybox rootfs and berth-runtime's default spec
# turned into a non-interactive one (terminal false, root writable, args from "$@").
make_bundle() {
	local b=$1
	shift
	make_base_rootfs "$BATS_FILE_TMPDIR/base-rootfs"
	mkdir -p "$b"
	cp -al "$BATS_FILE_TMPDIR/base-rootfs" "$b/rootfs"
	"$RUNTIME" spec --bundle "$b"
	local args='["true"]'
	if [ $# -gt 0 ]; then args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .); fi
	cfg_set "$b" ".process.terminal = false | .root.readonly = false | .process.args = $args"
}

# make_userns_bundle DIR [CMD…]: make_bundle in DIR/bundle (sets BUNDLE) with a new user
# namespace mapping ids 0-65535 to 100000-165535, the rootfs owned by the mapped root and
# DIR reachable by it (DIR, made by the caller under /tmp, is the caller's to remove).
make_userns_bundle() {
	local top=$1
	shift
	chmod 755 "$top"
	BUNDLE=$top/bundle
	make_bundle "$BUNDLE" "$@"
	cfg_set "$BUNDLE" '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	chown -R 100000:100000 "$BUNDLE/rootfs"
}

# ptydrive [--size R C] [--timeout S] [--expect TEXT | --send TEXT]... -- CMD...: CMD on a
# terminal, typed into and read as a person would (tests/tools/ptydrive.py says how); prints
# its output and "status N", or "still running" when it was killed at the timeout.
ptydrive() {
	"$BERTH_TOP/tests/tools/ptydrive.py" "$@"
}

# jqe [JQ-OPTIONS] FILTER: `jq -e` on stdin that also fails when there is no input at all.
# jq 1.6 exits 0 under -e when its input is empty, so `cmd | jq -e F` passed whenever cmd
# failed and printed nothing (a wait loop once broke out at once that way). Use jqe, never
# jq -e, in tests (scripts/lint-tests.sh checks).
jqe() {
	local in
	in=$(cat)
	if [[ -z ${in//[[:space:]]/} ]]; then
		echo "jqe: no JSON input for $*" >&2
		return 1
	fi
	jq -e "$@" <<<"$in" # lint: jqe itself
}

# cfg_set BUNDLE JQ-FILTER: edit BUNDLE/config.json in place.
cfg_set() {
	local f=$1/config.json
	jq "$2" "$f" >"$f.new"
	mv "$f.new" "$f"
}

rt() {
	"$RUNTIME" --root "$STATE_ROOT" "$@"
}

# need_strace: skip the test when strace is missing
need_strace() {
	command -v strace >/dev/null || skip "needs strace (scripts/debian-packages.txt)"
}

# rt_strace TRACE CALLS ARG...: rt ARG... under `strace -f -qq`, the system calls CALLS
# (comma-separated) of the runtime and its children logged in TRACE (LeakSanitizer cannot
# run under ptrace: ASan builds' leak check is off)
rt_strace() {
	local trace=$1 calls=$2
	shift 2
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -e trace="$calls" -o "$trace" "$RUNTIME" --root "$STATE_ROOT" "$@"
}

common_setup() {
	STATE_ROOT=$BATS_TEST_TMPDIR/state
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	ID=berth-test-$$-${BATS_TEST_NUMBER}
}

common_teardown() {
	local id
	for id in $(rt list -q 2>/dev/null); do
		rt delete --force "$id" >/dev/null 2>&1 || true
	done
}

# The container left nothing behind: no state, no cgroup directory, no process.
assert_gone() {
	local id=$1
	[ ! -e "$STATE_ROOT/$id" ] || { echo "state of $id left behind"; return 1; }
	local d
	for d in /sys/fs/cgroup/*/berth/"$id" /sys/fs/cgroup/berth/"$id"; do
		[ ! -e "$d" ] || { echo "cgroup $d left behind"; return 1; }
	done
}

# A process whose command line contains $1 exists (zombies do not count).
proc_alive() {
	local p
	for p in /proc/[0-9]*; do
		if tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q -- "$1"; then
			grep -q '^State:.*Z' "$p/status" 2>/dev/null || return 0
		fi
	done
	return 1
}

# pid_below PID CMDLINE: print the pid of a process below PID (a child, grandchild…) whose
# command line is CMDLINE (arguments joined by spaces); fail when there is none.
pid_below() {
	local p q
	for p in /proc/[0-9]*; do
		[ "$(tr '\0' ' ' 2>/dev/null <"$p/cmdline")" = "$2 " ] || continue
		q=${p#/proc/}
		while [ -n "$q" ] && [ "$q" -gt 1 ]; do
			q=$(awk '/^PPid:/ {print $2}' "/proc/$q/status" 2>/dev/null)
			if [ "$q" = "$1" ]; then
				echo "${p#/proc/}"
				return 0
			fi
		done
	done
	return 1
}

# b ARG…: the engine on the test's own store ($ROOT; $BERTH is the binary)
b() {
	"$BERTH" --root "$ROOT" "$@"
}

# Remove every container of the test's store, running or not (the engine tests' teardown).
engine_rm_all() {
	local id
	for id in $(b ps -a --format json 2>/dev/null | jq -r '.[].id'); do
		b rm -f "$id" >/dev/null 2>&1 || true
	done
}

# image_with_config SRC NAME KEY VALUE [json]: import as NAME the image SRC with its
# config's config.KEY set to VALUE (a string; with json, VALUE is JSON), through an OCI
# archive rewritten here.
image_with_config() {
	local d
	d=$(mktemp -d "$BATS_TEST_TMPDIR/cfg.XXXXXX")
	mkdir -p "$d/x"
	b image export "$1" "$d/src.tar"
	tar -C "$d/x" -xf "$d/src.tar"
	python3 - "$d/x" "$3" "$4" "${5:-}" <<-'P'
	import hashlib, json, os, sys
	d, key, value = sys.argv[1], sys.argv[2], sys.argv[3]
	if sys.argv[4] == 'json':
	    value = json.loads(value)
	blob = lambda h: os.path.join(d, 'blobs/sha256', h)
	def put(data):
	    h = hashlib.sha256(data).hexdigest()
	    open(blob(h), 'wb').write(data)
	    return {'digest': 'sha256:' + h, 'size': len(data)}
	idx = json.load(open(os.path.join(d, 'index.json')))
	m = json.load(open(blob(idx['manifests'][0]['digest'][7:])))
	c = json.load(open(blob(m['config']['digest'][7:])))
	c.setdefault('config', {})[key] = value
	m['config'].update(put(json.dumps(c).encode()))
	idx['manifests'][0].update(put(json.dumps(m).encode()))
	idx['manifests'][0].pop('annotations', None)
	json.dump(idx, open(os.path.join(d, 'index.json'), 'w'))
	P
	tar -C "$d/x" -cf "$d/out.tar" .
	b image import "$d/out.tar" "$2"
}

# bad STATUS TEXT CMD…: berth refuses with STATUS, one line on stderr containing TEXT,
# nothing on stdout.
bad() {
	local want=$1 text=$2
	shift 2
	run --separate-stderr b "$@"
	echo "status=$status stdout=$output stderr=$stderr"
	[ "$status" -eq "$want" ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == *"$text"* ]]
}

# rootless_user_add NAME HOME RANGE_START: an ordinary user of the test's own (useradd, no
# home made), with 65536 ids from RANGE_START in /etc/subuid and /etc/subgid when useradd
# (as /etc/login.defs says) gave none; exports RL_UID, RL_GID, RL_SUBUID, RL_SUBGID.
rootless_user_add() {
	useradd -M -d "$2" -s /usr/sbin/nologin "$1"
	RL_UID=$(id -u "$1")
	RL_GID=$(id -g "$1")
	if ! grep -q "^$1:" /etc/subuid 2>/dev/null; then
		usermod --add-subuids "$3-$(($3 + 65535))" "$1"
	fi
	if ! grep -q "^$1:" /etc/subgid 2>/dev/null; then
		usermod --add-subgids "$3-$(($3 + 65535))" "$1"
	fi
	RL_SUBUID=$(awk -F: -v u="$1" '$1 == u { print $2; exit }' /etc/subuid)
	RL_SUBGID=$(awk -F: -v u="$1" '$1 == u { print $2; exit }' /etc/subgid)
	export RL_UID RL_GID RL_SUBUID RL_SUBGID
}

# rootless_user_del NAME: what of the user still runs, which the test started (a pause
# process, monitors, conmon), ended by pid; the user and its ranges removed (userdel refuses
# a user with processes).
rootless_user_del() {
	local p _
	for _ in $(seq 50); do
		p=$(ps -o pid= -u "$1" 2>/dev/null || true)
		[ -n "$p" ] || break
		# shellcheck disable=SC2086 # the pids
		kill -KILL $p 2>/dev/null || true
		sleep 0.1
	done
	userdel "$1" || userdel -f "$1" || true
	sed -i "/^$1:/d" /etc/subuid /etc/subgid
}
