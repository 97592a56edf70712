#!/usr/bin/env bash
# Several boards at once (README "Only what changed"): esptool -p A,B,C
# and mp-image-tool-esp32 --flash A,B,C; one emulator fails mid-write:
# the others finish with exact flash, the table says which failed, the exit
# status is non-zero; the --json document has every board.
source "$MPI_SOURCE/tests/e2e/lib.sh"
source "$MPI_SOURCE/tests/e2e/lib_emu.sh"
trap 'emu_cleanup; rm -rf "$WORK"' EXIT
emu_require
emu_require_esptool
JSON_CHECK="$BUILD/json_check"
README="$MPI_SOURCE/README.md"

"$FWGEN" --chip esp32 -o fw.bin
ports=() flashes=()
for i in 1 2 3; do
  f=$(emu_fresh_flash)
  if [ "$i" = 2 ]; then
    emu_start pty esp32 "$f" --faults disconnect=300000 || exit 1   # dies mid-write
    BAD=$EMU_PORT
  else
    emu_start pty esp32 "$f" || exit 1
  fi
  ports+=("$EMU_PORT"); flashes+=("$f")
done
list=$(IFS=,; echo "${ports[*]}")

run "$ESPTOOL" -p "$list" --json write_flash 0x1000 fw.bin
check "one failed: exit status non-zero" test "$RC" = 2
check "the document validates" bash -c '"$1" "$2" <<<"$3"' _ "$JSON_CHECK" "$README" "$OUT"
check "the failed board is named" grep -q "\"port\":\"$BAD\",\"chip\":\"esp32\",\"mac\":\"[0-9a-f:]*\",\"ok\":false" <<<"$OUT"
check "the table says FAILED" grep -qE "^$BAD .*FAILED" <<<"$ERR"
check "board 1 exact" emu_holds "${flashes[0]}" 0x1000 fw.bin
check "board 3 exact" emu_holds "${flashes[2]}" 0x1000 fw.bin

# The survivors again, with -p given twice: nothing to send.
run "$ESPTOOL" -p "${ports[0]}" -p "${ports[2]}" write_flash 0x1000 fw.bin
check "two boards: ($ERR)" test "$RC" = 0
check "two boards: table" test "$(grep -cE '^/dev/pts/[0-9]+ +esp32 .* OK$' <<<"$OUT")" = 2
check "two boards: nothing sent" test "$(grep -c '(0 sent)' <<<"$OUT")" = 2
run "$ESPTOOL" -p "${ports[0]},${ports[2]}" read_mac
check "read_mac on two" test "$(grep -c 'MAC: ' <<<"$OUT")" -ge 2
run "$ESPTOOL" -p "${ports[0]},${ports[2]}" read_flash 0 0x1000 x.bin
check "read_flash takes one port" test "$RC" = 2

# mp-image-tool-esp32 --flash A,B on fresh flashes.
emu_start pty esp32 "$(emu_fresh_flash)" || exit 1
A=$EMU_PORT FA=$EMU_FLASH
emu_start pty esp32 "$(emu_fresh_flash)" || exit 1
B=$EMU_PORT FB=$EMU_FLASH
run "$MPI" --json fw.bin --flash "$A,$B"
check "mpi --flash A,B ($ERR)" test "$RC" = 0
check "mpi: document validates" bash -c '"$1" "$2" <<<"$3"' _ "$JSON_CHECK" "$README" "$OUT"
check "mpi: both boards ok" test "$(grep -o '"op":"flash","port":"[^"]*","chip":"esp32","mac":"[^"]*","ok":true' <<<"$OUT" | wc -l)" = 2
check "mpi: board A exact" emu_holds "$FA" 0x1000 fw.bin
check "mpi: board B exact" emu_holds "$FB" 0x1000 fw.bin
finish
