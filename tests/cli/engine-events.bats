#!/usr/bin/env bats
# berth events (issue 17): the engine's own event log, ROOT/events.log, as Docker's events:
# a container's life in order with its attributes, images, volumes, networks; --since,
# --until, --filter, --format; following new events (inotify) until --until or a signal;
# concurrent writers; the log kept bounded; bad input. (Containers run with --network none:
# nothing here needs a network.)
load helpers
load engine-helpers
bats_require_minimum_version 1.5.0

# Docker's line: time (RFC 3339, nanoseconds, UTC), type, action, actor, (attributes)
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z'

# the test's containers, then its networks
teardown() {
	local n
	engine_rm_all
	for n in $(b network ls -q 2>/dev/null); do
		[ "$n" = berth ] || b network rm -f "$n" >/dev/null 2>&1 || true
	done
}

# ev [OPTIONS]: the past events (up to now) of the test's store
ev() {
	b events --since 946684800 --until "$(date +%s.%N)" "$@"
}

# wait_grep FILE PATTERN: poll (bounded) until FILE has a line matching PATTERN.
wait_grep() {
	local i
	for i in $(seq 300); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

@test "events: a container's life in order, with its name, image, labels and exit code" {
	b run --network none --name c1 -l team=blue busybox sh -c 'exit 3' || true
	id=$(b inspect c1 | jq -r 'if type == "array" then .[0].id else .id end')
	b rename c1 c2
	b rm c2
	run ev --format json
	[ "$status" -eq 0 ]
	echo "$output"
	run jq -r 'select(.Actor.ID == "'"$id"'") | .Action' <<<"$output"
	[ "$(echo $output)" = "create start die rename destroy" ]
	# every event of the container: its type, name, image and label; die's exit code
	run ev --format json
	jqe -s 'map(select(.Action == "create"))[0] | .Type == "container" and .Actor.Attributes.name == "c1" and .Actor.Attributes.image == "busybox:latest" and .Actor.Attributes.team == "blue" and .scope == "local"' <<<"$output"
	jqe -s 'map(select(.Action == "die"))[0].Actor.Attributes.exitCode == "3"' <<<"$output"
	jqe -s 'map(select(.Action == "rename"))[0].Actor.Attributes | .name == "c2" and .oldName == "c1"' <<<"$output"
	jqe -s 'map(select(.Action == "destroy"))[0].Actor.Attributes.name == "c2"' <<<"$output"
	# time in seconds and in nanoseconds, the same instant; Docker's deprecated fields
	jqe -s 'map(select(.Action == "start"))[0] | (.timeNano / 1000000000 | floor) == .time and .status == "start" and .id == .Actor.ID and .from == "busybox:latest"' <<<"$output"
	# the default line, as Docker prints it: attributes sorted by key
	run ev
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^${TS}\ container\ create\ ${id}\ \(image=busybox:latest,\ name=c1,\ team=blue\)$ ]]
	[[ "${lines[2]}" =~ ^${TS}\ container\ die\ ${id}\ \(exitCode=3,\ image=busybox:latest,\ name=c1,\ team=blue\)$ ]]
}

@test "events: stop, kill, pause, unpause, restart, exec, update, attach of a detached container" {
	b run --network none -d --name s busybox sh -c 'trap "exit 0" TERM; trap "" USR1; while :; do sleep 0.1; done' >/dev/null
	b exec s true
	b update --restart no s >/dev/null
	b pause s
	b unpause s
	b kill -s USR1 s
	b restart -t 5 s >/dev/null
	b stop -t 5 s >/dev/null
	run ev -f container=s --format '{{.Action}}'
	[ "$status" -eq 0 ]
	echo "$output"
	want='create start exec_create: true exec_start: true exec_die update pause unpause kill kill die stop start restart kill die stop'
	[ "$(echo $output)" = "$want" ]
	run ev -f event=kill --format '{{.Actor.Attributes.signal}}'
	[ "$(echo $output)" = "10 15 15" ]
	run ev -f event=exec_die --format '{{.Actor.Attributes.exitCode}} {{len .Actor.Attributes.execID}}'
	[ "$output" = "0 64" ]
	# berth attach
	b run --network none -d -i --name at busybox sh -c 'read l; echo got:$l' >/dev/null
	run b attach at <<<hello
	[ "$output" = got:hello ]
	run ev -f container=at --format '{{.Action}}'
	[ "$(echo $output)" = "create start attach die" ]
}

@test "events: images, volumes and networks" {
	b tag busybox evt:1
	b rmi evt:1
	b save -o "$BATS_TEST_TMPDIR/bb.tar" busybox
	b load -i "$BATS_TEST_TMPDIR/bb.tar" >/dev/null
	mkdir "$BATS_TEST_TMPDIR/rootfs"
	echo x >"$BATS_TEST_TMPDIR/rootfs/x"
	tar -C "$BATS_TEST_TMPDIR/rootfs" -cf "$BATS_TEST_TMPDIR/rootfs.tar" x
	b image import "$BATS_TEST_TMPDIR/rootfs.tar" evt:imp >/dev/null
	b volume create v1 >/dev/null
	b volume rm v1 >/dev/null
	b network create n1 >/dev/null
	b run --name nc --network n1 busybox true
	b rm nc
	b network rm n1 >/dev/null
	run ev -f type=image --format '{{.Action}} {{.Actor.Attributes.name}}'
	[ "$status" -eq 0 ]
	echo "$output"
	[ "${lines[0]}" = "tag evt:1" ]
	[ "${lines[1]}" = "untag evt:1" ]
	[ "${lines[2]}" = "save busybox" ]
	[ "${lines[3]}" = "load busybox:latest" ]
	[ "${lines[4]}" = "import evt:imp" ]
	run ev -f type=image -f event=tag --format '{{.Actor.ID}}'
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	run ev -f type=volume --format '{{.Action}} {{.Actor.ID}} {{.Actor.Attributes.driver}}'
	[ "$output" = "$(printf 'create v1 local\ndestroy v1 local')" ]
	run ev -f type=network --format '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}}'
	[ "$output" = "$(printf 'create n1 bridge\nconnect n1 bridge\ndisconnect n1 bridge\ndestroy n1 bridge')" ]
	run ev -f network=n1 --format '{{.Action}}'
	[ "$(echo $output)" = "create connect disconnect destroy" ]
	# connect and disconnect name the container; the network is the actor
	cid=$(ev -f container=nc -f event=create --format '{{.Actor.ID}}')
	nid=$(ev -f network=n1 -f event=create --format '{{.Actor.ID}}')
	run ev -f event=connect --format '{{.Actor.ID}} {{.Actor.Attributes.container}}'
	[ "$output" = "$nid $cid" ]
	run ev -f event=disconnect --format '{{.Actor.ID}} {{.Actor.Attributes.container}}'
	[ "$output" = "$nid $cid" ]
	run ev -f volume=v1 -f event=destroy --format '{{.Action}}'
	[ "$output" = destroy ]
}

@test "events: network connect and disconnect of a running container" {
	b network create ne1 >/dev/null
	b network create ne2 >/dev/null
	b run -d --name nr --network ne1 busybox sleep 1000 >/dev/null
	b network connect ne2 nr
	b network disconnect ne2 nr
	b rm -f nr >/dev/null
	b network rm ne1 >/dev/null
	b network rm ne2 >/dev/null
	run ev -f type=network --format '{{.Action}} {{.Actor.Attributes.name}}'
	[ "$status" -eq 0 ]
	echo "$output"
	want='create ne1 create ne2 connect ne1 connect ne2 disconnect ne2 disconnect ne1 destroy ne1 destroy ne2'
	[ "$(echo $output)" = "$want" ]
	cid=$(ev -f container=nr -f event=create --format '{{.Actor.ID}}')
	run ev -f event=disconnect --format '{{.Actor.Attributes.container}}'
	[ "$(echo $output)" = "$cid $cid" ]
}

@test "events --since and --until: RFC 3339, Unix seconds, durations; a past --until exits" {
	b volume create early >/dev/null
	sleep 1.1
	mid=$(date +%s.%N)
	sleep 0.1
	b volume create late >/dev/null
	run b events --since "$mid" --until "$(date +%s.%N)" --format '{{.Actor.ID}}'
	[ "$status" -eq 0 ]
	[ "$output" = late ]
	run b events --since 946684800 --until "$mid" --format '{{.Actor.ID}}'
	[ "$output" = early ]
	# RFC 3339 (UTC) as the default line prints it
	t=$(ev -f volume=late | cut -d' ' -f1)
	run b events --since "$t" --until "$t" --format '{{.Actor.ID}}'
	[ "$output" = late ]
	# a duration before now: both within the last hour, none in the future
	run b events --since 1h --until 0s --format '{{.Actor.ID}}'
	[ "$(echo $output)" = "early late" ]
	# --until alone: the past up to it
	run b events --until 0s --format '{{.Actor.ID}}'
	[ "$(echo $output)" = "early late" ]
	run b events --since 946684800 --until 946684801
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "events --filter: type, event, container, image, label; values of a key OR, keys AND" {
	b run --network none --name f1 -l app=web busybox true
	b run --network none --name f2 -l app=db busybox true
	b volume create fv >/dev/null
	run ev -f container=f1 --format '{{.Actor.Attributes.name}}'
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "f1 f1 f1" ]
	run ev -f container=f1 -f container=f2 -f event=create --format '{{.Actor.Attributes.name}}'
	[ "$(echo $output)" = "f1 f2" ]
	run ev -f label=app=db --format '{{.Actor.Attributes.name}} {{.Action}}'
	[ "$(echo $output)" = "f2 create f2 start f2 die" ]
	run ev -f label=app -f event=die --format '{{.Actor.Attributes.name}}'
	[ "$(echo $output)" = "f1 f2" ]
	run ev -f image=busybox -f event=start --format '{{.Actor.Attributes.name}}'
	[ "$(echo $output)" = "f1 f2" ]
	run ev -f type=volume --format '{{.Actor.ID}}'
	[ "$output" = fv ]
	# a container's id prefix
	id=$(ev -f container=f2 --format '{{.Actor.ID}}' | head -1)
	run ev -f "container=${id:0:12}" -f event=die --format '{{.Actor.Attributes.name}}'
	[ "$output" = f2 ]
	run ev -f action=create -f type=container --format '{{.Actor.Attributes.name}}'
	[ "$(echo $output)" = "f1 f2" ]
}

@test "events follows new events until interrupted (SIGINT, SIGTERM: exit 0)" {
	t0=$(date +%s.%N)
	"$BERTH" --root "$ROOT" events --since "$t0" >"$BATS_TEST_TMPDIR/ev.out" 2>&1 &
	epid=$!
	b run --network none --name fo busybox true
	wait_grep "$BATS_TEST_TMPDIR/ev.out" ' container die '
	b volume create fov >/dev/null
	wait_grep "$BATS_TEST_TMPDIR/ev.out" ' volume create fov '
	kill -INT "$epid"
	st=0
	wait_pid "$epid" || st=$?
	[ "$st" -eq 0 ]
	grep -Eq "^${TS} container create [0-9a-f]{64} \(image=busybox:latest, name=fo\)$" "$BATS_TEST_TMPDIR/ev.out"
	# without --since: only what comes after it started; SIGTERM ends it too
	"$BERTH" --root "$ROOT" events --format '{{.Actor.ID}}' >"$BATS_TEST_TMPDIR/ev2.out" 2>&1 &
	epid=$!
	for i in $(seq 300); do
		b volume create "w$i" >/dev/null
		grep -q "^w" "$BATS_TEST_TMPDIR/ev2.out" && break
		sleep 0.1
	done
	kill -TERM "$epid"
	st=0
	wait_pid "$epid" || st=$?
	[ "$st" -eq 0 ]
	run ! grep -q fov "$BATS_TEST_TMPDIR/ev2.out"
	grep -q '^w[0-9]*$' "$BATS_TEST_TMPDIR/ev2.out"
}

@test "events follows until --until passes, then exits 0" {
	until=$(($(date +%s) + 3))
	"$BERTH" --root "$ROOT" events --since 946684800 --until "$until" --format '{{.Actor.ID}}' >"$BATS_TEST_TMPDIR/ev.out" 2>&1 &
	epid=$!
	b volume create u1 >/dev/null
	st=0
	wait_pid "$epid" || st=$?
	[ "$st" -eq 0 ]
	[ "$(date +%s)" -ge "$until" ]
	grep -qx u1 "$BATS_TEST_TMPDIR/ev.out"
}

@test "events: concurrent writers never interleave lines; the log is kept bounded" {
	for w in 1 2 3 4; do
		(for i in $(seq 15); do b volume create "p$w-$i" >/dev/null; b volume rm "p$w-$i" >/dev/null; done) &
	done
	wait
	# every line a whole document, each event there once
	run jq -c . "$ROOT/events.log"
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$ROOT/events.log")" -eq 120 ]
	run ev -f event=create -f type=volume --format '{{.Actor.ID}}'
	[ "$(sort -u <<<"$output" | wc -l)" -eq 60 ]
	# bounded: past BERTH_EVENTS_MAX bytes the older half goes; the newest stay
	export BERTH_EVENTS_MAX=4096
	for i in $(seq 40); do b volume create "q$i" >/dev/null; done
	size=$(stat -c %s "$ROOT/events.log")
	echo "size=$size"
	[ "$size" -le 4096 ]
	run jq -c . "$ROOT/events.log"
	[ "$status" -eq 0 ]
	run ev --format '{{.Actor.ID}}'
	[ "${lines[-1]}" = q40 ]
	run ! grep -q '"p1-1"' "$ROOT/events.log"
}

@test "events: the log trimmed while followed: nothing printed twice, new ones still come" {
	export BERTH_EVENTS_MAX=4096
	t0=$(date +%s.%N)
	"$BERTH" --root "$ROOT" events --since "$t0" --format '{{.Actor.ID}}' >"$BATS_TEST_TMPDIR/ev.out" 2>&1 &
	epid=$!
	for i in $(seq 40); do b volume create "t$i" >/dev/null; done
	wait_grep "$BATS_TEST_TMPDIR/ev.out" '^t40$'
	kill -TERM "$epid"
	st=0
	wait_pid "$epid" || st=$?
	[ "$st" -eq 0 ]
	[ "$(sort "$BATS_TEST_TMPDIR/ev.out" | uniq -d | wc -l)" -eq 0 ]
	grep -qx t1 "$BATS_TEST_TMPDIR/ev.out"
}

@test "events --format json and TEMPLATE" {
	b volume create fj >/dev/null
	run ev --format json
	[ "$status" -eq 0 ]
	jqe -c 'select(.Type == "volume" and .Action == "create" and .Actor.ID == "fj")' <<<"$output"
	run ev --format '{{.Type}}/{{.Action}}/{{.Actor.ID}}'
	[ "$output" = volume/create/fj ]
	run ev --format '{{json .Actor}}'
	[ "$output" = '{"ID":"fj","Attributes":{"driver":"local"}}' ]
	# an attribute an event lacks leaves that event out
	b run --network none --name fx busybox true
	run ev --format '{{.Actor.Attributes.exitCode}}'
	[ "$output" = 0 ]
}

@test "events: bad input is one line, exit 125" {
	bad 125 'bad --since `yesterday`' events --since yesterday
	bad 125 'bad --until `x`' events --until x
	bad 125 'bad --filter `foo=bar`: unknown key `foo`' events -f foo=bar
	bad 125 'bad --filter `type`: expected KEY=VALUE' events --filter type
	bad 125 'bad --filter `type=box`' events -f type=box
	bad 125 'bad --format `{{.Type`' events --format '{{.Type'
	bad 125 'unexpected argument `now`' events now
	bad 125 'unknown option `--bogus`' events --bogus
	bad 125 'needs a value' events --since
	run b events --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: berth events"* ]]
}
