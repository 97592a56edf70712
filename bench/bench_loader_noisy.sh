#!/usr/bin/env bash
# The loader on a noisy line, and what its defences cost on a clean one.
# 256 KB of random data (it does not deflate) written with esptool
# write_flash to 0x10000 of a blank 4 MB ESP32 flash, espemu paced at
# 460800 baud over a pty:
#   clean   SEEDS runs on a clean line
#   noisy   one run per seed 1..SEEDS with 0.1 % of the bytes dropped and
#           0.1 % damaged, both ways, for the whole session
# each through the stub and in ROM mode (--no-stub, where every command is
# guarded: loader_guard.c).  A run counts as completed when it exits 0 and
# the flash holds exactly the data and nothing else changed; one that exits
# 0 with anything else is counted as a silent failure (there must be none).
# Prints completions and the median time of each case, and the ratio of
# the noisy median to the clean one.  REF_ESPTOOL (optional): another
# esptool-compatible binary timed on the same clean runs, for comparison.
#   bash bench/bench_loader_noisy.sh [BUILD_DIR] [SEEDS] [REF_ESPTOOL]
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
SEEDS=${2:-10}
REF=${3:-}
BAUD=460800
ADDR=$((0x10000))
W=$(mktemp -d /tmp/bench-noisy-XXXXXX)
EMU=""
trap '[ -z "$EMU" ] || kill $EMU 2>/dev/null; rm -rf "$W"' EXIT
cd "$W"
head -c 262144 /dev/urandom >data.bin
head -c $((4 << 20)) /dev/zero | tr '\0' '\377' >blank.bin

start_emu() {
  cp blank.bin flash.bin
  "$BUILD/espemu" --chip esp32 --flash flash.bin --flash-size 4MB --pty --baud-limit $BAUD \
    "$@" >emu.log 2>&1 &
  EMU=$!
  for _ in $(seq 50); do grep -q /dev/pts emu.log && break; sleep 0.1; done
  PTY=$(grep -oE '/dev/pts/[0-9]+' emu.log | head -1)
}
stop_emu() { kill "$EMU" 2>/dev/null || true; wait "$EMU" 2>/dev/null || true; EMU=""; }
exact() {
  cmp -s <(head -c $ADDR flash.bin) <(head -c $ADDR blank.bin) &&
    cmp -s <(tail -c +$((ADDR + 1)) flash.bin | head -c 262144) data.bin &&
    cmp -s <(tail -c +$((ADDR + 262144 + 1)) flash.bin) <(tail -c +$((ADDR + 262144 + 1)) blank.bin)
}
median() { sort -n | awk '{v[NR]=$1} END{if (NR) printf "%.2f", NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; else printf "-"}'; }

# case NAME TOOL MODE-ARGS FAULTS: prints "completed/runs silent median"
run_case() {
  local tool=$1 mode=$2 noisy=$3 ok=0 silent=0 times="" seed faults rc t0 secs
  for seed in $(seq 1 "$SEEDS"); do
    faults=()
    [ "$noisy" = yes ] && faults=(--faults "drop=0.001,corrupt=0.001,seed=$seed")
    start_emu "${faults[@]}"
    t0=$(date +%s.%N)
    rc=0
    # shellcheck disable=SC2086
    timeout 300 "$tool" -p "$PTY" -b $BAUD $mode write_flash $ADDR data.bin >run.log 2>&1 || rc=$?
    secs=$(echo "$(date +%s.%N) - $t0" | bc)
    stop_emu
    if [ $rc -eq 0 ] && exact; then
      ok=$((ok + 1))
      times="$times$secs"$'\n'
    elif [ $rc -eq 0 ]; then
      silent=$((silent + 1))
    fi
  done
  echo "$ok/$SEEDS $silent $(printf '%s' "$times" | median)"
}

printf '%-6s %-16s %-6s %10s %7s %9s\n' mode tool line completed silent median_s
for mode in stub rom; do
  margs=""
  [ $mode = rom ] && margs=--no-stub
  read -r c_ok c_silent c_med <<<"$(run_case "$BUILD/esptool" "$margs" no)"
  printf '%-6s %-16s %-6s %10s %7s %9s\n' $mode ours clean "$c_ok" "$c_silent" "$c_med"
  read -r n_ok n_silent n_med <<<"$(run_case "$BUILD/esptool" "$margs" yes)"
  printf '%-6s %-16s %-6s %10s %7s %9s  (%.2fx clean)\n' $mode ours noisy "$n_ok" "$n_silent" \
    "$n_med" "$(awk -v n="$n_med" -v c="$c_med" 'BEGIN{print ((c > 0 && n != "-") ? n / c : 0)}')"
  if [ -n "$REF" ]; then
    read -r r_ok r_silent r_med <<<"$(run_case "$REF" "$margs" no)"
    printf '%-6s %-16s %-6s %10s %7s %9s  (ours %.2fx of it)\n' $mode reference clean "$r_ok" \
      "$r_silent" "$r_med" "$(awk -v o="$c_med" -v r="$r_med" 'BEGIN{print (r > 0 ? o / r : 0)}')"
  fi
done
echo "wire limit of the data alone: $(awk -v b=$BAUD 'BEGIN{printf "%.2f", 262144 * 10 / b}') s"
