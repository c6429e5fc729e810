#!/usr/bin/env bats
# berth's listing commands as Docker's (issue 17): ps's flags and filters, inspect of every
# kind of object, stats, options after operands, top.
load helpers
load engine-helpers
bats_require_minimum_version 1.5.0

# The containers run without a network (--network none) unless a test needs one: it makes its
# own (the default network's bridge is shared by every store on the host).
teardown() {
	engine_rm_all
	b network rm pnet >/dev/null 2>&1 || true
}

# names NAME…: ps's names (newest first) of `ps ARGS` are these, one a line
ps_names() {
	b ps --format '{{.Names}}' "$@"
}

# three containers: ex0 exited 0, ex3 exited 3 (label tier=db), run1 running (labels tier=web,
# x; on the network pnet), in that order of creation
three() {
	b network create pnet >/dev/null
	b run --network none --name ex0 busybox true
	run b run --network none --name ex3 -l tier=db busybox sh -c 'exit 3'
	[ "$status" -eq 3 ]
	b run --network pnet -d --name run1 -l tier=web -l x -v vol1:/data busybox sleep 1000 >/dev/null
}

@test "ps: -a, -q, -n, -l, --no-trunc, newest first; rm -f \$(ps -aq) removes them all" {
	local id
	three
	run -0 ps_names
	[ "$output" = run1 ]
	run -0 ps_names -a
	[ "$output" = "$(printf 'run1\nex3\nex0')" ]
	# -q: the short ids; with --no-trunc the whole ones
	id=$(b inspect -f '{{.id}}' run1)
	run -0 b ps -q
	[ "$output" = "${id:0:12}" ]
	run -0 b ps -q --no-trunc
	[ "$output" = "$id" ]
	run -0 b ps -aq
	[ "${#lines[@]}" -eq 3 ]
	# -n N and -l: the last made, whatever their state
	run -0 ps_names -n 2
	[ "$output" = "$(printf 'run1\nex3')" ]
	run -0 ps_names --last=1
	[ "$output" = run1 ]
	run -0 ps_names -l -a
	[ "$output" = run1 ]
	run -0 ps_names -n -1
	[ "$output" = run1 ]
	# --no-trunc: whole ids and commands in the table
	run -0 b ps --no-trunc
	[[ "${lines[1]}" == "$id "*"sleep 1000"* ]]
	run -0 b ps
	[[ "${lines[1]}" == "${id:0:12}  "* ]]
	# the scripting idiom
	# shellcheck disable=SC2046 # the ids' words
	b rm -f $(b ps -aq)
	run -0 b ps -aq
	[ -z "$output" ]
	[ -z "$(ls "$ROOT/containers")" ]
}

@test "ps -s: SIZE is the writable layer, with the image's layers as virtual" {
	b run --network none --name big busybox dd if=/dev/zero of=/f bs=1000 count=300
	b run --network none --name small busybox true
	run -0 b ps -a -s
	echo "$output"
	[[ "${lines[0]}" == *" NAME "*" SIZE" ]]
	[[ "${lines[1]}" =~ \ small\ +0B\ \(virtual\ [0-9.]+MB\)$ ]]
	[[ "${lines[2]}" =~ \ big\ +30[0-9]kB\ \(virtual\ [0-9.]+MB\)$ ]]
	run -0 b ps -a --format '{{.Names}} {{.Size}}'
	[[ "${lines[1]}" =~ ^big\ 30[0-9]kB\ \(virtual\ [0-9.]+MB\)$ ]]
	# without -s the table has no SIZE
	run -0 b ps -a
	[[ "${lines[0]}" != *SIZE* ]]
}

@test "ps --filter: each of Docker's keys; a key's values OR, keys AND" {
	local id
	three
	id=$(b inspect -f '{{.id}}' ex3)
	run -0 ps_names -a -f "id=${id:0:8}"
	[ "$output" = ex3 ]
	run -0 ps_names -a --filter name=ex
	[ "$output" = "$(printf 'ex3\nex0')" ]
	run -0 ps_names -a -f label=tier
	[ "$output" = "$(printf 'run1\nex3')" ]
	run -0 ps_names -a -f label=tier=db
	[ "$output" = ex3 ]
	# every label must match, as Docker's
	run -0 ps_names -a -f label=tier -f label=x
	[ "$output" = run1 ]
	# status looks at stopped containers without -a; values OR
	run -0 ps_names -f status=exited
	[ "$output" = "$(printf 'ex3\nex0')" ]
	run -0 ps_names -f status=running -f status=exited
	[ "$(wc -l <<<"$output")" -eq 3 ]
	run -0 ps_names -f status=paused
	[ -z "$output" ]
	b pause run1
	run -0 ps_names -f status=paused
	[ "$output" = run1 ]
	b unpause run1
	b create --network none --name cr busybox true >/dev/null
	run -0 ps_names -f status=created
	[ "$output" = cr ]
	run -0 ps_names -a -f exited=3
	[ "$output" = ex3 ]
	run -0 ps_names -a -f exited=3 -f exited=0
	[ "$output" = "$(printf 'ex3\nex0')" ]
	run -0 ps_names -a -f ancestor=busybox
	[ "$(wc -l <<<"$output")" -eq 4 ]
	run -0 ps_names -a -f ancestor="$(b images --format '{{.id}}' | head -1)"
	[ "$(wc -l <<<"$output")" -eq 4 ]
	run -0 ps_names -a -f ancestor=nosuchimage
	[ -z "$output" ]
	run -0 ps_names -a -f volume=vol1
	[ "$output" = run1 ]
	run -0 ps_names -a -f volume=/data
	[ "$output" = run1 ]
	run -0 ps_names -a -f network=pnet
	[ "$output" = run1 ]
	run -0 ps_names -a -f network=none
	[ "$output" = "$(printf 'cr\nex3\nex0')" ]
	run -0 ps_names -a -f network=nosuchnet
	[ -z "$output" ]
	run -0 ps_names -a -f before=run1
	[ "$output" = "$(printf 'ex3\nex0')" ]
	run -0 ps_names -a -f since=ex0
	[ "$output" = "$(printf 'cr\nrun1\nex3')" ]
	# different keys AND
	run -0 ps_names -a -f since=ex0 -f label=tier -f status=exited
	[ "$output" = ex3 ]
}

@test "ps: bad input is one line, exit 125, nothing on stdout" {
	b run --network none --name c1 busybox true
	bad 125 'bad --filter `bogus=1`: unknown key `bogus`' ps -f bogus=1
	bad 125 'bad --filter `name`: expected KEY=VALUE' ps --filter name
	bad 125 'bad --filter `status=sleeping`: expected status=created' ps -f status=sleeping
	bad 125 'bad --filter `exited=x`: expected exited=CODE' ps -a -f exited=x
	bad 125 'bad --filter `exited=256`' ps -a -f exited=256
	bad 125 '--filter `before=nosuch`' ps -a -f before=nosuch
	bad 125 '--filter `since=nosuch`' ps -a -f since=nosuch
	bad 125 'bad --filter `label=`: expected a value' ps -a -f label=
	bad 125 'bad --last `x`' ps -n x
	bad 125 'bad --last `-2`' ps -n -2
	bad 125 'option `-n` needs a value' ps -n
	bad 125 'unknown option `--bogus`' ps --bogus
	bad 125 'unexpected argument `c1`' ps c1
	bad 125 'unknown function `nope`' ps --format 'table {{nope}}'
	bad 125 'unknown function `nope`' ps -a --format '{{nope .ID}}'
}

@test "ps --format: Docker's field names" {
	local id
	three
	id=$(b inspect -f '{{.id}}' run1)
	run -0 b ps --format '{{.ID}} {{.Names}} {{.Image}} {{.State}} {{.Networks}} {{.Mounts}} {{.LocalVolumes}}'
	[ "$output" = "${id:0:12} run1 busybox:latest running pnet vol1 1" ]
	run -0 b ps --format '{{.Command}}|{{.Status}}|{{.RunningFor}}|{{.CreatedAt}}'
	[[ "$output" =~ ^\"sleep\ 1000\"\|Up\ .*\|.*\ ago\|20[0-9-]+\ [0-9:]+\ \+0000\ UTC$ ]]
	run -0 b ps -a -f name=ex3 --format '{{.Labels}} {{.Status}} {{.State}}'
	[[ "$output" =~ ^tier=db\ Exited\ \(3\)\ .*\ ago\ exited$ ]]
	run -0 b ps --no-trunc --format '{{.ID}}'
	[ "$output" = "$id" ]
	# a long command is cut to 20 characters, as Docker's
	b run --network none -d --name long busybox sleep 1000000000000000000 >/dev/null
	run -0 b ps -f name=long --format '{{.Command}}'
	[ "$output" = '"sleep 100000000000…' ]
	run -0 b ps -f name=long --no-trunc --format '{{.Command}}'
	[ "$output" = '"sleep 1000000000000000000"' ]
	# the record's keys still
	run -0 b ps --format '{{.name}}' -f name=run1
	[ "$output" = run1 ]
	# table TEMPLATE: aligned columns under Docker's names; table alone: the default table
	run -0 b ps -a --format 'table {{.ID}}\t{{.Names}}\t{{.State}}' -f name=run1 -f name=ex3
	echo "$output"
	[[ "${lines[0]}" =~ ^CONTAINER\ ID\ +NAMES\ +STATE$ ]]
	[[ "${lines[1]}" =~ ^[0-9a-f]{12}\ +run1\ +running$ ]]
	[[ "${lines[2]}" =~ ^[0-9a-f]{12}\ +ex3\ +exited$ ]]
	run -0 b ps --format table -f name=run1
	[[ "${lines[0]}" == "ID "*" NAME" ]]
	[[ "${lines[1]}" == *" run1" ]]
}

@test "inspect: containers, images, networks and volumes mixed; --type; -s; a missing name" {
	local img
	b run --network none -d --name c1 -v v1:/data busybox sleep 1000 >/dev/null
	img=$(b images --format '{{.id}}' | head -1)
	b network create pnet >/dev/null
	run -0 --separate-stderr b inspect -f '{{.name}}' c1 busybox pnet v1
	[ "$output" = "$(printf 'c1\nbusybox:latest\npnet\nv1')" ]
	# without a template: a document each
	run -0 --separate-stderr b inspect c1 busybox
	[ "$(jq -s length <<<"$output")" -eq 2 ]
	jq -s '.[0].name == "c1" and (.[1].id | startswith("'"$img"'"))' <<<"$output" | grep -qx true
	# a name that is none of them: said on stderr, the others shown, exit 1
	run --separate-stderr b inspect -f '{{.name}}' c1 nosuch v1
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf 'c1\nv1')" ]
	[ "$stderr" = "berth: inspect: no such object: nosuch" ]
	# --type: only that kind
	run --separate-stderr b inspect --type image -f '{{.name}}' c1 busybox
	[ "$status" -eq 1 ]
	[ "$output" = busybox:latest ]
	[ "$stderr" = "berth: inspect: no such image: c1" ]
	run -0 b inspect --type=container -f '{{.name}}' c1
	[ "$output" = c1 ]
	run -0 b inspect --type volume -f '{{.Name}}' v1
	[ "$output" = v1 ]
	run -0 b inspect --type network -f '{{.name}}' pnet
	[ "$output" = pnet ]
	run --separate-stderr b inspect --type network v1
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	# -s: the container's sizes
	b exec c1 dd if=/dev/zero of=/f bs=1000 count=100
	run -0 b inspect -s -f '{{.SizeRw}} {{.SizeRootFs}}' c1
	read -r rw rootfs <<<"$output"
	[ "$rw" -ge 100000 ]
	[ "$rootfs" -gt "$rw" ]
	run -0 b inspect c1
	[[ "$output" != *SizeRw* ]]
	bad 125 'bad --type `pod`: expected container, image, network or volume' inspect --type pod c1
	bad 125 'expected a NAME' inspect --type image
}

# stats_json NAME: one --no-stream sample of NAME as JSON
stats_json() {
	b stats --no-stream --format json "$1"
}

@test "stats --no-stream: CPU % of a busy container, memory, pids, NET I/O, Docker's columns" {
	local ip rx0 rx1 tx1
	b network create pnet >/dev/null
	b run --network pnet -d --name busy busybox sh -c 'while :; do :; done' >/dev/null
	b run --network pnet -d --name idle busybox sleep 1000 >/dev/null
	run -0 b stats --no-stream
	echo "$output"
	[[ "${lines[0]}" =~ ^CONTAINER\ ID\ +NAME\ +CPU\ %\ +MEM\ USAGE\ /\ LIMIT\ +MEM\ %\ +NET\ I/O\ +BLOCK\ I/O\ +PIDS$ ]]
	[ "${#lines[@]}" -eq 3 ]
	# newest first; Docker's units: MiB-style memory, kB-style I/O
	[[ "${lines[1]}" =~ ^[0-9a-f]{12}\ +idle\ +[0-9.]+%\ +[0-9.]+(B|KiB|MiB)\ /\ [0-9.]+(MiB|GiB)\ +[0-9.]+%\ +[0-9.]+k?B\ /\ [0-9.]+k?B\ +[0-9.]+[kMG]?B\ /\ [0-9.]+[kMG]?B\ +1$ ]]
	[[ "${lines[2]}" =~ ^[0-9a-f]{12}\ +busy\  ]]
	stats_json busy | jqe '.cpu_percent > 1 and .mem_usage > 0 and .mem_limit > 0 and .pids == 1 and (.CPUPerc | endswith("%"))'
	stats_json idle | jqe '.cpu_percent < 50'
	# a memory limit is the limit shown
	b run --network none -d --name lim --memory 64m busybox sleep 1000 >/dev/null
	stats_json lim | jqe '.mem_limit == 67108864 and (.MemUsage | endswith(" / 64MiB"))'
	# NET I/O: what idle received from busy over the test's bridge (lo is not counted)
	rx0=$(stats_json idle | jq .net_rx)
	ip=$(b inspect -f '{{.network_settings.ip_address}}' idle)
	b exec busy ping -c 3 -W 3 "$ip"
	rx1=$(stats_json idle | jq .net_rx)
	tx1=$(stats_json idle | jq .net_tx)
	echo "rx $rx0 -> $rx1, tx $tx1"
	[ "$rx1" -ge $((rx0 + 3 * 98)) ]
	[ "$tx1" -ge $((3 * 98)) ]
	# traffic on the container's loopback only is not counted
	rx0=$(stats_json idle | jq .net_rx)
	b exec idle ping -c 3 -W 3 127.0.0.1
	rx1=$(stats_json idle | jq .net_rx)
	[ "$rx1" -lt $((rx0 + 3 * 98)) ]
	# -a: a stopped container too, at zero; NAME: only it
	b run --network none --name done busybox true
	run -0 b stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}' -a
	[[ "$output" == *"done 0.00% 0B / 0B 0"* ]]
	[ "${#lines[@]}" -eq 4 ]
	run -0 b stats --no-stream --format '{{.Name}}'
	[ "${#lines[@]}" -eq 3 ]
	run -0 b stats --no-stream --format 'table {{.Name}}\t{{.PIDs}}' idle
	[[ "${lines[0]}" =~ ^NAME\ +PIDS$ ]]
	[[ "${lines[1]}" =~ ^idle\ +1$ ]]
	run -0 b stats --no-stream --no-trunc --format '{{.ID}} {{.Container}}' idle
	[ "$output" = "$(b inspect -f '{{.id}}' idle) idle" ]
}

@test "stats: streams a table a second until killed" {
	local pid i out=$BATS_TEST_TMPDIR/stats.out
	b run --network none -d --name s1 busybox sleep 1000 >/dev/null
	# berth itself in the background (not the function b), so that $! is its pid
	"$BERTH" --root "$ROOT" stats >"$out" 2>&1 &
	pid=$!
	for i in $(seq 300); do
		[ "$(grep -c '^CONTAINER ID' "$out")" -ge 2 ] && break
		sleep 0.1
	done
	kill "$pid"
	wait "$pid" || true
	cat "$out"
	[ "$(grep -c '^CONTAINER ID' "$out")" -ge 2 ]
	[ "$(grep -c ' s1 ' "$out")" -ge 2 ]
}

@test "stats: bad input is one line, exit 125, nothing on stdout" {
	bad 125 'no container "nosuch"' stats --no-stream nosuch
	bad 125 'unknown option `--bogus`' stats --bogus
	bad 125 'unknown function `nope`' stats --no-stream --format '{{nope}}'
	bad 125 'unknown function `nope`' stats --format 'table {{.Name}}\t{{nope}}'
	bad 125 'option `--format` needs a value' stats --format
}

@test "options after operands, as Docker's CLI; not after run's, exec's and top's" {
	b run --network none -d --name o1 busybox sleep 1000 >/dev/null
	run -0 b inspect o1 -f '{{.name}}'
	[ "$output" = o1 ]
	run -0 b ps --format '{{.Names}}' -a
	[ "$output" = o1 ]
	run -0 b logs o1 --tail 1
	run -0 b restart o1 -t 1
	run -0 b ps --format '{{.State}}' -f name=o1
	[ "$output" = running ]
	# -- ends the options: what follows is an operand
	bad 125 'no container "-f"' rm -- -f
	# run's and exec's options stop at the image and the container
	run -0 b exec o1 echo -t x
	[ "$output" = "-t x" ]
	run -0 b run --network none --rm busybox echo --rm -d
	[ "$output" = "--rm -d" ]
	run -0 b top o1 -o pid,comm
	[[ "${lines[0]}" == *PID*COMMAND* ]]
	run -0 b rm o1 -f
	[ -z "$(b ps -aq)" ]
	bad 125 'unknown option `--bogus`' rm o1 --bogus
}

@test "top keeps the lines whose PID parses; berth-runtime ps refuses one that does not" {
	local id
	id=$(b run --network none -d --name t1 busybox sleep 1000)
	# a PID column made of names: top shows the header only
	run -0 b top t1 -o comm=PID
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *PID* ]]
	run -0 b top t1 -o pid,comm
	[ "${#lines[@]}" -eq 2 ]
	run "$BERTH_BUILD/berth-runtime" --root "$ROOT/runtime" ps "$id" -o comm=PID
	[ "$status" -eq 1 ]
	[[ "$output" == *"ps: cannot parse the pid"* ]]
	run -0 "$BERTH_BUILD/berth-runtime" --root "$ROOT/runtime" ps "$id" -o pid,comm
	[ "${#lines[@]}" -eq 2 ]
}
