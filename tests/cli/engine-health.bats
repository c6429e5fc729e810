#!/usr/bin/env bats
# Health checks (issue 17): run/create --health-cmd, --health-interval, --health-timeout,
# --health-retries, --health-start-period, --no-healthcheck, the image's HEALTHCHECK,
# `berth healthcheck run`, ps's STATUS and inspect's State.Health / Config.Healthcheck, and
# the health checker process the monitor forks (gone when the container stops or goes). The
# containers have no network (--network none): the checks need none.
load helpers
load engine-helpers
bats_require_minimum_version 1.5.0

# The container's id.
cid() {
	b inspect -f '{{.id}}' "$1"
}

# wait_health NAME JQ: poll (bounded) until NAME's inspect document satisfies JQ.
wait_health() {
	local i
	for i in $(seq 300); do
		b inspect "$1" 2>/dev/null | jqe "$2" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	b inspect "$1" | jq '.State'
	return 1
}

# NAME's row of `ps`.
ps_row() {
	b ps | grep " $1\$"
}

# The pid of NAME's health checker, as the monitor recorded it (health.json).
checker_pid() {
	jq -r '.checker_pid' "$ROOT/containers/$(cid "$1")/health.json"
}

# Whether PID is a live health checker (the process's name is the checker's).
checker_alive() {
	[ "$(cat "/proc/$1/comm" 2>/dev/null)" = berth-health ]
}

# wait_checker_gone PID: poll (bounded) until PID is no checker any more.
wait_checker_gone() {
	local i
	for i in $(seq 100); do
		checker_alive "$1" || return 0
		sleep 0.1
	done
	return 1
}

# image_with_healthcheck SRC NAME JSON: SRC's image with config.Healthcheck = JSON, as NAME.
image_with_healthcheck() {
	image_with_config "$1" "$2" Healthcheck "$3" json
}

@test "health: starting, then healthy after a pass; ps and inspect show it" {
	b run -d --network none --name h1 --health-cmd 'echo ok' --health-interval 1s busybox sleep 3600
	run -0 b inspect h1
	jqe '.Config.Healthcheck.Test == ["CMD-SHELL", "echo ok"]' <<<"$output"
	jqe '.Config.Healthcheck.Interval == 1000000000' <<<"$output"
	wait_health h1 '.State.Health.Status == "healthy"'
	run -0 b inspect h1
	jqe '.State.Health.FailingStreak == 0' <<<"$output"
	jqe '.State.Health.Log[-1].ExitCode == 0' <<<"$output"
	jqe '.State.Health.Log[-1].Output == "ok\n"' <<<"$output"
	jqe '.State.Health.Log[-1].Start | test("^20[0-9-]+T[0-9:.]+Z$")' <<<"$output"
	jqe '.State.Health.Log[-1].End | test("^20[0-9-]+T[0-9:.]+Z$")' <<<"$output"
	run -0 ps_row h1
	[[ "$output" == *"(healthy)"* ]]
	run -0 b inspect -f '{{.State.Health.Status}}' h1
	[ "$output" = healthy ]
	# the first check comes after an interval: until then it is starting
	b run -d --network none --name h2 --health-cmd true --health-interval 1h busybox sleep 3600
	run -0 ps_row h2
	[[ "$output" == *"(health: starting)"* ]]
	run -0 b inspect h2
	jqe '.State.Health.Status == "starting"' <<<"$output"
	# no health check: no State.Health, nothing after Up
	b run -d --network none --name h3 busybox sleep 3600
	run -0 b inspect h3
	jqe '.State == null and .Config.Healthcheck == null' <<<"$output"
	run -0 ps_row h3
	[[ "$output" == *"Up "* ]]
	[[ "$output" != *"health"* ]]
}

@test "health: unhealthy after --health-retries failures in a row, by the checker" {
	b run -d --network none --name u1 --health-cmd 'echo bad; exit 3' --health-interval 1s --health-retries 2 busybox sleep 3600
	wait_health u1 '.State.Health.Status == "unhealthy"'
	run -0 b inspect u1
	jqe '.State.Health.FailingStreak >= 2' <<<"$output"
	jqe '.State.Health.Log[-1].ExitCode == 3' <<<"$output"
	jqe '.State.Health.Log[-1].Output == "bad\n"' <<<"$output"
	run -0 ps_row u1
	[[ "$output" == *"(unhealthy)"* ]]
}

@test "health: no checks while the container is paused" {
	b run -d --network none --name p1 --health-cmd true --health-interval 1s busybox sleep 3600
	wait_health p1 '.State.Health.Log | length >= 1'
	b pause p1
	local n1 n2
	n1=$(b inspect p1 | jq '.State.Health.Log | length')
	# three intervals paused: no check made (nor recorded as a failure)
	sleep 3
	n2=$(b inspect p1 | jq '.State.Health.Log | length')
	[ "$n1" = "$n2" ]
	run -0 ps_row p1
	[[ "$output" == *"(Paused)"* ]]
	bad 125 'is not running (paused)' healthcheck run p1
	b unpause p1
	wait_health p1 ".State.Health.Log | length > $n2"
	run -0 b inspect p1
	jqe '.State.Health.Status == "healthy"' <<<"$output"
}

@test "healthcheck run: the transitions one check at a time, and its exit codes" {
	b run -d --network none --name t1 --health-cmd 'test -e /tmp/ok' --health-interval 1h --health-retries 2 busybox sleep 3600
	# a failure: still starting (1 of 2), exit 1, nothing printed
	run -1 b healthcheck run t1
	[ -z "$output" ]
	run -0 b inspect t1
	jqe '.State.Health.Status == "starting" and .State.Health.FailingStreak == 1' <<<"$output"
	jqe '.State.Health.Log[-1].ExitCode == 1' <<<"$output"
	# the second in a row: unhealthy
	run -1 b healthcheck run t1
	run -0 b inspect t1
	jqe '.State.Health.Status == "unhealthy" and .State.Health.FailingStreak == 2' <<<"$output"
	# one pass: healthy, the streak over
	b exec t1 touch /tmp/ok
	run -0 b healthcheck run t1
	[ -z "$output" ]
	run -0 b inspect t1
	jqe '.State.Health.Status == "healthy" and .State.Health.FailingStreak == 0' <<<"$output"
	# the container's management form too
	run -0 b container ls
	[[ "$(grep ' t1$' <<<"$output")" == *"(healthy)"* ]]
	# no health check, not running, no such container, no name: 125 and one line
	b run -d --network none --name t2 busybox sleep 3600
	bad 125 'has no health check' healthcheck run t2
	b create --network none --name t3 --health-cmd true busybox sleep 1
	bad 125 'is not running' healthcheck run t3
	bad 125 'nosuch' healthcheck run nosuch
	bad 125 'expected one NAME' healthcheck run
	bad 125 'expected `run CONTAINER`' healthcheck bogus t1
	run -0 b healthcheck --help
	[[ "$output" == *"usage: berth healthcheck run CONTAINER"* ]]
}

@test "health: the log keeps the last 5 results, each output cut at 4 KiB" {
	b run -d --network none --name l1 --health-cmd 'head -c 5000 /dev/zero | tr "\0" x' --health-interval 1h busybox sleep 3600
	for i in 1 2 3 4 5 6 7; do
		run -0 b healthcheck run l1
	done
	run -0 b inspect l1
	jqe '.State.Health.Log | length == 5' <<<"$output"
	jqe '.State.Health.Log[-1].Output | length == 4096' <<<"$output"
	jqe '.State.Health.Log[-1].Output | test("^x+$")' <<<"$output"
}

@test "health: failures in --health-start-period do not count while it is starting" {
	b run -d --network none --name s1 --health-cmd 'test -e /tmp/ok' --health-start-period 1h --health-interval 1s --health-retries 1 busybox sleep 3600
	wait_health s1 '.State.Health.Log | length >= 2'
	run -0 b inspect s1
	jqe '.State.Health.Status == "starting" and .State.Health.FailingStreak == 0' <<<"$output"
	jqe '.Config.Healthcheck.StartPeriod == 3600000000000 and .Config.Healthcheck.Retries == 1' <<<"$output"
	# a pass ends the start: the next failure counts (and 1 is enough)
	b exec s1 touch /tmp/ok
	wait_health s1 '.State.Health.Status == "healthy"'
	b exec s1 rm /tmp/ok
	wait_health s1 '.State.Health.Status == "unhealthy" and .State.Health.FailingStreak >= 1'
	# without a start period the first failure counts
	b run -d --network none --name s2 --health-cmd false --health-interval 1h --health-retries 1 busybox sleep 3600
	run -1 b healthcheck run s2
	run -0 b inspect s2
	jqe '.State.Health.Status == "unhealthy"' <<<"$output"
}

@test "health: a check past --health-timeout is killed with its children, and fails" {
	# each check records its shell's pid, then hangs in a child (sleep 100)
	b run -d --network none --name k1 --health-cmd 'echo $$ >> /tmp/pids; sleep 100; true' --health-timeout 1s --health-interval 1s --health-retries 2 busybox sleep 3600
	wait_health k1 '.State.Health.Status == "unhealthy"'
	run -0 b inspect k1
	jqe '.State.Health.Log[0].ExitCode == -1' <<<"$output"
	jqe '.State.Health.Log[0].Output == "Health check exceeded timeout (1s)"' <<<"$output"
	# the shells of the timed-out checks are gone (the last may still run), and at most the
	# running check's sleep is left
	run -0 b exec k1 cat /tmp/pids
	local n=${#lines[@]} i
	[ "$n" -ge 2 ]
	for ((i = 0; i < n - 1; i++)); do
		run ! b exec k1 test -e "/proc/${lines[$i]}/cmdline"
	done
	run -0 b top k1
	[ "$(grep -c 'sleep 100$' <<<"$output")" -le 1 ]
	# one check by hand, with no checker in between (1h): nothing of it is left
	b run -d --network none --name k2 --health-cmd 'sleep 100; true' --health-timeout 1s --health-interval 1h busybox sleep 3600
	run -1 b healthcheck run k2
	run -0 b top k2
	[[ "$output" == *"sleep 3600"* ]]
	[[ "$output" != *"sleep 100"* ]]
	run -0 b inspect k2
	jqe '.State.Health.Log[-1].ExitCode == -1' <<<"$output"
}

@test "health: the image's HEALTHCHECK is used; flags override it; --no-healthcheck" {
	image_with_healthcheck busybox hcimg '{"Test": ["CMD-SHELL", "echo from-image"], "Interval": 1000000000, "Retries": 4}'
	b run -d --network none --name i1 hcimg sleep 3600
	run -0 b inspect i1
	jqe '.Config.Healthcheck.Test == ["CMD-SHELL", "echo from-image"]' <<<"$output"
	wait_health i1 '.State.Health.Status == "healthy"'
	run -0 b inspect i1
	jqe '.State.Health.Log[-1].Output == "from-image\n"' <<<"$output"
	# a flag replaces its field; the image's others stay
	b run -d --network none --name i2 --health-cmd 'echo from-flag' --health-retries 2 hcimg sleep 3600
	run -0 b inspect i2
	jqe '.Config.Healthcheck.Test == ["CMD-SHELL", "echo from-flag"]' <<<"$output"
	jqe '.Config.Healthcheck.Interval == 1000000000 and .Config.Healthcheck.Retries == 2' <<<"$output"
	wait_health i2 '.State.Health.Log[-1].Output == "from-flag\n"'
	# --no-healthcheck: no check at all
	b run -d --network none --name i3 --no-healthcheck hcimg sleep 3600
	run -0 b inspect i3
	jqe '.Config.Healthcheck.Test == ["NONE"]' <<<"$output"
	jqe '.State == null' <<<"$output"
	[ ! -e "$ROOT/containers/$(cid i3)/health.json" ]
	run -0 ps_row i3
	[[ "$output" != *"health"* ]]
	bad 125 'has no health check' healthcheck run i3
	# the exec form, ["CMD", …]: no shell
	image_with_healthcheck busybox hcexec '{"Test": ["CMD", "echo", "exec $form"]}'
	b run -d --network none --name i4 hcexec sleep 3600
	run -0 b healthcheck run i4
	run -0 b inspect i4
	jqe '.State.Health.Log[-1].Output == "exec $form\n"' <<<"$output"
	# ["NONE"] in the image: none
	image_with_healthcheck busybox hcnone '{"Test": ["NONE"]}'
	b run -d --network none --name i5 hcnone sleep 3600
	bad 125 'has no health check' healthcheck run i5
}

@test "health: bad values: one line naming the flag, 125, nothing left" {
	bad 125 'bad --health-interval `soon`' run --health-cmd true --health-interval soon busybox true
	assert_nothing_left
	bad 125 'bad --health-interval `-1s`' run --health-cmd true --health-interval -1s busybox true
	bad 125 'bad --health-interval `500us`' create --health-cmd true --health-interval 500us busybox true
	bad 125 'bad --health-interval `10`' run --health-interval 10 busybox true
	bad 125 'bad --health-timeout `1x`' run --health-cmd true --health-timeout 1x busybox true
	bad 125 'bad --health-timeout ``' run --health-cmd true --health-timeout '' busybox true
	bad 125 'bad --health-start-period `1.5.s`' run --health-cmd true --health-start-period 1.5.s busybox true
	bad 125 'bad --health-retries `-1`' run --health-cmd true --health-retries -1 busybox true
	bad 125 'bad --health-retries `three`' create --health-cmd true --health-retries three busybox true
	bad 125 'bad --health-cmd ``' run --health-cmd '' busybox true
	bad 125 '--no-healthcheck conflicts with --health-cmd' run --health-cmd true --no-healthcheck busybox true
	bad 125 '--no-healthcheck conflicts with --health-interval' create --no-healthcheck --health-interval 1s busybox true
	bad 125 '--health-cmd' run --health-cmd
	assert_nothing_left
	# a bad HEALTHCHECK in the image: one line naming it; nothing left
	image_with_healthcheck busybox hcbad '{"Test": ["BOGUS", "x"]}'
	bad 125 'config.Healthcheck.Test' run -d hcbad sleep 1
	image_with_healthcheck busybox hcbad2 '{"Test": ["CMD-SHELL", "true"], "Interval": -5}'
	bad 125 'config.Healthcheck.Interval' create hcbad2 sleep 1
	assert_nothing_left
	# Go's durations that are good
	b create --network none --name d1 --health-cmd true --health-interval 1m30s --health-timeout 500ms --health-start-period 1.5h busybox true
	run -0 b inspect d1
	jqe '.Config.Healthcheck.Interval == 90000000000 and .Config.Healthcheck.Timeout == 500000000' <<<"$output"
	jqe '.Config.Healthcheck.StartPeriod == 5400000000000' <<<"$output"
}

@test "health: no checker is left after the container stops, is removed or restarts" {
	b run -d --network none --name c1 --health-cmd true --health-interval 1s busybox sleep 3600
	local p1 p2 i
	p1=$(checker_pid c1)
	[ "$p1" -gt 0 ]
	checker_alive "$p1" || false
	b stop -t 1 c1
	wait_checker_gone "$p1"
	# started again: a new checker, which goes with rm -f
	b start c1
	wait_health c1 '.state == "running"'
	p2=$(checker_pid c1)
	[ "$p2" -gt 0 ]
	[ "$p2" != "$p1" ]
	checker_alive "$p2" || false
	b rm -f c1
	wait_checker_gone "$p2"
	# a restart policy: a checker for each run, the one before gone while the monitor goes on
	b run -d --network none --name c2 --restart always --health-cmd true --health-interval 1s busybox sh -c 'sleep 1; exit 1'
	local seen=()
	for i in $(seq 300); do
		p1=$(checker_pid c2)
		if [ "$p1" -gt 0 ] && [[ " ${seen[*]} " != *" $p1 "* ]]; then
			seen+=("$p1")
			[ "${#seen[@]}" -lt 3 ] || break
		fi
		sleep 0.1
	done
	[ "${#seen[@]}" -eq 3 ]
	wait_checker_gone "${seen[0]}"
	wait_checker_gone "${seen[1]}"
	run -0 b inspect c2
	jqe '.state == "running" and .restart_count >= 2' <<<"$output"
	b rm -f c2
	wait_checker_gone "${seen[2]}"
	# attached (berth run without -d): the checker ends with it
	run -0 b run --network none --name c3 --health-cmd true --health-interval 1s busybox sleep 2
	p1=$(checker_pid c3)
	[ "$p1" -gt 0 ]
	wait_checker_gone "$p1"
}
