#!/usr/bin/env bats
# berth's command line as a Docker user expects it (issue 17): whole option names only, a
# missing value named, --help for every command, run/exec exit statuses 125/126/127,
# HOSTNAME, duplicate mount destinations, what rmi prints.
load helpers
bats_require_minimum_version 1.5.0

BERTH=$BERTH_BUILD/berth

setup() {
	ROOT=$BATS_TEST_TMPDIR/root
}

teardown() {
	engine_rm_all
}

# Nothing of a refused run is left: no container, no runtime state, no mount.
assert_nothing_left() {
	[ -z "$(ls "$ROOT/containers" 2>/dev/null)" ]
	[ -z "$(ls "$ROOT/runtime" 2>/dev/null)" ]
	run ! grep -q "$ROOT/containers" /proc/self/mountinfo
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

@test "run: a long option is taken only whole, never by a prefix" {
	bad 125 'unknown option `--pid`' run --rm --pid host busybox true
	bad 125 'unknown option `--mem`' run --rm --mem 64m busybox true
	bad 125 'unknown option `--entry`' run --rm --entry sh busybox true
	bad 125 'unknown option `--hostn`' run --rm --hostn=x busybox true
	bad 125 'unknown option `--tls`' run --rm --tls busybox true
	assert_nothing_left
	# the whole names, and Docker's documented alias --net of --network
	run b run --rm --memory=64m --pids-limit 50 --net none --hostname=h busybox hostname
	[ "$status" -eq 0 ]
	[ "$output" = h ]
}

@test "run: a missing value names the option" {
	bad 125 'option `--name` needs a value' run --rm --name
	bad 125 'option `--network` needs a value' run --network
	bad 125 'option `-e` needs a value' run -e
	bad 125 'option `-v` needs a value' run -v
	bad 125 'unknown option `-Z`' run -Z busybox true
	bad 125 'option `--rm` takes no value' run --rm=yes busybox true
	assert_nothing_left
}

@test "every command takes only whole option names" {
	bad 125 'unknown option `--al`' ps --al
	bad 125 'unknown option `--form`' ps --form json
	bad 125 'unknown option `--dig`' images --dig
	bad 125 'unknown option `--fol`' logs --fol x
	bad 125 'unknown option `--forc`' rm --forc x
	bad 125 'unknown option `--forc`' rmi --forc busybox
	bad 125 'unknown option `--tim`' stop --tim 1 x
	bad 125 'unknown option `--sig`' kill --sig TERM x
	bad 125 'unknown option `--inter`' exec --inter x true
	bad 125 'unknown option `--plat`' pull --plat linux/amd64 127.0.0.1:1/x
	bad 125 'unknown option `--tls`' push --tls=false busybox 127.0.0.1:1/x
	bad 125 'unknown option `--user`' login --user u 127.0.0.1:1
	bad 125 'unknown option `--auth`' logout --auth f 127.0.0.1:1
	bad 125 'unknown option `--out`' save --out f busybox
	bad 125 'unknown option `--inp`' load --inp f
	bad 125 'unknown option `--sub`' network create --sub 10.99.0.0/24 n
	bad 125 'unknown option `--qui`' network ls --qui
	bad 125 'unknown option `--forc`' network rm --forc n
	bad 125 'unknown option `--auth`' manifest push --auth f m 127.0.0.1:1/x
	bad 125 'option `--signal` needs a value' kill --signal
	bad 125 'option `--subnet` needs a value' network create --subnet
	bad 125 'unknown option `--kern`' vm run --kern /nonexistent
	bad 125 'option `--kernel` needs a value' vm run --kernel
	# nothing was made on the way
	[ -z "$(ls "$ROOT/containers" 2>/dev/null)" ]
	run b network inspect n
	[ "$status" -eq 125 ]
}

@test "every command listed by berth --help answers --help: usage on stdout, status 0" {
	local cmds c
	cmds=$("$BERTH" --help | awk '/^commands:/ { on = 1; next } on && NF { print $1 }')
	[ "$(echo "$cmds" | wc -w)" -ge 20 ]
	for c in $cmds; do
		run --separate-stderr b "$c" --help
		echo "$c: status=$status stderr=$stderr"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		[[ "${lines[0]}" == [Uu]"sage: berth $c"* ]]
	done
	for c in "image import" "image inspect" "image export" "image rm" "network create" \
		"network ls" "network inspect" "network rm" "network prune" "manifest create" \
		"manifest add" "manifest inspect" "manifest push"; do
		# shellcheck disable=SC2086 # the words of the subcommand
		run --separate-stderr b $c --help
		echo "$c: status=$status stderr=$stderr"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		[[ "$output" == *"usage: berth "* ]]
	done
	# -h too, and --help after other options
	run --separate-stderr b logs -h
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: berth logs"* ]]
	run --separate-stderr b run --rm --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: berth run"* ]]
	[ -z "$(ls "$ROOT/containers" 2>/dev/null)" ]
}

@test "run and exec: 127 for a command not found, 126 for one not executable, 125 for berth" {
	run --separate-stderr b run --rm busybox nosuch
	[ "$status" -eq 127 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "berth: run: "*"nosuch"*"not found"* ]]
	run -127 b run --rm busybox /no/such
	run -126 b run --rm busybox /etc/passwd
	run -126 b run --rm busybox /
	run -127 b run -d busybox nosuch
	run -126 b run -d busybox /etc/passwd
	run -125 b run --rm --network nosuch busybox true
	run -125 b run --rm nosuch-image-here true
	assert_nothing_left
	id=$(b run -d busybox sleep 1000)
	run --separate-stderr b exec "$id" nosuch
	[ "$status" -eq 127 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "berth: exec: "*"nosuch"*"not found"* ]]
	run -127 b exec "$id" /no/such
	run -126 b exec "$id" /etc/passwd
	run --separate-stderr b exec "$id" /
	[ "$status" -eq 126 ]
	[[ "$stderr" == "berth: exec: "*"Is a directory" ]]
	# berth's own errors: 125, and said by berth, not berth-runtime
	run --separate-stderr b exec -w /nonexistent "$id" true
	[ "$status" -eq 125 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "berth: exec: "*"/nonexistent"* ]]
	[[ "$stderr" != *berth-runtime* ]]
	run -125 b exec nosuch-container true
	run -3 b exec "$id" sh -c 'exit 3'
	b rm -f "$id"
}

@test "HOSTNAME is the container's hostname: the 12-character short id, or --hostname" {
	local id
	id=$(b run -d busybox sleep 1000)
	run b exec "$id" sh -c 'echo "$HOSTNAME $(hostname)"'
	[ "$status" -eq 0 ]
	[ "$output" = "${id:0:12} ${id:0:12}" ]
	b rm -f "$id"
	run b run --rm busybox sh -c 'echo "$HOSTNAME $(hostname) $(cat /etc/hostname)"'
	[ "$status" -eq 0 ]
	read -r a h f <<<"$output"
	[ "${#a}" -eq 12 ]
	[ "$a" = "$h" ]
	[ "$a" = "$f" ]
	run b run --rm --hostname web1 busybox sh -c 'echo "$HOSTNAME $(hostname)"'
	[ "$output" = "web1 web1" ]
	# -e HOSTNAME=… still wins, as in Docker
	run b run --rm -e HOSTNAME=mine busybox sh -c 'echo "$HOSTNAME"'
	[ "$output" = mine ]
}

@test "two -v on one container path: one line naming both, exit 125, nothing left" {
	mkdir -p "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	local a=$BATS_TEST_TMPDIR/a b=$BATS_TEST_TMPDIR/b
	bad 125 "-v \`$a:/data\` and -v \`$b:/data\`: both mount on \`/data\`" \
		run --rm -v "$a:/data" -v "$b:/data" busybox true
	# the same path written otherwise
	bad 125 "-v \`$a:/data\` and -v \`$b:/x/../data/:ro\`: both mount on \`/data\`" \
		run -d -v "$a:/data" -v "$b:/x/../data/:ro" busybox true
	assert_nothing_left
	# two paths, two mounts
	echo A >"$a/f"
	echo B >"$b/f"
	run b run --rm -v "$a:/data" -v "$b:/data2" busybox cat /data/f /data2/f
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'A\nB')" ]
}

@test "rmi prints Untagged: NAME, and Deleted: sha256:ID when the image itself goes" {
	local id
	b tag busybox foo:1 foo:2
	id=$(b images --format json | jq -r '.[] | select(.name == "foo:1") | .id')
	[ "${#id}" -eq 64 ]
	run --separate-stderr b rmi foo:1
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: foo:1" ]
	run --separate-stderr b rmi foo:2 busybox
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'Untagged: foo:2\nUntagged: busybox:latest\nDeleted: sha256:%s' "$id")" ]
	[ -z "$(ls "$ROOT/images/blobs/sha256")" ]
	# by id: its one name, then the image
	b tag busybox bar:1
	b rmi busybox
	id=$(b images --format json | jq -r '.[] | select(.name == "bar:1") | .id')
	run b image rm "${id:0:12}"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'Untagged: bar:1\nDeleted: sha256:%s' "$id")" ]
	bad 125 'image "nope" not found' rmi nope
}
