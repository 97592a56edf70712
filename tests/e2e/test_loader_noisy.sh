# A noisy line: 0.1 % of the bytes dropped and 0.1 % damaged, both ways,
# for the whole session (connect, stub upload, baud change, write, MD5).
# Ten seeds of a stub write_flash; at least 9 must complete with the flash
# holding exactly the file (and nothing else changed), and none may claim
# success with anything else.  (128 KB of noise, which does not deflate,
# keeps the ten runs within about 30 s.)
source "$MPI_SOURCE/tests/e2e/lib.sh"
source "$MPI_SOURCE/tests/e2e/lib_emu.sh"
trap 'emu_cleanup; rm -rf "$WORK"' EXIT
emu_require
emu_require_esptool

head -c 131072 /dev/urandom > data.bin
head -c $((4 << 20)) /dev/zero | tr '\0' '\377' > blank.bin
ADDR=0x10000
done_ok=0
for seed in $(seq 1 10); do
  flash=$(emu_fresh_flash)
  cp blank.bin "$flash"
  emu_start pty esp32 "$flash" --faults "drop=0.001,corrupt=0.001,seed=$seed" ||
    { fail "seed $seed: espemu"; continue; }
  t0=$(date +%s.%N)
  run timeout 120 "$ESPTOOL" -p "$EMU_PORT" -b 460800 write_flash "$ADDR" data.bin
  secs=$(echo "$(date +%s.%N) - $t0" | bc)
  emu_stop
  exact=no
  if emu_holds "$flash" "$ADDR" data.bin &&
     cmp -s <(head -c $((ADDR)) "$flash") <(head -c $((ADDR)) blank.bin) &&
     cmp -s <(tail -c +$((ADDR + 131072 + 1)) "$flash") <(tail -c +$((ADDR + 131072 + 1)) blank.bin)
  then
    exact=yes
  fi
  echo "seed $seed: exit $RC, flash exact: $exact, $secs s"
  if [ "$RC" = 0 ]; then
    check "seed $seed: success with exact flash" test "$exact" = yes
    check "seed $seed: verified" contains "$OUT" "Hash of data verified."
    [ "$exact" = yes ] && done_ok=$((done_ok + 1))
  else
    check "seed $seed: a failure says so ($ERR)" contains "$ERR" "A fatal error occurred: "
    check "seed $seed: no success claimed" bash -c '! grep -q "Hash of data verified" <<<"$1"' _ "$OUT"
  fi
done
echo "$done_ok of 10 runs completed with exact flash"
check "at least 9 of 10 runs complete ($done_ok)" test "$done_ok" -ge 9

# An erase the chip takes its time over (64 KiB in ROM mode: sixteen 45 ms
# sector erases before the ROM answers) on the same line: its timeout
# must cover that work, not only the wire (it once became 0.2 s, and every
# try timed out).
head -c 65536 /dev/urandom > used.bin
for seed in 1 2 3; do
  flash=$(emu_fresh_flash)
  cp blank.bin "$flash"
  dd if=used.bin of="$flash" bs=4096 seek=16 conv=notrunc status=none
  emu_start pty esp32 "$flash" --baud-limit 460800 --faults "drop=0.001,corrupt=0.001,seed=$seed" ||
    { fail "erase, seed $seed: espemu"; continue; }
  run timeout 120 "$ESPTOOL" -p "$EMU_PORT" -b 460800 --no-stub --no-backup erase_region 0x10000 0x10000
  emu_stop
  check "ROM erase_region on a noisy line, seed $seed: succeeds ($ERR)" test "$RC" = 0
  check "ROM erase_region on a noisy line, seed $seed: the flash is blank" cmp -s "$flash" blank.bin
done
finish
