#!/usr/bin/env bash
# Device --fs against espemu paced like a UART at 921600 baud: a 4 MB esp32
# whose 2 MB vfs holds the benchmark tree (200 files / 1.5 MB, bench_fs.c).
# For each command: wall time (connect included), the flash bytes the chip
# read and wrote, and the bytes on the line, from espemu's session log.
#   bash bench/bench_fs_device.sh [BUILD_DIR] [RUNS]
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
RUNS=${2:-3}
BAUD=921600
W=$(mktemp -d /tmp/bench-fsdev-XXXXXX)
EMU=
trap '[ -n "$EMU" ] && kill $EMU 2>/dev/null; rm -rf "$W"' EXIT
cd "$W"
export SOURCE_DATE_EPOCH=1700000000
MPI="$BUILD/mp-image-tool-esp32"
cmake --build "$BUILD" --target bench_fs >/dev/null
"$BUILD/bench_fs" 1 tree >/dev/null
"$BUILD/fwgen" --chip esp32 --table v1.25 --dump --pad -o dump.img
(cd tree && "$MPI" -q ../dump.img --fs mkfs --fs put . / -o ../fs.img >/dev/null)
"$MPI" -q dump.img --fs mkfs -o empty.img >/dev/null
head -c 10240 /dev/urandom > f10k.bin
held=$("$MPI" -q fs.img --fs df | awk '$1 == "vfs" {print $3}')

IMG=fs.img
start_emu() {
  cp "$IMG" flash.img
  "$BUILD/espemu" --chip esp32 --flash flash.img --pty --baud-limit "$BAUD" -v \
    >emu.out 2>emu.log &
  EMU=$!
  for _ in $(seq 100); do grep -q /dev/pts emu.out && break; sleep 0.05; done
  PTY=$(grep -oE '/dev/pts/[0-9]+' emu.out | head -1)
}
stop_emu() { kill $EMU; wait $EMU 2>/dev/null || true; EMU=; }
# The numbers of espemu's last session log lines.
session() {
  local f l
  f=$(grep 'session 1 ends' emu.log | sed 's/.*flash written \([0-9]*\) read \([0-9]*\).*/\1 \2/')
  l=$(grep 'line:' emu.log | tail -n 1 | sed 's/.*line: \([0-9]*\) bytes in, \([0-9]*\) bytes out.*/\1 \2/')
  echo "$f $l"
}

echo "vfs holds ${held} kB (200 files / 1.5 MB); espemu at $BAUD baud; median of $RUNS runs"
printf '%-28s %8s %12s %12s %12s\n' command wall_s flash_read flash_write line_bytes
bench() {
  local name=$1; shift
  local times=() facts=""
  for _ in $(seq "$RUNS"); do
    start_emu
    local t0 t1
    t0=$(date +%s.%N)
    # (the summary without -q: under -q it leaves out the filesystems' df)
    if [ $# -eq 0 ]; then "$MPI" "$PTY" >/dev/null; else "$MPI" -q "$PTY" "$@" >/dev/null; fi
    t1=$(date +%s.%N)
    stop_emu
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')")
    facts=$(session)
  done
  local med; med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  read -r fw fr li lo <<<"$facts"
  printf '%-28s %8s %12s %12s %12s\n' "$name" "$med" "$fr" "$fw" "$((li + lo))"
}
bench "summary"
bench "--fs ls" --fs ls
bench "--fs cat boot.py" --fs cat boot.py
bench "--fs df" --fs df
bench "--fs put (10 KB)" --fs put f10k.bin /
# Many commits: the cost of writing them to the chip one by one, in order.
IMG=empty.img
bench "put lib/ ($(find tree/lib -type f | wc -l) files) to empty" --fs put tree/lib /
