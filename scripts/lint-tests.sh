#!/bin/bash
# The test lint: catch test lines that cannot fail, and tests that end processes by name.
#   scripts/lint-tests.sh [DIR|FILE…]     default: the repository's tests/ directory
#
# bats runs a test body under `set -e`, and bash's errexit ignores a failing command on the
# left of `&&` and any command behind `!`. So, in *.bats and *.bash files, in the body of
# every @test and of every function written over several lines (`name() {` … `}`), the lint
# reports:
#   - `[ … ] && …`, `[[ … ]] && …` and `…) && …` (a test, or a command substitution or
#     subshell, on the left of `&&`), unless the right side only steers the flow
#     (`&& break`, `&& continue`, `&& return …`, `&& exit …`, `&& VAR=…`) or the whole list
#     ends in `|| false`, `|| fail …`, `|| skip …`, `|| return N` or `|| exit N`;
#   - a command starting with `!` (write `run ! cmd`, or end the line with `|| false`).
# Not checked, because there `&&` and `!` are what was meant: conditions (`if`, `elif`,
# `while`, `until`), the last line of a function outside @test (the function's result, for
# a helper used as a condition), one-line functions (`name() { …; }`), and code outside any
# function. Quoted text, comments and here-documents are skipped. In every text file under
# the given directories (any extension), it also reports `pkill` and `killall`: a test ends
# the processes it started, by pid. In *.bats and *.bash files it reports `jq -e`: jq 1.6
# exits 0 under -e when its input is empty, so `cmd | jq -e F` passes when cmd failed and
# printed nothing; tests use helpers.bash's jqe (its one use of jq -e is marked
# `# lint: jqe itself`).
# Prints FILE:LINE: MESSAGE for each finding and exits 1 when there is one.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- "$top/tests"

bats_files=() all_files=()
for a in "$@"; do
	if [ -d "$a" ]; then
		while IFS= read -r -d '' f; do bats_files+=("$f"); done \
			< <(find "$a" \( -name '*.bats' -o -name '*.bash' \) -type f -print0 | sort -z)
		while IFS= read -r -d '' f; do all_files+=("$f"); done \
			< <(find "$a" \( -name 'build*' -o -name corpus \) -prune -o -type f -print0 | sort -z)
	elif [ -f "$a" ]; then
		case $a in *.bats | *.bash) bats_files+=("$a") ;; esac
		all_files+=("$a")
	else
		echo "lint-tests: $a: no such file or directory" >&2
		exit 2
	fi
done

findings=$(mktemp)
trap 'rm -f "$findings"' EXIT

if [ ${#bats_files[@]} -gt 0 ]; then
	awk '
	function reset_file() { intest = 0; hd = ""; hdtab = 0; nst = 0; lbuf = ""; pend = ""; held = "" }
	function top() { return nst ? st[nst] : "" }
	function push(s) { st[++nst] = s }
	function pop() { if (nst) nst-- }
	function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
	# findings on the line that may turn out to be the last of a function are held back
	function report(msg) { held = held sprintf("%s:%d: %s\n", FILENAME, lstart, msg) }
	function flush() { if (held != "") { printf "%s", held; bad++ }; held = "" }
	# the list ends in a command that fails for it
	function guarded(seg) {
		return seg ~ /\|\|[ \t]*(false|fail|skip|return[ \t]+[1-9][0-9]*|exit[ \t]+[1-9][0-9]*|exit)([ \t].*)?$/
	}
	function check_seg(seg,    rest, i, lhs, rhs, j) {
		seg = trim(seg)
		for (;;) { # leading keywords and group openers
			if (seg ~ /^(then|do|else)([ \t]|$)/) { sub(/^[a-z]+[ \t]*/, "", seg); continue }
			if (seg ~ /^[{(]([ \t]|$)/) { seg = trim(substr(seg, 2)); continue }
			break
		}
		if (seg == "" || seg ~ /^(if|elif|while|until)([ \t]|$)/)
			return
		if (seg ~ /^![ \t]/ && !guarded(seg))
			report("`! cmd` cannot fail under set -e: use `run ! cmd` or `... || false`")
		rest = seg
		while ((i = index(rest, "&&")) > 0) {
			lhs = trim(substr(rest, 1, i - 1))
			rest = substr(rest, i + 2)
			if (lhs !~ /(\]|\))$/)
				continue
			rhs = rest
			j = index(rhs, "&&"); if (j > 0) rhs = substr(rhs, 1, j - 1)
			j = index(rhs, "||"); if (j > 0) rhs = substr(rhs, 1, j - 1)
			rhs = trim(rhs)
			if (rhs ~ /^(break|continue|return|exit)([ \t;]|$)/ || rhs ~ /^[A-Za-z_][A-Za-z_0-9]*=/)
				continue
			if (guarded(seg))
				continue
			report("a check on the left of `&&` is ignored under set -e: one assertion per line")
			return
		}
	}
	function check_line(l,    n, parts, k) {
		n = split(l, parts, ";")
		for (k = 1; k <= n; k++)
			check_seg(parts[k])
	}
	# the physical line with quoted text masked and comments dropped; keeps the state
	# (open quotes, $( ), backticks) in st[] across lines
	function scan(s,    out, i, c, c2, t, prev, m, w) {
		out = ""; cont = 0
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1); c2 = substr(s, i, 2); t = top()
			if (t == "sq") { if (c == "\047") { pop(); out = out c } else out = out "_"; continue }
			if (t == "bq") { if (c == "`") { pop(); out = out c } else out = out "_"; continue }
			if (c == "\\") {
				if (i == length(s)) { cont = 1; break }
				out = out (t == "" ? substr(s, i, 2) : "__"); i++; continue
			}
			if (t == "dq") {
				if (c == "\"") { pop(); out = out c }
				else if (c2 == "$(") { push("cmd"); out = out "$("; i++ }
				else if (c == "`") { push("bq"); out = out c }
				else out = out "_"
				continue
			}
			# top level, or inside $( ) / ( ) within one
			if (c == "\047") { push("sq"); out = out c; continue }
			if (c == "\"") { push("dq"); out = out c; continue }
			if (c == "`") { push("bq"); out = out c; continue }
			if (c2 == "$(") { push("cmd"); out = out "$("; i++; continue }
			if (t != "" && c == "(") { push("par"); out = out "_"; continue }
			if (t != "" && c == ")") { pop(); out = out (nst ? "_" : ")"); continue }
			prev = i > 1 ? substr(s, i - 1, 1) : " "
			if (c == "#" && prev ~ /[ \t;]/) break
			if (t == "" && c2 == "<<" && substr(s, i + 2, 1) != "<") {
				m = substr(s, i + 2)
				hdtab = (substr(m, 1, 1) == "-")
				if (hdtab) m = substr(m, 2)
				sub(/^[ \t]*/, "", m)
				gsub(/[\047"]/, "", m)
				w = m; sub(/[^A-Za-z0-9_].*$/, "", w)
				if (w != "") pend = w
				out = out "<<"; i++; continue
			}
			out = out (t == "" ? c : "_")
		}
		return out
	}
	FNR == 1 { reset_file() }
	hd != "" {
		line = $0
		if (hdtab) sub(/^\t+/, "", line)
		if (line == hd) hd = ""
		next
	}
	!intest {
		if ($0 ~ /^@test .*\{[ \t]*$/) { intest = 1; nst = 0; lbuf = ""; held = "" }
		else if ($0 ~ /^(function[ \t]+)?[A-Za-z_][A-Za-z0-9_:-]*[ \t]*(\(\))?[ \t]*\{[ \t]*$/) {
			intest = 2; nst = 0; lbuf = ""; held = ""
		}
		next
	}
	nst == 0 && lbuf == "" && /^\}[ \t]*$/ {
		if (intest == 1) flush() # the last line of a function is its result: not flushed
		held = ""; intest = 0; next
	}
	{
		if (lbuf == "") { flush(); lstart = FNR }
		lbuf = lbuf " " scan($0)
		t = trim(lbuf)
		if (nst == 0 && !cont && t !~ /(&&|\|\||\|)$/) {
			check_line(lbuf)
			lbuf = ""
			if (pend != "") { hd = pend; pend = "" }
		} else if (pend != "" && nst == 0) {
			hd = pend; pend = ""
		}
	}
	END { exit bad > 0 }
	' "${bats_files[@]}" >>"$findings"
fi

if [ ${#all_files[@]} -gt 0 ]; then
	for f in "${all_files[@]}"; do
		grep -Iq . "$f" 2>/dev/null || continue # empty or binary
		awk '
		{
			line = $0
			if (line ~ /^[ \t]*#/) next
			sub(/[ \t]#.*$/, "", line)
			if (line ~ /(^|[^A-Za-z0-9_.\/-])(pkill|killall)([ \t;)"\047]|$)/)
				printf "%s:%d: a test ends the processes it started by pid, never pkill/killall\n", FILENAME, FNR
			if (FILENAME ~ /\.(bats|bash)$/ && $0 !~ /# lint: jqe itself$/ &&
			    line ~ /(^|[^A-Za-z0-9_-])jq[ \t]+(-[A-Za-z]*e[A-Za-z]*|--exit-status)([ \t]|$)/)
				printf "%s:%d: jq -e passes on empty input (jq 1.6): use jqe from helpers.bash\n", FILENAME, FNR
		}' "$f" >>"$findings"
	done
fi

if [ -s "$findings" ]; then
	cat "$findings"
	echo "lint-tests: $(wc -l <"$findings") finding(s)"
	exit 1
fi
echo "lint-tests: ${#bats_files[@]} bats/bash files, ${#all_files[@]} files checked, no findings"
