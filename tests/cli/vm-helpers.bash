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
