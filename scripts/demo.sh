#!/bin/sh
# make demo: run a container from a busybox bundle with berth-runtime, an image with berth run,
# then boot the default VM.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
work=$(mktemp -d /tmp/berth-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== berth-runtime: a container from Debian's busybox-static"
"$top/scripts/make-rootfs.sh" "$work/bundle/rootfs"
"$build/berth-runtime" spec --bundle "$work/bundle"
jq '.process.terminal = false | .hostname = "berth-demo"
    | .process.args = ["sh", "-c", "echo \"hello from a berth container: $(hostname), pid $$, uid $(id -u)\"; echo \"its root: $(ls / | tr \"\\n\" \" \")\"; echo \"its namespaces: $(ls /proc/self/ns | tr \"\\n\" \" \")\""]' \
	"$work/bundle/config.json" >"$work/config.json" && mv "$work/config.json" "$work/bundle/config.json"
"$build/berth-runtime" run --bundle "$work/bundle" "berth-demo-$$"
echo "container exited with status $?"

echo
echo "== berth: run an image (the built-in busybox) as Docker or Podman would"
"$build/berth" --root "$work/store" run --rm --name demo -e GREETING=hello busybox \
	sh -c 'echo "$GREETING from berth run: $(hostname), pid $$, $(busybox | head -n1)"
		echo "its network (berth0, the default bridge): $(ip -4 -o addr show eth0 | sed -n "s/.*inet \([0-9./]*\).*/\1/p"), via $(ip route | sed -n "s/^default via \([0-9.]*\).*/\1/p")"'
echo "berth run exited with status $?"
"$build/berth" --root "$work/store" images
# the built-in busybox is an image index: amd64, and riscv64 once guest/fetch-busybox.sh has it
echo "busybox platforms: $("$build/berth" --root "$work/store" image inspect busybox |
	jq -r '(.platforms | join(" ")) + ((.index.annotations // {})["org.berth.busybox.riscv64"] // "" | if . == "" then "" else " (riscv64 " + . + ")" end)')"

if [ -x "$top/guest/build-initrd.sh" ] && [ -e "$build/berth" ]; then
	echo
	echo "== berth vm: the default riscv64 guest (building the kernel once takes ~15 minutes)"
	kernel=$("$top/guest/build-kernel.sh")
	initrd=$("$top/guest/build-initrd.sh")
	"$build/berth" vm run --kernel "$kernel" --initrd "$initrd" --boot-time </dev/null
	echo "the VM powered off with status $?"
fi

if [ -x "$top/guest/build-agent.sh" ] && [ -e "$build/berth" ]; then
	"$top/guest/build-agent.sh" >/dev/null
	echo
	echo "== one image, three ways: a native container, an emulated one (qemu-user), a VM"
	"$build/berth" --root "$work/store" run --rm busybox sh -c 'echo "native:   $(uname -m), kernel $(uname -r)"'
	"$build/berth" --root "$work/store" run --rm --platform linux/riscv64 busybox sh -c 'echo "emulated: $(uname -m), kernel $(uname -r)"'
	"$build/berth" --root "$work/store" run --rm --vm busybox sh -c 'echo "VM:       $(uname -m), kernel $(uname -r)"'
	echo
	echo "== berth bench compare: what each costs, measured here (about a minute)"
	"$build/berth" --root "$work/store" bench compare --runs 1
fi
