#!/bin/bash
# Run the littlefs benchmark (bench_fs.c, built by CMake as bench_fs).
#   bench/bench_fs.sh [BUILD_DIR] [RUNS]
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
runs=${2:-21}
cmake --build "$build" --target bench_fs >/dev/null
dest=${TMPDIR:-/tmp}/bench_fs_extract.$$
"$build/bench_fs" "$runs" "$dest"
rm -rf "$dest"
