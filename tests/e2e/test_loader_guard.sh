# A command damaged on the line in a way the protocol cannot see: commands
# carry no checksum, and espemu flips exactly one bit of one command
# (--faults flip=OP:BYTE:BIT[:NTH]).  The flash around the region holds
# known bytes.  Whatever bit is hit:
#  - a size made larger, or an offset moved up, is refused by the chip (the
#    region is fenced) and the write completes, the flash around intact;
#  - an offset moved down reaches flash below the region: the tool says so
#    and fails (never "Hash of data verified"), naming the area; erased
#    flash it reached is erased again and the write completes.
source "$MPI_SOURCE/tests/e2e/lib.sh"
source "$MPI_SOURCE/tests/e2e/lib_emu.sh"
trap 'emu_cleanup; rm -rf "$WORK"' EXIT
emu_require
emu_require_esptool

head -c $((4 << 20)) /dev/urandom > around.bin      # the flash before each run
head -c $((4 << 20)) /dev/zero | tr '\0' '\377' > blank.bin
head -c 262144 /dev/urandom > data.bin               # does not deflate
{ for i in $(seq 6000); do echo "line $i of a firmware image that compresses well"; done; } |
  head -c 262144 > text.bin                          # deflates
ADDR=0x10000

# outside_same FLASH BEFORE: the flash outside [ADDR, ADDR+256K) is as before.
outside_same() {
  cmp -s <(head -c $((ADDR)) "$1") <(head -c $((ADDR)) "$2") &&
    cmp -s <(tail -c +$((ADDR + 262144 + 1)) "$1") <(tail -c +$((ADDR + 262144 + 1)) "$2")
}

# flip_run NAME BEFORE FAULTS ESPTOOL-ARGS...: one run on a copy of BEFORE.
flip_run() {
  local name=$1 before=$2 faults=$3
  shift 3
  local flash
  flash=$(emu_fresh_flash)
  cp "$before" "$flash"
  emu_start pty esp32 "$flash" --faults "$faults" || { fail "$name: espemu"; return 1; }
  # --no-backup: the safety net's reads would take the flipped frame
  run timeout 60 "$ESPTOOL" --no-backup -p "$EMU_PORT" "$@"
  emu_stop
}

# must_complete NAME BEFORE FILE FAULTS ESPTOOL-OPTIONS...: the flip is
# refused or undone: success, exact flash, nothing changed around it.
must_complete() {
  local name=$1 before=$2 file=$3 faults=$4
  shift 4
  flip_run "$name" "$before" "$faults" "$@" write_flash "$ADDR" "$file" || return
  check "$name: completes ($ERR)" test "$RC" = 0
  check "$name: verified" contains "$OUT" "Hash of data verified."
  check "$name: flash holds the file" emu_holds "$EMU_FLASH" "$ADDR" "$file"
  check "$name: flash around unchanged" outside_same "$EMU_FLASH" "$before"
}

# must_report NAME FAULTS AREA ESPTOOL-ARGS...: the flip reached flash
# outside the region: a clear error naming AREA, no success claimed.
must_report() {
  local name=$1 faults=$2 area=$3
  shift 3
  flip_run "$name" around.bin "$faults" "$@" || return
  check "$name: stops (rc $RC)" test "$RC" = 2
  check "$name: says what changed ($ERR)" contains "$ERR" "flash outside the region"
  check "$name: names the area ($ERR)" contains "$ERR" "$area"
  check "$name: no success claimed" bash -c '! grep -q "Hash of data verified" <<<"$1"' _ "$OUT"
}

# The ROM: FLASH_BEGIN's size 0x40000 becomes 0x240000 (the erase would
# reach 0x24ffff): the ROM refuses it.
must_complete "ROM size" around.bin data.bin "flip=0x02:2:5" --no-stub
check "ROM size: the chip refused it" grep -q "beyond the flash size the ROM knows" "$EMU_LOG"
# FLASH_BEGIN's offset 0x10000 becomes 0x20000 (bit 17 set): refused.
must_complete "ROM offset up" around.bin data.bin "flip=0x02:14:1" --no-stub
# Offset 0x10000 becomes 0: the ROM erases and writes 0x0-0x3ffff.
must_report "ROM offset down" "flip=0x02:14:0" "at 0x00000000-0x0000ffff" \
  --no-stub write_flash "$ADDR" data.bin
# The same onto erased flash: erased again, the write completes.
must_complete "ROM offset down, blank" blank.bin data.bin "flip=0x02:14:0" --no-stub
check "ROM offset down, blank: says so" contains "$OUT" "is erased again"
# The fence itself arrives damaged (0x50000 becomes 0x40000): the chip
# refuses the region, the fence goes again.
must_complete "fence" around.bin data.bin "flip=0x0B:6:0:2" --no-stub

# The stub, plain and deflated.
must_report "stub offset down" "flip=0x02:14:0" "at 0x00000000-0x0000ffff" \
  write_flash -u "$ADDR" data.bin
must_complete "stub deflated size" around.bin text.bin "flip=0x10:2:5"
must_report "stub deflated offset down" "flip=0x10:14:0" "at 0x00000000-0x0000ffff" \
  write_flash "$ADDR" text.bin
# ERASE_REGION's offset 0x10000 becomes 0: the region stays, 0x0-0xffff goes.
must_report "stub erase offset down" "flip=0xD1:2:0" "at 0x00000000-0x0000ffff" \
  erase_region "$ADDR" 0x10000

# Leaving the ROM: --after soft_reset sends FLASH_BEGIN(0, 0); its size
# made 0x1000 would erase sector 0.  The chip is told the flash is empty
# first, and refuses.
flip_run "soft reset" around.bin "flip=0x02:1:4:2" --no-stub --after soft_reset \
  write_flash "$ADDR" data.bin
check "soft reset: completes ($ERR)" test "$RC" = 0
check "soft reset: sector 0 kept" outside_same "$EMU_FLASH" around.bin
finish
