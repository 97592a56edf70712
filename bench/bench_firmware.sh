#!/usr/bin/env bash
# Benchmark: whole-process time of the summary and of a `-f 8M --table ota`
# rewrite of a 4 MB firmware image (median of repeated runs).
#   bash bench/bench_firmware.sh [BUILD_DIR] [RUNS]
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
RUNS=${2:-51}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
"$BUILD/fwgen" --chip esp32 --table v1.25 --dump --pad -o fw4m.bin   # a full 4 MB image

median() {  # median wall time in ms of RUNS runs of the command
  local times=()
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f ms", a[int((NR+1)/2)]/1000}'
}

echo "input: 4 MB esp32 flash dump, $RUNS runs each (whole process, median)"
echo "summary:                $(median "$BUILD/mp-image-tool-esp32" fw4m.bin)"
echo "-f 8M --table ota -a:   $(median "$BUILD/mp-image-tool-esp32" fw4m.bin -f 8M --table ota -a 0x1f0B -o out.bin)"
echo "reference: the Python tool takes ~360 ms for the summary on this machine (reference §15)"
