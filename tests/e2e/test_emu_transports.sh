# espemu's transports with nothing but bash: a SYNC over the pty, over raw
# TCP, over its own RFC 2217 server (after a classic DTR/RTS reset into
# download mode) and over Debian's ser2net in front of the pty.  Checks the
# eight SYNC replies byte for byte.
set -u
source "$(dirname "$0")/lib_emu.sh"
emu_require

fails=0
fail() {
    echo "FAIL: $*"
    emu_log_tail
    fails=$((fails + 1))
}

SYNC='\xc0\x00\x08\x24\x00\x00\x00\x00\x00\x07\x07\x12\x20'
for _ in $(seq 32); do SYNC+='\x55'; done
SYNC+='\xc0'
# ESP32 ROM reply: 01 08 size=4 value=0x20120707 status 00 00 00 00
REPLY=c0010804000707122000000000c0

hexdump_of() { od -An -tx1 -v "$1" | tr -d ' \n'; }

count_replies() { grep -o "$REPLY" <<<"$(hexdump_of "$1")" | wc -l; }

# eight replies per SYNC answered, at least one SYNC answered
replies_ok() {
    local n
    n=$(count_replies "$1")
    [ "$n" -ge 8 ] && [ $((n % 8)) = 0 ]
}

# send_syncs: a SYNC now and, like a real client, again if the first was
# not answered in time (a slow machine), 3 at most
send_syncs() {
    local i
    for i in 1 2 3; do
        printf "$SYNC"
        sleep 0.4
    done
}

# telnet: IAC WILL/DO BINARY, IAC WILL COM-PORT-OPTION
TN_HELLO='\xff\xfb\x00\xff\xfd\x00\xff\xfb\x2c'
tn_control() { printf "\xff\xfa\x2c\x05\\x$1\xff\xf0"; }   # SET-CONTROL value (hex)

# --- pty ---
emu_start pty esp32 "$(emu_fresh_flash)" || exit 1
case $EMU_PORT in /dev/pts/*) ;; *) fail "pty: EMU_PORT=$EMU_PORT" ;; esac
exec 3<>"$EMU_PORT"
printf "$SYNC" >&3
timeout 1 cat <&3 >"$EMU_TMP/pty.out"
exec 3>&-
[ "$(count_replies "$EMU_TMP/pty.out")" = 8 ] || fail "pty: expected 8 SYNC replies, got $(hexdump_of "$EMU_TMP/pty.out")"
# a second session on the same pty works too (the emulator noticed the close)
sleep 0.1
exec 3<>"$EMU_PORT"
timeout 1.5 cat <&3 >"$EMU_TMP/pty2.out" &
reader=$!
send_syncs >&3
wait $reader
exec 3>&-
replies_ok "$EMU_TMP/pty2.out" || fail "pty: second session got $(hexdump_of "$EMU_TMP/pty2.out")"
grep -q "session 2 begins" "$EMU_LOG" || fail "pty: second session not seen"
emu_stop

# --- tcp ---
emu_start tcp esp32 "$(emu_fresh_flash)" || exit 1
case $EMU_PORT in socket://127.0.0.1:*) ;; *) fail "tcp: EMU_PORT=$EMU_PORT" ;; esac
port=${EMU_PORT##*:}
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf "$SYNC" >&3
timeout 1 cat <&3 >"$EMU_TMP/tcp.out"
exec 3>&-
[ "$(count_replies "$EMU_TMP/tcp.out")" = 8 ] || fail "tcp: got $(hexdump_of "$EMU_TMP/tcp.out")"
emu_stop

# --- rfc2217 (espemu's own server, reset circuit) ---
emu_start rfc2217 esp32 "$(emu_fresh_flash)" || exit 1
case $EMU_PORT in rfc2217://127.0.0.1:*) ;; *) fail "rfc2217: EMU_PORT=$EMU_PORT" ;; esac
port=${EMU_PORT##*:}
exec 3<>"/dev/tcp/127.0.0.1/$port"
timeout 1 cat <&3 >"$EMU_TMP/rfc-app.out" &
reader=$!
{
    printf "$TN_HELLO"
    printf "$SYNC"                  # the app is running: no answer
    sleep 0.3
} >&3
wait $reader
[ "$(count_replies "$EMU_TMP/rfc-app.out")" = 0 ] || fail "rfc2217: the app answered SYNC"
timeout 1.5 cat <&3 >"$EMU_TMP/rfc.out" &
reader=$!
{
    # classic reset: DTR off + RTS on (EN low), 100 ms, DTR on, RTS off,
    # 50 ms, DTR off
    tn_control 09; tn_control 0b; sleep 0.1
    tn_control 08; tn_control 0c; sleep 0.05
    tn_control 09; sleep 0.1
    printf "$SYNC"
} >&3
wait $reader
exec 3>&-
grep -aq "waiting for download" "$EMU_TMP/rfc.out" || fail "rfc2217: no download-mode banner after the reset"
[ "$(count_replies "$EMU_TMP/rfc.out")" = 8 ] || fail "rfc2217: got $(hexdump_of "$EMU_TMP/rfc.out")"
# the server answered SET-CONTROL (105) with the value set
grep -q "fffa2c6909fff0" <<<"$(hexdump_of "$EMU_TMP/rfc.out")" || fail "rfc2217: no SET-CONTROL acknowledgement"
emu_stop

# --- ser2net (RFC 2217) in front of the pty ---
if command -v ser2net >/dev/null; then
    emu_start ser2net esp32 "$(emu_fresh_flash)" || exit 1
    port=${EMU_PORT##*:}
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    timeout 2 cat <&3 >"$EMU_TMP/s2n.out" &
    reader=$!
    { printf "$TN_HELLO"; sleep 0.3; send_syncs; } >&3
    wait $reader
    exec 3>&-
    replies_ok "$EMU_TMP/s2n.out" || fail "ser2net: got $(hexdump_of "$EMU_TMP/s2n.out")"
    emu_stop
else
    echo "note: ser2net not installed, that part skipped"
fi

[ $fails = 0 ] && echo "PASS" || exit 1
