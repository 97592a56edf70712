#!/usr/bin/env bash
# The summary of firmware files for every chip: chip, kind, flash size, the
# plain table, the app fill line from the real app length, the app
# descriptor, and MicroPython >= 1.26's implicit vfs.
. "$(dirname "$0")/lib.sh"

for chip in esp32 esp32s2 esp32s3 esp32c2 esp32c3 esp32c5 esp32c6 esp32c61 esp32h2 esp32p4; do
  "$FWGEN" --chip $chip --table v1.25 -o $chip.bin
  before=$(sha $chip.bin)
  run "$MPI" $chip.bin
  check "$chip: exit 0" test $RC -eq 0
  check "$chip: found line" contains "$OUT" "Found $chip firmware file (4MB flash)."
  check "$chip: vfs row" contains "$OUT" "  vfs              data     fat        0x200000   0x200000   0x400000   0x0   (2.0 MB)"
  check "$chip: factory row" contains "$OUT" "  factory          app      factory     0x10000   0x1f0000   0x200000   0x0   (1.9 MB)"
  check "$chip: app descriptor" contains "$OUT" "App: micropython v1.26.0 (ESP-IDF v5.4.2, built Nov 21 2026 12:00:00)"
  check "$chip: input untouched" test "$(sha $chip.bin)" = "$before"
  check "$chip: no output file" test "$(ls | wc -l)" -eq 1
  rm $chip.bin
done

# The bootloader offset decides where a file starts: esp32/s2 at 0x1000,
# c5/p4 at 0x2000, the rest at 0x0.
"$FWGEN" --chip esp32p4 -o p4.bin
check "p4 file starts with the bootloader" test "$(bytes p4.bin 0 1)" = e9
check "p4 table at file offset 0x6000" test "$(bytes p4.bin $((0x6000)) 2)" = aa50

# App fill from the real image length (0x198000-ish), not the file length.
"$FWGEN" --chip esp32 --table v1.25 -o fw.bin
run "$MPI" fw.bin
fill=$(grep -o 'fills [0-9.]*% of factory partition ([0-9-]* kB free)' <<<"$OUT")
check "fill line present" test -n "$fill"

# Plain header line exactly as the Python tool prints it.
check "header line" contains "$OUT" "# Name             Type     SubType      Offset       Size        End Flags"
check "title" contains "$OUT" "Partition table (flash size: 4MB):"

# MicroPython >= 1.26: no vfs in the table, the implicit one is shown.
"$FWGEN" --chip esp32s3 --table v1.26 -o new.bin
run "$MPI" new.bin
check "implicit vfs row" contains "$OUT" "  vfs              data     fat        0x200000   0x200000   0x400000   0x0   (2.0 MB)  implicit (MicroPython >= 1.26)"

# A full flash dump of an ESP32 (bootloader at 0x1000 of the file).
"$FWGEN" --chip esp32 --dump --pad -o dump.bin
check "dump is 4MB" test "$(stat -c %s dump.bin)" -eq $((4 * 1024 * 1024))
run "$MPI" dump.bin
check "dump recognised" contains "$OUT" "Found esp32 flash dump (4MB flash)."

# An app image alone.
"$FWGEN" --chip esp32c3 --app-only -o app.app-bin
run "$MPI" app.app-bin
check "app image message" contains "$OUT" "Found esp32c3 app image"
check "app image exit 0" test $RC -eq 0
run "$MPI" app.app-bin --check-app
check "app image --check-app ok" test $RC -eq 0
check "app image hash confirmed" contains "$OUT" "Hash confirmed"

# -q hides everything but errors and the results asked for (the Python
# tool's -q still printed the summary: its bug 20).
run "$MPI" -q fw.bin
check "-q prints nothing" test -z "$OUT"
run "$MPI" -q fw.bin --read phy_init=phy.bin
check "-q still does the work" test -f phy.bin

finish
