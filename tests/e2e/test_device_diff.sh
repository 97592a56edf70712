#!/usr/bin/env bash
# Device work at the speed of what changed (README "Only what changed"):
# a re-flash sends only the sectors the chip does not hold, also when the
# flash was changed behind the tool's back; reads skip erased flash and
# give the same file; read_flash --resume; esptool's --skip-flashed and
# --diff-with; the ROM (--no-stub) the same way; --flash twice; the
# emulator's flash timing.
source "$MPI_SOURCE/tests/e2e/lib.sh"
source "$MPI_SOURCE/tests/e2e/lib_emu.sh"
trap 'emu_cleanup; rm -rf "$WORK"' EXIT
emu_require
emu_require_esptool

"$FWGEN" --chip esp32 -o fw.bin
cp fw.bin fw1.bin       # one 4 KiB sector changed
printf 'changed' | dd of=fw1.bin bs=1 seek=$((0x80000)) conv=notrunc 2>/dev/null
SIZE=$(stat -c %s fw.bin)
sent() { grep -oE '\(([0-9]+) sent\)' <<<"$1" | grep -oE '[0-9]+' | head -1; }

emu_start pty esp32 "$(emu_fresh_flash)" || exit 1
P=$EMU_PORT
run "$ESPTOOL" -p "$P" --no-backup write_flash 0x1000 fw.bin
check "first write ($ERR)" test "$RC" = 0
check "first write: flash holds it" emu_holds "$EMU_FLASH" 0x1000 fw.bin

run "$ESPTOOL" -p "$P" write_flash 0x1000 fw.bin
check "same file: completes ($ERR)" test "$RC" = 0
check "same file: nothing sent" contains "$OUT" "$SIZE bytes were in flash already and not sent (0 sent)"
check "same file: verified" contains "$OUT" "Hash of data verified."

run "$ESPTOOL" -p "$P" write_flash 0x1000 fw1.bin
check "one sector: completes ($ERR)" test "$RC" = 0
check "one sector: 4096 bytes sent" test "$(sent "$OUT")" = 4096
check "one sector: flash exact" emu_holds "$EMU_FLASH" 0x1000 fw1.bin

# Behind the tool's back: two sectors changed in the flash file itself.
printf 'XXXXXXXX' | dd of="$EMU_FLASH" bs=1 seek=$((0x20000)) conv=notrunc 2>/dev/null
printf 'YYYYYYYY' | dd of="$EMU_FLASH" bs=1 seek=$((0x150010)) conv=notrunc 2>/dev/null
run "$ESPTOOL" -p "$P" write_flash 0x1000 fw1.bin
check "behind its back: completes ($ERR)" test "$RC" = 0
check "behind its back: two sectors sent" test "$(sent "$OUT")" = 8192
check "behind its back: flash exact" emu_holds "$EMU_FLASH" 0x1000 fw1.bin

# --diff-with (esptool's meaning) when the flash does not hold OLD.
printf 'ZZZZ' | dd of="$EMU_FLASH" bs=1 seek=$((0x30000)) conv=notrunc 2>/dev/null
run "$ESPTOOL" -p "$P" write_flash 0x1000 fw.bin --diff-with fw1.bin
check "diff-with: completes ($ERR)" test "$RC" = 0
check "diff-with: one sector reflashed" contains "$OUT" "Reflashing 1 changed sector at 0x00081000"
check "diff-with: flash did not hold OLD, said so" contains "$OUT" "The flash did not hold fw.bin"
check "diff-with: flash exact" emu_holds "$EMU_FLASH" 0x1000 fw.bin
run "$ESPTOOL" -p "$P" write_flash -s 0x1000 fw.bin
check "skip-flashed: skipped" contains "$OUT" "already in flash, skipping write"
run "$ESPTOOL" -p "$P" write_flash --skip-flashed --diff-with fw.bin 0x1000 fw.bin
check "skip-flashed with diff-with: refused" test "$RC" = 2

run "$ESPTOOL" -p "$P" --no-diff --no-backup write_flash 0x1000 fw.bin
check "--no-diff: everything sent" bash -c '! grep -q "were in flash already" <<<"$1"' _ "$OUT"

# Sparse read: the same bytes as a full read, most of 4 MB not read.
run "$ESPTOOL" -p "$P" read_flash 0 ALL sparse.bin
check "sparse read ($ERR)" test "$RC" = 0
check "sparse read: says what it skipped" contains "$OUT" "bytes were erased flash and not read"
check "sparse read = the flash" cmp -s sparse.bin "$EMU_FLASH"
run "$ESPTOOL" -p "$P" --no-diff read_flash 0x0 0x200000 full.bin
check "full read = sparse read" cmp -s full.bin <(head -c $((0x200000)) sparse.bin)

# --resume: a part left by an interrupted read goes on; a wrong one is read again.
head -c $((0x80000)) sparse.bin > again.bin.part
run "$ESPTOOL" -p "$P" read_flash --resume 0 ALL again.bin
check "resume: goes on" contains "$OUT" "Resuming after the 0x80000 bytes in again.bin.part"
check "resume: same file" cmp -s again.bin sparse.bin
check "resume: part removed" test ! -e again.bin.part
head -c $((0x40000)) /dev/urandom > bad.bin.part
run "$ESPTOOL" -p "$P" read_flash --resume 0 ALL bad.bin
check "resume, wrong part: read again" contains "$OUT" "does not match the flash any more"
check "resume, wrong part: same file" cmp -s bad.bin sparse.bin
emu_stop

# The ROM's MD5 the same way (--no-stub).
emu_start pty esp32 "$(emu_fresh_flash)" || exit 1
head -c 65536 /dev/urandom > small.bin
cp small.bin small1.bin
printf 'rom' | dd of=small1.bin bs=1 seek=40000 conv=notrunc 2>/dev/null
run "$ESPTOOL" -p "$EMU_PORT" --no-stub --no-backup write_flash 0x10000 small.bin
run "$ESPTOOL" -p "$EMU_PORT" --no-stub write_flash 0x10000 small1.bin
check "ROM: completes ($ERR)" test "$RC" = 0
check "ROM: one sector sent" test "$(sent "$OUT")" = 4096
check "ROM: flash exact" emu_holds "$EMU_FLASH" 0x10000 small1.bin
emu_stop

# mp-image-tool-esp32 --flash twice: the second sends nothing.
emu_start pty esp32 "$(emu_fresh_flash)" || exit 1
run "$MPI" fw.bin --flash "$EMU_PORT"
check "--flash: ($ERR)" test "$RC" = 0
run "$MPI" fw.bin --flash "$EMU_PORT"
check "--flash again: nothing sent" contains "$OUT" "(0 sent)"
check "--flash again: flash exact" emu_holds "$EMU_FLASH" 0x1000 fw.bin
emu_stop

# Flash timing (--baud-limit): erasing 64 KiB takes a block erase, 150 ms.
emu_start pty esp32 "$(emu_fresh_flash)" --baud-limit 921600 || exit 1
head -c 65536 /dev/urandom > blk.bin
run "$ESPTOOL" -p "$EMU_PORT" -b 921600 --no-backup write_flash 0x100000 blk.bin
start=$(date +%s%N)
run "$ESPTOOL" -p "$EMU_PORT" -b 921600 --no-backup erase_region 0x100000 0x10000
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "timing: erase completes ($ERR)" test "$RC" = 0
check "timing: the block erase took its 150 ms ($ms ms)" test "$ms" -ge 150
emu_stop
finish
