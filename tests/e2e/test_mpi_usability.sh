#!/usr/bin/env bash
# mp-image-tool-esp32 as a user meets it: the spellings of the Python tool's
# README, a filesystem image from nothing, -q, the OTA states, df over
# partitions without a filesystem, warnings that are moot, the generator's
# presets, progress on a terminal and in a log, and what --flash and a
# device run say when they fail.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/lib_emu.sh"
trap 'emu_cleanup; rm -rf "$WORK"' EXIT
emu_require
export SOURCE_DATE_EPOCH=1700000000

"$FWGEN" --chip esp32 --table v1.25 -o fw.bin
mkdir -p root/lib && printf 'print(1)\n' > root/main.py && printf 'x = 2\n' > root/lib/m.py

# --resize-flash is the README's long name of -f.
"$MPI" -q fw.bin -f 8M -o a.bin >/dev/null && "$MPI" -q fw.bin --resize-flash 8M -o b.bin >/dev/null
check "--resize-flash 8M equals -f 8M" cmp -s a.bin b.bin

# --fs grow vfs 1024: a number without a unit counts blocks; with one, bytes.
"$MPI" -q fw.bin --fs mkfs -o f.bin >/dev/null                  # 2 MB: 512 blocks
"$MPI" -q f.bin -f 8M --resize vfs=0 --fs grow vfs 1024 -o g.bin >/dev/null
check "grow by blocks" grep -qE "Blocks Total: +1024$" <<<"$("$MPI" -q g.bin --fs info 2>/dev/null)"
"$MPI" -q f.bin -f 8M --resize vfs=0 --fs grow vfs 4M -o g2.bin >/dev/null
check "grow by bytes" grep -qE "Blocks Total: +1024$" <<<"$("$MPI" -q g2.bin --fs info 2>/dev/null)"

# No "use --fs grow" advice when the same run grows it; the advice otherwise.
run "$MPI" f.bin -f 8M --resize vfs=0 --fs grow -o h.bin
check "grow in the run: no advice" bash -c '! grep -q "fs grow" <<<"$1"' _ "$OUT$ERR"
run "$MPI" f.bin -f 8M --resize vfs=0 -o h2.bin
check "no grow: advice given" contains "$OUT" "--fs grow vfs"

# A littlefs image from nothing, from a folder, in one command.
run "$MPI" new.img --size 256K --fs put root/. /
check "new image: exit 0 ($ERR)" test "$RC" = 0
check "new image: its size" test "$(stat -c %s new.img)" = 262144
check "new image: the files" test "$("$MPI" -q new.img --fs cat lib/m.py)" = "x = 2"
check "new image: fsck" "$MPI" -q new.img --fs fsck
check "new image: no boot.py without mkfs" bash -c '! "$1" -q new.img --fs ls | grep -q boot.py' _ "$MPI"
run "$MPI" -q missing.img --fs put root/. /
check "missing image without --size refused" test "$RC" = 1
check "missing image: says --size" contains "$ERR" "--size"
check "missing image: nothing created" test ! -e missing.img
head -c 131072 /dev/zero > zero.img
run "$MPI" -q zero.img --fs mkfs -o zfs.img
check "blank file: mkfs makes an image ($ERR)" test "$RC" = 0
check "blank file: boot.py by mkfs" contains "$("$MPI" -q zfs.img --fs ls)" "boot.py"
check "blank file itself unchanged" cmp -s zero.img <(head -c 131072 /dev/zero)
run "$MPI" -q fw.bin --size 1M --fs ls
check "--size on an existing firmware refused" test "$RC" = 1

# -q: the results asked for, nothing else; warnings on stderr.
run "$MPI" -q new.img --fs put root/. /more -o q.img
check "-q put prints nothing" test -z "$OUT"
run "$MPI" -q fw.bin --check-app
check "-q --check-app prints its report" contains "$OUT" "App image signature found"
check "-q --check-app: no summary" bash -c '! grep -q "Partition table" <<<"$1"' _ "$OUT"

# --check-app shows the otadata entries with their states.
"$FWGEN" --chip esp32 --table ota -o ota.bin
check "generator: the ota preset works" test -s ota.bin
"$FWGEN" --chip esp32 --table ota --app-only --seed 4 --app-size 0x40000 -o new.app-bin
"$MPI" -q ota.bin --ota-update new.app-bin -o ota2.bin >/dev/null
run "$MPI" -q ota2.bin --check-app
check "otadata entry shown ($OUT)" grep -qE "OTA data entry [01]: seq 2 -> ota_1, state NEW \\(in use\\)" <<<"$OUT"
check "empty otadata entry shown" contains "$OUT" ": empty"

# df goes on past a partition without a filesystem.
run "$MPI" fw.bin -f 8M --add vfs2=fat:4M:1M --fs mkfs vfs2 --fs df -o v2.bin
check "df with an unformatted vfs: exit 0 ($ERR)" test "$RC" = 0
check "df: vfs2 row" grep -qE "^  vfs2 +1024" <<<"$OUT"
check "df: vfs has no filesystem" grep -qE "^  vfs +\(no filesystem" <<<"$OUT"

# Devices: the summary's app lines; progress; what a failed run says.
"$FWGEN" --chip esp32 --table v1.25 --dump --pad -o dump.img
"$MPI" -q dump.img --fs mkfs -o dev.img >/dev/null
head -c 300000 "$FWGEN" > big.bin
emu_start pty esp32 dev.img
run timeout 60 "$MPI" "$EMU_PORT" --fs put big.bin /
emu_stop
check "device put ($ERR)" test "$RC" = 0
check "device summary: app fill" contains "$OUT" "Micropython app fills"
check "device summary: App line" contains "$OUT" "App: micropython"
check "progress in a log: lines, ending done" grep -qE "^Writing: done, .* in .* s" <<<"$OUT"
emu_start pty esp32 dev.img
out=$(script -qec "timeout 60 '$MPI' '$EMU_PORT' --fs put big.bin /b2.bin" /dev/null | tr -d '\r')
emu_stop
check "progress on a terminal: a bar to 100%, then a new line" grep -qE "\] 100% .* in .* s" <<<"$out"
check "progress on a terminal: nothing after a bar on its line" \
  bash -c '! grep -qE "%[^\\n]*No reset" <<<"$1"' _ "$out"

# --flash that fails half-way says what the device holds.
emu_start tcp esp32 "$(emu_fresh_flash)" --faults disconnect=60000
run timeout 60 "$MPI" fw.bin -f 4M --flash "$EMU_PORT" -o flashed.bin
emu_stop
check "failed --flash: exit 1" test "$RC" = 1
check "failed --flash: says the device holds part ($ERR)" contains "$ERR" "may hold part of flashed.bin"
check "failed --flash: names what it wrote" contains "$OUT" "Writing flashed.bin to"

# An ESP8266 is not an ESP32-family target.
flash=$(emu_fresh_flash)
emu_start pty esp8266 "$flash"
run timeout 60 "$MPI" "$EMU_PORT"
emu_stop
check "esp8266 device: refused" test "$RC" = 1
check "esp8266 device: says why ($ERR)" contains "$ERR" "not an ESP32-family chip"
finish
