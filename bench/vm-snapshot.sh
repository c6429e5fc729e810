#!/bin/bash
# Snapshot and restore of a running guest: `berth vm snapshot --stop` / `berth vm restore`
# against QEMU's `migrate "exec:cat > FILE"` / `-incoming "exec:cat FILE"` (TCG, `-M virt
# -bios default`), same kernel and initramfs, in one run, for a 256 MiB and a 1 GiB guest,
# with the ratios; and each VMM's RSS beyond the guest RAM it has touched (from
# /proc/PID/smaps: all Rss less the Rss of the guest-RAM mapping, a page mapped twice
# counted once), and berth's by mapping (the last run's). The RSS is taken when the guest
# has printed COUNT 2 (booted) or its first COUNT (restored), and again LATER - 2 counts
# (seconds) after that: a steady guest's VMM must not grow past its first figure (the
# translator's code buffer did, with code run once a second translated over the next 16 s).
# The snapshot is taken after the later sample.
#   bench/vm-snapshot.sh [BUILD_DIR]     (default: build)
# Environment: MEMS (default "256M 1G"), TOUCH (MiB of random data the guest writes to its
# memory before the snapshot, default 32), RUNS (default 3; medians), LATER (default 20; 2
# leaves the later samples out, each run about a minute shorter).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
berth="$build/berth"
runs=${RUNS:-3}
touch_mib=${TOUCH:-32}
later=${LATER:-20}
kernel=$("$top/guest/build-kernel.sh")
initrd=$("$top/guest/build-initrd.sh")
[ -x "$berth" ] || { echo "vm-snapshot.sh: $berth missing (build first)" >&2; exit 1; }
command -v qemu-system-riscv64 >/dev/null || { echo "vm-snapshot.sh: qemu-system-riscv64 missing" >&2; exit 1; }
tmp=$(mktemp -d /tmp/berth-bench-snap.XXXXXX)
root="$tmp/root"
qpid=
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	for n in $("$berth" --root "$root" vm ls -a --format json 2>/dev/null | jq -r '.[].id'); do
		"$berth" --root "$root" vm rm -f "$n" >/dev/null 2>&1 || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# The guest fills TOUCH MiB of its memory (a file in devtmpfs) and then counts.
guest="dd if=/dev/urandom of=/dev/fill bs=1M count=$touch_mib 2>/dev/null; i=0; while true; do i=\$((i+1)); echo COUNT \$i; sleep 1; done"

now() { echo "$EPOCHREALTIME"; }
elapsed_ms() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", (b-a)*1000}'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{if (NR==0) print "-"; else print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a=="-"||b=="-"||b==0) print "-"; else printf "%.1fx", a/b }'; }

# wait_for FILE TEXT: poll (bounded, 10 minutes) until FILE holds TEXT
wait_for() {
	for _ in $(seq 3000); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	echo "vm-snapshot.sh: no \"$2\" in $1" >&2
	return 1
}

# overhead_mib PID MEM_KB: all Rss less the Rss of the guest-RAM mapping (the one of MEM_KB),
# with the pages of a shared mapping counted once however many times the process maps them
# (berth's translator maps its code buffer twice, writable and executable: one set of pages;
# the kernel's RSS counts them twice): of the shared mappings of one file (device and inode)
# and offset, the largest Rss; then the Rss of guest RAM, and the Pss beyond it (the pages
# shared with other processes, such as the libraries', counted in part: Pss divides a page
# by the processes that map it; the code buffer's two views add up to its pages once)
overhead_mib() {
	awk -v mem="$2" '
		/^[0-9a-f]+-[0-9a-f]+ / { cur = 0; key = ($2 ~ /s/ && $5 != 0) ? $4 " " $5 " " $3 : "" }
		/^Size:/ { cur = ($2 >= mem && $2 <= mem + 4096) }
		/^Rss:/ {
			if (cur) ram += $2
			else if (key == "") all += $2
			else if ($2 > shared[key]) shared[key] = $2
		}
		/^Pss:/ { if (!cur) pss += $2 }
		END { for (k in shared) all += shared[k]
		      printf "%.1f %.1f %.1f\n", all / 1024, ram / 1024, pss / 1024 }' "/proc/$1/smaps"
}

# breakdown PID MEM_KB: the same Rss by what it is ("GROUP<TAB>KiB" lines): the code buffer
# (once), berth's own file (text, data) and its .bss, each shared library, [heap], [stack],
# threads' stacks (8 MiB anonymous mappings), other anonymous memory (translator tables,
# decoded-block caches, the code map, large allocations); guest RAM left out
breakdown() {
	awk -v mem="$2" -v exe="$(readlink "/proc/$1/exe")" '
		function add() { if (have) sums[grp] += rss; have = 0 }
		/^[0-9a-f]+-[0-9a-f]+ / {
			add()
			split($1, r, "-")
			name = $6; isjit = name ~ /memfd:berth-jit/; have = 1; rss = 0
			if (name == "") grp = (prev == exe && r[1] == prevend) ? "berth .bss" : "anonymous"
			else if (isjit) grp = "translator code buffer"
			else if (name == exe) grp = "berth text and data"
			else if (name ~ /^\[/) grp = name
			else { n = split(name, p, "/"); grp = p[n]; sub(/\.so.*/, "", grp) }
			prev = name; prevend = r[2]
		}
		/^Size:/ { if ($2 >= mem && $2 <= mem + 4096) grp = "guest RAM"
		           else if ($2 == 8192 && grp == "anonymous") grp = "thread stacks" }
		/^Rss:/ { rss = $2; if (isjit) { if (rss > jit) jit = rss; rss = 0 } }
		END { add(); sums["translator code buffer"] = jit
		      for (k in sums) if (k != "guest RAM" && sums[k] > 0) printf "%s\t%d\n", k, sums[k] }' \
		"/proc/$1/smaps"
}

# QMP: qmp SOCKET JSON… (each command's answer line on stdout)
qmp() {
	python3 - "$@" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
f.readline()
for k, cmd in enumerate(["{\"execute\": \"qmp_capabilities\"}"] + sys.argv[2:]):
    f.write(cmd + "\n"); f.flush()
    while True:
        line = f.readline()
        if not line: sys.exit(1)
        j = json.loads(line)
        if "return" in j or "error" in j:
            if k > 0: print(line.strip())
            break
PY
}

b() { "$berth" --root "$root" "$@"; }

berth_once() { # mem
	local id t0 t1 pid
	rm -rf "$tmp/snap"
	id=$(b vm run -d --kernel "$kernel" --initrd "$initrd" --mem "$1" \
		--append "console=ttyS0 -- \"$guest\"")
	wait_for "$root/vms/$id/console.log" "COUNT 2"
	pid=$(b vm inspect "$id" | jq -r .pid)
	read -r b_over_orig _ b_pss_orig < <(overhead_mib "$pid" "$mem_kb")
	breakdown "$pid" "$mem_kb" >"$tmp/booted.kib"
	b_later_orig=-
	if [ "$later" -gt 2 ]; then
		wait_for "$root/vms/$id/console.log" "COUNT $later"
		read -r b_later_orig _ _ < <(overhead_mib "$pid" "$mem_kb")
		breakdown "$pid" "$mem_kb" >"$tmp/booted-later.kib"
	fi
	t0=$(now)
	b vm snapshot --stop "$id" "$tmp/snap" >/dev/null
	t1=$(now)
	b_snap=$(elapsed_ms "$t0" "$t1")
	b vm rm -f "$id" >/dev/null
	t0=$(now)
	id=$(b vm restore "$tmp/snap")
	t1=$(now)
	b_restore=$(elapsed_ms "$t0" "$t1")
	wait_for "$root/vms/$id/console.log" "COUNT"
	pid=$(b vm inspect "$id" | jq -r .pid)
	read -r b_over _ b_pss < <(overhead_mib "$pid" "$mem_kb")
	breakdown "$pid" "$mem_kb" >"$tmp/restored.kib"
	b_later=-
	if [ "$later" -gt 2 ]; then
		local first
		first=$(grep -o 'COUNT [0-9]*' "$root/vms/$id/console.log" | tail -1 | cut -d' ' -f2)
		wait_for "$root/vms/$id/console.log" "COUNT $((first + later - 2))"
		read -r b_later _ _ < <(overhead_mib "$pid" "$mem_kb")
		breakdown "$pid" "$mem_kb" >"$tmp/restored-later.kib"
	fi
	b vm rm -f "$id" >/dev/null
}

qemu_args() { # mem
	echo -M virt -m "$1" -smp 1 -nographic -bios default -kernel "$kernel" -initrd "$initrd"
}

qemu_once() { # mem
	local t0 t1 sock="$tmp/qmp.sock" st
	rm -f "$tmp/qemu.img" "$sock" "$tmp/qemu.out"
	# shellcheck disable=SC2046
	qemu-system-riscv64 $(qemu_args "$1") -append "console=ttyS0 -- \"$guest\"" \
		-qmp "unix:$sock,server=on,wait=off" -monitor none >"$tmp/qemu.out" 2>&1 </dev/null &
	qpid=$!
	wait_for "$tmp/qemu.out" "COUNT 2"
	read -r q_over_orig _ q_pss_orig < <(overhead_mib "$qpid" "$mem_kb")
	q_later_orig=-
	if [ "$later" -gt 2 ]; then
		wait_for "$tmp/qemu.out" "COUNT $later"
		read -r q_later_orig _ _ < <(overhead_mib "$qpid" "$mem_kb")
	fi
	t0=$(now)
	qmp "$sock" '{"execute": "stop"}' "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"exec:cat > $tmp/qemu.img\"}}" >/dev/null
	for _ in $(seq 6000); do
		st=$(qmp "$sock" '{"execute": "query-migrate"}' | jq -r '.return.status // empty')
		[ "$st" = completed ] && break
		[ "$st" = failed ] && { echo "vm-snapshot.sh: QEMU's migration failed" >&2; exit 1; }
		sleep 0.01
	done
	t1=$(now)
	q_snap=$(elapsed_ms "$t0" "$t1")
	kill "$qpid"; wait "$qpid" 2>/dev/null || true
	rm -f "$sock"
	t0=$(now)
	# shellcheck disable=SC2046
	qemu-system-riscv64 $(qemu_args "$1") -append "console=ttyS0 -- \"$guest\"" \
		-qmp "unix:$sock,server=on,wait=off" -monitor none \
		-incoming "exec:cat $tmp/qemu.img" >"$tmp/qemu.out" 2>&1 </dev/null &
	qpid=$!
	for _ in $(seq 60000); do
		[ -S "$sock" ] && st=$(qmp "$sock" '{"execute": "query-migrate"}' 2>/dev/null | jq -r '.return.status // empty') || st=
		[ "$st" = completed ] && break
		sleep 0.002
	done
	qmp "$sock" '{"execute": "cont"}' >/dev/null
	t1=$(now)
	q_restore=$(elapsed_ms "$t0" "$t1")
	# (QEMU 7.2's restored riscv guest runs, as query-status says, but prints nothing more
	# here: its timer does not fire again; the RSS is taken a second later)
	sleep 1
	read -r q_over _ q_pss < <(overhead_mib "$qpid" "$mem_kb")
	kill "$qpid"; wait "$qpid" 2>/dev/null || true
	qpid=
}

echo "kernel: $kernel"
echo "initrd: $initrd"
echo "host:   $(nproc) CPUs, $(uname -r); $runs runs each, medians; the guest touched $touch_mib MiB"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg) (restore times on a loaded host are mostly waiting for a CPU)"
printf '\n%-56s %10s %10s %10s\n' "" "berth" "qemu" "qemu/berth"
for mem in ${MEMS:-256M 1G}; do
	case $mem in *G) mem_kb=$((${mem%G} * 1024 * 1024)) ;; *M) mem_kb=$((${mem%M} * 1024)) ;; esac
	bs='' br='' bo='' boo='' qs='' qr='' qo='' qoo='' bp='' bpo='' qp='' qpo=''
	# shellcheck disable=SC2034 # ql stays empty (QEMU's restored guest stops counting): "-"
	bl='' blo='' ql='' qlo=''
	for _ in $(seq "$runs"); do
		berth_once "$mem"
		qemu_once "$mem"
		bs="$bs $b_snap" br="$br $b_restore" bo="$bo $b_over" boo="$boo $b_over_orig"
		qs="$qs $q_snap" qr="$qr $q_restore" qo="$qo $q_over" qoo="$qoo $q_over_orig"
		bp="$bp $b_pss" bpo="$bpo $b_pss_orig" qp="$qp $q_pss" qpo="$qpo $q_pss_orig"
		bl="$bl ${b_later/#-/}" blo="$blo ${b_later_orig/#-/}" qlo="$qlo ${q_later_orig/#-/}"
	done
	for row in "snapshot (ms):bs:qs" "restore to running (ms):br:qr" \
		"VMM RSS beyond guest RAM, booted (MiB):boo:qoo" "VMM RSS beyond guest RAM, restored (MiB):bo:qo" \
		"VMM RSS beyond guest RAM, booted, at COUNT $later (MiB):blo:qlo" \
		"VMM RSS beyond guest RAM, restored, +$((later - 2)) s (MiB):bl:ql" \
		"VMM Pss beyond guest RAM, booted (MiB):bpo:qpo" "VMM Pss beyond guest RAM, restored (MiB):bp:qp"; do
		IFS=: read -r label bv qv <<<"$row"
		b_m=$(median <<<"${!bv}") q_m=$(median <<<"${!qv}")
		printf '%-56s %10s %10s %10s\n' "$mem $label" "$b_m" "$q_m" "$(ratio "$q_m" "$b_m")"
	done
	# berth's overhead by mapping, from the last run
	tab=$(printf '\t')
	join -t "$tab" -a 1 -a 2 -e 0 -o 0,1.2,2.2 <(sort "$tmp/booted.kib") <(sort "$tmp/restored.kib") >"$tmp/by-mapping"
	if [ "$later" -gt 2 ]; then
		printf '  %s berth VM process, KiB resident beyond guest RAM (last run): booted / restored, then %d s later\n' "$mem" "$((later - 2))"
		join -t "$tab" -a 1 -a 2 -e 0 -o 0,1.2,2.2 <(sort "$tmp/booted-later.kib") <(sort "$tmp/restored-later.kib") >"$tmp/j2"
		join -t "$tab" -a 1 -a 2 -e 0 -o 0,1.2,1.3,2.2,2.3 "$tmp/by-mapping" "$tmp/j2" >"$tmp/j"
		mv "$tmp/j" "$tmp/by-mapping"
	else
		printf '  %s berth VM process, KiB resident beyond guest RAM (last run): booted / restored\n' "$mem"
	fi
	# the mapping's name, then its KiB in each column
	sort -t "$tab" -k2,2nr "$tmp/by-mapping" | awk -F '\t' '{printf "    %-28s", $1; for (i = 2; i <= NF; i++) printf " %8d", $i; printf "\n"}'
done
