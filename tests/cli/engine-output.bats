#!/usr/bin/env bats
# berth's command line as a Docker user expects it (issue 17, continued): what `berth images`
# shows, --memory's minimum, and a non-root user without a subuid range told it needs one.
load helpers
load engine-helpers
bats_require_minimum_version 1.5.0

# berth as the unprivileged user nobody (uid and gid 65534, no groups)
nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$BERTH" --root "$ROOT" "$@"
}

@test "run --memory below the runtime's minimum (6m) is refused up front, nothing left" {
	bad 125 'bad --memory `100`: 100 bytes is below the minimum of 6m (6291456 bytes)' \
		run --memory 100 busybox true
	assert_nothing_left
	bad 125 'bad --memory `5m`: 5242880 bytes is below the minimum of 6m' \
		run --rm --memory=5m busybox true
	bad 125 'bad --memory `6291455`' run -d --memory 6291455 busybox true
	assert_nothing_left
	run b ps -a --format json
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
}

@test "not root, no range in /etc/subuid: every command that needs the store says so in one line, exit 125" {
	local cmd
	mkdir -m 0755 "$ROOT"
	for cmd in images ps "run --rm busybox true" "pull busybox" "image import /dev/null" \
		"rmi busybox" "network ls" "load -i /dev/null" "start x" "exec x true"; do
		# shellcheck disable=SC2086 # the command's words
		run --separate-stderr nobody $cmd
		echo "$cmd: status=$status stdout=$output stderr=$stderr"
		[ "$status" -eq 125 ]
		[ -z "$output" ]
		[ "${#stderr_lines[@]}" -eq 1 ]
		# rootless berth (engine-rootless.bats) needs the user's range for its namespace
		[[ "$stderr" == *"/etc/subuid has no range for nobody (uid 65534)"* ]] || false
		[[ "$stderr" == *"usermod --add-subuids"* ]] || false
	done
	# the store was not touched
	[ -z "$(ls -A "$ROOT")" ]
	# help and the version need no root
	run nobody --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"commands:"* ]]
	run nobody version
	[ "$status" -eq 0 ]
	[[ "$output" == "berth version "* ]]
	run --separate-stderr nobody images --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: berth images"* ]]
	run --separate-stderr nobody run --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"usage: berth run"* ]]
	run --separate-stderr nobody network create --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: berth network create"* ]]
	[ -z "$(ls -A "$ROOT")" ]
}

# oci_rewrite IN OUT CREATED [noname]: the oci-archive IN (one image, as `image export`
# writes it) with the config's `created` set to CREATED (the image id changes with it), and
# with "noname" its index entry without a name; digests and sizes made right again.
oci_rewrite() {
	local in=$1 out=$2 created=$3 noname=${4:-} d m c nc nm
	d=$(mktemp -d "$BATS_TEST_TMPDIR/oci.XXXXXX")
	tar -C "$d" -xf "$in"
	m=$(jq -r '.manifests[0].digest' "$d/index.json" | cut -d: -f2)
	c=$(jq -r '.config.digest' "$d/blobs/sha256/$m" | cut -d: -f2)
	jq -c --arg t "$created" '.created = $t' "$d/blobs/sha256/$c" >"$d/new"
	nc=$(sha256sum "$d/new" | cut -c1-64)
	mv "$d/new" "$d/blobs/sha256/$nc"
	jq -c --arg d "sha256:$nc" --argjson s "$(stat -c %s "$d/blobs/sha256/$nc")" \
		'.config.digest = $d | .config.size = $s' "$d/blobs/sha256/$m" >"$d/new"
	nm=$(sha256sum "$d/new" | cut -c1-64)
	mv "$d/new" "$d/blobs/sha256/$nm"
	jq -c --arg d "sha256:$nm" --argjson s "$(stat -c %s "$d/blobs/sha256/$nm")" \
		'.manifests[0].digest = $d | .manifests[0].size = $s' "$d/index.json" >"$d/new"
	if [ "$noname" = noname ]; then
		jq -c 'del(.manifests[0].annotations)' "$d/new" >"$d/index.json"
		rm "$d/new"
	else
		mv "$d/new" "$d/index.json"
	fi
	tar -C "$d" -cf "$out" .
}

# rows NAME: the table rows of `berth images` for NAME ("<none>" for the untagged)
rows() {
	b images | awk -v n="$1" 'NR > 1 && $1 == n' | wc -l
}

@test "images: CREATED as Docker says it, whole; --format json has the full RFC 3339 time" {
	local t=$BATS_TEST_TMPDIR
	run -0 b image export busybox "$t/bb.tar"
	oci_rewrite "$t/bb.tar" "$t/old.tar" 2019-06-30T23:59:58.123456789Z
	run -0 b image import "$t/old.tar" old:1
	run -0 b images
	echo "$output"
	[[ "${lines[0]}" =~ ^NAME\ +ID\ +CREATED\ +SIZE$ ]]
	# made now: seconds ago; the 2019 one: years ago, not a cut timestamp
	[ "$(grep -cE '^busybox:latest +[0-9a-f]{12} +(Less than a second|1 second|[0-9]+ seconds|About a minute|[0-9]+ minutes) ago +[0-9.]+MB$' <<<"$output")" -eq 1 ]
	[ "$(grep -cE '^old:1 +[0-9a-f]{12} +[0-9]+ years ago +[0-9.]+MB$' <<<"$output")" -eq 1 ]
	[[ "$output" != *"2019-06-30T"* ]]
	run -0 b images --format json
	[ "$(jq -r '.[] | select(.name == "old:1") | .created' <<<"$output")" = 2019-06-30T23:59:58.123456789Z ]
	[[ "$(jq -r '.[] | select(.name == "busybox:latest") | .created' <<<"$output")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$ ]]
}

@test "images: one image imported twice (untagged) is one row, not a <none> duplicate" {
	local t=$BATS_TEST_TMPDIR
	run -0 b image export busybox "$t/bb.tar"
	oci_rewrite "$t/bb.tar" "$t/img.tar" 2020-01-01T00:00:00Z
	oci_rewrite "$t/bb.tar" "$t/noname.tar" 2020-01-01T00:00:00Z noname
	run -0 b image import "$t/img.tar" img:1
	# the same image id again, without a name: twice
	run -0 b image import "$t/noname.tar"
	run -0 b image import "$t/noname.tar"
	[ "$(rows img:1)" -eq 1 ]
	[ "$(rows '<none>')" -eq 0 ]
	# the same id by another way (a docker-archive with no RepoTags: another manifest)
	run -0 b save --format docker-archive -o "$t/d.tar" img:1
	mkdir "$t/d"
	tar -C "$t/d" -xf "$t/d.tar"
	jq -c '.[0].RepoTags = null' "$t/d/manifest.json" >"$t/d/m.json"
	mv "$t/d/m.json" "$t/d/manifest.json"
	tar -C "$t/d" -cf "$t/d2.tar" .
	run -0 b load -i "$t/d2.tar"
	[ "$(rows '<none>')" -eq 0 ]
	[ "$(rows img:1)" -eq 1 ]
	# an untagged image first, then named: the name takes that row
	run -0 b rmi img:1
	run -0 b image import "$t/noname.tar"
	[ "$(rows '<none>')" -eq 1 ]
	run -0 b image import "$t/img.tar" img:2
	[ "$(rows '<none>')" -eq 0 ]
	[ "$(rows img:2)" -eq 1 ]
}

@test "images: SIZE is the layers unpacked, the same for every import path" {
	local t=$BATS_TEST_TMPDIR want id
	mkdir -p "$t/rootfs/bin"
	cp /bin/busybox "$t/rootfs/bin/busybox"
	ln "$t/rootfs/bin/busybox" "$t/rootfs/bin/sh"
	ln -s busybox "$t/rootfs/bin/ls"
	# the file once (a hard link is not counted twice), the symlink's own size, no directory
	want=$(($(stat -c %s /bin/busybox) + 7))
	tar -C "$t/rootfs" -cf "$t/rootfs.tar" .
	gzip -c "$t/rootfs.tar" >"$t/rootfs.tar.gz"
	run -0 b image import "$t/rootfs.tar" plain
	run -0 b image import "$t/rootfs.tar.gz" gz
	run -0 b save -o "$t/oci.tar" plain
	run -0 b save --format docker-archive -o "$t/docker.tar" gz
	run -0 b images --format json
	echo "$output"
	[ "$(jq -r '.[] | select(.name == "plain:latest") | .size' <<<"$output")" -eq "$want" ]
	[ "$(jq -r '.[] | select(.name == "gz:latest") | .size' <<<"$output")" -eq "$want" ]
	# the archives, loaded into another store
	ROOT=$t/root2
	run -0 b load -i "$t/oci.tar"
	run -0 b load -i "$t/docker.tar"
	run -0 b images --format json
	[ "$(jq -r '.[] | select(.name == "plain:latest") | .size' <<<"$output")" -eq "$want" ]
	[ "$(jq -r '.[] | select(.name == "gz:latest") | .size' <<<"$output")" -eq "$want" ]
	id=$(jq -r '.[] | select(.name == "gz:latest") | .id' <<<"$output")
	run -0 b image inspect gz
	[ "$(jq -r .size <<<"$output")" -eq "$want" ]
	# the table: Docker's decimal units, three digits
	run -0 b images
	[ "$(grep -cE "^gz:latest +${id:0:12} .* [0-9.]+MB\$" <<<"$output")" -eq 1 ]
	ROOT=$t/root
}

@test "images: -q gives the ids only, --no-trunc whole; an unknown option is one line, 125" {
	local t=$BATS_TEST_TMPDIR n
	run -0 b image export busybox "$t/bb.tar"
	oci_rewrite "$t/bb.tar" "$t/img.tar" 2020-01-01T00:00:00Z
	run -0 b image import "$t/img.tar" img:1
	run -0 b images --format json
	n=$(jq length <<<"$output")
	[ "$n" -eq 2 ]
	run -0 b images -q
	[ "${#lines[@]}" -eq "$n" ]
	[ "$(grep -cE '^[0-9a-f]{12}$' <<<"$output")" -eq "$n" ]
	run -0 b images --quiet --no-trunc
	[ "$(grep -cE '^sha256:[0-9a-f]{64}$' <<<"$output")" -eq "$n" ]
	run -0 b images -a
	[ "${#lines[@]}" -eq $((n + 1)) ]
	bad 125 'unknown option `--bogus` (berth images --help)' images --bogus
	bad 125 'unknown option `-x` (berth images --help)' images -x
	bad 125 'option `--format` needs a value' images --format
	bad 125 'an action without its closing }}' images --format 'table {{.Repository'
	bad 125 'unexpected argument `foo`' images foo
}

# shown ARGS…: the images `berth images ARGS…` lists, as REPOSITORY:TAG, sorted, on one line
shown() {
	b images --format '{{.Repository}}:{{.Tag}}' "$@" | sort | tr '\n' ' '
}

@test "images --filter: dangling, label, before, since, reference as Docker's; bad ones 125" {
	local t=$BATS_TEST_TMPDIR n
	run -0 b image export busybox "$t/bb.tar"
	oci_rewrite "$t/bb.tar" "$t/a.tar" 2019-01-01T00:00:00Z
	# a fraction of a second apart
	oci_rewrite "$t/bb.tar" "$t/b.tar" 2020-01-01T00:00:00.5Z
	oci_rewrite "$t/bb.tar" "$t/c.tar" 2020-01-01T00:00:00.7Z
	oci_rewrite "$t/bb.tar" "$t/d.tar" 2021-01-01T00:00:00Z noname
	run -0 b image import "$t/a.tar" old/a:1
	run -0 b image import "$t/b.tar" old/b:2
	run -0 b image import "$t/c.tar" new:3
	run -0 b image import "$t/d.tar"
	image_with_config busybox lab:1 Labels '{"k": "v", "x": "y"}' json
	[ "$(shown)" = "<none>:<none> busybox:latest lab:1 new:3 old/a:1 old/b:2 " ]
	[ "$(shown -f dangling=true)" = "<none>:<none> " ]
	[ "$(shown --filter dangling=false)" = "busybox:latest lab:1 new:3 old/a:1 old/b:2 " ]
	# every label must match
	[ "$(shown -f label=k)" = "lab:1 " ]
	[ "$(shown -f label=k=v -f label=x)" = "lab:1 " ]
	[ -z "$(shown -f label=k=w)" ]
	[ -z "$(shown -f label=k -f label=nope)" ]
	# created earlier / later than the image; several: the oldest / the newest
	[ "$(shown -f before=new:3)" = "old/a:1 old/b:2 " ]
	[ "$(shown -f before=new:3 -f before=old/b:2)" = "old/a:1 " ]
	[ "$(shown -f since=old/a:1 -f before=new:3)" = "old/b:2 " ]
	[ "$(shown -f since=old/b:2 -f since=old/a:1 -f dangling=false)" = "busybox:latest lab:1 new:3 " ]
	# a glob over NAME:TAG or NAME, `*` not crossing `/`; several: any one
	[ "$(shown -f reference='old/*')" = "old/a:1 old/b:2 " ]
	[ "$(shown -f reference='old/*:2')" = "old/b:2 " ]
	[ "$(shown -f reference='*')" = "busybox:latest lab:1 new:3 " ]
	[ "$(shown -f reference=new -f reference='l?b:[0-9]')" = "lab:1 new:3 " ]
	[ -z "$(shown -f reference=new -f dangling=true)" ]
	# the other outputs filter too
	run -0 b images -q -f reference=new:3
	[ "$output" = "$(b images --format '{{.id}}' -f reference=new | cut -c1-12)" ]
	[ "${#output}" -eq 12 ]
	run -0 b images --format json -f reference=new
	[ "$(jq -r '.[].name' <<<"$output")" = new:3 ]
	run -0 b images -f reference=new
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == "new:3 "* ]]
	n=$(b images -q | wc -l)
	bad 125 'bad --filter `foo=1`: unknown key `foo` (expected dangling, label, before, since or reference)' images -f foo=1
	bad 125 'bad --filter `reference`: expected KEY=VALUE' images -f reference
	bad 125 'bad --filter `label=`: expected a value after `=`' images -f label=
	bad 125 'bad --filter `dangling=maybe`: expected dangling=true or dangling=false' images -f dangling=maybe
	bad 125 'bad --filter `dangling=false`: dangling=true and dangling=false together' images -f dangling=true -f dangling=false
	bad 125 'bad --filter `before=nope`: image "nope" not found' images -f before=nope
	bad 125 'bad --filter `since=UPPER`' images -q --filter since=UPPER
	bad 125 'option `--filter` needs a value' images --filter
	[ "$(b images -q | wc -l)" -eq "$n" ]
}

@test "images --format: Docker's fields; table TEMPLATE under Docker's headers, table alone" {
	local t=$BATS_TEST_TMPDIR id digest
	run -0 b image export busybox "$t/bb.tar"
	oci_rewrite "$t/bb.tar" "$t/a.tar" 2019-06-30T23:59:58.123Z
	oci_rewrite "$t/bb.tar" "$t/n.tar" 2018-01-01T00:00:00Z noname
	run -0 b image import "$t/a.tar" localhost:5000/x/old:1
	run -0 b image import "$t/n.tar"
	run -0 b images --format json
	id=$(jq -r '.[] | select(.name == "localhost:5000/x/old:1") | .id' <<<"$output")
	digest=$(jq -r '.[] | select(.name == "localhost:5000/x/old:1") | .digest' <<<"$output")
	[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]
	run -0 b images -f reference='*/*/old' --format '{{.Repository}}|{{.Tag}}|{{.ID}}|{{.Digest}}|{{.CreatedAt}}'
	[ "$output" = "localhost:5000/x/old|1|${id:0:12}|$digest|2019-06-30 23:59:58 +0000 UTC" ]
	run -0 b images -f reference='*/*/old' --format '{{.CreatedSince}}|{{.Size}}|{{.VirtualSize}}|{{.Containers}}'
	[[ "$output" =~ ^[0-9]+\ years\ ago\|[0-9.]+MB\|[0-9.]+MB\|N/A$ ]]
	run -0 b images -f reference='*/*/old' --no-trunc --format '{{.ID}} {{.id}}'
	[ "$output" = "sha256:$id $id" ]
	# berth's own keys stay as they were
	run -0 b images -f reference='*/*/old' --format '{{.name}} {{.size}}'
	[[ "$output" =~ ^localhost:5000/x/old:1\ [0-9]+$ ]]
	run -0 b images -f dangling=true --format '{{.Repository}} {{.Tag}} {{.name}}'
	[ "$output" = "<none> <none> <no value>" ]
	# a table: Docker's column names, aligned as its tabwriter
	run -0 b images -f dangling=false --format 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}'
	echo "$output"
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" =~ ^REPOSITORY\ {3,}TAG\ {7}IMAGE\ ID\ {7}SIZE$ ]]
	[ "$(grep -cE "^localhost:5000/x/old +1 {9}${id:0:12} +[0-9.]+MB\$" <<<"$output")" -eq 1 ]
	[ "$(grep -cE '^busybox +latest +[0-9a-f]{12} +[0-9.]+MB$' <<<"$output")" -eq 1 ]
	run -0 b images -f dangling=false --format 'table {{.CreatedSince}}\t{{.CreatedAt}}\t{{.Digest}}'
	[[ "${lines[0]}" =~ ^CREATED\ +CREATED\ AT\ +DIGEST$ ]]
	# table alone: the default table
	run -0 b images --format table
	[[ "${lines[0]}" =~ ^NAME\ +ID\ +CREATED\ +SIZE$ ]]
	[ "${#lines[@]}" -eq 4 ]
	bad 125 'bad --format `{{.Nope}}`: no field `Nope`' images --format '{{.Nope}}'
	bad 125 'unknown function `nope`' images --format 'table {{.ID}}\t{{nope}}'
}
