# The esptool commands beyond flashing (issue 9), end to end: elf2image,
# make_image and image_info on files; load_ram, run, read_mem, write_mem,
# dump_mem, read/write_flash_status, get_security_info and the chip report
# against espemu for every chip, with the stub and with the ROM; write_flash's
# chip check, empty files and flash option values.  Expectations come from
# the image format and esptool's documented behaviour
# (../shared/docs/esptool-commands.md), not from esptool's output.
source "$MPI_SOURCE/tests/e2e/lib.sh"
source "$MPI_SOURCE/tests/e2e/lib_emu.sh"
trap 'emu_cleanup; rm -rf "$WORK"' EXIT
emu_require
emu_require_esptool
ELFGEN="$BUILD/elfgen"
CHIPS="esp8266 esp32 esp32s2 esp32s3 esp32c2 esp32c3 esp32c5 esp32c6 esp32c61 esp32h2 esp32p4"

# ---- files ----
for chip in $CHIPS; do
  "$ELFGEN" --chip "$chip" --variant 1 -o "$chip.elf"
  [ "$chip" = esp8266 ] && continue
  run "$ESPTOOL" --chip "$chip" elf2image "$chip.elf"
  check "$chip: elf2image ($ERR)" test "$RC" = 0
  check "$chip: elf2image says so" contains "$OUT" "Successfully created"
  check "$chip: named after the ELF" test -f "$chip.bin"
  run "$ESPTOOL" image_info "$chip.bin"
  check "$chip: image_info ($ERR)" test "$RC" = 0
  check "$chip: checksum valid" contains "$OUT" "(valid)"
  check "$chip: no invalid" bash -c '! grep -q invalid <<<"$1"' _ "$OUT"
  check "$chip: app descriptor" contains "$OUT" "Project name: elfgen"
  # the ELF's SHA-256 went into the descriptor (image offset 0xB0)
  check "$chip: ELF SHA-256 inserted" test "$(bytes "$chip.bin" $((0xB0)) 32)" = "$(sha "$chip.elf")"
done
# flash options, their environment defaults, and the digest
"$ESPTOOL" --chip esp32 elf2image -fm dio -ff 80m -fs 4MB esp32.elf -o opt.bin >/dev/null
check "elf2image: header bytes 2-3" test "$(bytes opt.bin 2 2)" = 022f
ESPTOOL_FS=8MB ESPTOOL_FM=dout "$ESPTOOL" --chip esp32 elf2image esp32.elf -o env.bin >/dev/null
check "elf2image: ESPTOOL_FS/FM" test "$(bytes env.bin 2 2)" = 0330
ESPTOOL_FS=8MB "$ESPTOOL" --chip esp32 elf2image -fs 2MB esp32.elf -o env2.bin >/dev/null
check "elf2image: an option wins over ESPTOOL_FS" test "$(bytes env2.bin 3 1)" = 10
"$ESPTOOL" --chip esp32 elf2image --dont-append-digest esp32.elf -o nd.bin >/dev/null
check "elf2image: no digest" test "$(bytes nd.bin 23 1)" = 00
check "elf2image: 32 bytes shorter" test $(( $(stat -c %s esp32.bin) - $(stat -c %s nd.bin) )) = 32
"$ESPTOOL" --chip esp32s3 elf2image --secure-pad-v2 esp32s3.elf -o sp.bin >/dev/null
check "elf2image: secure pad v2 ends on 64 KB" test $(( $(stat -c %s sp.bin) % 65536 )) = 0
"$ESPTOOL" --chip esp32c3 elf2image --min-rev-full 3 --max-rev-full 199 esp32c3.elf -o rev.bin >/dev/null
check "elf2image: revisions" test "$(bytes rev.bin 15 4)" = 0300c700
run "$ESPTOOL" elf2image esp32.elf
check "elf2image needs --chip" contains "$ERR" "Specify the --chip argument"
run "$ESPTOOL" --chip esp32 elf2image --flash-size 32m esp32.elf
check "elf2image refuses 32m" contains "$ERR" "'32m' is not one of"
printf 'not an elf at all, long enough for a header.............' > bad.elf
run "$ESPTOOL" --chip esp32 elf2image bad.elf
check "elf2image: not an ELF" contains "$ERR" "invalid ELF magic header"
# ESP8266: v1 pair, v2, v3 and their names
run "$ESPTOOL" --chip esp8266 elf2image esp8266.elf
check "esp8266 v1 ($ERR)" test -f esp8266.elf-0x00000.bin -a -f esp8266.elf-0x10000.bin
run "$ESPTOOL" image_info esp8266.elf-0x00000.bin
check "esp8266 v1 image_info" contains "$OUT" "Detected image type: ESP8266"
check "esp8266 v1 checksum" contains "$OUT" "(valid)"
run "$ESPTOOL" --chip esp8266 elf2image --version 2 esp8266.elf
check "esp8266 v2 ($ERR)" test -f esp8266-0x10000.bin
run "$ESPTOOL" image_info esp8266-0x10000.bin
check "esp8266 v2 image_info" contains "$OUT" "Image version: 2"
"$ESPTOOL" --chip esp8266 elf2image --version 3 esp8266.elf -o v3.bin >/dev/null
check "esp8266 v3: no extended header, digest" test "$(bytes v3.bin 0 1)" = e9
# make_image
head -c 30 /dev/zero > seg1.bin; printf '\001%.0s' $(seq 16) > seg2.bin
run "$ESPTOOL" make_image mk -f seg1.bin -a 0x40100000 -f seg2.bin -a 0x3ffe8000 -e 0x40100004
check "make_image ($ERR)" test "$(stat -c %s mk0x00000.bin 2>/dev/null)" = 80
check "make_image header" test "$(bytes mk0x00000.bin 0 8)" = e902000004001040
run "$ESPTOOL" make_image mk -f seg1.bin -a 0x40100000 -f seg2.bin
check "make_image: counts must agree" contains "$ERR" "does not match"

# ---- devices ----
ram_addr() {
  case $1 in
    esp8266) echo 0x3ffe8000 ;; esp32|esp32s2) echo 0x3ffb0000 ;; esp32s3) echo 0x3fc88000 ;;
    esp32c2) echo 0x3fca0000 ;; esp32c3) echo 0x3fc80000 ;; esp32p4) echo 0x4ff00000 ;;
    *) echo 0x4084f000 ;;   # above the stub (loaded at 0x40800000)
  esac
}
magic() {
  case $1 in
    esp8266) echo 0xfff0c101 ;; esp32) echo 0x00f01d83 ;; esp32s2) echo 0x000007c6 ;;
    esp32s3) echo 0x00000009 ;; esp32c2) echo 0x7c41a06f ;; esp32c3) echo 0x1b31506f ;;
    esp32c5) echo 0x1101406f ;; esp32c6) echo 0x2ce0806f ;; esp32c61) echo 0x7211606f ;;
    esp32h2) echo 0xd7b73e80 ;; esp32p4) echo 0x00000000 ;;
  esac
}
image_id() {
  case $1 in
    esp32s3) echo 9 ;; esp32c2) echo 12 ;; esp32c3) echo 5 ;; esp32c5) echo 23 ;;
    esp32c6) echo 13 ;; esp32c61) echo 20 ;; esp32h2) echo 16 ;; esp32p4) echo 18 ;;
  esac
}
"$FWGEN" --chip esp32 -o ex32.bin
: > empty.bin
for chip in $CHIPS; do
  emu_start pty "$chip" "$chip.flash" || { fail "$chip: espemu"; continue; }
  a=$(ram_addr "$chip")
  for stub in "" --no-stub; do
    t="$chip${stub:+ ROM}"
    run "$ESPTOOL" -p "$EMU_PORT" $stub read_mem 0x40001000
    check "$t: read_mem ($ERR)" contains "$OUT" "0x40001000 = $(magic "$chip")"
    check "$t: chip report" contains "$OUT" "Chip type:"
    run "$ESPTOOL" -p "$EMU_PORT" $stub write_mem "$a" 0x12345678
    check "$t: write_mem ($ERR)" contains "$OUT" "Wrote 0x12345678 with mask 0xffffffff to $a."
    "$ESPTOOL" -p "$EMU_PORT" $stub write_mem "$a" 0xabcd 0xff00 >/dev/null 2>&1
    run "$ESPTOOL" -p "$EMU_PORT" $stub read_mem "$a"
    check "$t: the target keeps the bits outside the mask" contains "$OUT" "$a = 0x1234ab78"
    run "$ESPTOOL" -p "$EMU_PORT" $stub dump_mem "$a" 2050 dump.bin
    check "$t: dump_mem ($ERR)" contains "$OUT" "Dumped 2048 bytes from $a"
    check "$t: dump_mem file" test "$(bytes dump.bin 0 4)" = 78ab3412
    run "$ESPTOOL" -p "$EMU_PORT" $stub write_flash_status --bytes 2 0x0200
    check "$t: write_flash_status ($ERR)" contains "$OUT" "After flash memory status:   0x0200"
    run "$ESPTOOL" -p "$EMU_PORT" $stub read_flash_status
    check "$t: volatile status gone after the reset" contains "$OUT" "Flash memory status: 0x0000"
    run "$ESPTOOL" -p "$EMU_PORT" $stub write_flash_status --non-volatile --bytes 3 0x020300
    run "$ESPTOOL" -p "$EMU_PORT" $stub read_flash_status --bytes 3
    check "$t: non-volatile status kept ($ERR)" contains "$OUT" "Flash memory status: 0x20300"
    "$ESPTOOL" -p "$EMU_PORT" $stub write_flash_status --non-volatile --bytes 3 0 >/dev/null 2>&1
    run "$ESPTOOL" -p "$EMU_PORT" $stub get_security_info
    case $chip in
      esp8266|esp32)
        check "$t: no security info ($OUT)" test "$RC" = 2
        if [ -z "$stub" ]; then check "$t: the stub says so" contains "$ERR" "Command not implemented"
        else check "$t: the ROM does not know it" contains "$ERR" "unsupported) command 0x14"; fi ;;
      esp32s2)
        check "$t: security info ($ERR)" contains "$OUT" "Secure Boot: Disabled"
        check "$t: 12 bytes: no chip id" bash -c '! grep -q "Chip ID" <<<"$1"' _ "$OUT" ;;
      *)
        check "$t: security info ($ERR)" contains "$OUT" "Flash Encryption: Disabled"
        check "$t: chip id" contains "$OUT" "Chip ID: $(image_id "$chip")" ;;
    esac
    run "$ESPTOOL" -p "$EMU_PORT" $stub chip_id
    if [ "$chip" = esp8266 ]; then check "$t: chip_id" contains "$OUT" "Chip ID: 0x00123456"
    else check "$t: chip_id falls back to the MAC" contains "$OUT" "has no chip ID. Reading MAC address instead."; fi
    run "$ESPTOOL" -p "$EMU_PORT" $stub run
    check "$t: run ($ERR)" test "$RC" = 0
  done
  # write_flash: an image for another chip is refused unless --force
  if [ "$chip" != esp8266 ] && [ "$chip" != esp32 ]; then
    run "$ESPTOOL" -p "$EMU_PORT" write_flash 0x10000 ex32.bin
    check "$chip: another chip's image refused" contains "$ERR" "is not an an $(tr a-z A-Z <<<"${chip/esp32/esp32-}") image"
    check "$chip: with esptool's warning" contains "$OUT" "Unexpected chip ID in image"
  fi
  run "$ESPTOOL" -p "$EMU_PORT" write_flash 0x10000 empty.bin
  check "$chip: an empty file is skipped ($ERR)" contains "$OUT" "Warning: 'empty.bin' is empty."
  run "$ESPTOOL" -p "$EMU_PORT" write_flash --flash_size 32m 0x10000 empty.bin
  check "$chip: megabit sizes refused" contains "$ERR" "'32m' is not one of"
  # load_ram last: the program runs and the chip stops answering
  "$ELFGEN" --chip "$chip" --ram 1 -o ram.elf
  if [ "$chip" = esp8266 ]; then
    "$ESPTOOL" --chip esp8266 elf2image ram.elf -o ram >/dev/null; mv ram0x00000.bin ram.bin
  else
    "$ESPTOOL" --chip "$chip" elf2image --ram-only-header ram.elf -o ram.bin >/dev/null
  fi
  run "$ESPTOOL" -p "$EMU_PORT" load_ram ram.bin
  check "$chip: load_ram ($ERR)" contains "$OUT" "to RAM, executing at"
  check "$chip: load_ram exits" contains "$OUT" "Exiting immediately."
  emu_wait_log "RAM program running" 5 || fail "$chip: the program did not start: $(emu_log_tail)"
  emu_stop
done
# write_flash --force writes another chip's image
emu_start pty esp32c3 force.flash
run "$ESPTOOL" -p "$EMU_PORT" write_flash --force 0x10000 ex32.bin
check "--force ($ERR)" emu_holds force.flash $((0x10000)) ex32.bin
emu_stop
finish
