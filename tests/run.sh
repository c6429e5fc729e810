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
	# the tests meson knows (with their arguments), then any other unit test executable
	declare -A seen
	while IFS= read -r line; do
		eval "set -- $line"
		seen[$1]=1
		run_unit "${1##*/}" "$@"
	done < <(meson introspect "$build" --tests | jq -r '.[] | .cmd | @sh')
	for t in $(find "$build/tests/unit" -maxdepth 2 -type f -name 'test_*' -perm -u+x 2>/dev/null | sort); do
		[ -n "${seen[$t]:-}" ] || run_unit "${t##*/}" "$t"
	done
	set -- "$top"/tests/cli/*.bats
fi
for b in "$@"; do
	[ -e "$b" ] || continue
	echo "# cli: ${b#"$top"/}"
	bats --tap "$b" >"$out" 2>&1
	count <"$out"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
