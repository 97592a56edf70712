# The Windows build against a chip: esptool.exe and mp-image-tool-esp32.exe
# under wine, the emulated chip (espemu) on Linux, over every way Windows
# reaches one:
#   socket://   Winsock, raw TCP;
#   rfc2217://  Winsock and Telnet; DTR/RTS drive espemu's reset circuit;
#   COM7        the Win32 serial code for real: wine maps COMn to what
#               $WINEPREFIX/dosdevices/comn links to, here espemu's pty
#               (a pty has no modem lines: the reset is skipped, as on
#               Linux), by every name a user types (COM7, com7, \\.\COM7,
#               c7).
# Run by scripts/cross-test.sh windows (WINEPREFIX set, MPI_BUILD the
# wrappers, espemu the Linux one).
source "$MPI_SOURCE/tests/e2e/lib.sh"
source "$MPI_SOURCE/tests/e2e/lib_emu.sh"
trap 'emu_cleanup; rm -f "${COM:-/nonexistent}"; rm -rf "$WORK"' EXIT
emu_require
: "${WINEPREFIX:?run by scripts/cross-test.sh windows}"

"$FWGEN" --chip esp32 --table v1.25 -o fw.bin >/dev/null
head -c 200000 /dev/urandom >blob.bin
size=$(stat -c %s fw.bin)

# session TRANSPORT PORT: write, verify and read back with esptool.exe,
# then the firmware summary and a partition read with mp-image-tool-esp32.exe.
session() {
  local t=$1 port=$2
  run "$ESPTOOL" -p "$port" -b 460800 write_flash -z 0x1000 fw.bin
  check "$t: write_flash ($ERR)" test "$RC" = 0
  check "$t: verified by MD5" contains "$OUT" "Hash of data verified."
  check "$t: the flash holds it" emu_holds "$EMU_FLASH" 0x1000 fw.bin
  run "$ESPTOOL" -p "$port" write_flash 0x300000 blob.bin
  check "$t: write_flash uncompressed ($ERR)" emu_holds "$EMU_FLASH" 0x300000 blob.bin
  run "$ESPTOOL" -p "$port" verify_flash 0x1000 fw.bin
  check "$t: verify_flash ($ERR)" contains "$OUT" "verify OK"
  run "$ESPTOOL" -p "$port" read_flash 0x1000 "$size" back.bin
  check "$t: read_flash ($ERR)" cmp -s back.bin fw.bin
  run "$MPI" "$port"
  check "$t: mp-image-tool-esp32 summary ($ERR)" contains "$OUT" "Partition table"
  run "$MPI" "$port" --read factory=factory.bin
  check "$t: --read ($ERR)" test "$RC" = 0
  "$NATIVE_MPI" -q fw.bin --read factory=factory-file.bin >/dev/null 2>&1
  check "$t: --read gives the partition" cmp -s factory.bin factory-file.bin
  rm -f back.bin factory.bin factory-file.bin
}
NATIVE_MPI=${MPI_NATIVE:?}/mp-image-tool-esp32

emu_start tcp esp32 "$(emu_fresh_flash)" || fail "tcp: espemu"
session socket "$EMU_PORT"
run "$ESPTOOL" -p "$EMU_PORT" --no-stub read_mac
check "socket, ROM only: read_mac ($ERR)" contains "$OUT" "MAC:"
emu_stop

emu_start rfc2217 esp32 "$(emu_fresh_flash)" || fail "rfc2217: espemu"
session rfc2217 "$EMU_PORT"
check "rfc2217: DTR/RTS reset the chip into download mode" grep -q "DTR" "$EMU_LOG"
emu_stop

# A COM port: wine's dosdevices/com7 -> espemu's pty.
emu_start pty esp32 "$(emu_fresh_flash)" || fail "pty: espemu"
COM="$WINEPREFIX/dosdevices/com7"
ln -sfn "$EMU_PORT" "$COM"
session COM7 COM7
run "$ESPTOOL" -p com7 chip_id
check "com7 (lower case) ($ERR)" contains "$OUT" "MAC:"
run "$ESPTOOL" -p '\\.\COM7' flash_id
check "\\\\.\\COM7 ($ERR)" test "$RC" = 0
run "$MPI" c7 --check-app
check "c7 is COM7 ($ERR)" contains "$OUT$ERR" "COM7"
run "$ESPTOOL" -p COM7 -b 1500000 read_flash 0 0x10000 hi.bin
check "COM7 at 1500000 baud ($ERR)" test "$RC" = 0
run "$ESPTOOL" -p COM9 chip_id
check "a COM port that does not exist ($ERR)" contains "$ERR" "COM9: no such serial port"
emu_stop

finish
