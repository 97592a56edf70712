#!/usr/bin/env bash
# Flash size and partition table rewrites on firmware files: which bytes
# change, output naming, refusals that write nothing.
. "$(dirname "$0")/lib.sh"

"$FWGEN" --chip esp32 --table v1.25 -o fw.bin
orig=$(sha fw.bin)

# -f 8M: header byte 3 (flash 0x1003 = file 0x3) and the bootloader's
# appended SHA-256 change, nothing else.
run "$MPI" fw.bin -f 8M
check "-f 8M ok" test $RC -eq 0
check "-f 8M output name" test -f fw-8MB.bin
check "-f 8M header byte" test "$(bytes fw-8MB.bin 3 1)" = 30
n_diff=$(diff_offsets fw.bin fw-8MB.bin | wc -l)
first_sha_diff=$(diff_offsets fw.bin fw-8MB.bin | sed -n 2p)
check "-f 8M: at most 33 bytes differ" test "$n_diff" -le 33 -a "$n_diff" -ge 2
run "$MPI" fw-8MB.bin --check-app
check "-f 8M: bootloader SHA recomputed" test $RC -eq 0
check "-f 8M: new flash size shown" contains "$OUT" "Found esp32 firmware file (8MB flash)."
# And back: 8M then 4M reproduces the input exactly.
run "$MPI" fw-8MB.bin -f 4M -o back.bin
check "-f 4M back reproduces input" test "$(sha back.bin)" = "$orig"

# Non powers of two and sizes the table does not fit are refused, and
# nothing is written.
for bad in 6M 3M 256M 0; do
  run "$MPI" fw.bin -f $bad
  check "-f $bad refused" test $RC -eq 1
  check "-f $bad one-line error" test "$(wc -l <<<"$ERR")" -eq 1
done
run "$MPI" fw.bin -f 2M
check "-f 2M (table ends at 4M) refused" test $RC -eq 1
check "-f 2M error names vfs" contains "$ERR" "vfs"
check "no output after refusals" test ! -e fw-6MB.bin -a ! -e fw-2MB.bin

# --table original on the stock layout reproduces the input byte for byte;
# --delete phy_init --resize nvs=0 equals --table default byte for byte.
run "$MPI" fw.bin --table original
check "--table original identical" test "$(sha fw-ORIGINAL.bin)" = "$orig"
run "$MPI" fw.bin --table default
run "$MPI" fw.bin --delete phy_init --resize nvs=0
check "delete+resize = default" test "$(sha fw-DEFAULT.bin)" = "$(sha fw-delete=phy_init-resize=nvs.bin)"

# --table ota: the generated app (like the real 1.67 MB ESP32 app) does not
# fit 0x180000 slots: refused, with the hint; -a 0x1f0B works (reference §5.1).
run "$MPI" fw.bin --table ota
check "--table ota refused (app too big)" test $RC -eq 1
check "--table ota hint" contains "$ERR" "--app-size"
check "--table ota wrote nothing" test ! -e fw-OTA.bin
run "$MPI" fw.bin -f 8M --table ota -a 0x1f0B
check "-f 8M --table ota -a ok" test $RC -eq 0
out=fw-8MB-OTA-appsize=496B.bin
check "ota output name" test -f $out
run "$MPI" $out
check "ota_1 row" contains "$OUT" "  ota_1            app      ota_1      0x200000   0x1f0000   0x3f0000   0x0   (1.9 MB)"
check "otadata row" contains "$OUT" "  otadata          data     ota          0xe000     0x2000    0x10000   0x0   (8.0 kB)"
check "vfs fills 8MB" contains "$OUT" "  vfs              data     fat        0x3f0000   0x410000   0x800000   0x0   (4.1 MB)"
# The table sector holds entries, the MD5 row, then 0xFF.
check "md5 row" test "$(bytes $out $((0x7000 + 5 * 32)) 2)" = ebeb
check "end row" test "$(bytes $out $((0x7000 + 6 * 32)) 32)" = "$(printf 'ff%.0s' $(seq 32))"
# otadata erased (file offset 0xe000-0x1000 = 0xd000).
check "otadata erased" test "$(bytes $out $((0xd000)) 32)" = "$(printf 'ff%.0s' $(seq 32))"

# A layout: packed with app offsets aligned (reference §5.2).
run "$MPI" fw.bin --table nvs=7B,factory=2M,vfs=1M,vfs2=fat:0
check "layout ok" test $RC -eq 0
check "layout vfs2" contains "$OUT" "  vfs2             data     fat        0x310000    0xf0000   0x400000   0x0   (0.9 MB)"
check "layout name" test -f fw-TABLE.bin

# --resize vfs=1M --add data=fat:50B (reference tests).
run "$MPI" fw.bin --resize vfs=1M --add data=fat:50B
check "resize+add" contains "$OUT" "  data             data     fat        0x300000    0x32000   0x332000   0x0 (200.0 kB)"
check "resize+add name" test -f fw-resize=vfs=1048576-add=data=fat=204800.bin

# --add that overlaps the app is refused (the Python tool wrote it and then
# erased 16 KiB of the app: its bug 3).
run "$MPI" fw.bin --add x=fat:0x100000:0x10000
check "overlapping --add refused" test $RC -eq 1
check "overlap message" contains "$ERR" "overlap"
check "overlapping --add wrote nothing" test -z "$(ls | grep add=x)"
# --add NAME:OFFSET:SIZE (a number in the middle is an offset, not a subtype).
run "$MPI" fw.bin --delete vfs --add vfs:0x300000:1M
check "--add name:offset:size" contains "$OUT" "  vfs              data     fat        0x300000   0x100000   0x400000   0x0   (1.0 MB)"

# Shrinking the app partition below the app is refused (bug 6).
run "$MPI" fw.bin -a 0x100000
check "-a below the app refused" test $RC -eq 1
check "-a message names factory" contains "$ERR" "factory"

# Names: 16 characters are allowed, 17 are not; duplicates refused.
run "$MPI" fw.bin --rename vfs=abcdefghijklmnop
check "16-char name ok" test $RC -eq 0
run "$MPI" fw.bin --rename vfs=abcdefghijklmnopq
check "17-char name refused" test $RC -eq 1
run "$MPI" fw.bin --rename vfs=nvs
check "duplicate name refused" test $RC -eq 1

# --rename keeps the filesystem (bug 2): put data into vfs, rename, compare.
head -c 20000 /dev/urandom > fsdata.bin
"$MPI" -q fw.bin --write vfs=fsdata.bin -o withfs.bin
run "$MPI" withfs.bin --rename vfs=ffat -o renamed.bin
check "rename ok" test $RC -eq 0
"$MPI" -q renamed.bin --read ffat=ffat.bin
check "renamed partition keeps its data" cmp -s <(head -c 20000 ffat.bin) fsdata.bin
check "rename changes only the table sector" test "$(diff_offsets withfs.bin renamed.bin | awk '$1 <= 28672 || $1 > 32768' | wc -l)" -eq 0

# Growing the implicit vfs with -f keeps it, with a warning.
"$FWGEN" --chip esp32 --table v1.26 -o new.bin
"$MPI" -q new.bin --write vfs=fsdata.bin -o newfs.bin
run "$MPI" newfs.bin -f 8M -o new8.bin
check "grown vfs warning" contains "$OUT" "has increased in size"
"$MPI" -q new8.bin --read vfs=v.bin
check "grown vfs kept" cmp -s <(head -c 20000 v.bin) fsdata.bin

# -o with no change writes an identical copy.
run "$MPI" fw.bin -o copy.bin
check "-o copy identical" test "$(sha copy.bin)" = "$orig"
check "input untouched at the end" test "$(sha fw.bin)" = "$orig"

# --from-csv with real ESP-IDF CSVs (fixtures from ../shared).
if [ -n "$SHARED" ] && [ -d "$SHARED/fixtures/partitions" ]; then
  P=$SHARED/fixtures/partitions
  run "$MPI" fw.bin --from-csv $P/micropython/v1.25.0_partitions-4MiB.csv
  check "--from-csv ok" test $RC -eq 0
  check "--from-csv identical table" test "$(sha fw-CSV.bin)" = "$orig"
  run "$MPI" fw.bin -f 8M --from-csv $P/micropython/partitions-8MiBplus-ota.csv
  check "--from-csv 8MiB ota ok" test $RC -eq 0
  check "--from-csv implicit vfs" contains "$OUT" "0x4f0000   0x310000   0x800000   0x0   (3.1 MB)  implicit"
  run "$MPI" fw.bin --from-csv $P/micropython/partitions-4MiB-ota.csv
  check "--from-csv 4MiB ota refused: app too big" test $RC -eq 1
  check "--from-csv refusal names ota_0" contains "$ERR" "ota_0"
  run "$MPI" fw.bin --from-csv $P/malformed/overlap.csv
  check "malformed csv refused" test $RC -eq 1
  check "malformed csv error names file" contains "$ERR" "overlap.csv"
  check "malformed csv wrote nothing" test ! -e fw-CSV-x.bin
else
  echo "SKIP: ../shared/fixtures/partitions not found; --from-csv checks skipped"
fi

finish
