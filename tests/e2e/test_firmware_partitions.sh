#!/usr/bin/env bash
# --read, --write, --erase, --trim(blocks), -x and --check-app on files.
. "$(dirname "$0")/lib.sh"

"$FWGEN" --chip esp32 --table v1.25 -o fw.bin
"$FWGEN" --chip esp32 --app-only -o want.app-bin
orig=$(sha fw.bin)

# -x writes exactly the app image (its real length, not trailing 0xFF).
run "$MPI" fw.bin -x
check "-x ok" test $RC -eq 0
check "-x name" test -f fw.app-bin
check "-x content" cmp -s fw.app-bin want.app-bin
run "$MPI" fw.bin -x -o other.app-bin
check "-x -o" cmp -s other.app-bin want.app-bin

# --read of the pseudo partitions and of real ones.
run "$MPI" fw.bin --read bootloader=boot.bin,partition_table=pt.bin,factory=factory.bin
check "--read ok" test $RC -eq 0
check "bootloader is 0x7000 bytes" test "$(stat -c %s boot.bin)" -eq $((0x7000))
check "partition_table is 0x1000 bytes" test "$(stat -c %s pt.bin)" -eq 4096
check "factory is 0x1f0000 bytes" test "$(stat -c %s factory.bin)" -eq $((0x1f0000))
check "factory starts with the app" cmp -s <(head -c "$(stat -c %s want.app-bin)" factory.bin) want.app-bin
run "$MPI" fw.bin --read factory=f16.bin --trim
check "--trim cuts at 16 bytes" test "$(stat -c %s f16.bin)" -eq $(( ($(stat -c %s want.app-bin) + 15) / 16 * 16 ))
run "$MPI" fw.bin --read factory=f4k.bin --trimblocks
check "--trimblocks cuts at 4 KiB" test "$(stat -c %s f4k.bin)" -eq $(( ($(stat -c %s want.app-bin) + 4095) / 4096 * 4096 ))
run "$MPI" fw.bin --read nvs=nvs.bin --trimblocks
check "erased partition trims to nothing" test "$(stat -c %s nvs.bin)" -eq 0
check "--read writes no firmware" test ! -e fw-read.bin -a "$(ls *.bin | wc -l)" -eq 7

# --write / --read round trip; only those bytes change.
printf 'hello' > five.bin
run "$MPI" fw.bin --write phy_init=five.bin
out=fw-write=phy_init=five.bin.bin
check "--write ok" test $RC -eq 0
check "--write output name" test -f "$out"
check "--write changed 5 bytes" test "$(diff_offsets fw.bin "$out" | wc -l)" -eq 5
check "--write at phy_init (file 0xe000)" test "$(bytes "$out" $((0xe000)) 5)" = 68656c6c6f
# Write into the bootloader: the same bootloader is accepted, an app is not.
run "$MPI" fw.bin --write bootloader=boot.bin -o same.bin
check "rewrite bootloader identical" test "$(sha same.bin)" = "$orig"
run "$MPI" fw.bin --write bootloader=want.app-bin -o bad.bin
check "app as bootloader refused" test $RC -eq 1
check "refusal wrote nothing" test ! -e bad.bin
# An app for another chip, a whole firmware, or an oversize file into factory.
"$FWGEN" --chip esp32c3 --app-only -o c3.app-bin
run "$MPI" fw.bin --write factory=c3.app-bin -o bad.bin
check "other chip's app refused" test $RC -eq 1
check "message names the chips" contains "$ERR" "esp32c3"
run "$MPI" fw.bin --write factory=fw.bin -o bad.bin
check "firmware as app refused" test $RC -eq 1
head -c $((0x2000)) /dev/zero > big.bin
run "$MPI" fw.bin --write phy_init=big.bin -o bad.bin
check "oversize write refused" test $RC -eq 1
check "no output after refusals" test ! -e bad.bin
# A new app into factory.
"$FWGEN" --chip esp32 --app-only --seed 7 --app-size 0x100000 -o small.app-bin
run "$MPI" fw.bin --write factory=small.app-bin -o newapp.bin
check "new app written" test $RC -eq 0
run "$MPI" newapp.bin -x -o got.app-bin
check "new app extracted back" cmp -s got.app-bin small.app-bin
# partition_table takes a valid table only.
run "$MPI" fw.bin --write partition_table=five.bin -o bad.bin
check "garbage table refused" test $RC -eq 1
run "$MPI" fw.bin --write partition_table=pt.bin -o samept.bin
check "same table accepted" test "$(sha samept.bin)" = "$orig"

# --erase fills with 0xFF; erasing the partition at the end of the file
# shortens the file instead.
run "$MPI" fw.bin --erase phy_init -o erased.bin
check "--erase ok" test $RC -eq 0
run "$MPI" newapp.bin --erase factory -o noapp.bin
check "erase the last partition truncates" test "$(stat -c %s noapp.bin)" -le $((0x10000 - 0x1000))
run "$MPI" noapp.bin
check "no app: no fill line" bash -c '! grep -q fills <<<"$0"' "$OUT"

# --check-app: good images pass, a flipped byte in the app fails with a
# message naming the partition, exit 1.
run "$MPI" fw.bin --check-app
check "--check-app ok" test $RC -eq 0
check "--check-app bootloader" contains "$OUT" "Partition 'bootloader': Bootloader image signature found."
check "--check-app factory" contains "$OUT" "Partition 'factory': App image signature found."
cp fw.bin corrupt.bin
printf '\x55' | dd of=corrupt.bin bs=1 seek=$((0xf000 + 0x5000)) conv=notrunc status=none
run "$MPI" corrupt.bin --check-app
check "corrupt app detected" test $RC -eq 1
check "corrupt app message" contains "$OUT" "Partition 'factory': checksum mismatch"

# OTA tables: --check-app reports the boot partition.
run "$MPI" fw.bin -f 8M --table ota -a 0x1f0B -o ota.bin
run "$MPI" ota.bin --check-app
check "ota check-app ok" test $RC -eq 0
check "blank otadata boots ota_0" contains "$OUT" "Current OTA boot partition: ota_0"
# --ota-update on a file: app to the next slot, otadata selects it (IDF rules:
# seq 2 -> ota_1, state NEW; then seq 3 -> ota_0 with --no-rollback = UNDEFINED).
run "$MPI" ota.bin --ota-update want.app-bin -o ota2.bin
check "ota update ok" test $RC -eq 0
check "ota update went to ota_1" contains "$OUT" "OTA update written to 'ota_1'"
# otadata at flash 0xe000 = file 0xd000.  No valid entry yet, so sector 0
# gets seq = slot + 1 = 2, state NEW (0), crc32(seq, ~0) = 0x55F63774.
check "otadata entry seq 2, state NEW, crc" test "$(bytes ota2.bin $((0xd000)) 32)" = "02000000$(printf 'ff%.0s' $(seq 20))000000007437f655"
run "$MPI" ota2.bin --check-app
check "ota_1 boots now" contains "$OUT" "Current OTA boot partition: ota_1"
run "$MPI" ota2.bin --ota-update c3.app-bin -o bad.bin
check "ota update with the wrong chip refused" test $RC -eq 1
check "refused ota wrote nothing" test ! -e bad.bin
run "$MPI" ota2.bin --ota-update want.app-bin --no-rollback -o ota3.bin
check "second update to ota_0" contains "$OUT" "OTA update written to 'ota_0'"
check "seq 3 UNDEFINED in sector 1" test "$(bytes ota3.bin $((0xe000)) 32)" = "03000000$(printf 'ff%.0s' $(seq 20))ffffffff11504aed"
check "input never modified" test "$(sha fw.bin)" = "$orig"

finish
