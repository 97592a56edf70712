# Fault injection against esptool (our client), as esptool itself copes:
#  - a low rate of dropped or corrupted bytes, a stall: the write (or read)
#    COMPLETES with verified flash, because blocks and commands are sent
#    again after a missing, damaged or rejected reply (and the output says
#    so);
#  - a disconnect, a flash write the stub reports failed: the run STOPS with
#    an error naming the command and the address, and a rerun completes.
# Never success with wrong flash.  Faults are seeded, so runs repeat.
source "$MPI_SOURCE/tests/e2e/lib.sh"
source "$MPI_SOURCE/tests/e2e/lib_emu.sh"
trap 'emu_cleanup; rm -rf "$WORK"' EXIT
emu_require
emu_require_esptool

"$FWGEN" --chip esp32 -o fw.bin                    # 1.7 MB, deflates to ~1.6 MB
# Deterministic data (fwgen's pseudo-random app bytes), so a fault seed hits
# the same bytes on every run and a pass is reproducible.
"$FWGEN" --chip esp32 --app-only --app-size 0x11000 --seed 11 -o small.src
head -c 65536 small.src > small.bin

# write_once TRANSPORT FAULTS FILE ADDR [esptool options]: one faulty run.
write_once() {
  local transport=$1 faults=$2 file=$3 addr=$4
  shift 4
  emu_start "$transport" esp32 "$(emu_fresh_flash)" --faults "$faults" || { fail "$faults: espemu"; return 1; }
  run timeout 50 "$ESPTOOL" -p "$EMU_PORT" "$@" write_flash "$addr" "$file"
}

# rerun FILE ADDR: a clean session on the same emulator completes.
rerun() {
  emu_stop
  emu_start pty esp32 "$EMU_FLASH"
  run timeout 50 "$ESPTOOL" -p "$EMU_PORT" write_flash "$2" "$1"
  check "rerun completes ($ERR)" test "$RC" = 0
  check "rerun flash" emu_holds "$EMU_FLASH" "$2" "$1"
  emu_stop
}

# must_complete TRANSPORT FAULTS FILE ADDR [esptool options]
must_complete() {
  local faults=$2 file=$3 addr=$4
  write_once "$@" || return
  check "$faults: completes ($ERR)" test "$RC" = 0
  check "$faults: verified" contains "$OUT" "Hash of data verified."
  check "$faults: flash holds the file" emu_holds "$EMU_FLASH" "$addr" "$file"
  check "$faults: something was sent again" grep -q "again" <<<"$OUT"
  emu_stop
}

# must_stop TRANSPORT FAULTS FILE ADDR WANT [esptool options]: WANT is part
# of the error (the command and the address).
must_stop() {
  local transport=$1 faults=$2 file=$3 addr=$4 want=$5
  shift 5
  write_once "$transport" "$faults" "$file" "$addr" "$@" || return
  check "$faults: stops (rc $RC)" test "$RC" = 2
  check "$faults: clear error ($ERR)" contains "$ERR" "A fatal error occurred: "
  check "$faults: error names it ($ERR)" grep -qE -- "$want" <<<"$ERR"
  check "$faults: no success claimed" bash -c '! grep -q "Hash of data verified" <<<"$1"' _ "$OUT"
  rerun "$file" "$addr"
}

# Line noise while the stub writes 1.6 MB of deflated blocks: about 5 to
# 10 bytes hit in all, blocks resent, at worst the region written again.
must_complete pty "drop=0.000003,seed=1" fw.bin 0x1000
must_complete pty "corrupt=0.000003,seed=3" fw.bin 0x1000
must_complete tcp "drop=0.000002,corrupt=0.000002,seed=5" fw.bin 0x1000 -b 921600
# The ROM alone (1 KiB FLASH_DATA blocks, written before the reply).
must_complete pty "corrupt=0.00003,seed=4" small.bin 0x10000 --no-stub
must_complete pty "drop=0.00003,seed=2" small.bin 0x10000 --no-stub
# A stall shorter than the timeouts just slows things down.
write_once pty "stall=1500@200000" fw.bin 0x1000
check "stall: completes ($ERR)" test "$RC" = 0
check "stall: flash" emu_holds "$EMU_FLASH" 0x1000 fw.bin
emu_stop

# Reading: the data file holds exactly the flash bytes.
emu_start pty esp32 "$(emu_fresh_flash)" --faults "drop=0.000003,corrupt=0.000003,seed=9"
"$FWGEN" --chip esp32 --app-only --app-size 0x101000 --seed 12 -o seed.src
head -c $((0x100000)) seed.src > seed.bin
dd if=seed.bin of="$EMU_FLASH" conv=notrunc status=none
run timeout 50 "$ESPTOOL" -p "$EMU_PORT" read_flash 0 0x100000 back.bin
check "read under noise completes ($ERR)" test "$RC" = 0
check "read under noise: exact data" cmp -s back.bin seed.bin
emu_stop

# Disconnects: over TCP the connection closes; over a pty the line goes
# silent (an unplugged adapter): three resends, then stop.
must_stop tcp "disconnect=400000" fw.bin 0x1000 "FLASH_DEFL_DATA seq [0-9]+ \(write at 0x00001000\).*closed"
must_stop pty "disconnect=400000" fw.bin 0x1000 "FLASH_DEFL_DATA seq [0-9]+ \(write at 0x00001000\): no reply"
# The flash fails under the stub: reported one block late, not retried.
must_stop pty "flashfail=0x80000" fw.bin 0x1000 "FLASH_DEFL_(DATA seq [0-9]+|END) \(write at 0x00001000\): the stub says SPI operation failed"
# The ROM reports a failed block at once; sending it again repairs it.
write_once pty "flashfail=0x12000" small.bin 0x10000 --no-stub
check "ROM flash fault: block resent, completes ($ERR)" test "$RC" = 0
check "ROM flash fault: resent" contains "$OUT" "flash write error"
check "ROM flash fault: flash" emu_holds "$EMU_FLASH" 0x10000 small.bin
emu_stop
finish
