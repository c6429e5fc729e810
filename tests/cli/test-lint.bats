#!/usr/bin/env bats
# scripts/lint-tests.sh, the test lint (.ci/run runs it over tests/): it reports the lines
# that cannot fail under bats' set -e, and pkill/killall; it passes what is legitimate.
load helpers

setup() {
	LINT=$BERTH_TOP/scripts/lint-tests.sh
	D=$BATS_TEST_TMPDIR/t
	mkdir -p "$D"
}

@test "test lint: each line that cannot fail is reported, with its line number" {
	# (bats itself would take an `@test` line in a here-document for a test: AT_TEST)
	sed 's/^AT_TEST/@test/' >"$D/bad.bats" <<'S'
AT_TEST "bad" {
	run true
	[ "$status" -eq 0 ] && [ "$output" = hi ]
	[[ -n "$x" ]] && echo y
	out=$(true) && [ -n "$out" ]
	! grep -q x /dev/null
		! true
	for i in 1 2; do [ -e /x ] && [ -e /y ]; done
	[ -e /x ] && [ -e /y ] || true
	inner() {
		[ -e /x ] && [ -e /y ]
	}
	[ -d /a ] &&
		[ -d /b ]
}
helper() {
	[ -e /x ] && [ -e /y ]
	echo done
}
S
	run "$LINT" "$D/bad.bats"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(grep -c 'bad.bats:' <<<"$output")" -eq 10 ]
	[ "$(grep -o 'bad.bats:[0-9]*' <<<"$output" | cut -d: -f2 | tr '\n' ' ')" = "3 4 5 6 7 8 9 11 13 17 " ]
	grep -q 'bad.bats:6: `! cmd` cannot fail' <<<"$output"
	grep -q 'bad.bats:3: a check on the left of `&&` is ignored' <<<"$output"
}

@test "test lint: legitimate uses pass" {
	sed 's/^AT_TEST/@test/' >"$D/good.bats" <<'S'
# helpers used as conditions: a one-line function, the last line of a function
both() { [ -e "$1" ] && [ -e "$2" ]; }
pred() {
	local a=$1
	[ -e "$a" ] && [ -e /y ]
}
! true

AT_TEST "good" {
	[ -x /bin/sh ] || skip "no sh"
	[ -d /a ] && [ -d /b ] || skip "no dirs"
	[ "$a" = 1 ] && [ "$b" = 2 ] || false
	[ $((e & 1)) -eq 0 ] && [ "$c" = 3 ] || fail "eff $e"
	run ! grep -q x /dev/null
	! grep -q x /dev/null || false
	if [ -e /x ] && [ -e /y ]; then echo; fi
	while [ -e /x ] && [ -e /y ]; do break; done
	for i in $(seq 9); do [ -e /x ] && break; sleep 0; done
	for i in 1 2; do out=$(true) && break; done
	aa=false; [ -e /x ] && aa=true
	[ -e /x ] && return 0
	sh -c '[ -e /x ] && echo ok; ! true'
	sh -c '[ -e /x ] && echo ok
	! true'
	echo "[ a ] && b" "$(echo "] && [")"
	# [ a ] && [ b ], ! x
	cat <<EOF
[ a ] && [ b ]
! x
EOF
	cat <<-'EOF'
	[ a ] && [ b ]
	EOF
	[ "${#lines[@]}" -eq 1 ]
	kill "$pid"
}
S
	run "$LINT" "$D/good.bats"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"no findings"* ]]
}

@test "test lint: ending processes by name, anywhere under tests/ but not in comments" {
	k=p''kill
	a=kill''all
	printf '%s\n' "stop() {" "	$k -f 'sleep 1' || true" "}" >"$D/helpers.bash"
	printf '%s\n' "AT_TEST x {" "	$a sleep" "}" | sed 's/^AT_TEST/@test/' >"$D/a.bats"
	printf '%s\n' "# never $k -f or $a: end by pid" "kill \"\$pid\"  # not $k" >"$D/ok.sh"
	run "$LINT" "$D"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(grep -c 'never pkill/killall' <<<"$output")" -eq 2 ]
	grep -q 'a.bats:2:' <<<"$output"
	grep -q 'helpers.bash:2:' <<<"$output"
	run "$LINT" "$D/ok.sh"
	[ "$status" -eq 0 ]
}

@test "test lint: jq with -e is reported in bats and bash files (jq 1.6 passes it on empty input)" {
	j='jq -''e'
	printf '%s\n' "AT_TEST x {" "	rt state c | $j '.status == \"running\"'" \
		"	$j '.a' <<<\"\$output\"" "	jq -r '.e' <<<\"\$output\"" \
		"	rt state c | jqe '.a'" "	# $j in a comment" "}" |
		sed 's/^AT_TEST/@test/' >"$D/j.bats"
	x='--exit''-status'
	printf '%s\n' "f() {" "	jq $x . \"\$1\"" "}" >"$D/j.bash"
	printf '%s\n' "$j . file" >"$D/j.sh"
	run "$LINT" "$D"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(grep -c 'use jqe' <<<"$output")" -eq 3 ]
	grep -q 'j.bats:2:' <<<"$output"
	grep -q 'j.bats:3:' <<<"$output"
	grep -q 'j.bash:2:' <<<"$output"
	# jqe fails on no input, where jq -e passed
	run bash -c ". '$BERTH_TOP/tests/cli/helpers.bash'; true | jqe '.a'"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no JSON input"* ]]
	run bash -c ". '$BERTH_TOP/tests/cli/helpers.bash'; echo '{\"a\": 1}' | jqe '.a == 1'"
	[ "$status" -eq 0 ]
}

@test "test lint: a missing path is an error" {
	run "$LINT" "$D/nope"
	[ "$status" -eq 2 ]
	[[ "$output" == *"nope: no such file"* ]]
}
