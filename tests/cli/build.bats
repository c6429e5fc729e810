#!/usr/bin/env bats
# berth build: a multi-stage build that compiles a C program into a FROM scratch image, each
# instruction's effect on the image config and filesystem, deletions in a later layer, the
# build cache, reproducible --timestamp builds, the one-line errors with nothing left behind,
# and the result under berth run and Podman.
load helpers
load engine-helpers
load podman-helpers
load registry-helpers

CACHE=/var/cache/berth

setup() {
	bats_require_minimum_version 1.5.0
	ROOT=$BATS_TEST_TMPDIR/root
	CTX=$BATS_TEST_TMPDIR/ctx
	mkdir -p "$CTX"
}

teardown() {
	if [ -n "${SERVER:-}" ]; then kill "$SERVER" 2>/dev/null || true; fi
	stop_pidfile "$BATS_TEST_TMPDIR/reg/pid"
	engine_rm_all
	podman_teardown_file
}

# toolchain_tar: a rootfs tar of the host's gcc (Debian's packages' files, without docs,
# LTO and sanitizers, /lib and /lib64 as merged-/usr links), made once per machine and gcc.
toolchain_tar() {
	local v out list p
	v=$(dpkg-query -W -f '${Version}' gcc-12 2>/dev/null) || skip "gcc-12 not installed"
	out=$CACHE/build-toolchain-$v.tar
	if [ ! -s "$out" ]; then
		mkdir -p "$CACHE"
		list=$BATS_TEST_TMPDIR/toolchain.list
		for p in gcc-12 cpp-12 binutils-x86-64-linux-gnu libbinutils libctf0 libctf-nobfd0 \
			libc6 libc6-dev libgcc-12-dev libgcc-s1 libisl23 libmpc3 libmpfr6 libgmp10 \
			zlib1g libzstd1 libcrypt1 libcrypt-dev linux-libc-dev libjansson4; do
			dpkg -L "$p"
		done | sed -E 's#^/(lib|lib64|bin|sbin)/#/usr/\1/#' |
			grep -v -E '^/usr/share/|/lto1$|lto-dump|san\.a$|san\.so|gold|dwp|gprofng|plugin/include|libitm|/libgomp|/lib32|/libx32' |
			sort -u | while read -r f; do
			if [ -d "$f" ] && [ ! -L "$f" ]; then continue; fi
			if [ -e "$f" ] || [ -L "$f" ]; then echo "${f#/}"; fi
		done >"$list.1"
		{
			cat "$list.1"
			printf 'usr/bin/gcc\nusr/bin/cc\nusr/bin/as\nusr/bin/ld\n'
		} | grep -v -x -E 'lib|lib64|usr/lib64' | sort -u >"$list"
		printf 'lib\nlib64\nusr/lib64\n' >>"$list"
		tar -C / --no-recursion -cf "$out.tmp" -T "$list"
		mv "$out.tmp" "$out"
	fi
	echo "$out"
}

# cfg IMAGE JQ: a field of the image's config
cfg() {
	b image inspect "$1" | jq -c "$2"
}

# Nothing of a build is left: no container, no mount, no staging directory.
assert_build_left_nothing() {
	[ -z "$(ls "$ROOT/containers" 2>/dev/null)" ] || false
	[ -z "$(ls "$ROOT/tmp" 2>/dev/null)" ] || false
	run ! grep -q "$ROOT" /proc/self/mountinfo
}

@test "build: a multi-stage build compiles C with a toolchain image into FROM scratch, which runs" {
	run -0 b image import "$(toolchain_tar)" toolchain
	cat >"$CTX/hello.c" <<'EOF'
#include <stdio.h>
int main(int argc, char **argv) { printf("hello from %s, built by berth\n", argv[0]); return argc - 1; }
EOF
	cat >"$CTX/Containerfile" <<'EOF'
FROM toolchain AS build
WORKDIR /src
COPY hello.c ./
RUN ["gcc", "-static", "-O2", "-o", "/hello", "hello.c"]

# a stage the result does not need is not built
FROM busybox AS unused
RUN exit 1

FROM scratch
COPY --from=build /hello /usr/bin/hello
ENTRYPOINT ["/usr/bin/hello"]
EOF
	run -0 b build -t hello "$CTX"
	[[ "$output" == *"STEP 1/9: FROM toolchain AS build"* ]] || false
	[[ "$output" == *"STEP 5/9: FROM busybox AS unused (not needed: skipped)"* ]] || false
	[[ "$output" == *"STEP 7/9: FROM scratch"* ]] || false
	[[ "$output" == *"Successfully tagged hello:latest"* ]] || false
	run -0 b run --rm hello
	[ "$output" = "hello from /usr/bin/hello, built by berth" ]
	# the scratch stage is one layer: the binary (and its directories) only
	[ "$(cfg hello '.manifest.layers | length')" = 1 ]
	[ "$(cfg hello '.config.config.Entrypoint')" = '["/usr/bin/hello"]' ]
	run -0 b run --rm --entrypoint /usr/bin/hello hello
	# --target stops at a stage: the toolchain's image with the binary
	run -0 b build -q --target build -t hello-build "$CTX"
	run -0 b run --rm --entrypoint /hello hello-build
	[ "$output" = "hello from /hello, built by berth" ]
	run -125 b build --target nope "$CTX"
	[ "$output" = "berth: build: --target nope: no stage of that name in Containerfile" ]
	assert_build_left_nothing
}

@test "build: COPY --from a stage named by a variable builds every earlier stage and takes the right one" {
	cat >"$CTX/Containerfile" <<'EOF'
ARG SRC=two
FROM busybox AS one
RUN echo one > /f
FROM busybox AS two
RUN echo two > /f
FROM busybox
ARG SRC
COPY --from=$SRC /f /f
EOF
	run -0 b build -t varfrom "$CTX"
	[[ "$output" != *"not needed"* ]] || false
	run -0 b run --rm varfrom cat /f
	[ "$output" = two ]
	run -0 b build -q --build-arg SRC=one -t varfrom "$CTX"
	run -0 b run --rm varfrom cat /f
	[ "$output" = one ]
}

@test "build: each instruction's effect on the image config" {
	cat >"$CTX/Containerfile" <<'EOF'
ARG BASE=busybox
FROM $BASE
ARG VERSION=1.0
ARG EMPTY
ENV APP=demo \
    PATHS="/a /b"
ENV OLD_FORM value with spaces
LABEL org.example.version=$VERSION "quoted key"=yes
EXPOSE 80 53/udp
VOLUME ["/data"] 
USER 1000:1000
WORKDIR /srv
WORKDIR app
STOPSIGNAL SIGINT
SHELL ["/bin/sh", "-e", "-c"]
HEALTHCHECK --interval=5s --retries=2 CMD wget -q localhost || exit 1
ONBUILD RUN echo triggered
ENV SUB1=${APP:-x} SUB2=${NOPE:-dflt} SUB3=${APP:+alt} SUB4=${NOPE:+alt} SUB5=\$APP SUB6='$APP' SUB7=${EMPTY:-unset}
CMD echo $APP
MAINTAINER someone
ENV SCOPE1=${BASE:-not-in-scope}
ARG BASE
ENV SCOPE2=$BASE
EOF
	run -0 b build -q --build-arg VERSION=2.5 --label built.by=bats -t cfgimg "$CTX"
	local c
	c=$(b image inspect cfgimg | jq -c .config.config)
	[ "$(jq -c .Env <<<"$c")" = '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","APP=demo","PATHS=/a /b","OLD_FORM=value with spaces","SUB1=demo","SUB2=dflt","SUB3=alt","SUB4=","SUB5=$APP","SUB6=$APP","SUB7=unset","SCOPE1=not-in-scope","SCOPE2=busybox"]' ]
	[ "$(jq -c .Labels <<<"$c")" = '{"built.by":"bats","org.example.version":"2.5","quoted key":"yes"}' ]
	[ "$(jq -c .ExposedPorts <<<"$c")" = '{"53/udp":{},"80/tcp":{}}' ]
	[ "$(jq -c .Volumes <<<"$c")" = '{"/data":{}}' ]
	[ "$(jq -r .User <<<"$c")" = 1000:1000 ]
	[ "$(jq -r .WorkingDir <<<"$c")" = /srv/app ]
	[ "$(jq -r .StopSignal <<<"$c")" = SIGINT ]
	[ "$(jq -c .Shell <<<"$c")" = '["/bin/sh","-e","-c"]' ]
	[ "$(jq -c .Healthcheck <<<"$c")" = '{"Interval":5000000000,"Retries":2,"Test":["CMD-SHELL","wget -q localhost || exit 1"]}' ]
	[ "$(jq -c .OnBuild <<<"$c")" = '["RUN echo triggered"]' ]
	# the shell form runs in SHELL
	[ "$(jq -c .Cmd <<<"$c")" = '["/bin/sh","-e","-c","echo $APP"]' ]
	[ "$(cfg cfgimg .config.author)" = '"someone"' ]
	# the image runs; WORKDIR made the directories
	run -0 b run --rm -u 0 cfgimg sh -c 'pwd; echo $APP'
	[ "$output" = "$(printf '/srv/app\ndemo')" ]
	run -0 b run --rm cfgimg
	[ "$output" = demo ]
	# ONBUILD fires in an image built FROM this one (and is not inherited)
	mkdir "$CTX/child"
	printf 'FROM cfgimg\nUSER 0\nRUN test -d /srv/app\n' >"$CTX/child/Containerfile"
	run -0 b build -t child "$CTX/child"
	[[ "$output" == *"--> ONBUILD RUN echo triggered"* ]] || false
	[[ "$output" == *triggered* ]] || false
	[ "$(cfg child .config.config.OnBuild)" = null ]
}

@test "build: COPY and ADD: globs, --chmod, --chown, directories, tars, .dockerignore; a deletion hides a lower layer's file" {
	mkdir -p "$CTX/dir/sub" "$CTX/ignored"
	echo one >"$CTX/a.txt"
	echo two >"$CTX/b.txt"
	echo md >"$CTX/c.md"
	echo deep >"$CTX/dir/sub/deep"
	ln -s sub/deep "$CTX/dir/link"
	echo secret >"$CTX/ignored/secret"
	echo no >"$CTX/skip.log"
	mkdir -p "$CTX/tree/sbin"
	echo tool >"$CTX/tree/sbin/tool"
	mkdir -p "$BATS_TEST_TMPDIR/t/pkg"
	echo packed >"$BATS_TEST_TMPDIR/t/pkg/file"
	tar -C "$BATS_TEST_TMPDIR/t" -czf "$CTX/pkg.tar.gz" pkg
	printf 'ignored\n*.log\n' >"$CTX/.dockerignore"
	cat >"$CTX/Containerfile" <<'EOF'
FROM busybox
COPY *.txt /g/
COPY --chmod=600 --chown=nobody c.md /c.md
COPY dir /d
ADD pkg.tar.gz /opt/
COPY pkg.tar.gz /kept/
COPY . /all/
COPY tree/ /
RUN mkdir -p /o && touch /o/old && echo h > /h1 && ln /h1 /h2
RUN rm /g/a.txt && rm -r /o && mkdir /o && touch /o/new
EOF
	run -0 b build -t files "$CTX"
	run -0 b run --rm files sh -c 'ls /g; stat -c "%a %U" /c.md; cat /d/sub/deep; readlink /d/link; cat /opt/pkg/file; ls /kept; ls /o'
	[ "$output" = "$(printf 'b.txt\n600 nobody\ndeep\nsub/deep\npacked\npkg.tar.gz\nnew')" ]
	# the context's .dockerignore'd files are not in it
	run -0 b run --rm files sh -c 'ls -A /all'
	[ "$output" = "$(printf '.dockerignore\nContainerfile\na.txt\nb.txt\nc.md\ndir\npkg.tar.gz\ntree')" ]
	# a directory the image has as a symlink (/sbin -> bin) is followed, not replaced
	run -0 b run --rm files sh -c 'readlink /sbin; cat /bin/tool'
	[ "$output" = "$(printf 'bin\ntool')" ]
	# the last layer holds a whiteout for a.txt and /o as an opaque directory
	local last
	last=$(cfg files '.manifest.layers[-1].digest' | tr -d '"')
	run -0 tar -tf "$ROOT/images/blobs/sha256/${last#sha256:}"
	[[ "$output" == *"g/.wh.a.txt"* ]] || false
	[[ "$output" == *"o/.wh..wh..opq"* ]] || false
	# a hard link made by RUN stays one (one file, two names)
	run -0 b run --rm files sh -c 'stat -c "%h %i" /h1 /h2 | uniq | wc -l; stat -c %h /h2'
	[ "$output" = "$(printf '1\n2')" ]
	# each filesystem step is a layer; the base's one below them
	[ "$(cfg files '.manifest.layers | length')" = 10 ]
	[ "$(cfg files '[.config.history[] | select(.empty_layer != true)] | length')" = 10 ]
	# an ignored file is no source
	printf 'FROM busybox\nCOPY skip.log /\n' >"$CTX/Containerfile"
	run -125 b build -q "$CTX"
	[ "$output" = 'berth: build: Containerfile:2: COPY: `skip.log`: excluded by .dockerignore' ]
}

@test "build: extended attributes (a file capability) are kept in the layer" {
	command -v setcap >/dev/null || skip "setcap not installed (libcap2-bin)"
	mkdir -p "$BATS_TEST_TMPDIR/x"
	cp /bin/true "$BATS_TEST_TMPDIR/x/capfile"
	setcap cap_net_raw+ep "$BATS_TEST_TMPDIR/x/capfile"
	tar --xattrs --xattrs-include='*' -C "$BATS_TEST_TMPDIR/x" -cf "$CTX/x.tar" capfile
	printf 'FROM busybox\nADD x.tar /xa/\n' >"$CTX/Containerfile"
	run -0 b build -q -t xattrs "$CTX"
	local d
	d=$(cfg xattrs '.config.rootfs.diff_ids[-1]' | tr -d '"')
	run -0 getcap "$ROOT/layers/${d#sha256:}/xa/capfile"
	[[ "$output" == *"cap_net_raw=ep"* ]] || false
	run -0 tar --xattrs --xattrs-include='*' -tvf "$ROOT/images/blobs/sha256/${d#sha256:}"
	[[ "$output" == *"xa/capfile"* ]] || false
}

@test "build: a rebuild hits the cache at every step; a changed file rebuilds from its step on" {
	echo v1 >"$CTX/first"
	echo v1 >"$CTX/second"
	cat >"$CTX/Containerfile" <<'EOF'
FROM busybox
ARG N=1
COPY first /first
RUN echo "run $N" > /ran
COPY second /second
RUN cat /first /second /ran > /all
EOF
	run -0 b build -t cached "$CTX"
	[ "$(grep -c 'Using cache' <<<"$output")" = 0 ]
	local id1
	id1=$(b image inspect cached | jq -r .id)
	sleep 1.1 # another second: the build's own time may not make another image either
	run -0 b build -t cached "$CTX"
	[ "$(grep -c -- '--> Using cache' <<<"$output")" = 4 ]
	# the same image, as Docker's and Podman's: not a new one and the old one left dangling
	[ "$(b image inspect cached | jq -r .id)" = "$id1" ]
	[ -z "$(b images -q -f dangling=true)" ]
	echo v2 >"$CTX/second"
	run -0 b build -t cached "$CTX"
	[ "$(grep -c -- '--> Using cache' <<<"$output")" = 2 ]
	[[ "$(sed -n '/STEP 5/,$p' <<<"$output")" != *"Using cache"* ]] || false
	run -0 b run --rm cached cat /all
	[ "$output" = "$(printf 'v1\nv2\nrun 1')" ]
	# a build arg the RUN sees is in its key
	run -0 b build -t cached --build-arg N=2 "$CTX"
	[ "$(grep -c -- '--> Using cache' <<<"$output")" = 1 ]
	run -0 b build -t cached --no-cache "$CTX"
	[ "$(grep -c 'Using cache' <<<"$output")" = 0 ]
	# the store's garbage collection keeps the cache's layers (busybox stays: made again, it
	# would be another base)
	run -0 b rmi cached
	run -0 b image prune -f
	[ "$(b images -q | wc -l)" = 1 ]
	run -0 b build -t cached "$CTX"
	[ "$(grep -c -- '--> Using cache' <<<"$output")" = 4 ]
	run -0 b builder prune
	[[ "$output" == "removed "*" build cache entries" ]] || false
	[ -z "$(ls "$ROOT/build-cache")" ]
	run -0 b build -t cached "$CTX"
	[ "$(grep -c 'Using cache' <<<"$output")" = 0 ]
	run -0 b run --rm cached cat /all
	# without images, prune leaves no layer behind
	run -0 b image prune -a -f
	run -0 b builder prune
	[ -z "$(ls "$ROOT/layers")" ]
	[ -z "$(ls "$ROOT/images/blobs/sha256")" ]
}

@test "build: --timestamp and SOURCE_DATE_EPOCH builds are byte-identical" {
	echo data >"$CTX/f"
	printf 'FROM busybox\nCOPY f /f\nRUN echo $RANDOM > /r; rm /r; echo x > /x; touch -d 2001-01-01 /x\nENV A=b\n' >"$CTX/Containerfile"
	run -0 b build -q --timestamp 1700000000 -t repro "$CTX"
	local id=$output
	b save -o "$BATS_TEST_TMPDIR/1.tar" repro
	touch "$CTX/f"
	run -0 b build -q --no-cache --timestamp 1700000000 -t repro "$CTX"
	[ "$output" = "$id" ]
	b save -o "$BATS_TEST_TMPDIR/2.tar" repro
	cmp "$BATS_TEST_TMPDIR/1.tar" "$BATS_TEST_TMPDIR/2.tar"
	[ "$(cfg repro .config.created)" = '"2023-11-14T22:13:20Z"' ]
	# every entry of the new layers has that time (the file RUN touched too)
	local l
	for l in $(cfg repro '.manifest.layers[1:][].digest' | tr -d '"'); do
		run -0 tar --full-time -tvf "$ROOT/images/blobs/sha256/${l#sha256:}"
		[ -n "$output" ] || false
		[ -z "$(grep -v ' 2023-11-14 22:13:20 ' <<<"$output")" ] || false
	done
	SOURCE_DATE_EPOCH=1700000000 run -0 b build -q --no-cache -t repro "$CTX"
	[ "$output" = "$id" ]
	# without it the config's time differs
	run -0 b build -q -t repro "$CTX"
	[ "$output" != "$id" ]
}

@test "build: bad input is one FILE:LINE line, and a failing RUN leaves nothing" {
	printf 'FROM busybox\nRUN echo partial >/p; echo out; echo err >&2; exit 3\n' >"$CTX/Containerfile"
	run -125 --separate-stderr b build -t failed "$CTX"
	[[ "$output" == *out* ]] || false
	[[ "$stderr" == *err* ]] || false
	[[ "$stderr" == *'berth: build: Containerfile:2: RUN: ["/bin/sh","-c","echo partial >/p; echo out; echo err >&2; exit 3"] returned a non-zero code: 3' ]] || false
	run -125 b image inspect failed
	assert_build_left_nothing
	mkdir "$BATS_TEST_TMPDIR/empty"
	run -125 b build -q "$BATS_TEST_TMPDIR/empty"
	[ "$output" = "berth: build: no Containerfile or Dockerfile in \`$BATS_TEST_TMPDIR/empty\` (give -f FILE)" ]
	printf 'FROM busybox\n\nFROB x\n' >"$CTX/Containerfile"
	run -125 b build -q "$CTX"
	[[ "$output" == "berth: build: Containerfile:3: FROB: unknown instruction (expected FROM, "* ]] || false
	printf 'FROM busybox\nCOPY missing /\n' >"$CTX/Containerfile"
	run -125 b build -q "$CTX"
	[ "$output" = 'berth: build: Containerfile:2: COPY: `missing`: no such file or directory' ]
	printf 'FROM busybox\nCOPY ../x /\n' >"$CTX/Containerfile"
	run -125 b build -q "$CTX"
	[ "$output" = 'berth: build: Containerfile:2: COPY: `../x`: outside the build context' ]
	# a symlink out of the context resolves inside it
	ln -s /etc/hostname "$CTX/escape"
	printf 'FROM busybox\nCOPY escape /\n' >"$CTX/Containerfile"
	run -125 b build -q "$CTX"
	[ "$output" = 'berth: build: Containerfile:2: COPY: `escape`: no such file or directory' ]
	printf 'FROM busybox AS a\nFROM nope-stage:1\n' >"$CTX/Containerfile"
	run -125 b build -q --pull=never "$CTX"
	[[ "$output" == 'berth: build: Containerfile:2: FROM: '*'nope-stage:1'* ]] || false
	printf 'FROM busybox\nCOPY --from=nope /x /\n' >"$CTX/Containerfile"
	run -125 b build -q --pull=never "$CTX"
	[[ "$output" == 'berth: build: Containerfile:2: COPY: --from=nope: not a stage before this one nor an image:'* ]] || false
	printf 'FROM busybox\nENV X=$SECRET\n' >"$CTX/Containerfile"
	run -125 b build -q --build-arg SECRET=1 "$CTX"
	[ "$output" = 'berth: build: Containerfile:2: ENV: $SECRET is a --build-arg not declared here (add `ARG SECRET` before this line)' ]
	printf 'FROM scratch\nRUN true\n' >"$CTX/Containerfile"
	run -125 b build -q "$CTX"
	[ "$output" = 'berth: build: Containerfile:2: RUN: the stage has no files yet (FROM scratch): nothing to run' ]
	printf 'FROM busybox\nADD https://example.com/x /\n' >"$CTX/Containerfile"
	run -125 b build -q --network none "$CTX"
	[ "$output" = 'berth: build: Containerfile:2: ADD: `https://example.com/x`: a remote source needs the network (--network none was given)' ]
	run -0 b images -q
	[ "$(wc -l <<<"$output")" = 1 ]
	assert_build_left_nothing
}

@test "build: what a killed build left (its RUN container, overlays, directory) goes at the next build" {
	echo f >"$CTX/f"
	printf 'FROM busybox\nCOPY f /f\nRUN touch /started; sleep 300\n' >"$CTX/Containerfile"
	"$BERTH" --root "$ROOT" build "$CTX" >/dev/null 2>&1 &
	local pid=$! i
	for i in $(seq 200); do
		if b ps -a --format json | jq -r '.[].name' | grep -q '^build-'; then break; fi
		sleep 0.1
	done
	b ps -a --format json | jq -r '.[].name' | grep -q '^build-'
	kill -9 "$pid"
	wait "$pid" || true
	[ -n "$(ls "$ROOT/tmp")" ] || false
	[ -n "$(ls "$ROOT/containers")" ] || false
	printf 'FROM busybox\nENV X=1\n' >"$CTX/Containerfile"
	run -0 b build -q "$CTX"
	assert_build_left_nothing
	[ -z "$(ls "$ROOT/runtime" 2>/dev/null)" ] || false
}

@test "build: ADD of a URL downloads it (a 0600 file, its content in the cache key); refused without network" {
	mkdir -p "$BATS_TEST_TMPDIR/www"
	echo "remote v1" >"$BATS_TEST_TMPDIR/www/file.txt"
	# a loopback HTTP server of the test's own, on a free port it reports
	python3 -c '
import http.server, os, sys, functools
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.HTTPServer(("127.0.0.1", 0), h)
open(sys.argv[2] + ".tmp", "w").write(str(s.server_port))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
s.serve_forever()' "$BATS_TEST_TMPDIR/www" "$BATS_TEST_TMPDIR/port" 2>/dev/null &
	SERVER=$!
	local i
	for i in $(seq 100); do
		[ -s "$BATS_TEST_TMPDIR/port" ] && break
		sleep 0.1
	done
	local url=http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")
	printf 'FROM busybox\nADD %s/file.txt /r/\nADD --chmod=644 %s/file.txt /named\n' "$url" "$url" >"$CTX/Containerfile"
	run -0 b build -t fetched "$CTX"
	run -0 b run --rm fetched sh -c 'stat -c "%a %n" /r/file.txt /named; cat /named'
	[ "$output" = "$(printf '600 /r/file.txt\n644 /named\nremote v1')" ]
	run -0 b build -t fetched "$CTX"
	[ "$(grep -c -- '--> Using cache' <<<"$output")" = 2 ]
	echo "remote v2" >"$BATS_TEST_TMPDIR/www/file.txt"
	run -0 b build -t fetched "$CTX"
	[ "$(grep -c -- '--> Using cache' <<<"$output")" = 0 ]
	run -0 b run --rm fetched cat /r/file.txt
	[ "$output" = "remote v2" ]
	printf 'FROM busybox\nADD %s/nope.txt /x\n' "$url" >"$CTX/Containerfile"
	run -125 b build -q "$CTX"
	[ "$output" = "berth: build: Containerfile:2: ADD: \`$url/nope.txt\`: HTTP status 404" ]
	printf 'FROM busybox\nCOPY %s/file.txt /x\n' "$url" >"$CTX/Containerfile"
	run -125 b build -q "$CTX"
	[ "$output" = "berth: build: Containerfile:2: COPY: \`$url/file.txt\`: COPY takes no URL (ADD does)" ]
	kill "$SERVER"
	wait "$SERVER" || true
	assert_build_left_nothing
}

@test "build: --platform builds another architecture's image, its RUN through binfmt_misc" {
	riscv64_setup
	command -v qemu-riscv64-static >/dev/null || skip "qemu-user-static not installed"
	printf 'FROM busybox\nARG TARGETARCH\nRUN echo "$(uname -m) $TARGETARCH" > /m\nCMD ["cat", "/m"]\n' >"$CTX/Containerfile"
	run -0 b build -q --platform linux/riscv64 -t rv "$CTX"
	[ "$(cfg rv .config.architecture)" = '"riscv64"' ]
	run -0 b run --rm --platform linux/riscv64 rv
	[ "$output" = "riscv64 riscv64" ]
}

@test "build: FROM pulls an image the store lacks (--pull missing, always, never)" {
	command -v docker-registry >/dev/null || skip "docker-registry not installed"
	start_registry "$BATS_TEST_TMPDIR/reg"
	local ref=127.0.0.1:$REG_PORT/base:1
	b tag busybox base:1
	run -0 b push -q --tls-verify=false base:1 "$ref"
	run -0 b rmi base:1
	printf 'FROM %s\nRUN echo pulled > /p\n' "$ref" >"$CTX/Containerfile"
	run -125 b build -q --pull=never "$CTX"
	[[ "$output" == *"Containerfile:1: FROM: "* ]] || false
	run -0 b build -q --tls-verify=false -t frompull "$CTX"
	run -0 b image inspect "$ref"
	run -0 b run --rm frompull cat /p
	[ "$output" = pulled ]
	run -0 b build --pull=always --tls-verify=false -t frompull "$CTX"
	[[ "$output" == *"Using cache"* ]] || false
}

@test "build: RUN's network follows --network" {
	printf 'FROM busybox\nRUN ip -o link | grep -v " lo:" | wc -l > /links\n' >"$CTX/Containerfile"
	run -0 b build -q --network none -t netnone "$CTX"
	run -0 b run --rm netnone cat /links
	[ "$output" = 0 ]
	run -0 b build -q --no-cache -t netbridge "$CTX"
	run -0 b run --rm netbridge cat /links
	[ "$output" = 1 ]
	# RUN --network=none for one step
	printf 'FROM busybox\nRUN --network=none ip -o link | grep -v " lo:" | wc -l > /links\n' >"$CTX/Containerfile"
	run -0 b build -q -t netstep "$CTX"
	run -0 b run --rm netstep cat /links
	[ "$output" = 0 ]
}

@test "build: the image runs under Podman after berth save | podman load" {
	command -v podman >/dev/null || skip "podman not installed"
	podman_setup_file
	printf 'FROM busybox\nRUN echo built > /msg\nCMD ["cat", "/msg"]\n' >"$CTX/Containerfile"
	run -0 b build -q -t topodman "$CTX"
	b save topodman | podman_raw load -q
	run -0 pm berth run --rm localhost/topodman:latest
	[ "$output" = built ]
}
