#!/usr/bin/env bash
# --ota-switch cut off at any byte: the connection to the emulated chip
# drops after N bytes, for N stepped evenly across every step that writes,
# plus the bytes just before and just after each one-sector step takes
# effect (found by bisection: the otadata writes, the table, the vfs head),
# over TCP, where a dropped connection fails at once.  The device: Arduino's
# default.csv running ota_1, the longest switch (the running app is copied
# into ota_0 and selected first; small apps and --app-size keep it quick).
# After every cut the flash must boot an app (a valid table, otadata
# selecting a valid image), the error must name the app that boots and say
# to run again, and a rerun must end in exactly the state the uninterrupted
# switch reaches.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/lib_emu.sh"
source "$E2E_DIR/lib_switch.sh"
trap 'emu_cleanup; rm -rf "$WORK"' EXIT
emu_require
TABLE=${SHARED:+$SHARED/fixtures/partitions/arduino-esp32/default.bin}
if [ -z "$TABLE" ] || [ ! -f "$TABLE" ]; then
  echo "SKIP: ../shared/fixtures/partitions not found (set MPI_SHARED)"
  exit 77
fi
CUTS=${CUTS:-24}          # cut points spread across the writing steps
SWITCH=(--ota-switch mp.bin --app-size 0x1e0000)

"$FWGEN" --chip esp32 --device "$TABLE" --boot-slot 1 --project arduino-app \
  --boot-idf v5.1.4 --app-idf v5.1.4 --app-size 0x40000 -o base.img
"$FWGEN" --chip esp32 --app-idf v5.2.2 --version v1.24.1 --app-size 0x60000 --table v1.26 -o mp.bin
"$MPI" -q base.img "${SWITCH[@]}" -o want.img >/dev/null || { fail "the dump run"; finish; exit; }

# line_bytes: the bytes the last session carried (espemu's log).
line_bytes() { sed -n 's/.*line: \([0-9]*\) bytes in, \([0-9]*\) bytes out.*/\1 \2/p' "$EMU_LOG" |
  tail -n 1 | awk '{print $1 + $2}'; }
# session FLASH [N]: one switch of FLASH, the line dropping after N bytes.
session() {
  local faults=(); [ "${2:-0}" -gt 0 ] && faults=(--faults "disconnect=$2")
  emu_start tcp esp32 "$1" "${faults[@]}" || { fail "espemu"; return 1; }
  run timeout 60 "$MPI" -q "$EMU_PORT" "${SWITCH[@]}" --yes --backup backup
  emu_stop
}
# cut N: a fresh device switched with a cut after N bytes, into cut.img.
cut() { cp base.img cut.img; session cut.img "$1"; }

# The backup is taken once, by the first run; every later run keeps it (as
# a rerun after an interruption does), so the cuts fall on the writes.
cp base.img first.img
session first.img
check "first run ($ERR)" test "$RC" = 0
check "first run: the end state" cmp -s first.img want.img
cut 0
check "clean run ($ERR)" test "$RC" = 0
check "clean run: the end state" cmp -s cut.img want.img
total=$(line_bytes)

# changed OFFSET LEN: that region of cut.img differs from base.img.
changed() { ! cmp -s <(emu_region cut.img "$1" "$2") <(emu_region base.img "$1" "$2"); }
# first_change OFFSET LEN: FIRST = the smallest cut after which the region
# has changed (a cut never writes less than an earlier one).  Not in a
# subshell: lib_emu.sh counts its emulators in this shell.
first_change() {
  local lo=0 hi=$total mid
  while [ $((hi - lo)) -gt 1 ]; do
    mid=$(((lo + hi) / 2))
    cut "$mid"
    if changed "$1" "$2"; then hi=$mid; else lo=$mid; fi
  done
  FIRST=$hi
}
first_change 0 0x400000
start=$FIRST
points=()
for k in $(seq 0 $((CUTS - 1))); do points+=($((start + (total - start) * k / CUTS))); done
# otadata's two sectors (the copy selected, MicroPython selected), the
# table's sector, the head of vfs: the cut just before and just after each.
for region in "0xe000 0x1000" "0xf000 0x1000" "0x8000 0x1000" "0x330000 0x4000"; do
  first_change $region
  points+=($((FIRST - 1)) "$FIRST")
done

bad=0 old=0 new=0
for n in "${points[@]}"; do
  cut "$n"
  why="" booted=$(boots cut.img)
  b=${booted%% *}
  [ -z "$b" ] && why="does not boot"
  if [ -z "$why" ] && [ "$RC" != 0 ] && ! cmp -s cut.img base.img; then
    contains "$ERR" "boots '$b'" || contains "$ERR" "or '$b'" || why="the error names another app than '$b': $ERR"
    contains "$ERR" "run the same command again" || why="the error does not say to run again: $ERR"
  fi
  case $booted in *micropython) new=$((new + 1)) ;; *arduino-app) old=$((old + 1)) ;; esac
  if [ -z "$why" ]; then
    session cut.img
    [ "$RC" != 0 ] && why="the rerun failed: $ERR"
    [ -z "$why" ] && ! cmp -s cut.img want.img && why="the rerun did not reach the end state"
  fi
  [ -n "$why" ] && { bad=$((bad + 1)); fail "cut after $n of $total bytes: $why"; }
done
check "${#points[@]} cuts from byte $start to $total ($old booting the old app, $new MicroPython): all safe" test "$bad" = 0
check "the cuts hit both sides of the switch" test "$old" -gt 0 -a "$new" -gt 0
finish
