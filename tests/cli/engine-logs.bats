#!/usr/bin/env bats
# berth logs as Docker's (issue 17, bug 12): the container's stdout to stdout and its stderr
# to stderr, --tail, -t, --since, --until, -f; a terminal is one stream; an older berth's log.
load helpers
load engine-helpers
bats_require_minimum_version 1.5.0

# RFC 3339 with nanoseconds, UTC, as Docker's logs -t
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z'

@test "logs: the container's stdout to stdout, its stderr to stderr" {
	run b run --name c busybox sh -c 'echo out1; echo err1 >&2; printf part; echo err2 >&2; echo rest'
	[ "$status" -eq 0 ]
	run --separate-stderr b logs c
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'out1\npartrest')" ]
	[ "$stderr" = "$(printf 'err1\nerr2')" ]
	# a detached container's too
	id=$(b run -d busybox sh -c 'echo o; echo e >&2')
	for i in $(seq 100); do b ps -a --format json | jqe '.[] | select(.id == "'"$id"'") | .state == "exited"' && break; sleep 0.2; done
	run --separate-stderr b logs "$id"
	[ "$output" = o ]
	[ "$stderr" = e ]
}

@test "logs --tail N|all, -n" {
	b run --name c busybox sh -c 'for i in 1 2 3 4; do echo $i; done; echo 5 >&2' >/dev/null 2>&1
	run --separate-stderr b logs --tail 2 c
	[ "$status" -eq 0 ]
	[ "$output" = 4 ]
	[ "$stderr" = 5 ]
	run --separate-stderr b logs -n 3 c
	[ "$output" = "$(printf '3\n4')" ]
	run --separate-stderr b logs --tail=0 c
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ -z "$stderr" ]
	run --separate-stderr b logs --tail all c
	[ "$output" = "$(printf '1\n2\n3\n4')" ]
	run --separate-stderr b logs --tail 100 c
	[ "$output" = "$(printf '1\n2\n3\n4')" ]
	[ "$stderr" = 5 ]
}

@test "logs -t: each line after its time, RFC 3339 with nanoseconds" {
	b run --name c busybox sh -c 'echo a; echo b >&2; printf c; echo d' >/dev/null 2>&1
	run --separate-stderr b logs -t c
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" =~ ^${TS}\ a$ ]]
	[[ "${lines[1]}" =~ ^${TS}\ cd$ ]]
	[[ "$stderr" =~ ^${TS}\ b$ ]]
	# (the order of lines across the two streams is as the monitor read them: one stream here)
	b run --name d busybox sh -c 'echo a; printf c; echo d' >/dev/null
	run b logs --timestamps --tail 1 d
	[[ "$output" =~ ^${TS}\ cd$ ]]
}

@test "logs --since and --until: RFC 3339 times, Unix seconds, durations" {
	b run --name c busybox sh -c 'echo a; sleep 1.2; echo b' >/dev/null
	run b logs -t c
	[ "${#lines[@]}" -eq 2 ]
	ta=${lines[0]%% *}
	tb=${lines[1]%% *}
	run b logs --since "$tb" c
	[ "$status" -eq 0 ]
	[ "$output" = b ]
	run b logs --until "$ta" c
	[ "$output" = a ]
	run b logs --since "$ta" --until "$tb" c
	[ "$output" = "$(printf 'a\nb')" ]
	# Unix seconds; durations before now
	run b logs --until 946684800 c
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run b logs --since "$(($(date +%s) + 3600))" c
	[ -z "$output" ]
	run b logs --since 10m c
	[ "$output" = "$(printf 'a\nb')" ]
	run b logs --since 1h30m --until 0s c
	[ "$output" = "$(printf 'a\nb')" ]
	run b logs --until 10m c
	[ -z "$output" ]
	run b logs --since 2000-01-01T00:00:00.5+01:00 --tail 1 c
	[ "$output" = b ]
}

@test "logs: bad values are one line, exit 125" {
	b run --name c busybox true
	bad 125 'bad --tail `x`: expected a number of lines or `all`' logs --tail x c
	bad 125 'bad --tail `-1`' logs -n -1 c
	bad 125 'bad --since `yesterday`: expected an RFC 3339 time' logs --since yesterday c
	bad 125 'bad --until `10x`' logs --until 10x c
	bad 125 'bad --until `2026-13-01T00:00:00Z`' logs --until 2026-13-01T00:00:00Z c
	bad 125 'option `--since` needs a value' logs --since
	bad 125 'unknown option `--tai`' logs --tai 1 c
	bad 125 'no container "nope"' logs nope
	bad 125 'expected one NAME' logs
}

@test "logs -f follows both streams and ends when the container exits" {
	id=$(b run -d busybox sh -c 'echo one; sleep 1; echo two >&2; sleep 0.5; echo three')
	run --separate-stderr timeout 60 "$BERTH" --root "$ROOT" logs -f "$id"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'one\nthree')" ]
	[ "$stderr" = two ]
	# with --tail and -t
	run --separate-stderr timeout 60 "$BERTH" --root "$ROOT" logs -f -t --tail 1 "$id"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^${TS}\ three$ ]]
	[ -z "$stderr" ]
}

@test "logs: a terminal (-t) is one stream, to stdout" {
	id=$(b run -d -t busybox sh -c 'echo o; echo e >&2')
	for i in $(seq 100); do b ps -a --format json | jqe '.[] | select(.id == "'"$id"'") | .state == "exited"' && break; sleep 0.2; done
	run --separate-stderr b logs "$id"
	[ "$status" -eq 0 ]
	[ "$(printf '%s' "$output" | tr -d '\r')" = "$(printf 'o\ne')" ]
	[ -z "$stderr" ]
}

@test "logs: an older berth's plain log is shown as it is, and refused with -t, --tail, --since" {
	id=$(b run -d busybox true)
	for i in $(seq 100); do b ps -a --format json | jqe '.[] | select(.id == "'"$id"'") | .state == "exited"' && break; sleep 0.2; done
	rm "$ROOT/containers/$id/ctr.k8s.log"
	printf 'old out\nold err\n' >"$ROOT/containers/$id/ctr.log"
	run --separate-stderr b logs "$id"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'old out\nold err')" ]
	bad 125 "log was written by an older berth, without times or streams" logs -t "$id"
	bad 125 "only \`berth logs [-f]\` reads it" logs --tail 1 "$id"
	bad 125 "older berth" logs --since 10m "$id"
}

# a stopped container c with /d (f owned by 1000, sub/g, a link to /etc/passwd) and /esc -> /
make_c() {
	b run --name c busybox sh -c 'mkdir -p /d/sub; echo f >/d/f; echo g >/d/sub/g; ln -s /etc/passwd /d/link; chown 1000:1000 /d/f; ln -s / /esc' >/dev/null
}

@test "cp out of a stopped container: a file, a directory, DIR/., links, -L, -a" {
	make_c
	cd "$BATS_TEST_TMPDIR"
	b cp c:/d/f f1
	[ "$(cat f1)" = f ]
	[ "$(stat -c %u f1)" -eq 0 ]
	b cp -a c:/d/f fa
	[ "$(stat -c %u:%g fa)" = 1000:1000 ]
	# a directory to a new name, then into an existing directory, then its entries
	b cp c:/d d1
	[ "$(cat d1/sub/g)" = g ]
	[ "$(readlink d1/link)" = /etc/passwd ]
	mkdir d2 d3
	b cp c:/d d2
	[ "$(cat d2/d/f)" = f ]
	b cp c:/d/. d3
	[ "$(cat d3/f)" = f ]
	# a link as a link; -L: what it names, inside the container
	b cp c:/d/link l1
	[ "$(readlink l1)" = /etc/passwd ]
	b cp -L c:/d/link l2
	[ ! -L l2 ]
	[ "$(cat l2)" = "$(b run --rm busybox cat /etc/passwd)" ]
	# the overlay mounted for the copy is gone again
	run ! grep -q "$ROOT/containers" /proc/self/mountinfo
}

@test "cp: symlinks in the container never lead to the host's files" {
	make_c
	cd "$BATS_TEST_TMPDIR"
	b cp c:/esc/etc/passwd p
	[ "$(cat p)" = "$(b run --rm busybox cat /etc/passwd)" ]
	[ "$(cat p)" != "$(cat /etc/passwd)" ]
	b cp -L c:/d/link p2
	cmp p p2
	echo mine >n
	name=berth-cp-escape-$$
	b cp n "c:/esc/tmp/$name"
	[ ! -e "/tmp/$name" ]
	b cp "c:/tmp/$name" back
	[ "$(cat back)" = mine ]
}

@test "cp into and out of a running container; - for a tar stream" {
	id=$(b run -d busybox sh -c 'echo inside >/tmp/i; sleep 300')
	cd "$BATS_TEST_TMPDIR"
	echo hello >h
	b cp h "$id:/tmp/"
	run b exec "$id" cat /tmp/h
	[ "$output" = hello ]
	for i in $(seq 100); do b exec "$id" test -e /tmp/i && break; sleep 0.2; done
	b cp "$id:/tmp/i" i
	[ "$(cat i)" = inside ]
	# a tar on stdout, and one on stdin unpacked into a directory
	run bash -c "'$BERTH' --root '$ROOT' cp '$id:/tmp/i' - | tar xO"
	[ "$output" = inside ]
	mkdir t && echo viatar >t/x
	tar -C t -c x | b cp - "$id:/tmp"
	run b exec "$id" cat /tmp/x
	[ "$output" = viatar ]
	[ -z "$(ls "$ROOT/tmp" 2>/dev/null)" ]
}

@test "cp: bad input is one line, exit 125, nothing left" {
	make_c
	cd "$BATS_TEST_TMPDIR"
	echo x >x
	bad 125 'copying between containers is not supported' cp c:/d/f c:/e
	bad 125 'must be CONTAINER:PATH' cp x y
	bad 125 'no container "nope"' cp nope:/x y
	bad 125 'open `/nope` inside the root' cp c:/nope y
	bad 125 'the directory `nodir/` does not exist' cp c:/d/f nodir/
	bad 125 'cannot copy the directory `/d` over the file `x`' cp c:/d x
	bad 125 'no path in the container' cp x c:
	bad 125 'expected a SRC_PATH and a DEST_PATH' cp x
	bad 125 'unknown option `--arch`' cp --arch x c:/
	run ! grep -q "$ROOT/containers" /proc/self/mountinfo
	[ ! -e y ]
	[ ! -e nodir ]
}

@test "diff: A, C, D from the container's upper layer, whiteouts as D, sorted" {
	b run --name c busybox sh -c 'echo x >/tmp/new; rm /bin/yes; echo y >>/etc/passwd; mkdir -p /a/b; touch /a/b/c' >/dev/null
	run b diff c
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx 'A /tmp/new' <<<"$output"
	grep -qx 'C /tmp' <<<"$output"
	grep -qx 'D /bin/yes' <<<"$output"
	grep -qx 'C /etc/passwd' <<<"$output"
	grep -qx 'A /a/b/c' <<<"$output"
	[ "$(grep -c '^A /a' <<<"$output")" -eq 3 ]
	[ "$(cut -c3- <<<"$output")" = "$(cut -c3- <<<"$output" | LC_ALL=C sort)" ]
	run ! grep -q ' /bin/sh$' <<<"$output"
	bad 125 'no container "nope"' diff nope
	bad 125 'expected one NAME' diff
}

@test "export: a tar of the container's filesystem, to -o FILE or a pipe, never a terminal" {
	b run --name c busybox sh -c 'echo x >/tmp/new; rm /bin/yes; echo y >>/etc/passwd' >/dev/null
	cd "$BATS_TEST_TMPDIR"
	b export -o c.tar c
	tar tf c.tar >list
	grep -qx tmp/new list
	grep -qx bin/sh list
	run ! grep -qx bin/yes list
	[ "$(tar xOf c.tar etc/passwd | tail -n 1)" = y ]
	run bash -c "'$BERTH' --root '$ROOT' export c | tar t | grep -cx tmp/new"
	[ "$output" = 1 ]
	# a reader that stops early (| head) leaves no mount behind
	run bash -c "'$BERTH' --root '$ROOT' export c 2>/dev/null | head -c 10 | wc -c"
	[ "$output" = 10 ]
	run ! grep -q "$ROOT/containers" /proc/self/mountinfo
	run script -qec "'$BERTH' --root '$ROOT' export c" /dev/null
	echo "status=$status output=${output:0:300}"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"refusing to write an archive to a terminal; use -o FILE or a redirect"* ]]
	bad 125 'no container "nope"' export -o x.tar nope
	[ ! -e x.tar ]
	bad 125 'create `/nonexistent/x.tar.berth-' export -o /nonexistent/x.tar c
	[ -z "$(ls | grep berth-)" ]
}

@test "inspect --format (-f): Go templates over inspect's document" {
	run -3 b run --name c -e A=1 busybox sh -c 'exit 3'
	run -0 b inspect --format '{{.name}} {{.state}} {{.exit_code}}' c
	[ "$output" = "c exited 3" ]
	# Docker's capitalised names find berth's keys; json, index, range, len, join, \n
	run -0 b inspect -f '{{.Name}}/{{.State}}' c
	[ "$output" = c/exited ]
	run -0 b inspect -f '{{json .config.process.args}}' c
	[ "$output" = '["sh","-c","exit 3"]' ]
	run -0 b inspect -f '{{index .config.process.args 2}}' c
	[ "$output" = "exit 3" ]
	run -0 b inspect -f '{{index .network "mode"}}' c
	[ "$output" = bridge ]
	run -0 b inspect -f '{{range .config.process.env}}{{.}}\n{{end}}' c
	grep -qx A=1 <<<"$output"
	run -0 b inspect -f '{{len .config.process.args}} {{join .config.process.args ","}}' c
	[ "$output" = "3 sh,-c,exit 3" ]
	run -0 b inspect -f '{{if .rm}}rm{{else}}kept{{end}}' c
	[ "$output" = kept ]
	# json as a format: the document; several names: one each
	run -0 b inspect --format json c
	[ "$(jq -r .name <<<"$output")" = c ]
	run -0 b inspect -f '{{.name}}' c c
	[ "$output" = "$(printf 'c\nc')" ]
}

@test "inspect, ps, images --format: an unsupported or bad template is one line, exit 125" {
	b run --name c busybox true
	bad 125 'bad --format `{{.nope}}`: no field `nope`' inspect -f '{{.nope}}' c
	bad 125 'unknown function `printf`' inspect -f '{{printf "%s" .name}}' c
	bad 125 'an action without its closing }}' inspect -f '{{.name' c
	bad 125 '{{range}} without its {{end}}' inspect -f '{{range .layers}}x' c
	bad 125 'variables ($) are not supported' inspect -f '{{$x := .name}}' c
	bad 125 'option `--format` needs a value' inspect --format
	# a name that is none: said on stderr, the others shown, exit 1 (as Docker's)
	run --separate-stderr b inspect -f '{{.name}}' c nope
	[ "$status" -eq 1 ]
	[ "$output" = c ]
	[ "$stderr" = "berth: inspect: no such object: nope" ]
	bad 125 'unknown function `bogus`' ps -a --format '{{bogus}}'
	bad 125 'unknown function `bogus`' ps --format 'table {{bogus}}'
	bad 125 'unknown function `bogus`' images --format '{{bogus .name}}'
}

@test "ps --format and images --format TEMPLATE: a line each" {
	b run --name c1 busybox true
	b run --name c2 busybox true
	# newest first, as Docker's
	run -0 b ps -a --format '{{.name}}:{{.state}}'
	[ "$output" = "$(printf 'c2:exited\nc1:exited')" ]
	run -0 b ps --format '{{.name}}'
	[ -z "$output" ]
	run -0 b images --format '{{.name}} {{len .id}}'
	[ "$output" = "busybox:latest 64" ]
}

@test "cp, diff, export answer --help (usage on stdout, status 0), as any user" {
	for c in cp diff export logs inspect; do
		run --separate-stderr b "$c" --help
		echo "$c: status=$status stderr=$stderr"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		[[ "$output" == "usage: berth $c"* ]]
		run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups "$BERTH" --root "$ROOT" "$c" -h
		[ "$status" -eq 0 ]
		[[ "$output" == "usage: berth $c"* ]]
	done
	run -0 b --help
	[[ "$output" == *" cp "* ]]
	[[ "$output" == *" diff "* ]]
	[[ "$output" == *" export "* ]]
}

# --log-driver, --log-opt, -a, -q (issue 17); --network none: nothing here needs a network

# wait_exited ID: poll (bounded) until the container has exited
wait_exited() {
	local i
	for i in $(seq 150); do
		b ps -a --format json | jqe '.[] | select(.id == "'"$1"'") | .state == "exited"' >/dev/null && return 0
		sleep 0.2
	done
	return 1
}

@test "logs: --log-driver json-file writes Docker's format and logs reads it" {
	run --separate-stderr b run --network none --name j --log-driver json-file busybox sh -c 'echo out1; echo err1 >&2; printf "q\"b\\\\\tx"; echo; printf part'
	[ "$status" -eq 0 ]
	f=$ROOT/containers/$(b inspect -f '{{.id}}' j)/ctr.json.log
	[ ! -e "$(dirname "$f")/ctr.k8s.log" ]
	# one document a line: log (with its newline when the line is whole), stream, time
	run jq -c . "$f"
	[ "$status" -eq 0 ]
	# (a chunk the monitor read is a record, or a record a line of it: how the output was cut
	# into chunks varies)
	jqe -s 'all(.stream == "stdout" or .stream == "stderr")' <"$f"
	jqe -s 'map(select(.stream == "stdout") | .log) | add == "out1\nq\"b\\\tx\npart"' <"$f"
	jqe -s 'map(select(.stream == "stdout"))[0].log == "out1\n"' <"$f"
	jqe -s 'map(select(.stream == "stderr") | .log) | add == "err1\n"' <"$f"
	jqe -s 'all(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{9}Z$"))' <"$f"
	run --separate-stderr b logs j
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'out1\nq"b\\\tx\npart')" ]
	[ "$stderr" = err1 ]
	run --separate-stderr b logs -t --tail 1 j
	[[ "$output" =~ ^${TS}\ part$ ]]
	# bytes that are not UTF-8 are kept as U+FFFD, the rest as it is
	b run --network none --name u --log-driver json-file busybox sh -c 'printf "\xff\xc3\xa9\n"' >/dev/null
	run b logs u
	[ "$output" = "$(printf '\xef\xbf\xbd\xc3\xa9')" ]
	# inspect: HostConfig.LogConfig
	run -0 b inspect -f '{{json .HostConfig.LogConfig}}' j
	[ "$output" = '{"Type":"json-file","Config":{}}' ]
	run -0 b inspect -f '{{.HostConfig.LogConfig.Type}}' u
	[ "$output" = json-file ]
}

@test "logs: --log-opt max-size and max-file rotate the log, and logs reads across the files" {
	for d in k8s-file json-file; do
		b run --network none --name "r-$d" --log-driver "$d" --log-opt max-size=300 --log-opt max-file=3 busybox sh -c 'for i in $(seq 1 60); do echo line$i; usleep 5000; done' >/dev/null
		dir=$ROOT/containers/$(b inspect -f '{{.id}}' "r-$d")
		base=$dir/ctr.k8s.log
		if [ "$d" = json-file ]; then base=$dir/ctr.json.log; fi
		ls -l "$dir"
		# max-file files in all: the log, .1 and .2, none past max-size (a record each)
		[ -e "$base" ]
		[ -e "$base.1" ]
		[ -e "$base.2" ]
		[ ! -e "$base.3" ]
		[ "$(stat -c %s "$base.1")" -le 300 ]
		# logs: what the files keep, oldest first, the last line last
		run b logs "r-$d"
		[ "$status" -eq 0 ]
		[ "${lines[-1]}" = line60 ]
		n=${#lines[@]}
		[ "$n" -gt 3 ]
		[ "$n" -lt 60 ]
		first=${lines[0]#line}
		[ "$output" = "$(seq "$first" 60 | sed 's/^/line/')" ]
		run b logs --tail 3 "r-$d"
		[ "$output" = "$(printf 'line58\nline59\nline60')" ]
	done
	inspect=$(b inspect -f '{{json .HostConfig.LogConfig}}' r-k8s-file)
	[ "$inspect" = '{"Type":"k8s-file","Config":{"max-size":"300","max-file":"3"}}' ]
	# several options in one --log-opt, joined by commas
	b create --network none --name rc --log-driver json-file --log-opt max-size=1m,max-file=2 busybox true >/dev/null
	inspect=$(b inspect -f '{{json .HostConfig.LogConfig}}' rc)
	[ "$inspect" = '{"Type":"json-file","Config":{"max-size":"1m","max-file":"2"}}' ]
	# max-file 1 (the default): the log starts again, no other file
	b run --network none --name r1 --log-opt max-size=200 busybox sh -c 'for i in $(seq 1 30); do echo line$i; usleep 10000; done' >/dev/null
	run b logs r1
	[ "${lines[-1]}" = line30 ]
	[ "${#lines[@]}" -lt 30 ]
	[ -z "$(ls "$ROOT"/containers/*/ctr.k8s.log.* 2>/dev/null | xargs -r grep -l line30)" ]
}

@test "logs -f follows the log across a rotation" {
	id=$(b run --network none -d --log-opt max-size=200 --log-opt max-file=2 busybox sh -c 'sleep 1; for i in $(seq 1 20); do echo line$i; usleep 50000; done')
	run --separate-stderr timeout 120 "$BERTH" --root "$ROOT" logs -f "$id"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = line20 ]
	[ "$output" = "$(seq 1 20 | sed 's/^/line/')" ]
}

@test "logs: --log-driver none keeps nothing, and logs says so" {
	run b run --network none --name n --log-driver none busybox sh -c 'echo shown'
	[ "$status" -eq 0 ]
	[ "$output" = shown ]
	[ -z "$(ls "$ROOT"/containers/*/ctr.* 2>/dev/null)" ]
	bad 125 'configured logging driver does not support reading' logs n
	id=$(b run --network none -d --log-driver none busybox true)
	wait_exited "$id"
	bad 125 'configured logging driver does not support reading' logs -f "$id"
	run -0 b inspect -f '{{.HostConfig.LogConfig.Type}}' n
	[ "$output" = none ]
}

@test "logs: bad --log-driver and --log-opt are one line, exit 125, nothing left" {
	bad 125 'bad --log-driver `syslog`: expected json-file, k8s-file or none' run --log-driver syslog busybox true
	bad 125 'bad --log-opt `max-size=big`: expected a size' run --log-opt max-size=big busybox true
	bad 125 'bad --log-opt `max-file=0`: expected a number of files' run --log-opt max-file=0 busybox true
	bad 125 'bad --log-opt `max-file=x`' run --log-driver json-file --log-opt max-file=x busybox true
	bad 125 'bad --log-opt `labels=a`: unknown option for the log driver k8s-file' run --log-opt labels=a busybox true
	bad 125 'bad --log-opt `max-size`: expected KEY=VALUE' create --log-opt max-size busybox true
	bad 125 'bad --log-opt `max-size=1m,`: expected KEY=VALUE' run --log-opt max-size=1m, busybox true
	bad 125 'bad --log-opt `max-file=-2`' run --log-opt max-size=1m,max-file=-2 busybox true
	bad 125 'the log driver none takes no options' run --log-driver none --log-opt max-size=1m busybox true
	bad 125 'option `--log-driver` needs a value' run --log-driver
	assert_nothing_left
}

@test "run -a: only the streams named are attached, the others go to the log" {
	run --separate-stderr b run --network none --name a1 -a stdout busybox sh -c 'echo o; echo e >&2'
	[ "$status" -eq 0 ]
	[ "$output" = o ]
	[ -z "$stderr" ]
	run --separate-stderr b logs a1
	[ "$output" = o ]
	[ "$stderr" = e ]
	run --separate-stderr b run --network none --name a2 -a STDERR busybox sh -c 'echo o; echo e >&2; exit 4'
	[ "$status" -eq 4 ]
	[ -z "$output" ]
	[ "$stderr" = e ]
	run --separate-stderr b run --network none -a stdout --attach stderr --rm busybox sh -c 'echo o; echo e >&2'
	[ "$output" = o ]
	[ "$stderr" = e ]
	# stdin only with -a stdin (and -i)
	run --separate-stderr b run --network none -i -a stdout --rm busybox sh -c 'cat; echo end'
	[ "$output" = end ]
	run --separate-stderr b run --network none -i -a stdin -a stdout --rm busybox sh -c 'cat; echo end' <<<fed
	[ "$output" = "$(printf 'fed\nend')" ]
	# berth's own errors still reach stderr
	run -127 --separate-stderr b run --network none -a stdout busybox /nonexistent
	[[ "$stderr" == *nonexistent* ]]
	bad 125 'bad -a `stdnull`: expected STDIN, STDOUT or STDERR' run -a stdnull busybox true
	bad 125 '-a (--attach) and -d conflict' run -d -a stdout busybox true
	[ "$(b ps -a --format '{{.name}}' | sort | tr '\n' ' ')" = "a1 a2 " ]
}

@test "run -q, --quiet: nothing but the container's output" {
	run --separate-stderr b run --network none -q --rm busybox echo hi
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	[ -z "$stderr" ]
	run --separate-stderr b run --network none --quiet --rm busybox echo hi
	[ "$output" = hi ]
}
