#!/usr/bin/env bash
# Loader throughput against espemu paced like a UART (--baud-limit):
# write a ~1.6 MB MicroPython-like firmware (stub, deflate) and read back
# 4 MB, at 921600 and 115200 baud.  Prints wall time against the wire limit
# = bytes on the wire x 10 / baud (8N1), where bytes on the wire are the
# SLIP-framed data frames we send (write) or receive (read).
#   bash bench/bench_loader.sh [BUILD_DIR] [BAUDS...]
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
shift || true
BAUDS=("${@:-921600 115200}")
[ $# -gt 0 ] && BAUDS=("$@") || BAUDS=(921600 115200)
W=$(mktemp -d /tmp/bench-loader-XXXXXX)
trap 'kill $EMU 2>/dev/null; rm -rf "$W"' EXIT
cd "$W"
"$BUILD/fwgen" --chip esp32 -o fw.bin
size=$(stat -c %s fw.bin)

# Bytes on the wire for a deflated write: the zlib stream in 16 KiB blocks,
# each a SLIP frame of 8 + 16 header bytes plus escapes of 0xC0/0xDB.
wire_write() {
  python3 - "$1" <<'PY' 2>/dev/null || awk -v n="$(stat -c %s "$1")" 'BEGIN{print int(n*1.01)}'
import sys, zlib
d = open(sys.argv[1], 'rb').read()
d += b'\xff' * (-len(d) % 4)
z = zlib.compress(d, 9)
tot = 0
for i in range(0, len(z), 0x4000):
    blk = z[i:i + 0x4000]
    tot += 2 + 24 + len(blk) + blk.count(b'\xc0') + blk.count(b'\xdb')
print(tot)
PY
}
# Reading erased flash: 4 KiB frames of 0xFF (no escapes) + 2 delimiters.
wire_read() { echo $(( $1 + $1 / 4096 * 2 + 18 )); }

printf '%-8s %-6s %10s %10s %9s %9s %6s\n' baud op bytes wire_bytes wall_s limit_s ratio
# A fresh emulator for every run (same flash file).
start_emu() {
  "$BUILD/espemu" --chip esp32 --flash flash.bin --flash-size 4MB --pty --baud-limit "$1" >emu.log 2>&1 &
  EMU=$!
  for _ in $(seq 50); do grep -q /dev/pts emu.log && break; sleep 0.1; done
  PTY=$(grep -oE '/dev/pts/[0-9]+' emu.log | head -1)
}
for baud in "${BAUDS[@]}"; do
  start_emu "$baud"
  # Connect/stub upload are not part of the figure: the tool reports the
  # write and read times itself.
  out=$("$BUILD/esptool" -p "$PTY" -b "$baud" write_flash 0x1000 fw.bin)
  secs=$(grep -oE 'in [0-9.]+ seconds' <<<"$out" | head -1 | awk '{print $2}')
  wb=$(wire_write fw.bin)
  lim=$(awk -v b="$wb" -v r="$baud" 'BEGIN{printf "%.2f", b*10/r}')
  printf '%-8s %-6s %10s %10s %9s %9s %6s\n' "$baud" write "$size" "$wb" "$secs" "$lim" \
    "$(awk -v s="$secs" -v l="$lim" 'BEGIN{printf "%.2f", s/l}')"
  kill $EMU; wait $EMU 2>/dev/null || true
  start_emu "$baud"
  out=$("$BUILD/esptool" -p "$PTY" -b "$baud" read_flash 0 0x400000 back.bin)
  secs=$(grep -oE 'in [0-9.]+ seconds' <<<"$out" | head -1 | awk '{print $2}')
  wb=$(wire_read $((0x400000)))
  lim=$(awk -v b="$wb" -v r="$baud" 'BEGIN{printf "%.2f", b*10/r}')
  printf '%-8s %-6s %10s %10s %9s %9s %6s\n' "$baud" read 4194304 "$wb" "$secs" "$lim" \
    "$(awk -v s="$secs" -v l="$lim" 'BEGIN{printf "%.2f", s/l}')"
  cmp -s <(tail -c +4097 back.bin | head -c "$size") fw.bin || echo "READ BACK DIFFERS at $baud"
  kill $EMU; wait $EMU 2>/dev/null || true
done
