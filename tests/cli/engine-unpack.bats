#!/usr/bin/env bats
# berth: layer unpacking refuses whiteouts that name the layer directory or its parent (found
# by tests/fuzz/fuzz_unpack: `.wh...` removed the directory above the layer).
load helpers

BERTH=$BERTH_BUILD/berth

setup() {
	ROOT=$BATS_TEST_TMPDIR/root
}

@test "unpacking: the whiteouts .wh.. and .wh... are refused with one line, the store unchanged" {
	b run --rm busybox true
	before=$(cd "$ROOT" && find images layers containers | sort)
	[ -n "$before" ]
	for wh in .wh.. .wh... sub/.wh...; do
		python3 - "$BATS_TEST_TMPDIR/wh.tar" "$wh" <<-'P'
		import io, sys, tarfile
		with tarfile.open(sys.argv[1], 'w') as t:
		    i = tarfile.TarInfo('sub/keep'); i.size = 1; t.addfile(i, io.BytesIO(b'x'))
		    t.addfile(tarfile.TarInfo(sys.argv[2]))
		P
		run b image import "$BATS_TEST_TMPDIR/wh.tar" wh
		echo "$wh: $output"
		[ "$status" -eq 125 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"entry \`$wh\`: cannot white out"* ]]
		[ "$(cd "$ROOT" && find images layers containers | sort)" = "$before" ]
		[ -z "$(ls -A "$ROOT/tmp")" ]
	done
	b run --rm busybox true
}
