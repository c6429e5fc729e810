# Helpers for the drop-in tests: Podman (with conmon) and containerd driving berth-runtime,
# and the same scenarios with crun for parity. Run as root. Sourced after helpers.bash.
#
# Each test file gets a private Podman: its own containers.conf (cgroupfs, file events, no
# network by default, no default ulimits since this host has no CAP_SYS_RESOURCE to go past
# its hard limits), its own storage.conf (vfs driver, so that no layer mount outlives a
# private mount namespace) and its own --root/--runroot/tmp_dir, all under
# $BATS_FILE_TMPDIR. Nothing in /etc/containers or /var/lib/containers is touched.
#
# crun 1.8 refuses this host's hybrid cgroup layout (cgroup2 at /sys/fs/cgroup/unified with
# controllers): crun scenarios run in a private mount namespace with /dev/null bound over
# /sys/fs/cgroup/unified/cgroup.controllers (as bench/runtime-start.sh does), each scenario
# whole in one namespace, so that conmon and every podman command of it see the same mounts.

PODMAN_IMAGE=localhost/berth-busybox:test

# podman_setup_file: write the configuration and import the busybox image. Exports what a
# scenario run in a child shell (crun_ns) needs.
podman_setup_file() {
	export PM_DIR=$BATS_FILE_TMPDIR/podman
	export BERTH_RUNTIME_BIN=$BERTH_BUILD/berth-runtime
	export PODMAN_IMAGE
	mkdir -p "$PM_DIR/root" "$PM_DIR/runroot" "$PM_DIR/tmp"
	cat >"$PM_DIR/containers.conf" <<EOF
[containers]
netns = "none"
default_ulimits = []
log_driver = "k8s-file"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PM_DIR/events.log"
tmp_dir = "$PM_DIR/tmp"
runtime = "berth"
conmon_path = ["/usr/bin/conmon"]

[engine.runtimes]
berth = ["$BERTH_RUNTIME_BIN"]
crun = ["/usr/bin/crun"]
EOF
	cat >"$PM_DIR/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$PM_DIR/root"
runroot = "$PM_DIR/runroot"
EOF
	export CONTAINERS_CONF=$PM_DIR/containers.conf
	export CONTAINERS_STORAGE_CONF=$PM_DIR/storage.conf
	make_base_rootfs "$BATS_FILE_TMPDIR/base-rootfs"
	tar -C "$BATS_FILE_TMPDIR/base-rootfs" -c . |
		podman_raw import --change 'CMD ["/bin/sh"]' - "$PODMAN_IMAGE" >/dev/null
}

podman_teardown_file() {
	[ -n "${PM_DIR:-}" ] || return 0
	# containers left by a failed scenario, crun's too (hence the namespace)
	crun_ns podman_raw rm -a -f -t 0 >/dev/null 2>&1 || true
	podman_raw rmi -a -f >/dev/null 2>&1 || true
	# vfs leaves nothing mounted; the runroot may hold shm mounts of containers
	{ grep -o " ${PM_DIR}[^ ]*" /proc/self/mounts || true; } | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
}

podman_raw() {
	podman --root "$PM_DIR/root" --runroot "$PM_DIR/runroot" --storage-driver vfs \
		--cgroup-manager cgroupfs --events-backend file "$@"
}

# pm RUNTIME ARGS...: podman with the given runtime (berth or crun, named in
# containers.conf). Podman passes no --root to a runtime run as root, so each runtime keeps
# its state in its default directory (/run/berth-runtime, /run/crun), under Podman's 64-digit
# container ids.
pm() {
	local r=$1
	shift
	podman_raw --runtime "$r" "$@"
}

# crun_ns FUNC ARGS...: run FUNC (exported with export -f) in a private mount namespace in
# which crun accepts this host's cgroup layout.
crun_ns() {
	unshare -m --propagation private bash -euc '
		ctl=/sys/fs/cgroup/unified/cgroup.controllers
		[ ! -e "$ctl" ] || mount --bind /dev/null "$ctl"
		"$@"' crun_ns "$@"
}

# fail MESSAGE: print and return 1 (for checks inside exported scenario functions)
fail() {
	echo "FAIL: $*" >&2
	return 1
}

# expect GOT WANT WHAT
expect() {
	[ "$1" = "$2" ] || fail "$3: got \`$1\`, want \`$2\`"
}

# trapped PID SIGNUM: wait until process PID has a handler for signal SIGNUM. A container's
# first process is pid 1 of its namespace, and the kernel drops a signal sent to such a
# process from outside unless it has a handler: a kill sent before the shell has run its
# `trap` is lost, and a test then waits forever for the exit it asked for.
trapped() {
	local pid=$1 sig=$2 mask i
	for i in $(seq 600); do # safety net only
		mask=$(awk '$1 == "SigCgt:" {print $2}' "/proc/$pid/status" 2>/dev/null)
		[ -z "$mask" ] || [ $(((0x$mask >> (sig - 1)) & 1)) -eq 0 ] || return 0
		sleep 0.1
	done
	fail "pid $pid never caught signal $sig"
}

export -f podman_raw pm fail expect trapped
