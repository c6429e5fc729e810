# Sourced by the benchmarks that run crun (bench/*.sh): what they share.

# bench_crun_ns NAME "$@": the script again, as root, in a private mount namespace in which
# this host's v2 cgroup.controllers reads empty (crun 1.8 refuses the hybrid cgroup layout
# otherwise; bound for every runtime alike). Returns in that namespace.
bench_crun_ns() {
	local name=$1 ctl=/sys/fs/cgroup/unified/cgroup.controllers
	shift
	if [ "${BERTH_BENCH_INNER:-}" != 1 ]; then
		[ "$(id -u)" -eq 0 ] || { echo "$name: run as root" >&2; exit 1; }
		exec env BERTH_BENCH_INNER=1 unshare -m --propagation private "$0" "$@"
	fi
	if [ -e "$ctl" ]; then
		mount --bind /dev/null "$ctl"
	fi
}

# bench_need NAME COMMAND…: each COMMAND installed (its Debian package has its name), or one
# line and exit 1.
bench_need() {
	local name=$1 p
	shift
	for p in "$@"; do
		command -v "$p" >/dev/null || { echo "$name: $p not installed (apt-get install $p)" >&2; exit 1; }
	done
}
