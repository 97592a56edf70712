#!/usr/bin/env bash
# mp-image-tool-esp32 against the emulated chip: every operation on a device
# must leave exactly the flash that the same operation leaves in a full
# flash dump file.  Over a pty and over TCP; plus --flash of a file.
source "$(dirname "$0")/lib.sh"
source "$E2E_DIR/lib_emu.sh"
trap 'emu_cleanup; rm -rf "$WORK"' EXIT
emu_require
export SOURCE_DATE_EPOCH=1700000000   # boot.py written by mkfs gets this mtime

"$FWGEN" --chip esp32 --table v1.25 --dump --pad -o dump.img
"$FWGEN" --chip esp32 --app-only --seed 5 -o new.app-bin
printf 'calibration' > phy.bin

# same_as_file TRANSPORT NAME ARGS...: run ARGS on the emulator and on a
# copy of the dump; the flash files must then be identical.
same_as_file() {
  local transport=$1 name=$2; shift 2
  local flash; flash=$(emu_fresh_flash)
  cp dump.img "$flash"
  "$MPI" -q dump.img "$@" -o want.img || { fail "$name: file run failed"; return; }
  emu_start "$transport" esp32 "$flash"
  run timeout 120 "$MPI" "$EMU_PORT" "$@"
  emu_stop
  check "$transport $name: exit 0 ($ERR)" test $RC -eq 0
  check "$transport $name: device flash equals file result" cmp -s "$flash" want.img
}

# same_fs_as_file TRANSPORT NAME ARGS...: as same_as_file for commands that
# change the filesystem in vfs (0x200000, 2 MB).  On a device littlefs
# writes every commit as a compaction (an append would rewrite a live
# sector; see lib/littlefs/lfs_bd.c), so the blocks differ from the file's
# while the files do not: the rest of the flash must be identical, and the
# filesystems must hold the same tree with the same contents.
same_fs_as_file() {
  local transport=$1 name=$2; shift 2
  local flash; flash=$(emu_fresh_flash)
  cp dump.img "$flash"
  "$MPI" -q dump.img "$@" -o want.img || { fail "$name: file run failed"; return; }
  emu_start "$transport" esp32 "$flash"
  run timeout 120 "$MPI" "$EMU_PORT" "$@"
  emu_stop
  check "$transport $name: exit 0 ($ERR)" test $RC -eq 0
  check "$transport $name: flash before vfs equals file result" \
    cmp -s <(head -c 2097152 "$flash") <(head -c 2097152 want.img)
  rm -rf got.d want.d
  "$MPI" -q "$flash" --fs get / got.d >/dev/null || fail "$transport $name: get from the device result"
  "$MPI" -q want.img --fs get / want.d >/dev/null || fail "$transport $name: get from the file result"
  check "$transport $name: same files" diff -r got.d want.d
  check "$transport $name: same names, sizes, mtimes" \
    test "$(tree_facts got.d)" = "$(tree_facts want.d)"
}
# tree_facts DIR: one line per file (path, size, mtime); files only, as the
# mtimes of directories are the time of the copy.
tree_facts() { (cd "$1" && find . -type f -printf '%P %s %T@\n' | sort); }

for t in pty tcp; do
  same_as_file $t "table default" --table default
  same_as_file $t "erase + write" --erase nvs --write phy_init=phy.bin
  same_as_file $t "rename keeps data" --rename vfs=ffat
  same_as_file $t "ota table + update" --table ota -a 0x1f0B --ota-update new.app-bin
  same_fs_as_file $t "littlefs" --fs mkfs --fs put phy.bin new.app-bin / --fs mkdir lib/sub --fs rm phy.bin
done

# The ROM alone (--no-stub): the same result, more slowly.
same_as_file tcp "no stub: table default" --table default --no-stub

# Summary and --check-app on a device.
flash=$(emu_fresh_flash); cp dump.img "$flash"
emu_start tcp esp32 "$flash"
run timeout 120 "$MPI" "$EMU_PORT" --check-app
check "device summary" contains "$OUT" "Found esp32 device (4MB flash)."
check "device check-app" contains "$OUT" "Partition 'factory': App image signature found."
check "device: no filesystem in vfs is a df row, not an error" grep -qE "^  vfs +\\(no filesystem" <<<"$OUT"
# A refused change writes nothing to the device.
before=$(sha "$flash")
run timeout 120 "$MPI" "$EMU_PORT" -f 8M
check "-f beyond the device refused" test $RC -eq 1
run timeout 120 "$MPI" "$EMU_PORT" --add x=fat:0x100000:0x10000
check "overlap refused on device" test $RC -eq 1
check "device untouched by refusals" test "$(sha "$flash")" = "$before"
emu_stop

# df and the summary read the directories only: the size of a file's block
# list follows from its size, so none of its 450 blocks is read (each was
# one READ_FLASH of its pointer before).
head -c 1800000 /dev/urandom > big.bin
"$MPI" -q dump.img --fs mkfs --fs put big.bin / -o big.img >/dev/null || fail "big.img"
flash=$(emu_fresh_flash); cp big.img "$flash"
emu_start tcp esp32 "$flash"
run timeout 120 "$MPI" "$EMU_PORT" --fs df
emu_stop
check "df of a 1.8 MB file on a device ($ERR)" test $RC -eq 0
check "df: the file's blocks are counted" grep -qE "^ +vfs +2048 +17[0-9][0-9] " <<<"$OUT"
reads=$(grep -c 'READ_FLASH' "$EMU_LOG")
check "df: only metadata read ($reads READ_FLASH commands)" test "$reads" -lt 40

# --flash: a micropython.org-style file onto an erased device.
"$FWGEN" --chip esp32 --table v1.26 -o fw.bin
flash=$(emu_fresh_flash)
emu_start tcp esp32 "$flash"
run timeout 120 "$MPI" fw.bin --flash "$EMU_PORT"
check "--flash ok ($ERR)" test $RC -eq 0
check "--flash verified" contains "$OUT" "Flashed and verified."
check "--flash content at 0x1000" cmp -s <(emu_region "$flash" 0x1000 "$(stat -c %s fw.bin)") fw.bin
emu_stop
# --flash refuses another chip.
flash=$(emu_fresh_flash)
emu_start tcp esp32c3 "$flash"
run timeout 120 "$MPI" fw.bin --flash "$EMU_PORT"
check "--flash other chip refused" test $RC -eq 1
check "--flash other chip message" contains "$ERR" "esp32c3"
emu_stop

finish
