#!/usr/bin/env bash
# Build every fuzz target (fuzz/fuzz_*.c) with clang + libFuzzer +
# AddressSanitizer + UndefinedBehaviorSanitizer in build-fuzz, then run each
# for SECONDS (default 25) on its seed corpus (fuzz/corpus/TARGET).  Fails
# on the first crash, leak, timeout or oracle failure; the input that did it
# is saved as build-fuzz/artifacts/TARGET/crash-* (replay: build-fuzz/TARGET FILE).
# New inputs go to build-fuzz/corpus/TARGET, never into the checked-in seeds.
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-25}
shift || true
dir=build-fuzz
cmake -S . -B "$dir" -DFUZZ=ON -DWERROR=ON -DCMAKE_C_COMPILER=clang \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$dir" -j"$(nproc)" --target fuzz_all >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in fuzz/fuzz_*.c; do targets+=("$(basename "$src" .c)"); done
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for t in "${targets[@]}"; do
  mkdir -p "$dir/corpus/$t" "$dir/artifacts/$t"
  dict=()
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
  echo "=== $t: ${secs}s"
  if ! "$dir/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       "${dict[@]}" -artifact_prefix="$dir/artifacts/$t/" \
       "$dir/corpus/$t" "fuzz/corpus/$t" > "$dir/$t.log" 2>&1; then
    tail -n 60 "$dir/$t.log"
    echo "fuzz.sh: $t failed; the input is in $dir/artifacts/$t/" >&2
    exit 1
  fi
  grep -E '^#[0-9]+[[:space:]]+DONE|stat::peak_rss' "$dir/$t.log" | tr '\n' ' '
  echo
done
