#!/bin/bash
# The format gate: list every C file (*.c, *.h) that differs from what clang-format makes of
# it with the committed .clang-format, and exit 1 if there is one.
#   scripts/check-format.sh [DIR]     DIR defaults to the repository root
# In a git checkout the files are those git tracks; elsewhere (a copy) every *.c and *.h
# under DIR. `make format` rewrites them.
set -u
dir=$(cd "${1:-$(dirname "$0")/..}" && pwd) || exit 2
cd "$dir" || exit 2
command -v clang-format >/dev/null || { echo "check-format: clang-format is not installed" >&2; exit 2; }
[ -f .clang-format ] || { echo "check-format: $dir/.clang-format is missing" >&2; exit 2; }
if git rev-parse --show-toplevel >/dev/null 2>&1 && [ "$(git rev-parse --show-toplevel)" = "$dir" ]; then
	mapfile -t files < <(git ls-files '*.c' '*.h')
else
	mapfile -t files < <(find . \( -name 'build*' -o -name .git \) -prune -o \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' | sort)
fi
bad=0
for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	if ! clang-format --style=file "$f" | cmp -s - "$f"; then
		echo "not formatted: $f"
		bad=$((bad + 1))
	fi
done
if [ "$bad" -gt 0 ]; then
	echo "check-format: $bad of ${#files[@]} C files differ from clang-format (run \`make format\`)"
	exit 1
fi
echo "check-format: all ${#files[@]} C files match clang-format"
