#!/usr/bin/env bats
# berth save and load: oci-archive and docker-archive, round-tripped with Podman and skopeo
# (each with a store of its own), several images in one archive, stdin and stdout.
load helpers

BERTH=$BERTH_BUILD/berth

setup() {
	bats_require_minimum_version 1.5.0
	command -v podman >/dev/null || skip "podman not installed"
	command -v skopeo >/dev/null || skip "skopeo not installed"
	ROOT=$BATS_TEST_TMPDIR/root
	PM_DIR=$BATS_TEST_TMPDIR/podman
}

teardown() {
	[ -d "$PM_DIR" ] || return 0
	pm rmi -af >/dev/null 2>&1 || true
}

pm() {
	podman --root "$PM_DIR/root" --runroot "$PM_DIR/run" --storage-driver vfs "$@"
}

@test "save: docker-archive of two images that Podman loads and skopeo reads" {
	b run --rm busybox true
	b tag busybox mine:2
	run -0 b save --format docker-archive -o "$BATS_TEST_TMPDIR/d.tar" busybox mine:2
	[ -z "$output" ]
	run -0 tar -xOf "$BATS_TEST_TMPDIR/d.tar" manifest.json
	[ "$(echo "$output" | jq -r '[.[].RepoTags[0]] | join(",")')" = "busybox:latest,mine:2" ]
	run -0 pm load -q -i "$BATS_TEST_TMPDIR/d.tar"
	run -0 pm image inspect --format '{{.Id}}' localhost/mine:2
	[ "$output" = "$(b image inspect mine:2 | jq -r .id)" ]
	run -0 skopeo inspect --config "docker-archive:$BATS_TEST_TMPDIR/d.tar:mine:2"
	[ "$(echo "$output" | jq -r '.rootfs.diff_ids | length')" = 1 ]
	# no half archive is left when an image is unknown
	run -125 b save -o "$BATS_TEST_TMPDIR/x.tar" busybox nothing:here
	[[ "$output" == *'image "nothing:here" not found'* ]]
	run -0 find "$BATS_TEST_TMPDIR" -maxdepth 1 -name 'x.tar*'
	[ -z "$output" ]
	run -125 b save --format zip -o "$BATS_TEST_TMPDIR/x.tar" busybox
	[[ "$output" == *"bad --format \`zip\`"* ]]
}

@test "save: an oci-archive to stdout that Podman loads; load what Podman saves, from stdin too" {
	b run --rm busybox true
	b save busybox >"$BATS_TEST_TMPDIR/o.tar"
	run -0 pm load -q -i "$BATS_TEST_TMPDIR/o.tar"
	run -0 pm image inspect --format '{{.Id}}' localhost/busybox:latest
	[ "$output" = "$(b image inspect busybox | jq -r .id)" ]
	pm tag localhost/busybox:latest localhost/from-podman:1
	pm save -q --format docker-archive -o "$BATS_TEST_TMPDIR/p.tar" localhost/from-podman:1
	pm save -q --format oci-archive -o "$BATS_TEST_TMPDIR/po.tar" localhost/from-podman:1
	ROOT=$BATS_TEST_TMPDIR/root2
	run -0 b load -i "$BATS_TEST_TMPDIR/p.tar"
	[ "${lines[-1]}" = "Loaded image: from-podman:1" ]
	run -0 b run --rm from-podman:1 echo loaded
	[ "$output" = loaded ]
	ROOT=$BATS_TEST_TMPDIR/root3
	run -0 b load -q <"$BATS_TEST_TMPDIR/po.tar"
	[ "$output" = "Loaded image: from-podman:1" ]
	run -0 find "$ROOT/tmp" -mindepth 1
	[ -z "$output" ]
	run -125 b load -i /nonexistent.tar
	[[ "$output" == *"/nonexistent.tar"* ]]
}

@test "save: the built-in busybox as its index of two platforms; load brings both back, and an index skopeo wrote" {
	riscv64_busybox "$BATS_TEST_TMPDIR/cache"
	export BERTH_GUEST_CACHE=$BATS_TEST_TMPDIR/cache
	run -0 b save -o "$BATS_TEST_TMPDIR/s.tar" busybox
	run -0 tar -xOf "$BATS_TEST_TMPDIR/s.tar" index.json
	[ "$(echo "$output" | jqe -r '.manifests[0].mediaType')" = application/vnd.oci.image.index.v1+json ]
	run -0 skopeo inspect --raw "oci-archive:$BATS_TEST_TMPDIR/s.tar"
	[ "$(echo "$output" | jqe -r '[.manifests[].platform.architecture] | join(",")')" = amd64,riscv64 ]
	# image export stays one image: the host's
	run -0 b image export busybox "$BATS_TEST_TMPDIR/e.tar"
	run -0 tar -xOf "$BATS_TEST_TMPDIR/e.tar" index.json
	[ "$(echo "$output" | jqe -r '.manifests[0].mediaType')" = application/vnd.oci.image.manifest.v1+json ]
	ROOT=$BATS_TEST_TMPDIR/root2
	run -0 b load -i "$BATS_TEST_TMPDIR/s.tar"
	[ "${lines[-1]}" = "Loaded image: busybox:latest" ]
	run -0 b image inspect busybox
	[ "$(echo "$output" | jqe -r '.platforms | join(",")')" = linux/amd64,linux/riscv64 ]
	run -0 b images -q
	[ "${#lines[@]}" -eq 1 ]
	run -0 b run --rm busybox echo loaded
	[ "$output" = loaded ]
	# an archive skopeo made of the index (copy --all): the same two images
	skopeo copy -q --all "oci-archive:$BATS_TEST_TMPDIR/s.tar" "oci-archive:$BATS_TEST_TMPDIR/k.tar:multi:1"
	ROOT=$BATS_TEST_TMPDIR/root3
	run -0 b load -i "$BATS_TEST_TMPDIR/k.tar"
	[ "${lines[-1]}" = "Loaded image: multi:1" ]
	run -0 b image inspect multi:1
	[ "$(echo "$output" | jqe -r '.platforms | join(",")')" = linux/amd64,linux/riscv64 ]
	run -0 find "$ROOT/tmp" -mindepth 1
	[ -z "$output" ]
}
