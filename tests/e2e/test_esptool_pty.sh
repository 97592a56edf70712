# esptool command lines from the tutorials and Arduino IDE against espemu
# over a pty (no modem lines: no reset), every chip, stub and ROM-only.
source "$MPI_SOURCE/tests/e2e/lib.sh"
source "$MPI_SOURCE/tests/e2e/lib_emu.sh"
trap 'emu_cleanup; rm -rf "$WORK"' EXIT
emu_require
emu_require_esptool

head -c 300000 /dev/urandom > noise.bin
for chip in esp32 esp32s2 esp32s3 esp32c2 esp32c3 esp32c5 esp32c6 esp32c61 esp32h2 esp32p4 esp8266; do
  emu_start pty "$chip" "$chip.flash" || { fail "$chip: espemu"; continue; }
  off=$(emu_boot_offset "$chip")
  if [ "$chip" = esp8266 ]; then cp noise.bin fw.bin; else "$FWGEN" --chip "$chip" -o fw.bin; fi
  # MicroPython tutorial: erase, then write at the bootloader offset.
  run "$ESPTOOL" --chip "$chip" --port "$EMU_PORT" erase_flash
  check "$chip: erase_flash ($ERR)" test "$RC" = 0
  check "$chip: erase_flash output" contains "$OUT" "Chip erase completed successfully"
  run "$ESPTOOL" --chip "$chip" --port "$EMU_PORT" --baud 460800 write_flash -z "$off" fw.bin
  check "$chip: write_flash ($ERR)" test "$RC" = 0
  check "$chip: write verified" contains "$OUT" "Hash of data verified."
  check "$chip: flash holds the image" emu_holds "$chip.flash" $((off)) fw.bin
  run "$ESPTOOL" -p "$EMU_PORT" read_flash "$off" "$(stat -c %s fw.bin)" back.bin
  check "$chip: read_flash ($ERR)" test "$RC" = 0
  check "$chip: read back" cmp -s back.bin fw.bin
  run "$ESPTOOL" -p "$EMU_PORT" verify_flash "$off" fw.bin
  check "$chip: verify_flash" contains "$OUT" "verify OK"
  run "$ESPTOOL" -p "$EMU_PORT" read_mac
  check "$chip: read_mac" contains "$OUT" "MAC: "
  run "$ESPTOOL" -p "$EMU_PORT" flash_id
  check "$chip: flash_id" contains "$OUT" "Detected flash size: 4MB"
  run "$ESPTOOL" -p "$EMU_PORT" --chip esp32-s3 chip_id
  if [ "$chip" = esp32s3 ]; then check "$chip: --chip match" test "$RC" = 0
  else check "$chip: wrong --chip refused" contains "$ERR" "Wrong --chip argument?"; fi
  # ROM only: write, read back through READ_FLASH_SLOW, erase via FLASH_BEGIN.
  head -c 8192 noise.bin > small.bin
  run "$ESPTOOL" -p "$EMU_PORT" --no-stub write_flash 0x200000 small.bin
  check "$chip: --no-stub write ($ERR)" test "$RC" = 0
  check "$chip: --no-stub flash" emu_holds "$chip.flash" $((0x200000)) small.bin
  if [ "$chip" != esp8266 ]; then
    run "$ESPTOOL" -p "$EMU_PORT" --no-stub verify_flash 0x200000 small.bin
    check "$chip: --no-stub verify_flash ($ERR)" contains "$OUT" "verify OK"
    run "$ESPTOOL" -p "$EMU_PORT" --no-stub read_flash 0x200000 8192 small.back
    check "$chip: --no-stub read ($ERR)" cmp -s small.back small.bin
  fi
  run "$ESPTOOL" -p "$EMU_PORT" --no-stub erase_region 0x200000 0x1000
  check "$chip: --no-stub erase_region ($ERR)" test "$RC" = 0
  check "$chip: erased" test "$(bytes "$chip.flash" $((0x200000)) 16)" = ffffffffffffffffffffffffffffffff
  # (The ESP8266 ROM's erase-size bug rounds a one-sector erase up to two.)
  [ "$chip" = esp8266 ] ||
    check "$chip: rest kept" test "$(bytes "$chip.flash" $((0x201000)) 4)" = "$(bytes small.bin 4096 4)"
  emu_stop
done

# Arduino IDE style: every global option, underscores, several files, header patched.
emu_start pty esp32 ard.flash
"$FWGEN" --chip esp32 -o full.bin
head -c $((0x7000)) full.bin > boot.bin
tail -c +$((0x7000 + 1)) full.bin | head -c 4096 > part.bin
head -c 8192 noise.bin > boot_app0.bin
tail -c +$((0xF000 + 1)) full.bin > app.bin
run "$ESPTOOL" --chip esp32 --port "$EMU_PORT" --baud 921600 --before default_reset --after hard_reset \
  write_flash -z --flash_mode dio --flash_freq 80m --flash_size 4MB \
  0x1000 boot.bin 0x8000 part.bin 0xe000 boot_app0.bin 0x10000 app.bin
check "arduino: write_flash ($ERR)" test "$RC" = 0
check "arduino: params message" contains "$OUT" "Flash parameters set to 0x022f."
check "arduino: header byte 2,3" test "$(bytes ard.flash $((0x1002)) 2)" = 022f
check "arduino: app" emu_holds ard.flash $((0x10000)) app.bin
"$ESPTOOL" -p "$EMU_PORT" read_flash 0x1000 0x7000 boot.back >/dev/null 2>&1
run "$ESPTOOL" image_info boot.back
check "arduino: SHA-256 recomputed" contains "$OUT" "(valid)"
check "arduino: no invalid" bash -c "! grep -q invalid <<<\"\$1\"" _ "$OUT"
run "$ESPTOOL" --chip esp32 -p "$EMU_PORT" verify_flash --flash_mode dio --flash_freq 80m --flash_size 4MB 0x1000 boot.bin
check "arduino: verify with the same patch" contains "$OUT" "verify OK"
# v5 spellings and environment variables.
ESPTOOL_PORT="$EMU_PORT" ESPTOOL_BAUD=460800 run "$ESPTOOL" write-flash --flash-mode keep 0x300000 boot_app0.bin
check "v5 spelling + env ($ERR)" test "$RC" = 0
check "v5: flash" emu_holds ard.flash $((0x300000)) boot_app0.bin
run "$ESPTOOL" -p "$EMU_PORT" erase_region 0x300000 0x2000
check "erase_region (stub)" test "$(bytes ard.flash $((0x301000)) 4)" = ffffffff
run "$ESPTOOL" -p "$EMU_PORT" erase_region 0x300100 0x1000
check "erase_region alignment refused" contains "$ERR" "multiple of 4096"
emu_stop
finish
