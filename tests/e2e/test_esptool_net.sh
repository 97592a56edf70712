# esptool over the network transports, each with the stub and with
# --no-stub: write_flash, verify_flash and read_flash over TCP (socket://),
# over RFC 2217 straight to espemu (DTR/RTS drive the emulated auto-reset
# circuit, the chip starts in its app) and over RFC 2217 through Debian's
# ser2net in front of the emulator's pty.  (The pty itself, every chip:
# test_esptool_pty.sh.)  Plus what is particular to each transport.
source "$MPI_SOURCE/tests/e2e/lib.sh"
source "$MPI_SOURCE/tests/e2e/lib_emu.sh"
trap 'emu_cleanup; rm -rf "$WORK"' EXIT
emu_require
emu_require_esptool

head -c 65536 /dev/urandom > small.bin

# matrix TRANSPORT CHIP: stub (a whole firmware, deflated, at the
# bootloader offset, 921600 where the transport has a baud rate) and ROM
# only (64 KiB: the ROM reads 64 bytes a command).
matrix() {
  local transport=$1 chip=$2
  local off fw="$chip.bin" baud=()
  off=$(emu_boot_offset "$chip")
  "$FWGEN" --chip "$chip" -o "$fw"
  [ "$transport" = tcp ] || baud=(-b 921600)
  emu_start "$transport" "$chip" "$(emu_fresh_flash)" || { fail "$transport: espemu"; return; }
  local t="$transport $chip stub"
  run "$ESPTOOL" --chip "$chip" -p "$EMU_PORT" "${baud[@]}" write_flash -z "$off" "$fw"
  check "$t: write_flash ($ERR)" test "$RC" = 0
  check "$t: verified" contains "$OUT" "Hash of data verified."
  check "$t: flash" emu_holds "$EMU_FLASH" "$off" "$fw"
  run "$ESPTOOL" -p "$EMU_PORT" "${baud[@]}" verify_flash "$off" "$fw"
  check "$t: verify_flash ($ERR)" contains "$OUT" "verify OK"
  run "$ESPTOOL" -p "$EMU_PORT" "${baud[@]}" read_flash "$off" "$(stat -c %s "$fw")" back.bin
  check "$t: read_flash ($ERR)" cmp -s back.bin "$fw"
  t="$transport $chip --no-stub"
  run "$ESPTOOL" -p "$EMU_PORT" --no-stub "${baud[@]}" write_flash 0x300000 small.bin
  check "$t: write_flash ($ERR)" test "$RC" = 0
  check "$t: ROM loader used" bash -c '! grep -q "Stub flasher running" <<<"$1"' _ "$OUT"
  check "$t: flash" emu_holds "$EMU_FLASH" 0x300000 small.bin
  run "$ESPTOOL" -p "$EMU_PORT" --no-stub "${baud[@]}" verify_flash 0x300000 small.bin
  check "$t: verify_flash ($ERR)" contains "$OUT" "verify OK"
  run "$ESPTOOL" -p "$EMU_PORT" --no-stub "${baud[@]}" read_flash 0x300000 65536 small.back
  check "$t: read_flash ($ERR)" cmp -s small.back small.bin
  # A file that differs: verify_flash fails and says so.
  # (Invert the byte: writing a fixed one would leave the file unchanged
  # whenever the random byte already had that value, 1 run in 256.)
  b=$(od -An -tu1 -j100 -N1 small.bin | tr -d ' ')
  printf "\\$(printf %03o $((255 - b)))" | dd of=small.bin bs=1 seek=100 conv=notrunc status=none
  run "$ESPTOOL" -p "$EMU_PORT" --no-stub verify_flash 0x300000 small.bin
  check "$t: verify_flash mismatch" contains "$OUT" "verify FAILED"
  check "$t: verify_flash mismatch exit" test "$RC" = 2
  head -c 65536 /dev/urandom > small.bin
}

# socket://: no reset lines, no baud change.
matrix tcp esp32c3
run "$ESPTOOL" -p "$EMU_PORT" read_mac
check "tcp: note about reset" contains "$OUT" "no reset lines"
emu_stop

# rfc2217:// straight to espemu: the chip runs its app until our reset.
matrix rfc2217 esp32s3
run "$ESPTOOL" -p "$EMU_PORT" read_mac
check "rfc2217: hard reset after" contains "$OUT" "Hard resetting via RTS pin"
run "$ESPTOOL" -p "$EMU_PORT" --before no_reset --connect-attempts 1 read_mac
check "rfc2217: no reset, app running -> clear error" contains "$ERR" "failed to connect"
run "$ESPTOOL" -p "$EMU_PORT" --reset-sequence 'D0|R1|W0.1|D1|R0|W0.05|D0' flash_id
check "rfc2217: custom reset sequence ($ERR)" contains "$OUT" "Detected flash size"
emu_stop

# rfc2217:// through ser2net in front of the emulator's pty.
if command -v ser2net >/dev/null; then
  matrix ser2net esp32
  emu_stop
else
  echo "ser2net not installed: RFC 2217 through ser2net skipped"
fi
finish
