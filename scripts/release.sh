#!/usr/bin/env bash
# Build every release file from this checkout into DIR (default dist/):
#   mp-image-tool-esp32-VERSION-amd64.deb          Debian/Ubuntu, x86-64
#   mp-image-tool-esp32-VERSION-arm64.deb          Raspberry Pi OS 64-bit, other arm64
#   mp-image-tool-esp32-VERSION-armhf.deb          Raspberry Pi OS 32-bit
#   mp-image-tool-esp32-VERSION-linux-x86_64.tar.gz  one static binary, any distribution
#   mp-image-tool-esp32-VERSION-windows-x86_64.zip   mp-image-tool-esp32.exe, esptool.exe, espemu.exe
#   SHA256SUMS
# Installs what it needs first (scripts/install-deps.sh, install-cross-deps.sh).
#   bash scripts/release.sh [DIR] [PLATFORM...]   # PLATFORM: amd64 arm64 armhf linux-x86_64 windows-x86_64
# Each is built in its own directory below DIR/.build (Release, -Werror),
# packaged with cpack (cmake/package.cmake), and checked: the program runs
# (the ARM ones under qemu, the .exe under wine) and says its version.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
dist=${1:-dist}
shift || true
platforms=("$@")
[ ${#platforms[@]} -gt 0 ] || platforms=(amd64 arm64 armhf linux-x86_64 windows-x86_64)

bash scripts/install-deps.sh
bash scripts/install-cross-deps.sh
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)
version=$(sed -n 's/^project(mp-image-tool-esp32 VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)

# build PLATFORM CMAKE_ARGS...: configure, build, cpack; the package into dist.
build() {
  local platform=$1 dir=$dist/.build/$1
  shift
  echo "=== $platform"
  cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DWERROR=ON -DMPI_TESTS=OFF "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)" >/dev/null
  (cd "$dir" && cpack -B "$dir/cpack" >/dev/null)
  local f
  for f in "$dir"/cpack/mp-image-tool-esp32-"$version"-"$platform".*; do
    case $f in *.deb|*.tar.gz|*.zip) cp "$f" "$dist/"; echo "    $(basename "$f")" ;; esac
  done
}

# smoke PLATFORM COMMAND...: the packaged program runs and knows its version.
smoke() {
  local platform=$1
  shift
  local out   # (not a pipe into grep -q: under pipefail its early exit is a SIGPIPE)
  out=$("$@" --help) || true
  grep -q "mp-image-tool-esp32" <<<"$out" || { echo "release: $platform: the program does not run" >&2; exit 1; }
}

for p in "${platforms[@]}"; do
  case $p in
    amd64)
      build amd64
      smoke amd64 "$dist/.build/amd64/mp-image-tool-esp32" ;;
    arm64|armhf)
      triplet=$([ "$p" = arm64 ] && echo aarch64-linux-gnu || echo arm-linux-gnueabihf)
      build "$p" -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/linux-cross.cmake" -DMPI_TRIPLET=$triplet
      smoke "$p" qemu-$([ "$p" = arm64 ] && echo aarch64 || echo arm) "$dist/.build/$p/mp-image-tool-esp32" ;;
    linux-x86_64)
      build linux-x86_64 -DSTATIC=ON
      if readelf -l "$dist/.build/linux-x86_64/mp-image-tool-esp32" | grep INTERP >/dev/null; then
        echo "release: linux-x86_64: not a static binary" >&2
        exit 1
      fi
      smoke linux-x86_64 "$dist/.build/linux-x86_64/mp-image-tool-esp32" ;;
    windows-x86_64)
      build windows-x86_64 -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/mingw-w64.cmake"
      dlls=$(x86_64-w64-mingw32-objdump -p "$dist/.build/windows-x86_64/mp-image-tool-esp32.exe" |
             grep "DLL Name" || true)
      if grep -viE "(kernel32|advapi32|bcrypt|ws2_32|setupapi|msvcrt|user32|shell32|ole32|api-ms-win).*\.dll" \
          <<<"$dlls" >/dev/null; then
        echo "release: windows-x86_64: the .exe needs a DLL Windows does not have:" >&2
        x86_64-w64-mingw32-objdump -p "$dist/.build/windows-x86_64/mp-image-tool-esp32.exe" | grep "DLL Name" >&2
        exit 1
      fi
      WINEPREFIX=$dist/.build/wineprefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" \
        smoke windows-x86_64 wine "$dist/.build/windows-x86_64/mp-image-tool-esp32.exe" ;;
    *) echo "release: unknown platform '$p'" >&2; exit 2 ;;
  esac
done

(cd "$dist" && sha256sum mp-image-tool-esp32-"$version"-* >SHA256SUMS)
echo "=== in $dist:"
(cd "$dist" && ls -l mp-image-tool-esp32-"$version"-* SHA256SUMS)
