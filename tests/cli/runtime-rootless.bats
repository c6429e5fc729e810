#!/usr/bin/env bats
# berth-runtime run by an ordinary user (rootless), and idmapped mounts. setup_file makes a
# user of its own (useradd, with a range in /etc/subuid and /etc/subgid) and teardown_file
# removes it; the tests run the runtime as that user with setpriv.
load helpers

setup_file() {
	export RL_USER=berthrl$$
	rootless_user_add "$RL_USER" /nonexistent 400000
	RL_TOP=$(mktemp -d /tmp/berth-rootless.XXXXXX)
	export RL_TOP
	chmod 755 "$RL_TOP"
	make_base_rootfs "$RL_TOP/base"
	chown -R "$RL_USER:$RL_USER" "$RL_TOP/base"
}

teardown_file() {
	rootless_user_del "$RL_USER"
	rm -rf "$RL_TOP"
}

setup() {
	XDG=$RL_TOP/xdg-$BATS_TEST_NUMBER
	mkdir -p "$XDG"
	chown "$RL_USER:$RL_USER" "$XDG"
	chmod 700 "$XDG"
	BUNDLE=$RL_TOP/bundle-$BATS_TEST_NUMBER
	ID=rl-$BATS_TEST_NUMBER
	USER_PATH=/usr/local/bin:/usr/bin:/bin
}

teardown() {
	local id
	for id in $(as_user "$RUNTIME" list -q 2>/dev/null); do
		as_user "$RUNTIME" delete --force "$id" >/dev/null 2>&1 || true
	done
}

# as_user CMD…: CMD as the test's user, with its own XDG_RUNTIME_DIR and PATH=$USER_PATH.
as_user() {
	setpriv --reuid "$RL_USER" --regid "$RL_USER" --init-groups \
		env -i PATH="$USER_PATH" HOME=/ XDG_RUNTIME_DIR="$XDG" "$@"
}

# rootless_bundle CMD…: a bundle the user owns, from `spec --rootless` run as the user.
rootless_bundle() {
	rm -rf "$BUNDLE"
	mkdir -p "$BUNDLE"
	cp -a "$RL_TOP/base" "$BUNDLE/rootfs"
	chown "$RL_USER:$RL_USER" "$BUNDLE"
	as_user "$RUNTIME" spec --rootless --bundle "$BUNDLE"
	local args
	args=$(printf '%s\n' "$@" | jq -R . | jq -s -c .)
	cfg_set "$BUNDLE" ".process.terminal = false | .root.readonly = false | .process.args = $args"
}

# Ids 0 (the user) and 1-65536 (its range) in the container.
map_ranges() {
	cfg_set "$BUNDLE" ".linux.uidMappings = [{\"containerID\": 0, \"hostID\": $RL_UID, \"size\": 1}, {\"containerID\": 1, \"hostID\": $RL_SUBUID, \"size\": 65536}] | .linux.gidMappings = [{\"containerID\": 0, \"hostID\": $RL_GID, \"size\": 1}, {\"containerID\": 1, \"hostID\": $RL_SUBGID, \"size\": 65536}]"
}

# Nothing of the user's is left: no state, no process (a zombie waiting for a reaper that is
# not ours does not count).
assert_nothing_left() {
	local left
	left=$(ls -A "$XDG/berth-runtime" 2>/dev/null || true)
	[ -z "$left" ] || { echo "state left behind: $left"; return 1; }
	left=$(ps -o pid=,stat=,args= -u "$RL_UID" | awk '$2 !~ /^Z/' || true)
	[ -z "$left" ] || { echo "processes left behind: $left"; return 1; }
}

# `run as_user $RUNTIME create …` with the output through a file: a create that wrongly
# succeeds leaves an init holding its stdout, which would keep `run` waiting for ever.
create_as_user() {
	local f=$BATS_TEST_TMPDIR/create.out
	status=0
	as_user "$RUNTIME" create --bundle "$BUNDLE" "$ID" >"$f" 2>&1 </dev/null || status=$?
	output=$(cat "$f")
	mapfile -t lines <"$f"
}

# refused_as_user MESSAGE: create as the user fails with one line containing MESSAGE.
refused_as_user() {
	create_as_user
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"$1"* ]]
	assert_nothing_left
}

@test "rootless: spec --rootless maps the caller's own uid and gid" {
	rootless_bundle true
	jqe ".linux.uidMappings == [{\"containerID\": 0, \"hostID\": $RL_UID, \"size\": 1}]" <"$BUNDLE/config.json"
	jqe ".linux.gidMappings == [{\"containerID\": 0, \"hostID\": $RL_GID, \"size\": 1}]" <"$BUNDLE/config.json"
	jqe '.linux.namespaces | map(.type) | index("user") and (index("network") | not)' <"$BUNDLE/config.json"
}

@test "rootless: run is root inside, the user outside, with its state under XDG_RUNTIME_DIR and no cgroup" {
	rootless_bundle sh -c 'id -u; id -g; cat /proc/self/uid_map; cat /proc/self/setgroups; stat -c %u /proc/1'
	run as_user "$RUNTIME" --debug run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"no cgroup delegated to uid $RL_UID: the container runs without one"* ]]
	run as_user "$RUNTIME" run --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[[ "${lines[2]}" =~ ^\ +0\ +$RL_UID\ +1$ ]] || false
	[ "${lines[3]}" = deny ]
	[ "${lines[4]}" = 0 ]
	# the default state root of an ordinary user, made by and for it
	[ "$(stat -c %U "$XDG/berth-runtime")" = "$RL_USER" ]
	assert_nothing_left
}

@test "rootless: create, state, exec, start, kill, delete with the user's subuid range" {
	rootless_bundle sleep 1000
	map_ranges
	as_user "$RUNTIME" create --bundle "$BUNDLE" "$ID"
	run as_user "$RUNTIME" state "$ID"
	echo "$output" | jqe '.status == "created"'
	pid=$(echo "$output" | jq -r .pid)
	[ "$pid" -gt 0 ]
	# the container's root is the user on the host
	[ "$(stat -c %u "/proc/$pid")" = "$RL_UID" ]
	[ -d "$XDG/berth-runtime/$ID" ]
	run as_user "$RUNTIME" exec "$ID" cat /proc/self/uid_map /proc/self/gid_map
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" =~ ^\ +1\ +$RL_SUBUID\ +65536$ ]] || false
	[[ "${lines[3]}" =~ ^\ +1\ +$RL_SUBGID\ +65536$ ]] || false
	# an id of the range: the container's uid 1000 is the range's 1000th on the host
	run as_user "$RUNTIME" exec -u 1000:1000 "$ID" sh -c 'id -u; id -g'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	as_user "$RUNTIME" start "$ID"
	as_user "$RUNTIME" state "$ID" | jqe '.status == "running"'
	run as_user "$RUNTIME" list -q
	[ "$output" = "$ID" ]
	as_user "$RUNTIME" state "$ID" | jqe ".owner == \"$RL_USER\""
	as_user "$RUNTIME" kill "$ID" KILL
	for _ in $(seq 100); do
		as_user "$RUNTIME" state "$ID" | jqe '.status == "stopped"' >/dev/null && break
		sleep 0.1
	done
	as_user "$RUNTIME" state "$ID" | jqe '.status == "stopped"'
	as_user "$RUNTIME" delete "$ID"
	run as_user "$RUNTIME" state "$ID"
	[ "$status" -ne 0 ]
	assert_nothing_left
}

@test "rootless: run -d and delete --force; files made on a bind belong to the user and its range" {
	rootless_bundle sh -c 'touch /vol/by-root; touch /vol/by-1000; chown 1000:1000 /vol/by-1000; touch /vol/done; sleep 1000'
	map_ranges
	cfg_set "$BUNDLE" '.process.capabilities |= with_entries(.value += ["CAP_CHOWN"])'
	mkdir -p "$RL_TOP/vol-$BATS_TEST_NUMBER"
	chown "$RL_USER:$RL_USER" "$RL_TOP/vol-$BATS_TEST_NUMBER"
	cfg_set "$BUNDLE" ".mounts += [{\"destination\": \"/vol\", \"type\": \"bind\", \"source\": \"$RL_TOP/vol-$BATS_TEST_NUMBER\", \"options\": [\"rbind\"]}]"
	as_user "$RUNTIME" run -d --bundle "$BUNDLE" "$ID"
	# (done: after the chown, which a test of by-1000 alone could see before)
	for _ in $(seq 100); do
		[ -e "$RL_TOP/vol-$BATS_TEST_NUMBER/done" ] && break
		sleep 0.1
	done
	[ "$(stat -c %u:%g "$RL_TOP/vol-$BATS_TEST_NUMBER/by-root")" = "$RL_UID:$RL_GID" ]
	[ "$(stat -c %u:%g "$RL_TOP/vol-$BATS_TEST_NUMBER/by-1000")" = "$((RL_SUBUID + 999)):$((RL_SUBGID + 999))" ]
	as_user "$RUNTIME" delete --force "$ID"
	assert_nothing_left
}

@test "rootless: without a cgroup, pause, ps, events --stats and update say so in one line" {
	rootless_bundle sleep 1000
	as_user "$RUNTIME" run -d --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	for c in pause ps "events --stats" "update --memory 10M"; do
		# shellcheck disable=SC2086 # the command's words
		run as_user "$RUNTIME" $c "$ID"
		echo "$c: $output"
		[ "$status" -ne 0 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"container \`$ID\` has no cgroup"* ]]
	done
	as_user "$RUNTIME" state "$ID" | jqe '.status == "running"'
	as_user "$RUNTIME" kill --all "$ID" KILL
	as_user "$RUNTIME" delete --force "$ID"
	assert_nothing_left
}

@test "rootless: limits that need privileges are refused with one line, nothing left behind" {
	rootless_bundle true
	cfg_set "$BUNDLE" '.linux.resources = {"memory": {"limit": 67108864}}'
	refused_as_user "config.json: linux.resources.memory: needs a cgroup delegated to uid $RL_UID, and there is none"
	rootless_bundle true
	cfg_set "$BUNDLE" '.linux.resources = {"pids": {"limit": 10}}'
	refused_as_user "config.json: linux.resources.pids: needs a cgroup delegated"
	rootless_bundle true
	cur=$(cat /proc/self/oom_score_adj)
	[ "$cur" -gt -1000 ]
	cfg_set "$BUNDLE" ".process.oomScoreAdj = $((cur - 1))"
	refused_as_user "config.json: process.oomScoreAdj: $((cur - 1)) is below the caller's $cur; lowering it needs privileges uid $RL_UID lacks"
	rootless_bundle true
	hard=$(ulimit -Hn)
	cfg_set "$BUNDLE" ".process.rlimits = [{\"type\": \"RLIMIT_NOFILE\", \"hard\": $((hard + 1)), \"soft\": 1024}]"
	refused_as_user "config.json: process.rlimits[0]: hard limit of RLIMIT_NOFILE above the caller's $hard"
	# an ordinary user needs a user namespace with mappings
	rootless_bundle true
	cfg_set "$BUNDLE" '.linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings, .linux.gidMappings)'
	refused_as_user "config.json: linux.namespaces: run by uid $RL_UID (not root), the container needs a user namespace"
}

@test "rootless: mappings outside the user's ranges, overlapping or too long are refused with one line" {
	rootless_bundle true
	map_ranges
	cfg_set "$BUNDLE" ".linux.uidMappings[1].hostID = $((RL_SUBUID + 1))"
	refused_as_user "config.json: linux.uidMappings[1]: host ids $((RL_SUBUID + 1))-$((RL_SUBUID + 65536)) are not within your own id $RL_UID or your range in /etc/subuid (first: $RL_SUBUID-$((RL_SUBUID + 65535)))"
	map_ranges
	cfg_set "$BUNDLE" '.linux.gidMappings[1].size = 65537'
	refused_as_user "config.json: linux.gidMappings[1]: host ids $RL_SUBGID-$((RL_SUBGID + 65536)) are not within your own id $RL_GID"
	map_ranges
	cfg_set "$BUNDLE" '.linux.uidMappings[1].containerID = 0'
	refused_as_user "config.json: linux.uidMappings[1]: container ids 0-65535 overlap those of config.json: linux.uidMappings[0]"
	map_ranges
	cfg_set "$BUNDLE" ".linux.gidMappings[0].hostID = $RL_SUBGID"
	refused_as_user "config.json: linux.gidMappings[1]: host ids $RL_SUBGID-$((RL_SUBGID + 65535)) overlap those of config.json: linux.gidMappings[0]"
	# someone else's id
	map_ranges
	cfg_set "$BUNDLE" '.linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]'
	refused_as_user "config.json: linux.uidMappings[0]: host ids 0-0 are not within your own id $RL_UID"
}

@test "rootless: no subuid range for the user is refused with one line" {
	rootless_bundle true
	map_ranges
	cp /etc/subuid "$RL_TOP/subuid.saved"
	sed -i "/^$RL_USER:/d" /etc/subuid
	create_as_user
	# put it back before asserting anything
	grep "^$RL_USER:" "$RL_TOP/subuid.saved" >>/etc/subuid
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"config.json: linux.uidMappings[1]: host ids $RL_SUBUID-$((RL_SUBUID + 65535)) are not yours to map: /etc/subuid has no range for you (only your own id $RL_UID can be mapped)"* ]]
	assert_nothing_left
}

@test "rootless: newuidmap missing or not setuid is refused with one line" {
	rootless_bundle true
	map_ranges
	USER_PATH=$RL_TOP/empty-bin
	mkdir -p "$USER_PATH"
	refused_as_user "config.json: linux.uidMappings: mapping more than your own id needs newuidmap (Debian package uidmap): not found in PATH"
	USER_PATH=$RL_TOP/plain-bin:/usr/bin:/bin
	mkdir -p "$RL_TOP/plain-bin"
	cp /usr/bin/newuidmap "$RL_TOP/plain-bin/newuidmap"
	chmod 0755 "$RL_TOP/plain-bin/newuidmap"
	refused_as_user "config.json: linux.uidMappings: \`$RL_TOP/plain-bin/newuidmap\` is not setuid root (nor has file capabilities): it cannot map other ids"
	# the caller's own id alone needs no helper
	rootless_bundle true
	USER_PATH=$RL_TOP/empty-bin
	as_user "$RUNTIME" run --bundle "$BUNDLE" "$ID"
	assert_nothing_left
}

@test "rootless: an idmapped bind of a host file system is refused naming the file system" {
	rootless_bundle true
	mkdir -p "$RL_TOP/idsrc-$BATS_TEST_NUMBER"
	fs=$(stat -f -c %T "$RL_TOP/idsrc-$BATS_TEST_NUMBER")
	cfg_set "$BUNDLE" ".mounts += [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$RL_TOP/idsrc-$BATS_TEST_NUMBER\", \"options\": [\"bind\", \"idmap\"], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 0, \"size\": 1}], \"gidMappings\": [{\"containerID\": 0, \"hostID\": 0, \"size\": 1}]}]"
	run as_user "$RUNTIME" run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"idmap \`$RL_TOP/idsrc-$BATS_TEST_NUMBER\` (for \`/data\`): the ${fs/ext2\/ext3/ext4} file system of the source belongs to another user namespace (the host's)"* ]]
	assert_nothing_left
}

@test "idmapped binds show host files owned by the mapped ids inside, with and without a user namespace" {
	src=$RL_TOP/idmap-$BATS_TEST_NUMBER
	mkdir -p "$src"
	echo root >"$src/by-root"
	echo other >"$src/by-1234"
	chown 1234:4321 "$src/by-1234"
	# no user namespace: on-disk 0 shows as 5000, on-disk 1234 as 6000 (gid 4321 as 7000)
	STATE_ROOT=$RL_TOP/state-$BATS_TEST_NUMBER
	make_bundle "$BUNDLE" sh -c 'stat -c %u:%g /data/by-root /data/by-1234'
	cfg_set "$BUNDLE" ".mounts += [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$src\", \"options\": [\"bind\", \"idmap\"], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 5000, \"size\": 1}, {\"containerID\": 1234, \"hostID\": 6000, \"size\": 1}], \"gidMappings\": [{\"containerID\": 0, \"hostID\": 5000, \"size\": 1}, {\"containerID\": 4321, \"hostID\": 7000, \"size\": 1}]}]"
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 5000:5000 ]
	[ "${lines[1]}" = 6000:7000 ]
	# a user namespace mapping 0-65535 to 100000-165535, and the bind's hostIDs the host's:
	# on-disk 0 becomes host 100000, which is the container's 0
	rm -rf "$BUNDLE"
	make_userns_bundle "$RL_TOP" sh -c 'stat -c %u:%g /data/by-root /data/by-1234; touch /data/new'
	cfg_set "$BUNDLE" ".mounts += [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$src\", \"options\": [\"bind\", \"idmap\"], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}], \"gidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}]}]"
	run rt run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0:0 ]
	[ "${lines[1]}" = 1234:4321 ]
	# what the container's root makes is root's on disk
	[ "$(stat -c %u:%g "$src/new")" = 0:0 ]
	rm -rf "$RL_TOP/bundle"
}

@test "root in an ordinary user's user namespace (as rootless Podman runs it): state under XDG_RUNTIME_DIR, no cgroup" {
	rootless_bundle sh -c 'id -u; cat /proc/self/uid_map'
	# the caller's namespace is the container's: no user namespace of its own
	cfg_set "$BUNDLE" '.linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings, .linux.gidMappings)'
	run as_user unshare --user --map-root-user "$RUNTIME" --debug run --bundle "$BUNDLE" "$ID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"no cgroup delegated to uid 0: the container runs without one"* ]]
	[[ "$output" =~ \ +0\ +$RL_UID\ +1 ]] || false
	[ -d "$XDG/berth-runtime" ]
	assert_nothing_left
}

# podman_user ARG…: podman as the test's user, with a private configuration and store under
# $RL_TOP/podman (podman_config makes them).
podman_user() {
	local pm=$RL_TOP/podman
	as_user CONTAINERS_CONF="$pm/containers.conf" CONTAINERS_STORAGE_CONF="$pm/storage.conf" \
		HOME="$pm/home" podman "$@"
}

podman_config() {
	local pm=$RL_TOP/podman
	mkdir -p "$pm/root" "$pm/runroot" "$pm/tmp" "$pm/home"
	printf '%s\n' '[containers]' 'netns = "none"' 'default_ulimits = []' 'log_driver = "k8s-file"' \
		'[engine]' 'cgroup_manager = "cgroupfs"' 'events_logger = "file"' \
		"events_logfile_path = \"$pm/events.log\"" "tmp_dir = \"$pm/tmp\"" 'runtime = "berth"' \
		'conmon_path = ["/usr/bin/conmon"]' '[engine.runtimes]' "berth = [\"$RUNTIME\"]" \
		>"$pm/containers.conf"
	printf '%s\n' '[storage]' 'driver = "vfs"' "graphroot = \"$pm/root\"" "runroot = \"$pm/runroot\"" \
		>"$pm/storage.conf"
	chown -R "$RL_USER:$RL_USER" "$pm"
}

@test "rootless Podman runs containers with berth-runtime" {
	podman_config
	tar -C "$RL_TOP/base" -c . | podman_user import --change 'CMD ["/bin/sh"]' - localhost/berth-rl:test >/dev/null
	run podman_user run --rm localhost/berth-rl:test sh -c 'id -u; cat /proc/self/uid_map'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" =~ ^\ +0\ +$RL_UID\ +1$ ]] || false
	[[ "${lines[2]}" =~ ^\ +1\ +$RL_SUBUID\ +65536$ ]] || false
	podman_user run -d --name rl-pm localhost/berth-rl:test sh -c 'echo hello; sleep 1000' </dev/null >/dev/null
	run podman_user exec rl-pm sh -c 'echo exec-ok; id -u'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = exec-ok ]
	[ "${lines[1]}" = 0 ]
	run podman_user logs rl-pm
	[ "$output" = hello ]
	podman_user stop -t 0 rl-pm >/dev/null
	podman_user rm rl-pm >/dev/null
	run podman_user run --rm --user 1000:1000 localhost/berth-rl:test id -u
	[ "$output" = 1000 ]
	# berth-runtime kept its state where runc would, and left none behind (but its cache of
	# compiled seccomp filters, .cache: Podman gives every container its profile)
	[ -d "$XDG/berth-runtime" ]
	run ls -A --ignore=.cache "$XDG/berth-runtime"
	[ -z "$output" ]
	podman_user rmi -a -f >/dev/null
}

@test "features reports idmapped mounts and what an ordinary user gets" {
	run "$RUNTIME" features
	[ "$status" -eq 0 ]
	echo "$output" | jqe '.linux.mountExtensions.idmap.enabled == true'
	echo "$output" | jqe '.annotations["org.berth.runtime.rootless"] == "enabled"'
	echo "$output" | jqe '.annotations["org.berth.runtime.rootless.newuidmap"] == "/usr/bin/newuidmap"'
	USER_PATH=$RL_TOP/empty-bin
	mkdir -p "$USER_PATH"
	run as_user "$RUNTIME" features
	[ "$status" -eq 0 ]
	echo "$output" | jqe '.annotations["org.berth.runtime.rootless.newgidmap"] == "missing"'
}
