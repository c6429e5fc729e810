# Shared set-up of the `berth vm` tests (vm.bats, vm-net.bats, vm-share.bats): the reference
# guest (guest/build-kernel.sh, guest/build-initrd.sh; both cached under
# /var/cache/berth/guest, so only the first run builds them).
# Environment: BERTH_BUILD (the build directory holding `berth`), BERTH_TOP (the repository).

# In setup_file: BERTH, KERNEL and INITRD (empty when the guest cannot be built).
vm_setup_file() {
	export BERTH="${BERTH_BUILD:?}/berth"
	KERNEL=$("${BERTH_TOP:?}/guest/build-kernel.sh") || KERNEL=
	INITRD=$("$BERTH_TOP/guest/build-initrd.sh") || INITRD=
	export KERNEL INITRD
}

# In setup: skip without a guest; TMP is the test's own directory.
vm_setup() {
	if [ -z "$KERNEL" ] || [ -z "$INITRD" ]; then
		skip "guest kernel or initrd could not be built"
	fi
	export TMP="$BATS_TEST_TMPDIR"
}

# vm_refused TEXT ARG…: `berth vm run ARG…` is refused before any guest starts: status 125,
# one line starting "berth vm" and holding TEXT.
vm_refused() {
	local want=$1
	shift
	run timeout 600 "$BERTH" vm run "$@" </dev/null
	echo "$output"
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"$want"* ]]
	[[ "$output" == "berth vm"* ]]
}

# --- managed VMs (vm-manage.bats, vm-snapshot.bats): each test has its store in $R ---

# mvm ARG…: berth with the test's store
mvm() { "$BERTH" --root "$R" "$@"; }

# mvm_teardown: every VM of the test's store removed (rm -f ends the VM processes the test
# started)
mvm_teardown() {
	local n
	if [ -d "$R/vms" ]; then
		for n in $("$BERTH" --root "$R" vm ls -a --format json | jq -r '.[].id'); do
			"$BERTH" --root "$R" vm rm -f "$n" >/dev/null || true
		done
	fi
}

# wait_log NAME TEXT: poll the VM's console log until it holds TEXT (bounded).
wait_log() {
	local i
	for i in $(seq 600); do
		if mvm vm logs "$1" | grep -q -- "$2"; then
			return 0
		fi
		sleep 0.2
	done
	echo "no \"$2\" in the log of $1:"
	mvm vm logs "$1" | tail -20
	return 1
}

# text_kib PID: "RESIDENT SIZE", KiB, of the process's private file mappings without write
# permission (berth's and its libraries' code and read-only data; not the translator's
# shared memfd, not the writable or relocated segments)
text_kib() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { on = ($6 ~ /^\// && $6 !~ /^\/memfd:/ &&
	                                     substr($2, 2, 1) != "w" && substr($2, 4, 1) == "p") }
	     on && /^Size:/ { size += $2 }
	     on && /^Rss:/ { rss += $2 }
	     END { print rss + 0, size + 0 }' "/proc/$1/smaps"
}
