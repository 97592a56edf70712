# File-only esptool commands: image_info and merge_bin (raw, hex, uf2).
source "$MPI_SOURCE/tests/e2e/lib.sh"
source "$MPI_SOURCE/tests/e2e/lib_emu.sh"
trap 'emu_cleanup; rm -rf "$WORK"' EXIT
emu_require_esptool

"$FWGEN" --chip esp32 -o full.bin
head -c $((0x7000)) full.bin > boot.bin
tail -c +$((0x7000 + 1)) full.bin | head -c 4096 > part.bin
tail -c +$((0xF000 + 1)) full.bin > app.bin
applen=$(stat -c %s app.bin)

run "$ESPTOOL" image_info boot.bin
check "image_info ($ERR)" test "$RC" = 0
check "image_info chip" contains "$OUT" "Detected image type: ESP32"
check "image_info checksum" contains "$OUT" "Checksum: "
run "$ESPTOOL" image_info part.bin
check "image_info rejects a non-image" test "$RC" = 2

run "$ESPTOOL" --chip esp32 merge_bin -o m.bin --flash_mode qio --flash_size 8MB 0x1000 boot.bin 0x8000 part.bin 0x10000 app.bin
check "merge_bin raw ($ERR)" test "$RC" = 0
check "raw size" test "$(stat -c %s m.bin)" = $((0x10000 + applen))
check "raw gap is 0xFF" test "$(bytes m.bin 0 4)" = ffffffff
check "raw header patched" test "$(bytes m.bin $((0x1002)) 2)" = 0030
check "raw table" emu_holds m.bin $((0x8000)) part.bin
check "raw app" emu_holds m.bin $((0x10000)) app.bin
tail -c +$((0x1000 + 1)) m.bin | head -c $((0x7000)) > mboot.bin
run "$ESPTOOL" image_info mboot.bin
check "raw: SHA-256 still valid" contains "$OUT" "Validation hash: "
check "raw: no invalid" bash -c '! grep -q invalid <<<"$1"' _ "$OUT"

run "$ESPTOOL" --chip esp32 merge-bin -o pad.bin --pad-to-size 4MB --target-offset 0x1000 0x1000 boot.bin
check "pad-to-size" test "$(stat -c %s pad.bin)" = $((0x400000 - 0x1000))
run "$ESPTOOL" --chip esp32 merge_bin -o fill.bin --fill-flash-size 2MB 0x1000 boot.bin
check "fill-flash-size (v4)" test "$(stat -c %s fill.bin)" = $((0x200000))

run "$ESPTOOL" --chip esp32 merge_bin --format hex -o m.hex 0x1000 boot.bin 0x10000 app.bin
check "hex ($ERR)" test "$RC" = 0
check "hex starts with an address record" test "$(head -1 m.hex)" = ":020000040000FA"
check "hex ends" test "$(tail -1 m.hex)" = ":00000001FF"
check "hex first data at 0x1000" test "$(sed -n 2p m.hex | cut -c1-9)" = ":10100000"

run "$ESPTOOL" --chip esp32 merge_bin --format uf2 -o m.uf2 0x1000 boot.bin 0x10000 app.bin
check "uf2 ($ERR)" test "$RC" = 0
blocks=$(( ($(stat -c %s boot.bin) + 451) / 452 + (applen + 451) / 452 ))
check "uf2 size" test "$(stat -c %s m.uf2)" = $((blocks * 512))
check "uf2 magic, flags (family+MD5), address" test "$(bytes m.uf2 0 16)" = 5546320a57515d9e0060000000100000
check "uf2 family id esp32" test "$(bytes m.uf2 28 4)" = b0215f1c
check "uf2 final magic" test "$(bytes m.uf2 508 4)" = 306fb10a

run "$ESPTOOL" merge_bin -o x.bin 0x1000 boot.bin
check "merge_bin needs --chip" contains "$ERR" "needs --chip"
run "$ESPTOOL" --chip esp32 merge_bin -o x.bin 0x1000 boot.bin 0x2000 part.bin
check "overlap refused" contains "$ERR" "overlap"
finish
