#!/usr/bin/env bats
# berth's command line as a Docker user expects it (issue 17): whole option names only, a
# missing value named, --help for every command, run/exec exit statuses 125/126/127,
# HOSTNAME, duplicate mount destinations, what rmi prints.
load helpers
load engine-helpers
bats_require_minimum_version 1.5.0

@test "run: a long option is taken only whole, never by a prefix" {
	bad 125 'unknown option `--pids`' run --rm --pids 5 busybox true
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

@test "a name or option with a newline or an escape is quoted escaped, on one line (issue 9)" {
	bad 125 'unknown command `fr\nob\x1b[31m` (berth --help)' $'fr\nob\x1b[31m'
	bad 125 'unknown option `--x\ny` (berth --help)' $'--x\ny' ps
	bad 125 'container: unknown command `l\ns`' container $'l\ns'
	bad 1 'inspect: no such object: a\nb\x1b[1m' inspect $'a\nb\x1b[1m'
	bad 1 'inspect: no such container: a\nb' inspect --type container $'a\nb'
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

# The store as a listing: the index, every blob and layer, and tmp/ (nothing staged left).
store_state() {
	cat "$ROOT/images/index.json"
	ls -A "$ROOT/images/blobs/sha256" "$ROOT/layers" "$ROOT/tmp"
}

@test "image names follow the reference grammar: tag, image import NAME, load; 125, store unchanged" {
	local n before arch=$BATS_TEST_TMPDIR/bb.tar d=$BATS_TEST_TMPDIR/d
	local want='expected [REGISTRY/]NAME[:TAG]'
	b image export busybox "$arch"
	before=$(store_state)
	for n in '../../etc' 'Bad Name' ':::' 'UPPER:x' 'a//b' 'x:' 'a:b:c'; do
		bad 125 "bad TARGET_IMAGE \`$n\`: $want" tag busybox "$n"
		bad 125 "bad NAME \`$n\`: $want" image import "$arch" "$n"
		bad 125 "bad NAME \`$n\`: $want" image import - "$n" <"$arch"
	done
	bad 125 "bad TARGET_IMAGE \`x@sha256:abc\`: a digest cannot be given as a name" \
		tag busybox x@sha256:abc
	[ "$(store_state)" = "$before" ]
	# the names an archive gives: a docker-archive whose RepoTags name is bad
	b save --format docker-archive -o "$d.tar" busybox
	mkdir "$d"
	tar -C "$d" -xf "$d.tar"
	jq -c '.[0].RepoTags = ["Bad Name:latest"]' "$d/manifest.json" >"$d.json"
	mv "$d.json" "$d/manifest.json"
	tar -C "$d" -cf "$d-bad.tar" .
	bad 125 "bad image name in \`$d-bad.tar\` \`Bad Name:latest\`: $want" load -i "$d-bad.tar"
	bad 125 "\`Bad Name:latest\`: $want" load <"$d-bad.tar"
	[ "$(store_state)" = "$before" ]
	# good names are taken: a registry with a port, separators, a tag
	b tag busybox localhost:5000/my-app_1/x.y:v1.0-rc
	run --separate-stderr b image import - ok/name:2 <"$arch"
	[ "$status" -eq 0 ]
	[ "$output" = ok/name:2 ]
	run b images --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.[].name] | sort | join(" ")' <<<"$output")" = \
		"busybox:latest localhost:5000/my-app_1/x.y:v1.0-rc ok/name:2" ]
}

@test "image import - reads stdin; image export writes to a file or pipe, never to a terminal" {
	local arch=$BATS_TEST_TMPDIR/bb.tar id
	# "-" with stdout a file
	b image export busybox - >"$arch"
	id=$(b images --format json | jq -r '.[] | select(.name == "busybox:latest") | .id')
	[ "${#id}" -eq 64 ]
	run --separate-stderr b image import - from-stdin <"$arch"
	[ "$status" -eq 0 ]
	[ "$output" = from-stdin:latest ]
	# no FILE: stdout, here a pipe
	b image export from-stdin | b image import - piped:1
	# -o FILE
	b image export -o "$BATS_TEST_TMPDIR/o.tar" piped:1
	b image import "$BATS_TEST_TMPDIR/o.tar" from-file:1
	run b images --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.[].id] | unique | join(" ")' <<<"$output")" = "$id" ]
	[ "$(jq length <<<"$output")" -eq 4 ]
	# stdout a terminal: refused with one line, no archive written to it
	run script -qec "'$BERTH' --root '$ROOT' image export busybox -" /dev/null
	echo "status=$status output=${output:0:300}"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"refusing to write an archive to a terminal; use -o FILE or a redirect"* ]]
	run script -qec "'$BERTH' --root '$ROOT' image export busybox" /dev/null
	echo "status=$status output=${output:0:300}"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"refusing to write an archive to a terminal; use -o FILE or a redirect"* ]]
	# stdin a terminal: import - refuses, the store unchanged
	run script -qec "'$BERTH' --root '$ROOT' image import - tty:1" /dev/null
	echo "status=$status output=${output:0:300}"
	[ "$status" -eq 125 ]
	[[ "$output" == *"no archive on stdin"* ]]
	run b images --format json
	[ "$(jq length <<<"$output")" -eq 4 ]
	bad 125 "usage: berth image export" image export -o "$BATS_TEST_TMPDIR/x.tar" busybox "$arch"
}

# user_image: an image `users:1` of the host's busybox-static with its own /etc/passwd and
# /etc/group (members listed); user_image_with NAME USER: users:1 with the config's User set.
user_image() {
	local d=$BATS_TEST_TMPDIR/users a
	mkdir -p "$d/bin" "$d/etc" "$d/tmp"
	cp "${BERTH_BUSYBOX:-/bin/busybox}" "$d/bin/busybox"
	for a in sh id cat; do
		ln -s busybox "$d/bin/$a"
	done
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'app:x:1000:1000::/:/bin/sh' \
		'svc:x:2000:2100::/:/bin/sh' >"$d/etc/passwd"
	printf '%s\n' 'root:x:0:' 'wheel:x:10:root,app' 'audio:x:29:app' 'app:x:1000:' \
		'svcg:x:2100:' 'extra:x:3000:' >"$d/etc/group"
	tar -C "$d" -cf "$d.tar" .
	b image import "$d.tar" users:1
}

user_image_with() {
	image_with_config users:1 "$1" User "$2"
}

# ids IMAGE [RUN OPTIONS…]: "uid gid groups…" of the container's process
ids() {
	local img=$1
	shift
	b run --rm "$@" "$img" sh -c 'echo $(id -u) $(id -g) $(id -G)'
}

@test "-u as Docker: gid from the image's /etc/passwd, groups from /etc/group, --group-add" {
	run ids busybox -u 1000
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "1000 1000 1000" ]
	run ids busybox -u user
	[ "$output" = "1000 1000 1000" ]
	run ids busybox -u 1000:0
	[ "$output" = "1000 0 0" ]
	user_image
	# a name or a uid in /etc/passwd: its gid, and the groups listing it as a member
	run ids users:1 -u app
	echo "$output"
	[ "$output" = "1000 1000 1000 10 29" ]
	run ids users:1 -u 1000
	[ "$output" = "1000 1000 1000 10 29" ]
	run ids users:1 -u svc
	[ "$output" = "2000 2100 2100" ]
	# no -u: root, with root's groups
	run ids users:1
	[ "$output" = "0 0 0 10" ]
	# an explicit group: that gid, no groups from /etc/group
	run ids users:1 -u app:audio
	[ "$output" = "1000 29 29" ]
	run ids users:1 -u 1000:3000
	[ "$output" = "1000 3000 3000" ]
	# a uid not in /etc/passwd: gid 0
	run ids users:1 -u 4321
	[ "$output" = "4321 0 0" ]
	run ids users:1 -u 4321:extra
	[ "$output" = "4321 3000 3000" ]
	# --group-add, by name or number, repeatable
	run ids users:1 -u app --group-add extra --group-add 4444 --group-add wheel
	echo "$output"
	[ "$output" = "1000 1000 1000 10 29 3000 4444" ]
	# the image's User goes the same way
	user_image_with users:app app
	run ids users:app
	[ "$output" = "1000 1000 1000 10 29" ]
	run ids users:app -u svc
	[ "$output" = "2000 2100 2100" ]
}

@test "-u and --group-add: a name the image does not have is one line, exit 125, nothing left" {
	bad 125 "bad -u \`ghost\`: no user \`ghost\` in the image's /etc/passwd" \
		run --rm -u ghost busybox true
	bad 125 "bad -u \`user:ghosts\`: no group \`ghosts\` in the image's /etc/group" \
		run -d -u user:ghosts busybox true
	bad 125 "bad --group-add \`ghosts\`: no group \`ghosts\` in the image's /etc/group" \
		run --rm --group-add ghosts busybox true
	bad 125 "bad -u \`2147483648\`: user id \`2147483648\` out of range" \
		run --rm -u 2147483648 busybox true
	bad 125 "bad --group-add \`\`: expected GROUP or GID" run --rm --group-add '' busybox true
	assert_nothing_left
	user_image
	user_image_with users:ghost ghost
	bad 125 "bad image User \`ghost\`: no user \`ghost\` in the image's /etc/passwd" \
		run --rm users:ghost true
	assert_nothing_left
}

@test "-u: the image's /etc/passwd is read inside its root, a symlink out of it is not followed" {
	local d=$BATS_TEST_TMPDIR/esc
	printf 'evil:x:4242:4242::/:/bin/sh\n' >"$BATS_TEST_TMPDIR/outside-passwd"
	printf 'evil:x:4242:\n' >"$BATS_TEST_TMPDIR/outside-group"
	mkdir -p "$d/bin" "$d/etc"
	cp "${BERTH_BUSYBOX:-/bin/busybox}" "$d/bin/busybox"
	ln -s busybox "$d/bin/sh"
	ln -s busybox "$d/bin/id"
	ln -s "$BATS_TEST_TMPDIR/outside-passwd" "$d/etc/passwd"
	ln -s ../../../../../../../../.."$BATS_TEST_TMPDIR/outside-group" "$d/etc/group"
	tar -C "$d" -cf "$d.tar" .
	b image import "$d.tar" esc:1
	bad 125 "bad -u \`evil\`: no user \`evil\` in the image's /etc/passwd" run --rm -u evil esc:1 true
	bad 125 "bad -u \`0:evil\`: no group \`evil\` in the image's /etc/group" run --rm -u 0:evil esc:1 true
	assert_nothing_left
	# the same file inside the root is found
	mkdir -p "$d$BATS_TEST_TMPDIR"
	cp "$BATS_TEST_TMPDIR/outside-passwd" "$BATS_TEST_TMPDIR/outside-group" "$d$BATS_TEST_TMPDIR/"
	tar -C "$d" -cf "$d.tar" .
	b image import "$d.tar" esc:2
	run b run --rm -u evil esc:2 sh -c 'echo $(id -u) $(id -g)'
	echo "status=$status output=$output"
	[ "$status" -eq 0 ]
	[ "$output" = "4242 4242" ]
	run b run --rm -u 0:evil esc:2 sh -c 'echo $(id -u) $(id -g)'
	[ "$status" -eq 0 ]
	[ "$output" = "0 4242" ]
}
