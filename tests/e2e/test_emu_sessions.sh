# What a new connection finds: over pty/TCP a chip freshly in download mode
# (so the stub is uploaded again), with --keep-state the stub still running;
# over RFC 2217 the chip runs its app until the client's DTR/RTS reset puts
# it into download mode, and the hard reset afterwards boots the app.
# Counts stub starts and boots in the emulator log, so it does not depend
# on the client's wording.
set -u
source "$(dirname "$0")/lib_emu.sh"
emu_require
emu_require_esptool

fails=0
fail() {
    echo "FAIL: $*"
    emu_log_tail 20
    fails=$((fails + 1))
}
client() {
    timeout 60 "$ESPTOOL" "$@" >"$EMU_TMP/out.txt" 2>&1 || fail "esptool $* failed: $(tail -n 3 "$EMU_TMP/out.txt")"
}
count() { grep -c -- "$1" "$EMU_LOG"; }

# pty: each session starts from a fresh ROM
emu_start pty esp32 "$(emu_fresh_flash)" || exit 1
client --port "$EMU_PORT" --after no_reset_stub flash_id
client --port "$EMU_PORT" flash_id
emu_wait_log "session 2 ends" || fail "pty: second session not seen"
[ "$(count "flasher stub running")" = 2 ] || fail "pty: expected 2 stub starts, got $(count "flasher stub running")"
emu_stop

# pty: a long second session on the same emulator (a 1.7 MB write, then a
# 4 MB read in a new session) keeps its line to the end.  (Reported once
# as "the other end closed the connection" in the second session: that is
# what the client says when espemu goes away, e.g. killed by a time limit;
# espemu itself served the sessions fine.)
emu_start pty esp32 "$(emu_fresh_flash)" || exit 1
"$MPI_BUILD/fwgen" --chip esp32 -o "$EMU_TMP/fw.bin"
client --port "$EMU_PORT" write_flash 0x1000 "$EMU_TMP/fw.bin"
client --port "$EMU_PORT" read_flash 0 0x400000 "$EMU_TMP/back.bin"
cmp -s "$EMU_TMP/back.bin" "$EMU_FLASH" || fail "pty: the second session read other data"
client --port "$EMU_PORT" verify_flash 0x1000 "$EMU_TMP/fw.bin"
emu_wait_log "session 3 ends" || fail "pty: third session not seen"
kill -0 "$EMU_PID" || fail "pty: espemu died"
emu_stop

# tcp --keep-state: the stub left running is found again
emu_start tcp esp32c3 "$(emu_fresh_flash)" --keep-state || exit 1
client --port "$EMU_PORT" --after no_reset_stub flash_id
client --port "$EMU_PORT" flash_id
emu_wait_log "session 2 ends" || fail "keep-state: second session not seen"
[ "$(count "flasher stub running")" = 1 ] || fail "keep-state: expected 1 stub start, got $(count "flasher stub running")"
grep -q "session 2 begins (chip: stub)" "$EMU_LOG" || fail "keep-state: the stub was not kept"
emu_stop

# rfc2217: app at power-on, reset into download mode, hard reset into the app
emu_start rfc2217 esp32s3 "$(emu_fresh_flash)" || exit 1
client --port "$EMU_PORT" flash_id
emu_wait_log "session 1 ends" || fail "rfc2217: session not seen"
emu_wait_log "chip reset: booting the app" || true
grep -q "chip reset: download mode" "$EMU_LOG" || fail "rfc2217: no reset into download mode"
# power-on boot + the hard reset at the end
[ "$(count "chip reset: booting the app")" -ge 1 ] || fail "rfc2217: no app boot after the hard reset"
tail -n 5 "$EMU_LOG" | grep -q "booting the app" || fail "rfc2217: the chip did not end up running the app"
emu_stop

[ $fails = 0 ] && echo PASS || exit 1
