#!/usr/bin/env bash
# Regenerate the seed corpus fuzz/corpus/TARGET/* with the project's own
# generators (fuzz/make_corpus.c: fwgen, lib/littlefs, the emulated chip, the
# RFC 2217 client and server).  Run it after changing a format, a generator
# or a fuzz target's input format, and commit the result.
#   bash fuzz/make_corpus.sh [BUILD_DIR]     (default: build, configured if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
[ -f "$dir/CMakeCache.txt" ] || cmake -S . -B "$dir" >/dev/null
cmake --build "$dir" -j"$(nproc)" --target make_corpus >/dev/null
rm -rf fuzz/corpus
"$dir/make_corpus" fuzz/corpus
du -sh fuzz/corpus/* | sed 's/^/  /'
