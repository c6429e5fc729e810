#!/usr/bin/env bats
# `berth vm run --disk`: the image lock (a disk in use for writing is refused to a second
# VM; `,ro` users share it) and the refusal of non-raw images (qcow2, VMDK, …) on the
# reference guest. `timeout 600` is only a safety net against hangs, not a time limit.
# Environment: BERTH_BUILD, BERTH_TOP (tests/cli/vm-helpers.bash).

load vm-helpers

setup_file() { vm_setup_file; }

setup() {
	vm_setup
	truncate -s 1M "$TMP/disk.img"
	BGPID=
}

# A failed test leaves its background guest waiting: end it (by pid; timeout passes the
# signal on to berth).
teardown() {
	if [ -n "$BGPID" ] && kill -0 "$BGPID" 2>/dev/null; then
		kill "$BGPID" || true
		wait "$BGPID" || true
	fi
}

# A refused run: status 125 and one line holding $1 (starting "berth vm").
# bad TEXT ARG…: refused with the default guest's kernel and initrd given
bad() {
	local want=$1
	shift
	vm_refused "$want" --kernel "$KERNEL" --initrd "$INITRD" "$@"
}

# Start a guest (berth.test=echo) in the background with the arguments given and return once
# it waits for input: it holds its disks until bg_end. BGPID is its pid.
bg_start() {
	local line n=0
	coproc BG { exec timeout 600 "$BERTH" vm run --kernel "$KERNEL" --initrd "$INITRD" \
		--append "console=ttyS0 berth.test=echo" "$@" 2>&1; }
	BG_IN=${BG[1]} BG_OUT=${BG[0]} BGPID=$BG_PID
	while [ "$n" -lt 20000 ] && IFS= read -r line <&"$BG_OUT"; do
		n=$((n + 1))
		echo "bg: $line"
		if [[ "$line" == *BERTH-ECHO-READY* ]]; then
			return 0
		fi
	done
	echo "the background guest never waited for input"
	return 1
}

# Let the background guest read its line and power off; wait for it (by pid).
bg_end() {
	local line n=0 st
	printf 'bye\n' >&"$BG_IN"
	while [ "$n" -lt 20000 ] && IFS= read -r line <&"$BG_OUT"; do
		n=$((n + 1))
		echo "bg: $line"
	done
	wait "$BGPID" && st=0 || st=$?
	BGPID=
	[ "$st" -eq 0 ]
}

@test "vm disk: a disk in use for writing is refused to a second VM, reader or writer" {
	bg_start --disk "$TMP/disk.img"
	bad "--disk: \`$TMP/disk.img\` is in use by another process" --disk "$TMP/disk.img"
	bad "--disk: \`$TMP/disk.img\` is in use for writing by another process" \
		--disk "$TMP/disk.img,ro"
	bg_end
	# free again once the first VM is gone
	run timeout 600 "$BERTH" vm run --kernel "$KERNEL" --initrd "$INITRD" \
		--disk "$TMP/disk.img" --append "console=ttyS0" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"BERTH-GUEST-POWEROFF"* ]]
}

@test "vm disk: read-only users share a disk; a writer is refused while they hold it" {
	bg_start --disk "$TMP/disk.img,ro"
	run timeout 600 "$BERTH" vm run --kernel "$KERNEL" --initrd "$INITRD" \
		--disk "$TMP/disk.img,ro" --append "console=ttyS0 berth.test=disk-ro" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"disk ro: write refused"* ]]
	bad "--disk: \`$TMP/disk.img\` is in use by another process" --disk "$TMP/disk.img"
	bg_end
}

@test "vm disk: one VM given the same writable disk twice is refused" {
	bad "--disk: \`$TMP/disk.img\` is in use by another process" \
		--disk "$TMP/disk.img" --disk "$TMP/disk.img"
}

@test "vm disk: qcow2, VMDK, VDI, VHDX, QED and VHD images are refused, not used as raw" {
	local raw="berth vm uses raw disks (convert with qemu-img convert -O raw)"
	printf 'QFI\373\0\0\0\3' | dd of="$TMP/disk.img" conv=notrunc status=none
	bad "--disk: \`$TMP/disk.img\` is a qcow2 image; $raw" --disk "$TMP/disk.img"
	bad "--disk: \`$TMP/disk.img\` is a qcow2 image; $raw" --disk "$TMP/disk.img,ro"
	printf 'KDMV' | dd of="$TMP/disk.img" conv=notrunc status=none
	bad "--disk: \`$TMP/disk.img\` is a VMDK image; $raw" --disk "$TMP/disk.img"
	printf 'vhdxfile' | dd of="$TMP/disk.img" conv=notrunc status=none
	bad "--disk: \`$TMP/disk.img\` is a VHDX image; $raw" --disk "$TMP/disk.img"
	printf 'QED\0' | dd of="$TMP/disk.img" conv=notrunc status=none
	bad "--disk: \`$TMP/disk.img\` is a QED image; $raw" --disk "$TMP/disk.img"
	printf 'conectix' | dd of="$TMP/disk.img" conv=notrunc status=none
	bad "--disk: \`$TMP/disk.img\` is a VHD image; $raw" --disk "$TMP/disk.img"
	truncate -s 0 "$TMP/disk.img"
	truncate -s 1M "$TMP/disk.img"
	printf '\177\020\332\276' | dd of="$TMP/disk.img" bs=1 seek=64 conv=notrunc status=none
	bad "--disk: \`$TMP/disk.img\` is a VDI image; $raw" --disk "$TMP/disk.img"
	# the image is left as it was
	[ "$(od -An -tx1 -j64 -N4 "$TMP/disk.img" | tr -d ' ')" = 7f10dabe ]
}

@test "vm disk: ,snapshot: the guest writes (and reads back across a reboot) but the image stays as it was" {
	truncate -s 8M "$TMP/base.img"
	printf 'BERTH-DISK-MARKER-%s\n' "$$" | dd of="$TMP/base.img" conv=notrunc status=none
	cp --sparse=always "$TMP/base.img" "$TMP/base.orig"
	run timeout 600 "$BERTH" vm run --kernel "$KERNEL" --initrd "$INITRD" \
		--disk "$TMP/base.img,snapshot" --append "console=ttyS0 berth.test=disk" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c "disk marker: BERTH-DISK-MARKER-$$" <<<"$output")" -eq 2 ]
	[[ "$output" == *"disk written, rebooting"* ]]
	[[ "$output" == *"disk readback: BERTH-WRITTEN before reboot"* ]]
	# the writes went to the overlay, gone with the VM
	cmp "$TMP/base.img" "$TMP/base.orig"
	# and the base is not locked for writing by a snapshot user: a second VM shares it
	bg_start --disk "$TMP/base.img,snapshot"
	run timeout 600 "$BERTH" vm run --kernel "$KERNEL" --initrd "$INITRD" \
		--disk "$TMP/base.img,snapshot" --append "console=ttyS0" </dev/null
	[ "$status" -eq 0 ]
	bg_end
}

@test "vm disk: a 1 MiB O_DIRECT read or write is one request (256 segments, as QEMU's 254) and its data arrive whole" {
	truncate -s 4M "$TMP/big.img"
	head -c 1048576 /dev/urandom >"$TMP/block"
	dd if="$TMP/block" of="$TMP/big.img" bs=1048576 seek=1 conv=notrunc status=none
	run timeout 600 "$BERTH" vm run --kernel "$KERNEL" --initrd "$INITRD" --disk "$TMP/big.img" \
		--append "console=ttyS0 quiet -- \"echo segs=\$(cat /sys/block/vda/queue/max_segments); \
dd if=/dev/vda of=/dev/vda bs=1048576 skip=1 seek=2 count=1 iflag=direct oflag=direct 2>/dev/null && echo copied\"" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"segs=256"* ]] || false
	[[ "$output" == *copied* ]] || false
	dd if="$TMP/big.img" of="$TMP/back" bs=1048576 skip=2 count=1 status=none
	cmp "$TMP/back" "$TMP/block"
}
