#!/usr/bin/env bats
# Docker's housekeeping commands (issue 17): container prune, image prune, image history,
# system df, system prune, info, and the `container …` / `image …` management forms.
load helpers
load engine-helpers
bats_require_minimum_version 1.5.0

# image_with_history NAME: busybox with a history in its config, imported as NAME: its
# layer's entry (2020-01-01) and an empty CMD entry (2020-01-02) with a long CREATED BY and
# a comment.
image_with_history() {
	local d
	d=$(mktemp -d "$BATS_TEST_TMPDIR/hist.XXXXXX")
	mkdir -p "$d/x"
	b image export busybox "$d/src.tar"
	tar -C "$d/x" -xf "$d/src.tar"
	python3 - "$d/x" <<-'P'
	import hashlib, json, os, sys
	d = sys.argv[1]
	blob = lambda h: os.path.join(d, 'blobs/sha256', h)
	def put(data):
	    h = hashlib.sha256(data).hexdigest()
	    open(blob(h), 'wb').write(data)
	    return {'digest': 'sha256:' + h, 'size': len(data)}
	idx = json.load(open(os.path.join(d, 'index.json')))
	m = json.load(open(blob(idx['manifests'][0]['digest'][7:])))
	c = json.load(open(blob(m['config']['digest'][7:])))
	c['history'] = [
	    {'created': '2020-01-01T00:00:00Z', 'created_by': '/bin/sh -c #(nop) ADD file:abc in / '},
	    {'created': '2020-01-02T00:00:00Z',
	     'created_by': '/bin/sh -c #(nop)  CMD ["sh"] and a tail to pass forty-five characters',
	     'comment': 'the comment', 'empty_layer': True}]
	m['config'].update(put(json.dumps(c).encode()))
	idx['manifests'][0].update(put(json.dumps(m).encode()))
	idx['manifests'][0].pop('annotations', None)
	json.dump(idx, open(os.path.join(d, 'index.json'), 'w'))
	P
	tar -C "$d/x" -cf "$d/out.tar" .
	b image import "$d/out.tar" "$1"
}

# dangling_image: a one-layer image of a 1000-byte file, imported without a name; its id
dangling_image() {
	local d
	d=$(mktemp -d "$BATS_TEST_TMPDIR/dangle.XXXXXX")
	mkdir "$d/rootfs"
	head -c 1000 /dev/urandom >"$d/rootfs/file"
	tar -C "$d/rootfs" -cf "$d/rootfs.tar" .
	b image import "$d/rootfs.tar" >/dev/null
	b images --format json | jq -r '.[] | select(.name == null) | .id'
}

# prune_refused CMD…: without -f and with nothing on stdin, the question is one line on stderr
# and the answer no: status 125, nothing on stdout
prune_refused() {
	run --separate-stderr b "$@" </dev/null
	echo "status=$status stdout=$output stderr=$stderr"
	[ "$status" -eq 125 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "WARNING! This will remove "*". Are you sure you want to continue? [y/N] nothing removed (-f skips this question)" ]]
}

@test "container prune: removes created and exited containers, not running ones; asks first" {
	local c1 c2 c3
	c1=$(b create --name p1 busybox true)
	c2=$(b create --name p2 busybox true)
	b start -a p2
	c3=$(b run -d --name p3 busybox sleep 1000)
	prune_refused container prune
	[[ "$stderr" == *"all stopped containers"* ]]
	run -0 b ps -a --format '{{.id}}'
	[ "${#lines[@]}" -eq 3 ]
	run --separate-stderr b container prune <<<n
	[ "$status" -eq 125 ]
	run -0 b ps -a --format '{{.id}}'
	[ "${#lines[@]}" -eq 3 ]
	run -0 b container prune -f
	echo "$output"
	[ "${lines[0]}" = "Deleted Containers:" ]
	[ "$(grep -cx "$c1" <<<"$output")" -eq 1 ]
	[ "$(grep -cx "$c2" <<<"$output")" -eq 1 ]
	[ "$(grep -c "$c3" <<<"$output")" -eq 0 ]
	[[ "${lines[-1]}" =~ ^Total\ reclaimed\ space:\ [0-9.]+k?B$ ]]
	run -0 b ps -a --format '{{.id}}'
	[ "$output" = "$c3" ]
	[ ! -e "$ROOT/containers/$c1" ]
	# nothing left to prune; y on stdin answers the question
	run -0 --separate-stderr b container prune <<<y
	[ "$output" = "Total reclaimed space: 0B" ]
	bad 125 'unknown option `--bogus` (berth container prune --help)' container prune --bogus
	bad 125 'unexpected argument `x`' container prune -f x
	run -0 b ps -a --format '{{.id}}'
	[ "$output" = "$c3" ]
	b rm -f p3
}

@test "image prune: the dangling images, with -a every image no container uses (busybox too)" {
	local dang id
	dang=$(dangling_image)
	[ -n "$dang" ]
	image_with_history used:1
	id=$(b create --name u1 used:1 true)
	prune_refused image prune
	[[ "$stderr" == *"all dangling images"* ]]
	prune_refused image prune -a
	[[ "$stderr" == *"all images without at least one container associated to them"* ]]
	run -0 b images --format json
	[ "$(jq length <<<"$output")" -eq 3 ]
	run -0 b image prune -f
	echo "$output"
	[ "${lines[0]}" = "Deleted Images:" ]
	[ "${lines[1]}" = "deleted: sha256:$dang" ]
	[ "${lines[-1]}" = "Total reclaimed space: 1kB" ]
	run -0 b images --format json
	[ "$(jq '[.[] | select(.name == null)] | length' <<<"$output")" -eq 0 ]
	[ "$(jq length <<<"$output")" -eq 2 ]
	# -a: busybox goes (no container uses it), used:1 stays
	run -0 b image prune -a -f
	echo "$output"
	[ "$(grep -cx 'untagged: busybox:latest' <<<"$output")" -eq 1 ]
	[ "$(grep -c 'used:1' <<<"$output")" -eq 0 ]
	run -0 b images --format json
	[ "$(jq -r '.[].name' <<<"$output")" = used:1 ]
	bad 125 'unknown option `--bogus` (berth image prune --help)' image prune --bogus
	bad 125 'unexpected argument `x`' image prune -f x
	b rm u1
}

@test "image history: Docker's columns from the config's history, newest first; -q, --no-trunc, json" {
	local id
	image_with_history hist:1
	id=$(b images --format json | jq -r '.[] | select(.name == "hist:1") | .id')
	run -0 b image history hist:1
	echo "$output"
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" =~ ^IMAGE\ +CREATED\ +CREATED\ BY\ +SIZE\ +COMMENT$ ]]
	[[ "${lines[1]}" =~ ^${id:0:12}\ +[0-9]+\ years\ ago\ +/bin/sh\ -c\ \#\(nop\)\ \ CMD\ \[\"sh\"\]\ and\ a\ tail\ to\ …\ +0B\ +the\ comment$ ]]
	[[ "${lines[2]}" =~ ^\<missing\>\ +[0-9]+\ years\ ago\ +/bin/sh\ -c\ \#\(nop\)\ ADD\ file:abc\ in\ /\ +[0-9.]+MB\ +$ ]]
	run -0 b image history --no-trunc hist:1
	[[ "${lines[1]}" == "sha256:$id "*'CMD ["sh"] and a tail to pass forty-five characters '* ]]
	run -0 b image history -q hist:1
	[ "${lines[0]}" = "${id:0:12}" ]
	[ "${lines[1]}" = "<missing>" ]
	[ "${#lines[@]}" -eq 2 ]
	run -0 b image history --format json hist:1
	[ "$(jq length <<<"$output")" -eq 2 ]
	[ "$(jq -r '.[0].id' <<<"$output")" = "$id" ]
	[ "$(jq -r '.[1].id' <<<"$output")" = null ]
	[ "$(jq -r '.[0].comment' <<<"$output")" = "the comment" ]
	[ "$(jq -r '.[0].size' <<<"$output")" -eq 0 ]
	[ "$(jq -r '.[1].size' <<<"$output")" -gt 1000000 ]
	[ "$(jq -r '.[1].created' <<<"$output")" = 2020-01-01T00:00:00Z ]
	run -0 b image history --format '{{.created_by}}' hist:1
	[ "${lines[1]}" = "/bin/sh -c #(nop) ADD file:abc in / " ]
	# no history: a row for the layer
	run -0 b image history busybox
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" =~ ^[0-9a-f]{12}\ .*\ [0-9.]+MB\ +$ ]]
	bad 125 'image "nope" not found' image history nope
	bad 125 'expected one IMAGE' image history
	bad 125 'unknown option `--bogus`' image history --bogus busybox
	bad 125 'bad --format `table`' image history --format table busybox
}

@test "system df: images and containers as Docker's TYPE TOTAL ACTIVE SIZE RECLAIMABLE; json, -v" {
	local id
	id=$(b create --name d1 busybox true)
	dangling_image
	run -0 b system df
	echo "$output"
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[0]}" =~ ^TYPE\ +TOTAL\ +ACTIVE\ +SIZE\ +RECLAIMABLE$ ]]
	# busybox (used) and the dangling image (1000 bytes, reclaimable)
	[[ "${lines[1]}" =~ ^Images\ +2\ +1\ +[0-9.]+MB\ +1kB\ \(0%\)$ ]]
	[[ "${lines[2]}" =~ ^Containers\ +1\ +0\ +[0-9.]+k?B\ +[0-9.]+k?B(\ \(100%\))?$ ]]
	[[ "${lines[3]}" =~ ^Build\ Cache\ +0\ +0\ +0B\ +0B$ ]]
	run -0 b system df --format json
	[ "${#lines[@]}" -eq 3 ]
	[ "$(jq -rs '.[] | select(.Type == "Images") | .TotalCount' <<<"$output")" = 2 ]
	[ "$(jq -rs '.[] | select(.Type == "Images") | .Active' <<<"$output")" = 1 ]
	[ "$(jq -rs '.[] | select(.Type == "Containers") | .TotalCount' <<<"$output")" = 1 ]
	[ "$(jq -rs '.[] | select(.Type == "Build Cache") | .Size' <<<"$output")" = 0B ]
	run -0 b system df -v
	echo "$output"
	[ "$(grep -cx 'Images space usage:' <<<"$output")" -eq 1 ]
	[ "$(grep -cE '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE +SHARED SIZE +UNIQUE SIZE +CONTAINERS$' <<<"$output")" -eq 1 ]
	[ "$(grep -cE '^busybox +latest +[0-9a-f]{12} .* [0-9.]+MB +0B +[0-9.]+MB +1$' <<<"$output")" -eq 1 ]
	[ "$(grep -cE '^<none> +<none> +[0-9a-f]{12} .* 1kB +0B +1kB +0$' <<<"$output")" -eq 1 ]
	[ "$(grep -cx 'Containers space usage:' <<<"$output")" -eq 1 ]
	[ "$(grep -cE "^${id:0:12} +busybox(:latest)? +\"true\" +[0-9.]+k?B .* Created +d1\$" <<<"$output")" -eq 1 ]
	[ "$(grep -cx 'Build cache usage: 0B' <<<"$output")" -eq 1 ]
	bad 125 '-v and --format json: give one' system df -v --format json
	bad 125 'bad --format `table`: expected json' system df --format table
	bad 125 'unexpected argument `x`' system df x
	bad 125 'unknown system command `bogus`' system bogus
}

@test "system prune: stopped containers, unused networks, dangling images; -a all unused" {
	local c dang
	c=$(b create --name s1 busybox true)
	b network create sys17-net
	dang=$(dangling_image)
	prune_refused system prune
	[[ "$stderr" == *"all stopped containers, all networks not used by at least one container, all dangling images"* ]]
	[ -e "$ROOT/containers/$c" ]
	run -0 b network ls
	[[ "$output" == *sys17-net* ]]
	bad 125 '--volumes: system prune does not remove volumes yet' system prune -f --volumes
	run -0 b system prune -f
	echo "$output"
	[ "$(grep -cx "$c" <<<"$output")" -eq 1 ]
	[ "$(grep -cx sys17-net <<<"$output")" -eq 1 ]
	[ "$(grep -cx "deleted: sha256:$dang" <<<"$output")" -eq 1 ]
	[ "$(grep -cx 'Deleted Containers:' <<<"$output")" -eq 1 ]
	[ "$(grep -cx 'Deleted Networks:' <<<"$output")" -eq 1 ]
	[ "$(grep -cx 'Deleted Images:' <<<"$output")" -eq 1 ]
	[[ "${lines[-1]}" =~ ^Total\ reclaimed\ space:\ [0-9.]+k?B$ ]]
	[ ! -e "$ROOT/containers/$c" ]
	run -0 b network ls
	[[ "$output" != *sys17-net* ]]
	run -0 b images --format json
	[ "$(jq -r '.[].name' <<<"$output")" = busybox:latest ]
	run -0 b system prune -a -f
	[ "$(grep -cx 'untagged: busybox:latest' <<<"$output")" -eq 1 ]
	run -0 b images --format json
	[ "$output" = "[]" ]
}

@test "info: the containers, images and host; --format json with Docker's keys, templates" {
	local layout=hybrid
	b create --name i1 busybox true
	b run -d --name i2 busybox sleep 1000
	run -0 b info
	echo "$output"
	[ "$(grep -cx 'Containers: 2' <<<"$output")" -eq 1 ]
	[ "$(grep -cx ' Running: 1' <<<"$output")" -eq 1 ]
	[ "$(grep -cx ' Paused: 0' <<<"$output")" -eq 1 ]
	[ "$(grep -cx ' Stopped: 1' <<<"$output")" -eq 1 ]
	[ "$(grep -cx 'Images: 1' <<<"$output")" -eq 1 ]
	[ "$(grep -cx 'Storage Driver: overlay' <<<"$output")" -eq 1 ]
	[ "$(grep -cx 'Cgroup Driver: cgroupfs' <<<"$output")" -eq 1 ]
	[ "$(grep -cx "Kernel Version: $(uname -r)" <<<"$output")" -eq 1 ]
	[ "$(grep -cx "Architecture: $(uname -m)" <<<"$output")" -eq 1 ]
	[ "$(grep -cx "CPUs: $(nproc)" <<<"$output")" -eq 1 ]
	[ "$(grep -cx "Root Dir: $ROOT" <<<"$output")" -eq 1 ]
	[ "$(grep -cx 'Default Runtime: berth-runtime' <<<"$output")" -eq 1 ]
	# the cgroup layout as the host has it: cgroup2 at /sys/fs/cgroup is v2; else v1 or
	# hybrid (a cgroup2 at /sys/fs/cgroup/unified)
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		layout=v2
	elif ! grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/self/mounts; then
		layout=v1
	fi
	[ "$(grep -cx "Cgroup Version: $([ $layout = v2 ] && echo 2 || echo 1) ($layout)" <<<"$output")" -eq 1 ]
	run -0 b info --format json
	[ "$(jq .Containers <<<"$output")" -eq 2 ]
	[ "$(jq .ContainersRunning <<<"$output")" -eq 1 ]
	[ "$(jq .ContainersStopped <<<"$output")" -eq 1 ]
	[ "$(jq .Images <<<"$output")" -eq 1 ]
	[ "$(jq .NCPU <<<"$output")" -eq "$(nproc)" ]
	[ "$(jq -r .CgroupLayout <<<"$output")" = "$layout" ]
	[ "$(jq .MemTotal <<<"$output")" -eq $(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 1024)) ]
	run -0 b info -f '{{.ContainersRunning}} {{.Driver}}'
	[ "$output" = "1 overlay" ]
	run -0 b system info --format '{{.Containers}}'
	[ "$output" = 2 ]
	bad 125 'unknown option `--bogus` (berth info --help)' info --bogus
	bad 125 'unexpected argument `x`' info x
	bad 125 'bad --format `{{.Nope}}`' info --format '{{.Nope}}'
	b rm -f i2
}

@test "container and image management forms run the commands; unknown ones are one line, 125" {
	run -0 b container create --name m1 busybox echo hi
	run -0 b container ls -a --format '{{.name}}'
	[ "$output" = m1 ]
	run -0 b container start -a m1
	[ "$output" = hi ]
	run -0 b container logs m1
	[ "$output" = hi ]
	run -0 b container inspect -f '{{.name}}' m1
	[ "$output" = m1 ]
	run -0 b container rm m1
	run -0 b container list -a --format '{{.id}}'
	[ -z "$output" ]
	run -0 b container run --rm busybox echo ok
	[ "$output" = ok ]
	run -0 b image tag busybox bb:2
	run -0 b image ls --format '{{.name}}'
	[ "$(grep -cx bb:2 <<<"$output")" -eq 1 ]
	run -0 b image inspect bb:2
	run -0 b image rm bb:2
	[ "$output" = "Untagged: bb:2" ]
	run -0 b container --help
	[[ "$output" == "usage: berth container COMMAND"*" prune"* ]]
	run -0 b container prune --help
	[[ "$output" == "usage: berth container prune"* ]]
	run -0 b system --help
	[[ "$output" == "usage: berth system df|prune|info"* ]]
	bad 125 'container: unknown command `bogus` (berth container --help)' container bogus
	bad 125 'unknown image command `bogus`' image bogus
	run --separate-stderr b container
	[ "$status" -eq 125 ]
	[ -z "$output" ]
}
