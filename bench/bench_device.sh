#!/usr/bin/env bash
# Device work at the speed of what changed, against espemu paced like a
# UART at 921600 baud with the flash's own timing (espemu --baud-limit),
# 4 MB flash, a 1.7 MB MicroPython-like firmware.  Each figure is wall time
# of the whole command (connect included) and its ratio to the full write
# (or the full read) measured in the same run:
#   full write            esptool --no-diff --no-backup write_flash (the reference)
#   same firmware         esptool write_flash (asks the chip, sends nothing)
#   one changed sector    esptool write_flash, no old file
#   full / sparse read    read_flash 0 ALL of a half-erased flash, --no-diff / default
#   1 board / 8 boards    write_flash onto erased flash, one port / eight at once
# With ESPTOOL_PY=path/to/esptool (a source checkout of esptool v5, outside
# this tree, that runs with ${PYTHON:-python3}), esptool's own figures in the
# same run: full write, --skip-flashed of the same firmware and of one with
# a changed sector, --diff-with OLD.
#   bash bench/bench_device.sh [BUILD_DIR]
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
BAUD=921600
W=$(mktemp -d /tmp/bench-device-XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
cd "$W"
"$BUILD/fwgen" --chip esp32 -o fw.bin
cp fw.bin fw1.bin
printf 'one changed sector' | dd of=fw1.bin bs=1 seek=$((0x80000)) conv=notrunc 2>/dev/null

# start_emu FLASH: an emulator; its port in $PTY.
start_emu() {
  "$BUILD/espemu" --chip esp32 --flash "$1" --flash-size 4MB --pty --baud-limit "$BAUD" \
    >"$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 50); do grep -qs /dev/pts "$1.log" && break; sleep 0.1; done
  PTY=$(grep -oE '/dev/pts/[0-9]+' "$1.log" | head -1)
}
# secs CMD...: wall time in seconds.
secs() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a/b}'; }
row() { printf '%-44s %8s s %8sx\n' "$1" "$2" "$(ratio "$2" "$3")"; }
ES=("$BUILD/esptool" -b "$BAUD")

start_emu flash.bin
P=$PTY
full=$(secs "${ES[@]}" -p "$P" --no-diff --no-backup write_flash 0x1000 fw.bin)
same=$(secs "${ES[@]}" -p "$P" write_flash 0x1000 fw.bin)
one=$(secs "${ES[@]}" -p "$P" write_flash 0x1000 fw1.bin)
cmp -s <(tail -c +4097 flash.bin | head -c "$(stat -c %s fw1.bin)") fw1.bin ||
  { echo "the flash does not hold fw1.bin" >&2; exit 1; }
printf '%-44s %10s %9s\n' "re-flash (espemu $BAUD baud, flash timing)" time "vs full"
row "full write (--no-diff)" "$full" "$full"
row "same firmware again" "$same" "$full"
row "one changed 4 KiB sector, no old file" "$one" "$full"

# Half erased: the firmware and random data up to 2 MB, the rest erased.
head -c $((0x200000 - 0x1000 - $(stat -c %s fw1.bin))) /dev/urandom > fill.bin
"${ES[@]}" -p "$P" --no-backup write_flash $((0x1000 + $(stat -c %s fw1.bin))) fill.bin \
  >/dev/null 2>&1 || true
rfull=$(secs "${ES[@]}" -p "$P" --no-diff read_flash 0 ALL full.bin)
rsparse=$(secs "${ES[@]}" -p "$P" read_flash 0 ALL sparse.bin)
cmp -s full.bin sparse.bin || { echo "sparse read differs from the full read" >&2; exit 1; }
row "full read of a half-erased 4 MB (--no-diff)" "$rfull" "$rfull"
row "sparse read of it" "$rsparse" "$rfull"

# 1 board, then 8 at once, onto erased flash.
start_emu one.bin
one_board=$(secs "${ES[@]}" -p "$PTY" write_flash 0x1000 fw.bin)
ports=()
for i in $(seq 8); do start_emu "b$i.bin"; ports+=("$PTY"); done
eight=$(secs "${ES[@]}" -p "$(IFS=,; echo "${ports[*]}")" write_flash 0x1000 fw.bin)
for i in $(seq 8); do
  cmp -s <(tail -c +4097 "b$i.bin" | head -c "$(stat -c %s fw.bin)") fw.bin ||
    { echo "board $i does not hold fw.bin" >&2; exit 1; }
done
row "1 board, erased flash" "$one_board" "$one_board"
row "8 boards at once" "$eight" "$one_board"

if [ -n "${ESPTOOL_PY:-}" ]; then
  PY=("${PYTHON:-python3}" "$ESPTOOL_PY/esptool.py" -b "$BAUD" --before no-reset
      --after no-reset)
  start_emu py.bin
  pfull=$(secs "${PY[@]}" -p "$PTY" write-flash 0x1000 fw.bin)
  pskip=$(secs "${PY[@]}" -p "$PTY" write-flash --skip-flashed 0x1000 fw.bin)
  pskip1=$(secs "${PY[@]}" -p "$PTY" write-flash --skip-flashed 0x1000 fw1.bin)
  "${PY[@]}" -p "$PTY" write-flash 0x1000 fw.bin >/dev/null 2>&1
  pdiff=$(secs "${PY[@]}" -p "$PTY" write-flash 0x1000 fw1.bin --diff-with fw.bin)
  row "esptool.py full write" "$pfull" "$pfull"
  row "esptool.py --skip-flashed, same firmware" "$pskip" "$pfull"
  row "esptool.py --skip-flashed, one sector" "$pskip1" "$pfull"
  row "esptool.py --diff-with OLD, one sector" "$pdiff" "$pfull"
fi
