#!/usr/bin/env bash
# The safety net (README "Backups"): what a change destroys is saved
# before, and a restore gives the flash back byte for byte; --dry-run
# changes nothing; --no-backup saves nothing.
source "$MPI_SOURCE/tests/e2e/lib.sh"
source "$MPI_SOURCE/tests/e2e/lib_emu.sh"
trap 'emu_cleanup; rm -rf "$WORK"' EXIT
emu_require
emu_require_esptool
backup_of() { grep -oE 'backup-[a-z0-9]+-[0-9a-f]+-[0-9]{8}-[0-9]{6}(-[0-9]+)?\.mpibak' <<<"$1" | head -1; }

"$FWGEN" --chip esp32 -o fw.bin
emu_start pty esp32 "$(emu_fresh_flash)" || exit 1
P=$EMU_PORT
run "$ESPTOOL" -p "$P" write_flash 0x1000 fw.bin
check "first write onto erased flash ($ERR)" test "$RC" = 0
check "nothing lost: no backup file" bash -c '! ls backup-*.mpibak 2>/dev/null | grep -q .'
head -c $((0x30000)) /dev/urandom | dd of="$EMU_FLASH" bs=1 seek=$((0x300000)) conv=notrunc 2>/dev/null
cp "$EMU_FLASH" before.bin

# esptool: erase_region over data, then restore-backup.
run "$ESPTOOL" -p "$P" --dry-run erase_region 0x300000 0x40000
check "dry run: plan printed" contains "$OUT" "bytes of data on the chip are lost"
check "dry run: nothing changed" cmp -s "$EMU_FLASH" before.bin
run "$ESPTOOL" -p "$P" erase_region 0x300000 0x40000
check "erase_region ($ERR)" test "$RC" = 0
bk=$(backup_of "$OUT")
check "erase_region: backup named ($bk)" test -s "$bk"
check "erase_region: erased" bash -c 'emu_region "$1" 0x300000 0x40000 | tr -d "\377" | wc -c | grep -qx 0' _ "$EMU_FLASH"
check "backup: only the data (not the erased 64 KiB)" test "$(stat -c %s "$bk")" -lt $((0x31000))
run "$ESPTOOL" -p "$P" restore-backup "$bk"
check "restore-backup ($ERR)" test "$RC" = 0
check "restore-backup: byte for byte" cmp -s "$EMU_FLASH" before.bin

# esptool write_flash over data: the old firmware comes back.
"$FWGEN" --chip esp32 --seed 2 -o other.bin 2>/dev/null || { cp fw.bin other.bin; printf 'other' | dd of=other.bin bs=1 seek=$((0x40000)) conv=notrunc 2>/dev/null; }
run "$ESPTOOL" -p "$P" write_flash 0x1000 other.bin
bk=$(backup_of "$OUT")
check "write over data: backup ($bk)" test -s "$bk"
run "$ESPTOOL" -p "$P" --no-backup restore-backup "$bk"
check "write restored byte for byte" cmp -s "$EMU_FLASH" before.bin

# mp-image-tool-esp32: --erase on a device, then --restore.
run "$MPI" "$P" --erase factory
check "mpi --erase ($ERR)" test "$RC" = 0
check "mpi: plan names the partition" contains "$OUT" "(factory)"
bk=$(backup_of "$OUT")
check "mpi: backup named ($bk)" test -s "$bk"
check "mpi: restore command printed" contains "$OUT" "--restore $bk"
run "$MPI" "$P" --restore "$bk"
check "mpi --restore ($ERR)" test "$RC" = 0
check "mpi --restore: byte for byte" cmp -s "$EMU_FLASH" before.bin
run "$MPI" "$P" --erase nvs --dry-run
check "mpi --dry-run ($ERR)" test "$RC" = 0
check "mpi --dry-run: nothing changed" cmp -s "$EMU_FLASH" before.bin
n=$(ls backup-*.mpibak | wc -l)
run "$MPI" "$P" --erase nvs --no-backup
check "mpi --no-backup: no new file" test "$(ls backup-*.mpibak | wc -l)" = "$n"
run "$MPI" "$P" --restore fw.bin
check "a file that is not a backup: refused" contains "$ERR" "not a backup of this tool"
finish
