# Fault injection: esptool (our client) against espemu --faults.
# Every run must either complete with verified flash (the flash file holds
# exactly the data) or stop with a clear error (non-zero exit, an error
# line, no hang) -- never report success with wrong flash -- and a rerun
# against the same emulator (the faults used up) must complete.
set -u
source "$(dirname "$0")/lib_emu.sh"
emu_require
emu_require_esptool

fails=0
runs=0
fail() {
    echo "FAIL: $*"
    echo "--- esptool output:"
    tail -n 15 "$EMU_TMP/out.txt" 2>/dev/null
    echo "--- emulator log:"
    emu_log_tail 15
    fails=$((fails + 1))
}

FW="$EMU_TMP/fw.bin"
# 180 KB: half compressible text-like data, half random
{ for i in $(seq 2500); do echo "line $i of a firmware image that compresses well"; done
  head -c 60000 /dev/urandom; } | head -c 180000 >"$FW"
FW_SIZE=$(stat -c %s "$FW")
ADDR=0x10000

# esptool ARGS...: run with a time limit, output in out.txt
client() {
    timeout 90 "$ESPTOOL" "$@" >"$EMU_TMP/out.txt" 2>&1
}

flash_ok() {
    emu_region "$EMU_FLASH" "$ADDR" "$FW_SIZE" | cmp -s - "$FW"
}

# check_outcome NAME RC: the invariant for one faulty run
check_outcome() {
    local name=$1 rc=$2
    runs=$((runs + 1))
    if [ "$rc" = 124 ]; then
        fail "$name: the client hung (killed after 90 s)"
    elif [ "$rc" = 0 ]; then
        flash_ok || fail "$name: reported success but the flash differs"
    else
        grep -Eiq "error|fail" "$EMU_TMP/out.txt" || fail "$name: exit $rc without an error message"
    fi
}

# scenario NAME TRANSPORT CHIP FAULTS [esptool options...]: write, check, rerun
scenario() {
    local name=$1 transport=$2 chip=$3 faults=$4
    shift 4
    emu_start "$transport" "$chip" "$(emu_fresh_flash)" --faults "$faults" || { fail "$name: start"; return; }
    client --port "$EMU_PORT" "$@" write_flash "$ADDR" "$FW"
    local rc=$?
    check_outcome "$name" "$rc"
    echo "$name: first run exit $rc"
    # the fault did happen
    emu_wait_log "line faults so far|line stalls|disconnect after|injected flash write failure" \
        || fail "$name: no fault was injected"
    client --port "$EMU_PORT" "$@" write_flash "$ADDR" "$FW"
    rc=$?
    if [ "$rc" != 0 ] || ! flash_ok; then
        fail "$name: the rerun did not complete (exit $rc)"
    fi
    emu_stop
}

# Line faults while writing through the stub (compressed) and the ROM.
scenario drop-rx      tcp esp32   "drop=0.003,dir=rx,limit=1,seed=1"
scenario drop-tx      tcp esp32c3 "drop=0.003,dir=tx,limit=1,seed=2"
scenario corrupt-rx   tcp esp32s3 "corrupt=0.002,dir=rx,limit=1,seed=3"
scenario corrupt-both tcp esp32   "corrupt=0.001,limit=1,seed=4"
scenario drop-late    tcp esp32c6 "drop=0.00002,dir=rx,limit=1,seed=5"
scenario rom-corrupt  tcp esp32   "corrupt=0.0005,dir=rx,limit=1,seed=6" --no-stub
scenario stall        tcp esp32   "stall=1200@20000,stall=2500@90000"
scenario disconnect   tcp esp32c3 "disconnect=60000"
scenario disc-pty     pty esp32   "disconnect=30000"
scenario rfc-drop     rfc2217 esp32 "drop=0.002,dir=rx,limit=1,seed=7"
# A failing flash write: the stub reports it on the next command; the ROM
# at once (a client may retry that block).
scenario flashfail-stub tcp esp32s3 "flashfail=0x18000"
scenario flashfail-rom  tcp esp32c3 "flashfail=0x18000" --no-stub

# Reading under faults: success means the file holds the flash bytes.
emu_start tcp esp32 "$(emu_fresh_flash)" --faults "corrupt=0.0005,dir=tx,limit=1,seed=9" || exit 1
head -c $((0x40000)) /dev/urandom >"$EMU_TMP/seed.bin"
dd if="$EMU_TMP/seed.bin" of="$EMU_FLASH" conv=notrunc status=none
client --port "$EMU_PORT" read_flash 0 0x40000 "$EMU_TMP/read.bin"
rc=$?
runs=$((runs + 1))
if [ "$rc" = 0 ]; then
    cmp -s "$EMU_TMP/read.bin" "$EMU_TMP/seed.bin" || fail "read: reported success with wrong data"
elif [ "$rc" = 124 ]; then
    fail "read: the client hung"
else
    grep -Eiq "error|fail" "$EMU_TMP/out.txt" || fail "read: exit $rc without an error message"
fi
echo "read-corrupt: first run exit $rc"
client --port "$EMU_PORT" read_flash 0 0x40000 "$EMU_TMP/read.bin"
rc=$?
{ [ "$rc" = 0 ] && cmp -s "$EMU_TMP/read.bin" "$EMU_TMP/seed.bin"; } || fail "read: the rerun failed (exit $rc)"
emu_stop

echo "$runs faulty runs checked"
[ $fails = 0 ] && echo "PASS" || exit 1
