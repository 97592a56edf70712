# Nothing lost, nothing silent (issue 13), for esptool: merge_bin -o and
# read_flash FILE onto a FIFO, a device or a symbolic link write through it
# and never replace it; input files are bounded (image_info /dev/zero,
# write_flash from /dev/zero, a 2 GB sparse file); a serial port that
# another program holds is refused, naming that program; espemu's
# --pty-link replaces an older link only.
source "$MPI_SOURCE/tests/e2e/lib.sh"
source "$MPI_SOURCE/tests/e2e/lib_emu.sh"
trap 'emu_cleanup; rm -rf "$WORK"' EXIT
emu_require
emu_require_esptool

"$FWGEN" --chip esp32 -o fw.bin
size=$(stat -c %s fw.bin)
temporaries() { find . -name '*.tmp*' | sort; }
# A FIFO's reader, with a writer of our own so that it cannot wait for ever
# should the tool never open the FIFO: fifo_begin NAME OUT ... fifo_end.
fifo_begin() { mkfifo "$1"; cat "$1" > "$2" & FIFO_READER=$!; exec 3>"$1"; }
fifo_end() { exec 3>&-; wait "$FIFO_READER"; }

# ---- merge_bin -o ----
"$ESPTOOL" --chip esp32 merge_bin -o ref.bin 0x1000 fw.bin >/dev/null
ln -s merged.bin merge-link.bin
run "$ESPTOOL" --chip esp32 merge_bin -o merge-link.bin 0x1000 fw.bin
check "merge_bin -o LINK: succeeds ($ERR)" test $RC -eq 0
check "merge_bin -o LINK: still a link" test -L merge-link.bin
check "merge_bin -o LINK: the target holds the output" cmp -s merged.bin ref.bin
fifo_begin merge.fifo from-merge-fifo.bin
run "$ESPTOOL" --chip esp32 merge_bin -o merge.fifo 0x1000 fw.bin
fifo_end
check "merge_bin -o FIFO: succeeds ($ERR)" test $RC -eq 0
check "merge_bin -o FIFO: still a FIFO" test -p merge.fifo
check "merge_bin -o FIFO: the reader got the output" cmp -s from-merge-fifo.bin ref.bin
ln -s /dev/full merge-full
run "$ESPTOOL" --chip esp32 merge_bin -o merge-full 0x1000 fw.bin
check "merge_bin -o /dev/full: fails" test $RC -ne 0
check "merge_bin -o /dev/full: says why ($ERR)" contains "$ERR" "merge-full: short write"
check "merge_bin -o /dev/full: the link stays" test "$(readlink merge-full)" = /dev/full
check "merge_bin: no temporaries ($(temporaries))" test -z "$(temporaries)"

# ---- bounded inputs (a timeout in case they are not) ----
run timeout 60 "$ESPTOOL" image_info /dev/zero
check "image_info /dev/zero: refused ($ERR)" contains "$ERR" "/dev/zero: too large (more than 128 MB"
run timeout 60 "$ESPTOOL" --port /dev/null write_flash 0x0 /dev/zero
check "write_flash /dev/zero: refused ($ERR)" contains "$ERR" "/dev/zero: too large (more than 128 MB"
truncate -s 2G sparse.bin
run timeout 60 "$ESPTOOL" image_info sparse.bin
check "image_info 2 GB: refused unread ($ERR)" contains "$ERR" "sparse.bin: too large (2147483648 bytes"
run timeout 60 "$ESPTOOL" --chip esp32 merge_bin -o never.bin 0x0 sparse.bin
check "merge_bin 2 GB input: refused ($ERR)" contains "$ERR" "sparse.bin: too large"
rm -f sparse.bin
run "$ESPTOOL" --chip esp32 merge_bin -o never.bin --pad-to-size 0x10000000 0x1000 fw.bin
check "merge_bin past 128 MB: refused ($ERR)" contains "$ERR" "larger than the largest flash"
check "merge_bin past 128 MB: nothing written" test ! -e never.bin

# ---- read_flash FILE ----
emu_start pty esp32 "$(emu_fresh_flash)" || fail "espemu"
run "$ESPTOOL" -p "$EMU_PORT" write_flash 0x1000 fw.bin
check "write_flash ($ERR)" test $RC -eq 0
ln -s back.bin read-link.bin
run "$ESPTOOL" -p "$EMU_PORT" read_flash 0x1000 "$size" read-link.bin
check "read_flash LINK: succeeds ($ERR)" test $RC -eq 0
check "read_flash LINK: still a link" test -L read-link.bin
check "read_flash LINK: the target holds the flash" cmp -s back.bin fw.bin
fifo_begin read.fifo from-read-fifo.bin
run "$ESPTOOL" -p "$EMU_PORT" read_flash 0x1000 "$size" read.fifo
fifo_end
check "read_flash FIFO: succeeds ($ERR)" test $RC -eq 0
check "read_flash FIFO: still a FIFO" test -p read.fifo
check "read_flash FIFO: the reader got the flash" cmp -s from-read-fifo.bin fw.bin
ln -s /dev/full read-full
run "$ESPTOOL" -p "$EMU_PORT" read_flash 0x1000 4096 read-full
check "read_flash /dev/full: fails" test $RC -ne 0
check "read_flash /dev/full: says why ($ERR)" contains "$ERR" "read-full: short write"
check "read_flash /dev/full: the link stays" test "$(readlink read-full)" = /dev/full

# ---- a port another program holds ----
# flock -F: the holder is one process (no child keeps the lock after it)
if flock --help 2>&1 | grep -q -- --no-fork; then
  flock -F -x "$EMU_PORT" sleep 60 &
  holder=$!
  for _ in $(seq 100); do flock -n "$EMU_PORT" true || break; sleep 0.05; done
  run "$ESPTOOL" -p "$EMU_PORT" read_mac
  check "busy port: esptool fails" test $RC -ne 0
  check "busy port: esptool names the holder ($ERR)" \
    contains "$ERR" "$EMU_PORT: port is busy, held by PID $holder (sleep)"
  run "$MPI" "$EMU_PORT"
  check "busy port: mp-image-tool-esp32 exit 1" test $RC -eq 1
  check "busy port: one line" test "$(wc -l <<<"$ERR")" -eq 1
  check "busy port: mp-image-tool-esp32 names the holder ($ERR)" \
    contains "$ERR" "port is busy, held by PID $holder (sleep)"
  kill "$holder"
  wait "$holder" 2>/dev/null
  run "$ESPTOOL" -p "$EMU_PORT" read_mac
  check "port free again ($ERR)" test $RC -eq 0
fi
emu_stop

# ---- espemu --pty-link: replaces an older link, nothing else ----
printf 'mine' > taken
run timeout 10 "$EMU_BIN" --chip esp32 --flash "$(emu_fresh_flash)" --pty --pty-link taken
check "--pty-link onto a file: refused ($ERR)" contains "$ERR" "taken exists and is not a symbolic link"
check "--pty-link onto a file: the file stays" test "$(cat taken)" = mine
ln -s nowhere old-link
emu_start pty esp32 "$(emu_fresh_flash)" --pty-link old-link || fail "espemu --pty-link"
check "--pty-link: an old link is replaced" test "$(readlink old-link)" = "$EMU_PORT"
emu_stop
check "--pty-link: removed at the end" test ! -L old-link

finish
