# esptool over TCP (socket://), RFC 2217 straight to espemu (DTR/RTS drive
# the emulated auto-reset circuit, the chip starts in its app) and RFC 2217
# through Debian's ser2net in front of the emulator's pty.
source "$MPI_SOURCE/tests/e2e/lib.sh"
source "$MPI_SOURCE/tests/e2e/lib_esptool.sh"

"$FWGEN" --chip esp32c3 -o c3.bin
"$FWGEN" --chip esp32 -o e32.bin

# socket://: no reset lines, no baud change; stub and ROM.
start_emu --chip esp32c3 --flash tcp.flash --tcp 0
for stub in "" --no-stub; do
  run "$ESPTOOL" --chip esp32c3 -p "$EMU_URL" $stub write_flash 0x0 c3.bin
  check "tcp $stub: write ($ERR)" test "$RC" = 0
  check "tcp $stub: note about reset" contains "$OUT" "no reset lines"
  check "tcp $stub: flash" same_at tcp.flash 0 c3.bin
done
run "$ESPTOOL" -p "$EMU_URL" read_flash 0 0x10000 tcp.back
head -c 65536 c3.bin > c3.head
check "tcp: read_flash ($ERR)" cmp -s tcp.back c3.head
stop_emu

# rfc2217:// straight to espemu: the chip runs its app until our reset.
start_emu --chip esp32 --flash rfc.flash --rfc2217 0
run "$ESPTOOL" --chip esp32 -p "$EMU_URL" -b 921600 write_flash -z 0x1000 e32.bin
check "rfc2217: write with reset ($ERR)" test "$RC" = 0
check "rfc2217: flash" same_at rfc.flash $((0x1000)) e32.bin
check "rfc2217: hard reset after" contains "$OUT" "Hard resetting via RTS pin"
run "$ESPTOOL" -p "$EMU_URL" -b 460800 verify_flash 0x1000 e32.bin
check "rfc2217: verify after the app ran ($ERR)" contains "$OUT" "verify OK"
run "$ESPTOOL" -p "$EMU_URL" --no-stub read_mac
check "rfc2217: ROM read_mac" contains "$OUT" "MAC: "
run "$ESPTOOL" -p "$EMU_URL" --before no_reset --connect-attempts 1 read_mac
check "rfc2217: no reset, app running -> clear error" contains "$ERR" "failed to connect"
run "$ESPTOOL" -p "$EMU_URL" --reset-sequence 'D0|R1|W0.1|D1|R0|W0.05|D0' flash_id
check "rfc2217: custom reset sequence ($ERR)" contains "$OUT" "Detected flash size"
stop_emu

# rfc2217:// through ser2net in front of the emulator's pty.
if command -v ser2net >/dev/null; then
  start_emu --chip esp32 --flash s2n.flash --pty
  port=$(free_port)
  cat > s2n.yaml <<YAML
connection: &con1
  accepter: telnet(rfc2217),tcp,127.0.0.1,$port
  connector: serialdev,$EMU_URL,115200n81,local
  options:
    kickolduser: true
YAML
  ser2net -n -d -c s2n.yaml >s2n.log 2>&1 &
  EMU_PIDS+=($!)
  for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  run "$ESPTOOL" --chip esp32 -p "rfc2217://127.0.0.1:$port" -b 460800 write_flash 0x1000 e32.bin
  check "ser2net: write ($ERR)" test "$RC" = 0
  check "ser2net: flash" same_at s2n.flash $((0x1000)) e32.bin
  run "$ESPTOOL" -p "rfc2217://127.0.0.1:$port" read_flash 0x1000 0x8000 s2n.back
  head -c 32768 e32.bin > e32.head
  check "ser2net: read ($ERR)" cmp -s s2n.back e32.head
  stop_emu
else
  echo "ser2net not installed: RFC 2217 through ser2net skipped"
fi
finish
