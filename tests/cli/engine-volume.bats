#!/usr/bin/env bats
# Volumes as Docker has them (issue 17): berth volume create/ls/inspect/rm/prune, named and
# anonymous -v (a new volume filled from the image), --mount bind|volume|tmpfs, --tmpfs, rm -v;
# bad input is one line, exit 125, and nothing made.
load helpers
load engine-helpers
bats_require_minimum_version 1.5.0

# No volume in the store.
assert_no_volumes() {
	[ -z "$(ls "$ROOT/volumes" 2>/dev/null)" ]
}

# image_with_dir SRC NAME DIR: import as NAME the image SRC with one more layer holding the
# host directory DIR's content (as it is: links stay links).
image_with_dir() {
	local d
	d=$(mktemp -d "$BATS_TEST_TMPDIR/img.XXXXXX")
	mkdir -p "$d/x"
	b image export "$1" "$d/src.tar"
	tar -C "$d/x" -xf "$d/src.tar"
	tar -C "$3" -cf "$d/layer.tar" .
	python3 - "$d/x" "$d/layer.tar" <<-'P'
	import hashlib, json, os, sys
	d, layer = sys.argv[1], sys.argv[2]
	blob = lambda h: os.path.join(d, 'blobs/sha256', h)
	def put(data):
	    h = hashlib.sha256(data).hexdigest()
	    open(blob(h), 'wb').write(data)
	    return {'digest': 'sha256:' + h, 'size': len(data)}
	data = open(layer, 'rb').read()
	lay = put(data)
	idx = json.load(open(os.path.join(d, 'index.json')))
	m = json.load(open(blob(idx['manifests'][0]['digest'][7:])))
	c = json.load(open(blob(m['config']['digest'][7:])))
	c['rootfs']['diff_ids'].append(lay['digest'])
	lay['mediaType'] = 'application/vnd.oci.image.layer.v1.tar'
	m['layers'].append(lay)
	m['config'].update(put(json.dumps(c).encode()))
	idx['manifests'][0].update(put(json.dumps(m).encode()))
	idx['manifests'][0].pop('annotations', None)
	json.dump(idx, open(os.path.join(d, 'index.json'), 'w'))
	P
	tar -C "$d/x" -cf "$d/out.tar" .
	b image import "$d/out.tar" "$2"
}

@test "volume create, ls, inspect, rm: a name given or 64 hex, labels, Docker's documents" {
	run b volume create data1
	[ "$status" -eq 0 ]
	[ "$output" = data1 ]
	run b volume create --label a=b --label c=d
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	local anon=$output
	run b volume ls -q
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' data1 "$anon" | LC_ALL=C sort)" ]
	run b volume ls
	[ "${lines[0]}" = "DRIVER     VOLUME NAME" ]
	[ "${#lines[@]}" -eq 3 ]
	printf '%s\n' "${lines[@]}" | grep -qx "local      data1"
	run b volume ls --format json
	[ "$(echo "$output" | jq -r '.[].Name' | LC_ALL=C sort | tr '\n' ' ')" = "$(printf '%s\n' data1 "$anon" | LC_ALL=C sort | tr '\n' ' ')" ]
	run b volume inspect data1 "$anon"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.[0].Driver')" = local ]
	[ "$(echo "$output" | jq -r '.[0].Mountpoint')" = "$ROOT/volumes/data1/_data" ]
	[ "$(echo "$output" | jq -r '.[1].Labels.c')" = d ]
	[ -d "$ROOT/volumes/data1/_data" ]
	# an existing name is kept, as Docker
	echo x >"$ROOT/volumes/data1/_data/f"
	run b volume create data1
	[ "$status" -eq 0 ]
	[ -f "$ROOT/volumes/data1/_data/f" ]
	run b volume rm data1 "$anon"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'data1\n%s' "$anon")" ]
	assert_no_volumes
}

@test "volume: a bad name, an unknown option or volume is one line, 125, nothing made" {
	bad 125 'bad volume name `bad name`: a volume name is [a-zA-Z0-9][a-zA-Z0-9_.-]+' \
		volume create 'bad name'
	bad 125 'bad volume name `../x`' volume create ../x
	bad 125 'bad volume name `-x`' volume inspect -- -x
	bad 125 'unknown option `--bogus`' volume create --bogus v
	bad 125 'unknown option `--al`' volume prune --al
	bad 125 'no volume "nope"' volume rm nope
	bad 125 'no volume "nope"' volume inspect nope
	bad 125 'unknown volume command `frob`' volume frob
	assert_no_volumes
	# -f: a missing volume is no error, as Docker
	run b volume rm -f nope
	[ "$status" -eq 0 ]
}

@test "run -v NAME:/path: made on first use, filled from the image while empty, kept after rm" {
	run b run --rm -v vol1:/etc busybox cat /etc/passwd
	[ "$status" -eq 0 ]
	[[ "$output" == *root:x:0:0* ]]
	# the image's /etc was copied up into the new volume, and it outlives the container
	[ -f "$ROOT/volumes/vol1/_data/passwd" ]
	run b volume ls -q
	[ "$output" = vol1 ]
	# what a container writes is seen by the next one; a volume with content is not refilled
	run b run --rm -v vol1:/etc busybox sh -c 'rm /etc/group; echo hi >/etc/mine'
	[ "$status" -eq 0 ]
	run b run --rm -v vol1:/data:ro busybox sh -c 'cat /data/mine; ls /data/group'
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = hi ]
	# :ro is read-only
	run b run --rm -v vol1:/data:ro busybox touch /data/x
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/volumes/vol1/_data/x" ]
	# a volume given by --mount is the same volume
	run b run --rm --mount type=volume,source=vol1,target=/m busybox cat /m/mine
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
}

@test "copy-up follows no link out of the container's root" {
	local src=$BATS_TEST_TMPDIR/src host=$BATS_TEST_TMPDIR/hostdir
	mkdir -p "$src/data/sub" "$host"
	echo secret >"$host/secret"
	echo f >"$src/data/sub/f"
	ln -s "$host" "$src/data/out"
	ln -s "$host" "$src/link"
	chmod 0750 "$src/data"
	image_with_dir busybox withdata:1 "$src"
	run b run --rm -v v1:/data withdata:1 cat /data/sub/f
	[ "$status" -eq 0 ]
	[ "$output" = f ]
	# the link was copied as a link, not followed to the host
	[ -L "$ROOT/volumes/v1/_data/out" ]
	[ "$(readlink "$ROOT/volumes/v1/_data/out")" = "$host" ]
	[ ! -e "$ROOT/volumes/v1/_data/secret" ]
	[ "$(stat -c %a "$ROOT/volumes/v1/_data")" = 750 ]
	# a mount point through a link to a host path resolves inside the root: nothing there
	run b run --rm -v v2:/link withdata:1 ls /link
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/volumes/v2/_data/secret" ]
	[ -z "$(ls "$ROOT/volumes/v2/_data")" ]
	[ "$(ls "$host")" = secret ]
}

@test "volume rm refuses a volume a container uses, running or not, even with -f; prune" {
	local cid
	cid=$(b create --name c1 -v used:/data busybox true)
	[ -n "$cid" ]
	bad 125 'volume "used" is in use by container "c1"' volume rm used
	bad 125 'volume "used" is in use by container "c1"' volume rm -f used
	[ -d "$ROOT/volumes/used/_data" ]
	b volume create named
	# an anonymous volume left behind by an rm without -v
	b create --name c2 -v /anon busybox true
	b rm c2
	run b volume ls -q
	[ "${#lines[@]}" -eq 3 ]
	# prune: the unused anonymous ones only, then with -a every unused one
	run b volume prune -f
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Deleted Volumes:" ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" =~ ^[0-9a-f]{64}$ ]]
	run b volume prune -f -a
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'Deleted Volumes:\nnamed')" ]
	run b volume ls -q
	[ "$output" = used ]
	b rm c1
	run b volume rm used
	[ "$status" -eq 0 ]
	assert_no_volumes
}

@test "-v /path: an anonymous volume, removed by rm -v and by run --rm" {
	run b run --rm -v /data busybox sh -c 'echo x >/data/f; cat /data/f'
	[ "$status" -eq 0 ]
	[ "$output" = x ]
	assert_no_volumes
	b create --name c1 -v /data busybox true
	run b volume ls -q
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	run b rm -v c1
	[ "$status" -eq 0 ]
	assert_no_volumes
	# a named volume stays with rm -v, as Docker
	b create --name c2 -v keep:/data busybox true
	b rm -v c2
	run b volume ls -q
	[ "$output" = keep ]
}

@test "-v, --mount, --tmpfs: bad input is one line, 125, no container and no volume left" {
	bad 125 'bad -v `./x:/y`: `./x` is a relative path' run --rm -v ./x:/y busybox true
	bad 125 'bad -v `a/b:/y`: `a/b` is a relative path' run --rm -v a/b:/y busybox true
	bad 125 'bad -v `vol:y`: the container path `y` must be absolute' run --rm -v vol:y busybox true
	bad 125 'bad -v `vol:/y:zz`: unknown mode `zz`' run --rm -v vol:/y:zz busybox true
	bad 125 'bad -v `-x`: a volume name is' run --rm --volume=-x:/y busybox true
	bad 125 'unknown key `foo`' run --rm --mount type=volume,target=/x,foo=1 busybox true
	bad 125 'unknown type `nfs`' run --rm --mount type=nfs,target=/x busybox true
	bad 125 'expected target=ABSOLUTE-PATH' run --rm --mount type=volume,source=v busybox true
	bad 125 'a bind needs source=ABSOLUTE-HOST-PATH' run --rm --mount type=bind,target=/x busybox true
	bad 125 'a tmpfs takes no source' run --rm --mount type=tmpfs,source=v,target=/x busybox true
	bad 125 'bad tmpfs-size `lots`' run --rm --mount type=tmpfs,target=/x,tmpfs-size=lots busybox true
	bad 125 'tmpfs options need type=tmpfs' run --rm --mount type=volume,target=/x,tmpfs-mode=700 busybox true
	bad 125 'bad --tmpfs `/a:bogus`: unknown option `bogus`' run --rm --tmpfs /a:bogus busybox true
	bad 125 'bad --tmpfs `a`' create --tmpfs a busybox true
	bad 125 '-v `v1:/a/` and --tmpfs `/a`: both mount on `/a`' run --rm --tmpfs /a -v v1:/a/ busybox true
	bad 125 'and --mount `type=tmpfs,target=/x/.`: both mount on `/x`' \
		create -v /x --mount type=tmpfs,target=/x/. busybox true
	assert_nothing_left
	assert_no_volumes
}

@test "--mount type=bind|volume|tmpfs and --tmpfs: mounted as asked" {
	local h=$BATS_TEST_TMPDIR/h
	mkdir -p "$h"
	echo hostfile >"$h/f"
	run b run --rm --mount "type=bind,source=$h,target=/b,readonly" busybox cat /b/f
	[ "$status" -eq 0 ]
	[ "$output" = hostfile ]
	run b run --rm --mount "type=bind,src=$h,dst=/b,ro=true" busybox touch /b/g
	[ "$status" -ne 0 ]
	[ ! -e "$h/g" ]
	run b run --rm --mount "type=bind,src=$h,dst=/b" busybox touch /b/g
	[ "$status" -eq 0 ]
	[ -e "$h/g" ]
	run b run --rm --mount type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770 busybox \
		sh -c 'stat -c %a /t; grep " /t " /proc/mounts'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1770 ]
	[[ "${lines[1]}" == "tmpfs /t tmpfs "*size=1024k* ]]
	run b run --rm --tmpfs /run/x:size=2m,mode=700 busybox sh -c 'stat -c %a /run/x; grep " /run/x " /proc/mounts'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 700 ]
	[[ "${lines[1]}" == *size=2048k* ]]
	[[ "${lines[1]}" == *noexec* ]]
	run b run --rm --mount type=volume,target=/anon busybox sh -c 'echo a >/anon/f; cat /anon/f'
	[ "$status" -eq 0 ]
	[ "$output" = a ]
	assert_no_volumes
}

@test "-v HOST:CTR:idmap=MAPS and --mount ...,idmap=MAPS: host files show owned by the mapped ids" {
	local h=$BATS_TEST_TMPDIR/idm
	mkdir -p "$h"
	echo r >"$h/by-root"
	echo o >"$h/by-1234"
	chown 1234:4321 "$h/by-1234"
	# root's container has no user namespace: on-disk 0 shows as 5000, 1234 as 6000, 4321 as 7000
	run b run --rm -v "$h:/d:ro,idmap=uids=0-5000-1#1234-6000-1;gids=0-5000-1#4321-7000-1" \
		busybox stat -c %u:%g /d/by-root /d/by-1234
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 5000:5000 ]
	[ "${lines[1]}" = 6000:7000 ]
	run b run --rm --mount "type=bind,src=$h,dst=/d,idmap=uids=0-5000-1;gids=0-5000-1" \
		busybox stat -c %u:%g /d/by-root /d/by-1234
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 5000:5000 ]
	# an on-disk id outside the maps shows as the overflow id
	[ "${lines[1]}" = 65534:65534 ]
	# nothing changed on the host
	[ "$(stat -c %u:%g "$h/by-root")" = 0:0 ]
	[ "$(stat -c %u:%g "$h/by-1234")" = 1234:4321 ]
	# plain idmap means the container's user namespace's maps, and root's containers have none
	bad 125 "bad -v \`$h:/d:idmap\`: idmap without maps uses the container's user namespace, and this container has none" \
		run --rm -v "$h:/d:idmap" busybox true
	bad 125 'bad idmap `uids=0-5000`: expected idmap=uids=DISK-HOST-SIZE' \
		run --rm -v "$h:/d:idmap=uids=0-5000" busybox true
	bad 125 'bad idmap `uids=0-1-1`' run --rm -v "$h:/d:idmap=uids=0-1-1" busybox true
	bad 125 'bad idmap `uids=0--1-1;gids=0-1-1`' run --rm -v "$h:/d:idmap=uids=0--1-1;gids=0-1-1" busybox true
	bad 125 'bad idmap `uids=18446744073709551615-0-1;gids=0-1-1`' \
		run --rm -v "$h:/d:idmap=uids=18446744073709551615-0-1;gids=0-1-1" busybox true
	bad 125 'bad idmap `uids=0-1-0;gids=0-1-1`' \
		run --rm --mount "type=bind,src=$h,dst=/d,idmap=uids=0-1-0;gids=0-1-1" busybox true
	bad 125 'idmap is for a bind or a volume' run --rm --mount type=tmpfs,dst=/d,idmap busybox true
	assert_nothing_left
	assert_no_volumes
}

@test "--volumes-from NAME[:ro|rw]: the other container's volumes and binds; bad input" {
	local h=$BATS_TEST_TMPDIR/h
	mkdir -p "$h"
	b create --name src -v shared:/data -v "$h:/h" -v /anon busybox true
	run b run --rm --volumes-from src busybox sh -c 'echo x >/data/f; echo y >/h/g; ls -d /anon'
	[ "$status" -eq 0 ]
	[ "$(cat "$ROOT/volumes/shared/_data/f")" = x ]
	[ "$(cat "$h/g")" = y ]
	run b run --rm --volumes-from src:ro busybox touch /data/ro
	[ "$status" -ne 0 ]
	[ ! -e "$ROOT/volumes/shared/_data/ro" ]
	# a mount of its own on the same path wins
	run b run --rm --volumes-from src --tmpfs /data busybox ls /data
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# a container using it through --volumes-from holds the volume too
	b create --name user --volumes-from src busybox true
	b rm src
	bad 125 'volume "shared" is in use by container "user"' volume rm shared
	bad 125 'bad --volumes-from `src:zz`: expected NAME[:ro|rw]' run --rm --volumes-from src:zz busybox true
	bad 125 'no container "nope"' run --rm --volumes-from nope busybox true
	run b ps -aq
	[ "${#lines[@]}" -eq 1 ]
}

@test "an image's VOLUMEs: an anonymous volume each, filled from the image, gone with rm -v" {
	local d=$BATS_TEST_TMPDIR/content
	mkdir -p "$d/data"
	echo from-image >"$d/data/f"
	image_with_dir busybox withdata "$d"
	image_with_config withdata vol:1 Volumes '{"/data": {}, "/cache/": {}}' json
	run -0 b run --name c1 vol:1 sh -c 'cat /data/f; echo w >/cache/w; grep -cE " /(data|cache) " /proc/mounts'
	[ "${lines[0]}" = from-image ]
	[ "${lines[1]}" = 2 ]
	run -0 b volume ls -q
	[ "${#lines[@]}" -eq 2 ]
	[ "$(grep -cE '^[0-9a-f]{64}$' <<<"$output")" -eq 2 ]
	[ "$(cat "$ROOT"/volumes/*/_data/f)" = from-image ]
	[ "$(cat "$ROOT"/volumes/*/_data/w)" = w ]
	# inspect lists them with the container's mounts
	run -0 b inspect -f '{{range .Mounts}}{{.Type}} {{.Destination}} {{.Anonymous}} {{len .Name}};{{end}}' c1
	[ "$output" = "volume /data true 64;volume /cache true 64;" ]
	# kept by rm, as Docker; removed by rm -v and run --rm
	b create --name c2 vol:1 true
	b rm c2
	run -0 b volume ls -q
	[ "${#lines[@]}" -eq 4 ]
	run -0 b volume prune -f
	run -0 b rm -v c1
	assert_no_volumes
	run -0 b run --rm vol:1 ls /data
	[ "$output" = f ]
	assert_no_volumes
}

@test "an image's VOLUMEs: a -v, --mount, --tmpfs or --volumes-from on the path wins" {
	local d=$BATS_TEST_TMPDIR/content
	mkdir -p "$d/data"
	echo from-image >"$d/data/f"
	image_with_dir busybox withdata "$d"
	image_with_config withdata vol:1 Volumes '{"/data": {}, "/cache": {}}' json
	run -0 b run --rm -v named:/data --tmpfs /cache vol:1 sh -c 'cat /data/f; ls /cache | wc -l'
	[ "$output" = "$(printf 'from-image\n0')" ]
	run -0 b volume ls -q
	[ "$output" = named ]
	run -0 b run --rm --mount type=volume,source=m2,target=/cache -v named:/data vol:1 true
	run -0 b volume ls -q
	[ "$output" = "$(printf 'm2\nnamed')" ]
	b volume rm m2 named
	# --volumes-from carries the other container's anonymous volumes (and makes none)
	b create --name src vol:1 true
	run -0 b volume ls -q
	[ "${#lines[@]}" -eq 2 ]
	run -0 b run --rm --volumes-from src busybox sh -c 'cat /data/f; echo x >/cache/x'
	[ "$output" = from-image ]
	run -0 b run --rm --volumes-from src vol:1 cat /cache/x
	[ "$output" = x ]
	run -0 b volume ls -q
	[ "${#lines[@]}" -eq 2 ]
	b rm -v src
	assert_no_volumes
}

@test "an image's VOLUMEs: a file, a relative path, / or too many: one line, 125, nothing left" {
	image_with_config busybox badf Volumes '{"/a": {}, "/b": {}, "/bin/sh": {}, "/c": {}}' json
	bad 125 'image `badf:latest`: config.Volumes: `/bin/sh` is a file in the image, not a directory' run --rm badf true
	bad 125 'config.Volumes: `/bin/sh` is a file' create --name c badf true
	image_with_config busybox badr Volumes '{"/a": {}, "data": {}}' json
	bad 125 'image `badr:latest`: config.Volumes: `data` is not an absolute path' run --rm badr true
	image_with_config busybox badroot Volumes '{"/a": {}, "/x/..": {}}' json
	bad 125 'config.Volumes: `/x/..`: a volume cannot be mounted on /' run badroot true
	image_with_config busybox bada Volumes '["/data"]' json
	bad 125 'image `bada:latest`: config.Volumes: expected an object of container paths' run -d bada true
	image_with_config busybox many Volumes "$(python3 -c 'import json; print(json.dumps({"/v%d" % i: {} for i in range(257)}))')" json
	bad 125 'image `many:latest`: config.Volumes: 257 paths (at most 256)' run --rm many true
	assert_nothing_left
	assert_no_volumes
}
