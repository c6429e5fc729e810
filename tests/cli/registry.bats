#!/usr/bin/env bats
# berth and OCI registries: pull from Debian's docker-registry (plain HTTP, and TLS with
# htpasswd Basic auth) of images skopeo put there (OCI, Docker schema 2, a multi-platform
# index with an attestation entry, several layers); a hostile registry (tests/tools/
# faultproxy.py) whose every fault fails the pull with one line and leaves the store as it
# was; login/logout and the auth.json skopeo reads; tag, --digests, REF@sha256, run --pull.
# Only 127.0.0.1 is contacted.
load helpers
load registry-helpers

BERTH=$BERTH_BUILD/berth

setup_file() {
	bats_require_minimum_version 1.5.0
	command -v docker-registry >/dev/null || skip "docker-registry not installed"
	command -v skopeo >/dev/null || skip "skopeo not installed"
	local d=$BATS_FILE_TMPDIR
	start_registry "$d/plain"
	export REG=127.0.0.1:$REG_PORT
	# the images: berth's busybox as OCI and as Docker schema 2, an index of three platforms
	# (and an attestation), and one with three more layers
	"$BERTH" --root "$d/src" image export busybox "$d/bb.tar"
	mkdir -p "$d/base"
	tar -C "$d/base" -xf "$d/bb.tar"
	skopeo copy -q --dest-tls-verify=false oci-archive:"$d/bb.tar" "docker://$REG/busybox:oci"
	skopeo copy -q --format v2s2 --dest-tls-verify=false oci-archive:"$d/bb.tar" \
		"docker://$REG/busybox:v2s2"
	python3 "$BERTH_TOP/tests/tools/mkimage.py" "$d/base" "$d/multi" --layers 1 \
		--platforms linux/amd64,linux/arm64/v8,linux/riscv64 --attestation --tag m
	skopeo copy -q --all --dest-tls-verify=false oci:"$d/multi:m" "docker://$REG/multi:latest"
	python3 "$BERTH_TOP/tests/tools/mkimage.py" "$d/base" "$d/layers3" --layers 3 --tag l
	skopeo copy -q --dest-tls-verify=false oci:"$d/layers3:l" "docker://$REG/layers:3"
	python3 "$BERTH_TOP/tests/tools/mkimage.py" "$d/base" "$d/layers2" --layers 2 --tag l
	skopeo copy -q --dest-tls-verify=false oci:"$d/layers2:l" "docker://$REG/layers:2"
	# no search registries unless a test says so
	: >"$d/registries.conf"
	export BERTH_REGISTRIES_CONF=$d/registries.conf
}

teardown_file() {
	stop_pidfile "$BATS_FILE_TMPDIR/proxy.pid"
	stop_pidfile "$BATS_FILE_TMPDIR/plain/pid"
	stop_pidfile "$BATS_FILE_TMPDIR/tls/pid"
	stop_pidfile "$BATS_FILE_TMPDIR/tls-client/pid"
	stop_pidfile "$BATS_FILE_TMPDIR/token/pid"
	stop_pidfile "$BATS_FILE_TMPDIR/token/token.pid"
}

setup() {
	ROOT=$BATS_TEST_TMPDIR/root
}

teardown() {
	engine_rm_all
}

# The store's files (a failed pull must leave them as they were) and its staging area.
store_list() {
	(cd "$ROOT" && find images layers containers tmp -printf '%p %s\n' | sort)
}

# The fault-injecting proxy in front of the plain registry (started once); sets PROXY.
start_proxy() {
	local d=$BATS_FILE_TMPDIR i
	if [ ! -e "$d/proxy.port" ]; then
		echo pass >"$d/proxy.mode"
		python3 "$BERTH_TOP/tests/tools/faultproxy.py" "$REG_PORT_PLAIN" "$d/proxy.mode" \
			"$d/proxy.port" >"$d/proxy.log" 2>&1 3>&- &
		echo $! >"$d/proxy.pid"
		for i in $(seq 1 1200); do
			[ -e "$d/proxy.port" ] && break
			sleep 0.1
		done
	fi
	PROXY=127.0.0.1:$(cat "$d/proxy.port")
	wait_http "http://$PROXY/v2/"
}

@test "pull: OCI and Docker schema 2 manifests skopeo pushed; run the image; --digests" {
	run -0 b pull --tls-verify=false "$REG/busybox:oci"
	[[ "${lines[-1]}" =~ ^[0-9a-f]{64}$ ]]
	run -0 b pull --tls-verify=false "$REG/busybox:v2s2"
	run -0 b run --rm "$REG/busybox:v2s2" echo hello from the registry
	[ "$output" = "hello from the registry" ]
	run -0 b run --rm "$REG/busybox:oci" sh -c 'echo $((6 * 7))'
	[ "$output" = 42 ]
	# the digest is the manifest's, as the registry (and skopeo) know it
	local d
	d=$(skopeo inspect --tls-verify=false "docker://$REG/busybox:v2s2" | jq -r .Digest)
	run -0 b images --digests
	[[ "$output" == *"$REG/busybox:v2s2"*"$d"* ]]
	run -0 jq -r '.manifests[] | select(.digest == "'"$d"'") | .mediaType' "$ROOT/images/index.json"
	[ "$output" = application/vnd.docker.distribution.manifest.v2+json ]
	# nothing is left in the staging area
	run -0 find "$ROOT/tmp" -mindepth 1
	[ -z "$output" ]
}

@test "pull: REF@sha256 fetches and checks that manifest; run REF@sha256 finds it" {
	local d
	d=$(skopeo inspect --tls-verify=false "docker://$REG/busybox:oci" | jq -r .Digest)
	run -0 b pull -q --tls-verify=false "$REG/busybox@$d"
	run -0 b run --rm "$REG/busybox@$d" echo by digest
	[ "$output" = "by digest" ]
	# a digest the registry does not have
	run -125 b pull -q --tls-verify=false "$REG/busybox@sha256:$(printf '%064d' 1)"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "berth: pull: $REG/busybox@sha256:"*"not found"* ]]
}

@test "pull progress: plain lines off a terminal; on one, a line per layer redrawn in place and a summary; -q: nothing" {
	local layers h plain
	layers=$(skopeo inspect --tls-verify=false "docker://$REG/layers:3" | jqe -r '.Layers[] | ltrimstr("sha256:")')
	[ "$(echo "$layers" | wc -l)" -eq 4 ]
	run -0 b pull --tls-verify=false "$REG/layers:3"
	[ "$(echo "$output" | grep -c '^Copying blob sha256:[0-9a-f]\{12\} ([0-9.]* MB)$')" -eq 4 ]
	[[ "$output" != *$'\e'* ]]
	[[ "$output" != *Fetched* ]]
	run -0 b pull --tls-verify=false "$REG/layers:3"
	[ "$(echo "$output" | grep -c '^Copying blob sha256:[0-9a-f]\{12\} skipped: already exists$')" -eq 4 ]
	ROOT=$BATS_TEST_TMPDIR/quiet
	run -0 b pull -q --tls-verify=false "$REG/layers:3"
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" =~ ^[0-9a-f]{64}$ ]]
	# on a terminal (script(1) runs berth on a pty)
	ROOT=$BATS_TEST_TMPDIR/tty
	run -0 script -qec "$BERTH --root $ROOT pull --tls-verify=false $REG/layers:3" /dev/null
	[[ "$output" == *$'\e['[0-9]*A* ]]
	plain=$(printf '%s' "$output" | tr '\r' '\n' | sed 's/\x1b\[[0-9]*[AJK]//g')
	for h in $layers; do
		[ "$(echo "$plain" | grep -cE "^Copying blob ${h:0:12}  done +[0-9.]+ (B|kB|MB) / [0-9.]+ (B|kB|MB) +[0-9.]+ (B|kB|MB|GB)/s$")" -ge 1 ]
	done
	[ "$(echo "$plain" | grep -cE '^Fetched 4 of 4 layers: [0-9.]+ (B|kB|MB) in [0-9.]+ s \([0-9.]+ (B|kB|MB|GB)/s\)$')" -eq 1 ]
	[[ "$plain" != *"Copying blob sha256:"* ]]
	run -0 b run --rm "$REG/layers:3" cat /layer3.txt
	[ "$output" = "layer 3" ]
	# again on a terminal: each layer is there already
	run -0 script -qec "$BERTH --root $ROOT pull --tls-verify=false $REG/layers:3" /dev/null
	plain=$(printf '%s' "$output" | tr '\r' '\n' | sed 's/\x1b\[[0-9]*[AJK]//g')
	[ "$(echo "$plain" | grep '^Copying blob [0-9a-f]\{12\}  already exists$' | sort -u | wc -l)" -eq 4 ]
	[ "$(echo "$plain" | grep -c '^Fetched 0 of 4 layers: ')" -eq 1 ]
}

@test "pull: a multi-platform index: the host's platform, --platform, none matching" {
	run -0 b pull --tls-verify=false "$REG/multi"
	[[ "$output" == *"Platform linux/amd64"* ]]
	run -0 b image inspect "$REG/multi"
	[ "$(echo "$output" | jq -r .config.architecture)" = amd64 ]
	run -0 b run --rm "$REG/multi" cat /layer1.txt
	[ "$output" = "layer 1" ]
	run -0 b pull -q --tls-verify=false --platform linux/riscv64 "$REG/multi"
	run -0 b image inspect "$REG/multi"
	[ "$(echo "$output" | jq -r .config.architecture)" = riscv64 ]
	run -0 b pull -q --tls-verify=false --platform linux/arm64 "$REG/multi"
	run -0 b image inspect "$REG/multi"
	[ "$(echo "$output" | jq -r .config.variant)" = v8 ]
	local before
	before=$(store_list)
	run -125 b pull -q --tls-verify=false --platform linux/s390x "$REG/multi"
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "berth: pull: $REG/multi: no image for linux/s390x in the index (it has: linux/amd64, linux/arm64/v8, linux/riscv64)" ]
	# the attestation entry is never a candidate
	run -125 b pull -q --tls-verify=false --platform unknown/unknown "$REG/multi"
	[[ "$output" == *"no image for unknown/unknown"* ]]
	[ "$(store_list)" = "$before" ]
	run -125 b pull --platform linux "$REG/multi"
	[[ "$output" == *"bad --platform \`linux\`: expected OS/ARCH[/VARIANT]"* ]]
}

@test "pull --all-platforms: every image and the index as a list that runs as the host's" {
	run -0 b pull --all-platforms --tls-verify=false "$REG/multi"
	[ "$(echo "$output" | grep -c '^Platform ')" -eq 3 ]
	[[ "$output" != *"unknown/unknown"* ]]
	run -0 b manifest inspect "$REG/multi"
	[ "$(echo "$output" | jq -r '[.manifests[].platform.architecture] | join(",")')" = unknown,amd64,arm64,riscv64 ]
	# the index's own bytes: its digest is the registry's
	local d
	d=$(skopeo inspect --tls-verify=false --raw "docker://$REG/multi" | sha256sum | cut -d' ' -f1)
	run -0 jq -r '.manifests[0].digest' "$ROOT/images/index.json"
	[ "$output" = "sha256:$d" ]
	run -0 b images
	[[ "$output" == *"$REG/multi:latest"* ]]
	run -0 b image inspect "$REG/multi"
	[ "$(echo "$output" | jq -r .config.architecture)" = amd64 ]
	run -0 b run --rm "$REG/multi" cat /layer1.txt
	[ "$output" = "layer 1" ]
	# three configs, three manifests, the index, two layers
	[ "$(ls "$ROOT/images/blobs/sha256" | wc -l)" -eq 9 ]
	run -0 b rmi "$REG/multi"
	[ "$(ls "$ROOT/images/blobs/sha256" | wc -l)" -eq 0 ]
}

@test "pull: layers the store has are not fetched again; -q prints only the id" {
	run -0 b pull -q --tls-verify=false "$REG/layers:2"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	run -0 b pull --tls-verify=false "$REG/layers:3"
	[ "$(echo "$output" | grep -c 'skipped: already exists')" -eq 3 ]
	[ "$(echo "$output" | grep -c '^Copying blob .*MB)$')" -eq 1 ]
	run -0 b run --rm "$REG/layers:3" cat /layer1.txt /layer3.txt
	[ "$output" = "layer 1
layer 3" ]
}

@test "pull: short names need a search list; plain HTTP needs --tls-verify=false" {
	run -125 b pull busybox:oci
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "berth: pull: busybox:oci: a short name, and $BERTH_REGISTRIES_CONF lists no unqualified-search-registries"* ]]
	local conf=$BATS_TEST_TMPDIR/registries.conf
	printf 'unqualified-search-registries = ["%s"]\n' "$REG" >"$conf"
	BERTH_REGISTRIES_CONF=$conf run -0 b pull -q --tls-verify=false busybox:oci
	run -0 b images
	[[ "$output" == *"$REG/busybox:oci"* ]]
	run -125 b pull -q "$REG/busybox:oci"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"(--tls-verify=false for a plain HTTP registry)" ]]
	run -125 b pull -q "Bad/Name"
	[[ "$output" == *"bad image reference"* ]]
}

@test "pull: a hostile registry: each fault is one line naming the reference, the store unchanged" {
	REG_PORT_PLAIN=${REG##*:}
	start_proxy
	b pull -q --tls-verify=false "$REG/busybox:oci" >/dev/null
	local before mode
	before=$(store_list)
	declare -A want=(
		[corrupt]="digest mismatch"
		[truncate]="blob sha256:"
		[drop]="blob sha256:"
		[short]="size mismatch: expected"
		[oversize]="more than the"
		[500]="HTTP 500"
		[bigmanifest]="larger than 4 MiB"
		[schema1]="Docker schema 1"
		[badjson]="not a JSON object"
		[redirect-loop]="redirect"
	)
	for mode in "${!want[@]}"; do
		echo "$mode" >"$BATS_FILE_TMPDIR/proxy.mode"
		run -125 b pull -q --tls-verify=false "$PROXY/layers:3"
		echo "$mode: $output"
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "berth: pull: $PROXY/layers:3: "*"${want[$mode]}"* ]]
		[ "$(store_list)" = "$before" ]
	done
	# a server that stalls: berth gives up after BERTH_REGISTRY_STALL seconds without data
	echo stall >"$BATS_FILE_TMPDIR/proxy.mode"
	BERTH_REGISTRY_STALL=2 run -125 b pull -q --tls-verify=false "$PROXY/layers:3"
	echo "stall: $output"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "berth: pull: $PROXY/layers:3: blob sha256:"*"Timeout was reached"* ]]
	[ "$(store_list)" = "$before" ]
	echo pass >"$BATS_FILE_TMPDIR/proxy.mode"
}

@test "pull: a connection dropped half way is resumed with a Range request" {
	REG_PORT_PLAIN=${REG##*:}
	start_proxy
	echo drop-once >"$BATS_FILE_TMPDIR/proxy.mode"
	run -0 b pull --tls-verify=false "$PROXY/layers:2"
	echo pass >"$BATS_FILE_TMPDIR/proxy.mode"
	[[ "$output" == *"Resuming blob sha256:"* ]]
	run -0 b run --rm "$PROXY/layers:2" cat /layer2.txt
	[ "$output" = "layer 2" ]
}

@test "TLS and Basic auth: certs.d CA, login with --password-stdin, an auth.json skopeo reads, logout" {
	local d=$BATS_FILE_TMPDIR/tls
	[ -e "$d/port" ] || start_registry "$d" tls
	local treg=127.0.0.1:$(cat "$d/port")
	local auth=$BATS_TEST_TMPDIR/auth.json
	export BERTH_CERTS_D=$BATS_TEST_TMPDIR/certs.d
	# the CA is unknown: the certificate is refused
	run -125 b pull -q --authfile "$auth" "$treg/busybox:oci"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"certificate"* ]]
	mkdir -p "$BERTH_CERTS_D/$treg"
	cp "$d/ca.crt" "$BERTH_CERTS_D/$treg/ca.crt"
	# no credentials
	run -125 b pull -q --authfile "$auth" "$treg/busybox:oci"
	[[ "$output" == *"authentication required (berth login $treg"* ]]
	# a wrong password: refused, nothing kept
	run -125 b login -u berth --password-stdin --authfile "$auth" "$treg" <<<"wrong"
	[[ "$output" == *"refused the credentials for \`berth\`"* ]]
	[ ! -e "$auth" ]
	run -0 b login -u berth --password-stdin --authfile "$auth" "$treg" <<<"s3cret pass"
	[[ "$output" != *"s3cret"* ]]
	[ "$(jq -r ".auths[\"$treg\"].auth" "$auth" | base64 -d)" = "berth:s3cret pass" ]
	[ "$(stat -c %a "$auth")" = 600 ]
	# skopeo uses the same file: it pushes with it
	skopeo copy -q --authfile "$auth" --dest-cert-dir "$BERTH_CERTS_D/$treg" \
		oci-archive:"$BATS_FILE_TMPDIR/bb.tar" "docker://$treg/busybox:oci"
	run -0 b pull -q --authfile "$auth" "$treg/busybox:oci"
	run -0 b run --rm "$treg/busybox:oci" echo over TLS
	[ "$output" = "over TLS" ]
	# REGISTRY_AUTH_FILE as Podman reads it
	REGISTRY_AUTH_FILE=$auth run -0 b pull -q "$treg/busybox:oci"
	run -0 b logout --authfile "$auth" "$treg"
	[ "$(jq -r ".auths[\"$treg\"]" "$auth")" = null ]
	run -125 b logout --authfile "$auth" "$treg"
	[[ "$output" == *"not logged in to $treg"* ]]
	run -125 b pull -q --authfile "$auth" "$treg/busybox:oci"
	[[ "$output" == *"authentication required"* ]]
}

@test "TLS client certificates: certs.d/HOST:PORT/NAME.cert and NAME.key" {
	local d=$BATS_FILE_TMPDIR/tls-client
	[ -e "$d/port" ] || start_registry "$d" tls-client
	local creg=127.0.0.1:$(cat "$d/port")
	export BERTH_CERTS_D=$BATS_TEST_TMPDIR/certs.d
	mkdir -p "$BERTH_CERTS_D/$creg"
	cp "$d/ca.crt" "$BERTH_CERTS_D/$creg/ca.crt"
	# without a client certificate the TLS handshake fails
	run -125 b push -q busybox "$creg/busybox:1"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "berth: push: $creg/busybox:1: registry $creg: "* ]]
	cp "$d/client.cert" "$d/client.key" "$BERTH_CERTS_D/$creg/"
	run -0 b push -q busybox "$creg/busybox:1"
	ROOT=$BATS_TEST_TMPDIR/root2
	run -0 b pull -q "$creg/busybox:1"
	run -0 b run --rm "$creg/busybox:1" echo client certificate
	[ "$output" = "client certificate" ]
}

@test "tag, and run --pull=missing|always|never" {
	run -125 b run --rm --pull=never "$REG/busybox:oci" true
	[[ "$output" == *"image \"$REG/busybox:oci\" not found"* ]]
	# missing (the default): pulled first
	run -0 b run --rm --tls-verify=false "$REG/busybox:oci" echo pulled
	[ "${lines[-1]}" = pulled ]
	run -0 b run --rm --tls-verify=false "$REG/busybox:oci" echo again
	[ "$output" = again ]
	run -0 b run --rm --pull=always --tls-verify=false "$REG/busybox:oci" echo always
	[[ "$output" == *"Trying to pull $REG/busybox:oci"* ]]
	run -125 b run --rm --pull=sometimes busybox true
	[[ "$output" == *"bad --pull \`sometimes\`"* ]]
	run -0 b tag "$REG/busybox:oci" mine:1 "$REG/other:2"
	run -0 b run --rm mine:1 echo tagged
	[ "$output" = tagged ]
	run -0 b images
	[[ "$output" == *"$REG/other:2"* ]]
	run -125 b tag "$REG/busybox:oci" "Bad:x"
	[[ "$output" == *"bad TARGET_IMAGE \`Bad:x\`: expected [REGISTRY/]NAME[:TAG]"* ]]
	run -125 b tag nothing:here x:y
	[[ "$output" == *"not found"* ]]
}

@test "push: OCI and Docker schema 2, HEAD skips what the registry has, chunked; skopeo and podman read it" {
	# one image (the built-in busybox is a list: the next test)
	b image import "$BATS_FILE_TMPDIR/bb.tar" bb1
	run -0 b push --tls-verify=false bb1 "$REG/pushed:oci"
	[ "$(echo "$output" | grep -c '^Copying blob .*MB)$')" -eq 2 ]
	local digest=${lines[-1]#Pushed }
	# skopeo reads back what berth wrote: the same digest, an OCI manifest
	run -0 skopeo inspect --tls-verify=false --raw "docker://$REG/pushed:oci"
	[ "$(echo "$output" | jq -r .mediaType)" = application/vnd.oci.image.manifest.v1+json ]
	[ "$(printf '%s' "$output" | sha256sum | cut -d' ' -f1)" = "${digest#sha256:}" ]
	# the same blobs as Docker schema 2: nothing uploaded again
	run -0 b push --format v2s2 --tls-verify=false bb1 "$REG/pushed:v2s2"
	[ "$(echo "$output" | grep -c 'skipped: already exists')" -eq 2 ]
	run -0 skopeo inspect --tls-verify=false --raw "docker://$REG/pushed:v2s2"
	[ "$(echo "$output" | jq -r .mediaType)" = application/vnd.docker.distribution.manifest.v2+json ]
	# chunked (PATCH) uploads to a new repository, through the proxy that logs requests
	REG_PORT_PLAIN=${REG##*:}
	start_proxy
	: >"$BATS_FILE_TMPDIR/proxy.mode.log"
	BERTH_PUSH_CHUNK=100000 run -0 b push -q --tls-verify=false bb1 "$PROXY/chunked:1"
	[ "$(grep -c '^PATCH /v2/chunked/blobs/uploads/' "$BATS_FILE_TMPDIR/proxy.mode.log")" -ge 20 ]
	# cross-repository mount: an image named after another repository of the registry
	run -0 b pull -q --tls-verify=false "$PROXY/busybox:oci"
	: >"$BATS_FILE_TMPDIR/proxy.mode.log"
	run -0 b push --tls-verify=false "$PROXY/busybox:oci" "$PROXY/mounted:1"
	[ "$(echo "$output" | grep -c 'mounted from busybox')" -eq 2 ]
	[ "$(grep -c '^POST /v2/mounted/blobs/uploads/?mount=sha256:.*&from=busybox' "$BATS_FILE_TMPDIR/proxy.mode.log")" -eq 2 ]
	run -1 grep '^PUT /v2/mounted/blobs' "$BATS_FILE_TMPDIR/proxy.mode.log"
	run -0 skopeo inspect --tls-verify=false "docker://$REG/mounted:1"
	run -0 skopeo copy -q --src-tls-verify=false "docker://$REG/chunked:1" "dir:$BATS_TEST_TMPDIR/dir"
	# podman pulls it (a storage of its own)
	local pm=$BATS_TEST_TMPDIR/podman
	run -0 podman --root "$pm/root" --runroot "$pm/run" --storage-driver vfs pull -q \
		--tls-verify=false "$REG/pushed:v2s2"
	run -0 podman --root "$pm/root" --runroot "$pm/run" --storage-driver vfs image inspect \
		--format '{{.Architecture}}' "$REG/pushed:v2s2"
	[ "$output" = amd64 ]
	podman --root "$pm/root" --runroot "$pm/run" --storage-driver vfs rmi -af >/dev/null 2>&1 || true
	# and berth pulls it into another store and runs it
	ROOT=$BATS_TEST_TMPDIR/root2
	run -0 b run --rm --tls-verify=false "$REG/chunked:1" echo round trip
	[ "${lines[-1]}" = "round trip" ]
	run -125 b push -q busybox short/name
	[[ "$output" == *"a short name: give REGISTRY/REPOSITORY[:TAG] to push to"* ]]
	run -125 b push --format v1 busybox "$REG/x"
	[[ "$output" == *"bad --format \`v1\`"* ]]
}

@test "push: the built-in busybox goes as its index with both images; skopeo reads both platforms" {
	riscv64_busybox "$BATS_TEST_TMPDIR/cache"
	export BERTH_GUEST_CACHE=$BATS_TEST_TMPDIR/cache
	run -0 b push --tls-verify=false busybox "$REG/bbx:1"
	[ "$(echo "$output" | grep -c '^Pushed sha256:')" -eq 2 ]
	run -0 skopeo inspect --tls-verify=false --raw "docker://$REG/bbx:1"
	[ "$(echo "$output" | jqe -r .mediaType)" = application/vnd.oci.image.index.v1+json ]
	[ "$(echo "$output" | jqe -r '[.manifests[].platform | .os + "/" + .architecture] | join(",")')" = linux/amd64,linux/riscv64 ]
	[ "$(printf '%s' "$output" | sha256sum | cut -d' ' -f1)" = "$(b image inspect busybox | jqe -r '.index_digest | ltrimstr("sha256:")')" ]
	run -0 skopeo inspect --tls-verify=false --override-arch riscv64 "docker://$REG/bbx:1"
	[ "$(echo "$output" | jqe -r .Architecture)" = riscv64 ]
	run -0 skopeo inspect --tls-verify=false "docker://$REG/bbx:1"
	[ "$(echo "$output" | jqe -r .Architecture)" = amd64 ]
	# each platform pulls back as it was pushed
	ROOT=$BATS_TEST_TMPDIR/root2
	run -0 b pull -q --tls-verify=false --platform linux/riscv64 "$REG/bbx:1"
	run -0 b image inspect "$REG/bbx:1"
	[ "$(echo "$output" | jqe -r .config.architecture)" = riscv64 ]
	run -0 b pull -q --tls-verify=false "$REG/bbx:1"
	run -0 b run --rm "$REG/bbx:1" echo from the index
	[ "$output" = "from the index" ]
	# a list is pushed as it is: --format converts one image
	ROOT=$BATS_TEST_TMPDIR/root
	run -125 b push -q --format v2s2 --tls-verify=false busybox "$REG/bbx:2"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"busybox: a manifest list is pushed as stored: --format converts one image" ]]
}

@test "Bearer tokens: anonymous pull; push needs a login; with credentials it works" {
	local d=$BATS_FILE_TMPDIR/token
	if [ ! -e "$d/port" ]; then
		start_token_server "$d"
		start_registry "$d" token
	fi
	local treg=127.0.0.1:$(cat "$d/port")
	local auth=$BATS_TEST_TMPDIR/auth.json
	# skopeo (with credentials) puts an image there
	skopeo copy -q --dest-tls-verify=false --dest-creds 'berth:s3cret pass' \
		oci-archive:"$BATS_FILE_TMPDIR/bb.tar" "docker://$treg/busybox:oci"
	: >"$d/token.log"
	run -0 b pull -q --tls-verify=false --authfile "$auth" "$treg/busybox:oci"
	# an anonymous token for pull on this repository
	run -0 cat "$d/token.log"
	[[ "$output" == *"scope=repository%3Abusybox%3Apull&service=berth-registry basic=no"* ]]
	run -125 b push -q --tls-verify=false --authfile "$auth" busybox "$treg/mine:1"
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"HTTP 401"*"(berth login REGISTRY for push access)" ]]
	run -125 b login -u berth -p wrong --tls-verify=false --authfile "$auth" "$treg"
	[[ "$output" == *"refused"* ]]
	run -0 b login -u berth --password-stdin --tls-verify=false --authfile "$auth" "$treg" <<<"s3cret pass"
	: >"$d/token.log"
	run -0 b push -q --tls-verify=false --authfile "$auth" busybox "$treg/mine:1"
	run -0 cat "$d/token.log"
	[[ "$output" == *"scope=repository%3Amine%3Apull%2Cpush&service=berth-registry basic=yes"* ]]
	run -0 skopeo inspect --tls-verify=false --authfile "$auth" "docker://$treg/mine:1"
	# an image pulled from another repository: its blobs are mounted, with pull access to
	# that repository in the same token
	: >"$d/token.log"
	run -0 b push --tls-verify=false --authfile "$auth" "$treg/busybox:oci" "$treg/mine:2"
	[ "$(echo "$output" | grep -c 'mounted from busybox')" -eq 2 ]
	run -0 cat "$d/token.log"
	[[ "$output" == *"scope=repository%3Amine%3Apull%2Cpush&scope=repository%3Abusybox%3Apull&"* ]]
	run -0 skopeo inspect --tls-verify=false --authfile "$auth" "docker://$treg/mine:2"
}

@test "manifest create/add/inspect/push: a two-platform list skopeo reads and berth pulls per platform" {
	b run --rm busybox true
	run -0 b pull -q --tls-verify=false --platform linux/riscv64 "$REG/multi"
	b tag "$REG/multi" rv:1
	run -0 b manifest create mylist
	run -0 b manifest add mylist busybox
	run -0 b manifest add mylist rv:1
	# the same platform again replaces its entry
	run -0 b manifest add mylist busybox
	run -0 b manifest inspect mylist
	[ "$(echo "$output" | jq -r '[.manifests[].platform.architecture] | sort | join(",")')" = amd64,riscv64 ]
	# a list runs as its image for the host's platform
	run -0 b run --rm mylist uname -m
	[ "$output" = x86_64 ]
	run -0 b push -q --tls-verify=false busybox "$REG/dummy:1"
	run -125 b manifest add rv:1 busybox
	[[ "$output" == *'"rv:1" is an image, not a manifest list'* ]]
	run -125 b manifest create mylist
	[[ "$output" == *"exists already"* ]]
	run -0 b manifest push --tls-verify=false mylist "$REG/mylist:1"
	run -0 skopeo inspect --tls-verify=false --raw "docker://$REG/mylist:1"
	[ "$(echo "$output" | jq -r .mediaType)" = application/vnd.oci.image.index.v1+json ]
	[ "$(echo "$output" | jq '.manifests | length')" = 2 ]
	# the list keeps its images: removing their names does not collect their blobs
	b rmi rv:1 "$REG/multi"
	run -0 b manifest push -q --tls-verify=false mylist "$REG/mylist:2"
	ROOT=$BATS_TEST_TMPDIR/root2
	run -0 b pull -q --tls-verify=false --platform linux/riscv64 "$REG/mylist:1"
	run -0 b image inspect "$REG/mylist:1"
	[ "$(echo "$output" | jq -r .config.architecture)" = riscv64 ]
	run -0 b pull -q --tls-verify=false "$REG/mylist:2"
	run -0 b run --rm "$REG/mylist:2" echo from the list
	[ "$output" = "from the list" ]
}
