#!/usr/bin/env bash
# Bad input: one-line error naming the file and what is wrong, exit 1, no
# output file, no crash (the ASan build turns a crash into a failure).
. "$(dirname "$0")/lib.sh"

"$FWGEN" --chip esp32 --table v1.25 -o fw.bin
# Each context once: not "partition table at 0x8000: partition table at 0x8000: ...".
no_context_twice() { ! awk -F': ' '{ for (i = 1; i < NF; i++) if (seen[$i]++) exit 0; exit 1 }' <<<"$1"; }
expect_error() {  # NAME FILE [ARGS...] -- the run must fail cleanly
  local name=$1 file=$2; shift 2
  run "$MPI" "$file" "$@"
  check "$name: exit 1" test $RC -eq 1
  check "$name: one line on stderr" test "$(wc -l <<<"$ERR")" -eq 1
  check "$name: error names the file" contains "$ERR" "$file"
  check "$name: no context twice ($ERR)" no_context_twice "$ERR"
  check "$name: nothing written" test -z "$(ls | grep -v -e '^in-' -e '^fw.bin$')"
}

: > in-empty.bin
expect_error "empty" in-empty.bin -f 8M
head -c 10 fw.bin > in-short.bin
expect_error "10 bytes" in-short.bin -f 8M
head -c 20000 fw.bin > in-trunc.bin
expect_error "truncated before the table" in-trunc.bin -f 8M
head -c $((0x7000 + 40)) fw.bin > in-halftable.bin
expect_error "table cut" in-halftable.bin
printf 'not a firmware image at all' > in-text.bin
expect_error "wrong magic" in-text.bin
cp fw.bin in-md5.bin
printf '\x00' | dd of=in-md5.bin bs=1 seek=$((0x7000 + 4 * 32 + 20)) conv=notrunc status=none
expect_error "bad MD5" in-md5.bin
check "bad MD5 message" contains "$ERR" "MD5"
cp fw.bin in-nomagic.bin
printf '\x00' | dd of=in-nomagic.bin bs=1 seek=$((0x7000)) conv=notrunc status=none
expect_error "no table" in-nomagic.bin
cp fw.bin in-chip.bin
printf '\x42' | dd of=in-chip.bin bs=1 seek=12 conv=notrunc status=none
expect_error "unknown chip" in-chip.bin
check "unknown chip message" contains "$ERR" "chip"
run "$MPI" does-not-exist.bin
check "missing file exit 1" test $RC -eq 1
check "missing file message" contains "$ERR" "does-not-exist.bin"
if [ -n "$SHARED" ] && [ -f "$SHARED/fixtures/partitions/malformed/bad_number.csv" ]; then
  cp "$SHARED/fixtures/partitions/malformed/bad_number.csv" in-bad.csv
  run "$MPI" fw.bin --from-csv in-bad.csv
  check "bad csv exit 1" test $RC -eq 1
  check "bad csv names file" contains "$ERR" "in-bad.csv"
  check "bad csv nothing written" test ! -e fw-CSV.bin
fi
# Option errors: exit 2 with usage, like argparse.
run "$MPI" fw.bin --frobnicate
check "unknown option exit 2" test $RC -eq 2
run "$MPI" fw.bin --resize vfs=lots
check "bad size exit 1" test $RC -eq 1
check "bad size message" contains "$ERR" "lots"
# --fs swallowing the filename (the Python tool's issue #6) works here.
run "$MPI" -q --read nvs=n.bin fw.bin
check "filename after options" test $RC -eq 0
"$MPI" -q fw.bin --fs mkfs -o in-fsfw.bin
run "$MPI" -q --fs ls in-fsfw.bin
check "--fs ls FILE: the filename is found" test $RC -eq 0
check "--fs ls FILE lists" contains "$OUT" "boot.py"
rm -f n.bin

finish
