#!/bin/bash
# Run every test of berth against one build directory and print `N passed, N failed`.
#   tests/run.sh BUILD_DIR [bats files…]
# Unit tests (cmocka) report TAP; command-line tests (bats) report TAP; both are counted.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build}" && pwd)
shift || true
export BERTH_BUILD=$build BERTH_TOP=$top
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0 failed=0 skipped=0 out=$(mktemp)
trap 'rm -f "$out"' EXIT

count() { # TAP on stdin; echo it and add it up
	local line
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case $line in
		*"# SKIP"* | *"# skip"*) skipped=$((skipped + 1)) ;;
		"not ok"*) failed=$((failed + 1)) ;;
		"ok"*) passed=$((passed + 1)) ;;
		esac
	done
}

run_unit() { # name, then the command (run in the build directory)
	local name=$1 rc
	shift
	echo "# unit: $name"
	(cd "$build" && "$@") >"$out" 2>&1 </dev/null
	rc=$?
	count <"$out"
	if [ $rc -ne 0 ] && ! grep -v '# SKIP' "$out" | grep -q '^not ok'; then
		echo "not ok - $name exited with status $rc"
		failed=$((failed + 1))
	fi
}

if [ $# -eq 0 ]; then
	# the tests meson knows (by name, with their environment and arguments), then any other
	# unit test executable
	declare -A seen
	while IFS= read -r line; do
		eval "set -- $line"
		name=$1
		shift
		envs=()
		while [ "$1" != -- ]; do
			envs+=("$1")
			shift
		done
		shift
		seen[$1]=1
		run_unit "$name" env "${envs[@]}" "$@"
	done < <(meson introspect "$build" --tests |
		jq -r '.[] | [.name] + [(.env // {}) | to_entries[] | "\(.key)=\(.value)"] + ["--"] + .cmd | @sh')
	for t in $(find "$build/tests/unit" -maxdepth 2 -type f -name 'test_*' -perm -u+x 2>/dev/null | sort); do
		[ -n "${seen[$t]:-}" ] || run_unit "${t##*/}" "$t"
	done
	set -- "$top"/tests/cli/*.bats
fi
# A hang guard, not a time limit on any test: a bats file still running after
# BERTH_TEST_HANG seconds (default 900, far above the slowest file under ASan on a loaded
# machine: about 2 minutes) is reported, then stopped, and counts as one failure, so a run
# that hangs ends with a diagnosis instead of running out of time. The report is short, so
# that it survives a log cut to its failures: the processes of the file's session and every
# berth process (a monitor has a session of its own) with their kernel wait channels, the
# kernel and user stacks of the berth processes (gdb), and the file locks they hold.
hang=${BERTH_TEST_HANG:-900}
hang_report() { # session id of the bats file
	local pids pid
	pids=$(ps -e -o pid=,sid=,stat=,comm= |
		awk -v s="$1" '$3 !~ /^Z/ && ($2 == s || $4 ~ /^berth/) { print $1 }')
	echo "# processes (pid ppid sid stat wchan command):"
	for pid in $pids; do
		ps -o pid=,ppid=,sid=,stat=,wchan:22=,args= -p "$pid" | cut -c1-200
	done | sed 's/^/#   /'
	for pid in $pids; do
		case $(cat "/proc/$pid/comm" 2>/dev/null) in berth*) ;; *) continue ;; esac
		echo "# $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-150)"
		sed -n '1,6s/^/#   kernel: /p' "/proc/$pid/stack" 2>/dev/null
		if command -v gdb >/dev/null; then
			timeout 30 gdb -p "$pid" -batch -nx -ex 'thread apply all bt 10' 2>/dev/null |
				grep -E '^(Thread|#)' | sed -E 's/ \(.*\) at / at /; s/^/#   /' | cut -c1-160
		fi
		grep -E "^[0-9]+: [A-Z]+ +[A-Z]+ +[A-Z]+ +$pid " /proc/locks | sed 's/^/#   lock: /'
	done
}
guard() { # pid of the bats process group (and session), file
	local i
	for ((i = 0; i < hang; i++)); do
		sleep 1
		kill -0 "$1" 2>/dev/null || return 0
	done
	{
		echo "# HANG: $2 still running after ${hang}s"
		hang_report "$1"
	} >"$out.hang"
	# bats runs the teardowns on SIGINT; what is left after 60 s more is killed
	kill -INT -- "-$1" 2>/dev/null
	for ((i = 0; i < 60; i++)); do
		sleep 1
		kill -0 "$1" 2>/dev/null || return 0
	done
	kill -KILL -- "-$1" 2>/dev/null
}
for b in "$@"; do
	[ -e "$b" ] || continue
	echo "# cli: ${b#"$top"/}"
	start=$SECONDS
	rm -f "$out.hang"
	setsid env --default-signal=INT bats --tap "$b" >"$out" 2>&1 </dev/null &
	bpid=$!
	guard "$bpid" "${b#"$top"/}" </dev/null >/dev/null 2>&1 &
	gpid=$!
	wait "$bpid"
	kill "$gpid" 2>/dev/null
	wait "$gpid" 2>/dev/null
	count <"$out"
	if [ -e "$out.hang" ]; then
		echo "not ok - ${b#"$top"/} hung: stopped after ${hang}s"
		cat "$out.hang"
		failed=$((failed + 1))
	fi
	echo "# $((SECONDS - start)) s: ${b#"$top"/}"
done
rm -f "$out.hang"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
