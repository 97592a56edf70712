# espemu --baud-limit paces the line like a UART (10 bits per byte, both
# directions): 60 SYNCs back to back make 2760 bytes in and 60 x 8 replies
# = 6720 bytes out, which at 115200 baud take 0.58 s on the wire (the two
# directions overlap).  Without the limit the same exchange is near instant.
set -u
source "$(dirname "$0")/lib_emu.sh"
emu_require

SYNC='\xc0\x00\x08\x24\x00\x00\x00\x00\x00\x07\x07\x12\x20'
for _ in $(seq 32); do SYNC+='\x55'; done
SYNC+='\xc0'
N=60
OUT=$((N * 8 * 14))

# exchange: prints the milliseconds from the first byte sent to the last
# byte received
exchange() {
    local port=${EMU_PORT##*:} t0 t1
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    t0=$(date +%s%N)
    { for _ in $(seq $N); do printf "$SYNC"; done; } >&3 &
    timeout 10 head -c "$OUT" <&3 >"$EMU_TMP/out.bin"
    t1=$(date +%s%N)
    wait
    exec 3>&-
    [ "$(stat -c %s "$EMU_TMP/out.bin")" = "$OUT" ] || { echo "FAIL: short reply"; exit 1; }
    echo $(((t1 - t0) / 1000000))
}

emu_start tcp esp32 "$(emu_fresh_flash)" --baud-limit 115200 || exit 1
ms=$(exchange)
emu_stop
wire=$((OUT * 10 * 1000 / 115200))
echo "paced at 115200: ${ms} ms for $OUT bytes out (wire time ${wire} ms)"
if [ "$ms" -lt $((wire * 95 / 100)) ] || [ "$ms" -gt $((wire * 130 / 100 + 40)) ]; then
    echo "FAIL: ${ms} ms is not close to the wire time ${wire} ms"
    exit 1
fi

emu_start tcp esp32 "$(emu_fresh_flash)" || exit 1
fast=$(exchange)
emu_stop
echo "unpaced: ${fast} ms"
if [ "$fast" -gt $((wire / 2)) ]; then
    echo "FAIL: without --baud-limit the exchange took ${fast} ms"
    exit 1
fi
echo PASS
