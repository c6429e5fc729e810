#!/bin/sh
# Assemble one bare test program into a flat binary loaded at 0x80000000.
# usage: build.sh AS LD OBJCOPY input.S output.bin
set -e
as=$1 ld=$2 objcopy=$3 in=$4 out=$5
"$as" -march=rv64gc -mabi=lp64d -I "$(dirname "$in")" -o "$out.o" "$in"
"$ld" -nostdlib --no-relax -Ttext=0x80000000 -e _start -o "$out.elf" "$out.o"
"$objcopy" -O binary "$out.elf" "$out"
rm -f "$out.o"
