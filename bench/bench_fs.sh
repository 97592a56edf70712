#!/bin/bash
# Build and run the littlefs benchmark against a build directory's libmpi.a.
#   bench/bench_fs.sh [BUILD_DIR] [RUNS]
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
runs=${2:-21}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 $(for d in "$here"/../lib/*/; do printf -- "-I%s " "$d"; done) -I"$here" "$here/bench_fs.c" "$build/libmpi.a" -lz -lcrypto -lm -o "$tmp/bench_fs"
mkdir -p "$tmp/out"
dest=${TMPDIR:-/tmp}/bench_fs_extract.$$
"$tmp/bench_fs" "$runs" "$dest"
rm -rf "$dest"
