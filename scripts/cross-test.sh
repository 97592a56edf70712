#!/usr/bin/env bash
# Build the program for another platform and test it there, emulated:
#   bash scripts/cross-test.sh windows [NATIVE_BUILD]   # mingw-w64 .exe under wine
#   bash scripts/cross-test.sh arm64   [NATIVE_BUILD]   # aarch64 under qemu-user
#   bash scripts/cross-test.sh armhf   [NATIVE_BUILD]   # armhf under qemu-user
#
# The cross build (build-win, build-arm64, build-armhf; -Werror) makes the
# program alone.  Its tests are the end-to-end scripts of tests/e2e/ run
# against it: a directory of wrappers (BUILD/e2e-bin) stands in for a
# build directory, its mp-image-tool-esp32 and esptool running the cross
# program under wine or qemu, and the helpers the tests use (fwgen,
# lfs_craft) coming from NATIVE_BUILD (default: build, built if missing).
#
# Which tests (the whole e2e suite would take far too long emulated):
#   windows  the file tests whose behaviour Windows shares (summary, tables,
#            partitions, bad input, esptool's file commands), and
#            tests/cross/test_wine_*.sh: the file operations byte-identical
#            to the Linux build, UTF-8 and Windows paths, and the device
#            tests of the .exe against the Linux espemu over socket://,
#            rfc2217:// and a COM port wine maps to espemu's pty.  (FIFOs,
#            symbolic links, devices and signals, the subject of the
#            *_outputs tests and of parts of test_fs, are POSIX's: wine
#            shows a Unix symbolic link as what it points to, so it
#            cannot show `--fs get` refusing one; ptys are Linux's.)
#   arm64, armhf  the file tests above, test_fs, and the emulator tests: espemu,
#            esptool and mp-image-tool-esp32 all the ARM build, over pty,
#            TCP and RFC 2217.
# WERROR=OFF builds without -Werror (a warning only one compiler gives).
# Prints one line per test and "N passed, N failed" at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

target=${1:?usage: cross-test.sh windows|arm64|armhf [NATIVE_BUILD]}
native=${2:-build}

bash scripts/install-deps.sh
bash scripts/install-cross-deps.sh

# The native build: its fwgen and lfs_craft make the tests' inputs, its
# espemu is the chip the Windows program talks to.
[ -f "$native/CMakeCache.txt" ] || cmake -S . -B "$native" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$native" -j"$(nproc)" --target mp-image-tool-esp32 fwgen lfs_craft >/dev/null
native=$(cd "$native" && pwd)

FILE_TESTS=(test_firmware_summary test_firmware_table test_firmware_partitions
            test_firmware_badinput test_esptool_files)
case $target in
  windows)
    build=build-win
    cmake -S . -B $build -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake -DWERROR=${WERROR:-ON} \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    TESTS=("${FILE_TESTS[@]}")
    CROSS_TESTS=(tests/cross/test_wine_*.sh)
    ;;
  arm64|armhf)
    build=build-$target
    triplet=$([ "$target" = arm64 ] && echo aarch64-linux-gnu || echo arm-linux-gnueabihf)
    cmake -S . -B $build -DCMAKE_TOOLCHAIN_FILE=cmake/linux-cross.cmake -DMPI_TRIPLET=$triplet \
      -DWERROR=${WERROR:-ON} -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    TESTS=("${FILE_TESTS[@]}" test_fs test_fs_crafted test_firmware_outputs test_esptool_outputs
           test_mpi_usability test_ota_switch test_emu_transports test_emu_sessions
           test_emu_faults test_esptool_net test_esptool_pty test_mpi_device test_loader_guard)
    CROSS_TESTS=()
    ;;
  *) echo "cross-test.sh: unknown target '$target' (windows, arm64, armhf)" >&2; exit 2 ;;
esac
cmake --build $build -j"$(nproc)" --target mp-image-tool-esp32
build=$(cd $build && pwd)

# The wrappers.
bin=$build/e2e-bin
rm -rf "$bin"
mkdir -p "$bin"
for tool in fwgen lfs_craft; do
  ln -s "$native/$tool" "$bin/$tool"
done
if [ "$target" = windows ]; then
  export WINEPREFIX=$build/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  WINE=$(command -v wine || echo /usr/lib/wine/wine64)
  if [ ! -f "$WINEPREFIX/system.reg" ]; then
    echo "=== wine: a new prefix in $WINEPREFIX"
    "$WINE" wineboot -i >/dev/null 2>&1 || true
  fi
  # One wineserver for the whole run: each program start then takes ~0.1 s.
  wineserver -p >/dev/null 2>&1 || true   # (exits 2 when one is running already; its object dumps are noise)
  trap 'wineserver -k >/dev/null 2>&1 || true' EXIT
  for name in mp-image-tool-esp32 esptool; do
    printf '#!/bin/sh\nexec "%s" "%s/%s.exe" "$@"\n' "$WINE" "$build" "$name" >"$bin/$name"
    chmod +x "$bin/$name"
  done
  ln -s "$native/espemu" "$bin/espemu"   # the chip runs on Linux
else
  qemu=qemu-$([ "$target" = arm64 ] && echo aarch64 || echo arm)
  for name in mp-image-tool-esp32 esptool espemu; do
    # -0: the program picks its personality by argv[0]
    printf '#!/bin/sh\nexec %s -0 "$0" "%s/mp-image-tool-esp32" "$@"\n' "$qemu" "$build" \
      >"$bin/$name"
    chmod +x "$bin/$name"
  done
fi

passed=0
failed=0
start=$(date +%s)
run_test() {
  local script=$1 t0 rc=0 log
  t0=$(date +%s)
  log=$(mktemp)
  MPI_BUILD=$bin MPI_NATIVE=$native MPI_SOURCE=$ROOT MPI_SHARED=$ROOT/../shared \
    WINE=${WINE:-} bash "$script" >"$log" 2>&1 || rc=$?
  if [ $rc -eq 0 ] || [ $rc -eq 77 ]; then
    passed=$((passed + 1))
    echo "ok   $(basename "$script" .sh) ($(( $(date +%s) - t0 )) s)$([ $rc -eq 77 ] && echo ', skipped')"
  else
    failed=$((failed + 1))
    echo "FAIL $(basename "$script" .sh) ($(( $(date +%s) - t0 )) s)"
    tail -n 30 "$log" | sed 's/^/     /'
  fi
  rm -f "$log"
}
echo "=== $target: tests/e2e against $build/mp-image-tool-esp32 under ${qemu:-wine}"
for t in "${TESTS[@]}"; do
  run_test tests/e2e/$t.sh
done
for t in "${CROSS_TESTS[@]}"; do
  run_test "$t"
done
echo "=== $target: $(( $(date +%s) - start )) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
