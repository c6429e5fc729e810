#!/usr/bin/env bats
# A container's life as Docker's commands drive it (issue 17): create, start -a/-i, wait,
# restart, pause/unpause, rename, top, and ps's STATUS for each state.
load helpers
load engine-helpers
bats_require_minimum_version 1.5.0

teardown() {
	engine_rm_all
	b network rm lc-net >/dev/null 2>&1 || true
}

# The freezer state of container ID's cgroup: FROZEN or THAWED (v1), 1 or 0 (v2).
freezer_state() {
	if [ -e "/sys/fs/cgroup/freezer/berth/$1/freezer.state" ]; then
		cat "/sys/fs/cgroup/freezer/berth/$1/freezer.state"
	else
		cat "/sys/fs/cgroup/berth/$1/cgroup.freeze"
	fi
}

# Nothing of container NAME in the store.
assert_nothing_left_of() {
	run --separate-stderr b inspect --type container "$1"
	[ "$status" -eq 1 ]
	[ "$stderr" = "berth: inspect: no such container: $1" ]
}

# The pids in container ID's cgroup, one a line.
cat_procs() {
	if [ -e "/sys/fs/cgroup/pids/berth/$1/cgroup.procs" ]; then
		cat "/sys/fs/cgroup/pids/berth/$1/cgroup.procs"
	else
		cat "/sys/fs/cgroup/berth/$1/cgroup.procs"
	fi
}

# wait_status NAME TEXT: poll (bounded) until ps -a shows NAME's row with TEXT in it.
wait_status() {
	local i
	for i in $(seq 200); do
		b ps -a | grep " $1\$" | grep -q -- "$2" && return 0
		sleep 0.1
	done
	b ps -a
	return 1
}

@test "create: prints the full id, Created in ps -a, nothing runs or is mounted until start" {
	run --separate-stderr b create --name c1 busybox sh -c 'echo made; exit 3'
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	id=$output
	run b ps -a
	[[ "$output" == *"Created"*c1* ]]
	run b ps
	[[ "$output" != *c1* ]]
	b inspect c1 | jqe '.state == "created"'
	[ -z "$(ls "$ROOT/runtime")" ]
	run grep -c "$ROOT/containers/$id" /proc/self/mountinfo
	[ "$output" = 0 ]
	# start runs it, detached; the output is in its log
	run b start c1
	[ "$status" -eq 0 ]
	[ "$output" = c1 ]
	wait_status c1 'Exited (3) '
	run b logs c1
	[ "$output" = made ]
	# and start -a again, attached: its output here, its status ours
	run b start -a c1
	[ "$status" -eq 3 ]
	[ "$output" = made ]
}

@test "create takes run's options; bad input is one line, exit 125, nothing left" {
	b create --name opts -e A=1 -w /tmp --hostname hh busybox sh -c 'echo $A $(pwd) $(hostname)'
	run b start -a opts
	[ "$status" -eq 0 ]
	[ "$output" = "1 /tmp hh" ]
	b rm opts
	bad 125 'unknown option `-d`' create -d busybox true
	bad 125 'unknown option `--detach`' create --detach busybox true
	bad 125 'bad --name `a b`' create --name 'a b' busybox true
	bad 125 'bad --name `-x`' create --name -x busybox true
	bad 125 'bad --pull `sometimes`' create --pull sometimes busybox true
	bad 125 'image "nope" not found' create --pull never nope true
	bad 125 'no image given' create --name x
	bad 125 'unknown option `--pids`' create --pids 5 busybox true
	assert_nothing_left
	b create --name taken busybox true
	bad 125 'the name "taken" is already in use' create --name taken busybox true
	[ "$(ls "$ROOT/containers" | wc -l)" -eq 1 ]
}

@test "create --name: a name found only in another record's other fields is free" {
	# the names are looked for in each record's text first (ctr_name_used)
	b create --name holder -e NAME=spare -l spare=spare busybox echo spare
	b create --name spare busybox true
	[ "$(ls "$ROOT/containers" | wc -l)" -eq 2 ]
	bad 125 'the name "spare" is already in use' create --name spare busybox true
	bad 125 'the name "holder" is already in use' rename spare holder
	[ "$(ls "$ROOT/containers" | wc -l)" -eq 2 ]
}

@test "create --pull: always pulls, never refuses a missing image, missing takes the store's" {
	# a registry on a closed loopback port: a pull fails at once
	b tag busybox 127.0.0.1:1/lc/local:1
	bad 125 'image "127.0.0.1:1/lc/nothere:1" not found' create --pull never 127.0.0.1:1/lc/nothere:1 true
	bad 125 "registry 127.0.0.1:1" create --pull always 127.0.0.1:1/lc/local:1 true
	assert_nothing_left
	run b create --pull missing 127.0.0.1:1/lc/local:1 true
	[ "$status" -eq 0 ]
	run b create --pull never 127.0.0.1:1/lc/local:1 true
	[ "$status" -eq 0 ]
	[ "$(ls "$ROOT/containers" | wc -l)" -eq 2 ]
}

@test "start -i gives a container made with -i our stdin; start -a does not" {
	b create -i --name cat1 busybox cat
	run b start -ai cat1 <<<"through stdin"
	[ "$status" -eq 0 ]
	[ "$output" = "through stdin" ]
	run b start -a cat1 <<<"not this"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	bad 125 'take one container' start -a cat1 cat1
	bad 125 'unknown option `--att`' start --att cat1
}

# attached ARGS…: inspect's Config.AttachStdin, AttachStdout, AttachStderr of a container
attached() {
	b inspect -f '{{.Config.AttachStdin}} {{.Config.AttachStdout}} {{.Config.AttachStderr}}' "$@"
}

@test "create -a: kept for start -a and attach (only those streams, as run -a); inspect's Config" {
	b create --network none --name o1 -a stdout busybox sh -c 'echo o; echo e >&2; exit 3'
	[ "$(attached o1)" = "false true false" ]
	run -3 --separate-stderr b start -a o1
	[ "$output" = o ]
	[ -z "$stderr" ]
	# the other stream goes to the log only
	run -0 --separate-stderr b logs o1
	[ "$output" = o ]
	[ "$stderr" = e ]
	b create --network none --name e1 --attach STDERR busybox sh -c 'echo o; echo e >&2'
	run -0 --separate-stderr b start -a e1
	[ -z "$output" ]
	[ "$stderr" = e ]
	# stdin only when named (and -i)
	b create --network none -i --name i1 -a stdout busybox sh -c 'cat; echo end'
	run -0 b start -ai i1 <<<fed
	[ "$output" = end ]
	b create --network none -i --name i2 -a stdin -a stdout busybox sh -c 'cat; echo end'
	[ "$(attached i2)" = "true true false" ]
	run -0 b start -ai i2 <<<fed
	[ "$output" = "$(printf 'fed\nend')" ]
	# attach to one started detached: its streams only
	b create --network none --name at1 -a stderr busybox sh -c 'i=0; while [ $i -lt 40 ]; do echo line$i; echo err$i >&2; i=$((i+1)); sleep 0.1; done; exit 5'
	b start at1
	run -5 --separate-stderr b attach at1
	[ -z "$output" ]
	[[ "$stderr" == *err39* ]]
	# without -a, Docker's: stdout and stderr, stdin with -i; run -d: none
	b create --network none --name d1 -i busybox true
	[ "$(attached d1)" = "true true true" ]
	b create --network none --name d2 busybox true
	[ "$(attached d2)" = "false true true" ]
	b run -d --network none --name d3 busybox true
	[ "$(attached d3)" = "false false false" ]
	bad 125 'bad -a `stdnull`: expected STDIN, STDOUT or STDERR' create -a stdnull busybox true
	bad 125 'option `--attach` needs a value' create --attach
	[ "$(b ps -aq | wc -l)" -eq 8 ]
}

@test "start of a created container whose command is not found: 127, still Created" {
	b create --name nf busybox /no/such/cmd
	run -127 b start -a nf
	[ "$status" -eq 127 ]
	run -127 b start nf
	[ "$status" -eq 127 ]
	run b ps -a
	[[ "$output" == *"Created"*nf* ]]
}

@test "rm of a created container removes it all; on a network it holds no lease" {
	b network create lc-net
	id=$(b create --name onnet --network lc-net busybox true)
	[ ! -e "$ROOT/networks/leases.json" ] || [ "$(jq --arg id "$id" 'any(.[]; .id == $id)' "$ROOT/networks/leases.json")" = false ]
	[ ! -e "$ROOT/netns/$id" ]
	run b rm onnet
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/containers/$id" ]
	assert_nothing_left
	# started and stopped: rm frees the lease and the netns as well
	id=$(b create --name onnet2 --network lc-net busybox sleep 100)
	b start onnet2
	jqe --arg id "$id" 'any(.[]; .id == $id)' <"$ROOT/networks/leases.json"
	b rm -f onnet2
	run jq --arg id "$id" 'any(.[]; .id == $id)' "$ROOT/networks/leases.json"
	[ "$output" = false ]
	[ ! -e "$ROOT/netns/$id" ]
	# the network has no container left: it goes
	b network rm lc-net
}

# trash_emptied: poll (bounded) until $ROOT/trash/ holds nothing (trash.c's child is done).
trash_emptied() {
	local i
	for i in $(seq 100); do
		[ -n "$(ls -A "$ROOT/trash" 2>/dev/null)" ] || return 0
		sleep 0.1
	done
	ls -lAR "$ROOT/trash"
	return 1
}

@test "rm and run --rm: the record and name go at once, the files from trash/ in the background; one cut short goes with the next" {
	run b run --rm --name tr1 busybox sh -c 'echo x >/tmp/f; exit 4'
	[ "$status" -eq 4 ]
	[ -z "$(ls "$ROOT/containers")" ] || false
	# the name is free again as soon as run returns
	b run --rm --name tr1 busybox true
	id=$(b create --name tr2 busybox true)
	b start -a tr2
	b rm tr2
	[ ! -e "$ROOT/containers/$id" ] || false
	run b ps -a
	[[ "$output" != *tr2* ]] || false
	trash_emptied
	# a removal cut short: the directory renamed into trash/ (so no record), the child that
	# was to remove it killed first; nothing lists it, and the next removal takes it too
	id=$(b create --name tr3 busybox true)
	b start -a tr3
	mv "$ROOT/containers/$id" "$ROOT/trash/$id"
	chmod 000 "$ROOT/trash/$id/upper"
	run b ps -a
	[[ "$output" != *tr3* ]] || false
	b create --name tr3 busybox true
	[ -d "$ROOT/trash/$id" ] || false
	b run --rm busybox true
	trash_emptied
	b rm tr3
	trash_emptied
	[ -z "$(ls "$ROOT/containers")" ] || false
}

# spare_made: poll (bounded) until $ROOT/spare/ holds a spare directory; prints its inode.
spare_made() {
	local i
	for i in $(seq 100); do
		if [ -n "$(ls "$ROOT/spare" 2>/dev/null)" ]; then
			stat -c %i "$ROOT/spare/$(ls "$ROOT/spare")"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

@test "the removal's child makes a spare directory, which the next container gets; a spare cut short goes" {
	local f
	declare -A inos
	b run --rm busybox true
	ino=$(spare_made)
	# with the new container's files, empty, so that no file is made on its way to start
	[ "$(ls "$ROOT/spare/"*)" = "$(printf 'config.json\ncontainer.json\nctr.k8s.log\nhostname\nhosts\nresolv.conf\nrootfs\nupper\nwork')" ]
	for f in config.json container.json ctr.k8s.log hostname hosts resolv.conf; do
		inos[$f]=$(stat -c %i "$ROOT/spare/"*/$f)
		[ ! -s "$ROOT/spare/"*/$f ] || false
	done
	# one that a child cut short left (.new-*, older than a minute)
	mkdir -p "$ROOT/spare/.new-0123456789abcdef/upper"
	touch -d '2 minutes ago' "$ROOT/spare/.new-0123456789abcdef"
	id=$(b create --name sp busybox sh -c 'echo ok >/f; cat /f')
	[ "$(stat -c %i "$ROOT/containers/$id")" = "$ino" ]
	[ "$(stat -c %a "$ROOT/containers/$id")" = 700 ]
	[ -z "$(ls "$ROOT/spare")" ] || false
	# the same files, written in place, whole, with their modes
	for f in config.json container.json ctr.k8s.log hostname hosts resolv.conf; do
		[ "$(stat -c %i "$ROOT/containers/$id/$f")" = "${inos[$f]}" ] || false
	done
	[ "$(jq -r .name "$ROOT/containers/$id/container.json")" = sp ]
	[ "$(jq -r '.process.args[0]' "$ROOT/containers/$id/config.json")" = sh ]
	[ "$(cat "$ROOT/containers/$id/hostname")" = "${id:0:12}" ]
	[ "$(stat -c %a "$ROOT/containers/$id/container.json")" = 600 ]
	[ "$(stat -c %a "$ROOT/containers/$id/config.json")" = 600 ]
	[ "$(stat -c %a "$ROOT/containers/$id/hosts")" = 644 ]
	run b start -a sp
	[ "$output" = ok ]
	b rm sp
	trash_emptied
	spare_made
	[ ! -e "$ROOT/spare/.new-0123456789abcdef" ] || false
	# without a spare, the directory is made
	rm -rf "$ROOT/spare"
	b run --rm busybox true
}

@test "a store removed with rm -rf right after a run: the removal's child makes nothing in it again" {
	local i k
	for i in $(seq 10); do
		b run --rm busybox true
		rm -rf "$ROOT"
		# the child's spare directory, had it made one, would show within this
		for k in $(seq 5); do
			[ ! -e "$ROOT" ] || false
			sleep 0.05
		done
	done
}

# mount_type PATH: the file system type of the mount on PATH, or nothing.
mount_type() {
	awk -v p="$1" '$5 == p { for (i = 7; $i != "-"; i++) {} print $(i + 1) }' /proc/self/mountinfo
}

@test "a --rm container's writable layer is a tmpfs of its own (on disk with -m); diff, cp and a created one's start see it; it goes with the container" {
	echo hello >"$BATS_TEST_TMPDIR/f"
	id=$(b run -d --rm --name tl busybox sleep 100)
	[ "$(mount_type "$ROOT/containers/$id/work")" = tmpfs ]
	run grep -c "upperdir=$ROOT/containers/$id/work/upper,workdir=$ROOT/containers/$id/work/work" /proc/self/mountinfo
	[ "$output" = 1 ]
	b exec tl sh -c 'echo x >/root/f'
	run b diff tl
	[[ "$output" == *"A /root/f"* ]] || false
	b cp "$BATS_TEST_TMPDIR/f" tl:/g
	run b exec tl cat /g
	[ "$output" = hello ]
	[ -z "$(ls "$ROOT/containers/$id/upper")" ] || false
	b rm -f tl
	run ! grep -q "$ROOT/" /proc/self/mountinfo
	# with a memory limit the layer is on disk: what the container writes would count against
	# the limit as memory
	id=$(b run -d --rm -m 64m --name tm busybox sleep 100)
	[ -z "$(mount_type "$ROOT/containers/$id/work")" ] || false
	b exec tm sh -c 'echo x >/root/f'
	[ -f "$ROOT/containers/$id/upper/root/f" ] || false
	b rm -f tm
	# a created --rm container: what cp put in it is there at start (on disk, the work
	# directory a volatile overlay used is taken again)
	b create --rm --name tc busybox cat /g
	b cp "$BATS_TEST_TMPDIR/f" tc:/g
	run b start -a tc
	[ "$output" = hello ]
	b create --rm -m 64m --name tc busybox cat /g
	b cp "$BATS_TEST_TMPDIR/f" tc:/g
	run b start -a tc
	[ "$output" = hello ]
	# a run refused at start leaves no mount
	run -127 b run --rm busybox /nonexistent
	assert_nothing_left
	run ! grep -q "$ROOT/" /proc/self/mountinfo
}

@test "the runtime's state is on a tmpfs, /run/berth/runtime; after a reboot (a new tmpfs) the store is whole" {
	id=$(b create --name rb busybox echo hi)
	target=$(readlink "$ROOT/runtime")
	[[ "$target" == /run/berth/runtime/* ]] || false
	[ "$(stat -f -c %T /run/berth/runtime)" = tmpfs ]
	b run -d --name rd busybox sleep 100
	[ -e "$target/$(b inspect -f '{{.id}}' rd)/state.json" ] || false
	b rm -f rd
	[ "$(cat "$target/.store")" = "$ROOT/runtime" ]
	# the directory of a store removed with rm -rf goes when another store is made; not
	# one made in the last minute, nor one whose store is there
	mkdir -p "$BATS_TEST_TMPDIR/gone/runtime" /run/berth/runtime/0gone"$BATS_TEST_NUMBER"
	echo "$BATS_TEST_TMPDIR/gone/runtime" >/run/berth/runtime/0gone"$BATS_TEST_NUMBER"/.store
	touch -d '2 minutes ago' /run/berth/runtime/0gone"$BATS_TEST_NUMBER" "$target"
	"$BERTH" --root "$BATS_TEST_TMPDIR/new" images >/dev/null
	[ ! -e /run/berth/runtime/0gone"$BATS_TEST_NUMBER" ] || false
	[ -d "$target" ] || false
	rm -rf "$BATS_TEST_TMPDIR/new"
	# a reboot: /run/berth/runtime a new, empty tmpfs (in a mount namespace of our own); the
	# created container is still there and runs, its state on the new tmpfs
	run unshare -m --propagation private sh -c '
		mount -t tmpfs -o mode=0700 tmpfs /run/berth/runtime || exit 8
		[ ! -e "$1/runtime/" ] || exit 9
		"$2" --root "$1" ps -a && "$2" --root "$1" start -a rb &&
			stat -f -c %T "$1/runtime/" && "$2" --root "$1" rm rb' sh "$ROOT" "$BERTH"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *"Created"*rb ]] || false
	[ "${lines[2]}" = hi ]
	[ "${lines[3]}" = tmpfs ]
	[ "${lines[4]}" = rb ]
}

@test "a store moved with mv keeps its runtime state: the sweep of another store's making leaves it, and its use names the new path" {
	b run -d --name mv1 busybox sleep 100
	target=$(readlink "$ROOT/runtime")
	mv "$ROOT" "$BATS_TEST_TMPDIR/moved"
	ROOT=$BATS_TEST_TMPDIR/moved
	# older than a minute, and .store names the old path: another store's making sweeps
	touch -d '2 minutes ago' "$target"
	"$BERTH" --root "$BATS_TEST_TMPDIR/other" images >/dev/null
	rm -rf "$BATS_TEST_TMPDIR/other"
	[ -d "$target" ] || false
	run b exec mv1 echo hi
	[ "$output" = hi ]
	[ "$(cat "$target/.store")" = "$ROOT/runtime" ]
	b rm -f mv1
	# with no container state left a directory whose store is gone is swept as before
	mv "$ROOT" "$BATS_TEST_TMPDIR/gone"
	touch -d '2 minutes ago' "$target"
	"$BERTH" --root "$BATS_TEST_TMPDIR/other" images >/dev/null
	rm -rf "$BATS_TEST_TMPDIR/other"
	[ ! -e "$target" ] || false
	mv "$BATS_TEST_TMPDIR/gone" "$ROOT"
}

@test "an older store's runtime/ on disk: used while it has containers, then replaced by the tmpfs's" {
	b create --name old busybox true
	rm "$ROOT/runtime"
	mkdir -p "$ROOT/runtime/.cache"
	b ps -a >/dev/null
	[ -d "$ROOT/runtime" ] || false
	[ ! -L "$ROOT/runtime" ] || false
	b start -a old
	b rm old
	b ps -a >/dev/null
	[ -L "$ROOT/runtime" ] || false
	[[ "$(readlink "$ROOT/runtime")" == /run/berth/runtime/* ]] || false
	b run --rm busybox true
}

@test "wait prints each exit code: after the exit, 0 for one never started, 125 for none" {
	b run -d --name w1 busybox sh -c 'sleep 1; exit 4'
	b run -d --name w2 busybox sh -c 'exit 5'
	b create --name w3 busybox true
	run --separate-stderr b wait w1 w2 w3
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 4 ]
	[ "${lines[1]}" = 5 ]
	[ "${lines[2]}" = 0 ]
	[ "${#lines[@]}" -eq 3 ]
	bad 125 'no container "nope"' wait w1 nope
	bad 125 'expected NAME' wait
	bad 125 'unknown option `--cond`' wait --cond x w1
}

@test "restart: a running container gets a new process, an exited one runs again" {
	b run -d --name r1 busybox sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
	pid1=$(b inspect r1 | jq .pid)
	run b restart -t 5 r1
	[ "$status" -eq 0 ]
	[ "$output" = r1 ]
	wait_status r1 '^.*Up '
	pid2=$(b inspect r1 | jq .pid)
	[ "$pid2" -gt 0 ]
	[ "$pid1" != "$pid2" ]
	[ ! -e "/proc/$pid1/stat" ] || [ "$(awk '{ print $3 }' "/proc/$pid1/stat")" = Z ]
	b run --name r2 busybox sh -c 'echo ran'
	run b restart r2
	[ "$status" -eq 0 ]
	b wait r2
	run b logs r2
	[ "$output" = "ran
ran" ]
	bad 125 'bad -t `x`' restart -t x r1
	bad 125 'no container "nope"' restart nope
}

@test "pause freezes the container's processes: ps shows (Paused), inspect paused; unpause thaws" {
	id=$(b run -d --name p1 busybox sh -c 'while :; do date +%s%N >/tmp/t; sleep 0.05; done')
	run b pause p1
	[ "$status" -eq 0 ]
	[ "$output" = p1 ]
	[ "$(freezer_state "$id")" = FROZEN ] || [ "$(freezer_state "$id")" = 1 ]
	run b ps
	[[ "$output" == *"Up "*" (Paused)"*p1* ]]
	b inspect p1 | jqe '.state == "paused"'
	# frozen: the file does not change
	t1=$(cat "$ROOT/containers/$id/rootfs/tmp/t")
	sleep 0.3
	[ "$(cat "$ROOT/containers/$id/rootfs/tmp/t")" = "$t1" ]
	bad 125 'container "p1" is already paused' pause p1
	bad 125 'container "p1" is paused (berth unpause it first)' exec p1 true
	run b unpause p1
	[ "$status" -eq 0 ]
	[ "$(freezer_state "$id")" = THAWED ] || [ "$(freezer_state "$id")" = 0 ]
	b inspect p1 | jqe '.state == "running"'
	run b ps
	[[ "$output" != *"(Paused)"* ]]
	bad 125 'container "p1" is not paused' unpause p1
	bad 125 'no container "nope"' pause nope
	b create --name p2 busybox true
	bad 125 'container "p2" is not running' pause p2
}

@test "stop and kill of a paused container work" {
	b run -d --name ps1 busybox sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
	b pause ps1
	run b stop -t 20 ps1
	[ "$status" -eq 0 ]
	run b ps -a
	[[ "$output" == *"Exited (7) "*ps1* ]]
	b run -d --name ps2 busybox sleep 1000
	b pause ps2
	run b kill ps2
	[ "$status" -eq 0 ]
	wait_status ps2 'Exited (137) '
	# rm -f of a paused one too
	b run -d --name ps3 busybox sleep 1000
	b pause ps3
	b rm -f ps3
	assert_nothing_left_of ps3
}

@test "rename: the new name finds it, the old one does not; a taken or bad name is refused" {
	b run -d --name old1 busybox sleep 1000
	b create --name other busybox true
	run b rename old1 new1
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run b ps
	[[ "$output" == *new1* ]]
	[[ "$output" != *old1* ]]
	bad 125 'no container "old1"' stop old1
	run --separate-stderr b inspect old1
	[ "$status" -eq 1 ]
	[ "$stderr" = "berth: inspect: no such object: old1" ]
	b stop -t 1 new1
	b start new1
	b ps | grep -q ' new1$'
	bad 125 'the name "other" is already in use' rename new1 other
	bad 125 'bad name `a/b`' rename new1 a/b
	bad 125 'has that name already' rename new1 new1
	bad 125 'no container "nope"' rename nope x
	bad 125 'expected CONTAINER NEW_NAME' rename new1
	b inspect new1 | jqe '.name == "new1"'
}

@test "top lists the container's processes as the host's ps does, with ps options" {
	b run -d --name t1 busybox sh -c 'sleep 1000 & sleep 1001'
	pid=$(b inspect t1 | jq .pid)
	for i in $(seq 100); do b top t1 | grep -q 'sleep 1000' && break; sleep 0.1; done
	run b top t1
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID*CMD* ]]
	[[ "$output" == *"sleep 1000"* ]]
	[[ "$output" == *"sleep 1001"* ]]
	# one line per process of its cgroup, no other
	[ "${#lines[@]}" -eq $(($(cat_procs "$(b inspect t1 | jq -r .id)" | wc -l) + 1)) ]
	[[ "$output" != *"$BERTH"* ]]
	run b top t1 -o pid,comm
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID*COMMAND* ]]
	[[ "${lines[1]}" == *"$pid "*sleep* ]] || [[ "${lines[2]}" == *"$pid "*sleep* ]]
	bad 125 'no PID column' top t1 -o comm
	b create --name t2 busybox true
	bad 125 'container "t2" is not running' top t2
	bad 125 'no container "nope"' top nope
	bad 125 'expected NAME' top
}

# wait_inspect NAME JQ: poll (bounded) until inspect NAME satisfies JQ.
wait_inspect() {
	local i
	for i in $(seq 300); do
		b inspect "$1" 2>/dev/null | jqe "$2" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	b inspect "$1"
	return 1
}

@test "--restart on-failure:N: restarted N times after failing, restart_count in inspect" {
	b run -d --name rf --restart on-failure:2 busybox sh -c 'echo once; exit 3'
	wait_inspect rf '.state == "exited"'
	b inspect rf | jqe '.restart_count == 2 and .exit_code == 3'
	b inspect rf | jqe '.restart_policy == {"name": "on-failure", "maximum_retry_count": 2}'
	run b logs rf
	[ "$output" = "once
once
once" ]
	run b wait rf
	[ "$output" = 3 ]
	# a success is not a failure: not restarted
	b run -d --name rok --restart on-failure busybox true
	wait_inspect rok '.state == "exited"'
	b inspect rok | jqe '.restart_count == 0 and .exit_code == 0'
}

@test "--restart always: restarted after every exit until stop or kill, which end it for good" {
	b run -d --name ra --restart always busybox sh -c 'echo up; sleep 0.2'
	wait_inspect ra '.restart_count >= 2'
	mon=$(jq -r .monitor_pid "$ROOT/containers/$(b inspect ra | jq -r .id)/container.json")
	run b stop -t 5 ra
	[ "$status" -eq 0 ]
	# its monitor is gone: nothing is left to restart it
	for i in $(seq 100); do [ -e "/proc/$mon" ] || break; sleep 0.1; done
	[ ! -e "/proc/$mon" ]
	b inspect ra | jqe '.state == "exited"'
	# started again it restarts again; kill ends it too
	b start ra
	wait_inspect ra '.restart_count >= 3'
	mon=$(jq -r .monitor_pid "$ROOT/containers/$(b inspect ra | jq -r .id)/container.json")
	b kill ra
	for i in $(seq 100); do [ -e "/proc/$mon" ] || break; sleep 0.1; done
	[ ! -e "/proc/$mon" ]
	b inspect ra | jqe '.state == "exited"'
	# and rm -f of one that restarts leaves nothing
	b run -d --name ra2 --restart unless-stopped busybox sh -c 'sleep 0.1'
	wait_inspect ra2 '.restart_count >= 1'
	b rm -f ra2
	b rm ra
	assert_nothing_left
}

@test "--restart: a bad policy, or with --rm, is one line, exit 125, nothing left" {
	bad 125 'bad --restart `sometimes`' run -d --restart sometimes busybox true
	bad 125 'bad --restart `on-failure:x`' create --restart on-failure:x busybox true
	bad 125 'bad --restart `always:1`' run --restart always:1 busybox true
	bad 125 '--restart `always` and --rm conflict' run --rm -d --restart always busybox true
	bad 125 'option `--restart` needs a value' create --restart
	assert_nothing_left
	# no: as without the option
	b create --name rno --restart no busybox true
	b inspect rno | jqe '.restart_policy == null'
}

@test "attach: the output of a detached container, stdout and stderr apart; its exit status" {
	b run -d --name a1 busybox sh -c 'i=0; while [ $i -lt 40 ]; do echo line$i; echo err$i >&2; i=$((i+1)); sleep 0.1; done; exit 5'
	run --separate-stderr b attach a1
	[ "$status" -eq 5 ]
	[[ "$output" == *line39* ]]
	[[ "$output" != *err* ]]
	[[ "$stderr" == *err39* ]]
	[[ "$stderr" != *line* ]]
	[ ! -e "$ROOT/containers/$(b inspect a1 | jq -r .id)/attach.sock" ]
	bad 125 'container "a1" is not running' attach a1
	bad 125 'no container "nope"' attach nope
	bad 125 'bad --sig-proxy `maybe`' attach --sig-proxy=maybe a1
	bad 125 'bad --detach-keys `ctrl-`' attach --detach-keys ctrl- a1
	bad 125 'expected one NAME' attach
}

@test "attach: our stdin to a container made with -i; --no-stdin keeps it" {
	b run -d -i --name a2 busybox sh -c 'read l; echo got:$l; exit 3'
	run b attach a2 <<<hello
	[ "$status" -eq 3 ]
	[ "$output" = got:hello ]
	b run -d -i --name a3 busybox sh -c 'trap "exit 0" TERM; while :; do read -t 1 l && echo got:$l; done'
	"$BERTH" --root "$ROOT" attach --no-stdin a3 <<<hello >"$BATS_TEST_TMPDIR/a3.out" &
	apid=$!
	sleep 1
	b stop -t 5 a3
	st=0
	wait_pid "$apid" || st=$?
	[ "$st" -eq 0 ]
	[ ! -s "$BATS_TEST_TMPDIR/a3.out" ]
}

@test "attach: the signals berth gets go to the container (--sig-proxy)" {
	b run -d --name a5 busybox sh -c 'trap "echo got-term; exit 9" TERM; while :; do sleep 0.1; done'
	"$BERTH" --root "$ROOT" attach a5 >"$BATS_TEST_TMPDIR/a5.out" &
	apid=$!
	# once attach blocks SIGTERM (to forward it), send it one
	for i in $(seq 100); do
		blk=$(awk '/^SigBlk:/ { print $2 }' "/proc/$apid/status" 2>/dev/null)
		[ -n "$blk" ] && (((16#$blk >> 14) & 1)) && break
		sleep 0.1
	done
	kill -TERM "$apid"
	st=0
	wait_pid "$apid" || st=$?
	[ "$st" -eq 9 ]
	[ "$(cat "$BATS_TEST_TMPDIR/a5.out")" = got-term ]
}

@test "attach with a terminal: input and output through it, ctrl-p ctrl-q detaches and leaves it running" {
	b run -d -i -t --name a4 busybox sh
	run ptydrive --send 'echo hi-$((1+2))\r' --expect hi-3 --send '\x10\x11' \
		--expect "read escape sequence" -- "$BERTH" --root "$ROOT" attach a4
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"status 0"* ]]
	b ps | grep -q ' a4$'
}
